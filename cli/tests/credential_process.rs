//! `rolesanywhere credential-process` against an HTTP server on loopback that records
//! the request and answers with a recorded CreateSession response (`tests/vectors/responses`):
//! the request sent is the one `sign-request` prints, a 201 becomes credential_process JSON, an
//! AWS error becomes its type and message on stderr with a non-zero exit, and an unreachable
//! endpoint is reported as such.

#[path = "../../tests/common/mod.rs"]
mod common;

mod support;

use std::net::TcpListener;
use std::process::Command;

use support::{Answer, MockServer};

use common::{workspace_root, DATE};
use serde_json::Value;

/// Serves `status`, optional `X-Amzn-ErrorType`, and `body` to every request.
fn serve(status: u16, error_type: Option<&'static str>, body: Vec<u8>) -> MockServer {
    MockServer::start(move |_| Answer {
        status,
        headers: error_type.map(|t| ("x-amzn-errortype", t.to_string())).into_iter().collect(),
        body: body.clone(),
    })
}

fn response(file: &str) -> Vec<u8> {
    std::fs::read(workspace_root().join("tests/vectors/responses").join(file)).expect("response vector")
}

/// Runs the binary with the p256 leaf, the fixture ARNs and `--date`.
fn run(command: &str, endpoint: &str) -> std::process::Output {
    let pki = common::shared();
    Command::new(env!("CARGO_BIN_EXE_rolesanywhere"))
        .arg(command)
        .args(support::sign_args(&pki.path("p256.pem"), &pki.path("p256.pkcs8.pem")))
        .args(["--date", DATE, "--endpoint", endpoint])
        .output()
        .expect("run rolesanywhere")
}

#[test]
fn prints_credential_process_json_for_the_signed_request() {
    let server = serve(201, None, response("success.json"));
    let endpoint = &server.endpoint;
    let out = run("credential-process", endpoint);
    let seen = server.seen().remove(0);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));

    // Exactly what sign-request prints for the same inputs went over the wire.
    let printed: Value = serde_json::from_slice(&run("sign-request", endpoint).stdout).unwrap();
    assert_eq!(seen.request_line, "POST /sessions HTTP/1.1");
    assert_eq!(seen.body, printed["body"].as_str().unwrap());
    for (name, value) in printed["headers"].as_object().unwrap() {
        assert_eq!(seen.header(name), value.as_str(), "header {name}");
    }

    let stdout = String::from_utf8(out.stdout).unwrap();
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let expected = serde_json::json!({
        "Version": 1,
        "AccessKeyId": "ASIAEXAMPLEACCESSKEY",
        "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLESECRET",
        "SessionToken": "FwoGZXIvYXdzEXAMPLESESSIONTOKENdGhpcyBpcyBub3QgYSByZWFsIHRva2Vu",
        "Expiration": "2024-06-01T13:00:30Z",
    });
    assert_eq!(json, expected);
    // The documented field order, as AWS's helper prints it.
    assert!(stdout.starts_with(r#"{"Version":1,"AccessKeyId":"#), "{stdout}");
}

#[test]
fn aws_errors_go_to_stderr_with_their_type_and_message() {
    let server = serve(403, Some("AccessDeniedException"), response("access-denied.json"));
    let out = run("credential-process", &server.endpoint);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("AccessDeniedException") && stderr.contains("Untrusted signing certificate"), "{stderr}");
}

#[test]
fn unreachable_endpoint_is_reported() {
    // A port that was just free: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = run("credential-process", &format!("http://127.0.0.1:{port}"));
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("error: cannot reach http://127.0.0.1:"), "{stderr}");
}
