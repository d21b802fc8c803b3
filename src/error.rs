//! The crate's top-level error and the stable error codes that every runtime reports.
//!
//! [`ErrorCode`] is the one list of codes: the JS package's `ErrorCode` type, the CLI's error
//! lines and the retry rule ([`ErrorCode::is_retryable`]) all come from it. Each layer's error
//! type maps to a code once (`CertificateError::code`, `KeyError::code`, …); [`Error::code`]
//! only delegates. No error ever holds key material or credentials.

use alloc::string::String;
use core::fmt;

use crate::certificate::CertificateError;
use crate::key::KeyError;
use crate::request::RequestError;
use crate::response::ResponseError;
use crate::sigv4::SigV4Error;
use crate::time::InvalidTime;

/// Declares [`ErrorCode`]: each code with its doc, and whether a retry may succeed.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])+ $code:ident $(retryable $retry:tt)?,)+) => {
        /// A stable, machine-readable error code: what programs `switch` on, in every runtime
        /// (the `code` property of the JS package's errors, the CLI's `Code`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[doc = $doc])+ $code,)+
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$code,)+];

            /// The code as text, e.g. `"AccessDenied"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$code => stringify!($code),)+
                }
            }

            /// Whether a later attempt may succeed (throttling, server and network errors; AWS
            /// *Error retries and exponential backoff*), as opposed to an input, a certificate
            /// or a decision that fails the same way again.
            pub const fn is_retryable(self) -> bool {
                match self {
                    $(ErrorCode::$code => error_codes!(@retry $($retry)?),)+
                }
            }
        }
    };
    (@retry) => { false };
    (@retry $yes:tt) => { true };
}

error_codes! {
    /// An option has the wrong type or is missing (JS option objects).
    InvalidOptions,
    /// A file, variable or standard input could not be read, or is too large (CLI).
    InvalidInput,
    /// A certificate could not be parsed or fails a Roles Anywhere rule.
    InvalidCertificate,
    /// A private key could not be parsed or could not sign.
    InvalidKey,
    /// The private key is encrypted and no password was given (or this build cannot decrypt).
    EncryptedKey,
    /// The password does not decrypt the private key or PKCS#12 file.
    WrongPassword,
    /// The private key does not belong to the certificate.
    KeyMismatch,
    /// A PKCS#12 (`.p12`/`.pfx`) file could not be read: malformed, legacy encryption (RC2,
    /// 3DES, SHA-1 MAC), or no private key or no certificate for it; or this build does not read
    /// PKCS#12 (the JS package's wasm builds without the `pkcs12` feature).
    InvalidPkcs12,
    /// This build has no signer for the key type (a cargo feature or wasm build left it out).
    UnsupportedSigner,
    /// The request could not be built from the inputs (ARNs, region, endpoint, duration, …).
    InvalidRequest,
    /// A time could not be parsed or is out of range.
    InvalidTime,
    /// AWS refused: `AccessDeniedException` (signature, certificate, trust policy).
    AccessDenied,
    /// AWS refused the request as malformed: `ValidationException`.
    Validation,
    /// AWS knows no such trust anchor, profile or role: `ResourceNotFoundException`.
    NotFound,
    /// AWS throttled the request (HTTP 429, `ThrottlingException`).
    Throttled retryable yes,
    /// AWS failed (HTTP 5xx).
    Server retryable yes,
    /// AWS answered with an error of another kind.
    Other,
    /// The answer is not what the API returns.
    InvalidResponse,
    /// The endpoint could not be reached, or the connection failed.
    Network retryable yes,
    /// The caller cancelled (an `AbortSignal`).
    Aborted,
    /// A failure inside this program that is none of the above.
    Internal,
}

impl ErrorCode {
    /// The code named `text`, if there is one.
    pub fn from_name(text: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == text)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    /// A SigV4 request could not be signed.
    SigV4(SigV4Error),
    /// A time could not be parsed.
    Time(InvalidTime),
    /// A PKCS#12 file could not be read.
    #[cfg(feature = "pkcs12")]
    Pkcs12(crate::pkcs12::Pkcs12Error),
}

impl Error {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Certificate(e) => e.code(),
            Error::Key(e) => e.code(),
            Error::Request(e) => e.code(),
            Error::Response(e) => e.code(),
            Error::SigV4(e) => e.code(),
            Error::Time(_) => ErrorCode::InvalidTime,
            #[cfg(feature = "pkcs12")]
            Error::Pkcs12(e) => e.code(),
        }
    }
}

impl Piece for Error {
    fn push_to(&self, out: &mut String) {
        match self {
            Error::Certificate(e) => e.push_to(out),
            Error::Key(e) => e.push_to(out),
            Error::Request(e) => e.push_to(out),
            Error::Response(e) => e.push_to(out),
            Error::SigV4(e) => e.push_to(out),
            Error::Time(e) => e.push_to(out),
            #[cfg(feature = "pkcs12")]
            Error::Pkcs12(e) => e.push_to(out),
        }
    }
}

/// A piece of a message: static text, text from the input, a number, or a whole error message.
///
/// Every error message is written through this trait, not `core::fmt`: in the wasm builds the
/// formatting machinery (`Formatter`, padding, `Arguments`, integer `Display`) costs more code
/// than the messages themselves, and nothing else there needs it. Each error type's `Display`
/// (for Rust callers and the CLI) writes the same text ([`display_by_piece!`]).
pub(crate) trait Piece {
    /// Appends this piece's text to `out`.
    fn push_to(&self, out: &mut String);
}

impl Piece for str {
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for String {
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl<T: Piece + ?Sized> Piece for &T {
    fn push_to(&self, out: &mut String) {
        (**self).push_to(out);
    }
}

/// Numbers in decimal.
macro_rules! decimal_pieces {
    ($($ty:ty),*) => {$(
        impl Piece for $ty {
            fn push_to(&self, out: &mut String) {
                crate::digits::decimal_into(*self as u64, 1, out);
            }
        }
    )*};
}
decimal_pieces!(u8, u16, u32, u64, usize);

/// Appends each piece (anything that is a [`Piece`]) to `out`, in order:
/// `push_pieces!(out; "input is ", len, " bytes")`.
macro_rules! push_pieces {
    ($out:expr; $($piece:expr),+ $(,)?) => {{
        let out: &mut alloc::string::String = $out;
        $($crate::error::Piece::push_to(&$piece, out);)+
    }};
}
pub(crate) use push_pieces;

/// The text of `piece`: an error's message.
pub(crate) fn text(piece: &dyn Piece) -> String {
    let mut out = String::new();
    piece.push_to(&mut out);
    out
}

/// `Display` for each type whose text is its [`Piece`], so `to_string()` and `{}` give exactly
/// the message the wasm builds send to JS.
macro_rules! display_by_piece {
    ($($ty:ty),+ $(,)?) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&text(self))
            }
        }
    )+};
}
display_by_piece!(
    Error,
    CertificateError,
    KeyError,
    RequestError,
    ResponseError,
    SigV4Error,
    InvalidTime,
    crate::pem::PemError,
    crate::options::OptionError,
    crate::algorithm::KeyType,
    crate::arn::ArnField,
    crate::time::Time,
);
#[cfg(feature = "pkcs12")]
display_by_piece!(crate::pkcs12::Pkcs12Error);

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
from!(
    Certificate(CertificateError),
    Key(KeyError),
    Request(RequestError),
    Response(ResponseError),
    SigV4(SigV4Error),
    Time(InvalidTime)
);
#[cfg(feature = "pkcs12")]
from!(Pkcs12(crate::pkcs12::Pkcs12Error));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_only_transient_ones_retry() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_name(code.as_str()), Some(*code));
        }
        let retryable: alloc::vec::Vec<&str> =
            ErrorCode::ALL.iter().filter(|c| c.is_retryable()).map(|c| c.as_str()).collect();
        assert_eq!(retryable, ["Throttled", "Server", "Network"]);
        assert_eq!(ErrorCode::from_name("Nope"), None);
    }

    #[test]
    fn nested_errors_keep_their_code() {
        let e = Error::Request(RequestError::Key(KeyError::Encrypted));
        assert_eq!(e.code(), ErrorCode::EncryptedKey);
        assert_eq!(Error::Key(KeyError::Mismatch).code(), ErrorCode::KeyMismatch);
        assert_eq!(Error::SigV4(SigV4Error::InvalidUrl).code(), ErrorCode::InvalidRequest);
    }
}
