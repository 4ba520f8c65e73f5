use crate::common::{error_of, first, start};
use reqwest::Method;
use xpm_sim::seed::demo;

fn rel(client: &str, related: &str, kind: &str, extra: &str) -> String {
    format!(
        "<Relationship><ClientUUID>{client}</ClientUUID><RelatedClientUUID>{related}</RelatedClientUUID><Type>{kind}</Type>{extra}</Relationship>"
    )
}

#[tokio::test]
async fn add_relationship_shows_on_both_clients_with_the_label_xpm_shows_on_the_related_client() {
    let t = start().await;
    let bob = t
        .add_client("<Name>Bob Holder</Name><BusinessStructure>Individual</BusinessStructure>")
        .await;
    let (s, body) = t
        .xml(
            Method::POST,
            "addrelationship",
            Some(&rel(
                demo::ACME_UUID,
                &bob,
                "Shareholder",
                "<NumberOfShares>100</NumberOfShares><StartDate>2020-01-01</StartDate>",
            )),
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
async fn spouse_is_labelled_spouse_on_the_related_client_too() {
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
            rel(acme, jane, "Appointor", ""),
            "Type 'Appointor' is not a valid relationship type",
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
            "NumberOfShares can only be set on Shareholder and Owner relationships, not Director",
        ),
        (
            rel(acme, jane, "Shareholder", "<Percentage>5</Percentage>"),
            "Percentage can only be set on Partner relationships, not Shareholder",
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
            rel(acme, jane, "Partner", "<Percentage>101</Percentage>"),
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
                "Shareholder",
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
        up.contains("<Name>Shareholder</Name>"),
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
        Some("NumberOfShares can only be set on Shareholder and Owner relationships, not Director")
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
            Some(serde_json::json!({"clientUuid": demo::ACME_UUID, "relatedClientUuid": bob, "type": "Partner", "percentage": 12.5})),
        )
        .await;
    assert_eq!(v["status"], "OK");
    assert_eq!(
        v["clientRelationship"]["relationshipType"]["name"],
        "Partner"
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
    let add = |kind: &'static str, extra: &'static str| {
        let t = &t;
        let bob = bob.clone();
        async move {
            let (_, body) = t
                .xml(
                    Method::POST,
                    "addrelationship",
                    Some(&rel(demo::ACME_UUID, &bob, kind, extra)),
                )
                .await;
            first(&body, "UUID").unwrap_or_else(|| panic!("{body}"))
        }
    };
    // Shares on a shareholding, a percentage on a partnership (XPM takes each only there).
    let id = add(
        "Shareholder",
        "<NumberOfShares>100</NumberOfShares><StartDate>2020-01-01</StartDate><EndDate>2030-06-30</EndDate>",
    )
    .await;
    let partner = add(
        "Partner",
        "<Percentage>25.5</Percentage><StartDate>2020-01-01</StartDate><EndDate>2030-06-30</EndDate>",
    )
    .await;
    let stored = |t: &crate::common::T, id: &str| {
        t.sim
            .control()
            .org_state(demo::TENANT_ID.parse().unwrap())
            .unwrap()
            .org
            .relationships[&id.parse::<uuid::Uuid>().unwrap()]
            .clone()
    };

    // Shares and percentage sent empty (both spellings), dates left out.
    for body in [
        format!("<Relationship><UUID>{id}</UUID><NumberOfShares></NumberOfShares></Relationship>"),
        format!("<Relationship><UUID>{partner}</UUID><Percentage/></Relationship>"),
    ] {
        let (_, up) = t.xml(Method::POST, "updaterelationship", Some(&body)).await;
        assert!(up.contains("<Status>OK</Status>"), "{up}");
        assert!(up.contains("<NumberOfShares />"), "{up}");
        assert!(up.contains("<Percentage />"), "{up}");
        assert!(up.contains("<StartDate>2020-01-01</StartDate>"), "{up}");
        assert!(up.contains("<EndDate>2030-06-30</EndDate>"), "{up}");
    }
    for id in [&id, &partner] {
        let r = stored(&t, id);
        assert_eq!((r.number_of_shares, r.percentage.as_deref()), (None, None));
        assert_eq!(r.start_date.as_deref(), Some("2020-01-01"));
        assert_eq!(r.end_date.as_deref(), Some("2030-06-30"));
    }

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
    let r = stored(&t, &id);
    assert_eq!(r.number_of_shares, Some(40));
    assert_eq!((r.start_date, r.end_date), (None, None));

    // Both sides read the cleared terms.
    for c in [demo::ACME_UUID, bob.as_str()] {
        let (_, v) = t.get_xml(&format!("get/{c}")).await;
        let side = |id: &str| {
            let at = v.find(id).unwrap();
            v[at..at + v[at..].find("</Relationship>").unwrap()].to_string()
        };
        let shares = side(&id);
        assert!(
            shares.contains("<NumberOfShares>40</NumberOfShares>"),
            "{shares}"
        );
        assert!(shares.contains("<Percentage />"), "{shares}");
        assert!(shares.contains("<StartDate />"), "{shares}");
        assert!(shares.contains("<EndDate />"), "{shares}");
        let partnership = side(&partner);
        assert!(partnership.contains("<Percentage />"), "{partnership}");
        assert!(
            partnership.contains("<StartDate>2020-01-01</StartDate>"),
            "{partnership}"
        );
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
    let r = stored(&t, &id);
    assert_eq!(r.number_of_shares, None);
    assert_eq!(r.start_date.as_deref(), Some("2021-02-03"));
    t.json(
        Method::PUT,
        "updaterelationship",
        Some(serde_json::json!({ "uuid": partner, "percentage": 30 })),
    )
    .await;
    let (_, v) = t
        .json(
            Method::PUT,
            "updaterelationship",
            Some(serde_json::json!({ "uuid": partner, "percentage": null })),
        )
        .await;
    assert_eq!(v["status"], "OK", "{v}");
    let r = stored(&t, &partner);
    assert_eq!(r.percentage, None);
    assert_eq!(r.start_date.as_deref(), Some("2020-01-01"));
}

/// XPM's documented list for `Type` (xpm-api.md, corrected 2026-12), in its
/// order, with the label each shows on the related client and the terms it
/// takes: (name, label on the related client, NumberOfShares, Percentage).
const XPM_TYPES: [(&str, &str, bool, bool); 18] = [
    ("Director", "Director Of", false, false),
    ("Shareholder", "Shareholder Of", true, false),
    ("Trustee", "Trustee Of", false, false),
    ("Beneficiary", "Beneficiary Of", false, false),
    ("Partner", "Partner Of", false, true),
    ("Settlor", "Settlor Of", false, false),
    ("Associate", "Associate", false, false),
    ("Secretary", "Secretary Of", false, false),
    ("Public Officer", "Public Officer Of", false, false),
    ("Husband", "Wife", false, false),
    ("Wife", "Husband", false, false),
    ("Spouse", "Spouse", false, false),
    ("Parent Of", "Child Of", false, false),
    ("Child Of", "Parent Of", false, false),
    ("Appointer", "Appointer Of", false, false),
    ("Member", "Member Of", false, false),
    ("Auditor", "Auditor Of", false, false),
    ("Owner", "Owner Of", true, false),
];

/// The `<Relationship>` entries of a get answer, by relationship UUID:
/// (type, related client UUID, the entry's XML).
fn relationships_by_id(body: &str) -> std::collections::BTreeMap<String, (String, String, String)> {
    body.split("<Relationship>")
        .skip(1)
        .map(|r| {
            let r = &r[..r.find("</Relationship>").unwrap()];
            let related = &r[r.find("<RelatedClient>").unwrap()..];
            (
                first(r, "UUID").unwrap(),
                (
                    first(r, "Type").unwrap(),
                    first(related, "UUID").unwrap(),
                    r.to_string(),
                ),
            )
        })
        .collect()
}

async fn structured_pair(t: &crate::common::T) -> (String, String) {
    let a = t
        .add_client("<Name>Alpha Ltd</Name><BusinessStructure>Company</BusinessStructure>")
        .await;
    let b = t
        .add_client("<Name>Beta Person</Name><BusinessStructure>Individual</BusinessStructure>")
        .await;
    (a, b)
}

#[test]
fn the_sim_s_list_is_xpm_s_documented_eighteen() {
    let sim: Vec<_> = xpm_sim::RELATIONSHIP_TYPES
        .iter()
        .map(|t| (t.name, t.seen_from_related, t.shares, t.percentage))
        .collect();
    assert_eq!(sim, XPM_TYPES);
}

#[tokio::test]
async fn every_documented_type_can_be_added_and_reads_back_by_name_and_by_label_on_the_related_client()
 {
    let t = start().await;
    let (a, b) = structured_pair(&t).await;
    let mut added = Vec::new();
    for (i, (name, label, shares, percentage)) in XPM_TYPES.into_iter().enumerate() {
        let mut extra = String::new();
        if shares {
            extra.push_str(&format!("<NumberOfShares>{}</NumberOfShares>", 100 + i));
        }
        if percentage {
            extra.push_str("<Percentage>37.5</Percentage>");
        }
        let (_, body) = t
            .xml(
                Method::POST,
                "addrelationship",
                Some(&rel(&a, &b, name, &extra)),
            )
            .await;
        assert!(body.contains("<Status>OK</Status>"), "{name}: {body}");
        assert!(
            body.contains(&format!("<Name>{name}</Name>")),
            "{name}: {body}"
        );
        added.push((first(&body, "UUID").unwrap(), name, label, extra));
    }
    let (_, from_a) = t.get_xml(&format!("get/{a}")).await;
    let (_, from_b) = t.get_xml(&format!("get/{b}")).await;
    let (from_a, from_b) = (relationships_by_id(&from_a), relationships_by_id(&from_b));
    assert_eq!((from_a.len(), from_b.len()), (18, 18));
    for (id, name, label, extra) in &added {
        let (kind, related, xml) = &from_a[id];
        assert_eq!((kind.as_str(), related), (*name, &b), "{xml}");
        let (kind, related, other_xml) = &from_b[id];
        assert_eq!((kind.as_str(), related), (*label, &a), "{other_xml}");
        // The terms it carries, the same from both sides; none it does not.
        for side in [xml, other_xml] {
            if extra.contains("NumberOfShares") {
                assert!(side.contains(&extra[..extra.find("</NumberOfShares>").unwrap()]));
            } else {
                assert!(side.contains("<NumberOfShares />"), "{side}");
            }
            if extra.contains("Percentage") {
                assert!(side.contains("<Percentage>37.5</Percentage>"), "{side}");
            } else {
                assert!(side.contains("<Percentage />"), "{side}");
            }
        }
    }
}

#[tokio::test]
async fn names_outside_the_list_are_refused_with_the_list_named() {
    let t = start().await;
    let (a, b) = structured_pair(&t).await;
    let list = XPM_TYPES.map(|(name, ..)| name).join(", ");
    for name in ["Appointor", "Director Of", "Shareholder Of"] {
        let (_, body) = t
            .xml(
                Method::POST,
                "addrelationship",
                Some(&rel(&a, &b, name, "")),
            )
            .await;
        assert_eq!(
            error_of(&body).as_deref(),
            Some(
                format!("Type '{name}' is not a valid relationship type. Valid types are: {list}")
                    .as_str()
            ),
            "{body}"
        );
    }
    // A listed name in another case is XPM's type, in XPM's spelling.
    let (_, body) = t
        .xml(
            Method::POST,
            "addrelationship",
            Some(&rel(&a, &b, "appointer", "")),
        )
        .await;
    assert!(body.contains("<Name>Appointer</Name>"), "{body}");
    let state = t
        .sim
        .control()
        .org_state(demo::TENANT_ID.parse().unwrap())
        .unwrap();
    assert_eq!(state.org.relationships.len(), 2, "the seed's and Appointer");
}

#[tokio::test]
async fn shares_off_a_shareholding_and_a_percentage_off_a_partnership_are_refused_on_add_and_update()
 {
    let t = start().await;
    let (a, b) = structured_pair(&t).await;
    let shares_on_director =
        "NumberOfShares can only be set on Shareholder and Owner relationships, not Director";
    let percentage_on_shareholder =
        "Percentage can only be set on Partner relationships, not Shareholder";
    for (kind, extra, expected) in [
        (
            "Director",
            "<NumberOfShares>5</NumberOfShares>",
            shares_on_director,
        ),
        (
            "Shareholder",
            "<NumberOfShares>5</NumberOfShares><Percentage>10</Percentage>",
            percentage_on_shareholder,
        ),
    ] {
        let (_, body) = t
            .xml(
                Method::POST,
                "addrelationship",
                Some(&rel(&a, &b, kind, extra)),
            )
            .await;
        assert_eq!(error_of(&body).as_deref(), Some(expected), "{body}");
    }
    let tenant = demo::TENANT_ID.parse().unwrap();
    assert_eq!(
        t.sim
            .control()
            .org_state(tenant)
            .unwrap()
            .org
            .relationships
            .len(),
        1,
        "nothing was added"
    );

    let add = async |kind: &str, extra: &str| {
        let (_, body) = t
            .xml(
                Method::POST,
                "addrelationship",
                Some(&rel(&a, &b, kind, extra)),
            )
            .await;
        first(&body, "UUID").unwrap_or_else(|| panic!("{body}"))
    };
    let director = add("Director", "").await;
    let shareholder = add("Shareholder", "<NumberOfShares>5</NumberOfShares>").await;
    let before = t.sim.control().org_state(tenant).unwrap().org.relationships;
    for (id, terms, expected) in [
        (
            &director,
            "<NumberOfShares>3</NumberOfShares>",
            shares_on_director,
        ),
        (
            &shareholder,
            "<Percentage>10</Percentage>",
            percentage_on_shareholder,
        ),
    ] {
        for method in [Method::POST, Method::PUT] {
            let (_, body) = t
                .xml(
                    method,
                    "updaterelationship",
                    Some(&format!(
                        "<Relationship><UUID>{id}</UUID>{terms}<StartDate>2024-01-01</StartDate></Relationship>"
                    )),
                )
                .await;
            assert_eq!(error_of(&body).as_deref(), Some(expected), "{body}");
        }
    }
    assert_eq!(
        t.sim.control().org_state(tenant).unwrap().org.relationships,
        before,
        "a refused update changes nothing"
    );
    // Sent empty, a term the type does not carry is no term at all: accepted.
    let (_, body) = t
        .xml(
            Method::POST,
            "updaterelationship",
            Some(&format!(
                "<Relationship><UUID>{director}</UUID><NumberOfShares/><Percentage/></Relationship>"
            )),
        )
        .await;
    assert!(body.contains("<Status>OK</Status>"), "{body}");
}

#[tokio::test]
async fn a_client_without_a_business_structure_cannot_have_relationships_on_either_side() {
    let t = start().await;
    let (structured, _) = structured_pair(&t).await;
    let plain = t.add_client("<Name>No Structure</Name>").await;
    let expected = "The client 'No Structure' must have a Business Structure before relationships can be added";
    for (client, related) in [(&structured, &plain), (&plain, &structured)] {
        let (_, body) = t
            .xml(
                Method::POST,
                "addrelationship",
                Some(&rel(client, related, "Director", "")),
            )
            .await;
        assert_eq!(error_of(&body).as_deref(), Some(expected), "{body}");
    }
    let state = t
        .sim
        .control()
        .org_state(demo::TENANT_ID.parse().unwrap())
        .unwrap();
    assert_eq!(state.org.relationships.len(), 1, "nothing was added");
}
