//! Helpers of the CLI tests: the flags of a CreateSession request ([`sign_args`]), [`Server`], a
//! child process that serves HTTP (started by [`stand_in`] and [`serve`]), the setup guide's
//! stand-in configuration and the role-chaining setup that the stand-in tests and the AWS CLI
//! tests share, [`send`], a minimal HTTP/1.1 client that sends headers exactly as given, STS
//! requests signed for the stand-in ([`sts_headers`], [`xml_text`]), and [`MockServer`], a small
//! HTTP/1.1 server on loopback that records each request and answers it as the test's script says
//! (an answer, or hanging; one request per connection); [`proxy::TlsProxy`], a company proxy
//! that re-signs TLS. Every test crate that uses it also declares `mod common` (`tests/common`).
#![allow(dead_code)]

pub mod proxy;

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::{guide_trust_policy, Pki, ANCHOR, PROFILE, ROLE};

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

/// The setup guide's stand-in configuration, written into `pki` once: the test PKI's CAs as the
/// trust anchor's bundle, a role whose trust policy is the guide's (`aws:SourceArn` StringEquals
/// the anchor, the SPIFFE ID StringLike the project `prj-demo`), and a profile for it; and a
/// role that ROLE's sessions may assume (role chaining; the source identity carries over).
pub fn guide_config(pki: &Pki) -> PathBuf {
    static WRITTEN: OnceLock<()> = OnceLock::new();
    let path = pki.path("guide-stand-in.json");
    WRITTEN.get_or_init(|| {
        let config = serde_json::json!({
            "trustAnchors": [{"arn": ANCHOR, "certificateBundleFile": "bundle.pem"}],
            "roles": [
                {"arn": ROLE, "trustPolicy": guide_trust_policy(&[ANCHOR])},
                {"arn": ROLE_CHAINED, "trustPolicy": chained_trust_policy()}
            ],
            "profiles": [{"arn": PROFILE, "roleArns": [ROLE], "durationSeconds": 3600}]
        });
        std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    });
    path
}

/// The flags that sign in to the stand-in at `endpoint` with `leaf` (`p256` or `prj-other`,
/// P-256 leaves under the intermediate) of `pki`.
pub fn leaf_args(pki: &Pki, leaf: &str, endpoint: &str) -> Vec<OsString> {
    let mut args = sign_args(&pki.path(&format!("{leaf}.pem")), &pki.path(&format!("{leaf}.pkcs8.pem")));
    args.extend(["--intermediates".into(), pki.path("chain.pem").into()]);
    args.extend(["--endpoint".into(), endpoint.into()]);
    args
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
/// on when `token_file` is given, and a credential cache of its own (removed with the server).
pub fn serve(sign_args: &[OsString], token_file: Option<&Path>) -> Server {
    let cache = tempfile::tempdir().expect("a cache directory");
    let mut args = sign_args.to_vec();
    args.extend(["--cache-dir".into(), cache.path().join("cache").into()]);
    let mut server = serve_with(&args, token_file);
    server.cache = Some(cache);
    server
}

/// `rolesanywhere serve` with exactly `args` (the cache flags included) on a free loopback port.
pub fn serve_with(args: &[OsString], token_file: Option<&Path>) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rolesanywhere"));
    command.arg("serve").args(args).args(["--listen", "127.0.0.1:0"]);
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
    /// The server's own cache directory, if it has one.
    cache: Option<tempfile::TempDir>,
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
        let mut server = Server { child, base: String::new(), log, cache: None };
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

    /// Waits (up to 5 s) for a line that contains `part`.
    pub fn assert_logged_containing(&self, part: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.log().lines().any(|l| l.contains(part)) {
            assert!(Instant::now() < deadline, "want a line with {part:?} in the log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
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

impl Answer {
    /// A CreateSession success (201) with credentials `access_key_id` that expire `lifetime`
    /// seconds from now (negative: in the past).
    pub fn session(access_key_id: &str, lifetime: i64) -> Answer {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let expiration = rolesanywhere::Time::from_unix_seconds(now.saturating_add_signed(lifetime)).unwrap();
        let body = serde_json::json!({"credentialSet": [{
            "credentials": {"accessKeyId": access_key_id, "secretAccessKey": "secret", "sessionToken": "token", "expiration": expiration.to_string()},
            "roleArn": ROLE,
        }]});
        Answer { status: 201, headers: vec![], body: body.to_string().into_bytes() }
    }

    /// An error answer with `status`, `X-Amzn-ErrorType: error_type` and `Retry-After` if given.
    pub fn error(status: u16, error_type: &str, retry_after: Option<&str>) -> Answer {
        let mut headers = vec![("x-amzn-errortype", error_type.to_string())];
        headers.extend(retry_after.map(|r| ("retry-after", r.to_string())));
        let body = serde_json::json!({"message": format!("scripted {error_type}")});
        Answer { status, headers, body: body.to_string().into_bytes() }
    }
}

/// What the server does with a request.
pub enum Step {
    /// Answers.
    Answer(Answer),
    /// Never answers: holds the connection open until the test process ends.
    Hang,
}

/// The running server; it stops with the test process.
pub struct MockServer {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl MockServer {
    /// Starts serving on a free loopback port, answering each request with `responder`'s answer.
    pub fn start(responder: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> MockServer {
        MockServer::scripted(move |_, request| Step::Answer(responder(request)))
    }

    /// Starts serving on a free loopback port; `script` says what to do with request number `n`
    /// (from 0). Each connection has a thread of its own, so a hanging step holds up no other.
    pub fn scripted(script: impl Fn(usize, &Seen) -> Step + Send + Sync + 'static) -> MockServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let script = Arc::new(script);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (log, script) = (log.clone(), script.clone());
                std::thread::spawn(move || {
                    let Some(request) = read_request(&stream) else { return };
                    let step = {
                        let mut log = log.lock().unwrap();
                        let step = script(log.len(), &request);
                        log.push(request);
                        step
                    };
                    let answer = match step {
                        Step::Answer(answer) => answer,
                        Step::Hang => loop {
                            std::thread::sleep(Duration::from_secs(3600));
                        },
                    };
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
                });
            }
        });
        MockServer { endpoint, seen }
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// How many requests were received so far.
    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
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
