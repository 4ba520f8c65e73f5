//! Scenarios 1 and 2: XPM calls per sync, and sync wall time under XPM
//! latency against the lower bound XPM's limits set.
//!
//! One sim (real clock), one SQLite store and two apps in this process on
//! that store: a *setup* app whose adapter pacing is raised (sim limits off
//! while it works) to create and first-sync the related clients quickly,
//! and a *paced* app with the adapter's shipped `Resilience` (60 calls in
//! any rolling minute, 5 in flight) for the timed syncs, run with the sim's
//! limits on. Each measurement uses its own practice and XPM organisation,
//! so pacing and rate windows start fresh.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::StreamExt;
use serde_json::{Value, json};
use store_row_format::TokenKey;
use xpm_adapter::Resilience;
use xpm_sim::{FaultAction, FaultSpec, LimitsConfig, RunningSim};

use crate::harness::{self, Api, Backend, Calls, InProcessApp, PracticeLogin, StoreSpec};
use crate::report::{Section, ms};

#[derive(Debug, Clone)]
pub struct CostOptions {
    /// Association counts for the call counts (scenario 1).
    pub sizes: Vec<usize>,
    /// Association counts for the timed syncs (scenario 2).
    pub latency_sizes: Vec<usize>,
    /// Latency the sim adds to every XPM call in scenario 2.
    pub latency_ms: u64,
    /// Look-alike clients XPM already holds for the look-alike first sync.
    pub look_alikes: usize,
    /// Associations of the client in the look-alike first sync.
    pub look_alike_associations: usize,
}

impl CostOptions {
    pub fn full() -> Self {
        Self {
            sizes: vec![0, 1, 10, 50],
            latency_sizes: vec![10, 50],
            latency_ms: 300,
            look_alikes: 3,
            look_alike_associations: 10,
        }
    }

    pub fn tiny() -> Self {
        Self {
            sizes: vec![1],
            latency_sizes: vec![1],
            latency_ms: 5,
            look_alikes: 1,
            look_alike_associations: 1,
        }
    }
}

struct Rig {
    sim: RunningSim,
    setup: InProcessApp,
    paced: InProcessApp,
    practices: Vec<PracticeLogin>,
    store: StoreSpec,
}

async fn rig(practices: usize) -> anyhow::Result<Rig> {
    let setup_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let paced_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let setup_url = format!("http://{}", setup_listener.local_addr()?);
    let sim = harness::start_sim(
        harness::seed(practices, &[], std::slice::from_ref(&setup_url)),
        harness::no_limits(),
    )
    .await?;
    let store_spec = StoreSpec::create(Backend::Sqlite).await?;
    let key = TokenKey::generate();
    let store = pmhub_xpm::wiring::open_sqlite(&store_spec.url, &key, true).await?;
    let logins = harness::add_practices(&store, practices).await?;
    let setup = InProcessApp::serve(
        store.clone(),
        &harness::xpm_config(&sim, &setup_url, harness::fast_resilience()),
        &key,
        setup_listener,
    )
    .await?;
    let paced_url = format!("http://{}", paced_listener.local_addr()?);
    let paced = InProcessApp::serve(
        store,
        &harness::xpm_config(&sim, &paced_url, Resilience::default()),
        &key,
        paced_listener,
    )
    .await?;
    for p in &logins {
        harness::connect(&setup.url, &sim.base_url(), p).await?;
    }
    Ok(Rig {
        sim,
        setup,
        paced,
        practices: logins,
        store: store_spec,
    })
}

/// A client with `n` associations (mapped to Director) to companies already
/// synced to XPM. Answers the client's id and the input it was created with.
async fn client_with_associations(
    api: &Api,
    label: &str,
    name: &str,
    n: usize,
) -> anyhow::Result<(String, Value)> {
    let kind = api
        .mapped_type(&format!("Director ({label})"), "Director")
        .await?;
    let mut related = Vec::new();
    for j in 0..n {
        related.push(
            api.create_client(&harness::company(
                &format!("Related {label} {j}"),
                &format!("r{j}@{label}.bench.test"),
            ))
            .await?,
        );
    }
    let empty = json!({});
    let synced: Vec<anyhow::Result<Value>> = futures::stream::iter(related.iter())
        .map(|id| api.sync(id, &empty))
        .buffer_unordered(8)
        .collect()
        .await;
    for s in synced {
        let s = s?;
        if s["complete"] != Value::Bool(true) {
            bail!("setup sync of a related client did not complete: {s}");
        }
    }
    let input = harness::company(name, &format!("main@{label}.bench.test"));
    let main = api.create_client(&input).await?;
    for r in &related {
        api.associate(&main, r, &kind).await?;
    }
    Ok((main, input))
}

fn writes_in(outcome: &Value) -> u64 {
    outcome["plan"]["writes"].as_u64().unwrap_or(0)
}

/// What one measured sync did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Measured {
    pub calls: Calls,
    pub planned_writes: u64,
    pub complete: bool,
    pub needs_decision: bool,
    pub wall_ms: f64,
    /// Calls sent before the first relationship write (they depend on each other).
    pub sequential_calls: usize,
    pub relationship_writes: usize,
}

async fn measured_sync(
    sim: &RunningSim,
    api: &Api,
    tenant: uuid::Uuid,
    client: &str,
    body: &Value,
) -> anyhow::Result<Measured> {
    let mark = harness::journal_mark(sim);
    let started = Instant::now();
    let outcome = api.sync(client, body).await?;
    let wall = started.elapsed();
    let calls = harness::xpm_calls(sim, mark, tenant);
    let t = tenant.to_string();
    let mut sequential = 0;
    let mut relationships = 0;
    let mut entries: Vec<_> = sim
        .control()
        .journal_all()
        .into_iter()
        .filter(|e| {
            e.id > mark && e.path.contains("/practicemanager/") && e.tenant.as_deref() == Some(&t)
        })
        .collect();
    entries.sort_by_key(|e| e.id);
    for e in &entries {
        if e.path.contains("relationship") {
            relationships += 1;
        } else if relationships == 0 {
            sequential += 1;
        }
    }
    Ok(Measured {
        calls,
        planned_writes: writes_in(&outcome),
        complete: outcome["complete"] == Value::Bool(true),
        needs_decision: outcome["plan"]["needsDecision"] == Value::Bool(true),
        wall_ms: wall.as_secs_f64() * 1000.0,
        sequential_calls: sequential,
        relationship_writes: relationships,
    })
}

/// Scenario 1: XPM calls per sync, against the naive push-everything strategy.
pub async fn calls_per_sync(opts: &CostOptions) -> anyhow::Result<Section> {
    let rig = rig(opts.sizes.len()).await?;
    let result = calls_inner(&rig, opts).await;
    rig.setup.stop().await;
    rig.paced.stop().await;
    rig.sim.stop().await;
    rig.store.drop_store().await;
    result
}

async fn calls_inner(rig: &Rig, opts: &CostOptions) -> anyhow::Result<Section> {
    let mut section = Section::new(
        "1. XPM calls per sync",
        &[
            "associations",
            "sync",
            "reads",
            "writes",
            "naive writes",
            "target writes",
            "met",
        ],
    );
    let mut data = Vec::new();
    for (i, &n) in opts.sizes.iter().enumerate() {
        let p = &rig.practices[i];
        let api = Api::new(&rig.setup.url, &p.token);
        let (main, mut input) =
            client_with_associations(&api, &format!("c{n}"), &format!("Calls Main {n}"), n).await?;
        let first = measured_sync(&rig.sim, &api, p.tenant, &main, &json!({})).await?;
        let unchanged = measured_sync(&rig.sim, &api, p.tenant, &main, &json!({})).await?;
        input["email"] = json!(format!("changed-{n}@bench.test"));
        api.update_client(&main, &input).await?;
        let changed = measured_sync(&rig.sim, &api, p.tenant, &main, &json!({})).await?;
        let naive = 1 + n;
        for (label, m, target) in [
            ("first", &first, 1 + n),
            ("unchanged re-sync", &unchanged, 0),
            ("one field changed", &changed, 1),
        ] {
            if !m.complete {
                bail!("the {label} sync with {n} associations did not complete");
            }
            section.row(vec![
                n.to_string(),
                label.to_owned(),
                m.calls.reads.to_string(),
                m.calls.writes.to_string(),
                naive.to_string(),
                target.to_string(),
                if m.calls.writes == target {
                    "yes".into()
                } else {
                    "NO".into()
                },
            ]);
            data.push(json!({
                "associations": n, "sync": label, "reads": m.calls.reads,
                "writes": m.calls.writes, "too_many_requests": m.calls.too_many,
                "naive_writes": naive, "naive_reads": 0, "target_writes": target,
            }));
        }
    }
    section.note(
        "Counted from the sim's journal (XPM API calls of that organisation only; identity and \
         /connections calls excluded). Each related client was created and first-synced before \
         the measured client, every association is of a type mapped to Director. The naive \
         strategy (push everything every time: one client write and one write per mapped \
         association, no reads) is computed in the same run from the same client: 1 + n writes \
         on every sync.",
    );
    section.data = json!(data);
    Ok(section)
}

/// The lower bound XPM's own limits set for `calls` calls of `latency`
/// each: 5 in flight, 60 per rolling minute (the sim's window is fresh).
pub fn xpm_bound(calls: usize, latency: Duration) -> (Duration, &'static str) {
    let waves = |c: usize| latency * u32::try_from(c.div_ceil(5)).unwrap_or(u32::MAX);
    if calls <= 60 {
        (waves(calls), "5 in flight")
    } else {
        let full_minutes = (calls - 1) / 60;
        let rest = calls - full_minutes * 60;
        (
            Duration::from_secs(60 * full_minutes as u64) + waves(rest),
            "60 per minute",
        )
    }
}

/// The same bound, honouring the order a sync must keep: the calls before
/// the relationship writes depend on each other (search, add), then the
/// relationship writes go 5 at a time.
pub fn ordered_bound(m: &Measured, latency: Duration) -> Duration {
    let seq = latency * u32::try_from(m.sequential_calls).unwrap_or(u32::MAX);
    let (rel, _) = xpm_bound(m.relationship_writes, latency);
    let (all, _) = xpm_bound(m.calls.total(), latency);
    (seq + rel).max(all)
}

/// The bound the adapter's shipped pacing sets: 60 calls in any rolling
/// minute, counted from each call's answer. The first 60 calls are not held
/// back; each further batch of 60 starts a minute after the batch before.
pub fn pacing_bound(m: &Measured, latency: Duration) -> Duration {
    let limit = Resilience::default().calls_per_minute as usize;
    let calls = m.calls.total();
    let batches_held = u32::try_from(calls.saturating_sub(1) / limit).unwrap_or(u32::MAX);
    let paced = if batches_held > 0 {
        (Duration::from_secs(60) + latency) * batches_held
    } else {
        Duration::ZERO
    };
    paced.max(ordered_bound(m, latency))
}

/// Scenario 2: sync wall time under XPM latency, with XPM's limits on.
pub async fn latency(opts: &CostOptions) -> anyhow::Result<Section> {
    let rig = rig(opts.latency_sizes.len() + 1).await?;
    let result = latency_inner(&rig, opts).await;
    rig.setup.stop().await;
    rig.paced.stop().await;
    rig.sim.stop().await;
    rig.store.drop_store().await;
    result
}

async fn timed(
    rig: &Rig,
    p: &PracticeLogin,
    latency: Duration,
    client: &str,
    body: &Value,
) -> anyhow::Result<Measured> {
    let ctl = rig.sim.control();
    ctl.set_limits(LimitsConfig::default());
    let fault = ctl.add_fault(FaultSpec {
        method: None,
        path: Some("/practicemanager/*".into()),
        tenant: Some(p.tenant.to_string()),
        action: FaultAction::Latency {
            ms: u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
        },
        times: None,
    });
    let api = Api::new(&rig.paced.url, &p.token);
    let m = measured_sync(&rig.sim, &api, p.tenant, client, body).await;
    let _ = ctl.remove_fault(fault);
    ctl.set_limits(harness::no_limits());
    m
}

async fn latency_inner(rig: &Rig, opts: &CostOptions) -> anyhow::Result<Section> {
    let latency = Duration::from_millis(opts.latency_ms);
    let mut section = Section::new(
        &format!(
            "2. Sync wall time with {} ms XPM latency (sim limits on: 5 in flight, 60/min)",
            opts.latency_ms
        ),
        &[
            "case",
            "XPM calls (r+w)",
            "429s",
            "measured",
            "XPM-limit bound",
            "bound applies",
            "ordered bound",
            "adapter pacing bound",
            "measured / XPM bound",
            "measured / pacing bound",
        ],
    );
    let mut data = Vec::new();
    let mut row = |label: String, m: &Measured| {
        let (bound, which) = xpm_bound(m.calls.total(), latency);
        let ordered = ordered_bound(m, latency);
        let paced = pacing_bound(m, latency);
        let wall = Duration::from_secs_f64(m.wall_ms / 1000.0);
        let ratio = |b: Duration| {
            if b.is_zero() {
                "-".to_owned()
            } else {
                format!("{:.2}x", wall.as_secs_f64() / b.as_secs_f64())
            }
        };
        section.row(vec![
            label.clone(),
            format!("{} ({}+{})", m.calls.total(), m.calls.reads, m.calls.writes),
            m.calls.too_many.to_string(),
            ms(wall),
            ms(bound),
            which.to_owned(),
            ms(ordered),
            ms(paced),
            ratio(bound),
            ratio(paced),
        ]);
        data.push(json!({
            "case": label, "measured": m, "xpm_bound_ms": bound.as_secs_f64() * 1000.0,
            "bound_applies": which, "ordered_bound_ms": ordered.as_secs_f64() * 1000.0,
            "pacing_bound_ms": paced.as_secs_f64() * 1000.0,
        }));
    };
    for (i, &n) in opts.latency_sizes.iter().enumerate() {
        let p = &rig.practices[i];
        let api = Api::new(&rig.setup.url, &p.token);
        let (main, _) =
            client_with_associations(&api, &format!("l{n}"), &format!("Latency Main {n}"), n)
                .await?;
        let m = timed(rig, p, latency, &main, &json!({})).await?;
        if !m.complete {
            bail!("the timed first sync with {n} associations did not complete");
        }
        row(format!("first sync, {n} associations"), &m);
    }
    // A first sync where XPM already holds look-alikes: the search finds
    // them, the person chooses "create new", the second press writes.
    let p = &rig.practices[opts.latency_sizes.len()];
    let api = Api::new(&rig.setup.url, &p.token);
    let name = "Lookalike Holdings";
    let (main, _) =
        client_with_associations(&api, "la", name, opts.look_alike_associations).await?;
    for k in 0..opts.look_alikes {
        rig.sim
            .control()
            .add_client(
                p.tenant,
                &json!({"Name": name, "Email": format!("other{k}@lookalike.test")}),
            )
            .map_err(|e| anyhow::anyhow!("{e:?}"))
            .context("adding a look-alike")?;
    }
    let ask = timed(rig, p, latency, &main, &json!({})).await?;
    if !ask.needs_decision {
        bail!("the first press with look-alikes in XPM did not ask for a decision");
    }
    row(
        format!(
            "look-alikes: 1st press ({} look-alikes in XPM; asks)",
            opts.look_alikes
        ),
        &ask,
    );
    let create = timed(rig, p, latency, &main, &json!({"decision": "createNew"})).await?;
    if !create.complete {
        bail!("the create-new press did not complete");
    }
    row(
        format!(
            "look-alikes: 2nd press, create new, {} associations",
            opts.look_alike_associations
        ),
        &create,
    );
    section.note(format!(
        "Sync pressed through the HTTP API of an in-process app whose adapter has the shipped \
         pacing (60 calls in any rolling minute, 5 in flight); the sim adds {} ms to every XPM \
         call of that organisation (latency fault) and enforces XPM's limits on its real clock. \
         XPM-limit bound = ceil(calls/5) x latency up to 60 calls, the per-minute budget beyond. \
         Ordered bound = the calls before the relationship writes one after another (they \
         depend on each other), then the relationship writes 5 at a time. Adapter pacing bound = \
         no wait for the first 60 calls, then a minute after each batch of 60's answers, \
         whichever is larger.",
        opts.latency_ms
    ));
    section.data = json!(data);
    Ok(section)
}
