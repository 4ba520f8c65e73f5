//! An XPM admin clicking through Xero's login and consent pages on the sim,
//! as a browser would: plain HTTP forms, no redirects followed.

use std::collections::HashMap;

use uuid::Uuid;
use xpm_sim::seed::demo;

/// What Xero sent back to the app's redirect URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    pub query: HashMap<String, String>,
}

/// Logs in as the sim's demo admin at `authorize_url` (the URL the app's
/// Connect answered), grants `tenants`, and answers the redirect's query.
pub async fn grant(sim_base: &str, authorize_url: &str, tenants: &[Uuid]) -> Callback {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let page = browser
        .get(authorize_url)
        .send()
        .await
        .expect("the login page")
        .text()
        .await
        .expect("the login page's body");
    let session = hidden(&page, "session");
    let consent = browser
        .post(format!("{sim_base}/identity/connect/authorize/login"))
        .form(&[("session", session.as_str()), ("user", demo::ADMIN_USER_ID)])
        .send()
        .await
        .expect("the consent page")
        .text()
        .await
        .expect("the consent page's body");
    let session = hidden(&consent, "session");
    let mut form = vec![
        ("session".to_owned(), session),
        ("action".to_owned(), "allow".to_owned()),
    ];
    for tenant in tenants {
        form.push((format!("tenant_{tenant}"), "on".to_owned()));
    }
    let back = browser
        .post(format!("{sim_base}/identity/connect/authorize/consent"))
        .form(&form)
        .send()
        .await
        .expect("the consent answer");
    let location = back
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_else(|| panic!("consent did not redirect: {}", back.status()))
        .to_owned();
    let url = url::Url::parse(&location).expect("the redirect URL");
    Callback {
        query: url.query_pairs().into_owned().collect(),
    }
}

/// The value of a page's hidden field `name`.
pub fn hidden_field(page: &str, name: &str) -> String {
    hidden(page, name)
}

fn hidden(page: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page
        .find(&marker)
        .map(|i| i + marker.len())
        .unwrap_or_else(|| panic!("no hidden field {name} in the page:\n{page}"));
    page[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}
