//! Runs every case of the AWS SigV4 test suite (`tests/vectors/aws-sigv4-suite/v4`, from
//! awslabs/aws-c-auth by way of the `aws-sigv4` crate) through
//! `rolesanywhere::canonical_request`.
//!
//! For each case folder the test parses `request.txt`, plays the part of a SigV4 signer
//! configured by `context.json` (it adds `X-Amz-Date`, and `X-Amz-Security-Token` /
//! `X-Amz-Content-Sha256` when the context asks for them; for presigning it adds the
//! `X-Amz-*` query parameters instead), and compares the canonical request and the string to
//! sign with the expected files, for both the `header-*` and the `query-*` variants.

mod common;

use common::suite::{amz_date, cases, parse_request, path_options, read_context, read_expected, ALGORITHM};
use rolesanywhere::sigv4::{
    payload_hash, signed_headers, string_to_sign, uri_encode_into, CanonicalRequest, PathOptions,
};
use std::fs;
use std::path::Path;

fn encode(value: &str) -> String {
    let mut out = String::new();
    uri_encode_into(value, true, &mut out);
    out
}

#[derive(Default)]
struct Counts {
    header_creq: usize,
    header_sts: usize,
    query_creq: usize,
    query_sts: usize,
}

fn compare(failures: &mut Vec<String>, case: &str, what: &str, expected: &str, actual: &str) {
    if expected != actual {
        println!("MISMATCH {case}: {what}");
        failures.push(format!("{case}: {what}\n--- expected\n{expected}\n--- actual\n{actual}\n"));
    }
}

fn check_case(case: &str, dir: &Path, counts: &mut Counts, failures: &mut Vec<String>) {
    let request_bytes =
        fs::read(dir.join("request.txt")).unwrap_or_else(|e| panic!("{case}: cannot read request.txt: {e}"));
    let request = parse_request(case, &request_bytes);
    let context = read_context(case, dir);
    let date = amz_date(case, &context.timestamp);
    let scope = format!("{}/{}/{}/aws4_request", &date[..8], context.region, context.service);
    let body_hash = payload_hash(&request.body);
    let options = path_options(case, &context);
    let session_token = context.session_token.as_deref().filter(|_| !context.omit_session_token);

    // The signer sets X-Amz-Date itself, replacing any the request carried
    // (double-encode-path has a stale one).
    let base_headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .filter(|(name, _)| !name.trim().eq_ignore_ascii_case("x-amz-date"))
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();

    // Signing with the Authorization header: every request header is signed, plus the ones
    // the signer adds: X-Amz-Date, X-Amz-Security-Token when there is a session token and
    // the context does not say to add it only after signing (post-sts-header-after), and
    // X-Amz-Content-Sha256 when the context says to sign the body (sign_body).
    let mut headers = base_headers.clone();
    headers.push(("X-Amz-Date", &date));
    if let Some(token) = session_token {
        headers.push(("X-Amz-Security-Token", token));
    }
    if context.sign_body {
        headers.push(("X-Amz-Content-Sha256", &body_hash));
    }
    let creq = CanonicalRequest::new(&request.method, &request.path, &request.query, &headers, &body_hash, options);
    // Every case has this file; a missing one would fail the count check below.
    if let Some(expected) = read_expected(dir, "header-canonical-request.txt") {
        compare(failures, case, "header canonical request", &expected, creq.as_str());
        counts.header_creq += 1;

        if case == "get-space-normalized" {
            // See path_options: the path as aws-c-auth has it, with the default rules.
            let upstream = CanonicalRequest::new(
                &request.method,
                "/example space/",
                &request.query,
                &headers,
                &body_hash,
                PathOptions::DEFAULT,
            );
            compare(
                failures,
                case,
                "header canonical request (aws-c-auth path, default rules)",
                &expected,
                upstream.as_str(),
            );
        }
    }
    // double-encode-path has no header-string-to-sign.txt (aws-sigv4 only checks its
    // canonical request and signature), so only the string to sign is skipped for it.
    if let Some(expected) = read_expected(dir, "header-string-to-sign.txt") {
        let sts = string_to_sign(ALGORITHM, &date, &scope, &creq);
        compare(failures, case, "header string to sign", &expected, &sts);
        counts.header_sts += 1;
    }

    // Presigning (query parameters): the request headers are signed as they are, and the
    // signer adds X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders and
    // (with a session token, as above) -Security-Token to the query. The payload hash is
    // still that of the body. double-encode-path and double-url-encode have no query-*
    // files, so this part is skipped for them.
    let expected_query_creq = read_expected(dir, "query-canonical-request.txt");
    let expected_query_sts = read_expected(dir, "query-string-to-sign.txt");
    if expected_query_creq.is_some() || expected_query_sts.is_some() {
        let signed_headers = signed_headers(&base_headers);
        let mut query = request.query.clone();
        let mut add = |name: &str, value: &str| {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(name);
            query.push('=');
            query.push_str(&encode(value));
        };
        add("X-Amz-Algorithm", ALGORITHM);
        add("X-Amz-Credential", &format!("{}/{scope}", context.access_key_id));
        add("X-Amz-Date", &date);
        add("X-Amz-SignedHeaders", &signed_headers);
        add("X-Amz-Expires", &context.expiration_in_seconds.to_string());
        if let Some(token) = session_token {
            add("X-Amz-Security-Token", token);
        }
        let creq = CanonicalRequest::new(&request.method, &request.path, &query, &base_headers, &body_hash, options);
        if let Some(expected) = expected_query_creq {
            compare(failures, case, "query canonical request", &expected, creq.as_str());
            counts.query_creq += 1;
        }
        if let Some(expected) = expected_query_sts {
            let sts = string_to_sign(ALGORITHM, &date, &scope, &creq);
            compare(failures, case, "query string to sign", &expected, &sts);
            counts.query_sts += 1;
        }
    }
}

#[test]
fn aws_sigv4_suite() {
    let cases = cases();

    let having = |file: &str| cases.iter().filter(|(_, dir)| dir.join(file).is_file()).count();
    let expected_counts = Counts {
        header_creq: having("header-canonical-request.txt"),
        header_sts: having("header-string-to-sign.txt"),
        query_creq: having("query-canonical-request.txt"),
        query_sts: having("query-string-to-sign.txt"),
    };

    let mut counts = Counts::default();
    let mut failures = Vec::new();
    for (case, dir) in &cases {
        check_case(case, dir, &mut counts, &mut failures);
    }

    println!(
        "aws-sigv4-suite: {} cases; checked {} header canonical requests, {} header strings \
         to sign, {} query canonical requests, {} query strings to sign; {} mismatches",
        cases.len(),
        counts.header_creq,
        counts.header_sts,
        counts.query_creq,
        counts.query_sts,
        failures.len(),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(counts.header_creq >= expected_counts.header_creq);
    assert!(counts.header_sts >= expected_counts.header_sts);
    assert!(counts.query_creq >= expected_counts.query_creq);
    assert!(counts.query_sts >= expected_counts.query_sts);
    // Every case has at least its header canonical request checked.
    assert_eq!(counts.header_creq, cases.len());
}

#[test]
fn request_parser() {
    let request = parse_request(
        "inline",
        b"POST /a b/?x=1&y HTTP/1.1\r\nHost:h\r\nMy-Header1:value1\r\n  value2\r\n\tvalue3\r\n\r\nbody\n",
    );
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/a b/");
    assert_eq!(request.query, "x=1&y");
    assert_eq!(
        request.headers,
        vec![("Host".to_string(), "h".to_string()), ("My-Header1".to_string(), "value1 value2 value3".to_string()),]
    );
    assert_eq!(request.body, b"body\n");

    let request = parse_request("inline", b"GET / HTTP/1.1\nHost:h\n");
    assert_eq!(request.headers.len(), 1);
    assert!(request.body.is_empty());
}
