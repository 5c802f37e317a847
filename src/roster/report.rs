//! What an import could not take: its invalid cells by line, the values it did not know, and
//! the downloadable error report.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::roster_import_errors;
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

/// The cells an import listed on lines after `after_line`, in line order: all of them, or only
/// its invalid cells (`Some(false)`) or the cells of rows it took with a repair (`Some(true)`).
fn listed(
    conn: &mut DbConnection,
    import_id: i32,
    warnings: Option<bool>,
    after_line: i32,
    limit: i64,
) -> QueryResult<Vec<ErrorRow>> {
    let mut query = roster_import_errors::table
        .filter(roster_import_errors::import_id.eq(import_id))
        .filter(roster_import_errors::line.gt(after_line))
        .into_boxed();
    if let Some(warnings) = warnings {
        query = query.filter(roster_import_errors::warning.eq(warnings));
    }
    query
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

/// The first cells of an import in line order: its invalid cells, or (`warnings`) the cells
/// of rows it took with a repair.
pub fn first_listed(
    conn: &mut DbConnection,
    import_id: i32,
    warnings: bool,
    limit: i64,
) -> QueryResult<Vec<ErrorRow>> {
    listed(conn, import_id, Some(warnings), 0, limit)
}

/// The invalid rows of an import, and the warnings of rows taken with a repair, as CSV: baris, kolom, nilai, pesan. Values that a spreadsheet
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
        let page = listed(conn, import_id, None, after, 5_000)?;
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
                &crate::tabular::neutralise(value),
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
