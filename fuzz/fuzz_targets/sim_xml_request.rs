//! xpm-sim's XML request parsing (`xml::parse`, then the request document
//! every endpoint reads): any bytes, no panic, no hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        xpm_sim::fuzzing::read_xml_request(text);
    }
});
