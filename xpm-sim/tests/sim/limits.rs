use crate::common::start;
use reqwest::{Method, StatusCode};
use xpm_sim::seed::demo;
use xpm_sim::{FaultAction, FaultSpec, LimitsConfig};

#[tokio::test]
async fn minute_limit_answers_429_until_the_window_moves() {
    let t = start().await;
    t.sim.control().set_limits(LimitsConfig {
        per_minute: 3,
        ..LimitsConfig::default()
    });
    for left in [2, 1, 0] {
        let resp = t.req(Method::GET, "list").send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(
            resp.headers()["x-minlimit-remaining"],
            left.to_string().as_str()
        );
        assert!(resp.headers().contains_key("x-daylimit-remaining"));
        assert!(resp.headers().contains_key("x-appminlimit-remaining"));
    }
    t.sim.control().advance_clock(time::Duration::seconds(20));
    let resp = t.req(Method::GET, "list").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "40");
    assert_eq!(resp.headers()["x-rate-limit-problem"], "Minute");
    t.sim.control().advance_clock(time::Duration::seconds(40));
    assert_eq!(t.get_xml("list").await.0, 200);
}

#[tokio::test]
async fn default_limit_is_sixty_a_minute() {
    let t = start().await;
    for _ in 0..60 {
        assert_eq!(t.get_xml("list").await.0, 200);
    }
    assert_eq!(t.get_xml("list").await.0, 429);
    // Limits are per tenant.
    let other = t
        .http
        .get(t.url("list"))
        .bearer_auth(&t.token)
        .header("xero-tenant-id", demo::SECOND_TENANT_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test]
async fn daily_and_app_limits() {
    let t = start().await;
    t.sim.control().set_limits(LimitsConfig {
        per_day: 2,
        ..LimitsConfig::default()
    });
    t.get_xml("list").await;
    t.get_xml("list").await;
    let resp = t.req(Method::GET, "list").send().await.unwrap();
    assert_eq!(resp.headers()["x-rate-limit-problem"], "Daily");
    assert_eq!(resp.headers()["retry-after"], "86400");
    t.sim.control().set_limits(LimitsConfig {
        app_per_minute: 1,
        ..LimitsConfig::default()
    });
    t.get_xml("list").await;
    let resp = t
        .http
        .get(t.url("list"))
        .bearer_auth(&t.token)
        .header("xero-tenant-id", demo::SECOND_TENANT_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-rate-limit-problem"], "AppMinute");
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
            (r.status().as_u16(), problem)
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    let refused: Vec<_> = results.iter().filter(|(s, _)| *s == 429).collect();
    assert_eq!(refused.len(), 1, "{results:?}");
    assert_eq!(refused[0].1.as_deref(), Some("Concurrent"));
    assert_eq!(results.iter().filter(|(s, _)| *s == 200).count(), 5);
}
