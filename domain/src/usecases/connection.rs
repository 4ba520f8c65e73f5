//! Connect, Reconnect, the Xero callback, expiry and revocation, Disconnect.
//! None of these touches the integration settings or starts a sync (FAQ 1).

use crate::activity::{ActivityKind, Actor};
use crate::connection::{
    ConnectionError, ConnectionEvent, ConnectionProblem, ConnectionState, DisconnectConfirmation,
    XpmOrganisation,
};
use crate::ids::{PracticeId, UserId, XpmTenantId};
use crate::ports::{
    AuthorisationError, Clock, ConnectionProblemKind, IdGenerator, PendingAuthorisation,
    StoreError, XpmAccess, XpmAuthorization, XpmError, XpmGateway,
};
use crate::practice::PermissionError;
use crate::usecases::{Integration, Stores};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionUseCaseError {
    #[error(transparent)]
    Permission(#[from] PermissionError),
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    #[error(transparent)]
    Authorisation(#[from] AuthorisationError),
    /// The callback's state matches no login started here: a forged or replayed callback.
    #[error(
        "this Xero login was not started here or has already been used; start again with Connect"
    )]
    UnknownState,
    #[error("XPM organisation {0} was not granted in this login")]
    OrganisationNotGranted(XpmTenantId),
    #[error("there is no Xero login to finish; start again with Connect")]
    NoGrantToChooseFrom,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A connection's state after asking Xero about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedConnection {
    pub state: ConnectionState,
    /// Why Xero could not confirm `state` (unreachable, rate limited...):
    /// it is then the last state known, neither confirmed nor changed.
    pub unconfirmed: Option<XpmError>,
    /// What XPM last said is left of today's allowance of calls for the
    /// connected organisation (`None` until XPM has answered this process).
    pub allowance: Option<crate::ports::XpmAllowance>,
}

impl CheckedConnection {
    fn confirmed(state: ConnectionState) -> Self {
        Self {
            state,
            unconfirmed: None,
            allowance: None,
        }
    }
}

/// What Xero's login sent back to the redirect URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorisationCallback {
    Code {
        code: String,
        state: String,
    },
    Error {
        error: String,
        description: Option<String>,
        state: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorisationOutcome {
    Connected(ConnectionState),
    /// Several XPM organisations were granted: the person picks one.
    ChooseOrganisation(Vec<XpmOrganisation>),
}

impl<S, G, A, C, I> Integration<S, G, A, C, I>
where
    S: Stores,
    G: XpmGateway,
    A: XpmAuthorization,
    C: Clock,
    I: IdGenerator,
{
    /// Connect or Reconnect: starts Xero's login and answers the URL to send
    /// the admin to. Nothing else changes until the callback.
    pub async fn connect(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> Result<String, ConnectionUseCaseError> {
        let user = self
            .admin::<ConnectionUseCaseError>(practice, user, "connect to XPM")
            .await?;
        let start = self.authorization.start()?;
        let pending = PendingAuthorisation {
            state: start.state,
            pkce_verifier: start.pkce_verifier,
            started_by: user.id,
            started_at: self.now(),
        };
        self.stores
            .save_pending_authorisation(practice, &pending)
            .await?;
        Ok(start.url)
    }

    /// Finishes Xero's login. A refusal is logged and changes nothing stored.
    pub async fn complete_authorisation(
        &self,
        practice: PracticeId,
        callback: AuthorisationCallback,
    ) -> Result<AuthorisationOutcome, ConnectionUseCaseError> {
        let state = match &callback {
            AuthorisationCallback::Code { state, .. }
            | AuthorisationCallback::Error { state, .. } => state,
        };
        let pending = self
            .stores
            .take_pending_authorisation(practice, state)
            .await?
            .ok_or(ConnectionUseCaseError::UnknownState)?;
        let actor = Actor::User(pending.started_by);
        let grant = match callback {
            AuthorisationCallback::Error {
                error, description, ..
            } => {
                let reason = description.map_or(error.clone(), |d| format!("{error}: {d}"));
                return Err(self
                    .authorisation_failed(practice, actor, AuthorisationError::Refused(reason))
                    .await);
            }
            AuthorisationCallback::Code { code, .. } => match self
                .authorization
                .exchange_code(&code, &pending.pkce_verifier)
                .await
            {
                Ok(grant) => grant,
                Err(err) => return Err(self.authorisation_failed(practice, actor, err).await),
            },
        };
        let current = self.stores.connection(practice).await?;
        let organisation = match &grant.organisations[..] {
            [] => {
                return Err(self
                    .authorisation_failed(
                        practice,
                        actor,
                        AuthorisationError::NoOrganisationGranted,
                    )
                    .await);
            }
            [only] => only.clone(),
            several => match current
                .organisation()
                .and_then(|o| several.iter().find(|g| g.tenant == o.tenant))
            {
                Some(previous) => previous.clone(),
                None => {
                    self.stores.save_tokens(practice, &grant.tokens).await?;
                    return Ok(AuthorisationOutcome::ChooseOrganisation(
                        grant.organisations,
                    ));
                }
            },
        };
        self.stores.save_tokens(practice, &grant.tokens).await?;
        let state = self
            .authorise(practice, actor, &current, organisation)
            .await?;
        Ok(AuthorisationOutcome::Connected(state))
    }

    /// Finishes a login that granted several organisations, with the one the admin picked.
    pub async fn choose_organisation(
        &self,
        practice: PracticeId,
        user: UserId,
        tenant: XpmTenantId,
    ) -> Result<ConnectionState, ConnectionUseCaseError> {
        let user = self
            .admin::<ConnectionUseCaseError>(practice, user, "connect to XPM")
            .await?;
        let tokens = self
            .stores
            .tokens(practice)
            .await?
            .ok_or(ConnectionUseCaseError::NoGrantToChooseFrom)?;
        let granted = self.authorization.organisations(&tokens).await?;
        let organisation = granted
            .into_iter()
            .find(|o| o.tenant == tenant)
            .ok_or(ConnectionUseCaseError::OrganisationNotGranted(tenant))?;
        let current = self.stores.connection(practice).await?;
        self.authorise(practice, Actor::User(user.id), &current, organisation)
            .await
    }

    async fn authorise(
        &self,
        practice: PracticeId,
        actor: Actor,
        current: &ConnectionState,
        organisation: XpmOrganisation,
    ) -> Result<ConnectionState, ConnectionUseCaseError> {
        let transition = current.apply(ConnectionEvent::Authorised {
            organisation,
            at: self.now(),
        })?;
        self.commit(practice, actor, transition.state, transition.activity)
            .await
    }

    async fn authorisation_failed(
        &self,
        practice: PracticeId,
        actor: Actor,
        err: AuthorisationError,
    ) -> ConnectionUseCaseError {
        let kind = ActivityKind::AuthorisationFailed {
            problem: ConnectionProblem::new(err.to_string()),
        };
        match self
            .stores
            .append(&[self.entry(practice, actor, None, kind)])
            .await
        {
            Ok(()) => err.into(),
            Err(store) => store.into(),
        }
    }

    /// Records that Xero reported the authorisation expired or access revoked.
    /// Does nothing when the state already says so (or says more).
    pub async fn mark_connection_problem(
        &self,
        practice: PracticeId,
        problem: ConnectionProblemKind,
    ) -> Result<ConnectionState, ConnectionUseCaseError> {
        let current = self.stores.connection(practice).await?;
        let event = match problem {
            ConnectionProblemKind::Expired(problem) => {
                ConnectionEvent::AuthorisationExpired { problem }
            }
            ConnectionProblemKind::Revoked(problem) => ConnectionEvent::AccessRevoked { problem },
        };
        match current.apply(event) {
            Ok(transition) => {
                self.commit(practice, Actor::Xero, transition.state, transition.activity)
                    .await
            }
            Err(ConnectionError::IllegalTransition { .. }) => Ok(current),
            Err(other) => Err(other.into()),
        }
    }

    /// The true status: asks Xero when connected, and records expiry or
    /// revocation if Xero reports it. When Xero cannot be asked, the stored
    /// state is kept (an outage says nothing about the grant) and the answer
    /// says why it is unconfirmed.
    pub async fn check_connection(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> Result<CheckedConnection, ConnectionUseCaseError> {
        self.member::<ConnectionUseCaseError>(practice, user)
            .await?;
        let current = self.stores.connection(practice).await?;
        let Ok(target) = current.sync_target() else {
            return Ok(CheckedConnection::confirmed(current));
        };
        let access = XpmAccess {
            practice,
            tenant: target.tenant(),
        };
        let checked = match self.xpm.check_connection(access).await {
            Ok(()) => CheckedConnection::confirmed(current),
            Err(err) => match err.connection_problem() {
                Some(problem) => {
                    return self
                        .mark_connection_problem(practice, problem)
                        .await
                        .map(CheckedConnection::confirmed);
                }
                None => CheckedConnection {
                    state: current,
                    unconfirmed: Some(err),
                    allowance: None,
                },
            },
        };
        Ok(CheckedConnection {
            allowance: self.xpm.allowance(access),
            ..checked
        })
    }

    /// Disconnect (confirmed): sync stops, tokens are revoked at Xero and
    /// forgotten. Nothing in XPM is deleted or changed; the activity log stays.
    pub async fn disconnect(
        &self,
        practice: PracticeId,
        user: UserId,
        confirmation: DisconnectConfirmation,
    ) -> Result<ConnectionState, ConnectionUseCaseError> {
        let user = self
            .admin::<ConnectionUseCaseError>(practice, user, "disconnect from XPM")
            .await?;
        let current = self.stores.connection(practice).await?;
        let transition = current.apply(ConnectionEvent::Disconnect {
            confirmation,
            at: self.now(),
        })?;
        if let Some(tokens) = self.stores.tokens(practice).await? {
            // Best effort: a Xero outage must not keep a practice connected
            // against its will; the tokens are forgotten here either way.
            let _ = self.authorization.revoke(&tokens.refresh_token).await;
        }
        self.stores.clear_tokens(practice).await?;
        self.commit(
            practice,
            Actor::User(user.id),
            transition.state,
            transition.activity,
        )
        .await
    }

    async fn commit(
        &self,
        practice: PracticeId,
        actor: Actor,
        state: ConnectionState,
        activity: Vec<ActivityKind>,
    ) -> Result<ConnectionState, ConnectionUseCaseError> {
        self.stores.save_connection(practice, &state).await?;
        let entries: Vec<_> = activity
            .into_iter()
            .map(|kind| self.entry(practice, actor, None, kind))
            .collect();
        self.stores.append(&entries).await?;
        Ok(state)
    }
}
