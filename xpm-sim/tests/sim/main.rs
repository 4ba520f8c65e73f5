//! The sim's integration tests: each test starts its own sim on port 0.

mod cassette;
mod clients;
mod common;
mod conformance;
mod conformance_target;
mod contacts;
mod control;
mod custom_fields;
mod faults;
mod identity;
mod limits;
mod module_graph;
mod oauth_client;
mod relationships;
mod robustness;
