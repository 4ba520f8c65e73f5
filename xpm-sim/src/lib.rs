//! xpm-sim: a faithful, stateful fake of Xero Practice Manager API v3.1 and
//! Xero's OAuth 2.0 login, for laptops, QA scripts and tests.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use xpm_sim::{Sim, SimConfig, ConnectRequest, seed::demo};
//! let sim = Sim::start(SimConfig::default()).await?;
//! let tokens = sim.control().connect(&ConnectRequest {
//!     client_id: demo::CLIENT_ID.into(),
//!     user_email: demo::ADMIN_EMAIL.into(),
//!     tenants: vec![],
//!     scopes: vec![],
//! })?;
//! // GET {sim.xpm_base_url()}/client.api/list with
//! // Authorization: Bearer {tokens.access_token} and xero-tenant-id: demo::TENANT_ID
//! # Ok(()) }
//! ```

pub mod api;
pub mod cassette;
pub mod clock;
pub mod control;
pub mod control_client;
pub mod doc;
pub mod faults;
pub mod fields;
pub mod form;
pub mod handle;
pub mod identity;
pub mod ids;
pub mod journal;
pub mod limits;
pub mod persist;
pub mod pipeline;
pub mod practice;
pub mod relationship_types;
pub mod routes;
pub mod seed;
pub mod sim;
pub mod state;
pub mod tokens;
pub mod ui;
pub mod xml;

pub use clock::ClockMode;
pub use control_client::{ControlClient, ControlClientError};
pub use faults::{FaultAction, FaultRule, FaultSpec};
pub use handle::{ConnectRequest, ConnectionView, ControlError, OrgState, OrgSummary, SimHandle};
pub use journal::{JournalEntry, JournalFilter};
pub use limits::LimitsConfig;
pub use seed::{Seed, SeedReport};
pub use sim::{RunningSim, Sim, SimConfig};
pub use tokens::TokenSet;
