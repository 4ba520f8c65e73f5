//! FAQ 1 and 2: Connect / Reconnect and Disconnect, through the use cases.

mod support;

use domain::activity::{ActivityEntry, ActivityKind};
use domain::connection::ConnectionProblem;
use domain::connection::{
    ConnectionError, ConnectionState, ConnectionStatus, DisconnectConfirmation, XpmOrganisation,
};
use domain::ids::XpmTenantId;
use domain::ports::{AuthorisationError, ConnectionProblemKind, XpmError};
use domain::practice::PermissionError;
use domain::relationship_type::XpmRelationshipType;
use domain::sync::FirstSyncDecision;
use domain::text::DisplayName;
use domain::usecases::{
    AuthorisationCallback, AuthorisationOutcome, ConnectionUseCaseError, SyncError,
};
use futures::executor::block_on;
use support::fakes::XpmCall;
use support::world::{World, organisation};

#[test]
fn connect_makes_the_status_connected_with_connected_since_now() {
    let w = World::new();
    let state = w.connect();
    assert_eq!(state.status(), ConnectionStatus::Connected);
    assert_eq!(
        state.connected_since(),
        Some(w.app.clock.0.lock().unwrap().to_owned())
    );
    assert_eq!(w.codes(), ["connected"]);
}

#[test]
fn reconnect_refreshes_connected_since_keeps_settings_and_syncs_nothing() {
    let mut w = World::new();
    let director = w.association_type("Director");
    w.map(director, Some(XpmRelationshipType::from_static("Director")));
    let acme = w.company("Acme");
    w.connect();
    w.sync(acme).unwrap();
    let settings_before = w.stores().with(|s| s.settings[&w.practice].clone());
    let calls_before = w.xpm().calls().len();

    block_on(w.app.mark_connection_problem(
        w.practice,
        ConnectionProblemKind::Expired(ConnectionProblem::new("invalid_grant")),
    ))
    .unwrap();
    assert_eq!(w.connection().status(), ConnectionStatus::Expired);
    w.app.clock.advance(time::Duration::days(3));
    let state = w.connect();

    assert_eq!(state.status(), ConnectionStatus::Connected);
    assert_eq!(
        state.connected_since(),
        Some(*w.app.clock.0.lock().unwrap())
    );
    assert_eq!(
        w.stores().with(|s| s.settings[&w.practice].clone()),
        settings_before
    );
    assert_eq!(
        w.xpm().calls().len(),
        calls_before,
        "a reconnect must not call XPM"
    );
    assert_eq!(w.codes().last(), Some(&"reconnected"));
}

#[test]
fn a_refused_login_is_logged_and_changes_nothing() {
    let w = World::new();
    w.connect();
    let before = w.connection();
    let tokens_before = w.stores().with(|s| s.tokens.len());
    let url = block_on(w.app.connect(w.practice, w.admin)).unwrap();
    let state = url.split("state=").nth(1).unwrap().to_owned();
    let err = block_on(w.app.complete_authorisation(
        w.practice,
        AuthorisationCallback::Error {
            error: "access_denied".into(),
            description: Some("the user has no XPM administrator rights".into()),
            state,
        },
    ))
    .unwrap_err();
    assert!(
        matches!(err, ConnectionUseCaseError::Authorisation(AuthorisationError::Refused(ref r)) if r.contains("administrator"))
    );
    assert_eq!(w.connection(), before);
    assert_eq!(w.stores().with(|s| s.tokens.len()), tokens_before);
    assert_eq!(w.codes().last(), Some(&"authorisation_failed"));
}

#[test]
fn a_callback_with_an_unknown_state_is_refused() {
    let w = World::new();
    block_on(w.app.connect(w.practice, w.admin)).unwrap();
    let err = block_on(w.app.complete_authorisation(
        w.practice,
        AuthorisationCallback::Code {
            code: "c".into(),
            state: "forged".into(),
        },
    ))
    .unwrap_err();
    assert_eq!(err, ConnectionUseCaseError::UnknownState);
    assert_eq!(w.connection().status(), ConnectionStatus::NotConnected);
}

#[test]
fn a_state_value_works_only_once() {
    let w = World::new();
    let url = block_on(w.app.connect(w.practice, w.admin)).unwrap();
    let state = url.split("state=").nth(1).unwrap().to_owned();
    let callback = AuthorisationCallback::Code {
        code: "c".into(),
        state,
    };
    block_on(w.app.complete_authorisation(w.practice, callback.clone())).unwrap();
    assert_eq!(
        block_on(w.app.complete_authorisation(w.practice, callback)).unwrap_err(),
        ConnectionUseCaseError::UnknownState
    );
}

#[test]
fn a_login_granting_no_organisation_is_refused() {
    let w = World::new();
    w.app.authorization.with(|s| s.organisations.clear());
    let url = block_on(w.app.connect(w.practice, w.admin)).unwrap();
    let state = url.split("state=").nth(1).unwrap().to_owned();
    let err = block_on(w.app.complete_authorisation(
        w.practice,
        AuthorisationCallback::Code {
            code: "c".into(),
            state,
        },
    ))
    .unwrap_err();
    assert_eq!(
        err,
        ConnectionUseCaseError::Authorisation(AuthorisationError::NoOrganisationGranted)
    );
    assert_eq!(w.connection().status(), ConnectionStatus::NotConnected);
}

/// Starts a login and finishes it with Xero granting `organisations`.
fn login_granting(w: &World, organisations: Vec<XpmOrganisation>) -> AuthorisationOutcome {
    w.app
        .authorization
        .with(|s| s.organisations = organisations);
    let url = block_on(w.app.connect(w.practice, w.admin)).unwrap();
    let state = url.split("state=").nth(1).unwrap().to_owned();
    block_on(w.app.complete_authorisation(
        w.practice,
        AuthorisationCallback::Code {
            code: "c".into(),
            state,
        },
    ))
    .unwrap()
}

/// The XPM organisations the activity log says a client was written to.
fn tenants_written(entries: &[ActivityEntry]) -> Vec<XpmTenantId> {
    entries
        .iter()
        .filter_map(|e| match &e.kind {
            ActivityKind::ClientCreated { tenant, .. }
            | ActivityKind::ClientUpdated { tenant, .. }
            | ActivityKind::ClientLinked { tenant, .. }
            | ActivityKind::ClientUnchanged { tenant, .. } => Some(*tenant),
            _ => None,
        })
        .collect()
}

#[test]
fn several_organisations_granted_let_the_admin_choose() {
    let w = World::new();
    let outcome = login_granting(&w, vec![organisation(1), organisation(2)]);
    assert_eq!(
        outcome,
        AuthorisationOutcome::ChooseOrganisation(vec![organisation(1), organisation(2)])
    );
    assert_eq!(
        w.connection(),
        ConnectionState::Choosing {
            granted: vec![organisation(1), organisation(2)],
            previous: None
        }
    );

    let err = block_on(
        w.app
            .choose_organisation(w.practice, w.admin, organisation(9).tenant),
    )
    .unwrap_err();
    assert_eq!(
        err,
        ConnectionUseCaseError::OrganisationNotGranted(organisation(9).tenant)
    );
    let state = block_on(
        w.app
            .choose_organisation(w.practice, w.admin, organisation(2).tenant),
    )
    .unwrap();
    assert_eq!(state.organisation(), Some(&organisation(2)));
    assert_eq!(w.codes().last(), Some(&"connected"));
    // Chosen once: there is nothing left to choose.
    assert_eq!(
        block_on(
            w.app
                .choose_organisation(w.practice, w.admin, organisation(1).tenant)
        )
        .unwrap_err(),
        ConnectionUseCaseError::NoGrantToChooseFrom
    );
}

#[test]
fn a_reconnect_granting_only_another_organisation_switches_to_it_and_keeps_the_settings() {
    let mut w = World::new();
    let director = w.association_type("Director");
    w.map(director, Some(XpmRelationshipType::from_static("Director")));
    let acme = w.company("Acme");
    w.connect_to(1);
    w.sync(acme).unwrap();
    let settings_before = w.stores().with(|s| s.settings[&w.practice].clone());

    // Xero keeps the connection to organisation 1; this login granted only 2.
    let outcome = login_granting(&w, vec![organisation(2)]);

    let AuthorisationOutcome::Connected(state) = outcome else {
        panic!("not connected: {outcome:?}");
    };
    assert_eq!(state.organisation(), Some(&organisation(2)));
    assert_eq!(w.connection(), state);
    assert!(matches!(
        &w.activity()[0].kind,
        ActivityKind::Reconnected { changed_organisation: true, previous: Some(p), organisation: o }
            if *p == organisation(1) && *o == organisation(2)
    ));
    assert_eq!(
        w.stores().with(|s| s.settings[&w.practice].clone()),
        settings_before,
        "the settings are the practice's, whichever organisation it is connected to"
    );
    let synced = w.sync_deciding(acme, FirstSyncDecision::CreateNew).unwrap();
    assert_eq!(
        tenants_written(&synced.entries),
        [organisation(2).tenant],
        "a Sync after the switch writes into the new organisation only"
    );
}

#[test]
fn a_reconnect_granting_several_asks_even_with_the_previous_among_them_and_nothing_syncs_meanwhile()
{
    let mut w = World::new();
    let acme = w.company("Acme");
    w.connect_to(1);
    let outcome = login_granting(&w, vec![organisation(1), organisation(2)]);
    assert!(matches!(
        outcome,
        AuthorisationOutcome::ChooseOrganisation(ref o) if o.len() == 2
    ));
    assert_eq!(w.connection().status(), ConnectionStatus::Choosing);
    assert_eq!(w.connection().organisation(), Some(&organisation(1)));

    let calls = w.xpm().calls().len();
    let err = w.sync(acme).unwrap_err();
    assert!(matches!(
        err,
        SyncError::NotConnected(ConnectionError::NotConnected {
            status: ConnectionStatus::Choosing
        })
    ));
    assert!(
        err.to_string().contains("choose the XPM organisation"),
        "{err}"
    );
    assert_eq!(w.xpm().calls().len(), calls, "nothing reached XPM");

    block_on(
        w.app
            .choose_organisation(w.practice, w.admin, organisation(2).tenant),
    )
    .unwrap();
    assert!(matches!(
        &w.activity()[0].kind,
        ActivityKind::Reconnected { changed_organisation: true, previous: Some(p), .. }
            if *p == organisation(1)
    ));
}

#[test]
fn switching_a_to_b_to_a_finds_the_links_of_a_again() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.connect_to(1);
    let in_a = w.sync(acme).unwrap().xpm_client.unwrap();
    let record_in_a = w
        .stores()
        .with(|s| s.records[&(acme, organisation(1).tenant)].clone());

    w.connect_to(2);
    let in_b = w
        .sync_deciding(acme, FirstSyncDecision::CreateNew)
        .unwrap()
        .xpm_client
        .unwrap();
    assert_ne!(in_b, in_a);
    assert_eq!(
        w.stores()
            .with(|s| s.records[&(acme, organisation(1).tenant)].clone()),
        record_in_a,
        "a Sync in B leaves A's link as it was"
    );

    w.connect_to(1);
    let calls = w.xpm().calls().len();
    let again = w.sync(acme).unwrap();
    assert_eq!(again.xpm_client, Some(in_a), "A's link is found again");
    assert_eq!(tenants_written(&again.entries), [organisation(1).tenant]);
    assert!(
        !w.xpm().calls()[calls..]
            .iter()
            .any(|c| matches!(c, XpmCall::Create(_) | XpmCall::Search(_))),
        "nothing is created or looked for in A again"
    );
}

#[test]
fn a_nameless_organisation_is_named_by_a_person_and_the_name_outlives_a_switch() {
    let w = World::new();
    w.app.authorization.with(|s| s.nameless = true);
    let state = w.connect_to(1);
    let placeholder = state.organisation().unwrap().clone();
    assert!(placeholder.is_unnamed());
    assert_eq!(placeholder.tenant, organisation(1).tenant);
    assert!(
        placeholder.name.as_str().starts_with("Unnamed "),
        "{}",
        placeholder.name
    );

    let named = block_on(w.app.name_organisation(
        w.practice,
        w.admin,
        DisplayName::new("Demo Practice").unwrap(),
    ))
    .unwrap();
    assert_eq!(named.organisation().unwrap().name.as_str(), "Demo Practice");
    assert_eq!(named.status(), ConnectionStatus::Connected);
    assert_eq!(named.connected_since(), state.connected_since());
    assert!(matches!(
        &w.activity()[0].kind,
        ActivityKind::OrganisationNamed { organisation, previous_name }
            if organisation.name.as_str() == "Demo Practice" && *previous_name == placeholder.name
    ));

    // Reconnecting the same organisation keeps the name.
    let again = w.connect_to(1);
    assert_eq!(again.organisation().unwrap().name.as_str(), "Demo Practice");
    // Another nameless one gets its own placeholder; back again, the name is found.
    assert!(w.connect_to(2).organisation().unwrap().is_unnamed());
    let back = w.connect_to(1);
    assert_eq!(back.organisation().unwrap().name.as_str(), "Demo Practice");

    // A name Xero gives wins.
    w.app.authorization.with(|s| s.nameless = false);
    assert_eq!(w.connect_to(1).organisation(), Some(&organisation(1)));
}

#[test]
fn naming_is_for_admins_and_needs_an_organisation() {
    let w = World::new();
    let name = || DisplayName::new("Demo Practice").unwrap();
    assert_eq!(
        block_on(w.app.name_organisation(w.practice, w.admin, name())).unwrap_err(),
        ConnectionUseCaseError::NothingToName
    );
    w.connect();
    assert!(matches!(
        block_on(w.app.name_organisation(w.practice, w.staff, name())).unwrap_err(),
        ConnectionUseCaseError::Permission(PermissionError::AdminOnly { .. })
    ));
    assert_eq!(w.connection().organisation(), Some(&organisation(1)));
}

#[test]
fn a_disconnect_while_choosing_ends_the_login_and_keeps_the_previous_organisation_on_record() {
    let w = World::new();
    w.connect_to(1);
    login_granting(&w, vec![organisation(2), organisation(3)]);
    let state = w.disconnect();
    assert_eq!(
        state,
        ConnectionState::Disconnected {
            last_organisation: organisation(1),
            disconnected_at: *w.app.clock.0.lock().unwrap()
        }
    );
    assert!(w.stores().with(|s| s.tokens.is_empty()));

    // A first login that granted several, abandoned: back to not connected.
    let w = World::new();
    login_granting(&w, vec![organisation(2), organisation(3)]);
    assert_eq!(w.disconnect(), ConnectionState::NotConnected);
    assert!(w.stores().with(|s| s.tokens.is_empty()));
}

#[test]
fn only_admins_connect_and_disconnect() {
    let w = World::new();
    let err = block_on(w.app.connect(w.practice, w.staff)).unwrap_err();
    assert!(matches!(
        err,
        ConnectionUseCaseError::Permission(PermissionError::AdminOnly { .. })
    ));
    w.connect();
    let err = block_on(w.app.disconnect(
        w.practice,
        w.staff,
        DisconnectConfirmation::from_answer(true).unwrap(),
    ))
    .unwrap_err();
    assert!(matches!(
        err,
        ConnectionUseCaseError::Permission(PermissionError::AdminOnly { .. })
    ));
    assert_eq!(w.connection().status(), ConnectionStatus::Connected);
}

#[test]
fn disconnect_revokes_forgets_tokens_keeps_xpm_data_and_the_activity_log() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.connect();
    w.sync(acme).unwrap();
    let log_before = w.activity();
    let xpm_clients_before = w.xpm().with(|s| s.clients.clone());

    let state = w.disconnect();

    assert_eq!(state.status(), ConnectionStatus::Disconnected);
    assert!(w.stores().with(|s| s.tokens.is_empty()));
    assert_eq!(
        w.app.authorization.with(|s| s.revoked.clone()),
        ["refresh-code-1"]
    );
    assert_eq!(w.xpm().with(|s| s.clients.clone()), xpm_clients_before);
    let log_after = w.activity();
    assert!(log_before.iter().all(|e| log_after.contains(e)));
    assert!(matches!(
        log_after[0].kind,
        ActivityKind::Disconnected { .. }
    ));
}

#[test]
fn after_disconnect_sync_is_refused_without_calling_xpm() {
    let mut w = World::new();
    let acme = w.company("Acme");
    w.connect();
    w.disconnect();
    let calls = w.xpm().calls().len();
    let err = w.sync(acme).unwrap_err();
    assert!(matches!(
        err,
        domain::usecases::SyncError::NotConnected(ConnectionError::NotConnected {
            status: ConnectionStatus::Disconnected
        })
    ));
    assert_eq!(w.xpm().calls().len(), calls);
    assert_eq!(w.codes().last(), Some(&"sync_refused"));
}

#[test]
fn checking_the_connection_records_a_revocation_xero_reports() {
    let w = World::new();
    w.connect();
    w.xpm().with(|s| {
        s.connection_error = Some(XpmError::AccessRevoked(
            "the connection was removed in Xero".into(),
        ))
    });
    let checked = block_on(w.app.check_connection(w.practice, w.staff)).unwrap();
    assert_eq!(checked.unconfirmed, None, "Xero answered");
    let state = checked.state;
    assert_eq!(state.status(), ConnectionStatus::Revoked);
    assert_eq!(
        state.problem().unwrap().as_str(),
        "the connection was removed in Xero"
    );
}

#[test]
fn checking_the_connection_keeps_the_state_when_xero_is_unreachable() {
    let w = World::new();
    w.connect();
    w.xpm()
        .with(|s| s.connection_error = Some(XpmError::Unavailable("timeout".into())));
    let checked = block_on(w.app.check_connection(w.practice, w.staff)).unwrap();
    assert_eq!(checked.state.status(), ConnectionStatus::Connected);
    assert_eq!(
        checked.unconfirmed,
        Some(XpmError::Unavailable("timeout".into())),
        "the answer says the state is not confirmed, and why"
    );
}
