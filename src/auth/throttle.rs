//! Login throttling, kept in the database so every instance sees the same counts.
//!
//! Every attempt is counted *before* its password is checked, by one upsert per key that
//! increments and returns the count (inside the write transaction: `BEGIN IMMEDIATE` on
//! SQLite, row locks of `INSERT … ON CONFLICT DO UPDATE` on PostgreSQL). An attempt whose count
//! is over a key's limit is refused without running argon2, so however many guesses arrive at
//! once, at most `limit` passwords are checked per key and window.
//!
//! The keys, narrowest first (see [`Key`]):
//! - an account from one address, 5 attempts: the lock a guesser (or a mistyping owner) meets.
//!   Keyed by both so that one person's failures behind a carrier NAT, where hundreds of field
//!   workers share one address, lock neither the other accounts there nor this account
//!   elsewhere.
//! - one address, 100 attempts: a guesser trying many accounts from one place.
//! - one account from any address, 20 attempts: a guesser spreading over many addresses.
//!   Higher than the first so that one address alone (after 5 it is refused before this count)
//!   cannot lock the owner out everywhere; at 20 per window a distributed guesser still gets
//!   fewer than 2,000 guesses a day.
//! - the password-change form of one account, 5 attempts (the session may be stolen).
//!
//! A count reaching its limit locks the key for `LOGIN_LOCK_MINUTES`; a lock is not extended by
//! attempts made while it holds. Counts older than the window are forgotten. A successful
//! sign-in clears its account-and-address key and takes its own attempt back from the others
//! (they count failures; a busy NAT of people signing in correctly never reaches 100).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamp};

use crate::config::{
    LOGIN_LOCK_MINUTES, LOGIN_MAX_FAILURES, LOGIN_MAX_FAILURES_ACCOUNT, LOGIN_MAX_FAILURES_ADDRESS,
};
use crate::db::DbConnection;
use crate::db::schema::login_failures;

/// Longest username kept in a key (real usernames have at most 32 characters).
const MAX_USERNAME: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// One account, from one address.
    AccountAt { username: String, address: String },
    /// One address, whatever the account.
    Address(String),
    /// One account, from any address.
    Account(String),
    /// The password-change form of one account.
    PasswordChange(String),
}

fn short(username: &str) -> String {
    username.chars().take(MAX_USERNAME).collect()
}

impl Key {
    pub fn account_at(username: &str, address: &str) -> Key {
        Key::AccountAt {
            username: short(username),
            address: address.to_string(),
        }
    }

    pub fn account(username: &str) -> Key {
        Key::Account(short(username))
    }

    pub fn address(address: &str) -> Key {
        Key::Address(address.to_string())
    }

    pub fn password_change(username: &str) -> Key {
        Key::PasswordChange(short(username))
    }

    /// The stored form. Addresses never hold a space (see `auth::address`), so the first space
    /// of `pair:` ends the address.
    pub fn stored(&self) -> String {
        match self {
            Key::AccountAt { username, address } => format!("pair:{address} {username}"),
            Key::Address(address) => format!("addr:{address}"),
            Key::Account(username) => format!("user:{username}"),
            Key::PasswordChange(username) => format!("pass:{username}"),
        }
    }

    pub fn parse(stored: &str) -> Option<Key> {
        let (kind, rest) = stored.split_once(':')?;
        match kind {
            "pair" => {
                let (address, username) = rest.split_once(' ')?;
                Some(Key::account_at(username, address))
            }
            "addr" => Some(Key::Address(rest.to_string())),
            "user" => Some(Key::Account(rest.to_string())),
            "pass" => Some(Key::PasswordChange(rest.to_string())),
            _ => None,
        }
    }

    pub fn limit(&self) -> i32 {
        match self {
            Key::AccountAt { .. } | Key::PasswordChange(_) => LOGIN_MAX_FAILURES,
            Key::Address(_) => LOGIN_MAX_FAILURES_ADDRESS,
            Key::Account(_) => LOGIN_MAX_FAILURES_ACCOUNT,
        }
    }
}

/// The keys one sign-in attempt counts against, narrowest first.
pub fn login_keys(username: &str, address: &str) -> [Key; 3] {
    [
        Key::account_at(username, address),
        Key::address(address),
        Key::account(username),
    ]
}

/// Whether an attempt may go on to the password check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Check,
    /// Refused without a check, until then (UTC).
    Locked(NaiveDateTime),
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Integer)]
    failures: i32,
    #[diesel(sql_type = Nullable<Timestamp>)]
    locked_until: Option<NaiveDateTime>,
}

/// One statement: start the count at 1 (a new key, or one whose window or lock has passed),
/// else add one; lock when the count reaches the limit. Every `SET` expression reads the row
/// as it was before this statement. `$2` now, `$3` the window's start, `$4` the lock's end,
/// `$5` the limit.
const COUNT_PG: &str = "INSERT INTO login_failures (throttle_key, failures, first_failure_at, locked_until) \
     VALUES ($1, 1, $2, NULL) \
     ON CONFLICT (throttle_key) DO UPDATE SET \
       failures = CASE WHEN (login_failures.locked_until IS NULL AND login_failures.first_failure_at <= $3) \
                          OR login_failures.locked_until <= $2 THEN 1 \
                       ELSE login_failures.failures + 1 END, \
       first_failure_at = CASE WHEN (login_failures.locked_until IS NULL AND login_failures.first_failure_at <= $3) \
                                  OR login_failures.locked_until <= $2 THEN $2 \
                               ELSE login_failures.first_failure_at END, \
       locked_until = CASE WHEN (login_failures.locked_until IS NULL AND login_failures.first_failure_at <= $3) \
                              OR login_failures.locked_until <= $2 THEN NULL \
                           WHEN login_failures.locked_until IS NULL AND login_failures.failures + 1 >= $5 THEN $4 \
                           ELSE login_failures.locked_until END \
     RETURNING failures, locked_until";

/// The same statement with SQLite's numbered parameters (`?NNN`).
fn count_sql_sqlite() -> String {
    COUNT_PG.replace('$', "?")
}

/// Counts one attempt against `key` and says whether it may be checked. Call inside a write
/// transaction (`db::write_transaction`).
pub fn count(conn: &mut DbConnection, key: &Key, now: NaiveDateTime) -> QueryResult<Verdict> {
    let window_start = now - Duration::minutes(LOGIN_LOCK_MINUTES);
    let lock_end = now + Duration::minutes(LOGIN_LOCK_MINUTES);
    let stored = key.stored();
    let limit = key.limit();
    macro_rules! run {
        ($sql:expr, $conn:expr) => {
            diesel::sql_query($sql)
                .bind::<Text, _>(&stored)
                .bind::<Timestamp, _>(now)
                .bind::<Timestamp, _>(window_start)
                .bind::<Timestamp, _>(lock_end)
                .bind::<Integer, _>(limit)
                .get_result::<Counted>($conn)?
        };
    }
    let counted = match conn {
        DbConnection::Sqlite(c) => run!(count_sql_sqlite(), c),
        DbConnection::Pg(c) => run!(COUNT_PG, c),
    };
    Ok(match counted.locked_until {
        Some(until) if counted.failures > limit => Verdict::Locked(until),
        // Over the limit without a lock cannot be written by `count`; refuse all the same.
        None if counted.failures > limit => Verdict::Locked(lock_end),
        _ => Verdict::Check,
    })
}

/// Counts one attempt against each key in order, stopping at the first that refuses it (so an
/// attempt refused for its account-and-address does not count against the account everywhere).
pub fn count_all(
    conn: &mut DbConnection,
    keys: &[Key],
    now: NaiveDateTime,
) -> QueryResult<Verdict> {
    for key in keys {
        if let Verdict::Locked(until) = count(conn, key, now)? {
            return Ok(Verdict::Locked(until));
        }
    }
    Ok(Verdict::Check)
}

/// Takes back one counted attempt that turned out right (a lock its count no longer reaches
/// goes too).
pub fn uncount(conn: &mut DbConnection, key: &Key) -> QueryResult<()> {
    let stored = key.stored();
    let row = login_failures::table
        .find(&stored)
        .select(login_failures::failures)
        .first::<i32>(conn)
        .optional()?;
    let Some(failures) = row else {
        return Ok(());
    };
    // Inside the write transaction the count cannot move between this read and the update.
    let target = diesel::update(login_failures::table.find(&stored));
    if failures - 1 < key.limit() {
        target
            .set((
                login_failures::failures.eq((failures - 1).max(0)),
                login_failures::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
    } else {
        target
            .set(login_failures::failures.eq(failures - 1))
            .execute(conn)?;
    }
    Ok(())
}

pub fn clear(conn: &mut DbConnection, key: &Key) -> QueryResult<()> {
    clear_stored(conn, &key.stored()).map(|_| ())
}

pub fn clear_stored(conn: &mut DbConnection, stored: &str) -> QueryResult<usize> {
    diesel::delete(login_failures::table.find(stored)).execute(conn)
}

/// A lock in force, for the admin page.
#[derive(Clone, Debug)]
pub struct Lock {
    pub stored: String,
    pub key: Option<Key>,
    pub failures: i32,
    pub locked_until: NaiveDateTime,
}

/// Locks in force now, the latest ending first.
pub fn current_locks(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Lock>> {
    let rows = login_failures::table
        .filter(login_failures::locked_until.gt(now))
        .order((
            login_failures::locked_until.desc(),
            login_failures::throttle_key,
        ))
        .limit(limit)
        .select((
            login_failures::throttle_key,
            login_failures::failures,
            login_failures::locked_until,
        ))
        .load::<(String, i32, Option<NaiveDateTime>)>(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(stored, failures, until)| {
            Some(Lock {
                key: Key::parse(&stored),
                stored,
                failures,
                locked_until: until?,
            })
        })
        .collect())
}

/// "HH:MM WIB": when a lock ends, as people in the field read the clock.
pub fn wib_clock(at: &NaiveDateTime) -> String {
    (*at + Duration::hours(7)).format("%H:%M WIB").to_string()
}

/// The message of a refused attempt.
pub fn locked_message(until: &NaiveDateTime) -> String {
    format!(
        "Terlalu banyak percobaan; coba lagi pukul {}.",
        wib_clock(until)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_survive_storage() {
        for key in [
            Key::account_at("siti", "203.0.113.7"),
            Key::account_at("siti", "2001:db8::1"),
            Key::address("203.0.113.7"),
            Key::account("siti"),
            Key::password_change("siti"),
        ] {
            assert_eq!(Key::parse(&key.stored()), Some(key.clone()), "{key:?}");
        }
        assert_eq!(Key::parse("lain:x"), None);
    }

    #[test]
    fn long_usernames_are_cut_in_keys() {
        let key = Key::account(&"a".repeat(500));
        assert_eq!(key.stored().len(), "user:".len() + MAX_USERNAME);
    }

    #[test]
    fn the_narrow_keys_lock_first() {
        let [pair, address, account] = login_keys("siti", "203.0.113.7");
        assert!(pair.limit() < account.limit());
        assert!(account.limit() < address.limit());
    }

    #[test]
    fn sqlite_gets_numbered_parameters() {
        let sql = count_sql_sqlite();
        assert!(!sql.contains('$'));
        assert!(sql.contains("?5"));
    }

    #[test]
    fn lock_times_are_shown_in_wib() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(20, 5, 0)
            .unwrap();
        assert_eq!(wib_clock(&at), "03:05 WIB");
        assert_eq!(
            locked_message(&at),
            "Terlalu banyak percobaan; coba lagi pukul 03:05 WIB."
        );
    }
}
