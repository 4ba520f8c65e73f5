use crate::common::{error_of, start};
use reqwest::{Method, StatusCode};
use std::time::{Duration, Instant};
use xpm_sim::seed::demo;
use xpm_sim::{FaultAction, FaultSpec, JournalFilter};

const ADD: &str = "/practicemanager/3.1/client.api/add";

fn rule(method: &str, path: &str, action: FaultAction, times: Option<u32>) -> FaultSpec {
    FaultSpec {
        method: Some(method.into()),
        path: Some(path.into()),
        tenant: None,
        action,
        times,
    }
}

fn client_count(t: &crate::common::T) -> usize {
    t.sim
        .control()
        .clients(demo::TENANT_ID.parse().unwrap())
        .unwrap()
        .len()
}

#[tokio::test]
async fn status_fault_fails_n_times_then_lets_calls_through() {
    let t = start().await;
    let id = t.sim.control().add_fault(rule(
        "POST",
        ADD,
        FaultAction::Status {
            status: 503,
            body: Some("busy".into()),
            retry_after: Some(7),
        },
        Some(2),
    ));
    for _ in 0..2 {
        let resp = t
            .req(Method::POST, "add")
            .body("<Client><Name>F</Name></Client>")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(resp.headers()["retry-after"], "7");
        assert_eq!(resp.text().await.unwrap(), "busy");
    }
    assert_eq!(client_count(&t), 2, "failed calls change nothing");
    let (s, _) = t
        .xml(Method::POST, "add", Some("<Client><Name>F</Name></Client>"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(t.get_xml("list").await.0, 200, "GETs never matched");
    let faults = t.sim.control().faults();
    assert_eq!(faults[0].fired, 2);
    let hits = t.sim.control().journal(&JournalFilter {
        status: Some(503),
        ..JournalFilter::default()
    });
    assert_eq!(hits.len(), 2);
    assert!(hits.iter().all(|e| e.fault == Some(id)));
}

#[tokio::test]
async fn latency_fault_delays_the_answer() {
    let t = start().await;
    t.sim.control().add_fault(rule(
        "GET",
        "/practicemanager/3.1/client.api/*",
        FaultAction::Latency { ms: 150 },
        Some(1),
    ));
    let started = Instant::now();
    assert_eq!(t.get_xml("list").await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn close_before_answer_drops_the_connection_and_changes_nothing() {
    let t = start().await;
    t.sim
        .control()
        .add_fault(rule("POST", ADD, FaultAction::CloseBeforeAnswer, Some(1)));
    let err = t
        .req(Method::POST, "add")
        .body("<Client><Name>Lost</Name></Client>")
        .send()
        .await;
    assert!(err.is_err(), "the client sees a connection error");
    assert_eq!(client_count(&t), 2);
    let e = t.sim.control().journal(&JournalFilter {
        path: Some("/add".into()),
        ..JournalFilter::default()
    });
    assert_eq!(e.len(), 1);
    assert!(e[0].dropped);
    assert_eq!(e[0].status, None);
    // The next call goes through on a new connection.
    let (s, _) = t
        .xml(
            Method::POST,
            "add",
            Some("<Client><Name>Retry</Name></Client>"),
        )
        .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn commit_then_drop_keeps_the_write_but_loses_the_answer() {
    let t = start().await;
    t.sim
        .control()
        .add_fault(rule("POST", ADD, FaultAction::CommitThenDrop, Some(1)));
    let err = t
        .req(Method::POST, "add")
        .body("<Client><Name>Ambiguous Ltd</Name></Client>")
        .send()
        .await;
    assert!(err.is_err(), "the client sees a connection error");
    assert_eq!(client_count(&t), 3, "but the client was created");
    let (_, found) = t.get_xml("search?query=Ambiguous").await;
    assert!(found.contains("<Name>Ambiguous Ltd</Name>"));
    assert!(error_of(&found).is_none());
    let e = t.sim.control().journal(&JournalFilter {
        path: Some("/add".into()),
        ..JournalFilter::default()
    });
    assert_eq!(e[0].status, Some(200));
    assert!(e[0].dropped);
}

#[tokio::test]
async fn rules_match_on_tenant_and_apply_to_identity_endpoints_too() {
    let t = start().await;
    t.sim.control().add_fault(FaultSpec {
        method: None,
        path: None,
        tenant: Some(demo::SECOND_TENANT_ID.into()),
        action: FaultAction::Status {
            status: 500,
            body: None,
            retry_after: None,
        },
        times: None,
    });
    assert_eq!(t.get_xml("list").await.0, 200, "other tenant unaffected");
    let other = t
        .http
        .get(t.url("list"))
        .bearer_auth(&t.token)
        .header("xero-tenant-id", demo::SECOND_TENANT_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::INTERNAL_SERVER_ERROR);
    t.sim.control().clear_faults();
    t.sim.control().add_fault(rule(
        "POST",
        "/connect/token",
        FaultAction::Status {
            status: 502,
            body: None,
            retry_after: None,
        },
        None,
    ));
    let resp = t
        .http
        .post(t.sim.token_url())
        .form(&[("grant_type", "refresh_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    let id = t.sim.control().faults()[0].id;
    t.sim.control().remove_fault(id).unwrap();
    assert!(t.sim.control().remove_fault(id).is_err());
}
