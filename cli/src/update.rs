//! `rolesanywhere update`: keeps a profile of the AWS shared credentials file fresh for tools
//! that read only that file, as AWS's `aws_signing_helper update` does (Roles Anywhere user
//! guide, *Credential helper*, `update`: "Updates a profile in the AWS credentials file with
//! new AWS credentials").
//!
//! - **Where**: `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials` (AWS SDKs and Tools
//!   Reference Guide, *Location of the shared config and credentials files*). A symbolic link is
//!   followed: the file it points to is replaced.
//! - **What**: the section `[NAME]` of `--profile NAME` (default `default`; the credentials
//!   file's sections carry no `profile ` prefix) gets `aws_access_key_id`,
//!   `aws_secret_access_key`, `aws_session_token`, and `aws_account_id` when the answer names the
//!   account (botocore's `SharedCredentialProvider` reads it). Lines of those keys are replaced
//!   (with their continuation lines); an `aws_security_token` line, which botocore would read
//!   before `aws_session_token`, gets the token too; missing keys go after the section's last
//!   setting; a missing section is appended. Every other byte of the file stays as it was: other
//!   profiles, comments, blank lines, the section's other settings, line endings.
//! - **How**: a temporary file in the same directory, mode 0600, written, synced and renamed
//!   over the file, so readers see the old file or the new one, never a part; the directory is
//!   created 0700 when missing.
//! - **When**: at once, then whenever the provider refreshes the credentials (half their
//!   lifetime, or `--refresh-margin` before they or the certificate expire; shared with
//!   `credential-process` and `serve` through the cache), until SIGINT or SIGTERM; `--once`
//!   writes once and exits. A failed first sign-in ends the command with its error; later
//!   failures are reported on stderr while the file keeps the credentials it has, and the
//!   provider retries them with its backoff.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use rolesanywhere::{ErrorCode, Time};
use zeroize::Zeroizing;

use crate::cache::{Cache, CacheArgs};
use crate::net::{Net, NetArgs};
use crate::provider::{DueRefresh, Issued, Provider, RefreshArgs};
use crate::{Failure, SignArgs};

/// Options of `rolesanywhere update`.
#[derive(Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    sign: SignArgs,
    /// The profile of the shared credentials file to write: its section `[NAME]`.
    #[arg(long, value_name = "NAME", default_value = "default")]
    profile: String,
    /// Write the profile once and exit, instead of refreshing it until stopped.
    #[arg(long)]
    once: bool,
    #[command(flatten)]
    refresh: RefreshArgs,
    #[command(flatten)]
    cache: CacheArgs,
    #[command(flatten)]
    net: NetArgs,
}

/// Largest credentials file read.
const MAX_FILE_LEN: u64 = 1024 * 1024;
/// How often a failed refresh is looked at again (the provider decides when it retries).
const POLL: Duration = Duration::from_secs(1);

/// Writes the profile, then keeps it fresh until SIGINT or SIGTERM (or once with `--once`).
pub fn run(args: UpdateArgs) -> Result<(), Failure> {
    let UpdateArgs { sign, profile, once, refresh, cache, net } = args;
    if sign.date.is_some() || sign.explain {
        return Err(Failure::new(
            ErrorCode::InvalidOptions,
            "--date and --explain are for sign-request; update signs at the current time",
        ));
    }
    check_profile_name(&profile)?;
    let path = credentials_file()?;
    sign.check_inputs()?;
    let net = Arc::new(Net::new(&net)?);
    let config = refresh.config();
    let now = Box::new(|| crate::unix_millis().unwrap_or(0));
    let hooks = crate::credential_process::hooks(Arc::new(sign), net, now, false, Cache::open(&cache));
    let provider = Provider::new(hooks, config, DueRefresh::Wait);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(ErrorCode::Internal, format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let mut stop = Stop::new()?;
        let mut written: Option<Issued> = None;
        let mut reported: Option<Failure> = None;
        loop {
            let result = tokio::select! {
                result = provider.credentials() => result,
                () = stop.signalled() => return Ok(()),
            };
            let now = crate::unix_millis()?;
            let wait = match result {
                Ok(issued) if written.as_ref() != Some(&issued) => {
                    write_profile(&path, &profile, &issued)?;
                    let next = if once {
                        String::new()
                    } else {
                        let at = provider.fresh_until().map(|ms| Time::from_unix_seconds(ms / 1000));
                        at.and_then(Result::ok).map(|t| format!("; next refresh at {t}")).unwrap_or_default()
                    };
                    eprintln!(
                        "wrote [{profile}] in {}: {} until {}{next}",
                        crate::shown_path(&path),
                        issued.access_key_id(),
                        issued.expiration()
                    );
                    written = Some(issued);
                    reported = None;
                    if once {
                        return Ok(());
                    }
                    until(provider.fresh_until(), now)
                }
                // The credentials written are still the current ones: the refresh, if one was
                // due, failed or waits for its backoff.
                Ok(_) => {
                    if let Some(e) = provider.last_error().filter(|e| reported.as_ref() != Some(e)) {
                        eprintln!(
                            "refresh failed: {} ({}); the profile keeps the credentials it has",
                            e.message, e.code
                        );
                        reported = Some(e);
                    }
                    until(provider.fresh_until(), now)
                }
                Err(e) if written.is_none() => return Err(e),
                Err(e) => {
                    if reported.as_ref() != Some(&e) {
                        eprintln!(
                            "refresh failed: {} ({}); the credentials in the profile have expired",
                            e.message, e.code
                        );
                        reported = Some(e);
                    }
                    POLL
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = stop.signalled() => return Ok(()),
            }
        }
    })
}

/// The wait until `fresh_until`, or [`POLL`] when that has passed or nothing is cached.
fn until(fresh_until: Option<u64>, now: u64) -> Duration {
    match fresh_until {
        Some(at) if at > now => Duration::from_millis(at - now),
        _ => POLL,
    }
}

/// SIGINT and SIGTERM, which end `update` with success.
struct Stop {
    #[cfg(unix)]
    signals: (tokio::signal::unix::Signal, tokio::signal::unix::Signal),
}

impl Stop {
    #[cfg(unix)]
    fn new() -> Result<Stop, Failure> {
        use tokio::signal::unix::{signal, SignalKind};
        let listen = |kind| {
            signal(kind).map_err(|e| Failure::new(ErrorCode::Internal, format!("cannot listen for signals: {e}")))
        };
        Ok(Stop { signals: (listen(SignalKind::interrupt())?, listen(SignalKind::terminate())?) })
    }

    #[cfg(not(unix))]
    fn new() -> Result<Stop, Failure> {
        Ok(Stop {})
    }

    /// Resolves when a signal to stop arrives.
    async fn signalled(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.signals.0.recv() => {}
            _ = self.signals.1.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Refuses a profile name that would not read back as the same section: empty, with brackets,
/// control characters, or leading or trailing white space.
fn check_profile_name(name: &str) -> Result<(), Failure> {
    let fine = !name.is_empty()
        && name.len() <= 256
        && name.trim() == name
        && name.chars().all(|c| !c.is_control() && c != '[' && c != ']');
    if fine {
        Ok(())
    } else {
        Err(Failure::new(
            ErrorCode::InvalidOptions,
            format!(
                "--profile {}: expected a name without brackets, control characters or surrounding spaces",
                crate::shown(name)
            ),
        ))
    }
}

/// `AWS_SHARED_CREDENTIALS_FILE` (a leading `~/` is the home directory), else
/// `$HOME/.aws/credentials`.
fn credentials_file() -> Result<PathBuf, Failure> {
    let home = || std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
    let no_home = || {
        Failure::new(
            ErrorCode::InvalidInput,
            "no credentials file: neither AWS_SHARED_CREDENTIALS_FILE nor HOME is set",
        )
    };
    match std::env::var_os("AWS_SHARED_CREDENTIALS_FILE").filter(|v| !v.is_empty()) {
        Some(value) => match value.to_str().and_then(|v| v.strip_prefix("~/")) {
            Some(rest) => Ok(home().ok_or_else(no_home)?.join(rest)),
            None => Ok(PathBuf::from(value)),
        },
        None => Ok(home().ok_or_else(no_home)?.join(".aws").join("credentials")),
    }
}

/// Writes `issued` into the profile `profile` of the credentials file at `path`.
fn write_profile(path: &Path, profile: &str, issued: &Issued) -> Result<(), Failure> {
    let fail = |e: io::Error| {
        Failure::new(
            ErrorCode::InvalidInput,
            format!("cannot write the credentials file {}: {e}", crate::shown_path(path)),
        )
    };
    let mut values = vec![
        ("aws_access_key_id", issued.access_key_id()),
        ("aws_secret_access_key", issued.secret_access_key()),
        ("aws_session_token", issued.session_token()),
    ];
    if let Some(account) = &issued.account_id {
        values.push(("aws_account_id", account));
    }
    if !values.iter().all(|(_, v)| !v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic())) {
        return Err(Failure::new(
            ErrorCode::InvalidResponse,
            "the credentials hold characters a credentials file cannot",
        ));
    }
    // The file a symbolic link points to is the one to replace.
    let target = match fs::canonicalize(path) {
        Ok(real) => real,
        Err(e) if e.kind() == io::ErrorKind::NotFound => path.to_path_buf(),
        Err(e) => return Err(fail(e)),
    };
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.exists() {
        crate::cache::create_private_dir(&dir).map_err(fail)?;
    }
    let old = match fs::File::open(&target) {
        Ok(file) => {
            if !file.metadata().map_err(fail)?.is_file() {
                return Err(fail(io::Error::other("not a regular file")));
            }
            let mut bytes = Zeroizing::new(Vec::new());
            file.take(MAX_FILE_LEN + 1).read_to_end(&mut bytes).map_err(fail)?;
            if bytes.len() as u64 > MAX_FILE_LEN {
                return Err(fail(io::Error::other(format!("larger than {MAX_FILE_LEN} bytes"))));
            }
            bytes
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Zeroizing::new(Vec::new()),
        Err(e) => return Err(fail(e)),
    };
    let new = Zeroizing::new(edit(&old, profile, &values));
    replace(&target, &new).map_err(fail)
}

/// Replaces `path` with `bytes` ([`crate::cache::replace_private`]: 0600, synced, renamed over
/// it); the directory is synced after, so the rename survives a crash.
fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    crate::cache::replace_private(path, bytes)?;
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// How the shared credentials file's parser (botocore's `raw_config_parse`, Python's
/// `RawConfigParser`) sees a line.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Line<'a> {
    /// Empty or white space.
    Blank,
    /// `#` or `;` first.
    Comment,
    /// `[NAME]`.
    Section(&'a [u8]),
    /// `key = value` or `key: value`; the key trimmed.
    Setting(&'a [u8]),
    /// An indented line after a setting: more of its value.
    Continuation,
}

/// Classifies `line` (without its line ending); `in_value` says whether the last significant
/// line was a setting or its continuation.
fn classify(line: &[u8], in_value: bool) -> Line<'_> {
    let trimmed = line.trim_ascii();
    if trimmed.is_empty() {
        return Line::Blank;
    }
    if trimmed.starts_with(b"#") || trimmed.starts_with(b";") {
        return Line::Comment;
    }
    if in_value && line.first().is_some_and(u8::is_ascii_whitespace) {
        return Line::Continuation;
    }
    if let Some(name) = trimmed.strip_prefix(b"[").and_then(|t| t.strip_suffix(b"]")) {
        return Line::Section(name);
    }
    let end = trimmed.iter().position(|b| *b == b'=' || *b == b':').unwrap_or(trimmed.len());
    Line::Setting(trimmed[..end].trim_ascii())
}

/// The credentials file `file` with the section `profile` holding `values` (key, value), as the
/// module doc says; every other byte unchanged.
fn edit(file: &[u8], profile: &str, values: &[(&str, &str)]) -> Vec<u8> {
    let lines: Vec<&[u8]> = file.split_inclusive(|b| *b == b'\n').collect();
    // New lines end as the file's first line does.
    let crlf = |line: &[u8]| line.ends_with(b"\r\n");
    let newline: &[u8] = if lines.first().is_some_and(|l| crlf(l)) { b"\r\n" } else { b"\n" };
    let setting = |key: &str, value: &str, ending: &[u8]| [key.as_bytes(), b" = ", value.as_bytes(), ending].concat();
    let strip = |line: &'_ [u8]| -> usize {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        body.strip_suffix(b"\r").unwrap_or(body).len()
    };

    let mut out: Vec<Vec<u8>> = Vec::with_capacity(lines.len() + values.len() + 2);
    let mut in_value = false;
    let mut in_profile = false;
    let mut seen_profile = false;
    let mut written: Vec<&str> = Vec::new();
    // Where the missing keys go: after the profile's last setting (or its header).
    let mut insert_at = None;
    let mut dropping = false;
    for line in &lines {
        let kind = classify(&line[..strip(line)], in_value);
        match kind {
            Line::Section(name) => {
                in_profile = !seen_profile && name == profile.as_bytes();
                seen_profile |= in_profile;
                in_value = false;
                dropping = false;
                out.push(line.to_vec());
                if in_profile {
                    insert_at = Some(out.len());
                }
                continue;
            }
            Line::Setting(_) | Line::Continuation => in_value = true,
            Line::Blank | Line::Comment => {}
        }
        if !in_profile {
            out.push(line.to_vec());
            continue;
        }
        match kind {
            Line::Continuation if dropping => continue,
            Line::Setting(key) => {
                let key = String::from_utf8_lossy(key).to_ascii_lowercase();
                let value = match key.as_str() {
                    "aws_security_token" => values.iter().find(|(k, _)| *k == "aws_session_token"),
                    _ => values.iter().find(|(k, _)| *k == key),
                };
                dropping = value.is_some();
                match value {
                    Some((k, v)) => {
                        let k = if key == "aws_security_token" { "aws_security_token" } else { k };
                        // The line's own ending (or none, on a last line without one).
                        out.push(setting(k, v, &line[strip(line)..]));
                        written.push(k);
                    }
                    None => out.push(line.to_vec()),
                }
                insert_at = Some(out.len());
            }
            Line::Continuation => {
                out.push(line.to_vec());
                insert_at = Some(out.len());
            }
            // A value's continuation may follow blank lines and comments.
            _ => out.push(line.to_vec()),
        }
    }
    let missing = values.iter().filter(|(k, _)| !written.contains(k));
    match insert_at {
        Some(at) => {
            // Inserted lines end as the line before them does.
            let before = &mut out[at - 1];
            let ending: &[u8] = if before.ends_with(b"\n") { &before[strip(before)..] } else { newline };
            let ending = ending.to_vec();
            let missing: Vec<Vec<u8>> = missing.map(|(k, v)| setting(k, v, &ending)).collect();
            if !before.ends_with(b"\n") && !missing.is_empty() {
                before.extend_from_slice(newline);
            }
            out.splice(at..at, missing);
        }
        None => {
            if let Some(last) = out.last_mut() {
                if !last.ends_with(b"\n") {
                    last.extend_from_slice(newline);
                }
                if last.trim_ascii() != b"" {
                    out.push(newline.to_vec());
                }
            }
            out.push([b"[", profile.as_bytes(), b"]", newline].concat());
            out.extend(missing.map(|(k, v)| setting(k, v, newline)));
        }
    }
    out.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUES: [(&str, &str); 4] = [
        ("aws_access_key_id", "ASIANEW"),
        ("aws_secret_access_key", "newsecret"),
        ("aws_session_token", "newtoken"),
        ("aws_account_id", "123456789012"),
    ];

    fn edited(file: &str, profile: &str) -> String {
        String::from_utf8(edit(file.as_bytes(), profile, &VALUES)).unwrap()
    }

    const NEW: &str = "aws_access_key_id = ASIANEW\naws_secret_access_key = newsecret\naws_session_token = newtoken\naws_account_id = 123456789012\n";

    #[test]
    fn a_new_file_and_a_new_profile() {
        assert_eq!(edited("", "app"), format!("[app]\n{NEW}"));
        assert_eq!(edited("[a]\nx = 1\n", "app"), format!("[a]\nx = 1\n\n[app]\n{NEW}"));
        assert_eq!(edited("[a]\nx = 1", "app"), format!("[a]\nx = 1\n\n[app]\n{NEW}"));
        assert_eq!(edited("[a]\nx = 1\n\n", "app"), format!("[a]\nx = 1\n\n[app]\n{NEW}"));
        // `[profile app]` is the config file's form, not the credentials file's: another section.
        assert_eq!(edited("[profile app]\n", "app"), format!("[profile app]\n\n[app]\n{NEW}"));
    }

    #[test]
    fn only_the_profile_s_keys_change() {
        let file = "# top\r\n[default]\r\naws_access_key_id = AKIAOTHER\r\n\r\n[app]\r\n; mine\r\nregion=us-west-2\r\nAWS_ACCESS_KEY_ID : OLD\r\naws_session_token = OLD\r\n  more-of-the-old-token\r\naws_security_token=OLDER\r\noutput = json\r\n# next: other\r\n\r\n[other]\r\naws_session_token = KEEP\r\n[app]\r\naws_session_token = SECOND\r\n";
        let want = "# top\r\n[default]\r\naws_access_key_id = AKIAOTHER\r\n\r\n[app]\r\n; mine\r\nregion=us-west-2\r\naws_access_key_id = ASIANEW\r\naws_session_token = newtoken\r\naws_security_token = newtoken\r\noutput = json\r\naws_secret_access_key = newsecret\r\naws_account_id = 123456789012\r\n# next: other\r\n\r\n[other]\r\naws_session_token = KEEP\r\n[app]\r\naws_session_token = SECOND\r\n";
        assert_eq!(edited(file, "app"), want);
        // Written again: nothing moves.
        assert_eq!(edited(want, "app"), want);
    }

    #[test]
    fn a_last_line_without_newline_and_an_empty_profile() {
        assert_eq!(edited("[app]\naws_session_token = OLD", "app"), "[app]\naws_session_token = newtoken\naws_access_key_id = ASIANEW\naws_secret_access_key = newsecret\naws_account_id = 123456789012\n");
        assert_eq!(edited("[app]\n[b]\n", "app"), format!("[app]\n{NEW}[b]\n"));
        assert_eq!(edited("[app]", "app"), format!("[app]\n{NEW}"));
    }

    #[test]
    fn profile_names() {
        for good in ["default", "app", "my profile", "a.b-c_d@e"] {
            assert!(check_profile_name(good).is_ok(), "{good}");
        }
        for bad in ["", " app", "app ", "a]b", "[app", "a\nb", "a\tb"] {
            assert_eq!(check_profile_name(bad).unwrap_err().code, ErrorCode::InvalidOptions, "{bad:?}");
        }
    }
}
