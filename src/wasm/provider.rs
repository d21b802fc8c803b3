//! `createCredentialProvider`: the core's credential provider state machine ([`Provider`]) for
//! the driver in `pkg/provider.js`, which keeps the credentials, reads the clock, signs in,
//! sleeps and shares a pending refresh, and asks this machine what to do whenever its cached
//! credentials are no longer fresh.

use alloc::string::String;

use wasm_bindgen::prelude::*;

use super::core_error;
use crate::{Action, ErrorCode, Millis, Next, Provider, ProviderConfig};

/// What the driver does now ([`Action`]).
#[wasm_bindgen]
#[derive(Clone, Copy)]
pub enum ProviderAction {
    /// Use the cached credentials.
    UseCached,
    /// Refresh: call `started`, sign in, and report each attempt.
    Refresh,
    /// Wait for the refresh under way (or, where callers cannot share work, refresh too).
    Join,
    /// Report the last refresh's error (its code: `failure`).
    Fail,
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
        ProviderMachine { inner: Provider::new(config), failure: None }
    }

    /// What to do at `now`.
    pub fn poll(&mut self, now: f64) -> ProviderAction {
        match self.inner.poll(millis(now)) {
            Action::UseCached => ProviderAction::UseCached,
            Action::Refresh { .. } => ProviderAction::Refresh,
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

    /// A refresh starts at `now`.
    pub fn started(&mut self, now: f64) {
        self.inner.started(millis(now));
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
