use domain::ports::{AccountStore, StoreError};
use domain::practice::User;
use domain::text::EmailAddress;
use sqlx::Row;
use store_row_format::decode;

use crate::{PostgresStore, db};

impl AccountStore for PostgresStore {
    async fn login(&self, email: &EmailAddress) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT users.body::text AS body, logins.password_hash FROM logins
             JOIN users ON users.id = logins.user_id AND users.practice_id = logins.practice_id
             WHERE logins.email = $1",
        )
        .bind(email.as_str().to_lowercase())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|r| Ok((decode("user", r.get("body"))?, r.get("password_hash"))))
            .transpose()
    }

    async fn save_login(&self, user: &User, password_hash: &str) -> Result<(), StoreError> {
        let result = sqlx::query(
            "INSERT INTO logins (user_id, practice_id, email, password_hash) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, password_hash = excluded.password_hash
             WHERE logins.practice_id = excluded.practice_id",
        )
        .bind(user.id.as_uuid())
        .bind(user.practice.as_uuid())
        .bind(user.email.as_str().to_lowercase())
        .bind(password_hash)
        .execute(&self.pool)
        .await;
        match result {
            Ok(r) if r.rows_affected() == 1 => Ok(()),
            Ok(_) => Err(StoreError::Conflict(
                "this user belongs to another practice".into(),
            )),
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => Err(StoreError::Conflict(
                "another user already logs in with this email".into(),
            )),
            Err(e) => Err(db(e)),
        }
    }

    async fn api_token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT users.body::text AS body FROM api_tokens
             JOIN users ON users.id = api_tokens.user_id AND users.practice_id = api_tokens.practice_id
             WHERE api_tokens.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|r| decode("user", r.get("body"))).transpose()
    }

    async fn save_api_token(
        &self,
        user: &User,
        token_hash: &str,
        label: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO api_tokens (token_hash, user_id, practice_id, label) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user.id.as_uuid())
            .bind(user.practice.as_uuid())
            .bind(label)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }
}
