//! The XPM client fields PM Hub owns, defined once: a Sync makes each of
//! them in XPM equal to PM Hub's value (cleared when PM Hub holds none),
//! and never sends any other field (XPM-only fields, staff assignments,
//! custom fields stay as XPM has them).

use serde::{Deserialize, Serialize};

use crate::client::{Address, ClientKind, Gender, IndividualDetails};
use crate::settings::PushOptions;
use crate::sync::payload::ClientPayload;
use crate::text::TaxNumber;

macro_rules! owned_fields {
    ($($variant:ident => $xml:literal),* $(,)?) => {
        /// One XPM client field PM Hub owns, by XPM's element name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum OwnedField { $($variant),* }

        impl OwnedField {
            /// Every owned field, in the order XPM lists a client's fields.
            pub const ALL: &'static [OwnedField] = &[$(OwnedField::$variant),*];

            /// XPM's element name for the field.
            pub const fn xpm_name(self) -> &'static str {
                match self { $(OwnedField::$variant => $xml),* }
            }
        }
    };
}

owned_fields! {
    Name => "Name",
    Title => "Title",
    Gender => "Gender",
    FirstName => "FirstName",
    MiddleName => "MiddleName",
    LastName => "LastName",
    OtherName => "OtherName",
    Email => "Email",
    DateOfBirth => "DateOfBirth",
    DateOfDeath => "DateOfDeath",
    PlaceOfBirthCity => "PlaceOfBirthCity",
    PlaceOfBirthCountryCode => "PlaceOfBirthCountryCode",
    Address => "Address",
    City => "City",
    Region => "Region",
    PostCode => "PostCode",
    Country => "Country",
    PostalAddress => "PostalAddress",
    PostalCity => "PostalCity",
    PostalRegion => "PostalRegion",
    PostalPostCode => "PostalPostCode",
    PostalCountry => "PostalCountry",
    Phone => "Phone",
    Fax => "Fax",
    WebSite => "WebSite",
    IsProspect => "IsProspect",
    TaxNumber => "TaxNumber",
    CompanyNumber => "CompanyNumber",
    BusinessNumber => "BusinessNumber",
    BusinessStructure => "BusinessStructure",
    GSTRegistered => "GSTRegistered",
    BranchNumber => "BranchNumber",
    ClientCode => "ClientCode",
}

impl OwnedField {
    /// The fields a Sync owns under these options: a tax number that the
    /// practice keeps out of XPM is neither sent nor cleared.
    pub fn owned(options: PushOptions) -> Vec<OwnedField> {
        Self::ALL
            .iter()
            .copied()
            .filter(|f| options.push_tax_numbers || *f != OwnedField::TaxNumber)
            .collect()
    }

    pub fn from_xpm_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.xpm_name() == name)
    }

    /// Shown in the activity log and the preview in place of the value
    /// (XPM itself shows only a tax number's last digits).
    pub fn is_secret(self) -> bool {
        self == OwnedField::TaxNumber
    }

    fn is_date(self) -> bool {
        matches!(self, OwnedField::DateOfBirth | OwnedField::DateOfDeath)
    }

    fn is_flag(self) -> bool {
        matches!(self, OwnedField::IsProspect | OwnedField::GSTRegistered)
    }

    /// Whether XPM's current text `xpm` already shows PM Hub's value `ours`
    /// (`None` and blank text both mean empty). XPM answers in its own forms:
    /// a tax number masked to its last digits, a date with a midnight time,
    /// Yes/No and emails in any case.
    pub fn xpm_shows(self, ours: Option<&str>, xpm: Option<&str>) -> bool {
        fn blank(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        match (blank(ours), blank(xpm)) {
            (None, None) => true,
            (None, Some(_)) | (Some(_), None) => false,
            (Some(ours), Some(xpm)) => {
                if self == OwnedField::TaxNumber
                    && let Ok(tax) = TaxNumber::new(ours)
                {
                    return tax.is_consistent_with_xpm_value(xpm);
                }
                if self.is_date() {
                    let day = |s: &str| s.split('T').next().unwrap_or(s).to_owned();
                    return day(ours) == day(xpm);
                }
                if self.is_flag() || self == OwnedField::Email {
                    return ours.eq_ignore_ascii_case(xpm);
                }
                ours == xpm
            }
        }
    }
}

/// `yyyy-MM-dd`, the form XPM takes dates in.
fn day(date: time::Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

const fn yes_no(value: bool) -> &'static str {
    if value { "Yes" } else { "No" }
}

fn gender(g: Gender) -> &'static str {
    match g {
        Gender::Male => "Male",
        Gender::Female => "Female",
    }
}

impl ClientPayload {
    /// PM Hub's value of one owned field as XPM's text; `None` means empty
    /// (an organisation has no personal fields, so a switch from individual
    /// clears them).
    pub fn value(&self, field: OwnedField) -> Option<String> {
        use OwnedField as F;
        let d = self.details();
        static NOBODY: IndividualDetails = IndividualDetails {
            title: None,
            first_name: None,
            middle_name: None,
            last_name: None,
            other_name: None,
            gender: None,
            date_of_birth: None,
            date_of_death: None,
            place_of_birth_city: None,
            place_of_birth_country: None,
        };
        let person = match &d.kind {
            ClientKind::Individual(p) => p,
            ClientKind::Organisation => &NOBODY,
        };
        fn text<T: AsRef<str>>(v: &Option<T>) -> Option<String> {
            v.as_ref().map(|v| v.as_ref().to_owned())
        }
        let address = |a: &Address, part: usize| match part {
            0 => text(&a.street),
            1 => text(&a.city),
            2 => text(&a.region),
            3 => text(&a.post_code),
            _ => text(&a.country),
        };
        match field {
            F::Name => Some(d.name.as_str().to_owned()),
            F::Title => text(&person.title),
            F::Gender => person.gender.map(|g| gender(g).to_owned()),
            F::FirstName => text(&person.first_name),
            F::MiddleName => text(&person.middle_name),
            F::LastName => text(&person.last_name),
            F::OtherName => text(&person.other_name),
            F::Email => text(&d.email),
            F::DateOfBirth => person.date_of_birth.map(day),
            F::DateOfDeath => person.date_of_death.map(day),
            F::PlaceOfBirthCity => text(&person.place_of_birth_city),
            F::PlaceOfBirthCountryCode => person
                .place_of_birth_country
                .as_ref()
                .map(|c| c.as_str().to_owned()),
            F::Address => address(&d.physical_address, 0),
            F::City => address(&d.physical_address, 1),
            F::Region => address(&d.physical_address, 2),
            F::PostCode => address(&d.physical_address, 3),
            F::Country => address(&d.physical_address, 4),
            F::PostalAddress => address(&d.postal_address, 0),
            F::PostalCity => address(&d.postal_address, 1),
            F::PostalRegion => address(&d.postal_address, 2),
            F::PostalPostCode => address(&d.postal_address, 3),
            F::PostalCountry => address(&d.postal_address, 4),
            F::Phone => text(&d.phone),
            F::Fax => text(&d.fax),
            F::WebSite => text(&d.website),
            F::IsProspect => Some(yes_no(d.is_prospect).to_owned()),
            F::TaxNumber => d.tax_number.as_ref().map(|t| t.as_str().to_owned()),
            F::CompanyNumber => text(&d.company_number),
            F::BusinessNumber => text(&d.business_number),
            F::BusinessStructure => d.business_structure.map(|s| s.xpm_name().to_owned()),
            F::GSTRegistered => d.gst_registered.map(|g| yes_no(g).to_owned()),
            F::BranchNumber => text(&d.branch_number),
            F::ClientCode => text(&d.client_code),
        }
    }
}

/// One owned field a Sync overwrites in XPM: what XPM held, what PM Hub holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: OwnedField,
    /// XPM's text before the write; `None` when XPM held nothing (or was not read).
    pub xpm_now: Option<String>,
    /// PM Hub's value; `None` clears the field in XPM.
    pub pm_hub: Option<String>,
}

impl FieldChange {
    /// The change as a person may see it: a tax number is masked to its
    /// last three digits, as XPM shows it.
    pub fn masked(&self) -> Self {
        if !self.field.is_secret() {
            return self.clone();
        }
        let mask = |v: &Option<String>| {
            v.as_ref().map(|v| {
                let digits: Vec<char> = v.chars().filter(char::is_ascii_digit).collect();
                let tail: String = digits[digits.len().saturating_sub(3)..].iter().collect();
                format!("******{tail}")
            })
        };
        Self {
            field: self.field,
            xpm_now: mask(&self.xpm_now),
            pm_hub: mask(&self.pm_hub),
        }
    }
}

/// The owned fields whose XPM value (`xpm`, XPM's text by field name)
/// differs from PM Hub's. With no XPM copy to compare with, every field
/// PM Hub holds a value for is written.
pub fn field_changes(
    payload: &ClientPayload,
    owned: &[OwnedField],
    xpm: Option<&[(String, String)]>,
) -> Vec<FieldChange> {
    owned
        .iter()
        .filter_map(|&field| {
            let ours = payload.value(field);
            match xpm {
                Some(fields) => {
                    let theirs = fields
                        .iter()
                        .find(|(name, _)| name == field.xpm_name())
                        .map(|(_, v)| v.clone())
                        .filter(|v| !v.trim().is_empty());
                    (!field.xpm_shows(ours.as_deref(), theirs.as_deref())).then_some(FieldChange {
                        field,
                        xpm_now: theirs,
                        pm_hub: ours,
                    })
                }
                None => ours.map(|v| FieldChange {
                    field,
                    xpm_now: None,
                    pm_hub: Some(v),
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{ClientDetails, ClientKind, IndividualDetails};
    use crate::text::{ClientName, EmailAddress, PhoneNumber, ShortText};

    fn payload(details: &ClientDetails) -> ClientPayload {
        ClientPayload::new(details, PushOptions::default())
    }

    fn xpm(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    fn person() -> ClientDetails {
        ClientDetails::named(
            ClientName::new("Jane Citizen").unwrap(),
            ClientKind::Individual(IndividualDetails {
                first_name: Some(ShortText::new("Jane").unwrap()),
                last_name: Some(ShortText::new("Citizen").unwrap()),
                ..IndividualDetails::default()
            }),
        )
    }

    #[test]
    fn a_field_cleared_in_pm_hub_is_cleared_in_xpm() {
        let d = person();
        let changes = field_changes(
            &payload(&d),
            &OwnedField::owned(PushOptions::default()),
            Some(&xpm(&[
                ("Name", "Jane Citizen"),
                ("FirstName", "Jane"),
                ("LastName", "Citizen"),
                ("IsProspect", "No"),
                ("Email", "jane@old.example"),
                ("Phone", "09 555 0100"),
            ])),
        );
        let fields: Vec<_> = changes
            .iter()
            .map(|c| (c.field, c.pm_hub.clone()))
            .collect();
        assert_eq!(
            fields,
            [(OwnedField::Email, None), (OwnedField::Phone, None)]
        );
    }

    #[test]
    fn switching_to_an_organisation_clears_the_personal_fields() {
        let mut d = person();
        d.kind = ClientKind::Organisation;
        let changes = field_changes(
            &payload(&d),
            &OwnedField::owned(PushOptions::default()),
            Some(&xpm(&[
                ("Name", "Jane Citizen"),
                ("FirstName", "Jane"),
                ("LastName", "Citizen"),
                ("IsProspect", "No"),
            ])),
        );
        let fields: Vec<_> = changes.iter().map(|c| c.field).collect();
        assert_eq!(fields, [OwnedField::FirstName, OwnedField::LastName]);
    }

    #[test]
    fn xpms_own_forms_are_not_differences() {
        let mut d = person();
        d.email = Some(EmailAddress::new("jane@citizen.example").unwrap());
        d.tax_number = Some(TaxNumber::new("123456782").unwrap());
        d.gst_registered = Some(true);
        if let ClientKind::Individual(p) = &mut d.kind {
            p.date_of_birth = Some(time::macros::date!(1970 - 02 - 28));
        }
        let changes = field_changes(
            &payload(&d),
            &OwnedField::owned(PushOptions::default()),
            Some(&xpm(&[
                ("Name", "Jane Citizen"),
                ("FirstName", "Jane"),
                ("LastName", "Citizen"),
                ("Email", "Jane@Citizen.example"),
                ("TaxNumber", "******782"),
                ("GSTRegistered", "yes"),
                ("DateOfBirth", "1970-02-28T00:00:00"),
                ("IsProspect", "No"),
                ("ReferralSource", "not ours"),
            ])),
        );
        assert_eq!(changes, []);
    }

    #[test]
    fn a_withheld_tax_number_is_not_owned_so_never_cleared() {
        let options = PushOptions {
            push_tax_numbers: false,
        };
        let mut d = person();
        d.phone = Some(PhoneNumber::new("09 555 0100").unwrap());
        let p = ClientPayload::new(&d, options);
        let changes = field_changes(
            &p,
            &OwnedField::owned(options),
            Some(&xpm(&[
                ("Name", "Jane Citizen"),
                ("FirstName", "Jane"),
                ("LastName", "Citizen"),
                ("IsProspect", "No"),
                ("Phone", "09 555 0100"),
                ("TaxNumber", "******782"),
            ])),
        );
        assert_eq!(changes, []);
    }

    #[test]
    fn a_tax_number_change_is_masked_for_people() {
        let change = FieldChange {
            field: OwnedField::TaxNumber,
            xpm_now: Some("******111".into()),
            pm_hub: Some("123456782".into()),
        };
        assert_eq!(change.masked().pm_hub.as_deref(), Some("******782"));
        assert_eq!(change.masked().xpm_now.as_deref(), Some("******111"));
    }
}
