//! FAQ 3 to 6: manual, one-way sync of one client, relationships and no deletes.

mod support;

use domain::activity::{ActivityKind, Operation};
use domain::association::{AssociationTerms, Percentage};
use domain::client::{ClientDetails, ClientKind, ClientStatus};
use domain::connection::ConnectionStatus;
use domain::ids::XpmClientUuid;
use domain::ports::{RelationshipWrite, XpmError};
use domain::relationship_type::XpmRelationshipType;
use domain::sync::{ClientStep, FirstSyncDecision, LookAlike, OwnedField, PlanError, SkipReason};
use domain::text::{ClientName, EmailAddress};
use domain::usecases::SyncError;
use futures::executor::block_on;
use support::fakes::XpmCall;
use support::world::World;
use uuid::Uuid;

#[test]
fn a_first_sync_creates_the_client_once_and_a_resync_writes_nothing() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.connect();
    let first = w.sync(acme).unwrap();
    assert!(first.is_complete());
    assert_eq!(w.xpm().writes(), 1);
    let again = w.sync(acme).unwrap();
    assert!(matches!(again.plan.client, ClientStep::Unchanged { .. }));
    assert_eq!(
        w.xpm().writes(),
        1,
        "an unchanged client is not written again"
    );
}

#[test]
fn a_changed_field_makes_exactly_one_update_naming_the_field() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.connect();
    w.sync(acme).unwrap();
    w.edit(acme, |c| {
        c.details.email = Some(EmailAddress::new("hello@acme.example").unwrap())
    });
    let outcome = w.sync(acme).unwrap();
    assert_eq!(w.xpm().writes(), 2);
    assert!(
        matches!(&outcome.entries[0].kind, ActivityKind::ClientUpdated { fields, .. } if fields == &["Email"])
    );
}

#[test]
fn syncing_a_deactivated_or_deleted_client_is_refused_and_writes_nothing() {
    for status in [ClientStatus::Deactivated, ClientStatus::Deleted] {
        let mut w = World::new();
        let acme = w.company("Acme");
        w.connect();
        w.sync(acme).unwrap();
        w.edit(acme, |c| c.status = status);
        let writes = w.xpm().writes();
        let err = w.sync(acme).unwrap_err();
        assert_eq!(err, SyncError::Plan(PlanError::ClientNotActive(status)));
        assert_eq!(w.xpm().writes(), writes);
        assert_eq!(w.xpm().with(|s| s.clients.len()), 1, "XPM keeps the client");
        assert_eq!(w.codes().last(), Some(&"sync_refused"));
    }
}

#[test]
fn sync_is_refused_before_connecting() {
    let mut w = World::new();
    let acme = w.company("Acme");
    assert!(matches!(w.sync(acme), Err(SyncError::NotConnected(_))));
    assert!(w.xpm().calls().is_empty());
}

#[test]
fn mapped_relationships_sync_once_the_related_client_is_in_xpm() {
    let mut w = World::new();
    let director = w.association_type("Director");
    w.map(director, Some(XpmRelationshipType::from_static("Director")));
    let acme = w.company("Acme");
    let anna = w.company("Anna Holdings");
    let link = w.associate(acme, anna, director);
    w.connect();

    let first = w.sync(acme).unwrap();
    assert!(first.entries.iter().any(|e| matches!(&e.kind,
        ActivityKind::RelationshipSkipped { association, reason: SkipReason::RelatedClientNotInXpm { .. } } if *association == link)));

    w.sync(anna).unwrap();
    let second = w.sync(acme).unwrap();
    assert!(second.entries.iter().any(|e| matches!(&e.kind,
        ActivityKind::RelationshipAdded { association, xpm_type, .. } if *association == link && xpm_type.xpm_name() == "Director")));
    let third = w.sync(acme).unwrap();
    assert!(
        third
            .entries
            .iter()
            .any(|e| matches!(&e.kind, ActivityKind::RelationshipUnchanged { .. }))
    );
    assert_eq!(w.xpm().with(|s| s.relationships.len()), 1);
}

#[test]
fn an_unmapped_association_type_is_skipped_with_its_reason() {
    let mut w = World::new();
    let friend = w.association_type("Friend");
    let acme = w.company("Acme");
    let bob = w.company("Bob Ltd");
    w.associate(acme, bob, friend);
    w.connect();
    w.sync(bob).unwrap();
    let outcome = w.sync(acme).unwrap();
    let skipped: Vec<_> = outcome
        .entries
        .iter()
        .filter_map(|e| match &e.kind {
            ActivityKind::RelationshipSkipped { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        skipped,
        [SkipReason::TypeNotMapped {
            association_type: friend
        }]
    );
    assert!(skipped[0].to_string().contains("not mapped"));
    assert!(
        w.xpm()
            .calls()
            .iter()
            .all(|c| !matches!(c, XpmCall::Relationship(..)))
    );
}

#[test]
fn changed_terms_update_the_relationship_in_xpm() {
    let mut w = World::new();
    let partner = w.association_type("Partner");
    w.map(partner, Some(XpmRelationshipType::from_static("Partner")));
    let acme = w.company("Acme");
    let bob = w.company("Bob Ltd");
    let terms = AssociationTerms {
        shares: None,
        percentage: Some(Percentage::parse("50").unwrap()),
        start_date: None,
        end_date: None,
    };
    let link = w.associate_with(acme, bob, partner, terms);
    w.connect();
    w.sync(bob).unwrap();
    w.sync(acme).unwrap();
    w.stores().with(|s| {
        let a = s.associations.remove(&link).unwrap();
        s.associations.insert(
            link,
            a.with_terms(AssociationTerms {
                percentage: Some(Percentage::parse("60").unwrap()),
                ..terms
            })
            .unwrap(),
        );
    });
    let outcome = w.sync(acme).unwrap();
    assert!(
        outcome
            .entries
            .iter()
            .any(|e| matches!(e.kind, ActivityKind::RelationshipUpdated { .. }))
    );
    let last = w
        .xpm()
        .calls()
        .into_iter()
        .rev()
        .find(|c| matches!(c, XpmCall::Relationship(..)))
        .unwrap();
    assert!(
        matches!(last, XpmCall::Relationship(_, RelationshipWrite::Update { terms, .. }) if terms.percentage == Percentage::parse("60").ok())
    );
}

#[test]
fn removing_an_association_or_unmapping_its_type_removes_nothing_from_xpm() {
    let mut w = World::new();
    let director = w.association_type("Director");
    w.map(director, Some(XpmRelationshipType::from_static("Director")));
    let acme = w.company("Acme");
    let bob = w.company("Bob Ltd");
    let link = w.associate(acme, bob, director);
    w.connect();
    w.sync(bob).unwrap();
    w.sync(acme).unwrap();
    let relationships = w.xpm().with(|s| s.relationships.clone());

    w.map(director, None);
    w.sync(acme).unwrap();
    block_on(domain::ports::ClientStore::remove_association(
        w.stores(),
        w.practice,
        link,
    ))
    .unwrap();
    w.sync(acme).unwrap();

    assert_eq!(w.xpm().with(|s| s.relationships.clone()), relationships);
}

#[test]
fn a_remapped_type_adds_the_new_type_and_leaves_the_old_one_in_xpm() {
    let mut w = World::new();
    let officer = w.association_type("Officer");
    w.map(officer, Some(XpmRelationshipType::from_static("Director")));
    let acme = w.company("Acme");
    let bob = w.company("Bob Ltd");
    w.associate(acme, bob, officer);
    w.connect();
    w.sync(bob).unwrap();
    w.sync(acme).unwrap();
    w.map(officer, Some(XpmRelationshipType::from_static("Trustee")));
    w.sync(acme).unwrap();
    let types: Vec<_> = w.xpm().with(|s| {
        s.relationships
            .iter()
            .map(|(_, r)| r.xpm_type.clone())
            .collect()
    });
    assert_eq!(
        types,
        [
            XpmRelationshipType::from_static("Director"),
            XpmRelationshipType::from_static("Trustee")
        ],
        "XPM cannot change a relationship's type: the new one is added, the old one stays (no deletes)"
    );
    w.sync(acme).unwrap();
    assert_eq!(w.xpm().with(|s| s.relationships.len()), 2, "and only once");
}

#[test]
fn relationships_wait_for_a_business_structure() {
    let mut w = World::new();
    let director = w.association_type("Director");
    w.map(director, Some(XpmRelationshipType::from_static("Director")));
    let acme = w.client_with(ClientDetails::named(
        ClientName::new("Acme").unwrap(),
        ClientKind::Organisation,
    ));
    let bob = w.company("Bob Ltd");
    w.associate(acme, bob, director);
    w.connect();
    w.sync(bob).unwrap();
    let outcome = w.sync(acme).unwrap();
    assert!(outcome.entries.iter().any(|e| matches!(
        &e.kind,
        ActivityKind::RelationshipSkipped {
            reason: SkipReason::ClientHasNoBusinessStructure,
            ..
        }
    )));
}

#[test]
fn a_relationship_already_pushed_from_the_other_side_is_not_pushed_again() {
    let mut w = World::new();
    // XPM shows a relationship on both clients, and on the related one a
    // "Child Of" reads "Parent Of", itself a type PM Hub can map.
    let child = w.association_type("Child");
    let parent = w.association_type("Parent");
    w.map(child, Some(XpmRelationshipType::from_static("Child Of")));
    w.map(parent, Some(XpmRelationshipType::from_static("Parent Of")));
    let acme = w.company("Acme");
    let bob = w.company("Bob Ltd");
    w.associate(acme, bob, child);
    w.associate(bob, acme, parent);
    w.connect();
    w.sync(bob).unwrap();
    w.sync(acme).unwrap();
    let outcome = w.sync(bob).unwrap();
    assert!(outcome.entries.iter().any(|e| matches!(
        &e.kind,
        ActivityKind::RelationshipSkipped {
            reason: SkipReason::AlreadyInXpmFromRelatedClient,
            ..
        }
    )));
    assert_eq!(w.xpm().with(|s| s.relationships.len()), 1);
}

fn look_alike(n: u128, name: &str) -> LookAlike {
    LookAlike::named(XpmClientUuid::from_uuid(Uuid::from_u128(0xE000 + n)), name)
}

#[test]
fn a_first_sync_with_look_alikes_in_xpm_asks_for_a_decision_and_writes_nothing() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.xpm().with(|s| s.existing.push(look_alike(1, "ACME")));
    w.connect();
    let outcome = w.sync(acme).unwrap();
    assert!(
        matches!(&outcome.plan.client, ClientStep::NeedsDecision { look_alikes } if look_alikes.len() == 1)
    );
    assert!(!outcome.is_complete());
    assert_eq!(w.xpm().writes(), 0);
}

#[test]
fn linking_to_a_look_alike_updates_it_instead_of_creating_and_is_logged() {
    let mut w = World::new();
    let acme = w.company("Acme");
    let existing = w
        .xpm()
        .with(|s| s.add_client(&[("Name", "ACME"), ("Phone", "09 555 0100")]));
    w.connect();
    let outcome = w
        .sync_deciding(acme, FirstSyncDecision::LinkTo(existing))
        .unwrap();
    assert_eq!(outcome.xpm_client, Some(existing));
    assert!(
        w.xpm()
            .calls()
            .iter()
            .all(|c| !matches!(c, XpmCall::Create(_)))
    );
    assert_eq!(
        w.xpm().calls().last(),
        Some(&XpmCall::Update(
            existing,
            vec![
                OwnedField::Name,
                OwnedField::Phone,
                OwnedField::IsProspect,
                OwnedField::BusinessStructure
            ]
        )),
        "only the fields that differ, the phone PM Hub does not hold cleared"
    );
    let xpm = w.xpm().with(|s| s.clients[&existing].clone());
    assert_eq!(xpm.name(), "Acme");
    assert_eq!(xpm.field("Phone"), None);
    assert!(w.codes().contains(&"client_linked"));
}

#[test]
fn linking_to_a_client_that_is_not_a_look_alike_is_refused() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.xpm().with(|s| s.existing.push(look_alike(1, "Acme")));
    let stranger = w.xpm().with(|s| s.add_client(&[("Name", "Zed Corp")]));
    w.connect();
    assert_eq!(
        w.sync_deciding(acme, FirstSyncDecision::LinkTo(stranger))
            .unwrap_err(),
        SyncError::Plan(PlanError::NotALookAlike(stranger))
    );
    assert_eq!(w.xpm().writes(), 0);
}

#[test]
fn choosing_create_makes_a_new_client_despite_look_alikes() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.xpm().with(|s| s.existing.push(look_alike(1, "Acme")));
    w.connect();
    let outcome = w.sync_deciding(acme, FirstSyncDecision::CreateNew).unwrap();
    assert!(outcome.is_complete());
    assert_eq!(w.xpm().with(|s| s.clients.len()), 1);
    let passed_over = vec![look_alike(1, "Acme").xpm_client];
    assert!(
        matches!(&outcome.entries[0].kind, ActivityKind::ClientCreated { passed_over: p, .. } if *p == passed_over),
        "the create decision is in the activity log"
    );
}

#[test]
fn an_ambiguous_create_is_recovered_by_the_next_sync_without_a_duplicate() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.connect();
    w.xpm().with(|s| {
        s.write_failures
            .push_back(XpmError::Ambiguous("connection dropped".into()))
    });
    let first = w.sync(acme).unwrap();
    assert!(!first.is_complete());
    assert_eq!(
        w.xpm().with(|s| s.clients.len()),
        1,
        "XPM made the client although the answer was lost"
    );

    let second = w.sync(acme).unwrap();
    assert!(matches!(second.plan.client, ClientStep::Recover { .. }));
    assert_eq!(w.xpm().with(|s| s.clients.len()), 1);
    assert!(w.codes().contains(&"client_recovered"));
    assert!(matches!(
        w.sync(acme).unwrap().plan.client,
        ClientStep::Unchanged { .. }
    ));
}

#[test]
fn an_ambiguous_relationship_add_is_adopted_by_the_next_sync() {
    let mut w = World::new();
    let director = w.association_type("Director");
    w.map(director, Some(XpmRelationshipType::from_static("Director")));
    let acme = w.company("Acme");
    let bob = w.company("Bob Ltd");
    w.associate(acme, bob, director);
    w.connect();
    w.sync(bob).unwrap();
    w.sync(acme).unwrap_or_else(|e| panic!("{e}"));
    // Reset: make a second association whose add is ambiguous.
    let carol = w.company("Carol Ltd");
    w.sync(carol).unwrap();
    w.associate(acme, carol, director);
    w.xpm().with(|s| {
        s.write_failures
            .push_back(XpmError::Ambiguous("timeout".into()))
    });
    let failed = w.sync(acme).unwrap();
    assert!(failed.entries.iter().any(|e| matches!(
        e.kind,
        ActivityKind::OperationFailed {
            operation: Operation::AddRelationship(_),
            ..
        }
    )));
    assert_eq!(w.xpm().with(|s| s.relationships.len()), 2);
    let recovered = w.sync(acme).unwrap();
    assert!(recovered.is_complete());
    assert_eq!(
        w.xpm().with(|s| s.relationships.len()),
        2,
        "no duplicate relationship"
    );
}

#[test]
fn expiry_mid_sync_marks_the_connection_expired_and_stops_the_remaining_writes() {
    let mut w = World::new();
    let director = w.association_type("Director");
    w.map(director, Some(XpmRelationshipType::from_static("Director")));
    let acme = w.company("Acme");
    let bob = w.company("Bob Ltd");
    w.associate(acme, bob, director);
    w.connect();
    w.sync(bob).unwrap();
    w.xpm().with(|s| {
        s.write_failures
            .push_back(XpmError::AuthorisationExpired("invalid_grant".into()))
    });
    let outcome = w.sync(acme).unwrap();
    assert!(outcome.entries.iter().any(|e| matches!(
        e.kind,
        ActivityKind::OperationFailed {
            operation: Operation::CreateClient,
            ..
        }
    )));
    assert!(
        outcome
            .entries
            .iter()
            .any(|e| matches!(e.kind, ActivityKind::OperationNotAttempted { .. }))
    );
    assert_eq!(w.connection().status(), ConnectionStatus::Expired);
    assert!(matches!(w.sync(acme), Err(SyncError::NotConnected(_))));
}

#[test]
fn a_preview_writes_nothing_anywhere() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.connect();
    w.sync(acme).unwrap();
    w.edit(acme, |c| {
        c.details.name = ClientName::new("Acme Group").unwrap()
    });
    let log = w.activity().len();
    let preview = block_on(w.app.preview_sync(&w.request(acme, None))).unwrap();
    assert!(matches!(preview.plan.client, ClientStep::Update { .. }));
    assert!(preview.xpm_now.is_some());
    assert_eq!(w.xpm().writes(), 1);
    assert_eq!(w.activity().len(), log);
}

#[test]
fn nothing_read_from_xpm_changes_pm_hub_clients() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.connect();
    w.sync(acme).unwrap();
    let before = w.client(acme);
    // A person edits the client directly in XPM.
    w.xpm().with(|s| {
        let id = *s.clients.keys().next().unwrap();
        let client = s.clients.get_mut(&id).unwrap();
        client.fields.insert("Name".into(), "Renamed in XPM".into());
    });
    block_on(w.app.preview_sync(&w.request(acme, None))).unwrap();
    w.sync(acme).unwrap();
    assert_eq!(w.client(acme), before);
}

#[test]
fn a_revocation_met_while_looking_for_look_alikes_marks_the_connection_revoked() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.connect();
    w.xpm()
        .with(|s| s.search_error = Some(XpmError::AccessRevoked("connection removed".into())));
    let err = w.sync(acme).unwrap_err();
    assert!(matches!(err, SyncError::Xpm(XpmError::AccessRevoked(_))));
    assert_eq!(w.connection().status(), ConnectionStatus::Revoked);
    assert_eq!(w.xpm().writes(), 0);
}

#[test]
fn a_second_sync_of_the_same_client_waits_and_then_finds_nothing_to_do() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.connect();
    // The first sync pauses inside XPM's create, holding the client's lock.
    w.xpm().with(|s| s.pause_in_create = true);
    let request = w.request(acme, None);
    let (first, second) = block_on(async {
        futures::join!(w.app.sync_client(&request), w.app.sync_client(&request))
    });
    let (first, second) = (first.unwrap(), second.unwrap());
    assert!(!first.waited_for_another_sync);
    assert!(matches!(first.plan.client, ClientStep::Create { .. }));
    assert!(second.waited_for_another_sync);
    assert!(matches!(second.plan.client, ClientStep::Unchanged { .. }));
    assert_eq!(w.xpm().with(|s| s.clients.len()), 1, "no duplicate client");
}

#[test]
fn editing_deactivating_and_deleting_in_pm_hub_call_nothing_in_xpm() {
    let mut w = World::new();
    let director = w.association_type("Director");
    w.map(director, Some(XpmRelationshipType::from_static("Director")));
    let acme = w.company("Acme");
    let bob = w.company("Bob Ltd");
    w.connect();
    let link = block_on(w.app.add_association(
        w.practice,
        w.staff,
        acme,
        bob,
        director,
        AssociationTerms::default(),
    ))
    .unwrap();
    w.sync(bob).unwrap();
    w.sync(acme).unwrap();
    let calls = w.xpm().calls().len();

    let mut details = w.client(acme).details;
    details.name = ClientName::new("Acme Renamed").unwrap();
    block_on(w.app.update_client(w.practice, w.staff, acme, details)).unwrap();
    block_on(
        w.app
            .remove_association(w.practice, w.staff, acme, link.id()),
    )
    .unwrap();
    block_on(
        w.app
            .set_client_status(w.practice, w.staff, bob, ClientStatus::Deactivated),
    )
    .unwrap();
    block_on(
        w.app
            .set_client_status(w.practice, w.staff, acme, ClientStatus::Deleted),
    )
    .unwrap();

    assert_eq!(
        w.xpm().calls().len(),
        calls,
        "PM Hub edits never reach XPM by themselves"
    );
    assert_eq!(
        w.xpm().with(|s| (s.clients.len(), s.relationships.len())),
        (2, 1)
    );
    let err = block_on(
        w.app
            .set_client_status(w.practice, w.staff, acme, ClientStatus::Active),
    )
    .unwrap_err();
    assert_eq!(err, domain::usecases::RecordsError::ClientDeleted(acme));
}

#[test]
fn a_rename_in_pm_hub_after_a_lost_create_still_recovers_the_client_xpm_made() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.connect();
    w.xpm().with(|s| {
        s.write_failures
            .push_back(XpmError::Ambiguous("connection dropped".into()))
    });
    w.sync(acme).unwrap();
    w.edit(acme, |c| {
        c.details.name = ClientName::new("Acme Group").unwrap()
    });
    let second = w.sync(acme).unwrap();
    assert!(
        matches!(second.plan.client, ClientStep::Recover { .. }),
        "{:?}",
        second.plan.client
    );
    assert_eq!(
        w.xpm().with(|s| s.clients.len()),
        1,
        "no second client in XPM"
    );
    let name = w
        .xpm()
        .with(|s| s.clients.values().next().unwrap().name().to_owned());
    assert_eq!(
        name, "Acme Group",
        "the recovered client is then updated with the new name"
    );
}
