//! The Sync converges on what PM Hub holds, whatever XPM held before:
//! the six everyday sequences of issue 13, on the fakes. (The same
//! sequences run against xpm-sim on both stores in `tests/tests/convergence.rs`.)

mod support;

use domain::activity::ActivityKind;
use domain::association::{AssociationTerms, ShareCount};
use domain::relationship_type::XpmRelationshipType;
use domain::sync::{ClientStep, FirstSyncDecision, GoneReason, MatchKey, OwnedField};
use domain::text::{BusinessNumber, EmailAddress, PhoneNumber};
use domain::usecases::SyncError;
use futures::executor::block_on;
use support::fakes::XpmCall;
use support::world::World;

fn xpm_client_of(w: &World, client: domain::ids::ClientId) -> domain::ids::XpmClientUuid {
    let tenant = support::world::organisation(1).tenant;
    w.stores().with(|s| s.records[&(client, tenant)].xpm_client)
}

#[test]
fn linking_to_a_client_that_already_has_the_relationship_adopts_it() {
    let mut w = World::new();
    let director = w.association_type("Director");
    w.map(director, Some(XpmRelationshipType::from_static("Director")));
    let acme = w.company("Acme Holdings");
    let jane = w.company("Jane Citizen");
    w.associate(acme, jane, director);
    // XPM already holds both, and Jane as Acme's director.
    let (x_acme, x_jane) = w.xpm().with(|s| {
        let a = s.add_client(&[("Name", "Acme Holdings"), ("BusinessStructure", "Company")]);
        let j = s.add_client(&[("Name", "Jane Citizen"), ("BusinessStructure", "Company")]);
        s.add_relationship(
            a,
            j,
            XpmRelationshipType::from_static("Director"),
            AssociationTerms::default(),
        );
        (a, j)
    });
    w.connect();
    w.sync_deciding(jane, FirstSyncDecision::LinkTo(x_jane))
        .unwrap();
    let outcome = w
        .sync_deciding(acme, FirstSyncDecision::LinkTo(x_acme))
        .unwrap();
    assert!(outcome.is_complete(), "{outcome:?}");
    assert_eq!(
        w.xpm().with(|s| s.relationships.len()),
        1,
        "the relationship XPM held is adopted, not added again"
    );
    assert!(
        !w.xpm()
            .calls()
            .iter()
            .any(|c| matches!(c, XpmCall::Relationship(..)))
    );
    let again = w.sync(acme).unwrap();
    assert_eq!(again.plan.write_count(), 0, "{:?}", again.plan);
}

#[test]
fn fields_cleared_in_pm_hub_are_cleared_in_xpm_and_logged_as_such() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.edit(acme, |c| {
        c.details.email = Some(EmailAddress::new("office@acme.test").unwrap());
        c.details.phone = Some(PhoneNumber::new("09 555 0100").unwrap());
    });
    w.connect();
    w.sync(acme).unwrap();
    w.edit(acme, |c| {
        c.details.email = None;
        c.details.phone = None;
    });
    let outcome = w.sync(acme).unwrap();
    let x = xpm_client_of(&w, acme);
    let held = w.xpm().with(|s| s.clients[&x].clone());
    assert_eq!(held.field("Email"), None);
    assert_eq!(held.field("Phone"), None);
    let logged = outcome
        .entries
        .iter()
        .find_map(|e| match &e.kind {
            ActivityKind::ClientUpdated { changes, .. } => Some(changes.clone()),
            _ => None,
        })
        .expect("an update is logged");
    assert_eq!(logged.len(), 2);
    assert!(logged.iter().all(|c| c.pm_hub.is_none()));
    assert_eq!(logged[0].xpm_now.as_deref(), Some("office@acme.test"));
}

#[test]
fn an_individual_switched_to_an_organisation_loses_its_personal_fields_in_xpm() {
    use domain::client::{ClientKind, IndividualDetails};
    use domain::text::ShortText;
    let mut w = World::new();
    let jane = w.company("Jane Citizen");
    w.edit(jane, |c| {
        c.details.kind = ClientKind::Individual(IndividualDetails {
            first_name: Some(ShortText::new("Jane").unwrap()),
            last_name: Some(ShortText::new("Citizen").unwrap()),
            ..IndividualDetails::default()
        });
        c.details.business_structure = None;
    });
    w.connect();
    w.sync(jane).unwrap();
    w.edit(jane, |c| c.details.kind = ClientKind::Organisation);
    w.sync(jane).unwrap();
    let x = xpm_client_of(&w, jane);
    let held = w.xpm().with(|s| s.clients[&x].clone());
    assert_eq!(held.field("FirstName"), None);
    assert_eq!(held.field("LastName"), None);
}

#[test]
fn a_look_alike_sharing_only_a_business_number_and_email_is_asked_about() {
    let mut w = World::new();
    let zeta = w.company("Zeta Trading Company");
    w.edit(zeta, |c| {
        c.details.business_number = Some(BusinessNumber::new("53 004 085 616").unwrap());
        c.details.email = Some(EmailAddress::new("office@zeta.test").unwrap());
    });
    w.xpm().with(|s| {
        s.add_client(&[
            ("Name", "Zeta Trading Pty Ltd"),
            ("BusinessNumber", "53 004 085 616"),
            ("Email", "office@zeta.test"),
        ])
    });
    w.connect();
    let outcome = w.sync(zeta).unwrap();
    let ClientStep::NeedsDecision { look_alikes } = &outcome.plan.client else {
        panic!("expected a decision, got {:?}", outcome.plan.client);
    };
    assert_eq!(look_alikes.len(), 1);
    let client = w.client(zeta);
    assert_eq!(
        look_alikes[0].matches(&client),
        [MatchKey::Email, MatchKey::BusinessNumber]
    );
    assert_eq!(w.xpm().writes(), 0, "nothing is created without asking");
    let searches = w
        .xpm()
        .calls()
        .iter()
        .filter(|c| matches!(c, XpmCall::Search(_)))
        .count();
    assert_eq!(
        searches, 3,
        "name, email and business number: one search each"
    );
}

#[test]
fn changed_terms_update_the_one_relationship_in_xpm() {
    let mut w = World::new();
    let holder = w.association_type("Shareholder");
    w.map(
        holder,
        Some(XpmRelationshipType::from_static("Shareholder")),
    );
    let acme = w.company("Acme");
    let bob = w.company("Bob Ltd");
    let link = w.associate_with(
        acme,
        bob,
        holder,
        AssociationTerms {
            shares: Some(ShareCount::new(100).unwrap()),
            ..AssociationTerms::default()
        },
    );
    w.connect();
    w.sync(bob).unwrap();
    w.sync(acme).unwrap();
    let terms = AssociationTerms {
        shares: Some(ShareCount::new(250).unwrap()),
        percentage: None,
        start_date: Some(time::macros::date!(2024 - 01 - 01)),
        end_date: Some(time::macros::date!(2025 - 06 - 30)),
    };
    block_on(
        w.app
            .update_association_terms(w.practice, w.admin, acme, link, terms),
    )
    .unwrap();
    w.sync(acme).unwrap();
    let held = w.xpm().with(|s| s.relationships.clone());
    assert_eq!(held.len(), 1, "updated, not added again");
    assert_eq!(held[0].1.terms, terms);
}

#[test]
fn removing_and_adding_an_association_again_adopts_the_relationship_in_xpm() {
    let mut w = World::new();
    let holder = w.association_type("Shareholder");
    w.map(
        holder,
        Some(XpmRelationshipType::from_static("Shareholder")),
    );
    let acme = w.company("Acme");
    let bob = w.company("Bob Ltd");
    let first = w.associate(acme, bob, holder);
    w.connect();
    w.sync(bob).unwrap();
    w.sync(acme).unwrap();
    block_on(w.app.remove_association(w.practice, w.admin, acme, first)).unwrap();
    w.associate_with(
        acme,
        bob,
        holder,
        AssociationTerms {
            shares: Some(ShareCount::new(7).unwrap()),
            ..AssociationTerms::default()
        },
    );
    w.sync(acme).unwrap();
    let held = w.xpm().with(|s| s.relationships.clone());
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].1.terms.shares, Some(ShareCount::new(7).unwrap()));
}

#[test]
fn a_client_deleted_in_xpm_is_reported_and_a_person_chooses_what_next() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.connect();
    w.sync(acme).unwrap();
    let x = xpm_client_of(&w, acme);
    w.xpm().with(|s| s.clients.remove(&x));
    let writes = w.xpm().writes();

    let gone = w.sync(acme).unwrap();
    assert!(
        matches!(
            gone.plan.client,
            ClientStep::GoneFromXpm {
                reason: GoneReason::DeletedOrMerged,
                ..
            }
        ),
        "{:?}",
        gone.plan.client
    );
    assert!(!gone.is_complete());
    assert_eq!(w.xpm().writes(), writes, "nothing written");
    assert!(w.codes().contains(&"client_gone_from_xpm"));

    // Create it again.
    let again = w.sync_deciding(acme, FirstSyncDecision::CreateNew).unwrap();
    assert!(matches!(again.plan.client, ClientStep::Create { .. }));
    let x2 = xpm_client_of(&w, acme);
    assert_ne!(x2, x);
    assert!(w.sync(acme).unwrap().is_complete());
}

#[test]
fn a_client_archived_in_xpm_can_be_linked_elsewhere_or_unlinked() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.connect();
    w.sync(acme).unwrap();
    let x = xpm_client_of(&w, acme);
    let other = w.xpm().with(|s| {
        s.clients.get_mut(&x).unwrap().archived = true;
        s.add_client(&[("Name", "Acme")])
    });
    let gone = w.sync(acme).unwrap();
    let ClientStep::GoneFromXpm {
        reason: GoneReason::Archived,
        look_alikes,
        ..
    } = &gone.plan.client
    else {
        panic!("{:?}", gone.plan.client);
    };
    assert_eq!(
        look_alikes.iter().map(|l| l.xpm_client).collect::<Vec<_>>(),
        [other],
        "the archived client itself is not offered"
    );
    w.sync_deciding(acme, FirstSyncDecision::LinkTo(other))
        .unwrap();
    assert_eq!(xpm_client_of(&w, acme), other);

    // Unlink forgets the link, touches nothing in XPM, and is logged.
    let calls = w.xpm().calls().len();
    let forgotten = block_on(w.app.unlink_client(w.practice, w.admin, acme)).unwrap();
    assert_eq!(forgotten, other);
    assert_eq!(w.xpm().calls().len(), calls, "no XPM call at all");
    assert!(w.codes().contains(&"client_unlinked"));
    assert!(matches!(
        w.sync(acme).unwrap().plan.client,
        ClientStep::NeedsDecision { .. }
    ));
    assert!(matches!(
        block_on(w.app.unlink_client(w.practice, w.admin, acme)),
        Err(SyncError::NotLinked(_))
    ));
}

#[test]
fn an_edit_made_in_xpm_is_corrected_by_the_next_sync_and_the_log_says_what_it_overwrote() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.edit(acme, |c| {
        c.details.email = Some(EmailAddress::new("office@acme.test").unwrap());
    });
    w.connect();
    w.sync(acme).unwrap();
    let x = xpm_client_of(&w, acme);
    w.xpm().with(|s| {
        let c = s.clients.get_mut(&x).unwrap();
        c.fields.insert("Email".into(), "someone@else.test".into());
        c.fields.insert("ReferralSource".into(), "XPM's own".into());
    });
    let outcome = w.sync(acme).unwrap();
    let held = w.xpm().with(|s| s.clients[&x].clone());
    assert_eq!(held.field("Email"), Some("office@acme.test"));
    assert_eq!(
        held.field("ReferralSource"),
        Some("XPM's own"),
        "a field PM Hub does not own is never sent"
    );
    assert_eq!(
        w.xpm().calls().last(),
        Some(&XpmCall::Update(x, vec![OwnedField::Email]))
    );
    assert!(outcome.entries.iter().any(|e| matches!(&e.kind,
        ActivityKind::ClientUpdated { changes, .. }
            if changes[0].xpm_now.as_deref() == Some("someone@else.test"))));
}

#[test]
fn an_add_whose_answer_was_lost_is_adopted_and_its_note_cleared() {
    let mut w = World::new();
    let director = w.association_type("Director");
    w.map(director, Some(XpmRelationshipType::from_static("Director")));
    let acme = w.company("Acme");
    let bob = w.company("Bob Ltd");
    w.associate(acme, bob, director);
    w.connect();
    w.sync(acme).unwrap();
    w.sync(bob).unwrap();
    // XPM makes the relationship; its answer is lost.
    w.xpm().with(|s| {
        s.write_failures
            .push_back(domain::ports::XpmError::Ambiguous("lost".into()))
    });
    assert!(!w.sync(acme).unwrap().is_complete());
    let tenant = support::world::organisation(1).tenant;
    let pending = |w: &World| {
        w.stores().with(|s| {
            s.pending_ops
                .get(&(acme, tenant))
                .cloned()
                .unwrap_or_default()
        })
    };
    assert_eq!(pending(&w).len(), 1, "the add stays pending");

    let next = w.sync(acme).unwrap();
    assert!(next.is_complete(), "{next:?}");
    assert_eq!(
        w.xpm().with(|s| s.relationships.len()),
        1,
        "adopted, not added again"
    );
    assert!(pending(&w).is_empty(), "the note is cleared once adopted");
}

#[test]
fn an_xpm_client_linked_to_one_pm_hub_client_cannot_be_linked_to_another() {
    let mut w = World::new();
    let first = w.company("Acme");
    let twin = w.company("ACME");
    let x = w.xpm().with(|s| s.add_client(&[("Name", "Acme")]));
    w.connect();
    w.sync_deciding(first, FirstSyncDecision::LinkTo(x))
        .unwrap();
    let writes = w.xpm().writes();
    assert_eq!(
        w.sync_deciding(twin, FirstSyncDecision::LinkTo(x))
            .unwrap_err(),
        SyncError::Plan(domain::sync::PlanError::LinkedToAnotherClient {
            xpm_client: x,
            other: first
        })
    );
    assert_eq!(w.xpm().writes(), writes, "nothing written");
}

#[test]
fn a_lost_create_is_recovered_even_when_a_person_added_a_namesake_since() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.edit(acme, |c| {
        c.details.email = Some(EmailAddress::new("office@acme.test").unwrap());
    });
    w.connect();
    // XPM makes the client; the answer is lost.
    w.xpm().with(|s| {
        s.write_failures
            .push_back(domain::ports::XpmError::Ambiguous("lost".into()))
    });
    assert!(!w.sync(acme).unwrap().is_complete());
    // Meanwhile a person adds a namesake in XPM.
    w.xpm()
        .with(|s| s.add_client(&[("Name", "ACME"), ("Email", "someone@else.test")]));
    let next = w.sync(acme).unwrap();
    assert!(
        matches!(next.plan.client, ClientStep::Recover { .. }),
        "{:?}",
        next.plan.client
    );
    assert_eq!(w.xpm().with(|s| s.clients.len()), 2, "no third client");
}

#[test]
fn a_create_again_whose_answer_was_lost_is_recovered_not_asked_about() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.connect();
    w.sync(acme).unwrap();
    let x = xpm_client_of(&w, acme);
    w.xpm()
        .with(|s| s.clients.get_mut(&x).unwrap().archived = true);
    assert!(matches!(
        w.sync(acme).unwrap().plan.client,
        ClientStep::GoneFromXpm { .. }
    ));
    // The person chooses to create it again; XPM makes it, the answer is lost.
    w.xpm().with(|s| {
        s.write_failures
            .push_back(domain::ports::XpmError::Ambiguous("lost".into()))
    });
    let lost = w.sync_deciding(acme, FirstSyncDecision::CreateNew).unwrap();
    assert!(!lost.is_complete());
    let next = w.sync(acme).unwrap();
    let ClientStep::Recover { xpm_client, .. } = next.plan.client else {
        panic!(
            "expected the lost create to be recovered: {:?}",
            next.plan.client
        );
    };
    assert_ne!(xpm_client, x, "not the archived one");
    assert_eq!(xpm_client_of(&w, acme), xpm_client);
    assert_eq!(w.xpm().with(|s| s.clients.len()), 2, "no third client");
}

#[test]
fn a_sync_that_would_outrun_the_daily_allowance_is_refused_before_writing() {
    let mut w = World::new();
    let director = w.association_type("Director");
    w.map(director, Some(XpmRelationshipType::from_static("Director")));
    let acme = w.company("Acme");
    let bob = w.company("Bob Ltd");
    let carol = w.company("Carol Ltd");
    w.associate(acme, bob, director);
    w.associate(acme, carol, director);
    w.connect();
    w.sync(bob).unwrap();
    w.sync(carol).unwrap();
    // Creating Acme takes 3 writes; XPM says 2 calls are left today.
    w.xpm().with(|s| {
        s.allowance = Some(domain::ports::XpmAllowance {
            day_remaining: 2,
            resets_in_secs: Some(4 * 3600 + 20 * 60),
        })
    });
    let writes = w.xpm().writes();
    let err = w.sync(acme).unwrap_err();
    assert!(
        matches!(
            err,
            SyncError::DailyAllowanceShort {
                needed: 3,
                remaining: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("resets in 4 h 20 min"), "{err}");
    assert_eq!(w.xpm().writes(), writes, "nothing written");
    assert!(w.codes().contains(&"sync_refused"));
}
