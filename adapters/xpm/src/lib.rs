//! The XPM adapter: the domain's [`XpmGateway`](domain::ports::XpmGateway)
//! and [`XpmAuthorization`](domain::ports::XpmAuthorization) ports on Xero's
//! OAuth 2.0 (oauth2 crate) and XPM API v3.1's XML form (reqwest, quick-xml).
//!
//! The same code talks to real Xero and to xpm-sim: only [`XeroEndpoints`]
//! and the app's credentials differ. It never deletes or archives anything
//! in XPM, and never logs a token, secret, code or PKCE verifier.
//!
//! ```no_run
//! # fn demo<S: domain::ports::ConnectionStore + Clone>(store: S) -> Result<(), xpm_adapter::ConfigError> {
//! use secrecy::SecretString;
//! use xpm_adapter::{XeroAuthorization, XpmClient, XpmConfig};
//! let config = XpmConfig::xero(
//!     "CLIENT_ID",
//!     SecretString::from("CLIENT_SECRET"),
//!     "https://pmhub.example/xpm/callback",
//! );
//! let authorization = XeroAuthorization::new(&config)?;
//! let gateway = XpmClient::new(&config, store.clone())?;
//! # let _ = (authorization, gateway); Ok(()) }
//! ```

mod allowance;
mod config;
mod gateway;
mod http;
mod identity;
mod pace;
mod tokens;
mod xml;

#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;

pub use config::{ConfigError, DEFAULT_SCOPES, Resilience, XeroEndpoints, XpmConfig};
pub use gateway::XpmClient;
pub use identity::XeroAuthorization;
pub use xml::{WriteError, XmlError};
