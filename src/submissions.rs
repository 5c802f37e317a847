//! One-time submission keys. Every form that creates something carries a random key; the first
//! POST with a key does the work and records where its result lives, and any repeat of that key
//! (a double tap, a retry on a bad network, two requests at once) gets the same result and
//! creates nothing more.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::schema::submissions;
use crate::db::{DbConnection, now, write_transaction};
use crate::error::AppError;
use crate::random::random_token;

/// A fresh key for a form about to be shown.
pub fn new_key() -> String {
    random_token(18)
}

pub enum Submitted<R> {
    /// The work was done now; its result is at this path.
    First(String),
    /// This key was used before; the first result is at this path.
    Repeat(String),
    /// The work refused the input (validation); nothing was stored and the key is still unused.
    Rejected(R),
}

enum Failure<R> {
    Rejected(R),
    App(AppError),
}

impl<R> From<DieselError> for Failure<R> {
    fn from(e: DieselError) -> Self {
        Failure::App(e.into())
    }
}

/// The result of an earlier submission with this key, if any. Handlers that check the input
/// against the database call this first, so a repeat is answered with the first result
/// instead of being judged again against what the first one created.
pub fn previous(
    conn: &mut DbConnection,
    key: &str,
    user_id: i32,
) -> Result<Option<String>, AppError> {
    let row: Option<(i32, String)> = submissions::table
        .find(key)
        .select((submissions::user_id, submissions::result_path))
        .first(conn)
        .optional()?;
    match row {
        Some((owner, path)) if owner == user_id => Ok(Some(path)),
        Some(_) => Err(AppError::BadRequest("kunci formulir tidak valid".into())),
        None => Ok(None),
    }
}

/// Runs `work` once per key. `work` returns the path of what it created, or a rejection.
/// The key is claimed first inside the transaction, so a concurrent duplicate waits for the
/// first to finish and then finds its result.
pub fn once<R>(
    conn: &mut DbConnection,
    key: &str,
    user_id: i32,
    work: impl FnOnce(&mut DbConnection) -> Result<Result<String, R>, AppError>,
) -> Result<Submitted<R>, AppError> {
    let key = key.trim();
    if key.len() < 16
        || key.len() > 64
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::BadRequest(
            "formulir tanpa kunci pengiriman; muat ulang halaman formulir".into(),
        ));
    }
    if let Some(path) = previous(conn, key, user_id)? {
        return Ok(Submitted::Repeat(path));
    }
    let outcome = write_transaction(conn, |conn| -> Result<String, Failure<R>> {
        diesel::insert_into(submissions::table)
            .values((
                submissions::submission_key.eq(key),
                submissions::user_id.eq(user_id),
                submissions::result_path.eq(""),
                submissions::created_at.eq(now()),
            ))
            .execute(conn)?;
        match work(conn) {
            Ok(Ok(path)) => {
                diesel::update(submissions::table.find(key))
                    .set(submissions::result_path.eq(&path))
                    .execute(conn)?;
                Ok(path)
            }
            Ok(Err(rejection)) => Err(Failure::Rejected(rejection)),
            Err(e) => Err(Failure::App(e)),
        }
    });
    match outcome {
        Ok(path) => Ok(Submitted::First(path)),
        Err(Failure::Rejected(r)) => Ok(Submitted::Rejected(r)),
        Err(Failure::App(err)) => {
            // Lost the race for the key: the other request's result is the answer.
            if let Some(path) = previous(conn, key, user_id)? {
                return Ok(Submitted::Repeat(path));
            }
            Err(err)
        }
    }
}

/// Whether a diesel error is a unique-constraint violation.
pub fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}
