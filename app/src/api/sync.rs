//! Preview and Sync of one client: the API call behind the Sync button.

use axum::Json;
use axum::extract::State;
use domain::ids::{ClientId, XpmClientUuid};
use domain::practice::User;
use domain::sync::{ClientStep, FirstSyncDecision, LookAlike, ManualSyncRequest, SyncPlan};
use domain::usecases::{SyncOutcome, SyncPreview};
use serde::{Deserialize, Serialize};

use crate::api::problem::Problem;
use crate::api::{ApiPath, parse_id};
use crate::auth::ApiUser;
use crate::present::{client_step, describe, is_failure, relationship_step, timestamp};
use crate::state::{AppState, AppStore};

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DecisionInput {
    LinkTo(XpmClientUuid),
    CreateNew,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncInput {
    /// Only on a first sync that found look-alikes: `{"linkTo": "<XPM client UUID>"}` or `"createNew"`.
    pub decision: Option<DecisionInput>,
}

impl From<DecisionInput> for FirstSyncDecision {
    fn from(d: DecisionInput) -> Self {
        match d {
            DecisionInput::LinkTo(uuid) => FirstSyncDecision::LinkTo(uuid),
            DecisionInput::CreateNew => FirstSyncDecision::CreateNew,
        }
    }
}

pub fn request(
    user: &User,
    client: ClientId,
    decision: Option<FirstSyncDecision>,
) -> Result<ManualSyncRequest, Problem> {
    Ok(ManualSyncRequest::new(
        user,
        user.practice,
        client,
        decision,
    )?)
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanView {
    pub client: String,
    pub needs_decision: bool,
    pub look_alikes: Vec<LookAlikeView>,
    pub relationships: Vec<RelationshipPlanView>,
    pub writes: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LookAlikeView {
    pub xpm_client_uuid: String,
    pub name: String,
    pub email: Option<String>,
    pub business_number: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RelationshipPlanView {
    pub association_id: String,
    pub action: String,
    pub skipped: bool,
}

impl From<&SyncPlan> for PlanView {
    fn from(plan: &SyncPlan) -> Self {
        let look_alikes: &[LookAlike] = match &plan.client {
            ClientStep::NeedsDecision { look_alikes } => look_alikes,
            _ => &[],
        };
        Self {
            client: client_step(&plan.client),
            needs_decision: !look_alikes.is_empty(),
            look_alikes: look_alikes
                .iter()
                .map(|l| LookAlikeView {
                    xpm_client_uuid: l.xpm_client.to_string(),
                    name: l.name.clone(),
                    email: l.email.clone(),
                    business_number: l.business_number.clone(),
                })
                .collect(),
            relationships: plan
                .relationships
                .iter()
                .map(|r| RelationshipPlanView {
                    association_id: r.association().to_string(),
                    action: relationship_step(r),
                    skipped: matches!(r, domain::sync::RelationshipStep::Skipped { .. }),
                })
                .collect(),
            writes: plan.write_count(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewView {
    pub plan: PlanView,
    /// Field by field: PM Hub's value, what XPM holds now (read from XPM,
    /// never written into PM Hub), whether a Sync writes it, and whether it
    /// was changed directly in XPM since the last push.
    pub fields: Vec<FieldView>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldView {
    /// XPM's name for the field.
    pub field: String,
    pub pm_hub: Option<String>,
    pub last_pushed: Option<String>,
    pub xpm_now: Option<String>,
    pub will_write: bool,
    pub changed_in_xpm: bool,
}

impl From<domain::sync::FieldComparison> for FieldView {
    fn from(f: domain::sync::FieldComparison) -> Self {
        Self {
            field: f.field,
            pm_hub: f.pm_hub,
            last_pushed: f.last_pushed,
            xpm_now: f.xpm_now,
            will_write: f.will_write,
            changed_in_xpm: f.changed_in_xpm,
        }
    }
}

impl PreviewView {
    fn new(p: &SyncPreview) -> Result<Self, Problem> {
        Ok(Self {
            plan: PlanView::from(&p.plan),
            fields: crate::preview::fields(p)
                .map_err(Problem::internal)?
                .into_iter()
                .map(FieldView::from)
                .collect(),
        })
    }
}

pub async fn preview<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(client): ApiPath<String>,
) -> Result<Json<PreviewView>, Problem> {
    let request = request(&user, parse_id(&client)?, None)?;
    let preview = state.app.preview_sync(&request).await?;
    Ok(Json(PreviewView::new(&preview)?))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeView {
    /// True when every planned operation succeeded (skips are not failures).
    pub complete: bool,
    pub waited_for_another_sync: bool,
    pub xpm_client_uuid: Option<String>,
    pub plan: PlanView,
    pub operations: Vec<OperationView>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationView {
    pub at: String,
    pub kind: &'static str,
    pub failed: bool,
    pub message: String,
}

impl From<&SyncOutcome> for OutcomeView {
    fn from(o: &SyncOutcome) -> Self {
        Self {
            complete: o.is_complete(),
            waited_for_another_sync: o.waited_for_another_sync,
            xpm_client_uuid: o.xpm_client.map(|u| u.to_string()),
            plan: PlanView::from(&o.plan),
            operations: o
                .entries
                .iter()
                .map(|e| OperationView {
                    at: timestamp(e.at),
                    kind: e.kind.code(),
                    failed: is_failure(&e.kind),
                    message: describe(&e.kind),
                })
                .collect(),
        }
    }
}

/// Syncs one client now, as the person asked. Nothing else ever starts a sync.
pub async fn sync<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(client): ApiPath<String>,
    body: axum::body::Bytes,
) -> Result<Json<OutcomeView>, Problem> {
    // The body is optional: a plain Sync sends none.
    let input: SyncInput = if body.iter().all(u8::is_ascii_whitespace) {
        SyncInput::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| Problem::bad_request(format!("the body is not a sync request: {e}")))?
    };
    let decision = input.decision.map(FirstSyncDecision::from);
    let request = request(&user, parse_id(&client)?, decision)?;
    let started = std::time::Instant::now();
    let result = state.app.sync_client(&request).await;
    crate::ops::record_sync(
        started.elapsed(),
        result.as_ref().map(|o| o.is_complete()).unwrap_or(false),
    );
    Ok(Json(OutcomeView::from(&result?)))
}
