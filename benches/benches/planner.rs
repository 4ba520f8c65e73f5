//! The sync planner alone (pure, in process): `plan_sync` for a client with
//! 0, 1, 10 and 50 mapped associations, on a first sync, an unchanged
//! re-sync and a re-sync after one field changed.
//! `cargo bench -p pmhub-benches --bench planner`.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use domain::association::{Association, AssociationTerms};
use domain::client::{BusinessStructure, Client, ClientDetails, ClientKind, ClientStatus};
use domain::connection::{ConnectionState, SyncTarget, XpmOrganisation};
use domain::ids::*;
use domain::ports::XpmClientView;
use domain::practice::{Role, User};
use domain::relationship_type::{RelationshipTypes, XpmRelationshipType};
use domain::settings::{IntegrationSettings, PushOptions};
use domain::sync::{
    ClientPayload, ManualSyncRequest, OwnedField, PlanInput, PushedRelationship, RelatedClientView,
    RelationshipTerms, SyncRecord, XpmClientRead, XpmRelationshipSeen, plan_sync,
};
use domain::text::{ClientName, DisplayName, EmailAddress};
use time::macros::datetime;
use uuid::Uuid;

const PRACTICE: PracticeId = PracticeId::from_uuid(Uuid::from_u128(1));
const CLIENT: ClientId = ClientId::from_uuid(Uuid::from_u128(2));
const TENANT: XpmTenantId = XpmTenantId::from_uuid(Uuid::from_u128(3));
const KIND: AssociationTypeId = AssociationTypeId::from_uuid(Uuid::from_u128(4));

fn related_id(i: usize) -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(1000 + i as u128))
}

fn related_xpm(i: usize) -> XpmClientUuid {
    XpmClientUuid::from_uuid(Uuid::from_u128(2000 + i as u128))
}

fn association_id(i: usize) -> AssociationId {
    AssociationId::from_uuid(Uuid::from_u128(3000 + i as u128))
}

#[derive(Clone, Copy)]
enum State {
    First,
    Unchanged,
    OneChange,
}

struct Built {
    request: ManualSyncRequest,
    target: SyncTarget,
    client: Client,
    associations: Vec<Association>,
    related: BTreeMap<ClientId, RelatedClientView>,
    settings: IntegrationSettings,
    record: Option<SyncRecord>,
    /// XPM's copy as the sync's first read answers it: what was pushed.
    xpm_now: Option<XpmClientRead>,
}

fn build(n: usize, state: State) -> Built {
    let user = User {
        id: UserId::from_uuid(Uuid::from_u128(9)),
        practice: PRACTICE,
        name: DisplayName::new("Sam").expect("name"),
        email: EmailAddress::new("sam@example.com").expect("email"),
        role: Role::Staff,
    };
    let mut details = ClientDetails::named(
        ClientName::new("Planner Bench Pty Ltd").expect("name"),
        ClientKind::Organisation,
    );
    details.business_structure = Some(BusinessStructure::Company);
    let client = Client {
        id: CLIENT,
        practice: PRACTICE,
        status: ClientStatus::Active,
        details,
    };
    let settings = IntegrationSettings::new(
        [(KIND, XpmRelationshipType::from_static("Director"))]
            .into_iter()
            .collect(),
        PushOptions::default(),
    );
    let associations: Vec<Association> = (0..n)
        .map(|i| {
            Association::new(
                association_id(i),
                PRACTICE,
                CLIENT,
                related_id(i),
                KIND,
                AssociationTerms::default(),
            )
            .expect("association")
        })
        .collect();
    let related = (0..n)
        .map(|i| {
            (
                related_id(i),
                RelatedClientView {
                    status: ClientStatus::Active,
                    has_business_structure: true,
                    xpm_client: Some(related_xpm(i)),
                    pushed_towards_this_client: Vec::new(),
                },
            )
        })
        .collect();
    let record = match state {
        State::First => None,
        State::Unchanged | State::OneChange => {
            let mut pushed = client.details.clone();
            if matches!(state, State::OneChange) {
                pushed.email = Some(EmailAddress::new("old@example.com").expect("email"));
            }
            let relationships = (0..n)
                .map(|i| {
                    (
                        association_id(i),
                        PushedRelationship {
                            xpm_relationship: XpmRelationshipUuid::from_uuid(Uuid::from_u128(
                                4000 + i as u128,
                            )),
                            related_xpm_client: related_xpm(i),
                            xpm_type: XpmRelationshipType::from_static("Director"),
                            terms: RelationshipTerms::new(AssociationTerms::default()),
                        },
                    )
                })
                .collect();
            Some(SyncRecord {
                practice: PRACTICE,
                client: CLIENT,
                tenant: TENANT,
                xpm_client: XpmClientUuid::from_uuid(Uuid::from_u128(600)),
                last_pushed: Some(ClientPayload::new(&pushed, PushOptions::default())),
                relationships,
                last_synced_at: datetime!(2026-01-01 0:00 UTC),
                client_id_written: None,
            })
        }
    };
    let connected = ConnectionState::Connected {
        organisation: XpmOrganisation {
            tenant: TENANT,
            name: DisplayName::new("Org").expect("org"),
        },
        connected_since: datetime!(2026-01-01 0:00 UTC),
    };
    let xpm_now = record.as_ref().map(|r| {
        let shown = r.last_pushed.as_ref().expect("pushed");
        XpmClientRead::Found(XpmClientView {
            xpm_client: r.xpm_client,
            fields: OwnedField::ALL
                .iter()
                .filter_map(|f| shown.value(*f).map(|v| (f.xpm_name().to_owned(), v)))
                .collect(),
            relationships: r
                .relationships
                .values()
                .map(|p| XpmRelationshipSeen {
                    xpm_relationship: p.xpm_relationship,
                    related_xpm_client: p.related_xpm_client,
                    xpm_type: p.xpm_type.clone(),
                    terms: AssociationTerms::default(),
                })
                .collect(),
            archived: false,
            web_url: None,
        })
    });
    Built {
        request: ManualSyncRequest::new(&user, PRACTICE, CLIENT, None).expect("request"),
        target: connected.sync_target().expect("target"),
        client,
        associations,
        related,
        settings,
        record,
        xpm_now,
    }
}

fn plan(b: &Built, types: &RelationshipTypes) -> domain::sync::SyncPlan {
    plan_sync(PlanInput {
        relationship_types: types,
        request: &b.request,
        target: &b.target,
        client: &b.client,
        associations: &b.associations,
        related: &b.related,
        settings: &b.settings,
        record: b.record.as_ref(),
        search_results: &[],
        pending: &[],
        linked_now: b.xpm_now.as_ref(),
        chosen_now: None,
        chosen_linked_to: None,
    })
    .expect("plan")
}

fn planner(c: &mut Criterion) {
    let types = pmhub_xpm::relationship_types::shipped();
    let mut group = c.benchmark_group("plan_sync");
    for n in [0usize, 1, 10, 50] {
        for (label, state) in [
            ("first", State::First),
            ("unchanged", State::Unchanged),
            ("one_change", State::OneChange),
        ] {
            let built = build(n, state);
            group.bench_with_input(BenchmarkId::new(label, n), &built, |b, built| {
                b.iter(|| black_box(plan(black_box(built), &types)));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, planner);
criterion_main!(benches);
