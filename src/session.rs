//! The `CreateSession` request: building and signing it, and reading AWS's answer.
//!
//! Sources, cited beside each rule: **\[A\]** Roles Anywhere user guide, "Authentication
//! mechanism"; **\[S\]** "Signing process"; **\[C\]** "CreateSession API"; **\[Go\]** AWS's
//! `rolesanywhere-credential-helper`.
//!
//! ```text
//! CreateSession::new(&leaf, anchor, profile, role)   (options: intermediates, region, …)
//!   .prepare(now)        -> UnsignedRequest: canonical request, string to sign
//!   .sign(&key)          -> SignedRequest {method, url, headers, body}
//!   or .finish(signature) with a signature made elsewhere (WebCrypto, HSM)
//! parse_response(status, x-amzn-errortype, body) -> Session (credentials) or ResponseError
//! ```

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::arn::{self, Arn, ArnField};
use crate::canonical_request::{self, CanonicalRequest, PathOptions};
use crate::certificate::{Certificate, CertificateError, MAX_INTERMEDIATES};
use crate::credentials::Credentials;
use crate::json;
use crate::key::{Algorithm, KeyError, Signer};
use crate::time::Time;

/// Shortest session AWS grants, in seconds (\[C\]: `durationSeconds` 900 to 43200).
pub const MIN_DURATION_SECONDS: u32 = 900;
/// Longest session AWS grants, in seconds (12 hours, \[C\]).
pub const MAX_DURATION_SECONDS: u32 = 43_200;

/// The service name in the credential scope (\[S\], Task 2).
const SERVICE: &str = "rolesanywhere";

/// Why a `CreateSession` request could not be built. Carries inputs, never key material.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// An ARN is malformed or names the wrong kind of resource.
    InvalidArn {
        /// Which ARN.
        field: ArnField,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An ARN's region differs from the region the request is signed for.
    RegionMismatch {
        /// Which ARN.
        field: ArnField,
        /// The region in the ARN.
        arn_region: String,
        /// The signing region (option, endpoint, or trust anchor ARN).
        region: String,
    },
    /// An ARN's partition differs from the endpoint region's partition.
    PartitionMismatch {
        /// Which ARN.
        field: ArnField,
        /// The partition in the ARN.
        arn_partition: String,
        /// The partition of the signing region.
        partition: String,
    },
    /// The region is not a valid AWS region name.
    InvalidRegion {
        /// The region given.
        region: String,
    },
    /// `durationSeconds` is outside 900..=43200.
    InvalidDuration {
        /// The value given.
        seconds: u64,
    },
    /// `roleSessionName` is not 2 to 64 characters of `[A-Za-z0-9_+=,.@-]`.
    InvalidRoleSessionName,
    /// The endpoint is not an `http(s)://host[:port][/path]` URL.
    InvalidEndpoint {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The leaf certificate fails a check.
    Certificate(CertificateError),
    /// The signer cannot sign for this certificate, or failed.
    Key(KeyError),
    /// The signer's algorithm does not fit the certificate's key.
    AlgorithmMismatch {
        /// Algorithm the certificate's key calls for.
        expected: Algorithm,
        /// Algorithm of the signer.
        found: Algorithm,
    },
    /// A signature handed to [`UnsignedRequest::finish`] is empty, too long, or (for ECDSA) not
    /// a DER `Ecdsa-Sig-Value`.
    InvalidSignature,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use RequestError::*;
        match self {
            InvalidArn { field, reason } => write!(f, "invalid {field}: the ARN {reason}"),
            RegionMismatch { field, arn_region, region } => {
                write!(f, "{field} is in region {arn_region}, but the request is for region {region}")
            }
            PartitionMismatch { field, arn_partition, partition } => write!(
                f,
                "{field} is in partition {arn_partition}, but the endpoint region is in partition {partition}"
            ),
            InvalidRegion { region } => write!(f, "invalid region {}", Quoted(region)),
            InvalidDuration { seconds } => write!(
                f,
                "session duration {seconds} s is outside {MIN_DURATION_SECONDS}..={MAX_DURATION_SECONDS} seconds"
            ),
            InvalidRoleSessionName => {
                f.write_str("role session name must be 2 to 64 characters of letters, digits and _+=,.@-")
            }
            InvalidEndpoint { reason } => write!(f, "invalid endpoint: {reason}"),
            Certificate(e) => e.fmt(f),
            Key(e) => e.fmt(f),
            AlgorithmMismatch { expected, found } => {
                write!(f, "the certificate needs {} signatures but the signer makes {}", expected.name(), found.name())
            }
            InvalidSignature => f.write_str("the signature given is not a valid encoded signature"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for RequestError {}

/// Input echoed in a message: in quotes, anything but printable ASCII escaped as `\u{…}`. (Not
/// `{:?}`: the wasm build compiles Debug formatting out, and `str::escape_debug` pulls in
/// Unicode tables.)
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' | '\\' => {
                    f.write_char('\\')?;
                    f.write_char(c)?;
                }
                ' '..='~' => f.write_char(c)?,
                c => write!(f, "\\u{{{:x}}}", u32::from(c))?,
            }
        }
        f.write_char('"')
    }
}

impl From<CertificateError> for RequestError {
    fn from(e: CertificateError) -> Self {
        RequestError::Certificate(e)
    }
}

impl From<KeyError> for RequestError {
    fn from(e: KeyError) -> Self {
        RequestError::Key(e)
    }
}

/// A `CreateSession` request about to be built: the leaf certificate, the three ARNs, and
/// options. Nothing is checked until [`CreateSession::prepare`].
#[derive(Clone, Debug)]
pub struct CreateSession<'a> {
    certificate: &'a Certificate,
    intermediates: &'a [Certificate],
    trust_anchor_arn: &'a str,
    profile_arn: &'a str,
    role_arn: &'a str,
    region: Option<&'a str>,
    endpoint: Option<&'a str>,
    fips: bool,
    duration_seconds: Option<u64>,
    role_session_name: Option<&'a str>,
}

impl<'a> CreateSession<'a> {
    /// Starts a request signed with `certificate`'s key for the given trust anchor, profile and
    /// role ARNs.
    pub fn new(
        certificate: &'a Certificate,
        trust_anchor_arn: &'a str,
        profile_arn: &'a str,
        role_arn: &'a str,
    ) -> Self {
        CreateSession {
            certificate,
            intermediates: &[],
            trust_anchor_arn,
            profile_arn,
            role_arn,
            region: None,
            endpoint: None,
            fips: false,
            duration_seconds: None,
            role_session_name: None,
        }
    }

    /// Intermediate CA certificates sent in `X-Amz-X509-Chain`, issuer of the leaf first
    /// (at most [`MAX_INTERMEDIATES`]).
    pub fn intermediates(mut self, intermediates: &'a [Certificate]) -> Self {
        self.intermediates = intermediates;
        self
    }

    /// The region to sign for; by default (or `None`) the trust anchor ARN's region.
    pub fn region(mut self, region: impl Into<Option<&'a str>>) -> Self {
        self.region = region.into();
        self
    }

    /// Sends to this base URL (e.g. a local stand-in) instead of the region's endpoint; the
    /// request goes to its path plus `/sessions`. `None` keeps the region's endpoint.
    pub fn endpoint(mut self, endpoint: impl Into<Option<&'a str>>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// Uses the FIPS endpoint `rolesanywhere-fips.{region}…` when no endpoint is given.
    pub fn fips(mut self, fips: bool) -> Self {
        self.fips = fips;
        self
    }

    /// Asks for a session of this many seconds (900 to 43200; AWS caps it at the profile's);
    /// `None` leaves it to the profile.
    pub fn duration_seconds(mut self, seconds: impl Into<Option<u64>>) -> Self {
        self.duration_seconds = seconds.into();
        self
    }

    /// Names the role session (`roleSessionName`; the profile must accept custom names);
    /// `None` leaves the name to AWS.
    pub fn role_session_name(mut self, name: impl Into<Option<&'a str>>) -> Self {
        self.role_session_name = name.into();
        self
    }

    /// Checks every input and builds the request up to the string to sign, for time `now`.
    pub fn prepare(&self, now: Time) -> Result<UnsignedRequest<'a>, RequestError> {
        // The leaf: end-entity rules at the request time ([A], [T]); its key decides the algorithm ([S]).
        self.certificate.check_end_entity(now)?;
        let algorithm = self.certificate.key_type()?.algorithm();
        // "X-Amz-X509-Chain … up to 5 intermediate certificates" ([A]).
        if self.intermediates.len() > MAX_INTERMEDIATES {
            return Err(CertificateError::TooManyIntermediates { count: self.intermediates.len() }.into());
        }

        let invalid = |field| move |reason| RequestError::InvalidArn { field, reason };
        let anchor =
            Arn::parse(ArnField::TrustAnchor, self.trust_anchor_arn).map_err(invalid(ArnField::TrustAnchor))?;
        let profile = Arn::parse(ArnField::Profile, self.profile_arn).map_err(invalid(ArnField::Profile))?;
        let role = Arn::parse(ArnField::Role, self.role_arn).map_err(invalid(ArnField::Role))?;

        let endpoint = match self.endpoint {
            Some(url) => Some(Endpoint::parse(url)?),
            None => None,
        };
        // Region: the option, else the region an AWS endpoint host names, else the trust anchor's.
        let region = self.region.or_else(|| endpoint.as_ref().and_then(|e| e.aws_region)).unwrap_or(anchor.region);
        if !arn::is_region(region) {
            return Err(RequestError::InvalidRegion { region: region.into() });
        }
        if let Some(host_region) = endpoint.as_ref().and_then(|e| e.aws_region) {
            if host_region != region {
                return Err(RequestError::InvalidEndpoint { reason: "the endpoint host names another region" });
            }
        }
        let (partition, _) = arn::partition_of(region);
        for (field, arn) in [(ArnField::TrustAnchor, &anchor), (ArnField::Profile, &profile), (ArnField::Role, &role)] {
            if arn.partition != partition {
                return Err(RequestError::PartitionMismatch {
                    field,
                    arn_partition: arn.partition.into(),
                    partition: partition.into(),
                });
            }
            if field != ArnField::Role && arn.region != region {
                return Err(RequestError::RegionMismatch {
                    field,
                    arn_region: arn.region.into(),
                    region: region.into(),
                });
            }
        }

        if let Some(seconds) = self.duration_seconds {
            if !(u64::from(MIN_DURATION_SECONDS)..=u64::from(MAX_DURATION_SECONDS)).contains(&seconds) {
                return Err(RequestError::InvalidDuration { seconds });
            }
        }
        if let Some(name) = self.role_session_name {
            // [C] roleSessionName: 2-64 characters, pattern [\w+=,.@-]*.
            let ok = (2..=64).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
            if !ok {
                return Err(RequestError::InvalidRoleSessionName);
            }
        }

        let default_endpoint;
        let endpoint = match endpoint {
            Some(e) => e,
            None => {
                default_endpoint = arn::default_endpoint(region, self.fips);
                Endpoint::parse(&default_endpoint)?
            }
        };
        let path = alloc::format!("{}/sessions", endpoint.path.trim_end_matches('/'));
        // HTTP clients leave the scheme's default port out of `Host`; sign what they will send.
        let default_port = if endpoint.scheme == "https" { ":443" } else { ":80" };
        let host = endpoint.host.strip_suffix(default_port).unwrap_or(endpoint.host).to_ascii_lowercase();
        let url = alloc::format!("{}://{host}{path}", endpoint.scheme);

        // Body: JSON with the three ARNs and the options ([C] request syntax). [Go] sends the
        // ARNs as query parameters instead; [C] accepts either.
        let mut body = String::from("{");
        if let Some(seconds) = self.duration_seconds {
            body.push_str(&alloc::format!("\"durationSeconds\":{seconds},"));
        }
        push_json_field(&mut body, "profileArn", self.profile_arn);
        push_json_field(&mut body, "roleArn", self.role_arn);
        if let Some(name) = self.role_session_name {
            push_json_field(&mut body, "roleSessionName", name);
        }
        push_json_field(&mut body, "trustAnchorArn", self.trust_anchor_arn);
        body.pop();
        body.push('}');

        let amz_date = crate::sigv4::amz_date(now);
        let leaf = String::from(self.certificate.der_base64());
        // X-Amz-X509-Chain: "comma-separated, base64-encoded DER" intermediates ([A]).
        let chain = (!self.intermediates.is_empty())
            .then(|| self.intermediates.iter().map(Certificate::der_base64).collect::<Vec<_>>().join(","));

        // Every header is signed ([S] Task 1: "content-type;host;x-amz-date;x-amz-x509[;x-amz-x509-chain]").
        let mut headers: Vec<(&'static str, String)> = alloc::vec![
            ("Content-Type", "application/json".into()),
            ("Host", host),
            ("X-Amz-Date", amz_date.clone()),
            ("X-Amz-X509", leaf),
        ];
        if let Some(chain) = chain {
            headers.push(("X-Amz-X509-Chain", chain));
        }
        let signed: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let canonical = CanonicalRequest::new(
            "POST",
            &path,
            "",
            &signed,
            &canonical_request::payload_hash(body.as_bytes()),
            PathOptions::DEFAULT,
        );
        // Credential scope "yyyymmdd/region/rolesanywhere/aws4_request" ([S] Task 2).
        let scope = alloc::format!("{}/{region}/{SERVICE}/aws4_request", &amz_date[..8]);
        let string_to_sign = canonical_request::string_to_sign(algorithm.name(), &amz_date, &scope, &canonical);

        Ok(UnsignedRequest {
            certificate: Cow::Borrowed(self.certificate),
            algorithm,
            url,
            headers,
            body,
            canonical,
            scope,
            string_to_sign,
        })
    }
}

/// Appends `"name":"value",` with JSON string escaping.
fn push_json_field(out: &mut String, name: &str, value: &str) {
    out.push('"');
    out.push_str(name);
    out.push_str("\":\"");
    // Most values (ARNs, session names) need no escaping: copied at once.
    if !value.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(value);
        out.push_str("\",");
        return;
    }
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&alloc::format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push_str("\",");
}

/// A parsed endpoint URL.
struct Endpoint<'u> {
    scheme: &'u str,
    host: &'u str,
    path: &'u str,
    /// The region named by an AWS host such as `rolesanywhere.us-east-1.amazonaws.com`.
    aws_region: Option<&'u str>,
}

impl<'u> Endpoint<'u> {
    fn parse(url: &'u str) -> Result<Self, RequestError> {
        let bad = |reason| RequestError::InvalidEndpoint { reason };
        let (scheme, rest) = url.split_once("://").ok_or(bad("expected http://HOST[:PORT] or https://HOST[:PORT]"))?;
        if scheme != "https" && scheme != "http" {
            return Err(bad("the scheme must be http or https"));
        }
        if rest.contains(['?', '#']) {
            return Err(bad("query strings and fragments are not allowed"));
        }
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if host.contains('@') {
            return Err(bad("user info is not allowed in the URL"));
        }
        let path_ok = path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-._~%".contains(&b));
        if !path_ok || path.len() > 1024 {
            return Err(bad("the path holds characters that are not allowed"));
        }
        // host = "[" IPv6 "]" [":" port] / name [":" port]; a name is dot-separated labels of
        // letters, digits, '-' and '_' (RFC 3986 3.2.2, kept to what endpoints use).
        let (name, port) = if let Some(bracketed) = host.strip_prefix('[') {
            let (ip, after) = bracketed.split_once(']').ok_or(bad("unclosed [ in the host"))?;
            if ip.is_empty() || !ip.bytes().all(|b| b.is_ascii_hexdigit() || b":.".contains(&b)) {
                return Err(bad("invalid IPv6 address in the host"));
            }
            match after {
                "" => (ip, None),
                _ => (ip, Some(after.strip_prefix(':').ok_or(bad("unexpected text after ] in the host"))?)),
            }
        } else {
            match host.split_once(':') {
                Some((name, port)) => (name, Some(port)),
                None => (host, None),
            }
        };
        let label_ok = |l: &str| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if !host.starts_with('[') && (name.len() > 253 || !name.split('.').all(label_ok)) {
            return Err(bad("missing or invalid host name"));
        }
        if port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.parse::<u16>().is_err()) {
            return Err(bad("the port is not a number from 0 to 65535"));
        }
        let aws_region = host.split('.').collect::<Vec<_>>();
        let aws_region = match aws_region.as_slice() {
            [service, region, "amazonaws", ..] if service.starts_with("rolesanywhere") => Some(*region),
            _ => None,
        };
        Ok(Endpoint { scheme, host, path, aws_region })
    }
}

/// A request built up to its string to sign, waiting for a signature.
#[derive(Debug)]
pub struct UnsignedRequest<'a> {
    certificate: Cow<'a, Certificate>,
    algorithm: Algorithm,
    url: String,
    headers: Vec<(&'static str, String)>,
    body: String,
    canonical: CanonicalRequest,
    scope: String,
    string_to_sign: String,
}

impl UnsignedRequest<'_> {
    /// Copies the leaf certificate in, so that the request can outlive it (e.g. while a signature
    /// is made asynchronously by a host, as the JS bindings do).
    pub fn into_owned(self) -> UnsignedRequest<'static> {
        UnsignedRequest {
            certificate: Cow::Owned(self.certificate.into_owned()),
            algorithm: self.algorithm,
            url: self.url,
            headers: self.headers,
            body: self.body,
            canonical: self.canonical,
            scope: self.scope,
            string_to_sign: self.string_to_sign,
        }
    }

    /// The leaf certificate the request is signed for.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The algorithm the signature must use.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The SigV4 canonical request (\[S\] Task 1).
    pub fn canonical_request(&self) -> &str {
        self.canonical.as_str()
    }

    /// The signed-headers list, e.g. `content-type;host;x-amz-date;x-amz-x509`.
    pub fn signed_headers(&self) -> &str {
        self.canonical.signed_headers()
    }

    /// The credential scope, `yyyymmdd/region/rolesanywhere/aws4_request` (\[S\] Task 2).
    pub fn credential_scope(&self) -> &str {
        &self.scope
    }

    /// The string to sign (\[S\] Task 2); its bytes are what the private key signs.
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }

    /// Signs the string to sign with `signer` and finishes the request.
    pub fn sign(self, signer: &(impl Signer + ?Sized)) -> Result<SignedRequest, RequestError> {
        if signer.algorithm() != self.algorithm {
            return Err(RequestError::AlgorithmMismatch { expected: self.algorithm, found: signer.algorithm() });
        }
        signer.check_certificate(&self.certificate)?;
        let signature = signer.sign(self.string_to_sign.as_bytes())?;
        self.finish(&signature)
    }

    /// Finishes the request with a signature made elsewhere over [`Self::string_to_sign`]:
    /// DER `Ecdsa-Sig-Value` for ECDSA, the PKCS#1 v1.5 block for RSA.
    pub fn finish(self, signature: &[u8]) -> Result<SignedRequest, RequestError> {
        if signature.is_empty() || signature.len() > 1024 {
            return Err(RequestError::InvalidSignature);
        }
        if self.algorithm == Algorithm::EcdsaSha256 && !is_der_ecdsa_signature(signature) {
            return Err(RequestError::InvalidSignature);
        }
        // "Authorization: {alg} Credential={serial}/{scope}, SignedHeaders=…, Signature=…" with the
        // certificate serial in decimal ([S] Task 4, [A]) and the signature in lower-case hex.
        let authorization = alloc::format!(
            "{} Credential={}/{}, SignedHeaders={}, Signature={}",
            self.algorithm.name(),
            self.certificate.serial_number(),
            self.scope,
            self.canonical.signed_headers(),
            crate::hex::encode(signature)
        );
        let mut headers: Vec<(String, String)> = self.headers.into_iter().map(|(n, v)| (n.to_string(), v)).collect();
        headers.push(("Authorization".into(), authorization));
        Ok(SignedRequest { method: "POST", url: self.url, headers, body: self.body })
    }
}

/// Whether `sig` is `SEQUENCE { INTEGER r, INTEGER s }` in DER with r and s above zero.
fn is_der_ecdsa_signature(sig: &[u8]) -> bool {
    use der::{Decode, Reader, SliceReader};
    let Ok(mut reader) = SliceReader::new(sig) else { return false };
    let parsed = reader.sequence(|s| {
        let r = der::asn1::UintRef::decode(s)?;
        let s2 = der::asn1::UintRef::decode(s)?;
        let nonzero = |i: der::asn1::UintRef<'_>| i.as_bytes().iter().any(|&b| b != 0);
        Ok::<_, der::Error>(nonzero(r) && nonzero(s2))
    });
    matches!(parsed, Ok(true)) && reader.is_finished()
}

/// A signed `CreateSession` request, ready for any HTTP client: the object the CLI's
/// `sign-request` prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedRequest {
    /// Always `POST`.
    pub method: &'static str,
    /// `https://rolesanywhere.{region}.amazonaws.com/sessions` or the endpoint's equivalent.
    pub url: String,
    /// Headers in the order they were signed, then `Authorization`.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: String,
}

/// Largest response body read, in bytes.
pub const MAX_RESPONSE_LEN: usize = 256 * 1024;

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
    /// A stable short code (`AccessDenied`, `Validation`, `NotFound`, `Throttled`, `Server`, `Other`).
    pub fn code(self) -> &'static str {
        match self {
            ServiceErrorKind::AccessDenied => "AccessDenied",
            ServiceErrorKind::Validation => "Validation",
            ServiceErrorKind::NotFound => "NotFound",
            ServiceErrorKind::Throttled => "Throttled",
            ServiceErrorKind::Server => "Server",
            ServiceErrorKind::Other => "Other",
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
    /// Whether retrying later may succeed (throttling and server errors).
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ServiceErrorKind::Throttled | ServiceErrorKind::Server)
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
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::Service(e) => {
                let ty = if e.error_type.is_empty() { "error" } else { &e.error_type };
                write!(f, "{ty} (HTTP {})", e.status)?;
                if !e.message.is_empty() {
                    write!(f, ": {}", e.message)?;
                }
                Ok(())
            }
            ResponseError::Malformed { reason } => write!(f, "unexpected CreateSession response: {reason}"),
            ResponseError::TooLarge => write!(f, "CreateSession response larger than {MAX_RESPONSE_LEN} bytes"),
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
        _ if status == 429 => ServiceErrorKind::Throttled,
        _ if status >= 500 => ServiceErrorKind::Server,
        _ if status == 403 => ServiceErrorKind::AccessDenied,
        _ if status == 404 => ServiceErrorKind::NotFound,
        _ => ServiceErrorKind::Other,
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

#[cfg(test)]
mod tests {
    use alloc::string::String;

    #[test]
    fn json_fields_are_escaped_or_copied() {
        let mut out = String::new();
        super::push_json_field(&mut out, "a", "arn:aws:iam::1:role/x");
        super::push_json_field(&mut out, "b", "q\"b\\c\u{1}é");
        assert_eq!(out, "\"a\":\"arn:aws:iam::1:role/x\",\"b\":\"q\\\"b\\\\c\\u0001é\",");
    }
}
