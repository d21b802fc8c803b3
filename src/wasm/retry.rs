//! Retry timing for the shims, from the core's rules: the wait a `Retry-After` header asks for
//! ([`crate::retry_after_ms`]) and the backoff before a repeated request
//! ([`crate::Backoff::retry_delay_ms`]), so that `AwsClient` retries as the credential provider
//! does.

use alloc::string::String;

use wasm_bindgen::prelude::*;

use crate::{Backoff, ErrorCode, ServiceErrorKind};

/// The wait in ms that an answer with `status` and a `Retry-After` of `value` asks for at
/// `now_ms`; `undefined` for a status that carries none (only 429 and 503 do) or a value that is
/// neither delay-seconds nor an HTTP-date.
#[wasm_bindgen(js_name = retryAfter)]
pub fn retry_after(status: u16, value: &str, now_ms: f64) -> Option<f64> {
    crate::retry_after_ms(status, value, now_ms as u64).map(|ms| ms as f64)
}

/// The wait in ms before retry number `retry` (0 for the first) of a request whose attempt got
/// an answer with HTTP `status` (0: no answer, a network error), with its `Retry-After` header
/// if any, at `now_ms`; `undefined` when it is not to be repeated: the status is not one a retry
/// can fix (429 and 5xx are, as [`ServiceErrorKind::from_status`] and
/// [`ErrorCode::is_retryable`] say), the `max_retries` are used up, or `Retry-After` asks for
/// longer than the backoff's cap. `max_retries` and `base_ms` default to [`Backoff::default`]'s;
/// `random` is 32 random bits for the full jitter.
#[wasm_bindgen(js_name = retryDelay)]
pub fn retry_delay(
    retry: u32,
    status: u16,
    retry_after: Option<String>,
    now_ms: f64,
    random: u32,
    max_retries: Option<u32>,
    base_ms: Option<f64>,
) -> Option<f64> {
    let mut backoff = Backoff::default();
    if let Some(n) = max_retries {
        backoff.max_retries = n;
    }
    if let Some(ms) = base_ms {
        backoff.base_ms = ms as u64;
        backoff.cap_ms = backoff.cap_ms.max(backoff.base_ms);
    }
    let code = if status == 0 { ErrorCode::Network } else { ServiceErrorKind::from_status(status).code() };
    let wait = retry_after.and_then(|value| crate::retry_after_ms(status, &value, now_ms as u64));
    backoff.retry_delay_ms(retry, code, wait, random).map(|ms| ms as f64)
}
