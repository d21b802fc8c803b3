//! A credential provider for long-running processes (`rolesanywhere serve`): it caches the
//! credentials, refreshes them at half their lifetime (or earlier, see
//! [`rolesanywhere::refresh`]), shares one refresh among concurrent callers, keeps serving the
//! old credentials while they are valid if a refresh fails, and retries throttling, server and
//! network errors with full-jitter backoff.
//!
//! The certificate and key are re-read from their files on every refresh, so a rotated
//! certificate is picked up on the next refresh, and an expired one is never used to sign
//! (the core refuses it in `prepare`).

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use rolesanywhere::{Backoff, ErrorCode, RefreshPolicy};
use rolesanywhere::{Credentials, SignedRequest, Time};
use tokio::sync::Mutex;

/// Why credentials could not be had: a stable code and a one-line message without secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderError {
    /// `AccessDenied`, `Throttled`, `Server`, `Network`, `InvalidCertificate`, …
    pub code: ErrorCode,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<rolesanywhere::Error> for ProviderError {
    fn from(e: rolesanywhere::Error) -> Self {
        ProviderError { code: e.code(), message: e.to_string() }
    }
}

/// A boxed future, as the hooks return them.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A signed `CreateSession` request and the expiry of the certificate that signed it.
pub type Signed = (SignedRequest, Time);

/// What a provider needs from the outside world, so that tests can replace each part.
pub struct Hooks {
    /// The current time.
    pub now: Box<dyn Fn() -> Time + Send + Sync>,
    /// Reads the certificate and key (again) and signs a `CreateSession` request at the given
    /// time; returns it with the certificate's expiry.
    pub sign: Box<dyn Fn(Time) -> Result<Signed, ProviderError> + Send + Sync>,
    /// Sends the request and returns the credentials of the answer.
    pub send: Box<dyn Fn(SignedRequest) -> BoxFuture<Result<Credentials, ProviderError>> + Send + Sync>,
}

/// The cached credentials and when to replace them.
struct Cached {
    credentials: Credentials,
    refresh_at: Time,
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    /// After a failed refresh while the old credentials were still valid: no new attempt
    /// before this time (one backoff step), so that callers are not slowed by every attempt.
    retry_after: Option<Time>,
    /// Failed refreshes in a row, for the backoff of `retry_after`.
    failures: u32,
}

/// Caching, refreshing credential provider. Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct Provider {
    inner: Arc<Inner>,
}

struct Inner {
    hooks: Hooks,
    policy: RefreshPolicy,
    backoff: Backoff,
    /// Held across a refresh: concurrent callers wait for it and then find fresh credentials
    /// (single flight).
    state: Mutex<State>,
}

impl Provider {
    /// A provider with the given hooks, refresh rule and backoff.
    pub fn new(hooks: Hooks, policy: RefreshPolicy, backoff: Backoff) -> Self {
        Provider { inner: Arc::new(Inner { hooks, policy, backoff, state: Mutex::new(State::default()) }) }
    }

    /// Current credentials: the cached ones until their refresh time, fresh ones after.
    pub async fn credentials(&self) -> Result<Credentials, ProviderError> {
        let inner = &*self.inner;
        let mut state = inner.state.lock().await;
        let now = (inner.hooks.now)();
        let still_valid = |c: &Cached| usable(now, c.credentials.expiration());
        if let Some(cached) = state.cached.as_ref().filter(|c| still_valid(c)) {
            let backing_off = state.retry_after.is_some_and(|t| now < t);
            if now < cached.refresh_at || backing_off {
                return Ok(cached.credentials.clone());
            }
        }
        match self.refresh().await {
            Ok(fresh) => {
                let credentials = fresh.credentials.clone();
                *state = State { cached: Some(fresh), retry_after: None, failures: 0 };
                Ok(credentials)
            }
            Err(error) => {
                let now = (inner.hooks.now)();
                let Some(cached) = state.cached.as_ref().filter(|c| usable(now, c.credentials.expiration())) else {
                    return Err(error);
                };
                // Stale while refreshing: the old credentials still work; try again later.
                let credentials = cached.credentials.clone();
                let wait_ms = inner.backoff.delay_ms(state.failures, random_u32()).max(1000);
                state.retry_after = Some(now.saturating_add(wait_ms / 1000));
                state.failures = state.failures.saturating_add(1);
                Ok(credentials)
            }
        }
    }

    /// One refresh: sign and send, retrying what a retry can fix.
    async fn refresh(&self) -> Result<Cached, ProviderError> {
        let inner = &*self.inner;
        let mut retry = 0;
        loop {
            let issued = (inner.hooks.now)();
            let (request, certificate_not_after) = (inner.hooks.sign)(issued)?;
            match (inner.hooks.send)(request).await {
                Ok(credentials) => {
                    let refresh_at = inner.policy.refresh_at(issued, credentials.expiration(), certificate_not_after);
                    return Ok(Cached { credentials, refresh_at });
                }
                Err(e) if e.code.is_retryable() && retry < inner.backoff.max_retries => {
                    let wait = inner.backoff.delay_ms(retry, random_u32());
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                    retry += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Whether credentials are still usable at `now`, with a second to spare.
fn usable(now: Time, expiration: Time) -> bool {
    now.unix_seconds().saturating_add(1) < expiration.unix_seconds()
}

/// 32 random bits for jitter (not for secrets): the standard library's per-process random
/// hash keys.
fn random_u32() -> u32 {
    RandomState::new().build_hasher().finish() as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

    const START: u64 = 1_800_000_000;

    /// A fake world: a settable clock, a CreateSession that counts calls and answers from a
    /// script of results (the last one repeats), and a certificate valid for a day.
    struct World {
        clock: Arc<AtomicU64>,
        calls: Arc<AtomicUsize>,
    }

    fn provider(script: Vec<Result<u64, &'static str>>, backoff: Backoff) -> (Provider, World) {
        let clock = Arc::new(AtomicU64::new(START));
        let calls = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(script);
        let (c1, c2, n) = (clock.clone(), clock.clone(), calls.clone());
        let hooks = Hooks {
            now: Box::new(move || Time::from_unix_seconds(c1.load(Ordering::SeqCst)).unwrap()),
            sign: Box::new(|_| {
                let request = SignedRequest {
                    method: "POST",
                    url: "http://x/sessions".into(),
                    headers: vec![],
                    body: "{}".into(),
                };
                Ok((request, Time::from_unix_seconds(START + 86_400).unwrap()))
            }),
            send: Box::new(move |_| {
                let i = n.fetch_add(1, Ordering::SeqCst);
                let now = c2.load(Ordering::SeqCst);
                let step = script[i.min(script.len() - 1)];
                Box::pin(async move {
                    tokio::task::yield_now().await;
                    match step {
                        Ok(lifetime) => Ok(session(i, now + lifetime)),
                        Err(code) => {
                            Err(ProviderError { code: ErrorCode::from_name(code).unwrap(), message: code.into() })
                        }
                    }
                })
            }),
        };
        (Provider::new(hooks, RefreshPolicy::default(), backoff), World { clock, calls })
    }

    fn session(i: usize, expiration: u64) -> Credentials {
        Credentials::new(
            format!("ASIA{i}"),
            "secret".into(),
            "token".into(),
            Time::from_unix_seconds(expiration).unwrap(),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn caches_until_half_life_then_refreshes() {
        let (p, w) = provider(vec![Ok(3600)], Backoff::default());
        assert_eq!(p.credentials().await.unwrap().access_key_id(), "ASIA0");
        w.clock.store(START + 1799, Ordering::SeqCst);
        assert_eq!(p.credentials().await.unwrap().access_key_id(), "ASIA0");
        assert_eq!(w.calls.load(Ordering::SeqCst), 1);
        w.clock.store(START + 1800, Ordering::SeqCst);
        assert_eq!(p.credentials().await.unwrap().access_key_id(), "ASIA1");
        assert_eq!(w.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn one_refresh_for_a_hundred_callers() {
        let (p, w) = provider(vec![Ok(3600)], Backoff::default());
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                tokio::spawn({
                    let p = p.clone();
                    async move { p.credentials().await }
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().access_key_id(), "ASIA0");
        }
        assert_eq!(w.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn serves_old_credentials_while_refresh_fails() {
        let backoff = Backoff { max_retries: 0, ..Backoff::default() };
        let (p, w) = provider(vec![Ok(3600), Err("Server"), Ok(3600)], backoff);
        p.credentials().await.unwrap();
        w.clock.store(START + 2000, Ordering::SeqCst);
        // The refresh fails: the old credentials (valid until START+3600) come back.
        assert_eq!(p.credentials().await.unwrap().access_key_id(), "ASIA0");
        assert_eq!(w.calls.load(Ordering::SeqCst), 2);
        // Within the backoff window no new attempt is made.
        assert_eq!(p.credentials().await.unwrap().access_key_id(), "ASIA0");
        assert_eq!(w.calls.load(Ordering::SeqCst), 2);
        // After it, the next refresh succeeds.
        w.clock.store(START + 2100, Ordering::SeqCst);
        assert_eq!(p.credentials().await.unwrap().access_key_id(), "ASIA2");
    }

    #[tokio::test(start_paused = true)]
    async fn expired_credentials_are_never_served() {
        let backoff = Backoff { max_retries: 0, ..Backoff::default() };
        let (p, w) = provider(vec![Ok(3600), Err("Server")], backoff);
        p.credentials().await.unwrap();
        w.clock.store(START + 3600, Ordering::SeqCst);
        assert_eq!(p.credentials().await.unwrap_err().code.as_str(), "Server");
    }

    #[tokio::test(start_paused = true)]
    async fn retries_throttling_with_backoff_but_not_access_denied() {
        let (p, w) = provider(vec![Err("Throttled"), Err("Throttled"), Ok(3600)], Backoff::default());
        let started = tokio::time::Instant::now();
        assert_eq!(p.credentials().await.unwrap().access_key_id(), "ASIA2");
        assert_eq!(w.calls.load(Ordering::SeqCst), 3);
        // Two waits, each at most min(cap, base·2^n): 100 ms + 200 ms.
        assert!(started.elapsed() <= Duration::from_millis(300), "{:?}", started.elapsed());

        let (p, w) = provider(vec![Err("AccessDenied"), Ok(3600)], Backoff::default());
        assert_eq!(p.credentials().await.unwrap_err().code.as_str(), "AccessDenied");
        assert_eq!(w.calls.load(Ordering::SeqCst), 1);

        let (p, w) = provider(vec![Err("Server")], Backoff::default());
        assert_eq!(p.credentials().await.unwrap_err().code.as_str(), "Server");
        assert_eq!(w.calls.load(Ordering::SeqCst), 4, "one attempt and three retries");
    }
}
