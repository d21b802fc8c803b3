//! The input forms of the commands that sign (issue 12), end to end: `credential-process`
//! signs in to the stand-in (which checks the signature, the chain up to its trust anchors and
//! the role's trust policy) with encrypted PKCS#8 keys (each PBES2 PRF and cipher, scrypt; PEM
//! and DER) opened by `--pkcs8-password` or `--pkcs8-password-file`, PKCS#12 files made by
//! `openssl pkcs12 -export` (`--pkcs12-password`, `--pkcs12-password-file`), full-chain
//! certificate files (the anchors hold only roots, so the intermediate must come from the
//! file), and inputs from standard input (`-`) and the environment (`env:NAME`). Wrong, missing
//! and misplaced passwords, legacy PKCS#12 (RC2, 3DES, a SHA-1 MAC: the core refuses them) and
//! two inputs on standard input are refused with
//! one line that never holds the password. `sign-request --explain` names each input's form and
//! the algorithm.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::Pki;
use serde_json::Value;
use support::Server;

fn pki() -> &'static Pki {
    common::shared()
}

/// A password no fixture has, to find in stderr if it leaked.
const WRONG: &str = "Wr0ng-Pa55word";

struct Run {
    success: bool,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Signed in: credentials of the stand-in's role account.
    fn assert_signed_in(&self, what: &str) {
        assert!(self.success, "{what}: {}", self.stderr);
        let json: Value = serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{what}: {e}: {}", self.stdout));
        assert!(json["AccessKeyId"].as_str().unwrap().starts_with("ASIA"), "{what}: {json}");
        assert_eq!(json["AccountId"], support::ACCOUNT, "{what}: {json}");
    }

    /// Refused with one `error: ` line holding each of `parts`, no password in it.
    fn assert_refused(&self, what: &str, parts: &[&str]) {
        assert!(!self.success, "{what}: succeeded");
        assert!(self.stdout.is_empty(), "{what}: stdout {}", self.stdout);
        assert_eq!(self.stderr.lines().count(), 1, "{what}: {}", self.stderr);
        assert!(self.stderr.starts_with("error: "), "{what}: {}", self.stderr);
        for part in parts {
            assert!(self.stderr.contains(part), "{what}: no {part:?} in {}", self.stderr);
        }
        assert!(!self.stderr.contains(WRONG) && !self.stderr.contains("pass:"), "{what}: {}", self.stderr);
    }
}

/// `rolesanywhere COMMAND` with the three ARNs, `inputs` (the input and password flags), and
/// `more`; `stdin` piped in, `env` set.
fn run(command: &str, inputs: &[OsString], more: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rolesanywhere"));
    child.arg(command).args(inputs).args(more);
    for (flag, value) in
        [("--trust-anchor-arn", common::ANCHOR), ("--profile-arn", common::PROFILE), ("--role-arn", common::ROLE)]
    {
        child.args([flag, value]);
    }
    let mut child = child
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rolesanywhere");
    // The command may end before it reads standard input (it is read only for `-`).
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let out = child.wait_with_output().unwrap();
    Run {
        success: out.status.success(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// `credential-process --no-cache --endpoint` the stand-in.
fn sign_in(stand_in: &Server, inputs: &[OsString], env: &[(&str, &str)], stdin: &[u8]) -> Run {
    run("credential-process", inputs, &["--no-cache", "--endpoint", &stand_in.base], env, stdin)
}

/// `[flag, value, …]` as arguments; values naming a fixture (`@NAME`) become its path.
fn flags(list: &[&str]) -> Vec<OsString> {
    list.iter().map(|a| a.strip_prefix('@').map_or_else(|| OsString::from(a), |name| pki().path(name).into())).collect()
}

fn stand_in() -> Server {
    support::stand_in(&support::guide_config(pki()), None)
}

/// A password file holding `test` and a newline, as `echo test > file` writes it.
fn password_file(dir: &Path) -> String {
    let path = dir.join("password");
    std::fs::write(&path, format!("{}\n", common::PASSWORD)).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn encrypted_pkcs8_keys_with_each_prf_and_cipher() {
    let stand_in = stand_in();
    let tmp = tempfile::tempdir().unwrap();
    let file = password_file(tmp.path());
    let keys = [
        "p256.pkcs8-encrypted.pem",
        "p256.pkcs8-aes128-sha256.pem",
        "p256.pkcs8-aes256-sha1.pem",
        "p256.pkcs8-aes128-sha1.pem",
        "p256.pkcs8-scrypt.pem",
    ];
    for (i, key) in keys.iter().enumerate() {
        let key = format!("@{key}");
        let password =
            if i % 2 == 0 { ["--pkcs8-password-file", &file] } else { ["--pkcs8-password", common::PASSWORD] };
        let inputs = [
            flags(&["--certificate", "@p256.pem", "--private-key", &key, "--intermediates", "@chain.pem"]),
            flags(&password),
        ]
        .concat();
        sign_in(&stand_in, &inputs, &[], b"").assert_signed_in(&key);
    }
    // DER, P-384, the password from the environment.
    let der = flags(&[
        "--certificate",
        "@p384.cert.der",
        "--private-key",
        "@p384.pkcs8-encrypted.der",
        "--intermediates",
        "@chain.pem",
        "--pkcs8-password-file",
        "env:KEY_PASSWORD",
    ]);
    sign_in(&stand_in, &der, &[("KEY_PASSWORD", common::PASSWORD)], b"").assert_signed_in("DER");
    stand_in.assert_logged_times("POST /sessions -> 201 ok", keys.len() + 1);

    let encrypted = flags(&["--certificate", "@p256.pem", "--private-key", "@p256.pkcs8-encrypted.pem"]);
    let wrong = [encrypted.clone(), flags(&["--pkcs8-password", WRONG])].concat();
    sign_in(&stand_in, &wrong, &[], b"")
        .assert_refused("wrong password", &["--private-key", "the password does not decrypt the private key"]);
    std::fs::write(&file, WRONG).unwrap();
    let wrong_file = [encrypted.clone(), flags(&["--pkcs8-password-file", &file])].concat();
    sign_in(&stand_in, &wrong_file, &[], b"").assert_refused("wrong password file", &["does not decrypt"]);
    sign_in(&stand_in, &encrypted, &[], b"")
        .assert_refused("no password", &["needs a password", "--pkcs8-password-file FILE"]);
    let both = [encrypted, flags(&["--pkcs8-password", "x", "--pkcs8-password-file", &file])].concat();
    sign_in(&stand_in, &both, &[], b"").assert_refused("both password flags", &["--pkcs8-password"]);
    // Schemes the core refuses: PBES1, PBES2 with 3DES.
    for key in ["@p256.pkcs8-pbes1.pem", "@p256.pkcs8-pbes2-3des.pem"] {
        let inputs = flags(&["--certificate", "@p256.pem", "--private-key", key, "--pkcs8-password", common::PASSWORD]);
        sign_in(&stand_in, &inputs, &[], b"").assert_refused(key, &["not supported"]);
    }
    stand_in.assert_logged_times("POST /sessions -> 201 ok", keys.len() + 1);
}

#[test]
fn pkcs12_files_from_openssl() {
    let stand_in = stand_in();
    let tmp = tempfile::tempdir().unwrap();
    let file = password_file(tmp.path());
    // The chain is in the file (no --intermediates), except for the one made without it.
    for (p12, password) in [
        ("@p256.p12", ["--pkcs12-password-file", file.as_str()]),
        ("@rsa2048.p12", ["--pkcs12-password", common::PASSWORD]),
    ] {
        let inputs = flags(&[&["--certificate", p12][..], &password].concat());
        sign_in(&stand_in, &inputs, &[], b"").assert_signed_in(p12);
    }
    let plain = flags(&[
        "--certificate",
        "@p384-plain.p12",
        "--pkcs12-password",
        common::PASSWORD,
        "--intermediates",
        "@chain.pem",
    ]);
    sign_in(&stand_in, &plain, &[], b"").assert_signed_in("unencrypted bags");

    let p12 = flags(&["--certificate", "@p256.p12"]);
    let cases: [(&str, Vec<OsString>, &[&str]); 7] = [
        ("wrong password", flags(&["--pkcs12-password", WRONG]), &["the password does not open the PKCS#12 file"]),
        ("no password", vec![], &["needs a password", "--pkcs12-password-file FILE"]),
        (
            "a key as well",
            flags(&["--pkcs12-password", common::PASSWORD, "--private-key", "@p256.pkcs8.pem"]),
            &["omit --private-key"],
        ),
        ("the PKCS#8 password", flags(&["--pkcs8-password", common::PASSWORD]), &["--pkcs12-password"]),
        ("no key inside", flags(&["--pkcs12-password", common::PASSWORD]), &["no private key"]),
        ("legacy", flags(&["--pkcs12-password", common::PASSWORD]), &["legacy", "re-export it"]),
        ("3DES", flags(&["--pkcs12-password", common::PASSWORD]), &["legacy", "re-export it"]),
    ];
    for (what, more, parts) in cases {
        let certificate = match what {
            "no key inside" => flags(&["--certificate", "@p256-nokey.p12"]),
            "legacy" => flags(&["--certificate", "@p256-legacy.p12"]),
            "3DES" => flags(&["--certificate", "@p256-3des.p12"]),
            _ => p12.clone(),
        };
        sign_in(&stand_in, &[certificate, more].concat(), &[], b"").assert_refused(what, parts);
    }
    let not_p12 = flags(&["--certificate", "@p256.pem", "--private-key", "@p256.pkcs8.pem", "--pkcs12-password", "x"]);
    sign_in(&stand_in, &not_p12, &[], b"").assert_refused("not PKCS#12", &["is not a PKCS#12 file"]);
    stand_in.assert_logged_times("POST /sessions -> 201 ok", 3);
}

#[test]
fn full_chain_certificate_files() {
    let stand_in = stand_in();
    // The anchors are roots: without the intermediate the stand-in refuses the leaf.
    let leaf_only = flags(&["--certificate", "@p256.pem", "--private-key", "@p256.pkcs8.pem"]);
    assert!(!sign_in(&stand_in, &leaf_only, &[], b"").success);
    let full = flags(&["--certificate", "@p256-fullchain.pem", "--private-key", "@p256.pkcs8.pem"]);
    sign_in(&stand_in, &full, &[], b"").assert_signed_in("full chain");
    let with_root = flags(&["--certificate", "@rsa2048-fullchain-root.pem", "--private-key", "@rsa2048.pkcs8.pem"]);
    sign_in(&stand_in, &with_root, &[], b"").assert_signed_in("full chain with its root");
    // With --intermediates naming the same CA, it is sent once.
    let both = [full.clone(), flags(&["--intermediates", "@chain.pem"])].concat();
    sign_in(&stand_in, &both, &[], b"").assert_signed_in("full chain and --intermediates");
    let signed = run("sign-request", &both, &["--date", common::DATE], &[], b"");
    assert!(signed.success, "{}", signed.stderr);
    let request: Value = serde_json::from_str(&signed.stdout).unwrap();
    assert_eq!(request["headers"]["X-Amz-X509-Chain"], pki().pem_bodies("chain.pem").join(","));
    // A CA first is not a leaf.
    let ca_first = flags(&["--certificate", "@bundle.pem", "--private-key", "@p256.pkcs8.pem"]);
    sign_in(&stand_in, &ca_first, &[], b"").assert_refused("a CA first", &["put the leaf first"]);
}

#[test]
fn inputs_from_standard_input_and_the_environment() {
    let stand_in = stand_in();
    let certificate = pki().read("p256-fullchain.pem");
    let key = pki().read("p256.pkcs8.pem");
    let from_stdin = flags(&["--certificate", "-", "--private-key", "@p256.pkcs8.pem"]);
    sign_in(&stand_in, &from_stdin, &[], &certificate).assert_signed_in("--certificate -");
    let key_stdin = flags(&["--certificate", "@p256-fullchain.pem", "--private-key", "-"]);
    sign_in(&stand_in, &key_stdin, &[], &key).assert_signed_in("--private-key -");
    // A PKCS#12 file (binary) on standard input, its password from the environment.
    let p12 = flags(&["--certificate", "-", "--pkcs12-password-file", "env:P12_PASSWORD"]);
    sign_in(&stand_in, &p12, &[("P12_PASSWORD", common::PASSWORD)], &pki().read("p256.p12"))
        .assert_signed_in("PKCS#12 -");
    let password_stdin = flags(&["--certificate", "@p256-fullchain.pem", "--private-key", "@p256.pkcs8-encrypted.pem"]);
    let password_stdin = [password_stdin, flags(&["--pkcs8-password-file", "-"])].concat();
    sign_in(&stand_in, &password_stdin, &[], b"test\n").assert_signed_in("--pkcs8-password-file -");

    let from_env = flags(&["--certificate", "env:APP_CERT", "--private-key", "env:APP_KEY"]);
    let env = [("APP_CERT", pki().read_str("p256-fullchain.pem")), ("APP_KEY", pki().read_str("p256.pkcs8.pem"))];
    let env: Vec<(&str, &str)> = env.iter().map(|(n, v)| (*n, v.as_str())).collect();
    sign_in(&stand_in, &from_env, &env, b"").assert_signed_in("env:");
    stand_in.assert_logged_times("POST /sessions -> 201 ok", 5);

    sign_in(&stand_in, &from_env, &env[..1], b"")
        .assert_refused("unset", &["cannot read --private-key env:APP_KEY: the environment variable is not set"]);
    let two = flags(&["--certificate", "-", "--private-key", "-"]);
    sign_in(&stand_in, &two, &[], &certificate)
        .assert_refused("two on stdin", &["only one input can be standard input (-)", "--certificate, --private-key"]);
    // A file whose name starts with `env:` is reached as ./env:…
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(pki().path("p256.pkcs8.pem"), tmp.path().join("env:KEY")).unwrap();
    let odd =
        [flags(&["--certificate", "@p256-fullchain.pem", "--private-key"]), vec![tmp.path().join("env:KEY").into()]]
            .concat();
    sign_in(&stand_in, &odd, &[], b"").assert_signed_in("a file named env:KEY");
}

/// `--explain` names where each input came from, its form and the algorithm, and never a
/// password.
#[test]
fn explain_shows_the_forms_and_the_algorithm() {
    let dir = pki().path("");
    let explain = |inputs: &[OsString], env: &[(&str, &str)], stdin: &[u8]| {
        let out = run("sign-request", inputs, &["--date", common::DATE, "--explain"], env, stdin);
        assert!(out.success, "{}", out.stderr);
        let stderr = out.stderr.replace(dir.to_str().unwrap(), "");
        let (_, rest) = stderr.split_once("== inputs\n").unwrap();
        let (inputs, rest) = rest.split_once("\n== certificate\n").unwrap();
        let algorithm = rest.lines().find_map(|l| l.strip_prefix("algorithm: ")).unwrap().to_string();
        // The fixtures' one password is nowhere in it.
        assert!(!stderr.contains(common::PASSWORD), "{stderr}");
        (inputs.to_string(), algorithm)
    };
    let p12 = flags(&["--certificate", "-", "--pkcs12-password-file", "env:P12_PASSWORD"]);
    assert_eq!(
        explain(&p12, &[("P12_PASSWORD", common::PASSWORD)], &pki().read("rsa2048.p12")),
        (
            "certificate: (standard input): PKCS#12 with the leaf, its private key and 1 other certificate(s)\n\
             private key: from the PKCS#12 file\n\
             sent in X-Amz-X509-Chain: 1 intermediate(s)"
                .to_string(),
            "AWS4-X509-RSA-SHA256".to_string()
        )
    );
    let encrypted = flags(&[
        "--certificate",
        "@p256-fullchain.pem",
        "--private-key",
        "env:APP_KEY",
        "--pkcs8-password",
        common::PASSWORD,
        "--intermediates",
        "@chain.pem",
    ]);
    let key = pki().read_str("p256.pkcs8-encrypted.pem");
    assert_eq!(
        explain(&encrypted, &[("APP_KEY", &key)], b"").0,
        "certificate: \"p256-fullchain.pem\": PEM full chain, the leaf and 1 intermediate(s)\n\
         private key: env:APP_KEY: PEM ENCRYPTED PRIVATE KEY, decrypted with the password of --pkcs8-password\n\
         intermediates: \"chain.pem\": 1 certificate(s)\n\
         sent in X-Amz-X509-Chain: 1 intermediate(s)"
    );
    let der = flags(&["--certificate", "@p384.cert.der", "--private-key", "@p384.sec1.der"]);
    assert_eq!(
        explain(&der, &[], b""),
        (
            "certificate: \"p384.cert.der\": DER\n\
             private key: \"p384.sec1.der\": DER\n\
             sent in X-Amz-X509-Chain: 0 intermediate(s)"
                .to_string(),
            "AWS4-X509-ECDSA-SHA256".to_string()
        )
    );
}

/// `serve` answers a client with the failure's code from the core's list: `WrongPassword`,
/// `EncryptedKey` (a password is needed), `InvalidPkcs12` (a legacy file); the password is in
/// neither the answer nor the log.
#[test]
fn serve_answers_with_the_core_s_codes() {
    let stand_in = stand_in();
    let tmp = tempfile::tempdir().unwrap();
    let token = tmp.path().join("token");
    std::fs::write(&token, "a-token").unwrap();
    let encrypted = ["--certificate", "@p256-fullchain.pem", "--private-key", "@p256.pkcs8-encrypted.pem"];
    let cases: [(&[&str], &str); 5] = [
        (&[&encrypted[..], &["--pkcs8-password", WRONG]].concat(), "WrongPassword"),
        (&encrypted, "EncryptedKey"),
        (&["--certificate", "@p256.p12", "--pkcs12-password", WRONG], "WrongPassword"),
        (&["--certificate", "@p256-legacy.p12", "--pkcs12-password", common::PASSWORD], "InvalidPkcs12"),
        (&[&encrypted[..], &["--pkcs8-password", common::PASSWORD]].concat(), ""),
    ];
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).proxy(None).build().into();
    for (inputs, code) in cases {
        let mut args = flags(inputs);
        for (flag, value) in
            [("--trust-anchor-arn", common::ANCHOR), ("--profile-arn", common::PROFILE), ("--role-arn", common::ROLE)]
        {
            args.extend([flag.into(), value.into()]);
        }
        args.extend(["--endpoint".into(), stand_in.base.clone().into(), "--no-cache".into()]);
        let serve = support::serve_with(&args, Some(&token));
        let mut response =
            agent.get(format!("{}/credentials", serve.base)).header("authorization", "a-token").call().unwrap();
        let body: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        if code.is_empty() {
            assert_eq!(response.status(), 200, "{body}");
            assert_eq!(body["AccountId"], support::ACCOUNT, "{body}");
        } else {
            assert_eq!(body["Code"], code, "{inputs:?}: {body}");
            assert!(!body.to_string().contains(WRONG) && !serve.log().contains(WRONG), "{body}\n{}", serve.log());
        }
    }
}
