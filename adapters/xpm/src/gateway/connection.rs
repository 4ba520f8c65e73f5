//! Whether the organisation is still granted to the app: Xero's
//! connections, read with the practice's token.

use domain::ids::XpmTenantId;
use domain::ports::{ConnectionStore, XpmAccess, XpmError};
use secrecy::SecretString;

use super::XpmClient;
use crate::identity::ConnectionsError;

impl<S: ConnectionStore> XpmClient<S> {
    #[tracing::instrument(name = "xpm.check", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    pub(super) async fn check(&self, access: XpmAccess) -> Result<(), XpmError> {
        let mut refused: Option<SecretString> = None;
        loop {
            let token = self
                .inner
                .tokens
                .access_token(access.practice, refused.as_ref())
                .await?;
            // Every connection Xero keeps, not only the latest login's: the
            // question is whether this organisation is still granted at all.
            // Which organisation the practice syncs to follows the latest
            // login already (the domain switched, or waits for a choice), and
            // a renewed token may name no login to filter by. The tenant id
            // alone decides: it is unique, and a missing tenantType must not
            // make a working connection look revoked.
            match self.inner.tokens.identity().connections(&token, None).await {
                Ok(connections) => {
                    let granted = connections.iter().any(|c| {
                        c.tenant_id
                            .parse::<XpmTenantId>()
                            .is_ok_and(|t| t == access.tenant)
                    });
                    return if granted {
                        Ok(())
                    } else {
                        Err(XpmError::AccessRevoked(format!(
                            "XPM organisation {} is no longer among the organisations granted to this app in Xero",
                            access.tenant
                        )))
                    };
                }
                Err(ConnectionsError::Unauthorized) if refused.is_none() => refused = Some(token),
                Err(ConnectionsError::Unauthorized) => {
                    return Err(XpmError::AccessRevoked(
                        "Xero refused a freshly renewed access token (HTTP 401): the app's access was revoked".into(),
                    ));
                }
                Err(ConnectionsError::Forbidden) => {
                    return Err(XpmError::AccessRevoked(
                        "Xero refused to list the organisations granted (HTTP 403): the app's access was revoked".into(),
                    ));
                }
                Err(ConnectionsError::Unavailable(m)) => return Err(XpmError::Unavailable(m)),
                Err(ConnectionsError::Unexpected(m)) => return Err(XpmError::UnexpectedAnswer(m)),
            }
        }
    }
}
