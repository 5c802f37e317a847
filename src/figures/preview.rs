//! A checked figures file waiting to be applied (issue 19: preview, then apply). The rows are
//! kept in the database, not in a process, so any server sharing it can apply them: as text
//! chunks of `CHUNK_ROWS` rows, with the page's summary as JSON. Each user has at most one
//! waiting preview (a new upload replaces it) and previews expire after `LIFETIME_HOURS`, so
//! what is kept stays bounded by the users and the reader's row limit. Applying one imports
//! its rows inside `submissions::once` (keyed by the preview), drops its rows and keeps the
//! answer, so a repeat shows the same result.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::parse::ParsedFile;
use super::store::{self, ImportError};
use super::{FigureRow, RowError};
use crate::auth::CurrentUser;
use crate::db::schema::{figure_preview_chunks, figure_previews, regions};
use crate::db::{DbConnection, now, write_transaction};
use crate::error::AppError;
use crate::members::Segment;
use crate::submissions::{self, Submitted};

/// How long a preview may wait for its button.
pub const LIFETIME_HOURS: i64 = 24;
/// Rows per stored chunk (a few hundred kilobytes of text).
const CHUNK_ROWS: usize = 5_000;
/// How many of each list the summary keeps (the page shows them; the counts are whole).
const KEEP: usize = 20;
/// How many of the largest changes against the previous date are shown.
const TOP_CHANGES: usize = 10;

/// One unit whose active members moved against its previous date.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Change {
    pub code: String,
    pub name: String,
    pub date: NaiveDate,
    pub previous_date: NaiveDate,
    pub previous: i64,
    pub active: i64,
    /// Percent, signed.
    pub percent: f64,
}

/// What applying the file would do, as the preview page shows it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub rows: usize,
    pub dates: Vec<NaiveDate>,
    /// (unit, date) pairs with no figures from a file yet.
    pub new_units: usize,
    /// (unit, date) pairs whose figures from a file this replaces.
    pub changed_units: usize,
    pub changes: Vec<Change>,
    pub header_line: usize,
    pub skipped: Vec<(usize, String)>,
    pub skipped_total: usize,
    pub ignored_columns: Vec<String>,
    pub warnings: Vec<RowError>,
    pub warnings_total: usize,
    /// The sentence the import's answer ends with (rows skipped, columns ignored, warnings).
    pub notes: String,
}

impl Summary {
    pub fn dates_text(&self) -> String {
        dates_text(&self.dates)
    }
}

fn dates_text(dates: &[NaiveDate]) -> String {
    dates
        .iter()
        .map(|d| d.format("%d-%m-%Y").to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A stored preview, as its owner sees it.
pub struct Preview {
    pub key: String,
    pub file_name: String,
    pub created_at: NaiveDateTime,
    pub summary: Summary,
    /// Set once applied: the answer the apply gave.
    pub applied: Option<String>,
}

/// A file refused whole: every error, and how many data rows it had and how many of them
/// were without fault.
pub struct Refused {
    pub errors: Vec<RowError>,
    pub rows_read: usize,
    pub rows_clean: usize,
}

/// Checks a read file against the database: its errors (the file's own, then regions and
/// scope), or what applying it would do. Writes nothing.
pub fn check(
    conn: &mut DbConnection,
    mut parsed: ParsedFile,
    user: &CurrentUser,
) -> Result<Result<(Summary, Vec<FigureRow>), Refused>, AppError> {
    let mut errors = std::mem::take(&mut parsed.errors);
    let region_errors = store::region_errors(conn, &parsed.rows, Some(user))?;
    if !errors.is_empty() || !region_errors.is_empty() {
        let faulty = |errors: &[RowError]| -> std::collections::BTreeSet<usize> {
            errors.iter().map(|e| e.line).filter(|l| *l > 0).collect()
        };
        let refused_rows = faulty(&region_errors).len();
        let rows_read = parsed.rows.len() + faulty(&errors).len();
        errors.extend(region_errors);
        errors.sort_by_key(|e| e.line);
        return Ok(Err(Refused {
            errors,
            rows_read,
            rows_clean: parsed.rows.len().saturating_sub(refused_rows),
        }));
    }
    let previous = store::previous_active(conn, &parsed.rows)?;
    parsed
        .warnings
        .extend(store::change_warnings(conn, &parsed.rows)?);
    let mut changes: Vec<(usize, NaiveDate, i32, f64)> = parsed
        .rows
        .iter()
        .zip(&previous)
        .enumerate()
        .filter_map(|(i, (row, prev))| {
            let (date, before) = (*prev)?;
            store::change_of(before, row.active).map(|c| (i, date, before, c))
        })
        .filter(|(_, _, _, c)| *c != 0.0)
        .collect();
    changes.sort_by(|a, b| b.3.abs().total_cmp(&a.3.abs()));
    changes.truncate(TOP_CHANGES);
    let codes: Vec<&str> = changes
        .iter()
        .map(|(i, ..)| parsed.rows[*i].region_code.as_str())
        .collect();
    let names: std::collections::HashMap<String, String> = regions::table
        .filter(regions::code.eq_any(&codes))
        .select((regions::code, regions::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let changes = changes
        .into_iter()
        .map(|(i, previous_date, before, change)| {
            let row = &parsed.rows[i];
            Change {
                code: row.region_code.clone(),
                name: names.get(&row.region_code).cloned().unwrap_or_default(),
                date: row.date,
                previous_date,
                previous: i64::from(before),
                active: row.active,
                percent: change * 100.0,
            }
        })
        .collect();
    let changed_units = store::units_on_file(conn, &parsed.rows)?;
    let dates: std::collections::BTreeSet<NaiveDate> = parsed.rows.iter().map(|r| r.date).collect();
    let summary = Summary {
        rows: parsed.rows.len(),
        dates: dates.into_iter().collect(),
        new_units: parsed.rows.len().saturating_sub(changed_units),
        changed_units,
        changes,
        header_line: parsed.header_line,
        skipped: parsed.skipped.iter().take(KEEP).cloned().collect(),
        skipped_total: parsed.skipped.len(),
        ignored_columns: parsed.ignored_columns.iter().take(KEEP).cloned().collect(),
        warnings: parsed.warnings.iter().take(KEEP).cloned().collect(),
        warnings_total: parsed.warnings.len(),
        notes: parsed.notes(),
    };
    Ok(Ok((summary, parsed.rows)))
}

/// One row as a line of a chunk: tab-separated, segments as `segment:registered:active`.
fn encode(row: &FigureRow, out: &mut String) {
    use std::fmt::Write;
    let _ = write!(
        out,
        "{}\t{}\t{}\t{}\t{}\t{}",
        row.line, row.region_code, row.date, row.population, row.registered, row.active
    );
    for (segment, registered, active) in &row.segments {
        let n = |v: &Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        let _ = write!(
            out,
            "\t{}:{}:{}",
            segment.as_str(),
            n(registered),
            n(active)
        );
    }
    out.push('\n');
}

fn decode(line: &str) -> Option<FigureRow> {
    let mut cells = line.split('\t');
    let mut next = || cells.next();
    let line_no = next()?.parse().ok()?;
    let region_code = next()?.to_string();
    let date = next()?.parse().ok()?;
    let population = next()?.parse().ok()?;
    let registered = next()?.parse().ok()?;
    let active = next()?.parse().ok()?;
    let mut segments = Vec::new();
    for cell in cells {
        let mut parts = cell.split(':');
        let segment = Segment::parse(parts.next()?)?;
        let n = |v: Option<&str>| -> Option<Option<i64>> {
            match v? {
                "" => Some(None),
                n => n.parse().ok().map(Some),
            }
        };
        segments.push((segment, n(parts.next())?, n(parts.next())?));
    }
    Some(FigureRow {
        line: line_no,
        region_code,
        date,
        population,
        registered,
        active,
        segments,
    })
}

/// Deletes previews and their rows (chunks first: foreign keys may be off).
fn delete_previews(conn: &mut DbConnection, ids: &[i32]) -> QueryResult<()> {
    for chunk in ids.chunks(500) {
        diesel::delete(
            figure_preview_chunks::table.filter(figure_preview_chunks::preview_id.eq_any(chunk)),
        )
        .execute(conn)?;
        diesel::delete(figure_previews::table.filter(figure_previews::id.eq_any(chunk)))
            .execute(conn)?;
    }
    Ok(())
}

/// Stores a checked file as `user`'s preview, replacing the user's waiting one and removing
/// every expired one. Returns its key.
pub fn save(
    conn: &mut DbConnection,
    user: &CurrentUser,
    file_name: &str,
    summary: &Summary,
    rows: &[FigureRow],
) -> Result<String, AppError> {
    let key = submissions::new_key();
    let summary = serde_json::to_string(summary)
        .map_err(|e| AppError::internal(format!("ringkasan pratinjau: {e}")))?;
    let at = now();
    write_transaction(conn, |conn| -> Result<(), AppError> {
        let stale: Vec<i32> = figure_previews::table
            .filter(
                figure_previews::created_at
                    .lt(at - Duration::hours(LIFETIME_HOURS))
                    .or(figure_previews::user_id
                        .eq(user.id)
                        .and(figure_previews::applied_summary.is_null())),
            )
            .select(figure_previews::id)
            .load(conn)?;
        delete_previews(conn, &stale)?;
        let id: i32 = diesel::insert_into(figure_previews::table)
            .values((
                figure_previews::preview_key.eq(&key),
                figure_previews::user_id.eq(user.id),
                figure_previews::file_name.eq(file_name),
                figure_previews::created_at.eq(at),
                figure_previews::summary.eq(&summary),
            ))
            .returning(figure_previews::id)
            .get_result(conn)?;
        for (seq, chunk) in rows.chunks(CHUNK_ROWS).enumerate() {
            let mut payload = String::with_capacity(chunk.len() * 48);
            for row in chunk {
                encode(row, &mut payload);
            }
            diesel::insert_into(figure_preview_chunks::table)
                .values((
                    figure_preview_chunks::preview_id.eq(id),
                    figure_preview_chunks::seq.eq(seq as i32),
                    figure_preview_chunks::payload.eq(&payload),
                ))
                .execute(conn)?;
        }
        Ok(())
    })?;
    Ok(key)
}

type PreviewRow = (i32, String, NaiveDateTime, String, Option<String>);

/// `user_id`'s preview under `key`, unexpired (None for anyone else's, or none).
fn find_row(conn: &mut DbConnection, key: &str, user_id: i32) -> QueryResult<Option<PreviewRow>> {
    figure_previews::table
        .filter(figure_previews::preview_key.eq(key))
        .filter(figure_previews::user_id.eq(user_id))
        .filter(figure_previews::created_at.ge(now() - Duration::hours(LIFETIME_HOURS)))
        .select((
            figure_previews::id,
            figure_previews::file_name,
            figure_previews::created_at,
            figure_previews::summary,
            figure_previews::applied_summary,
        ))
        .first(conn)
        .optional()
}

/// The preview `key` of `user_id`, or None (another user's is None too: it is not theirs to
/// know it exists).
pub fn find(conn: &mut DbConnection, key: &str, user_id: i32) -> Result<Option<Preview>, AppError> {
    let Some((_, file_name, created_at, summary, applied)) = find_row(conn, key, user_id)? else {
        return Ok(None);
    };
    let summary = serde_json::from_str(&summary)
        .map_err(|e| AppError::internal(format!("ringkasan pratinjau: {e}")))?;
    Ok(Some(Preview {
        key: key.to_string(),
        file_name,
        created_at,
        summary,
        applied,
    }))
}

/// What one press of "Terapkan" gave.
pub enum Applied {
    /// The answer (now or from the first press).
    Done(String),
    /// Checked again at apply time, the rows are refused now (the user's areas changed, a
    /// region went away): nothing written, the preview stays.
    Refused(Vec<RowError>),
    /// No such preview of this user's (or it expired).
    Missing,
}

/// Applies `user`'s preview `key` once: its rows imported in `submissions::once`'s
/// transaction, scope and regions checked again there against the user as the database has
/// them now; the preview's rows dropped and the answer kept with it.
pub fn apply(conn: &mut DbConnection, key: &str, user: &CurrentUser) -> Result<Applied, AppError> {
    if find_row(conn, key, user.id)?.is_none() {
        return Ok(Applied::Missing);
    }
    let submission = format!("angka-{key}");
    let outcome = submissions::once(conn, &submission, user.id, |conn| {
        let Some((id, file_name, _, _, applied)) = find_row(conn, key, user.id)? else {
            return Ok(Err(Vec::new()));
        };
        if applied.is_some() {
            return Ok(Ok(path(key)));
        }
        // The user as stored now: areas may have changed since the upload.
        let Some(current) = CurrentUser::load(conn, &user.username)? else {
            return Ok(Err(vec![RowError::new(0, "", "Akun tidak aktif lagi.")]));
        };
        let mut rows = Vec::new();
        let payloads: Vec<String> = figure_preview_chunks::table
            .filter(figure_preview_chunks::preview_id.eq(id))
            .order(figure_preview_chunks::seq)
            .select(figure_preview_chunks::payload)
            .load(conn)?;
        for payload in &payloads {
            for line in payload.lines() {
                rows.push(decode(line).ok_or_else(|| {
                    AppError::internal(format!("pratinjau {id}: baris tersimpan rusak"))
                })?);
            }
        }
        let summary = match store::import_in(conn, &rows, Some(&current), &file_name) {
            Ok(summary) => summary,
            Err(ImportError::Rows(errors)) => return Ok(Err(errors)),
            Err(ImportError::App(e)) => return Err(e),
        };
        let notes = find(conn, key, user.id)?
            .map(|p| p.summary.notes)
            .unwrap_or_default();
        let answer = format!(
            "{} baris dari {file_name} diimpor untuk tanggal {}{}.{notes}",
            summary.rows,
            dates_text(&summary.dates),
            if summary.replaced > 0 {
                format!(" (menggantikan {} baris lama)", summary.replaced)
            } else {
                String::new()
            }
        );
        diesel::delete(
            figure_preview_chunks::table.filter(figure_preview_chunks::preview_id.eq(id)),
        )
        .execute(conn)?;
        diesel::update(figure_previews::table.find(id))
            .set(figure_previews::applied_summary.eq(&answer))
            .execute(conn)?;
        Ok(Ok(path(key)))
    })?;
    match outcome {
        // `once` keeps a path; the answer itself is kept with the preview.
        Submitted::First(_) | Submitted::Repeat(_) => Ok(find(conn, key, user.id)?
            .and_then(|p| p.applied)
            .map_or(Applied::Missing, Applied::Done)),
        Submitted::Rejected(errors) if errors.is_empty() => Ok(Applied::Missing),
        Submitted::Rejected(errors) => Ok(Applied::Refused(errors)),
    }
}

/// The path of a preview's page.
pub fn path(key: &str) -> String {
    format!("/data/impor/pratinjau/{key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_survive_their_chunk_text() {
        let row = FigureRow {
            line: 7,
            region_code: "32.73.02.1004".into(),
            date: NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
            population: 20_000,
            registered: 19_840,
            active: 15_864,
            segments: vec![(Segment::Pbpu, Some(2000), None)],
        };
        let mut text = String::new();
        encode(&row, &mut text);
        assert_eq!(decode(text.trim_end()), Some(row));
        assert_eq!(decode("x\t1"), None);
    }
}
