//! `POST /sessions`: IAM Roles Anywhere `CreateSession`, checked as AWS documents it.
//!
//! Sources: **\[A\]** Roles Anywhere user guide, "Authentication mechanism"; **\[S\]** "Signing
//! process"; **\[C\]** "CreateSession API" (request, response, *Credentials Object* /
//! *Expiration*, "The relationship between CreateSession and AssumeRole"); **\[T\]** "Trust
//! model" (*Role trusts*: the session name is "the hex-encoded serial number of the
//! authenticating certificate"; *Source identity rules*); **\[R\]** "Revocation" ("Certificates
//! used for authentication will be checked for their revocation status" against imported CRLs;
//! no CDP or OCSP); **\[API\]** Roles Anywhere API Reference (`CreateProfile`
//! `requireInstanceProperties`; `SubjectDetail` `instanceProperties`, an `InstancePropertyMap` of
//! at most 50 entries, keys and values of 1 to 200 characters); **\[CE\]** AWS "Common Errors"
//! (`RequestExpired`: more than 15 minutes from the date stamp; `ThrottlingException`, HTTP 400;
//! `ServiceUnavailable`, HTTP 503: "The request has failed due to a temporary failure of the
//! server", <https://docs.aws.amazon.com/organizations/latest/APIReference/CommonErrors.html>).
//!
//! [`create_session`] takes six steps and answers the first failure:
//!
//! 1. [`parse`] the request: its signature parameters, date and host; the certificate headers;
//!    the fields (the three ARNs, in the signing region, `durationSeconds`, `roleSessionName`).
//! 2. [`throttle`]: the `CreateSession` quota of the trust anchor's account in the signing
//!    region ([`super::quota`]), before any costly check.
//! 3. [`verify_signature`] with the leaf's key.
//! 4. [`verify_chain`]: the trust anchor, the leaf's end-entity rules and its path to one of the
//!    anchor's CAs.
//! 5. [`authorize`]: profile, role, session duration, session name, and the role's trust policy
//!    with the principal tags and condition keys of the request.
//! 6. [`issue`] the credentials.

use base64ct::{Base64, Encoding};
use rolesanywhere::{is_valid_duration, is_valid_role_session_name, MAX_DURATION_SECONDS, MIN_DURATION_SECONDS};
use rolesanywhere::{serial_hex, Algorithm, Arn, ArnField, Certificate, KeyType, Region, Time, MAX_INTERMEDIATES};
use rustls_pki_types::{CertificateDer, UnixTime};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use x509_cert::der::Decode as _;
use zeroize::Zeroizing;

use super::config::{Anchor, Profile, Role};
use super::policy::{self, Context, Decision};
use super::store::{self, Issued};
use super::verify::{self, AmzDateError, Authorization};
use super::{tags, Reply, Request, State};

/// The service name of the credential scope (\[S\] Task 2).
const SERVICE: &str = "rolesanywhere";

/// An error answer in the shape of \[C\] / the Roles Anywhere API: status, `X-Amzn-ErrorType`,
/// and `{"message": …}`.
#[derive(Debug)]
pub struct ApiError {
    status: u16,
    kind: &'static str,
    message: String,
}

fn access_denied(message: impl Into<String>) -> ApiError {
    ApiError { status: 403, kind: "AccessDeniedException", message: message.into() }
}

fn validation(message: impl Into<String>) -> ApiError {
    ApiError { status: 400, kind: "ValidationException", message: message.into() }
}

fn not_found(message: impl Into<String>) -> ApiError {
    ApiError { status: 404, kind: "ResourceNotFoundException", message: message.into() }
}

/// `X-Amzn-ErrorType` of a throttled request (\[CE\]; see [`super::quota`] for what is
/// inferred); the request log says `throttled`.
const THROTTLING: &str = "ThrottlingException";

impl ApiError {
    fn reply(self) -> Reply {
        let body = json!({ "message": self.message }).to_string().into_bytes();
        Reply {
            status: self.status,
            headers: vec![
                ("content-type", "application/json".into()),
                ("x-amzn-errortype", self.kind.into()),
                ("x-amzn-requestid", store::request_id()),
            ],
            body,
            outcome: if self.kind == THROTTLING { "throttled" } else { self.kind }.into(),
        }
    }
}

/// Answers a `POST /sessions`.
pub fn handle(state: &State, request: &Request) -> Reply {
    create_session(state, request).unwrap_or_else(ApiError::reply)
}

/// `CreateSession` in its six steps (see the module documentation).
fn create_session(state: &State, request: &Request) -> Result<Reply, ApiError> {
    let now = state.clock.now();
    let session = parse(request, now)?;
    throttle(state, &session)?;
    verify_signature(request, &session)?;
    let anchor = verify_chain(state, &session, now)?;
    let grant = authorize(state, &session, anchor)?;
    issue(state, &session, anchor, grant, now)
}

/// A `CreateSession` request as [`parse`] reads it.
struct SessionRequest<'r> {
    /// How it is signed.
    signature: Signature<'r>,
    /// The leaf certificate (`X-Amz-X509`).
    leaf: Certificate,
    /// The leaf's key type, which the signing algorithm matches.
    key_type: KeyType,
    /// The intermediates (`X-Amz-X509-Chain`).
    chain: Vec<CertificateDer<'static>>,
    /// The fields of the request.
    fields: Fields,
}

/// The signature parameters of a `CreateSession` request.
struct Signature<'r> {
    /// The `Authorization` header.
    auth: Authorization<'r>,
    /// Its algorithm.
    algorithm: Algorithm,
    /// The signing region.
    region: Region<'r>,
    /// `X-Amz-Date`, as sent (the string to sign repeats it).
    amz_date: &'r str,
}

/// The request's fields (\[C\] "Request syntax"; `instanceProperties` from \[API\]), checked for
/// form.
struct Fields {
    trust_anchor_arn: String,
    profile_arn: String,
    role_arn: String,
    /// `durationSeconds`, when given.
    duration_seconds: Option<u64>,
    /// `roleSessionName`, when given; checked in [`authorize`], after the profile says whether it
    /// accepts one.
    role_session_name: Option<String>,
    /// How many `instanceProperties` the request carries.
    instance_properties: usize,
}

/// Step 1: reads the request and checks its form (\[S\], \[A\], \[C\] "Request syntax"), before
/// anything is verified or looked up.
fn parse(request: &Request, now: Time) -> Result<SessionRequest<'_>, ApiError> {
    let signature = read_signature(request, now)?;
    let (leaf, key_type, chain) = read_certificates(request, &signature)?;
    let fields = read_fields(request, &signature.region)?;
    Ok(SessionRequest { signature, leaf, key_type, chain, fields })
}

/// The signature parameters (\[S\] Task 4, \[A\]): an `Authorization` header of an X.509
/// algorithm, scoped to this service in a valid region, an `X-Amz-Date` on the scope's day and
/// within 15 minutes of the clock (\[CE\]), and a `Host` that is loopback or AWS's host of the
/// service in that region ([`verify::check_host`]).
fn read_signature(request: &Request, now: Time) -> Result<Signature<'_>, ApiError> {
    let header =
        verify::header(request, "authorization").ok_or_else(|| access_denied("Missing Authorization header"))?;
    let auth =
        Authorization::parse(header).map_err(|e| access_denied(format!("Malformed Authorization header: {e}")))?;
    let algorithm = [Algorithm::EcdsaSha256, Algorithm::RsaSha256, Algorithm::MlDsa]
        .into_iter()
        .find(|a| a.name() == auth.algorithm)
        .ok_or_else(|| access_denied(format!("Unsupported signing algorithm {:?}", auth.algorithm)))?;
    let scope = auth.scope;
    if scope.service != SERVICE {
        return Err(access_denied(format!("Credential scope names service {:?}, expected {SERVICE}", scope.service)));
    }
    let region = Region::parse(scope.region)
        .ok_or_else(|| access_denied(format!("Credential scope names an invalid region {:?}", scope.region)))?;
    let (amz_date_text, amz_date) = verify::amz_date(request, None).map_err(|e| match e {
        AmzDateError::Missing => access_denied("Missing X-Amz-Date header"),
        AmzDateError::Malformed(text) => access_denied(format!("X-Amz-Date {text:?} is not YYYYMMDDTHHMMSSZ")),
    })?;
    if amz_date.date_stamp() != scope.date {
        return Err(access_denied(format!(
            "Credential scope date {} differs from the X-Amz-Date day {}",
            scope.date,
            amz_date.date_stamp()
        )));
    }
    if !verify::is_current(amz_date, now, None) {
        return Err(access_denied(format!(
            "Signature expired: request date {amz_date} is more than 15 minutes from the server time {now}"
        )));
    }
    verify::check_host(request, scope.region, SERVICE).map_err(access_denied)?;
    Ok(Signature { auth, algorithm, region, amz_date: amz_date_text })
}

/// The certificates (\[A\]): `X-Amz-X509` is the leaf's DER in base64, `X-Amz-X509-Chain` up to
/// five comma-separated intermediates. The Credential is the leaf's serial number in decimal, the
/// algorithm is the one of the leaf's key (\[S\]), and host, date and both certificate headers
/// are signed (\[S\] Task 1).
fn read_certificates(
    request: &Request,
    signature: &Signature<'_>,
) -> Result<(Certificate, KeyType, Vec<CertificateDer<'static>>), ApiError> {
    let auth = &signature.auth;
    let leaf_b64 = verify::header(request, "x-amz-x509").ok_or_else(|| access_denied("Missing X-Amz-X509 header"))?;
    let leaf_der = Base64::decode_vec(leaf_b64.trim())
        .map_err(|_| access_denied("X-Amz-X509 is not a base64-encoded DER certificate"))?;
    let leaf = Certificate::from_der(&leaf_der).map_err(|e| access_denied(format!("X-Amz-X509: {e}")))?;
    let chain_header = verify::header(request, "x-amz-x509-chain");
    let mut chain = Vec::new();
    for (i, part) in chain_header.into_iter().flat_map(|text| text.split(',')).enumerate() {
        let der = Base64::decode_vec(part.trim())
            .map_err(|_| access_denied(format!("X-Amz-X509-Chain entry {i} is not base64 DER")))?;
        Certificate::from_der(&der).map_err(|e| access_denied(format!("X-Amz-X509-Chain entry {i}: {e}")))?;
        chain.push(CertificateDer::from(der));
    }
    if chain.len() > MAX_INTERMEDIATES {
        return Err(access_denied(format!(
            "X-Amz-X509-Chain holds {} certificates; at most {MAX_INTERMEDIATES} are accepted",
            chain.len()
        )));
    }
    if auth.credential != leaf.serial_number() {
        return Err(access_denied(
            "The Credential serial number is not the serial number of the X-Amz-X509 certificate",
        ));
    }
    let key_type = leaf.key_type().map_err(|e| access_denied(format!("X-Amz-X509: {e}")))?;
    if key_type.algorithm() != signature.algorithm {
        return Err(access_denied(format!(
            "Signing algorithm {} does not match the certificate's {key_type} key, which signs with {}",
            auth.algorithm,
            key_type.algorithm().name()
        )));
    }
    let signed: Vec<&str> = auth.signed_headers.split(';').collect();
    let mut required = vec!["host", "x-amz-date", "x-amz-x509"];
    if chain_header.is_some() {
        required.push("x-amz-x509-chain");
    }
    if let Some(missing) = required.iter().find(|h| !signed.contains(h)) {
        return Err(access_denied(format!("SignedHeaders must include {missing}")));
    }
    Ok((leaf, key_type, chain))
}

/// The fields, "as URI parameters or as JSON in the request body" (\[C\]): the three ARNs,
/// well formed and usable in the signing `region` (its partition; the region itself for the
/// trust anchor and profile), and `durationSeconds` within 900 to 43200 seconds.
fn read_fields(request: &Request, region: &Region<'_>) -> Result<Fields, ApiError> {
    let body: Value = if request.body().iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(request.body()).map_err(|_| validation("The request body is not valid JSON"))?
    };
    let Value::Object(body) = body else { return Err(validation("The request body must be a JSON object")) };
    let query = verify::form_decode(verify::query(request));
    let text = |name: &str| text_field(&query, &body, name);
    let arn = |field: ArnField| -> Result<String, ApiError> {
        let value = text(&field.to_string())?.ok_or_else(|| validation(format!("{field} is required")))?;
        let arn =
            Arn::parse(field, &value).map_err(|reason| validation(format!("Invalid {field}: the ARN {reason}")))?;
        arn.check_in(field, region).map_err(|e| validation(e.to_string()))?;
        Ok(value)
    };
    let trust_anchor_arn = arn(ArnField::TrustAnchor)?;
    let profile_arn = arn(ArnField::Profile)?;
    let role_arn = arn(ArnField::Role)?;
    // [C] durationSeconds: 900 to 43200.
    let duration_seconds = match body.get("durationSeconds") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().filter(|n| is_valid_duration(*n)).ok_or_else(|| {
            validation(format!(
                "durationSeconds {v} is outside {MIN_DURATION_SECONDS}..={MAX_DURATION_SECONDS} seconds"
            ))
        })?),
    };
    let role_session_name = text("roleSessionName")?;
    let instance_properties = instance_properties(body.get("instanceProperties"))?;
    Ok(Fields { trust_anchor_arn, profile_arn, role_arn, duration_seconds, role_session_name, instance_properties })
}

/// `instanceProperties`: a JSON object of strings (AWS's credential helper sends a
/// `map[string]string`), with the limits of \[API\] `InstancePropertyMap`: at most 50 entries,
/// keys and values of 1 to 200 characters. (CreateSession is not in the published API model; its
/// limits are taken from the map type it shares with `SubjectDetail`.) Returns how many there are.
fn instance_properties(value: Option<&Value>) -> Result<usize, ApiError> {
    const MAX_ENTRIES: usize = 50;
    const MAX_CHARS: usize = 200;
    let map = match value {
        None | Some(Value::Null) => return Ok(0),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(validation("instanceProperties must be a JSON object of string values")),
    };
    if map.len() > MAX_ENTRIES {
        return Err(validation(format!("instanceProperties has {} entries; at most {MAX_ENTRIES}", map.len())));
    }
    let fits = |text: &str| (1..=MAX_CHARS).contains(&text.chars().count());
    for (key, value) in map {
        if !fits(key) {
            return Err(validation(format!("instanceProperties keys must be 1 to {MAX_CHARS} characters")));
        }
        match value {
            Value::String(v) if fits(v) => {}
            Value::String(_) => {
                return Err(validation(format!("instanceProperties[{key:?}] must be 1 to {MAX_CHARS} characters")))
            }
            _ => return Err(validation(format!("instanceProperties[{key:?}] must be a string"))),
        }
    }
    Ok(map.len())
}

/// A text field: from the query when it is there, else from the body, where it must be a string.
fn text_field(query: &[(String, String)], body: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    if let Some(v) = verify::param(query, name) {
        return Ok(Some(v.to_string()));
    }
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(validation(format!("{name} must be a string"))),
    }
}

/// Step 2: a token of the `CreateSession` quota of the trust anchor's account in the signing
/// region (\[Q\] in [`super::quota`]: "10 per second", per account and region), or AWS's
/// throttling answer (\[CE\]: `ThrottlingException`, HTTP 400) with the message of AWS's
/// throttles elsewhere. A throttled request gets no further and takes no token.
fn throttle(state: &State, session: &SessionRequest<'_>) -> Result<(), ApiError> {
    let anchor = Arn::parse(ArnField::TrustAnchor, &session.fields.trust_anchor_arn)
        .map_err(|reason| validation(format!("Invalid trustAnchorArn: the ARN {reason}")))?;
    if state.throttle.admit(anchor.account, session.signature.region.name, state.clock.monotonic()) {
        Ok(())
    } else {
        Err(ApiError { status: 400, kind: THROTTLING, message: "Rate exceeded".into() })
    }
}

/// Step 3: the signature is the leaf key's over the string to sign of the request as received
/// (\[S\] Tasks 1–3).
fn verify_signature(request: &Request, session: &SessionRequest<'_>) -> Result<(), ApiError> {
    let Signature { auth, amz_date, .. } = &session.signature;
    let payload_hash = rolesanywhere::sigv4::payload_hash(request.body());
    let string_to_sign = verify::string_to_sign(request, auth, amz_date, false, &payload_hash)
        .map_err(|e| access_denied(format!("Invalid signature: {e}")))?;
    if !verify::x509_signature_matches(&session.leaf, session.key_type, auth.signature, &string_to_sign) {
        return Err(access_denied("Invalid signature"));
    }
    Ok(())
}

/// Step 4: the trust anchor is configured and enabled; the leaf meets the end-entity rules (\[A\],
/// \[T\]: v3, CA false, digitalSignature, SHA-256 or stronger, a subject, valid now, with the
/// library's own messages); a path leads from it through the chain to one of the anchor's CAs;
/// and no enabled CRL of the anchor revokes it (\[R\]).
fn verify_chain<'s>(state: &'s State, session: &SessionRequest<'_>, now: Time) -> Result<&'s Anchor, ApiError> {
    let arn = &session.fields.trust_anchor_arn;
    let anchor = state.config.anchors.get(arn).ok_or_else(|| not_found(format!("Trust anchor {arn} not found")))?;
    if !anchor.enabled {
        return Err(access_denied(format!("Trust anchor {arn} is disabled")));
    }
    session.leaf.check_end_entity(now).map_err(|e| access_denied(format!("Untrusted signing certificate: {e}")))?;
    verify_path(anchor, session.leaf.der(), &session.chain, now)?;
    Ok(anchor)
}

/// Path validation from the leaf through the chain to one of the anchor's CAs, by rustls-webpki
/// (RFC 5280 path building: signatures, validity, basic constraints, path length, name
/// constraints; an extended key usage, when present, must include clientAuth); then revocation.
fn verify_path(anchor: &Anchor, leaf_der: &[u8], chain: &[CertificateDer<'static>], now: Time) -> Result<(), ApiError> {
    let leaf = CertificateDer::from(leaf_der);
    let ee = webpki::EndEntityCert::try_from(&leaf)
        .map_err(|e| access_denied(format!("Untrusted signing certificate: cannot read it ({e})")))?;
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.unix_seconds()));
    let algs = verify::SIGNATURE_ALGORITHMS;
    let path = ee
        .verify_for_usage(algs, &anchor.trust_anchors, chain, time, webpki::KeyUsage::client_auth(), None, None)
        .map_err(|e| {
            let why = match e {
                webpki::Error::UnknownIssuer => "no chain to the trust anchor's CA certificates".to_string(),
                webpki::Error::CertExpired { .. } => "a certificate of the chain has expired".to_string(),
                webpki::Error::CertNotValidYet { .. } => "a certificate of the chain is not valid yet".to_string(),
                other => format!("{other:?}"),
            };
            access_denied(format!("Untrusted signing certificate: {why}"))
        })?;
    // The CA the path ends at must itself be valid now ([T]: the trust anchor's CA certificate;
    // the guide warns about the bundle's expiration).
    let used = path.anchor();
    let index = anchor.trust_anchors.iter().position(|a| {
        a.subject_public_key_info.as_ref() == used.subject_public_key_info.as_ref()
            && a.subject.as_ref() == used.subject.as_ref()
    });
    if let Some((cn, not_before, not_after)) = index.and_then(|i| anchor.validity.get(i)) {
        if now < *not_before || now > *not_after {
            return Err(access_denied(format!(
                "Untrusted signing certificate: the trust anchor's CA {cn:?} is valid from {not_before} to {not_after}"
            )));
        }
    }
    // [R]: the anchor's CRLs. Each is signed by one of the anchor's CAs (checked at load), so it
    // speaks for the certificate of the path that this CA issued: the top intermediate, or the
    // leaf when the CA issued it directly. A CRL of another CA of the bundle does not apply, even
    // if it lists the same serial number (RFC 5280 §6.3.3: a CRL covers its issuer's
    // certificates). A CRL past its nextUpdate still applies: Roles Anywhere fetches nothing, and
    // how it treats expired CRLs is not documented.
    let (issued_by_anchor, which) = match path.intermediate_certificates().next_back() {
        Some(top) => (top.serial(), " (an intermediate CA of its chain)"),
        None => (ee.serial(), ""),
    };
    let revoked_by = anchor
        .crls
        .iter()
        .filter(|crl| crl.enabled && Some(crl.issuer) == index)
        .find(|crl| crl.revoked.contains(issued_by_anchor));
    if let Some(crl) = revoked_by {
        // The message AWS answers (observed: "AccessDeniedException: Certificate revoked").
        return Err(access_denied(format!("Certificate revoked{which}: listed by CRL {}", crl.name)));
    }
    Ok(())
}

/// What [`authorize`] grants.
struct Grant<'s> {
    role: &'s Role,
    duration_seconds: u64,
    session_name: String,
    /// The session's source identity ([`source_identity`]).
    source_identity: String,
}

/// Step 5: the profile and role, instance properties, the session's duration and name (\[C\]),
/// its source identity, and the role's trust policy (\[T\]).
fn authorize<'s>(state: &'s State, session: &SessionRequest<'_>, anchor: &Anchor) -> Result<Grant<'s>, ApiError> {
    let (profile, role) = profile_and_role(state, &session.fields)?;
    // [API] requireInstanceProperties: "whether instance properties are required in temporary
    // credential requests with this profile". AWS's answer without them is not documented; the
    // stand-in refuses as it refuses a session name the profile does not accept (the one
    // documented refusal a profile setting causes): AccessDeniedException.
    if profile.require_instance_properties && session.fields.instance_properties == 0 {
        return Err(access_denied(format!(
            "Profile {} requires instance properties (requireInstanceProperties is true) and the request has none",
            profile.arn
        )));
    }
    let duration_seconds = session_duration(&session.fields, profile, role)?;
    let session_name = session_name(session, profile)?;
    let source_identity = source_identity(session.leaf.subject_common_name(), session.leaf.serial_bytes())?;
    let context = trust_context(session, anchor, profile, &session_name, &source_identity)?;
    check_trust_policy(role, &context)?;
    Ok(Grant { role, duration_seconds, session_name, source_identity })
}

/// The profile is configured and enabled and lists the role, which is configured.
fn profile_and_role<'s>(state: &'s State, fields: &Fields) -> Result<(&'s Profile, &'s Role), ApiError> {
    let (profile_arn, role_arn) = (&fields.profile_arn, &fields.role_arn);
    let profile =
        state.config.profiles.get(profile_arn).ok_or_else(|| not_found(format!("Profile {profile_arn} not found")))?;
    if !profile.enabled {
        return Err(access_denied(format!("Profile {profile_arn} is disabled")));
    }
    if !profile.role_arns.iter().any(|r| r == role_arn) {
        return Err(access_denied(format!("Role {role_arn} is not one of the roles of profile {profile_arn}")));
    }
    let role = state.config.roles.get(role_arn).ok_or_else(|| not_found(format!("Role {role_arn} not found")))?;
    Ok((profile, role))
}

/// \[C\] *Expiration*: finalDurationSeconds = min(profileDurationSeconds,
/// createSessionDurationSeconds), or the profile's when the request gives none; above the
/// role's MaxSessionDuration the API answers an error.
fn session_duration(fields: &Fields, profile: &Profile, role: &Role) -> Result<u64, ApiError> {
    let profile_seconds = u64::from(profile.duration_seconds);
    let seconds = fields.duration_seconds.map_or(profile_seconds, |r| r.min(profile_seconds));
    if seconds > u64::from(role.max_session_duration) {
        return Err(validation(format!(
            "The session duration {seconds} s exceeds the MaxSessionDuration {} s of role {}",
            role.max_session_duration, role.arn
        )));
    }
    Ok(seconds)
}

/// \[C\] "The relationship between CreateSession and AssumeRole": a custom role session name is
/// refused with Access Denied unless the profile accepts custom names; it defaults to the
/// certificate's serial number, hex-encoded (\[T\] *Role trusts*; [`serial_hex`]). \[C\]
/// roleSessionName: 2 to 64 characters of `[\w+=,.@-]`.
fn session_name(session: &SessionRequest<'_>, profile: &Profile) -> Result<String, ApiError> {
    let Some(name) = &session.fields.role_session_name else { return Ok(session.leaf.serial_hex()) };
    if !profile.accept_role_session_name {
        return Err(access_denied(format!(
            "Profile {} does not accept a custom role session name (acceptRoleSessionName is false)",
            profile.arn
        )));
    }
    if !is_valid_role_session_name(name) {
        return Err(validation("roleSessionName must be 2 to 64 characters of letters, digits and _+=,.@-"));
    }
    Ok(name.clone())
}

/// \[T\] *Source identity rules*: `CN=` and the subject's CN when it is at most 61 characters; the
/// CN alone when it has 62 to 64; without a CN, `ID=` and the serial in hex "left-padded with
/// zero to be even in length" (291 gives `ID=0123`). The hex case is not documented: lower case,
/// as in the session name. Not documented either: a CN longer than 64 characters (X.509's
/// `ub-common-name`), refused here since the rules give it no source identity and STS's is at
/// most 64; several CNs (the first is used); CN characters outside STS's source-identity
/// pattern (kept).
fn source_identity(subject_cn: Option<&str>, serial: &[u8]) -> Result<String, ApiError> {
    match subject_cn {
        Some(cn) if cn.chars().count() <= 61 => Ok(format!("CN={cn}")),
        Some(cn) if cn.chars().count() <= 64 => Ok(cn.to_string()),
        Some(cn) => Err(access_denied(format!(
            "The subject CN has {} characters; a source identity is defined for CNs of at most 64",
            cn.chars().count()
        ))),
        None => {
            let hex = serial_hex(serial);
            let (sign, digits) = hex.strip_prefix('-').map_or(("", hex.as_str()), |d| ("-", d));
            let pad = if digits.len() % 2 == 1 { "0" } else { "" };
            Ok(format!("ID={sign}{pad}{digits}"))
        }
    }
}

/// The condition keys the trust policy is evaluated with (\[T\]): the principal tags the
/// profile's attribute mapping takes from the certificate (as `aws:PrincipalTag/…` and
/// `aws:RequestTag/…`, their names in `aws:TagKeys`), `aws:SourceArn` and `aws:SourceAccount`
/// "set based on the ARN of the trust anchor", the source identity, the session name, and the
/// service as principal type.
fn trust_context(
    session: &SessionRequest<'_>,
    anchor: &Anchor,
    profile: &Profile,
    session_name: &str,
    source_identity: &str,
) -> Result<Context, ApiError> {
    let tags = tags::principal_tags(session.leaf.der(), &profile.attribute_mapping).map_err(access_denied)?;
    let mut context = Context::new();
    context.set("aws:SourceArn", anchor.arn.clone());
    context.set("aws:SourceAccount", anchor.account.clone());
    context.set("sts:SourceIdentity", source_identity);
    context.set("sts:RoleSessionName", session_name);
    context.set("aws:PrincipalType", "AWSService");
    for (name, value) in &tags {
        context.set(&format!("aws:PrincipalTag/{name}"), value.clone());
        context.set(&format!("aws:RequestTag/{name}"), value.clone());
    }
    context.set_all("aws:TagKeys", tags.into_iter().map(|(name, _)| name).collect());
    Ok(context)
}

/// \[T\]: the role's trust policy must allow the service principal `sts:AssumeRole`,
/// `sts:SetSourceIdentity` and `sts:TagSession` with the request's condition keys.
fn check_trust_policy(role: &Role, context: &Context) -> Result<(), ApiError> {
    for action in policy::REQUIRED_ACTIONS {
        let why = match role.trust_policy.evaluate(action, context) {
            Decision::Allow => continue,
            Decision::ExplicitDeny { statement } => format!("explicitly denied by trust policy statement {statement}"),
            Decision::ImplicitDeny { reasons } => {
                format!("no trust policy statement allows it ({})", reasons.join("; "))
            }
        };
        return Err(access_denied(format!("Not authorized to perform {action} on {}: {why}", role.arn)));
    }
    Ok(())
}

/// Step 6: new credentials for the role session, and the answer of \[C\] "Response syntax" (201).
/// \[C\] *Expiration*: "Expiration = CurrentTime + finalDurationSeconds", nothing else (the
/// certificate's notAfter does not enter it). When the store holds its most sessions, the answer
/// is \[CE\]'s `ServiceUnavailable` (503, which clients retry) rather than credentials STS would
/// not know.
fn issue(
    state: &State,
    session: &SessionRequest<'_>,
    anchor: &Anchor,
    grant: Grant<'_>,
    now: Time,
) -> Result<Reply, ApiError> {
    let expiration = now.saturating_add(grant.duration_seconds);
    let source_identity = Some(grant.source_identity.clone());
    let (access_key_id, issued) = state
        .store
        .issue(Issued::session(grant.role, &grant.session_name, expiration, source_identity), now)
        .map_err(|full| ApiError {
            status: 503,
            kind: "ServiceUnavailable",
            message: format!("The stand-in holds its most sessions ({}; limits.maxSessions)", full.max_sessions),
        })?;
    let subject_arn = format!(
        "arn:{}:rolesanywhere:{}:{}:subject/{}",
        anchor.partition,
        anchor.region,
        anchor.account,
        subject_id(&anchor.arn, session.leaf.der())
    );
    let credential_set = json!({
        "assumedRoleUser": {"arn": issued.assumed_role_arn, "assumedRoleId": issued.assumed_role_id},
        "credentials": {
            "accessKeyId": access_key_id,
            "expiration": expiration.to_string(),
            "secretAccessKey": issued.secret_access_key.as_str(),
            "sessionToken": issued.session_token.as_str(),
        },
        "packedPolicySize": 0,
        "roleArn": grant.role.arn,
        "sourceIdentity": grant.source_identity,
    });
    let body = Zeroizing::new(json!({"credentialSet": [credential_set], "subjectArn": subject_arn}).to_string());
    Ok(Reply {
        status: 201,
        headers: vec![("content-type", "application/json".into()), ("x-amzn-requestid", store::request_id())],
        body: body.as_bytes().to_vec(),
        outcome: "ok".into(),
    })
}

/// A stable subject ID for (trust anchor, certificate subject), in UUID form.
fn subject_id(anchor_arn: &str, leaf_der: &[u8]) -> String {
    let subject = x509_cert::Certificate::from_der(leaf_der)
        .ok()
        .and_then(|c| x509_cert::der::Encode::to_der(c.tbs_certificate().subject()).ok())
        .unwrap_or_default();
    let mut h = Sha256::new();
    h.update(anchor_arn.as_bytes());
    h.update([0]);
    h.update(&subject);
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    store::uuid_text(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_the_minimal_lower_case_hex_serial() {
        for (serial, hex) in [
            (&[0x61, 0xd5, 0x69, 0x2c][..], "61d5692c"),
            (&[0x00, 0x80, 0x01], "8001"),
            (&[0x0a, 0xbc], "abc"),
            (&[0x00], "0"),
            (&[0xff], "-1"),
            (&[0xff, 0x00], "-100"),
        ] {
            assert_eq!(serial_hex(serial), hex, "{serial:02x?}");
        }
    }

    #[test]
    fn source_identity_rules() {
        // [T] Source identity rules, the guide's two examples: 291 is hex 123, then ID=0123;
        // 17767 is hex 4567, then ID=4567.
        assert_eq!(source_identity(None, &[0x01, 0x23]).unwrap(), "ID=0123");
        assert_eq!(source_identity(None, &[0x45, 0x67]).unwrap(), "ID=4567");
        assert_eq!(source_identity(None, &[0x00, 0xab, 0xcd]).unwrap(), "ID=abcd");
        let cn = |n: usize| "c".repeat(n);
        assert_eq!(source_identity(Some("awsUser"), &[1]).unwrap(), "CN=awsUser");
        assert_eq!(source_identity(Some(&cn(61)), &[1]).unwrap(), format!("CN={}", cn(61)));
        assert_eq!(source_identity(Some(&cn(62)), &[1]).unwrap(), cn(62));
        assert_eq!(source_identity(Some(&cn(64)), &[1]).unwrap(), cn(64));
        // Characters, not bytes: 61 two-byte characters still take the prefix.
        assert_eq!(source_identity(Some(&"é".repeat(61)), &[1]).unwrap(), format!("CN={}", "é".repeat(61)));
        let e = source_identity(Some(&cn(65)), &[1]).unwrap_err();
        assert_eq!((e.status, e.kind), (403, "AccessDeniedException"));
        assert!(e.message.contains("65 characters"), "{}", e.message);
    }

    #[test]
    fn instance_properties_are_a_map_of_strings_within_the_limits() {
        let check = |v: Value| instance_properties(Some(&v));
        assert_eq!(instance_properties(None).unwrap(), 0);
        assert_eq!(check(Value::Null).unwrap(), 0);
        assert_eq!(check(json!({})).unwrap(), 0);
        assert_eq!(check(json!({"hostname": "web-1", "arch": "x86_64"})).unwrap(), 2);
        let fifty: Map<String, Value> = (0..50).map(|i| (format!("k{i}"), json!("v"))).collect();
        assert_eq!(check(Value::Object(fifty.clone())).unwrap(), 50);
        let mut fifty_one = fifty;
        fifty_one.insert("one-more".into(), json!("v"));
        let long = "x".repeat(201);
        for (bad, words) in [
            (json!({"cpu": 4}), "must be a string"),
            (json!({"tags": ["a"]}), "must be a string"),
            (json!(["hostname", "web-1"]), "JSON object"),
            (json!("hostname=web-1"), "JSON object"),
            (json!({"hostname": ""}), "1 to 200"),
            (json!({"hostname": long.clone()}), "1 to 200"),
            (json!({long.clone(): "v"}), "keys"),
            (json!({"": "v"}), "keys"),
            (Value::Object(fifty_one), "51 entries"),
        ] {
            let e = check(bad.clone()).unwrap_err();
            assert_eq!((e.status, e.kind), (400, "ValidationException"), "{bad}");
            assert!(e.message.contains(words), "{bad}: {}", e.message);
        }
        assert_eq!(check(json!({"x".repeat(200): "y".repeat(200)})).unwrap(), 1);
    }
}
