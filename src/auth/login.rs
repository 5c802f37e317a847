//! One login attempt, from username and password to a new session or a refusal. Every refusal
//! of a checked password looks the same to the person trying, whatever the reason; an attempt
//! refused by throttling says until when.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::throttle::{self, Verdict};
use super::{password, sessions};
use crate::db::{DbConnection, now, write_transaction};
use crate::users::queries as user_queries;

#[derive(Debug)]
pub enum LoginOutcome {
    Success {
        token: String,
        must_change_password: bool,
    },
    Refused,
    /// Refused before any password check, until then (UTC).
    Locked(NaiveDateTime),
}

pub fn attempt(
    conn: &mut DbConnection,
    username: &str,
    password_attempt: &str,
    address: &str,
) -> QueryResult<LoginOutcome> {
    let keys = throttle::login_keys(username, address);
    // Counted before the check, in one write transaction: parallel guesses cannot all pass.
    let verdict = write_transaction(conn, |conn| throttle::count_all(conn, &keys, now()))?;
    if let Verdict::Locked(until) = verdict {
        return Ok(LoginOutcome::Locked(until));
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
            let [pair, address, account] = &keys;
            throttle::clear(conn, pair)?;
            throttle::uncount(conn, address)?;
            throttle::uncount(conn, account)?;
            let token = sessions::create(conn, user.id)?;
            Ok(LoginOutcome::Success {
                token,
                must_change_password: user.must_change_password,
            })
        }),
        // Already counted.
        _ => Ok(LoginOutcome::Refused),
    }
}
