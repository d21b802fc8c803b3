//! `rolesanywhere credential-process` against a one-shot HTTP server on loopback that records
//! the request and answers with a recorded CreateSession response (`tests/vectors/responses`):
//! the request sent is the one `sign-request` prints, a 201 becomes credential_process JSON, an
//! AWS error becomes its type and message on stderr with a non-zero exit, and an unreachable
//! endpoint is reported as such.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::thread::JoinHandle;

use common::{workspace_root, ANCHOR, DATE, PROFILE, ROLE};
use serde_json::Value;

/// What the server saw: request line, headers (lower-case names), body.
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: String,
}

/// Serves one request with `status`, optional `X-Amzn-ErrorType`, and `body`.
fn serve_once(status: u16, error_type: Option<&'static str>, body: Vec<u8>) -> (String, JoinHandle<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("header line");
            headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
        }
        let length: usize =
            headers.iter().find(|(n, _)| n == "content-length").map(|(_, v)| v.parse().unwrap()).unwrap_or(0);
        let mut request_body = vec![0; length];
        reader.read_exact(&mut request_body).unwrap();
        let mut stream = stream;
        let mut head = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
        if let Some(t) = error_type {
            head.push_str(&format!("x-amzn-errortype: {t}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&body).unwrap();
        Seen {
            request_line: request_line.trim_end().to_string(),
            headers,
            body: String::from_utf8(request_body).unwrap(),
        }
    });
    (endpoint, handle)
}

fn response(file: &str) -> Vec<u8> {
    std::fs::read(workspace_root().join("tests/vectors/responses").join(file)).expect("response vector")
}

/// Runs the binary with the p256 leaf, the fixture ARNs and `--date`.
fn run(command: &str, endpoint: &str) -> std::process::Output {
    let pki = common::shared();
    Command::new(env!("CARGO_BIN_EXE_rolesanywhere"))
        .arg(command)
        .arg("--certificate")
        .arg(pki.path("p256.pem"))
        .arg("--private-key")
        .arg(pki.path("p256.pkcs8.pem"))
        .args(["--trust-anchor-arn", ANCHOR, "--profile-arn", PROFILE, "--role-arn", ROLE, "--date", DATE])
        .args(["--endpoint", endpoint])
        .output()
        .expect("run rolesanywhere")
}

#[test]
fn prints_credential_process_json_for_the_signed_request() {
    let (endpoint, server) = serve_once(201, None, response("success.json"));
    let out = run("credential-process", &endpoint);
    let seen = server.join().unwrap();
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));

    // Exactly what sign-request prints for the same inputs went over the wire.
    let printed: Value = serde_json::from_slice(&run("sign-request", &endpoint).stdout).unwrap();
    assert_eq!(seen.request_line, "POST /sessions HTTP/1.1");
    assert_eq!(seen.body, printed["body"].as_str().unwrap());
    for (name, value) in printed["headers"].as_object().unwrap() {
        let sent = seen.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        assert_eq!(sent, value.as_str(), "header {name}");
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
    let (endpoint, server) = serve_once(403, Some("AccessDeniedException"), response("access-denied.json"));
    let out = run("credential-process", &endpoint);
    server.join().unwrap();
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
