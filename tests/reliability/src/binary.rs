//! The real `pmhub-xpm serve` binary as a child process.
//!
//! Cargo does not hand one package's binaries to another package's tests, so
//! [`binary_path`] runs `cargo build -p pmhub-xpm --bin pmhub-xpm` once per
//! test process (a no-op when it is up to date) and uses
//! `<target>/debug/pmhub-xpm`; `PMHUB_XPM_BIN` points at another build and
//! skips that step.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// The `pmhub-xpm` binary, built if needed.
pub fn binary_path() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        if let Ok(path) = std::env::var("PMHUB_XPM_BIN") {
            return PathBuf::from(path);
        }
        let root = workspace_root();
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "pmhub-xpm", "--bin", "pmhub-xpm"])
            .current_dir(&root)
            .status()
            .expect("run cargo build -p pmhub-xpm");
        let target = std::env::var("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| root.join("target"));
        let path = target.join("debug").join("pmhub-xpm");
        // In a shared checkout another engineer's half-made edit can break
        // the build: then the last binary built is used, and said so.
        if !status.success() {
            assert!(
                path.exists(),
                "cargo build -p pmhub-xpm failed and no earlier binary exists"
            );
            eprintln!(
                "WARNING: cargo build -p pmhub-xpm failed; testing the earlier binary at {}",
                path.display()
            );
        }
        assert!(path.exists(), "no binary at {}", path.display());
        path
    })
    .clone()
}

/// A free port on 127.0.0.1 (bound then released; kept across restarts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// What `serve` is started with (its PMHUB_XPM_* environment).
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub database_url: String,
    pub port: u16,
    pub public_url: String,
    pub xero_base_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub token_key_base64: String,
    pub log_file: PathBuf,
    pub extra_env: Vec<(String, String)>,
}

impl ServeConfig {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

#[derive(Debug)]
pub struct AppProcess {
    child: Child,
    pub config: ServeConfig,
}

impl AppProcess {
    /// Spawns `pmhub-xpm serve` (logs appended to the log file); does not wait.
    pub fn spawn(config: &ServeConfig) -> Self {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.log_file)
            .expect("open the log file");
        let err = log.try_clone().expect("log handle");
        let mut command = Command::new(binary_path());
        command
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env(
                "RUST_LOG",
                "debug,sqlx=warn,hyper=info,h2=info,rustls=info,reqwest=info",
            )
            .env("PMHUB_XPM_DATABASE_URL", &config.database_url)
            .env("PMHUB_XPM_LISTEN", format!("127.0.0.1:{}", config.port))
            .env("PMHUB_XPM_PUBLIC_URL", &config.public_url)
            .env("PMHUB_XPM_XERO_BASE_URL", &config.xero_base_url)
            .env("PMHUB_XPM_XERO_CLIENT_ID", &config.client_id)
            .env("PMHUB_XPM_XERO_CLIENT_SECRET", &config.client_secret)
            .env("PMHUB_XPM_TOKEN_KEY", &config.token_key_base64)
            .env("PMHUB_XPM_MIGRATE_ON_START", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .kill_on_drop(true);
        for (k, v) in &config.extra_env {
            command.env(k, v);
        }
        let child = command.spawn().expect("spawn pmhub-xpm serve");
        Self {
            child,
            config: config.clone(),
        }
    }

    /// Spawns and waits (bounded, polling /healthz) until it answers.
    pub async fn start(config: &ServeConfig) -> Self {
        let mut app = Self::spawn(config);
        app.wait_ready(Duration::from_secs(60)).await;
        app
    }

    pub async fn wait_ready(&mut self, limit: Duration) {
        let http = reqwest::Client::new();
        let started = Instant::now();
        let url = format!("{}/healthz", self.config.url());
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "pmhub-xpm serve exited ({status}) before it was ready; log:\n{}",
                    self.log()
                );
            }
            if let Ok(r) = http.get(&url).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                started.elapsed() < limit,
                "pmhub-xpm serve not ready after {limit:?}; log:\n{}",
                self.log()
            );
            // No event to await for another process becoming ready: poll.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown code runs.
    pub async fn kill(&mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// Waits for the process to end by itself (bounded).
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        tokio::time::timeout(limit, self.child.wait())
            .await
            .ok()?
            .ok()
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.config.log_file).unwrap_or_default()
    }
}

/// Resident set size of a process, in KiB (from /proc).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
