//! XPM's rules for clients and relationships, on one organisation's data.
//! No HTTP here: the API handlers and the control API ("a person edits a
//! client in XPM") both call these.

pub mod clients;
pub mod contacts;
pub mod custom_fields;
pub mod relationships;

/// A refusal, worded as the `ErrorDescription` of an ERROR answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct XpmError(pub String);

impl XpmError {
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

/// Parses an identifier given for a UUID field.
pub(crate) fn parse_uuid(field: &str, v: Option<String>) -> Result<uuid::Uuid, XpmError> {
    match v {
        None => Err(XpmError(format!("{field} is required"))),
        Some(s) if s.is_empty() => Err(XpmError(format!("{field} is required"))),
        Some(s) if s.chars().any(char::is_control) => {
            Err(XpmError(format!("{field} is not a valid UUID")))
        }
        Some(s) => uuid::Uuid::parse_str(&s)
            .map_err(|_| XpmError(format!("{field} '{s}' is not a valid UUID"))),
    }
}
