//! `POST /sessions`: IAM Roles Anywhere `CreateSession`, checked as AWS documents it.
//!
//! Sources: **\[A\]** Roles Anywhere user guide, "Authentication mechanism"; **\[S\]** "Signing
//! process"; **\[C\]** "CreateSession API" (request, response, *Credentials Object* /
//! *Expiration*, "The relationship between CreateSession and AssumeRole"); **\[T\]** "Trust
//! model"; **\[CE\]** AWS "Common Errors" (`RequestExpired`: more than 15 minutes from the date
//! stamp).
//!
//! Order of the checks: the request's form (Authorization, scope, date, certificate headers),
//! the ARNs, the trust anchor, the certificate (end-entity rules, path to the anchor), the
//! signature, then profile, role, duration, session name and the role's trust policy.

use base64ct::{Base64, Encoding};
use rolesanywhere::sigv4::{self as canonical_request, CanonicalRequest, PathOptions};
use rolesanywhere::{Algorithm, Time};
use rolesanywhere::{Arn, ArnField, Region};
use rolesanywhere::{Certificate, MAX_INTERMEDIATES};
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use x509_cert::der::Decode as _;
use zeroize::Zeroizing;

use super::config::{Anchor, Profile, Role};
use super::policy::{self, Context, Decision};
use super::store::{self, Issued};
use super::{tags, Reply, Request, State};

/// Largest difference between `X-Amz-Date` and the clock (\[CE\] `RequestExpired`: "more than 15
/// minutes after the date stamp … or more than 15 minutes in the future").
pub const MAX_SKEW_SECONDS: u64 = 15 * 60;

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
            outcome: self.kind.into(),
        }
    }
}

/// Answers a `POST /sessions`.
pub fn handle(state: &State, request: &Request) -> Reply {
    match create_session(state, request) {
        Ok(reply) => reply,
        Err(e) => e.reply(),
    }
}

/// The parsed `Authorization` header of a SigV4 request.
pub struct Authorization<'a> {
    /// Algorithm, e.g. `AWS4-X509-ECDSA-SHA256`.
    pub algorithm: &'a str,
    /// The credential (serial number or access key ID).
    pub credential: &'a str,
    /// Scope date `YYYYMMDD`.
    pub date: &'a str,
    /// Scope region.
    pub region: &'a str,
    /// Scope service.
    pub service: &'a str,
    /// `date/region/service/aws4_request`.
    pub scope: String,
    /// Signed header names, lower-case, `;`-separated as sent.
    pub signed_headers: &'a str,
    /// Hex signature.
    pub signature: &'a str,
}

/// Parses `ALG Credential=ID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex`
/// (\[S\] Task 4).
pub fn parse_authorization(value: &str) -> Result<Authorization<'_>, &'static str> {
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
    let credential = credential.ok_or("the Authorization header has no Credential")?;
    let signed_headers = signed_headers.ok_or("the Authorization header has no SignedHeaders")?;
    let signature = signature.ok_or("the Authorization header has no Signature")?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [id, date, region, service, "aws4_request"] = parts.as_slice() else {
        return Err("the Credential is not ID/YYYYMMDD/REGION/SERVICE/aws4_request");
    };
    Ok(Authorization {
        algorithm,
        credential: id,
        date,
        region,
        service,
        scope: format!("{date}/{region}/{service}/aws4_request"),
        signed_headers,
        signature,
    })
}

/// Parses `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`).
pub fn parse_amz_date(text: &str) -> Option<Time> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let rfc = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &text[0..4],
        &text[4..6],
        &text[6..8],
        &text[9..11],
        &text[11..13],
        &text[13..15]
    );
    Time::parse_rfc3339(&rfc).ok()
}

/// Seconds between two times.
pub fn distance(a: Time, b: Time) -> u64 {
    a.unix_seconds().abs_diff(b.unix_seconds())
}

/// The region an AWS host names (`SERVICE[-fips].REGION.amazonaws.com…`), with its suffix; `None`
/// for other hosts (loopback, custom names), where the credential scope alone decides.
pub fn host_region<'a>(host: &'a str, service: &str) -> Option<(&'a str, &'a str)> {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let (first, rest) = name.split_once('.')?;
    if first != service && first != format!("{service}-fips") {
        return None;
    }
    let (region, suffix) = rest.split_once('.')?;
    Some((region, suffix))
}

/// Checks the `Host` against the signing region: an AWS host names the region (and the
/// region's partition has its DNS suffix).
pub fn check_host(request: &Request, region: &str, service: &str) -> Result<(), String> {
    let host = request.header("host").unwrap_or("");
    if let Some((host_region, suffix)) = host_region(host, service) {
        if host_region != region {
            return Err(format!("the request is signed for region {region} but sent to host {host}"));
        }
        let expected_suffix = Region::parse(region).map_or("amazonaws.com", |r| r.dns_suffix);
        if !suffix.eq_ignore_ascii_case(expected_suffix) {
            return Err(format!("host {host} is not in the partition of region {region} ({expected_suffix})"));
        }
    }
    Ok(())
}

/// The canonical request and string to sign of a received request (\[S\] Tasks 1–2), for the
/// headers it says it signed.
pub fn string_to_sign(request: &Request, auth: &Authorization<'_>, payload_hash: &str) -> Result<String, String> {
    let amz_date = request.header("x-amz-date").unwrap_or("");
    string_to_sign_with(request, &request.query, amz_date, auth, payload_hash)
}

/// [`string_to_sign`] with the query string and date given (a presigned URL signs its query
/// without `X-Amz-Signature`, and carries the date in `X-Amz-Date` of the query).
pub fn string_to_sign_with(
    request: &Request,
    query: &str,
    amz_date: &str,
    auth: &Authorization<'_>,
    payload_hash: &str,
) -> Result<String, String> {
    let mut headers: Vec<(&str, &str)> = Vec::new();
    for name in auth.signed_headers.split(';') {
        if name.is_empty() || name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err("SignedHeaders must be lower-case names separated by ';'".into());
        }
        let mut found = false;
        for value in request.header_all(name) {
            headers.push((name, value));
            found = true;
        }
        if !found {
            return Err(format!("signed header {name} is not in the request"));
        }
    }
    let canonical =
        CanonicalRequest::new(&request.method, &request.path, query, &headers, payload_hash, PathOptions::DEFAULT);
    Ok(canonical_request::string_to_sign(auth.algorithm, amz_date, &auth.scope, &canonical))
}

/// Decodes `application/x-www-form-urlencoded` / query text (`+` is a space).
pub fn form_decode(text: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let hex = |b: u8| char::from(b).to_digit(16);
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    out.push((hi * 16 + lo) as u8);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

fn create_session(state: &State, request: &Request) -> Result<Reply, ApiError> {
    let now = state.clock.now();

    // --- The request's form ([S] Task 4, [A]).
    let auth_header = request.header("authorization").ok_or_else(|| access_denied("Missing Authorization header"))?;
    let auth =
        parse_authorization(auth_header).map_err(|e| access_denied(format!("Malformed Authorization header: {e}")))?;
    let algorithm = match auth.algorithm {
        "AWS4-X509-ECDSA-SHA256" => Algorithm::EcdsaSha256,
        "AWS4-X509-RSA-SHA256" => Algorithm::RsaSha256,
        other => return Err(access_denied(format!("Unsupported signing algorithm {other:?}"))),
    };
    if auth.service != SERVICE {
        return Err(access_denied(format!("Credential scope names service {:?}, expected {SERVICE}", auth.service)));
    }
    if Region::parse(auth.region).is_none() {
        return Err(access_denied(format!("Credential scope names an invalid region {:?}", auth.region)));
    }
    let amz_date_text = request.header("x-amz-date").ok_or_else(|| access_denied("Missing X-Amz-Date header"))?;
    let amz_date = parse_amz_date(amz_date_text)
        .ok_or_else(|| access_denied(format!("X-Amz-Date {amz_date_text:?} is not YYYYMMDDTHHMMSSZ")))?;
    if amz_date.date_stamp() != auth.date {
        return Err(access_denied(format!(
            "Credential scope date {} differs from the X-Amz-Date day {}",
            auth.date,
            amz_date.date_stamp()
        )));
    }
    // [CE] RequestExpired / SigV4: the date must be within 15 minutes of the server's clock.
    if distance(amz_date, now) > MAX_SKEW_SECONDS {
        return Err(access_denied(format!(
            "Signature expired: request date {amz_date} is more than 15 minutes from the server time {now}"
        )));
    }
    check_host(request, auth.region, SERVICE).map_err(access_denied)?;

    // --- The certificates: X-Amz-X509 is the leaf's DER in base64, X-Amz-X509-Chain up to 5
    // comma-separated intermediates ([A]).
    let leaf_b64 = request.header("x-amz-x509").ok_or_else(|| access_denied("Missing X-Amz-X509 header"))?;
    let leaf_der = Base64::decode_vec(leaf_b64.trim())
        .map_err(|_| access_denied("X-Amz-X509 is not a base64-encoded DER certificate"))?;
    let leaf = Certificate::from_der(&leaf_der).map_err(|e| access_denied(format!("X-Amz-X509: {e}")))?;
    let mut chain = Vec::new();
    if let Some(text) = request.header("x-amz-x509-chain") {
        for (i, part) in text.split(',').enumerate() {
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
    }
    // [A]: Credential is "the decimal representation of the serial number" of the leaf.
    if auth.credential != leaf.serial_number() {
        return Err(access_denied(
            "The Credential serial number is not the serial number of the X-Amz-X509 certificate",
        ));
    }
    // [S]: the algorithm follows the key: ECDSA (P-256 and P-384) or RSA.
    let key_type = leaf.key_type().map_err(|e| access_denied(format!("X-Amz-X509: {e}")))?;
    if key_type.algorithm() != algorithm {
        return Err(access_denied(format!(
            "Signing algorithm {} does not match the certificate's {key_type} key, which signs with {}",
            auth.algorithm,
            key_type.algorithm().name()
        )));
    }
    // [S] Task 1: host, date and the certificate headers are all signed.
    let signed: Vec<&str> = auth.signed_headers.split(';').collect();
    let mut required = vec!["host", "x-amz-date", "x-amz-x509"];
    if request.header("x-amz-x509-chain").is_some() {
        required.push("x-amz-x509-chain");
    }
    if let Some(missing) = required.iter().find(|h| !signed.contains(h)) {
        return Err(access_denied(format!("SignedHeaders must include {missing}")));
    }

    // --- The ARNs: "as URI parameters or as JSON in the request body" ([C]).
    let body: Value = if request.body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(&request.body).map_err(|_| validation("The request body is not valid JSON"))?
    };
    let Value::Object(body) = body else { return Err(validation("The request body must be a JSON object")) };
    let query = form_decode(&request.query);
    let field = |name: &str| -> Result<Option<String>, ApiError> {
        if let Some((_, v)) = query.iter().find(|(k, _)| k == name) {
            return Ok(Some(v.clone()));
        }
        match body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(validation(format!("{name} must be a string"))),
        }
    };
    let required_arn = |name: &str, kind: ArnField| -> Result<String, ApiError> {
        let value = field(name)?.ok_or_else(|| validation(format!("{name} is required")))?;
        Arn::parse(kind, &value).map_err(|r| validation(format!("Invalid {name}: the ARN {r}")))?;
        Ok(value)
    };
    let anchor_arn = required_arn("trustAnchorArn", ArnField::TrustAnchor)?;
    let profile_arn = required_arn("profileArn", ArnField::Profile)?;
    let role_arn = required_arn("roleArn", ArnField::Role)?;

    // --- Region and partition: the trust anchor and profile live in the region the request is
    // signed for (and sent to); the role ARN is in the same partition.
    let partition = Region::parse(auth.region).map_or("aws", |r| r.partition);
    for (name, value) in [("trustAnchorArn", &anchor_arn), ("profileArn", &profile_arn), ("roleArn", &role_arn)] {
        let kind = match name {
            "trustAnchorArn" => ArnField::TrustAnchor,
            "profileArn" => ArnField::Profile,
            _ => ArnField::Role,
        };
        let parsed = Arn::parse(kind, value).map_err(|r| validation(format!("Invalid {name}: the ARN {r}")))?;
        if parsed.partition != partition {
            return Err(validation(format!(
                "{name} is in partition {} but region {} is in partition {partition}",
                parsed.partition, auth.region
            )));
        }
        if kind != ArnField::Role && parsed.region != auth.region {
            return Err(validation(format!(
                "{name} is in region {} but the request is signed for region {}",
                parsed.region, auth.region
            )));
        }
    }

    // --- The trust anchor, the certificate and the signature.
    let anchor: &Anchor = state
        .config
        .anchors
        .get(&anchor_arn)
        .ok_or_else(|| not_found(format!("Trust anchor {anchor_arn} not found")))?;
    if !anchor.enabled {
        return Err(access_denied(format!("Trust anchor {anchor_arn} is disabled")));
    }
    // [A], [T]: end-entity rules (v3, CA false, digitalSignature, SHA-256 or stronger, subject,
    // valid now), with the library's own messages.
    leaf.check_end_entity(now).map_err(|e| access_denied(format!("Untrusted signing certificate: {e}")))?;
    verify_path(anchor, &leaf_der, &chain, now)?;
    let string_to_sign = string_to_sign(request, &auth, &canonical_request::payload_hash(&request.body))
        .map_err(|e| access_denied(format!("Invalid signature: {e}")))?;
    verify_signature(&leaf_der, key_type, auth.signature, &string_to_sign)?;

    // --- Profile and role.
    let profile: &Profile =
        state.config.profiles.get(&profile_arn).ok_or_else(|| not_found(format!("Profile {profile_arn} not found")))?;
    if !profile.enabled {
        return Err(access_denied(format!("Profile {profile_arn} is disabled")));
    }
    if !profile.role_arns.iter().any(|r| r == &role_arn) {
        return Err(access_denied(format!("Role {role_arn} is not one of the roles of profile {profile_arn}")));
    }
    let role: &Role =
        state.config.roles.get(&role_arn).ok_or_else(|| not_found(format!("Role {role_arn} not found")))?;

    // --- Duration ([C] durationSeconds: 900 to 43200; Expiration: finalDurationSeconds =
    // min(profileDurationSeconds, createSessionDurationSeconds), or the profile's when the request
    // gives none; above the role's MaxSessionDuration the API answers an error).
    let requested = match body.get("durationSeconds") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let n = v
                .as_u64()
                .filter(|n| (900..=43_200).contains(n))
                .ok_or_else(|| validation(format!("durationSeconds {v} is outside 900..=43200 seconds")))?;
            Some(n)
        }
    };
    let final_duration =
        requested.map_or(u64::from(profile.duration_seconds), |r| r.min(u64::from(profile.duration_seconds)));
    if final_duration > u64::from(role.max_session_duration) {
        return Err(validation(format!(
            "The session duration {final_duration} s exceeds the MaxSessionDuration {} s of role {role_arn}",
            role.max_session_duration
        )));
    }

    // --- Role session name ([C] "The relationship between CreateSession and AssumeRole": refused
    // with Access Denied unless the profile accepts custom names; defaults to the certificate's
    // serial number).
    let session_name = match field("roleSessionName")? {
        Some(name) => {
            if !profile.accept_role_session_name {
                return Err(access_denied(format!(
                    "Profile {profile_arn} does not accept a custom role session name (acceptRoleSessionName is false)"
                )));
            }
            // [C] roleSessionName: 2-64 characters of [\w+=,.@-].
            let ok = (2..=64).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
            if !ok {
                return Err(validation("roleSessionName must be 2 to 64 characters of letters, digits and _+=,.@-"));
            }
            name
        }
        None => leaf.serial_number(),
    };

    // --- The trust policy ([T]): the service principal must be allowed sts:AssumeRole,
    // sts:SetSourceIdentity and sts:TagSession with the request's condition keys.
    let tags = tags::principal_tags(&leaf_der).map_err(access_denied)?;
    // [T]: the source identity is the subject's CN.
    let source_identity = leaf.subject_common_name().unwrap_or_default().to_string();
    let mut context = Context::new();
    // [T]: "aws:SourceArn and aws:SourceAccount will be set based on the ARN of the trust anchor".
    context.set("aws:SourceArn", anchor_arn.clone());
    context.set("aws:SourceAccount", anchor.account.clone());
    context.set("sts:SourceIdentity", source_identity.clone());
    context.set("sts:RoleSessionName", session_name.clone());
    context.set("aws:PrincipalType", "AWSService");
    for (name, value) in &tags {
        context.set(&format!("aws:PrincipalTag/{name}"), value.clone());
        context.set(&format!("aws:RequestTag/{name}"), value.clone());
    }
    context.set_all("aws:TagKeys", tags.iter().map(|(n, _)| n.clone()).collect());
    for action in policy::REQUIRED_ACTIONS {
        match role.trust_policy.evaluate(action, &context) {
            Decision::Allow => {}
            Decision::ExplicitDeny { statement } => {
                return Err(access_denied(format!(
                    "Not authorized to perform {action} on {role_arn}: explicitly denied by trust policy statement {statement}"
                )))
            }
            Decision::ImplicitDeny { reasons } => {
                return Err(access_denied(format!(
                    "Not authorized to perform {action} on {role_arn}: no trust policy statement allows it ({})",
                    reasons.join("; ")
                )))
            }
        }
    }

    // --- The session. [C] Credentials Object, Expiration: "Expiration = CurrentTime +
    // finalDurationSeconds". The stand-in also ends the session no later than the certificate's
    // notAfter (the issue asks for it; the Expiration subsection as published does not mention
    // the certificate, so this is the stand-in's stricter choice, which clients must tolerate).
    let expiration = now.saturating_add(final_duration).min(leaf.not_after());
    let role_id = role_unique_id(&role.arn);
    let assumed_role_arn =
        format!("arn:{}:sts::{}:assumed-role/{}/{}", role.partition, role.account, role.name, session_name);
    let assumed_role_id = format!("{role_id}:{session_name}");
    let (access_key_id, issued) = state.store.issue(
        Issued {
            session_token: Zeroizing::new(String::new()),
            secret_access_key: Zeroizing::new(String::new()),
            expiration,
            assumed_role_arn: assumed_role_arn.clone(),
            assumed_role_id: assumed_role_id.clone(),
            account: role.account.clone(),
            role_arn: role.arn.clone(),
            source_identity: Some(source_identity.clone()).filter(|s| !s.is_empty()),
        },
        now,
    );
    let subject_arn = format!(
        "arn:{}:rolesanywhere:{}:{}:subject/{}",
        anchor.partition,
        anchor.region,
        anchor.account,
        subject_id(&anchor.arn, &leaf_der)
    );
    // [C] "Response syntax": 201 and this body.
    let credential_set = json!({
        "assumedRoleUser": {"arn": assumed_role_arn, "assumedRoleId": assumed_role_id},
        "credentials": {
            "accessKeyId": access_key_id,
            "expiration": expiration.to_string(),
            "secretAccessKey": issued.secret_access_key.as_str(),
            "sessionToken": issued.session_token.as_str(),
        },
        "packedPolicySize": 0,
        "roleArn": role.arn,
        "sourceIdentity": source_identity,
    });
    let body = Zeroizing::new(json!({"credentialSet": [credential_set], "subjectArn": subject_arn}).to_string());
    Ok(Reply {
        status: 201,
        headers: vec![("content-type", "application/json".into()), ("x-amzn-requestid", store::request_id())],
        body: body.as_bytes().to_vec(),
        outcome: "ok".into(),
    })
}

/// Path validation from the leaf through the chain to one of the anchor's CAs, by rustls-webpki
/// (RFC 5280 path building: signatures, validity, basic constraints, path length, name
/// constraints; an extended key usage, when present, must include clientAuth).
fn verify_path(anchor: &Anchor, leaf_der: &[u8], chain: &[CertificateDer<'static>], now: Time) -> Result<(), ApiError> {
    let leaf = CertificateDer::from(leaf_der);
    let ee = webpki::EndEntityCert::try_from(&leaf)
        .map_err(|e| access_denied(format!("Untrusted signing certificate: cannot read it ({e})")))?;
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.unix_seconds()));
    let algs: &[&dyn SignatureVerificationAlgorithm] = &[
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
    ];
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
    Ok(())
}

/// Verifies the request signature with the leaf's public key: ECDSA over SHA-256 with a DER
/// signature (P-256 and P-384 alike), or RSASSA-PKCS1-v1_5 with SHA-256 (\[S\] Task 3).
fn verify_signature(
    leaf_der: &[u8],
    key_type: rolesanywhere::KeyType,
    signature_hex: &str,
    string_to_sign: &str,
) -> Result<(), ApiError> {
    let invalid = || access_denied("Invalid signature");
    let signature = decode_hex(signature_hex).ok_or_else(invalid)?;
    let alg: &dyn SignatureVerificationAlgorithm = match key_type {
        rolesanywhere::KeyType::EcdsaP256 => webpki::ring::ECDSA_P256_SHA256,
        rolesanywhere::KeyType::EcdsaP384 => webpki::ring::ECDSA_P384_SHA256,
        _ => webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    };
    let leaf = CertificateDer::from(leaf_der);
    let ee = webpki::EndEntityCert::try_from(&leaf).map_err(|_| invalid())?;
    ee.verify_signature(alg, string_to_sign.as_bytes(), &signature).map_err(|_| invalid())
}

/// Lower- or upper-case hex to bytes.
pub fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.is_empty() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// A stable role ID: `AROA` and 17 characters derived from the role ARN (IAM User Guide, "IAM
/// identifiers": role unique IDs begin with AROA).
pub fn role_unique_id(role_arn: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(role_arn.as_bytes());
    let tail: String = digest.iter().take(17).map(|b| char::from(ALPHABET[usize::from(*b) % 32])).collect();
    format!("AROA{tail}")
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
    fn authorization_header_parses() {
        let a = parse_authorization(
            "AWS4-X509-ECDSA-SHA256 Credential=123/20240601/us-west-2/rolesanywhere/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab01",
        )
        .unwrap();
        assert_eq!(
            (a.algorithm, a.credential, a.region, a.service),
            ("AWS4-X509-ECDSA-SHA256", "123", "us-west-2", "rolesanywhere")
        );
        assert_eq!(a.scope, "20240601/us-west-2/rolesanywhere/aws4_request");
        assert!(
            parse_authorization("AWS4-X509-ECDSA-SHA256 Credential=1/2/3/4/x, SignedHeaders=a, Signature=b").is_err()
        );
        assert!(parse_authorization("garbage").is_err());
    }

    #[test]
    fn dates_hosts_and_forms() {
        assert_eq!(parse_amz_date("20240601T120030Z").unwrap().to_string(), "2024-06-01T12:00:30Z");
        assert!(parse_amz_date("2024-06-01T12:00:30Z").is_none());
        assert_eq!(
            host_region("rolesanywhere.us-west-2.amazonaws.com", "rolesanywhere"),
            Some(("us-west-2", "amazonaws.com"))
        );
        assert_eq!(
            host_region("rolesanywhere-fips.us-east-1.amazonaws.com:443", "rolesanywhere"),
            Some(("us-east-1", "amazonaws.com"))
        );
        assert_eq!(host_region("127.0.0.1:8080", "rolesanywhere"), None);
        assert_eq!(host_region("sts.cn-north-1.amazonaws.com.cn", "sts"), Some(("cn-north-1", "amazonaws.com.cn")));
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
        assert!(role_unique_id("arn:aws:iam::123456789012:role/demo").starts_with("AROA"));
        assert_eq!(role_unique_id("arn:aws:iam::123456789012:role/demo").len(), 21);
    }
}
