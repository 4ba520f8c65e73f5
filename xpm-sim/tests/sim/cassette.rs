//! record / replay / compare: a session recorded through the recorder in
//! front of sim A, then compared with sims seeded or configured otherwise.

use crate::common::{first, http};
use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sha2::Digest;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use xpm_sim::cassette::{
    Cassette, CompareConfig, RecordConfig, Recorder, Replayer, Report, Upstream, compare,
};
use xpm_sim::seed::demo;
use xpm_sim::{ConnectRequest, RunningSim, Seed, Sim, SimConfig};

const VERIFIER: &str = "cassette-test-code-verifier-0123456789-abcdefghijkl";
/// A full tax number sent in the session: it must never reach the cassette.
const TAX_NUMBER: &str = "876543210";
const XPM: &str = "/practicemanager/3.1/client.api";

fn temp_cassette() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!(
        "xpm-sim-cassette-{}-{}-{nanos}.ndjson",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    let end = html[start..].find('"').expect("end") + start;
    html[start..end].to_string()
}

/// What the session learnt, to check the cassette against.
#[derive(Debug)]
struct Session {
    access_token: String,
    refresh_token: String,
    id_token: String,
    code: String,
    client: String,
}

/// A small session through `base` (the recorder): OAuth with PKCE and a
/// client secret, connections, add / get / search / relationship / update /
/// an ERROR answer / a JSON read.
async fn drive_session(base: &str) -> Session {
    let c = http();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(VERIFIER.as_bytes()));
    let authorize = crate::common::with_query(
        &format!("{base}/identity/connect/authorize"),
        &[
            ("response_type", "code"),
            ("client_id", demo::CLIENT_ID),
            ("redirect_uri", demo::REDIRECT_URI),
            (
                "scope",
                "openid profile email offline_access practicemanager",
            ),
            ("state", "st-1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let html = c.get(authorize).send().await.unwrap().text().await.unwrap();
    let session = hidden(&html, "session");
    c.post(format!("{base}/identity/connect/authorize/login"))
        .form(&[("session", session.as_str()), ("user", demo::ADMIN_USER_ID)])
        .send()
        .await
        .unwrap();
    let resp = c
        .post(format!("{base}/identity/connect/authorize/consent"))
        .form(&[
            ("session", session.as_str()),
            ("action", "allow"),
            (&format!("tenant_{}", demo::TENANT_ID), "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let query = crate::common::form_parse(location.split_once('?').unwrap().1);
    let code = query["code"].clone();
    let tokens: Value = c
        .post(format!("{base}/connect/token"))
        .basic_auth(demo::CLIENT_ID, Some(demo::CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", demo::REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"]
        .as_str()
        .expect("access token")
        .to_string();
    let api = |m: Method, p: &str| {
        c.request(m, format!("{base}{XPM}/{p}"))
            .bearer_auth(&access)
            .header("xero-tenant-id", demo::TENANT_ID)
    };
    let send_xml = |m: Method, p: &str, body: Option<String>| {
        let mut r = api(m, p);
        if let Some(b) = body {
            r = r.header("content-type", "application/xml").body(b);
        }
        async move {
            let resp = r.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };

    let conns = c
        .get(format!("{base}/connections"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(conns.status(), StatusCode::OK);
    let (s, added) = send_xml(
        Method::POST,
        "add",
        Some(format!(
            "<Client><Name>Recorded Ltd</Name><BusinessStructure>Company</BusinessStructure><TaxNumber>{TAX_NUMBER}</TaxNumber></Client>"
        )),
    )
    .await;
    assert_eq!(s, 200, "{added}");
    let client = first(&added, "UUID").expect("uuid");
    send_xml(Method::GET, &format!("get/{client}"), None).await;
    send_xml(Method::GET, "search?query=Recorded", None).await;
    let (_, rel) = send_xml(
        Method::POST,
        "addrelationship",
        Some(format!(
            "<Relationship><ClientUUID>{client}</ClientUUID><RelatedClientUUID>{}</RelatedClientUUID><Type>Director</Type></Relationship>",
            demo::JANE_UUID
        )),
    )
    .await;
    assert!(rel.contains("<Status>OK</Status>"), "{rel}");
    send_xml(Method::GET, &format!("get/{}", demo::JANE_UUID), None).await;
    send_xml(
        Method::PUT,
        "update",
        Some(format!(
            "<Client><UUID>{client}</UUID><Name>Recorded Two Ltd</Name></Client>"
        )),
    )
    .await;
    send_xml(Method::GET, &format!("get/{client}"), None).await;
    let (_, err) = send_xml(
        Method::POST,
        "add",
        Some("<Client><Name></Name></Client>".into()),
    )
    .await;
    assert!(err.contains("<Status>ERROR</Status>"), "{err}");
    let json = api(Method::GET, &format!("get/{client}"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(json.contains("\"taxNumber\":\"******210\""), "{json}");
    Session {
        access_token: access,
        refresh_token: tokens["refresh_token"].as_str().unwrap().to_string(),
        id_token: tokens["id_token"].as_str().unwrap().to_string(),
        code,
        client,
    }
}

/// Sim A behind a recorder, the session driven through it; the cassette's path.
async fn record_session() -> (RunningSim, Session, PathBuf) {
    let a = Sim::start(SimConfig::default()).await.unwrap();
    let out = temp_cassette();
    let rec = Recorder::start(RecordConfig::new(Upstream::single(a.base_url()), &out))
        .await
        .unwrap();
    let session = drive_session(&rec.base_url()).await;
    rec.stop().await;
    (a, session, out)
}

/// A sim with another rng seed (so every id it makes differs from A's) and
/// the demo app connected to the demo practice.
async fn target(cfg: SimConfig) -> (RunningSim, CompareConfig) {
    let sim = Sim::start(SimConfig { rng_seed: 7, ..cfg }).await.unwrap();
    let tokens = sim
        .control()
        .connect(&ConnectRequest {
            client_id: demo::CLIENT_ID.into(),
            user_email: demo::ADMIN_EMAIL.into(),
            tenants: vec![demo::TENANT_ID.parse().unwrap()],
            scopes: vec![],
        })
        .unwrap();
    let mut cfg = CompareConfig::new(sim.base_url());
    cfg.token = Some(tokens.access_token);
    cfg.tenant = Some(demo::TENANT_ID.into());
    (sim, cfg)
}

fn lines(report: &Report) -> Vec<String> {
    report.differences.iter().map(|d| d.to_string()).collect()
}

#[tokio::test]
async fn the_cassette_holds_every_exchange_and_no_secret() {
    let (_a, s, out) = record_session().await;
    let text = std::fs::read_to_string(&out).unwrap();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        demo::CLIENT_ID,
        demo::CLIENT_SECRET
    ));
    for (what, secret) in [
        ("the access token", s.access_token.as_str()),
        ("the refresh token", &s.refresh_token),
        ("the id token", &s.id_token),
        ("the authorisation code", &s.code),
        ("the client secret", demo::CLIENT_SECRET),
        ("the Basic credentials", &basic),
        ("the PKCE verifier", VERIFIER),
        ("the full tax number", TAX_NUMBER),
        ("the masked tax number", "******210"),
        ("the seeded tax number", "******782"),
    ] {
        assert!(!text.contains(secret), "{what} is in the cassette:\n{text}");
    }

    let c = Cassette::load(&out).unwrap();
    assert!(c.warnings.is_empty());
    let seen: Vec<String> = c
        .exchanges
        .iter()
        .map(|x| format!("{} {} {}", x.seq, x.request_line(), x.status))
        .collect();
    let client = &s.client;
    let jane = demo::JANE_UUID;
    assert_eq!(
        seen.iter()
            .map(|l| l.split('?').next().unwrap().to_string())
            .collect::<Vec<_>>(),
        vec![
            "1 GET /identity/connect/authorize".to_string(),
            "2 POST /identity/connect/authorize/login 200".into(),
            "3 POST /identity/connect/authorize/consent 302".into(),
            "4 POST /connect/token 200".into(),
            "5 GET /connections 200".into(),
            format!("6 POST {XPM}/add 200"),
            format!("7 GET {XPM}/get/{client} 200"),
            format!("8 GET {XPM}/search"),
            format!("9 POST {XPM}/addrelationship 200"),
            format!("10 GET {XPM}/get/{jane} 200"),
            format!("11 PUT {XPM}/update 200"),
            format!("12 GET {XPM}/get/{client} 200"),
            format!("13 POST {XPM}/add 200"),
            format!("14 GET {XPM}/get/{client} 200"),
        ]
    );
    let x = |seq: usize| &c.exchanges[seq - 1];
    assert_eq!(
        x(5).request.header("authorization"),
        Some("Bearer [redacted]")
    );
    assert_eq!(
        x(4).request.header("authorization"),
        Some("Basic [redacted]")
    );
    let token_form = x(4).request.body.text().unwrap();
    assert!(token_form.contains("code=[redacted]"), "{token_form}");
    assert!(
        token_form.contains("code_verifier=[redacted]"),
        "{token_form}"
    );
    assert!(
        token_form.contains("grant_type=authorization_code"),
        "{token_form}"
    );
    let token_answer: Value = serde_json::from_str(x(4).response.body.text().unwrap()).unwrap();
    assert_eq!(token_answer["access_token"], "[redacted]");
    assert_eq!(token_answer["expires_in"], 1800);
    assert!(
        x(3).response
            .header("location")
            .unwrap()
            .contains("code=[redacted]"),
        "{:?}",
        x(3).response.headers
    );
    assert!(
        x(6).request
            .body
            .text()
            .unwrap()
            .contains("<TaxNumber>[redacted]</TaxNumber>")
    );
    assert!(
        x(7).response
            .body
            .text()
            .unwrap()
            .contains("<TaxNumber>[redacted]</TaxNumber>")
    );
    assert!(
        x(14)
            .response
            .body
            .text()
            .unwrap()
            .contains("\"taxNumber\":\"[redacted]\"")
    );
    // Headers XPM's callers depend on are kept.
    assert!(x(7).response.header("x-daylimit-remaining").is_some());
    assert!(
        x(7).response
            .header("content-type")
            .unwrap()
            .contains("xml")
    );
    assert_eq!(x(7).request.header("xero-tenant-id"), Some(demo::TENANT_ID));
    assert!(
        x(13)
            .response
            .body
            .text()
            .unwrap()
            .contains("<Status>ERROR</Status>")
    );
}

#[tokio::test]
async fn compare_with_a_sim_seeded_the_same_finds_no_difference() {
    let (_a, s, out) = record_session().await;
    let (b, cfg) = target(SimConfig::default()).await;
    let report = compare(&Cassette::load(&out).unwrap(), &cfg).await.unwrap();
    assert_eq!(lines(&report), Vec::<String>::new(), "{}", report.to_text());
    assert_eq!(report.compared, 10);
    assert_eq!(
        report.skipped.iter().map(|k| k.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4],
        "the login pages and the token exchange (its code is redacted)"
    );
    // B made its own id for the client; compare learnt it from the add and
    // sent B's id in the later requests, so B now holds the relationship
    // and the update under its id.
    let tenant = demo::TENANT_ID.parse().unwrap();
    let clients = b.control().clients(tenant).unwrap();
    let made = clients
        .iter()
        .find(|c| c.fields.get("Name").map(String::as_str) == Some("Recorded Two Ltd"))
        .expect("the update reached B's client");
    assert_ne!(made.uuid.to_string(), s.client, "B's ids differ from A's");
    let journal = b.control().journal_all();
    assert!(
        journal
            .iter()
            .any(|e| e.path.ends_with(&format!("get/{}", made.uuid)))
    );
    assert!(
        !journal.iter().any(|e| e.path.contains(&s.client)),
        "A's id was never sent to B"
    );
}

#[tokio::test]
async fn compare_reports_exactly_the_status_of_error_answers_when_it_differs() {
    let (_a, _s, out) = record_session().await;
    let (_c, cfg) = target(SimConfig {
        error_status: 400,
        ..SimConfig::default()
    })
    .await;
    let report = compare(&Cassette::load(&out).unwrap(), &cfg).await.unwrap();
    assert_eq!(
        lines(&report),
        vec![format!("#13 POST {XPM}/add: status: expected 200, got 400")]
    );
}

#[tokio::test]
async fn compare_reports_exactly_where_a_differently_seeded_client_shows() {
    let (_a, s, out) = record_session().await;
    let mut seed = Seed::demo();
    let jane = &mut seed.orgs[0].clients[1];
    assert_eq!(jane["Name"], "Jane Citizen");
    jane["Name"] = "Jane Doe".into();
    jane["LastName"] = "Doe".into();
    seed.orgs[0].relationships[0].related = demo::JANE_UUID.into();
    let seeded = || {
        target(SimConfig {
            seed: seed.clone(),
            ..SimConfig::default()
        })
    };
    let (_d, cfg) = seeded().await;
    let report = compare(&Cassette::load(&out).unwrap(), &cfg).await.unwrap();
    let (client, jane) = (&s.client, demo::JANE_UUID);
    assert_eq!(
        lines(&report),
        vec![
            format!(
                r#"#9 POST {XPM}/addrelationship: Response/Relationship/RelatedClient/Name: expected "Jane Citizen", got "Jane Doe""#
            ),
            format!(
                r#"#10 GET {XPM}/get/{jane}: Response/Client/Name: expected "Jane Citizen", got "Jane Doe""#
            ),
            format!(
                r#"#10 GET {XPM}/get/{jane}: Response/Client/LastName: expected "Citizen", got "Doe""#
            ),
            format!(
                r#"#11 PUT {XPM}/update: Response/Client/Relationships/Relationship/RelatedClient/Name: expected "Jane Citizen", got "Jane Doe""#
            ),
            format!(
                r#"#12 GET {XPM}/get/{client}: Response/Client/Relationships/Relationship/RelatedClient/Name: expected "Jane Citizen", got "Jane Doe""#
            ),
            format!(
                r#"#14 GET {XPM}/get/{client}: client/relationships[0]/relatedClient/name: expected "Jane Citizen", got "Jane Doe""#
            ),
        ],
        "{}",
        report.to_text()
    );
    // --ignore takes a path's values out, not its presence (on a fresh
    // target: compare wrote to the first).
    let (_e, mut cfg) = seeded().await;
    cfg.rules.ignore = vec![
        "RelatedClient/Name".into(),
        "Client/Name".into(),
        "LastName".into(),
        "relatedClient/name".into(),
    ];
    let report = compare(&Cassette::load(&out).unwrap(), &cfg).await.unwrap();
    assert_eq!(lines(&report), Vec::<String>::new(), "{}", report.to_text());
}

#[tokio::test]
async fn compare_without_a_token_says_which_is_needed() {
    let (_a, _s, out) = record_session().await;
    let err = compare(
        &Cassette::load(&out).unwrap(),
        &CompareConfig::new("http://127.0.0.1:9"),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("--token"), "{err}");
}

#[tokio::test]
async fn replay_answers_the_recorded_bodies_in_order_and_404s_the_unknown() {
    let (_a, s, out) = record_session().await;
    let c = Cassette::load(&out).unwrap();
    let body_of = |seq: usize| {
        c.exchanges[seq - 1]
            .response
            .body
            .text()
            .unwrap()
            .to_string()
    };
    let rep = Replayer::start(c.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = rep.base_url();
    let h = http();
    let get = |p: String, json: bool| {
        let mut r = h.get(format!("{base}{XPM}/{p}")).bearer_auth("any token");
        if json {
            r = r.header("accept", "application/json");
        }
        async move {
            let resp = r.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let client = &s.client;
    // The same request three times: the recorded answers in order, then the last again.
    assert_eq!(get(format!("get/{client}"), false).await, (200, body_of(7)));
    assert_eq!(
        get(format!("get/{client}"), false).await,
        (200, body_of(12))
    );
    assert_eq!(
        get(format!("get/{client}"), false).await,
        (200, body_of(12))
    );
    assert!(body_of(12).contains("Recorded Two Ltd") && !body_of(7).contains("Recorded Two Ltd"));
    // Accept tells apart the recorded XML and JSON reads of one path.
    assert_eq!(get(format!("get/{client}"), true).await, (200, body_of(14)));
    // The body tells apart the two recorded adds; the live tax number is
    // redacted before matching, as the recorded one was.
    let post = |body: &str| {
        let r = h
            .post(format!("{base}{XPM}/add"))
            .header("content-type", "application/xml")
            .body(body.to_string());
        async move {
            let resp = r.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    assert_eq!(
        post("<Client><Name></Name></Client>").await,
        (200, body_of(13))
    );
    assert_eq!(
        post(&format!("<Client><Name>Recorded Ltd</Name><BusinessStructure>Company</BusinessStructure><TaxNumber>{TAX_NUMBER}</TaxNumber></Client>")).await,
        (200, body_of(6))
    );
    let (status, text) = post("<Client><Name>Someone Else</Name></Client>").await;
    assert_eq!(status, 404);
    assert!(
        text.contains(&format!(
            "POST {XPM}/add with this body is not in the cassette"
        )),
        "{text}"
    );
    let (status, text) = get("get/00000000-0000-4000-8000-000000000000".into(), false).await;
    assert_eq!(status, 404);
    assert_eq!(
        text,
        format!(
            "xpm-sim replay: GET {XPM}/get/00000000-0000-4000-8000-000000000000 is not in the cassette (no recorded request has this method, path and query)"
        )
    );
    // Recorded headers come back.
    let resp = h.get(format!("{base}/connections")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("json")
    );
}

#[tokio::test]
async fn the_recorder_refuses_an_oversized_body_in_words_and_forwards_nothing() {
    let a = Sim::start(SimConfig::default()).await.unwrap();
    let out = temp_cassette();
    let mut cfg = RecordConfig::new(Upstream::single(a.base_url()), &out);
    cfg.max_body = 1000;
    let rec = Recorder::start(cfg).await.unwrap();
    let resp = http()
        .post(format!("{}{XPM}/add", rec.base_url()))
        .body(format!(
            "<Client><Name>{}</Name></Client>",
            "x".repeat(2000)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("larger than 1000 bytes") && text.contains("not forwarded"),
        "{text}"
    );
    assert!(
        a.control().journal_all().is_empty(),
        "nothing reached the upstream"
    );
    // A small call still goes through and is recorded.
    let ok = http()
        .get(format!("{}/connections", rec.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 401);
    rec.stop().await;
    let c = Cassette::load(&out).unwrap();
    assert_eq!(c.exchanges.len(), 1);
    assert_eq!(c.exchanges[0].path, "/connections");
}

#[tokio::test]
async fn an_upstream_that_does_not_answer_gets_a_502_in_words_and_the_cassette_keeps_the_rest() {
    let a = Sim::start(SimConfig::default()).await.unwrap();
    // A port nothing listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let out = temp_cassette();
    let upstream = Upstream::single(a.base_url()).with_route("/dead/", &dead_url);
    let rec = Recorder::start(RecordConfig::new(upstream, &out))
        .await
        .unwrap();
    let ok = http()
        .get(format!("{}/connections", rec.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 401);
    let resp = http()
        .get(format!("{}/dead/x", rec.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);
    let text = resp.text().await.unwrap();
    assert!(
        text.starts_with(&format!(
            "xpm-sim record: the upstream {dead_url} did not answer"
        )),
        "{text}"
    );
    rec.stop().await;
    let c = Cassette::load(&out).unwrap();
    assert_eq!(c.exchanges.len(), 2);
    assert_eq!(c.exchanges[0].status, 401);
    assert!(c.exchanges[1].upstream_error.is_some());
    // Compare does not hold the recorder's 502 against the target.
    let report = compare(&c, &CompareConfig::new(a.base_url()))
        .await
        .unwrap();
    assert_eq!(report.compared, 1);
    assert_eq!(report.skipped.len(), 1);
    assert!(report.differences.is_empty(), "{}", report.to_text());
}

#[tokio::test]
async fn a_cassette_is_not_overwritten_by_accident() {
    let a = Sim::start(SimConfig::default()).await.unwrap();
    let out = temp_cassette();
    std::fs::write(&out, "keep me").unwrap();
    let err = Recorder::start(RecordConfig::new(Upstream::single(a.base_url()), &out))
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("--overwrite"), "{err:#}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compare_command_prints_the_differences_and_exits_1() {
    let (_a, _s, out) = record_session().await;
    let (_same, same) = target(SimConfig::default()).await;
    // Compare writes to its target (the session adds a client): each run
    // gets a fresh one.
    let (_other, other) = target(SimConfig {
        error_status: 400,
        ..SimConfig::default()
    })
    .await;
    let (_third, third) = target(SimConfig {
        error_status: 400,
        ..SimConfig::default()
    })
    .await;
    let run = |cfg: CompareConfig, json: bool| {
        let out = out.clone();
        tokio::task::spawn_blocking(move || {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_xpm-sim"));
            cmd.arg("compare")
                .arg(&out)
                .args(["--against", &cfg.against])
                .env("XPM_COMPARE_TOKEN", cfg.token.unwrap())
                .env("XPM_COMPARE_TENANT", cfg.tenant.unwrap());
            if json {
                cmd.arg("--json");
            }
            cmd.output().unwrap()
        })
    };
    let agree = run(same, false).await.unwrap();
    let text = String::from_utf8_lossy(&agree.stdout);
    assert_eq!(agree.status.code(), Some(0), "{text}");
    assert!(text.contains(": 0 differences, 4 skipped"), "{text}");
    let differ = run(other, false).await.unwrap();
    let text = String::from_utf8_lossy(&differ.stdout);
    assert_eq!(differ.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with(&format!(
            "#13 POST {XPM}/add: status: expected 200, got 400\n"
        )),
        "{text}"
    );
    let as_json = run(third, true).await.unwrap();
    let v: Value = serde_json::from_slice(&as_json.stdout).unwrap();
    assert_eq!(v["differences"][0]["seq"], 13);
    assert_eq!(v["differences"][0]["at"], "status");
}
