//! `rolesanywhere/inspect` (`pkg/inspect.js`): read-only facts of each step of the sign-in, for
//! pages and tools that show how it works (`www/`); the CLI's `--explain` prints the same.

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::prelude::*;

use super::certificates::{key_type_name, Certificates};
use super::create_session::PendingRequest;
use super::wire::{self, Value};

#[wasm_bindgen]
impl Certificates {
    /// The leaf's serial number in decimal: the `Credential` of the `Authorization` header.
    #[wasm_bindgen(getter, js_name = serialNumber)]
    pub fn serial_number(&self) -> String {
        self.leaf.serial_number()
    }

    /// The leaf's serial number in hex ([`crate::Certificate::serial_hex`]): the role session
    /// name when the request names none, as AWS and the stand-in name sessions.
    #[wasm_bindgen(getter, js_name = serialHex)]
    pub fn serial_hex(&self) -> String {
        self.leaf.serial_hex()
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
        key_type_name(&self.leaf).into()
    }

    /// How many intermediate certificates go in `X-Amz-X509-Chain`.
    #[wasm_bindgen(getter, js_name = intermediateCount)]
    pub fn intermediate_count(&self) -> u32 {
        self.chain.len() as u32
    }
}

#[wasm_bindgen]
impl PendingRequest {
    /// The steps of the signature as a record: `algorithm`, `canonicalRequest`, `signedHeaders`,
    /// `credentialScope` and `stringToSign`.
    pub fn steps(&self) -> Result<Vec<u8>, JsValue> {
        let request = self.request()?;
        Ok(wire::encode_record(&[
            ("algorithm", Value::Text(request.algorithm().name())),
            ("canonicalRequest", Value::Text(request.canonical_request())),
            ("signedHeaders", Value::Text(request.signed_headers())),
            ("credentialScope", Value::Text(request.credential_scope())),
            ("stringToSign", Value::Text(request.string_to_sign())),
        ]))
    }
}
