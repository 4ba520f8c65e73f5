//! Look-alikes: the XPM clients that may already be a PM Hub client, found
//! by every key a person would know it by, and judged here, not by XPM's
//! search (whose matching is undocumented).

use serde::{Deserialize, Serialize};

use crate::client::{Client, ClientKind};
use crate::ids::{ClientId, XpmClientUuid};
use crate::ports::XpmClientView;

/// An XPM client as a search answers it: enough to tell whether it looks
/// like a PM Hub client. Read from XPM, shown to people, never written into
/// PM Hub's records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookAlike {
    pub xpm_client: XpmClientUuid,
    pub name: String,
    pub email: Option<String>,
    pub business_number: Option<String>,
    #[serde(default)]
    pub company_number: Option<String>,
    #[serde(default)]
    pub client_code: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// XPM's text (`yyyy-MM-dd`, possibly with a time).
    #[serde(default)]
    pub date_of_birth: Option<String>,
    /// What the XPM custom field where the practice keeps PM Hub's client
    /// ids holds for this client, when the Sync read it (`None`: empty, or
    /// not read).
    #[serde(default)]
    pub pm_hub_id: Option<String>,
    /// XPM shows the client as archived (IsArchived Yes).
    #[serde(default)]
    pub archived: bool,
}

/// A key on which an XPM client looks like a PM Hub client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MatchKey {
    /// XPM's custom field for PM Hub's id holds this client's id: the
    /// strongest key, listed first.
    PmHubId,
    Name,
    Email,
    BusinessNumber,
    CompanyNumber,
    ClientCode,
    /// An individual's first and last names with the same date of birth.
    PersonAndDateOfBirth,
}

impl MatchKey {
    /// How a person reads it: "same business number".
    pub const fn describe(self) -> &'static str {
        match self {
            Self::PmHubId => "holds this client's PM Hub id in XPM's custom field",
            Self::Name => "same name",
            Self::Email => "same email",
            Self::BusinessNumber => "same business number",
            Self::CompanyNumber => "same company number",
            Self::ClientCode => "same client code",
            Self::PersonAndDateOfBirth => "same first and last name and date of birth",
        }
    }
}

/// The queries that find every possible look-alike of `client`: its name,
/// and each of its email, business number, company number and client code
/// it has, and an individual's last name (for the name with date of birth).
/// One XPM search call each, so at most six; repeated queries are dropped.
pub fn look_alike_queries(client: &Client) -> Vec<String> {
    let d = &client.details;
    let mut queries = vec![d.name.as_str().to_owned()];
    let text = |v: Option<&str>| v.map(str::to_owned);
    let person_last = match &d.kind {
        ClientKind::Individual(p) if p.date_of_birth.is_some() => {
            text(p.last_name.as_ref().map(AsRef::as_ref))
        }
        _ => None,
    };
    for q in [
        text(d.email.as_ref().map(AsRef::as_ref)),
        text(d.business_number.as_ref().map(AsRef::as_ref)),
        text(d.company_number.as_ref().map(AsRef::as_ref)),
        text(d.client_code.as_ref().map(AsRef::as_ref)),
        person_last,
    ]
    .into_iter()
    .flatten()
    {
        if !queries.iter().any(|x| x.eq_ignore_ascii_case(&q)) {
            queries.push(q);
        }
    }
    queries
}

impl LookAlike {
    /// An XPM client known by its name only (the other fields empty).
    pub fn named(xpm_client: XpmClientUuid, name: impl Into<String>) -> Self {
        Self {
            xpm_client,
            name: name.into(),
            email: None,
            business_number: None,
            company_number: None,
            client_code: None,
            first_name: None,
            last_name: None,
            date_of_birth: None,
            pm_hub_id: None,
            archived: false,
        }
    }

    /// An XPM client judged as a look-alike from its fields, by XPM's
    /// names (as a get answers them, or as XPM holds them).
    pub fn from_fields<'f>(
        xpm_client: XpmClientUuid,
        fields: impl IntoIterator<Item = (&'f str, &'f str)>,
    ) -> Self {
        let mut look_alike = Self::named(xpm_client, "");
        for (field, value) in fields {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let slot = match field {
                "Name" => {
                    look_alike.name = value.to_owned();
                    continue;
                }
                "IsArchived" => {
                    look_alike.archived =
                        value.eq_ignore_ascii_case("yes") || value.eq_ignore_ascii_case("true");
                    continue;
                }
                "Email" => &mut look_alike.email,
                "BusinessNumber" => &mut look_alike.business_number,
                "CompanyNumber" => &mut look_alike.company_number,
                "ClientCode" => &mut look_alike.client_code,
                "FirstName" => &mut look_alike.first_name,
                "LastName" => &mut look_alike.last_name,
                "DateOfBirth" => &mut look_alike.date_of_birth,
                _ => continue,
            };
            *slot = Some(value.to_owned());
        }
        look_alike
    }

    /// An XPM client as a get answers it, judged as a search answer would be.
    pub fn from_view(view: &XpmClientView) -> Self {
        Self {
            archived: view.archived,
            ..Self::from_fields(
                view.xpm_client,
                view.fields.iter().map(|(f, v)| (f.as_str(), v.as_str())),
            )
        }
    }

    /// Whether XPM's field for PM Hub's id holds `client`'s id.
    pub fn holds_id_of(&self, client: ClientId) -> bool {
        self.held_id() == Some(client)
    }

    /// The other PM Hub client whose id XPM's field holds, if it holds another's.
    pub fn holds_id_of_another(&self, client: ClientId) -> Option<ClientId> {
        self.held_id().filter(|held| *held != client)
    }

    /// The PM Hub client id the field holds; text that is no id (typed by a
    /// person) names no client.
    fn held_id(&self) -> Option<ClientId> {
        self.pm_hub_id.as_deref()?.trim().parse().ok()
    }

    /// The keys on which this XPM client looks like `client`; empty when it does not.
    pub fn matches(&self, client: &Client) -> Vec<MatchKey> {
        let d = &client.details;
        let same_text = |a: &Option<String>, b: Option<&str>| matches!((a, b), (Some(a), Some(b)) if !a.trim().is_empty() && a.trim().eq_ignore_ascii_case(b.trim()));
        let same_number = |a: &Option<String>, b: Option<&str>| matches!((a, b), (Some(a), Some(b)) if !digits(a).is_empty() && digits(a) == digits(b));
        let person = match &d.kind {
            ClientKind::Individual(p) => Some(p),
            ClientKind::Organisation => None,
        };
        let same_person = person.is_some_and(|p| {
            let dob = p.date_of_birth.map(|d| d.to_string());
            same_text(&self.first_name, p.first_name.as_ref().map(AsRef::as_ref))
                && same_text(&self.last_name, p.last_name.as_ref().map(AsRef::as_ref))
                && matches!((&self.date_of_birth, dob), (Some(a), Some(b)) if a.split('T').next() == Some(b.as_str()))
        });
        let mut keys = Vec::new();
        let mut check = |hit: bool, key| {
            if hit {
                keys.push(key);
            }
        };
        check(self.holds_id_of(client.id), MatchKey::PmHubId);
        check(
            normalise(&self.name) == normalise(d.name.as_str()),
            MatchKey::Name,
        );
        check(
            same_text(&self.email, d.email.as_ref().map(AsRef::as_ref)),
            MatchKey::Email,
        );
        check(
            same_number(
                &self.business_number,
                d.business_number.as_ref().map(AsRef::as_ref),
            ),
            MatchKey::BusinessNumber,
        );
        check(
            same_number(
                &self.company_number,
                d.company_number.as_ref().map(AsRef::as_ref),
            ),
            MatchKey::CompanyNumber,
        );
        check(
            same_text(&self.client_code, d.client_code.as_ref().map(AsRef::as_ref)),
            MatchKey::ClientCode,
        );
        check(same_person, MatchKey::PersonAndDateOfBirth);
        keys
    }

    pub(crate) fn resembles(&self, client: &Client) -> bool {
        !self.matches(client).is_empty()
    }
}

pub(crate) fn normalise(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{ClientDetails, IndividualDetails};
    use crate::ids::{ClientId, PracticeId};
    use crate::text::{BusinessNumber, ClientName, EmailAddress, ShortText};
    use uuid::Uuid;

    fn client(details: ClientDetails) -> Client {
        Client {
            id: ClientId::from_uuid(Uuid::from_u128(1)),
            practice: PracticeId::from_uuid(Uuid::from_u128(2)),
            status: crate::client::ClientStatus::Active,
            details,
        }
    }

    fn jane() -> Client {
        let mut d = ClientDetails::named(
            ClientName::new("Jane Citizen").unwrap(),
            ClientKind::Individual(IndividualDetails {
                first_name: ShortText::new("Jane").ok(),
                last_name: ShortText::new("Citizen").ok(),
                date_of_birth: Some(time::macros::date!(1980 - 05 - 17)),
                ..IndividualDetails::default()
            }),
        );
        d.email = EmailAddress::new("jane@citizen.test").ok();
        client(d)
    }

    fn xpm(fields: &[(&str, &str)]) -> LookAlike {
        LookAlike::from_fields(
            XpmClientUuid::from_uuid(Uuid::from_u128(9)),
            fields.iter().copied(),
        )
    }

    #[test]
    fn one_query_per_key_the_client_holds() {
        assert_eq!(
            look_alike_queries(&jane()),
            ["Jane Citizen", "jane@citizen.test", "Citizen"]
        );
        let mut zeta = ClientDetails::named(
            ClientName::new("Zeta Trading").unwrap(),
            ClientKind::Organisation,
        );
        zeta.business_number = BusinessNumber::new("53 004 085 616").ok();
        assert_eq!(
            look_alike_queries(&client(zeta)),
            ["Zeta Trading", "53 004 085 616"]
        );
    }

    #[test]
    fn numbers_match_whatever_their_spacing_and_names_whatever_their_case() {
        let mut zeta = ClientDetails::named(
            ClientName::new("Zeta  Trading").unwrap(),
            ClientKind::Organisation,
        );
        zeta.business_number = BusinessNumber::new("53 004 085 616").ok();
        let zeta = client(zeta);
        assert_eq!(
            xpm(&[("Name", "ZETA TRADING"), ("BusinessNumber", "53004085616")]).matches(&zeta),
            [MatchKey::Name, MatchKey::BusinessNumber]
        );
        assert!(
            xpm(&[("Name", "Other"), ("BusinessNumber", "")])
                .matches(&zeta)
                .is_empty()
        );
    }

    #[test]
    fn a_person_matches_on_names_with_the_same_date_of_birth() {
        let seen = xpm(&[
            ("Name", "Citizen, Jane"),
            ("FirstName", "jane"),
            ("LastName", "CITIZEN"),
            ("DateOfBirth", "1980-05-17T00:00:00"),
        ]);
        assert_eq!(seen.matches(&jane()), [MatchKey::PersonAndDateOfBirth]);
        let other_day = xpm(&[
            ("Name", "Citizen, Jane"),
            ("FirstName", "Jane"),
            ("LastName", "Citizen"),
            ("DateOfBirth", "1981-05-17"),
        ]);
        assert!(other_day.matches(&jane()).is_empty());
    }
}
