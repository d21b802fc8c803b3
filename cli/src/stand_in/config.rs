//! The stand-in's configuration: trust anchors, IAM roles and Roles Anywhere profiles, in the
//! terms of the setup guide (`/work/shared/seeds`) and of AWS's own APIs (`CreateTrustAnchor`,
//! `ImportCrl`, `CreateRole`'s `AssumeRolePolicyDocument`, `CreateProfile`,
//! `PutAttributeMapping`). Everything is checked at load; a bad file fails with a message naming
//! the entry and the field.
//!
//! ```json
//! {
//!   "trustAnchors": [{"arn": "...", "certificateBundleFile": "bundle.pem", "enabled": true,
//!                     "crls": [{"file": "ca.crl", "enabled": true}]}],
//!   "roles": [{"arn": "...", "trustPolicy": {"Version": "2012-10-17", "Statement": []}, "maxSessionDuration": 3600}],
//!   "profiles": [{"arn": "...", "roleArns": ["..."], "durationSeconds": 3600,
//!                 "acceptRoleSessionName": false, "requireInstanceProperties": false, "enabled": true,
//!                 "attributeMappings": [{"certificateField": "x509Subject", "mappingRules": [{"specifier": "CN"}]}]}],
//!   "quotas": {"createSessionPerSecond": 10, "createSessionBurst": 10},
//!   "limits": {"maxSessions": 100000}
//! }
//! ```
//!
//! Sources: **\[API\]** Roles Anywhere API Reference (`ImportCrl`: `crlData` 1–300000 bytes,
//! `name` 1–255 characters of `[ a-zA-Z0-9-_]`, `enabled`; `CreateProfile`:
//! `requireInstanceProperties`; `AttributeMapping`, `MappingRule`); **\[Q\]** user guide,
//! "Quotas" ("CRLs per trust anchor: 2", not adjustable).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rolesanywhere::{is_valid_duration, Arn, ArnField, MAX_DURATION_SECONDS, MIN_DURATION_SECONDS};
use rustls_pki_types::{CertificateDer, TrustAnchor};
use serde::Deserialize;
use serde_json::Value;
use x509_cert::der::Decode;

use super::policy::Policy;
use super::quota::{Quotas, RawQuotas};
use super::store::{Limits, RawLimits};
use super::tags::AttributeMapping;
use super::verify;

/// Largest configuration file read, in bytes.
const MAX_CONFIG_LEN: u64 = 4 * 1024 * 1024;

/// \[API\] `ImportCrl`: `crlData` is at most 300000 bytes.
const MAX_CRL_LEN: u64 = 300_000;

/// \[Q\]: "CRLs per trust anchor: 2" (not adjustable).
const MAX_CRLS_PER_ANCHOR: usize = 2;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawConfig {
    trust_anchors: Vec<RawAnchor>,
    roles: Vec<RawRole>,
    profiles: Vec<RawProfile>,
    #[serde(default)]
    quotas: RawQuotas,
    #[serde(default)]
    limits: RawLimits,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawAnchor {
    arn: String,
    certificate_bundle: Option<String>,
    certificate_bundle_file: Option<String>,
    enabled: Option<bool>,
    crls: Option<Vec<RawCrl>>,
}

/// A CRL imported to a trust anchor (\[API\] `ImportCrl`): PEM text, or a PEM or DER file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCrl {
    name: Option<String>,
    pem: Option<String>,
    file: Option<String>,
    /// Required: `ImportCrl`'s default is not documented (an import was observed to come back
    /// disabled), so the configuration says which it is.
    enabled: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawRole {
    arn: String,
    trust_policy: Value,
    max_session_duration: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawProfile {
    arn: String,
    role_arns: Vec<String>,
    duration_seconds: Option<u32>,
    accept_role_session_name: Option<bool>,
    enabled: Option<bool>,
    session_policy: Option<Value>,
    managed_policy_arns: Option<Vec<String>>,
    require_instance_properties: Option<bool>,
    attribute_mappings: Option<Vec<RawAttributeMapping>>,
}

/// \[API\] `AttributeMapping`: a certificate field and its mapping rules.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawAttributeMapping {
    certificate_field: String,
    mapping_rules: Vec<RawMappingRule>,
}

/// \[API\] `MappingRule`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMappingRule {
    specifier: String,
}

/// A trust anchor: its ARN and the CA certificates of its bundle.
pub struct Anchor {
    /// The ARN as configured.
    pub arn: String,
    /// Its partition, region and account.
    pub partition: String,
    /// Region of the anchor.
    pub region: String,
    /// Account of the anchor.
    pub account: String,
    /// Whether sessions may be created with it.
    pub enabled: bool,
    /// The bundle's CA certificates as webpki trust anchors (the guide's primary and secondary
    /// CA, for rotation: any of them may issue the chain).
    pub trust_anchors: Vec<TrustAnchor<'static>>,
    /// For each of `trust_anchors`: the CA's subject CN and validity (webpki does not check an
    /// anchor's own dates; an expired CA of the bundle must not anchor a chain).
    pub validity: Vec<(String, rolesanywhere::Time, rolesanywhere::Time)>,
    /// The CRLs imported to the anchor, each signed by one of its CAs.
    pub crls: Vec<Crl>,
}

/// A certificate revocation list of a trust anchor.
pub struct Crl {
    /// Its name, or `crls[i]`, for messages.
    pub name: String,
    /// Whether it is applied (\[API\] `EnableCrl`: "When enabled, certificates stored in the CRL
    /// are unauthorized to receive session credentials").
    pub enabled: bool,
    /// The index in [`Anchor::trust_anchors`] of the CA that signed it.
    pub issuer: usize,
    /// The serial numbers it lists, as DER integer contents.
    pub revoked: BTreeSet<Vec<u8>>,
}

/// An IAM role.
pub struct Role {
    /// The ARN as configured.
    pub arn: String,
    /// Partition of the role ARN.
    pub partition: String,
    /// Account of the role.
    pub account: String,
    /// The role's name: the last segment of its path.
    pub name: String,
    /// The trust policy (`AssumeRolePolicyDocument`).
    pub trust_policy: Policy,
    /// IAM `MaxSessionDuration`, 3600 to 43200 seconds (default 3600).
    pub max_session_duration: u32,
}

/// A Roles Anywhere profile.
pub struct Profile {
    /// The ARN as configured.
    pub arn: String,
    /// Roles the profile may assume.
    pub role_arns: Vec<String>,
    /// Session duration (default 3600, the `CreateProfile` default).
    pub duration_seconds: u32,
    /// Whether a `roleSessionName` may be given (default false).
    pub accept_role_session_name: bool,
    /// Whether the profile is enabled (default true).
    pub enabled: bool,
    /// Whether requests must carry `instanceProperties` (default false).
    pub require_instance_properties: bool,
    /// Which certificate fields become principal tags (default: the documented default mapping).
    pub attribute_mapping: AttributeMapping,
}

/// The loaded configuration, indexed by ARN.
pub struct Config {
    /// Trust anchors by ARN.
    pub anchors: BTreeMap<String, Anchor>,
    /// Roles by ARN.
    pub roles: BTreeMap<String, Role>,
    /// Profiles by ARN.
    pub profiles: BTreeMap<String, Profile>,
    /// The `CreateSession` quota (`quotas`).
    pub quotas: Quotas,
    /// Bounds on what the stand-in keeps (`limits`).
    pub limits: Limits,
}

impl Config {
    /// Reads and checks the configuration file; relative `certificateBundleFile` paths are
    /// resolved against the file's directory.
    pub fn load(path: &Path) -> Result<Config, String> {
        use std::io::Read;
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read --config {}: {e}", path.display()))?;
        let mut text = String::new();
        file.take(MAX_CONFIG_LEN + 1)
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read --config {}: {e}", path.display()))?;
        if text.len() as u64 > MAX_CONFIG_LEN {
            return Err(format!("--config {} is larger than {MAX_CONFIG_LEN} bytes", path.display()));
        }
        let base = path.parent().unwrap_or(Path::new("."));
        Config::parse(&text, base).map_err(|e| format!("--config {}: {e}", path.display()))
    }

    /// Parses and checks a configuration text; `base` is where relative file names start.
    pub fn parse(text: &str, base: &Path) -> Result<Config, String> {
        let raw: RawConfig = serde_json::from_str(text).map_err(|e| format!("not a valid configuration: {e}"))?;
        let anchors =
            index_by_arn(raw.trust_anchors, "trustAnchors", "trust anchor", |a| load_anchor(a, base), |a| &a.arn)?;
        let roles = index_by_arn(raw.roles, "roles", "role", load_role, |r| &r.arn)?;
        let profiles = index_by_arn(raw.profiles, "profiles", "profile", |p| load_profile(p, &roles), |p| &p.arn)?;
        if anchors.is_empty() || profiles.is_empty() {
            return Err("at least one trust anchor, role and profile are needed".into());
        }
        let quotas = raw.quotas.check().map_err(|e| format!("quotas: {e}"))?;
        let limits = raw.limits.check().map_err(|e| format!("limits: {e}"))?;
        Ok(Config { anchors, roles, profiles, quotas, limits })
    }
}

/// Loads the entries of the list `list` and indexes them by ARN; an error names the entry
/// (`list[i]`), and an ARN appears once.
fn index_by_arn<R, T>(
    entries: Vec<R>,
    list: &str,
    what: &str,
    mut load: impl FnMut(R) -> Result<T, String>,
    arn: impl Fn(&T) -> &String,
) -> Result<BTreeMap<String, T>, String> {
    let mut map = BTreeMap::new();
    for (i, raw) in entries.into_iter().enumerate() {
        let entry = load(raw).map_err(|e| format!("{list}[{i}]: {e}"))?;
        let arn = arn(&entry).clone();
        if map.contains_key(&arn) {
            return Err(format!("{list}[{i}]: duplicate {what} ARN {arn}"));
        }
        map.insert(arn, entry);
    }
    Ok(map)
}

fn load_anchor(a: RawAnchor, base: &Path) -> Result<Anchor, String> {
    let arn = Arn::parse(ArnField::TrustAnchor, &a.arn).map_err(|r| format!("arn: the trust anchor ARN {r}"))?;
    let pem = match (a.certificate_bundle, a.certificate_bundle_file) {
        (Some(text), None) => text.into_bytes(),
        (None, Some(file)) => {
            let path = base.join(&file);
            std::fs::read(&path).map_err(|e| format!("certificateBundleFile: cannot read {}: {e}", path.display()))?
        }
        _ => return Err("give exactly one of certificateBundle (PEM text) and certificateBundleFile".into()),
    };
    let certs = rolesanywhere::parse_certificates(&pem).map_err(|e| format!("certificate bundle: {e}"))?;
    let mut trust_anchors = Vec::new();
    let mut validity = Vec::new();
    let mut cas = Vec::new();
    for (j, cert) in certs.iter().enumerate() {
        let what = format!("certificate bundle entry {j} ({})", cert.subject_common_name().unwrap_or("no CN"));
        // [T] "Trust model", trust anchors: the CA certificate must have basic constraints CA:TRUE
        // and key usage keyCertSign.
        if cert.is_ca() != Some(true) {
            return Err(format!("{what} is not a CA certificate (basic constraints CA:TRUE is required)"));
        }
        if !has_key_cert_sign(cert.der()) {
            return Err(format!("{what} lacks key usage keyCertSign"));
        }
        let der = CertificateDer::from(cert.der().to_vec());
        let anchor = webpki::anchor_from_trusted_cert(&der).map_err(|e| format!("{what}: {e}"))?.to_owned();
        trust_anchors.push(anchor);
        validity.push((cert.subject_common_name().unwrap_or("no CN").to_string(), cert.not_before(), cert.not_after()));
        cas.push(x509_cert::Certificate::from_der(cert.der()).map_err(|e| format!("{what}: {e}"))?);
    }
    let raw_crls = a.crls.unwrap_or_default();
    if raw_crls.len() > MAX_CRLS_PER_ANCHOR {
        return Err(format!("crls: {} CRLs; a trust anchor holds at most {MAX_CRLS_PER_ANCHOR}", raw_crls.len()));
    }
    let crls = raw_crls
        .into_iter()
        .enumerate()
        .map(|(i, raw)| load_crl(raw, i, base, &cas).map_err(|e| format!("crls[{i}]: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Anchor {
        arn: a.arn.clone(),
        partition: arn.partition.into(),
        region: arn.region.into(),
        account: arn.account.into(),
        enabled: a.enabled.unwrap_or(true),
        trust_anchors,
        validity,
        crls,
    })
}

/// Reads a CRL (PEM `X509 CRL` or DER) and finds which of the anchor's CA certificates `cas`
/// signed it: the CA whose subject is the CRL's issuer and whose key verifies its signature
/// (RFC 5280 §5.1, §6.3.3). A CRL that none of them signed is refused: the stand-in checks CRLs
/// against the trust anchor's CAs (whether AWS verifies an imported CRL's signature, and which
/// CAs it accepts as its issuer, is not documented).
fn load_crl(raw: RawCrl, index: usize, base: &Path, cas: &[x509_cert::Certificate]) -> Result<Crl, String> {
    use std::io::Read;
    // [API] ImportCrl name: 1 to 255 characters of [ a-zA-Z0-9-_].
    let name_ok =
        |n: &str| (1..=255).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric() || b" -_".contains(&b));
    let name = match raw.name {
        Some(name) if name_ok(&name) => name,
        Some(name) => {
            return Err(format!("name {name:?} is not 1 to 255 characters of letters, digits, spaces, - and _"))
        }
        None => format!("crls[{index}]"),
    };
    let bytes = match (raw.pem, raw.file) {
        (Some(text), None) => text.into_bytes(),
        (None, Some(file)) => {
            let path = base.join(&file);
            let mut bytes = Vec::new();
            std::fs::File::open(&path)
                .and_then(|f| f.take(MAX_CRL_LEN + 1).read_to_end(&mut bytes))
                .map_err(|e| format!("file: cannot read {}: {e}", path.display()))?;
            bytes
        }
        _ => return Err("give exactly one of pem (PEM text) and file (a PEM or DER file)".into()),
    };
    if bytes.is_empty() || bytes.len() as u64 > MAX_CRL_LEN {
        return Err(format!("the CRL must be 1 to {MAX_CRL_LEN} bytes"));
    }
    let der = if bytes.windows(10).any(|w| w == b"-----BEGIN") {
        match x509_cert::der::pem::decode_vec(&bytes) {
            Ok(("X509 CRL", der)) => der,
            Ok((label, _)) => return Err(format!("the PEM block is {label:?}, not \"X509 CRL\"")),
            Err(e) => return Err(format!("not PEM: {e}")),
        }
    } else {
        bytes
    };
    let crl = x509_cert::crl::CertificateList::<x509_cert::certificate::Rfc5280>::from_der(&der)
        .map_err(|e| format!("not a CRL (PEM \"X509 CRL\" or DER CertificateList): {e}"))?;
    let tbs = first_element(&der).ok_or("cannot find the CRL's tbsCertList")?;
    let signature = crl.signature.as_bytes().ok_or("the CRL's signature is not a whole number of bytes")?;
    let issuer = cas
        .iter()
        .position(|ca| {
            let ca = ca.tbs_certificate();
            ca.subject() == &crl.tbs_cert_list.issuer
                && verify::signed_by(ca.subject_public_key_info(), &crl.signature_algorithm, tbs, signature)
        })
        .ok_or_else(|| {
            format!(
                "the CRL of {} is not signed by any of the trust anchor's CA certificates",
                crl.tbs_cert_list.issuer
            )
        })?;
    let revoked = crl
        .tbs_cert_list
        .revoked_certificates
        .iter()
        .flatten()
        .map(|entry| entry.serial_number.as_bytes().to_vec())
        .collect();
    Ok(Crl { name, enabled: raw.enabled, issuer, revoked })
}

/// The bytes of the first element of the DER SEQUENCE `der`, header included: the signed part
/// of a CRL (its tbsCertList, exactly as signed).
fn first_element(der: &[u8]) -> Option<&[u8]> {
    use x509_cert::der::{Header, Reader, SliceReader};
    let mut reader = SliceReader::new(der).ok()?;
    Header::decode(&mut reader).ok()?;
    let start = usize::try_from(reader.position()).ok()?;
    let inner = Header::decode(&mut reader).ok()?;
    let end = usize::try_from(reader.position()).ok()?.checked_add(usize::try_from(inner.length()).ok()?)?;
    der.get(start..end)
}

/// Whether the certificate has a key usage extension with keyCertSign.
fn has_key_cert_sign(der: &[u8]) -> bool {
    use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
    let Ok(cert) = x509_cert::Certificate::from_der(der) else { return false };
    matches!(cert.tbs_certificate().get_extension::<KeyUsage>(), Ok(Some((_, ku))) if ku.0.contains(KeyUsages::KeyCertSign))
}

fn load_role(r: RawRole) -> Result<Role, String> {
    let arn = Arn::parse(ArnField::Role, &r.arn).map_err(|e| format!("arn: the role ARN {e}"))?;
    let trust_policy = Policy::parse(&r.trust_policy).map_err(|e| format!("trustPolicy: {e}"))?;
    // IAM CreateRole MaxSessionDuration: 3600 to 43200 seconds, default 3600.
    let max_session_duration = r.max_session_duration.unwrap_or(3600);
    if !(3600..=43_200).contains(&max_session_duration) {
        return Err(format!("maxSessionDuration {max_session_duration} is outside 3600..=43200"));
    }
    let name = arn.resource.rsplit('/').next().unwrap_or_default().to_string();
    Ok(Role {
        arn: r.arn.clone(),
        partition: arn.partition.into(),
        account: arn.account.into(),
        name,
        trust_policy,
        max_session_duration,
    })
}

fn load_profile(p: RawProfile, roles: &BTreeMap<String, Role>) -> Result<Profile, String> {
    Arn::parse(ArnField::Profile, &p.arn).map_err(|e| format!("arn: the profile ARN {e}"))?;
    if p.role_arns.is_empty() {
        return Err("roleArns is empty".into());
    }
    for role in &p.role_arns {
        Arn::parse(ArnField::Role, role).map_err(|e| format!("roleArns: {role:?} {e}"))?;
        if !roles.contains_key(role) {
            return Err(format!("roleArns: {role} is not one of the configured roles"));
        }
    }
    // CreateProfile durationSeconds: 900 to 43200, as CreateSession's, default 3600 (ProfileDetail:
    // "if this value is not provided, the default value will be 3600").
    let duration_seconds = p.duration_seconds.unwrap_or(3600);
    if !is_valid_duration(duration_seconds.into()) {
        return Err(format!(
            "durationSeconds {duration_seconds} is outside {MIN_DURATION_SECONDS}..={MAX_DURATION_SECONDS}"
        ));
    }
    match &p.session_policy {
        None => {}
        // As CreateProfile takes it: a JSON document in a string; an object is taken too.
        Some(Value::String(s)) => {
            let doc: Value = serde_json::from_str(s).map_err(|e| format!("sessionPolicy is not JSON: {e}"))?;
            if !doc.is_object() {
                return Err("sessionPolicy must be a JSON policy object".into());
            }
        }
        Some(Value::Object(_)) => {}
        Some(_) => return Err("sessionPolicy must be a policy document (JSON object or string)".into()),
    }
    for m in p.managed_policy_arns.iter().flatten() {
        if !m.starts_with("arn:") || !m.contains(":policy/") {
            return Err(format!("managedPolicyArns: {m:?} is not a policy ARN"));
        }
    }
    let mappings: Vec<(String, Vec<String>)> = p
        .attribute_mappings
        .unwrap_or_default()
        .into_iter()
        .map(|m| (m.certificate_field, m.mapping_rules.into_iter().map(|r| r.specifier).collect()))
        .collect();
    let attribute_mapping = AttributeMapping::parse(&mappings).map_err(|e| format!("attributeMappings: {e}"))?;
    Ok(Profile {
        arn: p.arn.clone(),
        role_arns: p.role_arns,
        duration_seconds,
        accept_role_session_name: p.accept_role_session_name.unwrap_or(false),
        enabled: p.enabled.unwrap_or(true),
        require_instance_properties: p.require_instance_properties.unwrap_or(false),
        attribute_mapping,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANCHOR: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/TA1";
    const PROFILE: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:profile/P1";
    const ROLE: &str = "arn:aws:iam::123456789012:role/demo";

    fn config(anchor: Value, role: Value, profile: Value) -> String {
        serde_json::json!({"trustAnchors": [anchor], "roles": [role], "profiles": [profile]}).to_string()
    }

    fn policy() -> Value {
        serde_json::json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"Service": "rolesanywhere.amazonaws.com"}, "Action": "sts:*"}})
    }

    #[test]
    fn load_errors_name_the_entry_and_field() {
        let dir = std::env::temp_dir();
        let anchor = serde_json::json!({"arn": ANCHOR, "certificateBundleFile": "/nonexistent/standin-bundle.pem"});
        let role = serde_json::json!({"arn": ROLE, "trustPolicy": policy()});
        let profile = serde_json::json!({"arn": PROFILE, "roleArns": [ROLE]});
        let e = Config::parse(&config(anchor, role.clone(), profile.clone()), &dir).err().unwrap();
        assert!(e.contains("trustAnchors[0]: certificateBundleFile: cannot read"), "{e}");

        let not_pem = serde_json::json!({"arn": ANCHOR, "certificateBundle": "hello"});
        let e = Config::parse(&config(not_pem, role.clone(), profile.clone()), &dir).err().unwrap();
        assert!(e.contains("trustAnchors[0]: certificate bundle"), "{e}");

        let bad_arn =
            serde_json::json!({"arn": "arn:aws:rolesanywhere:us-west-2:1234:trust-anchor/x", "certificateBundle": "x"});
        let e = Config::parse(&config(bad_arn, role.clone(), profile.clone()), &dir).err().unwrap();
        assert!(e.contains("trustAnchors[0]: arn:") && e.contains("account"), "{e}");
    }

    #[test]
    fn roles_and_profiles_are_checked() {
        let role = serde_json::json!({"arn": ROLE, "trustPolicy": policy()});
        let r = load_role(serde_json::from_value(role.clone()).unwrap()).unwrap();
        assert_eq!((r.name.as_str(), r.account.as_str(), r.max_session_duration), ("demo", "123456789012", 3600));

        let bad_op = serde_json::json!({"arn": ROLE, "trustPolicy": {"Version": "2012-10-17", "Statement": {
            "Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
            "Condition": {"StringEqualsFoo": {"aws:SourceArn": ANCHOR}}}}});
        let e = load_role(serde_json::from_value(bad_op).unwrap()).err().unwrap();
        assert!(e.contains("unknown condition operator \"StringEqualsFoo\""), "{e}");

        let mut roles = BTreeMap::new();
        roles.insert(ROLE.to_string(), r);
        let unknown_role = serde_json::json!({"arn": PROFILE, "roleArns": ["arn:aws:iam::123456789012:role/other"]});
        let e = load_profile(serde_json::from_value(unknown_role).unwrap(), &roles).err().unwrap();
        assert!(e.contains("not one of the configured roles"), "{e}");
        let long = serde_json::json!({"arn": PROFILE, "roleArns": [ROLE], "durationSeconds": 50000});
        let e = load_profile(serde_json::from_value(long).unwrap(), &roles).err().unwrap();
        assert!(e.contains("outside 900..=43200"), "{e}");
        let ok = serde_json::json!({"arn": PROFILE, "roleArns": [ROLE]});
        let p = load_profile(serde_json::from_value(ok).unwrap(), &roles).unwrap();
        assert_eq!((p.duration_seconds, p.accept_role_session_name, p.enabled), (3600, false, true));
        let typo = serde_json::json!({"trustAnchors": [], "roles": [], "profiles": [], "extra": 1}).to_string();
        assert!(Config::parse(&typo, &std::env::temp_dir()).err().unwrap().contains("unknown field"));
    }

    #[test]
    fn profiles_take_attribute_mappings_and_require_instance_properties() {
        let mut roles = BTreeMap::new();
        roles.insert(
            ROLE.to_string(),
            load_role(serde_json::from_value(serde_json::json!({"arn": ROLE, "trustPolicy": policy()})).unwrap())
                .unwrap(),
        );
        let profile = |extra: Value| {
            let mut p = serde_json::json!({"arn": PROFILE, "roleArns": [ROLE]});
            p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            load_profile(serde_json::from_value(p).unwrap(), &roles)
        };
        let p = profile(serde_json::json!({})).unwrap();
        assert!(!p.require_instance_properties);
        assert_eq!(p.attribute_mapping, AttributeMapping::default());
        let p = profile(serde_json::json!({"requireInstanceProperties": true, "attributeMappings": [
            {"certificateField": "x509Issuer", "mappingRules": []}]}))
        .unwrap();
        assert!(p.require_instance_properties);
        assert_ne!(p.attribute_mapping, AttributeMapping::default());
        let e = profile(serde_json::json!({"attributeMappings": [{"certificateField": "x509SAN",
            "mappingRules": [{"specifier": "*"}]}]}))
        .err()
        .unwrap();
        assert!(e.starts_with("attributeMappings: x509SAN: specifier \"*\""), "{e}");
    }

    #[test]
    fn the_signed_part_of_a_crl_is_its_first_element() {
        // SEQUENCE { SEQUENCE { INTEGER 1 }, INTEGER 2 }; long-form lengths; a first element longer
        // than what is there.
        assert_eq!(
            first_element(&[0x30, 0x08, 0x30, 0x03, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]),
            Some(&[0x30, 0x03, 0x02, 0x01, 0x01][..])
        );
        let mut long = vec![0x30, 0x81, 0x85, 0x04, 0x81, 0x80];
        long.extend([0u8; 128]);
        long.extend([0x05, 0x00]);
        assert_eq!(first_element(&long).map(<[u8]>::len), Some(131));
        assert_eq!(first_element(&[0x30, 0x05, 0x04, 0x09, 0x00]), None);
        assert_eq!(first_element(&[]), None);
    }
}
