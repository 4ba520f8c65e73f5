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
//! let acme = sim.control().client(demo::TENANT, demo::ACME)?;
//! // GET {sim.xpm_base_url()}/client.api/list with
//! // Authorization: Bearer {tokens.access_token} and xero-tenant-id: demo::TENANT_ID
//! # Ok(()) }
//! ```
//!
//! # The public surface
//!
//! Every module is private; this list is the API (as wiremock-rs does it):
//!
//! - starting: [`Sim`], [`SimConfig`], [`RunningSim`], [`ClockMode`], [`LimitsConfig`];
//! - controlling: [`SimHandle`] (in process) and [`ControlClient`] (over HTTP, for a sim
//!   in another process) offer the same operations, both generated from one definition
//!   of each; [`ControlError`], [`ControlClientError`], [`ConnectRequest`],
//!   [`ConnectionView`], [`OrgState`], [`OrgSummary`], [`TokenSet`];
//! - faults and the journal: [`FaultSpec`], [`FaultAction`], [`FaultRule`],
//!   [`JournalFilter`], [`JournalEntry`];
//! - what XPM holds, as the control operations answer it: [`Org`], [`Client`],
//!   [`Contact`], [`Relationship`], [`CustomFieldDef`], [`CustomFieldType`], [`Staff`];
//! - ids that cannot be swapped: [`TenantId`], [`ClientUuid`], [`RelationshipUuid`],
//!   [`CustomFieldUuid`] (each converts from and to a [`uuid::Uuid`], shows and
//!   parses as one, and travels in JSON as a plain UUID string). The control
//!   methods take them, and answers such as [`Client::uuid`] and
//!   [`SeedReport::clients`] hold them, so an id can be passed straight back;
//!   the example above compiles, the same call with the two swapped does not:
//!
//! ```compile_fail
//! # fn swapped(sim: &xpm_sim::SimHandle) {
//! use xpm_sim::seed::demo;
//! let _ = sim.client(demo::ACME, demo::TENANT);
//! # }
//! ```
//! - XPM's relationship types as data: [`RELATIONSHIP_TYPES`], [`RelationshipType`],
//!   [`seen_from_related`];
//! - two public namespaces: [`seed`] (the seed format, [`Seed`], [`SeedReport`] and the
//!   demo seed's [`seed::demo`] constants) and [`cassette`] (record, replay and compare
//!   real XPM sessions; the binary's subcommands).
//!
//! # Inside
//!
//! `shared` holds the state behind one lock, the clock and the configuration; it is a
//! leaf importing no route, handler or startup module. Above it: the XPM rules
//! (`practice`), the areas served (`api`, `identity`, `control`, `ui`), the `pipeline`
//! every request passes (auth, limits, faults, journal), `routes`, and startup (`sim`).
//! A test (`tests/sim/module_graph.rs`) reads the sources and checks that no module
//! imports another in a circle.

mod api;
pub mod cassette;
mod clock;
mod config;
mod control;
mod doc;
mod faults;
mod fields;
mod form;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod identity;
mod ids;
mod journal;
mod limits;
mod persist;
mod pipeline;
mod practice;
mod relationship_types;
mod rng;
mod routes;
pub mod seed;
mod shared;
mod sim;
mod state;
mod tokens;
mod ui;
mod xml;

pub use clock::ClockMode;
pub use config::SimConfig;
pub use control::{
    ConnectRequest, ConnectionView, ControlClient, ControlClientError, ControlError, OrgState,
    OrgSummary, SimHandle,
};
pub use faults::{FaultAction, FaultRule, FaultSpec};
pub use ids::{ClientUuid, CustomFieldUuid, NotAUuid, RelationshipUuid, TenantId};
pub use journal::{JournalEntry, JournalFilter};
pub use limits::LimitsConfig;
pub use relationship_types::{RELATIONSHIP_TYPES, RelationshipType, seen_from_related};
pub use seed::{Seed, SeedReport};
pub use sim::{RunningSim, Sim};
pub use state::{Client, Contact, CustomFieldDef, CustomFieldType, Org, Relationship, Staff};
pub use tokens::TokenSet;
