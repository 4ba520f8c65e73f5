//! The `pmhub-xpm` binary. The HTTP API, web pages and the `serve`, `migrate`
//! and `demo` commands arrive with the app issue; until then the binary only
//! describes itself, so that nothing pretends to work that does not.

use clap::Parser;

/// pmhub-xpm pushes PM Hub's clients and their relationships to Xero Practice
/// Manager, one manual sync at a time.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
    println!(
        "pmhub-xpm {}: the service commands (serve, migrate, demo) are not built yet; \
         run the simulator with `cargo run -p xpm-sim`.",
        env!("CARGO_PKG_VERSION")
    );
}
