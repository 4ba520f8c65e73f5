//! The six everyday sequences that left XPM wrong (issue 13), each played
//! through the app's real use cases and adapters against an in-process
//! xpm-sim, on SQLite and on Postgres. Each is judged by what XPM ends up
//! holding (the sim's state and journal), not by what the app reports.

use domain::activity::ActivityKind;
use domain::association::{AssociationTerms, ShareCount};
use domain::client::{BusinessStructure, ClientDetails, ClientKind, IndividualDetails};
use domain::ids::{ClientId, XpmClientUuid, XpmTenantId};
use domain::relationship_type::XpmRelationshipType;
use domain::sync::{ClientStep, FirstSyncDecision, GoneReason, ManualSyncRequest, MatchKey};
use domain::text::{
    AssociationTypeName, BusinessNumber, ClientName, EmailAddress, PhoneNumber, ShortText,
};
use domain::usecases::{Stores, SyncOutcome};
use rule_tests::rig::first_org;
use rule_tests::{FreshPostgres, FreshSqlite, Rig};
use serde_json::json;
use uuid::Uuid;
use xpm_sim::{Client as XpmClient, Relationship};

struct World<S> {
    rig: Rig<S>,
    mark: u64,
}

impl<S: Stores + Clone> World<S> {
    async fn start(store: S, prefix: u64) -> Self {
        let rig = Rig::start(store, prefix).await;
        rig.connect(&[first_org()], first_org())
            .await
            .expect("connect through Xero's login");
        let mut w = Self { rig, mark: 0 };
        w.xpm_writes_since_mark();
        w
    }

    async fn client(&self, details: ClientDetails) -> ClientId {
        self.rig
            .app
            .create_client(self.rig.practice, self.rig.admin.id, details)
            .await
            .expect("create a PM Hub client")
            .id
    }

    async fn edit(&self, client: ClientId, f: impl FnOnce(&mut ClientDetails)) {
        let app = &self.rig.app;
        let mut d = app
            .get_client(self.rig.practice, self.rig.admin.id, client)
            .await
            .expect("read the client")
            .details;
        f(&mut d);
        app.update_client(self.rig.practice, self.rig.admin.id, client, d)
            .await
            .expect("edit the client");
    }

    async fn mapped_type(
        &self,
        name: &str,
        to: XpmRelationshipType,
    ) -> domain::ids::AssociationTypeId {
        let app = &self.rig.app;
        let (practice, admin) = (self.rig.practice, self.rig.admin.id);
        let t = app
            .create_association_type(
                practice,
                admin,
                AssociationTypeName::new(name).expect("a name"),
            )
            .await
            .expect("create a type");
        app.configure_mapping(practice, admin, t.id, Some(to))
            .await
            .expect("map it");
        t.id
    }

    async fn associate(
        &self,
        client: ClientId,
        related: ClientId,
        kind: domain::ids::AssociationTypeId,
        terms: AssociationTerms,
    ) -> domain::ids::AssociationId {
        self.rig
            .app
            .add_association(
                self.rig.practice,
                self.rig.admin.id,
                client,
                related,
                kind,
                terms,
            )
            .await
            .expect("add an association")
            .id()
    }

    async fn sync_with(
        &self,
        client: ClientId,
        decision: Option<FirstSyncDecision>,
    ) -> SyncOutcome {
        let request = ManualSyncRequest::new(&self.rig.admin, self.rig.practice, client, decision)
            .expect("a sync request");
        self.rig
            .app
            .sync_client(&request)
            .await
            .expect("the sync runs")
    }

    /// A sync that must be refused.
    async fn refused(&self, client: ClientId) -> domain::usecases::SyncError {
        let request = ManualSyncRequest::new(&self.rig.admin, self.rig.practice, client, None)
            .expect("a sync request");
        self.rig
            .app
            .sync_client(&request)
            .await
            .expect_err("the sync is refused")
    }

    async fn sync(&self, client: ClientId) -> SyncOutcome {
        self.sync_with(client, None).await
    }

    /// A sync that must complete.
    async fn synced(&self, client: ClientId, decision: Option<FirstSyncDecision>) -> SyncOutcome {
        let outcome = self.sync_with(client, decision).await;
        assert!(
            outcome.is_complete(),
            "the sync did not complete: {outcome:#?}"
        );
        outcome
    }

    async fn xpm_copy(&self, client: ClientId) -> Option<XpmClientUuid> {
        self.rig
            .store()
            .record(
                self.rig.practice,
                client,
                XpmTenantId::from_uuid(first_org()),
            )
            .await
            .expect("read the record")
            .map(|r| r.xpm_client)
    }

    /// XPM's client, as the sim holds it.
    fn in_xpm(&self, uuid: Uuid) -> XpmClient {
        self.rig
            .ctl()
            .client(first_org().into(), uuid.into())
            .expect("the sim's client")
    }

    fn seeded(&self, name: &str) -> Uuid {
        self.rig
            .ctl()
            .clients(first_org().into())
            .expect("the sim's clients")
            .into_iter()
            .find(|c| c.name() == name)
            .map(|c| c.uuid.into())
            .expect("seeded in the sim")
    }

    fn live_clients(&self) -> Vec<XpmClient> {
        self.rig
            .ctl()
            .clients(first_org().into())
            .expect("the sim's clients")
            .into_iter()
            .filter(|c| !c.deleted)
            .collect()
    }

    fn relationships_between(&self, a: Uuid, b: Uuid) -> Vec<Relationship> {
        let state = self
            .rig
            .ctl()
            .org_state(first_org().into())
            .expect("the sim's state");
        state
            .org
            .relationships
            .values()
            .filter(|r| (r.client == a && r.related == b) || (r.client == b && r.related == a))
            .cloned()
            .collect()
    }

    /// The XPM writes journalled since the last call, as "METHOD op" lines.
    fn xpm_writes_since_mark(&mut self) -> Vec<String> {
        let journal = self.rig.ctl().journal_all();
        let writes = journal
            .iter()
            .filter(|e| {
                e.id > self.mark && e.path.starts_with("/practicemanager/") && e.method != "GET"
            })
            .map(|e| {
                format!(
                    "{} {}",
                    e.method,
                    e.path.rsplit('/').next().unwrap_or_default()
                )
            })
            .collect();
        self.mark = journal.iter().map(|e| e.id).max().unwrap_or(self.mark);
        writes
    }
}

fn organisation(name: &str) -> ClientDetails {
    let mut d = ClientDetails::named(
        ClientName::new(name).expect("a name"),
        ClientKind::Organisation,
    );
    d.business_structure = Some(BusinessStructure::Company);
    d
}

fn jane() -> ClientDetails {
    let mut d = ClientDetails::named(
        ClientName::new("Jane Citizen").expect("a name"),
        ClientKind::Individual(IndividualDetails {
            first_name: ShortText::new("Jane").ok(),
            last_name: ShortText::new("Citizen").ok(),
            ..IndividualDetails::default()
        }),
    );
    d.business_structure = Some(BusinessStructure::Individual);
    d.email = EmailAddress::new("jane@citizen.test").ok();
    d
}

fn decision_to_link(outcome: &SyncOutcome, to: Uuid) -> FirstSyncDecision {
    let ClientStep::NeedsDecision { look_alikes } = &outcome.plan.client else {
        panic!(
            "expected a link-or-create question, got {:?}",
            outcome.plan.client
        );
    };
    assert!(
        look_alikes.iter().any(|l| *l.xpm_client.as_uuid() == to),
        "{to} is not among the look-alikes offered: {look_alikes:?}"
    );
    FirstSyncDecision::LinkTo(XpmClientUuid::from_uuid(to))
}

/// Sequence 1: The demo's XPM already has Jane as Acme's Director. Linking both and
/// syncing Acme adopts that relationship: still one Director between them.
async fn linking_to_clients_that_already_have_the_relationship_adopts_it<S: Stores + Clone>(
    store: S,
    prefix: u64,
) {
    let mut w = World::start(store, prefix).await;
    let director = w
        .mapped_type("Director", XpmRelationshipType::from_static("Director"))
        .await;
    let mut acme = organisation("Acme Holdings Pty Ltd");
    acme.email = EmailAddress::new("accounts@acme.test").ok();
    let acme = w.client(acme).await;
    let jane = w.client(jane()).await;
    w.associate(
        acme,
        jane,
        director,
        AssociationTerms {
            start_date: Some(time::macros::date!(2015 - 07 - 01)),
            ..AssociationTerms::default()
        },
    )
    .await;
    let (x_acme, x_jane) = (w.seeded("Acme Holdings Pty Ltd"), w.seeded("Jane Citizen"));

    let asked = w.sync(jane).await;
    w.synced(jane, Some(decision_to_link(&asked, x_jane))).await;
    let asked = w.sync(acme).await;
    w.synced(acme, Some(decision_to_link(&asked, x_acme))).await;

    let between = w.relationships_between(x_acme, x_jane);
    assert_eq!(
        between.len(),
        1,
        "one Director relationship, as before: {between:?}"
    );
    assert!(
        !w.xpm_writes_since_mark()
            .iter()
            .any(|op| op.ends_with("addrelationship")),
        "no relationship was added"
    );
    w.synced(acme, None).await;
    assert_eq!(
        w.xpm_writes_since_mark(),
        Vec::<String>::new(),
        "a re-sync writes nothing"
    );
}

/// Sequence 2: A field cleared in PM Hub is cleared in XPM, and a switch from
/// individual to organisation clears the personal fields.
async fn cleared_fields_and_a_kind_switch_are_cleared_in_xpm<S: Stores + Clone>(
    store: S,
    prefix: u64,
) {
    let mut w = World::start(store, prefix).await;
    let mut details = jane();
    details.name = ClientName::new("Jane Q Citizen").expect("a name");
    details.phone = PhoneNumber::new("+61 2 9000 0001").ok();
    let client = w.client(details).await;
    w.synced(client, Some(FirstSyncDecision::CreateNew)).await;
    let x = *w.xpm_copy(client).await.expect("in XPM").as_uuid();
    assert_eq!(w.in_xpm(x).field("Phone"), Some("+61 2 9000 0001"));
    w.xpm_writes_since_mark();

    w.edit(client, |d| {
        d.email = None;
        d.phone = None;
    })
    .await;
    let outcome = w.synced(client, None).await;
    let held = w.in_xpm(x);
    assert_eq!(held.field("Email"), None, "{held:?}");
    assert_eq!(held.field("Phone"), None, "{held:?}");
    let logged = outcome
        .entries
        .iter()
        .find_map(|e| match &e.kind {
            ActivityKind::ClientUpdated { changes, .. } => Some(changes.clone()),
            _ => None,
        })
        .expect("the update is logged");
    assert_eq!(logged.len(), 2, "{logged:?}");

    w.edit(client, |d| {
        d.kind = ClientKind::Organisation;
        d.business_structure = Some(BusinessStructure::Company);
    })
    .await;
    w.synced(client, None).await;
    let held = w.in_xpm(x);
    assert_eq!(held.field("FirstName"), None, "{held:?}");
    assert_eq!(held.field("LastName"), None, "{held:?}");
    assert_eq!(held.field("BusinessStructure"), Some("Company"));
    w.synced(client, None).await;
    assert_eq!(
        w.xpm_writes_since_mark(),
        ["PUT update", "PUT update"],
        "one update per edit, none for the re-sync"
    );
}

/// Sequence 3: A look-alike sharing only the business number and email is found
/// and asked about; nothing is created until a person chooses.
async fn a_look_alike_by_business_number_and_email_is_asked_about<S: Stores + Clone>(
    store: S,
    prefix: u64,
) {
    let mut w = World::start(store, prefix).await;
    let zeta_x = w
        .rig
        .ctl()
        .add_client(
            first_org().into(),
            &json!({ "Name": "Zeta Trading Pty Ltd", "BusinessNumber": "53004085616", "Email": "office@zeta.test" }),
        )
        .expect("seed Zeta in XPM")
        .uuid;
    let mut zeta = organisation("Zeta Trading Company");
    zeta.business_number = BusinessNumber::new("53 004 085 616").ok();
    zeta.email = EmailAddress::new("office@zeta.test").ok();
    let zeta = w.client(zeta).await;
    let before = w.live_clients().len();
    w.xpm_writes_since_mark();

    let outcome = w.sync(zeta).await;
    let ClientStep::NeedsDecision { look_alikes } = &outcome.plan.client else {
        panic!("expected a question, got {:?}", outcome.plan.client);
    };
    assert_eq!(look_alikes.len(), 1, "{look_alikes:?}");
    assert_eq!(*look_alikes[0].xpm_client.as_uuid(), *zeta_x.as_uuid());
    let pm_hub = w
        .rig
        .app
        .get_client(w.rig.practice, w.rig.admin.id, zeta)
        .await
        .expect("read");
    assert_eq!(
        look_alikes[0].matches(&pm_hub),
        [MatchKey::Email, MatchKey::BusinessNumber]
    );
    assert_eq!(w.live_clients().len(), before, "nothing created");
    assert_eq!(w.xpm_writes_since_mark(), Vec::<String>::new());

    w.synced(
        zeta,
        Some(FirstSyncDecision::LinkTo(look_alikes[0].xpm_client)),
    )
    .await;
    assert_eq!(w.live_clients().len(), before, "linked, not created");
    assert_eq!(w.in_xpm(zeta_x.into()).name(), "Zeta Trading Company");
}

/// Sequence 4: Changing an association's terms, or removing it and adding it again,
/// updates the one relationship in XPM.
async fn changed_terms_update_the_one_relationship<S: Stores + Clone>(store: S, prefix: u64) {
    let mut w = World::start(store, prefix).await;
    let holder = w
        .mapped_type(
            "Shareholder",
            XpmRelationshipType::from_static("Shareholder"),
        )
        .await;
    let acme = w.client(organisation("Acme Widgets Ltd")).await;
    let bob = w.client(organisation("Bob Holdings Ltd")).await;
    let shares = |n| AssociationTerms {
        shares: Some(ShareCount::new(n).expect("shares")),
        ..AssociationTerms::default()
    };
    let link = w.associate(acme, bob, holder, shares(100)).await;
    w.synced(bob, None).await;
    w.synced(acme, None).await;
    let (xa, xb) = (
        *w.xpm_copy(acme).await.expect("acme").as_uuid(),
        *w.xpm_copy(bob).await.expect("bob").as_uuid(),
    );
    w.xpm_writes_since_mark();

    let new_terms = AssociationTerms {
        end_date: Some(time::macros::date!(2026 - 06 - 30)),
        ..shares(250)
    };
    w.rig
        .app
        .update_association_terms(w.rig.practice, w.rig.admin.id, acme, link, new_terms)
        .await
        .expect("change the terms");
    w.synced(acme, None).await;
    let between = w.relationships_between(xa, xb);
    assert_eq!(between.len(), 1, "{between:?}");
    assert_eq!(between[0].number_of_shares, Some(250));
    assert_eq!(
        between[0].end_date.as_deref().map(|d| &d[..10]),
        Some("2026-06-30")
    );
    assert_eq!(w.xpm_writes_since_mark(), ["POST updaterelationship"]);

    w.rig
        .app
        .remove_association(w.rig.practice, w.rig.admin.id, acme, link)
        .await
        .expect("remove");
    w.associate(acme, bob, holder, shares(300)).await;
    w.synced(acme, None).await;
    let between = w.relationships_between(xa, xb);
    assert_eq!(between.len(), 1, "re-added, not duplicated: {between:?}");
    assert_eq!(between[0].number_of_shares, Some(300));
    assert_eq!(
        between[0].end_date, None,
        "the new association has no end date"
    );
}

/// Sequence 5: A client deleted, archived or merged in XPM is reported in words,
/// nothing is written, and a person creates it again, links it elsewhere or unlinks it.
async fn a_client_gone_from_xpm_is_a_choice_not_a_dead_end<S: Stores + Clone>(
    store: S,
    prefix: u64,
) {
    let mut w = World::start(store, prefix).await;
    let acme = w.client(organisation("Gone Widgets Ltd")).await;
    w.synced(acme, None).await;
    let x = *w.xpm_copy(acme).await.expect("in XPM").as_uuid();
    w.rig
        .ctl()
        .delete_client(first_org().into(), x.into())
        .expect("a person deletes it in XPM");
    w.xpm_writes_since_mark();

    let gone = w.sync(acme).await;
    assert!(
        matches!(
            gone.plan.client,
            ClientStep::GoneFromXpm {
                reason: GoneReason::DeletedOrMerged,
                ..
            }
        ),
        "{:?}",
        gone.plan.client
    );
    assert!(!gone.is_complete());
    assert_eq!(
        w.xpm_writes_since_mark(),
        Vec::<String>::new(),
        "nothing written"
    );

    w.synced(acme, Some(FirstSyncDecision::CreateNew)).await;
    let again = *w.xpm_copy(acme).await.expect("in XPM again").as_uuid();
    assert_ne!(again, x);
    assert_eq!(w.in_xpm(again).name(), "Gone Widgets Ltd");

    // Archived: linked to another XPM client instead.
    w.rig
        .ctl()
        .archive_client(first_org().into(), again.into())
        .expect("archive");
    let other = w
        .rig
        .ctl()
        .add_client(first_org().into(), &json!({ "Name": "Gone Widgets Ltd" }))
        .expect("a second copy made by a person")
        .uuid;
    let gone = w.sync(acme).await;
    let ClientStep::GoneFromXpm {
        reason: GoneReason::Archived,
        look_alikes,
        ..
    } = &gone.plan.client
    else {
        panic!("{:?}", gone.plan.client);
    };
    assert_eq!(
        look_alikes
            .iter()
            .map(|l| *l.xpm_client.as_uuid())
            .collect::<Vec<_>>(),
        [*other.as_uuid()]
    );
    w.synced(
        acme,
        Some(FirstSyncDecision::LinkTo(XpmClientUuid::from_uuid(
            other.into(),
        ))),
    )
    .await;
    assert_eq!(
        w.xpm_copy(acme).await.map(|u| *u.as_uuid()),
        Some(other.into())
    );

    // Merged away: unlinked by a person, XPM untouched.
    let survivor = w
        .rig
        .ctl()
        .add_client(first_org().into(), &json!({ "Name": "Widgets Group" }))
        .expect("survivor")
        .uuid;
    w.rig
        .ctl()
        .merge_client(first_org().into(), other, survivor)
        .expect("merge");
    assert!(matches!(
        w.sync(acme).await.plan.client,
        ClientStep::GoneFromXpm { .. }
    ));
    w.xpm_writes_since_mark();
    let journal_before = w.rig.ctl().journal_all().len();
    w.rig
        .app
        .unlink_client(w.rig.practice, w.rig.admin.id, acme)
        .await
        .expect("unlink");
    assert_eq!(
        w.rig.ctl().journal_all().len(),
        journal_before,
        "Unlink calls nothing"
    );
    assert_eq!(w.xpm_copy(acme).await, None);
    // Unlinked, the next sync asks again: the archived copy still looks like it.
    let asked = w.sync(acme).await;
    assert!(
        matches!(asked.plan.client, ClientStep::NeedsDecision { .. }),
        "{:?}",
        asked.plan.client
    );
    w.synced(acme, Some(FirstSyncDecision::CreateNew)).await;
    assert_eq!(
        w.live_clients()
            .iter()
            .filter(|c| c.name() == "Gone Widgets Ltd" && !c.archived)
            .count(),
        1
    );
}

/// Sequence 6: An edit made directly in XPM is overwritten with PM Hub's value by
/// the next sync, and the log says what was overwritten.
async fn an_edit_made_in_xpm_is_corrected<S: Stores + Clone>(store: S, prefix: u64) {
    let mut w = World::start(store, prefix).await;
    let mut details = organisation("Drift Traders Ltd");
    details.email = EmailAddress::new("office@drift.test").ok();
    let client = w.client(details).await;
    w.synced(client, None).await;
    let x = *w.xpm_copy(client).await.expect("in XPM").as_uuid();
    w.rig
        .ctl()
        .edit_client(
            first_org().into(),
            x.into(),
            &json!({ "Email": "someone@else.test", "ReferralSource": "Word of mouth" }),
        )
        .expect("a person edits the client in XPM");
    w.xpm_writes_since_mark();

    let outcome = w.synced(client, None).await;
    let held = w.in_xpm(x);
    assert_eq!(held.field("Email"), Some("office@drift.test"));
    assert_eq!(
        held.field("ReferralSource"),
        Some("Word of mouth"),
        "XPM's own field stays"
    );
    assert_eq!(w.xpm_writes_since_mark(), ["PUT update"]);
    let journal = w.rig.ctl().journal_all();
    let update = journal
        .iter()
        .rev()
        .find(|e| e.path.ends_with("/update"))
        .expect("the update");
    assert!(
        !update.request_body.contains("ReferralSource"),
        "{}",
        update.request_body
    );
    assert!(
        !update.request_body.contains("<Name>"),
        "only the drifted field is sent: {}",
        update.request_body
    );
    assert!(outcome.entries.iter().any(|e| matches!(&e.kind,
        ActivityKind::ClientUpdated { changes, .. }
            if changes.len() == 1 && changes[0].xpm_now.as_deref() == Some("someone@else.test"))));
}

macro_rules! on_both_stores {
    ($($scenario:ident => $prefix:literal),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test]
                async fn $scenario() {
                    let file = super::FreshSqlite::new();
                    let store = file.open().await;
                    super::$scenario(store.clone(), $prefix).await;
                    store.close().await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test]
                async fn $scenario() {
                    let database = super::FreshPostgres::create().await;
                    let store = database.open().await;
                    let run = tokio::spawn(super::$scenario(store.clone(), $prefix)).await;
                    store.close().await;
                    database.drop_database().await;
                    if let Err(failure) = run {
                        std::panic::resume_unwind(failure.into_panic());
                    }
                }
            )*
        }
    };
}

on_both_stores! {
    linking_to_clients_that_already_have_the_relationship_adopts_it => 1,
    cleared_fields_and_a_kind_switch_are_cleared_in_xpm => 2,
    a_look_alike_by_business_number_and_email_is_asked_about => 3,
    changed_terms_update_the_one_relationship => 4,
    a_client_gone_from_xpm_is_a_choice_not_a_dead_end => 5,
    an_edit_made_in_xpm_is_corrected => 6,
    the_daily_allowance_is_kept_and_shown => 7,
}

/// XPM's daily allowance: a Sync that needs more writes than XPM says are
/// left is refused before it writes anything; once the allowance is spent,
/// Sync is refused in words saying when it resets, and the status shows it.
async fn the_daily_allowance_is_kept_and_shown<S: Stores + Clone>(store: S, prefix: u64) {
    let mut w = World::start(store, prefix).await;
    let director = w
        .mapped_type("Director", XpmRelationshipType::from_static("Director"))
        .await;
    let acme = w.client(organisation("Allowance Acme Ltd")).await;
    for name in ["Allowance Bob Ltd", "Allowance Carol Ltd"] {
        let other = w.client(organisation(name)).await;
        w.synced(other, None).await;
        w.associate(acme, other, director, AssociationTerms::default())
            .await;
    }
    let pm_hub = w
        .rig
        .app
        .get_client(w.rig.practice, w.rig.admin.id, acme)
        .await
        .expect("read");
    let searches = domain::sync::look_alike_queries(&pm_hub).len();
    // A practice on a small tier: after Acme's searches, one call is left.
    let per_day = u32::try_from(searches).expect("a few") + 1;
    w.rig.ctl().set_limits(xpm_sim::LimitsConfig {
        enabled: true,
        per_day,
        ..xpm_sim::LimitsConfig::default()
    });
    w.xpm_writes_since_mark();
    let refused = w.refused(acme).await;
    assert!(
        matches!(
            refused,
            domain::usecases::SyncError::DailyAllowanceShort {
                needed: 3,
                remaining: 1,
                ..
            }
        ),
        "{refused:?}"
    );
    assert_eq!(
        w.xpm_writes_since_mark(),
        Vec::<String>::new(),
        "nothing written"
    );

    // Spent: the next call is refused for the day, and Sync says when it resets.
    w.rig.ctl().set_limits(xpm_sim::LimitsConfig {
        enabled: true,
        per_day: 0,
        ..xpm_sim::LimitsConfig::default()
    });
    let spent = w.refused(acme).await;
    assert!(spent.to_string().contains("daily allowance"), "{spent}");
    assert!(spent.to_string().contains("resets in"), "{spent}");
    let status = w
        .rig
        .app
        .check_connection(w.rig.practice, w.rig.admin.id)
        .await
        .expect("status");
    let allowance = status.allowance.expect("the allowance XPM said");
    assert_eq!(allowance.day_remaining, 0);
    assert!(allowance.resets_in_secs.is_some_and(|s| s > 0));
    assert_eq!(
        w.xpm_writes_since_mark(),
        Vec::<String>::new(),
        "nothing written"
    );
    // Until it resets, a Sync does not even call XPM.
    let calls = w.rig.ctl().journal_all().len();
    let again = w.refused(acme).await;
    assert!(again.to_string().contains("resets in"), "{again}");
    assert_eq!(w.rig.ctl().journal_all().len(), calls, "no call at all");
}
