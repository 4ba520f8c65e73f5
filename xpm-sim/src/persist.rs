//! The optional state file: loaded at start instead of the seed when it
//! exists, written (atomically, via a temporary file) when state changes
//! and on stop. The journal is not kept.

use crate::config::SimConfig;
use crate::shared::Shared;
use crate::state::SimState;
use anyhow::Context;
use std::sync::Arc;
use tokio::task::JoinHandle;

/// A fresh state from the seed.
pub fn seeded_state(config: &SimConfig) -> anyhow::Result<SimState> {
    let mut st = SimState::empty(config.rng_seed, config.limits, config.journal_capacity);
    crate::seed::apply(&mut st, config.start_time, &config.seed)
        .map_err(|e| anyhow::anyhow!("seed: {e}"))?;
    Ok(st)
}

/// The state to start with: the state file if there is one, else the seed.
pub fn initial_state(config: &SimConfig) -> anyhow::Result<SimState> {
    if let Some(path) = &config.state_file
        && path.exists()
    {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut st: SimState =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        st.journal = crate::journal::Journal::new(config.journal_capacity);
        return Ok(st);
    }
    seeded_state(config)
}

/// Writes the state file now (if configured).
pub fn save_now(sh: &Shared) {
    let Some(path) = &sh.config.state_file else {
        return;
    };
    let json = {
        let st = sh.lock();
        serde_json::to_string_pretty(&*st)
    };
    let Ok(json) = json else { return };
    let tmp = path.with_extension("tmp");
    let written = std::fs::write(&tmp, json).and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        tracing::warn!(path = %path.display(), error = %e, "could not save state");
    }
}

/// Saves the state file once a second when something changed.
pub fn spawn_saver(sh: Arc<Shared>) -> Option<JoinHandle<()>> {
    sh.config.state_file.as_ref()?;
    Some(tokio::spawn(async move {
        let mut seen = sh.lock().version;
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            let v = sh.lock().version;
            if v != seen {
                seen = v;
                save_now(&sh);
            }
        }
    }))
}
