//! The reliability and security suite's harness (issue 9): fresh Postgres
//! databases, the app in-process on a real listener next to an in-process
//! xpm-sim, the real `pmhub-xpm` binary as a child process that can be
//! SIGKILLed, a cookie-keeping browser that clicks through Connect, and the
//! two practices every test starts from. The tests live in `tests/suite/`.

pub mod binary;
pub mod browser;
pub mod checks;
pub mod fixtures;
pub mod proxy;
pub mod served;
pub mod world;

/// A client for the app and the sim: no redirects followed, cookies kept.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("an HTTP client")
}
