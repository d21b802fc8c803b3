#![doc = include_str!("../README.md")]
#![no_std]
// The JS bindings' generated glue (wasm-bindgen's macros) needs `unsafe`; everything else forbids it.
#![cfg_attr(not(all(feature = "wasm", target_arch = "wasm32")), forbid(unsafe_code))]
#![cfg_attr(all(feature = "wasm", target_arch = "wasm32"), deny(unsafe_code))]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod arn;
pub mod canonical_request;
pub mod certificate;
pub mod credentials;
pub mod error;
mod hex;
mod json;
pub mod key;
mod pem;
pub mod refresh;
pub mod session;
pub mod sigv4;
pub mod time;
#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
mod wasm;

pub use certificate::Certificate;
pub use credentials::Credentials;
pub use error::Error;
pub use key::{Algorithm, KeyType, PrivateKey, Signer};
pub use session::{parse_response, CreateSession, Session, SignedRequest, UnsignedRequest};
pub use time::Time;
