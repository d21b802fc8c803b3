//! Build + sign one `CreateSession` request per algorithm (parsing excluded: the certificate
//! and key are parsed once, as a long-running client would).
//!
//! Compare the medians with `openssl speed -seconds 3 ecdsap256 ecdsap384 rsa2048` run on the
//! same machine in the same session (`scripts/bench` prints both). ML-DSA-44/65/87 have no
//! `openssl speed` counterpart on OpenSSL 3.0 (ML-DSA arrived in 3.5); `mldsa_sign_only` is the
//! bare signature of a string-to-sign-sized message, to show what the request around it costs.
//! Their fixtures come from tests/common/mldsa.rs (the `ml-dsa` crate's keygen).
//!
//! `sigv4_sign/sts_cached_key` is the core part of the JS `signRequest` that
//! `scripts/bench-sigv4` times (the same STS request and credentials as
//! tests/js/bench-sigv4-lib.js), signed through a warm `KeyCache` as `SigV4Signer` does.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/common/mldsa.rs"]
mod mldsa;

use std::path::PathBuf;
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion};
use rolesanywhere::{parse_intermediates, Certificate};
use rolesanywhere::{CreateSession, PrivateKey, Time};

const ANCHOR: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111";
const PROFILE: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:profile/a1b2c3d4-5678-90ab-cdef-EXAMPLE22222";
const ROLE: &str = "arn:aws:iam::123456789012:role/demo";

fn pki() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rolesanywhere-bench-{}", std::process::id()));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/pki/generate.sh");
    let status = Command::new("bash").arg(script).arg(&dir).stdout(std::process::Stdio::null()).status().unwrap();
    assert!(status.success(), "tests/pki/generate.sh failed");
    dir
}

fn bench(c: &mut Criterion) {
    let dir = pki();
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let now = Time::parse_rfc3339("2024-06-01T12:00:30Z").unwrap();
    let chain = parse_intermediates(&read("chain.pem")).unwrap();
    mldsa::write(&dir);
    let mut group = c.benchmark_group("create_session_build_and_sign");
    let mut sign_only = Vec::new();
    for (name, cert, key) in [
        ("ecdsa-p256", "p256.pem", "p256.pkcs8.pem"),
        ("ecdsa-p384", "p384.pem", "p384.pkcs8.pem"),
        ("rsa-2048", "rsa2048.pem", "rsa2048.pkcs8.pem"),
        ("mldsa-44", "mldsa44.pem", "mldsa44.seed.pem"),
        ("mldsa-65", "mldsa65.pem", "mldsa65.seed.pem"),
        ("mldsa-87", "mldsa87.pem", "mldsa87.seed.pem"),
    ] {
        let leaf = Certificate::parse(&read(cert)).unwrap();
        let key = PrivateKey::parse(&read(key)).unwrap();
        // Each iteration signs for another second: ML-DSA signing repeats a rejection loop a
        // message-dependent number of times (FIPS 204: 3.85 to 5.1 on average by parameter set),
        // so its median is over many strings to sign, not one lucky or unlucky message.
        let mut second = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                second = (second + 1) % 256;
                CreateSession::new(&leaf, ANCHOR, PROFILE, ROLE)
                    .intermediates(&chain)
                    .prepare(now.saturating_add(second))
                    .unwrap()
                    .sign(&key)
                    .unwrap()
            })
        });
        if name.starts_with("mldsa") {
            sign_only.push((name, key));
        }
    }
    group.finish();
    // The request work of a signature made elsewhere (WebCrypto, an HSM): prepare, then finish
    // with a signature made once. `options` checks the options on every request, as
    // `CreateSession::prepare` does; `template` reuses a `RequestTemplate` built once, as the JS
    // bindings do while the options stay the same.
    let mut group = c.benchmark_group("create_session_prepare_finish");
    let leaf = Certificate::parse(&read("p256.pem")).unwrap();
    let key = PrivateKey::parse(&read("p256.pkcs8.pem")).unwrap();
    let options = rolesanywhere::CreateSessionOptions::new(ANCHOR, PROFILE, ROLE);
    let template = rolesanywhere::RequestTemplate::new(&options).unwrap();
    let signature = {
        use rolesanywhere::Signer;
        key.sign(CreateSession::new(&leaf, ANCHOR, PROFILE, ROLE).prepare(now).unwrap().string_to_sign().as_bytes())
            .unwrap()
    };
    group.bench_function("options", |b| {
        b.iter(|| CreateSession::from_options(&leaf, &options).prepare(now).unwrap().finish(&signature).unwrap())
    });
    group.bench_function("template", |b| {
        b.iter(|| template.prepare(&leaf, &[], now).unwrap().finish(&signature).unwrap())
    });
    group.finish();
    let mut group = c.benchmark_group("mldsa_sign_only");
    // Strings to sign are ~250 bytes (algorithm, date, scope, canonical-request hash); 256 of
    // them, for the reason above.
    let messages: Vec<Vec<u8>> = (0..=255u8).map(|i| [&[i][..], &[b'x'; 249]].concat()).collect();
    for (name, key) in &sign_only {
        use rolesanywhere::Signer;
        let mut i = 0;
        group.bench_function(*name, |b| {
            b.iter(|| {
                i = (i + 1) % messages.len();
                key.sign(&messages[i]).unwrap()
            })
        });
    }
    group.finish();
    sigv4(c);
    let leaf_pem = read("p256.pem");
    c.bench_function("parse_certificate_pem", |b| b.iter(|| Certificate::parse(&leaf_pem).unwrap()));
    let _ = std::fs::remove_dir_all(&dir);
}

/// One signed STS request (POST, form body, content-type, a 432-character session token) with
/// a signing key kept by a `KeyCache`, as the JS `SigV4Signer` signs it.
fn sigv4(c: &mut Criterion) {
    use rolesanywhere::sigv4::{Key, KeyCache, Payload, Request, Settings};
    let token = "FwoGZXIvYXdzEBYaDExampleSessionTokenForTheBenchOnly/+=".repeat(8);
    let key = Key {
        access_key_id: "ASIAEXAMPLEEXAMPLE12",
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        session_token: Some(&token),
    };
    let headers = [("content-type", "application/x-www-form-urlencoded; charset=utf-8")];
    let request = Request {
        method: "POST",
        url: "https://sts.us-east-1.amazonaws.com/",
        headers: &headers,
        payload: Payload::Bytes(b"Action=GetCallerIdentity&Version=2011-06-15"),
    };
    let settings = Settings::new("sts", "us-east-1", Time::parse_rfc3339("2026-03-01T12:34:56Z").unwrap());
    let mut cache = KeyCache::new();
    let mut group = c.benchmark_group("sigv4_sign");
    group.bench_function("sts_cached_key", |b| b.iter(|| cache.sign(&request, &key, &settings).unwrap()));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
