//! XPM's rate limits. The minute and day limits are fixed windows that reset
//! at a moment of each tenant's own, derived from its id: the demo tenant's
//! minute windows start 20 s past each minute and its day windows at
//! 18:05:20 UTC; the second demo tenant's minute windows start 16 s past the
//! minute. The sim starts (frozen) at 2026-01-05T09:00:00Z.

use crate::common::{start, start_with};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use xpm_sim::seed::demo;
use xpm_sim::{ConnectRequest, FaultAction, FaultSpec, LimitsConfig, SimConfig};

fn header(resp: &Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .to_str()
        .unwrap()
        .to_string()
}

fn remaining(resp: &Response) -> (String, String, String) {
    (
        header(resp, "x-minlimit-remaining"),
        header(resp, "x-daylimit-remaining"),
        header(resp, "x-appminlimit-remaining"),
    )
}

fn left(min: u32, day: u32, app: u32) -> (String, String, String) {
    (min.to_string(), day.to_string(), app.to_string())
}

async fn list_as(t: &crate::common::T, tenant: &str) -> Response {
    t.http
        .get(t.url("list"))
        .bearer_auth(&t.token)
        .header("xero-tenant-id", tenant)
        .send()
        .await
        .unwrap()
}

/// A new access token (the old one lives only 30 minutes on the sim clock).
fn reconnect(t: &mut crate::common::T) {
    t.token = t
        .sim
        .control()
        .connect(&ConnectRequest {
            client_id: demo::CLIENT_ID.into(),
            user_email: demo::ADMIN_EMAIL.into(),
            tenants: vec![],
            scopes: vec![],
        })
        .expect("connect")
        .access_token;
}

fn secs(s: i64) -> time::Duration {
    time::Duration::seconds(s)
}

#[tokio::test]
async fn remaining_headers_count_down_on_ok_answers() {
    let t = start().await;
    for used in 1..=3 {
        let resp = t.req(Method::GET, "list").send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(
            remaining(&resp),
            left(60 - used, 5000 - used, 10_000 - used)
        );
    }
    // Another tenant has its own minute and day counts, the app count is shared.
    let other = list_as(&t, demo::SECOND_TENANT_ID).await;
    assert_eq!(remaining(&other), left(59, 4999, 9996));
    // ERROR answers count and carry the headers too.
    let missing = t
        .req(Method::GET, "get/00000000-0000-0000-0000-000000000001")
        .send()
        .await
        .unwrap();
    assert_eq!(remaining(&missing), left(56, 4996, 9995));
}

#[tokio::test]
async fn a_tenants_minute_window_resets_at_its_own_boundary() {
    let t = start().await;
    t.sim.control().set_limits(LimitsConfig {
        per_minute: 3,
        ..LimitsConfig::default()
    });
    for _ in 0..3 {
        assert_eq!(t.get_xml("list").await.0, 200);
    }
    let resp = t.req(Method::GET, "list").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&resp, "x-rate-limit-problem"), "minute");
    assert_eq!(header(&resp, "retry-after"), "20");
    assert_eq!(remaining(&resp), left(0, 4997, 9997));
    // 09:00:19.5: half a second left, still said as 1 s.
    t.sim
        .control()
        .advance_clock(time::Duration::milliseconds(19_500));
    let resp = t.req(Method::GET, "list").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&resp, "retry-after"), "1");
    // 09:00:20: the window ends, less than a minute after the first call.
    t.sim
        .control()
        .advance_clock(time::Duration::milliseconds(500));
    let resp = t.req(Method::GET, "list").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "x-minlimit-remaining"), "2");
    // Calls made late in a window do not hold the next one back.
    t.sim.control().advance_clock(secs(59));
    for _ in 0..2 {
        assert_eq!(t.get_xml("list").await.0, 200);
    }
    assert_eq!(t.get_xml("list").await.0, 429);
    t.sim.control().advance_clock(secs(1));
    assert_eq!(t.get_xml("list").await.0, 200);
}

#[tokio::test]
async fn two_tenants_reset_at_different_moments() {
    let t = start().await;
    t.sim.control().set_limits(LimitsConfig {
        per_minute: 1,
        ..LimitsConfig::default()
    });
    for tenant in [demo::TENANT_ID, demo::SECOND_TENANT_ID] {
        assert_eq!(list_as(&t, tenant).await.status(), StatusCode::OK);
    }
    let first = list_as(&t, demo::TENANT_ID).await;
    let second = list_as(&t, demo::SECOND_TENANT_ID).await;
    assert_eq!(header(&first, "retry-after"), "20");
    assert_eq!(header(&second, "retry-after"), "16");
    t.sim.control().advance_clock(secs(16));
    assert_eq!(
        list_as(&t, demo::SECOND_TENANT_ID).await.status(),
        StatusCode::OK
    );
    let first = list_as(&t, demo::TENANT_ID).await;
    assert_eq!(first.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&first, "retry-after"), "4");
    t.sim.control().advance_clock(secs(4));
    assert_eq!(list_as(&t, demo::TENANT_ID).await.status(), StatusCode::OK);
    // The same tenant always resets at the same moment: a new sim agrees.
    let again = start().await;
    again.sim.control().set_limits(LimitsConfig {
        per_minute: 1,
        ..LimitsConfig::default()
    });
    again.get_xml("list").await;
    let resp = again.req(Method::GET, "list").send().await.unwrap();
    assert_eq!(header(&resp, "retry-after"), "20");
}

#[tokio::test]
async fn the_day_limit_refusal_says_day_with_retry_after_until_the_windows_end() {
    let mut t = start().await;
    t.sim.control().set_limits(LimitsConfig {
        per_day: 2,
        ..LimitsConfig::default()
    });
    t.get_xml("list").await;
    t.get_xml("list").await;
    let resp = t.req(Method::GET, "list").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&resp, "x-rate-limit-problem"), "day");
    // 09:00:00 to the demo tenant's day boundary, 18:05:20.
    assert_eq!(
        header(&resp, "retry-after"),
        (9 * 3600 + 5 * 60 + 20).to_string()
    );
    assert_eq!(header(&resp, "x-daylimit-remaining"), "0");
    // The other tenant's day is its own.
    assert_eq!(
        list_as(&t, demo::SECOND_TENANT_ID).await.status(),
        StatusCode::OK
    );
    t.sim.control().advance_clock(secs(9 * 3600 + 5 * 60 + 19));
    reconnect(&mut t);
    let resp = t.req(Method::GET, "list").send().await.unwrap();
    assert_eq!(header(&resp, "x-rate-limit-problem"), "day");
    assert_eq!(header(&resp, "retry-after"), "1");
    t.sim.control().advance_clock(secs(1));
    let resp = t.req(Method::GET, "list").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "x-daylimit-remaining"), "1");
}

#[tokio::test]
async fn per_day_1000_is_honoured() {
    // Set through the control API; fields left out keep their defaults.
    let t = start().await;
    let c = t.sim.control_url();
    let resp = t
        .http
        .put(format!("{c}/limits"))
        .json(&json!({ "per_day": 1000, "per_minute": 2000 }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let limits: Value = t
        .http
        .get(format!("{c}/limits"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        limits,
        json!({ "enabled": true, "concurrent": 5, "per_minute": 2000, "per_day": 1000, "app_per_minute": 10000 })
    );
    for used in 1..=1000u32 {
        let resp = t.req(Method::GET, "list").send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "call {used}");
        assert_eq!(
            header(&resp, "x-daylimit-remaining"),
            (1000 - used).to_string()
        );
    }
    let resp = t.req(Method::GET, "list").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&resp, "x-rate-limit-problem"), "day");

    // And through SimConfig.
    let t = start_with(SimConfig {
        limits: LimitsConfig {
            per_day: 1000,
            ..LimitsConfig::default()
        },
        ..SimConfig::default()
    })
    .await;
    let resp = t.req(Method::GET, "list").send().await.unwrap();
    assert_eq!(remaining(&resp), left(59, 999, 9999));
}

#[tokio::test]
async fn default_limit_is_sixty_a_minute() {
    let t = start().await;
    for _ in 0..60 {
        assert_eq!(t.get_xml("list").await.0, 200);
    }
    assert_eq!(t.get_xml("list").await.0, 429);
    // Limits are per tenant.
    let other = list_as(&t, demo::SECOND_TENANT_ID).await;
    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_app_minute_limit_says_appminute_and_resets_on_the_minute() {
    let t = start().await;
    t.sim.control().set_limits(LimitsConfig {
        app_per_minute: 1,
        ..LimitsConfig::default()
    });
    t.sim.control().advance_clock(secs(30));
    t.get_xml("list").await;
    let resp = list_as(&t, demo::SECOND_TENANT_ID).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&resp, "x-rate-limit-problem"), "appminute");
    assert_eq!(header(&resp, "retry-after"), "30");
    assert_eq!(remaining(&resp), left(60, 5000, 0));
    t.sim.control().advance_clock(secs(30));
    assert_eq!(
        list_as(&t, demo::SECOND_TENANT_ID).await.status(),
        StatusCode::OK
    );
    t.sim.control().set_limits(LimitsConfig {
        enabled: false,
        per_minute: 0,
        ..LimitsConfig::default()
    });
    assert_eq!(t.get_xml("list").await.0, 200);
}

#[tokio::test]
async fn five_calls_in_flight_at_most() {
    let t = start().await;
    t.sim.control().add_fault(FaultSpec {
        method: Some("GET".into()),
        path: Some("/practicemanager/3.1/client.api/list".into()),
        tenant: None,
        action: FaultAction::Latency { ms: 400 },
        times: None,
    });
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let req = t.req(Method::GET, "list");
        tasks.push(tokio::spawn(async move {
            let r = req.send().await.unwrap();
            let problem = r
                .headers()
                .get("x-rate-limit-problem")
                .map(|v| v.to_str().unwrap().to_string());
            let has_remaining = r.headers().contains_key("x-daylimit-remaining");
            (r.status().as_u16(), problem, has_remaining)
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    let refused: Vec<_> = results.iter().filter(|(s, _, _)| *s == 429).collect();
    assert_eq!(refused.len(), 1, "{results:?}");
    assert_eq!(refused[0].1.as_deref(), Some("concurrent"));
    assert_eq!(results.iter().filter(|(s, _, _)| *s == 200).count(), 5);
    assert!(results.iter().all(|r| r.2), "{results:?}");
}
