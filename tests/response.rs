//! `parse_response` on the answer vectors in `tests/vectors/responses/`: credentials of a success,
//! one typed error per kind of failure, hostile and oversize answers.

mod common;

use std::path::Path;

use common::ROLE;
use rolesanywhere::{parse_response, Error, ResponseError, ServiceErrorKind, Time, MAX_RESPONSE_LEN};
use serde_json::Value;

fn vectors() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/responses")
}

fn vector(file: &str) -> Vec<u8> {
    std::fs::read(vectors().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn response_vectors() {
    let index: Value = serde_json::from_slice(&std::fs::read(vectors().join("index.json")).unwrap()).unwrap();
    let cases = index["cases"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for case in cases {
        let file = case["file"].as_str().unwrap();
        let status = case["status"].as_u64().unwrap() as u16;
        let header = case["error_type_header"].as_str();
        let expect = case["expect"].as_str().unwrap();
        let what = format!("{file} ({status}, {header:?})");
        let result = parse_response(status, header, &vector(file));
        match expect {
            "ok" => {
                let session = result.unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_eq!(session.credentials.access_key_id(), "ASIAEXAMPLEACCESSKEY");
                assert_eq!(
                    session.credentials.expiration(),
                    Time::parse_rfc3339("2024-06-01T13:00:30Z").unwrap(),
                    "{what}"
                );
            }
            "Malformed" => {
                let err = result.expect_err(&what);
                assert!(matches!(err, ResponseError::Malformed { .. }), "{what}: {err:?}");
                assert_eq!(Error::from(err).code().as_str(), "InvalidResponse");
            }
            kind => {
                let err = result.expect_err(&what);
                let ResponseError::Service(service) = &err else { panic!("{what}: {err:?}") };
                assert_eq!(service.kind.code().as_str(), kind, "{what}");
                assert_eq!(service.status, status, "{what}");
                assert_eq!(service.error_type, case["error_type"].as_str().unwrap(), "{what}");
                assert_eq!(service.message, case["message"].as_str().unwrap(), "{what}");
                assert_eq!(service.is_retryable(), matches!(kind, "Throttled" | "Server"), "{what}");
                let text = err.to_string();
                assert!(!text.contains('\n'), "{what}: {text:?}");
                assert!(text.contains(&format!("HTTP {status}")), "{what}: {text}");
                assert_eq!(Error::from(err).code().as_str(), kind, "{what}");
            }
        }
    }
}

#[test]
fn a_successful_answer_in_full() {
    let session = parse_response(201, None, &vector("success.json")).unwrap();
    let c = &session.credentials;
    assert_eq!(c.access_key_id(), "ASIAEXAMPLEACCESSKEY");
    assert_eq!(c.secret_access_key(), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLESECRET");
    assert_eq!(c.session_token(), "FwoGZXIvYXdzEXAMPLESESSIONTOKENdGhpcyBpcyBub3QgYSByZWFsIHRva2Vu");
    assert_eq!(c.expiration().to_string(), "2024-06-01T13:00:30Z");
    assert_eq!(
        session.assumed_role_arn.as_deref(),
        Some("arn:aws:sts::123456789012:assumed-role/demo/89785887507530362187278833751162691939")
    );
    assert_eq!(
        session.assumed_role_id.as_deref(),
        Some("AROAEXAMPLEROLEID1234:89785887507530362187278833751162691939")
    );
    assert_eq!(session.role_arn.as_deref(), Some(ROLE));
    assert_eq!(session.account_id(), Some("123456789012"));
    assert_eq!(session.source_identity.as_deref(), Some("CN=p256"));
    assert_eq!(
        session.subject_arn.as_deref(),
        Some("arn:aws:rolesanywhere:us-west-2:123456789012:subject/41cl0bae-6783-40d4-ab20-65dc5d922e45")
    );
    // Neither Debug shows the secret or the token.
    for shown in [format!("{c:?}"), format!("{c:#?}"), format!("{session:?}")] {
        assert!(shown.contains("ASIAEXAMPLEACCESSKEY"), "{shown}");
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
        assert!(!shown.contains("EXAMPLESECRET"), "{shown}");
        assert!(!shown.contains("FwoGZXIvYXdz"), "{shown}");
        assert!(!shown.contains("SESSIONTOKEN"), "{shown}");
    }
}

#[test]
fn oversize_answers() {
    let big = vec![b' '; MAX_RESPONSE_LEN + 1];
    assert_eq!(parse_response(201, None, &big).unwrap_err(), ResponseError::TooLarge);
    assert_eq!(parse_response(500, Some("InternalServerException"), &big).unwrap_err(), ResponseError::TooLarge);
    // A success padded to exactly the limit is read.
    let mut padded = vector("success.json");
    padded.resize(MAX_RESPONSE_LEN, b' ');
    assert!(parse_response(201, None, &padded).is_ok());
    assert_eq!(Error::from(ResponseError::TooLarge).code().as_str(), "InvalidResponse");
}

#[test]
fn long_messages_come_back_on_one_line() {
    let mut message = String::new();
    while message.chars().count() < 10_000 {
        message.push_str("Untrusted signing certificate\n\r\t\u{1b}[31m é ");
    }
    let body = serde_json::json!({ "message": message }).to_string();
    let err = parse_response(403, Some("AccessDeniedException"), body.as_bytes()).unwrap_err();
    let ResponseError::Service(service) = &err else { panic!("{err:?}") };
    assert_eq!(service.kind, ServiceErrorKind::AccessDenied);
    assert!(service.message.chars().count() <= 513, "{}", service.message.len());
    assert!(service.message.starts_with("Untrusted signing certificate "));
    assert!(!service.message.chars().any(char::is_control), "{:?}", service.message);
    let text = err.to_string();
    assert!(!text.chars().any(char::is_control));
    assert_eq!(text.lines().count(), 1);

    // A long or multi-line error type is kept on one line too.
    let header = format!("Access\nDenied{}", "X".repeat(1000));
    let err = parse_response(403, Some(&header), b"").unwrap_err();
    let ResponseError::Service(service) = &err else { panic!("{err:?}") };
    assert!(!service.error_type.chars().any(char::is_control));
    assert!(service.error_type.chars().count() <= 129);
    assert_eq!(service.kind, ServiceErrorKind::AccessDenied);
    // The body's "Message" (capitalised) is read too.
    let err = parse_response(400, None, br#"{"__type":"ValidationException","Message":"bad"}"#).unwrap_err();
    let ResponseError::Service(service) = err else { panic!() };
    assert_eq!((service.kind, service.message.as_str()), (ServiceErrorKind::Validation, "bad"));
}

#[test]
fn status_alone_decides_the_kind_when_aws_names_none() {
    for (status, kind) in [
        (400, ServiceErrorKind::Other),
        (403, ServiceErrorKind::AccessDenied),
        (404, ServiceErrorKind::NotFound),
        (429, ServiceErrorKind::Throttled),
        (500, ServiceErrorKind::Server),
        (503, ServiceErrorKind::Server),
    ] {
        let err = parse_response(status, None, b"").unwrap_err();
        let ResponseError::Service(service) = err else { panic!("{status}") };
        assert_eq!(service.kind, kind, "{status}");
    }
}

/// The account comes from the assumed-role ARN, else the role ARN; nothing else passes for one.
#[test]
fn the_account_id_comes_from_the_arns() {
    let answer = |user: &str, role: &str| {
        let body = format!(
            r#"{{"credentialSet":[{{"assumedRoleUser":{user},"roleArn":{role},"credentials":{{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":"2024-06-01T13:00:30Z"}}}}]}}"#
        );
        parse_response(201, None, body.as_bytes()).unwrap()
    };
    let arn = r#"{"arn":"arn:aws-cn:sts::210987654321:assumed-role/r/s","assumedRoleId":"AROA:s"}"#;
    assert_eq!(answer(arn, "null").account_id(), Some("210987654321"));
    assert_eq!(answer("null", r#""arn:aws:iam::123456789012:role/r""#).account_id(), Some("123456789012"));
    assert_eq!(answer("null", "null").account_id(), None);
    assert_eq!(answer(r#"{"arn":"arn:aws:sts::12:assumed-role/r/s"}"#, "null").account_id(), None);
}
