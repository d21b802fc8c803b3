//! `rolesanywhere serve` in front of a recorded CreateSession endpoint: the IMDSv2 flow (token,
//! role name, credentials) and its refusals, the container-credential endpoint and its
//! authorization, one CreateSession for many credential requests (the cache), and AWS's refusal
//! passed on with its code.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use common::{workspace_root, ROLE};
use serde_json::Value;
use support::{Answer, MockServer, Server};

/// A CreateSession endpoint that answers every request with fresh one-hour credentials.
fn create_session_endpoint() -> MockServer {
    MockServer::start(|_| {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let expiration = rolesanywhere::Time::from_unix_seconds(now + 3600).unwrap().to_string();
        let body = serde_json::json!({"credentialSet": [{
            "credentials": {"accessKeyId": "ASIASERVETEST", "secretAccessKey": "secret", "sessionToken": "token", "expiration": expiration},
            "roleArn": ROLE,
        }]});
        Answer { status: 201, headers: vec![], body: body.to_string().into_bytes() }
    })
}

fn start(endpoint: &str, token_file: Option<&std::path::Path>) -> Server {
    let pki = common::shared();
    let mut args = support::sign_args(&pki.path("p256.pem"), &pki.path("p256.pkcs8.pem"));
    args.extend(["--endpoint".into(), endpoint.into()]);
    support::serve(&args, token_file)
}

/// (status, body) of a request; never fails on HTTP error statuses.
fn call(method: &str, url: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = match method {
        "PUT" => {
            let mut r = agent.put(url);
            for (n, v) in headers {
                r = r.header(*n, *v);
            }
            r.send_empty()
        }
        _ => {
            let mut r = agent.get(url);
            for (n, v) in headers {
                r = r.header(*n, *v);
            }
            r.call()
        }
    }
    .expect("request");
    (response.status().as_u16(), response.body_mut().read_to_string().unwrap())
}

#[test]
fn imdsv2_flow() {
    let aws = create_session_endpoint();
    let serve = start(&aws.endpoint, None);
    let base = &serve.base;
    let role_name = ROLE.rsplit('/').next().unwrap();

    // A token first; IMDS refuses proxied token requests and missing or out-of-range TTLs.
    assert_eq!(call("PUT", &format!("{base}/latest/api/token"), &[]).0, 400);
    assert_eq!(
        call("PUT", &format!("{base}/latest/api/token"), &[("x-aws-ec2-metadata-token-ttl-seconds", "21601")]).0,
        400
    );
    let forwarded = [("x-aws-ec2-metadata-token-ttl-seconds", "60"), ("x-forwarded-for", "10.0.0.1")];
    assert_eq!(call("PUT", &format!("{base}/latest/api/token"), &forwarded).0, 403);
    let (status, token) =
        call("PUT", &format!("{base}/latest/api/token"), &[("x-aws-ec2-metadata-token-ttl-seconds", "60")]);
    assert_eq!(status, 200);
    assert!(token.len() >= 40, "{token}");

    let list = format!("{base}/latest/meta-data/iam/security-credentials/");
    assert_eq!(call("GET", &list, &[]).0, 401);
    assert_eq!(call("GET", &list, &[("x-aws-ec2-metadata-token", "forged")]).0, 401);
    assert_eq!(call("GET", &list, &[("x-aws-ec2-metadata-token", &token)]), (200, role_name.to_string()));
    assert_eq!(call("GET", &format!("{list}other-role"), &[("x-aws-ec2-metadata-token", &token)]).0, 404);

    for _ in 0..3 {
        let (status, body) = call("GET", &format!("{list}{role_name}"), &[("x-aws-ec2-metadata-token", &token)]);
        assert_eq!(status, 200, "{body}");
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["Code"], "Success");
        assert_eq!(json["Type"], "AWS-HMAC");
        assert_eq!(json["AccessKeyId"], "ASIASERVETEST");
        assert_eq!(json["SecretAccessKey"], "secret");
        assert_eq!(json["Token"], "token");
        assert!(json["Expiration"].as_str().unwrap().ends_with('Z'));
    }
    // Three credential requests, one CreateSession: the rest came from the cache.
    let seen = aws.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].request_line, "POST /sessions HTTP/1.1");
    assert!(seen[0].header("authorization").unwrap().starts_with("AWS4-X509-ECDSA-SHA256 Credential="));
}

#[test]
fn container_endpoint_checks_the_authorization_token() {
    let aws = create_session_endpoint();
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "s3cr3t-token\n").unwrap();
    let serve = start(&aws.endpoint, Some(&token_file));
    let url = format!("{}/credentials", serve.base);

    assert_eq!(call("GET", &url, &[]).0, 401);
    assert_eq!(call("GET", &url, &[("authorization", "wrong")]).0, 403);
    let (status, body) = call("GET", &url, &[("authorization", "s3cr3t-token")]);
    assert_eq!(status, 200, "{body}");
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["AccessKeyId"], "ASIASERVETEST");
    assert_eq!(json["Token"], "token");
    assert_eq!(json["RoleArn"], ROLE);
}

#[test]
fn container_endpoint_is_off_without_a_token() {
    let aws = create_session_endpoint();
    let serve = start(&aws.endpoint, None);
    assert_eq!(call("GET", &format!("{}/credentials", serve.base), &[("authorization", "x")]).0, 404);
    assert!(aws.seen().is_empty());
}

/// A refused CreateSession reaches the client as a 500 whose JSON names the error's code and
/// AWS's message, as the AWS SDKs show it.
#[test]
fn refusals_are_passed_on_with_their_code() {
    let body = std::fs::read(workspace_root().join("tests/vectors/responses/access-denied.json")).unwrap();
    let aws = MockServer::start(move |_| Answer {
        status: 403,
        headers: vec![("x-amzn-errortype", "AccessDeniedException".into())],
        body: body.clone(),
    });
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "s3cr3t-token").unwrap();
    let serve = start(&aws.endpoint, Some(&token_file));
    let (status, body) = call("GET", &format!("{}/credentials", serve.base), &[("authorization", "s3cr3t-token")]);
    assert_eq!(status, 500, "{body}");
    let json: Value = serde_json::from_str(&body).unwrap();
    let expected = serde_json::json!({
        "Code": "AccessDenied",
        "Message": "AccessDeniedException (HTTP 403): Untrusted signing certificate",
    });
    assert_eq!(json, expected);
    serve.assert_logged("GET /credentials -> 500");
    assert_eq!(aws.seen().len(), 1, "AccessDenied is not retried");
}
