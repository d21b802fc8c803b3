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
//!   `X-Forwarded-For` (whatever its value) is refused, as IMDS does, so that a proxy cannot
//!   fetch tokens. Tokens hold their expiry and an HMAC of it under a key made at start, so
//!   that checking one needs no table that a flood of `PUT`s could fill.
//!   Clients: `AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:PORT/`.
//! - **Container credentials** (SDKs and Tools Reference Guide, *Container credential
//!   provider*): `GET /credentials` with the `Authorization` header equal to the token from
//!   `--authorization-token-file` gives `{"AccessKeyId","SecretAccessKey","Token","Expiration",
//!   "RoleArn"}`, and `"AccountId"` when the CreateSession answer names the account, which
//!   botocore's `ContainerProvider` reads (`credentials.py`, `fetch_creds`: `AccountId`). The
//!   IMDS answer has no such field: EC2 defines none, and no SDK reads one there.
//!   Clients: `AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:PORT/credentials`
//!   and `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
//!
//! Credentials come from [`crate::provider`] with stale-while-refresh: a client gets the valid
//! credentials at once while a refresh runs in the background. It binds loopback unless told
//! otherwise (and warns when told otherwise), and never logs a secret.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use base64ct::{Base64UrlUnpadded, Encoding};
use clap::Args;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Response, StatusCode};
use ring::hmac;
use rolesanywhere::ErrorCode;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::cache::{Cache, CacheArgs};
use crate::net::{Net, NetArgs};
use crate::provider::{DueRefresh, Issued, Provider, RefreshArgs};
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
    #[command(flatten)]
    refresh: RefreshArgs,
    #[command(flatten)]
    cache: CacheArgs,
    #[command(flatten)]
    net: NetArgs,
}

/// Longest IMDSv2 token lifetime (six hours), as IMDS allows.
const MAX_TOKEN_TTL: u64 = 21_600;

struct State {
    provider: Provider,
    role_name: String,
    role_arn: String,
    tokens: Tokens,
    container_token: Option<Zeroizing<String>>,
}

/// IMDSv2 session tokens without state: a token is its expiry (milliseconds since this process
/// started, 8 bytes big-endian) and the HMAC-SHA256 of it under a random key made at start,
/// base64url. Checking one needs the key alone, so no number of `PUT`s uses anything up, and
/// no token outlives the process.
struct Tokens {
    key: hmac::Key,
    start: Instant,
}

/// Bytes in a token: the expiry and the HMAC-SHA256 tag.
const TOKEN_BYTES: usize = 8 + 32;

impl Tokens {
    fn new() -> Result<Self, Failure> {
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &ring::rand::SystemRandom::new())
            .map_err(|_| Failure::new(ErrorCode::Internal, "cannot make a key for the IMDSv2 tokens"))?;
        Ok(Tokens { key, start: Instant::now() })
    }

    /// Milliseconds since the process started.
    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A token valid for `ttl` seconds.
    fn issue(&self, ttl: u64) -> String {
        let expiry = self.now().saturating_add(ttl * 1000).to_be_bytes();
        let mut bytes = expiry.to_vec();
        bytes.extend_from_slice(hmac::sign(&self.key, &expiry).as_ref());
        Base64UrlUnpadded::encode_string(&bytes)
    }

    /// Whether `token` was issued by this process and has not expired.
    fn valid(&self, token: &str) -> bool {
        if token.len() != Base64UrlUnpadded::encoded_len(&[0; TOKEN_BYTES]) {
            return false;
        }
        let mut bytes = [0u8; TOKEN_BYTES];
        let Ok(decoded) = Base64UrlUnpadded::decode(token, &mut bytes) else { return false };
        let Some((expiry, tag)) = decoded.split_first_chunk::<8>() else { return false };
        hmac::verify(&self.key, expiry, tag).is_ok() && self.now() < u64::from_be_bytes(*expiry)
    }
}

/// Runs the server until interrupted.
pub fn run(args: ServeArgs) -> Result<(), Failure> {
    if args.sign.date.is_some() || args.sign.explain {
        return Err(Failure::new(
            ErrorCode::InvalidOptions,
            "--date and --explain are for sign-request; serve signs at the current time",
        ));
    }
    args.sign.check_inputs()?;
    let net = Arc::new(Net::new(&args.net)?);
    let container_token = match &args.authorization_token_file {
        Some(path) => {
            let shown = crate::shown_path(path);
            let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                Failure::new(ErrorCode::InvalidInput, format!("cannot read --authorization-token-file {shown}: {e}"))
            })?);
            let token = text.trim();
            if token.is_empty() || token.len() > 8192 || token.bytes().any(|b| !(0x21..0x7f).contains(&b)) {
                return Err(Failure::new(
                    ErrorCode::InvalidInput,
                    format!("--authorization-token-file {shown}: expected one printable token"),
                ));
            }
            crate::warn_if_exposed("--authorization-token-file", path);
            Some(Zeroizing::new(token.to_string()))
        }
        None => None,
    };
    let listen = args.listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], args.port.unwrap_or(9911))));
    if !listen.ip().is_loopback() {
        eprintln!(
            "warning: listening on {listen}, not on loopback: every host that can reach it can take the credentials \
             with an IMDSv2 token{}",
            if container_token.is_some() { " (the container endpoint still needs its token)" } else { "" }
        );
    }
    let role_arn = args.sign.role_arn.clone();
    let role_name = role_arn.rsplit('/').next().unwrap_or_default().to_string();
    let config = args.refresh.config();
    let now = Box::new(|| crate::unix_millis().unwrap_or(0));
    let hooks = crate::credential_process::hooks(Arc::new(args.sign), net, now, false, Cache::open(&args.cache));
    let state = Arc::new(State {
        provider: Provider::new(hooks, config, DueRefresh::Background),
        role_name,
        role_arn,
        tokens: Tokens::new()?,
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
        (&Method::PUT, "/latest/api/token") => issue_token(
            state,
            request.headers().contains_key("x-forwarded-for"),
            header("x-aws-ec2-metadata-token-ttl-seconds"),
        ),
        (&Method::GET, _) if path.starts_with("/latest/") => {
            if !header("x-aws-ec2-metadata-token").is_some_and(|token| state.tokens.valid(token)) {
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

/// `PUT /latest/api/token`; refused when the request came through a proxy (`X-Forwarded-For`
/// present, whatever its bytes), as IMDS refuses it.
fn issue_token(state: &State, forwarded: bool, ttl: Option<&str>) -> Response<Full<Bytes>> {
    if forwarded {
        return text(StatusCode::FORBIDDEN, "");
    }
    let Some(ttl) = ttl.and_then(|t| t.parse::<u64>().ok()).filter(|t| (1..=MAX_TOKEN_TTL).contains(t)) else {
        return text(StatusCode::BAD_REQUEST, "");
    };
    let mut response = text(StatusCode::OK, &state.tokens.issue(ttl));
    response.headers_mut().insert("x-aws-ec2-metadata-token-ttl-seconds", HeaderValue::from(ttl));
    response
}

/// Which JSON shape to answer with.
enum Shape {
    Imds,
    Container,
}

async fn credentials_response(state: &State, shape: Shape) -> Response<Full<Bytes>> {
    let credentials: Issued = match state.provider.credentials().await {
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
        Shape::Container => {
            let mut body = serde_json::json!({
                "AccessKeyId": credentials.access_key_id(),
                "SecretAccessKey": credentials.secret_access_key(),
                "Token": credentials.session_token(),
                "Expiration": expiration,
                "RoleArn": state.role_arn,
            });
            if let Some(account) = &credentials.account_id {
                body["AccountId"] = account.as_str().into();
            }
            body
        }
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
