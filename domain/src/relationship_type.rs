//! XPM's relationship types are data, not code. XPM documents 18 names for a
//! relationship's `Type` (xpm-api.md, corrected 2026-12), the list differs by
//! region and may change, so a deployment supplies it ([`RelationshipTypes`]:
//! the app ships XPM's documented list and lets configuration replace it).
//! The domain keeps only names, and the rules each type brings: which terms
//! XPM records on it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// An XPM relationship type, by the name XPM gives it in `Type`. Only a
/// name: a mapping saved earlier may name a type that is not (or no longer)
/// in XPM's list, and XPM may show names we cannot send ("Director Of", on
/// the related client). [`RelationshipTypes::resolve`] says whether it is one
/// XPM accepts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct XpmRelationshipType(String);

/// A relationship type name that cannot be one: empty, too long or with control characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a relationship type name: give 1 to 100 printable characters")]
pub struct BadRelationshipTypeName(pub String);

/// A name that is not among the relationship types XPM accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a relationship type XPM accepts")]
pub struct UnknownRelationshipType(pub String);

impl XpmRelationshipType {
    pub const MAX_LEN: usize = 100;

    /// A type name, trimmed.
    pub fn new(name: &str) -> Result<Self, BadRelationshipTypeName> {
        let trimmed = name.trim();
        if trimmed.is_empty()
            || trimmed.chars().count() > Self::MAX_LEN
            || trimmed.chars().any(char::is_control)
        {
            return Err(BadRelationshipTypeName(name.chars().take(120).collect()));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// A name written in code (a test, the demo). Panics on one that cannot
    /// be a name: that is a programming error, not input.
    pub fn from_static(name: &'static str) -> Self {
        Self::new(name).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The type as XPM names it in its `Type` / `RelationshipType` fields.
    pub fn xpm_name(&self) -> &str {
        &self.0
    }

    /// Whether `name` is this type's name as XPM may write it (any case).
    pub fn is_named(&self, name: &str) -> bool {
        self.0.eq_ignore_ascii_case(name.trim())
    }
}

impl fmt::Display for XpmRelationshipType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads a stored name. Before types were data they were stored as the
/// variant names of a closed list ("DirectorOf", "Appointor"): those read as
/// the names XPM showed for them, so a mapping saved then is flagged by the
/// name a person knows, never dropped.
impl<'de> Deserialize<'de> for XpmRelationshipType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stored = String::deserialize(deserializer)?;
        let name = LEGACY_VARIANTS
            .iter()
            .find(|(variant, _)| *variant == stored)
            .map_or(stored.as_str(), |(_, name)| name);
        Self::new(name).map_err(serde::de::Error::custom)
    }
}

/// The stored form of the closed list used until 2026-12, with the names it
/// sent. Variants whose stored form was already the name are absent.
const LEGACY_VARIANTS: [(&str, &str); 10] = [
    ("DirectorOf", "Director Of"),
    ("ShareholderOf", "Shareholder Of"),
    ("TrusteeOf", "Trustee Of"),
    ("BeneficiaryOf", "Beneficiary Of"),
    ("SettlorOf", "Settlor Of"),
    ("AppointorOf", "Appointor Of"),
    ("PartnerOf", "Partner Of"),
    ("MemberOf", "Member Of"),
    ("ParentOf", "Parent Of"),
    ("ChildOf", "Child Of"),
];

/// One of XPM's relationship types and what XPM records on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationshipTypeSpec {
    pub name: XpmRelationshipType,
    /// XPM records a NumberOfShares on it (Shareholder, Owner).
    #[serde(default)]
    pub shares: bool,
    /// XPM records a Percentage on it (partnerships).
    #[serde(default)]
    pub percentage: bool,
    /// How XPM labels it on the related client ("Director Of"): shown to
    /// people, never sent.
    #[serde(default)]
    pub seen_from_related: Option<String>,
}

/// Which terms a relationship of some type carries in XPM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TermsCarried {
    pub shares: bool,
    pub percentage: bool,
}

impl RelationshipTypeSpec {
    pub fn carries(&self) -> TermsCarried {
        TermsCarried {
            shares: self.shares,
            percentage: self.percentage,
        }
    }
}

/// A list of relationship types that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RelationshipTypesError {
    #[error("the list of XPM relationship types is empty")]
    Empty,
    #[error("the list of XPM relationship types names `{0}` twice")]
    Duplicate(String),
}

/// The shape of a file that lists the types (`types = [...]`, e.g. TOML's
/// `[[types]]`), read by the caller's format crate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationshipTypesFile {
    pub types: Vec<RelationshipTypeSpec>,
}

impl TryFrom<RelationshipTypesFile> for RelationshipTypes {
    type Error = RelationshipTypesError;

    fn try_from(file: RelationshipTypesFile) -> Result<Self, Self::Error> {
        Self::new(file.types)
    }
}

/// The relationship types the target XPM accepts: checked when loaded (not
/// empty, no name twice in any case), in the order people are offered them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationshipTypes {
    types: Vec<RelationshipTypeSpec>,
}

impl RelationshipTypes {
    pub fn new(types: Vec<RelationshipTypeSpec>) -> Result<Self, RelationshipTypesError> {
        if types.is_empty() {
            return Err(RelationshipTypesError::Empty);
        }
        for (i, t) in types.iter().enumerate() {
            if types[..i]
                .iter()
                .any(|earlier| earlier.name.is_named(t.name.xpm_name()))
            {
                return Err(RelationshipTypesError::Duplicate(t.name.to_string()));
            }
        }
        Ok(Self { types })
    }

    /// The type of this name (any case) if XPM accepts it, with XPM's spelling.
    pub fn find(&self, name: &str) -> Option<&RelationshipTypeSpec> {
        self.types.iter().find(|t| t.name.is_named(name))
    }

    /// The type a (possibly old) name stands for, if XPM accepts it.
    pub fn resolve(
        &self,
        name: &XpmRelationshipType,
    ) -> Result<&RelationshipTypeSpec, UnknownRelationshipType> {
        self.find(name.xpm_name())
            .ok_or_else(|| UnknownRelationshipType(name.to_string()))
    }

    pub fn iter(&self) -> impl Iterator<Item = &RelationshipTypeSpec> {
        self.types.iter()
    }

    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The names, in order, for messages that list them.
    pub fn names(&self) -> Vec<&str> {
        self.types.iter().map(|t| t.name.xpm_name()).collect()
    }

    /// The names of the types that carry a term, for messages.
    pub fn carrying(&self, which: impl Fn(&RelationshipTypeSpec) -> bool) -> Vec<&str> {
        self.types
            .iter()
            .filter(|t| which(t))
            .map(|t| t.name.xpm_name())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> RelationshipTypeSpec {
        RelationshipTypeSpec {
            name: XpmRelationshipType::new(name).unwrap(),
            shares: false,
            percentage: false,
            seen_from_related: None,
        }
    }

    #[test]
    fn names_are_trimmed_and_blank_or_control_names_refused() {
        assert_eq!(
            XpmRelationshipType::new("  Public Officer ")
                .unwrap()
                .xpm_name(),
            "Public Officer"
        );
        assert!(XpmRelationshipType::new("  ").is_err());
        assert!(XpmRelationshipType::new("Dir\nector").is_err());
        assert!(XpmRelationshipType::new(&"x".repeat(101)).is_err());
    }

    #[test]
    fn a_list_finds_types_in_any_case_with_xpm_spelling() {
        let list = RelationshipTypes::new(vec![spec("Director"), spec("Public Officer")]).unwrap();
        assert_eq!(
            list.find(" public officer").unwrap().name.xpm_name(),
            "Public Officer"
        );
        let old = XpmRelationshipType::new("Appointor").unwrap();
        assert_eq!(
            list.resolve(&old),
            Err(UnknownRelationshipType("Appointor".into()))
        );
    }

    #[test]
    fn an_empty_list_or_a_name_twice_is_refused() {
        assert_eq!(
            RelationshipTypes::new(vec![]),
            Err(RelationshipTypesError::Empty)
        );
        assert_eq!(
            RelationshipTypes::new(vec![spec("Owner"), spec("OWNER")]),
            Err(RelationshipTypesError::Duplicate("OWNER".into()))
        );
    }

    #[test]
    fn names_stored_by_the_old_closed_list_read_as_the_names_it_sent() {
        let read: Vec<XpmRelationshipType> =
            serde_json::from_str(r#"["DirectorOf","Appointor","Director","Public Officer"]"#)
                .unwrap();
        let names: Vec<_> = read.iter().map(XpmRelationshipType::xpm_name).collect();
        assert_eq!(
            names,
            ["Director Of", "Appointor", "Director", "Public Officer"]
        );
        assert!(serde_json::from_str::<XpmRelationshipType>(r#""""#).is_err());
    }
}
