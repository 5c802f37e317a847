//! Many rows written on SQLite through one prepared single-row statement, stepped once per row.
//!
//! Why not diesel, as every other write here: a roster import writes millions of rows, and
//! through diesel's multi-row INSERTs its writing thread spent about a quarter of its time in
//! diesel collecting and binding values, plus SQLite's statement journal, which every
//! multi-row statement needs because it may fail part-way. A single-row statement prepared
//! once and stepped per row (what the sqlite3 shell's `.import` does) needs neither.
//!
//! Diesel does not lend its connection's SQLite handle. Every SQLite connection is therefore
//! given, as it opens, a function that returns it (SQLite's auto-extension, registered by
//! `db::configure_sqlite` before the first connection); `rows` asks for it and uses it only
//! while it holds the diesel connection exclusively.

use std::ffi::{CStr, c_char, c_int};
use std::ptr::{self, NonNull};

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use diesel::sqlite::SqliteConnection;
use libsqlite3_sys as ffi;

use super::bulk::date_text;

/// The SQL function that returns the connection's own handle, as an integer.
const HANDLE_FUNCTION: &CStr = c"pesiar_connection_handle";

/// One value of a row, bound to the statement's next parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Integer(i64),
    Text(&'a str),
    /// Bound as `YYYY-MM-DD`, the text diesel writes for a date on SQLite.
    Date(NaiveDate),
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

/// A prepared statement, finalized when dropped.
struct Statement {
    db: NonNull<ffi::sqlite3>,
    stmt: NonNull<ffi::sqlite3_stmt>,
}

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: the statement was prepared on this connection and is finalized once.
        unsafe { ffi::sqlite3_finalize(self.stmt.as_ptr()) };
    }
}

/// The error diesel would give for SQLite's last error on this connection, so callers (and
/// `AppError`) recognise unique violations, a full disk or a read-only file alike.
fn last_error(db: NonNull<ffi::sqlite3>) -> Error {
    // SAFETY: the connection is open; errmsg returns a string SQLite owns until the next call,
    // copied out at once.
    let (code, message) = unsafe {
        (
            ffi::sqlite3_extended_errcode(db.as_ptr()),
            CStr::from_ptr(ffi::sqlite3_errmsg(db.as_ptr()))
                .to_string_lossy()
                .into_owned(),
        )
    };
    let kind = match code {
        ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
            DatabaseErrorKind::UniqueViolation
        }
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => DatabaseErrorKind::ForeignKeyViolation,
        ffi::SQLITE_CONSTRAINT_NOTNULL => DatabaseErrorKind::NotNullViolation,
        ffi::SQLITE_CONSTRAINT_CHECK => DatabaseErrorKind::CheckViolation,
        _ => DatabaseErrorKind::Unknown,
    };
    Error::DatabaseError(kind, Box::new(message))
}

impl Statement {
    fn prepare(db: NonNull<ffi::sqlite3>, sql: &str) -> QueryResult<Self> {
        let mut stmt = ptr::null_mut();
        let len = c_int::try_from(sql.len())
            .map_err(|_| Error::QueryBuilderError("SQL too long".into()))?;
        // SAFETY: `sql` is valid for `len` bytes; SQLite writes the statement to `stmt`.
        let code = unsafe {
            ffi::sqlite3_prepare_v3(
                db.as_ptr(),
                sql.as_ptr().cast(),
                len,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut stmt,
                ptr::null_mut(),
            )
        };
        if code != ffi::SQLITE_OK {
            return Err(last_error(db));
        }
        let stmt = NonNull::new(stmt)
            .ok_or_else(|| Error::QueryBuilderError("empty SQL statement".into()))?;
        Ok(Self { db, stmt })
    }

    fn parameters(&self) -> usize {
        // SAFETY: a prepared statement of this connection.
        let n = unsafe { ffi::sqlite3_bind_parameter_count(self.stmt.as_ptr()) };
        usize::try_from(n).unwrap_or(0)
    }

    /// Binds the row's values and runs the statement once. Text is bound without a copy: it
    /// lives in `row` until the statement is reset, which happens before this returns.
    fn run(&mut self, row: &[Value<'_>]) -> QueryResult<()> {
        let stmt = self.stmt.as_ptr();
        for (i, value) in row.iter().enumerate() {
            let index = c_int::try_from(i + 1).unwrap_or(c_int::MAX);
            // SAFETY: `index` is within the statement's parameters (checked by `rows`); text
            // pointers stay valid until `sqlite3_reset` below (SQLITE_STATIC), and a date's
            // few bytes are copied by SQLite (SQLITE_TRANSIENT).
            let code = unsafe {
                match value {
                    Value::Null => ffi::sqlite3_bind_null(stmt, index),
                    Value::Integer(n) => ffi::sqlite3_bind_int64(stmt, index, *n),
                    Value::Text(text) => {
                        bind_text(stmt, index, text.as_bytes(), ffi::SQLITE_STATIC())
                    }
                    Value::Date(date) => {
                        bind_text(stmt, index, &date_text(*date), ffi::SQLITE_TRANSIENT())
                    }
                }
            };
            if code != ffi::SQLITE_OK {
                return Err(last_error(self.db));
            }
        }
        // SAFETY: every parameter is bound; reset clears the run (not the bindings) so the next
        // row can bind afresh, and it returns the step's error again, which is already read.
        unsafe {
            let code = ffi::sqlite3_step(stmt);
            let outcome = if code == ffi::SQLITE_DONE || code == ffi::SQLITE_ROW {
                Ok(())
            } else {
                Err(last_error(self.db))
            };
            ffi::sqlite3_reset(stmt);
            outcome
        }
    }
}

/// # Safety
/// `stmt` is a live statement and `text` (UTF-8) stays valid as long as `destructor` requires.
unsafe fn bind_text(
    stmt: *mut ffi::sqlite3_stmt,
    index: c_int,
    text: &[u8],
    destructor: ffi::sqlite3_destructor_type,
) -> c_int {
    // A string longer than c_int's range cannot come from a roster cell; it is cut rather
    // than wrapped round.
    let len = c_int::try_from(text.len()).unwrap_or(c_int::MAX);
    unsafe { ffi::sqlite3_bind_text(stmt, index, text.as_ptr().cast(), len, destructor) }
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
    let db = NonNull::new(handle as usize as *mut ffi::sqlite3)
        .ok_or_else(|| Error::QueryBuilderError("no SQLite handle".into()))?;
    // From here `conn` is held exclusively until the statement is finalized, so nothing else
    // uses the handle meanwhile.
    let mut statement = Statement::prepare(db, sql)?;
    if statement.parameters() != N {
        return Err(Error::QueryBuilderError(
            format!(
                "{sql} has {} parameters, rows have {N}",
                statement.parameters()
            )
            .into(),
        ));
    }
    let mut count = 0;
    for row in rows {
        statement.run(&row)?;
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
                [1.into(), Some(1).into(), "Budi".into(), Value::Date(born)],
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
