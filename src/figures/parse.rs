//! Reading a figures file (through `tabular`: CSV in the usual encodings and separators, or
//! XLSX): the header row found within the first rows, its names matched as offices write them
//! (`Kode Wilayah`, `Jumlah Penduduk`…), title rows above it and totals rows skipped and
//! reported, every cell checked. Counts are exact or refused (`tabular::numbers`); any error
//! rejects the file.

use std::collections::HashSet;

use chrono::NaiveDate;

use super::{FigureRow, RowError};
use crate::members::Segment;
use crate::regions::desa_code;
use crate::tabular::{Row, dates, numbers};

pub const REQUIRED: [&str; 5] = [
    "kode_wilayah",
    "tanggal",
    "penduduk",
    "peserta_terdaftar",
    "peserta_aktif",
];

/// The names each required column goes by, after `normalize`.
const ALIASES: [&[&str]; 5] = [
    &[
        "kode_wilayah",
        "kode",
        "kode_wil",
        "kd_wilayah",
        "kode_desa",
        "kode_kelurahan",
        "kode_desa_kelurahan",
        "kode_kemendagri",
    ],
    &[
        "tanggal",
        "tgl",
        "tanggal_data",
        "per_tanggal",
        "posisi_tanggal",
    ],
    &[
        "penduduk",
        "jumlah_penduduk",
        "jml_penduduk",
        "total_penduduk",
    ],
    &[
        "peserta_terdaftar",
        "jumlah_peserta",
        "jml_peserta",
        "peserta_jkn",
        "jumlah_peserta_terdaftar",
        "terdaftar",
    ],
    &[
        "peserta_aktif",
        "jumlah_peserta_aktif",
        "jml_peserta_aktif",
        "peserta_jkn_aktif",
        "aktif",
    ],
];

/// How far down the header row may be (title rows above it are skipped).
const HEADER_WITHIN: usize = 10;
/// Registered members above this many times the population is worth a second look.
const REGISTERED_OVER_POPULATION: f64 = 1.1;

use crate::tabular::header_key as normalize;

enum Column {
    Required(usize),
    SegmentRegistered(Segment),
    SegmentActive(Segment),
    Ignored,
}

fn column_of(name: &str) -> Column {
    if let Some(i) = ALIASES.iter().position(|names| names.contains(&name)) {
        Column::Required(i)
    } else if let Some(seg) = name.strip_prefix("terdaftar_").and_then(Segment::parse) {
        Column::SegmentRegistered(seg)
    } else if let Some(seg) = name.strip_prefix("aktif_").and_then(Segment::parse) {
        Column::SegmentActive(seg)
    } else {
        Column::Ignored
    }
}

/// A read file: its rows, where the header was, and what was left out and why.
#[derive(Debug, Default)]
pub struct ParsedFile {
    pub rows: Vec<FigureRow>,
    pub header_line: usize,
    /// Rows skipped: (line, why) — title rows above the header, totals rows.
    pub skipped: Vec<(usize, String)>,
    /// Header cells matching no column.
    pub ignored_columns: Vec<String>,
    /// Rows that import but deserve a look (registered far above the population).
    pub warnings: Vec<RowError>,
    /// Every problem found; a file with any imports nothing.
    pub errors: Vec<RowError>,
}

impl ParsedFile {
    fn refused(error: RowError) -> Self {
        Self {
            errors: vec![error],
            ..Self::default()
        }
    }

    /// The file if it has no errors, else the errors.
    pub fn into_result(self) -> Result<ParsedFile, Vec<RowError>> {
        if self.errors.is_empty() {
            Ok(self)
        } else {
            Err(self.errors)
        }
    }
    /// What a person should know beside the figures imported: rows skipped, columns ignored,
    /// warnings (a few of each), as one sentence after another.
    pub fn notes(&self) -> String {
        let mut notes = String::new();
        if !self.skipped.is_empty() {
            let lines: Vec<String> = self
                .skipped
                .iter()
                .take(5)
                .map(|(l, why)| format!("{l} ({why})"))
                .collect();
            notes.push_str(&format!(
                " Baris judul di baris {}; {} baris dilewati: {}{}.",
                self.header_line,
                self.skipped.len(),
                lines.join(", "),
                if self.skipped.len() > 5 { ", …" } else { "" }
            ));
        }
        if !self.ignored_columns.is_empty() {
            notes.push_str(&format!(
                " Kolom yang tidak dipakai: {}.",
                self.ignored_columns
                    .iter()
                    .take(10)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for w in self.warnings.iter().take(5) {
            notes.push_str(&format!(" Perhatian, baris {}: {}", w.line, w.message));
        }
        if self.warnings.len() > 5 {
            notes.push_str(&format!(
                " (dan {} peringatan lain)",
                self.warnings.len() - 5
            ));
        }
        notes
    }
}

/// Whether a row is a totals row (`JUMLAH`, `TOTAL`… where the code should be).
fn is_totals(code: &str) -> bool {
    let word = normalize(code);
    ["jumlah", "total", "grand_total", "sub_total", "subtotal"]
        .iter()
        .any(|t| word == *t || word.starts_with(&format!("{t}_")))
}

/// Checks every row of a file (a `tabular::Table`): the valid rows, and every problem found
/// (the region checks that need the database come after, in `store::region_errors`).
/// `decimal_comma`: the file writes decimals with a comma (a semicolon CSV). A file that
/// cannot be read past some row is one error there.
pub fn parse_rows(
    table: impl Iterator<Item = Result<Row, String>>,
    decimal_comma: bool,
    today: NaiveDate,
) -> ParsedFile {
    let mut table = table.peekable();
    let mut parsed = ParsedFile::default();
    let mut looked_at = Vec::new();
    let header = loop {
        match table.next() {
            Some(Ok(row)) if row.is_blank() => continue,
            Some(Ok(row)) => {
                let names: Vec<String> = row.cells.iter().map(|c| normalize(c)).collect();
                let found = ALIASES
                    .iter()
                    .filter(|names_of| names.iter().any(|n| names_of.contains(&n.as_str())))
                    .count();
                if found == REQUIRED.len() {
                    break (row.line, row.cells, names);
                }
                looked_at.push((row.line, found, row.cells.join(" ")));
                if looked_at.len() >= HEADER_WITHIN {
                    return ParsedFile::refused(no_header(&looked_at));
                }
            }
            Some(Err(message)) => return ParsedFile::refused(RowError::new(0, "", message)),
            None if looked_at.is_empty() => {
                return ParsedFile::refused(RowError::new(1, "", "Berkas kosong."));
            }
            None => return ParsedFile::refused(no_header(&looked_at)),
        }
    };
    let (header_line, header_cells, names) = header;
    parsed.header_line = header_line;
    for (line, _, text) in looked_at {
        let text: String = text.chars().take(60).collect();
        parsed
            .skipped
            .push((line, format!("di atas baris judul: \"{}\"", text.trim())));
    }
    let columns: Vec<Column> = names.iter().map(|n| column_of(n)).collect();
    for (cell, column) in header_cells.iter().zip(&columns) {
        if matches!(column, Column::Ignored) && !cell.trim().is_empty() {
            parsed.ignored_columns.push(cell.trim().to_string());
        }
    }
    let mut errors = Vec::new();
    let mut seen: HashSet<(String, NaiveDate)> = HashSet::new();
    let jkn_start = NaiveDate::from_ymd_opt(2014, 1, 1).unwrap_or_default();
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
                    match numbers::parse_count(cell, decimal_comma) {
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
                        Err(e) => errors.push(RowError::new(line, &names[col], e).with_value(cell)),
                    }
                }
                Column::Ignored => {}
            }
        }
        if is_totals(&required[0]) {
            parsed.skipped.push((line, "baris jumlah".into()));
            continue;
        }
        let code = match desa_code(&required[0]) {
            Some(code) => Some(code),
            None => {
                errors.push(RowError::new(
                    line,
                    "kode_wilayah",
                    format!(
                        "Bukan kode desa/kelurahan (contoh 32.73.02.1004 atau 3273021004): {:?}.",
                        required[0].chars().take(20).collect::<String>()
                    ),
                ).with_value(&required[0]));
                None
            }
        };
        let date = match dates::parse(&required[1], today) {
            Ok(d) if d > today => {
                errors.push(
                    RowError::new(line, "tanggal", "Tanggal di masa depan tidak diterima.")
                        .with_value(&required[1]),
                );
                None
            }
            Ok(d) if d < jkn_start => {
                errors.push(
                    RowError::new(line, "tanggal", "Tanggal sebelum JKN dimulai (2014).")
                        .with_value(&required[1]),
                );
                None
            }
            Ok(d) => Some(d),
            Err(message) => {
                errors.push(RowError::new(line, "tanggal", message).with_value(&required[1]));
                None
            }
        };
        let mut counts = [0i64; 3];
        let mut counts_ok = true;
        for (i, name) in REQUIRED.iter().enumerate().skip(2) {
            match numbers::parse_count(&required[i], decimal_comma) {
                Ok(n) => counts[i - 2] = n,
                Err(e) => {
                    counts_ok = false;
                    errors.push(RowError::new(line, name, e).with_value(&required[i]));
                }
            }
        }
        let [population, registered, active] = counts;
        if counts_ok && active > registered {
            errors.push(
                RowError::new(
                    line,
                    "peserta_aktif",
                    "Peserta aktif melebihi peserta terdaftar.",
                )
                .with_value(&required[4]),
            );
        }
        if counts_ok && registered as f64 > population as f64 * REGISTERED_OVER_POPULATION {
            parsed.warnings.push(RowError::new(
                line,
                "peserta_terdaftar",
                format!(
                    "Peserta terdaftar ({registered}) lebih dari 110% penduduk ({population}); \
                     periksa angkanya."
                ),
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
            errors.push(
                RowError::new(
                    line,
                    "kode_wilayah",
                    "Wilayah dan tanggal ini sudah ada di baris sebelumnya.",
                )
                .with_value(code),
            );
        }
        if errors.len() == before
            && let (Some(region_code), Some(date)) = (code, date)
        {
            parsed.rows.push(FigureRow {
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
    if parsed.rows.is_empty() && errors.is_empty() {
        errors.push(RowError::new(
            header_line + 1,
            "",
            "Berkas tidak berisi data.",
        ));
    }
    parsed.errors = errors;
    parsed
}

/// The error for a file whose header row was not found: what was looked for, and where.
fn no_header(looked_at: &[(usize, usize, String)]) -> RowError {
    let best = looked_at.iter().max_by_key(|(_, found, _)| *found);
    let line = best.map_or(1, |(line, _, _)| *line);
    RowError::new(
        line,
        "",
        format!(
            "Baris judul tidak ditemukan di {} baris pertama. Baris judul harus memuat kolom: {} \
             (nama lain seperti \"Kode Wilayah\" atau \"Jumlah Penduduk\" juga dikenali).",
            looked_at.len(),
            REQUIRED.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tabular::{Limits, Table};
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
    }

    fn parse_bytes(bytes: &[u8]) -> Result<ParsedFile, Vec<RowError>> {
        let table = Table::from_csv(bytes.to_vec(), Limits::FIGURES).unwrap();
        let decimal_comma = table.decimal_comma();
        parse_rows(table, decimal_comma, today()).into_result()
    }

    fn parse(csv: &str) -> Result<Vec<FigureRow>, Vec<RowError>> {
        parse_bytes(csv.as_bytes()).map(|p| p.rows)
    }

    #[test]
    fn reads_comma_and_semicolon_files_with_a_bom() {
        let comma = "\u{feff}kode_wilayah,tanggal,penduduk,peserta_terdaftar,peserta_aktif\n32.73.02.1004,2025-06-30,20000,19840,15864\n";
        let rows = parse(comma).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].registered, 19_840);
        let semicolon = "KODE_WILAYAH;Tanggal;Penduduk;Peserta_Terdaftar;Peserta_Aktif;aktif_pbpu;terdaftar_pbpu\n32.73.02.1004;30-06-2025;20.000;19.840;15.864;1200;2000\n";
        let rows = parse(semicolon).unwrap();
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
        let errors = parse(csv).unwrap_err();
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
    fn a_missing_column_says_what_the_header_needs() {
        let errors =
            parse("kode_wilayah,tanggal,penduduk\n32.73.02.1004,2025-06-30,1\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("Baris judul tidak ditemukan"));
        assert!(errors[0].message.contains("peserta_terdaftar"));
    }

    #[test]
    fn decimals_never_multiply_counts() {
        let header = "kode_wilayah,tanggal,penduduk,peserta_terdaftar,peserta_aktif\n";
        let rows = parse(&format!(
            "{header}32.73.02.1004,2025-06-30,5000.00,4814.00,4000.00\n"
        ))
        .unwrap();
        assert_eq!(
            (rows[0].population, rows[0].registered, rows[0].active),
            (5000, 4814, 4000)
        );
        let errors = parse(&format!(
            "{header}32.73.02.1004,2025-06-30,5000,4814.4,4000\n"
        ))
        .unwrap_err();
        assert_eq!(errors[0].column, "peserta_terdaftar");
        assert!(errors[0].message.contains("pecahan"), "{errors:?}");
        // "4.814" in a comma file reads two ways: refused, never guessed.
        let errors = parse(&format!(
            "{header}32.73.02.1004,2025-06-30,5000,4.814,4000\n"
        ))
        .unwrap_err();
        assert!(errors[0].message.contains("dua cara"), "{errors:?}");
    }

    #[test]
    fn files_as_offices_save_them() {
        // A title row, Indonesian header names, codes without dots, two-digit years, a totals
        // row and an unknown column, in Windows-1252 with CRLF.
        let file = b"Data Kepesertaan JKN Kota Bandung \x96 Juni 2025;;;;;\r\n\
                     \r\n\
                     Kode Wilayah;Tanggal;Jumlah Penduduk;Jumlah Peserta;Peserta Aktif;Keterangan\r\n\
                     3273021004;30/06/25;20.000;19.840;15.864;Caf\xe9\r\n\
                     32.73.02.1005;30/06/25;1.000;900;800;\r\n\
                     JUMLAH;;21.000;20.740;16.664;\r\n";
        let parsed = parse_bytes(file).unwrap();
        assert_eq!(parsed.header_line, 3);
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.rows[0].line, 4);
        assert_eq!(parsed.rows[0].region_code, "32.73.02.1004");
        assert_eq!(
            parsed.rows[0].date,
            NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
        );
        assert_eq!(parsed.rows[0].population, 20_000);
        let skipped: Vec<usize> = parsed.skipped.iter().map(|(l, _)| *l).collect();
        assert_eq!(skipped, [1, 6]);
        assert_eq!(parsed.ignored_columns, ["Keterangan"]);
        assert!(parsed.notes().contains("baris jumlah"));
    }

    #[test]
    fn future_and_pre_jkn_dates_are_refused_and_odd_ratios_warned() {
        let header = "kode_wilayah,tanggal,penduduk,peserta_terdaftar,peserta_aktif\n";
        let errors = parse(&format!(
            "{header}32.73.02.1004,2027-01-01,100,90,80\n32.73.02.1005,2013-12-31,100,90,80\n"
        ))
        .unwrap_err();
        assert!(errors[0].message.contains("masa depan"));
        assert!(errors[1].message.contains("2014"));
        let parsed =
            parse_bytes(format!("{header}32.73.02.1004,2025-06-30,100,120,80\n").as_bytes())
                .unwrap();
        assert_eq!(parsed.warnings.len(), 1);
        assert_eq!(parsed.warnings[0].column, "peserta_terdaftar");
    }

    #[test]
    fn reads_an_xlsx_written_by_a_spreadsheet() {
        // Row 2 as Excel writes it (a date cell, number cells); row 3 with the given count.
        let read = |registered: f64| {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            for (col, name) in REQUIRED.iter().enumerate() {
                sheet.write_string(0, col as u16, *name).unwrap();
            }
            let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 6, 30).unwrap();
            let format = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
            for (row, code, registered) in [
                (1, "32.73.02.1004", 19840.0),
                (2, "32.73.02.1005", registered),
            ] {
                sheet.write_string(row, 0, code).unwrap();
                sheet
                    .write_datetime_with_format(row, 1, &date, &format)
                    .unwrap();
                sheet.write_number(row, 2, 20000.0).unwrap();
                sheet.write_number(row, 3, registered).unwrap();
                sheet.write_number(row, 4, 15864.0).unwrap();
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("angka.xlsx");
            book.save(&path).unwrap();
            let table = Table::open(&path, Limits::FIGURES).unwrap();
            parse_rows(table, false, today()).into_result()
        };
        let rows = read(19000.0).unwrap().rows;
        assert_eq!(rows[0].date, NaiveDate::from_ymd_opt(2025, 6, 30).unwrap());
        assert_eq!((rows[1].registered, rows[1].active), (19_000, 15_864));
        let errors = read(19000.4).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            (errors[0].line, errors[0].column.as_str()),
            (3, "peserta_terdaftar")
        );
    }

    proptest! {
        #[test]
        fn any_bytes_are_read_or_refused_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(table) = Table::from_csv(bytes, Limits::FIGURES) {
                let _ = parse_rows(table, false, today());
            }
        }

        #[test]
        fn any_cells_are_checked_without_panic(cells in proptest::collection::vec(proptest::collection::vec("\\PC{0,14}", 0..8), 0..6)) {
            let mut table = vec![REQUIRED.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
            table.extend(cells);
            let rows = table.into_iter().enumerate().map(|(i, cells)| Ok(Row { line: i + 1, cells }));
            let _ = parse_rows(rows, false, today());
        }
    }
}
