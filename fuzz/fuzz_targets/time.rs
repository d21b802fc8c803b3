#![no_main]

use libfuzzer_sys::fuzz_target;
use rolesanywhere::Time;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = core::str::from_utf8(data) else { return };
    if let Ok(t) = Time::parse_rfc3339(input) {
        let printed = t.to_string();
        assert_eq!(Time::parse_rfc3339(&printed), Ok(t), "{input:?} printed as {printed:?}");
        let _ = (t.amz_date(), t.date_stamp(), t.to_utc());
    }
});
