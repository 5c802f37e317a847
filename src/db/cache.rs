//! Reusing what was computed from the database until anything is committed to it.
//!
//! `Db::data_version` is a number that moves with every commit, from any connection or
//! process (see [`ChangeWatcher`]). A [`Cache`] keeps values under the version they were read
//! at and gives them back only while the version is the same, so nothing it returns is older
//! than the database: a page shows a confirmation the moment it is committed, whether the
//! commit came from this server, another one, or `pesiar import` in a shell.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use tokio::sync::OnceCell;

/// The database's change counter at one moment. Versions only grow: a larger one is newer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DataVersion(pub u64);

/// Values computed from the database at some version, at most `capacity` of them.
///
/// After a commit, every request in flight finds its page out of date at once. Only the first
/// one per key loads it; the others wait for that load (a `OnceCell` per key) instead of
/// running the same queries side by side.
pub struct Cache<K, V> {
    inner: Mutex<Entries<K, V>>,
    capacity: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

type Slot<V> = Arc<OnceCell<Arc<V>>>;

struct Entries<K, V> {
    version: DataVersion,
    values: HashMap<K, Slot<V>>,
}

impl<K: Eq + Hash, V> Cache<K, V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Entries {
                version: DataVersion(0),
                values: HashMap::new(),
            }),
            capacity,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The value kept for `key` at this version, or `load`'s (kept when the version is
    /// known and still the newest seen). `version` must have been read before `load` runs
    /// its queries.
    pub async fn get_or_load<E>(
        &self,
        version: Option<DataVersion>,
        key: K,
        load: impl Future<Output = Result<V, E>>,
    ) -> Result<Arc<V>, E> {
        let Some(slot) = version.and_then(|version| self.slot(version, key)) else {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return load.await.map(Arc::new);
        };
        if let Some(kept) = slot.get() {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(kept.clone());
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        // A load that fails (or whose request goes away) leaves the slot empty for the next.
        slot.get_or_try_init(|| async { load.await.map(Arc::new) })
            .await
            .cloned()
    }

    /// The slot for `key` at `version`; `None` when a newer version has been seen already
    /// (this request's data may be older than what is kept).
    fn slot(&self, version: DataVersion, key: K) -> Option<Slot<V>> {
        let mut entries = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if version < entries.version {
            return None;
        }
        if version > entries.version {
            entries.version = version;
            entries.values.clear();
        }
        if entries.values.len() >= self.capacity && !entries.values.contains_key(&key) {
            // Full at one version: start over rather than track recency; filling it again
            // costs one load per key.
            entries.values.clear();
        }
        Some(entries.values.entry(key).or_default().clone())
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}

/// Reads the change counter of a SQLite database through a connection of its own.
///
/// SQLite's `PRAGMA data_version` changes whenever *another* connection (in this process or
/// any other) has committed since the last time this connection asked; a connection that
/// never writes therefore sees every commit. Reading it costs a few microseconds and touches
/// only the shared WAL index, so it runs on the async worker without a thread hand-off.
pub struct ChangeWatcher {
    path: String,
    state: Mutex<Watching>,
}

struct Watching {
    conn: Option<SqliteConnection>,
    /// Bumped each time the connection is (re)opened: a new connection's counter restarts,
    /// and versions must never repeat.
    epoch: u64,
}

#[derive(QueryableByName)]
struct Counter {
    #[diesel(sql_type = BigInt)]
    data_version: i64,
}

impl ChangeWatcher {
    pub fn new(path: &str) -> Self {
        Self {
            path: path.to_string(),
            state: Mutex::new(Watching {
                conn: None,
                epoch: 0,
            }),
        }
    }

    /// The current version, or `None` when the database cannot be read (then nothing is reused).
    pub fn version(&self) -> Option<DataVersion> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.conn.is_none() {
            super::configure_sqlite();
            let mut conn = SqliteConnection::establish(&self.path).ok()?;
            // Never wait on a lock here: a reader that cannot start now says "unknown".
            diesel::sql_query("PRAGMA busy_timeout = 0")
                .execute(&mut conn)
                .ok()?;
            state.conn = Some(conn);
            state.epoch += 1;
        }
        let conn = state.conn.as_mut()?;
        match diesel::sql_query("PRAGMA data_version").get_result::<Counter>(conn) {
            Ok(counter) => {
                let counter = u64::try_from(counter.data_version).unwrap_or(0);
                Some(DataVersion(
                    (state.epoch << 40) | (counter & ((1 << 40) - 1)),
                ))
            }
            Err(e) => {
                tracing::debug!(error = %e, "data_version unreadable; reopening");
                state.conn = None;
                None
            }
        }
    }
}

#[derive(QueryableByName)]
struct WalPosition {
    #[diesel(sql_type = BigInt)]
    position: i64,
}

/// PostgreSQL's version: where the next write-ahead log record goes. Every commit that changed
/// data writes a record before it becomes visible, so the position moves past it; other
/// records (vacuum, hint bits) move it too, which only costs a recomputation.
pub fn postgres_version(conn: &mut PgConnection) -> QueryResult<DataVersion> {
    let row: WalPosition = diesel::sql_query(
        "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint AS position",
    )
    .get_result(conn)?;
    Ok(DataVersion(u64::try_from(row.position).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn load(value: i32) -> Result<i32, ()> {
        Ok(value)
    }

    fn kept(cache: &Cache<&'static str, i32>, version: u64, key: &'static str) -> i32 {
        futures_util::FutureExt::now_or_never(cache.get_or_load(
            Some(DataVersion(version)),
            key,
            load(-1),
        ))
        .unwrap()
        .map(|v| *v)
        .unwrap()
    }

    #[test]
    fn values_live_only_at_their_version() {
        let cache: Cache<&str, i32> = Cache::new(8);
        let now = |f| futures_util::FutureExt::now_or_never(f).unwrap();
        now(cache.get_or_load(Some(DataVersion(5)), "a", load(1))).unwrap();
        assert_eq!(kept(&cache, 5, "a"), 1);
        // Anything committed since: loaded again.
        assert_eq!(kept(&cache, 6, "a"), -1);
        // A request that read an older version loads for itself and keeps nothing.
        let old = now(cache.get_or_load(Some(DataVersion(5)), "b", load(2))).unwrap();
        assert_eq!(*old, 2);
        assert_eq!(kept(&cache, 6, "b"), -1);
        // Without a version nothing is kept.
        now(cache.get_or_load(None, "c", load(3))).unwrap();
        assert_eq!(kept(&cache, 6, "c"), -1);
        assert_eq!(cache.stats(), (1, 6));
    }

    #[test]
    fn a_failed_load_is_not_kept() {
        let cache: Cache<&str, i32> = Cache::new(8);
        let failed = futures_util::FutureExt::now_or_never(cache.get_or_load(
            Some(DataVersion(1)),
            "a",
            async { Err::<i32, ()>(()) },
        ))
        .unwrap();
        assert!(failed.is_err());
        assert_eq!(kept(&cache, 1, "a"), -1);
    }

    #[test]
    fn capacity_is_a_bound() {
        let cache: Cache<&str, i32> = Cache::new(2);
        for key in ["a", "b", "c", "d"] {
            kept(&cache, 1, key);
        }
        assert!(cache.inner.lock().unwrap().values.len() <= 2);
        assert_eq!(kept(&cache, 1, "d"), -1);
    }

    #[tokio::test]
    async fn concurrent_requests_share_one_load() {
        let cache: Arc<Cache<&str, i32>> = Arc::new(Cache::new(8));
        let loads = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (cache, loads) = (cache.clone(), loads.clone());
            tasks.push(tokio::spawn(async move {
                let value = cache
                    .get_or_load(Some(DataVersion(1)), "a", async {
                        loads.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        Ok::<i32, ()>(7)
                    })
                    .await
                    .unwrap();
                *value
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), 7);
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn sqlite_counter_moves_with_other_connections_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let path = path.to_str().unwrap();
        let mut writer = SqliteConnection::establish(path).unwrap();
        diesel::sql_query("PRAGMA journal_mode = WAL")
            .execute(&mut writer)
            .unwrap();
        diesel::sql_query("CREATE TABLE t (x INTEGER)")
            .execute(&mut writer)
            .unwrap();
        let watcher = ChangeWatcher::new(path);
        let first = watcher.version().unwrap();
        assert_eq!(watcher.version(), Some(first), "nothing committed");
        diesel::sql_query("INSERT INTO t VALUES (1)")
            .execute(&mut writer)
            .unwrap();
        let second = watcher.version().unwrap();
        assert!(second > first);
        assert_eq!(watcher.version(), Some(second));
    }
}
