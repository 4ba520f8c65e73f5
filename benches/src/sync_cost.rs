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

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::StreamExt;
use serde_json::{Value, json};
use sql_store::TokenKey;
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

/// `n` companies created and first-synced to XPM, and a type mapped to
/// Director to associate them with.
struct RelatedClients {
    kind: String,
    ids: Vec<String>,
    /// Their XPM copies, from their sync answers (same order as `ids`).
    xpm: Vec<uuid::Uuid>,
}

async fn related_clients(api: &Api, label: &str, n: usize) -> anyhow::Result<RelatedClients> {
    let kind = api
        .mapped_type(&format!("Director ({label})"), "Director")
        .await?;
    let mut ids = Vec::new();
    for j in 0..n {
        ids.push(
            api.create_client(&harness::company(
                &format!("Related {label} {j}"),
                &format!("r{j}@{label}.bench.test"),
            ))
            .await?,
        );
    }
    let empty = json!({});
    // `buffered` keeps the order, so each answer is its client's.
    let synced: Vec<anyhow::Result<Value>> = futures::stream::iter(ids.iter())
        .map(|id| api.sync(id, &empty))
        .buffered(8)
        .collect()
        .await;
    let mut xpm = Vec::new();
    for s in synced {
        let s = s?;
        if s["status"] != "complete" {
            bail!("setup sync of a related client did not complete: {s}");
        }
        xpm.push(
            s["xpmClientUuid"]
                .as_str()
                .and_then(|u| u.parse().ok())
                .with_context(|| format!("a related client's sync answer has no XPM uuid: {s}"))?,
        );
    }
    Ok(RelatedClients { kind, ids, xpm })
}

/// A company client associated (Director) with each of `related`. Answers
/// its id and the input it was created with.
async fn associated_client(
    api: &Api,
    related: &RelatedClients,
    name: &str,
    email: &str,
) -> anyhow::Result<(String, Value)> {
    let input = harness::company(name, email);
    let main = api.create_client(&input).await?;
    for r in &related.ids {
        api.associate(&main, r, &related.kind).await?;
    }
    Ok((main, input))
}

/// A client with `n` associations (mapped to Director) to companies already
/// synced to XPM. Answers the client's id and the input it was created with.
async fn client_with_associations(
    api: &Api,
    label: &str,
    name: &str,
    n: usize,
) -> anyhow::Result<(String, Value)> {
    let related = related_clients(api, label, n).await?;
    associated_client(api, &related, name, &format!("main@{label}.bench.test")).await
}

fn writes_in(outcome: &Value) -> u64 {
    outcome["plan"]["writes"].as_u64().unwrap_or(0)
}

/// What one measured sync did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Measured {
    pub calls: Calls,
    /// XPM calls by operation (`search`, `get`, `add`, `update`,
    /// `addrelationship`, ...), from the sim's journal, in the order each
    /// was first sent.
    pub by_operation: Vec<(String, usize)>,
    pub planned_writes: u64,
    /// The answer's `status`: `complete`, `incomplete`, `needs_decision`
    /// or `gone_from_xpm`.
    pub status: String,
    pub complete: bool,
    pub needs_decision: bool,
    pub wall_ms: f64,
    /// Round trips that must follow one another before the relationship
    /// writes: the look-alike searches (independent of each other: one
    /// round however many), then each other call (the add or the get needs
    /// the answer before it).
    pub sequential_calls: usize,
    pub relationship_writes: usize,
    /// The XPM client the sync answered it is linked to.
    pub xpm_client: Option<String>,
    #[serde(skip)]
    pub outcome: Value,
}

/// `client.api/search?query=..` -> `search`, `client.api/get/{uuid}` -> `get`;
/// another API than client.api keeps its name (`staff.api/list`).
fn operation(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let Some((before, after)) = path.split_once(".api/") else {
        return path.to_owned();
    };
    let api = before.rsplit('/').next().unwrap_or(before);
    let op = after.split('/').next().unwrap_or(after);
    if api == "client" {
        op.to_owned()
    } else {
        format!("{api}.api/{op}")
    }
}

async fn measured_sync(
    sim: &RunningSim,
    api: &Api,
    tenant: xpm_sim::TenantId,
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
    let mut searched = false;
    let mut relationships = 0;
    let mut by_operation: Vec<(String, usize)> = Vec::new();
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
        if e.status != Some(429) {
            let op = operation(&e.path);
            match by_operation.iter_mut().find(|(o, _)| *o == op) {
                Some((_, k)) => *k += 1,
                None => by_operation.push((op, 1)),
            }
        }
        if e.path.contains("relationship") {
            relationships += 1;
        } else if relationships == 0 && operation(&e.path) == "search" {
            searched = true;
        } else if relationships == 0 {
            sequential += 1;
        }
    }
    Ok(Measured {
        calls,
        by_operation,
        planned_writes: writes_in(&outcome),
        status: outcome["status"].as_str().unwrap_or("").to_owned(),
        complete: outcome["complete"] == Value::Bool(true),
        needs_decision: outcome["plan"]["needsDecision"] == Value::Bool(true),
        wall_ms: wall.as_secs_f64() * 1000.0,
        sequential_calls: sequential + usize::from(searched),
        relationship_writes: relationships,
        xpm_client: outcome["xpmClientUuid"].as_str().map(str::to_owned),
        outcome,
    })
}

impl Measured {
    /// "2 search, 1 add, 10 addrelationship".
    fn operations(&self) -> String {
        if self.by_operation.is_empty() {
            return "none".into();
        }
        self.by_operation
            .iter()
            .map(|(op, k)| format!("{k} {op}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Fails loudly unless the sync answered `complete`.
    fn completed(&self, what: &str) -> anyhow::Result<()> {
        if self.status != "complete" || !self.complete {
            bail!(
                "{what}: the sync did not complete (status {:?}): {}",
                self.status,
                self.outcome
            );
        }
        Ok(())
    }

    fn xpm_uuid(&self, what: &str) -> anyhow::Result<xpm_sim::ClientUuid> {
        self.xpm_client
            .as_deref()
            .and_then(|u| u.parse().ok())
            .with_context(|| format!("{what}: the sync answer names no XPM client"))
    }
}

/// Scenario 1: XPM calls per sync, against the minimum work and the naive
/// push-everything strategy.
pub async fn calls_per_sync(opts: &CostOptions) -> anyhow::Result<Section> {
    let rig = rig(opts.sizes.len()).await?;
    let result = calls_inner(&rig, opts).await;
    rig.setup.stop().await;
    rig.paced.stop().await;
    rig.sim.stop().await;
    rig.store.drop_store().await;
    result
}

/// The keys a first sync must search XPM by, one search each (XPM's
/// search takes one query): the client's name, and each of its email,
/// business number, company number and client code, and an individual's
/// last name when it has a date of birth, repeated values once. Read from
/// the API input the client was created with.
fn look_alike_keys(input: &Value) -> usize {
    let text = |k: &str| {
        input[k]
            .as_str()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_lowercase)
    };
    let mut keys: Vec<String> = Vec::new();
    let person_last = (input["kind"] == "individual" && text("dateOfBirth").is_some())
        .then(|| text("lastName"))
        .flatten();
    for key in [
        text("name"),
        text("email"),
        text("businessNumber"),
        text("companyNumber"),
        text("clientCode"),
        person_last,
    ]
    .into_iter()
    .flatten()
    {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys.len()
}

/// The XPM text of every field a sync owns for the bench's company input
/// (`harness::company`): the others are empty in PM Hub.
fn company_in_xpm(input: &Value) -> BTreeMap<&'static str, String> {
    let mut fields = BTreeMap::new();
    fields.insert("Name", input["name"].as_str().unwrap_or("").to_owned());
    if let Some(email) = input["email"].as_str() {
        fields.insert("Email", email.to_owned());
    }
    fields.insert("BusinessStructure", "Company".to_owned());
    fields.insert("IsProspect", "No".to_owned());
    fields
}

fn blank(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// Owned fields whose value in XPM's `client` differs from PM Hub's
/// (`company_in_xpm`): blank and missing are the same, emails and Yes/No
/// compared without case.
fn owned_fields_differing(input: &Value, client: &xpm_sim::Client) -> Vec<&'static str> {
    let ours = company_in_xpm(input);
    domain::sync::OwnedField::ALL
        .iter()
        .map(|f| f.xpm_name())
        .filter(|name| {
            match (
                blank(ours.get(name).map(String::as_str)),
                blank(client.field(name)),
            ) {
                (None, None) => false,
                (Some(a), Some(b)) => !a.eq_ignore_ascii_case(b),
                _ => true,
            }
        })
        .collect()
}

/// The sim's relationships touching `client`, failing loudly on two
/// between the same pair of clients (the bench only makes Director ones,
/// so a second one between a pair is a duplicate).
fn relationships_of(
    sim: &RunningSim,
    tenant: xpm_sim::TenantId,
    client: xpm_sim::ClientUuid,
) -> anyhow::Result<Vec<uuid::Uuid>> {
    let org = sim
        .control()
        .org_state(tenant)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .org;
    let mut pairs = std::collections::BTreeSet::new();
    for r in org.relationships.values() {
        let pair = (r.client.min(r.related), r.client.max(r.related));
        if !pairs.insert(pair) {
            bail!(
                "the sim holds a duplicate relationship between {} and {} ({})",
                pair.0,
                pair.1,
                r.kind
            );
        }
    }
    Ok(org
        .relationships
        .values()
        .filter(|r| r.client == *client.as_uuid() || r.related == *client.as_uuid())
        .map(|r| {
            if r.client == *client.as_uuid() {
                r.related
            } else {
                r.client
            }
        })
        .collect())
}

/// Fails loudly unless XPM's `client` has exactly the relationships `expected`.
fn relationships_are(
    sim: &RunningSim,
    tenant: xpm_sim::TenantId,
    client: xpm_sim::ClientUuid,
    expected: &[uuid::Uuid],
    what: &str,
) -> anyhow::Result<()> {
    let mut seen = relationships_of(sim, tenant, client)?;
    seen.sort();
    let mut want = expected.to_vec();
    want.sort();
    if seen != want {
        bail!(
            "{what}: XPM client {client} has {} relationships, expected {}",
            seen.len(),
            want.len()
        );
    }
    Ok(())
}

fn sim_client(
    sim: &RunningSim,
    tenant: xpm_sim::TenantId,
    uuid: xpm_sim::ClientUuid,
) -> anyhow::Result<xpm_sim::Client> {
    sim.control()
        .client(tenant, uuid)
        .map_err(|e| anyhow::anyhow!("{e:?}"))
}

/// Fails loudly unless XPM's copy holds PM Hub's value of every owned field.
fn converged(
    sim: &RunningSim,
    tenant: xpm_sim::TenantId,
    uuid: xpm_sim::ClientUuid,
    input: &Value,
    what: &str,
) -> anyhow::Result<()> {
    let differing = owned_fields_differing(input, &sim_client(sim, tenant, uuid)?);
    if !differing.is_empty() {
        bail!("{what}: XPM still differs from PM Hub in {differing:?}");
    }
    Ok(())
}

/// One row of scenario 1: a measured sync against its minimum.
struct CostRow<'a> {
    n: usize,
    case: &'static str,
    press: &'static str,
    m: &'a Measured,
    min_reads: usize,
    min_writes: usize,
}

async fn calls_inner(rig: &Rig, opts: &CostOptions) -> anyhow::Result<Section> {
    let mut section = Section::new(
        "1. XPM calls per sync",
        &[
            "associations",
            "case",
            "press",
            "reads",
            "writes",
            "XPM calls",
            "minimum reads",
            "minimum writes",
            "met",
            "naive writes",
        ],
    );
    let mut data = Vec::new();
    let mut row = |r: CostRow<'_>| {
        let (reads, writes) = (r.m.calls.reads, r.m.calls.writes);
        let met = if reads == r.min_reads && writes == r.min_writes {
            "met"
        } else if reads > r.min_reads || writes > r.min_writes {
            "NO"
        } else {
            "NO (below the minimum)"
        };
        let naive = 1 + r.n;
        section.row(vec![
            r.n.to_string(),
            r.case.to_owned(),
            r.press.to_owned(),
            reads.to_string(),
            writes.to_string(),
            r.m.operations(),
            r.min_reads.to_string(),
            r.min_writes.to_string(),
            met.to_owned(),
            naive.to_string(),
        ]);
        data.push(json!({
            "associations": r.n, "case": r.case, "press": r.press,
            "reads": reads, "writes": writes, "too_many_requests": r.m.calls.too_many,
            "by_operation": r.m.by_operation, "status": r.m.status,
            "minimum_reads": r.min_reads, "minimum_writes": r.min_writes, "met": met == "met",
            "naive_reads": 0, "naive_writes": naive,
        }));
    };
    for (i, &n) in opts.sizes.iter().enumerate() {
        let p = &rig.practices[i];
        let t = p.tenant;
        let sim = &rig.sim;
        let api = Api::new(&rig.setup.url, &p.token);
        let label = format!("c{n}");
        let related = related_clients(&api, &label, n).await?;

        // 1. First sync, nothing like the client in XPM: it is created.
        let (main, mut input) = associated_client(
            &api,
            &related,
            &format!("Create Main {n}"),
            &format!("create@{label}.bench.test"),
        )
        .await?;
        let keys = look_alike_keys(&input);
        let first = measured_sync(sim, &api, t, &main, &json!({})).await?;
        first.completed(&format!("first sync creating, {n} associations"))?;
        let created = first.xpm_uuid("first sync creating")?;
        relationships_are(sim, t, created, &related.xpm, "after the creating sync")?;
        converged(sim, t, created, &input, "after the creating sync")?;

        // 2. First sync, XPM already holds the client with its k = n
        // relationships (same name, same owned values, same terms):
        // the first press asks, the second links.
        let (linked, link_input) = associated_client(
            &api,
            &related,
            &format!("Link Main {n}"),
            &format!("link@{label}.bench.test"),
        )
        .await?;
        let mut seed_fields = serde_json::Map::new();
        for (k, v) in company_in_xpm(&link_input) {
            seed_fields.insert(k.to_owned(), json!(v));
        }
        let seeded = sim
            .control()
            .add_client(t, &Value::Object(seed_fields))
            .map_err(|e| anyhow::anyhow!("{e:?}"))
            .context("seeding the XPM client to link to")?
            .uuid;
        for r in &related.xpm {
            sim.control()
                .add_relationship(
                    t,
                    &json!({
                        "ClientUUID": seeded.to_string(),
                        "RelatedClientUUID": r.to_string(),
                        "Type": "Director",
                    }),
                )
                .map_err(|e| anyhow::anyhow!("{e:?}"))
                .context("seeding a relationship in XPM")?;
        }
        relationships_are(sim, t, seeded, &related.xpm, "the seeded XPM client")?;
        let ask = measured_sync(sim, &api, t, &linked, &json!({})).await?;
        if ask.status != "needs_decision" || !ask.needs_decision {
            bail!(
                "link, {n} associations: the first press did not ask (status {:?}): {}",
                ask.status,
                ask.outcome
            );
        }
        let offered = ask.outcome["plan"]["lookAlikes"]
            .as_array()
            .is_some_and(|l| l.iter().any(|l| l["xpmClientUuid"] == seeded.to_string()));
        if !offered {
            bail!("link, {n} associations: the seeded client is not among the look-alikes");
        }
        let differs_before =
            !owned_fields_differing(&link_input, &sim_client(sim, t, seeded)?).is_empty();
        let link = measured_sync(
            sim,
            &api,
            t,
            &linked,
            &json!({"decision": {"linkTo": seeded.to_string()}}),
        )
        .await?;
        link.completed(&format!("link, {n} associations, second press"))?;
        if link.xpm_uuid("link")? != seeded {
            bail!(
                "link, {n} associations: linked to {:?}, not the seeded client",
                link.xpm_client
            );
        }
        relationships_are(sim, t, seeded, &related.xpm, "after the link (still k)")?;
        converged(sim, t, seeded, &link_input, "after the link")?;

        // 3. Unchanged re-sync.
        let unchanged = measured_sync(sim, &api, t, &main, &json!({})).await?;
        unchanged.completed(&format!("unchanged re-sync, {n} associations"))?;

        // 4. One field (the email) changed in PM Hub.
        input["email"] = json!(format!("changed-{n}@bench.test"));
        api.update_client(&main, &input).await?;
        let changed = measured_sync(sim, &api, t, &main, &json!({})).await?;
        changed.completed(&format!("one field changed, {n} associations"))?;
        converged(sim, t, created, &input, "after the changed field")?;

        // 5. Drift: a person changes the email directly in XPM.
        sim.control()
            .edit_client(
                t,
                created,
                &json!({"Email": format!("drifted-{n}@xpm.test")}),
            )
            .map_err(|e| anyhow::anyhow!("{e:?}"))
            .context("editing the client in XPM")?;
        let drift = measured_sync(sim, &api, t, &main, &json!({})).await?;
        drift.completed(&format!("drift corrected, {n} associations"))?;
        converged(sim, t, created, &input, "after the drift sync")?;
        relationships_are(sim, t, created, &related.xpm, "after the re-syncs")?;

        let link_writes = usize::from(differs_before);
        let link_keys = look_alike_keys(&link_input);
        for r in [
            CostRow {
                n,
                case: "first sync, creates",
                press: "1",
                m: &first,
                min_reads: keys,
                min_writes: 1 + n,
            },
            CostRow {
                n,
                case: "first sync, links (k = n in XPM)",
                press: "1 (asks)",
                m: &ask,
                min_reads: link_keys,
                min_writes: 0,
            },
            CostRow {
                n,
                case: "first sync, links (k = n in XPM)",
                press: "2 (link to it)",
                m: &link,
                min_reads: 1,
                min_writes: link_writes,
            },
            CostRow {
                n,
                case: "unchanged re-sync",
                press: "1",
                m: &unchanged,
                min_reads: 1,
                min_writes: 0,
            },
            CostRow {
                n,
                case: "one field changed",
                press: "1",
                m: &changed,
                min_reads: 1,
                min_writes: 1,
            },
            CostRow {
                n,
                case: "drift corrected",
                press: "1",
                m: &drift,
                min_reads: 1,
                min_writes: 1,
            },
        ] {
            row(r);
        }
    }
    section.note(
        "Counted from the sim's journal: XPM API calls (`/practicemanager/...`) of the client's \
         organisation only (identity and /connections calls excluded); reads are GETs (search, \
         get), writes the rest. Pressed through `POST /api/clients/{id}/sync` of an in-process \
         app on SQLite. Each related client is a company created and first-synced before the \
         measured clients, and every association is of a type mapped to Director, without \
         terms. The measured clients are companies with a name and an email, so they have 2 \
         look-alike keys. Every sync is checked in the sim: it answered `complete` (the first \
         link press `needs_decision`, with the seeded client among the look-alikes), XPM's copy \
         holds PM Hub's value of every owned field, the copy has exactly its n relationships \
         and the organisation no two relationships between the same clients.",
    );
    section.note(
        "The minimum is what any client must do to make XPM match PM Hub, not what this one \
         does: **creating** = one search per look-alike key the client holds (XPM's search \
         takes one query, and a key not searched may hide a duplicate) + 1 add + 1 relationship \
         add per association (XPM adds one relationship per call). **Linking, first press** = \
         the same searches, 0 writes (a person must choose before anything is written). \
         **Linking, second press** = 1 get of the chosen client (its fields and relationships \
         must be read to know what to write) + 1 update if an owned field differs from PM Hub's \
         (computed here from the sim's copy before the press; the seed holds PM Hub's values, \
         so 0) + 0 relationship writes (XPM holds all k = n with PM Hub's terms). **Unchanged \
         re-sync** = 1 get (XPM may have been edited since; only a read tells), 0 writes. \
         **One field changed** and **drift corrected** (the email edited in XPM by a person, \
         `edit_client` of the sim) = 1 get + 1 update. met = reads and writes both equal the \
         minimum.",
    );
    section.note(
        "The naive strategy (push everything on every sync: one client write and one write \
         per mapped association, no reads) is computed from the same clients: 1 + n writes on \
         every sync. It never searches, so on the link case it creates a second copy of the \
         client, and it never reads, so it does not see drift except by overwriting blindly.",
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

/// The same bound, honouring the order a sync must keep: the searches
/// together, then each call before the relationship writes after the one
/// before it (the add needs the search's answer), then the relationship
/// writes 5 at a time.
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
        m.completed(&format!("the timed first sync with {n} associations"))?;
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
    if ask.status != "needs_decision" || !ask.needs_decision {
        bail!(
            "the first press with look-alikes in XPM did not ask for a decision (status {:?})",
            ask.status
        );
    }
    row(
        format!(
            "look-alikes: 1st press ({} look-alikes in XPM; asks)",
            opts.look_alikes
        ),
        &ask,
    );
    let create = timed(rig, p, latency, &main, &json!({"decision": "createNew"})).await?;
    create.completed("the create-new press")?;
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
         Ordered bound = the look-alike searches together (one round trip), the other calls \
         before the relationship writes one after another (each needs the answer before it), \
         then the relationship writes 5 at a time. Adapter pacing bound = \
         no wait for the first 60 calls, then a minute after each batch of 60's answers, \
         whichever is larger.",
        opts.latency_ms
    ));
    section.data = json!(data);
    Ok(section)
}
