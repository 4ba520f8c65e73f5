//! Client-to-client associations and the practice's own association types.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::ids::{AssociationId, AssociationTypeId, ClientId, PracticeId};
use crate::text::AssociationTypeName;

/// One of a practice's own association types ("Director", "Trustee"...).
/// Whether it syncs depends on its mapping in the integration settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssociationType {
    pub id: AssociationTypeId,
    pub practice: PracticeId,
    pub name: AssociationTypeName,
}

/// A number of shares: positive, and within XPM's 32-bit integer field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct ShareCount(u32);

/// A percentage held: 0 to 100 with at most two decimals, kept as hundredths
/// so that equal values compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct Percentage(u16);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssociationError {
    #[error("the number of shares must be between 1 and {max}", max = i32::MAX)]
    ShareCountOutOfRange,
    #[error("a percentage must be between 0 and 100 with at most two decimals, not `{0}`")]
    InvalidPercentage(String),
    #[error("a client cannot be associated with itself")]
    SelfAssociation,
    #[error("the end date {end} is before the start date {start}")]
    EndBeforeStart { start: Date, end: Date },
}

impl ShareCount {
    pub fn new(count: u64) -> Result<Self, AssociationError> {
        match u32::try_from(count) {
            Ok(n) if n >= 1 && n <= i32::MAX as u32 => Ok(Self(n)),
            _ => Err(AssociationError::ShareCountOutOfRange),
        }
    }

    pub const fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u64> for ShareCount {
    type Error = AssociationError;
    fn try_from(value: u64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<ShareCount> for u64 {
    fn from(value: ShareCount) -> Self {
        u64::from(value.0)
    }
}

impl Percentage {
    pub fn from_hundredths(hundredths: u64) -> Result<Self, AssociationError> {
        match u16::try_from(hundredths) {
            Ok(h) if h <= 10_000 => Ok(Self(h)),
            _ => Err(AssociationError::InvalidPercentage(format!(
                "{}.{:02}",
                hundredths / 100,
                hundredths % 100
            ))),
        }
    }

    /// Parses a decimal such as `50`, `12.5` or `33.33`.
    pub fn parse(raw: &str) -> Result<Self, AssociationError> {
        let invalid = || AssociationError::InvalidPercentage(raw.to_owned());
        let text = raw.trim();
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty()
            || whole.len() > 3
            || fraction.len() > 2
            || !digits(whole)
            || !digits(fraction)
        {
            return Err(invalid());
        }
        let whole: u64 = whole.parse().map_err(|_| invalid())?;
        let fraction: u64 = format!("{fraction:0<2}").parse().map_err(|_| invalid())?;
        Self::from_hundredths(whole * 100 + fraction).map_err(|_| invalid())
    }

    pub const fn hundredths(self) -> u16 {
        self.0
    }
}

/// Shortest decimal form: `50`, `12.5`, `33.33`.
impl fmt::Display for Percentage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, fraction) = (self.0 / 100, self.0 % 100);
        match fraction {
            0 => write!(f, "{whole}"),
            f10 if f10 % 10 == 0 => write!(f, "{whole}.{}", f10 / 10),
            _ => write!(f, "{whole}.{fraction:02}"),
        }
    }
}

impl TryFrom<u64> for Percentage {
    type Error = AssociationError;
    fn try_from(value: u64) -> Result<Self, Self::Error> {
        Self::from_hundredths(value)
    }
}

impl From<Percentage> for u64 {
    fn from(value: Percentage) -> Self {
        u64::from(value.0)
    }
}

/// What an association says beyond who and which type: pushed to XPM as the
/// relationship's values, and updated there when they change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AssociationTerms {
    pub shares: Option<ShareCount>,
    pub percentage: Option<Percentage>,
    pub start_date: Option<Date>,
    #[serde(default)]
    pub end_date: Option<Date>,
}

impl AssociationTerms {
    /// Checks the rules that tie the terms together.
    pub fn validate(self) -> Result<Self, AssociationError> {
        if let (Some(start), Some(end)) = (self.start_date, self.end_date)
            && end < start
        {
            return Err(AssociationError::EndBeforeStart { start, end });
        }
        Ok(self)
    }
}

/// "`client` is <type> of/to `related`" in PM Hub. An association that is
/// removed in PM Hub simply stops existing; XPM keeps what it has (FAQ 6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Association {
    id: AssociationId,
    practice: PracticeId,
    client: ClientId,
    related: ClientId,
    association_type: AssociationTypeId,
    terms: AssociationTerms,
}

impl Association {
    pub fn new(
        id: AssociationId,
        practice: PracticeId,
        client: ClientId,
        related: ClientId,
        association_type: AssociationTypeId,
        terms: AssociationTerms,
    ) -> Result<Self, AssociationError> {
        if client == related {
            return Err(AssociationError::SelfAssociation);
        }
        let terms = terms.validate()?;
        Ok(Self {
            id,
            practice,
            client,
            related,
            association_type,
            terms,
        })
    }

    pub fn id(&self) -> AssociationId {
        self.id
    }
    pub fn practice(&self) -> PracticeId {
        self.practice
    }
    pub fn client(&self) -> ClientId {
        self.client
    }
    pub fn related(&self) -> ClientId {
        self.related
    }
    pub fn association_type(&self) -> AssociationTypeId {
        self.association_type
    }
    pub fn terms(&self) -> AssociationTerms {
        self.terms
    }

    /// Changes the shares, percentage or dates; who and which type stay.
    pub fn with_terms(mut self, terms: AssociationTerms) -> Result<Self, AssociationError> {
        self.terms = terms.validate()?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn percentages_parse_and_print_in_shortest_form() {
        for (raw, shown) in [
            ("50", "50"),
            ("12.5", "12.5"),
            ("33.33", "33.33"),
            ("0", "0"),
            ("100.00", "100"),
        ] {
            assert_eq!(Percentage::parse(raw).unwrap().to_string(), shown);
        }
    }

    #[test]
    fn percentages_out_of_range_or_too_precise_are_refused() {
        for raw in ["100.01", "-1", "12.345", "abc", "", ".5", "1e2"] {
            assert!(Percentage::parse(raw).is_err(), "{raw} accepted");
        }
    }

    #[test]
    fn share_counts_fit_xpms_int32() {
        assert!(ShareCount::new(0).is_err());
        assert!(ShareCount::new(i32::MAX as u64).is_ok());
        assert!(ShareCount::new(i32::MAX as u64 + 1).is_err());
    }

    #[test]
    fn a_client_cannot_be_associated_with_itself() {
        let c = ClientId::from_uuid(Uuid::from_u128(1));
        let err = Association::new(
            AssociationId::from_uuid(Uuid::from_u128(2)),
            PracticeId::from_uuid(Uuid::from_u128(3)),
            c,
            c,
            AssociationTypeId::from_uuid(Uuid::from_u128(4)),
            AssociationTerms::default(),
        );
        assert_eq!(err, Err(AssociationError::SelfAssociation));
    }
}
