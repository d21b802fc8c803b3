//! Helpers shared by the integration tests: a throw-away test PKI made by
//! `tests/pki/generate.sh`, and signature checks done by the `openssl`
//! command line (an implementation independent of this crate).
//!
//! Use it from a test file with `mod common;`.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub mod suite;

/// The password of every encrypted key in the test PKI.
pub const PASSWORD: &str = "test";

/// A generated test PKI; the directory is removed when this is dropped.
/// See `tests/pki/README.md` for the files it holds.
pub struct Pki {
    pub dir: tempfile::TempDir,
}

impl Pki {
    /// Runs `tests/pki/generate.sh` into a fresh temporary directory.
    /// Panics with the script's stderr if it fails.
    pub fn generate() -> Pki {
        let script = workspace_root().join("tests/pki/generate.sh");
        let dir = tempfile::Builder::new()
            .prefix("rolesanywhere-pki.")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .or_else(|_| tempfile::Builder::new().prefix("rolesanywhere-pki.").tempdir())
            .expect("create a temporary directory for the test PKI");
        let out = Command::new("bash")
            .arg(&script)
            .arg(dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        if !out.status.success() {
            panic!(
                "{} failed ({}):\n{}{}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Pki { dir }
    }

    /// The path of a file of the PKI, e.g. `pki.path("p256.pem")`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The bytes of a file of the PKI; panics if it is missing.
    pub fn read(&self, name: &str) -> Vec<u8> {
        let path = self.path(name);
        fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// The text of a file of the PKI; panics if it is missing or not UTF-8.
    pub fn read_str(&self, name: &str) -> String {
        let path = self.path(name);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// `manifest.json`: an array with one object per leaf certificate:
    /// `name`, `cert`, `cert_der`, `keys` (unencrypted key files),
    /// `encrypted_keys` (password [`PASSWORD`]), `serial_hex`,
    /// `serial_decimal` (a string), `key_type` and `good`.
    pub fn manifest(&self) -> serde_json::Value {
        serde_json::from_str(&self.read_str("manifest.json")).expect("manifest.json is JSON")
    }

    /// The manifest entry of the leaf called `name`; panics if there is none.
    pub fn leaf(&self, name: &str) -> serde_json::Value {
        self.manifest()
            .as_array()
            .expect("manifest.json is an array")
            .iter()
            .find(|l| l["name"] == name)
            .unwrap_or_else(|| panic!("no leaf {name:?} in manifest.json"))
            .clone()
    }
}

/// One PKI per test binary, generated on first use and shared by its tests.
/// (Statics are never dropped: the directory stays under the target
/// directory's `tmp/`, which `cargo clean` removes.)
pub fn shared() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(Pki::generate)
}

/// Runs `openssl ARGS...` and returns its output (panics if it cannot start).
pub fn openssl(args: &[&std::ffi::OsStr]) -> Output {
    Command::new("openssl").args(args).output().unwrap_or_else(|e| panic!("cannot run openssl: {e}"))
}

/// Verifies a SHA-256 signature of `message` with `openssl dgst -sha256
/// -verify`: ECDSA signatures must be DER (`Ecdsa-Sig-Value`), RSA ones
/// PKCS#1 v1.5.  `pubkey_or_cert` is a PEM public key, or a certificate in
/// PEM or DER whose public key is used.  True only if openssl printed
/// "Verified OK".
pub fn openssl_verify(pubkey_or_cert: &Path, message: &[u8], signature: &[u8]) -> bool {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let contents = fs::read(pubkey_or_cert).unwrap_or_else(|e| panic!("read {}: {e}", pubkey_or_cert.display()));
    let is_pem = contents.windows(10).any(|w| w == b"-----BEGIN");
    let is_pem_cert = contents.windows(17).any(|w| w == b"BEGIN CERTIFICATE");
    let pubkey = if is_pem && !is_pem_cert {
        pubkey_or_cert.to_path_buf()
    } else {
        let pubkey = tmp.path().join("pubkey.pem");
        let inform = if is_pem { "PEM" } else { "DER" };
        let out = openssl(&[
            "x509".as_ref(),
            "-inform".as_ref(),
            inform.as_ref(),
            "-in".as_ref(),
            pubkey_or_cert.as_os_str(),
            "-pubkey".as_ref(),
            "-noout".as_ref(),
            "-out".as_ref(),
            pubkey.as_os_str(),
        ]);
        assert!(
            out.status.success(),
            "openssl x509 -pubkey {}: {}",
            pubkey_or_cert.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        pubkey
    };
    let msg = tmp.path().join("message");
    let sig = tmp.path().join("signature");
    fs::write(&msg, message).expect("write message");
    fs::write(&sig, signature).expect("write signature");
    let out = openssl(&[
        "dgst".as_ref(),
        "-sha256".as_ref(),
        "-verify".as_ref(),
        pubkey.as_os_str(),
        "-signature".as_ref(),
        sig.as_os_str(),
        msg.as_os_str(),
    ]);
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Verified OK")
}

/// Signs `message` with `openssl dgst -sha256 -sign KEY` (DER ECDSA or
/// PKCS#1 v1.5 RSA).  `key` is an unencrypted private key file in PEM.
pub fn openssl_sign(key: &Path, message: &[u8]) -> Vec<u8> {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let msg = tmp.path().join("message");
    let sig = tmp.path().join("signature");
    fs::write(&msg, message).expect("write message");
    let out = openssl(&[
        "dgst".as_ref(),
        "-sha256".as_ref(),
        "-sign".as_ref(),
        key.as_os_str(),
        "-out".as_ref(),
        sig.as_os_str(),
        msg.as_os_str(),
    ]);
    assert!(out.status.success(), "openssl dgst -sign {}: {}", key.display(), String::from_utf8_lossy(&out.stderr));
    fs::read(&sig).expect("read signature")
}

/// The directory holding `tests/pki/generate.sh`: `CARGO_MANIFEST_DIR` or the nearest
/// ancestor of it that has the script (for test binaries of other workspace members, such
/// as `cli/tests`, which include this file with `#[path]`).
pub fn workspace_root() -> PathBuf {
    let start = Path::new(env!("CARGO_MANIFEST_DIR"));
    start
        .ancestors()
        .find(|dir| dir.join("tests/pki/generate.sh").is_file())
        .unwrap_or_else(|| panic!("no tests/pki/generate.sh above {}", start.display()))
        .to_path_buf()
}

/// Lower-case hex SHA-256 of `data`, computed by `openssl dgst -sha256` (independently of
/// this crate).
pub fn openssl_sha256_hex(data: &[u8]) -> String {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let file = tmp.path().join("data");
    fs::write(&file, data).expect("write data");
    let out = openssl(&["dgst".as_ref(), "-sha256".as_ref(), "-r".as_ref(), file.as_os_str()]);
    assert!(out.status.success(), "openssl dgst -sha256: {}", String::from_utf8_lossy(&out.stderr));
    // `-r` prints "HEX *FILE".
    let text = String::from_utf8(out.stdout).expect("openssl dgst prints ASCII");
    let hex = text.split_whitespace().next().unwrap_or_default().to_ascii_lowercase();
    assert!(hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()), "unexpected openssl dgst output {text:?}");
    hex
}

/// Standard base64 with padding (RFC 4648 section 4), written here so that tests do not
/// check the crate's encoder with itself.
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Lower-case hex of `data`.
pub fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes hex (either case); panics on anything else.
pub fn unhex(text: &str) -> Vec<u8> {
    assert!(text.as_bytes().chunks_exact(2).remainder().is_empty(), "odd-length hex {text:?}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap_or_else(|_| panic!("bad hex {text:?}")))
        .collect()
}

/// A deterministic xorshift64 generator for mutation tests (no `rand` dependency).
pub struct XorShift(pub u64);

impl XorShift {
    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

impl Pki {
    /// The base64 text of each PEM block of a PKI file, lines joined: the standard base64 of
    /// each DER certificate, read without this crate.
    pub fn pem_bodies(&self, file: &str) -> Vec<String> {
        let text = self.read_str(file);
        let mut bodies = Vec::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            if line.starts_with("-----BEGIN ") {
                current = Some(String::new());
            } else if line.starts_with("-----END ") {
                bodies.extend(current.take());
            } else if let Some(body) = current.as_mut() {
                body.push_str(line.trim());
            }
        }
        bodies
    }
}

/// The request every signing test builds: ARNs in us-west-2, signed at [`DATE`].
pub const ANCHOR: &str =
    "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111";
/// Profile ARN of the test request.
pub const PROFILE: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:profile/a1b2c3d4-5678-90ab-cdef-EXAMPLE22222";
/// Role ARN of the test request.
pub const ROLE: &str = "arn:aws:iam::123456789012:role/demo";
/// Signing time of the test request, RFC 3339.
pub const DATE: &str = "2024-06-01T12:00:30Z";
/// [`DATE`] as `X-Amz-Date`.
pub const AMZ_DATE: &str = "20240601T120030Z";
/// Credential scope of the test request.
pub const SCOPE: &str = "20240601/us-west-2/rolesanywhere/aws4_request";

/// The guide's trust policy (seeds/000): the service principal, the three actions,
/// `aws:SourceArn` StringEquals the anchor and the SPIFFE ID StringLike the project.
pub fn guide_trust_policy(anchors: &[&str]) -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "rolesanywhere.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
            "Condition": {
                "StringEquals": {"aws:SourceArn": anchors},
                "StringLike": {"aws:PrincipalTag/x509SAN/URI": "spiffe://ORG.aws-us-west.example.io/ns/prj-demo/*"}
            }
        }]
    })
}
