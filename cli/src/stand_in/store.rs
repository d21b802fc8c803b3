//! Temporary credentials the stand-in issued, kept in memory so that STS can verify requests
//! signed with them. Secrets never leave this module except in the `CreateSession` answer.

use std::collections::HashMap;
use std::sync::Mutex;

use ring::rand::{SecureRandom, SystemRandom};
use rolesanywhere::Time;
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

/// Issued credentials by access key ID.
#[derive(Default)]
pub struct Store {
    issued: Mutex<HashMap<String, Issued>>,
}

/// Most sessions kept; the oldest expired ones are dropped first when full.
const MAX_SESSIONS: usize = 100_000;

impl Store {
    /// Makes fresh credentials for `issued` (whose token and secret are replaced) and records
    /// them; returns (access key ID, the record).
    pub fn issue(&self, mut issued: Issued, now: Time) -> (String, Issued) {
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
        let mut map = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, v| v.expiration > now);
        }
        if map.len() < MAX_SESSIONS {
            map.insert(access_key_id.clone(), issued.clone());
        }
        (access_key_id, issued)
    }

    /// The session of an access key ID.
    pub fn get(&self, access_key_id: &str) -> Option<Issued> {
        self.issued.lock().unwrap_or_else(|p| p.into_inner()).get(access_key_id).cloned()
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
}
