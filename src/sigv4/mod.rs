//! SigV4: signing any AWS request with an access key, as the temporary credentials from
//! `CreateSession` are used.
//!
//! This follows the AWS documentation page *Create a signed AWS API request* (steps 1–6) and
//! *Elements of an AWS API request signature*: the canonical request and string to sign come
//! from [`CanonicalRequest`] and [`string_to_sign`]; this module adds the signing key (step 5, *Derive a
//! signing key*), the signature (step 6) and where it goes: the `Authorization` header, or
//! the `X-Amz-*` query parameters of a presigned URL (*Authentication methods*, query
//! parameters). The AWS SigV4 test suite (`tests/vectors/aws-sigv4-suite`) checks every case.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::credentials::Credentials;
use crate::digits as hex;
use crate::endpoint::Url;
use crate::error::{ErrorCode, Piece};
use crate::time::Time;

pub(crate) mod canonical_request;

pub use canonical_request::{
    payload_hash, percent_decode, signed_headers, string_to_sign, uri_encode_into, CanonicalRequest, PathOptions,
};

/// The algorithm name of HMAC-SHA256 SigV4, first in the `Authorization` header and the string
/// to sign.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The longest a presigned URL may stay valid: seven days (SigV4 *Authentication methods*,
/// `X-Amz-Expires`).
pub const MAX_EXPIRES_SECONDS: u32 = 604_800;

/// The payload hash of S3's unsigned payloads (S3 *Signature calculations for the
/// Authorization header: Transferring payload in a single chunk*, "UNSIGNED-PAYLOAD").
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Headers that are never signed, because proxies and HTTP stacks add, drop or rewrite them
/// (the list of `@smithy/signature-v4`, which the AWS SDK for JavaScript signs with); headers
/// starting with `proxy-` or `sec-` are not signed either, for the same reason.
const UNSIGNABLE_HEADERS: [&str; 15] = [
    "authorization",
    "cache-control",
    "connection",
    "expect",
    "from",
    "keep-alive",
    "max-forwards",
    "pragma",
    "referer",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

/// Headers the signer writes itself: any copy the caller passes is replaced.
const SIGNER_HEADERS: [&str; 3] = ["x-amz-date", "x-amz-security-token", "x-amz-content-sha256"];

/// What goes wrong when a request cannot be signed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigV4Error {
    /// The URL is neither absolute (`https://host/path?query`) nor a path (`/path?query`).
    InvalidUrl,
    /// The URL is a bare path and no `Host` header says where it goes.
    MissingHost,
    /// The method is empty or holds characters an HTTP method cannot.
    InvalidMethod,
    /// A header name is not an HTTP token, or a value holds CR, LF or NUL (header injection).
    InvalidHeader,
    /// Region or service is empty or holds characters other than `a-z 0-9 -`.
    InvalidScope,
    /// `expires_in` is 0 or more than [`MAX_EXPIRES_SECONDS`].
    InvalidExpires,
    /// The URL already carries a SigV4 query signature (`X-Amz-Signature`).
    AlreadyPresigned,
    /// No service and region were given, and the URL's host does not name them ([`infer_scope`]).
    UnknownScope,
}

impl Piece for SigV4Error {
    fn push_to(&self, out: &mut String) {
        out.push_str(match self {
            SigV4Error::InvalidUrl => "the URL must be absolute (https://host/path) or a path starting with '/'",
            SigV4Error::MissingHost => "the URL is a bare path and no Host header is given",
            SigV4Error::InvalidMethod => "the HTTP method is empty or not a valid token",
            SigV4Error::InvalidHeader => "a header name is not a valid token, or a value contains CR, LF or NUL",
            SigV4Error::InvalidScope => "region and service must be non-empty and use only a-z, 0-9 and '-'",
            SigV4Error::InvalidExpires => "expires_in must be between 1 and 604800 seconds",
            SigV4Error::AlreadyPresigned => "the URL already carries X-Amz-Signature",
            SigV4Error::UnknownScope => {
                "the URL's host does not name an AWS service and region: give the service and region"
            }
        })
    }
}

impl SigV4Error {
    /// The stable code: [`ErrorCode::InvalidOptions`] for a missing service and region,
    /// [`ErrorCode::InvalidRequest`] for the rest.
    pub fn code(&self) -> ErrorCode {
        match self {
            SigV4Error::UnknownScope => ErrorCode::InvalidOptions,
            _ => ErrorCode::InvalidRequest,
        }
    }
}

/// The signing service and region named by `url`'s host, for requests where the caller gives
/// neither (as aws4fetch and the SDKs infer them): `sts.us-west-2.amazonaws.com` → (`sts`,
/// `us-west-2`), `bucket.s3.amazonaws.com` → (`s3`, `us-east-1`), the dual-stack
/// `SERVICE.REGION.api.aws`, API Gateway, Lambda function URLs, global endpoints, Cloudflare R2.
/// A host that names neither (a custom domain, a local emulator) is [`SigV4Error::UnknownScope`];
/// a URL that is not absolute is [`SigV4Error::InvalidUrl`].
pub fn infer_scope(url: &str) -> Result<(String, String), SigV4Error> {
    let url = Url::parse(url).map_err(|_| SigV4Error::InvalidUrl)?;
    crate::endpoint::infer_scope(url.hostname).ok_or(SigV4Error::UnknownScope)
}

#[cfg(feature = "std")]
impl std::error::Error for SigV4Error {}

/// The key that signs: an access key pair and, for temporary credentials, the session token.
///
/// `Debug` shows the access key ID only.
#[derive(Clone, Copy)]
pub struct Key<'a> {
    /// The access key ID (`AKIA…` or `ASIA…`), which names the key in the credential scope.
    pub access_key_id: &'a str,
    /// The secret access key, the root of the signing key.
    pub secret_access_key: &'a str,
    /// The session token of temporary credentials, sent as `X-Amz-Security-Token`.
    pub session_token: Option<&'a str>,
}

impl<'a> From<&'a Credentials> for Key<'a> {
    /// The temporary credentials `CreateSession` returned; an empty token counts as none.
    fn from(c: &'a Credentials) -> Self {
        let token = c.session_token();
        Key {
            access_key_id: c.access_key_id(),
            secret_access_key: c.secret_access_key(),
            session_token: (!token.is_empty()).then_some(token),
        }
    }
}

impl fmt::Debug for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.map(|_| "<redacted>"))
            .finish()
    }
}

/// The SigV4 signing key of one day, region and service (step 5, *Derive a signing key*):
/// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
///
/// It is valid for every request of that scope, so callers that sign often can keep it. It is
/// kept as HMAC-SHA256 keyed with it (RFC 2104: the SHA-256 states after the key's inner and
/// outer pad blocks), so that each signature skips those two compressions. Zeroized on drop
/// (the two states, through sha2's `zeroize` feature; the key itself is zeroized once they are
/// made); `Debug` hides it.
#[derive(Clone)]
pub struct SigningKey {
    mac: Hmac<Sha256>,
}

impl SigningKey {
    /// Derives the key for `date_stamp` (`YYYYMMDD`), `region` and `service`.
    #[must_use]
    pub fn derive(secret_access_key: &str, date_stamp: &str, region: &str, service: &str) -> Self {
        let mut secret = Zeroizing::new(Vec::with_capacity(4 + secret_access_key.len()));
        secret.extend_from_slice(b"AWS4");
        secret.extend_from_slice(secret_access_key.as_bytes());
        let k_date = Zeroizing::new(hmac_sha256(&secret, date_stamp.as_bytes()));
        let k_region = Zeroizing::new(hmac_sha256(&*k_date, region.as_bytes()));
        let k_service = Zeroizing::new(hmac_sha256(&*k_region, service.as_bytes()));
        let key = Zeroizing::new(hmac_sha256(&*k_service, b"aws4_request"));
        SigningKey { mac: keyed(&*key) }
    }

    /// The signature of a string to sign, lower-case hex (step 6, *Calculate the signature*).
    #[must_use]
    pub fn sign(&self, string_to_sign: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(string_to_sign.as_bytes());
        hex::encode(&mac.finalize().into_bytes())
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// HMAC-SHA256 keyed with `key`, ready for its message.
fn keyed(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so this cannot fail.
    let Ok(mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else { unreachable!("HMAC accepts any key") };
    mac
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = keyed(key);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The body of the request, or how it is accounted for in the signature.
#[derive(Clone, Copy, Debug)]
pub enum Payload<'a> {
    /// The body itself; its SHA-256 is signed.
    Bytes(&'a [u8]),
    /// `UNSIGNED-PAYLOAD`: S3 requests (and presigned S3 URLs) whose body is not hashed.
    Unsigned,
    /// The lower-case hex SHA-256 of the body, computed elsewhere (e.g. while streaming).
    Hash(&'a str),
}

impl Payload<'_> {
    fn hash(&self) -> String {
        match self {
            Payload::Bytes(body) => canonical_request::payload_hash(body),
            Payload::Unsigned => UNSIGNED_PAYLOAD.to_string(),
            Payload::Hash(hash) => (*hash).to_string(),
        }
    }
}

/// The request to sign.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// HTTP method, e.g. `"GET"`.
    pub method: &'a str,
    /// `https://host[:port]/path?query`, or `/path?query` with a `Host` header; a `#fragment`
    /// is ignored. The path and query are signed as they are written here.
    pub url: &'a str,
    /// The headers that will be sent. All are signed except hop-by-hop and agent headers
    /// (`user-agent`, `connection`, …) that intermediaries rewrite; `x-amz-date`,
    /// `x-amz-security-token`, `x-amz-content-sha256` and `authorization` are replaced.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub payload: Payload<'a>,
}

/// Where and when a request is signed, and the service's canonicalisation rules.
#[derive(Clone, Copy, Debug)]
pub struct Settings<'a> {
    /// Signing name of the service, e.g. `"sts"`, `"s3"`, `"execute-api"`.
    pub service: &'a str,
    /// Region, e.g. `"us-east-1"`.
    pub region: &'a str,
    /// The signing time; its date is the scope's date.
    pub time: Time,
    /// Path canonicalisation: [`PathOptions::S3`] for S3, [`PathOptions::DEFAULT`] for the rest.
    pub path: PathOptions,
    /// Send (and sign) `x-amz-content-sha256` with the payload hash, as S3 requires.
    pub content_sha256_header: bool,
    /// Sign `X-Amz-Security-Token`. A few services want it added after signing instead
    /// (the suite's `post-sts-header-after`); then it is sent but not signed.
    pub sign_session_token: bool,
    /// Presigned URLs sign `UNSIGNED-PAYLOAD` instead of the payload's hash, whatever
    /// [`Request::payload`] holds: S3 checks presigned URLs that way (S3 API reference,
    /// *Authenticating Requests: Using Query Parameters*: "you don't know the payload content
    /// because the URL is used to upload an arbitrary payload. Instead, you use a constant string
    /// UNSIGNED-PAYLOAD"), as the SDKs' S3 presigners do. Set for `"s3"` by [`Settings::new`].
    pub presign_unsigned_payload: bool,
}

impl<'a> Settings<'a> {
    /// The settings the AWS SDKs use for `service`: for `"s3"` S3's path rules, the
    /// `x-amz-content-sha256` header and `UNSIGNED-PAYLOAD` in presigned URLs, the default rules
    /// otherwise; the session token is signed.
    #[must_use]
    pub fn new(service: &'a str, region: &'a str, time: Time) -> Self {
        let s3 = service == "s3";
        Settings {
            service,
            region,
            time,
            path: if s3 { PathOptions::S3 } else { PathOptions::DEFAULT },
            content_sha256_header: s3,
            sign_session_token: true,
            presign_unsigned_payload: s3,
        }
    }

    /// The credential scope, `YYYYMMDD/region/service/aws4_request`, its date taken from the
    /// request's `amz_date` (`YYYYMMDDTHHMMSSZ`, formatted once per request).
    fn scope(&self, amz_date: &str) -> Result<String, SigV4Error> {
        let valid =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid(self.region) || !valid(self.service) {
            return Err(SigV4Error::InvalidScope);
        }
        let mut scope = String::with_capacity(8 + self.region.len() + self.service.len() + 15);
        scope.push_str(&amz_date[..8]);
        for part in [self.region, self.service, "aws4_request"] {
            scope.push('/');
            scope.push_str(part);
        }
        Ok(scope)
    }
}

/// A request signed with the `Authorization` header.
#[derive(Clone, Debug)]
pub struct SignedHeaders {
    /// The headers to add to the request, lower-case names: `x-amz-date`, then
    /// `x-amz-content-sha256` and `x-amz-security-token` when they apply, and `authorization`.
    /// (`host` is signed but not listed: HTTP clients send it from the URL.)
    pub headers: Vec<(String, String)>,
    /// The signature, lower-case hex.
    pub signature: String,
    /// The canonical request that was signed, to compare with a service's mismatch message.
    pub canonical_request: CanonicalRequest,
    /// The string to sign.
    pub string_to_sign: String,
}

/// A presigned URL (signature in the query string).
#[derive(Clone, Debug)]
pub struct Presigned {
    /// The URL with the `X-Amz-*` parameters appended after the original query.
    pub url: String,
    /// The headers that were signed and must be sent with the URL (`host` aside, which HTTP
    /// clients send from the URL); `x-amz-*` headers are not among them, they moved to the query.
    pub headers: Vec<(String, String)>,
    /// The signature, lower-case hex.
    pub signature: String,
    /// The canonical request that was signed.
    pub canonical_request: CanonicalRequest,
    /// The string to sign.
    pub string_to_sign: String,
}

/// Signs `request` with `key`, returning the headers to add (*Authentication methods*,
/// `Authorization` header).
pub fn sign(request: &Request<'_>, key: &Key<'_>, settings: &Settings<'_>) -> Result<SignedHeaders, SigV4Error> {
    sign_with(request, key, settings, &mut |k, s, scope, text| derive(k, s, scope).sign(text))
}

/// Signs a string to sign (the last argument) with the signing key of a key, settings and
/// credential scope: derived anew ([`sign`], [`presign`]) or kept ([`KeyCache`]).
type SignatureOf<'f> = dyn FnMut(&Key<'_>, &Settings<'_>, &str, &str) -> String + 'f;

fn sign_with(
    request: &Request<'_>,
    key: &Key<'_>,
    settings: &Settings<'_>,
    signature_of: &mut SignatureOf<'_>,
) -> Result<SignedHeaders, SigV4Error> {
    let target = Target::parse(request.url)?;
    let amz_date = amz_date(settings.time);
    let scope = settings.scope(&amz_date)?;
    let payload_hash = request.payload.hash();
    let mut headers = signable_headers(request, &target)?;

    let mut added: Vec<(String, String)> = Vec::with_capacity(4);
    added.push(("x-amz-date".into(), amz_date.clone()));
    if settings.content_sha256_header {
        added.push(("x-amz-content-sha256".into(), payload_hash.clone()));
    }
    if let Some(token) = key.session_token {
        check_value(token)?;
        added.push(("x-amz-security-token".into(), token.into()));
    }
    let signed_count = added.len() - usize::from(key.session_token.is_some() && !settings.sign_session_token);
    headers.extend(added[..signed_count].iter().map(|(n, v)| (n.as_str(), v.as_str())));

    let canonical_request =
        CanonicalRequest::new(request.method, target.path, target.query, &headers, &payload_hash, settings.path);
    let string_to_sign = canonical_request::string_to_sign(ALGORITHM, &amz_date, &scope, &canonical_request);
    let signature = signature_of(key, settings, &scope, &string_to_sign);

    // *Elements of an AWS API request signature*: "AWS4-HMAC-SHA256 Credential=AKID/scope,
    // SignedHeaders=a;b, Signature=hex", with ", " between the parts.
    let mut authorization = String::with_capacity(ALGORITHM.len() + 200);
    for part in [
        ALGORITHM,
        " Credential=",
        key.access_key_id,
        "/",
        &scope,
        ", SignedHeaders=",
        canonical_request.signed_headers(),
        ", Signature=",
        &signature,
    ] {
        authorization.push_str(part);
    }
    added.push(("authorization".into(), authorization));

    Ok(SignedHeaders { headers: added, signature, canonical_request, string_to_sign })
}

/// Presigns `request`: the signature and credential go into the query string, valid for
/// `expires_in` seconds (*Authentication methods*, query parameters). `x-amz-*` headers move
/// into the query too (as the AWS SDKs presign); the other headers given are signed and must be
/// sent with the URL ([`Presigned::headers`]). The payload signed is `UNSIGNED-PAYLOAD` when
/// [`Settings::presign_unsigned_payload`] is set (S3), else [`Request::payload`] (often empty).
pub fn presign(
    request: &Request<'_>,
    key: &Key<'_>,
    settings: &Settings<'_>,
    expires_in: u32,
) -> Result<Presigned, SigV4Error> {
    presign_with(request, key, settings, expires_in, &mut |k, s, scope, text| derive(k, s, scope).sign(text))
}

fn presign_with(
    request: &Request<'_>,
    key: &Key<'_>,
    settings: &Settings<'_>,
    expires_in: u32,
    signature_of: &mut SignatureOf<'_>,
) -> Result<Presigned, SigV4Error> {
    let target = Target::parse(request.url)?;
    let amz_date = amz_date(settings.time);
    let scope = settings.scope(&amz_date)?;
    if expires_in == 0 || expires_in > MAX_EXPIRES_SECONDS {
        return Err(SigV4Error::InvalidExpires);
    }
    if target.query.split('&').any(|pair| pair.split('=').next() == Some("X-Amz-Signature")) {
        return Err(SigV4Error::AlreadyPresigned);
    }
    let payload = if settings.presign_unsigned_payload { Payload::Unsigned } else { request.payload };
    let payload_hash = payload.hash();
    // As the AWS SDKs do, `x-amz-*` headers move into the query, so that the URL carries them.
    let (hoisted, headers): (Vec<_>, Vec<_>) = signable_headers(request, &target)?
        .into_iter()
        .partition(|(name, _)| name.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("x-amz-")));
    if let Some(token) = key.session_token {
        check_value(token)?;
    }
    let signed_headers = canonical_request::signed_headers(&headers);

    // The parameters in the order the AWS SDKs (and the suite's `query-signed-request.txt`)
    // append them; the canonical query string sorts them anyway.
    let mut query = String::from(target.query);
    for (name, value) in &hoisted {
        append_param(&mut query, name, value);
    }
    let mut credential = String::from(key.access_key_id);
    credential.push('/');
    credential.push_str(&scope);
    let expires = expires_in.to_string();
    let mut params: Vec<(&str, &str)> = alloc::vec![
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", &credential),
        ("X-Amz-Date", &amz_date),
        ("X-Amz-SignedHeaders", &signed_headers),
        ("X-Amz-Expires", &expires),
    ];
    if let (Some(token), true) = (key.session_token, settings.sign_session_token) {
        params.push(("X-Amz-Security-Token", token));
    }
    for (name, value) in &params {
        append_param(&mut query, name, value);
    }

    let canonical_request =
        CanonicalRequest::new(request.method, target.path, &query, &headers, &payload_hash, settings.path);
    let string_to_sign = canonical_request::string_to_sign(ALGORITHM, &amz_date, &scope, &canonical_request);
    let signature = signature_of(key, settings, &scope, &string_to_sign);

    if let (Some(token), false) = (key.session_token, settings.sign_session_token) {
        append_param(&mut query, "X-Amz-Security-Token", token);
    }
    append_param(&mut query, "X-Amz-Signature", &signature);

    let mut url = String::with_capacity(target.origin.len() + target.path.len() + 1 + query.len());
    url.push_str(target.origin);
    url.push_str(target.path);
    url.push('?');
    url.push_str(&query);
    let headers = headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("host"))
        .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
        .collect();
    Ok(Presigned { url, headers, signature, canonical_request, string_to_sign })
}

/// `Time::amz_date` (`YYYYMMDDTHHMMSSZ`) without `format!`, whose machinery costs more than the
/// rest of this per-request formatting in wasm.
pub(crate) fn amz_date(time: Time) -> String {
    let (y, mo, d, h, mi, sec) = time.to_utc();
    let mut out = [0u8; 16];
    let mut at = 0;
    for (value, width) in
        [(y, 4), (mo.into(), 2), (d.into(), 2), (0, 0), (h.into(), 2), (mi.into(), 2), (sec.into(), 2)]
    {
        if width == 0 {
            out[at] = b'T';
            at += 1;
            continue;
        }
        let mut v: u16 = value;
        for i in (0..width).rev() {
            out[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        at += width;
    }
    out[15] = b'Z';
    let Ok(text) = core::str::from_utf8(&out) else { unreachable!("digits are ASCII") };
    String::from(text)
}

/// The signing key for `scope` (`YYYYMMDD/region/service/aws4_request`, from `Settings::scope`).
fn derive(key: &Key<'_>, settings: &Settings<'_>, scope: &str) -> SigningKey {
    SigningKey::derive(key.secret_access_key, &scope[..8], settings.region, settings.service)
}

/// Signing keys derived earlier, so that signing many requests with the same credentials costs
/// one key derivation (four HMACs) per day, region and service rather than one per request, as
/// the AWS SDKs do. Holds a few keys (zeroized when dropped or replaced), found by the SHA-256 of
/// the secret, never the secret itself.
#[derive(Default)]
pub struct KeyCache {
    entries: Vec<CacheEntry>,
}

struct CacheEntry {
    secret_hash: [u8; 32],
    scope: String,
    key: SigningKey,
}

/// How many signing keys a [`KeyCache`] keeps; the oldest goes first.
const KEY_CACHE_SIZE: usize = 8;

impl KeyCache {
    /// An empty cache.
    #[must_use]
    pub fn new() -> Self {
        KeyCache::default()
    }

    /// [`sign`], with the signing key from the cache.
    pub fn sign(
        &mut self,
        request: &Request<'_>,
        key: &Key<'_>,
        settings: &Settings<'_>,
    ) -> Result<SignedHeaders, SigV4Error> {
        sign_with(request, key, settings, &mut |k, s, scope, text| self.get(k, s, scope).sign(text))
    }

    /// [`presign`], with the signing key from the cache.
    pub fn presign(
        &mut self,
        request: &Request<'_>,
        key: &Key<'_>,
        settings: &Settings<'_>,
        expires_in: u32,
    ) -> Result<Presigned, SigV4Error> {
        presign_with(request, key, settings, expires_in, &mut |k, s, scope, text| self.get(k, s, scope).sign(text))
    }

    /// The key for `scope` (the credential scope, which names the day, region and service).
    fn get(&mut self, key: &Key<'_>, settings: &Settings<'_>, scope: &str) -> &SigningKey {
        use sha2::Digest;
        let secret_hash: [u8; 32] = Sha256::digest(key.secret_access_key.as_bytes()).into();
        let found = self.entries.iter().position(|e| e.secret_hash == secret_hash && e.scope == scope);
        let at = match found {
            Some(at) => at,
            None => {
                if self.entries.len() == KEY_CACHE_SIZE {
                    self.entries.remove(0);
                }
                let derived = derive(key, settings, scope);
                self.entries.push(CacheEntry { secret_hash, scope: scope.into(), key: derived });
                self.entries.len() - 1
            }
        };
        &self.entries[at].key
    }
}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyCache").field("keys", &self.entries.len()).finish()
    }
}

fn append_param(query: &mut String, name: &str, value: &str) {
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(name);
    query.push('=');
    canonical_request::uri_encode_into(value, true, query);
}

/// The request's headers that get signed, with `host` added from the URL when missing.
fn signable_headers<'r>(request: &Request<'r>, target: &Target<'r>) -> Result<Vec<(&'r str, &'r str)>, SigV4Error> {
    if request.method.is_empty() || !request.method.bytes().all(is_tchar) {
        return Err(SigV4Error::InvalidMethod);
    }
    let mut headers = Vec::with_capacity(request.headers.len() + 4);
    let mut has_host = false;
    for &(name, value) in request.headers {
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(SigV4Error::InvalidHeader);
        }
        check_value(value)?;
        let skip = |list: &[&str]| list.iter().any(|h| h.eq_ignore_ascii_case(name));
        let prefixed = |prefix: &str| name.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix));
        if skip(&UNSIGNABLE_HEADERS) || skip(&SIGNER_HEADERS) || prefixed("proxy-") || prefixed("sec-") {
            continue;
        }
        has_host |= name.eq_ignore_ascii_case("host");
        headers.push((name, value));
    }
    if !has_host {
        headers.push(("host", target.host.ok_or(SigV4Error::MissingHost)?));
    }
    Ok(headers)
}

fn check_value(value: &str) -> Result<(), SigV4Error> {
    // CR, LF and NUL are below a space: most values (tokens) hold no such byte at all.
    if canonical_request::has_space_or_control(value.as_bytes())
        && value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0))
    {
        return Err(SigV4Error::InvalidHeader);
    }
    Ok(())
}

/// RFC 9110 `tchar`: the characters of methods and header names.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The parts of a URL that signing needs.
struct Target<'a> {
    /// `scheme://authority`, or empty for a bare path.
    origin: &'a str,
    /// The `Host` header value ([`Url::host`]); `None` for a bare path.
    host: Option<&'a str>,
    path: &'a str,
    query: &'a str,
}

impl<'a> Target<'a> {
    /// An absolute URL ([`Url::parse`]) or a bare path with an optional query; a `#fragment` is
    /// dropped (it is never sent).
    fn parse(url: &'a str) -> Result<Self, SigV4Error> {
        if url.starts_with('/') {
            let url = url.split('#').next().unwrap_or_default();
            let (path, query) = url.split_once('?').unwrap_or((url, ""));
            if url.bytes().any(|b| b.is_ascii_control()) {
                return Err(SigV4Error::InvalidUrl);
            }
            return Ok(Target { origin: "", host: None, path, query });
        }
        let url = Url::parse(url).map_err(|_| SigV4Error::InvalidUrl)?;
        Ok(Target { origin: url.origin, host: Some(url.host), path: url.path, query: url.query })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time() -> Time {
        Time::parse_rfc3339("2015-08-30T12:36:00Z").unwrap()
    }

    const KEY: Key<'static> = Key {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        session_token: None,
    };

    #[test]
    fn signing_key_matches_the_documented_example() {
        // *Derive a signing key* (SigV4 documentation, examples of how to derive a signing
        // key): the secret above, 20120215, us-east-1, iam. The key is kept as HMAC state, so
        // it is checked through what it signs.
        let key = SigningKey::derive(KEY.secret_access_key, "20120215", "us-east-1", "iam");
        let documented: Vec<u8> = (0..32)
            .map(|i| {
                u8::from_str_radix(
                    &"f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"[2 * i..2 * i + 2],
                    16,
                )
                .unwrap()
            })
            .collect();
        for text in ["", "AWS4-HMAC-SHA256\n20120215T000000Z", &"x".repeat(200)] {
            assert_eq!(key.sign(text), hex::encode(&hmac_sha256(&documented, text.as_bytes())), "{text:?}");
        }
    }

    #[test]
    fn targets_are_absolute_urls_or_bare_paths() {
        let t = Target::parse("https://sts.amazonaws.com:443/p?q#frag").unwrap();
        assert_eq!(
            (t.origin, t.host, t.path, t.query),
            ("https://sts.amazonaws.com:443", Some("sts.amazonaws.com"), "/p", "q")
        );
        let t = Target::parse("/a/b?x=1#f").unwrap();
        assert_eq!((t.origin, t.host, t.path, t.query), ("", None, "/a/b", "x=1"));
        assert_eq!(Target::parse("https://h").unwrap().path, "/");
    }

    #[test]
    fn rejects_bad_input() {
        let settings = Settings::new("sts", "us-east-1", time());
        let request = |method, url, headers| Request { method, url, headers, payload: Payload::Bytes(b"") };
        let bad: [(Request<'_>, SigV4Error); 7] = [
            (request("GET", "ftp://h/", &[]), SigV4Error::InvalidUrl),
            (request("GET", "sts.amazonaws.com/", &[]), SigV4Error::InvalidUrl),
            (request("GET", "https://user@h/", &[]), SigV4Error::InvalidUrl),
            (request("GET", "/x", &[]), SigV4Error::MissingHost),
            (request("G T", "https://h/", &[]), SigV4Error::InvalidMethod),
            (request("GET", "https://h/", &[("x-a", "1\r\nx-b: 2")]), SigV4Error::InvalidHeader),
            (request("GET", "https://h/", &[("bad name", "1")]), SigV4Error::InvalidHeader),
        ];
        for (request, error) in bad {
            assert_eq!(sign(&request, &KEY, &settings).unwrap_err(), error, "{request:?}");
        }
        let ok = request("GET", "https://h/", &[]);
        assert_eq!(sign(&ok, &KEY, &Settings::new("STS", "us-east-1", time())).unwrap_err(), SigV4Error::InvalidScope);
        assert_eq!(presign(&ok, &KEY, &settings, 0).unwrap_err(), SigV4Error::InvalidExpires);
        assert_eq!(presign(&ok, &KEY, &settings, 604_801).unwrap_err(), SigV4Error::InvalidExpires);
        let signed = presign(&ok, &KEY, &settings, 60).unwrap();
        let again = Request { url: &signed.url, ..ok };
        assert_eq!(presign(&again, &KEY, &settings, 60).unwrap_err(), SigV4Error::AlreadyPresigned);
    }

    #[test]
    fn unsignable_and_signer_headers_are_not_passed_through() {
        let headers = [
            ("User-Agent", "x"),
            ("Proxy-Authorization", "x"),
            ("Sec-Fetch-Mode", "cors"),
            ("X-Amz-Date", "stale"),
            ("Authorization", "old"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        let request = Request {
            method: "POST",
            url: "https://sts.amazonaws.com/",
            headers: &headers,
            payload: Payload::Bytes(b""),
        };
        let key = Key { session_token: Some("token"), ..KEY };
        let signed = sign(&request, &key, &Settings::new("sts", "us-east-1", time())).unwrap();
        assert_eq!(signed.canonical_request.signed_headers(), "content-type;host;x-amz-date;x-amz-security-token");
        let names: Vec<&str> = signed.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["x-amz-date", "x-amz-security-token", "authorization"]);
    }

    #[test]
    fn cached_keys_sign_the_same_and_follow_the_scope() {
        let request = Request { method: "GET", url: "https://h/", headers: &[], payload: Payload::Bytes(b"") };
        let mut cache = KeyCache::new();
        for (region, day) in [("us-east-1", 1), ("us-east-1", 1), ("eu-west-1", 1), ("us-east-1", 2)] {
            let time = Time::from_utc(2026, 11, day, 0, 0, 0).unwrap();
            let settings = Settings::new("sts", region, time);
            let other = Key { secret_access_key: "another secret", ..KEY };
            for key in [KEY, other] {
                let fresh = sign(&request, &key, &settings).unwrap();
                assert_eq!(cache.sign(&request, &key, &settings).unwrap().signature, fresh.signature);
                assert_eq!(
                    cache.presign(&request, &key, &settings, 60).unwrap().url,
                    presign(&request, &key, &settings, 60).unwrap().url
                );
            }
        }
        assert_eq!(cache.entries.len(), 6);
        assert!(!alloc::format!("{cache:?}").contains("secret"));
    }

    #[test]
    fn amz_date_matches_time() {
        for t in [0, 951_782_400, 1_717_243_230, 4_102_444_799, 253_402_300_799] {
            let time = Time::from_unix_seconds(t).unwrap();
            assert_eq!(super::amz_date(time), time.amz_date());
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let key = Key { session_token: Some("t0k3n"), ..KEY };
        let shown = alloc::format!("{key:?} {:?}", SigningKey::derive("s", "20150830", "us-east-1", "sts"));
        assert!(shown.contains("AKIDEXAMPLE"));
        assert!(!shown.contains(KEY.secret_access_key) && !shown.contains("t0k3n"));
    }
}
