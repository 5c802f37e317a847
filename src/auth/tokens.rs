//! API tokens for `Authorization: Bearer …`: created on the command line, shown once, stored
//! as a hash, acting with their user's role and areas. A token expires (90 days by default),
//! can be revoked (`pesiar token revoke ID`, or the admin page `/admin/token`), and every token
//! of a user is revoked when their password is reset, their account disabled or their role
//! changed (`revoke_all_for_user`). Expired and revoked tokens are refused like unknown ones.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::CurrentUser;
use crate::db::schema::{api_tokens, users};
use crate::db::{DbConnection, now};
use crate::random::random_token;
use crate::web::security::token_hash;

const PREFIX: &str = "psr_";

/// Days a new token is valid unless `--expires` says otherwise.
pub const DEFAULT_DAYS: i64 = 90;
/// The longest validity `--expires` accepts (ten years).
pub const MAX_DAYS: i64 = 3650;

/// `last_used_at` is written at most this often per token: API reads then rarely commit (and a
/// commit drops every page kept under the database's data version, `db::cache`).
const LAST_USED_EVERY: Duration = Duration::seconds(60);

/// A token with the default validity.
pub fn create(conn: &mut DbConnection, user_id: i32, label: &str) -> QueryResult<String> {
    create_for_days(conn, user_id, label, DEFAULT_DAYS)
}

/// A token valid for `days` days (clamped to 1..=`MAX_DAYS`); returns the token, shown once.
pub fn create_for_days(
    conn: &mut DbConnection,
    user_id: i32,
    label: &str,
    days: i64,
) -> QueryResult<String> {
    let token = format!("{PREFIX}{}", random_token(32));
    let created = now();
    let expires = created + Duration::days(days.clamp(1, MAX_DAYS));
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::token_hash.eq(token_hash(&token)),
            api_tokens::user_id.eq(user_id),
            api_tokens::label.eq(label),
            api_tokens::created_at.eq(created),
            api_tokens::expires_at.eq(expires),
        ))
        .execute(conn)?;
    crate::audit::record(
        conn,
        None,
        "token.create",
        "user",
        &user_id.to_string(),
        &format!("{label} (berlaku sampai {})", expires.format("%Y-%m-%d")),
    )?;
    Ok(token)
}

/// The user behind a bearer token, if the token exists, is neither expired nor revoked, and
/// the user is active.
pub fn load(conn: &mut DbConnection, token: &str) -> QueryResult<Option<CurrentUser>> {
    if !token.starts_with(PREFIX) || token.len() > 100 {
        return Ok(None);
    }
    let hash = token_hash(token);
    let at = now();
    let found: Option<(i32, String, Option<NaiveDateTime>)> = api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(&hash))
        .filter(api_tokens::revoked_at.is_null())
        .filter(api_tokens::expires_at.gt(at))
        .filter(users::disabled.eq(false))
        .select((api_tokens::id, users::username, api_tokens::last_used_at))
        .first(conn)
        .optional()?;
    let Some((id, username, last_used)) = found else {
        return Ok(None);
    };
    if last_used.is_none_or(|t| at - t >= LAST_USED_EVERY) {
        diesel::update(api_tokens::table.find(id))
            .set(api_tokens::last_used_at.eq(Some(at)))
            .execute(conn)?;
    }
    CurrentUser::load(conn, &username)
}

/// One token as listed on the command line and the admin page (never its hash).
#[derive(Queryable, Debug, Clone)]
pub struct TokenInfo {
    pub id: i32,
    pub username: String,
    pub label: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl TokenInfo {
    /// "aktif", "kedaluwarsa" or "dicabut".
    pub fn state(&self) -> &'static str {
        if self.revoked_at.is_some() {
            "dicabut"
        } else if self.expires_at <= now() {
            "kedaluwarsa"
        } else {
            "aktif"
        }
    }

    pub fn is_active(&self) -> bool {
        self.state() == "aktif"
    }
}

/// Every token (of one user if `username` is given), newest first.
pub fn list(conn: &mut DbConnection, username: Option<&str>) -> QueryResult<Vec<TokenInfo>> {
    let mut query = api_tokens::table
        .inner_join(users::table)
        .select((
            api_tokens::id,
            users::username,
            api_tokens::label,
            api_tokens::created_at,
            api_tokens::expires_at,
            api_tokens::last_used_at,
            api_tokens::revoked_at,
        ))
        .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
        .into_boxed();
    if let Some(username) = username {
        query = query.filter(users::username.eq(username.to_string()));
    }
    query.load(conn)
}

/// Revokes one token by its id. `Ok(false)`: no such token, or already revoked.
pub fn revoke(conn: &mut DbConnection, id: i32, actor: Option<i32>) -> QueryResult<bool> {
    crate::db::write_transaction(conn, |conn| {
        let owner: Option<(i32, String)> = api_tokens::table
            .find(id)
            .filter(api_tokens::revoked_at.is_null())
            .select((api_tokens::user_id, api_tokens::label))
            .first(conn)
            .optional()?;
        let Some((user_id, label)) = owner else {
            return Ok(false);
        };
        diesel::update(api_tokens::table.find(id))
            .set(api_tokens::revoked_at.eq(Some(now())))
            .execute(conn)?;
        crate::audit::record(
            conn,
            actor,
            "token.revoke",
            "token",
            &id.to_string(),
            &format!("user {user_id}: {label}"),
        )?;
        Ok(true)
    })
}

/// Revokes every token of a user not yet revoked (password reset, account disabled, role
/// changed): the number revoked. Called inside the caller's transaction.
pub fn revoke_all_for_user(
    conn: &mut DbConnection,
    user_id: i32,
    actor: Option<i32>,
    reason: &str,
) -> QueryResult<usize> {
    let revoked = diesel::update(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(now())))
    .execute(conn)?;
    if revoked > 0 {
        crate::audit::record(
            conn,
            actor,
            "token.revoke_all",
            "user",
            &user_id.to_string(),
            &format!("{revoked} token: {reason}"),
        )?;
    }
    Ok(revoked)
}
