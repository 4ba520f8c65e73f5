//! Reading what people give, the same for the API and the pages: an
//! association's terms and dates.

use domain::association::{AssociationTerms, Percentage, ShareCount};
use time::Date;
use time::macros::format_description;

use crate::problem::FieldProblem;

/// Exactly RFC 3339's `full-date` (`yyyy-mm-dd`), as JSON Schema's
/// `format: date` reads it: no sign, no extra digits, no spaces.
pub fn date(text: &str) -> Result<Date, String> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shaped
        .then(|| Date::parse(text, format_description!("[year]-[month]-[day]")).ok())
        .flatten()
        .ok_or_else(|| format!("`{text}` is not a date in the form yyyy-mm-dd"))
}

/// Validates terms, naming each bad field (`shares`, `percentage`,
/// `startDate`, `endDate`); an end before the start is refused in words.
pub fn parse_terms(
    shares: Option<u64>,
    percentage: Option<&str>,
    start_date: Option<&str>,
    end_date: Option<&str>,
) -> Result<AssociationTerms, Vec<FieldProblem>> {
    let mut errors = Vec::new();
    let mut field = |name: &str, message: String| {
        errors.push(FieldProblem {
            field: name.into(),
            message,
        })
    };
    let present = |v: Option<&str>| {
        v.map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let shares = shares
        .map(ShareCount::new)
        .transpose()
        .map_err(|e| field("shares", e.to_string()))
        .ok()
        .flatten();
    let percentage = present(percentage)
        .as_deref()
        .map(Percentage::parse)
        .transpose()
        .map_err(|e| field("percentage", e.to_string()))
        .ok()
        .flatten();
    // Dates are read exactly (`null` for none), as `format: date` says.
    let mut date = |name: &str, raw: Option<&str>| {
        raw.map(date)
            .transpose()
            .map_err(|e| field(name, e))
            .ok()
            .flatten()
    };
    let start_date = date("startDate", start_date);
    let end_date = date("endDate", end_date);
    if !errors.is_empty() {
        return Err(errors);
    }
    AssociationTerms {
        shares,
        percentage,
        start_date,
        end_date,
    }
    .validate()
    .map_err(|e| {
        vec![FieldProblem {
            field: "endDate".into(),
            message: e.to_string(),
        }]
    })
}
