//! The relationship types XPM accepts: a closed list, in the pairs XPM shows
//! (one name seen from each client). This is the one place the list lives
//! (xpm-api.md notes regional extras such as Public Officer; uncertain).

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum XpmRelationshipType {
    Director,
    DirectorOf,
    Shareholder,
    ShareholderOf,
    Trustee,
    TrusteeOf,
    Beneficiary,
    BeneficiaryOf,
    Settlor,
    SettlorOf,
    Appointor,
    AppointorOf,
    Partner,
    PartnerOf,
    Member,
    MemberOf,
    Parent,
    ParentOf,
    Child,
    ChildOf,
    Spouse,
}

/// A relationship type name XPM does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a relationship type XPM accepts")]
pub struct UnknownRelationshipType(pub String);

impl XpmRelationshipType {
    pub const ALL: [Self; 21] = [
        Self::Director,
        Self::DirectorOf,
        Self::Shareholder,
        Self::ShareholderOf,
        Self::Trustee,
        Self::TrusteeOf,
        Self::Beneficiary,
        Self::BeneficiaryOf,
        Self::Settlor,
        Self::SettlorOf,
        Self::Appointor,
        Self::AppointorOf,
        Self::Partner,
        Self::PartnerOf,
        Self::Member,
        Self::MemberOf,
        Self::Parent,
        Self::ParentOf,
        Self::Child,
        Self::ChildOf,
        Self::Spouse,
    ];

    /// The type as XPM names it in its `Type` / `RelationshipType` fields.
    pub const fn xpm_name(self) -> &'static str {
        match self {
            Self::Director => "Director",
            Self::DirectorOf => "Director Of",
            Self::Shareholder => "Shareholder",
            Self::ShareholderOf => "Shareholder Of",
            Self::Trustee => "Trustee",
            Self::TrusteeOf => "Trustee Of",
            Self::Beneficiary => "Beneficiary",
            Self::BeneficiaryOf => "Beneficiary Of",
            Self::Settlor => "Settlor",
            Self::SettlorOf => "Settlor Of",
            Self::Appointor => "Appointor",
            Self::AppointorOf => "Appointor Of",
            Self::Partner => "Partner",
            Self::PartnerOf => "Partner Of",
            Self::Member => "Member",
            Self::MemberOf => "Member Of",
            Self::Parent => "Parent",
            Self::ParentOf => "Parent Of",
            Self::Child => "Child",
            Self::ChildOf => "Child Of",
            Self::Spouse => "Spouse",
        }
    }

    /// The same relationship seen from the related client: XPM shows it on
    /// that client under this name.
    pub const fn reciprocal(self) -> Self {
        match self {
            Self::Director => Self::DirectorOf,
            Self::DirectorOf => Self::Director,
            Self::Shareholder => Self::ShareholderOf,
            Self::ShareholderOf => Self::Shareholder,
            Self::Trustee => Self::TrusteeOf,
            Self::TrusteeOf => Self::Trustee,
            Self::Beneficiary => Self::BeneficiaryOf,
            Self::BeneficiaryOf => Self::Beneficiary,
            Self::Settlor => Self::SettlorOf,
            Self::SettlorOf => Self::Settlor,
            Self::Appointor => Self::AppointorOf,
            Self::AppointorOf => Self::Appointor,
            Self::Partner => Self::PartnerOf,
            Self::PartnerOf => Self::Partner,
            Self::Member => Self::MemberOf,
            Self::MemberOf => Self::Member,
            Self::Parent => Self::ParentOf,
            Self::ParentOf => Self::Parent,
            Self::Child => Self::ChildOf,
            Self::ChildOf => Self::Child,
            Self::Spouse => Self::Spouse,
        }
    }

    /// XPM records a number of shares only on shareholdings.
    pub const fn carries_shares(self) -> bool {
        matches!(self, Self::Shareholder | Self::ShareholderOf)
    }

    /// Reads XPM's name for a type (case-insensitive, surrounding space ignored).
    pub fn from_xpm_name(name: &str) -> Result<Self, UnknownRelationshipType> {
        let wanted = name.trim();
        Self::ALL
            .into_iter()
            .find(|t| t.xpm_name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownRelationshipType(name.to_owned()))
    }
}

impl fmt::Display for XpmRelationshipType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.xpm_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_a_reciprocal_whose_reciprocal_is_itself() {
        for t in XpmRelationshipType::ALL {
            assert_eq!(t.reciprocal().reciprocal(), t);
        }
    }

    #[test]
    fn only_spouse_is_its_own_reciprocal() {
        let symmetric: Vec<_> = XpmRelationshipType::ALL
            .into_iter()
            .filter(|t| t.reciprocal() == *t)
            .collect();
        assert_eq!(symmetric, [XpmRelationshipType::Spouse]);
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for t in XpmRelationshipType::ALL {
            assert_eq!(XpmRelationshipType::from_xpm_name(t.xpm_name()), Ok(t));
        }
        assert_eq!(
            XpmRelationshipType::from_xpm_name(" director of "),
            Ok(XpmRelationshipType::DirectorOf)
        );
        assert!(XpmRelationshipType::from_xpm_name("Public Officer").is_err());
    }

    #[test]
    fn shares_belong_to_shareholdings_only() {
        let with_shares: Vec<_> = XpmRelationshipType::ALL
            .into_iter()
            .filter(|t| t.carries_shares())
            .collect();
        assert_eq!(
            with_shares,
            [
                XpmRelationshipType::Shareholder,
                XpmRelationshipType::ShareholderOf
            ]
        );
    }
}
