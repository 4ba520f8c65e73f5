//! The three surfaces of the control operations, generated from one list:
//! for each operation a [`SimHandle`] method (in process), a
//! [`ControlClient`] method (over HTTP, same name and arguments) and its
//! `/_sim` route. Operations that cannot be refused answer plainly in
//! process; over HTTP every call can fail.

use super::client::{ControlClient, ControlClientError};
use super::handle::SimHandle;
use super::op::ControlError;
use super::ops;
use super::routes::{self, ControlRouter};
use super::views::{ConnectRequest, ConnectionView, OrgState, OrgSummary};
use crate::faults::{FaultRule, FaultSpec};
use crate::ids::{ClientUuid, RelationshipUuid, TenantId};
use crate::journal::{JournalEntry, JournalFilter};
use crate::limits::LimitsConfig;
use crate::seed::{Seed, SeedReport};
use crate::state::{Client, CustomFieldDef, Relationship};
use crate::tokens::TokenSet;
use serde_json::Value;
use std::collections::BTreeMap;
use std::convert::Infallible;
use time::{Duration, OffsetDateTime};

macro_rules! surface {
    (
        refusable {
            $( $(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty
                = $op:ident($params:expr, $body:expr); )*
        }
        always {
            $( $(#[$adoc:meta])* fn $aname:ident($($aarg:ident: $aty:ty),*) -> $aret:ty
                = $aop:ident($aparams:expr, $abody:expr); )*
        }
    ) => {
        impl SimHandle {
            $(
                $(#[$doc])*
                pub fn $name(&self, $($arg: $ty),*) -> Result<$ret, ControlError> {
                    self.run::<ops::$op>($params, $body).map(Into::into)
                }
            )*
            $(
                $(#[$adoc])*
                pub fn $aname(&self, $($aarg: $aty),*) -> $aret {
                    let done: Result<_, Infallible> = self.run::<ops::$aop>($aparams, $abody);
                    match done {
                        Ok(answer) => answer.into(),
                        Err(never) => match never {},
                    }
                }
            )*
        }

        impl ControlClient {
            $(
                $(#[$doc])*
                pub async fn $name(&self, $($arg: $ty),*) -> Result<$ret, ControlClientError> {
                    self.call::<ops::$op>($params, $body).await.map(Into::into)
                }
            )*
            $(
                $(#[$adoc])*
                pub async fn $aname(&self, $($aarg: $aty),*) -> Result<$aret, ControlClientError> {
                    self.call::<ops::$aop>($aparams, $abody).await.map(Into::into)
                }
            )*
        }

        /// Every operation's `/_sim` route.
        pub(crate) fn router() -> ControlRouter {
            // Reset answers two shapes, so its methods are written by hand.
            let router = routes::route::<ops::Reset>(routes::base());
            $( let router = routes::route::<ops::$op>(router); )*
            $( let router = routes::route::<ops::$aop>(router); )*
            router
        }
    };
}

use super::op::NoParams;
use super::views::{ClockAdvance, ClockSetting, RevokeRequest};
use ops::{ClientPath, FaultPath, MergePath, NoBody, RelationshipPath, TenantPath};

surface! {
    refusable {
        /// Adds organisations, staff, clients, relationships, users and apps (all or nothing).
        fn seed(seed: &Seed) -> SeedReport = AddSeed(NoParams {}, seed.clone());
        /// Everything about one organisation, as XPM holds it (tax numbers unmasked).
        fn org_state(tenant: TenantId) -> OrgState = GetOrg(TenantPath { tenant }, NoBody);
        /// One client as stored (deleted ones included, tax number unmasked).
        fn client(tenant: TenantId, uuid: ClientUuid) -> Client
            = GetClient(ClientPath { tenant, uuid }, NoBody);
        /// A person adds a client in XPM (XPM field names, the API's rules).
        fn add_client(tenant: TenantId, fields: &Value) -> Client
            = AddClient(TenantPath { tenant }, fields.clone());
        /// A person edits a client in XPM: fields by their XPM names
        /// (`{"Email": "new@x.test"}`; an empty string clears). Same rules as the API.
        fn edit_client(tenant: TenantId, uuid: ClientUuid, fields: &Value) -> Client
            = EditClient(ClientPath { tenant, uuid }, fields.clone());
        /// A person archives a client in XPM.
        fn archive_client(tenant: TenantId, uuid: ClientUuid) -> ()
            = ArchiveClient(ClientPath { tenant, uuid }, NoBody);
        /// A person deletes a client in XPM (its relationships go too).
        fn delete_client(tenant: TenantId, uuid: ClientUuid) -> ()
            = DeleteClient(ClientPath { tenant, uuid }, NoBody);
        /// A person merges client `merged` into client `into` in XPM: `merged`
        /// then answers like a deleted client, and its relationships move to
        /// `into` (except one between the two, and one `into` already has with
        /// the same type and other client).
        fn merge_client(tenant: TenantId, merged: ClientUuid, into: ClientUuid) -> ()
            = MergeClient(MergePath { tenant, uuid: merged, into }, NoBody);
        /// A person adds a relationship in XPM: the API's relationship fields
        /// (`{"ClientUUID", "RelatedClientUUID", "Type", ...}`), same rules.
        fn add_relationship(tenant: TenantId, fields: &Value) -> Relationship
            = AddRelationship(TenantPath { tenant }, fields.clone());
        /// A person changes a relationship's values in XPM (`{"UUID", "NumberOfShares", ...}`).
        fn update_relationship(tenant: TenantId, fields: &Value) -> Relationship
            = UpdateRelationship(TenantPath { tenant }, fields.clone());
        /// A person deletes a relationship in XPM.
        fn delete_relationship(tenant: TenantId, id: RelationshipUuid) -> ()
            = DeleteRelationship(RelationshipPath { tenant, id }, NoBody);
        /// The organisation's custom field definitions, in XPM's list order.
        fn custom_fields(tenant: TenantId) -> Vec<CustomFieldDef>
            = CustomFields(TenantPath { tenant }, NoBody);
        /// An XPM administrator adds a custom field: `{"Name", "Type", "Options"?,
        /// "LinkUrl"?, "UseClient"?, "UseContact"?, ..., "UUID"?}` (XPM names;
        /// the same rules as seeds).
        fn add_custom_field(tenant: TenantId, definition: &Value) -> CustomFieldDef
            = AddCustomField(TenantPath { tenant }, definition.clone());
        /// The custom fields a client holds a value in, by field name, as stored
        /// (dates `yyyy-MM-dd`, booleans `true`/`false`); deleted clients included.
        fn client_custom_fields(tenant: TenantId, uuid: ClientUuid) -> BTreeMap<String, String>
            = ClientCustomFields(ClientPath { tenant, uuid }, NoBody);
        /// A person fills in (or, with `""`, empties) custom fields of a client
        /// in XPM: `{"<field name or UUID>": "value", ...}`; the API's rules.
        /// Answers the client's values, as `client_custom_fields`.
        fn set_client_custom_fields(tenant: TenantId, uuid: ClientUuid, values: &Value)
            -> BTreeMap<String, String>
            = SetClientCustomFields(ClientPath { tenant, uuid }, values.clone());
        /// Removes one fault rule.
        fn remove_fault(id: u64) -> () = RemoveFault(FaultPath { id }, NoBody);
        /// Connects an app for a user and returns tokens, as if the user had
        /// clicked through the login and consent pages. Same rules: only an
        /// admin with third-party access can grant.
        fn connect(req: &ConnectRequest) -> TokenSet = Connect(NoParams {}, req.clone());
        /// Moves the sim clock (the year must stay within 1970..=9000); answers the new time.
        fn try_advance_clock(by: Duration) -> OffsetDateTime = AdvanceClock(
            NoParams {},
            ClockAdvance { seconds: by.whole_seconds(), nanoseconds: by.subsec_nanoseconds() }
        );
        /// Sets the sim clock (the year must be within 1970..=9000); answers the new time.
        fn try_set_clock(to: OffsetDateTime) -> OffsetDateTime
            = SetClock(NoParams {}, ClockSetting { now: to });
    }
    always {
        /// The organisations, in id order.
        fn orgs() -> Vec<OrgSummary> = Orgs(NoParams {}, NoBody);
        /// Reads the journal (oldest first).
        fn journal(filter: &JournalFilter) -> Vec<JournalEntry> = Journal(filter.clone(), NoBody);
        /// Empties the journal.
        fn clear_journal() -> () = ClearJournal(NoParams {}, NoBody);
        /// Adds a fault rule; returns its id.
        fn add_fault(spec: FaultSpec) -> u64 = AddFault(NoParams {}, spec);
        /// The fault rules, in the order they are matched.
        fn faults() -> Vec<FaultRule> = Faults(NoParams {}, NoBody);
        /// Removes every fault rule.
        fn clear_faults() -> () = ClearFaults(NoParams {}, NoBody);
        /// Every access token expires now (refresh tokens still work). Returns how many.
        fn expire_all_tokens() -> usize = ExpireTokens(NoParams {}, NoBody);
        /// An XPM admin removes the app's access to a practice (all users' connections
        /// to it, or only one app's). Returns how many connections went.
        fn revoke_connection(tenant: TenantId, client_id: Option<&str>) -> usize = Revoke(
            NoParams {},
            RevokeRequest { tenant_id: tenant, client_id: client_id.map(str::to_owned) }
        );
        /// Every connection, of every practice.
        fn connections() -> Vec<ConnectionView> = Connections(NoParams {}, NoBody);
        /// The sim clock's time.
        fn clock() -> OffsetDateTime = Clock(NoParams {}, NoBody);
        /// The rate limits in force.
        fn limits() -> LimitsConfig = Limits(NoParams {}, NoBody);
        /// Replaces the rate limits (usage so far is forgotten); answers them.
        fn set_limits(limits: LimitsConfig) -> LimitsConfig = SetLimits(NoParams {}, limits);
    }
}
