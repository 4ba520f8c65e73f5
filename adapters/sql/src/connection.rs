//! A practice's connection to XPM: its state, its sealed tokens, the OAuth
//! logins under way, and the lock that serialises token renewals.

use domain::connection::ConnectionState;
use domain::ids::{PracticeId, UserId};
use domain::ports::{ConnectionStore, PendingAuthorisation, StoreError, TokenSet};

use crate::{Backend, Lock, SealError, SqlStore, sql};

fn unsealed(e: SealError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl<B: Backend> ConnectionStore for SqlStore<B> {
    type RenewalGuard = B::Guard;

    async fn lock_token_renewal(&self, practice: PracticeId) -> Result<B::Guard, StoreError> {
        let (guard, _) = self.backend.lock(Lock::TokenRenewal(practice)).await?;
        Ok(guard)
    }

    async fn connection(&self, practice: PracticeId) -> Result<ConnectionState, StoreError> {
        let q = sql("SELECT CAST(body AS TEXT) AS body FROM connections WHERE practice_id = $1");
        let found = self.body("connection", q.id(*practice.as_uuid())).await?;
        Ok(found.unwrap_or(ConnectionState::NotConnected))
    }

    async fn save_connection(
        &self,
        practice: PracticeId,
        state: &ConnectionState,
    ) -> Result<(), StoreError> {
        let q = sql("INSERT INTO connections (practice_id, body) VALUES ($1, $2)
             ON CONFLICT (practice_id) DO UPDATE SET body = excluded.body");
        self.execute(q.id(*practice.as_uuid()).json(state)?).await?;
        Ok(())
    }

    async fn tokens(&self, practice: PracticeId) -> Result<Option<TokenSet>, StoreError> {
        let q = sql("SELECT sealed FROM connection_tokens WHERE practice_id = $1");
        let open = |r: &B::Row| {
            let sealed = B::bytes(r, "sealed")?;
            self.sealer.open_tokens(practice, &sealed).map_err(unsealed)
        };
        let found = self.rows(q.id(*practice.as_uuid()), open).await?;
        Ok(found.into_iter().next())
    }

    async fn save_tokens(&self, practice: PracticeId, tokens: &TokenSet) -> Result<(), StoreError> {
        let q = sql(
            "INSERT INTO connection_tokens (practice_id, sealed) VALUES ($1, $2)
             ON CONFLICT (practice_id) DO UPDATE SET sealed = excluded.sealed",
        );
        let sealed = self.sealer.seal_tokens(practice, tokens);
        self.execute(q.id(*practice.as_uuid()).bytes(sealed))
            .await?;
        Ok(())
    }

    async fn clear_tokens(&self, practice: PracticeId) -> Result<(), StoreError> {
        let q = sql("DELETE FROM connection_tokens WHERE practice_id = $1");
        self.execute(q.id(*practice.as_uuid())).await?;
        Ok(())
    }

    async fn save_pending_authorisation(
        &self,
        practice: PracticeId,
        pending: &PendingAuthorisation,
    ) -> Result<(), StoreError> {
        let q = sql("INSERT INTO pending_authorisations (practice_id, state, sealed_verifier, started_by, started_at)
             VALUES ($1, $2, $3, $4, $5)");
        let sealed = self.sealer.seal_secret(practice, &pending.pkce_verifier);
        let q = q.id(*practice.as_uuid()).text(&pending.state).bytes(sealed);
        self.execute(q.id(*pending.started_by.as_uuid()).time(pending.started_at))
            .await?;
        Ok(())
    }

    async fn take_pending_authorisation(
        &self,
        practice: PracticeId,
        state: &str,
    ) -> Result<Option<PendingAuthorisation>, StoreError> {
        // DELETE ... RETURNING makes taking atomic: a state is used once.
        let q = sql(
            "DELETE FROM pending_authorisations WHERE practice_id = $1 AND state = $2
             RETURNING sealed_verifier, started_by, started_at",
        );
        let read = |r: &B::Row| {
            let sealed = B::bytes(r, "sealed_verifier")?;
            Ok(PendingAuthorisation {
                state: state.to_owned(),
                pkce_verifier: self
                    .sealer
                    .open_secret(practice, &sealed)
                    .map_err(unsealed)?,
                started_by: UserId::from_uuid(B::id(r, "started_by")?),
                started_at: B::time(r, "started_at")?,
            })
        };
        let taken = self.rows(q.id(*practice.as_uuid()).text(state), read);
        Ok(taken.await?.into_iter().next())
    }
}
