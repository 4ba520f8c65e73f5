//! XPM's classic XML form: the request bodies the adapter sends and the
//! answers it reads. Translation only: no rule of the integration lives here.
//!
//! Requests are serialised with quick-xml's serde serialiser (which escapes
//! `<`, `>` and `&` in text); answers are first checked by a
//! streaming pass (one `<Response>` root, well-formed, no DOCTYPE, bounded
//! depth) and then deserialised into typed structs. Unknown elements inside
//! a client are tolerated, as XPM adds fields over time; a missing or
//! malformed element the adapter needs is an error, never a panic.

mod read;
mod write;

pub(crate) use read::{
    error_envelope, parse_client, parse_clients, parse_custom_field_definitions,
    parse_custom_field_values, parse_relationship, parse_status,
};
pub(crate) use write::{
    client_add, client_update, custom_field_text, relationship_add, relationship_update,
};

/// Why an answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("the answer is not well-formed XML (at byte {position}): {reason}")]
    Malformed { position: u64, reason: String },
    #[error("the answer's root element is <{0}>, expected <Response>")]
    WrongRoot(String),
    #[error("the answer has no root element")]
    Empty,
    #[error("the answer nests elements deeper than {0} levels")]
    TooDeep(usize),
    #[error("the answer carries a DOCTYPE declaration, which is refused")]
    Doctype,
    #[error("the answer has content after its root element")]
    TrailingContent,
    #[error("the answer's <Status> is `{0}`, expected OK or ERROR")]
    UnknownStatus(String),
    #[error("the answer does not have the expected shape: {0}")]
    Shape(String),
    #[error("the answer has no <{0}> element")]
    Missing(&'static str),
    #[error("<{element}> holds `{value}`, which is not a UUID")]
    InvalidUuid {
        element: &'static str,
        value: String,
    },
}

/// Why a request body could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// XML 1.0 cannot carry some characters (U+FFFE, U+FFFF, most control characters).
    #[error("{field} holds a character XML cannot carry (U+{code:04X})")]
    UnrepresentableCharacter { field: &'static str, code: u32 },
    #[error("the request could not be serialised: {0}")]
    Serialise(String),
}

/// What an answer said, once its envelope is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer<T> {
    Ok(T),
    /// `<Status>ERROR</Status>`, with XPM's `<ErrorDescription>`.
    Error(String),
}

#[cfg(test)]
mod tests;
