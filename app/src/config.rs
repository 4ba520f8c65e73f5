//! The app's configuration: one typed struct, read once from an optional
//! TOML file and then environment variables (which win), and validated at
//! start with messages that name the bad setting.

use std::net::SocketAddr;
use std::path::Path;

use domain::relationship_type::RelationshipTypes;
use secrecy::SecretString;
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Every setting, as read: all optional until validated.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub public_url: Option<String>,
    /// One base URL for every Xero endpoint (xpm-sim); real Xero when unset.
    pub xero_base_url: Option<String>,
    pub xero_client_id: Option<String>,
    pub xero_client_secret: Option<String>,
    pub token_key: Option<String>,
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
}

/// (file key, environment variable) of each setting.
const SETTINGS: [(&str, &str); 10] = [
    ("database_url", "PMHUB_XPM_DATABASE_URL"),
    ("listen", "PMHUB_XPM_LISTEN"),
    ("public_url", "PMHUB_XPM_PUBLIC_URL"),
    ("xero_base_url", "PMHUB_XPM_XERO_BASE_URL"),
    ("xero_client_id", "PMHUB_XPM_XERO_CLIENT_ID"),
    ("xero_client_secret", "PMHUB_XPM_XERO_CLIENT_SECRET"),
    ("token_key", "PMHUB_XPM_TOKEN_KEY"),
    ("log_format", "PMHUB_XPM_LOG_FORMAT"),
    ("migrate_on_start", "PMHUB_XPM_MIGRATE_ON_START"),
    (
        "relationship_types_file",
        "PMHUB_XPM_RELATIONSHIP_TYPES_FILE",
    ),
];

fn env_name(key: &str) -> &'static str {
    SETTINGS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("?", |(_, env)| env)
}

impl RawConfig {
    /// Reads the file (if any), then lets `env` override it.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut raw = match file {
            Some(path) => {
                let file_error = |reason: String| ConfigError::File {
                    path: path.display().to_string(),
                    reason,
                };
                let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
                toml::from_str(&text).map_err(|e| file_error(e.to_string()))?
            }
            None => RawConfig::default(),
        };
        let text = |key: &str| env(env_name(key)).filter(|v| !v.trim().is_empty());
        raw.database_url = text("database_url").or(raw.database_url);
        raw.listen = text("listen").or(raw.listen);
        raw.public_url = text("public_url").or(raw.public_url);
        raw.xero_base_url = text("xero_base_url").or(raw.xero_base_url);
        raw.xero_client_id = text("xero_client_id").or(raw.xero_client_id);
        raw.xero_client_secret = text("xero_client_secret").or(raw.xero_client_secret);
        raw.token_key = text("token_key").or(raw.token_key);
        raw.relationship_types_file =
            text("relationship_types_file").or(raw.relationship_types_file);
        if let Some(format) = text("log_format") {
            raw.log_format = Some(match format.to_lowercase().as_str() {
                "json" => LogFormat::Json,
                "text" => LogFormat::Text,
                _ => {
                    return Err(ConfigError::Invalid {
                        setting: "PMHUB_XPM_LOG_FORMAT",
                        reason: format!("`{format}`: expected text or json"),
                    });
                }
            });
        }
        if let Some(flag) = text("migrate_on_start") {
            raw.migrate_on_start = Some(parse_bool("PMHUB_XPM_MIGRATE_ON_START", &flag)?);
        }
        Ok(raw)
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
        let secret = SecretString::from(client_secret);
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
        let token_key = TokenKey::from_base64(&token_key).map_err(|e| ConfigError::Invalid {
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

fn parse_bool(setting: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Invalid {
            setting,
            reason: format!("`{value}`: expected true or false"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        move |k| map.get(k).cloned()
    }

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

    #[test]
    fn a_complete_environment_validates_with_defaults() {
        let config = RawConfig::load(None, env(&complete()))
            .unwrap()
            .validate()
            .unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.public_url, "http://127.0.0.1:8080");
        assert_eq!(
            config.xero.redirect_url,
            "http://127.0.0.1:8080/integrations/xpm/callback"
        );
        assert!(!config.migrate_on_start);
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
            let err = RawConfig::load(None, env(&pairs))
                .unwrap()
                .validate()
                .unwrap_err();
            assert!(err.to_string().contains(missing), "{err}");
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
            let err = RawConfig::load(None, env(&pairs))
                .unwrap()
                .validate()
                .unwrap_err();
            assert!(err.to_string().contains(key), "{err}");
        }
        let err = RawConfig::load(None, env(&[("PMHUB_XPM_LOG_FORMAT", "xml")])).unwrap_err();
        assert!(err.to_string().contains("PMHUB_XPM_LOG_FORMAT"));
    }

    #[test]
    fn the_environment_overrides_the_file_and_unknown_file_keys_are_refused() {
        let dir = std::env::temp_dir().join(format!("pmhub-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("pmhub-xpm.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\ndatabase_url = \"sqlite://file.db\"\n",
        )
        .unwrap();
        let mut pairs = complete();
        pairs.retain(|(k, _)| *k != "PMHUB_XPM_DATABASE_URL");
        pairs.push(("PMHUB_XPM_LISTEN", "127.0.0.1:9100"));
        let config = RawConfig::load(Some(&file), env(&pairs))
            .unwrap()
            .validate()
            .unwrap();
        assert_eq!(config.listen.port(), 9100);
        assert_eq!(config.database_url, "sqlite://file.db");
        std::fs::write(&file, "lisen = \"x\"\n").unwrap();
        let err = RawConfig::load(Some(&file), env(&[])).unwrap_err();
        assert!(err.to_string().contains("lisen"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
