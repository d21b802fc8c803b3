//! Reading AWS's answer to `CreateSession`: the credentials of a success, or the error typed by
//! `X-Amzn-ErrorType` and the status.
//!
//! Source: **\[C\]** Roles Anywhere user guide, "CreateSession API" ("Response syntax",
//! "Errors").

use alloc::string::String;

use crate::credentials::Credentials;
use crate::error::{push_pieces, ErrorCode, Piece};
use crate::json;
use crate::time::Time;

/// Largest response body read, in bytes.
pub const MAX_RESPONSE_LEN: usize = 256 * 1024;

/// How long one `CreateSession` exchange (connecting, sending the request, reading the answer)
/// may take before the attempt fails as a [`ErrorCode::Network`] error: the CLI's limit and the
/// JS package's default `timeoutMs`. A provider's retries fit in its refresh deadline
/// ([`crate::ProviderConfig::refresh_timeout_ms`]).
pub const REQUEST_TIMEOUT_MS: u64 = 30_000;

/// What a successful `CreateSession` answer holds (\[C\], "Response syntax").
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Session {
    /// The temporary credentials.
    pub credentials: Credentials,
    /// ARN of the assumed-role session (`arn:aws:sts::…:assumed-role/ROLE/SESSION`).
    pub assumed_role_arn: Option<String>,
    /// ID of the assumed-role session.
    pub assumed_role_id: Option<String>,
    /// The role that was assumed.
    pub role_arn: Option<String>,
    /// The source identity AWS set: the certificate subject CN (\[T\]).
    pub source_identity: Option<String>,
    /// ARN of the Roles Anywhere subject for this certificate.
    pub subject_arn: Option<String>,
}

impl Session {
    /// The AWS account the credentials belong to: the account field of the assumed-role ARN
    /// (`arn:PARTITION:sts::ACCOUNT:assumed-role/…`), else of the role ARN. What aws-sdk-js-v3's
    /// `AwsCredentialIdentity.accountId` and the `credential_process` output's `AccountId` carry.
    pub fn account_id(&self) -> Option<&str> {
        account_of(self.assumed_role_arn.as_deref()).or_else(|| account_of(self.role_arn.as_deref()))
    }
}

impl Session {
    /// Refuses credentials that are already expired at `now` or expire within `margin_seconds`
    /// (at least a second) of it: a success answer whose credentials cannot be used is an
    /// error, never credentials handed out.
    pub fn check_fresh(&self, now: Time, margin_seconds: u64) -> Result<(), ResponseError> {
        check_fresh(now, self.credentials.expiration(), margin_seconds)
    }
}

/// [`Session::check_fresh`] on an expiration alone.
pub(crate) fn check_fresh(now: Time, expiration: Time, margin_seconds: u64) -> Result<(), ResponseError> {
    if expiration.unix_seconds() <= now.unix_seconds().saturating_add(margin_seconds.max(1)) {
        return Err(ResponseError::Expired { expiration, now, margin_seconds });
    }
    Ok(())
}

/// The 12-digit account field of an ARN.
fn account_of(arn: Option<&str>) -> Option<&str> {
    let account = arn?.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// The kind of error AWS answered with, from `X-Amzn-ErrorType` / `__type` and the status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServiceErrorKind {
    /// `AccessDeniedException` (403): bad signature, untrusted certificate, trust policy refused.
    AccessDenied,
    /// `ValidationException` (400): a malformed or inconsistent request.
    Validation,
    /// `ResourceNotFoundException` (404): unknown trust anchor, profile or role.
    NotFound,
    /// Throttling (429 or `ThrottlingException`): retry later with backoff.
    Throttled,
    /// Any 5xx: AWS failed; retry later.
    Server,
    /// Anything else.
    Other,
}

impl ServiceErrorKind {
    /// The kind an HTTP error status tells on its own, for answers that name no error type (and
    /// for any AWS service's answer): 429 throttled, 5xx a server failure, 403 access denied,
    /// 404 not found, anything else [`ServiceErrorKind::Other`].
    pub fn from_status(status: u16) -> ServiceErrorKind {
        match status {
            429 => ServiceErrorKind::Throttled,
            500.. => ServiceErrorKind::Server,
            403 => ServiceErrorKind::AccessDenied,
            404 => ServiceErrorKind::NotFound,
            _ => ServiceErrorKind::Other,
        }
    }

    /// The stable code of this kind of answer.
    pub fn code(self) -> ErrorCode {
        match self {
            ServiceErrorKind::AccessDenied => ErrorCode::AccessDenied,
            ServiceErrorKind::Validation => ErrorCode::Validation,
            ServiceErrorKind::NotFound => ErrorCode::NotFound,
            ServiceErrorKind::Throttled => ErrorCode::Throttled,
            ServiceErrorKind::Server => ErrorCode::Server,
            ServiceErrorKind::Other => ErrorCode::Other,
        }
    }
}

/// An error answer from the service.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceError {
    /// The kind, for programs.
    pub kind: ServiceErrorKind,
    /// HTTP status.
    pub status: u16,
    /// AWS's error type, e.g. `AccessDeniedException` (empty when AWS gave none).
    pub error_type: String,
    /// AWS's message, on one line and shortened to 512 characters.
    pub message: String,
}

impl ServiceError {
    /// Whether retrying later may succeed ([`ErrorCode::is_retryable`]).
    pub fn is_retryable(&self) -> bool {
        self.kind.code().is_retryable()
    }
}

/// Why a `CreateSession` answer gave no credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseError {
    /// AWS answered with an error.
    Service(ServiceError),
    /// A success status with a body that is not `CreateSession` output.
    Malformed {
        /// What is missing or wrong.
        reason: &'static str,
    },
    /// The body is larger than [`MAX_RESPONSE_LEN`].
    TooLarge,
    /// The credentials in a success answer are already expired, or expire within the margin the
    /// caller needs them for ([`Session::check_fresh`]).
    Expired {
        /// When the credentials expire.
        expiration: Time,
        /// When the answer was checked.
        now: Time,
        /// The margin asked for, in seconds.
        margin_seconds: u64,
    },
}

impl Piece for ResponseError {
    fn push_to(&self, out: &mut String) {
        match self {
            ResponseError::Service(e) => {
                let ty = if e.error_type.is_empty() { "error" } else { &e.error_type };
                push_pieces!(out; ty, " (HTTP ", e.status, ")");
                if !e.message.is_empty() {
                    push_pieces!(out; ": ", e.message);
                }
            }
            ResponseError::Malformed { reason } => push_pieces!(out; "unexpected CreateSession response: ", reason),
            ResponseError::TooLarge => {
                push_pieces!(out; "CreateSession response larger than ", MAX_RESPONSE_LEN, " bytes")
            }
            ResponseError::Expired { expiration, now, margin_seconds } => push_pieces!(
                out;
                "the credentials in the CreateSession response expire at ",
                expiration,
                ", within ",
                margin_seconds,
                " s of ",
                now
            ),
        }
    }
}

impl ResponseError {
    /// The stable code: the service's kind of error, else [`ErrorCode::InvalidResponse`].
    pub fn code(&self) -> ErrorCode {
        match self {
            ResponseError::Service(e) => e.kind.code(),
            _ => ErrorCode::InvalidResponse,
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ResponseError {}

/// Reads AWS's answer to `CreateSession`: the credentials of a 2xx answer
/// (`credentialSet[0].credentials`, \[C\] "Response syntax"), or the error of any other, typed by
/// the `X-Amzn-ErrorType` header (`error_type_header`) or the body's `__type`, and the status.
pub fn parse_response(status: u16, error_type_header: Option<&str>, body: &[u8]) -> Result<Session, ResponseError> {
    if body.len() > MAX_RESPONSE_LEN {
        return Err(ResponseError::TooLarge);
    }
    if (200..300).contains(&status) {
        let malformed = |reason| ResponseError::Malformed { reason };
        let bad_json = |_| malformed("the body is not CreateSession JSON");
        let mut output = json::parse(body).map_err(bad_json)?;
        let Some(json::Value::Array(set)) = output.get_mut("credentialSet") else {
            return Err(malformed("the body is not CreateSession JSON"));
        };
        let mut item = match set.first_mut() {
            Some(item @ json::Value::Object(_)) => core::mem::replace(item, json::Value::Null),
            Some(_) => return Err(malformed("the body is not CreateSession JSON")),
            None => return Err(malformed("credentialSet is empty")),
        };
        let subject_arn = output.take_string("subjectArn").map_err(bad_json)?;
        let role_arn = item.take_string("roleArn").map_err(bad_json)?;
        let source_identity = item.take_string("sourceIdentity").map_err(bad_json)?;
        let (assumed_role_arn, assumed_role_id) = match item.get_mut("assumedRoleUser") {
            None | Some(json::Value::Null) => (None, None),
            Some(user @ json::Value::Object(_)) => {
                (user.take_string("arn").map_err(bad_json)?, user.take_string("assumedRoleId").map_err(bad_json)?)
            }
            Some(_) => return Err(malformed("the body is not CreateSession JSON")),
        };
        let raw = match item.get_mut("credentials") {
            None | Some(json::Value::Null) => return Err(malformed("credentialSet[0].credentials is missing")),
            Some(raw @ json::Value::Object(_)) => raw,
            Some(_) => return Err(malformed("the body is not CreateSession JSON")),
        };
        // Moved, not copied, into `Credentials`, which zeroizes them.
        let mut field =
            |name| raw.take_string(name).ok().flatten().ok_or(malformed("the body is not CreateSession JSON"));
        let (access_key_id, secret_access_key, session_token, expiration_text) =
            (field("accessKeyId")?, field("secretAccessKey")?, field("sessionToken")?, field("expiration")?);
        let expiration = Time::parse_rfc3339(&expiration_text);
        let credentials =
            Credentials::new(access_key_id, secret_access_key, session_token, expiration.unwrap_or(Time::UNIX_EPOCH));
        expiration.map_err(|_| malformed("expiration is not an RFC 3339 time"))?;
        let c = &credentials;
        if c.access_key_id().is_empty() || c.secret_access_key().is_empty() || c.session_token().is_empty() {
            return Err(malformed("a credential field is empty"));
        }
        return Ok(Session { credentials, assumed_role_arn, assumed_role_id, role_arn, source_identity, subject_arn });
    }
    // `{"__type": …, "message" | "Message": …}`; anything else reads as no type and no message.
    let (parsed_type, parsed_message) = match json::parse(body) {
        Ok(mut v) => {
            let ty = v.take_string("__type").unwrap_or(None);
            let message = match v.take_string("message") {
                Ok(None) => v.take_string("Message").unwrap_or(None),
                other => other.unwrap_or(None),
            };
            (ty, message)
        }
        Err(_) => (None, None),
    };
    // "X-Amzn-ErrorType: AccessDeniedException:http://internal…" and "__type":
    // "com.amazon…#AccessDeniedException" both reduce to the bare name.
    let error_type = error_type_header
        .or(parsed_type.as_deref())
        .map(|t| t.split(':').next().unwrap_or(t))
        .map(|t| t.rsplit('#').next().unwrap_or(t))
        .unwrap_or("")
        .trim();
    let kind = match error_type {
        "AccessDeniedException" => ServiceErrorKind::AccessDenied,
        "ValidationException" => ServiceErrorKind::Validation,
        "ResourceNotFoundException" => ServiceErrorKind::NotFound,
        "ThrottlingException" | "TooManyRequestsException" => ServiceErrorKind::Throttled,
        _ => ServiceErrorKind::from_status(status),
    };
    let message = parsed_message.as_deref().unwrap_or("");
    Err(ResponseError::Service(ServiceError {
        kind,
        status,
        error_type: one_line(error_type, 128),
        message: one_line(message, 512),
    }))
}

/// Text from the network, made safe to print: control characters become spaces, and it is cut
/// to `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}
