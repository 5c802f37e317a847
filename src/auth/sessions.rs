//! Server-side sessions. The cookie carries a random login token; the database keeps its hash
//! with the times that bound it (idle timeout, absolute lifetime). Logging out, changing the
//! password or disabling the user deletes the row, and the cookie is worthless from then on.

use actix_session::Session;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::CurrentUser;
use crate::config::{SESSION_ABSOLUTE_HOURS, SESSION_IDLE_MINUTES};
use crate::db::schema::{user_sessions, users};
use crate::db::{Db, DbConnection, now};
use crate::error::AppError;
use crate::users::{Role, queries as user_queries};
use crate::web::security::{random_token, token_hash};
use crate::web::session;

/// Do not rewrite `last_seen_at` more often than this: one write per minute per user at most.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// Creates a session row and returns the token to put in the cookie.
pub fn create(conn: &mut DbConnection, user_id: i32) -> QueryResult<String> {
    let token = random_token(32);
    let at = now();
    diesel::insert_into(user_sessions::table)
        .values((
            user_sessions::token_hash.eq(token_hash(&token)),
            user_sessions::user_id.eq(user_id),
            user_sessions::created_at.eq(at),
            user_sessions::last_seen_at.eq(at),
        ))
        .execute(conn)?;
    Ok(token)
}

pub fn delete(conn: &mut DbConnection, token_hash: &str) -> QueryResult<()> {
    diesel::delete(user_sessions::table.find(token_hash))
        .execute(conn)
        .map(|_| ())
}

/// Whether a session with these times is still alive at `now`.
pub fn is_alive(
    created_at: NaiveDateTime,
    last_seen_at: NaiveDateTime,
    now: NaiveDateTime,
) -> bool {
    now - created_at < Duration::hours(SESSION_ABSOLUTE_HOURS)
        && now - last_seen_at < Duration::minutes(SESSION_IDLE_MINUTES)
}

/// Loads the user behind a login token, or `None` when the session is unknown, expired or the
/// user disabled (an expired session row is removed on the way).
pub fn load(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<CurrentUser>> {
    let row: Option<(NaiveDateTime, NaiveDateTime, user_queries::User)> = user_sessions::table
        .inner_join(users::table)
        .filter(user_sessions::token_hash.eq(token_hash))
        .select((
            user_sessions::created_at,
            user_sessions::last_seen_at,
            user_queries::User::as_select(),
        ))
        .first(conn)
        .optional()?;
    let Some((created_at, last_seen_at, user)) = row else {
        return Ok(None);
    };
    let at = now();
    let role = user.role();
    if user.disabled || role.is_none() || !is_alive(created_at, last_seen_at, at) {
        delete(conn, token_hash)?;
        return Ok(None);
    }
    if (at - last_seen_at).num_seconds() >= TOUCH_EVERY_SECONDS {
        let touched = diesel::update(user_sessions::table.find(token_hash))
            .set(user_sessions::last_seen_at.eq(at))
            .execute(conn);
        // Reading goes on when the storage refuses writes (full disk, read-only file); only the
        // idle clock pauses.
        match touched {
            Err(diesel::result::Error::DatabaseError(kind, info))
                if crate::error::Unwritable::of(&kind, info.message()).is_some() =>
            {
                tracing::warn!(error = info.message(), "session not touched");
            }
            other => {
                other?;
            }
        }
    }
    let areas = user_queries::areas(conn, user.id)?;
    Ok(Some(CurrentUser {
        id: user.id,
        username: user.username,
        full_name: user.full_name,
        role: role.unwrap_or(Role::Office),
        areas,
        must_change_password: user.must_change_password,
        session_token_hash: token_hash.to_string(),
    }))
}

/// The signed-in user for this request's session, if any.
pub async fn current_user(db: &Db, session: &Session) -> Result<Option<CurrentUser>, AppError> {
    let Some(token) = session::login_token(session) else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    let user = db
        .run(move |conn| load(conn, &hash).map_err(AppError::from))
        .await?;
    if user.is_none() {
        session::forget_login(session);
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + minutes * 60, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn idle_and_absolute_limits() {
        // Active all day: alive until the absolute lifetime.
        assert!(is_alive(at(0), at(600), at(601)));
        assert!(!is_alive(at(0), at(719), at(720)));
        // Idle too long.
        assert!(is_alive(at(0), at(0), at(SESSION_IDLE_MINUTES - 1)));
        assert!(!is_alive(at(0), at(0), at(SESSION_IDLE_MINUTES)));
    }
}
