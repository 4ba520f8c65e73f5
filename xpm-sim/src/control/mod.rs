//! Control of a running sim: everything a test, a QA script or a person on
//! the sim's page can do besides calling it like an app would.
//!
//! Each operation is written once in `ops.rs` (an [`op::ControlOp`]: route,
//! parameter, body and answer types, and what it does); `surface.rs` derives
//! from the one list the in-process [`SimHandle`], the `/_sim` routes and
//! the HTTP [`ControlClient`], so they offer the same operations.

mod client;
mod handle;
mod op;
mod ops;
mod routes;
mod surface;
mod views;

pub use client::{ControlClient, ControlClientError};
pub use handle::SimHandle;
pub use op::ControlError;
pub(crate) use surface::router;
pub use views::{ConnectRequest, ConnectionView, OrgState, OrgSummary};
