//! `pmhub-benches [all|calls|latency|throughput|simspeed] [--tiny]`: runs
//! the end-to-end benchmarks and writes `target/bench/{name}.md` and `.json`.

use std::path::PathBuf;

use anyhow::{Context, bail};
use pmhub_benches::{Plan, root, sim_speed, sync_cost, throughput};

/// The release `pmhub-xpm` binary, built first when run under cargo.
fn app_binary() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("PMHUB_BENCH_APP_BIN") {
        return Ok(PathBuf::from(path));
    }
    if let Ok(cargo) = std::env::var("CARGO") {
        let status = std::process::Command::new(cargo)
            .args([
                "build",
                "--release",
                "-p",
                "pmhub-xpm",
                "--bin",
                "pmhub-xpm",
            ])
            .current_dir(root())
            .status()
            .context("building pmhub-xpm")?;
        if !status.success() {
            bail!("building pmhub-xpm failed");
        }
    }
    let target =
        std::env::var("CARGO_TARGET_DIR").map_or_else(|_| root().join("target"), PathBuf::from);
    let path = target.join("release/pmhub-xpm");
    if !path.exists() {
        bail!(
            "{} is missing: run `cargo build --release -p pmhub-xpm` or set PMHUB_BENCH_APP_BIN",
            path.display()
        );
    }
    Ok(path)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tiny = args.iter().any(|a| a == "--tiny");
    let what = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map_or("all", String::as_str)
        .to_owned();
    let valid = ["all", "calls", "latency", "throughput", "simspeed"];
    if !valid.contains(&what.as_str()) {
        bail!("usage: pmhub-benches [{}] [--tiny]", valid.join("|"));
    }
    let on = |name: &str| what == "all" || what == name;
    let plan = if tiny {
        let t = Plan::tiny();
        Plan {
            calls: t.calls.filter(|_| on("calls")),
            latency: t.latency.filter(|_| on("latency")),
            throughput: t.throughput.filter(|_| on("throughput")),
            sim_speed: t.sim_speed.filter(|_| on("simspeed")),
        }
    } else {
        Plan {
            calls: on("calls").then(sync_cost::CostOptions::full),
            latency: on("latency").then(sync_cost::CostOptions::full),
            throughput: if on("throughput") {
                Some(throughput::ThroughputOptions::full(app_binary()?))
            } else {
                None
            },
            sim_speed: on("simspeed").then(|| sim_speed::SimSpeedOptions::full(&root())),
        }
    };
    let dir = root().join("target/bench");
    std::fs::create_dir_all(&dir)?;
    let report = pmhub_benches::run(
        &plan,
        format!("cargo run --release -p pmhub-benches -- {}", args.join(" ")),
    )
    .await?;
    let name = if tiny { format!("{what}-tiny") } else { what };
    report.write(&dir, &name)?;
    println!("wrote {}/{name}.md and {name}.json", dir.display());
    Ok(())
}
