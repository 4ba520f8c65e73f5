//! What was pushed for each client to each XPM organisation, the notes of
//! operations under way, and the lock that serialises one client's syncs.

use domain::ids::{ClientId, PracticeId, XpmTenantId};
use domain::ports::{StoreError, SyncRecordStore};
use domain::sync::{PendingOperation, SyncRecord};

use crate::{Backend, Lock, SqlStore, Statement, sql, store_error};

/// `text` with the practice, client and tenant bound to `$1`-`$3`.
fn scoped(text: &'static str, p: PracticeId, c: ClientId, t: XpmTenantId) -> Statement {
    sql(text).id(p).id(c).id(t)
}

impl<B: Backend> SyncRecordStore for SqlStore<B> {
    type SyncGuard = B::Guard;

    async fn lock_client_sync(
        &self,
        practice: PracticeId,
        client: ClientId,
    ) -> Result<(B::Guard, bool), StoreError> {
        self.backend.lock(Lock::ClientSync(practice, client)).await
    }

    async fn record(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
    ) -> Result<Option<SyncRecord>, StoreError> {
        let q = "SELECT CAST(body AS TEXT) AS body FROM sync_records WHERE practice_id = $1 AND client_id = $2 AND tenant_id = $3";
        self.body("sync record", scoped(q, practice, client, tenant))
            .await
    }

    async fn records_in(
        &self,
        p: PracticeId,
        t: XpmTenantId,
    ) -> Result<Vec<SyncRecord>, StoreError> {
        let q = "SELECT CAST(body AS TEXT) AS body FROM sync_records WHERE practice_id = $1 AND tenant_id = $2";
        self.bodies("sync record", sql(q).id(p).id(t)).await
    }

    async fn save_record(&self, record: &SyncRecord) -> Result<(), StoreError> {
        let q = "INSERT INTO sync_records (practice_id, client_id, tenant_id, body) VALUES ($1, $2, $3, $4)
             ON CONFLICT (client_id, tenant_id) DO UPDATE SET body = excluded.body
             WHERE sync_records.practice_id = excluded.practice_id";
        let q = scoped(q, record.practice, record.client, record.tenant).json(record)?;
        self.upsert(q, "this sync record").await
    }

    async fn begin_operation(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
        operation: &PendingOperation,
    ) -> Result<(), StoreError> {
        let q = "INSERT INTO pending_operations (practice_id, client_id, tenant_id, body) VALUES ($1, $2, $3, $4)";
        self.execute(scoped(q, practice, client, tenant).json(operation)?)
            .await
    }

    async fn finish_operations(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
    ) -> Result<(), StoreError> {
        let q = "DELETE FROM pending_operations WHERE practice_id = $1 AND client_id = $2 AND tenant_id = $3";
        self.execute(scoped(q, practice, client, tenant)).await
    }

    async fn forget_record(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
    ) -> Result<(), StoreError> {
        // One transaction: an Unlink that fails half way leaves the link
        // whole, never a record without its notes or notes without it.
        let both = [
            "DELETE FROM pending_operations WHERE practice_id = $1 AND client_id = $2 AND tenant_id = $3",
            "DELETE FROM sync_records WHERE practice_id = $1 AND client_id = $2 AND tenant_id = $3",
        ];
        let statements = both.map(|q| scoped(q, practice, client, tenant));
        self.backend
            .execute_all(statements.into())
            .await
            .map_err(store_error)
    }

    async fn pending_operations(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
    ) -> Result<Vec<PendingOperation>, StoreError> {
        let q = "SELECT CAST(body AS TEXT) AS body FROM pending_operations WHERE practice_id = $1 AND client_id = $2 AND tenant_id = $3 ORDER BY seq";
        self.bodies("pending operation", scoped(q, practice, client, tenant))
            .await
    }
}
