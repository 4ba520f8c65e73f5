//! A client's fields as XPM names and shows them, taken from the very XML
//! body a push would send: what the preview sets beside XPM's current values.

use domain::ids::XpmClientUuid;
use domain::sync::ClientPayload;
use uuid::Uuid;

use crate::xml::{self, Answer, WriteError};

/// `(XPM field name, value)` for every field a push of `payload` sends, in
/// the order XPM answers them (the names and order of `XpmClientView.fields`,
/// so the preview can set them side by side). Built by reading back the
/// update body with the answer reader, so it cannot drift from what is sent.
pub fn client_fields(payload: &ClientPayload) -> Result<Vec<(String, String)>, WriteError> {
    let body = xml::client_update(XpmClientUuid::from_uuid(Uuid::nil()), payload)?;
    let echo = format!("<Response><Status>OK</Status>{body}</Response>");
    match xml::parse_client(&echo) {
        Ok(Answer::Ok(answer)) => Ok(answer.view.fields),
        Ok(Answer::Error(message)) => Err(WriteError::Serialise(message)),
        Err(err) => Err(WriteError::Serialise(err.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::client::{BusinessStructure, ClientDetails, ClientKind};
    use domain::settings::PushOptions;
    use domain::text::{ClientName, EmailAddress, TaxNumber};

    #[test]
    fn fields_are_the_pushed_elements_with_their_text() {
        let mut details = ClientDetails::named(
            ClientName::new("Smith & <Sons> \"Ltd\" 🦀").unwrap(),
            ClientKind::Organisation,
        );
        details.email = Some(EmailAddress::new("a@b.example").unwrap());
        details.business_structure = Some(BusinessStructure::SoleTrader);
        details.tax_number = Some(TaxNumber::new("123456782").unwrap());
        let fields = client_fields(&ClientPayload::new(&details, PushOptions::default())).unwrap();
        let get = |name: &str| {
            fields
                .iter()
                .find(|(f, _)| f == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("Name"), Some("Smith & <Sons> \"Ltd\" 🦀"));
        assert_eq!(get("Email"), Some("a@b.example"));
        assert_eq!(get("BusinessStructure"), Some("Sole Trader"));
        assert_eq!(get("TaxNumber"), Some("123456782"));
        assert_eq!(get("IsProspect"), Some("No"));
    }
}
