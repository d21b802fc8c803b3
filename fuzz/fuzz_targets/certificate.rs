#![no_main]

use libfuzzer_sys::fuzz_target;
use rolesanywhere::Certificate;
use rolesanywhere::Time;

fn exercise(cert: &Certificate) {
    let _ = cert.der();
    let _ = cert.serial_number();
    let _ = cert.serial_bytes();
    let _ = cert.version();
    let _ = cert.not_before().to_string();
    let _ = cert.not_after().to_string();
    let _ = cert.subject_common_name();
    let _ = cert.issuer_common_name();
    let _ = cert.public_key().key_type();
    let _ = cert.key_type();
    let _ = cert.uri_sans();
    let _ = cert.dns_sans();
    let _ = cert.is_ca();
    let _ = cert.check_end_entity(Time::UNIX_EPOCH);
    let _ = cert.check_end_entity(cert.not_before());
}

fuzz_target!(|data: &[u8]| {
    match rolesanywhere::parse_certificates(data) {
        Ok(certs) => certs.iter().for_each(exercise),
        Err(e) => drop(e.to_string()),
    }
    let _ = rolesanywhere::parse_intermediates(data);
    if let Ok(cert) = Certificate::parse(data) {
        exercise(&cert);
    }
    if let Ok(cert) = Certificate::from_der(data) {
        exercise(&cert);
    }
});
