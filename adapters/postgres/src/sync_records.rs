use domain::ids::{ClientId, PracticeId, XpmTenantId};
use domain::ports::{StoreError, SyncRecordStore};
use domain::sync::{PendingOperation, SyncRecord};
use sqlx::Row;
use store_row_format::{decode, encode};

use crate::{PostgresStore, db};
use store_row_format::owned;

/// Holds a transaction-level advisory lock: on one client's syncs, or on one
/// practice's token renewals. Dropping it ends the transaction, which
/// releases the lock; a crashed process's lock goes with its connection.
#[derive(Debug)]
pub struct PgSyncGuard(Option<sqlx::Transaction<'static, sqlx::Postgres>>);

impl Drop for PgSyncGuard {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            // Roll back now rather than whenever the pool next uses the
            // connection, so a waiting sync goes on at once.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = tx.rollback().await;
                });
            }
        }
    }
}

/// What an advisory lock is held on. Client syncs use PostgreSQL's one-key
/// (bigint) lock space and token renewals its two-key space, which never
/// conflict, so a sync can renew its practice's tokens while it holds its
/// client's lock.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AdvisoryLock {
    ClientSync(PracticeId, ClientId),
    TokenRenewal(PracticeId),
}

/// The first key of every token-renewal lock ("TOKN").
const TOKEN_RENEWAL_SPACE: i32 = 0x544f_4b4e;

impl AdvisoryLock {
    fn query(
        self,
        wait: bool,
    ) -> sqlx::query::Query<'static, sqlx::Postgres, sqlx::postgres::PgArguments> {
        match self {
            Self::ClientSync(practice, client) => {
                let (p, c) = (
                    practice.as_uuid().as_u64_pair(),
                    client.as_uuid().as_u64_pair(),
                );
                let key = i64::from_ne_bytes((p.0 ^ p.1 ^ c.0.rotate_left(17) ^ c.1).to_ne_bytes());
                sqlx::query(if wait {
                    "SELECT pg_advisory_xact_lock($1)"
                } else {
                    "SELECT pg_try_advisory_xact_lock($1)"
                })
                .bind(key)
            }
            Self::TokenRenewal(practice) => {
                let (hi, lo) = practice.as_uuid().as_u64_pair();
                let folded = hi ^ lo;
                let key = i32::from_ne_bytes(((folded >> 32) as u32 ^ folded as u32).to_ne_bytes());
                sqlx::query(if wait {
                    "SELECT pg_advisory_xact_lock($1, $2)"
                } else {
                    "SELECT pg_try_advisory_xact_lock($1, $2)"
                })
                .bind(TOKEN_RENEWAL_SPACE)
                .bind(key)
            }
        }
    }
}

impl PostgresStore {
    /// Takes `lock` in a transaction on the lock pool (so waiting holds
    /// none of the connections the running syncs need); answers whether it
    /// had to wait.
    pub(crate) async fn advisory_lock(
        &self,
        lock: AdvisoryLock,
    ) -> Result<(PgSyncGuard, bool), StoreError> {
        let mut tx = self.lock_pool.begin().await.map_err(db)?;
        let got: bool = lock
            .query(false)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?
            .get(0);
        if !got {
            lock.query(true).execute(&mut *tx).await.map_err(db)?;
        }
        Ok((PgSyncGuard(Some(tx)), !got))
    }
}

impl SyncRecordStore for PostgresStore {
    type SyncGuard = PgSyncGuard;

    async fn lock_client_sync(
        &self,
        practice: PracticeId,
        client: ClientId,
    ) -> Result<(Self::SyncGuard, bool), StoreError> {
        self.advisory_lock(AdvisoryLock::ClientSync(practice, client))
            .await
    }

    async fn record(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
    ) -> Result<Option<SyncRecord>, StoreError> {
        let row = sqlx::query("SELECT body::text AS body FROM sync_records WHERE practice_id = $1 AND client_id = $2 AND tenant_id = $3")
            .bind(practice.as_uuid())
            .bind(client.as_uuid())
            .bind(tenant.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|r| decode("sync record", r.get("body")))
            .transpose()
    }

    async fn records_in(
        &self,
        practice: PracticeId,
        tenant: XpmTenantId,
    ) -> Result<Vec<SyncRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT body::text AS body FROM sync_records WHERE practice_id = $1 AND tenant_id = $2",
        )
        .bind(practice.as_uuid())
        .bind(tenant.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| decode("sync record", r.get("body")))
            .collect()
    }

    async fn save_record(&self, record: &SyncRecord) -> Result<(), StoreError> {
        let result = sqlx::query(
            "INSERT INTO sync_records (practice_id, client_id, tenant_id, body) VALUES ($1, $2, $3, $4::jsonb)
             ON CONFLICT (client_id, tenant_id) DO UPDATE SET body = excluded.body
             WHERE sync_records.practice_id = excluded.practice_id",
        )
        .bind(record.practice.as_uuid())
        .bind(record.client.as_uuid())
        .bind(record.tenant.as_uuid())
        .bind(encode(record)?)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        owned(result.rows_affected(), "this sync record")
    }

    async fn begin_operation(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
        operation: &PendingOperation,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO pending_operations (practice_id, client_id, tenant_id, body) VALUES ($1, $2, $3, $4::jsonb)")
            .bind(practice.as_uuid())
            .bind(client.as_uuid())
            .bind(tenant.as_uuid())
            .bind(encode(operation)?)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn finish_operations(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM pending_operations WHERE practice_id = $1 AND client_id = $2 AND tenant_id = $3")
            .bind(practice.as_uuid())
            .bind(client.as_uuid())
            .bind(tenant.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn forget_record(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
    ) -> Result<(), StoreError> {
        // One transaction: an Unlink that fails half way leaves the link
        // whole, never a record without its notes or notes without it.
        let mut tx = self.pool.begin().await.map_err(db)?;
        for sql in [
            "DELETE FROM pending_operations WHERE practice_id = $1 AND client_id = $2 AND tenant_id = $3",
            "DELETE FROM sync_records WHERE practice_id = $1 AND client_id = $2 AND tenant_id = $3",
        ] {
            sqlx::query(sql)
                .bind(practice.as_uuid())
                .bind(client.as_uuid())
                .bind(tenant.as_uuid())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn pending_operations(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
    ) -> Result<Vec<PendingOperation>, StoreError> {
        let rows = sqlx::query(
            "SELECT body::text AS body FROM pending_operations WHERE practice_id = $1 AND client_id = $2 AND tenant_id = $3 ORDER BY seq",
        )
        .bind(practice.as_uuid())
        .bind(client.as_uuid())
        .bind(tenant.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| decode("pending operation", r.get("body")))
            .collect()
    }
}
