use crate::common::{error_of, first, start};
use reqwest::Method;
use xpm_sim::seed::demo;

fn rel(client: &str, related: &str, kind: &str, extra: &str) -> String {
    format!(
        "<Relationship><ClientUUID>{client}</ClientUUID><RelatedClientUUID>{related}</RelatedClientUUID><Type>{kind}</Type>{extra}</Relationship>"
    )
}

#[tokio::test]
async fn add_relationship_shows_on_both_clients_with_the_reciprocal_type() {
    let t = start().await;
    let bob = t
        .add_client("<Name>Bob Holder</Name><BusinessStructure>Individual</BusinessStructure>")
        .await;
    let (s, body) = t
        .xml(
            Method::POST,
            "addrelationship",
            Some(&rel(demo::ACME_UUID, &bob, "Shareholder", "<NumberOfShares>100</NumberOfShares><Percentage>25.5</Percentage><StartDate>2020-01-01</StartDate>")),
        )
        .await;
    assert_eq!(s, 200);
    let id = first(&body, "UUID").unwrap();
    insta::assert_snapshot!(
        "add_relationship",
        body.replace(&bob, "BOB-UUID").replace(&id, "REL-UUID")
    );

    let (_, acme) = t.get_xml(&format!("get/{}", demo::ACME_UUID)).await;
    assert!(acme.contains("<Type>Shareholder</Type>"));
    let (_, bob_view) = t.get_xml(&format!("get/{bob}")).await;
    assert!(
        bob_view.contains("<Type>Shareholder Of</Type>"),
        "{bob_view}"
    );
    assert!(
        bob_view.contains(&id),
        "the same relationship from both sides"
    );
    assert!(bob_view.contains("<NumberOfShares>100</NumberOfShares>"));
}

#[tokio::test]
async fn spouse_is_its_own_reciprocal() {
    let t = start().await;
    let a = t
        .add_client("<Name>A</Name><BusinessStructure>Individual</BusinessStructure>")
        .await;
    let (_, body) = t
        .xml(
            Method::POST,
            "addrelationship",
            Some(&rel(&a, demo::JANE_UUID, "spouse", "")),
        )
        .await;
    assert!(body.contains("<Name>Spouse</Name>"), "{body}");
    let (_, jane) = t.get_xml(&format!("get/{}", demo::JANE_UUID)).await;
    assert!(jane.contains("<Type>Spouse</Type>"));
}

#[tokio::test]
async fn add_relationship_validates_like_xpm() {
    let t = start().await;
    let plain = t.add_client("<Name>No Structure</Name>").await;
    let other = t
        .sim
        .control()
        .org_state(demo::SECOND_TENANT_ID.parse().unwrap())
        .unwrap();
    let foreign = other.org.clients.keys().next().unwrap().to_string();
    let acme = demo::ACME_UUID;
    let jane = demo::JANE_UUID;
    let cases = [
        (
            "<Relationship><RelatedClientUUID>x</RelatedClientUUID></Relationship>".to_string(),
            "ClientUUID is required",
        ),
        (
            rel("nope", jane, "Director", ""),
            "ClientUUID 'nope' is not a valid UUID",
        ),
        (
            format!(
                "<Relationship><ClientUUID>{acme}</ClientUUID><Type>Director</Type></Relationship>"
            ),
            "RelatedClientUUID is required",
        ),
        (rel(acme, jane, "", ""), "Type is required"),
        (
            rel(acme, jane, "Husband", ""),
            "Type 'Husband' is not a valid relationship type",
        ),
        (
            rel("00000000-0000-4000-8000-000000000000", jane, "Director", ""),
            "Client not found",
        ),
        (
            rel(acme, &foreign, "Director", ""),
            "Related client not found",
        ),
        (
            rel(acme, acme, "Director", ""),
            "A client cannot have a relationship with itself",
        ),
        (
            rel(acme, &plain, "Director", ""),
            "The client 'No Structure' must have a Business Structure before relationships can be added",
        ),
        (
            rel(acme, jane, "Director", "<NumberOfShares>5</NumberOfShares>"),
            "NumberOfShares can only be set on Shareholder relationships",
        ),
        (
            rel(
                acme,
                jane,
                "Shareholder",
                "<NumberOfShares>-1</NumberOfShares>",
            ),
            "NumberOfShares must be a whole number of 0 or more",
        ),
        (
            rel(acme, jane, "Shareholder", "<Percentage>101</Percentage>"),
            "Percentage must be a number between 0 and 100",
        ),
        (
            rel(acme, jane, "Trustee", "<StartDate>2020-13-01</StartDate>"),
            "StartDate is not a valid date (expected yyyy-MM-dd)",
        ),
        (
            rel(
                acme,
                jane,
                "Trustee",
                "<StartDate>2020-02-01</StartDate><EndDate>2020-01-01</EndDate>",
            ),
            "EndDate cannot be before StartDate",
        ),
        (
            "<Client/>".to_string(),
            "Invalid XML: the root element must be <Relationship>",
        ),
    ];
    for (xml, expected) in cases {
        let (_, body) = t.xml(Method::POST, "addrelationship", Some(&xml)).await;
        let err = error_of(&body).unwrap_or_else(|| panic!("no error for {xml}: {body}"));
        assert!(err.starts_with(expected), "{xml}: got {err}");
    }
    let state = t
        .sim
        .control()
        .org_state(demo::TENANT_ID.parse().unwrap())
        .unwrap();
    assert_eq!(state.org.relationships.len(), 1, "nothing was added");
}

#[tokio::test]
async fn update_relationship_changes_values_not_type_and_accepts_put_or_post() {
    let t = start().await;
    let bob = t
        .add_client("<Name>Bob</Name><BusinessStructure>Individual</BusinessStructure>")
        .await;
    let (_, body) = t
        .xml(
            Method::POST,
            "addrelationship",
            Some(&rel(
                demo::ACME_UUID,
                &bob,
                "Shareholder Of",
                "<NumberOfShares>1</NumberOfShares>",
            )),
        )
        .await;
    let id = first(&body, "UUID").unwrap();
    let (_, up) = t
        .xml(
            Method::PUT,
            "updaterelationship",
            Some(&format!("<Relationship><UUID>{id}</UUID><NumberOfShares>7</NumberOfShares><Type>Director</Type><EndDate>2030-01-01</EndDate></Relationship>")),
        )
        .await;
    assert!(
        up.starts_with("<Response api-method=\"UpdateRelationship\">"),
        "{up}"
    );
    assert!(up.contains("<NumberOfShares>7</NumberOfShares>"));
    assert!(
        up.contains("<Name>Shareholder Of</Name>"),
        "type cannot change"
    );
    let (_, cleared) = t
        .xml(
            Method::POST,
            "updaterelationship",
            Some(&format!(
                "<Relationship><UUID>{id}</UUID><NumberOfShares/></Relationship>"
            )),
        )
        .await;
    assert!(cleared.contains("<NumberOfShares />"), "{cleared}");
    for (xml, expected) in [
        ("<Relationship/>".to_string(), "UUID is required"),
        (
            "<Relationship><UUID>00000000-0000-4000-8000-000000000000</UUID></Relationship>"
                .to_string(),
            "Relationship not found",
        ),
    ] {
        let (_, body) = t.xml(Method::PUT, "updaterelationship", Some(&xml)).await;
        assert_eq!(error_of(&body).as_deref(), Some(expected));
    }
    let state = t
        .sim
        .control()
        .org_state(demo::TENANT_ID.parse().unwrap())
        .unwrap();
    let director = state
        .org
        .relationships
        .values()
        .find(|r| r.kind == "Director")
        .unwrap();
    let (_, bad) = t
        .xml(
            Method::PUT,
            "updaterelationship",
            Some(&format!(
                "<Relationship><UUID>{}</UUID><NumberOfShares>3</NumberOfShares></Relationship>",
                director.uuid
            )),
        )
        .await;
    assert_eq!(
        error_of(&bad).as_deref(),
        Some("NumberOfShares can only be set on Shareholder relationships")
    );
}

#[tokio::test]
async fn delete_relationship_removes_it_from_both_sides() {
    let t = start().await;
    let state = t
        .sim
        .control()
        .org_state(demo::TENANT_ID.parse().unwrap())
        .unwrap();
    let id = state.org.relationships.keys().next().unwrap().to_string();
    let (_, body) = t
        .xml(
            Method::POST,
            "deleterelationship",
            Some(&format!("<Relationship><UUID>{id}</UUID></Relationship>")),
        )
        .await;
    assert_eq!(
        body,
        "<Response api-method=\"DeleteRelationship\">\n  <Status>OK</Status>\n</Response>\n"
    );
    for c in [demo::ACME_UUID, demo::JANE_UUID] {
        let (_, v) = t.get_xml(&format!("get/{c}")).await;
        assert!(v.contains("<Relationships />"));
    }
    let (_, again) = t
        .xml(
            Method::POST,
            "deleterelationship",
            Some(&format!("<Relationship><UUID>{id}</UUID></Relationship>")),
        )
        .await;
    assert_eq!(error_of(&again).as_deref(), Some("Relationship not found"));
}

#[tokio::test]
async fn relationship_json_form_matches_the_spec_shape() {
    let t = start().await;
    let bob = t
        .add_client("<Name>Bob</Name><BusinessStructure>Individual</BusinessStructure>")
        .await;
    let (_, v) = t
        .json(
            Method::POST,
            "addrelationship",
            Some(serde_json::json!({"clientUuid": demo::ACME_UUID, "relatedClientUuid": bob, "type": "Trustee", "percentage": 12.5})),
        )
        .await;
    assert_eq!(v["status"], "OK");
    assert_eq!(
        v["clientRelationship"]["relationshipType"]["name"],
        "Trustee"
    );
    assert_eq!(v["clientRelationship"]["relatedClient"]["uuid"], bob);
    assert_eq!(v["clientRelationship"]["percentage"], 12.5);
}

#[tokio::test]
async fn update_relationship_clears_terms_sent_empty_and_keeps_terms_left_out() {
    let t = start().await;
    let bob = t
        .add_client("<Name>Bob</Name><BusinessStructure>Individual</BusinessStructure>")
        .await;
    let (_, body) = t
        .xml(
            Method::POST,
            "addrelationship",
            Some(&rel(
                demo::ACME_UUID,
                &bob,
                "Shareholder",
                "<NumberOfShares>100</NumberOfShares><Percentage>25.5</Percentage>\
                 <StartDate>2020-01-01</StartDate><EndDate>2030-06-30</EndDate>",
            )),
        )
        .await;
    let id = first(&body, "UUID").unwrap();
    let stored = |t: &crate::common::T| {
        t.sim
            .control()
            .org_state(demo::TENANT_ID.parse().unwrap())
            .unwrap()
            .org
            .relationships[&id.parse::<uuid::Uuid>().unwrap()]
            .clone()
    };

    // Shares and percentage sent empty (both spellings), dates left out.
    let (_, up) = t
        .xml(
            Method::POST,
            "updaterelationship",
            Some(&format!(
                "<Relationship><UUID>{id}</UUID><NumberOfShares></NumberOfShares><Percentage/></Relationship>"
            )),
        )
        .await;
    assert!(up.contains("<Status>OK</Status>"), "{up}");
    assert!(up.contains("<NumberOfShares />"), "{up}");
    assert!(up.contains("<Percentage />"), "{up}");
    assert!(up.contains("<StartDate>2020-01-01</StartDate>"), "{up}");
    assert!(up.contains("<EndDate>2030-06-30</EndDate>"), "{up}");
    let r = stored(&t);
    assert_eq!((r.number_of_shares, r.percentage.as_deref()), (None, None));
    assert_eq!(r.start_date.as_deref(), Some("2020-01-01"));
    assert_eq!(r.end_date.as_deref(), Some("2030-06-30"));

    // Put the shares back, then clear the dates; shares (left out) stay.
    t.xml(
        Method::PUT,
        "updaterelationship",
        Some(&format!(
            "<Relationship><UUID>{id}</UUID><NumberOfShares>40</NumberOfShares></Relationship>"
        )),
    )
    .await;
    let (_, up) = t
        .xml(
            Method::PUT,
            "updaterelationship",
            Some(&format!(
                "<Relationship><UUID>{id}</UUID><StartDate></StartDate><EndDate></EndDate></Relationship>"
            )),
        )
        .await;
    assert!(up.contains("<Status>OK</Status>"), "{up}");
    assert!(up.contains("<NumberOfShares>40</NumberOfShares>"), "{up}");
    assert!(up.contains("<StartDate />"), "{up}");
    assert!(up.contains("<EndDate />"), "{up}");
    let r = stored(&t);
    assert_eq!(r.number_of_shares, Some(40));
    assert_eq!((r.start_date, r.end_date), (None, None));

    // Both sides read the cleared terms.
    for c in [demo::ACME_UUID, bob.as_str()] {
        let (_, v) = t.get_xml(&format!("get/{c}")).await;
        let at = v.find(&id).unwrap();
        let side = &v[at..at + v[at..].find("</Relationship>").unwrap()];
        assert!(
            side.contains("<NumberOfShares>40</NumberOfShares>"),
            "{side}"
        );
        assert!(side.contains("<Percentage />"), "{side}");
        assert!(side.contains("<StartDate />"), "{side}");
        assert!(side.contains("<EndDate />"), "{side}");
    }

    // JSON: null clears, a property left out keeps its value.
    let (_, v) = t
        .json(
            Method::PUT,
            "updaterelationship",
            Some(serde_json::json!({ "uuid": id, "numberOfShares": null, "startDate": "2021-02-03" })),
        )
        .await;
    assert_eq!(v["status"], "OK", "{v}");
    let r = stored(&t);
    assert_eq!(r.number_of_shares, None);
    assert_eq!(r.start_date.as_deref(), Some("2021-02-03"));
}
