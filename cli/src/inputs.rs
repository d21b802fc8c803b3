//! The certificate, key and chain of a request, from the flags of [`crate::SignArgs`]: where each
//! input comes from (a file, standard input, an environment variable), what form it has (PEM
//! or DER, a full chain, PKCS#12, an encrypted PKCS#8 key) and the passwords that open it.
//!
//! - `--certificate` is a leaf (PEM or DER); a PEM full chain, leaf first, whose other
//!   certificates join the intermediates (as cert-manager's `tls.crt` and ACME clients write
//!   it); or a PKCS#12 file (DER, recognised by its content: a `PFX` of version 3, RFC 7292 §4),
//!   which holds the key and the chain too, so `--private-key` is omitted.
//! - `--private-key` is PKCS#8, SEC1 or PKCS#1, PEM or DER, or an encrypted PKCS#8 key
//!   (`ENCRYPTED PRIVATE KEY`) opened with `--pkcs8-password` or `--pkcs8-password-file`.
//! - `--intermediates` adds CA certificates; with a full chain or PKCS#12 both are sent, each
//!   certificate once (the core's `merge_intermediates`).
//! - Each input is `FILE`, `-` (standard input, for at most one input of a run) or `env:NAME`
//!   (the environment variable's value). Files are read again on every refresh of `serve` and
//!   `update`, so that rotated files are picked up; standard input is read once, when the command
//!   starts, and kept for the run.
//!
//! Passwords are zeroized after use and never appear in a message; a password file's one
//! trailing newline (`\n` or `\r\n`) is not part of the password.

use std::ffi::OsString;
use std::fmt;
use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;

use rolesanywhere::{
    merge_intermediates, parse_intermediates, split_full_chain, Certificate, ErrorCode, KeyError, Pkcs12, PrivateKey,
    MAX_INPUT_LEN,
};
use zeroize::Zeroizing;

use crate::{Failure, SignArgs};

/// Where an input comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A file.
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
    /// An environment variable (`env:NAME`).
    Env(OsString),
}

impl From<OsString> for Source {
    fn from(value: OsString) -> Self {
        if value == "-" {
            return Source::Stdin;
        }
        match value.to_str().and_then(|v| v.strip_prefix("env:")) {
            Some(name) => Source::Env(name.into()),
            None => Source::File(value.into()),
        }
    }
}

/// For messages: a file's path quoted, `(standard input)`, or `env:NAME`.
impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(path) => f.write_str(&crate::shown_path(path)),
            Source::Stdin => f.write_str("(standard input)"),
            Source::Env(name) => write!(f, "env:{}", crate::shown(&name.to_string_lossy()).trim_matches('"')),
        }
    }
}

/// A password given on the command line; zeroized when dropped, never shown.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(Zeroizing::new(value))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Standard input, read at most once per run.
#[derive(Default)]
pub struct Stdin(OnceLock<Result<Zeroizing<Vec<u8>>, String>>);

/// Longest password read from a file.
const MAX_PASSWORD_LEN: u64 = 4096;

/// Reads `source` (at most `limit` bytes) for `flag`; the buffer is zeroized when dropped, as it
/// may hold a key.
fn read(flag: &str, source: &Source, stdin: &Stdin, limit: u64) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let fail = |why: String| Failure::new(ErrorCode::InvalidInput, format!("cannot read {flag} {source}: {why}"));
    let bytes = match source {
        Source::File(path) => {
            let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
            let mut bytes = Zeroizing::new(Vec::new());
            file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| fail(e.to_string()))?;
            bytes
        }
        Source::Stdin => {
            let read = stdin.0.get_or_init(|| {
                let mut bytes = Zeroizing::new(Vec::new());
                std::io::stdin()
                    .lock()
                    .take(limit + 1)
                    .read_to_end(&mut bytes)
                    .map(|_| bytes)
                    .map_err(|e| e.to_string())
            });
            read.clone().map_err(fail)?
        }
        Source::Env(name) => match std::env::var_os(name) {
            Some(value) => Zeroizing::new(value.into_encoded_bytes()),
            None => return Err(fail("the environment variable is not set".into())),
        },
    };
    if bytes.len() as u64 > limit {
        return Err(Failure::new(ErrorCode::InvalidInput, format!("{flag} {source} is larger than {limit} bytes")));
    }
    Ok(bytes)
}

/// Reads a certificate or key input, refusing inputs larger than the library takes.
fn read_input(flag: &str, source: &Source, stdin: &Stdin) -> Result<Zeroizing<Vec<u8>>, Failure> {
    read(flag, source, stdin, MAX_INPUT_LEN as u64)
}

/// A failure with `e`'s code, naming the flag and its input.
fn coded(flag: &str, source: &Source, e: rolesanywhere::Error) -> Failure {
    Failure::new(e.code(), format!("{flag} {source}: {e}"))
}

fn invalid_options(message: String) -> Failure {
    Failure::new(ErrorCode::InvalidOptions, message)
}

/// Whether `input` is a DER PKCS#12 `PFX`: `SEQUENCE { INTEGER 3, …` (RFC 7292 §4). A DER
/// certificate opens with a `SEQUENCE` (its `tbsCertificate`), and a DER private key with
/// `INTEGER 0` or `1`.
fn is_pkcs12(input: &[u8]) -> bool {
    let header = match input {
        [0x30, 0x80, ..] => 2,
        [0x30, len, ..] if *len < 0x80 => 2,
        [0x30, len, ..] if (0x81..=0x84).contains(len) => 2 + usize::from(len - 0x80),
        _ => return false,
    };
    input.get(header..header + 3) == Some(&[0x02, 0x01, 0x03])
}

/// The label of the first PEM block that is not `EC PARAMETERS`, or `None` for DER.
fn pem_label(input: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&input[..input.len().min(64 * 1024)]).into_owned();
    let text = Zeroizing::new(text);
    text.match_indices("-----BEGIN ").find_map(|(at, begin)| {
        let rest = &text[at + begin.len()..];
        let label = &rest[..rest.find("-----")?];
        (label != "EC PARAMETERS").then(|| label.to_string())
    })
}

/// The certificate input read: a leaf and what came with it. Made once per sign-in and taken
/// apart at once, so the size of its variants does not matter.
#[allow(clippy::large_enum_variant)]
enum CertificateInput {
    /// A PEM or DER certificate, or a PEM full chain (`chain` holds the certificates after the
    /// leaf).
    Chain { leaf: Certificate, chain: Vec<Certificate>, pem: bool },
    /// A PKCS#12 file.
    Pkcs12(Pkcs12),
}

/// The certificate, key and intermediates of a request, and how they were given (for
/// `--explain`).
pub struct Material {
    /// The leaf certificate.
    pub leaf: Certificate,
    /// Its private key.
    pub key: PrivateKey,
    /// The intermediates to send, each once.
    pub intermediates: Vec<Certificate>,
    /// One line per input: where it came from and its form.
    pub forms: Vec<String>,
}

impl SignArgs {
    /// Checks the input flags together and reads standard input if an input is `-`: at most
    /// one input may be, and a password flag needs the input it opens.
    pub fn check_inputs(&self) -> Result<(), Failure> {
        let named = [
            ("--certificate", Some(&self.certificate)),
            ("--private-key", self.private_key.as_ref()),
            ("--intermediates", self.intermediates.as_ref()),
            ("--pkcs8-password-file", self.pkcs8_password_file.as_ref()),
            ("--pkcs12-password-file", self.pkcs12_password_file.as_ref()),
        ];
        let from_stdin: Vec<&str> =
            named.iter().filter(|(_, source)| *source == Some(&Source::Stdin)).map(|(flag, _)| *flag).collect();
        match from_stdin[..] {
            [] => Ok(()),
            [flag] => read(flag, &Source::Stdin, &self.stdin, MAX_INPUT_LEN as u64).map(drop),
            _ => Err(invalid_options(format!(
                "only one input can be standard input (-); {} all are",
                from_stdin.join(", ")
            ))),
        }
    }

    /// The password of `--pkcs8-password` or `--pkcs8-password-file`, if given.
    fn pkcs8_password(&self) -> Result<Option<Zeroizing<Vec<u8>>>, Failure> {
        password(&self.pkcs8_password, "--pkcs8-password-file", &self.pkcs8_password_file, &self.stdin)
    }

    /// The password of `--pkcs12-password` or `--pkcs12-password-file`, if given.
    fn pkcs12_password(&self) -> Result<Option<Zeroizing<Vec<u8>>>, Failure> {
        password(&self.pkcs12_password, "--pkcs12-password-file", &self.pkcs12_password_file, &self.stdin)
    }

    fn pkcs12_password_given(&self) -> bool {
        self.pkcs12_password.is_some() || self.pkcs12_password_file.is_some()
    }

    fn pkcs8_password_given(&self) -> bool {
        self.pkcs8_password.is_some() || self.pkcs8_password_file.is_some()
    }

    /// Reads `--certificate`: a PKCS#12 file, or a certificate or full chain.
    fn read_certificate_input(&self) -> Result<CertificateInput, Failure> {
        let source = &self.certificate;
        let bytes = read_input("--certificate", source, &self.stdin)?;
        if is_pkcs12(&bytes) {
            if self.private_key.is_some() {
                return Err(invalid_options(format!(
                    "--private-key: --certificate {source} is a PKCS#12 file, which holds the key; omit --private-key"
                )));
            }
            if self.pkcs8_password_given() {
                return Err(invalid_options(format!(
                    "--pkcs8-password: --certificate {source} is a PKCS#12 file; give its password with \
                     --pkcs12-password-file or --pkcs12-password"
                )));
            }
            let password = self.pkcs12_password()?;
            // A file exported without a password (`-passout pass:`) opens with the empty one.
            let parsed = Pkcs12::parse(&bytes, password.as_ref().map_or(&b""[..], |p| &p[..]));
            return match parsed {
                Ok(p12) => Ok(CertificateInput::Pkcs12(p12)),
                Err(e) if password.is_none() && e.code() == ErrorCode::WrongPassword => Err(Failure::new(
                    ErrorCode::EncryptedKey,
                    format!(
                        "--certificate {source}: the PKCS#12 file needs a password; give it with \
                         --pkcs12-password-file FILE (or --pkcs12-password)"
                    ),
                )),
                Err(e) => Err(coded("--certificate", source, e.into())),
            };
        }
        if self.pkcs12_password_given() {
            return Err(invalid_options(format!("--pkcs12-password: --certificate {source} is not a PKCS#12 file")));
        }
        let (leaf, chain) = split_full_chain(&bytes).map_err(|e| coded("--certificate", source, e.into()))?;
        if !chain.is_empty() && leaf.is_ca() == Some(true) {
            return Err(Failure::new(
                ErrorCode::InvalidCertificate,
                format!(
                    "--certificate {source} holds more than one certificate and the first, read as the leaf of a \
                     full chain, is a CA; put the leaf first, or give CA certificates with --intermediates"
                ),
            ));
        }
        Ok(CertificateInput::Chain { leaf, chain, pem: pem_label(&bytes).is_some() })
    }

    /// The leaf certificate alone (what the credential cache's key is made of).
    pub fn leaf(&self) -> Result<Certificate, Failure> {
        Ok(match self.read_certificate_input()? {
            CertificateInput::Chain { leaf, .. } => leaf,
            CertificateInput::Pkcs12(p12) => p12.leaf,
        })
    }

    /// Reads every input: the certificate (and what came with it), the key, the intermediates.
    pub fn material(&self) -> Result<Material, Failure> {
        let mut forms = Vec::new();
        let certificate = &self.certificate;
        let (leaf, key, from_chain) = match self.read_certificate_input()? {
            CertificateInput::Pkcs12(p12) => {
                forms.push(format!(
                    "certificate: {certificate}: PKCS#12 with the leaf, its private key and {} other certificate(s)",
                    p12.intermediates.len()
                ));
                forms.push("private key: from the PKCS#12 file".into());
                (p12.leaf, p12.key, p12.intermediates)
            }
            CertificateInput::Chain { leaf, chain, pem } => {
                let encoding = if pem { "PEM" } else { "DER" };
                forms.push(match chain.len() {
                    0 => format!("certificate: {certificate}: {encoding}"),
                    n => format!("certificate: {certificate}: PEM full chain, the leaf and {n} intermediate(s)"),
                });
                let (key, form) = self.read_key()?;
                forms.push(form);
                (leaf, key, chain)
            }
        };
        let given = match &self.intermediates {
            Some(source) => {
                let chain = parse_intermediates(&read_input("--intermediates", source, &self.stdin)?)
                    .map_err(|e| coded("--intermediates", source, e.into()))?;
                forms.push(format!("intermediates: {source}: {} certificate(s)", chain.len()));
                chain
            }
            None => Vec::new(),
        };
        let intermediates = merge_intermediates(&leaf, from_chain, given).map_err(|e| {
            let flag = if self.intermediates.is_some() { "--certificate and --intermediates" } else { "--certificate" };
            Failure::new(e.code(), format!("{flag}: {e}"))
        })?;
        forms.push(format!("sent in X-Amz-X509-Chain: {} intermediate(s)", intermediates.len()));
        Ok(Material { leaf, key, intermediates, forms })
    }

    /// Reads `--private-key`, decrypting an encrypted PKCS#8 key with the PKCS#8 password;
    /// returns it with a line for `--explain`.
    fn read_key(&self) -> Result<(PrivateKey, String), Failure> {
        let Some(source) = &self.private_key else {
            return Err(invalid_options("--private-key is required (unless --certificate is a PKCS#12 file)".into()));
        };
        let bytes = read_input("--private-key", source, &self.stdin)?;
        let form = match pem_label(&bytes) {
            Some(label) => format!("private key: {source}: PEM {label}"),
            None => format!("private key: {source}: DER"),
        };
        let coded_key = |e: KeyError| coded("--private-key", source, e.into());
        let key = match PrivateKey::parse(&bytes) {
            Ok(key) => Ok((key, form)),
            Err(KeyError::Encrypted) => match self.pkcs8_password()? {
                Some(password) => {
                    let key = PrivateKey::parse_with_password(&bytes, &password).map_err(coded_key)?;
                    let from = if self.pkcs8_password.is_some() { "--pkcs8-password" } else { "--pkcs8-password-file" };
                    Ok((key, format!("{form}, decrypted with the password of {from}")))
                }
                None => {
                    let e = coded_key(KeyError::Encrypted);
                    Err(Failure::new(
                        e.code,
                        format!("{} (--pkcs8-password-file FILE, or --pkcs8-password)", e.message),
                    ))
                }
            },
            Err(e) => Err(coded_key(e)),
        }?;
        if let Source::File(path) = source {
            crate::warn_if_exposed("--private-key", path);
        }
        Ok(key)
    }
}

/// The password of `inline` or of the file `file` (whose one trailing newline is dropped).
fn password(
    inline: &Option<Secret>,
    file_flag: &str,
    file: &Option<Source>,
    stdin: &Stdin,
) -> Result<Option<Zeroizing<Vec<u8>>>, Failure> {
    if let Some(Secret(text)) = inline {
        return Ok(Some(Zeroizing::new(text.as_bytes().to_vec())));
    }
    let Some(source) = file else { return Ok(None) };
    let mut bytes = read(file_flag, source, stdin, MAX_PASSWORD_LEN)?;
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_files_unless_dash_or_env() {
        assert_eq!(Source::from(OsString::from("-")), Source::Stdin);
        assert_eq!(Source::from(OsString::from("env:KEY")), Source::Env("KEY".into()));
        assert_eq!(Source::from(OsString::from("./env:KEY")), Source::File("./env:KEY".into()));
        assert_eq!(Source::from(OsString::from("--")), Source::File("--".into()));
        assert_eq!(Source::Env("A B".into()).to_string(), "env:A B");
        assert_eq!(Source::File("a\nb".into()).to_string(), r#""a\nb""#);
    }

    #[test]
    fn pkcs12_is_told_from_certificates_and_keys_by_its_version() {
        assert!(is_pkcs12(&[0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x03, 0x30]));
        assert!(is_pkcs12(&[0x30, 0x10, 0x02, 0x01, 0x03]));
        assert!(is_pkcs12(&[0x30, 0x80, 0x02, 0x01, 0x03]));
        // A certificate, a PKCS#8 key, a SEC1 key, PEM, nothing.
        assert!(!is_pkcs12(&[0x30, 0x82, 0x01, 0x00, 0x30, 0x82]));
        assert!(!is_pkcs12(&[0x30, 0x81, 0x87, 0x02, 0x01, 0x00]));
        assert!(!is_pkcs12(&[0x30, 0x77, 0x02, 0x01, 0x01]));
        assert!(!is_pkcs12(b"-----BEGIN CERTIFICATE-----"));
        assert!(!is_pkcs12(&[]));
        assert!(!is_pkcs12(&[0x30, 0x85, 0, 0, 0, 0, 1, 2, 1, 3]));
    }

    #[test]
    fn pem_labels_skip_ec_parameters() {
        assert_eq!(
            pem_label(
                b"-----BEGIN EC PARAMETERS-----\nx\n-----END EC PARAMETERS-----\n-----BEGIN EC PRIVATE KEY-----\n"
            )
            .as_deref(),
            Some("EC PRIVATE KEY")
        );
        assert_eq!(
            pem_label(b"junk\n-----BEGIN ENCRYPTED PRIVATE KEY-----\n").as_deref(),
            Some("ENCRYPTED PRIVATE KEY")
        );
        assert_eq!(pem_label(&[0x30, 0x03, 0x02, 0x01, 0x00]), None);
    }

    #[test]
    fn a_password_file_loses_one_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let stdin = Stdin::default();
        for (content, want) in [
            (&b"test\n"[..], &b"test"[..]),
            (b"test\r\n", b"test"),
            (b"test", b"test"),
            (b"test\n\n", b"test\n"),
            (b" test \n", b" test "),
            (b"\n", b""),
        ] {
            let path = dir.path().join("password");
            std::fs::write(&path, content).unwrap();
            let got = password(&None, "--pkcs8-password-file", &Some(Source::File(path)), &stdin).unwrap().unwrap();
            assert_eq!(&got[..], want, "{content:?}");
        }
        let secret = Secret::from("p\n".to_string());
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        let inline = Some(secret);
        assert_eq!(&password(&inline, "--x", &None, &stdin).unwrap().unwrap()[..], b"p\n");
        assert!(password(&None, "--x", &None, &stdin).unwrap().is_none());
    }
}
