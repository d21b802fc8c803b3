//! The inputs parsed once and kept in wasm by the shim (per input string): the certificate with
//! its intermediates, and a private key for the in-wasm signer.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

use super::wire::{self, Value};
use super::{core_error, invalid, malformed, ms, Wiped};
use crate::{merge_intermediates, parse_intermediates, split_full_chain, Certificate, KeyType, RequestTemplate};

/// The leaf certificate and its intermediates, and the last request template built for them.
#[wasm_bindgen]
pub struct Certificates {
    /// Shared with the [`super::create_session::PendingRequest`]s made for it.
    pub(super) leaf: Rc<Certificate>,
    pub(super) chain: Vec<Certificate>,
    /// The options record (`createSessionOptionNames`) of the last request prepared with these
    /// certificates, and the [`RequestTemplate`] built from it: the next request with the same
    /// record (a client signing again with the same options) skips checking the options and
    /// building the URL and body. The template depends on the record alone; it is kept here
    /// because the shim keeps this object per configuration.
    pub(super) template: RefCell<Option<(Vec<u8>, RequestTemplate)>>,
}

/// Parses a message of the leaf certificate then any intermediates, each a PEM text or DER (or
/// PEM) bytes; an intermediate input may hold several PEM certificates. The certificate input
/// may be a full chain (leaf first, then its intermediates, [`split_full_chain`]); its
/// intermediates come first, then the given ones, each once ([`merge_intermediates`]).
#[wasm_bindgen(js_name = parseCertificates)]
pub fn parse_certificates(message: &[u8]) -> Result<Certificates, JsValue> {
    let values = wire::decode(message).map_err(malformed)?;
    let (leaf, intermediates) = values.split_first().ok_or_else(|| malformed(wire::Malformed))?;
    let leaf =
        input(*leaf).ok_or_else(|| invalid("options.certificate must be a PEM string or DER bytes (Uint8Array)"))?;
    let (leaf, from_chain) = split_full_chain(leaf).map_err(core_error)?;
    let mut given = Vec::new();
    for value in intermediates {
        let bytes = input(*value)
            .ok_or_else(|| invalid("options.intermediates must be a PEM string, DER bytes, or an array of them"))?;
        given.extend(parse_intermediates(bytes).map_err(core_error)?);
    }
    let chain = merge_intermediates(&leaf, from_chain, given).map_err(core_error)?;
    Ok(Certificates { leaf: Rc::new(leaf), chain, template: RefCell::new(None) })
}

/// A certificate or key input: PEM text, or DER (or PEM) bytes.
fn input(value: Value<'_>) -> Option<&[u8]> {
    match value {
        Value::Text(text) => Some(text.as_bytes()),
        Value::Bytes(bytes) => Some(bytes),
        _ => None,
    }
}

#[wasm_bindgen]
impl Certificates {
    /// When the leaf certificate expires, in milliseconds since 1970: a provider refreshes the
    /// credentials before then.
    #[wasm_bindgen(getter, js_name = notAfter)]
    pub fn not_after(&self) -> f64 {
        ms(self.leaf.not_after())
    }
}

/// The certificate's key type by the names WebCrypto uses (`P-256`, `P-384`, `RSA`; `ML-DSA-44`,
/// `-65`, `-87` as the WebCrypto draft for them names them).
pub(super) fn key_type_name(certificate: &Certificate) -> &'static str {
    match certificate.key_type() {
        Ok(KeyType::EcdsaP256) => "P-256",
        Ok(KeyType::EcdsaP384) => "P-384",
        Ok(KeyType::MlDsa44) => "ML-DSA-44",
        Ok(KeyType::MlDsa65) => "ML-DSA-65",
        Ok(KeyType::MlDsa87) => "ML-DSA-87",
        _ => "RSA",
    }
}

/// A private key for the in-wasm signer, parsed (and its public key derived) once. Its secret is
/// zeroized when it is freed (`free()`), as the core's keys are on drop.
#[wasm_bindgen]
pub struct WasmKey {
    #[cfg(any(feature = "ecdsa-p256", feature = "ecdsa-p384", feature = "rsa", feature = "ml-dsa"))]
    pub(super) inner: crate::PrivateKey,
}

/// Parses a message of one private key (PEM text or DER/PEM bytes); the message is zeroized after
/// use, as the shim zeroes its own copy. Throws `UnsupportedSigner` when this build has no signer
/// for the key (or none at all).
#[wasm_bindgen(js_name = parseKey)]
pub fn parse_key(message: Vec<u8>) -> Result<WasmKey, JsValue> {
    let message = Wiped(message);
    let bytes = key_input(&message)?;
    #[cfg(any(feature = "ecdsa-p256", feature = "ecdsa-p384", feature = "rsa", feature = "ml-dsa"))]
    {
        let inner = crate::PrivateKey::parse(bytes).map_err(core_error)?;
        Ok(WasmKey { inner })
    }
    #[cfg(not(any(feature = "ecdsa-p256", feature = "ecdsa-p384", feature = "rsa", feature = "ml-dsa")))]
    {
        let _ = bytes;
        Err(no_signer())
    }
}

/// The private key of a message of one key input (PEM text or DER/PEM bytes).
pub(super) fn key_input(message: &[u8]) -> Result<&[u8], JsValue> {
    let values = wire::decode(message).map_err(malformed)?;
    let [value] = values[..] else { return Err(malformed(wire::Malformed)) };
    input(value)
        .ok_or_else(|| invalid("options.privateKey must be a PEM string, DER bytes (Uint8Array) or a CryptoKey"))
}

/// Decrypts an encrypted private key for the shim's signers: `message` holds the key (PEM text or
/// DER/PEM bytes) then the password (text or bytes); the reply is the PKCS#8 DER inside
/// ([`crate::decrypt_pkcs8`]), or `undefined` when the key is not encrypted. Errors:
/// `WrongPassword`, `EncryptedKey` (a build without the `encrypted-keys` feature),
/// `InvalidKey`. The message is zeroized after use; the shim zeroes the reply after signing.
#[wasm_bindgen(js_name = decryptKey)]
pub fn decrypt_key(message: Vec<u8>) -> Result<Option<Uint8Array>, JsValue> {
    let message = Wiped(message);
    let values = wire::decode(&message).map_err(malformed)?;
    let [key, password] = values[..] else { return Err(malformed(wire::Malformed)) };
    let key = input(key).ok_or_else(|| invalid("options.privateKey must be a PEM string or DER bytes (Uint8Array)"))?;
    let password =
        input(password).ok_or_else(|| invalid("options.pkcs8Password must be a string or bytes (Uint8Array)"))?;
    let plain = crate::decrypt_pkcs8(key, password).map_err(core_error)?;
    Ok(plain.map(|der| Uint8Array::from(&der[..])))
}

/// Opens a PKCS#12 file for the shim ([`crate::Pkcs12::parse`]): `message` holds the file (DER
/// bytes) then the password (text or bytes, or absent: the empty password, which files exported
/// without one open with). The reply is a message of the leaf certificate's DER, the private
/// key's PKCS#8 DER, then each other certificate's DER, which the shim signs with as it would a
/// certificate, key and intermediates given apart; it is zeroized in wasm, and the shim zeroes
/// its copy after use. Errors: `WrongPassword`, `EncryptedKey` (no password given for a file
/// that has one), `InvalidPkcs12` (malformed, legacy encryption, no key; or a build without the
/// `pkcs12` feature).
#[wasm_bindgen(js_name = openPkcs12)]
pub fn open_pkcs12(message: Vec<u8>) -> Result<Uint8Array, JsValue> {
    let message = Wiped(message);
    let values = wire::decode(&message).map_err(malformed)?;
    let [file, password] = values[..] else { return Err(malformed(wire::Malformed)) };
    let Value::Bytes(file) = file else {
        return Err(invalid("options.pkcs12 must be the bytes of a .p12/.pfx file (Uint8Array or ArrayBuffer)"));
    };
    let password = match password {
        Value::Absent => None,
        value => {
            Some(input(value).ok_or_else(|| invalid("options.pkcs12Password must be a string or bytes (Uint8Array)"))?)
        }
    };
    #[cfg(feature = "pkcs12")]
    {
        let p12 = crate::Pkcs12::parse(file, password.unwrap_or_default()).map_err(|e| match e.code() {
            crate::ErrorCode::WrongPassword if password.is_none() => super::error(
                crate::ErrorCode::EncryptedKey,
                &"the PKCS#12 file needs a password: give it as options.pkcs12Password",
            ),
            _ => core_error(e),
        })?;
        let mut values = Vec::with_capacity(2 + p12.intermediates.len());
        values.extend([Value::Bytes(p12.leaf.der()), Value::Bytes(&p12.pkcs8)]);
        values.extend(p12.intermediates.iter().map(|c| Value::Bytes(c.der())));
        let reply = Wiped(wire::encode(&values));
        Ok(Uint8Array::from(&reply[..]))
    }
    #[cfg(not(feature = "pkcs12"))]
    {
        let _ = (file, password);
        Err(super::error(
            crate::ErrorCode::InvalidPkcs12,
            &"PKCS#12 files are not enabled in this build of the package (the `full` build reads them)",
        ))
    }
}

/// The error of a build without an in-wasm signer.
#[cfg(not(any(feature = "ecdsa-p256", feature = "ecdsa-p384", feature = "rsa", feature = "ml-dsa")))]
pub(super) fn no_signer() -> JsValue {
    super::error(
        crate::ErrorCode::UnsupportedSigner,
        &"this build of the package has no in-wasm signer: pass a CryptoKey, or a PKCS#8 key that WebCrypto can import",
    )
}

/// Which signers this build holds: a subset of `["P-256", "P-384", "RSA", "ML-DSA-44",
/// "ML-DSA-65", "ML-DSA-87"]` ([`key_type_name`]'s names).
#[wasm_bindgen(js_name = wasmSigners)]
pub fn wasm_signers() -> Vec<u8> {
    let signers = [
        (cfg!(feature = "ecdsa-p256"), "P-256"),
        (cfg!(feature = "ecdsa-p384"), "P-384"),
        (cfg!(feature = "rsa"), "RSA"),
        (cfg!(feature = "ml-dsa"), "ML-DSA-44"),
        (cfg!(feature = "ml-dsa"), "ML-DSA-65"),
        (cfg!(feature = "ml-dsa"), "ML-DSA-87"),
    ];
    let names: Vec<Value<'_>> = signers.iter().filter(|(has, _)| *has).map(|(_, name)| Value::Text(name)).collect();
    wire::encode(&names)
}
