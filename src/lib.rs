#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
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
pub mod key;
mod pem;
pub mod session;
pub mod time;

pub use certificate::Certificate;
pub use credentials::Credentials;
pub use error::Error;
pub use key::{Algorithm, KeyType, PrivateKey, Signer};
pub use session::{parse_response, CreateSession, Session, SignedRequest, UnsignedRequest};
pub use time::Time;
