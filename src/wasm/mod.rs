//! JavaScript bindings (wasm32 with the `wasm` feature): a thin layer between the core and the
//! hand-written shims of the npm package in `pkg/`, which call these exports (users never do).
//! One file per group of exports; no protocol logic lives here: every check, the canonical
//! request, the string to sign, the `Authorization` header and the refresh rules are the core's.
//!
//! Values cross the boundary in one encoding, [`wire`] (`pkg/wire.js` on the other side): one
//! buffer in and one out per call, rather than a crossing per field. Time always comes from JS
//! (milliseconds since 1970): the core reads no clock. Every error reaches JS as an `Error` whose
//! `code` is the core's [`ErrorCode`] and whose message is the core's.

pub(crate) mod wire;

#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
mod certificates;
#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
mod create_session;
#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
mod inspect;
#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
mod provider;
#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
mod retry;
#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
mod sigv4;

#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
use {
    crate::error::text,
    crate::{Error, ErrorCode, Time},
    js_sys::Uint8Array,
    wasm_bindgen::prelude::*,
};

#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
#[wasm_bindgen]
extern "C" {
    /// The shim's reused `Uint8Array` for replies (`pkg/wire.js` `replies`).
    #[wasm_bindgen(js_name = Uint8Array)]
    pub type ReplyBuffer;
    #[wasm_bindgen(method, getter)]
    fn length(this: &ReplyBuffer) -> u32;
    /// `this.set(data, offset)`: copies wasm memory into the JS array.
    #[wasm_bindgen(method)]
    fn set(this: &ReplyBuffer, data: &[u8], offset: u32);
}

/// Hands a reply message to JS: copied into `out`, the shim's reused buffer, when it fits (its
/// length is returned); otherwise as a new `Uint8Array`. Allocating a typed array per call costs
/// about a microsecond in V8 and Deno, some 5% of a signed SigV4 request.
#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
fn deliver(reply: &[u8], out: &ReplyBuffer) -> JsValue {
    match u32::try_from(reply.len()) {
        Ok(len) if len <= out.length() => {
            out.set(reply, 0);
            len.into()
        }
        _ => Uint8Array::from(reply).into(),
    }
}

/// A JS `Error` with `code` and `message`.
#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
fn error(code: ErrorCode, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    let _ = js_sys::Reflect::set(&error, &"code".into(), &code.as_str().into());
    error.into()
}

/// A core error as a JS `Error`.
#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
fn core_error(e: impl Into<Error>) -> JsValue {
    let e = e.into();
    error(e.code(), &text(&e))
}

/// An `InvalidOptions` error: an option of the wrong type.
#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
fn invalid(message: &str) -> JsValue {
    error(ErrorCode::InvalidOptions, message)
}

/// A message that does not follow [`wire`]'s format: a bug in the shims or here.
#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
fn malformed(_: wire::Malformed) -> JsValue {
    error(ErrorCode::Internal, "malformed message between the JS shim and wasm")
}

/// A time from JS milliseconds since 1970; `InvalidOptions` with `message` when it is not one.
#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
fn time_from_ms(ms: f64, message: &str) -> Result<Time, JsValue> {
    if !(ms.is_finite() && ms >= 0.0) {
        return Err(invalid(message));
    }
    Time::from_unix_seconds((ms / 1000.0) as u64).map_err(core_error)
}

/// Bytes that held a secret (a message from the shim, a reply), zeroized on drop: the bytes and
/// any spare capacity, each as one slice, which zeroize fills 16 bytes at a time, where
/// `Zeroizing<Vec<u8>>` zeroizes a `Vec` element by element (4 % of a signed SigV4 request).
#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
struct Wiped(alloc::vec::Vec<u8>);

#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
impl Drop for Wiped {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.0.as_mut_slice().zeroize();
        self.0.spare_capacity_mut().zeroize();
    }
}

#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
impl core::ops::Deref for Wiped {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// Milliseconds since 1970 of a core time, for JS.
#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
fn ms(time: Time) -> f64 {
    time.unix_seconds() as f64 * 1000.0
}

/// The allocator of the wasm builds: talc, which frees and reuses blocks as dlmalloc does (an
/// isolate is long-lived) in a fraction of its code, and grows wasm memory on demand.
#[cfg(all(feature = "wasm", target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
