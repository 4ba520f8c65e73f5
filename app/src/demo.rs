//! `pmhub-xpm demo`: one command, no setup. Starts xpm-sim in-process, the
//! app on an embedded SQLite file, and seeds a practice (an admin and a staff
//! login, a dozen clients with associations, association types some mapped
//! and some not) and an XPM organisation with its admin login.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use domain::association::{Association, AssociationTerms, AssociationType, Percentage, ShareCount};
use domain::client::{
    Address, BusinessStructure, Client, ClientDetails, ClientKind, ClientStatus, Gender,
    IndividualDetails,
};
use domain::ids::{AssociationId, AssociationTypeId, ClientId, PracticeId, UserId};
use domain::ports::{AccountStore, PracticeStore};
use domain::practice::{Practice, Role, User};
use domain::relationship_type::XpmRelationshipType;
use domain::settings::{IntegrationSettings, PushOptions};
use domain::text::*;
use sql_store::TokenKey;
use time::macros::date;
use uuid::Uuid;
use xpm_adapter::{XeroEndpoints, XpmConfig};
use xpm_sim::seed::demo as sim_demo;
use xpm_sim::{ClockMode, Sim, SimConfig};

use crate::auth::{api_token, password};
use crate::config::CALLBACK_PATH;
use crate::state::AppStore;

pub const ADMIN_EMAIL: &str = "admin@pmhub.test";
pub const ADMIN_PASSWORD: &str = "demo-admin-password";
pub const STAFF_EMAIL: &str = "staff@pmhub.test";
pub const STAFF_PASSWORD: &str = "demo-staff-password";

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub listen: SocketAddr,
    pub sim_listen: SocketAddr,
    pub data_dir: PathBuf,
}

pub fn practice_id() -> PracticeId {
    PracticeId::from_uuid(Uuid::from_u128(0x5eed_0000_0000_0000_0000_0000_0000_0001))
}

fn id(kind: u128, n: u128) -> Uuid {
    Uuid::from_u128(0x5eed_0000_0000_0000_0000_0000_0000_0000 | (kind << 32) | n)
}

pub fn admin_id() -> UserId {
    UserId::from_uuid(id(2, 1))
}

pub fn staff_id() -> UserId {
    UserId::from_uuid(id(2, 2))
}

/// The demo's clients, numbered from 1 as seeded: 1 Acme Holdings Pty Ltd
/// (also in the simulator's organisation), 2 Jane Citizen (also there),
/// 3 John Citizen, 4 Smith Family Trust, 5 Brown & Green Partnership, 6 Li
/// Wei, 7 Wei's Noodle Bar, 8 Harbour Superannuation Fund, 9 Østergaard &
/// Søn, 10 Prospect Pty Ltd (no business structure), 11 Old Ventures Ltd
/// (deactivated), 12 Maria Garcia.
pub fn client_id(n: u128) -> ClientId {
    ClientId::from_uuid(id(3, n))
}

/// Runs the demo until Ctrl-C.
pub async fn run(options: DemoOptions) -> anyhow::Result<()> {
    std::fs::create_dir_all(&options.data_dir)
        .with_context(|| format!("creating {}", options.data_dir.display()))?;
    let key = TokenKey::load_or_create(&options.data_dir.join("token.key"))?;
    let app_url = format!("http://{}", options.listen);
    let redirect = format!("{app_url}{CALLBACK_PATH}");

    let mut seed = xpm_sim::Seed::demo();
    for app in &mut seed.apps {
        if !app.redirect_uris.contains(&redirect) {
            app.redirect_uris.push(redirect.clone());
        }
    }
    let sim = Sim::start(SimConfig {
        listen: options.sim_listen,
        seed,
        clock_mode: ClockMode::Real,
        start_time: time::OffsetDateTime::now_utc(),
        state_file: Some(options.data_dir.join("xpm-sim-state.json")),
        ..SimConfig::default()
    })
    .await
    .context("starting xpm-sim")?;

    let database = format!("sqlite://{}", options.data_dir.join("demo.db").display());
    let store = crate::wiring::open_sqlite(&database, &key, true).await?;
    seed_practice(&store).await?;
    let admin = store
        .user(practice_id(), admin_id())
        .await?
        .context("the demo admin")?;
    let (token, hash) = api_token::generate();
    store.save_api_token(&admin, &hash, "demo").await?;

    let xero = XpmConfig::with_endpoints(
        XeroEndpoints::under(&sim.base_url()),
        sim_demo::CLIENT_ID,
        secrecy::SecretString::from(sim_demo::CLIENT_SECRET),
        redirect,
    );
    let state = crate::wiring::app_state(
        crate::relationship_types::shipped(),
        store,
        &xero,
        &key,
        false,
        Some(sim.base_url()),
    )?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("binding {} (is another pmhub-xpm running?)", options.listen))?;
    println!(
        "\npmhub-xpm demo is running (data in {data})\n\n  PM Hub:            {app_url}/login\n    admin:           {ADMIN_EMAIL} / {ADMIN_PASSWORD}\n    staff:           {STAFF_EMAIL} / {STAFF_PASSWORD}\n    API token:       {token}\n                     (curl -H 'Authorization: Bearer {token}' {app_url}/api/clients)\n\n  XPM simulator:     {sim}/_sim/ui\n    XPM admin login: {xpm_admin} (pick it on Xero's login page)\n\nOpen Integrations → Xero Practice Manager, Connect, then Sync a client. Ctrl-C stops.\n",
        data = options.data_dir.display(),
        sim = sim.base_url(),
        xpm_admin = sim_demo::ADMIN_EMAIL,
    );
    crate::server::serve(state, listener, crate::server::shutdown_signal()).await?;
    sim.stop().await;
    Ok(())
}

fn text(s: &str) -> Option<ShortText> {
    ShortText::new(s).ok()
}

fn organisation(
    name: &str,
    structure: BusinessStructure,
    email: Option<&str>,
    business_number: Option<&str>,
) -> anyhow::Result<ClientDetails> {
    let mut d = ClientDetails::named(ClientName::new(name)?, ClientKind::Organisation);
    d.business_structure = Some(structure);
    d.email = email.map(EmailAddress::new).transpose()?;
    d.business_number = business_number.map(BusinessNumber::new).transpose()?;
    Ok(d)
}

fn person(
    first: &str,
    last: &str,
    gender: Gender,
    born: time::Date,
    email: &str,
) -> anyhow::Result<ClientDetails> {
    let mut d = ClientDetails::named(
        ClientName::new(format!("{first} {last}"))?,
        ClientKind::Individual(IndividualDetails {
            first_name: text(first),
            last_name: text(last),
            gender: Some(gender),
            date_of_birth: Some(born),
            ..IndividualDetails::default()
        }),
    );
    d.business_structure = Some(BusinessStructure::Individual);
    d.email = Some(EmailAddress::new(email)?);
    d.phone = Some(PhoneNumber::new("+61 2 9000 0000")?);
    d.physical_address = Address {
        street: StreetAddress::new("1 George St").ok(),
        city: text("Sydney"),
        region: text("NSW"),
        post_code: PostCode::new("2000").ok(),
        country: text("Australia"),
    };
    Ok(d)
}

/// Seeds the demo practice once; later runs keep what is there.
pub async fn seed_practice<S: AppStore>(store: &S) -> anyhow::Result<()> {
    let practice = practice_id();
    if store.practice(practice).await?.is_some() {
        return Ok(());
    }
    store
        .save_practice(&Practice {
            id: practice,
            name: DisplayName::new("Smith & Co Accountants")?,
        })
        .await?;
    for (user_id, email, name, role, secret) in [
        (
            admin_id(),
            ADMIN_EMAIL,
            "Ada Admin",
            Role::Admin,
            ADMIN_PASSWORD,
        ),
        (
            staff_id(),
            STAFF_EMAIL,
            "Sam Staff",
            Role::Staff,
            STAFF_PASSWORD,
        ),
    ] {
        let user = User {
            id: user_id,
            practice,
            name: DisplayName::new(name)?,
            email: EmailAddress::new(email)?,
            role,
        };
        store.save_user(&user).await?;
        store.save_login(&user, &password::hash(secret)?).await?;
    }

    let mut trust = organisation(
        "Smith Family Trust",
        BusinessStructure::DiscretionaryTrust,
        Some("trustee@smithfamily.test"),
        None,
    )?;
    trust.tax_number = Some(TaxNumber::new("123 456 782")?);
    let clients: Vec<(ClientStatus, ClientDetails)> = vec![
        // Already in the simulator's organisation: the first sync asks to link or create.
        (
            ClientStatus::Active,
            organisation(
                "Acme Holdings Pty Ltd",
                BusinessStructure::Company,
                Some("accounts@acme.test"),
                Some("51 824 753 556"),
            )?,
        ),
        (
            ClientStatus::Active,
            person(
                "Jane",
                "Citizen",
                Gender::Female,
                date!(1980 - 05 - 17),
                "jane@citizen.test",
            )?,
        ),
        (
            ClientStatus::Active,
            person(
                "John",
                "Citizen",
                Gender::Male,
                date!(1978 - 11 - 02),
                "john@citizen.test",
            )?,
        ),
        (ClientStatus::Active, trust),
        (
            ClientStatus::Active,
            organisation(
                "Brown & Green Partnership",
                BusinessStructure::Partnership,
                Some("office@browngreen.test"),
                Some("33 102 417 032"),
            )?,
        ),
        (
            ClientStatus::Active,
            person(
                "Li",
                "Wei",
                Gender::Male,
                date!(1990 - 01 - 30),
                "li.wei@example.test",
            )?,
        ),
        (
            ClientStatus::Active,
            organisation(
                "Wei's Noodle Bar",
                BusinessStructure::SoleTrader,
                Some("hello@noodles.test"),
                None,
            )?,
        ),
        (
            ClientStatus::Active,
            organisation(
                "Harbour Superannuation Fund",
                BusinessStructure::SelfManagedSuperannuationFund,
                None,
                None,
            )?,
        ),
        (
            ClientStatus::Active,
            organisation(
                "Østergaard & Søn ApS 🦀",
                BusinessStructure::Company,
                Some("post@ostergaard.test"),
                None,
            )?,
        ),
        (
            ClientStatus::Active,
            ClientDetails::named(
                ClientName::new("Prospect Pty Ltd")?,
                ClientKind::Organisation,
            ),
        ),
        (
            ClientStatus::Deactivated,
            organisation("Old Ventures Ltd", BusinessStructure::Company, None, None)?,
        ),
        (
            ClientStatus::Active,
            person(
                "Maria",
                "Garcia",
                Gender::Female,
                date!(1985 - 08 - 09),
                "maria@garcia.test",
            )?,
        ),
    ];
    let mut ids = Vec::new();
    for (n, (status, details)) in clients.into_iter().enumerate() {
        let client = Client {
            id: client_id(n as u128 + 1),
            practice,
            status,
            details,
        };
        store.save_client(&client).await?;
        ids.push(client.id);
    }

    let types = [
        (
            "Director",
            Some(XpmRelationshipType::from_static("Director")),
        ),
        (
            "Shareholder",
            Some(XpmRelationshipType::from_static("Shareholder")),
        ),
        ("Trustee", Some(XpmRelationshipType::from_static("Trustee"))),
        (
            "Beneficiary",
            Some(XpmRelationshipType::from_static("Beneficiary")),
        ),
        ("Partner", Some(XpmRelationshipType::from_static("Partner"))),
        ("Spouse", Some(XpmRelationshipType::from_static("Spouse"))),
        ("Referred by", None),
        ("Bookkeeper", None),
        (
            "Company secretary",
            Some(XpmRelationshipType::from_static("Secretary")),
        ),
        // Saved before XPM's list was corrected: XPM has "Appointer". The
        // Association Types page flags it, and its associations are skipped
        // with that reason until a person chooses again.
        (
            "Appointor",
            Some(XpmRelationshipType::from_static("Appointor")),
        ),
    ];
    let mut type_ids = Vec::new();
    let mut mappings = std::collections::BTreeMap::new();
    for (n, (name, mapped)) in types.iter().enumerate() {
        let t = AssociationType {
            id: AssociationTypeId::from_uuid(id(4, n as u128 + 1)),
            practice,
            name: AssociationTypeName::new(*name)?,
        };
        store.save_association_type(&t).await?;
        if let Some(m) = mapped {
            mappings.insert(t.id, m.clone());
        }
        type_ids.push(t.id);
    }
    store
        .save_settings(
            practice,
            &IntegrationSettings::new(mappings, PushOptions::default()),
        )
        .await?;

    let terms = |shares: Option<u64>, pct: Option<&str>| -> anyhow::Result<AssociationTerms> {
        Ok(AssociationTerms {
            shares: shares.map(ShareCount::new).transpose()?,
            percentage: pct.map(Percentage::parse).transpose()?,
            start_date: Some(date!(2020 - 07 - 01)),
            end_date: None,
        })
    };
    // (client, related, type): "client has `related` as its <type>".
    let links = [
        (0, 1, 0, terms(None, None)?),
        (0, 1, 1, terms(Some(600), None)?),
        (0, 2, 1, terms(Some(400), None)?),
        (3, 1, 2, terms(None, None)?),
        (3, 2, 3, terms(None, None)?),
        (4, 5, 4, terms(None, Some("50"))?),
        (4, 11, 4, terms(None, Some("50"))?),
        (1, 2, 5, terms(None, None)?),
        (6, 5, 6, terms(None, None)?),
        (7, 1, 7, terms(None, None)?),
        (8, 10, 0, terms(None, None)?),
        (0, 2, 8, terms(None, None)?),
        (3, 1, 9, terms(None, None)?),
    ];
    for (n, (client, related, kind, terms)) in links.into_iter().enumerate() {
        let association = Association::new(
            AssociationId::from_uuid(id(5, n as u128 + 1)),
            practice,
            ids[client],
            ids[related],
            type_ids[kind],
            terms,
        )?;
        store.save_association(&association).await?;
    }
    Ok(())
}

/// The default demo data folder, in the working directory.
pub fn default_data_dir() -> PathBuf {
    Path::new(".pmhub-xpm").to_path_buf()
}
