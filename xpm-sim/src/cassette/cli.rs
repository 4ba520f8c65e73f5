//! The `record`, `replay` and `compare` subcommands of the `xpm-sim` binary.

use super::compare::{CompareConfig, DEFAULT_TAX_NUMBER, compare};
use super::diff::Rules;
use super::format::Cassette;
use super::record::{DEFAULT_MAX_BODY, RecordConfig, Recorder, Upstream};
use super::replay::Replayer;
use anyhow::Context;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Proxy to an upstream (real Xero, or a sim) and write every exchange, redacted, to a cassette.
    Record(RecordArgs),
    /// Serve a cassette: each request gets its recorded answer.
    Replay(ReplayArgs),
    /// Send a cassette's requests to a target and report every difference in the answers.
    /// Exits 1 when there are differences.
    Compare(CompareArgs),
}

#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// Where to forward: a base URL (a sim: http://127.0.0.1:4010), or `xero` for real Xero
    /// (api.xero.com, identity.xero.com for /connect/, login.xero.com for /identity/).
    #[arg(long, env = "XPM_RECORD_UPSTREAM")]
    pub upstream: String,
    /// Send paths starting with PREFIX elsewhere: PREFIX=URL (repeatable; the longest prefix wins).
    #[arg(long = "route", value_name = "PREFIX=URL")]
    pub routes: Vec<String>,
    /// The cassette to write (NDJSON).
    #[arg(long, env = "XPM_RECORD_OUT")]
    pub out: PathBuf,
    /// Address to listen on: point the app's Xero base URLs here.
    #[arg(long, env = "XPM_RECORD_LISTEN", default_value = "127.0.0.1:4011")]
    pub listen: SocketAddr,
    /// Largest request or answer body buffered, in bytes (413 / 502 above it).
    #[arg(long, default_value_t = DEFAULT_MAX_BODY)]
    pub max_body: usize,
    /// Replace the cassette if it exists.
    #[arg(long)]
    pub overwrite: bool,
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The cassette to serve.
    pub file: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "XPM_REPLAY_LISTEN", default_value = "127.0.0.1:4010")]
    pub listen: SocketAddr,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The cassette whose requests are sent again.
    pub file: PathBuf,
    /// The target's base URL (a sim: http://127.0.0.1:4010).
    #[arg(long, env = "XPM_COMPARE_AGAINST")]
    pub against: String,
    /// The target's access token, sent where the recording had a bearer token.
    #[arg(long, env = "XPM_COMPARE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The target's tenant id, sent as xero-tenant-id wherever the recording had one.
    #[arg(long, env = "XPM_COMPARE_TENANT")]
    pub tenant: Option<String>,
    /// Do not compare the values at this path (presence still is): `Response/Client/WebUrl`,
    /// or its tail (`WebUrl`). Repeatable.
    #[arg(long, value_name = "PATH")]
    pub ignore: Vec<String>,
    /// Compare date-times (yyyy-MM-ddTHH:mm...) as values; by default only their presence is.
    #[arg(long)]
    pub compare_times: bool,
    /// Compare dates (yyyy-MM-dd) for presence only.
    #[arg(long)]
    pub ignore_dates: bool,
    /// Sent where a recorded request's tax number was redacted.
    #[arg(long, default_value = DEFAULT_TAX_NUMBER)]
    pub tax_number: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Record(a) => record(a).await,
        Command::Replay(a) => replay(a).await,
        Command::Compare(a) => run_compare(a).await,
    }
}

async fn record(a: RecordArgs) -> anyhow::Result<ExitCode> {
    let upstream = Upstream::parse(&a.upstream, &a.routes)?;
    let mut cfg = RecordConfig::new(upstream.clone(), &a.out);
    cfg.listen = a.listen;
    cfg.max_body = a.max_body;
    cfg.overwrite = a.overwrite;
    let rec = Recorder::start(cfg).await?;
    println!("xpm-sim record listening on {}", rec.base_url());
    println!("  forwarding to    {}", upstream.default);
    for (prefix, base) in &upstream.routes {
        println!("  {prefix:<16} {base}");
    }
    println!("  writing          {}", a.out.display());
    println!(
        "point the app's login, identity and API base URLs at {}; Ctrl-C stops",
        rec.base_url()
    );
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    rec.stop().await;
    println!("stopped; the cassette is {}", a.out.display());
    Ok(ExitCode::SUCCESS)
}

async fn replay(a: ReplayArgs) -> anyhow::Result<ExitCode> {
    let cassette = Cassette::load(&a.file)?;
    for w in &cassette.warnings {
        eprintln!("warning: {w}");
    }
    let n = cassette.exchanges.len();
    let rep = Replayer::start(cassette, a.listen).await?;
    println!(
        "xpm-sim replay listening on {}: {n} exchanges from {}",
        rep.base_url(),
        a.file.display()
    );
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    rep.stop().await;
    Ok(ExitCode::SUCCESS)
}

async fn run_compare(a: CompareArgs) -> anyhow::Result<ExitCode> {
    let cassette = Cassette::load(&a.file)?;
    for w in &cassette.warnings {
        eprintln!("warning: {w}");
    }
    let mut cfg = CompareConfig::new(&a.against);
    cfg.token = a.token;
    cfg.tenant = a.tenant;
    cfg.tax_number = a.tax_number;
    cfg.rules = Rules {
        ignore: a.ignore,
        compare_times: a.compare_times,
        ignore_dates: a.ignore_dates,
    };
    let report = compare(&cassette, &cfg).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(if report.differences.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
