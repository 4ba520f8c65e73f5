//! A typed client for the JSON control API, for driving a sim that runs in
//! another process (the `xpm-sim` binary). In-process tests can use
//! [`crate::SimHandle`] directly; both offer the same operations.

use crate::faults::{FaultRule, FaultSpec};
use crate::handle::{ConnectRequest, ConnectionView, OrgState, OrgSummary};
use crate::journal::{JournalEntry, JournalFilter};
use crate::limits::LimitsConfig;
use crate::seed::{Seed, SeedReport};
use crate::state::{Client, CustomFieldDef};
use crate::tokens::TokenSet;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// A control call that failed.
#[derive(Debug, thiserror::Error)]
pub enum ControlClientError {
    #[error("control API unreachable: {0}")]
    Http(#[from] reqwest::Error),
    /// The sim answered `{"error", "message"}`.
    #[error("control API refused ({status}): {error}: {message}")]
    Refused {
        status: u16,
        error: String,
        message: String,
    },
}

type R<T> = Result<T, ControlClientError>;

/// Talks to `{base}/_sim`.
#[derive(Debug, Clone)]
pub struct ControlClient {
    base: String,
    http: reqwest::Client,
}

impl ControlClient {
    /// `base` is the sim's base URL, e.g. `http://127.0.0.1:4010`.
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            base: base.into().trim_end_matches('/').to_string(),
            http: reqwest::Client::new(),
        }
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> R<T> {
        let resp = req.send().await?;
        let status = resp.status();
        let body: Value = resp.json().await?;
        if !status.is_success() {
            return Err(ControlClientError::Refused {
                status: status.as_u16(),
                error: body["error"].as_str().unwrap_or("").to_string(),
                message: body["message"].as_str().unwrap_or("").to_string(),
            });
        }
        serde_json::from_value(body).map_err(|e| ControlClientError::Refused {
            status: status.as_u16(),
            error: "unexpected_answer".into(),
            message: e.to_string(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/_sim{path}", self.base)
    }

    pub async fn reset(&self) -> R<()> {
        let _: Value = self.send(self.http.post(self.url("/reset"))).await?;
        Ok(())
    }

    pub async fn reset_to(&self, seed: &Seed) -> R<SeedReport> {
        self.send(self.http.post(self.url("/reset")).json(seed))
            .await
    }

    pub async fn seed(&self, seed: &Seed) -> R<SeedReport> {
        self.send(self.http.post(self.url("/seed")).json(seed))
            .await
    }

    pub async fn orgs(&self) -> R<Vec<OrgSummary>> {
        self.send(self.http.get(self.url("/orgs"))).await
    }

    pub async fn org_state(&self, tenant: Uuid) -> R<OrgState> {
        self.send(self.http.get(self.url(&format!("/orgs/{tenant}"))))
            .await
    }

    pub async fn client(&self, tenant: Uuid, uuid: Uuid) -> R<Client> {
        self.send(
            self.http
                .get(self.url(&format!("/orgs/{tenant}/clients/{uuid}"))),
        )
        .await
    }

    /// A person edits a client in XPM (`{"Email": "..."}`).
    pub async fn edit_client(&self, tenant: Uuid, uuid: Uuid, fields: &Value) -> R<Client> {
        self.send(
            self.http
                .patch(self.url(&format!("/orgs/{tenant}/clients/{uuid}")))
                .json(fields),
        )
        .await
    }

    pub async fn custom_fields(&self, tenant: Uuid) -> R<Vec<CustomFieldDef>> {
        self.send(
            self.http
                .get(self.url(&format!("/orgs/{tenant}/custom-fields"))),
        )
        .await
    }

    /// An XPM administrator adds a custom field (`{"Name", "Type", ...}`).
    pub async fn add_custom_field(&self, tenant: Uuid, definition: &Value) -> R<CustomFieldDef> {
        self.send(
            self.http
                .post(self.url(&format!("/orgs/{tenant}/custom-fields")))
                .json(definition),
        )
        .await
    }

    /// A client's custom field values, by field name, as stored.
    pub async fn client_custom_fields(
        &self,
        tenant: Uuid,
        uuid: Uuid,
    ) -> R<BTreeMap<String, String>> {
        self.send(
            self.http
                .get(self.url(&format!("/orgs/{tenant}/clients/{uuid}/custom-fields"))),
        )
        .await
    }

    /// A person fills in custom fields of a client in XPM (`{"PM Hub ID": "..."}`).
    pub async fn set_client_custom_fields(
        &self,
        tenant: Uuid,
        uuid: Uuid,
        values: &Value,
    ) -> R<BTreeMap<String, String>> {
        self.send(
            self.http
                .patch(self.url(&format!("/orgs/{tenant}/clients/{uuid}/custom-fields")))
                .json(values),
        )
        .await
    }

    /// A person merges client `merged` into client `into` in XPM.
    pub async fn merge_client(&self, tenant: Uuid, merged: Uuid, into: Uuid) -> R<()> {
        let _: Value = self
            .send(self.http.post(self.url(&format!(
                "/orgs/{tenant}/clients/{merged}/merge-into/{into}"
            ))))
            .await?;
        Ok(())
    }

    pub async fn journal(&self, filter: &JournalFilter) -> R<Vec<JournalEntry>> {
        let mut q: Vec<(&str, String)> = Vec::new();
        let time = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
        if let Some(t) = filter.since {
            q.push(("since", time(t)));
        }
        if let Some(t) = filter.until {
            q.push(("until", time(t)));
        }
        for (k, v) in [
            ("method", &filter.method),
            ("path", &filter.path),
            ("tenant", &filter.tenant),
            ("request_contains", &filter.request_contains),
            ("response_contains", &filter.response_contains),
        ] {
            if let Some(v) = v {
                q.push((k, v.clone()));
            }
        }
        if let Some(s) = filter.status {
            q.push(("status", s.to_string()));
        }
        if let Some(l) = filter.limit {
            q.push(("limit", l.to_string()));
        }
        self.send(self.http.get(self.url("/journal")).query(&q))
            .await
    }

    pub async fn clear_journal(&self) -> R<()> {
        let _: Value = self.send(self.http.delete(self.url("/journal"))).await?;
        Ok(())
    }

    /// Adds a fault rule; returns its id.
    pub async fn add_fault(&self, spec: &FaultSpec) -> R<u64> {
        let v: Value = self
            .send(self.http.post(self.url("/faults")).json(spec))
            .await?;
        Ok(v["id"].as_u64().unwrap_or(0))
    }

    pub async fn faults(&self) -> R<Vec<FaultRule>> {
        self.send(self.http.get(self.url("/faults"))).await
    }

    pub async fn remove_fault(&self, id: u64) -> R<()> {
        let _: Value = self
            .send(self.http.delete(self.url(&format!("/faults/{id}"))))
            .await?;
        Ok(())
    }

    pub async fn clear_faults(&self) -> R<()> {
        let _: Value = self.send(self.http.delete(self.url("/faults"))).await?;
        Ok(())
    }

    /// Every access token expires now; returns how many.
    pub async fn expire_all_tokens(&self) -> R<u64> {
        let v: Value = self
            .send(self.http.post(self.url("/tokens/expire")))
            .await?;
        Ok(v["expired"].as_u64().unwrap_or(0))
    }

    pub async fn connections(&self) -> R<Vec<ConnectionView>> {
        self.send(self.http.get(self.url("/connections"))).await
    }

    /// An XPM admin removes the app's access; returns how many connections went.
    pub async fn revoke_connection(&self, tenant: Uuid, client_id: Option<&str>) -> R<u64> {
        let v: Value = self
            .send(
                self.http
                    .post(self.url("/connections/revoke"))
                    .json(&json!({ "tenant_id": tenant, "client_id": client_id })),
            )
            .await?;
        Ok(v["revoked"].as_u64().unwrap_or(0))
    }

    pub async fn connect(&self, req: &ConnectRequest) -> R<TokenSet> {
        self.send(self.http.post(self.url("/connect")).json(req))
            .await
    }

    pub async fn advance_clock(&self, seconds: i64) -> R<()> {
        let _: Value = self
            .send(
                self.http
                    .post(self.url("/clock/advance"))
                    .json(&json!({ "seconds": seconds })),
            )
            .await?;
        Ok(())
    }

    pub async fn limits(&self) -> R<LimitsConfig> {
        self.send(self.http.get(self.url("/limits"))).await
    }

    pub async fn set_limits(&self, limits: &LimitsConfig) -> R<LimitsConfig> {
        self.send(self.http.put(self.url("/limits")).json(limits))
            .await
    }
}
