//! The store contract on SQLite, and what only SQLite can show, on a fresh
//! database file per test.

use domain::ports::{ActivityLog, ConnectionStore, PracticeStore, TokenSet};
use secrecy::SecretString;
use sql_store::{SqliteStore, TokenKey};
use store_contract::Fixture;
use test_db::SqliteFile;

async fn fresh() -> (SqliteStore, SqliteFile) {
    let file = SqliteFile::new("pmhub-xpm-test");
    let store = SqliteStore::connect(&file.url(), &TokenKey::generate())
        .await
        .expect("open SQLite");
    store.migrate().await.expect("migrate");
    (store, file)
}

store_contract::store_contract_tests!(fresh());

#[tokio::test]
async fn stored_token_bytes_do_not_contain_the_tokens() {
    let (store, file) = fresh().await;
    let f = Fixture::new(1);
    store.save_practice(&f.practice()).await.unwrap();
    let tokens = TokenSet {
        access_token: SecretString::from("ACCESS-TOKEN-VALUE"),
        refresh_token: SecretString::from("REFRESH-TOKEN-VALUE"),
        access_expires_at: time::OffsetDateTime::UNIX_EPOCH,
    };
    store.save_tokens(f.practice_id(), &tokens).await.unwrap();
    store.close().await;
    let bytes = [std::fs::read(&file.path).unwrap_or_default(), {
        let mut wal = file.path.clone().into_os_string();
        wal.push("-wal");
        std::fs::read(wal).unwrap_or_default()
    }]
    .concat();
    assert!(!bytes.is_empty());
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains("TOKEN-VALUE"),
        "a token is stored in clear text"
    );
    file.remove();
}

#[tokio::test]
async fn the_activity_log_refuses_updates_and_deletes_even_in_sql() {
    let (store, file) = fresh().await;
    let f = Fixture::new(1);
    store.save_practice(&f.practice()).await.unwrap();
    let entry = f.entry(
        1,
        None,
        time::OffsetDateTime::UNIX_EPOCH,
        domain::activity::ActivityKind::PushOptionsChanged,
    );
    store.append(&[entry]).await.unwrap();
    for sql in [
        "UPDATE activity_log SET kind = 'x'",
        "DELETE FROM activity_log",
    ] {
        let err = sqlx::query(sql).execute(store.pool()).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    file.remove();
}

#[tokio::test]
async fn tokens_sealed_under_another_key_are_a_clear_error() {
    let (store, file) = fresh().await;
    let f = Fixture::new(1);
    store.save_practice(&f.practice()).await.unwrap();
    store
        .save_tokens(
            f.practice_id(),
            &TokenSet {
                access_token: SecretString::from("a"),
                refresh_token: SecretString::from("r"),
                access_expires_at: time::OffsetDateTime::UNIX_EPOCH,
            },
        )
        .await
        .unwrap();
    store.close().await;
    let other = SqliteStore::connect(&file.url(), &TokenKey::generate())
        .await
        .unwrap();
    let err = other.tokens(f.practice_id()).await.unwrap_err();
    assert!(err.to_string().contains("token key"), "{err}");
    other.close().await;
    file.remove();
}

#[tokio::test]
async fn intents_and_activity_survive_the_process_going_away() {
    use domain::ports::SyncRecordStore;
    use domain::sync::PendingOperation;
    let (store, file) = fresh().await;
    let key = TokenKey::generate();
    let f = Fixture::new(1);
    store.save_practice(&f.practice()).await.unwrap();
    let create = PendingOperation::CreateClient {
        known_look_alikes: vec![],
        sent_name: None,
        started_at: None,
    };
    store
        .begin_operation(f.practice_id(), f.client_id(1), f.tenant(1), &create)
        .await
        .unwrap();
    let entry = f.entry(
        1,
        Some(f.client_id(1)),
        time::OffsetDateTime::UNIX_EPOCH,
        domain::activity::ActivityKind::PushOptionsChanged,
    );
    store.append(std::slice::from_ref(&entry)).await.unwrap();
    // No orderly shutdown: the pool is dropped as a killed process would leave it.
    drop(store);
    let reopened = SqliteStore::connect(&file.url(), &key).await.unwrap();
    assert_eq!(
        reopened
            .pending_operations(f.practice_id(), f.client_id(1), f.tenant(1))
            .await
            .unwrap(),
        [create]
    );
    let read = reopened
        .read(
            f.practice_id(),
            &Default::default(),
            domain::ports::ActivityPage {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(read, [entry]);
    reopened.close().await;
    file.remove();
}
