//! The `pmhub-xpm` binary: `serve`, `migrate`, `demo`, and account commands.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use domain::ids::{PracticeId, UserId};
use domain::practice::{Practice, Role, User};
use domain::text::{DisplayName, EmailAddress};
use pmhub_xpm::config::{Config, LogFormat, RawConfig};
use pmhub_xpm::state::AppStore;
use pmhub_xpm::wiring::{self, WithStore};
use pmhub_xpm::{auth, demo, server};
use sql_store::TokenKey;

/// pmhub-xpm pushes PM Hub's clients and the relationships between them to
/// Xero Practice Manager: one way, one client at a time, when a person presses Sync.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML file with the settings (PMHUB_XPM_* environment variables override it); read by serve, migrate and the account commands.
    #[arg(long, global = true, env = "PMHUB_XPM_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API and pages. Settings come from PMHUB_XPM_* environment variables and an optional TOML file.
    Serve,
    /// Apply the database migrations embedded in this binary, then exit.
    Migrate,
    /// Run everything locally, with no setup: xpm-sim in-process, the app on SQLite, demo data.
    Demo {
        /// Where the app listens (xpm-sim's demo app is registered for 127.0.0.1:8080).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Where the XPM simulator listens.
        #[arg(long, default_value = "127.0.0.1:4010")]
        sim_listen: SocketAddr,
        /// Where the demo keeps its database, token key and simulator state.
        #[arg(long, default_value = ".pmhub-xpm")]
        data_dir: PathBuf,
    },
    /// Add a practice (prints its id).
    AddPractice {
        #[arg(long)]
        name: String,
    },
    /// Add a user who logs in with an email and a password read from standard input.
    AddUser {
        #[arg(long)]
        practice: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// Create an API token acting as a user (printed once; only its hash is kept).
    CreateApiToken {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "api")]
        label: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    Admin,
    Staff,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = cli.config;
    match cli.command {
        Command::Serve => {
            let config = RawConfig::load(config.as_deref())?.validate()?;
            init_logging(config.log_format);
            serve(config).await
        }
        Command::Migrate => {
            init_logging(LogFormat::Text);
            let raw = RawConfig::load(config.as_deref())?;
            let url = raw
                .database_url
                .context("PMHUB_XPM_DATABASE_URL (database_url) is not set")?;
            // Migrations touch no token: any key opens the store for them.
            let key = TokenKey::generate();
            wiring::with_store(&url, &key, true, Opened).await?;
            println!("migrations applied to {}", redact(&url));
            Ok(())
        }
        Command::Demo {
            listen,
            sim_listen,
            data_dir,
        } => {
            init_logging(LogFormat::Text);
            demo::run(demo::DemoOptions {
                listen,
                sim_listen,
                data_dir,
            })
            .await
        }
        Command::AddPractice { name } => {
            let name = DisplayName::new(&name)?;
            with_store(config, Account::AddPractice { name }).await
        }
        Command::AddUser {
            practice,
            email,
            name,
            role,
        } => {
            let practice: PracticeId = practice.parse()?;
            let email = EmailAddress::new(&email)?;
            let name = DisplayName::new(&name)?;
            let mut secret = String::new();
            std::io::stdin()
                .read_to_string(&mut secret)
                .context("reading the password from standard input")?;
            let secret = secret.trim_end_matches(['\r', '\n']).to_owned();
            if secret.chars().count() < 12 {
                bail!("the password must be at least 12 characters");
            }
            let password_hash = auth::password::hash(&secret)?;
            let role = match role {
                RoleArg::Admin => Role::Admin,
                RoleArg::Staff => Role::Staff,
            };
            let user = User {
                id: UserId::from_uuid(uuid::Uuid::new_v4()),
                practice,
                name,
                email,
                role,
            };
            with_store(
                config,
                Account::AddUser {
                    user,
                    password_hash,
                },
            )
            .await
        }
        Command::CreateApiToken { email, label } => {
            let email = EmailAddress::new(&email)?;
            with_store(config, Account::CreateApiToken { email, label }).await
        }
    }
}

/// Commands that manage practices, users and tokens.
enum Account {
    AddPractice { name: DisplayName },
    AddUser { user: User, password_hash: String },
    CreateApiToken { email: EmailAddress, label: String },
}

/// Runs an account command on the configured store.
async fn with_store(config: Option<PathBuf>, command: Account) -> anyhow::Result<()> {
    let raw = RawConfig::load(config.as_deref())?;
    let url = raw
        .database_url
        .context("PMHUB_XPM_DATABASE_URL (database_url) is not set")?;
    // These commands touch no Xero token: any key opens the store for them.
    let key = TokenKey::generate();
    wiring::with_store(&url, &key, false, command).await?
}

/// Opening is the whole work (`migrate` migrates as it opens).
struct Opened;

impl WithStore for Opened {
    type Output = ();
    async fn run<S: AppStore>(self, _store: S) {}
}

impl WithStore for Account {
    type Output = anyhow::Result<()>;
    async fn run<S: AppStore>(self, store: S) -> anyhow::Result<()> {
        run_account(store, self).await
    }
}

async fn run_account<S: AppStore>(store: S, command: Account) -> anyhow::Result<()> {
    match command {
        Account::AddPractice { name } => {
            let practice = Practice {
                id: PracticeId::from_uuid(uuid::Uuid::new_v4()),
                name,
            };
            store.save_practice(&practice).await?;
            println!("{}", practice.id);
        }
        Account::AddUser {
            user,
            password_hash,
        } => {
            if store.practice(user.practice).await?.is_none() {
                bail!("practice {} does not exist", user.practice);
            }
            store.save_user(&user).await?;
            store.save_login(&user, &password_hash).await?;
            println!("{}", user.id);
        }
        Account::CreateApiToken { email, label } => {
            let (user, _) = store
                .login(&email)
                .await?
                .context("no user logs in with that email")?;
            let (token, hash) = auth::api_token::generate();
            store.save_api_token(&user, &hash, &label).await?;
            println!("{token}");
        }
    }
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let (url, key) = (config.database_url.clone(), config.token_key.clone());
    wiring::with_store(&url, &key, config.migrate_on_start, Serve(config)).await?
}

struct Serve(Config);

impl WithStore for Serve {
    type Output = anyhow::Result<()>;
    async fn run<S: AppStore>(self, store: S) -> anyhow::Result<()> {
        serve_with(store, self.0).await
    }
}

async fn serve_with<S: AppStore>(store: S, config: Config) -> anyhow::Result<()> {
    let secure = config.public_url.starts_with("https://");
    let state = wiring::app_state(
        config.relationship_types.clone(),
        store,
        &config.xero,
        &config.token_key,
        secure,
        None,
    )?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    tracing::info!(listen = %config.listen, public_url = %config.public_url, store = %redact(&config.database_url), "pmhub-xpm is serving");
    server::serve(state, listener, server::shutdown_signal()).await?;
    Ok(())
}

/// A database URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}
