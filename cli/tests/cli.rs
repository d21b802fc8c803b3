//! End-to-end tests of the `rolesanywhere sign-request` binary: for every leaf type, key
//! format and chain option the printed JSON request is checked field by field, its canonical
//! request and string to sign are rebuilt independently and compared with `--explain`, and
//! the signature is verified by `openssl`; output is byte-identical across runs; and every
//! bad input exits non-zero with nothing on stdout and one line on stderr.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::Command;

use common::{openssl_sha256_hex, openssl_verify, unhex, Pki, AMZ_DATE, ANCHOR, DATE, PROFILE, ROLE, SCOPE};
use serde_json::Value;

fn pki() -> &'static Pki {
    common::shared()
}

struct Run {
    success: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run<S: AsRef<OsStr>>(args: &[S]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_rolesanywhere"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .expect("run the rolesanywhere binary");
    Run {
        success: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// `sign-request` with the three ARNs, `--date`, and the given certificate and key.
fn sign_args(cert: &Path, key: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["sign-request".into()];
    args.extend(support::sign_args(cert, key));
    args.extend(["--date".into(), DATE.into()]);
    args
}

/// Splits `--explain` stderr into (canonical request, string to sign).
fn explained(stderr: &str) -> (String, String) {
    let (before, sts) = stderr.split_once("\n== string to sign\n").expect("'== string to sign' in --explain output");
    let (_, canonical) =
        before.split_once("== canonical request\n").expect("'== canonical request' in --explain output");
    let sts = sts.strip_suffix('\n').expect("string to sign ends with a newline");
    (canonical.to_string(), sts.to_string())
}

/// The canonical request rebuilt from the printed request, from its SigV4 definition.
fn canonical_from_printed(url: &str, headers: &serde_json::Map<String, Value>, body: &str) -> String {
    let path = url.split_once("://").and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..])).expect("URL has a path");
    let mut lines: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("authorization"))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.as_str().unwrap().trim().to_string()))
        .collect();
    lines.sort();
    let mut text = format!("POST\n{path}\n\n");
    for (n, v) in &lines {
        text.push_str(&format!("{n}:{v}\n"));
    }
    let names: Vec<&str> = lines.iter().map(|(n, _)| n.as_str()).collect();
    text.push_str(&format!("\n{}\n{}", names.join(";"), openssl_sha256_hex(body.as_bytes())));
    text
}

struct Case<'a> {
    leaf: &'a str,
    cert_file: &'a str,
    key_file: &'a str,
    chain: bool,
    duration: Option<u32>,
    session_name: Option<&'a str>,
}

fn check_success(case: &Case<'_>) {
    let pki = pki();
    let leaf = pki.leaf(case.leaf);
    let what = format!("{} + {} (chain {})", case.cert_file, case.key_file, case.chain);
    let mut args = sign_args(&pki.path(case.cert_file), &pki.path(case.key_file));
    args.push("--explain".into());
    if case.chain {
        args.push("--intermediates".into());
        args.push(pki.path("chain.pem").into());
    }
    if let Some(d) = case.duration {
        args.push("--session-duration".into());
        args.push(d.to_string().into());
    }
    if let Some(name) = case.session_name {
        args.push("--role-session-name".into());
        args.push(name.into());
    }
    let out = run(&args);
    assert!(out.success, "{what}: exit {:?}, stderr {}", out.code, out.stderr);

    // Exactly one JSON object on stdout.
    let mut values = serde_json::Deserializer::from_str(&out.stdout).into_iter::<Value>();
    let request = values.next().expect("a JSON value").expect("valid JSON");
    assert!(values.next().is_none(), "{what}: more than one JSON value on stdout");
    let object = request.as_object().expect("a JSON object");
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    assert_eq!(keys, ["method", "url", "headers", "body"], "{what}");
    assert_eq!(object["method"], "POST");
    let url = object["url"].as_str().unwrap();
    assert_eq!(url, "https://rolesanywhere.us-west-2.amazonaws.com/sessions");

    // Headers.
    let headers = object["headers"].as_object().expect("headers is an object");
    let names: Vec<&str> = headers.keys().map(String::as_str).collect();
    let mut expected = vec!["Content-Type", "Host", "X-Amz-Date", "X-Amz-X509"];
    if case.chain {
        expected.push("X-Amz-X509-Chain");
    }
    expected.push("Authorization");
    assert_eq!(names, expected, "{what}");
    assert!(headers.values().all(Value::is_string), "{what}");
    assert_eq!(headers["Content-Type"], "application/json");
    assert_eq!(headers["Host"], "rolesanywhere.us-west-2.amazonaws.com");
    assert_eq!(headers["X-Amz-Date"], AMZ_DATE);
    let leaf_der = pki.read(leaf["cert_der"].as_str().unwrap());
    assert_eq!(headers["X-Amz-X509"], common::base64(&leaf_der), "{what}");
    if case.chain {
        assert_eq!(headers["X-Amz-X509-Chain"], pki.pem_bodies("chain.pem").join(","), "{what}");
    }

    // Body.
    let body_text = object["body"].as_str().expect("body is a JSON string");
    let body: Value = serde_json::from_str(body_text).expect("body holds JSON");
    let mut expected_body = serde_json::json!({
        "profileArn": PROFILE,
        "roleArn": ROLE,
        "trustAnchorArn": ANCHOR,
    });
    if let Some(d) = case.duration {
        expected_body["durationSeconds"] = d.into();
    }
    if let Some(name) = case.session_name {
        expected_body["roleSessionName"] = name.into();
    }
    assert_eq!(body, expected_body, "{what}");

    // Authorization.
    let auth = headers["Authorization"].as_str().unwrap();
    let algorithm = if leaf["key_type"] == "rsa2048" { "AWS4-X509-RSA-SHA256" } else { "AWS4-X509-ECDSA-SHA256" };
    let signed_headers = if case.chain {
        "content-type;host;x-amz-date;x-amz-x509;x-amz-x509-chain"
    } else {
        "content-type;host;x-amz-date;x-amz-x509"
    };
    let prefix = format!(
        "{algorithm} Credential={}/{SCOPE}, SignedHeaders={signed_headers}, Signature=",
        leaf["serial_decimal"].as_str().unwrap()
    );
    let signature_hex = auth.strip_prefix(&prefix).unwrap_or_else(|| panic!("{what}: {auth}\nwanted {prefix}"));
    assert!(
        signature_hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{what}: signature is lower-case hex"
    );
    let signature = unhex(signature_hex);

    // The canonical request and string to sign: --explain's, and rebuilt from the output.
    let (explained_canonical, explained_sts) = explained(&out.stderr);
    let canonical = canonical_from_printed(url, headers, body_text);
    assert_eq!(explained_canonical, canonical, "{what}: canonical request");
    let sts = format!("{algorithm}\n{AMZ_DATE}\n{SCOPE}\n{}", openssl_sha256_hex(canonical.as_bytes()));
    assert_eq!(explained_sts, sts, "{what}: string to sign");
    assert!(openssl_verify(&pki.path(case.cert_file), sts.as_bytes(), &signature), "{what}: openssl does not verify");
}

/// Every key format of a leaf, with and without the chain; PEM and DER certificates.
fn check_leaf(leaf: &str) {
    let entry = pki().leaf(leaf);
    let cert_pem = entry["cert"].as_str().unwrap();
    let cert_der = entry["cert_der"].as_str().unwrap();
    let keys: Vec<&str> = entry["keys"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
    assert!(keys.len() >= 4, "{leaf}: {keys:?}");
    for (i, key_file) in keys.iter().enumerate() {
        for chain in [false, true] {
            let cert_file = if key_file.ends_with(".der") { cert_der } else { cert_pem };
            // Options on some runs: duration, session name, both.
            let (duration, session_name) = match (i + usize::from(chain)) % 3 {
                0 => (None, None),
                1 => (Some(3600), None),
                _ => (Some(900), Some("cli-test@example.com")),
            };
            check_success(&Case { leaf, cert_file, key_file, chain, duration, session_name });
        }
    }
}

#[test]
fn p256_every_key_format() {
    check_leaf("p256");
}

#[test]
fn p384_every_key_format() {
    check_leaf("p384");
}

#[test]
fn rsa2048_every_key_format() {
    check_leaf("rsa2048");
}

#[test]
fn same_inputs_give_byte_identical_output() {
    for (cert, key) in
        [("p256.pem", "p256.sec1.pem"), ("p384.pem", "p384.pkcs8.der"), ("rsa2048.pem", "rsa2048.pkcs1.pem")]
    {
        let mut args = sign_args(&pki().path(cert), &pki().path(key));
        args.push("--intermediates".into());
        args.push(pki().path("chain.pem").into());
        let first = run(&args);
        let second = run(&args);
        assert!(first.success, "{cert}: {}", first.stderr);
        assert_eq!(first.stdout, second.stdout, "{cert}: two runs differ");
        assert!(first.stderr.is_empty(), "{cert}: stderr without --explain: {}", first.stderr);
        // --explain changes stderr only.
        args.push("--explain".into());
        assert_eq!(run(&args).stdout, first.stdout, "{cert}: --explain changed stdout");
    }
}

#[test]
fn endpoint_region_and_fips_options() {
    let mut args = sign_args(&pki().path("p256.pem"), &pki().path("p256.pkcs8.pem"));
    args.extend(["--endpoint", "http://127.0.0.1:8080", "--region", "us-west-2"].map(OsString::from));
    let out = run(&args);
    assert!(out.success, "{}", out.stderr);
    let request: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(request["url"], "http://127.0.0.1:8080/sessions");
    assert_eq!(request["headers"]["Host"], "127.0.0.1:8080");

    let mut args = sign_args(&pki().path("p256.pem"), &pki().path("p256.pkcs8.pem"));
    args.push("--fips".into());
    let out = run(&args);
    assert!(out.success, "{}", out.stderr);
    let request: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(request["url"], "https://rolesanywhere-fips.us-west-2.amazonaws.com/sessions");
}

/// Runs a failing command: non-zero exit, nothing on stdout, exactly one line on stderr that
/// contains every keyword (case-insensitive).
fn check_failure(what: &str, args: &[OsString], keywords: &[&str]) {
    let out = run(args);
    assert!(!out.success, "{what}: succeeded; stdout {}", out.stdout);
    assert!(out.code.is_some_and(|c| c != 0), "{what}: exit {:?}", out.code);
    assert!(out.stdout.is_empty(), "{what}: stdout {:?}", out.stdout);
    assert!(
        out.stderr.ends_with('\n') && out.stderr.matches('\n').count() == 1,
        "{what}: stderr is not exactly one line: {:?}",
        out.stderr
    );
    assert!(out.stderr.starts_with("error: "), "{what}: stderr does not start with 'error: ': {:?}", out.stderr);
    let lower = out.stderr.to_lowercase();
    for keyword in keywords {
        assert!(lower.contains(&keyword.to_lowercase()), "{what}: {keyword:?} not in {:?}", out.stderr);
    }
    assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
}

/// `args` with the value after `flag` replaced.
fn with(args: &[OsString], flag: &str, value: impl Into<OsString>) -> Vec<OsString> {
    let mut args = args.to_vec();
    let at = args.iter().position(|a| a == flag).unwrap_or_else(|| panic!("{flag} in args"));
    args[at + 1] = value.into();
    args
}

/// `args` without `flag` and its value.
fn without(args: &[OsString], flag: &str) -> Vec<OsString> {
    let mut args = args.to_vec();
    let at = args.iter().position(|a| a == flag).unwrap_or_else(|| panic!("{flag} in args"));
    args.drain(at..at + 2);
    args
}

#[test]
fn bad_inputs_fail_with_one_line() {
    let pki = pki();
    let tmp = tempfile::tempdir().unwrap();
    let garbage = tmp.path().join("garbage.pem");
    std::fs::write(&garbage, b"this is not a certificate or a key\n").unwrap();
    let garbage_der = tmp.path().join("garbage.der");
    std::fs::write(&garbage_der, [0x30, 0x82, 0x01, 0x00, 0x02, 0x01]).unwrap();
    let empty = tmp.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    let big = tmp.path().join("big.pem");
    std::fs::write(&big, vec![b'A'; 300 * 1024]).unwrap();
    let good = sign_args(&pki.path("p256.pem"), &pki.path("p256.pkcs8.pem"));
    assert!(run(&good).success);

    let missing = tmp.path().join("no-such-file.pem");
    check_failure("missing certificate", &with(&good, "--certificate", &missing), &["--certificate", "no-such-file"]);
    check_failure("missing key", &with(&good, "--private-key", &missing), &["--private-key", "no-such-file"]);
    check_failure("certificate is a directory", &with(&good, "--certificate", tmp.path()), &["--certificate"]);
    check_failure("garbage certificate", &with(&good, "--certificate", &garbage), &["certificate", "malformed"]);
    check_failure(
        "garbage DER certificate",
        &with(&good, "--certificate", &garbage_der),
        &["certificate", "malformed"],
    );
    check_failure("empty certificate", &with(&good, "--certificate", &empty), &["--certificate", "no certificate"]);
    check_failure("oversize certificate", &with(&good, "--certificate", &big), &["--certificate", "larger"]);
    check_failure("garbage key", &with(&good, "--private-key", &garbage), &["private key", "malformed"]);
    check_failure(
        "key given as certificate",
        &with(&good, "--certificate", pki.path("p256.pkcs8.pem")),
        &["--certificate", "PRIVATE KEY"],
    );
    check_failure(
        "certificate given as key",
        &with(&good, "--private-key", pki.path("p256.pem")),
        &["--private-key", "CERTIFICATE"],
    );
    for encrypted in ["p256.pkcs8-encrypted.pem", "p256.sec1-encrypted.pem"] {
        check_failure(encrypted, &with(&good, "--private-key", pki.path(encrypted)), &["encrypted"]);
    }
    let rsa = sign_args(&pki.path("rsa2048.pem"), &pki.path("rsa2048.pkcs1-encrypted.pem"));
    check_failure("encrypted RSA key", &rsa, &["encrypted", "needs a password"]);
    check_failure("mismatched key", &with(&good, "--private-key", pki.path("other.pkcs8.pem")), &["does not match"]);
    check_failure(
        "RSA key for a P-256 certificate",
        &with(&good, "--private-key", pki.path("rsa2048.pkcs8.pem")),
        &["AWS4-X509-ECDSA-SHA256", "AWS4-X509-RSA-SHA256"],
    );
    check_failure("unsupported key", &with(&good, "--private-key", pki.path("ed25519.key")), &["Ed25519"]);
    check_failure("expired certificate", &with(&good, "--certificate", pki.path("expired.pem")), &["expired"]);
    check_failure(
        "not yet valid certificate",
        &with(&good, "--certificate", pki.path("notyet.pem")),
        &["not valid until"],
    );
    check_failure("CA certificate", &with(&good, "--certificate", pki.path("ca-leaf.pem")), &["CA"]);
    check_failure("two certificates", &with(&good, "--certificate", pki.path("bundle.pem")), &["more than one"]);
    let mut six = good.clone();
    six.extend(["--intermediates".into(), pki.path("six-intermediates.pem").into()]);
    check_failure("six intermediates", &six, &["--intermediates", "6 intermediate"]);

    let mut duration = good.clone();
    duration.extend(["--session-duration", "899"].map(OsString::from));
    check_failure("duration 899", &duration, &["duration", "899"]);
    check_failure("duration 43201", &with(&duration, "--session-duration", "43201"), &["duration", "43201"]);
    check_failure(
        "duration not a number",
        &with(&duration, "--session-duration", "an hour"),
        &["--session-duration", "invalid value"],
    );
    let mut name = good.clone();
    name.extend(["--role-session-name", "bad name"].map(OsString::from));
    check_failure("bad role session name", &name, &["role session name"]);

    check_failure(
        "bad trust anchor ARN",
        &with(&good, "--trust-anchor-arn", "arn:aws:iam::123456789012:role/demo"),
        &["trustAnchorArn"],
    );
    check_failure(
        "profile ARN in the trust anchor field",
        &with(&good, "--trust-anchor-arn", PROFILE),
        &["trustAnchorArn"],
    );
    check_failure(
        "bad profile ARN",
        &with(&good, "--profile-arn", "arn:aws:rolesanywhere:us-west-2:123:profile/x"),
        &["profileArn"],
    );
    check_failure("bad role ARN", &with(&good, "--role-arn", "arn:aws:iam::123456789012:user/demo"), &["roleArn"]);
    let mut region = good.clone();
    region.extend(["--region", "eu-west-1"].map(OsString::from));
    check_failure("region mismatch", &region, &["eu-west-1", "us-west-2"]);
    let mut endpoint = good.clone();
    endpoint.extend(["--endpoint", "ftp://example.test"].map(OsString::from));
    check_failure("bad endpoint", &endpoint, &["endpoint"]);

    for date in ["garbage", "2024-06-01", "2024-13-01T00:00:00Z", ""] {
        check_failure(&format!("--date {date:?}"), &with(&good, "--date", date), &["--date", "time"]);
    }
    check_failure("missing --role-arn", &without(&good, "--role-arn"), &["required", "--role-arn"]);
    check_failure("missing --certificate", &without(&good, "--certificate"), &["required", "--certificate"]);
    check_failure("missing --private-key", &without(&good, "--private-key"), &["required", "--private-key"]);
    let mut unknown = good.clone();
    unknown.push("--no-such-flag".into());
    check_failure("unknown flag", &unknown, &["--no-such-flag"]);
    check_failure("sign-request alone", &["sign-request".into()], &["required", "--certificate", "--role-arn"]);
}

/// With no arguments clap answers with its help text (`DisplayHelpOnMissingArgumentOrSubcommand`);
/// the tool prints one `error:` line naming the missing subcommand instead.
#[test]
fn no_arguments_names_the_missing_subcommand() {
    check_failure("no arguments", &[] as &[OsString], &["subcommand"]);
}

#[test]
fn help_and_version_succeed() {
    let help = run(&["--help"]);
    assert!(help.success);
    assert!(help.stdout.contains("sign-request"), "{}", help.stdout);
    let help = run(&["sign-request", "--help"]);
    assert!(help.success);
    for flag in ["--certificate", "--private-key", "--intermediates", "--session-duration", "--date", "--explain"] {
        assert!(help.stdout.contains(flag), "{flag} in help");
    }
    let version = run(&["--version"]);
    assert!(version.success);
    assert!(version.stdout.starts_with("rolesanywhere "), "{}", version.stdout);
}

/// File paths in errors are escaped (`{:?}`, as the `--date` value is), so a path holding a
/// newline still gives one line.
#[test]
fn a_path_with_a_newline_still_gives_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let odd = tmp.path().join("odd\nname.pem");
    std::fs::write(&odd, b"garbage").unwrap();
    let good = sign_args(&pki().path("p256.pem"), &pki().path("p256.pkcs8.pem"));
    check_failure("certificate path with a newline", &with(&good, "--certificate", &odd), &["--certificate"]);
    let missing = tmp.path().join("missing\nkey.pem");
    check_failure("missing key path with a newline", &with(&good, "--private-key", &missing), &["--private-key"]);
}

/// A huge flag value is not echoed whole: the error line stays short (a 70 KB `--date`, a 70 KB
/// `--session-duration` that clap refuses, a 70 KB path).
#[test]
fn huge_inputs_are_not_echoed_whole() {
    let good = sign_args(&pki().path("p256.pem"), &pki().path("p256.pkcs8.pem"));
    let huge = "9".repeat(70 * 1024);
    let mut duration = good.clone();
    duration.extend(["--session-duration".into(), format!("x{huge}").into()]);
    let long_path = format!("/{}", "d/".repeat(35 * 1024));
    for (what, args, keywords) in [
        ("--date", with(&good, "--date", &huge), &["--date", "time"][..]),
        ("--session-duration", duration, &["--session-duration", "invalid value"][..]),
        ("--certificate", with(&good, "--certificate", &long_path), &["--certificate"][..]),
    ] {
        check_failure(what, &args, keywords);
        let stderr = run(&args).stderr;
        assert!(stderr.len() < 1200, "{what}: {} bytes of stderr", stderr.len());
    }
}
