use domain::ids::{ClientId, PracticeId, XpmTenantId};
use domain::ports::{StoreError, SyncRecordStore};
use domain::sync::{PendingOperation, SyncRecord};
use sqlx::Row;
use store_row_format::{decode, encode};

use crate::{SqliteStore, db, lock_of};
use store_row_format::owned;

impl SyncRecordStore for SqliteStore {
    type SyncGuard = tokio::sync::OwnedMutexGuard<()>;

    async fn lock_client_sync(
        &self,
        practice: PracticeId,
        client: ClientId,
    ) -> Result<(Self::SyncGuard, bool), StoreError> {
        let lock = lock_of(&self.sync_locks, (practice, client))?;
        match lock.clone().try_lock_owned() {
            Ok(guard) => Ok((guard, false)),
            Err(_) => Ok((lock.lock_owned().await, true)),
        }
    }

    async fn record(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
    ) -> Result<Option<SyncRecord>, StoreError> {
        let row = sqlx::query("SELECT body FROM sync_records WHERE practice_id = ?1 AND client_id = ?2 AND tenant_id = ?3")
            .bind(practice.to_string())
            .bind(client.to_string())
            .bind(tenant.to_string())
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
        let rows =
            sqlx::query("SELECT body FROM sync_records WHERE practice_id = ?1 AND tenant_id = ?2")
                .bind(practice.to_string())
                .bind(tenant.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.iter()
            .map(|r| decode("sync record", r.get("body")))
            .collect()
    }

    async fn save_record(&self, record: &SyncRecord) -> Result<(), StoreError> {
        let result = sqlx::query(
            "INSERT INTO sync_records (practice_id, client_id, tenant_id, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (client_id, tenant_id) DO UPDATE SET body = excluded.body
             WHERE sync_records.practice_id = excluded.practice_id",
        )
        .bind(record.practice.to_string())
        .bind(record.client.to_string())
        .bind(record.tenant.to_string())
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
        sqlx::query("INSERT INTO pending_operations (practice_id, client_id, tenant_id, body) VALUES (?1, ?2, ?3, ?4)")
            .bind(practice.to_string())
            .bind(client.to_string())
            .bind(tenant.to_string())
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
        sqlx::query("DELETE FROM pending_operations WHERE practice_id = ?1 AND client_id = ?2 AND tenant_id = ?3")
            .bind(practice.to_string())
            .bind(client.to_string())
            .bind(tenant.to_string())
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
            "DELETE FROM pending_operations WHERE practice_id = ?1 AND client_id = ?2 AND tenant_id = ?3",
            "DELETE FROM sync_records WHERE practice_id = ?1 AND client_id = ?2 AND tenant_id = ?3",
        ] {
            sqlx::query(sql)
                .bind(practice.to_string())
                .bind(client.to_string())
                .bind(tenant.to_string())
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
            "SELECT body FROM pending_operations WHERE practice_id = ?1 AND client_id = ?2 AND tenant_id = ?3 ORDER BY seq",
        )
        .bind(practice.to_string())
        .bind(client.to_string())
        .bind(tenant.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| decode("pending operation", r.get("body")))
            .collect()
    }
}
