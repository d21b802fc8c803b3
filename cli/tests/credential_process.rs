//! `rolesanywhere credential-process` against an HTTP server on loopback that records
//! the request and answers with a recorded CreateSession response (`tests/vectors/responses`):
//! the request sent is the one `sign-request` prints, a 201 becomes credential_process JSON, an
//! AWS error becomes its type and message on stderr with a non-zero exit, and an unreachable
//! endpoint is reported as such. Then the provider's rules (retries, `Retry-After`, expired
//! credentials refused) and the cache: 200 parallel runs against the stand-in make one
//! CreateSession, untrusted entries and directories are not used, failures are not cached.

#[path = "../../tests/common/mod.rs"]
mod common;

mod support;

use std::ffi::OsString;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Answer, MockServer, Step};

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
        // The account of the answer's assumed-role ARN (botocore's ProcessProvider reads it).
        "AccountId": "123456789012",
    });
    assert_eq!(json, expected);
    // The documented field order, as AWS's helper prints it, and the account last.
    assert!(stdout.starts_with(r#"{"Version":1,"AccessKeyId":"#), "{stdout}");
    assert!(stdout.ends_with("\"Expiration\":\"2024-06-01T13:00:30Z\",\"AccountId\":\"123456789012\"}\n"), "{stdout}");
}

/// An answer that names no account (no assumed-role or role ARN) gives no `AccountId`.
#[test]
fn no_account_id_when_the_answer_names_none() {
    let mut body: Value = serde_json::from_slice(&response("success.json")).unwrap();
    let set = &mut body["credentialSet"][0];
    set.as_object_mut().unwrap().remove("assumedRoleUser");
    set.as_object_mut().unwrap().remove("roleArn");
    let server = serve(201, None, body.to_string().into_bytes());
    let out = run("credential-process", &server.endpoint);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"]);
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

// The provider and the cache: retries, `Retry-After`, expired credentials, and credentials
// shared between runs on one machine through the cache directory.

/// `credential-process` with the p256 leaf, the fixture ARNs, `endpoint`, on the system clock,
/// and `cache`: `Some(DIR)` for `--cache-dir DIR`, `None` for `--no-cache`.
fn now_args(endpoint: &str, cache: Option<&Path>) -> Vec<OsString> {
    let pki = common::shared();
    let mut args = support::sign_args(&pki.path("p256.pem"), &pki.path("p256.pkcs8.pem"));
    args.extend(["--endpoint".into(), endpoint.into()]);
    match cache {
        Some(dir) => args.extend(["--cache-dir".into(), dir.into()]),
        None => args.push("--no-cache".into()),
    }
    args
}

struct Run {
    success: bool,
    stdout: String,
    stderr: String,
    /// How long the run took.
    took: Duration,
}

impl Run {
    /// The printed AccessKeyId; panics unless the run succeeded.
    fn access_key_id(&self) -> String {
        assert!(self.success, "stderr: {}", self.stderr);
        let json: Value = serde_json::from_str(&self.stdout).unwrap();
        json["AccessKeyId"].as_str().unwrap().to_string()
    }
}

fn credential_process(args: &[OsString], env: &[(&str, &Path)]) -> Run {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_rolesanywhere"))
        .arg("credential-process")
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run rolesanywhere");
    Run {
        success: out.status.success(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        took: started.elapsed(),
    }
}

/// An endpoint that answers request number n with fresh one-hour credentials `ASIA{n}`.
fn numbered_sessions() -> MockServer {
    MockServer::scripted(|n, _| Step::Answer(Answer::session(&format!("ASIA{n}"), 3600)))
}

/// The names of the entries (`*.json`) in `dir`.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let Ok(list) = std::fs::read_dir(dir) else { return Vec::new() };
    list.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect()
}

/// The uid this test runs as: the owner of a file it creates.
fn my_uid(dir: &Path) -> u32 {
    let probe = dir.join("uid-probe");
    std::fs::write(&probe, b"").unwrap();
    let uid = std::fs::metadata(&probe).unwrap().uid();
    std::fs::remove_file(probe).unwrap();
    uid
}

/// The uid of `nobody` on Debian, for files of another user.
const NOBODY: u32 = 65534;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// 200 runs at once against the stand-in (which, like Roles Anywhere, may throttle
/// CreateSession): the first signs in under the entry's lock while the others wait for it, then
/// read its entry: one CreateSession, the same credentials for all.
#[test]
fn two_hundred_parallel_runs_make_one_create_session() {
    let pki = common::shared();
    let stand_in = support::stand_in(&support::guide_config(pki), None);
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let mut args = support::leaf_args(pki, "p256", &stand_in.base);
    args.extend(["--cache-dir".into(), cache.clone().into()]);
    let children: Vec<_> = (0..200)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_rolesanywhere"))
                .arg("credential-process")
                .args(&args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start credential-process")
        })
        .collect();
    let mut keys = std::collections::BTreeSet::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stderr.is_empty(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        keys.insert(json["AccessKeyId"].as_str().unwrap().to_string());
    }
    assert_eq!(keys.len(), 1, "{keys:?}");
    stand_in.assert_logged("POST /sessions -> 201 ok");
    let sessions: Vec<String> =
        stand_in.log().lines().filter(|l| l.starts_with("POST /sessions")).map(String::from).collect();
    assert_eq!(sessions, ["POST /sessions -> 201 ok"], "{}", stand_in.log());
    // The directory is private, the entry is the owner's alone.
    assert_eq!(mode(&cache), 0o700);
    let entries = entries(&cache);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(mode(&entries[0]), 0o600);
}

/// An entry that is not the owner's alone (mode 0644), is not an entry (garbage), or belongs to
/// another user is not trusted: the run signs in again and replaces it with a trusted one.
#[test]
fn untrusted_cache_entries_are_replaced() {
    let aws = numbered_sessions();
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let args = now_args(&aws.endpoint, Some(&cache));
    let first = credential_process(&args, &[]);
    assert_eq!(first.access_key_id(), "ASIA0");
    assert!(first.stderr.is_empty(), "{}", first.stderr);
    // The next run finds the entry: the same output, no CreateSession.
    let second = credential_process(&args, &[]);
    assert_eq!(second.stdout, first.stdout);
    assert_eq!(aws.count(), 1);

    let entry = entries(&cache).pop().unwrap();
    let me = my_uid(tmp.path());
    let mut tampers = vec!["mode 0644", "garbage"];
    if me == 0 {
        tampers.push("owned by nobody");
    } else {
        eprintln!("skipping the other-owner case: changing a file's owner needs root (running as uid {me})");
    }
    for (i, what) in tampers.into_iter().enumerate() {
        match what {
            "mode 0644" => std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o644)).unwrap(),
            "garbage" => std::fs::write(&entry, b"{\"Version\":1,\"AccessKeyId\":").unwrap(),
            _ => std::os::unix::fs::chown(&entry, Some(NOBODY), None).unwrap(),
        }
        let run = credential_process(&args, &[]);
        assert_eq!(run.access_key_id(), format!("ASIA{}", i + 1), "{what}: a new sign-in");
        assert!(run.stderr.contains("warning: ignoring the cache entry"), "{what}: {}", run.stderr);
        assert_eq!(aws.count(), i + 2, "{what}");
        // Replaced by a trusted entry, which the next run uses.
        assert_eq!(mode(&entry), 0o600, "{what}");
        assert_eq!(std::fs::metadata(&entry).unwrap().uid(), me, "{what}");
        let again = credential_process(&args, &[]);
        assert_eq!(again.stdout, run.stdout, "{what}");
        assert!(again.stderr.is_empty(), "{what}: {}", again.stderr);
        assert_eq!(aws.count(), i + 2, "{what}");
    }
    assert_eq!(entries(&cache), [entry]);
}

/// A cache directory that others may enter, or that belongs to another user, is not used: a
/// warning, then each run signs in as with --no-cache, and nothing is written there.
#[test]
fn an_unsafe_cache_directory_is_not_used() {
    let aws = numbered_sessions();
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o755)).unwrap();
    let args = now_args(&aws.endpoint, Some(&cache));
    for n in 0..2 {
        let run = credential_process(&args, &[]);
        assert_eq!(run.access_key_id(), format!("ASIA{n}"));
        assert!(
            run.stderr.contains("warning: not using the credential cache") && run.stderr.contains("0755"),
            "{}",
            run.stderr
        );
    }
    assert!(entries(&cache).is_empty());

    if my_uid(tmp.path()) == 0 {
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::chown(&cache, Some(NOBODY), None).unwrap();
        let run = credential_process(&args, &[]);
        assert_eq!(run.access_key_id(), "ASIA2");
        assert!(run.stderr.contains(&format!("belongs to uid {NOBODY}")), "{}", run.stderr);
        assert!(entries(&cache).is_empty());
    } else {
        eprintln!("skipping the other-owner case: changing a directory's owner needs root");
    }
}

/// Without --cache-dir the cache is $XDG_CACHE_HOME/rolesanywhere (created 0700); --no-cache
/// writes nothing and signs in every time.
#[test]
fn the_default_cache_directory_and_no_cache() {
    let aws = numbered_sessions();
    let tmp = tempfile::tempdir().unwrap();
    let xdg = tmp.path().join("xdg");
    let env = [("XDG_CACHE_HOME", xdg.as_path())];
    let mut args = now_args(&aws.endpoint, None);
    for n in 0..2 {
        assert_eq!(credential_process(&args, &env).access_key_id(), format!("ASIA{n}"));
    }
    assert!(!xdg.exists());
    args.retain(|a| a != "--no-cache");
    for _ in 0..2 {
        assert_eq!(credential_process(&args, &env).access_key_id(), "ASIA2");
    }
    assert_eq!((mode(&xdg), mode(&xdg.join("rolesanywhere"))), (0o700, 0o700));
    assert_eq!(entries(&xdg.join("rolesanywhere")).len(), 1);
}

/// A refused sign-in is not written: the next run signs in again.
#[test]
fn failures_are_never_cached() {
    let body = response("access-denied.json");
    let aws = MockServer::scripted(move |n, _| {
        Step::Answer(match n {
            0 => Answer {
                status: 403,
                headers: vec![("x-amzn-errortype", "AccessDeniedException".into())],
                body: body.clone(),
            },
            _ => Answer::session("ASIAGOOD", 3600),
        })
    });
    let tmp = tempfile::tempdir().unwrap();
    let args = now_args(&aws.endpoint, Some(&tmp.path().join("cache")));
    let refused = credential_process(&args, &[]);
    assert!(!refused.success && refused.stderr.contains("AccessDeniedException"), "{}", refused.stderr);
    assert!(entries(&tmp.path().join("cache")).is_empty());
    assert_eq!(credential_process(&args, &[]).access_key_id(), "ASIAGOOD");
    assert_eq!(aws.count(), 2);
}

/// Credentials that are already expired, or expire within the refresh margin (five minutes),
/// are an error, never printed or cached.
#[test]
fn expired_credentials_are_an_error() {
    for lifetime in [-60, 100] {
        let aws = MockServer::start(move |_| Answer::session("ASIAEXPIRED", lifetime));
        let tmp = tempfile::tempdir().unwrap();
        let cache = tmp.path().join("cache");
        let run = credential_process(&now_args(&aws.endpoint, Some(&cache)), &[]);
        assert!(!run.success, "lifetime {lifetime}: {}", run.stdout);
        assert!(run.stdout.is_empty());
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(
            run.stderr.starts_with("error: the credentials in the CreateSession response expire at"),
            "{}",
            run.stderr
        );
        assert!(entries(&cache).is_empty());
        assert_eq!(aws.count(), 1, "not retried: a retry would get the same answer");
    }
}

/// Throttling and server errors are retried with backoff (the core's rules), then the answer is
/// printed.
#[test]
fn throttling_and_server_errors_are_retried() {
    let aws = MockServer::scripted(|n, _| {
        Step::Answer(match n {
            0 => Answer::error(429, "ThrottlingException", None),
            1 => Answer::error(500, "InternalServerException", None),
            _ => Answer::session("ASIARETRIED", 3600),
        })
    });
    assert_eq!(credential_process(&now_args(&aws.endpoint, None), &[]).access_key_id(), "ASIARETRIED");
    assert_eq!(aws.count(), 3);
}

/// `Retry-After` on 429 and 503 is waited for when it fits in the refresh's deadline (two
/// minutes); beyond it, the run gives up at once instead of retrying early.
#[test]
fn retry_after_is_honoured() {
    let aws = MockServer::scripted(|n, _| {
        Step::Answer(match n {
            0 => Answer::error(503, "ServiceUnavailableException", Some("2")),
            _ => Answer::session("ASIAAFTER", 3600),
        })
    });
    let run = credential_process(&now_args(&aws.endpoint, None), &[]);
    assert_eq!(run.access_key_id(), "ASIAAFTER");
    assert_eq!(aws.count(), 2);
    assert!(run.took >= Duration::from_secs(2), "retried after {:?}", run.took);

    let aws = MockServer::start(|_| Answer::error(429, "ThrottlingException", Some("3600")));
    let run = credential_process(&now_args(&aws.endpoint, None), &[]);
    assert!(!run.success);
    assert!(run.stderr.contains("ThrottlingException (HTTP 429)"), "{}", run.stderr);
    assert_eq!(aws.count(), 1, "no retry before the Retry-After");
}

/// A private key that group or others can read is used, with a warning (ssh refuses such keys).
#[test]
fn a_private_key_open_to_others_is_warned_about() {
    let aws = numbered_sessions();
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("key.pem");
    std::fs::copy(common::shared().path("p256.pkcs8.pem"), &key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut args = now_args(&aws.endpoint, None);
    let at = args.iter().position(|a| a == "--private-key").unwrap();
    args[at + 1] = key.into();
    let run = credential_process(&args, &[]);
    assert_eq!(run.access_key_id(), "ASIA0");
    assert!(run.stderr.starts_with("warning: --private-key ") && run.stderr.contains("mode 0644"), "{}", run.stderr);
}
