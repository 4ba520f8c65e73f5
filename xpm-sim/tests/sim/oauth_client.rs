//! The sim works with a standard OAuth 2.0 client library (the `oauth2`
//! crate, as an app would use it): PKCE, Basic client auth, refresh.

use crate::common::http;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, RedirectUrl,
    RefreshToken, Scope, TokenResponse, TokenUrl,
};
use reqwest::StatusCode;
use std::collections::HashMap;
use xpm_sim::seed::demo;
use xpm_sim::{Sim, SimConfig};

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap() + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_string()
}

#[tokio::test]
async fn the_oauth2_crate_completes_the_code_flow_and_refreshes() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let client = BasicClient::new(ClientId::new(demo::CLIENT_ID.into()))
        .set_client_secret(ClientSecret::new(demo::CLIENT_SECRET.into()))
        .set_auth_uri(AuthUrl::new(sim.authorize_url()).unwrap())
        .set_token_uri(TokenUrl::new(sim.token_url()).unwrap())
        .set_redirect_uri(RedirectUrl::new(demo::REDIRECT_URI.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("offline_access".into()))
        .add_scope(Scope::new("practicemanager.client".into()))
        .set_pkce_challenge(challenge)
        .url();

    let browser = http();
    let html = browser
        .get(url.as_str())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let session = hidden(&html, "session");
    browser
        .post(format!(
            "{}/identity/connect/authorize/login",
            sim.base_url()
        ))
        .form(&[("session", session.as_str()), ("user", demo::ADMIN_USER_ID)])
        .send()
        .await
        .unwrap();
    let tenant_field = format!("tenant_{}", demo::TENANT_ID);
    let resp = browser
        .post(format!(
            "{}/identity/connect/authorize/consent",
            sim.base_url()
        ))
        .form(&[
            ("session", session.as_str()),
            ("action", "allow"),
            (tenant_field.as_str(), "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let q: HashMap<String, String> = crate::common::form_parse(location.split_once('?').unwrap().1);
    assert_eq!(q.get("state"), Some(csrf.secret()));

    let tokens = client
        .exchange_code(AuthorizationCode::new(q["code"].clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .unwrap();
    assert_eq!(tokens.expires_in().map(|d| d.as_secs()), Some(1800));
    let access = tokens.access_token().secret().clone();
    let list = http()
        .get(format!("{}/client.api/list", sim.xpm_base_url()))
        .bearer_auth(&access)
        .header("xero-tenant-id", demo::TENANT_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::OK);

    let rt = tokens.refresh_token().unwrap().secret().clone();
    let refreshed = client
        .exchange_refresh_token(&RefreshToken::new(rt.clone()))
        .request_async(&http())
        .await
        .unwrap();
    assert_ne!(refreshed.refresh_token().unwrap().secret(), &rt);
    sim.control()
        .revoke_connection(demo::TENANT_ID.parse().unwrap(), None);
    let err = client
        .exchange_refresh_token(refreshed.refresh_token().unwrap())
        .request_async(&http())
        .await;
    let msg = format!("{err:?}");
    assert!(
        msg.contains("invalid_grant") || msg.contains("InvalidGrant"),
        "{msg}"
    );
}
