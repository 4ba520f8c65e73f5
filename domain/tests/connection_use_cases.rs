//! FAQ 1 and 2: Connect / Reconnect and Disconnect, through the use cases.

mod support;

use domain::activity::ActivityKind;
use domain::connection::ConnectionProblem;
use domain::connection::{ConnectionError, ConnectionStatus, DisconnectConfirmation};
use domain::ports::{AuthorisationError, ConnectionProblemKind, XpmError};
use domain::practice::PermissionError;
use domain::relationship_type::XpmRelationshipType;
use domain::usecases::{AuthorisationCallback, AuthorisationOutcome, ConnectionUseCaseError};
use futures::executor::block_on;
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

#[test]
fn several_organisations_granted_let_the_admin_choose() {
    let w = World::new();
    w.app
        .authorization
        .with(|s| s.organisations = vec![organisation(1), organisation(2)]);
    let url = block_on(w.app.connect(w.practice, w.admin)).unwrap();
    let state = url.split("state=").nth(1).unwrap().to_owned();
    let outcome = block_on(w.app.complete_authorisation(
        w.practice,
        AuthorisationCallback::Code {
            code: "c".into(),
            state,
        },
    ))
    .unwrap();
    assert_eq!(
        outcome,
        AuthorisationOutcome::ChooseOrganisation(vec![organisation(1), organisation(2)])
    );
    assert_eq!(w.connection().status(), ConnectionStatus::NotConnected);

    let state = block_on(
        w.app
            .choose_organisation(w.practice, w.admin, organisation(2).tenant),
    )
    .unwrap();
    assert_eq!(state.organisation(), Some(&organisation(2)));
    let err = block_on(
        w.app
            .choose_organisation(w.practice, w.admin, organisation(9).tenant),
    )
    .unwrap_err();
    assert_eq!(
        err,
        ConnectionUseCaseError::OrganisationNotGranted(organisation(9).tenant)
    );
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
