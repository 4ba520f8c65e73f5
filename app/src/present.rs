//! How domain values read to people, in the FAQ's words: shared by the API,
//! the pages and the CSV export so that all three say the same thing.

use domain::activity::{ActivityEntry, ActivityKind, Actor, Operation};
use domain::ids::AssociationId;
use domain::sync::{
    ClientIdPlan, ClientStep, FieldChange, GoneReason, LookAlike, MatchKey, RelationshipStep,
};
use domain::usecases::SyncOutcome;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// For machines (API, CSV): RFC 3339.
pub fn timestamp(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// For people (pages): to the second, in UTC.
pub fn when(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.format(time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
    ))
    .unwrap_or_else(|_| timestamp(at))
}

/// How an association is named in a sentence: by its clients and type where
/// the page knows them, by its id otherwise (e.g. it was removed since).
pub type NameAssociation<'a> = &'a dyn Fn(AssociationId) -> String;

pub fn by_id(association: AssociationId) -> String {
    format!("association {association}")
}

pub fn operation(op: &Operation, name: NameAssociation<'_>) -> String {
    match op {
        Operation::CreateClient => "create the client in XPM".into(),
        Operation::UpdateClient => "update the client in XPM".into(),
        Operation::LinkClient => "update the linked XPM client".into(),
        Operation::AddRelationship(a) => format!("add the relationship of {}", name(*a)),
        Operation::UpdateRelationship(a) => format!("update the relationship of {}", name(*a)),
        Operation::WriteClientId => "write PM Hub's id to XPM's custom field".into(),
    }
}

pub fn actor(actor: &Actor) -> String {
    match actor {
        Actor::User(u) => format!("user {u}"),
        Actor::Xero => "Xero".into(),
    }
}

/// One sentence per entry, associations named by id.
pub fn describe(kind: &ActivityKind) -> String {
    describe_named(kind, &by_id)
}

/// One sentence per entry.
pub fn describe_named(kind: &ActivityKind, name: NameAssociation<'_>) -> String {
    match kind {
        ActivityKind::Connected { organisation } => {
            format!("Connected to XPM organisation {}", organisation.name)
        }
        ActivityKind::Reconnected {
            organisation,
            previous,
            changed_organisation,
        } => match (changed_organisation, previous) {
            (true, Some(p)) => format!(
                "Reconnected to a different XPM organisation, {} (was {}): clients synced to {} are not in it",
                organisation.name, p.name, p.name
            ),
            _ => format!(
                "Reconnected to XPM organisation {}; Connected Since refreshed; nothing was synced",
                organisation.name
            ),
        },
        ActivityKind::OrganisationNamed {
            organisation,
            previous_name,
        } => format!(
            "Named the XPM organisation {} (was {previous_name})",
            organisation.name
        ),
        ActivityKind::AuthorisationExpired { problem } => {
            format!("The XPM authorisation expired: {}", problem.as_str())
        }
        ActivityKind::AccessRevoked { problem } => {
            format!("Access to XPM was revoked: {}", problem.as_str())
        }
        ActivityKind::Disconnected { organisation } => format!(
            "Disconnected from XPM organisation {}; its data stays in XPM",
            organisation.name
        ),
        ActivityKind::AuthorisationFailed { problem } => {
            format!("Xero's login did not connect: {}", problem.as_str())
        }
        ActivityKind::MappingChanged {
            association_type,
            from,
            to,
        } => match (from, to) {
            (_, Some(to)) => format!(
                "Association type {association_type} now syncs as XPM relationship type {to}"
            ),
            (Some(from), None) => format!(
                "Association type {association_type} is no longer mapped (was {from}); it will not sync"
            ),
            (None, None) => format!("Association type {association_type} left unmapped"),
        },
        ActivityKind::PushOptionsChanged => "Push options changed".into(),
        ActivityKind::ClientIdFieldChanged { from, to } => match (from, to) {
            (None, Some(to)) => format!(
                "PM Hub's client id is now kept in XPM's custom field '{to}': each Sync that creates or links a client writes it there"
            ),
            (Some(from), Some(to)) => format!(
                "PM Hub's client id is now kept in XPM's custom field '{to}' (was '{from}')"
            ),
            (Some(from), None) => format!(
                "PM Hub's client id is no longer kept in an XPM custom field (was '{from}'); the ids written stay in XPM"
            ),
            (None, None) => "PM Hub's client id is kept in no XPM custom field".into(),
        },
        ActivityKind::SyncRefused { reason } => format!("Sync refused: {reason}"),
        ActivityKind::ClientCreated {
            xpm_client,
            passed_over,
            ..
        } if passed_over.is_empty() => format!("Client created in XPM ({xpm_client})"),
        ActivityKind::ClientCreated {
            xpm_client,
            passed_over,
            ..
        } => format!(
            "Client created in XPM ({xpm_client}) by choice, although {} look-alike client(s) were there",
            passed_over.len()
        ),
        ActivityKind::ClientLinked { xpm_client, .. } => {
            format!("Client linked to the existing XPM client {xpm_client}")
        }
        ActivityKind::ClientRecovered {
            xpm_client,
            by_id_field: Some(field),
            ..
        } => format!(
            "XPM client {xpm_client} holds this client's PM Hub id in XPM's custom field '{field}': linked to it, whatever its name in XPM, no duplicate"
        ),
        ActivityKind::ClientRecovered { xpm_client, .. } => format!(
            "An interrupted create had made XPM client {xpm_client}: linked to it, no duplicate"
        ),
        ActivityKind::ClientIdWritten { field_name, .. } => {
            format!("PM Hub's id written to XPM's custom field '{field_name}'")
        }
        // Entries written before old values were recorded name the fields only.
        ActivityKind::ClientUpdated {
            fields, changes, ..
        } if changes.is_empty() => format!("Client updated in XPM: {}", fields.join(", ")),
        ActivityKind::ClientUpdated { changes, .. } => {
            format!("Client updated in XPM: {}", field_changes(changes))
        }
        ActivityKind::ClientGoneFromXpm {
            xpm_client, reason, ..
        } => format!(
            "{}; nothing was written. Sync with a choice: create it again in XPM, link it to another XPM client, or unlink it",
            gone(*xpm_client, *reason)
        ),
        ActivityKind::ClientUnlinked { xpm_client, .. } => format!(
            "Unlinked from XPM client {xpm_client}; nothing was changed in XPM, and the next Sync asks to link or create"
        ),
        ActivityKind::ClientUnchanged { .. } => {
            "XPM already shows PM Hub's values for this client: nothing written".into()
        }
        ActivityKind::RelationshipAdded {
            association,
            xpm_type,
            ..
        } => format!(
            "Relationship added in XPM as {xpm_type} ({})",
            name(*association)
        ),
        ActivityKind::RelationshipUpdated { association, .. } => {
            format!("Relationship updated in XPM ({})", name(*association))
        }
        ActivityKind::RelationshipAdopted {
            association,
            xpm_type,
            ..
        } => format!(
            "Relationship already in XPM as {xpm_type}, with PM Hub's terms: recorded, nothing written ({})",
            name(*association)
        ),
        ActivityKind::RelationshipUnchanged { association } => {
            format!("Relationship unchanged ({})", name(*association))
        }
        ActivityKind::RelationshipSkipped {
            association,
            reason,
        } => format!("Relationship skipped ({}): {reason}", name(*association)),
        ActivityKind::OperationFailed {
            operation: op,
            cause,
        } => format!("Could not {}: {cause}", operation(op, name)),
        ActivityKind::OperationNotAttempted { operation: op } => format!(
            "Did not {}: an earlier failure stopped the sync",
            operation(op, name)
        ),
    }
}

/// Whether an entry reports a failure (for styling and results).
pub fn is_failure(kind: &ActivityKind) -> bool {
    matches!(
        kind,
        ActivityKind::OperationFailed { .. }
            | ActivityKind::OperationNotAttempted { .. }
            | ActivityKind::SyncRefused { .. }
            | ActivityKind::AuthorisationFailed { .. }
            | ActivityKind::AuthorisationExpired { .. }
            | ActivityKind::AccessRevoked { .. }
    )
}

pub fn entry_line(entry: &ActivityEntry) -> String {
    format!("{} {}", timestamp(entry.at), describe(&entry.kind))
}

pub fn client_step(step: &ClientStep) -> String {
    match step {
        ClientStep::Create { .. } => "Create the client in XPM".into(),
        ClientStep::Link {
            xpm_client,
            changes,
            ..
        } if changes.is_empty() => {
            format!("Link to XPM client {xpm_client}; it already shows PM Hub's values")
        }
        ClientStep::Link {
            xpm_client,
            changes,
            ..
        } => format!(
            "Link to XPM client {xpm_client}, then write PM Hub's values: {}",
            field_changes(changes)
        ),
        ClientStep::Recover {
            xpm_client,
            changes,
            ..
        } if changes.is_empty() => {
            format!(
                "Adopt XPM client {xpm_client}, this client's own (made by an interrupted create, or holding its PM Hub id)"
            )
        }
        ClientStep::Recover {
            xpm_client,
            changes,
            ..
        } => format!(
            "Adopt XPM client {xpm_client}, this client's own (made by an interrupted create, or holding its PM Hub id), then write PM Hub's values: {}",
            field_changes(changes)
        ),
        ClientStep::Update { changes, .. } => {
            format!("Update the XPM client: {}", field_changes(changes))
        }
        ClientStep::Unchanged { .. } => {
            "Nothing to write: the XPM client already shows PM Hub's values".into()
        }
        ClientStep::NeedsDecision { look_alikes } => format!(
            "XPM already holds {} client(s) like this one: choose to link to one, or create a new one",
            look_alikes.len()
        ),
        ClientStep::GoneFromXpm {
            xpm_client, reason, ..
        } => format!(
            "{}. Nothing will be written until you choose: create it again in XPM, link it to another XPM client, or unlink it",
            gone(*xpm_client, *reason)
        ),
    }
}

/// What the Sync does with the custom field where PM Hub's id is kept, in
/// words; `None` when it does nothing with it.
pub fn client_id_plan(plan: &ClientIdPlan) -> Option<String> {
    match (plan.found_by_id, plan.write) {
        (true, _) => Some(format!(
            "Found in XPM by this client's PM Hub id in the custom field '{}'",
            plan.field_name
        )),
        (false, true) => Some(format!(
            "Write PM Hub's id to XPM's custom field '{}'",
            plan.field_name
        )),
        (false, false) => None,
    }
}

/// "holds the PM Hub id of another client (…)": a look-alike that is another's.
pub fn belongs_to_another(l: &LookAlike, client: &domain::client::Client) -> Option<String> {
    l.holds_id_of_another(client.id).map(|other| {
        format!("XPM's custom field holds the PM Hub id of another client ({other}): it is that client's")
    })
}

/// "The linked XPM client … was deleted (or merged into another client) in XPM".
pub fn gone(xpm_client: domain::ids::XpmClientUuid, reason: GoneReason) -> String {
    match reason {
        GoneReason::DeletedOrMerged => format!(
            "The linked XPM client {xpm_client} was deleted or merged into another client in XPM"
        ),
        GoneReason::Archived => format!("The linked XPM client {xpm_client} is archived in XPM"),
    }
}

/// A stable code for the reason, for machines.
pub const fn gone_code(reason: GoneReason) -> &'static str {
    match reason {
        GoneReason::DeletedOrMerged => "deleted_or_merged",
        GoneReason::Archived => "archived",
    }
}

/// A stable code for what a sync does with the client itself, for machines.
pub const fn client_step_code(step: &ClientStep) -> &'static str {
    match step {
        ClientStep::Create { .. } => "create",
        ClientStep::Link { .. } => "link",
        ClientStep::Recover { .. } => "recover",
        ClientStep::Update { .. } => "update",
        ClientStep::Unchanged { .. } => "unchanged",
        ClientStep::NeedsDecision { .. } => "needs_decision",
        ClientStep::GoneFromXpm { .. } => "gone_from_xpm",
    }
}

/// A value as a person reads it in a change: empty ones said in words.
fn value_or(value: Option<&str>, empty: &str) -> String {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map_or_else(|| empty.to_owned(), str::to_owned)
}

/// "old@x -> new@x", "empty -> new@x", "old@x -> cleared"; tax numbers masked.
pub fn change_values(change: &FieldChange) -> String {
    let c = change.masked();
    format!(
        "{} -> {}",
        value_or(c.xpm_now.as_deref(), "empty"),
        value_or(c.pm_hub.as_deref(), "cleared")
    )
}

/// "Email (old@x -> cleared), Phone (empty -> 09 555 0100)".
pub fn field_changes(changes: &[FieldChange]) -> String {
    changes
        .iter()
        .map(|c| format!("{} ({})", c.field.xpm_name(), change_values(c)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "same name, same business number".
pub fn match_keys(keys: &[MatchKey]) -> String {
    keys.iter()
        .map(|k| k.describe())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The look-alikes a person chooses from (a first sync, or a linked client gone from XPM).
pub fn look_alikes(step: &ClientStep) -> &[LookAlike] {
    match step {
        ClientStep::NeedsDecision { look_alikes } | ClientStep::GoneFromXpm { look_alikes, .. } => {
            look_alikes
        }
        _ => &[],
    }
}

pub fn relationship_step(step: &RelationshipStep) -> String {
    match step {
        RelationshipStep::Add { xpm_type, .. } => format!("Add as {xpm_type}"),
        RelationshipStep::Update { terms, .. } => format!(
            "Update its terms in XPM to PM Hub's: {}",
            relationship_terms(terms)
        ),
        RelationshipStep::Unchanged { .. } => "Unchanged".into(),
        RelationshipStep::Adopt { pushed, .. } => format!(
            "Record the {} relationship already in XPM with PM Hub's terms; nothing written",
            pushed.xpm_type
        ),
        RelationshipStep::Skipped { reason, .. } => format!("Skipped: {reason}"),
    }
}

/// "shares 600, 60%, from 2020-07-01 to 2024-06-30"; "no shares, percentage or dates".
pub fn relationship_terms(terms: &domain::sync::RelationshipTerms) -> String {
    let mut parts = Vec::new();
    if let Some(s) = terms.shares {
        parts.push(format!("shares {}", s.get()));
    }
    if let Some(p) = terms.percentage {
        parts.push(format!("{p}%"));
    }
    match (terms.start_date, terms.end_date) {
        (Some(start), Some(end)) => parts.push(format!("from {start} to {end}")),
        (Some(start), None) => parts.push(format!("from {start}")),
        (None, Some(end)) => parts.push(format!("until {end}")),
        (None, None) => {}
    }
    if parts.is_empty() {
        "no shares, percentage or dates".into()
    } else {
        parts.join(", ")
    }
}

/// What is left of XPM's daily allowance, in words: "4,321 (as XPM last
/// said)" or "none: it resets in 3 h 20 min".
pub fn allowance(a: &domain::ports::XpmAllowance) -> String {
    match (a.day_remaining, a.resets_in_secs) {
        (0, Some(s)) => format!(
            "none: XPM's daily allowance for this organisation resets in {}; Syncs are refused until then",
            domain::ports::in_words(s)
        ),
        (n, _) => format!("{} (as XPM last said; each Sync costs a few)", thousands(n)),
    }
}

fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A client status as the API and the pages name it.
pub fn status_name(status: domain::client::ClientStatus) -> &'static str {
    match status {
        domain::client::ClientStatus::Active => "active",
        domain::client::ClientStatus::Deactivated => "deactivated",
        domain::client::ClientStatus::Deleted => "deleted",
    }
}

/// The outcome's status code and sentence (shared with the page).
pub fn outcome_status(o: &SyncOutcome) -> (&'static str, String) {
    match &o.plan.client {
        ClientStep::GoneFromXpm {
            xpm_client, reason, ..
        } => (
            "gone_from_xpm",
            format!(
                "{}. Nothing was written. Choose: create it again in XPM, link it to another XPM client, or unlink it.",
                gone(*xpm_client, *reason)
            ),
        ),
        ClientStep::NeedsDecision { .. } => (
            "needs_decision",
            "XPM already holds clients like this one. Nothing was written: choose to link to one, or create a new one.".into(),
        ),
        _ if o.is_complete() => ("complete", "Synced.".into()),
        _ => (
            "incomplete",
            "Not everything was done: see the operations.".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::sync::OwnedField;

    #[test]
    fn an_update_names_each_field_with_its_old_and_new_value_and_masks_tax_numbers() {
        let changes = vec![
            FieldChange {
                field: OwnedField::Email,
                xpm_now: Some("old@x.test".into()),
                pm_hub: None,
            },
            FieldChange {
                field: OwnedField::Phone,
                xpm_now: None,
                pm_hub: Some("09 555 0100".into()),
            },
            FieldChange {
                field: OwnedField::TaxNumber,
                xpm_now: Some("******111".into()),
                pm_hub: Some("123456782".into()),
            },
        ];
        assert_eq!(
            field_changes(&changes),
            "Email (old@x.test -> cleared), Phone (empty -> 09 555 0100), TaxNumber (******111 -> ******782)"
        );
    }

    #[test]
    fn the_allowance_reads_in_words() {
        use domain::ports::XpmAllowance;
        assert_eq!(
            allowance(&XpmAllowance {
                day_remaining: 4321,
                resets_in_secs: None
            }),
            "4,321 (as XPM last said; each Sync costs a few)"
        );
        assert!(
            allowance(&XpmAllowance {
                day_remaining: 0,
                resets_in_secs: Some(3 * 3600 + 20 * 60)
            })
            .contains("resets in 3 h 20 min")
        );
    }
}
