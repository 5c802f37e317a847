//! Server-side sessions. The cookie carries a random login token; the database keeps its hash
//! with the times that bound it (idle timeout, absolute lifetime). Logging out, changing the
//! password or disabling the user deletes the row, and the cookie is worthless from then on.

use std::sync::Arc;

use actix_session::Session;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::CurrentUser;
use crate::config::{SESSION_ABSOLUTE_HOURS, SESSION_IDLE_MINUTES};
use crate::db::cache::{Cache, DataVersion};
use crate::db::schema::{user_sessions, users};
use crate::db::{Db, DbConnection, now};
use crate::error::AppError;
use crate::random::random_token;
use crate::users::{Role, queries as user_queries};
use crate::web::security::token_hash;
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

/// A signed-in session as loaded, with the times that bound it.
pub struct LiveSession {
    pub user: CurrentUser,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

/// Sessions by token hash, reused until anything is committed (`db::cache`): logging out,
/// disabling a user or changing their areas is a commit, so it takes effect at once.
pub type SessionCache = Cache<String, Option<LiveSession>>;

/// Loads the session behind a login token, or `None` when it is unknown, expired or the user
/// disabled (an expired session row is removed on the way). Writes `last_seen_at` when due.
fn load(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<LiveSession>> {
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
    let Some((created_at, mut last_seen_at, user)) = row else {
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
                last_seen_at = at;
            }
        }
    }
    let areas = user_queries::areas(conn, user.id)?;
    Ok(Some(LiveSession {
        user: CurrentUser {
            id: user.id,
            username: user.username,
            full_name: user.full_name,
            role: role.unwrap_or(Role::Office),
            areas,
            must_change_password: user.must_change_password,
            session_token_hash: token_hash.to_string(),
        },
        created_at,
        last_seen_at,
    }))
}

/// A kept session that may be used as is at `at`: still alive, and not yet due for the
/// `last_seen_at` write (which only the database path does).
fn reusable(session: &LiveSession, at: NaiveDateTime) -> bool {
    is_alive(session.created_at, session.last_seen_at, at)
        && (at - session.last_seen_at).num_seconds() < TOUCH_EVERY_SECONDS
}

/// The signed-in user for this request's session, if any. `version` is the database's data
/// version read for this request; with it, a session loaded since the last commit is reused.
pub async fn current_user(
    db: &Db,
    session: &Session,
    cache: Option<&SessionCache>,
    version: Option<DataVersion>,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(token) = session::login_token(session) else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    let from_db = |hash: String| db.run(move |conn| Ok(load(conn, &hash)?));
    let mut loaded = match cache {
        Some(cache) => {
            cache
                .get_or_load(version, hash.clone(), from_db(hash.clone()))
                .await?
        }
        None => Arc::new(from_db(hash.clone()).await?),
    };
    if loaded
        .as_ref()
        .as_ref()
        .is_some_and(|s| !reusable(s, now()))
    {
        // Kept for a while: check it again, which writes `last_seen_at` when due.
        loaded = Arc::new(from_db(hash).await?);
    }
    match loaded.as_ref() {
        Some(live) => Ok(Some(live.user.clone())),
        None => {
            session::forget_login(session);
            Ok(None)
        }
    }
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

    #[test]
    fn a_kept_session_is_reused_until_its_touch_is_due() {
        let kept = |created, seen| LiveSession {
            user: CurrentUser {
                id: 1,
                username: "a".into(),
                full_name: "A".into(),
                role: Role::Agent,
                areas: Vec::new(),
                must_change_password: false,
                session_token_hash: String::new(),
            },
            created_at: at(created),
            last_seen_at: at(seen),
        };
        assert!(reusable(&kept(0, 10), at(10)));
        // A minute on, the database path writes `last_seen_at`.
        assert!(!reusable(&kept(0, 10), at(11)));
        // Past the absolute lifetime, never.
        assert!(!reusable(
            &kept(0, SESSION_ABSOLUTE_HOURS * 60),
            at(SESSION_ABSOLUTE_HOURS * 60)
        ));
    }
}
