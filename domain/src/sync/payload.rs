use serde::{Deserialize, Serialize};

use crate::association::{AssociationTerms, Percentage, ShareCount};
use crate::client::{ClientDetails, ClientKind};
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

    /// XPM's names of the fields that differ from `before`, for the activity log.
    pub fn changed_fields(&self, before: &ClientPayload) -> Vec<&'static str> {
        let (a, b) = (&before.0, &self.0);
        let mut fields = Vec::new();
        let mut check = |differs: bool, name: &'static str| {
            if differs {
                fields.push(name);
            }
        };
        check(a.name != b.name, "Name");
        check(a.kind != b.kind, individual_fields(&a.kind, &b.kind));
        check(a.email != b.email, "Email");
        check(a.phone != b.phone, "Phone");
        check(a.fax != b.fax, "Fax");
        check(a.website != b.website, "WebSite");
        check(a.physical_address != b.physical_address, "Address");
        check(a.postal_address != b.postal_address, "PostalAddress");
        check(
            a.business_structure != b.business_structure,
            "BusinessStructure",
        );
        check(a.tax_number != b.tax_number, "TaxNumber");
        check(a.company_number != b.company_number, "CompanyNumber");
        check(a.business_number != b.business_number, "BusinessNumber");
        check(a.branch_number != b.branch_number, "BranchNumber");
        check(a.client_code != b.client_code, "ClientCode");
        check(a.gst_registered != b.gst_registered, "GSTRegistered");
        check(a.is_prospect != b.is_prospect, "IsProspect");
        fields
    }
}

fn individual_fields(a: &ClientKind, b: &ClientKind) -> &'static str {
    match (a, b) {
        (ClientKind::Individual(_), ClientKind::Individual(_)) => "IndividualDetails",
        _ => "ClientKind",
    }
}

/// The values a sync writes on an XPM relationship. Shares are only sent
/// for shareholdings, as XPM records them on no other type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RelationshipTerms {
    pub shares: Option<ShareCount>,
    pub percentage: Option<Percentage>,
    pub start_date: Option<Date>,
}

impl RelationshipTerms {
    pub fn new(terms: AssociationTerms, xpm_type: XpmRelationshipType) -> Self {
        Self {
            shares: terms.shares.filter(|_| xpm_type.carries_shares()),
            percentage: terms.percentage,
            start_date: terms.start_date,
        }
    }
}
