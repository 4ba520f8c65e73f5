//! Conformance with Xero's OpenAPI description (spec/xero-practicemanager-v3-1.yaml):
//! the sim's JSON answers validate against the spec's response schemas, the
//! test's requests against the request schemas, and every request field the
//! spec defines is accepted and comes back in the answer.
//!
//! The spec is generated from C# DTOs: `allOf` members each say
//! `additionalProperties: false`, which strict JSON Schema reads as "no
//! object can match". The converter below merges `allOf` members into one
//! object (what the DTOs mean) and turns OpenAPI's `nullable` into JSON
//! Schema's `null` type; validation itself is the `jsonschema` crate's.
//!
//! The round-trip tests need only a token, a tenant and the XPM API, so
//! they run against any base URL (real XPM included) when
//! `XPM_CONFORMANCE_BASE_URL`, `XPM_CONFORMANCE_TOKEN` and
//! `XPM_CONFORMANCE_TENANT` are set (see `conformance_target.rs`), else
//! against an in-process sim. They create their own clients and, on a
//! foreign target, archive and delete nothing.

use crate::common::start;
use crate::conformance_target::Target;
use reqwest::Method;
use serde_json::{Map, Value, json};
use xpm_sim::seed::demo;
use xpm_sim::{ConnectRequest, Sim, SimConfig};

fn spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/spec/xero-practicemanager-v3-1.yaml"
    );
    let text = std::fs::read_to_string(path).expect("spec copy");
    serde_norway::from_str(&text).expect("spec parses")
}

fn component<'a>(spec: &'a Value, name: &str) -> &'a Value {
    &spec["components"]["schemas"][name]
}

/// OpenAPI 3.0 schema -> JSON Schema 2020-12, with refs inlined.
fn convert(spec: &Value, v: &Value) -> Value {
    let Value::Object(m) = v else {
        return v.clone();
    };
    if let Some(Value::String(r)) = m.get("$ref") {
        let name = r.trim_start_matches("#/components/schemas/");
        return convert(spec, component(spec, name));
    }
    let nullable = m.get("nullable") == Some(&Value::Bool(true));
    let mut out = if let Some(Value::Array(all)) = m.get("allOf") {
        let mut props = Map::new();
        for member in all {
            if let Some(Value::Object(p)) = convert(spec, member).get("properties") {
                props.extend(p.clone());
            }
        }
        let mut o = Map::new();
        o.insert("type".into(), "object".into());
        o.insert("properties".into(), Value::Object(props));
        o.insert("additionalProperties".into(), false.into());
        o
    } else if let Some(Value::Array(one)) = m.get("oneOf") {
        let mut o = Map::new();
        o.insert(
            "oneOf".into(),
            one.iter().map(|s| convert(spec, s)).collect(),
        );
        o
    } else {
        let mut o = Map::new();
        for (k, val) in m {
            match k.as_str() {
                "nullable" | "format" | "x-position" => {}
                "properties" => {
                    let props: Map<String, Value> = val
                        .as_object()
                        .map(|p| {
                            p.iter()
                                .map(|(pk, pv)| (pk.clone(), convert(spec, pv)))
                                .collect()
                        })
                        .unwrap_or_default();
                    o.insert(k.clone(), Value::Object(props));
                }
                "items" => {
                    o.insert(k.clone(), convert(spec, val));
                }
                _ => {
                    o.insert(k.clone(), val.clone());
                }
            }
        }
        o
    };
    if nullable {
        match out.get("type").cloned() {
            Some(Value::String(t)) => {
                out.insert("type".into(), json!([t, "null"]));
            }
            _ => return json!({ "anyOf": [Value::Object(out), { "type": "null" }] }),
        }
    }
    Value::Object(out)
}

fn check(spec: &Value, schema_name: &str, instance: &Value) {
    let schema = convert(spec, component(spec, schema_name));
    let validator = jsonschema::draft202012::new(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{schema_name}: {errors:#?}\n{instance:#}"
    );
}

fn request_fields(spec: &Value, name: &str) -> Vec<String> {
    component(spec, name)["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .cloned()
        .collect()
}

/// What samples refer to: the run's tag, two clients of the test's own, staff.
struct Refs<'a> {
    t: &'a Target,
    billing: [String; 2],
}

/// A valid sample value for a request field of the spec; `None` for a
/// field the target cannot be given (a manager when no staff is known).
fn sample(refs: &Refs<'_>, field: &str, variant: u8) -> Option<Value> {
    let yes = if variant == 0 { "Yes" } else { "No" };
    let v = usize::from(variant);
    Some(match field {
        "name" => json!(format!("{} {variant} Ltd", refs.t.tag)),
        "email" => json!(format!("c{variant}@conformance.test")),
        "dateOfBirth" => json!(format!("1990-01-0{}", variant + 1)),
        "dateOfDeath" => json!(format!("2020-01-0{}", variant + 1)),
        "placeOfBirthCountryCode" => json!(if variant == 0 { "NZ" } else { "AU" }),
        "gender" => json!(if variant == 0 { "Male" } else { "Female" }),
        "isProspect"
        | "gstRegistered"
        | "prepareGst"
        | "signedTaxAuthority"
        | "prepareActivityStatement"
        | "prepareTaxReturn"
        | "activeAtoClient" => json!(yes),
        "billingClientUuid" => json!(refs.billing[v]),
        "accountManagerUuid" | "jobManagerUuid" => {
            let staff = &refs.t.staff;
            json!(staff.get(v).or(staff.first())?)
        }
        // Both pass the Australian TFN check digit, should a target check it.
        "taxNumber" => json!(if variant == 0 {
            "123456782"
        } else {
            "876543210"
        }),
        "businessStructure" => json!(if variant == 0 { "Company" } else { "Trust" }),
        "balanceMonth" => json!(if variant == 0 { "6" } else { "3" }),
        "gstPeriod" => json!(if variant == 0 { 2 } else { 6 }),
        "provisionalTaxRatio" => json!(if variant == 0 { 1.5 } else { 2.25 }),
        "branchNumber" => json!(format!("{variant}23")),
        "autoBasOptInCriteria" => {
            json!({ "annually": yes, "monthly": "No", "quarterly": "Yes", "opt-out": "No" })
        }
        "contacts" => json!([{
            "name": "Contact Person", "phone": "111", "mobile": "222", "email": "cp@conformance.test",
            "position": "Boss", "salutation": "Dear CP", "addressee": "C Person", "isPrimary": "Yes"
        }]),
        other => {
            let short: String = other.chars().take(8).collect();
            json!(format!("v{variant}-{short}"))
        }
    })
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Where a request field comes back in a `ClientDetailedDto`, and the expected value.
fn returned(client: &Value, field: &str, sent: &Value) -> Result<(), String> {
    let (got, want) = match field {
        "webSite" => (client["website"].clone(), sent.clone()),
        "taxNumber" => {
            let s = as_text(sent);
            (
                client["taxNumber"].clone(),
                json!(format!("******{}", &s[s.len() - 3..])),
            )
        }
        f if f.ends_with("Uuid") => (client[&f[..f.len() - 4]]["uuid"].clone(), sent.clone()),
        "contacts" => {
            let got = &client["contacts"][0];
            for (k, v) in sent[0].as_object().into_iter().flatten() {
                if as_text(&got[k]) != as_text(v) {
                    return Err(format!("contacts[0].{k}: sent {v}, got {}", got[k]));
                }
            }
            return Ok(());
        }
        f => (client[f].clone(), sent.clone()),
    };
    if got.is_object() || want.is_object() {
        return if got == want {
            Ok(())
        } else {
            Err(format!("{field}: sent {want}, got {got}"))
        };
    }
    if as_text(&got) == as_text(&want) {
        Ok(())
    } else {
        Err(format!("{field}: sent {want}, got {got}"))
    }
}

#[tokio::test]
async fn client_answers_validate_and_every_request_field_round_trips() {
    client_round_trip(&Target::from_env_or_sim().await).await;
}

async fn client_round_trip(t: &Target) {
    let spec = spec();
    let billing = [
        t.add_client("billing 0", json!({})).await,
        t.add_client("billing 1", json!({})).await,
    ];
    let refs = Refs { t, billing };

    let mut add = Map::new();
    for f in request_fields(&spec, "ClientAddRequestDto") {
        if let Some(v) = sample(&refs, &f, 0) {
            add.insert(f.clone(), v);
        }
    }
    let add = Value::Object(add);
    check(&spec, "ClientAddRequestDto", &add);
    let (s, added) = t.json(Method::POST, "add", Some(add.clone())).await;
    assert_eq!(s, 200);
    assert_eq!(added["status"], "OK", "{added}");
    check(&spec, "ClientResponseDto", &added);
    let problems: Vec<String> = add
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| returned(&added["client"], k, v).err())
        .collect();
    assert!(problems.is_empty(), "add: {problems:#?}");
    let id = added["client"]["uuid"].as_str().unwrap().to_string();

    let mut update = Map::new();
    for f in request_fields(&spec, "ClientUpdateRequestDto") {
        let v = if f == "uuid" {
            Some(json!(id))
        } else {
            sample(&refs, &f, 1)
        };
        if let Some(v) = v {
            update.insert(f.clone(), v);
        }
    }
    let update = Value::Object(update);
    check(&spec, "ClientUpdateRequestDto", &update);
    let (_, updated) = t.json(Method::PUT, "update", Some(update.clone())).await;
    assert_eq!(updated["status"], "OK", "{updated}");
    check(&spec, "ClientResponseDto", &updated);
    let problems: Vec<String> = update
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.as_str() != "uuid")
        .filter_map(|(k, v)| returned(&updated["client"], k, v).err())
        .collect();
    assert!(problems.is_empty(), "update: {problems:#?}");

    let (_, got) = t.json(Method::GET, &format!("get/{id}"), None).await;
    check(&spec, "ClientResponseDto", &got);
    let search = format!("search?query={}", t.tag);
    for path in ["list", "list?detailed=true", search.as_str()] {
        let (_, v) = t.json(Method::GET, path, None).await;
        assert!(!v["clients"].as_array().unwrap().is_empty());
        check(&spec, "ClientListResponseDto", &v);
    }
    let (_, paged) = t.json(Method::GET, "paged-list?pageSize=2", None).await;
    assert_eq!(paged["clients"].as_array().unwrap().len(), 2);
    check(&spec, "ClientPagedListResponseDto", &paged);
    let (s, bad_page) = t.json(Method::GET, "paged-list?pageSize=0", None).await;
    assert_eq!(s, 400);
    check(&spec, "ResponseErrorDto", &bad_page);
    let (_, err) = t.json(Method::POST, "add", Some(json!({}))).await;
    check(&spec, "ResponseErrorDto", &err);

    if t.is_foreign() {
        // Someone else's practice: nothing is archived or deleted there.
        return;
    }
    let archive = json!({ "uuid": id });
    check(&spec, "ClientArchiveRequestDto", &archive);
    let (_, archived) = t.json(Method::PUT, "archive", Some(archive)).await;
    assert_eq!(archived["client"]["isArchived"], "Yes");
    check(&spec, "ClientResponseDto", &archived);
    let delete = json!({ "uuid": id });
    check(&spec, "ClientDeleteRequestDto", &delete);
    let (_, deleted) = t.json(Method::POST, "delete", Some(delete)).await;
    assert_eq!(deleted, json!({ "status": "OK" }));
    check(&spec, "StatusResponseDto", &deleted);
}

#[tokio::test]
async fn relationship_answers_validate_and_every_request_field_round_trips() {
    relationship_round_trip(&Target::from_env_or_sim().await).await;
}

async fn relationship_round_trip(t: &Target) {
    let spec = spec();
    let company = t
        .add_client("Company", json!({ "businessStructure": "Company" }))
        .await;
    let bob = t
        .add_client("Bob", json!({ "businessStructure": "Individual" }))
        .await;

    // XPM takes NumberOfShares only on a shareholding and Percentage only on
    // a partnership: a Shareholder and a Partner send every field between them.
    let shareholder = json!({
        "clientUuid": company,
        "relatedClientUuid": bob,
        "type": "Shareholder",
        "numberOfShares": 250,
        "startDate": "2021-07-01",
        "endDate": "2031-06-30",
    });
    let partner = json!({
        "clientUuid": company,
        "relatedClientUuid": bob,
        "type": "Partner",
        "percentage": 12.5,
        "startDate": "2020-04-01",
        "endDate": "2030-03-31",
    });
    let adds = [shareholder, partner];
    let fields = request_fields(&spec, "ClientRelationshipAddRequestDto");
    for f in &fields {
        assert!(
            adds.iter().any(|add| add.get(f).is_some()),
            "the test must send {f}"
        );
    }
    let mut ids = Vec::new();
    for add in &adds {
        check(&spec, "ClientRelationshipAddRequestDto", add);
        let (_, added) = t
            .json(Method::POST, "addrelationship", Some(add.clone()))
            .await;
        assert_eq!(added["status"], "OK", "{added}");
        check(&spec, "ClientRelationshipResponseDto", &added);
        let r = &added["clientRelationship"];
        assert_eq!(r["client"]["uuid"], add["clientUuid"]);
        assert_eq!(r["relatedClient"]["uuid"], add["relatedClientUuid"]);
        assert_eq!(r["relationshipType"]["name"], add["type"]);
        for f in ["numberOfShares", "percentage", "startDate", "endDate"] {
            assert_eq!(r[f], add.get(f).cloned().unwrap_or(Value::Null), "{f}");
        }
        ids.push(r["uuid"].as_str().unwrap().to_string());
    }
    let id = ids[0].clone();

    let updates = [
        json!({ "uuid": ids[0], "numberOfShares": 300, "startDate": "2022-01-01", "endDate": "2032-01-01" }),
        json!({ "uuid": ids[1], "percentage": 15.0, "startDate": "2021-01-01", "endDate": "2031-01-01" }),
    ];
    for f in request_fields(&spec, "ClientRelationshipUpdateRequestDto") {
        assert!(
            updates.iter().any(|u| u.get(&f).is_some()),
            "the test must send {f}"
        );
    }
    for update in &updates {
        check(&spec, "ClientRelationshipUpdateRequestDto", update);
        let (_, updated) = t
            .json(Method::PUT, "updaterelationship", Some(update.clone()))
            .await;
        assert_eq!(updated["status"], "OK", "{updated}");
        check(&spec, "ClientRelationshipResponseDto", &updated);
        for f in ["numberOfShares", "percentage", "startDate", "endDate"] {
            if let Some(sent) = update.get(f) {
                assert_eq!(&updated["clientRelationship"][f], sent, "{f}");
            }
        }
    }

    let (_, company_view) = t.json(Method::GET, &format!("get/{company}"), None).await;
    check(&spec, "ClientResponseDto", &company_view);
    let (_, bob_view) = t.json(Method::GET, &format!("get/{bob}"), None).await;
    check(&spec, "ClientResponseDto", &bob_view);
    let mut labels: Vec<&str> = bob_view["client"]["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    labels.sort_unstable();
    assert_eq!(labels, ["Partner Of", "Shareholder Of"]);

    if t.is_foreign() {
        return;
    }
    let delete = json!({ "uuid": id });
    check(&spec, "ClientRelationshipDeleteRequestDto", &delete);
    let (_, deleted) = t
        .json(Method::POST, "deleterelationship", Some(delete))
        .await;
    assert_eq!(deleted["status"], "OK");
    check(&spec, "ClientRelationshipResponseDto", &deleted);
}

#[test]
fn the_converter_rejects_what_the_spec_forbids() {
    let spec = spec();
    let schema = convert(&spec, component(&spec, "ClientResponseDto"));
    let v = jsonschema::draft202012::new(&schema).unwrap();
    assert!(v.is_valid(&json!({ "status": "OK", "client": null })));
    assert!(!v.is_valid(&json!({ "status": "OK", "client": { "unknownField": 1 } })));
    assert!(!v.is_valid(&json!({ "status": "OK", "client": { "balanceMonth": "six" } })));
}

#[tokio::test]
async fn contact_answers_validate_and_every_request_field_round_trips() {
    contact_round_trip(&Target::from_env_or_sim().await).await;
}

async fn contact_round_trip(t: &Target) {
    let spec = spec();
    // Its own contact too, so the contact list has at least two.
    let holder = t
        .add_client(
            "contact holder",
            json!({ "contacts": [{ "name": format!("{} first contact", t.tag) }] }),
        )
        .await;
    let linked = t.add_client("contact link", json!({})).await;
    let mut create = Map::new();
    for f in request_fields(&spec, "ContactRequestDto") {
        let v = match f.as_str() {
            "client" => json!({ "uuid": holder }),
            "email" => json!("cr@conformance.test"),
            "isPrimary" => json!("Yes"),
            other => json!(format!("v-{other}")),
        };
        create.insert(f, v);
    }
    let create = Value::Object(create);
    check(&spec, "ContactRequestDto", &create);
    let (_, created) = t.json(Method::POST, "contact", Some(create.clone())).await;
    assert_eq!(created["status"], "OK", "{created}");
    check(&spec, "ClientContactResponseDto", &created);
    for (k, v) in create
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.as_str() != "client")
    {
        assert_eq!(&created["contact"][k], v, "{k}");
    }
    let id = created["contact"]["uuid"].as_str().unwrap().to_string();

    let (_, list) = t.json(Method::GET, "contacts?pageSize=1", None).await;
    assert!(list["pagination"]["links"]["next"].is_string());
    check(&spec, "ClientContactsResponseDto", &list);
    let (_, got) = t.json(Method::GET, &format!("contact/{id}"), None).await;
    check(&spec, "ClientContactResponseDto", &got);
    let (_, updated) = t
        .json(
            Method::PUT,
            &format!("contact/{id}"),
            Some(json!({ "mobile": "021 555", "isPrimary": "No" })),
        )
        .await;
    assert_eq!(updated["contact"]["mobile"], "021 555");
    check(&spec, "ClientContactResponseDto", &updated);

    let link = json!({ "uuid": linked, "contacts": [{ "uuid": id, "position": "Adviser", "isPrimary": "Yes" }] });
    check(&spec, "ClientAddContactsRequestDto", &link);
    let (_, linked) = t
        .json(
            Method::POST,
            &format!("client/{linked}/contacts"),
            Some(link),
        )
        .await;
    assert_eq!(linked["client"]["contacts"][0]["position"], "Adviser");
    check(&spec, "ClientAddContactsResponseDto", &linked);

    if t.is_foreign() {
        return;
    }
    let (_, deleted) = t.json(Method::DELETE, &format!("contact/{id}"), None).await;
    assert_eq!(deleted["contact"]["isDeleted"], "Yes");
    check(&spec, "ClientContactDeleteResponseDto", &deleted);
}

/// The same round trips against a sim reached only by URL, token and
/// tenant, as they run against real XPM: they pass, use nothing seeded,
/// name every client they make `conformance-...`, and archive or delete
/// nothing.
#[tokio::test]
async fn the_round_trips_run_against_any_base_url_and_delete_nothing_there() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let tokens = sim
        .control()
        .connect(&ConnectRequest {
            client_id: demo::CLIENT_ID.into(),
            user_email: demo::ADMIN_EMAIL.into(),
            tenants: vec![],
            scopes: vec![],
        })
        .unwrap();
    let before = sim
        .control()
        .clients(demo::TENANT_ID.parse().unwrap())
        .unwrap();
    // No staff given: the manager fields are left out.
    let t = Target::foreign(
        &format!("{}/", sim.base_url()),
        tokens.access_token,
        demo::TENANT_ID.into(),
        vec![],
    );
    assert!(t.is_foreign());
    client_round_trip(&t).await;
    relationship_round_trip(&t).await;
    contact_round_trip(&t).await;

    let journal = sim.control().journal_all();
    let writes: Vec<String> = journal
        .iter()
        .filter(|e| {
            e.method == "DELETE"
                || ["/archive", "/delete", "/deleterelationship"]
                    .iter()
                    .any(|w| e.path.ends_with(w))
        })
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert_eq!(writes, Vec::<String>::new(), "nothing archived or deleted");
    assert!(!journal.iter().any(|e| e.path.contains("_sim")));
    let after = sim
        .control()
        .clients(demo::TENANT_ID.parse().unwrap())
        .unwrap();
    let made: Vec<String> = after
        .iter()
        .filter(|c| !before.iter().any(|b| b.uuid == c.uuid))
        .map(|c| c.fields.get("Name").cloned().unwrap_or_default())
        .collect();
    // Two billing clients and the round-tripped one; company and Bob; holder and link.
    assert_eq!(made.len(), 7, "{made:?}");
    for name in &made {
        assert!(
            name.starts_with(&t.tag) && t.tag.starts_with("conformance-"),
            "{name}"
        );
    }
    assert!(after.iter().all(|c| !c.archived && !c.deleted));
}

#[tokio::test]
async fn custom_field_answers_and_requests_validate() {
    let spec = spec();
    let t = start().await;
    let call = |method: Method, path: String, body: Option<Value>| {
        let mut r = t
            .http
            .request(method, format!("{}/{path}", t.sim.xpm_base_url()))
            .bearer_auth(&t.token)
            .header("xero-tenant-id", &t.tenant)
            .header("accept", "application/json");
        if let Some(b) = body {
            r = r.json(&b);
        }
        async move { r.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let defs = call(Method::GET, "customfield.api/definition".into(), None).await;
    assert_eq!(defs["status"], "OK", "{defs}");
    check(&spec, "CustomFieldDefinitionListResponseDto", &defs);

    let update = json!({ "customFields": [
        { "uuid": demo::PM_HUB_ID_FIELD_UUID, "name": "PM Hub ID", "text": "pmhub-1" },
        { "uuid": demo::ENGAGEMENT_SIGNED_FIELD_UUID, "date": "20240105" },
        { "uuid": demo::SERVICE_TIER_FIELD_UUID, "text": "Silver" },
    ]});
    check(&spec, "CustomFieldValuesUpdateRequestDto", &update);
    let path = |verb: &str| format!("client.api/{verb}/{}/customfield", demo::JANE_UUID);
    let written = call(Method::PUT, path("update"), Some(update)).await;
    assert_eq!(written["status"], "OK", "{written}");
    check(&spec, "StatusResponseDto", &written);
    let read = call(Method::GET, path("get"), None).await;
    assert_eq!(
        read["customFields"].as_array().map(Vec::len),
        Some(3),
        "{read}"
    );
    check(&spec, "CustomFieldValueListResponseDto", &read);
    let refused = call(
        Method::PUT,
        path("update"),
        Some(json!({ "customFields": [{ "uuid": demo::SERVICE_TIER_FIELD_UUID, "text": "Tin" }] })),
    )
    .await;
    assert_eq!(refused["status"], "ERROR");
    check(&spec, "ResponseErrorDto", &refused);
}
