//! PKCS#12 files made by `openssl pkcs12 -export` (tests/pki/generate.sh): the OpenSSL 3
//! default (AES-256-CBC, PBKDF2-HMAC-SHA256, SHA-256 MAC) and unencrypted bags are read, with the
//! leaf the certificate of the key and the chain beside it; the legacy schemes are refused with
//! a typed error that says how to convert; wrong passwords, missing keys or certificates, and
//! hostile bytes give typed errors without panicking or showing the password.
#![cfg(feature = "pkcs12")]

mod common;

use common::{shared, XorShift, ANCHOR, PROFILE, ROLE};
use rolesanywhere::{Certificate, CreateSession, ErrorCode, KeyError, Pkcs12, Pkcs12Error, PrivateKey, Signer, Time};

const PASSWORD: &[u8] = common::PASSWORD.as_bytes();

fn cert(name: &str) -> Certificate {
    Certificate::parse(&shared().read(name)).unwrap()
}

#[test]
fn modern_files_give_leaf_key_and_chain() {
    for (file, leaf, key, chain) in [
        ("p256.p12", "p256.pem", "p256.pkcs8.pem", vec!["int.pem"]),
        ("rsa2048.p12", "rsa2048.pem", "rsa2048.pkcs8.pem", vec!["int.pem"]),
        ("p384-plain.p12", "p384.pem", "p384.pkcs8.pem", vec![]),
    ] {
        let p12 = Pkcs12::parse(&shared().read(file), PASSWORD).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(p12.leaf, cert(leaf), "{file}");
        let expected: Vec<Certificate> = chain.iter().map(|c| cert(c)).collect();
        assert_eq!(p12.intermediates, expected, "{file}");
        let reference = PrivateKey::parse(&shared().read(key)).unwrap();
        assert_eq!(p12.key.key_type(), reference.key_type());
        assert_eq!(p12.key.sign(b"m").unwrap(), reference.sign(b"m").unwrap(), "{file}");
        // The decrypted PKCS#8 DER for host signers is the key's own, as OpenSSL writes it.
        let path = shared().path(key);
        let args = ["pkcs8", "-topk8", "-nocrypt", "-outform", "DER", "-in"].map(std::ffi::OsStr::new);
        let pkcs8_der = common::openssl(&[&args[..], &[path.as_os_str()]].concat()).stdout;
        assert_eq!(&p12.pkcs8[..], &pkcs8_der[..], "{file}: pkcs8");
        // Straight into a request.
        let now = Time::parse_rfc3339(common::DATE).unwrap();
        CreateSession::new(&p12.leaf, ANCHOR, PROFILE, ROLE)
            .intermediates(&p12.intermediates)
            .prepare(now)
            .unwrap()
            .sign(&p12.key)
            .unwrap();
        let debug = format!("{p12:?}");
        assert!(debug.contains("PrivateKey { key_type:"), "{debug}");
    }
}

#[test]
fn wrong_or_missing_password() {
    for file in ["p256.p12", "p384-plain.p12"] {
        let input = shared().read(file);
        for bad in [&b"Tr0ub4dor&3-not-it"[..], b"", b"tesT", &[0xff, 0xfe]] {
            let err = Pkcs12::parse(&input, bad).unwrap_err();
            assert_eq!(err, Pkcs12Error::Key(KeyError::WrongPassword), "{file}");
            assert_eq!(err.code(), ErrorCode::WrongPassword);
            assert_eq!(rolesanywhere::Error::from(err.clone()).code(), ErrorCode::WrongPassword);
            let text = format!("{err} {err:?}");
            assert!(text.contains("password") && !text.contains("Tr0ub4dor"), "{text}");
        }
    }
}

#[test]
fn legacy_files_are_refused_with_the_way_out() {
    for (file, scheme) in
        [("p256-3des.p12", "PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC"), ("p256-legacy.p12", "SHA-1 MAC")]
    {
        let err = Pkcs12::parse(&shared().read(file), PASSWORD).unwrap_err();
        assert_eq!(err, Pkcs12Error::Legacy { scheme: scheme.into() }, "{file}");
        assert_eq!(err.code(), ErrorCode::InvalidPkcs12);
        let text = err.to_string();
        assert!(text.contains("legacy") && text.contains("openssl pkcs12"), "{text}");
    }
}

#[test]
fn files_without_a_key_or_its_certificate() {
    assert_eq!(Pkcs12::parse(&shared().read("p256-nokey.p12"), PASSWORD).unwrap_err(), Pkcs12Error::NoKey);
    let err = Pkcs12::parse(&shared().read("p256-nocert.p12"), PASSWORD).unwrap_err();
    assert_eq!(err, Pkcs12Error::NoCertificateForKey);
    assert_eq!(err.code(), ErrorCode::InvalidPkcs12);
    // Not PKCS#12 at all: a PEM certificate, a DER key, nothing.
    for input in [shared().read("p256.pem"), shared().read("p256.pkcs8.der"), Vec::new()] {
        assert!(matches!(Pkcs12::parse(&input, PASSWORD), Err(Pkcs12Error::Malformed { .. })));
    }
    let big = vec![0x30; rolesanywhere::MAX_INPUT_LEN + 1];
    assert!(matches!(Pkcs12::parse(&big, PASSWORD), Err(Pkcs12Error::TooLarge { .. })));
}

/// Prefixes and random bit flips: an error (never showing the key or password), or a file that
/// still opens to the same leaf (a flip in a part nothing reads, such as a bag attribute,
/// would be caught by the MAC; the MAC itself covers the whole authSafe).
#[test]
fn hostile_bytes_never_panic() {
    let input = shared().read("p256.p12");
    let leaf = cert("p256.pem");
    for len in (0..input.len()).step_by(3) {
        assert!(Pkcs12::parse(&input[..len], PASSWORD).is_err(), "prefix {len}");
    }
    let mut rng = XorShift(0x7031_3270_3132_0001);
    for _ in 0..40 {
        let mut bytes = input.clone();
        for _ in 0..=rng.below(2) {
            let at = rng.below(bytes.len());
            bytes[at] ^= 1 << rng.below(8);
        }
        match Pkcs12::parse(&bytes, PASSWORD) {
            Ok(p12) => assert_eq!(p12.leaf, leaf),
            Err(e) => assert!(!format!("{e} {e:?}").contains("test"), "{e:?}"),
        }
    }
}
