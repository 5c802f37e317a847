//! Login throttling, kept in the database so every instance sees the same counts:
//! `LOGIN_MAX_FAILURES` failures for one username or one address within the lock window lock
//! that key for `LOGIN_LOCK_MINUTES`.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::config::{LOGIN_LOCK_MINUTES, LOGIN_MAX_FAILURES};
use crate::db::DbConnection;
use crate::db::schema::login_failures;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureState {
    pub failures: i32,
    pub first_failure_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
}

pub fn username_key(username: &str) -> String {
    format!("user:{username}")
}

pub fn address_key(address: &str) -> String {
    format!("addr:{address}")
}

pub fn is_locked(state: &FailureState, now: NaiveDateTime) -> bool {
    state.locked_until.is_some_and(|until| until > now)
}

/// The state after one more failure. Failures older than the window are forgotten.
pub fn after_failure(previous: Option<FailureState>, now: NaiveDateTime) -> FailureState {
    let window = Duration::minutes(LOGIN_LOCK_MINUTES);
    let fresh = FailureState {
        failures: 1,
        first_failure_at: now,
        locked_until: None,
    };
    let mut state = match previous {
        Some(prev) if is_locked(&prev, now) => return prev,
        Some(prev) if now - prev.first_failure_at < window => FailureState {
            failures: prev.failures + 1,
            ..prev
        },
        _ => fresh,
    };
    if state.failures >= LOGIN_MAX_FAILURES {
        state.locked_until = Some(now + window);
    }
    state
}

fn load(conn: &mut DbConnection, key: &str) -> QueryResult<Option<FailureState>> {
    login_failures::table
        .find(key)
        .select((
            login_failures::failures,
            login_failures::first_failure_at,
            login_failures::locked_until,
        ))
        .first::<(i32, NaiveDateTime, Option<NaiveDateTime>)>(conn)
        .optional()
        .map(|row| {
            row.map(|(failures, first_failure_at, locked_until)| FailureState {
                failures,
                first_failure_at,
                locked_until,
            })
        })
}

pub fn any_locked(
    conn: &mut DbConnection,
    keys: &[String],
    now: NaiveDateTime,
) -> QueryResult<bool> {
    for key in keys {
        if load(conn, key)?.is_some_and(|s| is_locked(&s, now)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Counts one failure against `key`; call inside a write transaction.
pub fn record_failure(conn: &mut DbConnection, key: &str, now: NaiveDateTime) -> QueryResult<()> {
    let previous = load(conn, key)?;
    let next = after_failure(previous, now);
    let values = (
        login_failures::failures.eq(next.failures),
        login_failures::first_failure_at.eq(next.first_failure_at),
        login_failures::locked_until.eq(next.locked_until),
    );
    if previous.is_some() {
        diesel::update(login_failures::table.find(key))
            .set(values)
            .execute(conn)?;
    } else {
        diesel::insert_into(login_failures::table)
            .values((login_failures::throttle_key.eq(key), values))
            .execute(conn)?;
    }
    Ok(())
}

pub fn clear(conn: &mut DbConnection, key: &str) -> QueryResult<()> {
    diesel::delete(login_failures::table.find(key))
        .execute(conn)
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + minute * 60, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn fifth_failure_within_the_window_locks_for_fifteen_minutes() {
        let mut state = None;
        for minute in 0..4 {
            let next = after_failure(state, at(minute));
            assert!(!is_locked(&next, at(minute)));
            state = Some(next);
        }
        let locked = after_failure(state, at(4));
        assert_eq!(locked.failures, 5);
        assert!(is_locked(&locked, at(4)));
        assert!(is_locked(&locked, at(18)));
        assert!(!is_locked(&locked, at(19)));
    }

    #[test]
    fn failures_spread_beyond_the_window_do_not_lock() {
        let mut state = None;
        for i in 0..10 {
            let next = after_failure(state, at(i * 16));
            assert!(!is_locked(&next, at(i * 16)), "failure {i}");
            state = Some(next);
        }
    }

    #[test]
    fn failures_while_locked_do_not_extend_the_lock() {
        let mut state = None;
        for minute in 0..5 {
            state = Some(after_failure(state, at(minute)));
        }
        let locked = state.unwrap();
        let again = after_failure(Some(locked), at(10));
        assert_eq!(again.locked_until, locked.locked_until);
    }
}
