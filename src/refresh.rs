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
//!   never after a refused certificate, signature or request. A service's `Retry-After`
//!   ([`retry_after_ms`]) sets the shortest wait.

use crate::error::ErrorCode;
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

    /// The wait before retry number `retry` (0 for the first) after an attempt that failed with
    /// `code`: [`Backoff::delay_ms`], or the service's `Retry-After` when that is longer. `None`
    /// when the attempt is not to be repeated: the error is not one a retry can fix
    /// ([`ErrorCode::is_retryable`]), the retries are used up, or `Retry-After` asks for a wait
    /// longer than [`Backoff::cap_ms`] (the caller gets the answer rather than a wait that long).
    #[must_use]
    pub fn retry_delay_ms(&self, retry: u32, code: ErrorCode, retry_after_ms: Option<u64>, random: u32) -> Option<u64> {
        let retry_after = retry_after_ms.unwrap_or(0);
        if !code.is_retryable() || retry >= self.max_retries || retry_after > self.cap_ms {
            return None;
        }
        Some(self.delay_ms(retry, random).max(retry_after))
    }
}

/// The longest `Retry-After` taken as given; a longer one counts as this, so that a bogus header
/// cannot stop a long-running provider's refreshes for good.
pub const MAX_RETRY_AFTER_MS: u64 = 3_600_000;

/// The wait, in milliseconds, that an answer with HTTP status `status` and a `Retry-After` header
/// of `value` asks for at `now_ms` (the caller's clock, ms since 1970), at most
/// [`MAX_RETRY_AFTER_MS`]. Only 429 (RFC 6585 §4) and 503 (RFC 9110 §10.2.3) answers carry one;
/// the value is delay-seconds or an HTTP-date in the IMF-fixdate form (`Sun, 06 Nov 1994
/// 08:49:37 GMT`, RFC 9110 §5.6.7); a date in the past asks for no wait. `None` for another
/// status or a value of another form.
#[must_use]
pub fn retry_after_ms(status: u16, value: &str, now_ms: u64) -> Option<u64> {
    if status != 429 && status != 503 {
        return None;
    }
    let value = value.trim();
    let ms = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits for a u64: as long as it gets.
        value.parse::<u64>().unwrap_or(u64::MAX).saturating_mul(1000)
    } else {
        http_date(value)?.unix_seconds().saturating_mul(1000).saturating_sub(now_ms)
    };
    Some(ms.min(MAX_RETRY_AFTER_MS))
}

/// An IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT` (the day name is not checked).
fn http_date(text: &str) -> Option<Time> {
    let b = text.as_bytes();
    if b.len() != 29 || !text.is_ascii() || &b[3..5] != b", " || &b[25..] != b" GMT" {
        return None;
    }
    let mut fields = text[5..25].split(' ');
    let (day, month, year, clock) = (fields.next()?, fields.next()?, fields.next()?, fields.next()?);
    let mut clock = clock.split(':');
    let (hour, minute, second) = (clock.next()?, clock.next()?, clock.next()?);
    if fields.next().is_some() || clock.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == month)? as u8 + 1;
    let number = |s: &str, len: usize| -> Option<u16> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
    };
    let two = |s: &str| number(s, 2).map(|n| n as u8);
    Time::from_utc(number(year, 4)?, month, two(day)?, two(hour)?, two(minute)?, two(second)?).ok()
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

    #[test]
    fn retry_delays_honour_retry_after_within_the_cap() {
        let b = Backoff::default();
        assert_eq!(b.retry_delay_ms(0, ErrorCode::Throttled, None, u32::MAX), Some(100));
        assert_eq!(b.retry_delay_ms(2, ErrorCode::Network, None, u32::MAX), Some(400));
        assert_eq!(
            b.retry_delay_ms(0, ErrorCode::Server, Some(5_000), u32::MAX),
            Some(5_000),
            "Retry-After is the floor"
        );
        assert_eq!(b.retry_delay_ms(0, ErrorCode::Server, Some(20_000), 0), Some(20_000));
        assert_eq!(b.retry_delay_ms(0, ErrorCode::Server, Some(20_001), 0), None, "longer than the cap: no retry");
        assert_eq!(b.retry_delay_ms(3, ErrorCode::Throttled, None, 0), None, "retries used up");
        assert_eq!(b.retry_delay_ms(0, ErrorCode::AccessDenied, None, 0), None, "not retryable");
        assert_eq!(b.retry_delay_ms(0, ErrorCode::InvalidResponse, None, 0), None);
    }

    #[test]
    fn retry_after_takes_seconds_or_an_http_date() {
        let now = 784_111_777_000; // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(retry_after_ms(429, "30", now), Some(30_000));
        assert_eq!(retry_after_ms(503, " 0 ", now), Some(0));
        assert_eq!(retry_after_ms(503, "Sun, 06 Nov 1994 08:50:07 GMT", now), Some(30_000));
        assert_eq!(retry_after_ms(429, "Sun, 06 Nov 1994 08:49:07 GMT", now), Some(0), "a past date: no wait");
        assert_eq!(retry_after_ms(429, "99999999999999999999999", now), Some(MAX_RETRY_AFTER_MS));
        assert_eq!(retry_after_ms(429, "7200", now), Some(MAX_RETRY_AFTER_MS));
        for status in [200, 201, 400, 403, 500, 502, 504] {
            assert_eq!(retry_after_ms(status, "30", now), None, "status {status}");
        }
        for bad in [
            "",
            "-1",
            "1.5",
            "soon",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nox 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:3x GMT",
            "Sun, 06 Nov 1994 0849:37  GMT",
            "Sun, 06 Nov 19é4 08:49:3 GMT",
            "Sun, 06 Nov 1994 08:49:37:1 GMT",
        ] {
            assert_eq!(retry_after_ms(429, bad, now), None, "{bad:?}");
        }
    }
}
