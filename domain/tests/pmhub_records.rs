//! PM Hub's clients by PM Hub's own ids: idempotent puts that never sync.

mod support;

use domain::client::{ClientDetails, ClientKind, ClientStatus};
use domain::text::{ClientName, PmHubId};
use domain::usecases::{PutOutcome, RecordsError};
use futures::executor::block_on;
use support::world::World;

fn named(name: &str) -> ClientDetails {
    ClientDetails::named(ClientName::new(name).unwrap(), ClientKind::Organisation)
}

#[test]
fn the_same_client_put_twice_is_one_client_and_the_second_put_writes_nothing() {
    let w = World::new();
    let id = PmHubId::new("c-1").unwrap();
    let before = w.stores().with(|s| s.clients.len());
    let (created, outcome) =
        block_on(w.app.put_client(w.practice, w.staff, &id, named("Acme"))).unwrap();
    assert_eq!(outcome, PutOutcome::Created);
    // Change the stored copy behind the use case's back: an unchanged put
    // must not write it again (it would undo this).
    w.edit(created.id, |c| c.status = ClientStatus::Deactivated);
    let (same, outcome) =
        block_on(w.app.put_client(w.practice, w.staff, &id, named("Acme"))).unwrap();
    assert_eq!(outcome, PutOutcome::Unchanged);
    assert_eq!(same.id, created.id);
    assert_eq!(
        w.client(created.id).status,
        ClientStatus::Deactivated,
        "not rewritten"
    );
    assert_eq!(w.stores().with(|s| s.clients.len()), before + 1);

    let (changed, outcome) =
        block_on(
            w.app
                .put_client(w.practice, w.staff, &id, named("Acme Ltd")),
        )
        .unwrap();
    assert_eq!(outcome, PutOutcome::Updated);
    assert_eq!(w.client(changed.id).details.name.as_str(), "Acme Ltd");
    assert_eq!(w.xpm().writes(), 0, "nothing syncs by itself (FAQ 3)");
}

#[test]
fn a_deleted_client_is_not_found_by_its_pmhub_id_and_stays_deleted() {
    let w = World::new();
    let id = PmHubId::new("c-2").unwrap();
    block_on(w.app.put_client(w.practice, w.staff, &id, named("Beta"))).unwrap();
    let deleted = block_on(w.app.delete_client_by_pmhub_id(w.practice, w.staff, &id)).unwrap();
    assert_eq!(deleted.status, ClientStatus::Deleted);
    assert!(matches!(
        block_on(w.app.client_by_pmhub_id(w.practice, w.staff, &id)),
        Err(RecordsError::NotKnownByPmHubId(_))
    ));
    assert!(matches!(
        block_on(w.app.put_client(w.practice, w.staff, &id, named("Beta"))),
        Err(RecordsError::ClientDeleted(_))
    ));
    assert_eq!(
        w.xpm().writes(),
        0,
        "deleting in PM Hub removes nothing from XPM (FAQ 6)"
    );
}

#[test]
fn an_association_by_pmhub_ids_names_the_missing_reference_then_is_put_once() {
    use domain::association::AssociationTerms;
    use domain::text::AssociationTypeName;
    use domain::usecases::PmHubAssociation;
    let w = World::new();
    let (co, person, kind, link) = (
        PmHubId::new("co").unwrap(),
        PmHubId::new("person").unwrap(),
        PmHubId::new("director").unwrap(),
        PmHubId::new("link").unwrap(),
    );
    let refs = PmHubAssociation {
        client: &co,
        related: &person,
        association_type: &kind,
    };
    let put = || {
        block_on(w.app.put_association(
            w.practice,
            w.staff,
            &link,
            refs,
            AssociationTerms::default(),
        ))
    };
    assert!(matches!(
        put(),
        Err(RecordsError::MissingPmHubReference {
            field: "clientId",
            ..
        })
    ));
    block_on(w.app.put_client(w.practice, w.staff, &co, named("Co"))).unwrap();
    block_on(
        w.app
            .put_client(w.practice, w.staff, &person, named("Person")),
    )
    .unwrap();
    assert!(matches!(
        put(),
        Err(RecordsError::MissingPmHubReference {
            field: "associationTypeId",
            ..
        })
    ));
    let name = AssociationTypeName::new("Director").unwrap();
    assert!(
        block_on(
            w.app
                .put_association_type(w.practice, w.staff, &kind, name.clone())
        )
        .is_err(),
        "association types are for admins"
    );
    block_on(w.app.put_association_type(w.practice, w.admin, &kind, name)).unwrap();
    let (first, outcome) = put().unwrap();
    assert_eq!(outcome, PutOutcome::Created);
    let (again, outcome) = put().unwrap();
    assert_eq!((again.id(), outcome), (first.id(), PutOutcome::Unchanged));
    assert_eq!(w.stores().with(|s| s.associations.len()), 1);
    assert_eq!(w.xpm().writes(), 0, "nothing syncs by itself (FAQ 3)");
}
