//! Reading the activity log for people, the same for the API and the
//! pages: the filter as given in a query (`ActivityQuery`), a page of
//! entries, every entry, and the CSV export.

use domain::activity::{ActivityEntry, ActivityKind};
use domain::ids::{ActivityEntryId, ClientId};
use domain::ports::{ActivityFilter, ActivityPage};
use domain::practice::User;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::present::{actor, describe, is_failure, timestamp};
use crate::problem::{FieldProblem, Problem};
use crate::state::{AppState, AppStore};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    /// Only this client's entries.
    #[param(schema_with = crate::api::field_schema::uuid_or_blank)]
    pub client: Option<String>,
    #[param(schema_with = crate::api::field_schema::activity_kinds)]
    pub kind: Option<String>,
    /// Entries at or after this time.
    #[param(schema_with = crate::api::field_schema::time_or_blank)]
    pub from: Option<String>,
    /// Entries at or before this time.
    #[param(schema_with = crate::api::field_schema::time_or_blank)]
    pub until: Option<String>,
    /// The id of the last entry of the previous page.
    #[param(schema_with = crate::api::field_schema::uuid_or_blank)]
    pub after: Option<String>,
    /// Entries per page (default 50); 0 is read as 1, more than 500 as 500.
    #[param(minimum = 0, maximum = 4294967295_u64, format = Int64)]
    pub limit: Option<u32>,
}

impl ActivityQuery {
    pub fn parse(&self) -> Result<(ActivityFilter, ActivityPage), Problem> {
        let mut errors = Vec::new();
        let mut bad = |field: &str, message: String| {
            errors.push(FieldProblem {
                field: field.into(),
                message,
            })
        };
        // An empty parameter (a form's empty field) is none; any other is read exactly.
        let blank = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
        let client = blank(&self.client).and_then(|c| {
            c.parse::<ClientId>()
                .map_err(|e| bad("client", e.to_string()))
                .ok()
        });
        let mut kinds = Vec::new();
        for k in blank(&self.kind)
            .iter()
            .flat_map(|k| k.split(','))
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            match ActivityKind::CODES.iter().find(|known| **known == k) {
                Some(known) => kinds.push(*known),
                None => bad(
                    "kind",
                    format!(
                        "`{k}` is not an entry kind; known: {}",
                        ActivityKind::CODES.join(", ")
                    ),
                ),
            }
        }
        let time = |field: &str, v: &Option<String>, bad: &mut dyn FnMut(&str, String)| {
            blank(v).and_then(|t| {
                OffsetDateTime::parse(&t, &Rfc3339)
                    .map_err(|_| bad(field, format!("`{t}` is not an RFC 3339 time")))
                    .ok()
            })
        };
        let from = time("from", &self.from, &mut bad);
        let until = time("until", &self.until, &mut bad);
        let after = blank(&self.after).and_then(|a| {
            a.parse::<ActivityEntryId>()
                .map_err(|e| bad("after", e.to_string()))
                .ok()
        });
        if !errors.is_empty() {
            return Err(Problem::invalid(errors));
        }
        let filter = ActivityFilter {
            client,
            kinds,
            from,
            until,
        };
        Ok((
            filter,
            ActivityPage {
                after,
                limit: self.limit.unwrap_or(50),
            },
        ))
    }
}

pub async fn read<S: AppStore>(
    state: &AppState<S>,
    user: &User,
    query: &ActivityQuery,
) -> Result<(Vec<ActivityEntry>, ActivityPage), Problem> {
    let (filter, page) = query.parse()?;
    let entries = state
        .app
        .read_activity(user.practice, user.id, &filter, page)
        .await?;
    Ok((entries, page))
}

/// Every entry matching the filter, oldest first, as CSV.
pub fn to_csv(entries: &[ActivityEntry]) -> Result<String, Problem> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| Problem::internal(e.to_string());
    out.write_record([
        "id",
        "at",
        "kind",
        "actor",
        "client_id",
        "failed",
        "message",
    ])
    .map_err(internal)?;
    for e in entries.iter().rev() {
        let client = e.client.map(|c| c.to_string()).unwrap_or_default();
        let failed = if is_failure(&e.kind) { "yes" } else { "no" };
        out.write_record([
            &e.id.to_string(),
            &timestamp(e.at),
            e.kind.code(),
            &actor(&e.actor),
            &client,
            failed,
            &describe(&e.kind),
        ])
        .map_err(internal)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| Problem::internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| Problem::internal(e.to_string()))
}

/// Reads every page of the filter (the export is not paged).
pub async fn read_all<S: AppStore>(
    state: &AppState<S>,
    user: &User,
    query: &ActivityQuery,
) -> Result<Vec<ActivityEntry>, Problem> {
    let (filter, _) = query.parse()?;
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = ActivityPage {
            after,
            limit: domain::usecases::MAX_ACTIVITY_PAGE,
        };
        let entries = state
            .app
            .read_activity(user.practice, user.id, &filter, page)
            .await?;
        let done = (entries.len() as u32) < page.limit;
        after = entries.last().map(|e| e.id);
        all.extend(entries);
        if done || after.is_none() {
            return Ok(all);
        }
    }
}
