//! pmhub-xpm's domain: the entities, the connection state machine, the sync
//! planner, the ports and the use cases over them.
//!
//! This crate does no I/O and knows nothing of HTTP, SQL, XML or async
//! runtimes. Every rule of PM Hub's FAQ that the integration must keep is
//! enforced here; docs/rules.md maps each rule to its code and tests.

pub mod activity;
pub mod association;
pub mod client;
pub mod connection;
pub mod custom_field;
pub mod ids;
pub mod ports;
pub mod practice;
pub mod relationship_type;
pub mod settings;
pub mod sync;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod text;
pub mod usecases;
