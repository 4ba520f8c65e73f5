//! Entry points for cargo-fuzz (`fuzz/fuzz_targets/adapter_xml_answer.rs`):
//! the readers of every XML answer the adapter parses, which are otherwise
//! private. Compiled only with the `fuzzing` feature (and in this crate's
//! tests, which replay the fuzz corpus); not part of the adapter's API.

use crate::xml::{self, Answer, XmlError};

/// Feeds `body` to every answer reader, as if XPM had sent it to any call,
/// and panics when a reader panics or when the readers disagree about what
/// the answer is.
pub fn read_as_every_answer(body: &str) {
    let client = xml::parse_client(body);
    let clients = xml::parse_clients(body);
    let relationship = xml::parse_relationship(body);
    let error = xml::error_envelope(body);

    // The envelope is read once, the same way, by every reader: an ERROR
    // answer means the same message whatever call it came back from.
    if let Some(message) = &error {
        assert_eq!(client, Ok(Answer::Error(message.clone())));
        assert_eq!(clients, Ok(Answer::Error(message.clone())));
        assert_eq!(relationship, Ok(Answer::Error(message.clone())));
        assert!(!message.is_empty() && message.trim() == message);
    }
    for said in [
        error_said(&client),
        error_said(&clients),
        error_said(&relationship),
    ] {
        if said.is_some() {
            assert_eq!(
                said,
                error.as_deref(),
                "a reader saw an ERROR the envelope did not"
            );
        }
    }

    // A client that was read has what the planner relies on.
    if let Ok(Answer::Ok(c)) = &client {
        let name = &c.look_alike.name;
        assert!(!name.is_empty() && name.trim() == name);
        assert_eq!(
            c.view.fields.first(),
            Some(&("Name".to_owned(), name.clone()))
        );
        assert_eq!(c.look_alike.xpm_client, c.view.xpm_client);
        for (_, value) in &c.view.fields {
            assert!(!value.is_empty() && value.trim() == value);
        }
    }
}

/// What XPM would show of `payload` once added: the add body the adapter
/// sends (every owned field), wrapped in an OK answer and read back by the
/// adapter's answer reader, as `(XPM field name, value)`. For a round-trip
/// target: every value PM Hub holds must come back as it was sent.
pub fn client_round_trip(
    payload: &domain::sync::ClientPayload,
) -> Result<Vec<(String, String)>, crate::WriteError> {
    let body = xml::client_add(payload, domain::sync::OwnedField::ALL)?;
    let echo = format!("<Response><Status>OK</Status>{body}</Response>");
    match xml::parse_client(&echo) {
        Ok(Answer::Ok(answer)) => Ok(answer.view.fields),
        Ok(Answer::Error(message)) => Err(crate::WriteError::Serialise(message)),
        Err(err) => Err(crate::WriteError::Serialise(err.to_string())),
    }
}

/// The message of an ERROR answer, as one reader saw it.
fn error_said<T>(read: &Result<Answer<T>, XmlError>) -> Option<&str> {
    match read {
        Ok(Answer::Error(message)) => Some(message),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The committed fuzz corpus (and any crash input saved beside it) is
    /// replayed by every test run, so what fuzzing found stays fixed.
    #[test]
    fn every_fuzz_corpus_answer_is_read_without_panic_or_disagreement() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
        let mut seen = 0;
        for dir in [
            "corpus/adapter_xml_answer",
            "regressions/adapter_xml_answer",
        ] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for entry in entries {
                let bytes = std::fs::read(entry.expect("corpus entry").path()).expect("read");
                if let Ok(text) = std::str::from_utf8(&bytes) {
                    super::read_as_every_answer(text);
                    seen += 1;
                }
            }
        }
        assert!(
            seen >= 5,
            "the corpus holds at least the seed answers ({seen} read)"
        );
    }
}
