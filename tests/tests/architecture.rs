//! The direction of every dependency between the workspace's crates, as
//! docs/architecture.md draws it: the domain depends on none of them, the
//! adapters on the domain only, the app on both, and xpm-sim on nothing of
//! ours (it fakes XPM as XPM is, not as our code expects). Read from
//! `cargo metadata`, so a new crate or a new dependency is checked too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    Domain,
    /// An adapter to one outside world.
    Adapter,
    /// A crate that exists to test adapters (a contract suite, test databases).
    AdapterTestSupport,
    App,
    Sim,
    /// Workspace tests and benchmarks: they may use anything.
    Harness,
}

struct Package {
    layer: Layer,
    /// Workspace crates it depends on for its normal build (not dev or build deps).
    uses: Vec<String>,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace root")
        .to_path_buf()
}

fn layer_of(name: &str, dir: &Path) -> Layer {
    let first = dir.components().next().and_then(|c| c.as_os_str().to_str());
    match first {
        Some("domain") => Layer::Domain,
        Some("app") => Layer::App,
        Some("xpm-sim") => Layer::Sim,
        Some("adapters") if name.contains("contract") || name.contains("test") => {
            Layer::AdapterTestSupport
        }
        Some("adapters") => Layer::Adapter,
        Some("tests" | "benches") => Layer::Harness,
        other => {
            panic!("crate {name} in {other:?}: add its place to docs/architecture.md and here")
        }
    }
}

fn workspace() -> BTreeMap<String, Package> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = workspace_root();
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--offline",
            "--format-version",
            "1",
        ])
        .current_dir(&root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let packages = meta["packages"].as_array().expect("packages");
    let names: Vec<&str> = packages
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    packages
        .iter()
        .map(|p| {
            let name = p["name"].as_str().expect("name").to_owned();
            let manifest = Path::new(p["manifest_path"].as_str().expect("manifest_path"));
            let dir = manifest
                .parent()
                .and_then(|d| d.strip_prefix(&root).ok())
                .expect("a workspace crate lies under the root");
            let uses = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|d| d["kind"].is_null())
                .filter_map(|d| d["name"].as_str())
                .filter(|d| names.contains(d) && *d != name)
                .map(str::to_owned)
                .collect();
            let layer = layer_of(&name, dir);
            (name, Package { layer, uses })
        })
        .collect()
}

fn may_use(user: Layer, used: Layer, used_name: &str) -> bool {
    match (user, used) {
        (Layer::Domain | Layer::Sim, _) => false,
        (Layer::Adapter, Layer::Domain) => true,
        // The machine's clock and randomness: the one adapter others build on.
        (Layer::Adapter, Layer::Adapter) => used_name == "system-adapter",
        (Layer::Adapter, _) => false,
        (Layer::AdapterTestSupport, Layer::Domain | Layer::Adapter | Layer::AdapterTestSupport) => {
            true
        }
        (Layer::AdapterTestSupport, _) => false,
        // The demo runs xpm-sim in the same process.
        (Layer::App, Layer::Domain | Layer::Adapter | Layer::Sim) => true,
        (Layer::App, _) => false,
        (Layer::Harness, _) => true,
    }
}

#[test]
fn every_dependency_between_our_crates_points_inwards() {
    let crates = workspace();
    assert!(crates.len() >= 6, "cargo metadata listed too few crates");
    let mut wrong = Vec::new();
    for (name, package) in &crates {
        for used in &package.uses {
            let used_layer = crates[used].layer;
            if !may_use(package.layer, used_layer, used) {
                wrong.push(format!(
                    "{name} ({:?}) depends on {used} ({used_layer:?})",
                    package.layer
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "dependencies against docs/architecture.md:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_domain_and_the_sim_depend_on_no_crate_of_ours() {
    let crates = workspace();
    for name in ["domain", "xpm-sim"] {
        assert_eq!(crates[name].uses, Vec::<String>::new(), "{name}");
    }
}

#[test]
fn the_rule_that_checks_directions_refuses_an_adapter_using_the_app() {
    // The check above can fail: an adapter reaching into the app, or the
    // domain into an adapter, is refused.
    assert!(!may_use(Layer::Adapter, Layer::App, "pmhub-xpm"));
    assert!(!may_use(Layer::Domain, Layer::Adapter, "xpm-adapter"));
    assert!(!may_use(Layer::Sim, Layer::Domain, "domain"));
    assert!(!may_use(Layer::Adapter, Layer::Adapter, "xpm-adapter"));
}
