//! The JS package's error codes are the core's: the `ErrorCode` union of `pkg/index.d.ts` lists
//! exactly `ErrorCode::ALL`, in its order, and every code the package's own JS throws is one of
//! them. Fails on drift, whichever side moved.

use std::path::Path;

use rolesanywhere::ErrorCode;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The string literals of `export type ErrorCode = "A" | "B" …;`.
fn union(dts: &str) -> Vec<String> {
    let start = dts.find("export type ErrorCode =").expect("pkg/index.d.ts declares `export type ErrorCode`");
    let body = &dts[start..];
    let body = &body[..body.find(';').expect("the ErrorCode union ends with ';'")];
    body.split('"').skip(1).step_by(2).map(String::from).collect()
}

/// The codes given as string literals right after each `pattern` in `js`.
fn codes_after(js: &str, pattern: &str) -> Vec<String> {
    js.match_indices(pattern)
        .filter_map(|(at, _)| js[at + pattern.len()..].split('"').next())
        .map(String::from)
        .collect()
}

#[test]
fn the_d_ts_union_is_the_core_list() {
    let core: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let dts = union(&read("pkg/index.d.ts"));
    assert_eq!(dts, core, "pkg/index.d.ts `ErrorCode` must list ErrorCode::ALL (src/error.rs), in order");
}

#[test]
fn every_code_the_js_throws_is_a_core_code() {
    let mut seen = 0;
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("pkg")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "js") {
            continue;
        }
        let js = std::fs::read_to_string(&path).unwrap();
        for code in codes_after(&js, "fail(\"").into_iter().chain(codes_after(&js, ".code = \"")) {
            assert!(
                ErrorCode::from_name(&code).is_some(),
                "{}: code {code:?} is not in ErrorCode::ALL",
                path.display()
            );
            seen += 1;
        }
    }
    assert!(seen >= 10, "only {seen} codes found in pkg/*.js: has the `fail(code, …)` helper changed?");
}

#[test]
fn the_extractors_read_what_they_should() {
    assert_eq!(
        union("x\nexport type ErrorCode =\n    | \"A\" | \"B\"\n    | \"C\";\nexport type Y = \"D\";"),
        ["A", "B", "C"]
    );
    assert_eq!(codes_after("throw fail(\"Network\", `…`); e.code = \"Internal\";", "fail(\""), ["Network"]);
}
