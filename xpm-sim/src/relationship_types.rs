//! The closed list of XPM client relationship types, in one place so it can
//! change. Each type has a reciprocal, seen from the related client.
//!
//! Uncertain (see docs/xpm-sim.md): some regions add Public Officer, Secretary,
//! Accountant, Auditor, Husband, Wife; the reference lists only these.

/// (type, reciprocal) pairs. Spouse is its own reciprocal.
pub const RELATIONSHIP_TYPES: &[(&str, &str)] = &[
    ("Director", "Director Of"),
    ("Shareholder", "Shareholder Of"),
    ("Trustee", "Trustee Of"),
    ("Beneficiary", "Beneficiary Of"),
    ("Settlor", "Settlor Of"),
    ("Appointor", "Appointor Of"),
    ("Partner", "Partner Of"),
    ("Member", "Member Of"),
    ("Parent", "Parent Of"),
    ("Child", "Child Of"),
    ("Spouse", "Spouse"),
];

/// The canonical spelling of a type name (matched case-insensitively), if it is in the list.
pub fn canonical(name: &str) -> Option<&'static str> {
    let name = name.trim();
    RELATIONSHIP_TYPES.iter().find_map(|(a, b)| {
        if a.eq_ignore_ascii_case(name) {
            Some(*a)
        } else if b.eq_ignore_ascii_case(name) {
            Some(*b)
        } else {
            None
        }
    })
}

/// The type as seen from the other client.
pub fn reciprocal(name: &str) -> &'static str {
    for (a, b) in RELATIONSHIP_TYPES {
        if *a == name {
            return b;
        }
        if *b == name {
            return a;
        }
    }
    "Spouse"
}

/// Whether NumberOfShares may be given for this type.
pub fn allows_shares(name: &str) -> bool {
    name == "Shareholder" || name == "Shareholder Of"
}

/// Every type name, both sides, for error messages and the UI.
pub fn all_names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    for (a, b) in RELATIONSHIP_TYPES {
        v.push(a);
        if a != b {
            v.push(b);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reciprocals_pair_up() {
        assert_eq!(reciprocal("Director"), "Director Of");
        assert_eq!(reciprocal("Director Of"), "Director");
        assert_eq!(reciprocal("Spouse"), "Spouse");
        assert_eq!(canonical("shareholder of"), Some("Shareholder Of"));
        assert_eq!(canonical("Husband"), None);
        assert_eq!(all_names().len(), 21);
    }
}
