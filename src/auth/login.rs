//! One login attempt, from username and password to a new session or a refusal. Every refusal
//! looks the same to the person trying, whatever the reason.

use diesel::QueryResult;

use super::{password, sessions, throttle};
use crate::db::{DbConnection, now, write_transaction};
use crate::users::queries as user_queries;

#[derive(Debug)]
pub enum LoginOutcome {
    Success {
        token: String,
        must_change_password: bool,
    },
    Refused,
    Locked,
}

pub fn attempt(
    conn: &mut DbConnection,
    username: &str,
    password_attempt: &str,
    address: &str,
) -> QueryResult<LoginOutcome> {
    let keys = [
        throttle::username_key(username),
        throttle::address_key(address),
    ];
    if throttle::any_locked(conn, &keys, now())? {
        password::verify_dummy(password_attempt);
        return Ok(LoginOutcome::Locked);
    }
    let user = user_queries::find_by_username(conn, username)?;
    let accepted = match &user {
        Some(user) => password::verify(password_attempt, &user.password_hash) && !user.disabled,
        None => {
            password::verify_dummy(password_attempt);
            false
        }
    };
    match user {
        Some(user) if accepted => write_transaction(conn, |conn| {
            throttle::clear(conn, &keys[0])?;
            let token = sessions::create(conn, user.id)?;
            Ok(LoginOutcome::Success {
                token,
                must_change_password: user.must_change_password,
            })
        }),
        _ => write_transaction(conn, |conn| {
            let at = now();
            for key in &keys {
                throttle::record_failure(conn, key, at)?;
            }
            Ok(LoginOutcome::Refused)
        }),
    }
}
