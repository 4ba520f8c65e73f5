use crate::common::{error_of, first, start};
use reqwest::Method;
use xpm_sim::seed::demo;

#[tokio::test]
async fn get_answers_the_client_with_relationships_contacts_and_masked_tax_number() {
    let t = start().await;
    let (s, body) = t.get_xml(&format!("get/{}", demo::JANE_UUID)).await;
    assert_eq!(s, 200);
    assert!(body.contains("<TaxNumber>******782</TaxNumber>"), "{body}");
    insta::assert_snapshot!("get_jane", body);
    let (_, acme) = t.get_xml(&format!("get/{}", demo::ACME_UUID)).await;
    insta::assert_snapshot!("get_acme", acme);
}

#[tokio::test]
async fn list_answers_live_clients_by_name_and_detailed_adds_relationships() {
    let t = start().await;
    let (s, body) = t.get_xml("list").await;
    assert_eq!(s, 200);
    assert!(body.starts_with("<Response api-method=\"List\">"));
    let acme = body.find("Acme Holdings").unwrap();
    let jane = body.find(demo::JANE_UUID).unwrap();
    assert!(acme < jane);
    assert!(!body.contains("<Relationships>"));
    assert!(
        !body.contains("Other Co"),
        "another practice's client leaked"
    );
    let (_, detailed) = t.get_xml("list?detailed=true").await;
    assert!(detailed.contains("<Relationships>"));
}

#[tokio::test]
async fn list_modifiedsince_filters_by_modification_time() {
    let t = start().await;
    t.sim.control().advance_clock(time::Duration::minutes(20));
    let id = t.add_client("<Name>Later Ltd</Name>").await;
    let (_, body) = t.get_xml("list?modifiedsince=2026-01-05T09:10:00").await;
    assert!(body.contains(&id));
    assert!(!body.contains(demo::ACME_UUID));
    let (_, bad) = t.get_xml("list?modifiedsince=yesterday").await;
    assert!(error_of(&bad).unwrap().contains("modifiedsince"));
}

#[tokio::test]
async fn search_matches_names_case_insensitively() {
    let t = start().await;
    let (_, body) = t.get_xml("search?query=acme").await;
    assert!(body.starts_with("<Response api-method=\"Search\">"));
    assert!(body.contains(demo::ACME_UUID));
    assert!(!body.contains(demo::JANE_UUID));
    let (_, none) = t.get_xml("search?query=zzz").await;
    assert!(none.contains("<Clients />"));
    let (_, missing) = t.get_xml("search").await;
    assert_eq!(error_of(&missing).as_deref(), Some("query is required"));
}

#[tokio::test]
async fn add_creates_the_client_with_contacts_and_answers_it() {
    let t = start().await;
    let (s, body) = t
        .xml(
            Method::POST,
            "add",
            Some(
                "<Client><Name>New &amp; Co</Name><Email>a@new.test</Email><IsProspect>no</IsProspect>\
                 <BusinessStructure>Company</BusinessStructure><TaxNumber>98 765 4321</TaxNumber>\
                 <AccountManagerUUID>5a1e0c2b-7d3f-4a8e-9b6c-2e4f6a8b0c1d</AccountManagerUUID>\
                 <Contacts><Contact><Name>Bo</Name><Email>bo@new.test</Email><IsPrimary>Yes</IsPrimary></Contact></Contacts></Client>",
            ),
        )
        .await;
    assert_eq!(s, 200);
    insta::assert_snapshot!("add_new_co", body);
    let id = first(&body, "UUID").unwrap();
    let stored = t
        .sim
        .control()
        .client(demo::TENANT_ID.parse().unwrap(), id.parse().unwrap())
        .unwrap();
    assert_eq!(stored.field("TaxNumber"), Some("987654321"));
    assert_eq!(stored.field("Name"), Some("New & Co"));
    assert_eq!(stored.contacts.len(), 1);
}

#[tokio::test]
async fn add_is_not_idempotent() {
    let t = start().await;
    let a = t.add_client("<Name>Twice</Name>").await;
    let b = t.add_client("<Name>Twice</Name>").await;
    assert_ne!(a, b);
    let (_, body) = t.get_xml("search?query=Twice").await;
    assert_eq!(body.matches("<Name>Twice</Name>").count(), 2);
}

#[tokio::test]
async fn add_validates_like_xpm() {
    let t = start().await;
    let cases = [
        (
            "<Client><Email>x@y.test</Email></Client>",
            "Name is required",
        ),
        ("<Client><Name>  </Name></Client>", "Name is required"),
        (
            "<Client><Name>A</Name><Email>nope</Email></Client>",
            "Email is not a valid email address",
        ),
        (
            "<Client><Name>A</Name><DateOfBirth>31/12/1990</DateOfBirth></Client>",
            "DateOfBirth is not a valid date (expected yyyy-MM-dd)",
        ),
        (
            "<Client><Name>A</Name><IsProspect>maybe</IsProspect></Client>",
            "IsProspect must be Yes or No",
        ),
        (
            "<Client><Name>A</Name><BusinessStructure>Cooperative</BusinessStructure></Client>",
            "BusinessStructure 'Cooperative' is not a valid business structure",
        ),
        (
            "<Client><Name>A</Name><TaxNumber>12x</TaxNumber></Client>",
            "TaxNumber must be 8 to 12 digits",
        ),
        (
            "<Client><Name>A</Name><BalanceMonth>13</BalanceMonth></Client>",
            "BalanceMonth must be a month (1-12)",
        ),
        (
            "<Client><Name>A</Name><GSTPeriod>5</GSTPeriod></Client>",
            "GSTPeriod must be 1, 2, 3, 4, 6 or 12 (months)",
        ),
        (
            "<Client><Name>A</Name><Gender>X</Gender></Client>",
            "Gender must be Male or Female",
        ),
        (
            "<Client><Name>A</Name><ProvisionalTaxRatio>lots</ProvisionalTaxRatio></Client>",
            "ProvisionalTaxRatio must be a decimal number",
        ),
        (
            "<Client><Name>A</Name><AccountManagerUUID>not-a-uuid</AccountManagerUUID></Client>",
            "AccountManagerUUID is not a valid UUID",
        ),
        (
            "<Client><Name>A</Name><JobManagerUUID>00000000-0000-4000-8000-000000000000</JobManagerUUID></Client>",
            "JobManagerUUID '00000000-0000-4000-8000-000000000000' is not a staff member",
        ),
        (
            "<Client><Name>A</Name><BillingClientUUID>00000000-0000-4000-8000-000000000000</BillingClientUUID></Client>",
            "BillingClientUUID '00000000-0000-4000-8000-000000000000' is not a client",
        ),
        (
            "<Client><Name>A</Name><Contacts><Contact><Email>c@d.test</Email></Contact></Contacts></Client>",
            "Contact Name is required",
        ),
        (
            "<Client><Name>A</Name><Phone>012345678901234567890123456789012345678901234567890</Phone></Client>",
            "Phone exceeds the maximum length of 50 characters",
        ),
        (
            "<Relationship><Name>A</Name></Relationship>",
            "Invalid XML: the root element must be <Client>",
        ),
        ("<Client><Name>A</Client>", "Invalid XML"),
        ("", "The request body is empty"),
    ];
    for (xml, expected) in cases {
        let (s, body) = t.xml(Method::POST, "add", Some(xml)).await;
        assert_eq!(s, 200, "{xml}");
        let err = error_of(&body).unwrap_or_else(|| panic!("no error for {xml}: {body}"));
        assert!(err.starts_with(expected), "{xml}: got {err}");
        assert!(
            !body.contains("api-method"),
            "error envelope has no api-method"
        );
    }
    let (_, list) = t.get_xml("list").await;
    assert_eq!(list.matches("<Client>").count(), 2, "nothing was added");
}

#[tokio::test]
async fn error_status_is_configurable() {
    let t = crate::common::start_with(xpm_sim::SimConfig {
        error_status: 400,
        ..xpm_sim::SimConfig::default()
    })
    .await;
    let (s, body) = t.xml(Method::POST, "add", Some("<Client/>")).await;
    assert_eq!(s, 400);
    insta::assert_snapshot!("error_envelope", body);
}

#[tokio::test]
async fn update_changes_only_given_fields_and_empty_clears() {
    let t = start().await;
    let xml = format!(
        "<Client><UUID>{}</UUID><Email>new@acme.test</Email><CompanyNumber/></Client>",
        demo::ACME_UUID
    );
    let (s, body) = t.xml(Method::PUT, "update", Some(&xml)).await;
    assert_eq!(s, 200);
    assert!(body.starts_with("<Response api-method=\"Update\">"));
    assert!(body.contains("<Email>new@acme.test</Email>"));
    assert!(body.contains("<CompanyNumber />"));
    assert!(body.contains("<Name>Acme Holdings Pty Ltd</Name>"));
    assert!(body.contains("<Type>Director</Type>"), "relationships kept");
}

#[tokio::test]
async fn update_validates() {
    let t = start().await;
    let cases = [
        (
            "<Client><Name>X</Name></Client>".to_string(),
            "UUID is required",
        ),
        (
            "<Client><UUID>nope</UUID></Client>".to_string(),
            "UUID 'nope' is not a valid UUID",
        ),
        (
            "<Client><UUID>00000000-0000-4000-8000-000000000000</UUID><Name>X</Name></Client>"
                .to_string(),
            "Client not found",
        ),
        (
            format!("<Client><UUID>{}</UUID><Name/></Client>", demo::ACME_UUID),
            "Name is required",
        ),
        (
            format!(
                "<Client><UUID>{}</UUID><BusinessStructure/></Client>",
                demo::ACME_UUID
            ),
            "BusinessStructure cannot be removed while the client has relationships",
        ),
        (
            format!(
                "<Client><UUID>{0}</UUID><BillingClientUUID>{0}</BillingClientUUID></Client>",
                demo::ACME_UUID
            ),
            "BillingClientUUID cannot be the client itself",
        ),
    ];
    for (xml, expected) in cases {
        let (_, body) = t.xml(Method::PUT, "update", Some(&xml)).await;
        assert_eq!(error_of(&body).as_deref(), Some(expected), "{xml}");
    }
    let (s, _) = t.xml(Method::POST, "update", Some("<Client/>")).await;
    assert_eq!(s, 405, "update is PUT only");
}

#[tokio::test]
async fn archive_keeps_the_client_readable_and_delete_removes_it_with_its_relationships() {
    let t = start().await;
    let xml = format!("<Client><UUID>{}</UUID></Client>", demo::JANE_UUID);
    let (_, body) = t.xml(Method::PUT, "archive", Some(&xml)).await;
    assert_eq!(
        body,
        "<Response api-method=\"Archive\">\n  <Status>OK</Status>\n</Response>\n"
    );
    let (_, jane) = t.get_xml(&format!("get/{}", demo::JANE_UUID)).await;
    assert!(jane.contains("<IsArchived>Yes</IsArchived>"));

    let (_, body) = t.xml(Method::POST, "delete", Some(&xml)).await;
    assert!(body.contains("<Status>OK</Status>"));
    let (_, gone) = t.get_xml(&format!("get/{}", demo::JANE_UUID)).await;
    assert_eq!(error_of(&gone).as_deref(), Some("Client not found"));
    let (_, acme) = t.get_xml(&format!("get/{}", demo::ACME_UUID)).await;
    assert!(acme.contains("<Relationships />"), "{acme}");
    let (_, again) = t.xml(Method::POST, "delete", Some(&xml)).await;
    assert_eq!(error_of(&again).as_deref(), Some("Client not found"));
    let (_, arch) = t
        .xml(
            Method::PUT,
            "archive",
            Some("<Client><UUID>bad</UUID></Client>"),
        )
        .await;
    assert_eq!(
        error_of(&arch).as_deref(),
        Some("UUID 'bad' is not a valid UUID")
    );
}

#[tokio::test]
async fn get_unknown_client_is_an_error() {
    let t = start().await;
    for id in [
        "not-a-uuid",
        "00000000-0000-4000-8000-000000000000",
        "2f7e5c3a-4d6b-4e8f-a09b-1c2d3e4f5a6b",
    ] {
        let (_, body) = t.get_xml(&format!("get/{id}")).await;
        assert_eq!(error_of(&body).as_deref(), Some("Client not found"), "{id}");
    }
}

#[tokio::test]
async fn json_form_answers_camel_case_envelopes() {
    let t = start().await;
    let (s, v) = t
        .json(Method::GET, &format!("get/{}", demo::JANE_UUID), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["status"], "OK");
    assert_eq!(v["client"]["name"], "Jane Citizen");
    assert_eq!(v["client"]["taxNumber"], "******782");
    assert_eq!(v["client"]["relationships"][0]["type"], "Director Of");
    insta::assert_snapshot!("get_jane_json", serde_json::to_string_pretty(&v).unwrap());
    let (_, added) = t
        .json(
            Method::POST,
            "add",
            Some(serde_json::json!({"name": "Json Ltd", "balanceMonth": "6", "gstPeriod": 2})),
        )
        .await;
    assert_eq!(added["client"]["balanceMonth"], 6);
    assert_eq!(added["client"]["gstPeriod"], "2");
    let (_, err) = t
        .json(
            Method::POST,
            "add",
            Some(serde_json::json!({"email": "x@y.test"})),
        )
        .await;
    assert_eq!(
        err,
        serde_json::json!({"status": "ERROR", "errorDescription": "Name is required"})
    );
    let resp = t
        .req(Method::POST, "add")
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["status"], "ERROR");
    assert!(
        v["errorDescription"]
            .as_str()
            .unwrap()
            .starts_with("Invalid JSON")
    );
}

#[tokio::test]
async fn paged_list_pages_through_active_clients() {
    let t = start().await;
    for i in 0..3 {
        t.add_client(&format!("<Name>Paged {i}</Name>")).await;
    }
    let xml = format!("<Client><UUID>{}</UUID></Client>", demo::JANE_UUID);
    t.xml(Method::PUT, "archive", Some(&xml)).await;
    let (s, v) = t.json(Method::GET, "paged-list?pageSize=2", None).await;
    assert_eq!(s, 200);
    let names: Vec<&str> = v["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Acme Holdings Pty Ltd", "Paged 0"]);
    assert!(
        v["clients"][0].get("contacts").is_none(),
        "ClientBaseDto has no contacts"
    );
    let next = v["pagination"]["links"]["next"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = t
        .http
        .get(&next)
        .bearer_auth(&t.token)
        .header("xero-tenant-id", &t.tenant)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    let v2: serde_json::Value = resp.json().await.unwrap();
    let names: Vec<&str> = v2["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Paged 1", "Paged 2"], "archived Jane is left out");
    assert!(v2["pagination"]["links"]["next"].is_null());
    let (_, xml) = t.get_xml("paged-list?pageSize=1").await;
    assert!(xml.starts_with("<Response api-method=\"PagedList\">"));
    assert!(xml.contains("<Pagination>"));
    assert!(!xml.contains("<Contacts"));
    for bad in [
        "paged-list?pageSize=0",
        "paged-list?pageSize=x",
        "paged-list?pageToken=zzz",
    ] {
        let (s, body) = t.get_xml(bad).await;
        assert_eq!(s, 400, "{bad}");
        assert!(error_of(&body).is_some());
    }
}

/// The UUIDs of the clients in a list or search answer, in order.
fn uuids_in(body: &str) -> Vec<String> {
    body.split("<Client>")
        .skip(1)
        .filter_map(|c| first(c, "UUID"))
        .collect()
}

#[tokio::test]
async fn search_matches_business_and_company_numbers_by_digits_and_email_case_insensitively() {
    let t = start().await;
    let ctl = t.sim.control();
    let tenant = demo::TENANT_ID.parse().unwrap();
    ctl.edit_client(
        tenant,
        demo::ACME_UUID.parse().unwrap(),
        &serde_json::json!({ "BusinessNumber": "53 004 085 616" }),
    )
    .unwrap();
    ctl.edit_client(
        tenant,
        demo::JANE_UUID.parse().unwrap(),
        &serde_json::json!({ "ClientCode": "JC01" }),
    )
    .unwrap();
    let numbers = t
        .add_client(
            "<Name>Numbers Ltd</Name><BusinessNumber>51824753556</BusinessNumber>\
             <CompanyNumber>ACN 004 085 616</CompanyNumber>",
        )
        .await;
    let acme = demo::ACME_UUID.to_string();
    let jane = demo::JANE_UUID.to_string();
    let cases: [(&str, Vec<&String>); 14] = [
        // Spaced in XPM, typed without spaces, and the other way round.
        ("53004085616", vec![&acme]),
        ("53%20004%20085%20616", vec![&acme]),
        ("51+824+753+556", vec![&numbers]),
        // Digits compared as substrings, in both identifiers.
        ("004085616", vec![&acme, &numbers]),
        ("123%20456%20789", vec![&acme]),
        // Plain substrings of the stored text still match.
        ("1234", vec![&acme]),
        // Fewer than six digits: only the text is compared.
        ("123%2045", vec![]),
        // Not only digits and spaces: only the text is compared.
        ("53-004-085-616", vec![]),
        // Email, any case.
        ("ACCOUNTS%40ACME.TEST", vec![&acme]),
        ("Citizen.TEST", vec![&jane]),
        // Names and client code, as before.
        ("jc01", vec![&jane]),
        ("citizen", vec![&jane]),
        ("numbers", vec![&numbers]),
        ("%20holdings%20", vec![&acme]),
    ];
    for (q, expected) in cases {
        let (s, body) = t.get_xml(&format!("search?query={q}")).await;
        assert_eq!(s, 200, "{q}");
        assert!(body.contains("<Status>OK</Status>"), "{q}: {body}");
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(uuids_in(&body), expected, "query {q}");
    }
    let (_, other) = t.get_xml("search?query=Other").await;
    assert!(
        uuids_in(&other).is_empty(),
        "another practice's client leaked"
    );
}

/// The `<Client>...</Client>` part of an answer, without its indentation
/// (a list nests it one level deeper than get).
fn client_element(body: &str) -> String {
    let start = body.find("<Client>").expect("a client");
    let end = body.rfind("</Client>").expect("a client") + "</Client>".len();
    body[start..end]
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn search_detailed_answers_the_detailed_client_like_get() {
    let t = start().await;
    t.sim
        .control()
        .edit_client(
            demo::TENANT_ID.parse().unwrap(),
            demo::JANE_UUID.parse().unwrap(),
            &serde_json::json!({
                "ClientCode": "JC01",
                "BusinessNumber": "12 345 678 901",
                "CompanyNumber": "ACN 004 085 616",
            }),
        )
        .unwrap();
    let (_, got) = t.get_xml(&format!("get/{}", demo::JANE_UUID)).await;
    let (s, found) = t.get_xml("search?query=12345678901&detailed=true").await;
    assert_eq!(s, 200);
    assert_eq!(uuids_in(&found), [demo::JANE_UUID]);
    let client = client_element(&found);
    assert_eq!(client, client_element(&got), "search detailed = get");
    for element in [
        "<Email>jane@citizen.test</Email>",
        "<BusinessNumber>12 345 678 901</BusinessNumber>",
        "<CompanyNumber>ACN 004 085 616</CompanyNumber>",
        "<ClientCode>JC01</ClientCode>",
        "<DateOfBirth>1980-04-12</DateOfBirth>",
        "<FirstName>Jane</FirstName>",
        "<LastName>Citizen</LastName>",
        "<Type>Director Of</Type>",
    ] {
        assert!(client.contains(element), "{element} missing: {client}");
    }
    let (_, brief) = t.get_xml("search?query=JC01").await;
    assert!(brief.contains("<ClientCode>JC01</ClientCode>"));
    assert!(
        !brief.contains("<Relationships"),
        "not detailed: no relationships"
    );

    let (_, got) = t
        .json(Method::GET, &format!("get/{}", demo::JANE_UUID), None)
        .await;
    let (_, found) = t
        .json(Method::GET, "search?query=jc01&detailed=true", None)
        .await;
    assert_eq!(found["clients"][0], got["client"], "JSON too");
    assert_eq!(found["clients"][0]["businessNumber"], "12 345 678 901");
}

#[tokio::test]
async fn update_with_an_empty_email_clears_it_and_fields_left_out_keep_their_values() {
    let t = start().await;
    let xml = format!(
        "<Client><UUID>{}</UUID><Email></Email><Phone>02 9999 0000</Phone></Client>",
        demo::ACME_UUID
    );
    let (_, body) = t.xml(Method::PUT, "update", Some(&xml)).await;
    assert!(body.contains("<Status>OK</Status>"), "{body}");
    assert!(body.contains("<Email />"), "{body}");
    assert!(body.contains("<Phone>02 9999 0000</Phone>"));
    assert!(body.contains("<CompanyNumber>123456789</CompanyNumber>"));
    assert!(body.contains("<BusinessStructure>Company</BusinessStructure>"));

    // Next update leaves Email and Phone out: they keep their values.
    let xml = format!(
        "<Client><UUID>{}</UUID><ClientCode>ACME</ClientCode></Client>",
        demo::ACME_UUID
    );
    t.xml(Method::PUT, "update", Some(&xml)).await;
    let (_, got) = t.get_xml(&format!("get/{}", demo::ACME_UUID)).await;
    let client = client_element(&got);
    assert!(client.contains("<Email />"), "still cleared: {client}");
    assert!(client.contains("<Phone>02 9999 0000</Phone>"));
    assert!(client.contains("<ClientCode>ACME</ClientCode>"));
    assert!(client.contains("<Name>Acme Holdings Pty Ltd</Name>"));
    let stored = t
        .sim
        .control()
        .client(
            demo::TENANT_ID.parse().unwrap(),
            demo::ACME_UUID.parse().unwrap(),
        )
        .unwrap();
    assert_eq!(stored.field("Email"), None);

    // JSON: null clears too, and the form is matched loosely.
    let (_, v) = t
        .json(
            Method::PUT,
            "update",
            Some(serde_json::json!({ "uuid": demo::JANE_UUID, "email": null })),
        )
        .await;
    assert_eq!(v["status"], "OK", "{v}");
    assert!(v["client"]["email"].is_null(), "{v}");
    assert_eq!(v["client"]["firstName"], "Jane");
}
