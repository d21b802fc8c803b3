//! The principal tags Roles Anywhere derives from the authenticating certificate.
//!
//! Roles Anywhere user guide, "Certificate attribute mapping", *Default mapping behavior*:
//! `x509Subject` maps every supported RDN of the subject, `x509Issuer` every supported RDN of the
//! issuer, `x509SAN` the first value of each of DNS names, Directory Name (`Name/…`) and URI.
//! "Trust policy" in the same guide: the tags are `aws:PrincipalTag/x509Subject/CN`,
//! `…/x509Issuer/{C,O,OU,ST,L,CN}`, `…/x509SAN/DNS`, `…/x509SAN/URI`, `…/x509SAN/Name/CN`, and
//! "IAM Roles Anywhere combines multiple values into a single string, separating them with
//! forward slashes (/) in the order they appear in the certificate". The same "Trust model" page
//! says certificate values must match STS's session-tag pattern and that values which do not are
//! ignored: STS API Reference, `Tag`: `Value` up to 256 characters of `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`.

use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Tag, Tagged};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::name::Name;

/// The RDNs mapped, with their tag names.
const RDNS: [(&str, &str); 6] =
    [("2.5.4.3", "CN"), ("2.5.4.11", "OU"), ("2.5.4.10", "O"), ("2.5.4.6", "C"), ("2.5.4.8", "ST"), ("2.5.4.7", "L")];

/// `(tag name, value)` pairs for a leaf certificate, e.g. `("x509SAN/URI", "spiffe://…")`.
pub fn principal_tags(der: &[u8]) -> Result<Vec<(String, String)>, String> {
    let cert = x509_cert::Certificate::from_der(der).map_err(|e| format!("cannot read the certificate: {e}"))?;
    let tbs = cert.tbs_certificate();
    let mut tags = Vec::new();
    name_tags("x509Subject", tbs.subject(), &mut tags);
    name_tags("x509Issuer", tbs.issuer(), &mut tags);
    if let Ok(Some((_, san))) = tbs.get_extension::<SubjectAltName>() {
        let mut dns = None;
        let mut uri = None;
        let mut dir = None;
        for name in &san.0 {
            match name {
                GeneralName::DnsName(d) if dns.is_none() => dns = Some(d.to_string()),
                GeneralName::UniformResourceIdentifier(u) if uri.is_none() => uri = Some(u.to_string()),
                GeneralName::DirectoryName(n) if dir.is_none() => dir = Some(n.clone()),
                _ => {}
            }
        }
        if let Some(d) = dns {
            tags.push(("x509SAN/DNS".into(), d));
        }
        if let Some(u) = uri {
            tags.push(("x509SAN/URI".into(), u));
        }
        if let Some(n) = dir {
            name_tags("x509SAN/Name", &n, &mut tags);
        }
    }
    tags.retain(|(_, value)| is_session_tag_value(value));
    Ok(tags)
}

/// Whether `value` may be an STS session tag value (see the module documentation).
pub fn is_session_tag_value(value: &str) -> bool {
    value.chars().count() <= 256
        && value.chars().all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

fn name_tags(prefix: &str, name: &Name, out: &mut Vec<(String, String)>) {
    for (oid, short) in RDNS {
        let oid = ObjectIdentifier::new_unwrap(oid);
        let values: Vec<String> = name.iter().filter(|atv| atv.oid == oid).filter_map(|atv| text(&atv.value)).collect();
        if !values.is_empty() {
            out.push((format!("{prefix}/{short}"), values.join("/")));
        }
    }
}

/// The text of a directory string (UTF8String, PrintableString, IA5String, TeletexString read
/// as Latin-1-compatible ASCII); `None` for other types.
fn text(value: &x509_cert::der::Any) -> Option<String> {
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::TeletexString => {
            std::str::from_utf8(value.value()).ok().map(str::to_string)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_tag_values() {
        let long = "a".repeat(257);
        for (value, ok) in [
            ("spiffe://ORG.aws-us-west.example.io/ns/prj-demo/app", true),
            ("Test Intermediate CA", true),
            ("Zürich", true),
            ("*.example.com", false),
            ("a,b", false),
            (long.as_str(), false),
        ] {
            assert_eq!(is_session_tag_value(value), ok, "{value}");
        }
    }
}
