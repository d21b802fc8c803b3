//! A company proxy that re-signs TLS, on loopback, for the networking tests: a CONNECT proxy
//! that terminates the client's TLS itself, with a certificate from a throwaway CA made for the
//! test (`openssl`), and forwards the request inside to a plain-HTTP backend (the stand-in or a
//! [`super::MockServer`]). A client that connects with TLS straight away (no `CONNECT`) is
//! served the same way, as a direct TLS endpoint. It records what each connection did.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The names the re-signed certificate is for.
pub const NAMES: &str = "DNS:rolesanywhere.us-west-2.amazonaws.com,IP:127.0.0.1";

/// The running proxy; it stops with the test process. Its CA files go with it.
pub struct TlsProxy {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// The port.
    pub port: u16,
    /// The throwaway CA's certificate (PEM): what a client must trust.
    pub ca: PathBuf,
    events: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl TlsProxy {
    /// Starts the proxy in front of the plain-HTTP `backend` (`http://127.0.0.1:PORT`).
    pub fn start(backend: &str) -> TlsProxy {
        let backend = backend.strip_prefix("http://").expect("an http:// backend").to_string();
        let dir = tempfile::tempdir().expect("a directory for the proxy's CA");
        let (chain, key) = throwaway_pki(dir.path());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("a server configuration");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        let events = Arc::new(Mutex::new(Vec::new()));
        let log = events.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (config, log, backend) = (config.clone(), log.clone(), backend.clone());
                std::thread::spawn(move || connection(stream, &config, &log, &backend));
            }
        });
        TlsProxy { url: format!("http://127.0.0.1:{port}"), port, ca: dir.path().join("ca.pem"), events, _dir: dir }
    }

    /// What happened so far, one line per event: `CONNECT host:port`, `Proxy-Authorization …`,
    /// `direct TLS`, `TLS failed: …`, `forwarded POST /sessions HTTP/1.1`.
    pub fn events(&self) -> Vec<String> {
        self.events.lock().unwrap().clone()
    }
}

/// A CA (`ca.pem`) and a server certificate for [`NAMES`] signed by it, made by `openssl` in
/// `dir`; returns the server's chain and key.
fn throwaway_pki(dir: &Path) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let config = dir.join("openssl.cnf");
    std::fs::write(
        &config,
        format!(
            "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n\
             [ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign\nsubjectKeyIdentifier = hash\n\
             [server]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n\
             extendedKeyUsage = serverAuth\nsubjectAltName = {NAMES}\n"
        ),
    )
    .unwrap();
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .env("OPENSSL_CONF", &config)
            .output()
            .expect("run openssl");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    let ca =
        ["-subj", "/CN=Throwaway proxy CA", "-extensions", "ca", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2"];
    openssl(&[&["req", "-x509"], &ec[..], &ca[..]].concat());
    openssl(
        &[&["req", "-new"], &ec[..], &["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=re-signed"]]
            .concat(),
    );
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-set_serial",
        "2",
        "-days",
        "2",
        "-extfile",
        "openssl.cnf",
        "-extensions",
        "server",
        "-out",
        "server.pem",
    ]);
    let chain = CertificateDer::pem_file_iter(dir.join("server.pem")).unwrap().map(Result::unwrap).collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    (chain, key)
}

fn connection(mut stream: TcpStream, config: &Arc<rustls::ServerConfig>, log: &Mutex<Vec<String>>, backend: &str) {
    let record = |event: String| log.lock().unwrap().push(event);
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut first = [0u8; 1];
    if stream.peek(&mut first).unwrap_or(0) == 0 {
        return;
    }
    if first[0] == 0x16 {
        record("direct TLS".into());
    } else {
        // The CONNECT request: the client sends nothing more until it is answered.
        let Some(head) = read_head(&mut stream) else { return };
        let mut lines = head.lines();
        let request_line = lines.next().unwrap_or_default().to_string();
        let Some(target) = request_line.strip_prefix("CONNECT ").and_then(|r| r.strip_suffix(" HTTP/1.1")) else {
            record(format!("refused {request_line}"));
            let _ = stream.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nconnection: close\r\n\r\n");
            return;
        };
        record(format!("CONNECT {target}"));
        for line in lines {
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("proxy-authorization") {
                    record(format!("Proxy-Authorization {}", value.trim()));
                }
            }
        }
        if stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").is_err() {
            return;
        }
    }
    let connection = rustls::ServerConnection::new(config.clone()).unwrap();
    let mut tls = rustls::StreamOwned::new(connection, stream);
    let request = match read_request(&mut tls) {
        Ok(request) => request,
        Err(e) => {
            record(format!("TLS failed: {e}"));
            return;
        }
    };
    let request_line = String::from_utf8_lossy(&request).lines().next().unwrap_or_default().to_string();
    let mut upstream = TcpStream::connect(backend).expect("connect to the backend");
    upstream.write_all(&request).unwrap();
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer).unwrap();
    record(format!("forwarded {request_line}"));
    let _ = tls.write_all(&answer);
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

/// A request head (up to the empty line), read byte by byte so that nothing after it is taken.
fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.push(byte[0]);
    }
    String::from_utf8(head).ok()
}

/// A whole HTTP/1.1 request (head and `Content-Length` body) from inside the TLS tunnel.
fn read_request(tls: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut request = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                return Ok(request);
            }
        }
        let n = tls.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::Error::other("the client closed the connection"));
        }
        request.extend_from_slice(&chunk[..n]);
    }
}
