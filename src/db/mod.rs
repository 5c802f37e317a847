//! Storage core: one connection type over SQLite and PostgreSQL, the pool, migrations and
//! transactions that are safe for concurrent writers on both backends.

pub mod bulk;
pub mod cache;
pub mod region_list;
pub mod schema;
pub mod sqlite_bulk;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseUrl;
use crate::error::AppError;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a request waits for a pooled connection before it gets the 503 page.
const POOL_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

/// The backend type of [`DbConnection`], for boxed queries and expressions.
pub type Backend = <DbConnection as Connection>::Backend;

/// Runs the same diesel expression on the concrete connection, for what the multi-backend
/// connection cannot express (batch inserts, upserts, `RETURNING`).
#[macro_export]
macro_rules! with_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Pg($c) => $body,
        }
    };
}

diesel::define_sql_function! {
    /// SQL `lower()`, the same on both backends (ASCII-only on SQLite).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The current time in UTC, as stored; people see it in WIB.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// Picks the backend from the URL once, so a bad URL reports the real error.
pub struct ConnectionManager {
    url: DatabaseUrl,
    /// SQLite connections leave WAL checkpoints to the [`Checkpointer`].
    manual_checkpoints: bool,
    /// When a connection last failed to open (milliseconds since the Unix epoch; 0: never).
    last_failure: Arc<AtomicU64>,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self {
            url,
            manual_checkpoints: false,
            last_failure: Arc::default(),
        }
    }
}

fn epoch_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// After a failed connection attempt, requests that find no idle connection get the 503 page at
/// once for this long instead of each waiting out [`POOL_TIMEOUT`]; the pool keeps trying in
/// the background and the first request after this window tries again itself.
const FAIL_FAST_FOR_MS: u64 = 2_000;

/// Runs SQLite's WAL checkpoints on a thread of its own. Otherwise the commit that crosses the
/// WAL's threshold copies ~1,000 pages into the database file and syncs it before answering: a
/// visit submission then took 770 ms at p99 against 1 ms at p50 (bench/load.sh). A passive
/// checkpoint takes no lock writers wait for.
struct Checkpointer {
    stop: Arc<AtomicBool>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// How often the checkpointer folds the WAL back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

impl Checkpointer {
    fn start(url: &DatabaseUrl) -> anyhow::Result<Self> {
        let mut conn = establish(url)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                let mut warned = false;
                while !stopped.load(Ordering::Relaxed) {
                    std::thread::sleep(CHECKPOINT_EVERY);
                    match conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                        Ok(()) => warned = false,
                        Err(e) if !warned => {
                            tracing::warn!(error = %e, "WAL checkpoint failed");
                            warned = true;
                        }
                        Err(_) => {}
                    }
                }
            })?;
        Ok(Self { stop })
    }
}

/// SQLite's process-wide settings, made once before its first connection. Every connection
/// here is used by one thread at a time (the pool lends a connection to one request at a time,
/// and diesel's connection is not `Sync`), so SQLite's multi-thread mode is safe; it spares a
/// mutex on every call, such as each of the ~60 million values a roster import binds. SQLite's
/// memory statistics, which pesiar never reads, would take another lock on every allocation.
/// Every connection is also given the function through which `sqlite_bulk` finds its handle.
pub(crate) fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use libsqlite3_sys::{
            SQLITE_CONFIG_MEMSTATUS, SQLITE_CONFIG_MULTITHREAD, SQLITE_OK, sqlite3_config,
        };
        // SAFETY: sqlite3_config may only run before SQLite initialises, which its first
        // connection does; every connection here is made after this (other threads wait on
        // the Once). Called later, it changes nothing and returns SQLITE_MISUSE.
        let results = unsafe {
            [
                sqlite3_config(SQLITE_CONFIG_MULTITHREAD),
                sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int),
            ]
        };
        if results.iter().any(|r| *r != SQLITE_OK) {
            tracing::warn!(
                ?results,
                "SQLite was already initialised; default threading mode kept"
            );
        }
        // After sqlite3_config (this initialises SQLite), before the first connection.
        let registered = sqlite_bulk::register();
        if registered != SQLITE_OK {
            tracing::error!(code = registered, "SQLite auto-extension not registered");
        }
    });
}

pub fn establish(url: &DatabaseUrl) -> ConnectionResult<DbConnection> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            configure_sqlite();
            let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
            // Per connection: wait for writers instead of failing, enforce foreign keys.
            conn.batch_execute(
                "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )
            .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
            Ok(DbConnection::Sqlite(conn))
        }
        DatabaseUrl::Postgres(url) => {
            let mut conn = connect_postgres(url)?;
            conn.batch_execute("SET TIME ZONE 'UTC'")
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
            Ok(DbConnection::Pg(conn))
        }
    }
}

/// Opens a libpq connection safely for a multi-threaded process.
///
/// A process that exits while a pool thread is inside libpq can crash in the exit handlers of
/// the libraries libpq uses (measured here: 14% of exits crashed with a thread connecting at
/// that moment). Two causes, two cures: OpenSSL's `atexit` cleanup, which we skip by
/// initialising OpenSSL first with `OPENSSL_INIT_NO_ATEXIT`; and the Kerberos library behind
/// libpq's default GSSAPI-encryption probe, which pesiar never uses, so it is turned off unless
/// the URL asks for it. TLS (`sslmode`) is left to the URL.
///
/// libpq also waits for an unreachable server as long as TCP does (minutes), and a request
/// would hang that long before its 503 page: connecting gives up after a few seconds, and a
/// connection whose server stopped acknowledging is dropped, unless the URL says otherwise.
pub fn connect_postgres(url: &str) -> ConnectionResult<PgConnection> {
    openssl_sys::init();
    PgConnection::establish(&with_safe_defaults(url))
}

const SAFE_DEFAULTS: &[(&str, &str)] = &[
    ("gssencmode", "disable"),
    ("connect_timeout", "4"),
    ("tcp_user_timeout", "10000"),
    ("keepalives_idle", "30"),
];

fn with_safe_defaults(url: &str) -> String {
    let mut url = url.to_string();
    for (name, value) in SAFE_DEFAULTS {
        if !url.contains(&format!("{name}=")) {
            let joiner = if url.contains('?') { '&' } else { '?' };
            url = format!("{url}{joiner}{name}={value}");
        }
    }
    url
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        let mut conn = establish(&self.url).map_err(|e| {
            self.last_failure.store(epoch_millis(), Ordering::Relaxed);
            r2d2::Error::ConnectionError(e)
        })?;
        if self.manual_checkpoints {
            conn.batch_execute("PRAGMA wal_autocheckpoint = 0")
                .map_err(r2d2::Error::QueryError)?;
        }
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        use diesel::r2d2::R2D2Connection;
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        conn.is_broken()
    }
}

pub type DbPool = Pool<ConnectionManager>;
pub type DbPooled = PooledConnection<ConnectionManager>;

/// The application's handle on the database: a pool, and a way to run blocking diesel work
/// off the async workers.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    last_failure: Arc<AtomicU64>,
    /// Stops the checkpoint thread when the last handle goes.
    _checkpointer: Option<Arc<Checkpointer>>,
    /// SQLite's change counter, read without the pool (PostgreSQL asks the server).
    watcher: Option<Arc<cache::ChangeWatcher>>,
}

impl Db {
    pub fn connect(url: &DatabaseUrl) -> anyhow::Result<Self> {
        let max_size = if url.is_sqlite() { 8 } else { 16 };
        let last_failure = Arc::<AtomicU64>::default();
        let checkpointer = if url.is_sqlite() {
            Some(Arc::new(Checkpointer::start(url)?))
        } else {
            None
        };
        let pool = Pool::builder()
            .max_size(max_size)
            .min_idle(Some(1))
            .connection_timeout(POOL_TIMEOUT)
            // A PostgreSQL connection can die with the server; checking it on checkout lets
            // the pool recover by itself. A SQLite file has no connection to lose.
            .test_on_check_out(!url.is_sqlite())
            .build(ConnectionManager {
                url: url.clone(),
                manual_checkpoints: checkpointer.is_some(),
                last_failure: last_failure.clone(),
            })?;
        Ok(Self {
            pool,
            last_failure,
            _checkpointer: checkpointer,
            watcher: watcher_for(url),
        })
    }

    /// A pool that does not connect until first use: requests get the 503 page while the
    /// database is down, and the pool recovers by itself when it is back.
    pub fn connect_lazy(url: &DatabaseUrl) -> Self {
        let last_failure = Arc::<AtomicU64>::default();
        let pool = Pool::builder()
            .max_size(if url.is_sqlite() { 8 } else { 16 })
            .min_idle(Some(0))
            .connection_timeout(POOL_TIMEOUT)
            .build_unchecked(ConnectionManager {
                last_failure: last_failure.clone(),
                ..ConnectionManager::new(url.clone())
            });
        Self {
            pool,
            last_failure,
            _checkpointer: None,
            watcher: watcher_for(url),
        }
    }

    /// A number that moves with every commit to the database, from any connection or
    /// process; `None` when it cannot be read, and then nothing computed is reused.
    /// Read it *before* the queries whose results are kept under it.
    pub async fn data_version(&self) -> Option<cache::DataVersion> {
        if let Some(watcher) = &self.watcher {
            return watcher.version();
        }
        self.run(|conn| {
            Ok(match conn {
                DbConnection::Pg(c) => cache::postgres_version(c).ok(),
                DbConnection::Sqlite(_) => None,
            })
        })
        .await
        .ok()
        .flatten()
    }

    pub fn get(&self) -> Result<DbPooled, AppError> {
        let failed_at = self.last_failure.load(Ordering::Relaxed);
        if failed_at != 0 && epoch_millis().saturating_sub(failed_at) < FAIL_FAST_FOR_MS {
            // The database was unreachable a moment ago: take an idle connection if there is
            // one, and otherwise answer now rather than queue for seconds.
            return self.pool.try_get().ok_or(AppError::Unavailable);
        }
        self.pool.get().map_err(|e| {
            tracing::warn!(error = %e, "no database connection");
            AppError::Unavailable
        })
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || {
            let mut conn = db.get()?;
            f(&mut conn)
        })
        .await
        .map_err(AppError::internal)?
    }
}

fn watcher_for(url: &DatabaseUrl) -> Option<Arc<cache::ChangeWatcher>> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            Some(Arc::new(cache::ChangeWatcher::new(&path.to_string_lossy())))
        }
        DatabaseUrl::Postgres(_) => None,
    }
}

/// A transaction for work that reads then writes. On SQLite it starts with `BEGIN IMMEDIATE`
/// so concurrent writers queue on `busy_timeout` instead of failing with "database is locked".
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    type Tm = <DbConnection as Connection>::TransactionManager;
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
        }
        DbConnection::Pg(_) => Tm::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => {
            Tm::commit_transaction(conn)?;
            Ok(value)
        }
        Err(err) => {
            if let Err(rollback) = Tm::rollback_transaction(conn) {
                tracing::error!(error = %rollback, "rollback failed");
            }
            Err(err)
        }
    }
}

/// Applies pending migrations, then loads the region list if it is not there yet.
/// SQLite migrations run with foreign keys off (a table rebuild would cascade-delete), and the
/// result is checked afterwards.
pub fn migrate(url: &DatabaseUrl) -> anyhow::Result<()> {
    let mut conn = establish(url)?;
    match &mut conn {
        DbConnection::Sqlite(c) => {
            c.batch_execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = OFF;")?;
            c.run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("migrasi SQLite gagal: {e}"))?;
            let broken: Vec<ForeignKeyProblem> =
                diesel::sql_query("PRAGMA foreign_key_check").load(c)?;
            if !broken.is_empty() {
                anyhow::bail!(
                    "migrasi meninggalkan {} baris dengan foreign key rusak",
                    broken.len()
                );
            }
            c.batch_execute("PRAGMA foreign_keys = ON;")?;
        }
        DbConnection::Pg(c) => {
            c.run_pending_migrations(POSTGRES_MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("migrasi PostgreSQL gagal: {e}"))?;
        }
    }
    let loaded = region_list::load_if_empty(&mut conn)?;
    if loaded > 0 {
        tracing::info!(rows = loaded, "loaded the Kemendagri region list");
    }
    Ok(())
}

/// Reverts every migration (used by `pesiar demo` to start a demo database afresh).
pub fn revert_all(url: &DatabaseUrl) -> anyhow::Result<()> {
    let mut conn = establish(url)?;
    match &mut conn {
        DbConnection::Sqlite(c) => {
            c.batch_execute("PRAGMA foreign_keys = OFF;")?;
            c.revert_all_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        DbConnection::Pg(c) => {
            c.revert_all_migrations(POSTGRES_MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    Ok(())
}

#[derive(QueryableByName)]
struct ForeignKeyProblem {
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[allow(dead_code)]
    table: String,
}

/// Writes a consistent copy of a live SQLite database to `file` with `VACUUM INTO`: one read
/// transaction, so the copy holds exactly what was committed when it began, while writers go on
/// (WAL). The copy is written beside its destination and renamed into place, so a backup that
/// fails half-way never leaves a half-written file under the chosen name. PostgreSQL has
/// `pg_dump` for this.
pub fn backup(url: &DatabaseUrl, file: &std::path::Path) -> anyhow::Result<()> {
    let DatabaseUrl::Sqlite(_) = url else {
        anyhow::bail!(
            "pesiar backup menyalin basis data SQLite; untuk PostgreSQL gunakan pg_dump (lihat README)"
        );
    };
    if file.exists() {
        anyhow::bail!("{} sudah ada; pilih nama berkas lain", file.display());
    }
    let partial = file.with_extension("sebagian");
    let _ = std::fs::remove_file(&partial);
    let target = partial
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("nama berkas harus UTF-8"))?
        .replace('\'', "''");
    let mut conn = establish(url)?;
    conn.batch_execute(&format!("VACUUM INTO '{target}'"))
        .map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            anyhow::anyhow!("cadangan gagal: {e}")
        })?;
    std::fs::rename(&partial, file)?;
    Ok(())
}

/// `true` when the database answers a trivial query.
pub fn ping(conn: &mut DbConnection) -> bool {
    conn.batch_execute("SELECT 1").is_ok()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn migration_names(dir: &str) -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    /// Both backends must have the same migrations, so one schema.rs describes both.
    #[test]
    fn sqlite_and_postgres_migrations_have_the_same_names() {
        let root = env!("CARGO_MANIFEST_DIR");
        let sqlite = migration_names(&format!("{root}/migrations/sqlite"));
        let pg = migration_names(&format!("{root}/migrations/postgres"));
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, pg);
    }

    #[test]
    fn safe_connection_defaults_unless_the_url_sets_them() {
        use super::with_safe_defaults as w;
        let defaults =
            "gssencmode=disable&connect_timeout=4&tcp_user_timeout=10000&keepalives_idle=30";
        assert_eq!(
            w("postgres://u@h/db"),
            format!("postgres://u@h/db?{defaults}")
        );
        assert_eq!(
            w("postgres://u@h/db?sslmode=require"),
            format!("postgres://u@h/db?sslmode=require&{defaults}")
        );
        let own = w("postgres://u@h/db?gssencmode=require&connect_timeout=30");
        assert!(own.starts_with(
            "postgres://u@h/db?gssencmode=require&connect_timeout=30&tcp_user_timeout=10000"
        ));
        assert_eq!(own.matches("connect_timeout=").count(), 1, "{own}");
        assert_eq!(own.matches("gssencmode=").count(), 1, "{own}");
    }
}
