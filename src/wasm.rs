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
use core::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use js_sys::{Object, Reflect, Uint8Array};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use crate::certificate::{self, Certificate, PublicKey};
use crate::{CreateSession, Error, KeyType, PrivateKey, SignedRequest, Time, UnsignedRequest};

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

/// A certificate or key input: a PEM string, or DER (or PEM) bytes.
struct Input(Vec<u8>);

/// One input or an array of them (the `intermediates` option).
struct Inputs(Vec<Vec<u8>>);

struct InputVisitor;

impl<'de> Visitor<'de> for InputVisitor {
    type Value = Vec<u8>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a PEM string or DER bytes (Uint8Array)")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        Ok(v.as_bytes().to_vec())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Vec<u8>, E> {
        Ok(v.into_bytes())
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(v)
    }
}

impl<'de> Deserialize<'de> for Input {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(InputVisitor).map(Input)
    }
}

impl<'de> Deserialize<'de> for Inputs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<Vec<u8>>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a PEM string, DER bytes, or an array of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                InputVisitor.visit_str(v).map(|b| alloc::vec![b])
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                InputVisitor.visit_string(v).map(|b| alloc::vec![b])
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                InputVisitor.visit_bytes(v).map(|b| alloc::vec![b])
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
                InputVisitor.visit_byte_buf(v).map(|b| alloc::vec![b])
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(Input(b)) = seq.next_element()? {
                    out.push(b);
                }
                Ok(out)
            }
        }
        d.deserialize_any(V).map(Inputs)
    }
}

/// The options of `createSessionRequest`, less the private key (passed on its own, or held by
/// the host). Unknown fields (`signer`, `fetch`, …) are the shim's and ignored here.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Options {
    certificate: Input,
    intermediates: Option<Inputs>,
    trust_anchor_arn: String,
    profile_arn: String,
    role_arn: String,
    region: Option<String>,
    endpoint: Option<String>,
    fips: Option<bool>,
    duration_seconds: Option<u64>,
    role_session_name: Option<String>,
    /// Milliseconds since the epoch (the shim passes `Date#getTime()`).
    date: f64,
}

/// What the core needs, parsed from the options.
struct Parsed {
    options: Options,
    leaf: Certificate,
    chain: Vec<Certificate>,
    now: Time,
}

fn parse_options(options: JsValue) -> Result<Parsed, JsValue> {
    if !options.is_object() {
        return Err(js_error(INVALID_OPTIONS, "options must be an object"));
    }
    let options: Options = serde_wasm_bindgen::from_value(options)
        .map_err(|e| js_error(INVALID_OPTIONS, &alloc::format!("options: {e}")))?;
    if !options.date.is_finite() || options.date < 0.0 {
        return Err(js_error(INVALID_OPTIONS, "options.date must be a valid Date or milliseconds since 1970"));
    }
    let now = Time::from_unix_seconds((options.date / 1000.0) as u64).map_err(core_error)?;
    let leaf = Certificate::parse(&options.certificate.0).map_err(core_error)?;
    let mut chain = Vec::new();
    if let Some(Inputs(inputs)) = &options.intermediates {
        for input in inputs {
            chain.extend(certificate::parse_intermediates(input).map_err(core_error)?);
        }
    }
    Ok(Parsed { options, leaf, chain, now })
}

fn prepare<'a>(p: &'a Parsed) -> Result<UnsignedRequest<'a>, JsValue> {
    let o = &p.options;
    CreateSession::new(&p.leaf, &o.trust_anchor_arn, &o.profile_arn, &o.role_arn)
        .intermediates(&p.chain)
        .fips(o.fips.unwrap_or(false))
        .region(o.region.as_deref())
        .endpoint(o.endpoint.as_deref())
        .duration_seconds(o.duration_seconds)
        .role_session_name(o.role_session_name.as_deref())
        .prepare(p.now)
        .map_err(core_error)
}

/// `{method, url, headers: {name: value}, body}`, headers in signing order (as the CLI prints).
fn request_object(signed: &SignedRequest) -> JsValue {
    let headers = Object::new();
    for (name, value) in &signed.headers {
        let _ = Reflect::set(&headers, &name.into(), &value.into());
    }
    let out = Object::new();
    let _ = Reflect::set(&out, &"method".into(), &signed.method.into());
    let _ = Reflect::set(&out, &"url".into(), &signed.url.as_str().into());
    let _ = Reflect::set(&out, &"headers".into(), &headers);
    let _ = Reflect::set(&out, &"body".into(), &signed.body.as_str().into());
    out.into()
}

/// Key bytes from a PEM string or DER/PEM bytes; the copy in wasm memory is zeroized on drop.
fn key_bytes(private_key: &JsValue) -> Result<Zeroizing<Vec<u8>>, JsValue> {
    if let Some(text) = private_key.as_string() {
        Ok(Zeroizing::new(text.into_bytes()))
    } else if let Some(bytes) = private_key.dyn_ref::<Uint8Array>() {
        Ok(Zeroizing::new(bytes.to_vec()))
    } else {
        Err(js_error(INVALID_OPTIONS, "options.privateKey must be a PEM string, DER bytes (Uint8Array) or a CryptoKey"))
    }
}

/// Builds and signs the request with the in-wasm signer (deterministic: RFC 6979 ECDSA, PKCS#1
/// v1.5 RSA), so that the output is byte-identical to the CLI's `sign-request`.
#[wasm_bindgen(js_name = signRequest)]
pub fn sign_request(options: JsValue, private_key: JsValue) -> Result<JsValue, JsValue> {
    let parsed = parse_options(options)?;
    let key = PrivateKey::parse(&key_bytes(&private_key)?).map_err(core_error)?;
    let signed = prepare(&parsed)?.sign(&key).map_err(core_error)?;
    Ok(request_object(&signed))
}

/// A request built up to its string to sign, waiting for a signature made by the host.
#[wasm_bindgen]
pub struct PendingRequest {
    inner: UnsignedRequest<'static>,
}

/// Builds the request up to its string to sign, for a key the host holds (WebCrypto).
#[wasm_bindgen(js_name = prepareRequest)]
pub fn prepare_request(options: JsValue) -> Result<PendingRequest, JsValue> {
    let parsed = parse_options(options)?;
    let inner = prepare(&parsed)?.into_owned();
    Ok(PendingRequest { inner })
}

#[wasm_bindgen]
impl PendingRequest {
    /// The string to sign; its UTF-8 bytes are what the key signs (SHA-256 + ECDSA or PKCS#1 v1.5).
    #[wasm_bindgen(getter, js_name = stringToSign)]
    pub fn string_to_sign(&self) -> String {
        self.inner.string_to_sign().into()
    }

    /// `P-256`, `P-384` or `RSA`: the certificate's key, which the host key must match.
    #[wasm_bindgen(getter, js_name = keyType)]
    pub fn key_type(&self) -> String {
        match self.inner.certificate().key_type() {
            Ok(KeyType::EcdsaP256) => "P-256".into(),
            Ok(KeyType::EcdsaP384) => "P-384".into(),
            _ => "RSA".into(),
        }
    }

    /// The certificate's serial number in decimal (a cache key for the shim's key check).
    #[wasm_bindgen(getter, js_name = serialNumber)]
    pub fn serial_number(&self) -> String {
        self.inner.certificate().serial_number()
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
    pub fn finish(self, signature: &[u8]) -> Result<JsValue, JsValue> {
        let signed = self.inner.finish(signature).map_err(core_error)?;
        Ok(request_object(&signed))
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
