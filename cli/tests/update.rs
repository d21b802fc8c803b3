//! `rolesanywhere update` against a scripted CreateSession endpoint: the profile's keys are
//! written and every other byte of the shared credentials file stays (other profiles, comments,
//! the profile's other settings, line endings); the file is replaced whole, mode 0600, leaving
//! nothing beside it; a missing file and directory are created, a symbolic link is followed;
//! without `--once` the profile is rewritten at every refresh until SIGTERM or SIGINT, which end
//! it with success; a failed first sign-in leaves the file as it was. (The AWS CLI reading the
//! profile: `aws_cli.rs`.)

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{Answer, MockServer, Step};

/// An endpoint that answers request number n with one-hour credentials `ASIA{n}` of the test
/// role (whose account the answer names).
fn numbered_sessions() -> MockServer {
    MockServer::scripted(|n, _| Step::Answer(Answer::session(&format!("ASIA{n}"), 3600)))
}

/// `update` with the p256 leaf, `endpoint`, no cache, and `more`.
fn command(endpoint: &str, credentials: &Path, more: &[&str]) -> Command {
    command_with_key(endpoint, credentials, common::shared().path("p256.pkcs8.pem").into(), more)
}

/// [`command`] with `--private-key key`.
fn command_with_key(endpoint: &str, credentials: &Path, key: OsString, more: &[&str]) -> Command {
    let pki = common::shared();
    let mut command = Command::new(env!("CARGO_BIN_EXE_rolesanywhere"));
    command
        .arg("update")
        .args(support::sign_args(&pki.path("p256.pem"), Path::new(&key)))
        .args(["--endpoint", endpoint, "--no-cache"])
        .args(more)
        .env("AWS_SHARED_CREDENTIALS_FILE", credentials);
    command
}

struct Run {
    success: bool,
    stderr: String,
}

fn run(mut command: Command) -> Run {
    let out = command.output().expect("run rolesanywhere update");
    assert!(out.stdout.is_empty(), "stdout: {}", String::from_utf8_lossy(&out.stdout));
    Run { success: out.status.success(), stderr: String::from_utf8(out.stderr).unwrap() }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

/// Everything but the `[app]` section stays byte for byte; in it, the keys are replaced (a
/// continuation of the old token dropped, `aws_security_token` kept in step) and the missing
/// ones added after its last setting.
#[test]
fn only_the_profile_s_keys_change() {
    let aws = numbered_sessions();
    let tmp = tempfile::tempdir().unwrap();
    let credentials = tmp.path().join("credentials");
    let before =
        "# Managed by hand.\n[default]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other/secret\n\n\
                  [app]\n; the app's profile\nregion=us-west-2\nAWS_ACCESS_KEY_ID : OLD\naws_session_token = OLD\n  \
                  continued-old-token\naws_security_token = OLD\noutput = json\n\n# ci below\n[ci]\n\
                  aws_access_key_id=AKIACI\r\n";
    std::fs::write(&credentials, before).unwrap();
    std::fs::set_permissions(&credentials, std::fs::Permissions::from_mode(0o644)).unwrap();

    let run = run(command(&aws.endpoint, &credentials, &["--profile", "app", "--once"]));
    assert!(run.success, "{}", run.stderr);
    let after = std::fs::read_to_string(&credentials).unwrap();
    let (head, rest) = before.split_at(before.find("[app]").unwrap());
    let tail = &rest[rest.find("\n# ci below").unwrap()..];
    assert!(after.starts_with(head) && after.ends_with(tail), "{after}");
    let section = &after[head.len()..after.len() - tail.len()];
    assert_eq!(
        section,
        "[app]\n; the app's profile\nregion=us-west-2\naws_access_key_id = ASIA0\naws_session_token = token\n\
         aws_security_token = token\noutput = json\naws_secret_access_key = secret\naws_account_id = 123456789012\n"
    );
    assert_eq!(mode(&credentials), 0o600);
    assert_eq!(names(tmp.path()), ["credentials"]);
    // One line on stderr, no secret in it.
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.starts_with(&format!("wrote [app] in \"{}\": ASIA0 until ", credentials.display())));
    assert!(!run.stderr.contains("secret") && !run.stderr.contains("token"), "{}", run.stderr);

    // A profile that is not there is appended; the rest stays.
    assert!(run_ok(command(&aws.endpoint, &credentials, &["--profile", "new one", "--once"])));
    let again = std::fs::read_to_string(&credentials).unwrap();
    assert_eq!(
        again,
        format!(
            "{after}\n[new one]\naws_access_key_id = ASIA1\naws_secret_access_key = secret\naws_session_token = token\n\
             aws_account_id = 123456789012\n"
        )
    );
}

fn run_ok(command: Command) -> bool {
    let run = run(command);
    assert!(run.success, "{}", run.stderr);
    true
}

/// Without AWS_SHARED_CREDENTIALS_FILE: `~/.aws/credentials`, its directory created 0700; the
/// default profile is `default`. A symbolic link to the file is kept, and its target written.
#[test]
fn the_default_file_and_a_symbolic_link() {
    let aws = numbered_sessions();
    let home = tempfile::tempdir().unwrap();
    let mut default = command(&aws.endpoint, Path::new("unused"), &["--once"]);
    default.env_remove("AWS_SHARED_CREDENTIALS_FILE").env("HOME", home.path());
    assert!(run_ok(default));
    let file = home.path().join(".aws/credentials");
    assert!(std::fs::read_to_string(&file).unwrap().starts_with("[default]\naws_access_key_id = ASIA0\n"));
    assert_eq!((mode(&home.path().join(".aws")), mode(&file)), (0o700, 0o600));

    let link = home.path().join("link");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    assert!(run_ok(command(&aws.endpoint, &link, &["--once"])));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(&file).unwrap().starts_with("[default]\naws_access_key_id = ASIA1\n"));
    assert_eq!(names(&home.path().join(".aws")), ["credentials"]);
}

/// A refused first sign-in ends the command with AWS's error and leaves the file as it was.
#[test]
fn a_failed_first_sign_in_changes_nothing() {
    let aws = MockServer::start(|_| Answer::error(403, "AccessDeniedException", None));
    let tmp = tempfile::tempdir().unwrap();
    let credentials = tmp.path().join("credentials");
    std::fs::write(&credentials, "[app]\naws_access_key_id = KEEP\n").unwrap();
    for more in [&["--profile", "app", "--once"][..], &["--profile", "app"]] {
        let run = run(command(&aws.endpoint, &credentials, more));
        assert!(!run.success);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.starts_with("error: AccessDeniedException (HTTP 403)"), "{}", run.stderr);
        assert_eq!(std::fs::read_to_string(&credentials).unwrap(), "[app]\naws_access_key_id = KEEP\n");
    }
    for (more, keyword) in [
        (&["--profile", "a]b"][..], "--profile"),
        (&["--profile", ""], "--profile"),
        (&["--date", "2024-06-01T12:00:30Z"], "--date"),
        (&["--explain"], "--explain"),
    ] {
        let run = run(command(&aws.endpoint, &credentials, more));
        assert!(!run.success && run.stderr.starts_with("error: ") && run.stderr.contains(keyword), "{}", run.stderr);
    }
    assert_eq!(aws.count(), 2);
}

/// A running `update` and its stderr lines.
struct Running {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Running {
    fn start(mut command: Command) -> Running {
        let mut child = command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Running { child, lines }
    }

    /// Waits (up to 20 s) for a stderr line starting with `prefix`.
    fn wait_for(&self, prefix: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.lines.lock().unwrap().iter().any(|l| l.starts_with(prefix)) {
            assert!(Instant::now() < deadline, "no {prefix:?} in {:?}", self.lines.lock().unwrap());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends `signal` and returns the exit status.
    fn stop(mut self, signal: &str) -> std::process::ExitStatus {
        let sent = Command::new("kill").args([signal, &self.child.id().to_string()]).status().unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "update still running after {signal}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Without `--once`, the profile is written again at each refresh (here every two seconds:
/// `--refresh-margin 3598` on one-hour credentials) until SIGTERM or SIGINT, which end it with
/// exit status 0 and nothing left beside the file.
#[test]
fn refreshes_until_stopped() {
    for signal in ["-TERM", "-INT"] {
        let aws = numbered_sessions();
        let tmp = tempfile::tempdir().unwrap();
        let credentials = tmp.path().join("credentials");
        std::fs::write(&credentials, "[other]\naws_access_key_id = KEEP\n").unwrap();
        let running =
            Running::start(command(&aws.endpoint, &credentials, &["--profile", "app", "--refresh-margin", "3598"]));
        running.wait_for("wrote [app] in ");
        running.wait_for(&format!("wrote [app] in \"{}\": ASIA1 until ", credentials.display()));
        let text = std::fs::read_to_string(&credentials).unwrap();
        assert!(text.starts_with("[other]\naws_access_key_id = KEEP\n\n[app]\naws_access_key_id = ASIA"), "{text}");
        let status = running.stop(signal);
        assert_eq!(status.code(), Some(0), "{signal}: {status}");
        assert_eq!(names(tmp.path()), ["credentials"], "{signal}");
        assert!(aws.count() >= 2);
    }
}

/// The inputs of `update` take the same forms as the other commands': here the key from an
/// environment variable.
#[test]
fn the_key_from_the_environment() {
    let aws = numbered_sessions();
    let tmp = tempfile::tempdir().unwrap();
    let credentials = tmp.path().join("credentials");
    let mut update = command_with_key(&aws.endpoint, &credentials, "env:APP_KEY".into(), &["--once"]);
    update.env("APP_KEY", common::shared().read_str("p256.pkcs8.pem"));
    assert!(run_ok(update));
    assert!(std::fs::read_to_string(&credentials).unwrap().starts_with("[default]\naws_access_key_id = ASIA0\n"));
}
