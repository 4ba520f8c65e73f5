//! Preview and Sync of one client: the API call behind the Sync button.

use crate::problem::ProblemDocument;
use axum::Json;
use axum::extract::State;
use domain::client::Client;
use domain::ids::{ClientId, XpmClientUuid};
use domain::practice::User;
use domain::sync::{
    ClientStep, FieldChange, FirstSyncDecision, LookAlike, ManualSyncRequest, PreviewField,
    SyncPlan,
};
use domain::usecases::{SyncOutcome, SyncPreview};
use serde::{Deserialize, Serialize};

use crate::api::{ApiPath, parse_id};
use crate::auth::ApiUser;
use crate::present::{
    change_values, client_step, client_step_code, describe, gone_code, is_failure, outcome_status,
    relationship_step, timestamp,
};
use crate::problem::Problem;
use crate::state::{AppState, AppStore};

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DecisionInput {
    LinkTo(XpmClientUuid),
    CreateNew,
}

/// `"createNew"`, or `{"linkTo": "<XPM client UUID>"}` (the serde shape above).
impl utoipa::PartialSchema for DecisionInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type,
        };
        let create_new = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(["createNew"]));
        let uuid = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
        let link_to = ObjectBuilder::new()
            .property("linkTo", uuid)
            .required("linkTo")
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ));
        OneOfBuilder::new().item(create_new).item(link_to).into()
    }
}

impl utoipa::ToSchema for DecisionInput {}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SyncRequest)]
pub struct SyncInput {
    /// Only when a person must choose (a first sync that found look-alikes,
    /// or a linked XPM client gone from XPM): `{"linkTo": "<XPM client UUID>"}` or `"createNew"`.
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

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Plan)]
pub struct PlanView {
    /// What the Sync does with the client, in words.
    pub client: String,
    /// The same, for machines: `create`, `link`, `recover`, `update`,
    /// `unchanged`, `needs_decision` or `gone_from_xpm`.
    pub client_action: &'static str,
    /// Nothing is written until a person chooses (look-alikes found, or the
    /// linked XPM client is gone).
    pub needs_decision: bool,
    /// The XPM clients a person may link to, with the keys each matched on.
    pub look_alikes: Vec<LookAlikeView>,
    /// Set when the linked XPM client was deleted, merged or archived in XPM.
    pub gone_from_xpm: Option<GoneView>,
    /// The owned fields the Sync overwrites in an XPM client already there
    /// (PM Hub's value; `pmHub` null clears it). Tax numbers masked.
    pub changes: Vec<ChangeView>,
    pub relationships: Vec<RelationshipPlanView>,
    pub writes: usize,
    /// What the Sync does with the XPM custom field where the practice
    /// keeps PM Hub's client id; absent when it keeps it in none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientIdPlanView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ClientIdPlan)]
pub struct ClientIdPlanView {
    #[schema(format = Uuid)]
    pub field_uuid: String,
    pub field_name: String,
    /// The Sync writes PM Hub's id there (one of `writes`).
    pub writes_id: bool,
    /// The XPM client adopted was found because the field holds this client's id.
    pub found_by_id: bool,
    pub message: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = LookAlike)]
pub struct LookAlikeView {
    #[schema(format = Uuid)]
    pub xpm_client_uuid: String,
    pub name: String,
    pub email: Option<String>,
    pub business_number: Option<String>,
    pub company_number: Option<String>,
    pub client_code: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    #[schema(format = Date)]
    pub date_of_birth: Option<String>,
    /// In words: `same name`, `same business number`...
    pub matched_on: Vec<&'static str>,
    /// XPM's custom field for PM Hub's id holds another PM Hub client's id:
    /// that client (its id), whose XPM client this is.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub belongs_to_client: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = GoneFromXpm)]
pub struct GoneView {
    #[schema(format = Uuid)]
    pub xpm_client_uuid: String,
    /// `deleted_or_merged` or `archived`.
    pub reason: &'static str,
    pub message: String,
    /// What a person may do next, each as a request to send.
    pub choices: Vec<ChoiceView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Choice)]
pub struct ChoiceView {
    /// `create_again`, `link_to_another` or `unlink`.
    pub choice: &'static str,
    pub description: String,
    /// `POST /api/clients/{id}/sync` or `/unlink`.
    pub request: String,
    /// The body to send (for `link_to_another`, with one of `lookAlikes`).
    pub body: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = FieldChange)]
pub struct ChangeView {
    /// XPM's name for the field.
    pub field: &'static str,
    pub xpm_now: Option<String>,
    pub pm_hub: Option<String>,
    /// "old@x -> cleared".
    pub message: String,
}

impl From<&FieldChange> for ChangeView {
    fn from(c: &FieldChange) -> Self {
        let m = c.masked();
        Self {
            field: m.field.xpm_name(),
            message: change_values(&m),
            xpm_now: m.xpm_now,
            pm_hub: m.pm_hub,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = RelationshipPlan)]
pub struct RelationshipPlanView {
    pub association_id: String,
    pub action: String,
    pub skipped: bool,
}

impl LookAlikeView {
    pub fn new(l: &LookAlike, client: &Client) -> Self {
        Self {
            xpm_client_uuid: l.xpm_client.to_string(),
            name: l.name.clone(),
            email: l.email.clone(),
            business_number: l.business_number.clone(),
            company_number: l.company_number.clone(),
            client_code: l.client_code.clone(),
            first_name: l.first_name.clone(),
            last_name: l.last_name.clone(),
            date_of_birth: l.date_of_birth.clone(),
            matched_on: l
                .matches(client)
                .into_iter()
                .map(|k| k.describe())
                .collect(),
            belongs_to_client: l.holds_id_of_another(client.id).map(|c| c.to_string()),
        }
    }
}

impl PlanView {
    /// `client` is the PM Hub client the plan is for (look-alikes say on
    /// which of its keys they match).
    pub fn new(plan: &SyncPlan, client: &Client) -> Self {
        let look_alikes = crate::present::look_alikes(&plan.client);
        let gone_from_xpm = match &plan.client {
            ClientStep::GoneFromXpm {
                xpm_client, reason, ..
            } => Some(GoneView {
                xpm_client_uuid: xpm_client.to_string(),
                reason: gone_code(*reason),
                message: client_step(&plan.client),
                choices: gone_choices(client.id, look_alikes),
            }),
            _ => None,
        };
        Self {
            client: client_step(&plan.client),
            client_action: client_step_code(&plan.client),
            needs_decision: plan.client.awaits_a_person(),
            look_alikes: look_alikes
                .iter()
                .map(|l| LookAlikeView::new(l, client))
                .collect(),
            gone_from_xpm,
            changes: plan.client.changes().iter().map(ChangeView::from).collect(),
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
            client_id: plan.client_id.as_ref().map(|c| ClientIdPlanView {
                field_uuid: c.field.to_string(),
                field_name: c.field_name.clone(),
                writes_id: c.write,
                found_by_id: c.found_by_id,
                message: crate::present::client_id_plan(c),
            }),
        }
    }
}

/// The three ways on once the linked XPM client is gone.
fn gone_choices(client: ClientId, look_alikes: &[LookAlike]) -> Vec<ChoiceView> {
    let sync = format!("POST /api/clients/{client}/sync");
    let mut choices = vec![ChoiceView {
        choice: "create_again",
        description: "Create the client again in XPM, as a new XPM client".into(),
        request: sync.clone(),
        body: Some(serde_json::json!({"decision": "createNew"})),
    }];
    if let Some(first) = look_alikes.first() {
        choices.push(ChoiceView {
            choice: "link_to_another",
            description: "Link it to another XPM client, one of lookAlikes; PM Hub's values are then written on it".into(),
            request: sync,
            body: Some(serde_json::json!({"decision": {"linkTo": first.xpm_client.to_string()}})),
        });
    }
    choices.push(ChoiceView {
        choice: "unlink",
        description: "Unlink it: PM Hub forgets the link, nothing changes in XPM, and the next Sync asks to link or create".into(),
        request: format!("POST /api/clients/{client}/unlink"),
        body: None,
    });
    choices
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Preview)]
pub struct PreviewView {
    pub plan: PlanView,
    /// Field by field, for each XPM field PM Hub owns: PM Hub's value,
    /// what XPM holds now (read from XPM, never written into PM Hub),
    /// whether a Sync overwrites it (`change`: "XPM now -> PM Hub"), and
    /// whether it was changed directly in XPM since the last push.
    pub fields: Vec<FieldView>,
    /// The client's page in XPM (XPM's `WebUrl`), when XPM was read and gave one.
    pub xpm_web_url: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PreviewField)]
pub struct FieldView {
    /// XPM's name for the field.
    pub field: &'static str,
    pub pm_hub: Option<String>,
    pub last_pushed: Option<String>,
    pub xpm_now: Option<String>,
    pub will_write: bool,
    /// The Sync empties the field in XPM (PM Hub holds no value).
    pub clears: bool,
    /// "XPM now -> PM Hub" when the Sync writes it.
    pub change: Option<String>,
    pub changed_in_xpm: bool,
}

impl From<PreviewField> for FieldView {
    fn from(f: PreviewField) -> Self {
        Self {
            field: f.name(),
            clears: f.clears(),
            change: f.change().as_ref().map(crate::present::change_values),
            pm_hub: f.pm_hub,
            last_pushed: f.last_pushed,
            xpm_now: f.xpm_now,
            will_write: f.will_write,
            changed_in_xpm: f.changed_in_xpm,
        }
    }
}

impl PreviewView {
    pub fn new(p: &SyncPreview, client: &Client) -> Self {
        Self {
            plan: PlanView::new(&p.plan, client),
            fields: p.fields().into_iter().map(FieldView::from).collect(),
            xpm_web_url: p
                .xpm_now
                .as_ref()
                .and_then(|v| v.web_url.as_ref())
                .map(|u| u.as_str().to_owned()),
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/clients/{client}/sync-preview",
    tag = "Sync",
    summary = "What a Sync would do; reads XPM, writes nothing",
    params(("client" = String, Path, format = Uuid, description = "PM Hub client id")),
    responses(
        (status = 200, description = "OK", body = PreviewView, content_type = "application/json"),
        (status = 404, description = "Not found in this practice", body = ProblemDocument),
        (status = 409, description = "Not possible in the current state (e.g. not connected)", body = ProblemDocument),
        (status = 429, description = "XPM's daily allowance is used up: the preview cannot read XPM until it resets", body = ProblemDocument),
        (status = 502, description = "XPM or Xero failed", body = ProblemDocument)
    )
)]
pub async fn preview<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(client): ApiPath<String>,
) -> Result<Json<PreviewView>, Problem> {
    let id: ClientId = parse_id(&client)?;
    let request = request(&user, id, None)?;
    let preview = state.app.preview_sync(&request).await?;
    let client = state.app.get_client(user.practice, user.id, id).await?;
    Ok(Json(PreviewView::new(&preview, &client)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = SyncOutcome)]
pub struct OutcomeView {
    /// `complete`, `incomplete` (an operation failed or was not
    /// attempted), `needs_decision` (look-alikes found: link or create) or
    /// `gone_from_xpm` (the linked XPM client was deleted, merged or
    /// archived in XPM: create again, link to another, or unlink). Nothing
    /// was written in the last two.
    pub status: &'static str,
    /// What happened, in words.
    pub message: String,
    /// True when every planned operation succeeded (skips are not failures).
    pub complete: bool,
    pub waited_for_another_sync: bool,
    #[schema(format = Uuid)]
    pub xpm_client_uuid: Option<String>,
    pub plan: PlanView,
    pub operations: Vec<OperationView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Operation)]
pub struct OperationView {
    pub at: String,
    pub kind: &'static str,
    pub failed: bool,
    pub message: String,
}

impl OutcomeView {
    pub fn new(o: &SyncOutcome, client: &Client) -> Self {
        let (status, message) = outcome_status(o);
        Self {
            status,
            message,
            complete: o.is_complete(),
            waited_for_another_sync: o.waited_for_another_sync,
            xpm_client_uuid: o.xpm_client.map(|u| u.to_string()),
            plan: PlanView::new(&o.plan, client),
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
#[utoipa::path(
    post,
    path = "/api/clients/{client}/sync",
    tag = "Sync",
    summary = "Sync one client now (the Sync button)",
    description = "The only way anything is written to XPM. The body is optional; a decision is needed only when a first sync found look-alike clients in XPM, or when the linked XPM client is gone from XPM (status `gone_from_xpm`: create it again, link it to another look-alike, or unlink it).",
    params(("client" = String, Path, format = Uuid, description = "PM Hub client id")),
    request_body(content = Option<SyncInput>, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = OutcomeView, content_type = "application/json"),
        (status = 404, description = "Not found in this practice", body = ProblemDocument),
        (status = 409, description = "Not possible in the current state (e.g. not connected)", body = ProblemDocument),
        (status = 422, description = "Invalid input; `errors` names each bad field", body = ProblemDocument),
        (status = 429, description = "XPM's daily allowance is used up, or too little of it is left for this Sync's writes; nothing was written (Retry-After when XPM said when it resets)", body = ProblemDocument),
        (status = 502, description = "XPM or Xero failed", body = ProblemDocument)
    )
)]
pub async fn sync<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(client): ApiPath<String>,
    body: axum::body::Bytes,
) -> Result<Json<OutcomeView>, Problem> {
    // The body is optional: a plain Sync sends none, or `null`.
    let input: SyncInput = if body.iter().all(u8::is_ascii_whitespace) {
        SyncInput::default()
    } else {
        let value = serde_json::from_slice::<serde_json::Value>(&body)
            .map_err(|e| Problem::bad_request(format!("the body is not a sync request: {e}")))?;
        crate::api::from_body::<Option<SyncInput>>(value)?.unwrap_or_default()
    };
    let decision = input.decision.map(FirstSyncDecision::from);
    let id: ClientId = parse_id(&client)?;
    let request = request(&user, id, decision)?;
    // Read first (look-alikes say which of its keys they match): a Sync
    // that has written to XPM then always answers what it did.
    let client = state.app.get_client(user.practice, user.id, id).await?;
    let started = std::time::Instant::now();
    let result = state.app.sync_client(&request).await;
    crate::ops::record_sync(
        started.elapsed(),
        result.as_ref().map(|o| o.is_complete()).unwrap_or(false),
    );
    Ok(Json(OutcomeView::new(&result?, &client)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Unlinked)]
pub struct UnlinkedView {
    #[schema(format = Uuid)]
    pub client_id: String,
    /// The XPM client this client was linked to; it is left as it is in XPM.
    #[schema(format = Uuid)]
    pub unlinked_from: String,
    pub message: String,
}

/// Forgets which XPM client this client is linked to; XPM is not touched.
#[utoipa::path(
    post,
    path = "/api/clients/{client}/unlink",
    tag = "Sync",
    summary = "Unlink: forget which XPM client this client is linked to; nothing changes in XPM, and the next Sync asks to link or create",
    params(("client" = String, Path, format = Uuid, description = "PM Hub client id")),
    responses(
        (status = 200, description = "OK", body = UnlinkedView, content_type = "application/json"),
        (status = 404, description = "Not found in this practice", body = ProblemDocument),
        (status = 409, description = "Not linked (`not-linked`: nothing to unlink), or not connected", body = ProblemDocument)
    )
)]
pub async fn unlink<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(client): ApiPath<String>,
) -> Result<Json<UnlinkedView>, Problem> {
    let id: ClientId = parse_id(&client)?;
    let xpm_client = state.app.unlink_client(user.practice, user.id, id).await?;
    Ok(Json(UnlinkedView {
        client_id: id.to_string(),
        unlinked_from: xpm_client.to_string(),
        message: unlinked_message(xpm_client),
    }))
}

pub fn unlinked_message(xpm_client: XpmClientUuid) -> String {
    format!(
        "Unlinked from XPM client {xpm_client}. Nothing was changed in XPM. The next Sync asks whether to link this client to an XPM client or create it."
    )
}
