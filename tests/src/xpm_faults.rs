//! Fault plays that take several of the sim's fault rules together.

use xpm_sim::{FaultAction, FaultSpec, SimHandle};

/// The next client create is made in XPM but its answer is lost, and the
/// adapter's search for what it made fails: the outcome stays unknown and
/// the create stays pending for the next Sync. The first two searches (the
/// planner's look-alike search and the adapter's search before the add) run.
pub fn lose_the_next_create(ctl: &SimHandle) {
    let search = Some("/practicemanager/3.1/client.api/search*".to_owned());
    ctl.add_fault(FaultSpec {
        method: Some("GET".into()),
        path: search.clone(),
        tenant: None,
        action: FaultAction::Latency { ms: 1 },
        times: Some(2),
    });
    ctl.add_fault(FaultSpec {
        method: Some("POST".into()),
        path: Some("/practicemanager/3.1/client.api/add".into()),
        tenant: None,
        action: FaultAction::CommitThenDrop,
        times: Some(1),
    });
    ctl.add_fault(FaultSpec {
        method: Some("GET".into()),
        path: search,
        tenant: None,
        action: FaultAction::Status {
            status: 503,
            body: None,
            retry_after: None,
        },
        times: Some(3),
    });
}
