//! The list of XPM relationship types the app offers and syncs: XPM's
//! documented list ships in `app/relationship-types.toml`; a deployment whose
//! XPM region has another list replaces it by configuration
//! (`relationship_types_file`). Either is checked when the app starts.

use std::path::Path;

use domain::relationship_type::{RelationshipTypes, RelationshipTypesFile};

/// The list shipped with the app.
pub const SHIPPED: &str = include_str!("../relationship-types.toml");

/// Reads a list in the shipped file's form.
pub fn parse(text: &str) -> Result<RelationshipTypes, String> {
    let file: RelationshipTypesFile = toml::from_str(text).map_err(|e| e.to_string())?;
    RelationshipTypes::try_from(file).map_err(|e| e.to_string())
}

/// The shipped list (checked by a test, so this cannot fail in a build that passed).
pub fn shipped() -> RelationshipTypes {
    parse(SHIPPED).unwrap_or_else(|e| panic!("app/relationship-types.toml: {e}"))
}

/// The list a deployment configured, or the shipped one.
pub fn load(file: Option<&Path>) -> Result<RelationshipTypes, String> {
    match file {
        None => Ok(shipped()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            parse(&text).map_err(|e| format!("{}: {e}", path.display()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_is_xpms_documented_eighteen() {
        let types = shipped();
        assert_eq!(
            types.names(),
            [
                "Director",
                "Shareholder",
                "Trustee",
                "Beneficiary",
                "Partner",
                "Settlor",
                "Associate",
                "Secretary",
                "Public Officer",
                "Husband",
                "Wife",
                "Spouse",
                "Parent Of",
                "Child Of",
                "Appointer",
                "Member",
                "Auditor",
                "Owner"
            ]
        );
        assert_eq!(types.carrying(|t| t.shares), ["Shareholder", "Owner"]);
        assert_eq!(types.carrying(|t| t.percentage), ["Partner"]);
    }

    #[test]
    fn a_replacement_list_is_read_and_a_bad_one_named_with_its_file() {
        let dir = std::env::temp_dir().join(format!("rt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(
            &good,
            "[[types]]\nname = \"Director\"\n[[types]]\nname = \"Accountant\"\n",
        )
        .unwrap();
        assert_eq!(
            load(Some(&good)).unwrap().names(),
            ["Director", "Accountant"]
        );
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "types = []\n").unwrap();
        let err = load(Some(&bad)).unwrap_err();
        assert!(err.contains("bad.toml") && err.contains("empty"), "{err}");
        assert!(
            load(Some(&dir.join("missing.toml")))
                .unwrap_err()
                .contains("cannot read")
        );
    }
}
