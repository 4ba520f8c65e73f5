//! A typed client for the JSON control API, for driving a sim that runs in
//! another process (the `xpm-sim` binary). It sends the same operations as
//! [`crate::SimHandle`] runs in process (`ops.rs`; the methods are generated
//! in `surface.rs`): each operation's route and shapes are written once.

use super::op::ControlOp;
use super::ops::Reset;
use super::views::ResetAnswer;
use crate::seed::{Seed, SeedReport};
use serde_json::Value;

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

/// Talks to `{base}/_sim`.
#[derive(Debug, Clone)]
pub struct ControlClient {
    base: String,
    http: reqwest::Client,
}

/// A JSON scalar as it goes into a path or a query.
fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn unexpected(status: u16, message: String) -> ControlClientError {
    ControlClientError::Refused {
        status,
        error: "unexpected_answer".into(),
        message,
    }
}

impl ControlClient {
    /// `base` is the sim's base URL, e.g. `http://127.0.0.1:4010`.
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            base: base.into().trim_end_matches('/').to_string(),
            http: reqwest::Client::new(),
        }
    }

    /// Sends one operation: its parameters fill the route's `{names}` (the
    /// rest go in the query), its body goes as JSON unless there is none.
    pub(crate) async fn call<O: ControlOp>(
        &self,
        params: O::Params,
        body: O::Body,
    ) -> Result<O::Answer, ControlClientError> {
        let params = serde_json::to_value(params).map_err(|e| unexpected(0, e.to_string()))?;
        let mut path = O::PATH.to_string();
        let mut query = Vec::new();
        for (name, value) in params.as_object().into_iter().flatten() {
            let hole = format!("{{{name}}}");
            if path.contains(&hole) {
                path = path.replace(&hole, &as_text(value));
            } else if !value.is_null() {
                query.push((name.clone(), as_text(value)));
            }
        }
        let mut req = self
            .http
            .request(O::METHOD, format!("{}{path}", self.base))
            .query(&query);
        let body = serde_json::to_value(body).map_err(|e| unexpected(0, e.to_string()))?;
        if !body.is_null() {
            req = req.json(&body);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let answer: Value = resp.json().await?;
        if !(200..300).contains(&status) {
            return Err(ControlClientError::Refused {
                status,
                error: answer["error"].as_str().unwrap_or("").to_string(),
                message: answer["message"].as_str().unwrap_or("").to_string(),
            });
        }
        serde_json::from_value(answer).map_err(|e| unexpected(status, e.to_string()))
    }

    /// Back to the sim's configured seed.
    pub async fn reset(&self) -> Result<(), ControlClientError> {
        self.call::<Reset>(Default::default(), None)
            .await
            .map(|_| ())
    }

    /// Back to a given seed.
    pub async fn reset_to(&self, seed: &Seed) -> Result<SeedReport, ControlClientError> {
        match self
            .call::<Reset>(Default::default(), Some(seed.clone()))
            .await?
        {
            ResetAnswer::Seeded(report) => Ok(report),
            ResetAnswer::Reset { .. } => Err(unexpected(200, "no seed report".into())),
        }
    }
}
