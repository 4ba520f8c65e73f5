//! What a control operation is: one type per operation, naming its HTTP
//! route, the shapes of its path or query parameters, body and answer, and
//! the one function that does it on the shared state. The in-process
//! handle, the `/_sim` routes and the HTTP client are all derived from it
//! (see `surface.rs`), so the three cannot drift apart.

use crate::shared::Shared;
use axum::http::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::convert::Infallible;

/// A control operation that could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid: {0}")]
    Invalid(String),
}

impl ControlError {
    /// The `error` code of the JSON answer.
    pub fn code(&self) -> &'static str {
        match self {
            ControlError::NotFound(_) => "not_found",
            ControlError::Invalid(_) => "invalid",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            ControlError::NotFound(m) | ControlError::Invalid(m) => m,
        }
    }
}

impl From<Infallible> for ControlError {
    fn from(never: Infallible) -> Self {
        match never {}
    }
}

/// One control operation.
pub(crate) trait ControlOp {
    /// The route under which the control API serves it.
    const METHOD: Method;
    /// The path, `{name}` standing for the field `name` of [`ControlOp::Params`].
    const PATH: &'static str;
    /// The path's `{names}`; the fields not in the path travel in the query.
    type Params: Serialize + DeserializeOwned + Send;
    /// The JSON body (`()` when there is none; an empty body reads as `null`).
    type Body: Serialize + DeserializeOwned + Send;
    /// The JSON answer.
    type Answer: Serialize + DeserializeOwned;
    /// How it can be refused: [`ControlError`], or [`Infallible`] for an
    /// operation that always succeeds (whose handle method then answers plainly).
    type Refusal: Into<ControlError>;

    /// Does it.
    fn run(
        sh: &Shared,
        params: Self::Params,
        body: Self::Body,
    ) -> Result<Self::Answer, Self::Refusal>;
}

/// Parameters of an operation that has none.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct NoParams {}
