//! End-to-end tests of `rolesanywhere stand-in`: the binary is started on a free loopback port
//! with a pinned clock (`--now`), configured with the test PKI (`tests/pki/generate.sh`) in the
//! guide's terms (trust anchor with two CAs, the guide's trust policy on a SPIFFE ID, profiles),
//! and sent CreateSession requests signed by this crate's client (the library, and the CLI's
//! `sign-request`) and STS requests signed with `rolesanywhere::sigv4`. Each failure case checks
//! the status, AWS's error type and that the message names the rule.

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../../tests/common/mldsa.rs"]
mod mldsa;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::Duration;

use common::{guide_trust_policy, Pki, ANCHOR, DATE, PROFILE, ROLE};
use rolesanywhere::sigv4::{self as canonical_request, CanonicalRequest, PathOptions};
use rolesanywhere::Certificate;
use rolesanywhere::{parse_response, CreateSession, PrivateKey, Signer, Time};
use serde_json::{json, Value};
use support::{chained_trust_policy, send, sts_headers, xml_text, Response, Server, ACCOUNT, ROLE_CHAINED};

/// A profile that accepts role session names and caps sessions at 900 s.
const PROFILE_NAMES: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:profile/accept-names";
/// A disabled profile.
const PROFILE_OFF: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:profile/disabled";
/// A role that is not in PROFILE.
const ROLE_OTHER: &str = "arn:aws:iam::123456789012:role/other";
/// A role whose trust policy tests every certificate-derived key.
const ROLE_TAGS: &str = "arn:aws:iam::123456789012:role/tags";
/// A trust anchor whose bundle holds only the secondary root (the test leaves chain to the primary).
const ANCHOR_SECOND_ONLY: &str =
    "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/a1b2c3d4-5678-90ab-cdef-EXAMPLE33333";
/// The same setup in another region, served by the same stand-in.
const ANCHOR_EU: &str = "arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/eu-anchor";
const PROFILE_EU: &str = "arn:aws:rolesanywhere:eu-west-1:123456789012:profile/eu-profile";
/// And in the China partition.
const ANCHOR_CN: &str = "arn:aws-cn:rolesanywhere:cn-north-1:123456789012:trust-anchor/cn-anchor";
const PROFILE_CN: &str = "arn:aws-cn:rolesanywhere:cn-north-1:123456789012:profile/cn-profile";
const ROLE_CN: &str = "arn:aws-cn:iam::123456789012:role/demo";

/// The test PKI, with the stand-in's configuration written into it once.
fn pki() -> &'static Pki {
    static CONFIG: OnceLock<()> = OnceLock::new();
    let pki = common::shared();
    CONFIG.get_or_init(|| {
        write_config(pki, "stand-in.json");
    });
    pki
}

/// Writes the configuration into the PKI directory (bundle files are relative to it).
fn write_config(pki: &Pki, name: &str) -> PathBuf {
    // The primary bundle lists the secondary root first: every success below chains to the
    // bundle's second CA.
    std::fs::write(pki.path("bundle-rotated.pem"), pki.read_str("root2.pem") + &pki.read_str("root.pem")).unwrap();
    let mut config = json!({
        "trustAnchors": [
            {"arn": ANCHOR, "certificateBundleFile": "bundle-rotated.pem"},
            {"arn": ANCHOR_SECOND_ONLY, "certificateBundle": pki.read_str("root2.pem")},
            {"arn": ANCHOR_EU, "certificateBundleFile": "bundle.pem"},
            {"arn": ANCHOR_CN, "certificateBundleFile": "bundle.pem"}
        ],
        "roles": [
            {"arn": ROLE, "trustPolicy": guide_trust_policy(&[ANCHOR, ANCHOR_SECOND_ONLY, ANCHOR_EU])},
            {"arn": ROLE_OTHER, "trustPolicy": guide_trust_policy(&[ANCHOR])},
            {"arn": ROLE_CN, "trustPolicy": guide_trust_policy(&[ANCHOR_CN])},
            {"arn": ROLE_TAGS, "trustPolicy": tags_trust_policy()},
            {"arn": ROLE_CHAINED, "trustPolicy": chained_trust_policy()}
        ],
        "profiles": [
            {"arn": PROFILE, "roleArns": [ROLE], "durationSeconds": 3600},
            {"arn": PROFILE_NAMES, "roleArns": [ROLE, ROLE_OTHER, ROLE_TAGS], "durationSeconds": 900, "acceptRoleSessionName": true},
            {"arn": PROFILE_OFF, "roleArns": [ROLE], "enabled": false},
            {"arn": PROFILE_EU, "roleArns": [ROLE]},
            {"arn": PROFILE_CN, "roleArns": [ROLE_CN]}
        ]
    });
    add_aws_rules_config(pki, &mut config);
    let path = pki.path(name);
    std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    path
}

/// The guide's trust policy with conditions on every certificate-derived key instead of the
/// guide's two.
fn tags_trust_policy() -> Value {
    let mut policy = guide_trust_policy(&[]);
    policy["Statement"][0]["Condition"] = json!({
        "StringEquals": {
            "aws:PrincipalTag/x509Subject/CN": "p256",
            "aws:PrincipalTag/x509Subject/O": "Test",
            "aws:PrincipalTag/x509Issuer/CN": "Test Intermediate CA",
            "aws:PrincipalTag/x509Issuer/O": "Test",
            "aws:PrincipalTag/x509SAN/DNS": "app.example.test",
            "sts:SourceIdentity": "CN=p256",
            "aws:SourceAccount": ACCOUNT
        },
        "ArnLike": {"aws:SourceArn": "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/*"},
        "Null": {"aws:PrincipalTag/x509SAN/Name/CN": "true"}
    });
    policy
}

/// A running stand-in; killed when dropped.
struct StandIn {
    server: Server,
    port: u16,
}

impl StandIn {
    fn start(config: &Path, now: &str) -> StandIn {
        let server = support::stand_in(config, Some(now));
        let port = server.base.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port in the address");
        StandIn { server, port }
    }

    fn base(&self) -> String {
        self.server.base.clone()
    }

    fn log(&self) -> String {
        // Let the last log line arrive.
        std::thread::sleep(Duration::from_millis(100));
        self.server.log()
    }
}

thread_local! {
    static STAND_IN: std::cell::OnceCell<Rc<StandIn>> = const { std::cell::OnceCell::new() };
}

/// The stand-in of the current test, pinned at the fixture's signing time. One per test thread,
/// so that it is killed when the test ends (a `static` would never be dropped and would outlive
/// the test binary).
fn shared() -> Rc<StandIn> {
    STAND_IN.with(|cell| cell.get_or_init(|| Rc::new(StandIn::start(&pki().path("stand-in.json"), DATE))).clone())
}

/// A CreateSession request built by hand (so that failure cases can break any rule), signed
/// with `key` over the string to sign of what is sent.
struct Raw<'a> {
    leaf: &'a str,
    key: &'a str,
    chain: Option<&'a str>,
    date: &'a str,
    region: &'a str,
    host: Option<String>,
    algorithm: Option<&'a str>,
    body: Value,
    query: String,
}

impl<'a> Raw<'a> {
    fn new(leaf: &'a str, key: &'a str) -> Self {
        Raw {
            leaf,
            key,
            chain: Some("chain.pem"),
            date: DATE,
            region: "us-west-2",
            host: None,
            algorithm: None,
            body: json!({"trustAnchorArn": ANCHOR, "profileArn": PROFILE, "roleArn": ROLE}),
            query: String::new(),
        }
    }

    fn body(mut self, f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Self {
        f(self.body.as_object_mut().unwrap());
        self
    }

    /// (headers, body) of the signed request.
    fn build(&self, port: u16) -> (Vec<(String, String)>, String) {
        let pki = pki();
        let leaf = Certificate::parse(&pki.read(self.leaf)).unwrap();
        let key = PrivateKey::parse(&pki.read(self.key)).unwrap();
        let time = Time::parse_rfc3339(self.date).unwrap();
        let body = self.body.to_string();
        let mut headers: Vec<(String, String)> = vec![
            ("content-type".into(), "application/json".into()),
            ("host".into(), self.host.clone().unwrap_or(format!("127.0.0.1:{port}"))),
            ("x-amz-date".into(), time.amz_date()),
            ("x-amz-x509".into(), common::base64(leaf.der())),
        ];
        if let Some(chain) = self.chain {
            let certs = rolesanywhere::parse_certificates(&pki.read(chain)).unwrap();
            let list: Vec<String> = certs.iter().map(|c| common::base64(c.der())).collect();
            headers.push(("x-amz-x509-chain".into(), list.join(",")));
        }
        let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let canonical = CanonicalRequest::new(
            "POST",
            "/sessions",
            &self.query,
            &pairs,
            &canonical_request::payload_hash(body.as_bytes()),
            PathOptions::DEFAULT,
        );
        let algorithm = self.algorithm.unwrap_or(key.algorithm().name());
        let scope = format!("{}/{}/rolesanywhere/aws4_request", time.date_stamp(), self.region);
        let sts = canonical_request::string_to_sign(algorithm, &time.amz_date(), &scope, &canonical);
        let signature = key.sign(sts.as_bytes()).unwrap();
        headers.push((
            "authorization".into(),
            format!(
                "{algorithm} Credential={}/{scope}, SignedHeaders={}, Signature={}",
                leaf.serial_number(),
                canonical.signed_headers(),
                common::hex(&signature)
            ),
        ));
        (headers, body)
    }

    fn send(&self) -> Response {
        let s = shared();
        let (headers, body) = self.build(s.port);
        let target = if self.query.is_empty() { "/sessions".to_string() } else { format!("/sessions?{}", self.query) };
        send(s.port, "POST", &target, &headers, body.as_bytes())
    }
}

/// Sends a request signed by the library's client (`CreateSession`) to the stand-in.
fn client_request(
    leaf: &str,
    key: &str,
    profile: &str,
    role: &str,
    options: impl FnOnce(CreateSession<'_>) -> CreateSession<'_>,
) -> Response {
    let s = shared();
    let pki = pki();
    let cert = Certificate::parse(&pki.read(leaf)).unwrap();
    let chain = rolesanywhere::parse_intermediates(&pki.read("chain.pem")).unwrap();
    let key = PrivateKey::parse(&pki.read(key)).unwrap();
    let base = s.base();
    let request =
        options(CreateSession::new(&cert, ANCHOR, profile, role).intermediates(&chain).endpoint(Some(base.as_str())))
            .prepare(Time::parse_rfc3339(DATE).unwrap())
            .unwrap()
            .sign(&key)
            .unwrap();
    assert_eq!(request.url, format!("{base}/sessions"));
    send(s.port, "POST", "/sessions", &request.headers, request.body.as_bytes())
}

fn assert_error(r: &Response, status: u16, kind: &str, words: &[&str]) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.header("x-amzn-errortype"), Some(kind), "{}", r.body);
    let message = r.json()["message"].as_str().unwrap_or_default().to_string();
    for w in words {
        assert!(message.contains(w), "message {message:?} should mention {w:?}");
    }
    // The client's parser reads it as the same error.
    let e = parse_response(r.status, r.header("x-amzn-errortype"), r.body.as_bytes()).unwrap_err();
    assert!(e.to_string().contains(kind), "{e}");
}

/// Checks a 201 answer field by field with the client's parser and returns the session JSON.
fn assert_session(r: &Response, leaf: &str, session_name: Option<&str>, expiration: &str) -> Value {
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let session = parse_response(r.status, None, r.body.as_bytes()).expect("the client parses the answer");
    let name = session_name.map_or_else(|| hex_serial(&format!("{leaf}.pem")), str::to_string);
    let c = &session.credentials;
    assert!(c.access_key_id().starts_with("ASIA") && c.access_key_id().len() == 20, "{}", c.access_key_id());
    assert!(c.access_key_id().bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
    assert_eq!(c.secret_access_key().len(), 40);
    assert!(!c.session_token().is_empty());
    assert_eq!(c.expiration().to_string(), expiration);
    assert_eq!(
        session.assumed_role_arn.as_deref(),
        Some(format!("arn:aws:sts::{ACCOUNT}:assumed-role/demo/{name}").as_str())
    );
    let id = session.assumed_role_id.clone().unwrap();
    assert!(id.starts_with("AROA") && id.ends_with(&format!(":{name}")), "{id}");
    assert_eq!(session.role_arn.as_deref(), Some(ROLE));
    assert_eq!(session.source_identity, Some(format!("CN={leaf}")));
    assert!(session.subject_arn.unwrap().starts_with(&format!("arn:aws:rolesanywhere:us-west-2:{ACCOUNT}:subject/")));
    let body = r.json();
    assert_eq!(body["credentialSet"][0]["packedPolicySize"], 0);
    body
}

#[test]
fn p256_p384_and_rsa_leaves_get_sessions() {
    for (leaf, key) in [("p256", "p256.pkcs8.pem"), ("p384", "p384.pkcs8.pem"), ("rsa2048", "rsa2048.pkcs8.pem")] {
        let r = client_request(&format!("{leaf}.pem"), key, PROFILE, ROLE, |c| c);
        assert_session(&r, leaf, None, "2024-06-01T13:00:30Z");
    }
}

#[test]
fn the_cli_sign_request_output_is_accepted() {
    let s = shared();
    let pki = pki();
    let out = Command::new(env!("CARGO_BIN_EXE_rolesanywhere"))
        .args(["sign-request", "--certificate"])
        .arg(pki.path("p384.pem"))
        .arg("--private-key")
        .arg(pki.path("p384.sec1.pem"))
        .arg("--intermediates")
        .arg(pki.path("chain.pem"))
        .args(["--trust-anchor-arn", ANCHOR, "--profile-arn", PROFILE, "--role-arn", ROLE, "--date", DATE])
        .args(["--endpoint", &s.base(), "--session-duration", "1800"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let headers: Vec<(String, String)> = printed["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(n, v)| (n.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let r = send(s.port, "POST", "/sessions", &headers, printed["body"].as_str().unwrap().as_bytes());
    assert_session(&r, "p384", None, "2024-06-01T12:30:30Z");
}

#[test]
fn arns_as_query_parameters_are_accepted() {
    let enc = |s: &str| s.replace(':', "%3A").replace('/', "%2F");
    let mut raw = Raw::new("p256.pem", "p256.pkcs8.pem").body(|b| b.clear());
    raw.query = format!("profileArn={}&roleArn={}&trustAnchorArn={}", enc(PROFILE), enc(ROLE), enc(ANCHOR));
    raw.body = json!({"durationSeconds": 900});
    assert_session(&raw.send(), "p256", None, "2024-06-01T12:15:30Z");
}

#[test]
fn durations_are_checked_and_capped_at_the_profile() {
    for bad in [899, 43_201] {
        let r = Raw::new("p256.pem", "p256.pkcs8.pem").body(|b| {
            b.insert("durationSeconds".into(), json!(bad));
        });
        assert_error(&r.send(), 400, "ValidationException", &["durationSeconds", "900..=43200"]);
    }
    // [C] Expiration: min(profile's 3600, requested 7200) = 3600.
    let r = client_request("p256.pem", "p256.pkcs8.pem", PROFILE, ROLE, |c| c.duration_seconds(7200));
    assert_session(&r, "p256", None, "2024-06-01T13:00:30Z");
    // The profile's 900 when the request names none.
    let r = client_request("p256.pem", "p256.pkcs8.pem", PROFILE_NAMES, ROLE, |c| c);
    assert_session(&r, "p256", None, "2024-06-01T12:15:30Z");
}

#[test]
fn role_session_names_need_the_profile_to_accept_them() {
    let r = client_request("p256.pem", "p256.pkcs8.pem", PROFILE, ROLE, |c| c.role_session_name("build-42"));
    assert_error(&r, 403, "AccessDeniedException", &["acceptRoleSessionName"]);
    let r = client_request("p256.pem", "p256.pkcs8.pem", PROFILE_NAMES, ROLE, |c| c.role_session_name("build-42"));
    assert_session(&r, "p256", Some("build-42"), "2024-06-01T12:15:30Z");
}

#[test]
fn signature_rules() {
    // The algorithm named must fit the key: an ECDSA leaf with the RSA algorithm.
    let mut raw = Raw::new("p256.pem", "p256.pkcs8.pem");
    raw.algorithm = Some("AWS4-X509-RSA-SHA256");
    assert_error(&raw.send(), 403, "AccessDeniedException", &["AWS4-X509-RSA-SHA256", "does not match", "ECDSA"]);
    raw.algorithm = Some("AWS4-HMAC-SHA256");
    assert_error(&raw.send(), 403, "AccessDeniedException", &["Unsupported signing algorithm"]);

    // A tampered signature, and a body changed after signing.
    let s = shared();
    let (mut headers, body) = Raw::new("p256.pem", "p256.pkcs8.pem").build(s.port);
    let auth = headers.iter_mut().find(|(n, _)| n == "authorization").unwrap();
    let flipped = if auth.1.ends_with('0') { '1' } else { '0' };
    auth.1.pop();
    auth.1.push(flipped);
    assert_error(
        &send(s.port, "POST", "/sessions", &headers, body.as_bytes()),
        403,
        "AccessDeniedException",
        &["Invalid signature"],
    );
    let (headers, body) = Raw::new("p256.pem", "p256.pkcs8.pem").build(s.port);
    let changed = body.replace("\"roleArn\"", "\"roleArn\" ");
    assert_error(
        &send(s.port, "POST", "/sessions", &headers, changed.as_bytes()),
        403,
        "AccessDeniedException",
        &["Invalid signature"],
    );
    // Signed with another key than the certificate's.
    let raw = Raw::new("p256.pem", "other.pkcs8.pem");
    assert_error(&raw.send(), 403, "AccessDeniedException", &["Invalid signature"]);
}

/// ML-DSA (`AWS4-X509-MLDSA` with ML-DSA-44, -65 and -87, \[S\] Task 3): requests signed by the
/// library with an ML-DSA key get credentials, with the leaf under the classical intermediate and
/// under an all-ML-DSA chain (ML-DSA-65 intermediate, ML-DSA-87 root in the bundle); a flipped
/// signature digit, a body changed after signing, another ML-DSA key and another algorithm's name
/// are refused.
#[test]
fn ml_dsa_leaves_get_sessions_and_tampering_is_refused() {
    let pki = pki();
    mldsa::write(pki.dir.path());
    let config = json!({
        "trustAnchors": [{"arn": ANCHOR, "certificateBundle": pki.read_str("root.pem") + &pki.read_str("mldsa-root.pem")}],
        "roles": [{"arn": ROLE, "trustPolicy": guide_trust_policy(&[ANCHOR])}],
        "profiles": [{"arn": PROFILE, "roleArns": [ROLE], "durationSeconds": 3600}]
    });
    let path = pki.path("stand-in-mldsa.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let stand_in = StandIn::start(&path, DATE);
    let base = stand_in.base();
    let sign = |leaf: &str, key: &str, chain: &str| {
        let cert = Certificate::parse(&pki.read(leaf)).unwrap();
        let chain = rolesanywhere::parse_intermediates(&pki.read(chain)).unwrap();
        let key = PrivateKey::parse(&pki.read(key)).unwrap();
        let request = CreateSession::new(&cert, ANCHOR, PROFILE, ROLE)
            .intermediates(&chain)
            .endpoint(Some(base.as_str()))
            .prepare(Time::parse_rfc3339(DATE).unwrap())
            .unwrap()
            .sign(&key)
            .unwrap();
        (request.headers, request.body)
    };
    let post =
        |headers: &[(String, String)], body: &str| send(stand_in.port, "POST", "/sessions", headers, body.as_bytes());
    fn authorization(headers: &mut [(String, String)]) -> &mut String {
        &mut headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case("authorization")).unwrap().1
    }
    for (leaf, chain) in [
        ("mldsa44", "chain.pem"),
        ("mldsa65", "chain.pem"),
        ("mldsa87", "chain.pem"),
        ("mldsa65-pq", "mldsa-chain.pem"),
    ] {
        let (mut headers, body) = sign(&format!("{leaf}.pem"), &format!("{leaf}.seed.pem"), chain);
        assert!(authorization(&mut headers).starts_with("AWS4-X509-MLDSA Credential="), "{headers:?}");
        let r = post(&headers, &body);
        assert_eq!(r.status, 201, "{leaf}: {}", r.body);
        let session = parse_response(r.status, None, r.body.as_bytes()).expect("the client parses the answer");
        assert_eq!(session.source_identity, Some(format!("CN={leaf}")));
        assert_eq!(session.credentials.expiration().to_string(), "2024-06-01T13:00:30Z");

        let changed = body.replace("\"roleArn\"", "\"roleArn\" ");
        assert_error(&post(&headers, &changed), 403, "AccessDeniedException", &["Invalid signature"]);
        let auth = authorization(&mut headers);
        let flipped = if auth.ends_with('0') { '1' } else { '0' };
        auth.pop();
        auth.push(flipped);
        assert_error(&post(&headers, &body), 403, "AccessDeniedException", &["Invalid signature"]);
        let auth = authorization(&mut headers);
        *auth = auth.replacen("AWS4-X509-MLDSA", "AWS4-X509-ECDSA-SHA256", 1);
        assert_error(&post(&headers, &body), 403, "AccessDeniedException", &["does not match", "ML-DSA"]);
    }
    // Signed with an ML-DSA-44 key that is not the certificate's (by hand: the library refuses to).
    let raw = Raw::new("mldsa44.pem", "mldsa44-other.seed.pem");
    assert_error(&raw.send(), 403, "AccessDeniedException", &["Invalid signature"]);
}

#[test]
fn request_date_must_be_within_15_minutes() {
    let mut raw = Raw::new("p256.pem", "p256.pkcs8.pem");
    raw.date = "2024-06-01T12:16:00Z";
    assert_error(&raw.send(), 403, "AccessDeniedException", &["Signature expired", "15 minutes"]);
    raw.date = "2024-06-01T11:45:00Z";
    assert_error(&raw.send(), 403, "AccessDeniedException", &["Signature expired"]);
    // 14 minutes late is still accepted.
    raw.date = "2024-06-01T12:14:30Z";
    assert_eq!(raw.send().status, 201);
}

#[test]
fn malformed_dates_are_refused() {
    let s = shared();
    // Not the YYYYMMDDTHHMMSSZ form; and 16 bytes with a two-byte character where a digit belongs.
    for date in ["2024-06-01T12:00:30Z", "202\u{e9}601T120030Z"] {
        let (mut headers, body) = Raw::new("p256.pem", "p256.pkcs8.pem").build(s.port);
        headers.iter_mut().find(|(n, _)| n == "x-amz-date").unwrap().1 = date.into();
        let r = send(s.port, "POST", "/sessions", &headers, body.as_bytes());
        assert_error(&r, 403, "AccessDeniedException", &["X-Amz-Date"]);
    }
}

#[test]
fn certificate_rules() {
    // No intermediates: no path from the leaf to the anchor's CAs.
    let mut raw = Raw::new("p256.pem", "p256.pkcs8.pem");
    raw.chain = None;
    assert_error(&raw.send(), 403, "AccessDeniedException", &["Untrusted signing certificate"]);
    // An anchor holding only the other root.
    let raw = Raw::new("p256.pem", "p256.pkcs8.pem").body(|b| {
        b.insert("trustAnchorArn".into(), json!(ANCHOR_SECOND_ONLY));
    });
    assert_error(&raw.send(), 403, "AccessDeniedException", &["Untrusted signing certificate", "no chain"]);
    // Expired, not yet valid, CA and no-digitalSignature leaves.
    for (leaf, word) in [
        ("expired.pem", "expired"),
        ("notyet.pem", "not valid until"),
        ("ca-leaf.pem", "CA"),
        ("no-digsig.pem", "digitalSignature"),
    ] {
        let raw = Raw::new(leaf, "p256.pkcs8.pem");
        assert_error(&raw.send(), 403, "AccessDeniedException", &["Untrusted signing certificate", word]);
    }
    // The Credential must be the leaf's serial.
    let s = shared();
    let (mut headers, body) = Raw::new("p256.pem", "p256.pkcs8.pem").build(s.port);
    let auth = headers.iter_mut().find(|(n, _)| n == "authorization").unwrap();
    auth.1 = auth.1.replacen("Credential=", "Credential=1", 1);
    assert_error(
        &send(s.port, "POST", "/sessions", &headers, body.as_bytes()),
        403,
        "AccessDeniedException",
        &["serial number"],
    );
}

#[test]
fn regions_and_resources() {
    // Signed for us-east-1 while the ARNs are in us-west-2.
    let mut raw = Raw::new("p256.pem", "p256.pkcs8.pem");
    raw.region = "us-east-1";
    assert_error(&raw.send(), 400, "ValidationException", &["region us-west-2", "us-east-1"]);
    // A Host naming another region than the scope.
    let mut raw = Raw::new("p256.pem", "p256.pkcs8.pem");
    raw.host = Some("rolesanywhere.eu-west-1.amazonaws.com".into());
    assert_error(&raw.send(), 403, "AccessDeniedException", &["us-west-2", "eu-west-1"]);
    // The same stand-in serves eu-west-1, with an AWS-style Host.
    let mut raw = Raw::new("p256.pem", "p256.pkcs8.pem").body(|b| {
        b.insert("trustAnchorArn".into(), json!(ANCHOR_EU));
        b.insert("profileArn".into(), json!(PROFILE_EU));
    });
    raw.region = "eu-west-1";
    raw.host = Some("rolesanywhere.eu-west-1.amazonaws.com".into());
    let r = raw.send();
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.json()["subjectArn"].as_str().unwrap().starts_with("arn:aws:rolesanywhere:eu-west-1:"));

    // And the China partition, by scope and Host.
    let mut raw = Raw::new("p256.pem", "p256.pkcs8.pem").body(|b| {
        b.insert("trustAnchorArn".into(), json!(ANCHOR_CN));
        b.insert("profileArn".into(), json!(PROFILE_CN));
        b.insert("roleArn".into(), json!(ROLE_CN));
    });
    raw.region = "cn-north-1";
    raw.host = Some("rolesanywhere.cn-north-1.amazonaws.com.cn".into());
    let r = raw.send();
    assert_eq!(r.status, 201, "{}", r.body);
    let arn = r.json()["credentialSet"][0]["assumedRoleUser"]["arn"].as_str().unwrap().to_string();
    assert!(arn.starts_with("arn:aws-cn:sts::123456789012:assumed-role/demo/"), "{arn}");
    // A .com Host for a China region, and aws-partition ARNs signed for a China region.
    raw.host = Some("rolesanywhere.cn-north-1.amazonaws.com".into());
    assert_error(&raw.send(), 403, "AccessDeniedException", &["partition"]);
    let mut raw = Raw::new("p256.pem", "p256.pkcs8.pem");
    raw.region = "cn-north-1";
    assert_error(&raw.send(), 400, "ValidationException", &["partition aws", "aws-cn"]);

    let unknown = |field: &str, arn: &str| {
        Raw::new("p256.pem", "p256.pkcs8.pem").body(|b| {
            b.insert(field.into(), json!(arn));
        })
    };
    let r = unknown("trustAnchorArn", "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/nope").send();
    assert_error(&r, 404, "ResourceNotFoundException", &["Trust anchor"]);
    let r = unknown("profileArn", "arn:aws:rolesanywhere:us-west-2:123456789012:profile/nope").send();
    assert_error(&r, 404, "ResourceNotFoundException", &["Profile"]);
    let r = unknown("roleArn", ROLE_OTHER).send();
    assert_error(&r, 403, "AccessDeniedException", &["not one of the roles of profile"]);
    let r = unknown("profileArn", PROFILE_OFF).send();
    assert_error(&r, 403, "AccessDeniedException", &["disabled"]);
    let r = unknown("roleArn", "arn:aws:iam::123456789012:user/x").send();
    assert_error(&r, 400, "ValidationException", &["roleArn"]);
    let r = Raw::new("p256.pem", "p256.pkcs8.pem").body(|b| {
        b.remove("profileArn");
    });
    assert_error(&r.send(), 400, "ValidationException", &["profileArn is required"]);
}

#[test]
fn the_trust_policy_decides() {
    // The prj-other SPIFFE ID does not match the guide's StringLike on prj-demo.
    let r = client_request("prj-other.pem", "prj-other.pkcs8.pem", PROFILE, ROLE, |c| c);
    assert_error(&r, 403, "AccessDeniedException", &["sts:", "StringLike", "x509SAN/URI", "prj-other"]);
    // ROLE_OTHER trusts only ANCHOR; through PROFILE_NAMES with ANCHOR it works…
    let r = client_request("p256.pem", "p256.pkcs8.pem", PROFILE_NAMES, ROLE_OTHER, |c| c);
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.json()["credentialSet"][0]["assumedRoleUser"]["arn"].as_str().unwrap().contains(":assumed-role/other/"));
}

#[test]
fn principal_tags_come_from_the_certificate() {
    let r = client_request("p256.pem", "p256.pkcs8.pem", PROFILE_NAMES, ROLE_TAGS, |c| c);
    assert_eq!(r.status, 201, "{}", r.body);
    let r = client_request("p384.pem", "p384.pkcs8.pem", PROFILE_NAMES, ROLE_TAGS, |c| c);
    assert_error(&r, 403, "AccessDeniedException", &["x509Subject/CN", "p384"]);
}

#[test]
fn sts_get_caller_identity() {
    let s = shared();
    let r = client_request("p256.pem", "p256.pkcs8.pem", PROFILE_NAMES, ROLE, |c| c.role_session_name("sts-test"));
    let session = parse_response(r.status, None, r.body.as_bytes()).unwrap();
    let creds = &session.credentials;
    let key = rolesanywhere::sigv4::Key::from(creds);

    let call = |key: &rolesanywhere::sigv4::Key<'_>, date: &str, body: &str, tamper: bool| {
        let mut headers = sts_headers(s.port, key, "us-west-2", date, body);
        if tamper {
            let auth = headers.iter_mut().find(|(n, _)| n == "authorization").unwrap();
            auth.1 = auth.1.replace("Signature=", "Signature=00");
            auth.1.truncate(auth.1.len() - 2);
        }
        send(s.port, "POST", "/", &headers, body.as_bytes())
    };
    let body = "Action=GetCallerIdentity&Version=2011-06-15";
    let r = call(&key, DATE, body, false);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("text/xml"));
    assert!(
        r.body.contains("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"),
        "{}",
        r.body
    );
    assert!(r.body.contains(&format!("<Arn>arn:aws:sts::{ACCOUNT}:assumed-role/demo/sts-test</Arn>")), "{}", r.body);
    assert!(r.body.contains(&format!("<Account>{ACCOUNT}</Account>")), "{}", r.body);
    assert!(r.body.contains(&format!("<UserId>{}</UserId>", session.assumed_role_id.clone().unwrap())), "{}", r.body);

    let sts_error = |r: &Response, status: u16, code: &str| {
        assert_eq!(r.status, status, "{}", r.body);
        assert!(
            r.body.starts_with("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"),
            "{}",
            r.body
        );
        assert!(r.body.contains(&format!("<Code>{code}</Code>")), "{}", r.body);
        assert!(r.body.contains("<Type>Sender</Type>") && r.body.contains("<RequestId>"), "{}", r.body);
    };
    // A bad signature.
    sts_error(&call(&key, DATE, body, true), 403, "SignatureDoesNotMatch");
    // Another secret with the right key ID.
    let wrong_secret = rolesanywhere::sigv4::Key { secret_access_key: "x".repeat(40).leak(), ..key };
    sts_error(&call(&wrong_secret, DATE, body, false), 403, "SignatureDoesNotMatch");
    // An unknown key ID; a wrong session token.
    let unknown = rolesanywhere::sigv4::Key { access_key_id: "ASIAAAAAAAAAAAAAAAAA", ..key };
    sts_error(&call(&unknown, DATE, body, false), 403, "InvalidClientTokenId");
    let wrong_token = rolesanywhere::sigv4::Key { session_token: Some("nope"), ..key };
    sts_error(&call(&wrong_token, DATE, body, false), 403, "InvalidClientTokenId");
    // Signed 20 minutes before the clock: outside the 15-minute window.
    let r = call(&key, "2024-06-01T11:40:30Z", body, false);
    sts_error(&r, 403, "SignatureDoesNotMatch");
    assert!(r.body.contains("Signature expired"), "{}", r.body);
    // Signed 14 minutes after the clock, past the 900 s session's end: expired.
    sts_error(&call(&key, "2024-06-01T12:16:00Z", body, false), 400, "ExpiredToken");
    // An unknown action.
    sts_error(&call(&key, DATE, "Action=AssumeRoot&Version=2011-06-15", false), 400, "InvalidAction");
}

#[test]
fn sts_expired_token() {
    // Pinned 5 minutes before the p256 leaf's notAfter (2034-01-01T00:00:00Z): [C] Expiration is
    // the time of the request plus the profile's hour, past the certificate's end.
    let config = pki().path("stand-in.json");
    let late = StandIn::start(&config, "2033-12-31T23:55:00Z");
    let pki = pki();
    let cert = Certificate::parse(&pki.read("p256.pem")).unwrap();
    let chain = rolesanywhere::parse_intermediates(&pki.read("chain.pem")).unwrap();
    let key = PrivateKey::parse(&pki.read("p256.pkcs8.pem")).unwrap();
    let base = late.base();
    let request = CreateSession::new(&cert, ANCHOR, PROFILE, ROLE)
        .intermediates(&chain)
        .endpoint(Some(base.as_str()))
        .prepare(Time::parse_rfc3339("2033-12-31T23:55:00Z").unwrap())
        .unwrap()
        .sign(&key)
        .unwrap();
    let r = send(late.port, "POST", "/sessions", &request.headers, request.body.as_bytes());
    let session = parse_response(r.status, None, r.body.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.credentials.expiration().to_string(), "2034-01-01T00:55:00Z");

    let sign_at = |date: &str| {
        let url = format!("{base}/");
        let host = format!("127.0.0.1:{}", late.port);
        let headers = [("host", host.as_str()), ("content-type", "application/x-www-form-urlencoded")];
        let body = "Action=GetCallerIdentity&Version=2011-06-15";
        let request = rolesanywhere::sigv4::Request {
            method: "POST",
            url: &url,
            headers: &headers,
            payload: rolesanywhere::sigv4::Payload::Bytes(body.as_bytes()),
        };
        let settings = rolesanywhere::sigv4::Settings::new("sts", "us-west-2", Time::parse_rfc3339(date).unwrap());
        let signed =
            rolesanywhere::sigv4::sign(&request, &rolesanywhere::sigv4::Key::from(&session.credentials), &settings)
                .unwrap();
        let mut all: Vec<(String, String)> = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        all.extend(signed.headers);
        send(late.port, "POST", "/", &all, body.as_bytes())
    };
    assert_eq!(sign_at("2033-12-31T23:59:00Z").status, 200);
    // After the certificate's notAfter, the session is still valid.
    assert_eq!(sign_at("2034-01-01T00:05:00Z").status, 200);
    let r = sign_at("2034-01-01T00:56:00Z");
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("<Code>ExpiredToken</Code>"), "{}", r.body);
}

#[test]
fn cors_limits_and_logging() {
    let s = shared();
    let origin = vec![("Origin".to_string(), "http://127.0.0.1:5173".to_string())];
    let r = send(s.port, "OPTIONS", "/sessions", &origin, b"");
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some("http://127.0.0.1:5173"));
    assert!(r.header("access-control-allow-headers").unwrap().contains("x-amz-x509-chain"));
    assert!(r.header("access-control-expose-headers").unwrap().contains("x-amzn-errortype"));
    let r = send(s.port, "OPTIONS", "/sessions", &[("Origin".into(), "https://evil.example".into())], b"");
    assert_eq!(r.header("access-control-allow-origin"), None);
    // Errors carry the CORS headers too, so a page can read them.
    let r = send(s.port, "POST", "/sessions", &origin, b"{}");
    assert_eq!(r.status, 403);
    assert_eq!(r.header("access-control-allow-origin"), Some("http://127.0.0.1:5173"));

    let big = vec![b'x'; 200 * 1024];
    let r = send(s.port, "POST", "/sessions", &[], &big);
    assert_eq!(r.status, 413);
    assert_eq!(send(s.port, "GET", "/nowhere", &[], b"").status, 404);

    // One line per request, and never a secret: issue a session and look for its parts.
    let r = client_request("p256.pem", "p256.pkcs8.pem", PROFILE, ROLE, |c| c);
    let session = parse_response(r.status, None, r.body.as_bytes()).unwrap();
    let log = s.log();
    assert!(log.contains("POST /sessions -> 201 ok"), "{log}");
    assert!(log.contains("OPTIONS /sessions -> 204 preflight"), "{log}");
    assert!(log.contains("POST /sessions -> 403 AccessDeniedException"), "{log}");
    for secret in [
        session.credentials.secret_access_key(),
        session.credentials.session_token(),
        session.credentials.access_key_id(),
    ] {
        assert!(!log.contains(secret), "the log shows a credential");
    }
    assert!(!log.contains("Signature=") && !log.contains("MII"), "{log}");
}

#[test]
fn bad_configurations_are_refused_at_load() {
    let pki = pki();
    let dir = pki.path("configs");
    std::fs::create_dir_all(&dir).unwrap();
    let role = |policy: Value| json!({"arn": ROLE, "trustPolicy": policy});
    let anchor = json!({"arn": ANCHOR, "certificateBundle": pki.read_str("bundle.pem")});
    let profile = json!({"arn": PROFILE, "roleArns": [ROLE]});
    let mut with_unknown_op = guide_trust_policy(&[ANCHOR]);
    with_unknown_op["Statement"][0]["Condition"]["StringEqualsAnyCase"] = json!({"aws:SourceArn": ANCHOR});
    let cases = [
        (
            json!({"trustAnchors": [anchor], "roles": [role(with_unknown_op)], "profiles": [profile]}),
            "unknown condition operator \"StringEqualsAnyCase\"",
        ),
        (
            json!({"trustAnchors": [anchor], "roles": [role(guide_trust_policy(&[ANCHOR]))], "profiles": [{"arn": PROFILE, "roleArns": [ROLE_OTHER]}]}),
            "not one of the configured roles",
        ),
        (
            json!({"trustAnchors": [{"arn": ANCHOR, "certificateBundle": pki.read_str("p256.pem")}], "roles": [role(guide_trust_policy(&[ANCHOR]))], "profiles": [profile]}),
            "not a CA certificate",
        ),
        (
            json!({"trustAnchors": [{"arn": ANCHOR, "certificateBundleFile": "missing.pem"}], "roles": [role(guide_trust_policy(&[ANCHOR]))], "profiles": [profile]}),
            "cannot read",
        ),
        (
            json!({"trustAnchors": [{"arn": "arn:aws:rolesanywhere:us-west-2:123456789012:profile/x", "certificateBundle": ""}], "roles": [], "profiles": []}),
            "trust anchor ARN",
        ),
        // CRLs: signed by a CA outside the bundle (the intermediate's, on an anchor of the two
        // roots); not a CRL; another PEM block; over the quota of two; no `enabled`.
        (
            json!({"trustAnchors": [{"arn": ANCHOR, "certificateBundle": pki.read_str("bundle.pem"), "crls": [{"file": "../int.crl.pem", "enabled": true}]}], "roles": [role(guide_trust_policy(&[ANCHOR]))], "profiles": [profile]}),
            "trustAnchors[0]: crls[0]: the CRL of O=Test,CN=Test Intermediate CA is not signed by any of the trust anchor's CA certificates",
        ),
        (
            json!({"trustAnchors": [{"arn": ANCHOR, "certificateBundle": pki.read_str("bundle.pem"), "crls": [{"pem": "not a CRL", "enabled": true}]}], "roles": [role(guide_trust_policy(&[ANCHOR]))], "profiles": [profile]}),
            "crls[0]: not a CRL",
        ),
        (
            json!({"trustAnchors": [{"arn": ANCHOR, "certificateBundle": pki.read_str("bundle.pem"), "crls": [{"file": "../root.pem", "enabled": true}]}], "roles": [role(guide_trust_policy(&[ANCHOR]))], "profiles": [profile]}),
            "the PEM block is \"CERTIFICATE\"",
        ),
        (
            json!({"trustAnchors": [{"arn": ANCHOR, "certificateBundle": pki.read_str("bundle.pem"), "crls": [
                {"file": "../root.crl.pem", "enabled": true}, {"file": "../root.crl.pem", "enabled": true}, {"file": "../root.crl.pem", "enabled": false}
            ]}], "roles": [role(guide_trust_policy(&[ANCHOR]))], "profiles": [profile]}),
            "3 CRLs; a trust anchor holds at most 2",
        ),
        (
            json!({"trustAnchors": [{"arn": ANCHOR, "certificateBundle": pki.read_str("bundle.pem"), "crls": [{"file": "../root.crl.pem"}]}], "roles": [role(guide_trust_policy(&[ANCHOR]))], "profiles": [profile]}),
            "missing field `enabled`",
        ),
        (
            json!({"trustAnchors": [{"arn": ANCHOR, "certificateBundle": pki.read_str("bundle.pem"), "crls": [{"name": "root/crl", "file": "../root.crl.pem", "enabled": true}]}], "roles": [role(guide_trust_policy(&[ANCHOR]))], "profiles": [profile]}),
            "crls[0]: name \"root/crl\"",
        ),
        // Attribute mappings: a specifier AWS does not define.
        (
            json!({"trustAnchors": [anchor], "roles": [role(guide_trust_policy(&[ANCHOR]))], "profiles": [{"arn": PROFILE, "roleArns": [ROLE],
                "attributeMappings": [{"certificateField": "x509Subject", "mappingRules": [{"specifier": "uid"}]}]}]}),
            "profiles[0]: attributeMappings: x509Subject: specifier \"uid\"",
        ),
    ];
    for (i, (config, want)) in cases.iter().enumerate() {
        let path = dir.join(format!("bad{i}.json"));
        std::fs::write(&path, config.to_string()).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_rolesanywhere"))
            .args(["stand-in", "--listen", "127.0.0.1:0", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(!out.status.success(), "case {i} started");
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(want), "case {i}: {stderr}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_rolesanywhere"))
        .args(["stand-in", "--listen", "0.0.0.0:0", "--config"])
        .arg(pki.path("stand-in.json"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}

// AWS's rules for session names, source identities, principal tags and attribute mappings,
// revocation, instance properties and hosts: a certificate of the test PKI for each (see
// tests/pki/README.md), sent to the shared stand-in.

/// Trust anchors of the intermediate (which issues the test leaves) and the secondary root, with
/// a CRL of the intermediate listing `revoked.pem`: PEM, DER, disabled, expired (nextUpdate in
/// 2021); and the same serial listed by the secondary root, which did not issue it.
const ANCHOR_CRL: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/crl";
const ANCHOR_CRL_DER: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/crl-der";
const ANCHOR_CRL_OFF: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/crl-disabled";
const ANCHOR_CRL_EXPIRED: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/crl-expired";
const ANCHOR_CRL_OTHER_CA: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/crl-other-ca";
/// The two roots, with the root's CRL listing the intermediate `int-revoked.pem`.
const ANCHOR_CRL_ROOT: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/crl-root";
/// A profile with the default attribute mapping and every role below.
const PROFILE_RULES: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:profile/aws-rules";
/// A profile that maps only the subject's CN, nothing of the issuer, and the SAN's URI and
/// directory-name OU.
const PROFILE_MAPPED: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:profile/mapped";
/// A profile with `requireInstanceProperties`.
const PROFILE_INSTANCE: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:profile/instance";
/// The guide's trust policy for every trust anchor above.
const ROLE_RULES: &str = "arn:aws:iam::123456789012:role/aws-rules";
/// Conditions on every tag of `attrs.pem`.
const ROLE_ATTRS: &str = "arn:aws:iam::123456789012:role/attrs";
/// `StringEquals` on the issuer's CN tag.
const ROLE_ISSUER_CN: &str = "arn:aws:iam::123456789012:role/issuer-cn";
/// What PROFILE_MAPPED maps: `StringNotEquals` on the issuer's CN (true when the tag is not set).
const ROLE_MAPPED: &str = "arn:aws:iam::123456789012:role/mapped";
/// `sts:SourceIdentity` and `sts:RoleSessionName` of `no-cn.pem`.
const ROLE_NO_CN: &str = "arn:aws:iam::123456789012:role/no-cn";

/// The serial number of a certificate of the test PKI as `openssl x509 -serial` prints it (whole
/// bytes), in lower case: computed without this crate.
fn openssl_serial(file: &str) -> String {
    let out = common::openssl(&[
        "x509".as_ref(),
        "-in".as_ref(),
        common::shared().path(file).as_os_str(),
        "-noout".as_ref(),
        "-serial".as_ref(),
    ]);
    assert!(out.status.success(), "openssl x509 -serial {file}");
    let text = String::from_utf8(out.stdout).unwrap();
    text.trim().strip_prefix("serial=").expect("serial=HEX").to_ascii_lowercase()
}

/// [T] Role trusts: the session name is the hex serial (lower case, no leading zeros).
fn hex_serial(file: &str) -> String {
    openssl_serial(file).trim_start_matches('0').to_string()
}

/// The guide's trust policy (the service, the three actions) with `condition` as its condition.
fn policy_with(condition: Value) -> Value {
    let mut policy = guide_trust_policy(&[]);
    policy["Statement"][0]["Condition"] = condition;
    policy
}

/// Adds the anchors, roles and profiles of the AWS-rule tests to the configuration.
fn add_aws_rules_config(pki: &Pki, config: &mut Value) {
    let anchors_bundle = pki.read_str("int.pem") + &pki.read_str("root2.pem");
    let crl_anchor = |arn: &str, crl: Value| json!({"arn": arn, "certificateBundle": anchors_bundle, "crls": [crl]});
    let spiffe = "spiffe://ORG.aws-us-west.example.io/ns/prj-demo/*";
    let push = |config: &mut Value, list: &str, entries: Vec<Value>| {
        config[list].as_array_mut().unwrap().extend(entries);
    };
    push(
        config,
        "trustAnchors",
        vec![
            crl_anchor(ANCHOR_CRL, json!({"name": "int", "file": "int.crl.pem", "enabled": true})),
            crl_anchor(ANCHOR_CRL_DER, json!({"file": "int.crl.der", "enabled": true})),
            crl_anchor(ANCHOR_CRL_OFF, json!({"file": "int.crl.pem", "enabled": false})),
            crl_anchor(ANCHOR_CRL_EXPIRED, json!({"file": "int-expired.crl.pem", "enabled": true})),
            crl_anchor(ANCHOR_CRL_OTHER_CA, json!({"pem": pki.read_str("root2-same-serial.crl.pem"), "enabled": true})),
            json!({"arn": ANCHOR_CRL_ROOT, "certificateBundleFile": "bundle.pem",
                   "crls": [{"name": "root", "file": "root.crl.pem", "enabled": true}]}),
        ],
    );
    let no_cn_serial = openssl_serial("no-cn.pem");
    push(
        config,
        "roles",
        vec![
            json!({"arn": ROLE_RULES, "trustPolicy": guide_trust_policy(&[ANCHOR, ANCHOR_CRL, ANCHOR_CRL_DER, ANCHOR_CRL_OFF,
                ANCHOR_CRL_EXPIRED, ANCHOR_CRL_OTHER_CA, ANCHOR_CRL_ROOT])}),
            json!({"arn": ROLE_ATTRS, "trustPolicy": policy_with(json!({
                "StringEquals": {
                    "aws:PrincipalTag/x509Subject/CN": "attrs",
                    "aws:PrincipalTag/x509Subject/UID": "app-42",
                    "aws:PrincipalTag/x509Subject/DC": "test/example",
                    "aws:PrincipalTag/x509Subject/OU": "Security/Engineering/Research",
                    "aws:PrincipalTag/x509Subject/O": "Test",
                    "aws:PrincipalTag/x509Issuer/CN": "Test Intermediate CA",
                    "aws:PrincipalTag/x509Issuer/O": "Test",
                    "aws:PrincipalTag/x509SAN/DNS": "first.example.test",
                    "aws:PrincipalTag/x509SAN/URI": "spiffe://ORG.aws-us-west.example.io/ns/prj-demo/app",
                    "aws:PrincipalTag/x509SAN/Name/CN": "san-name",
                    "aws:PrincipalTag/x509SAN/Name/OU": "san-unit",
                    "sts:SourceIdentity": "CN=attrs"
                },
                // `bad*value` is outside STS's tag pattern: the tag is not set.
                "Null": {"aws:PrincipalTag/x509Subject/L": "true", "aws:PrincipalTag/x509Subject/ST": "true"}
            }))}),
            json!({"arn": ROLE_ISSUER_CN, "trustPolicy": policy_with(json!({
                "StringEquals": {"aws:PrincipalTag/x509Issuer/CN": "Test Intermediate CA"}
            }))}),
            json!({"arn": ROLE_MAPPED, "trustPolicy": policy_with(json!({
                "StringEquals": {"aws:PrincipalTag/x509Subject/CN": "attrs", "aws:PrincipalTag/x509SAN/Name/OU": "san-unit"},
                "StringNotEquals": {"aws:PrincipalTag/x509Issuer/CN": "Test Intermediate CA"},
                "StringLike": {"aws:PrincipalTag/x509SAN/URI": spiffe},
                "Null": {
                    "aws:PrincipalTag/x509Subject/OU": "true",
                    "aws:PrincipalTag/x509Subject/UID": "true",
                    "aws:PrincipalTag/x509SAN/DNS": "true",
                    "aws:PrincipalTag/x509SAN/Name/CN": "true"
                }
            }))}),
            json!({"arn": ROLE_NO_CN, "trustPolicy": policy_with(json!({
                "StringEquals": {
                    "sts:SourceIdentity": format!("ID={no_cn_serial}"),
                    "sts:RoleSessionName": no_cn_serial.trim_start_matches('0')
                },
                "Null": {"aws:PrincipalTag/x509Subject/CN": "true"}
            }))}),
        ],
    );
    let all_roles = [ROLE_RULES, ROLE_ATTRS, ROLE_ISSUER_CN, ROLE_MAPPED, ROLE_NO_CN];
    push(
        config,
        "profiles",
        vec![
            json!({"arn": PROFILE_RULES, "roleArns": all_roles}),
            json!({"arn": PROFILE_MAPPED, "roleArns": all_roles, "attributeMappings": [
                {"certificateField": "x509Subject", "mappingRules": [{"specifier": "CN"}]},
                {"certificateField": "x509Issuer", "mappingRules": []},
                {"certificateField": "x509SAN", "mappingRules": [{"specifier": "URI"}, {"specifier": "Name/OU"}]}
            ]}),
            json!({"arn": PROFILE_INSTANCE, "roleArns": [ROLE_RULES], "requireInstanceProperties": true}),
        ],
    );
}

/// A request for `leaf` (with the p256 key and `chain`) to `anchor`, `profile` and `role`.
fn rules_request<'a>(leaf: &'a str, chain: &'a str, anchor: &str, profile: &str, role: &str) -> Raw<'a> {
    let mut raw = Raw::new(leaf, "p256.pkcs8.pem").body(|b| {
        b.insert("trustAnchorArn".into(), json!(anchor));
        b.insert("profileArn".into(), json!(profile));
        b.insert("roleArn".into(), json!(role));
    });
    raw.chain = Some(chain);
    raw
}

/// The credential set of a 201 answer.
fn credential_set(r: &Response) -> Value {
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["credentialSet"][0].clone()
}

/// GetCallerIdentity (through the stand-in's STS) with the credentials of a 201 answer: (Arn,
/// UserId).
fn caller_identity(r: &Response) -> (String, String) {
    let session = parse_response(r.status, None, r.body.as_bytes()).unwrap();
    let key = rolesanywhere::sigv4::Key::from(&session.credentials);
    let who = sts_call(shared().port, &key, DATE, "Action=GetCallerIdentity&Version=2011-06-15");
    assert_eq!(who.status, 200, "{}", who.body);
    (xml_text(&who.body, "Arn").to_string(), xml_text(&who.body, "UserId").to_string())
}

#[test]
fn session_names_are_the_hex_serial() {
    // [T] Role trusts: "the hex-encoded serial number of the authenticating certificate", in the
    // assumed-role ARN, the user ID and `sts:RoleSessionName`. A serial with its top bit set
    // (DER adds a 0x00) and one whose first byte is 0x0a (an odd number of hex digits).
    for leaf in ["serial-highbit.pem", "serial20.pem", "no-cn.pem"] {
        let role = if leaf == "no-cn.pem" { ROLE_NO_CN } else { ROLE_RULES };
        let r = rules_request(leaf, "chain.pem", ANCHOR, PROFILE_RULES, role).send();
        let name = hex_serial(leaf);
        assert!(!name.starts_with('0') && name.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        let set = credential_set(&r);
        let arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/{}/{name}", role.rsplit('/').next().unwrap());
        assert_eq!(set["assumedRoleUser"]["arn"], arn.as_str(), "{leaf}");
        assert!(set["assumedRoleUser"]["assumedRoleId"].as_str().unwrap().ends_with(&format!(":{name}")), "{leaf}");
        let (who, user_id) = caller_identity(&r);
        assert_eq!(who, arn);
        assert!(user_id.starts_with("AROA") && user_id.ends_with(&format!(":{name}")), "{user_id}");
    }
    assert_eq!(hex_serial("no-cn.pem").len(), 31, "no-cn.pem's serial starts 0x0a");
    // The trust policy sees the same name: ROLE_NO_CN's sts:RoleSessionName is no-cn.pem's.
    let r = rules_request("p256.pem", "chain.pem", ANCHOR, PROFILE_RULES, ROLE_NO_CN).send();
    assert_error(&r, 403, "AccessDeniedException", &["sts:AssumeRole"]);
    // A custom name still wins where the profile accepts one.
    let r = client_request("p256.pem", "p256.pkcs8.pem", PROFILE_NAMES, ROLE, |c| c.role_session_name("build-42"));
    assert_eq!(caller_identity(&r).0, format!("arn:aws:sts::{ACCOUNT}:assumed-role/demo/build-42"));
}

#[test]
fn source_identities_follow_the_guide_s_rules() {
    // [T] Source identity rules: CN= and a CN of at most 61 characters, the CN alone from 62 to
    // 64, ID= and the zero-padded hex serial without a CN.
    let cn = |n: usize| format!("cn{n}-{}", "x".repeat(n - 5));
    for (leaf, expected) in [
        ("cn61.pem", format!("CN={}", cn(61))),
        ("cn62.pem", cn(62)),
        ("cn64.pem", cn(64)),
        ("attrs.pem", "CN=attrs".to_string()),
        ("no-cn.pem", format!("ID={}", openssl_serial("no-cn.pem"))),
    ] {
        let role = if leaf == "no-cn.pem" { ROLE_NO_CN } else { ROLE_RULES };
        let r = rules_request(leaf, "chain.pem", ANCHOR, PROFILE_RULES, role).send();
        assert_eq!(credential_set(&r)["sourceIdentity"], expected.as_str(), "{leaf}");
    }
    assert_eq!(cn(61).len(), 61);
    assert!(openssl_serial("no-cn.pem").starts_with("0a"), "the ID= form keeps the padding zero");
    // sts:SourceIdentity carries it: ROLE_NO_CN wants ID=… and refuses CN=cn61-….
    let r = rules_request("cn61.pem", "chain.pem", ANCHOR, PROFILE_RULES, ROLE_NO_CN).send();
    assert_error(&r, 403, "AccessDeniedException", &["sts:SourceIdentity"]);
}

#[test]
fn principal_tags_of_every_mapped_attribute() {
    // UID, DC and three OUs joined with '/' in certificate order, the first DNS name and the first
    // directory name of the SAN, and no tag for a value outside STS's pattern (ROLE_ATTRS).
    let r = rules_request("attrs.pem", "chain.pem", ANCHOR, PROFILE_RULES, ROLE_ATTRS).send();
    assert_eq!(r.status, 201, "{}", r.body);
    let r = rules_request("p256.pem", "chain.pem", ANCHOR, PROFILE_RULES, ROLE_ATTRS).send();
    assert_error(&r, 403, "AccessDeniedException", &["sts:AssumeRole", "x509Subject/"]);
}

#[test]
fn attribute_mappings_select_the_tags() {
    // The default mapping sets the issuer's CN: StringEquals on it passes, StringNotEquals fails.
    let r = rules_request("attrs.pem", "chain.pem", ANCHOR, PROFILE_RULES, ROLE_ISSUER_CN).send();
    assert_eq!(r.status, 201, "{}", r.body);
    let r = rules_request("attrs.pem", "chain.pem", ANCHOR, PROFILE_RULES, ROLE_MAPPED).send();
    assert_error(&r, 403, "AccessDeniedException", &["sts:AssumeRole"]);
    // PROFILE_MAPPED maps nothing of the issuer ([M]: the tag is not set, so StringEquals fails and
    // StringNotEquals passes), only the subject's CN, and the SAN's URI and directory-name OU.
    let r = rules_request("attrs.pem", "chain.pem", ANCHOR, PROFILE_MAPPED, ROLE_MAPPED).send();
    assert_eq!(r.status, 201, "{}", r.body);
    let r = rules_request("attrs.pem", "chain.pem", ANCHOR, PROFILE_MAPPED, ROLE_ISSUER_CN).send();
    assert_error(&r, 403, "AccessDeniedException", &["sts:AssumeRole", "x509Issuer/CN"]);
    // The source identity does not depend on the mapping.
    let r = rules_request("attrs.pem", "chain.pem", ANCHOR, PROFILE_MAPPED, ROLE_MAPPED).send();
    assert_eq!(credential_set(&r)["sourceIdentity"], "CN=attrs");
}

#[test]
fn revoked_certificates_are_refused() {
    // [R]: a leaf listed by an enabled CRL of the anchor, PEM or DER, is refused with AWS's
    // message; an expired CRL still applies.
    for (anchor, crl) in [(ANCHOR_CRL, "CRL int"), (ANCHOR_CRL_DER, "CRL crls[0]"), (ANCHOR_CRL_EXPIRED, "CRL crls[0]")]
    {
        let r = rules_request("revoked.pem", "chain.pem", anchor, PROFILE_RULES, ROLE_RULES).send();
        assert_error(&r, 403, "AccessDeniedException", &["Certificate revoked", crl]);
    }
    // The CRL's other certificates, a disabled CRL, an anchor without CRLs, and a CRL of another
    // CA of the bundle listing the same serial: accepted.
    for (leaf, anchor) in [
        ("p256.pem", ANCHOR_CRL),
        ("revoked.pem", ANCHOR_CRL_OFF),
        ("revoked.pem", ANCHOR),
        ("revoked.pem", ANCHOR_CRL_OTHER_CA),
    ] {
        let r = rules_request(leaf, "chain.pem", anchor, PROFILE_RULES, ROLE_RULES).send();
        assert_eq!(r.status, 201, "{leaf} {anchor}: {}", r.body);
    }
    // The root's CRL revokes an intermediate: the leaves under it are refused, the others not.
    let r =
        rules_request("under-revoked-int.pem", "int-revoked.pem", ANCHOR_CRL_ROOT, PROFILE_RULES, ROLE_RULES).send();
    assert_error(&r, 403, "AccessDeniedException", &["Certificate revoked", "intermediate", "root"]);
    let r = rules_request("p256.pem", "chain.pem", ANCHOR_CRL_ROOT, PROFILE_RULES, ROLE_RULES).send();
    assert_eq!(r.status, 201, "{}", r.body);
}

/// The revocation fixtures as an independent implementation reads them: `openssl verify` with the
/// intermediate's CRL refuses `revoked.pem` and accepts `p256.pem`.
#[test]
fn openssl_agrees_with_the_revocation_fixtures() {
    let pki = common::shared();
    let verify = |leaf: &str| {
        let out = common::openssl(&[
            "verify".as_ref(),
            "-crl_check".as_ref(),
            "-attime".as_ref(),
            "1717243230".as_ref(), // DATE
            "-CRLfile".as_ref(),
            pki.path("int.crl.pem").as_os_str(),
            "-CAfile".as_ref(),
            pki.path("root.pem").as_os_str(),
            "-untrusted".as_ref(),
            pki.path("int.pem").as_os_str(),
            pki.path(leaf).as_os_str(),
        ]);
        (
            out.status.success(),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    };
    let (ok, text) = verify("p256.pem");
    assert!(ok, "{text}");
    let (ok, text) = verify("revoked.pem");
    assert!(!ok && text.contains("certificate revoked"), "{text}");
}

#[test]
fn instance_properties() {
    let with = |profile: &str, properties: Option<Value>| {
        let mut raw = rules_request("p256.pem", "chain.pem", ANCHOR, profile, ROLE_RULES);
        if let Some(p) = properties {
            raw = raw.body(|b| {
                b.insert("instanceProperties".into(), p);
            });
        }
        raw.send()
    };
    // requireInstanceProperties: none, or an empty map, is refused.
    for none in [None, Some(json!({}))] {
        assert_error(&with(PROFILE_INSTANCE, none), 403, "AccessDeniedException", &["requireInstanceProperties"]);
    }
    assert_eq!(with(PROFILE_INSTANCE, Some(json!({"hostname": "web-1"}))).status, 201);
    assert_eq!(with(PROFILE_RULES, None).status, 201);
    assert_eq!(with(PROFILE_RULES, Some(json!({"hostname": "web-1"}))).status, 201);
    // A map of strings, whatever the profile.
    for bad in [json!({"cpus": 4}), json!(["hostname"]), json!({"hostname": ""})] {
        assert_error(&with(PROFILE_RULES, Some(bad)), 400, "ValidationException", &["instanceProperties"]);
    }
}

#[test]
fn hosts_are_loopback_or_aws_s() {
    let s = shared();
    // [GR]: the three forms of AWS's host in the signing region, and loopback names.
    for host in [
        "rolesanywhere.us-west-2.amazonaws.com".to_string(),
        "rolesanywhere-fips.us-west-2.amazonaws.com".to_string(),
        "rolesanywhere.us-west-2.api.aws".to_string(),
        format!("localhost:{}", s.port),
        format!("[::1]:{}", s.port),
    ] {
        let mut raw = Raw::new("p256.pem", "p256.pkcs8.pem");
        raw.host = Some(host.clone());
        assert_eq!(raw.send().status, 201, "{host}");
    }
    let mut raw = Raw::new("p256.pem", "p256.pkcs8.pem");
    raw.host = Some("evil.example.com".into());
    assert_error(&raw.send(), 403, "AccessDeniedException", &["evil.example.com", "rolesanywhere.us-west-2.api.aws"]);
}

/// Sends an STS form request signed with `key` by `rolesanywhere::sigv4` at `date`.
fn sts_call(port: u16, key: &rolesanywhere::sigv4::Key<'_>, date: &str, body: &str) -> Response {
    send(port, "POST", "/", &sts_headers(port, key, "us-east-1", date, body), body.as_bytes())
}

#[test]
fn sts_assume_role_chains_from_a_roles_anywhere_session() {
    let s = shared();
    let r = client_request("p256.pem", "p256.pkcs8.pem", PROFILE, ROLE, |c| c);
    let first = parse_response(r.status, None, r.body.as_bytes()).unwrap();
    let key = rolesanywhere::sigv4::Key::from(&first.credentials);
    let chained = |role: &str, extra: &str| {
        let role = role.replace(':', "%3A").replace('/', "%2F");
        format!("Action=AssumeRole&Version=2011-06-15&RoleArn={role}&RoleSessionName=chain-1{extra}")
    };
    let r = sts_call(s.port, &key, DATE, &chained(ROLE_CHAINED, "&DurationSeconds=900"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.starts_with("<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"),
        "{}",
        r.body
    );
    assert_eq!(xml_text(&r.body, "Arn"), format!("arn:aws:sts::{ACCOUNT}:assumed-role/chained/chain-1"));
    assert_eq!(xml_text(&r.body, "SourceIdentity"), "CN=p256");
    assert_eq!(xml_text(&r.body, "Expiration"), "2024-06-01T12:15:30Z");
    let access_key_id = xml_text(&r.body, "AccessKeyId");
    assert!(access_key_id.starts_with("ASIA") && access_key_id != first.credentials.access_key_id());
    let second = rolesanywhere::sigv4::Key {
        access_key_id,
        secret_access_key: xml_text(&r.body, "SecretAccessKey"),
        session_token: Some(xml_text(&r.body, "SessionToken")),
    };
    let who = sts_call(s.port, &second, DATE, "Action=GetCallerIdentity&Version=2011-06-15");
    assert_eq!(who.status, 200, "{}", who.body);
    assert_eq!(xml_text(&who.body, "Arn"), format!("arn:aws:sts::{ACCOUNT}:assumed-role/chained/chain-1"));

    let sts_code = |r: &Response| xml_text(&r.body, "Code").to_string();
    // Role chaining caps sessions at one hour.
    let r = sts_call(s.port, &key, DATE, &chained(ROLE_CHAINED, "&DurationSeconds=7200"));
    assert_eq!((r.status, sts_code(&r)), (400, "ValidationError".into()), "{}", r.body);
    // ROLE_OTHER trusts only the Roles Anywhere service.
    let r = sts_call(s.port, &key, DATE, &chained(ROLE_OTHER, ""));
    assert_eq!((r.status, sts_code(&r)), (403, "AccessDenied".into()), "{}", r.body);
    assert!(r.body.contains("is not authorized to perform: sts:AssumeRole"), "{}", r.body);
    // A session whose source identity is p384 does not meet the chained role's condition.
    let r = client_request("p384.pem", "p384.pkcs8.pem", PROFILE, ROLE, |c| c);
    let p384 = parse_response(r.status, None, r.body.as_bytes()).unwrap();
    let r = sts_call(s.port, &rolesanywhere::sigv4::Key::from(&p384.credentials), DATE, &chained(ROLE_CHAINED, ""));
    assert_eq!((r.status, sts_code(&r)), (403, "AccessDenied".into()), "{}", r.body);
    assert!(r.body.contains("sts:SourceIdentity"), "{}", r.body);
}

#[test]
fn sts_presigned_get_caller_identity() {
    let s = shared();
    let r = client_request("p256.pem", "p256.pkcs8.pem", PROFILE, ROLE, |c| c);
    let session = parse_response(r.status, None, r.body.as_bytes()).unwrap();
    let key = rolesanywhere::sigv4::Key::from(&session.credentials);
    let presign = |date: &str, expires: u32| {
        let url = format!("{}/?Action=GetCallerIdentity&Version=2011-06-15", s.base());
        let host = format!("127.0.0.1:{}", s.port);
        let headers = [("host", host.as_str())];
        let request = rolesanywhere::sigv4::Request {
            method: "GET",
            url: &url,
            headers: &headers,
            payload: rolesanywhere::sigv4::Payload::Bytes(b""),
        };
        let settings = rolesanywhere::sigv4::Settings::new("sts", "us-east-1", Time::parse_rfc3339(date).unwrap());
        let presigned = rolesanywhere::sigv4::presign(&request, &key, &settings, expires).unwrap();
        let target = presigned.url.strip_prefix(&s.base()).unwrap().to_string();
        assert!(target.contains("X-Amz-Signature="), "{target}");
        target
    };
    // Signed 10 minutes before the clock, valid for 15 minutes.
    let target = presign("2024-06-01T11:50:30Z", 900);
    let r = send(s.port, "GET", &target, &[], b"");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains(&format!("<Arn>{}</Arn>", session.assumed_role_arn.clone().unwrap())), "{}", r.body);
    // Valid for one minute only: over.
    let r = send(s.port, "GET", &presign("2024-06-01T11:50:30Z", 60), &[], b"");
    assert_eq!((r.status, xml_text(&r.body, "Code")), (403, "SignatureDoesNotMatch"), "{}", r.body);
    // A changed parameter breaks the signature.
    let tampered = target.replace("Version=2011-06-15", "Version=2011-06-16");
    let r = send(s.port, "GET", &tampered, &[], b"");
    assert_eq!((r.status, xml_text(&r.body, "Code")), (403, "SignatureDoesNotMatch"), "{}", r.body);
    // A date with a two-byte character where a digit belongs.
    let odd_date = target.replace("X-Amz-Date=20240601T115030Z", "X-Amz-Date=202%C3%A9601T115030Z");
    assert_ne!(odd_date, target);
    let r = send(s.port, "GET", &odd_date, &[], b"");
    assert_eq!((r.status, xml_text(&r.body, "Code")), (400, "IncompleteSignature"), "{}", r.body);
    // No signature at all.
    let r = send(s.port, "GET", "/?Action=GetCallerIdentity&Version=2011-06-15", &[], b"");
    assert_eq!((r.status, xml_text(&r.body, "Code")), (403, "MissingAuthenticationToken"), "{}", r.body);
}
