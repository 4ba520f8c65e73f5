//! A client on the wire: JSON in, validated into the domain's
//! `ClientDetails` with every bad field named; and JSON out.

use domain::client::{
    Address, BusinessStructure, Client, ClientDetails, ClientKind, CountryCode, Gender,
    IndividualDetails,
};
use domain::text::*;
use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::format_description;

use crate::api::field_schema as fs;
use crate::present::status_name;
use crate::problem::{FieldProblem, Problem};

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientInput {
    #[schema(schema_with = fs::client_name, required = true)]
    pub name: Option<String>,
    #[schema(schema_with = fs::any_kind, required = true)]
    pub kind: Option<String>,
    pub individual: Option<IndividualInput>,
    #[schema(schema_with = fs::email)]
    pub email: Option<String>,
    #[schema(schema_with = fs::phone)]
    pub phone: Option<String>,
    #[schema(schema_with = fs::phone)]
    pub fax: Option<String>,
    #[schema(schema_with = fs::website)]
    pub website: Option<String>,
    pub physical_address: Option<AddressInput>,
    pub postal_address: Option<AddressInput>,
    #[schema(schema_with = fs::business_structure)]
    pub business_structure: Option<String>,
    #[schema(schema_with = fs::tax_number)]
    pub tax_number: Option<String>,
    #[schema(schema_with = fs::company_number)]
    pub company_number: Option<String>,
    #[schema(schema_with = fs::business_number)]
    pub business_number: Option<String>,
    #[schema(schema_with = fs::branch_number)]
    pub branch_number: Option<String>,
    #[schema(schema_with = fs::client_code)]
    pub client_code: Option<String>,
    pub gst_registered: Option<bool>,
    pub is_prospect: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = Individual)]
pub struct IndividualInput {
    #[schema(schema_with = fs::short_text)]
    pub title: Option<String>,
    #[schema(schema_with = fs::short_text)]
    pub first_name: Option<String>,
    #[schema(schema_with = fs::short_text)]
    pub middle_name: Option<String>,
    #[schema(schema_with = fs::short_text)]
    pub last_name: Option<String>,
    #[schema(schema_with = fs::short_text)]
    pub other_name: Option<String>,
    #[schema(schema_with = fs::gender)]
    pub gender: Option<String>,
    /// `yyyy-mm-dd`.
    #[schema(format = Date)]
    pub date_of_birth: Option<String>,
    #[schema(format = Date)]
    pub date_of_death: Option<String>,
    #[schema(schema_with = fs::short_text)]
    pub place_of_birth_city: Option<String>,
    #[schema(schema_with = fs::country_code)]
    pub place_of_birth_country_code: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = Address)]
pub struct AddressInput {
    #[schema(schema_with = fs::street)]
    pub street: Option<String>,
    #[schema(schema_with = fs::short_text)]
    pub city: Option<String>,
    #[schema(schema_with = fs::short_text)]
    pub region: Option<String>,
    #[schema(schema_with = fs::post_code)]
    pub post_code: Option<String>,
    #[schema(schema_with = fs::short_text)]
    pub country: Option<String>,
}

/// Collects every field error instead of stopping at the first.
#[derive(Default)]
struct Checker {
    errors: Vec<FieldProblem>,
}

impl Checker {
    fn opt<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        raw: &Option<String>,
        parse: impl FnOnce(String) -> Result<T, E>,
    ) -> Option<T> {
        let text = raw.as_deref().map(str::trim).filter(|t| !t.is_empty())?;
        match parse(text.to_owned()) {
            Ok(value) => Some(value),
            Err(e) => {
                self.fail(field, e.to_string());
                None
            }
        }
    }

    /// A date: `null` or absent for none, otherwise exactly `yyyy-mm-dd`
    /// (what the document's `format: date` says; not trimmed).
    fn date(&mut self, field: &str, raw: &Option<String>) -> Option<Date> {
        match crate::input::date(raw.as_deref()?) {
            Ok(d) => Some(d),
            Err(e) => {
                self.fail(field, e);
                None
            }
        }
    }

    fn fail(&mut self, field: &str, message: String) {
        self.errors.push(FieldProblem {
            field: field.to_owned(),
            message,
        });
    }
}

const DATE: &[time::format_description::FormatItem<'static>] =
    format_description!("[year]-[month]-[day]");

fn gender(text: String) -> Result<Gender, String> {
    match text.to_lowercase().as_str() {
        "male" => Ok(Gender::Male),
        "female" => Ok(Gender::Female),
        _ => Err(format!("`{text}`: expected Male or Female")),
    }
}

fn structure(text: String) -> Result<BusinessStructure, String> {
    BusinessStructure::from_xpm_name(&text).ok_or_else(|| {
        let names: Vec<_> = BusinessStructure::ALL
            .iter()
            .map(|s| s.xpm_name())
            .collect();
        format!("`{text}` is not one of: {}", names.join(", "))
    })
}

fn address(c: &mut Checker, prefix: &str, input: &Option<AddressInput>) -> Address {
    let Some(a) = input else {
        return Address::default();
    };
    Address {
        street: c.opt(&format!("{prefix}.street"), &a.street, StreetAddress::new),
        city: c.opt(&format!("{prefix}.city"), &a.city, ShortText::new),
        region: c.opt(&format!("{prefix}.region"), &a.region, ShortText::new),
        post_code: c.opt(&format!("{prefix}.postCode"), &a.post_code, PostCode::new),
        country: c.opt(&format!("{prefix}.country"), &a.country, ShortText::new),
    }
}

impl ClientInput {
    /// Validates every field; the problem lists each bad one.
    pub fn into_details(self) -> Result<ClientDetails, Problem> {
        let mut c = Checker::default();
        let name = c.opt("name", &self.name, ClientName::new);
        if self.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            c.fail("name", "a client needs a name".into());
        }
        let kind = match (
            self.kind.as_deref().map(str::to_lowercase).as_deref(),
            &self.individual,
        ) {
            (Some("organisation" | "organization"), None) => Some(ClientKind::Organisation),
            (Some("organisation" | "organization"), Some(_)) => {
                c.fail(
                    "individual",
                    "only an individual has individual details".into(),
                );
                None
            }
            (Some("individual"), person) => {
                let p = person.clone().unwrap_or_default();
                Some(ClientKind::Individual(IndividualDetails {
                    title: c.opt("individual.title", &p.title, ShortText::new),
                    first_name: c.opt("individual.firstName", &p.first_name, ShortText::new),
                    middle_name: c.opt("individual.middleName", &p.middle_name, ShortText::new),
                    last_name: c.opt("individual.lastName", &p.last_name, ShortText::new),
                    other_name: c.opt("individual.otherName", &p.other_name, ShortText::new),
                    gender: c.opt("individual.gender", &p.gender, gender),
                    date_of_birth: c.date("individual.dateOfBirth", &p.date_of_birth),
                    date_of_death: c.date("individual.dateOfDeath", &p.date_of_death),
                    place_of_birth_city: c.opt(
                        "individual.placeOfBirthCity",
                        &p.place_of_birth_city,
                        ShortText::new,
                    ),
                    place_of_birth_country: c.opt(
                        "individual.placeOfBirthCountryCode",
                        &p.place_of_birth_country_code,
                        CountryCode::new,
                    ),
                }))
            }
            _ => {
                c.fail("kind", "expected `individual` or `organisation`".into());
                None
            }
        };
        let email = c.opt("email", &self.email, EmailAddress::new);
        let phone = c.opt("phone", &self.phone, PhoneNumber::new);
        let fax = c.opt("fax", &self.fax, PhoneNumber::new);
        let website = c.opt("website", &self.website, WebSite::new);
        let physical_address = address(&mut c, "physicalAddress", &self.physical_address);
        let postal_address = address(&mut c, "postalAddress", &self.postal_address);
        let business_structure = c.opt("businessStructure", &self.business_structure, structure);
        let tax_number = c.opt("taxNumber", &self.tax_number, TaxNumber::new);
        let company_number = c.opt("companyNumber", &self.company_number, CompanyNumber::new);
        let business_number = c.opt("businessNumber", &self.business_number, BusinessNumber::new);
        let branch_number = c.opt("branchNumber", &self.branch_number, BranchNumber::new);
        let client_code = c.opt("clientCode", &self.client_code, ClientCode::new);
        let (Some(name), Some(kind), true) = (name, kind, c.errors.is_empty()) else {
            return Err(Problem::invalid(c.errors));
        };
        ClientDetails {
            name,
            kind,
            email,
            phone,
            fax,
            website,
            physical_address,
            postal_address,
            business_structure,
            tax_number,
            company_number,
            business_number,
            branch_number,
            client_code,
            gst_registered: self.gst_registered,
            is_prospect: self.is_prospect.unwrap_or(false),
        }
        .validate()
        .map_err(|e| Problem::invalid_field("client", e.to_string()))
    }
}

fn text<T: AsRef<str>>(value: &Option<T>) -> Option<String> {
    value.as_ref().map(|v| v.as_ref().to_owned())
}

fn address_view(a: &Address) -> Option<AddressInput> {
    (a != &Address::default()).then(|| AddressInput {
        street: text(&a.street),
        city: text(&a.city),
        region: text(&a.region),
        post_code: text(&a.post_code),
        country: text(&a.country),
    })
}

impl From<&ClientDetails> for ClientInput {
    fn from(d: &ClientDetails) -> Self {
        let (kind, individual) = match &d.kind {
            ClientKind::Organisation => ("organisation", None),
            ClientKind::Individual(p) => (
                "individual",
                Some(IndividualInput {
                    title: text(&p.title),
                    first_name: text(&p.first_name),
                    middle_name: text(&p.middle_name),
                    last_name: text(&p.last_name),
                    other_name: text(&p.other_name),
                    gender: p.gender.map(|g| format!("{g:?}")),
                    date_of_birth: p.date_of_birth.and_then(|d| d.format(DATE).ok()),
                    date_of_death: p.date_of_death.and_then(|d| d.format(DATE).ok()),
                    place_of_birth_city: text(&p.place_of_birth_city),
                    place_of_birth_country_code: p
                        .place_of_birth_country
                        .as_ref()
                        .map(|c| c.as_str().to_owned()),
                }),
            ),
        };
        Self {
            name: Some(d.name.to_string()),
            kind: Some(kind.into()),
            individual,
            email: text(&d.email),
            phone: text(&d.phone),
            fax: text(&d.fax),
            website: text(&d.website),
            physical_address: address_view(&d.physical_address),
            postal_address: address_view(&d.postal_address),
            business_structure: d.business_structure.map(|s| s.xpm_name().to_owned()),
            tax_number: d.tax_number.as_ref().map(|t| t.as_str().to_owned()),
            company_number: text(&d.company_number),
            business_number: text(&d.business_number),
            branch_number: text(&d.branch_number),
            client_code: text(&d.client_code),
            gst_registered: d.gst_registered,
            is_prospect: Some(d.is_prospect),
        }
    }
}

/// The document's `ClientInput`: [`ClientInput`]'s fields, in the shapes
/// the rules that tie fields together allow, so that a body the document
/// accepts is one the API accepts. Only an individual has individual
/// details; an organisation is never of the structure `Individual`; a branch
/// number needs a business number. (That a death is not before a birth no
/// schema can say: the API refuses it with a 422 naming the field.)
#[derive(Debug)]
pub struct ClientInputDocument;

impl utoipa::PartialSchema for ClientInputDocument {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::{AnyOfBuilder, Schema};
        let RefOr::T(Schema::Object(base)) = <ClientInput as utoipa::PartialSchema>::schema()
        else {
            unreachable!("ClientInput derives an object schema")
        };
        let variant = |organisation: bool, branch: bool| {
            let mut v = base.clone();
            let mut set = |name: &str, schema: Schema| {
                v.properties.insert(name.into(), schema.into());
            };
            set("kind", fs::kind_rule(organisation).schema());
            if organisation {
                set("individual", fs::null_only());
                set(
                    "businessStructure",
                    fs::business_structure_rule(true).schema(),
                );
            }
            if branch {
                set("businessNumber", fs::business_number_given());
                v.required.push("businessNumber".into());
            } else {
                set("branchNumber", fs::left_out());
            }
            v.title = Some(
                match (organisation, branch) {
                    (false, false) => "An individual",
                    (false, true) => "An individual with a branch number",
                    (true, false) => "An organisation",
                    (true, true) => "An organisation with a branch number",
                }
                .into(),
            );
            Schema::Object(v)
        };
        [(false, false), (false, true), (true, false), (true, true)]
            .into_iter()
            .fold(AnyOfBuilder::new(), |any, (org, branch)| {
                any.item(variant(org, branch))
            })
            .description(Some(
                "A client. Text is trimmed; a blank optional field is none. A date of death before the date of birth is refused (422).",
            ))
            .into()
    }
}

impl utoipa::ToSchema for ClientInputDocument {
    fn name() -> std::borrow::Cow<'static, str> {
        "ClientInput".into()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        <ClientInput as utoipa::ToSchema>::schemas(schemas);
    }
}

/// A client as the API answers it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientView {
    pub id: String,
    pub status: &'static str,
    #[serde(flatten)]
    pub details: ClientInput,
}

/// The input's fields, open (the answer adds `id` and `status`), with the
/// two it always has. Written out because a flattened closed schema
/// (`additionalProperties: false`) would refuse the answer's own fields.
impl utoipa::PartialSchema for ClientView {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
        let RefOr::T(Schema::Object(mut client)) = ClientInput::schema() else {
            unreachable!("ClientInput derives an object schema")
        };
        client.additional_properties = None;
        let id = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
        let status = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(["active", "deactivated", "deleted"]));
        client.properties.insert("id".into(), id.into());
        client.properties.insert("status".into(), status.into());
        client
            .required
            .extend(["id".to_owned(), "status".to_owned()]);
        client.into()
    }
}

impl utoipa::ToSchema for ClientView {
    fn name() -> std::borrow::Cow<'static, str> {
        "Client".into()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        <ClientInput as utoipa::ToSchema>::schemas(schemas);
    }
}

impl From<&Client> for ClientView {
    fn from(c: &Client) -> Self {
        Self {
            id: c.id.to_string(),
            status: status_name(c.status),
            details: ClientInput::from(&c.details),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_client_round_trips_through_the_wire_form() {
        let json = serde_json::json!({
            "name": "Dr Zoë O'Brien & <Sons>",
            "kind": "individual",
            "individual": {"firstName": "Zoë", "gender": "female", "dateOfBirth": "1970-02-28", "placeOfBirthCountryCode": "nz"},
            "email": "zoe@example.com",
            "physicalAddress": {"street": "1 Queen St\nLevel 2", "postCode": "1010"},
            "businessStructure": "sole trader",
            "taxNumber": "123 456 782",
            "gstRegistered": true
        });
        let input: ClientInput = serde_json::from_value(json).unwrap();
        let details = input.into_details().unwrap();
        let again = ClientInput::from(&details).into_details().unwrap();
        assert_eq!(again, details);
        assert_eq!(
            details.business_structure,
            Some(BusinessStructure::SoleTrader)
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let input = ClientInput {
            name: Some("  ".into()),
            kind: Some("robot".into()),
            email: Some("nope".into()),
            tax_number: Some("12".into()),
            physical_address: Some(AddressInput {
                post_code: Some("10$10".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let problem = input.into_details().unwrap_err();
        let fields: Vec<_> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "name",
            "kind",
            "email",
            "taxNumber",
            "physicalAddress.postCode",
        ] {
            assert!(fields.contains(&f), "{f} not named in {fields:?}");
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err =
            serde_json::from_value::<ClientInput>(serde_json::json!({"name": "A", "nmae": "B"}))
                .unwrap_err();
        assert!(err.to_string().contains("nmae"));
    }
}
