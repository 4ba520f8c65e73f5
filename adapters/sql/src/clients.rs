//! Clients, their associations, and each practice's integration settings
//! and association types.

use domain::association::{Association, AssociationType};
use domain::client::Client;
use domain::ids::{AssociationId, AssociationTypeId, ClientId, PracticeId};
use domain::ports::{ClientStore, SettingsStore, StoreError};
use domain::settings::IntegrationSettings;
use domain::text::PmHubId;

use uuid::Uuid;

use crate::{Backend, SqlStore, Statement, sql, store_error};

impl<B: Backend> ClientStore for SqlStore<B> {
    async fn client(
        &self,
        practice: PracticeId,
        id: ClientId,
    ) -> Result<Option<Client>, StoreError> {
        let q = "SELECT CAST(body AS TEXT) AS body FROM clients WHERE id = $1 AND practice_id = $2";
        self.body("client", sql(q).id(id).id(practice)).await
    }

    async fn clients(&self, practice: PracticeId) -> Result<Vec<Client>, StoreError> {
        let q = "SELECT CAST(body AS TEXT) AS body FROM clients WHERE practice_id = $1 ORDER BY id";
        self.bodies("client", sql(q).id(practice)).await
    }

    async fn save_client(&self, client: &Client) -> Result<(), StoreError> {
        let q = "INSERT INTO clients (id, practice_id, body) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body WHERE clients.practice_id = excluded.practice_id";
        let q = sql(q).id(client.id).id(client.practice).json(client)?;
        self.upsert(q, "this client").await
    }

    async fn client_by_pmhub_id(
        &self,
        practice: PracticeId,
        pmhub_id: &PmHubId,
    ) -> Result<Option<Client>, StoreError> {
        self.by_pmhub_id(&CLIENT_IDS, practice, pmhub_id).await
    }

    async fn create_client_for_pmhub_id(
        &self,
        client: &Client,
        pmhub_id: &PmHubId,
    ) -> Result<(), StoreError> {
        let save = "INSERT INTO clients (id, practice_id, body) VALUES ($1, $2, $3)";
        let save = sql(save).id(client.id).id(client.practice).json(client)?;
        self.create_with_pmhub_id(
            &CLIENT_IDS,
            save,
            client.practice,
            pmhub_id,
            *client.id.as_uuid(),
        )
        .await
    }

    async fn associations_of(
        &self,
        practice: PracticeId,
        client: ClientId,
    ) -> Result<Vec<Association>, StoreError> {
        let q = "SELECT CAST(body AS TEXT) AS body FROM associations WHERE practice_id = $1 AND client_id = $2 ORDER BY id";
        self.bodies("association", sql(q).id(practice).id(client))
            .await
    }

    async fn save_association(&self, a: &Association) -> Result<(), StoreError> {
        let q =
            "INSERT INTO associations (id, practice_id, client_id, body) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id, body = excluded.body
             WHERE associations.practice_id = excluded.practice_id";
        let q = sql(q).id(a.id()).id(a.practice()).id(a.client()).json(a)?;
        self.upsert(q, "this association").await
    }

    async fn association_by_pmhub_id(
        &self,
        practice: PracticeId,
        pmhub_id: &PmHubId,
    ) -> Result<Option<Association>, StoreError> {
        self.by_pmhub_id(&ASSOCIATION_IDS, practice, pmhub_id).await
    }

    async fn create_association_for_pmhub_id(
        &self,
        a: &Association,
        pmhub_id: &PmHubId,
    ) -> Result<(), StoreError> {
        let save =
            "INSERT INTO associations (id, practice_id, client_id, body) VALUES ($1, $2, $3, $4)";
        let save = sql(save)
            .id(a.id())
            .id(a.practice())
            .id(a.client())
            .json(a)?;
        self.create_with_pmhub_id(
            &ASSOCIATION_IDS,
            save,
            a.practice(),
            pmhub_id,
            *a.id().as_uuid(),
        )
        .await
    }

    async fn remove_association(&self, p: PracticeId, a: AssociationId) -> Result<(), StoreError> {
        let q = "DELETE FROM associations WHERE id = $1 AND practice_id = $2";
        self.execute(sql(q).id(a).id(p)).await
    }
}

impl<B: Backend> SettingsStore for SqlStore<B> {
    async fn settings(&self, practice: PracticeId) -> Result<IntegrationSettings, StoreError> {
        let q =
            "SELECT CAST(body AS TEXT) AS body FROM integration_settings WHERE practice_id = $1";
        let found = self.body("integration settings", sql(q).id(practice));
        Ok(found.await?.unwrap_or_default())
    }

    async fn save_settings(
        &self,
        practice: PracticeId,
        settings: &IntegrationSettings,
    ) -> Result<(), StoreError> {
        let q = "INSERT INTO integration_settings (practice_id, body) VALUES ($1, $2)
             ON CONFLICT (practice_id) DO UPDATE SET body = excluded.body";
        self.execute(sql(q).id(practice).json(settings)?).await
    }

    async fn association_types(&self, p: PracticeId) -> Result<Vec<AssociationType>, StoreError> {
        let q = "SELECT CAST(body AS TEXT) AS body FROM association_types WHERE practice_id = $1 ORDER BY id";
        self.bodies("association type", sql(q).id(p)).await
    }

    async fn association_type(
        &self,
        practice: PracticeId,
        id: AssociationTypeId,
    ) -> Result<Option<AssociationType>, StoreError> {
        let q = "SELECT CAST(body AS TEXT) AS body FROM association_types WHERE id = $1 AND practice_id = $2";
        self.body("association type", sql(q).id(id).id(practice))
            .await
    }

    async fn save_association_type(&self, t: &AssociationType) -> Result<(), StoreError> {
        let q = "INSERT INTO association_types (id, practice_id, body) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body WHERE association_types.practice_id = excluded.practice_id";
        let q = sql(q).id(t.id).id(t.practice).json(t)?;
        self.upsert(q, "this association type").await
    }

    async fn association_type_by_pmhub_id(
        &self,
        practice: PracticeId,
        pmhub_id: &PmHubId,
    ) -> Result<Option<AssociationType>, StoreError> {
        self.by_pmhub_id(&ASSOCIATION_TYPE_IDS, practice, pmhub_id)
            .await
    }

    async fn create_association_type_for_pmhub_id(
        &self,
        t: &AssociationType,
        pmhub_id: &PmHubId,
    ) -> Result<(), StoreError> {
        let save = "INSERT INTO association_types (id, practice_id, body) VALUES ($1, $2, $3)";
        let save = sql(save).id(t.id).id(t.practice).json(t)?;
        self.create_with_pmhub_id(
            &ASSOCIATION_TYPE_IDS,
            save,
            t.practice,
            pmhub_id,
            *t.id.as_uuid(),
        )
        .await
    }
}

/// Where the PM Hub ids of one kind of record are kept, beside the records.
struct PmHubIds {
    what: &'static str,
    /// `(practice_id, pmhub_id, <record>_id)`.
    table: &'static str,
    record_column: &'static str,
    records: &'static str,
}

const CLIENT_IDS: PmHubIds = PmHubIds {
    what: "client",
    table: "pmhub_client_ids",
    record_column: "client_id",
    records: "clients",
};
const ASSOCIATION_IDS: PmHubIds = PmHubIds {
    what: "association",
    table: "pmhub_association_ids",
    record_column: "association_id",
    records: "associations",
};
const ASSOCIATION_TYPE_IDS: PmHubIds = PmHubIds {
    what: "association type",
    table: "pmhub_association_type_ids",
    record_column: "association_type_id",
    records: "association_types",
};

impl<B: Backend> SqlStore<B> {
    /// The record of `ids`' kind PM Hub knows by `pmhub_id`.
    async fn by_pmhub_id<T: serde::de::DeserializeOwned>(
        &self,
        ids: &PmHubIds,
        practice: PracticeId,
        pmhub_id: &PmHubId,
    ) -> Result<Option<T>, StoreError> {
        let q = format!(
            "SELECT CAST(r.body AS TEXT) AS body FROM {} p JOIN {} r ON r.id = p.{}
             WHERE p.practice_id = $1 AND p.pmhub_id = $2",
            ids.table, ids.records, ids.record_column
        );
        self.body(ids.what, sql(q).id(practice).text(pmhub_id.as_str()))
            .await
    }

    /// Runs `save` (a new record's insert) and names the record by
    /// `pmhub_id`, in one transaction: both or neither.
    async fn create_with_pmhub_id(
        &self,
        ids: &PmHubIds,
        save: Statement,
        practice: PracticeId,
        pmhub_id: &PmHubId,
        record: Uuid,
    ) -> Result<(), StoreError> {
        let name = format!(
            "INSERT INTO {} (practice_id, pmhub_id, {}) VALUES ($1, $2, $3)",
            ids.table, ids.record_column
        );
        let name = sql(name)
            .id(practice)
            .text(pmhub_id.as_str())
            .arg(crate::Arg::Id(Some(record)));
        self.backend
            .execute_all(vec![save, name])
            .await
            .map_err(store_error)
    }
}
