#![no_main]

use libfuzzer_sys::fuzz_target;
use rolesanywhere::sigv4::{self, Key, Payload, Request, Settings};
use rolesanywhere::Time;

// Input: method, URL, service, region, then header lines `name:value`, all separated by '\n';
// the whole input is also the body. Signing and presigning must return Ok or a SigV4Error.
fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\n');
    let method = parts.next().unwrap_or("");
    let url = parts.next().unwrap_or("");
    let service = parts.next().unwrap_or("");
    let region = parts.next().unwrap_or("");
    let headers: Vec<(&str, &str)> = parts.map(|line| line.split_once(':').unwrap_or((line, ""))).collect();
    let key = Key { access_key_id: "AKID", secret_access_key: "secret", session_token: Some("token") };
    let time = Time::from_unix_seconds(1_700_000_000).unwrap();
    for payload in [Payload::Bytes(data), Payload::Unsigned] {
        let request = Request { method, url, headers: &headers, payload };
        let settings = Settings::new(service, region, time);
        let _ = sigv4::sign(&request, &key, &settings);
        let _ = sigv4::presign(&request, &key, &settings, 3600);
    }
});
