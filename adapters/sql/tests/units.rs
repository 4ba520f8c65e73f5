//! The store's own pieces, through its public API: JSON bodies and times as
//! stored, and the sealing of tokens.

use domain::ids::PracticeId;
use domain::ports::TokenSet;
use domain::text::ClientName;
use secrecy::{ExposeSecret, SecretString};
use sql_store::{SealError, TokenKey, TokenSealer, decode, encode, from_micros, micros};
use uuid::Uuid;

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

fn tokens() -> TokenSet {
    TokenSet {
        access_token: SecretString::from("access-SECRET-123"),
        refresh_token: SecretString::from("refresh-SECRET-456"),
        access_expires_at: time::macros::datetime!(2026-11-27 10:00 UTC),
    }
}

fn practice(n: u128) -> PracticeId {
    PracticeId::from_uuid(Uuid::from_u128(n))
}

#[test]
fn sealed_tokens_open_again_and_do_not_contain_the_token() {
    let sealer = TokenSealer::new(&TokenKey::generate());
    let sealed = sealer.seal_tokens(practice(1), &tokens());
    let text = String::from_utf8_lossy(&sealed);
    assert!(!text.contains("SECRET"));
    let opened = sealer.open_tokens(practice(1), &sealed).unwrap();
    assert_eq!(opened.refresh_token.expose_secret(), "refresh-SECRET-456");
    assert_eq!(opened.access_expires_at, tokens().access_expires_at);
}

#[test]
fn tokens_do_not_open_for_another_practice_or_with_another_key() {
    let key = TokenKey::generate();
    let sealed = TokenSealer::new(&key).seal_tokens(practice(1), &tokens());
    assert_eq!(
        TokenSealer::new(&key)
            .open_tokens(practice(2), &sealed)
            .unwrap_err(),
        SealError::CannotOpen
    );
    assert!(
        TokenSealer::new(&TokenKey::generate())
            .open_tokens(practice(1), &sealed)
            .is_err()
    );
    assert!(
        TokenSealer::new(&key)
            .open_tokens(practice(1), &sealed[..5])
            .is_err()
    );
}

#[test]
fn two_seals_of_the_same_tokens_differ() {
    let sealer = TokenSealer::new(&TokenKey::generate());
    assert_ne!(
        sealer.seal_tokens(practice(1), &tokens()),
        sealer.seal_tokens(practice(1), &tokens())
    );
}

#[test]
fn keys_round_trip_through_base64_and_bad_keys_are_clear_errors() {
    let key = TokenKey::generate();
    let again = TokenKey::from_base64(key.to_base64().expose_secret()).unwrap();
    assert_eq!(
        again.to_base64().expose_secret(),
        key.to_base64().expose_secret()
    );
    assert!(
        TokenKey::from_base64("not base64!")
            .unwrap_err()
            .to_string()
            .contains("base64")
    );
    assert!(
        TokenKey::from_base64("c2hvcnQ=")
            .unwrap_err()
            .to_string()
            .contains("32 bytes")
    );
    assert_eq!(format!("{key:?}"), "TokenKey(..)");
}

#[test]
fn a_demo_key_file_is_made_once_and_kept() {
    let dir = std::env::temp_dir().join(format!("pmhub-key-{}", Uuid::new_v4()));
    let path = dir.join("token.key");
    let first = TokenKey::load_or_create(&path).unwrap();
    let second = TokenKey::load_or_create(&path).unwrap();
    assert_eq!(
        first.to_base64().expose_secret(),
        second.to_base64().expose_secret()
    );
    std::fs::remove_dir_all(dir).unwrap();
}
