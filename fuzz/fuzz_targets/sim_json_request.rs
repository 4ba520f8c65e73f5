//! xpm-sim's JSON request documents (`Doc::from_json`): any bytes that are
//! JSON, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        xpm_sim::fuzzing::read_json_request(&value);
    }
});
