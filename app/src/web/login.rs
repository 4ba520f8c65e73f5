use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::PrivateCookieJar;
use domain::text::EmailAddress;
use serde::Deserialize;

use crate::auth::{PageUser, Session, password};
use crate::state::{AppState, AppStore};
use crate::web::{Nav, forged, render};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Option<Nav>,
    error: Option<String>,
    next: String,
    email: String,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only a path on this site: never an open redirect.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/integrations/xpm".to_owned(),
    }
}

pub async fn form(Query(query): Query<NextQuery>) -> Response {
    render(&LoginPage {
        nav: None,
        error: None,
        next: safe_next(query.next.as_deref()),
        email: String::new(),
    })
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn submit<S: AppStore>(
    State(state): State<AppState<S>>,
    jar: PrivateCookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let refuse = |email: String| {
        let mut page = render(&LoginPage {
            nav: None,
            error: Some("That email and password do not match a PM Hub user.".into()),
            next: next.clone(),
            email,
        });
        *page.status_mut() = StatusCode::UNAUTHORIZED;
        page
    };
    let Ok(email) = EmailAddress::new(&form.email) else {
        password::verify_nothing(&form.password);
        return refuse(form.email);
    };
    let found = match state.accounts.login(&email).await {
        Ok(found) => found,
        Err(e) => return crate::web::store_error_page(None, e),
    };
    match found {
        Some((user, hash)) if password::verify(&form.password, &hash) => {
            tracing::info!(user = %user.id, practice = %user.practice, "logged in");
            let session = Session::start(&user, time::OffsetDateTime::now_utc());
            let jar = jar.add(session.into_cookie(state.secure_cookies));
            (jar, Redirect::to(&next)).into_response()
        }
        Some(_) => refuse(form.email),
        None => {
            password::verify_nothing(&form.password);
            refuse(form.email)
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(page: PageUser, jar: PrivateCookieJar, Form(form): Form<CsrfForm>) -> Response {
    if !page.session.csrf_matches(&form.csrf) {
        return forged(&page);
    }
    (Session::end(jar), Redirect::to("/login")).into_response()
}
