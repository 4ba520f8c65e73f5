//! A new user's first session, in headless Chromium (Debian's chromium and
//! chromium-driver; `.ci/run` installs them): log in, open Integrations,
//! Connect through Xero's login on the simulator, see Connected and
//! Connected Since, Sync a client and see the result, open the Activity Log,
//! Disconnect with the confirmation, and find the XPM data still there.
//! Screenshots of each page go to target/browser-screenshots/.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use pmhub_xpm::demo;
use support::{Backend, TestApp, tenant};
use xpm_sim::seed::demo as sim_demo;

const INSTALL: &str = "install them with `apt-get install -y chromium chromium-driver` (.ci/run does), \
                       or set CHROMIUM and CHROMEDRIVER to their paths";

fn program(env: &str, default: &str) -> String {
    std::env::var(env).unwrap_or_else(|_| default.to_owned())
}

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let binary = program("CHROMEDRIVER", "/usr/bin/chromedriver");
    let child = Command::new(&binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {binary} ({e}): the browser test needs chromedriver; {INSTALL}")
        });
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    // chromedriver has no readiness signal but its port: wait for it, bounded.
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("chromedriver did not open port {port} within 10 s");
}

async fn browser(driver: &Driver) -> Client {
    let profile = std::env::temp_dir().join(format!("pmhub-chromium-{}", uuid::Uuid::new_v4()));
    let chromium = program("CHROMIUM", "/usr/bin/chromium");
    assert!(
        std::path::Path::new(&chromium).exists(),
        "{chromium} is missing: {INSTALL}"
    );
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,1000", format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    // chromedriver is on loopback: plain HTTP, no TLS.
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/browser-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

async fn shot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(screenshots().join(format!("{name}.png")), png).expect("write screenshot");
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

/// The next page's landmark: clicks that navigate return before the page is there.
async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

async fn body(client: &Client) -> String {
    text_of(client, "body").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_user_connects_syncs_reads_the_log_and_disconnects_in_a_real_browser() {
    let driver = start_driver().await;
    let app = TestApp::start(Backend::Sqlite).await;
    let c = browser(&driver).await;

    // Log in.
    c.goto(&format!("{}/login", app.url))
        .await
        .expect("login page");
    shot(&c, "01-login").await;
    c.find(Locator::Id("email"))
        .await
        .expect("email")
        .send_keys(demo::ADMIN_EMAIL)
        .await
        .expect("type");
    c.find(Locator::Id("password"))
        .await
        .expect("password")
        .send_keys(demo::ADMIN_PASSWORD)
        .await
        .expect("type");
    c.find(Locator::Css("button[type=submit]"))
        .await
        .expect("log in")
        .click()
        .await
        .expect("click");

    // Integrations: not connected yet; Connect.
    wait_for(&c, "#status").await;
    assert_eq!(text_of(&c, "#status").await, "Not connected");
    shot(&c, "02-integration-not-connected").await;
    wait_for(&c, "#connect").await.click().await.expect("click");

    // Xero's login and consent, on the simulator (once the browser got there:
    // the click returns before the navigation ends).
    let admin = format!("input[name=user][value='{}']", sim_demo::ADMIN_USER_ID);
    wait_for(&c, &admin).await;
    let at = c.current_url().await.expect("url");
    assert!(
        at.as_str().starts_with(&app.sim.base_url()),
        "Connect should lead to Xero's login, not {at}: {}",
        body(&c).await
    );
    wait_for(&c, &admin).await.click().await.expect("pick");
    shot(&c, "03-xero-login").await;
    wait_for(&c, "button[name=login]")
        .await
        .click()
        .await
        .expect("click");
    let tenant_box = format!("input[name='tenant_{}']", sim_demo::TENANT_ID);
    wait_for(&c, &tenant_box).await.click().await.expect("tick");
    shot(&c, "04-xero-consent").await;
    wait_for(&c, "button[value=allow]")
        .await
        .click()
        .await
        .expect("click");

    // Back in PM Hub: Connected, with Connected Since.
    wait_for(&c, "#status.status-connected").await;
    assert_eq!(text_of(&c, "#status").await, "Connected");
    // Xero gives no name for an XPM organisation: the admin types it.
    assert_eq!(text_of(&c, "#organisation").await, "Unnamed 3f2a1b7c");
    assert!(text_of(&c, "#connected-since").await.ends_with("UTC"));
    assert!(body(&c).await.contains("Nothing has been synced"));
    assert!(
        text_of(&c, "#unnamed")
            .await
            .contains("does not tell PM Hub")
    );
    shot(&c, "05-integration-connected").await;
    wait_for(&c, "#name input[name=name]")
        .await
        .send_keys(sim_demo::TENANT_NAME)
        .await
        .expect("type");
    wait_for(&c, "#name button")
        .await
        .click()
        .await
        .expect("click");
    wait_for(&c, "p.notice[role=status]").await;
    assert_eq!(text_of(&c, "#organisation").await, sim_demo::TENANT_NAME);
    assert!(app.xpm_writes().is_empty(), "connecting synced nothing");

    // Sync one client.
    c.goto(&format!("{}/clients", app.url))
        .await
        .expect("clients");
    wait_for(&c, "table").await;
    shot(&c, "06-clients").await;
    let trust = demo::client_id(4);
    c.find(Locator::Css(&format!("#client-{trust} button[name=sync]")))
        .await
        .expect("Sync button")
        .click()
        .await
        .expect("click");
    wait_for(&c, "#sync-result").await;
    assert!(
        text_of(&c, "#sync-result").await.starts_with("Synced."),
        "{}",
        body(&c).await
    );
    assert!(body(&c).await.contains("Client created in XPM"));
    shot(&c, "07-sync-result").await;

    // The activity log.
    c.goto(&format!("{}/activity", app.url))
        .await
        .expect("activity");
    wait_for(&c, "#activity").await;
    let log = text_of(&c, "#activity").await;
    assert!(
        log.contains("Client created in XPM") && log.contains("Connected to XPM organisation"),
        "{log}"
    );
    shot(&c, "08-activity-log").await;

    // Disconnect, with the confirmation.
    c.goto(&format!("{}/integrations/xpm", app.url))
        .await
        .expect("integration");
    wait_for(&c, "#disconnect")
        .await
        .click()
        .await
        .expect("click");
    shot(&c, "09-disconnect-confirm").await;
    wait_for(&c, "#confirm").await.click().await.expect("tick");
    wait_for(&c, "#confirm-disconnect")
        .await
        .click()
        .await
        .expect("click");
    wait_for(&c, "#status.status-disconnected").await;
    assert_eq!(text_of(&c, "#status").await, "Disconnected");
    shot(&c, "10-disconnected").await;

    // XPM keeps what was synced.
    let names: Vec<String> = app
        .sim
        .control()
        .clients(tenant())
        .expect("clients")
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    assert!(names.iter().any(|n| n == "Smith Family Trust"), "{names:?}");

    c.close().await.expect("close the browser");
    app.stop().await;
}
