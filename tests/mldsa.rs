//! ML-DSA-44/65/87 (`AWS4-X509-MLDSA`): the three PKCS#8 private-key forms, certificates with a
//! classical and with an ML-DSA chain, CreateSession signing, the wrong-algorithm, mismatched and
//! tampered cases, hostile input, and a cross-check against an independent FIPS 204
//! implementation (Python `dilithium-py`: our signature verifies there, its deterministic
//! signature is byte-identical to ours and verifies here, and its PKCS#8/SPKI encodings of the
//! same seed are the ones we read).
//!
//! Fixtures: tests/common/mldsa.rs (the `ml-dsa` crate's keygen; OpenSSL 3.0 has no ML-DSA).
#![cfg(feature = "ml-dsa")]

mod common;
#[path = "common/mldsa.rs"]
mod fixtures;

use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::{shared, Pki, XorShift, ANCHOR, PROFILE, ROLE};
use rolesanywhere::{
    verify_ml_dsa, Algorithm, Certificate, CreateSession, ErrorCode, KeyError, KeyType, PrivateKey, PublicKey,
    RequestError, Signer, Time,
};

const SETS: [(&str, KeyType); 3] =
    [("mldsa44", KeyType::MlDsa44), ("mldsa65", KeyType::MlDsa65), ("mldsa87", KeyType::MlDsa87)];

/// The shared test PKI with the ML-DSA files added.
fn pki() -> &'static Pki {
    static DONE: OnceLock<()> = OnceLock::new();
    let pki = shared();
    DONE.get_or_init(|| fixtures::write(pki.dir.path()));
    pki
}

fn key(name: &str) -> PrivateKey {
    PrivateKey::parse(&pki().read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn cert(name: &str) -> Certificate {
    Certificate::parse(&pki().read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn now() -> Time {
    Time::parse_rfc3339(common::DATE).unwrap()
}

fn public_key(certificate: &Certificate) -> (KeyType, Vec<u8>) {
    match certificate.public_key() {
        PublicKey::MlDsa { key_type, key } => (*key_type, key.clone()),
        other => panic!("not an ML-DSA key: {other:?}"),
    }
}

/// The hex signature of an `Authorization` header.
fn signature_of(authorization: &str) -> Vec<u8> {
    common::unhex(authorization.rsplit("Signature=").next().unwrap())
}

#[test]
fn names_sizes_and_certificates() {
    assert_eq!(Algorithm::MlDsa.name(), "AWS4-X509-MLDSA");
    for ((name, key_type), (sig, pk)) in SETS.into_iter().zip([(2420, 1312), (3309, 1952), (4627, 2592)]) {
        assert_eq!(key_type.algorithm(), Algorithm::MlDsa);
        assert_eq!(key_type.signature_len(), Some(sig));
        assert_eq!(key_type.ml_dsa_public_key_len(), Some(pk));
        assert_eq!(key_type.to_string(), format!("ML-DSA-{}", &name[5..]));
        let c = cert(&format!("{name}.pem"));
        assert_eq!(c.key_type(), Ok(key_type));
        assert_eq!(public_key(&c).1.len(), pk);
        assert_eq!(c.check_end_entity(now()), Ok(()), "{name}");
        assert_eq!(c.uri_sans(), ["spiffe://ORG.aws-us-west.example.io/ns/prj-demo/app"]);
    }
    assert_eq!(KeyType::EcdsaP256.signature_len(), None);
    // The ML-DSA chain: its certificates parse, the leaf passes the end-entity rules.
    assert_eq!(cert("mldsa-root.pem").key_type(), Ok(KeyType::MlDsa87));
    assert_eq!(cert("mldsa-int.pem").is_ca(), Some(true));
    assert_eq!(cert("mldsa65-pq.pem").check_end_entity(now()), Ok(()));
}

#[test]
fn the_three_key_forms_are_one_key() {
    let message = b"AWS4-X509-MLDSA\n20240601T120030Z\nscope\nhash";
    for (name, key_type) in SETS {
        let certificate = cert(&format!("{name}.pem"));
        let (_, public) = public_key(&certificate);
        let mut signatures = Vec::new();
        for form in ["seed.pem", "seed.der", "expanded.pem", "both.pem"] {
            let file = format!("{name}.{form}");
            let k = key(&file);
            assert_eq!(k.key_type(), key_type, "{file}");
            assert_eq!(k.algorithm(), Algorithm::MlDsa, "{file}");
            assert_eq!(k.check_matches(&certificate), Ok(()), "{file}");
            let signature = k.sign(message).unwrap();
            assert_eq!(Some(signature.len()), key_type.signature_len(), "{file}");
            assert!(verify_ml_dsa(key_type, &public, message, &signature), "{file}");
            // Deterministic: the same message signs the same, another one differently.
            assert_eq!(k.sign(message).unwrap(), signature, "{file}");
            assert_ne!(k.sign(b"another message").unwrap(), signature, "{file}");
            signatures.push(signature);
        }
        assert!(signatures.windows(2).all(|w| w[0] == w[1]), "{name}: the forms sign differently");
    }
}

#[test]
fn create_session_is_signed_with_aws4_x509_mldsa() {
    let chain = rolesanywhere::parse_intermediates(&pki().read("chain.pem")).unwrap();
    let pq_chain = rolesanywhere::parse_intermediates(&pki().read("mldsa-chain.pem")).unwrap();
    let cases = [
        ("mldsa44.pem", "mldsa44.seed.pem", &chain),
        ("mldsa65.pem", "mldsa65.expanded.pem", &chain),
        ("mldsa87.pem", "mldsa87.both.pem", &chain),
        ("mldsa65-pq.pem", "mldsa65-pq.seed.pem", &pq_chain),
    ];
    for (cert_file, key_file, intermediates) in cases {
        let leaf = cert(cert_file);
        let (key_type, public) = public_key(&leaf);
        let unsigned =
            CreateSession::new(&leaf, ANCHOR, PROFILE, ROLE).intermediates(intermediates).prepare(now()).unwrap();
        assert_eq!(unsigned.algorithm(), Algorithm::MlDsa);
        assert!(unsigned.string_to_sign().starts_with("AWS4-X509-MLDSA\n20240601T120030Z\n"), "{cert_file}");
        let string_to_sign = unsigned.string_to_sign().to_owned();
        let signed = unsigned.sign(&key(key_file)).unwrap();
        let authorization = &signed.headers.iter().find(|(n, _)| n == "Authorization").unwrap().1;
        let prefix = format!("AWS4-X509-MLDSA Credential={}/{}, ", leaf.serial_number(), common::SCOPE);
        assert!(authorization.starts_with(&prefix), "{cert_file}: {authorization}");
        let hex = authorization.rsplit("Signature=").next().unwrap();
        assert!(hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "lower-case hex");
        let signature = signature_of(authorization);
        assert_eq!(Some(signature.len()), key_type.signature_len());
        assert!(verify_ml_dsa(key_type, &public, string_to_sign.as_bytes(), &signature), "{cert_file}");
        // Tampered: one bit of the signature, or of the message.
        let mut bad = signature.clone();
        bad[17] ^= 0x04;
        assert!(!verify_ml_dsa(key_type, &public, string_to_sign.as_bytes(), &bad));
        assert!(!verify_ml_dsa(key_type, &public, format!("{string_to_sign} ").as_bytes(), &signature));
        // Another parameter set's verifier, or a truncated signature, refuses.
        let other = if key_type == KeyType::MlDsa44 { KeyType::MlDsa65 } else { KeyType::MlDsa44 };
        assert!(!verify_ml_dsa(other, &public, string_to_sign.as_bytes(), &signature));
        assert!(!verify_ml_dsa(key_type, &public, string_to_sign.as_bytes(), &signature[1..]));
        assert!(!verify_ml_dsa(KeyType::EcdsaP256, &public, string_to_sign.as_bytes(), &signature));
    }
}

#[test]
fn wrong_algorithm_mismatched_keys_and_signature_lengths() {
    let p256 = PrivateKey::parse(&shared().read("p256.pkcs8.pem")).unwrap();
    let mldsa44 = cert("mldsa44.pem");
    let prepare = |c| CreateSession::new(c, ANCHOR, PROFILE, ROLE).prepare(now()).unwrap();
    // An ECDSA signer for an ML-DSA certificate, and an ML-DSA signer for an ECDSA one.
    let err = prepare(&mldsa44).sign(&p256).unwrap_err();
    assert_eq!(err, RequestError::AlgorithmMismatch { expected: Algorithm::MlDsa, found: Algorithm::EcdsaSha256 });
    assert!(err.to_string().contains("AWS4-X509-MLDSA"), "{err}");
    let p256_cert = Certificate::parse(&shared().read("p256.pem")).unwrap();
    assert!(matches!(prepare(&p256_cert).sign(&key("mldsa44.seed.pem")), Err(RequestError::AlgorithmMismatch { .. })));
    // Same algorithm, other key: another ML-DSA-44 key, or an ML-DSA-65 key.
    for other in ["mldsa44-other.seed.pem", "mldsa65.seed.pem"] {
        let err = prepare(&mldsa44).sign(&key(other)).unwrap_err();
        assert_eq!(err, RequestError::Key(KeyError::Mismatch), "{other}");
        assert_eq!(err.code(), ErrorCode::KeyMismatch);
    }
    assert_eq!(key("mldsa44.seed.pem").check_matches(&p256_cert), Err(KeyError::Mismatch));
    // `finish` takes exactly the parameter set's signature length.
    let k = key("mldsa44.seed.pem");
    for len in [0, 1, 2419, 2421, 4627] {
        assert_eq!(prepare(&mldsa44).finish(&vec![7u8; len]).unwrap_err(), RequestError::InvalidSignature, "{len}");
    }
    let unsigned = prepare(&mldsa44);
    let signature = k.sign(unsigned.string_to_sign().as_bytes()).unwrap();
    let signed = unsigned.finish(&signature).unwrap();
    let via_sign = prepare(&mldsa44).sign(&k).unwrap();
    assert_eq!(signed, via_sign, "finish with the signer's signature = sign");
}

#[test]
fn malformed_keys_are_typed_errors() {
    let seed_der = pki().read("mldsa44.seed.der");
    let key44 = fixtures::Key::from_seed(17, seed_der[seed_der.len() - 32..].try_into().unwrap());
    let other = fixtures::Key::generate(17);
    let malformed = |der: &[u8]| matches!(PrivateKey::parse(der), Err(KeyError::Malformed { .. }));
    // `both` whose seed and expanded key disagree.
    let mixed = fixtures::seq(&[
        &[0x02, 0x01, 0x00],
        &fixtures::seq(&[&key44.oid()]),
        &fixtures::tlv(
            0x04,
            &fixtures::seq(&[&fixtures::tlv(0x04, &key44.seed), &fixtures::tlv(0x04, &other.expanded)]),
        ),
    ]);
    assert!(malformed(&mixed));
    // A seed of 31 bytes; an expanded key of another set's length; parameters present.
    let short = fixtures::seq(&[
        &[0x02, 0x01, 0x00],
        &fixtures::seq(&[&key44.oid()]),
        &fixtures::tlv(0x04, &fixtures::tlv(0x80, &key44.seed[..31])),
    ]);
    assert!(malformed(&short), "31-byte seed");
    let expanded65 = fixtures::Key::generate(18).expanded;
    let wrong_len = fixtures::seq(&[
        &[0x02, 0x01, 0x00],
        &fixtures::seq(&[&key44.oid()]),
        &fixtures::tlv(0x04, &fixtures::tlv(0x04, &expanded65)),
    ]);
    assert!(malformed(&wrong_len));
    let with_params = fixtures::seq(&[
        &[0x02, 0x01, 0x00],
        &fixtures::seq(&[&key44.oid(), &[0x05, 0x00]]),
        &fixtures::tlv(0x04, &fixtures::tlv(0x80, &key44.seed)),
    ]);
    assert!(malformed(&with_params));
    // Expanded keys: an s1 coefficient out of range (a 3-bit field of 7 > 2η; the `ml-dsa`
    // crate's decoder would assert), and ρ, tr or s1 that do not belong together (see src/mldsa.rs
    // for what a probe signature cannot tell).
    let expanded = |bytes: &[u8]| {
        fixtures::seq(&[
            &[0x02, 0x01, 0x00],
            &fixtures::seq(&[&key44.oid()]),
            &fixtures::tlv(0x04, &fixtures::tlv(0x04, bytes)),
        ])
    };
    assert!(PrivateKey::parse(&expanded(&key44.expanded)).is_ok());
    let mut bad = key44.expanded.clone();
    bad[128] |= 0x07;
    assert!(malformed(&expanded(&bad)), "s1 out of range");
    for at in [0, 31, 64, 100, 127, 200, 500] {
        let mut bad = key44.expanded.clone();
        bad[at] ^= 0x01;
        assert!(malformed(&expanded(&bad)), "byte {at} flipped");
    }
}

#[test]
fn hostile_key_bytes_never_panic_or_leak() {
    let mut rng = XorShift(0x6d6c_6473_6134_3421);
    let certificate = cert("mldsa44.pem");
    for (file, rounds) in [("mldsa44.seed.der", 300), ("mldsa44.both.pem", 20)] {
        let original =
            if file.ends_with(".der") { pki().read(file) } else { fixtures::pem_to_der(&pki().read_str(file)) };
        let seed_der = pki().read("mldsa44.seed.der");
        let seed = &seed_der[seed_der.len() - 32..];
        for _ in 0..rounds {
            let mut bytes = original.clone();
            for _ in 0..=rng.below(3) {
                let at = rng.below(bytes.len());
                bytes[at] ^= 1 << rng.below(8);
            }
            match PrivateKey::parse(&bytes) {
                Ok(k) => {
                    let _ = k.check_matches(&certificate);
                    let _ = k.sign(b"m");
                }
                Err(e) => {
                    let text = format!("{e} {e:?}");
                    assert!(!text.contains(&common::hex(seed)), "{file}: error shows the seed");
                }
            }
        }
        for len in (0..original.len()).step_by(7) {
            assert!(PrivateKey::parse(&original[..len]).is_err(), "{file}: prefix {len}");
        }
    }
    // Debug shows the key type only.
    let k = key("mldsa65.both.pem");
    assert_eq!(format!("{k:?}"), "PrivateKey { key_type: MlDsa65, .. }");
}

#[test]
fn certificate_keys_of_the_wrong_length_are_malformed() {
    let key = fixtures::Key::generate(17);
    // A certificate-shaped DER around an SPKI (only the fields the parser reads are real).
    let certificate = |spki: &[u8]| {
        let validity = fixtures::seq(&[&fixtures::tlv(0x17, b"240101000000Z"), &fixtures::tlv(0x17, b"340101000000Z")]);
        let tbs = fixtures::seq(&[
            &fixtures::tlv(0xa0, &[0x02, 0x01, 0x02]),
            &[0x02, 0x01, 0x01],
            &fixtures::seq(&[&key.oid()]),
            &fixtures::seq(&[]),
            &validity,
            &fixtures::seq(&[]),
            spki,
        ]);
        fixtures::seq(&[&tbs, &fixtures::seq(&[&key.oid()]), &fixtures::tlv(0x03, &[0, 1, 2])])
    };
    let parsed = Certificate::from_der(&certificate(&key.spki())).unwrap();
    assert_eq!(parsed.key_type(), Ok(KeyType::MlDsa44));
    assert_eq!(public_key(&parsed).1, key.public);
    let spki = |algorithm: &[u8], public: &[u8]| fixtures::seq(&[algorithm, &fixtures::bit_string(public)]);
    let oid = fixtures::seq(&[&key.oid()]);
    for bad in [
        spki(&oid, &key.public[..1311]),
        spki(&oid, &[key.public.as_slice(), &[0]].concat()),
        spki(&fixtures::seq(&[&key.oid(), &[0x05, 0x00]]), &key.public),
    ] {
        assert!(matches!(
            Certificate::from_der(&certificate(&bad)),
            Err(rolesanywhere::CertificateError::Malformed { field: "subjectPublicKeyInfo" })
        ));
    }
}

/// The independent cross-check. Skipped (with a message) only when there is no `python3`;
/// `dilithium-py` comes from tests/requirements.txt (scripts/setup installs it).
#[test]
fn dilithium_py_agrees() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("SKIPPED dilithium_py_agrees: no python3 on this machine");
        return;
    }
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for (name, key_type) in SETS {
        let leaf = cert(&format!("{name}.pem"));
        let (_, public) = public_key(&leaf);
        let unsigned = CreateSession::new(&leaf, ANCHOR, PROFILE, ROLE).prepare(now()).unwrap();
        let message = unsigned.string_to_sign().as_bytes().to_vec();
        let k = key(&format!("{name}.seed.pem"));
        let signature = k.sign(&message).unwrap();
        let seed_der = pki().read(&format!("{name}.seed.der"));
        let seed = &seed_der[seed_der.len() - 32..];
        cases.push(serde_json::json!({
            "set": name,
            "seed": common::hex(seed),
            "message": common::hex(&message),
            "signature": common::hex(&signature),
        }));
        ours.push((name, key_type, public, message, signature, leaf));
    }
    let mut child = Command::new("python3")
        .args(["-c", PYTHON])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), serde_json::to_string(&cases).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "dilithium-py (pip install -r tests/requirements.txt): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    for ((name, key_type, public, message, signature, leaf), r) in ours.into_iter().zip(results) {
        assert_eq!(r["public"].as_str().unwrap(), common::hex(&public), "{name}: public key from the same seed");
        assert_eq!(r["verifies"], true, "{name}: dilithium-py does not verify our signature");
        assert_eq!(r["tampered_verifies"], false, "{name}");
        let theirs = common::unhex(r["signature"].as_str().unwrap());
        assert!(verify_ml_dsa(key_type, &public, &message, &theirs), "{name}: we do not verify dilithium-py's");
        assert_eq!(theirs, signature, "{name}: deterministic signatures differ");
        // Their encodings of the same key: we read each PKCS#8 form, and the leaf holds their SPKI.
        for form in ["seed", "expanded", "both"] {
            let der = common::unhex(r["pkcs8"][form].as_str().unwrap());
            let k = PrivateKey::parse(&der).unwrap_or_else(|e| panic!("{name} {form}: {e}"));
            assert_eq!(k.sign(&message).unwrap(), signature, "{name} {form}");
            assert_eq!(k.check_matches(&leaf), Ok(()));
        }
        let spki = common::unhex(r["spki"].as_str().unwrap());
        assert!(leaf.der().windows(spki.len()).any(|w| w == spki), "{name}: their SPKI is not in the leaf");
    }
}

const PYTHON: &str = r#"
import json, sys
from dilithium_py.ml_dsa import ML_DSA_44, ML_DSA_65, ML_DSA_87, pkcs
SETS = {"mldsa44": ML_DSA_44, "mldsa65": ML_DSA_65, "mldsa87": ML_DSA_87}
out = []
for c in json.load(sys.stdin):
    m = SETS[c["set"]]
    seed, msg, sig = (bytes.fromhex(c[k]) for k in ("seed", "message", "signature"))
    pk, sk = m.key_derive(seed)
    tampered = bytearray(sig)
    tampered[5] ^= 1
    out.append({
        "public": pk.hex(),
        "verifies": m.verify(pk, msg, sig),
        "tampered_verifies": m.verify(pk, msg, bytes(tampered)),
        "signature": m.sign(sk, msg, deterministic=True).hex(),
        "pkcs8": {f: pkcs.sk_to_der(m, sk=sk, seed=seed, form=f).hex() for f in ("seed", "expanded", "both")},
        "spki": pkcs.pk_to_der(m, pk).hex(),
    })
json.dump(out, sys.stdout)
"#;

/// An ML-DSA key under PBES2 (encrypted here with `pkcs5`, as OpenSSL 3.0 cannot load ML-DSA keys
/// to encrypt them) opens with its password like any other PKCS#8 key.
#[cfg(feature = "encrypted-keys")]
#[test]
fn encrypted_ml_dsa_key() {
    use der::Encode;
    let plain = pki().read("mldsa65.seed.der");
    let kdf = pkcs5::pbes2::Pbkdf2Params::hmac_sha256(2048, &[9u8; 16]).unwrap();
    let parameters = pkcs5::pbes2::Parameters {
        kdf: kdf.into(),
        encryption: pkcs5::pbes2::EncryptionScheme::Aes256Cbc { iv: [3; 16] },
    };
    let ciphertext = parameters.encrypt(b"pq password", &plain).unwrap();
    let algorithm = pkcs5::EncryptionScheme::from(parameters).to_der().unwrap();
    let data = der::asn1::OctetString::new(ciphertext).unwrap().to_der().unwrap();
    let info = fixtures::seq(&[&algorithm, &data]);
    let pem = fixtures::pem("ENCRYPTED PRIVATE KEY", &info);
    assert_eq!(PrivateKey::parse(pem.as_bytes()).unwrap_err(), KeyError::Encrypted);
    assert_eq!(PrivateKey::parse_with_password(pem.as_bytes(), b"pq").unwrap_err(), KeyError::WrongPassword);
    let k = PrivateKey::parse_with_password(pem.as_bytes(), b"pq password").unwrap();
    assert_eq!(k.key_type(), KeyType::MlDsa65);
    assert_eq!(k.check_matches(&cert("mldsa65.pem")), Ok(()));
}

#[test]
fn the_encoded_check_compares_a_pkcs8_v2_public_key_and_the_set() {
    use fixtures::{seq, tlv};
    use rolesanywhere::{check_encoded_key, EncodedKeyCheck};
    for (name, arc) in fixtures::SETS {
        let c = cert(&format!("{name}.pem"));
        // The seed, expanded and both forms carry no public key: only a signature tells.
        for form in ["seed", "expanded", "both"] {
            let file = format!("{name}.{form}.pem");
            assert_eq!(check_encoded_key(&pki().read(&file), &c), Ok(EncodedKeyCheck::Unknown), "{file}");
        }
        // OneAsymmetricKey v2 (RFC 5958 2) with its `publicKey [1] IMPLICIT BIT STRING`.
        let der = fixtures::pem_to_der(&pki().read_str(&format!("{name}.seed.pem")));
        let seed: [u8; 32] = der[der.len() - 32..].try_into().unwrap();
        let own = fixtures::Key::from_seed(arc, seed);
        let v2 = |public: &[u8]| {
            let public = tlv(0x81, &[&[0][..], public].concat());
            seq(&[&[0x02, 0x01, 0x01], &seq(&[&own.oid()]), &tlv(0x04, &tlv(0x80, &seed)), &public])
        };
        assert_eq!(check_encoded_key(&v2(&own.public), &c), Ok(EncodedKeyCheck::Matches), "{name}");
        assert_eq!(PrivateKey::parse(&v2(&own.public)).unwrap().check_matches(&c), Ok(()), "{name}");
        let other = fixtures::Key::generate(arc);
        assert_eq!(check_encoded_key(&v2(&other.public), &c), Err(KeyError::Mismatch), "{name}");
    }
    // A key of another set, and of another type.
    let mldsa65 = cert("mldsa65.pem");
    assert_eq!(check_encoded_key(&pki().read("mldsa44.seed.pem"), &mldsa65), Err(KeyError::Mismatch));
    assert_eq!(check_encoded_key(&pki().read("p256.pkcs8.pem"), &mldsa65), Err(KeyError::Mismatch));
    assert_eq!(check_encoded_key(&pki().read("mldsa65.seed.pem"), &cert("p256.pem")), Err(KeyError::Mismatch));
}
