//! The credential provider of `rolesanywhere serve` and `credential-process`: a tokio driver of
//! the core's sans-IO [`rolesanywhere::Provider`], which holds every rule (refresh at half the
//! lifetime or earlier, one refresh at a time, stale-while-refresh, full-jitter backoff for the
//! errors a retry can fix, the service's `Retry-After`, the refresh's deadline, the short
//! negative cache after a failed refresh). This driver reads the clock, signs and sends, sleeps
//! between attempts, and hands one refresh's outcome to every caller waiting for it.
//!
//! With the CLI's cache ([`crate::cache`]) a refresh first looks for credentials that another
//! process on the machine got: it takes them when they need no refresh yet, and otherwise holds
//! the entry's lock while it signs in, then writes what it got, so that the processes of one
//! machine make one `CreateSession` per refresh.
//!
//! The `sign` hook re-reads the certificate and key on every refresh, so a rotated certificate
//! is picked up on the next refresh, and an expired one is never used to sign (the core refuses
//! it in `prepare`).

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use clap::Args;
use rolesanywhere::{
    Action, Credentials, ErrorCode, Lease, Millis, Next, ProviderConfig, RefreshPolicy, SignedRequest, Time,
};
use tokio::sync::{oneshot, watch};

use crate::cache::{Entry, Lock};
use crate::Failure;

/// `--refresh-margin`, of the commands that keep credentials fresh (`serve`, `update`).
#[derive(Args)]
pub struct RefreshArgs {
    /// Refresh at the latest this many seconds before the credentials or the certificate
    /// expire (they are refreshed at half their lifetime anyway).
    #[arg(long, value_name = "SECONDS", default_value_t = RefreshPolicy::default().margin_seconds)]
    refresh_margin: u64,
}

impl RefreshArgs {
    /// The provider's configuration: the library's defaults with this margin.
    pub fn config(&self) -> ProviderConfig {
        ProviderConfig { policy: RefreshPolicy { margin_seconds: self.refresh_margin }, ..ProviderConfig::default() }
    }
}

/// Credentials as a sign-in got them, with the AWS account they belong to when the answer
/// names it (the core's [`rolesanywhere::Session::account_id`]). Reads as the [`Credentials`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    /// The credentials.
    pub credentials: Credentials,
    /// The 12-digit account ID, when known.
    pub account_id: Option<String>,
}

impl std::ops::Deref for Issued {
    type Target = Credentials;

    fn deref(&self) -> &Credentials {
        &self.credentials
    }
}

/// Whether `text` is an AWS account ID: 12 digits.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// A boxed future, as the hooks return them.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A signed `CreateSession` request and the expiry of the certificate that signed it.
pub type Signed = (SignedRequest, Time);

/// A failed `CreateSession` attempt: its error, and how long the service asked to wait before
/// the next one (`Retry-After`), when it said.
#[derive(Debug)]
pub struct AttemptError {
    /// What went wrong.
    pub failure: Failure,
    /// The service's `Retry-After`, in milliseconds.
    pub retry_after_ms: Option<u64>,
}

impl From<Failure> for AttemptError {
    fn from(failure: Failure) -> Self {
        AttemptError { failure, retry_after_ms: None }
    }
}

/// What a provider needs from the outside world, so that tests can replace each part.
pub struct Hooks {
    /// The current time, in milliseconds since the Unix epoch.
    pub now: Box<dyn Fn() -> Millis + Send + Sync>,
    /// Reads the certificate and key (again) and signs a `CreateSession` request at the given
    /// time; returns it with the certificate's expiry.
    pub sign: Box<dyn Fn(Time) -> Result<Signed, Failure> + Send + Sync>,
    /// Sends the request and returns the credentials of the answer. It must end on its own (the
    /// CLI's HTTP client gives up after `--request-timeout`): a refresh past its deadline stops
    /// blocking the next one, but its callers wait for it.
    pub send: Box<dyn Fn(SignedRequest) -> BoxFuture<Result<Issued, AttemptError>> + Send + Sync>,
    /// The cache entry of the current certificate, where processes of this machine share their
    /// credentials; `None` without a cache. An error (an unreadable certificate) skips the
    /// cache for that refresh: signing reports it.
    pub shared: Option<Box<dyn Fn() -> Result<Entry, Failure> + Send + Sync>>,
}

/// What a refresh ends with: fresh credentials; the cached ones, when it failed while they were
/// still usable; or its error.
type Outcome = Result<Issued, Failure>;

/// What the caller that finds its refresh due gets while the cached credentials are still
/// usable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DueRefresh {
    /// It waits for the refresh and gets the fresh credentials.
    Wait,
    /// It gets the cached credentials at once while the refresh runs in the background
    /// (stale-while-refresh).
    Background,
}

/// Caching, refreshing credential provider. Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct Provider {
    inner: Arc<Inner>,
}

struct Inner {
    hooks: Hooks,
    due: DueRefresh,
    /// Never held across an `await`.
    state: Mutex<State>,
}

struct State {
    machine: rolesanywhere::Provider,
    /// The credentials whose timing the machine's lease holds.
    credentials: Option<Issued>,
    /// The error of the last failed refresh, for [`Action::Fail`].
    last_error: Option<Failure>,
    /// The refresh under way: its number, and where its outcome is published.
    refresh: Option<(u64, watch::Receiver<Option<Outcome>>)>,
    /// How many refreshes have started (numbers them).
    refreshes: u64,
}

impl State {
    /// The cached credentials, if they are still usable at `now`.
    fn usable(&self, now: Millis) -> Option<Issued> {
        let lease = self.machine.lease()?;
        lease.usable(now).then(|| self.credentials.clone()).flatten()
    }

    /// The error to report for [`Action::Fail`]: the last failed refresh's.
    fn failure(&self, code: ErrorCode) -> Failure {
        match &self.last_error {
            Some(error) if error.code == code => error.clone(),
            _ => Failure::new(code, format!("the last refresh failed ({code})")),
        }
    }

    /// Whether refresh number `id` is the one under way (the machine has not given up on it).
    fn current(&self, id: u64) -> bool {
        self.refresh.as_ref().map(|(current, _)| *current) == Some(id)
    }
}

/// How a refresh's attempts end.
enum Attempted {
    /// With this outcome; fresh credentials (and when they were obtained) are to be saved in the
    /// shared cache.
    Done(Outcome, Option<(Issued, Millis)>),
    /// The machine says to try again after this wait.
    Retry(Duration),
}

impl Provider {
    /// A provider with the given hooks and refresh rules.
    pub fn new(hooks: Hooks, config: ProviderConfig, due: DueRefresh) -> Self {
        let state = State {
            machine: rolesanywhere::Provider::new(config),
            credentials: None,
            last_error: None,
            refresh: None,
            refreshes: 0,
        };
        Provider { inner: Arc::new(Inner { hooks, due, state: Mutex::new(state) }) }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Until when the cached credentials need no refresh (the lease's `fresh_until`); `None`
    /// when nothing is cached.
    pub fn fresh_until(&self) -> Option<Millis> {
        self.lock().machine.lease().map(|lease| lease.fresh_until())
    }

    /// The error of the last refresh, if it failed.
    pub fn last_error(&self) -> Option<Failure> {
        self.lock().last_error.clone()
    }

    /// Current credentials: the cached ones until their refresh time, fresh ones after.
    pub async fn credentials(&self) -> Outcome {
        let mut outcome = {
            let mut state = self.lock();
            let now = (self.inner.hooks.now)();
            let was_refreshing = state.machine.refreshing();
            let action = state.machine.poll(now);
            if was_refreshing && !state.machine.refreshing() {
                // The refresh outlived its deadline and the machine gave up on it; its outcome
                // still reaches the callers already waiting for it.
                let seconds = state.machine.config().refresh_timeout_ms / 1000;
                state.refresh = None;
                state.last_error =
                    Some(Failure::new(ErrorCode::Network, format!("CreateSession did not finish within {seconds} s")));
            }
            match action {
                Action::UseCached => {
                    return state.usable(now).ok_or_else(|| internal("no cached credentials to use"));
                }
                Action::Fail(code) => return Err(state.failure(code)),
                Action::Join => match &state.refresh {
                    Some((_, outcome)) => outcome.clone(),
                    None => return Err(internal("no refresh to wait for")),
                },
                Action::Refresh { usable_cached } => {
                    let outcome = self.start_refresh(&mut state, now);
                    if usable_cached && self.inner.due == DueRefresh::Background {
                        return state.usable(now).ok_or_else(|| internal("no cached credentials to use"));
                    }
                    outcome
                }
            }
        };
        let published = outcome.wait_for(Option::is_some).await.ok().and_then(|o| o.clone());
        published.unwrap_or_else(|| Err(internal("the refresh ended without an outcome")))
    }

    /// Starts a refresh in a task of its own, so that it completes even when the caller that
    /// started it goes away; returns where its outcome will be published.
    fn start_refresh(&self, state: &mut State, now: Millis) -> watch::Receiver<Option<Outcome>> {
        state.machine.started(now);
        state.refreshes += 1;
        let id = state.refreshes;
        let (publish, outcome) = watch::channel(None);
        state.refresh = Some((id, outcome.clone()));
        let provider = self.clone();
        tokio::spawn(async move {
            let result = provider.refresh(id).await;
            publish.send_replace(Some(result));
        });
        outcome
    }

    /// Refresh number `id`: take the shared cache's credentials, or sign in and send as often as
    /// the machine says.
    async fn refresh(&self, id: u64) -> Outcome {
        let hooks = &self.inner.hooks;
        // The shared entry and, while this refresh signs in, its lock: the other processes of
        // the machine wait for it, then find its credentials.
        let mut shared: Option<(Arc<Entry>, Option<Lock>)> = None;
        if let Some(entry) = hooks.shared.as_ref().and_then(|locate| locate().ok()) {
            if let Some(credentials) = self.take_shared(id, &entry) {
                return Ok(credentials);
            }
            let entry = Arc::new(entry);
            let wait = Duration::from_millis(self.lock().machine.config().refresh_timeout_ms);
            let lock = lock_entry(&entry, wait).await;
            if lock.is_some() {
                if let Some(credentials) = self.take_shared(id, &entry) {
                    return Ok(credentials);
                }
            }
            shared = Some((entry, lock));
        }
        let (outcome, fresh) = loop {
            let issued = (hooks.now)();
            let attempt = match signing_time(issued).and_then(|time| (hooks.sign)(time)) {
                Ok((request, certificate_not_after)) => {
                    (hooks.send)(request).await.map(|credentials| (credentials, certificate_not_after))
                }
                Err(e) => Err(e.into()),
            };
            match self.attempted(id, issued, attempt) {
                Attempted::Done(outcome, fresh) => break (outcome, fresh),
                Attempted::Retry(wait) => tokio::time::sleep(wait).await,
            }
        };
        if let (Some((entry, _lock)), Some((credentials, issued))) = (&shared, fresh) {
            let entry = entry.clone();
            let saved = tokio::task::spawn_blocking(move || entry.save(&credentials, issued)).await;
            if let Some(e) = saved.map_err(|e| e.to_string()).and_then(|r| r.map_err(|e| e.to_string())).err() {
                eprintln!("warning: cannot write the credential cache entry: {e}");
            }
        }
        outcome
    }

    /// Reports an attempt of refresh number `id`, signed at `issued`, to the machine.
    fn attempted(&self, id: u64, issued: Millis, attempt: Result<(Issued, Time), AttemptError>) -> Attempted {
        let now = (self.inner.hooks.now)();
        let mut state = self.lock();
        if !state.current(id) {
            // The machine gave up on this refresh at its deadline: the result goes to its own
            // waiters only.
            return Attempted::Done(attempt.map(|(credentials, _)| credentials).map_err(|e| e.failure), None);
        }
        let error = match attempt {
            Ok((credentials, certificate_not_after)) => {
                let expiration = millis(credentials.expiration());
                match state.machine.succeeded(issued, expiration, millis(certificate_not_after)) {
                    Ok(_) => {
                        state.credentials = Some(credentials.clone());
                        state.last_error = None;
                        state.refresh = None;
                        return Attempted::Done(Ok(credentials.clone()), Some((credentials, issued)));
                    }
                    // Credentials that expire too soon: a failed refresh, which the machine has
                    // already ended.
                    Err(e) => {
                        let error = Failure::from(rolesanywhere::Error::from(e));
                        state.refresh = None;
                        state.last_error = Some(error.clone());
                        return Attempted::Done(state.usable(now).ok_or(error), None);
                    }
                }
            }
            Err(error) => error,
        };
        match state.machine.failed(now, error.failure.code, error.retry_after_ms, random_u32()) {
            Next::RetryAt(at) => Attempted::Retry(Duration::from_millis(at.saturating_sub(now))),
            Next::GiveUp => {
                state.refresh = None;
                state.last_error = Some(error.failure.clone());
                Attempted::Done(state.usable(now).ok_or(error.failure), None)
            }
        }
    }

    /// Takes over the credentials of the shared `entry` when they are newer than this
    /// provider's: returns them if they need no refresh yet; otherwise, if they are still
    /// usable, keeps them to fall back on should refresh number `id` fail.
    fn take_shared(&self, id: u64, entry: &Entry) -> Option<Issued> {
        let saved = entry.load()?;
        let now = (self.inner.hooks.now)();
        let mut state = self.lock();
        let expiration = millis(saved.credentials.expiration());
        let newer = state.machine.lease().is_none_or(|ours| ours.expiration < expiration);
        if !state.current(id) || !newer {
            return None;
        }
        let policy = state.machine.config().policy;
        let refresh_at = policy.refresh_at_ms(saved.issued, expiration, entry.certificate_not_after);
        let lease = Lease { expiration, refresh_at };
        if now < lease.fresh_until() {
            state.machine.adopt(lease);
            state.credentials = Some(saved.credentials.clone());
            state.last_error = None;
            state.refresh = None;
            return Some(saved.credentials);
        }
        if lease.usable(now) {
            // Adopting ends the machine's refresh; this one goes on.
            state.machine.adopt(lease);
            state.machine.started(now);
            state.credentials = Some(saved.credentials);
        }
        None
    }
}

/// The lock of `entry`, waiting for it at most `wait` (past that, the refresh signs in without
/// it); `None` without the lock. The wait runs on a thread of its own, since `flock` blocks.
async fn lock_entry(entry: &Arc<Entry>, wait: Duration) -> Option<Lock> {
    let warn = |e: std::io::Error| eprintln!("warning: cannot lock the credential cache entry: {e}");
    match entry.try_lock() {
        Ok(Some(lock)) => return Some(lock),
        Ok(None) => {}
        Err(e) => {
            warn(e);
            return None;
        }
    }
    let (give, take) = oneshot::channel();
    let waiting = entry.clone();
    // A lock that arrives after the wait is dropped with the channel's message: released at once.
    let spawned = std::thread::Builder::new().spawn(move || {
        let _ = give.send(waiting.lock());
    });
    if let Err(e) = spawned {
        warn(e);
        return None;
    }
    match tokio::time::timeout(wait, take).await {
        Ok(Ok(Ok(lock))) => Some(lock),
        Ok(Ok(Err(e))) => {
            warn(e);
            None
        }
        Ok(Err(_)) | Err(_) => None,
    }
}

/// The signing time of an attempt at `now`.
fn signing_time(now: Millis) -> Result<Time, Failure> {
    Ok(Time::from_unix_seconds(now / 1000).map_err(rolesanywhere::Error::from)?)
}

/// `time` in milliseconds since the Unix epoch.
fn millis(time: Time) -> Millis {
    time.unix_seconds().saturating_mul(1000)
}

fn internal(message: &str) -> Failure {
    Failure::new(ErrorCode::Internal, message)
}

/// 32 random bits for jitter (not for secrets): the standard library's per-process random
/// hash keys.
fn random_u32() -> u32 {
    RandomState::new().build_hasher().finish() as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use rolesanywhere::Backoff;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

    const START: u64 = 1_800_000_000;

    /// A fake world: a settable clock (seconds), a CreateSession that counts calls and answers
    /// from a script of results after a script of latencies (the last of each repeats), and a
    /// certificate valid for a day.
    struct World {
        clock: Arc<AtomicU64>,
        calls: Arc<AtomicUsize>,
    }

    fn provider(script: Vec<Result<u64, &'static str>>, backoff: Backoff) -> (Provider, World) {
        slow_provider(script, backoff, vec![Duration::ZERO], DueRefresh::Wait)
    }

    /// [`provider`] with the cache entry `key` in `dir` (a certificate valid for a day).
    fn sharing_provider(script: Vec<Result<u64, &'static str>>, dir: &std::path::Path) -> (Provider, World) {
        let (p, w) = provider(script, Backoff { max_retries: 0, ..Backoff::default() });
        let mut inner = Arc::into_inner(p.inner).unwrap();
        let dir = dir.to_path_buf();
        inner.hooks.shared = Some(Box::new(move || Ok(Entry::at(&dir, "key", (START + 86_400) * 1000))));
        (Provider { inner: Arc::new(inner) }, w)
    }

    fn slow_provider(
        script: Vec<Result<u64, &'static str>>,
        backoff: Backoff,
        latencies: Vec<Duration>,
        due: DueRefresh,
    ) -> (Provider, World) {
        let clock = Arc::new(AtomicU64::new(START));
        let calls = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(script);
        let (c1, c2, n) = (clock.clone(), clock.clone(), calls.clone());
        let hooks = Hooks {
            now: Box::new(move || c1.load(Ordering::SeqCst) * 1000),
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
                let latency = latencies[i.min(latencies.len() - 1)];
                Box::pin(async move {
                    tokio::task::yield_now().await;
                    tokio::time::sleep(latency).await;
                    match step {
                        Ok(lifetime) => Ok(session(i, now + lifetime)),
                        Err(code) => Err(Failure::new(ErrorCode::from_name(code).unwrap(), code).into()),
                    }
                })
            }),
            shared: None,
        };
        let config = ProviderConfig { backoff, ..ProviderConfig::default() };
        (Provider::new(hooks, config, due), World { clock, calls })
    }

    fn session(i: usize, expiration: u64) -> Issued {
        let credentials = Credentials::new(
            format!("ASIA{i}"),
            "secret".into(),
            "token".into(),
            Time::from_unix_seconds(expiration).unwrap(),
        );
        Issued { credentials, account_id: None }
    }

    #[tokio::test(start_paused = true)]
    async fn processes_share_credentials_until_their_refresh_time() {
        let dir = tempfile::tempdir().unwrap();
        let (first, w1) = sharing_provider(vec![Ok(3600)], dir.path());
        assert_eq!(first.credentials().await.unwrap().access_key_id(), "ASIA0");
        // Another process finds them and makes no CreateSession, until their refresh time.
        let (second, w2) = sharing_provider(vec![Ok(3600)], dir.path());
        w2.clock.store(START + 1799, Ordering::SeqCst);
        assert_eq!(second.credentials().await.unwrap().access_key_id(), "ASIA0");
        assert_eq!((w1.calls.load(Ordering::SeqCst), w2.calls.load(Ordering::SeqCst)), (1, 0));
        let (third, w3) = sharing_provider(vec![Ok(3600)], dir.path());
        w3.clock.store(START + 1800, Ordering::SeqCst);
        assert_eq!(third.credentials().await.unwrap().access_key_id(), "ASIA0");
        assert_eq!(w3.calls.load(Ordering::SeqCst), 1);
        // Its sign-in replaced the entry.
        let (fourth, w4) = sharing_provider(vec![Err("AccessDenied")], dir.path());
        w4.clock.store(START + 1800, Ordering::SeqCst);
        assert_eq!(fourth.credentials().await.unwrap().expiration(), Time::from_unix_seconds(START + 5400).unwrap());
        assert_eq!(w4.calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn shared_credentials_past_their_refresh_time_are_a_fallback() {
        let dir = tempfile::tempdir().unwrap();
        let (first, _) = sharing_provider(vec![Ok(3600)], dir.path());
        first.credentials().await.unwrap();
        // Due for refresh, still valid: the sign-in is tried, and when it fails they are used.
        let (second, w) = sharing_provider(vec![Err("Server")], dir.path());
        w.clock.store(START + 3000, Ordering::SeqCst);
        assert_eq!(second.credentials().await.unwrap().access_key_id(), "ASIA0");
        assert_eq!(w.calls.load(Ordering::SeqCst), 1);
        // Expired, they are not.
        let (third, w) = sharing_provider(vec![Err("Server")], dir.path());
        w.clock.store(START + 3600, Ordering::SeqCst);
        assert_eq!(third.credentials().await.unwrap_err().code, ErrorCode::Server);
        // And a failure is not written: the entry still holds the first credentials.
        let saved = Entry::at(dir.path(), "key", 0).load().unwrap();
        assert_eq!(saved.credentials.access_key_id(), "ASIA0");
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
        let tasks: Vec<_> = (0..100).map(|_| in_a_task(&p)).collect();
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

    /// `p.credentials()` in a task of its own.
    fn in_a_task(p: &Provider) -> tokio::task::JoinHandle<Outcome> {
        let p = p.clone();
        tokio::spawn(async move { p.credentials().await })
    }

    /// Waits until `p` has no refresh under way.
    async fn until_refreshed(p: &Provider) {
        while p.lock().machine.refreshing() {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Waits until `p` has a refresh under way.
    async fn until_refreshing(p: &Provider) {
        while !p.lock().machine.refreshing() {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn others_keep_valid_credentials_while_a_refresh_runs() {
        let (p, w) = slow_provider(vec![Ok(3600)], Backoff::default(), vec![Duration::from_secs(10)], DueRefresh::Wait);
        assert_eq!(p.credentials().await.unwrap().access_key_id(), "ASIA0");
        w.clock.store(START + 1800, Ordering::SeqCst);
        let refreshing = in_a_task(&p);
        until_refreshing(&p).await;
        let started = tokio::time::Instant::now();
        assert_eq!(p.credentials().await.unwrap().access_key_id(), "ASIA0");
        assert_eq!(started.elapsed(), Duration::ZERO, "answered without waiting for the refresh");
        assert_eq!(refreshing.await.unwrap().unwrap().access_key_id(), "ASIA1");
        assert_eq!(p.credentials().await.unwrap().access_key_id(), "ASIA1");
        assert_eq!(w.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_without_credentials_is_reported_at_once_during_the_backoff() {
        let (p, w) = provider(vec![Err("AccessDenied"), Ok(3600)], Backoff::default());
        assert_eq!(p.credentials().await.unwrap_err().code, ErrorCode::AccessDenied);
        assert_eq!(p.credentials().await.unwrap_err(), Failure::new(ErrorCode::AccessDenied, "AccessDenied"));
        assert_eq!(w.calls.load(Ordering::SeqCst), 1);
        // The shortest wait after a failed refresh is one second.
        w.clock.store(START + 1, Ordering::SeqCst);
        assert_eq!(p.credentials().await.unwrap().access_key_id(), "ASIA1");
        assert_eq!(w.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refresh_past_its_deadline_stops_blocking_the_next() {
        // The first CreateSession hangs for 1000 s; the second takes 10 s.
        let latencies = vec![Duration::from_secs(1000), Duration::from_secs(10)];
        let (p, w) = slow_provider(vec![Ok(3600)], Backoff::default(), latencies, DueRefresh::Wait);
        let hung = in_a_task(&p);
        until_refreshing(&p).await;
        w.clock.store(START + 120, Ordering::SeqCst);
        let error = p.credentials().await.unwrap_err();
        assert_eq!(error.code, ErrorCode::Network);
        assert_eq!(error.message, "CreateSession did not finish within 120 s");
        w.clock.store(START + 122, Ordering::SeqCst);
        assert_eq!(p.credentials().await.unwrap().access_key_id(), "ASIA1");
        // The late refresh's callers get its credentials; only the current refresh's are cached.
        assert_eq!(hung.await.unwrap().unwrap().access_key_id(), "ASIA0");
        assert_eq!(p.credentials().await.unwrap().access_key_id(), "ASIA1");
        assert_eq!(w.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn in_the_background_the_due_caller_keeps_valid_credentials_too() {
        let latency = vec![Duration::from_secs(10)];
        let (p, w) = slow_provider(vec![Ok(3600)], Backoff::default(), latency, DueRefresh::Background);
        // Nothing usable cached: the first caller waits.
        assert_eq!(p.credentials().await.unwrap().access_key_id(), "ASIA0");
        w.clock.store(START + 1800, Ordering::SeqCst);
        let started = tokio::time::Instant::now();
        assert_eq!(p.credentials().await.unwrap().access_key_id(), "ASIA0");
        assert_eq!(started.elapsed(), Duration::ZERO, "answered without waiting for the refresh");
        until_refreshed(&p).await;
        assert_eq!(p.credentials().await.unwrap().access_key_id(), "ASIA1");
        assert_eq!(w.calls.load(Ordering::SeqCst), 2);
    }
}
