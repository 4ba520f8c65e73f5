//! The app's configuration: one typed struct, read once from an optional
//! TOML file and then environment variables (which win), and validated at
//! start with messages that name the bad setting.

use std::net::SocketAddr;
use std::path::Path;

use domain::relationship_type::RelationshipTypes;
use figment::providers::{Env, Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sql_store::TokenKey;
use xpm_adapter::{XeroEndpoints, XpmConfig};

/// Where the OAuth callback lives, below the public URL.
pub const CALLBACK_PATH: &str = "/integrations/xpm/callback";

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub listen: SocketAddr,
    /// The URL people reach the app at; the OAuth redirect is built from it.
    pub public_url: String,
    pub xero: XpmConfig,
    pub token_key: TokenKey,
    pub log_format: LogFormat,
    pub migrate_on_start: bool,
    /// The relationship types the target XPM accepts: the shipped list, or
    /// the file `relationship_types_file` names.
    pub relationship_types: RelationshipTypes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// `text` or `json`, in any case (`JSON` reads as `json`).
impl<'de> Deserialize<'de> for LogFormat {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.trim().to_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(serde::de::Error::custom(format!(
                "`{text}`: expected text or json"
            ))),
        }
    }
}

/// Every setting, as read: all optional until validated. The file's keys
/// are the field names; each is also read from `PMHUB_XPM_` + the name in
/// capitals, which wins over the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub public_url: Option<String>,
    /// One base URL for every Xero endpoint (xpm-sim); real Xero when unset.
    pub xero_base_url: Option<String>,
    pub xero_client_id: Option<String>,
    /// Secrets stay out of `Debug` and so out of logs.
    pub xero_client_secret: Option<SecretString>,
    pub token_key: Option<SecretString>,
    pub log_format: Option<LogFormat>,
    pub migrate_on_start: Option<bool>,
    /// A TOML list of XPM's relationship types replacing the shipped one
    /// (app/relationship-types.toml shows the form).
    pub relationship_types_file: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("{setting} is not set: {hint}")]
    Missing {
        setting: &'static str,
        hint: &'static str,
    },
    #[error("{setting} is not valid: {reason}")]
    Invalid {
        setting: &'static str,
        reason: String,
    },
    /// A setting the file or the environment gave that cannot be read as its type.
    #[error("{setting} is not valid: {reason}")]
    Unreadable { setting: String, reason: String },
}

/// What every setting's environment variable starts with.
pub const ENV_PREFIX: &str = "PMHUB_XPM_";

/// The settings read from the environment. Other `PMHUB_XPM_` variables
/// (`PMHUB_XPM_CONFIG`, the file's path, is one) are not settings.
const ENV_KEYS: [&str; 10] = [
    "database_url",
    "listen",
    "public_url",
    "xero_base_url",
    "xero_client_id",
    "xero_client_secret",
    "token_key",
    "log_format",
    "migrate_on_start",
    "relationship_types_file",
];

/// "PMHUB_XPM_LISTEN (listen)": how errors name a setting.
fn setting_name(key: &str) -> String {
    format!("{ENV_PREFIX}{} ({key})", key.to_uppercase())
}

/// The `PMHUB_XPM_*` variables as text, blank ones left out so that they do
/// not hide the file's value. figment's `Env` would parse `12345` as a number
/// and then refuse it for a text setting; every value here stays the text it
/// was, and `extract_lossy` still reads `true`/`yes`/`on`/`1` as booleans.
struct Environment;

impl Provider for Environment {
    fn metadata(&self) -> Metadata {
        Metadata::named("the environment")
            .interpolater(|_, keys| format!("{ENV_PREFIX}{}", keys.join("_").to_uppercase()))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let dict: Dict = Env::prefixed(ENV_PREFIX)
            .only(&ENV_KEYS)
            .iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(key, value)| (key.as_str().to_owned(), Value::from(value)))
            .collect();
        Ok(Profile::Default.collect(dict))
    }
}

impl RawConfig {
    /// Reads the file (if any), then lets the `PMHUB_XPM_*` environment override it.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        if let Some(path) = file {
            // `file_exact`: a file named but missing is an error, not silence.
            figment = figment.merge(Toml::file_exact(path));
        }
        figment
            .merge(Environment)
            .extract_lossy()
            .map_err(|e| Self::named(e, file))
    }

    /// Names the setting behind figment's first error, with its source.
    fn named(error: figment::Error, file: Option<&Path>) -> ConfigError {
        let source = error
            .metadata
            .as_ref()
            .map(|m| m.name.to_string())
            .unwrap_or_default();
        match error.path.first() {
            Some(key) => ConfigError::Unreadable {
                setting: setting_name(key),
                reason: format!("{} (from {source})", error.kind),
            },
            None => ConfigError::File {
                path: file.map_or_else(|| source.clone(), |p| p.display().to_string()),
                reason: error.kind.to_string(),
            },
        }
    }

    /// Checks every setting; the first bad one is named in the error.
    pub fn validate(self) -> Result<Config, ConfigError> {
        let database_url = self.database_url.ok_or(ConfigError::Missing {
            setting: "PMHUB_XPM_DATABASE_URL (database_url)",
            hint: "a postgres:// URL in production, or sqlite://path for a local run",
        })?;
        if !(database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://")
            || database_url.starts_with("sqlite:"))
        {
            return Err(ConfigError::Invalid {
                setting: "PMHUB_XPM_DATABASE_URL (database_url)",
                reason: "expected a postgres://, postgresql:// or sqlite: URL".into(),
            });
        }
        let listen_text = self.listen.unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen: SocketAddr = listen_text.parse().map_err(|e| ConfigError::Invalid {
            setting: "PMHUB_XPM_LISTEN (listen)",
            reason: format!("`{listen_text}`: {e}"),
        })?;
        let public_url = self
            .public_url
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError::Invalid {
                setting: "PMHUB_XPM_PUBLIC_URL (public_url)",
                reason: "expected an http:// or https:// URL".into(),
            });
        }
        let client_id = self.xero_client_id.ok_or(ConfigError::Missing {
            setting: "PMHUB_XPM_XERO_CLIENT_ID (xero_client_id)",
            hint: "the client id of the app registered with Xero",
        })?;
        let client_secret = self.xero_client_secret.ok_or(ConfigError::Missing {
            setting: "PMHUB_XPM_XERO_CLIENT_SECRET (xero_client_secret)",
            hint: "the client secret of the app registered with Xero",
        })?;
        let redirect = format!("{public_url}{CALLBACK_PATH}");
        let secret = client_secret;
        let xero = match self.xero_base_url {
            Some(base) => {
                XpmConfig::with_endpoints(XeroEndpoints::under(&base), client_id, secret, redirect)
            }
            None => XpmConfig::xero(client_id, secret, redirect),
        };
        let token_key = self.token_key.ok_or(ConfigError::Missing {
            setting: "PMHUB_XPM_TOKEN_KEY (token_key)",
            hint: "32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`); it seals Xero tokens at rest",
        })?;
        let token_key =
            TokenKey::from_base64(token_key.expose_secret()).map_err(|e| ConfigError::Invalid {
                setting: "PMHUB_XPM_TOKEN_KEY (token_key)",
                reason: e.to_string(),
            })?;
        let relationship_types =
            crate::relationship_types::load(self.relationship_types_file.as_deref().map(Path::new))
                .map_err(|reason| ConfigError::Invalid {
                    setting: "PMHUB_XPM_RELATIONSHIP_TYPES_FILE (relationship_types_file)",
                    reason,
                })?;
        Ok(Config {
            relationship_types,
            database_url,
            listen,
            public_url,
            xero,
            token_key,
            log_format: self.log_format.unwrap_or(LogFormat::Text),
            migrate_on_start: self.migrate_on_start.unwrap_or(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::Jail;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    fn complete() -> Vec<(&'static str, &'static str)> {
        vec![
            (
                "PMHUB_XPM_DATABASE_URL",
                "postgres://postgres@127.0.0.1/pmhub",
            ),
            ("PMHUB_XPM_XERO_CLIENT_ID", "id"),
            ("PMHUB_XPM_XERO_CLIENT_SECRET", "secret"),
            ("PMHUB_XPM_TOKEN_KEY", KEY),
        ]
    }

    /// Runs `check` with exactly `pairs` as the `PMHUB_XPM_*` environment
    /// (figment's jail restores the environment afterwards).
    #[expect(
        clippy::result_large_err,
        reason = "figment's Jail takes a closure answering figment::Result, whose error is large"
    )]
    fn with_env(pairs: &[(&str, &str)], check: impl FnOnce(&mut Jail)) {
        Jail::expect_with(|jail| {
            for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with(ENV_PREFIX)) {
                // Blank reads as unset; the jail restores the value afterwards.
                jail.set_env(&name, "");
            }
            for (name, value) in pairs {
                jail.set_env(name, value);
            }
            check(jail);
            Ok(())
        });
    }

    #[test]
    fn a_complete_environment_validates_with_defaults() {
        with_env(&complete(), |_| {
            let config = RawConfig::load(None).unwrap().validate().unwrap();
            assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
            assert_eq!(config.public_url, "http://127.0.0.1:8080");
            assert_eq!(
                config.xero.redirect_url,
                "http://127.0.0.1:8080/integrations/xpm/callback"
            );
            assert!(!config.migrate_on_start);
            assert_eq!(config.log_format, LogFormat::Text);
        });
    }

    #[test]
    fn each_missing_setting_is_named() {
        for missing in [
            "PMHUB_XPM_DATABASE_URL",
            "PMHUB_XPM_XERO_CLIENT_ID",
            "PMHUB_XPM_XERO_CLIENT_SECRET",
            "PMHUB_XPM_TOKEN_KEY",
        ] {
            let pairs: Vec<_> = complete()
                .into_iter()
                .filter(|(k, _)| *k != missing)
                .collect();
            with_env(&pairs, |_| {
                let err = RawConfig::load(None).unwrap().validate().unwrap_err();
                assert!(err.to_string().contains(missing), "{err}");
            });
        }
    }

    #[test]
    fn bad_values_are_named_with_the_reason() {
        for (key, value) in [
            ("PMHUB_XPM_DATABASE_URL", "mysql://x"),
            ("PMHUB_XPM_LISTEN", "nowhere"),
            ("PMHUB_XPM_TOKEN_KEY", "short"),
            ("PMHUB_XPM_PUBLIC_URL", "ftp://x"),
        ] {
            let mut pairs = complete();
            pairs.retain(|(k, _)| *k != key);
            pairs.push((key, value));
            with_env(&pairs, |_| {
                let err = RawConfig::load(None).unwrap().validate().unwrap_err();
                assert!(err.to_string().contains(key), "{err}");
            });
        }
        for (key, value) in [
            ("PMHUB_XPM_LOG_FORMAT", "xml"),
            ("PMHUB_XPM_MIGRATE_ON_START", "perhaps"),
        ] {
            with_env(&[(key, value)], |_| {
                let err = RawConfig::load(None).unwrap_err();
                assert!(err.to_string().contains(key), "{err}");
                assert!(err.to_string().contains(value), "{err}");
            });
        }
    }

    #[test]
    fn values_keep_their_text_and_flags_read_as_words() {
        let mut pairs = complete();
        pairs.retain(|(k, _)| *k != "PMHUB_XPM_XERO_CLIENT_ID");
        pairs.extend([
            ("PMHUB_XPM_XERO_CLIENT_ID", "0012345"),
            ("PMHUB_XPM_MIGRATE_ON_START", "yes"),
            ("PMHUB_XPM_LOG_FORMAT", "JSON"),
            // Not a setting: the config file's own variable is left alone.
            ("PMHUB_XPM_CONFIG", "/nowhere.toml"),
        ]);
        with_env(&pairs, |_| {
            let config = RawConfig::load(None).unwrap().validate().unwrap();
            assert_eq!(config.xero.client_id, "0012345");
            assert!(config.migrate_on_start);
            assert_eq!(config.log_format, LogFormat::Json);
        });
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        with_env(&complete(), |_| {
            let raw = RawConfig::load(None).unwrap();
            let shown = format!("{raw:?}");
            assert!(
                !shown.contains(KEY) && !shown.contains("\"secret\""),
                "{shown}"
            );
        });
    }

    #[test]
    fn the_environment_overrides_the_file_and_unknown_file_keys_are_refused() {
        let mut pairs = complete();
        pairs.retain(|(k, _)| *k != "PMHUB_XPM_DATABASE_URL");
        pairs.push(("PMHUB_XPM_LISTEN", "127.0.0.1:9100"));
        // A blank variable does not hide the file's value.
        pairs.push(("PMHUB_XPM_PUBLIC_URL", " "));
        with_env(&pairs, |jail| {
            let file = jail.directory().join("pmhub-xpm.toml");
            std::fs::write(
                &file,
                "listen = \"127.0.0.1:9000\"\ndatabase_url = \"sqlite://file.db\"\npublic_url = \"https://pmhub.example\"\nmigrate_on_start = true\n",
            )
            .unwrap();
            let config = RawConfig::load(Some(&file)).unwrap().validate().unwrap();
            assert_eq!(config.listen.port(), 9100);
            assert_eq!(config.database_url, "sqlite://file.db");
            assert_eq!(config.public_url, "https://pmhub.example");
            assert!(config.migrate_on_start);
            std::fs::write(&file, "lisen = \"x\"\n").unwrap();
            let err = RawConfig::load(Some(&file)).unwrap_err();
            assert!(err.to_string().contains("lisen"), "{err}");
            let err = RawConfig::load(Some(&jail.directory().join("missing.toml"))).unwrap_err();
            assert!(err.to_string().contains("missing.toml"), "{err}");
        });
    }
}
