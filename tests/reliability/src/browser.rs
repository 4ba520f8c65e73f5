//! A person at a browser: logs in to pmhub-xpm, reads CSRF fields, and
//! clicks through Xero's (the sim's) login and consent pages.

use reqwest::StatusCode;

/// The value of a hidden form field, e.g. `csrf` or the sim's `session`.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[derive(Debug, Clone)]
pub struct Browser {
    pub http: reqwest::Client,
    pub app: String,
}

impl Browser {
    pub fn new(app: &str) -> Self {
        Self {
            http: crate::http(),
            app: app.trim_end_matches('/').to_owned(),
        }
    }

    /// Logs in; answers the login response (303 on success).
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/login", self.app))
            .form(&[("email", email), ("password", password), ("next", "/")])
            .send()
            .await
            .expect("login request")
    }

    pub async fn logged_in(app: &str, email: &str, password: &str) -> Self {
        let b = Self::new(app);
        let r = b.login(email, password).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login of {email}");
        b
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.app))
            .send()
            .await
            .expect("GET")
    }

    /// The session's CSRF token, read from the integration page.
    pub async fn csrf(&self) -> String {
        let html = self
            .get("/integrations/xpm")
            .await
            .text()
            .await
            .expect("page");
        hidden(&html, "csrf").unwrap_or_else(|| panic!("no csrf field in {html}"))
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.app))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// Presses Connect; answers the sim's authorize URL it redirects to.
    pub async fn press_connect(&self) -> String {
        let csrf = self.csrf().await;
        let r = self
            .post_form("/integrations/xpm/connect", &[("csrf", &csrf)])
            .await;
        assert!(r.status().is_redirection(), "connect: {}", r.status());
        location(&r)
    }

    /// On the sim: logs in as `xero_user` (an id) and allows `tenant`.
    /// Answers the callback URL Xero redirects the browser to.
    pub async fn consent(
        &self,
        sim_base: &str,
        authorize_url: &str,
        xero_user: &str,
        tenant: &str,
    ) -> String {
        let page = self
            .http
            .get(authorize_url)
            .send()
            .await
            .expect("authorize");
        let html = page.text().await.expect("login page");
        let session = hidden(&html, "session").unwrap_or_else(|| panic!("no session in {html}"));
        let consent = self
            .http
            .post(format!("{sim_base}/identity/connect/authorize/login"))
            .form(&[("session", session.as_str()), ("user", xero_user)])
            .send()
            .await
            .expect("login on the sim");
        assert!(
            consent.status().is_success(),
            "sim login: {}",
            consent.status()
        );
        let tenant_field = format!("tenant_{tenant}");
        let r = self
            .http
            .post(format!("{sim_base}/identity/connect/authorize/consent"))
            .form(&[
                ("session", session.as_str()),
                ("action", "allow"),
                (tenant_field.as_str(), "on"),
            ])
            .send()
            .await
            .expect("consent");
        assert_eq!(r.status(), StatusCode::FOUND, "consent");
        location(&r)
    }

    /// Follows the callback URL (an absolute URL on the app) with this session.
    pub async fn callback(&self, url: &str) -> reqwest::Response {
        self.http.get(url).send().await.expect("callback")
    }

    /// Connect from start to end; answers the callback's response.
    pub async fn connect(
        &self,
        sim_base: &str,
        xero_user: &str,
        tenant: &str,
    ) -> reqwest::Response {
        let authorize = self.press_connect().await;
        let callback = self.consent(sim_base, &authorize, xero_user, tenant).await;
        self.callback(&callback).await
    }
}
