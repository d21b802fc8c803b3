//! The `CreateSession` request: checking the inputs, building the request up to its string to
//! sign, and finishing it with a signature.
//!
//! Sources, cited beside each rule: **\[A\]** Roles Anywhere user guide, "Authentication
//! mechanism"; **\[S\]** "Signing process"; **\[C\]** "CreateSession API"; **\[Go\]** AWS's
//! `rolesanywhere-credential-helper`.
//!
//! ```text
//! CreateSession::new(&leaf, anchor, profile, role)   or ::from_options(&leaf, &options)
//!   .prepare(now)        -> UnsignedRequest: canonical request, string to sign
//!   .sign(&key)          -> SignedRequest {method, url, headers, body}
//!   or .finish(signature) with a signature made elsewhere (WebCrypto, HSM)
//! ```

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::algorithm::Algorithm;
use crate::arn::{Arn, ArnField, Region};
use crate::certificate::{Certificate, CertificateError, MAX_INTERMEDIATES};
use crate::endpoint::{self, Url};
use crate::error::{push_pieces, ErrorCode, Piece};
use crate::json::ObjectWriter;
use crate::key::{KeyError, Signer};
use crate::options::CreateSessionOptions;
use crate::sigv4::{self, CanonicalRequest, PathOptions};
use crate::time::Time;

/// Shortest session AWS grants, in seconds (\[C\]: `durationSeconds` 900 to 43200).
pub const MIN_DURATION_SECONDS: u32 = 900;
/// Longest session AWS grants, in seconds (12 hours, \[C\]).
pub const MAX_DURATION_SECONDS: u32 = 43_200;

/// The service name in the credential scope (\[S\], Task 2) and the endpoint host.
const SERVICE: &str = "rolesanywhere";

/// The headers of the request in the order sent, by their names as sent and in lower case as
/// the canonical request names them (\[S\] Task 1); the chain header only with intermediates.
const HEADER_NAMES: [(&str, &str); 5] = [
    ("Content-Type", "content-type"),
    ("Host", "host"),
    ("X-Amz-Date", "x-amz-date"),
    ("X-Amz-X509", "x-amz-x509"),
    ("X-Amz-X509-Chain", "x-amz-x509-chain"),
];

/// Longest endpoint path accepted.
const MAX_ENDPOINT_PATH: usize = 1024;

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
    /// A signature handed to [`UnsignedRequest::finish`] is empty, too long, not the length of
    /// the ML-DSA parameter set, or (for ECDSA) not a DER `Ecdsa-Sig-Value`.
    InvalidSignature,
}

impl RequestError {
    /// The stable code: the certificate's or key's own, else [`ErrorCode::InvalidRequest`].
    pub fn code(&self) -> ErrorCode {
        match self {
            RequestError::Certificate(e) => e.code(),
            RequestError::Key(e) => e.code(),
            _ => ErrorCode::InvalidRequest,
        }
    }
}

impl Piece for RequestError {
    fn push_to(&self, out: &mut String) {
        use RequestError::*;
        match self {
            InvalidArn { field, reason } => push_pieces!(out; "invalid ", field, ": the ARN ", reason),
            RegionMismatch { field, arn_region, region } => push_pieces!(
                out;
                field,
                " is in region ",
                arn_region,
                ", but the request is for region ",
                region
            ),
            PartitionMismatch { field, arn_partition, partition } => push_pieces!(
                out;
                field,
                " is in partition ",
                arn_partition,
                ", but the endpoint region is in partition ",
                partition
            ),
            InvalidRegion { region } => push_pieces!(out; "invalid region ", Quoted(region)),
            InvalidDuration { seconds } => push_pieces!(
                out;
                "session duration ",
                seconds,
                " s is outside ",
                MIN_DURATION_SECONDS,
                "..=",
                MAX_DURATION_SECONDS,
                " seconds"
            ),
            InvalidRoleSessionName => {
                out.push_str("role session name must be 2 to 64 characters of letters, digits and _+=,.@-")
            }
            InvalidEndpoint { reason } => push_pieces!(out; "invalid endpoint: ", reason),
            Certificate(e) => e.push_to(out),
            Key(e) => e.push_to(out),
            AlgorithmMismatch { expected, found } => push_pieces!(
                out;
                "the certificate needs ",
                expected.name(),
                " signatures but the signer makes ",
                found.name()
            ),
            InvalidSignature => out.push_str("the signature given is not a valid encoded signature"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for RequestError {}

/// Input echoed in a message: in quotes, anything but printable ASCII escaped as `\u{…}`. (Not
/// `{:?}`: the wasm build compiles Debug formatting out, and `str::escape_debug` pulls in
/// Unicode tables.)
struct Quoted<'a>(&'a str);

impl Piece for Quoted<'_> {
    fn push_to(&self, out: &mut String) {
        out.push('"');
        for c in self.0.chars() {
            match c {
                '"' | '\\' => {
                    out.push('\\');
                    out.push(c);
                }
                ' '..='~' => out.push(c),
                c => {
                    out.push_str("\\u{");
                    crate::digits::hex_into(u32::from(c), out);
                    out.push('}');
                }
            }
        }
        out.push('"');
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

/// Whether `name` is a valid `roleSessionName` (\[C\]: 2 to 64 characters, pattern `[\w+=,.@-]*`).
pub fn is_valid_role_session_name(name: &str) -> bool {
    (2..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

/// Whether `seconds` is a `durationSeconds` AWS takes (\[C\]: 900 to 43200).
pub fn is_valid_duration(seconds: u64) -> bool {
    (u64::from(MIN_DURATION_SECONDS)..=u64::from(MAX_DURATION_SECONDS)).contains(&seconds)
}

/// A `CreateSession` request about to be built: the leaf certificate, its intermediates and the
/// [`CreateSessionOptions`]. Nothing is checked until [`CreateSession::prepare`].
#[derive(Clone, Debug)]
pub struct CreateSession<'a> {
    certificate: &'a Certificate,
    intermediates: &'a [Certificate],
    options: Cow<'a, CreateSessionOptions>,
}

impl<'a> CreateSession<'a> {
    /// Starts a request signed with `certificate`'s key for the given trust anchor, profile and
    /// role ARNs; the other options are set with the methods below.
    pub fn new(certificate: &'a Certificate, trust_anchor_arn: &str, profile_arn: &str, role_arn: &str) -> Self {
        let options = CreateSessionOptions::new(trust_anchor_arn, profile_arn, role_arn);
        CreateSession { certificate, intermediates: &[], options: Cow::Owned(options) }
    }

    /// A request with every option taken from `options`.
    pub fn from_options(certificate: &'a Certificate, options: &'a CreateSessionOptions) -> Self {
        CreateSession { certificate, intermediates: &[], options: Cow::Borrowed(options) }
    }

    /// Intermediate CA certificates sent in `X-Amz-X509-Chain`, issuer of the leaf first
    /// (at most [`MAX_INTERMEDIATES`]).
    pub fn intermediates(mut self, intermediates: &'a [Certificate]) -> Self {
        self.intermediates = intermediates;
        self
    }

    /// The region to sign for; by default (or `None`) the trust anchor ARN's region.
    pub fn region<'s>(mut self, region: impl Into<Option<&'s str>>) -> Self {
        self.options.to_mut().region = region.into().map(Into::into);
        self
    }

    /// Sends to this base URL (e.g. a local stand-in) instead of the region's endpoint; the
    /// request goes to its path plus `/sessions`. `None` keeps the region's endpoint.
    pub fn endpoint<'s>(mut self, endpoint: impl Into<Option<&'s str>>) -> Self {
        self.options.to_mut().endpoint = endpoint.into().map(Into::into);
        self
    }

    /// Uses the FIPS endpoint `rolesanywhere-fips.{region}…` when no endpoint is given.
    pub fn fips(mut self, fips: bool) -> Self {
        self.options.to_mut().fips = fips;
        self
    }

    /// Asks for a session of this many seconds (900 to 43200; AWS caps it at the profile's);
    /// `None` leaves it to the profile.
    pub fn duration_seconds(mut self, seconds: impl Into<Option<u64>>) -> Self {
        self.options.to_mut().duration_seconds = seconds.into();
        self
    }

    /// Names the role session (`roleSessionName`; the profile must accept custom names);
    /// `None` leaves the name to AWS.
    pub fn role_session_name<'s>(mut self, name: impl Into<Option<&'s str>>) -> Self {
        self.options.to_mut().role_session_name = name.into().map(Into::into);
        self
    }

    /// Checks every input and builds the request up to the string to sign, for time `now`.
    pub fn prepare(&self, now: Time) -> Result<UnsignedRequest<'a>, RequestError> {
        let algorithm = check_certificates(self.certificate, self.intermediates, now)?;
        let template = RequestTemplate::new(&self.options)?;
        Ok(template.build(self.certificate, self.intermediates, algorithm, now))
    }
}

/// What a `CreateSession` request takes from its [`CreateSessionOptions`], checked and built
/// once: the URL, `Host`, JSON body and its SHA-256, and the signing region. Everything else
/// (the time, the certificate's checks and headers, the canonical request) is per request, in
/// [`RequestTemplate::prepare`]. A client that signs many requests with the same options keeps
/// one, and skips parsing the ARNs and endpoint and hashing the body each time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestTemplate {
    url: String,
    path: String,
    host: String,
    body: String,
    payload_hash: String,
    /// `/{region}/rolesanywhere/aws4_request`: the credential scope after its date.
    scope_tail: String,
}

impl RequestTemplate {
    /// Checks `options` (ARNs, region, endpoint, duration, session name) and builds what of the
    /// request depends on them alone.
    pub fn new(o: &CreateSessionOptions) -> Result<Self, RequestError> {
        let arns = Arns::parse(o)?;
        let endpoint = o.endpoint.as_deref().map(parse_endpoint).transpose()?;
        let region = signing_region(o.region.as_deref(), endpoint.as_ref(), &arns)?;
        arns.check_region(&region)?;
        if let Some(seconds) = o.duration_seconds.filter(|s| !is_valid_duration(*s)) {
            return Err(RequestError::InvalidDuration { seconds });
        }
        if o.role_session_name.as_deref().is_some_and(|n| !is_valid_role_session_name(n)) {
            return Err(RequestError::InvalidRoleSessionName);
        }
        let default_endpoint;
        let endpoint = match endpoint {
            Some(e) => e,
            None => {
                default_endpoint = region.default_endpoint(SERVICE, o.fips);
                parse_endpoint(&default_endpoint)?
            }
        };
        let url = &endpoint.url;
        let path = [url.path.trim_end_matches('/'), "/sessions"].concat();
        // HTTP clients leave the scheme's default port out of `Host`; sign what they will send.
        let host = url.host.to_ascii_lowercase();
        let full_url = [url.scheme, "://", &host, &path].concat();

        // Body: JSON with the three ARNs and the options ([C] request syntax), members in the
        // order of the API reference. [Go] sends the ARNs as query parameters instead; [C]
        // accepts either.
        let mut body = ObjectWriter::new();
        if let Some(seconds) = o.duration_seconds {
            body.number("durationSeconds", seconds);
        }
        body.string("profileArn", &o.profile_arn);
        body.string("roleArn", &o.role_arn);
        if let Some(name) = &o.role_session_name {
            body.string("roleSessionName", name);
        }
        body.string("trustAnchorArn", &o.trust_anchor_arn);
        let body = body.finish();
        let payload_hash = sigv4::payload_hash(body.as_bytes());
        // Credential scope "yyyymmdd/region/rolesanywhere/aws4_request" ([S] Task 2).
        let scope_tail = ["/", region.name, "/", SERVICE, "/aws4_request"].concat();
        Ok(RequestTemplate { url: full_url, path, host, body, payload_hash, scope_tail })
    }

    /// Checks the leaf certificate (and the number of intermediates) at time `now` and builds
    /// the request up to its string to sign: the same request as [`CreateSession::prepare`]
    /// with these options.
    pub fn prepare<'a>(
        &self,
        certificate: &'a Certificate,
        intermediates: &[Certificate],
        now: Time,
    ) -> Result<UnsignedRequest<'a>, RequestError> {
        let algorithm = check_certificates(certificate, intermediates, now)?;
        Ok(self.build(certificate, intermediates, algorithm, now))
    }

    /// The request up to its string to sign, from a certificate already checked
    /// ([`check_certificates`] gave `algorithm`).
    pub(crate) fn build<'a>(
        &self,
        certificate: &'a Certificate,
        intermediates: &[Certificate],
        algorithm: Algorithm,
        now: Time,
    ) -> UnsignedRequest<'a> {
        let amz_date = sigv4::amz_date(now);
        // X-Amz-X509-Chain: "comma-separated, base64-encoded DER" intermediates ([A]).
        let chain = (!intermediates.is_empty())
            .then(|| intermediates.iter().map(Certificate::der_base64).collect::<Vec<_>>().join(","));

        // Every header is signed ([S] Task 1: "content-type;host;x-amz-date;x-amz-x509[;x-amz-x509-chain]").
        let mut values: Vec<String> = Vec::with_capacity(HEADER_NAMES.len());
        values.extend([
            "application/json".into(),
            self.host.clone(),
            amz_date.clone(),
            certificate.der_base64().into(),
        ]);
        values.extend(chain);
        let signed: Vec<(&str, &str)> =
            HEADER_NAMES.iter().zip(&values).map(|((_, lower), value)| (*lower, value.as_str())).collect();
        let canonical =
            CanonicalRequest::new("POST", &self.path, "", &signed, &self.payload_hash, PathOptions::DEFAULT);
        drop(signed);
        let headers: Vec<(&'static str, String)> = HEADER_NAMES.iter().map(|(name, _)| *name).zip(values).collect();
        let scope = [&amz_date[..8], &self.scope_tail].concat();
        let string_to_sign = sigv4::string_to_sign(algorithm.name(), &amz_date, &scope, &canonical);

        UnsignedRequest {
            certificate: Cow::Borrowed(certificate),
            parts: RequestParts {
                algorithm,
                url: self.url.clone(),
                headers,
                body: self.body.clone(),
                canonical,
                scope,
                string_to_sign,
            },
        }
    }
}

/// The end-entity rules at the request time (\[A\], \[T\]) and the chain length; the leaf's key
/// decides the algorithm (\[S\]).
pub(crate) fn check_certificates(
    leaf: &Certificate,
    intermediates: &[Certificate],
    now: Time,
) -> Result<Algorithm, RequestError> {
    leaf.check_end_entity(now)?;
    let algorithm = leaf.key_type()?.algorithm();
    // "X-Amz-X509-Chain … up to 5 intermediate certificates" ([A]).
    if intermediates.len() > MAX_INTERMEDIATES {
        return Err(CertificateError::TooManyIntermediates { count: intermediates.len() }.into());
    }
    Ok(algorithm)
}

/// The three ARNs of the request, parsed.
struct Arns<'o> {
    anchor: Arn<'o>,
    profile: Arn<'o>,
    role: Arn<'o>,
}

impl<'o> Arns<'o> {
    fn parse(o: &'o CreateSessionOptions) -> Result<Self, RequestError> {
        let parse = |field, text| Arn::parse(field, text).map_err(|reason| RequestError::InvalidArn { field, reason });
        Ok(Arns {
            anchor: parse(ArnField::TrustAnchor, &o.trust_anchor_arn)?,
            profile: parse(ArnField::Profile, &o.profile_arn)?,
            role: parse(ArnField::Role, &o.role_arn)?,
        })
    }

    /// Every ARN in the signing region's partition; the Roles Anywhere ones in the region itself.
    fn check_region(&self, region: &Region<'_>) -> Result<(), RequestError> {
        for (field, arn) in
            [(ArnField::TrustAnchor, &self.anchor), (ArnField::Profile, &self.profile), (ArnField::Role, &self.role)]
        {
            arn.check_in(field, region)?;
        }
        Ok(())
    }
}

/// The region to sign for: the option, else the region an AWS endpoint host names, else the
/// trust anchor's. An AWS host must name the region signed for.
fn signing_region<'r>(
    option: Option<&'r str>,
    endpoint: Option<&Endpoint<'r>>,
    arns: &Arns<'r>,
) -> Result<Region<'r>, RequestError> {
    let host_region = endpoint.and_then(|e| e.aws_region);
    // Host names are case-insensitive (RFC 4343): a host naming the trust anchor's region in
    // another case signs for that region as the ARN spells it.
    let name = match (option, host_region) {
        (Some(option), _) => option,
        (None, Some(host)) if host.eq_ignore_ascii_case(arns.anchor.region) => arns.anchor.region,
        (None, host) => host.unwrap_or(arns.anchor.region),
    };
    let region = Region::parse(name).ok_or_else(|| RequestError::InvalidRegion { region: name.into() })?;
    if host_region.is_some_and(|h| !h.eq_ignore_ascii_case(name)) {
        return Err(RequestError::InvalidEndpoint { reason: "the endpoint host names another region" });
    }
    Ok(region)
}

/// An endpoint: an `http(s)://host[:port][/path]` URL, without query or fragment.
struct Endpoint<'u> {
    url: Url<'u>,
    /// The region named by an AWS host such as `rolesanywhere.us-east-1.amazonaws.com`.
    aws_region: Option<&'u str>,
}

fn parse_endpoint(text: &str) -> Result<Endpoint<'_>, RequestError> {
    let bad = |reason| RequestError::InvalidEndpoint { reason };
    let url = Url::parse(text).map_err(bad)?;
    if url.has_query || url.has_fragment {
        return Err(bad("query strings and fragments are not allowed"));
    }
    let path_ok = url.path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-._~%".contains(&b));
    if !path_ok || url.path.len() > MAX_ENDPOINT_PATH {
        return Err(bad("the path holds characters that are not allowed"));
    }
    Ok(Endpoint { aws_region: endpoint::aws_region(url.hostname, SERVICE), url })
}

/// A request built up to its string to sign, waiting for a signature.
#[derive(Debug)]
pub struct UnsignedRequest<'a> {
    certificate: Cow<'a, Certificate>,
    parts: RequestParts,
}

impl UnsignedRequest<'_> {
    /// Copies the leaf certificate in, so that the request can outlive it (e.g. while a signature
    /// is made asynchronously by a host).
    pub fn into_owned(self) -> UnsignedRequest<'static> {
        UnsignedRequest { certificate: Cow::Owned(self.certificate.into_owned()), parts: self.parts }
    }

    /// The request without its certificate, for a caller that keeps the certificate itself (the
    /// JS bindings, while the host signs) and saves [`Self::into_owned`]'s copy of it.
    #[cfg(all(feature = "wasm", target_arch = "wasm32"))]
    pub(crate) fn into_parts(self) -> RequestParts {
        self.parts
    }

    /// The leaf certificate the request is signed for.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The algorithm the signature must use.
    pub fn algorithm(&self) -> Algorithm {
        self.parts.algorithm()
    }

    /// The SigV4 canonical request (\[S\] Task 1).
    pub fn canonical_request(&self) -> &str {
        self.parts.canonical_request()
    }

    /// The signed-headers list, e.g. `content-type;host;x-amz-date;x-amz-x509`.
    pub fn signed_headers(&self) -> &str {
        self.parts.signed_headers()
    }

    /// The credential scope, `yyyymmdd/region/rolesanywhere/aws4_request` (\[S\] Task 2).
    pub fn credential_scope(&self) -> &str {
        self.parts.credential_scope()
    }

    /// The string to sign (\[S\] Task 2); its bytes are what the private key signs.
    pub fn string_to_sign(&self) -> &str {
        self.parts.string_to_sign()
    }

    /// Signs the string to sign with `signer` and finishes the request.
    pub fn sign(self, signer: &(impl Signer + ?Sized)) -> Result<SignedRequest, RequestError> {
        if signer.algorithm() != self.parts.algorithm {
            return Err(RequestError::AlgorithmMismatch { expected: self.parts.algorithm, found: signer.algorithm() });
        }
        signer.check_certificate(&self.certificate)?;
        let signature = signer.sign(self.parts.string_to_sign.as_bytes())?;
        self.finish(&signature)
    }

    /// Finishes the request with a signature made elsewhere over [`Self::string_to_sign`]:
    /// DER `Ecdsa-Sig-Value` for ECDSA, the PKCS#1 v1.5 block for RSA (at most 1024 bytes),
    /// the ML-DSA signature for ML-DSA (exactly [`crate::KeyType::signature_len`] bytes of the
    /// certificate's parameter set).
    pub fn finish(self, signature: &[u8]) -> Result<SignedRequest, RequestError> {
        self.parts.finish(&self.certificate, signature)
    }
}

/// An [`UnsignedRequest`] without its certificate: what the JS bindings keep while the host
/// signs, beside the certificate they hold.
#[derive(Debug)]
pub(crate) struct RequestParts {
    algorithm: Algorithm,
    url: String,
    headers: Vec<(&'static str, String)>,
    body: String,
    canonical: CanonicalRequest,
    scope: String,
    string_to_sign: String,
}

impl RequestParts {
    /// See [`UnsignedRequest::algorithm`].
    pub(crate) fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// See [`UnsignedRequest::canonical_request`].
    pub(crate) fn canonical_request(&self) -> &str {
        self.canonical.as_str()
    }

    /// See [`UnsignedRequest::signed_headers`].
    pub(crate) fn signed_headers(&self) -> &str {
        self.canonical.signed_headers()
    }

    /// See [`UnsignedRequest::credential_scope`].
    pub(crate) fn credential_scope(&self) -> &str {
        &self.scope
    }

    /// See [`UnsignedRequest::string_to_sign`].
    pub(crate) fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }

    /// [`UnsignedRequest::finish`] for the request of `certificate`.
    pub(crate) fn finish(self, certificate: &Certificate, signature: &[u8]) -> Result<SignedRequest, RequestError> {
        let length_ok = match certificate.key_type().ok().and_then(|k| k.signature_len()) {
            Some(len) => signature.len() == len,
            None => !signature.is_empty() && signature.len() <= 1024,
        };
        if !length_ok {
            return Err(RequestError::InvalidSignature);
        }
        if self.algorithm == Algorithm::EcdsaSha256 && !is_der_ecdsa_signature(signature) {
            return Err(RequestError::InvalidSignature);
        }
        // "Authorization: {alg} Credential={serial}/{scope}, SignedHeaders=…, Signature=…" with the
        // certificate serial in decimal ([S] Task 4, [A]) and the signature in lower-case hex.
        let authorization = [
            self.algorithm.name(),
            " Credential=",
            &certificate.serial_number(),
            "/",
            &self.scope,
            ", SignedHeaders=",
            self.canonical.signed_headers(),
            ", Signature=",
            &crate::digits::encode(signature),
        ]
        .concat();
        let mut headers: Vec<(String, String)> = Vec::with_capacity(self.headers.len() + 1);
        headers.extend(self.headers.into_iter().map(|(n, v)| (n.to_string(), v)));
        headers.push(("Authorization".into(), authorization));
        Ok(SignedRequest { method: "POST", url: self.url, headers, body: self.body })
    }
}

/// Whether `sig` is `SEQUENCE { INTEGER r, INTEGER s }` in DER with r and s above zero.
fn is_der_ecdsa_signature(sig: &[u8]) -> bool {
    let nonzero = |i: &[u8]| i.iter().any(|&b| b != 0);
    let parsed = crate::asn1::nested(sig, |reader| reader.sequence(|s| Ok((s.unsigned()?, s.unsigned()?))));
    matches!(parsed, Ok((r, s)) if nonzero(r) && nonzero(s))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_and_durations() {
        assert!(is_valid_role_session_name("ab"));
        assert!(is_valid_role_session_name("a+=,.@-_9"));
        assert!(!is_valid_role_session_name("a"));
        assert!(!is_valid_role_session_name("a b"));
        assert!(!is_valid_role_session_name(&"x".repeat(65)));
        assert!(is_valid_duration(900) && is_valid_duration(43_200));
        assert!(!is_valid_duration(899) && !is_valid_duration(43_201));
    }

    #[test]
    fn endpoints_take_no_query_and_name_their_region() {
        assert!(parse_endpoint("https://h/?x").is_err());
        assert!(parse_endpoint("https://h/#x").is_err());
        assert!(parse_endpoint("https://h/a b").is_err());
        let e = parse_endpoint("https://rolesanywhere.eu-west-1.amazonaws.com").unwrap();
        assert_eq!(e.aws_region, Some("eu-west-1"));
        assert_eq!(parse_endpoint("http://127.0.0.1:8080/base").unwrap().url.path, "/base");
    }
}
