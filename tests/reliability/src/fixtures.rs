//! The two practices every test starts from.
//!
//! Practice A is the demo practice (`pmhub_xpm::demo::seed_practice`: an
//! admin, a staff member, a dozen clients, association types some mapped).
//! Practice B is small: an admin, two clients with a business structure, a
//! mapped "Director" type and one association. Each user gets an API token.

use std::collections::BTreeMap;

use domain::association::{Association, AssociationTerms, AssociationType};
use domain::client::{BusinessStructure, Client, ClientDetails, ClientKind, ClientStatus};
use domain::ids::{AssociationId, AssociationTypeId, ClientId, PracticeId, UserId};
use domain::practice::{Practice, Role, User};
use domain::relationship_type::XpmRelationshipType;
use domain::settings::{IntegrationSettings, PushOptions};
use domain::text::{AssociationTypeName, ClientName, DisplayName, EmailAddress};
use pmhub_xpm::auth::{api_token, password};
use pmhub_xpm::demo;
use pmhub_xpm::state::AppStore;
use uuid::Uuid;

pub const B_ADMIN_EMAIL: &str = "admin@practice-b.test";
pub const B_ADMIN_PASSWORD: &str = "practice-b-admin-password";

/// Ids and credentials of both practices.
#[derive(Debug, Clone)]
pub struct Fixtures {
    pub a: PracticeId,
    pub a_admin_token: String,
    pub a_staff_token: String,
    /// Practice A's active clients (demo ids), in seed order.
    pub a_clients: Vec<ClientId>,
    pub b: PracticeId,
    pub b_admin_token: String,
    pub b_clients: Vec<ClientId>,
    pub b_association_type: AssociationTypeId,
    pub b_association: AssociationId,
}

/// The demo's id scheme (`demo.rs`): kind 3 are clients, 2 users, 4 types.
pub fn demo_id(kind: u128, n: u128) -> Uuid {
    Uuid::from_u128(0x5eed_0000_0000_0000_0000_0000_0000_0000 | (kind << 32) | n)
}

/// The demo client with Acme's name, which is already in the sim's
/// organisation (a first sync needs a link-or-create decision).
pub fn acme() -> ClientId {
    ClientId::from_uuid(demo_id(3, 1))
}

async fn token_for<S: AppStore>(store: &S, user: &User) -> String {
    let (token, hash) = api_token::generate();
    store
        .save_api_token(user, &hash, "reliability")
        .await
        .expect("save an API token");
    token
}

pub async fn seed<S: AppStore>(store: &S) -> Fixtures {
    demo::seed_practice(store).await.expect("seed practice A");
    let a = demo::practice_id();
    let a_admin = store
        .user(a, UserId::from_uuid(demo_id(2, 1)))
        .await
        .expect("read")
        .expect("demo admin");
    let a_staff = store
        .user(a, UserId::from_uuid(demo_id(2, 2)))
        .await
        .expect("read")
        .expect("demo staff");
    let a_clients = store
        .clients(a)
        .await
        .expect("clients")
        .into_iter()
        .filter(|c| c.status == ClientStatus::Active)
        .map(|c| c.id)
        .collect();

    let b = PracticeId::from_uuid(Uuid::new_v4());
    store
        .save_practice(&Practice {
            id: b,
            name: DisplayName::new("Practice B").expect("name"),
        })
        .await
        .expect("practice B");
    let b_admin = User {
        id: UserId::from_uuid(Uuid::new_v4()),
        practice: b,
        name: DisplayName::new("Bea Admin").expect("name"),
        email: EmailAddress::new(B_ADMIN_EMAIL).expect("email"),
        role: Role::Admin,
    };
    store.save_user(&b_admin).await.expect("user");
    store
        .save_login(&b_admin, &password::hash(B_ADMIN_PASSWORD).expect("hash"))
        .await
        .expect("login");
    let mut b_clients = Vec::new();
    for (name, structure) in [
        ("Beta Widgets Pty Ltd", BusinessStructure::Company),
        ("Bruno Beta", BusinessStructure::Individual),
    ] {
        let mut details = ClientDetails::named(
            ClientName::new(name).expect("name"),
            ClientKind::Organisation,
        );
        details.business_structure = Some(structure);
        let client = Client {
            id: ClientId::from_uuid(Uuid::new_v4()),
            practice: b,
            status: ClientStatus::Active,
            details,
        };
        store.save_client(&client).await.expect("client");
        b_clients.push(client.id);
    }
    let director = AssociationType {
        id: AssociationTypeId::from_uuid(Uuid::new_v4()),
        practice: b,
        name: AssociationTypeName::new("Director").expect("name"),
    };
    store.save_association_type(&director).await.expect("type");
    store
        .save_settings(
            b,
            &IntegrationSettings::new(
                BTreeMap::from([(director.id, XpmRelationshipType::from_static("Director"))]),
                PushOptions::default(),
            ),
        )
        .await
        .expect("settings");
    let association = Association::new(
        AssociationId::from_uuid(Uuid::new_v4()),
        b,
        b_clients[0],
        b_clients[1],
        director.id,
        AssociationTerms::default(),
    )
    .expect("association");
    store
        .save_association(&association)
        .await
        .expect("association");

    Fixtures {
        a,
        a_admin_token: token_for(store, &a_admin).await,
        a_staff_token: token_for(store, &a_staff).await,
        a_clients,
        b,
        b_admin_token: token_for(store, &b_admin).await,
        b_clients,
        b_association_type: director.id,
        b_association: association.id(),
    }
}
