//! The connection to XPM as a state machine.
//!
//! ```text
//! NotConnected --Authorised--> Connected --AuthorisationExpired--> Expired
//!                                  |      --AccessRevoked-------> Revoked
//! Expired | Revoked | Disconnected | Connected --Authorised--> Connected (Reconnect: Connected Since refreshed)
//! Connected | Expired | Revoked --Disconnect (confirmed)--> Disconnected
//! ```
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

/// The XPM organisation (a Xero tenant of type PRACTICE) the practice is connected to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct XpmOrganisation {
    pub tenant: XpmTenantId,
    pub name: DisplayName,
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
}

/// The state's name, for errors and pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConnectionStatus {
    NotConnected,
    Connected,
    Expired,
    Revoked,
    Disconnected,
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
}

impl ConnectionEvent {
    fn name(&self) -> &'static str {
        match self {
            Self::Authorised { .. } => "Authorised",
            Self::AuthorisationExpired { .. } => "AuthorisationExpired",
            Self::AccessRevoked { .. } => "AccessRevoked",
            Self::Disconnect { .. } => "Disconnect",
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
        }
    }

    /// The organisation this state is, or last was, about.
    pub fn organisation(&self) -> Option<&XpmOrganisation> {
        match self {
            Self::NotConnected => None,
            Self::Connected { organisation, .. }
            | Self::Expired { organisation, .. }
            | Self::Revoked { organisation, .. } => Some(organisation),
            Self::Disconnected {
                last_organisation, ..
            } => Some(last_organisation),
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
            Self::NotConnected | Self::Disconnected { .. } => None,
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
            (Self::NotConnected, ConnectionEvent::Authorised { organisation, at }) => (
                Self::Connected {
                    organisation: organisation.clone(),
                    connected_since: at,
                },
                ActivityKind::Connected { organisation },
            ),
            (_, ConnectionEvent::Authorised { organisation, at }) => {
                let previous = self.organisation().cloned();
                let changed_organisation = previous
                    .as_ref()
                    .is_some_and(|p| p.tenant != organisation.tenant);
                (
                    Self::Connected {
                        organisation: organisation.clone(),
                        connected_since: at,
                    },
                    ActivityKind::Reconnected {
                        organisation,
                        previous,
                        changed_organisation,
                    },
                )
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
