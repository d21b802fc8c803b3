//! `signRequest` and `AwsClient`: SigV4 for any AWS request, one call across the boundary per
//! request, with the signing keys derived so far kept in wasm.

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::prelude::*;

use super::wire::{self, Value};
use super::{core_error, deliver, invalid, malformed, time_from_ms, ReplyBuffer, Wiped};
use crate::error::push_pieces;
use crate::sigv4::{infer_scope, Key, KeyCache, Payload, Request, Settings, MAX_EXPIRES_SECONDS};

/// A SigV4 signer; the signing keys it derived are zeroized on `free()`.
#[wasm_bindgen]
#[derive(Default)]
pub struct SigV4Signer {
    cache: KeyCache,
}

/// A text value, or an `InvalidOptions` error naming `what`.
fn text<'a>(value: Value<'a>, what: &str) -> Result<&'a str, JsValue> {
    match value {
        Value::Text(text) => Ok(text),
        _ => {
            let mut message = String::new();
            push_pieces!(&mut message; what, " must be a string");
            Err(invalid(&message))
        }
    }
}

#[wasm_bindgen]
impl SigV4Signer {
    /// A signer with no signing key yet.
    #[wasm_bindgen(constructor)]
    pub fn new() -> SigV4Signer {
        SigV4Signer::default()
    }

    /// Signs a request. `message` holds, in this order: method, URL, access key ID, secret
    /// access key, session token (or absent), service and region (either absent: inferred from
    /// the URL's host, [`infer_scope`]), date (ms since 1970), presign (boolean), expiresIn
    /// (seconds, when presigning), unsignedPayload (boolean, or absent for the service's default:
    /// `UNSIGNED-PAYLOAD` in presigned S3 URLs, [`Settings::presign_unsigned_payload`]),
    /// signSessionToken (boolean), body (text, bytes or absent), then each header's name and
    /// value. It holds the secret, so it is zeroized after use (the shim zeroes its own copy).
    /// The reply is a message (see [`deliver`] for how it reaches `out`): the presigned URL
    /// (absent when signing with the `Authorization` header), then the name and value of each
    /// header to add (for a presigned URL, the headers to send with it). A value that is the
    /// session token (`x-amz-security-token`) is absent: the shim has it, and a token is several
    /// hundred bytes to copy and decode again on every request.
    ///
    /// An error is returned, not thrown: the shim throws a returned `Error`. One value back
    /// crosses as it is, where a `Result` comes back through a stack slot that the glue reads
    /// with three `DataView` calls (1 % of a signed request in Node).
    pub fn sign(&mut self, message: Vec<u8>, out: &ReplyBuffer) -> JsValue {
        self.sign_message(Wiped(message), out).unwrap_or_else(|error| error)
    }
}

impl SigV4Signer {
    /// [`SigV4Signer::sign`], its errors as `Err`.
    fn sign_message(&mut self, message: Wiped, out: &ReplyBuffer) -> Result<JsValue, JsValue> {
        let values = wire::decode(&message).map_err(malformed)?;
        let [method, url, access_key_id, secret_access_key, session_token, service, region, date, presign, expires_in, unsigned_payload, sign_session_token, body, ref headers @ ..] =
            values[..]
        else {
            return Err(malformed(wire::Malformed));
        };
        let key = Key {
            access_key_id: text(access_key_id, "credentials.accessKeyId")?,
            secret_access_key: text(secret_access_key, "credentials.secretAccessKey")?,
            session_token: match session_token {
                Value::Absent => None,
                token => Some(text(token, "credentials.sessionToken")?).filter(|t| !t.is_empty()),
            },
        };
        let Value::Number(date) = date else { return Err(malformed(wire::Malformed)) };
        let url = text(url, "request.url")?;
        // Service and region left out are those the URL's host names (aws4fetch's rule), or an
        // `InvalidOptions` error when it names none.
        let inferred = match (service, region) {
            (Value::Absent, _) | (_, Value::Absent) => Some(infer_scope(url).map_err(core_error)?),
            _ => None,
        };
        let service = match (service, &inferred) {
            (Value::Absent, Some((service, _))) => service.as_str(),
            (service, _) => text(service, "options.service")?,
        };
        let region = match (region, &inferred) {
            (Value::Absent, Some((_, region))) => region.as_str(),
            (region, _) => text(region, "options.region")?,
        };
        let mut settings = Settings::new(service, region, time_from_ms(date, "options.date must be a valid Date")?);
        settings.sign_session_token = sign_session_token == Value::Bool(true);
        // `unsignedPayload: false` signs a presigned URL over the body's hash, even for S3.
        if unsigned_payload == Value::Bool(false) {
            settings.presign_unsigned_payload = false;
        }
        let headers: Vec<(&str, &str)> = wire::pairs(headers)
            .map(|pair| match pair {
                Ok((name, Value::Text(value))) => Ok((name, value)),
                _ => Err(malformed(wire::Malformed)),
            })
            .collect::<Result<_, _>>()?;
        let payload = match (unsigned_payload, body) {
            (Value::Bool(true), _) => Payload::Unsigned,
            (_, Value::Text(text)) => Payload::Bytes(text.as_bytes()),
            (_, Value::Bytes(bytes)) => Payload::Bytes(bytes),
            _ => Payload::Bytes(&[]),
        };
        let request = Request { method: text(method, "request.method")?, url, headers: &headers, payload };
        let signed;
        let presigned;
        let (presigned_url, added) = if presign == Value::Bool(true) {
            let expires_in = match expires_in {
                Value::Number(n) if (1.0..=f64::from(MAX_EXPIRES_SECONDS)).contains(&n) && f64::from(n as u32) == n => {
                    n as u32
                }
                _ => {
                    let mut message = String::new();
                    push_pieces!(
                        &mut message;
                        "options.expiresIn must be an integer from 1 to ",
                        MAX_EXPIRES_SECONDS,
                        " seconds"
                    );
                    return Err(invalid(&message));
                }
            };
            presigned = self.cache.presign(&request, &key, &settings, expires_in).map_err(core_error)?;
            (Value::Text(&presigned.url), &presigned.headers)
        } else {
            signed = self.cache.sign(&request, &key, &settings).map_err(core_error)?;
            (Value::Absent, &signed.headers)
        };
        let mut reply = Vec::with_capacity(1 + 2 * added.len());
        reply.push(presigned_url);
        for (name, value) in added {
            // The core adds `x-amz-security-token` with the session token only (a caller's copy
            // is replaced; for a presigned URL, x-amz-* headers move into the query), so the
            // name says it: no pass over the token to compare it.
            let value = if name == "x-amz-security-token" { Value::Absent } else { Value::Text(value) };
            reply.extend([Value::Text(name), value]);
        }
        Ok(deliver(&wire::encode(&reply), out))
    }
}
