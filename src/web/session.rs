//! What the encrypted session cookie holds: the CSRF token, the login token (whose hash keys a
//! row in `user_sessions`) and a one-shot flash message. Nothing else, and no personal data.

use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::{Key, SameSite, time};

use crate::config::SESSION_ABSOLUTE_HOURS;
use crate::random::random_token;

const CSRF_KEY: &str = "csrf";
const LOGIN_TOKEN_KEY: &str = "sid";
const FLASH_KEY: &str = "flash";
pub const COOKIE_NAME: &str = "pesiar";

pub fn middleware(key: Key, secure: bool) -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), key)
        .cookie_name(COOKIE_NAME.to_string())
        .cookie_secure(secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_content_security(CookieContentSecurity::Private)
        .session_lifecycle(
            PersistentSession::default().session_ttl(time::Duration::hours(SESSION_ABSOLUTE_HOURS)),
        )
        .build()
}

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(CSRF_KEY) {
        return token;
    }
    let token = random_token(32);
    if let Err(e) = session.insert(CSRF_KEY, &token) {
        tracing::warn!(error = %e, "could not store CSRF token");
    }
    token
}

/// The CSRF token if the session has one (never creates one: used to check a POST).
pub fn existing_csrf_token(session: &Session) -> Option<String> {
    session.get::<String>(CSRF_KEY).ok().flatten()
}

pub fn login_token(session: &Session) -> Option<String> {
    session.get::<String>(LOGIN_TOKEN_KEY).ok().flatten()
}

/// A fresh session for a fresh login: new cookie, new CSRF token, the new login token.
pub fn begin_login(session: &Session, login_token: &str) {
    session.renew();
    session.clear();
    let _ = session.insert(LOGIN_TOKEN_KEY, login_token);
    let _ = session.insert(CSRF_KEY, random_token(32));
}

pub fn forget_login(session: &Session) {
    session.remove(LOGIN_TOKEN_KEY);
}

pub fn end(session: &Session) {
    session.purge();
}

pub fn set_flash(session: &Session, message: &str) {
    let _ = session.insert(FLASH_KEY, message);
}

pub fn take_flash(session: &Session) -> Option<String> {
    session.remove_as::<String>(FLASH_KEY).and_then(Result::ok)
}
