//! Property tests: no body, however odd, makes the sim panic or corrupt state.

use proptest::prelude::*;
use xpm_sim::doc::Doc;
use xpm_sim::practice::clients;

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_text_parses_or_is_refused(body in ".{0,400}") {
        let _ = xpm_sim::xml::parse(&body);
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
        if let Ok(el) = xpm_sim::xml::parse(&body) {
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
