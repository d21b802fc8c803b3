//! `POST /` (or `GET /?…`) with `Action=GetCallerIdentity`: AWS STS's query API, answering in
//! STS's XML for credentials the stand-in issued.
//!
//! Sources: **\[GCI\]** STS API Reference, "GetCallerIdentity" (response elements `Arn`, `UserId`,
//! `Account`; example response); **\[CE\]** STS API Reference, "Common Errors"
//! (`InvalidClientTokenId` 403: "The X.509 certificate or AWS access key ID provided does not
//! exist in our records"; `MissingAuthenticationToken` 403; `IncompleteSignature` 400;
//! `RequestExpired`, 15 minutes), STS "AssumeRole" errors (`ExpiredToken`, 400: "The security token
//! included in the request is expired"); **\[V4\]** "Create a signed AWS API request" (the
//! signature is recomputed from the received request; the key from `rolesanywhere::sigv4`).

use rolesanywhere::sigv4 as canonical_request;
use rolesanywhere::sigv4::SigningKey;
use subtle::ConstantTimeEq;

use super::sessions::{self, distance, parse_amz_date, parse_authorization, MAX_SKEW_SECONDS};
use super::store;
use super::{Reply, Request, State};

const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

struct StsError {
    status: u16,
    code: &'static str,
    message: String,
}

fn error(status: u16, code: &'static str, message: impl Into<String>) -> StsError {
    StsError { status, code, message: message.into() }
}

/// Escapes text for XML element content.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

impl StsError {
    /// STS's query-API error document: `ErrorResponse/Error/{Type,Code,Message}` and `RequestId`.
    fn reply(self) -> Reply {
        let request_id = store::request_id();
        let kind = if self.status >= 500 { "Receiver" } else { "Sender" };
        let body = format!(
            "<ErrorResponse xmlns=\"{XMLNS}\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
            self.code,
            xml_escape(&self.message)
        );
        Reply {
            status: self.status,
            headers: vec![("content-type", "text/xml".into()), ("x-amzn-requestid", request_id)],
            body: body.into_bytes(),
            outcome: self.code.into(),
        }
    }
}

/// Answers an STS query request.
pub fn handle(state: &State, request: &Request) -> Reply {
    match answer(state, request) {
        Ok(reply) => reply,
        Err(e) => e.reply(),
    }
}

fn answer(state: &State, request: &Request) -> Result<Reply, StsError> {
    let now = state.clock.now();
    let query_params = sessions::form_decode(&request.query);
    let mut params = query_params.clone();
    let form = request.header("content-type").is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if request.method == "POST" && (form || request.header("content-type").is_none()) {
        params.extend(sessions::form_decode(&String::from_utf8_lossy(&request.body)));
    }
    let param = |name: &str| lookup(&params, name);

    // Authentication first, as STS does: a request without valid credentials learns nothing.
    // Either the Authorization header, or a presigned URL ([V4] "Authentication methods", query
    // parameters X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders, -Signature).
    let q = |name: &str| lookup(&query_params, name);
    let presigned = request.header("authorization").is_none() && q("X-Amz-Signature").is_some();
    let auth_text = match request.header("authorization") {
        Some(header) => header.to_string(),
        None if presigned => format!(
            "{} Credential={}, SignedHeaders={}, Signature={}",
            q("X-Amz-Algorithm").unwrap_or(""),
            q("X-Amz-Credential").unwrap_or(""),
            q("X-Amz-SignedHeaders").unwrap_or(""),
            q("X-Amz-Signature").unwrap_or("")
        ),
        None => return Err(error(403, "MissingAuthenticationToken", "Request is missing Authentication Token")),
    };
    let auth = parse_authorization(&auth_text)
        .map_err(|e| error(400, "IncompleteSignature", format!("Authorization header requires a valid form: {e}")))?;
    if auth.algorithm != "AWS4-HMAC-SHA256" {
        return Err(error(400, "IncompleteSignature", format!("Unsupported AWS 'algorithm': '{}'", auth.algorithm)));
    }
    let issued = state
        .store
        .get(auth.credential)
        .ok_or_else(|| error(403, "InvalidClientTokenId", "The security token included in the request is invalid."))?;
    // Temporary credentials need their session token ([V4]: X-Amz-Security-Token).
    let token = request.header("x-amz-security-token").or_else(|| param("X-Amz-Security-Token"));
    if token != Some(issued.session_token.as_str()) {
        return Err(error(403, "InvalidClientTokenId", "The security token included in the request is invalid."));
    }
    let amz_date_text = if presigned { q("X-Amz-Date") } else { request.header("x-amz-date") };
    let amz_date_text = amz_date_text.ok_or_else(|| {
        error(400, "IncompleteSignature", "Authorization header requires existence of an X-Amz-Date header")
    })?;
    let amz_date = parse_amz_date(amz_date_text).ok_or_else(|| {
        error(400, "IncompleteSignature", format!("X-Amz-Date {amz_date_text:?} is not YYYYMMDDTHHMMSSZ"))
    })?;
    // The token is expired when the clock or the request's own (accepted) signing time is past
    // its expiration: with a pinned clock (--now) a later-dated request shows time has passed.
    if now.max(amz_date) >= issued.expiration {
        return Err(error(400, "ExpiredToken", "The security token included in the request is expired"));
    }
    // A presigned URL is good from its date (give or take the skew) for X-Amz-Expires seconds.
    let expires = if presigned {
        let text = q("X-Amz-Expires").unwrap_or("");
        let seconds: u64 = text.parse().ok().filter(|s| (1..=604_800).contains(s)).ok_or_else(|| {
            error(400, "AuthorizationQueryParametersError", "X-Amz-Expires must be 1 to 604800 seconds")
        })?;
        Some(seconds)
    } else {
        None
    };
    let too_old = match expires {
        Some(seconds) => now.unix_seconds() > amz_date.unix_seconds().saturating_add(seconds),
        None => amz_date < now && distance(amz_date, now) > MAX_SKEW_SECONDS,
    };
    if too_old || (amz_date > now && distance(amz_date, now) > MAX_SKEW_SECONDS) {
        return Err(error(
            403,
            "SignatureDoesNotMatch",
            format!(
                "Signature expired: {amz_date_text} is now earlier or later than 15 minutes from {}",
                now.amz_date()
            ),
        ));
    }
    if auth.date != amz_date.date_stamp() || auth.service != "sts" {
        return Err(error(
            403,
            "SignatureDoesNotMatch",
            format!("Credential should be scoped to a valid date, region and service 'sts', not {:?}", auth.scope),
        ));
    }
    sessions::check_host(request, auth.region, "sts").map_err(|e| error(403, "SignatureDoesNotMatch", e))?;
    let payload_hash = match request.header("x-amz-content-sha256") {
        Some(h) => h.to_string(),
        None => canonical_request::payload_hash(&request.body),
    };
    let mismatch = || {
        error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        )
    };
    let string_to_sign = if presigned {
        let query: Vec<&str> =
            request.query.split('&').filter(|pair| pair.split('=').next() != Some("X-Amz-Signature")).collect();
        sessions::string_to_sign_with(request, &query.join("&"), amz_date_text, &auth, &payload_hash)
    } else {
        sessions::string_to_sign(request, &auth, &payload_hash)
    }
    .map_err(|_| mismatch())?;
    let key = SigningKey::derive(&issued.secret_access_key, auth.date, auth.region, auth.service);
    let expected = key.sign(&string_to_sign);
    if !bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) {
        return Err(mismatch());
    }

    match param("Action") {
        Some("GetCallerIdentity") => {}
        Some("AssumeRole") => return assume_role(state, &issued, &params, now),
        Some(other) => {
            return Err(error(400, "InvalidAction", format!("Could not find operation {other} for version 2011-06-15")))
        }
        None => return Err(error(400, "MissingAction", "Missing Action")),
    }
    // [GCI] response: Arn, UserId (for an assumed role: "role-id:session-name"), Account.
    let request_id = store::request_id();
    let body = format!(
        "<GetCallerIdentityResponse xmlns=\"{XMLNS}\">\n  <GetCallerIdentityResult>\n    <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n",
        xml_escape(&issued.assumed_role_arn),
        xml_escape(&issued.assumed_role_id),
        xml_escape(&issued.account)
    );
    Ok(Reply {
        status: 200,
        headers: vec![("content-type", "text/xml".into()), ("x-amzn-requestid", request_id)],
        body: body.into_bytes(),
        outcome: "ok".into(),
    })
}

/// STS `AssumeRole` with credentials the stand-in issued (role chaining): the target role's trust
/// policy must allow the calling session (\[AR\] STS API Reference, "AssumeRole": `RoleArn`,
/// `RoleSessionName` 2–64 characters of `[\w+=,.@-]`, `DurationSeconds` 900 up to the role's
/// maximum and "role chaining limits your … session to a maximum of one hour"; errors
/// `AccessDenied` 403 and `ValidationError` 400). A source identity carries over to the new
/// session, and then the trust policy must also allow `sts:SetSourceIdentity` (IAM User Guide,
/// "Monitor and control actions taken with assumed roles").
fn assume_role(
    state: &State,
    caller: &store::Issued,
    params: &[(String, String)],
    now: rolesanywhere::Time,
) -> Result<Reply, StsError> {
    let param = |name: &str| lookup(params, name);
    use super::policy::{Caller, Context, Decision};
    let invalid = |m: String| error(400, "ValidationError", m);
    let role_arn =
        param("RoleArn").ok_or_else(|| invalid("1 validation error detected: RoleArn is required".into()))?;
    rolesanywhere::Arn::parse(rolesanywhere::ArnField::Role, role_arn)
        .map_err(|r| invalid(format!("RoleArn {role_arn:?} is not a role ARN: the ARN {r}")))?;
    let session_name = param("RoleSessionName")
        .ok_or_else(|| invalid("1 validation error detected: RoleSessionName is required".into()))?;
    let name_ok = (2..=64).contains(&session_name.len())
        && session_name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if !name_ok {
        return Err(invalid("RoleSessionName must be 2 to 64 characters of letters, digits and _+=,.@-".into()));
    }
    let duration: u64 = match param("DurationSeconds") {
        None => 3600,
        Some(text) => text
            .parse()
            .ok()
            .filter(|d| (900..=43_200).contains(d))
            .ok_or_else(|| invalid(format!("DurationSeconds {text:?} must be a number from 900 to 43200")))?,
    };
    if duration > 3600 {
        return Err(invalid(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.".into(),
        ));
    }
    let denied = |why: String| {
        error(
            403,
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn} ({why})",
                caller.assumed_role_arn
            ),
        )
    };
    let role = state.config.roles.get(role_arn).ok_or_else(|| denied("no such role is configured".into()))?;
    let mut context = Context::new();
    context.set("aws:PrincipalArn", caller.role_arn.clone());
    context.set("aws:PrincipalAccount", caller.account.clone());
    context.set("aws:PrincipalType", "AssumedRole");
    context.set("aws:userid", caller.assumed_role_id.clone());
    context.set("sts:RoleSessionName", session_name);
    let mut actions = vec!["sts:AssumeRole"];
    if let Some(id) = &caller.source_identity {
        context.set("sts:SourceIdentity", id.clone());
        actions.push("sts:SetSourceIdentity");
    }
    let who = Caller::RoleSession {
        account: &caller.account,
        role_arn: &caller.role_arn,
        session_arn: &caller.assumed_role_arn,
    };
    for action in actions {
        match role.trust_policy.evaluate_for(&who, action, &context) {
            Decision::Allow => {}
            Decision::ExplicitDeny { statement } => {
                return Err(denied(format!("{action} explicitly denied by trust policy statement {statement}")))
            }
            Decision::ImplicitDeny { reasons } => {
                return Err(denied(format!("no trust policy statement allows {action}: {}", reasons.join("; "))))
            }
        }
    }
    if duration > u64::from(role.max_session_duration) {
        return Err(invalid("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.".into()));
    }
    let assumed_role_arn =
        format!("arn:{}:sts::{}:assumed-role/{}/{session_name}", role.partition, role.account, role.name);
    let assumed_role_id = format!("{}:{session_name}", super::sessions::role_unique_id(&role.arn));
    let expiration = now.saturating_add(duration);
    let (access_key_id, issued) = state.store.issue(
        store::Issued {
            session_token: zeroize::Zeroizing::new(String::new()),
            secret_access_key: zeroize::Zeroizing::new(String::new()),
            expiration,
            assumed_role_arn: assumed_role_arn.clone(),
            assumed_role_id: assumed_role_id.clone(),
            account: role.account.clone(),
            role_arn: role.arn.clone(),
            source_identity: caller.source_identity.clone(),
        },
        now,
    );
    let source_identity = caller
        .source_identity
        .as_deref()
        .map(|id| format!("    <SourceIdentity>{}</SourceIdentity>\n", xml_escape(id)))
        .unwrap_or_default();
    let request_id = store::request_id();
    // [AR] response: Credentials (AccessKeyId, SecretAccessKey, SessionToken, Expiration),
    // AssumedRoleUser (Arn, AssumedRoleId), PackedPolicySize, SourceIdentity.
    let body = zeroize::Zeroizing::new(format!(
        "<AssumeRoleResponse xmlns=\"{XMLNS}\">\n  <AssumeRoleResult>\n{source_identity}    <AssumedRoleUser>\n      <Arn>{}</Arn>\n      <AssumedRoleId>{}</AssumedRoleId>\n    </AssumedRoleUser>\n    <Credentials>\n      <AccessKeyId>{access_key_id}</AccessKeyId>\n      <SecretAccessKey>{}</SecretAccessKey>\n      <SessionToken>{}</SessionToken>\n      <Expiration>{expiration}</Expiration>\n    </Credentials>\n    <PackedPolicySize>0</PackedPolicySize>\n  </AssumeRoleResult>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</AssumeRoleResponse>\n",
        xml_escape(&assumed_role_arn),
        xml_escape(&assumed_role_id),
        xml_escape(&issued.secret_access_key),
        xml_escape(&issued.session_token),
    ));
    Ok(Reply {
        status: 200,
        headers: vec![("content-type", "text/xml".into()), ("x-amzn-requestid", request_id)],
        body: body.as_bytes().to_vec(),
        outcome: "ok".into(),
    })
}

/// The first value of a query or form parameter.
fn lookup<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_compares() {
        assert_eq!(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        let eq = |a: &[u8], b: &[u8]| bool::from(a.ct_eq(b));
        assert!(eq(b"abc", b"abc"));
        assert!(!eq(b"abc", b"abd"));
        assert!(!eq(b"abc", b"ab"));
    }
}
