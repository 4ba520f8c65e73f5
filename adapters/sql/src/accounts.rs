//! Practices, their users, and how users log in (password or API token).

use domain::ids::{PracticeId, UserId};
use domain::ports::{AccountStore, PracticeStore, StoreError};
use domain::practice::{Practice, User};
use domain::text::EmailAddress;

use crate::{Backend, SqlStore, decode, owned, sql, store_error};

impl<B: Backend> PracticeStore for SqlStore<B> {
    async fn practice(&self, practice: PracticeId) -> Result<Option<Practice>, StoreError> {
        let q = sql("SELECT CAST(body AS TEXT) AS body FROM practices WHERE id = $1");
        self.body("practice", q.id(*practice.as_uuid())).await
    }

    async fn user(&self, practice: PracticeId, user: UserId) -> Result<Option<User>, StoreError> {
        let q =
            sql("SELECT CAST(body AS TEXT) AS body FROM users WHERE id = $1 AND practice_id = $2");
        self.body("user", q.id(*user.as_uuid()).id(*practice.as_uuid()))
            .await
    }

    async fn save_practice(&self, practice: &Practice) -> Result<(), StoreError> {
        let q = sql(
            "INSERT INTO practices (id, body) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
        );
        self.execute(q.id(*practice.id.as_uuid()).json(practice)?)
            .await?;
        Ok(())
    }

    async fn save_user(&self, user: &User) -> Result<(), StoreError> {
        let q = sql("INSERT INTO users (id, practice_id, body) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body WHERE users.practice_id = excluded.practice_id");
        let q = q.id(*user.id.as_uuid()).id(*user.practice.as_uuid());
        owned(self.execute(q.json(user)?).await?, "this user")
    }
}

impl<B: Backend> AccountStore for SqlStore<B> {
    async fn login(&self, email: &EmailAddress) -> Result<Option<(User, String)>, StoreError> {
        let q = sql(
            "SELECT CAST(users.body AS TEXT) AS body, logins.password_hash FROM logins
             JOIN users ON users.id = logins.user_id AND users.practice_id = logins.practice_id
             WHERE logins.email = $1",
        );
        let rows = self
            .rows(q.text(email.normalised()), |r| {
                Ok((
                    decode("user", &B::text(r, "body")?)?,
                    B::text(r, "password_hash")?,
                ))
            })
            .await?;
        Ok(rows.into_iter().next())
    }

    async fn save_login(&self, user: &User, password_hash: &str) -> Result<(), StoreError> {
        let q = sql("INSERT INTO logins (user_id, practice_id, email, password_hash) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, password_hash = excluded.password_hash
             WHERE logins.practice_id = excluded.practice_id");
        let q = q.id(*user.id.as_uuid()).id(*user.practice.as_uuid());
        let q = q.text(user.email.normalised()).text(password_hash);
        match self.backend.execute(q).await {
            Ok(1) => Ok(()),
            Ok(_) => Err(StoreError::Conflict(
                "this user belongs to another practice".into(),
            )),
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => Err(StoreError::Conflict(
                "another user already logs in with this email".into(),
            )),
            Err(e) => Err(store_error(e)),
        }
    }

    async fn api_token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let q = sql("SELECT CAST(users.body AS TEXT) AS body FROM api_tokens
             JOIN users ON users.id = api_tokens.user_id AND users.practice_id = api_tokens.practice_id
             WHERE api_tokens.token_hash = $1");
        self.body("user", q.text(token_hash)).await
    }

    async fn save_api_token(
        &self,
        user: &User,
        token_hash: &str,
        label: &str,
    ) -> Result<(), StoreError> {
        let q = sql(
            "INSERT INTO api_tokens (token_hash, user_id, practice_id, label) VALUES ($1, $2, $3, $4)",
        );
        let q = q.text(token_hash).id(*user.id.as_uuid());
        self.execute(q.id(*user.practice.as_uuid()).text(label))
            .await?;
        Ok(())
    }
}
