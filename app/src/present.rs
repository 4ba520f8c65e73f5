//! How domain values read to people, in the FAQ's words: shared by the API,
//! the pages and the CSV export so that all three say the same thing.

use domain::activity::{ActivityEntry, ActivityKind, Actor, Operation};
use domain::ids::AssociationId;
use domain::sync::{ClientStep, RelationshipStep};
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
        ActivityKind::ClientRecovered { xpm_client, .. } => format!(
            "An interrupted create had made XPM client {xpm_client}: linked to it, no duplicate"
        ),
        ActivityKind::ClientUpdated { fields, .. } => {
            format!("Client updated in XPM: {}", fields.join(", "))
        }
        ActivityKind::ClientUnchanged { .. } => {
            "Client unchanged since the last push: nothing written".into()
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
        ClientStep::Link { xpm_client, .. } => {
            format!("Link to XPM client {xpm_client}, then update it")
        }
        ClientStep::Recover { xpm_client, .. } => {
            format!("Adopt XPM client {xpm_client}, made by an interrupted create")
        }
        ClientStep::Update { changed_fields, .. } => {
            format!("Update the XPM client: {}", changed_fields.join(", "))
        }
        ClientStep::Unchanged { .. } => "Nothing to write: unchanged since the last push".into(),
        ClientStep::NeedsDecision { look_alikes } => format!(
            "XPM already holds {} client(s) like this one: choose to link to one, or create a new one",
            look_alikes.len()
        ),
    }
}

pub fn relationship_step(step: &RelationshipStep) -> String {
    match step {
        RelationshipStep::Add { xpm_type, .. } => format!("Add as {xpm_type}"),
        RelationshipStep::Update { .. } => "Update shares, percentage or start date".into(),
        RelationshipStep::Unchanged { .. } => "Unchanged".into(),
        RelationshipStep::Adopt { pushed, .. } => format!(
            "Record {} found in XPM after an interrupted add",
            pushed.xpm_type
        ),
        RelationshipStep::Skipped { reason, .. } => format!("Skipped: {reason}"),
    }
}
