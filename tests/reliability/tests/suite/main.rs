//! The reliability and security suite (issue 9). See docs/reliability.md.

mod bad_state;
mod binary_logs;
mod crash;
mod faults;
mod hostile;
mod hostile_xpm;
mod isolation;
mod load;
mod processes;
mod security;
