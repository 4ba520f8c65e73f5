use crate::activity::{ActivityKind, Actor};
use crate::ids::{AssociationTypeId, PracticeId, UserId};
use crate::ports::{Clock, IdGenerator, StoreError, XpmAuthorization, XpmGateway};
use crate::practice::PermissionError;
use crate::relationship_type::XpmRelationshipType;
use crate::settings::{IntegrationSettings, PushOptions};
use crate::usecases::{Integration, Stores};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Permission(#[from] PermissionError),
    #[error("association type {0} does not exist in this practice")]
    UnknownAssociationType(AssociationTypeId),
    #[error("`{name}` is not one of XPM's relationship types; choose one of: {}", allowed.join(", "))]
    NotAnXpmRelationshipType { name: String, allowed: Vec<String> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<S, G, A, C, I> Integration<S, G, A, C, I>
where
    S: Stores,
    G: XpmGateway,
    A: XpmAuthorization,
    C: Clock,
    I: IdGenerator,
{
    /// Maps an association type to an XPM relationship type (or unmaps it
    /// with `None`). Admins only; takes effect at the next manual sync.
    pub async fn configure_mapping(
        &self,
        practice: PracticeId,
        user: UserId,
        association_type: AssociationTypeId,
        target: Option<XpmRelationshipType>,
    ) -> Result<IntegrationSettings, SettingsError> {
        self.admin::<SettingsError>(practice, user, "configure association type mappings")
            .await?;
        if self
            .stores
            .association_type(practice, association_type)
            .await?
            .is_none()
        {
            return Err(SettingsError::UnknownAssociationType(association_type));
        }
        // Only a type XPM accepts can be chosen, in XPM's spelling; an old
        // mapping to another name stays until a person changes it.
        let target = match target {
            Some(name) => Some(
                self.relationship_types
                    .resolve(&name)
                    .map_err(|_| SettingsError::NotAnXpmRelationshipType {
                        name: name.to_string(),
                        allowed: self
                            .relationship_types
                            .names()
                            .into_iter()
                            .map(str::to_owned)
                            .collect(),
                    })?
                    .name
                    .clone(),
            ),
            None => None,
        };
        let mut settings = self.stores.settings(practice).await?;
        let from = settings.set_mapping(association_type, target.clone());
        if from != target {
            self.stores.save_settings(practice, &settings).await?;
            let kind = ActivityKind::MappingChanged {
                association_type,
                from,
                to: target,
            };
            self.stores
                .append(&[self.entry(practice, Actor::User(user), None, kind)])
                .await?;
        }
        Ok(settings)
    }

    pub async fn configure_push_options(
        &self,
        practice: PracticeId,
        user: UserId,
        push: PushOptions,
    ) -> Result<IntegrationSettings, SettingsError> {
        self.admin::<SettingsError>(practice, user, "change push options")
            .await?;
        let mut settings = self.stores.settings(practice).await?;
        if settings.push_options() != push {
            settings.set_push_options(push);
            self.stores.save_settings(practice, &settings).await?;
            self.stores
                .append(&[self.entry(
                    practice,
                    Actor::User(user),
                    None,
                    ActivityKind::PushOptionsChanged,
                )])
                .await?;
        }
        Ok(settings)
    }
}
