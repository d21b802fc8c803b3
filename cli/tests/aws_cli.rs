//! A client this project did not write, the AWS CLI v1 (pinned in `tests/requirements.txt`,
//! installed by `scripts/setup`), against `rolesanywhere stand-in`: `aws sts
//! get-caller-identity` gets its credentials
//!
//! - from `credential_process = rolesanywhere credential-process …` in its config file,
//! - from `rolesanywhere serve` over IMDSv2 (`AWS_EC2_METADATA_SERVICE_ENDPOINT`),
//! - from `rolesanywhere serve`'s container endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI` and
//!   `AWS_CONTAINER_AUTHORIZATION_TOKEN`),
//!
//! and STS (the stand-in) must name the assumed role of the stand-in's session; the AWS CLI's own
//! assume-role provider (`source_profile`) chains from the credential_process profile through the
//! stand-in's STS AssumeRole. A certificate that the role's trust policy refuses makes the AWS
//! CLI fail with Roles Anywhere's AccessDenied message, through credential_process and through
//! `serve`'s container endpoint. A profile that `rolesanywhere update` writes into the shared
//! credentials file signs `aws` commands, and the AWS CLI's credential chain gets the account
//! of the credentials from credential_process, the container endpoint and that profile.
//!
//! A second client, AWS Labs' `iam-rolesanywhere-session` (Python, also pinned), signs
//! CreateSession for the stand-in with P-256, P-384 and RSA leaves.
//!
//! The stand-in runs on the system clock (the AWS CLI signs at the current time). Every `aws`
//! process gets a cleared environment: PATH, HOME (a fresh directory), the variables of the case,
//! and PYENV_ROOT/PYENV_VERSION when set (they pick the Python that runs `aws`, not an AWS
//! setting); so the machine's own AWS configuration and credentials cannot take part. A missing
//! `aws` (or another version than the pinned one) fails the tests: run `scripts/setup`.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{Pki, ANCHOR, PROFILE, ROLE};
use serde_json::Value;
use support::{Server, ACCOUNT, ROLE_CHAINED};

/// The region of ANCHOR and PROFILE, where the AWS CLI sends its STS request.
const REGION: &str = "us-west-2";
/// The profile name in the AWS CLI's config file.
const AWS_PROFILE: &str = "rolesanywhere";
/// Longest an `aws` or `python3` run may take before the test gives up (kills it and fails).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

/// The test PKI.
fn pki() -> &'static Pki {
    common::shared()
}

/// `rolesanywhere stand-in` with the setup guide's configuration, on the system clock.
fn stand_in() -> Server {
    support::stand_in(&support::guide_config(pki()), None)
}

/// The `rolesanywhere` arguments that build a CreateSession request for `leaf` (`p256` or
/// `prj-other`, both P-256 leaves under the intermediate) and send it to `endpoint`.
fn sign_args(leaf: &str, endpoint: &str) -> Vec<OsString> {
    support::leaf_args(pki(), leaf, endpoint)
}

/// `rolesanywhere serve` for `leaf` in front of `endpoint`, with the container endpoint on when
/// `token_file` is given.
fn serve(leaf: &str, endpoint: &str, token_file: Option<&Path>) -> Server {
    support::serve(&sign_args(leaf, endpoint), token_file)
}

/// The pinned version from `tests/requirements.txt` (`awscli==X.Y.Z`).
fn pinned_version() -> String {
    let path = common::workspace_root().join("tests/requirements.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines()
        .find_map(|l| l.trim().strip_prefix("awscli=="))
        .map(|v| v.split_whitespace().next().unwrap_or("").to_string())
        .unwrap_or_else(|| panic!("{} pins no awscli==VERSION", path.display()))
}

/// The `aws` executable on PATH, checked once: it must exist and be the pinned version.
fn aws_executable() -> &'static PathBuf {
    static AWS: OnceLock<PathBuf> = OnceLock::new();
    AWS.get_or_init(|| {
        let setup = "run scripts/setup (as root; it installs tests/requirements.txt with pip), \
                     or `python3 -m pip install -r tests/requirements.txt`";
        let aws = find_on_path("aws").unwrap_or_else(|| {
            let path = std::env::var_os("PATH").unwrap_or_default();
            panic!("the AWS CLI (`aws`) is not on PATH ({}): {setup}", path.to_string_lossy())
        });
        let dir = tempfile::tempdir().unwrap();
        let out = run_client(clean_command(&aws, dir.path()).arg("--version"));
        // "aws-cli/1.46.3 Python/3.11.7 Linux/… botocore/…" (older versions print it on stderr).
        let text = format!("{}{}", out.stdout, out.stderr);
        let want = format!("aws-cli/{} ", pinned_version());
        assert!(
            out.status.success() && text.starts_with(&want),
            "{} --version says {:?}, want {want:?} (tests/requirements.txt): {setup}",
            aws.display(),
            text.trim()
        );
        aws
    })
}

/// The first executable `name` in PATH's directories.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `program` (`aws`, `python3`) with a cleared environment: PATH (to find Python), HOME =
/// `home`, and pyenv's version selection if set. The caller adds the AWS_* variables of its case.
fn clean_command(aws: &Path, home: &Path) -> Command {
    let mut command = Command::new(aws);
    command.env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default()).env("HOME", home);
    for name in ["PYENV_ROOT", "PYENV_VERSION"] {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    command
}

struct AwsOutput {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs `command` to completion, killing it after [`CLIENT_TIMEOUT`] (the guard kills it if this
/// thread panics too).
fn run_client(command: &mut Command) -> AwsOutput {
    struct Guard(Child);
    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {command:?}: {e}"));
    let mut guard = Guard(child);
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = read(Box::new(guard.0.stdout.take().unwrap()));
    let stderr = read(Box::new(guard.0.stderr.take().unwrap()));
    let deadline = Instant::now() + CLIENT_TIMEOUT;
    let status = loop {
        if let Some(status) = guard.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "{command:?} still running after {CLIENT_TIMEOUT:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    AwsOutput { status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

/// A fresh HOME with empty AWS config and credentials files.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::Builder::new()
            .prefix("aws-cli-home.")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .or_else(|_| tempfile::tempdir())
            .unwrap();
        std::fs::write(dir.path().join("config"), "").unwrap();
        std::fs::write(dir.path().join("credentials"), "").unwrap();
        Home { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `aws sts get-caller-identity` against the stand-in, with this HOME and its (empty unless
    /// rewritten) config and credentials files, plus `env`.
    fn get_caller_identity(&self, stand_in: &Server, profile: Option<&str>, env: &[(&str, &str)]) -> AwsOutput {
        let mut command = clean_command(aws_executable(), self.dir.path());
        command
            .env("AWS_CONFIG_FILE", self.path("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.path("credentials"))
            .envs(env.iter().copied())
            .args(["sts", "get-caller-identity", "--endpoint-url", &stand_in.base, "--region", REGION])
            .args(["--output", "json"]);
        if let Some(profile) = profile {
            command.args(["--profile", profile]);
        }
        run_client(&mut command)
    }
}

/// Quotes a word for the AWS CLI's `credential_process` line (split like a POSIX shell).
fn sh_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Writes an AWS config file whose profile runs `rolesanywhere credential-process` for `leaf`,
/// followed by `more`.
fn write_credential_process_config(home: &Home, leaf: &str, endpoint: &str, more: &str) {
    let mut line = sh_quote(env!("CARGO_BIN_EXE_rolesanywhere")) + " credential-process";
    for arg in sign_args(leaf, endpoint) {
        line.push(' ');
        line.push_str(&sh_quote(arg.to_str().unwrap()));
    }
    std::fs::write(home.path("config"), format!("[profile {AWS_PROFILE}]\ncredential_process = {line}\n{more}"))
        .unwrap();
}

/// The session name Roles Anywhere gives a leaf of the manifest: its serial number hex-encoded
/// (user guide, "Trust model", Role trusts), in lower case without leading zeros.
fn session_name(pki: &Pki, leaf: &str) -> String {
    pki.leaf(leaf)["serial_hex"].as_str().unwrap().trim_start_matches('0').to_string()
}

/// The session the stand-in gives the p256 leaf: the role, named after the certificate serial.
fn assert_p256_identity(out: &AwsOutput) {
    assert!(out.status.success(), "aws failed ({}):\nstdout: {}\nstderr: {}", out.status, out.stdout, out.stderr);
    let identity: Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("aws printed no JSON ({e}): {}", out.stdout));
    let serial = session_name(pki(), "p256");
    let role_name = ROLE.rsplit('/').next().unwrap();
    assert_eq!(identity["Arn"], format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/{serial}"), "{identity}");
    assert_eq!(identity["Account"], ACCOUNT, "{identity}");
    let user_id = identity["UserId"].as_str().unwrap();
    assert!(user_id.starts_with("AROA") && user_id.ends_with(&format!(":{serial}")), "{identity}");
}

#[test]
fn credential_process_profile() {
    let stand_in = stand_in();
    let home = Home::new();
    write_credential_process_config(&home, "p256", &stand_in.base, "");
    // No IMDS fallback: the credentials can only come from the profile's process.
    let out = home.get_caller_identity(&stand_in, Some(AWS_PROFILE), &[("AWS_EC2_METADATA_DISABLED", "true")]);
    assert_p256_identity(&out);
    stand_in.assert_logged("POST /sessions -> 201 ok");
    stand_in.assert_logged("POST / -> 200 ok");
}

/// A shell loop of `aws` commands: the AWS CLI runs `credential_process` for every command, and
/// the runs share one sign-in through the cache in `$HOME/.cache/rolesanywhere`.
#[test]
fn aws_commands_in_a_row_sign_in_once() {
    let stand_in = stand_in();
    let home = Home::new();
    write_credential_process_config(&home, "p256", &stand_in.base, "");
    for _ in 0..3 {
        let out = home.get_caller_identity(&stand_in, Some(AWS_PROFILE), &[("AWS_EC2_METADATA_DISABLED", "true")]);
        assert_p256_identity(&out);
    }
    stand_in.assert_logged_times("POST / -> 200 ok", 3);
    assert_eq!(stand_in.count("POST /sessions -> 201 ok"), 1, "{}", stand_in.log());
    let entries: Vec<_> = std::fs::read_dir(home.path(".cache/rolesanywhere"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
}

/// The AWS CLI's own assume-role provider on top of the credential_process profile
/// (`source_profile`): STS AssumeRole at the stand-in with the Roles Anywhere session, then
/// GetCallerIdentity with the chained session.
#[test]
fn credential_process_as_source_profile() {
    let stand_in = stand_in();
    let home = Home::new();
    let chained = format!("[profile chained]\nrole_arn = {ROLE_CHAINED}\nsource_profile = {AWS_PROFILE}\nrole_session_name = aws-cli-chained\n");
    write_credential_process_config(&home, "p256", &stand_in.base, &chained);
    // The assume-role provider's STS client does not take --endpoint-url; this sends it (and the
    // command) to the stand-in.
    let env = [("AWS_ENDPOINT_URL_STS", stand_in.base.as_str()), ("AWS_EC2_METADATA_DISABLED", "true")];
    let out = home.get_caller_identity(&stand_in, Some("chained"), &env);
    assert!(out.status.success(), "aws failed ({}):\nstdout: {}\nstderr: {}", out.status, out.stdout, out.stderr);
    let identity: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(identity["Arn"], format!("arn:aws:sts::{ACCOUNT}:assumed-role/chained/aws-cli-chained"), "{identity}");
    assert!(identity["UserId"].as_str().unwrap().ends_with(":aws-cli-chained"), "{identity}");
    stand_in.assert_logged("POST /sessions -> 201 ok");
    // AssumeRole, then GetCallerIdentity.
    stand_in.assert_logged_times("POST / -> 200 ok", 2);
}

#[test]
fn credential_process_refused_certificate() {
    let stand_in = stand_in();
    let home = Home::new();
    write_credential_process_config(&home, "prj-other", &stand_in.base, "");
    let out = home.get_caller_identity(&stand_in, Some(AWS_PROFILE), &[("AWS_EC2_METADATA_DISABLED", "true")]);
    assert!(!out.status.success(), "aws succeeded with the prj-other leaf: {}", out.stdout);
    assert!(out.stdout.trim().is_empty(), "stdout: {}", out.stdout);
    // The AWS CLI shows the process's stderr: Roles Anywhere's error type, and the stand-in's
    // message naming the trust policy condition that failed.
    for part in [
        "custom-process",
        "AccessDeniedException (HTTP 403)",
        "Not authorized to perform sts:AssumeRole on arn:aws:iam::123456789012:role/demo",
        "spiffe://ORG.aws-us-west.example.io/ns/prj-other/app",
    ] {
        assert!(out.stderr.contains(part), "no {part:?} in the AWS CLI's stderr:\n{}", out.stderr);
    }
    stand_in.assert_logged("POST /sessions -> 403 AccessDeniedException");
    assert!(!stand_in.log().contains("POST / "), "STS was called:\n{}", stand_in.log());
}

#[test]
fn serve_over_imdsv2() {
    let stand_in = stand_in();
    let serve = serve("p256", &stand_in.base, None);
    let home = Home::new();
    let endpoint = format!("{}/", serve.base);
    // AWS_EC2_METADATA_DISABLED stays unset; the timeout only guards against a slow, shared
    // machine (the default is one second, one attempt).
    let env = [("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint.as_str()), ("AWS_METADATA_SERVICE_TIMEOUT", "10")];
    let out = home.get_caller_identity(&stand_in, None, &env);
    assert_p256_identity(&out);
    // The IMDSv2 flow: a token, the role name, the role's credentials.
    let role_name = ROLE.rsplit('/').next().unwrap();
    serve.assert_logged("PUT /latest/api/token -> 200");
    serve.assert_logged("GET /latest/meta-data/iam/security-credentials/ -> 200");
    serve.assert_logged(&format!("GET /latest/meta-data/iam/security-credentials/{role_name} -> 200"));
    stand_in.assert_logged("POST /sessions -> 201 ok");
    stand_in.assert_logged("POST / -> 200 ok");

    // A second AWS CLI process gets serve's cached credentials: no second CreateSession.
    let out = home.get_caller_identity(&stand_in, None, &env);
    assert_p256_identity(&out);
    serve.assert_logged_times(&format!("GET /latest/meta-data/iam/security-credentials/{role_name} -> 200"), 2);
    stand_in.assert_logged_times("POST / -> 200 ok", 2);
    assert_eq!(stand_in.count("POST /sessions -> 201 ok"), 1, "{}", stand_in.log());
}

/// `aws sts get-caller-identity` with its credentials from `serve`'s container endpoint.
fn through_container_endpoint(leaf: &str) -> (Server, Server, AwsOutput) {
    let stand_in = stand_in();
    let home = Home::new();
    let token = "aws-cli-test-token-7f3a9c";
    let token_file = home.path("token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let serve = serve(leaf, &stand_in.base, Some(&token_file));
    let url = format!("{}/credentials", serve.base);
    let env = [
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url.as_str()),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", token),
        // No IMDS fallback: the credentials can only come from the container endpoint.
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    let out = home.get_caller_identity(&stand_in, None, &env);
    (stand_in, serve, out)
}

#[test]
fn serve_container_endpoint() {
    let (stand_in, serve, out) = through_container_endpoint("p256");
    assert_p256_identity(&out);
    serve.assert_logged("GET /credentials -> 200");
    assert!(!serve.log().contains("/latest/"), "IMDS was asked:\n{}", serve.log());
    stand_in.assert_logged("POST /sessions -> 201 ok");
    stand_in.assert_logged("POST / -> 200 ok");
}

/// serve's error reaches the user through the container endpoint (the AWS CLI prints the body of
/// a non-200 answer after its retries).
#[test]
fn serve_container_endpoint_refused_certificate() {
    let (stand_in, serve, out) = through_container_endpoint("prj-other");
    assert!(!out.status.success(), "aws succeeded with the prj-other leaf: {}", out.stdout);
    for part in [
        "container-role",
        "AccessDenied",
        "Not authorized to perform sts:AssumeRole on arn:aws:iam::123456789012:role/demo",
        "spiffe://ORG.aws-us-west.example.io/ns/prj-other/app",
    ] {
        assert!(out.stderr.contains(part), "no {part:?} in the AWS CLI's stderr:\n{}", out.stderr);
    }
    serve.assert_logged("GET /credentials -> 500");
    stand_in.assert_logged("POST /sessions -> 403 AccessDeniedException");
    assert!(!stand_in.log().contains("POST / "), "STS was called:\n{}", stand_in.log());
}

/// What the AWS CLI's own credential chain (its vendored botocore, `awscli.botocore`) resolves
/// in `home` with `env` (and `profile`): `{"AccessKeyId", "AccountId"}`. The AWS CLI v1 has no
/// command that prints the account of its credentials; this is the code its commands run.
fn aws_cli_credentials(home: &Home, profile: Option<&str>, env: &[(&str, &str)]) -> Value {
    const SCRIPT: &str = r#"
import json, sys
from awscli.botocore.session import Session
creds = Session(profile=sys.argv[1] or None).get_credentials().get_frozen_credentials()
print(json.dumps({"AccessKeyId": creds.access_key, "AccountId": creds.account_id}))
"#;
    let python = find_on_path("python3").expect("python3 is not on PATH: run scripts/setup");
    let mut command = clean_command(&python, home.dir.path());
    command
        .env("AWS_CONFIG_FILE", home.path("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path("credentials"))
        .envs(env.iter().copied())
        .args(["-c", SCRIPT, profile.unwrap_or("")]);
    let out = run_client(&mut command);
    assert!(out.status.success(), "python3 failed ({}): {}", out.status, out.stderr);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

/// The account of the CreateSession answer reaches the AWS CLI: `AccountId` in the
/// credential_process output and in serve's container answer, `aws_account_id` in the profile
/// `update` writes (botocore reads all three). IMDS has no such field.
#[test]
fn the_aws_cli_reads_the_account_id() {
    let stand_in = stand_in();
    let home = Home::new();
    write_credential_process_config(&home, "p256", &stand_in.base, "");
    let through_process = aws_cli_credentials(&home, Some(AWS_PROFILE), &[("AWS_EC2_METADATA_DISABLED", "true")]);
    assert_eq!(through_process["AccountId"], ACCOUNT, "{through_process}");

    let token_file = home.path("token");
    std::fs::write(&token_file, "account-test-token").unwrap();
    let serve = serve("p256", &stand_in.base, Some(&token_file));
    let url = format!("{}/credentials", serve.base);
    let env = [
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url.as_str()),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "account-test-token"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    let through_container = aws_cli_credentials(&home, None, &env);
    assert_eq!(through_container["AccountId"], ACCOUNT, "{through_container}");
    serve.assert_logged("GET /credentials -> 200");

    let endpoint = format!("{}/", serve.base);
    let env = [("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint.as_str()), ("AWS_METADATA_SERVICE_TIMEOUT", "10")];
    let through_imds = aws_cli_credentials(&home, None, &env);
    assert!(through_imds["AccessKeyId"].as_str().unwrap().starts_with("ASIA"), "{through_imds}");
    assert_eq!(through_imds["AccountId"], Value::Null, "{through_imds}");

    update_profile(&home, "p256", &stand_in.base, "app");
    let through_file = aws_cli_credentials(&home, Some("app"), &[("AWS_EC2_METADATA_DISABLED", "true")]);
    assert_eq!(through_file["AccountId"], ACCOUNT, "{through_file}");
}

/// `rolesanywhere update --once --profile PROFILE` for `leaf` into `home`'s credentials file.
fn update_profile(home: &Home, leaf: &str, endpoint: &str, profile: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_rolesanywhere"))
        .arg("update")
        .args(sign_args(leaf, endpoint))
        .args(["--once", "--no-cache", "--profile", profile])
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path("credentials"))
        .output()
        .unwrap();
    assert!(out.status.success(), "update failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// A profile that `update` wrote into the shared credentials file, which already holds another
/// profile: `aws sts get-caller-identity --profile app` signs with it, and the other profile
/// still reads as before.
#[test]
fn update_writes_a_profile_the_aws_cli_uses() {
    let stand_in = stand_in();
    let home = Home::new();
    std::fs::write(
        home.path("credentials"),
        "# someone else's\n[other]\naws_access_key_id = AKIAOTHEREXAMPLE\naws_secret_access_key = other\n",
    )
    .unwrap();
    update_profile(&home, "p256", &stand_in.base, "app");
    let out = home.get_caller_identity(&stand_in, Some("app"), &[("AWS_EC2_METADATA_DISABLED", "true")]);
    assert_p256_identity(&out);
    stand_in.assert_logged_times("POST /sessions -> 201 ok", 1);
    let other = aws_cli_credentials(&home, Some("other"), &[("AWS_EC2_METADATA_DISABLED", "true")]);
    assert_eq!(other["AccessKeyId"], "AKIAOTHEREXAMPLE", "{other}");
}

/// A second signer this project did not write, AWS Labs' `iam-rolesanywhere-session` (pinned in
/// `tests/requirements.txt`): its CreateSession requests (ECDSA P-256, P-384 and RSA leaves) are
/// accepted by the stand-in, its boto3 session's STS call names the role, and the prj-other leaf
/// gets AccessDenied. The library only builds `https://{endpoint}/sessions`; the script sends
/// the signed request over plain HTTP instead (the signature covers the host, not the scheme).
#[test]
fn iam_rolesanywhere_session_against_the_stand_in() {
    const SCRIPT: &str = r#"
import json, sys
from iam_rolesanywhere_session import IAMRolesAnywhereSession
pki, endpoint, anchor, profile, role = sys.argv[1:6]
results = {}
for leaf in ["p256", "p384", "rsa2048", "prj-other"]:
    read = lambda name: open(f"{pki}/{name}", "rb").read()
    session = IAMRolesAnywhereSession(
        profile_arn=profile, role_arn=role, trust_anchor_arn=anchor,
        certificate=read(f"{leaf}.pem"), private_key=read(f"{leaf}.pkcs8.pem"),
        certificate_chain=read("chain.pem"), region="us-west-2",
        endpoint=endpoint.split("//", 1)[1])
    send = session._session.send
    def plain_http(request, send=send):
        request.url = request.url.replace("https://", "http://", 1)
        return send(request)
    session._session.send = plain_http
    try:
        sts = session.get_session(region_name="us-west-2").client("sts", endpoint_url=endpoint)
        results[leaf] = sts.get_caller_identity()["Arn"]
    except Exception as e:
        results[leaf] = f"{type(e).__name__}: {e}"
print(json.dumps(results))
"#;
    let stand_in = stand_in();
    let home = Home::new();
    let python = find_on_path("python3").expect("python3 is not on PATH: run scripts/setup");
    let pki = pki();
    let mut command = clean_command(&python, home.dir.path());
    command
        .env("AWS_CONFIG_FILE", home.path("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["-c", SCRIPT])
        .arg(pki.dir.path())
        .args([stand_in.base.as_str(), ANCHOR, PROFILE, ROLE]);
    let out = run_client(&mut command);
    assert!(
        out.status.success(),
        "python3 failed ({}); is iam-rolesanywhere-session installed? run scripts/setup\nstderr: {}",
        out.status,
        out.stderr
    );
    let results: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    for leaf in ["p256", "p384", "rsa2048"] {
        let serial = session_name(pki, leaf);
        assert_eq!(results[leaf], format!("arn:aws:sts::{ACCOUNT}:assumed-role/demo/{serial}"), "{results}");
    }
    let refused = results["prj-other"].as_str().unwrap();
    assert!(
        refused.starts_with("CredentialsRetrievalError") && refused.contains("(HTTP 403): Not authorized"),
        "{refused}"
    );
    stand_in.assert_logged("POST /sessions -> 403 AccessDeniedException");
}
