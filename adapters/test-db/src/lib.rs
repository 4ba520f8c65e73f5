//! Databases for tests, like crates.io's `crates_io_test_db`.
//!
//! [`PgDatabase::migrated`] clones a template database that is migrated
//! once per set of migrations (its name carries their hash), so a test gets
//! a ready schema with one `CREATE DATABASE ... TEMPLATE`. Building the
//! template is serialised by an advisory lock and done under another name,
//! renamed when complete, so the many test processes nextest runs at once
//! never see half a template. [`SqliteFile`] is a fresh file path.
//!
//! The server is `DATABASE_URL` (default the local one). When it is down
//! the tests fail, saying how to start it: they never skip.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The key of the advisory lock held while a template is built.
const TEMPLATE_LOCK: i64 = 0x706d_6875_625f_7464; // "pmhub_td"

/// The server the tests use: `DATABASE_URL`, or the local one.
pub fn server_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// The same server, another database.
pub fn url_of(database: &str) -> String {
    let server = server_url();
    let base = server
        .rsplit_once('/')
        .map_or(server.as_str(), |(base, _)| base);
    format!("{base}/{database}")
}

/// A connection to the server's own database; panics with how to start
/// PostgreSQL when it is not reachable.
pub async fn admin() -> PgConnection {
    let url = server_url();
    PgConnection::connect(&url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {url} ({e}). These tests need it: start it with \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, \
             or point DATABASE_URL at another server."
        )
    })
}

/// Runs one statement naming only databases of ours (hex digits and
/// underscores: safe to put in the text).
async fn run(admin: &mut PgConnection, statement: String) -> sqlx::Result<()> {
    sqlx::query(AssertSqlSafe(statement))
        .execute(admin)
        .await
        .map(drop)
}

/// A PostgreSQL database of one test's own. It is dropped (with FORCE) by
/// [`PgDatabase::remove`], or else when the handle is dropped, even when
/// the test panics.
#[derive(Debug)]
pub struct PgDatabase {
    pub name: String,
    pub url: String,
    removed: AtomicBool,
}

impl PgDatabase {
    /// A new database with no tables.
    pub async fn empty(prefix: &str) -> Self {
        Self::create(prefix, None).await
    }

    /// A new database with every migration of `migrator` applied.
    pub async fn migrated(prefix: &str, migrator: &'static Migrator) -> Self {
        let template = template(migrator).await;
        Self::create(prefix, Some(&template)).await
    }

    async fn create(prefix: &str, template: Option<&str>) -> Self {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let from = template
            .map(|t| format!(" TEMPLATE \"{t}\""))
            .unwrap_or_default();
        let mut admin = admin().await;
        // A clone fails while anyone else is connected to the template (its
        // builder closing, another clone starting): try again shortly.
        for attempt in 1.. {
            match run(&mut admin, format!("CREATE DATABASE \"{name}\"{from}")).await {
                Ok(()) => break,
                Err(_) if attempt < 50 => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) => panic!("cannot create the test database {name}: {e}"),
            }
        }
        let url = url_of(&name);
        Self {
            name,
            url,
            removed: AtomicBool::new(false),
        }
    }

    /// Ends every session on this database (the database "goes away" for
    /// whoever was using it). Answers how many were ended.
    pub async fn terminate_connections(&self) -> i64 {
        let mut admin = admin().await;
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()) t",
        )
        .bind(&self.name)
        .fetch_one(&mut admin)
        .await
        .expect("terminate backends")
    }

    /// Drops the database now (with FORCE), while its users may still run.
    pub async fn remove(&self) {
        let mut admin = admin().await;
        run(
            &mut admin,
            format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
        )
        .await
        .expect("drop the test database");
        self.removed.store(true, Ordering::Relaxed);
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if self.removed.load(Ordering::Relaxed) {
            return;
        }
        let name = self.name.clone();
        // Drop may run inside a runtime: do the async work on a thread of its own.
        let done = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut admin) = PgConnection::connect(&server_url()).await {
                    let _ = run(
                        &mut admin,
                        format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                    )
                    .await;
                }
            });
        });
        let _ = done.join();
    }
}

/// The templates this process has made sure of.
static TEMPLATES: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// The name of the template database holding `migrator`'s migrations,
/// built first if no process has built it yet.
async fn template(migrator: &'static Migrator) -> String {
    let mut hasher = DefaultHasher::new();
    for migration in migrator.iter() {
        (migration.version, &migration.checksum[..]).hash(&mut hasher);
    }
    let name = format!("pmhub_test_template_{:016x}", hasher.finish());
    let known = |set: &mut Option<HashSet<String>>| set.get_or_insert_default().contains(&name);
    if known(&mut TEMPLATES.lock().unwrap_or_else(|e| e.into_inner())) {
        return name;
    }
    let mut admin = admin().await;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(TEMPLATE_LOCK)
        .execute(&mut admin)
        .await
        .expect("lock templates");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await
            .expect("look for the template");
    if !exists {
        build(&mut admin, &name, migrator).await;
    }
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(TEMPLATE_LOCK)
        .execute(&mut admin)
        .await
        .expect("unlock templates");
    TEMPLATES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_default()
        .insert(name.clone());
    name
}

/// Migrates a database under a building name (any left by a crashed build
/// is dropped first), then gives it the template's name.
async fn build(admin: &mut PgConnection, name: &str, migrator: &'static Migrator) {
    let building = format!("{name}_building");
    let fail = |what: &str, e: &dyn std::fmt::Display| -> ! {
        panic!("cannot {what} the test template {name}: {e}")
    };
    run(
        admin,
        format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"),
    )
    .await
    .unwrap_or_else(|e| fail("clear", &e));
    run(admin, format!("CREATE DATABASE \"{building}\""))
        .await
        .unwrap_or_else(|e| fail("create", &e));
    let mut conn = PgConnection::connect(&url_of(&building))
        .await
        .unwrap_or_else(|e| fail("connect to", &e));
    migrator
        .run(&mut conn)
        .await
        .unwrap_or_else(|e| fail("migrate", &e));
    conn.close().await.unwrap_or_else(|e| fail("close", &e));
    run(
        admin,
        format!("ALTER DATABASE \"{building}\" RENAME TO \"{name}\""),
    )
    .await
    .unwrap_or_else(|e| fail("name", &e));
}

/// A fresh SQLite file path, removed with its WAL files by
/// [`SqliteFile::remove`] or on drop.
#[derive(Debug)]
pub struct SqliteFile {
    pub path: PathBuf,
}

impl SqliteFile {
    pub fn new(prefix: &str) -> Self {
        let file = format!("{prefix}-{}.db", uuid::Uuid::new_v4().simple());
        Self {
            path: std::env::temp_dir().join(file),
        }
    }

    pub fn url(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }

    pub fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        self.remove();
    }
}
