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

use rolesanywhere::canonical_request;
use rolesanywhere::sigv4::SigningKey;

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
    let mut params = sessions::form_decode(&request.query);
    let form = request.header("content-type").is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if request.method == "POST" && (form || request.header("content-type").is_none()) {
        params.extend(sessions::form_decode(&String::from_utf8_lossy(&request.body)));
    }
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());

    // Authentication first, as STS does: a request without valid credentials learns nothing.
    let auth_header = request
        .header("authorization")
        .ok_or_else(|| error(403, "MissingAuthenticationToken", "Request is missing Authentication Token"))?;
    let auth = parse_authorization(auth_header)
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
    let amz_date_text = request.header("x-amz-date").ok_or_else(|| {
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
    if distance(amz_date, now) > MAX_SKEW_SECONDS {
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
    let string_to_sign = sessions::string_to_sign(request, &auth, &payload_hash).map_err(|_| mismatch())?;
    let key = SigningKey::derive(&issued.secret_access_key, auth.date, auth.region, auth.service);
    let expected = key.sign(&string_to_sign);
    if !constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        return Err(mismatch());
    }

    match param("Action") {
        Some("GetCallerIdentity") => {}
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

/// Compares two byte strings in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_compares() {
        assert_eq!(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
