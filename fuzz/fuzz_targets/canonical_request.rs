#![no_main]

use libfuzzer_sys::fuzz_target;
use rolesanywhere::sigv4::{payload_hash, uri_encode_into, CanonicalRequest, PathOptions};

// Input: method, path, query, then header lines `name:value`, all separated by '\n'.
fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\n');
    let method = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("");
    let query = parts.next().unwrap_or("");
    let headers: Vec<(&str, &str)> = parts.map(|line| line.split_once(':').unwrap_or((line, ""))).collect();
    let hash = payload_hash(data);
    let mut encoded = String::new();
    uri_encode_into(path, true, &mut encoded);
    uri_encode_into(query, false, &mut encoded);
    for options in [PathOptions::DEFAULT, PathOptions::S3] {
        let request = CanonicalRequest::new(method, path, query, &headers, &hash, options);
        let _ = request.as_str();
        let _ = request.signed_headers();
        let _ = request.hash_hex();
    }
});
