//! The adapter against wiremock: exact requests (paths, headers, bodies),
//! and every failure mode pinned where the sim would be too lenient.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use domain::client::BusinessStructure;
use domain::ids::{XpmClientUuid, XpmRelationshipUuid};
use domain::ports::{RelationshipWrite, XpmError, XpmGateway};
use domain::relationship_type::{TermsCarried, XpmRelationshipType};
use domain::sync::{OwnedField, RelationshipTerms};
use time::Duration as TimeDuration;
use uuid::Uuid;
use wiremock::matchers::{body_string, body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};
use xpm_adapter::XpmClient;

const API: &str = "/practicemanager/3.1/client.api";
const A: &str = "00000000-0000-0000-0000-00000000000a";
const B: &str = "00000000-0000-0000-0000-00000000000b";
const OLD: &str = "00000000-0000-0000-0000-0000000000aa";

fn uuid(s: &str) -> XpmClientUuid {
    s.parse().unwrap()
}

fn xml(status: u16, body: String) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, "application/xml")
}

fn client_answer(id: &str, name: &str) -> String {
    format!(
        r#"<Response api-method="Get"><Status>OK</Status><Client><UUID>{id}</UUID><Name>{name}</Name></Client></Response>"#
    )
}

fn clients_answer(clients: &[(&str, &str)]) -> String {
    let items: String = clients
        .iter()
        .map(|(id, name)| format!("<Client><UUID>{id}</UUID><Name>{name}</Name></Client>"))
        .collect();
    format!(
        r#"<Response api-method="Search"><Status>OK</Status><Clients>{items}</Clients></Response>"#
    )
}

fn error_answer(message: &str) -> String {
    format!(
        "<Response><Status>ERROR</Status><ErrorDescription>{message}</ErrorDescription></Response>"
    )
}

struct Setup {
    server: MockServer,
    store: MemoryStore,
    gateway: XpmClient<MemoryStore>,
}

async fn setup_with(store: MemoryStore) -> Setup {
    let server = MockServer::start().await;
    let gateway = XpmClient::with_clock(
        &config(&server.uri(), "app-id", "app-secret"),
        store.clone(),
        Arc::new(PinnedClock::at(NOW)),
    )
    .unwrap();
    Setup {
        server,
        store,
        gateway,
    }
}

async fn setup() -> Setup {
    setup_with(MemoryStore::with_tokens(
        "at-1",
        "rt-1",
        NOW + TimeDuration::minutes(30),
    ))
    .await
}

fn acme() -> domain::sync::ClientPayload {
    organisation("Acme Ltd", BusinessStructure::Company)
}

// ------------------------------------------------------------ reads

#[tokio::test]
async fn get_client_sends_the_bearer_token_and_tenant_and_reads_the_client() {
    let s = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/get/{A}")))
        .and(header("authorization", "Bearer at-1"))
        .and(header("xero-tenant-id", TENANT.to_string().as_str()))
        .and(header("accept", "application/xml"))
        .respond_with(xml(200, client_answer(A, "Acme Ltd")))
        .expect(1)
        .mount(&s.server)
        .await;
    let view = s.gateway.get_client(access(), uuid(A)).await.unwrap();
    assert_eq!(view.xpm_client, uuid(A));
    assert_eq!(
        view.fields,
        vec![("Name".to_owned(), "Acme Ltd".to_owned())]
    );
}

#[tokio::test]
async fn search_sends_the_query_and_asks_for_the_detailed_answer() {
    let s = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/search")))
        .and(query_param("query", "Smith & Jones <NZ>"))
        .and(query_param("detailed", "true"))
        .respond_with(xml(
            200,
            clients_answer(&[(A, "Smith &amp; Jones &lt;NZ&gt;")]),
        ))
        .expect(1)
        .mount(&s.server)
        .await;
    let found = s
        .gateway
        .search_clients(access(), "Smith & Jones <NZ>")
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name, "Smith & Jones <NZ>");
}

#[tokio::test]
async fn an_error_answer_is_a_refusal_at_any_status_and_not_found_is_told_apart() {
    let s = setup().await;
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(xml(200, error_answer("Client not found")))
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/get/{B}")))
        .respond_with(xml(
            500,
            error_answer("Something is wrong with this client"),
        ))
        .expect(1)
        .mount(&s.server)
        .await;
    assert_eq!(
        s.gateway.get_client(access(), uuid(A)).await,
        Err(XpmError::NotFound("Client not found".into()))
    );
    assert_eq!(
        s.gateway.get_client(access(), uuid(B)).await,
        Err(XpmError::Rejected(
            "Something is wrong with this client".into()
        ))
    );
}

#[tokio::test]
async fn reads_are_retried_on_5xx_then_succeed() {
    let s = setup().await;
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .expect(2)
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(xml(200, client_answer(A, "Acme")))
        .expect(1)
        .mount(&s.server)
        .await;
    assert!(s.gateway.get_client(access(), uuid(A)).await.is_ok());
}

#[tokio::test]
async fn reads_give_up_after_their_attempts_as_unavailable() {
    let s = setup().await;
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad gateway</html>"))
        .expect(3)
        .mount(&s.server)
        .await;
    let err = s.gateway.get_client(access(), uuid(A)).await.unwrap_err();
    assert!(
        matches!(&err, XpmError::Unavailable(m) if m.contains("502")),
        "{err}"
    );
}

#[tokio::test]
async fn a_read_that_times_out_is_retried() {
    let s = setup().await;
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(xml(200, client_answer(A, "Acme")).set_delay(Duration::from_secs(3)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(xml(200, client_answer(A, "Acme")))
        .expect(1)
        .mount(&s.server)
        .await;
    assert!(s.gateway.get_client(access(), uuid(A)).await.is_ok());
}

#[tokio::test]
async fn a_429_is_waited_out_as_retry_after_says() {
    let s = setup().await;
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .insert_header("X-Rate-Limit-Problem", "minute"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(xml(200, client_answer(A, "Acme")))
        .expect(1)
        .mount(&s.server)
        .await;
    let started = std::time::Instant::now();
    assert!(s.gateway.get_client(access(), uuid(A)).await.is_ok());
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn a_429_asking_for_too_long_a_wait_answers_rate_limited_at_once() {
    let s = setup().await;
    Mock::given(path(format!("{API}/add")))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .expect(1)
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/search")))
        .respond_with(xml(200, clients_answer(&[])))
        .mount(&s.server)
        .await;
    assert_eq!(
        s.gateway
            .create_client(access(), &acme(), OwnedField::ALL, &[])
            .await,
        Err(XpmError::RateLimited {
            retry_after_secs: 3600
        })
    );
}

#[tokio::test]
async fn every_answer_tells_what_is_left_of_the_day_and_a_day_refusal_is_not_waited_out() {
    let s = setup().await;
    assert_eq!(s.gateway.allowance(access()), None, "nothing heard yet");
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(
            xml(200, client_answer(A, "Acme")).insert_header("X-DayLimit-Remaining", "4321"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&s.server)
        .await;
    s.gateway.get_client(access(), uuid(A)).await.unwrap();
    assert_eq!(
        s.gateway.allowance(access()).map(|a| a.day_remaining),
        Some(4321)
    );
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "7200")
                .insert_header("X-Rate-Limit-Problem", "day")
                .insert_header("X-DayLimit-Remaining", "0"),
        )
        .expect(1)
        .mount(&s.server)
        .await;
    let started = std::time::Instant::now();
    assert_eq!(
        s.gateway.get_client(access(), uuid(A)).await,
        Err(XpmError::DailyAllowanceUsed {
            resets_in_secs: 7200
        })
    );
    assert!(started.elapsed() < Duration::from_secs(1), "not waited out");
    let spent = s.gateway.allowance(access()).expect("heard");
    assert_eq!(spent.day_remaining, 0);
    assert!(spent.resets_in_secs.is_some_and(|r| r > 7000 && r <= 7200));
}

#[tokio::test]
async fn an_oversized_answer_is_refused() {
    let s = setup().await;
    let huge = format!(
        "<Response><Status>OK</Status><Client><UUID>{A}</UUID><Name>{}</Name></Client></Response>",
        "x".repeat(2 * 1024 * 1024)
    );
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(xml(200, huge))
        .mount(&s.server)
        .await;
    let err = s.gateway.get_client(access(), uuid(A)).await.unwrap_err();
    assert!(
        matches!(&err, XpmError::UnexpectedAnswer(m) if m.contains("larger than")),
        "{err}"
    );
}

#[tokio::test]
async fn an_answer_about_another_client_is_unexpected() {
    let s = setup().await;
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(xml(200, client_answer(B, "Someone else")))
        .mount(&s.server)
        .await;
    assert!(matches!(
        s.gateway.get_client(access(), uuid(A)).await,
        Err(XpmError::UnexpectedAnswer(_))
    ));
}

// ------------------------------------------------------------ writes

#[tokio::test]
async fn create_client_posts_the_client_xml_without_searching_first() {
    let s = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/search")))
        .respond_with(xml(200, clients_answer(&[])))
        .expect(0)
        .mount(&s.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/add")))
        .and(header("authorization", "Bearer at-1"))
        .and(header("xero-tenant-id", TENANT.to_string().as_str()))
        .and(header("content-type", "application/xml; charset=utf-8"))
        .and(body_string(
            "<Client><Name>Acme Ltd</Name><IsProspect>No</IsProspect><BusinessStructure>Company</BusinessStructure></Client>",
        ))
        .respond_with(xml(200, client_answer(A, "Acme Ltd")))
        .expect(1)
        .mount(&s.server)
        .await;
    assert_eq!(
        s.gateway
            .create_client(access(), &acme(), OwnedField::ALL, &[])
            .await,
        Ok(uuid(A))
    );
}

#[tokio::test]
async fn a_refused_add_is_rejected_with_xpm_s_words_and_not_retried() {
    let s = setup().await;
    Mock::given(path(format!("{API}/search")))
        .respond_with(xml(200, clients_answer(&[])))
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/add")))
        .respond_with(xml(200, error_answer("Email is not valid")))
        .expect(1)
        .mount(&s.server)
        .await;
    assert_eq!(
        s.gateway
            .create_client(access(), &acme(), OwnedField::ALL, &[])
            .await,
        Err(XpmError::Rejected("Email is not valid".into()))
    );
}

#[tokio::test]
async fn an_add_whose_answer_was_lost_is_found_by_name_and_never_sent_twice() {
    let s = setup().await;
    // The sync's search found an older namesake (`known`). After the add:
    // the older one and the new one.
    Mock::given(path(format!("{API}/search")))
        .and(query_param("query", "Acme Ltd"))
        .respond_with(xml(
            200,
            clients_answer(&[(OLD, "ACME  ltd"), (A, "Acme Ltd"), (B, "Acme Ltd Group")]),
        ))
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/add")))
        .respond_with(ResponseTemplate::new(500).set_body_string("Internal Server Error"))
        .expect(1)
        .mount(&s.server)
        .await;
    assert_eq!(
        s.gateway
            .create_client(access(), &acme(), OwnedField::ALL, &[uuid(OLD)])
            .await,
        Ok(uuid(A))
    );
    // No search before the add: the add, then one search.
    let calls: Vec<String> = s
        .server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert_eq!(
        calls,
        [format!("POST {API}/add"), format!("GET {API}/search")]
    );
}

#[tokio::test]
async fn a_lost_add_beside_a_namesake_the_sync_did_not_know_is_ambiguous() {
    let s = setup().await;
    Mock::given(path(format!("{API}/search")))
        .respond_with(xml(
            200,
            clients_answer(&[(OLD, "Acme Ltd"), (A, "Acme Ltd")]),
        ))
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/add")))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&s.server)
        .await;
    let err = s
        .gateway
        .create_client(access(), &acme(), OwnedField::ALL, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, XpmError::Ambiguous(m) if m.contains("2 new clients")),
        "{err}"
    );
}

#[tokio::test]
async fn an_add_that_failed_cleanly_and_made_nothing_is_sent_once_more() {
    let s = setup().await;
    // One lookup after each unconfirmed add, none before.
    Mock::given(path(format!("{API}/search")))
        .respond_with(xml(200, clients_answer(&[])))
        .expect(2)
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/add")))
        .respond_with(ResponseTemplate::new(503))
        .expect(2)
        .mount(&s.server)
        .await;
    let err = s
        .gateway
        .create_client(access(), &acme(), OwnedField::ALL, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, XpmError::Unavailable(m) if m.contains("no client was created")),
        "{err}"
    );
}

#[tokio::test]
async fn an_add_that_timed_out_and_is_not_visible_yet_is_ambiguous_and_not_resent() {
    let s = setup().await;
    Mock::given(path(format!("{API}/search")))
        .respond_with(xml(200, clients_answer(&[])))
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/add")))
        .respond_with(xml(200, client_answer(A, "Acme Ltd")).set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&s.server)
        .await;
    assert!(matches!(
        s.gateway
            .create_client(access(), &acme(), OwnedField::ALL, &[])
            .await,
        Err(XpmError::Ambiguous(_))
    ));
}

#[tokio::test]
async fn an_unconfirmed_add_whose_lookup_fails_is_ambiguous() {
    let s = setup().await;
    Mock::given(path(format!("{API}/search")))
        .respond_with(ResponseTemplate::new(503))
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/add")))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&s.server)
        .await;
    let err = s
        .gateway
        .create_client(access(), &acme(), OwnedField::ALL, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, XpmError::Ambiguous(m) if m.contains("looking for the client failed")),
        "{err}"
    );
}

#[tokio::test]
async fn update_client_puts_the_given_fields_with_its_uuid() {
    let s = setup().await;
    Mock::given(method("PUT"))
        .and(path(format!("{API}/update")))
        .and(header("content-type", "application/xml; charset=utf-8"))
        .and(body_string(format!(
            "<Client><UUID>{A}</UUID><Name>Acme Ltd</Name><BusinessStructure>Company</BusinessStructure></Client>"
        )))
        .respond_with(xml(200, client_answer(A, "Acme Ltd")))
        .expect(1)
        .mount(&s.server)
        .await;
    assert_eq!(
        s.gateway
            .update_client(
                access(),
                uuid(A),
                &acme(),
                &[OwnedField::Name, OwnedField::BusinessStructure]
            )
            .await,
        Ok(())
    );
}

#[tokio::test]
async fn an_update_that_clears_fields_sends_them_as_empty_elements() {
    let s = setup().await;
    Mock::given(method("PUT"))
        .and(path(format!("{API}/update")))
        .and(body_string(format!(
            "<Client><UUID>{A}</UUID><Email></Email><Phone></Phone><IsProspect>No</IsProspect><ClientCode></ClientCode></Client>"
        )))
        .respond_with(xml(200, client_answer(A, "Acme Ltd")))
        .expect(1)
        .mount(&s.server)
        .await;
    assert_eq!(
        s.gateway
            .update_client(
                access(),
                uuid(A),
                &acme(),
                &[
                    OwnedField::Email,
                    OwnedField::Phone,
                    OwnedField::IsProspect,
                    OwnedField::ClientCode
                ]
            )
            .await,
        Ok(())
    );
}

#[tokio::test]
async fn an_update_without_answer_is_not_retried() {
    let s = setup().await;
    Mock::given(path(format!("{API}/update")))
        .respond_with(ResponseTemplate::new(504))
        .expect(1)
        .mount(&s.server)
        .await;
    assert!(matches!(
        s.gateway
            .update_client(access(), uuid(A), &acme(), &[OwnedField::Name])
            .await,
        Err(XpmError::Ambiguous(_))
    ));
}

/// Client A as `get` answers it, with one relationship to B.
fn client_with_relationship(rel: &str, kind: &str) -> String {
    format!(
        "<Response><Status>OK</Status><Client><UUID>{A}</UUID><Name>Acme</Name><IsArchived>No</IsArchived><Relationships>\
         <Relationship><UUID>{rel}</UUID><Type>{kind}</Type><RelatedClient><UUID>{B}</UUID><Name>Bob</Name></RelatedClient>\
         <NumberOfShares>100</NumberOfShares><Percentage>25</Percentage><StartDate>2024-01-01T00:00:00</StartDate><EndDate></EndDate></Relationship>\
         </Relationships></Client></Response>"
    )
}

#[tokio::test]
async fn a_relationship_update_with_cleared_terms_sends_empty_only_the_terms_its_type_carries() {
    let s = setup().await;
    let rel = "00000000-0000-0000-0000-0000000000c1";
    Mock::given(method("GET"))
        .and(path(format!("{API}/get/{A}")))
        .respond_with(xml(200, client_with_relationship(rel, "Shareholder")))
        .expect(1)
        .mount(&s.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/updaterelationship")))
        .and(body_string(format!(
            "<Relationship><UUID>{rel}</UUID><NumberOfShares></NumberOfShares><StartDate></StartDate><EndDate></EndDate></Relationship>"
        )))
        .respond_with(xml(200, rel_answer(rel)))
        .expect(2)
        .mount(&s.server)
        .await;
    let cleared = RelationshipWrite::Update {
        xpm_relationship: rel.parse().unwrap(),
        // A shareholding carries shares, not a percentage.
        carries: TermsCarried {
            shares: true,
            percentage: false,
        },
        terms: RelationshipTerms {
            shares: None,
            percentage: None,
            start_date: None,
            end_date: None,
        },
    };
    let view = s.gateway.get_client(access(), uuid(A)).await.unwrap();
    assert_eq!(
        view.relationships[0].terms,
        domain::association::AssociationTerms {
            shares: Some(domain::association::ShareCount::new(100).unwrap()),
            percentage: Some(domain::association::Percentage::parse("25").unwrap()),
            start_date: Some(time::macros::date!(2024 - 01 - 01)),
            end_date: None,
        }
    );
    // The write says what the type carries: two updates, no further read.
    for _ in 0..2 {
        let results = s
            .gateway
            .write_relationships(access(), uuid(A), vec![cleared.clone()])
            .await;
        assert_eq!(results, vec![Ok(rel.parse().unwrap())]);
    }
}

fn rel_answer(id: &str) -> String {
    format!(
        "<Response><Status>OK</Status><Relationship><UUID>{id}</UUID></Relationship></Response>"
    )
}

#[tokio::test]
async fn relationship_writes_are_answered_in_order() {
    let s = setup().await;
    let r1 = "00000000-0000-0000-0000-0000000000c1";
    let r3 = "00000000-0000-0000-0000-0000000000c3";
    Mock::given(method("POST"))
        .and(path(format!("{API}/addrelationship")))
        .and(body_string(format!(
            "<Relationship><ClientUUID>{A}</ClientUUID><RelatedClientUUID>{B}</RelatedClientUUID><Type>Director</Type></Relationship>"
        )))
        // The first write answers last.
        .respond_with(xml(200, rel_answer(r1)).set_delay(Duration::from_millis(100)))
        .expect(1)
        .mount(&s.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/addrelationship")))
        .and(body_string_contains("<Type>Shareholder</Type>"))
        .respond_with(xml(
            200,
            error_answer("Related client has no business structure"),
        ))
        .expect(1)
        .mount(&s.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/updaterelationship")))
        .and(body_string(format!(
            "<Relationship><UUID>{r3}</UUID><Percentage>50</Percentage><StartDate></StartDate><EndDate></EndDate></Relationship>"
        )))
        .respond_with(xml(200, rel_answer(r3)))
        .expect(1)
        .mount(&s.server)
        .await;
    // The update says what r3's type carries: no read is needed.
    Mock::given(method("GET"))
        .and(path(format!("{API}/get/{A}")))
        .respond_with(xml(200, client_with_relationship(r3, "Partner")))
        .expect(0)
        .mount(&s.server)
        .await;
    let none = RelationshipTerms {
        shares: None,
        percentage: None,
        start_date: None,
        end_date: None,
    };
    let results = s
        .gateway
        .write_relationships(
            access(),
            uuid(A),
            vec![
                RelationshipWrite::Add {
                    related_xpm_client: uuid(B),
                    xpm_type: XpmRelationshipType::from_static("Director"),
                    terms: none,
                },
                RelationshipWrite::Add {
                    related_xpm_client: uuid(B),
                    xpm_type: XpmRelationshipType::from_static("Shareholder"),
                    terms: none,
                },
                RelationshipWrite::Update {
                    xpm_relationship: r3.parse().unwrap(),
                    carries: TermsCarried {
                        shares: false,
                        percentage: true,
                    },
                    terms: RelationshipTerms {
                        percentage: Some(domain::association::Percentage::parse("50").unwrap()),
                        ..none
                    },
                },
            ],
        )
        .await;
    assert_eq!(
        results,
        vec![
            Ok(r1.parse::<XpmRelationshipUuid>().unwrap()),
            Err(XpmError::Rejected(
                "Related client has no business structure".into()
            )),
            Ok(r3.parse().unwrap()),
        ]
    );
}

#[tokio::test]
async fn an_unconfirmed_relationship_add_is_looked_up_on_the_client() {
    let s = setup().await;
    let rel = "00000000-0000-0000-0000-0000000000c1";
    Mock::given(path(format!("{API}/addrelationship")))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(xml(
            200,
            format!(
                "<Response><Status>OK</Status><Client><UUID>{A}</UUID><Name>Acme</Name><Relationships>\
                 <Relationship><UUID>{rel}</UUID><Type>Director</Type><RelatedClient><UUID>{B}</UUID><Name>Bob</Name></RelatedClient></Relationship>\
                 </Relationships></Client></Response>"
            ),
        ))
        .expect(1)
        .mount(&s.server)
        .await;
    let results = s
        .gateway
        .write_relationships(
            access(),
            uuid(A),
            vec![RelationshipWrite::Add {
                related_xpm_client: uuid(B),
                xpm_type: XpmRelationshipType::from_static("Director"),
                terms: RelationshipTerms {
                    shares: None,
                    percentage: None,
                    start_date: None,
                    end_date: None,
                },
            }],
        )
        .await;
    assert_eq!(results, vec![Ok(rel.parse().unwrap())]);
}

// ------------------------------------------------------------ tokens

/// Answers 200 only when the bearer token used is the one the store holds:
/// proves the renewed pair was saved before the new access token was used.
struct SavedBeforeUse {
    store: MemoryStore,
    body: String,
}

impl Respond for SavedBeforeUse {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let used = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        match self.store.current() {
            Some((access, _)) if used == format!("Bearer {access}") => xml(200, self.body.clone()),
            _ => ResponseTemplate::new(418),
        }
    }
}

fn token_answer(access: &str, refresh: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": 1800,
        "id_token": "ignored",
    }))
}

#[tokio::test]
async fn a_due_access_token_is_renewed_and_saved_before_it_is_used() {
    let s = setup_with(MemoryStore::with_tokens(
        "at-1",
        "rt-1",
        NOW + TimeDuration::seconds(90),
    ))
    .await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        // HTTP Basic client authentication: base64("app-id:app-secret").
        .and(header("authorization", "Basic YXBwLWlkOmFwcC1zZWNyZXQ="))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=rt-1"))
        .respond_with(token_answer("at-2", "rt-2"))
        .expect(1)
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/get/{A}")))
        .and(header("authorization", "Bearer at-2"))
        .respond_with(SavedBeforeUse {
            store: s.store.clone(),
            body: client_answer(A, "Acme"),
        })
        .expect(1)
        .mount(&s.server)
        .await;
    assert!(s.gateway.get_client(access(), uuid(A)).await.is_ok());
    assert_eq!(s.store.current(), Some(("at-2".into(), "rt-2".into())));
    assert_eq!(s.store.saves(), vec!["at-2".to_owned()]);
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_the_call_goes_through() {
    let s = setup().await;
    Mock::given(path("/connect/token"))
        .respond_with(token_answer("at-2", "rt-2"))
        .expect(1)
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/add")))
        .and(header("authorization", "Bearer at-1"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_string(r#"{"Title":"Unauthorized","Detail":"TokenExpired"}"#),
        )
        .expect(1)
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/add")))
        .and(header("authorization", "Bearer at-2"))
        .respond_with(SavedBeforeUse {
            store: s.store.clone(),
            body: client_answer(A, "Acme Ltd"),
        })
        .expect(1)
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/search")))
        .respond_with(xml(200, clients_answer(&[])))
        .mount(&s.server)
        .await;
    assert_eq!(
        s.gateway
            .create_client(access(), &acme(), OwnedField::ALL, &[])
            .await,
        Ok(uuid(A))
    );
}

#[tokio::test]
async fn concurrent_calls_spend_the_refresh_token_once() {
    let s = setup_with(MemoryStore::with_tokens(
        "at-1",
        "rt-1",
        NOW - TimeDuration::minutes(1),
    ))
    .await;
    Mock::given(path("/connect/token"))
        .respond_with(token_answer("at-2", "rt-2").set_delay(Duration::from_millis(50)))
        .expect(1)
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/get/{A}")))
        .and(header("authorization", "Bearer at-2"))
        .respond_with(xml(200, client_answer(A, "Acme")))
        .expect(8)
        .mount(&s.server)
        .await;
    let calls = (0..8).map(|_| s.gateway.get_client(access(), uuid(A)));
    for result in futures::future::join_all(calls).await {
        assert!(result.is_ok());
    }
}

/// Two processes (two gateways, one store) meeting the same expired token:
/// Xero would revoke the first renewal's refresh token when the second
/// spends the old one, so only one may renew; the other uses its result.
#[tokio::test]
async fn two_gateways_on_one_store_renew_the_token_once() {
    let s = setup_with(MemoryStore::with_tokens(
        "at-1",
        "rt-1",
        NOW - TimeDuration::minutes(1),
    ))
    .await;
    let other_process = XpmClient::with_clock(
        &config(&s.server.uri(), "app-id", "app-secret"),
        s.store.clone(),
        Arc::new(PinnedClock::at(NOW)),
    )
    .unwrap();
    Mock::given(path("/connect/token"))
        .respond_with(token_answer("at-2", "rt-2").set_delay(Duration::from_millis(50)))
        .expect(1)
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/get/{A}")))
        .and(header("authorization", "Bearer at-2"))
        .respond_with(xml(200, client_answer(A, "Acme")))
        .expect(8)
        .mount(&s.server)
        .await;
    let calls = (0..8).map(|n| {
        let gateway = if n % 2 == 0 {
            &s.gateway
        } else {
            &other_process
        };
        gateway.get_client(access(), uuid(A))
    });
    for result in futures::future::join_all(calls).await {
        assert!(result.is_ok(), "{result:?}");
    }
    assert_eq!(s.store.current(), Some(("at-2".into(), "rt-2".into())));
}

#[tokio::test]
async fn invalid_grant_on_renewal_means_the_authorisation_expired() {
    let s = setup_with(MemoryStore::with_tokens(
        "at-1",
        "rt-1",
        NOW - TimeDuration::minutes(1),
    ))
    .await;
    Mock::given(path("/connect/token"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(serde_json::json!({"error": "invalid_grant"})),
        )
        .expect(1)
        .mount(&s.server)
        .await;
    let err = s.gateway.get_client(access(), uuid(A)).await.unwrap_err();
    assert!(
        matches!(&err, XpmError::AuthorisationExpired(m) if m.contains("invalid_grant")),
        "{err}"
    );
    assert!(!err.to_string().contains("rt-1"));
    assert!(s.store.saves().is_empty());
}

#[tokio::test]
async fn renewed_tokens_that_cannot_be_saved_are_not_used() {
    let s = setup_with(MemoryStore::with_tokens(
        "at-1",
        "rt-1",
        NOW - TimeDuration::minutes(1),
    ))
    .await;
    *s.store.fail_saves.lock().unwrap() = true;
    Mock::given(path("/connect/token"))
        .respond_with(token_answer("at-2", "rt-2"))
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(xml(200, client_answer(A, "Acme")))
        .expect(0)
        .mount(&s.server)
        .await;
    let err = s.gateway.get_client(access(), uuid(A)).await.unwrap_err();
    assert!(
        matches!(&err, XpmError::Unavailable(m) if m.contains("could not be saved")),
        "{err}"
    );
    assert!(!err.to_string().contains("at-2") && !err.to_string().contains("rt-2"));
}

#[tokio::test]
async fn a_lost_refresh_answer_is_retried_with_the_same_refresh_token() {
    let s = setup_with(MemoryStore::with_tokens(
        "at-1",
        "rt-1",
        NOW - TimeDuration::minutes(1),
    ))
    .await;
    Mock::given(path("/connect/token"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&s.server)
        .await;
    Mock::given(path("/connect/token"))
        .and(body_string_contains("refresh_token=rt-1"))
        .respond_with(token_answer("at-2", "rt-2"))
        .expect(1)
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/get/{A}")))
        .and(header("authorization", "Bearer at-2"))
        .respond_with(xml(200, client_answer(A, "Acme")))
        .mount(&s.server)
        .await;
    assert!(s.gateway.get_client(access(), uuid(A)).await.is_ok());
}

#[tokio::test]
async fn a_second_401_after_renewal_means_access_was_revoked() {
    let s = setup().await;
    Mock::given(path("/connect/token"))
        .respond_with(token_answer("at-2", "rt-2"))
        .expect(1)
        .mount(&s.server)
        .await;
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(ResponseTemplate::new(401))
        .expect(2)
        .mount(&s.server)
        .await;
    assert!(matches!(
        s.gateway.get_client(access(), uuid(A)).await,
        Err(XpmError::AccessRevoked(_))
    ));
}

#[tokio::test]
async fn a_403_means_the_organisation_is_no_longer_granted() {
    let s = setup().await;
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(ResponseTemplate::new(403))
        .expect(1)
        .mount(&s.server)
        .await;
    let err = s.gateway.get_client(access(), uuid(A)).await.unwrap_err();
    assert!(
        matches!(&err, XpmError::AccessRevoked(m) if m.contains("403")),
        "{err}"
    );
}

#[tokio::test]
async fn without_stored_tokens_the_authorisation_is_expired() {
    let s = setup_with(MemoryStore::default()).await;
    assert!(matches!(
        s.gateway.get_client(access(), uuid(A)).await,
        Err(XpmError::AuthorisationExpired(_))
    ));
}

// ------------------------------------------------------------ check_connection

fn connections(tenants: &[(&str, &str)]) -> ResponseTemplate {
    let list: Vec<_> = tenants
        .iter()
        .map(|(id, kind)| {
            serde_json::json!({
                "id": Uuid::from_u128(0xc0).to_string(),
                "tenantId": id,
                "tenantType": kind,
                "tenantName": "Smith Partners",
                "createdDateUtc": "2026-01-01T00:00:00.0000000",
                "updatedDateUtc": "2026-01-01T00:00:00.0000000",
            })
        })
        .collect();
    ResponseTemplate::new(200).set_body_json(list)
}

#[tokio::test]
async fn check_connection_finds_the_tenant_among_the_connections() {
    let s = setup().await;
    Mock::given(method("GET"))
        .and(path("/connections"))
        .and(header("authorization", "Bearer at-1"))
        .respond_with(connections(&[(TENANT.to_string().as_str(), "PRACTICE")]))
        .expect(1)
        .mount(&s.server)
        .await;
    assert_eq!(s.gateway.check_connection(access()).await, Ok(()));
}

#[tokio::test]
async fn check_connection_reports_a_tenant_no_longer_granted_as_revoked() {
    let s = setup().await;
    Mock::given(path("/connections"))
        .respond_with(connections(&[(
            &Uuid::from_u128(1).to_string(),
            "PRACTICE",
        )]))
        .mount(&s.server)
        .await;
    let err = s.gateway.check_connection(access()).await.unwrap_err();
    assert!(
        matches!(&err, XpmError::AccessRevoked(m) if m.contains(&TENANT.to_string())),
        "{err}"
    );
}

#[tokio::test]
async fn check_connection_renews_a_due_token_first() {
    let s = setup_with(MemoryStore::with_tokens(
        "at-1",
        "rt-1",
        NOW + TimeDuration::seconds(30),
    ))
    .await;
    Mock::given(path("/connect/token"))
        .respond_with(token_answer("at-2", "rt-2"))
        .expect(1)
        .mount(&s.server)
        .await;
    Mock::given(path("/connections"))
        .and(header("authorization", "Bearer at-2"))
        .respond_with(connections(&[(TENANT.to_string().as_str(), "PRACTICE")]))
        .expect(1)
        .mount(&s.server)
        .await;
    assert_eq!(s.gateway.check_connection(access()).await, Ok(()));
}

#[tokio::test]
async fn check_connection_with_xero_down_is_unavailable_not_revoked() {
    let s = setup().await;
    Mock::given(path("/connections"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&s.server)
        .await;
    assert!(matches!(
        s.gateway.check_connection(access()).await,
        Err(XpmError::Unavailable(_))
    ));
}

#[tokio::test]
async fn a_token_refused_before_its_time_whose_refresh_is_dead_means_access_was_revoked() {
    let s = setup().await;
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&s.server)
        .await;
    Mock::given(path("/connect/token"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(serde_json::json!({"error": "invalid_grant"})),
        )
        .expect(1)
        .mount(&s.server)
        .await;
    let err = s.gateway.get_client(access(), uuid(A)).await.unwrap_err();
    assert!(
        matches!(&err, XpmError::AccessRevoked(m) if m.contains("revoked")),
        "{err}"
    );
}

#[tokio::test]
async fn a_404_for_a_client_is_not_found_whatever_its_body() {
    let s = setup().await;
    Mock::given(path(format!("{API}/get/{A}")))
        .respond_with(ResponseTemplate::new(404).set_body_string("<html>Not Found</html>"))
        .expect(1)
        .mount(&s.server)
        .await;
    assert!(matches!(
        s.gateway.get_client(access(), uuid(A)).await,
        Err(XpmError::NotFound(_))
    ));
}

// ------------------------------------------------------------ custom fields

const FIELD: &str = "00000000-0000-0000-0000-0000000000f1";

fn status_answer() -> String {
    r#"<Response api-method="Update"><Status>OK</Status></Response>"#.to_owned()
}

#[tokio::test]
async fn a_custom_field_write_puts_one_text_field_by_its_uuid() {
    let s = setup().await;
    Mock::given(method("PUT"))
        .and(path(format!("{API}/update/{A}/customfield")))
        .and(header("content-type", "application/xml; charset=utf-8"))
        .and(body_string(format!(
            "<CustomFields><CustomField><UUID>{FIELD}</UUID><Text>pm-hub-7</Text></CustomField></CustomFields>"
        )))
        .respond_with(xml(200, status_answer()))
        .expect(1)
        .mount(&s.server)
        .await;
    assert_eq!(
        s.gateway
            .write_client_custom_field(access(), uuid(A), FIELD.parse().unwrap(), "pm-hub-7")
            .await,
        Ok(())
    );
}

#[tokio::test]
async fn a_custom_field_write_without_answer_is_read_back_not_resent() {
    let s = setup().await;
    Mock::given(method("PUT"))
        .and(path(format!("{API}/update/{A}/customfield")))
        .respond_with(ResponseTemplate::new(504))
        .expect(1)
        .mount(&s.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/get/{A}/customfield")))
        .respond_with(xml(
            200,
            r#"<Response><Status>OK</Status><CustomFields /></Response>"#.to_owned(),
        ))
        .expect(1)
        .mount(&s.server)
        .await;
    assert!(matches!(
        s.gateway
            .write_client_custom_field(access(), uuid(A), FIELD.parse().unwrap(), "pm-hub-7")
            .await,
        Err(XpmError::Ambiguous(_))
    ));
}

#[tokio::test]
async fn a_refused_custom_field_write_is_rejected_in_xpm_s_words() {
    let s = setup().await;
    Mock::given(method("PUT"))
        .and(path(format!("{API}/update/{A}/customfield")))
        .respond_with(xml(
            200,
            error_answer("Custom field 'PM Hub ID' is not used for clients"),
        ))
        .expect(1)
        .mount(&s.server)
        .await;
    assert_eq!(
        s.gateway
            .write_client_custom_field(access(), uuid(A), FIELD.parse().unwrap(), "x")
            .await,
        Err(XpmError::Rejected(
            "Custom field 'PM Hub ID' is not used for clients".into()
        ))
    );
}

#[tokio::test]
async fn definitions_and_values_are_read_from_xpm_s_documented_shapes() {
    let s = setup().await;
    Mock::given(method("GET"))
        .and(path("/practicemanager/3.1/customfield.api/definition"))
        .respond_with(xml(200, format!(
            r#"<Response><Status>OK</Status><CustomFieldDefinitions>
            <CustomFieldDefinition><UUID>{FIELD}</UUID><Name>PM Hub ID</Name><Type>Text</Type><LinkUrl /><Options />
              <UseClient>true</UseClient><UseContact>false</UseContact><ValueElement>Text</ValueElement></CustomFieldDefinition>
            <CustomFieldDefinition><UUID>{B}</UUID><Name>Tier</Name><Type>Select</Type><Options>Gold
Silver</Options><UseClient>false</UseClient><SomethingNew>1</SomethingNew><ValueElement>Text</ValueElement></CustomFieldDefinition>
            </CustomFieldDefinitions></Response>"#
        )))
        .mount(&s.server)
        .await;
    let defs = s.gateway.custom_field_definitions(access()).await.unwrap();
    assert_eq!(defs.len(), 2);
    assert!(defs[0].can_hold_client_id(), "{defs:?}");
    assert_eq!(
        defs[1].kind,
        domain::custom_field::XpmCustomFieldKind::Select
    );
    assert!(!defs[1].use_client);
    Mock::given(method("GET"))
        .and(path(format!("{API}/get/{A}/customfield")))
        .respond_with(xml(200, format!(
            r#"<Response><Status>OK</Status><CustomFields>
            <CustomField><UUID>{B}</UUID><Name>Signed</Name><Date>2010-10-11T00:00:00</Date></CustomField>
            <CustomField><UUID>{FIELD}</UUID><Name>PM Hub ID</Name><Text> pm-hub-7 </Text></CustomField>
            </CustomFields></Response>"#
        )))
        .mount(&s.server)
        .await;
    let field: domain::ids::XpmCustomFieldUuid = FIELD.parse().unwrap();
    assert_eq!(
        s.gateway
            .read_client_custom_field(access(), uuid(A), field)
            .await,
        Ok(Some("pm-hub-7".into()))
    );
    let other: domain::ids::XpmCustomFieldUuid = OLD.parse().unwrap();
    assert_eq!(
        s.gateway
            .read_client_custom_field(access(), uuid(A), other)
            .await,
        Ok(None)
    );
}

#[tokio::test]
async fn clients_modified_since_lists_with_xpm_s_time_form_in_utc() {
    let s = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/list")))
        .and(query_param("modifiedsince", "2026-11-26T20:30:00"))
        .respond_with(xml(200, clients_answer(&[(A, "Renamed Ltd")])))
        .expect(1)
        .mount(&s.server)
        .await;
    let since = time::macros::datetime!(2026-11-27 09:30 +13:00);
    let found = s
        .gateway
        .clients_modified_since(access(), since)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name, "Renamed Ltd");
}
