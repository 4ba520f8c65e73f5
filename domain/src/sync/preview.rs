//! The preview's fields: for each XPM client field PM Hub owns, PM Hub's
//! value, what the last Sync left in XPM, what XPM holds now, and whether a
//! Sync overwrites it. A Sync writes exactly the fields of the plan's
//! `changes()` (PM Hub's value, or a clear when PM Hub holds none), whether
//! they changed in PM Hub or directly in XPM; a create writes every field
//! PM Hub holds a value for. Tax numbers are masked as XPM shows them.
//! Built once here, so the API's JSON and the client page show the same.

use crate::sync::{ClientPayload, ClientStep, FieldChange, OwnedField};

/// One owned field of the preview; values as a person may see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewField {
    pub field: OwnedField,
    pub pm_hub: Option<String>,
    /// What the last Sync left in XPM, if this client was synced before.
    pub last_pushed: Option<String>,
    /// XPM's value now; `None` when empty or not read (no XPM client yet).
    pub xpm_now: Option<String>,
    /// The Sync overwrites XPM's value with PM Hub's (clears it when PM Hub holds none).
    pub will_write: bool,
    /// XPM's value differs from what the last Sync left there: someone
    /// changed it directly in XPM (a Sync puts PM Hub's value back).
    pub changed_in_xpm: bool,
}

impl PreviewField {
    /// XPM's element name, e.g. `Email`.
    pub fn name(&self) -> &'static str {
        self.field.xpm_name()
    }

    /// Whether the Sync empties the field in XPM.
    pub fn clears(&self) -> bool {
        self.will_write && self.pm_hub.is_none()
    }

    /// The write the Sync makes to this field, XPM now -> PM Hub, if any.
    pub fn change(&self) -> Option<FieldChange> {
        self.will_write.then(|| FieldChange {
            field: self.field,
            xpm_now: self.xpm_now.clone(),
            pm_hub: self.pm_hub.clone(),
        })
    }
}

/// What the preview compares: PM Hub's payload, the last push, and XPM's
/// current fields (`None` when there is no XPM client to read yet).
#[derive(Debug, Clone, Copy)]
pub struct PreviewInput<'a> {
    pub step: &'a ClientStep,
    pub owned: &'a [OwnedField],
    pub payload: &'a ClientPayload,
    pub last_pushed: Option<&'a ClientPayload>,
    pub xpm_now: Option<&'a [(String, String)]>,
}

fn blank(v: Option<String>) -> Option<String> {
    v.filter(|v| !v.trim().is_empty())
}

fn mask(field: OwnedField, v: Option<String>) -> Option<String> {
    FieldChange {
        field,
        xpm_now: v,
        pm_hub: None,
    }
    .masked()
    .xpm_now
}

/// The rows of the preview: every owned field that PM Hub, XPM or the last
/// push holds a value for, or that the Sync writes (a tax number the
/// practice keeps out of XPM is not owned).
pub fn preview_fields(input: PreviewInput<'_>) -> Vec<PreviewField> {
    let changes = input.step.changes();
    input
        .owned
        .iter()
        .copied()
        .filter_map(|field| {
            let pm_hub = blank(input.payload.value(field));
            let xpm_now = input.xpm_now.and_then(|fields| {
                blank(
                    fields
                        .iter()
                        .find(|(name, _)| name == field.xpm_name())
                        .map(|(_, v)| v.clone()),
                )
            });
            let last_pushed = input.last_pushed.and_then(|p| blank(p.value(field)));
            let will_write = match input.step {
                ClientStep::Create { .. } => pm_hub.is_some(),
                _ => changes.iter().any(|c| c.field == field),
            };
            let changed_in_xpm = input.last_pushed.is_some()
                && input.xpm_now.is_some()
                && !field.xpm_shows(last_pushed.as_deref(), xpm_now.as_deref());
            let shown = pm_hub.is_some() || xpm_now.is_some() || last_pushed.is_some();
            (shown || will_write).then(|| PreviewField {
                field,
                pm_hub: mask(field, pm_hub),
                last_pushed: mask(field, last_pushed),
                xpm_now: mask(field, xpm_now),
                will_write,
                changed_in_xpm,
            })
        })
        .collect()
}
