//! The bodies of the fuzz targets, one function per target: `fuzz_targets/NAME.rs` hands
//! libFuzzer's input to the function of the same name, and the corpus replay
//! (`cli/tests/fuzz_corpus.rs`, run by `scripts/test`) feeds it every file of
//! `fuzz/corpus/NAME/` without libFuzzer. Each function takes hostile bytes and panics only when
//! a property it checks fails (a panic inside the library counts as a failure too).
//!
//! Properties beyond "no panic": `time` prints and re-reads; `arn` reassembles the parts it
//! parsed; `endpoint` gives the same request again for the URL it produced; `json_reader` and
//! `json_writer` agree with serde_json; `wire` decodes and re-encodes byte for byte;
//! `x509_differential` agrees with RustCrypto's `x509-cert` (see that function for where the two
//! differ on purpose).

#![forbid(unsafe_code)]

use rolesanywhere::sigv4::{self, payload_hash, uri_encode_into, CanonicalRequest, Key, PathOptions, Payload};
use rolesanywhere::{Arn, ArnField, Certificate, CreateSession, PrivateKey, Region, Time};

/// The body of a target: takes libFuzzer's input, panics on a failed property.
pub type Target = fn(&[u8]);

/// Every target, by name.
pub const TARGETS: &[(&str, Target)] = &[
    ("canonical_request", canonical_request),
    ("certificate", certificate),
    ("private_key", private_key),
    ("response", response),
    ("sigv4", sigv4),
    ("time", time),
    ("arn", arn),
    ("endpoint", endpoint),
    ("json_reader", json_reader),
    ("json_writer", json_writer),
    ("wire", wire),
    ("x509_differential", x509_differential),
];

/// The ARNs of the requests the targets build (us-west-2).
const ANCHOR: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111";
const PROFILE: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:profile/a1b2c3d4-5678-90ab-cdef-EXAMPLE22222";
const ROLE: &str = "arn:aws:iam::123456789012:role/demo";

/// Input: method, path, query, then header lines `name:value`, all separated by '\n', through
/// `CanonicalRequest::new` with both path options, and `uri_encode_into`.
pub fn canonical_request(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\n');
    let method = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("");
    let query = parts.next().unwrap_or("");
    let headers: Vec<(&str, &str)> = parts.map(|line| line.split_once(':').unwrap_or((line, ""))).collect();
    let hash = payload_hash(data);
    let mut encoded = String::new();
    uri_encode_into(path, true, &mut encoded);
    uri_encode_into(query, false, &mut encoded);
    for options in [PathOptions::DEFAULT, PathOptions::S3] {
        let request = CanonicalRequest::new(method, path, query, &headers, &hash, options);
        let _ = request.as_str();
        let _ = request.signed_headers();
        let _ = request.hash_hex();
    }
}

fn exercise(cert: &Certificate) {
    let _ = cert.der();
    let _ = cert.serial_number();
    let _ = cert.serial_bytes();
    let _ = cert.version();
    let _ = cert.not_before().to_string();
    let _ = cert.not_after().to_string();
    let _ = cert.subject_common_name();
    let _ = cert.issuer_common_name();
    let _ = cert.public_key().key_type();
    let _ = cert.key_type();
    let _ = cert.uri_sans();
    let _ = cert.dns_sans();
    let _ = cert.is_ca();
    let _ = cert.check_end_entity(Time::UNIX_EPOCH);
    let _ = cert.check_end_entity(cert.not_before());
}

/// `parse_certificates`, `parse_intermediates`, `Certificate::parse` and `from_der` on PEM or
/// DER, then every accessor of each certificate parsed.
pub fn certificate(data: &[u8]) {
    match rolesanywhere::parse_certificates(data) {
        Ok(certs) => certs.iter().for_each(exercise),
        Err(e) => drop(e.to_string()),
    }
    let _ = rolesanywhere::parse_intermediates(data);
    if let Ok(cert) = Certificate::parse(data) {
        exercise(&cert);
    }
    if let Ok(cert) = Certificate::from_der(data) {
        exercise(&cert);
    }
}

/// `PrivateKey::parse` on PEM or DER (PKCS#8, SEC1, PKCS#1), then `key_type()`.
pub fn private_key(data: &[u8]) {
    match PrivateKey::parse(data) {
        Ok(key) => drop(key.key_type().to_string()),
        Err(e) => drop(e.to_string()),
    }
}

/// `parse_response(status, None, body)`, the status being the first 2 bytes (big-endian).
pub fn response(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let status = u16::from_be_bytes([data[0], data[1]]);
    match rolesanywhere::parse_response(status, None, &data[2..]) {
        Ok(session) => drop(session.credentials.expiration().to_string()),
        Err(e) => drop(e.to_string()),
    }
}

/// Input: method, URL, service, region, then header lines `name:value`, all separated by '\n';
/// the whole input is also the body. Signing and presigning return Ok or a `SigV4Error`.
pub fn sigv4(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\n');
    let method = parts.next().unwrap_or("");
    let url = parts.next().unwrap_or("");
    let service = parts.next().unwrap_or("");
    let region = parts.next().unwrap_or("");
    let headers: Vec<(&str, &str)> = parts.map(|line| line.split_once(':').unwrap_or((line, ""))).collect();
    let key = Key { access_key_id: "AKID", secret_access_key: "secret", session_token: Some("token") };
    let time = Time::from_unix_seconds(1_700_000_000).unwrap();
    for payload in [Payload::Bytes(data), Payload::Unsigned] {
        let request = sigv4::Request { method, url, headers: &headers, payload };
        let settings = sigv4::Settings::new(service, region, time);
        let _ = sigv4::sign(&request, &key, &settings);
        let _ = sigv4::presign(&request, &key, &settings, 3600);
    }
}

/// `Time::parse_rfc3339`; a time that parses prints as text that parses to the same time.
pub fn time(data: &[u8]) {
    let Ok(input) = core::str::from_utf8(data) else { return };
    if let Ok(t) = Time::parse_rfc3339(input) {
        let printed = t.to_string();
        assert_eq!(Time::parse_rfc3339(&printed), Ok(t), "{input:?} printed as {printed:?}");
        let _ = (t.amz_date(), t.date_stamp(), t.to_utc());
    }
}

/// `Arn::parse` for each of the three fields, `Arn::check_in` and `Region::parse`. An ARN that
/// parses is its parts joined with `:`, of printable ASCII, with a 12-digit account; a Roles
/// Anywhere ARN has a region that parses and can be used in that region exactly when the ARN's
/// partition is the region's. A region that parses names itself, and its default endpoint (in
/// the `amazonaws.com[.cn]` partitions) is a host from which SigV4 infers the same region.
pub fn arn(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else { return };
    let regions = ["us-west-2", "cn-north-1", "us-gov-west-1", "us-iso-east-1", "eusc-de-east-1"];
    for field in [ArnField::TrustAnchor, ArnField::Profile, ArnField::Role] {
        let arn = match Arn::parse(field, text) {
            Ok(arn) => arn,
            Err(reason) => {
                assert!(!reason.is_empty());
                continue;
            }
        };
        let joined = format!("arn:{}:{}:{}:{}:{}", arn.partition, arn.service, arn.region, arn.account, arn.resource);
        assert_eq!(joined, text);
        assert!(text.len() <= 1011 && text.bytes().all(|b| (0x21..=0x7e).contains(&b)), "{text:?}");
        assert!(arn.account.len() == 12 && arn.account.bytes().all(|b| b.is_ascii_digit()), "{text:?}");
        if field == ArnField::Role {
            assert!(arn.region.is_empty() && arn.service == "iam", "{text:?}");
        } else {
            assert_eq!(arn.service, "rolesanywhere");
            let own = Region::parse(arn.region).expect("a Roles Anywhere ARN's region parses");
            assert_eq!(arn.check_in(field, &own).is_ok(), own.partition == arn.partition, "{text:?}");
        }
        for name in regions {
            if let Err(e) = arn.check_in(field, &Region::parse(name).unwrap()) {
                assert!(!e.to_string().is_empty());
            }
        }
    }
    if let Some(region) = Region::parse(text) {
        assert_eq!(region.name, text);
        let amazonaws = matches!(region.dns_suffix, "amazonaws.com" | "amazonaws.com.cn");
        // S3's legacy host form `s3-REGION` takes precedence in SigV4's host rules.
        if amazonaws && !text.starts_with("s3-") {
            for fips in [false, true] {
                let endpoint = region.default_endpoint("rolesanywhere", fips);
                assert_eq!(
                    sigv4::infer_scope(&endpoint),
                    Ok(("rolesanywhere".to_string(), text.to_string())),
                    "{endpoint}"
                );
            }
        }
    }
}

/// A P-256 leaf valid from 2024 to 2034 (`CN=fuzz`, digitalSignature), DER written here: the
/// requests the targets build need a certificate, and nothing verifies its signature.
fn leaf() -> &'static Certificate {
    static LEAF: std::sync::OnceLock<Certificate> = std::sync::OnceLock::new();
    LEAF.get_or_init(|| {
        fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
            let mut out = vec![tag];
            match content.len() {
                n @ 0..=0x7f => out.push(n as u8),
                n @ 0x80..=0xff => out.extend([0x81, n as u8]),
                n => out.extend([0x82, (n >> 8) as u8, n as u8]),
            }
            out.extend_from_slice(content);
            out
        }
        let seq = |parts: &[&[u8]]| tlv(0x30, &parts.concat());
        let ecdsa_sha256 = seq(&[&[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]]);
        let cn = |name: &str| seq(&[&tlv(0x31, &seq(&[&[0x06, 0x03, 0x55, 0x04, 0x03], &tlv(0x0c, name.as_bytes())]))]);
        let ec_p256 = seq(&[
            &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01],
            &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
        ]);
        let point = [&[0x00, 0x04][..], &[0x11; 64]].concat();
        let key_usage =
            seq(&[&[0x06, 0x03, 0x55, 0x1d, 0x0f], &[0x01, 0x01, 0xff], &tlv(0x04, &[0x03, 0x02, 0x07, 0x80])]);
        let tbs = seq(&[
            &[0xa0, 0x03, 0x02, 0x01, 0x02],
            &[0x02, 0x03, 0x01, 0x02, 0x03],
            &ecdsa_sha256,
            &cn("fuzz CA"),
            &seq(&[&tlv(0x17, b"240101000000Z"), &tlv(0x17, b"340101000000Z")]),
            &cn("fuzz"),
            &seq(&[&ec_p256, &tlv(0x03, &point)]),
            &tlv(0xa3, &seq(&[&key_usage])),
        ]);
        let der = seq(&[&tbs, &ecdsa_sha256, &tlv(0x03, &[0x00, 0x00])]);
        Certificate::from_der(&der).expect("the fuzz targets' leaf parses")
    })
}

/// When the targets' requests are signed.
fn request_time() -> Time {
    Time::parse_rfc3339("2024-06-01T12:00:30Z").unwrap()
}

/// A DER ECDSA signature of the right form (nothing checks it against the key).
const FAKE_ECDSA_SIGNATURE: &[u8] = &[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01];

/// The request `CreateSession` builds for these options, finished with a fake signature.
fn build(session: CreateSession<'_>) -> Option<(rolesanywhere::SignedRequest, String)> {
    let unsigned = session.prepare(request_time()).map_err(|e| assert!(!e.to_string().is_empty())).ok()?;
    let string_to_sign = unsigned.string_to_sign().to_string();
    Some((unsigned.finish(FAKE_ECDSA_SIGNATURE).expect("a DER signature finishes the request"), string_to_sign))
}

/// The input as `CreateSession`'s endpoint option (the one URL parser of the core, which SigV4
/// also uses). A request it builds goes to `ENDPOINT-PATH/sessions` on an http(s) URL whose
/// authority is the signed `Host`; a host from which SigV4 infers Roles Anywhere names the
/// region signed for; and the URL without `/sessions`, given as the endpoint again, gives the
/// same request (the endpoint is normalised once).
pub fn endpoint(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else { return };
    let _ = sigv4::infer_scope(text);
    let Some((request, string_to_sign)) = build(CreateSession::new(leaf(), ANCHOR, PROFILE, ROLE).endpoint(text))
    else {
        return;
    };
    let url = &request.url;
    let base = url.strip_suffix("/sessions").unwrap_or_else(|| panic!("{url} does not end in /sessions"));
    let after_scheme = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or_else(|| panic!("{url} is not http(s)"));
    let authority = after_scheme.split('/').next().unwrap_or_default();
    let host = request.headers.iter().find(|(n, _)| n == "Host").map(|(_, v)| v.as_str());
    assert_eq!(host, Some(authority), "{text:?} → {url}");
    let region = string_to_sign.lines().nth(2).and_then(|scope| scope.split('/').nth(1)).unwrap_or_default();
    if let Ok((service, inferred)) = sigv4::infer_scope(url) {
        if service == "rolesanywhere" {
            assert_eq!(inferred, region, "{text:?} → {url} is signed for {region}");
        }
    }
    let again = build(CreateSession::new(leaf(), ANCHOR, PROFILE, ROLE).endpoint(base));
    let (again, again_string_to_sign) = again.unwrap_or_else(|| panic!("{text:?} → {url}: {base} is refused"));
    assert_eq!((&again, &again_string_to_sign), (&request, &string_to_sign), "{text:?} → {base}");
}

/// A JSON value as serde_json reads it, with what the core's reader refuses on top of RFC 8259
/// (duplicate keys; depth and member limits, checked in [`within_limits`]).
enum Json {
    Null,
    Bool,
    Number,
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Json;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Json, E> {
                Ok(Json::Bool)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Json, E> {
                Ok(Json::Number)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Json, E> {
                Ok(Json::Number)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Json, E> {
                Ok(Json::Number)
            }
            fn visit_str<E>(self, s: &str) -> Result<Json, E> {
                Ok(Json::String(s.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut members: Vec<(String, Json)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if members.iter().any(|(k, _)| *k == key) {
                        return Err(serde::de::Error::custom("duplicate key"));
                    }
                    let value = map.next_value()?;
                    members.push((key, value));
                }
                Ok(Json::Object(members))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn string(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Json::String(s)) => Some(s),
            _ => None,
        }
    }
}

/// The core's reader's limits: 32 levels of arrays and objects, 256 members in an object.
fn within_limits(value: &Json, depth: usize) -> bool {
    match value {
        Json::Array(items) => depth < 32 && items.iter().all(|v| within_limits(v, depth + 1)),
        Json::Object(members) => {
            depth < 32 && members.len() <= 256 && members.iter().all(|(_, v)| within_limits(v, depth + 1))
        }
        Json::Null | Json::Bool | Json::Number | Json::String(_) => true,
    }
}

/// How `parse_response` shows a message: control characters as spaces, cut at 512 characters.
fn shown(text: &str) -> String {
    let mut out: String = text.chars().take(512).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.chars().nth(512).is_some() {
        out.push('…');
    }
    out
}

/// The core's JSON reader (through `parse_response`, its one caller) against serde_json on the
/// same bytes. serde_json is stricter in one place: numbers beyond `f64` (`1e400`), which the
/// core only checks for form (it never reads a number); such inputs are skipped. Otherwise:
/// the message of an error answer is the body's `message` (or `Message`) exactly when serde_json
/// reads the body as JSON within the core's limits, and a success answer is read only from JSON
/// serde_json reads too, with the same credentials.
pub fn json_reader(data: &[u8]) {
    if data.len() > rolesanywhere::MAX_RESPONSE_LEN {
        return;
    }
    let theirs = match serde_json::from_slice::<Json>(data) {
        Err(e) if e.to_string().starts_with("number out of range") => return,
        Err(_) => None,
        Ok(value) => within_limits(&value, 0).then_some(value),
    };
    let expected_message = match &theirs {
        Some(value) => match value.get("message") {
            None | Some(Json::Null) => value.string("Message").map(shown).unwrap_or_default(),
            Some(Json::String(s)) => shown(s),
            Some(_) => String::new(),
        },
        None => String::new(),
    };
    match rolesanywhere::parse_response(400, Some("ValidationException"), data) {
        Err(rolesanywhere::ResponseError::Service(e)) => {
            assert_eq!(e.message, expected_message, "{:?}", String::from_utf8_lossy(data));
        }
        other => panic!("a 400 answer reads as a service error, not {other:?}"),
    }
    if let Ok(session) = rolesanywhere::parse_response(201, None, data) {
        let value = theirs.unwrap_or_else(|| panic!("accepted, but not JSON: {:?}", String::from_utf8_lossy(data)));
        let Some(Json::Array(set)) = value.get("credentialSet") else { panic!("no credentialSet array") };
        let credentials = set.first().and_then(|item| item.get("credentials")).expect("credentials");
        let c = &session.credentials;
        assert_eq!(credentials.string("accessKeyId"), Some(c.access_key_id()));
        assert_eq!(credentials.string("secretAccessKey"), Some(c.secret_access_key()));
        assert_eq!(credentials.string("sessionToken"), Some(c.session_token()));
        assert_eq!(value.string("subjectArn"), session.subject_arn.as_deref());
    }
}

/// The core's JSON writer (the `CreateSession` body): lines of the input are the role ARN's
/// path and name after `role/`, the `roleSessionName` and `durationSeconds`. The body of a
/// request that builds is byte for byte what serde_json writes for the same members.
pub fn json_writer(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else { return };
    let mut lines = text.split('\n');
    let role = format!("arn:aws:iam::123456789012:role/{}", lines.next().unwrap_or_default());
    let session_name = lines.next().filter(|s| !s.is_empty());
    let duration = lines.next().and_then(|s| s.parse::<u64>().ok());
    let session =
        CreateSession::new(leaf(), ANCHOR, PROFILE, &role).role_session_name(session_name).duration_seconds(duration);
    let Some((request, _)) = build(session) else { return };
    // Members in the order the writer puts them (the API reference's, alphabetical).
    let mut expected = serde_json::Map::new();
    if let Some(seconds) = duration {
        expected.insert("durationSeconds".into(), seconds.into());
    }
    expected.insert("profileArn".into(), PROFILE.into());
    expected.insert("roleArn".into(), role.clone().into());
    if let Some(name) = session_name {
        expected.insert("roleSessionName".into(), name.into());
    }
    expected.insert("trustAnchorArn".into(), ANCHOR.into());
    let expected = serde_json::to_string(&serde_json::Value::Object(expected)).unwrap();
    assert_eq!(request.body, expected, "{text:?}");
}

/// The first `n` bytes of `rest` (fewer at its end), taken off it.
fn take<'a>(rest: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (taken, after) = rest.split_at(n.min(rest.len()));
    *rest = after;
    taken
}

/// The JS↔wasm wire codec (`rolesanywhere::fuzzing`, the core's `src/wasm/wire.rs`): a message
/// that decodes encodes back to the same bytes; values built from the input encode to a message
/// that decodes to them; records split into their pairs.
pub fn wire(data: &[u8]) {
    use rolesanywhere::fuzzing::{decode, encode, encode_record, pairs, Value};
    if let Ok(values) = decode(data) {
        assert_eq!(encode(&values), data);
        for pair in pairs(&values) {
            let _ = pair.map(|(name, value)| (name.len(), value.option()));
        }
    }
    // Values from the input: a tag byte, then what that value takes from the bytes after it.
    let mut values = Vec::new();
    let mut rest = data;
    while let Some((&tag, after)) = rest.split_first() {
        rest = after;
        values.push(match tag % 7 {
            0 => Value::Absent,
            1 => Value::Bool(tag & 0x80 != 0),
            2 => {
                let mut bits = [0; 8];
                let taken = take(&mut rest, 8);
                bits[..taken.len()].copy_from_slice(taken);
                Value::Number(f64::from_le_bytes(bits))
            }
            3 | 4 => {
                let n = usize::from(tag >> 3);
                let bytes = take(&mut rest, n);
                match (tag % 7, core::str::from_utf8(bytes)) {
                    (3, Ok(text)) => Value::Text(text),
                    _ => Value::Bytes(bytes),
                }
            }
            _ => Value::Other,
        });
    }
    let message = encode(&values);
    let decoded = decode(&message).expect("an encoded message decodes");
    // Numbers compare by their bits (NaN is not equal to itself).
    let same = |a: &Value<'_>, b: &Value<'_>| match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    };
    assert!(decoded.len() == values.len() && decoded.iter().zip(&values).all(|(a, b)| same(a, b)));
    let fields: Vec<(&str, Value<'_>)> =
        values.iter().filter_map(|v| if let Value::Text(t) = v { Some((*t, *v)) } else { None }).collect();
    let record = encode_record(&fields);
    let decoded = decode(&record).expect("an encoded record decodes");
    assert_eq!(pairs(&decoded).count(), fields.len());
    assert!(pairs(&decoded).all(|p| p.is_ok()));
}

/// The core's certificate parser against RustCrypto's `x509-cert` on the same DER.
///
/// The core reads only what Roles Anywhere needs and skips the rest as any DER (the signature
/// algorithm's parameters, attribute value types, the contents of other extensions, the order of
/// the optional fields): it accepts certificates `x509-cert` refuses, and that is not checked.
/// Where `x509-cert` accepts, the core must too, except for its own checks, each asserted to
/// hold when the core refuses: the input size limit, duplicate extensions (RFC 5280 §4.2), a
/// malformed basic constraints, key usage or subject alternative name extension, a public key
/// that does not decode (EC without a named curve, RSA that is not an `RSAPublicKey`, ML-DSA
/// with parameters or of the wrong length, a key BIT STRING with unused bits), and validity
/// dates it cannot represent. Where both accept: version, serial, validity, subject and issuer
/// CN, DNS and URI SANs, basic constraints and the key type agree.
pub fn x509_differential(data: &[u8]) {
    use x509_cert::der::Decode as _;
    let ours = Certificate::from_der(data);
    let Ok(theirs) = x509_cert::Certificate::from_der(data) else { return };
    let tbs = theirs.tbs_certificate();
    let ours = match ours {
        Ok(cert) => cert,
        Err(e) => {
            let why = our_stricter_check(data, &theirs);
            assert!(why.is_some(), "x509-cert accepts, the core refuses ({e}), for no documented reason");
            return;
        }
    };
    let version = match tbs.version() {
        x509_cert::certificate::Version::V1 => 1,
        x509_cert::certificate::Version::V2 => 2,
        x509_cert::certificate::Version::V3 => 3,
    };
    assert_eq!(ours.version(), version);
    assert_eq!(ours.serial_bytes(), tbs.serial_number().as_bytes());
    let validity = tbs.validity();
    assert_eq!(ours.not_before().unix_seconds(), validity.not_before.to_unix_duration().as_secs());
    assert_eq!(ours.not_after().unix_seconds(), validity.not_after.to_unix_duration().as_secs());
    if let Some(cn) = first_cn(tbs.subject()) {
        assert_eq!(ours.subject_common_name(), Some(cn.as_str()));
    }
    if let Some(cn) = first_cn(tbs.issuer()) {
        assert_eq!(ours.issuer_common_name(), Some(cn.as_str()));
    }
    use x509_cert::ext::pkix::{name::GeneralName, BasicConstraints, SubjectAltName};
    if let Ok(Some((_, SubjectAltName(names)))) = tbs.get_extension::<SubjectAltName>() {
        let of = |pick: fn(&GeneralName) -> Option<String>| names.iter().filter_map(pick).collect::<Vec<_>>();
        let dns = of(|n| if let GeneralName::DnsName(s) = n { Some(s.to_string()) } else { None });
        let uri = of(|n| if let GeneralName::UniformResourceIdentifier(s) = n { Some(s.to_string()) } else { None });
        assert_eq!((ours.dns_sans(), ours.uri_sans()), (&dns[..], &uri[..]));
    }
    match tbs.get_extension::<BasicConstraints>() {
        Ok(Some((_, bc))) => assert_eq!(ours.is_ca(), Some(bc.ca)),
        Ok(None) => assert_eq!(ours.is_ca(), None),
        Err(_) => {}
    }
    let spki = tbs.subject_public_key_info();
    let (algorithm, parameters) = (spki.algorithm.oid.to_string(), spki.algorithm.parameters.as_ref());
    let curve = parameters.and_then(|p| p.decode_as::<x509_cert::der::asn1::ObjectIdentifier>().ok());
    use rolesanywhere::{KeyType, PublicKey};
    match ours.public_key() {
        PublicKey::Ec { key_type, .. } => {
            assert_eq!(algorithm, "1.2.840.10045.2.1");
            let expected = if *key_type == KeyType::EcdsaP256 { "1.2.840.10045.3.1.7" } else { "1.3.132.0.34" };
            assert_eq!(curve.map(|c| c.to_string()).as_deref(), Some(expected));
        }
        PublicKey::Rsa { .. } => assert_eq!(algorithm, "1.2.840.113549.1.1.1"),
        PublicKey::MlDsa { key_type, key } => {
            let arc = match key_type {
                KeyType::MlDsa44 => 17,
                KeyType::MlDsa65 => 18,
                _ => 19,
            };
            assert_eq!(algorithm, format!("2.16.840.1.101.3.4.3.{arc}"));
            assert_eq!(Some(key.as_slice()), spki.subject_public_key.as_bytes());
        }
        _ => {}
    }
}

/// Which of the core's own checks refuses a certificate `x509-cert` reads (see
/// [`x509_differential`]), judged from `x509-cert`'s reading of it.
fn our_stricter_check(data: &[u8], theirs: &x509_cert::Certificate) -> Option<&'static str> {
    use x509_cert::der::asn1::ObjectIdentifier;
    use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, SubjectAltName};
    if data.len() > rolesanywhere::MAX_INPUT_LEN {
        return Some("larger than the core reads");
    }
    let tbs = theirs.tbs_certificate();
    let extensions = tbs.extensions().map(|e| e.as_slice()).unwrap_or_default();
    if extensions.iter().enumerate().any(|(i, e)| extensions[..i].iter().any(|f| f.extn_id == e.extn_id)) {
        return Some("duplicate extension");
    }
    if tbs.get_extension::<BasicConstraints>().is_err()
        || tbs.get_extension::<KeyUsage>().is_err()
        || tbs.get_extension::<SubjectAltName>().is_err()
    {
        return Some("a malformed extension of the three the core reads");
    }
    // The core reads BasicConstraints more leniently than x509-cert, KeyUsage as a plain BIT
    // STRING, and SANs as any GeneralName, so these decode for it whenever they do for x509-cert.
    let spki = tbs.subject_public_key_info();
    let key = spki.subject_public_key.as_bytes();
    let parameters = spki.algorithm.parameters.as_ref();
    let bad_key = match spki.algorithm.oid.to_string().as_str() {
        _ if key.is_none() => true,
        "1.2.840.10045.2.1" => parameters.and_then(|p| p.decode_as::<ObjectIdentifier>().ok()).is_none(),
        "1.2.840.113549.1.1.1" => key.is_some_and(|k| !is_rsa_public_key(k)),
        "2.16.840.1.101.3.4.3.17" => parameters.is_some() || key.map(<[u8]>::len) != Some(1312),
        "2.16.840.1.101.3.4.3.18" => parameters.is_some() || key.map(<[u8]>::len) != Some(1952),
        "2.16.840.1.101.3.4.3.19" => parameters.is_some() || key.map(<[u8]>::len) != Some(2592),
        _ => false,
    };
    if bad_key {
        return Some("a public key that does not decode");
    }
    let validity = tbs.validity();
    let representable =
        |t: &x509_cert::time::Time| rolesanywhere::Time::from_unix_seconds(t.to_unix_duration().as_secs());
    if representable(&validity.not_before).is_err() || representable(&validity.not_after).is_err() {
        return Some("a validity date outside what the core represents");
    }
    None
}

/// `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`, both non-negative.
fn is_rsa_public_key(der: &[u8]) -> bool {
    use x509_cert::der::{asn1::UintRef, Decode, Reader, SliceReader};
    let Ok(mut reader) = SliceReader::new(der) else { return false };
    let ok = reader.sequence(|s| {
        UintRef::decode(s)?;
        UintRef::decode(s)
    });
    ok.is_ok() && reader.is_finished()
}

/// The first common name of a `Name`, when it is a UTF8String, PrintableString or IA5String
/// (the core shows other string types lossily, which is not compared).
fn first_cn(name: &x509_cert::name::Name) -> Option<String> {
    use x509_cert::der::{Tag, Tagged};
    let cn = x509_cert::der::asn1::ObjectIdentifier::new_unwrap("2.5.4.3");
    let attribute = name.iter().find(|a| a.oid == cn)?;
    match attribute.value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String => {
            Some(std::str::from_utf8(attribute.value.value()).ok()?.to_string())
        }
        _ => None,
    }
}
