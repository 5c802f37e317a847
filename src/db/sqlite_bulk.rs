//! Many rows written on SQLite through one prepared single-row statement, stepped once per row.
//!
//! Why not diesel, as every other write here: a roster import writes millions of rows, and
//! through diesel's multi-row INSERTs its writing thread spent about a quarter of its time in
//! diesel collecting and binding values, plus SQLite's statement journal, which every
//! multi-row statement needs because it may fail part-way. A single-row statement prepared
//! once and stepped per row (what the sqlite3 shell's `.import` does) needs neither.
//!
//! The statement is rusqlite's, on the same SQLite library diesel links (one
//! `libsqlite3-sys`). Diesel does not lend its connection's handle, so every SQLite connection
//! is given, as it opens, a function that returns it (SQLite's auto-extension, registered by
//! `db::configure_sqlite` before the first connection); `rows` asks for it, and lends it to a
//! rusqlite connection that does not own it, only while it holds the diesel connection
//! exclusively. Those two hand-overs are the only unsafe code here.

use std::ffi::{CStr, c_char, c_int};
use std::ptr;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use diesel::sqlite::SqliteConnection;
use libsqlite3_sys as ffi;
use rusqlite::types::{ToSqlOutput, ValueRef};

use super::bulk::date_text;

/// The SQL function that returns the connection's own handle, as an integer.
const HANDLE_FUNCTION: &CStr = c"pesiar_connection_handle";

/// One value of a row, bound to the statement's next parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Integer(i64),
    Text(&'a str),
    /// A date as `YYYY-MM-DD`, the text diesel writes for a date on SQLite; made by
    /// `Value::date`, written out once so binding borrows it (no allocation per row).
    Date([u8; 10]),
}

impl Value<'_> {
    pub fn date(date: NaiveDate) -> Self {
        Value::Date(date_text(date))
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(text: &'a str) -> Self {
        Value::Text(text)
    }
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(text: Option<&'a str>) -> Self {
        text.map_or(Value::Null, Value::Text)
    }
}

impl From<i32> for Value<'_> {
    fn from(n: i32) -> Self {
        Value::Integer(n.into())
    }
}

impl From<Option<i32>> for Value<'_> {
    fn from(n: Option<i32>) -> Self {
        n.map_or(Value::Null, Value::from)
    }
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Integer(n) => ToSqlOutput::Borrowed(ValueRef::Integer(*n)),
            Value::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Value::Date(text) => ToSqlOutput::Borrowed(ValueRef::Text(text)),
        })
    }
}

/// Called by SQLite for every connection it opens after `register`.
unsafe extern "C" fn add_handle_function(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection being opened; the name is a static C string. The
    // function is direct-only, so no view, trigger or schema can call it.
    unsafe {
        ffi::sqlite3_create_function_v2(
            db,
            HANDLE_FUNCTION.as_ptr(),
            0,
            ffi::SQLITE_UTF8 | ffi::SQLITE_DIRECTONLY,
            ptr::null_mut(),
            Some(return_handle),
            None,
            None,
            None,
        )
    }
}

unsafe extern "C" fn return_handle(
    context: *mut ffi::sqlite3_context,
    _argc: c_int,
    _argv: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite passes a live context for the duration of the call.
    unsafe {
        let db = ffi::sqlite3_context_db_handle(context);
        ffi::sqlite3_result_int64(context, db as usize as i64);
    }
}

/// Makes every SQLite connection opened from now on able to give its handle. Must run after
/// `sqlite3_config` (it initialises SQLite) and before the first connection.
pub(crate) fn register() -> c_int {
    // SAFETY: registers a function with the signature SQLite calls auto-extensions with.
    unsafe { ffi::sqlite3_auto_extension(Some(add_handle_function)) }
}

#[derive(QueryableByName)]
struct Handle {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    handle: i64,
}

/// The error diesel would give for the same failure, so callers (and `AppError`) recognise
/// unique violations, a full disk or a read-only file alike. The constraint is read from the
/// connection's extended code: a borrowed handle reports only the primary one to rusqlite.
fn diesel_error(db: *mut ffi::sqlite3, e: rusqlite::Error) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(failure, message) => {
            // SAFETY: `db` is the open connection the failing call just ran on.
            let extended = unsafe { ffi::sqlite3_extended_errcode(db) };
            let kind = match extended {
                ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                    DatabaseErrorKind::UniqueViolation
                }
                ffi::SQLITE_CONSTRAINT_FOREIGNKEY => DatabaseErrorKind::ForeignKeyViolation,
                ffi::SQLITE_CONSTRAINT_NOTNULL => DatabaseErrorKind::NotNullViolation,
                ffi::SQLITE_CONSTRAINT_CHECK => DatabaseErrorKind::CheckViolation,
                _ => DatabaseErrorKind::Unknown,
            };
            Error::DatabaseError(
                kind,
                Box::new(message.unwrap_or_else(|| failure.to_string())),
            )
        }
        other => Error::QueryBuilderError(other.into()),
    }
}

/// Runs `sql` (one statement with `N` parameters) once for each row, in the connection's
/// current transaction. Returns how many rows were run; stops at the first error, which the
/// caller's transaction rolls back.
pub fn rows<'a, const N: usize>(
    conn: &mut SqliteConnection,
    sql: &str,
    rows: impl IntoIterator<Item = [Value<'a>; N]>,
) -> QueryResult<usize> {
    let handle = diesel::sql_query(format!(
        "SELECT {}() AS handle",
        HANDLE_FUNCTION.to_string_lossy()
    ))
    .get_result::<Handle>(conn)?
    .handle;
    let db = handle as usize as *mut ffi::sqlite3;
    if db.is_null() {
        return Err(Error::QueryBuilderError("no SQLite handle".into()));
    }
    // SAFETY: `db` is the open connection behind `conn`, which this function holds exclusively
    // until the borrowed connection (which never closes the handle) is dropped at its end, so
    // nothing else uses the handle meanwhile.
    let error = |e| diesel_error(db, e);
    let borrowed = unsafe { rusqlite::Connection::from_handle(db) }.map_err(error)?;
    let mut statement = borrowed
        .prepare_with_flags(sql, rusqlite::PrepFlags::SQLITE_PREPARE_PERSISTENT)
        .map_err(error)?;
    if statement.parameter_count() != N {
        return Err(Error::QueryBuilderError(
            format!(
                "{sql} has {} parameters, rows have {N}",
                statement.parameter_count()
            )
            .into(),
        ));
    }
    let mut count = 0;
    for row in rows {
        statement
            .execute(rusqlite::params_from_iter(&row))
            .map_err(error)?;
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::connection::SimpleConnection;

    fn connection() -> SqliteConnection {
        crate::db::configure_sqlite();
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.batch_execute(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE parent (id INTEGER PRIMARY KEY);
             CREATE TABLE t (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent (id),
                             name TEXT UNIQUE, born DATE);
             INSERT INTO parent VALUES (1);",
        )
        .unwrap();
        conn
    }

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        id: i32,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
        parent: Option<i32>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        name: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        born: Option<String>,
    }

    const INSERT: &str = "INSERT INTO t (id, parent, name, born) VALUES (?, ?, ?, ?)";

    #[test]
    fn rows_are_written_as_diesel_would_read_them() {
        let mut conn = connection();
        let owned = "Siti".to_string();
        let born = NaiveDate::from_ymd_opt(1987, 3, 9).unwrap();
        let n = rows(
            &mut conn,
            INSERT,
            [
                [1.into(), Some(1).into(), "Budi".into(), Value::date(born)],
                [
                    2.into(),
                    None::<i32>.into(),
                    owned.as_str().into(),
                    Value::Null,
                ],
            ],
        )
        .unwrap();
        assert_eq!(n, 2);
        let stored: Vec<Row> =
            diesel::sql_query("SELECT id, parent, name, born FROM t ORDER BY id")
                .load(&mut conn)
                .unwrap();
        assert_eq!(
            stored,
            [
                Row {
                    id: 1,
                    parent: Some(1),
                    name: Some("Budi".into()),
                    born: Some("1987-03-09".into())
                },
                Row {
                    id: 2,
                    parent: None,
                    name: Some("Siti".into()),
                    born: None
                },
            ]
        );
        let via_diesel: NaiveDate = diesel::select(diesel::dsl::sql::<diesel::sql_types::Date>(
            "(SELECT born FROM t WHERE id = 1)",
        ))
        .get_result(&mut conn)
        .unwrap();
        assert_eq!(via_diesel, born);
    }

    #[test]
    fn constraint_errors_come_back_as_diesel_reports_them() {
        let mut conn = connection();
        let duplicate = rows(
            &mut conn,
            INSERT,
            [
                [1.into(), Value::Null, "A".into(), Value::Null],
                [2.into(), Value::Null, "A".into(), Value::Null],
            ],
        );
        assert!(matches!(
            duplicate,
            Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
        ));
        let orphan = rows(
            &mut conn,
            INSERT,
            [[3.into(), 99.into(), "B".into(), Value::Null]],
        );
        assert!(matches!(
            orphan,
            Err(Error::DatabaseError(
                DatabaseErrorKind::ForeignKeyViolation,
                _
            ))
        ));
        let wrong_width = rows(&mut conn, INSERT, [[Value::Integer(4)]]);
        assert!(matches!(wrong_width, Err(Error::QueryBuilderError(_))));
    }
}
