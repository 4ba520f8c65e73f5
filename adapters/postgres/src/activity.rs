use domain::activity::ActivityEntry;
use domain::ids::PracticeId;
use domain::ports::{ActivityFilter, ActivityLog, ActivityPage, StoreError};
use sqlx::Row;
use store_row_format::{decode, encode};

use crate::{PostgresStore, db};

impl ActivityLog for PostgresStore {
    async fn append(&self, entries: &[ActivityEntry]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        for entry in entries {
            sqlx::query(
                "INSERT INTO activity_log (id, practice_id, client_id, kind, at, body) VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
            )
            .bind(entry.id.as_uuid())
            .bind(entry.practice.as_uuid())
            .bind(entry.client.map(|c| *c.as_uuid()))
            .bind(entry.kind.code())
            .bind(entry.at)
            .bind(encode(entry)?)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn read(
        &self,
        practice: PracticeId,
        filter: &ActivityFilter,
        page: ActivityPage,
    ) -> Result<Vec<ActivityEntry>, StoreError> {
        let kinds: Vec<&str> = filter.kinds.clone();
        let rows = sqlx::query(
            "SELECT body::text AS body FROM activity_log
             WHERE practice_id = $1
               AND ($2::uuid IS NULL OR client_id = $2)
               AND (cardinality($3::text[]) = 0 OR kind = ANY($3::text[]))
               AND ($4::timestamptz IS NULL OR at >= $4)
               AND ($5::timestamptz IS NULL OR at < $5)
               AND ($6::uuid IS NULL OR seq < (SELECT seq FROM activity_log WHERE id = $6 AND practice_id = $1))
             ORDER BY seq DESC
             LIMIT $7",
        )
        .bind(practice.as_uuid())
        .bind(filter.client.map(|c| *c.as_uuid()))
        .bind(kinds)
        .bind(filter.from)
        .bind(filter.until)
        .bind(page.after.map(|a| *a.as_uuid()))
        .bind(i64::from(page.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| decode("activity entry", r.get("body")))
            .collect()
    }

    async fn newest_per_client(
        &self,
        practice: PracticeId,
    ) -> Result<Vec<ActivityEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT ON (client_id) body::text AS body FROM activity_log
             WHERE practice_id = $1 AND client_id IS NOT NULL
             ORDER BY client_id, seq DESC",
        )
        .bind(practice.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| decode("activity entry", r.get("body")))
            .collect()
    }
}
