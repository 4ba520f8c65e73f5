//! The preview's field-by-field view: PM Hub's value, what XPM holds now,
//! and whether a Sync writes it; a field someone changed directly in XPM
//! since the last push is flagged. Values read from XPM are only shown.

use serde::Serialize;

use crate::text::TaxNumber;

/// One field of the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldComparison {
    /// XPM's name for the field.
    pub field: String,
    pub pm_hub: Option<String>,
    pub last_pushed: Option<String>,
    pub xpm_now: Option<String>,
    pub will_write: bool,
    pub changed_in_xpm: bool,
}

/// `(XPM field name, value)` pairs, as the XPM adapter renders a client.
pub type Fields = [(String, String)];

fn get<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(f, _)| f == name)
        .map(|(_, v)| v.as_str())
}

/// Whether XPM's current value is what was pushed, allowing for the forms
/// XPM answers in: tax numbers masked to their last digits, dates with a
/// midnight time, Yes/No in any case.
fn same_as_pushed(field: &str, pushed: &str, xpm: &str) -> bool {
    let (pushed, xpm) = (pushed.trim(), xpm.trim());
    if field == TaxNumber::FIELD
        && let Ok(tax) = TaxNumber::new(pushed)
    {
        return tax.is_consistent_with_xpm_value(xpm);
    }
    let date = |s: &'_ str| -> String { s.strip_suffix("T00:00:00").unwrap_or(s).to_owned() };
    pushed == xpm
        || date(pushed) == date(xpm)
        || pushed.eq_ignore_ascii_case(xpm)
            && ["yes", "no"].contains(&pushed.to_lowercase().as_str())
}

/// Compares the fields a Sync would push now with what was last pushed and
/// what XPM holds now. `client_written` says whether the plan writes the client.
pub fn compare_fields(
    now: &Fields,
    last_pushed: Option<&Fields>,
    xpm_now: Option<&Fields>,
    client_written: bool,
) -> Vec<FieldComparison> {
    let mut names: Vec<&str> = now.iter().map(|(f, _)| f.as_str()).collect();
    for (f, _) in last_pushed.unwrap_or_default() {
        if !names.contains(&f.as_str()) {
            names.push(f);
        }
    }
    names
        .into_iter()
        .map(|field| {
            let pm_hub = get(now, field);
            let last = last_pushed.and_then(|l| get(l, field));
            let xpm = xpm_now.and_then(|x| get(x, field));
            let changed_in_xpm = match (last, xpm_now) {
                (Some(pushed), Some(_)) => xpm.is_none_or(|x| !same_as_pushed(field, pushed, x)),
                _ => false,
            };
            FieldComparison {
                field: field.to_owned(),
                pm_hub: pm_hub.map(str::to_owned),
                last_pushed: last.map(str::to_owned),
                xpm_now: xpm.map(str::to_owned),
                // An update sends the whole client: every field PM Hub holds is written.
                will_write: client_written && pm_hub.is_some(),
                changed_in_xpm,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn a_field_changed_in_xpm_since_the_push_is_flagged() {
        let now = fields(&[("Name", "Acme"), ("Email", "a@acme.example")]);
        let last = now.clone();
        let xpm = fields(&[
            ("Name", "Acme"),
            ("Email", "someone@else.example"),
            ("UUID", "x"),
        ]);
        let rows = compare_fields(&now, Some(&last), Some(&xpm), false);
        assert_eq!(rows.len(), 2, "only fields PM Hub pushes are compared");
        assert!(!rows[0].changed_in_xpm);
        assert!(rows[1].changed_in_xpm);
        assert_eq!(rows[1].xpm_now.as_deref(), Some("someone@else.example"));
    }

    #[test]
    fn a_masked_tax_number_or_a_dated_midnight_is_not_a_change() {
        let now = fields(&[
            ("TaxNumber", "123456782"),
            ("DateOfBirth", "1970-02-28"),
            ("IsProspect", "No"),
        ]);
        let xpm = fields(&[
            ("TaxNumber", "******782"),
            ("DateOfBirth", "1970-02-28T00:00:00"),
            ("IsProspect", "no"),
        ]);
        let rows = compare_fields(&now, Some(&now), Some(&xpm), false);
        assert!(rows.iter().all(|r| !r.changed_in_xpm), "{rows:?}");
    }

    #[test]
    fn a_field_cleared_in_xpm_is_flagged() {
        let now = fields(&[("Phone", "09 555 0100")]);
        let rows = compare_fields(&now, Some(&now), Some(&fields(&[])), false);
        assert!(rows[0].changed_in_xpm);
    }

    #[test]
    fn a_sync_that_writes_the_client_writes_every_field_pm_hub_holds() {
        let last = fields(&[
            ("Name", "Acme"),
            ("Email", "old@acme.example"),
            ("Fax", "09 555 0101"),
        ]);
        let now = fields(&[("Name", "Acme"), ("Email", "new@acme.example")]);
        let rows = compare_fields(&now, Some(&last), None, true);
        assert_eq!(
            rows.iter().map(|r| r.will_write).collect::<Vec<_>>(),
            [true, true, false]
        );
        assert!(
            compare_fields(&now, Some(&last), None, false)
                .iter()
                .all(|r| !r.will_write)
        );
    }
}
