//! One shape for request bodies, whether they came as XML (PascalCase
//! elements) or JSON (camelCase properties): keys are compared after
//! lower-casing and dropping non-alphanumerics, so `BillingClientUUID`,
//! `billingClientUuid` and `opt-out`/`OptOut` meet.

use crate::xml::Element;
use serde_json::Value;

/// A value in a request document.
#[derive(Debug, Clone, PartialEq)]
pub enum DocVal {
    Text(String),
    Null,
    Obj(Doc),
    List(Vec<DocVal>),
}

/// An object: its (normalised key, value) entries in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Doc {
    pub entries: Vec<(String, DocVal)>,
}

/// The normalised form of a field name.
pub fn norm(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl Doc {
    pub fn from_xml(el: &Element) -> Doc {
        let entries = el
            .children
            .iter()
            .map(|c| {
                let v = if c.children.is_empty() {
                    DocVal::Text(c.text.clone())
                } else {
                    DocVal::Obj(Doc::from_xml(c))
                };
                (norm(&c.name), v)
            })
            .collect();
        Doc { entries }
    }

    pub fn from_json(v: &Value) -> Result<Doc, String> {
        match v {
            Value::Object(map) => Ok(Doc {
                entries: map.iter().map(|(k, v)| (norm(k), json_val(v))).collect(),
            }),
            _ => Err("Invalid JSON: the request body must be a JSON object".into()),
        }
    }

    pub fn get(&self, key: &str) -> Option<&DocVal> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// `None` when absent; `Some("")` when present but null or empty.
    pub fn text(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            DocVal::Text(s) => Some(s.trim().to_string()),
            DocVal::Null => Some(String::new()),
            DocVal::Obj(_) | DocVal::List(_) => Some("\u{0}object".into()),
        }
    }

    /// The objects of a list: a JSON array, or the child elements of an XML element.
    pub fn list(&self, key: &str) -> Option<Vec<Doc>> {
        match self.get(key)? {
            DocVal::List(items) => Some(
                items
                    .iter()
                    .filter_map(|i| match i {
                        DocVal::Obj(d) => Some(d.clone()),
                        _ => None,
                    })
                    .collect(),
            ),
            DocVal::Obj(d) => Some(
                d.entries
                    .iter()
                    .filter_map(|(_, v)| match v {
                        DocVal::Obj(d) => Some(d.clone()),
                        _ => None,
                    })
                    .collect(),
            ),
            DocVal::Null | DocVal::Text(_) => Some(Vec::new()),
        }
    }

    pub fn obj(&self, key: &str) -> Option<&Doc> {
        match self.get(key)? {
            DocVal::Obj(d) => Some(d),
            _ => None,
        }
    }
}

fn json_val(v: &Value) -> DocVal {
    match v {
        Value::Null => DocVal::Null,
        Value::Bool(b) => DocVal::Text(if *b { "true".into() } else { "false".into() }),
        Value::Number(n) => DocVal::Text(n.to_string()),
        Value::String(s) => DocVal::Text(s.clone()),
        Value::Array(items) => DocVal::List(items.iter().map(json_val).collect()),
        Value::Object(_) => match Doc::from_json(v) {
            Ok(d) => DocVal::Obj(d),
            Err(_) => DocVal::Null,
        },
    }
}
