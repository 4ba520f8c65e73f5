//! What every request handler shares.

use std::sync::Arc;

use axum::extract::FromRef;
use axum_extra::extract::cookie::Key;
use domain::ports::AccountStore;
use domain::usecases::{Accounts, Integration, Stores};
use metrics_exporter_prometheus::PrometheusHandle;
use system_adapter::{RandomIds, SystemClock};
use xpm_adapter::{XeroAuthorization, XpmClient};

/// A store the app can run on: every domain store port, plus logins.
pub trait AppStore: Stores + AccountStore + Clone {}

impl<T> AppStore for T where T: Stores + AccountStore + Clone {}

/// The domain's use cases over the real adapters.
pub type App<S> = Integration<S, XpmClient<S>, XeroAuthorization, SystemClock, RandomIds>;

/// What handlers reach: use cases only. There is no store accessor, so a
/// page or API handler cannot read a store past the use cases.
pub struct AppState<S> {
    pub app: Arc<App<S>>,
    /// Logins, sessions, API tokens and the readiness probe.
    pub accounts: Arc<Accounts<S>>,
    /// Encrypts and signs the session cookie.
    pub cookie_key: Key,
    /// Cookies carry `Secure` when the public URL is https.
    pub secure_cookies: bool,
    pub metrics: Option<PrometheusHandle>,
    /// Where the XPM simulator's pages are, in demo mode (linked from the pages).
    pub sim_url: Option<String>,
}

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        Self {
            app: Arc::clone(&self.app),
            accounts: Arc::clone(&self.accounts),
            cookie_key: self.cookie_key.clone(),
            secure_cookies: self.secure_cookies,
            metrics: self.metrics.clone(),
            sim_url: self.sim_url.clone(),
        }
    }
}

impl<S> std::fmt::Debug for AppState<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("secure_cookies", &self.secure_cookies)
            .field("sim_url", &self.sim_url)
            .finish_non_exhaustive()
    }
}

impl<S> FromRef<AppState<S>> for Key {
    fn from_ref(state: &AppState<S>) -> Self {
        state.cookie_key.clone()
    }
}
