//! Running a roster import: the file read and checked on one thread while another applies
//! its rows in batches of `BATCH` (one transaction each, see `batch`), progress and bad cells
//! saved as it goes, and at the end the extract date's figures derived from the rows.
//!
//! Re-running the same file gives the same database: every step is an upsert keyed on the
//! member and the extract date.

use std::path::Path;

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
// The import's maps and sets take several lookups for each of millions of rows; foldhash
// hashes their keys several times faster than the standard SipHash, with a seed of its own
// per process.
use foldhash::{HashMap, HashMapExt, HashSet};

use super::batch::{BatchOutcome, Derived, KnownMembers, apply_batch};
use super::read::{Header, check};
use super::tally::Tally;
use super::{CellError, ImportState, MemberKey, RosterRow};
use crate::audit;
use crate::auth::CurrentUser;
use crate::db::schema::{regions, roster_import_errors, roster_imports};
use crate::db::{DbConnection, now, write_transaction};
use crate::tabular::{Limits, Row, Table};

/// Rows per transaction: large, because each transaction rewrites every index page it touches
/// (in SQLite's WAL) and the member indexes are touched at random; small enough that a
/// transaction holds the write lock well under a second, so field visits are not held up.
const BATCH: usize = 10_000;

/// Batches between the import's own WAL checkpoints (see `wal_catch_up`).
const CATCH_UP_EVERY: usize = 16;
/// Error rows kept per import; beyond that only the count grows.
const MAX_ERRORS: i32 = 50_000;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub permille: i32,
    pub rows_read: i32,
    pub rows_invalid: i32,
    /// Rows taken with a warning: an identifier a spreadsheet damaged, left out.
    pub rows_warned: i32,
    /// Rows not applied: the member lives outside the importer's areas (see `moves`).
    pub rows_held: i32,
    pub members_created: i32,
    pub members_changed: i32,
    pub households_created: i32,
    pub claims_confirmed: i32,
    pub claims_flagged: i32,
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
    pub(super) fn covers(&self, code: &str) -> bool {
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
            roster_imports::state.eq(ImportState::Running),
            roster_imports::started_at.eq(at),
            roster_imports::updated_at.eq(at),
        ))
        .returning(roster_imports::id)
        .get_result(c))
}

/// Marks imports left `berjalan` by a stopped server as failed (re-running them is safe).
pub fn fail_interrupted(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::update(roster_imports::table.filter(roster_imports::state.eq(ImportState::Running)))
        .set((
            roster_imports::state.eq(ImportState::Failed),
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
                    roster_imports::state.eq(ImportState::Failed),
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
    let mut source = Table::open(path, Limits::ROSTER)?;
    let mut header = match source.next_row() {
        Some(Ok(row)) => Header::parse(&row.cells)?,
        Some(Err(message)) => return Err(message),
        None => return Err("Berkas kosong.".into()),
    };
    header.decimal_comma = source.decimal_comma();
    scan(path, header.width)?;
    if !header.ignored.is_empty() {
        diesel::update(roster_imports::table.find(import_id))
            .set(roster_imports::ignored_columns.eq(header.ignored.join(", ")))
            .execute(conn)
            .map_err(db_error)?;
    }
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
        let reader = scope.spawn(|| read_chunks(source, &header, &known, importer, tx, used_rx));
        let mut written: Result<(), String> = Ok(());
        let mut batches = 0usize;
        for mut chunk in rx.iter() {
            progress.rows_read += chunk.rows_read;
            progress.rows_invalid += chunk.rows_invalid;
            progress.rows_warned += chunk.rows_warned;
            progress.permille = chunk.permille;
            let keep = (MAX_ERRORS - errors_kept).max(0) as usize;
            chunk.errors.truncate(keep);
            errors_kept += chunk.errors.len() as i32;
            let keep = (MAX_ERRORS - errors_kept).max(0) as usize;
            chunk.warnings.truncate(keep);
            errors_kept += chunk.warnings.len() as i32;
            let write = |conn: &mut DbConnection, known: Option<&KnownMembers>| {
                write_transaction(conn, |conn| {
                    let outcome = apply_batch(
                        conn,
                        &chunk.rows,
                        &chunk.derived,
                        extract_date,
                        import_id,
                        importer,
                        known,
                    )?;
                    save_errors(conn, import_id, &chunk.errors, false)?;
                    save_errors(conn, import_id, &chunk.warnings, true)?;
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
    if progress.rows_read == 0 {
        return Err(HEADER_ONLY.into());
    }
    progress.permille = 1000;
    tally.remove(&held);
    write_transaction(conn, |conn| {
        crate::figures::derive::from_roster(
            conn,
            &tally.units(),
            extract_date,
            importer.user_id(),
        )?;
        save_progress(conn, import_id, &progress)?;
        diesel::update(roster_imports::table.find(import_id))
            .set(roster_imports::state.eq(ImportState::Done))
            .execute(conn)?;
        audit::record(
            conn,
            importer.user_id(),
            "roster.import",
            "roster_import",
            &import_id.to_string(),
            &format!(
                "file={} date={extract_date} rows={} invalid={} warned={} held={} created={} changed={} confirmed={} flagged={}",
                path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
                progress.rows_read,
                progress.rows_invalid,
                progress.rows_warned,
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
    /// Cells of rows taken with a repair.
    warnings: Vec<CellError>,
    rows_read: i32,
    rows_invalid: i32,
    rows_warned: i32,
    permille: i32,
}

/// Reads and checks the file, sending batches of `BATCH` valid rows; returns the tally of all
/// valid rows, or why the file could not be read. Stops early when the writer has gone.
/// The last record without a line break after it, short of cells when every row before was
/// whole: the file was cut off while it was saved or copied. `short_rows`: whether a row before
/// was short (a writer leaving out empty last cells), updated here.
fn cut_off(
    source: &Table,
    line: usize,
    cells: usize,
    width: usize,
    short_rows: &mut bool,
) -> Result<(), String> {
    let short = cells < width;
    if short && !*short_rows && source.last_row_unterminated() {
        return Err(format!(
            "Baris {line} terpotong: {cells} dari {width} kolom, tanpa akhir baris. Berkas \
             tampaknya tidak lengkap (terpotong saat disimpan atau disalin); impor \
             dihentikan. Unggah berkas yang utuh."
        ));
    }
    *short_rows |= short;
    Ok(())
}

/// Reads the whole file once before anything is written: a file that cannot be read to its end
/// (a row in another encoding, a limit, a cut-off last record, no data rows) fails here and
/// leaves the database as it was, instead of after some batches were applied.
fn scan(path: &Path, width: usize) -> Result<(), String> {
    let mut source = Table::open(path, Limits::ROSTER)?;
    let mut rows = 0usize;
    let mut short_rows = false;
    // The header was read by the caller.
    source.next_row().transpose()?;
    while let Some(row) = source.next_row() {
        let Row { line, cells } = row?;
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        cut_off(&source, line, cells.len(), width, &mut short_rows)?;
        rows += 1;
    }
    if rows == 0 {
        return Err(HEADER_ONLY.into());
    }
    Ok(())
}

const HEADER_ONLY: &str = "Berkas hanya berisi baris judul, tanpa satu pun baris data; tidak \
    ada yang diimpor. Periksa apakah berkas yang diunggah sudah benar.";

fn read_chunks(
    mut source: Table,
    header: &Header,
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
    let mut tally = Tally::default();
    // Members seen so far: a member listed twice counts once.
    let mut seen = SeenMembers::default();
    // Whether a row had fewer cells than the header (a writer leaving out empty last cells).
    let mut short_rows = false;
    let empty = || match used.try_recv() {
        Ok(mut chunk) => {
            chunk.rows.clear();
            chunk.derived.clear();
            chunk.errors.clear();
            chunk.warnings.clear();
            chunk.rows_read = 0;
            chunk.rows_invalid = 0;
            chunk.rows_warned = 0;
            chunk
        }
        Err(_) => Chunk {
            rows: Vec::with_capacity(BATCH),
            derived: Vec::with_capacity(BATCH),
            errors: Vec::new(),
            warnings: Vec::new(),
            rows_read: 0,
            rows_invalid: 0,
            rows_warned: 0,
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
            // The last record without a line break after it, short of cells when every row
            // before was whole: the file was cut off while it was saved or copied. Nothing of
            // it is applied from here on.
            cut_off(&source, line, cells.len(), header.width, &mut short_rows)?;
            chunk.rows_read += 1;
            let warned_before = chunk.warnings.len();
            match check(
                header,
                line,
                &cells,
                source.numeric_cells(),
                &region_ok,
                &mut chunk.warnings,
            ) {
                Ok(row) => {
                    if let Some(key) = row.key().filter(|key| seen.insert(*key)) {
                        chunk.rows_warned += i32::from(chunk.warnings.len() > warned_before);
                        tally.add(&row);
                        chunk.derived.push(Derived::of(&row, key));
                        chunk.rows.push(row);
                    } else {
                        // A skipped row is reported as skipped, not also as repaired.
                        chunk.warnings.truncate(warned_before);
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
            roster_imports::rows_warned.eq(p.rows_warned),
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

fn save_errors(
    conn: &mut DbConnection,
    import_id: i32,
    errors: &[CellError],
    warning: bool,
) -> QueryResult<()> {
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
                roster_import_errors::warning.eq(warning),
            )
        })
        .collect();
    for chunk in values.chunks(2_000) {
        crate::with_backend!(conn, c => diesel::insert_into(roster_import_errors::table).values(chunk).execute(c))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
