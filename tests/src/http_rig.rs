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
use sql_store::TokenKey;
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
        // The rig seeds the store directly: the app itself has no store accessor.
        let store = &state.app.stores;
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

    /// A page session of the admin (logged in through `/login`), to use the
    /// pages as a browser would.
    pub async fn pages(&self) -> Pages<'_, S> {
        let password = "a long enough test password";
        let hash = pmhub_xpm::auth::password::hash(password).expect("a password hash");
        domain::ports::AccountStore::save_login(&self.state.app.stores, &self.admin, &hash)
            .await
            .expect("save the admin's login");
        let mut pages = Pages {
            rig: self,
            cookie: String::new(),
        };
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("email", self.admin.email.as_str())
            .append_pair("password", password)
            .finish();
        let answer = pages.send("POST", "/login", Some(form)).await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "log in: {}",
            answer.body
        );
        pages.cookie = answer
            .set_cookie
            .expect("a session cookie")
            .split(';')
            .next()
            .unwrap_or_default()
            .to_owned();
        pages
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

/// An answer to a page request.
#[derive(Debug)]
pub struct PageAnswer {
    pub status: StatusCode,
    pub location: Option<String>,
    set_cookie: Option<String>,
    pub body: String,
}

/// The admin's browser on the app's pages (cookies kept, redirects not followed).
#[derive(Debug)]
pub struct Pages<'a, S> {
    rig: &'a HttpRig<S>,
    cookie: String,
}

impl<S: AppStore> Pages<'_, S> {
    async fn send(&self, method: &str, path: &str, form: Option<String>) -> PageAnswer {
        let mut request = Request::builder().method(method).uri(path);
        if !self.cookie.is_empty() {
            request = request.header(header::COOKIE, &self.cookie);
        }
        if form.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        let request = request
            .body(Body::from(form.unwrap_or_default()))
            .expect("a request");
        let router: Router = pmhub_xpm::server::router(self.rig.state.clone());
        let answer = router.oneshot(request).await.expect("the router answers");
        let (status, location, set_cookie) = {
            let text = |name| {
                answer
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            (
                answer.status(),
                text(header::LOCATION),
                text(header::SET_COOKIE),
            )
        };
        let bytes = axum::body::to_bytes(answer.into_body(), 4 * 1024 * 1024)
            .await
            .expect("the body");
        PageAnswer {
            status,
            location,
            set_cookie,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> PageAnswer {
        self.send("GET", path, None).await
    }

    /// Posts a form, with the session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> PageAnswer {
        let page = self.get("/integrations/xpm").await;
        let csrf = crate::login::hidden_field(&page.body, "csrf");
        let form = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("csrf", &csrf);
            for (k, v) in fields {
                form.append_pair(k, v);
            }
            form.finish()
        };
        self.send("POST", path, Some(form)).await
    }

    /// Connect or Reconnect through the pages: the button, Xero's login and
    /// consent on the sim granting `tenants`, and the callback. Answers the
    /// callback's answer (a redirect to the integration page).
    pub async fn connect(&self, tenants: &[Uuid]) -> PageAnswer {
        let to_xero = self.post("/integrations/xpm/connect", &[]).await;
        let authorize = to_xero.location.expect("Connect sends the admin to Xero");
        let back = crate::login::grant(&self.rig.sim.base_url(), &authorize, tenants).await;
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(back.query.iter())
            .finish();
        self.get(&format!("{}?{query}", pmhub_xpm::config::CALLBACK_PATH))
            .await
    }
}
