use serde::{Deserialize, Serialize};

use crate::association::{AssociationTerms, Percentage, ShareCount};
use crate::client::ClientDetails;
use crate::relationship_type::XpmRelationshipType;
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

/// The values a sync writes on an XPM relationship. Shares are only sent
/// for shareholdings, as XPM records them on no other type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RelationshipTerms {
    pub shares: Option<ShareCount>,
    pub percentage: Option<Percentage>,
    pub start_date: Option<Date>,
    #[serde(default)]
    pub end_date: Option<Date>,
}

impl RelationshipTerms {
    pub fn new(terms: AssociationTerms, xpm_type: XpmRelationshipType) -> Self {
        Self {
            shares: terms.shares.filter(|_| xpm_type.carries_shares()),
            percentage: terms.percentage,
            start_date: terms.start_date,
            end_date: terms.end_date,
        }
    }
}
