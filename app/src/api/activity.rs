//! The activity log: filtered, paged newest first, and exported as CSV.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use domain::activity::{ActivityEntry, ActivityKind};
use serde::Serialize;

use crate::activity_log::{ActivityQuery, read, read_all, to_csv};
use crate::auth::ApiUser;
use crate::present::{actor, describe, is_failure, timestamp};
use crate::problem::{Problem, ProblemDocument};
use crate::state::{AppState, AppStore};

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ActivityEntry)]
pub struct EntryView {
    #[schema(format = Uuid)]
    pub id: String,
    pub at: String,
    pub kind: &'static str,
    pub actor: String,
    #[schema(format = Uuid)]
    pub client_id: Option<String>,
    pub failed: bool,
    pub message: String,
    /// The entry as recorded, for machines.
    #[schema(value_type = Object)]
    pub detail: ActivityKind,
}

impl From<&ActivityEntry> for EntryView {
    fn from(e: &ActivityEntry) -> Self {
        Self {
            id: e.id.to_string(),
            at: timestamp(e.at),
            kind: e.kind.code(),
            actor: actor(&e.actor),
            client_id: e.client.map(|c| c.to_string()),
            failed: is_failure(&e.kind),
            message: describe(&e.kind),
            detail: e.kind.clone(),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ActivityPage)]
pub struct ActivityPageView {
    pub entries: Vec<EntryView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/activity",
    tag = "Activity",
    summary = "The activity log, newest first",
    params(ActivityQuery),
    responses(
        (status = 200, description = "OK", body = ActivityPageView, content_type = "application/json"),
        (status = 422, description = "Invalid input; `errors` names each bad field", body = ProblemDocument)
    )
)]
pub async fn list<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    query: Result<Query<ActivityQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ActivityPageView>, Problem> {
    let Query(query) = query?;
    let (entries, page) = read(&state, &user, &query).await?;
    let full = entries.len() as u32 >= page.limit.clamp(1, domain::usecases::MAX_ACTIVITY_PAGE);
    Ok(Json(ActivityPageView {
        next_after: entries.last().filter(|_| full).map(|e| e.id.to_string()),
        entries: entries.iter().map(EntryView::from).collect(),
    }))
}

#[utoipa::path(
    get,
    path = "/api/activity.csv",
    tag = "Activity",
    summary = "The activity log as CSV, oldest first (every page)",
    params(ActivityQuery),
    responses(
        (status = 200, description = "CSV", body = String, content_type = "text/csv"),
        (status = 422, description = "Invalid input; `errors` names each bad field", body = ProblemDocument)
    )
)]
pub async fn csv<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    query: Result<Query<ActivityQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, Problem> {
    let Query(query) = query?;
    let entries = read_all(&state, &user, &query).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"activity-log.csv\"",
            ),
        ],
        to_csv(&entries)?,
    ))
}
