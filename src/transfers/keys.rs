//! The deployment's signing key: an Ed25519 key pair made once, at the
//! first start, and kept in the database (see the `signing_key`
//! migration for why there). The private half never leaves this module
//! but as a signature: it has no `Debug` or `Display` that shows it, and
//! no page, log line or error holds it. The public half and its short
//! fingerprint are shown on Administration → Package signing key and in
//! every package.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::NaiveDateTime;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::store;
use crate::db::AnyConnection;
use crate::error::AppError;

/// The deployment's key pair.
pub struct DeploymentKey {
    signing: SigningKey,
    pub created_at: NaiveDateTime,
}

impl std::fmt::Debug for DeploymentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeploymentKey")
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

impl DeploymentKey {
    #[cfg(test)]
    pub fn for_tests(secret: [u8; 32]) -> Self {
        Self {
            signing: SigningKey::from_bytes(&secret),
            created_at: chrono::NaiveDateTime::default(),
        }
    }

    pub fn public(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// The public key as base64 (32 bytes).
    pub fn public_base64(&self) -> String {
        STANDARD.encode(self.public().as_bytes())
    }

    pub fn fingerprint(&self) -> String {
        fingerprint(&self.public())
    }

    /// The signature of exactly these bytes, as base64 (64 bytes).
    pub fn sign(&self, bytes: &[u8]) -> String {
        STANDARD.encode(self.signing.sign(bytes).to_bytes())
    }
}

/// A public key's short fingerprint, to read over the phone: the first 80
/// bits of its SHA-256, as five groups of four hex digits.
pub fn fingerprint(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest[..10]
        .chunks(2)
        .map(|pair| format!("{:02x}{:02x}", pair[0], pair[1]))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A fingerprint as typed: any case, with or without spaces.
pub fn same_fingerprint(typed: &str, fingerprint: &str) -> bool {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != ':' && *c != '-')
            .collect::<String>()
            .to_lowercase()
    };
    squash(typed) == squash(fingerprint)
}

/// The key, if it has been made.
pub fn load(conn: &mut AnyConnection) -> Result<Option<DeploymentKey>, AppError> {
    let Some((secret, created_at)) = store::signing_key(conn)? else {
        return Ok(None);
    };
    let bytes: [u8; 32] = STANDARD
        .decode(secret.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            AppError::internal("the stored package signing key is not 32 bytes of base64")
        })?;
    Ok(Some(DeploymentKey {
        signing: SigningKey::from_bytes(&bytes),
        created_at,
    }))
}

/// The key, made now from the operating system's random numbers if there
/// is none yet. Two instances starting at once both try; the primary key
/// lets one in, and the other reads what it made.
pub fn ensure(conn: &mut AnyConnection, now: NaiveDateTime) -> Result<DeploymentKey, AppError> {
    if let Some(key) = load(conn)? {
        return Ok(key);
    }
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let signing = SigningKey::from_bytes(&secret);
    let made = store::add_signing_key(
        conn,
        &STANDARD.encode(signing.verifying_key().as_bytes()),
        &STANDARD.encode(secret),
        now,
    );
    if made.is_ok() {
        crate::audit::store::insert(
            conn,
            &crate::audit::Event::new("transfer_signing_key_created", now)
                .record("signing_key", store::SIGNING_KEY)
                .detail(format!(
                    "fingerprint {}",
                    fingerprint(&signing.verifying_key())
                )),
        )?;
    }
    load(conn)?.ok_or_else(|| AppError::internal("the package signing key could not be made"))
}
