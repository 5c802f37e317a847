//! Applying a roster extract: members upserted by NIK (else JKN card number) in batches of
//! `BATCH` rows, one transaction each; their households found or created; every change of
//! status or segment kept in `member_history`; field claims confirmed or flagged; and, at the
//! end, the extract date's figures per kelurahan derived from the rows and the roll-ups rebuilt.
//!
//! Re-running the same file gives the same database: every step is an upsert keyed on the
//! member and the extract date.

use std::path::Path;

use chrono::{Duration, NaiveDate};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
// The import's maps and sets take several lookups for each of millions of rows; foldhash
// hashes their keys several times faster than the standard SipHash, with a seed of its own
// per process.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use super::read::{Header, check};
use super::{CellError, MemberKey, RosterRow};
use crate::audit;
use crate::auth::CurrentUser;
use crate::db::bulk::{BulkDate, SharedTimestamp};
use crate::db::schema::{
    figure_segments, figures, households, member_history, members, reactivations, regions,
    roster_import_errors, roster_imports,
};
use crate::db::sqlite_bulk::{self, Value};
use crate::db::{DbConnection, lower, now, write_transaction};
use crate::households::worklist_rank;
use crate::members::{MemberStatus, Segment, is_priority};
use crate::progress::queries::{ActivityDelta, bump_activity};
use crate::reactivations::ClaimState;
use crate::tabular::{Limits, Row, Table};

/// Rows per transaction: large, because each transaction rewrites every index page it touches
/// (in SQLite's WAL) and the member indexes are touched at random; small enough that a
/// transaction holds the write lock well under a second, so field visits are not held up.
const BATCH: usize = 10_000;
/// Rows per INSERT statement on PostgreSQL (SQLite takes one row per statement, see
/// `db::sqlite_bulk`). A statement for a fixed number of rows is prepared once and reused
/// (diesel caches it by type); one for however many rows are left is parsed each time.
const ROWS_PER_STATEMENT: usize = 256;
/// Batches between the import's own WAL checkpoints (see `wal_catch_up`).
const CATCH_UP_EVERY: usize = 16;
/// Error rows kept per import; beyond that only the count grows.
const MAX_ERRORS: i32 = 50_000;
/// A claim the roster still shows inactive this long after its report is flagged.
pub const FLAG_AFTER_DAYS: i64 = 30;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub permille: i32,
    pub rows_read: i32,
    pub rows_invalid: i32,
    /// Rows not applied: the member lives outside the importer's areas (see `moves`).
    pub rows_held: i32,
    pub members_created: i32,
    pub members_changed: i32,
    pub households_created: i32,
    pub claims_confirmed: i32,
    pub claims_flagged: i32,
}

/// A batch's rows split for INSERT statements: full statements of `ROWS_PER_STATEMENT` rows,
/// then the rest.
enum Rows<'a, V> {
    Full(&'a [V; ROWS_PER_STATEMENT]),
    Rest(&'a [V]),
}

fn statements<V>(values: &[V]) -> impl Iterator<Item = Rows<'_, V>> {
    let full = values.chunks_exact(ROWS_PER_STATEMENT);
    let rest = full.remainder();
    full.filter_map(|rows| rows.try_into().ok().map(Rows::Full))
        .chain((!rest.is_empty()).then_some(Rows::Rest(rest)))
}

/// Runs `$body` for each INSERT statement's rows (`$rows` is an array or a slice).
macro_rules! for_each_statement {
    ($values:expr, |$rows:ident| $body:block) => {
        for part in statements($values) {
            match part {
                Rows::Full($rows) => $body,
                Rows::Rest($rows) => $body,
            }
        }
    };
}

/// Who imports, and where: `None` is the command line without `--as` (every region, no
/// actor). Members living outside the user's areas are never touched (see `moves`).
pub struct Importer<'a> {
    pub user: Option<&'a CurrentUser>,
}

impl Importer<'_> {
    pub(super) fn user_id(&self) -> Option<i32> {
        self.user.map(|u| u.id)
    }

    /// Whether the import may touch what lies in this region (the command line: everywhere).
    fn covers(&self, code: &str) -> bool {
        self.user.is_none_or(|u| u.covers(code))
    }
}

/// Records a new import in state `berjalan` and returns its id.
pub fn begin(
    conn: &mut DbConnection,
    extract_date: NaiveDate,
    file_name: &str,
    user_id: Option<i32>,
) -> QueryResult<i32> {
    let at = now();
    crate::with_backend!(conn, c => diesel::insert_into(roster_imports::table)
        .values((
            roster_imports::extract_date.eq(extract_date),
            roster_imports::file_name.eq(file_name),
            roster_imports::imported_by.eq(user_id),
            roster_imports::state.eq("berjalan"),
            roster_imports::started_at.eq(at),
            roster_imports::updated_at.eq(at),
        ))
        .returning(roster_imports::id)
        .get_result(c))
}

/// Marks imports left `berjalan` by a stopped server as failed (re-running them is safe).
pub fn fail_interrupted(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::update(roster_imports::table.filter(roster_imports::state.eq("berjalan")))
        .set((
            roster_imports::state.eq("gagal"),
            roster_imports::message.eq(
                "Terputus karena server berhenti. Baris yang sudah diproses tersimpan; \
                 unggah berkas yang sama lagi untuk melanjutkan.",
            ),
            roster_imports::updated_at.eq(now()),
        ))
        .execute(conn)
}

/// Runs import `import_id` of the file at `path`. Calls `on_progress` after every batch.
/// A file that cannot be read at all fails the import with a message; bad rows do not.
pub fn run(
    conn: &mut DbConnection,
    import_id: i32,
    path: &Path,
    extract_date: NaiveDate,
    importer: &Importer<'_>,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<Progress, String> {
    // A larger page cache for the import keeps the member indexes' hot pages in memory. On a
    // connection that checkpoints by itself (one made outside the pool), checkpoints come every
    // 64 MB of WAL instead of every 4 MB, so a page rewritten by many batches is copied back
    // once. Statement journals are kept in memory: every statement that writes several rows
    // (the history copied for new members, the deletes) opens one, and in a temporary file
    // they were once written several times the size of the database. The connection gets its
    // usual settings back afterwards.
    let checkpoint_every = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query("PRAGMA wal_autocheckpoint")
            .get_result::<AutoCheckpoint>(c)
            .map(|p| p.wal_autocheckpoint)
            .ok(),
        DbConnection::Pg(_) => None,
    };
    if let Some(pages) = checkpoint_every {
        let _ = conn.batch_execute("PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY");
        if pages > 0 {
            let _ = conn.batch_execute("PRAGMA wal_autocheckpoint = 16384");
        }
    }
    let outcome = run_inner(conn, import_id, path, extract_date, importer, on_progress);
    if let Some(pages) = checkpoint_every {
        let _ = conn.batch_execute(&format!(
            "PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT; \
             PRAGMA wal_autocheckpoint = {pages}"
        ));
    }
    match outcome {
        Ok(progress) => Ok(progress),
        Err(message) => {
            let _ = diesel::update(roster_imports::table.find(import_id))
                .set((
                    roster_imports::state.eq("gagal"),
                    roster_imports::message.eq(&message),
                    roster_imports::updated_at.eq(now()),
                ))
                .execute(conn);
            Err(message)
        }
    }
}

/// SQLite: copies what the WAL holds beyond the database file back into it, between two
/// batches. The server's checkpoint thread copies most of it while the import writes, but
/// never all of it, and the WAL only starts over once all of it is copied: without this, an
/// import of millions of rows leaves a WAL file larger than the database.
fn wal_catch_up(conn: &mut DbConnection) {
    if let DbConnection::Sqlite(c) = conn
        && let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)")
    {
        tracing::warn!(error = %e, "roster import: WAL checkpoint failed");
    }
}

#[derive(QueryableByName)]
struct AutoCheckpoint {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    wal_autocheckpoint: i64,
}

fn db_error(e: diesel::result::Error) -> String {
    tracing::error!(error = %e, "roster import: database error");
    format!("Kesalahan basis data: {e}")
}

fn run_inner(
    conn: &mut DbConnection,
    import_id: i32,
    path: &Path,
    extract_date: NaiveDate,
    importer: &Importer<'_>,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<Progress, String> {
    let cpu_at_start = thread_cpu_seconds();
    let known: HashSet<String> = regions::table
        .filter(regions::level.eq("desa_kelurahan"))
        .select(regions::code)
        .load::<String>(conn)
        .map_err(db_error)?
        .into_iter()
        .collect();
    let source = Table::open(path, Limits::ROSTER)?;
    // Which of the file's members may already be in the database: only those are looked up.
    // A member added in the field while the import runs is not in this list; its roster row
    // then fails the batch on the NIK's uniqueness, and the batch is applied again with every
    // row looked up (as are all later batches).
    let mut known_members = Some(KnownMembers::load(conn).map_err(db_error)?);
    let mut progress = Progress::default();
    let mut errors_kept = 0;
    // The file is read and checked on a thread of its own while this one writes the previous
    // batch: the two take about equally long, and SQLite writes on one thread only.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(2);
    // Written batches go back to the reader, which frees their rows and refills them: freeing
    // ten thousand rows' strings is work this thread need not wait for.
    let (used_tx, used_rx) = std::sync::mpsc::channel::<Chunk>();
    // The held rows, taken back out of the reader's tally before the figures are derived.
    let mut held = Tally::default();
    let mut tally = std::thread::scope(|scope| -> Result<Tally, String> {
        let reader = scope.spawn(|| read_chunks(source, &known, importer, tx, used_rx));
        let mut written: Result<(), String> = Ok(());
        let mut batches = 0usize;
        for mut chunk in rx.iter() {
            progress.rows_read += chunk.rows_read;
            progress.rows_invalid += chunk.rows_invalid;
            progress.permille = chunk.permille;
            let keep = (MAX_ERRORS - errors_kept).max(0) as usize;
            chunk.errors.truncate(keep);
            errors_kept += chunk.errors.len() as i32;
            let write = |conn: &mut DbConnection, known: Option<&KnownMembers>| {
                write_transaction(conn, |conn| {
                    let outcome =
                        apply_batch(conn, &chunk, extract_date, import_id, importer, known)?;
                    save_errors(conn, import_id, &chunk.errors)?;
                    let mut after = progress.clone();
                    after.absorb(&outcome);
                    save_progress(conn, import_id, &after)?;
                    Ok::<_, diesel::result::Error>(outcome)
                })
            };
            let outcome = match write(conn, known_members.as_ref()) {
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) if known_members.is_some() => {
                    known_members = None;
                    write(conn, None)
                }
                outcome => outcome,
            };
            match outcome {
                Ok(outcome) => {
                    progress.absorb(&outcome);
                    for i in &outcome.held {
                        held.add(&chunk.rows[*i]);
                    }
                    batches += 1;
                    if batches.is_multiple_of(CATCH_UP_EVERY) {
                        wal_catch_up(conn);
                    }
                }
                Err(e) => {
                    // Dropping the receiver stops the reader at its next batch.
                    written = Err(db_error(e));
                    break;
                }
            }
            on_progress(&progress);
            let _ = used_tx.send(chunk);
        }
        drop(rx);
        let read = reader
            .join()
            .map_err(|_| "Pembacaan berkas berhenti tak terduga.".to_string())?;
        written?;
        read
    })?;
    progress.permille = 1000;
    tally.remove(&held);
    write_transaction(conn, |conn| {
        derive_figures(conn, &tally, extract_date, importer)?;
        save_progress(conn, import_id, &progress)?;
        diesel::update(roster_imports::table.find(import_id))
            .set(roster_imports::state.eq("selesai"))
            .execute(conn)?;
        audit::record(
            conn,
            importer.user_id(),
            "roster.import",
            "roster_import",
            &import_id.to_string(),
            &format!(
                "file={} date={extract_date} rows={} invalid={} held={} created={} changed={} confirmed={} flagged={}",
                path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
                progress.rows_read,
                progress.rows_invalid,
                progress.rows_held,
                progress.members_created,
                progress.members_changed,
                progress.claims_confirmed,
                progress.claims_flagged
            ),
        )
    })
    .map_err(db_error)?;
    tracing::info!(
        cpu_seconds = thread_cpu_seconds() - cpu_at_start,
        "roster import: writing thread done"
    );
    on_progress(&progress);
    Ok(progress)
}

/// CPU time the calling thread has used, in seconds: which of the import's two threads is
/// the bottleneck, logged at the end (wall-clock time on a shared machine says less).
fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec, which `ts` is.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
    if ok {
        ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
    } else {
        0.0
    }
}

/// A batch of checked rows from the reader thread, with what was skipped on the way.
struct Chunk {
    rows: Vec<RosterRow>,
    /// What the writer needs of each row, worked out here on the reader thread, which has time
    /// to spare while the writer is the import's bottleneck.
    derived: Vec<Derived>,
    errors: Vec<CellError>,
    rows_read: i32,
    rows_invalid: i32,
    permille: i32,
}

/// A row's member key, household key and lower-cased name and address (for search).
struct Derived {
    key: MemberKey,
    home: HouseholdKey,
    name_search: String,
    search_text: String,
}

impl Derived {
    fn of(row: &RosterRow, key: MemberKey) -> Self {
        let mut search_text = row.address.to_lowercase();
        search_text.push(' ');
        Self {
            key,
            home: HouseholdKey::of(row),
            name_search: row.name.to_lowercase(),
            search_text,
        }
    }
}

/// Reads and checks the file, sending batches of `BATCH` valid rows; returns the tally of all
/// valid rows, or why the file could not be read. Stops early when the writer has gone.
fn read_chunks(
    mut source: Table,
    known: &HashSet<String>,
    importer: &Importer<'_>,
    tx: std::sync::mpsc::SyncSender<Chunk>,
    used: std::sync::mpsc::Receiver<Chunk>,
) -> Result<Tally, String> {
    let region_ok = |code: &str| -> Result<(), &'static str> {
        if !known.contains(code) {
            Err("Kode desa/kelurahan tidak dikenal.")
        } else if importer.user.is_some_and(|u| !u.covers(code)) {
            Err("Di luar wilayah Anda.")
        } else {
            Ok(())
        }
    };
    let header = match source.next_row() {
        Some(Ok(row)) => Header::parse(&row.cells)?,
        Some(Err(message)) => return Err(message),
        None => return Err("Berkas kosong.".into()),
    };
    let mut tally = Tally::default();
    // Members seen so far: a member listed twice counts once.
    let mut seen = SeenMembers::default();
    let empty = || match used.try_recv() {
        Ok(mut chunk) => {
            chunk.rows.clear();
            chunk.derived.clear();
            chunk.errors.clear();
            chunk.rows_read = 0;
            chunk.rows_invalid = 0;
            chunk
        }
        Err(_) => Chunk {
            rows: Vec::with_capacity(BATCH),
            derived: Vec::with_capacity(BATCH),
            errors: Vec::new(),
            rows_read: 0,
            rows_invalid: 0,
            permille: 0,
        },
    };
    let mut chunk = empty();
    loop {
        let next = source.next_row();
        let end = next.is_none();
        if let Some(row) = next {
            let Row { line, cells } = row?;
            if cells.iter().all(|c| c.is_empty()) {
                continue;
            }
            chunk.rows_read += 1;
            match check(&header, line, &cells, &region_ok) {
                Ok(row) => {
                    if let Some(key) = row.key().filter(|key| seen.insert(*key)) {
                        tally.add(&row);
                        chunk.derived.push(Derived::of(&row, key));
                        chunk.rows.push(row);
                    } else {
                        chunk.rows_invalid += 1;
                        chunk.errors.push(CellError {
                            line,
                            column: if row.nik.is_some() { "nik" } else { "no_kartu_jkn" }.into(),
                            value: String::new(),
                            message: "Peserta yang sama sudah ada di baris sebelumnya; baris ini dilewati."
                                .into(),
                        });
                    }
                }
                Err(row_errors) => {
                    chunk.rows_invalid += 1;
                    chunk.errors.extend(row_errors);
                }
            }
        }
        let full = chunk.rows.len() >= BATCH;
        let last = end && (!chunk.rows.is_empty() || !chunk.errors.is_empty());
        if full || last {
            chunk.permille = source.permille();
            if tx.send(std::mem::replace(&mut chunk, empty())).is_err() {
                break;
            }
        }
        if end {
            break;
        }
    }
    tracing::info!(
        cpu_seconds = thread_cpu_seconds(),
        "roster import: reading thread done"
    );
    Ok(tally)
}

/// The members an import has read so far, at 8 bytes each: a sorted list, and the latest
/// keys in a small set merged into it now and then. A hash set of millions of keys takes
/// about twice the memory, and half again more each time it grows.
#[derive(Default)]
struct SeenMembers {
    sorted: Vec<MemberKey>,
    recent: HashSet<MemberKey>,
}

impl SeenMembers {
    const RECENT: usize = 1 << 16;

    /// Adds `key`; false if it was already there.
    fn insert(&mut self, key: MemberKey) -> bool {
        if self.sorted.binary_search(&key).is_ok() || !self.recent.insert(key) {
            return false;
        }
        if self.recent.len() >= Self::RECENT {
            self.merge();
        }
        true
    }

    /// Moves the recent keys into the sorted list, merging from the back in place.
    fn merge(&mut self) {
        let mut recent: Vec<MemberKey> = self.recent.drain().collect();
        recent.sort_unstable();
        let mut old = self.sorted.len();
        self.sorted.extend_from_slice(&recent);
        let mut new = recent.len();
        let mut at = self.sorted.len();
        while new > 0 {
            at -= 1;
            if old > 0 && self.sorted[old - 1] > recent[new - 1] {
                old -= 1;
                self.sorted[at] = self.sorted[old];
            } else {
                new -= 1;
                self.sorted[at] = recent[new];
            }
        }
    }
}

impl Progress {
    fn absorb(&mut self, o: &BatchOutcome) {
        self.rows_held += o.held.len() as i32;
        self.members_created += o.members_created;
        self.members_changed += o.members_changed;
        self.households_created += o.households_created;
        self.claims_confirmed += o.claims_confirmed;
        self.claims_flagged += o.claims_flagged;
    }
}

fn save_progress(conn: &mut DbConnection, import_id: i32, p: &Progress) -> QueryResult<()> {
    diesel::update(roster_imports::table.find(import_id))
        .set((
            roster_imports::percent_done.eq(p.permille / 10),
            roster_imports::rows_read.eq(p.rows_read),
            roster_imports::rows_invalid.eq(p.rows_invalid),
            roster_imports::rows_held.eq(p.rows_held),
            roster_imports::members_created.eq(p.members_created),
            roster_imports::members_changed.eq(p.members_changed),
            roster_imports::households_created.eq(p.households_created),
            roster_imports::claims_confirmed.eq(p.claims_confirmed),
            roster_imports::claims_flagged.eq(p.claims_flagged),
            roster_imports::updated_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

fn save_errors(conn: &mut DbConnection, import_id: i32, errors: &[CellError]) -> QueryResult<()> {
    // One row per (line, column): a re-reported cell keeps its first message.
    let mut unique: HashMap<(usize, &str), &CellError> = HashMap::new();
    for e in errors {
        unique.entry((e.line, e.column.as_str())).or_insert(e);
    }
    let values: Vec<_> = unique
        .values()
        .map(|e| {
            (
                roster_import_errors::import_id.eq(import_id),
                roster_import_errors::line.eq(e.line as i32),
                roster_import_errors::column_name.eq(&e.column),
                roster_import_errors::value.eq(&e.value),
                roster_import_errors::message.eq(&e.message),
            )
        })
        .collect();
    for chunk in values.chunks(2_000) {
        crate::with_backend!(conn, c => diesel::insert_into(roster_import_errors::table).values(chunk).execute(c))?;
    }
    Ok(())
}

/// Registered and active members per kelurahan (and segment) among the extract's valid rows.
#[derive(Default)]
struct Tally {
    regions: HashMap<String, RegionTally>,
}

#[derive(Default)]
struct RegionTally {
    /// Every row of the kelurahan, registered or not: a kelurahan none of whose rows is left
    /// after the held ones are taken out gets no figures.
    rows: i64,
    registered: i64,
    active: i64,
    segments: HashMap<Segment, (i64, i64)>,
}

impl Tally {
    fn add(&mut self, row: &RosterRow) {
        let region = self.regions.entry(row.region_code.clone()).or_default();
        region.rows += 1;
        let registered = matches!(row.status, MemberStatus::Active | MemberStatus::Inactive)
            && row.segment != Segment::NotRegistered;
        if !registered {
            return;
        }
        let active = row.status == MemberStatus::Active;
        region.registered += 1;
        region.active += i64::from(active);
        let seg = region.segments.entry(row.segment).or_default();
        seg.0 += 1;
        seg.1 += i64::from(active);
    }

    /// Takes `other`'s rows (a subset of this tally's) out again.
    fn remove(&mut self, other: &Tally) {
        for (code, gone) in &other.regions {
            let Some(region) = self.regions.get_mut(code) else {
                continue;
            };
            region.rows -= gone.rows;
            region.registered -= gone.registered;
            region.active -= gone.active;
            for (segment, (registered, active)) in &gone.segments {
                if let Some(seg) = region.segments.get_mut(segment) {
                    seg.0 -= registered;
                    seg.1 -= active;
                }
            }
            region.segments.retain(|_, (registered, _)| *registered > 0);
            if region.rows <= 0 {
                self.regions.remove(code);
            }
        }
    }
}

#[derive(Default)]
pub(super) struct BatchOutcome {
    /// The rows (indices into the chunk) held as possible moves, not applied.
    held: Vec<usize>,
    members_created: i32,
    members_changed: i32,
    households_created: i32,
    claims_confirmed: i32,
    claims_flagged: i32,
}

#[derive(Queryable, Clone)]
struct Existing {
    id: i32,
    household_id: i32,
    nik: Option<String>,
    jkn_number: Option<String>,
    name: String,
    sex: String,
    birth_date: NaiveDate,
    segment: String,
    class: Option<String>,
    status: String,
    inactive_reason: Option<String>,
    region_code: String,
    /// The latest extract date the member has a history row for.
    last_seen: Option<NaiveDate>,
}

type ExistingColumns = (
    members::id,
    members::household_id,
    members::nik,
    members::jkn_number,
    members::name,
    members::sex,
    members::birth_date,
    members::segment,
    members::class,
    members::status,
    members::inactive_reason,
    households::region_code,
    diesel::expression::SqlLiteral<diesel::sql_types::Nullable<diesel::sql_types::Date>>,
);
/// The member's latest history row is read by its key (member, date) in the same query: one
/// seek per member instead of a second query over all of them.
fn existing_columns() -> ExistingColumns {
    (
        members::id,
        members::household_id,
        members::nik,
        members::jkn_number,
        members::name,
        members::sex,
        members::birth_date,
        members::segment,
        members::class,
        members::status,
        members::inactive_reason,
        households::region_code,
        diesel::dsl::sql(
            "(SELECT max(member_history.valid_from) FROM member_history \
             WHERE member_history.member_id = members.id)",
        ),
    )
}

impl Existing {
    fn status_differs(&self, row: &RosterRow) -> bool {
        self.segment != row.segment.as_str()
            || self.status != row.status.as_str()
            || self.inactive_reason.as_deref() != row.inactive_reason.map(|r| r.as_str())
    }

    /// Anything but the status differs (the kelurahan included).
    fn details_differ(&self, row: &RosterRow) -> bool {
        self.name != row.name
            || self.sex != row.sex.as_str()
            || self.birth_date != row.birth_date
            || self.class.as_deref() != row.class.map(|c| c.as_str())
            || (row.jkn_number.is_some() && self.jkn_number != row.jkn_number)
            || (self.nik.is_none() && row.nik.is_some())
            || self.region_code != row.region_code
    }
}

/// Where a household is looked up: its KK number in the kelurahan, else RT/RW and address.
/// Both codes are all digits once checked, so the common key is two numbers: hashed and
/// copied many times a row, it costs no allocation.
#[derive(Clone, PartialEq, Eq, Hash)]
enum HouseholdKey {
    Kk(u64, u64),
    KkText(String, String),
    Address(String, String, String, String),
}

impl HouseholdKey {
    fn of(row: &RosterRow) -> Self {
        match &row.nomor_kk {
            Some(kk) => Self::kk(&row.region_code, kk),
            None => HouseholdKey::Address(
                row.region_code.clone(),
                row.rt.clone(),
                row.rw.clone(),
                row.address.to_lowercase(),
            ),
        }
    }

    fn kk(region_code: &str, kk: &str) -> Self {
        match (digits(region_code), digits(kk)) {
            (Some(region), Some(kk)) => HouseholdKey::Kk(region, kk),
            _ => HouseholdKey::KkText(region_code.to_owned(), kk.to_owned()),
        }
    }
}

/// The number a code's digits spell, its dots left out; `None` if it is empty or anything
/// else is in it. Kelurahan codes and KK numbers have fixed lengths, so leading zeros cannot
/// make two codes one number.
fn digits(code: &str) -> Option<u64> {
    if code.is_empty() {
        return None;
    }
    code.bytes().filter(|b| *b != b'.').try_fold(0u64, |n, b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

fn apply_batch(
    conn: &mut DbConnection,
    chunk: &Chunk,
    date: NaiveDate,
    import_id: i32,
    importer: &Importer<'_>,
    known: Option<&KnownMembers>,
) -> QueryResult<BatchOutcome> {
    let mut outcome = BatchOutcome::default();
    let (rows, derived) = (&chunk.rows, &chunk.derived);
    if rows.is_empty() {
        return Ok(outcome);
    }
    let at = now();
    let stamp = SharedTimestamp::new(at);
    let homes_of = |i: usize| &derived[i].home;
    let lookup: Vec<&RosterRow> = match known {
        Some(known) => rows.iter().filter(|r| known.may_hold(r)).collect(),
        None => rows.iter().collect(),
    };
    let existing = find_existing(conn, &lookup)?;
    let found = |i: usize| existing.get(&derived[i].key);
    // A row whose member lives outside the importer's areas changes nothing: it is held as a
    // possible move, for someone who covers both kelurahan to accept or reject.
    let held: Vec<bool> = (0..rows.len())
        .map(|i| found(i).is_some_and(|e| !importer.covers(&e.region_code)))
        .collect();
    outcome.held = (0..rows.len()).filter(|i| held[*i]).collect();
    if !outcome.held.is_empty() {
        let items: Vec<(&RosterRow, i32)> = outcome
            .held
            .iter()
            .filter_map(|i| Some((&rows[*i], found(*i)?.id)))
            .collect();
        super::moves::hold(conn, import_id, date, &items)?;
    }
    // Whether the extract is at least as new as what the member's history already holds.
    let newer = |e: &Existing| e.last_seen.is_none_or(|d| date >= d);

    // Which rows need a household looked up or made: new members, and members the extract
    // places in another kelurahan.
    let needs_household: Vec<bool> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| match found(i) {
            _ if held[i] => false,
            None => true,
            Some(e) => e.region_code != row.region_code && newer(e),
        })
        .collect();
    // One row for each household key to look up.
    let wanted: Vec<&RosterRow> = {
        let mut keys = HashSet::new();
        (0..rows.len())
            .filter(|i| needs_household[*i] && keys.insert(homes_of(*i)))
            .map(|i| &rows[i])
            .collect()
    };
    let mut homes = find_households(conn, &wanted)?;
    // Households to make, each once, in file order.
    let missing: Vec<usize> = {
        let mut keys = HashSet::new();
        (0..rows.len())
            .filter(|i| needs_household[*i])
            .filter(|i| !homes.contains_key(homes_of(*i)) && keys.insert(homes_of(*i)))
            .collect()
    };
    // Households made here already carry the counts of their new members: only households
    // that existed before, or that an existing member moved into, need recounting.
    let mut created_households: HashSet<i32> = HashSet::new();
    if !missing.is_empty() {
        // A new household's worklist counts from its new members in this batch, so the common
        // case (a family listed together) needs no update afterwards.
        let mut counts: HashMap<&HouseholdKey, (i32, i32)> = HashMap::new();
        for (i, r) in rows
            .iter()
            .enumerate()
            .filter(|(i, _)| found(*i).is_none() && !held[*i])
        {
            let entry = counts.entry(homes_of(i)).or_default();
            entry.0 += i32::from(r.status.is_open());
            entry.1 += i32::from(is_priority(
                r.segment.as_str(),
                r.status.as_str(),
                r.inactive_reason.map(|x| x.as_str()),
            ));
        }
        let new_ids = reserve_ids(conn, IdTable::Households, missing.len())?;
        let made: Vec<NewHousehold<'_>> = missing
            .iter()
            .zip(&new_ids)
            .map(|(i, id)| {
                let (open, priority) = counts.get(homes_of(*i)).copied().unwrap_or_default();
                NewHousehold {
                    id: *id,
                    row: &rows[*i],
                    search_text: &derived[*i].search_text,
                    open,
                    priority,
                }
            })
            .collect();
        insert_households(conn, &made, importer.user_id(), &stamp)?;
        for (i, id) in missing.iter().zip(&new_ids) {
            homes.insert(homes_of(*i).clone(), *id);
            created_households.insert(*id);
        }
        outcome.households_created = missing.len() as i32;
    }

    let mut touched_households: HashSet<i32> = HashSet::new();
    let mut history: Vec<(i32, &RosterRow)> = Vec::new();
    let mut new_rows: Vec<NewMember<'_>> = Vec::new();
    let mut status_changes: Vec<(i32, &RosterRow)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if held[i] {
            continue;
        }
        let household = needs_household[i]
            .then(|| homes.get(homes_of(i)).copied())
            .flatten();
        match found(i) {
            None => {
                let Some(household) = household else { continue };
                new_rows.push(NewMember {
                    row,
                    name_search: &derived[i].name_search,
                    household,
                });
                if !created_households.contains(&household) {
                    touched_households.insert(household);
                }
            }
            Some(e) => {
                let newer = newer(e);
                if newer && !e.details_differ(row) && e.status_differs(row) {
                    status_changes.push((e.id, row));
                    touched_households.insert(e.household_id);
                } else if newer && e.details_differ(row) {
                    let household_id = household.unwrap_or(e.household_id);
                    diesel::update(members::table.find(e.id))
                        .set((
                            members::household_id.eq(household_id),
                            members::nik.eq(row.nik.as_ref().or(e.nik.as_ref())),
                            members::name.eq(&row.name),
                            members::name_search.eq(&derived[i].name_search),
                            members::sex.eq(row.sex.as_str()),
                            members::birth_date.eq(row.birth_date),
                            members::jkn_number
                                .eq(row.jkn_number.as_ref().or(e.jkn_number.as_ref())),
                            members::segment.eq(row.segment.as_str()),
                            members::class.eq(row.class.map(|c| c.as_str())),
                            members::status.eq(row.status.as_str()),
                            members::inactive_reason.eq(row.inactive_reason.map(|r| r.as_str())),
                            members::updated_at.eq(at),
                        ))
                        .execute(conn)?;
                    touched_households.insert(e.household_id);
                    touched_households.insert(household_id);
                }
                if newer && e.status_differs(row) {
                    outcome.members_changed += 1;
                }
                if !newer || e.last_seen.is_none() || e.status_differs(row) {
                    history.push((e.id, row));
                }
            }
        }
    }

    update_statuses(conn, &status_changes, &stamp)?;

    // History: one row per member and extract date (replaced on a re-run). Only members
    // known before this batch can have a row for the date already.
    if !history.is_empty() {
        let ids: Vec<i32> = history.iter().map(|(id, _)| *id).collect();
        diesel::delete(
            member_history::table
                .filter(member_history::member_id.eq_any(&ids))
                .filter(member_history::valid_from.eq(date)),
        )
        .execute(conn)?;
        insert_history(conn, &history, date, import_id)?;
    }

    // New members: inserted together under ids reserved for them, with their first
    // history row.
    if !new_rows.is_empty() {
        let new_ids = reserve_ids(conn, IdTable::Members, new_rows.len())?;
        insert_members(conn, &new_rows, &new_ids, importer.user_id(), &stamp)?;
        outcome.members_created = new_rows.len() as i32;
        match conn {
            // SQLite's reserved ids are one unbroken range no other connection can write in
            // (the batch holds the only write lock), so SQLite copies the rows itself.
            DbConnection::Sqlite(c) => {
                use diesel::sql_types::{Date, Integer};
                diesel::sql_query(
                    "INSERT INTO member_history (member_id, valid_from, segment, status, \
                     inactive_reason, import_id) \
                     SELECT id, ?, segment, status, inactive_reason, ? FROM members \
                     WHERE id BETWEEN ? AND ?",
                )
                .bind::<Date, _>(BulkDate(date))
                .bind::<Integer, _>(import_id)
                .bind::<Integer, _>(new_ids[0])
                .bind::<Integer, _>(new_ids[new_ids.len() - 1])
                .execute(c)?;
            }
            DbConnection::Pg(_) => {
                let made: Vec<(i32, &RosterRow)> = new_ids
                    .iter()
                    .zip(&new_rows)
                    .map(|(id, m)| (*id, m.row))
                    .collect();
                insert_history(conn, &made, date, import_id)?;
            }
        }
    }

    refresh_households(conn, &touched_households)?;

    // Reconciliation against the claims of the members in this batch. A claim is about a member
    // the field recorded, so members this batch created have none.
    // Only members with a claim still open need looking at (a few among thousands).
    let claimed: HashSet<i32> = if existing.is_empty() {
        HashSet::new()
    } else {
        reactivations::table
            .filter(reactivations::state.eq(ClaimState::Reported.as_str()))
            .select(reactivations::member_id)
            .load::<i32>(conn)?
            .into_iter()
            .collect()
    };
    let mut active: Vec<i32> = Vec::new();
    let mut inactive: Vec<i32> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if let Some(e) = found(i).filter(|e| !held[i] && claimed.contains(&e.id)) {
            if row.status == MemberStatus::Active {
                active.push(e.id);
            } else {
                inactive.push(e.id);
            }
        }
    }
    let (confirmed, flagged) = reconcile(conn, &active, &inactive, date)?;
    outcome.claims_confirmed = confirmed;
    outcome.claims_flagged = flagged;
    Ok(outcome)
}

/// Applies one roster row as an import by `importer` would: a held move someone accepted
/// (see `moves`). Only if the row still matches member `member_id` and the importer covers
/// where that member lives; false, changing nothing, otherwise.
pub(super) fn apply_row(
    conn: &mut DbConnection,
    row: RosterRow,
    member_id: i32,
    date: NaiveDate,
    import_id: i32,
    importer: &Importer<'_>,
) -> QueryResult<bool> {
    let Some(key) = row.key() else {
        return Ok(false);
    };
    let matches = find_existing(conn, &[&row])?
        .get(&key)
        .is_some_and(|e| e.id == member_id && importer.covers(&e.region_code));
    if !matches || !importer.covers(&row.region_code) {
        return Ok(false);
    }
    let chunk = Chunk {
        derived: vec![Derived::of(&row, key)],
        rows: vec![row],
        errors: Vec::new(),
        rows_read: 1,
        rows_invalid: 0,
        permille: 1000,
    };
    let outcome = apply_batch(conn, &chunk, date, import_id, importer, None)?;
    Ok(outcome.held.is_empty())
}

/// A member the batch makes, in a household found or made for it.
struct NewMember<'r> {
    row: &'r RosterRow,
    name_search: &'r str,
    household: i32,
}

/// A household the batch makes, with the worklist counts of its new members.
struct NewHousehold<'r> {
    id: i32,
    row: &'r RosterRow,
    search_text: &'r str,
    open: i32,
    priority: i32,
}

// The batch's rows go to SQLite through one prepared single-row statement each (see
// `db::sqlite_bulk`) and to PostgreSQL as multi-row INSERTs; the column lists match.
const INSERT_HOUSEHOLD: &str = "INSERT INTO households (id, region_code, rt, rw, address, \
    nomor_kk, landmark, search_text, open_members, priority_members, worklist_rank, created_by, \
    created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?)";
const INSERT_MEMBER: &str = "INSERT INTO members (id, household_id, nik, name, name_search, \
    sex, birth_date, relationship, jkn_number, segment, class, status, inactive_reason, \
    created_by, created_at, updated_at) \
    VALUES (?, ?, ?, ?, ?, ?, ?, 'lainnya', ?, ?, ?, ?, ?, ?, ?, ?)";
const UPDATE_STATUS: &str = "UPDATE members SET segment = ?, status = ?, inactive_reason = ?, \
    updated_at = ? WHERE id = ?";
const INSERT_HISTORY: &str = "INSERT INTO member_history (member_id, valid_from, segment, \
    status, inactive_reason, import_id) VALUES (?, ?, ?, ?, ?, ?)";

fn insert_households(
    conn: &mut DbConnection,
    made: &[NewHousehold<'_>],
    created_by: Option<i32>,
    stamp: &SharedTimestamp,
) -> QueryResult<()> {
    let rank = |h: &NewHousehold<'_>| worklist_rank(h.open, h.priority, None);
    match conn {
        DbConnection::Sqlite(c) => {
            sqlite_bulk::rows(
                c,
                INSERT_HOUSEHOLD,
                made.iter().map(|h| {
                    let r = h.row;
                    [
                        h.id.into(),
                        r.region_code.as_str().into(),
                        r.rt.as_str().into(),
                        r.rw.as_str().into(),
                        r.address.as_str().into(),
                        r.nomor_kk.as_deref().into(),
                        h.search_text.into(),
                        h.open.into(),
                        h.priority.into(),
                        rank(h).into(),
                        created_by.into(),
                        stamp.text().into(),
                        stamp.text().into(),
                    ]
                }),
            )?;
        }
        DbConnection::Pg(c) => {
            // Owned values: a prepared statement is cached by its type, which must not borrow.
            let values: Vec<_> = made
                .iter()
                .map(|h| {
                    let r = h.row;
                    (
                        households::id.eq(h.id),
                        households::region_code.eq(r.region_code.clone()),
                        households::rt.eq(r.rt.clone()),
                        households::rw.eq(r.rw.clone()),
                        households::address.eq(r.address.clone()),
                        households::nomor_kk.eq(r.nomor_kk.clone()),
                        households::landmark.eq(""),
                        households::search_text.eq(h.search_text.to_string()),
                        households::open_members.eq(h.open),
                        households::priority_members.eq(h.priority),
                        households::worklist_rank.eq(rank(h)),
                        households::created_by.eq(created_by),
                        households::created_at.eq(stamp.clone()),
                        households::updated_at.eq(stamp.clone()),
                    )
                })
                .collect();
            for_each_statement!(&values, |rows| {
                diesel::insert_into(households::table)
                    .values(rows)
                    .execute(c)?;
            });
        }
    }
    Ok(())
}

/// New members, each with its household, under the ids reserved for them.
fn insert_members(
    conn: &mut DbConnection,
    new_rows: &[NewMember<'_>],
    ids: &[i32],
    created_by: Option<i32>,
    stamp: &SharedTimestamp,
) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => {
            sqlite_bulk::rows(
                c,
                INSERT_MEMBER,
                new_rows.iter().zip(ids).map(|(m, id)| {
                    let r = m.row;
                    [
                        (*id).into(),
                        m.household.into(),
                        r.nik.as_deref().into(),
                        r.name.as_str().into(),
                        m.name_search.into(),
                        r.sex.as_str().into(),
                        Value::Date(r.birth_date),
                        r.jkn_number.as_deref().into(),
                        r.segment.as_str().into(),
                        r.class.map(|c| c.as_str()).into(),
                        r.status.as_str().into(),
                        r.inactive_reason.map(|x| x.as_str()).into(),
                        created_by.into(),
                        stamp.text().into(),
                        stamp.text().into(),
                    ]
                }),
            )?;
        }
        DbConnection::Pg(c) => {
            let values: Vec<_> = new_rows
                .iter()
                .zip(ids)
                .map(|(m, id)| {
                    let r = m.row;
                    (
                        members::id.eq(*id),
                        members::household_id.eq(m.household),
                        members::nik.eq(r.nik.clone()),
                        members::name.eq(r.name.clone()),
                        members::name_search.eq(m.name_search.to_string()),
                        members::sex.eq(r.sex.as_str()),
                        members::birth_date.eq(BulkDate(r.birth_date)),
                        members::relationship.eq("lainnya"),
                        members::jkn_number.eq(r.jkn_number.clone()),
                        members::segment.eq(r.segment.as_str()),
                        members::class.eq(r.class.map(|c| c.as_str())),
                        members::status.eq(r.status.as_str()),
                        members::inactive_reason.eq(r.inactive_reason.map(|x| x.as_str())),
                        members::created_by.eq(created_by),
                        members::created_at.eq(stamp.clone()),
                        members::updated_at.eq(stamp.clone()),
                    )
                })
                .collect();
            for_each_statement!(&values, |rows| {
                diesel::insert_into(members::table)
                    .values(rows)
                    .execute(c)?;
            });
        }
    }
    Ok(())
}

/// Most changes are of status alone: only those columns are written, so no index entry of
/// the member is rewritten.
fn update_statuses(
    conn: &mut DbConnection,
    changes: &[(i32, &RosterRow)],
    stamp: &SharedTimestamp,
) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => {
            sqlite_bulk::rows(
                c,
                UPDATE_STATUS,
                changes.iter().map(|(id, r)| {
                    [
                        r.segment.as_str().into(),
                        r.status.as_str().into(),
                        r.inactive_reason.map(|x| x.as_str()).into(),
                        stamp.text().into(),
                        (*id).into(),
                    ]
                }),
            )?;
        }
        DbConnection::Pg(c) => {
            for (id, r) in changes {
                diesel::update(members::table.find(*id))
                    .set((
                        members::segment.eq(r.segment.as_str()),
                        members::status.eq(r.status.as_str()),
                        members::inactive_reason.eq(r.inactive_reason.map(|x| x.as_str())),
                        members::updated_at.eq(stamp.clone()),
                    ))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// One history row per member for the extract date.
fn insert_history(
    conn: &mut DbConnection,
    history: &[(i32, &RosterRow)],
    date: NaiveDate,
    import_id: i32,
) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => {
            sqlite_bulk::rows(
                c,
                INSERT_HISTORY,
                history.iter().map(|(id, r)| {
                    [
                        (*id).into(),
                        Value::Date(date),
                        r.segment.as_str().into(),
                        r.status.as_str().into(),
                        r.inactive_reason.map(|x| x.as_str()).into(),
                        import_id.into(),
                    ]
                }),
            )?;
        }
        DbConnection::Pg(c) => {
            let values: Vec<_> = history
                .iter()
                .map(|(id, r)| {
                    (
                        member_history::member_id.eq(*id),
                        member_history::valid_from.eq(BulkDate(date)),
                        member_history::segment.eq(r.segment.as_str()),
                        member_history::status.eq(r.status.as_str()),
                        member_history::inactive_reason.eq(r.inactive_reason.map(|x| x.as_str())),
                        member_history::import_id.eq(import_id),
                    )
                })
                .collect();
            for_each_statement!(&values, |rows| {
                diesel::insert_into(member_history::table)
                    .values(rows)
                    .execute(c)?;
            });
        }
    }
    Ok(())
}

/// Members already known for the rows, by row key: NIK first, then card number (only members
/// recorded without a NIK are matched by card).
fn find_existing(
    conn: &mut DbConnection,
    rows: &[&RosterRow],
) -> QueryResult<HashMap<MemberKey, Existing>> {
    let mut found: HashMap<MemberKey, Existing> = HashMap::new();
    if rows.is_empty() {
        return Ok(found);
    }
    let niks: Vec<&str> = rows.iter().filter_map(|r| r.nik.as_deref()).collect();
    for e in members::table
        .inner_join(households::table)
        .filter(members::nik.eq_any(&niks))
        .select(existing_columns())
        .load::<Existing>(conn)?
    {
        if let Some(key) = e.nik.as_deref().and_then(MemberKey::nik) {
            found.insert(key, e);
        }
    }
    let unmatched: Vec<(MemberKey, &str)> = rows
        .iter()
        .filter_map(|r| Some((r.key()?, r.jkn_number.as_deref()?)))
        .filter(|(key, _)| !found.contains_key(key))
        .collect();
    if unmatched.is_empty() {
        return Ok(found);
    }
    let cards: Vec<&str> = unmatched.iter().map(|(_, card)| *card).collect();
    let by_card: HashMap<String, Existing> = members::table
        .inner_join(households::table)
        .filter(members::jkn_number.eq_any(&cards))
        .filter(members::nik.is_null())
        .order(members::id.desc())
        .select(existing_columns())
        .load::<Existing>(conn)?
        .into_iter()
        .filter_map(|e| e.jkn_number.clone().map(|j| (j, e)))
        .collect();
    for (key, card) in unmatched {
        if let Some(e) = by_card.get(card) {
            found.insert(key, e.clone());
        }
    }
    Ok(found)
}

/// The members a roster row may match, loaded once per import: every NIK in the database and
/// the card numbers of members recorded without one. Rows matching none of them are new and
/// need no lookup, which is nearly every row of a first import. 8 bytes a member, sorted.
struct KnownMembers {
    keys: Vec<MemberKey>,
}

impl KnownMembers {
    /// Read through the NIK index and the card index of members without a NIK, in pages.
    fn load(conn: &mut DbConnection) -> QueryResult<Self> {
        const PAGE: i64 = 100_000;
        let mut keys = Vec::new();
        let mut after = String::new();
        loop {
            let page: Vec<String> = members::table
                .filter(members::nik.gt(&after))
                .order(members::nik)
                .limit(PAGE)
                .select(members::nik.assume_not_null())
                .load(conn)?;
            keys.extend(page.iter().filter_map(|nik| MemberKey::nik(nik)));
            match page.into_iter().last() {
                Some(last) => after = last,
                None => break,
            }
        }
        let cards: Vec<String> = members::table
            .filter(members::nik.is_null())
            .filter(members::jkn_number.is_not_null())
            .select(members::jkn_number.assume_not_null())
            .load(conn)?;
        keys.extend(cards.iter().filter_map(|card| MemberKey::card(card)));
        keys.sort_unstable();
        keys.dedup();
        Ok(Self { keys })
    }

    fn may_hold(&self, row: &RosterRow) -> bool {
        let holds =
            |key: Option<MemberKey>| key.is_some_and(|k| self.keys.binary_search(&k).is_ok());
        holds(row.nik.as_deref().and_then(MemberKey::nik))
            || holds(row.jkn_number.as_deref().and_then(MemberKey::card))
    }
}

/// Tables whose new rows get their ids before they are inserted, so a batch knows them without
/// reading them back.
#[derive(Clone, Copy)]
enum IdTable {
    Households,
    Members,
}

/// Reserves `n` new ids in `table`. On SQLite the batch's transaction holds the write lock, so
/// the ids after the largest one stay free until it commits; on PostgreSQL they come from the
/// table's sequence, as a plain insert's would.
fn reserve_ids(conn: &mut DbConnection, table: IdTable, n: usize) -> QueryResult<Vec<i32>> {
    use diesel::sql_types::{BigInt, Integer};
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = Integer)]
        id: i32,
    }
    match conn {
        DbConnection::Sqlite(c) => {
            let largest: Option<i32> = match table {
                IdTable::Households => households::table
                    .select(diesel::dsl::max(households::id))
                    .first(c)?,
                IdTable::Members => members::table
                    .select(diesel::dsl::max(members::id))
                    .first(c)?,
            };
            let first = largest.unwrap_or(0) + 1;
            Ok((first..first + n as i32).collect())
        }
        DbConnection::Pg(c) => {
            let name = match table {
                IdTable::Households => "households",
                IdTable::Members => "members",
            };
            Ok(diesel::sql_query(format!(
                "SELECT nextval(pg_get_serial_sequence('{name}', 'id'))::integer AS id \
             FROM generate_series(1, $1)"
            ))
            .bind::<BigInt, _>(n as i64)
            .load::<Id>(c)?
            .into_iter()
            .map(|row| row.id)
            .collect())
        }
    }
}

/// Households for the rows' household keys, lowest id first when several match.
fn find_households(
    conn: &mut DbConnection,
    rows: &[&RosterRow],
) -> QueryResult<HashMap<HouseholdKey, i32>> {
    let mut regions_kk: Vec<&str> = Vec::new();
    let mut kks: Vec<&str> = Vec::new();
    let mut regions_addr: Vec<&str> = Vec::new();
    let mut addresses: Vec<String> = Vec::new();
    for row in rows {
        match &row.nomor_kk {
            Some(kk) => {
                regions_kk.push(&row.region_code);
                kks.push(kk);
            }
            None => {
                regions_addr.push(&row.region_code);
                addresses.push(row.address.to_lowercase());
            }
        }
    }
    let mut found: HashMap<HouseholdKey, i32> = HashMap::new();
    if !kks.is_empty() {
        regions_kk.sort_unstable();
        regions_kk.dedup();
        for (id, region, kk) in households::table
            .filter(households::nomor_kk.eq_any(&kks))
            .filter(households::region_code.eq_any(&regions_kk))
            .order(households::id.desc())
            .select((
                households::id,
                households::region_code,
                households::nomor_kk,
            ))
            .load::<(i32, String, Option<String>)>(conn)?
        {
            if let Some(kk) = kk {
                found.insert(HouseholdKey::kk(&region, &kk), id);
            }
        }
    }
    if !addresses.is_empty() {
        regions_addr.sort_unstable();
        regions_addr.dedup();
        for (id, region, rt, rw, address) in households::table
            .filter(lower(households::address).eq_any(&addresses))
            .filter(households::region_code.eq_any(&regions_addr))
            .order(households::id.desc())
            .select((
                households::id,
                households::region_code,
                households::rt,
                households::rw,
                households::address,
            ))
            .load::<(i32, String, String, String, String)>(conn)?
        {
            found.insert(
                HouseholdKey::Address(region, rt, rw, address.to_lowercase()),
                id,
            );
        }
    }
    Ok(found)
}

/// Recomputes the worklist counts of many households in a few statements, writing only the
/// households whose counts changed.
pub fn refresh_households(conn: &mut DbConnection, ids: &HashSet<i32>) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let ids: Vec<i32> = ids.iter().copied().collect();
    let mut changed: Vec<[i32; 4]> = Vec::new();
    for chunk in ids.chunks(5_000) {
        let mut counts: HashMap<i32, (i32, i32)> = chunk.iter().map(|id| (*id, (0, 0))).collect();
        for (household, segment, status, reason) in members::table
            .filter(members::household_id.eq_any(chunk))
            .select((
                members::household_id,
                members::segment,
                members::status,
                members::inactive_reason,
            ))
            .load::<(i32, String, String, Option<String>)>(conn)?
        {
            let entry = counts.entry(household).or_default();
            if MemberStatus::parse(&status).is_some_and(MemberStatus::is_open) {
                entry.0 += 1;
            }
            if is_priority(&segment, &status, reason.as_deref()) {
                entry.1 += 1;
            }
        }
        for (id, open, priority, last, rank) in households::table
            .filter(households::id.eq_any(chunk))
            .select((
                households::id,
                households::open_members,
                households::priority_members,
                households::last_visited_on,
                households::worklist_rank,
            ))
            .load::<(i32, i32, i32, Option<NaiveDate>, i32)>(conn)?
        {
            let (new_open, new_priority) = counts.get(&id).copied().unwrap_or_default();
            let new_rank = worklist_rank(new_open, new_priority, last);
            if (open, priority, rank) != (new_open, new_priority, new_rank) {
                changed.push([new_open, new_priority, new_rank, id]);
            }
        }
    }
    match conn {
        DbConnection::Sqlite(c) => {
            sqlite_bulk::rows(
                c,
                "UPDATE households SET open_members = ?, priority_members = ?, \
                 worklist_rank = ? WHERE id = ?",
                changed.iter().map(|values| values.map(Value::from)),
            )?;
        }
        DbConnection::Pg(c) => {
            for [open, priority, rank, id] in changed {
                diesel::update(households::table.find(id))
                    .set((
                        households::open_members.eq(open),
                        households::priority_members.eq(priority),
                        households::worklist_rank.eq(rank),
                    ))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// Confirms the reported claims of members the roster shows active (reported on or before the
/// extract date), and flags those still inactive `FLAG_AFTER_DAYS` after their report.
fn reconcile(
    conn: &mut DbConnection,
    active: &[i32],
    inactive: &[i32],
    date: NaiveDate,
) -> QueryResult<(i32, i32)> {
    let reported = ClaimState::Reported.as_str();
    let to_confirm: Vec<(i32, i32, String, i32, Option<NaiveDate>)> = if active.is_empty() {
        Vec::new()
    } else {
        reactivations::table
            .filter(reactivations::member_id.eq_any(active))
            .filter(reactivations::state.eq(reported))
            .filter(reactivations::reported_on.le(date))
            .select((
                reactivations::id,
                reactivations::member_id,
                reactivations::region_code,
                reactivations::reported_by,
                reactivations::flagged_on,
            ))
            .load(conn)?
    };
    let at = now();
    for (id, member_id, region, reporter, flagged_on) in &to_confirm {
        diesel::update(reactivations::table.find(id))
            .set((
                reactivations::state.eq(ClaimState::Confirmed.as_str()),
                reactivations::decided_via.eq("roster"),
                reactivations::decided_at.eq(at),
                reactivations::decision_reason.eq(format!("Aktif di data BPJS per {date}")),
            ))
            .execute(conn)?;
        bump_activity(
            conn,
            region,
            *reporter,
            ActivityDelta {
                reported: -1,
                confirmed: 1,
                flagged: -i32::from(flagged_on.is_some()),
                ..Default::default()
            },
        )?;
        audit::record(
            conn,
            None,
            "reactivation.confirm_by_roster",
            "member",
            &member_id.to_string(),
            &format!("claim {id}, extract {date}"),
        )?;
    }
    let to_flag: Vec<(i32, String, i32)> = if inactive.is_empty() {
        Vec::new()
    } else {
        reactivations::table
            .filter(reactivations::member_id.eq_any(inactive))
            .filter(reactivations::state.eq(reported))
            .filter(reactivations::flagged_on.is_null())
            .filter(reactivations::reported_on.le(date - Duration::days(FLAG_AFTER_DAYS)))
            .select((
                reactivations::id,
                reactivations::region_code,
                reactivations::reported_by,
            ))
            .load(conn)?
    };
    for (id, region, reporter) in &to_flag {
        diesel::update(reactivations::table.find(id))
            .set(reactivations::flagged_on.eq(date))
            .execute(conn)?;
        bump_activity(
            conn,
            region,
            *reporter,
            ActivityDelta {
                flagged: 1,
                ..Default::default()
            },
        )?;
    }
    Ok((to_confirm.len() as i32, to_flag.len() as i32))
}

/// Writes the extract date's registered/active per kelurahan (and per segment) from the
/// roster, keeping the population from imported figures (of that date, else the nearest
/// earlier one, else the nearest later one), then rebuilds that date's roll-ups.
fn derive_figures(
    conn: &mut DbConnection,
    tally: &Tally,
    date: NaiveDate,
    importer: &Importer<'_>,
) -> QueryResult<()> {
    let codes: Vec<&String> = tally.regions.keys().collect();
    let at = now();
    for chunk in codes.chunks(2_000) {
        let known: Vec<(String, NaiveDate, i32)> = figures::table
            .filter(figures::region_code.eq_any(chunk))
            .select((
                figures::region_code,
                figures::figure_date,
                figures::population,
            ))
            .load(conn)?;
        let mut population: HashMap<&str, (NaiveDate, i32)> = HashMap::new();
        let mut on_date: HashSet<&str> = HashSet::new();
        for (code, day, pop) in &known {
            if *day == date {
                on_date.insert(code);
            }
            // Closest date wins, earlier before later at the same distance.
            let distance = |d: NaiveDate| ((d - date).num_days().abs(), d > date);
            let better = population
                .get(code.as_str())
                .is_none_or(|(d, _)| distance(*day) < distance(*d));
            if better {
                population.insert(code, (*day, *pop));
            }
        }
        for code in chunk {
            let t = &tally.regions[*code];
            if on_date.contains(code.as_str()) {
                diesel::update(figures::table.find((code.as_str(), date)))
                    .set((
                        figures::registered.eq(t.registered as i32),
                        figures::active.eq(t.active as i32),
                        figures::source.eq("roster"),
                        figures::imported_at.eq(at),
                        figures::imported_by.eq(importer.user_id()),
                    ))
                    .execute(conn)?;
            } else {
                diesel::insert_into(figures::table)
                    .values((
                        figures::region_code.eq(code.as_str()),
                        figures::figure_date.eq(date),
                        figures::population
                            .eq(population.get(code.as_str()).map_or(0, |(_, p)| *p)),
                        figures::registered.eq(t.registered as i32),
                        figures::active.eq(t.active as i32),
                        figures::source.eq("roster"),
                        figures::imported_at.eq(at),
                        figures::imported_by.eq(importer.user_id()),
                    ))
                    .execute(conn)?;
            }
        }
        diesel::delete(
            figure_segments::table
                .filter(figure_segments::region_code.eq_any(chunk))
                .filter(figure_segments::figure_date.eq(date)),
        )
        .execute(conn)?;
        let segments: Vec<_> = chunk
            .iter()
            .flat_map(|code| {
                tally.regions[*code]
                    .segments
                    .iter()
                    .map(move |(segment, (registered, active))| {
                        (
                            figure_segments::region_code.eq(code.as_str()),
                            figure_segments::figure_date.eq(date),
                            figure_segments::segment.eq(segment.as_str()),
                            figure_segments::registered.eq(Some(*registered as i32)),
                            figure_segments::active.eq(Some(*active as i32)),
                        )
                    })
            })
            .collect();
        for part in segments.chunks(1_000) {
            crate::with_backend!(conn, c => diesel::insert_into(figure_segments::table).values(part).execute(c))?;
        }
    }
    crate::figures::store::rebuild_rollups(conn, date)
}

/// A member's status and segment on a date, from the roster history (`None` before the first
/// extract that listed them).
pub fn status_on(
    conn: &mut DbConnection,
    member_id: i32,
    date: NaiveDate,
) -> QueryResult<Option<(String, String)>> {
    member_history::table
        .filter(member_history::member_id.eq(member_id))
        .filter(member_history::valid_from.le(date))
        .order(member_history::valid_from.desc())
        .select((member_history::status, member_history::segment))
        .first(conn)
        .optional()
}

/// Values the importer did not understand, most frequent first: (column, value, rows).
pub fn unknown_values(
    conn: &mut DbConnection,
    import_id: i32,
    limit: i64,
) -> QueryResult<Vec<(String, String, i64)>> {
    roster_import_errors::table
        .filter(roster_import_errors::import_id.eq(import_id))
        .filter(roster_import_errors::column_name.eq_any([
            "segmen",
            "status",
            "kelas",
            "alasan_nonaktif",
            "jenis_kelamin",
        ]))
        .group_by((
            roster_import_errors::column_name,
            roster_import_errors::value,
        ))
        .select((
            roster_import_errors::column_name,
            roster_import_errors::value,
            diesel::dsl::count_star(),
        ))
        .order((
            diesel::dsl::count_star().desc(),
            roster_import_errors::value,
        ))
        .limit(limit)
        .load(conn)
}

/// An invalid cell of an import: line, column, value, message.
pub type ErrorRow = (i32, String, String, String);

/// The invalid cells of an import on lines after `after_line`, in line order.
pub fn errors_after(
    conn: &mut DbConnection,
    import_id: i32,
    after_line: i32,
    limit: i64,
) -> QueryResult<Vec<ErrorRow>> {
    roster_import_errors::table
        .filter(roster_import_errors::import_id.eq(import_id))
        .filter(roster_import_errors::line.gt(after_line))
        .order((
            roster_import_errors::line,
            roster_import_errors::column_name,
        ))
        .select((
            roster_import_errors::line,
            roster_import_errors::column_name,
            roster_import_errors::value,
            roster_import_errors::message,
        ))
        .limit(limit)
        .load(conn)
}

/// The invalid rows of an import as CSV: baris, kolom, nilai, pesan. Values that a spreadsheet
/// would take for a formula are prefixed with an apostrophe.
pub fn write_error_report(
    conn: &mut DbConnection,
    import_id: i32,
    out: impl std::io::Write,
) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["baris", "kolom", "nilai", "pesan"])?;
    let mut after = 0;
    loop {
        let page = errors_after(conn, import_id, after, 5_000)?;
        let Some(last) = page.last().map(|r| r.0) else {
            break;
        };
        // A page may end inside a line: take that whole line in the next page.
        let complete: Vec<_> = if page.len() == 5_000 {
            page.iter().filter(|r| r.0 < last).collect()
        } else {
            page.iter().collect()
        };
        if complete.is_empty() {
            // One line with 5,000 errors cannot happen (14 columns); guard the loop anyway.
            break;
        }
        for (line, column, value, message) in &complete {
            writer.write_record([
                line.to_string().as_str(),
                column,
                &crate::progress::export::neutralise(value),
                message,
            ])?;
        }
        after = complete.last().map_or(last, |r| r.0);
        if page.len() < 5_000 {
            break;
        }
    }
    writer.flush()?;
    Ok(())
}

/// One period of a member's roster history.
#[derive(Queryable, Debug, Clone)]
pub struct HistoryRow {
    pub valid_from: NaiveDate,
    pub status: String,
    pub segment: String,
    pub inactive_reason: Option<String>,
}

impl HistoryRow {
    pub fn status_label(&self) -> &'static str {
        MemberStatus::parse(&self.status).map_or("?", MemberStatus::label)
    }
    pub fn segment_label(&self) -> &'static str {
        Segment::parse(&self.segment).map_or("?", Segment::label)
    }
    pub fn reason_label(&self) -> &'static str {
        self.inactive_reason
            .as_deref()
            .and_then(crate::members::InactiveReason::parse)
            .map_or("", crate::members::InactiveReason::label)
    }
}

/// A member's roster history, latest first.
pub fn history_of(conn: &mut DbConnection, member_id: i32) -> QueryResult<Vec<HistoryRow>> {
    member_history::table
        .filter(member_history::member_id.eq(member_id))
        .order(member_history::valid_from.desc())
        .select((
            member_history::valid_from,
            member_history::status,
            member_history::segment,
            member_history::inactive_reason,
        ))
        .limit(60)
        .load(conn)
}

/// Of these households (id, kelurahan), those in a kelurahan a roster has covered but none of
/// whose members any roster listed: the field found them, BPJS does not know them.
pub fn not_in_roster(
    conn: &mut DbConnection,
    households: &[(i32, &str)],
) -> QueryResult<HashSet<i32>> {
    if households.is_empty() {
        return Ok(HashSet::new());
    }
    let mut codes: Vec<&str> = households.iter().map(|(_, c)| *c).collect();
    codes.sort_unstable();
    codes.dedup();
    let covered: HashSet<String> = figures::table
        .filter(figures::region_code.eq_any(&codes))
        .filter(figures::source.eq("roster"))
        .select(figures::region_code)
        .distinct()
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let candidates: Vec<i32> = households
        .iter()
        .filter(|(_, code)| covered.contains(*code))
        .map(|(id, _)| *id)
        .collect();
    if candidates.is_empty() {
        return Ok(HashSet::new());
    }
    let listed: HashSet<i32> = member_history::table
        .inner_join(members::table)
        .filter(members::household_id.eq_any(&candidates))
        .filter(member_history::import_id.is_not_null())
        .select(members::household_id)
        .distinct()
        .load::<i32>(conn)?
        .into_iter()
        .collect();
    Ok(candidates
        .into_iter()
        .filter(|id| !listed.contains(id))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn household_codes_become_numbers_only_when_all_digits() {
        assert_eq!(digits("32.73.01.1001"), Some(3_273_011_001));
        assert_eq!(digits("3273010000000001"), Some(3_273_010_000_000_001));
        assert_eq!(digits(""), None);
        assert_eq!(digits("32.73.0A"), None);
        assert_eq!(digits("99999999999999999999"), None);
    }

    #[test]
    fn held_rows_come_out_of_the_tally() {
        use crate::members::identity::Sex;
        let row = |code: &str, status: MemberStatus| RosterRow {
            line: 2,
            nik: None,
            nomor_kk: None,
            name: "A".into(),
            sex: Sex::Female,
            birth_date: NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
            region_code: code.into(),
            rt: String::new(),
            rw: String::new(),
            address: String::new(),
            jkn_number: None,
            segment: Segment::Pbpu,
            class: None,
            status,
            inactive_reason: None,
        };
        let mut all = Tally::default();
        let mut held = Tally::default();
        let kept = row("32.73.01.1001", MemberStatus::Inactive);
        let moved = row("32.73.01.1001", MemberStatus::Active);
        let alone = row("32.73.01.1002", MemberStatus::Active);
        for r in [&kept, &moved, &alone] {
            all.add(r);
        }
        held.add(&moved);
        held.add(&alone);
        all.remove(&held);
        let left = &all.regions["32.73.01.1001"];
        assert_eq!((left.rows, left.registered, left.active), (1, 1, 0));
        assert_eq!(left.segments.get(&Segment::Pbpu), Some(&(1, 0)));
        assert!(!all.regions.contains_key("32.73.01.1002"));
    }

    #[test]
    fn seen_members_keeps_every_key_once_across_merges() {
        let key = |n: u64| MemberKey::nik(&format!("{n:016}")).unwrap();
        let mut seen = SeenMembers::default();
        let total = 3 * SeenMembers::RECENT as u64 + 17;
        // Keys in a scattered order, so merges interleave with what is already sorted.
        let scattered = |i: u64| (i * 7_919) % total;
        for i in 0..total {
            assert!(seen.insert(key(scattered(i))), "first time {i}");
        }
        for i in (0..total).step_by(97) {
            assert!(!seen.insert(key(i)), "second time {i}");
        }
        assert!(seen.sorted.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(seen.sorted.len() + seen.recent.len(), total as usize);
        assert!(seen.insert(key(total)));
    }
}
