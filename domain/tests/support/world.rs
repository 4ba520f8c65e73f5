//! A practice with users and clients, over the fakes, and shorthand to act in it.

use domain::activity::ActivityEntry;
use domain::association::{Association, AssociationTerms, AssociationType};
use domain::client::{BusinessStructure, Client, ClientDetails, ClientKind, ClientStatus};
use domain::connection::{ConnectionState, DisconnectConfirmation, XpmOrganisation};
use domain::ids::*;
use domain::ports::{ActivityFilter, ActivityPage};
use domain::practice::{Practice, Role, User};
use domain::relationship_type::XpmRelationshipType;
use domain::sync::{FirstSyncDecision, ManualSyncRequest};
use domain::text::{AssociationTypeName, ClientName, DisplayName, EmailAddress};
use domain::usecases::{
    AuthorisationCallback, AuthorisationOutcome, Integration, SyncError, SyncOutcome,
};
use futures::executor::block_on;
use uuid::Uuid;

use super::fakes::*;

pub type TestIntegration = Integration<MemoryStores, FakeXpm, FakeAuth, FixedClock, CountingIds>;

pub struct World {
    pub app: TestIntegration,
    pub practice: PracticeId,
    pub admin: UserId,
    pub staff: UserId,
    next: u128,
}

pub fn organisation(n: u128) -> XpmOrganisation {
    XpmOrganisation {
        tenant: XpmTenantId::from_uuid(Uuid::from_u128(0xD000 + n)),
        name: DisplayName::new(format!("XPM Org {n}")).unwrap(),
    }
}

impl World {
    pub fn new() -> Self {
        let stores = MemoryStores::default();
        let practice = PracticeId::from_uuid(Uuid::from_u128(1));
        let admin = UserId::from_uuid(Uuid::from_u128(2));
        let staff = UserId::from_uuid(Uuid::from_u128(3));
        stores.with(|s| {
            s.practices.insert(
                practice,
                Practice {
                    id: practice,
                    name: DisplayName::new("Smith & Co").unwrap(),
                },
            );
            for (id, role, name) in [(admin, Role::Admin, "Ada"), (staff, Role::Staff, "Sam")] {
                s.users.insert(
                    id,
                    User {
                        id,
                        practice,
                        name: DisplayName::new(name).unwrap(),
                        email: EmailAddress::new(format!("{}@smith.example", name.to_lowercase()))
                            .unwrap(),
                        role,
                    },
                );
            }
        });
        let clock = FixedClock::default();
        let xpm = FakeXpm::default();
        xpm.with(|s| s.clock = Some(clock.clone()));
        let app = Integration::new(
            super::shipped_relationship_types(),
            stores,
            xpm,
            FakeAuth::granting(vec![organisation(1)]),
            clock,
            CountingIds::default(),
        );
        Self {
            app,
            practice,
            admin,
            staff,
            next: 100,
        }
    }

    fn uuid(&mut self) -> Uuid {
        self.next += 1;
        Uuid::from_u128(self.next)
    }

    pub fn stores(&self) -> &MemoryStores {
        &self.app.stores
    }

    pub fn xpm(&self) -> &FakeXpm {
        &self.app.xpm
    }

    /// An active company with a business structure (so relationships can sync).
    pub fn company(&mut self, name: &str) -> ClientId {
        let mut details =
            ClientDetails::named(ClientName::new(name).unwrap(), ClientKind::Organisation);
        details.business_structure = Some(BusinessStructure::Company);
        self.client_with(details)
    }

    pub fn client_with(&mut self, details: ClientDetails) -> ClientId {
        let id = ClientId::from_uuid(self.uuid());
        let client = Client {
            id,
            practice: self.practice,
            status: ClientStatus::Active,
            details,
        };
        self.stores().with(|s| s.clients.insert(id, client));
        id
    }

    pub fn edit(&self, client: ClientId, f: impl FnOnce(&mut Client)) {
        self.stores()
            .with(|s| f(s.clients.get_mut(&client).unwrap()));
    }

    pub fn client(&self, client: ClientId) -> Client {
        self.stores().with(|s| s.clients[&client].clone())
    }

    pub fn association_type(&mut self, name: &str) -> AssociationTypeId {
        let id = AssociationTypeId::from_uuid(self.uuid());
        let t = AssociationType {
            id,
            practice: self.practice,
            name: AssociationTypeName::new(name).unwrap(),
        };
        self.stores().with(|s| s.association_types.insert(id, t));
        id
    }

    pub fn associate(
        &mut self,
        client: ClientId,
        related: ClientId,
        kind: AssociationTypeId,
    ) -> AssociationId {
        self.associate_with(client, related, kind, AssociationTerms::default())
    }

    pub fn associate_with(
        &mut self,
        client: ClientId,
        related: ClientId,
        kind: AssociationTypeId,
        terms: AssociationTerms,
    ) -> AssociationId {
        let id = AssociationId::from_uuid(self.uuid());
        let a = Association::new(id, self.practice, client, related, kind, terms).unwrap();
        self.stores().with(|s| s.associations.insert(id, a));
        id
    }

    pub fn map(&self, kind: AssociationTypeId, to: Option<XpmRelationshipType>) {
        block_on(
            self.app
                .configure_mapping(self.practice, self.admin, kind, to),
        )
        .unwrap();
    }

    pub fn connect_to(&self, n: u128) -> ConnectionState {
        self.app
            .authorization
            .with(|s| s.organisations = vec![organisation(n)]);
        let url = block_on(self.app.connect(self.practice, self.admin)).unwrap();
        let state = url.split("state=").nth(1).unwrap().to_owned();
        match block_on(self.app.complete_authorisation(
            self.practice,
            AuthorisationCallback::Code {
                code: format!("code-{n}"),
                state,
            },
        ))
        .unwrap()
        {
            AuthorisationOutcome::Connected(state) => state,
            other => panic!("not connected: {other:?}"),
        }
    }

    pub fn connect(&self) -> ConnectionState {
        self.connect_to(1)
    }

    pub fn disconnect(&self) -> ConnectionState {
        block_on(self.app.disconnect(
            self.practice,
            self.admin,
            DisconnectConfirmation::from_answer(true).unwrap(),
        ))
        .unwrap()
    }

    pub fn connection(&self) -> ConnectionState {
        self.stores().with(|s| {
            s.connections
                .get(&self.practice)
                .cloned()
                .unwrap_or(ConnectionState::NotConnected)
        })
    }

    pub fn request(
        &self,
        client: ClientId,
        decision: Option<FirstSyncDecision>,
    ) -> ManualSyncRequest {
        let user = self.stores().with(|s| s.users[&self.staff].clone());
        ManualSyncRequest::new(&user, self.practice, client, decision).unwrap()
    }

    pub fn sync(&self, client: ClientId) -> Result<SyncOutcome, SyncError> {
        block_on(self.app.sync_client(&self.request(client, None)))
    }

    pub fn sync_deciding(
        &self,
        client: ClientId,
        decision: FirstSyncDecision,
    ) -> Result<SyncOutcome, SyncError> {
        block_on(self.app.sync_client(&self.request(client, Some(decision))))
    }

    /// XPM defines a client Text field, and the admin chooses it as where
    /// the Sync keeps PM Hub's client ids (the practice must be connected).
    pub fn keep_ids_in_xpm(&mut self, name: &str) -> XpmCustomFieldUuid {
        let field = XpmCustomFieldUuid::from_uuid(self.uuid());
        self.xpm().with(|s| {
            s.definitions
                .push(domain::custom_field::XpmCustomFieldDefinition {
                    uuid: field,
                    name: name.to_owned(),
                    kind: domain::custom_field::XpmCustomFieldKind::Text,
                    use_client: true,
                })
        });
        block_on(
            self.app
                .configure_client_id_field(self.practice, self.admin, Some(field)),
        )
        .unwrap();
        field
    }

    pub fn activity(&self) -> Vec<ActivityEntry> {
        block_on(self.app.read_activity(
            self.practice,
            self.staff,
            &ActivityFilter::default(),
            ActivityPage {
                after: None,
                limit: 500,
            },
        ))
        .unwrap()
    }

    pub fn codes(&self) -> Vec<&'static str> {
        let mut codes: Vec<_> = self.activity().iter().map(|e| e.kind.code()).collect();
        codes.reverse();
        codes
    }
}
