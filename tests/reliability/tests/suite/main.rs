//! The reliability and security suite (issue 9). See docs/reliability.md.

mod hostile;
mod isolation;
mod security;
