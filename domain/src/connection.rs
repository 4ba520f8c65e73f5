//! The connection to XPM as a state machine.
//!
//! ```text
//! NotConnected --Authorised--> Connected --AuthorisationExpired--> Expired
//!                                  |      --AccessRevoked-------> Revoked
//! Expired | Revoked | Disconnected | Connected --Authorised--> Connected (Reconnect: Connected Since refreshed)
//! any state --SeveralGranted--> Choosing --Authorised (one of them)--> Connected
//! Connected | Expired | Revoked | Choosing --Disconnect (confirmed)--> Disconnected
//! Connected | Expired | Revoked | Disconnected --Named--> the same state, the organisation renamed
//! ```
//!
//! `Authorised` carries the one organisation the latest Xero login granted
//! (or the one the person then chose): the connection always follows the
//! latest consent, so a Reconnect that granted another organisation
//! switches to it and a Sync can no longer write into the previous one.
//!
//! Transitions are pure: they take the state and an event and return the new
//! state with the activity they cause, or a typed error. They never see the
//! integration settings, so they cannot change them; and they never start a
//! sync, so nothing syncs by itself after a (re)connect.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::activity::ActivityKind;
use crate::ids::XpmTenantId;
use crate::text::{DisplayName, TextError};

/// The XPM organisation (a Xero tenant of type PRACTICEMANAGER) the practice is connected to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct XpmOrganisation {
    pub tenant: XpmTenantId,
    /// Xero's name for it, or the one a person gave it, or the
    /// [placeholder](Self::unnamed) while it has neither.
    pub name: DisplayName,
}

impl XpmOrganisation {
    /// An organisation Xero gave no name for (Xero documents `tenantName`
    /// null for XPM tenants): named after its id until a person names it.
    pub fn unnamed(tenant: XpmTenantId) -> Self {
        Self {
            tenant,
            name: placeholder_name(tenant),
        }
    }

    /// Whether it still bears the placeholder name: a person should name it.
    pub fn is_unnamed(&self) -> bool {
        self.name == placeholder_name(self.tenant)
    }
}

fn placeholder_name(tenant: XpmTenantId) -> DisplayName {
    let short: String = tenant
        .as_uuid()
        .simple()
        .to_string()
        .chars()
        .take(8)
        .collect();
    // Always valid: short, one line, no control characters.
    DisplayName::new(format!("Unnamed {short}"))
        .unwrap_or_else(|_| unreachable!("a placeholder name is a valid name"))
}

/// Why the connection stopped working, as Xero reported it: shown to people
/// beside the Reconnect button. Never holds a token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConnectionProblem(String);

impl ConnectionProblem {
    pub fn new(reason: impl Into<String>) -> Self {
        let reason: String = reason.into();
        let reason = reason.trim();
        Self(if reason.is_empty() {
            "Xero gave no reason".to_owned()
        } else {
            reason.chars().take(500).collect()
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectionState {
    NotConnected,
    Connected {
        organisation: XpmOrganisation,
        connected_since: OffsetDateTime,
    },
    /// The authorisation expired (refresh token used up or too old).
    Expired {
        organisation: XpmOrganisation,
        connected_since: OffsetDateTime,
        problem: ConnectionProblem,
    },
    /// Access was revoked in Xero (the app was disconnected there).
    Revoked {
        organisation: XpmOrganisation,
        connected_since: OffsetDateTime,
        problem: ConnectionProblem,
    },
    Disconnected {
        last_organisation: XpmOrganisation,
        disconnected_at: OffsetDateTime,
    },
    /// The latest Xero login granted several XPM organisations: nothing
    /// syncs until an administrator chooses one of `granted`.
    Choosing {
        granted: Vec<XpmOrganisation>,
        /// The organisation the connection was (or was last) about before.
        previous: Option<XpmOrganisation>,
    },
}

/// The state's name, for errors and pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConnectionStatus {
    NotConnected,
    Connected,
    Expired,
    Revoked,
    Disconnected,
    Choosing,
}

impl ConnectionStatus {
    /// The words a person sees.
    pub const fn label(self) -> &'static str {
        match self {
            Self::NotConnected => "Not connected",
            Self::Connected => "Connected",
            Self::Expired => "Expired",
            Self::Revoked => "Revoked",
            Self::Disconnected => "Disconnected",
            Self::Choosing => "Choosing organisation",
        }
    }
}

/// Proof that a person confirmed the Disconnect (FAQ 2: "Confirm the action").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisconnectConfirmation(());

impl DisconnectConfirmation {
    /// Only an explicit `true` from the person makes a confirmation.
    pub fn from_answer(confirmed: bool) -> Result<Self, ConnectionError> {
        if confirmed {
            Ok(Self(()))
        } else {
            Err(ConnectionError::DisconnectNotConfirmed)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionEvent {
    /// An XPM administrator completed Xero's login and granted this organisation.
    Authorised {
        organisation: XpmOrganisation,
        at: OffsetDateTime,
    },
    AuthorisationExpired {
        problem: ConnectionProblem,
    },
    AccessRevoked {
        problem: ConnectionProblem,
    },
    Disconnect {
        confirmation: DisconnectConfirmation,
        at: OffsetDateTime,
    },
    /// The latest Xero login granted these organisations (two or more).
    SeveralGranted {
        granted: Vec<XpmOrganisation>,
    },
    /// An administrator names the organisation (Xero may give no name).
    Named {
        name: DisplayName,
    },
}

impl ConnectionEvent {
    fn name(&self) -> &'static str {
        match self {
            Self::Authorised { .. } => "Authorised",
            Self::AuthorisationExpired { .. } => "AuthorisationExpired",
            Self::AccessRevoked { .. } => "AccessRevoked",
            Self::Disconnect { .. } => "Disconnect",
            Self::SeveralGranted { .. } => "SeveralGranted",
            Self::Named { .. } => "Named",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionError {
    #[error("cannot apply {event} when the connection is {}", from.label())]
    IllegalTransition {
        from: ConnectionStatus,
        event: &'static str,
    },
    #[error("Disconnect must be confirmed")]
    DisconnectNotConfirmed,
    #[error("sync is not available: the connection is {}{}", status.label(), hint(*status))]
    NotConnected { status: ConnectionStatus },
    #[error(transparent)]
    InvalidOrganisationName(#[from] TextError),
}

fn hint(status: ConnectionStatus) -> &'static str {
    match status {
        ConnectionStatus::Connected => "",
        ConnectionStatus::Expired | ConnectionStatus::Revoked => {
            "; an administrator must Reconnect"
        }
        ConnectionStatus::NotConnected | ConnectionStatus::Disconnected => {
            "; an administrator must Connect to Xero Practice Manager"
        }
        ConnectionStatus::Choosing => {
            "; an administrator must choose the XPM organisation the latest Xero login granted"
        }
    }
}

/// The result of a legal transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub state: ConnectionState,
    pub activity: Vec<ActivityKind>,
}

/// The XPM organisation a sync may push to. Only a `Connected` state hands
/// one out, so a sync cannot even be planned unless connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncTarget {
    organisation: XpmOrganisation,
}

impl SyncTarget {
    pub fn organisation(&self) -> &XpmOrganisation {
        &self.organisation
    }

    pub fn tenant(&self) -> XpmTenantId {
        self.organisation.tenant
    }
}

impl ConnectionState {
    pub fn status(&self) -> ConnectionStatus {
        match self {
            Self::NotConnected => ConnectionStatus::NotConnected,
            Self::Connected { .. } => ConnectionStatus::Connected,
            Self::Expired { .. } => ConnectionStatus::Expired,
            Self::Revoked { .. } => ConnectionStatus::Revoked,
            Self::Disconnected { .. } => ConnectionStatus::Disconnected,
            Self::Choosing { .. } => ConnectionStatus::Choosing,
        }
    }

    /// The organisation this state is, or last was, about (while choosing:
    /// the one before the login, if any).
    pub fn organisation(&self) -> Option<&XpmOrganisation> {
        match self {
            Self::NotConnected => None,
            Self::Connected { organisation, .. }
            | Self::Expired { organisation, .. }
            | Self::Revoked { organisation, .. } => Some(organisation),
            Self::Disconnected {
                last_organisation, ..
            } => Some(last_organisation),
            Self::Choosing { previous, .. } => previous.as_ref(),
        }
    }

    /// The organisations to choose from, while choosing.
    pub fn choices(&self) -> &[XpmOrganisation] {
        match self {
            Self::Choosing { granted, .. } => granted,
            _ => &[],
        }
    }

    pub fn connected_since(&self) -> Option<OffsetDateTime> {
        match self {
            Self::Connected {
                connected_since, ..
            }
            | Self::Expired {
                connected_since, ..
            }
            | Self::Revoked {
                connected_since, ..
            } => Some(*connected_since),
            Self::NotConnected | Self::Disconnected { .. } | Self::Choosing { .. } => None,
        }
    }

    pub fn problem(&self) -> Option<&ConnectionProblem> {
        match self {
            Self::Expired { problem, .. } | Self::Revoked { problem, .. } => Some(problem),
            _ => None,
        }
    }

    /// Sync is allowed exactly when connected.
    pub fn sync_target(&self) -> Result<SyncTarget, ConnectionError> {
        match self {
            Self::Connected { organisation, .. } => Ok(SyncTarget {
                organisation: organisation.clone(),
            }),
            other => Err(ConnectionError::NotConnected {
                status: other.status(),
            }),
        }
    }

    /// Applies one event.
    pub fn apply(&self, event: ConnectionEvent) -> Result<Transition, ConnectionError> {
        let illegal = || ConnectionError::IllegalTransition {
            from: self.status(),
            event: event.name(),
        };
        let (state, activity) = match (self, event.clone()) {
            (_, ConnectionEvent::Authorised { organisation, at }) => {
                let connected = Self::Connected {
                    organisation: organisation.clone(),
                    connected_since: at,
                };
                // NotConnected, or choosing after a first login: a first connect.
                let Some(previous) = self.organisation().cloned() else {
                    return Ok(Transition {
                        state: connected,
                        activity: vec![ActivityKind::Connected { organisation }],
                    });
                };
                let changed_organisation = previous.tenant != organisation.tenant;
                (
                    connected,
                    ActivityKind::Reconnected {
                        organisation,
                        previous: Some(previous),
                        changed_organisation,
                    },
                )
            }
            (_, ConnectionEvent::SeveralGranted { granted }) => {
                if granted.len() < 2 {
                    return Err(illegal());
                }
                let state = Self::Choosing {
                    granted,
                    previous: self.organisation().cloned(),
                };
                // Nothing happened yet that the log must keep: the choice is.
                return Ok(Transition {
                    state,
                    activity: Vec::new(),
                });
            }
            (
                Self::Connected { organisation, .. }
                | Self::Expired { organisation, .. }
                | Self::Revoked { organisation, .. }
                | Self::Disconnected {
                    last_organisation: organisation,
                    ..
                },
                ConnectionEvent::Named { name },
            ) => {
                let renamed = XpmOrganisation {
                    tenant: organisation.tenant,
                    name: name.clone(),
                };
                let state = match self.clone() {
                    Self::Connected {
                        connected_since, ..
                    } => Self::Connected {
                        organisation: renamed.clone(),
                        connected_since,
                    },
                    Self::Expired {
                        connected_since,
                        problem,
                        ..
                    } => Self::Expired {
                        organisation: renamed.clone(),
                        connected_since,
                        problem,
                    },
                    Self::Revoked {
                        connected_since,
                        problem,
                        ..
                    } => Self::Revoked {
                        organisation: renamed.clone(),
                        connected_since,
                        problem,
                    },
                    Self::Disconnected {
                        disconnected_at, ..
                    } => Self::Disconnected {
                        last_organisation: renamed.clone(),
                        disconnected_at,
                    },
                    Self::NotConnected | Self::Choosing { .. } => return Err(illegal()),
                };
                (
                    state,
                    ActivityKind::OrganisationNamed {
                        organisation: renamed,
                        previous_name: organisation.name.clone(),
                    },
                )
            }
            (
                Self::Choosing {
                    previous: Some(previous),
                    ..
                },
                ConnectionEvent::Disconnect { at, .. },
            ) => (
                Self::Disconnected {
                    last_organisation: previous.clone(),
                    disconnected_at: at,
                },
                ActivityKind::Disconnected {
                    organisation: previous.clone(),
                },
            ),
            // A first login that granted several, abandoned: nothing was connected.
            (Self::Choosing { previous: None, .. }, ConnectionEvent::Disconnect { .. }) => {
                return Ok(Transition {
                    state: Self::NotConnected,
                    activity: Vec::new(),
                });
            }
            (
                Self::Connected {
                    organisation,
                    connected_since,
                },
                ConnectionEvent::AuthorisationExpired { problem },
            ) => (
                Self::Expired {
                    organisation: organisation.clone(),
                    connected_since: *connected_since,
                    problem: problem.clone(),
                },
                ActivityKind::AuthorisationExpired { problem },
            ),
            (
                Self::Connected {
                    organisation,
                    connected_since,
                }
                | Self::Expired {
                    organisation,
                    connected_since,
                    ..
                },
                ConnectionEvent::AccessRevoked { problem },
            ) => (
                Self::Revoked {
                    organisation: organisation.clone(),
                    connected_since: *connected_since,
                    problem: problem.clone(),
                },
                ActivityKind::AccessRevoked { problem },
            ),
            (
                Self::Connected { organisation, .. }
                | Self::Expired { organisation, .. }
                | Self::Revoked { organisation, .. },
                ConnectionEvent::Disconnect { at, .. },
            ) => (
                Self::Disconnected {
                    last_organisation: organisation.clone(),
                    disconnected_at: at,
                },
                ActivityKind::Disconnected {
                    organisation: organisation.clone(),
                },
            ),
            _ => return Err(illegal()),
        };
        Ok(Transition {
            state,
            activity: vec![activity],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use uuid::Uuid;

    fn org(n: u128) -> XpmOrganisation {
        XpmOrganisation {
            tenant: XpmTenantId::from_uuid(Uuid::from_u128(n)),
            name: DisplayName::new(format!("Org {n}")).unwrap(),
        }
    }

    fn authorised(n: u128, at: OffsetDateTime) -> ConnectionEvent {
        ConnectionEvent::Authorised {
            organisation: org(n),
            at,
        }
    }

    fn disconnect(at: OffsetDateTime) -> ConnectionEvent {
        ConnectionEvent::Disconnect {
            confirmation: DisconnectConfirmation::from_answer(true).unwrap(),
            at,
        }
    }

    const T0: OffsetDateTime = datetime!(2026-01-01 09:00 UTC);
    const T1: OffsetDateTime = datetime!(2026-02-01 09:00 UTC);

    #[test]
    fn connect_sets_connected_since() {
        let t = ConnectionState::NotConnected
            .apply(authorised(1, T0))
            .unwrap();
        assert_eq!(t.state.status(), ConnectionStatus::Connected);
        assert_eq!(t.state.connected_since(), Some(T0));
        assert_eq!(
            t.activity,
            vec![ActivityKind::Connected {
                organisation: org(1)
            }]
        );
    }

    #[test]
    fn reconnect_after_expiry_refreshes_connected_since() {
        let connected = ConnectionState::NotConnected
            .apply(authorised(1, T0))
            .unwrap()
            .state;
        let expired = connected
            .apply(ConnectionEvent::AuthorisationExpired {
                problem: ConnectionProblem::new("invalid_grant"),
            })
            .unwrap()
            .state;
        assert_eq!(expired.connected_since(), Some(T0));
        let again = expired.apply(authorised(1, T1)).unwrap();
        assert_eq!(again.state.connected_since(), Some(T1));
        assert!(matches!(
            again.activity[..],
            [ActivityKind::Reconnected {
                changed_organisation: false,
                ..
            }]
        ));
    }

    #[test]
    fn reconnect_to_another_organisation_is_flagged() {
        let connected = ConnectionState::NotConnected
            .apply(authorised(1, T0))
            .unwrap()
            .state;
        let revoked = connected
            .apply(ConnectionEvent::AccessRevoked {
                problem: ConnectionProblem::new("connection removed in Xero"),
            })
            .unwrap()
            .state;
        let moved = revoked.apply(authorised(2, T1)).unwrap();
        assert!(matches!(
            &moved.activity[..],
            [ActivityKind::Reconnected { changed_organisation: true, previous: Some(p), .. }] if *p == org(1)
        ));
    }

    #[test]
    fn disconnect_is_legal_from_connected_expired_and_revoked_only() {
        let connected = ConnectionState::NotConnected
            .apply(authorised(1, T0))
            .unwrap()
            .state;
        let disconnected = connected.apply(disconnect(T1)).unwrap().state;
        assert_eq!(disconnected.status(), ConnectionStatus::Disconnected);
        for state in [ConnectionState::NotConnected, disconnected] {
            assert!(matches!(
                state.apply(disconnect(T1)),
                Err(ConnectionError::IllegalTransition {
                    event: "Disconnect",
                    ..
                })
            ));
        }
    }

    #[test]
    fn a_disconnect_needs_an_explicit_confirmation() {
        assert_eq!(
            DisconnectConfirmation::from_answer(false),
            Err(ConnectionError::DisconnectNotConfirmed)
        );
    }

    #[test]
    fn expiry_and_revocation_are_illegal_when_not_connected() {
        let problem = || ConnectionProblem::new("x");
        let disconnected = ConnectionState::Disconnected {
            last_organisation: org(1),
            disconnected_at: T0,
        };
        for state in [ConnectionState::NotConnected, disconnected] {
            assert!(
                state
                    .apply(ConnectionEvent::AuthorisationExpired { problem: problem() })
                    .is_err()
            );
            assert!(
                state
                    .apply(ConnectionEvent::AccessRevoked { problem: problem() })
                    .is_err()
            );
        }
    }

    #[test]
    fn sync_target_exists_only_when_connected() {
        assert!(matches!(
            ConnectionState::NotConnected.sync_target(),
            Err(ConnectionError::NotConnected {
                status: ConnectionStatus::NotConnected
            })
        ));
        let connected = ConnectionState::NotConnected
            .apply(authorised(1, T0))
            .unwrap()
            .state;
        assert_eq!(connected.sync_target().unwrap().organisation(), &org(1));
    }

    #[test]
    fn several_granted_waits_for_a_choice_with_no_sync_target() {
        let connected = ConnectionState::NotConnected
            .apply(authorised(1, T0))
            .unwrap()
            .state;
        let choosing = connected
            .apply(ConnectionEvent::SeveralGranted {
                granted: vec![org(2), org(3)],
            })
            .unwrap();
        assert!(choosing.activity.is_empty());
        assert_eq!(choosing.state.status(), ConnectionStatus::Choosing);
        assert_eq!(choosing.state.organisation(), Some(&org(1)));
        assert_eq!(choosing.state.choices(), [org(2), org(3)]);
        assert!(matches!(
            choosing.state.sync_target(),
            Err(ConnectionError::NotConnected {
                status: ConnectionStatus::Choosing
            })
        ));
        let chosen = choosing.state.apply(authorised(3, T1)).unwrap();
        assert_eq!(chosen.state.sync_target().unwrap().organisation(), &org(3));
        assert!(matches!(
            &chosen.activity[..],
            [ActivityKind::Reconnected { changed_organisation: true, previous: Some(p), .. }] if *p == org(1)
        ));
        // One organisation is not a choice.
        assert!(
            connected
                .apply(ConnectionEvent::SeveralGranted {
                    granted: vec![org(2)]
                })
                .is_err()
        );
    }

    #[test]
    fn a_first_login_granting_several_connects_once_chosen() {
        let choosing = ConnectionState::NotConnected
            .apply(ConnectionEvent::SeveralGranted {
                granted: vec![org(1), org(2)],
            })
            .unwrap()
            .state;
        assert_eq!(choosing.organisation(), None);
        let chosen = choosing.apply(authorised(2, T0)).unwrap();
        assert_eq!(
            chosen.activity,
            vec![ActivityKind::Connected {
                organisation: org(2)
            }]
        );
    }

    #[test]
    fn naming_changes_only_the_name() {
        let named = |state: &ConnectionState| {
            state.apply(ConnectionEvent::Named {
                name: DisplayName::new("Demo Practice").unwrap(),
            })
        };
        let connected = ConnectionState::NotConnected
            .apply(authorised(1, T0))
            .unwrap()
            .state;
        let renamed = named(&connected).unwrap();
        assert_eq!(renamed.state.connected_since(), Some(T0));
        assert_eq!(renamed.state.status(), ConnectionStatus::Connected);
        let o = renamed.state.organisation().unwrap();
        assert_eq!(
            (o.tenant, o.name.as_str()),
            (org(1).tenant, "Demo Practice")
        );
        assert_eq!(
            renamed.activity,
            vec![ActivityKind::OrganisationNamed {
                organisation: o.clone(),
                previous_name: org(1).name,
            }]
        );
        let disconnected = connected.apply(disconnect(T1)).unwrap().state;
        assert_eq!(
            named(&disconnected).unwrap().state.status(),
            ConnectionStatus::Disconnected
        );
        let choosing = connected
            .apply(ConnectionEvent::SeveralGranted {
                granted: vec![org(2), org(3)],
            })
            .unwrap()
            .state;
        for state in [ConnectionState::NotConnected, choosing] {
            assert!(named(&state).is_err());
        }
    }

    #[test]
    fn an_unnamed_organisation_is_named_after_its_id_until_a_person_names_it() {
        let tenant = XpmTenantId::from_uuid(
            Uuid::parse_str("3f2a1b7c-5d4e-4f60-9a8b-1c2d3e4f5a60").unwrap(),
        );
        let unnamed = XpmOrganisation::unnamed(tenant);
        assert_eq!(unnamed.name.as_str(), "Unnamed 3f2a1b7c");
        assert!(unnamed.is_unnamed());
        assert!(!org(1).is_unnamed());
    }

    #[test]
    fn the_refusal_tells_what_to_do() {
        let err = ConnectionError::NotConnected {
            status: ConnectionStatus::Revoked,
        };
        assert_eq!(
            err.to_string(),
            "sync is not available: the connection is Revoked; an administrator must Reconnect"
        );
    }
}
