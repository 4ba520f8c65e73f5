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

use crate::common::start;
use reqwest::Method;
use serde_json::{Map, Value, json};
use xpm_sim::seed::demo;

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

/// A valid sample value for a request field of the spec.
fn sample(field: &str, variant: u8) -> Value {
    let yes = if variant == 0 { "Yes" } else { "No" };
    match field {
        "name" => json!(format!("Conformance {variant} Ltd")),
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
        "billingClientUuid" => json!(if variant == 0 {
            demo::ACME_UUID
        } else {
            demo::JANE_UUID
        }),
        "accountManagerUuid" | "jobManagerUuid" => json!(if variant == 0 {
            demo::ACCOUNT_MANAGER_UUID
        } else {
            "6b2f1d3c-8e4a-4b9f-8c7d-3f5a7b9c1d2e"
        }),
        "taxNumber" => json!(if variant == 0 {
            "123456789"
        } else {
            "987654321"
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
    }
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
    let spec = spec();
    let t = start().await;

    let mut add = Map::new();
    for f in request_fields(&spec, "ClientAddRequestDto") {
        add.insert(f.clone(), sample(&f, 0));
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
        update.insert(
            f.clone(),
            if f == "uuid" {
                json!(id)
            } else {
                sample(&f, 1)
            },
        );
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
    for path in ["list", "list?detailed=true", "search?query=Conformance"] {
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
    let spec = spec();
    let t = start().await;
    let (_, bob) = t
        .json(
            Method::POST,
            "add",
            Some(json!({ "name": "Bob", "businessStructure": "Individual" })),
        )
        .await;
    let bob = bob["client"]["uuid"].as_str().unwrap().to_string();

    let add = json!({
        "clientUuid": demo::ACME_UUID,
        "relatedClientUuid": bob,
        "type": "Shareholder",
        "numberOfShares": 250,
        "percentage": 12.5,
        "startDate": "2021-07-01",
        "endDate": "2031-06-30",
    });
    let fields = request_fields(&spec, "ClientRelationshipAddRequestDto");
    for f in &fields {
        assert!(add.get(f).is_some(), "the test must send {f}");
    }
    check(&spec, "ClientRelationshipAddRequestDto", &add);
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
        assert_eq!(r[f], add[f], "{f}");
    }
    let id = r["uuid"].as_str().unwrap().to_string();

    let update = json!({ "uuid": id, "numberOfShares": 300, "percentage": 15.0, "startDate": "2022-01-01", "endDate": "2032-01-01" });
    for f in request_fields(&spec, "ClientRelationshipUpdateRequestDto") {
        assert!(update.get(&f).is_some(), "the test must send {f}");
    }
    check(&spec, "ClientRelationshipUpdateRequestDto", &update);
    let (_, updated) = t
        .json(Method::PUT, "updaterelationship", Some(update.clone()))
        .await;
    check(&spec, "ClientRelationshipResponseDto", &updated);
    for f in ["numberOfShares", "percentage", "startDate", "endDate"] {
        assert_eq!(updated["clientRelationship"][f], update[f], "{f}");
    }

    let (_, acme) = t
        .json(Method::GET, &format!("get/{}", demo::ACME_UUID), None)
        .await;
    check(&spec, "ClientResponseDto", &acme);
    let (_, bob_view) = t.json(Method::GET, &format!("get/{bob}"), None).await;
    assert_eq!(
        bob_view["client"]["relationships"][0]["type"],
        "Shareholder Of"
    );

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
    let spec = spec();
    let t = start().await;
    let mut create = Map::new();
    for f in request_fields(&spec, "ContactRequestDto") {
        let v = match f.as_str() {
            "client" => json!({ "uuid": demo::ACME_UUID }),
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

    let link = json!({ "uuid": demo::JANE_UUID, "contacts": [{ "uuid": id, "position": "Adviser", "isPrimary": "Yes" }] });
    check(&spec, "ClientAddContactsRequestDto", &link);
    let (_, linked) = t
        .json(
            Method::POST,
            &format!("client/{}/contacts", demo::JANE_UUID),
            Some(link),
        )
        .await;
    assert_eq!(linked["client"]["contacts"][0]["position"], "Adviser");
    check(&spec, "ClientAddContactsResponseDto", &linked);

    let (_, deleted) = t.json(Method::DELETE, &format!("contact/{id}"), None).await;
    assert_eq!(deleted["contact"]["isDeleted"], "Yes");
    check(&spec, "ClientContactDeleteResponseDto", &deleted);
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
