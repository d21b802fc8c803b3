//! The credential provider as a state machine without I/O: it decides when to use the cached
//! credentials, when to refresh them, when to wait for a refresh another caller started, when to
//! retry and when to give up. The JS provider, the CLI's `serve` and shared credential stores
//! are thin drivers of it: they read the clock, do the sign-in, sleep and share results, and
//! ask this machine what to do next, so that the rules hold alike in every runtime.
//!
//! ```text
//! poll(now) -> UseCached | Refresh | Join | Fail(code)
//!   Refresh: started(now), then per attempt
//!     succeeded(now, expiration, certificate_not_after) -> Lease (or expired: a failure)
//!     failed(now, code, retry_after, random) -> RetryAt(t) | GiveUp
//! ```
//!
//! The rules (timing from [`crate::refresh`]):
//! - cached credentials are used until their refresh time ([`RefreshPolicy::refresh_at_ms`]);
//! - after it, one refresh runs at a time (single flight); while it runs, and after it fails,
//!   callers keep the cached credentials as long as they are still usable (stale while
//!   refreshing); credentials are never used once expired;
//! - a refresh retries what a retry can fix ([`ErrorCode::is_retryable`]) with full-jitter
//!   backoff, honouring the service's `Retry-After`, within the refresh's deadline;
//! - after a failed refresh no new one starts for one backoff step (at least a second): callers
//!   with usable credentials keep them, the others get the failure at once (a short negative
//!   cache), so that a fleet of callers does not hammer a failing endpoint;
//! - a refresh that outlives its deadline (a hung request) no longer blocks the next one.
//!
//! Times are milliseconds since the Unix epoch, from the driver's clock.

use crate::error::ErrorCode;
use crate::refresh::{Backoff, RefreshPolicy};
use crate::response::{self, ResponseError};
use crate::time::Time;

/// Milliseconds since the Unix epoch.
pub type Millis = u64;

/// How a provider refreshes and retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProviderConfig {
    /// When credentials are replaced.
    pub policy: RefreshPolicy,
    /// Retries within one refresh, and the wait after a failed one.
    pub backoff: Backoff,
    /// How long one refresh, all its attempts and waits included, may take; after that it counts
    /// as failed and another may start.
    pub refresh_timeout_ms: u64,
}

impl Default for ProviderConfig {
    /// The default policy and backoff, and two minutes per refresh (four attempts of up to 30 s
    /// each, with the backoff's waits).
    fn default() -> Self {
        ProviderConfig { policy: RefreshPolicy::default(), backoff: Backoff::default(), refresh_timeout_ms: 120_000 }
    }
}

/// The timing of cached credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lease {
    /// When the credentials expire.
    pub expiration: Millis,
    /// When they should be replaced.
    pub refresh_at: Millis,
}

impl Lease {
    /// Until when (exclusive) the credentials can be used without asking the provider again:
    /// the refresh time, or a second before expiry if that comes first. A driver's fast path
    /// compares its clock with this and nothing else.
    pub fn fresh_until(&self) -> Millis {
        self.refresh_at.min(self.expiration.saturating_sub(USABLE_MARGIN_MS))
    }

    /// Whether the credentials still work at `now` (with a second to spare for the request on
    /// its way).
    pub fn usable(&self, now: Millis) -> bool {
        now.saturating_add(USABLE_MARGIN_MS) < self.expiration
    }
}

/// Credentials closer than this to their expiry are not handed out.
const USABLE_MARGIN_MS: u64 = 1000;
/// The shortest wait after a failed refresh.
const MIN_FAILURE_WAIT_MS: u64 = 1000;

/// What the driver should do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Use the cached credentials.
    UseCached,
    /// Start a refresh: call [`Provider::started`], sign in, and report each attempt.
    Refresh {
        /// The cached credentials are still usable meanwhile: a driver that can refresh in the
        /// background may return them at once.
        usable_cached: bool,
    },
    /// A refresh is under way and nothing usable is cached: wait for it. (A driver whose callers
    /// cannot wait on each other's work refreshes on its own instead.)
    Join,
    /// Nothing usable is cached and the last refresh failed moments ago: report its error.
    Fail(ErrorCode),
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Try again at this time.
    RetryAt(Millis),
    /// This refresh is over. Callers with usable cached credentials keep them; the others get
    /// the error.
    GiveUp,
}

/// The provider's state: the cached credentials' timing, the refresh under way, and the
/// failures so far.
#[derive(Clone, Debug)]
pub struct Provider {
    config: ProviderConfig,
    lease: Option<Lease>,
    /// The refresh under way: when it started and how many attempts failed so far.
    refresh: Option<(Millis, u32)>,
    /// Failed refreshes in a row.
    failures: u32,
    /// No refresh starts before this time.
    not_before: Millis,
    /// The error of the last failed refresh.
    last_error: Option<ErrorCode>,
}

impl Provider {
    /// A provider with nothing cached.
    pub fn new(config: ProviderConfig) -> Self {
        Provider { config, lease: None, refresh: None, failures: 0, not_before: 0, last_error: None }
    }

    /// The configuration.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The cached credentials' timing, if any.
    pub fn lease(&self) -> Option<Lease> {
        self.lease
    }

    /// Whether a refresh is under way.
    pub fn refreshing(&self) -> bool {
        self.refresh.is_some()
    }

    /// When the refresh under way stops blocking the next one (its start plus
    /// [`ProviderConfig::refresh_timeout_ms`]): a driver ends its attempt by then.
    pub fn deadline(&self) -> Option<Millis> {
        self.refresh.map(|(started, _)| started.saturating_add(self.config.refresh_timeout_ms))
    }

    /// What to do at `now`.
    pub fn poll(&mut self, now: Millis) -> Action {
        if self.deadline().is_some_and(|deadline| now >= deadline) {
            // A hung refresh: count it as failed so that the next caller may start one.
            self.give_up(now, ErrorCode::Network, 0, None);
        }
        let usable = self.lease.is_some_and(|l| l.usable(now));
        if usable && self.lease.is_some_and(|l| now < l.refresh_at) {
            return Action::UseCached;
        }
        if self.refresh.is_some() {
            return if usable { Action::UseCached } else { Action::Join };
        }
        if now < self.not_before {
            return match (usable, self.last_error) {
                (true, _) => Action::UseCached,
                (false, Some(code)) => Action::Fail(code),
                (false, None) => Action::Refresh { usable_cached: false },
            };
        }
        Action::Refresh { usable_cached: usable }
    }

    /// A refresh starts at `now` (after [`Action::Refresh`], or a driver's own).
    pub fn started(&mut self, now: Millis) {
        self.refresh = Some((now, 0));
    }

    /// An attempt signed at `issued` succeeded with credentials valid until `expiration`, from a
    /// certificate valid until `certificate_not_after`; returns their lease. Credentials that are
    /// already expired, or expire within the refresh margin, are refused
    /// ([`ResponseError::Expired`]): the refresh then ends as a failed one, with code
    /// [`ErrorCode::InvalidResponse`].
    pub fn succeeded(
        &mut self,
        issued: Millis,
        expiration: Millis,
        certificate_not_after: Millis,
    ) -> Result<Lease, ResponseError> {
        let seconds = |ms: Millis| Time::from_unix_seconds(ms / 1000).unwrap_or(Time::UNIX_EPOCH);
        if let Err(e) = response::check_fresh(seconds(issued), seconds(expiration), self.config.policy.margin_seconds) {
            self.give_up(issued, ErrorCode::InvalidResponse, 0, None);
            return Err(e);
        }
        let refresh_at = self.config.policy.refresh_at_ms(issued, expiration, certificate_not_after);
        let lease = Lease { expiration, refresh_at };
        self.adopt(lease);
        Ok(lease)
    }

    /// Takes over credentials obtained elsewhere (a shared store, another process): they become
    /// the cached ones, and any failure is forgotten.
    pub fn adopt(&mut self, lease: Lease) {
        self.lease = Some(lease);
        self.refresh = None;
        self.failures = 0;
        self.not_before = 0;
        self.last_error = None;
    }

    /// An attempt failed at `now` with `code`. `retry_after_ms` is the service's `Retry-After`,
    /// when it gave one; `random` is any 32 random bits (for the jitter).
    pub fn failed(&mut self, now: Millis, code: ErrorCode, retry_after_ms: Option<u64>, random: u32) -> Next {
        let (started, attempts) = self.refresh.unwrap_or((now, 0));
        let backoff = self.config.backoff;
        if code.is_retryable() && attempts < backoff.max_retries {
            let wait = backoff.delay_ms(attempts, random).max(retry_after_ms.unwrap_or(0));
            let at = now.saturating_add(wait);
            if at < started.saturating_add(self.config.refresh_timeout_ms) {
                self.refresh = Some((started, attempts + 1));
                return Next::RetryAt(at);
            }
        }
        self.give_up(now, code, random, retry_after_ms);
        Next::GiveUp
    }

    /// The refresh under way was cancelled by its caller; nothing is learnt about the service.
    pub fn abandoned(&mut self) {
        self.refresh = None;
    }

    fn give_up(&mut self, now: Millis, code: ErrorCode, random: u32, retry_after_ms: Option<u64>) {
        let wait = self.config.backoff.delay_ms(self.failures, random).max(MIN_FAILURE_WAIT_MS);
        self.not_before = now.saturating_add(wait.max(retry_after_ms.unwrap_or(0)));
        self.failures = self.failures.saturating_add(1);
        self.last_error = Some(code);
        self.refresh = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Millis = 1_800_000_000_000;
    const HOUR: u64 = 3_600_000;
    const FAR: Millis = T + 100 * HOUR;

    fn provider() -> Provider {
        Provider::new(ProviderConfig::default())
    }

    #[test]
    fn caches_until_half_life_then_refreshes() {
        let mut p = provider();
        assert_eq!(p.poll(T), Action::Refresh { usable_cached: false });
        p.started(T);
        let lease = p.succeeded(T, T + HOUR, FAR).unwrap();
        assert_eq!(lease.refresh_at, T + HOUR / 2);
        assert_eq!(lease.fresh_until(), T + HOUR / 2);
        assert_eq!(p.poll(T + HOUR / 2 - 1), Action::UseCached);
        assert_eq!(p.poll(T + HOUR / 2), Action::Refresh { usable_cached: true });
    }

    #[test]
    fn one_refresh_at_a_time() {
        let mut p = provider();
        p.started(T);
        assert_eq!(p.poll(T + 10), Action::Join);
        p.succeeded(T, T + HOUR, FAR).unwrap();
        p.poll(T + HOUR / 2);
        p.started(T + HOUR / 2);
        // Stale while refreshing: the others keep the valid credentials.
        assert_eq!(p.poll(T + HOUR / 2 + 10), Action::UseCached);
    }

    #[test]
    fn retries_what_a_retry_can_fix_within_the_deadline() {
        let mut p = provider();
        p.started(T);
        assert_eq!(p.failed(T, ErrorCode::Throttled, None, u32::MAX), Next::RetryAt(T + 100));
        assert_eq!(p.failed(T + 100, ErrorCode::Server, None, u32::MAX), Next::RetryAt(T + 300));
        assert_eq!(p.failed(T + 300, ErrorCode::Network, Some(5_000), 0), Next::RetryAt(T + 5_300));
        assert_eq!(p.failed(T + 5_300, ErrorCode::Network, None, 0), Next::GiveUp, "three retries");
        // Nothing usable cached: the error is reported at once during the backoff.
        assert_eq!(p.poll(T + 5_301), Action::Fail(ErrorCode::Network));
        assert_eq!(p.poll(T + 6_300), Action::Refresh { usable_cached: false });

        let mut p = provider();
        p.started(T);
        assert_eq!(p.failed(T, ErrorCode::AccessDenied, None, 0), Next::GiveUp);
        // A Retry-After beyond the deadline ends the refresh.
        let mut p = provider();
        p.started(T);
        assert_eq!(p.failed(T, ErrorCode::Throttled, Some(120_000), 0), Next::GiveUp);
        assert_eq!(p.poll(T + 119_999), Action::Fail(ErrorCode::Throttled), "the Retry-After is honoured");
    }

    #[test]
    fn a_failed_refresh_keeps_valid_credentials_and_backs_off() {
        let mut p = provider();
        p.started(T);
        p.succeeded(T, T + HOUR, FAR).unwrap();
        let due = T + 2 * HOUR / 3;
        assert_eq!(p.poll(due), Action::Refresh { usable_cached: true });
        p.started(due);
        assert_eq!(p.failed(due, ErrorCode::AccessDenied, None, u32::MAX), Next::GiveUp);
        assert_eq!(p.poll(due + 999), Action::UseCached);
        assert_eq!(p.poll(due + 1000), Action::Refresh { usable_cached: true });
        // Expired credentials are never used.
        p.started(due + 1000);
        p.failed(due + 1000, ErrorCode::Server, None, 0);
        p.failed(T + HOUR, ErrorCode::Server, None, 0);
        assert_eq!(p.poll(T + HOUR), Action::Fail(ErrorCode::Server));
    }

    #[test]
    fn a_hung_refresh_stops_blocking_after_its_deadline() {
        let mut p = provider();
        p.started(T);
        assert_eq!(p.deadline(), Some(T + 120_000));
        assert_eq!(p.poll(T + 119_999), Action::Join);
        assert_eq!(p.poll(T + 120_000), Action::Fail(ErrorCode::Network));
        assert_eq!(p.deadline(), None);
        assert!(!p.refreshing());
    }

    #[test]
    fn expired_credentials_are_a_failed_refresh() {
        let mut p = provider();
        p.started(T);
        // Within the 300 s margin: refused, and reported as the refresh's error.
        assert!(matches!(p.succeeded(T, T + 300_000, FAR), Err(ResponseError::Expired { .. })));
        assert_eq!(p.poll(T + 1), Action::Fail(ErrorCode::InvalidResponse));
        assert!(p.lease().is_none());
        p.started(T + 2_000);
        assert!(p.succeeded(T + 2_000, T + 2_000 + 301_000, FAR).is_ok());
    }

    #[test]
    fn adopted_credentials_replace_failures() {
        let mut p = provider();
        p.started(T);
        p.failed(T, ErrorCode::Server, None, 0);
        p.failed(T, ErrorCode::Server, None, 0);
        p.failed(T, ErrorCode::Server, None, 0);
        p.failed(T, ErrorCode::Server, None, 0);
        p.adopt(Lease { expiration: T + HOUR, refresh_at: T + HOUR / 2 });
        assert_eq!(p.poll(T + 1), Action::UseCached);
    }
}
