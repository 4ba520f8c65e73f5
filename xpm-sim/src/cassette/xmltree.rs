//! Answers' XML as a tree with attributes (the sim's own request parser,
//! `crate::xml`, drops them; `api-method` on `<Response>` is part of what
//! compare looks at). Namespace declarations are left out: they are not data.

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
}

const MAX_DEPTH: usize = 64;

fn start(e: &BytesStart<'_>) -> Result<Node, String> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        if a.key.as_ref().starts_with("xmlns") {
            continue;
        }
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?;
        attrs.push((a.key.local_name().as_ref().to_string(), value.into_owned()));
    }
    Ok(Node {
        name: e.local_name().as_ref().to_string(),
        attrs,
        ..Node::default()
    })
}

pub fn parse(body: &str) -> Result<Node, String> {
    let mut reader = Reader::from_str(body);
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let ev = reader.read_event().map_err(|e| e.to_string())?;
        match ev {
            Event::Start(e) => {
                if root.is_some() {
                    return Err("more than one root element".into());
                }
                if stack.len() >= MAX_DEPTH {
                    return Err("nested too deeply".into());
                }
                stack.push(start(&e)?);
            }
            Event::Empty(e) => {
                let el = start(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err("more than one root element".into()),
                }
            }
            Event::End(_) => {
                let mut el = stack.pop().ok_or("unexpected end tag")?;
                el.text = el.text.trim().to_string();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(c.into_inner().as_ref());
                }
            }
            Event::GeneralRef(r) => {
                let ch = crate::xml::entity(&r)?;
                if let Some(top) = stack.last_mut() {
                    top.text.push(ch);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("unexpected end of document".into());
    }
    root.ok_or_else(|| "no root element".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_attributes_and_drops_namespace_declarations() {
        let n = parse(r#"<?xml version="1.0"?><Response api-method="Get" xmlns:i="urn:x"><Status>OK</Status><Name>A &amp; B</Name><E/></Response>"#)
            .unwrap();
        assert_eq!(n.attrs, vec![("api-method".to_string(), "Get".to_string())]);
        assert_eq!(n.children[1].text, "A & B");
        assert_eq!(n.children[2].name, "E");
        assert!(parse("<a><b></a>").is_err());
    }
}
