#![no_main]

use libfuzzer_sys::fuzz_target;
use rolesanywhere::PrivateKey;

fuzz_target!(|data: &[u8]| {
    match PrivateKey::parse(data) {
        Ok(key) => drop(key.key_type().to_string()),
        Err(e) => drop(e.to_string()),
    }
});
