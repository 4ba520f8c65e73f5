//! Who is asking: the lookups behind logins, sessions and API tokens, and
//! the readiness probe. A small service of its own because logins live in
//! a port ([`AccountStore`]) the integration's use cases never need.

use crate::ids::{PracticeId, UserId};
use crate::ports::{AccountStore, PracticeStore, StoreError};
use crate::practice::User;
use crate::text::EmailAddress;

/// The account lookups over a store holding logins and practices.
#[derive(Debug, Clone)]
pub struct Accounts<S> {
    stores: S,
}

impl<S: AccountStore + PracticeStore> Accounts<S> {
    pub fn new(stores: S) -> Self {
        Self { stores }
    }

    /// The user who logs in with `email`, with the password hash to check
    /// (checking it is the caller's: hashing is not the domain's).
    pub async fn login(&self, email: &EmailAddress) -> Result<Option<(User, String)>, StoreError> {
        self.stores.login(email).await
    }

    /// The user an API token (by its hash) acts as.
    pub async fn api_token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        self.stores.api_token_user(token_hash).await
    }

    /// The user a page session names, if they still belong to its practice.
    pub async fn session_user(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> Result<Option<User>, StoreError> {
        self.stores.user(practice, user).await
    }

    /// Whether the store answers: one cheap read of a practice no one has.
    pub async fn ready(&self) -> Result<(), StoreError> {
        let probe = PracticeId::from_uuid(uuid::Uuid::nil());
        self.stores.practice(probe).await.map(drop)
    }
}
