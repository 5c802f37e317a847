//! Who looked at personal data (UU 27/2022): every view of a member page is kept in the audit
//! trail. Views are collected in memory and written together, every few seconds or every few
//! hundred views, because each commit drops the page and session caches (`db::cache`): one
//! write per page view would make every cached page useless. A crash loses at most the views
//! of the last `FLUSH_EVERY` (plus a second); a normal stop writes them.

use std::sync::{Arc, Condvar, Mutex, PoisonError, Weak};
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::audit_log;
use crate::db::{Db, DbConnection, now};

const FLUSH_EVERY: Duration = Duration::from_secs(5);
/// Views that make the writer go at once.
const FLUSH_AT: usize = 256;
/// Views kept while the database refuses writes; older ones are dropped (and logged).
const MAX_PENDING: usize = 100_000;

#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = audit_log)]
struct View {
    at: NaiveDateTime,
    actor_user_id: Option<i32>,
    action: &'static str,
    entity: &'static str,
    entity_id: String,
    detail: String,
}

/// The views not yet written, shared by every worker; written by a thread of its own.
#[derive(Clone)]
pub struct ViewLog {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    pending: Mutex<Vec<View>>,
    wake: Condvar,
}

impl ViewLog {
    /// Starts the writer; it ends once the last `ViewLog` is dropped, after writing what is left.
    pub fn start(db: Db) -> Self {
        let inner = Arc::new(Inner {
            db,
            pending: Mutex::new(Vec::new()),
            wake: Condvar::new(),
        });
        let weak = Arc::downgrade(&inner);
        let spawned = std::thread::Builder::new()
            .name("audit-views".into())
            .spawn(move || write_until_dropped(weak));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "audit: cannot start the view writer; views are written when the server stops");
        }
        Self { inner }
    }

    /// Notes that `actor` viewed `entity` `entity_id`.
    pub fn record(&self, actor: i32, action: &'static str, entity: &'static str, entity_id: &str) {
        let mut pending = self
            .inner
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if pending.len() >= MAX_PENDING {
            tracing::error!("audit: view records are not being written; dropping the oldest");
            pending.remove(0);
        }
        pending.push(View {
            at: now(),
            actor_user_id: Some(actor),
            action,
            entity,
            entity_id: entity_id.to_string(),
            detail: String::new(),
        });
        if pending.len() >= FLUSH_AT {
            self.inner.wake.notify_one();
        }
    }

    /// Writes every view noted so far (before a page lists them).
    pub fn flush(&self, conn: &mut DbConnection) -> QueryResult<()> {
        self.inner.write(Some(conn))
    }
}

impl Inner {
    fn take(&self) -> Vec<View> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Writes the pending views in one transaction; on failure they are kept for next time.
    fn write(&self, conn: Option<&mut DbConnection>) -> QueryResult<()> {
        let views = self.take();
        if views.is_empty() {
            return Ok(());
        }
        let result = match conn {
            Some(conn) => insert(conn, &views),
            None => match self.db.get() {
                Ok(mut conn) => insert(&mut conn, &views),
                Err(e) => {
                    tracing::warn!(error = %e, "audit: no connection for view records");
                    Err(diesel::result::Error::BrokenTransactionManager)
                }
            },
        };
        if result.is_err() {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            let newer = std::mem::replace(&mut *pending, views);
            pending.extend(newer);
        }
        result
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Err(e) = self.write(None) {
            tracing::error!(error = %e, "audit: view records lost at shutdown");
        }
    }
}

fn insert(conn: &mut DbConnection, views: &[View]) -> QueryResult<()> {
    crate::db::write_transaction(conn, |conn| {
        for part in views.chunks(500) {
            crate::with_backend!(conn, c => diesel::insert_into(audit_log::table).values(part).execute(c))?;
        }
        Ok(())
    })
}

/// Writes the views `FLUSH_EVERY` after the first of them was noted (at once past
/// `FLUSH_AT`), so a view is never written sooner than that.
fn write_until_dropped(weak: Weak<Inner>) {
    loop {
        let Some(inner) = weak.upgrade() else { return };
        let waiting = {
            let pending = inner.pending.lock().unwrap_or_else(PoisonError::into_inner);
            if pending.is_empty() {
                // Nothing yet: look again in a second (and whether the log is still in use).
                let _ = inner
                    .wake
                    .wait_timeout(pending, Duration::from_secs(1))
                    .unwrap_or_else(PoisonError::into_inner);
                false
            } else {
                if pending.len() < FLUSH_AT {
                    let _ = inner
                        .wake
                        .wait_timeout(pending, FLUSH_EVERY)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                true
            }
        };
        if waiting && let Err(e) = inner.write(None) {
            tracing::warn!(error = %e, "audit: view records not written yet; retrying");
        }
        // The last strong reference may be this one: dropping it writes what is left.
        drop(inner);
    }
}
