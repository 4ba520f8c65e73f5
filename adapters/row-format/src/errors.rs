use domain::ports::StoreError;

/// What a failed query means to the domain, the same for both stores.
pub fn store_error(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound("row".into()),
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            StoreError::Conflict(format!("a record it refers to does not exist: {d}"))
        }
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(format!("already exists: {d}"))
        }
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// Every upsert is guarded by `WHERE <table>.practice_id = excluded.practice_id`:
/// when it changed no row, the row belongs to another practice.
pub fn owned(rows_affected: u64, what: &str) -> Result<(), StoreError> {
    if rows_affected == 0 {
        Err(StoreError::Conflict(format!(
            "{what} belongs to another practice"
        )))
    } else {
        Ok(())
    }
}
