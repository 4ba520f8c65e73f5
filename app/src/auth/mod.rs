//! Who is asking: page sessions (an encrypted cookie, with a CSRF token for
//! forms) and API bearer tokens (stored as hashes). Every request acts as one
//! user of one practice.

pub mod api_token;
pub mod password;
pub mod session;

pub use api_token::ApiUser;
pub use session::{PageUser, Session};
