//! Custom fields: the definitions endpoint, a client's values read and
//! written in XML and JSON with XPM's rules, the control operations, seeds,
//! persistence, the journal and the sim's page.

use crate::common::{T, error_of, first, start, start_with};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use xpm_sim::seed::demo;
use xpm_sim::{ConnectRequest, ControlClient, JournalFilter, Sim, SimConfig};

const TEXT: &str = demo::PM_HUB_ID_FIELD_UUID;
const DATE: &str = demo::ENGAGEMENT_SIGNED_FIELD_UUID;
const SELECT: &str = demo::SERVICE_TIER_FIELD_UUID;
const CONTACT_ONLY: &str = demo::CONTACT_ONLY_FIELD_UUID;

fn tenant() -> xpm_sim::TenantId {
    demo::TENANT
}

impl T {
    fn api(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/{path}", self.sim.xpm_base_url()))
            .bearer_auth(&self.token)
            .header("xero-tenant-id", &self.tenant)
    }

    async fn definitions_xml(&self) -> String {
        let resp = self
            .api(Method::GET, "customfield.api/definition")
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), 200);
        resp.text().await.expect("body")
    }

    async fn values_xml(&self, client: &str) -> String {
        let resp = self
            .api(Method::GET, &format!("client.api/get/{client}/customfield"))
            .send()
            .await
            .expect("send");
        resp.text().await.expect("body")
    }

    async fn put_values_xml(&self, client: &str, inner: &str) -> String {
        let resp = self
            .api(
                Method::PUT,
                &format!("client.api/update/{client}/customfield"),
            )
            .header("content-type", "application/xml")
            .body(format!("<CustomFields>{inner}</CustomFields>"))
            .send()
            .await
            .expect("send");
        resp.text().await.expect("body")
    }

    async fn api_json(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut r = self.api(method, path).header("accept", "application/json");
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().await.expect("send").json().await.expect("json")
    }
}

fn field(uuid: &str, element: &str, value: &str) -> String {
    format!("<CustomField><UUID>{uuid}</UUID><{element}>{value}</{element}></CustomField>")
}

#[tokio::test]
async fn definitions_list_the_seeded_fields_with_what_each_is_used_for() {
    let t = start().await;
    let xml = t.definitions_xml().await;
    assert!(xml.contains("<Status>OK</Status>"), "{xml}");
    let pm_hub = xml
        .split("<CustomFieldDefinition>")
        .find(|d| d.contains(TEXT))
        .expect("the PM Hub ID field");
    assert!(pm_hub.contains("<Name>PM Hub ID</Name>"), "{pm_hub}");
    assert!(pm_hub.contains("<Type>Text</Type>"), "{pm_hub}");
    assert!(pm_hub.contains("<UseClient>true</UseClient>"), "{pm_hub}");
    assert!(
        pm_hub.contains("<UseContact>false</UseContact>"),
        "{pm_hub}"
    );
    assert!(
        pm_hub.contains("<ValueElement>Text</ValueElement>"),
        "{pm_hub}"
    );
    let tier = xml
        .split("<CustomFieldDefinition>")
        .find(|d| d.contains(SELECT))
        .expect("the Select field");
    assert!(tier.contains("<Type>Select</Type>"), "{tier}");
    assert!(
        tier.contains("<Options>Bronze\nSilver\nGold</Options>"),
        "{tier}"
    );
    assert!(tier.contains("<ValueElement>Text</ValueElement>"), "{tier}");
    let date = xml
        .split("<CustomFieldDefinition>")
        .find(|d| d.contains(DATE))
        .expect("the Date field");
    assert!(date.contains("<ValueElement>Date</ValueElement>"), "{date}");
    let contact = xml
        .split("<CustomFieldDefinition>")
        .find(|d| d.contains(CONTACT_ONLY))
        .expect("the contact field");
    assert!(
        contact.contains("<UseClient>false</UseClient>"),
        "{contact}"
    );
    assert!(
        contact.contains("<UseContact>true</UseContact>"),
        "{contact}"
    );

    let v = t
        .api_json(Method::GET, "customfield.api/definition", None)
        .await;
    let defs = v["customFieldDefinitions"].as_array().expect("a list");
    assert_eq!(defs.len(), 4);
    let tier = defs
        .iter()
        .find(|d| d["uuid"] == SELECT)
        .expect("the Select field");
    assert_eq!(tier["options"], "Bronze\nSilver\nGold");
    assert_eq!(tier["useClient"], true);
    assert_eq!(tier["valueElement"], "Text");
    // The second practice defines none.
    let other = Sim::start(SimConfig::default()).await.expect("sim");
    let tokens = other
        .control()
        .connect(&ConnectRequest {
            client_id: demo::CLIENT_ID.into(),
            user_email: demo::ADMIN_EMAIL.into(),
            tenants: vec![demo::SECOND_TENANT_ID.parse().expect("tenant")],
            scopes: vec![],
        })
        .expect("connect");
    let body = reqwest::Client::new()
        .get(format!(
            "{}/customfield.api/definition",
            other.xpm_base_url()
        ))
        .bearer_auth(tokens.access_token)
        .header("xero-tenant-id", demo::SECOND_TENANT_ID)
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("body");
    assert!(body.contains("<CustomFieldDefinitions />"), "{body}");
    other.stop().await;
}

#[tokio::test]
async fn a_client_answers_only_the_fields_holding_a_value() {
    let t = start().await;
    // Compared without the answer's indentation.
    let acme: String = t
        .values_xml(demo::ACME_UUID)
        .await
        .lines()
        .map(str::trim)
        .collect();
    assert!(acme.contains("<Status>OK</Status>"), "{acme}");
    assert_eq!(acme.matches("<CustomField>").count(), 2, "{acme}");
    assert!(
        acme.contains("<Name>Engagement signed</Name><Date>2024-07-01T00:00:00</Date>"),
        "{acme}"
    );
    assert!(
        acme.contains("<Name>Service tier</Name><Text>Gold</Text>"),
        "{acme}"
    );
    let jane = t.values_xml(demo::JANE_UUID).await;
    assert!(jane.contains("<CustomFields />"), "{jane}");
    let unknown = t.values_xml(&Uuid::nil().to_string()).await;
    assert_eq!(error_of(&unknown).as_deref(), Some("Client not found"));
}

#[tokio::test]
async fn a_text_value_is_written_read_back_and_cleared_by_an_empty_element() {
    let t = start().await;
    let id = t.add_client("<Name>Custom Co</Name>").await;
    let ok = t
        .put_values_xml(&id, &field(TEXT, "Text", "pmhub-42"))
        .await;
    assert!(ok.contains("<Status>OK</Status>"), "{ok}");
    assert!(
        !ok.contains("<CustomField>"),
        "a write answers the Status only: {ok}"
    );
    let read = t.values_xml(&id).await;
    assert_eq!(first(&read, "Text").as_deref(), Some("pmhub-42"));
    assert_eq!(first(&read, "Name").as_deref(), Some("PM Hub ID"));
    let stored = t
        .sim
        .control()
        .client_custom_fields(tenant(), id.parse().expect("uuid"))
        .expect("values");
    assert_eq!(
        stored.get("PM Hub ID").map(String::as_str),
        Some("pmhub-42")
    );
    // A date goes in as yyyyMMdd and comes back with a time.
    let dated = t
        .put_values_xml(&id, &field(DATE, "Date", "20101011"))
        .await;
    assert!(dated.contains("<Status>OK</Status>"), "{dated}");
    let read = t.values_xml(&id).await;
    assert!(read.contains("<Date>2010-10-11T00:00:00</Date>"), "{read}");
    // An empty value element clears the field; the others stay.
    let cleared = t.put_values_xml(&id, &field(TEXT, "Text", "")).await;
    assert!(cleared.contains("<Status>OK</Status>"), "{cleared}");
    let read = t.values_xml(&id).await;
    assert!(!read.contains("PM Hub ID"), "{read}");
    assert!(read.contains("Engagement signed"), "{read}");
}

#[tokio::test]
async fn values_that_do_not_fit_their_field_are_refused_and_nothing_changes() {
    let t = start().await;
    let id = t.add_client("<Name>Strict Co</Name>").await;
    let cases = [
        (field(DATE, "Date", "soon"), "is not a valid date"),
        (field(SELECT, "Text", "Platinum"), "is not an option"),
        (
            field(DATE, "Text", "2024-01-01"),
            "takes a Date value, not Text",
        ),
        (
            field(TEXT, "Date", "20240101"),
            "takes a Text value, not Date",
        ),
        (
            field(&Uuid::nil().to_string(), "Text", "x"),
            "Unknown custom field",
        ),
        (
            field(CONTACT_ONLY, "Text", "mornings"),
            "not used for clients",
        ),
        (
            format!("<CustomField><UUID>{TEXT}</UUID></CustomField>"),
            "needs a value element",
        ),
        (
            format!(
                "<CustomField><UUID>{TEXT}</UUID><Text>a</Text><Date>20240101</Date></CustomField>"
            ),
            "one value element only",
        ),
        (String::new(), "at least one CustomField"),
        // All or nothing: the good value is not kept either.
        (
            format!(
                "{}{}",
                field(TEXT, "Text", "kept?"),
                field(SELECT, "Text", "Tin")
            ),
            "is not an option",
        ),
    ];
    for (inner, expected) in cases {
        let answer = t.put_values_xml(&id, &inner).await;
        let message = error_of(&answer).unwrap_or_else(|| panic!("refused: {inner}\n{answer}"));
        assert!(message.contains(expected), "{inner}: {message}");
    }
    let read = t.values_xml(&id).await;
    assert!(
        read.contains("<CustomFields />"),
        "nothing was written: {read}"
    );
    let missing = t
        .put_values_xml(&Uuid::nil().to_string(), &field(TEXT, "Text", "x"))
        .await;
    assert_eq!(error_of(&missing).as_deref(), Some("Client not found"));
    // A Select value is matched in any case and kept as its option is spelled.
    let ok = t
        .put_values_xml(&id, &field(SELECT, "Text", "silver"))
        .await;
    assert!(ok.contains("<Status>OK</Status>"), "{ok}");
    assert!(t.values_xml(&id).await.contains("<Text>Silver</Text>"));
}

#[tokio::test]
async fn json_writes_and_reads_use_the_spec_names() {
    let t = start().await;
    let id = t.add_client("<Name>Json Co</Name>").await;
    let written = t
        .api_json(
            Method::PUT,
            &format!("client.api/update/{id}/customfield"),
            Some(json!({ "customFields": [
                { "uuid": TEXT, "text": "pmhub-7" },
                { "uuid": DATE, "date": "2025-02-03" },
                { "name": "Service tier", "text": "Bronze" },
            ]})),
        )
        .await;
    assert_eq!(written, json!({ "status": "OK" }));
    let read = t
        .api_json(
            Method::GET,
            &format!("client.api/get/{id}/customfield"),
            None,
        )
        .await;
    assert_eq!(
        read,
        json!({ "status": "OK", "customFields": [
            { "uuid": DATE, "name": "Engagement signed", "date": "2025-02-03T00:00:00" },
            { "uuid": TEXT, "name": "PM Hub ID", "text": "pmhub-7" },
            { "uuid": SELECT, "name": "Service tier", "text": "Bronze" },
        ]})
    );
    let refused = t
        .api_json(
            Method::PUT,
            &format!("client.api/update/{id}/customfield"),
            Some(json!({ "customFields": [{ "uuid": SELECT, "text": "Platinum" }] })),
        )
        .await;
    assert_eq!(refused["status"], "ERROR");
    assert!(
        refused["errorDescription"]
            .as_str()
            .is_some_and(|m| m.contains("Bronze, Silver, Gold")),
        "{refused}"
    );
}

#[tokio::test]
async fn number_decimal_and_boolean_fields_round_trip() {
    let t = start().await;
    let ctl = t.sim.control();
    let mut uuids = Vec::new();
    for (name, kind) in [
        ("Staff count", "Number"),
        ("Fee", "Decimal"),
        ("Newsletter", "Boolean"),
    ] {
        let def = ctl
            .add_custom_field(
                tenant(),
                &json!({ "Name": name, "Type": kind, "UseClient": true }),
            )
            .expect("defined");
        uuids.push(def.uuid.to_string());
    }
    let id = t.add_client("<Name>Typed Co</Name>").await;
    let body = format!(
        "{}{}{}",
        field(&uuids[0], "Number", "12"),
        field(&uuids[1], "Decimal", "1250.50"),
        field(&uuids[2], "Boolean", "true")
    );
    let ok = t.put_values_xml(&id, &body).await;
    assert!(ok.contains("<Status>OK</Status>"), "{ok}");
    let read = t.values_xml(&id).await;
    for expected in [
        "<Number>12</Number>",
        "<Decimal>1250.50</Decimal>",
        "<Boolean>true</Boolean>",
    ] {
        assert!(read.contains(expected), "{expected}: {read}");
    }
    let v = t
        .api_json(
            Method::GET,
            &format!("client.api/get/{id}/customfield"),
            None,
        )
        .await;
    let values: Vec<&Value> = v["customFields"].as_array().expect("list").iter().collect();
    assert!(values.iter().any(|f| f["number"] == 12));
    assert!(values.iter().any(|f| f["decimal"] == 1250.5));
    assert!(values.iter().any(|f| f["boolean"] == true));
    let bad = t
        .put_values_xml(&id, &field(&uuids[0], "Number", "1.5"))
        .await;
    assert!(
        error_of(&bad).is_some_and(|m| m.contains("whole number")),
        "{bad}"
    );
    let bad = t
        .put_values_xml(&id, &field(&uuids[2], "Boolean", "perhaps"))
        .await;
    assert!(
        error_of(&bad).is_some_and(|m| m.contains("true or false")),
        "{bad}"
    );
}

#[tokio::test]
async fn a_write_is_journalled_and_counts_as_a_modification_of_the_client() {
    let t = start().await;
    t.sim.control().advance_clock(time::Duration::minutes(10));
    let ok = t
        .put_values_xml(demo::JANE_UUID, &field(TEXT, "Text", "pmhub-jane"))
        .await;
    assert!(ok.contains("<Status>OK</Status>"), "{ok}");
    let journal = t.sim.control().journal(&JournalFilter {
        method: Some("PUT".into()),
        path: Some("/customfield".into()),
        ..JournalFilter::default()
    });
    assert_eq!(journal.len(), 1);
    assert!(journal[0].request_body.contains("pmhub-jane"));
    assert_eq!(journal[0].status, Some(200));
    let (_, since) = t.get_xml("list?modifiedsince=2026-01-05T09:05:00").await;
    assert!(since.contains(demo::JANE_UUID), "{since}");
    assert!(!since.contains(demo::ACME_UUID), "{since}");
}

#[tokio::test]
async fn definitions_need_a_scope_that_reads_all_of_practice_manager() {
    let sim = Sim::start(SimConfig::default()).await.expect("sim");
    let tokens = sim
        .control()
        .connect(&ConnectRequest {
            client_id: demo::CLIENT_ID.into(),
            user_email: demo::ADMIN_EMAIL.into(),
            tenants: vec![],
            scopes: vec!["practicemanager.client".into()],
        })
        .expect("connect");
    let get = |path: String| {
        reqwest::Client::new()
            .get(format!("{}/{path}", sim.xpm_base_url()))
            .bearer_auth(&tokens.access_token)
            .header("xero-tenant-id", demo::TENANT_ID)
            .send()
    };
    let defs = get("customfield.api/definition".into())
        .await
        .expect("send");
    assert_eq!(defs.status(), 401);
    let values = get(format!("client.api/get/{}/customfield", demo::ACME_UUID))
        .await
        .expect("send");
    assert_eq!(values.status(), 200, "client scopes read a client's values");
    sim.stop().await;
}

#[tokio::test]
async fn the_control_api_defines_fields_and_a_person_fills_them_in() {
    let t = start().await;
    let ctl = ControlClient::new(t.sim.base_url());
    let def = ctl
        .add_custom_field(
            tenant(),
            &json!({ "Name": "Risk", "Type": "Select", "Options": ["Low", "High"], "UseClient": true }),
        )
        .await
        .expect("defined");
    assert_eq!(def.options, ["Low", "High"]);
    let again = ctl
        .add_custom_field(tenant(), &json!({ "Name": "risk", "Type": "Text" }))
        .await
        .expect_err("a second field of the same name");
    assert!(again.to_string().contains("already exists"), "{again}");
    for (bad, why) in [
        (
            json!({ "Name": "Tier 2", "Type": "Select" }),
            "needs Options",
        ),
        (
            json!({ "Name": "Opt", "Type": "Text", "Options": ["a"] }),
            "Only a Select",
        ),
        (
            json!({ "Name": "Colour", "Type": "Colour" }),
            "is not a custom field type",
        ),
        (json!({ "Type": "Text" }), "Name is required"),
    ] {
        let err = ctl
            .add_custom_field(tenant(), &bad)
            .await
            .expect_err("refused");
        assert!(err.to_string().contains(why), "{bad}: {err}");
    }
    assert_eq!(ctl.custom_fields(tenant()).await.expect("list").len(), 5);
    let acme = demo::ACME;
    let values = ctl
        .set_client_custom_fields(
            tenant(),
            acme,
            &json!({ "Risk": "high", "PM Hub ID": "typed" }),
        )
        .await
        .expect("filled in");
    assert_eq!(values.get("Risk").map(String::as_str), Some("High"));
    assert_eq!(values.get("PM Hub ID").map(String::as_str), Some("typed"));
    let refused = ctl
        .set_client_custom_fields(tenant(), acme, &json!({ "Risk": "Medium" }))
        .await
        .expect_err("not an option");
    assert!(refused.to_string().contains("not an option"), "{refused}");
    let emptied = ctl
        .set_client_custom_fields(tenant(), acme, &json!({ "PM Hub ID": "" }))
        .await
        .expect("emptied");
    assert!(!emptied.contains_key("PM Hub ID"));
    assert_eq!(
        ctl.client_custom_fields(tenant(), acme)
            .await
            .expect("values")
            .len(),
        3
    );
    // Control calls are not journalled.
    assert!(t.sim.control().journal_all().is_empty());
}

#[tokio::test]
async fn seeds_define_fields_and_values_and_a_state_file_keeps_them() {
    let dir = std::env::temp_dir().join(format!("xpm-sim-cf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("state.json");
    let _ = std::fs::remove_file(&file);
    let cfg = SimConfig {
        state_file: Some(file.clone()),
        ..SimConfig::default()
    };
    let t = start_with(cfg.clone()).await;
    let report = t
        .sim
        .control()
        .seed(
            &serde_json::from_value(json!({ "orgs": [{
                "id": demo::SECOND_TENANT_ID,
                "name": "Second Practice",
                "custom_fields": [{ "Name": "File number", "Type": "Text", "UseClient": true }],
                "clients": [{ "Name": "Seeded Co", "CustomFields": { "File number": "F-1" } }],
            }]}))
            .expect("a seed"),
        )
        .expect("seeded");
    let seeded = report.clients["Second Practice/Seeded Co"];
    let bad = t.sim.control().seed(
        &serde_json::from_value(json!({ "orgs": [{
            "id": demo::SECOND_TENANT_ID,
            "name": "Second Practice",
            "clients": [{ "Name": "Bad Co", "CustomFields": { "No such field": "x" } }],
        }]}))
        .expect("a seed"),
    );
    assert!(bad.is_err_and(|e| e.to_string().contains("Unknown custom field")));
    t.sim.stop().await;
    let sim = Sim::start(cfg).await.expect("restart");
    let second = demo::SECOND_TENANT;
    let values = sim
        .control()
        .client_custom_fields(second, seeded)
        .expect("values");
    assert_eq!(values.get("File number").map(String::as_str), Some("F-1"));
    assert_eq!(sim.control().custom_fields(second).expect("defs").len(), 1);
    sim.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_sim_page_shows_definitions_and_each_clients_values() {
    let t = start().await;
    let page = crate::common::http()
        .get(format!("{}/_sim/ui", t.sim.base_url()))
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("page");
    assert!(page.contains("<h3>Custom fields</h3>"), "{page}");
    assert!(page.contains("Service tier: Gold"), "{page}");
    assert!(page.contains("Engagement signed: 2024-07-01"), "{page}");
    assert!(page.contains("Bronze, Silver, Gold"), "{page}");
}
