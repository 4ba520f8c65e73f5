//! The activity log: appended, read newest first with filters and keyset
//! paging, never changed (the migrations' triggers refuse it).

use domain::activity::ActivityEntry;
use domain::ids::PracticeId;
use domain::ports::{ActivityFilter, ActivityLog, ActivityPage, StoreError};

use crate::{Backend, SqlStore, sql, store_error};

impl<B: Backend> ActivityLog for SqlStore<B> {
    async fn append(&self, entries: &[ActivityEntry]) -> Result<(), StoreError> {
        let insert = |entry: &ActivityEntry| {
            let q = sql(
                "INSERT INTO activity_log (id, practice_id, client_id, kind, at, body) VALUES ($1, $2, $3, $4, $5, $6)",
            );
            let q = q.id(entry.id).id(entry.practice).id(entry.client);
            q.text(entry.kind.code()).time(entry.at).json(entry)
        };
        let statements = entries.iter().map(insert).collect::<Result<_, _>>()?;
        self.backend
            .execute_all(statements)
            .await
            .map_err(store_error)
    }

    async fn read(
        &self,
        practice: PracticeId,
        filter: &ActivityFilter,
        page: ActivityPage,
    ) -> Result<Vec<ActivityEntry>, StoreError> {
        // The kinds asked for, if any, as `$7, $8, ...`.
        let kinds = (0..filter.kinds.len())
            .map(|i| format!("${}", i + 7))
            .collect::<Vec<_>>();
        let kinds_clause = if kinds.is_empty() {
            String::new()
        } else {
            format!("AND kind IN ({})", kinds.join(", "))
        };
        let q = sql(format!(
            "SELECT CAST(body AS TEXT) AS body FROM activity_log
             WHERE practice_id = $1
               AND ($2 IS NULL OR client_id = $2)
               AND ($3 IS NULL OR at >= $3)
               AND ($4 IS NULL OR at < $4)
               AND ($5 IS NULL OR seq < (SELECT seq FROM activity_log WHERE id = $5 AND practice_id = $1))
               {kinds_clause}
             ORDER BY seq DESC
             LIMIT $6"
        ));
        let q = q.id(practice).id(filter.client).time(filter.from);
        let q = q.time(filter.until).id(page.after);
        let q = q.int(i64::from(page.limit));
        let q = filter.kinds.iter().fold(q, |q, kind| q.text(*kind));
        self.bodies("activity entry", q).await
    }

    async fn newest_per_client(
        &self,
        practice: PracticeId,
    ) -> Result<Vec<ActivityEntry>, StoreError> {
        let q = sql(B::NEWEST_PER_CLIENT).id(practice);
        self.bodies("activity entry", q).await
    }
}
