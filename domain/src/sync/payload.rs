use serde::{Deserialize, Serialize};

use crate::association::{AssociationTerms, Percentage, ShareCount};
use crate::client::ClientDetails;
use crate::relationship_type::TermsCarried;
use crate::settings::PushOptions;
use time::Date;

/// Exactly what a sync writes to an XPM client. Two equal payloads mean
/// there is nothing to update.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClientPayload(ClientDetails);

impl ClientPayload {
    pub fn new(details: &ClientDetails, options: PushOptions) -> Self {
        let mut details = details.clone();
        if !options.push_tax_numbers {
            details.tax_number = None;
        }
        Self(details)
    }

    pub fn details(&self) -> &ClientDetails {
        &self.0
    }
}

/// The values a sync writes on an XPM relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RelationshipTerms {
    pub shares: Option<ShareCount>,
    pub percentage: Option<Percentage>,
    pub start_date: Option<Date>,
    #[serde(default)]
    pub end_date: Option<Date>,
}

impl RelationshipTerms {
    pub fn new(terms: AssociationTerms) -> Self {
        Self {
            shares: terms.shares,
            percentage: terms.percentage,
            start_date: terms.start_date,
            end_date: terms.end_date,
        }
    }

    /// The terms a relationship of a type carrying `carried` can hold in
    /// XPM: what XPM holds beyond them is not compared.
    pub fn as_carried(terms: AssociationTerms, carried: TermsCarried) -> Self {
        Self {
            shares: terms.shares.filter(|_| carried.shares),
            percentage: terms.percentage.filter(|_| carried.percentage),
            ..Self::new(terms)
        }
    }
}
