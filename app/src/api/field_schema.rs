//! The schema of each input field, written from the rule that really checks
//! it (the domain's text types in `domain/src/text.rs`, the parsers beside
//! the handlers), so that a request the document allows is a request the API
//! accepts, and one it refuses is refused.
//!
//! The API trims text and reads a blank optional field as absent. So each
//! pattern allows whitespace around the value and, where the field is
//! optional, nothing but whitespace; and the length limit, which counts the
//! trimmed value, is in the pattern (`maxLength` would count the whitespace
//! too). Patterns are written in the subset that ECMA-262, Python's `re` and
//! Rust's `regex` read alike; the tests below check each one against the
//! parser it describes.

use domain::client::BusinessStructure;
use domain::relationship_type::{RelationshipTypes, XpmRelationshipType};
use domain::text::{
    AssociationTypeName, BranchNumber, BusinessNumber, ClientCode, ClientName, CompanyNumber,
    DisplayName, EmailAddress, PhoneNumber, PmHubId, PostCode, ShortText, StreetAddress, WebSite,
};
use utoipa::openapi::schema::{
    AllOfBuilder, AnyOfBuilder, ObjectBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::{RefOr, schema};

/// Unicode's White_Space: what Rust's `str::trim` removes.
const WS: &str = r"[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";
/// The body of a character class of every whitespace and control character
/// (a macro, so that `concat!` can build the classes from it).
macro_rules! space_or_control {
    () => {
        r"\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}
/// A character a trimmed value can begin or end with: neither whitespace
/// nor a control character.
const EDGE: &str = concat!("[^", space_or_control!(), "]");
/// Any character but a control character (Unicode's Cc).
const PRINTABLE: &str = r"[^\u0000-\u001f\u007f-\u009f]";
/// The same, with tabs and line breaks (a street address).
const PRINTABLE_MULTILINE: &str = r"[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]";

/// A field's value as a pattern: `core`, with whitespace around it; where
/// `required` is false, whitespace alone (or nothing) matches too.
fn trimmed(core: &str, required: bool) -> String {
    let optional = if required { "" } else { "?" };
    format!("^{WS}*(?:{core}){optional}{WS}*$")
}

/// 1 to `max` characters once trimmed, none of them a control character
/// (line breaks allowed where `multiline`).
fn printable(max: usize, multiline: bool) -> String {
    let inner = if multiline {
        PRINTABLE_MULTILINE
    } else {
        PRINTABLE
    };
    format!("{EDGE}(?:{inner}{{0,{}}}{EDGE})?", max - 2)
}

/// `word` in any ASCII casing (`eq_ignore_ascii_case`), regex characters escaped.
fn any_case(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            c if c.is_ascii_alphabetic() => {
                format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
            }
            '.' | '/' | '(' | ')' | '+' | '*' | '?' | '[' | ']' | '{' | '}' | '|' | '\\' | '^'
            | '$' => format!("\\{c}"),
            c => c.to_string(),
        })
        .collect()
}

fn any_case_of<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    words
        .into_iter()
        .map(any_case)
        .collect::<Vec<_>>()
        .join("|")
}

/// A text field: what its value must match (every pattern), and in words.
pub struct TextRule {
    pub patterns: Vec<String>,
    /// A required field must hold a value; an optional one may be `null` or blank.
    pub required: bool,
    /// `null` is allowed even where blank is not (a mapping: `null` unmaps).
    pub nullable: bool,
    pub description: String,
}

impl TextRule {
    fn new(required: bool, patterns: Vec<String>, description: impl Into<String>) -> Self {
        Self {
            patterns,
            required,
            nullable: !required,
            description: description.into(),
        }
    }

    /// Free text of 1 to `max` printable characters.
    fn text(required: bool, max: usize, multiline: bool) -> Self {
        let lines = if multiline {
            "; line breaks and tabs allowed"
        } else {
            ""
        };
        Self::new(
            required,
            vec![trimmed(&printable(max, multiline), required)],
            format!("At most {max} characters once trimmed, no control characters{lines}."),
        )
    }

    /// Free text of at most `max` characters that must also match `format`.
    fn formatted(required: bool, max: usize, format: &str, what: &str) -> Self {
        let mut rule = Self::text(required, max, false);
        rule.patterns.push(trimmed(format, required));
        rule.description = format!("{what}; at most {max} characters once trimmed.");
        rule
    }

    pub fn schema(&self) -> Schema {
        let text_type = if self.nullable {
            SchemaType::from_iter([Type::String, Type::Null])
        } else {
            SchemaType::Type(Type::String)
        };
        let blank = if self.required {
            ""
        } else {
            " Blank or `null`: none."
        };
        let description = format!("{}{blank}", self.description);
        match self.patterns.as_slice() {
            [one] => ObjectBuilder::new()
                .schema_type(text_type)
                .pattern(Some(one.clone()))
                .description(Some(description))
                .into(),
            many => {
                let mut all = AllOfBuilder::new()
                    .schema_type(text_type)
                    .description(Some(description));
                for p in many {
                    // A pattern alone (no `type`: a builder's default is `object`).
                    all = all.item(
                        ObjectBuilder::new()
                            .schema_type(SchemaType::AnyValue)
                            .pattern(Some(p.clone())),
                    );
                }
                all.into()
            }
        }
    }
}

// The rules, one per kind of field.

pub fn client_name_rule() -> TextRule {
    TextRule::text(true, ClientName::MAX_CHARS, false)
}

pub fn short_text_rule() -> TextRule {
    TextRule::text(false, ShortText::MAX_CHARS, false)
}

pub fn street_rule() -> TextRule {
    TextRule::text(false, StreetAddress::MAX_CHARS, true)
}

pub fn client_code_rule() -> TextRule {
    TextRule::text(false, ClientCode::MAX_CHARS, false)
}

pub fn display_name_rule() -> TextRule {
    TextRule::text(true, DisplayName::MAX_CHARS, false)
}

pub fn association_type_name_rule() -> TextRule {
    TextRule::text(true, AssociationTypeName::MAX_CHARS, false)
}

/// Characters that are neither whitespace, control, `@` nor `.`.
const EMAIL_PART: &str = concat!("[^@.", space_or_control!(), "]");

pub fn email_rule() -> TextRule {
    let local = concat!("[^@", space_or_control!(), "]+");
    let format = format!("{local}@{EMAIL_PART}+(?:\\.{EMAIL_PART}+)+");
    TextRule::formatted(
        false,
        EmailAddress::MAX_CHARS,
        &format,
        "One `@` between a name and a dotted domain (`anna@example.com`), no spaces",
    )
}

pub fn phone_rule() -> TextRule {
    let between = r"[ +\-().x/]";
    let format = format!("{between}*(?:[0-9]{between}*){{3,}}");
    TextRule::formatted(
        false,
        PhoneNumber::MAX_CHARS,
        &format,
        "At least 3 digits, with only spaces, `+`, `-`, `/`, `x` and brackets between them",
    )
}

pub fn website_rule() -> TextRule {
    // The host (after an optional `http://` or `https://`) holds a dot and
    // does not begin with one; the lookaheads keep `http://.x.com` from
    // matching as a host named `http:`.
    let host = format!("(?!\\.){EDGE}*\\.{EDGE}*");
    let format = format!("https?://{host}|(?!https?://){host}");
    TextRule::formatted(
        false,
        WebSite::MAX_CHARS,
        &format,
        "An address such as `www.example.com`, with or without `http(s)://`, no spaces",
    )
}

/// ASCII letters and digits, and `inner` characters between them, 1 to `max` in all.
fn ascii_code(max: usize, edge: &str, inner: &str) -> String {
    format!(
        "[A-Za-z0-9{edge}](?:[A-Za-z0-9{edge}{inner}]{{0,{}}}[A-Za-z0-9{edge}])?",
        max - 2
    )
}

pub fn post_code_rule() -> TextRule {
    TextRule::new(
        false,
        vec![trimmed(&ascii_code(PostCode::MAX_CHARS, r"\-", " "), false)],
        format!(
            "Letters, digits, spaces and dashes; at most {} once trimmed.",
            PostCode::MAX_CHARS
        ),
    )
}

fn reference_rule(max: usize, required: bool) -> TextRule {
    TextRule::new(
        required,
        vec![trimmed(&ascii_code(max, r"\-/.", " "), required)],
        format!("Letters, digits, spaces, dashes, dots and slashes; at most {max} once trimmed."),
    )
}

pub fn company_number_rule() -> TextRule {
    reference_rule(CompanyNumber::MAX_CHARS, false)
}

pub fn business_number_rule() -> TextRule {
    reference_rule(BusinessNumber::MAX_CHARS, false)
}

pub fn branch_number_rule() -> TextRule {
    reference_rule(BranchNumber::MAX_CHARS, false)
}

pub fn tax_number_rule() -> TextRule {
    TextRule::new(
        false,
        vec![trimmed("[ -]*(?:[0-9][ -]*){8,12}", false)],
        "8 to 12 digits, optionally grouped by spaces or dashes.",
    )
}

pub fn country_code_rule() -> TextRule {
    TextRule::new(
        false,
        vec![trimmed("[A-Za-z]{2}", false)],
        "A two-letter ISO 3166-1 code such as `AU` or `NZ`, in any case.",
    )
}

pub fn gender_rule() -> TextRule {
    TextRule::new(
        false,
        vec![trimmed(&any_case_of(["Male", "Female"]), false)],
        "`Male` or `Female`, in any case.",
    )
}

/// The business structures a client of `kind` may have (an organisation is
/// never `Individual`).
pub fn business_structure_rule(organisation: bool) -> TextRule {
    let names: Vec<&str> = BusinessStructure::ALL
        .iter()
        .filter(|s| !(organisation && **s == BusinessStructure::Individual))
        .map(|s| s.xpm_name())
        .collect();
    TextRule::new(
        false,
        vec![trimmed(&any_case_of(names.iter().copied()), false)],
        format!(
            "One of XPM's business structures, in any case: {}.",
            names.join(", ")
        ),
    )
}

/// A client's kind: read as it is (not trimmed), in any case.
pub fn kind_rule(organisation: bool) -> TextRule {
    let (words, description): (&[&str], _) = if organisation {
        (
            &["organisation", "organization"],
            "`organisation` (or `organization`), in any case.",
        )
    } else {
        (&["individual"], "`individual`, in any case.")
    };
    TextRule::new(
        true,
        vec![format!("^(?:{})$", any_case_of(words.iter().copied()))],
        description,
    )
}

/// Either kind (the base schema; each variant of `ClientInput` narrows it).
pub fn any_kind() -> Schema {
    TextRule::new(
        true,
        vec![format!(
            "^(?:{})$",
            any_case_of(["individual", "organisation", "organization"])
        )],
        "`individual` or `organisation` (or `organization`), in any case.",
    )
    .schema()
}

/// A business number that must be there (a branch number needs one).
pub fn business_number_given() -> Schema {
    reference_rule(BusinessNumber::MAX_CHARS, true).schema()
}

/// A field left out: absent, `null` or blank.
pub fn left_out() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .pattern(Some(format!("^{WS}*$")))
        .into()
}

/// `null` only.
pub fn null_only() -> Schema {
    ObjectBuilder::new().schema_type(Type::Null).into()
}

/// A percentage: 0 to 100 with at most two decimals.
pub fn percentage_rule() -> TextRule {
    TextRule::new(
        false,
        vec![trimmed(
            r"(?:[0-9]{1,2}|0[0-9]{2})(?:\.[0-9]{0,2})?|100(?:\.0{0,2})?",
            false,
        )],
        "A decimal from 0 to 100 with at most two decimals, such as `50` or `12.5`.",
    )
}

/// An XPM relationship type: one of `types` by name, in any case.
pub fn xpm_type_rule(types: &RelationshipTypes) -> TextRule {
    let names = types.names();
    debug_assert!(
        names
            .iter()
            .all(|n| n.chars().count() <= XpmRelationshipType::MAX_LEN)
    );
    // Blank is not "none" here: only `null` unmaps.
    let mut rule = TextRule::new(
        true,
        vec![trimmed(&any_case_of(names.iter().copied()), true)],
        format!(
            "One of the XPM relationship types this deployment knows, in any case: {}; `null` unmaps.",
            names.join(", ")
        ),
    );
    rule.nullable = true;
    rule
}

/// A PM Hub id, as [`domain::text::PmHubId`] takes it (a path segment: not trimmed).
pub fn pmhub_id() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!(
            "^[A-Za-z0-9_~-](?:[A-Za-z0-9._~-]{{0,{}}}[A-Za-z0-9_~-])?$",
            PmHubId::MAX_CHARS - 2
        )))
        .description(Some(
            "Letters, digits, `-`, `_`, `~` and `.` (not first or last), at most 100.",
        ))
        .into()
}

/// A client id, an activity entry id: the hyphenated form only, or blank.
pub fn uuid_or_blank() -> Schema {
    let hex = |n: usize| format!("[0-9A-Fa-f]{{{n}}}");
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!(
            "^(?:{}-{}-{}-{}-{})?$",
            hex(8),
            hex(4),
            hex(4),
            hex(4),
            hex(12)
        )))
        .description(Some("A UUID (`xxxxxxxx-xxxx-...`); empty: any."))
        .into()
}

/// An RFC 3339 time, or empty for none.
pub fn time_or_blank() -> Schema {
    AnyOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String).format(Some(
            schema::SchemaFormat::KnownFormat(schema::KnownFormat::DateTime),
        )))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(0)),
        )
        .description(Some(
            "An RFC 3339 time such as `2026-12-01T09:00:00Z`; empty: none.",
        ))
        .into()
}

/// Comma-separated activity kinds, blanks ignored.
pub fn activity_kinds() -> Schema {
    let codes = domain::activity::ActivityKind::CODES.join("|");
    let item = format!("{WS}*(?:{codes})?{WS}*");
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^{item}(?:,{item})*$")))
        .description(Some(format!(
            "Comma-separated entry kinds: {}.",
            domain::activity::ActivityKind::CODES.join(", ")
        )))
        .into()
}

// The `schema_with` functions the input types name.

pub fn client_name() -> Schema {
    client_name_rule().schema()
}
pub fn short_text() -> Schema {
    short_text_rule().schema()
}
pub fn street() -> Schema {
    street_rule().schema()
}
pub fn client_code() -> Schema {
    client_code_rule().schema()
}
pub fn display_name() -> Schema {
    display_name_rule().schema()
}
pub fn association_type_name() -> Schema {
    association_type_name_rule().schema()
}
pub fn email() -> Schema {
    email_rule().schema()
}
pub fn phone() -> Schema {
    phone_rule().schema()
}
pub fn website() -> Schema {
    website_rule().schema()
}
pub fn post_code() -> Schema {
    post_code_rule().schema()
}
pub fn company_number() -> Schema {
    company_number_rule().schema()
}
pub fn business_number() -> Schema {
    business_number_rule().schema()
}
pub fn branch_number() -> Schema {
    branch_number_rule().schema()
}
pub fn tax_number() -> Schema {
    tax_number_rule().schema()
}
pub fn country_code() -> Schema {
    country_code_rule().schema()
}
pub fn gender() -> Schema {
    gender_rule().schema()
}
pub fn business_structure() -> Schema {
    business_structure_rule(false).schema()
}
pub fn percentage() -> Schema {
    percentage_rule().schema()
}
pub fn xpm_type() -> Schema {
    xpm_type_rule(&crate::relationship_types::shipped()).schema()
}

/// Writes the relationship types `types` names into the mapping's schema
/// (the derived one names the shipped list).
pub fn describe_deployment(document: &mut utoipa::openapi::OpenApi, types: &RelationshipTypes) {
    let mapping = document
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut("MappingInput"));
    if let Some(RefOr::T(Schema::Object(mapping))) = mapping {
        mapping.properties.insert(
            "xpmRelationshipType".into(),
            xpm_type_rule(types).schema().into(),
        );
    }
}

#[cfg(test)]
mod tests {
    //! Each pattern against the parser it describes: for any string, the
    //! pattern matches exactly when the API accepts the value.

    use super::*;
    use crate::activity_log::ActivityQuery;
    use crate::api::client_dto::{AddressInput, ClientInput, IndividualInput};
    use proptest::prelude::*;

    fn matches_all(rule: &TextRule, value: &str) -> bool {
        thread_local! {
            static COMPILED: std::cell::RefCell<std::collections::HashMap<String, fancy_regex::Regex>> =
                Default::default();
        }
        COMPILED.with_borrow_mut(|compiled| {
            rule.patterns.iter().all(|p| {
                compiled
                    .entry(p.clone())
                    .or_insert_with(|| {
                        fancy_regex::Regex::new(p).unwrap_or_else(|e| panic!("{p}: {e}"))
                    })
                    .is_match(value)
                    .unwrap()
            })
        })
    }

    /// Characters where the rules differ: whitespace of every kind, control
    /// characters (some of them whitespace too), the characters the formats
    /// use, letters that change length or meaning when cased, and beyond ASCII.
    fn tricky_char() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => prop::sample::select(
                "aZxhtpsmMeEfFlLiI0123456789 @.-/+():_".chars().collect::<Vec<_>>()
            ),
            1 => prop::sample::select(vec![
                '\t', '\n', '\r', '\u{b}', '\u{c}', '\u{0}', '\u{1f}', '\u{7f}', '\u{85}',
                '\u{9f}', '\u{a0}', '\u{1680}', '\u{2000}', '\u{200a}', '\u{200b}', '\u{2028}',
                '\u{202f}', '\u{3000}', 'é', '🦀', 'İ', '\u{212a}', 'ſ',
            ]),
        ]
    }

    fn text_up_to(max: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(tricky_char(), 0..=max).prop_map(|c| c.into_iter().collect())
    }

    /// Mostly the characters a field's format is made of (so that valid and
    /// nearly valid values are common), some tricky ones, up to `max` long.
    fn text_of(alphabet: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
        let own = prop::sample::select(alphabet).prop_map(str::to_owned);
        let piece = prop_oneof![6 => own, 1 => tricky_char().prop_map(String::from)];
        prop::collection::vec(piece, 0..=max)
            .prop_map(move |pieces| pieces.concat().chars().take(max).collect())
    }

    /// `words` in random casing, with random whitespace around, or random text.
    fn word_or_text(words: Vec<String>) -> impl Strategy<Value = String> {
        let cased = (
            prop::sample::select(words),
            any::<u64>(),
            text_up_to(2),
            text_up_to(2),
        )
            .prop_map(|(w, bits, before, after)| {
                let cased: String = w
                    .chars()
                    .enumerate()
                    .map(|(i, c)| {
                        if bits >> (i % 64) & 1 == 1 {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        }
                    })
                    .collect();
                let pad = |s: String| s.chars().filter(|c| c.is_whitespace()).collect::<String>();
                format!("{}{cased}{}", pad(before), pad(after))
            });
        prop_oneof![2 => cased, 1 => text_up_to(12)]
    }

    fn organisation() -> ClientInput {
        ClientInput {
            name: Some("Acme".into()),
            kind: Some("organisation".into()),
            ..Default::default()
        }
    }

    fn individual(person: IndividualInput) -> ClientInput {
        ClientInput {
            name: Some("Ann".into()),
            kind: Some("individual".into()),
            individual: Some(person),
            ..Default::default()
        }
    }

    fn accepted(input: ClientInput) -> bool {
        input.into_details().is_ok()
    }

    /// A field's name, rule, how to put a value in an otherwise valid client,
    /// a length past its limit, and the pieces its format is made of.
    type Field = (
        &'static str,
        fn() -> TextRule,
        fn(String) -> bool,
        usize,
        &'static [&'static str],
    );

    /// Every client text field: its rule, how to put a value in an otherwise
    /// valid client, and a length that reaches past its limit.
    const CLIENT_FIELDS: &[Field] = &[
        (
            "name",
            client_name_rule,
            |v| {
                accepted(ClientInput {
                    name: Some(v),
                    ..organisation()
                })
            },
            260,
            &["a", "b", " ", "Z", ".", "é"],
        ),
        (
            "email",
            email_rule,
            |v| {
                accepted(ClientInput {
                    email: Some(v),
                    ..organisation()
                })
            },
            40,
            &["a", "b", ".", "@", " ", "x", "-", "é", ".com"],
        ),
        (
            "phone",
            phone_rule,
            |v| {
                accepted(ClientInput {
                    phone: Some(v),
                    ..organisation()
                })
            },
            55,
            &[
                "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", " ", "+", "-", "(", ")", ".",
                "x", "/", "a",
            ],
        ),
        (
            "website",
            website_rule,
            |v| {
                accepted(ClientInput {
                    website: Some(v),
                    ..organisation()
                })
            },
            40,
            &[
                "http://", "https://", "a", "b", ".", ":", "/", "h", "p", "s", "t", " ", "w",
            ],
        ),
        (
            "taxNumber",
            tax_number_rule,
            |v| {
                accepted(ClientInput {
                    tax_number: Some(v),
                    ..organisation()
                })
            },
            30,
            &[
                "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", " ", "-", "a",
            ],
        ),
        (
            "companyNumber",
            company_number_rule,
            |v| {
                accepted(ClientInput {
                    company_number: Some(v),
                    ..organisation()
                })
            },
            55,
            &[
                "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "z", " ", "-", "/", ".",
                "_", "é",
            ],
        ),
        (
            "branchNumber",
            branch_number_rule,
            |v| {
                accepted(ClientInput {
                    branch_number: Some(v),
                    business_number: Some("123".into()),
                    ..organisation()
                })
            },
            25,
            &[
                "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "z", " ", "-", "/", ".",
                "_", "é",
            ],
        ),
        (
            "clientCode",
            client_code_rule,
            |v| {
                accepted(ClientInput {
                    client_code: Some(v),
                    ..organisation()
                })
            },
            55,
            &["a", "b", " ", "Z", ".", "é"],
        ),
        (
            "postCode",
            post_code_rule,
            |v| {
                accepted(ClientInput {
                    physical_address: Some(AddressInput {
                        post_code: Some(v),
                        ..Default::default()
                    }),
                    ..organisation()
                })
            },
            25,
            &[
                "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "z", " ", "-", "_", "é",
            ],
        ),
        (
            "street",
            street_rule,
            |v| {
                accepted(ClientInput {
                    postal_address: Some(AddressInput {
                        street: Some(v),
                        ..Default::default()
                    }),
                    ..organisation()
                })
            },
            505,
            &["a", "b", " ", "\n", "\t", "\r", "."],
        ),
        (
            "city",
            short_text_rule,
            |v| {
                accepted(ClientInput {
                    physical_address: Some(AddressInput {
                        city: Some(v),
                        ..Default::default()
                    }),
                    ..organisation()
                })
            },
            105,
            &["a", "b", " ", "Z", ".", "é"],
        ),
        (
            "firstName",
            short_text_rule,
            |v| {
                accepted(individual(IndividualInput {
                    first_name: Some(v),
                    ..Default::default()
                }))
            },
            105,
            &["a", "b", " ", "Z", ".", "é"],
        ),
        (
            "placeOfBirthCountryCode",
            country_code_rule,
            |v| {
                accepted(individual(IndividualInput {
                    place_of_birth_country_code: Some(v),
                    ..Default::default()
                }))
            },
            4,
            &["a", "A", "z", "Z", "é", " "],
        ),
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn each_client_text_pattern_matches_exactly_what_the_api_accepts(
            (field, value) in (0..CLIENT_FIELDS.len()).prop_flat_map(|f| {
                let (_, _, _, reach, alphabet) = CLIENT_FIELDS[f];
                (Just(f), text_of(alphabet, reach))
            }),
        ) {
            let (name, rule, accepts, _, _) = CLIENT_FIELDS[field];
            prop_assert_eq!(matches_all(&rule(), &value), accepts(value.clone()), "{} = {:?}", name, value);
        }

        #[test]
        fn the_kind_gender_and_structure_patterns_match_exactly_what_the_api_accepts(
            kind in word_or_text(vec!["individual".into(), "organisation".into(), "organization".into()]),
            gender in word_or_text(vec!["Male".into(), "Female".into()]),
            structure in word_or_text(BusinessStructure::ALL.iter().map(|s| s.xpm_name().to_owned()).collect()),
        ) {
            let organisation_kind = kind_rule(true);
            let individual_kind = kind_rule(false);
            let as_kind = ClientInput { kind: Some(kind.clone()), ..organisation() };
            let kind_ok = as_kind.clone().into_details().is_ok()
                || ClientInput { individual: None, ..as_kind }.into_details().is_ok();
            prop_assert_eq!(matches_all(&organisation_kind, &kind) || matches_all(&individual_kind, &kind), kind_ok, "kind {:?}", kind);

            let with_gender = individual(IndividualInput { gender: Some(gender.clone()), ..Default::default() });
            prop_assert_eq!(matches_all(&gender_rule(), &gender), accepted(with_gender), "gender {:?}", gender);

            let org = ClientInput { business_structure: Some(structure.clone()), ..organisation() };
            prop_assert_eq!(matches_all(&business_structure_rule(true), &structure), accepted(org), "organisation structure {:?}", structure);
            let person = individual(IndividualInput::default());
            let person = ClientInput { business_structure: Some(structure.clone()), ..person };
            prop_assert_eq!(matches_all(&business_structure_rule(false), &structure), accepted(person), "individual structure {:?}", structure);
        }

        #[test]
        fn the_percentage_pattern_matches_exactly_what_the_api_accepts(
            raw in prop_oneof![
                text_up_to(8),
                (0u32..=10_050, 0usize..4, text_up_to(1)).prop_map(|(h, decimals, pad)| {
                    let pad: String = pad.chars().filter(|c| c.is_whitespace()).collect();
                    let text = format!("{}.{:02}", h / 100, h % 100);
                    let cut = text.len() - 2 + decimals.min(2) - usize::from(decimals == 0);
                    format!("{pad}{}{pad}", &text[..cut])
                }),
            ],
        ) {
            let accepted = crate::input::parse_terms(None, Some(&raw), None, None).is_ok();
            prop_assert_eq!(matches_all(&percentage_rule(), &raw), accepted, "{:?}", raw);
        }

        #[test]
        fn the_name_patterns_of_settings_match_exactly_what_the_api_accepts(raw in text_up_to(205)) {
            prop_assert_eq!(matches_all(&display_name_rule(), &raw), DisplayName::new(&raw).is_ok(), "{:?}", raw);
            let type_name: String = raw.chars().take(105).collect();
            prop_assert_eq!(
                matches_all(&association_type_name_rule(), &type_name),
                AssociationTypeName::new(&type_name).is_ok(),
                "{:?}", type_name
            );
        }

        #[test]
        fn the_relationship_type_pattern_matches_exactly_the_names_a_mapping_accepts(
            raw in word_or_text(crate::relationship_types::shipped().names().iter().map(|n| n.to_string()).collect()),
        ) {
            let types = crate::relationship_types::shipped();
            let accepted = XpmRelationshipType::new(&raw).ok().is_some_and(|t| types.resolve(&t).is_ok());
            prop_assert_eq!(matches_all(&xpm_type_rule(&types), &raw), accepted, "{:?}", raw);
        }

        #[test]
        fn the_activity_kinds_pattern_matches_exactly_what_the_filter_accepts(
            parts in prop::collection::vec(word_or_text(domain::activity::ActivityKind::CODES.iter().map(|c| c.to_string()).collect()), 0..4),
        ) {
            let raw = parts.join(",");
            let Schema::Object(kinds) = activity_kinds() else { unreachable!() };
            let rule = TextRule::new(true, vec![kinds.pattern.unwrap()], "");
            let query = ActivityQuery { kind: Some(raw.clone()), ..Default::default() };
            prop_assert_eq!(matches_all(&rule, &raw), query.parse().is_ok(), "{:?}", raw);
        }
    }

    /// Values at the edges of the formats, tried on every field: chance
    /// finds few of them.
    const EDGE_VALUES: &[&str] = &[
        "",
        " ",
        "\u{85}",
        "a",
        "ab",
        "http://.x.com",
        "https://.x.com",
        "http://x.com",
        "https://a.b/c",
        "http:/x.com",
        ".a.b",
        "a.",
        "a@b.c",
        "a@.b.c",
        "a@b..c",
        "a@b.c.",
        " a@b.c\u{3000}",
        "@b.c",
        "a@b",
        "a@b@c.d",
        "a b@c.d",
        "12",
        "123",
        "+61 (2) 9999-0000",
        "x12",
        "123 456 782",
        "12345678901234",
        "1234-5678",
        "-12345678",
        "AU",
        "nz",
        "A1",
        "a\u{85}b",
        "\u{85}a",
        "a\u{2028}b",
        "a\u{200b}b",
        "a\nb",
        "a\tb",
        "a\u{b}b",
        "SW1A 1AA",
        "-",
        "a-",
        "12/3.4-5",
        "１２３",
        "é",
        "🦀🦀",
    ];

    #[test]
    fn every_client_text_pattern_agrees_with_the_api_on_the_edge_values() {
        for (name, rule, accepts, _, _) in CLIENT_FIELDS {
            for value in EDGE_VALUES {
                assert_eq!(
                    matches_all(&rule(), value),
                    accepts(value.to_string()),
                    "{name} = {value:?}"
                );
            }
        }
    }

    #[test]
    fn a_client_id_in_the_activity_filter_is_the_hyphenated_form_or_empty() {
        let Schema::Object(ids) = uuid_or_blank() else {
            unreachable!()
        };
        let rule = TextRule::new(true, vec![ids.pattern.unwrap()], "");
        for raw in [
            "",
            "5eed0000-0000-0000-0000-000300000001",
            "5EED0000-0000-0000-0000-00030000000A",
            "5eed0000000000000000000300000001",
            "{5eed0000-0000-0000-0000-000300000001}",
            "urn:uuid:5eed0000-0000-0000-0000-000300000001",
            " 5eed0000-0000-0000-0000-000300000001",
            "5eed0000-0000-0000-0000-00030000000g",
        ] {
            let query = ActivityQuery {
                client: Some(raw.into()),
                ..Default::default()
            };
            assert_eq!(matches_all(&rule, raw), query.parse().is_ok(), "{raw:?}");
        }
    }

    #[test]
    fn the_pmhub_id_pattern_matches_exactly_the_ids_a_path_names() {
        let Schema::Object(ids) = pmhub_id() else {
            unreachable!()
        };
        let rule = TextRule::new(true, vec![ids.pattern.unwrap()], "");
        let long = "a".repeat(100);
        let too_long = "a".repeat(101);
        for raw in EDGE_VALUES.iter().copied().chain([
            "pmhub-42",
            "A.b",
            ".a",
            "a.",
            "..",
            "~x_y",
            "a b",
            long.as_str(),
            too_long.as_str(),
        ]) {
            let accepted = PmHubId::new(raw).is_ok_and(|id| id.as_str() == raw);
            assert_eq!(matches_all(&rule, raw), accepted, "{raw:?}");
        }
    }

    #[test]
    fn post_codes_and_references_are_ascii() {
        assert!(matches_all(&post_code_rule(), " SW1A 1AA "));
        assert!(!matches_all(&post_code_rule(), "１２３４"));
        assert!(PostCode::new("１２３４").is_err());
        assert!(matches_all(&company_number_rule(), "123/456.7-8"));
    }
}
