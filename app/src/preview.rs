//! The preview's fields: PM Hub's values as XPM names them (rendered by the
//! XPM adapter exactly as a push would send them), beside XPM's current values.

use domain::sync::{FieldComparison, compare_fields};
use domain::usecases::SyncPreview;

pub fn fields(preview: &SyncPreview) -> Result<Vec<FieldComparison>, String> {
    let now = xpm_adapter::client_fields(&preview.payload).map_err(|e| e.to_string())?;
    let last = preview
        .last_pushed
        .as_ref()
        .map(xpm_adapter::client_fields)
        .transpose()
        .map_err(|e| e.to_string())?;
    let xpm_now = preview.xpm_now.as_ref().map(|v| v.fields.as_slice());
    Ok(compare_fields(
        &now,
        last.as_deref(),
        xpm_now,
        preview.writes_client(),
    ))
}
