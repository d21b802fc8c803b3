//! URLs: the one parser for the endpoints `CreateSession` is sent to and the URLs SigV4 signs.
//!
//! Kept to what AWS endpoints and HTTP clients use (RFC 3986 §3): an `http` or `https` scheme, a
//! host name of dot-separated labels or a bracketed IPv6 address, an optional numeric port, then
//! path, query and fragment. User info (`user@host`) is refused: no AWS endpoint takes it, and it
//! is a classic way to hide where a request really goes.

use alloc::string::String;
use alloc::vec::Vec;

/// The parts of an absolute `http(s)` URL, borrowed from the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Url<'a> {
    /// `https` or `http` (lower-case).
    pub scheme: &'static str,
    /// `scheme://authority` exactly as written.
    pub origin: &'a str,
    /// The authority without the scheme's default port (443 for https, 80 for http): the `Host`
    /// header that fetch and other HTTP clients send.
    pub host: &'a str,
    /// The host name, or the IPv6 address without brackets.
    pub hostname: &'a str,
    /// The path; `/` when the URL has none.
    pub path: &'a str,
    /// The query without `?`; empty when there is none.
    pub query: &'a str,
    /// Whether the URL had a `?`.
    pub has_query: bool,
    /// Whether the URL had a `#fragment` (which is never sent).
    pub has_fragment: bool,
}

/// Longest host name (RFC 1035 §2.3.4).
const MAX_HOST_NAME: usize = 253;

impl<'a> Url<'a> {
    /// Parses an absolute URL; the error says what is wrong, for a message.
    pub(crate) fn parse(url: &'a str) -> Result<Self, &'static str> {
        // Byte searches: `split_once("://")` sets up a two-way string searcher and `find(['/',
        // '?'])` decodes each char, together 1.3 % of a signed SigV4 request in wasm; the
        // patterns are ASCII, which no byte of a multi-byte UTF-8 char equals.
        let at = url.as_bytes().windows(3).position(|w| w == b"://");
        let (scheme, after) =
            at.map(|at| (&url[..at], &url[at + 3..])).ok_or("expected http://HOST[:PORT] or https://HOST[:PORT]")?;
        let scheme = if scheme.eq_ignore_ascii_case("https") {
            "https"
        } else if scheme.eq_ignore_ascii_case("http") {
            "http"
        } else {
            return Err("the scheme must be http or https");
        };
        let (before_fragment, has_fragment) = match after.split_once('#') {
            Some((before, _)) => (before, true),
            None => (after, false),
        };
        let end = before_fragment.bytes().position(|b| b == b'/' || b == b'?').unwrap_or(before_fragment.len());
        let authority = &before_fragment[..end];
        let (path, query, has_query) = match before_fragment[end..].split_once('?') {
            Some((path, query)) => (path, query, true),
            None => (&before_fragment[end..], "", false),
        };
        if authority.contains('@') {
            return Err("user info is not allowed in the URL");
        }
        let (hostname, port) = split_host_port(authority)?;
        if path.bytes().chain(query.bytes()).any(|b| b.is_ascii_control()) {
            return Err("the path or query holds control characters");
        }
        let default_port = if scheme == "https" { "443" } else { "80" };
        let host = match port {
            Some(p) if p == default_port => &authority[..authority.len() - p.len() - 1],
            _ => authority,
        };
        Ok(Url {
            scheme,
            origin: &url[..url.len() - after.len() + end],
            host,
            hostname,
            path: if path.is_empty() { "/" } else { path },
            query,
            has_query,
            has_fragment,
        })
    }
}

/// `host = "[" IPv6 "]" [":" port] / name [":" port]`; a name is dot-separated labels of
/// letters, digits, `-` and `_`, each 1 to 63 characters, not starting or ending with `-`.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), &'static str> {
    let (name, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (ip, after) = bracketed.split_once(']').ok_or("unclosed [ in the host")?;
        if ip.is_empty() || !ip.bytes().all(|b| b.is_ascii_hexdigit() || b":.".contains(&b)) {
            return Err("invalid IPv6 address in the host");
        }
        match after {
            "" => (ip, None),
            _ => (ip, Some(after.strip_prefix(':').ok_or("unexpected text after ] in the host")?)),
        }
    } else {
        let (name, port) = match authority.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (authority, None),
        };
        let label_ok = |l: &str| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if name.len() > MAX_HOST_NAME || !name.split('.').all(label_ok) {
            return Err("missing or invalid host name");
        }
        (name, port)
    };
    if port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.parse::<u16>().is_err()) {
        return Err("the port is not a number from 0 to 65535");
    }
    Ok((name, port))
}

/// The region an AWS host of `service` names: `SERVICE[-fips].REGION.amazonaws.com[.cn]`, or the
/// dual-stack `SERVICE.REGION.api.aws`; `None` for any other host (loopback, custom names). Host
/// names are compared without regard to case (RFC 4343): `Rolesanywhere-FIPS.…` is an AWS host
/// too; the region label is returned as written.
pub(crate) fn aws_region<'h>(hostname: &'h str, service: &str) -> Option<&'h str> {
    let mut labels = hostname.split('.');
    let first = labels.next()?;
    let (name, fips) = first.split_at_checked(service.len())?;
    if !name.eq_ignore_ascii_case(service) || !(fips.is_empty() || fips.eq_ignore_ascii_case("-fips")) {
        return None;
    }
    let region = labels.next()?;
    let is = |label: Option<&str>, expected: &str| label.is_some_and(|l| l.eq_ignore_ascii_case(expected));
    let (third, fourth) = (labels.next(), labels.next());
    ((is(third, "amazonaws") && fourth.is_some()) || (is(third, "api") && is(fourth, "aws"))).then_some(region)
}

/// The signing service and region of a request to `hostname`, read from AWS's host name forms
/// (AWS General Reference, *Service endpoints*; the forms aws4fetch and the SDKs' endpoint rules
/// use): `SERVICE[-fips].REGION.amazonaws.com[.cn]`, the dual-stack `SERVICE.REGION.api.aws`, S3's
/// virtual-hosted and path-style hosts (`[BUCKET.]s3[.dualstack].REGION…`, `[BUCKET.]s3-REGION…`,
/// the global `[BUCKET.]s3.amazonaws.com` and `s3-accelerate`, both in us-east-1), API Gateway
/// (`ID.execute-api.REGION…`), Lambda function URLs (`ID.lambda-url.REGION.on.aws`), global
/// services (`sts.amazonaws.com`, `iam.amazonaws.com`, …, signed for us-east-1), and Cloudflare
/// R2 (`ACCOUNT.r2.cloudflarestorage.com`: `s3` in region `auto`). `None` when the host names
/// neither (a custom domain, an emulator on loopback).
pub(crate) fn infer_scope(hostname: &str) -> Option<(String, String)> {
    let host = hostname.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let region_ok = |r: &str| crate::arn::Region::parse(r).is_some();
    let pair = |s: &str, r: &str| Some((String::from(s), String::from(r)));
    let strip_fips = |s: &'_ str| -> String { s.strip_suffix("-fips").unwrap_or(s).into() };
    match labels.as_slice() {
        [.., "r2", "cloudflarestorage", "com"] if labels.len() == 4 => return pair("s3", "auto"),
        [_, "lambda-url", region, "on", "aws"] if region_ok(region) => return pair("lambda", region),
        [service, region, "api", "aws"] if region_ok(region) => return Some((strip_fips(service), (*region).into())),
        _ => {}
    }
    let rest =
        labels.strip_suffix(&["amazonaws", "com", "cn"]).or_else(|| labels.strip_suffix(&["amazonaws", "com"]))?;
    // S3 first: its hosts carry a bucket name in front and put the region in odd places.
    if let Some(at) = rest.iter().position(|l| *l == "s3" || l.starts_with("s3-") || *l == "s3-accelerate") {
        let (first, after) = (rest[at], &rest[at + 1..]);
        let after = after.strip_prefix(&["dualstack"]).unwrap_or(after);
        let region = match (first, after) {
            ("s3" | "s3-accelerate" | "s3-external-1", []) => "us-east-1",
            ("s3-accelerate", ["dualstack"]) => "us-east-1",
            ("s3" | "s3-fips", [region]) if region_ok(region) => region,
            (dashed, []) if region_ok(dashed.trim_start_matches("s3-").trim_start_matches("fips-")) => {
                dashed.trim_start_matches("s3-").trim_start_matches("fips-")
            }
            _ => return None,
        };
        return pair("s3", region);
    }
    match rest {
        [_, "execute-api", region] if region_ok(region) => pair("execute-api", region),
        [service, region] if region_ok(region) => Some((strip_fips(service), (*region).into())),
        // Global endpoints sign for us-east-1 (AWS General Reference, *Global endpoints*).
        [service] if GLOBAL_SERVICES.contains(service) => pair(service, "us-east-1"),
        _ => None,
    }
}

/// Services whose global endpoint `SERVICE.amazonaws.com` signs for us-east-1.
const GLOBAL_SERVICES: &[&str] =
    &["sts", "iam", "route53", "cloudfront", "organizations", "globalaccelerator", "shield"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_comes_without_default_port() {
        for (url, host) in [
            ("https://sts.amazonaws.com/", "sts.amazonaws.com"),
            ("https://sts.amazonaws.com:443/?a=b", "sts.amazonaws.com"),
            ("http://127.0.0.1:8080/x", "127.0.0.1:8080"),
            ("http://localhost:80", "localhost"),
            ("HTTPS://h:8443", "h:8443"),
            ("http://[::1]:80/", "[::1]"),
        ] {
            assert_eq!(Url::parse(url).unwrap().host, host, "{url}");
        }
        let u = Url::parse("https://h/p?q#frag").unwrap();
        assert_eq!((u.origin, u.path, u.query, u.has_query, u.has_fragment), ("https://h", "/p", "q", true, true));
        let u = Url::parse("https://h?x").unwrap();
        assert_eq!((u.origin, u.path, u.query), ("https://h", "/", "x"));
        assert_eq!(Url::parse("http://[::1]:8080/").unwrap().hostname, "::1");
    }

    #[test]
    fn refuses_what_no_endpoint_is() {
        for url in [
            "ftp://h/",
            "h/",
            "https://user@h/",
            "https://",
            "https://-h/",
            "https://h:99999/",
            "https://h:/",
            "https://[zz]/",
            "https://[::1/",
            "https://h/\u{7f}",
            "https://a b/",
        ] {
            assert!(Url::parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn scopes_come_from_aws_host_names() {
        let cases = [
            ("sts.us-west-2.amazonaws.com", Some(("sts", "us-west-2"))),
            ("sts.amazonaws.com", Some(("sts", "us-east-1"))),
            ("sts-fips.us-east-1.amazonaws.com", Some(("sts", "us-east-1"))),
            ("iam.amazonaws.com", Some(("iam", "us-east-1"))),
            ("dynamodb.eu-west-1.amazonaws.com", Some(("dynamodb", "eu-west-1"))),
            ("rolesanywhere.cn-north-1.amazonaws.com.cn", Some(("rolesanywhere", "cn-north-1"))),
            ("rolesanywhere.us-east-1.api.aws", Some(("rolesanywhere", "us-east-1"))),
            ("bucket.s3.amazonaws.com", Some(("s3", "us-east-1"))),
            ("s3.amazonaws.com", Some(("s3", "us-east-1"))),
            ("bucket.s3.us-west-2.amazonaws.com", Some(("s3", "us-west-2"))),
            ("bucket.s3-us-west-2.amazonaws.com", Some(("s3", "us-west-2"))),
            ("s3-us-west-2.amazonaws.com", Some(("s3", "us-west-2"))),
            ("my.bucket.s3.dualstack.eu-west-1.amazonaws.com", Some(("s3", "eu-west-1"))),
            ("bucket.s3-accelerate.amazonaws.com", Some(("s3", "us-east-1"))),
            ("s3-fips.us-gov-west-1.amazonaws.com", Some(("s3", "us-gov-west-1"))),
            ("abc123.execute-api.us-east-1.amazonaws.com", Some(("execute-api", "us-east-1"))),
            ("xyz.lambda-url.eu-west-1.on.aws", Some(("lambda", "eu-west-1"))),
            ("acct.r2.cloudflarestorage.com", Some(("s3", "auto"))),
            ("STS.US-WEST-2.AMAZONAWS.COM", Some(("sts", "us-west-2"))),
            ("example.com", None),
            ("127.0.0.1", None),
            ("localhost", None),
            ("foo.amazonaws.com", None),
            ("sts.nowhere.amazonaws.com", None),
            ("bucket.s3.nowhere.amazonaws.com", None),
        ];
        for (host, expected) in cases {
            let got = infer_scope(host);
            assert_eq!(got.as_ref().map(|(s, r)| (s.as_str(), r.as_str())), expected, "{host}");
        }
    }

    #[test]
    fn aws_hosts_name_their_region() {
        let region = |h| aws_region(h, "rolesanywhere");
        assert_eq!(region("rolesanywhere.us-west-2.amazonaws.com"), Some("us-west-2"));
        assert_eq!(region("rolesanywhere-fips.us-east-1.amazonaws.com"), Some("us-east-1"));
        assert_eq!(region("rolesanywhere.cn-north-1.amazonaws.com.cn"), Some("cn-north-1"));
        assert_eq!(region("rolesanywhere.eu-west-1.api.aws"), Some("eu-west-1"));
        assert_eq!(region("rolesanywhere.example.com"), None);
        assert_eq!(region("rolesanywherex.us-west-2.amazonaws.com"), None);
        assert_eq!(region("127.0.0.1"), None);
        // Any case: the host is the same (found by the `endpoint` fuzz target).
        assert_eq!(region("Rolesanywhere-fIps.us-west-2.AmazonAWS.com"), Some("us-west-2"));
        assert_eq!(region("ROLESANYWHERE.EU-WEST-1.API.AWS"), Some("EU-WEST-1"));
        assert_eq!(region("rolesanywhere-fipsx.us-west-2.amazonaws.com"), None);
        assert_eq!(region("rolesanywhere\u{e9}.us-west-2.amazonaws.com"), None);
        assert_eq!(region("rolesanywhere.us-west-2.amazonaws"), None);
    }
}
