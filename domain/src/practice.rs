//! Practices (PM Hub's tenants) and the people who work in them.

use serde::{Deserialize, Serialize};

use crate::ids::{PracticeId, UserId};
use crate::text::{DisplayName, EmailAddress};

/// An accounting firm using PM Hub. Every other record belongs to one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Practice {
    pub id: PracticeId,
    pub name: DisplayName,
}

/// What a user may do. Only admins Connect, Reconnect, Disconnect and
/// configure the integration; staff may Sync and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Admin,
    Staff,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub practice: PracticeId,
    pub name: DisplayName,
    pub email: EmailAddress,
    pub role: Role,
}

/// A user acting on their own practice, with a role checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PermissionError {
    #[error("only a practice administrator can {action}")]
    AdminOnly { action: &'static str },
    #[error("this user does not belong to the practice")]
    OtherPractice,
}

impl User {
    /// Refuses unless this user is an admin of `practice`.
    pub fn ensure_admin_of(
        &self,
        practice: PracticeId,
        action: &'static str,
    ) -> Result<(), PermissionError> {
        self.ensure_member_of(practice)?;
        match self.role {
            Role::Admin => Ok(()),
            Role::Staff => Err(PermissionError::AdminOnly { action }),
        }
    }

    /// Refuses unless this user belongs to `practice`.
    pub fn ensure_member_of(&self, practice: PracticeId) -> Result<(), PermissionError> {
        if self.practice == practice {
            Ok(())
        } else {
            Err(PermissionError::OtherPractice)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn user(role: Role) -> User {
        User {
            id: UserId::from_uuid(Uuid::from_u128(1)),
            practice: PracticeId::from_uuid(Uuid::from_u128(10)),
            name: DisplayName::new("Sam").unwrap(),
            email: EmailAddress::new("sam@example.com").unwrap(),
            role,
        }
    }

    #[test]
    fn staff_cannot_do_admin_actions() {
        let p = PracticeId::from_uuid(Uuid::from_u128(10));
        assert_eq!(
            user(Role::Staff).ensure_admin_of(p, "disconnect"),
            Err(PermissionError::AdminOnly {
                action: "disconnect"
            })
        );
        assert_eq!(user(Role::Admin).ensure_admin_of(p, "disconnect"), Ok(()));
    }

    #[test]
    fn nobody_acts_on_another_practice() {
        let other = PracticeId::from_uuid(Uuid::from_u128(11));
        assert_eq!(
            user(Role::Admin).ensure_admin_of(other, "connect"),
            Err(PermissionError::OtherPractice)
        );
        assert_eq!(
            user(Role::Staff).ensure_member_of(other),
            Err(PermissionError::OtherPractice)
        );
    }
}
