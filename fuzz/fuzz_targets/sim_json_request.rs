//! xpm-sim's JSON request documents (`Doc::from_json`): any bytes that are
//! JSON, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xpm_sim::doc::Doc;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data)
        && let Ok(doc) = Doc::from_json(&value)
    {
        for key in ["name", "uuid", "contacts", "client", "relationship"] {
            let _ = doc.text(key);
            let _ = doc.list(key);
        }
    }
});
