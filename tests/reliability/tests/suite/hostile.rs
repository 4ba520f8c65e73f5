//! Hostile input to the API: huge strings, control characters, invalid
//! UTF-8, XML-special characters, wrong types, deep JSON, odd ids and query
//! strings. Every answer is a clear 4xx problem (or a success for input that
//! happens to be valid), never a 5xx or a dropped connection, and a refused
//! request writes nothing.
//!
//! Cases per property: `PROPTEST_CASES` (default 48 here, quick).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reliability_tests::world::{Answer, World};
use reqwest::Method;
use serde_json::{Value, json};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

/// Nasty text: control characters, XML specials, odd Unicode, long runs.
fn nasty_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("   ".to_owned()),
        Just("<Client><Name>x</Name></Client>".to_owned()),
        Just("]]><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>&e;".to_owned()),
        Just("&amp;&lt;&#0;&#x1F;'\"".to_owned()),
        Just("Robert'); DROP TABLE clients;--".to_owned()),
        Just("\u{0}\u{1}\u{7f}\u{85}\u{2028}\u{feff}\u{202e}".to_owned()),
        Just("🦀".repeat(5000)),
        (1usize..120_000).prop_map(|n| "A".repeat(n)),
        "\\PC{0,40}",
        "[\\x00-\\x1f<>&'\"]{1,20}",
        any::<String>(),
    ]
}

fn json_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        Just(json!(u64::MAX)),
        Just(json!(-1)),
        nasty_text().prop_map(Value::String),
    ]
}

/// Any JSON, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    json_scalar().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,16}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const CLIENT_FIELDS: &[&str] = &[
    "name",
    "kind",
    "individual",
    "email",
    "phone",
    "fax",
    "website",
    "physicalAddress",
    "postalAddress",
    "businessStructure",
    "taxNumber",
    "companyNumber",
    "businessNumber",
    "branchNumber",
    "clientCode",
    "gstRegistered",
    "isProspect",
    "status",
    "id",
];

/// A client-shaped object whose fields hold anything.
fn client_like() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(prop::sample::select(CLIENT_FIELDS), json_value(), 0..8)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

/// A body as bytes: JSON of any shape, deep nesting, or not JSON at all.
fn body() -> impl Strategy<Value = (String, Vec<u8>)> {
    let json = |v: Value| ("application/json".to_owned(), v.to_string().into_bytes());
    prop_oneof![
        client_like().prop_map(json),
        json_value().prop_map(json),
        (1usize..20_000).prop_map(|d| (
            "application/json".to_owned(),
            format!("{}{}", "[".repeat(d), "]".repeat(d)).into_bytes()
        )),
        (1usize..5_000).prop_map(|d| (
            "application/json".to_owned(),
            format!("{}1{}", "{\"a\":".repeat(d), "}".repeat(d)).into_bytes()
        )),
        prop::collection::vec(any::<u8>(), 0..512).prop_map(|b| ("application/json".to_owned(), b)),
        Just((
            "application/json".to_owned(),
            vec![
                b'{', b'"', b'n', b'a', b'm', b'e', b'"', b':', b'"', 0xff, 0xfe, b'"', b'}'
            ]
        )),
        Just((
            "application/json".to_owned(),
            b"{\"name\":\"\\ud800\"}".to_vec()
        )),
        Just(("text/plain".to_owned(), b"{\"name\":\"Plain\"}".to_vec())),
        Just((
            "application/xml".to_owned(),
            b"<Client><Name>X</Name></Client>".to_vec()
        )),
        Just((
            "application/x-www-form-urlencoded".to_owned(),
            b"name=x&kind=organisation".to_vec()
        )),
    ]
}

/// A hostile path segment where an id goes.
fn id_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("00000000-0000-0000-0000-000000000000".to_owned()),
        Just("..%2F..%2Fetc%2Fpasswd".to_owned()),
        Just("%00".to_owned()),
        Just("%FF%FE".to_owned()),
        Just("1%20OR%201%3D1".to_owned()),
        Just("A".repeat(4000)),
        "[a-zA-Z0-9_-]{1,60}",
        any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).to_string()),
    ]
}

/// Everything practice A holds, to compare before and after a refused request.
async fn snapshot<S: pmhub_xpm::state::AppStore>(w: &World<S>) -> Vec<Value> {
    let a = w.api(&w.fx.a_admin_token);
    let mut out = Vec::new();
    for path in [
        "/api/clients".to_owned(),
        "/api/association-types".to_owned(),
        format!("/api/clients/{}/associations", w.fx.a_clients[0]),
        "/api/integration".to_owned(),
    ] {
        out.push(a.get(&path).await.json());
    }
    out
}

fn check_answer(what: &str, r: &Answer) -> Result<(), TestCaseError> {
    prop_assert!(r.status < 500, "{what}: {} {}", r.status, r.text);
    if r.status >= 400 {
        prop_assert!(
            !r.text.trim().is_empty(),
            "{what}: a {} without a word",
            r.status
        );
        // Always a problem detail, path-decoding rejections included.
        prop_assert_eq!(
            &r.content_type,
            "application/problem+json",
            "{}: {}",
            what,
            r.text
        );
        let body = r.json();
        prop_assert_eq!(
            body["status"].as_u64(),
            Some(u64::from(r.status)),
            "{}: {}",
            what,
            r.text
        );
        prop_assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{what}: {}",
            r.text
        );
    }
    Ok(())
}

fn no_control_characters(v: &Value) -> bool {
    match v {
        Value::String(s) => !s
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')),
        Value::Array(a) => a.iter().all(no_control_characters),
        Value::Object(o) => o.values().all(no_control_characters),
        _ => true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_on_every_write_route_get_a_clear_4xx_and_write_nothing() {
    let w = World::postgres().await;
    let a0 = w.fx.a_clients[0];
    let a_type = reliability_tests::fixtures::demo_id(4, 7);
    let routes: Vec<(Method, String)> = vec![
        (Method::POST, "/api/clients".into()),
        (Method::PUT, format!("/api/clients/{a0}")),
        (Method::POST, format!("/api/clients/{a0}/associations")),
        (
            Method::PUT,
            format!(
                "/api/clients/{a0}/associations/{}",
                reliability_tests::fixtures::demo_id(5, 1)
            ),
        ),
        (Method::POST, format!("/api/clients/{a0}/unlink")),
        (Method::POST, "/api/association-types".into()),
        (
            Method::PUT,
            format!("/api/association-types/{a_type}/mapping"),
        ),
        (Method::POST, format!("/api/clients/{a0}/sync")),
        (Method::POST, "/api/integration/organisation".into()),
        (Method::POST, "/api/integration/disconnect".into()),
    ];
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (prop::sample::select(routes), body());
    let result = tokio::task::block_in_place(|| {
        runner.run(&strategy, |((method, path), (content_type, bytes))| {
            handle.block_on(async {
                let before = snapshot(&w).await;
                let r = w
                    .api(&w.fx.a_admin_token)
                    .raw(method.clone(), &path, &content_type, bytes.clone())
                    .await;
                check_answer(&format!("{method} {path}"), &r)?;
                if r.status >= 400 {
                    prop_assert_eq!(
                        before,
                        snapshot(&w).await,
                        "a refused {} {} wrote something",
                        method,
                        path
                    );
                } else {
                    prop_assert!(
                        no_control_characters(&r.json()),
                        "accepted control characters: {}",
                        r.text
                    );
                }
                Ok(())
            })
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // Nothing reached XPM: the practice is not even connected.
    assert!(w.sim.control().journal_all().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_ids_and_query_strings_on_every_read_route_get_a_clear_4xx() {
    let w = World::postgres().await;
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let query = prop_oneof![
        Just(String::new()),
        "[a-z]{1,8}=[^&#]{0,40}",
        nasty_text().prop_map(|t| format!("kind={}", urlencode(&short(&t)))),
        nasty_text().prop_map(|t| format!(
            "from={}&until={}",
            urlencode(&short(&t)),
            urlencode(&short(&t))
        )),
        any::<i64>().prop_map(|n| format!("limit={n}")),
        id_segment().prop_map(|i| format!("client={i}&after={i}")),
    ];
    let strategy = (id_segment(), id_segment(), query, 0usize..14);
    let result = tokio::task::block_in_place(|| {
        runner.run(&strategy, |(id, other, query, which)| {
            handle.block_on(async {
                let before = snapshot(&w).await;
                let (method, path) = match which {
                    0 => (Method::GET, format!("/api/clients/{id}")),
                    1 => (Method::GET, format!("/api/clients/{id}/associations")),
                    2 => (Method::GET, format!("/api/clients/{id}/sync-preview")),
                    3 => (Method::POST, format!("/api/clients/{id}/sync")),
                    4 => (
                        Method::DELETE,
                        format!("/api/clients/{id}/associations/{other}"),
                    ),
                    5 => (Method::POST, format!("/api/clients/{id}/deactivate")),
                    6 => (Method::DELETE, format!("/api/clients/{id}")),
                    7 => (Method::PUT, format!("/api/association-types/{id}/mapping")),
                    8 => (Method::GET, format!("/api/activity?{query}")),
                    9 => (Method::GET, format!("/api/activity.csv?{query}")),
                    10 => (Method::GET, format!("/api/clients?{query}")),
                    11 => (
                        Method::PUT,
                        format!("/api/clients/{id}/associations/{other}"),
                    ),
                    12 => (Method::POST, format!("/api/clients/{id}/unlink")),
                    _ => (Method::POST, format!("/api/clients/{id}/reactivate")),
                };
                let r = w
                    .api(&w.fx.a_admin_token)
                    .send(method.clone(), &path, None)
                    .await;
                check_answer(&format!("{method} {path}"), &r)?;
                if r.status >= 400 {
                    prop_assert_eq!(
                        before,
                        snapshot(&w).await,
                        "a refused {} {} wrote something",
                        method,
                        path
                    );
                }
                Ok(())
            })
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// At most 1,500 characters: a URI longer than 64 KiB cannot even be sent.
fn short(text: &str) -> String {
    text.chars().take(1_500).collect()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn wrong_types_and_invalid_utf8_are_named_in_the_problem() {
    let w = World::postgres().await;
    let a = w.api(&w.fx.a_admin_token);
    let before = snapshot(&w).await;
    for (body, status) in [
        (json!({"name": 42, "kind": "organisation"}), 422),
        (json!({"name": ["x"], "kind": "organisation"}), 422),
        (json!({"name": "Ok Pty Ltd", "kind": "martian"}), 422),
        (
            json!({"name": "Ok Pty Ltd", "kind": "organisation", "gstRegistered": "yes"}),
            422,
        ),
        (
            json!({"name": "Ok Pty Ltd", "kind": "organisation", "unknown": 1}),
            422,
        ),
        (json!({"name": "Bad\u{0}Name", "kind": "organisation"}), 422),
        (
            json!({"name": "x".repeat(10_000), "kind": "organisation"}),
            422,
        ),
    ] {
        let r = a.post("/api/clients", &body).await;
        assert!(
            r.status == status || r.status == 400,
            "{body}: {} {}",
            r.status,
            r.text
        );
        assert_eq!(r.content_type, "application/problem+json");
    }
    let r = a
        .raw(
            Method::POST,
            "/api/clients",
            "application/json",
            b"{\"name\":\"\xff\"}".to_vec(),
        )
        .await;
    assert!(
        r.status == 400 || r.status == 422,
        "{} {}",
        r.status,
        r.text
    );
    assert_eq!(before, snapshot(&w).await);
}

#[tokio::test]
async fn a_path_that_is_not_utf8_gets_a_problem_detail() {
    let w = World::postgres().await;
    let a = w.api(&w.fx.a_admin_token);
    for path in [
        "/api/clients/%FF%FE",
        "/api/clients/%FF/associations",
        "/api/clients/%C0/sync-preview",
    ] {
        let r = a.get(path).await;
        assert_eq!(r.status, 400, "{path}");
        assert_eq!(
            r.content_type, "application/problem+json",
            "{path}: {}",
            r.text
        );
    }
}
