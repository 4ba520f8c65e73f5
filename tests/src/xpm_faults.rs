//! Fault plays that take several of the sim's fault rules together.

use xpm_sim::{FaultAction, FaultSpec, SimHandle};

/// The next client create is made in XPM but its answer is lost, and the
/// adapter's search for what it made fails: the outcome stays unknown and
/// the create stays pending for the next Sync. The sync's own look-alike
/// searches before the add (`searches_before`: one per key the client has,
/// `domain::sync::look_alike_queries`) run. Answers the fault rules' ids.
pub fn lose_the_next_create(ctl: &SimHandle, searches_before: usize) -> Vec<u64> {
    let search = Some("/practicemanager/3.1/client.api/search*".to_owned());
    let mut ids = Vec::new();
    if searches_before > 0 {
        ids.push(ctl.add_fault(FaultSpec {
            method: Some("GET".into()),
            path: search.clone(),
            tenant: None,
            action: FaultAction::Latency { ms: 1 },
            times: Some(u32::try_from(searches_before).unwrap_or(u32::MAX)),
        }));
    }
    ids.push(ctl.add_fault(FaultSpec {
        method: Some("POST".into()),
        path: Some("/practicemanager/3.1/client.api/add".into()),
        tenant: None,
        action: FaultAction::CommitThenDrop,
        times: Some(1),
    }));
    ids.push(ctl.add_fault(FaultSpec {
        method: Some("GET".into()),
        path: search,
        tenant: None,
        action: FaultAction::Status {
            status: 503,
            body: None,
            retry_after: None,
        },
        times: Some(3),
    }));
    ids
}
