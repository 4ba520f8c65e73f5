//! Read-only use cases that answer what a page or an API answer shows: each
//! checks that the user belongs to the practice, reads what it needs in as
//! few store reads as it can, and returns a view model in domain terms, so
//! no handler reads a store itself and pages and API build the same views
//! in one place.

use std::collections::HashMap;

use time::OffsetDateTime;

use crate::activity::ActivityEntry;
use crate::association::{Association, AssociationType};
use crate::client::Client;
use crate::connection::ConnectionState;
use crate::ids::{ClientId, PracticeId, UserId, XpmTenantId};
use crate::ports::{Clock, IdGenerator, XpmAuthorization, XpmGateway};
use crate::relationship_type::XpmRelationshipType;
use crate::settings::ClientIdField;
use crate::text::{AssociationTypeName, ClientName};
use crate::usecases::{ConnectionUseCaseError, Integration, RecordsError, SettingsError, Stores};

/// The Clients list: every client with its last sync and newest activity,
/// and the connection that decides whether Sync is offered.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientsOverview {
    pub clients: Vec<ClientSummary>,
    pub connection: ConnectionState,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClientSummary {
    pub client: Client,
    /// When it was last synced to the connected organisation, if ever.
    pub last_synced_at: Option<OffsetDateTime>,
    /// Its newest Activity Log entry, if any.
    pub newest: Option<ActivityEntry>,
}

/// An association type with the XPM relationship type it syncs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeMapping {
    pub association_type: AssociationType,
    /// `None` when unmapped: its associations do not sync.
    pub mapped: Option<XpmRelationshipType>,
    /// The mapping names a type the target XPM does not have (saved before
    /// the configured list changed): kept, but it does not sync.
    pub unknown_to_xpm: bool,
}

impl TypeMapping {
    /// What is wrong with the saved mapping, in words, if anything.
    pub fn problem(&self) -> Option<String> {
        let mapped = self.mapped.as_ref().filter(|_| self.unknown_to_xpm)?;
        Some(format!(
            "`{mapped}` is not one of XPM's relationship types; choose a new type. Until then, associations of this type do not sync."
        ))
    }
}

/// An association with the names people know it by; a name is `None` when
/// its client or type is no longer there.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedAssociation {
    pub association: Association,
    pub client: Option<ClientName>,
    pub related: Option<ClientName>,
    pub kind: Option<AssociationTypeName>,
}

/// The setting "PM Hub's client id in XPM" as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdFieldSetting {
    pub current: Option<ClientIdField>,
    /// The organisation Syncs go to now, if any: a field of another one is not used.
    pub connected: Option<XpmTenantId>,
}

impl ClientIdFieldSetting {
    /// Whether the chosen field belongs to the organisation Syncs go to.
    pub fn in_connected_organisation(&self) -> bool {
        self.current
            .as_ref()
            .is_some_and(|f| self.connected == Some(f.tenant))
    }
}

impl<S, G, A, C, I> Integration<S, G, A, C, I>
where
    S: Stores,
    G: XpmGateway,
    A: XpmAuthorization,
    C: Clock,
    I: IdGenerator,
{
    /// The Clients list, in the store's order: three reads for the whole
    /// list (clients, sync records, newest entries), not two per client.
    pub async fn clients_overview(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> Result<ClientsOverview, RecordsError> {
        self.member::<RecordsError>(practice, user).await?;
        let clients = self.stores.clients(practice).await?;
        let connection = self.stores.connection(practice).await?;
        let mut last_synced: HashMap<ClientId, OffsetDateTime> = match connection.organisation() {
            Some(o) => self
                .stores
                .records_in(practice, o.tenant)
                .await?
                .into_iter()
                .map(|r| (r.client, r.last_synced_at))
                .collect(),
            None => HashMap::new(),
        };
        let mut newest: HashMap<ClientId, ActivityEntry> = self
            .stores
            .newest_per_client(practice)
            .await?
            .into_iter()
            .filter_map(|e| Some((e.client?, e)))
            .collect();
        let clients = clients
            .into_iter()
            .map(|client| ClientSummary {
                last_synced_at: last_synced.remove(&client.id),
                newest: newest.remove(&client.id),
                client,
            })
            .collect();
        Ok(ClientsOverview {
            clients,
            connection,
        })
    }

    /// The associations of `clients` (those of the practice; others are
    /// skipped), named: two reads for the names, one per client.
    pub async fn named_associations(
        &self,
        practice: PracticeId,
        user: UserId,
        clients: &[ClientId],
    ) -> Result<Vec<NamedAssociation>, RecordsError> {
        self.member::<RecordsError>(practice, user).await?;
        let names: HashMap<ClientId, ClientName> = self
            .stores
            .clients(practice)
            .await?
            .into_iter()
            .map(|c| (c.id, c.details.name))
            .collect();
        let kinds: HashMap<_, _> = self
            .stores
            .association_types(practice)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
        let mut named = Vec::new();
        for client in clients.iter().filter(|c| names.contains_key(c)) {
            for association in self.stores.associations_of(practice, *client).await? {
                named.push(NamedAssociation {
                    client: names.get(&association.client()).cloned(),
                    related: names.get(&association.related()).cloned(),
                    kind: kinds.get(&association.association_type()).cloned(),
                    association,
                });
            }
        }
        Ok(named)
    }

    /// The connection as last stored, without asking Xero (for pages that
    /// only name the organisation; `check_connection` asks).
    pub async fn stored_connection(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> Result<ConnectionState, ConnectionUseCaseError> {
        self.member::<ConnectionUseCaseError>(practice, user)
            .await?;
        Ok(self.stores.connection(practice).await?)
    }

    /// Each association type with its mapping, checked against the
    /// configured list of XPM's relationship types.
    pub async fn type_mappings(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> Result<Vec<TypeMapping>, SettingsError> {
        self.member::<SettingsError>(practice, user).await?;
        let types = self.stores.association_types(practice).await?;
        let settings = self.stores.settings(practice).await?;
        Ok(types
            .into_iter()
            .map(|t| {
                let mapped = settings.mapping_for(t.id).cloned();
                TypeMapping {
                    unknown_to_xpm: mapped
                        .as_ref()
                        .is_some_and(|m| self.relationship_types.resolve(m).is_err()),
                    mapped,
                    association_type: t,
                }
            })
            .collect())
    }

    /// The client id field setting and the organisation it is measured against.
    pub async fn client_id_field_setting(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> Result<ClientIdFieldSetting, SettingsError> {
        self.member::<SettingsError>(practice, user).await?;
        let settings = self.stores.settings(practice).await?;
        let connection = self.stores.connection(practice).await?;
        Ok(ClientIdFieldSetting {
            current: settings.client_id_field().cloned(),
            connected: connection.sync_target().ok().map(|t| t.tenant()),
        })
    }
}
