//! The adapter against xpm-sim, in process, one sim per test: every path the
//! domain uses, and every fault the sim can throw.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use domain::association::{AssociationTerms, Percentage, ShareCount};
use domain::client::{BusinessStructure, ClientDetails, ClientKind, IndividualDetails};
use domain::ids::{PracticeId, XpmClientUuid, XpmTenantId};
use domain::ports::{
    AuthorisationError, Clock, RelationshipWrite, XpmAccess, XpmAuthorization, XpmError, XpmGateway,
};
use domain::relationship_type::{TermsCarried, XpmRelationshipType};
use domain::settings::PushOptions;
use domain::sync::{ClientPayload, OwnedField, RelationshipTerms};
use domain::text::{
    BusinessNumber, ClientCode, ClientName, CompanyNumber, EmailAddress, PhoneNumber, ShortText,
};
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;
use uuid::Uuid;
use xpm_adapter::{XeroAuthorization, XpmClient, XpmConfig};
use xpm_sim::seed::demo;
use xpm_sim::{
    ConnectRequest, FaultAction, FaultSpec, JournalFilter, LimitsConfig, RunningSim, Sim,
    SimConfig, SimHandle,
};

/// The adapter's clock is the sim's, so token lifetimes agree.
#[derive(Debug, Clone)]
struct SimTime(SimHandle);

impl Clock for SimTime {
    fn now(&self) -> OffsetDateTime {
        self.0.now()
    }
}

fn tenant() -> XpmTenantId {
    demo::TENANT_ID.parse().unwrap()
}

fn demo_access() -> XpmAccess {
    XpmAccess {
        practice: PRACTICE,
        tenant: tenant(),
    }
}

struct Setup {
    sim: RunningSim,
    store: MemoryStore,
    gateway: XpmClient<MemoryStore>,
    auth: XeroAuthorization,
    config: XpmConfig,
}

impl Setup {
    fn ctl(&self) -> &SimHandle {
        self.sim.control()
    }

    fn journal(&self, method: &str, path: &str) -> Vec<xpm_sim::JournalEntry> {
        self.ctl().journal(&JournalFilter {
            method: Some(method.into()),
            path: Some(path.into()),
            ..JournalFilter::default()
        })
    }

    fn named(&self, name: &str) -> Vec<Uuid> {
        self.ctl()
            .clients((*tenant().as_uuid()).into())
            .unwrap()
            .into_iter()
            .filter(|c| c.name() == name && !c.deleted)
            .map(|c| c.uuid.into())
            .collect()
    }

    fn fault(&self, method: &str, path: &str, action: FaultAction, times: u32) {
        self.ctl().add_fault(FaultSpec {
            method: Some(method.into()),
            path: Some(format!("/practicemanager/3.1/client.api/{path}")),
            tenant: None,
            action,
            times: Some(times),
        });
    }
}

async fn start_with(limits: LimitsConfig) -> Setup {
    start_sim(SimConfig {
        limits,
        ..SimConfig::default()
    })
    .await
}

async fn start_sim(sim_config: SimConfig) -> Setup {
    let sim = Sim::start(sim_config).await.unwrap();
    let mut config = config(&sim.base_url(), demo::CLIENT_ID, demo::CLIENT_SECRET);
    config.redirect_url = demo::REDIRECT_URI.into();
    let clock: Arc<dyn Clock> = Arc::new(SimTime(sim.control().clone()));
    let granted = sim
        .control()
        .connect(&ConnectRequest {
            client_id: demo::CLIENT_ID.into(),
            user_email: demo::ADMIN_EMAIL.into(),
            tenants: vec![],
            scopes: vec![],
        })
        .unwrap();
    let store = MemoryStore::default();
    store.tokens.lock().unwrap().insert(
        PRACTICE,
        tokens(
            &granted.access_token,
            granted.refresh_token.as_deref().unwrap(),
            sim.control().now() + time::Duration::seconds(granted.expires_in),
        ),
    );
    let gateway = XpmClient::with_clock(&config, store.clone(), clock.clone()).unwrap();
    let auth = XeroAuthorization::with_clock(&config, clock).unwrap();
    Setup {
        sim,
        store,
        gateway,
        auth,
        config,
    }
}

async fn start() -> Setup {
    start_with(LimitsConfig::default()).await
}

fn company(name: &str) -> ClientPayload {
    organisation(name, BusinessStructure::Company)
}

fn person(first: &str, last: &str) -> ClientPayload {
    let mut d = ClientDetails::named(
        ClientName::new(format!("{first} {last}")).unwrap(),
        ClientKind::Individual(IndividualDetails {
            first_name: Some(ShortText::new(first).unwrap()),
            last_name: Some(ShortText::new(last).unwrap()),
            date_of_birth: Some(time::macros::date!(1975 - 03 - 14)),
            ..IndividualDetails::default()
        }),
    );
    d.business_structure = Some(BusinessStructure::Individual);
    ClientPayload::new(&d, PushOptions::default())
}

fn no_terms() -> RelationshipTerms {
    RelationshipTerms {
        shares: None,
        percentage: None,
        start_date: None,
        end_date: None,
    }
}

/// What a Shareholder (or Owner) relationship carries in XPM.
const SHARES: TermsCarried = TermsCarried {
    shares: true,
    percentage: false,
};
/// What a Partner relationship carries in XPM.
const PERCENTAGE: TermsCarried = TermsCarried {
    shares: false,
    percentage: true,
};
/// What a Director (and most types) carries in XPM: neither.
const NEITHER: TermsCarried = TermsCarried {
    shares: false,
    percentage: false,
};

// ------------------------------------------------------------ every path

#[tokio::test]
async fn a_whole_sync_creates_updates_relates_and_reads_back() {
    let s = start().await;
    let hostile = company(r#"Ōtautahi <Holdings> & "Sons" 🚀 שלום"#);
    let acme = s
        .gateway
        .create_client(demo_access(), &hostile, OwnedField::ALL, &[])
        .await
        .unwrap();
    let jo = s
        .gateway
        .create_client(demo_access(), &person("Jo", "Bloggs"), OwnedField::ALL, &[])
        .await
        .unwrap();

    let found = s
        .gateway
        .search_clients(demo_access(), "Ōtautahi")
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name, r#"Ōtautahi <Holdings> & "Sons" 🚀 שלום"#);

    let mut changed = hostile.details().clone();
    changed.email = Some(EmailAddress::new("office@otautahi.example").unwrap());
    s.gateway
        .update_client(
            demo_access(),
            acme,
            &ClientPayload::new(&changed, PushOptions::default()),
            &[OwnedField::Email],
        )
        .await
        .unwrap();

    let results = s
        .gateway
        .write_relationships(
            demo_access(),
            acme,
            vec![
                RelationshipWrite::Add {
                    related_xpm_client: jo,
                    xpm_type: XpmRelationshipType::from_static("Director"),
                    terms: no_terms(),
                },
                RelationshipWrite::Add {
                    related_xpm_client: jo,
                    xpm_type: XpmRelationshipType::from_static("Shareholder"),
                    terms: RelationshipTerms {
                        shares: Some(ShareCount::new(100).unwrap()),
                        percentage: None,
                        start_date: Some(time::macros::date!(2024 - 01 - 01)),
                        end_date: None,
                    },
                },
            ],
        )
        .await;
    let [Ok(director), Ok(shareholder)] = results.as_slice() else {
        panic!("{results:?}");
    };
    let updated = s
        .gateway
        .write_relationships(
            demo_access(),
            acme,
            vec![RelationshipWrite::Update {
                xpm_relationship: *shareholder,
                carries: SHARES,
                terms: RelationshipTerms {
                    shares: Some(ShareCount::new(150).unwrap()),
                    percentage: None,
                    start_date: Some(time::macros::date!(2024 - 01 - 01)),
                    end_date: Some(time::macros::date!(2026 - 06 - 30)),
                },
            }],
        )
        .await;
    assert_eq!(updated, vec![Ok(*shareholder)]);

    let view = s.gateway.get_client(demo_access(), acme).await.unwrap();
    let fields: HashMap<_, _> = view.fields.iter().cloned().collect();
    assert_eq!(fields["Email"], "office@otautahi.example");
    assert_eq!(fields["BusinessStructure"], "Company");
    let held = view
        .relationships
        .iter()
        .find(|r| r.xpm_relationship == *shareholder)
        .unwrap();
    assert_eq!(
        held.terms,
        AssociationTerms {
            shares: Some(ShareCount::new(150).unwrap()),
            percentage: None,
            start_date: Some(time::macros::date!(2024 - 01 - 01)),
            end_date: Some(time::macros::date!(2026 - 06 - 30)),
        }
    );
    let mut seen: Vec<_> = view
        .relationships
        .iter()
        .map(|r| (r.xpm_relationship, r.related_xpm_client, r.xpm_type.clone()))
        .collect();
    seen.sort();
    let mut expected = vec![
        (*director, jo, XpmRelationshipType::from_static("Director")),
        (
            *shareholder,
            jo,
            XpmRelationshipType::from_static("Shareholder"),
        ),
    ];
    expected.sort();
    assert_eq!(seen, expected);
    // The related client shows each with the label XPM uses there.
    let jo_view = s.gateway.get_client(demo_access(), jo).await.unwrap();
    let mut jo_seen: Vec<_> = jo_view
        .relationships
        .iter()
        .map(|r| (r.xpm_relationship, r.related_xpm_client, r.xpm_type.clone()))
        .collect();
    jo_seen.sort();
    let mut expected = vec![
        (
            *director,
            acme,
            XpmRelationshipType::from_static("Director Of"),
        ),
        (
            *shareholder,
            acme,
            XpmRelationshipType::from_static("Shareholder Of"),
        ),
    ];
    expected.sort();
    assert_eq!(jo_seen, expected);

    assert_eq!(s.gateway.check_connection(demo_access()).await, Ok(()));
    // No delete, no archive, ever.
    assert!(s.journal("POST", "delete").is_empty());
    assert!(s.journal("PUT", "archive").is_empty());
}

#[tokio::test]
async fn a_seeded_client_is_read_with_its_masked_tax_number_and_relationships() {
    let s = start().await;
    let acme: XpmClientUuid = demo::ACME_UUID.parse().unwrap();
    let view = s.gateway.get_client(demo_access(), acme).await.unwrap();
    assert!(
        view.fields
            .iter()
            .any(|(k, v)| k == "Name" && v == "Acme Holdings Pty Ltd")
    );
    assert!(
        view.relationships
            .iter()
            .any(|r| r.related_xpm_client == demo::JANE_UUID.parse().unwrap())
    );
    let unknown: XpmClientUuid = Uuid::from_u128(42).to_string().parse().unwrap();
    assert!(matches!(
        s.gateway.get_client(demo_access(), unknown).await,
        Err(XpmError::NotFound(_))
    ));
}

/// A company PM Hub holds an email, a phone, a fax and a client code for.
fn full_company(name: &str) -> ClientDetails {
    let mut d = company(name).details().clone();
    d.email = Some(EmailAddress::new("office@full.example").unwrap());
    d.phone = Some(PhoneNumber::new("09 555 0100").unwrap());
    d.fax = Some(PhoneNumber::new("09 555 0101").unwrap());
    d.client_code = Some(ClientCode::new("FUL01").unwrap());
    d.company_number = Some(CompanyNumber::new("7654321").unwrap());
    d.business_number = Some(BusinessNumber::new("51 824 753 556").unwrap());
    d
}

fn payload_of(d: &ClientDetails) -> ClientPayload {
    ClientPayload::new(d, PushOptions::default())
}

impl Setup {
    /// The client's fields as the sim stores them.
    fn stored(&self, client: XpmClientUuid) -> std::collections::BTreeMap<String, String> {
        self.ctl()
            .client((*tenant().as_uuid()).into(), (*client.as_uuid()).into())
            .unwrap()
            .fields
    }
}

#[tokio::test]
async fn an_update_that_clears_fields_sends_them_empty_and_the_sim_no_longer_holds_them() {
    let s = start().await;
    let d = full_company("Clearing Ltd");
    let client = s
        .gateway
        .create_client(demo_access(), &payload_of(&d), OwnedField::ALL, &[])
        .await
        .unwrap();
    assert_eq!(s.stored(client)["Email"], "office@full.example");
    let mut cleared = d.clone();
    cleared.email = None;
    cleared.phone = None;
    s.gateway
        .update_client(
            demo_access(),
            client,
            &payload_of(&cleared),
            &[OwnedField::Email, OwnedField::Phone],
        )
        .await
        .unwrap();
    let update = s.journal("PUT", "client.api/update");
    assert_eq!(update.len(), 1);
    assert!(
        update[0]
            .request_body
            .contains("<Email></Email><Phone></Phone>"),
        "{}",
        update[0].request_body
    );
    let stored = s.stored(client);
    assert!(
        !stored.contains_key("Email") && !stored.contains_key("Phone"),
        "{stored:?}"
    );
    assert_eq!(stored["Fax"], "09 555 0101");
    let view = s.gateway.get_client(demo_access(), client).await.unwrap();
    assert!(
        !view
            .fields
            .iter()
            .any(|(k, _)| k == "Email" || k == "Phone")
    );
}

#[tokio::test]
async fn an_update_sends_only_the_given_fields_and_xpm_keeps_the_others() {
    let s = start().await;
    let d = full_company("Partial Ltd");
    let client = s
        .gateway
        .create_client(demo_access(), &payload_of(&d), OwnedField::ALL, &[])
        .await
        .unwrap();
    // A person edits XPM: a field PM Hub owns, and one it does not.
    s.ctl()
        .edit_client(
            (*tenant().as_uuid()).into(),
            (*client.as_uuid()).into(),
            &serde_json::json!({"Fax": "09 000 0000", "ReferralSource": "Word of mouth"}),
        )
        .unwrap();
    // PM Hub's new phone; its other values (fax included) as they were.
    let mut changed = d.clone();
    changed.phone = Some(PhoneNumber::new("09 555 0199").unwrap());
    changed.fax = None;
    s.gateway
        .update_client(
            demo_access(),
            client,
            &payload_of(&changed),
            &[OwnedField::Phone],
        )
        .await
        .unwrap();
    let body = &s.journal("PUT", "client.api/update")[0].request_body;
    assert_eq!(
        body,
        &format!("<Client><UUID>{client}</UUID><Phone>09 555 0199</Phone></Client>")
    );
    let stored = s.stored(client);
    assert_eq!(stored["Phone"], "09 555 0199");
    assert_eq!(stored["Fax"], "09 000 0000", "not given, so not sent");
    assert_eq!(stored["ReferralSource"], "Word of mouth");
    assert_eq!(stored["Email"], "office@full.example");
}

#[tokio::test]
async fn an_update_with_no_field_makes_no_call() {
    let s = start().await;
    let client = s
        .gateway
        .create_client(demo_access(), &company("Still Ltd"), OwnedField::ALL, &[])
        .await
        .unwrap();
    s.gateway
        .update_client(demo_access(), client, &company("Still Ltd"), &[])
        .await
        .unwrap();
    assert!(s.journal("PUT", "client.api/update").is_empty());
}

#[tokio::test]
async fn reading_a_client_answers_its_relationships_with_their_terms_and_its_archived_flag() {
    let s = start().await;
    let acme = s
        .gateway
        .create_client(demo_access(), &company("Terms Co"), OwnedField::ALL, &[])
        .await
        .unwrap();
    let jo = s
        .gateway
        .create_client(demo_access(), &person("Jo", "Terms"), OwnedField::ALL, &[])
        .await
        .unwrap();
    // Shares on a shareholding, a percentage on a partnership: every term
    // XPM records, each where XPM takes it.
    let shareholding = RelationshipTerms {
        shares: Some(ShareCount::new(40).unwrap()),
        percentage: None,
        start_date: Some(time::macros::date!(2023 - 04 - 01)),
        end_date: Some(time::macros::date!(2025 - 03 - 31)),
    };
    let partnership = RelationshipTerms {
        shares: None,
        percentage: Some(Percentage::parse("12.5").unwrap()),
        start_date: Some(time::macros::date!(2022 - 07 - 01)),
        end_date: None,
    };
    let results = s
        .gateway
        .write_relationships(
            demo_access(),
            acme,
            vec![
                RelationshipWrite::Add {
                    related_xpm_client: jo,
                    xpm_type: XpmRelationshipType::from_static("Shareholder"),
                    terms: shareholding,
                },
                RelationshipWrite::Add {
                    related_xpm_client: jo,
                    xpm_type: XpmRelationshipType::from_static("Partner"),
                    terms: partnership,
                },
            ],
        )
        .await;
    let [Ok(shares), Ok(partner)] = results.as_slice() else {
        panic!("{results:?}")
    };
    let seen = |rel, name, terms: RelationshipTerms| domain::sync::XpmRelationshipSeen {
        xpm_relationship: rel,
        related_xpm_client: jo,
        xpm_type: XpmRelationshipType::from_static(name),
        terms: AssociationTerms {
            shares: terms.shares,
            percentage: terms.percentage,
            start_date: terms.start_date,
            end_date: terms.end_date,
        },
    };
    let by_id = |mut v: Vec<domain::sync::XpmRelationshipSeen>| {
        v.sort_by_key(|r| r.xpm_relationship);
        v
    };
    let view = s.gateway.get_client(demo_access(), acme).await.unwrap();
    assert!(!view.archived);
    assert_eq!(
        by_id(view.relationships.clone()),
        by_id(vec![
            seen(*shares, "Shareholder", shareholding),
            seen(*partner, "Partner", partnership),
        ])
    );
    // Seen from the related client: XPM's label there, with the same terms.
    let jo_view = s.gateway.get_client(demo_access(), jo).await.unwrap();
    let from_jo: Vec<_> = by_id(jo_view.relationships)
        .into_iter()
        .map(|r| {
            (
                r.xpm_relationship,
                r.related_xpm_client,
                r.xpm_type,
                r.terms,
            )
        })
        .collect();
    let from_acme: Vec<_> = by_id(view.relationships)
        .into_iter()
        .map(|r| {
            let label = if r.xpm_type.is_named("Shareholder") {
                "Shareholder Of"
            } else {
                "Partner Of"
            };
            (
                r.xpm_relationship,
                acme,
                XpmRelationshipType::from_static(label),
                r.terms,
            )
        })
        .collect();
    assert_eq!(from_jo, from_acme);

    s.ctl()
        .archive_client((*tenant().as_uuid()).into(), (*acme.as_uuid()).into())
        .unwrap();
    let archived = s.gateway.get_client(demo_access(), acme).await.unwrap();
    assert!(archived.archived);
}

#[tokio::test]
async fn a_relationship_update_with_cleared_terms_clears_them_in_the_sim() {
    let s = start().await;
    let a = s
        .gateway
        .create_client(
            demo_access(),
            &company("Clear Terms Co"),
            OwnedField::ALL,
            &[],
        )
        .await
        .unwrap();
    let b = s
        .gateway
        .create_client(demo_access(), &company("Holder Co"), OwnedField::ALL, &[])
        .await
        .unwrap();
    let dates = RelationshipTerms {
        start_date: Some(time::macros::date!(2024 - 01 - 01)),
        end_date: Some(time::macros::date!(2024 - 12 - 31)),
        ..no_terms()
    };
    // Holder Co holds shares in Clear Terms Co: added from Clear Terms Co.
    let added = s
        .gateway
        .write_relationships(
            demo_access(),
            a,
            vec![
                RelationshipWrite::Add {
                    related_xpm_client: b,
                    xpm_type: XpmRelationshipType::from_static("Shareholder"),
                    terms: RelationshipTerms {
                        shares: Some(ShareCount::new(10).unwrap()),
                        ..dates
                    },
                },
                RelationshipWrite::Add {
                    related_xpm_client: b,
                    xpm_type: XpmRelationshipType::from_static("Director"),
                    terms: dates,
                },
            ],
        )
        .await;
    let [Ok(shareholding), Ok(directorship)] = added.as_slice() else {
        panic!("{added:?}")
    };
    let updated = s
        .gateway
        .write_relationships(
            demo_access(),
            a,
            vec![
                RelationshipWrite::Update {
                    xpm_relationship: *shareholding,
                    carries: SHARES,
                    terms: no_terms(),
                },
                RelationshipWrite::Update {
                    xpm_relationship: *directorship,
                    carries: NEITHER,
                    terms: no_terms(),
                },
            ],
        )
        .await;
    assert_eq!(updated, vec![Ok(*shareholding), Ok(*directorship)]);
    let org = s.ctl().org_state((*tenant().as_uuid()).into()).unwrap().org;
    for id in [shareholding, directorship] {
        let r = &org.relationships[id.as_uuid()];
        assert_eq!(
            (
                &r.number_of_shares,
                &r.percentage,
                &r.start_date,
                &r.end_date
            ),
            (&None, &None, &None, &None),
            "{r:?}"
        );
    }
    // What each type carries came with the writes: no read before the
    // updates; NumberOfShares was sent (empty) on the shareholding only, and
    // Percentage, which neither carries, on neither.
    assert!(s.journal("GET", "client.api/get").is_empty());
    let bodies: Vec<String> = s
        .journal("POST", "updaterelationship")
        .into_iter()
        .map(|e| e.request_body)
        .collect();
    assert_eq!(
        bodies
            .iter()
            .filter(|b| b.contains("<NumberOfShares></NumberOfShares>"))
            .count(),
        1,
        "{bodies:?}"
    );
    assert!(
        bodies.iter().all(|b| !b.contains("Percentage")),
        "{bodies:?}"
    );
    assert!(bodies.iter().all(|b| b.contains("<EndDate></EndDate>")));
}

/// Two clients with a BusinessStructure, the first `kind` of the second
/// as added from the first (e.g. the second is its Partner), with `terms`.
async fn related_by(
    s: &Setup,
    kind: &'static str,
    terms: RelationshipTerms,
) -> (XpmClientUuid, domain::ids::XpmRelationshipUuid) {
    let a = s
        .gateway
        .create_client(demo_access(), &company("Firm Co"), OwnedField::ALL, &[])
        .await
        .unwrap();
    let b = s
        .gateway
        .create_client(demo_access(), &person("Pat", "Firm"), OwnedField::ALL, &[])
        .await
        .unwrap();
    let added = s
        .gateway
        .write_relationships(
            demo_access(),
            a,
            vec![RelationshipWrite::Add {
                related_xpm_client: b,
                xpm_type: XpmRelationshipType::from_static(kind),
                terms,
            }],
        )
        .await;
    let [Ok(rel)] = added.as_slice() else {
        panic!("{added:?}")
    };
    (a, *rel)
}

#[tokio::test]
async fn a_partner_relationship_update_sends_its_percentage_and_sends_it_empty_to_clear_it() {
    let s = start().await;
    let (a, rel) = related_by(
        &s,
        "Partner",
        RelationshipTerms {
            percentage: Some(Percentage::parse("25").unwrap()),
            ..no_terms()
        },
    )
    .await;
    let percentage = |s: &Setup| {
        s.ctl()
            .org_state((*tenant().as_uuid()).into())
            .unwrap()
            .org
            .relationships[rel.as_uuid()]
        .percentage
        .clone()
    };
    assert_eq!(percentage(&s).as_deref(), Some("25"));
    let update = |terms| RelationshipWrite::Update {
        xpm_relationship: rel,
        carries: PERCENTAGE,
        terms,
    };
    let changed = RelationshipTerms {
        percentage: Some(Percentage::parse("40").unwrap()),
        ..no_terms()
    };
    for (terms, sent, held) in [
        (changed, "<Percentage>40</Percentage>", Some("40")),
        (no_terms(), "<Percentage></Percentage>", None),
    ] {
        let results = s
            .gateway
            .write_relationships(demo_access(), a, vec![update(terms)])
            .await;
        assert_eq!(results, vec![Ok(rel)]);
        let body = s
            .journal("POST", "updaterelationship")
            .pop()
            .unwrap()
            .request_body;
        assert!(body.contains(sent), "{body}");
        assert!(
            !body.contains("NumberOfShares"),
            "not a shareholding: {body}"
        );
        assert_eq!(percentage(&s).as_deref(), held);
    }
    let view = s.gateway.get_client(demo_access(), a).await.unwrap();
    assert_eq!(view.relationships[0].terms.percentage, None);
}

#[tokio::test]
async fn a_director_relationship_update_carrying_neither_term_sends_neither_and_xpm_accepts_it() {
    let s = start().await;
    let (a, rel) = related_by(&s, "Director", no_terms()).await;
    let results = s
        .gateway
        .write_relationships(
            demo_access(),
            a,
            vec![RelationshipWrite::Update {
                xpm_relationship: rel,
                carries: NEITHER,
                terms: RelationshipTerms {
                    start_date: Some(time::macros::date!(2025 - 02 - 01)),
                    ..no_terms()
                },
            }],
        )
        .await;
    assert_eq!(results, vec![Ok(rel)]);
    let sent = s.journal("POST", "updaterelationship");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].request_body,
        format!(
            "<Relationship><UUID>{rel}</UUID><StartDate>2025-02-01</StartDate><EndDate></EndDate></Relationship>"
        )
    );
    assert!(
        sent[0].response_body.contains("<Status>OK</Status>"),
        "{}",
        sent[0].response_body
    );
    let stored = &s
        .ctl()
        .org_state((*tenant().as_uuid()).into())
        .unwrap()
        .org
        .relationships[rel.as_uuid()];
    assert_eq!(stored.kind, "Director");
    assert_eq!(stored.start_date.as_deref(), Some("2025-02-01"));
}

#[tokio::test]
async fn a_relationship_of_a_name_no_list_holds_is_read_by_that_name() {
    let tenant_id = *tenant().as_uuid();
    let acme: Uuid = demo::ACME_UUID.parse().unwrap();
    let jane: Uuid = demo::JANE_UUID.parse().unwrap();
    // A state kept from an earlier XPM: Acme's relationship to Jane stored
    // as "Director Of", a name this XPM neither accepts nor has a label for.
    let dir = std::env::temp_dir().join(format!(
        "xpm-adapter-old-type-{}-{}",
        std::process::id(),
        Uuid::new_v4()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.json");
    let config = SimConfig {
        state_file: Some(file.clone()),
        ..SimConfig::default()
    };
    // The seeded state as a sim writes it to its state file on stopping.
    xpm_sim::Sim::start(config.clone())
        .await
        .unwrap()
        .stop()
        .await;
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let stored = state["orgs"][tenant_id.to_string()]["relationships"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .find(|r| r["client"] == acme.to_string() && r["related"] == jane.to_string())
        .unwrap();
    stored["kind"] = "Director Of".into();
    let rel: Uuid = stored["uuid"].as_str().unwrap().parse().unwrap();
    std::fs::write(&file, serde_json::to_string(&state).unwrap()).unwrap();
    let s = start_sim(config).await;

    // Seen from either client, by the name it is stored with.
    for (client, other) in [(acme, jane), (jane, acme)] {
        let view = s
            .gateway
            .get_client(demo_access(), XpmClientUuid::from_uuid(client))
            .await
            .unwrap();
        assert_eq!(
            view.relationships
                .iter()
                .map(|r| (
                    *r.xpm_relationship.as_uuid(),
                    *r.related_xpm_client.as_uuid(),
                    r.xpm_type.clone()
                ))
                .collect::<Vec<_>>(),
            [(rel, other, XpmRelationshipType::from_static("Director Of"))],
            "seen from {client}"
        );
    }
    s.sim.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_search_answers_look_alikes_with_the_fields_they_are_judged_on() {
    let s = start().await;
    let d = full_company("Lookalike Holdings");
    let client = s
        .gateway
        .create_client(demo_access(), &payload_of(&d), OwnedField::ALL, &[])
        .await
        .unwrap();
    let found = s
        .gateway
        .search_clients(demo_access(), "Lookalike")
        .await
        .unwrap();
    let some = |v: &str| Some(v.to_owned());
    assert_eq!(
        found,
        vec![domain::sync::LookAlike {
            email: some("office@full.example"),
            business_number: some("51 824 753 556"),
            company_number: some("7654321"),
            client_code: some("FUL01"),
            ..domain::sync::LookAlike::named(client, "Lookalike Holdings")
        }]
    );
    assert!(s.journal("GET", "detailed=true").len() == 1);
    let jo = s
        .gateway
        .create_client(
            demo_access(),
            &person("Jo", "Lookalike"),
            OwnedField::ALL,
            &[],
        )
        .await
        .unwrap();
    let people = s
        .gateway
        .search_clients(demo_access(), "Jo Lookalike")
        .await
        .unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].xpm_client, jo);
    assert_eq!(people[0].first_name.as_deref(), Some("Jo"));
    assert_eq!(people[0].last_name.as_deref(), Some("Lookalike"));
    assert_eq!(
        people[0].date_of_birth.as_deref().map(|d| &d[..10]),
        Some("1975-03-14")
    );
}

#[tokio::test]
async fn xpm_s_validation_errors_are_rejections_in_xpm_s_words() {
    let s = start().await;
    let jane: XpmClientUuid = demo::JANE_UUID.parse().unwrap();
    let mut d = ClientDetails::named(
        ClientName::new("Unstructured").unwrap(),
        ClientKind::Organisation,
    );
    d.business_structure = None;
    let bare = s
        .gateway
        .create_client(
            demo_access(),
            &ClientPayload::new(&d, PushOptions::default()),
            OwnedField::ALL,
            &[],
        )
        .await
        .unwrap();
    let results = s
        .gateway
        .write_relationships(
            demo_access(),
            bare,
            vec![RelationshipWrite::Add {
                related_xpm_client: jane,
                xpm_type: XpmRelationshipType::from_static("Director"),
                terms: no_terms(),
            }],
        )
        .await;
    assert!(
        matches!(&results[0], Err(XpmError::Rejected(m)) if m.to_lowercase().contains("business")),
        "{results:?}"
    );
}

#[tokio::test]
async fn the_login_goes_through_xero_s_pages_and_the_code_exchange_lists_the_practices() {
    let s = start().await;
    let start = s.auth.start().unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser
        .get(&start.url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let session = hidden(&page, "session");
    let consent = browser
        .post(format!(
            "{}/identity/connect/authorize/login",
            s.sim.base_url()
        ))
        .form(&[("session", session.as_str()), ("user", demo::ADMIN_USER_ID)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let session = hidden(&consent, "session");
    let tenant_field = format!("tenant_{}", demo::TENANT_ID);
    let back = browser
        .post(format!(
            "{}/identity/connect/authorize/consent",
            s.sim.base_url()
        ))
        .form(&[
            ("session", session.as_str()),
            ("action", "allow"),
            (tenant_field.as_str(), "on"),
        ])
        .send()
        .await
        .unwrap();
    let location = back.headers()["location"].to_str().unwrap().to_owned();
    let redirect = url::Url::parse(&location).unwrap();
    let q: HashMap<_, _> = redirect.query_pairs().into_owned().collect();
    assert_eq!(
        q["state"], start.state,
        "the state comes back for the app to check"
    );

    let grant = s
        .auth
        .exchange_code(&q["code"], &start.pkce_verifier)
        .await
        .unwrap();
    // The practice ticked on the consent page, without a name (the sim
    // answers `"tenantName": null` for it, as Xero documents for XPM).
    let ticked: Vec<_> = grant
        .organisations
        .iter()
        .map(|o| (o.tenant, o.name.clone()))
        .collect();
    assert_eq!(ticked, [(tenant(), None)]);
    // The code works once.
    assert!(matches!(
        s.auth.exchange_code(&q["code"], &start.pkce_verifier).await,
        Err(AuthorisationError::Refused(_))
    ));
    // A wrong PKCE verifier is refused.
    let refused = s
        .auth
        .exchange_code("made-up", &SecretString::from("wrong"))
        .await;
    assert!(matches!(refused, Err(AuthorisationError::Refused(_))));
    let _ = grant.tokens.refresh_token.expose_secret();
}

/// Walks Xero's login and consent pages on the sim as the demo admin,
/// ticking `tenants`; answers the redirect's query and the login's verifier.
async fn consent(s: &Setup, tenants: &[&str]) -> (HashMap<String, String>, SecretString) {
    let start = s.auth.start().unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser.get(&start.url).send().await.unwrap();
    let session = hidden(&page.text().await.unwrap(), "session");
    let login = browser
        .post(format!(
            "{}/identity/connect/authorize/login",
            s.sim.base_url()
        ))
        .form(&[("session", session.as_str()), ("user", demo::ADMIN_USER_ID)])
        .send()
        .await
        .unwrap();
    let session = hidden(&login.text().await.unwrap(), "session");
    let mut form = vec![
        ("session".to_owned(), session),
        ("action".to_owned(), "allow".to_owned()),
    ];
    for t in tenants {
        form.push((format!("tenant_{t}"), "on".to_owned()));
    }
    let back = browser
        .post(format!(
            "{}/identity/connect/authorize/consent",
            s.sim.base_url()
        ))
        .form(&form)
        .send()
        .await
        .unwrap();
    let location = back.headers()["location"].to_str().unwrap().to_owned();
    let q = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    (q, start.pkce_verifier)
}

#[tokio::test]
async fn a_new_consent_for_another_practice_grants_that_practice_only_though_xero_keeps_both() {
    let s = start().await;
    let (q, verifier) = consent(&s, &[demo::TENANT_ID]).await;
    s.auth.exchange_code(&q["code"], &verifier).await.unwrap();

    let (q, verifier) = consent(&s, &[demo::SECOND_TENANT_ID]).await;
    let grant = s.auth.exchange_code(&q["code"], &verifier).await.unwrap();

    let second: XpmTenantId = demo::SECOND_TENANT_ID.parse().unwrap();
    let granted: Vec<_> = grant
        .organisations
        .iter()
        .map(|o| (o.tenant, o.name.as_ref().map(|n| n.as_str().to_owned())))
        .collect();
    assert_eq!(
        granted,
        [(second, Some(demo::SECOND_TENANT_NAME.to_owned()))],
        "the sim names the second practice in its connections"
    );
    let kept: Vec<Uuid> = s
        .ctl()
        .connections()
        .iter()
        .map(|c| c.tenant_id.into())
        .collect();
    assert!(
        kept.contains(tenant().as_uuid()) && kept.contains(second.as_uuid()),
        "Xero keeps the earlier connection: {kept:?}"
    );
    let asked = s.journal("GET", "/connections");
    let last = &asked.last().unwrap().path;
    assert!(last.contains("authEventId="), "{last}");
}

fn hidden(page: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page
        .find(&marker)
        .map(|i| i + marker.len())
        .expect("hidden field");
    page[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn revoking_at_xero_kills_the_refresh_token_and_the_connection() {
    let s = start().await;
    let (_, refresh) = s.store.current().unwrap();
    s.auth
        .revoke(&SecretString::from(refresh.clone()))
        .await
        .unwrap();
    assert!(matches!(
        s.auth.refresh(&SecretString::from(refresh)).await,
        Err(AuthorisationError::Expired(_))
    ));
    let err = s
        .gateway
        .get_client(demo_access(), demo::ACME_UUID.parse().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, XpmError::AccessRevoked(_)), "{err}");
}

// ------------------------------------------------------------ tokens

#[tokio::test]
async fn tokens_expired_mid_sync_are_renewed_and_the_sync_goes_on() {
    let s = start().await;
    let first = s
        .gateway
        .create_client(
            demo_access(),
            &company("Before Expiry Ltd"),
            OwnedField::ALL,
            &[],
        )
        .await
        .unwrap();
    let (old_access, old_refresh) = s.store.current().unwrap();
    s.ctl().expire_all_tokens();
    let second = s
        .gateway
        .create_client(
            demo_access(),
            &company("After Expiry Ltd"),
            OwnedField::ALL,
            &[],
        )
        .await
        .unwrap();
    assert_ne!(first, second);
    let (new_access, new_refresh) = s.store.current().unwrap();
    assert_ne!(new_access, old_access);
    assert_ne!(new_refresh, old_refresh, "refresh tokens rotate");
    assert_eq!(s.named("After Expiry Ltd").len(), 1);
}

#[tokio::test]
async fn a_token_about_to_expire_is_renewed_before_the_call() {
    let s = start().await;
    s.ctl().advance_clock(time::Duration::minutes(29));
    s.gateway
        .get_client(demo_access(), demo::ACME_UUID.parse().unwrap())
        .await
        .unwrap();
    assert!(
        s.ctl()
            .journal(&JournalFilter {
                status: Some(401),
                ..JournalFilter::default()
            })
            .is_empty()
    );
    assert_eq!(s.journal("POST", "/connect/token").len(), 1);
    assert_eq!(s.store.saves().len(), 1);
}

#[tokio::test]
async fn a_refresh_token_unused_for_sixty_days_means_the_authorisation_expired() {
    let s = start().await;
    s.ctl().advance_clock(time::Duration::days(61));
    let err = s
        .gateway
        .get_client(demo_access(), demo::ACME_UUID.parse().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, XpmError::AuthorisationExpired(m) if m.contains("invalid_grant")),
        "{err}"
    );
    assert!(err.connection_problem().is_some());
}

#[tokio::test]
async fn many_concurrent_calls_with_a_due_token_renew_it_once() {
    let s = start().await;
    s.ctl().advance_clock(time::Duration::minutes(31));
    let acme: XpmClientUuid = demo::ACME_UUID.parse().unwrap();
    let calls = (0..10).map(|_| s.gateway.get_client(demo_access(), acme));
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(s.journal("POST", "/connect/token").len(), 1);
}

#[tokio::test]
async fn an_organisation_removed_in_xpm_is_revoked_for_calls_and_checks() {
    let s = start().await;
    s.ctl()
        .revoke_connection((*tenant().as_uuid()).into(), Some(demo::CLIENT_ID));
    let err = s.gateway.check_connection(demo_access()).await.unwrap_err();
    assert!(matches!(err, XpmError::AccessRevoked(_)), "{err}");
    let err = s
        .gateway
        .search_clients(demo_access(), "Acme")
        .await
        .unwrap_err();
    assert!(matches!(err, XpmError::AccessRevoked(_)), "{err}");
}

#[tokio::test]
async fn only_the_granted_organisation_may_be_used() {
    let s = start().await;
    let other = XpmAccess {
        practice: PracticeId::from_uuid(Uuid::from_u128(0x9001)),
        tenant: XpmTenantId::from_uuid(Uuid::from_u128(0xdead)),
    };
    assert!(matches!(
        s.gateway.check_connection(other).await,
        Err(XpmError::AccessRevoked(_))
    ));
    assert!(matches!(
        s.gateway.search_clients(other, "x").await,
        Err(XpmError::AccessRevoked(_))
    ));
}

// ------------------------------------------------------------ faults

#[tokio::test]
async fn an_add_committed_then_dropped_is_found_and_not_duplicated() {
    let s = start().await;
    s.fault("POST", "add", FaultAction::CommitThenDrop, 1);
    let made = s
        .gateway
        .create_client(
            demo_access(),
            &company("Ambiguous Ltd"),
            OwnedField::ALL,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(s.named("Ambiguous Ltd"), vec![*made.as_uuid()]);
    assert_eq!(s.journal("POST", "client.api/add").len(), 1);
}

#[tokio::test]
async fn an_add_dropped_before_it_ran_is_sent_again_once() {
    let s = start().await;
    s.fault("POST", "add", FaultAction::CloseBeforeAnswer, 1);
    let made = s
        .gateway
        .create_client(demo_access(), &company("Dropped Ltd"), OwnedField::ALL, &[])
        .await
        .unwrap();
    assert_eq!(s.named("Dropped Ltd"), vec![*made.as_uuid()]);
    assert_eq!(s.journal("POST", "client.api/add").len(), 2);
}

#[tokio::test]
async fn an_add_beside_an_older_namesake_recovers_the_new_one() {
    let s = start().await;
    let older = s
        .gateway
        .create_client(demo_access(), &company("Twin Ltd"), OwnedField::ALL, &[])
        .await
        .unwrap();
    s.fault("POST", "add", FaultAction::CommitThenDrop, 1);
    // The sync's own search found the older one: it is `known`.
    let newer = s
        .gateway
        .create_client(
            demo_access(),
            &company("Twin Ltd"),
            OwnedField::ALL,
            &[older],
        )
        .await
        .unwrap();
    assert_ne!(older, newer);
    assert_eq!(s.named("Twin Ltd").len(), 2);
}

#[tokio::test]
async fn a_lost_add_is_recovered_by_one_search_after_it_and_none_before() {
    let s = start().await;
    s.fault("POST", "add", FaultAction::CommitThenDrop, 1);
    let made = s
        .gateway
        .create_client(
            demo_access(),
            &company("Lost Answer Ltd"),
            OwnedField::ALL,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(s.named("Lost Answer Ltd"), vec![*made.as_uuid()]);
    let calls: Vec<String> = s
        .ctl()
        .journal_all()
        .into_iter()
        .filter(|e| e.path.contains("client.api"))
        .map(|e| {
            format!(
                "{} {}",
                e.method,
                e.path.split('?').next().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            "POST /practicemanager/3.1/client.api/add",
            "GET /practicemanager/3.1/client.api/search",
        ]
    );
}

#[tokio::test]
async fn a_create_that_is_answered_makes_one_call_and_no_search() {
    let s = start().await;
    s.gateway
        .create_client(demo_access(), &company("Plain Ltd"), OwnedField::ALL, &[])
        .await
        .unwrap();
    assert_eq!(s.journal("POST", "client.api/add").len(), 1);
    assert!(s.journal("GET", "client.api/search").is_empty());
}

#[tokio::test]
async fn an_add_failing_with_5xx_every_time_gives_up_without_creating_anything() {
    let s = start().await;
    s.fault(
        "POST",
        "add",
        FaultAction::Status {
            status: 503,
            body: None,
            retry_after: None,
        },
        5,
    );
    let err = s
        .gateway
        .create_client(demo_access(), &company("Never Ltd"), OwnedField::ALL, &[])
        .await
        .unwrap_err();
    assert!(matches!(err, XpmError::Unavailable(_)), "{err}");
    assert!(s.named("Never Ltd").is_empty());
    assert_eq!(s.journal("POST", "client.api/add").len(), 2);
}

#[tokio::test]
async fn a_slow_add_that_timed_out_is_ambiguous_and_never_resent() {
    let s = start().await;
    s.fault("POST", "add", FaultAction::Latency { ms: 5000 }, 1);
    let err = s
        .gateway
        .create_client(demo_access(), &company("Slow Ltd"), OwnedField::ALL, &[])
        .await
        .unwrap_err();
    assert!(matches!(err, XpmError::Ambiguous(_)), "{err}");
    // The sim drops a call whose client gave up during its latency, so
    // nothing was made; the adapter could not know that, and did not resend.
    assert!(s.named("Slow Ltd").is_empty());
    assert_eq!(s.journal("POST", "client.api/add").len(), 0);
}

#[tokio::test]
async fn a_relationship_add_committed_then_dropped_is_adopted() {
    let s = start().await;
    let a = s
        .gateway
        .create_client(demo_access(), &company("Parent Co"), OwnedField::ALL, &[])
        .await
        .unwrap();
    let b = s
        .gateway
        .create_client(demo_access(), &company("Child Co"), OwnedField::ALL, &[])
        .await
        .unwrap();
    s.fault("POST", "addrelationship", FaultAction::CommitThenDrop, 1);
    // Parent Co holds shares in Child Co: added from Child Co, and looked up there.
    let results = s
        .gateway
        .write_relationships(
            demo_access(),
            b,
            vec![RelationshipWrite::Add {
                related_xpm_client: a,
                xpm_type: XpmRelationshipType::from_static("Shareholder"),
                terms: no_terms(),
            }],
        )
        .await;
    let Ok(rel) = results[0] else {
        panic!("{results:?}")
    };
    let org = s.ctl().org_state((*tenant().as_uuid()).into()).unwrap().org;
    assert_eq!(
        org.relationships
            .values()
            .filter(|r| r.client == *a.as_uuid() || r.related == *a.as_uuid())
            .count(),
        1
    );
    assert!(org.relationships.contains_key(rel.as_uuid()));
}

#[tokio::test]
async fn reads_ride_out_5xx_dropped_connections_and_latency() {
    let s = start().await;
    let acme: XpmClientUuid = demo::ACME_UUID.parse().unwrap();
    s.fault(
        "GET",
        "get/*",
        FaultAction::Status {
            status: 500,
            body: None,
            retry_after: None,
        },
        1,
    );
    s.fault("GET", "get/*", FaultAction::CloseBeforeAnswer, 1);
    s.gateway.get_client(demo_access(), acme).await.unwrap();
    s.fault("GET", "search", FaultAction::Latency { ms: 1500 }, 1);
    s.gateway
        .search_clients(demo_access(), "Acme")
        .await
        .unwrap();
    s.fault(
        "GET",
        "search",
        FaultAction::Status {
            status: 502,
            body: None,
            retry_after: None,
        },
        10,
    );
    assert!(matches!(
        s.gateway.search_clients(demo_access(), "Acme").await,
        Err(XpmError::Unavailable(_))
    ));
}

#[tokio::test]
async fn a_429_fault_is_waited_out() {
    let s = start().await;
    s.fault(
        "GET",
        "search",
        FaultAction::Status {
            status: 429,
            body: None,
            retry_after: Some(1),
        },
        1,
    );
    s.gateway
        .search_clients(demo_access(), "Acme")
        .await
        .unwrap();
    assert_eq!(s.journal("GET", "search").len(), 2);
}

#[tokio::test]
async fn the_sim_s_minute_limit_answers_rate_limited_when_the_wait_is_too_long() {
    let s = start_with(LimitsConfig {
        per_minute: 2,
        ..LimitsConfig::default()
    })
    .await;
    let acme: XpmClientUuid = demo::ACME_UUID.parse().unwrap();
    s.gateway.get_client(demo_access(), acme).await.unwrap();
    s.gateway.get_client(demo_access(), acme).await.unwrap();
    // The sim's window is on its frozen clock: its Retry-After exceeds the test's 2 s bound.
    assert!(matches!(
        s.gateway.get_client(demo_access(), acme).await,
        Err(XpmError::RateLimited { .. })
    ));
}

#[tokio::test]
async fn once_xpm_says_the_minute_is_spent_calls_wait_for_its_end_instead_of_being_refused() {
    let s = start_with(LimitsConfig {
        per_minute: 3,
        ..LimitsConfig::default()
    })
    .await;
    let acme: XpmClientUuid = demo::ACME_UUID.parse().unwrap();
    for _ in 0..3 {
        s.gateway.get_client(demo_access(), acme).await.unwrap();
    }
    // The third answer said X-MinLimit-Remaining: 0. One call goes to find
    // out when the minute ends; XPM refuses it, saying (on the sim's frozen
    // clock) longer than the test's 2 s bound.
    for _ in 0..3 {
        assert!(matches!(
            s.gateway.get_client(demo_access(), acme).await,
            Err(XpmError::RateLimited { .. })
        ));
    }
    let refused = s.ctl().journal(&JournalFilter {
        status: Some(429),
        ..JournalFilter::default()
    });
    assert_eq!(
        refused.len(),
        1,
        "only the first call past the minute was sent"
    );
    assert_eq!(s.journal("GET", "client.api/get").len(), 4);
}

#[tokio::test]
async fn many_relationship_writes_at_once_stay_within_five_in_flight() {
    let s = start().await;
    let hub = s
        .gateway
        .create_client(demo_access(), &company("Hub Ltd"), OwnedField::ALL, &[])
        .await
        .unwrap();
    let mut others = Vec::new();
    for i in 0..12 {
        others.push(
            s.gateway
                .create_client(
                    demo_access(),
                    &person("Member", &format!("No{i}")),
                    OwnedField::ALL,
                    &[],
                )
                .await
                .unwrap(),
        );
    }
    // Each add takes a while, so they overlap: without the limit the sim would answer 429 concurrent.
    s.fault(
        "POST",
        "addrelationship",
        FaultAction::Latency { ms: 60 },
        100,
    );
    let writes = others
        .iter()
        .map(|o| RelationshipWrite::Add {
            related_xpm_client: *o,
            xpm_type: XpmRelationshipType::from_static("Member"),
            terms: no_terms(),
        })
        .collect();
    let results = s
        .gateway
        .write_relationships(demo_access(), hub, writes)
        .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert!(
        s.ctl()
            .journal(&JournalFilter {
                status: Some(429),
                ..JournalFilter::default()
            })
            .is_empty()
    );
    let view = s.gateway.get_client(demo_access(), hub).await.unwrap();
    for (o, r) in others.iter().zip(&results) {
        let r = r.as_ref().unwrap();
        assert!(
            view.relationships
                .iter()
                .any(|seen| seen.xpm_relationship == *r && seen.related_xpm_client == *o)
        );
    }
}

#[tokio::test]
async fn the_same_configuration_shape_serves_real_xero() {
    let s = start().await;
    let real = XpmConfig::xero(demo::CLIENT_ID, SecretString::from("x"), demo::REDIRECT_URI);
    assert_eq!(real.scopes, s.config.scopes);
    assert!(
        XeroAuthorization::new(&real)
            .unwrap()
            .start()
            .unwrap()
            .url
            .starts_with("https://login.xero.com/identity/connect/authorize?")
    );
    let _ = Duration::ZERO;
}

#[tokio::test]
async fn error_answers_at_4xx_and_5xx_are_refusals_never_unconfirmed_writes() {
    for status in [400, 422, 500] {
        let s = start_sim(SimConfig {
            error_status: status,
            ..SimConfig::default()
        })
        .await;
        let mut d = ClientDetails::named(
            ClientName::new("Bad Date Ltd").unwrap(),
            ClientKind::Organisation,
        );
        d.business_structure = Some(BusinessStructure::Company);
        let ok = s
            .gateway
            .create_client(
                demo_access(),
                &ClientPayload::new(&d, PushOptions::default()),
                OwnedField::ALL,
                &[],
            )
            .await
            .unwrap();
        // A relationship to a client without a business structure: XPM refuses it.
        let mut bare = ClientDetails::named(
            ClientName::new("Bare Ltd").unwrap(),
            ClientKind::Organisation,
        );
        bare.business_structure = None;
        let bare = s
            .gateway
            .create_client(
                demo_access(),
                &ClientPayload::new(&bare, PushOptions::default()),
                OwnedField::ALL,
                &[],
            )
            .await
            .unwrap();
        let results = s
            .gateway
            .write_relationships(
                demo_access(),
                ok,
                vec![RelationshipWrite::Add {
                    related_xpm_client: bare,
                    xpm_type: XpmRelationshipType::from_static("Director"),
                    terms: no_terms(),
                }],
            )
            .await;
        assert!(
            matches!(&results[0], Err(XpmError::Rejected(_))),
            "{status}: {results:?}"
        );
        assert_eq!(
            s.journal("POST", "addrelationship").len(),
            1,
            "{status}: sent once, no lookup"
        );
        let unknown: XpmClientUuid = Uuid::from_u128(42).to_string().parse().unwrap();
        assert!(
            matches!(
                s.gateway.get_client(demo_access(), unknown).await,
                Err(XpmError::NotFound(_))
            ),
            "{status}"
        );
        assert_eq!(
            s.journal("GET", &format!("get/{unknown}")).len(),
            1,
            "{status}: an ERROR read is not retried"
        );
    }
}

// ------------------------------------------------------------ custom fields

fn pm_hub_field() -> domain::ids::XpmCustomFieldUuid {
    demo::PM_HUB_ID_FIELD_UUID.parse().unwrap()
}

#[tokio::test]
async fn the_demo_practice_s_client_text_field_is_offered_and_the_others_are_not() {
    let s = start().await;
    let defs = s
        .gateway
        .custom_field_definitions(demo_access())
        .await
        .unwrap();
    let can: Vec<&str> = defs
        .iter()
        .filter(|d| d.can_hold_client_id())
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(can, ["PM Hub ID"], "{defs:?}");
    assert_eq!(defs.len(), 4);
    assert_eq!(s.journal("GET", "customfield.api/definition").len(), 1);
}

#[tokio::test]
async fn a_custom_field_is_written_and_read_back_in_one_call_each() {
    let s = start().await;
    let acme: XpmClientUuid = demo::ACME_UUID.parse().unwrap();
    assert_eq!(
        s.gateway
            .read_client_custom_field(demo_access(), acme, pm_hub_field())
            .await,
        Ok(None),
        "Acme holds other fields, not this one"
    );
    s.gateway
        .write_client_custom_field(demo_access(), acme, pm_hub_field(), "pm-hub-acme")
        .await
        .unwrap();
    let held = s
        .ctl()
        .client_custom_fields((*tenant().as_uuid()).into(), (*acme.as_uuid()).into())
        .unwrap();
    assert_eq!(
        held.get("PM Hub ID").map(String::as_str),
        Some("pm-hub-acme")
    );
    assert_eq!(
        held.get("Service tier").map(String::as_str),
        Some("Gold"),
        "the other fields keep their values"
    );
    assert_eq!(
        s.gateway
            .read_client_custom_field(demo_access(), acme, pm_hub_field())
            .await,
        Ok(Some("pm-hub-acme".into()))
    );
    assert_eq!(s.journal("PUT", "/customfield").len(), 1);
    assert_eq!(s.journal("GET", "/customfield").len(), 2);
    let gone = Uuid::from_u128(42);
    assert!(matches!(
        s.gateway
            .read_client_custom_field(
                demo_access(),
                XpmClientUuid::from_uuid(gone),
                pm_hub_field()
            )
            .await,
        Err(XpmError::NotFound(_))
    ));
    let date: domain::ids::XpmCustomFieldUuid = demo::ENGAGEMENT_SIGNED_FIELD_UUID.parse().unwrap();
    let refused = s
        .gateway
        .write_client_custom_field(demo_access(), acme, date, "not a date")
        .await;
    assert!(
        matches!(&refused, Err(XpmError::Rejected(m)) if m.contains("takes a Date value")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_custom_field_write_committed_then_dropped_is_confirmed_by_one_read() {
    let s = start().await;
    let acme: XpmClientUuid = demo::ACME_UUID.parse().unwrap();
    s.fault(
        "PUT",
        &format!("update/{}/customfield", demo::ACME_UUID),
        FaultAction::CommitThenDrop,
        1,
    );
    s.gateway
        .write_client_custom_field(demo_access(), acme, pm_hub_field(), "pm-hub-1")
        .await
        .unwrap();
    assert_eq!(s.journal("PUT", "/customfield").len(), 1, "not sent twice");
    assert_eq!(s.journal("GET", "/customfield").len(), 1);
}

#[tokio::test]
async fn a_custom_field_write_dropped_before_it_ran_is_sent_once_more() {
    let s = start().await;
    let acme: XpmClientUuid = demo::ACME_UUID.parse().unwrap();
    s.fault(
        "PUT",
        &format!("update/{}/customfield", demo::ACME_UUID),
        FaultAction::CloseBeforeAnswer,
        1,
    );
    s.gateway
        .write_client_custom_field(demo_access(), acme, pm_hub_field(), "pm-hub-2")
        .await
        .unwrap();
    assert_eq!(s.journal("PUT", "/customfield").len(), 2);
    let held = s
        .ctl()
        .client_custom_fields((*tenant().as_uuid()).into(), (*acme.as_uuid()).into())
        .unwrap();
    assert_eq!(held.get("PM Hub ID").map(String::as_str), Some("pm-hub-2"));
}

#[tokio::test]
async fn clients_modified_since_answers_those_changed_at_or_after_it() {
    let s = start().await;
    s.ctl().advance_clock(time::Duration::hours(2));
    let since = s.ctl().now();
    s.ctl().advance_clock(time::Duration::minutes(5));
    let jane: Uuid = demo::JANE_UUID.parse().unwrap();
    s.ctl()
        .edit_client(
            (*tenant().as_uuid()).into(),
            jane.into(),
            &serde_json::json!({ "Name": "Jane Q Citizen" }),
        )
        .unwrap();
    let made = s
        .gateway
        .create_client(demo_access(), &company("Fresh Ltd"), OwnedField::ALL, &[])
        .await
        .unwrap();
    let found = s
        .gateway
        .clients_modified_since(demo_access(), since)
        .await
        .unwrap();
    let mut names: Vec<&str> = found.iter().map(|l| l.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["Fresh Ltd", "Jane Q Citizen"]);
    assert!(found.iter().any(|l| l.xpm_client == made));
    assert_eq!(s.journal("GET", "client.api/list?modifiedsince=").len(), 1);
}
