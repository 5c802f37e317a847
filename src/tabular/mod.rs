//! The one reader of tabular files (CSV and XLSX) for every import: rows as trimmed text cells
//! with their physical line numbers, streamed, within limits that no file can get past — rows,
//! columns, cell length, record length, and for XLSX the unpacked size and the number of
//! shared strings. Each breach is an error in Indonesian that names the limit.
//!
//! XLSX files are turned into a temporary CSV by a child process (see `xlsx`), so the
//! spreadsheet parser never runs inside the server.

mod csv;
pub mod dates;
mod decode;
pub mod numbers;
mod xlsx;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

pub use xlsx::{CHILD_COMMAND, child_main, excel_serial_date, use_program};

/// How much of a file an import accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Rows after the header.
    pub rows: usize,
    pub columns: usize,
    /// Bytes of one cell's text.
    pub cell_bytes: usize,
    /// Bytes of one record (all its cells).
    pub record_bytes: usize,
    /// Distinct strings an XLSX may hold.
    pub shared_strings: usize,
    /// Bytes an XLSX may unpack to, all its parts together.
    pub unzipped_bytes: u64,
}

impl Limits {
    /// Dated figures: every desa/kelurahan of the country on a few dates.
    pub const FIGURES: Limits = Limits {
        rows: 500_000,
        columns: 100,
        cell_bytes: 1_000,
        record_bytes: 16 * 1024,
        shared_strings: 1_000_000,
        unzipped_bytes: 512 << 20,
    };
    /// A BPJS roster extract: a province's members as CSV. A sheet holds at most 1,048,576
    /// rows, whose XML with a few distinct strings each stays well inside the XLSX limits.
    pub const ROSTER: Limits = Limits {
        rows: 20_000_000,
        columns: 100,
        cell_bytes: 1_000,
        record_bytes: 16 * 1024,
        shared_strings: 8_000_000,
        unzipped_bytes: 2 << 30,
    };

    fn to_args(self) -> [String; 6] {
        [
            self.rows.to_string(),
            self.columns.to_string(),
            self.cell_bytes.to_string(),
            self.record_bytes.to_string(),
            self.shared_strings.to_string(),
            self.unzipped_bytes.to_string(),
        ]
    }

    fn from_args(args: &[String]) -> Option<Self> {
        let [rows, columns, cell, record, strings, unzipped] = args else {
            return None;
        };
        Some(Limits {
            rows: rows.parse().ok()?,
            columns: columns.parse().ok()?,
            cell_bytes: cell.parse().ok()?,
            record_bytes: record.parse().ok()?,
            shared_strings: strings.parse().ok()?,
            unzipped_bytes: unzipped.parse().ok()?,
        })
    }
}

/// A header cell as compared with the names a column goes by: lower case, runs of anything but
/// letters and digits as one `_` (`No. Kartu JKN` is `no_kartu_jkn`).
pub fn header_key(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// One row of a file: its physical line (the spreadsheet's row number) and its cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub line: usize,
    pub cells: Vec<String>,
}

impl Row {
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.is_empty())
    }
}

/// The rows of one file, read as they are asked for.
pub struct Table {
    rows: csv::CsvRows<Box<dyn Read + Send>>,
    delimiter: u8,
    size: u64,
    /// The CSV an XLSX was turned into; removed with the table.
    converted: Option<PathBuf>,
}

impl Drop for Table {
    fn drop(&mut self) {
        if let Some(path) = &self.converted {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Table {
    /// Opens a CSV or XLSX file; refuses other formats with a message saying what to do.
    pub fn open(path: &Path, limits: Limits) -> Result<Table, String> {
        let mut file = File::open(path).map_err(|e| format!("Berkas tidak dapat dibuka: {e}"))?;
        let mut head = vec![0u8; 64 * 1024];
        let n = read_up_to(&mut file, &mut head)?;
        head.truncate(n);
        match Format::of(&head) {
            Format::Xlsx => {
                let converted = temporary_path();
                // Removed on every way out, the child's failure included.
                let mut guard = RemoveOnDrop(Some(converted.clone()));
                xlsx::convert_isolated(path, &converted, limits)?;
                let file = File::open(&converted)
                    .map_err(|e| format!("Berkas sementara tidak dapat dibuka: {e}"))?;
                let size = file.metadata().map(|m| m.len()).unwrap_or(0);
                Ok(Table {
                    rows: csv::CsvRows::new(reader(file), b',', limits, true),
                    delimiter: b',',
                    size,
                    converted: guard.0.take(),
                })
            }
            Format::Csv => {
                let size = file.metadata().map(|m| m.len()).unwrap_or(0);
                let rest = std::io::Cursor::new(head.clone()).chain(file);
                Ok(Table::text(&head, Box::new(rest), size, limits))
            }
            Format::Refused(message) => Err(message.into()),
        }
    }

    /// A CSV held in memory.
    pub fn from_csv(bytes: Vec<u8>, limits: Limits) -> Result<Table, String> {
        if let Format::Refused(message) = Format::of(&bytes) {
            return Err(message.into());
        }
        let size = bytes.len() as u64;
        let head = bytes[..bytes.len().min(64 * 1024)].to_vec();
        Ok(Table::text(
            &head,
            Box::new(std::io::Cursor::new(bytes)),
            size,
            limits,
        ))
    }

    /// A CSV in any of the encodings `decode` knows, read as UTF-8.
    fn text(head: &[u8], input: Box<dyn Read + Send>, size: u64, limits: Limits) -> Table {
        let (encoding, bom) = decode::sniff(head);
        let (input, delimiter): (Box<dyn Read + Send>, u8) = if encoding == encoding_rs::UTF_8 {
            // csv_core skips a UTF-8 BOM itself.
            (input, csv::sniff_delimiter(head))
        } else {
            let (decoded, _) = encoding.decode_without_bom_handling(&head[bom..]);
            let mut input = input;
            let mut skipped = vec![0u8; bom];
            let _ = input.read_exact(&mut skipped);
            (
                Box::new(decode::DecodingReader::new(input, encoding)),
                csv::sniff_delimiter(decoded.as_bytes()),
            )
        };
        Table {
            rows: csv::CsvRows::new(input, delimiter, limits, false),
            delimiter,
            size,
            converted: None,
        }
    }

    /// Whether numbers in this file use a decimal comma and thousands dots: CSV separated by
    /// semicolons, as spreadsheets save it where the comma is the decimal separator.
    pub fn decimal_comma(&self) -> bool {
        self.delimiter == b';'
    }

    /// The next row; `None` after the last one or after an error.
    pub fn next_row(&mut self) -> Option<Result<Row, String>> {
        self.rows.next_row()
    }

    /// The columns of the row last returned that were number cells in a spreadsheet (XLSX
    /// only; a CSV has text cells). A number cell keeps 15 significant digits, so a long
    /// identifier read from one may have lost its last digits.
    pub fn numeric_cells(&self) -> &[usize] {
        self.rows.numeric()
    }

    /// Whether the row last returned ended the file without a line break: the last record of
    /// a file cut off while it was written or copied, when it has fewer cells than expected.
    pub fn last_row_unterminated(&self) -> bool {
        self.rows.unterminated()
    }

    /// Per mille of the file read.
    pub fn permille(&self) -> i32 {
        (self.rows.consumed() * 1000 / self.size.max(1)).min(1000) as i32
    }
}

impl Iterator for Table {
    type Item = Result<Row, String>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_row()
    }
}

struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn reader(file: File) -> Box<dyn Read + Send> {
    Box::new(BufReader::with_capacity(1 << 16, file))
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> Result<usize, String> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("Berkas tidak dapat dibaca: {e}")),
        }
    }
    Ok(filled)
}

/// A new path in the temporary directory for a converted file.
fn temporary_path() -> PathBuf {
    let mut bytes = [0u8; 12];
    let _ = getrandom::fill(&mut bytes);
    let name: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::env::temp_dir().join(format!("pesiar-tabel-{name}.csv"))
}

enum Format {
    Csv,
    Xlsx,
    Refused(&'static str),
}

impl Format {
    fn of(head: &[u8]) -> Self {
        if head.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else if head.starts_with(b"\xD0\xCF\x11\xE0") {
            Format::Refused(
                "Format .xls (Excel 97-2003) belum dapat dibaca; simpan sebagai .xlsx atau \
                 CSV UTF-8 lalu unggah lagi.",
            )
        } else if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
            Format::Csv
        } else if head.contains(&0) {
            Format::Refused("Berkas ini bukan CSV atau XLSX.")
        } else {
            Format::Csv
        }
    }
}

// Cells written for spreadsheets (exports, error reports): text a spreadsheet would run as
// a formula is prefixed with an apostrophe.

/// Whether a spreadsheet would take this text for a formula.
pub fn looks_like_formula(text: &str) -> bool {
    matches!(
        text.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    )
}

/// A text cell safe to open in a spreadsheet.
pub fn neutralise(text: &str) -> String {
    if looks_like_formula(text) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_travel_to_the_child_and_back() {
        let args = Limits::ROSTER.to_args();
        assert_eq!(Limits::from_args(&args), Some(Limits::ROSTER));
        assert_eq!(Limits::from_args(&args[..5]), None);
    }

    #[test]
    fn formats_that_are_not_read_say_what_to_do() {
        for head in [&b"\xD0\xCF\x11\xE0\xA1\xB1"[..], b"ab\0cd"] {
            let err = Table::from_csv(head.to_vec(), Limits::FIGURES)
                .err()
                .unwrap();
            assert!(err.contains("unggah") || err.contains("bukan CSV"), "{err}");
        }
    }

    #[test]
    fn csv_in_windows_1252_and_utf16_with_crlf_keeps_physical_lines() {
        let cp1252 = b"judul\r\n\r\nkode;nama\r\n1;Caf\xe9\r\n".to_vec();
        let table = Table::from_csv(cp1252, Limits::FIGURES).unwrap();
        assert!(table.decimal_comma());
        let rows: Vec<Row> = table.map(Result::unwrap).collect();
        assert_eq!(rows[2].line, 4);
        assert_eq!(rows[2].cells, ["1", "Café"]);
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "kode\tnama\r\n2\tJalan\r\n"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        let table = Table::from_csv(utf16, Limits::FIGURES).unwrap();
        assert!(!table.decimal_comma());
        let rows: Vec<Row> = table.map(Result::unwrap).collect();
        assert_eq!(
            (rows[1].line, rows[1].cells.clone()),
            (2, vec!["2".into(), "Jalan".into()])
        );
    }

    #[test]
    fn a_last_record_without_a_line_break_is_told_apart() {
        let mut table = Table::from_csv(b"a,b\n1,2\n3".to_vec(), Limits::FIGURES).unwrap();
        table.next_row();
        assert!(!table.last_row_unterminated());
        table.next_row();
        assert!(!table.last_row_unterminated());
        assert_eq!(table.next_row().unwrap().unwrap().cells, ["3"]);
        assert!(table.last_row_unterminated());
        let mut table = Table::from_csv(b"a,b\r\n1,2\r\n".to_vec(), Limits::FIGURES).unwrap();
        table.next_row();
        table.next_row();
        assert!(!table.last_row_unterminated());
        assert!(table.next_row().is_none());
    }

    #[test]
    fn an_xlsx_is_streamed_with_its_row_numbers() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "kode").unwrap();
        sheet.write_number(0, 1, 12.0).unwrap();
        sheet.write_string(4, 2, "jauh").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.xlsx");
        book.save(&path).unwrap();
        let rows: Vec<Row> = Table::open(&path, Limits::FIGURES)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].cells, ["kode", "12"]);
        let mut table = Table::open(&path, Limits::FIGURES).unwrap();
        table.next_row();
        assert_eq!(table.numeric_cells(), [1]);
        table.next_row();
        assert!(table.numeric_cells().is_empty());
        assert!(!table.last_row_unterminated());
        assert_eq!((rows[1].line, rows[1].cells[2].as_str()), (5, "jauh"));
    }

    #[test]
    fn a_sparse_sheet_reaching_the_last_cell_is_refused_by_its_columns() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "a").unwrap();
        sheet.write_string(1_048_575, 16_383, "z").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.xlsx");
        book.save(&path).unwrap();
        let err = Table::open(&path, Limits::FIGURES).err().expect("refused");
        assert!(err.contains("100 kolom"), "{err}");
    }
}
