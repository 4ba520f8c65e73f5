//! Measuring the sim against real XPM: record a session through a proxy
//! (`record.rs`), serve it again (`replay.rs`), and send its requests to
//! another server to see where the answers differ ([`compare()`]).
//!
//! A cassette never holds a secret: every exchange is redacted
//! (`redact.rs`) before it is written. It does hold client data (names,
//! emails): treat a cassette recorded against a real practice as such.

mod cli;
mod compare;
mod diff;
mod format;
mod record;
mod redact;
mod replay;
mod serve;
mod shapes;
mod xmltree;

pub use cli::{Command, run};
pub use compare::{CompareConfig, Difference, Report, Skipped, compare};
pub use diff::Rules;
pub use format::{Body, Cassette, CassetteWriter, Exchange, Header, Message};
pub use record::{RecordConfig, Recorder, RunningRecorder, Upstream};
pub use replay::{Replayer, RunningReplay};
