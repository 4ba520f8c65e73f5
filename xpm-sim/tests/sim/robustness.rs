use crate::common::{error_of, start, start_with};
use reqwest::{Method, StatusCode};
use xpm_sim::seed::demo;
use xpm_sim::{LimitsConfig, Sim, SimConfig};

#[tokio::test]
async fn huge_bodies_are_refused_with_413() {
    let t = start().await;
    let big = format!(
        "<Client><Name>{}</Name></Client>",
        "x".repeat(4 * 1024 * 1024)
    );
    let resp = t.req(Method::POST, "add").body(big).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let e = t.sim.control().journal_all();
    assert_eq!(e.last().unwrap().status, Some(413));
    assert_eq!(t.get_xml("list").await.0, 200, "the sim is fine afterwards");
}

#[tokio::test]
async fn malformed_bodies_get_error_envelopes_never_500() {
    let t = start().await;
    let bodies: Vec<Vec<u8>> = vec![
        b"<Client>".to_vec(),
        b"<Client><Name>a</Name></Client><Client/>".to_vec(),
        b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><Client/>".to_vec(),
        b"<Client><Name>&xxe;</Name></Client>".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x3c],
        "<Client>".repeat(1000).into_bytes(),
        b"<Client><Name><b>nested</b></Name></Client>".to_vec(),
    ];
    for body in bodies {
        for path in [
            "add",
            "update",
            "archive",
            "delete",
            "addrelationship",
            "updaterelationship",
            "deleterelationship",
        ] {
            let method = if matches!(path, "update" | "archive" | "updaterelationship") {
                Method::PUT
            } else {
                Method::POST
            };
            let resp = t.req(method, path).body(body.clone()).send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "{path}");
            let text = resp.text().await.unwrap();
            assert!(
                error_of(&text).is_some(),
                "{path} {:?}: {text}",
                String::from_utf8_lossy(&body)
            );
        }
    }
    assert_eq!(
        t.sim
            .control()
            .clients(demo::TENANT_ID.parse().unwrap())
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn concurrent_writers_do_not_corrupt_state() {
    let cfg = SimConfig {
        limits: LimitsConfig {
            enabled: false,
            ..LimitsConfig::default()
        },
        ..SimConfig::default()
    };
    let t = start_with(cfg).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let add = t.req(Method::POST, "add").body(format!(
            "<Client><Name>C{i}</Name><BusinessStructure>Company</BusinessStructure></Client>"
        ));
        let rel = t.req(Method::POST, "addrelationship");
        tasks.push(tokio::spawn(async move {
            let text = add.send().await.unwrap().text().await.unwrap();
            let id = crate::common::first(&text, "UUID").unwrap();
            let body = format!(
                "<Relationship><ClientUUID>{}</ClientUUID><RelatedClientUUID>{id}</RelatedClientUUID><Type>Shareholder</Type><NumberOfShares>{i}</NumberOfShares></Relationship>",
                demo::ACME_UUID
            );
            let r = rel.body(body).send().await.unwrap().text().await.unwrap();
            assert!(r.contains("<Status>OK</Status>"), "{r}");
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let state = t
        .sim
        .control()
        .org_state(demo::TENANT_ID.parse().unwrap())
        .unwrap();
    assert_eq!(state.org.clients.len(), 42);
    assert_eq!(state.org.relationships.len(), 41);
    let (_, acme) = t.get_xml(&format!("get/{}", demo::ACME_UUID)).await;
    assert_eq!(acme.matches("<Relationship>").count(), 41);
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let t = start().await;
    assert_eq!(t.get_xml("nothing").await.0, 404);
    assert_eq!(t.xml(Method::DELETE, "add", None).await.0, 405);
    let resp = t
        .http
        .get(format!("{}/nowhere", t.sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn state_file_keeps_state_across_restarts() {
    let dir = std::env::temp_dir().join(format!("xpm-sim-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.json");
    let _ = std::fs::remove_file(&file);
    let cfg = SimConfig {
        state_file: Some(file.clone()),
        ..SimConfig::default()
    };
    let t = start_with(cfg.clone()).await;
    let id = t.add_client("<Name>Persisted Ltd</Name>").await;
    let token = t.token.clone();
    t.sim.stop().await;
    assert!(file.exists());
    let sim = Sim::start(cfg).await.unwrap();
    let client = sim
        .control()
        .client(demo::TENANT_ID.parse().unwrap(), id.parse().unwrap())
        .unwrap();
    assert_eq!(client.name(), "Persisted Ltd");
    // Tokens and connections survive too.
    let resp = crate::common::http()
        .get(format!("{}/client.api/get/{id}", sim.xpm_base_url()))
        .bearer_auth(&token)
        .header("xero-tenant-id", demo::TENANT_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    sim.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn control_characters_are_refused_and_answers_stay_well_formed() {
    let t = start().await;
    let (_, v) = t
        .json(
            Method::POST,
            "add",
            Some(serde_json::json!({ "name": "bad\u{1}name" })),
        )
        .await;
    assert_eq!(
        v["errorDescription"],
        "Name contains characters that are not allowed"
    );
    for body in [
        "<Client><UUID>&#1;</UUID><Name>x</Name></Client>",
        "<Client><UUID>a&#27;b</UUID></Client>",
    ] {
        let (_, xml) = t.xml(Method::PUT, "update", Some(body)).await;
        assert!(error_of(&xml).is_some(), "{xml}");
        assert!(
            crate::common::well_formed_xml(&xml),
            "answer is well-formed: {xml:?}"
        );
        assert!(!xml.chars().any(|c| c.is_control() && c != '\n'), "{xml:?}");
    }
}
