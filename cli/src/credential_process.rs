//! `rolesanywhere credential-process`: sends the signed `CreateSession` request and prints the
//! credentials in the JSON shape that the AWS CLI and SDKs read from a `credential_process`
//! (AWS CLI User Guide, *Sourcing credentials with an external process*), as AWS's own
//! `aws_signing_helper credential-process` does.

use std::io::Read;
use std::time::Duration;

use rolesanywhere::{parse_response, Credentials, ErrorCode, SignedRequest};
use zeroize::Zeroizing;

use crate::Failure;

/// How long the whole exchange may take before the command gives up.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Sends `signed` and prints `{"Version":1,"AccessKeyId",…,"Expiration"}` on stdout.
pub fn run(signed: &SignedRequest) -> Result<(), Failure> {
    let credentials = &create_session(signed)?;
    // The field order and names of the documented credential_process output; Expiration in
    // RFC 3339 (UTC), which the SDKs use to refresh before it passes.
    let json = Zeroizing::new(
        serde_json::json!({
            "Version": 1,
            "AccessKeyId": credentials.access_key_id(),
            "SecretAccessKey": credentials.secret_access_key(),
            "SessionToken": credentials.session_token(),
            "Expiration": credentials.expiration().to_string(),
        })
        .to_string(),
    );
    crate::write_stdout(&json)
}

/// What the endpoint answered.
struct Answer {
    status: u16,
    /// The `X-Amzn-ErrorType` header.
    error_type: Option<String>,
    /// At most one byte more than the core accepts, so that an oversized answer is reported as such.
    body: Zeroizing<Vec<u8>>,
}

/// Sends a signed `CreateSession` request and returns the credentials of the answer; errors
/// carry AWS's error kind as their code, or `Network` when the endpoint could not be reached.
pub fn create_session(signed: &SignedRequest) -> Result<Credentials, Failure> {
    let answer = send(signed)?;
    let session = parse_response(answer.status, answer.error_type.as_deref(), &answer.body)
        .map_err(rolesanywhere::Error::from)?;
    Ok(session.credentials)
}

/// POSTs the request and reads the answer.
fn send(signed: &SignedRequest) -> Result<Answer, Failure> {
    let network = |message: String| Failure::new(ErrorCode::Network, message);
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(TIMEOUT)).build().into();
    let mut request = agent.post(&signed.url);
    for (name, value) in &signed.headers {
        request = request.header(name, value);
    }
    let mut response =
        request.send(signed.body.as_bytes()).map_err(|e| network(format!("cannot reach {}: {e}", signed.url)))?;
    let status = response.status().as_u16();
    let error_type = response.headers().get("x-amzn-errortype").and_then(|v| v.to_str().ok()).map(str::to_string);
    let limit = rolesanywhere::MAX_RESPONSE_LEN as u64;
    let mut body = Zeroizing::new(Vec::new());
    response
        .body_mut()
        .as_reader()
        .take(limit + 1)
        .read_to_end(&mut body)
        .map_err(|e| network(format!("reading the answer of {}: {e}", signed.url)))?;
    Ok(Answer { status, error_type, body })
}
