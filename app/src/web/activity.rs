//! The Activity Log page: filterable, pageable, exportable as CSV.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::activity::ActivityKind;
use serde::{Deserialize, Serialize};

use crate::activity_log::{ActivityQuery, read, read_all, to_csv};
use crate::auth::PageUser;
use crate::present::{actor, describe_named, is_failure, when};
use crate::state::{AppState, AppStore};
use crate::web::{Nav, message_page, render};

pub struct EntryRow {
    at: String,
    message: String,
    client: String,
    actor: String,
    failed: bool,
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPageView {
    nav: Option<Nav>,
    entries: Vec<EntryRow>,
    clients: Vec<(String, String)>,
    kinds: &'static [&'static str],
    client: Option<String>,
    kind: Option<String>,
    from_local: String,
    until_local: String,
    query: String,
    next_page: Option<String>,
    error: Option<String>,
}

/// The page's filter form: datetime-local inputs are read as UTC.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct PageFilter {
    client: Option<String>,
    kind: Option<String>,
    from_local: Option<String>,
    until_local: Option<String>,
    after: Option<String>,
}

fn rfc3339(local: &Option<String>) -> Option<String> {
    local
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let with_seconds = if s.len() == 16 {
                format!("{s}:00")
            } else {
                s.to_owned()
            };
            format!("{with_seconds}Z")
        })
}

impl PageFilter {
    fn query(&self) -> ActivityQuery {
        ActivityQuery {
            client: self.client.clone(),
            kind: self.kind.clone(),
            from: rfc3339(&self.from_local),
            until: rfc3339(&self.until_local),
            after: self.after.clone(),
            limit: Some(50),
        }
    }

    fn encoded(&self, after: Option<String>) -> String {
        let pairs = [
            ("client", self.client.clone()),
            ("kind", self.kind.clone()),
            ("from_local", self.from_local.clone()),
            ("until_local", self.until_local.clone()),
            ("after", after),
        ];
        pairs
            .iter()
            .filter_map(|(k, v)| {
                v.as_ref()
                    .filter(|v| !v.is_empty())
                    .map(|v| format!("{k}={}", crate::auth::session::urlencode(v)))
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

pub async fn page<S: AppStore>(
    State(state): State<AppState<S>>,
    page: PageUser,
    Query(filter): Query<PageFilter>,
) -> Response {
    let names: HashMap<String, String> = state
        .app
        .list_clients(page.user.practice, page.user.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c.id.to_string(), c.details.name.to_string()))
        .collect();
    let mut clients: Vec<(String, String)> =
        names.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    clients.sort_by_key(|c| c.1.to_lowercase());
    let (entries, error, next_page) = match read(&state, &page.user, &filter.query()).await {
        Ok((entries, page_size)) => {
            let next = (entries.len() as u32 >= page_size.limit)
                .then(|| {
                    entries
                        .last()
                        .map(|e| filter.encoded(Some(e.id.to_string())))
                })
                .flatten();
            (entries, None, next)
        }
        Err(problem) => (Vec::new(), Some(problem.detail), None),
    };
    let mut clients_shown: Vec<domain::ids::ClientId> =
        entries.iter().filter_map(|e| e.client).collect();
    clients_shown.sort_unstable();
    clients_shown.dedup();
    let labels = crate::web::association_labels(&state, &page.user, &clients_shown).await;
    let name = |id| {
        labels
            .get(&id)
            .map_or_else(|| crate::present::by_id(id), |l| l.sentence())
    };
    render(&ActivityPageView {
        nav: Nav::of(&page),
        entries: entries
            .iter()
            .map(|e| EntryRow {
                at: when(e.at),
                message: describe_named(&e.kind, &name),
                client: e
                    .client
                    .map(|c| {
                        names
                            .get(&c.to_string())
                            .cloned()
                            .unwrap_or_else(|| c.to_string())
                    })
                    .unwrap_or_default(),
                actor: actor(&e.actor),
                failed: is_failure(&e.kind),
            })
            .collect(),
        clients,
        kinds: &ActivityKind::CODES,
        client: filter.client.clone(),
        kind: filter.kind.clone(),
        from_local: filter.from_local.clone().unwrap_or_default(),
        until_local: filter.until_local.clone().unwrap_or_default(),
        query: filter.encoded(None),
        next_page,
        error,
    })
}

pub async fn csv<S: AppStore>(
    State(state): State<AppState<S>>,
    page: PageUser,
    Query(filter): Query<PageFilter>,
) -> Response {
    let result = async {
        let entries = read_all(&state, &page.user, &filter.query()).await?;
        to_csv(&entries)
    };
    match result.await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"activity-log.csv\"",
                ),
            ],
            body,
        )
            .into_response(),
        Err(problem) => message_page(
            StatusCode::BAD_REQUEST,
            Nav::of(&page),
            "No export",
            &problem.detail,
            "/activity",
        ),
    }
}
