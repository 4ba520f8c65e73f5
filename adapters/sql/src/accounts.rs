//! Practices, their users, and how users log in (password or API token).

use domain::ids::{PracticeId, UserId};
use domain::ports::{AccountStore, PracticeStore, StoreError};
use domain::practice::{Practice, User};
use domain::text::EmailAddress;

use crate::{Backend, SqlStore, decode, sql};

impl<B: Backend> PracticeStore for SqlStore<B> {
    async fn practice(&self, practice: PracticeId) -> Result<Option<Practice>, StoreError> {
        let q = sql("SELECT CAST(body AS TEXT) AS body FROM practices WHERE id = $1");
        self.body("practice", q.id(practice)).await
    }

    async fn user(&self, practice: PracticeId, user: UserId) -> Result<Option<User>, StoreError> {
        let q = "SELECT CAST(body AS TEXT) AS body FROM users WHERE id = $1 AND practice_id = $2";
        self.body("user", sql(q).id(user).id(practice)).await
    }

    async fn save_practice(&self, practice: &Practice) -> Result<(), StoreError> {
        let q = "INSERT INTO practices (id, body) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET body = excluded.body";
        self.execute(sql(q).id(practice.id).json(practice)?).await
    }

    async fn save_user(&self, user: &User) -> Result<(), StoreError> {
        let q = "INSERT INTO users (id, practice_id, body) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body WHERE users.practice_id = excluded.practice_id";
        let q = sql(q).id(user.id).id(user.practice).json(user)?;
        self.upsert(q, "this user").await
    }
}

impl<B: Backend> AccountStore for SqlStore<B> {
    async fn login(&self, email: &EmailAddress) -> Result<Option<(User, String)>, StoreError> {
        let q = "SELECT CAST(users.body AS TEXT) AS body, logins.password_hash FROM logins
             JOIN users ON users.id = logins.user_id AND users.practice_id = logins.practice_id
             WHERE logins.email = $1";
        let read = |r: &B::Row| {
            let user = decode("user", &B::text(r, "body")?)?;
            Ok((user, B::text(r, "password_hash")?))
        };
        self.row(sql(q).text(email.normalised()), read).await
    }

    async fn save_login(&self, user: &User, password_hash: &str) -> Result<(), StoreError> {
        let q = "INSERT INTO logins (user_id, practice_id, email, password_hash) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, password_hash = excluded.password_hash
             WHERE logins.practice_id = excluded.practice_id";
        let q = sql(q).id(user.id).id(user.practice);
        let q = q.text(user.email.normalised()).text(password_hash);
        // `store_error` calls a unique violation "already exists"; here only
        // the email can be one.
        match self.upsert(q, "this user").await {
            Err(StoreError::Conflict(e)) if e.starts_with("already exists") => Err(
                StoreError::Conflict("another user already logs in with this email".into()),
            ),
            other => other,
        }
    }

    async fn api_token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let q = "SELECT CAST(users.body AS TEXT) AS body FROM api_tokens
             JOIN users ON users.id = api_tokens.user_id AND users.practice_id = api_tokens.practice_id
             WHERE api_tokens.token_hash = $1";
        self.body("user", sql(q).text(token_hash)).await
    }

    async fn save_api_token(&self, user: &User, hash: &str, label: &str) -> Result<(), StoreError> {
        let q = "INSERT INTO api_tokens (token_hash, user_id, practice_id, label) VALUES ($1, $2, $3, $4)";
        let q = sql(q).text(hash).id(user.id).id(user.practice);
        self.execute(q.text(label)).await
    }
}
