//! Runs every case of the AWS SigV4 test suite (`tests/vectors/aws-sigv4-suite/v4`) through
//! `rolesanywhere::sigv4`: `sign` (the `header-*` files: canonical request, string to sign,
//! signature, and the headers of the signed request, `Authorization` byte for byte) and
//! `presign` (the `query-*` files: the same, and the signed URL's query byte for byte).

mod common;

use std::path::Path;

use common::suite::{cases, parse_request, path_options, read_context, read_expected, Context};
use rolesanywhere::sigv4::{self, Key, Payload, Request, Settings};
use rolesanywhere::Time;

/// `double-encode-path` has no signature file, and its `header-signed-request.txt` comes from
/// another run than its canonical request: access key `ANOTREAL`, a secret the suite does not
/// record, scope `20150830/us-east-1/service`, where the canonical request has the date
/// 20210511 (see `fallback_context`). So only its canonical request is checked.
const INCONSISTENT_CASE: &str = "double-encode-path";

/// The header lines of a `*-signed-request.txt` file, `(name, value)` with the value
/// trimmed and folded lines joined; the request line is skipped (one file lacks its
/// `HTTP/1.1`).
fn signed_request_headers(text: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.lines().skip(1).take_while(|line| !line.is_empty()) {
        match (line.starts_with([' ', '\t']), headers.last_mut()) {
            // A folded continuation of the previous value (get-header-value-multiline).
            (true, Some((_, value))) => {
                value.push(' ');
                value.push_str(line.trim());
            }
            _ => {
                let (name, value) = line.split_once(':').unwrap_or_else(|| panic!("header line {line:?}"));
                headers.push((name.to_string(), value.trim().to_string()));
            }
        }
    }
    headers
}

fn settings<'a>(case: &str, context: &'a Context, time: Time) -> Settings<'a> {
    Settings {
        path: path_options(case, context),
        content_sha256_header: context.sign_body,
        sign_session_token: !context.omit_session_token,
        ..Settings::new(&context.service, &context.region, time)
    }
}

fn check_case(case: &str, dir: &Path, failures: &mut Vec<String>) -> (usize, usize) {
    let mut compare = |what: &str, expected: &str, actual: &str| {
        if expected != actual {
            failures.push(format!("{case}: {what}\n--- expected\n{expected}\n--- actual\n{actual}\n"));
        }
    };
    let request = parse_request(case, &std::fs::read(dir.join("request.txt")).expect("request.txt"));
    let context = read_context(case, dir);
    let time = Time::parse_rfc3339(&context.timestamp).expect("timestamp");
    let settings = settings(case, &context, time);
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let key = Key {
        access_key_id: &context.access_key_id,
        secret_access_key: secret,
        session_token: context.session_token.as_deref(),
    };
    let headers: Vec<(&str, &str)> = request.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let url =
        if request.query.is_empty() { request.path.clone() } else { format!("{}?{}", request.path, request.query) };
    let signing =
        Request { method: &request.method, url: &url, headers: &headers, payload: Payload::Bytes(&request.body) };
    let (mut header_checks, mut query_checks) = (0, 0);

    let signed = sigv4::sign(&signing, &key, &settings).unwrap_or_else(|e| panic!("{case}: sign: {e}"));
    if let Some(expected) = read_expected(dir, "header-canonical-request.txt") {
        compare("header canonical request", &expected, signed.canonical_request.as_str());
    }
    if let Some(expected) = read_expected(dir, "header-string-to-sign.txt") {
        compare("header string to sign", &expected, &signed.string_to_sign);
    }
    if let Some(expected) = read_expected(dir, "header-signature.txt") {
        compare("header signature", &expected, &signed.signature);
        header_checks += 1;
    }
    let signed_request = read_expected(dir, "header-signed-request.txt").filter(|_| case != INCONSISTENT_CASE);
    if let Some(expected) = signed_request {
        // Every header the signer adds is in the expected signed request with the same value,
        // and the expected request has no header that is neither the caller's nor ours.
        let expected = signed_request_headers(&expected);
        let find = |list: &[(String, String)], name: &str| {
            list.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
        };
        for (name, value) in &signed.headers {
            compare(&format!("signed request header {name}"), &find(&expected, name).unwrap_or_default(), value);
        }
        for (name, _) in &expected {
            if find(&request.headers, name).is_none() && find(&signed.headers, name).is_none() {
                compare("headers of the signed request", name, "(not added)");
            }
        }
        header_checks += 1;
    }

    // Presigning: the query-* files.
    if let Some(expected_target) = read_expected(dir, "query-signed-request.txt") {
        let expires = u32::try_from(context.expiration_in_seconds).expect("expiration fits u32");
        let presigned =
            sigv4::presign(&signing, &key, &settings, expires).unwrap_or_else(|e| panic!("{case}: presign: {e}"));
        if let Some(expected) = read_expected(dir, "query-canonical-request.txt") {
            compare("query canonical request", &expected, presigned.canonical_request.as_str());
        }
        if let Some(expected) = read_expected(dir, "query-string-to-sign.txt") {
            compare("query string to sign", &expected, &presigned.string_to_sign);
        }
        if let Some(expected) = read_expected(dir, "query-signature.txt") {
            compare("query signature", &expected, &presigned.signature);
        }
        // The query of the signed URL, byte for byte. (The path is ours as given; in
        // get-space-normalized the expected file has aws-c-auth's raw `/example space/` where
        // smithy-rs's request.txt has `/example%20space/`, see tests/common/suite.rs.)
        let request_line = expected_target.lines().next().unwrap_or_default();
        let target = request_line.split_once(' ').map(|(_, rest)| rest).unwrap_or_default();
        let target = target.strip_suffix(" HTTP/1.1").unwrap_or(target);
        let expected_query = target.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let actual_query = presigned.url.split_once('?').map(|(_, q)| q).unwrap_or_default();
        compare("presigned URL query", expected_query, actual_query);
        if case != "get-space-normalized" {
            let (expected_path, _) = target.split_once('?').unwrap_or((target, ""));
            compare("presigned URL path", expected_path, &request.path);
        }
        query_checks += 1;
    }
    (header_checks, query_checks)
}

#[test]
fn aws_sigv4_suite() {
    let cases = cases();
    let mut failures = Vec::new();
    let (mut headers, mut queries) = (0, 0);
    for (case, dir) in &cases {
        let (h, q) = check_case(case, dir, &mut failures);
        headers += h;
        queries += q;
    }
    println!("aws-sigv4-suite through sigv4: {} cases, {headers} header and {queries} query checks", cases.len());
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    let having = |file: &str| cases.iter().filter(|(_, dir)| dir.join(file).is_file()).count();
    assert_eq!(headers, having("header-signature.txt") + having("header-signed-request.txt") - 1);
    assert_eq!(queries, having("query-signed-request.txt"));
}

/// An absolute URL: the host header comes from the URL, the URL keeps its origin, and a
/// session token is signed and sent.
#[test]
fn absolute_url_with_session_token() {
    let time = Time::parse_rfc3339("2026-11-25T12:00:00Z").unwrap();
    let key = Key { access_key_id: "ASIAEXAMPLE", secret_access_key: "secret", session_token: Some("tok/en+=") };
    let body = b"Action=GetCallerIdentity&Version=2011-06-15";
    let headers = [("content-type", "application/x-www-form-urlencoded; charset=utf-8")];
    let request =
        Request { method: "POST", url: "https://sts.amazonaws.com/", headers: &headers, payload: Payload::Bytes(body) };
    let settings = Settings::new("sts", "us-east-1", time);
    let signed = sigv4::sign(&request, &key, &settings).unwrap();
    assert_eq!(
        signed.canonical_request.as_str().lines().collect::<Vec<_>>()[3..7],
        [
            "content-type:application/x-www-form-urlencoded; charset=utf-8",
            "host:sts.amazonaws.com",
            "x-amz-date:20261125T120000Z",
            "x-amz-security-token:tok/en+=",
        ]
    );
    let authorization = &signed.headers.last().unwrap().1;
    assert!(authorization.starts_with(
        "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261125/us-east-1/sts/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="
    ));

    let presigned = sigv4::presign(&request, &key, &settings, 900).unwrap();
    assert!(presigned.url.starts_with("https://sts.amazonaws.com/?X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
    assert!(presigned.url.contains("&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-Signature="));
}

/// S3: the path is encoded once and not normalised, and `x-amz-content-sha256` carries
/// `UNSIGNED-PAYLOAD` when the body is not hashed.
#[test]
fn s3_settings() {
    let time = Time::parse_rfc3339("2026-11-25T12:00:00Z").unwrap();
    let key = Key { access_key_id: "AKIDEXAMPLE", secret_access_key: "secret", session_token: None };
    let request = Request {
        method: "PUT",
        url: "https://bucket.s3.amazonaws.com/a//b/../c%20d",
        headers: &[],
        payload: Payload::Unsigned,
    };
    let signed = sigv4::sign(&request, &key, &Settings::new("s3", "us-east-1", time)).unwrap();
    let lines: Vec<&str> = signed.canonical_request.as_str().lines().collect();
    assert_eq!(lines[1], "/a//b/../c%20d");
    assert_eq!(lines.last(), Some(&"UNSIGNED-PAYLOAD"));
    assert!(signed.headers.contains(&("x-amz-content-sha256".into(), "UNSIGNED-PAYLOAD".into())));
}

/// A presigned S3 URL signs `UNSIGNED-PAYLOAD` by default (as S3 checks it and the SDKs' S3
/// presigners sign it), whatever the request's payload; the setting turns it off.
#[test]
fn s3_presigned_urls_sign_an_unsigned_payload() {
    let time = Time::parse_rfc3339("2026-11-25T12:00:00Z").unwrap();
    let key = Key { access_key_id: "AKIDEXAMPLE", secret_access_key: "secret", session_token: None };
    let request = Request {
        method: "PUT",
        url: "https://bucket.s3.amazonaws.com/k",
        headers: &[],
        payload: Payload::Bytes(b"x"),
    };
    let s3 = Settings::new("s3", "us-east-1", time);
    let presigned = sigv4::presign(&request, &key, &s3, 60).unwrap();
    assert_eq!(presigned.canonical_request.as_str().lines().last(), Some("UNSIGNED-PAYLOAD"));
    let signed_body = Settings { presign_unsigned_payload: false, ..s3 };
    let presigned = sigv4::presign(&request, &key, &signed_body, 60).unwrap();
    assert_eq!(presigned.canonical_request.as_str().lines().last(), Some(sigv4::payload_hash(b"x").as_str()));
    // Other services sign the payload's hash.
    let sts = sigv4::presign(&request, &key, &Settings::new("sts", "us-east-1", time), 60).unwrap();
    assert_eq!(sts.canonical_request.as_str().lines().last(), Some(sigv4::payload_hash(b"x").as_str()));
}

/// Presigning moves `x-amz-*` headers into the query (as the AWS SDKs do) and reports the other
/// signed headers as the ones to send with the URL.
#[test]
fn presign_hoists_amz_headers() {
    let time = Time::parse_rfc3339("2026-11-25T12:00:00Z").unwrap();
    let key = Key { access_key_id: "AKIDEXAMPLE", secret_access_key: "secret", session_token: None };
    let headers = [("X-Amz-Target", "DynamoDB_20120810.ListTables"), ("Content-Type", "application/json")];
    let request =
        Request { method: "GET", url: "https://h.example/p?a=1", headers: &headers, payload: Payload::Bytes(b"") };
    let presigned = sigv4::presign(&request, &key, &Settings::new("dynamodb", "us-east-1", time), 60).unwrap();
    assert!(presigned
        .url
        .starts_with("https://h.example/p?a=1&X-Amz-Target=DynamoDB_20120810.ListTables&X-Amz-Algorithm="));
    assert!(presigned.url.contains("&X-Amz-SignedHeaders=content-type%3Bhost&"), "{}", presigned.url);
    assert_eq!(presigned.headers, [("Content-Type".to_string(), "application/json".to_string())]);
}

/// Presigned S3 URLs with the default settings against botocore's S3 query-string signer
/// (`tests/vectors/s3-presign/cases.json`): the same signature and the same query parameters
/// (their order in the URL may differ; the canonical query sorts them).
#[test]
fn s3_presigned_urls_match_botocore() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/s3-presign/cases.json");
    let vectors: serde_json::Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let params = |url: &str| {
        let mut p: Vec<String> = url.split_once('?').map_or("", |(_, q)| q).split('&').map(String::from).collect();
        p.sort();
        p
    };
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 8);
    for case in cases {
        let text = |k: &str| case[k].as_str().unwrap();
        let headers: Vec<(&str, &str)> =
            case["headers"].as_object().unwrap().iter().map(|(n, v)| (n.as_str(), v.as_str().unwrap())).collect();
        let request =
            Request { method: text("method"), url: text("url"), headers: &headers, payload: Payload::Bytes(b"") };
        let key = Key {
            access_key_id: text("accessKeyId"),
            secret_access_key: text("secretAccessKey"),
            session_token: case["sessionToken"].as_str(),
        };
        let settings = Settings::new("s3", text("region"), Time::parse_rfc3339(text("date")).unwrap());
        let expires = case["expiresIn"].as_u64().unwrap() as u32;
        let ours = sigv4::presign(&request, &key, &settings, expires).unwrap();
        let theirs = text("presignedUrl");
        assert_eq!(ours.url.split_once('?').unwrap().0, theirs.split_once('?').unwrap().0, "{}", text("url"));
        assert_eq!(params(&ours.url), params(theirs), "{}", text("url"));
    }
}

/// Service and region from the URL when the caller gives neither; a host that names neither is
/// refused with a typed error.
#[test]
fn scopes_are_inferred_from_aws_hosts_only() {
    let scope = |url| sigv4::infer_scope(url);
    assert_eq!(scope("https://sts.eu-west-1.amazonaws.com/"), Ok(("sts".into(), "eu-west-1".into())));
    assert_eq!(scope("https://bucket.s3.amazonaws.com/key?x=1"), Ok(("s3".into(), "us-east-1".into())));
    assert_eq!(
        scope("https://abc.execute-api.ap-south-1.amazonaws.com/prod"),
        Ok(("execute-api".into(), "ap-south-1".into()))
    );
    assert_eq!(scope("https://api.example.com/"), Err(sigv4::SigV4Error::UnknownScope));
    assert_eq!(scope("http://127.0.0.1:8080/"), Err(sigv4::SigV4Error::UnknownScope));
    assert_eq!(scope("/relative"), Err(sigv4::SigV4Error::InvalidUrl));
    assert_eq!(
        rolesanywhere::Error::from(sigv4::SigV4Error::UnknownScope).code(),
        rolesanywhere::ErrorCode::InvalidOptions
    );
}
