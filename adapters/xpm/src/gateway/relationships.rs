//! Relationship calls: add (with the lookup after a lost answer) and
//! update. A relationship is never deleted.

use domain::ids::{XpmClientUuid, XpmRelationshipUuid};
use domain::ports::{ConnectionStore, XpmAccess, XpmError};
use domain::relationship_type::{TermsCarried, XpmRelationshipType};
use domain::sync::RelationshipTerms;
use reqwest::Method;

use super::retry::{Mode, SendError};
use super::{XpmClient, answer_error, unreadable, write_error};
use crate::xml::{self, Answer};

impl<S: ConnectionStore> XpmClient<S> {
    /// The relationship of `xpm_type` from `client` to `related`, if XPM holds one.
    async fn find_relationship(
        &self,
        access: XpmAccess,
        client: XpmClientUuid,
        related: XpmClientUuid,
        xpm_type: &XpmRelationshipType,
    ) -> Result<Option<XpmRelationshipUuid>, XpmError> {
        Ok(self
            .get(access, client)
            .await?
            .relationships
            .into_iter()
            .find(|r| r.related_xpm_client == related && xpm_type.is_named(r.xpm_type.xpm_name()))
            .map(|r| r.xpm_relationship))
    }

    #[tracing::instrument(name = "xpm.add_relationship", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    pub(super) async fn add_relationship(
        &self,
        access: XpmAccess,
        client: XpmClientUuid,
        related: XpmClientUuid,
        xpm_type: &XpmRelationshipType,
        terms: &RelationshipTerms,
    ) -> Result<XpmRelationshipUuid, XpmError> {
        let body = xml::relationship_add(client, related, xpm_type, terms).map_err(write_error)?;
        let mut tries = 0;
        loop {
            tries += 1;
            let (reason, settled) = match self
                .send(
                    access,
                    Method::POST,
                    "/client.api/addrelationship",
                    &[],
                    Some(&body),
                    Mode::Write,
                )
                .await
            {
                Ok((status, text)) => match xml::parse_relationship(&text) {
                    Ok(Answer::Ok(uuid)) => return Ok(uuid),
                    Ok(Answer::Error(message)) => return Err(answer_error(message)),
                    Err(err) if status.is_success() => {
                        (format!("the answer could not be read: {err}"), false)
                    }
                    Err(err) => {
                        return Err(unreadable(
                            "the relationship add's answer could not be read",
                            status,
                            &err,
                        ));
                    }
                },
                Err(SendError::Final(e)) => return Err(e),
                Err(SendError::Unconfirmed { reason, settled }) => (reason, settled),
            };
            tracing::warn!(tenant = %access.tenant, reason, "XPM did not confirm a relationship add; looking for it");
            match self
                .find_relationship(access, client, related, xpm_type)
                .await
            {
                Ok(Some(uuid)) => return Ok(uuid),
                Ok(None) if settled && tries < 2 => {}
                Ok(None) if settled => {
                    return Err(XpmError::Unavailable(format!(
                        "XPM did not confirm the relationship add twice ({reason}); it was not made"
                    )));
                }
                Ok(None) => {
                    return Err(XpmError::Ambiguous(format!(
                        "the relationship add was not confirmed ({reason}) and it is not in XPM yet; it may still appear"
                    )));
                }
                Err(e) => {
                    return Err(XpmError::Ambiguous(format!(
                        "the relationship add was not confirmed ({reason}) and checking it failed: {e}"
                    )));
                }
            }
        }
    }

    #[tracing::instrument(name = "xpm.update_relationship", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    pub(super) async fn update_relationship(
        &self,
        access: XpmAccess,
        relationship: XpmRelationshipUuid,
        carries: TermsCarried,
        terms: &RelationshipTerms,
    ) -> Result<XpmRelationshipUuid, XpmError> {
        let body = xml::relationship_update(relationship, carries, terms).map_err(write_error)?;
        match self
            .send(
                access,
                Method::POST,
                "/client.api/updaterelationship",
                &[],
                Some(&body),
                Mode::Write,
            )
            .await
        {
            Ok((status, text)) => match xml::parse_relationship(&text) {
                Ok(Answer::Ok(_)) => Ok(relationship),
                Ok(Answer::Error(message)) => Err(answer_error(message)),
                Err(err) => Err(unreadable(
                    "the relationship update's answer could not be read",
                    status,
                    &err,
                )),
            },
            Err(SendError::Final(e)) => Err(e),
            Err(SendError::Unconfirmed { reason, .. }) => Err(XpmError::Ambiguous(format!(
                "XPM did not confirm the relationship update ({reason}); Sync again to push it"
            ))),
        }
    }
}
