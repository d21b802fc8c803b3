//! The CLI's credential cache: `credential-process` and `serve` runs on one machine share the
//! credentials of one sign-in through files, so that a shell loop of `aws` commands (the AWS CLI
//! runs `credential_process` for every command) makes one `CreateSession` per refresh instead of
//! one per command, and stays under the service's quota (`CreateSession`: 10 requests per second
//! per account and region, Roles Anywhere *Quotas*).
//!
//! The layout follows the AWS CLI's own caches (`~/.aws/cli/cache` for assumed roles,
//! `~/.aws/sso/cache`: one `<key>.json` file per entry, created 0600, botocore
//! `JSONFileCache`), with stricter rules, since the files hold secrets:
//!
//! - the directory is `--cache-dir`, else `$XDG_CACHE_HOME/rolesanywhere` (XDG Base Directory
//!   Specification; an absolute path only), else `$HOME/.cache/rolesanywhere`; it is created
//!   0700, and not used (with a warning) if it belongs to another user or lets group or others in;
//! - an entry is `<key>.json`, where the key is the SHA-256 of everything that decides which
//!   credentials a sign-in gets ([`key`]); it is written to a temporary file, synced and renamed
//!   into place, so readers see a whole entry or none, and made 0600 whatever the umask;
//! - an entry is trusted only if it is a regular file of this user, mode 0600, that parses:
//!   anything else is ignored (with a warning) and replaced by the next sign-in;
//! - `<key>.lock` serialises the sign-ins for one key (an advisory `flock`), so that N runs that
//!   find no usable entry make one `CreateSession`: the first signs in and writes the entry while
//!   the others wait, then read it;
//! - failures are never written: only credentials that the provider accepted.
//!
//! When credentials are used and refreshed is decided by the provider (`crate::provider` and
//! the core's `Provider`), not here.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use clap::Args;
use rolesanywhere::{Certificate, CreateSessionOptions, Credentials, Millis, Time};

use crate::provider::Issued;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The flags of the cache (`credential-process` and `serve`).
#[derive(Args)]
pub struct CacheArgs {
    /// Do not share credentials with other runs on this machine: sign in every time, write nothing.
    #[arg(long)]
    pub no_cache: bool,
    /// The credential cache directory (default: $XDG_CACHE_HOME/rolesanywhere, else
    /// ~/.cache/rolesanywhere).
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,
}

/// The largest entry read (a session token is about 1 KB).
const MAX_ENTRY_LEN: u64 = 64 * 1024;
/// The format of an entry.
const VERSION: u32 = 1;

/// A cache directory that is safe to use.
#[derive(Clone, Debug)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache the flags name, created if it is missing; `None` when it is off, or when there
    /// is no safe directory for it (a warning on stderr says why; the command then signs in as
    /// with `--no-cache`).
    pub fn open(args: &CacheArgs) -> Option<Cache> {
        if args.no_cache {
            return None;
        }
        let dir = match &args.cache_dir {
            Some(dir) => dir.clone(),
            None => match default_dir() {
                Some(dir) => dir,
                None => {
                    warn("no credential cache: neither XDG_CACHE_HOME nor HOME is an absolute path");
                    return None;
                }
            },
        };
        match prepare(&dir) {
            Ok(()) => Some(Cache { dir }),
            Err(why) => {
                warn(&format!("not using the credential cache {}: {why}", crate::shown_path(&dir)));
                None
            }
        }
    }

    /// The entry for credentials from `leaf` with `options`.
    pub fn entry(&self, leaf: &Certificate, options: &CreateSessionOptions) -> Entry {
        let key = key(leaf.der(), options);
        Entry {
            path: self.dir.join(format!("{key}.json")),
            lock_path: self.dir.join(format!("{key}.lock")),
            certificate_not_after: leaf.not_after().unix_seconds().saturating_mul(1000),
        }
    }
}

/// `$XDG_CACHE_HOME/rolesanywhere`, else `$HOME/.cache/rolesanywhere`; relative values are
/// ignored, as the XDG Base Directory Specification asks.
fn default_dir() -> Option<PathBuf> {
    let absolute = |name: &str| std::env::var_os(name).map(PathBuf::from).filter(|p| p.is_absolute());
    absolute("XDG_CACHE_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".cache")))
        .map(|base| base.join("rolesanywhere"))
}

/// Creates `dir` (0700, and its missing parents 0700, as the XDG Base Directory Specification
/// asks) if it is missing, and checks that it is a directory of this user that no one else can
/// enter.
fn prepare(dir: &Path) -> Result<(), String> {
    if let Err(e) = fs::symlink_metadata(dir) {
        if e.kind() != io::ErrorKind::NotFound {
            return Err(e.to_string());
        }
        create_private_dir(dir).map_err(|e| format!("cannot create it: {e}"))?;
    }
    let meta = fs::metadata(dir).map_err(|e| e.to_string())?;
    if !meta.is_dir() {
        return Err("it is not a directory".into());
    }
    let (owner, mode) = owner_and_mode(&meta);
    let me = euid();
    if owner != me {
        return Err(format!("it belongs to uid {owner}, not to this user (uid {me})"));
    }
    if mode & 0o077 != 0 {
        return Err(format!("its mode {mode:04o} lets group or others in; it must be 0700 (chmod 700)"));
    }
    Ok(())
}

/// The entry of one set of credentials: where they are saved and locked.
#[derive(Debug)]
pub struct Entry {
    path: PathBuf,
    lock_path: PathBuf,
    /// When the certificate the key was made from expires, in milliseconds since the Unix epoch.
    pub certificate_not_after: Millis,
}

#[cfg(test)]
impl Entry {
    /// The entry `key` in `dir`, for a certificate valid until `certificate_not_after`.
    pub fn at(dir: &Path, key: &str, certificate_not_after: Millis) -> Entry {
        Entry {
            path: dir.join(format!("{key}.json")),
            lock_path: dir.join(format!("{key}.lock")),
            certificate_not_after,
        }
    }
}

/// Credentials read from an entry, and when they were obtained.
pub struct Saved {
    /// The credentials and their account.
    pub credentials: Issued,
    /// When the sign-in that got them was made, in milliseconds since the Unix epoch.
    pub issued: Millis,
}

/// The lock of an entry, held until dropped.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// An entry on disk: the `credential_process` output's fields, and the time of the sign-in.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct EntryFile<S> {
    version: u32,
    access_key_id: S,
    secret_access_key: S,
    session_token: S,
    expiration: S,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account_id: Option<S>,
    issued: S,
}

impl Entry {
    /// The saved credentials, if the entry exists and can be trusted: a regular file of this
    /// user, mode 0600, holding an entry. Anything else is ignored (with a warning on stderr)
    /// and replaced by the next [`Entry::save`].
    pub fn load(&self) -> Option<Saved> {
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
            Err(e) => return self.ignored(&e.to_string()),
        };
        let meta = match file.metadata() {
            Ok(meta) => meta,
            Err(e) => return self.ignored(&e.to_string()),
        };
        let (owner, mode) = owner_and_mode(&meta);
        if !meta.is_file() {
            return self.ignored("not a regular file");
        }
        if owner != euid() {
            return self.ignored(&format!("it belongs to uid {owner}, not to this user"));
        }
        if mode & 0o777 != 0o600 {
            return self.ignored(&format!("its mode is {mode:04o}, not 0600"));
        }
        let mut bytes = Zeroizing::new(Vec::new());
        if let Err(e) = file.take(MAX_ENTRY_LEN + 1).read_to_end(&mut bytes) {
            return self.ignored(&e.to_string());
        }
        if bytes.len() as u64 > MAX_ENTRY_LEN {
            return self.ignored("larger than an entry");
        }
        match parse(&bytes) {
            Some(saved) => Some(saved),
            None => self.ignored("not a credential cache entry"),
        }
    }

    fn ignored(&self, why: &str) -> Option<Saved> {
        warn(&format!("ignoring the cache entry {}: {why}; it will be replaced", crate::shown_path(&self.path)));
        None
    }

    /// Writes `credentials`, obtained at `issued`, as the entry: a temporary file in the
    /// directory (0600), synced, then renamed over the entry, so that readers never see a part.
    pub fn save(&self, credentials: &Issued, issued: Millis) -> io::Result<()> {
        let time = |ms: Millis| Time::from_unix_seconds(ms / 1000).unwrap_or(Time::UNIX_EPOCH).to_string();
        let issued = time(issued);
        let expiration = credentials.expiration().to_string();
        let entry = EntryFile {
            version: VERSION,
            access_key_id: credentials.access_key_id(),
            secret_access_key: credentials.secret_access_key(),
            session_token: credentials.session_token(),
            expiration: expiration.as_str(),
            account_id: credentials.account_id.as_deref(),
            issued: issued.as_str(),
        };
        let json = Zeroizing::new(serde_json::to_vec(&entry).map_err(io::Error::other)?);
        replace_private(&self.path, &json)
    }

    /// The entry's lock if no one holds it, else `None`.
    pub fn try_lock(&self) -> io::Result<Option<Lock>> {
        let file = self.lock_file()?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Lock { _file: file })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(e),
        }
    }

    /// The entry's lock, waiting for it as long as another process holds it.
    pub fn lock(&self) -> io::Result<Lock> {
        let file = self.lock_file()?;
        file.lock()?;
        Ok(Lock { _file: file })
    }

    fn lock_file(&self) -> io::Result<File> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        private_mode(&mut options);
        options.open(&self.lock_path)
    }
}

/// Reads an entry's JSON; `None` unless every field is there and well formed.
fn parse(bytes: &[u8]) -> Option<Saved> {
    let entry: EntryFile<String> = serde_json::from_slice(bytes).ok()?;
    let text_ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic());
    if entry.version != VERSION
        || ![&entry.access_key_id, &entry.secret_access_key, &entry.session_token].iter().all(|s| text_ok(s))
        || entry.account_id.as_ref().is_some_and(|a| !crate::provider::is_account_id(a))
    {
        return None;
    }
    let expiration = Time::parse_rfc3339(&entry.expiration).ok()?;
    let issued = Time::parse_rfc3339(&entry.issued).ok()?;
    if issued > expiration {
        return None;
    }
    let credentials = Credentials::new(entry.access_key_id, entry.secret_access_key, entry.session_token, expiration);
    let credentials = Issued { credentials, account_id: entry.account_id };
    Some(Saved { credentials, issued: issued.unix_seconds().saturating_mul(1000) })
}

/// The SHA-256 (hex) of what decides which credentials a sign-in gets: the leaf certificate
/// (DER) and every `CreateSession` option (the three ARNs, region, endpoint, FIPS, duration and
/// role session name), each length-prefixed. The intermediates are left out: Roles Anywhere
/// derives the session (role, source identity, principal tags) from the leaf alone, and the
/// chain only helps it reach the trust anchor. The private key is left out too: it must match
/// the leaf's public key.
fn key(leaf_der: &[u8], options: &CreateSessionOptions) -> String {
    let mut hash = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_be_bytes());
        hash.update(bytes);
    };
    field(b"rolesanywhere credential cache 1");
    field(leaf_der);
    field(options.trust_anchor_arn.as_bytes());
    field(options.profile_arn.as_bytes());
    field(options.role_arn.as_bytes());
    let duration = options.duration_seconds.map(|d| d.to_string());
    for optional in [&options.region, &options.endpoint, &duration, &options.role_session_name] {
        match optional {
            Some(value) => field(format!("+{value}").as_bytes()),
            None => field(b"-"),
        }
    }
    field(&[u8::from(options.fips)]);
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Prints a warning line on stderr.
fn warn(message: &str) {
    eprintln!("warning: {message}");
}

/// Creates `path` (it must not exist), mode 0600 whatever the umask, with `bytes`, synced.
/// Replaces `path` with `bytes` so that readers see the old file or the new one, never a part: a
/// temporary file beside it (0600, a name of this process and call), synced, renamed over it;
/// removed again if that fails.
pub(crate) fn replace_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temporary =
        path.with_file_name(format!(".{name}.{}.{}.tmp", std::process::id(), WRITES.fetch_add(1, Ordering::Relaxed)));
    let written = write_private(&temporary, bytes).and_then(|()| fs::rename(&temporary, path));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    private_mode(&mut options);
    let mut file = options.open(path)?;
    set_mode(&file, 0o600)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Creates `dir` and its missing parents, 0700. Another run may create it at the same time:
/// either way it ends up 0700.
#[cfg(unix)]
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    // The umask may have taken the owner's bits too.
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

#[cfg(unix)]
fn private_mode(options: &mut OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    options.mode(0o600);
}

#[cfg(unix)]
fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

/// The owner's uid and the permission bits.
#[cfg(unix)]
fn owner_and_mode(meta: &fs::Metadata) -> (u32, u32) {
    use std::os::unix::fs::MetadataExt;
    (meta.uid(), meta.mode() & 0o7777)
}

#[cfg(unix)]
fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

// Elsewhere there are no Unix owners and modes: the directory and entries are checked as if
// they were private, which the platform's own per-user directories provide.
#[cfg(not(unix))]
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(not(unix))]
fn private_mode(_: &mut OpenOptions) {}

#[cfg(not(unix))]
fn set_mode(_: &File, _: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(not(unix))]
fn owner_and_mode(meta: &fs::Metadata) -> (u32, u32) {
    (0, if meta.is_dir() { 0o700 } else { 0o600 })
}

#[cfg(not(unix))]
fn euid() -> u32 {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_refuse_anything_else() {
        let credentials =
            Credentials::new("ASIA1".into(), "secret".into(), "token".into(), Time::from_unix_seconds(7200).unwrap());
        let credentials = Issued { credentials, account_id: Some("123456789012".into()) };
        let dir = tempfile::tempdir().unwrap();
        let entry =
            Entry { path: dir.path().join("k.json"), lock_path: dir.path().join("k.lock"), certificate_not_after: 0 };
        assert!(entry.load().is_none());
        entry.save(&credentials, 3_600_500).unwrap();
        let saved = entry.load().unwrap();
        assert_eq!(saved.credentials, credentials);
        assert_eq!(saved.issued, 3_600_000);
        // Nothing else is left in the directory.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        // Without an account, and from an entry that names none.
        let no_account = Issued { account_id: None, ..credentials.clone() };
        entry.save(&no_account, 3_600_500).unwrap();
        assert_eq!(entry.load().unwrap().credentials, no_account);
        assert!(!fs::read_to_string(dir.path().join("k.json")).unwrap().contains("AccountId"));

        for bad in [
            &b"{}"[..],
            b"garbage",
            br#"{"Version":2,"AccessKeyId":"A","SecretAccessKey":"s","SessionToken":"t","Expiration":"1970-01-01T02:00:00Z","Issued":"1970-01-01T01:00:00Z"}"#,
            br#"{"Version":1,"AccessKeyId":"","SecretAccessKey":"s","SessionToken":"t","Expiration":"1970-01-01T02:00:00Z","Issued":"1970-01-01T01:00:00Z"}"#,
            br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","SessionToken":"t","Expiration":"1970-01-01T00:00:00Z","Issued":"1970-01-01T01:00:00Z"}"#,
            br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","SessionToken":"t","Expiration":"later","Issued":"1970-01-01T01:00:00Z"}"#,
            br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","SessionToken":"t","Expiration":"1970-01-01T02:00:00Z","AccountId":"12345","Issued":"1970-01-01T01:00:00Z"}"#,
        ] {
            assert!(parse(bad).is_none(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn the_key_changes_with_every_input() {
        let leaf = b"leaf DER".as_slice();
        let base = CreateSessionOptions::new("a", "p", "r");
        let mut seen = std::collections::HashSet::new();
        let mut variants = vec![base.clone()];
        let mut o = base.clone();
        o.region = Some("us-east-1".into());
        variants.push(o);
        let mut o = base.clone();
        o.endpoint = Some("http://127.0.0.1:1".into());
        variants.push(o);
        let mut o = base.clone();
        o.fips = true;
        variants.push(o);
        let mut o = base.clone();
        o.duration_seconds = Some(900);
        variants.push(o);
        let mut o = base.clone();
        o.role_session_name = Some("900".into());
        variants.push(o);
        variants.push(CreateSessionOptions::new("ap", "", "r"));
        for options in &variants {
            assert!(seen.insert(key(leaf, options)), "{options:?}");
        }
        assert!(seen.insert(key(b"another leaf", &base)));
        assert_eq!(key(leaf, &base), key(leaf, &base.clone()));
        assert_eq!(key(leaf, &base).len(), 64);
    }
}
