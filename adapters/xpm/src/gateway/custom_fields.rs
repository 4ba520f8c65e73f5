//! Custom fields and the list of recently modified clients: the calls the
//! domain makes to keep PM Hub's client id in an XPM custom field and to
//! find a client by it.
//!
//! Calls: `custom_field_definitions` one definition read;
//! `read_client_custom_field` one read of the client's values;
//! `write_client_custom_field` one update, and after a lost answer one
//! read to see whether it landed (then, when XPM is known to be done with
//! it and it did not, one more update); `clients_modified_since` one list.
//! Reads are retried like every read; the update never blindly.

use domain::custom_field::XpmCustomFieldDefinition;
use domain::ids::{XpmClientUuid, XpmCustomFieldUuid};
use domain::ports::{ConnectionStore, XpmAccess, XpmError};
use domain::sync::LookAlike;
use reqwest::{Method, StatusCode};
use time::OffsetDateTime;
use time::macros::format_description;

use super::retry::{Mode, SendError};
use super::{XpmClient, answer_error, unreadable, write_error};
use crate::xml::{self, Answer};

impl<S: ConnectionStore> XpmClient<S> {
    #[tracing::instrument(name = "xpm.custom_field_definitions", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    pub(super) async fn definitions(
        &self,
        access: XpmAccess,
    ) -> Result<Vec<XpmCustomFieldDefinition>, XpmError> {
        let (status, text) = self
            .read(access, "/customfield.api/definition", &[])
            .await?;
        match xml::parse_custom_field_definitions(&text) {
            Ok(Answer::Ok(definitions)) => Ok(definitions),
            Ok(Answer::Error(message)) => Err(XpmError::Rejected(message)),
            Err(err) => Err(unreadable(
                "the custom field definitions could not be read",
                status,
                &err,
            )),
        }
    }

    #[tracing::instrument(name = "xpm.read_custom_field", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    pub(super) async fn read_custom_field(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
        field: XpmCustomFieldUuid,
    ) -> Result<Option<String>, XpmError> {
        let (status, text) = self
            .read(
                access,
                &format!("/client.api/get/{xpm_client}/customfield"),
                &[],
            )
            .await?;
        match xml::parse_custom_field_values(&text) {
            Ok(Answer::Ok(values)) => Ok(values
                .into_iter()
                .find(|(f, _)| *f == field)
                .map(|(_, v)| v)
                .filter(|v| !v.is_empty())),
            Ok(Answer::Error(message)) if status == StatusCode::NOT_FOUND => {
                Err(XpmError::NotFound(message))
            }
            Ok(Answer::Error(message)) => Err(answer_error(message)),
            Err(err) => Err(unreadable(
                "the client's custom fields could not be read",
                status,
                &err,
            )),
        }
    }

    #[tracing::instrument(name = "xpm.write_custom_field", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    pub(super) async fn write_custom_field(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
        field: XpmCustomFieldUuid,
        value: &str,
    ) -> Result<(), XpmError> {
        let body = xml::custom_field_text(field, value).map_err(write_error)?;
        let path = format!("/client.api/update/{xpm_client}/customfield");
        let mut tries = 0;
        loop {
            tries += 1;
            let (reason, settled) = match self
                .send(access, Method::PUT, &path, &[], Some(&body), Mode::Write)
                .await
            {
                Ok((status, text)) => match xml::parse_status(&text) {
                    Ok(Answer::Ok(())) => return Ok(()),
                    Ok(Answer::Error(message)) => return Err(answer_error(message)),
                    Err(err) if status.is_success() => {
                        (format!("the answer could not be read: {err}"), false)
                    }
                    Err(err) => {
                        return Err(unreadable(
                            "the custom field update's answer could not be read",
                            status,
                            &err,
                        ));
                    }
                },
                Err(SendError::Final(e)) => return Err(e),
                Err(SendError::Unconfirmed { reason, settled }) => (reason, settled),
            };
            tracing::warn!(tenant = %access.tenant, reason, "XPM did not confirm a custom field update; reading it back");
            match self.read_custom_field(access, xpm_client, field).await {
                Ok(Some(held)) if held == value => return Ok(()),
                Ok(_) if settled && tries < 2 => {}
                Ok(_) if settled => {
                    return Err(XpmError::Unavailable(format!(
                        "XPM did not confirm the custom field update twice ({reason}); it was not made"
                    )));
                }
                Ok(_) => {
                    return Err(XpmError::Ambiguous(format!(
                        "the custom field update was not confirmed ({reason}) and XPM does not hold it yet; it may still land"
                    )));
                }
                Err(e) => {
                    return Err(XpmError::Ambiguous(format!(
                        "the custom field update was not confirmed ({reason}) and checking it failed: {e}"
                    )));
                }
            }
        }
    }

    /// `client.api/list?modifiedsince=`, with the time in UTC (the sim reads
    /// it so; what real XPM assumes is undocumented, and the domain looks
    /// back a day more for that reason).
    #[tracing::instrument(name = "xpm.list_modified", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    pub(super) async fn modified_since(
        &self,
        access: XpmAccess,
        since: OffsetDateTime,
    ) -> Result<Vec<LookAlike>, XpmError> {
        let at = since
            .to_offset(time::UtcOffset::UTC)
            .format(format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]"
            ))
            .map_err(|e| XpmError::Rejected(format!("the time cannot be sent to XPM: {e}")))?;
        let (status, text) = self
            .read(
                access,
                "/client.api/list",
                &[("modifiedsince", at.as_str())],
            )
            .await?;
        match xml::parse_clients(&text) {
            Ok(Answer::Ok(clients)) => Ok(clients),
            Ok(Answer::Error(message)) => Err(XpmError::Rejected(message)),
            Err(err) => Err(unreadable(
                "the list of modified clients could not be read",
                status,
                &err,
            )),
        }
    }
}
