use domain::ports::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

/// A domain value as the JSON body of its row.
pub fn encode<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Unavailable(format!("cannot encode a row: {e}")))
}

/// A row's JSON body back into its domain value. A body that no longer
/// parses (or no longer validates) is reported, never half-read.
pub fn decode<T: DeserializeOwned>(what: &str, body: &str) -> Result<T, StoreError> {
    serde_json::from_str(body)
        .map_err(|e| StoreError::Unavailable(format!("a stored {what} cannot be read: {e}")))
}

/// Microseconds since the Unix epoch: ordered and exact in both stores.
pub fn micros(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

pub fn from_micros(micros: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .map_err(|e| StoreError::Unavailable(format!("a stored time is out of range: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::text::ClientName;

    #[test]
    fn a_value_round_trips_and_a_bad_body_is_a_clear_error() {
        let name = ClientName::new("Smith & Sons <Ltd> 🦀").unwrap();
        assert_eq!(
            decode::<ClientName>("name", &encode(&name).unwrap()).unwrap(),
            name
        );
        let err = decode::<ClientName>("client name", "\"\"").unwrap_err();
        assert!(
            err.to_string()
                .contains("a stored client name cannot be read")
        );
    }

    #[test]
    fn terms_stored_before_end_dates_existed_still_read() {
        use domain::association::AssociationTerms;
        use domain::sync::RelationshipTerms;
        let start = Some(time::macros::date!(2020 - 07 - 01));
        let association = AssociationTerms {
            start_date: start,
            ..AssociationTerms::default()
        };
        let relationship = RelationshipTerms {
            shares: None,
            percentage: None,
            start_date: start,
            end_date: None,
        };
        // The bodies as they were written before terms had an end date.
        let old = |body: String| {
            assert!(body.contains(",\"end_date\":null"), "{body}");
            body.replace(",\"end_date\":null", "")
        };
        assert_eq!(
            decode::<AssociationTerms>("terms", &old(encode(&association).unwrap())).unwrap(),
            association
        );
        assert_eq!(
            decode::<RelationshipTerms>("terms", &old(encode(&relationship).unwrap())).unwrap(),
            relationship
        );
    }

    #[test]
    fn bodies_stored_before_the_client_id_field_existed_still_read() {
        use domain::settings::IntegrationSettings;
        use domain::sync::PendingOperation;
        let settings: IntegrationSettings = decode(
            "settings",
            r#"{"mappings":{},"push":{"push_tax_numbers":false}}"#,
        )
        .unwrap();
        assert_eq!(settings.client_id_field(), None, "read as off");
        assert!(!settings.push_options().push_tax_numbers);
        let create: PendingOperation = decode(
            "note",
            r#"{"CreateClient":{"known_look_alikes":[],"sent_name":"Acme"}}"#,
        )
        .unwrap();
        assert!(matches!(
            create,
            PendingOperation::CreateClient {
                started_at: None,
                ..
            }
        ));
    }

    #[test]
    fn micros_round_trip() {
        let at = time::macros::datetime!(2026-11-27 10:11:12.123456 UTC);
        assert_eq!(from_micros(micros(at)).unwrap(), at);
    }
}
