use domain::connection::ConnectionState;
use domain::ids::{PracticeId, UserId};
use domain::ports::{ConnectionStore, PendingAuthorisation, StoreError, TokenSet};
use sqlx::Row;
use store_row_format::{decode, encode, from_micros, micros};

use crate::{SqliteStore, db, id_of, lock_of};

fn unsealed(e: store_row_format::SealError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl ConnectionStore for SqliteStore {
    type RenewalGuard = tokio::sync::OwnedMutexGuard<()>;

    async fn lock_token_renewal(
        &self,
        practice: PracticeId,
    ) -> Result<Self::RenewalGuard, StoreError> {
        Ok(lock_of(&self.renewal_locks, practice)?.lock_owned().await)
    }

    async fn connection(&self, practice: PracticeId) -> Result<ConnectionState, StoreError> {
        let row = sqlx::query("SELECT body FROM connections WHERE practice_id = ?1")
            .bind(practice.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        Ok(row
            .map(|r| decode("connection", r.get("body")))
            .transpose()?
            .unwrap_or(ConnectionState::NotConnected))
    }

    async fn save_connection(
        &self,
        practice: PracticeId,
        state: &ConnectionState,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO connections (practice_id, body) VALUES (?1, ?2)
             ON CONFLICT (practice_id) DO UPDATE SET body = excluded.body",
        )
        .bind(practice.to_string())
        .bind(encode(state)?)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn tokens(&self, practice: PracticeId) -> Result<Option<TokenSet>, StoreError> {
        let row = sqlx::query("SELECT sealed FROM connection_tokens WHERE practice_id = ?1")
            .bind(practice.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|r| {
            self.sealer
                .open_tokens(practice, r.get("sealed"))
                .map_err(unsealed)
        })
        .transpose()
    }

    async fn save_tokens(&self, practice: PracticeId, tokens: &TokenSet) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO connection_tokens (practice_id, sealed) VALUES (?1, ?2)
             ON CONFLICT (practice_id) DO UPDATE SET sealed = excluded.sealed",
        )
        .bind(practice.to_string())
        .bind(self.sealer.seal_tokens(practice, tokens))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn clear_tokens(&self, practice: PracticeId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM connection_tokens WHERE practice_id = ?1")
            .bind(practice.to_string())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn save_pending_authorisation(
        &self,
        practice: PracticeId,
        pending: &PendingAuthorisation,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO pending_authorisations (practice_id, state, sealed_verifier, started_by, started_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(practice.to_string())
        .bind(&pending.state)
        .bind(self.sealer.seal_secret(practice, &pending.pkce_verifier))
        .bind(pending.started_by.to_string())
        .bind(micros(pending.started_at))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn take_pending_authorisation(
        &self,
        practice: PracticeId,
        state: &str,
    ) -> Result<Option<PendingAuthorisation>, StoreError> {
        // DELETE ... RETURNING makes taking atomic: a state is used once.
        let row = sqlx::query(
            "DELETE FROM pending_authorisations WHERE practice_id = ?1 AND state = ?2
             RETURNING sealed_verifier, started_by, started_at",
        )
        .bind(practice.to_string())
        .bind(state)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(PendingAuthorisation {
            state: state.to_owned(),
            pkce_verifier: self
                .sealer
                .open_secret(practice, row.get("sealed_verifier"))
                .map_err(unsealed)?,
            started_by: UserId::from_uuid(id_of(row.get("started_by"))?),
            started_at: from_micros(row.get("started_at"))?,
        }))
    }
}
