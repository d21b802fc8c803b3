//! The HTTP side (on the shared listener of [`crate::http`], which bounds request sizes, time
//! and connections): routing, CORS for browser pages on other loopback ports, and one log line
//! per request on stderr (method, path, status, outcome; never a header value, token, secret or
//! signature).

use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Bytes;

use super::{sessions, sts, Reply, Request, State};
use crate::http::BodyError;
use crate::Failure;

/// Headers a browser page may send (CORS preflight).
const ALLOW_HEADERS: &str = "authorization, content-type, x-amz-date, x-amz-x509, x-amz-x509-chain, \
     x-amz-security-token, x-amz-content-sha256, x-amz-user-agent, amz-sdk-invocation-id, amz-sdk-request";

/// Binds `addr`, prints `listening on http://ADDR` on stdout, and serves until killed.
pub async fn serve(addr: SocketAddr, state: Arc<State>) -> Result<(), Failure> {
    crate::http::serve(addr, move |req| {
        let state = state.clone();
        async move { respond(&state, req) }
    })
    .await
}

fn respond(state: &State, req: crate::http::Request) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let origin = parts.headers.get("origin").and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut reply = match body {
        Ok(body) => route(state, &Request::from_parts(parts, body)),
        Err(e) => unreadable(e),
    };
    add_cors(&mut reply, origin.as_deref());
    eprintln!("{} {} -> {} {}", path_for_log(&method), path_for_log(&path), reply.status, reply.outcome);
    let mut response = hyper::Response::new(Full::new(Bytes::from(std::mem::take(&mut reply.body))));
    *response.status_mut() =
        hyper::StatusCode::from_u16(reply.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in reply.headers {
        if let Ok(v) = hyper::header::HeaderValue::from_str(&value) {
            response.headers_mut().append(name, v);
        }
    }
    response
}

/// Methods and paths are logged as received, cut to 200 characters and with control characters replaced.
fn path_for_log(path: &str) -> String {
    path.chars().take(200).map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// The answer to a request whose body could not be read (413, 400 or 408).
fn unreadable(e: BodyError) -> Reply {
    Reply {
        status: e.status(),
        headers: vec![("content-type", "application/json".into())],
        body: serde_json::json!({ "message": e.message() }).to_string().into_bytes(),
        outcome: e.name().into(),
    }
}

fn route(state: &State, request: &Request) -> Reply {
    match (request.method().as_str(), request.uri().path()) {
        ("OPTIONS", _) => Reply { status: 204, headers: Vec::new(), body: Vec::new(), outcome: "preflight".into() },
        ("POST", "/sessions") => sessions::handle(state, request),
        ("POST", "/") | ("GET", "/") => sts::handle(state, request),
        (_, "/sessions") | (_, "/") => Reply {
            status: 405,
            headers: vec![("content-type", "application/json".into())],
            body: br#"{"message":"Method not allowed"}"#.to_vec(),
            outcome: "MethodNotAllowed".into(),
        },
        _ => Reply {
            status: 404,
            headers: vec![("content-type", "application/json".into())],
            body: br#"{"message":"Not found: the stand-in serves POST /sessions and STS at /"}"#.to_vec(),
            outcome: "NotFound".into(),
        },
    }
}

/// CORS: a page served from another loopback origin (`http://127.0.0.1:*`, `http://localhost:*`,
/// `http://[::1]:*`) may call the stand-in and read AWS's error type and request ID.
fn add_cors(reply: &mut Reply, origin: Option<&str>) {
    let Some(origin) = origin else { return };
    if !is_loopback_origin(origin) {
        return;
    }
    reply.headers.push(("access-control-allow-origin", origin.to_string()));
    reply.headers.push(("vary", "Origin".into()));
    reply.headers.push(("access-control-allow-methods", "POST, GET, OPTIONS".into()));
    reply.headers.push(("access-control-allow-headers", ALLOW_HEADERS.into()));
    reply.headers.push(("access-control-expose-headers", "x-amzn-errortype, x-amzn-requestid".into()));
    reply.headers.push(("access-control-max-age", "600".into()));
}

/// Whether `origin` is `http(s)://` a loopback host with an optional port.
pub fn is_loopback_origin(origin: &str) -> bool {
    let Some(rest) = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) else { return false };
    let host = if let Some(v6) = rest.strip_prefix('[') {
        match v6.split_once(']') {
            Some((ip, port)) if port.is_empty() || port.strip_prefix(':').is_some_and(is_port) => return ip == "::1",
            _ => return false,
        }
    } else {
        match rest.split_once(':') {
            Some((host, port)) if is_port(port) => host,
            Some(_) => return false,
            None => rest,
        }
    };
    host == "localhost" || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

fn is_port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_origins() {
        for ok in [
            "http://127.0.0.1:5173",
            "http://localhost:3000",
            "http://[::1]:8080",
            "http://127.1.2.3",
            "https://localhost",
        ] {
            assert!(is_loopback_origin(ok), "{ok}");
        }
        for bad in [
            "http://example.com",
            "http://127.0.0.1.evil.com",
            "null",
            "http://localhost:abc",
            "file://",
            "http://[::2]:1",
        ] {
            assert!(!is_loopback_origin(bad), "{bad}");
        }
    }
}
