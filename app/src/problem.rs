//! Errors as RFC 9457 problem details. Every domain error is translated to
//! HTTP here, once, for the API and the pages alike (a page shows the
//! problem's status and words). A leaf: it knows the domain's errors, not
//! the handlers.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::association::AssociationError;
use domain::connection::ConnectionError;
use domain::ports::{AuthorisationError, StoreError, XpmError};
use domain::practice::PermissionError;
use domain::sync::PlanError;
use domain::usecases::{
    ActivityError, ConnectionUseCaseError, RecordsError, SettingsError, SyncError,
};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    /// The last part of the problem type URI, e.g. `not-connected`.
    pub kind: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub errors: Vec<FieldProblem>,
    pub retry_after: Option<u64>,
    /// What only the log may say (a database server's name and errors).
    pub logged_only: Option<Box<str>>,
}

/// The kind of problem every use case's store failure becomes.
pub const STORE_UNAVAILABLE: &str = "store-unavailable";

/// What a problem answers: an RFC 9457 problem details document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDocument<'a> {
    /// `https://pmhub-xpm.example/problems/{kind}`
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    /// Each bad field, on a 422; on a 409 `missing-reference`, the field naming what is missing.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [FieldProblem],
}

impl Problem {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            kind,
            title,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            logged_only: None,
        }
    }

    /// Whether the database could not be reached or used.
    pub fn is_store_unavailable(&self) -> bool {
        self.kind == STORE_UNAVAILABLE
    }

    /// One bad field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldProblem {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    /// A field that refers to something this practice does not have (yet):
    /// a related client, an association type. A 409 naming the field: the
    /// body is valid (so not a 422) and the path's own resource is there
    /// (so not a 404); the practice's records are what stand in the way.
    pub fn missing_reference(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            errors: vec![FieldProblem {
                field: field.to_owned(),
                message: message.clone(),
            }],
            ..Self::new(
                StatusCode::CONFLICT,
                "missing-reference",
                "A record the input refers to does not exist",
                format!("{field}: {message}"),
            )
        }
    }

    pub fn invalid(errors: Vec<FieldProblem>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-input",
                "The input is not valid",
                detail,
            )
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "The request is malformed",
            detail,
        )
    }

    pub fn unauthorised(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorised",
            "Authentication is required",
            detail,
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong",
            detail,
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = self.status.as_u16(), kind = self.kind, detail = %self.detail, cause = self.logged_only.as_deref(), "request failed");
        }
        let body = ProblemDocument {
            kind: format!("https://pmhub-xpm.example/problems/{}", self.kind),
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
            errors: &self.errors,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<PermissionError> for Problem {
    fn from(e: PermissionError) -> Self {
        match e {
            PermissionError::AdminOnly { .. } => Problem::new(
                StatusCode::FORBIDDEN,
                "admin-only",
                "Only a practice administrator can do this",
                e.to_string(),
            ),
            // Never tell another practice that a record exists.
            PermissionError::OtherPractice => Problem::not_found("not found in this practice"),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => Problem::not_found(e.to_string()),
            StoreError::Conflict(_) => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "Conflicting change",
                e.to_string(),
            ),
            StoreError::Unavailable(_) => Problem {
                logged_only: Some(e.to_string().into()),
                ..Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    STORE_UNAVAILABLE,
                    "The database is unavailable",
                    "PM Hub cannot reach its database just now; nothing was changed. Try again in a moment (the details are in the server's log).",
                )
            },
        }
    }
}

impl From<ConnectionError> for Problem {
    fn from(e: ConnectionError) -> Self {
        match e {
            ConnectionError::NotConnected { .. } => Problem::new(
                StatusCode::CONFLICT,
                "not-connected",
                "Not connected to Xero Practice Manager",
                e.to_string(),
            ),
            ConnectionError::IllegalTransition { .. } => Problem::new(
                StatusCode::CONFLICT,
                "connection-state",
                "Not possible in the connection's state",
                e.to_string(),
            ),
            ConnectionError::DisconnectNotConfirmed => {
                Problem::invalid_field("confirm", e.to_string())
            }
            ConnectionError::InvalidOrganisationName(_) => Problem::new(
                StatusCode::BAD_GATEWAY,
                "xero-answer",
                "Xero answered something unexpected",
                e.to_string(),
            ),
        }
    }
}

impl From<XpmError> for Problem {
    fn from(e: XpmError) -> Self {
        match e {
            XpmError::AuthorisationExpired(_) | XpmError::AccessRevoked(_) => Problem::new(
                StatusCode::CONFLICT,
                "connection-lost",
                "The connection to XPM needs a Reconnect",
                e.to_string(),
            ),
            XpmError::RateLimited { retry_after_secs } => Problem {
                retry_after: Some(retry_after_secs),
                ..Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "xpm-rate-limited",
                    "XPM's rate limit was reached",
                    e.to_string(),
                )
            },
            XpmError::DailyAllowanceUsed { resets_in_secs } => Problem {
                retry_after: Some(resets_in_secs),
                ..Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "xpm-daily-allowance",
                    "XPM's daily allowance is used up",
                    e.to_string(),
                )
            },
            XpmError::NotFound(_) => Problem::new(
                StatusCode::BAD_GATEWAY,
                "xpm-not-found",
                "XPM does not know the record",
                e.to_string(),
            ),
            XpmError::Rejected(_) => Problem::new(
                StatusCode::BAD_GATEWAY,
                "xpm-rejected",
                "XPM refused the request",
                e.to_string(),
            ),
            XpmError::Unavailable(_) | XpmError::Ambiguous(_) | XpmError::UnexpectedAnswer(_) => {
                Problem::new(
                    StatusCode::BAD_GATEWAY,
                    "xpm-unavailable",
                    "XPM could not be reached",
                    e.to_string(),
                )
            }
        }
    }
}

impl From<AuthorisationError> for Problem {
    fn from(e: AuthorisationError) -> Self {
        match e {
            AuthorisationError::Refused(_) | AuthorisationError::NoOrganisationGranted => {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "authorisation-refused",
                    "Xero did not grant access",
                    e.to_string(),
                )
            }
            AuthorisationError::Expired(_) => Problem::new(
                StatusCode::CONFLICT,
                "connection-lost",
                "The connection to XPM needs a Reconnect",
                e.to_string(),
            ),
            AuthorisationError::Unavailable(_) | AuthorisationError::UnexpectedAnswer(_) => {
                Problem::new(
                    StatusCode::BAD_GATEWAY,
                    "xero-unavailable",
                    "Xero could not be reached",
                    e.to_string(),
                )
            }
        }
    }
}

impl From<PlanError> for Problem {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::ClientNotActive(_) | PlanError::AlreadySynced(_) => Problem::new(
                StatusCode::CONFLICT,
                "sync-refused",
                "This client cannot be synced",
                e.to_string(),
            ),
            PlanError::NotALookAlike(_)
            | PlanError::ChosenClientGone(..)
            | PlanError::LinkedToAnotherClient { .. } => {
                Problem::invalid_field("decision", e.to_string())
            }
            PlanError::RequestMismatch | PlanError::ForeignAssociation(_) => {
                Problem::internal(e.to_string())
            }
        }
    }
}

impl From<RecordsError> for Problem {
    fn from(e: RecordsError) -> Self {
        match e {
            RecordsError::Permission(p) => p.into(),
            RecordsError::Store(s) => s.into(),
            RecordsError::ClientNotFound(_)
            | RecordsError::NotKnownByPmHubId(_)
            | RecordsError::AssociationNotFound(_)
            | RecordsError::AssociationTypeNotFound(_) => Problem::not_found(e.to_string()),
            RecordsError::MissingPmHubReference { field, .. } => {
                Problem::missing_reference(field, e.to_string())
            }
            RecordsError::ClientDeleted(_) => Problem::new(
                StatusCode::CONFLICT,
                "client-deleted",
                "The client is deleted",
                e.to_string(),
            ),
            RecordsError::Association(AssociationError::EndBeforeStart { .. }) => {
                Problem::invalid_field("endDate", e.to_string())
            }
            RecordsError::Association(_) => Problem::invalid_field("association", e.to_string()),
        }
    }
}

impl From<SyncError> for Problem {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Permission(p) => p.into(),
            SyncError::NotConnected(c) => c.into(),
            SyncError::ClientNotFound(_) => Problem::not_found(e.to_string()),
            SyncError::NotLinked(_) => Problem::new(
                StatusCode::CONFLICT,
                "not-linked",
                "The client is not linked to an XPM client",
                format!(
                    "{e}: there is nothing to unlink. Its next Sync creates it in XPM, or asks to link it to a client already there."
                ),
            ),
            SyncError::DailyAllowanceShort { resets_in_secs, .. } => Problem {
                retry_after: resets_in_secs,
                ..Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "xpm-daily-allowance",
                    "Not enough of XPM's daily allowance is left",
                    e.to_string(),
                )
            },
            SyncError::Plan(p) => p.into(),
            SyncError::Xpm(x) => x.into(),
            SyncError::Store(s) => s.into(),
            SyncError::Connection(c) => c.into(),
        }
    }
}

impl From<ConnectionUseCaseError> for Problem {
    fn from(e: ConnectionUseCaseError) -> Self {
        match e {
            ConnectionUseCaseError::Permission(p) => p.into(),
            ConnectionUseCaseError::Connection(c) => c.into(),
            ConnectionUseCaseError::Authorisation(a) => a.into(),
            ConnectionUseCaseError::Store(s) => s.into(),
            ConnectionUseCaseError::UnknownState => Problem::new(
                StatusCode::BAD_REQUEST,
                "unknown-login",
                "This Xero login is unknown",
                e.to_string(),
            ),
            ConnectionUseCaseError::OrganisationNotGranted(_) => {
                Problem::invalid_field("tenantId", e.to_string())
            }
            // Not the request's fault: the connection is in no state to choose.
            ConnectionUseCaseError::NoGrantToChooseFrom | ConnectionUseCaseError::NothingToName => {
                Problem::new(
                    StatusCode::CONFLICT,
                    "connection-state",
                    "Not possible in the connection's state",
                    e.to_string(),
                )
            }
        }
    }
}

impl From<SettingsError> for Problem {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Permission(p) => p.into(),
            SettingsError::Store(s) => s.into(),
            SettingsError::UnknownAssociationType(_) => Problem::not_found(e.to_string()),
            SettingsError::NotAnXpmRelationshipType { .. } => {
                Problem::invalid_field("xpmRelationshipType", e.to_string())
            }
            SettingsError::NotConnected(c) => c.into(),
            SettingsError::Xpm(x) => x.into(),
            SettingsError::UnknownCustomField(_) | SettingsError::NotAClientTextField { .. } => {
                Problem::invalid_field("fieldUuid", e.to_string())
            }
        }
    }
}

impl From<ActivityError> for Problem {
    fn from(e: ActivityError) -> Self {
        match e {
            ActivityError::Permission(p) => p.into(),
            ActivityError::Store(s) => s.into(),
        }
    }
}

/// JSON bodies that do not parse are problems too, not axum's plain text.
impl From<axum::extract::rejection::JsonRejection> for Problem {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "The request body is too large",
                e.body_text(),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "media-type",
                "Send application/json",
                e.body_text(),
            ),
            _ => Problem::bad_request(e.body_text()),
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for Problem {
    fn from(e: axum::extract::rejection::QueryRejection) -> Self {
        Problem::bad_request(e.body_text())
    }
}

/// A path segment that cannot even be decoded (not UTF-8) is a malformed request.
impl From<axum::extract::rejection::PathRejection> for Problem {
    fn from(e: axum::extract::rejection::PathRejection) -> Self {
        Problem::bad_request(e.body_text())
    }
}
