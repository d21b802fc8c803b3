//! `POST /` (or `GET /?…`) with `Action=GetCallerIdentity` or `Action=AssumeRole`: AWS STS's
//! query API, answering in STS's XML for credentials the stand-in issued.
//!
//! Sources: **\[GCI\]** STS API Reference, "GetCallerIdentity" (response elements `Arn`, `UserId`,
//! `Account`; example response); **\[CE\]** STS API Reference, "Common Errors"
//! (`InvalidClientTokenId` 403: "The X.509 certificate or AWS access key ID provided does not
//! exist in our records"; `MissingAuthenticationToken` 403; `IncompleteSignature` 400;
//! `RequestExpired`, 15 minutes), STS "AssumeRole" errors (`ExpiredToken`, 400: "The security token
//! included in the request is expired"); **\[V4\]** "Create a signed AWS API request" and
//! "Authentication methods" (checked by [`super::verify`]).

use rolesanywhere::{is_valid_duration, is_valid_role_session_name, sigv4, Arn, ArnField, Time};
use rolesanywhere::{MAX_DURATION_SECONDS, MIN_DURATION_SECONDS};
use zeroize::Zeroizing;

use super::policy::{Caller, Context, Decision};
use super::store::{self, Issued};
use super::verify::{self, AmzDateError, Authorization};
use super::{Reply, Request, State};

/// The service name of the credential scope.
const SERVICE: &str = "sts";

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
        xml_reply(self.status, request_id, &body, self.code)
    }
}

/// An STS answer: XML, with its request ID; `outcome` for the log.
fn xml_reply(status: u16, request_id: String, body: &str, outcome: &str) -> Reply {
    Reply {
        status,
        headers: vec![("content-type", "text/xml".into()), ("x-amzn-requestid", request_id)],
        body: body.as_bytes().to_vec(),
        outcome: outcome.into(),
    }
}

/// Answers an STS query request.
pub fn handle(state: &State, request: &Request) -> Reply {
    answer(state, request).unwrap_or_else(StsError::reply)
}

fn answer(state: &State, request: &Request) -> Result<Reply, StsError> {
    let now = state.clock.now();
    let query = verify::form_decode(verify::query(request));
    let mut params = query.clone();
    let content_type = verify::header(request, "content-type");
    let form = content_type.is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if request.method() == hyper::Method::POST && (form || content_type.is_none()) {
        params.extend(verify::form_decode(&String::from_utf8_lossy(request.body())));
    }
    let param = |name: &str| verify::param(&params, name);

    let issued = authenticate(state, request, &query, &params, now)?;
    match param("Action") {
        Some("GetCallerIdentity") => Ok(get_caller_identity(&issued)),
        Some("AssumeRole") => assume_role(state, &issued, &params, now),
        Some(other) => {
            Err(error(400, "InvalidAction", format!("Could not find operation {other} for version 2011-06-15")))
        }
        None => Err(error(400, "MissingAction", "Missing Action")),
    }
}

/// \[GCI\]: the caller's `Arn`, `UserId` (for an assumed role: "role-id:session-name") and
/// `Account`.
fn get_caller_identity(issued: &Issued) -> Reply {
    let request_id = store::request_id();
    let body = format!(
        "<GetCallerIdentityResponse xmlns=\"{XMLNS}\">\n  <GetCallerIdentityResult>\n    <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n",
        xml_escape(&issued.assumed_role_arn),
        xml_escape(&issued.assumed_role_id),
        xml_escape(&issued.account)
    );
    xml_reply(200, request_id, &body, "ok")
}

/// Authentication, first as in STS, so that a request without valid credentials learns nothing:
/// the signature of the `Authorization` header or of a presigned URL (\[V4\]), with credentials
/// the stand-in issued and their session token, made within 15 minutes of the clock (\[CE\]) or
/// within a presigned URL's `X-Amz-Expires`, for `sts` and a host of the signing region. Returns
/// the caller's session.
fn authenticate(
    state: &State,
    request: &Request,
    query: &[(String, String)],
    params: &[(String, String)],
    now: Time,
) -> Result<Issued, StsError> {
    let incomplete = |message: String| error(400, "IncompleteSignature", message);
    let invalid_token = || error(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
    let mismatch = || {
        error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        )
    };
    let (auth, presigned) = match verify::header(request, "authorization") {
        Some(header) => (Authorization::parse(header), None),
        None => match Authorization::from_query(query) {
            Some(auth) => (auth, Some(query)),
            None => return Err(error(403, "MissingAuthenticationToken", "Request is missing Authentication Token")),
        },
    };
    let auth = auth.map_err(|e| incomplete(format!("Authorization header requires a valid form: {e}")))?;
    if auth.algorithm != sigv4::ALGORITHM {
        return Err(incomplete(format!("Unsupported AWS 'algorithm': '{}'", auth.algorithm)));
    }
    let issued = state.store.get(auth.credential).ok_or_else(invalid_token)?;
    // Temporary credentials need their session token ([V4]: X-Amz-Security-Token).
    let token =
        verify::header(request, "x-amz-security-token").or_else(|| verify::param(params, "X-Amz-Security-Token"));
    if token != Some(issued.session_token.as_str()) {
        return Err(invalid_token());
    }
    let (amz_date_text, amz_date) = verify::amz_date(request, presigned).map_err(|e| match e {
        AmzDateError::Missing => incomplete("Authorization header requires existence of an X-Amz-Date header".into()),
        AmzDateError::Malformed(text) => incomplete(format!("X-Amz-Date {text:?} is not YYYYMMDDTHHMMSSZ")),
    })?;
    // The token is expired when the clock or the request's own (accepted) signing time is past
    // its expiration: with a pinned clock (--now) a later-dated request shows time has passed.
    if now.max(amz_date) >= issued.expiration {
        return Err(error(400, "ExpiredToken", "The security token included in the request is expired"));
    }
    let valid_for = match presigned {
        Some(query) => Some(
            verify::param(query, "X-Amz-Expires")
                .and_then(|text| text.parse::<u64>().ok())
                .filter(|s| (1..=u64::from(sigv4::MAX_EXPIRES_SECONDS)).contains(s))
                .ok_or_else(|| {
                    error(400, "AuthorizationQueryParametersError", "X-Amz-Expires must be 1 to 604800 seconds")
                })?,
        ),
        None => None,
    };
    if !verify::is_current(amz_date, now, valid_for) {
        return Err(error(
            403,
            "SignatureDoesNotMatch",
            format!(
                "Signature expired: {amz_date_text} is now earlier or later than 15 minutes from {}",
                now.amz_date()
            ),
        ));
    }
    if auth.scope.date != amz_date.date_stamp() || auth.scope.service != SERVICE {
        return Err(error(
            403,
            "SignatureDoesNotMatch",
            format!(
                "Credential should be scoped to a valid date, region and service '{SERVICE}', not {:?}",
                auth.scope.text
            ),
        ));
    }
    verify::check_host(request, auth.scope.region, SERVICE).map_err(|e| error(403, "SignatureDoesNotMatch", e))?;
    let payload_hash = match verify::header(request, "x-amz-content-sha256") {
        Some(h) => h.to_string(),
        None => sigv4::payload_hash(request.body()),
    };
    let string_to_sign = verify::string_to_sign(request, &auth, amz_date_text, presigned.is_some(), &payload_hash)
        .map_err(|_| mismatch())?;
    if !verify::hmac_signature_matches(&issued.secret_access_key, &auth.scope, auth.signature, &string_to_sign) {
        return Err(mismatch());
    }
    Ok(issued)
}

/// STS `AssumeRole` with credentials the stand-in issued (role chaining): the target role's trust
/// policy must allow the calling session (\[AR\] STS API Reference, "AssumeRole": `RoleArn`,
/// `RoleSessionName` 2–64 characters of `[\w+=,.@-]`, `DurationSeconds` 900 up to the role's
/// maximum and "role chaining limits your … session to a maximum of one hour"; errors
/// `AccessDenied` 403 and `ValidationError` 400). A source identity carries over to the new
/// session, and then the trust policy must also allow `sts:SetSourceIdentity` (IAM User Guide,
/// "Monitor and control actions taken with assumed roles").
fn assume_role(state: &State, caller: &Issued, params: &[(String, String)], now: Time) -> Result<Reply, StsError> {
    let param = |name: &str| verify::param(params, name);
    let invalid = |m: String| error(400, "ValidationError", m);
    let role_arn =
        param("RoleArn").ok_or_else(|| invalid("1 validation error detected: RoleArn is required".into()))?;
    Arn::parse(ArnField::Role, role_arn)
        .map_err(|r| invalid(format!("RoleArn {role_arn:?} is not a role ARN: the ARN {r}")))?;
    let session_name = param("RoleSessionName")
        .ok_or_else(|| invalid("1 validation error detected: RoleSessionName is required".into()))?;
    if !is_valid_role_session_name(session_name) {
        return Err(invalid("RoleSessionName must be 2 to 64 characters of letters, digits and _+=,.@-".into()));
    }
    let duration: u64 = match param("DurationSeconds") {
        None => 3600,
        Some(text) => text.parse().ok().filter(|d| is_valid_duration(*d)).ok_or_else(|| {
            invalid(format!(
                "DurationSeconds {text:?} must be a number from {MIN_DURATION_SECONDS} to {MAX_DURATION_SECONDS}"
            ))
        })?,
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
    let expiration = now.saturating_add(duration);
    // A full store refuses ([CE] `ServiceUnavailable`, 503: "The request has failed due to a
    // temporary failure of the server") rather than hand out credentials it would not know.
    let (access_key_id, issued) = state
        .store
        .issue(Issued::session(role, session_name, expiration, caller.source_identity.clone()), now)
        .map_err(|full| {
            error(503, "ServiceUnavailable", format!("The stand-in holds its most sessions ({})", full.max_sessions))
        })?;
    let source_identity = caller
        .source_identity
        .as_deref()
        .map(|id| format!("    <SourceIdentity>{}</SourceIdentity>\n", xml_escape(id)))
        .unwrap_or_default();
    let request_id = store::request_id();
    // [AR] response: Credentials (AccessKeyId, SecretAccessKey, SessionToken, Expiration),
    // AssumedRoleUser (Arn, AssumedRoleId), PackedPolicySize, SourceIdentity.
    let body = Zeroizing::new(format!(
        "<AssumeRoleResponse xmlns=\"{XMLNS}\">\n  <AssumeRoleResult>\n{source_identity}    <AssumedRoleUser>\n      <Arn>{}</Arn>\n      <AssumedRoleId>{}</AssumedRoleId>\n    </AssumedRoleUser>\n    <Credentials>\n      <AccessKeyId>{access_key_id}</AccessKeyId>\n      <SecretAccessKey>{}</SecretAccessKey>\n      <SessionToken>{}</SessionToken>\n      <Expiration>{expiration}</Expiration>\n    </Credentials>\n    <PackedPolicySize>0</PackedPolicySize>\n  </AssumeRoleResult>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</AssumeRoleResponse>\n",
        xml_escape(&issued.assumed_role_arn),
        xml_escape(&issued.assumed_role_id),
        xml_escape(&issued.secret_access_key),
        xml_escape(&issued.session_token),
    ));
    Ok(xml_reply(200, request_id, &body, "ok"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use subtle::ConstantTimeEq;

    #[test]
    fn escapes_and_compares() {
        assert_eq!(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        let eq = |a: &[u8], b: &[u8]| bool::from(a.ct_eq(b));
        assert!(eq(b"abc", b"abc"));
        assert!(!eq(b"abc", b"abd"));
        assert!(!eq(b"abc", b"ab"));
    }
}
