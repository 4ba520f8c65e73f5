use domain::activity::ActivityEntry;
use domain::ids::PracticeId;
use domain::ports::{ActivityFilter, ActivityLog, ActivityPage, StoreError};
use sqlx::Row;
use store_row_format::{decode, encode, micros};

use crate::{SqliteStore, db};

impl ActivityLog for SqliteStore {
    async fn append(&self, entries: &[ActivityEntry]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        for entry in entries {
            sqlx::query(
                "INSERT INTO activity_log (id, practice_id, client_id, kind, at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(entry.id.to_string())
            .bind(entry.practice.to_string())
            .bind(entry.client.map(|c| c.to_string()))
            .bind(entry.kind.code())
            .bind(micros(entry.at))
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
        let kinds = encode(&filter.kinds)?;
        let rows = sqlx::query(
            "SELECT body FROM activity_log
             WHERE practice_id = ?1
               AND (?2 IS NULL OR client_id = ?2)
               AND (?3 = '[]' OR kind IN (SELECT value FROM json_each(?3)))
               AND (?4 IS NULL OR at >= ?4)
               AND (?5 IS NULL OR at < ?5)
               AND (?6 IS NULL OR seq < (SELECT seq FROM activity_log WHERE id = ?6 AND practice_id = ?1))
             ORDER BY seq DESC
             LIMIT ?7",
        )
        .bind(practice.to_string())
        .bind(filter.client.map(|c| c.to_string()))
        .bind(kinds)
        .bind(filter.from.map(micros))
        .bind(filter.until.map(micros))
        .bind(page.after.map(|a| a.to_string()))
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
        // SQLite takes a bare column (body) from the row holding the MAX.
        let rows = sqlx::query(
            "SELECT body, MAX(seq) FROM activity_log
             WHERE practice_id = ?1 AND client_id IS NOT NULL
             GROUP BY client_id",
        )
        .bind(practice.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| decode("activity entry", r.get("body")))
            .collect()
    }
}
