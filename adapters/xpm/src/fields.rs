//! A client's fields as XPM names and shows them: PM Hub's side of the
//! preview, set beside XPM's current values.

use domain::sync::{ClientPayload, OwnedField};

use crate::xml::{self, WriteError};

/// `(XPM field name, value)` for every owned field PM Hub holds a value
/// for (the domain's [`OwnedField::ALL`], each with
/// [`ClientPayload::value`]: the very text a push sends), named and ordered
/// as the adapter reads XPM's answer into `XpmClientView.fields`, so the
/// preview can set them side by side. A value a push would refuse (a
/// character XML cannot carry) is refused here too.
pub fn client_fields(payload: &ClientPayload) -> Result<Vec<(String, String)>, WriteError> {
    let mut fields = xml::owned_values(payload, OwnedField::ALL);
    fields.sort_by_key(|(name, _)| {
        xml::FIELD_ORDER
            .iter()
            .position(|n| n == name)
            .unwrap_or(usize::MAX)
    });
    fields
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .map(|(name, value)| {
            xml::check_chars(name, &value)?;
            Ok((name.to_owned(), value))
        })
        .collect()
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

    #[test]
    fn fields_come_in_the_order_xpm_answers_them_and_only_with_a_value() {
        let mut details =
            ClientDetails::named(ClientName::new("Acme").unwrap(), ClientKind::Organisation);
        details.business_structure = Some(BusinessStructure::Company);
        details.branch_number = Some(domain::text::BranchNumber::new("001").unwrap());
        details.gst_registered = Some(false);
        let fields = client_fields(&ClientPayload::new(&details, PushOptions::default())).unwrap();
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "Name",
                "IsProspect",
                "BranchNumber",
                "BusinessStructure",
                "GSTRegistered"
            ]
        );
    }
}
