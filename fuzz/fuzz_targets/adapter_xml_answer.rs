//! Every XML answer the XPM adapter reads (one client, a list of clients,
//! one relationship, the ERROR envelope), from any bytes: no panic, no hang,
//! and all readers agree on what the envelope says.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        xpm_adapter::fuzzing::read_as_every_answer(text);
    }
});
