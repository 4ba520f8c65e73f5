//! XPM's custom fields as the integration sees them: the definitions an
//! organisation has, read from XPM to offer a practice the field where the
//! Sync keeps PM Hub's client id. Translation of XPM's answers belongs to
//! the adapter; this is what they mean.

use serde::{Deserialize, Serialize};

use crate::ids::XpmCustomFieldUuid;

/// What an XPM custom field holds (its `Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum XpmCustomFieldKind {
    Text,
    MultiLineText,
    Date,
    Number,
    Decimal,
    Boolean,
    Select,
    Link,
    /// A type this integration does not know (XPM adds types over time).
    Other,
}

impl XpmCustomFieldKind {
    /// Reads XPM's `Type` text, in any case ("Dropdown List" and "Value
    /// Link" are WorkflowMax's older names for Select and Link).
    pub fn from_xpm_name(name: &str) -> Self {
        let n = name.trim().to_ascii_lowercase();
        match n.as_str() {
            "text" => Self::Text,
            "multi-line text" | "multiline text" => Self::MultiLineText,
            "date" => Self::Date,
            "number" => Self::Number,
            "decimal" => Self::Decimal,
            "boolean" | "checkbox" => Self::Boolean,
            "select" | "dropdown" | "dropdown list" => Self::Select,
            "link" | "value link" => Self::Link,
            _ => Self::Other,
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::Text => "Text",
            Self::MultiLineText => "Multi-line Text",
            Self::Date => "Date",
            Self::Number => "Number",
            Self::Decimal => "Decimal",
            Self::Boolean => "Boolean",
            Self::Select => "Select",
            Self::Link => "Link",
            Self::Other => "other",
        }
    }
}

/// One custom field an XPM organisation defines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct XpmCustomFieldDefinition {
    pub uuid: XpmCustomFieldUuid,
    pub name: String,
    pub kind: XpmCustomFieldKind,
    /// Whether the field appears on clients (`UseClient`).
    pub use_client: bool,
}

impl XpmCustomFieldDefinition {
    /// Whether PM Hub's client id can be kept in it: a client field of
    /// type Text (free text of one line; a Select or Date field cannot hold
    /// an id, and a Link field is shown as a link).
    pub fn can_hold_client_id(&self) -> bool {
        self.use_client && self.kind == XpmCustomFieldKind::Text
    }
}
