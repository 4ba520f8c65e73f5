//! Clients, their associations, and each practice's integration settings
//! and association types.

use domain::association::{Association, AssociationType};
use domain::client::Client;
use domain::ids::{AssociationId, AssociationTypeId, ClientId, PracticeId};
use domain::ports::{ClientStore, SettingsStore, StoreError};
use domain::settings::IntegrationSettings;

use crate::{Backend, SqlStore, owned, sql};

impl<B: Backend> ClientStore for SqlStore<B> {
    async fn client(
        &self,
        practice: PracticeId,
        client: ClientId,
    ) -> Result<Option<Client>, StoreError> {
        let q = sql(
            "SELECT CAST(body AS TEXT) AS body FROM clients WHERE id = $1 AND practice_id = $2",
        );
        self.body("client", q.id(*client.as_uuid()).id(*practice.as_uuid()))
            .await
    }

    async fn clients(&self, practice: PracticeId) -> Result<Vec<Client>, StoreError> {
        let q = sql(
            "SELECT CAST(body AS TEXT) AS body FROM clients WHERE practice_id = $1 ORDER BY id",
        );
        self.bodies("client", q.id(*practice.as_uuid())).await
    }

    async fn save_client(&self, client: &Client) -> Result<(), StoreError> {
        let q = sql("INSERT INTO clients (id, practice_id, body) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body WHERE clients.practice_id = excluded.practice_id");
        let q = q.id(*client.id.as_uuid()).id(*client.practice.as_uuid());
        owned(self.execute(q.json(client)?).await?, "this client")
    }

    async fn associations_of(
        &self,
        practice: PracticeId,
        client: ClientId,
    ) -> Result<Vec<Association>, StoreError> {
        let q = sql(
            "SELECT CAST(body AS TEXT) AS body FROM associations WHERE practice_id = $1 AND client_id = $2 ORDER BY id",
        );
        let q = q.id(*practice.as_uuid()).id(*client.as_uuid());
        self.bodies("association", q).await
    }

    async fn save_association(&self, association: &Association) -> Result<(), StoreError> {
        let q = sql(
            "INSERT INTO associations (id, practice_id, client_id, body) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id, body = excluded.body
             WHERE associations.practice_id = excluded.practice_id",
        );
        let q = q.id(*association.id().as_uuid());
        let q = q.id(*association.practice().as_uuid());
        let q = q.id(*association.client().as_uuid()).json(association)?;
        owned(self.execute(q).await?, "this association")
    }

    async fn remove_association(
        &self,
        practice: PracticeId,
        association: AssociationId,
    ) -> Result<(), StoreError> {
        let q = sql("DELETE FROM associations WHERE id = $1 AND practice_id = $2");
        self.execute(q.id(*association.as_uuid()).id(*practice.as_uuid()))
            .await?;
        Ok(())
    }
}

impl<B: Backend> SettingsStore for SqlStore<B> {
    async fn settings(&self, practice: PracticeId) -> Result<IntegrationSettings, StoreError> {
        let q = sql(
            "SELECT CAST(body AS TEXT) AS body FROM integration_settings WHERE practice_id = $1",
        );
        let found = self.body("integration settings", q.id(*practice.as_uuid()));
        Ok(found.await?.unwrap_or_default())
    }

    async fn save_settings(
        &self,
        practice: PracticeId,
        settings: &IntegrationSettings,
    ) -> Result<(), StoreError> {
        let q = sql(
            "INSERT INTO integration_settings (practice_id, body) VALUES ($1, $2)
             ON CONFLICT (practice_id) DO UPDATE SET body = excluded.body",
        );
        self.execute(q.id(*practice.as_uuid()).json(settings)?)
            .await?;
        Ok(())
    }

    async fn association_types(
        &self,
        practice: PracticeId,
    ) -> Result<Vec<AssociationType>, StoreError> {
        let q = sql(
            "SELECT CAST(body AS TEXT) AS body FROM association_types WHERE practice_id = $1 ORDER BY id",
        );
        self.bodies("association type", q.id(*practice.as_uuid()))
            .await
    }

    async fn association_type(
        &self,
        practice: PracticeId,
        id: AssociationTypeId,
    ) -> Result<Option<AssociationType>, StoreError> {
        let q = sql(
            "SELECT CAST(body AS TEXT) AS body FROM association_types WHERE id = $1 AND practice_id = $2",
        );
        self.body(
            "association type",
            q.id(*id.as_uuid()).id(*practice.as_uuid()),
        )
        .await
    }

    async fn save_association_type(
        &self,
        association_type: &AssociationType,
    ) -> Result<(), StoreError> {
        let q = sql("INSERT INTO association_types (id, practice_id, body) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body WHERE association_types.practice_id = excluded.practice_id");
        let q = q.id(*association_type.id.as_uuid());
        let q = q
            .id(*association_type.practice.as_uuid())
            .json(association_type)?;
        owned(self.execute(q).await?, "this association type")
    }
}
