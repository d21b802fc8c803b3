//! `rolesanywhere credential-process`: gets credentials through the provider ([`crate::provider`]:
//! the CLI's cache, then a sign-in with the core's retries and backoff) and prints them in the
//! JSON shape that the AWS CLI and SDKs read from a `credential_process` (AWS CLI User Guide,
//! *Sourcing credentials with an external process*), as AWS's own `aws_signing_helper
//! credential-process` does, plus `AccountId` when the answer names the account (botocore's
//! `ProcessProvider` reads it: `credentials.py`, `_get_account_id`). Also the sign-in that
//! `serve` and `update` share: [`hooks`] and [`create_session`].

use std::io::Read;
use std::sync::Arc;

use clap::Args;
use rolesanywhere::{parse_response, ErrorCode, Millis, ProviderConfig, SignedRequest};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::cache::{Cache, CacheArgs};
use crate::net::{Net, NetArgs};
use crate::provider::{AttemptError, DueRefresh, Hooks, Issued, Provider};
use crate::{Failure, SignArgs};

/// Options of `rolesanywhere credential-process`.
#[derive(Args)]
pub struct CredentialProcessArgs {
    #[command(flatten)]
    sign: SignArgs,
    #[command(flatten)]
    cache: CacheArgs,
    #[command(flatten)]
    net: NetArgs,
}

/// The documented `credential_process` output, in its field order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output<'a> {
    version: u32,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    /// RFC 3339 (UTC), which the SDKs use to refresh before it passes.
    expiration: String,
    /// The account of the credentials, when the answer names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
}

/// Gets credentials and prints `{"Version":1,"AccessKeyId",…,"Expiration"}` on stdout.
///
/// `--date` (a fixed signing time) and `--explain` (the signing steps on stderr) ask for a
/// sign-in of this run's own, so they leave the cache out.
pub fn run(args: CredentialProcessArgs) -> Result<(), Failure> {
    let CredentialProcessArgs { sign, cache, net } = args;
    sign.check_inputs()?;
    let net = Net::new(&net)?;
    let now: Box<dyn Fn() -> Millis + Send + Sync> = match &sign.date {
        Some(text) => {
            let pinned = crate::parse_date(text)?.unix_seconds().saturating_mul(1000);
            Box::new(move || pinned)
        }
        None => {
            // A clock before 1970 is reported here, before anything else.
            crate::unix_millis()?;
            Box::new(|| crate::unix_millis().unwrap_or(0))
        }
    };
    let cache = if sign.date.is_some() || sign.explain { None } else { Cache::open(&cache) };
    let explain = sign.explain;
    let provider = Provider::new(
        hooks(Arc::new(sign), Arc::new(net), now, explain, cache),
        ProviderConfig::default(),
        DueRefresh::Wait,
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(ErrorCode::Internal, format!("cannot start the async runtime: {e}")))?;
    let credentials = runtime.block_on(provider.credentials())?;
    let output = Output {
        version: 1,
        access_key_id: credentials.access_key_id(),
        secret_access_key: credentials.secret_access_key(),
        session_token: credentials.session_token(),
        expiration: credentials.expiration().to_string(),
        account_id: credentials.account_id.as_deref(),
    };
    let json =
        Zeroizing::new(serde_json::to_string(&output).map_err(|e| Failure::new(ErrorCode::Internal, e.to_string()))?);
    crate::write_stdout(&json)
}

/// The provider hooks of the commands that get credentials: the clock `now`; signing with the
/// flags of `sign` (the files read again each time); sending with [`create_session`] through
/// `net` on a blocking thread; and the `cache` entry of the certificate currently in
/// `--certificate`.
pub fn hooks(
    sign: Arc<SignArgs>,
    net: Arc<Net>,
    now: Box<dyn Fn() -> Millis + Send + Sync>,
    explain: bool,
    cache: Option<Cache>,
) -> Hooks {
    let args = sign.clone();
    Hooks {
        now,
        sign: Box::new(move |time| crate::sign_at(&sign, time, explain)),
        send: Box::new(move |request| {
            let net = net.clone();
            Box::pin(async move {
                tokio::task::spawn_blocking(move || create_session(&net, &request))
                    .await
                    .unwrap_or_else(|e| Err(Failure::new(ErrorCode::Internal, e.to_string()).into()))
            })
        }),
        shared: cache.map(|cache| {
            Box::new(move || Ok(cache.entry(&args.leaf()?, &args.create_session_options())))
                as Box<dyn Fn() -> _ + Send + Sync>
        }),
    }
}

/// What the endpoint answered.
struct Answer {
    status: u16,
    /// The `X-Amzn-ErrorType` header.
    error_type: Option<String>,
    /// The wait a 429 or 503 answer asked for (`Retry-After`), in milliseconds.
    retry_after_ms: Option<u64>,
    /// At most one byte more than the core accepts, so that an oversized answer is reported as such.
    body: Zeroizing<Vec<u8>>,
}

/// Sends a signed `CreateSession` request through `net` and returns the credentials of the
/// answer and their account; errors carry AWS's error kind as their code, or `Network` when the
/// endpoint could not be reached, and the service's `Retry-After`. Whether the credentials are
/// fresh enough is the provider's call.
pub fn create_session(net: &Net, signed: &SignedRequest) -> Result<Issued, AttemptError> {
    let answer = send(net, signed)?;
    match parse_response(answer.status, answer.error_type.as_deref(), &answer.body) {
        Ok(session) => {
            let account_id = session.account_id().map(str::to_string);
            Ok(Issued { credentials: session.credentials, account_id })
        }
        Err(e) => {
            Err(AttemptError { failure: rolesanywhere::Error::from(e).into(), retry_after_ms: answer.retry_after_ms })
        }
    }
}

/// POSTs the request and reads the answer.
fn send(net: &Net, signed: &SignedRequest) -> Result<Answer, Failure> {
    let network = |message: String| Failure::new(ErrorCode::Network, message);
    let client = net.client(&signed.url)?;
    let mut request = client.agent().post(&signed.url);
    for (name, value) in &signed.headers {
        request = request.header(name, value);
    }
    let mut response = request.send(signed.body.as_bytes()).map_err(|e| network(client.explain(&signed.url, &e)))?;
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok());
    let error_type = header("x-amzn-errortype").map(str::to_string);
    let retry_after_ms =
        header("retry-after").and_then(|v| rolesanywhere::retry_after_ms(status, v, crate::unix_millis().unwrap_or(0)));
    let limit = rolesanywhere::MAX_RESPONSE_LEN as u64;
    let mut body = Zeroizing::new(Vec::new());
    response
        .body_mut()
        .as_reader()
        .take(limit + 1)
        .read_to_end(&mut body)
        .map_err(|e| network(format!("reading the answer of {}: {e}", signed.url)))?;
    Ok(Answer { status, error_type, retry_after_ms, body })
}
