use domain::association::AssociationType;
use domain::ids::{AssociationTypeId, PracticeId};
use domain::ports::{SettingsStore, StoreError};
use domain::settings::IntegrationSettings;
use sqlx::Row;
use store_row_format::{decode, encode};

use crate::{PostgresStore, db};
use store_row_format::owned;

impl SettingsStore for PostgresStore {
    async fn settings(&self, practice: PracticeId) -> Result<IntegrationSettings, StoreError> {
        let row = sqlx::query(
            "SELECT body::text AS body FROM integration_settings WHERE practice_id = $1",
        )
        .bind(practice.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        Ok(row
            .map(|r| decode("integration settings", r.get("body")))
            .transpose()?
            .unwrap_or_default())
    }

    async fn save_settings(
        &self,
        practice: PracticeId,
        settings: &IntegrationSettings,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO integration_settings (practice_id, body) VALUES ($1, $2::jsonb)
             ON CONFLICT (practice_id) DO UPDATE SET body = excluded.body",
        )
        .bind(practice.as_uuid())
        .bind(encode(settings)?)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn association_types(
        &self,
        practice: PracticeId,
    ) -> Result<Vec<AssociationType>, StoreError> {
        let rows = sqlx::query(
            "SELECT body::text AS body FROM association_types WHERE practice_id = $1 ORDER BY id",
        )
        .bind(practice.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| decode("association type", r.get("body")))
            .collect()
    }

    async fn association_type(
        &self,
        practice: PracticeId,
        id: AssociationTypeId,
    ) -> Result<Option<AssociationType>, StoreError> {
        let row = sqlx::query(
            "SELECT body::text AS body FROM association_types WHERE id = $1 AND practice_id = $2",
        )
        .bind(id.as_uuid())
        .bind(practice.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|r| decode("association type", r.get("body")))
            .transpose()
    }

    async fn save_association_type(
        &self,
        association_type: &AssociationType,
    ) -> Result<(), StoreError> {
        let result = sqlx::query(
            "INSERT INTO association_types (id, practice_id, body) VALUES ($1, $2, $3::jsonb)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body WHERE association_types.practice_id = excluded.practice_id",
        )
        .bind(association_type.id.as_uuid())
        .bind(association_type.practice.as_uuid())
        .bind(encode(association_type)?)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        owned(result.rows_affected(), "this association type")
    }
}
