#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let status = u16::from_be_bytes([data[0], data[1]]);
    match rolesanywhere::parse_response(status, None, &data[2..]) {
        Ok(session) => drop(session.credentials.expiration().to_string()),
        Err(e) => drop(e.to_string()),
    }
});
