//! Relationship types are data: the shipped list of XPM's 18 types can each
//! be mapped and synced, a name outside the list cannot be chosen, a mapping
//! saved earlier to such a name is kept and skipped with its reason, and
//! terms XPM does not record on a type are skipped, not trimmed (FAQ 5).

mod support;

use domain::activity::ActivityKind;
use domain::association::{AssociationTerms, Percentage, ShareCount};
use domain::relationship_type::XpmRelationshipType;
use domain::settings::IntegrationSettings;
use domain::sync::SkipReason;
use domain::usecases::SettingsError;
use futures::executor::block_on;
use support::world::World;

fn skip_reasons(outcome: &domain::usecases::SyncOutcome) -> Vec<SkipReason> {
    outcome
        .entries
        .iter()
        .filter_map(|e| match &e.kind {
            ActivityKind::RelationshipSkipped { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn every_type_of_the_shipped_list_can_be_mapped_and_syncs() {
    let types = support::shipped_relationship_types();
    assert_eq!(types.len(), 18, "XPM documents 18 types");
    let mut w = World::new();
    let acme = w.company("Acme");
    w.connect();
    for t in types.iter() {
        let kind = w.association_type(t.name.xpm_name());
        w.map(kind, Some(t.name.clone()));
        let related = w.company(&format!("Related by {}", t.name));
        let terms = AssociationTerms {
            shares: t.shares.then(|| ShareCount::new(10).unwrap()),
            percentage: t.percentage.then(|| Percentage::parse("12.5").unwrap()),
            ..AssociationTerms::default()
        };
        w.associate_with(acme, related, kind, terms);
        w.sync(related).unwrap();
    }
    let outcome = w.sync(acme).unwrap();
    assert_eq!(skip_reasons(&outcome), []);
    let mut held: Vec<String> = w.xpm().with(|s| {
        s.relationships
            .iter()
            .map(|(_, r)| r.xpm_type.to_string())
            .collect()
    });
    held.sort();
    let mut want: Vec<String> = types.names().into_iter().map(str::to_owned).collect();
    want.sort();
    assert_eq!(held, want);
}

#[test]
fn a_name_outside_the_list_cannot_be_chosen_and_a_listed_one_is_kept_in_xpm_spelling() {
    let mut w = World::new();
    let kind = w.association_type("Appointor");
    let refused = block_on(w.app.configure_mapping(
        w.practice,
        w.admin,
        kind,
        Some(XpmRelationshipType::from_static("Appointor")),
    ));
    assert!(
        matches!(&refused, Err(SettingsError::NotAnXpmRelationshipType { name, allowed })
            if name == "Appointor" && allowed.iter().any(|a| a == "Appointer")),
        "{refused:?}"
    );
    w.map(
        kind,
        Some(XpmRelationshipType::from_static("public officer")),
    );
    let settings = w.stores().with(|s| s.settings[&w.practice].clone());
    assert_eq!(
        settings
            .mapping_for(kind)
            .map(XpmRelationshipType::xpm_name),
        Some("Public Officer")
    );
}

#[test]
fn a_mapping_saved_earlier_to_a_name_xpm_lacks_is_kept_and_its_type_skipped_with_the_reason() {
    let mut w = World::new();
    let kind = w.association_type("Appointor");
    // As stored before types were data: the closed list's variant name.
    let old: IntegrationSettings = serde_json::from_value(serde_json::json!({
        "mappings": { kind.to_string(): "Appointor" },
        "push": { "push_tax_numbers": true },
    }))
    .unwrap();
    w.stores()
        .with(|s| s.settings.insert(w.practice, old.clone()));
    let trust = w.company("Trust");
    let bob = w.company("Bob Ltd");
    w.associate(trust, bob, kind);
    w.connect();
    w.sync(bob).unwrap();
    let outcome = w.sync(trust).unwrap();
    let reasons = skip_reasons(&outcome);
    assert_eq!(
        reasons,
        [SkipReason::MappedTypeNotInXpm {
            mapped: XpmRelationshipType::from_static("Appointor")
        }]
    );
    assert!(reasons[0].to_string().contains("choose a new type"));
    assert_eq!(w.xpm().with(|s| s.relationships.len()), 0);
    let types = support::shipped_relationship_types();
    let settings = w.stores().with(|s| s.settings[&w.practice].clone());
    assert_eq!(settings, old, "the old mapping is not dropped");
    let flagged: Vec<_> = settings.mappings_not_in(&types).collect();
    assert_eq!(
        flagged,
        [(kind, &XpmRelationshipType::from_static("Appointor"))]
    );
}

#[test]
fn terms_xpm_does_not_record_on_a_type_skip_the_relationship_with_the_reason() {
    let mut w = World::new();
    let director = w.association_type("Director");
    let holder = w.association_type("Shareholder");
    w.map(director, Some(XpmRelationshipType::from_static("Director")));
    w.map(
        holder,
        Some(XpmRelationshipType::from_static("Shareholder")),
    );
    let acme = w.company("Acme");
    let bob = w.company("Bob Ltd");
    let carol = w.company("Carol Ltd");
    w.associate_with(
        acme,
        bob,
        director,
        AssociationTerms {
            shares: Some(ShareCount::new(5).unwrap()),
            ..AssociationTerms::default()
        },
    );
    w.associate_with(
        acme,
        carol,
        holder,
        AssociationTerms {
            percentage: Some(Percentage::parse("40").unwrap()),
            ..AssociationTerms::default()
        },
    );
    w.connect();
    w.sync(bob).unwrap();
    w.sync(carol).unwrap();
    let outcome = w.sync(acme).unwrap();
    let reasons = skip_reasons(&outcome);
    assert_eq!(
        reasons,
        [
            SkipReason::SharesNotRecordedOnType {
                xpm_type: XpmRelationshipType::from_static("Director"),
                carried_by: vec!["Shareholder".into(), "Owner".into()],
            },
            SkipReason::PercentageNotRecordedOnType {
                xpm_type: XpmRelationshipType::from_static("Shareholder"),
                carried_by: vec!["Partner".into()],
            },
        ]
    );
    assert_eq!(
        reasons[0].to_string(),
        "it has a number of shares, and XPM records shares only on Shareholder or Owner relationships, not Director; remove the shares or map its association type to one of those"
    );
    assert_eq!(w.xpm().with(|s| s.relationships.len()), 0);
}

#[test]
fn the_shipped_list_is_checked_when_loaded() {
    let parse = |text: &str| -> Result<domain::relationship_type::RelationshipTypes, String> {
        let file: domain::relationship_type::RelationshipTypesFile =
            toml::from_str(text).map_err(|e| e.to_string())?;
        file.try_into()
            .map_err(|e: domain::relationship_type::RelationshipTypesError| e.to_string())
    };
    assert!(parse("types = []").unwrap_err().contains("empty"));
    assert!(
        parse("[[types]]\nname = \"Owner\"\n[[types]]\nname = \"owner\"\n")
            .unwrap_err()
            .contains("twice")
    );
    assert!(parse("[[types]]\nname = \"Owner\"\nshare = true\n").is_err());
}
