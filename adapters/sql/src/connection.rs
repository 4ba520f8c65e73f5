//! A practice's connection to XPM: its state, its sealed tokens, the OAuth
//! logins under way, and the lock that serialises token renewals.

use domain::connection::ConnectionState;
use domain::ids::{PracticeId, UserId};
use domain::ports::{ConnectionStore, PendingAuthorisation, StoreError, TokenSet};

use crate::{Backend, Lock, SqlStore, sql};

impl<B: Backend> ConnectionStore for SqlStore<B> {
    type RenewalGuard = B::Guard;

    async fn lock_token_renewal(&self, practice: PracticeId) -> Result<B::Guard, StoreError> {
        let (guard, _) = self.backend.lock(Lock::TokenRenewal(practice)).await?;
        Ok(guard)
    }

    async fn connection(&self, practice: PracticeId) -> Result<ConnectionState, StoreError> {
        let q = sql("SELECT CAST(body AS TEXT) AS body FROM connections WHERE practice_id = $1");
        let found = self.body("connection", q.id(practice)).await?;
        Ok(found.unwrap_or(ConnectionState::NotConnected))
    }

    async fn save_connection(
        &self,
        p: PracticeId,
        state: &ConnectionState,
    ) -> Result<(), StoreError> {
        let q = "INSERT INTO connections (practice_id, body) VALUES ($1, $2)
             ON CONFLICT (practice_id) DO UPDATE SET body = excluded.body";
        self.execute(sql(q).id(p).json(state)?).await
    }

    async fn tokens(&self, practice: PracticeId) -> Result<Option<TokenSet>, StoreError> {
        let q = sql("SELECT sealed FROM connection_tokens WHERE practice_id = $1");
        let open = |r: &B::Row| Ok(self.sealer.open_tokens(practice, &B::bytes(r, "sealed")?)?);
        self.row(q.id(practice), open).await
    }

    async fn save_tokens(&self, practice: PracticeId, tokens: &TokenSet) -> Result<(), StoreError> {
        let q = "INSERT INTO connection_tokens (practice_id, sealed) VALUES ($1, $2)
             ON CONFLICT (practice_id) DO UPDATE SET sealed = excluded.sealed";
        let sealed = self.sealer.seal_tokens(practice, tokens);
        self.execute(sql(q).id(practice).bytes(sealed)).await
    }

    async fn clear_tokens(&self, practice: PracticeId) -> Result<(), StoreError> {
        let q = sql("DELETE FROM connection_tokens WHERE practice_id = $1");
        self.execute(q.id(practice)).await
    }

    async fn save_pending_authorisation(
        &self,
        practice: PracticeId,
        pending: &PendingAuthorisation,
    ) -> Result<(), StoreError> {
        let q = "INSERT INTO pending_authorisations (practice_id, state, sealed_verifier, started_by, started_at)
             VALUES ($1, $2, $3, $4, $5)";
        let sealed = self.sealer.seal_secret(practice, &pending.pkce_verifier);
        let q = sql(q).id(practice).text(&pending.state).bytes(sealed);
        self.execute(q.id(pending.started_by).time(pending.started_at))
            .await
    }

    async fn take_pending_authorisation(
        &self,
        practice: PracticeId,
        state: &str,
    ) -> Result<Option<PendingAuthorisation>, StoreError> {
        // DELETE ... RETURNING makes taking atomic: a state is used once.
        let q = "DELETE FROM pending_authorisations WHERE practice_id = $1 AND state = $2
             RETURNING sealed_verifier, started_by, started_at";
        let read = |r: &B::Row| {
            let sealed = B::bytes(r, "sealed_verifier")?;
            Ok(PendingAuthorisation {
                state: state.to_owned(),
                pkce_verifier: self.sealer.open_secret(practice, &sealed)?,
                started_by: UserId::from_uuid(B::id(r, "started_by")?),
                started_at: B::time(r, "started_at")?,
            })
        };
        self.row(sql(q).id(practice).text(state), read).await
    }
}
