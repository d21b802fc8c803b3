//! Sign in to AWS with an X.509 certificate: the client side of
//! [AWS IAM Roles Anywhere](https://docs.aws.amazon.com/rolesanywhere/latest/userguide/introduction.html).
//!
//! This crate parses the certificate, its chain and the private key, builds and signs the
//! `CreateSession` request (`AWS4-X509-ECDSA-SHA256`, `AWS4-X509-RSA-SHA256`, `AWS4-X509-MLDSA`), reads AWS's
//! answer into temporary credentials, and signs any AWS request with them (SigV4). It is
//! `#![no_std]` + `alloc`, takes the time as an input, and never reads a clock, a file or the
//! network itself: the caller sends the request with any HTTP client.
//!
//! ```no_run
//! use rolesanywhere::{parse_certificates, parse_response, Certificate, CreateSession, PrivateKey, Time};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let leaf = Certificate::parse(&std::fs::read("app.pem")?)?;
//! let chain = parse_certificates(&std::fs::read("chain.pem")?)?;
//! let key = PrivateKey::parse(&std::fs::read("app.key")?)?;
//! let now = Time::parse_rfc3339("2024-06-01T12:00:30Z")?; // the caller's clock
//!
//! let request = CreateSession::new(
//!     &leaf,
//!     "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/TA_ID",
//!     "arn:aws:rolesanywhere:us-west-2:123456789012:profile/PROFILE_ID",
//!     "arn:aws:iam::123456789012:role/app",
//! )
//! .intermediates(&chain)
//! .duration_seconds(3600)
//! .prepare(now)?          // every check: certificate rules, ARNs, region, duration
//! .sign(&key)?;           // or .finish(signature) with a signature made by WebCrypto or an HSM
//!
//! // Send `request.method`, `request.url`, `request.headers`, `request.body` with any HTTP
//! // client, then read the answer:
//! # let (status, error_type, body): (u16, Option<&str>, Vec<u8>) = (201, None, Vec::new());
//! let session = parse_response(status, error_type, &body)?;
//! println!("{} until {}", session.credentials.access_key_id(), session.credentials.expiration());
//! # Ok(())
//! # }
//! ```
//!
//! - The request: [`CreateSession`] (or [`CreateSessionOptions`], the same options as a plain
//!   struct), [`UnsignedRequest`] and [`SignedRequest`]. A key held elsewhere implements
//!   [`Signer`], or the caller signs [`UnsignedRequest::string_to_sign`] itself and calls
//!   [`UnsignedRequest::finish`].
//! - Inputs: [`Certificate::parse`], [`split_full_chain`] (a full-chain file: leaf, then
//!   intermediates) and [`merge_intermediates`], [`parse_intermediates`];
//!   [`PrivateKey::parse`] and [`PrivateKey::parse_with_password`] (encrypted PKCS#8); `Pkcs12::parse`
//!   (certificate, key and chain from a `.p12`/`.pfx` file, feature `pkcs12`).
//! - The answer: [`parse_response`] gives a [`Session`] with [`Credentials`].
//! - [`sigv4`] signs any AWS request with those credentials (`Authorization` header or presigned
//!   URL; every case of the AWS SigV4 test suite passes).
//! - [`Provider`] is the refresh logic of a credential provider as a state machine without I/O:
//!   refresh at half the lifetime, one refresh at a time, stale-while-refresh, backoff.
//! - Every error has a stable [`ErrorCode`].
//!
//! The command-line tool (`rolesanywhere sign-request`, `credential-process`, `serve` and a
//! local stand-in for Roles Anywhere) is the `rolesanywhere-cli` crate; the JavaScript package
//! for Cloudflare Workers, Deno, browsers and Node is built from this crate's `wasm` feature
//! (see the repository's README and `pkg/README.md`).
//!
//! # Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `std` | yes | `std::error::Error` impls; RSA blinding from the OS RNG |
//! | `ecdsa-p256` | yes | P-256 keys held in this process |
//! | `ecdsa-p384` | yes | P-384 keys held in this process |
//! | `rsa` | yes | RSA 2048–4096 keys held in this process (PKCS#1 v1.5) |
//! | `ml-dsa` | yes | ML-DSA-44/65/87 keys held in this process (`AWS4-X509-MLDSA`), `verify_ml_dsa` |
//! | `encrypted-keys` | yes | `ENCRYPTED PRIVATE KEY` (PBES2) through [`PrivateKey::parse_with_password`] |
//! | `pkcs12` | yes | `Pkcs12::parse`: `.p12`/`.pfx` files (PBES2, SHA-2 MAC); implies `encrypted-keys` |
//!
//! `--no-default-features --features ecdsa-p256` is the smallest build that signs; with no
//! features at all the crate still builds requests for a signer outside the process. ML-DSA
//! certificates are read, and their requests built for an outside signer, in every build.

#![no_std]
// The JS bindings' generated glue (wasm-bindgen's macros) needs `unsafe`; everything else forbids it.
#![cfg_attr(not(all(feature = "wasm", target_arch = "wasm32")), forbid(unsafe_code))]
#![cfg_attr(all(feature = "wasm", target_arch = "wasm32"), deny(unsafe_code))]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod algorithm;
mod arn;
mod asn1;
mod certificate;
mod credentials;
mod digits;
#[cfg(feature = "encrypted-keys")]
mod encrypted;
mod endpoint;
mod error;
mod json;
mod key;
#[cfg(feature = "ml-dsa")]
mod mldsa;
mod options;
mod pem;
#[cfg(feature = "pkcs12")]
mod pkcs12;
mod provider;
mod refresh;
mod request;
mod response;
pub mod sigv4;
mod time;
// The JS bindings; their wire encoding also builds natively for its tests and the fuzz targets.
#[cfg(any(test, feature = "fuzzing", all(feature = "wasm", target_arch = "wasm32")))]
mod wasm;

/// Entry points for the fuzz targets (`fuzz/`) into code that has no public API: the JS↔wasm
/// wire codec. Not part of the API (feature `fuzzing`, off by default).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::wasm::wire::{decode, encode, encode_record, pairs, Malformed, Value};
}

pub use algorithm::{Algorithm, KeyType};
pub use arn::{Arn, ArnField, Region};
pub use certificate::{
    merge_intermediates, parse_certificates, parse_intermediates, serial_hex, split_full_chain, Certificate,
    CertificateError, PublicKey, MAX_INTERMEDIATES,
};
pub use credentials::Credentials;
#[cfg(feature = "encrypted-keys")]
pub use encrypted::{MAX_PBKDF2_ITERATIONS, MAX_SCRYPT_MEMORY};
pub use error::{Error, ErrorCode};
pub use key::{check_encoded_key, decrypt_pkcs8, EncodedKeyCheck, KeyError, PrivateKey, Signer};
#[cfg(feature = "ml-dsa")]
pub use mldsa::verify_ml_dsa;
pub use options::{CreateSessionOptions, OptionError, OptionValue};
pub use pem::{PemError, MAX_INPUT_LEN};
#[cfg(feature = "pkcs12")]
pub use pkcs12::{Pkcs12, Pkcs12Error};
pub use provider::{Action, Lease, Millis, Next, Provider, ProviderConfig};
pub use refresh::{retry_after_ms, Backoff, RefreshPolicy, MAX_RETRY_AFTER_MS};
pub use request::{
    is_valid_duration, is_valid_role_session_name, CreateSession, RequestError, RequestTemplate, SignedRequest,
    UnsignedRequest, MAX_DURATION_SECONDS, MIN_DURATION_SECONDS,
};
pub use response::{
    parse_response, ResponseError, ServiceError, ServiceErrorKind, Session, MAX_RESPONSE_LEN, REQUEST_TIMEOUT_MS,
};
pub use time::{InvalidTime, Time};
