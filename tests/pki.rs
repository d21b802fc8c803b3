//! Checks the test PKI made by `tests/pki/generate.sh` and the helpers in
//! `tests/common`, independently of the crate's own code.

mod common;

use common::{openssl, openssl_sign, openssl_verify, shared};
use std::ffi::OsStr;

const FILES: &[&str] = &[
    "root.key",
    "root.pem",
    "int.key",
    "int.pem",
    "root2.key",
    "root2.pem",
    "bundle.pem",
    "chain.pem",
    // good leaves and their keys
    "p256.pem",
    "p256.pkcs8.pem",
    "p256.pkcs8.der",
    "p256.sec1.pem",
    "p256.sec1.der",
    "p256.sec1-params.pem",
    "p384.pem",
    "p384.pkcs8.pem",
    "p384.pkcs8.der",
    "p384.sec1.pem",
    "p384.sec1.der",
    "rsa2048.pem",
    "rsa2048.pkcs8.pem",
    "rsa2048.pkcs8.der",
    "rsa2048.pkcs1.pem",
    "rsa2048.pkcs1.der",
    "p256.cert.der",
    "p384.cert.der",
    "rsa2048.cert.der",
    "leaf-der/p256.der",
    "leaf-der/p384.der",
    "leaf-der/rsa2048.der",
    "prj-other.pem",
    "prj-other.pkcs8.pem",
    "serial20.pem",
    "serial-highbit.pem",
    // bad inputs
    "expired.pem",
    "notyet.pem",
    "ca-leaf.pem",
    "no-digsig.pem",
    "v1.pem",
    "sha1.pem",
    "ed25519.key",
    "ed25519.pem",
    "p256.pkcs8-encrypted.pem",
    "p256.sec1-encrypted.pem",
    "rsa2048.pkcs1-encrypted.pem",
    "other.pkcs8.pem",
    "rsa1024.pkcs8.pem",
    "rsa1024.pem",
    "secp256k1.pkcs8.pem",
    "secp256k1.pem",
    "six-intermediates.pem",
    "manifest.json",
];

const GOOD_LEAVES: &[&str] = &["p256", "p384", "rsa2048", "prj-other", "serial20", "serial-highbit"];

fn openssl_ok(args: &[&OsStr]) -> (bool, String) {
    let out = openssl(args);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn verify_chain(leaf: &str) -> (bool, String) {
    let pki = shared();
    openssl_ok(&[
        "verify".as_ref(),
        "-CAfile".as_ref(),
        pki.path("root.pem").as_os_str(),
        "-untrusted".as_ref(),
        pki.path("int.pem").as_os_str(),
        pki.path(leaf).as_os_str(),
    ])
}

/// Hex to decimal, for serials too long for u128.
fn hex_to_decimal(hex: &str) -> String {
    let mut digits: Vec<u8> = vec![0]; // little-endian base 10
    for c in hex.chars() {
        let mut carry = c.to_digit(16).expect("hex digit");
        for d in digits.iter_mut() {
            let v = *d as u32 * 16 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    while digits.len() > 1 && *digits.last().unwrap() == 0 {
        digits.pop();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

#[test]
fn every_file_exists() {
    let pki = shared();
    let missing: Vec<_> = FILES.iter().filter(|f| !pki.path(f).is_file()).collect();
    assert!(missing.is_empty(), "missing files: {missing:?}");
    assert_eq!(pki.read_str("bundle.pem").matches("BEGIN CERTIFICATE").count(), 2);
    assert_eq!(pki.read_str("six-intermediates.pem").matches("BEGIN CERTIFICATE").count(), 6);
    assert_eq!(pki.read("chain.pem"), pki.read("int.pem"));
    let params = pki.read_str("p256.sec1-params.pem");
    let (p, k) = (params.find("BEGIN EC PARAMETERS").unwrap(), params.find("BEGIN EC PRIVATE KEY").unwrap());
    assert!(p < k);
    assert!(pki.read_str("p256.pkcs8-encrypted.pem").contains("BEGIN ENCRYPTED PRIVATE KEY"));
    assert!(pki.read_str("p256.sec1-encrypted.pem").contains("Proc-Type: 4,ENCRYPTED"));
    assert!(pki.read_str("rsa2048.pkcs1-encrypted.pem").contains("Proc-Type: 4,ENCRYPTED"));
    assert!(pki.read_str("rsa2048.pkcs1.pem").contains("BEGIN RSA PRIVATE KEY"));
    assert!(pki.read_str("p384.sec1.pem").contains("BEGIN EC PRIVATE KEY"));
}

#[test]
fn good_leaves_verify_and_bad_dates_do_not() {
    for leaf in GOOD_LEAVES {
        let (ok, text) = verify_chain(&format!("{leaf}.pem"));
        assert!(ok, "{leaf}: {text}");
    }
    for leaf in ["expired", "notyet"] {
        let (ok, _) = verify_chain(&format!("{leaf}.pem"));
        assert!(!ok, "{leaf} should not verify");
    }
}

#[test]
fn manifest_matches_certificates() {
    let pki = shared();
    let manifest = pki.manifest();
    let leaves = manifest.as_array().unwrap();
    assert!(leaves.len() >= 15);
    for leaf in leaves {
        let name = leaf["name"].as_str().unwrap();
        let cert = pki.path(leaf["cert"].as_str().unwrap());
        assert!(cert.is_file(), "{name}");
        assert!(pki.path(leaf["cert_der"].as_str().unwrap()).is_file(), "{name}");
        for key in leaf["keys"].as_array().unwrap() {
            assert!(pki.path(key.as_str().unwrap()).is_file(), "{name}: {key}");
        }
        let (ok, text) =
            openssl_ok(&["x509".as_ref(), "-in".as_ref(), cert.as_os_str(), "-noout".as_ref(), "-serial".as_ref()]);
        assert!(ok, "{text}");
        let hex = text.trim().strip_prefix("serial=").unwrap().to_ascii_lowercase();
        assert_eq!(leaf["serial_hex"], hex, "{name}");
        assert_eq!(leaf["serial_decimal"], hex_to_decimal(&hex), "{name}");
    }
    assert_eq!(pki.leaf("p256")["key_type"], "p256");
    assert_eq!(pki.leaf("rsa2048")["key_type"], "rsa2048");
    assert!(pki.leaf("serial20")["serial_hex"].as_str().unwrap().starts_with("7f"));
    assert_eq!(pki.leaf("serial20")["serial_hex"].as_str().unwrap().len(), 40);
    assert!(pki.leaf("serial-highbit")["serial_hex"].as_str().unwrap().as_bytes()[0] >= b'8');
    assert_eq!(hex_to_decimal("ff"), "255");
    assert_eq!(hex_to_decimal("0100000000000000000000000000000000"), "340282366920938463463374607431768211456");
    assert_eq!(hex_to_decimal(&"ff".repeat(16)), u128::MAX.to_string());
}

#[test]
fn openssl_verify_checks_signatures() {
    let pki = shared();
    let message = b"AWS4-X509-ECDSA-SHA256\n20240101T000000Z\n20240101/us-east-1/rolesanywhere/aws4_request\nabc";
    for (key, cert) in [
        ("p256.pkcs8.pem", "p256.pem"),
        ("p256.sec1.pem", "p256.pem"),
        ("p384.pkcs8.pem", "p384.pem"),
        ("rsa2048.pkcs8.pem", "rsa2048.pem"),
        ("rsa2048.pkcs1.pem", "rsa2048.pem"),
    ] {
        let sig = openssl_sign(&pki.path(key), message);
        assert!(openssl_verify(&pki.path(cert), message, &sig), "{key}: good signature");
        let der = cert.replace(".pem", ".cert.der");
        assert!(openssl_verify(&pki.path(&der), message, &sig), "{key}: DER certificate");
        assert!(!openssl_verify(&pki.path(cert), b"another message", &sig), "{key}: other message");
        let mut bad = sig.clone();
        let i = bad.len() / 2;
        bad[i] ^= 0x01;
        assert!(!openssl_verify(&pki.path(cert), message, &bad), "{key}: flipped byte");
        // Wrong key: the same signature checked against another certificate.
        let other = if cert == "p256.pem" { "p384.pem" } else { "p256.pem" };
        assert!(!openssl_verify(&pki.path(other), message, &sig), "{key}: wrong key");
    }
    // A PEM public key works too.
    let tmp = tempfile::tempdir().unwrap();
    let pubkey = tmp.path().join("p256.pub.pem");
    let out = openssl(&[
        "pkey".as_ref(),
        "-in".as_ref(),
        pki.path("p256.pkcs8.pem").as_os_str(),
        "-pubout".as_ref(),
        "-out".as_ref(),
        pubkey.as_os_str(),
    ]);
    assert!(out.status.success());
    let sig = openssl_sign(&pki.path("p256.pkcs8.pem"), message);
    assert!(openssl_verify(&pubkey, message, &sig));
    // A key that does not match the certificate.
    let sig = openssl_sign(&pki.path("other.pkcs8.pem"), message);
    assert!(!openssl_verify(&pki.path("p256.pem"), message, &sig));
}

#[test]
fn generate_gives_independent_pkis() {
    let a = common::Pki::generate();
    let b = shared();
    assert_ne!(a.read("p256.pkcs8.der"), b.read("p256.pkcs8.der"));
    assert_ne!(a.dir.path(), b.dir.path());
    let dir = a.dir.path().to_path_buf();
    drop(a);
    assert!(!dir.exists(), "the directory is removed on drop");
}
