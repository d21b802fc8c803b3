//! `createSessionRequest` and `getCredentials`: the request built from options that cross by
//! name, signed in wasm or finished with a signature the host made, and AWS's answer read.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use base64ct::{Base64UrlUnpadded, Encoding};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

use super::certificates::{key_input, key_type_name, Certificates, WasmKey};
use super::wire::{self, Value};
use super::{core_error, deliver, error, malformed, ms, time_from_ms, ReplyBuffer, Wiped};
use crate::request::{check_certificates, RequestParts};
use crate::{
    Certificate, CreateSessionOptions, KeyType, PublicKey, RequestTemplate, ResponseError, SignedRequest,
    UnsignedRequest,
};

/// The names of `CreateSession`'s options ([`CreateSessionOptions::NAMES`]): the shim reads these
/// from the caller's options object and sends them back as a record, so that an option added to
/// the core reaches JS without a change here or in the shim.
#[wasm_bindgen(js_name = createSessionOptionNames)]
pub fn option_names() -> Vec<u8> {
    let names: Vec<Value<'_>> = CreateSessionOptions::NAMES.iter().map(|name| Value::Text(name)).collect();
    wire::encode(&names)
}

/// The options in a record of name/value pairs, each set (and type-checked) by the core.
fn read_options(message: &[u8]) -> Result<CreateSessionOptions, JsValue> {
    let values = wire::decode(message).map_err(malformed)?;
    let mut options = CreateSessionOptions::default();
    for pair in wire::pairs(&values) {
        let (name, value) = pair.map_err(malformed)?;
        match options.set(name, value.option()) {
            Ok(true) => {}
            // The shim sends only the names the core gave it.
            Ok(false) => return Err(malformed(wire::Malformed)),
            Err(e) => return Err(error(e.code(), &crate::error::text(&e))),
        }
    }
    Ok(options)
}

/// The request for `certificates` at `date_ms` with the options of record `message`, built from
/// the template kept with the certificates when the record is the last one seen
/// ([`Certificates::template`]). Checks the certificates first, then the options, as
/// [`crate::CreateSession::prepare`] does.
fn prepare<'a>(message: &[u8], date_ms: f64, certificates: &'a Certificates) -> Result<UnsignedRequest<'a>, JsValue> {
    let now = time_from_ms(date_ms, "options.date must be a valid Date or milliseconds since 1970")?;
    let (leaf, chain) = (&certificates.leaf, &certificates.chain[..]);
    let algorithm = check_certificates(leaf, chain, now).map_err(core_error)?;
    let mut cached = certificates.template.borrow_mut();
    let template = match &*cached {
        Some((record, template)) if record[..] == *message => template,
        _ => {
            let template = RequestTemplate::new(&read_options(message)?).map_err(core_error)?;
            &cached.insert((message.to_vec(), template)).1
        }
    };
    Ok(template.build(leaf, chain, algorithm, now))
}

/// The signed request as a message: method, URL, body, then each header's name and value in
/// signing order (as the CLI prints them).
fn request_message(signed: &SignedRequest) -> Vec<u8> {
    let mut values = Vec::with_capacity(3 + 2 * signed.headers.len());
    values.extend([Value::Text(signed.method), Value::Text(&signed.url), Value::Text(&signed.body)]);
    for (name, value) in &signed.headers {
        values.extend([Value::Text(name), Value::Text(value)]);
    }
    wire::encode(&values)
}

/// Builds and signs the request with the in-wasm signer (deterministic: RFC 6979 ECDSA, PKCS#1
/// v1.5 RSA, deterministic ML-DSA), so that the output is byte-identical to the CLI's
/// `sign-request`. `options` is the record of [`option_names`]; the reply, a
/// [`request_message`], is delivered into `out`.
#[wasm_bindgen(js_name = signCreateSession)]
pub fn sign_create_session(
    options: &[u8],
    date_ms: f64,
    certificates: &Certificates,
    key: &WasmKey,
    out: &ReplyBuffer,
) -> Result<JsValue, JsValue> {
    let unsigned = prepare(options, date_ms, certificates)?;
    #[cfg(any(feature = "ecdsa-p256", feature = "ecdsa-p384", feature = "rsa", feature = "ml-dsa"))]
    {
        let signed = unsigned.sign(&key.inner).map_err(core_error)?;
        Ok(deliver(&request_message(&signed), out))
    }
    #[cfg(not(any(feature = "ecdsa-p256", feature = "ecdsa-p384", feature = "rsa", feature = "ml-dsa")))]
    {
        // A WasmKey cannot exist in this build.
        let _ = (unsigned, key, out);
        Err(super::certificates::no_signer())
    }
}

/// The certificate's public key as text (its key type, then the key in base64url), by which the
/// shim remembers the host keys it has checked: the check compares a key with this public key,
/// and two certificates can share a serial number (from two CAs) without sharing their key.
fn public_key_id(leaf: &Certificate) -> String {
    let mut id = String::from(key_type_name(leaf));
    let mut push = |bytes: &[u8]| {
        id.push(':');
        id.push_str(&Base64UrlUnpadded::encode_string(bytes));
    };
    match leaf.public_key() {
        PublicKey::Ec { point, .. } => push(point),
        PublicKey::Rsa { modulus, exponent } => {
            push(modulus);
            push(exponent);
        }
        PublicKey::MlDsa { key, .. } => push(key),
        // `prepare` refuses other keys: no request has one.
        _ => {}
    }
    id
}

/// A request built up to its string to sign, waiting for a signature made by the host.
#[wasm_bindgen]
pub struct PendingRequest {
    /// The leaf certificate, shared with the [`Certificates`] it came from.
    leaf: Rc<Certificate>,
    /// Taken by [`PendingRequest::finish`].
    parts: Option<RequestParts>,
}

/// Builds the request up to its string to sign, for a key the host holds (WebCrypto). `options`
/// is the record of [`option_names`].
#[wasm_bindgen(js_name = prepareCreateSession)]
pub fn prepare_create_session(
    options: &[u8],
    date_ms: f64,
    certificates: &Certificates,
) -> Result<PendingRequest, JsValue> {
    let parts = prepare(options, date_ms, certificates)?.into_parts();
    Ok(PendingRequest { leaf: Rc::clone(&certificates.leaf), parts: Some(parts) })
}

impl PendingRequest {
    pub(super) fn request(&self) -> Result<&RequestParts, JsValue> {
        self.parts.as_ref().ok_or_else(|| malformed(wire::Malformed))
    }
}

#[wasm_bindgen]
impl PendingRequest {
    /// What the shim needs to sign, as a message: the certificate's key type (`P-256`, `P-384`,
    /// `RSA`, `ML-DSA-44`, `ML-DSA-65` or `ML-DSA-87`, which the host key must match), its serial
    /// number in decimal, the UTF-8 bytes of the string to sign (what the key signs), and the
    /// certificate's public key as text (`public_key_id`).
    pub fn facts(&self) -> Result<Vec<u8>, JsValue> {
        let request = self.request()?;
        let serial = self.leaf.serial_number();
        let key_id = public_key_id(&self.leaf);
        Ok(wire::encode(&[
            Value::Text(key_type_name(&self.leaf)),
            Value::Text(&serial),
            Value::Bytes(request.string_to_sign().as_bytes()),
            Value::Text(&key_id),
        ]))
    }

    /// The certificate's public key as a JWK record (`kty`, `crv`, `x`, `y`; `kty`, `n`, `e`; or
    /// `kty`, `alg`, `pub` for ML-DSA), for the shim's one-time check that a host key belongs to
    /// the certificate.
    #[wasm_bindgen(js_name = publicKeyJwk)]
    pub fn public_key_jwk(&self) -> Result<Vec<u8>, JsValue> {
        let b64 = |bytes: &[u8]| -> String { Base64UrlUnpadded::encode_string(bytes) };
        self.request()?;
        match self.leaf.public_key() {
            PublicKey::Ec { key_type, point } if point.first() == Some(&4) => {
                let half = (point.len() - 1) / 2;
                let crv = if *key_type == KeyType::EcdsaP256 { "P-256" } else { "P-384" };
                let (x, y) = (b64(&point[1..1 + half]), b64(&point[1 + half..]));
                Ok(wire::encode_record(&[
                    ("kty", Value::Text("EC")),
                    ("crv", Value::Text(crv)),
                    ("x", Value::Text(&x)),
                    ("y", Value::Text(&y)),
                ]))
            }
            PublicKey::Rsa { modulus, exponent } => {
                let (n, e) = (b64(modulus), b64(exponent));
                Ok(wire::encode_record(&[("kty", Value::Text("RSA")), ("n", Value::Text(&n)), ("e", Value::Text(&e))]))
            }
            // The JWK of the WebCrypto draft for ML-DSA (from draft-ietf-cose-dilithium):
            // `kty` "AKP", the set as `alg`, the encoded public key as `pub`.
            PublicKey::MlDsa { key, .. } => {
                let public = b64(key);
                let alg = key_type_name(&self.leaf);
                Ok(wire::encode_record(&[
                    ("kty", Value::Text("AKP")),
                    ("alg", Value::Text(alg)),
                    ("pub", Value::Text(&public)),
                ]))
            }
            // Checked when the request was prepared: no other key reaches here.
            _ => Err(malformed(wire::Malformed)),
        }
    }

    /// Checks the private key of `message` (one PEM text or DER bytes; zeroized after use, as
    /// the shim zeroes its own copy) against the certificate from what the key's encoding
    /// carries ([`crate::check_encoded_key`]), for a key the host imported from those bytes:
    /// `true` when they match; `false` when the encoding cannot tell, and the shim then verifies
    /// the first signature with the certificate's key ([`PendingRequest::public_key_jwk`]);
    /// throws `KeyMismatch` when they do not match. A key the host imported but the core cannot
    /// read is `false` too: the signature decides.
    #[wasm_bindgen(js_name = checkKey)]
    pub fn check_key(&self, message: Vec<u8>) -> Result<bool, JsValue> {
        let message = Wiped(message);
        let key = key_input(&message)?;
        self.request()?;
        match crate::check_encoded_key(key, &self.leaf) {
            Ok(check) => Ok(check == crate::EncodedKeyCheck::Matches),
            Err(e @ crate::KeyError::Mismatch) => Err(core_error(e)),
            Err(_) => Ok(false),
        }
    }

    /// Finishes the request with the host's signature as WebCrypto makes it: `r‖s` for ECDSA
    /// (IEEE P1363, each half the curve's size), encoded here as the DER `Ecdsa-Sig-Value` AWS
    /// takes; the PKCS#1 v1.5 block for RSA, the ML-DSA signature for ML-DSA, as they are. The
    /// reply, a [`request_message`], is delivered into `out`; the request is used up.
    pub fn finish(&mut self, signature: &[u8], out: &ReplyBuffer) -> Result<JsValue, JsValue> {
        let request = self.parts.take().ok_or_else(|| malformed(wire::Malformed))?;
        let scalar_len = match self.leaf.key_type() {
            Ok(KeyType::EcdsaP256) => Some(32),
            Ok(KeyType::EcdsaP384) => Some(48),
            _ => None,
        };
        let der;
        let signature = match scalar_len {
            Some(len) if signature.len() == 2 * len => {
                let (r, s) = signature.split_at(len);
                der = crate::asn1::ecdsa_signature(r, s);
                &der[..]
            }
            Some(_) => return Err(core_error(crate::RequestError::InvalidSignature)),
            None => signature,
        };
        let signed = request.finish(&self.leaf, signature).map_err(core_error)?;
        Ok(deliver(&request_message(&signed), out))
    }
}

/// The limits on one `CreateSession` exchange that the shim applies: the largest answer read
/// ([`crate::MAX_RESPONSE_LEN`] bytes), and the default time it may take
/// ([`crate::REQUEST_TIMEOUT_MS`]), as a message of two numbers.
#[wasm_bindgen(js_name = exchangeLimits)]
pub fn exchange_limits() -> Vec<u8> {
    wire::encode(&[Value::Number(crate::MAX_RESPONSE_LEN as f64), Value::Number(crate::REQUEST_TIMEOUT_MS as f64)])
}

/// Reads AWS's answer to `CreateSession`: a record of `accessKeyId`, `secretAccessKey`,
/// `sessionToken`, `expiration` (ms since 1970) and, when the answer names it, `accountId`
/// ([`crate::Session::account_id`]), or throws the service's error with its code
/// (`AccessDenied`, `Validation`, `NotFound`, `Throttled`, `Server`, …). `body` is absent when
/// the answer was larger than [`crate::MAX_RESPONSE_LEN`] (the shim stops reading there). With `now_ms` (the signing time),
/// credentials already expired then are refused ([`crate::Session::check_fresh`], no margin:
/// `InvalidResponse`). The body and the record's one copy in wasm memory are zeroized: they hold
/// the secret.
#[wasm_bindgen(js_name = parseResponse)]
pub fn parse_response(
    status: u16,
    error_type: Option<String>,
    body: Option<Vec<u8>>,
    now_ms: Option<f64>,
) -> Result<Uint8Array, JsValue> {
    let Some(body) = body.map(Wiped) else { return Err(core_error(ResponseError::TooLarge)) };
    let session = crate::parse_response(status, error_type.as_deref(), &body).map_err(core_error)?;
    if let Some(now_ms) = now_ms {
        let now = time_from_ms(now_ms, "options.date must be a valid Date or milliseconds since 1970")?;
        session.check_fresh(now, 0).map_err(core_error)?;
    }
    let c = &session.credentials;
    let mut fields = alloc::vec![
        ("accessKeyId", Value::Text(c.access_key_id())),
        ("secretAccessKey", Value::Text(c.secret_access_key())),
        ("sessionToken", Value::Text(c.session_token())),
        ("expiration", Value::Number(ms(c.expiration()))),
    ];
    if let Some(account) = session.account_id() {
        fields.push(("accountId", Value::Text(account)));
    }
    let record = Wiped(wire::encode_record(&fields));
    Ok(Uint8Array::from(&record[..]))
}
