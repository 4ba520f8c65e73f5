//! The seven invariants of issue 7, the three of issue 13 and the one of issue 14, checked after
//! every step against the sim's state and journal and the app's stores.
//! Each answers what broke.

use std::collections::BTreeMap;

use domain::activity::{ActivityEntry, ActivityKind};
use domain::client::Client;
use domain::connection::ConnectionState;
use domain::ports::{ActivityFilter, ActivityPage};
use domain::relationship_type::XpmRelationshipType;
use domain::sync::{
    ClientPayload, ClientStep, OwnedField, RelationshipStep, RelationshipTerms, SkipReason,
};
use domain::usecases::Stores;
use uuid::Uuid;
use xpm_sim::JournalEntry;

use crate::machine::{Case, Step, SyncStep, is_not_connected};
use crate::model::code_of;

const API: &str = "/practicemanager/";

fn is_write(e: &JournalEntry) -> bool {
    e.path.starts_with(API) && e.method != "GET"
}

/// The text of `<tag>` in an XML body, if any.
fn element<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(&xml[start..end])
}

pub async fn check<S: Stores + Clone>(case: &mut Case<S>, step: &Step) -> Result<(), String> {
    let journal = new_journal(case);
    no_write_outside_a_sync_of_that_client(case, step, &journal).await?;
    nothing_read_from_xpm_changes_pm_hub(case).await?;
    no_delete_or_archive_reaches_xpm_and_xpm_data_stays(case, &journal)?;
    relationships_appear_only_in_a_sync(case, step)?;
    if let Step::Sync(sync) = step {
        relationships_trace_to_mapped_associations_and_skips_are_logged(case, sync).await?;
        sync_after_disconnect_is_refused_without_a_call(sync, &journal)?;
        a_complete_sync_leaves_xpm_showing_what_pm_hub_holds(case, sync).await?;
        no_client_is_created_beside_a_look_alike_unless_a_person_chose_to(case, sync).await?;
        only_structures_xpm_records_are_written(case, sync)?;
    }
    remember_xpm_relationships(case)?;
    the_activity_log_keeps_every_entry(case, step).await?;
    never_two_xpm_clients_for_one_pm_hub_client(case)?;
    never_two_pm_hub_clients_on_one_xpm_client(case).await?;
    Ok(())
}

fn new_journal<S>(case: &mut Case<S>) -> Vec<JournalEntry> {
    let seen = case.model.journal_seen;
    let entries: Vec<JournalEntry> = case
        .rig
        .ctl()
        .journal_all()
        .into_iter()
        .filter(|e| e.id > seen)
        .collect();
    if let Some(last) = entries.iter().map(|e| e.id).max() {
        case.model.journal_seen = last;
    }
    entries
}

fn describe(e: &JournalEntry) -> String {
    format!("{} {} ({:?})", e.method, e.path, e.status)
}

/// Invariant 1 (rule 3, manual only), and the quiet half of invariant 5: no
/// XPM API call outside a sync, a preview or a check; no write outside a
/// sync, and a sync writes only its own client.
async fn no_write_outside_a_sync_of_that_client<S: Stores + Clone>(
    case: &Case<S>,
    step: &Step,
    journal: &[JournalEntry],
) -> Result<(), String> {
    match step {
        Step::Quiet | Step::InXpm => {
            if let Some(e) = journal.iter().find(|e| e.path.starts_with(API)) {
                return Err(format!(
                    "invariant 1/5: XPM was called outside a sync: {}",
                    describe(e)
                ));
            }
        }
        Step::ReadOnly { before } => {
            if let Some(e) = journal.iter().find(|e| is_write(e)) {
                return Err(format!(
                    "invariant 1: a preview or check wrote to XPM: {}",
                    describe(e)
                ));
            }
            let connected = matches!(before, ConnectionState::Connected { .. });
            if let Some(e) = journal.first().filter(|_| !connected) {
                return Err(format!(
                    "invariant 6: a preview or check while {:?} called Xero or XPM: {}",
                    before.status(),
                    describe(e)
                ));
            }
        }
        Step::Sync(sync) => {
            let code = format!("<ClientCode>{}</ClientCode>", code_of(sync.n));
            let target = sync.before.organisation().map(|o| o.tenant.to_string());
            for e in journal.iter().filter(|e| is_write(e)) {
                if e.tenant != target {
                    return Err(format!(
                        "invariant 1: a sync connected to {target:?} wrote to {:?}: {}",
                        e.tenant,
                        describe(e)
                    ));
                }
                let org: Uuid = e
                    .tenant
                    .as_deref()
                    .and_then(|t| t.parse().ok())
                    .ok_or("invariant 1: a write without a tenant")?;
                let own = case.xpm_copy(sync.client, org).await.map(|u| u.to_string());
                let op = e
                    .path
                    .trim_start_matches("/practicemanager/3.1/client.api/");
                let ours = match op {
                    "add" => e.request_body.contains(&code),
                    // An update sends only the fields that differ: it is
                    // ours when it names our client.
                    "update" => own.is_some() && element(&e.request_body, "UUID") == own.as_deref(),
                    "addrelationship" => {
                        own.is_some() && element(&e.request_body, "ClientUUID") == own.as_deref()
                    }
                    "updaterelationship" => {
                        let rel =
                            element(&e.request_body, "UUID").and_then(|u| u.parse::<Uuid>().ok());
                        let state = case
                            .rig
                            .ctl()
                            .org_state(org.into())
                            .map_err(|e| e.to_string())?;
                        rel.and_then(|r| state.org.relationships.get(&r).cloned())
                            .is_some_and(|r| Some(r.client.to_string()) == own)
                    }
                    _ => false,
                };
                if !ours {
                    return Err(format!(
                        "invariant 1: the sync of client {} made a write that is not about it: {}\n{}",
                        sync.n,
                        describe(e),
                        e.request_body
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Invariant 2 (rule 4, one way): PM Hub's clients, associations, types and
/// settings are exactly what PM Hub's own edits made them.
async fn nothing_read_from_xpm_changes_pm_hub<S: Stores + Clone>(
    case: &Case<S>,
) -> Result<(), String> {
    let store = case.rig.store();
    let practice = case.rig.practice;
    let sorted = |mut v: Vec<Client>| {
        v.sort_by_key(|c| c.id);
        v
    };
    let stored = sorted(store.clients(practice).await.map_err(|e| e.to_string())?);
    let expected = sorted(case.model.clients.clone());
    if stored != expected {
        return Err(format!(
            "invariant 2: PM Hub's clients changed without a PM Hub edit:\nstored   {stored:#?}\nexpected {expected:#?}"
        ));
    }
    for client in &case.model.clients {
        let mut stored = store
            .associations_of(practice, client.id)
            .await
            .map_err(|e| e.to_string())?;
        stored.sort_by_key(|a| a.id());
        let mut expected: Vec<_> = case
            .model
            .associations
            .iter()
            .filter(|a| a.client() == client.id)
            .cloned()
            .collect();
        expected.sort_by_key(|a| a.id());
        if stored != expected {
            return Err(format!(
                "invariant 2: the associations of {} changed without a PM Hub edit: {stored:?} != {expected:?}",
                client.id
            ));
        }
    }
    let mut types = store
        .association_types(practice)
        .await
        .map_err(|e| e.to_string())?;
    types.sort_by_key(|t| t.id);
    let mut expected = case.model.types.clone();
    expected.sort_by_key(|t| t.id);
    if types != expected {
        return Err(format!("invariant 2: association types changed: {types:?}"));
    }
    let settings = store.settings(practice).await.map_err(|e| e.to_string())?;
    if settings.mappings() != &case.model.mappings
        || settings.push_options() != domain::settings::PushOptions::default()
    {
        return Err(format!(
            "invariant 2/5: the settings changed without an admin: {settings:?}, expected mappings {:?}",
            case.model.mappings
        ));
    }
    Ok(())
}

/// Invariant 3 (rule 6, and rule 2's "XPM data stays"): no delete or archive
/// call, and every client and relationship ever seen in XPM is still there.
fn no_delete_or_archive_reaches_xpm_and_xpm_data_stays<S>(
    case: &mut Case<S>,
    journal: &[JournalEntry],
) -> Result<(), String> {
    for e in journal.iter().filter(|e| e.path.starts_with(API)) {
        let op = e.path.rsplit('/').next().unwrap_or_default();
        let op = op.split('?').next().unwrap_or_default();
        if e.method == "DELETE" || ["archive", "delete", "deleterelationship"].contains(&op) {
            return Err(format!(
                "invariant 3: a delete or archive reached XPM: {}",
                describe(e)
            ));
        }
    }
    let ctl = case.rig.ctl();
    for org in ctl.orgs() {
        let state = ctl.org_state(org.id).map_err(|e| e.to_string())?;
        for (o, c) in case
            .model
            .xpm_clients_seen
            .iter()
            .filter(|(o, _)| o == org.id.as_uuid())
            .filter(|seen| !case.model.gone_in_xpm.contains(seen))
        {
            match state.org.clients.get(c) {
                Some(client) if !client.deleted && !client.archived => {}
                other => {
                    return Err(format!(
                        "invariant 3: XPM client {c} in {o} is gone or archived: {other:?}"
                    ));
                }
            }
        }
        for (o, r) in case
            .model
            .xpm_relationships_seen
            .iter()
            .filter(|(o, _)| o == org.id.as_uuid())
        {
            if !state.org.relationships.contains_key(r) {
                return Err(format!("invariant 3: XPM relationship {r} in {o} is gone"));
            }
        }
        let live: Vec<_> = state
            .org
            .clients
            .values()
            .filter(|c| !c.deleted && !c.archived)
            .map(|c| (*org.id.as_uuid(), *c.uuid.as_uuid()))
            .collect();
        case.model.xpm_clients_seen.extend(live);
    }
    Ok(())
}

/// Relationships present in XPM but not yet seen.
fn unseen_relationships<S>(case: &Case<S>) -> Result<Vec<(Uuid, xpm_sim::Relationship)>, String> {
    let ctl = case.rig.ctl();
    let mut new = Vec::new();
    for org in ctl.orgs() {
        let state = ctl.org_state(org.id).map_err(|e| e.to_string())?;
        for r in state.org.relationships.values() {
            if !case
                .model
                .xpm_relationships_seen
                .contains(&(org.id.into(), r.uuid))
            {
                new.push((org.id.into(), r.clone()));
            }
        }
    }
    Ok(new)
}

/// Invariant 10 (issue 13): one XPM client holds one PM Hub client. No two
/// PM Hub clients are linked to the same XPM client, or each sync would
/// overwrite the other's values.
async fn never_two_pm_hub_clients_on_one_xpm_client<S: Stores + Clone>(
    case: &Case<S>,
) -> Result<(), String> {
    for org in case.rig.ctl().orgs() {
        let records = case
            .rig
            .store()
            .records_in(
                case.rig.practice,
                domain::ids::XpmTenantId::from_uuid(org.id.into()),
            )
            .await
            .map_err(|e| e.to_string())?;
        let mut holders: BTreeMap<Uuid, Vec<domain::ids::ClientId>> = BTreeMap::new();
        for r in &records {
            holders
                .entry(*r.xpm_client.as_uuid())
                .or_default()
                .push(r.client);
        }
        if let Some((x, clients)) = holders.iter().find(|(_, c)| c.len() > 1) {
            return Err(format!(
                "invariant 10: XPM client {x} in {} is linked to {} PM Hub clients: {clients:?}",
                org.name,
                clients.len()
            ));
        }
    }
    Ok(())
}

/// PM Hub's client a sync step was pressed on, as the model holds it.
fn synced_client<'c, S>(case: &'c Case<S>, sync: &SyncStep) -> Result<&'c Client, String> {
    case.model
        .clients
        .iter()
        .find(|c| c.id == sync.client)
        .ok_or_else(|| "the synced client is not in the model".to_owned())
}

/// Invariant 8 (issue 13): after a sync that completed, XPM shows exactly
/// what PM Hub holds. The client has one live XPM client, whose owned
/// fields equal PM Hub's (cleared means empty); each association the plan
/// synced, or left to the related client's side, has exactly one XPM
/// relationship of its mapped type between the two XPM clients, with PM
/// Hub's terms when this side owns it.
async fn a_complete_sync_leaves_xpm_showing_what_pm_hub_holds<S: Stores + Clone>(
    case: &Case<S>,
    sync: &SyncStep,
) -> Result<(), String> {
    let Some(Ok(outcome)) = sync.results.last() else {
        return Ok(());
    };
    if !outcome.is_complete() {
        return Ok(());
    }
    let Some(org) = sync.before.organisation().map(|o| *o.tenant.as_uuid()) else {
        return Ok(());
    };
    let client = synced_client(case, sync)?;
    let x = case.xpm_copy(sync.client, org).await.ok_or_else(|| {
        format!(
            "invariant 8: client {} synced completely but has no XPM client",
            sync.n
        )
    })?;
    let state = case
        .rig
        .ctl()
        .org_state(org.into())
        .map_err(|e| e.to_string())?;
    let held = state
        .org
        .clients
        .get(x.as_uuid())
        .filter(|c| !c.deleted && !c.archived)
        .ok_or_else(|| {
            format!(
                "invariant 8: client {}'s XPM client {x} is not live in XPM",
                sync.n
            )
        })?;
    let settings = case
        .rig
        .store()
        .settings(case.rig.practice)
        .await
        .map_err(|e| e.to_string())?;
    let payload = ClientPayload::new(&client.details, settings.push_options());
    for field in OwnedField::owned(settings.push_options()) {
        let ours = payload.value(field);
        let theirs = held.field(field.xpm_name());
        if !field.xpm_shows(ours.as_deref(), theirs) {
            return Err(format!(
                "invariant 8: after a complete sync of client {}, XPM's {} is {theirs:?}, PM Hub's is {ours:?}",
                sync.n,
                field.xpm_name()
            ));
        }
    }
    for step in &outcome.plan.relationships {
        let owns_terms = match step {
            RelationshipStep::Skipped {
                reason: SkipReason::AlreadyInXpmFromRelatedClient,
                ..
            } => false,
            RelationshipStep::Skipped { .. } => continue,
            _ => true,
        };
        let Some(a) = case
            .model
            .associations
            .iter()
            .find(|a| a.id() == step.association())
        else {
            continue;
        };
        let Some(spec) = sync
            .mappings
            .get(&a.association_type())
            .and_then(|m| case.rig.app.relationship_types.resolve(m).ok())
        else {
            continue;
        };
        let xpm_type = spec.name.clone();
        let y = case.xpm_copy(a.related(), org).await.ok_or_else(|| {
            format!(
                "invariant 8: association {} synced without its related client in XPM",
                a.id()
            )
        })?;
        let (x, y) = (*x.as_uuid(), *y.as_uuid());
        let between: Vec<_> = state
            .org
            .relationships
            .values()
            .filter(|r| shows_as(r, x, y, &xpm_type))
            .collect();
        if between.len() != 1 {
            return Err(format!(
                "invariant 8: after a complete sync of client {}, XPM holds {} {} relationships for association {}: {between:?}",
                sync.n,
                between.len(),
                xpm_type,
                a.id()
            ));
        }
        let want = RelationshipTerms::new(a.terms());
        let r = between[0];
        let day = |d: &Option<String>| d.as_deref().map(|d| d.chars().take(10).collect::<String>());
        let shown = (
            r.number_of_shares.filter(|_| spec.shares),
            r.percentage
                .as_deref()
                .filter(|_| spec.percentage)
                .map(|p| {
                    domain::association::Percentage::parse(p)
                        .map_or_else(|_| p.to_owned(), |p| p.to_string())
                }),
            day(&r.start_date),
            day(&r.end_date),
        );
        let wanted = (
            want.shares.map(|s| i64::from(s.get())),
            want.percentage.map(|p| p.to_string()),
            want.start_date.map(|d| d.to_string()),
            want.end_date.map(|d| d.to_string()),
        );
        if owns_terms && shown != wanted {
            return Err(format!(
                "invariant 8: after a complete sync of client {}, the XPM relationship for association {} has terms {shown:?}, PM Hub's are {wanted:?}",
                sync.n,
                a.id()
            ));
        }
    }
    Ok(())
}

/// Invariant 9 (issue 13): a sync creates a client in XPM only when no XPM
/// client looked like it (by name, email, business or company number,
/// client code, or a person's name and birth date), unless a person chose "create".
async fn no_client_is_created_beside_a_look_alike_unless_a_person_chose_to<S: Stores + Clone>(
    case: &Case<S>,
    sync: &SyncStep,
) -> Result<(), String> {
    let Some(Ok(first)) = sync.results.first() else {
        return Ok(());
    };
    if !matches!(first.plan.client, ClientStep::Create { .. }) {
        return Ok(());
    }
    let client = synced_client(case, sync)?;
    if let Some(l) = sync
        .xpm_before
        .iter()
        .find(|l| !l.matches(client).is_empty())
    {
        return Err(format!(
            "invariant 9: client {} was created in XPM without asking, though {} ({:?}) looked like it on {:?}",
            sync.n,
            l.xpm_client,
            l.name,
            l.matches(client)
        ));
    }
    Ok(())
}

fn remember_xpm_relationships<S>(case: &mut Case<S>) -> Result<(), String> {
    let new = unseen_relationships(case)?;
    case.model
        .xpm_relationships_seen
        .extend(new.iter().map(|(o, r)| (*o, r.uuid)));
    Ok(())
}

/// Invariant 4's premise: only a sync makes relationships in XPM, besides
/// a person working in XPM directly.
fn relationships_appear_only_in_a_sync<S>(case: &Case<S>, step: &Step) -> Result<(), String> {
    if matches!(step, Step::Sync(_) | Step::InXpm) {
        return Ok(());
    }
    match unseen_relationships(case)?.first() {
        Some((org, r)) => Err(format!(
            "invariant 4: relationship {r:?} appeared in {org} outside a sync"
        )),
        None => Ok(()),
    }
}

/// Invariant 4 (rule 5): every relationship a sync made in XPM comes from
/// one of that client's associations whose type was mapped, at that sync, to
/// the type XPM shows; every skip the plan made is in the activity log.
async fn relationships_trace_to_mapped_associations_and_skips_are_logged<S: Stores + Clone>(
    case: &mut Case<S>,
    sync: &SyncStep,
) -> Result<(), String> {
    let new = unseen_relationships(case)?;
    for (org, r) in &new {
        let own = case.xpm_copy(sync.client, *org).await.map(|u| *u.as_uuid());
        let mut traced = false;
        for a in case
            .model
            .associations
            .iter()
            .filter(|a| a.client() == sync.client)
        {
            let related = case.xpm_copy(a.related(), *org).await.map(|u| *u.as_uuid());
            let mapped = sync.mappings.get(&a.association_type());
            if own == Some(r.client)
                && related == Some(r.related)
                && mapped.is_some_and(|t| t.xpm_name().eq_ignore_ascii_case(&r.kind))
            {
                traced = true;
            }
        }
        if !traced {
            return Err(format!(
                "invariant 4: the sync of client {} made relationship {r:?} in XPM, which no mapped association of that client explains (mappings {:?})",
                sync.n, sync.mappings
            ));
        }
    }
    let logged = read_all(case).await?;
    for outcome in sync.results.iter().flatten() {
        for step in &outcome.plan.relationships {
            let association = step.association();
            let type_mapped = case
                .model
                .associations
                .iter()
                .find(|a| a.id() == association)
                .is_some_and(|a| {
                    sync.mappings
                        .get(&a.association_type())
                        .is_some_and(|m| case.rig.app.relationship_types.resolve(m).is_ok())
                });
            if !type_mapped
                && matches!(
                    step,
                    RelationshipStep::Add { .. } | RelationshipStep::Update { .. }
                )
            {
                return Err(format!(
                    "invariant 4: the plan writes association {association} whose type is not mapped: {step:?}"
                ));
            }
        }
        let stopped_early = outcome.plan.client.awaits_a_person()
            || outcome.entries.iter().any(|e| {
                matches!(
                    &e.kind,
                    ActivityKind::OperationNotAttempted { .. }
                        | ActivityKind::OperationFailed {
                            operation: domain::activity::Operation::CreateClient,
                            ..
                        }
                )
            });
        if stopped_early {
            continue;
        }
        for step in &outcome.plan.relationships {
            if let RelationshipStep::Skipped {
                association,
                reason,
            } = step
            {
                let found = logged.iter().any(|e| {
                    e.client == Some(sync.client)
                        && matches!(&e.kind, ActivityKind::RelationshipSkipped { association: a, reason: r } if a == association && r == reason)
                });
                if !found {
                    return Err(format!(
                        "invariant 4: association {association} was skipped ({reason}) but the activity log does not say so"
                    ));
                }
            }
        }
        // An association whose type is unmapped is never silently left out.
        for a in case
            .model
            .associations
            .iter()
            .filter(|a| a.client() == sync.client)
        {
            if !sync.mappings.contains_key(&a.association_type())
                && !outcome
                    .plan
                    .relationships
                    .iter()
                    .any(|s| s.association() == a.id())
            {
                return Err(format!(
                    "invariant 4: unmapped association {} is neither synced nor skipped with a reason",
                    a.id()
                ));
            }
        }
    }
    Ok(())
}

/// Invariant 6 (rule 2): when not connected (after Disconnect, before
/// Connect, or once expiry or revocation is known), a sync is refused with
/// a clear error and calls nothing at all.
fn sync_after_disconnect_is_refused_without_a_call(
    sync: &SyncStep,
    journal: &[JournalEntry],
) -> Result<(), String> {
    if matches!(sync.before, ConnectionState::Connected { .. }) {
        return Ok(());
    }
    match sync.results.as_slice() {
        [Err(err)] if is_not_connected(err) => {}
        other => {
            return Err(format!(
                "invariant 6: a sync while {:?} was not refused as not connected: {other:?}",
                sync.before.status()
            ));
        }
    }
    if let Some(e) = journal.first() {
        return Err(format!(
            "invariant 6: a refused sync still called Xero or XPM: {}",
            describe(e)
        ));
    }
    Ok(())
}

async fn read_all<S: Stores + Clone>(case: &Case<S>) -> Result<Vec<ActivityEntry>, String> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = case
            .rig
            .store()
            .read(
                case.rig.practice,
                &ActivityFilter::default(),
                ActivityPage { after, limit: 500 },
            )
            .await
            .map_err(|e| e.to_string())?;
        let done = page.len() < 500;
        after = page.last().map(|e| e.id);
        all.extend(page);
        if done {
            return Ok(all);
        }
    }
}

/// Invariant 6's second half: the activity log only grows; every entry
/// read before is still there, unchanged (across Disconnect and Reconnect too).
/// Also: outside a sync, nothing is logged as synced, pushed or skipped
/// (a preview writes nothing; Reconnect syncs nothing).
async fn the_activity_log_keeps_every_entry<S: Stores + Clone>(
    case: &mut Case<S>,
    step: &Step,
) -> Result<(), String> {
    let now = read_all(case).await?;
    let by_id: BTreeMap<_, _> = now.iter().map(|e| (e.id, e)).collect();
    if !matches!(step, Step::Sync(_)) {
        let known: std::collections::BTreeSet<_> =
            case.model.activity.iter().map(|e| e.id).collect();
        if let Some(e) = now
            .iter()
            .filter(|e| !known.contains(&e.id))
            .find(|e| e.client.is_some() && e.kind.code() != "client_unlinked")
        {
            return Err(format!(
                "invariants 1/5: {:?} was logged outside a sync: {e:?}",
                e.kind.code()
            ));
        }
    }
    for old in &case.model.activity {
        if by_id.get(&old.id) != Some(&old) {
            return Err(format!(
                "invariant 6: activity entry {} is gone or changed",
                old.id
            ));
        }
    }
    case.model.activity = now;
    Ok(())
}

/// Invariant 7: never two XPM clients for one PM Hub client in one
/// organisation, whatever faults happened (the client code marks each copy).
fn never_two_xpm_clients_for_one_pm_hub_client<S>(case: &Case<S>) -> Result<(), String> {
    let ctl = case.rig.ctl();
    for org in ctl.orgs() {
        let clients = ctl.clients(org.id).map_err(|e| e.to_string())?;
        let mut copies: BTreeMap<&str, Vec<Uuid>> = BTreeMap::new();
        // An archived copy is one a person took out of use: a second one
        // made after it, by a person's choice, is not a duplicate.
        // Nor is one made after a person unlinked the first.
        for c in clients.iter().filter(|c| {
            !c.archived
                && !case
                    .model
                    .unlinked_in_pm_hub
                    .contains(&(org.id.into(), c.uuid.into()))
        }) {
            if let Some(code) = c.field("ClientCode").filter(|c| c.starts_with("PMH-")) {
                copies.entry(code).or_default().push(c.uuid.into());
            }
        }
        if let Some((code, uuids)) = copies.iter().find(|(_, u)| u.len() > 1) {
            return Err(format!(
                "invariant 7: PM Hub client {code} has {} copies in XPM organisation {}: {uuids:?}",
                uuids.len(),
                org.name
            ));
        }
    }
    Ok(())
}

/// Whether XPM's relationship `r` shows on client `x` as `xpm_type` towards
/// `y`: added on `x` with that type, or added on `y` with a type XPM labels
/// so on the related client ("Child Of" shows as "Parent Of").
/// Invariant 11 (issue 14): a relationship is written only as a structure
/// XPM records: its association's mapping names a type in XPM's list (an old
/// mapping such as "Appointor" is skipped, saying so), and its terms are ones
/// XPM keeps on that type (shares on Shareholder and Owner, a percentage on
/// Partner). Anything else is skipped with the reason, never trimmed.
fn only_structures_xpm_records_are_written<S>(
    case: &Case<S>,
    sync: &SyncStep,
) -> Result<(), String> {
    let types = &case.rig.app.relationship_types;
    for outcome in sync.results.iter().flatten() {
        for step in &outcome.plan.relationships {
            let Some(a) = case
                .model
                .associations
                .iter()
                .find(|a| a.id() == step.association())
            else {
                continue;
            };
            let Some(mapped) = sync.mappings.get(&a.association_type()) else {
                continue;
            };
            let why_not = match types.resolve(mapped) {
                Err(_) => Some("its mapping names a type XPM does not have"),
                Ok(t) if a.terms().shares.is_some() && !t.shares => {
                    Some("it has shares, which XPM does not record on its type")
                }
                Ok(t) if a.terms().percentage.is_some() && !t.percentage => {
                    Some("it has a percentage, which XPM does not record on its type")
                }
                Ok(_) => None,
            };
            let Some(why_not) = why_not else { continue };
            match step {
                RelationshipStep::Skipped { reason, .. }
                    if reason.to_string().contains(mapped.xpm_name())
                        || matches!(
                            reason,
                            SkipReason::RelatedClientNotInXpm { .. }
                                | SkipReason::RelatedClientInactive { .. }
                                | SkipReason::RelatedClientMissing { .. }
                                | SkipReason::ClientHasNoBusinessStructure
                                | SkipReason::RelatedClientHasNoBusinessStructure { .. }
                                | SkipReason::DuplicateOfAnotherAssociation { .. }
                        ) => {}
                RelationshipStep::Skipped { reason, .. } => {
                    return Err(format!(
                        "invariant 11: association {} ({why_not}: {mapped}, {:?}) was skipped for another reason: {reason}",
                        a.id(),
                        a.terms()
                    ));
                }
                other => {
                    return Err(format!(
                        "invariant 11: association {} ({why_not}: {mapped}, {:?}) was planned as {other:?}",
                        a.id(),
                        a.terms()
                    ));
                }
            }
        }
    }
    Ok(())
}

pub fn shows_as(
    r: &xpm_sim::Relationship,
    x: Uuid,
    y: Uuid,
    xpm_type: &XpmRelationshipType,
) -> bool {
    use xpm_sim::seen_from_related;
    (r.client == x && r.related == y && xpm_type.is_named(&r.kind))
        || (r.client == y && r.related == x && xpm_type.is_named(seen_from_related(&r.kind)))
}
