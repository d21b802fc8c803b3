//! Integration tests of `rolesanywhere::certificate` against the generated test PKI: parsing
//! every leaf from PEM and DER, the fields Roles Anywhere reads, the end-entity checks with
//! one typed error per bad leaf, validity boundaries, chains, and garbage/truncated/mutated
//! input (which must give an error, never a panic).

mod common;

use common::{shared, XorShift};
use rolesanywhere::{parse_certificates, parse_intermediates, Certificate, CertificateError, PublicKey, MAX_INPUT_LEN};
use rolesanywhere::{KeyType, Time};

const SPIFFE_ID: &str = "spiffe://ORG.aws-us-west.example.io/ns/prj-demo/app";
const OTHER_SPIFFE_ID: &str = "spiffe://ORG.aws-us-west.example.io/ns/prj-other/app";

fn t(text: &str) -> Time {
    Time::parse_rfc3339(text).unwrap()
}

fn now() -> Time {
    t("2024-06-01T12:00:30Z")
}

fn cert(name: &str) -> Certificate {
    Certificate::parse(&shared().read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn leaves() -> Vec<serde_json::Value> {
    shared().manifest().as_array().unwrap().clone()
}

fn expected_key_type(manifest_key_type: &str) -> Option<KeyType> {
    match manifest_key_type {
        "p256" => Some(KeyType::EcdsaP256),
        "p384" => Some(KeyType::EcdsaP384),
        "rsa2048" => Some(KeyType::Rsa { bits: 2048 }),
        _ => None,
    }
}

/// The end of the `-----END CERTIFICATE-----` line: a PEM prefix at least this long holds the
/// whole certificate.
fn end_of_pem(pem: &[u8]) -> usize {
    let marker = b"-----END CERTIFICATE-----";
    pem.windows(marker.len()).position(|w| w == marker).expect("PEM has an END line") + marker.len()
}

#[test]
fn every_leaf_parses_from_pem_and_der_with_the_manifest_serial() {
    let pki = shared();
    let leaves = leaves();
    assert_eq!(leaves.len(), 15, "manifest lists 15 leaves");
    for leaf in &leaves {
        let name = leaf["name"].as_str().unwrap();
        let pem =
            Certificate::parse(&pki.read(leaf["cert"].as_str().unwrap())).unwrap_or_else(|e| panic!("{name} PEM: {e}"));
        let der_bytes = pki.read(leaf["cert_der"].as_str().unwrap());
        let der = Certificate::parse(&der_bytes).unwrap_or_else(|e| panic!("{name} DER: {e}"));
        let from_der = Certificate::from_der(&der_bytes).unwrap();
        assert_eq!(pem, der, "{name}: PEM and DER parse alike");
        assert_eq!(der, from_der, "{name}: parse and from_der agree");
        assert_eq!(pem.der(), &der_bytes[..], "{name}: der() is the DER file");
        assert_eq!(pem.serial_number(), leaf["serial_decimal"].as_str().unwrap(), "{name}: serial in decimal");
        assert!(!pem.serial_number().starts_with('-'), "{name}: serials are positive");
        assert_eq!(pem.subject_common_name(), Some(name), "{name}: subject CN");
        assert_eq!(pem.issuer_common_name(), Some("Test Intermediate CA"));
        let key_type = leaf["key_type"].as_str().unwrap();
        match expected_key_type(key_type) {
            Some(expected) => assert_eq!(pem.key_type(), Ok(expected), "{name}: key type"),
            None => assert!(
                matches!(pem.key_type(), Err(CertificateError::UnsupportedPublicKey { .. })),
                "{name}: {key_type} is not a signing key type"
            ),
        }
        // Debug shows facts, never the DER.
        let debug = format!("{pem:?}");
        assert!(debug.contains(&pem.serial_number()), "{debug}");
        assert!(debug.len() < 1000, "{name}: Debug is short: {debug}");
    }
}

#[test]
fn serial_numbers_of_the_long_and_high_bit_serials() {
    let pki = shared();
    for name in ["serial20", "serial-highbit", "p256"] {
        let leaf = pki.leaf(name);
        let c = cert(leaf["cert"].as_str().unwrap());
        assert_eq!(c.serial_number(), leaf["serial_decimal"].as_str().unwrap(), "{name}");
        // serial_bytes are the DER content bytes: the manifest's hex, with a leading 00
        // where the top bit is set.
        let hex = leaf["serial_hex"].as_str().unwrap();
        let mut expected = common::unhex(hex);
        if expected[0] & 0x80 != 0 {
            expected.insert(0, 0);
        }
        assert_eq!(c.serial_bytes(), &expected[..], "{name}");
    }
    assert_eq!(cert("serial20.pem").serial_bytes().len(), 20);
    assert_eq!(cert("serial-highbit.pem").serial_bytes().len(), 17);
    assert_eq!(cert("serial-highbit.pem").serial_bytes()[0], 0);
}

#[test]
fn good_leaves_have_the_expected_fields_and_pass_the_end_entity_checks() {
    for leaf in leaves().iter().filter(|l| l["good"] == true) {
        let name = leaf["name"].as_str().unwrap();
        let c = cert(leaf["cert"].as_str().unwrap());
        let spiffe = if name == "prj-other" { OTHER_SPIFFE_ID } else { SPIFFE_ID };
        assert_eq!(c.uri_sans(), &[spiffe.to_string()], "{name}: URI SANs");
        assert!(c.uri_sans().iter().any(|u| u == spiffe));
        assert_eq!(c.dns_sans(), &["app.example.test".to_string()], "{name}");
        assert_eq!(c.not_before(), t("2024-01-01T00:00:00Z"), "{name}");
        assert_eq!(c.not_after(), t("2034-01-01T00:00:00Z"), "{name}");
        assert_eq!(c.version(), 3, "{name}");
        assert_eq!(c.is_ca(), Some(false), "{name}");
        assert_eq!(c.check_end_entity(now()), Ok(()), "{name}");
    }
}

#[test]
fn public_keys_are_read() {
    match cert("p256.pem").public_key() {
        PublicKey::Ec { key_type, point } => {
            assert_eq!(*key_type, KeyType::EcdsaP256);
            assert_eq!(point.len(), 65);
            assert_eq!(point[0], 4);
        }
        other => panic!("p256: {other:?}"),
    }
    match cert("p384.pem").public_key() {
        PublicKey::Ec { key_type, point } => {
            assert_eq!(*key_type, KeyType::EcdsaP384);
            assert_eq!(point.len(), 97);
        }
        other => panic!("p384: {other:?}"),
    }
    match cert("rsa2048.pem").public_key() {
        PublicKey::Rsa { modulus, exponent } => {
            assert_eq!(modulus.len(), 256);
            assert!(modulus[0] & 0x80 != 0);
            assert_eq!(exponent, &[1, 0, 1]);
        }
        other => panic!("rsa2048: {other:?}"),
    }
    assert_eq!(cert("ed25519.pem").public_key(), &PublicKey::Unsupported { algorithm: "Ed25519".into() });
}

#[test]
fn each_bad_leaf_gives_its_own_error() {
    let now = now();
    let check = |name: &str| cert(name).check_end_entity(now);
    assert_eq!(check("expired.pem"), Err(CertificateError::Expired { not_after: t("2021-01-01T00:00:00Z"), now }));
    assert_eq!(cert("expired.pem").not_before(), t("2020-01-01T00:00:00Z"));
    assert_eq!(check("notyet.pem"), Err(CertificateError::NotYetValid { not_before: t("2040-01-01T00:00:00Z"), now }));
    assert_eq!(cert("notyet.pem").not_after(), t("2041-01-01T00:00:00Z"));
    assert_eq!(check("ca-leaf.pem"), Err(CertificateError::IsCa));
    assert_eq!(cert("ca-leaf.pem").is_ca(), Some(true));
    assert_eq!(check("no-digsig.pem"), Err(CertificateError::MissingDigitalSignature));
    assert_eq!(check("v1.pem"), Err(CertificateError::NotVersion3 { version: 1 }));
    assert_eq!(cert("v1.pem").version(), 1);
    assert_eq!(cert("v1.pem").uri_sans(), &[] as &[String]);
    match check("sha1.pem") {
        Err(CertificateError::WeakSignatureAlgorithm { algorithm }) => {
            assert_eq!(algorithm, "ecdsa-with-SHA1")
        }
        other => panic!("sha1.pem: {other:?}"),
    }
    assert_eq!(check("ed25519.pem"), Err(CertificateError::UnsupportedPublicKey { algorithm: "Ed25519".into() }));
    assert_eq!(check("rsa1024.pem"), Err(CertificateError::UnsupportedPublicKey { algorithm: "RSA-1024".into() }));
    match check("secp256k1.pem") {
        Err(CertificateError::UnsupportedPublicKey { algorithm }) => {
            assert!(algorithm.contains("1.3.132.0.10"), "{algorithm}")
        }
        other => panic!("secp256k1.pem: {other:?}"),
    }
    // Every error has a one-line message.
    for name in [
        "expired.pem",
        "notyet.pem",
        "ca-leaf.pem",
        "no-digsig.pem",
        "v1.pem",
        "sha1.pem",
        "ed25519.pem",
        "rsa1024.pem",
        "secp256k1.pem",
    ] {
        let message = check(name).unwrap_err().to_string();
        assert!(!message.is_empty() && !message.contains('\n'), "{name}: {message:?}");
    }
    let expired = check("expired.pem").unwrap_err().to_string();
    assert!(expired.contains("2021-01-01T00:00:00Z"), "{expired}");
    assert!(expired.contains("2024-06-01T12:00:30Z"), "{expired}");
}

#[test]
fn validity_boundaries() {
    let c = cert("p256.pem");
    assert_eq!(c.check_end_entity(t("2033-12-31T23:59:59Z")), Ok(()));
    // RFC 5280 4.1.2.5: the validity period includes notAfter and notBefore.
    assert_eq!(c.check_end_entity(t("2034-01-01T00:00:00Z")), Ok(()));
    assert_eq!(c.check_end_entity(t("2024-01-01T00:00:00Z")), Ok(()));
    let late = t("2034-01-01T00:00:01Z");
    assert_eq!(
        c.check_end_entity(late),
        Err(CertificateError::Expired { not_after: t("2034-01-01T00:00:00Z"), now: late })
    );
    let early = t("2023-12-31T23:59:59Z");
    assert_eq!(
        c.check_end_entity(early),
        Err(CertificateError::NotYetValid { not_before: t("2024-01-01T00:00:00Z"), now: early })
    );
}

#[test]
fn chains_and_bundles() {
    let pki = shared();
    assert_eq!(
        parse_intermediates(&pki.read("six-intermediates.pem")),
        Err(CertificateError::TooManyIntermediates { count: 6 })
    );
    let six = parse_certificates(&pki.read("six-intermediates.pem")).unwrap();
    let names: Vec<_> = six.iter().map(|c| c.subject_common_name().unwrap()).collect();
    assert_eq!(
        names,
        [
            "Test Chain CA 6",
            "Test Chain CA 5",
            "Test Chain CA 4",
            "Test Chain CA 3",
            "Test Chain CA 2",
            "Test Chain CA 1"
        ]
    );
    // Five are accepted: the first five blocks of the file.
    let text = pki.read_str("six-intermediates.pem");
    let end = "-----END CERTIFICATE-----";
    let cut = text.match_indices(end).nth(4).unwrap().0 + end.len();
    assert_eq!(parse_intermediates(&text.as_bytes()[..cut]).unwrap().len(), 5);

    let chain = parse_intermediates(&pki.read("chain.pem")).unwrap();
    assert_eq!(chain.len(), 1);
    assert_eq!(chain[0].subject_common_name(), Some("Test Intermediate CA"));
    assert_eq!(chain[0].issuer_common_name(), Some("Test Root CA"));
    assert_eq!(chain[0].is_ca(), Some(true));
    assert_eq!(chain[0], cert("int.pem"));

    let bundle = parse_certificates(&pki.read("bundle.pem")).unwrap();
    assert_eq!(bundle.len(), 2);
    assert_eq!(bundle[0].subject_common_name(), Some("Test Root CA"));
    assert_eq!(bundle[1].subject_common_name(), Some("Test Secondary Root CA"));
    // Two certificates where one is expected is an error, not the first one.
    assert!(matches!(Certificate::parse(&pki.read("bundle.pem")), Err(CertificateError::Malformed { .. })));
    // One DER certificate is a chain of one.
    assert_eq!(parse_intermediates(&pki.read("p256.cert.der")).unwrap().len(), 1);
}

#[test]
fn wrong_pem_labels() {
    let pki = shared();
    for (file, label) in [
        ("p256.pkcs8.pem", "PRIVATE KEY"),
        ("p256.sec1.pem", "EC PRIVATE KEY"),
        ("rsa2048.pkcs1.pem", "RSA PRIVATE KEY"),
        ("p256.pkcs8-encrypted.pem", "ENCRYPTED PRIVATE KEY"),
        ("p256.sec1-params.pem", "EC PARAMETERS"),
    ] {
        assert_eq!(
            Certificate::parse(&pki.read(file)),
            Err(CertificateError::WrongPemLabel { found: label.into() }),
            "{file}"
        );
        assert_eq!(
            parse_certificates(&pki.read(file)),
            Err(CertificateError::WrongPemLabel { found: label.into() }),
            "{file}"
        );
    }
    // A chain with a key in the middle is refused as a whole.
    let mut mixed = pki.read("chain.pem");
    mixed.extend(pki.read("p256.pkcs8.pem"));
    assert!(matches!(parse_intermediates(&mixed), Err(CertificateError::WrongPemLabel { .. })));
    // A DER key is not a DER certificate.
    for file in ["p256.pkcs8.der", "p256.sec1.der", "rsa2048.pkcs1.der"] {
        assert!(matches!(Certificate::parse(&pki.read(file)), Err(CertificateError::Malformed { .. })), "{file}");
    }
}

#[test]
fn empty_and_oversize_input() {
    assert_eq!(Certificate::parse(b""), Err(CertificateError::Empty));
    assert_eq!(Certificate::parse(b" \n\t\r\n"), Err(CertificateError::Empty));
    assert_eq!(parse_certificates(b""), Err(CertificateError::Empty));
    assert_eq!(parse_intermediates(b"\n"), Err(CertificateError::Empty));
    assert!(matches!(Certificate::from_der(b""), Err(CertificateError::Malformed { .. })));

    let big = vec![0x30u8; MAX_INPUT_LEN + 1];
    assert_eq!(Certificate::parse(&big), Err(CertificateError::TooLarge { len: MAX_INPUT_LEN + 1 }));
    assert_eq!(Certificate::from_der(&big), Err(CertificateError::TooLarge { len: MAX_INPUT_LEN + 1 }));
    assert_eq!(parse_intermediates(&big), Err(CertificateError::TooLarge { len: MAX_INPUT_LEN + 1 }));
    // A valid PEM padded past the limit is refused by size, before parsing.
    let mut padded = shared().read("p256.pem");
    padded.resize(MAX_INPUT_LEN + 10, b'\n');
    assert_eq!(Certificate::parse(&padded), Err(CertificateError::TooLarge { len: MAX_INPUT_LEN + 10 }));
    // Exactly at the limit is read.
    let mut at_limit = shared().read("p256.pem");
    at_limit.resize(MAX_INPUT_LEN, b'\n');
    assert!(Certificate::parse(&at_limit).is_ok());
}

#[test]
fn garbage_is_an_error() {
    for garbage in [
        &b"not a certificate"[..],
        b"\x30",
        b"\x30\x00",
        b"\x30\x80\x00\x00",
        b"\x30\x84\xff\xff\xff\xff",
        b"\xff\xff\xff\xff",
        b"-----BEGIN CERTIFICATE-----\n",
        b"-----BEGIN CERTIFICATE-----\n*not base64*\n-----END CERTIFICATE-----\n",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
    ] {
        let result = Certificate::parse(garbage);
        assert!(result.is_err(), "{garbage:?} gave {result:?}");
        let message = result.unwrap_err().to_string();
        assert!(!message.contains('\n'), "{message:?}");
    }
    assert!(matches!(Certificate::parse(b"-----BEGIN CERTIFICATE-----\nAQID\n"), Err(CertificateError::Pem(_))));
}

#[test]
fn every_prefix_of_the_der_is_an_error() {
    for file in ["p256.cert.der", "p384.cert.der", "rsa2048.cert.der"] {
        let der = shared().read(file);
        for len in 0..der.len() {
            let result = Certificate::parse(&der[..len]);
            assert!(result.is_err(), "{file}: prefix of {len} bytes parsed");
            assert!(Certificate::from_der(&der[..len]).is_err());
        }
        // The whole file, and the file with a trailing byte.
        assert!(Certificate::parse(&der).is_ok());
        let mut longer = der.clone();
        longer.push(0);
        assert!(
            matches!(Certificate::parse(&longer), Err(CertificateError::Malformed { .. })),
            "{file}: trailing byte"
        );
    }
}

#[test]
fn every_prefix_of_the_pem_is_an_error_until_the_end_line() {
    for file in ["p256.pem", "rsa2048.pem", "chain.pem"] {
        let pem = shared().read(file);
        let complete = end_of_pem(&pem);
        for len in 0..=pem.len() {
            let result = Certificate::parse(&pem[..len]);
            if len < complete {
                assert!(result.is_err(), "{file}: prefix of {len} bytes parsed");
            } else {
                assert!(result.is_ok(), "{file}: {len} bytes hold the whole PEM");
            }
        }
        // Suffixes (a lost start) are errors too, except those that still hold the BEGIN line.
        let begin = b"-----BEGIN ";
        for start in 1..pem.len() {
            let rest = &pem[start..];
            if rest.windows(begin.len()).any(|w| w == begin) {
                continue;
            }
            assert!(Certificate::parse(rest).is_err(), "{file}: suffix from {start}");
        }
    }
}

/// Uses every accessor of a parsed certificate, so that a mutation that parses still has to
/// survive them.
fn exercise(c: &Certificate) {
    let _ = c.serial_number();
    let _ = c.check_end_entity(now());
    let _ = c.key_type();
    let _ = format!("{c:?}");
    let _ = (c.subject_common_name(), c.issuer_common_name(), c.uri_sans());
    let _ = (c.not_before(), c.not_after(), c.version(), c.is_ca());
}

#[test]
fn random_byte_flips_never_panic() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut parsed = 0;
    for file in ["p256.cert.der", "rsa2048.cert.der", "serial-highbit.pem"] {
        let original = if file.ends_with(".pem") {
            Certificate::parse(&shared().read(file)).unwrap().der().to_vec()
        } else {
            shared().read(file)
        };
        for _ in 0..1500 {
            let mut bytes = original.clone();
            for _ in 0..=rng.below(3) {
                let at = rng.below(bytes.len());
                match rng.below(4) {
                    0 => bytes[at] ^= 1 << rng.below(8),
                    1 => bytes[at] = rng.next_u64() as u8,
                    2 => bytes[at] = [0x00, 0x80, 0xff, 0x30, 0x81, 0x82, 0x84][rng.below(7)],
                    _ => {
                        bytes.truncate(at.max(1));
                    }
                }
            }
            if let Ok(c) = Certificate::parse(&bytes) {
                parsed += 1;
                exercise(&c);
            }
        }
    }
    // Most flips land in the signature or key bits, which the parser does not check.
    assert!(parsed > 0);
}

#[test]
fn random_bytes_in_pem_never_panic() {
    let mut rng = XorShift(0x0123_4567_89ab_cdef);
    let pem = shared().read("p256.pem");
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-\n \r:";
    for _ in 0..2000 {
        let mut bytes = pem.clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(bytes.len());
            bytes[at] = alphabet[rng.below(alphabet.len())];
        }
        if let Ok(c) = Certificate::parse(&bytes) {
            exercise(&c);
        }
        let _ = parse_intermediates(&bytes);
    }
}

/// `der` with the serial's 16 content bytes replaced (same length, so no length changes;
/// the issuer's signature no longer matches, which the parser does not check).
fn with_serial(der: &[u8], old: &[u8], new: &[u8; 16]) -> Vec<u8> {
    let mut needle = vec![0x02, 0x10];
    needle.extend_from_slice(old);
    let at = der.windows(needle.len()).position(|w| w == needle).expect("serial in DER");
    let mut out = der.to_vec();
    out[at + 2..at + 18].copy_from_slice(new);
    out
}

#[test]
fn serial_numbers_in_twos_complement() {
    let der = shared().read("p256.cert.der");
    let old = Certificate::parse(&der).unwrap().serial_bytes().to_vec();
    assert_eq!(old.len(), 16);
    let mut rng = XorShift(42);
    let mut cases: Vec<[u8; 16]> = vec![
        [0xff; 16],
        [0; 16],
        {
            let mut min = [0; 16];
            min[0] = 0x80;
            min
        },
        {
            let mut max = [0xff; 16];
            max[0] = 0x7f;
            max
        },
    ];
    for _ in 0..200 {
        let mut s = [0u8; 16];
        for b in s.iter_mut() {
            *b = rng.next_u64() as u8;
        }
        cases.push(s);
    }
    for serial in cases {
        let c = Certificate::parse(&with_serial(&der, &old, &serial)).unwrap();
        // i128 is exactly a 16-byte two's complement integer.
        assert_eq!(c.serial_number(), i128::from_be_bytes(serial).to_string(), "{serial:02x?}");
    }
}

#[test]
fn full_chain_files_split_into_leaf_and_intermediates() {
    use rolesanywhere::{merge_intermediates, split_full_chain, MAX_INTERMEDIATES};
    let (leaf, chain) = split_full_chain(&shared().read("p256-fullchain.pem")).unwrap();
    assert_eq!(leaf, cert("p256.pem"));
    assert_eq!(chain, vec![cert("int.pem")]);
    // Leaf, intermediate, root: the root is kept (AWS ignores a trust anchor sent in the chain).
    let (leaf, chain) = split_full_chain(&shared().read("rsa2048-fullchain-root.pem")).unwrap();
    assert_eq!(leaf, cert("rsa2048.pem"));
    assert_eq!(chain, vec![cert("int.pem"), cert("root.pem")]);
    // One certificate, PEM or DER: no intermediates.
    for file in ["p256.pem", "p256.cert.der"] {
        let (leaf, chain) = split_full_chain(&shared().read(file)).unwrap();
        assert_eq!(leaf, cert("p256.pem"));
        assert!(chain.is_empty());
    }
    assert_eq!(split_full_chain(b"").unwrap_err(), CertificateError::Empty);
    assert!(matches!(split_full_chain(&shared().read("p256.pkcs8.pem")), Err(CertificateError::WrongPemLabel { .. })));

    // Merging with --intermediates: the full chain's first, then the others, each once; the
    // leaf itself is dropped.
    let leaf = cert("p256.pem");
    let int = cert("int.pem");
    let root = cert("root.pem");
    let given = parse_certificates(&shared().read("bundle.pem")).unwrap(); // root, root2
    let merged = merge_intermediates(&leaf, vec![int.clone(), root.clone()], given.clone()).unwrap();
    assert_eq!(merged, vec![int.clone(), root.clone(), given[1].clone()]);
    let merged = merge_intermediates(&leaf, vec![int.clone(), leaf.clone()], vec![int.clone(), int.clone()]).unwrap();
    assert_eq!(merged, vec![int.clone()]);
    assert_eq!(merge_intermediates(&leaf, Vec::new(), Vec::new()).unwrap(), Vec::<Certificate>::new());
    // The limit applies after duplicates are dropped.
    let six = parse_certificates(&shared().read("six-intermediates.pem")).unwrap();
    assert_eq!(six.len(), MAX_INTERMEDIATES + 1);
    let five = six[..MAX_INTERMEDIATES].to_vec();
    assert_eq!(merge_intermediates(&leaf, five.clone(), five.clone()).unwrap(), five);
    assert_eq!(
        merge_intermediates(&leaf, five.clone(), vec![six[5].clone()]).unwrap_err(),
        CertificateError::TooManyIntermediates { count: 6 }
    );
}
