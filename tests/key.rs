//! Integration tests of `rolesanywhere::key` against the generated test PKI: every key format
//! parses, matches its certificate and signs what `openssl` verifies; ECDSA is deterministic;
//! encrypted, unsupported, mismatched, mislabelled, truncated and mutated keys give typed
//! errors without panicking; and neither `Debug` nor errors show key material.

mod common;

use common::{openssl, openssl_verify, shared, XorShift};
use rolesanywhere::{check_encoded_key, EncodedKeyCheck, KeyError};
use rolesanywhere::{Algorithm, KeyType, PrivateKey, Signer};
use rolesanywhere::{Certificate, MAX_INPUT_LEN};

/// (certificate, key files, key type) of the three good leaves with their own keys.
fn good_keys() -> Vec<(String, Vec<String>, KeyType)> {
    let pki = shared();
    [("p256", KeyType::EcdsaP256), ("p384", KeyType::EcdsaP384), ("rsa2048", KeyType::Rsa { bits: 2048 })]
        .into_iter()
        .map(|(name, key_type)| {
            let leaf = pki.leaf(name);
            let keys = leaf["keys"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()).collect();
            (leaf["cert"].as_str().unwrap().to_string(), keys, key_type)
        })
        .collect()
}

fn key(name: &str) -> PrivateKey {
    PrivateKey::parse(&shared().read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn cert(name: &str) -> Certificate {
    Certificate::parse(&shared().read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The DER of a key file: the file itself, or the DER that `openssl pkey` writes for it.
fn key_der(name: &str) -> Vec<u8> {
    if name.ends_with(".der") {
        return shared().read(name);
    }
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("key.der");
    let out = openssl(&[
        "pkey".as_ref(),
        "-in".as_ref(),
        shared().path(name).as_os_str(),
        "-outform".as_ref(),
        "DER".as_ref(),
        "-out".as_ref(),
        out_path.as_os_str(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read(out_path).unwrap()
}

/// The end of the last `-----END ...-----` line: a PEM prefix shorter than this is not whole.
fn end_of_pem(pem: &[u8]) -> usize {
    let marker = b"-----END ";
    let at = pem.windows(marker.len()).rposition(|w| w == marker).expect("END line");
    let close = pem[at + marker.len()..].windows(5).position(|w| w == b"-----").unwrap();
    at + marker.len() + close + 5
}

fn all_key_files() -> Vec<String> {
    let mut files: Vec<String> = good_keys().into_iter().flat_map(|(_, k, _)| k).collect();
    for extra in [
        "p256.pkcs8-encrypted.pem",
        "p256.sec1-encrypted.pem",
        "rsa2048.pkcs1-encrypted.pem",
        "ed25519.key",
        "secp256k1.pkcs8.pem",
        "rsa1024.pkcs8.pem",
        "other.pkcs8.pem",
        "prj-other.pkcs8.pem",
    ] {
        files.push(extra.into());
    }
    files
}

#[test]
fn every_format_parses_matches_and_signs() {
    let message = b"AWS4-X509-ECDSA-SHA256\n20240601T120030Z\nscope\nhash";
    for (cert_file, keys, key_type) in good_keys() {
        let certificate = cert(&cert_file);
        assert_eq!(certificate.key_type(), Ok(key_type));
        for file in keys {
            let k = key(&file);
            assert_eq!(k.key_type(), key_type, "{file}");
            assert_eq!(k.algorithm(), key_type.algorithm(), "{file}");
            assert_eq!(k.check_matches(&certificate), Ok(()), "{file}");
            assert_eq!(k.check_certificate(&certificate), Ok(()), "{file}");
            let signature = k.sign(message).unwrap();
            assert!(
                openssl_verify(&shared().path(&cert_file), message, &signature),
                "{file}: openssl does not verify the signature"
            );
            // The same key from its DER gives the same signatures (all schemes here are
            // deterministic).
            let der = key_der(&file);
            let from_der = PrivateKey::parse(&der).unwrap_or_else(|e| panic!("{file} DER: {e}"));
            assert_eq!(from_der.sign(message).unwrap(), signature, "{file}");
        }
    }
}

#[test]
fn algorithms_and_key_types() {
    assert_eq!(key("p256.pkcs8.pem").algorithm(), Algorithm::EcdsaSha256);
    assert_eq!(key("p384.pkcs8.pem").algorithm(), Algorithm::EcdsaSha256);
    assert_eq!(key("rsa2048.pkcs1.pem").algorithm(), Algorithm::RsaSha256);
    assert_eq!(Algorithm::EcdsaSha256.name(), "AWS4-X509-ECDSA-SHA256");
    assert_eq!(Algorithm::RsaSha256.name(), "AWS4-X509-RSA-SHA256");
    assert_eq!(KeyType::EcdsaP256.to_string(), "ECDSA P-256");
    assert_eq!(KeyType::EcdsaP384.to_string(), "ECDSA P-384");
    assert_eq!(KeyType::Rsa { bits: 2048 }.to_string(), "RSA-2048");
    // One key, several certificates: p256 signs serial20 and serial-highbit too.
    let p256 = key("p256.sec1-params.pem");
    for c in ["serial20.pem", "serial-highbit.pem", "expired.pem", "v1.pem"] {
        assert_eq!(p256.check_matches(&cert(c)), Ok(()), "{c}");
    }
    assert_eq!(key("prj-other.pkcs8.pem").check_matches(&cert("prj-other.pem")), Ok(()));
}

#[test]
fn ecdsa_signatures_are_deterministic_and_der() {
    for file in ["p256.pkcs8.pem", "p384.sec1.der"] {
        let k = key(file);
        let a = k.sign(b"message one").unwrap();
        let b = k.sign(b"message one").unwrap();
        let c = k.sign(b"message two").unwrap();
        assert_eq!(a, b, "{file}: RFC 6979 nonces make equal signatures");
        assert_ne!(a, c, "{file}");
        // DER Ecdsa-Sig-Value: SEQUENCE { INTEGER r, INTEGER s }.
        assert_eq!(a[0], 0x30, "{file}");
        assert!(a.len() <= 8 + 2 * 49, "{file}: {} bytes", a.len());
        // A second parse of the same key signs alike.
        assert_eq!(key(file).sign(b"message one").unwrap(), a);
    }
    let rsa = key("rsa2048.pkcs8.pem");
    let sig = rsa.sign(b"message one").unwrap();
    assert_eq!(sig.len(), 256);
    assert_eq!(sig, rsa.sign(b"message one").unwrap());
}

#[test]
fn signatures_verify_over_many_messages() {
    // Different lengths, including empty and long, for each algorithm.
    let messages: Vec<Vec<u8>> = vec![Vec::new(), b"x".to_vec(), vec![0u8; 1000], (0..=255u8).collect()];
    for (cert_file, key_file) in
        [("p256.pem", "p256.sec1.pem"), ("p384.pem", "p384.pkcs8.der"), ("rsa2048.pem", "rsa2048.pkcs1.der")]
    {
        let k = key(key_file);
        for m in &messages {
            let sig = k.sign(m).unwrap();
            assert!(openssl_verify(&shared().path(cert_file), m, &sig), "{key_file}: message of {} bytes", m.len());
        }
        // And a signature does not verify for another message.
        let sig = k.sign(b"one").unwrap();
        assert!(!openssl_verify(&shared().path(cert_file), b"two", &sig));
    }
}

#[test]
fn encrypted_keys_are_refused() {
    for file in ["p256.pkcs8-encrypted.pem", "p256.sec1-encrypted.pem", "rsa2048.pkcs1-encrypted.pem"] {
        let err = PrivateKey::parse(&shared().read(file)).unwrap_err();
        assert_eq!(err, KeyError::Encrypted, "{file}");
        let text = err.to_string();
        assert!(text.contains("encrypted and needs a password"), "{file}: {text}");
        let top: rolesanywhere::Error = err.into();
        assert_eq!(top.code().as_str(), "EncryptedKey");
    }
    // Encrypted PKCS#8 in DER is recognised too.
    let dir = tempfile::tempdir().unwrap();
    let der = dir.path().join("enc.der");
    let out = openssl(&[
        "pkcs8".as_ref(),
        "-topk8".as_ref(),
        "-in".as_ref(),
        shared().path("p256.pkcs8.pem").as_os_str(),
        "-v2".as_ref(),
        "aes-256-cbc".as_ref(),
        "-passout".as_ref(),
        "pass:test".as_ref(),
        "-outform".as_ref(),
        "DER".as_ref(),
        "-out".as_ref(),
        der.as_os_str(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(PrivateKey::parse(&std::fs::read(der).unwrap()).unwrap_err(), KeyError::Encrypted);
}

#[test]
fn unsupported_keys() {
    assert_eq!(
        PrivateKey::parse(&shared().read("ed25519.key")).unwrap_err(),
        KeyError::Unsupported { algorithm: "Ed25519".into() }
    );
    match PrivateKey::parse(&shared().read("secp256k1.pkcs8.pem")) {
        Err(KeyError::Unsupported { algorithm }) => {
            assert!(algorithm.contains("secp256k1"), "{algorithm}")
        }
        other => panic!("secp256k1: {other:?}"),
    }
    assert_eq!(
        PrivateKey::parse(&shared().read("rsa1024.pkcs8.pem")).unwrap_err(),
        KeyError::Unsupported { algorithm: "RSA-1024".into() }
    );
    // The same refusals from DER.
    for file in ["ed25519.key", "secp256k1.pkcs8.pem", "rsa1024.pkcs8.pem"] {
        assert!(matches!(PrivateKey::parse(&key_der(file)), Err(KeyError::Unsupported { .. })), "{file} DER");
    }
}

#[test]
fn mismatched_keys() {
    let p256 = cert("p256.pem");
    assert_eq!(key("other.pkcs8.pem").check_matches(&p256), Err(KeyError::Mismatch));
    assert_eq!(key("prj-other.pkcs8.pem").check_matches(&p256), Err(KeyError::Mismatch));
    // Other key types against P-256, and P-256 against the others.
    assert_eq!(key("p384.pkcs8.pem").check_matches(&p256), Err(KeyError::Mismatch));
    assert_eq!(key("rsa2048.pkcs8.pem").check_matches(&p256), Err(KeyError::Mismatch));
    assert_eq!(key("p256.pkcs8.pem").check_matches(&cert("p384.pem")), Err(KeyError::Mismatch));
    assert_eq!(key("p256.pkcs8.pem").check_matches(&cert("rsa2048.pem")), Err(KeyError::Mismatch));
    // Unsupported certificate keys match nothing.
    assert_eq!(key("p256.pkcs8.pem").check_matches(&cert("ed25519.pem")), Err(KeyError::Mismatch));
    assert_eq!(key("p256.pkcs8.pem").check_certificate(&cert("rsa1024.pem")), Err(KeyError::Mismatch));
    let top: rolesanywhere::Error = KeyError::Mismatch.into();
    assert_eq!(top.code().as_str(), "KeyMismatch");
}

/// `check_encoded_key` of a key file against a certificate file.
fn check_encoded(key: &str, certificate: &str) -> Result<EncodedKeyCheck, KeyError> {
    check_encoded_key(&shared().read(key), &cert(certificate))
}

#[test]
fn the_public_key_a_key_carries_checks_it_against_its_certificate() {
    use EncodedKeyCheck::{Matches, Unknown};
    // Every format of the good keys carries what is compared (OpenSSL writes EC keys with their
    // public key), in PEM and in DER.
    for (certificate, keys, _) in good_keys() {
        for file in keys {
            assert_eq!(check_encoded(&file, &certificate), Ok(Matches), "{file}");
            assert_eq!(check_encoded_key(&key_der(&file), &cert(&certificate)), Ok(Matches), "{file} DER");
        }
    }
    // A compressed public key against the certificate's uncompressed one.
    for file in ["p256.sec1-compressed.pem", "p256.pkcs8-compressed.pem"] {
        assert_eq!(check_encoded(file, "p256.pem"), Ok(Matches), "{file}");
    }
    for file in ["other.sec1-compressed.pem", "other.pkcs8-compressed.pem"] {
        assert_eq!(check_encoded(file, "p256.pem"), Err(KeyError::Mismatch), "{file}");
    }
    // Mismatched pairs of each key type, and keys of another type or curve.
    for (file, certificate) in [
        ("other.pkcs8.pem", "p256.pem"),
        ("prj-other.pkcs8.pem", "p256.pem"),
        ("other-p384.pkcs8.pem", "p384.pem"),
        ("other-rsa2048.pkcs8.pem", "rsa2048.pem"),
        ("other-rsa2048.pkcs1.pem", "rsa2048.pem"),
        ("rsa1024.pkcs8.pem", "rsa2048.pem"),
        ("p384.pkcs8.pem", "p256.pem"),
        ("rsa2048.pkcs8.pem", "p256.pem"),
        ("rsa2048.pkcs1.pem", "p384.pem"),
        ("p256.pkcs8.pem", "p384.pem"),
        ("p256.sec1.der", "rsa2048.pem"),
        ("secp256k1.pkcs8.pem", "p256.pem"),
        ("p256.pkcs8.pem", "ed25519.pem"),
        // Without a public key, the curve still tells.
        ("p256.pkcs8-nopub.pem", "p384.pem"),
        ("p256.sec1-nopub.pem", "rsa2048.pem"),
    ] {
        assert_eq!(check_encoded(file, certificate), Err(KeyError::Mismatch), "{file} with {certificate}");
        assert_eq!(KeyError::Mismatch.code().as_str(), "KeyMismatch");
    }
    // Without a public key only a signature tells; the in-process signer derives the public key.
    for (file, certificate) in [
        ("p256.sec1-nopub.pem", "p256.pem"),
        ("p256.pkcs8-nopub.pem", "p256.pem"),
        ("other.sec1-nopub.pem", "p256.pem"),
        ("other.pkcs8-nopub.pem", "p256.pem"),
    ] {
        assert_eq!(check_encoded(file, certificate), Ok(Unknown), "{file}");
    }
    assert!(key("p256.pkcs8-nopub.pem").check_matches(&cert("p256.pem")).is_ok());
    assert_eq!(key("other.pkcs8-nopub.pem").check_matches(&cert("p256.pem")), Err(KeyError::Mismatch));
    // Encrypted keys and inputs that are not a key.
    assert_eq!(check_encoded("p256.pkcs8-encrypted.pem", "p256.pem"), Err(KeyError::Encrypted));
    assert_eq!(check_encoded("p256.sec1-encrypted.pem", "p256.pem"), Err(KeyError::Encrypted));
    assert_eq!(check_encoded("p256.pem", "p256.pem"), Err(KeyError::WrongPemLabel { found: "CERTIFICATE".into() }));
    assert_eq!(check_encoded_key(b" \n", &cert("p256.pem")), Err(KeyError::Empty));
    let len = MAX_INPUT_LEN + 1;
    assert_eq!(check_encoded_key(&vec![b'A'; len], &cert("p256.pem")), Err(KeyError::TooLarge { len }));
}

#[test]
fn the_encoded_check_agrees_with_the_signers_check() {
    let certificates = ["p256.pem", "p384.pem", "rsa2048.pem", "ed25519.pem", "rsa1024.pem", "secp256k1.pem"];
    let mut files = all_key_files();
    files.extend(
        ["other-p384.pkcs8.pem", "other-rsa2048.pkcs1.pem", "p256.pkcs8-compressed.pem", "other.sec1-nopub.pem"]
            .map(String::from),
    );
    for file in files {
        let Ok(k) = PrivateKey::parse(&shared().read(&file)) else { continue };
        for certificate in certificates {
            let signer = k.check_matches(&cert(certificate));
            match check_encoded(&file, certificate) {
                Ok(EncodedKeyCheck::Matches) => assert_eq!(signer, Ok(()), "{file} with {certificate}"),
                Ok(_) => {}
                Err(e) => assert_eq!(signer, Err(e), "{file} with {certificate}"),
            }
        }
    }
}

#[test]
fn wrong_labels_empty_and_oversize() {
    let pki = shared();
    for file in ["p256.pem", "chain.pem", "bundle.pem"] {
        assert_eq!(
            PrivateKey::parse(&pki.read(file)).unwrap_err(),
            KeyError::WrongPemLabel { found: "CERTIFICATE".into() },
            "{file}"
        );
    }
    // A certificate in DER is not a key.
    assert!(matches!(PrivateKey::parse(&pki.read("p256.cert.der")), Err(KeyError::Malformed { .. })));
    // Only EC PARAMETERS: no key.
    let params = pki.read_str("p256.sec1-params.pem");
    let only_params = &params[..params.find("-----BEGIN EC PRIVATE KEY").unwrap()];
    assert_eq!(PrivateKey::parse(only_params.as_bytes()).unwrap_err(), KeyError::Empty);
    // Two keys in one input.
    let mut two = pki.read("p256.pkcs8.pem");
    two.extend(pki.read("other.pkcs8.pem"));
    assert!(matches!(PrivateKey::parse(&two), Err(KeyError::Malformed { .. })));
    assert_eq!(PrivateKey::parse(b"").unwrap_err(), KeyError::Empty);
    assert_eq!(PrivateKey::parse(b"\n \r\n").unwrap_err(), KeyError::Empty);
    let big = vec![b'A'; MAX_INPUT_LEN + 1];
    assert_eq!(PrivateKey::parse(&big).unwrap_err(), KeyError::TooLarge { len: MAX_INPUT_LEN + 1 });
    assert!(matches!(PrivateKey::parse(b"-----BEGIN PRIVATE KEY-----\nAQID\n"), Err(KeyError::Pem(_))));
    assert!(matches!(
        PrivateKey::parse(b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n"),
        Err(KeyError::Pem(_))
    ));
    assert!(matches!(
        PrivateKey::parse(b"-----BEGIN PUBLIC KEY-----\nAQID\n-----END PUBLIC KEY-----\n"),
        Err(KeyError::WrongPemLabel { .. })
    ));
}

/// Windows of the key's DER that must not appear in any output: every 8-byte window, as
/// lower-case hex (16 characters, compared case-insensitively) and as raw bytes.
struct Secret {
    raw: std::collections::HashSet<Vec<u8>>,
    hex: std::collections::HashSet<String>,
}

impl Secret {
    fn new(file: &str) -> Secret {
        let der = key_der(file);
        let raw = der.windows(8).map(<[u8]>::to_vec).collect();
        let hex = der.windows(8).map(common::hex).collect();
        Secret { raw, hex }
    }

    fn assert_absent(&self, what: &str, text: &str) {
        let lower = text.to_ascii_lowercase();
        for window in lower.as_bytes().windows(16) {
            let window = String::from_utf8_lossy(window);
            assert!(!self.hex.contains(window.as_ref()), "{what} shows key bytes ({window}): {text}");
        }
        for window in text.as_bytes().windows(8) {
            assert!(!self.raw.contains(window), "{what} shows raw key bytes");
        }
    }
}

#[test]
fn debug_never_shows_key_material() {
    for (_, keys, key_type) in good_keys() {
        for file in keys {
            let k = key(&file);
            let debug = format!("{k:?}");
            let pretty = format!("{k:#?}");
            assert_eq!(debug, format!("PrivateKey {{ key_type: {key_type:?}, .. }}"), "{file}");
            assert!(debug.len() < 80, "{file}: {debug}");
            let secret = Secret::new(&file);
            secret.assert_absent(&file, &debug);
            secret.assert_absent(&file, &pretty);
        }
    }
}

#[test]
fn every_prefix_of_every_key_file_is_an_error() {
    let p256 = cert("p256.pem");
    for file in all_key_files() {
        let bytes = shared().read(&file);
        let whole = if file.ends_with(".der") { bytes.len() } else { end_of_pem(&bytes) };
        let secret = Secret::new(if file.contains("encrypted") { "p256.pkcs8.pem" } else { &file });
        for len in 0..whole {
            match PrivateKey::parse(&bytes[..len]) {
                Ok(_) => panic!("{file}: prefix of {len} bytes parsed"),
                Err(e) => {
                    secret.assert_absent(&file, &e.to_string());
                    secret.assert_absent(&file, &format!("{e:?}"));
                }
            }
            match check_encoded_key(&bytes[..len], &p256) {
                Ok(_) => panic!("{file}: prefix of {len} bytes checked"),
                Err(e) => secret.assert_absent(&file, &format!("{e} {e:?}")),
            }
        }
    }
}

#[test]
fn every_prefix_of_the_der_of_every_good_key_is_an_error() {
    let p256 = cert("p256.pem");
    for (_, keys, _) in good_keys() {
        for file in keys.iter().filter(|f| !f.ends_with(".der")) {
            let der = key_der(file);
            for len in 0..der.len() {
                assert!(PrivateKey::parse(&der[..len]).is_err(), "{file}: DER prefix of {len} bytes parsed");
                assert!(check_encoded_key(&der[..len], &p256).is_err(), "{file}: DER prefix of {len} bytes checked");
            }
            assert!(PrivateKey::parse(&der).is_ok(), "{file}");
        }
    }
}

/// Flips random bytes of a DER key file `rounds` times: parsing must give an error that shows
/// no key bytes, or a key that survives every method.
fn flip_bytes(file: &str, rounds: usize, seed: u64) {
    let mut rng = XorShift(seed);
    let p256 = cert("p256.pem");
    let original = shared().read(file);
    let secret = Secret::new(file);
    for _ in 0..rounds {
        let mut bytes = original.clone();
        for _ in 0..=rng.below(3) {
            let at = rng.below(bytes.len());
            match rng.below(3) {
                0 => bytes[at] ^= 1 << rng.below(8),
                1 => bytes[at] = rng.next_u64() as u8,
                _ => bytes[at] = [0x00, 0x80, 0xff, 0x30, 0x81, 0x82][rng.below(6)],
            }
        }
        if let Err(e) = check_encoded_key(&bytes, &p256) {
            secret.assert_absent(file, &format!("{e} {e:?}"));
        }
        match PrivateKey::parse(&bytes) {
            Ok(k) => {
                let _ = format!("{k:?}");
                let _ = k.key_type();
                let _ = k.check_matches(&p256);
                // A key whose scalar was flipped still signs (as another key); RSA keys
                // with a flipped prime are checked by `rsa` on parse.
                if rng.below(8) == 0 {
                    let _ = k.sign(b"m");
                }
            }
            Err(e) => secret.assert_absent(file, &format!("{e} {e:?}")),
        }
    }
}

// Fewer rounds for the EC keys: a flip that still parses costs a scalar multiplication (the
// public key), which is slow in a debug build. One test per file, so they run in parallel.
#[test]
fn random_byte_flips_never_panic_p256_pkcs8() {
    flip_bytes("p256.pkcs8.der", 400, 0xdead_beef_cafe_f00d);
}

#[test]
fn random_byte_flips_never_panic_p256_sec1() {
    flip_bytes("p256.sec1.der", 400, 0x1234_5678_9abc_def1);
}

#[test]
fn random_byte_flips_never_panic_p384_pkcs8() {
    flip_bytes("p384.pkcs8.der", 150, 0x0f0f_0f0f_f0f0_f0f1);
}

#[test]
fn random_byte_flips_never_panic_rsa_pkcs1() {
    flip_bytes("rsa2048.pkcs1.der", 1000, 0x5555_aaaa_5555_aaab);
}

#[test]
fn random_byte_flips_never_panic_rsa_pkcs8() {
    flip_bytes("rsa2048.pkcs8.der", 1000, 0x7777_3333_1111_9999);
}

#[test]
fn error_display_of_every_variant_is_one_line_without_key_bytes() {
    let secret = Secret::new("p256.pkcs8.pem");
    let errors = [
        KeyError::WrongPassword,
        KeyError::UnsupportedEncryption { scheme: "PBES1 pbeWithMD5AndDES-CBC".into() },
        KeyError::KdfTooCostly { what: "PBKDF2 iterations", value: 1 << 30, limit: 2_000_000 },
        KeyError::EncryptionNotCompiledIn,
        KeyError::TooLarge { len: 1 << 20 },
        KeyError::WrongPemLabel { found: "CERTIFICATE".into() },
        KeyError::Empty,
        KeyError::Encrypted,
        KeyError::Malformed { what: "PKCS#8" },
        KeyError::Unsupported { algorithm: "Ed25519".into() },
        KeyError::NotCompiledIn { key_type: KeyType::EcdsaP384 },
        KeyError::Mismatch,
        KeyError::SigningFailed,
    ];
    for e in errors {
        let text = e.to_string();
        assert!(!text.is_empty() && !text.contains('\n'), "{e:?}: {text:?}");
        secret.assert_absent("KeyError", &text);
        let top: rolesanywhere::Error = e.clone().into();
        assert_eq!(top.to_string(), text);
        assert!(
            ["InvalidKey", "EncryptedKey", "WrongPassword", "KeyMismatch", "UnsupportedSigner"]
                .contains(&top.code().as_str()),
            "{e:?}"
        );
    }
}

/// The PBES2 variants of tests/pki/generate.sh (password [`common::PASSWORD`]) and the plain key
/// each decrypts to.
#[cfg(feature = "encrypted-keys")]
const ENCRYPTED: [(&str, &str); 6] = [
    ("p256.pkcs8-encrypted.pem", "p256.pkcs8.pem"), // AES-256-CBC, PBKDF2-HMAC-SHA256
    ("p256.pkcs8-aes128-sha256.pem", "p256.pkcs8.pem"),
    ("p256.pkcs8-aes256-sha1.pem", "p256.pkcs8.pem"), // what ACM's export uses
    ("p256.pkcs8-aes128-sha1.pem", "p256.pkcs8.pem"),
    ("p256.pkcs8-scrypt.pem", "p256.pkcs8.pem"),
    ("p384.pkcs8-encrypted.der", "p384.pkcs8.pem"),
];

#[cfg(feature = "encrypted-keys")]
#[test]
fn encrypted_pkcs8_opens_with_its_password_only() {
    let password = common::PASSWORD.as_bytes();
    let wrong = b"Tr0ub4dor&3-not-it";
    for (file, plain) in ENCRYPTED {
        let input = shared().read(file);
        let k = PrivateKey::parse_with_password(&input, password).unwrap_or_else(|e| panic!("{file}: {e}"));
        let reference = key(plain);
        assert_eq!(k.key_type(), reference.key_type(), "{file}");
        assert_eq!(k.sign(b"message").unwrap(), reference.sign(b"message").unwrap(), "{file}: another key");
        // No password, a wrong one, an empty one.
        assert_eq!(PrivateKey::parse(&input).unwrap_err(), KeyError::Encrypted, "{file}");
        for bad in [&wrong[..], b"", b"tesT", b"test "] {
            let err = PrivateKey::parse_with_password(&input, bad).unwrap_err();
            assert_eq!(err, KeyError::WrongPassword, "{file}");
            let text = format!("{err} {err:?}");
            assert!(!text.contains("Tr0ub4dor"), "{file}: the password shows in {text}");
            assert_eq!(rolesanywhere::Error::from(err).code().as_str(), "WrongPassword");
        }
    }
    // A key that is not encrypted is read as it is, whatever the password.
    for file in ["p256.pkcs8.pem", "rsa2048.pkcs1.der", "p384.sec1.pem"] {
        let k = PrivateKey::parse_with_password(&shared().read(file), wrong).unwrap();
        assert_eq!(k.sign(b"m").unwrap(), key(file).sign(b"m").unwrap(), "{file}");
    }
}

#[cfg(feature = "encrypted-keys")]
#[test]
fn decrypt_pkcs8_gives_the_plain_pkcs8_inside() {
    let password = common::PASSWORD.as_bytes();
    for (file, plain) in ENCRYPTED {
        let input = shared().read(file);
        let der = rolesanywhere::decrypt_pkcs8(&input, password).unwrap_or_else(|e| panic!("{file}: {e}")).expect(file);
        // The DER is PKCS#8 of the same key: it parses as one and signs as the plain file does.
        assert_eq!(PrivateKey::parse(&der).unwrap().sign(b"m").unwrap(), key(plain).sign(b"m").unwrap(), "{file}");
        assert_eq!(rolesanywhere::decrypt_pkcs8(&input, b"tesT").unwrap_err(), KeyError::WrongPassword, "{file}");
    }
    for file in ["p256.pkcs8.pem", "rsa2048.pkcs1.der", "p384.sec1.pem"] {
        assert!(
            rolesanywhere::decrypt_pkcs8(&shared().read(file), password).unwrap().is_none(),
            "{file}: not encrypted"
        );
    }
    let legacy = rolesanywhere::decrypt_pkcs8(&shared().read("p256.sec1-encrypted.pem"), password).unwrap_err();
    assert!(matches!(legacy, KeyError::UnsupportedEncryption { .. }), "{legacy:?}");
}

#[cfg(feature = "encrypted-keys")]
#[test]
fn unsupported_encryption_is_named_with_the_way_out() {
    let cases = [
        ("p256.pkcs8-pbes1.pem", "pbeWithSHAAnd3-KeyTripleDES-CBC"),
        ("p256.pkcs8-pbes2-3des.pem", "des-ede3-cbc"),
        ("p256.sec1-encrypted.pem", "Proc-Type: 4,ENCRYPTED"),
        ("rsa2048.pkcs1-encrypted.pem", "Proc-Type: 4,ENCRYPTED"),
    ];
    for (file, name) in cases {
        let input = shared().read(file);
        assert_eq!(PrivateKey::parse(&input).unwrap_err(), KeyError::Encrypted, "{file}");
        let err = PrivateKey::parse_with_password(&input, common::PASSWORD.as_bytes()).unwrap_err();
        match &err {
            KeyError::UnsupportedEncryption { scheme } => assert!(scheme.contains(name), "{file}: {scheme}"),
            other => panic!("{file}: {other:?}"),
        }
        assert!(err.to_string().contains("openssl pkcs8 -topk8 -v2 aes-256-cbc"), "{err}");
        assert_eq!(err.code().as_str(), "InvalidKey");
    }
}

/// An `EncryptedPrivateKeyInfo` with the given PBES2 parameters and junk ciphertext: the cost
/// check must refuse it before any key derivation runs.
#[cfg(feature = "encrypted-keys")]
fn encrypted_with(kdf: pkcs5::pbes2::Kdf) -> Vec<u8> {
    use der::Encode;
    let parameters =
        pkcs5::pbes2::Parameters { kdf, encryption: pkcs5::pbes2::EncryptionScheme::Aes256Cbc { iv: [7; 16] } };
    let algorithm = pkcs5::EncryptionScheme::from(parameters).to_der().unwrap();
    let data = der::asn1::OctetString::new(vec![0u8; 48]).unwrap().to_der().unwrap();
    let mut body = algorithm;
    body.extend(data);
    let mut der = vec![0x30, 0x81, body.len() as u8];
    der.extend(body);
    der
}

#[cfg(feature = "encrypted-keys")]
#[test]
fn hostile_key_derivation_costs_are_refused_before_work() {
    use pkcs5::pbes2::{Kdf, Pbkdf2Params, ScryptParams};
    let salt = [1u8; 16];
    let limit = rolesanywhere::MAX_PBKDF2_ITERATIONS;
    let pbkdf2 = |iterations| Kdf::Pbkdf2(Pbkdf2Params::hmac_sha256(iterations, &salt).unwrap());
    let scrypt = |n: u64, r: u16, p: u16| {
        Kdf::Scrypt(ScryptParams {
            salt: salt.as_slice().try_into().unwrap(),
            cost_parameter: n,
            block_size: r,
            parallelization: p,
            key_length: None,
        })
    };
    let started = std::time::Instant::now();
    for (kdf, what) in [
        (pbkdf2(limit + 1), "PBKDF2 iterations"),
        (pbkdf2(100_000_000), "PBKDF2 iterations"),
        (scrypt(1 << 20, 8, 1), "scrypt memory"),
        (scrypt(1 << 62, 65535, 1), "scrypt memory"),
        (scrypt(1 << 14, 8, 100), "scrypt work"),
    ] {
        let err = PrivateKey::parse_with_password(&encrypted_with(kdf), b"test").unwrap_err();
        match &err {
            KeyError::KdfTooCostly { what: w, value, limit } => {
                assert!(w.starts_with(what), "{w}");
                assert!(value > limit);
            }
            other => panic!("{what}: {other:?}"),
        }
        assert_eq!(err.code().as_str(), "InvalidKey");
    }
    // Refused without deriving anything (2M debug-build PBKDF2 iterations alone take seconds).
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    // Within the limits the derivation runs, and the junk ciphertext is a wrong password.
    assert_eq!(
        PrivateKey::parse_with_password(&encrypted_with(pbkdf2(1000)), b"test").unwrap_err(),
        KeyError::WrongPassword
    );
    assert_eq!(
        PrivateKey::parse_with_password(&encrypted_with(scrypt(1 << 10, 8, 1)), b"test").unwrap_err(),
        KeyError::WrongPassword
    );
}

#[cfg(feature = "encrypted-keys")]
#[test]
fn every_prefix_and_random_flips_of_an_encrypted_key_are_errors() {
    let der = shared().read("p384.pkcs8-encrypted.der");
    for len in 0..der.len() {
        assert!(PrivateKey::parse_with_password(&der[..len], b"test").is_err(), "prefix {len}");
    }
    let mut rng = XorShift(0x0e0c_0e0c_1234_5678);
    let plain = Secret::new("p384.pkcs8.pem");
    for _ in 0..60 {
        let mut bytes = der.clone();
        let at = rng.below(bytes.len());
        bytes[at] ^= 1 << rng.below(8);
        match PrivateKey::parse_with_password(&bytes, b"test") {
            // A flip in the salt, IV or ciphertext changes the key or plaintext: refused; a flip
            // that leaves both alone (e.g. in an unused length form) may still open.
            Ok(k) => assert_eq!(k.key_type(), KeyType::EcdsaP384),
            Err(e) => plain.assert_absent("encrypted key error", &format!("{e} {e:?}")),
        }
    }
}
