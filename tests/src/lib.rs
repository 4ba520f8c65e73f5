//! Workspace-level tests live in `tests/tests/`: the rule properties
//! (`rules.rs`) and the wire snapshots (`snapshots.rs`), driven through the
//! app's real use cases and adapters against xpm-sim in process. This library
//! holds what those tests share: fresh databases, the sim's clock as the
//! app's clock, counting ids, the walk through Xero's login pages, and
//! [`Rig`], one practice wired to one sim.

pub mod canonical;
pub mod databases;
pub mod http_rig;
pub mod login;
pub mod redact;
pub mod rig;
pub mod sim_time;

pub use databases::{FreshPostgres, FreshSqlite};
pub use http_rig::HttpRig;
pub use redact::Redactor;
pub use rig::{Rig, RigApp};
pub use sim_time::{CountingIds, SimClock};
