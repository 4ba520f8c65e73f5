use domain::ports::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

/// A domain value as the JSON body of its row.
pub fn encode<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Unavailable(format!("cannot encode a row: {e}")))
}

/// A row's JSON body back into its domain value. A body that no longer
/// parses (or no longer validates) is reported, never half-read.
pub fn decode<T: DeserializeOwned>(what: &str, body: &str) -> Result<T, StoreError> {
    serde_json::from_str(body)
        .map_err(|e| StoreError::Unavailable(format!("a stored {what} cannot be read: {e}")))
}

/// Microseconds since the Unix epoch: ordered and exact in both stores.
pub fn micros(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

pub fn from_micros(micros: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .map_err(|e| StoreError::Unavailable(format!("a stored time is out of range: {e}")))
}
