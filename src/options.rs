//! The options of a `CreateSession` request, as one plain struct that every front end fills in:
//! the CLI from its flags, the JS bindings from an options object (by name, through
//! [`CreateSessionOptions::set`]), tests and the stand-in's clients directly.
//!
//! The names are the request's JSON member names (\[C\] "Request syntax"), which are also the
//! JS package's option names, so that one table here maps both.

use alloc::string::String;

use crate::error::{push_pieces, ErrorCode, Piece};

/// What a `CreateSession` request asks for, besides the certificate and key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateSessionOptions {
    /// ARN of the trust anchor (`trustAnchorArn`).
    pub trust_anchor_arn: String,
    /// ARN of the Roles Anywhere profile (`profileArn`).
    pub profile_arn: String,
    /// ARN of the IAM role to assume (`roleArn`).
    pub role_arn: String,
    /// Region to sign for (`region`); `None`: the endpoint's, else the trust anchor ARN's.
    pub region: Option<String>,
    /// Base URL to send to instead of the region's endpoint (`endpoint`), e.g. a local stand-in.
    pub endpoint: Option<String>,
    /// Use the FIPS endpoint `rolesanywhere-fips.{region}…` when no endpoint is given (`fips`).
    pub fips: bool,
    /// Session duration, 900 to 43200 seconds (`durationSeconds`); `None`: the profile's.
    pub duration_seconds: Option<u64>,
    /// Role session name (`roleSessionName`; the profile must accept custom names).
    pub role_session_name: Option<String>,
}

/// A value handed over by name, as dynamically typed front ends hold it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptionValue<'a> {
    /// Absent: `undefined` or `null`.
    Absent,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    Text(&'a str),
    /// Anything else (an object, bytes, a function).
    Other,
}

/// An option given by name has the wrong type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionError {
    /// The option's name, e.g. `durationSeconds`.
    pub name: &'static str,
    /// What it must be, e.g. `a whole number of seconds`.
    pub expected: &'static str,
}

impl OptionError {
    /// Always [`ErrorCode::InvalidOptions`].
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidOptions
    }
}

impl Piece for OptionError {
    fn push_to(&self, out: &mut String) {
        push_pieces!(out; "options.", self.name, " must be ", self.expected);
    }
}

#[cfg(feature = "std")]
impl std::error::Error for OptionError {}

/// Largest whole number an `f64` holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

impl CreateSessionOptions {
    /// Options naming the trust anchor, profile and role; everything else at its default.
    pub fn new(
        trust_anchor_arn: impl Into<String>,
        profile_arn: impl Into<String>,
        role_arn: impl Into<String>,
    ) -> Self {
        CreateSessionOptions {
            trust_anchor_arn: trust_anchor_arn.into(),
            profile_arn: profile_arn.into(),
            role_arn: role_arn.into(),
            ..Self::default()
        }
    }

    /// Sets the option called `name` (its JSON / JS name) to `value`. Returns `Ok(false)` for a
    /// name that is not a `CreateSession` option (front ends pass whole option objects, which
    /// also hold the certificate, the key and their own settings), `Err` for a value of the
    /// wrong type. The three ARNs are required: an absent one is an error.
    pub fn set(&mut self, name: &str, value: OptionValue<'_>) -> Result<bool, OptionError> {
        use OptionValue::*;
        let text = |name: &'static str| OptionError { name, expected: "a string" };
        match name {
            "trustAnchorArn" => self.trust_anchor_arn = required_text(value, text("trustAnchorArn"))?,
            "profileArn" => self.profile_arn = required_text(value, text("profileArn"))?,
            "roleArn" => self.role_arn = required_text(value, text("roleArn"))?,
            "region" => self.region = optional_text(value, text("region"))?,
            "endpoint" => self.endpoint = optional_text(value, text("endpoint"))?,
            "roleSessionName" => self.role_session_name = optional_text(value, text("roleSessionName"))?,
            "fips" => {
                self.fips = match value {
                    Absent => false,
                    Bool(b) => b,
                    _ => return Err(OptionError { name: "fips", expected: "a boolean" }),
                }
            }
            "durationSeconds" => {
                self.duration_seconds = match value {
                    Absent => None,
                    // Whole numbers up to 2^53 are exact in an f64 (and survive the cast to u64
                    // and back; `f64::fract` is not in `core`); the range is checked when the
                    // request is built.
                    Number(n) if (0.0..=MAX_SAFE_INTEGER).contains(&n) && n == (n as u64) as f64 => Some(n as u64),
                    _ => return Err(OptionError { name: "durationSeconds", expected: "a whole number of seconds" }),
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The names [`Self::set`] takes, in the order of the request's JSON.
    pub const NAMES: &'static [&'static str] = &[
        "durationSeconds",
        "endpoint",
        "fips",
        "profileArn",
        "region",
        "roleArn",
        "roleSessionName",
        "trustAnchorArn",
    ];
}

fn required_text(value: OptionValue<'_>, error: OptionError) -> Result<String, OptionError> {
    match value {
        OptionValue::Text(t) => Ok(t.into()),
        _ => Err(error),
    }
}

fn optional_text(value: OptionValue<'_>, error: OptionError) -> Result<Option<String>, OptionError> {
    match value {
        OptionValue::Absent => Ok(None),
        OptionValue::Text(t) => Ok(Some(t.into())),
        _ => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_by_name_checks_types() {
        let mut o = CreateSessionOptions::default();
        for name in CreateSessionOptions::NAMES {
            let value = match *name {
                "fips" => OptionValue::Bool(true),
                "durationSeconds" => OptionValue::Number(900.0),
                _ => OptionValue::Text("x"),
            };
            assert_eq!(o.set(name, value), Ok(true), "{name}");
        }
        assert_eq!(o.duration_seconds, Some(900));
        assert!(o.fips);
        assert_eq!(o.set("privateKey", OptionValue::Other), Ok(false));
        let err = o.set("durationSeconds", OptionValue::Text("900")).unwrap_err();
        assert_eq!(
            alloc::string::ToString::to_string(&err),
            "options.durationSeconds must be a whole number of seconds"
        );
        assert!(o.set("durationSeconds", OptionValue::Number(1.5)).is_err());
        assert!(o.set("durationSeconds", OptionValue::Number(-1.0)).is_err());
        assert!(o.set("fips", OptionValue::Text("yes")).is_err());
        assert!(o.set("roleArn", OptionValue::Absent).is_err());
        assert_eq!(o.set("region", OptionValue::Absent), Ok(true));
        assert_eq!(o.region, None);
    }
}
