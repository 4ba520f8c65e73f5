//! The `xpm-sim` binary: runs the sim standalone (no subcommand), or
//! records, replays and compares cassettes (`xpm_sim::cassette`).

use anyhow::Context;
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use xpm_sim::cassette::Command;
use xpm_sim::{ClockMode, Seed, Sim, SimConfig, seed::demo};

/// A faithful, stateful fake of Xero Practice Manager API v3.1 and Xero's OAuth 2.0 login.
/// Without a subcommand it serves the sim.
#[derive(Debug, Parser)]
#[command(name = "xpm-sim", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: Args,
}

/// Serving the sim.
#[derive(Debug, clap::Args)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "XPM_SIM_LISTEN", default_value = "127.0.0.1:4010")]
    listen: SocketAddr,
    /// Seed file (JSON); the built-in demo seed when absent.
    #[arg(long, env = "XPM_SIM_SEED")]
    seed: Option<PathBuf>,
    /// State file: loaded on start if it exists, saved on every change and on exit.
    #[arg(long, env = "XPM_SIM_STATE")]
    state: Option<PathBuf>,
    /// Fixes generated UUIDs and tokens.
    #[arg(long, env = "XPM_SIM_RNG_SEED", default_value_t = 42)]
    rng_seed: u64,
    /// Freeze the clock (it then moves only through the control API).
    #[arg(long, env = "XPM_SIM_FROZEN_CLOCK")]
    frozen_clock: bool,
    /// Turn the XPM rate limits off.
    #[arg(long, env = "XPM_SIM_NO_RATE_LIMITS")]
    no_rate_limits: bool,
    /// Calls per practice per day: 5000 (the default) or 1000, by the practice's Xero tier.
    /// Overrides the limit kept in a state file.
    #[arg(long, env = "XPM_SIM_PER_DAY")]
    per_day: Option<u32>,
    /// HTTP status of XPM ERROR answers.
    #[arg(long, env = "XPM_SIM_ERROR_STATUS", default_value_t = 200)]
    error_status: u16,
    /// Log filter (tracing env-filter syntax), e.g. info or xpm_sim=debug.
    #[arg(long, env = "XPM_SIM_LOG", default_value = "info", global = true)]
    log: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        return match serve(cli.serve).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("Error: {e:?}");
                ExitCode::FAILURE
            }
        };
    };
    // Logs go to stderr so that stdout holds only the report.
    let filter = match tracing_subscriber::EnvFilter::try_new(&cli.serve.log) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("Error: --log: {e}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match xpm_sim::cassette::run(command).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn serve(args: Args) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&args.log).context("--log")?)
        .init();
    let seed = match &args.seed {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str::<Seed>(&text)
                .with_context(|| format!("parsing {}", path.display()))?
        }
        None => Seed::demo(),
    };
    let mut config = SimConfig {
        listen: args.listen,
        seed,
        rng_seed: args.rng_seed,
        clock_mode: if args.frozen_clock {
            ClockMode::Frozen
        } else {
            ClockMode::Real
        },
        error_status: args.error_status,
        state_file: args.state.clone(),
        ..SimConfig::default()
    };
    if !args.frozen_clock {
        config.start_time = time::OffsetDateTime::now_utc();
    }
    config.limits.enabled = !args.no_rate_limits;
    if let Some(per_day) = args.per_day {
        config.limits.per_day = per_day;
    }
    let sim = Sim::start(config).await?;
    if let Some(per_day) = args.per_day {
        let mut limits = sim.control().limits();
        limits.per_day = per_day;
        sim.control().set_limits(limits);
    }
    let base = sim.base_url();
    println!("xpm-sim listening on {base}");
    println!("  XPM API          {}", sim.xpm_base_url());
    println!("  authorize        {}", sim.authorize_url());
    println!("  token            {}", sim.token_url());
    println!("  revocation       {}", sim.revocation_url());
    println!("  connections      {}", sim.connections_url());
    println!("  control API      {}", sim.control_url());
    println!("  UI               {base}/_sim/ui");
    if args.seed.is_none() {
        println!("demo login (default seed):");
        println!(
            "  app              client_id={} client_secret={}",
            demo::CLIENT_ID,
            demo::CLIENT_SECRET
        );
        println!("  redirect URI     {}", demo::REDIRECT_URI);
        println!("  admin (can connect)      {}", demo::ADMIN_EMAIL);
        println!("  staff (cannot connect)   {}", demo::STAFF_EMAIL);
        println!(
            "  tenant           {} ({})",
            demo::TENANT_ID,
            demo::TENANT_NAME
        );
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    println!("stopping");
    sim.stop().await;
    Ok(())
}
