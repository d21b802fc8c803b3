//! `rolesanywhere`: sign AWS IAM Roles Anywhere `CreateSession` requests from the command line,
//! and get credentials with them.
//!
//! Flag names follow AWS's own `aws_signing_helper` where it has the same flag.

mod cache;
mod credential_process;
mod http;
mod provider;
mod serve;
mod stand_in;

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, Parser, Subcommand};
use rolesanywhere::{
    Certificate, CreateSession, CreateSessionOptions, ErrorCode, Millis, PrivateKey, SignedRequest, Time,
};
use zeroize::Zeroizing;

/// Sign in to AWS with an X.509 certificate through IAM Roles Anywhere.
#[derive(Parser)]
#[command(name = "rolesanywhere", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a signed CreateSession request as JSON ({"method","url","headers","body"}); sends nothing.
    SignRequest(SignArgs),
    /// Send the CreateSession request and print the credentials as credential_process JSON
    /// ({"Version":1,"AccessKeyId",…,"Expiration"}), for `credential_process` in ~/.aws/config;
    /// runs on one machine share credentials through a cache directory until their refresh time.
    CredentialProcess(credential_process::CredentialProcessArgs),
    /// Serve credentials to local processes over the IMDSv2 and container-credential protocols,
    /// refreshing them at half their lifetime.
    Serve(serve::ServeArgs),
    /// Run a local stand-in for IAM Roles Anywhere CreateSession and STS GetCallerIdentity,
    /// configured with trust anchors, roles and profiles (see the README).
    StandIn(stand_in::StandInArgs),
}

/// What a CreateSession request is built from.
#[derive(Args)]
struct SignArgs {
    /// Leaf certificate, PEM or DER.
    #[arg(long, value_name = "FILE")]
    certificate: PathBuf,
    /// Private key of the certificate: PKCS#8, SEC1 or PKCS#1, PEM or DER.
    #[arg(long, value_name = "FILE")]
    private_key: PathBuf,
    /// Intermediate CA certificates (PEM bundle or one DER), sent in X-Amz-X509-Chain.
    #[arg(long, value_name = "FILE")]
    intermediates: Option<PathBuf>,
    /// ARN of the trust anchor.
    #[arg(long, value_name = "ARN")]
    trust_anchor_arn: String,
    /// ARN of the Roles Anywhere profile.
    #[arg(long, value_name = "ARN")]
    profile_arn: String,
    /// ARN of the IAM role to assume.
    #[arg(long, value_name = "ARN")]
    role_arn: String,
    /// Region to sign for (default: the trust anchor ARN's region).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Session duration in seconds, 900 to 43200.
    #[arg(long, value_name = "SECONDS")]
    session_duration: Option<u64>,
    /// Role session name (the profile must accept custom names).
    #[arg(long, value_name = "NAME")]
    role_session_name: Option<String>,
    /// Base URL to send to instead of `https://rolesanywhere.REGION.amazonaws.com`.
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// Use the FIPS endpoint (rolesanywhere-fips.REGION...).
    #[arg(long)]
    fips: bool,
    /// Signing time, RFC 3339 (default: now). Fixes X-Amz-Date for reproducible output.
    #[arg(long, value_name = "TIME")]
    date: Option<String>,
    /// Also print each signing step (canonical request, string to sign) on stderr.
    #[arg(long)]
    explain: bool,
}

/// Why a command failed: a stable code from the core's one list, and one line for stderr that
/// names the problem and never holds a secret. `serve` answers with the same code and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// `InvalidInput`, `InvalidCertificate`, `AccessDenied`, `Network`, …
    pub code: ErrorCode,
    /// What went wrong.
    pub message: String,
}

impl Failure {
    /// A failure with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure { code, message: message.into() }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<rolesanywhere::Error> for Failure {
    fn from(e: rolesanywhere::Error) -> Self {
        Failure::new(e.code(), e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprintln!(
                "error: a subcommand is required: sign-request, credential-process, serve or stand-in (see rolesanywhere --help)"
            );
            return ExitCode::from(2);
        }
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's message spans lines (and adds usage); keep the part that names the problem.
            let text = e.render().to_string();
            let problem: Vec<&str> = text
                .lines()
                .take_while(|l| !l.starts_with("Usage:"))
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("tip:"))
                .collect();
            eprintln!("{}", elide(&problem.join(" "), MAX_ERROR_LINE));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::SignRequest(args) => sign_request(&args),
        Command::CredentialProcess(args) => credential_process::run(args),
        Command::Serve(args) => serve::run(args),
        Command::StandIn(args) => stand_in::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", elide(&failure.message, MAX_ERROR_LINE));
            ExitCode::FAILURE
        }
    }
}

/// Longest error line printed; a longer one (a huge flag value echoed) loses its middle.
const MAX_ERROR_LINE: usize = 1024;
/// Longest input (a flag value, a path) echoed in a message.
const MAX_ECHO: usize = 200;

/// `text` cut to at most about `max` bytes by replacing its middle with ` … `, on character
/// boundaries, so that both the start and the reason at the end stay.
fn elide(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let floor = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let head = floor(max * 2 / 3);
    let tail = floor(text.len() - max / 3);
    format!("{} … {}", &text[..head], &text[tail..])
}

/// A flag value for a message: quoted and escaped like `{:?}` (so it stays on one line), and cut
/// to its first [`MAX_ECHO`] characters.
pub fn shown(value: &str) -> String {
    match value.char_indices().nth(MAX_ECHO) {
        Some((cut, _)) => format!("{:?}…", &value[..cut]),
        None => format!("{value:?}"),
    }
}

/// A path for a message, as [`shown`].
pub fn shown_path(path: &Path) -> String {
    shown(&path.to_string_lossy())
}

fn sign_request(args: &SignArgs) -> Result<(), Failure> {
    let signed = build(args)?;
    let json = serde_json::to_string_pretty(&request_json(&signed))
        .map_err(|e| Failure::new(ErrorCode::Internal, e.to_string()))?;
    write_stdout(&json)
}

/// Writes `text` and a newline on stdout.
fn write_stdout(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::new(ErrorCode::Internal, format!("cannot write to standard output: {e}")))
}

fn build(args: &SignArgs) -> Result<SignedRequest, Failure> {
    let now = match &args.date {
        Some(text) => parse_date(text)?,
        None => system_time()?,
    };
    Ok(sign_at(args, now, args.explain)?.0)
}

/// The `--date` flag's time.
fn parse_date(text: &str) -> Result<Time, Failure> {
    Time::parse_rfc3339(text).map_err(|e| Failure::new(ErrorCode::InvalidTime, format!("--date {}: {e}", shown(text))))
}

/// The system clock, in milliseconds since the Unix epoch.
fn unix_millis() -> Result<Millis, Failure> {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| Failure::new(ErrorCode::InvalidTime, "the system clock is before 1970"))?;
    Ok(u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX))
}

/// The system clock.
fn system_time() -> Result<Time, Failure> {
    Ok(Time::from_unix_seconds(unix_millis()? / 1000).map_err(rolesanywhere::Error::from)?)
}

impl SignArgs {
    /// The `CreateSession` options these flags name.
    fn create_session_options(&self) -> CreateSessionOptions {
        let mut options = CreateSessionOptions::new(&self.trust_anchor_arn, &self.profile_arn, &self.role_arn);
        options.region.clone_from(&self.region);
        options.endpoint.clone_from(&self.endpoint);
        options.fips = self.fips;
        options.duration_seconds = self.session_duration;
        options.role_session_name.clone_from(&self.role_session_name);
        options
    }
}

/// A failure with `e`'s code, naming the flag and its file.
fn coded(flag: &str, path: &Path, e: rolesanywhere::Error) -> Failure {
    Failure::new(e.code(), format!("{flag} {}: {e}", shown_path(path)))
}

/// Reads the `--certificate` file.
fn read_certificate(args: &SignArgs) -> Result<Certificate, Failure> {
    Certificate::parse(&read_input("--certificate", &args.certificate)?)
        .map_err(|e| coded("--certificate", &args.certificate, e.into()))
}

/// Reads the certificate, key and intermediates and signs a CreateSession request at `now`;
/// returns it with the certificate's expiry.
fn sign_at(args: &SignArgs, now: Time, explain: bool) -> Result<(SignedRequest, Time), Failure> {
    let leaf = read_certificate(args)?;
    let key = PrivateKey::parse(&read_input("--private-key", &args.private_key)?)
        .map_err(|e| coded("--private-key", &args.private_key, e.into()))?;
    warn_if_exposed("--private-key", &args.private_key);
    let chain = match &args.intermediates {
        Some(path) => rolesanywhere::parse_intermediates(&read_input("--intermediates", path)?)
            .map_err(|e| coded("--intermediates", path, e.into()))?,
        None => Vec::new(),
    };

    let options = args.create_session_options();
    let unsigned = CreateSession::from_options(&leaf, &options)
        .intermediates(&chain)
        .prepare(now)
        .map_err(rolesanywhere::Error::from)?;
    if explain {
        eprintln!(
            "== certificate\nserial (decimal): {}\nsubject CN: {}\nURI SANs: {}\nkey: {}",
            leaf.serial_number(),
            leaf.subject_common_name().unwrap_or("-"),
            leaf.uri_sans().join(", "),
            key.key_type()
        );
        eprintln!(
            "== canonical request\n{}\n== string to sign\n{}",
            unsigned.canonical_request(),
            unsigned.string_to_sign()
        );
    }
    let signed = unsigned.sign(&key).map_err(rolesanywhere::Error::from)?;
    Ok((signed, leaf.not_after()))
}

/// Reads a certificate or key file, refusing inputs larger than the library takes; the buffer
/// is zeroized when dropped since it may hold a key.
fn read_input(flag: &str, path: &Path) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let limit = rolesanywhere::MAX_INPUT_LEN as u64;
    let fail = |e: std::io::Error| {
        Failure::new(ErrorCode::InvalidInput, format!("cannot read {flag} {}: {e}", shown_path(path)))
    };
    let file = File::open(path).map_err(fail)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(limit + 1).read_to_end(&mut bytes).map_err(fail)?;
    if bytes.len() as u64 > limit {
        return Err(Failure::new(
            ErrorCode::InvalidInput,
            format!("{flag} {} is larger than {limit} bytes", shown_path(path)),
        ));
    }
    Ok(bytes)
}

/// Warns on stderr when a secret's file (a private key, a token) can be read or changed by
/// group or others, the check ssh makes of private keys ("UNPROTECTED PRIVATE KEY FILE").
pub fn warn_if_exposed(flag: &str, path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o077 != 0 {
                eprintln!(
                    "warning: {flag} {} is open to group or others (mode {mode:04o}); make it private to its owner (chmod 600), as ssh requires of private keys",
                    shown_path(path)
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (flag, path);
}

/// The JSON object `sign-request` prints: `{"method", "url", "headers": {name: value}, "body"}`.
fn request_json(signed: &SignedRequest) -> serde_json::Value {
    let headers: serde_json::Map<String, serde_json::Value> =
        signed.headers.iter().map(|(n, v)| (n.clone(), serde_json::Value::String(v.clone()))).collect();
    serde_json::json!({
        "method": signed.method,
        "url": signed.url,
        "headers": headers,
        "body": signed.body,
    })
}
