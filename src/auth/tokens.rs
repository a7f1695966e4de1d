//! Sign-in tokens (HS256 JWTs that name a session), the secret that signs
//! them, and the random values and digests the rest of sign-in uses.
//!
//! The token only says which session it is; whether that session is still
//! good, and what the person may do, is read from the database on every
//! request. Expiry is checked against [`Clock`], not the system time, so
//! tests can move time.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::config::Config;

const ISSUER: &str = "safelog";
const AUDIENCE: &str = "safelog";
/// A session lives at most this long, however active.
pub const SESSION_LIFETIME: Duration = Duration::hours(10);
/// A session unused for this long is over.
pub const SESSION_IDLE: Duration = Duration::minutes(30);
/// Clock difference tolerated between instances.
const LEEWAY_SECS: i64 = 5;
const MIN_SECRET_BYTES: usize = 32;
const SECRET_FILE: &str = "jwt-secret";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    aud: String,
    iat: i64,
    nbf: i64,
    exp: i64,
}

/// The signing secret, as keys.
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Keys {
    pub fn from_secret(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "SAFELOG_JWT_SECRET is {} bytes; it must be at least {MIN_SECRET_BYTES} (256 bits). Generate one with: head -c 48 /dev/urandom | base64",
                secret.len()
            ));
        }
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        })
    }

    /// The configured secret, or the one kept in the data folder (made on
    /// first start with the operating system's CSPRNG).
    pub fn load(config: &Config) -> Result<Self, String> {
        if let Some(secret) = &config.jwt_secret {
            return Self::from_secret(secret.expose().as_bytes());
        }
        let path = data_dir(config).join(SECRET_FILE);
        Self::from_secret(&read_or_create_secret(&path)?)
    }

    /// A token for `session_id`, valid until the session's end of life.
    pub fn issue(&self, session_id: &str, created: DateTime<Utc>) -> Result<String, String> {
        let claims = Claims {
            sub: session_id.to_string(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: created.timestamp(),
            nbf: created.timestamp(),
            exp: (created + SESSION_LIFETIME).timestamp(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| e.to_string())
    }

    /// The session a token names, if its signature, algorithm, issuer,
    /// audience and times are all right.
    pub fn session_of(&self, token: &str, clock: &Clock) -> Option<String> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        // Times are checked below against the service's clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok()?;
        let now = clock.now().timestamp();
        let c = data.claims;
        (c.nbf <= now + LEEWAY_SECS && now < c.exp + LEEWAY_SECS).then_some(c.sub)
    }
}

/// Where safelog keeps files beside its database.
pub fn data_dir(config: &Config) -> PathBuf {
    if let Some(dir) = &config.data_dir {
        return dir.clone();
    }
    match crate::db::Target::parse(&config.database_url) {
        Ok(crate::db::Target::Sqlite(path)) => match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
        _ => PathBuf::from("data"),
    }
}

fn read_or_create_secret(path: &Path) -> Result<Vec<u8>, String> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| format!("{} is not a safelog secret; delete it to make a new one (everyone will be signed out)", path.display()));
    }
    let mut secret = vec![0u8; 48];
    rand::rng().fill_bytes(&mut secret);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot write the data folder {}: {e}", dir.display()))?;
    }
    crate::private_file::write_new(path, URL_SAFE_NO_PAD.encode(&secret).as_bytes())
        .map_err(|e| format!("cannot keep the token secret in {}: {e}", path.display()))?;
    Ok(secret)
}

/// A random, URL-safe string carrying `bytes` bytes of entropy.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// The digest stored in place of a one-time link or recovery code: they are
/// long random values, so a fast hash is enough and a database leak does not
/// hand them out.
pub fn digest(value: &str) -> String {
    let out = Sha256::digest(value.as_bytes());
    out.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn keys() -> Keys {
        Keys::from_secret(&[7u8; 32]).unwrap()
    }

    #[test]
    fn a_short_secret_is_refused() {
        assert!(Keys::from_secret(&[1u8; 31])
            .err()
            .unwrap()
            .contains("at least 32"));
    }

    #[test]
    fn a_token_names_its_session_until_it_expires() {
        let t0 = Utc.with_ymd_and_hms(2025, 11, 12, 9, 0, 0).unwrap();
        let clock = Clock::fixed(t0);
        let token = keys().issue("session-1", t0).unwrap();
        assert_eq!(
            keys().session_of(&token, &clock).as_deref(),
            Some("session-1")
        );
        clock.advance(SESSION_LIFETIME + Duration::seconds(LEEWAY_SECS + 1));
        assert_eq!(keys().session_of(&token, &clock), None);
    }

    #[test]
    fn a_token_from_another_key_or_changed_is_refused() {
        let t0 = Utc.with_ymd_and_hms(2025, 11, 12, 9, 0, 0).unwrap();
        let clock = Clock::fixed(t0);
        let other = Keys::from_secret(&[9u8; 32])
            .unwrap()
            .issue("s", t0)
            .unwrap();
        assert_eq!(keys().session_of(&other, &clock), None);
        let mut token = keys().issue("s", t0).unwrap();
        token.push('x');
        assert_eq!(keys().session_of(&token, &clock), None);
    }
}
