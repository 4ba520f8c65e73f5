//! The store contract on PostgreSQL, and what only Postgres can show, each
//! test on a database of its own (cloned from the migrated template, dropped
//! after), so tests run in parallel and leave nothing behind.

use domain::ports::{ActivityLog, ConnectionStore, PracticeStore, TokenSet};
use secrecy::SecretString;
use sql_store::{PostgresStore, TokenKey};
use store_contract::Fixture;
use test_db::PgDatabase;

async fn fresh() -> (PostgresStore, PgDatabase) {
    let database = PgDatabase::migrated("pmhub_xpm_test", &sql_store::postgres::MIGRATOR).await;
    let store = PostgresStore::connect(&database.url, &TokenKey::generate())
        .await
        .expect("connect to the test database");
    store.migrate().await.expect("migrate");
    (store, database)
}

store_contract::store_contract_tests!(fresh());

#[tokio::test]
async fn stored_token_bytes_do_not_contain_the_tokens() {
    let (store, database) = fresh().await;
    let f = Fixture::new(1);
    store.save_practice(&f.practice()).await.unwrap();
    let tokens = TokenSet {
        access_token: SecretString::from("ACCESS-TOKEN-VALUE"),
        refresh_token: SecretString::from("REFRESH-TOKEN-VALUE"),
        access_expires_at: time::OffsetDateTime::UNIX_EPOCH,
    };
    store.save_tokens(f.practice_id(), &tokens).await.unwrap();
    let rows: Vec<Vec<u8>> = sqlx::query_scalar("SELECT sealed FROM connection_tokens")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!String::from_utf8_lossy(&rows[0]).contains("TOKEN-VALUE"));
    store.close().await;
    database.remove().await;
}

#[tokio::test]
async fn the_activity_log_refuses_updates_deletes_and_truncation_even_in_sql() {
    let (store, database) = fresh().await;
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
        "TRUNCATE activity_log",
    ] {
        let err = sqlx::query(sql).execute(store.pool()).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    store.close().await;
    database.remove().await;
}

#[tokio::test]
async fn a_sync_lock_is_held_across_connections_until_released() {
    let (store, database) = fresh().await;
    let f = Fixture::new(1);
    store.save_practice(&f.practice()).await.unwrap();
    let client = f.client_id(1);
    let other_process = PostgresStore::connect(&database.url, &TokenKey::generate())
        .await
        .unwrap();
    let (guard, _) =
        domain::ports::SyncRecordStore::lock_client_sync(&store, f.practice_id(), client)
            .await
            .unwrap();
    let waiting = tokio::spawn(async move {
        let (_guard, waited) = domain::ports::SyncRecordStore::lock_client_sync(
            &other_process,
            f.practice_id(),
            client,
        )
        .await
        .unwrap();
        waited
    });
    // Release only once Postgres shows the second holder waiting.
    let mut waiters = 0;
    for _ in 0..500 {
        waiters = sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        if waiters > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(waiters, 1, "the second holder never queued for the lock");
    drop(guard);
    assert!(
        waiting.await.unwrap(),
        "the second holder waited for the first"
    );
    store.close().await;
    database.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_concurrent_syncs_than_pooled_connections_do_not_starve_each_other() {
    use domain::ports::{ClientStore, SyncRecordStore};
    let (store, database) = fresh().await;
    let f = Fixture::new(1);
    store.save_practice(&f.practice()).await.unwrap();
    // 40 syncs of 40 clients at once, each holding its lock while it reads and
    // writes through the store, as a sync does: more than the 16 connections
    // of the data pool.
    let mut tasks = Vec::new();
    for i in 0..40u128 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let (_guard, _) = store
                .lock_client_sync(f.practice_id(), f.client_id(i))
                .await?;
            store
                .save_client(&f.company(i, &format!("Client {i}")))
                .await?;
            tokio::task::yield_now().await;
            store.client(f.practice_id(), f.client_id(i)).await
        }));
    }
    for task in tasks {
        assert!(task.await.expect("task").expect("store call").is_some());
    }
    store.close().await;
    database.remove().await;
}
