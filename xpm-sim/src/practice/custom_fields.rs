//! Custom fields as XPM keeps them: definitions per organisation
//! (`customfield.api/definition`) and, per client, the values of the fields
//! that hold one. No HTTP here: the API handlers, the control API ("a person
//! in XPM") and seeds all call these, so one set of rules applies.
//!
//! Values are stored normalised: Text, Multi-line Text, Select and Link as
//! text (a Select value spelled as its option), Date as `yyyy-MM-dd`,
//! Number as a whole number, Decimal as written, Boolean as `true`/`false`.
//! The rules where the reference is silent are the sim's (docs/xpm-sim.md,
//! "Custom fields").

use super::XpmError;
use crate::doc::{Doc, DocVal};
use crate::fields::{Kind, normalise, parse_date, yes_no};
use crate::rng::DetRng;
use crate::state::{CustomFieldDef, CustomFieldType, Org};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// Longest definition name accepted (the sim's choice).
const NAME_MAX: usize = 100;
/// Most options a Select field may have (the sim's choice), so one request cannot grow state unboundedly.
const OPTIONS_MAX: usize = 100;
/// Most definitions one organisation may hold (the sim's choice).
const DEFINITIONS_MAX: usize = 200;

/// The value elements, by their normalised request key and XML name.
pub const VALUE_ELEMENTS: [(&str, &str); 5] = [
    ("text", "Text"),
    ("date", "Date"),
    ("number", "Number"),
    ("decimal", "Decimal"),
    ("boolean", "Boolean"),
];

/// Reads a `Type` as XPM names it (any case); WorkflowMax's older names
/// "Dropdown List" and "Value Link" are accepted too.
pub fn parse_type(raw: &str) -> Option<CustomFieldType> {
    let t = raw.trim();
    if t.eq_ignore_ascii_case("dropdown list") || t.eq_ignore_ascii_case("dropdown") {
        return Some(CustomFieldType::Select);
    }
    if t.eq_ignore_ascii_case("value link") {
        return Some(CustomFieldType::Link);
    }
    CustomFieldType::ALL
        .into_iter()
        .find(|k| k.name().eq_ignore_ascii_case(t))
}

/// A Select field's options: a list (JSON array, or `<Options><Option>`
/// elements), or one text with an option per line.
fn options(doc: &Doc) -> Vec<String> {
    let texts: Vec<String> = match doc.get("options") {
        None | Some(DocVal::Null) => Vec::new(),
        Some(DocVal::Text(t)) => t.lines().map(str::to_owned).collect(),
        Some(DocVal::List(items)) => items
            .iter()
            .filter_map(|i| match i {
                DocVal::Text(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
        Some(DocVal::Obj(d)) => d
            .entries
            .iter()
            .filter_map(|(_, v)| match v {
                DocVal::Text(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
    };
    texts
        .into_iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

fn flag(doc: &Doc, key: &str, label: &str) -> Result<bool, XpmError> {
    match doc.text(key) {
        None => Ok(false),
        Some(v) if v.is_empty() => Ok(false),
        Some(v) => yes_no(&v)
            .map(|v| v == "Yes")
            .ok_or_else(|| XpmError(format!("{label} must be true or false"))),
    }
}

/// Adds a definition, as an XPM administrator does: Name (unique in the
/// organisation, any case) and Type required; Options only, and always, for
/// a Select field; LinkUrl only for a Link field; the Use... flags say where
/// the field appears. `UUID` may be given (seeds); else one is drawn.
pub fn define(org: &mut Org, rng: &mut DetRng, doc: &Doc) -> Result<Uuid, XpmError> {
    let name = doc.text("name").unwrap_or_default();
    if name.is_empty() {
        return Err(XpmError::new("Name is required"));
    }
    let name = normalise("Name", Kind::Text(NAME_MAX), &name).map_err(XpmError)?;
    if org
        .custom_fields
        .values()
        .any(|f| f.name.eq_ignore_ascii_case(&name))
    {
        return Err(XpmError(format!(
            "A custom field named '{name}' already exists"
        )));
    }
    if org.custom_fields.len() >= DEFINITIONS_MAX {
        return Err(XpmError(format!(
            "An organisation can have at most {DEFINITIONS_MAX} custom fields"
        )));
    }
    let raw_type = doc.text("type").unwrap_or_default();
    let kind = parse_type(&raw_type).ok_or_else(|| {
        let known: Vec<&str> = CustomFieldType::ALL.iter().map(|k| k.name()).collect();
        XpmError(format!(
            "Type '{raw_type}' is not a custom field type ({})",
            known.join(", ")
        ))
    })?;
    let options = options(doc);
    match kind {
        CustomFieldType::Select if options.is_empty() => {
            return Err(XpmError::new("A Select custom field needs Options"));
        }
        CustomFieldType::Select if options.len() > OPTIONS_MAX => {
            return Err(XpmError(format!(
                "A Select custom field can have at most {OPTIONS_MAX} options"
            )));
        }
        CustomFieldType::Select => {}
        _ if !options.is_empty() => {
            return Err(XpmError::new("Only a Select custom field has Options"));
        }
        _ => {}
    }
    for o in &options {
        normalise("Option", Kind::Text(NAME_MAX), o).map_err(XpmError)?;
    }
    let link_url = doc.text("linkurl").filter(|u| !u.is_empty());
    if link_url.is_some() && kind != CustomFieldType::Link {
        return Err(XpmError::new("Only a Link custom field has a LinkUrl"));
    }
    let uuid = match doc.text("uuid").filter(|u| !u.is_empty()) {
        Some(u) => {
            let id = Uuid::parse_str(&u)
                .map_err(|_| XpmError(format!("UUID '{u}' is not a valid UUID")))?;
            if org.custom_fields.contains_key(&id) {
                return Err(XpmError(format!("A custom field with UUID {id} exists")));
            }
            id
        }
        None => rng.uuid(),
    };
    let def = CustomFieldDef {
        uuid,
        name,
        kind,
        options,
        link_url,
        use_client: flag(doc, "useclient", "UseClient")?,
        use_contact: flag(doc, "usecontact", "UseContact")?,
        use_job: flag(doc, "usejob", "UseJob")?,
        use_lead: flag(doc, "uselead", "UseLead")?,
        use_supplier: flag(doc, "usesupplier", "UseSupplier")?,
        use_job_task: flag(doc, "usejobtask", "UseJobTask")?,
        use_job_cost: flag(doc, "usejobcost", "UseJobCost")?,
        use_job_time: flag(doc, "usejobtime", "UseJobTime")?,
    };
    org.custom_fields.insert(uuid, def);
    Ok(uuid)
}

/// The definitions in the order XPM lists them (by name, the sim's choice).
pub fn definitions(org: &Org) -> Vec<&CustomFieldDef> {
    let mut v: Vec<&CustomFieldDef> = org.custom_fields.values().collect();
    v.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.uuid.cmp(&b.uuid))
    });
    v
}

/// The fields of a client that hold a value, in definition order, with the stored value.
pub fn values_of(org: &Org, client: Uuid) -> Vec<(&CustomFieldDef, &str)> {
    let Some(c) = org.clients.get(&client) else {
        return Vec::new();
    };
    definitions(org)
        .into_iter()
        .filter_map(|d| c.custom_fields.get(&d.uuid).map(|v| (d, v.as_str())))
        .collect()
}

/// How a value is named in a write: by the field's UUID, or by its name.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldRef {
    Uuid(String),
    Name(String),
}

/// One value to write. `element`: the value element it came in
/// (`None`: whatever the field takes, as a person types it in XPM).
#[derive(Debug, Clone, PartialEq)]
pub struct ValueInput {
    pub field: FieldRef,
    pub element: Option<&'static str>,
    /// Empty clears the field.
    pub value: String,
}

/// The `<CustomField>` items of an update body: XML `<CustomFields>` (its
/// children) or JSON `{"customFields": [...]}`.
fn items(doc: &Doc) -> Vec<Doc> {
    if let Some(list) = doc.list("customfields") {
        return list;
    }
    doc.entries
        .iter()
        .filter(|(k, _)| k == "customfield")
        .filter_map(|(_, v)| match v {
            DocVal::Obj(d) => Some(d.clone()),
            // `<CustomField/>`: an item with nothing in it.
            DocVal::Text(_) | DocVal::Null => Some(Doc::default()),
            DocVal::List(_) => None,
        })
        .collect()
}

/// Reads an update body: each item names its field by `UUID` (or, without
/// one, by `Name`) and carries exactly one value element.
pub fn parse_update(doc: &Doc) -> Result<Vec<ValueInput>, XpmError> {
    let items = items(doc);
    if items.is_empty() {
        return Err(XpmError::new(
            "CustomFields must hold at least one CustomField",
        ));
    }
    if items.len() > DEFINITIONS_MAX {
        return Err(XpmError(format!(
            "At most {DEFINITIONS_MAX} custom fields can be written at once"
        )));
    }
    items
        .iter()
        .map(|item| {
            let field = match (item.text("uuid"), item.text("name")) {
                (Some(u), _) if !u.is_empty() => FieldRef::Uuid(u),
                (_, Some(n)) if !n.is_empty() => FieldRef::Name(n),
                _ => return Err(XpmError::new("CustomField UUID is required")),
            };
            let given: Vec<(&'static str, String)> = VALUE_ELEMENTS
                .iter()
                .filter_map(|(key, xml)| item.text(key).map(|v| (*xml, v)))
                .collect();
            match given.as_slice() {
                [(element, value)] => Ok(ValueInput {
                    field,
                    element: Some(element),
                    value: value.clone(),
                }),
                [] => Err(XpmError::new(
                    "CustomField needs a value element: Text, Date, Number, Decimal or Boolean",
                )),
                _ => Err(XpmError::new(
                    "CustomField must carry one value element only",
                )),
            }
        })
        .collect()
}

/// Reads a person's edit: `{"<field name or UUID>": "value", ...}` (`""` clears).
pub fn parse_edit(doc: &Doc) -> Result<Vec<ValueInput>, XpmError> {
    if doc.entries.is_empty() {
        return Err(XpmError::new("no custom field given"));
    }
    Ok(doc
        .entries
        .iter()
        .map(|(key, value)| ValueInput {
            // Keys arrive normalised (lower-cased, punctuation dropped), so
            // names and UUIDs are compared in that form (see `resolve`).
            field: FieldRef::Name(key.clone()),
            element: None,
            value: match value {
                DocVal::Text(t) => t.trim().to_owned(),
                DocVal::Null => String::new(),
                // Caught by the value checks as "a single value".
                DocVal::Obj(_) | DocVal::List(_) => "\u{0}object".into(),
            },
        })
        .collect())
}

fn resolve<'a>(org: &'a Org, field: &FieldRef) -> Result<&'a CustomFieldDef, XpmError> {
    let found = match field {
        FieldRef::Uuid(u) => Uuid::parse_str(u)
            .ok()
            .and_then(|id| org.custom_fields.get(&id)),
        FieldRef::Name(n) => {
            let wanted = crate::doc::norm(n);
            org.custom_fields.values().find(|d| {
                d.name.eq_ignore_ascii_case(n)
                    || crate::doc::norm(&d.name) == wanted
                    || crate::doc::norm(&d.uuid.to_string()) == wanted
            })
        }
    };
    found.ok_or_else(|| {
        let shown = match field {
            FieldRef::Uuid(u) | FieldRef::Name(u) => u.chars().take(100).collect::<String>(),
        };
        XpmError(format!("Unknown custom field '{shown}'"))
    })
}

/// Checks one value against its field and answers it normalised; empty stays empty (clears).
pub fn check_value(def: &CustomFieldDef, value: &str) -> Result<String, XpmError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(String::new());
    }
    let label = format!("Custom field '{}'", def.name);
    let bad = |what: &str| XpmError(format!("{label} {what}"));
    match def.kind {
        CustomFieldType::Text | CustomFieldType::Link => {
            normalise(&label, Kind::Text(255), v).map_err(XpmError)
        }
        CustomFieldType::MultiLineText => normalise(&label, Kind::Text(4000), v).map_err(XpmError),
        CustomFieldType::Select => def
            .options
            .iter()
            .find(|o| o.eq_ignore_ascii_case(v))
            .cloned()
            .ok_or_else(|| {
                XpmError(format!(
                    "'{}' is not an option of custom field '{}' ({})",
                    v.chars().take(100).collect::<String>(),
                    def.name,
                    def.options.join(", ")
                ))
            }),
        CustomFieldType::Date => custom_date(v)
            .ok_or_else(|| bad("is not a valid date (expected yyyyMMdd or yyyy-MM-dd)")),
        CustomFieldType::Number => match v.parse::<i64>() {
            Ok(n) if i32::try_from(n).is_ok() => Ok(n.to_string()),
            _ => Err(bad("must be a whole number")),
        },
        CustomFieldType::Decimal => {
            normalise(&label, Kind::Decimal, v).map_err(|_| bad("must be a decimal number"))
        }
        CustomFieldType::Boolean => match v.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok("true".into()),
            "false" | "no" | "0" => Ok("false".into()),
            _ => Err(bad("must be true or false")),
        },
    }
}

/// A custom field date: `yyyyMMdd` (the form XPM's documentation sends),
/// `yyyy-MM-dd` or `yyyy-MM-ddTHH:mm:ss`, normalised to `yyyy-MM-dd`.
fn custom_date(v: &str) -> Option<String> {
    if v.len() == 8 && v.chars().all(|c| c.is_ascii_digit()) {
        return parse_date(&format!("{}-{}-{}", &v[..4], &v[4..6], &v[6..]));
    }
    parse_date(v)
}

/// Writes values on one client, all or nothing: every field must exist and
/// be used for clients, each value must come in the field's value element
/// (when an element is given) and fit the field's type; an empty value
/// clears. The client counts as modified (`list?modifiedsince=`).
pub fn write(
    org: &mut Org,
    now: OffsetDateTime,
    client: Uuid,
    inputs: &[ValueInput],
) -> Result<(), XpmError> {
    if org.live_client(client).is_none() {
        return Err(XpmError::new("Client not found"));
    }
    let mut changes: BTreeMap<Uuid, String> = BTreeMap::new();
    for input in inputs {
        let def = resolve(org, &input.field)?;
        if !def.use_client {
            return Err(XpmError(format!(
                "Custom field '{}' is not used for clients",
                def.name
            )));
        }
        if let Some(element) = input.element
            && element != def.kind.value_element()
        {
            return Err(XpmError(format!(
                "Custom field '{}' takes a {} value, not {element}",
                def.name,
                def.kind.value_element()
            )));
        }
        // A field given twice: the last value wins, as each is applied in order.
        changes.insert(def.uuid, check_value(def, &input.value)?);
    }
    let Some(c) = org.clients.get_mut(&client) else {
        return Err(XpmError::new("Client not found"));
    };
    for (field, value) in changes {
        if value.is_empty() {
            c.custom_fields.remove(&field);
        } else {
            c.custom_fields.insert(field, value);
        }
    }
    c.modified = now;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(kind: CustomFieldType, options: &[&str]) -> CustomFieldDef {
        CustomFieldDef {
            uuid: Uuid::nil(),
            name: "F".into(),
            kind,
            options: options.iter().map(|o| (*o).to_owned()).collect(),
            link_url: None,
            use_client: true,
            use_contact: false,
            use_job: false,
            use_lead: false,
            use_supplier: false,
            use_job_task: false,
            use_job_cost: false,
            use_job_time: false,
        }
    }

    #[test]
    fn values_are_checked_and_normalised_by_type() {
        let date = def(CustomFieldType::Date, &[]);
        assert_eq!(check_value(&date, "20101011"), Ok("2010-10-11".into()));
        assert_eq!(
            check_value(&date, "2010-10-11T00:00:00"),
            Ok("2010-10-11".into())
        );
        assert!(check_value(&date, "20101341").is_err());
        let select = def(CustomFieldType::Select, &["Bronze", "Gold"]);
        assert_eq!(check_value(&select, "gold"), Ok("Gold".into()));
        assert!(check_value(&select, "Platinum").is_err());
        let number = def(CustomFieldType::Number, &[]);
        assert_eq!(check_value(&number, "42"), Ok("42".into()));
        assert!(check_value(&number, "4.2").is_err());
        assert!(check_value(&number, "99999999999").is_err());
        let boolean = def(CustomFieldType::Boolean, &[]);
        assert_eq!(check_value(&boolean, "Yes"), Ok("true".into()));
        assert!(check_value(&boolean, "maybe").is_err());
        assert_eq!(
            check_value(&def(CustomFieldType::Text, &[]), "  "),
            Ok(String::new())
        );
        assert!(check_value(&def(CustomFieldType::Text, &[]), &"x".repeat(256)).is_err());
    }

    #[test]
    fn types_are_read_by_xpm_name_in_any_case() {
        assert_eq!(parse_type("select"), Some(CustomFieldType::Select));
        assert_eq!(parse_type("Dropdown List"), Some(CustomFieldType::Select));
        assert_eq!(
            parse_type("Multi-line Text"),
            Some(CustomFieldType::MultiLineText)
        );
        assert_eq!(parse_type("Colour"), None);
    }
}
