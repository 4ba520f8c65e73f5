//! Validated text values. Each type can only be built through its
//! constructor, so holding one means the value is acceptable to XPM.
//!
//! XPM's OpenAPI description gives no length limits; the limits here are the
//! ones XPM's own forms enforce as far as we could tell (uncertain, see
//! docs/domain.md). They live here, in one place, so they can change.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a text value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is {len} characters long; at most {max} are allowed")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{field} must not contain control characters")]
    ControlCharacter { field: &'static str },
    #[error("{field} is not valid: {reason}")]
    Format {
        field: &'static str,
        reason: &'static str,
    },
}

/// Trims `raw`, then checks it is non-empty, at most `max` characters and
/// free of control characters (newlines allowed only where `multiline`).
fn clean(field: &'static str, raw: &str, max: usize, multiline: bool) -> Result<String, TextError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(TextError::Empty { field });
    }
    let len = value.chars().count();
    if len > max {
        return Err(TextError::TooLong { field, len, max });
    }
    let bad = |c: char| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t'));
    if value.chars().any(bad) {
        return Err(TextError::ControlCharacter { field });
    }
    Ok(value.to_owned())
}

macro_rules! text_type {
    // How a stored value is read back: by `stored`'s rule where the type has
    // one (a rule made stricter since), else by the same rule as new input.
    (@stored $field:expr, $value:expr, stored = $stored:path $(, check = $check:path)?) => {
        $stored($field, $value)?;
    };
    (@stored $field:expr, $value:expr $(, check = $check:path)?) => {
        $( $check($field, $value)?; )?
    };
    ($(#[$doc:meta])* $name:ident, $field:literal, max = $max:expr, multiline = $ml:expr $(, check = $check:path)? $(, stored = $stored:path)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const FIELD: &'static str = $field;
            pub const MAX_CHARS: usize = $max;

            pub fn new(raw: impl AsRef<str>) -> Result<Self, TextError> {
                let value = clean($field, raw.as_ref(), $max, $ml)?;
                $( $check($field, &value)?; )?
                Ok(Self(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        /// Reads a stored value (serde): see `@stored` above.
        impl TryFrom<String> for $name {
            type Error = TextError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                let value = clean($field, &value, $max, $ml)?;
                text_type!(@stored $field, &value $(, stored = $stored)? $(, check = $check)?);
                Ok(Self(value))
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

text_type!(
    /// A client's name as XPM shows it (XPM's only required client field).
    ClientName, "Name", max = 255, multiline = false
);
text_type!(
    /// A short free-text value: a person's name part, a city, a region...
    ShortText, "text", max = 100, multiline = false
);
text_type!(
    /// A street address: may span several lines.
    StreetAddress, "Address", max = 500, multiline = true
);
text_type!(
    /// A post code (ASCII letters, digits, spaces and dashes).
    PostCode, "PostCode", max = 20, multiline = false, check = check_post_code,
    stored = check_stored_post_code
);
text_type!(
    /// An email address.
    EmailAddress, "Email", max = 254, multiline = false, check = check_email
);
impl EmailAddress {
    /// The one spelling every casing of this address shares: logins are
    /// found by it, so `Anna@Example.com` and `anna@example.com` are one
    /// login. The address itself keeps the casing it was given (XPM is sent
    /// a client's email as typed).
    pub fn normalised(&self) -> String {
        self.0.to_lowercase()
    }
}

text_type!(
    /// A phone or fax number.
    PhoneNumber, "Phone", max = 50, multiline = false, check = check_phone
);
text_type!(
    /// A website address, with or without its scheme.
    WebSite, "WebSite", max = 255, multiline = false, check = check_website
);
text_type!(
    /// A company registration number (ACN, NZBN company number, CRN...).
    CompanyNumber, "CompanyNumber", max = 50, multiline = false, check = check_reference
);
text_type!(
    /// A business number (ABN, NZBN...).
    BusinessNumber, "BusinessNumber", max = 50, multiline = false, check = check_reference
);
text_type!(
    /// A branch number of a business number.
    BranchNumber, "BranchNumber", max = 20, multiline = false, check = check_reference
);
text_type!(
    /// The practice's own short code for a client.
    ClientCode, "ClientCode", max = 50, multiline = false
);
text_type!(
    /// A PM Hub practice's or user's display name.
    DisplayName, "name", max = 200, multiline = false
);
text_type!(
    /// The name of a practice's own association type ("Director", "Trustee of"...).
    AssociationTypeName, "association type name", max = 100, multiline = false
);

text_type!(
    /// The id PM Hub gives a record (unique per practice and kind of
    /// record), by which PM Hub sends it again. URL-safe, since it is a path
    /// segment: letters, digits, `-`, `_`, `~` and `.`, not beginning or
    /// ending with a dot (so never `.` or `..`).
    PmHubId, "pmhubId", max = 100, multiline = false, check = check_pmhub_id
);

fn check_pmhub_id(field: &'static str, value: &str) -> Result<(), TextError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_~.".contains(c);
    if !value.chars().all(allowed) || value.starts_with('.') || value.ends_with('.') {
        return Err(TextError::Format {
            field,
            reason: "expected letters, digits, `-`, `_`, `~` and `.` (not first or last)",
        });
    }
    Ok(())
}

fn check_email(field: &'static str, value: &str) -> Result<(), TextError> {
    let reason = "expected one `@` between a name and a domain such as example.com, with no spaces";
    let (local, domain) = value
        .split_once('@')
        .ok_or(TextError::Format { field, reason })?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..");
    if local.is_empty()
        || domain.contains('@')
        || value.chars().any(char::is_whitespace)
        || !domain_ok
    {
        return Err(TextError::Format { field, reason });
    }
    Ok(())
}

fn check_phone(field: &'static str, value: &str) -> Result<(), TextError> {
    let allowed = |c: char| c.is_ascii_digit() || " +-().x/".contains(c);
    let digits = value.chars().filter(char::is_ascii_digit).count();
    if !value.chars().all(allowed) || digits < 3 {
        return Err(TextError::Format {
            field,
            reason: "expected at least 3 digits, with only spaces, +, -, /, x and brackets between them",
        });
    }
    Ok(())
}

fn check_website(field: &'static str, value: &str) -> Result<(), TextError> {
    let host = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .unwrap_or(value);
    if value.chars().any(char::is_whitespace) || !host.contains('.') || host.starts_with('.') {
        return Err(TextError::Format {
            field,
            reason: "expected an address such as www.example.com, with no spaces",
        });
    }
    Ok(())
}

fn check_post_code(field: &'static str, value: &str) -> Result<(), TextError> {
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
    {
        // ASCII only: post codes everywhere XPM works are written in ASCII,
        // and the API's document can then say exactly what is accepted.
        return Err(TextError::Format {
            field,
            reason: "expected only letters (A to Z), digits, spaces and dashes",
        });
    }
    Ok(())
}

/// The rule before post codes were ASCII only (any letter or digit): a
/// client saved then must still load.
fn check_stored_post_code(field: &'static str, value: &str) -> Result<(), TextError> {
    if !value
        .chars()
        .all(|c| c.is_alphanumeric() || c == ' ' || c == '-')
    {
        return Err(TextError::Format {
            field,
            reason: "expected only letters, digits, spaces and dashes",
        });
    }
    Ok(())
}

fn check_reference(field: &'static str, value: &str) -> Result<(), TextError> {
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " -/.".contains(c))
    {
        return Err(TextError::Format {
            field,
            reason: "expected only letters, digits, spaces, dashes, dots and slashes",
        });
    }
    Ok(())
}

/// The address of a client's page in XPM (`WebUrl` on a get), shown to
/// people as a link: only an http(s) address with no space or control
/// character is kept, so a hostile answer cannot put a `javascript:` link
/// on a page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct XpmWebUrl(String);

impl XpmWebUrl {
    pub const MAX_CHARS: usize = 2000;

    pub fn new(raw: &str) -> Option<Self> {
        let url = raw.trim();
        let lower = url.to_ascii_lowercase();
        let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
        let has_host = url.split_once("://").is_some_and(|(_, rest)| {
            rest.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
        });
        (scheme_ok
            && has_host
            && url.chars().count() <= Self::MAX_CHARS
            && !url
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>'))
        .then(|| Self(url.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tax number (TFN, IRD number, SSN, UTR...). XPM accepts writes of the full
/// number but only ever shows its last three digits when it is read back.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaxNumber(String);

impl TaxNumber {
    pub const FIELD: &'static str = "TaxNumber";
    /// How many trailing digits XPM leaves visible when it answers a read.
    pub const VISIBLE_DIGITS: usize = 3;

    /// Accepts 8 to 12 digits, optionally grouped by spaces or dashes; keeps the digits only.
    pub fn new(raw: impl AsRef<str>) -> Result<Self, TextError> {
        let raw = raw.as_ref().trim();
        if raw.is_empty() {
            return Err(TextError::Empty { field: Self::FIELD });
        }
        let format = TextError::Format {
            field: Self::FIELD,
            reason: "expected 8 to 12 digits, optionally grouped by spaces or dashes",
        };
        if !raw
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
        {
            return Err(format);
        }
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        if !(8..=12).contains(&digits.len()) {
            return Err(format);
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits XPM shows when it answers a read.
    pub fn visible_suffix(&self) -> &str {
        &self.0[self.0.len() - Self::VISIBLE_DIGITS..]
    }

    /// Whether `shown`, as XPM answers it (masked, e.g. `******789`), can be
    /// this number: a masked read must never count as a change.
    pub fn is_consistent_with_xpm_value(&self, shown: &str) -> bool {
        let shown_digits: String = shown.chars().filter(char::is_ascii_digit).collect();
        if shown_digits == self.0 {
            return true;
        }
        let masked = shown.chars().any(|c| c == '*' || c == 'X' || c == 'x');
        masked && shown_digits == self.visible_suffix()
    }
}

/// Never print a full tax number: logs and panics show only what XPM shows.
impl fmt::Debug for TaxNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaxNumber(***{})", self.visible_suffix())
    }
}

impl TryFrom<String> for TaxNumber {
    type Error = TextError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<TaxNumber> for String {
    fn from(value: TaxNumber) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_trimmed() {
        assert_eq!(
            ClientName::new("  Acme Ltd \n").unwrap().as_str(),
            "Acme Ltd"
        );
    }

    #[test]
    fn empty_and_blank_values_are_refused() {
        assert_eq!(
            ClientName::new("   "),
            Err(TextError::Empty { field: "Name" })
        );
    }

    #[test]
    fn over_long_values_are_refused_counting_characters_not_bytes() {
        assert!(ClientName::new("é".repeat(255)).is_ok());
        assert_eq!(
            ClientName::new("é".repeat(256)),
            Err(TextError::TooLong {
                field: "Name",
                len: 256,
                max: 255
            })
        );
    }

    #[test]
    fn control_characters_are_refused_except_newlines_in_addresses() {
        assert_eq!(
            ClientName::new("Acme\u{0}Ltd"),
            Err(TextError::ControlCharacter { field: "Name" })
        );
        assert!(StreetAddress::new("1 Main St\nLevel 2").is_ok());
        assert!(ShortText::new("a\nb").is_err());
    }

    #[test]
    fn xml_special_and_non_latin_characters_are_plain_text() {
        for name in [
            "Smith & Sons <Pty> \"Ltd\"",
            "株式会社 東京",
            "شركة",
            "🦀 Crab Co",
        ] {
            assert_eq!(ClientName::new(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn every_casing_of_an_email_normalises_to_one_spelling() {
        let typed = EmailAddress::new("Anna.Smith@Example.COM").unwrap();
        assert_eq!(typed.normalised(), "anna.smith@example.com");
        assert_eq!(
            typed.normalised(),
            EmailAddress::new("anna.smith@example.com")
                .unwrap()
                .normalised()
        );
        assert_eq!(
            typed.as_str(),
            "Anna.Smith@Example.COM",
            "the address keeps its casing"
        );
    }

    #[test]
    fn emails_need_a_name_and_a_dotted_domain() {
        assert!(EmailAddress::new("anna@example.com").is_ok());
        for bad in [
            "anna",
            "anna@",
            "@example.com",
            "anna@example",
            "an na@example.com",
            "a@b@example.com",
            "a@.example.com",
        ] {
            assert!(EmailAddress::new(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn a_post_code_saved_before_they_were_ascii_only_still_loads() {
        assert!(
            PostCode::new("１２３４").is_err(),
            "new input is ASCII only"
        );
        let stored: PostCode = serde_json::from_str("\"１２３４\"").expect("a stored one loads");
        assert_eq!(stored.as_str(), "１２３４");
        assert!(serde_json::from_str::<PostCode>("\"12$4\"").is_err());
    }

    #[test]
    fn phones_need_digits() {
        assert!(PhoneNumber::new("+61 (2) 9999-0000").is_ok());
        assert!(PhoneNumber::new("call me").is_err());
        assert!(PhoneNumber::new("12").is_err());
    }

    #[test]
    fn websites_need_a_host() {
        assert!(WebSite::new("www.example.com").is_ok());
        assert!(WebSite::new("https://example.co.nz/about").is_ok());
        assert!(WebSite::new("example").is_err());
        assert!(WebSite::new("https://exa mple.com").is_err());
    }

    #[test]
    fn tax_numbers_keep_digits_only() {
        assert_eq!(TaxNumber::new("123 456 782").unwrap().as_str(), "123456782");
        assert!(TaxNumber::new("1234").is_err());
        assert!(TaxNumber::new("12345678A").is_err());
    }

    #[test]
    fn a_masked_tax_number_from_xpm_is_not_a_change() {
        let tfn = TaxNumber::new("123456782").unwrap();
        assert!(tfn.is_consistent_with_xpm_value("******782"));
        assert!(tfn.is_consistent_with_xpm_value("123456782"));
        assert!(!tfn.is_consistent_with_xpm_value("******781"));
        assert!(!tfn.is_consistent_with_xpm_value("782"));
    }

    #[test]
    fn debug_output_never_shows_a_full_tax_number() {
        let tfn = TaxNumber::new("123456782").unwrap();
        assert_eq!(format!("{tfn:?}"), "TaxNumber(***782)");
    }

    #[test]
    fn only_an_http_address_is_kept_as_a_client_s_page_in_xpm() {
        let kept = XpmWebUrl::new(" https://practicemanager.xero.com/Client/1/Detail ").unwrap();
        assert_eq!(
            kept.as_str(),
            "https://practicemanager.xero.com/Client/1/Detail"
        );
        for hostile in [
            "javascript:alert(1)",
            "data:text/html,x",
            "https://",
            "https:///x",
            "https://x y",
            "https://x\"onmouseover=\"y",
            "//evil.test",
            "",
        ] {
            assert_eq!(XpmWebUrl::new(hostile), None, "{hostile}");
        }
    }
}
