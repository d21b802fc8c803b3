//! The stand-in's limits, end to end: the `CreateSession` quota (a token bucket per account and
//! region, 10 per second by default, as Roles Anywhere's quota) answered as AWS throttles, and
//! `rolesanywhere serve` retrying it; the bound on the sessions it keeps, which refuses new
//! sessions rather than hand out credentials STS would not know. (Sessions last 900 s at least,
//! so their eviction once expired is tested with the store's own clock, in `store.rs`.)

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Barrier;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{guide_trust_policy, Pki, ANCHOR, DATE, PROFILE, ROLE};
use rolesanywhere::sigv4::Key;
use rolesanywhere::{parse_response, Certificate, CreateSession, ErrorCode, PrivateKey, SignedRequest, Time};
use serde_json::{json, Value};
use support::{chained_trust_policy, send, sts_headers, xml_text, Response, Server, ROLE_CHAINED};

const GET_CALLER_IDENTITY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
const THROTTLED: &str = "POST /sessions -> 400 throttled";
const ISSUED: &str = "POST /sessions -> 201 ok";

/// Writes a configuration (the guide's anchor, role and profile, and a role to chain to) with
/// the `extra` top-level fields, as `name` in the PKI directory.
fn config(pki: &Pki, name: &str, extra: Value) -> PathBuf {
    let mut config = json!({
        "trustAnchors": [{"arn": ANCHOR, "certificateBundleFile": "bundle.pem"}],
        "roles": [
            {"arn": ROLE, "trustPolicy": guide_trust_policy(&[ANCHOR])},
            {"arn": ROLE_CHAINED, "trustPolicy": chained_trust_policy()}
        ],
        "profiles": [{"arn": PROFILE, "roleArns": [ROLE], "durationSeconds": 3600}]
    });
    config.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let path = pki.path(name);
    std::fs::write(&path, config.to_string()).unwrap();
    path
}

fn port(server: &Server) -> u16 {
    server.base.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port in the address")
}

/// The system clock.
fn now() -> Time {
    Time::from_unix_seconds(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

/// A CreateSession request of the `p256` leaf (with the test intermediates), signed at `time`
/// for the stand-in at `base`.
fn p256(pki: &Pki, base: &str, time: Time) -> SignedRequest {
    let cert = Certificate::parse(&pki.read("p256.pem")).unwrap();
    let chain = rolesanywhere::parse_intermediates(&pki.read("chain.pem")).unwrap();
    let key = PrivateKey::parse(&pki.read("p256.pkcs8.pem")).unwrap();
    CreateSession::new(&cert, ANCHOR, PROFILE, ROLE)
        .intermediates(&chain)
        .endpoint(Some(base))
        .prepare(time)
        .unwrap()
        .sign(&key)
        .unwrap()
}

fn post(server: &Server, request: &SignedRequest) -> Response {
    send(port(server), "POST", "/sessions", &request.headers, request.body.as_bytes())
}

/// Checks that `r` is AWS's throttling answer, with nothing else in it.
fn assert_throttled(r: &Response) {
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.header("x-amzn-errortype"), Some("ThrottlingException"));
    assert_eq!(r.json(), json!({"message": "Rate exceeded"}));
    let e = parse_response(r.status, r.header("x-amzn-errortype"), r.body.as_bytes()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Throttled);
    assert!(e.code().is_retryable());
}

/// STS GetCallerIdentity with `key`, signed at `date`.
fn caller_identity(server: &Server, key: &Key<'_>, date: Time) -> Response {
    let port = port(server);
    let headers = sts_headers(port, key, "us-east-1", &date.to_string(), GET_CALLER_IDENTITY);
    send(port, "POST", "/", &headers, GET_CALLER_IDENTITY.as_bytes())
}

/// Checks that STS knows the credentials of a 201 answer, and returns their access key ID.
fn assert_usable(server: &Server, r: &Response, date: Time) -> String {
    let session = parse_response(r.status, None, r.body.as_bytes()).unwrap_or_else(|e| panic!("{e}: {}", r.body));
    let who = caller_identity(server, &Key::from(&session.credentials), date);
    assert_eq!(who.status, 200, "{}", who.body);
    assert_eq!(xml_text(&who.body, "Arn"), session.assumed_role_arn.unwrap());
    session.credentials.access_key_id().to_string()
}

#[test]
fn a_burst_above_the_default_quota_gets_aws_throttling_answer() {
    let pki = common::shared();
    let stand_in = support::stand_in(&config(pki, "limits-default.json", json!({})), Some(DATE));
    let request = p256(pki, &stand_in.base, Time::parse_rfc3339(DATE).unwrap());
    // 40 direct sign-ins at once, each on its own connection.
    const SENT: usize = 40;
    let barrier = Barrier::new(SENT);
    let start = Instant::now();
    let answers: Vec<Response> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..SENT)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    post(&stand_in, &request)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let elapsed = start.elapsed();
    let (issued, throttled): (Vec<_>, Vec<_>) = answers.iter().partition(|r| r.status == 201);
    for r in &throttled {
        assert_throttled(r);
    }
    for r in &issued {
        assert_usable(&stand_in, r, Time::parse_rfc3339(DATE).unwrap());
    }
    // The bucket starts full (one second's worth, 10) and refills 10 per second.
    let most = 10 + (elapsed.as_secs_f64() * 10.0).ceil() as usize;
    assert!(issued.len() >= 10 && issued.len() <= most, "{} issued in {elapsed:?}", issued.len());
    assert!(!throttled.is_empty());
    stand_in.assert_logged_times(THROTTLED, throttled.len());
    stand_in.assert_logged_times(ISSUED, issued.len());
    assert_eq!((stand_in.count(THROTTLED), stand_in.count(ISSUED)), (throttled.len(), issued.len()));
}

#[test]
fn a_throttled_request_takes_no_token() {
    let pki = common::shared();
    let quotas = json!({"quotas": {"createSessionPerSecond": 1, "createSessionBurst": 1}});
    let stand_in = support::stand_in(&config(pki, "limits-one-per-second.json", quotas), Some(DATE));
    let request = p256(pki, &stand_in.base, Time::parse_rfc3339(DATE).unwrap());
    assert_eq!(post(&stand_in, &request).status, 201);
    let first = Instant::now();
    for _ in 0..5 {
        assert_throttled(&post(&stand_in, &request));
    }
    assert!(first.elapsed() < Duration::from_millis(900), "the refusals must come within the second");
    // One second after the success, one token is back, however many requests were refused.
    std::thread::sleep(Duration::from_millis(1050).saturating_sub(first.elapsed()));
    let r = post(&stand_in, &request);
    assert_eq!(r.status, 201, "{}", r.body);
}

#[test]
fn bad_quotas_and_limits_are_refused_at_load() {
    let pki = common::shared();
    for (i, (extra, want)) in [
        (json!({"quotas": {"createSessionPerSecond": 0}}), "quotas: createSessionPerSecond 0 is outside 1..=1000000"),
        (json!({"quotas": {"createSessionBurst": 10.5}}), "invalid type"),
        (json!({"quotas": {"off": true}}), "unknown field `off`"),
        (json!({"limits": {"maxSessions": 0}}), "limits: maxSessions 0 is outside 1..=1000000"),
    ]
    .into_iter()
    .enumerate()
    {
        let path = config(pki, &format!("limits-bad{i}.json"), extra);
        let out = Command::new(env!("CARGO_BIN_EXE_rolesanywhere"))
            .args(["stand-in", "--listen", "127.0.0.1:0", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && out.stdout.is_empty(), "case {i} started");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(want), "case {i}: {stderr}");
    }
}

/// `rolesanywhere serve` (whose provider retries throttling with jittered exponential backoff)
/// asks the stand-in for credentials right after direct sign-ins have emptied the quota's
/// bucket: its first attempts are throttled and a later one succeeds. Each round drains the
/// bucket and asks a fresh `serve`; a round where `serve`'s first attempt still found a token,
/// or where all its attempts came before the refill, proves nothing and is run again. Every
/// answer is whole: credentials that STS knows, or the throttling answer with nothing in it;
/// the stand-in logs one `201 ok` per credential set handed out.
#[test]
fn serve_retries_throttling_and_gets_credentials() {
    let pki = common::shared();
    let stand_in = support::stand_in(&config(pki, "limits-serve.json", json!({})), None);
    let mut args = support::sign_args(&pki.path("p256.pem"), &pki.path("p256.pkcs8.pem"));
    args.extend(["--intermediates".into(), pki.path("chain.pem").into()]);
    args.extend(["--endpoint".into(), stand_in.base.clone().into()]);
    let (mut issued_before, mut throttled_before) = (0, 0);
    for round in 1..=10 {
        let serve = support::serve(&args, None);
        let serve_port = port(&serve);
        let ttl = [("x-aws-ec2-metadata-token-ttl-seconds".to_string(), "60".to_string())];
        let token = send(serve_port, "PUT", "/latest/api/token", &ttl, b"").body;

        // Direct sign-ins until the quota throttles one.
        let request = p256(pki, &stand_in.base, now());
        let (mut direct_issued, mut direct_throttled) = (0, 0);
        while direct_throttled == 0 {
            let r = post(&stand_in, &request);
            if r.status == 201 {
                assert_usable(&stand_in, &r, now());
                direct_issued += 1;
                assert!(direct_issued <= 100, "the quota never throttled");
            } else {
                assert_throttled(&r);
                direct_throttled += 1;
            }
        }

        let headers = [("x-aws-ec2-metadata-token".to_string(), token)];
        let served = send(serve_port, "GET", "/latest/meta-data/iam/security-credentials/demo", &headers, b"");
        let serve_issued = usize::from(served.status == 200);
        // The stand-in logs each answer before sending it, so once the last success is logged,
        // every throttled attempt before it is too.
        let issued = issued_before + direct_issued + serve_issued;
        stand_in.assert_logged_times(ISSUED, issued);
        assert_eq!(stand_in.count(ISSUED), issued, "one success logged per credential set handed out");
        let throttled = stand_in.count(THROTTLED);
        let serve_throttled = throttled - throttled_before - direct_throttled;
        (issued_before, throttled_before) = (issued, throttled);

        if served.status == 200 {
            let body = served.json();
            assert_eq!(body["Code"], "Success", "{}", served.body);
            let key = Key {
                access_key_id: body["AccessKeyId"].as_str().unwrap(),
                secret_access_key: body["SecretAccessKey"].as_str().unwrap(),
                session_token: body["Token"].as_str(),
            };
            let who = caller_identity(&stand_in, &key, now());
            assert_eq!(who.status, 200, "STS knows what serve got: {}", who.body);
            if serve_throttled > 0 {
                eprintln!("round {round}: serve was throttled {serve_throttled} time(s), then got credentials");
                return;
            }
        } else {
            // Every attempt came before the bucket refilled: serve gives up with the code.
            assert_eq!((served.status, served.json()["Code"].as_str()), (500, Some("Throttled")), "{}", served.body);
            assert!(serve_throttled > 1, "serve retried");
        }
        eprintln!("round {round}: serve throttled {serve_throttled} time(s), status {}; again", served.status);
    }
    panic!("in 10 rounds, serve never got credentials after being throttled:\n{}", stand_in.log());
}

#[test]
fn a_full_session_store_refuses_rather_than_issue_unknown_credentials() {
    let pki = common::shared();
    let limits = json!({"limits": {"maxSessions": 2}});
    let stand_in = support::stand_in(&config(pki, "limits-two-sessions.json", limits), Some(DATE));
    let date = Time::parse_rfc3339(DATE).unwrap();
    let request = p256(pki, &stand_in.base, date);
    let first = post(&stand_in, &request);
    let second = post(&stand_in, &request);
    let r = post(&stand_in, &request);
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.header("x-amzn-errortype"), Some("ServiceUnavailable"));
    assert!(r.json()["message"].as_str().unwrap().contains("maxSessions"), "{}", r.body);
    assert!(!r.body.contains("credentials"), "{}", r.body);
    let e = parse_response(r.status, r.header("x-amzn-errortype"), r.body.as_bytes()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Server, "clients retry it");
    stand_in.assert_logged("POST /sessions -> 503 ServiceUnavailable");
    // What was handed out is kept.
    assert_usable(&stand_in, &first, date);
    assert_usable(&stand_in, &second, date);
    // STS AssumeRole (role chaining) refuses the same way.
    let session = parse_response(first.status, None, first.body.as_bytes()).unwrap();
    let role = ROLE_CHAINED.replace(':', "%3A").replace('/', "%2F");
    let body = format!("Action=AssumeRole&Version=2011-06-15&RoleArn={role}&RoleSessionName=chain-1");
    let headers = sts_headers(port(&stand_in), &Key::from(&session.credentials), "us-east-1", DATE, &body);
    let r = send(port(&stand_in), "POST", "/", &headers, body.as_bytes());
    assert_eq!((r.status, xml_text(&r.body, "Code")), (503, "ServiceUnavailable"), "{}", r.body);
    assert!(!r.body.contains("<Credentials>"), "{}", r.body);
}
