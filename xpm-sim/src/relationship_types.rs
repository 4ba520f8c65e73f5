//! The relationship types this XPM accepts for `Type`, as data in one
//! place: XPM API 3.1's documented list of 18 (xpm-api.md, corrected
//! 2026-12), with what XPM records on each and how the relationship is
//! labelled on the related client.
//!
//! Choices where the reference is unconfirmed (docs/xpm-sim.md): read from
//! the related client, a relationship shows with the label XPM's screens use
//! there ("Director Of", "Parent Of" for "Child Of", "Wife" for "Husband"),
//! not with the type it was added as; a name outside the list, such as the
//! "Appointor" and "Director Of" of earlier versions, is an ERROR answer.

/// One type: its name, its label on the related client, and the terms it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelationshipType {
    pub name: &'static str,
    pub seen_from_related: &'static str,
    pub shares: bool,
    pub percentage: bool,
}

const fn t(name: &'static str, seen_from_related: &'static str) -> RelationshipType {
    RelationshipType {
        name,
        seen_from_related,
        shares: false,
        percentage: false,
    }
}

/// XPM's list, in its documented order. NumberOfShares applies to
/// Shareholder and Owner, Percentage to partnership relationships.
pub const RELATIONSHIP_TYPES: [RelationshipType; 18] = [
    t("Director", "Director Of"),
    RelationshipType {
        shares: true,
        ..t("Shareholder", "Shareholder Of")
    },
    t("Trustee", "Trustee Of"),
    t("Beneficiary", "Beneficiary Of"),
    RelationshipType {
        percentage: true,
        ..t("Partner", "Partner Of")
    },
    t("Settlor", "Settlor Of"),
    t("Associate", "Associate"),
    t("Secretary", "Secretary Of"),
    t("Public Officer", "Public Officer Of"),
    t("Husband", "Wife"),
    t("Wife", "Husband"),
    t("Spouse", "Spouse"),
    t("Parent Of", "Child Of"),
    t("Child Of", "Parent Of"),
    t("Appointer", "Appointer Of"),
    t("Member", "Member Of"),
    t("Auditor", "Auditor Of"),
    RelationshipType {
        shares: true,
        ..t("Owner", "Owner Of")
    },
];

/// The type of this name (matched case-insensitively), if XPM accepts it.
pub fn find(name: &str) -> Option<&'static RelationshipType> {
    let name = name.trim();
    RELATIONSHIP_TYPES
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(name))
}

/// The label a relationship of this type has on the related client; a type
/// not in the list (kept in an old state file) shows as it was stored.
pub fn seen_from_related(kind: &str) -> &str {
    find(kind).map_or(kind, |t| t.seen_from_related)
}

/// The names of the types that carry a term, for error messages ("Shareholder and Owner").
pub fn carrying(which: fn(&RelationshipType) -> bool) -> String {
    let names: Vec<&str> = RELATIONSHIP_TYPES
        .iter()
        .filter(|t| which(t))
        .map(|t| t.name)
        .collect();
    names.join(" and ")
}

/// Every type name, for error messages and the UI.
pub fn all_names() -> Vec<&'static str> {
    RELATIONSHIP_TYPES.iter().map(|t| t.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_the_documented_eighteen_each_once() {
        let names = all_names();
        assert_eq!(names.len(), 18);
        for n in &names {
            assert_eq!(
                names.iter().filter(|m| m.eq_ignore_ascii_case(n)).count(),
                1
            );
        }
        assert!(find("appointer").is_some());
        assert!(find("Appointor").is_none());
        assert!(find("Director Of").is_none());
    }

    #[test]
    fn labels_on_the_related_client_pair_up_where_both_are_types() {
        assert_eq!(seen_from_related("Parent Of"), "Child Of");
        assert_eq!(seen_from_related("Child Of"), "Parent Of");
        assert_eq!(seen_from_related("Husband"), "Wife");
        assert_eq!(seen_from_related("Spouse"), "Spouse");
        assert_eq!(seen_from_related("Director"), "Director Of");
        assert_eq!(seen_from_related("Appointor"), "Appointor");
    }

    #[test]
    fn shares_go_with_shareholder_and_owner_and_percentage_with_partner() {
        let with = |f: fn(&RelationshipType) -> bool| -> Vec<&str> {
            RELATIONSHIP_TYPES
                .iter()
                .filter(|t| f(t))
                .map(|t| t.name)
                .collect()
        };
        assert_eq!(with(|t| t.shares), ["Shareholder", "Owner"]);
        assert_eq!(with(|t| t.percentage), ["Partner"]);
    }
}
