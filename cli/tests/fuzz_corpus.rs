//! Replays the minimised fuzz corpora (`fuzz/corpus/TARGET/`, written by `scripts/fuzz`) through
//! the fuzz targets' bodies (`fuzz/src/lib.rs`, compiled here as a module) without libFuzzer, so
//! that every run of the suite checks each input again: no panic, and every property a target
//! asserts. It lives in the CLI's tests because the targets' dependencies (serde, serde_json,
//! x509-cert) are the CLI's; the core's `fuzzing` feature reaches the JS↔wasm wire codec.

#[path = "../../fuzz/src/lib.rs"]
mod targets;

use std::path::Path;

/// The targets whose corpus is committed (issue 15); each must have inputs.
const COMMITTED: [&str; 6] = ["arn", "endpoint", "json_reader", "json_writer", "wire", "x509_differential"];

#[test]
fn every_corpus_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    for &(name, target) in targets::TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(name)) else {
            assert!(!COMMITTED.contains(&name), "fuzz/corpus/{name} is missing");
            continue;
        };
        let mut inputs: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        inputs.sort();
        assert!(!inputs.is_empty() || !COMMITTED.contains(&name), "fuzz/corpus/{name} is empty");
        for path in inputs {
            let data = std::fs::read(&path).unwrap();
            if std::panic::catch_unwind(|| target(&data)).is_err() {
                panic!("fuzz target {name} fails on {}", path.display());
            }
        }
    }
}
