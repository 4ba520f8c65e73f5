//! The canonical clients the wire snapshots are taken with: one of each
//! kind XPM knows (individual, company, trust, partnership, sole trader),
//! names and addresses full of XML-special and non-Latin characters.

use domain::client::{
    Address, BusinessStructure, ClientDetails, ClientKind, Gender, IndividualDetails,
};
use domain::text::*;

fn text(s: &str) -> Option<ShortText> {
    Some(ShortText::new(s).expect("a valid short text"))
}

fn organisation(name: &str, structure: BusinessStructure) -> ClientDetails {
    let mut d = ClientDetails::named(
        ClientName::new(name).expect("a valid name"),
        ClientKind::Organisation,
    );
    d.business_structure = Some(structure);
    d
}

/// (snapshot name, details), in the order they are synced.
pub fn clients() -> Vec<(&'static str, ClientDetails)> {
    let mut individual = ClientDetails::named(
        ClientName::new("Zoë O'Brien-Ōtake").expect("a valid name"),
        ClientKind::Individual(IndividualDetails {
            title: text("Dr"),
            first_name: text("Zoë"),
            middle_name: text("Åsa"),
            last_name: text("O'Brien-Ōtake"),
            gender: Some(Gender::Female),
            date_of_birth: Some(time::macros::date!(1984 - 02 - 29)),
            place_of_birth_city: text("Ōtautahi"),
            ..IndividualDetails::default()
        }),
    );
    individual.business_structure = Some(BusinessStructure::Individual);
    individual.email = EmailAddress::new("zoe@obrien.test").ok();
    individual.phone = PhoneNumber::new("+64 3 555 0100").ok();
    individual.physical_address = Address {
        street: StreetAddress::new("Flat 2\n10 Cashel St").ok(),
        city: text("Christchurch"),
        region: text("Canterbury"),
        post_code: PostCode::new("8011").ok(),
        country: text("New Zealand"),
    };
    individual.tax_number = TaxNumber::new("123-456-789").ok();

    let mut company = organisation(
        r#"Acme <Holdings> & "Sons" Pty Ltd"#,
        BusinessStructure::Company,
    );
    // Nothing in common with the demo seed's Acme Holdings (another client),
    // so that the first sync creates rather than asks.
    company.email = EmailAddress::new("accounts@acme-and-sons.test").ok();
    company.website = WebSite::new("https://acme.test/?a=1&b=<2>").ok();
    company.company_number = CompanyNumber::new("987 654 321").ok();
    company.business_number = BusinessNumber::new("51 824 753 556").ok();
    company.tax_number = TaxNumber::new("123 456 782").ok();
    company.gst_registered = Some(true);
    company.client_code = ClientCode::new("ACME&<01>").ok();
    company.postal_address = Address {
        street: StreetAddress::new("PO Box <42> & Co").ok(),
        city: text("Sydney"),
        region: text("NSW"),
        post_code: PostCode::new("2000").ok(),
        country: text("Australia"),
    };

    let mut trust = organisation("Smith Family Trust", BusinessStructure::DiscretionaryTrust);
    trust.tax_number = TaxNumber::new("987654321").ok();

    let mut partnership = organisation("Brown & Green 合伙", BusinessStructure::Partnership);
    partnership.phone = PhoneNumber::new("+61 2 9000 0000").ok();

    let mut sole_trader = organisation("Wei's Noodle Bar 🍜", BusinessStructure::SoleTrader);
    sole_trader.is_prospect = true;

    let mut non_latin = organisation(
        "ООО «Иванов и партнёры» شركة النور 株式会社",
        BusinessStructure::Company,
    );
    non_latin.email = EmailAddress::new("office@ivanov.test").ok();

    vec![
        ("individual", individual),
        ("company_with_xml_specials", company),
        ("trust", trust),
        ("partnership", partnership),
        ("sole_trader", sole_trader),
        ("non_latin_names", non_latin),
    ]
}
