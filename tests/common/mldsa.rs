//! ML-DSA fixtures for the tests, written next to the test PKI of `tests/pki/generate.sh`.
//!
//! OpenSSL 3.0 (this machine's and CI's) has no ML-DSA, so keys come from the `ml-dsa` crate
//! (the core's own keygen, `ML-DSA.KeyGen_internal` from a random 32-byte seed) and the
//! certificates are DER written here by hand. `tests/mldsa.rs` checks the keys and signatures
//! against an independent implementation (Python `dilithium-py`). Include it with
//! `#[path = "common/mldsa.rs"] mod mldsa;` beside `mod common;` (it needs the `ml-dsa` cargo
//! feature and crate).
//!
//! Files written (see also tests/pki/README.md), for each set NN of 44, 65, 87:
//!
//! - `mldsaNN.seed.pem`, `mldsaNN.expanded.pem`, `mldsaNN.both.pem`: one key in the three
//!   PKCS#8 forms (`seed [0]`, `expandedKey`, `both`), and `mldsaNN.seed.der`;
//! - `mldsaNN.pem`: its leaf (`CN=mldsaNN, O=Test`, the prj-demo SPIFFE ID, digitalSignature),
//!   issued by the classical intermediate `int.pem` (ecdsa-with-SHA256), chain `chain.pem`;
//! - `mldsa-root.pem` (ML-DSA-87, self-signed) → `mldsa-int.pem` (ML-DSA-65, `mldsa-chain.pem`)
//!   → `mldsa65-pq.pem` (leaf, key `mldsa65-pq.seed.pem`): an all-ML-DSA chain;
//! - `mldsa44-other.seed.pem`: an ML-DSA-44 key that belongs to no certificate.

#![allow(dead_code)]

use std::fs;
use std::io::Read;
use std::path::Path;

use ml_dsa::{ExpandedSigningKey, MlDsa44, MlDsa65, MlDsa87, MlDsaParams};

/// The parameter sets: (name, OID arc last number).
pub const SETS: [(&str, u32); 3] = [("mldsa44", 17), ("mldsa65", 18), ("mldsa87", 19)];

/// Leaf validity (as the classical leaves of the test PKI) and CA validity.
const LEAF_VALIDITY: (&str, &str) = ("240101000000Z", "340101000000Z");
const CA_VALIDITY: (&str, &str) = ("230101000000Z", "450101000000Z");

/// A key of one parameter set: its seed, expanded key and encoded public key.
pub struct Key {
    /// 18 for ML-DSA-65 (the last arc of `id-ml-dsa-NN`).
    pub arc: u32,
    pub seed: [u8; 32],
    pub expanded: Vec<u8>,
    pub public: Vec<u8>,
}

impl Key {
    /// ML-DSA.KeyGen_internal(seed) for the set whose OID ends in `arc`.
    pub fn from_seed(arc: u32, seed: [u8; 32]) -> Key {
        fn expand<P: MlDsaParams>(seed: &[u8; 32]) -> (Vec<u8>, Vec<u8>) {
            let key = ExpandedSigningKey::<P>::from_seed(&ml_dsa::B32::from(*seed));
            #[allow(deprecated)] // the expanded form is what the `expandedKey` PKCS#8 form holds
            let expanded = key.to_expanded().to_vec();
            (expanded, key.verifying_key().encode().to_vec())
        }
        let (expanded, public) = match arc {
            17 => expand::<MlDsa44>(&seed),
            18 => expand::<MlDsa65>(&seed),
            19 => expand::<MlDsa87>(&seed),
            _ => panic!("no ML-DSA set with OID arc {arc}"),
        };
        Key { arc, seed, expanded, public }
    }

    /// A key from a fresh random seed.
    pub fn generate(arc: u32) -> Key {
        Key::from_seed(arc, random_seed())
    }

    /// `id-ml-dsa-NN` in DER.
    pub fn oid(&self) -> Vec<u8> {
        oid(&[2, 16, 840, 1, 101, 3, 4, 3, self.arc])
    }

    /// PKCS#8 `PrivateKeyInfo` DER in one of the three forms: `seed`, `expanded` or `both`.
    pub fn pkcs8(&self, form: &str) -> Vec<u8> {
        let private_key = match form {
            "seed" => tlv(0x80, &self.seed),
            "expanded" => tlv(0x04, &self.expanded),
            "both" => seq(&[&tlv(0x04, &self.seed), &tlv(0x04, &self.expanded)]),
            _ => panic!("unknown ML-DSA private key form {form}"),
        };
        seq(&[&[0x02, 0x01, 0x00], &seq(&[&self.oid()]), &tlv(0x04, &private_key)])
    }

    /// The SubjectPublicKeyInfo DER.
    pub fn spki(&self) -> Vec<u8> {
        seq(&[&seq(&[&self.oid()]), &bit_string(&self.public)])
    }
}

/// Writes the files listed in the module doc into `dir`, which already holds the test PKI
/// (`int.pem`, `int.key`).
pub fn write(dir: &Path) {
    let int_name = subject_of(&pem_to_der(&fs::read_to_string(dir.join("int.pem")).unwrap()));
    for (name, arc) in SETS {
        let key = Key::generate(arc);
        for form in ["seed", "expanded", "both"] {
            fs::write(dir.join(format!("{name}.{form}.pem")), pem("PRIVATE KEY", &key.pkcs8(form))).unwrap();
        }
        fs::write(dir.join(format!("{name}.seed.der")), key.pkcs8("seed")).unwrap();
        let tbs = tbs(&ecdsa_sha256(), &int_name, LEAF_VALIDITY, &name_der(name), &key.spki(), &leaf_extensions());
        let signature = crate::common::openssl_sign(&dir.join("int.key"), &tbs);
        fs::write(dir.join(format!("{name}.pem")), pem("CERTIFICATE", &certificate(&tbs, &ecdsa_sha256(), &signature)))
            .unwrap();
    }
    fs::write(dir.join("mldsa44-other.seed.pem"), pem("PRIVATE KEY", &Key::generate(17).pkcs8("seed"))).unwrap();

    // ML-DSA-87 root -> ML-DSA-65 intermediate -> ML-DSA-65 leaf, each signed with pure ML-DSA.
    let root = Key::generate(19);
    let int = Key::generate(18);
    let leaf = Key::generate(18);
    let root_name = name_der("Test ML-DSA Root CA");
    let int_name = name_der("Test ML-DSA Intermediate CA");
    let root_der = ml_dsa_signed(&root, &root_name, &root_name, &root.spki(), CA_VALIDITY, &ca_extensions());
    let int_der = ml_dsa_signed(&root, &root_name, &int_name, &int.spki(), CA_VALIDITY, &ca_extensions());
    let leaf_der =
        ml_dsa_signed(&int, &int_name, &name_der("mldsa65-pq"), &leaf.spki(), LEAF_VALIDITY, &leaf_extensions());
    fs::write(dir.join("mldsa-root.pem"), pem("CERTIFICATE", &root_der)).unwrap();
    fs::write(dir.join("mldsa-int.pem"), pem("CERTIFICATE", &int_der)).unwrap();
    fs::write(dir.join("mldsa-chain.pem"), pem("CERTIFICATE", &int_der)).unwrap();
    fs::write(dir.join("mldsa65-pq.pem"), pem("CERTIFICATE", &leaf_der)).unwrap();
    fs::write(dir.join("mldsa65-pq.seed.pem"), pem("PRIVATE KEY", &leaf.pkcs8("seed"))).unwrap();
    fs::write(dir.join("mldsa-root.seed.pem"), pem("PRIVATE KEY", &root.pkcs8("seed"))).unwrap();
    fs::write(dir.join("mldsa-int.seed.pem"), pem("PRIVATE KEY", &int.pkcs8("seed"))).unwrap();
}

/// A certificate signed by `issuer` with pure ML-DSA (empty context, RFC 9881) through the
/// core's own signer.
fn ml_dsa_signed(
    issuer: &Key,
    issuer_name: &[u8],
    subject: &[u8],
    spki: &[u8],
    validity: (&str, &str),
    extensions: &[u8],
) -> Vec<u8> {
    use rolesanywhere::Signer;
    let algorithm = seq(&[&issuer.oid()]);
    let tbs = tbs(&algorithm, issuer_name, validity, subject, spki, extensions);
    let key = rolesanywhere::PrivateKey::parse(&issuer.pkcs8("seed")).expect("ML-DSA CA key");
    let signature = key.sign(&tbs).expect("ML-DSA CA signature");
    certificate(&tbs, &algorithm, &signature)
}

fn tbs(
    algorithm: &[u8],
    issuer: &[u8],
    validity: (&str, &str),
    subject: &[u8],
    spki: &[u8],
    extensions: &[u8],
) -> Vec<u8> {
    let mut serial = random_seed()[..16].to_vec();
    serial[0] = (serial[0] & 0x3f) | 0x40;
    seq(&[
        &tlv(0xa0, &[0x02, 0x01, 0x02]),
        &tlv(0x02, &serial),
        algorithm,
        issuer,
        &seq(&[&tlv(0x17, validity.0.as_bytes()), &tlv(0x17, validity.1.as_bytes())]),
        subject,
        spki,
        &tlv(0xa3, extensions),
    ])
}

fn certificate(tbs: &[u8], algorithm: &[u8], signature: &[u8]) -> Vec<u8> {
    seq(&[tbs, algorithm, &bit_string(signature)])
}

fn ecdsa_sha256() -> Vec<u8> {
    seq(&[&oid(&[1, 2, 840, 10045, 4, 3, 2])])
}

/// `CN=<cn>, O=Test`.
fn name_der(cn: &str) -> Vec<u8> {
    let attribute = |arc: u32, value: &str| tlv(0x31, &seq(&[&oid(&[2, 5, 4, arc]), &tlv(0x0c, value.as_bytes())]));
    seq(&[&attribute(3, cn), &attribute(10, "Test")])
}

fn extension(arc: u32, critical: bool, value: &[u8]) -> Vec<u8> {
    let id = oid(&[2, 5, 29, arc]);
    let value = tlv(0x04, value);
    if critical {
        seq(&[&id, &[0x01, 0x01, 0xff], &value])
    } else {
        seq(&[&id, &value])
    }
}

/// As the `leaf` section of generate.sh, without the key identifiers.
fn leaf_extensions() -> Vec<u8> {
    let san =
        seq(&[&tlv(0x86, b"spiffe://ORG.aws-us-west.example.io/ns/prj-demo/app"), &tlv(0x82, b"app.example.test")]);
    seq(&[
        &extension(19, true, &seq(&[])),
        &extension(15, true, &[0x03, 0x02, 0x07, 0x80]),
        &extension(37, false, &seq(&[&oid(&[1, 3, 6, 1, 5, 5, 7, 3, 2])])),
        &extension(17, false, &san),
    ])
}

/// CA:TRUE, keyCertSign and cRLSign.
fn ca_extensions() -> Vec<u8> {
    seq(&[&extension(19, true, &seq(&[&[0x01, 0x01, 0xff]])), &extension(15, true, &[0x03, 0x02, 0x01, 0x06])])
}

/// The subject Name's DER of a DER certificate.
pub fn subject_of(cert: &[u8]) -> Vec<u8> {
    let (_, tbs) = element(content(cert));
    let mut rest = content(tbs);
    let mut fields = Vec::new();
    while !rest.is_empty() {
        let (next, field) = element(rest);
        fields.push(field);
        rest = next;
    }
    // [0] version, serial, signature, issuer, validity, subject
    fields[5].to_vec()
}

/// Splits the first DER element off `der`: (rest, whole element).
fn element(der: &[u8]) -> (&[u8], &[u8]) {
    let (header, len) = header(der);
    (&der[header + len..], &der[..header + len])
}

/// The contents of the DER element `der`.
fn content(der: &[u8]) -> &[u8] {
    let (header, len) = header(der);
    &der[header..header + len]
}

fn header(der: &[u8]) -> (usize, usize) {
    match der[1] {
        n if n < 0x80 => (2, usize::from(n)),
        0x81 => (3, usize::from(der[2])),
        0x82 => (4, usize::from(der[2]) << 8 | usize::from(der[3])),
        other => panic!("DER length form {other:#x} not expected here"),
    }
}

pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    match len {
        0..=0x7f => out.push(len as u8),
        0x80..=0xff => out.extend([0x81, len as u8]),
        _ => out.extend([0x82, (len >> 8) as u8, len as u8]),
    }
    out.extend_from_slice(content);
    out
}

pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
    tlv(0x03, &[&[0u8][..], bytes].concat())
}

pub fn oid(arcs: &[u32]) -> Vec<u8> {
    let mut body = vec![(arcs[0] * 40 + arcs[1]) as u8];
    for &arc in &arcs[2..] {
        let mut bytes = vec![(arc & 0x7f) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            bytes.push((rest & 0x7f) as u8 | 0x80);
            rest >>= 7;
        }
        bytes.reverse();
        body.extend(bytes);
    }
    tlv(0x06, &body)
}

/// PEM with 64-character lines.
pub fn pem(label: &str, der: &[u8]) -> String {
    let b64 = crate::common::base64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The DER of the first PEM block of `text`.
pub fn pem_to_der(text: &str) -> Vec<u8> {
    let body: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    unbase64(&body)
}

fn unbase64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|&c| c != b'=' && !c.is_ascii_whitespace()) {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64") as u32;
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn random_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut seed)).expect("read /dev/urandom");
    seed
}
