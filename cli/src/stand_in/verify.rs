//! Reading and verifying SigV4-signed requests: the one place where the stand-in checks a
//! signature, for `POST /sessions` (signed with the certificate's key, `AWS4-X509-*`, \[S\]) and
//! for STS (signed with credentials the stand-in issued, `AWS4-HMAC-SHA256`, \[V4\]).
//!
//! Sources: **\[S\]** Roles Anywhere user guide, "Signing process" (Task 3: "SigningAlgorithm must
//! be one of: SHA256WithRSA, SHA256WithECDSA, ML-DSA-44, ML-DSA-65, ML-DSA-87"); **\[ML\]** RFC 9881
//! (ML-DSA in X.509: `id-ml-dsa-44/65/87` as both the key's and the signature's algorithm, without
//! parameters; pure ML-DSA with an empty context); **\[V4\]** IAM user guide,
//! "Create a signed AWS API request" (the signature is recomputed from the received request) and
//! "Authentication methods" (the `Authorization` header, or the `X-Amz-*` query parameters of a
//! presigned URL); **\[CE\]** AWS "Common Errors" (`RequestExpired`: "more than 15 minutes after
//! the date stamp … or more than 15 minutes in the future"); **\[GR\]** AWS General Reference,
//! "AWS Identity and Access Management Roles Anywhere endpoints and quotas" and "AWS Security Token
//! Service endpoints" (host names), with the partitions' host templates of the endpoint model in
//! AWS's credential helper (`rolesanywhere/internal/endpoints`).
//!
//! Each check is a function here; the handlers decide their order and how a failure reads in
//! their service's error shape. The canonical request, string to sign and signing key come from
//! `rolesanywhere::sigv4`, the code that signs.

use rolesanywhere::sigv4::{self, CanonicalRequest, PathOptions, SigningKey};
use rolesanywhere::{verify_ml_dsa, Certificate, KeyType, Region, Time};
use rustls_pki_types::{alg_id, AlgorithmIdentifier, CertificateDer, InvalidSignature, SignatureVerificationAlgorithm};
use subtle::ConstantTimeEq;
use x509_cert::der::Encode;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use super::Request;

/// Largest difference between a request's signing time and the clock (\[CE\] `RequestExpired`).
pub const MAX_SKEW_SECONDS: u64 = 15 * 60;

/// ML-DSA of one parameter set for rustls-webpki (\[ML\]), verified by the core's
/// [`verify_ml_dsa`] (FIPS 204 ML-DSA.Verify, empty context): ring has no ML-DSA.
#[derive(Debug)]
pub struct MlDsa(KeyType);

impl MlDsa {
    /// `id-ml-dsa-NN` without parameters, the key's and the signature's algorithm alike (\[ML\]).
    fn id(&self) -> AlgorithmIdentifier {
        match self.0 {
            KeyType::MlDsa44 => alg_id::ML_DSA_44,
            KeyType::MlDsa65 => alg_id::ML_DSA_65,
            _ => alg_id::ML_DSA_87,
        }
    }
}

impl SignatureVerificationAlgorithm for MlDsa {
    fn verify_signature(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), InvalidSignature> {
        verify_ml_dsa(self.0, public_key, message, signature).then_some(()).ok_or(InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.id()
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.id()
    }
}

/// ML-DSA-44 (\[ML\]).
pub static ML_DSA_44: MlDsa = MlDsa(KeyType::MlDsa44);
/// ML-DSA-65 (\[ML\]).
pub static ML_DSA_65: MlDsa = MlDsa(KeyType::MlDsa65);
/// ML-DSA-87 (\[ML\]).
pub static ML_DSA_87: MlDsa = MlDsa(KeyType::MlDsa87);

/// The signature algorithms of certificate chains and CRLs: ECDSA P-256 and P-384 with SHA-256
/// or SHA-384, RSA PKCS#1 v1.5 with SHA-256 to SHA-512, RSA-PSS (2048 to 8192 bits), and
/// ML-DSA-44/65/87 (a chain above an ML-DSA leaf may be classical or ML-DSA, and either may sign
/// a CRL).
pub static SIGNATURE_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512,
    webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
    &ML_DSA_44,
    &ML_DSA_65,
    &ML_DSA_87,
];

/// The value of header `name` (lower-case), when present and made of visible ASCII, as every
/// header this module reads by name is (dates, tokens, base64, the `Authorization` header).
pub fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The raw query string, without `?`; empty when there is none.
pub fn query(request: &Request) -> &str {
    request.uri().query().unwrap_or("")
}

/// Decodes `application/x-www-form-urlencoded` or query text into (name, value) pairs: `+` is a
/// space, then `%XX` escapes are decoded leniently ([`sigv4::percent_decode`]); bytes that are
/// not UTF-8 become U+FFFD.
pub fn form_decode(text: &str) -> Vec<(String, String)> {
    let decode = |s: &str| String::from_utf8_lossy(&sigv4::percent_decode(&s.replace('+', " "))).into_owned();
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// The first value of a decoded query or form parameter.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A credential scope, `DATE/REGION/SERVICE/aws4_request` (\[V4\], "Elements of an AWS API
/// request signature").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope<'a> {
    /// The whole scope, as the string to sign repeats it.
    pub text: &'a str,
    /// `YYYYMMDD`.
    pub date: &'a str,
    /// The signing region.
    pub region: &'a str,
    /// The signing name of the service.
    pub service: &'a str,
}

/// The signature parameters of a request (\[V4\], "Authentication methods").
#[derive(Clone, Copy, Debug)]
pub struct Authorization<'a> {
    /// e.g. `AWS4-HMAC-SHA256`, `AWS4-X509-ECDSA-SHA256`.
    pub algorithm: &'a str,
    /// The access key ID, or for Roles Anywhere the leaf's serial number in decimal (\[S\]).
    pub credential: &'a str,
    /// The credential scope.
    pub scope: Scope<'a>,
    /// The signed header names, lower-case and `;`-separated, as sent.
    pub signed_headers: &'a str,
    /// The signature in hex.
    pub signature: &'a str,
}

impl<'a> Authorization<'a> {
    /// Parses an `Authorization` header, `ALGORITHM Credential=ID/SCOPE, SignedHeaders=a;b,
    /// Signature=HEX` (\[S\] Task 4, \[V4\]); the error says what is wrong.
    pub fn parse(value: &'a str) -> Result<Self, &'static str> {
        let (algorithm, rest) = value.trim().split_once(' ').ok_or("the Authorization header has no parameters")?;
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (name, v) = part.trim().split_once('=').ok_or("an Authorization parameter has no '='")?;
            match name {
                "Credential" => credential = Some(v),
                "SignedHeaders" => signed_headers = Some(v),
                "Signature" => signature = Some(v),
                _ => return Err("the Authorization header has an unknown parameter"),
            }
        }
        Self::from_parts(
            algorithm,
            credential.ok_or("the Authorization header has no Credential")?,
            signed_headers.ok_or("the Authorization header has no SignedHeaders")?,
            signature.ok_or("the Authorization header has no Signature")?,
        )
    }

    /// The parameters of a presigned URL, from its decoded query (\[V4\]: `X-Amz-Algorithm`,
    /// `X-Amz-Credential`, `X-Amz-SignedHeaders`, `X-Amz-Signature`); `None` without
    /// `X-Amz-Signature`.
    pub fn from_query(params: &'a [(String, String)]) -> Option<Result<Self, &'static str>> {
        let signature = param(params, "X-Amz-Signature")?;
        let get = |name| param(params, name).unwrap_or("");
        Some(Self::from_parts(get("X-Amz-Algorithm"), get("X-Amz-Credential"), get("X-Amz-SignedHeaders"), signature))
    }

    fn from_parts(
        algorithm: &'a str,
        credential: &'a str,
        signed_headers: &'a str,
        signature: &'a str,
    ) -> Result<Self, &'static str> {
        const FORM: &str = "the Credential is not ID/YYYYMMDD/REGION/SERVICE/aws4_request";
        let (id, scope) = credential.split_once('/').ok_or(FORM)?;
        let mut parts = scope.split('/');
        let (Some(date), Some(region), Some(service), Some("aws4_request"), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(FORM);
        };
        Ok(Authorization {
            algorithm,
            credential: id,
            scope: Scope { text: scope, date, region, service },
            signed_headers,
            signature,
        })
    }
}

/// The signing time of a request could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmzDateError<'a> {
    /// No `X-Amz-Date`.
    Missing,
    /// `X-Amz-Date` is not `YYYYMMDDTHHMMSSZ`.
    Malformed(&'a str),
}

/// The signing time: `X-Amz-Date` from the headers, or from the query of a presigned URL
/// (`presigned`, \[V4\]), as sent (the string to sign repeats it) and as a time.
pub fn amz_date<'a>(
    request: &'a Request,
    presigned: Option<&'a [(String, String)]>,
) -> Result<(&'a str, Time), AmzDateError<'a>> {
    let text = match presigned {
        Some(params) => param(params, "X-Amz-Date"),
        None => header(request, "x-amz-date"),
    }
    .ok_or(AmzDateError::Missing)?;
    parse_amz_date(text).map(|time| (text, time)).ok_or(AmzDateError::Malformed(text))
}

/// Parses `YYYYMMDDTHHMMSSZ`.
fn parse_amz_date(text: &str) -> Option<Time> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' || !digits(0..8) || !digits(9..15) {
        return None;
    }
    // All ASCII from here on, so every slice is on a character boundary.
    let rfc3339 = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &text[0..4],
        &text[4..6],
        &text[6..8],
        &text[9..11],
        &text[11..13],
        &text[13..15]
    );
    Time::parse_rfc3339(&rfc3339).ok()
}

/// Whether a request signed at `signed_at` is accepted at `now`: signed at most 15 minutes
/// ahead of the clock, and no more than 15 minutes ago (\[CE\]), or for a presigned URL no more
/// than its `X-Amz-Expires` seconds ago (`valid_for`, \[V4\]).
pub fn is_current(signed_at: Time, now: Time, valid_for: Option<u64>) -> bool {
    let (signed_at, now) = (signed_at.unix_seconds(), now.unix_seconds());
    signed_at <= now.saturating_add(MAX_SKEW_SECONDS)
        && now <= signed_at.saturating_add(valid_for.unwrap_or(MAX_SKEW_SECONDS))
}

/// Checks the `Host` of a request signed for `service` in `region`: a loopback name (`localhost`,
/// `127.x.x.x`, `[::1]`; the stand-in listens on loopback only) or one of AWS's hosts of the
/// service in that region (\[GR\]): `SERVICE[-fips].REGION.SUFFIX` with the partition's DNS suffix
/// (`Region::dns_suffix`), the dual-stack `SERVICE[-fips].REGION.DUALSTACK_SUFFIX`, and for STS in
/// us-east-1 the global `sts.amazonaws.com`; any port. Any other host is refused: a request
/// sent to another host never reaches AWS. The error names the host and the hosts expected.
pub fn check_host(request: &Request, region: &str, service: &str) -> Result<(), String> {
    let host = header(request, "host").ok_or("the request has no Host header")?;
    let name = host_name(host).ok_or_else(|| format!("the Host header {host:?} is not a host name"))?;
    if is_loopback_name(name) {
        return Ok(());
    }
    let Some(region) = Region::parse(region) else {
        return Err(format!("host {host} is not loopback, and {region:?} is not a region of any AWS host"));
    };
    let expected = aws_hosts(service, &region);
    if expected.iter().any(|h| h.eq_ignore_ascii_case(name)) {
        return Ok(());
    }
    Err(format!(
        "the request is signed for {service} in region {} but sent to host {host}; the hosts of {service} in that \
         region (partition {}) are {}, or a loopback address",
        region.name,
        region.partition,
        expected.join(", ")
    ))
}

/// The host name of a `Host` header value, without its port: `name`, `name:PORT`, `[IPv6]` or
/// `[IPv6]:PORT`.
fn host_name(host: &str) -> Option<&str> {
    let is_port = |p: &str| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
    if let Some(v6) = host.strip_prefix('[') {
        let (address, rest) = v6.split_once(']')?;
        return (rest.is_empty() || rest.strip_prefix(':').is_some_and(is_port)).then_some(address);
    }
    match host.split_once(':') {
        Some((name, port)) if is_port(port) => Some(name),
        Some(_) => None,
        None => Some(host),
    }
}

/// `localhost`, an IPv4 loopback address or `::1`.
fn is_loopback_name(name: &str) -> bool {
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// AWS's host names of `service` in `region` (\[GR\]; the endpoint model's templates:
/// `{service}.{region}.{dnsSuffix}`, `{service}-fips.{region}.{dnsSuffix}`, and the dual-stack
/// `{service}[-fips].{region}.{dualStackDnsSuffix}` where the partition has one).
fn aws_hosts(service: &str, region: &Region<'_>) -> Vec<String> {
    // The partitions' dual-stack DNS suffixes (endpoint model: `api.aws` for aws and aws-us-gov,
    // `api.amazonwebservices.com.cn` for aws-cn; the other partitions have none).
    let dual_stack = match region.partition {
        "aws" | "aws-us-gov" => Some("api.aws"),
        "aws-cn" => Some("api.amazonwebservices.com.cn"),
        _ => None,
    };
    let mut hosts = Vec::new();
    for suffix in std::iter::once(region.dns_suffix).chain(dual_stack) {
        for prefix in [service.to_string(), format!("{service}-fips")] {
            hosts.push(format!("{prefix}.{}.{suffix}", region.name));
        }
    }
    // STS's global endpoint signs for us-east-1 (\[GR\], "AWS Security Token Service endpoints").
    if service == "sts" && region.name == "us-east-1" {
        hosts.push("sts.amazonaws.com".into());
    }
    hosts
}

/// The string to sign of the received request (\[S\] Tasks 1–2, \[V4\] steps 1–3), over the
/// headers it says it signed. For a presigned URL (`presigned`) the query is signed without its
/// `X-Amz-Signature`. The error says why it cannot be built.
pub fn string_to_sign(
    request: &Request,
    auth: &Authorization<'_>,
    amz_date: &str,
    presigned: bool,
    payload_hash: &str,
) -> Result<String, String> {
    let mut headers: Vec<(&str, std::borrow::Cow<'_, str>)> = Vec::new();
    for name in auth.signed_headers.split(';') {
        if name.is_empty() || name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err("SignedHeaders must be lower-case names separated by ';'".into());
        }
        let before = headers.len();
        headers.extend(request.headers().get_all(name).iter().map(|v| (name, String::from_utf8_lossy(v.as_bytes()))));
        if headers.len() == before {
            return Err(format!("signed header {name} is not in the request"));
        }
    }
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_ref())).collect();
    let query = if presigned {
        let pairs: Vec<&str> =
            query(request).split('&').filter(|pair| pair.split('=').next() != Some("X-Amz-Signature")).collect();
        pairs.join("&")
    } else {
        query(request).to_string()
    };
    let canonical = CanonicalRequest::new(
        request.method().as_str(),
        request.uri().path(),
        &query,
        &headers,
        payload_hash,
        PathOptions::DEFAULT,
    );
    Ok(sigv4::string_to_sign(auth.algorithm, amz_date, auth.scope.text, &canonical))
}

/// Whether `signature_hex` is the leaf's signature of `string_to_sign` (\[S\] Task 3): ECDSA over
/// SHA-256 with a DER signature (P-256 and P-384 alike), RSASSA-PKCS1-v1_5 with SHA-256, or pure
/// ML-DSA of the leaf's parameter set over the string to sign itself (\[S\] Task 3, \[ML\]).
pub fn x509_signature_matches(
    leaf: &Certificate,
    key_type: KeyType,
    signature_hex: &str,
    string_to_sign: &str,
) -> bool {
    let Some(signature) = decode_hex(signature_hex) else { return false };
    let alg: &dyn SignatureVerificationAlgorithm = match key_type {
        KeyType::EcdsaP256 => webpki::ring::ECDSA_P256_SHA256,
        KeyType::EcdsaP384 => webpki::ring::ECDSA_P384_SHA256,
        KeyType::MlDsa44 => &ML_DSA_44,
        KeyType::MlDsa65 => &ML_DSA_65,
        KeyType::MlDsa87 => &ML_DSA_87,
        _ => webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    };
    let der = CertificateDer::from(leaf.der());
    let Ok(ee) = webpki::EndEntityCert::try_from(&der) else { return false };
    ee.verify_signature(alg, string_to_sign.as_bytes(), &signature).is_ok()
}

/// Whether `signature_hex` is the `AWS4-HMAC-SHA256` signature of `string_to_sign` with the
/// signing key of `secret_access_key` for `scope` (\[V4\] steps 5–6), compared in constant time.
pub fn hmac_signature_matches(
    secret_access_key: &str,
    scope: &Scope<'_>,
    signature_hex: &str,
    string_to_sign: &str,
) -> bool {
    let key = SigningKey::derive(secret_access_key, scope.date, scope.region, scope.service);
    bool::from(key.sign(string_to_sign).as_bytes().ct_eq(signature_hex.as_bytes()))
}

/// Whether `signature` is a signature of `message` by the key of `signer` with the algorithm
/// `algorithm` (a CRL's or a certificate's `signatureAlgorithm`), by one of
/// [`SIGNATURE_ALGORITHMS`] whose key and signature algorithm identifiers are these.
pub fn signed_by(
    signer: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> bool {
    // pki-types' algorithm identifiers are the contents of the AlgorithmIdentifier SEQUENCE: the
    // OID, then the parameters when there are any.
    let contents = |id: &AlgorithmIdentifierOwned| -> Option<Vec<u8>> {
        let mut out = id.oid.to_der().ok()?;
        if let Some(parameters) = &id.parameters {
            out.extend(parameters.to_der().ok()?);
        }
        Some(out)
    };
    let (Some(key_alg), Some(signature_alg)) = (contents(&signer.algorithm), contents(algorithm)) else {
        return false;
    };
    let key = signer.subject_public_key.raw_bytes();
    SIGNATURE_ALGORITHMS.iter().any(|alg| {
        alg.public_key_alg_id().as_ref() == key_alg.as_slice()
            && alg.signature_alg_id().as_ref() == signature_alg.as_slice()
            && alg.verify_signature(key, message, signature).is_ok()
    })
}

/// Lower- or upper-case hex to bytes.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.is_empty() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(target: &str, headers: &[(&str, &str)]) -> Request {
        let mut builder = hyper::Request::builder().method("POST").uri(target);
        for (n, v) in headers {
            builder = builder.header(*n, *v);
        }
        builder.body(Vec::new()).unwrap()
    }

    #[test]
    fn authorization_header_parses() {
        let a = Authorization::parse(
            "AWS4-X509-ECDSA-SHA256 Credential=123/20240601/us-west-2/rolesanywhere/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab01",
        )
        .unwrap();
        assert_eq!(
            (a.algorithm, a.credential, a.signed_headers, a.signature),
            ("AWS4-X509-ECDSA-SHA256", "123", "host;x-amz-date", "ab01")
        );
        assert_eq!(
            a.scope,
            Scope {
                text: "20240601/us-west-2/rolesanywhere/aws4_request",
                date: "20240601",
                region: "us-west-2",
                service: "rolesanywhere"
            }
        );
        for bad in [
            "AWS4-X509-ECDSA-SHA256 Credential=1/2/3/4/x, SignedHeaders=a, Signature=b",
            "AWS4-X509-ECDSA-SHA256 Credential=1/2/3/4/aws4_request/5, SignedHeaders=a, Signature=b",
            "AWS4-X509-ECDSA-SHA256 Credential=1/2/3/aws4_request, SignedHeaders=a, Signature=b",
            "AWS4-X509-ECDSA-SHA256 Credential=1/2/3/4/aws4_request, SignedHeaders=a",
            "AWS4-X509-ECDSA-SHA256 Credential=1/2/3/4/aws4_request, SignedHeaders=a, Signature=b, Extra=c",
            "garbage",
        ] {
            assert!(Authorization::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn presigned_queries_parse() {
        let params = form_decode(
            "Action=GetCallerIdentity&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA1%2F20240601%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20240601T120030Z&X-Amz-SignedHeaders=host&X-Amz-Expires=60&X-Amz-Signature=ab",
        );
        let a = Authorization::from_query(&params).unwrap().unwrap();
        assert_eq!(
            (a.algorithm, a.credential, a.scope.service, a.signature),
            ("AWS4-HMAC-SHA256", "ASIA1", "sts", "ab")
        );
        let r = request("/?x", &[("x-amz-date", "20990101T000000Z")]);
        assert_eq!(amz_date(&r, Some(&params)).unwrap().0, "20240601T120030Z");
        assert_eq!(amz_date(&r, None).unwrap().0, "20990101T000000Z");
        assert!(Authorization::from_query(&form_decode("Action=GetCallerIdentity")).is_none());
        assert!(Authorization::from_query(&form_decode("X-Amz-Signature=ab")).unwrap().is_err());
    }

    #[test]
    fn dates_and_clock_skew() {
        let time = |t| Time::parse_rfc3339(t).unwrap();
        assert_eq!(parse_amz_date("20240601T120030Z"), Some(time("2024-06-01T12:00:30Z")));
        for bad in
            ["2024-06-01T12:00:30Z", "20240601T120030", "2024+601T120030Z", "202\u{e9}601T120030Z", "20241301T120030Z"]
        {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
        let r = request("/", &[]);
        assert_eq!(amz_date(&r, None), Err(AmzDateError::Missing));
        let r = request("/", &[("x-amz-date", "yesterday")]);
        assert_eq!(amz_date(&r, None), Err(AmzDateError::Malformed("yesterday")));

        let now = time("2024-06-01T12:00:00Z");
        assert!(is_current(time("2024-06-01T11:45:00Z"), now, None));
        assert!(is_current(time("2024-06-01T12:15:00Z"), now, None));
        assert!(!is_current(time("2024-06-01T11:44:59Z"), now, None));
        assert!(!is_current(time("2024-06-01T12:15:01Z"), now, None));
        assert!(is_current(time("2024-06-01T11:00:00Z"), now, Some(3600)));
        assert!(!is_current(time("2024-06-01T11:00:00Z"), now, Some(3599)));
        assert!(!is_current(time("2024-06-01T12:15:01Z"), now, Some(3600)));
    }

    #[test]
    fn hosts_name_the_signing_region() {
        let check = |host, region, service| check_host(&request("/", &[("host", host)]), region, service);
        for (host, region, service) in [
            ("rolesanywhere.us-west-2.amazonaws.com", "us-west-2", "rolesanywhere"),
            ("rolesanywhere-fips.us-east-1.amazonaws.com:443", "us-east-1", "rolesanywhere"),
            ("rolesanywhere.us-east-1.api.aws", "us-east-1", "rolesanywhere"),
            ("rolesanywhere-fips.us-gov-west-1.api.aws", "us-gov-west-1", "rolesanywhere"),
            ("ROLESANYWHERE.US-WEST-2.AMAZONAWS.COM", "us-west-2", "rolesanywhere"),
            ("rolesanywhere.cn-north-1.api.amazonwebservices.com.cn", "cn-north-1", "rolesanywhere"),
            ("sts.cn-north-1.amazonaws.com.cn", "cn-north-1", "sts"),
            ("sts.amazonaws.com", "us-east-1", "sts"),
            ("127.0.0.1:8080", "us-west-2", "rolesanywhere"),
            ("127.1.2.3", "us-west-2", "rolesanywhere"),
            ("localhost:9000", "us-west-2", "rolesanywhere"),
            ("[::1]:8080", "us-west-2", "sts"),
            ("[::1]", "us-west-2", "sts"),
        ] {
            assert!(
                check(host, region, service).is_ok(),
                "{host} {region} {service}: {:?}",
                check(host, region, service)
            );
        }
        // A foreign host: refused, naming the hosts expected.
        let e = check("evil.example.com", "us-west-2", "rolesanywhere").unwrap_err();
        assert!(e.contains("evil.example.com") && e.contains("rolesanywhere.us-west-2.api.aws"), "{e}");
        assert!(check("sts.example.com", "us-west-2", "rolesanywhere").is_err());
        let e = check("rolesanywhere.eu-west-1.amazonaws.com", "us-west-2", "rolesanywhere").unwrap_err();
        assert!(e.contains("us-west-2") && e.contains("eu-west-1"), "{e}");
        let e = check("rolesanywhere.cn-north-1.amazonaws.com", "cn-north-1", "rolesanywhere").unwrap_err();
        assert!(e.contains("partition") && e.contains("amazonaws.com.cn"), "{e}");
        for (host, region, service) in [
            ("sts.amazonaws.com", "us-west-2", "sts"),
            ("sts.us-west-2.amazonaws.com", "us-west-2", "rolesanywhere"),
            ("rolesanywhere.us-west-2.amazonaws.com.evil.com", "us-west-2", "rolesanywhere"),
            ("rolesanywhere.cn-north-1.api.aws", "cn-north-1", "rolesanywhere"),
            ("localhost.evil.com", "us-west-2", "rolesanywhere"),
            ("127.0.0.1:http", "us-west-2", "rolesanywhere"),
            ("[::2]:80", "us-west-2", "rolesanywhere"),
            ("[::1", "us-west-2", "rolesanywhere"),
            ("", "us-west-2", "rolesanywhere"),
            ("rolesanywhere.nowhere.amazonaws.com", "nowhere", "rolesanywhere"),
        ] {
            assert!(check(host, region, service).is_err(), "{host:?} {region} {service}");
        }
        assert!(check_host(&request("/", &[]), "us-west-2", "rolesanywhere").unwrap_err().contains("no Host"));
    }

    #[test]
    fn forms_and_hex() {
        assert_eq!(
            form_decode("Action=GetCallerIdentity&Version=2011-06-15&x=a%2Bb+c&%"),
            vec![
                ("Action".into(), "GetCallerIdentity".into()),
                ("Version".into(), "2011-06-15".into()),
                ("x".into(), "a+b c".into()),
                ("%".into(), String::new())
            ]
        );
        assert_eq!(decode_hex("0aFF"), Some(vec![10, 255]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex(""), None);
        assert_eq!(decode_hex("\u{e9}0"), None);
    }

    #[test]
    fn string_to_sign_covers_the_signed_headers() {
        let r = request(
            "/sessions?b=2&a=1",
            &[("host", "h"), ("x-amz-date", "20240601T120030Z"), ("x-a", "1"), ("x-a", "2")],
        );
        let auth = Authorization::parse(
            "AWS4-HMAC-SHA256 Credential=K/20240601/us-east-1/sts/aws4_request, SignedHeaders=host;x-a;x-amz-date, Signature=00",
        )
        .unwrap();
        let expected = CanonicalRequest::new(
            "POST",
            "/sessions",
            "a=1&b=2",
            &[("host", "h"), ("x-a", "1"), ("x-a", "2"), ("x-amz-date", "20240601T120030Z")],
            "HASH",
            PathOptions::DEFAULT,
        );
        assert_eq!(
            string_to_sign(&r, &auth, "20240601T120030Z", false, "HASH").unwrap(),
            sigv4::string_to_sign("AWS4-HMAC-SHA256", "20240601T120030Z", auth.scope.text, &expected)
        );
        let missing = Authorization { signed_headers: "host;x-b", ..auth };
        assert!(string_to_sign(&r, &missing, "", false, "").unwrap_err().contains("x-b"));
        let upper = Authorization { signed_headers: "Host", ..auth };
        assert!(string_to_sign(&r, &upper, "", false, "").is_err());
        // A presigned URL's signature is not part of what it signs.
        let p = request("/?a=1&X-Amz-Signature=ff&b=2", &[("host", "h")]);
        let host_only = Authorization { signed_headers: "host", ..auth };
        let q = request("/?a=1&b=2", &[("host", "h")]);
        assert_eq!(string_to_sign(&p, &host_only, "D", true, "H"), string_to_sign(&q, &host_only, "D", false, "H"));
    }

    #[test]
    fn hmac_signatures_are_the_sigv4_signer_s() {
        let scope = Scope {
            text: "20150830/us-east-1/sts/aws4_request",
            date: "20150830",
            region: "us-east-1",
            service: "sts",
        };
        let signature = SigningKey::derive("secret", "20150830", "us-east-1", "sts").sign("text");
        assert!(hmac_signature_matches("secret", &scope, &signature, "text"));
        assert!(!hmac_signature_matches("other", &scope, &signature, "text"));
        assert!(!hmac_signature_matches("secret", &scope, &signature, "other text"));
        assert!(!hmac_signature_matches("secret", &scope, &signature[..10], "text"));
    }
}
