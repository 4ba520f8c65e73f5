//! The handlers' layering, kept by reading their sources: page and API
//! handlers (and the extractors in `auth`, and the probes in `ops`) reach data through the domain's
//! use cases only, and the error pages stay a leaf.

use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<PathBuf> {
    if dir.is_file() {
        return vec![dir.to_path_buf()];
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

fn src(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(folder)
}

/// What only a store-reading handler would write: the state's store, the
/// use cases' stores, or a store port by name.
const STORE_ACCESS: &[&str] = &[
    "store()",
    ".stores",
    "AccountStore",
    "ActivityLog",
    "ClientStore",
    "ConnectionStore",
    "PracticeStore",
    "SettingsStore",
    "SyncRecordStore",
    "sql_store",
    "SqlStore",
    "PostgresStore",
    "SqliteStore",
];

#[test]
fn no_handler_touches_a_store() {
    let mut found = Vec::new();
    for folder in ["web", "api", "auth", "ops.rs", "server.rs"] {
        for file in sources(&src(folder)) {
            let text = std::fs::read_to_string(&file).expect("a source file");
            for (n, line) in text.lines().enumerate() {
                for needle in STORE_ACCESS {
                    if line.contains(needle) {
                        found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "handlers must call a use case, not a store:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_error_pages_are_a_leaf() {
    let text = std::fs::read_to_string(src("web").join("error_page.rs")).expect("error_page.rs");
    for needle in ["crate::web", "crate::api", "crate::auth", "super::"] {
        assert!(!text.contains(needle), "error_page.rs imports {needle}");
    }
}

/// The pages and the API share what both read from people (`input`,
/// `activity_log`) and how errors are told (`problem`); neither reaches into
/// the other's handlers. (`activity_log` names the API's schema functions
/// in its `IntoParams` derive: the document's, not a handler's.)
#[test]
fn the_pages_and_the_api_do_not_import_each_other() {
    for (folder, other) in [("web", "crate::api"), ("api", "crate::web")] {
        for file in sources(&src(folder)) {
            let text = std::fs::read_to_string(&file).expect("a source file");
            assert!(!text.contains(other), "{} imports {other}", file.display());
        }
    }
    for shared in ["problem.rs", "input.rs", "activity_log.rs"] {
        let text = std::fs::read_to_string(src(shared)).expect("a shared module");
        for needle in ["crate::web", "crate::api::activity", "crate::api::clients"] {
            assert!(!text.contains(needle), "{shared} imports {needle}");
        }
    }
}
