//! Nothing secret reaches the logs or the errors: every log line of a run
//! through renewal, a refused token, a lost add and a login is captured at
//! TRACE level (ours and our dependencies') and searched for secrets.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use domain::client::BusinessStructure;
use domain::ports::{XpmAuthorization, XpmGateway};
use domain::sync::OwnedField;
use secrecy::SecretString;
use time::Duration as TimeDuration;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};
use xpm_adapter::{XeroAuthorization, XpmClient};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const SECRETS: [&str; 7] = [
    "access-one",
    "refresh-one",
    "access-two",
    "refresh-two",
    "app-secret-value",
    "login-code-value",
    "pkce-verifier-value",
];

#[tokio::test]
async fn no_secret_is_ever_logged_or_put_in_an_error() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    let api = "/practicemanager/3.1/client.api";
    Mock::given(path("/connect/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "access-two", "refresh_token": "refresh-two",
            "token_type": "Bearer", "expires_in": 1800
        })))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(path("/connect/token"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(serde_json::json!({"error": "invalid_grant"})),
        )
        .mount(&server)
        .await;
    Mock::given(path(format!("{api}/search")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("<Response><Status>OK</Status><Clients/></Response>"),
        )
        .mount(&server)
        .await;
    Mock::given(path(format!("{api}/add")))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    Mock::given(path("/connections"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;

    let config = config(&server.uri(), "app-id", "app-secret-value");
    let store =
        MemoryStore::with_tokens("access-one", "refresh-one", NOW - TimeDuration::minutes(5));
    let clock = Arc::new(PinnedClock::at(NOW));
    let gateway = XpmClient::with_clock(&config, store.clone(), clock.clone()).unwrap();
    let auth = XeroAuthorization::with_clock(&config, clock).unwrap();

    let mut errors = Vec::new();
    let payload = organisation("Acme Ltd", BusinessStructure::Company);
    errors.push(format!(
        "{:?}",
        gateway
            .create_client(access(), &payload, OwnedField::ALL, &[])
            .await
    ));
    errors.push(format!("{:?}", gateway.check_connection(access()).await));
    errors.push(format!(
        "{:?}",
        auth.exchange_code(
            "login-code-value",
            &SecretString::from("pkce-verifier-value")
        )
        .await
    ));
    errors.push(format!(
        "{:?}",
        auth.refresh(&SecretString::from("refresh-one")).await
    ));
    errors.push(format!("{:?}", auth.start().map(|s| s.state)));
    errors.push(format!("{gateway:?} {auth:?} {config:?}"));

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(!logged.is_empty());
    for secret in SECRETS {
        assert!(!logged.contains(secret), "`{secret}` was logged");
        for e in &errors {
            assert!(!e.contains(secret), "`{secret}` is in an error: {e}");
        }
    }
}
