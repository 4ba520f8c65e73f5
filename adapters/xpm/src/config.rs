//! The adapter's configuration: where Xero is, who the app is, and how hard
//! to try. Only the endpoints and the app's credentials differ between real
//! Xero and xpm-sim.

use std::time::Duration;

use secrecy::SecretString;

/// Every URL the adapter calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XeroEndpoints {
    /// Xero's login page (`.../identity/connect/authorize`).
    pub authorize_url: String,
    /// Token endpoint: code exchange and refresh.
    pub token_url: String,
    /// Revocation endpoint (revokes a refresh token).
    pub revocation_url: String,
    /// `GET /connections`: the tenants granted.
    pub connections_url: String,
    /// XPM API v3.1 root, without a trailing slash.
    pub xpm_base_url: String,
}

impl XeroEndpoints {
    /// Real Xero.
    pub fn xero() -> Self {
        Self {
            authorize_url: "https://login.xero.com/identity/connect/authorize".into(),
            token_url: "https://identity.xero.com/connect/token".into(),
            revocation_url: "https://identity.xero.com/connect/revocation".into(),
            connections_url: "https://api.xero.com/connections".into(),
            xpm_base_url: "https://api.xero.com/practicemanager/3.1".into(),
        }
    }

    /// Every endpoint under one root, laid out as xpm-sim serves them
    /// (`{base}/identity/connect/authorize`, `{base}/connect/token`,
    /// `{base}/connect/revocation`, `{base}/connections`,
    /// `{base}/practicemanager/3.1`).
    pub fn under(base_url: &str) -> Self {
        let base = base_url.trim_end_matches('/');
        Self {
            authorize_url: format!("{base}/identity/connect/authorize"),
            token_url: format!("{base}/connect/token"),
            revocation_url: format!("{base}/connect/revocation"),
            connections_url: format!("{base}/connections"),
            xpm_base_url: format!("{base}/practicemanager/3.1"),
        }
    }
}

/// The scopes asked for at login: XPM client reads and writes, refresh
/// tokens, and the user's identity (for the activity log).
pub const DEFAULT_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "offline_access",
    "practicemanager",
    "practicemanager.client",
];

/// Timeouts, retries and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resilience {
    /// Whole-call timeout of every HTTP call (identity and API).
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// Attempts of a read (GET) that meets a 5xx, a timeout or a dropped connection.
    pub read_attempts: u32,
    /// Attempts of a call that could not even connect (nothing reached Xero).
    pub connect_attempts: u32,
    /// First backoff; doubled per attempt, capped by `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Longest `Retry-After` waited for; a longer one answers `RateLimited` at once.
    pub max_retry_after: Duration,
    /// Wait used when a 429 carries no `Retry-After`.
    pub default_retry_after: Duration,
    /// How many 429s one call waits out before answering `RateLimited`.
    pub rate_limit_retries: u32,
    /// XPM's per-organisation limit of calls per rolling minute.
    pub calls_per_minute: u32,
    /// XPM's per-organisation limit of calls in flight.
    pub max_in_flight: usize,
    /// Renew the access token when it has less than this left.
    pub refresh_margin: Duration,
    /// Largest answer read; a larger one is an unexpected answer.
    pub max_answer_bytes: usize,
}

impl Default for Resilience {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            read_attempts: 3,
            connect_attempts: 3,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            default_retry_after: Duration::from_secs(5),
            rate_limit_retries: 3,
            calls_per_minute: 60,
            max_in_flight: 5,
            refresh_margin: Duration::from_secs(120),
            max_answer_bytes: 8 * 1024 * 1024,
        }
    }
}

/// Everything the adapter needs.
#[derive(Debug, Clone)]
pub struct XpmConfig {
    pub endpoints: XeroEndpoints,
    /// The app's OAuth 2.0 client id (from Xero's developer portal).
    pub client_id: String,
    pub client_secret: SecretString,
    /// Where Xero sends the person back; must match the app's registration exactly.
    pub redirect_url: String,
    pub scopes: Vec<String>,
    pub resilience: Resilience,
}

impl XpmConfig {
    /// Real Xero with the default scopes and resilience.
    pub fn xero(
        client_id: impl Into<String>,
        client_secret: SecretString,
        redirect_url: impl Into<String>,
    ) -> Self {
        Self::with_endpoints(
            XeroEndpoints::xero(),
            client_id,
            client_secret,
            redirect_url,
        )
    }

    pub fn with_endpoints(
        endpoints: XeroEndpoints,
        client_id: impl Into<String>,
        client_secret: SecretString,
        redirect_url: impl Into<String>,
    ) -> Self {
        Self {
            endpoints,
            client_id: client_id.into(),
            client_secret,
            redirect_url: redirect_url.into(),
            scopes: DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            resilience: Resilience::default(),
        }
    }
}

/// A configuration that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not a valid URL: {reason}")]
    InvalidUrl { name: &'static str, reason: String },
    #[error("the HTTP client could not be built: {0}")]
    Http(String),
    #[error("{0}")]
    Invalid(&'static str),
}

impl XpmConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let e = &self.endpoints;
        for (name, url) in [
            ("authorize_url", &e.authorize_url),
            ("token_url", &e.token_url),
            ("revocation_url", &e.revocation_url),
            ("connections_url", &e.connections_url),
            ("xpm_base_url", &e.xpm_base_url),
            ("redirect_url", &self.redirect_url),
        ] {
            url::Url::parse(url).map_err(|err| ConfigError::InvalidUrl {
                name,
                reason: err.to_string(),
            })?;
        }
        let r = &self.resilience;
        if self.client_id.trim().is_empty() {
            return Err(ConfigError::Invalid("client_id must not be empty"));
        }
        if r.calls_per_minute == 0 {
            return Err(ConfigError::Invalid("calls_per_minute must be above 0"));
        }
        if r.max_in_flight == 0 {
            return Err(ConfigError::Invalid("max_in_flight must be above 0"));
        }
        if r.read_attempts == 0 || r.connect_attempts == 0 {
            return Err(ConfigError::Invalid("attempts must be above 0"));
        }
        Ok(())
    }
}
