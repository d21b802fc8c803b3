//! The crate's top-level error: one variant per layer, each with its own typed enum.
//!
//! No variant ever holds key material or credentials; AWS's messages are kept on one line.

use core::fmt;

pub use crate::certificate::CertificateError;
pub use crate::key::KeyError;
pub use crate::pem::PemError;
pub use crate::session::{RequestError, ResponseError, ServiceError, ServiceErrorKind};
pub use crate::time::InvalidTime;

/// Any error of this crate.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A certificate could not be parsed or fails a check.
    Certificate(CertificateError),
    /// A private key could not be parsed, does not match, or failed to sign.
    Key(KeyError),
    /// The `CreateSession` request could not be built from the inputs.
    Request(RequestError),
    /// The `CreateSession` answer is an error or unreadable.
    Response(ResponseError),
    /// A time could not be parsed.
    Time(InvalidTime),
}

impl Error {
    /// A stable short code for programs and the JS bindings: `InvalidCertificate`, `InvalidKey`,
    /// `EncryptedKey`, `KeyMismatch`, `UnsupportedSigner` (a key type this build has no signer
    /// for), `InvalidRequest`, `AccessDenied`, `Validation`, `NotFound`,
    /// `Throttled`, `Server`, `InvalidResponse`, `InvalidTime`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Certificate(_) | Error::Request(RequestError::Certificate(_)) => "InvalidCertificate",
            Error::Key(KeyError::Encrypted) | Error::Request(RequestError::Key(KeyError::Encrypted)) => "EncryptedKey",
            Error::Key(KeyError::Mismatch) | Error::Request(RequestError::Key(KeyError::Mismatch)) => "KeyMismatch",
            Error::Key(KeyError::NotCompiledIn { .. })
            | Error::Request(RequestError::Key(KeyError::NotCompiledIn { .. })) => "UnsupportedSigner",
            Error::Key(_) | Error::Request(RequestError::Key(_)) => "InvalidKey",
            Error::Request(_) => "InvalidRequest",
            Error::Response(ResponseError::Service(e)) => e.kind.code(),
            Error::Response(_) => "InvalidResponse",
            Error::Time(_) => "InvalidTime",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Certificate(e) => e.fmt(f),
            Error::Key(e) => e.fmt(f),
            Error::Request(e) => e.fmt(f),
            Error::Response(e) => e.fmt(f),
            Error::Time(e) => e.fmt(f),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

macro_rules! from {
    ($($variant:ident($ty:ty)),*) => {$(
        impl From<$ty> for Error {
            fn from(e: $ty) -> Self {
                Error::$variant(e)
            }
        }
    )*};
}
from!(Certificate(CertificateError), Key(KeyError), Request(RequestError), Response(ResponseError), Time(InvalidTime));
