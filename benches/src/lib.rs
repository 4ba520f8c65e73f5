//! pmhub-xpm's benchmark suite: XPM calls per sync, sync wall time against
//! XPM's limits, app throughput and latency, and xpm-sim's speed against
//! generic mock servers.
//!
//! `cargo run --release -p pmhub-benches -- all` runs everything and writes
//! `target/bench/all.md` and `target/bench/all.json`; the planner's
//! criterion bench is `cargo bench -p pmhub-benches --bench planner`.

use std::path::{Path, PathBuf};

pub mod harness;
pub mod report;
pub mod sim_speed;
pub mod sync_cost;
pub mod throughput;

use report::{Report, Section};

/// The workspace root (for the spec, Prism and `target/bench`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Which scenarios to run, and how big.
#[derive(Debug, Clone)]
pub struct Plan {
    pub calls: Option<sync_cost::CostOptions>,
    pub latency: Option<sync_cost::CostOptions>,
    pub throughput: Option<throughput::ThroughputOptions>,
    pub sim_speed: Option<sim_speed::SimSpeedOptions>,
}

impl Plan {
    /// Every scenario at size 1, in a few seconds, with nothing outside
    /// this process but PostgreSQL (the CI test).
    pub fn tiny() -> Self {
        Self {
            calls: Some(sync_cost::CostOptions::tiny()),
            latency: Some(sync_cost::CostOptions::tiny()),
            throughput: Some(throughput::ThroughputOptions::tiny()),
            sim_speed: Some(sim_speed::SimSpeedOptions::tiny()),
        }
    }
}

/// Runs the plan, printing each section as it completes.
pub async fn run(plan: &Plan, command: String) -> anyhow::Result<Report> {
    let mut report = Report::new(command);
    let mut push = |s: Section| {
        println!("{}", s.markdown());
        report.sections.push(s);
    };
    if let Some(o) = &plan.calls {
        push(sync_cost::calls_per_sync(o).await?);
    }
    if let Some(o) = &plan.latency {
        push(sync_cost::latency(o).await?);
    }
    if let Some(o) = &plan.throughput {
        push(throughput::run(o).await?);
    }
    if let Some(o) = &plan.sim_speed {
        push(sim_speed::run(o, &root()).await?);
    }
    Ok(report)
}
