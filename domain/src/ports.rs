//! The ports: what the domain needs from the outside world, shaped by the
//! use cases. Adapters implement them; the domain's tests use in-memory fakes.
//!
//! By design, the XPM gateway has no delete or archive operation (FAQ 6),
//! and no port takes data read from XPM and writes it into PM Hub's records
//! (FAQ 4): reads from XPM only feed the planner and the preview.

use std::future::Future;

use secrecy::SecretString;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::activity::{ActivityEntry, ActivityKind};
use crate::association::{Association, AssociationType};
use crate::client::Client;
use crate::connection::{ConnectionProblem, ConnectionState};
use crate::custom_field::XpmCustomFieldDefinition;
use crate::ids::{
    ActivityEntryId, AssociationId, AssociationTypeId, ClientId, PracticeId, UserId, XpmClientUuid,
    XpmCustomFieldUuid, XpmRelationshipUuid, XpmTenantId,
};
use crate::practice::{Practice, User};
use crate::relationship_type::{TermsCarried, XpmRelationshipType};
use crate::settings::IntegrationSettings;
use crate::sync::{
    ClientPayload, LookAlike, OwnedField, PendingOperation, RelationshipTerms, SyncRecord,
    XpmRelationshipSeen,
};
use crate::text::PmHubId;
use crate::text::{DisplayName, EmailAddress};

/// The time now. Production reads the system clock; tests pin it.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

/// Fresh ids. Production draws random v4 UUIDs; tests count.
pub trait IdGenerator: Send + Sync + 'static {
    fn next_uuid(&self) -> Uuid;
}

// ---------------------------------------------------------------- XPM

/// Which practice's connection a call uses, and which XPM organisation it targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XpmAccess {
    pub practice: PracticeId,
    pub tenant: XpmTenantId,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XpmError {
    /// The authorisation expired (refresh answered invalid_grant, or the
    /// token could not be renewed): the connection must be marked Expired.
    #[error("the XPM authorisation expired: {0}")]
    AuthorisationExpired(String),
    /// Access was revoked in Xero: the connection must be marked Revoked.
    #[error("access to XPM was revoked: {0}")]
    AccessRevoked(String),
    /// XPM refused the request (an ERROR answer); the message is XPM's.
    #[error("XPM refused the request: {0}")]
    Rejected(String),
    #[error("XPM does not know {0}")]
    NotFound(String),
    /// Still over XPM's rate limit after waiting as told.
    #[error("XPM's rate limit was reached; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// XPM's daily allowance of calls for this organisation is spent (its
    /// Xero tier gives 1,000 or 5,000 a day); it comes back when the day's
    /// window ends.
    #[error(
        "XPM's daily allowance of calls for this organisation is used up; it resets in {}",
        in_words(*resets_in_secs)
    )]
    DailyAllowanceUsed { resets_in_secs: u64 },
    /// XPM could not be reached or kept failing after retries; nothing was written.
    #[error("XPM is unavailable: {0}")]
    Unavailable(String),
    /// A write may or may not have happened, and XPM could not be asked.
    #[error("XPM did not confirm the write, and checking it failed: {0}")]
    Ambiguous(String),
    #[error("XPM answered something unexpected: {0}")]
    UnexpectedAnswer(String),
}

/// "3 h 20 min", "45 s": a wait as a person reads it.
pub fn in_words(secs: u64) -> String {
    match (secs / 3600, secs % 3600 / 60) {
        (0, 0) => format!("{secs} s"),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// What XPM last said is left of an organisation's daily allowance
/// (`X-DayLimit-Remaining` on every answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XpmAllowance {
    pub day_remaining: u32,
    /// When it is spent: seconds until the day's window ends, as XPM said.
    pub resets_in_secs: Option<u64>,
}

impl XpmError {
    /// Whether the connection itself is broken, so no further call can succeed.
    pub fn connection_problem(&self) -> Option<ConnectionProblemKind> {
        match self {
            Self::AuthorisationExpired(reason) => Some(ConnectionProblemKind::Expired(
                ConnectionProblem::new(reason.clone()),
            )),
            Self::AccessRevoked(reason) => Some(ConnectionProblemKind::Revoked(
                ConnectionProblem::new(reason.clone()),
            )),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionProblemKind {
    Expired(ConnectionProblem),
    Revoked(ConnectionProblem),
}

/// One relationship write of a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelationshipWrite {
    Add {
        related_xpm_client: XpmClientUuid,
        xpm_type: XpmRelationshipType,
        terms: RelationshipTerms,
    },
    Update {
        xpm_relationship: XpmRelationshipUuid,
        /// Which terms the relationship's type carries (XPM cannot change a
        /// type): those are sent, empty where PM Hub holds none, to clear them.
        carries: TermsCarried,
        terms: RelationshipTerms,
    },
}

/// An XPM client as XPM answers a get: shown in the preview beside PM
/// Hub's values, never written back into PM Hub. Field values are XPM's
/// text, by XPM's field name (tax numbers arrive masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XpmClientView {
    pub xpm_client: XpmClientUuid,
    pub fields: Vec<(String, String)>,
    pub relationships: Vec<XpmRelationshipSeen>,
    /// XPM shows the client as archived (IsArchived Yes).
    pub archived: bool,
    /// The client's page in XPM, when XPM gave a usable address.
    pub web_url: Option<crate::text::XpmWebUrl>,
}

/// Pushes to XPM, and the few reads a push needs. No delete, no archive.
pub trait XpmGateway: Send + Sync + 'static {
    /// Creates a client with the values `payload` holds for the `owned`
    /// fields (empty ones are left out). MUST NOT create a second client
    /// when a first attempt's answer is lost: it looks for a client of the
    /// sent name outside `known` (the XPM clients that already existed,
    /// from the sync's own search) before trying again, and returns
    /// [`XpmError::Ambiguous`] if it cannot tell.
    fn create_client(
        &self,
        access: XpmAccess,
        payload: &ClientPayload,
        owned: &[OwnedField],
        known: &[XpmClientUuid],
    ) -> impl Future<Output = Result<XpmClientUuid, XpmError>> + Send;

    /// Writes exactly `fields` of `payload` on the client: a field with no
    /// value in PM Hub is sent empty, which clears it in XPM. Other fields
    /// are not sent, so XPM keeps them.
    fn update_client(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
        payload: &ClientPayload,
        fields: &[OwnedField],
    ) -> impl Future<Output = Result<(), XpmError>> + Send;

    /// Writes relationships on `xpm_client`, possibly concurrently within
    /// XPM's limits. Answers one result per write, in order.
    fn write_relationships(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
        writes: Vec<RelationshipWrite>,
    ) -> impl Future<Output = Vec<Result<XpmRelationshipUuid, XpmError>>> + Send;

    /// Reads one client, with its relationships: the first call of a sync.
    /// A client XPM no longer knows (deleted or merged) is [`XpmError::NotFound`].
    fn get_client(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
    ) -> impl Future<Output = Result<XpmClientView, XpmError>> + Send;

    /// Finds XPM clients matching `query` (a name, email, number or code:
    /// look-alikes on a first sync, recovery after an interrupted create),
    /// each with the fields a look-alike is judged on.
    fn search_clients(
        &self,
        access: XpmAccess,
        query: &str,
    ) -> impl Future<Output = Result<Vec<LookAlike>, XpmError>> + Send;

    /// The clients XPM says were modified at or after `since` (one list
    /// call, `modifiedsince`), each as a look-alike: the candidates for the
    /// client an interrupted create made, when it may have been renamed in
    /// XPM since.
    fn clients_modified_since(
        &self,
        access: XpmAccess,
        since: OffsetDateTime,
    ) -> impl Future<Output = Result<Vec<LookAlike>, XpmError>> + Send;

    /// The organisation's custom field definitions (one call). Reads only.
    fn custom_field_definitions(
        &self,
        access: XpmAccess,
    ) -> impl Future<Output = Result<Vec<XpmCustomFieldDefinition>, XpmError>> + Send;

    /// The text one client's custom field holds (one call); `None` when it
    /// holds nothing. A client XPM no longer knows is [`XpmError::NotFound`].
    fn read_client_custom_field(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
        field: XpmCustomFieldUuid,
    ) -> impl Future<Output = Result<Option<String>, XpmError>> + Send;

    /// Writes `value` into one Text custom field of a client (one call;
    /// the client's other fields and custom fields keep their values).
    /// MUST answer `Ok` only when XPM confirmed it; when the answer is
    /// lost it looks the field up before answering [`XpmError::Ambiguous`].
    fn write_client_custom_field(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
        field: XpmCustomFieldUuid,
        value: &str,
    ) -> impl Future<Output = Result<(), XpmError>> + Send;

    /// What XPM said is left of today's allowance for this organisation,
    /// from its last answer to this process; `None` before any answer.
    fn allowance(&self, access: XpmAccess) -> Option<XpmAllowance>;

    /// Asks Xero whether the connection still works (renewing the access
    /// token if it is due) and the organisation is still granted.
    fn check_connection(
        &self,
        access: XpmAccess,
    ) -> impl Future<Output = Result<(), XpmError>> + Send;
}

/// Access and refresh tokens. Secrets: never logged, never in an error.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
    pub access_expires_at: OffsetDateTime,
}

/// A started Xero login: the URL to send the person to, and what must be
/// kept to check the callback (the state) and finish it (the PKCE verifier).
#[derive(Debug, Clone)]
pub struct AuthorisationStart {
    pub url: String,
    pub state: String,
    pub pkce_verifier: SecretString,
}

/// An XPM organisation a Xero login granted, as Xero listed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantedOrganisation {
    pub tenant: XpmTenantId,
    /// Xero's `tenantName`; `None` when Xero gives none (Xero documents
    /// null for XPM tenants): the name must then come from elsewhere.
    pub name: Option<DisplayName>,
}

/// What the code exchange yields: tokens and the XPM organisations this
/// login's consent granted. Xero also keeps the user's earlier connections;
/// they are not here, since the person did not grant them this time.
#[derive(Debug, Clone)]
pub struct Grant {
    pub tokens: TokenSet,
    pub organisations: Vec<GrantedOrganisation>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorisationError {
    /// Xero's login came back with an error (access_denied, no admin rights...).
    #[error("Xero did not grant access: {0}")]
    Refused(String),
    /// The refresh token is used up, expired or revoked (invalid_grant).
    #[error("the authorisation expired: {0}")]
    Expired(String),
    #[error(
        "no XPM organisation was granted; log in as an XPM administrator and tick an organisation"
    )]
    NoOrganisationGranted,
    #[error("Xero identity is unavailable: {0}")]
    Unavailable(String),
    #[error("Xero identity answered something unexpected: {0}")]
    UnexpectedAnswer(String),
}

/// Xero's OAuth 2.0: login, code exchange, refresh, revocation.
pub trait XpmAuthorization: Send + Sync + 'static {
    fn start(&self) -> Result<AuthorisationStart, AuthorisationError>;

    /// Exchanges the callback's code, then lists the XPM organisations this
    /// login's consent granted (not those Xero kept from earlier logins).
    fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: &SecretString,
    ) -> impl Future<Output = Result<Grant, AuthorisationError>> + Send;

    /// Trades a refresh token for a new pair (the old refresh token then stops working).
    fn refresh(
        &self,
        refresh_token: &SecretString,
    ) -> impl Future<Output = Result<TokenSet, AuthorisationError>> + Send;

    /// Revokes the refresh token (which removes the app's connections in Xero).
    fn revoke(
        &self,
        refresh_token: &SecretString,
    ) -> impl Future<Output = Result<(), AuthorisationError>> + Send;
}

// ---------------------------------------------------------------- stores

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("{0} was not found")]
    NotFound(String),
    #[error("conflicting change: {0}")]
    Conflict(String),
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
}

pub trait PracticeStore: Send + Sync + 'static {
    fn practice(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<Option<Practice>, StoreError>> + Send;
    fn user(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;
    fn save_practice(
        &self,
        practice: &Practice,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn save_user(&self, user: &User) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// PM Hub's own clients and associations. Only PM Hub's own edits write here.
/// How people prove who they are: password hashes for page logins, and
/// hashes of API tokens. Hashes only: a password or token is never stored.
pub trait AccountStore: Send + Sync + 'static {
    /// The user who logs in with this email (unique across practices), with their password hash.
    fn login(
        &self,
        email: &EmailAddress,
    ) -> impl Future<Output = Result<Option<(User, String)>, StoreError>> + Send;
    /// Sets a user's login email and password hash. MUST answer
    /// [`StoreError::Conflict`] when another user already logs in with that email.
    fn save_login(
        &self,
        user: &User,
        password_hash: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The user an API token (by its hash) acts as.
    fn api_token_user(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;
    fn save_api_token(
        &self,
        user: &User,
        token_hash: &str,
        label: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

pub trait ClientStore: Send + Sync + 'static {
    fn client(
        &self,
        practice: PracticeId,
        client: ClientId,
    ) -> impl Future<Output = Result<Option<Client>, StoreError>> + Send;
    fn clients(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<Vec<Client>, StoreError>> + Send;
    fn save_client(&self, client: &Client) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The client PM Hub knows by `pmhub_id` in `practice`.
    fn client_by_pmhub_id(
        &self,
        practice: PracticeId,
        pmhub_id: &PmHubId,
    ) -> impl Future<Output = Result<Option<Client>, StoreError>> + Send;
    /// Saves a new client and the PM Hub id it is known by, both or
    /// neither; `Conflict` when the practice already has a client by that id.
    fn create_client_for_pmhub_id(
        &self,
        client: &Client,
        pmhub_id: &PmHubId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The associations from `client` to other clients.
    fn associations_of(
        &self,
        practice: PracticeId,
        client: ClientId,
    ) -> impl Future<Output = Result<Vec<Association>, StoreError>> + Send;
    fn save_association(
        &self,
        association: &Association,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The association PM Hub knows by `pmhub_id` in `practice`.
    fn association_by_pmhub_id(
        &self,
        practice: PracticeId,
        pmhub_id: &PmHubId,
    ) -> impl Future<Output = Result<Option<Association>, StoreError>> + Send;
    /// Saves a new association and its PM Hub id, both or neither;
    /// `Conflict` when the practice already has one by that id.
    fn create_association_for_pmhub_id(
        &self,
        association: &Association,
        pmhub_id: &PmHubId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Removes an association from PM Hub; XPM keeps what it has.
    fn remove_association(
        &self,
        practice: PracticeId,
        association: AssociationId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

pub trait SettingsStore: Send + Sync + 'static {
    /// The practice's settings; defaults when none were saved.
    fn settings(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<IntegrationSettings, StoreError>> + Send;
    fn save_settings(
        &self,
        practice: PracticeId,
        settings: &IntegrationSettings,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn association_types(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<Vec<AssociationType>, StoreError>> + Send;
    fn association_type(
        &self,
        practice: PracticeId,
        id: AssociationTypeId,
    ) -> impl Future<Output = Result<Option<AssociationType>, StoreError>> + Send;
    fn save_association_type(
        &self,
        association_type: &AssociationType,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The association type PM Hub knows by `pmhub_id` in `practice`.
    fn association_type_by_pmhub_id(
        &self,
        practice: PracticeId,
        pmhub_id: &PmHubId,
    ) -> impl Future<Output = Result<Option<AssociationType>, StoreError>> + Send;
    /// Saves a new association type and its PM Hub id, both or neither;
    /// `Conflict` when the practice already has one by that id.
    fn create_association_type_for_pmhub_id(
        &self,
        association_type: &AssociationType,
        pmhub_id: &PmHubId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// A Xero login in progress, kept between Connect and the callback.
#[derive(Debug, Clone)]
pub struct PendingAuthorisation {
    pub state: String,
    pub pkce_verifier: SecretString,
    pub started_by: UserId,
    pub started_at: OffsetDateTime,
}

pub trait ConnectionStore: Send + Sync + 'static {
    /// Held while one renewal of a practice's tokens runs; dropping it lets the next in.
    type RenewalGuard: Send;

    /// Waits until no other renewal of this practice's tokens runs, across
    /// every process sharing the store. Xero rotates the refresh token on
    /// each renewal and revokes a successor when its predecessor is spent
    /// again, so two processes renewing at once can leave the store holding
    /// a dead refresh token: read, renew and save must run under this guard.
    fn lock_token_renewal(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<Self::RenewalGuard, StoreError>> + Send;

    /// The connection state; `NotConnected` when the practice never connected.
    fn connection(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<ConnectionState, StoreError>> + Send;
    fn save_connection(
        &self,
        practice: PracticeId,
        state: &ConnectionState,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn tokens(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<Option<TokenSet>, StoreError>> + Send;
    /// Stores a token pair. A rotated refresh token MUST be saved before the
    /// new access token is used, so a crash never loses the connection.
    fn save_tokens(
        &self,
        practice: PracticeId,
        tokens: &TokenSet,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn clear_tokens(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn save_pending_authorisation(
        &self,
        practice: PracticeId,
        pending: &PendingAuthorisation,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Removes and returns the pending login whose state matches; `None` if none does.
    fn take_pending_authorisation(
        &self,
        practice: PracticeId,
        state: &str,
    ) -> impl Future<Output = Result<Option<PendingAuthorisation>, StoreError>> + Send;
}

pub trait SyncRecordStore: Send + Sync + 'static {
    /// Held while one sync of a client runs; dropping it lets the next in.
    type SyncGuard: Send;

    /// Waits until no other sync of this client runs, across every process
    /// sharing the store. Answers the guard, and whether it had to wait.
    fn lock_client_sync(
        &self,
        practice: PracticeId,
        client: ClientId,
    ) -> impl Future<Output = Result<(Self::SyncGuard, bool), StoreError>> + Send;

    fn record(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
    ) -> impl Future<Output = Result<Option<SyncRecord>, StoreError>> + Send;
    fn save_record(
        &self,
        record: &SyncRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Notes a write about to be sent to XPM, before it is sent.
    fn begin_operation(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
        operation: &PendingOperation,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Clears every pending note of this client and organisation: their results are recorded.
    fn finish_operations(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn pending_operations(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
    ) -> impl Future<Output = Result<Vec<PendingOperation>, StoreError>> + Send;
    /// Forgets one client's link to one XPM organisation (a person's
    /// Unlink): its record and pending notes. XPM is not touched.
    fn forget_record(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Every record of `practice` for the XPM organisation `tenant`, in one
    /// read (a list of all the practice's clients needs them all).
    fn records_in(
        &self,
        practice: PracticeId,
        tenant: XpmTenantId,
    ) -> impl Future<Output = Result<Vec<SyncRecord>, StoreError>> + Send;
}

/// Which entries to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityFilter {
    pub client: Option<ClientId>,
    /// Entry kinds by [`ActivityKind::code`]; empty means all.
    pub kinds: Vec<&'static str>,
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

impl ActivityFilter {
    pub fn matches(&self, entry: &ActivityEntry) -> bool {
        self.client.is_none_or(|c| entry.client == Some(c))
            && (self.kinds.is_empty() || self.kinds.contains(&entry.kind.code()))
            && self.from.is_none_or(|from| entry.at >= from)
            && self.until.is_none_or(|until| entry.at < until)
    }
}

/// Keyset paging, newest first: `after` is the last entry of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityPage {
    pub after: Option<ActivityEntryId>,
    pub limit: u32,
}

/// Append and read only: no entry is ever changed or removed.
pub trait ActivityLog: Send + Sync + 'static {
    fn append(
        &self,
        entries: &[ActivityEntry],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn read(
        &self,
        practice: PracticeId,
        filter: &ActivityFilter,
        page: ActivityPage,
    ) -> impl Future<Output = Result<Vec<ActivityEntry>, StoreError>> + Send;
    /// The newest entry of each of `practice`'s clients that has one, in one
    /// read (entries about no client, such as connection events, are left out).
    fn newest_per_client(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<Vec<ActivityEntry>, StoreError>> + Send;
}

/// Shorthand for code that builds entries.
pub(crate) fn entry(
    ids: &impl IdGenerator,
    practice: PracticeId,
    at: OffsetDateTime,
    actor: crate::activity::Actor,
    client: Option<ClientId>,
    kind: ActivityKind,
) -> ActivityEntry {
    ActivityEntry {
        id: ActivityEntryId::from_uuid(ids.next_uuid()),
        practice,
        at,
        actor,
        client,
        kind,
    }
}
