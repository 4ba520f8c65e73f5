//! The row format both stores share, so that SQLite and Postgres hold the
//! same bytes for the same domain value: JSON bodies for domain values,
//! microsecond timestamps, and tokens sealed with AES-256-GCM.
//!
//! Queryable columns (ids, practice, status, kind, time) sit beside the JSON
//! body; the body is the domain value itself, so no mapping code can drift.

mod errors;
mod json;
mod sealing;

pub use errors::{owned, store_error};
pub use json::{decode, encode, from_micros, micros};
pub use sealing::{KeyError, SealError, TokenKey, TokenSealer};
