//! Helpers of the CLI tests: the flags of a CreateSession request ([`sign_args`]), [`Server`], a
//! child process that serves HTTP (started by [`stand_in`] and [`serve`]), the role-chaining setup
//! the stand-in tests and the AWS CLI tests share, [`send`], a minimal HTTP/1.1 client that sends
//! headers exactly as given, STS requests signed for the stand-in ([`sts_headers`], [`xml_text`]),
//! and [`MockServer`], a small HTTP/1.1 server on loopback that records each request and answers
//! with whatever the test's responder returns (one request per connection). Every test crate that
//! uses it also declares `mod common` (`tests/common`).
#![allow(dead_code)]

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{ANCHOR, PROFILE, ROLE};

/// The account of the test ARNs.
pub const ACCOUNT: &str = "123456789012";
/// A role that sessions of ROLE may assume through STS (role chaining), for source identity
/// `CN=p256`.
pub const ROLE_CHAINED: &str = "arn:aws:iam::123456789012:role/chained";

/// The trust policy of [`ROLE_CHAINED`]: sessions of ROLE whose source identity is `CN=p256` (the
/// p256 leaf's subject CN, with the prefix of Roles Anywhere's source identity rules) may assume
/// it and keep their source identity.
pub fn chained_trust_policy() -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": ROLE},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
            "Condition": {"StringEquals": {"sts:SourceIdentity": "CN=p256"}}
        }]
    })
}

/// `--certificate C --private-key K` and the three ARN flags of the test setup.
pub fn sign_args(certificate: &Path, private_key: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["--certificate".into(), certificate.into()];
    args.extend(["--private-key".into(), private_key.into()]);
    for (flag, value) in [("--trust-anchor-arn", ANCHOR), ("--profile-arn", PROFILE), ("--role-arn", ROLE)] {
        args.extend([flag.into(), value.into()]);
    }
    args
}

/// `rolesanywhere stand-in --config CONFIG` on a free loopback port, on the system clock or
/// pinned at `now`.
pub fn stand_in(config: &Path, now: Option<&str>) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rolesanywhere"));
    command.args(["stand-in", "--listen", "127.0.0.1:0"]);
    if let Some(now) = now {
        command.args(["--now", now]);
    }
    command.arg("--config").arg(config);
    Server::start(&mut command, "the stand-in")
}

/// `rolesanywhere serve` with `sign_args` on a free loopback port, with the container endpoint
/// on when `token_file` is given.
pub fn serve(sign_args: &[OsString], token_file: Option<&Path>) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rolesanywhere"));
    command.arg("serve").args(sign_args).args(["--listen", "127.0.0.1:0"]);
    if let Some(path) = token_file {
        command.arg("--authorization-token-file").arg(path);
    }
    Server::start(&mut command, "serve")
}

/// A child process that prints `listening on http://ADDR` first; killed when dropped. Its
/// stderr (one line per request for both servers) is collected for the assertions.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    log: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn start(command: &mut Command, what: &str) -> Server {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {what}: {e}"));
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        // Owned by `server` from here on, so that a failure below still kills the child.
        let mut server = Server { child, base: String::new(), log };
        let mut line = String::new();
        BufReader::new(server.child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        server.base = match line.trim().strip_prefix("listening on ") {
            Some(base) if base.starts_with("http://127.0.0.1:") => base.to_string(),
            _ => {
                // Let the error line arrive.
                std::thread::sleep(Duration::from_millis(200));
                panic!("{what}: unexpected first line {line:?}; stderr:\n{}", server.log())
            }
        };
        server
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// How many times `line` is in the log.
    pub fn count(&self, line: &str) -> usize {
        self.log().lines().filter(|l| *l == line).count()
    }

    /// Waits (up to 5 s) for `line` in the log `times` times: the last line is written after the
    /// answer.
    pub fn assert_logged_times(&self, line: &str, times: usize) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.count(line) < times {
            assert!(Instant::now() < deadline, "want {times} × {line:?} in the log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn assert_logged(&self, line: &str) {
        self.assert_logged_times(line, 1);
    }
}

/// The value of the header `name` (case-insensitive) in `headers`.
fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// An answer as [`send`] reads it.
pub struct Response {
    pub status: u16,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// The value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A minimal HTTP/1.1 client: one request per connection, the headers exactly as given.
pub fn send(port: u16, method: &str, target: &str, headers: &[(String, String)], body: &[u8]) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the stand-in");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\n");
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    parse_answer(&raw)
}

/// An HTTP/1.1 answer read whole from a connection.
pub fn parse_answer(raw: &[u8]) -> Response {
    let text = String::from_utf8(raw.to_vec()).expect("UTF-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Response { status, headers, body: body.to_string() }
}

/// The headers of an STS form request to the stand-in on `port`, signed with `key` by
/// `rolesanywhere::sigv4` for `region` at `date`.
pub fn sts_headers(
    port: u16,
    key: &rolesanywhere::sigv4::Key<'_>,
    region: &str,
    date: &str,
    body: &str,
) -> Vec<(String, String)> {
    let url = format!("http://127.0.0.1:{port}/");
    let host = format!("127.0.0.1:{port}");
    let headers = [("host", host.as_str()), ("content-type", "application/x-www-form-urlencoded; charset=utf-8")];
    let request = rolesanywhere::sigv4::Request {
        method: "POST",
        url: &url,
        headers: &headers,
        payload: rolesanywhere::sigv4::Payload::Bytes(body.as_bytes()),
    };
    let time = rolesanywhere::Time::parse_rfc3339(date).unwrap();
    let settings = rolesanywhere::sigv4::Settings::new("sts", region, time);
    let signed = rolesanywhere::sigv4::sign(&request, key, &settings).unwrap();
    let mut all: Vec<(String, String)> = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    all.extend(signed.headers);
    all
}

/// The text of the first `<tag>` element.
pub fn xml_text<'a>(xml: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = xml.find(&open).unwrap_or_else(|| panic!("no <{tag}> in {xml}")) + open.len();
    let end = xml[start..].find(&format!("</{tag}>")).unwrap() + start;
    &xml[start..end]
}

/// A request the server received: request line, headers (lower-case names), body.
#[derive(Clone, Debug)]
pub struct Seen {
    pub request_line: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    /// The value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// An answer: status, extra headers, body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// The running server; it stops with the test process.
pub struct MockServer {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl MockServer {
    /// Starts serving on a free loopback port.
    pub fn start(responder: impl Fn(&Seen) -> Answer + Send + 'static) -> MockServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let Some(request) = read_request(&stream) else { continue };
                let answer = responder(&request);
                log.lock().unwrap().push(request);
                let mut stream = stream;
                let mut head = format!(
                    "HTTP/1.1 {} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                    answer.status,
                    answer.body.len()
                );
                for (name, value) in &answer.headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&answer.body));
            }
        });
        MockServer { endpoint, seen }
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn read_request(stream: &std::net::TcpStream) -> Option<Seen> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let length: usize =
        headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Seen { request_line: request_line.trim_end().to_string(), headers, body: String::from_utf8(body).ok()? })
}
