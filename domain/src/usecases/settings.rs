use crate::activity::{ActivityKind, Actor};
use crate::connection::ConnectionError;
use crate::custom_field::{XpmCustomFieldDefinition, XpmCustomFieldKind};
use crate::ids::{AssociationTypeId, PracticeId, UserId, XpmCustomFieldUuid, XpmTenantId};
use crate::ports::{
    Clock, IdGenerator, StoreError, XpmAccess, XpmAuthorization, XpmError, XpmGateway,
};
use crate::practice::PermissionError;
use crate::relationship_type::XpmRelationshipType;
use crate::settings::{ClientIdField, IntegrationSettings, PushOptions};
use crate::usecases::{Integration, Stores};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Permission(#[from] PermissionError),
    #[error("association type {0} does not exist in this practice")]
    UnknownAssociationType(AssociationTypeId),
    #[error("`{name}` is not one of XPM's relationship types; choose one of: {}", allowed.join(", "))]
    NotAnXpmRelationshipType { name: String, allowed: Vec<String> },
    /// XPM's custom fields are read from the connected organisation.
    #[error(transparent)]
    NotConnected(#[from] ConnectionError),
    #[error("the connected XPM organisation has no custom field {0}")]
    UnknownCustomField(XpmCustomFieldUuid),
    #[error(
        "XPM's custom field '{name}' cannot hold PM Hub's client id: choose a client field of type Text (it is {})",
        describe_field(*kind, *use_client)
    )]
    NotAClientTextField {
        name: String,
        kind: XpmCustomFieldKind,
        use_client: bool,
    },
    #[error(transparent)]
    Xpm(#[from] XpmError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn describe_field(kind: XpmCustomFieldKind, use_client: bool) -> String {
    match (kind, use_client) {
        (XpmCustomFieldKind::Text, false) => "not used for clients".into(),
        (k, true) => format!("a {} field", k.label()),
        (k, false) => format!("a {} field, not used for clients", k.label()),
    }
}

/// What an administrator chooses from: the fields of the connected XPM
/// organisation that can hold PM Hub's client id, and the current choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdFieldChoices {
    pub tenant: XpmTenantId,
    pub current: Option<ClientIdField>,
    /// Client custom fields of type Text, in XPM's order.
    pub fields: Vec<XpmCustomFieldDefinition>,
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

    /// The connected organisation's client Text custom fields (one XPM
    /// read), and the field chosen now. Admins only.
    pub async fn client_id_field_choices(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> Result<ClientIdFieldChoices, SettingsError> {
        self.admin::<SettingsError>(
            practice,
            user,
            "choose where PM Hub's client id is kept in XPM",
        )
        .await?;
        let tenant = self
            .stores
            .connection(practice)
            .await?
            .sync_target()?
            .tenant();
        let fields = self
            .xpm
            .custom_field_definitions(XpmAccess { practice, tenant })
            .await?
            .into_iter()
            .filter(XpmCustomFieldDefinition::can_hold_client_id)
            .collect();
        let current = self
            .stores
            .settings(practice)
            .await?
            .client_id_field()
            .cloned();
        Ok(ClientIdFieldChoices {
            tenant,
            current,
            fields,
        })
    }

    /// Chooses the XPM client custom field where the Sync keeps PM Hub's
    /// client id (checked against the connected organisation's definitions:
    /// it must be a client field of type Text), or, with `None`, stops using
    /// one (no XPM call; ids already written stay in XPM). Admins only;
    /// takes effect at the next manual Sync.
    pub async fn configure_client_id_field(
        &self,
        practice: PracticeId,
        user: UserId,
        field: Option<XpmCustomFieldUuid>,
    ) -> Result<IntegrationSettings, SettingsError> {
        self.admin::<SettingsError>(
            practice,
            user,
            "choose where PM Hub's client id is kept in XPM",
        )
        .await?;
        let chosen = match field {
            None => None,
            Some(uuid) => {
                let tenant = self
                    .stores
                    .connection(practice)
                    .await?
                    .sync_target()?
                    .tenant();
                let definition = self
                    .xpm
                    .custom_field_definitions(XpmAccess { practice, tenant })
                    .await?
                    .into_iter()
                    .find(|d| d.uuid == uuid)
                    .ok_or(SettingsError::UnknownCustomField(uuid))?;
                if !definition.can_hold_client_id() {
                    return Err(SettingsError::NotAClientTextField {
                        name: definition.name,
                        kind: definition.kind,
                        use_client: definition.use_client,
                    });
                }
                Some(ClientIdField {
                    tenant,
                    field: uuid,
                    name: definition.name,
                })
            }
        };
        let mut settings = self.stores.settings(practice).await?;
        if settings.client_id_field() != chosen.as_ref() {
            let from = settings.set_client_id_field(chosen.clone());
            self.stores.save_settings(practice, &settings).await?;
            let kind = ActivityKind::ClientIdFieldChanged {
                from: from.map(|f| f.name),
                to: chosen.map(|f| f.name),
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
