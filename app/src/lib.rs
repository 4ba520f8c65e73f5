//! pmhub-xpm, the service: configuration, wiring of the domain's use cases to
//! the stores and the XPM adapter, the HTTP API and web pages, and the demo.

pub mod activity_log;
pub mod api;
pub mod auth;
pub mod config;
pub mod demo;
pub mod input;
pub mod ops;
pub mod present;
pub mod problem;
pub mod relationship_types;
pub mod server;
pub mod state;
pub mod web;
pub mod wiring;
