#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rolesanywhere_fuzz::response(data));
