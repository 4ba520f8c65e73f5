//! One practice wired to one in-process xpm-sim: the domain's use cases
//! over the real XPM adapter and a real store, with the sim's clock.

use std::sync::Arc;
use std::time::Duration;

use domain::connection::ConnectionState;
use domain::ids::{PracticeId, UserId, XpmTenantId};
use domain::ports::{Clock, IdGenerator, XpmAuthorization, XpmGateway};
use domain::practice::{Practice, Role, User};
use domain::text::{DisplayName, EmailAddress};
use domain::usecases::{
    AuthorisationCallback, AuthorisationOutcome, ConnectionUseCaseError, Integration, Stores,
};
use secrecy::SecretString;
use uuid::Uuid;
use xpm_adapter::{Resilience, XeroAuthorization, XeroEndpoints, XpmClient, XpmConfig};
use xpm_sim::seed::demo;
use xpm_sim::{LimitsConfig, RunningSim, Sim, SimConfig, SimHandle};

use crate::login;
use crate::sim_time::{CountingIds, SimClock};

/// The use cases over the real adapters, the sim's clock and counting ids.
pub type RigApp<S> = Integration<S, XpmClient<S>, XeroAuthorization, SimClock, CountingIds>;

/// The sim's first organisation ("Demo Practice").
pub fn first_org() -> Uuid {
    demo::TENANT_ID.parse().expect("the demo tenant id")
}

/// The sim's second organisation ("Second Practice").
pub fn second_org() -> Uuid {
    demo::SECOND_TENANT_ID
        .parse()
        .expect("the second tenant id")
}

/// Short timeouts and backoffs, no pacing: faults are played by the sim, and
/// a test never waits long for one.
pub fn quick_resilience() -> Resilience {
    Resilience {
        request_timeout: Duration::from_secs(3),
        connect_timeout: Duration::from_secs(1),
        read_attempts: 3,
        connect_attempts: 2,
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(1),
        default_retry_after: Duration::from_millis(5),
        rate_limit_retries: 2,
        calls_per_minute: 600_000,
        max_in_flight: 5,
        refresh_margin: Duration::from_secs(120),
        max_answer_bytes: 1024 * 1024,
    }
}

pub fn sim_config() -> SimConfig {
    SimConfig {
        // The clock is frozen: XPM's rolling-minute limits would never
        // reset. 429s are played by fault rules instead.
        limits: LimitsConfig {
            enabled: false,
            ..LimitsConfig::default()
        },
        ..SimConfig::default()
    }
}

pub fn xero_config(sim_base: &str) -> XpmConfig {
    let mut config = XpmConfig::with_endpoints(
        XeroEndpoints::under(sim_base),
        demo::CLIENT_ID,
        SecretString::from(demo::CLIENT_SECRET),
        demo::REDIRECT_URI,
    );
    config.resilience = quick_resilience();
    config
}

/// A practice with one admin, its store, the app and the sim.
#[derive(Debug)]
pub struct Rig<S> {
    pub sim: RunningSim,
    pub app: RigApp<S>,
    pub practice: PracticeId,
    pub admin: User,
}

impl<S> Rig<S> {
    /// The sim's control handle: its state, journal, faults and clock.
    pub fn ctl(&self) -> &SimHandle {
        self.sim.control()
    }

    pub fn store(&self) -> &S {
        &self.app.stores
    }
}

impl<S: Stores + Clone> Rig<S> {
    /// Starts a sim and makes a new practice in `store`; `prefix` keeps its
    /// ids apart from other practices' in the same database.
    pub async fn start(store: S, prefix: u64) -> Self {
        Self::start_with(store, prefix, quick_resilience()).await
    }

    /// As [`Rig::start`], with the adapter's resilience settings (one call
    /// in flight makes the order of relationship writes, and so the sim's
    /// ids, the same on every run).
    pub async fn start_with(store: S, prefix: u64, resilience: Resilience) -> Self {
        let sim = Sim::start(sim_config()).await.expect("start xpm-sim");
        let clock = SimClock(sim.control().clone());
        let mut config = xero_config(&sim.base_url());
        config.resilience = resilience;
        let gateway = XpmClient::with_clock(&config, store.clone(), Arc::new(clock.clone()))
            .expect("the XPM adapter");
        let authorization = XeroAuthorization::with_clock(&config, Arc::new(clock.clone()))
            .expect("the Xero authorisation adapter");
        let ids = CountingIds::new(prefix);
        let practice = PracticeId::from_uuid(Uuid::from_u128((u128::from(prefix) << 64) | 0xffff));
        let admin = User {
            id: UserId::from_uuid(Uuid::from_u128((u128::from(prefix) << 64) | 0xfffe)),
            practice,
            name: DisplayName::new("Ada Admin").expect("a name"),
            email: EmailAddress::new(format!("ada-{prefix}@pmhub.test")).expect("an email"),
            role: Role::Admin,
        };
        store
            .save_practice(&Practice {
                id: practice,
                name: DisplayName::new("Smith & Co Accountants").expect("a name"),
            })
            .await
            .expect("save the practice");
        store.save_user(&admin).await.expect("save the admin");
        let app = Integration::new(
            pmhub_xpm::relationship_types::shipped(),
            store,
            gateway,
            authorization,
            clock,
            ids,
        );
        Self {
            sim,
            app,
            practice,
            admin,
        }
    }

    /// Connect (or Reconnect) through Xero's real login pages: see [`connect_via_login`].
    pub async fn connect(
        &self,
        granted: &[Uuid],
        pick: Uuid,
    ) -> Result<ConnectionState, ConnectionUseCaseError> {
        connect_via_login(
            &self.app,
            &self.sim.base_url(),
            self.practice,
            self.admin.id,
            granted,
            pick,
        )
        .await
    }
}

/// Connect (or Reconnect) through Xero's real login pages on the sim: the
/// app's Connect answers the login URL, the sim's admin grants `granted`,
/// the callback goes to the app; if Xero lists several organisations and the
/// app asks, the admin picks `pick`.
pub async fn connect_via_login<S, G, A, C, I>(
    app: &Integration<S, G, A, C, I>,
    sim_base: &str,
    practice: PracticeId,
    admin: UserId,
    granted: &[Uuid],
    pick: Uuid,
) -> Result<ConnectionState, ConnectionUseCaseError>
where
    S: Stores,
    G: XpmGateway,
    A: XpmAuthorization,
    C: Clock,
    I: IdGenerator,
{
    let url = app.connect(practice, admin).await?;
    let q = login::grant(sim_base, &url, granted).await.query;
    let callback = match (q.get("code"), q.get("state")) {
        (Some(code), Some(state)) => AuthorisationCallback::Code {
            code: code.clone(),
            state: state.clone(),
        },
        _ => AuthorisationCallback::Error {
            error: q.get("error").cloned().unwrap_or_default(),
            description: q.get("error_description").cloned(),
            state: q.get("state").cloned().unwrap_or_default(),
        },
    };
    match app.complete_authorisation(practice, callback).await? {
        AuthorisationOutcome::Connected(state) => Ok(state),
        AuthorisationOutcome::ChooseOrganisation(_) => {
            app.choose_organisation(practice, admin, XpmTenantId::from_uuid(pick))
                .await
        }
    }
}
