//! K `rolesanywhere credential-process` runs started at once on one machine, as a shell loop or
//! a fleet of `aws` commands starts them, against `rolesanywhere stand-in` (system clock), with
//! the CLI's cache and without it (`--no-cache`). Each mode gets a fresh stand-in (so a
//! CreateSession quota, if the stand-in enforces one, starts full) and a fresh cache directory.
//!
//! ```sh
//! cargo bench -p rolesanywhere-cli --bench fleet -- [--runs K] [--mode cache|no-cache|both]
//! ```
//!
//! Prints one JSON object per mode on stdout:
//! `{"bench":"credential-process","runs":K,"cache":true,"create_sessions":N,"throttled":T,
//! "failed":F,"p50_ms":…,"p99_ms":…,"max_ms":…,"all_ms":…}`: CreateSessions the stand-in
//! answered with credentials (201), throttled answers it gave (429), runs that exited non-zero,
//! and the time from starting a run to its credentials on stdout (median, 99th percentile,
//! slowest), and until the last run ended. When runs fail, the stand-in's log goes to stderr;
//! the exit status is non-zero only when no run got credentials (failures from throttling are a
//! result, not an error of the bench).

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::ffi::OsString;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let mut runs = 200usize;
    let mut modes = vec![true, false];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => match args.next().and_then(|v| v.parse().ok()).filter(|&k| k > 0) {
                Some(k) => runs = k,
                None => return usage("--runs takes a positive number"),
            },
            "--mode" => {
                modes = match args.next().as_deref() {
                    Some("cache") => vec![true],
                    Some("no-cache") => vec![false],
                    Some("both") => vec![true, false],
                    _ => return usage("--mode takes cache, no-cache or both"),
                }
            }
            // `cargo bench` passes --bench to every bench binary.
            "--bench" => {}
            other => return usage(&format!("unknown argument {other:?}")),
        }
    }
    let pki = common::shared();
    for cache in modes {
        let result = measure(pki, runs, cache);
        println!("{result}");
        if result["failed"] != 0 && result["create_sessions"] == 0 {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("fleet: {problem}\nusage: cargo bench -p rolesanywhere-cli --bench fleet -- [--runs K] [--mode cache|no-cache|both]");
    ExitCode::from(2)
}

/// Starts `runs` credential-process runs at once against a fresh stand-in and measures them.
fn measure(pki: &common::Pki, runs: usize, cache: bool) -> serde_json::Value {
    let stand_in = support::stand_in(&support::guide_config(pki), None);
    let dir = tempfile::tempdir().expect("a cache directory");
    let mut args = support::leaf_args(pki, "p256", &stand_in.base);
    if cache {
        args.extend(["--cache-dir".into(), dir.path().join("cache").into()]);
    } else {
        args.push(OsString::from("--no-cache"));
    }
    let started = Instant::now();
    let waiters: Vec<_> = (0..runs)
        .map(|_| {
            let begun = Instant::now();
            let child = Command::new(env!("CARGO_BIN_EXE_rolesanywhere"))
                .arg("credential-process")
                .args(&args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start credential-process");
            std::thread::spawn(move || {
                let out = child.wait_with_output().expect("wait for credential-process");
                (out.status.success() && !out.stdout.is_empty(), begun.elapsed())
            })
        })
        .collect();
    let mut times = Vec::with_capacity(runs);
    let mut failed = 0;
    for waiter in waiters {
        let (ok, took) = waiter.join().expect("a waiting thread");
        if ok {
            times.push(took);
        } else {
            failed += 1;
        }
    }
    let all = started.elapsed();
    // The stand-in logs each request after answering it; give the last lines time to arrive.
    std::thread::sleep(Duration::from_millis(300));
    let log = stand_in.log();
    let sessions = |status: &str| log.lines().filter(|l| l.starts_with(&format!("POST /sessions -> {status}"))).count();
    if failed > 0 {
        eprintln!("{failed} of {runs} runs failed; the stand-in's log:\n{log}");
    }
    times.sort();
    let ms = |d: Option<&Duration>| d.map(|d| (d.as_secs_f64() * 1e4).round() / 10.0);
    let percentile = |p: usize| ms(times.get((times.len() * p).div_ceil(100).saturating_sub(1)));
    serde_json::json!({
        "bench": "credential-process",
        "runs": runs,
        "cache": cache,
        "create_sessions": sessions("201"),
        "throttled": sessions("429"),
        "failed": failed,
        "p50_ms": percentile(50),
        "p99_ms": percentile(99),
        "max_ms": ms(times.last()),
        "all_ms": ms(Some(&all)),
    })
}
