//! Bad configuration and bad state: a wrong client secret, an unreachable
//! XPM, a database that goes away mid-sync, a full disk under the SQLite
//! file. Each gives a clear error in the page or the API and in the log,
//! and nothing half-written.

use std::time::Duration;

use reliability_tests::browser::Browser;
use reliability_tests::checks;
use reliability_tests::fixtures::demo_id;
use reliability_tests::served::{Served, ServedOptions};
use reliability_tests::world::{Options, World};
use serde_json::json;
use xpm_sim::seed::demo as sim_demo;
use xpm_sim::{FaultAction, FaultSpec};

fn latency(ms: u64) -> FaultSpec {
    FaultSpec {
        method: None,
        path: Some("/practicemanager/3.1/client.api/*".into()),
        tenant: None,
        action: FaultAction::Latency { ms },
        times: None,
    }
}

/// Connect with a wrong client secret: answers the served app and the page.
async fn connect_with_a_wrong_secret() -> (Served, String) {
    let s = Served::start(ServedOptions {
        client_secret: Some("not-the-secret".into()),
        ..ServedOptions::default()
    })
    .await;
    let b = Browser::logged_in(
        &s.url(),
        pmhub_xpm::demo::ADMIN_EMAIL,
        pmhub_xpm::demo::ADMIN_PASSWORD,
    )
    .await;
    let r = b
        .connect(
            &s.sim.base_url(),
            sim_demo::ADMIN_USER_ID,
            sim_demo::TENANT_ID,
        )
        .await;
    assert_eq!(r.status().as_u16(), 400);
    let page = r.text().await.unwrap_or_default();
    (s, page)
}

#[tokio::test]
async fn a_wrong_client_secret_is_a_clear_refusal_in_the_page_and_changes_nothing() {
    let (s, page) = connect_with_a_wrong_secret().await;
    assert!(page.contains("Nothing was changed"), "{page}");
    let status = s
        .api(&s.fx.a_admin_token)
        .get("/api/integration")
        .await
        .json();
    assert_eq!(status["status"], "Not connected");
    let refused = s.sim.control().journal(&xpm_sim::JournalFilter {
        path: Some("/connect/token".into()),
        ..Default::default()
    });
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].status, Some(400));
    assert!(!s.log().contains("not-the-secret"));
    let entries = checks::activity(&s.api(&s.fx.a_admin_token)).await;
    assert!(
        entries.iter().all(|e| e["kind"] != "connected"),
        "{entries:?}"
    );
}

#[tokio::test]
async fn a_wrong_client_secret_is_named_in_the_log() {
    let (s, _) = connect_with_a_wrong_secret().await;
    let log = s.log();
    let said = log.lines().any(|l| {
        (l.contains("WARN") || l.contains("ERROR"))
            && (l.contains("invalid_client") || l.contains("authoris"))
    });
    assert!(
        said,
        "no warning or error names the refused authorisation:\n{log}"
    );
}

/// The real binary, connected, then restarted with Xero and XPM at a port
/// where nothing listens.
async fn connected_then_xpm_unreachable() -> Served {
    let mut s = Served::start(ServedOptions::default()).await;
    s.connect_a().await;
    s.config.xero_base_url = format!(
        "http://127.0.0.1:{}",
        reliability_tests::binary::free_port()
    );
    s.kill_and_restart().await;
    s
}

#[tokio::test]
async fn an_unreachable_xpm_is_a_clear_error_and_writes_nothing() {
    let s = connected_then_xpm_unreachable().await;
    let admin = s.api(&s.fx.a_admin_token);
    let before = checks::activity(&admin).await.len();
    let john = demo_id(3, 3).to_string();
    let started = std::time::Instant::now();
    let r = admin.sync(&john, None).await;
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "an unreachable XPM is noticed in bounded time"
    );
    assert!(
        r.status >= 500 || r.json()["complete"] == false,
        "{} {}",
        r.status,
        r.text
    );
    let detail = r.json()["detail"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| r.text.clone());
    assert!(!detail.is_empty());
    println!("unreachable XPM: {} {detail}", r.status);
    // The status page says so too, and the connection is not thrown away.
    let status = admin.get("/api/integration").await;
    assert!(
        status.status == 200 || status.status >= 500,
        "{}",
        status.text
    );
    let entries = checks::activity(&admin).await;
    let writes = entries
        .iter()
        .take(entries.len() - before)
        .filter(|e| e["kind"] == "client_created")
        .count();
    assert_eq!(writes, 0);
    assert!(
        s.log().to_lowercase().contains("error") || s.log().contains("WARN"),
        "the log says it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_going_away_mid_sync_is_a_clear_error_and_a_later_sync_converges() {
    let s = Served::start(ServedOptions::default()).await;
    s.connect_a().await;
    let tenant: uuid::Uuid = sim_demo::TENANT_ID.parse().expect("uuid");
    let ctl = s.sim.control().clone();
    let admin = s.api(&s.fx.a_admin_token);
    let john = demo_id(3, 3).to_string();
    ctl.add_fault(latency(400));
    let sync = {
        let admin = admin.clone();
        let john = john.clone();
        tokio::spawn(async move { admin.sync(&john, None).await })
    };
    // While the sync waits on XPM, every database session ends.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let ended = s.db.terminate_connections().await;
    assert!(ended > 0, "the app had sessions to end");
    let r = sync.await.expect("sync task");
    ctl.clear_faults();
    println!(
        "database sessions ended mid-sync: {ended}; the sync answered {} {}",
        r.status,
        r.text.chars().take(300).collect::<String>()
    );
    if r.status != 200 {
        assert!(
            r.json()["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{}",
            r.text
        );
    }
    // The pool reconnects: a later sync converges, with one John in XPM.
    let done = checks::sync_to_completion(&admin, &john).await;
    assert_eq!(done["complete"], true);
    assert!(
        checks::duplicate_clients(&ctl, tenant).is_empty(),
        "{:?}",
        checks::duplicate_clients(&ctl, tenant)
    );

    // Then the database disappears altogether.
    let trust = demo_id(3, 4).to_string();
    ctl.add_fault(latency(400));
    let sync = {
        let admin = admin.clone();
        tokio::spawn(async move { admin.sync(&trust, None).await })
    };
    tokio::time::sleep(Duration::from_millis(250)).await;
    s.db.remove().await;
    let r = sync.await.expect("sync task");
    println!(
        "database dropped mid-sync: the sync answered {} {}",
        r.status,
        r.text.chars().take(300).collect::<String>()
    );
    assert!(r.status == 200 || r.status >= 500, "{}", r.text);
    let r = admin.get("/api/clients").await;
    assert!(r.status >= 500, "{} {}", r.status, r.text);
    assert!(
        r.json()["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{}",
        r.text
    );
    let ready = s
        .http
        .get(format!("{}/readyz", s.url()))
        .send()
        .await
        .expect("readyz");
    assert!(
        !ready.status().is_success(),
        "readyz says the database is gone"
    );
    let log = s.log();
    assert!(
        log.contains("ERROR") || log.contains("error"),
        "the log says it"
    );
}

const MOUNT: &str = "/tmp/pmhub-rel-full-disk";

/// A 1 MiB tmpfs (root only); the test fails with what to do when it cannot mount.
fn tiny_disk(name: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(format!("{MOUNT}-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mount point");
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&dir)
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "cannot mount a 1 MiB tmpfs at {} (this test needs root)",
        dir.display()
    );
    dir
}

fn fill(dir: &std::path::Path) -> std::path::PathBuf {
    let filler = dir.join("filler");
    let mut f = std::fs::File::create(&filler).expect("filler");
    let block = vec![0u8; 4096];
    while std::io::Write::write_all(&mut f, &block).is_ok() {}
    let _ = f.sync_all();
    filler
}

struct Unmount(std::path::PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_under_sqlite_is_a_clear_error_and_nothing_is_half_written() {
    let mount = tiny_disk("sqlite");
    let _unmount = Unmount(mount.clone());
    let w = World::sqlite_in(mount.join("db"), Options::default()).await;
    w.connect_a().await;
    let tenant: uuid::Uuid = sim_demo::TENANT_ID.parse().expect("uuid");
    let ctl = w.sim.control().clone();
    let admin = w.api(&w.fx.a_admin_token);
    let clients_before = admin.get("/api/clients").await.json();
    let filler = fill(&mount);

    let r = admin.post("/api/clients", &json!({"name": "Disk Full Pty Ltd", "kind": "organisation", "businessStructure": "Company"})).await;
    println!("create on a full disk: {} {}", r.status, r.text);
    assert!(r.status >= 500, "{} {}", r.status, r.text);
    assert!(
        r.json()["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{}",
        r.text
    );
    // A sync: XPM may take the write, the app cannot record it.
    let john = demo_id(3, 3).to_string();
    let r = admin.sync(&john, None).await;
    println!(
        "sync on a full disk: {} {}",
        r.status,
        r.text.chars().take(400).collect::<String>()
    );
    assert!(
        r.status >= 500 || r.json()["complete"] == false,
        "{} {}",
        r.status,
        r.text
    );

    std::fs::remove_file(filler).expect("free the disk");
    assert_eq!(
        clients_before,
        admin.get("/api/clients").await.json(),
        "nothing half-written"
    );
    let done = checks::sync_to_completion(&admin, &john).await;
    assert_eq!(done["complete"], true);
    let dups = checks::duplicate_clients(&ctl, tenant);
    assert!(dups.is_empty(), "a full disk made a duplicate: {dups:?}");
}

/// What a page must not show: internals or secrets.
fn assert_no_internals(page: &str, s: &Served, what: &str) {
    let lower = words(page).to_lowercase();
    for internal in [
        "panicked",
        "backtrace",
        ".rs:",
        "sqlx",
        "reqwest",
        "hyper",
        "error returned from database",
        "pool timed out",
        "postgres://",
        "pmhub_rel_",
        "error {",
    ] {
        assert!(
            !lower.contains(internal),
            "{what} shows internals ({internal}):\n{page}"
        );
    }
    for secret in [
        sim_demo::CLIENT_SECRET,
        s.config.token_key_base64.as_str(),
        s.fx.a_admin_token.as_str(),
    ] {
        assert!(!page.contains(secret), "{what} shows a secret:\n{page}");
    }
}

/// The text a person reads on a page (tags and the style sheet left out).
fn words(html: &str) -> String {
    let body = html.split("</style>").last().unwrap_or(html);
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Says, in words, that XPM (or Xero) could not be reached.
fn names_unreachable_xpm(text: &str) -> bool {
    let lower = text.to_lowercase();
    (lower.contains("xpm") || lower.contains("xero"))
        && (lower.contains("could not be reached")
            || lower.contains("unreachable")
            || lower.contains("is unavailable"))
}

/// The CSRF field of the session, from the clients page (no XPM call).
async fn csrf_of(b: &Browser) -> String {
    let html = b.get("/clients").await.text().await.unwrap_or_default();
    reliability_tests::browser::hidden(&html, "csrf").unwrap_or_else(|| panic!("no csrf in {html}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_xpm_is_named_on_the_pages_and_nothing_is_written() {
    let s = connected_then_xpm_unreachable().await;
    let admin = s.api(&s.fx.a_admin_token);
    let before = checks::activity(&admin).await.len();
    let journal_before = s.sim.control().journal_all().len();
    let b = Browser::logged_in(
        &s.url(),
        pmhub_xpm::demo::ADMIN_EMAIL,
        pmhub_xpm::demo::ADMIN_PASSWORD,
    )
    .await;
    let csrf = csrf_of(&b).await;
    let john = demo_id(3, 3).to_string();

    // The client's page: its preview needs XPM.
    let r = b.get(&format!("/clients/{john}")).await;
    let status = r.status().as_u16();
    let page = r.text().await.unwrap_or_default();
    println!("client page, XPM unreachable: {status} {}", words(&page));
    assert!(
        matches!(status, 200 | 502 | 503),
        "client page: {status}\n{page}"
    );
    assert!(names_unreachable_xpm(&words(&page)), "client page:\n{page}");
    assert_no_internals(&page, &s, "the client page");

    // Pressing Sync.
    let started = std::time::Instant::now();
    let r = b
        .post_form(&format!("/clients/{john}/sync"), &[("csrf", &csrf)])
        .await;
    let status = r.status().as_u16();
    let page = r.text().await.unwrap_or_default();
    println!(
        "Sync pressed, XPM unreachable: {status} after {:?}: {}",
        started.elapsed(),
        words(&page)
    );
    assert!(
        matches!(status, 502..=504),
        "an unreachable XPM is a gateway error, not {status}:\n{page}"
    );
    assert!(
        names_unreachable_xpm(&words(&page)),
        "the Sync answer names the problem:\n{page}"
    );
    assert!(
        words(&page).contains("Not synced"),
        "the Sync answer says nothing was synced:\n{page}"
    );
    assert_no_internals(&page, &s, "the Sync answer");

    // The integration status page: it asks Xero.
    let r = b.get("/integrations/xpm").await;
    let status = r.status().as_u16();
    let page = r.text().await.unwrap_or_default();
    println!(
        "integration page, XPM unreachable: {status} {}",
        words(&page)
    );
    assert!(matches!(status, 200 | 502 | 503), "{status}\n{page}");
    assert!(
        names_unreachable_xpm(&words(&page)),
        "the status page says XPM could not be reached:\n{page}"
    );
    assert_no_internals(&page, &s, "the integration page");

    // The log has a line for it.
    let log = s.log();
    let said = log.lines().any(|l| {
        (l.contains("WARN") || l.contains("ERROR"))
            && (l.contains("unavailable") || l.contains("could not be"))
    });
    assert!(
        said,
        "no WARN or ERROR line for the unreachable XPM:\n{log}"
    );

    // Nothing half-written: no entry claims a write, the connection is
    // kept, and no call reached the sim.
    let entries = checks::activity(&admin).await;
    let new: Vec<_> = entries.iter().take(entries.len() - before).collect();
    let claims = new
        .iter()
        .filter(|e| {
            let kind = e["kind"].as_str().unwrap_or_default();
            kind.starts_with("client_") || kind.starts_with("relationship_")
        })
        .count();
    assert_eq!(claims, 0, "entries claiming a write: {new:?}");
    // The API's status keeps the state and says it is not confirmed, and why.
    let status = admin.get("/api/integration").await.json();
    assert_eq!(status["status"], "Connected", "{status}");
    let unconfirmed = status["unconfirmed"].as_str().unwrap_or_default();
    assert!(
        unconfirmed.contains("could not be asked") && unconfirmed.contains("unavailable"),
        "{status}"
    );
    assert_eq!(s.sim.control().journal_all().len(), journal_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_is_named_on_the_pages_with_a_503() {
    let s = Served::start(ServedOptions::default()).await;
    s.connect_a().await;
    let ctl = s.sim.control().clone();
    let b = Browser::logged_in(
        &s.url(),
        pmhub_xpm::demo::ADMIN_EMAIL,
        pmhub_xpm::demo::ADMIN_PASSWORD,
    )
    .await;
    let csrf = csrf_of(&b).await;
    let john = demo_id(3, 3).to_string();
    // Sync pressed while XPM is slow; the database goes away meanwhile.
    ctl.add_fault(latency(800));
    let pressed = {
        let b = b.clone();
        let csrf = csrf.clone();
        let john = john.clone();
        tokio::spawn(async move {
            let r = b
                .post_form(&format!("/clients/{john}/sync"), &[("csrf", &csrf)])
                .await;
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        })
    };
    // The sync is waiting on XPM once its first call has arrived there.
    let waited = std::time::Instant::now();
    while ctl.faults().iter().all(|f| f.fired == 0) {
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "the sync never called XPM"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    s.db.remove().await;
    let (status, page) = pressed.await.expect("sync press");
    ctl.clear_faults();
    println!(
        "Sync pressed, database dropped mid-sync: {status} {}",
        words(&page)
    );
    let mut answers = vec![(
        "the Sync pressed as the database went".to_owned(),
        status,
        page,
    )];
    for path in [
        "/clients".to_owned(),
        format!("/clients/{john}"),
        "/integrations/xpm".to_owned(),
        "/activity".to_owned(),
    ] {
        let r = b.get(&path).await;
        answers.push((
            format!("GET {path}"),
            r.status().as_u16(),
            r.text().await.unwrap_or_default(),
        ));
    }
    let r = b
        .post_form(&format!("/clients/{john}/sync"), &[("csrf", &csrf)])
        .await;
    answers.push((
        "Sync pressed again".to_owned(),
        r.status().as_u16(),
        r.text().await.unwrap_or_default(),
    ));
    for (what, status, page) in &answers {
        let text = words(page);
        println!("database gone, {what}: {status} {text}");
        assert_eq!(*status, 503, "{what}: {status}\n{page}");
        let lower = text.to_lowercase();
        assert!(
            lower.contains("database") && lower.contains("unavailable"),
            "{what} does not name the database:\n{page}"
        );
        assert_no_internals(page, &s, what);
    }
    let log = s.log();
    assert!(
        log.lines()
            .any(|l| l.contains("ERROR") && l.to_lowercase().contains("unavailable")),
        "no ERROR line for the lost database:\n{log}"
    );
}
