//! Client calls: get, the detailed search, add (with the lookup after a
//! lost answer) and update.

use domain::ids::XpmClientUuid;
use domain::ports::{ConnectionStore, XpmAccess, XpmClientView, XpmError};
use domain::sync::{ClientPayload, LookAlike, OwnedField};
use reqwest::{Method, StatusCode};

use super::retry::{Mode, SendError};
use super::{XpmClient, answer_error, unreadable, write_error};
use crate::xml::{self, Answer};

fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    norm(a) == norm(b)
}

impl<S: ConnectionStore> XpmClient<S> {
    #[tracing::instrument(name = "xpm.get", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    pub(super) async fn get(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
    ) -> Result<XpmClientView, XpmError> {
        let (status, text) = self
            .read(access, &format!("/client.api/get/{xpm_client}"), &[])
            .await?;
        match xml::parse_client(&text) {
            Ok(Answer::Ok(answer)) if answer.view.xpm_client == xpm_client => {
                if !answer.unknown_relationship_types.is_empty() {
                    tracing::info!(
                        types = ?answer.unknown_relationship_types,
                        "XPM holds relationships whose type could not be read as a name; left out"
                    );
                }
                if !answer.unreadable_terms.is_empty() {
                    tracing::info!(
                        terms = ?answer.unreadable_terms,
                        "XPM holds relationship terms PM Hub cannot represent; read as empty"
                    );
                }
                Ok(answer.view)
            }
            Ok(Answer::Ok(answer)) => Err(XpmError::UnexpectedAnswer(format!(
                "asked for client {xpm_client}, XPM answered client {}",
                answer.view.xpm_client
            ))),
            Ok(Answer::Error(message)) if status == StatusCode::NOT_FOUND => {
                Err(XpmError::NotFound(message))
            }
            Ok(Answer::Error(message)) => Err(answer_error(message)),
            Err(_) if status == StatusCode::NOT_FOUND => {
                Err(XpmError::NotFound(format!("client {xpm_client}")))
            }
            Err(err) => Err(unreadable("the client could not be read", status, &err)),
        }
    }

    /// XPM's search, detailed, so each client carries the fields a look-alike is judged on.
    #[tracing::instrument(name = "xpm.search", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    pub(super) async fn search(
        &self,
        access: XpmAccess,
        query: &str,
    ) -> Result<Vec<LookAlike>, XpmError> {
        let (status, text) = self
            .read(
                access,
                "/client.api/search",
                &[("query", query), ("detailed", "true")],
            )
            .await?;
        match xml::parse_clients(&text) {
            Ok(Answer::Ok(clients)) => Ok(clients),
            Ok(Answer::Error(message)) => Err(XpmError::Rejected(message)),
            Err(err) => Err(unreadable(
                "the search answer could not be read",
                status,
                &err,
            )),
        }
    }

    /// The XPM clients with this name (as the planner compares names).
    async fn same_named(
        &self,
        access: XpmAccess,
        name: &str,
    ) -> Result<Vec<XpmClientUuid>, XpmError> {
        Ok(self
            .search(access, name)
            .await?
            .into_iter()
            .filter(|c| same_name(&c.name, name))
            .map(|c| c.xpm_client)
            .collect())
    }

    /// Adds the client, without searching first: `known` (the XPM clients
    /// the domain's own search found before deciding to create) tells a
    /// lost add's client apart from namesakes that already existed.
    #[tracing::instrument(name = "xpm.create", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    pub(super) async fn create(
        &self,
        access: XpmAccess,
        payload: &ClientPayload,
        owned: &[OwnedField],
        known: &[XpmClientUuid],
    ) -> Result<XpmClientUuid, XpmError> {
        let body = xml::client_add(payload, owned).map_err(write_error)?;
        let name = payload.details().name.as_str();
        let mut tries = 0;
        loop {
            tries += 1;
            let (reason, settled) = match self
                .send(
                    access,
                    Method::POST,
                    "/client.api/add",
                    &[],
                    Some(&body),
                    Mode::Write,
                )
                .await
            {
                Ok((status, text)) => match xml::parse_client(&text) {
                    Ok(Answer::Ok(answer)) => return Ok(answer.view.xpm_client),
                    Ok(Answer::Error(message)) => return Err(XpmError::Rejected(message)),
                    // Accepted, but the answer cannot be read: look for the client, never add again.
                    Err(err) if status.is_success() => {
                        (format!("the answer could not be read: {err}"), false)
                    }
                    Err(err) => {
                        return Err(unreadable(
                            "the add's answer could not be read",
                            status,
                            &err,
                        ));
                    }
                },
                Err(SendError::Final(e)) => return Err(e),
                Err(SendError::Unconfirmed { reason, settled }) => (reason, settled),
            };
            tracing::warn!(tenant = %access.tenant, reason, "XPM did not confirm a client add; looking for the client");
            let after = self.same_named(access, name).await.map_err(|e| {
                XpmError::Ambiguous(format!(
                    "the add was not confirmed ({reason}) and looking for the client failed: {e}"
                ))
            })?;
            let new: Vec<XpmClientUuid> =
                after.into_iter().filter(|c| !known.contains(c)).collect();
            match new.as_slice() {
                [made] => {
                    tracing::info!(tenant = %access.tenant, xpm_client = %made, "the unconfirmed add had made the client");
                    return Ok(*made);
                }
                [] if settled && tries < 2 => {
                    tracing::info!(tenant = %access.tenant, "the unconfirmed add made no client; adding again");
                }
                [] if settled => {
                    return Err(XpmError::Unavailable(format!(
                        "XPM did not confirm the add twice ({reason}); no client was created"
                    )));
                }
                [] => {
                    return Err(XpmError::Ambiguous(format!(
                        "the add was not confirmed ({reason}) and the client is not in XPM yet; it may still appear"
                    )));
                }
                several => {
                    return Err(XpmError::Ambiguous(format!(
                        "the add was not confirmed ({reason}) and {} new clients with this name appeared",
                        several.len()
                    )));
                }
            }
        }
    }

    /// Writes exactly `fields` (an empty one clears it in XPM); with no
    /// field to write, no call is made.
    #[tracing::instrument(name = "xpm.update", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    pub(super) async fn update(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
        payload: &ClientPayload,
        fields: &[OwnedField],
    ) -> Result<(), XpmError> {
        let body = xml::client_update(xpm_client, payload, fields).map_err(write_error)?;
        if fields.is_empty() {
            return Ok(());
        }
        match self
            .send(
                access,
                Method::PUT,
                "/client.api/update",
                &[],
                Some(&body),
                Mode::Write,
            )
            .await
        {
            Ok((status, text)) => match xml::parse_client(&text) {
                Ok(Answer::Ok(_)) => Ok(()),
                Ok(Answer::Error(message)) => Err(answer_error(message)),
                Err(err) => Err(unreadable(
                    "the update's answer could not be read",
                    status,
                    &err,
                )),
            },
            Err(SendError::Final(e)) => Err(e),
            // Not retried: the next Sync pushes the same values again.
            Err(SendError::Unconfirmed { reason, .. }) => Err(XpmError::Ambiguous(format!(
                "XPM did not confirm the update ({reason}); Sync again to push it"
            ))),
        }
    }
}
