//! PM Hub's client id in an XPM custom field (the practice's choice, off by
//! default), on the fakes: chosen by an admin, written on create and link
//! (and counted before writing), used to find the client an interrupted
//! create made even when renamed in XPM, and as the strongest look-alike key.

mod support;

use domain::activity::{ActivityKind, Operation};
use domain::custom_field::{XpmCustomFieldDefinition, XpmCustomFieldKind};
use domain::ids::{ClientId, XpmClientUuid, XpmCustomFieldUuid, XpmTenantId};
use domain::ports::{XpmAllowance, XpmError};
use domain::sync::{ClientStep, FirstSyncDecision, MatchKey, PendingOperation};
use domain::text::ClientName;
use domain::usecases::{MAX_ID_FIELD_READS, SettingsError, SyncError};
use futures::executor::block_on;
use support::fakes::XpmCall;
use support::world::{World, organisation};
use uuid::Uuid;

fn tenant() -> XpmTenantId {
    organisation(1).tenant
}

fn id_writes(w: &World) -> Vec<(XpmClientUuid, String)> {
    w.xpm()
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            XpmCall::WriteField(x, v) => Some((x, v)),
            _ => None,
        })
        .collect()
}

fn field_reads(w: &World) -> usize {
    w.xpm()
        .calls()
        .iter()
        .filter(|c| matches!(c, XpmCall::ReadField(_) | XpmCall::ListModifiedSince(_)))
        .count()
}

fn held(w: &World, x: XpmClientUuid, field: XpmCustomFieldUuid) -> Option<String> {
    w.xpm().with(|s| s.clients[&x].custom.get(&field).cloned())
}

fn record_of(w: &World, client: ClientId) -> domain::sync::SyncRecord {
    w.stores().with(|s| s.records[&(client, tenant())].clone())
}

/// The state a Sync leaves when its process dies after the create and the
/// id write reached XPM, before either was recorded: the create is still
/// pending, and XPM holds the client with PM Hub's id in the field.
fn died_after_the_id_write(
    w: &World,
    client: ClientId,
    field: XpmCustomFieldUuid,
) -> XpmClientUuid {
    let name = w.client(client).details.name;
    let now = domain::ports::Clock::now(&w.app.clock);
    w.stores().with(|s| {
        s.pending_ops
            .entry((client, tenant()))
            .or_default()
            .push(PendingOperation::CreateClient {
                known_look_alikes: Vec::new(),
                sent_name: Some(name.clone()),
                started_at: Some(now),
            })
    });
    w.xpm().with(|s| {
        let x = s.add_client(&[("Name", name.as_str()), ("BusinessStructure", "Company")]);
        s.set_custom(x, field, &client.to_string());
        x
    })
}

#[test]
fn with_the_setting_off_no_custom_field_is_read_or_written() {
    let mut w = World::new();
    let acme = w.company("Acme Holdings");
    w.xpm().with(|s| s.add_client(&[("Name", "Acme Holdings")]));
    w.connect();
    let asked = w.sync(acme).unwrap();
    assert!(matches!(
        asked.plan.client,
        ClientStep::NeedsDecision { .. }
    ));
    assert_eq!(asked.plan.client_id, None);
    let created = w.sync_deciding(acme, FirstSyncDecision::CreateNew).unwrap();
    assert!(created.is_complete());
    assert_eq!(created.plan.write_count(), 1, "the create only");
    assert!(id_writes(&w).is_empty());
    assert_eq!(field_reads(&w), 0);
    assert_eq!(record_of(&w, acme).client_id_written, None);
}

#[test]
fn an_admin_chooses_a_client_text_field_of_the_connected_organisation() {
    let w = World::new();
    let define = |w: &World, n: u128, name: &str, kind, use_client| {
        let uuid = XpmCustomFieldUuid::from_uuid(Uuid::from_u128(0xF000 + n));
        w.xpm().with(|s| {
            s.definitions.push(XpmCustomFieldDefinition {
                uuid,
                name: name.into(),
                kind,
                use_client,
            })
        });
        uuid
    };
    let text = define(&w, 1, "PM Hub ID", XpmCustomFieldKind::Text, true);
    let date = define(&w, 2, "Engagement signed", XpmCustomFieldKind::Date, true);
    let contact = define(&w, 3, "Preferred time", XpmCustomFieldKind::Text, false);
    let configure =
        |w: &World, user, field| block_on(w.app.configure_client_id_field(w.practice, user, field));
    assert!(matches!(
        configure(&w, w.admin, Some(text)),
        Err(SettingsError::NotConnected(_))
    ));
    w.connect();
    let choices = block_on(w.app.client_id_field_choices(w.practice, w.admin)).unwrap();
    assert_eq!(
        choices.fields.iter().map(|f| f.uuid).collect::<Vec<_>>(),
        [text],
        "only client fields of type Text are offered"
    );
    assert!(matches!(
        configure(&w, w.staff, Some(text)),
        Err(SettingsError::Permission(_))
    ));
    let refused = configure(&w, w.admin, Some(date)).unwrap_err();
    assert!(refused.to_string().contains("a Date field"), "{refused}");
    let refused = configure(&w, w.admin, Some(contact)).unwrap_err();
    assert!(
        refused.to_string().contains("not used for clients"),
        "{refused}"
    );
    let unknown = XpmCustomFieldUuid::from_uuid(Uuid::from_u128(0xF0FF));
    assert!(matches!(
        configure(&w, w.admin, Some(unknown)),
        Err(SettingsError::UnknownCustomField(u)) if u == unknown
    ));
    let settings = configure(&w, w.admin, Some(text)).unwrap();
    let chosen = settings.client_id_field().unwrap();
    assert_eq!(
        (chosen.field, chosen.name.as_str(), chosen.tenant),
        (text, "PM Hub ID", tenant())
    );
    assert!(w.activity().iter().any(|e| e.kind
        == ActivityKind::ClientIdFieldChanged {
            from: None,
            to: Some("PM Hub ID".into()),
        }));
    // Turning it off needs no XPM call and works once disconnected.
    w.disconnect();
    let calls = w.xpm().calls().len();
    let off = configure(&w, w.admin, None).unwrap();
    assert_eq!(off.client_id_field(), None);
    assert_eq!(w.xpm().calls().len(), calls);
    assert_eq!(w.codes().last(), Some(&"client_id_field_changed"));
}

#[test]
fn a_create_writes_the_id_before_it_is_recorded_and_a_second_sync_writes_nothing() {
    let mut w = World::new();
    let acme = w.company("Acme Holdings");
    w.connect();
    let field = w.keep_ids_in_xpm("PM Hub ID");
    let preview = block_on(w.app.preview_sync(&w.request(acme, None))).unwrap();
    assert_eq!(preview.plan.write_count(), 2, "the create and the id");
    assert!(preview.plan.client_id.as_ref().is_some_and(|c| c.write));
    let outcome = w.sync(acme).unwrap();
    assert!(outcome.is_complete(), "{outcome:?}");
    let x = outcome.xpm_client.unwrap();
    assert_eq!(held(&w, x, field), Some(acme.to_string()));
    let calls = w.xpm().calls();
    let create = calls.iter().position(|c| matches!(c, XpmCall::Create(_)));
    let write = calls
        .iter()
        .position(|c| matches!(c, XpmCall::WriteField(..)));
    assert!(create < write, "{calls:?}");
    assert!(outcome.entries.iter().any(|e| e.kind
        == ActivityKind::ClientIdWritten {
            tenant: tenant(),
            xpm_client: x,
            field,
            field_name: "PM Hub ID".into(),
        }));
    assert_eq!(record_of(&w, acme).client_id_written, Some(field));
    let again = w.sync(acme).unwrap();
    assert_eq!(again.plan.write_count(), 0, "{:?}", again.plan);
    assert_eq!(id_writes(&w).len(), 1);
}

#[test]
fn a_link_writes_the_id_into_the_chosen_client() {
    let mut w = World::new();
    let acme = w.company("Acme Holdings");
    let x = w
        .xpm()
        .with(|s| s.add_client(&[("Name", "Acme Holdings"), ("BusinessStructure", "Company")]));
    w.connect();
    let field = w.keep_ids_in_xpm("PM Hub ID");
    let asked = w.sync(acme).unwrap();
    assert!(matches!(
        asked.plan.client,
        ClientStep::NeedsDecision { .. }
    ));
    let linked = w.sync_deciding(acme, FirstSyncDecision::LinkTo(x)).unwrap();
    assert!(linked.is_complete(), "{linked:?}");
    assert_eq!(held(&w, x, field), Some(acme.to_string()));
    assert_eq!(w.codes()[w.codes().len() - 1], "client_id_written");
    assert_eq!(record_of(&w, acme).client_id_written, Some(field));
}

#[test]
fn a_failed_id_write_is_logged_and_made_at_the_next_sync() {
    let mut w = World::new();
    let acme = w.company("Acme Holdings");
    w.connect();
    let field = w.keep_ids_in_xpm("PM Hub ID");
    w.xpm().with(|s| {
        s.field_failures
            .push_back(XpmError::Unavailable("XPM is down".into()))
    });
    let first = w.sync(acme).unwrap();
    assert!(!first.is_complete());
    assert!(first.entries.iter().any(|e| matches!(
        e.kind,
        ActivityKind::OperationFailed {
            operation: Operation::WriteClientId,
            ..
        }
    )));
    let x = first
        .xpm_client
        .expect("the create was recorded all the same");
    assert!(
        w.stores().with(|s| s
            .pending_ops
            .get(&(acme, tenant()))
            .is_none_or(Vec::is_empty)),
        "the create is not left pending"
    );
    assert_eq!(held(&w, x, field), None);
    let second = w.sync(acme).unwrap();
    assert!(matches!(second.plan.client, ClientStep::Unchanged { .. }));
    assert_eq!(second.plan.write_count(), 1, "the id only");
    assert_eq!(held(&w, x, field), Some(acme.to_string()));
    assert_eq!(w.sync(acme).unwrap().plan.write_count(), 0);
}

#[test]
fn turning_the_setting_on_writes_the_id_of_a_client_already_synced_once() {
    let mut w = World::new();
    let acme = w.company("Acme Holdings");
    w.connect();
    let x = w.sync(acme).unwrap().xpm_client.unwrap();
    let field = w.keep_ids_in_xpm("PM Hub ID");
    let outcome = w.sync(acme).unwrap();
    assert!(matches!(outcome.plan.client, ClientStep::Unchanged { .. }));
    assert_eq!(held(&w, x, field), Some(acme.to_string()));
    assert_eq!(w.sync(acme).unwrap().plan.write_count(), 0);
}

#[test]
fn the_daily_allowance_check_counts_the_id_write() {
    let mut w = World::new();
    let acme = w.company("Acme Holdings");
    w.connect();
    w.keep_ids_in_xpm("PM Hub ID");
    w.xpm().with(|s| {
        s.allowance = Some(XpmAllowance {
            day_remaining: 1,
            resets_in_secs: None,
        })
    });
    let refused = w.sync(acme).unwrap_err();
    assert!(
        matches!(
            refused,
            SyncError::DailyAllowanceShort {
                needed: 2,
                remaining: 1,
                ..
            }
        ),
        "{refused}"
    );
    assert_eq!(w.xpm().writes(), 0);
}

#[test]
fn after_an_interrupted_create_the_client_renamed_in_xpm_is_found_by_its_id() {
    let mut w = World::new();
    let acme = w.company("Acme Holdings");
    w.connect();
    let field = w.keep_ids_in_xpm("PM Hub ID");
    let x = died_after_the_id_write(&w, acme, field);
    w.app.clock.advance(time::Duration::hours(30));
    // A person renames it in XPM: a search by the name the create sent misses it.
    w.xpm()
        .with(|s| s.edit_client(x, "Name", Some("Acme Group (NZ) Ltd")));
    let outcome = w.sync(acme).unwrap();
    assert!(
        matches!(outcome.plan.client, ClientStep::Recover { xpm_client, .. } if xpm_client == x),
        "{:?}",
        outcome.plan.client
    );
    let cid = outcome.plan.client_id.as_ref().unwrap();
    assert!(cid.found_by_id && !cid.write, "{cid:?}");
    assert_eq!(w.xpm().with(|s| s.clients.len()), 1, "no second client");
    assert!(
        !w.xpm()
            .calls()
            .iter()
            .any(|c| matches!(c, XpmCall::Create(_)))
    );
    assert!(outcome.entries.iter().any(|e| e.kind
        == ActivityKind::ClientRecovered {
            tenant: tenant(),
            xpm_client: x,
            by_id_field: Some("PM Hub ID".into()),
        }));
    // PM Hub's name is written back over the rename, and the id stays.
    assert_eq!(
        w.xpm().with(|s| s.clients[&x].name().to_owned()),
        "Acme Holdings"
    );
    assert_eq!(record_of(&w, acme).client_id_written, Some(field));
    // The clients modified since the attempt were listed once, and each read once.
    let calls = w.xpm().calls();
    assert_eq!(
        calls
            .iter()
            .filter(|c| matches!(c, XpmCall::ListModifiedSince(_)))
            .count(),
        1
    );
    assert_eq!(
        calls
            .iter()
            .filter(|c| matches!(c, XpmCall::ReadField(_)))
            .count(),
        1
    );
}

#[test]
fn a_look_alike_holding_this_clients_id_is_its_own_and_comes_first() {
    let mut w = World::new();
    let acme = w.company("Acme Holdings");
    w.connect();
    let field = w.keep_ids_in_xpm("PM Hub ID");
    let (plain, own) = w.xpm().with(|s| {
        let plain = s.add_client(&[("Name", "Acme Holdings")]);
        let own = s.add_client(&[("Name", "ACME HOLDINGS")]);
        s.set_custom(own, field, &acme.to_string());
        (plain, own)
    });
    let preview = block_on(w.app.preview_sync(&w.request(acme, None))).unwrap();
    assert!(
        matches!(preview.plan.client, ClientStep::Recover { xpm_client, .. } if xpm_client == own),
        "recovered without asking a person: {:?}",
        preview.plan.client
    );
    assert_eq!(
        preview.plan.client_id.as_ref().map(|c| c.found_by_id),
        Some(true)
    );
    let _ = plain;
    // Two holding it (a person copied the id) cannot be told apart: a
    // person chooses, and the holders are listed first, the id named first.
    let mut w2 = World::new();
    let acme2 = w2.company("Acme Holdings");
    w2.connect();
    let field2 = w2.keep_ids_in_xpm("PM Hub ID");
    w2.xpm().with(|s| {
        s.add_client(&[("Name", "Acme Holdings")]);
        for _ in 0..2 {
            let own = s.add_client(&[("Name", "Acme Holdings")]);
            s.set_custom(own, field2, &acme2.to_string());
        }
    });
    let asked = w2.sync(acme2).unwrap();
    let ClientStep::NeedsDecision { look_alikes } = &asked.plan.client else {
        panic!("two holders are not adopted: {:?}", asked.plan.client);
    };
    let holds: Vec<bool> = look_alikes.iter().map(|l| l.holds_id_of(acme2)).collect();
    assert_eq!(holds, [true, true, false], "{look_alikes:?}");
    assert_eq!(
        look_alikes[0].matches(&w2.client(acme2)),
        [MatchKey::PmHubId, MatchKey::Name]
    );
}

#[test]
fn one_holding_another_clients_id_is_that_clients_and_not_recovered_by_name() {
    let mut w = World::new();
    let acme = w.company("Acme Holdings");
    let other = w.company("Acme Holdings (old)");
    w.connect();
    let field = w.keep_ids_in_xpm("PM Hub ID");
    let now = domain::ports::Clock::now(&w.app.clock);
    w.stores().with(|s| {
        s.pending_ops
            .entry((acme, tenant()))
            .or_default()
            .push(PendingOperation::CreateClient {
                known_look_alikes: Vec::new(),
                sent_name: Some(ClientName::new("Acme Holdings").unwrap()),
                started_at: Some(now),
            })
    });
    let theirs = w.xpm().with(|s| {
        let x = s.add_client(&[("Name", "Acme Holdings")]);
        s.set_custom(x, field, &other.to_string());
        x
    });
    let outcome = w.sync(acme).unwrap();
    let ClientStep::NeedsDecision { look_alikes } = &outcome.plan.client else {
        panic!("not recovered by its name: {:?}", outcome.plan.client);
    };
    assert_eq!(look_alikes[0].xpm_client, theirs);
    assert_eq!(look_alikes[0].holds_id_of_another(acme), Some(other));
    assert_eq!(w.xpm().writes(), 0);
}

#[test]
fn the_reads_a_sync_makes_for_the_id_are_bounded() {
    let mut w = World::new();
    let acme = w.company("Acme Holdings");
    w.connect();
    w.keep_ids_in_xpm("PM Hub ID");
    w.xpm().with(|s| {
        for _ in 0..(MAX_ID_FIELD_READS + 15) {
            s.add_client(&[("Name", "Acme Holdings")]);
        }
    });
    let asked = w.sync(acme).unwrap();
    assert!(matches!(
        asked.plan.client,
        ClientStep::NeedsDecision { .. }
    ));
    assert_eq!(field_reads(&w), MAX_ID_FIELD_READS);
}

#[test]
fn a_field_of_another_organisation_is_not_used() {
    let mut w = World::new();
    let acme = w.company("Acme Holdings");
    w.connect();
    w.keep_ids_in_xpm("PM Hub ID");
    w.connect_to(2);
    let outcome = w.sync(acme).unwrap();
    assert!(outcome.is_complete());
    assert_eq!(outcome.plan.client_id, None);
    assert!(id_writes(&w).is_empty());
}
