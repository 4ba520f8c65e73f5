//! In-memory fakes of the domain's ports, for the domain's own tests only.
//! (Tests of the adapters and the app use xpm-sim and the real stores.)
#![allow(dead_code)]

pub mod fakes;
pub mod world;
