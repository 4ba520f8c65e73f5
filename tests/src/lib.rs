//! The rule verification suite (issue 7) lives in `tests/tests/`: the rule
//! properties (`rules/`, a state machine over random step sequences) and the
//! wire snapshots (`wire.rs`, insta), driven through the app's real use cases
//! and adapters against xpm-sim in process, on SQLite and Postgres. This
//! library holds what they share: fresh databases, the sim's clock as the
//! app's clock, counting ids, the walk through Xero's login pages, the
//! canonical clients, a redactor for random ids and times, [`Rig`] (one
//! practice's use cases wired to one sim) and [`HttpRig`] (the real app's
//! router and API token).
//!
//! Run it: `cargo nextest run -p rule-tests` (24 sequences per store);
//! long run: `PROPTEST_CASES=1000 cargo nextest run -p rule-tests`, with
//! `PROPTEST_RNG_SEED=<n>` for sequences other than the default ones.

pub mod canonical;
pub mod databases;
pub mod http_rig;
pub mod login;
pub mod redact;
pub mod rig;
pub mod sim_time;
pub mod xpm_faults;

pub use databases::{FreshPostgres, FreshSqlite};
pub use http_rig::HttpRig;
pub use redact::Redactor;
pub use rig::{Rig, RigApp};
pub use sim_time::{CountingIds, SimClock};
