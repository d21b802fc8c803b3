//! The CLI's networking: through a company proxy that re-signs TLS ([`support::proxy::TlsProxy`],
//! a CONNECT proxy on loopback that terminates TLS with a certificate from a throwaway CA and
//! passes the request on to the stand-in), `credential-process` reaches Roles Anywhere's own
//! host name only when it trusts that CA (`--ca-bundle` or `AWS_CA_BUNDLE`), and says so
//! clearly when it does not; `HTTPS_PROXY`/`https_proxy` are used, `NO_PROXY` and loopback go
//! direct, the proxy's user and password go to the proxy and nowhere else; `serve` and `update`
//! take the same flags; `--request-timeout` bounds a request. Every child gets an environment
//! without the machine's own proxy and CA settings.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::proxy::TlsProxy;
use support::{Answer, MockServer, Server, Step};

/// Roles Anywhere's endpoint for the test ARNs' region: the default, when no `--endpoint` is given.
const AWS_ENDPOINT: &str = "https://rolesanywhere.us-west-2.amazonaws.com/sessions";

/// The variables of the machine that would change the route or the trust, cleared for every child.
const CLEARED: [&str; 10] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
    "AWS_CA_BUNDLE",
    "AWS_SHARED_CREDENTIALS_FILE",
];

struct Run {
    success: bool,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        assert!(self.success, "stderr: {}", self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }

    /// The one error line.
    fn error(&self) -> &str {
        assert!(!self.success, "succeeded: {}", self.stdout);
        assert!(self.stdout.is_empty(), "stdout: {}", self.stdout);
        assert_eq!(self.stderr.lines().count(), 1, "{}", self.stderr);
        self.stderr.strip_prefix("error: ").unwrap_or_else(|| panic!("{}", self.stderr)).trim_end()
    }
}

/// `rolesanywhere COMMAND ARGS…` with the p256 leaf (and chain) of the test PKI, the cache off,
/// and only `env` of the variables above.
fn run(command: &str, args: &[OsString], env: &[(&str, &str)]) -> Run {
    let pki = common::shared();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rolesanywhere"));
    child.arg(command).args(support::sign_args(&pki.path("p256.pem"), &pki.path("p256.pkcs8.pem")));
    child.args(["--intermediates".as_ref(), pki.path("chain.pem").as_os_str()]).arg("--no-cache").args(args);
    for name in CLEARED {
        child.env_remove(name);
    }
    let out = child.envs(env.iter().copied()).output().expect("run rolesanywhere");
    Run {
        success: out.status.success(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn args(list: &[&str]) -> Vec<OsString> {
    list.iter().map(OsString::from).collect()
}

fn stand_in() -> Server {
    support::stand_in(&support::guide_config(common::shared()), None)
}

/// The stand-in's session for the p256 leaf: the role's account.
fn assert_signed_in(run: &Run) {
    let json = run.json();
    assert!(json["AccessKeyId"].as_str().unwrap().starts_with("ASIA"), "{json}");
    assert_eq!(json["AccountId"], support::ACCOUNT, "{json}");
}

#[test]
fn a_proxy_that_re_signs_tls_is_trusted_only_with_its_ca() {
    let stand_in = stand_in();
    let proxy = TlsProxy::start(&stand_in.base);
    let ca = proxy.ca.to_str().unwrap();

    // Without its CA the TLS certificate is refused, with a message that says what to do.
    let refused = run("credential-process", &[], &[("HTTPS_PROXY", &proxy.url)]);
    let error = refused.error();
    let via = format!("cannot reach {AWS_ENDPOINT} through the proxy http://127.0.0.1:{} (HTTPS_PROXY): ", proxy.port);
    assert!(error.starts_with(&via), "{error}");
    assert!(error.contains("the TLS certificate is not trusted (UnknownIssuer)"), "{error}");
    assert!(error.contains("--ca-bundle FILE or AWS_CA_BUNDLE"), "{error}");
    let events = proxy.events();
    assert!(events.contains(&"CONNECT rolesanywhere.us-west-2.amazonaws.com:443".to_string()), "{events:?}");
    eventually(|| proxy.events().iter().any(|e| e.starts_with("TLS failed")), "the proxy's TLS failure");
    assert!(!proxy.events().iter().any(|e| e.starts_with("forwarded")), "{:?}", proxy.events());
    assert!(!stand_in.log().contains("/sessions"), "{}", stand_in.log());

    // With it, by flag or by variable (and the lower-case variable), the sign-in goes through.
    assert_signed_in(&run("credential-process", &args(&["--ca-bundle", ca]), &[("HTTPS_PROXY", &proxy.url)]));
    assert_signed_in(&run("credential-process", &[], &[("https_proxy", &proxy.url), ("AWS_CA_BUNDLE", ca)]));
    stand_in.assert_logged_times("POST /sessions -> 201 ok", 2);
    let forwarded = proxy.events().iter().filter(|e| *e == "forwarded POST /sessions HTTP/1.1").count();
    assert_eq!(forwarded, 2, "{:?}", proxy.events());
    // `--with-proxy`, AWS's helper's flag, changes nothing.
    let with_proxy = args(&["--with-proxy", "--ca-bundle", ca]);
    assert_signed_in(&run("credential-process", &with_proxy, &[("HTTPS_PROXY", &proxy.url)]));
    // HTTP_PROXY is for http:// endpoints: an https:// one goes direct (to a name that never
    // resolves, RFC 6761 §6.4, so nothing leaves the machine).
    let before = connects(&proxy);
    let to = args(&["--endpoint", "https://rolesanywhere.invalid", "--request-timeout", "5"]);
    let direct = run("credential-process", &to, &[("HTTP_PROXY", &proxy.url)]);
    assert!(direct.error().starts_with("cannot reach https://rolesanywhere.invalid/sessions: "), "{}", direct.stderr);
    assert_eq!(connects(&proxy), before, "{:?}", proxy.events());
}

/// How many tunnels the proxy was asked for (recorded before it answers the `CONNECT`).
fn connects(proxy: &TlsProxy) -> usize {
    proxy.events().iter().filter(|e| e.starts_with("CONNECT")).count()
}

/// Waits (up to 5 s) for `condition`: the proxy records a failed handshake on its own thread.
fn eventually(condition: impl Fn() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "no {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A host that `NO_PROXY` names, and loopback, are reached directly. (`.invalid` names never
/// resolve, RFC 6761 §6.4, so the direct attempt fails without leaving the machine.)
#[test]
fn no_proxy_and_loopback_go_direct() {
    let stand_in = stand_in();
    let proxy = TlsProxy::start(&stand_in.base);
    let endpoint = "https://rolesanywhere.invalid";
    let to = args(&["--endpoint", endpoint, "--request-timeout", "5"]);
    // Without NO_PROXY the proxy gets the tunnel.
    let proxied = run("credential-process", &to, &[("HTTPS_PROXY", &proxy.url)]);
    assert!(proxied.error().contains("through the proxy"), "{}", proxied.stderr);
    assert_eq!(proxy.events()[0], "CONNECT rolesanywhere.invalid:443");
    let tunnels = connects(&proxy);
    for no_proxy in ["rolesanywhere.invalid", ".invalid", "*.invalid", "invalid", "example.test, invalid:443", "*"] {
        for name in ["NO_PROXY", "no_proxy"] {
            let direct = run("credential-process", &to, &[("HTTPS_PROXY", &proxy.url), (name, no_proxy)]);
            let error = direct.error();
            assert!(error.starts_with(&format!("cannot reach {endpoint}/sessions: ")), "{name}={no_proxy}: {error}");
        }
    }
    assert_eq!(connects(&proxy), tunnels, "NO_PROXY: the proxy saw {:?}", proxy.events());
    // A NO_PROXY entry for another port, or another host, does not bypass it.
    for no_proxy in ["rolesanywhere.invalid:8443", "another.invalid", "10.0.0.0/8"] {
        let proxied = run("credential-process", &to, &[("HTTPS_PROXY", &proxy.url), ("NO_PROXY", no_proxy)]);
        assert!(proxied.error().contains("through the proxy"), "NO_PROXY={no_proxy}: {}", proxied.stderr);
    }

    // Loopback never goes through a proxy: the client speaks TLS to 127.0.0.1 itself (a
    // listener of the same kind, as a TLS endpoint), trusting the CA of --ca-bundle.
    let endpoint = TlsProxy::start(&stand_in.base);
    let loopback = format!("https://127.0.0.1:{}", endpoint.port);
    let to = args(&["--endpoint", &loopback, "--ca-bundle", endpoint.ca.to_str().unwrap()]);
    assert_signed_in(&run("credential-process", &to, &[("HTTPS_PROXY", &proxy.url)]));
    assert_eq!(endpoint.events(), ["direct TLS", "forwarded POST /sessions HTTP/1.1"]);
}

/// The proxy URL's user and password go to the proxy (Basic, percent-decoded), never into a
/// message.
#[test]
fn the_proxy_s_password_goes_to_the_proxy_only() {
    let stand_in = stand_in();
    let proxy = TlsProxy::start(&stand_in.base);
    let url = format!("http://app:s3cret%21@127.0.0.1:{}", proxy.port);
    let refused = run("credential-process", &[], &[("HTTPS_PROXY", &url)]);
    assert!(!refused.stderr.contains("s3cret"), "{}", refused.stderr);
    assert!(refused.error().contains(&format!("through the proxy http://127.0.0.1:{} (HTTPS_PROXY)", proxy.port)));
    // base64("app:s3cret!")
    assert!(proxy.events().contains(&"Proxy-Authorization Basic YXBwOnMzY3JldCE=".to_string()), "{:?}", proxy.events());

    let socks = run("credential-process", &[], &[("HTTPS_PROXY", "socks5://app:s3cret@127.0.0.1:1080")]);
    let error = socks.error();
    assert!(error.starts_with("HTTPS_PROXY: SOCKS proxies are not supported") && !error.contains("s3cret"), "{error}");
}

#[test]
fn a_ca_bundle_that_is_not_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = common::shared();
    let key = pki.path("p256.pkcs8.pem");
    let missing = tmp.path().join("missing.pem");
    for (bundle, origin, why) in [
        (key.as_path(), "--ca-bundle", "holds no PEM CERTIFICATE block"),
        (missing.as_path(), "--ca-bundle", "cannot read it"),
        (key.as_path(), "AWS_CA_BUNDLE", "holds no PEM CERTIFICATE block"),
    ] {
        let (flags, env) = if origin == "--ca-bundle" {
            (vec![OsString::from("--ca-bundle"), bundle.into()], vec![])
        } else {
            (vec![], vec![("AWS_CA_BUNDLE", bundle.to_str().unwrap())])
        };
        let run = run("credential-process", &flags, &env);
        let error = run.error();
        assert!(error.starts_with(&format!("{origin} \"{}\": {why}", bundle.display())), "{error}");
    }
}

/// A request that gets no answer ends after `--request-timeout` seconds (each of the
/// provider's four attempts).
#[test]
fn the_request_timeout_bounds_each_attempt() {
    let hanging = MockServer::scripted(|_, _| Step::Hang);
    let started = Instant::now();
    let run = run("credential-process", &args(&["--endpoint", &hanging.endpoint, "--request-timeout", "1"]), &[]);
    let error = run.error();
    assert!(error.ends_with("no answer within 1 s (--request-timeout)"), "{error}");
    assert_eq!(hanging.count(), 4, "one attempt and three retries");
    assert!(started.elapsed() < Duration::from_secs(25), "{:?}", started.elapsed());
    let bad = run_plain(&["credential-process", "--request-timeout", "0"]);
    assert!(bad.contains("--request-timeout"), "{bad}");
}

/// The stderr of `rolesanywhere ARGS` with the test leaf and ARNs.
fn run_plain(list: &[&str]) -> String {
    let pki = common::shared();
    let out = Command::new(env!("CARGO_BIN_EXE_rolesanywhere"))
        .args(&list[..1])
        .args(support::sign_args(&pki.path("p256.pem"), &pki.path("p256.pkcs8.pem")))
        .args(&list[1..])
        .output()
        .unwrap();
    assert!(!out.status.success());
    String::from_utf8(out.stderr).unwrap()
}

/// `serve` and `update` go through the proxy with the same flags.
#[test]
fn serve_and_update_go_through_the_proxy_too() {
    let stand_in = stand_in();
    let proxy = TlsProxy::start(&stand_in.base);
    let pki = common::shared();

    let mut serve_args = support::sign_args(&pki.path("p256.pem"), &pki.path("p256.pkcs8.pem"));
    serve_args.extend(args(&["--intermediates", pki.path("chain.pem").to_str().unwrap()]));
    serve_args.extend(args(&["--ca-bundle", proxy.ca.to_str().unwrap()]));
    let tmp = tempfile::tempdir().unwrap();
    let token = tmp.path().join("token");
    std::fs::write(&token, "a-token").unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_rolesanywhere"));
    command.arg("serve").args(&serve_args).args(["--no-cache", "--listen", "127.0.0.1:0"]);
    command.arg("--authorization-token-file").arg(&token);
    for name in CLEARED {
        command.env_remove(name);
    }
    command.env("HTTPS_PROXY", &proxy.url);
    let serve = Server::start(&mut command, "serve");
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).proxy(None).build().into();
    let mut response =
        agent.get(format!("{}/credentials", serve.base)).header("authorization", "a-token").call().unwrap();
    let body: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(response.status(), 200, "{body}\n{}", serve.log());
    assert_eq!(body["AccountId"], support::ACCOUNT, "{body}");
    assert!(proxy.events().contains(&"forwarded POST /sessions HTTP/1.1".to_string()), "{:?}", proxy.events());

    let credentials = tmp.path().join("credentials");
    let file = credentials.to_str().unwrap();
    let ca = proxy.ca.to_str().unwrap();
    let update = run(
        "update",
        &args(&["--once", "--profile", "app", "--ca-bundle", ca]),
        &[("HTTPS_PROXY", &proxy.url), ("AWS_SHARED_CREDENTIALS_FILE", file)],
    );
    assert!(update.success, "{}", update.stderr);
    let text = std::fs::read_to_string(&credentials).unwrap();
    assert!(text.starts_with("[app]\naws_access_key_id = ASIA"), "{text}");
    stand_in.assert_logged_times("POST /sessions -> 201 ok", 2);
    assert_only_in(Path::new(file).parent().unwrap(), &["credentials", "token"]);
}

/// `dir` holds exactly `names`.
fn assert_only_in(dir: &Path, names: &[&str]) {
    let mut found: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    found.sort();
    assert_eq!(found, names);
}

/// An http:// endpoint on loopback is reached directly whatever HTTP_PROXY and HTTPS_PROXY say
/// (they name a port where nothing listens).
#[test]
fn loopback_http_endpoints_are_reached_directly() {
    let aws = MockServer::start(|_| Answer::session("ASIADIRECT", 3600));
    let run = run(
        "credential-process",
        &args(&["--endpoint", &aws.endpoint]),
        &[("HTTPS_PROXY", "http://127.0.0.1:9"), ("HTTP_PROXY", "http://127.0.0.1:9")],
    );
    assert_eq!(run.json()["AccessKeyId"], "ASIADIRECT");
}
