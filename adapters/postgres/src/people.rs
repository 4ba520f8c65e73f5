use domain::ids::{PracticeId, UserId};
use domain::ports::{PracticeStore, StoreError};
use domain::practice::{Practice, User};
use sqlx::Row;
use store_row_format::{decode, encode};

use crate::{PostgresStore, db};
use store_row_format::owned;

impl PracticeStore for PostgresStore {
    async fn practice(&self, practice: PracticeId) -> Result<Option<Practice>, StoreError> {
        let row = sqlx::query("SELECT body::text AS body FROM practices WHERE id = $1")
            .bind(practice.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|r| decode("practice", r.get("body"))).transpose()
    }

    async fn user(&self, practice: PracticeId, user: UserId) -> Result<Option<User>, StoreError> {
        let row =
            sqlx::query("SELECT body::text AS body FROM users WHERE id = $1 AND practice_id = $2")
                .bind(user.as_uuid())
                .bind(practice.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        row.map(|r| decode("user", r.get("body"))).transpose()
    }

    async fn save_practice(&self, practice: &Practice) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO practices (id, body) VALUES ($1, $2::jsonb) ON CONFLICT (id) DO UPDATE SET body = excluded.body")
            .bind(practice.id.as_uuid())
            .bind(encode(practice)?)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn save_user(&self, user: &User) -> Result<(), StoreError> {
        let result = sqlx::query(
            "INSERT INTO users (id, practice_id, body) VALUES ($1, $2, $3::jsonb)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body WHERE users.practice_id = excluded.practice_id",
        )
        .bind(user.id.as_uuid())
        .bind(user.practice.as_uuid())
        .bind(encode(user)?)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        owned(result.rows_affected(), "this user")
    }
}
