//! `rolesanywhere`: sign AWS IAM Roles Anywhere `CreateSession` requests from the command line,
//! and get credentials with them.
//!
//! Flag names follow AWS's own `aws_signing_helper` where it has the same flag.

mod cache;
mod credential_process;
mod http;
mod inputs;
mod net;
mod provider;
mod serve;
mod stand_in;
mod update;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand};
use rolesanywhere::{CreateSession, CreateSessionOptions, ErrorCode, Millis, SignedRequest, Time};

use crate::inputs::{Material, Secret, Source, Stdin};

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
    /// Keep a profile of the AWS shared credentials file (~/.aws/credentials) fresh for tools
    /// that read only that file: written at once, then at every refresh until stopped.
    Update(update::UpdateArgs),
    /// Run a local stand-in for IAM Roles Anywhere CreateSession and STS GetCallerIdentity,
    /// configured with trust anchors, roles and profiles (see the README).
    StandIn(stand_in::StandInArgs),
}

/// What a CreateSession request is built from. Each input is a FILE, `-` (standard input, for
/// one input at most) or `env:NAME` (an environment variable's value).
#[derive(Args)]
struct SignArgs {
    /// Leaf certificate, PEM or DER; or a PEM full chain (the leaf first, then intermediates); or
    /// a PKCS#12 file (.p12/.pfx) holding the certificate, its key and chain. FILE, `-`
    /// (standard input) or `env:NAME`.
    #[arg(long, value_name = "FILE", value_parser = source_parser())]
    certificate: Source,
    /// Private key of the certificate: PKCS#8, SEC1 or PKCS#1, PEM or DER, or an encrypted
    /// PKCS#8 key (ENCRYPTED PRIVATE KEY); omitted when --certificate is a PKCS#12 file. FILE,
    /// `-` (standard input) or `env:NAME`.
    #[arg(long, value_name = "FILE", value_parser = source_parser())]
    private_key: Option<Source>,
    /// Intermediate CA certificates (PEM bundle or one DER), sent in X-Amz-X509-Chain. FILE,
    /// `-` (standard input) or `env:NAME`.
    #[arg(long, value_name = "FILE", value_parser = source_parser())]
    intermediates: Option<Source>,
    /// Password of an encrypted PKCS#8 --private-key. Other users can see it in `ps`: prefer
    /// --pkcs8-password-file.
    #[arg(long, value_name = "PASSWORD", conflicts_with = "pkcs8_password_file", value_parser = secret_parser())]
    pkcs8_password: Option<Secret>,
    /// File (or -, env:NAME) holding the password of an encrypted PKCS#8 --private-key; one
    /// trailing newline is not part of it.
    #[arg(long, value_name = "FILE", value_parser = source_parser())]
    pkcs8_password_file: Option<Source>,
    /// Password of a PKCS#12 --certificate. Other users can see it in `ps`: prefer
    /// --pkcs12-password-file.
    #[arg(long, value_name = "PASSWORD", conflicts_with = "pkcs12_password_file", value_parser = secret_parser())]
    pkcs12_password: Option<Secret>,
    /// File (or -, env:NAME) holding the password of a PKCS#12 --certificate; one trailing
    /// newline is not part of it.
    #[arg(long, value_name = "FILE", value_parser = source_parser())]
    pkcs12_password_file: Option<Source>,
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
    /// Also print each signing step (inputs, algorithm, canonical request, string to sign) on
    /// stderr.
    #[arg(long)]
    explain: bool,
    /// Standard input, when an input is `-`: read once, when the command starts.
    #[arg(skip)]
    stdin: Stdin,
}

/// Parses an input flag's value: FILE, `-` or `env:NAME`.
fn source_parser() -> impl TypedValueParser<Value = Source> {
    clap::builder::OsStringValueParser::new().map(Source::from)
}

/// Parses a password flag's value, kept zeroized.
fn secret_parser() -> impl TypedValueParser<Value = Secret> {
    clap::builder::StringValueParser::new().map(Secret::from)
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
                "error: a subcommand is required: sign-request, credential-process, serve, update or stand-in (see rolesanywhere --help)"
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
        Command::Update(args) => update::run(args),
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
    args.check_inputs()?;
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

/// Reads the inputs and signs a CreateSession request at `now`; returns it with the
/// certificate's expiry. With `explain`, prints the inputs, the certificate's facts, the
/// algorithm, the canonical request and the string to sign on stderr.
fn sign_at(args: &SignArgs, now: Time, explain: bool) -> Result<(SignedRequest, Time), Failure> {
    let Material { leaf, key, intermediates, forms } = args.material()?;
    let options = args.create_session_options();
    let unsigned = CreateSession::from_options(&leaf, &options)
        .intermediates(&intermediates)
        .prepare(now)
        .map_err(rolesanywhere::Error::from)?;
    if explain {
        eprintln!("== inputs\n{}", forms.join("\n"));
        eprintln!(
            "== certificate\nserial (decimal): {}\nsubject CN: {}\nURI SANs: {}\nkey: {}\nalgorithm: {}",
            leaf.serial_number(),
            leaf.subject_common_name().unwrap_or("-"),
            leaf.uri_sans().join(", "),
            key.key_type(),
            unsigned.algorithm().name()
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
