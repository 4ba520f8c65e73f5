//! Structural comparison of a recorded answer's body with a live one.
//!
//! XML: element names (as paths, `Response/Client/Contacts/Contact[1]/Name`,
//! an index only where a name repeats), attributes (`@api-method`) and text.
//! JSON: keys (`client/contacts[0]/name`) and values. Text and HTML: the
//! whole body. The envelope (`Response/Status`, `Response/ErrorDescription`,
//! `status`, `errorDescription`) is compared like any other element.
//!
//! Not compared as values, only for presence: UUIDs (and UUIDs inside a
//! value, e.g. a web URL), date-times (unless `compare_times`), dates (with
//! `ignore_dates`), values redacted in the cassette, and paths in `ignore`.

use super::redact::MARKER;
use super::{shapes, xmltree};
use serde::Serialize;
use serde_json::Value;

/// What is not compared as a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    /// Paths whose values are not compared: `Response/Client/WebUrl`, or a
    /// tail of one (`WebUrl`, `Client/Name`). Indexes are ignored unless
    /// the path gives one (`Contact[1]/Name`).
    pub ignore: Vec<String>,
    /// Compare date-times (`2026-01-05T09:00:00...`) as values.
    pub compare_times: bool,
    /// Do not compare dates (`2026-01-05`) as values.
    pub ignore_dates: bool,
}

impl Rules {
    fn ignored(&self, path: &str) -> bool {
        let plain = strip_indexes(path);
        self.ignore.iter().any(|p| {
            let p = p.trim_matches('/');
            let target = if p.contains('[') {
                path
            } else {
                plain.as_str()
            };
            target == p || target.ends_with(&format!("/{p}"))
        })
    }
}

fn strip_indexes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// One difference inside an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `status`, `header X`, `body`, or a path in the document.
    pub at: String,
    pub expected: String,
    pub got: String,
}

const PRESENT: &str = "present";
const ABSENT: &str = "absent";

/// Collects the differences of one answer, and the UUIDs that sat at the
/// same place in both (so later requests can name the target's ids).
#[derive(Debug)]
pub struct Diff<'r> {
    rules: &'r Rules,
    pub findings: Vec<Finding>,
    /// (recorded, live), lower-case.
    pub uuid_pairs: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Empty,
    Xml,
    Json,
    Html,
    Text,
}

impl Kind {
    fn of(content_type: Option<&str>, body: &str) -> Self {
        let ct = content_type.unwrap_or("").to_ascii_lowercase();
        let t = body.trim_start();
        let head: String = t.chars().take(15).collect::<String>().to_ascii_lowercase();
        if t.is_empty() {
            Kind::Empty
        } else if ct.contains("json") || t.starts_with('{') || t.starts_with('[') {
            Kind::Json
        } else if ct.contains("html")
            || head.starts_with("<!doctype html")
            || head.starts_with("<html")
        {
            Kind::Html
        } else if ct.contains("xml") || t.starts_with('<') {
            Kind::Xml
        } else {
            Kind::Text
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Kind::Empty => "no body",
            Kind::Xml => "an XML document",
            Kind::Json => "a JSON document",
            Kind::Html => "an HTML page",
            Kind::Text => "text",
        }
    }
}

fn quote(s: &str) -> String {
    let clipped: String = s.chars().take(200).collect();
    let mut q = serde_json::to_string(&clipped).unwrap_or_default();
    if clipped.len() < s.len() {
        q.push_str("...");
    }
    q
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 200 {
        s.chars().take(200).collect::<String>() + "..."
    } else {
        s
    }
}

fn join(path: &str, seg: &str) -> String {
    if path.is_empty() {
        seg.to_string()
    } else {
        format!("{path}/{seg}")
    }
}

impl<'r> Diff<'r> {
    pub fn new(rules: &'r Rules) -> Self {
        Self {
            rules,
            findings: Vec::new(),
            uuid_pairs: Vec::new(),
        }
    }

    pub fn push(
        &mut self,
        at: impl Into<String>,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) {
        self.findings.push(Finding {
            at: at.into(),
            expected: expected.into(),
            got: got.into(),
        });
    }

    /// Compares two bodies, each read by its own `Content-Type`.
    pub fn bodies(&mut self, exp_ct: Option<&str>, exp: &str, got_ct: Option<&str>, got: &str) {
        let (ek, gk) = (Kind::of(exp_ct, exp), Kind::of(got_ct, got));
        match (ek, gk) {
            (Kind::Empty, Kind::Empty) => {}
            (Kind::Xml, Kind::Xml) => match (xmltree::parse(exp), xmltree::parse(got)) {
                (Ok(e), Ok(g)) if e.name == g.name => {
                    let root = e.name.clone();
                    self.xml(&root, &e, &g);
                }
                (Ok(e), Ok(g)) => {
                    self.push("body", format!("<{}>", e.name), format!("<{}>", g.name))
                }
                (Ok(_), Err(err)) => self.push(
                    "body",
                    ek.describe(),
                    format!("XML that does not parse ({err})"),
                ),
                // The recorded body itself is not XML: compare the text.
                (Err(_), _) => self.text(exp, got),
            },
            (Kind::Json, Kind::Json) => {
                match (
                    serde_json::from_str::<Value>(exp),
                    serde_json::from_str::<Value>(got),
                ) {
                    (Ok(e), Ok(g)) => self.json("", &e, &g),
                    (Ok(_), Err(err)) => self.push(
                        "body",
                        ek.describe(),
                        format!("JSON that does not parse ({err})"),
                    ),
                    (Err(_), _) => self.text(exp, got),
                }
            }
            (e, g) if e == g => self.text(exp, got),
            (e, g) => self.push("body", e.describe(), g.describe()),
        }
    }

    fn text(&mut self, exp: &str, got: &str) {
        let (e, g) = (exp.trim(), got.trim());
        if e != g && shapes::mask_uuids(e) != shapes::mask_uuids(g) {
            self.push("body", quote(e), quote(g));
        }
    }

    fn xml(&mut self, path: &str, e: &xmltree::Node, g: &xmltree::Node) {
        for (k, ev) in &e.attrs {
            let p = format!("{path}/@{k}");
            match g.attrs.iter().find(|(gk, _)| gk == k) {
                Some((_, gv)) => self.value(&p, ev, gv),
                None => self.push(p, quote(ev), ABSENT),
            }
        }
        for (k, gv) in &g.attrs {
            if !e.attrs.iter().any(|(ek, _)| ek == k) {
                self.push(format!("{path}/@{k}"), ABSENT, quote(gv));
            }
        }
        let leaves = e.children.is_empty() && g.children.is_empty();
        if leaves || !e.text.is_empty() || !g.text.is_empty() {
            self.value(path, &e.text, &g.text);
        }
        let mut names: Vec<&str> = Vec::new();
        for c in e.children.iter().chain(&g.children) {
            if !names.contains(&c.name.as_str()) {
                names.push(&c.name);
            }
        }
        for name in names {
            let es: Vec<&xmltree::Node> = e.children.iter().filter(|c| c.name == name).collect();
            let gs: Vec<&xmltree::Node> = g.children.iter().filter(|c| c.name == name).collect();
            let indexed = es.len() > 1 || gs.len() > 1;
            for i in 0..es.len().max(gs.len()) {
                let seg = if indexed {
                    format!("{name}[{i}]")
                } else {
                    name.to_string()
                };
                let p = join(path, &seg);
                match (es.get(i), gs.get(i)) {
                    (Some(ec), Some(gc)) => self.xml(&p, ec, gc),
                    (Some(_), None) => self.push(p, PRESENT, ABSENT),
                    (None, Some(_)) => self.push(p, ABSENT, PRESENT),
                    (None, None) => {}
                }
            }
        }
    }

    fn json(&mut self, path: &str, e: &Value, g: &Value) {
        match (e, g) {
            (Value::Object(em), Value::Object(gm)) => {
                for (k, ev) in em {
                    let p = join(path, k);
                    match gm.get(k) {
                        Some(gv) => self.json(&p, ev, gv),
                        None => self.push(p, PRESENT, ABSENT),
                    }
                }
                for k in gm.keys().filter(|k| !em.contains_key(*k)) {
                    self.push(join(path, k), ABSENT, PRESENT);
                }
            }
            (Value::Array(ea), Value::Array(ga)) => {
                for i in 0..ea.len().max(ga.len()) {
                    let p = format!("{path}[{i}]");
                    match (ea.get(i), ga.get(i)) {
                        (Some(ev), Some(gv)) => self.json(&p, ev, gv),
                        (Some(_), None) => self.push(p, PRESENT, ABSENT),
                        (None, Some(_)) => self.push(p, ABSENT, PRESENT),
                        (None, None) => {}
                    }
                }
            }
            (Value::String(es), Value::String(gs)) => self.value(path, es, gs),
            (e, g) if e == g => {}
            (e, g) => {
                let scalars = !(e.is_object() || e.is_array() || g.is_object() || g.is_array());
                let redacted = e.as_str() == Some(MARKER) && !g.is_null();
                if !(scalars && (redacted || self.rules.ignored(path))) {
                    let at = if path.is_empty() { "body" } else { path };
                    self.push(at, compact(e), compact(g));
                }
            }
        }
    }

    /// Two texts at the same place.
    fn value(&mut self, path: &str, e: &str, g: &str) {
        if shapes::is_uuid(e) && shapes::is_uuid(g) {
            self.uuid_pairs
                .push((e.to_ascii_lowercase(), g.to_ascii_lowercase()));
            return;
        }
        if e == g
            || (e == MARKER && !g.is_empty())
            || shapes::mask_uuids(e) == shapes::mask_uuids(g)
            || (!self.rules.compare_times && shapes::is_datetime(e) && shapes::is_datetime(g))
            || (self.rules.ignore_dates && shapes::is_date(e) && shapes::is_date(g))
            || self.rules.ignored(path)
        {
            return;
        }
        self.push(path, quote(e), quote(g));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff_xml(rules: &Rules, e: &str, g: &str) -> Vec<String> {
        let mut d = Diff::new(rules);
        d.bodies(Some("text/xml"), e, Some("text/xml"), g);
        d.findings
            .iter()
            .map(|f| format!("{}: {} / {}", f.at, f.expected, f.got))
            .collect()
    }

    const A: &str = "0d5c3a1e-2b4f-4c6d-8e7f-9a0b1c2d3e4f";
    const B: &str = "1e6d4b2f-3c5a-4d7e-9f8a-0b1c2d3e4f5a";

    #[test]
    fn names_values_presence_and_attributes_are_compared() {
        let e = r#"<Response api-method="Get"><Status>OK</Status><Client><Name>A</Name><Email>a@x</Email><Contacts><Contact><Name>c1</Name></Contact></Contacts></Client></Response>"#;
        let g = r#"<Response api-method="Add"><Status>OK</Status><Client><Name>B</Name><Phone>1</Phone><Contacts><Contact><Name>c1</Name></Contact><Contact><Name>c2</Name></Contact></Contacts></Client></Response>"#;
        assert_eq!(
            diff_xml(&Rules::default(), e, g),
            vec![
                r#"Response/@api-method: "Get" / "Add""#,
                r#"Response/Client/Name: "A" / "B""#,
                "Response/Client/Email: present / absent",
                "Response/Client/Contacts/Contact[1]: absent / present",
                "Response/Client/Phone: absent / present",
            ]
        );
    }

    #[test]
    fn ids_times_redacted_and_ignored_values_count_for_presence_only() {
        let e = format!(
            "<R><UUID>{A}</UUID><WebUrl>https://x/{A}/Detail</WebUrl><At>2026-01-05T09:00:00</At><TaxNumber>[redacted]</TaxNumber><Code>1</Code><Gone>{A}</Gone></R>"
        );
        let g = format!(
            "<R><UUID>{B}</UUID><WebUrl>https://x/{B}/Detail</WebUrl><At>2027-03-01T10:11:12</At><TaxNumber>[redacted]</TaxNumber><Code>2</Code><Gone /></R>"
        );
        let rules = Rules {
            ignore: vec!["Code".into()],
            ..Rules::default()
        };
        let mut d = Diff::new(&rules);
        d.bodies(None, &e, None, &g);
        assert_eq!(
            d.findings,
            vec![Finding {
                at: "R/Gone".into(),
                expected: format!("\"{A}\""),
                got: "\"\"".into()
            }]
        );
        assert_eq!(d.uuid_pairs, vec![(A.to_string(), B.to_string())]);
        let strict = Rules {
            compare_times: true,
            ..Rules::default()
        };
        assert_eq!(
            diff_xml(&strict, &e, &g).len(),
            3,
            "{:?}",
            diff_xml(&strict, &e, &g)
        );
    }

    #[test]
    fn dates_are_values_unless_ignored() {
        let (e, g) = ("<R><D>2021-07-01</D></R>", "<R><D>2021-07-02</D></R>");
        assert_eq!(diff_xml(&Rules::default(), e, g).len(), 1);
        let rules = Rules {
            ignore_dates: true,
            ..Rules::default()
        };
        assert!(diff_xml(&rules, e, g).is_empty());
    }

    #[test]
    fn json_keys_and_values_including_types() {
        let rules = Rules::default();
        let mut d = Diff::new(&rules);
        d.bodies(
            Some("application/json"),
            r#"{"status":"OK","client":{"name":"A","n":250,"list":[1,2],"uuid":"0d5c3a1e-2b4f-4c6d-8e7f-9a0b1c2d3e4f"}}"#,
            Some("application/json; charset=utf-8"),
            r#"{"status":"ERROR","client":{"name":"A","n":"250","list":[1],"extra":null,"uuid":"1e6d4b2f-3c5a-4d7e-9f8a-0b1c2d3e4f5a"}}"#,
        );
        let got: Vec<String> = d
            .findings
            .iter()
            .map(|f| format!("{}: {} / {}", f.at, f.expected, f.got))
            .collect();
        assert_eq!(
            got,
            vec![
                "client/list[1]: present / absent",
                r#"client/n: 250 / "250""#,
                "client/extra: absent / present",
                r#"status: "OK" / "ERROR""#,
            ]
        );
    }

    #[test]
    fn a_different_kind_of_body_is_one_difference() {
        let rules = Rules::default();
        let mut d = Diff::new(&rules);
        d.bodies(Some("text/xml"), "<R/>", Some("application/json"), "{}");
        assert_eq!(d.findings.len(), 1);
        assert_eq!(d.findings[0].expected, "an XML document");
        assert_eq!(d.findings[0].got, "a JSON document");
        let rules = Rules::default();
        let mut d = Diff::new(&rules);
        d.bodies(None, "", None, "");
        assert!(d.findings.is_empty());
    }

    #[test]
    fn ignore_paths_match_tails_and_indexes_only_when_given() {
        let rules = Rules {
            ignore: vec!["Client/Name".into(), "Contact[1]/Email".into()],
            ..Rules::default()
        };
        assert!(rules.ignored("Response/Clients/Client[3]/Name"));
        assert!(!rules.ignored("Response/Clients/Client[3]/FirstName"));
        assert!(rules.ignored("R/Contact[1]/Email"));
        assert!(!rules.ignored("R/Contact[0]/Email"));
    }
}
