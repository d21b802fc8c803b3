//! `rolesanywhere serve`: a local credential endpoint for processes that cannot run the
//! library, refreshed through [`crate::provider`]. It speaks two protocols the AWS SDKs and CLI
//! already know:
//!
//! - **IMDSv2**, like AWS's own `aws_signing_helper serve` (EC2 User Guide, *Use the Instance
//!   Metadata Service to access instance metadata*, IMDSv2): `PUT /latest/api/token` with
//!   `X-aws-ec2-metadata-token-ttl-seconds` (1–21600) gives a session token; `GET
//!   /latest/meta-data/iam/security-credentials/` with `X-aws-ec2-metadata-token` names the role,
//!   and `GET …/security-credentials/ROLE` gives `{"Code":"Success","LastUpdated","Type":
//!   "AWS-HMAC","AccessKeyId","SecretAccessKey","Token","Expiration"}`. A `PUT` carrying
//!   `X-Forwarded-For` is refused, as IMDS does, so that a proxy cannot fetch tokens.
//!   Clients: `AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:PORT/`.
//! - **Container credentials** (SDKs and Tools Reference Guide, *Container credential
//!   provider*): `GET /credentials` with the `Authorization` header equal to the token from
//!   `--authorization-token-file` gives `{"AccessKeyId","SecretAccessKey","Token","Expiration",
//!   "RoleArn"}`. Clients: `AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:PORT/credentials`
//!   and `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
//!
//! It binds loopback unless told otherwise, and never logs a secret.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64ct::{Base64UrlUnpadded, Encoding};
use clap::Args;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Response, StatusCode};
use rolesanywhere::{Credentials, ErrorCode, ProviderConfig, RefreshPolicy};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::provider::{DueRefresh, Hooks, Provider};
use crate::{Failure, SignArgs};

/// Options of `rolesanywhere serve`.
#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    sign: SignArgs,
    /// Address to listen on (default 127.0.0.1:9911, AWS's helper's port); port 0 picks a free
    /// port. The address is printed on stdout.
    #[arg(long, value_name = "ADDR", conflicts_with = "port")]
    listen: Option<SocketAddr>,
    /// Port on 127.0.0.1 (the flag of AWS's helper).
    #[arg(long, value_name = "PORT")]
    port: Option<u16>,
    /// File holding the token that container-credential clients send as `Authorization`
    /// (AWS_CONTAINER_AUTHORIZATION_TOKEN); without it the container endpoint is off.
    #[arg(long, value_name = "FILE")]
    authorization_token_file: Option<PathBuf>,
    /// Refresh at the latest this many seconds before the credentials or the certificate
    /// expire (they are refreshed at half their lifetime anyway).
    #[arg(long, value_name = "SECONDS", default_value_t = RefreshPolicy::default().margin_seconds)]
    refresh_margin: u64,
}

/// Longest IMDSv2 token lifetime (six hours), as IMDS allows.
const MAX_TOKEN_TTL: u64 = 21_600;
/// Most IMDSv2 tokens held at once; expired ones are dropped first.
const MAX_TOKENS: usize = 10_000;

struct State {
    provider: Provider,
    role_name: String,
    role_arn: String,
    /// IMDSv2 tokens and when each expires.
    tokens: Mutex<HashMap<String, Instant>>,
    container_token: Option<Zeroizing<String>>,
}

/// Runs the server until interrupted.
pub fn run(args: ServeArgs) -> Result<(), Failure> {
    if args.sign.date.is_some() || args.sign.explain {
        return Err(Failure::new(
            ErrorCode::InvalidOptions,
            "--date and --explain are for sign-request; serve signs at the current time",
        ));
    }
    let container_token = match &args.authorization_token_file {
        Some(path) => {
            let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                Failure::new(ErrorCode::InvalidInput, format!("cannot read --authorization-token-file {path:?}: {e}"))
            })?);
            let token = text.trim();
            if token.is_empty() || token.len() > 8192 || token.bytes().any(|b| !(0x21..0x7f).contains(&b)) {
                return Err(Failure::new(
                    ErrorCode::InvalidInput,
                    format!("--authorization-token-file {path:?}: expected one printable token"),
                ));
            }
            Some(Zeroizing::new(token.to_string()))
        }
        None => None,
    };
    let listen = args.listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], args.port.unwrap_or(9911))));
    let role_arn = args.sign.role_arn.clone();
    let role_name = role_arn.rsplit('/').next().unwrap_or_default().to_string();
    let config =
        ProviderConfig { policy: RefreshPolicy { margin_seconds: args.refresh_margin }, ..ProviderConfig::default() };
    let sign = Arc::new(args.sign);
    let hooks = Hooks {
        now: Box::new(|| crate::unix_millis().unwrap_or(0)),
        sign: Box::new(move |now| crate::sign_at(&sign, now, false)),
        send: Box::new(|request| {
            Box::pin(async move {
                tokio::task::spawn_blocking(move || crate::credential_process::create_session(&request))
                    .await
                    .unwrap_or_else(|e| Err(Failure::new(ErrorCode::Internal, e.to_string())))
            })
        }),
    };
    let state = Arc::new(State {
        provider: Provider::new(hooks, config, DueRefresh::Wait),
        role_name,
        role_arn,
        tokens: Mutex::new(HashMap::new()),
        container_token,
    });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(ErrorCode::Internal, format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let server = crate::http::serve(listen, move |request| {
            let state = state.clone();
            async move { handle(&state, &request).await }
        });
        tokio::select! {
            result = server => result,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}

async fn handle(state: &State, request: &crate::http::Request) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    if let Err(e) = request.body() {
        eprintln!("{} {} -> {}", request.method(), path, e.status());
        return text(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST), &e.message());
    }
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    let response = match (request.method(), path) {
        (&Method::PUT, "/latest/api/token") => {
            issue_token(state, header("x-forwarded-for"), header("x-aws-ec2-metadata-token-ttl-seconds"))
        }
        (&Method::GET, _) if path.starts_with("/latest/") => {
            if !valid_token(state, header("x-aws-ec2-metadata-token")) {
                text(StatusCode::UNAUTHORIZED, "")
            } else {
                match path.strip_prefix("/latest/meta-data/iam/security-credentials/") {
                    Some("") => text(StatusCode::OK, &state.role_name),
                    Some(name) if name == state.role_name => credentials_response(state, Shape::Imds).await,
                    _ => text(StatusCode::NOT_FOUND, ""),
                }
            }
        }
        (&Method::GET, "/credentials") => match (&state.container_token, header("authorization")) {
            (None, _) => text(StatusCode::NOT_FOUND, "the container endpoint needs --authorization-token-file"),
            (Some(_), None) => text(StatusCode::UNAUTHORIZED, ""),
            (Some(expected), Some(given)) if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) => {
                credentials_response(state, Shape::Container).await
            }
            (Some(_), Some(_)) => text(StatusCode::FORBIDDEN, ""),
        },
        _ => text(StatusCode::NOT_FOUND, ""),
    };
    eprintln!("{} {} -> {}", request.method(), path, response.status().as_u16());
    response
}

fn issue_token(state: &State, forwarded_for: Option<&str>, ttl: Option<&str>) -> Response<Full<Bytes>> {
    if forwarded_for.is_some() {
        return text(StatusCode::FORBIDDEN, "");
    }
    let Some(ttl) = ttl.and_then(|t| t.parse::<u64>().ok()).filter(|t| (1..=MAX_TOKEN_TTL).contains(t)) else {
        return text(StatusCode::BAD_REQUEST, "");
    };
    let mut bytes = [0u8; 32];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).is_err() {
        return text(StatusCode::INTERNAL_SERVER_ERROR, "");
    }
    let token = Base64UrlUnpadded::encode_string(&bytes);
    let now = Instant::now();
    let mut tokens = state.tokens.lock().unwrap_or_else(|e| e.into_inner());
    if tokens.len() >= MAX_TOKENS {
        tokens.retain(|_, expires| *expires > now);
        if tokens.len() >= MAX_TOKENS {
            return text(StatusCode::SERVICE_UNAVAILABLE, "");
        }
    }
    tokens.insert(token.clone(), now + Duration::from_secs(ttl));
    let mut response = text(StatusCode::OK, &token);
    response.headers_mut().insert("x-aws-ec2-metadata-token-ttl-seconds", HeaderValue::from(ttl));
    response
}

fn valid_token(state: &State, token: Option<&str>) -> bool {
    let tokens = state.tokens.lock().unwrap_or_else(|e| e.into_inner());
    token.and_then(|t| tokens.get(t)).is_some_and(|expires| *expires > Instant::now())
}

/// Which JSON shape to answer with.
enum Shape {
    Imds,
    Container,
}

async fn credentials_response(state: &State, shape: Shape) -> Response<Full<Bytes>> {
    let credentials: Credentials = match state.provider.credentials().await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("credentials: {} ({})", e.message, e.code);
            let body = serde_json::json!({ "Code": e.code.as_str(), "Message": e.message }).to_string();
            return json(StatusCode::INTERNAL_SERVER_ERROR, body.into());
        }
    };
    let expiration = credentials.expiration().to_string();
    let body = match shape {
        Shape::Imds => serde_json::json!({
            "Code": "Success",
            "LastUpdated": crate::system_time().map(|t| t.to_string()).unwrap_or_default(),
            "Type": "AWS-HMAC",
            "AccessKeyId": credentials.access_key_id(),
            "SecretAccessKey": credentials.secret_access_key(),
            "Token": credentials.session_token(),
            "Expiration": expiration,
        }),
        Shape::Container => serde_json::json!({
            "AccessKeyId": credentials.access_key_id(),
            "SecretAccessKey": credentials.secret_access_key(),
            "Token": credentials.session_token(),
            "Expiration": expiration,
            "RoleArn": state.role_arn,
        }),
    };
    json(StatusCode::OK, body.to_string().into())
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::copy_from_slice(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}

fn json(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
