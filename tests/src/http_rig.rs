//! The real app (`pmhub_xpm::wiring::app_state` and its axum router) on a
//! store, against an in-process sim, with an API token for one admin:
//! requests go through the router in process, as the JSON API serves them.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::connection::ConnectionState;
use domain::ids::{PracticeId, UserId};
use domain::practice::{Practice, Role, User};
use domain::text::{DisplayName, EmailAddress};
use domain::usecases::ConnectionUseCaseError;
use pmhub_xpm::state::{AppState, AppStore};
use store_row_format::TokenKey;
use tower::ServiceExt;
use uuid::Uuid;
use xpm_sim::{RunningSim, Sim, SimHandle};

use crate::rig::{connect_via_login, sim_config, xero_config};

#[derive(Debug)]
pub struct HttpRig<S> {
    pub sim: RunningSim,
    pub state: AppState<S>,
    pub practice: PracticeId,
    pub admin: User,
    token: String,
}

impl<S: AppStore> HttpRig<S> {
    pub async fn start(store: S) -> Self {
        let sim = Sim::start(sim_config()).await.expect("start xpm-sim");
        let mut xero = xero_config(&sim.base_url());
        // One call at a time: relationship writes, and so the sim's ids, keep their order.
        xero.resilience.max_in_flight = 1;
        let state = pmhub_xpm::wiring::app_state(
            pmhub_xpm::relationship_types::shipped(),
            store,
            &xero,
            &TokenKey::generate(),
            false,
            None,
        )
        .expect("the app's wiring");
        let practice = PracticeId::from_uuid(Uuid::from_u128(0x5eed_0001));
        let admin = User {
            id: UserId::from_uuid(Uuid::from_u128(0x5eed_0002)),
            practice,
            name: DisplayName::new("Ada Admin").expect("a name"),
            email: EmailAddress::new("ada@pmhub.test").expect("an email"),
            role: Role::Admin,
        };
        let store = state.store();
        store
            .save_practice(&Practice {
                id: practice,
                name: DisplayName::new("Smith & Co Accountants").expect("a name"),
            })
            .await
            .expect("save the practice");
        store.save_user(&admin).await.expect("save the admin");
        let (token, hash) = pmhub_xpm::auth::api_token::generate();
        store
            .save_api_token(&admin, &hash, "rule-tests")
            .await
            .expect("save an API token");
        Self {
            sim,
            state,
            practice,
            admin,
            token,
        }
    }

    pub fn ctl(&self) -> &SimHandle {
        self.sim.control()
    }

    /// Connect through Xero's login pages on the sim, granting `granted`.
    pub async fn connect(
        &self,
        granted: &[Uuid],
    ) -> Result<ConnectionState, ConnectionUseCaseError> {
        let pick = granted.first().copied().unwrap_or_default();
        connect_via_login(
            &self.state.app,
            &self.sim.base_url(),
            self.practice,
            self.admin.id,
            granted,
            pick,
        )
        .await
    }

    /// One API request as the admin; answers the status and the body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> (StatusCode, Vec<u8>) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token));
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Body::from(body.unwrap_or_default().to_owned()))
            .expect("a request");
        let router: Router = pmhub_xpm::server::router(self.state.clone());
        let answer = router.oneshot(request).await.expect("the router answers");
        let status = answer.status();
        let bytes = axum::body::to_bytes(answer.into_body(), 4 * 1024 * 1024)
            .await
            .expect("the body");
        (status, bytes.to_vec())
    }
}
