//! Reading request XML into a small element tree, and writing answer XML.
//! Never panics on malformed input: every failure is a message for the
//! `ErrorDescription` of an ERROR envelope.

use quick_xml::events::{BytesRef, Event};
use quick_xml::reader::Reader;

/// One XML element: its local name, its text and its child elements.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

/// Deepest nesting accepted, so hostile input cannot grow the stack.
const MAX_DEPTH: usize = 32;

/// Parses a whole document and returns its root element.
pub fn parse(body: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(body);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("Invalid XML: {e}"))?;
        match ev {
            Event::Start(e) => {
                if root.is_some() {
                    return Err("Invalid XML: more than one root element".into());
                }
                if stack.len() >= MAX_DEPTH {
                    return Err("Invalid XML: nested too deeply".into());
                }
                let name = e.local_name().as_ref().to_string();
                stack.push(Element {
                    name,
                    ..Element::default()
                });
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_string();
                let el = Element {
                    name,
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err("Invalid XML: more than one root element".into()),
                }
            }
            Event::End(_) => {
                let Some(mut el) = stack.pop() else {
                    return Err("Invalid XML: unexpected end tag".into());
                };
                el.text = el.text.trim().to_string();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                } else if !t.xml10_content().trim().is_empty() {
                    return Err("Invalid XML: text outside the root element".into());
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(c.into_inner().as_ref());
                }
            }
            Event::GeneralRef(r) => {
                let ch = entity(&r).map_err(|e| format!("Invalid XML: {e}"))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push(ch);
                }
            }
            Event::Eof => break,
            Event::DocType(_) => return Err("Invalid XML: DOCTYPE is not allowed".into()),
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("Invalid XML: unexpected end of document".into());
    }
    root.ok_or_else(|| "Invalid XML: no root element".to_string())
}

/// A tiny indenting XML writer for answers.
#[derive(Debug, Default)]
pub struct XmlOut {
    buf: String,
    depth: usize,
}

impl XmlOut {
    pub fn new() -> Self {
        Self::default()
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.buf.push_str("  ");
        }
    }

    pub fn open(&mut self, name: &str) {
        self.indent();
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push_str(">\n");
        self.depth += 1;
    }

    pub fn open_attr(&mut self, name: &str, attr: &str, value: &str) {
        self.indent();
        self.buf.push_str(&format!(
            "<{name} {attr}=\"{}\">\n",
            quick_xml::escape::escape(value)
        ));
        self.depth += 1;
    }

    pub fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push_str(">\n");
    }

    /// `<name>text</name>`, or `<name />` when the text is empty. Characters
    /// XML 1.0 cannot carry are dropped, so an answer is always well-formed.
    pub fn el(&mut self, name: &str, text: &str) {
        let cleaned: String;
        let text = if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        {
            cleaned = text
                .chars()
                .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
                .collect();
            cleaned.as_str()
        } else {
            text
        };
        self.indent();
        if text.is_empty() {
            self.buf.push_str(&format!("<{name} />\n"));
        } else {
            self.buf.push_str(&format!(
                "<{name}>{}</{name}>\n",
                quick_xml::escape::partial_escape(text)
            ));
        }
    }

    pub fn finish(self) -> String {
        self.buf
    }
}

/// The character an entity or character reference stands for: the five XML
/// predefined entities only (no DOCTYPE, so no others can be declared).
pub(crate) fn entity(r: &BytesRef<'_>) -> Result<char, String> {
    match r.resolve_char_ref() {
        Ok(Some(c)) => Ok(c),
        Ok(None) => match r.as_ref() {
            "lt" => Ok('<'),
            "gt" => Ok('>'),
            "amp" => Ok('&'),
            "quot" => Ok('"'),
            "apos" => Ok('\''),
            other => Err(format!("unknown entity &{other};")),
        },
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_elements_and_entities() {
        let el = parse("<Client><Name>A &amp; B &#x41;</Name><Contacts><Contact><Name>x</Name></Contact></Contacts><Email/></Client>")
            .unwrap_or_default();
        assert_eq!(el.name, "Client");
        assert_eq!(el.children[0].text, "A & B A");
        assert_eq!(el.children[1].children[0].children[0].text, "x");
        assert_eq!(el.children[2].name, "Email");
    }

    #[test]
    fn rejects_malformed() {
        assert!(parse("<Client><Name>x</Client>").is_err());
        assert!(parse("").is_err());
        assert!(parse("<a/><b/>").is_err());
        assert!(parse("not xml").is_err());
        assert!(parse("<a>&bogus;</a>").is_err());
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(parse(&deep).is_err());
    }
}
