use crate::common::{error_of, first, start};
use reqwest::Method;
use xpm_sim::seed::demo;

#[tokio::test]
async fn contacts_can_be_created_read_changed_linked_and_deleted() {
    let t = start().await;
    let (_, list) = t.get_xml("contacts").await;
    assert!(list.starts_with("<Response api-method=\"Contacts\">"));
    assert_eq!(
        list.matches("<Contact>").count(),
        1,
        "the seeded Acme contact"
    );

    let body = format!(
        "<Contact><Name>Pat Bookkeeper</Name><Email>pat@acme.test</Email><Position>Bookkeeper</Position><Client><UUID>{}</UUID></Client></Contact>",
        demo::ACME_UUID
    );
    let (s, created) = t.xml(Method::POST, "contact", Some(&body)).await;
    assert_eq!(s, 200);
    let id = first(&created, "UUID").unwrap();
    let (_, acme) = t.get_xml(&format!("get/{}", demo::ACME_UUID)).await;
    assert!(acme.contains("<Name>Pat Bookkeeper</Name>"));

    // Link to Jane with another position.
    let link = format!(
        "<Client><Contacts><Contact><UUID>{id}</UUID><Position>Adviser</Position><IsPrimary>Yes</IsPrimary></Contact></Contacts></Client>"
    );
    let (_, linked) = t
        .xml(
            Method::POST,
            &format!("client/{}/contacts", demo::JANE_UUID),
            Some(&link),
        )
        .await;
    assert!(linked.contains("<Position>Adviser</Position>"), "{linked}");
    // A shared field changes on every link; the position only on the named one.
    let (_, updated) = t
        .xml(
            Method::PUT,
            &format!("contact/{id}?clientUuid={}", demo::JANE_UUID),
            Some("<Contact><Phone>555</Phone><Position>Trusted Adviser</Position></Contact>"),
        )
        .await;
    assert!(
        updated.contains("<Position>Trusted Adviser</Position>"),
        "{updated}"
    );
    let (_, on_acme) = t
        .get_xml(&format!("contact/{id}?clientUuid={}", demo::ACME_UUID))
        .await;
    assert!(on_acme.contains("<Phone>555</Phone>"));
    assert!(on_acme.contains("<Position>Bookkeeper</Position>"));

    let (_, removed) = t
        .xml(
            Method::DELETE,
            &format!("contact/{id}?clientUuid={}", demo::JANE_UUID),
            None,
        )
        .await;
    assert!(removed.contains("<IsDeleted>Yes</IsDeleted>"));
    let (_, still) = t.get_xml(&format!("contact/{id}")).await;
    assert!(error_of(&still).is_none(), "still linked to Acme");
    t.xml(Method::DELETE, &format!("contact/{id}"), None).await;
    let (_, gone) = t.get_xml(&format!("contact/{id}")).await;
    assert_eq!(error_of(&gone).as_deref(), Some("Contact not found"));
}

#[tokio::test]
async fn contact_endpoints_validate() {
    let t = start().await;
    let cases = [
        (Method::POST, "contact".to_string(), Some("<Contact><Name>X</Name></Contact>".to_string()), "Client UUID is required"),
        (Method::POST, "contact".to_string(), Some(format!("<Contact><Client><UUID>{}</UUID></Client></Contact>", demo::ACME_UUID)), "Name is required"),
        (Method::POST, "contact".to_string(), Some("<Contact><Name>X</Name><Client><UUID>00000000-0000-4000-8000-000000000000</UUID></Client></Contact>".to_string()), "Client not found"),
        (Method::POST, "contact".to_string(), Some(format!("<Contact><Name>X</Name><Email>bad</Email><Client><UUID>{}</UUID></Client></Contact>", demo::ACME_UUID)), "Email is not a valid email address"),
        (Method::GET, "contact/nope".to_string(), None, "Contact not found"),
        (Method::PUT, "contact/00000000-0000-4000-8000-000000000000".to_string(), Some("<Contact><Phone>1</Phone></Contact>".to_string()), "Contact not found"),
        (Method::POST, format!("client/{}/contacts", demo::JANE_UUID), Some("<Client><Contacts/></Client>".to_string()), "Contacts are required"),
        (Method::POST, format!("client/{}/contacts", demo::JANE_UUID), Some("<Client><Contacts><Contact><UUID>00000000-0000-4000-8000-000000000000</UUID></Contact></Contacts></Client>".to_string()), "Contact '00000000-0000-4000-8000-000000000000' not found"),
    ];
    for (method, path, body, expected) in cases {
        let (_, answer) = t.xml(method, &path, body.as_deref()).await;
        assert_eq!(error_of(&answer).as_deref(), Some(expected), "{path}");
    }
    let (s, _) = t.get_xml("contacts?pageSize=0").await;
    assert_eq!(s, 400);
}
