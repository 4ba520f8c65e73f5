//! Tokens and PKCE verifiers encrypted at rest with AES-256-GCM. The
//! practice id is bound in as associated data, so a sealed value copied to
//! another practice's row does not open.

use std::fmt;
use std::path::Path;

use aes_gcm::aead::{Aead, Generate, Key, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use domain::ids::PracticeId;
use domain::ports::TokenSet;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

const NONCE_LEN: usize = 12;

/// The 32-byte key tokens are sealed with. Its `Debug` never shows it.
#[derive(Clone)]
pub struct TokenKey(Key<Aes256Gcm>);

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the token key must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`): {0}")]
    Invalid(&'static str),
    #[error("cannot read or write the token key file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Wrong key, another practice's row, or damaged bytes.
    #[error("stored tokens cannot be opened with the configured token key (was the key changed?)")]
    CannotOpen,
}

impl TokenKey {
    /// Reads a base64-encoded 32-byte key.
    pub fn from_base64(encoded: &str) -> Result<Self, KeyError> {
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|_| KeyError::Invalid("it is not base64"))?;
        let key = Key::<Aes256Gcm>::try_from(bytes.as_slice())
            .map_err(|_| KeyError::Invalid("it does not decode to 32 bytes"))?;
        Ok(Self(key))
    }

    pub fn generate() -> Self {
        Self(Key::<Aes256Gcm>::generate())
    }

    pub fn to_base64(&self) -> SecretString {
        SecretString::from(STANDARD.encode(self.0.as_slice()))
    }

    /// For demo mode: reads the key file, or makes one (readable by its
    /// owner only) when there is none.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        let file_error = |source| KeyError::File {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(file_error)?;
                }
                write_private(path, key.to_base64().expose_secret()).map_err(file_error)?;
                Ok(key)
            }
            Err(e) => Err(file_error(e)),
        }
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// Seals and opens secrets with one key.
#[derive(Clone)]
pub struct TokenSealer {
    cipher: Aes256Gcm,
}

impl fmt::Debug for TokenSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSealer(..)")
    }
}

#[derive(Serialize, Deserialize)]
struct SealedTokenSet {
    access_token: String,
    refresh_token: String,
    access_expires_at: OffsetDateTime,
}

impl TokenSealer {
    pub fn new(key: &TokenKey) -> Self {
        Self {
            cipher: Aes256Gcm::new(&key.0),
        }
    }

    pub fn seal_tokens(&self, practice: PracticeId, tokens: &TokenSet) -> Vec<u8> {
        let plain = SealedTokenSet {
            access_token: tokens.access_token.expose_secret().to_owned(),
            refresh_token: tokens.refresh_token.expose_secret().to_owned(),
            access_expires_at: tokens.access_expires_at,
        };
        // Serialising three plain fields cannot fail.
        let bytes = serde_json::to_vec(&plain).unwrap_or_default();
        self.seal(practice, &bytes)
    }

    pub fn open_tokens(&self, practice: PracticeId, sealed: &[u8]) -> Result<TokenSet, SealError> {
        let bytes = self.open(practice, sealed)?;
        let plain: SealedTokenSet =
            serde_json::from_slice(&bytes).map_err(|_| SealError::CannotOpen)?;
        Ok(TokenSet {
            access_token: SecretString::from(plain.access_token),
            refresh_token: SecretString::from(plain.refresh_token),
            access_expires_at: plain.access_expires_at,
        })
    }

    pub fn seal_secret(&self, practice: PracticeId, secret: &SecretString) -> Vec<u8> {
        self.seal(practice, secret.expose_secret().as_bytes())
    }

    pub fn open_secret(
        &self,
        practice: PracticeId,
        sealed: &[u8],
    ) -> Result<SecretString, SealError> {
        let bytes = self.open(practice, sealed)?;
        String::from_utf8(bytes)
            .map(SecretString::from)
            .map_err(|_| SealError::CannotOpen)
    }

    fn seal(&self, practice: PracticeId, plain: &[u8]) -> Vec<u8> {
        let nonce = Nonce::generate();
        let aad = practice.as_uuid().as_bytes();
        // Encryption fails only for inputs of gigabytes.
        let sealed = self
            .cipher
            .encrypt(&nonce, Payload { msg: plain, aad })
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&sealed);
        out
    }

    fn open(&self, practice: PracticeId, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        let (nonce, body) = sealed
            .split_at_checked(NONCE_LEN)
            .ok_or(SealError::CannotOpen)?;
        let nonce = Nonce::try_from(nonce).map_err(|_| SealError::CannotOpen)?;
        let aad = practice.as_uuid().as_bytes();
        self.cipher
            .decrypt(&nonce, Payload { msg: body, aad })
            .map_err(|_| SealError::CannotOpen)
    }
}
