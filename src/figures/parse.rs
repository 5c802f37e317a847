//! Reading a figures file: CSV (comma or semicolon, optional BOM) or XLSX (first sheet), header
//! `kode_wilayah,tanggal,penduduk,peserta_terdaftar,peserta_aktif` plus optional
//! `terdaftar_<segmen>` / `aktif_<segmen>`. Every row is checked; any error rejects the file.

use std::collections::HashSet;

use chrono::NaiveDate;

use super::{FigureRow, RowError};
use crate::members::Segment;
use crate::members::forms::parse_date;
use crate::regions::{Level, RegionCode};
use crate::tabular::Row;

pub const REQUIRED: [&str; 5] = [
    "kode_wilayah",
    "tanggal",
    "penduduk",
    "peserta_terdaftar",
    "peserta_aktif",
];

enum Column {
    Required(usize),
    SegmentRegistered(Segment),
    SegmentActive(Segment),
    Ignored,
}

fn parse_count(raw: &str) -> Result<i64, &'static str> {
    // Thousands separators as people type them: 2.591.763 or 2,591,763 or 2 591 763.
    let cleaned: String = raw
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | ' '))
        .collect();
    if cleaned.is_empty() {
        return Err("wajib diisi");
    }
    if !cleaned.bytes().all(|b| b.is_ascii_digit()) {
        return Err("harus bilangan bulat tidak negatif");
    }
    cleaned
        .parse::<i64>()
        .ok()
        .filter(|n| *n <= 1_000_000_000)
        .ok_or("angka terlalu besar")
}

/// Checks every row of a file (a `tabular::Table`, header first); returns the rows, or every
/// problem found. A file that cannot be read past some row is one error at that row.
pub fn parse_rows(
    mut table: impl Iterator<Item = Result<Row, String>>,
) -> Result<Vec<FigureRow>, Vec<RowError>> {
    let header = match table.next() {
        Some(Ok(row)) => row,
        Some(Err(message)) => return Err(vec![RowError::new(1, "", message)]),
        None => return Err(vec![RowError::new(1, "", "Berkas kosong.")]),
    };
    let header_line = header.line;
    let header = header.cells;
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let columns: Vec<Column> = names
        .iter()
        .map(|name| {
            if let Some(i) = REQUIRED.iter().position(|r| r == name) {
                Column::Required(i)
            } else if let Some(seg) = name.strip_prefix("terdaftar_").and_then(Segment::parse) {
                Column::SegmentRegistered(seg)
            } else if let Some(seg) = name.strip_prefix("aktif_").and_then(Segment::parse) {
                Column::SegmentActive(seg)
            } else {
                Column::Ignored
            }
        })
        .collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|r| !names.iter().any(|n| n == *r))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(vec![RowError::new(
            header_line,
            &missing.join(", "),
            format!(
                "Kolom wajib tidak ada. Baris judul harus memuat: {}.",
                REQUIRED.join(",")
            ),
        )]);
    }
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut seen: HashSet<(String, NaiveDate)> = HashSet::new();
    for row in table {
        let Row { line, cells } = match row {
            Ok(row) => row,
            Err(message) => {
                errors.push(RowError::new(0, "", message));
                break;
            }
        };
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let before = errors.len();
        let mut required: [String; 5] = Default::default();
        let mut segments: Vec<(Segment, Option<i64>, Option<i64>)> = Vec::new();
        for (col, column) in columns.iter().enumerate() {
            let cell = cells.get(col).map(|c| c.trim()).unwrap_or("");
            match column {
                Column::Required(i) => required[*i] = cell.to_string(),
                Column::SegmentRegistered(seg) | Column::SegmentActive(seg) => {
                    if cell.is_empty() {
                        continue;
                    }
                    match parse_count(cell) {
                        Ok(n) => {
                            let entry = match segments.iter_mut().find(|(s, _, _)| s == seg) {
                                Some(e) => e,
                                None => {
                                    segments.push((*seg, None, None));
                                    segments.last_mut().expect("just pushed")
                                }
                            };
                            if matches!(column, Column::SegmentRegistered(_)) {
                                entry.1 = Some(n);
                            } else {
                                entry.2 = Some(n);
                            }
                        }
                        Err(e) => errors.push(RowError::new(line, &names[col], e)),
                    }
                }
                Column::Ignored => {}
            }
        }
        let code = match RegionCode::parse(&required[0]) {
            Some(code) if code.level() == Level::DesaKelurahan => Some(code.to_string()),
            Some(_) => {
                errors.push(RowError::new(
                    line,
                    "kode_wilayah",
                    "Harus kode desa/kelurahan (PP.KK.CC.DDDD).",
                ));
                None
            }
            None => {
                errors.push(RowError::new(
                    line,
                    "kode_wilayah",
                    format!(
                        "Kode wilayah tidak valid: {:?}.",
                        required[0].chars().take(20).collect::<String>()
                    ),
                ));
                None
            }
        };
        let date = parse_date(&required[1]);
        if date.is_none() {
            errors.push(RowError::new(line, "tanggal", "Tanggal harus YYYY-MM-DD."));
        }
        let mut counts = [0i64; 3];
        let mut counts_ok = true;
        for (i, name) in REQUIRED.iter().enumerate().skip(2) {
            match parse_count(&required[i]) {
                Ok(n) => counts[i - 2] = n,
                Err(e) => {
                    counts_ok = false;
                    errors.push(RowError::new(line, name, e));
                }
            }
        }
        let [population, registered, active] = counts;
        if counts_ok && active > registered {
            errors.push(RowError::new(
                line,
                "peserta_aktif",
                "Peserta aktif melebihi peserta terdaftar.",
            ));
        }
        for (seg, reg, act) in &segments {
            if let (Some(reg), Some(act)) = (reg, act)
                && act > reg
            {
                errors.push(RowError::new(
                    line,
                    &format!("aktif_{}", seg.as_str()),
                    "Peserta aktif segmen melebihi yang terdaftar.",
                ));
            }
        }
        if let (Some(code), Some(date)) = (&code, date)
            && !seen.insert((code.clone(), date))
        {
            errors.push(RowError::new(
                line,
                "kode_wilayah",
                "Wilayah dan tanggal ini sudah ada di baris sebelumnya.",
            ));
        }
        if errors.len() == before
            && let (Some(region_code), Some(date)) = (code, date)
        {
            rows.push(FigureRow {
                line,
                region_code,
                date,
                population,
                registered,
                active,
                segments,
            });
        }
        if errors.len() >= 1000 {
            errors.push(RowError::new(
                line,
                "",
                "Terlalu banyak kesalahan; pemeriksaan dihentikan.",
            ));
            break;
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(RowError::new(
            header_line + 1,
            "",
            "Berkas tidak berisi data.",
        ));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use crate::tabular::{Limits, Table};

    fn table(csv: &str) -> Table {
        Table::from_csv(csv.as_bytes().to_vec(), Limits::FIGURES).unwrap()
    }

    #[test]
    fn reads_comma_and_semicolon_files_with_a_bom() {
        let comma = "\u{feff}kode_wilayah,tanggal,penduduk,peserta_terdaftar,peserta_aktif\n32.73.02.1004,2025-06-30,20000,19840,15864\n";
        let rows = parse_rows(table(comma)).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].registered, 19_840);
        let semicolon = "KODE_WILAYAH;Tanggal;Penduduk;Peserta_Terdaftar;Peserta_Aktif;aktif_pbpu;terdaftar_pbpu\n32.73.02.1004;30-06-2025;20.000;19.840;15.864;1200;2000\n";
        let rows = parse_rows(table(semicolon)).unwrap();
        assert_eq!(rows[0].population, 20_000);
        assert_eq!(
            rows[0].segments,
            vec![(Segment::Pbpu, Some(2000), Some(1200))]
        );
    }

    #[test]
    fn every_bad_cell_is_reported_with_line_and_column() {
        let csv = "kode_wilayah,tanggal,penduduk,peserta_terdaftar,peserta_aktif\n\
                   32.73.02,2025-06-30,1,1,1\n\
                   32.73.02.1004,kemarin,x,10,11\n\
                   32.73.02.1006,2025-06-30,100,10,11\n\
                   32.73.02.1005,2025-06-30,100,10,9\n\
                   32.73.02.1005,2025-06-30,100,10,9\n";
        let errors = parse_rows(table(csv)).unwrap_err();
        let has =
            |line: usize, column: &str| errors.iter().any(|e| e.line == line && e.column == column);
        assert!(has(2, "kode_wilayah"));
        assert!(has(3, "tanggal"));
        assert!(has(3, "penduduk"));
        assert!(has(4, "peserta_aktif"));
        assert!(has(6, "kode_wilayah"), "duplicate row: {errors:?}");
        assert!(!has(5, "kode_wilayah"));
    }

    #[test]
    fn a_missing_column_rejects_the_file() {
        let errors = parse_rows(table(
            "kode_wilayah,tanggal,penduduk\n32.73.02.1004,2025-06-30,1\n",
        ))
        .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].column.contains("peserta_terdaftar"));
    }

    #[test]
    fn reads_an_xlsx_written_by_a_spreadsheet() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (col, name) in REQUIRED.iter().enumerate() {
            sheet.write_string(0, col as u16, *name).unwrap();
        }
        sheet.write_string(1, 0, "32.73.02.1004").unwrap();
        sheet.write_string(1, 1, "2025-06-30").unwrap();
        sheet.write_number(1, 2, 20000.0).unwrap();
        sheet.write_number(1, 3, 19840.0).unwrap();
        sheet.write_number(1, 4, 15864.0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("angka.xlsx");
        book.save(&path).unwrap();
        let rows = parse_rows(Table::open(&path, Limits::FIGURES).unwrap()).unwrap();
        assert_eq!(rows[0].active, 15_864);
        assert_eq!(rows[0].date, NaiveDate::from_ymd_opt(2025, 6, 30).unwrap());
    }

    proptest! {
        #[test]
        fn any_bytes_are_read_or_refused_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(table) = Table::from_csv(bytes, Limits::FIGURES) {
                let _ = parse_rows(table);
            }
        }

        #[test]
        fn any_cells_are_checked_without_panic(cells in proptest::collection::vec(proptest::collection::vec("\\PC{0,14}", 0..8), 0..6)) {
            let mut table = vec![REQUIRED.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
            table.extend(cells);
            let rows = table.into_iter().enumerate().map(|(i, cells)| Ok(Row { line: i + 1, cells }));
            let _ = parse_rows(rows);
        }
    }
}
