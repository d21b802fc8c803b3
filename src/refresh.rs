//! When to refresh credentials and how long to wait before retrying: the timing rules of
//! [`crate::Provider`], kept pure (time and randomness are passed in) so that tests drive them
//! with a fake clock.
//!
//! - Credentials are refreshed when half their lifetime has passed, the rotation rule of the
//!   setup this crate serves (the Roles Anywhere profile's "credentials rotate at half the
//!   session lifespan"), or earlier when less than a margin is left, or when the certificate
//!   they were obtained with is about to expire (a rotated certificate is then picked up).
//! - Retries wait with exponential backoff and "full jitter" (AWS Architecture Blog,
//!   *Exponential Backoff And Jitter*: sleep a uniform random time in `[0, min(cap, base·2^n)]`),
//!   and only after errors that a retry can fix: throttling, server errors and network errors,
//!   never after a refused certificate, signature or request.

use crate::time::Time;

/// The refresh rule of a provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Refresh at the latest this many seconds before the credentials (or the certificate)
    /// expire, even if half the lifetime has not passed yet.
    pub margin_seconds: u64,
}

impl Default for RefreshPolicy {
    /// Five minutes of margin, the window in which the AWS SDKs treat credentials as expiring.
    fn default() -> Self {
        RefreshPolicy { margin_seconds: 300 }
    }
}

impl RefreshPolicy {
    /// When credentials obtained at `issued` and valid until `expiration`, with a certificate
    /// valid until `certificate_not_after`, should be replaced: the earliest of half their
    /// lifetime, `margin_seconds` before they expire, and `margin_seconds` before the
    /// certificate expires. Never later than `expiration`, never earlier than `issued`.
    #[must_use]
    pub fn refresh_at(&self, issued: Time, expiration: Time, certificate_not_after: Time) -> Time {
        let ms = |t: Time| t.unix_seconds().saturating_mul(1000);
        let at = self.refresh_at_ms(ms(issued), ms(expiration), ms(certificate_not_after));
        // Every candidate lies within [issued, expiration], which Time accepts.
        Time::from_unix_seconds(at / 1000).unwrap_or(issued)
    }

    /// [`Self::refresh_at`] in milliseconds since the Unix epoch.
    #[must_use]
    pub fn refresh_at_ms(&self, issued: u64, expiration: u64, certificate_not_after: u64) -> u64 {
        let expires = expiration.max(issued);
        let margin = self.margin_seconds.saturating_mul(1000);
        let half_life = issued + (expires - issued) / 2;
        let before_expiry = expires.saturating_sub(margin);
        let before_certificate = certificate_not_after.saturating_sub(margin);
        half_life.min(before_expiry).min(before_certificate).max(issued)
    }
}

/// Exponential backoff with full jitter, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The ceiling of the first wait.
    pub base_ms: u64,
    /// No wait is longer than this.
    pub cap_ms: u64,
    /// Attempts after the first; then the error is returned.
    pub max_retries: u32,
}

impl Default for Backoff {
    /// 100 ms doubling up to 20 s, three retries (the AWS SDKs' standard retry mode makes three
    /// attempts in all with a 20 s cap; one more here because CreateSession is cheap to repeat).
    fn default() -> Self {
        Backoff { base_ms: 100, cap_ms: 20_000, max_retries: 3 }
    }
}

impl Backoff {
    /// The wait before retry number `retry` (0 for the first retry): `random` (any `u32`, from
    /// the host's random source) scaled into `[0, min(cap, base·2^retry)]`.
    #[must_use]
    pub fn delay_ms(&self, retry: u32, random: u32) -> u64 {
        let ceiling = self.base_ms.saturating_mul(1u64.checked_shl(retry).unwrap_or(u64::MAX)).min(self.cap_ms);
        // (ceiling + 1) · random / 2^32 lies in [0, ceiling]; u128 avoids overflow.
        (((u128::from(ceiling) + 1) * u128::from(random)) >> 32) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: u64) -> Time {
        Time::from_unix_seconds(seconds).unwrap()
    }

    #[test]
    fn refreshes_at_half_life_unless_margin_or_certificate_come_first() {
        let policy = RefreshPolicy { margin_seconds: 300 };
        let start = 1_000_000;
        // One hour: half-life (30 min) comes before expiry minus 5 min.
        assert_eq!(policy.refresh_at(t(start), t(start + 3600), t(start + 86_400)), t(start + 1800));
        // Fifteen minutes: half-life 7.5 min, margin 10 min: half-life still first.
        assert_eq!(policy.refresh_at(t(start), t(start + 900), t(start + 86_400)), t(start + 450));
        // A margin longer than half the lifetime wins.
        let long_margin = RefreshPolicy { margin_seconds: 600 };
        assert_eq!(long_margin.refresh_at(t(start), t(start + 900), t(start + 86_400)), t(start + 300));
        // The certificate expires in 20 minutes: refresh 5 minutes before it.
        assert_eq!(policy.refresh_at(t(start), t(start + 3600), t(start + 1200)), t(start + 900));
        // Nonsense inputs stay within [issued, expiration].
        assert_eq!(policy.refresh_at(t(start), t(start - 10), t(start + 1200)), t(start));
        assert_eq!(policy.refresh_at(t(start), t(start + 3600), t(0)), t(start));
    }

    #[test]
    fn backoff_is_bounded_full_jitter() {
        let b = Backoff::default();
        for retry in 0..40 {
            let ceiling = (100u64 << retry.min(20)).min(20_000);
            assert_eq!(b.delay_ms(retry, 0), 0);
            assert_eq!(b.delay_ms(retry, u32::MAX), ceiling, "retry {retry}");
            assert!(b.delay_ms(retry, u32::MAX / 2) <= ceiling / 2 + 1);
        }
        assert_eq!(b.delay_ms(1, u32::MAX), 200);
        assert_eq!(b.delay_ms(200, u32::MAX), 20_000);
    }
}
