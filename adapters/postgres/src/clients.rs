use domain::association::Association;
use domain::client::Client;
use domain::ids::{AssociationId, ClientId, PracticeId};
use domain::ports::{ClientStore, StoreError};
use sqlx::Row;
use store_row_format::{decode, encode};

use crate::{PostgresStore, db};
use store_row_format::owned;

impl ClientStore for PostgresStore {
    async fn client(
        &self,
        practice: PracticeId,
        client: ClientId,
    ) -> Result<Option<Client>, StoreError> {
        let row = sqlx::query(
            "SELECT body::text AS body FROM clients WHERE id = $1 AND practice_id = $2",
        )
        .bind(client.as_uuid())
        .bind(practice.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|r| decode("client", r.get("body"))).transpose()
    }

    async fn clients(&self, practice: PracticeId) -> Result<Vec<Client>, StoreError> {
        let rows = sqlx::query(
            "SELECT body::text AS body FROM clients WHERE practice_id = $1 ORDER BY id",
        )
        .bind(practice.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| decode("client", r.get("body")))
            .collect()
    }

    async fn save_client(&self, client: &Client) -> Result<(), StoreError> {
        let result = sqlx::query(
            "INSERT INTO clients (id, practice_id, body) VALUES ($1, $2, $3::jsonb)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body WHERE clients.practice_id = excluded.practice_id",
        )
        .bind(client.id.as_uuid())
        .bind(client.practice.as_uuid())
        .bind(encode(client)?)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        owned(result.rows_affected(), "this client")
    }

    async fn associations_of(
        &self,
        practice: PracticeId,
        client: ClientId,
    ) -> Result<Vec<Association>, StoreError> {
        let rows = sqlx::query(
            "SELECT body::text AS body FROM associations WHERE practice_id = $1 AND client_id = $2 ORDER BY id",
        )
        .bind(practice.as_uuid())
        .bind(client.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| decode("association", r.get("body")))
            .collect()
    }

    async fn save_association(&self, association: &Association) -> Result<(), StoreError> {
        let result = sqlx::query(
            "INSERT INTO associations (id, practice_id, client_id, body) VALUES ($1, $2, $3, $4::jsonb)
             ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id, body = excluded.body
             WHERE associations.practice_id = excluded.practice_id",
        )
        .bind(association.id().as_uuid())
        .bind(association.practice().as_uuid())
        .bind(association.client().as_uuid())
        .bind(encode(association)?)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        owned(result.rows_affected(), "this association")
    }

    async fn remove_association(
        &self,
        practice: PracticeId,
        association: AssociationId,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM associations WHERE id = $1 AND practice_id = $2")
            .bind(association.as_uuid())
            .bind(practice.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }
}
