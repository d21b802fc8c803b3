//! Temporary AWS credentials, as `CreateSession` returns them.

use alloc::string::String;
use core::fmt;
use zeroize::Zeroizing;

use crate::time::Time;

/// An access key ID, secret access key and session token, valid until `expiration`.
///
/// The secret and the token are zeroized when dropped and never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
    session_token: Zeroizing<String>,
    expiration: Time,
}

impl Credentials {
    /// Bundles the parts of a set of temporary credentials.
    pub fn new(access_key_id: String, secret_access_key: String, session_token: String, expiration: Time) -> Self {
        Credentials {
            access_key_id,
            secret_access_key: Zeroizing::new(secret_access_key),
            session_token: Zeroizing::new(session_token),
            expiration,
        }
    }

    /// The access key ID (`ASIA…`); not secret.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key. Keep it out of logs.
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// The session token sent as `X-Amz-Security-Token`. Keep it out of logs.
    pub fn session_token(&self) -> &str {
        &self.session_token
    }

    /// When the credentials stop working.
    pub fn expiration(&self) -> Time {
        self.expiration
    }
}

/// Shows the access key ID and expiry; the secret and token are redacted.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &"<redacted>")
            .field("expiration", &self.expiration)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let c = Credentials::new("ASIAEXAMPLE".into(), "s3cr3t".into(), "t0k3n".into(), Time::UNIX_EPOCH);
        let shown = alloc::format!("{c:?}");
        assert!(shown.contains("ASIAEXAMPLE"));
        assert!(!shown.contains("s3cr3t") && !shown.contains("t0k3n"));
    }
}
