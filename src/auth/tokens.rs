//! API tokens for `Authorization: Bearer …`: created on the command line, shown once, stored
//! as a hash, acting with their user's role and areas.

use diesel::prelude::*;

use super::CurrentUser;
use crate::db::schema::{api_tokens, users};
use crate::db::{DbConnection, now};
use crate::web::security::{random_token, token_hash};

const PREFIX: &str = "psr_";

pub fn create(conn: &mut DbConnection, user_id: i32, label: &str) -> QueryResult<String> {
    let token = format!("{PREFIX}{}", random_token(32));
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::token_hash.eq(token_hash(&token)),
            api_tokens::user_id.eq(user_id),
            api_tokens::label.eq(label),
            api_tokens::created_at.eq(now()),
        ))
        .execute(conn)?;
    crate::audit::record(
        conn,
        None,
        "token.create",
        "user",
        &user_id.to_string(),
        label,
    )?;
    Ok(token)
}

/// The user behind a bearer token, if the token exists and the user is active.
pub fn load(conn: &mut DbConnection, token: &str) -> QueryResult<Option<CurrentUser>> {
    if !token.starts_with(PREFIX) || token.len() > 100 {
        return Ok(None);
    }
    let hash = token_hash(token);
    let username: Option<String> = api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(&hash))
        .filter(users::disabled.eq(false))
        .select(users::username)
        .first(conn)
        .optional()?;
    let Some(username) = username else {
        return Ok(None);
    };
    diesel::update(api_tokens::table.find(&hash))
        .set(api_tokens::last_used_at.eq(Some(now())))
        .execute(conn)?;
    CurrentUser::load(conn, &username)
}
