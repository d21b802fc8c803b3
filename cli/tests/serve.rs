//! `rolesanywhere serve` in front of a recorded CreateSession endpoint: the IMDSv2 flow (token,
//! role name, credentials) and its refusals, the container-credential endpoint and its
//! authorization, one CreateSession for many credential requests (the cache), and AWS's refusal
//! passed on with its code. Then, against a scripted endpoint: stale-while-refresh while it
//! hangs, expired credentials refused, one shared refresh (and failure) for many clients,
//! `Retry-After`; an IMDSv2 token flood; `X-Forwarded-For` with any bytes; sharing credentials
//! with `credential-process`; the warnings.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{workspace_root, ROLE};
use serde_json::Value;
use support::{Answer, MockServer, Server, Step};

/// A CreateSession endpoint that answers every request with fresh one-hour credentials.
fn create_session_endpoint() -> MockServer {
    MockServer::start(|_| Answer::session("ASIASERVETEST", 3600))
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

/// `serve` in front of `endpoint` with its container endpoint on (token `s3cr3t-token`, in a file of
/// the owner's alone) and `more` flags; returns it with the credentials URL.
fn start_container(endpoint: &str, more: &[&str]) -> (Server, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "s3cr3t-token").unwrap();
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let pki = common::shared();
    let mut args = support::sign_args(&pki.path("p256.pem"), &pki.path("p256.pkcs8.pem"));
    args.extend(["--endpoint".into(), endpoint.into()]);
    args.extend(more.iter().map(OsString::from));
    let serve = support::serve(&args, Some(&token_file));
    let url = format!("{}/credentials", serve.base);
    (serve, url, dir)
}

/// GET the container endpoint with the right token; (status, body, time taken). Gives up after
/// 20 s.
fn get_credentials(url: &str) -> (u16, Value, Duration) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    let started = Instant::now();
    let mut response = agent.get(url).header("authorization", "s3cr3t-token").call().expect("an answer within 20 s");
    let body = response.body_mut().read_to_string().unwrap();
    (response.status().as_u16(), serde_json::from_str(&body).unwrap(), started.elapsed())
}

/// Stale-while-refresh: once the refresh is due, a hung CreateSession does not hold up the
/// clients while the cached credentials are valid; they get them at once.
#[test]
fn valid_credentials_are_served_at_once_while_the_upstream_hangs() {
    // Credentials for 602 s with a 600 s margin: due for refresh two seconds after they arrive.
    let aws =
        MockServer::scripted(|n, _| if n == 0 { Step::Answer(Answer::session("ASIAFIRST", 602)) } else { Step::Hang });
    let (serve, url, _dir) = start_container(&aws.endpoint, &["--refresh-margin", "600"]);
    let (status, body, _) = get_credentials(&url);
    assert_eq!((status, body["AccessKeyId"].as_str()), (200, Some("ASIAFIRST")), "{body}");
    std::thread::sleep(Duration::from_secs(3));
    for _ in 0..3 {
        let (status, body, took) = get_credentials(&url);
        assert_eq!((status, body["AccessKeyId"].as_str()), (200, Some("ASIAFIRST")), "{body}");
        // The hung CreateSession lasts until the 30 s timeout of an attempt.
        assert!(took < Duration::from_secs(10), "answered after {took:?}");
    }
    // The refresh runs in the background: give it time to reach the endpoint on a loaded machine.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while aws.count() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(aws.count(), 2, "one refresh, hanging");
    serve.assert_logged_times("GET /credentials -> 200", 4);
}

/// A 201 whose credentials are already expired is an error (InvalidResponse), and the failure is
/// remembered for a moment: clients do not each cause a sign-in.
#[test]
fn expired_credentials_are_refused_and_not_fetched_for_every_client() {
    let aws = MockServer::start(|_| Answer::session("ASIAEXPIRED", -60));
    let (_serve, url, _dir) = start_container(&aws.endpoint, &[]);
    for _ in 0..10 {
        let (status, body, _) = get_credentials(&url);
        assert_eq!(status, 500, "{body}");
        assert_eq!(body["Code"], "InvalidResponse", "{body}");
        assert!(body["Message"].as_str().unwrap().contains("expire at"), "{body}");
    }
    assert!(aws.count() < 10, "{} CreateSessions for 10 clients", aws.count());
}

/// Clients without valid credentials share one refresh, and its failure: 50 clients at once
/// against an endpoint that fails (HTTP 500, or nothing listening) are all answered promptly,
/// with one refresh's attempts (one and three retries).
#[test]
fn clients_without_credentials_share_one_refresh_and_its_failure() {
    let failing = MockServer::start(|_| Answer::error(500, "InternalServerException", None));
    let closed = format!("http://127.0.0.1:{}", TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port());
    for (endpoint, code) in [(failing.endpoint.clone(), "Server"), (closed, "Network")] {
        let (_serve, url, _dir) = start_container(&endpoint, &[]);
        let clients: Vec<_> = (0..50)
            .map(|_| {
                let url = url.clone();
                std::thread::spawn(move || get_credentials(&url))
            })
            .collect();
        for client in clients {
            let (status, body, took) = client.join().unwrap();
            assert_eq!((status, body["Code"].as_str()), (500, Some(code)), "{body}");
            assert!(took < Duration::from_secs(10), "{code}: answered after {took:?}");
        }
    }
    // Four attempts per refresh; the 50 clients arrive within one or two refreshes.
    assert!(failing.count() <= 8, "{} attempts", failing.count());
}

/// `Retry-After` on 429 and 503: waited for within the refresh's deadline; beyond it, the
/// refresh gives up at once and no new one starts before it has passed.
#[test]
fn retry_after_is_honoured() {
    let aws = MockServer::scripted(|n, _| {
        Step::Answer(if n == 0 {
            Answer::error(503, "ServiceUnavailableException", Some("2"))
        } else {
            Answer::session("ASIAAFTER", 3600)
        })
    });
    let (_serve, url, _dir) = start_container(&aws.endpoint, &[]);
    let (status, body, took) = get_credentials(&url);
    assert_eq!((status, body["AccessKeyId"].as_str()), (200, Some("ASIAAFTER")), "{body}");
    assert!(took >= Duration::from_secs(2), "retried after {took:?}");
    assert_eq!(aws.count(), 2);

    let aws = MockServer::start(|_| Answer::error(429, "ThrottlingException", Some("3600")));
    let (_serve, url, _dir) = start_container(&aws.endpoint, &[]);
    for _ in 0..3 {
        let (status, body, _) = get_credentials(&url);
        assert_eq!((status, body["Code"].as_str()), (500, Some("Throttled")), "{body}");
    }
    assert_eq!(aws.count(), 1, "no attempt before the Retry-After has passed");
}

/// PUTs `count` IMDSv2 token requests for six-hour tokens, one connection each, from 8 threads;
/// returns how many got 200.
fn token_flood(base: &str, count: usize) -> usize {
    let address = base.strip_prefix("http://").unwrap().to_string();
    // The listener answers one request per connection: 8 threads, each opening its own.
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let address = address.clone();
            std::thread::spawn(move || {
                let put = b"PUT /latest/api/token HTTP/1.1\r\nHost: x\r\nX-aws-ec2-metadata-token-ttl-seconds: 21600\r\nConnection: close\r\n\r\n";
                (0..count / 8)
                    .filter(|_| {
                        let mut stream = TcpStream::connect(&address).unwrap();
                        stream.write_all(put).unwrap();
                        let mut answer = String::new();
                        stream.read_to_string(&mut answer).unwrap();
                        answer.starts_with("HTTP/1.1 200 OK\r\n")
                    })
                    .count()
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).sum()
}

/// Tokens are not a resource a local process can use up: after 10,000 six-hour tokens, a new
/// client still gets one, and credentials with it.
#[test]
fn a_flood_of_imds_tokens_uses_nothing_up() {
    let aws = create_session_endpoint();
    let serve = start(&aws.endpoint, None);
    let base = &serve.base;
    assert_eq!(token_flood(base, 10_000), 10_000);
    let (status, token) =
        call("PUT", &format!("{base}/latest/api/token"), &[("x-aws-ec2-metadata-token-ttl-seconds", "60")]);
    assert_eq!(status, 200, "{token}");
    let role_name = ROLE.rsplit('/').next().unwrap();
    let url = format!("{base}/latest/meta-data/iam/security-credentials/{role_name}");
    let (status, body) = call("GET", &url, &[("x-aws-ec2-metadata-token", &token)]);
    assert_eq!(status, 200, "{body}");
    // A token changed in one place is refused.
    let mut forged = token.into_bytes();
    forged[3] = if forged[3] == b'A' { b'B' } else { b'A' };
    assert_eq!(call("GET", &url, &[("x-aws-ec2-metadata-token", std::str::from_utf8(&forged).unwrap())]).0, 401);
}

/// One raw HTTP/1.1 request (`head` without the blank line); the answer's status.
fn raw_status(base: &str, head: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(base.strip_prefix("http://").unwrap()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(head).unwrap();
    stream.write_all(b"Connection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status in {answer:?}"))
}

/// `X-Forwarded-For` on a token request is refused whatever its bytes: a value that is not
/// ASCII, or empty, is still a proxied request.
#[test]
fn x_forwarded_for_is_refused_whatever_its_bytes() {
    let aws = create_session_endpoint();
    let serve = start(&aws.endpoint, None);
    let put = b"PUT /latest/api/token HTTP/1.1\r\nHost: x\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\n";
    assert_eq!(raw_status(&serve.base, put), 200);
    for value in [&b"10.0.0.1"[..], b"\xff\xfe", b"caf\xc3\xa9", b""] {
        let head = [&put[..], b"X-Forwarded-For: ", value, b"\r\n"].concat();
        assert_eq!(raw_status(&serve.base, &head), 403, "{}", String::from_utf8_lossy(value));
    }
}

/// `serve` and `credential-process` on one machine share one sign-in through the cache, in
/// either order.
#[test]
fn serve_and_credential_process_share_the_cache() {
    let aws = MockServer::scripted(|n, _| Step::Answer(Answer::session(&format!("ASIA{n}"), 3600)));
    let tmp = tempfile::tempdir().unwrap();
    let pki = common::shared();
    let mut args = support::sign_args(&pki.path("p256.pem"), &pki.path("p256.pkcs8.pem"));
    args.extend(["--endpoint".into(), aws.endpoint.clone().into()]);
    args.extend(["--cache-dir".into(), tmp.path().join("cache").into()]);
    let credential_process = |args: &[OsString]| {
        let out =
            Command::new(env!("CARGO_BIN_EXE_rolesanywhere")).arg("credential-process").args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["AccessKeyId"].as_str().unwrap().to_string()
    };
    // credential-process first: serve starts with its credentials.
    assert_eq!(credential_process(&args), "ASIA0");
    let token_file = tmp.path().join("token");
    std::fs::write(&token_file, "s3cr3t-token").unwrap();
    let serve = support::serve_with(&args, Some(&token_file));
    let (status, body, _) = get_credentials(&format!("{}/credentials", serve.base));
    assert_eq!((status, body["AccessKeyId"].as_str()), (200, Some("ASIA0")), "{body}");
    assert_eq!(aws.count(), 1);
    // The token file is readable by others (0644 from fs::write): used, with a warning.
    serve.assert_logged_containing("warning: --authorization-token-file ");
    drop(serve);

    // serve first (in a fresh cache): credential-process gets its credentials.
    let fresh = tmp.path().join("fresh");
    let at = args.iter().position(|a| a == "--cache-dir").unwrap();
    args[at + 1] = fresh.into();
    let serve = support::serve_with(&args, Some(&token_file));
    let (status, body, _) = get_credentials(&format!("{}/credentials", serve.base));
    assert_eq!((status, body["AccessKeyId"].as_str()), (200, Some("ASIA1")), "{body}");
    assert_eq!(credential_process(&args), "ASIA1");
    assert_eq!(aws.count(), 2);
}

/// Listening on a non-loopback address works, with a warning: every host that reaches it can
/// get the credentials.
#[test]
fn listening_beyond_loopback_is_warned_about() {
    let aws = create_session_endpoint();
    let pki = common::shared();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rolesanywhere"))
        .arg("serve")
        .args(support::sign_args(&pki.path("p256.pem"), &pki.path("p256.pkcs8.pem")))
        .args(["--endpoint", &aws.endpoint, "--no-cache", "--listen", "0.0.0.0:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.starts_with("listening on http://0.0.0.0:"), "{line:?}");
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(stderr.starts_with("warning: listening on 0.0.0.0:") && stderr.contains("not on loopback"), "{stderr}");
}
