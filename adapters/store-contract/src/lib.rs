//! The store contract: what every implementation of the domain's store
//! ports must do, as generic async checks. Each store crate runs all of them
//! through [`store_contract_tests!`], each check as its own test on a fresh
//! database.

mod checks;
mod fixtures;

pub use checks::*;
pub use fixtures::Fixture;

use std::future::Future;

/// A database made for one test, removed after it.
pub trait TestDatabase: Send {
    fn remove(self) -> impl Future<Output = ()> + Send;
}

/// One `#[tokio::test]` per contract check. `$fresh` is an async expression
/// answering `(store, database)` for a new, empty database.
#[macro_export]
macro_rules! store_contract_tests {
    ($fresh:expr) => {
        $crate::store_contract_tests!(@each $fresh;
            practices_and_users_round_trip,
            clients_round_trip_with_every_field,
            clients_are_listed_per_practice,
            a_client_is_found_by_its_pmhub_id_in_its_own_practice_only,
            associations_and_types_are_found_by_pmhub_ids_and_a_removal_frees_the_id,
            associations_are_saved_listed_and_removed,
            settings_default_until_saved_and_association_types_round_trip,
            the_connection_defaults_to_not_connected_and_round_trips,
            tokens_round_trip_and_are_cleared,
            a_pending_authorisation_is_taken_once,
            sync_records_are_kept_per_xpm_organisation,
            pending_operations_are_noted_and_finished,
            forgetting_a_record_removes_that_link_and_its_notes_only,
            activity_is_read_newest_first_with_filters_and_keyset_paging,
            a_practices_records_and_each_clients_newest_entry_are_read_at_once,
            activity_entries_survive_disconnect_and_reconnect,
            practice_a_can_neither_read_nor_change_practice_b,
            syncs_of_one_client_are_serialised,
            token_renewals_of_one_practice_are_serialised,
            logins_are_found_by_email_and_emails_are_unique,
            api_tokens_name_the_user_they_act_as,
        );
    };
    (@each $fresh:expr; $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let (store, database) = $fresh.await;
                // Run the check apart so that the database is removed even
                // when it fails; then fail as it did.
                let outcome = tokio::spawn(async move { $crate::$check(&store).await }).await;
                $crate::TestDatabase::remove(database).await;
                if let Err(failure) = outcome {
                    std::panic::resume_unwind(failure.into_panic());
                }
            }
        )+
    };
}

impl TestDatabase for test_db::PgDatabase {
    async fn remove(self) {
        test_db::PgDatabase::remove(&self).await;
    }
}

impl TestDatabase for test_db::SqliteFile {
    async fn remove(self) {
        test_db::SqliteFile::remove(&self);
    }
}
