//! The principal tags Roles Anywhere derives from the authenticating certificate, and the
//! profile's attribute mapping that selects them.
//!
//! Sources: **\[T\]** Roles Anywhere user guide, "Trust model" (*Principal tags*: the `x509Subject`,
//! `x509Issuer` and `x509SAN` tags, "IAM Roles Anywhere combines multiple values into a single
//! string, separating them with forward slashes (/) in the order they appear in the
//! certificate", and values that do not match STS's session-tag pattern: "The service ignores
//! values that do not match this pattern"); **\[M\]** "Certificate attribute mapping" (*Default
//! mapping behavior*, *Specifiers*, and the worked example where a tag the mapping leaves out is
//! not set, so a `StringEquals` on it fails and a `StringNotEquals` passes); **\[API\]** Roles
//! Anywhere API Reference, `AttributeMapping` (`certificateField`: `x509Subject`, `x509Issuer`,
//! `x509SAN`; `mappingRules`) and `MappingRule` (`specifier`, at most 60 characters; "CN, OU, or
//! UID from the Subject field"); **\[STS\]** STS API Reference, `Tag` (`Key` 1–128 and `Value`
//! 0–256 characters of `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, at most 50 tags per session).
//!
//! Which RDNs are "supported" is not documented: the guide's tags name CN, OU, O, C, ST and L, the
//! API reference adds UID. The stand-in maps the attribute types RFC 4514 §3 gives names to
//! ([`ATTRIBUTES`]: those seven plus STREET and DC); any other attribute of a name is not mapped.

use std::sync::LazyLock;

use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Tag, Tagged};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::name::Name;

/// The attribute types mapped from a subject, issuer or SAN directory name, with the names of
/// their tags and specifiers (RFC 4514 §3, "Converting AttributeTypeAndValue").
pub const ATTRIBUTES: [(&str, &str); 9] = [
    ("2.5.4.3", "CN"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.6", "C"),
    ("2.5.4.9", "STREET"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("0.9.2342.19200300.100.1.1", "UID"),
];

/// \[STS\]: a session has at most 50 tags. One tag per attribute type of the subject, the issuer
/// and the SAN directory name, plus the SAN's DNS and URI: the stand-in can never exceed it.
const MOST_TAGS: usize = 3 * ATTRIBUTES.len() + 2;
const _: () = assert!(MOST_TAGS <= 50);

/// \[API\] `MappingRule`: "specifier … Maximum length of 60".
const MAX_SPECIFIER_LEN: usize = 60;

/// The RDNs of one name that are mapped.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Rdns {
    /// Specifier `*`: every attribute of [`ATTRIBUTES`].
    All,
    /// The attributes named by the specifiers (names from [`ATTRIBUTES`]); none when empty.
    Only(Vec<&'static str>),
}

impl Rdns {
    fn includes(&self, name: &str) -> bool {
        match self {
            Rdns::All => true,
            Rdns::Only(names) => names.contains(&name),
        }
    }

    /// Adds the attribute a specifier names (`*` for all); `None` when it names none.
    fn add(&mut self, specifier: &str) -> Option<()> {
        if specifier == "*" {
            *self = Rdns::All;
            return Some(());
        }
        let name = ATTRIBUTES.iter().map(|(_, name)| *name).find(|name| *name == specifier)?;
        if let Rdns::Only(names) = self {
            names.push(name);
        }
        Some(())
    }
}

/// A profile's attribute mapping (\[API\] `AttributeMapping`): which certificate fields become
/// principal tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributeMapping {
    subject: Rdns,
    issuer: Rdns,
    san_dns: bool,
    san_uri: bool,
    san_name: Rdns,
}

impl Default for AttributeMapping {
    /// \[M\] *Default mapping behavior*: `x509Subject` and `x509Issuer` with specifier `*`,
    /// `x509SAN` with `DNS`, `URI` and `Name/*`.
    fn default() -> Self {
        AttributeMapping { subject: Rdns::All, issuer: Rdns::All, san_dns: true, san_uri: true, san_name: Rdns::All }
    }
}

impl AttributeMapping {
    /// The mapping of a profile configured with `fields`: (`certificateField`, the specifiers
    /// of its `mappingRules`). A field listed replaces that field's default rules; an empty list
    /// of rules maps nothing from the field; fields not listed keep the default. (Whether
    /// `PutAttributeMapping` merges with or replaces a field's rules is not documented; the
    /// configuration states the end state.)
    ///
    /// Specifiers (\[M\] *Specifiers*, \[API\] `MappingRule`): at most 60 characters; for
    /// `x509Subject` and `x509Issuer`, `*` or an attribute name of [`ATTRIBUTES`]; for `x509SAN`,
    /// `DNS`, `URI`, `Name/*` (also written `Name` or `Name/`: "Both Name and Name/ are equivalent
    /// to Name/*") or `Name/ATTRIBUTE`. `*` alone "does not have a defined behavior" for
    /// `x509SAN` and is refused, as is any other specifier.
    pub fn parse(fields: &[(String, Vec<String>)]) -> Result<AttributeMapping, String> {
        let mut mapping = AttributeMapping::default();
        let mut seen: Vec<&str> = Vec::new();
        for (field, specifiers) in fields {
            if seen.contains(&field.as_str()) {
                return Err(format!("certificateField {field} is listed twice"));
            }
            seen.push(field);
            let bad = |s: &str, expected: &str| format!("{field}: specifier {s:?} is not {expected}");
            if let Some(s) = specifiers.iter().find(|s| s.chars().count() > MAX_SPECIFIER_LEN) {
                return Err(format!("{field}: specifier {s:?} is longer than {MAX_SPECIFIER_LEN} characters"));
            }
            let names = ATTRIBUTES.iter().map(|(_, name)| *name).collect::<Vec<_>>().join(", ");
            match field.as_str() {
                "x509Subject" | "x509Issuer" => {
                    let mut rdns = Rdns::Only(Vec::new());
                    for s in specifiers {
                        rdns.add(s).ok_or_else(|| bad(s, &format!("* or one of {names}")))?;
                    }
                    if field == "x509Subject" {
                        mapping.subject = rdns;
                    } else {
                        mapping.issuer = rdns;
                    }
                }
                "x509SAN" => {
                    let (mut dns, mut uri, mut name) = (false, false, Rdns::Only(Vec::new()));
                    for s in specifiers {
                        let expected = || bad(s, &format!("DNS, URI, Name/* or Name/ATTRIBUTE ({names})"));
                        match s.as_str() {
                            "DNS" => dns = true,
                            "URI" => uri = true,
                            "Name" | "Name/" => name = Rdns::All,
                            other => {
                                name.add(other.strip_prefix("Name/").ok_or_else(expected)?).ok_or_else(expected)?
                            }
                        }
                    }
                    (mapping.san_dns, mapping.san_uri, mapping.san_name) = (dns, uri, name);
                }
                other => return Err(format!("certificateField {other:?} is not x509Subject, x509Issuer or x509SAN")),
            }
        }
        Ok(mapping)
    }
}

/// The principal tags of a leaf certificate under `mapping`, as `(tag name, value)` pairs, e.g.
/// `("x509SAN/URI", "spiffe://…")` (\[T\], \[M\]): the mapped attributes of the subject and the
/// issuer, each attribute's values joined with `/` in certificate order; the first DNS name, the
/// first URI and the attributes of the first directory name of the subject alternative names.
/// A value that is not a valid session-tag value ([`is_session_tag_value`]) is left out, as
/// Roles Anywhere leaves it out.
pub fn principal_tags(der: &[u8], mapping: &AttributeMapping) -> Result<Vec<(String, String)>, String> {
    let cert = x509_cert::Certificate::from_der(der).map_err(|e| format!("cannot read the certificate: {e}"))?;
    let tbs = cert.tbs_certificate();
    let mut tags = Vec::new();
    name_tags("x509Subject", tbs.subject(), &mapping.subject, &mut tags);
    name_tags("x509Issuer", tbs.issuer(), &mapping.issuer, &mut tags);
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
        if let Some(d) = dns.filter(|_| mapping.san_dns) {
            tags.push(("x509SAN/DNS".into(), d));
        }
        if let Some(u) = uri.filter(|_| mapping.san_uri) {
            tags.push(("x509SAN/URI".into(), u));
        }
        if let Some(n) = dir {
            name_tags("x509SAN/Name", &n, &mapping.san_name, &mut tags);
        }
    }
    tags.retain(|(_, value)| is_session_tag_value(value));
    Ok(tags)
}

/// \[STS\] `Tag`: `Value` is 0 to 256 characters of `[\p{L}\p{Z}\p{N}_.:/=+\-@]` (Unicode general
/// categories letter, separator, number). \[T\]: Roles Anywhere ignores certificate values that
/// do not match; a value longer than 256 characters is left out as well (what Roles Anywhere
/// does with one is not documented).
pub fn is_session_tag_value(value: &str) -> bool {
    static PATTERN: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$").expect("STS's session-tag pattern compiles")
    });
    value.chars().count() <= 256 && PATTERN.is_match(value)
}

/// The tags of the attributes of `name` that `rdns` maps, `PREFIX/ATTRIBUTE`.
fn name_tags(prefix: &str, name: &Name, rdns: &Rdns, out: &mut Vec<(String, String)>) {
    for (oid, short) in ATTRIBUTES.iter().filter(|(_, short)| rdns.includes(short)) {
        let oid = ObjectIdentifier::new_unwrap(oid);
        let values: Vec<String> = name.iter().filter(|atv| atv.oid == oid).filter_map(|atv| text(&atv.value)).collect();
        if !values.is_empty() {
            out.push((format!("{prefix}/{short}"), values.join("/")));
        }
    }
}

/// The text of a directory string: UTF8String, PrintableString, IA5String and TeletexString (read
/// as UTF-8), BMPString (UTF-16BE); `None` for other types or invalid text.
fn text(value: &x509_cert::der::Any) -> Option<String> {
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::TeletexString => {
            std::str::from_utf8(value.value()).ok().map(str::to_string)
        }
        Tag::BmpString => {
            let units = value.value().chunks(2).map(|c| match c {
                [hi, lo] => Some(u16::from_be_bytes([*hi, *lo])),
                _ => None,
            });
            let units: Option<Vec<u16>> = units.collect();
            String::from_utf16(&units?).ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(fields: &[(&str, &[&str])]) -> Result<AttributeMapping, String> {
        let fields: Vec<(String, Vec<String>)> =
            fields.iter().map(|(f, specs)| (f.to_string(), specs.iter().map(|s| s.to_string()).collect())).collect();
        AttributeMapping::parse(&fields)
    }

    #[test]
    fn session_tag_values() {
        let long = "a".repeat(257);
        let longest = "a".repeat(256);
        for (value, ok) in [
            ("spiffe://ORG.aws-us-west.example.io/ns/prj-demo/app", true),
            ("Test Intermediate CA", true),
            ("Zürich", true),
            ("東京", true),
            ("", true),
            ("a\u{00a0}b", true),
            (longest.as_str(), true),
            ("*.example.com", false),
            ("a,b", false),
            ("tab\there", false),
            ("line\nbreak", false),
            // A combining vowel sign (category Mc) is neither letter, separator nor number.
            ("\u{915}\u{93f}", false),
            (long.as_str(), false),
        ] {
            assert_eq!(is_session_tag_value(value), ok, "{value:?}");
        }
    }

    #[test]
    fn every_tag_name_is_a_valid_sts_key() {
        for prefix in ["x509Subject", "x509Issuer", "x509SAN/Name"] {
            for (_, name) in ATTRIBUTES {
                let key = format!("{prefix}/{name}");
                assert!(key.len() <= 128 && is_session_tag_value(&key), "{key}");
            }
        }
    }

    #[test]
    fn mappings_replace_the_fields_they_list() {
        assert_eq!(parse(&[]).unwrap(), AttributeMapping::default());
        let m = parse(&[("x509Subject", &["CN", "UID"]), ("x509SAN", &[])]).unwrap();
        assert_eq!(m.subject, Rdns::Only(vec!["CN", "UID"]));
        assert_eq!(m.issuer, Rdns::All);
        assert_eq!((m.san_dns, m.san_uri, m.san_name.clone()), (false, false, Rdns::Only(vec![])));
        let m = parse(&[("x509Issuer", &[])]).unwrap();
        assert_eq!(m.issuer, Rdns::Only(vec![]));
        assert!(!m.issuer.includes("CN"));
        for spelling in ["Name", "Name/", "Name/*"] {
            let m = parse(&[("x509SAN", &["URI", spelling])]).unwrap();
            assert_eq!((m.san_dns, m.san_uri, m.san_name), (false, true, Rdns::All), "{spelling}");
        }
        let m = parse(&[("x509SAN", &["Name/CN"]), ("x509Subject", &["OU", "*"])]).unwrap();
        assert_eq!((m.san_name, m.subject), (Rdns::Only(vec!["CN"]), Rdns::All));
    }

    #[test]
    fn bad_specifiers_are_refused() {
        let long = "C".repeat(61);
        for (fields, want) in [
            (vec![("x509Subject", vec!["cn"])], "specifier \"cn\""),
            (vec![("x509Subject", vec!["DNS"])], "UID"),
            (vec![("x509SAN", vec!["*"])], "Name/*"),
            (vec![("x509SAN", vec!["Name/xyz"])], "Name/xyz"),
            (vec![("x509SAN", vec!["IP"])], "\"IP\""),
            (vec![("x509Subject", vec![long.as_str()])], "longer than 60"),
            (vec![("x509Subject", vec![]), ("x509Subject", vec![])], "listed twice"),
            (vec![("x509Extension", vec![])], "x509Extension"),
        ] {
            let fields: Vec<(&str, &[&str])> = fields.iter().map(|(f, s)| (*f, s.as_slice())).collect();
            let e = parse(&fields).unwrap_err();
            assert!(e.contains(want), "{e}");
        }
    }
}
