//! `createCredentialProvider`: the core's credential provider state machine ([`Provider`]) for
//! the drivers in `pkg/provider.js` (and the shared store and Workers broker built on it), which
//! keep the credentials, read the clock, sign in, sleep and share a pending refresh, and ask this
//! machine what to do whenever their cached credentials are no longer fresh. Credentials found in
//! a shared store come in through [`ProviderMachine::adopt`].

use alloc::string::String;

use wasm_bindgen::prelude::*;

use super::core_error;
use crate::{Action, ErrorCode, Lease, Millis, Next, Provider, ProviderConfig};

/// What the driver does now ([`Action`]).
#[wasm_bindgen]
#[derive(Clone, Copy)]
pub enum ProviderAction {
    /// Use the cached credentials.
    UseCached,
    /// Refresh: call `started`, sign in, and report each attempt. Nothing usable is cached.
    Refresh,
    /// Wait for the refresh under way (or, where callers cannot share work, refresh too).
    Join,
    /// Report the last refresh's error (its code: `failure`).
    Fail,
    /// Refresh as for `Refresh`; the cached credentials are still usable meanwhile, so a driver
    /// that can refresh in the background may return them at once.
    RefreshWhileUsable,
}

/// A provider's state, in milliseconds since 1970 from the driver's clock.
#[wasm_bindgen(js_name = Provider)]
pub struct ProviderMachine {
    inner: Provider,
    /// The code of the last [`ProviderAction::Fail`].
    failure: Option<ErrorCode>,
}

/// Milliseconds from JS (whole, non-negative numbers from `Date.now()` or the caller's clock;
/// anything else saturates).
fn millis(ms: f64) -> Millis {
    ms as Millis
}

#[wasm_bindgen(js_class = Provider)]
impl ProviderMachine {
    /// A provider with nothing cached, with the options of `createCredentialProvider` (checked
    /// there as non-negative integers); an option left out takes the core's default.
    #[wasm_bindgen(constructor)]
    pub fn new(
        refresh_margin_seconds: Option<f64>,
        max_retries: Option<u32>,
        base_delay_ms: Option<f64>,
        max_delay_ms: Option<f64>,
        refresh_timeout_ms: Option<f64>,
    ) -> Self {
        let mut config = ProviderConfig::default();
        if let Some(seconds) = refresh_margin_seconds {
            config.policy.margin_seconds = seconds as u64;
        }
        if let Some(retries) = max_retries {
            config.backoff.max_retries = retries;
        }
        if let Some(ms) = base_delay_ms {
            config.backoff.base_ms = millis(ms);
        }
        if let Some(ms) = max_delay_ms {
            config.backoff.cap_ms = millis(ms);
        }
        if let Some(ms) = refresh_timeout_ms {
            config.refresh_timeout_ms = millis(ms);
        }
        ProviderMachine { inner: Provider::new(config), failure: None }
    }

    /// What to do at `now`.
    pub fn poll(&mut self, now: f64) -> ProviderAction {
        match self.inner.poll(millis(now)) {
            Action::UseCached => ProviderAction::UseCached,
            Action::Refresh { usable_cached: false } => ProviderAction::Refresh,
            Action::Refresh { usable_cached: true } => ProviderAction::RefreshWhileUsable,
            Action::Join => ProviderAction::Join,
            Action::Fail(code) => {
                self.failure = Some(code);
                ProviderAction::Fail
            }
        }
    }

    /// The code of the error a [`ProviderAction::Fail`] reports.
    #[wasm_bindgen(getter)]
    pub fn failure(&self) -> Option<String> {
        self.failure.map(|code| code.as_str().into())
    }

    /// A refresh starts at `now`. Returns its deadline ([`Provider::deadline`]): past it the
    /// machine gives up on the refresh, and the driver stops its request.
    pub fn started(&mut self, now: f64) -> f64 {
        self.inner.started(millis(now));
        self.inner.deadline().unwrap_or(Millis::MAX) as f64
    }

    /// Whether a refresh is under way (false once the machine gave up on a hung one).
    #[wasm_bindgen(getter)]
    pub fn refreshing(&self) -> bool {
        self.inner.refreshing()
    }

    /// When the cached credentials are due for a refresh ([`Lease::refresh_at`]), for a driver
    /// that shares them with others (a store, a broker); `undefined` with nothing cached.
    #[wasm_bindgen(getter, js_name = refreshAt)]
    pub fn refresh_at(&self) -> Option<f64> {
        self.inner.lease().map(|lease| lease.refresh_at as f64)
    }

    /// Takes over credentials obtained elsewhere (a shared store, a broker), valid until
    /// `expiration` and due at `refresh_at` as the machine that got them decided; ends the
    /// refresh under way. Returns until when they can be used without asking again
    /// ([`Lease::fresh_until`]).
    pub fn adopt(&mut self, expiration: f64, refresh_at: f64) -> f64 {
        let lease = Lease { expiration: millis(expiration), refresh_at: millis(refresh_at) };
        self.inner.adopt(lease);
        lease.fresh_until() as f64
    }

    /// An attempt signed at `issued` got credentials valid until `expiration` with a certificate
    /// valid until `certificate_not_after`. Returns until when they can be used without asking
    /// again ([`crate::Lease::fresh_until`]): the driver's fast path compares its clock with it.
    /// Throws `InvalidResponse` for credentials already expired or expiring within the refresh
    /// margin: the refresh then ends as a failed one.
    pub fn succeeded(&mut self, issued: f64, expiration: f64, certificate_not_after: f64) -> Result<f64, JsValue> {
        let lease = self
            .inner
            .succeeded(millis(issued), millis(expiration), millis(certificate_not_after))
            .map_err(core_error)?;
        Ok(lease.fresh_until() as f64)
    }

    /// An attempt failed at `now` with the error code `code` (a code the core does not know
    /// counts as `Internal`, which is not retried); `random` is 32 random bits for the jitter;
    /// `retry_after_ms` is the wait the service's `Retry-After` asked for (the error's
    /// `retryAfterMs`), if any. Returns when to try again, or `undefined` when this refresh is
    /// over.
    pub fn failed(&mut self, now: f64, code: &str, random: u32, retry_after_ms: Option<f64>) -> Option<f64> {
        let code = ErrorCode::from_name(code).unwrap_or(ErrorCode::Internal);
        match self.inner.failed(millis(now), code, retry_after_ms.map(millis), random) {
            Next::RetryAt(at) => Some(at as f64),
            Next::GiveUp => None,
        }
    }

    /// The refresh under way was cancelled by its caller.
    pub fn abandoned(&mut self) {
        self.inner.abandoned();
    }
}
