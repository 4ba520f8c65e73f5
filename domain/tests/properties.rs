//! Properties of the planner and the connection state machine, over random inputs.

mod support;

use std::collections::BTreeMap;

use domain::association::{Association, AssociationTerms, Percentage};
use domain::client::{BusinessStructure, Client, ClientDetails, ClientKind, ClientStatus};
use domain::connection::{
    ConnectionEvent, ConnectionProblem, ConnectionState, ConnectionStatus, DisconnectConfirmation,
    XpmOrganisation,
};
use domain::ids::*;
use domain::ports::XpmClientView;
use domain::practice::{Role, User};
use domain::relationship_type::XpmRelationshipType;
use domain::settings::{IntegrationSettings, PushOptions};
use domain::sync::{
    ClientPayload, ClientStep, ManualSyncRequest, OwnedField, PlanInput, PushedRelationship,
    RelatedClientView, RelationshipStep, RelationshipTerms, SyncRecord, XpmClientRead,
    XpmRelationshipSeen, plan_sync,
};
use domain::text::{ClientName, DisplayName, EmailAddress};
use proptest::prelude::*;
use time::macros::datetime;
use uuid::Uuid;

const PRACTICE: PracticeId = PracticeId::from_uuid(Uuid::from_u128(1));
const CLIENT: ClientId = ClientId::from_uuid(Uuid::from_u128(2));
const TENANT: XpmTenantId = XpmTenantId::from_uuid(Uuid::from_u128(3));

fn organisation() -> XpmOrganisation {
    XpmOrganisation {
        tenant: TENANT,
        name: DisplayName::new("Org").unwrap(),
    }
}

fn related_id(i: usize) -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(100 + i as u128))
}

fn type_id(i: usize) -> AssociationTypeId {
    AssociationTypeId::from_uuid(Uuid::from_u128(200 + i as u128))
}

fn association_id(i: usize) -> AssociationId {
    AssociationId::from_uuid(Uuid::from_u128(300 + i as u128))
}

fn related_xpm(i: usize) -> XpmClientUuid {
    XpmClientUuid::from_uuid(Uuid::from_u128(400 + i as u128))
}

/// A related client as the scenario draws it.
#[derive(Debug, Clone)]
struct RelatedDraw {
    status: ClientStatus,
    has_structure: bool,
    in_xpm: bool,
}

/// An association as the scenario draws it.
#[derive(Debug, Clone)]
struct AssociationDraw {
    related: usize,
    mapped_type: usize,
    percentage_hundredths: Option<u16>,
}

/// A relationship the record says was pushed.
#[derive(Debug, Clone, Copy)]
struct PushedDraw {
    association: usize,
    mapped_type: usize,
    same_terms: bool,
}

#[derive(Debug, Clone)]
struct Scenario {
    client_has_structure: bool,
    client_name: String,
    related: Vec<RelatedDraw>,
    mappings: Vec<Option<XpmRelationshipType>>,
    associations: Vec<AssociationDraw>,
    record: Option<(bool, Vec<PushedDraw>)>, // last pushed equals now; what was pushed
    removed_pushed: Vec<usize>,              // pushed associations that no longer exist
}

fn status() -> impl Strategy<Value = ClientStatus> {
    prop_oneof![4 => Just(ClientStatus::Active), 1 => Just(ClientStatus::Deactivated), 1 => Just(ClientStatus::Deleted)]
}

fn xpm_type() -> impl Strategy<Value = XpmRelationshipType> {
    let names: Vec<XpmRelationshipType> = support::shipped_relationship_types()
        .iter()
        .map(|t| t.name.clone())
        .collect();
    proptest::sample::select(names)
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        any::<bool>(),
        "[A-Za-z&<> ]{1,20}",
        prop::collection::vec(
            (status(), any::<bool>(), any::<bool>()).prop_map(|(status, has_structure, in_xpm)| {
                RelatedDraw {
                    status,
                    has_structure,
                    in_xpm,
                }
            }),
            1..5,
        ),
        prop::collection::vec(prop::option::of(xpm_type()), 1..4),
    )
        .prop_flat_map(|(client_has_structure, client_name, related, mappings)| {
            let (n_related, n_types) = (related.len(), mappings.len());
            let associations = prop::collection::vec(
                (0..n_related, 0..n_types, prop::option::of(0u16..=10_000)).prop_map(
                    |(related, mapped_type, percentage_hundredths)| AssociationDraw {
                        related,
                        mapped_type,
                        percentage_hundredths,
                    },
                ),
                0..8,
            );
            let record = prop::option::of((
                any::<bool>(),
                prop::collection::vec(
                    (0..8usize, 0..n_types, any::<bool>()).prop_map(
                        |(association, mapped_type, same_terms)| PushedDraw {
                            association,
                            mapped_type,
                            same_terms,
                        },
                    ),
                    0..4,
                ),
            ));
            let removed = prop::collection::vec(8..12usize, 0..3);
            (
                Just(client_has_structure),
                Just(client_name),
                Just(related),
                Just(mappings),
                associations,
                record,
                removed,
            )
        })
        .prop_map(
            |(
                client_has_structure,
                client_name,
                related,
                mappings,
                associations,
                record,
                removed_pushed,
            )| Scenario {
                client_has_structure,
                client_name,
                related,
                mappings,
                associations,
                record,
                removed_pushed,
            },
        )
}

struct Built {
    request: ManualSyncRequest,
    target: domain::connection::SyncTarget,
    client: Client,
    associations: Vec<Association>,
    related: BTreeMap<ClientId, RelatedClientView>,
    settings: IntegrationSettings,
    record: Option<SyncRecord>,
    /// XPM's copy of the linked client: what was last pushed, relationships included.
    xpm_now: Option<XpmClientRead>,
    relationship_types: domain::relationship_type::RelationshipTypes,
}

fn build(s: &Scenario) -> Built {
    let user = User {
        id: UserId::from_uuid(Uuid::from_u128(9)),
        practice: PRACTICE,
        name: DisplayName::new("Sam").unwrap(),
        email: EmailAddress::new("sam@example.com").unwrap(),
        role: Role::Staff,
    };
    let mut details = ClientDetails::named(
        ClientName::new(&s.client_name).unwrap_or_else(|_| ClientName::new("X").unwrap()),
        ClientKind::Organisation,
    );
    details.business_structure = s.client_has_structure.then_some(BusinessStructure::Company);
    let client = Client {
        id: CLIENT,
        practice: PRACTICE,
        status: ClientStatus::Active,
        details,
    };
    let settings = IntegrationSettings::new(
        s.mappings
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.clone().map(|t| (type_id(i), t)))
            .collect(),
        PushOptions::default(),
    );
    let associations: Vec<Association> = s
        .associations
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let terms = AssociationTerms {
                percentage: a
                    .percentage_hundredths
                    .map(|p| Percentage::from_hundredths(u64::from(p)).unwrap()),
                ..Default::default()
            };
            Association::new(
                association_id(i),
                PRACTICE,
                CLIENT,
                related_id(a.related),
                type_id(a.mapped_type),
                terms,
            )
            .unwrap()
        })
        .collect();
    let related = s
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                related_id(i),
                RelatedClientView {
                    status: r.status,
                    has_business_structure: r.has_structure,
                    xpm_client: r.in_xpm.then(|| related_xpm(i)),
                    pushed_towards_this_client: Vec::new(),
                },
            )
        })
        .collect();
    let record = s.record.as_ref().map(|(same, pushed)| {
        let payload = ClientPayload::new(&client.details, PushOptions::default());
        let mut relationships = BTreeMap::new();
        let all_pushed =
            pushed
                .iter()
                .copied()
                .chain(s.removed_pushed.iter().map(|&association| PushedDraw {
                    association,
                    mapped_type: 0,
                    same_terms: true,
                }));
        for PushedDraw {
            association: a,
            mapped_type: t,
            same_terms,
        } in all_pushed
        {
            let (related_index, percentage) = s
                .associations
                .get(a)
                .map_or((0, None), |d| (d.related, d.percentage_hundredths));
            let xpm_type = s.mappings[t % s.mappings.len()]
                .clone()
                .unwrap_or(XpmRelationshipType::from_static("Spouse"));
            let pct = if same_terms {
                percentage
            } else {
                Some(percentage.map_or(1, |p| (p + 1) % 10_001))
            };
            let terms = RelationshipTerms::new(AssociationTerms {
                percentage: pct.map(|p| Percentage::from_hundredths(u64::from(p)).unwrap()),
                ..Default::default()
            });
            relationships.insert(
                association_id(a),
                PushedRelationship {
                    xpm_relationship: XpmRelationshipUuid::from_uuid(Uuid::from_u128(
                        500 + a as u128,
                    )),
                    related_xpm_client: related_xpm(related_index),
                    xpm_type,
                    terms,
                },
            );
        }
        let mut last = payload.clone();
        if !same {
            let mut d = last.details().clone();
            d.is_prospect = !d.is_prospect;
            last = ClientPayload::new(&d, PushOptions::default());
        }
        SyncRecord {
            practice: PRACTICE,
            client: CLIENT,
            tenant: TENANT,
            xpm_client: XpmClientUuid::from_uuid(Uuid::from_u128(600)),
            last_pushed: Some(last),
            relationships,
            last_synced_at: datetime!(2026-01-01 0:00 UTC),
            client_id_written: None,
        }
    });
    let connected = ConnectionState::Connected {
        organisation: organisation(),
        connected_since: datetime!(2026-01-01 0:00 UTC),
    };
    let xpm_now = record.as_ref().map(|r| {
        let shown = r
            .last_pushed
            .clone()
            .expect("the scenario's records have a push");
        XpmClientRead::Found(XpmClientView {
            xpm_client: r.xpm_client,
            fields: owned_values(&shown),
            relationships: r
                .relationships
                .values()
                .map(|p| XpmRelationshipSeen {
                    xpm_relationship: p.xpm_relationship,
                    related_xpm_client: p.related_xpm_client,
                    xpm_type: p.xpm_type.clone(),
                    terms: AssociationTerms {
                        shares: p.terms.shares,
                        percentage: p.terms.percentage,
                        start_date: p.terms.start_date,
                        end_date: p.terms.end_date,
                    },
                })
                .collect(),
            archived: false,
            web_url: None,
        })
    });
    Built {
        request: ManualSyncRequest::new(&user, PRACTICE, CLIENT, None).unwrap(),
        target: connected.sync_target().unwrap(),
        client,
        associations,
        related,
        settings,
        record,
        xpm_now,
        relationship_types: support::shipped_relationship_types(),
    }
}

/// The owned fields' values as XPM would show them, plus a field PM Hub does not own.
fn owned_values(payload: &ClientPayload) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = OwnedField::ALL
        .iter()
        .filter_map(|f| payload.value(*f).map(|v| (f.xpm_name().to_owned(), v)))
        .collect();
    fields.push(("ReferralSource".to_owned(), "XPM's own".to_owned()));
    fields
}

/// XPM after the plan's writes, as XPM applies them; and the record as the use case keeps it.
fn apply(b: &mut Built, plan: &domain::sync::SyncPlan) {
    let xpm_client = plan
        .client
        .known_xpm_client()
        .unwrap_or(XpmClientUuid::from_uuid(Uuid::from_u128(600)));
    let mut view = match b.xpm_now.take() {
        Some(XpmClientRead::Found(v)) => v,
        _ => XpmClientView {
            xpm_client,
            fields: Vec::new(),
            relationships: Vec::new(),
            archived: false,
            web_url: None,
        },
    };
    let payload = ClientPayload::new(&b.client.details, b.settings.push_options());
    let written: Vec<OwnedField> = match &plan.client {
        ClientStep::Create { .. } => OwnedField::owned(b.settings.push_options()),
        other => other.changes().iter().map(|c| c.field).collect(),
    };
    for f in written {
        view.fields.retain(|(name, _)| name != f.xpm_name());
        if let Some(v) = payload.value(f) {
            view.fields.push((f.xpm_name().to_owned(), v));
        }
    }
    let mut record = b.record.clone().unwrap_or(SyncRecord {
        practice: PRACTICE,
        client: CLIENT,
        tenant: TENANT,
        xpm_client,
        last_pushed: None,
        relationships: BTreeMap::new(),
        last_synced_at: datetime!(2026-01-01 0:00 UTC),
        client_id_written: None,
    });
    record.last_pushed = Some(payload);
    let as_terms = |t: RelationshipTerms| AssociationTerms {
        shares: t.shares,
        percentage: t.percentage,
        start_date: t.start_date,
        end_date: t.end_date,
    };
    for (n, step) in plan.relationships.iter().enumerate() {
        match step {
            RelationshipStep::Add {
                association,
                related_xpm_client,
                xpm_type,
                terms,
            } => {
                let id = XpmRelationshipUuid::from_uuid(Uuid::from_u128(700 + n as u128));
                view.relationships.push(XpmRelationshipSeen {
                    xpm_relationship: id,
                    related_xpm_client: *related_xpm_client,
                    xpm_type: xpm_type.clone(),
                    terms: as_terms(*terms),
                });
                record.relationships.insert(
                    *association,
                    PushedRelationship {
                        xpm_relationship: id,
                        related_xpm_client: *related_xpm_client,
                        xpm_type: xpm_type.clone(),
                        terms: *terms,
                    },
                );
            }
            RelationshipStep::Update {
                association,
                pushed,
                terms,
                ..
            } => {
                for r in &mut view.relationships {
                    if r.xpm_relationship == pushed.xpm_relationship {
                        r.terms = as_terms(*terms);
                    }
                }
                record.relationships.insert(
                    *association,
                    PushedRelationship {
                        terms: *terms,
                        ..pushed.clone()
                    },
                );
            }
            RelationshipStep::Adopt {
                association,
                pushed,
            } => {
                record.relationships.insert(*association, pushed.clone());
            }
            _ => {}
        }
    }
    b.record = Some(record);
    b.xpm_now = Some(XpmClientRead::Found(view));
}

fn plan(b: &Built) -> domain::sync::SyncPlan {
    plan_sync(PlanInput {
        request: &b.request,
        target: &b.target,
        client: &b.client,
        associations: &b.associations,
        related: &b.related,
        settings: &b.settings,
        relationship_types: &b.relationship_types,
        record: b.record.as_ref(),
        search_results: &[],
        pending: &[],
        linked_now: b.xpm_now.as_ref(),
        chosen_now: None,
        chosen_linked_to: None,
    })
    .unwrap()
}

proptest! {
    #[test]
    fn the_planner_never_writes_an_unmapped_removed_or_unready_relationship(s in scenario()) {
        let b = build(&s);
        let plan = plan(&b);
        let current: BTreeMap<_, _> = b.associations.iter().map(|a| (a.id(), a)).collect();
        prop_assert_eq!(plan.relationships.len(), b.associations.len(), "one step per current association, none for removed ones");
        for step in plan.relationships.iter().filter(|s| s.is_write()) {
            let association = current.get(&step.association());
            prop_assert!(association.is_some(), "a write for a removed association");
            let association = association.unwrap();
            prop_assert!(b.settings.mapping_for(association.association_type()).is_some(), "a write for an unmapped type");
            let related = &b.related[&association.related()];
            prop_assert_eq!(related.status, ClientStatus::Active);
            prop_assert!(related.xpm_client.is_some(), "the related client must already be in XPM");
            prop_assert!(related.has_business_structure && b.client.details.business_structure.is_some());
        }
    }

    #[test]
    fn an_unchanged_client_yields_no_client_write(s in scenario()) {
        let mut s = s;
        if let Some(record) = s.record.as_mut() { record.0 = true; } else { s.record = Some((true, Vec::new())); }
        let plan = plan(&build(&s));
        let unchanged = matches!(plan.client, ClientStep::Unchanged { .. });
        prop_assert!(unchanged, "expected no client write, got {:?}", plan.client);
    }

    #[test]
    fn a_resync_after_a_complete_sync_writes_nothing(s in scenario()) {
        let mut b = build(&s);
        let first = plan(&b);
        apply(&mut b, &first);
        let again = plan(&b);
        prop_assert_eq!(again.write_count(), 0, "{:?}", again);
    }

    #[test]
    fn a_client_write_makes_xpm_show_exactly_pm_hubs_owned_fields(s in scenario(), drift in prop::collection::vec((0..33usize, prop::option::of("[a-z]{1,5}")), 0..5)) {
        let mut b = build(&s);
        // A person edits or clears fields directly in XPM.
        if let Some(XpmClientRead::Found(view)) = b.xpm_now.as_mut() {
            for (i, value) in &drift {
                let name = OwnedField::ALL[i % OwnedField::ALL.len()].xpm_name().to_owned();
                view.fields.retain(|(f, _)| *f != name);
                if let Some(v) = value { view.fields.push((name, v.clone())); }
            }
        }
        let had_own_field = b.xpm_now.is_some();
        let first = plan(&b);
        for c in first.client.changes() {
            prop_assert!(OwnedField::owned(b.settings.push_options()).contains(&c.field), "wrote {:?}, which PM Hub does not own", c.field);
        }
        apply(&mut b, &first);
        let payload = ClientPayload::new(&b.client.details, b.settings.push_options());
        let Some(XpmClientRead::Found(view)) = &b.xpm_now else { unreachable!() };
        for f in OwnedField::owned(b.settings.push_options()) {
            let xpm = view.fields.iter().find(|(n, _)| n == f.xpm_name()).map(|(_, v)| v.as_str());
            prop_assert!(f.xpm_shows(payload.value(f).as_deref(), xpm), "{:?}: XPM shows {:?}, PM Hub holds {:?}", f, xpm, payload.value(f));
        }
        prop_assert!(!had_own_field || view.fields.contains(&("ReferralSource".to_owned(), "XPM's own".to_owned())), "a field PM Hub does not own was touched");
    }

    #[test]
    fn a_relationship_xpm_already_holds_is_never_added_again(s in scenario()) {
        let b = build(&s);
        let plan = plan(&b);
        let held: Vec<_> = match &b.xpm_now {
            Some(XpmClientRead::Found(v)) => v.relationships.iter().map(|r| (r.related_xpm_client, r.xpm_type.clone())).collect(),
            _ => Vec::new(),
        };
        for step in &plan.relationships {
            if let RelationshipStep::Add { related_xpm_client, xpm_type, .. } = step {
                prop_assert!(!held.contains(&(*related_xpm_client, xpm_type.clone())), "added {:?} {:?} again", related_xpm_client, xpm_type);
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Event {
    Authorise(u8),
    Expire,
    Revoke,
    Disconnect,
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (0u8..3).prop_map(Event::Authorise),
        Just(Event::Expire),
        Just(Event::Revoke),
        Just(Event::Disconnect)
    ]
}

fn to_event(e: &Event, step: i64) -> ConnectionEvent {
    let at = datetime!(2026-01-01 0:00 UTC) + time::Duration::minutes(step);
    match e {
        Event::Authorise(n) => ConnectionEvent::Authorised {
            organisation: XpmOrganisation {
                tenant: XpmTenantId::from_uuid(Uuid::from_u128(u128::from(*n) + 1)),
                name: DisplayName::new(format!("Org {n}")).unwrap(),
            },
            at,
        },
        Event::Expire => ConnectionEvent::AuthorisationExpired {
            problem: ConnectionProblem::new("invalid_grant"),
        },
        Event::Revoke => ConnectionEvent::AccessRevoked {
            problem: ConnectionProblem::new("revoked"),
        },
        Event::Disconnect => ConnectionEvent::Disconnect {
            confirmation: DisconnectConfirmation::from_answer(true).unwrap(),
            at,
        },
    }
}

proptest! {
    #[test]
    fn sync_is_allowed_exactly_when_connected(events in prop::collection::vec(event(), 0..30)) {
        let mut state = ConnectionState::NotConnected;
        for (i, e) in events.iter().enumerate() {
            if let Ok(t) = state.apply(to_event(e, i as i64)) {
                prop_assert_eq!(t.activity.len(), 1);
                state = t.state;
            }
            prop_assert_eq!(state.sync_target().is_ok(), state.status() == ConnectionStatus::Connected);
        }
    }

    #[test]
    fn every_authorisation_connects_and_refreshes_connected_since(events in prop::collection::vec(event(), 0..30)) {
        let mut state = ConnectionState::NotConnected;
        for (i, e) in events.iter().enumerate() {
            let event = to_event(e, i as i64);
            let result = state.apply(event);
            if let (Event::Authorise(_), Ok(t)) = (e, &result) {
                prop_assert_eq!(t.state.status(), ConnectionStatus::Connected);
                prop_assert_eq!(t.state.connected_since(), Some(datetime!(2026-01-01 0:00 UTC) + time::Duration::minutes(i as i64)));
            }
            prop_assert!(!matches!((e, &result), (Event::Authorise(_), Err(_))), "Connect and Reconnect are always possible");
            if let Ok(t) = result { state = t.state; }
        }
    }

    #[test]
    fn any_sequence_of_connection_use_cases_leaves_the_settings_equal(
        mappings in prop::collection::vec(prop::option::of(xpm_type()), 1..4),
        push_tax_numbers in any::<bool>(),
        events in prop::collection::vec(event(), 0..15),
    ) {
        use support::world::World;
        use futures::executor::block_on;
        use domain::ports::ConnectionProblemKind;
        let mut w = World::new();
        let types: Vec<_> = (0..mappings.len()).map(|i| w.association_type(&format!("Type {i}"))).collect();
        for (t, m) in types.iter().zip(&mappings) { w.map(*t, m.clone()); }
        block_on(w.app.configure_push_options(w.practice, w.admin, PushOptions { push_tax_numbers })).unwrap();
        let settings = || block_on(domain::ports::SettingsStore::settings(w.stores(), w.practice)).unwrap();
        let before = settings();
        for e in &events {
            match e {
                Event::Authorise(n) => { w.connect_to(u128::from(*n) + 1); }
                Event::Expire => { block_on(w.app.mark_connection_problem(w.practice, ConnectionProblemKind::Expired(ConnectionProblem::new("x")))).unwrap(); }
                Event::Revoke => { block_on(w.app.mark_connection_problem(w.practice, ConnectionProblemKind::Revoked(ConnectionProblem::new("x")))).unwrap(); }
                Event::Disconnect => { let _ = block_on(w.app.disconnect(w.practice, w.admin, DisconnectConfirmation::from_answer(true).unwrap())); }
            }
            prop_assert_eq!(settings(), before.clone());
            prop_assert!(w.xpm().calls().is_empty(), "no connection event calls XPM, let alone syncs");
        }
    }
}
