//! Entry points for cargo-fuzz (`fuzz/fuzz_targets/sim_*_request.rs`) and the
//! property tests: the readers of request bodies, which are otherwise
//! private. Compiled only with the `fuzzing` feature (and in this crate's
//! unit tests); not part of the sim's API.

use crate::doc::Doc;
use crate::practice::clients;

/// Reads `text` as an XML request body and, when it parses, every way an
/// endpoint reads the document (and a client from it). Panics only when a
/// reader does.
pub fn read_xml_request(text: &str) {
    if let Ok(element) = crate::xml::parse(text) {
        read_doc(&Doc::from_xml(&element));
    }
}

/// Reads a JSON value as a request body, as [`read_xml_request`] does XML.
pub fn read_json_request(value: &serde_json::Value) {
    if let Ok(doc) = Doc::from_json(value) {
        read_doc(&doc);
    }
}

fn read_doc(doc: &Doc) {
    for key in [
        "Name",
        "UUID",
        "Contacts",
        "Client",
        "Relationship",
        "name",
        "uuid",
        "contacts",
        "client",
        "relationship",
    ] {
        let _ = doc.text(key);
        let _ = doc.list(key);
        let _ = doc.obj(key);
    }
    let _ = clients::parse(doc);
}

/// Property tests: no body, however odd, makes the sim's readers panic.
#[cfg(test)]
mod tests {
    use crate::doc::Doc;
    use crate::practice::clients;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn any_text_parses_or_is_refused(body in ".{0,400}") {
            let _ = crate::xml::parse(&body);
        }

        #[test]
        fn xml_like_input_never_panics(
            names in proptest::collection::vec("(Client|Name|Email|Contacts|Contact|TaxNumber|BalanceMonth|X)", 0..12),
            texts in proptest::collection::vec("[a-zA-Z0-9 @.&;<>/#x-]{0,12}", 0..12),
        ) {
            let mut body = String::new();
            for (i, n) in names.iter().enumerate() {
                body.push_str(&format!("<{n}>{}", texts.get(i).map(String::as_str).unwrap_or("")));
            }
            for n in names.iter().rev() {
                body.push_str(&format!("</{n}>"));
            }
            if let Ok(el) = crate::xml::parse(&body) {
                let _ = clients::parse(&Doc::from_xml(&el));
            }
        }

        #[test]
        fn any_json_object_never_panics(v in proptest::collection::btree_map("[a-zA-Z]{1,12}", "[a-zA-Z0-9 @.-]{0,20}", 0..10)) {
            let json = serde_json::to_value(&v).unwrap_or_default();
            if let Ok(doc) = Doc::from_json(&json) {
                let _ = clients::parse(&doc);
            }
        }
    }
}
