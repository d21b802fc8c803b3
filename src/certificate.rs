//! X.509 certificates: the leaf that signs `CreateSession` and the intermediates sent with it.
//!
//! Only what the protocol needs is read: serial number, validity, subject and issuer common
//! names, the public key, and the three extensions that decide whether AWS accepts the leaf
//! (basic constraints, key usage, subject alternative names). The parse never panics, whatever
//! the input; signatures on the certificates are not verified here (AWS does that against the
//! trust anchor).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use der::asn1::ObjectIdentifier;

use crate::algorithm::{
    bit_length, curve_name, oid_name, KeyType, OID_EC_PUBLIC_KEY, OID_P256, OID_P384, OID_RSA_ENCRYPTION,
};
use crate::asn1::{self, Reader};
use crate::error::{push_pieces, ErrorCode, Piece};
use crate::pem::MAX_INPUT_LEN;
use crate::pem::{self, PemError};
use crate::time::Time;

/// Most intermediates AWS takes in `X-Amz-X509-Chain` (\[A\], "Authentication mechanism":
/// "a chain of up to 5 intermediate certificates").
pub const MAX_INTERMEDIATES: usize = 5;

/// Why a certificate was refused. Carries facts, never certificate or key bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    /// The input is larger than this library reads.
    TooLarge {
        /// Size of the input in bytes.
        len: usize,
    },
    /// The PEM text could not be read.
    Pem(PemError),
    /// A PEM block holds something other than a certificate.
    WrongPemLabel {
        /// The label found, e.g. `PRIVATE KEY`.
        found: String,
    },
    /// The input holds no certificate.
    Empty,
    /// The DER structure is invalid; names the part that failed to parse.
    Malformed {
        /// The field being read, e.g. `validity`.
        field: &'static str,
    },
    /// The certificate is not X.509 version 3.
    NotVersion3 {
        /// The version found (1 or 2).
        version: u8,
    },
    /// The subject name is empty.
    EmptySubject,
    /// A leaf has basic constraints `CA:TRUE`.
    IsCa,
    /// A leaf's key usage lacks `digitalSignature` (or the extension is missing).
    MissingDigitalSignature,
    /// The certificate expired before the given time.
    Expired {
        /// The certificate's `notAfter`.
        not_after: Time,
        /// The time it was checked at.
        now: Time,
    },
    /// The certificate is not valid yet at the given time.
    NotYetValid {
        /// The certificate's `notBefore`.
        not_before: Time,
        /// The time it was checked at.
        now: Time,
    },
    /// The issuer signed the certificate with a hash weaker than SHA-256, or an unknown algorithm.
    WeakSignatureAlgorithm {
        /// Name or dotted OID of the algorithm.
        algorithm: String,
    },
    /// The certificate's public key is not one Roles Anywhere signs with here (ECDSA P-256/P-384,
    /// RSA 2048-4096, ML-DSA-44/65/87).
    UnsupportedPublicKey {
        /// Name or dotted OID of the key algorithm.
        algorithm: String,
    },
    /// More intermediates than AWS accepts.
    TooManyIntermediates {
        /// Number given.
        count: usize,
    },
}

impl Piece for CertificateError {
    fn push_to(&self, out: &mut String) {
        use CertificateError::*;
        match self {
            TooLarge { len } => {
                push_pieces!(out; "certificate input is ", len, " bytes, more than the ", MAX_INPUT_LEN, " allowed")
            }
            Pem(e) => push_pieces!(out; "certificate: ", e),
            WrongPemLabel { found } => push_pieces!(out; "expected a CERTIFICATE PEM block, found ", found),
            Empty => out.push_str("no certificate found in the input"),
            Malformed { field } => push_pieces!(out; "malformed certificate: cannot parse ", field),
            NotVersion3 { version } => push_pieces!(out; "certificate is X.509 v", version, "; AWS requires v3"),
            EmptySubject => out.push_str("certificate subject is empty"),
            IsCa => {
                out.push_str("certificate is a CA (basic constraints CA:TRUE); AWS requires an end-entity certificate")
            }
            MissingDigitalSignature => {
                out.push_str("certificate key usage does not include digitalSignature, which AWS requires")
            }
            Expired { not_after, now } => {
                push_pieces!(out; "certificate expired at ", not_after, " (checked at ", now, ")")
            }
            NotYetValid { not_before, now } => {
                push_pieces!(out; "certificate is not valid until ", not_before, " (checked at ", now, ")")
            }
            WeakSignatureAlgorithm { algorithm } => {
                push_pieces!(out; "certificate is signed with ", algorithm, "; AWS requires SHA-256 or stronger")
            }
            UnsupportedPublicKey { algorithm } => push_pieces!(
                out;
                "certificate key ",
                algorithm,
                " is not supported (ECDSA P-256/P-384, RSA 2048-4096 or ML-DSA)"
            ),
            TooManyIntermediates { count } => {
                push_pieces!(out; count, " intermediate certificates given; AWS accepts at most ", MAX_INTERMEDIATES)
            }
        }
    }
}

impl CertificateError {
    /// The stable code: always [`ErrorCode::InvalidCertificate`].
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidCertificate
    }
}

#[cfg(feature = "std")]
impl std::error::Error for CertificateError {}

/// The public key of a certificate, as far as this library uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKey {
    /// An ECDSA key on P-256 or P-384; `point` is the SEC1 encoded point.
    Ec {
        /// Which curve.
        key_type: KeyType,
        /// SEC1 point, uncompressed (`04…`) or compressed.
        point: Vec<u8>,
    },
    /// An RSA key.
    Rsa {
        /// Modulus, big-endian, without leading zeros.
        modulus: Vec<u8>,
        /// Public exponent, big-endian, without leading zeros.
        exponent: Vec<u8>,
    },
    /// An ML-DSA key (FIPS 204; SPKI algorithm `id-ml-dsa-44/65/87`, RFC 9881).
    MlDsa {
        /// Which parameter set.
        key_type: KeyType,
        /// The encoded public key (`pkEncode`, the SPKI's `subjectPublicKey`), of
        /// [`KeyType::ml_dsa_public_key_len`] bytes; [`crate::verify_ml_dsa`] takes it.
        key: Vec<u8>,
    },
    /// Any other key; `algorithm` names it (e.g. `Ed25519`, or a dotted OID).
    Unsupported {
        /// Name or dotted OID of the key algorithm or curve.
        algorithm: String,
    },
}

impl PublicKey {
    /// The key type, when it is one this library signs with.
    pub fn key_type(&self) -> Result<KeyType, CertificateError> {
        match self {
            PublicKey::Ec { key_type, .. } | PublicKey::MlDsa { key_type, .. } => Ok(*key_type),
            PublicKey::Rsa { modulus, .. } => {
                let bits = bit_length(modulus);
                if (2048..=4096).contains(&bits) {
                    Ok(KeyType::Rsa { bits })
                } else {
                    Err(CertificateError::UnsupportedPublicKey {
                        algorithm: crate::error::text(&KeyType::Rsa { bits }),
                    })
                }
            }
            PublicKey::Unsupported { algorithm } => {
                Err(CertificateError::UnsupportedPublicKey { algorithm: algorithm.clone() })
            }
        }
    }
}

/// A parsed X.509 certificate: its DER bytes and the fields Roles Anywhere looks at.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    /// `der` in standard base64, as sent in `X-Amz-X509` / `X-Amz-X509-Chain` (computed once).
    der_base64: String,
    version: u8,
    serial: Vec<u8>,
    /// `serial` in decimal, as [`Certificate::serial_number`] returns it (computed once).
    serial_decimal: String,
    /// The contents of the `signatureAlgorithm` OID.
    signature_algorithm: Vec<u8>,
    subject_empty: bool,
    subject_cn: Option<String>,
    issuer_cn: Option<String>,
    not_before: Time,
    not_after: Time,
    public_key: PublicKey,
    is_ca: Option<bool>,
    digital_signature: Option<bool>,
    uri_sans: Vec<String>,
    dns_sans: Vec<String>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("serial", &self.serial_number())
            .field("subject_cn", &self.subject_cn)
            .field("issuer_cn", &self.issuer_cn)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("uri_sans", &self.uri_sans)
            .finish_non_exhaustive()
    }
}

impl Certificate {
    /// Parses one certificate from PEM (exactly one `CERTIFICATE` block) or DER.
    pub fn parse(input: &[u8]) -> Result<Self, CertificateError> {
        let mut all = parse_certificates(input)?;
        match all.len() {
            1 => Ok(all.remove(0)),
            0 => Err(CertificateError::Empty),
            _ => Err(CertificateError::Malformed { field: "input (more than one certificate where one was expected)" }),
        }
    }

    /// Parses one DER-encoded certificate; trailing bytes are refused.
    pub fn from_der(der: &[u8]) -> Result<Self, CertificateError> {
        if der.len() > MAX_INPUT_LEN {
            return Err(CertificateError::TooLarge { len: der.len() });
        }
        parse_der(der)
    }

    /// The DER encoding, as sent base64-encoded in `X-Amz-X509` / `X-Amz-X509-Chain`.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The serial number in decimal, the `Credential=` value of the `Authorization` header
    /// (\[A\], "Authentication mechanism": "the decimal representation of the serial number").
    ///
    /// A serial with its top bit set is negative in DER; it is printed with a `-`, as Go's
    /// `big.Int` in AWS's credential helper does.
    pub fn serial_number(&self) -> String {
        self.serial_decimal.clone()
    }

    /// The certificate's DER in standard base64 (the `X-Amz-X509` header value).
    pub(crate) fn der_base64(&self) -> &str {
        &self.der_base64
    }

    /// The decimal form of a DER serial number (see [`Certificate::serial_number`]).
    fn decimal_serial(serial: &[u8]) -> String {
        let (negative, magnitude) = serial_magnitude(serial);
        let mut decimal = big_to_decimal(&magnitude);
        if negative {
            decimal.insert(0, '-');
        }
        decimal
    }

    /// The serial number in hex, as Roles Anywhere names sessions by default: see [`serial_hex`].
    pub fn serial_hex(&self) -> String {
        serial_hex(&self.serial)
    }

    /// The serial number's DER content bytes (big-endian two's complement).
    pub fn serial_bytes(&self) -> &[u8] {
        &self.serial
    }

    /// X.509 version: 1, 2 or 3.
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Start of the validity period.
    pub fn not_before(&self) -> Time {
        self.not_before
    }

    /// End of the validity period.
    pub fn not_after(&self) -> Time {
        self.not_after
    }

    /// The subject's first common name, when it has one.
    pub fn subject_common_name(&self) -> Option<&str> {
        self.subject_cn.as_deref()
    }

    /// The issuer's first common name, when it has one.
    pub fn issuer_common_name(&self) -> Option<&str> {
        self.issuer_cn.as_deref()
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The public key type, when it is one this library signs with.
    pub fn key_type(&self) -> Result<KeyType, CertificateError> {
        self.public_key.key_type()
    }

    /// URI subject alternative names, such as a SPIFFE ID.
    pub fn uri_sans(&self) -> &[String] {
        &self.uri_sans
    }

    /// DNS subject alternative names.
    pub fn dns_sans(&self) -> &[String] {
        &self.dns_sans
    }

    /// Basic constraints `cA`, when the extension is present.
    pub fn is_ca(&self) -> Option<bool> {
        self.is_ca
    }

    /// Checks the rules AWS applies to the end-entity (leaf) certificate at time `now`
    /// (\[T\], "Trust model", signature verification: X.509 v3, basic constraints CA false if
    /// present, key usage includes digital signature, signed with SHA-256 or stronger; and valid
    /// at the time of the request). The subject must not be empty (\[T\]: the session's source
    /// identity is the subject CN).
    pub fn check_end_entity(&self, now: Time) -> Result<(), CertificateError> {
        if self.version != 3 {
            return Err(CertificateError::NotVersion3 { version: self.version });
        }
        if self.is_ca == Some(true) {
            return Err(CertificateError::IsCa);
        }
        if self.digital_signature != Some(true) {
            return Err(CertificateError::MissingDigitalSignature);
        }
        check_signature_algorithm(&self.signature_algorithm)?;
        if self.subject_empty {
            return Err(CertificateError::EmptySubject);
        }
        if now < self.not_before {
            return Err(CertificateError::NotYetValid { not_before: self.not_before, now });
        }
        if now > self.not_after {
            return Err(CertificateError::Expired { not_after: self.not_after, now });
        }
        self.key_type().map(|_| ())
    }
}

/// Parses every certificate in `input`: PEM with any number of `CERTIFICATE` blocks, or one
/// DER certificate. Used for intermediates files, which hold a chain.
pub fn parse_certificates(input: &[u8]) -> Result<Vec<Certificate>, CertificateError> {
    if input.len() > MAX_INPUT_LEN {
        return Err(CertificateError::TooLarge { len: input.len() });
    }
    if !pem::is_pem(input) {
        if input.iter().all(u8::is_ascii_whitespace) {
            return Err(CertificateError::Empty);
        }
        return parse_der(input).map(|c| alloc::vec![c]);
    }
    let blocks = pem::decode_blocks(input).map_err(CertificateError::Pem)?;
    blocks
        .iter()
        .map(|block| {
            if block.label != "CERTIFICATE" && block.label != "X509 CERTIFICATE" {
                return Err(CertificateError::WrongPemLabel { found: block.label.clone() });
            }
            parse_der(&block.der)
        })
        .collect()
}

/// Parses intermediates for `X-Amz-X509-Chain`, refusing more than [`MAX_INTERMEDIATES`].
pub fn parse_intermediates(input: &[u8]) -> Result<Vec<Certificate>, CertificateError> {
    let chain = parse_certificates(input)?;
    if chain.len() > MAX_INTERMEDIATES {
        return Err(CertificateError::TooManyIntermediates { count: chain.len() });
    }
    Ok(chain)
}

/// Reads a certificate input that may hold a full chain, as cert-manager's `tls.crt` and most
/// ACME clients write it: the first certificate is the leaf, the others its intermediates, in
/// the file's order (the leaf's issuer first). A file with one certificate gives no
/// intermediates. Join them with intermediates given separately with [`merge_intermediates`],
/// which also applies the [`MAX_INTERMEDIATES`] limit.
pub fn split_full_chain(input: &[u8]) -> Result<(Certificate, Vec<Certificate>), CertificateError> {
    let mut all = parse_certificates(input)?;
    if all.is_empty() {
        return Err(CertificateError::Empty);
    }
    let leaf = all.remove(0);
    Ok((leaf, all))
}

/// The intermediates to send with `leaf`: those of its full-chain file first (see
/// [`split_full_chain`]), then the separately given ones (`--intermediates`, the JS
/// `intermediates` option), each certificate once (the same DER twice, or the leaf itself, is
/// dropped). More than [`MAX_INTERMEDIATES`] after that is
/// [`CertificateError::TooManyIntermediates`].
pub fn merge_intermediates(
    leaf: &Certificate,
    from_chain: Vec<Certificate>,
    given: Vec<Certificate>,
) -> Result<Vec<Certificate>, CertificateError> {
    let mut merged: Vec<Certificate> = Vec::with_capacity(from_chain.len() + given.len());
    for certificate in from_chain.into_iter().chain(given) {
        if certificate.der() != leaf.der() && !merged.iter().any(|c| c.der() == certificate.der()) {
            merged.push(certificate);
        }
    }
    if merged.len() > MAX_INTERMEDIATES {
        return Err(CertificateError::TooManyIntermediates { count: merged.len() });
    }
    Ok(merged)
}

/// Maps a DER error to [`CertificateError::Malformed`] naming `field`.
fn malformed(field: &'static str) -> impl Fn(asn1::Invalid) -> CertificateError {
    move |_| CertificateError::Malformed { field }
}

const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }`
/// (RFC 5280 4.1), with nothing after it.
fn parse_der(der: &[u8]) -> Result<Certificate, CertificateError> {
    let mut reader = Reader::new(der);
    let (tbs, signature_algorithm) = reader
        .sequence(|outer| {
            let (_, tbs) = outer.any_with_encoding()?;
            let signature_algorithm = outer.sequence(|alg| {
                let oid = alg.oid()?;
                alg.skip_rest()?;
                Ok(oid)
            })?;
            outer.bit_string()?;
            Ok((tbs, signature_algorithm))
        })
        .map_err(malformed("certificate"))?;
    reader.finish().map_err(malformed("certificate (trailing bytes)"))?;
    let mut cert = parse_tbs(tbs)?;
    cert.signature_algorithm = signature_algorithm.to_vec();
    cert.der = der.to_vec();
    cert.der_base64 = <base64ct::Base64 as base64ct::Encoding>::encode_string(der);
    cert.serial_decimal = Certificate::decimal_serial(&cert.serial);
    Ok(cert)
}

fn parse_tbs(tbs: &[u8]) -> Result<Certificate, CertificateError> {
    let body = asn1::single(tbs)
        .ok()
        .filter(|t| t.tag == asn1::SEQUENCE)
        .ok_or(CertificateError::Malformed { field: "tbsCertificate" })?;
    let mut r = Reader::new(body.value);

    // version [0] EXPLICIT INTEGER DEFAULT v1; v1..v3 are 0..=2, one content octet in DER.
    let mut version = 1u8;
    if r.peek_tag() == Some(asn1::context(0, true)) {
        let bad = CertificateError::Malformed { field: "version" };
        let explicit = r.any().map_err(|_| bad.clone())?;
        let n = match asn1::single(explicit.value) {
            Ok(asn1::Tlv { tag: asn1::INTEGER, value: &[n] }) => n,
            _ => return Err(bad),
        };
        version = match n {
            0..=2 => n + 1,
            _ => return Err(bad),
        };
    }
    let serial = r.any().map_err(malformed("serialNumber"))?;
    if serial.tag != asn1::INTEGER || serial.value.is_empty() || serial.value.len() > 64 {
        return Err(CertificateError::Malformed { field: "serialNumber" });
    }
    let _signature = r.any().map_err(malformed("signature"))?;
    let issuer = r.any().map_err(malformed("issuer"))?;
    let (issuer_cn, _) = read_name(issuer, "issuer")?;
    let (not_before, not_after) = r.sequence(|v| Ok((read_time(v)?, read_time(v)?))).map_err(malformed("validity"))?;
    let subject = r.any().map_err(malformed("subject"))?;
    let (subject_cn, subject_empty) = read_name(subject, "subject")?;
    let spki = r.any().map_err(malformed("subjectPublicKeyInfo"))?;
    let public_key = read_public_key(spki)?;

    let mut cert = Certificate {
        der: Vec::new(),
        der_base64: String::new(),
        version,
        serial: serial.value.to_vec(),
        serial_decimal: String::new(),
        signature_algorithm: Vec::new(),
        subject_empty,
        subject_cn,
        issuer_cn,
        not_before: not_before.ok_or(CertificateError::Malformed { field: "validity" })?,
        not_after: not_after.ok_or(CertificateError::Malformed { field: "validity" })?,
        public_key,
        is_ca: None,
        digital_signature: None,
        uri_sans: Vec::new(),
        dns_sans: Vec::new(),
    };

    // issuerUniqueID [1], subjectUniqueID [2], extensions [3]
    while !r.is_empty() {
        let field = r.any().map_err(malformed("tbsCertificate"))?;
        if field.tag == asn1::context(3, true) {
            read_extensions(field.value, &mut cert)?;
        } else if field.tag != asn1::context(1, false) && field.tag != asn1::context(2, false) {
            return Err(CertificateError::Malformed { field: "tbsCertificate" });
        }
    }
    Ok(cert)
}

/// Reads `Time ::= CHOICE { utcTime, generalTime }` in RFC 5280's forms (`YYMMDDHHMMSSZ`, years
/// 50-99 in the 1900s; `YYYYMMDDHHMMSSZ`); `None` for a date outside 1970..=9999 or not in the
/// calendar, which this library cannot represent (the caller reports a malformed validity).
fn read_time(r: &mut Reader<'_>) -> asn1::Result<Option<Time>> {
    let tlv = r.any()?;
    let (year, rest) = match (tlv.tag, tlv.value.len()) {
        (asn1::UTC_TIME, 13) => {
            let yy = u16::from(two_digits(&tlv.value[..2])?);
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &tlv.value[2..])
        }
        (asn1::GENERALIZED_TIME, 15) => {
            let year = u16::from(two_digits(&tlv.value[..2])?) * 100 + u16::from(two_digits(&tlv.value[2..4])?);
            (year, &tlv.value[4..])
        }
        _ => return Err(asn1::Invalid),
    };
    // MMDDHHMMSS then Z.
    let [m0, m1, d0, d1, h0, h1, i0, i1, s0, s1, b'Z'] = *rest else { return Err(asn1::Invalid) };
    let [month, day, hour, minute, second] =
        [[m0, m1], [d0, d1], [h0, h1], [i0, i1], [s0, s1]].map(|pair| two_digits(&pair));
    Ok(Time::from_utc(year, month?, day?, hour?, minute?, second?).ok())
}

/// Two ASCII decimal digits.
fn two_digits(pair: &[u8]) -> asn1::Result<u8> {
    match *pair {
        [hi @ b'0'..=b'9', lo @ b'0'..=b'9'] => Ok((hi - b'0') * 10 + (lo - b'0')),
        _ => Err(asn1::Invalid),
    }
}

/// Returns the first common name of a `Name`, and whether the name is empty.
fn read_name(name: asn1::Tlv<'_>, field: &'static str) -> Result<(Option<String>, bool), CertificateError> {
    if name.tag != asn1::SEQUENCE {
        return Err(CertificateError::Malformed { field });
    }
    let mut cn = None;
    let mut empty = true;
    // Name ::= SEQUENCE OF SET OF SEQUENCE { type OBJECT IDENTIFIER, value ANY }
    let mut rdns = Reader::new(name.value);
    while !rdns.is_empty() {
        let rdn = rdns.expect(asn1::SET).map_err(malformed(field))?;
        let mut attributes = Reader::new(rdn);
        while !attributes.is_empty() {
            let (oid, value) = attributes.sequence(|a| Ok((a.oid()?, a.any()?))).map_err(malformed(field))?;
            empty = false;
            if oid == OID_COMMON_NAME.as_bytes() && cn.is_none() {
                cn = Some(directory_string(value));
            }
        }
    }
    Ok((cn, empty))
}

/// Decodes a `DirectoryString` (UTF8String, PrintableString, IA5String, or the legacy types)
/// lossily: it is only shown to people, never compared for trust here.
fn directory_string(value: asn1::Tlv<'_>) -> String {
    match value.tag {
        asn1::BMP_STRING => {
            let units = value.value.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
        }
        _ => String::from_utf8_lossy(value.value).to_string(),
    }
}

/// `SubjectPublicKeyInfo ::= SEQUENCE { algorithm SEQUENCE { OID, parameters ANY OPTIONAL },
/// subjectPublicKey BIT STRING }` (RFC 5280 4.1.2.7).
fn read_public_key(spki: asn1::Tlv<'_>) -> Result<PublicKey, CertificateError> {
    let field = "subjectPublicKeyInfo";
    if spki.tag != asn1::SEQUENCE {
        return Err(CertificateError::Malformed { field });
    }
    let (algorithm, parameters, (unused, key_bytes)) = asn1::nested(spki.value, |s| {
        let (oid, params) = s.sequence(|alg| {
            let oid = alg.oid()?;
            let params = if alg.is_empty() { None } else { Some(alg.any()?) };
            Ok((oid, params))
        })?;
        Ok((oid, params, s.bit_string()?))
    })
    .map_err(malformed(field))?;
    if unused != 0 {
        return Err(CertificateError::Malformed { field });
    }
    if algorithm == OID_EC_PUBLIC_KEY.as_bytes() {
        let curve = parameters
            .filter(|p| p.tag == asn1::OID)
            .and_then(|p| asn1::oid(p.value).ok())
            .ok_or(CertificateError::Malformed { field })?;
        let key_type = if curve == OID_P256.as_bytes() {
            KeyType::EcdsaP256
        } else if curve == OID_P384.as_bytes() {
            KeyType::EcdsaP384
        } else {
            return Ok(PublicKey::Unsupported { algorithm: curve_name(curve) });
        };
        return Ok(PublicKey::Ec { key_type, point: key_bytes.to_vec() });
    }
    if algorithm == OID_RSA_ENCRYPTION.as_bytes() {
        // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 A.1.1)
        let (modulus, exponent) = asn1::nested(key_bytes, |k| k.sequence(|r| Ok((r.unsigned()?, r.unsigned()?))))
            .map_err(malformed(field))?;
        return Ok(PublicKey::Rsa { modulus: modulus.to_vec(), exponent: exponent.to_vec() });
    }
    if let Some(key_type) = KeyType::ml_dsa_from_oid(algorithm) {
        // Parameters absent, and the key exactly pkEncode's length (RFC 9881).
        if parameters.is_some() || Some(key_bytes.len()) != key_type.ml_dsa_public_key_len() {
            return Err(CertificateError::Malformed { field });
        }
        return Ok(PublicKey::MlDsa { key_type, key: key_bytes.to_vec() });
    }
    Ok(PublicKey::Unsupported { algorithm: oid_name(algorithm) })
}

/// The leaf must be "signed with SHA-256 or stronger" (\[T\]); MD5, SHA-1 and SHA-224 are not.
fn check_signature_algorithm(oid: &[u8]) -> Result<(), CertificateError> {
    // Compared as OIDs (checked on every request: formatting the OID in dotted form each time
    // cost ~1 µs in wasm).
    const STRONG: &[ObjectIdentifier] = &[
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11"), // sha256WithRSAEncryption
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12"), // sha384WithRSAEncryption
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13"), // sha512WithRSAEncryption
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10"), // RSASSA-PSS (hash in parameters, SHA-256+ in practice)
        ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2"),   // ecdsa-with-SHA256
        ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3"),   // ecdsa-with-SHA384
        ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4"),   // ecdsa-with-SHA512
        ObjectIdentifier::new_unwrap("1.3.101.112"),           // Ed25519 (SHA-512 inside)
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.17"), // ML-DSA-44
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.18"), // ML-DSA-65
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.19"), // ML-DSA-87
    ];
    if STRONG.iter().any(|strong| strong.as_bytes() == oid) {
        Ok(())
    } else {
        Err(CertificateError::WeakSignatureAlgorithm { algorithm: oid_name(oid) })
    }
}

/// `Extensions ::= SEQUENCE OF SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE,
/// extnValue OCTET STRING }` (RFC 5280 4.1), inside the `[3]` EXPLICIT tag.
fn read_extensions(explicit: &[u8], cert: &mut Certificate) -> Result<(), CertificateError> {
    let field = "extensions";
    let list =
        asn1::single(explicit).ok().filter(|t| t.tag == asn1::SEQUENCE).ok_or(CertificateError::Malformed { field })?;
    let mut seen: Vec<&[u8]> = Vec::new();
    let mut r = Reader::new(list.value);
    while !r.is_empty() {
        let (oid, value) = r
            .sequence(|e| {
                let oid = e.oid()?;
                if e.peek_tag() == Some(asn1::BOOLEAN) {
                    e.boolean()?;
                }
                Ok((oid, e.expect(asn1::OCTET_STRING)?))
            })
            .map_err(malformed(field))?;
        // RFC 5280 4.2: "A certificate MUST NOT include more than one instance of a particular extension."
        if seen.contains(&oid) {
            return Err(CertificateError::Malformed { field: "extensions (duplicate extension)" });
        }
        seen.push(oid);
        if oid == OID_BASIC_CONSTRAINTS.as_bytes() {
            // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }
            let ca = asn1::nested(value, |v| {
                v.sequence(|b| {
                    let ca = if b.peek_tag() == Some(asn1::BOOLEAN) { b.boolean()? } else { false };
                    b.skip_rest()?;
                    Ok(ca)
                })
            })
            .map_err(malformed("basicConstraints"))?;
            cert.is_ca = Some(ca);
        } else if oid == OID_KEY_USAGE.as_bytes() {
            // KeyUsage ::= BIT STRING { digitalSignature (0), ... }: bit 0 is the MSB of byte 0,
            // present when the string has at least one bit.
            let (unused, bits) = asn1::nested(value, |v| v.bit_string()).map_err(malformed("keyUsage"))?;
            let has_bit_0 = bits.len() * 8 > usize::from(unused);
            cert.digital_signature = Some(has_bit_0 && bits[0] & 0x80 != 0);
        } else if oid == OID_SUBJECT_ALT_NAME.as_bytes() {
            read_sans(value, cert)?;
        }
    }
    Ok(())
}

/// `SubjectAltName ::= SEQUENCE OF GeneralName` (RFC 5280 4.2.1.6): the DNS names and URIs.
fn read_sans(value: &[u8], cert: &mut Certificate) -> Result<(), CertificateError> {
    let field = "subjectAltName";
    let names =
        asn1::single(value).ok().filter(|t| t.tag == asn1::SEQUENCE).ok_or(CertificateError::Malformed { field })?;
    let mut r = Reader::new(names.value);
    while !r.is_empty() {
        let name = r.any().map_err(malformed(field))?;
        // GeneralName: dNSName [2] IA5String, uniformResourceIdentifier [6] IA5String (IMPLICIT).
        let list = if name.tag == asn1::context(2, false) {
            &mut cert.dns_sans
        } else if name.tag == asn1::context(6, false) {
            &mut cert.uri_sans
        } else {
            continue;
        };
        if !name.value.is_ascii() {
            return Err(CertificateError::Malformed { field });
        }
        list.push(String::from_utf8_lossy(name.value).to_string());
    }
    Ok(())
}

/// Converts a big-endian unsigned integer to decimal by repeated division by 10^9.
/// Whether a DER serial number (big-endian two's complement) is negative, and its magnitude.
fn serial_magnitude(serial: &[u8]) -> (bool, Vec<u8>) {
    let negative = serial.first().is_some_and(|b| b & 0x80 != 0);
    let mut magnitude = serial.to_vec();
    if negative {
        // Two's complement: invert and add one.
        for b in magnitude.iter_mut() {
            *b = !*b;
        }
        for b in magnitude.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
    }
    (negative, magnitude)
}

/// A DER serial number (its content bytes, [`Certificate::serial_bytes`]) as the default role
/// session name carries it (user guide, *Role trusts*: "the hex-encoded serial number of the
/// certificate"): lower-case hex without leading zeros, the minimal form of Go's
/// `big.Int.Text(16)` that AWS's credential helper prints serials in, `-` before a negative
/// serial. The case and leading zeros are not documented; lower case is what the one published
/// example (`…/assumed-role/ROLE/61d5692c…`) shows.
pub fn serial_hex(serial: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let (negative, magnitude) = serial_magnitude(serial);
    let mut hex = String::with_capacity(1 + 2 * magnitude.len());
    if negative {
        hex.push('-');
    }
    for b in &magnitude {
        for nibble in [b >> 4, b & 0x0f] {
            if nibble != 0 || hex.len() > usize::from(negative) {
                hex.push(char::from(HEX[usize::from(nibble)]));
            }
        }
    }
    if hex.len() == usize::from(negative) {
        hex.push('0');
    }
    hex
}

fn big_to_decimal(bytes: &[u8]) -> String {
    let mut number: Vec<u8> = bytes.iter().copied().skip_while(|&b| b == 0).collect();
    let mut chunks: Vec<u32> = Vec::new();
    while !number.is_empty() {
        let mut remainder = 0u64;
        for byte in number.iter_mut() {
            let acc = (remainder << 8) | u64::from(*byte);
            *byte = (acc / 1_000_000_000) as u8;
            remainder = acc % 1_000_000_000;
        }
        chunks.push(remainder as u32);
        let first_nonzero = number.iter().position(|&b| b != 0).unwrap_or(number.len());
        number.drain(..first_nonzero);
    }
    let mut out = String::new();
    match chunks.split_last() {
        None => out.push('0'),
        Some((most, rest)) => {
            crate::digits::decimal_into(u64::from(*most), 1, &mut out);
            for chunk in rest.iter().rev() {
                crate::digits::decimal_into(u64::from(*chunk), 9, &mut out);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_conversion() {
        assert_eq!(big_to_decimal(&[]), "0");
        assert_eq!(big_to_decimal(&[0]), "0");
        assert_eq!(big_to_decimal(&[0x01, 0x00]), "256");
        assert_eq!(big_to_decimal(&[0x3b, 0x9a, 0xca, 0x00]), "1000000000");
        // 2^128 - 1
        assert_eq!(big_to_decimal(&[0xff; 16]), "340282366920938463463374607431768211455");
        // 2^64
        assert_eq!(big_to_decimal(&[1, 0, 0, 0, 0, 0, 0, 0, 0]), "18446744073709551616");
    }

    #[test]
    fn serials_in_hex_are_minimal_lower_case_and_signed() {
        for (serial, hex, decimal) in [
            (&[0x61, 0xd5, 0x69, 0x2c][..], "61d5692c", "1641376044"),
            (&[0x00, 0x80, 0x01], "8001", "32769"),
            (&[0x0a, 0xbc], "abc", "2748"),
            (&[0x00], "0", "0"),
            (&[], "0", "0"),
            (&[0xff], "-1", "-1"),
            (&[0xff, 0x00], "-100", "-256"),
        ] {
            assert_eq!(serial_hex(serial), hex, "{serial:02x?}");
            assert_eq!(Certificate::decimal_serial(serial), decimal, "{serial:02x?}");
        }
    }

    #[test]
    fn garbage_is_malformed_not_panic() {
        assert_eq!(Certificate::parse(b""), Err(CertificateError::Empty));
        assert!(matches!(Certificate::parse(&[0x30]), Err(CertificateError::Malformed { .. })));
        assert!(matches!(Certificate::parse(&[0x30, 0x00]), Err(CertificateError::Malformed { .. })));
        assert!(matches!(Certificate::parse(b"not a certificate"), Err(CertificateError::Malformed { .. })));
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for len in 0..512 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let _ = Certificate::parse(&bytes);
            let mut seq = alloc::vec![0x30, 0x82, (len >> 8) as u8, len as u8];
            seq.extend_from_slice(&bytes);
            let _ = Certificate::parse(&seq);
        }
    }
}
