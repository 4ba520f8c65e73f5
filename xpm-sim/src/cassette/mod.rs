//! Measuring the sim against real XPM: record a session through a proxy
//! ([`record`]), serve it again ([`replay`]), and send its requests to
//! another server to see where the answers differ ([`compare`]).
//!
//! A cassette never holds a secret: every exchange is redacted
//! ([`redact`]) before it is written. It does hold client data (names,
//! emails): treat a cassette recorded against a real practice as such.

pub mod cli;
pub mod compare;
pub mod diff;
pub mod format;
pub mod record;
pub mod redact;
pub mod replay;
mod serve;
pub mod shapes;
pub mod xmltree;

pub use compare::{CompareConfig, Difference, Report, Skipped, compare};
pub use diff::Rules;
pub use format::{Body, Cassette, CassetteWriter, Exchange, Header, Message};
pub use record::{RecordConfig, Recorder, RunningRecorder, Upstream};
pub use replay::{Replayer, RunningReplay};
