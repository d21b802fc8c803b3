//! JavaScript bindings (wasm32 + feature `wasm`): a thin layer that turns JS option objects into
//! core calls and core results into JS objects. No protocol logic lives here: every check, the
//! canonical request, the string to sign and the `Authorization` header come from the core.
//!
//! The hand-written shims in `pkg/` call these exports; users never do. Time always comes from
//! JS (`date`, milliseconds since the epoch): the core reads no clock.
//!
//! Errors reach JS as `Error` objects with a stable `code` property ([`crate::Error::code`], plus
//! `InvalidOptions` for option objects of the wrong shape) and the core's message.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use base64ct::{Base64UrlUnpadded, Encoding};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
#[cfg(any(feature = "ecdsa-p256", feature = "ecdsa-p384", feature = "rsa"))]
use zeroize::Zeroizing;

use crate::certificate::{self, Certificate, PublicKey};
use crate::{CreateSession, Error, KeyType, SignedRequest, Time, UnsignedRequest};

/// The code for option objects of the wrong shape (missing field, wrong type).
const INVALID_OPTIONS: &str = "InvalidOptions";

/// A JS `Error` with `code` and `message`.
fn js_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    let _ = Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

fn core_error(e: impl Into<Error>) -> JsValue {
    let e = e.into();
    js_error(e.code(), &e.to_string())
}

fn invalid(message: &str) -> JsValue {
    js_error(INVALID_OPTIONS, message)
}

// The options of a request cross the boundary in one buffer (as SigV4's do, see
// `SigV4Signer::sign`): the shim checks their types in JS (with the same `InvalidOptions`
// messages the wasm layer used to give when it read them one `Reflect::get` at a time, each a
// crossing and each string copied character by character) and encodes the strings with
// `TextEncoder.encodeInto`; the numbers and the flag are plain arguments.

/// How many strings an options buffer holds (see [`read_options`]).
const OPTION_STRINGS: usize = 6;
/// The length that marks an absent optional string.
const ABSENT: u32 = u32::MAX;

/// The options of `createSessionRequest`, less the certificates (see [`Certificates`]) and the
/// private key.
struct Options<'a> {
    trust_anchor_arn: &'a str,
    profile_arn: &'a str,
    role_arn: &'a str,
    region: Option<&'a str>,
    endpoint: Option<&'a str>,
    fips: bool,
    duration_seconds: Option<u64>,
    role_session_name: Option<&'a str>,
    now: Time,
}

/// Reads the options as `pkg/core.js` (`encodeOptions`) passes them, already type-checked
/// there: `input` is six little-endian `u32` byte lengths ([`ABSENT`] for an absent optional
/// string), then the UTF-8 of `trustAnchorArn`, `profileArn`, `roleArn`, `region`, `endpoint`
/// and `roleSessionName` back to back (length-prefixed rather than NUL-separated, so that any
/// string reaches the core as it was given); `duration_seconds` is a whole number or negative
/// for none, `date_ms` milliseconds since 1970.
fn read_options(input: &[u8], fips: bool, duration_seconds: f64, date_ms: f64) -> Result<Options<'_>, JsValue> {
    let malformed = || invalid("options: malformed input");
    let (lengths, mut rest) = input.split_at_checked(4 * OPTION_STRINGS).ok_or_else(malformed)?;
    let mut text: [Option<&str>; OPTION_STRINGS] = [None; OPTION_STRINGS];
    for (slot, len) in text.iter_mut().zip(lengths.chunks_exact(4)) {
        let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]);
        if len != ABSENT {
            let (part, after) = rest.split_at_checked(len as usize).ok_or_else(malformed)?;
            *slot = Some(core::str::from_utf8(part).map_err(|_| malformed())?);
            rest = after;
        }
    }
    let [Some(trust_anchor_arn), Some(profile_arn), Some(role_arn), region, endpoint, role_session_name] = text else {
        return Err(malformed());
    };
    Ok(Options {
        trust_anchor_arn,
        profile_arn,
        role_arn,
        region,
        endpoint,
        fips,
        // Integers up to 2^53 are exact in an f64 (checked in JS); the core checks the range.
        duration_seconds: (duration_seconds >= 0.0).then_some(duration_seconds as u64),
        role_session_name,
        now: time_from_ms(date_ms)?,
    })
}

/// A certificate or key input: a PEM string, or DER (or PEM) bytes.
fn input_bytes(value: &JsValue) -> Option<Vec<u8>> {
    if let Some(text) = value.as_string() {
        Some(text.into_bytes())
    } else {
        value.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec)
    }
}

/// The leaf certificate and its intermediates, parsed once: the shim keeps one per certificate
/// input and hands it to every request made with it.
#[wasm_bindgen]
pub struct Certificates {
    leaf: Certificate,
    chain: Vec<Certificate>,
}

/// Parses `certificate` (a PEM string or DER/PEM bytes) and `intermediates` (one such input, an
/// array of them, or `undefined`).
#[wasm_bindgen(js_name = parseCertificates)]
pub fn parse_certificates(certificate: JsValue, intermediates: JsValue) -> Result<Certificates, JsValue> {
    let leaf = input_bytes(&certificate)
        .ok_or_else(|| invalid("options.certificate must be a PEM string or DER bytes (Uint8Array)"))?;
    let leaf = Certificate::parse(&leaf).map_err(core_error)?;
    let mut chain = Vec::new();
    if !intermediates.is_undefined() && !intermediates.is_null() {
        let what = "options.intermediates must be a PEM string, DER bytes, or an array of them";
        let inputs: Vec<JsValue> = match intermediates.dyn_ref::<Array>() {
            Some(array) => array.iter().collect(),
            None => alloc::vec![intermediates],
        };
        for input in &inputs {
            let bytes = input_bytes(input).ok_or_else(|| invalid(what))?;
            chain.extend(certificate::parse_intermediates(&bytes).map_err(core_error)?);
        }
    }
    Ok(Certificates { leaf, chain })
}

#[wasm_bindgen]
impl Certificates {
    /// When the leaf certificate expires, in milliseconds since 1970: a provider refreshes the
    /// credentials before then.
    #[wasm_bindgen(getter, js_name = notAfter)]
    pub fn not_after(&self) -> f64 {
        self.leaf.not_after().unix_seconds() as f64 * 1000.0
    }

    // Read-only facts about the leaf for `www/` (the page that shows the signing flow); the CLI's
    // `--explain` prints the same ones.

    /// The leaf's serial number in decimal: the `Credential` of the `Authorization` header.
    #[wasm_bindgen(getter, js_name = serialNumber)]
    pub fn serial_number(&self) -> String {
        self.leaf.serial_number()
    }

    /// The leaf's subject common name, `undefined` when it has none.
    #[wasm_bindgen(getter, js_name = subjectCommonName)]
    pub fn subject_common_name(&self) -> Option<String> {
        self.leaf.subject_common_name().map(Into::into)
    }

    /// The leaf's URI SANs (a SPIFFE ID, for the trust policy's `aws:PrincipalTag/x509SAN/URI`).
    #[wasm_bindgen(getter, js_name = uriSans)]
    pub fn uri_sans(&self) -> Vec<String> {
        self.leaf.uri_sans().to_vec()
    }

    /// `P-256`, `P-384` or `RSA`: the leaf's key type.
    #[wasm_bindgen(getter, js_name = keyType)]
    pub fn key_type(&self) -> String {
        key_type_name(&self.leaf)
    }
}

/// `P-256`, `P-384` or `RSA`: the names WebCrypto uses for the certificate's key type.
fn key_type_name(certificate: &Certificate) -> String {
    match certificate.key_type() {
        Ok(KeyType::EcdsaP256) => "P-256".into(),
        Ok(KeyType::EcdsaP384) => "P-384".into(),
        _ => "RSA".into(),
    }
}

fn prepare<'a>(o: &Options<'a>, certs: &'a Certificates) -> Result<UnsignedRequest<'a>, JsValue> {
    CreateSession::new(&certs.leaf, o.trust_anchor_arn, o.profile_arn, o.role_arn)
        .intermediates(&certs.chain)
        .fips(o.fips)
        .region(o.region)
        .endpoint(o.endpoint)
        .duration_seconds(o.duration_seconds)
        .role_session_name(o.role_session_name)
        .prepare(o.now)
        .map_err(core_error)
}

/// The signed request as one string for `pkg/core.js` to split: `method\0url\0body`, then
/// `\0name\0value` per header in signing order (as the CLI prints them). None of these can
/// hold a NUL: the URL and the header values are built and checked by the core, and the JSON
/// body escapes control characters.
fn request_wire(signed: &SignedRequest) -> String {
    let size = signed.method.len()
        + signed.url.len()
        + signed.body.len()
        + 2
        + signed.headers.iter().map(|(n, v)| n.len() + v.len() + 2).sum::<usize>();
    let mut out = String::with_capacity(size);
    out.push_str(signed.method);
    for part in [&signed.url, &signed.body] {
        out.push('\0');
        out.push_str(part);
    }
    for (name, value) in &signed.headers {
        for part in [name, value] {
            out.push('\0');
            out.push_str(part);
        }
    }
    out
}

/// A private key parsed for the in-wasm signer, kept so that it is parsed (and its public key
/// derived) once: the shim caches one per key input, like the CryptoKeys it imports. Its secret
/// is zeroized when it is freed (`free()`), as the core's keys are on drop.
#[wasm_bindgen]
pub struct WasmKey {
    #[cfg(any(feature = "ecdsa-p256", feature = "ecdsa-p384", feature = "rsa"))]
    inner: crate::PrivateKey,
}

/// Parses a private key (PEM string or DER/PEM bytes) for [`sign_request`]. Throws
/// `UnsupportedSigner` when this build has no signer for the key (or none at all).
#[wasm_bindgen(js_name = parseKey)]
pub fn parse_key(private_key: JsValue) -> Result<WasmKey, JsValue> {
    #[cfg(any(feature = "ecdsa-p256", feature = "ecdsa-p384", feature = "rsa"))]
    {
        // The copy in wasm memory is zeroized on drop.
        let bytes = match private_key.as_string() {
            Some(text) => Zeroizing::new(text.into_bytes()),
            None => match private_key.dyn_ref::<Uint8Array>() {
                Some(bytes) => Zeroizing::new(bytes.to_vec()),
                None => {
                    return Err(invalid(
                        "options.privateKey must be a PEM string, DER bytes (Uint8Array) or a CryptoKey",
                    ))
                }
            },
        };
        let inner = crate::PrivateKey::parse(&bytes).map_err(core_error)?;
        Ok(WasmKey { inner })
    }
    #[cfg(not(any(feature = "ecdsa-p256", feature = "ecdsa-p384", feature = "rsa")))]
    {
        let _ = private_key;
        Err(js_error("UnsupportedSigner", "this build of the package has no in-wasm signer: pass a CryptoKey, or a PKCS#8 key that WebCrypto can import"))
    }
}

/// Builds and signs the request with the in-wasm signer (deterministic: RFC 6979 ECDSA, PKCS#1
/// v1.5 RSA), so that the output is byte-identical to the CLI's `sign-request`. The options as
/// [`read_options`] takes them; the result as [`request_wire`] writes it.
#[wasm_bindgen(js_name = signRequest)]
pub fn sign_request(
    options: &[u8],
    fips: bool,
    duration_seconds: f64,
    date_ms: f64,
    certificates: &Certificates,
    key: &WasmKey,
) -> Result<String, JsValue> {
    let options = read_options(options, fips, duration_seconds, date_ms)?;
    let unsigned = prepare(&options, certificates)?;
    #[cfg(any(feature = "ecdsa-p256", feature = "ecdsa-p384", feature = "rsa"))]
    {
        let signed = unsigned.sign(&key.inner).map_err(core_error)?;
        Ok(request_wire(&signed))
    }
    #[cfg(not(any(feature = "ecdsa-p256", feature = "ecdsa-p384", feature = "rsa")))]
    {
        // A WasmKey cannot exist in this build.
        let _ = (unsigned, key);
        Err(js_error("UnsupportedSigner", "this build of the package has no in-wasm signer"))
    }
}

/// A request built up to its string to sign, waiting for a signature made by the host.
#[wasm_bindgen]
pub struct PendingRequest {
    inner: UnsignedRequest<'static>,
}

/// Builds the request up to its string to sign, for a key the host holds (WebCrypto). The
/// options as [`read_options`] takes them.
#[wasm_bindgen(js_name = prepareRequest)]
pub fn prepare_request(
    options: &[u8],
    fips: bool,
    duration_seconds: f64,
    date_ms: f64,
    certificates: &Certificates,
) -> Result<PendingRequest, JsValue> {
    let options = read_options(options, fips, duration_seconds, date_ms)?;
    let inner = prepare(&options, certificates)?.into_owned();
    Ok(PendingRequest { inner })
}

#[wasm_bindgen]
impl PendingRequest {
    /// What the shim needs to sign, in one string: `keyType\0serialNumber\0stringToSign`, the
    /// certificate's key type (`P-256`, `P-384` or `RSA`, which the host key must match), its
    /// serial number in decimal (a cache key for the shim's key check) and the string to sign
    /// (whose UTF-8 bytes the key signs).
    #[wasm_bindgen(getter)]
    pub fn facts(&self) -> String {
        let key_type = key_type_name(self.inner.certificate());
        let serial = self.inner.certificate().serial_number();
        let string_to_sign = self.inner.string_to_sign();
        let mut out = String::with_capacity(key_type.len() + serial.len() + string_to_sign.len() + 2);
        for (i, part) in [key_type.as_str(), serial.as_str(), string_to_sign].into_iter().enumerate() {
            if i > 0 {
                out.push('\0');
            }
            out.push_str(part);
        }
        out
    }

    /// The SigV4 canonical request the string to sign hashes (read-only, for `www/`).
    #[wasm_bindgen(getter, js_name = canonicalRequest)]
    pub fn canonical_request(&self) -> String {
        self.inner.canonical_request().into()
    }

    /// The string to sign (read-only, for `www/`).
    #[wasm_bindgen(getter, js_name = stringToSign)]
    pub fn string_to_sign(&self) -> String {
        self.inner.string_to_sign().into()
    }

    /// The UTF-8 bytes of the string to sign (for `www/`).
    #[wasm_bindgen(getter, js_name = stringToSignBytes)]
    pub fn string_to_sign_bytes(&self) -> Vec<u8> {
        self.inner.string_to_sign().as_bytes().to_vec()
    }

    /// The certificate's public key as a JWK (`{kty, crv, x, y}` or `{kty, n, e}`), for the
    /// shim's one-time check that a host key belongs to the certificate.
    #[wasm_bindgen(getter, js_name = publicKeyJwk)]
    pub fn public_key_jwk(&self) -> JsValue {
        let jwk = Object::new();
        let set = |k: &str, v: &str| {
            let _ = Reflect::set(&jwk, &k.into(), &v.into());
        };
        match self.inner.certificate().public_key() {
            PublicKey::Ec { key_type, point } if point.first() == Some(&4) => {
                let half = (point.len() - 1) / 2;
                set("kty", "EC");
                set("crv", if *key_type == KeyType::EcdsaP256 { "P-256" } else { "P-384" });
                set("x", &Base64UrlUnpadded::encode_string(&point[1..1 + half]));
                set("y", &Base64UrlUnpadded::encode_string(&point[1 + half..]));
            }
            PublicKey::Rsa { modulus, exponent } => {
                set("kty", "RSA");
                set("n", &Base64UrlUnpadded::encode_string(modulus));
                set("e", &Base64UrlUnpadded::encode_string(exponent));
            }
            _ => return JsValue::NULL,
        }
        jwk.into()
    }

    /// Finishes the request with the host's signature: DER `Ecdsa-Sig-Value` for ECDSA (the
    /// shim converts WebCrypto's `r‖s`), the PKCS#1 v1.5 block for RSA. Consumes the request.
    /// Returns the request as [`request_wire`] writes it.
    pub fn finish(self, signature: &[u8]) -> Result<String, JsValue> {
        let signed = self.inner.finish(signature).map_err(core_error)?;
        Ok(request_wire(&signed))
    }
}

/// Reads AWS's answer to `CreateSession`: `{accessKeyId, secretAccessKey, sessionToken,
/// expiration}` (expiration in ms since the epoch), or throws an `Error` with the service's
/// code (`AccessDenied`, `Validation`, `NotFound`, `Throttled`, `Server`, …).
#[wasm_bindgen(js_name = parseResponse)]
pub fn parse_response(status: u16, error_type: Option<String>, body: &[u8]) -> Result<JsValue, JsValue> {
    let session = crate::parse_response(status, error_type.as_deref(), body).map_err(core_error)?;
    let c = &session.credentials;
    let out = Object::new();
    let _ = Reflect::set(&out, &"accessKeyId".into(), &c.access_key_id().into());
    let _ = Reflect::set(&out, &"secretAccessKey".into(), &c.secret_access_key().into());
    let _ = Reflect::set(&out, &"sessionToken".into(), &c.session_token().into());
    let ms = c.expiration().unix_seconds() as f64 * 1000.0;
    let _ = Reflect::set(&out, &"expiration".into(), &ms.into());
    Ok(out.into())
}

/// Which signers this build holds: a subset of `["P-256", "P-384", "RSA"]`.
#[wasm_bindgen(js_name = wasmSigners)]
pub fn wasm_signers() -> Vec<String> {
    let mut out = Vec::new();
    if cfg!(feature = "ecdsa-p256") {
        out.push("P-256".to_string());
    }
    if cfg!(feature = "ecdsa-p384") {
        out.push("P-384".to_string());
    }
    if cfg!(feature = "rsa") {
        out.push("RSA".to_string());
    }
    out
}

/// SigV4 signing of any AWS request (`signRequest` and `AwsClient` in `pkg/sigv4.js`): one call
/// per request; the signing keys derived so far are kept in the instance (zeroized on `free`).
#[wasm_bindgen]
#[derive(Default)]
pub struct SigV4Signer {
    cache: crate::sigv4::KeyCache,
}

#[wasm_bindgen]
impl SigV4Signer {
    /// An empty signer.
    #[wasm_bindgen(constructor)]
    pub fn new() -> SigV4Signer {
        SigV4Signer::default()
    }

    /// Signs a request, in one call across the JS/wasm boundary with one buffer each way.
    /// `input` is the UTF-8 of `method\0url\0access_key_id\0secret_access_key\0session_token\0
    /// service\0region`, then `\0name\0value` for each of the `header_count` headers and, when
    /// `body_in_input`, `\0` and the body (which may hold NULs; no other part may, the caller
    /// checks); it is zeroized after use (it holds the secret). Bytes rather than a string: the
    /// package encodes them with `TextEncoder.encodeInto`, where wasm-bindgen's string passing
    /// copies character by character in JS (~3 µs in Node for the ~650 characters of an STS
    /// request with a session token, more than the SHA-256 work). Otherwise the body is `body`.
    /// `expires_in` 0 signs with the `Authorization` header, more than 0 presigns. Returns one
    /// string, NUL separated: the number of header pairs, the pairs (the headers to add, or for a
    /// presigned URL the headers to send along), and for a presigned URL the URL last.
    #[allow(clippy::too_many_arguments)]
    pub fn sign(
        &mut self,
        input: Vec<u8>,
        header_count: u32,
        body_in_input: bool,
        body: &[u8],
        unsigned_payload: bool,
        sign_session_token: bool,
        date_ms: f64,
        expires_in: u32,
    ) -> Result<String, JsValue> {
        use crate::sigv4::{Key, Payload, Request, Settings, SigV4Error};
        let sigv4_error = |e: SigV4Error| js_error("InvalidRequest", &e.to_string());
        let input = zeroize::Zeroizing::new(input);
        let input = core::str::from_utf8(&input).map_err(|_| invalid("signRequest: malformed input"))?;
        let fields = 7 + 2 * header_count as usize;
        let mut parts = input.splitn(fields + usize::from(body_in_input), '\0');
        let mut text: Vec<&str> = Vec::with_capacity(fields);
        for _ in 0..fields {
            text.push(parts.next().ok_or_else(|| invalid("signRequest: malformed input"))?);
        }
        let body = if body_in_input {
            parts.next().ok_or_else(|| invalid("signRequest: malformed input"))?.as_bytes()
        } else {
            body
        };
        let &[method, url, access_key_id, secret_access_key, session_token, service, region, ..] = text.as_slice()
        else {
            return Err(invalid("signRequest: malformed input"));
        };
        let pairs: Vec<(&str, &str)> = text[7..].chunks_exact(2).map(|p| (p[0], p[1])).collect();
        let request = Request {
            method,
            url,
            headers: &pairs,
            payload: if unsigned_payload { Payload::Unsigned } else { Payload::Bytes(body) },
        };
        let key = Key {
            access_key_id,
            secret_access_key,
            session_token: (!session_token.is_empty()).then_some(session_token),
        };
        let settings = Settings { sign_session_token, ..Settings::new(service, region, time_from_ms(date_ms)?) };
        let flat = |headers: &[(String, String)], extra: usize| {
            let size = headers.iter().map(|(n, v)| n.len() + v.len() + 2).sum::<usize>() + 4 + extra;
            let mut out = String::with_capacity(size);
            out.push_str(itoa(headers.len()).as_str());
            for (name, value) in headers {
                for part in [name, value] {
                    out.push('\0');
                    out.push_str(part);
                }
            }
            out
        };
        if expires_in == 0 {
            let signed = self.cache.sign(&request, &key, &settings).map_err(sigv4_error)?;
            Ok(flat(&signed.headers, 0))
        } else {
            let presigned = self.cache.presign(&request, &key, &settings, expires_in).map_err(sigv4_error)?;
            let mut out = flat(&presigned.headers, presigned.url.len() + 1);
            out.push('\0');
            out.push_str(&presigned.url);
            Ok(out)
        }
    }
}

/// The decimal form of `n` (no `format!`, which pulls in the formatting machinery).
fn itoa(mut n: usize) -> String {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits[i..].iter().map(|&d| char::from(d)).collect()
}

/// When a provider should replace credentials (`rolesanywhere::refresh::RefreshPolicy`), in
/// milliseconds since the epoch.
#[wasm_bindgen(js_name = refreshAt)]
pub fn refresh_at(
    issued_ms: f64,
    expiration_ms: f64,
    certificate_not_after_ms: f64,
    margin_seconds: u32,
) -> Result<f64, JsValue> {
    let policy = crate::refresh::RefreshPolicy { margin_seconds: margin_seconds.into() };
    let at = policy.refresh_at(
        time_from_ms(issued_ms)?,
        time_from_ms(expiration_ms)?,
        time_from_ms(certificate_not_after_ms)?,
    );
    Ok(at.unix_seconds() as f64 * 1000.0)
}

/// Whether an error code is worth a retry (`rolesanywhere::refresh::is_retryable_code`).
#[wasm_bindgen(js_name = isRetryable)]
pub fn is_retryable(code: &str) -> bool {
    crate::refresh::is_retryable_code(code)
}

/// The full-jitter backoff before retry `retry` (`rolesanywhere::refresh::Backoff`), in ms.
#[wasm_bindgen(js_name = backoffDelay)]
pub fn backoff_delay(retry: u32, random: u32, base_ms: u32, cap_ms: u32) -> f64 {
    let backoff = crate::refresh::Backoff { base_ms: base_ms.into(), cap_ms: cap_ms.into(), max_retries: 0 };
    backoff.delay_ms(retry, random) as f64
}

/// A time from JS milliseconds since 1970.
fn time_from_ms(ms: f64) -> Result<Time, JsValue> {
    if !(ms.is_finite() && ms >= 0.0) {
        return Err(invalid("a date must be a valid Date or milliseconds since 1970"));
    }
    Time::from_unix_seconds((ms / 1000.0) as u64).map_err(core_error)
}
