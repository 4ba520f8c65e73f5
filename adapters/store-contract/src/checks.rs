//! The checks. Each takes a store on a fresh, empty database.

use std::collections::BTreeMap;

use domain::activity::{ActivityKind, Operation};
use domain::association::AssociationTerms;
use domain::client::ClientStatus;
use domain::connection::{ConnectionProblem, ConnectionState, XpmOrganisation};
use domain::ids::{ActivityEntryId, AssociationId, ClientId, XpmRelationshipUuid};
use domain::ports::{ActivityFilter, ActivityPage, PendingAuthorisation, StoreError, TokenSet};
use domain::practice::Role;
use domain::relationship_type::XpmRelationshipType;
use domain::settings::{IntegrationSettings, PushOptions};
use domain::sync::{
    ClientPayload, PendingOperation, PushedRelationship, RelationshipTerms, SyncRecord,
};
use domain::text::{DisplayName, PmHubId};
use domain::usecases::Stores;
use secrecy::{ExposeSecret, SecretString};
use time::Duration;
use time::macros::date;

use crate::fixtures::{Fixture, T0};

async fn practice<S: Stores>(store: &S, n: u128) -> Fixture {
    let f = Fixture::new(n);
    store
        .save_practice(&f.practice())
        .await
        .expect("save practice");
    f
}

fn organisation(f: &Fixture, i: u128) -> XpmOrganisation {
    XpmOrganisation {
        tenant: f.tenant(i),
        name: DisplayName::new(format!("XPM {i}")).expect("valid"),
    }
}

fn tokens(tag: &str) -> TokenSet {
    TokenSet {
        access_token: SecretString::from(format!("access-{tag}")),
        refresh_token: SecretString::from(format!("refresh-{tag}")),
        access_expires_at: T0 + Duration::minutes(30),
    }
}

pub async fn practices_and_users_round_trip<S: Stores>(store: &S) {
    let f = practice(store, 1).await;
    assert_eq!(
        store.practice(f.practice_id()).await.unwrap(),
        Some(f.practice())
    );
    let admin = f.user(1, Role::Admin);
    store.save_user(&admin).await.unwrap();
    assert_eq!(
        store.user(f.practice_id(), admin.id).await.unwrap(),
        Some(admin.clone())
    );
    let mut renamed = admin.clone();
    renamed.role = Role::Staff;
    store.save_user(&renamed).await.unwrap();
    assert_eq!(
        store.user(f.practice_id(), admin.id).await.unwrap(),
        Some(renamed)
    );
    assert_eq!(
        store.practice(Fixture::new(9).practice_id()).await.unwrap(),
        None
    );
}

pub async fn clients_round_trip_with_every_field<S: Stores>(store: &S) {
    let f = practice(store, 1).await;
    let client = f.full_individual(1);
    store.save_client(&client).await.unwrap();
    assert_eq!(
        store.client(f.practice_id(), client.id).await.unwrap(),
        Some(client.clone())
    );
    let mut changed = client.clone();
    changed.status = ClientStatus::Deleted;
    store.save_client(&changed).await.unwrap();
    assert_eq!(
        store.client(f.practice_id(), client.id).await.unwrap(),
        Some(changed)
    );
}

pub async fn clients_are_listed_per_practice<S: Stores>(store: &S) {
    let a = practice(store, 1).await;
    let b = practice(store, 2).await;
    for i in 0..3 {
        store
            .save_client(&a.company(i, &format!("A{i}")))
            .await
            .unwrap();
    }
    store.save_client(&b.company(0, "B0")).await.unwrap();
    let mut names: Vec<_> = store
        .clients(a.practice_id())
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.details.name.to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["A0", "A1", "A2"]);
}

pub async fn a_client_is_found_by_its_pmhub_id_in_its_own_practice_only<S: Stores>(store: &S) {
    let a = practice(store, 1).await;
    let b = practice(store, 2).await;
    let id = PmHubId::new("pmhub-42").unwrap();
    assert_eq!(
        store
            .client_by_pmhub_id(a.practice_id(), &id)
            .await
            .unwrap(),
        None
    );
    let first = a.company(0, "Acme");
    store.create_client_for_pmhub_id(&first, &id).await.unwrap();
    assert_eq!(
        store
            .client_by_pmhub_id(a.practice_id(), &id)
            .await
            .unwrap(),
        Some(first.clone())
    );
    // A second client by the same id is refused, and nothing of it is kept.
    let second = a.company(1, "Acme again");
    assert!(matches!(
        store.create_client_for_pmhub_id(&second, &id).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.client(a.practice_id(), second.id).await.unwrap(),
        None
    );
    // Another practice may use the same id for its own client, and cannot
    // read practice A's by it.
    let theirs = b.company(0, "Beta");
    store
        .create_client_for_pmhub_id(&theirs, &id)
        .await
        .unwrap();
    assert_eq!(
        store
            .client_by_pmhub_id(b.practice_id(), &id)
            .await
            .unwrap(),
        Some(theirs)
    );
    assert_eq!(
        store
            .client_by_pmhub_id(a.practice_id(), &id)
            .await
            .unwrap(),
        Some(first.clone())
    );
    // Changes saved afterwards are found by the id too.
    let mut changed = first.clone();
    changed.status = ClientStatus::Deactivated;
    store.save_client(&changed).await.unwrap();
    assert_eq!(
        store
            .client_by_pmhub_id(a.practice_id(), &id)
            .await
            .unwrap(),
        Some(changed)
    );
}

pub async fn associations_and_types_are_found_by_pmhub_ids_and_a_removal_frees_the_id<S: Stores>(
    store: &S,
) {
    let a = practice(store, 1).await;
    let b = practice(store, 2).await;
    let id = PmHubId::new("pm-7").unwrap();
    let kind = a.association_type(1, "Director");
    store
        .create_association_type_for_pmhub_id(&kind, &id)
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_association_type_for_pmhub_id(&a.association_type(2, "Trustee"), &id)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store
            .association_type(a.practice_id(), a.association_type(2, "Trustee").id)
            .await
            .unwrap(),
        None,
        "nothing of a refused one is kept"
    );
    assert_eq!(
        store
            .association_type_by_pmhub_id(a.practice_id(), &id)
            .await
            .unwrap(),
        Some(kind.clone())
    );
    assert_eq!(
        store
            .association_type_by_pmhub_id(b.practice_id(), &id)
            .await
            .unwrap(),
        None
    );

    let (c0, c1) = (a.company(0, "A0"), a.company(1, "A1"));
    store.save_client(&c0).await.unwrap();
    store.save_client(&c1).await.unwrap();
    let held = a.association(1, c0.id, c1.id, kind.id);
    store
        .create_association_for_pmhub_id(&held, &id)
        .await
        .unwrap();
    assert_eq!(
        store
            .association_by_pmhub_id(a.practice_id(), &id)
            .await
            .unwrap(),
        Some(held.clone())
    );
    assert_eq!(
        store
            .association_by_pmhub_id(b.practice_id(), &id)
            .await
            .unwrap(),
        None
    );
    store
        .remove_association(a.practice_id(), held.id())
        .await
        .unwrap();
    assert_eq!(
        store
            .association_by_pmhub_id(a.practice_id(), &id)
            .await
            .unwrap(),
        None
    );
    let again = a.association(2, c0.id, c1.id, kind.id);
    store
        .create_association_for_pmhub_id(&again, &id)
        .await
        .expect("a removed association's PM Hub id can name a new one");
}

pub async fn associations_are_saved_listed_and_removed<S: Stores>(store: &S) {
    let f = practice(store, 1).await;
    let (acme, bob, carol) = (
        f.company(1, "Acme"),
        f.company(2, "Bob"),
        f.company(3, "Carol"),
    );
    for c in [&acme, &bob, &carol] {
        store.save_client(c).await.unwrap();
    }
    let kind = f.association_type(1, "Director");
    store.save_association_type(&kind).await.unwrap();
    let to_bob = f.association(1, acme.id, bob.id, kind.id);
    let to_carol = f.association(2, acme.id, carol.id, kind.id);
    let from_bob = f.association(3, bob.id, acme.id, kind.id);
    for a in [&to_bob, &to_carol, &from_bob] {
        store.save_association(a).await.unwrap();
    }
    let mut of_acme = store
        .associations_of(f.practice_id(), acme.id)
        .await
        .unwrap();
    of_acme.sort_by_key(|a| a.id());
    assert_eq!(of_acme, [to_bob.clone(), to_carol.clone()]);
    // Ending an association (its terms gain an end date) is saved over it
    // and read back whole.
    let ended = to_carol
        .clone()
        .with_terms(AssociationTerms {
            end_date: Some(date!(2025 - 06 - 30)),
            ..to_carol.terms()
        })
        .expect("an end after the start");
    store.save_association(&ended).await.unwrap();
    let mut of_acme = store
        .associations_of(f.practice_id(), acme.id)
        .await
        .unwrap();
    of_acme.sort_by_key(|a| a.id());
    assert_eq!(of_acme, [to_bob.clone(), ended.clone()]);
    assert_eq!(of_acme[1].terms().end_date, Some(date!(2025 - 06 - 30)));
    assert_eq!(of_acme[1].terms().start_date, Some(date!(2020 - 07 - 01)));
    store
        .remove_association(f.practice_id(), to_bob.id())
        .await
        .unwrap();
    assert_eq!(
        store
            .associations_of(f.practice_id(), acme.id)
            .await
            .unwrap(),
        [ended]
    );
}

pub async fn settings_default_until_saved_and_association_types_round_trip<S: Stores>(store: &S) {
    let f = practice(store, 1).await;
    assert_eq!(
        store.settings(f.practice_id()).await.unwrap(),
        IntegrationSettings::default()
    );
    let kind = f.association_type(1, "Trustee of");
    store.save_association_type(&kind).await.unwrap();
    assert_eq!(
        store.association_types(f.practice_id()).await.unwrap(),
        std::slice::from_ref(&kind)
    );
    assert_eq!(
        store
            .association_type(f.practice_id(), kind.id)
            .await
            .unwrap(),
        Some(kind.clone())
    );
    let mut settings = IntegrationSettings::new(
        BTreeMap::from([(kind.id, XpmRelationshipType::from_static("Trustee Of"))]),
        PushOptions {
            push_tax_numbers: false,
        },
    );
    settings.set_client_id_field(Some(domain::settings::ClientIdField {
        tenant: f.tenant(1),
        field: domain::ids::XpmCustomFieldUuid::from_uuid(uuid::Uuid::from_u128(80)),
        name: "PM Hub ID".into(),
    }));
    store
        .save_settings(f.practice_id(), &settings)
        .await
        .unwrap();
    assert_eq!(store.settings(f.practice_id()).await.unwrap(), settings);
}

pub async fn the_connection_defaults_to_not_connected_and_round_trips<S: Stores>(store: &S) {
    let f = practice(store, 1).await;
    assert_eq!(
        store.connection(f.practice_id()).await.unwrap(),
        ConnectionState::NotConnected
    );
    let expired = ConnectionState::Expired {
        organisation: organisation(&f, 1),
        connected_since: T0,
        problem: ConnectionProblem::new("invalid_grant"),
    };
    store
        .save_connection(f.practice_id(), &expired)
        .await
        .unwrap();
    assert_eq!(store.connection(f.practice_id()).await.unwrap(), expired);
}

pub async fn tokens_round_trip_and_are_cleared<S: Stores>(store: &S) {
    let f = practice(store, 1).await;
    assert!(store.tokens(f.practice_id()).await.unwrap().is_none());
    store
        .save_tokens(f.practice_id(), &tokens("one"))
        .await
        .unwrap();
    store
        .save_tokens(f.practice_id(), &tokens("two"))
        .await
        .unwrap();
    let stored = store
        .tokens(f.practice_id())
        .await
        .unwrap()
        .expect("tokens");
    assert_eq!(stored.access_token.expose_secret(), "access-two");
    assert_eq!(stored.refresh_token.expose_secret(), "refresh-two");
    assert_eq!(stored.access_expires_at, T0 + Duration::minutes(30));
    store.clear_tokens(f.practice_id()).await.unwrap();
    assert!(store.tokens(f.practice_id()).await.unwrap().is_none());
}

pub async fn a_pending_authorisation_is_taken_once<S: Stores>(store: &S) {
    let f = practice(store, 1).await;
    let pending = PendingAuthorisation {
        state: "state-1".into(),
        pkce_verifier: SecretString::from("verifier-1"),
        started_by: f.user(1, Role::Admin).id,
        started_at: T0,
    };
    store
        .save_pending_authorisation(f.practice_id(), &pending)
        .await
        .unwrap();
    assert!(
        store
            .take_pending_authorisation(f.practice_id(), "other")
            .await
            .unwrap()
            .is_none()
    );
    let taken = store
        .take_pending_authorisation(f.practice_id(), "state-1")
        .await
        .unwrap()
        .expect("pending");
    assert_eq!(taken.pkce_verifier.expose_secret(), "verifier-1");
    assert_eq!(
        (taken.started_by, taken.started_at),
        (pending.started_by, T0)
    );
    assert!(
        store
            .take_pending_authorisation(f.practice_id(), "state-1")
            .await
            .unwrap()
            .is_none()
    );
}

fn record(f: &Fixture, client: ClientId, tenant: u128) -> SyncRecord {
    let payload = ClientPayload::new(&f.full_individual(1).details, PushOptions::default());
    let terms = RelationshipTerms {
        shares: None,
        percentage: None,
        start_date: Some(date!(2019 - 04 - 01)),
        end_date: Some(date!(2024 - 03 - 31)),
    };
    SyncRecord {
        practice: f.practice_id(),
        client,
        tenant: f.tenant(tenant),
        xpm_client: f.xpm_client(tenant),
        last_pushed: Some(payload),
        relationships: BTreeMap::from([(
            AssociationId::from_uuid(uuid::Uuid::from_u128(77)),
            PushedRelationship {
                xpm_relationship: XpmRelationshipUuid::from_uuid(uuid::Uuid::from_u128(78)),
                related_xpm_client: f.xpm_client(9),
                xpm_type: XpmRelationshipType::from_static("Spouse"),
                terms,
            },
        )]),
        last_synced_at: T0,
        client_id_written: Some(domain::ids::XpmCustomFieldUuid::from_uuid(
            uuid::Uuid::from_u128(79),
        )),
    }
}

pub async fn sync_records_are_kept_per_xpm_organisation<S: Stores>(store: &S) {
    let f = practice(store, 1).await;
    let client = f.company(1, "Acme");
    store.save_client(&client).await.unwrap();
    assert!(
        store
            .record(f.practice_id(), client.id, f.tenant(1))
            .await
            .unwrap()
            .is_none()
    );
    let first = record(&f, client.id, 1);
    let second = record(&f, client.id, 2);
    store.save_record(&first).await.unwrap();
    store.save_record(&second).await.unwrap();
    let read = store
        .record(f.practice_id(), client.id, f.tenant(1))
        .await
        .unwrap()
        .expect("the first record");
    assert_eq!(read, first);
    let terms: Vec<_> = read.relationships.values().map(|r| r.terms).collect();
    assert_eq!(
        terms
            .iter()
            .map(|t| (t.start_date, t.end_date))
            .collect::<Vec<_>>(),
        [(Some(date!(2019 - 04 - 01)), Some(date!(2024 - 03 - 31)))],
        "a pushed relationship's dates, the end date too, are kept"
    );
    let mut updated = first.clone();
    updated.last_pushed = None;
    // A relationship pushed with no end date any more is kept as such.
    for pushed in updated.relationships.values_mut() {
        pushed.terms.end_date = None;
    }
    store.save_record(&updated).await.unwrap();
    assert_eq!(
        store
            .record(f.practice_id(), client.id, f.tenant(1))
            .await
            .unwrap(),
        Some(updated)
    );
    assert_eq!(
        store
            .record(f.practice_id(), client.id, f.tenant(2))
            .await
            .unwrap(),
        Some(second)
    );
}

pub async fn pending_operations_are_noted_and_finished<S: Stores>(store: &S) {
    let f = practice(store, 1).await;
    let client = f.company(1, "Acme");
    store.save_client(&client).await.unwrap();
    let (p, t) = (f.practice_id(), f.tenant(1));
    let create = PendingOperation::CreateClient {
        known_look_alikes: vec![f.xpm_client(5)],
        sent_name: domain::text::ClientName::new("Acme").ok(),
        started_at: Some(T0),
    };
    let add = PendingOperation::AddRelationship {
        association: AssociationId::from_uuid(uuid::Uuid::from_u128(5)),
    };
    store
        .begin_operation(p, client.id, t, &create)
        .await
        .unwrap();
    store.begin_operation(p, client.id, t, &add).await.unwrap();
    assert_eq!(
        store.pending_operations(p, client.id, t).await.unwrap(),
        [create, add]
    );
    assert!(
        store
            .pending_operations(p, client.id, f.tenant(2))
            .await
            .unwrap()
            .is_empty()
    );
    store.finish_operations(p, client.id, t).await.unwrap();
    assert!(
        store
            .pending_operations(p, client.id, t)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A person's Unlink: one client's link to one XPM organisation is
/// forgotten, record and pending notes, and nothing else.
pub async fn forgetting_a_record_removes_that_link_and_its_notes_only<S: Stores>(store: &S) {
    let a = practice(store, 1).await;
    let b = practice(store, 2).await;
    let (pa, pb) = (a.practice_id(), b.practice_id());
    let (acme, bob) = (a.company(1, "Acme"), a.company(2, "Bob"));
    let other = b.company(3, "Other");
    for c in [&acme, &bob, &other] {
        store.save_client(c).await.unwrap();
    }
    let (t1, t2) = (a.tenant(1), a.tenant(2));
    let note = |i: u128| PendingOperation::AddRelationship {
        association: AssociationId::from_uuid(uuid::Uuid::from_u128(i)),
    };
    let acme_in_t1 = record(&a, acme.id, 1);
    let acme_in_t2 = record(&a, acme.id, 2);
    let bob_in_t1 = record(&a, bob.id, 1);
    let other_in_b = record(&b, other.id, 1);
    for r in [&acme_in_t1, &acme_in_t2, &bob_in_t1, &other_in_b] {
        store.save_record(r).await.unwrap();
    }
    store
        .begin_operation(pa, acme.id, t1, &note(1))
        .await
        .unwrap();
    store
        .begin_operation(pa, acme.id, t1, &note(2))
        .await
        .unwrap();
    store
        .begin_operation(pa, acme.id, t2, &note(3))
        .await
        .unwrap();
    store
        .begin_operation(pa, bob.id, t1, &note(4))
        .await
        .unwrap();
    store
        .begin_operation(pb, other.id, b.tenant(1), &note(5))
        .await
        .unwrap();
    let entry = a.entry(1, Some(acme.id), T0, ActivityKind::PushOptionsChanged);
    store.append(std::slice::from_ref(&entry)).await.unwrap();

    // A call naming another practice removes nothing: not A's client
    // through B, nor B's client through A.
    let _ = store.forget_record(pb, acme.id, t1).await;
    let _ = store.forget_record(pa, other.id, b.tenant(1)).await;
    assert_eq!(
        store.record(pa, acme.id, t1).await.unwrap(),
        Some(acme_in_t1.clone())
    );
    assert_eq!(
        store.pending_operations(pa, acme.id, t1).await.unwrap(),
        [note(1), note(2)]
    );
    assert_eq!(
        store.record(pb, other.id, b.tenant(1)).await.unwrap(),
        Some(other_in_b.clone())
    );
    assert_eq!(
        store
            .pending_operations(pb, other.id, b.tenant(1))
            .await
            .unwrap(),
        [note(5)]
    );

    store.forget_record(pa, acme.id, t1).await.unwrap();
    assert_eq!(store.record(pa, acme.id, t1).await.unwrap(), None);
    assert!(
        store
            .pending_operations(pa, acme.id, t1)
            .await
            .unwrap()
            .is_empty()
    );
    // The same client's link to another organisation stays...
    assert_eq!(
        store.record(pa, acme.id, t2).await.unwrap(),
        Some(acme_in_t2)
    );
    assert_eq!(
        store.pending_operations(pa, acme.id, t2).await.unwrap(),
        [note(3)]
    );
    // ...so do another client's link to this one, and the other practice's.
    assert_eq!(
        store.record(pa, bob.id, t1).await.unwrap(),
        Some(bob_in_t1.clone())
    );
    assert_eq!(
        store.pending_operations(pa, bob.id, t1).await.unwrap(),
        [note(4)]
    );
    assert_eq!(
        store.records_in(pa, t1).await.unwrap(),
        [bob_in_t1],
        "the organisation's list no longer shows the forgotten link"
    );
    assert_eq!(
        store.record(pb, other.id, b.tenant(1)).await.unwrap(),
        Some(other_in_b)
    );
    // The client's activity is not touched.
    let read = store
        .read(
            pa,
            &ActivityFilter::default(),
            ActivityPage {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(read, [entry]);
    // Forgetting a link that is already gone is no error.
    store.forget_record(pa, acme.id, t1).await.unwrap();
    // And the client can be linked again afterwards.
    store.save_record(&acme_in_t1).await.unwrap();
    assert_eq!(
        store.record(pa, acme.id, t1).await.unwrap(),
        Some(acme_in_t1)
    );
}

/// What the clients page reads in one go: every record of a practice for an
/// XPM organisation, and each client's newest activity entry.
pub async fn a_practices_records_and_each_clients_newest_entry_are_read_at_once<S: Stores>(
    store: &S,
) {
    let a = practice(store, 1).await;
    let b = practice(store, 2).await;
    let (acme, bob, cy) = (
        a.company(1, "Acme"),
        a.company(2, "Bob"),
        a.company(3, "Cy"),
    );
    let other = b.company(4, "Other");
    for c in [&acme, &bob, &cy, &other] {
        store.save_client(c).await.unwrap();
    }
    let unchanged = |f: &Fixture| ActivityKind::ClientUnchanged {
        tenant: f.tenant(1),
        xpm_client: f.xpm_client(1),
    };
    let failed = |n: u128| ActivityKind::OperationFailed {
        operation: Operation::UpdateClient,
        cause: format!("cause {n}"),
    };
    let at = |n: u128| T0 + Duration::seconds(n as i64);
    // Acme's newest entry is older than Bob's oldest; Cy has none; the
    // practice's newest entry is about no client; practice B's is newer still.
    let entries = vec![
        a.entry(1, Some(acme.id), at(1), unchanged(&a)),
        a.entry(2, Some(acme.id), at(2), failed(2)),
        a.entry(3, Some(bob.id), at(3), unchanged(&a)),
        a.entry(4, Some(bob.id), at(4), failed(4)),
        a.entry(5, None, at(5), failed(5)),
    ];
    store.append(&entries).await.unwrap();
    store
        .append(&[b.entry(6, Some(other.id), at(6), unchanged(&b))])
        .await
        .unwrap();
    let mut newest = store.newest_per_client(a.practice_id()).await.unwrap();
    newest.sort_by_key(|e| e.at);
    assert_eq!(newest, vec![entries[1].clone(), entries[3].clone()]);

    store.save_record(&record(&a, acme.id, 1)).await.unwrap();
    store.save_record(&record(&a, bob.id, 1)).await.unwrap();
    store.save_record(&record(&a, cy.id, 2)).await.unwrap();
    store.save_record(&record(&b, other.id, 1)).await.unwrap();
    let mut in_tenant: Vec<_> = store
        .records_in(a.practice_id(), a.tenant(1))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.client)
        .collect();
    in_tenant.sort();
    let mut expected = vec![acme.id, bob.id];
    expected.sort();
    assert_eq!(
        in_tenant, expected,
        "this practice's records for this organisation only"
    );
}

pub async fn activity_is_read_newest_first_with_filters_and_keyset_paging<S: Stores>(store: &S) {
    let f = practice(store, 1).await;
    let (acme, bob) = (f.company(1, "Acme"), f.company(2, "Bob"));
    store.save_client(&acme).await.unwrap();
    store.save_client(&bob).await.unwrap();
    let mut entries = Vec::new();
    for i in 0..10u128 {
        let client = if i % 2 == 0 { acme.id } else { bob.id };
        let kind = if i % 3 == 0 {
            ActivityKind::ClientUnchanged {
                tenant: f.tenant(1),
                xpm_client: f.xpm_client(1),
            }
        } else {
            ActivityKind::OperationFailed {
                operation: Operation::UpdateClient,
                cause: format!("cause {i} <&>"),
            }
        };
        entries.push(f.entry(i, Some(client), T0 + Duration::seconds(i as i64), kind));
    }
    store.append(&entries[..4]).await.unwrap();
    store.append(&entries[4..]).await.unwrap();
    let all = ActivityFilter::default();
    let page = |after: Option<ActivityEntryId>, limit| ActivityPage { after, limit };

    let newest_first: Vec<_> = entries.iter().rev().cloned().collect();
    assert_eq!(
        store
            .read(f.practice_id(), &all, page(None, 100))
            .await
            .unwrap(),
        newest_first
    );

    let first = store
        .read(f.practice_id(), &all, page(None, 4))
        .await
        .unwrap();
    let second = store
        .read(f.practice_id(), &all, page(Some(first[3].id), 4))
        .await
        .unwrap();
    let third = store
        .read(f.practice_id(), &all, page(Some(second[3].id), 4))
        .await
        .unwrap();
    assert_eq!([first, second, third].concat(), newest_first);

    let of_acme = ActivityFilter {
        client: Some(acme.id),
        ..ActivityFilter::default()
    };
    let read = store
        .read(f.practice_id(), &of_acme, page(None, 100))
        .await
        .unwrap();
    assert_eq!(read.len(), 5);
    assert!(read.iter().all(|e| e.client == Some(acme.id)));

    let unchanged = ActivityFilter {
        kinds: vec!["client_unchanged"],
        from: Some(T0 + Duration::seconds(1)),
        until: Some(T0 + Duration::seconds(9)),
        ..ActivityFilter::default()
    };
    let read = store
        .read(f.practice_id(), &unchanged, page(None, 100))
        .await
        .unwrap();
    let ids: Vec<_> = read.iter().map(|e| e.id).collect();
    assert_eq!(ids, [entries[6].id, entries[3].id]);
}

pub async fn activity_entries_survive_disconnect_and_reconnect<S: Stores>(store: &S) {
    let f = practice(store, 1).await;
    let org = organisation(&f, 1);
    let connected = ConnectionState::Connected {
        organisation: org.clone(),
        connected_since: T0,
    };
    let entry = f.entry(
        1,
        None,
        T0,
        ActivityKind::Connected {
            organisation: org.clone(),
        },
    );
    store
        .save_connection(f.practice_id(), &connected)
        .await
        .unwrap();
    store.append(std::slice::from_ref(&entry)).await.unwrap();
    store
        .save_connection(
            f.practice_id(),
            &ConnectionState::Disconnected {
                last_organisation: org.clone(),
                disconnected_at: T0,
            },
        )
        .await
        .unwrap();
    store.clear_tokens(f.practice_id()).await.unwrap();
    store
        .save_connection(f.practice_id(), &connected)
        .await
        .unwrap();
    let read = store
        .read(
            f.practice_id(),
            &ActivityFilter::default(),
            ActivityPage {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(read, [entry]);
}

pub async fn practice_a_can_neither_read_nor_change_practice_b<S: Stores>(store: &S) {
    let a = practice(store, 1).await;
    let b = practice(store, 2).await;
    let (pa, pb) = (a.practice_id(), b.practice_id());

    // Practice B's data.
    let b_user = b.user(1, Role::Admin);
    store.save_user(&b_user).await.unwrap();
    let b_client = b.company(1, "B's client");
    let b_other = b.company(2, "B's other");
    store.save_client(&b_client).await.unwrap();
    store.save_client(&b_other).await.unwrap();
    let b_type = b.association_type(1, "Director");
    store.save_association_type(&b_type).await.unwrap();
    let b_association = b.association(1, b_client.id, b_other.id, b_type.id);
    store.save_association(&b_association).await.unwrap();
    let b_settings = IntegrationSettings::new(
        BTreeMap::from([(b_type.id, XpmRelationshipType::from_static("Director"))]),
        PushOptions::default(),
    );
    store.save_settings(pb, &b_settings).await.unwrap();
    let b_connection = ConnectionState::Connected {
        organisation: organisation(&b, 1),
        connected_since: T0,
    };
    store.save_connection(pb, &b_connection).await.unwrap();
    store.save_tokens(pb, &tokens("b")).await.unwrap();
    let b_pending = PendingAuthorisation {
        state: "b-state".into(),
        pkce_verifier: SecretString::from("b-verifier"),
        started_by: b_user.id,
        started_at: T0,
    };
    store
        .save_pending_authorisation(pb, &b_pending)
        .await
        .unwrap();
    let b_record = record(&b, b_client.id, 1);
    store.save_record(&b_record).await.unwrap();
    let b_op = PendingOperation::AddRelationship {
        association: b_association.id(),
    };
    store
        .begin_operation(pb, b_client.id, b.tenant(1), &b_op)
        .await
        .unwrap();
    let b_entry = b.entry(1, Some(b_client.id), T0, ActivityKind::PushOptionsChanged);
    store.append(std::slice::from_ref(&b_entry)).await.unwrap();

    // Practice A reads nothing of it...
    assert_eq!(store.user(pa, b_user.id).await.unwrap(), None);
    assert_eq!(store.client(pa, b_client.id).await.unwrap(), None);
    assert!(store.clients(pa).await.unwrap().is_empty());
    assert!(
        store
            .associations_of(pa, b_client.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.association_types(pa).await.unwrap().is_empty());
    assert_eq!(store.association_type(pa, b_type.id).await.unwrap(), None);
    assert_eq!(
        store.settings(pa).await.unwrap(),
        IntegrationSettings::default()
    );
    assert_eq!(
        store.connection(pa).await.unwrap(),
        ConnectionState::NotConnected
    );
    assert!(store.tokens(pa).await.unwrap().is_none());
    assert!(
        store
            .take_pending_authorisation(pa, "b-state")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.record(pa, b_client.id, b.tenant(1)).await.unwrap(),
        None
    );
    assert!(
        store
            .pending_operations(pa, b_client.id, b.tenant(1))
            .await
            .unwrap()
            .is_empty()
    );
    let all = ActivityFilter::default();
    assert!(
        store
            .read(
                pa,
                &all,
                ActivityPage {
                    after: None,
                    limit: 10
                }
            )
            .await
            .unwrap()
            .is_empty()
    );

    // ...and changes nothing of it, whether by saving records that carry B's
    // ids under A, or by removing and finishing through A.
    let mut hijacked_user = b_user.clone();
    hijacked_user.practice = pa;
    let _ = store.save_user(&hijacked_user).await;
    let mut hijacked_client = b_client.clone();
    hijacked_client.practice = pa;
    hijacked_client.status = ClientStatus::Deleted;
    let _ = store.save_client(&hijacked_client).await;
    let mut hijacked_type = b_type.clone();
    hijacked_type.practice = pa;
    let _ = store.save_association_type(&hijacked_type).await;
    let hijacked_association = a.association(1, b_client.id, b_other.id, b_type.id);
    let hijacked_association = domain::association::Association::new(
        b_association.id(),
        pa,
        hijacked_association.client(),
        hijacked_association.related(),
        hijacked_association.association_type(),
        Default::default(),
    )
    .unwrap();
    let _ = store.save_association(&hijacked_association).await;
    let _ = store.remove_association(pa, b_association.id()).await;
    let mut hijacked_record = b_record.clone();
    hijacked_record.practice = pa;
    hijacked_record.last_pushed = None;
    let _ = store.save_record(&hijacked_record).await;
    let _ = store.finish_operations(pa, b_client.id, b.tenant(1)).await;
    let _ = store.forget_record(pa, b_client.id, b.tenant(1)).await;

    assert_eq!(store.user(pb, b_user.id).await.unwrap(), Some(b_user));
    assert_eq!(
        store.client(pb, b_client.id).await.unwrap(),
        Some(b_client.clone())
    );
    assert_eq!(
        store.association_type(pb, b_type.id).await.unwrap(),
        Some(b_type)
    );
    assert_eq!(
        store.associations_of(pb, b_client.id).await.unwrap(),
        [b_association]
    );
    assert_eq!(store.settings(pb).await.unwrap(), b_settings);
    assert_eq!(store.connection(pb).await.unwrap(), b_connection);
    assert!(store.tokens(pb).await.unwrap().is_some());
    assert_eq!(
        store.record(pb, b_client.id, b.tenant(1)).await.unwrap(),
        Some(b_record)
    );
    assert_eq!(
        store
            .pending_operations(pb, b_client.id, b.tenant(1))
            .await
            .unwrap(),
        [b_op]
    );
    assert_eq!(
        store
            .read(
                pb,
                &all,
                ActivityPage {
                    after: None,
                    limit: 10
                }
            )
            .await
            .unwrap(),
        [b_entry]
    );
    assert!(
        store
            .take_pending_authorisation(pb, "b-state")
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn syncs_of_one_client_are_serialised<S: Stores + Clone>(store: &S)
where
    S::SyncGuard: 'static,
{
    let f = practice(store, 1).await;
    let (acme, bob) = (f.company(1, "Acme"), f.company(2, "Bob"));
    store.save_client(&acme).await.unwrap();
    store.save_client(&bob).await.unwrap();
    let (guard, waited) = store
        .lock_client_sync(f.practice_id(), acme.id)
        .await
        .unwrap();
    assert!(!waited);
    // Another client is not held up.
    let (other, waited) = store
        .lock_client_sync(f.practice_id(), bob.id)
        .await
        .unwrap();
    assert!(!waited);
    drop(other);
    // A second sync of the same client is held until the first guard goes...
    let second = {
        let store = store.clone();
        let (practice, client) = (f.practice_id(), acme.id);
        tokio::spawn(async move {
            store
                .lock_client_sync(practice, client)
                .await
                .map(|(_, waited)| waited)
        })
    };
    let mut second = std::pin::pin!(second);
    let held = tokio::time::timeout(std::time::Duration::from_millis(500), &mut second).await;
    assert!(
        held.is_err(),
        "a second sync of the same client ran while the first held the lock"
    );
    drop(guard);
    // ...then goes on, and says it waited.
    let waited = second.await.expect("the second sync's task").expect("lock");
    assert!(waited, "the second sync of a client reports that it waited");
}

pub async fn token_renewals_of_one_practice_are_serialised<S: Stores + Clone>(store: &S)
where
    S::RenewalGuard: 'static,
    S::SyncGuard: 'static,
{
    let a = practice(store, 1).await;
    let b = practice(store, 2).await;
    let acme = a.company(1, "Acme");
    store.save_client(&acme).await.unwrap();
    // A sync holding its client's lock can still renew its practice's tokens.
    let (sync, _) = store
        .lock_client_sync(a.practice_id(), acme.id)
        .await
        .unwrap();
    let renewal = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        store.lock_token_renewal(a.practice_id()),
    )
    .await
    .expect("a client's sync lock does not hold up its practice's renewal")
    .unwrap();
    // Another practice is not held up.
    let other = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        store.lock_token_renewal(b.practice_id()),
    )
    .await
    .expect("another practice's renewal is not held up")
    .unwrap();
    drop(other);
    // A second renewal of the same practice waits for the first...
    let second = {
        let store = store.clone();
        let practice = a.practice_id();
        tokio::spawn(async move { store.lock_token_renewal(practice).await.map(drop) })
    };
    let mut second = std::pin::pin!(second);
    let held = tokio::time::timeout(std::time::Duration::from_millis(500), &mut second).await;
    assert!(
        held.is_err(),
        "a second renewal of the same practice ran while the first held the lock"
    );
    drop(renewal);
    // ...then goes on.
    tokio::time::timeout(std::time::Duration::from_secs(5), second)
        .await
        .expect("the second renewal goes on once the first is done")
        .expect("the second renewal's task")
        .expect("lock");
    drop(sync);
}

pub async fn logins_are_found_by_email_and_emails_are_unique<
    S: Stores + domain::ports::AccountStore,
>(
    store: &S,
) {
    let a = practice(store, 1).await;
    let b = practice(store, 2).await;
    let ada = a.user(1, Role::Admin);
    store.save_user(&ada).await.unwrap();
    assert!(store.login(&ada.email).await.unwrap().is_none());
    store.save_login(&ada, "$argon2id$hash-1").await.unwrap();
    store.save_login(&ada, "$argon2id$hash-2").await.unwrap();
    let upper = domain::text::EmailAddress::new(ada.email.as_str().to_uppercase()).unwrap();
    let (found, hash) = store
        .login(&upper)
        .await
        .unwrap()
        .expect("login by email, any case");
    assert_eq!((found, hash.as_str()), (ada.clone(), "$argon2id$hash-2"));

    let mut twin = b.user(1, Role::Staff);
    twin.email = ada.email.clone();
    store.save_user(&twin).await.unwrap();
    let err = store
        .save_login(&twin, "$argon2id$other")
        .await
        .unwrap_err();
    assert!(
        matches!(err, domain::ports::StoreError::Conflict(_)),
        "{err}"
    );
    assert_eq!(
        store.login(&ada.email).await.unwrap().map(|(u, _)| u),
        Some(ada)
    );
}

pub async fn api_tokens_name_the_user_they_act_as<S: Stores + domain::ports::AccountStore>(
    store: &S,
) {
    let f = practice(store, 1).await;
    let sam = f.user(2, Role::Staff);
    store.save_user(&sam).await.unwrap();
    assert!(store.api_token_user("sha256:abc").await.unwrap().is_none());
    store
        .save_api_token(&sam, "sha256:abc", "CI")
        .await
        .unwrap();
    assert_eq!(store.api_token_user("sha256:abc").await.unwrap(), Some(sam));
}
