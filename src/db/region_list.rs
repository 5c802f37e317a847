//! Loads the Kemendagri region list (2025 edition, shipped gzipped in `data/regions/`) into an
//! empty database, in batches inside one transaction. The list is reference data every database
//! starts with, like its tables, so loading it is part of migrating and lives beside it.

use std::io::Read;

use diesel::prelude::*;
use flate2::read::GzDecoder;

use crate::db::schema::regions;
use crate::db::{DbConnection, write_transaction};
use crate::with_backend;

static WILAYAH_CSV_GZ: &[u8] = include_bytes!("../../data/regions/wilayah_2025.csv.gz");

/// Rows per INSERT: 5 columns each stays well under both backends' bind-parameter limits.
const BATCH: usize = 2000;

#[derive(Insertable, Debug, serde::Deserialize)]
#[diesel(table_name = regions)]
struct RegionRow {
    code: String,
    name: String,
    level: String,
    parent_code: Option<String>,
    #[serde(skip)]
    search_name: String,
}

fn parse_rows() -> anyhow::Result<Vec<RegionRow>> {
    let mut csv_text = String::new();
    GzDecoder::new(WILAYAH_CSV_GZ).read_to_string(&mut csv_text)?;
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let mut rows = Vec::with_capacity(92_000);
    for record in reader.deserialize::<RegionRow>() {
        let mut row = record?;
        row.parent_code = row.parent_code.filter(|p| !p.is_empty());
        row.search_name = row.name.to_lowercase();
        rows.push(row);
    }
    Ok(rows)
}

/// Loads the regions when the table is empty; returns how many rows were inserted.
pub fn load_if_empty(conn: &mut DbConnection) -> anyhow::Result<usize> {
    let existing: i64 = regions::table.count().get_result(conn)?;
    if existing > 0 {
        return Ok(0);
    }
    let rows = parse_rows()?;
    write_transaction(conn, |conn| -> QueryResult<()> {
        for chunk in rows.chunks(BATCH) {
            with_backend!(conn, c => diesel::insert_into(regions::table).values(chunk).execute(c))?;
        }
        count_villages(conn)
    })?;
    Ok(rows.len())
}

/// How many desa/kelurahan each kecamatan, kab/kota, province and the nation ('ID') has: the
/// "of M" of a progress roll-up, kept in `region_villages` so no page counts regions.
fn count_villages(conn: &mut DbConnection) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    let mut sql = String::from("DELETE FROM region_villages;");
    for prefix in [8, 5, 2] {
        sql.push_str(&format!(
            "INSERT INTO region_villages (code, villages) SELECT substr(code, 1, {prefix}), COUNT(*) \
             FROM regions WHERE level = 'desa_kelurahan' GROUP BY substr(code, 1, {prefix});"
        ));
    }
    sql.push_str(
        "INSERT INTO region_villages (code, villages) SELECT 'ID', COUNT(*) FROM regions \
         WHERE level = 'desa_kelurahan' HAVING COUNT(*) > 0;",
    );
    conn.batch_execute(&sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_file_has_the_whole_country() {
        let rows = parse_rows().unwrap();
        assert_eq!(rows.len(), 91_599);
        let count = |level: &str| rows.iter().filter(|r| r.level == level).count();
        assert_eq!(count("provinsi"), 38);
        assert_eq!(count("kabupaten_kota"), 514);
        assert_eq!(count("kecamatan"), 7_285);
        assert_eq!(count("desa_kelurahan"), 83_762);
        let bandung_kelurahan = rows
            .iter()
            .filter(|r| r.code.starts_with("32.73.") && r.level == "desa_kelurahan")
            .count();
        assert_eq!(bandung_kelurahan, 151);
    }

    #[test]
    fn every_parent_comes_before_its_children() {
        let rows = parse_rows().unwrap();
        let mut seen = std::collections::HashSet::new();
        for row in &rows {
            if let Some(parent) = &row.parent_code {
                assert!(seen.contains(parent.as_str()), "{} before parent", row.code);
            }
            seen.insert(row.code.as_str());
        }
    }
}
