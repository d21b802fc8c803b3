//! How `credential-process`, `serve` and `update` reach the endpoint: the certificates they
//! trust, the proxy they go through, and how long a request may take.
//!
//! - **Trust**: the system's trust store (`rustls-native-certs`: `SSL_CERT_FILE`, `SSL_CERT_DIR`,
//!   else the OpenSSL locations of the platform), or Mozilla's roots bundled in the binary when
//!   the system has none (a container without `ca-certificates`); plus the PEM certificates of
//!   `--ca-bundle FILE`, else of the file `AWS_CA_BUNDLE` names (the AWS CLI's names for the same
//!   setting: AWS CLI User Guide, *Command line options*, `--ca-bundle`; *Environment variables*,
//!   `AWS_CA_BUNDLE`). A company proxy that re-signs TLS is trusted by giving its CA there.
//! - **Proxy**: from the environment, by the rules of Go's `net/http` (`ProxyFromEnvironment`,
//!   golang.org/x/net/http/httpproxy), which AWS's `aws_signing_helper --with-proxy` uses:
//!   `HTTPS_PROXY`/`https_proxy` for `https://` endpoints, `HTTP_PROXY`/`http_proxy` for
//!   `http://` ones (the upper-case name first; `ALL_PROXY` is not read); a value without a scheme
//!   means `http://`; `https://` proxies are reached over TLS (trusted as above); `socks` proxies
//!   are refused. Never for `localhost` or a loopback address, nor for a host that
//!   `NO_PROXY`/`no_proxy` lists: comma-separated `*` (nothing is proxied), domain names
//!   (`example.com` matches it and its subdomains, `.example.com` and `*.example.com` only the
//!   subdomains), IP addresses and CIDR ranges, each with an optional `:PORT`. The endpoint is
//!   reached through the proxy with `CONNECT`, with the proxy URL's user and password as
//!   `Proxy-Authorization: Basic`.
//! - **Time**: one request (connecting, through the proxy and TLS included, sending and reading
//!   the answer) may take `--request-timeout` seconds.
//!
//! The environment is read once per run, when the first request is sent. Messages name the proxy
//! by scheme, host and port only: its URL may hold a password.

use std::fs::File;
use std::io::Read;
use std::net::{IpAddr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use clap::Args;
use rolesanywhere::ErrorCode;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

use crate::Failure;

/// Options of the commands that send requests.
#[derive(Args, Clone, Debug)]
pub struct NetArgs {
    /// PEM file of CA certificates to trust besides the system's, e.g. the CA of a proxy that
    /// re-signs TLS (default: the file $AWS_CA_BUNDLE names, as for the AWS CLI).
    #[arg(long, value_name = "FILE")]
    ca_bundle: Option<PathBuf>,
    /// Longest one CreateSession request may take, connecting included, in seconds (1 to 120).
    #[arg(long, value_name = "SECONDS", default_value_t = rolesanywhere::REQUEST_TIMEOUT_MS / 1000, value_parser = clap::value_parser!(u64).range(1..=120))]
    request_timeout: u64,
    /// Accepted for command lines written for AWS's aws_signing_helper, which uses a proxy only
    /// with this flag: here HTTPS_PROXY, HTTP_PROXY and NO_PROXY are always used, as the AWS
    /// CLI and SDKs use them.
    #[arg(long)]
    with_proxy: bool,
}

/// Largest CA bundle read (the system bundle of a Linux distribution is about 200 KB).
const MAX_CA_BUNDLE_LEN: u64 = 4 * 1024 * 1024;

/// How this run sends requests: the extra CA certificates and the timeout, checked when the
/// command starts; the client for the endpoint, made when the first request is sent.
pub struct Net {
    extra_roots: Vec<Certificate<'static>>,
    timeout: Duration,
    /// The client of the one endpoint a run sends to, with that endpoint's URL.
    client: Mutex<Option<(String, Arc<Client>)>>,
}

impl Net {
    /// Reads `--ca-bundle` (or `AWS_CA_BUNDLE`); fails when it cannot be read or holds anything
    /// but certificates.
    pub fn new(args: &NetArgs) -> Result<Net, Failure> {
        let bundle = match &args.ca_bundle {
            Some(path) => Some(("--ca-bundle", path.clone())),
            None => std::env::var_os("AWS_CA_BUNDLE").filter(|v| !v.is_empty()).map(|v| ("AWS_CA_BUNDLE", v.into())),
        };
        let extra_roots = match bundle {
            Some((origin, path)) => read_ca_bundle(origin, &path)?,
            None => Vec::new(),
        };
        Ok(Net { extra_roots, timeout: Duration::from_secs(args.request_timeout), client: Mutex::new(None) })
    }

    /// The client for `url`: its proxy chosen from the environment, the system's roots and the
    /// extra ones trusted. Made once per endpoint.
    pub fn client(&self, url: &str) -> Result<Arc<Client>, Failure> {
        let mut cached = self.client.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((for_url, client)) = cached.as_ref() {
            if for_url == url {
                return Ok(client.clone());
            }
        }
        let client = Arc::new(Client::new(url, &self.extra_roots, self.timeout, &|name| std::env::var(name).ok())?);
        *cached = Some((url.to_string(), client.clone()));
        Ok(client)
    }
}

/// The certificates of a CA bundle file: PEM `CERTIFICATE` blocks (text around them is
/// ignored, as in the AWS CLI's and OpenSSL's bundles), each one that a trust anchor can be made
/// of.
fn read_ca_bundle(origin: &str, path: &Path) -> Result<Vec<Certificate<'static>>, Failure> {
    let fail =
        |why: String| Failure::new(ErrorCode::InvalidInput, format!("{origin} {}: {why}", crate::shown_path(path)));
    let file = File::open(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_CA_BUNDLE_LEN + 1).read_to_end(&mut bytes).map_err(|e| fail(format!("cannot read it: {e}")))?;
    if bytes.len() as u64 > MAX_CA_BUNDLE_LEN {
        return Err(fail(format!("larger than {MAX_CA_BUNDLE_LEN} bytes")));
    }
    let mut roots = Vec::new();
    for (n, der) in CertificateDer::pem_slice_iter(&bytes).enumerate() {
        let der = der.map_err(|e| fail(format!("certificate {}: not PEM ({e})", n + 1)))?;
        webpki::anchor_from_trusted_cert(&der)
            .map_err(|e| fail(format!("certificate {} cannot be a trust anchor ({e})", n + 1)))?;
        roots.push(Certificate::from_der(der.as_ref()).to_owned());
    }
    if roots.is_empty() {
        return Err(fail("holds no PEM CERTIFICATE block".into()));
    }
    Ok(roots)
}

/// The trust anchors: the system's, or Mozilla's bundled in the binary when the system has
/// none; then `extra`.
fn trust_anchors(extra: &[Certificate<'static>]) -> RootCerts {
    let system = rustls_native_certs::load_native_certs().certs;
    let mut roots: Vec<Certificate<'static>> = if system.is_empty() {
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect()
    } else {
        system.iter().map(|der| Certificate::from_der(der.as_ref()).to_owned()).collect()
    };
    roots.extend_from_slice(extra);
    RootCerts::new_with_certs(&roots)
}

/// The HTTP client of one endpoint, and the route its requests take.
pub struct Client {
    agent: ureq::Agent,
    /// `None`: straight to the endpoint.
    proxy: Option<ProxyRoute>,
    timeout: Duration,
}

/// The proxy a client goes through, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyRoute {
    /// The environment variable it came from.
    pub variable: &'static str,
    /// `scheme://host:port`, without the user and password.
    pub shown: String,
    /// The URL to connect through, user and password included.
    url: String,
}

impl Client {
    fn new(
        url: &str,
        extra_roots: &[Certificate<'static>],
        timeout: Duration,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Client, Failure> {
        let proxy = proxy_for(url, env)?;
        let ureq_proxy = match &proxy {
            Some(route) => Some(ureq::Proxy::new(&route.url).map_err(|_| {
                Failure::new(ErrorCode::InvalidInput, format!("{}: not a proxy URL ({})", route.variable, route.shown))
            })?),
            None => None,
        };
        // The trust store is read only when TLS is spoken: to an https:// endpoint or proxy
        // (reading and parsing the system's store takes a while, which an http:// endpoint on
        // loopback, such as the stand-in, need not wait for).
        let https = |u: &str| u.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://"));
        let tls = if https(url) || proxy.as_ref().is_some_and(|route| https(&route.url)) {
            TlsConfig::builder().root_certs(trust_anchors(extra_roots)).build()
        } else {
            TlsConfig::default()
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .proxy(ureq_proxy)
            .tls_config(tls)
            .build()
            .into();
        Ok(Client { agent, proxy, timeout })
    }

    /// The agent to send with.
    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    /// What went wrong sending to `url`, for the message `cannot reach URL[ through …]: …`.
    pub fn explain(&self, url: &str, error: &ureq::Error) -> String {
        let via = match &self.proxy {
            Some(route) => format!(" through the proxy {} ({})", route.shown, route.variable),
            None => String::new(),
        };
        let why = match (rustls_error(error), error) {
            (Some(rustls::Error::InvalidCertificate(e)), _) => format!(
                "the TLS certificate is not trusted ({e:?}); if a proxy re-signs TLS, give its CA \
                 certificate with --ca-bundle FILE or AWS_CA_BUNDLE"
            ),
            (Some(e), _) => format!("TLS: {e}"),
            (None, ureq::Error::Timeout(_)) => {
                format!("no answer within {} s (--request-timeout)", self.timeout.as_secs())
            }
            (None, e) => e.to_string(),
        };
        format!("cannot reach {url}{via}: {why}")
    }
}

/// The rustls error behind `error`, if a TLS handshake or record failed.
fn rustls_error(error: &ureq::Error) -> Option<&rustls::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = match error {
        ureq::Error::Rustls(e) => return Some(e),
        ureq::Error::Io(e) => Some(e),
        _ => None,
    };
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        current = match e.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// The proxy for `url` by the rules in the module doc, with `env` reading the environment.
fn proxy_for(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<ProxyRoute>, Failure> {
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|_| Failure::new(ErrorCode::InvalidRequest, format!("not a URL: {}", crate::shown(url))))?;
    let https = uri.scheme_str().is_some_and(|s| s.eq_ignore_ascii_case("https"));
    let names: [&'static str; 2] = if https { ["HTTPS_PROXY", "https_proxy"] } else { ["HTTP_PROXY", "http_proxy"] };
    let Some((variable, value)) =
        names.iter().find_map(|name| env(name).filter(|v| !v.trim().is_empty()).map(|v| (*name, v)))
    else {
        return Ok(None);
    };
    let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    if is_loopback(&host) {
        return Ok(None);
    }
    let no_proxy = ["NO_PROXY", "no_proxy"].iter().find_map(|name| env(name).filter(|v| !v.trim().is_empty()));
    if no_proxy.is_some_and(|list| bypasses(&list, &host, port)) {
        return Ok(None);
    }
    parse_proxy(variable, value.trim()).map(Some)
}

/// A proxy URL: `http://` or `https://`, `[user[:password]@]host[:port]`; no scheme means
/// `http://`.
fn parse_proxy(variable: &'static str, value: &str) -> Result<ProxyRoute, Failure> {
    let invalid = |why: &str| {
        Failure::new(ErrorCode::InvalidInput, format!("{variable}: {why}; expected http://[USER:PASSWORD@]HOST[:PORT]"))
    };
    let (scheme, rest) = match value.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("http".to_string(), value),
    };
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        s if s.starts_with("socks") => return Err(invalid("SOCKS proxies are not supported")),
        _ => return Err(invalid("the scheme must be http or https")),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let uri: ureq::http::uri::Authority = host_port.parse().map_err(|_| invalid("not a proxy URL"))?;
    if uri.host().is_empty() {
        return Err(invalid("no host"));
    }
    let shown = format!("{scheme}://{}:{}", uri.host(), uri.port_u16().unwrap_or(default_port));
    Ok(ProxyRoute { variable, shown, url: format!("{scheme}://{authority}") })
}

/// `localhost` or a loopback address (IPv4 `127.0.0.0/8`, IPv6 `::1`, or `::ffff:127.x.x.x`),
/// which no proxy can reach for this machine.
fn is_loopback(host: &str) -> bool {
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        Err(_) => host == "localhost",
    }
}

/// Whether the `NO_PROXY` list `list` names `host` (lower case, an IPv6 address without
/// brackets) at `port`.
fn bypasses(list: &str, host: &str, port: u16) -> bool {
    let host_ip = host.parse::<IpAddr>().ok();
    list.split(',').map(|entry| entry.trim().to_ascii_lowercase()).filter(|e| !e.is_empty()).any(|entry| {
        if entry == "*" {
            return true;
        }
        if let Some((net, bits)) = entry.split_once('/') {
            return match (host_ip, net.parse::<IpAddr>(), bits.parse::<u8>()) {
                (Some(ip), Ok(net), Ok(bits)) => in_cidr(ip, net, bits),
                _ => false,
            };
        }
        let (name, entry_port) = split_entry(&entry);
        if entry_port.is_some_and(|p| p != port) {
            return false;
        }
        if let Ok(ip) = name.parse::<IpAddr>() {
            return host_ip == Some(ip);
        }
        let name = name.strip_prefix('*').unwrap_or(name);
        match name.strip_prefix('.') {
            Some(suffix) => host.len() > suffix.len() + 1 && host.ends_with(name),
            None => host == name || host.strip_suffix(name).is_some_and(|rest| rest.ends_with('.')),
        }
    })
}

/// A `NO_PROXY` entry's name and port: `name`, `name:port`, `[v6]`, `[v6]:port`, or a bare IPv6
/// address.
fn split_entry(entry: &str) -> (&str, Option<u16>) {
    if let Some(bracketed) = entry.strip_prefix('[') {
        return match bracketed.split_once(']') {
            Some((ip, after)) => (ip, after.strip_prefix(':').and_then(|p| p.parse().ok())),
            None => (entry, None),
        };
    }
    if entry.parse::<Ipv6Addr>().is_ok() {
        return (entry, None);
    }
    match entry.rsplit_once(':') {
        Some((name, port)) => match port.parse() {
            Ok(port) => (name, Some(port)),
            Err(_) => (entry, None),
        },
        None => (entry, None),
    }
}

/// Whether `ip` lies in `net/bits`.
fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let mask = |width: u32| if bits == 0 { 0 } else { u128::MAX << (width - u32::from(bits).min(width)) };
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let m = mask(32) as u32;
            u32::from(ip) & m == u32::from(net) & m
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let m = mask(128);
            u128::from(ip) & m == u128::from(net) & m
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }

    fn route(url: &str, vars: &[(&str, &str)]) -> Option<String> {
        proxy_for(url, &env(vars)).unwrap().map(|r| format!("{} {}", r.variable, r.shown))
    }

    const AWS: &str = "https://rolesanywhere.us-west-2.amazonaws.com/sessions";

    #[test]
    fn the_variable_follows_the_scheme_upper_case_first() {
        let both = [("HTTPS_PROXY", "http://upper:1"), ("https_proxy", "http://lower:2"), ("HTTP_PROXY", "plain:3")];
        assert_eq!(route(AWS, &both).as_deref(), Some("HTTPS_PROXY http://upper:1"));
        assert_eq!(route(AWS, &both[1..]).as_deref(), Some("https_proxy http://lower:2"));
        assert_eq!(route(AWS, &both[2..]), None, "HTTP_PROXY is not for https");
        assert_eq!(route("http://example.test:8080/sessions", &both).as_deref(), Some("HTTP_PROXY http://plain:3"));
        assert_eq!(route(AWS, &[("ALL_PROXY", "http://all:1")]), None);
        assert_eq!(
            route(AWS, &[("HTTPS_PROXY", " "), ("https_proxy", "lower")]).as_deref(),
            Some("https_proxy http://lower:80")
        );
        assert_eq!(
            route(AWS, &[("HTTPS_PROXY", "https://p.example")]).as_deref(),
            Some("HTTPS_PROXY https://p.example:443")
        );
    }

    #[test]
    fn credentials_stay_in_the_url_but_out_of_messages() {
        let vars = [("HTTPS_PROXY", "http://user:s3cret@proxy.example:3128/")];
        let route = proxy_for(AWS, &env(&vars)).unwrap().unwrap();
        assert_eq!(route.shown, "http://proxy.example:3128");
        assert_eq!(route.url, "http://user:s3cret@proxy.example:3128");
        for bad in ["socks5://user:s3cret@proxy:1080", "ftp://user:s3cret@proxy", "http://user:s3cret@"] {
            let e = proxy_for(AWS, &env(&[("HTTPS_PROXY", bad)])).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput);
            assert!(e.message.starts_with("HTTPS_PROXY: ") && !e.message.contains("s3cret"), "{}", e.message);
        }
    }

    #[test]
    fn loopback_is_never_proxied() {
        let vars = [("HTTPS_PROXY", "proxy:1"), ("HTTP_PROXY", "proxy:1")];
        for url in [
            "http://127.0.0.1:8080/sessions",
            "http://127.1.2.3/sessions",
            "https://localhost/sessions",
            "https://LOCALHOST:8443/sessions",
            "http://[::1]:8080/sessions",
            "http://[::ffff:127.0.0.1]:8080/sessions",
        ] {
            assert_eq!(route(url, &vars), None, "{url}");
        }
        assert!(route("http://[::2]:8080/x", &vars).is_some());
        assert!(route("https://localhost.example/x", &vars).is_some());
    }

    #[test]
    fn no_proxy_as_go_reads_it() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", AWS, true),
            ("amazonaws.com", AWS, true),
            (".amazonaws.com", AWS, true),
            ("*.amazonaws.com", AWS, true),
            ("rolesanywhere.us-west-2.amazonaws.com", AWS, true),
            ("ROLESANYWHERE.US-WEST-2.AMAZONAWS.COM", AWS, true),
            ("example.com, amazonaws.com:443", AWS, true),
            ("amazonaws.com:8443", AWS, false),
            ("zonaws.com", AWS, false),
            ("example.com", AWS, false),
            (".example.com", "https://example.com/", false),
            ("example.com", "https://example.com/", true),
            ("example.com", "https://a.b.example.com/", true),
            ("10.0.0.0/8", "http://10.1.2.3/", true),
            ("10.0.0.0/8", "http://11.1.2.3/", false),
            ("10.1.2.3", "http://10.1.2.3/", true),
            ("10.1.2.3:80", "http://10.1.2.3/", true),
            ("10.1.2.3:81", "http://10.1.2.3/", false),
            ("fd00::/8", "http://[fd12::1]:8080/", true),
            ("[fd12::1]:8080", "http://[fd12::1]:8080/", true),
            ("fd12::1", "http://[fd12::1]:8080/", true),
            ("10.0.0.0/8", AWS, false),
            (" , ,", AWS, false),
        ];
        for (list, url, bypassed) in cases {
            let vars = [("HTTPS_PROXY", "proxy:3128"), ("HTTP_PROXY", "proxy:3128"), ("no_proxy", *list)];
            assert_eq!(route(url, &vars).is_none(), *bypassed, "NO_PROXY={list:?} for {url}");
        }
        let upper_first = [("HTTPS_PROXY", "proxy:1"), ("NO_PROXY", "example.com"), ("no_proxy", "*")];
        assert!(route(AWS, &upper_first).is_some());
    }

    #[test]
    fn ca_bundles_hold_certificates_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bundle.pem");
        for (content, why) in [
            ("", "holds no PEM CERTIFICATE block"),
            ("# comments only\n", "holds no PEM CERTIFICATE block"),
            ("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n", "certificate 1: not PEM"),
            (
                "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
                "certificate 1 cannot be a trust anchor",
            ),
        ] {
            std::fs::write(&path, content).unwrap();
            let e = read_ca_bundle("--ca-bundle", &path).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput);
            assert!(e.message.starts_with("--ca-bundle ") && e.message.contains(why), "{content:?}: {}", e.message);
        }
        let e = read_ca_bundle("AWS_CA_BUNDLE", &dir.path().join("missing.pem")).unwrap_err();
        assert!(e.message.starts_with("AWS_CA_BUNDLE ") && e.message.contains("cannot read it"), "{}", e.message);
    }

    #[test]
    fn cidr_edges() {
        let v4 = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(in_cidr(v4("1.2.3.4"), v4("0.0.0.0"), 0));
        assert!(in_cidr(v4("1.2.3.4"), v4("1.2.3.4"), 32));
        assert!(!in_cidr(v4("1.2.3.5"), v4("1.2.3.4"), 32));
        assert!(!in_cidr(v4("1.2.3.4"), v4("1.2.3.4"), 33));
        assert!(!in_cidr(v4("1.2.3.4"), v4("::"), 0));
        assert!(in_cidr(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 1)), v4("192.168.0.0"), 16));
    }
}
