//! The client and contact fields XPM knows, with their XML and JSON names and
//! the format each must have. One table drives parsing, validation and both
//! answer forms, so the XML and JSON views cannot drift apart.
//!
//! Lengths and some formats are the sim's choice where the reference is
//! silent (listed in docs/xpm-sim.md).

use time::macros::format_description;
use time::{Date, PrimitiveDateTime};

/// What a field holds and how it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text up to a length.
    Text(usize),
    Email,
    /// `Yes` / `No` (also accepts true/false).
    YesNo,
    /// `yyyy-MM-dd` (also accepts `yyyy-MM-ddTHH:mm:ss`).
    Date,
    /// 1..12 or a month name; answered as a number in JSON.
    Month,
    /// A decimal number; answered as a number in JSON.
    Decimal,
    Gender,
    /// Digits only (spaces and dashes dropped); read back masked.
    TaxNumber,
    /// One of [`BUSINESS_STRUCTURES`].
    Structure,
    /// The UUID of a staff member of the organisation.
    StaffRef,
    /// The UUID of another client of the organisation.
    ClientRef,
    /// A whole number of months (1, 2, 3, 4, 6, 12).
    GstPeriod,
}

/// One client field.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// Element name in requests (and the storage key).
    pub xml: &'static str,
    /// Element name in XML answers (differs for references: `AccountManager`).
    pub out_xml: &'static str,
    /// Property name in JSON answers (requests are matched loosely, see `doc`).
    pub json: &'static str,
    pub kind: Kind,
}

const fn f(xml: &'static str, json: &'static str, kind: Kind) -> FieldSpec {
    FieldSpec {
        xml,
        out_xml: xml,
        json,
        kind,
    }
}

const fn r(xml: &'static str, out_xml: &'static str, json: &'static str, kind: Kind) -> FieldSpec {
    FieldSpec {
        xml,
        out_xml,
        json,
        kind,
    }
}

/// Every writable client field, in the order XPM answers them.
pub const CLIENT_FIELDS: &[FieldSpec] = &[
    f("Name", "name", Kind::Text(255)),
    f("Title", "title", Kind::Text(50)),
    f("Gender", "gender", Kind::Gender),
    f("FirstName", "firstName", Kind::Text(100)),
    f("MiddleName", "middleName", Kind::Text(100)),
    f("LastName", "lastName", Kind::Text(100)),
    f("OtherName", "otherName", Kind::Text(100)),
    f("Email", "email", Kind::Email),
    f("DateOfBirth", "dateOfBirth", Kind::Date),
    f("DateOfDeath", "dateOfDeath", Kind::Date),
    f("PlaceOfBirthCity", "placeOfBirthCity", Kind::Text(100)),
    f(
        "PlaceOfBirthCountryCode",
        "placeOfBirthCountryCode",
        Kind::Text(3),
    ),
    f("Address", "address", Kind::Text(500)),
    f("City", "city", Kind::Text(100)),
    f("Region", "region", Kind::Text(100)),
    f("PostCode", "postCode", Kind::Text(20)),
    f("Country", "country", Kind::Text(100)),
    f("PostalAddress", "postalAddress", Kind::Text(500)),
    f("PostalCity", "postalCity", Kind::Text(100)),
    f("PostalRegion", "postalRegion", Kind::Text(100)),
    f("PostalPostCode", "postalPostCode", Kind::Text(20)),
    f("PostalCountry", "postalCountry", Kind::Text(100)),
    f("Phone", "phone", Kind::Text(50)),
    f("Fax", "fax", Kind::Text(50)),
    f("WebSite", "website", Kind::Text(255)),
    f("ReferralSource", "referralSource", Kind::Text(100)),
    f("ExportCode", "exportCode", Kind::Text(50)),
    f("IsProspect", "isProspect", Kind::YesNo),
    r(
        "AccountManagerUUID",
        "AccountManager",
        "accountManager",
        Kind::StaffRef,
    ),
    r("JobManagerUUID", "JobManager", "jobManager", Kind::StaffRef),
    r(
        "BillingClientUUID",
        "BillingClient",
        "billingClient",
        Kind::ClientRef,
    ),
    f("TaxNumber", "taxNumber", Kind::TaxNumber),
    f("CompanyNumber", "companyNumber", Kind::Text(50)),
    f("BusinessNumber", "businessNumber", Kind::Text(50)),
    f("BusinessStructure", "businessStructure", Kind::Structure),
    f("BalanceMonth", "balanceMonth", Kind::Month),
    f("PrepareGST", "prepareGst", Kind::YesNo),
    f("GSTRegistered", "gstRegistered", Kind::YesNo),
    f("GSTPeriod", "gstPeriod", Kind::GstPeriod),
    f("GSTBasis", "gstBasis", Kind::Text(50)),
    f("ProvisionalTaxBasis", "provisionalTaxBasis", Kind::Text(50)),
    f("ProvisionalTaxRatio", "provisionalTaxRatio", Kind::Decimal),
    f("SignedTaxAuthority", "signedTaxAuthority", Kind::YesNo),
    f("TaxAgent", "taxAgent", Kind::Text(50)),
    f("AgencyStatus", "agencyStatus", Kind::Text(50)),
    f("ReturnType", "returnType", Kind::Text(50)),
    f(
        "PrepareActivityStatement",
        "prepareActivityStatement",
        Kind::YesNo,
    ),
    f("PrepareTaxReturn", "prepareTaxReturn", Kind::YesNo),
    f("BranchNumber", "branchNumber", Kind::Text(10)),
    f("ActiveAtoClient", "activeAtoClient", Kind::YesNo),
    f("ClientCode", "clientCode", Kind::Text(50)),
];

/// The `AutoBasOptInCriteria` object's members: (XML name, JSON name). Each is Yes/No.
pub const AUTO_BAS_FIELDS: &[(&str, &str)] = &[
    ("Annually", "annually"),
    ("Monthly", "monthly"),
    ("Quarterly", "quarterly"),
    ("OptOut", "opt-out"),
];

/// Storage key prefix for the `AutoBasOptInCriteria` members.
pub const AUTO_BAS_PREFIX: &str = "AutoBasOptInCriteria.";

/// Contact fields: (XML name, JSON name, kind).
pub const CONTACT_FIELDS: &[(&str, &str, Kind)] = &[
    ("Name", "name", Kind::Text(255)),
    ("Salutation", "salutation", Kind::Text(100)),
    ("Addressee", "addressee", Kind::Text(255)),
    ("Mobile", "mobile", Kind::Text(50)),
    ("Email", "email", Kind::Email),
    ("Phone", "phone", Kind::Text(50)),
    ("Position", "position", Kind::Text(100)),
    ("IsPrimary", "isPrimary", Kind::YesNo),
];

/// BusinessStructure values accepted. Uncertain: the list varies by region.
pub const BUSINESS_STRUCTURES: &[&str] = &[
    "Individual",
    "Company",
    "Partnership",
    "Sole Trader",
    "Trust",
    "Discretionary Trust",
    "Unit Trust",
    "Hybrid Trust",
    "Bare Trust",
    "Family Trust",
    "Testamentary Trust",
    "Deceased Estate",
    "Self Managed Superannuation Fund",
    "Incorporated Association/Club",
];

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Checks and normalises one value. Empty input is handled by the caller
/// (it clears the field). The error is the whole ErrorDescription.
pub fn normalise(field: &str, kind: Kind, raw: &str) -> Result<String, String> {
    let v = raw.trim();
    if v.contains('\u{0}') {
        return Err(format!("{field} must be a single value"));
    }
    if v.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(format!("{field} contains characters that are not allowed"));
    }
    match kind {
        Kind::Text(max) => {
            if v.chars().count() > max {
                Err(format!(
                    "{field} exceeds the maximum length of {max} characters"
                ))
            } else {
                Ok(v.to_string())
            }
        }
        Kind::Email => {
            if v.chars().count() > 255 || !is_email(v) {
                Err(format!("{field} is not a valid email address"))
            } else {
                Ok(v.to_string())
            }
        }
        Kind::YesNo => yes_no(v).ok_or_else(|| format!("{field} must be Yes or No")),
        Kind::Date => parse_date(v)
            .ok_or_else(|| format!("{field} is not a valid date (expected yyyy-MM-dd)")),
        Kind::Month => {
            let by_number = v.parse::<u8>().ok().filter(|m| (1..=12).contains(m));
            let by_name = MONTHS
                .iter()
                .position(|m| {
                    m.eq_ignore_ascii_case(v) || (v.len() == 3 && m[..3].eq_ignore_ascii_case(v))
                })
                .and_then(|i| u8::try_from(i + 1).ok());
            by_number
                .or(by_name)
                .map(|m| m.to_string())
                .ok_or_else(|| format!("{field} must be a month (1-12)"))
        }
        Kind::Decimal => {
            parse_decimal(v).ok_or_else(|| format!("{field} must be a decimal number"))
        }
        Kind::Gender => {
            if v.eq_ignore_ascii_case("male") || v.eq_ignore_ascii_case("m") {
                Ok("Male".into())
            } else if v.eq_ignore_ascii_case("female") || v.eq_ignore_ascii_case("f") {
                Ok("Female".into())
            } else {
                Err(format!("{field} must be Male or Female"))
            }
        }
        Kind::TaxNumber => {
            let digits: String = v.chars().filter(|c| *c != ' ' && *c != '-').collect();
            if digits.len() < 8 || digits.len() > 12 || !digits.chars().all(|c| c.is_ascii_digit())
            {
                Err(format!("{field} must be 8 to 12 digits"))
            } else {
                Ok(digits)
            }
        }
        Kind::Structure => BUSINESS_STRUCTURES
            .iter()
            .find(|s| s.eq_ignore_ascii_case(v))
            .map(|s| (*s).to_string())
            .ok_or_else(|| format!("{field} '{v}' is not a valid business structure")),
        Kind::StaffRef | Kind::ClientRef => uuid::Uuid::parse_str(v)
            .map(|u| u.to_string())
            .map_err(|_| format!("{field} is not a valid UUID")),
        Kind::GstPeriod => match v.parse::<u8>() {
            Ok(n) if [1, 2, 3, 4, 6, 12].contains(&n) => Ok(n.to_string()),
            _ => Err(format!("{field} must be 1, 2, 3, 4, 6 or 12 (months)")),
        },
    }
}

pub fn yes_no(v: &str) -> Option<String> {
    match v.to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" | "y" => Some("Yes".into()),
        "no" | "false" | "0" | "n" => Some("No".into()),
        _ => None,
    }
}

/// `yyyy-MM-dd` or `yyyy-MM-ddTHH:mm:ss`, normalised to `yyyy-MM-dd`.
pub fn parse_date(v: &str) -> Option<String> {
    let day = format_description!("[year]-[month]-[day]");
    let stamp = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let date = Date::parse(v, &day)
        .ok()
        .or_else(|| PrimitiveDateTime::parse(v, &stamp).ok().map(|d| d.date()))?;
    date.format(&day).ok()
}

fn parse_decimal(v: &str) -> Option<String> {
    let n: f64 = v.parse().ok()?;
    if !n.is_finite() || v.contains(['e', 'E']) {
        return None;
    }
    Some(v.trim_start_matches('+').to_string())
}

fn is_email(v: &str) -> bool {
    let mut parts = v.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !v.chars().any(char::is_whitespace)
}

/// The tax number as XPM reads it back: all but the last three characters masked.
pub fn mask_tax_number(v: &str) -> String {
    let n = v.chars().count();
    v.chars()
        .enumerate()
        .map(|(i, c)| if i + 3 < n { '*' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_rejects() {
        assert_eq!(
            normalise("IsProspect", Kind::YesNo, "true"),
            Ok("Yes".into())
        );
        assert!(normalise("IsProspect", Kind::YesNo, "maybe").is_err());
        assert_eq!(
            normalise("D", Kind::Date, "2020-02-29T00:00:00"),
            Ok("2020-02-29".into())
        );
        assert!(normalise("D", Kind::Date, "2021-02-29").is_err());
        assert_eq!(normalise("M", Kind::Month, "June"), Ok("6".into()));
        assert_eq!(normalise("M", Kind::Month, "12"), Ok("12".into()));
        assert!(normalise("M", Kind::Month, "13").is_err());
        assert_eq!(
            normalise("T", Kind::TaxNumber, "123 456 789"),
            Ok("123456789".into())
        );
        assert!(normalise("T", Kind::TaxNumber, "12ab5678").is_err());
        assert!(normalise("E", Kind::Email, "a@b").is_err());
        assert!(normalise("E", Kind::Email, "a@b.com").is_ok());
        assert!(normalise("N", Kind::Text(3), "abcd").is_err());
        assert_eq!(
            normalise("S", Kind::Structure, "company"),
            Ok("Company".into())
        );
        assert!(normalise("R", Kind::Decimal, "NaN").is_err());
        assert_eq!(mask_tax_number("123456789"), "******789");
        assert_eq!(mask_tax_number("12"), "12");
        assert!(normalise("N", Kind::Text(10), "a\u{1}b").is_err());
        assert!(normalise("N", Kind::Text(10), "a\u{0}object").is_err());
    }
}
