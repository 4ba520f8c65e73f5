//! Connect, Reconnect, the Xero callback, expiry and revocation, Disconnect,
//! and naming the organisation. None of these touches the integration
//! settings or starts a sync (FAQ 1).
//!
//! The connection follows what the latest Xero login granted. Xero keeps a
//! user's earlier connections when they consent again, so the adapter lists
//! only that login's organisations: one is connected at once (a switch when
//! it is another organisation than before); several wait for a person's
//! choice, with nothing syncing meanwhile.

use crate::activity::{ActivityEntry, ActivityKind, Actor};
use crate::connection::{
    ConnectionError, ConnectionEvent, ConnectionProblem, ConnectionState, DisconnectConfirmation,
    XpmOrganisation,
};
use crate::ids::{PracticeId, UserId, XpmTenantId};
use crate::ports::{
    ActivityFilter, ActivityPage, AuthorisationError, Clock, ConnectionProblemKind,
    GrantedOrganisation, IdGenerator, PendingAuthorisation, StoreError, XpmAccess,
    XpmAuthorization, XpmError, XpmGateway,
};
use crate::practice::PermissionError;
use crate::text::DisplayName;
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
    #[error("XPM organisation {0} was not granted in the latest Xero login")]
    OrganisationNotGranted(XpmTenantId),
    #[error("there is no Xero login to finish; start again with Connect")]
    NoGrantToChooseFrom,
    #[error("there is no XPM organisation to name; Connect first")]
    NothingToName,
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
    /// Several XPM organisations were granted: the person picks one. The
    /// connection is [`ConnectionState::Choosing`] until then.
    ChooseOrganisation(Vec<XpmOrganisation>),
}

/// Connection entries that name organisations, read to find a name Xero no
/// longer gives (the activity log is kept forever, so names outlive switches).
const NAMING_KINDS: [&str; 4] = [
    "connected",
    "reconnected",
    "disconnected",
    "organisation_named",
];

/// How many of those entries are read for a name: connection events are rare.
const NAMING_ENTRIES_READ: u32 = 500;

/// The organisations an entry names.
fn organisations_in(entry: &ActivityEntry) -> Vec<&XpmOrganisation> {
    match &entry.kind {
        ActivityKind::Connected { organisation }
        | ActivityKind::Disconnected { organisation }
        | ActivityKind::OrganisationNamed { organisation, .. } => vec![organisation],
        ActivityKind::Reconnected {
            organisation,
            previous,
            ..
        } => std::iter::once(organisation).chain(previous).collect(),
        _ => Vec::new(),
    }
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
        let mut granted = Vec::with_capacity(grant.organisations.len());
        for organisation in grant.organisations {
            granted.push(self.named(practice, &current, organisation).await?);
        }
        granted.dedup_by_key(|o| o.tenant);
        // What this login granted decides, never what Xero kept from before:
        // one organisation is connected (switched to, if it is another one);
        // with several the person chooses, even if the previous one is among them.
        let organisation = match granted.len() {
            0 => {
                return Err(self
                    .authorisation_failed(
                        practice,
                        actor,
                        AuthorisationError::NoOrganisationGranted,
                    )
                    .await);
            }
            1 => granted.remove(0),
            _ => {
                let transition = current.apply(ConnectionEvent::SeveralGranted {
                    granted: granted.clone(),
                })?;
                self.stores.save_tokens(practice, &grant.tokens).await?;
                self.commit(practice, actor, transition.state, transition.activity)
                    .await?;
                return Ok(AuthorisationOutcome::ChooseOrganisation(granted));
            }
        };
        self.stores.save_tokens(practice, &grant.tokens).await?;
        let state = self
            .authorise(practice, actor, &current, organisation)
            .await?;
        Ok(AuthorisationOutcome::Connected(state))
    }

    /// Finishes a login that granted several organisations, with the one the
    /// admin picked among them.
    pub async fn choose_organisation(
        &self,
        practice: PracticeId,
        user: UserId,
        tenant: XpmTenantId,
    ) -> Result<ConnectionState, ConnectionUseCaseError> {
        let user = self
            .admin::<ConnectionUseCaseError>(practice, user, "connect to XPM")
            .await?;
        let current = self.stores.connection(practice).await?;
        let ConnectionState::Choosing { granted, .. } = &current else {
            return Err(ConnectionUseCaseError::NoGrantToChooseFrom);
        };
        // The choice is among what the latest login granted, as Xero listed
        // it then: an organisation Xero kept from an earlier login is refused.
        let organisation = granted
            .iter()
            .find(|o| o.tenant == tenant)
            .cloned()
            .ok_or(ConnectionUseCaseError::OrganisationNotGranted(tenant))?;
        if self.stores.tokens(practice).await?.is_none() {
            return Err(ConnectionUseCaseError::NoGrantToChooseFrom);
        }
        self.authorise(practice, Actor::User(user.id), &current, organisation)
            .await
    }

    /// Names the XPM organisation, as a person sees it in XPM: Xero may give
    /// no name (it documents none for XPM tenants). The name is kept across
    /// switches; a name Xero gives at a later login replaces it.
    pub async fn name_organisation(
        &self,
        practice: PracticeId,
        user: UserId,
        name: DisplayName,
    ) -> Result<ConnectionState, ConnectionUseCaseError> {
        let user = self
            .admin::<ConnectionUseCaseError>(practice, user, "name the XPM organisation")
            .await?;
        let current = self.stores.connection(practice).await?;
        let transition = match current.apply(ConnectionEvent::Named { name }) {
            Ok(transition) => transition,
            Err(ConnectionError::IllegalTransition { .. }) => {
                return Err(ConnectionUseCaseError::NothingToName);
            }
            Err(other) => return Err(other.into()),
        };
        self.commit(
            practice,
            Actor::User(user.id),
            transition.state,
            transition.activity,
        )
        .await
    }

    /// An organisation as a person should see it: Xero's name; else the
    /// name this practice last knew it by (a person's, or Xero's earlier);
    /// else a placeholder, for a person to replace.
    async fn named(
        &self,
        practice: PracticeId,
        current: &ConnectionState,
        granted: GrantedOrganisation,
    ) -> Result<XpmOrganisation, StoreError> {
        let tenant = granted.tenant;
        if let Some(name) = granted.name {
            return Ok(XpmOrganisation { tenant, name });
        }
        let known = |o: &&XpmOrganisation| o.tenant == tenant && !o.is_unnamed();
        if let Some(o) = current
            .organisation()
            .into_iter()
            .chain(current.choices())
            .find(known)
        {
            return Ok(o.clone());
        }
        let filter = ActivityFilter {
            kinds: NAMING_KINDS.to_vec(),
            ..ActivityFilter::default()
        };
        let page = ActivityPage {
            after: None,
            limit: NAMING_ENTRIES_READ,
        };
        let entries = self.stores.read(practice, &filter, page).await?;
        Ok(entries
            .iter()
            .find_map(|e| organisations_in(e).into_iter().find(known).cloned())
            .unwrap_or_else(|| XpmOrganisation::unnamed(tenant)))
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
