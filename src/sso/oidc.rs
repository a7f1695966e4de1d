//! The OpenID Connect protocol, as far as safelog speaks it: discovery, the
//! provider's keys (cached, fetched again when a token names a key not yet
//! seen), the token request with PKCE, and the checks on an ID token. The
//! signature is jsonwebtoken's; every time check uses [`Clock`], so a test
//! can move time; nothing here logs a token, a code or a secret.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::model::{Preset, Provider};
use crate::clock::Clock;

/// Clock difference tolerated between safelog and the provider.
pub const SKEW_SECS: i64 = 60;
/// Discovery documents and key sets are fetched again after this.
const CACHE_FOR: Duration = Duration::from_secs(3600);
/// A token naming an unknown key fetches the keys again at most this often.
const REFETCH_AFTER: Duration = Duration::from_secs(30);
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a sign-in through a provider was refused. The text goes to the
/// audit trail and the refusal page; none quotes the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Unreachable,
    ProviderError,
    Malformed,
    UnknownKey,
    Algorithm,
    Signature,
    WrongIssuer,
    WrongAudience,
    Expired,
    IssuedInFuture,
    WrongNonce,
    WrongTenant,
    WrongHostedDomain,
    NoEmail,
    EmailUnverified,
    DomainNotAllowed,
}

impl Refusal {
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::Unreachable => "the provider could not be reached",
            Refusal::ProviderError => "the provider refused the sign-in",
            Refusal::Malformed => "the provider's ID token could not be read",
            Refusal::UnknownKey => {
                "the ID token was signed with a key the provider never published"
            }
            Refusal::Algorithm => "the ID token's signing algorithm is not one its key allows",
            Refusal::Signature => "the ID token's signature is wrong",
            Refusal::WrongIssuer => "the ID token is from another issuer",
            Refusal::WrongAudience => "the ID token is for another application",
            Refusal::Expired => "the ID token has expired",
            Refusal::IssuedInFuture => "the ID token is dated in the future",
            Refusal::WrongNonce => "the ID token is not for this sign-in (nonce)",
            Refusal::WrongTenant => "the ID token is from another Microsoft tenant",
            Refusal::WrongHostedDomain => "the ID token is from another Google Workspace domain",
            Refusal::NoEmail => "the ID token carries no email address",
            Refusal::EmailUnverified => "the provider has not verified the email address",
            Refusal::DomainNotAllowed => "the email's domain is not one this provider signs in for",
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

/// What safelog uses from a checked ID token.
#[derive(Clone, Debug)]
pub struct Identity {
    pub email: String,
    pub name: Option<String>,
    /// The provider says a second factor was used (amr `mfa`, or the acr
    /// the administrator named).
    pub mfa: bool,
    /// When the token expires (seconds since the epoch).
    pub expires: i64,
    /// The values of the provider's role claim, when it has a mapping and
    /// the token carries the claim (`None`: absent, roles left alone).
    pub role_values: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    #[allow(dead_code)]
    sub: String,
    exp: i64,
    iat: i64,
    nbf: Option<i64>,
    nonce: Option<String>,
    email: Option<String>,
    email_verified: Option<serde_json::Value>,
    preferred_username: Option<String>,
    name: Option<String>,
    tid: Option<String>,
    hd: Option<String>,
    #[serde(default)]
    amr: Vec<String>,
    acr: Option<String>,
    aud: serde_json::Value,
    azp: Option<String>,
    /// Every other claim: the role claim is among them.
    #[serde(flatten)]
    other: serde_json::Map<String, serde_json::Value>,
}

/// A role claim's values: a list of strings (Entra's `groups` and
/// `roles`), or one string (a custom claim); anything else is absent.
fn claim_values(v: Option<&serde_json::Value>) -> Option<Vec<String>> {
    match v? {
        serde_json::Value::String(s) => Some(vec![s.clone()]),
        serde_json::Value::Array(items) => Some(
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
        ),
        _ => None,
    }
}

/// What the ID token must say, from the provider's configuration and the
/// sign-in in flight.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub preset: Preset,
    pub tenant_id: Option<&'a str>,
    pub hosted_domain: Option<&'a str>,
    pub mfa_acr: Option<&'a str>,
    pub role_claim: Option<&'a str>,
}

impl<'a> Expected<'a> {
    pub fn for_provider(p: &'a Provider, nonce: &'a str) -> Self {
        Self {
            issuer: &p.issuer,
            client_id: &p.client_id,
            nonce,
            preset: p.preset(),
            tenant_id: p.tenant_id.as_deref(),
            hosted_domain: p.hosted_domain.as_deref(),
            mfa_acr: p.mfa_acr.as_deref(),
            role_claim: p.role_mapping().map(|(c, _)| c),
        }
    }
}

/// The algorithms a published key may sign with: asymmetric only. A
/// symmetric (`oct`) key in a key set is never used, so a token signed
/// with HS256 over the public key, or `none`, finds no key to pass.
fn algorithms_for(params: &AlgorithmParameters) -> Option<&'static [Algorithm]> {
    match params {
        AlgorithmParameters::RSA(_) => Some(&[
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
        ]),
        AlgorithmParameters::EllipticCurve(_) => Some(&[Algorithm::ES256, Algorithm::ES384]),
        _ => None,
    }
}

/// The key id a token names, to look it up (and to fetch the keys again
/// when it is new).
pub fn key_id(token: &str) -> Result<Option<String>, Refusal> {
    match jsonwebtoken::decode_header(token) {
        Ok(header) => Ok(header.kid),
        // A readable header naming an algorithm jsonwebtoken does not know
        // (`none` above all) is an algorithm refusal, not a garbled token.
        Err(_) => {
            let names_an_alg = token
                .split('.')
                .next()
                .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .is_some_and(|h| h.get("alg").is_some());
            Err(if names_an_alg {
                Refusal::Algorithm
            } else {
                Refusal::Malformed
            })
        }
    }
}

/// Checks an ID token against the provider's keys and what it must say.
pub fn check_id_token(
    token: &str,
    keys: &JwkSet,
    expected: &Expected<'_>,
    clock: &Clock,
) -> Result<Identity, Refusal> {
    // `alg: none` and unknown algorithms fail here: jsonwebtoken knows
    // no such algorithm.
    let header = jsonwebtoken::decode_header(token).map_err(|_| Refusal::Algorithm)?;
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        // A token without a key id is accepted only from a provider with
        // exactly one key.
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or(Refusal::UnknownKey)?;
    let allowed = algorithms_for(&jwk.algorithm).ok_or(Refusal::UnknownKey)?;
    if !allowed.contains(&header.alg) {
        return Err(Refusal::Algorithm);
    }
    if let Some(declared) = jwk.common.key_algorithm {
        if declared.to_string() != format!("{:?}", header.alg) {
            return Err(Refusal::Algorithm);
        }
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| Refusal::UnknownKey)?;
    let mut validation = Validation::new(header.alg);
    validation.algorithms = vec![header.alg];
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(&[expected.client_id]);
    validation.set_required_spec_claims(&["iss", "aud", "exp", "iat", "sub"]);
    // Times are checked below, against the service's clock.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
        .map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::InvalidIssuer => Refusal::WrongIssuer,
                ErrorKind::InvalidAudience => Refusal::WrongAudience,
                ErrorKind::InvalidSignature => Refusal::Signature,
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => Refusal::Algorithm,
                _ => Refusal::Malformed,
            }
        })?
        .claims;
    // With several audiences, the token must have been issued to us (OpenID
    // Connect Core 3.1.3.7, items 4 and 5).
    if claims.aud.is_array() && claims.azp.as_deref() != Some(expected.client_id) {
        return Err(Refusal::WrongAudience);
    }
    let now = clock.now().timestamp();
    if now >= claims.exp + SKEW_SECS {
        return Err(Refusal::Expired);
    }
    if claims.iat > now + SKEW_SECS || claims.nbf.is_some_and(|nbf| nbf > now + SKEW_SECS) {
        return Err(Refusal::IssuedInFuture);
    }
    if !claims
        .nonce
        .as_deref()
        .is_some_and(|n| crate::auth::tokens::same(n, expected.nonce))
    {
        return Err(Refusal::WrongNonce);
    }
    match expected.preset {
        Preset::Entra if claims.tid.as_deref() != expected.tenant_id => {
            return Err(Refusal::WrongTenant)
        }
        Preset::Google
            if claims.hd.as_deref().map(str::to_ascii_lowercase).as_deref()
                != expected.hosted_domain =>
        {
            return Err(Refusal::WrongHostedDomain)
        }
        _ => {}
    }
    let verified = match &claims.email_verified {
        None => true,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => s == "true",
        Some(_) => false,
    };
    if !verified {
        return Err(Refusal::EmailUnverified);
    }
    // Entra puts the sign-in address in `preferred_username` when the
    // optional `email` claim is not configured; the tenant check above is
    // what makes it the school's own.
    let email = claims
        .email
        .or(match expected.preset {
            Preset::Entra => claims.preferred_username.filter(|u| u.contains('@')),
            _ => None,
        })
        .map(|e| crate::accounts::model::normalise_email(&e))
        .ok_or(Refusal::NoEmail)?;
    let mfa = claims.amr.iter().any(|m| m == "mfa")
        || matches!((expected.mfa_acr, claims.acr.as_deref()), (Some(want), Some(got)) if want == got);
    let role_values = expected
        .role_claim
        .and_then(|c| claim_values(claims.other.get(c)));
    Ok(Identity {
        email,
        name: claims.name,
        mfa,
        expires: claims.exp,
        role_values,
    })
}

/// The PKCE challenge (S256) for a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Discovery documents and key sets, per process; every instance keeps its
/// own (nothing here is state another instance needs).
pub struct Cache {
    http: reqwest::Client,
    discovery: Mutex<HashMap<String, (Discovery, Instant)>>,
    keys: Mutex<HashMap<String, (JwkSet, Instant)>>,
}

impl Default for Cache {
    fn default() -> Self {
        Self::new()
    }
}

impl Cache {
    pub fn new() -> Self {
        // No pooled connections: sign-ins are few and minutes apart, and a
        // connection the provider closed while idle (Node closes them after
        // five seconds) failed the next request as "unreachable".
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .pool_max_idle_per_host(0)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            http,
            discovery: Mutex::new(HashMap::new()),
            keys: Mutex::new(HashMap::new()),
        }
    }

    pub async fn discovery(&self, issuer: &str) -> Result<Discovery, Refusal> {
        if let Some((d, at)) = lock(&self.discovery).get(issuer) {
            if at.elapsed() < CACHE_FOR {
                return Ok(d.clone());
            }
        }
        let url = format!("{issuer}/.well-known/openid-configuration");
        let d: Discovery = self.get_json(&url).await?;
        // OpenID Connect Discovery 4.3: the document must name the issuer
        // it was fetched for, exactly.
        if d.issuer.trim_end_matches('/') != issuer.trim_end_matches('/') {
            return Err(Refusal::WrongIssuer);
        }
        lock(&self.discovery).insert(issuer.to_string(), (d.clone(), Instant::now()));
        Ok(d)
    }

    /// The provider's keys; fetched again when `kid` is not among them
    /// (the provider rolled its keys), at most every few seconds.
    pub async fn keys(&self, jwks_uri: &str, kid: Option<&str>) -> Result<JwkSet, Refusal> {
        let cached = lock(&self.keys).get(jwks_uri).cloned();
        if let Some((set, at)) = &cached {
            let knows = kid.is_none_or(|k| set.find(k).is_some());
            if at.elapsed() < CACHE_FOR && (knows || at.elapsed() < REFETCH_AFTER) {
                return Ok(set.clone());
            }
        }
        let set: JwkSet = self.get_json(jwks_uri).await?;
        lock(&self.keys).insert(jwks_uri.to_string(), (set.clone(), Instant::now()));
        Ok(set)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, Refusal> {
        // The URL is the provider's public discovery or key set address.
        let res = self.http.get(url).send().await.map_err(|e| {
            tracing::warn!(url, error = %e, "single sign-on: the provider could not be reached");
            Refusal::Unreachable
        })?;
        if !res.status().is_success() {
            tracing::warn!(url, status = %res.status(), "single sign-on: the provider answered with an error");
            return Err(Refusal::Unreachable);
        }
        res.json::<T>().await.map_err(|e| {
            tracing::warn!(url, error = %e, "single sign-on: the provider's answer could not be read");
            Refusal::Unreachable
        })
    }

    /// Exchanges the authorization code for the ID token.
    pub async fn id_token(
        &self,
        d: &Discovery,
        p: &Provider,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<String, Refusal> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
            ("client_id", p.client_id.as_str()),
        ];
        let mut req = self.http.post(&d.token_endpoint);
        // client_secret_post where offered (Entra and Google do), else
        // client_secret_basic, the default (RFC 6749 2.3.1 form-encodes
        // both parts first).
        if d.token_endpoint_auth_methods_supported
            .iter()
            .any(|m| m == "client_secret_post")
        {
            form.push(("client_secret", p.client_secret.expose()));
        } else {
            let pair = format!(
                "{}:{}",
                form_encode(&p.client_id),
                form_encode(p.client_secret.expose())
            );
            req = req.header(
                reqwest::header::AUTHORIZATION,
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ),
            );
        }
        // Neither the code nor the secret is in an error's text: they are
        // in the body, and reqwest names only the URL.
        let res = req.form(&form).send().await.map_err(|e| {
            tracing::warn!(error = %e, "single sign-on: the token endpoint could not be reached");
            Refusal::Unreachable
        })?;
        if !res.status().is_success() {
            tracing::warn!(status = %res.status(), "single sign-on: the token endpoint refused the code");
            return Err(Refusal::ProviderError);
        }
        #[derive(Deserialize)]
        struct TokenResponse {
            id_token: Option<String>,
        }
        let body: TokenResponse = res.json().await.map_err(|_| Refusal::Malformed)?;
        body.id_token.ok_or(Refusal::Malformed)
    }
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
