//! Passwords, secrets, and who is calling: [`Principal`] and the extractors that demand one.

use std::net::SocketAddr;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use ww_store::{ApiToken, NewToken, Role, ServiceRole, Store, StoreError, TenantId, TenantScope, TokenPurpose, User};

use crate::Ctx;
use crate::error::ApiError;
use crate::views::Slugs;

pub(crate) const SESSION_COOKIE: &str = "ww_session";
/// Longest credential we look at; anything longer is not ours.
const MAX_CREDENTIAL: usize = 512;

/// An argon2id PHC string for `password` (default parameters, random 16-byte salt).
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    // Both steps only fail on out-of-range parameters or salt lengths, which are fixed here.
    let hashed = SaltString::encode_b64(&salt)
        .and_then(|s| Argon2::default().hash_password(password.as_bytes(), &s).map(|h| h.to_string()));
    match hashed {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "argon2 hashing failed");
            // An unparseable hash matches no password.
            String::from("!")
        }
    }
}

/// Whether `password` matches the PHC string `hash`. A malformed hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(h) => Argon2::default().verify_password(password.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// A fresh random secret (32 bytes, hex) for a session or API token.
pub fn generate_secret() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// What the store keeps for a secret.
pub fn secret_sha256(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// The token string a client presents: `ww_<id>_<secret>`.
pub fn format_token(id: i64, secret: &str) -> String {
    format!("ww_{id}_{secret}")
}

/// Creates a token in the store and returns it with the string to hand to the client (shown
/// once; only its hash is stored).
pub async fn issue_token(store: &dyn Store, new: &NewToken) -> Result<(ApiToken, String), StoreError> {
    let secret = generate_secret();
    let token = store.create_token(new, &secret_sha256(&secret)).await?;
    let text = format_token(token.id, &secret);
    Ok((token, text))
}

fn parse_token(s: &str) -> Option<(i64, &str)> {
    let rest = s.strip_prefix("ww_")?;
    let (id, secret) = rest.split_once('_')?;
    let id = id.parse().ok()?;
    (!secret.is_empty() && secret.len() <= MAX_CREDENTIAL).then_some((id, secret))
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub(crate) enum Principal {
    User(User),
    Token(ApiToken),
}

impl Principal {
    pub(crate) fn actor(&self) -> ww_store::Actor {
        match self {
            Principal::User(u) => ww_store::Actor::user(&u.username),
            Principal::Token(t) => ww_store::Actor { name: format!("token:{}", t.id) },
        }
    }

    pub(crate) fn is_ingest(&self) -> bool {
        matches!(self, Principal::Token(t) if t.purpose == TokenPurpose::Ingest)
    }

    pub(crate) fn is_service_admin(&self) -> bool {
        matches!(self, Principal::User(u) if u.service_role == Some(ServiceRole::ServiceAdmin))
    }

    /// The caller's rights in one tenant.
    pub(crate) fn role_in(&self, t: TenantId) -> Option<Role> {
        match self {
            Principal::User(u) => match u.service_role {
                Some(ServiceRole::ServiceAdmin) => Some(Role::Admin),
                Some(ServiceRole::SocAnalyst) => {
                    // A SOC analyst who is also a tenant admin keeps the higher right there.
                    let own = u.memberships.iter().find(|(m, _)| *m == t).map(|(_, r)| *r);
                    Some(own.map_or(Role::Analyst, |r| r.max(Role::Analyst)))
                }
                None => u.memberships.iter().find(|(m, _)| *m == t).map(|(_, r)| *r),
            },
            Principal::Token(tok) => (tok.tenant == t && tok.purpose == TokenPurpose::Api).then_some(tok.role),
        }
    }

    /// The tenants the caller may see. `all` is every tenant (for service-wide roles).
    pub(crate) fn scope(&self, slugs: &Slugs) -> TenantScope {
        match self {
            Principal::User(u) if u.service_role.is_some() => TenantScope::new(slugs.0.keys().copied().collect()),
            Principal::User(u) => TenantScope::new(u.memberships.iter().map(|(t, _)| *t).collect()),
            Principal::Token(t) if t.purpose == TokenPurpose::Api => TenantScope::one(t.tenant),
            Principal::Token(_) => TenantScope::new(Vec::new()),
        }
    }
}

enum Credential {
    Token(String),
    Session(String),
}

fn credential(headers: &HeaderMap) -> Result<Option<Credential>, ApiError> {
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        let v = v.to_str().map_err(|_| ApiError::Unauthorized)?.trim();
        if v.len() > 2 * MAX_CREDENTIAL {
            return Err(ApiError::Unauthorized);
        }
        let (scheme, rest) = v.split_once(' ').ok_or(ApiError::Unauthorized)?;
        let rest = rest.trim();
        let token = match scheme.to_ascii_lowercase().as_str() {
            "bearer" => rest.to_owned(),
            // Shippers configured with a username and password: the token is the password.
            "basic" => {
                let raw = base64::engine::general_purpose::STANDARD.decode(rest).map_err(|_| ApiError::Unauthorized)?;
                let s = String::from_utf8(raw).map_err(|_| ApiError::Unauthorized)?;
                s.split_once(':').map(|(_, p)| p.to_owned()).ok_or(ApiError::Unauthorized)?
            }
            // Elasticsearch API keys: base64("id:key"); the key part is the token.
            "apikey" => {
                let raw = base64::engine::general_purpose::STANDARD.decode(rest).map_err(|_| ApiError::Unauthorized)?;
                let s = String::from_utf8(raw).map_err(|_| ApiError::Unauthorized)?;
                s.split_once(':').map_or(s.clone(), |(_, k)| k.to_owned())
            }
            _ => return Err(ApiError::Unauthorized),
        };
        return Ok(Some(Credential::Token(token)));
    }
    Ok(session_secret(headers).map(Credential::Session))
}

/// Cookie-authenticated requests that change something must prove they come from our own
/// pages or a script that set the header: a custom header cannot be sent cross-site without a
/// CORS preflight, which we never grant, and a same-origin `Origin` is ours.
pub(crate) fn csrf_ok(headers: &HeaderMap) -> bool {
    if headers.get("x-requested-with").and_then(|v| v.to_str().ok()) == Some("wardwatch") {
        return true;
    }
    let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) else {
        return false;
    };
    let origin_host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
    origin_host.is_some_and(|h| h.eq_ignore_ascii_case(host))
}

/// The session cookie's value, if one was sent.
pub(crate) fn session_secret(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, SESSION_COOKIE)
}

/// The value of cookie `name` (the first non-empty one of sane length).
pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    for v in headers.get_all(header::COOKIE) {
        let Ok(v) = v.to_str() else { continue };
        for part in v.split(';') {
            if let Some((k, val)) = part.trim().split_once('=')
                && k == name
                && !val.is_empty()
                && val.len() <= MAX_CREDENTIAL
            {
                return Some(val.to_owned());
            }
        }
    }
    None
}

/// The user of a live session, or `None` when the session is unknown or expired.
pub(crate) async fn session_user(ctx: &Ctx, secret: &str) -> Result<Option<User>, ApiError> {
    match ctx.app.store.session_user(&secret_sha256(secret), chrono::Utc::now()).await {
        Ok(u) => Ok(Some(u)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The anti-CSRF token of the console forms: derived from the session secret (which only our
/// pages and the browser know), so it needs no storage and dies with the session.
pub(crate) fn csrf_token(secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"wardwatch console csrf v1\0");
    h.update(secret.as_bytes());
    hex::encode(h.finalize())
}

/// Compares a presented CSRF token with the expected one in constant time.
pub(crate) fn csrf_matches(expected: &str, presented: &str) -> bool {
    let (a, b) = (expected.as_bytes(), presented.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the request's `Origin` (if any) is another site. Browsers send it on every POST;
/// a missing one is left to the CSRF token.
pub(crate) fn cross_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else { return false };
    let (Ok(origin), Some(host)) = (origin.to_str(), headers.get(header::HOST).and_then(|v| v.to_str().ok())) else {
        return true;
    };
    let origin_host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
    !origin_host.is_some_and(|h| h.eq_ignore_ascii_case(host))
}

async fn authenticate(parts: &Parts, ctx: &Ctx) -> Result<Option<Principal>, ApiError> {
    let store = &ctx.app.store;
    match credential(&parts.headers)? {
        None => Ok(None),
        Some(Credential::Token(t)) => {
            let (id, secret) = parse_token(&t).ok_or(ApiError::Unauthorized)?;
            let tok = match store.token_by_secret(&secret_sha256(secret)).await {
                Ok(tok) => tok,
                Err(StoreError::NotFound) => return Err(ApiError::Unauthorized),
                Err(e) => return Err(e.into()),
            };
            let expired = tok.expires.is_some_and(|e| e <= chrono::Utc::now());
            if tok.id != id || tok.revoked || expired {
                return Err(ApiError::Unauthorized);
            }
            Ok(Some(Principal::Token(tok)))
        }
        Some(Credential::Session(s)) => {
            let user = session_user(ctx, &s).await?.ok_or(ApiError::Unauthorized)?;
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            if !safe && !csrf_ok(&parts.headers) {
                return Err(ApiError::Forbidden("cross-site request refused: send X-Requested-With: wardwatch"));
            }
            Ok(Some(Principal::User(user)))
        }
    }
}

/// Any authenticated caller except ingest tokens (which may only ingest).
pub(crate) struct Reader(pub(crate) Principal);

impl FromRequestParts<Ctx> for Reader {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, ctx: &Ctx) -> Result<Self, ApiError> {
        match authenticate(parts, ctx).await? {
            None => Err(ApiError::Unauthorized),
            Some(p) if p.is_ingest() => Err(ApiError::Forbidden("ingest tokens may only send events")),
            Some(p) => Ok(Reader(p)),
        }
    }
}

/// An ingest token.
pub(crate) struct Ingester(pub(crate) ApiToken);

impl FromRequestParts<Ctx> for Ingester {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, ctx: &Ctx) -> Result<Self, ApiError> {
        match authenticate(parts, ctx).await? {
            None => Err(ApiError::Unauthorized),
            Some(Principal::Token(t)) if t.purpose == TokenPurpose::Ingest => Ok(Ingester(t)),
            Some(_) => Err(ApiError::Forbidden("this endpoint needs an ingest token")),
        }
    }
}

/// The caller if any credentials were sent (invalid ones are still an error).
pub(crate) struct MaybePrincipal(pub(crate) Option<Principal>);

impl FromRequestParts<Ctx> for MaybePrincipal {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, ctx: &Ctx) -> Result<Self, ApiError> {
        Ok(MaybePrincipal(authenticate(parts, ctx).await?))
    }
}

/// The TCP peer, when the server was started with connect info.
pub(crate) fn peer(parts_ext: &axum::http::Extensions) -> Option<SocketAddr> {
    parts_ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)
}

/// The peer address as an extractor (never fails).
pub(crate) struct Peer(pub(crate) Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(peer(&parts.extensions)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_round_trip_and_salted() {
        let h = hash_password("correct horse");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct hors", &h));
        assert_ne!(h, hash_password("correct horse"));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn token_format_parses_back() {
        let s = generate_secret();
        let t = format_token(42, &s);
        assert_eq!(parse_token(&t), Some((42, s.as_str())));
        assert_eq!(parse_token("ww_x_abc"), None);
        assert_eq!(parse_token("ww_1_"), None);
        assert_eq!(parse_token("xx_1_abc"), None);
    }

    #[test]
    fn credentials_from_each_header_form() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let tok = |v: String| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, v.parse().expect("header"));
            match credential(&h) {
                Ok(Some(Credential::Token(t))) => t,
                _ => String::from("<none>"),
            }
        };
        assert_eq!(tok("Bearer ww_1_ab".into()), "ww_1_ab");
        assert_eq!(tok(format!("Basic {}", b64("beats:ww_1_ab"))), "ww_1_ab");
        assert_eq!(tok(format!("ApiKey {}", b64("anyid:ww_1_ab"))), "ww_1_ab");
        assert_eq!(tok("Digest x".into()), "<none>");
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=b; ww_session=abc".parse().expect("header"));
        assert!(matches!(credential(&h), Ok(Some(Credential::Session(s))) if s == "abc"));
    }

    #[test]
    fn csrf_needs_header_or_same_origin() {
        let mut h = HeaderMap::new();
        assert!(!csrf_ok(&h));
        h.insert(header::HOST, "ww.example:8443".parse().expect("header"));
        h.insert(header::ORIGIN, "https://evil.example".parse().expect("header"));
        assert!(!csrf_ok(&h));
        h.insert(header::ORIGIN, "https://ww.example:8443".parse().expect("header"));
        assert!(csrf_ok(&h));
        let mut h = HeaderMap::new();
        h.insert("x-requested-with", "wardwatch".parse().expect("header"));
        assert!(csrf_ok(&h));
    }
}
