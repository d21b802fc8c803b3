//! The HTTP listener that `stand-in` and `serve` share, against hostile clients: more slow
//! connections than the server can hold (partial bodies for the stand-in, partial heads for
//! `serve`, each started with a low open-file limit), while a legitimate client must still be
//! answered within seconds; slow requests time out; the request head is limited to exactly 64
//! KiB; a body cut short of its `Content-Length` is a bad request, not a too-large one.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{guide_trust_policy, ANCHOR, PROFILE, ROLE};
use support::{parse_answer, send, Server};

/// The open-file limit the servers run with here.
const FILE_LIMIT: usize = 256;
/// More slow connections than a server with [`FILE_LIMIT`] files can hold.
const SLOW_CLIENTS: usize = 300;
/// How long a legitimate client may wait for its answer while the slow ones hold connections.
const PROMPT: Duration = Duration::from_secs(5);
/// The listener's deadline for a whole request, and a margin for a loaded machine.
const REQUEST_DEADLINE: Duration = Duration::from_secs(10);
const MARGIN: Duration = Duration::from_secs(5);

fn config() -> PathBuf {
    let pki = common::shared();
    let config = serde_json::json!({
        "trustAnchors": [{"arn": ANCHOR, "certificateBundleFile": "bundle.pem"}],
        "roles": [{"arn": ROLE, "trustPolicy": guide_trust_policy(&[ANCHOR])}],
        "profiles": [{"arn": PROFILE, "roleArns": [ROLE]}]
    });
    let path = pki.path("listener-stand-in.json");
    std::fs::write(&path, config.to_string()).unwrap();
    path
}

/// `rolesanywhere ARGS` with its open-file limit lowered to `limit` (by the shell's `ulimit`).
fn with_file_limit(limit: usize, args: &[std::ffi::OsString]) -> Command {
    let mut command = Command::new("sh");
    command.arg("-c").arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\"")).arg(env!("CARGO_BIN_EXE_rolesanywhere"));
    command.args(args);
    command
}

fn port(server: &Server) -> u16 {
    server.base.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port in the address")
}

/// Opens `n` connections that each send `start` and then nothing more.
fn slow_clients(port: u16, n: usize, start: &[u8]) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            stream.write_all(start).unwrap();
            stream
        })
        .collect()
}

/// Sends `request` and checks that its answer, with `status`, comes within [`PROMPT`].
fn assert_answered_promptly(port: u16, method: &str, target: &str, headers: &[(String, String)], status: u16) {
    let start = Instant::now();
    let r = send(port, method, target, headers, b"");
    assert_eq!(r.status, status, "{}", r.body);
    assert!(start.elapsed() < PROMPT, "answered after {:?}", start.elapsed());
}

/// Waits for each slow connection to end: dropped at once to make room, or answered `timeout`
/// at the request deadline. Returns how many got that answer.
fn assert_all_end(clients: Vec<TcpStream>, timeout: &str, by: Instant) -> usize {
    let mut answered = 0;
    for mut stream in clients {
        let left = by.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        stream.set_read_timeout(Some(left)).unwrap();
        let mut raw = Vec::new();
        match stream.read_to_end(&mut raw) {
            Ok(_) if raw.is_empty() => {}
            Ok(_) => {
                assert!(String::from_utf8_lossy(&raw).starts_with(timeout), "{}", String::from_utf8_lossy(&raw));
                answered += 1;
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => panic!("a slow connection was still open past the deadline: {e}"),
        }
    }
    answered
}

#[test]
fn the_stand_in_answers_while_partial_bodies_hold_more_connections_than_its_file_limit() {
    let args: Vec<std::ffi::OsString> =
        vec!["stand-in".into(), "--listen".into(), "127.0.0.1:0".into(), "--config".into(), config().into()];
    let stand_in = Server::start(&mut with_file_limit(FILE_LIMIT, &args), "the stand-in");
    let port = port(&stand_in);
    let started = Instant::now();
    let head = format!("POST /sessions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 1000\r\n\r\n0123456789");
    let clients = slow_clients(port, SLOW_CLIENTS, head.as_bytes());
    for _ in 0..5 {
        assert_answered_promptly(port, "GET", "/nowhere", &[], 404);
    }
    let timed_out = assert_all_end(clients, "HTTP/1.1 408", started + REQUEST_DEADLINE + MARGIN);
    assert!(timed_out > 0, "the connections the server kept are answered 408 at the deadline");
    stand_in.assert_logged("POST /sessions -> 408 RequestTimeout");
}

#[test]
fn serve_answers_while_partial_heads_hold_more_connections_than_its_file_limit() {
    let pki = common::shared();
    let mut args: Vec<std::ffi::OsString> = vec!["serve".into()];
    args.extend(support::sign_args(&pki.path("p256.pem"), &pki.path("p256.pkcs8.pem")));
    args.extend(["--endpoint".into(), "http://127.0.0.1:9".into(), "--listen".into(), "127.0.0.1:0".into()]);
    let serve = Server::start(&mut with_file_limit(FILE_LIMIT, &args), "serve");
    let port = port(&serve);
    let started = Instant::now();
    let clients = slow_clients(port, SLOW_CLIENTS, b"PUT /latest/api/token HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    let ttl = [("x-aws-ec2-metadata-token-ttl-seconds".to_string(), "60".to_string())];
    for _ in 0..5 {
        assert_answered_promptly(port, "PUT", "/latest/api/token", &ttl, 200);
    }
    let timed_out = assert_all_end(clients, "HTTP/1.1 408", started + REQUEST_DEADLINE + MARGIN);
    assert!(timed_out > 0, "the connections the server kept are answered 408 at the deadline");
}

#[test]
fn the_request_head_is_limited_to_64_kib() {
    let stand_in = support::stand_in(&config(), None);
    let port = port(&stand_in);
    // A head of exactly `len` bytes: request line, Host, a padding header, the empty line.
    let head = |len: usize| {
        let fixed = format!("GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Pad: \r\n\r\n");
        let head = format!(
            "GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Pad: {}\r\n\r\n",
            "a".repeat(len - fixed.len())
        );
        assert_eq!(head.len(), len);
        head
    };
    let answer = |head: String| {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        parse_answer(&raw)
    };
    assert_eq!(answer(head(64 * 1024)).status, 404, "a 64 KiB head is read");
    let r = answer(head(64 * 1024 + 1));
    assert_eq!(r.status, 431, "{}", r.body);
    assert!(r.body.contains("65536 bytes"), "{}", r.body);
    // A head that never ends is refused at the limit too.
    let r = answer(format!("GET /nowhere HTTP/1.1\r\nX-Pad: {}", "a".repeat(200 * 1024)));
    assert_eq!(r.status, 431, "{}", r.body);
}

#[test]
fn a_body_cut_short_is_a_bad_request_and_a_long_one_too_large() {
    let stand_in = support::stand_in(&config(), None);
    let port = port(&stand_in);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!("POST /sessions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 100\r\n\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(b"{\"trustAnchorArn\":").unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let r = parse_answer(&raw);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.json()["message"].as_str().unwrap().contains("Content-Length"), "{}", r.body);
    stand_in.assert_logged("POST /sessions -> 400 IncompleteBody");

    // Larger than 64 KiB without a declared length (chunked): 413.
    let chunk = "a".repeat(70 * 1024);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let request = format!(
        "POST /sessions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    assert_eq!(parse_answer(&raw).status, 413);
    stand_in.assert_logged("POST /sessions -> 413 RequestEntityTooLarge");
}
