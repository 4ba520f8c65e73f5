//! xpm-sim's XML request parsing (`xml::parse`, then the request document
//! every endpoint reads): any bytes, no panic, no hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xpm_sim::doc::Doc;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(element) = xpm_sim::xml::parse(text)
    {
        let doc = Doc::from_xml(&element);
        for key in ["Name", "UUID", "Contacts", "Client", "Relationship"] {
            let _ = doc.text(key);
            let _ = doc.list(key);
            let _ = doc.obj(key);
        }
    }
});
