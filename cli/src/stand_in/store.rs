//! Temporary credentials the stand-in issued, kept in memory so that STS can verify requests
//! signed with them. Secrets never leave this module except in the `CreateSession` answer.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Mutex;

use ring::rand::{SecureRandom, SystemRandom};
use rolesanywhere::Time;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::config::Role;

/// One issued session.
#[derive(Clone)]
pub struct Issued {
    /// The session token clients send in `X-Amz-Security-Token`.
    pub session_token: Zeroizing<String>,
    /// The secret access key.
    pub secret_access_key: Zeroizing<String>,
    /// When the credentials expire.
    pub expiration: Time,
    /// `arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub assumed_role_arn: String,
    /// `AROA…:SESSION`.
    pub assumed_role_id: String,
    /// The role's account.
    pub account: String,
    /// The role assumed.
    pub role_arn: String,
    /// The session's source identity (kept through role chaining).
    pub source_identity: Option<String>,
}

impl Issued {
    /// A session of `role` named `session_name`, before [`Store::issue`] gives it its keys: the
    /// assumed-role ARN `arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION` and the ID
    /// `ROLE_ID:SESSION` (STS API Reference, `AssumedRoleUser`).
    pub fn session(role: &Role, session_name: &str, expiration: Time, source_identity: Option<String>) -> Issued {
        Issued {
            session_token: Zeroizing::new(String::new()),
            secret_access_key: Zeroizing::new(String::new()),
            expiration,
            assumed_role_arn: format!(
                "arn:{}:sts::{}:assumed-role/{}/{session_name}",
                role.partition, role.account, role.name
            ),
            assumed_role_id: format!("{}:{session_name}", role_unique_id(&role.arn)),
            account: role.account.clone(),
            role_arn: role.arn.clone(),
            source_identity,
        }
    }
}

/// A stable role ID: `AROA` and 17 characters derived from the role ARN (IAM User Guide, "IAM
/// identifiers": role unique IDs begin with AROA).
fn role_unique_id(role_arn: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(role_arn.as_bytes());
    let tail: String = digest.iter().take(17).map(|b| char::from(ALPHABET[usize::from(*b) % 32])).collect();
    format!("AROA{tail}")
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("expiration", &self.expiration)
            .field("assumed_role_arn", &self.assumed_role_arn)
            .finish_non_exhaustive()
    }
}

/// Most live sessions kept by default.
pub const DEFAULT_MAX_SESSIONS: usize = 100_000;
/// Largest `limits.maxSessions` the configuration takes.
const MAX_MAX_SESSIONS: u32 = 1_000_000;
/// How long an expired session stays known: as long as SigV4 accepts a request's date off the
/// clock (AWS "Common Errors", `RequestExpired`: 15 minutes), so that a client still using it
/// gets STS's `ExpiredToken` rather than an unknown key. At the bound, expired sessions go at
/// once.
const EXPIRED_KEPT_SECONDS: u64 = 15 * 60;

/// The `limits` object of the configuration (all fields optional).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawLimits {
    max_sessions: Option<u32>,
}

/// Bounds on what the stand-in keeps in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most sessions (unexpired credentials) kept at once; beyond it, new sessions are refused.
    pub max_sessions: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_sessions: DEFAULT_MAX_SESSIONS }
    }
}

impl RawLimits {
    /// The checked limits: `maxSessions` from 1 to 1,000,000 (default 100,000).
    pub fn check(self) -> Result<Limits, String> {
        match self.max_sessions {
            None => Ok(Limits::default()),
            Some(n) if (1..=MAX_MAX_SESSIONS).contains(&n) => Ok(Limits { max_sessions: n as usize }),
            Some(n) => Err(format!("maxSessions {n} is outside 1..={MAX_MAX_SESSIONS}")),
        }
    }
}

/// Why [`Store::issue`] made no credentials: `max_sessions` unexpired sessions are kept.
#[derive(Debug, PartialEq, Eq)]
pub struct Full {
    /// The bound reached.
    pub max_sessions: usize,
}

/// Issued credentials by access key ID, at most [`Limits::max_sessions`] unexpired ones, so that
/// every credential handed out is one that STS knows.
pub struct Store {
    max_sessions: usize,
    sessions: Mutex<Sessions>,
}

#[derive(Default)]
struct Sessions {
    by_key: HashMap<String, Issued>,
    /// (expiration, access key ID) of every kept session, soonest first: eviction looks at the
    /// front only, so it costs O(log n) per session over the store's life.
    by_expiration: BinaryHeap<Reverse<(Time, String)>>,
}

impl Sessions {
    /// Drops the sessions that expired at or before `before`.
    fn evict_expired(&mut self, before: Time) {
        while let Some(Reverse((expiration, _))) = self.by_expiration.peek() {
            if *expiration > before {
                break;
            }
            if let Some(Reverse((_, key))) = self.by_expiration.pop() {
                self.by_key.remove(&key);
            }
        }
    }
}

impl Store {
    /// An empty store bounded by `limits`.
    pub fn new(limits: Limits) -> Self {
        Store { max_sessions: limits.max_sessions, sessions: Mutex::default() }
    }

    /// Makes fresh credentials for `issued` (whose token and secret are replaced) and records
    /// them; returns (access key ID, the record). Sessions expired for a while are dropped on the
    /// way; when the store is full, every expired one is; when it is still full, nothing is
    /// issued.
    pub fn issue(&self, mut issued: Issued, now: Time) -> Result<(String, Issued), Full> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        let long_ago = Time::from_unix_seconds(now.unix_seconds().saturating_sub(EXPIRED_KEPT_SECONDS))
            .unwrap_or(Time::UNIX_EPOCH);
        sessions.evict_expired(long_ago);
        if sessions.by_key.len() >= self.max_sessions {
            sessions.evict_expired(now);
        }
        if sessions.by_key.len() >= self.max_sessions {
            return Err(Full { max_sessions: self.max_sessions });
        }
        let rng = SystemRandom::new();
        // Temporary access key IDs start with ASIA (IAM User Guide, "IAM identifiers": "ASIA —
        // Temporary (AWS STS) access key IDs"), 20 characters in all, upper-case letters and digits.
        let access_key_id = format!("ASIA{}", random_chars(&rng, 16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
        issued.secret_access_key =
            Zeroizing::new(random_chars(&rng, 40, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"));
        issued.session_token = Zeroizing::new(format!(
            "StandIn{}",
            random_chars(&rng, 120, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        ));
        sessions.by_expiration.push(Reverse((issued.expiration, access_key_id.clone())));
        sessions.by_key.insert(access_key_id.clone(), issued.clone());
        Ok((access_key_id, issued))
    }

    /// The session of an access key ID.
    pub fn get(&self, access_key_id: &str) -> Option<Issued> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner()).by_key.get(access_key_id).cloned()
    }
}

/// `n` characters drawn uniformly from `alphabet` (64 or 32 symbols: a power of two, so
/// masking a random byte is unbiased).
pub fn random_chars(rng: &SystemRandom, n: usize, alphabet: &[u8]) -> String {
    debug_assert!(alphabet.len().is_power_of_two() && alphabet.len() <= 256);
    let mut bytes = vec![0u8; n];
    rng.fill(&mut bytes).expect("the system random generator failed");
    bytes.iter().map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()])).collect()
}

/// A random request ID in UUID form, as AWS's `x-amzn-RequestId`.
pub fn request_id() -> String {
    let rng = SystemRandom::new();
    let mut b = [0u8; 16];
    rng.fill(&mut b).expect("the system random generator failed");
    uuid_text(&b)
}

/// 16 bytes as a version-4-shaped UUID string.
pub fn uuid_text(b: &[u8; 16]) -> String {
    let mut b = *b;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        let id = role_unique_id("arn:aws:iam::123456789012:role/demo");
        assert!(id.starts_with("AROA") && id.len() == 21, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()), "{id}");
        assert_eq!(id, role_unique_id("arn:aws:iam::123456789012:role/demo"));
        assert_ne!(id, role_unique_id("arn:aws:iam::123456789012:role/other"));
        assert_eq!(uuid_text(&[0xff; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
    }

    fn at(seconds: u64) -> Time {
        Time::from_unix_seconds(1_717_243_200 + seconds).unwrap()
    }

    /// A session of the demo role that ends at `expiration`.
    fn session(expiration: Time) -> Issued {
        Issued {
            session_token: Zeroizing::new(String::new()),
            secret_access_key: Zeroizing::new(String::new()),
            expiration,
            assumed_role_arn: "arn:aws:sts::123456789012:assumed-role/demo/s".into(),
            assumed_role_id: "AROAEXAMPLE:s".into(),
            account: "123456789012".into(),
            role_arn: "arn:aws:iam::123456789012:role/demo".into(),
            source_identity: None,
        }
    }

    #[test]
    fn limits_configuration() {
        let limits = |json: &str| serde_json::from_str::<RawLimits>(json).map_err(|e| e.to_string())?.check();
        assert_eq!(limits("{}").unwrap().max_sessions, 100_000);
        assert_eq!(limits(r#"{"maxSessions": 2}"#).unwrap().max_sessions, 2);
        assert!(limits(r#"{"maxSessions": 0}"#).unwrap_err().contains("maxSessions 0 is outside 1..=1000000"));
        assert!(limits(r#"{"sessions": 2}"#).unwrap_err().contains("unknown field"));
    }

    #[test]
    fn a_full_store_refuses_rather_than_forgets() {
        let store = Store::new(Limits { max_sessions: 2 });
        let (a, _) = store.issue(session(at(900)), at(0)).unwrap();
        let (b, _) = store.issue(session(at(1800)), at(0)).unwrap();
        assert_eq!(store.issue(session(at(900)), at(0)).unwrap_err(), Full { max_sessions: 2 });
        assert_eq!(store.issue(session(at(900)), at(899)).unwrap_err(), Full { max_sessions: 2 });
        assert!(store.get(&a).is_some() && store.get(&b).is_some(), "what was issued is kept");
        // Once the first has expired, it makes room at the bound.
        let (c, issued) = store.issue(session(at(2000)), at(900)).unwrap();
        assert!(store.get(&a).is_none());
        assert_eq!(store.get(&c).unwrap().secret_access_key, issued.secret_access_key);
        assert!(store.get(&b).is_some());
    }

    #[test]
    fn expired_sessions_are_evicted() {
        let store = Store::new(Limits { max_sessions: 10 });
        let (a, _) = store.issue(session(at(900)), at(0)).unwrap();
        let (b, _) = store.issue(session(at(3600)), at(0)).unwrap();
        // Below the bound, an expired session stays known for 15 minutes (STS then answers
        // ExpiredToken for it), and goes with the next issue after that.
        store.issue(session(at(5000)), at(900 + 899)).unwrap();
        assert!(store.get(&a).is_some());
        store.issue(session(at(5000)), at(900 + 900)).unwrap();
        assert!(store.get(&a).is_none());
        assert!(store.get(&b).is_some());
        let sessions = store.sessions.lock().unwrap();
        assert_eq!((sessions.by_key.len(), sessions.by_expiration.len()), (3, 3));
    }
}
