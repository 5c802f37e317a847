//! Reading a roster extract one row at a time — CSV (UTF-8, comma or semicolon, optional BOM)
//! or XLSX (first sheet, streamed cell by cell) — and checking each row.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use calamine::{Data, Reader, Xlsx};

use super::{
    CellError, RosterRow, parse_class, parse_reason, parse_segment, parse_sex, parse_status,
};
use crate::members::forms::{normalize_name, parse_date};
use crate::members::identity::{Nik, NomorKartuJkn, NomorKk};
use crate::members::{MemberStatus, Segment};
use crate::regions::{Level, RegionCode};

/// The columns of an extract, in the order rows are given to `check`.
pub const COLUMNS: [&str; 14] = [
    "nik",
    "no_kk",
    "nama",
    "jenis_kelamin",
    "tanggal_lahir",
    "kode_wilayah",
    "rt",
    "rw",
    "alamat",
    "no_kartu_jkn",
    "segmen",
    "kelas",
    "status",
    "alasan_nonaktif",
];
/// Columns a file must have; the others may be left out.
const REQUIRED: [&str; 7] = [
    "nik",
    "nama",
    "jenis_kelamin",
    "tanggal_lahir",
    "kode_wilayah",
    "segmen",
    "status",
];

/// Rows of a file as text cells, with their line numbers and how far through the file they are.
pub enum RowSource {
    Csv {
        reader: csv::Reader<BufReader<File>>,
        record: csv::StringRecord,
        size: u64,
    },
    Xlsx {
        rx: std::sync::mpsc::Receiver<XlsxMessage>,
        total: usize,
        done: usize,
    },
}

impl RowSource {
    pub fn open(path: &Path) -> Result<Self, String> {
        let mut file = File::open(path).map_err(|e| format!("Berkas tidak dapat dibuka: {e}"))?;
        let mut magic = [0u8; 4];
        let n = file.read(&mut magic).unwrap_or(0);
        file.seek(SeekFrom::Start(0))
            .map_err(|e| format!("Berkas tidak dapat dibaca: {e}"))?;
        if n == 4 && &magic == b"PK\x03\x04" {
            open_xlsx(path)
        } else {
            open_csv(file)
        }
    }

    /// The next row: (line number, cells). `None` at the end.
    pub fn next_row(&mut self) -> Option<Result<(usize, Vec<String>), String>> {
        match self {
            RowSource::Csv { reader, record, .. } => match reader.read_record(record) {
                Ok(true) => {
                    let line = record.position().map_or(0, |p| p.line() as usize);
                    Some(Ok((
                        line,
                        record.iter().map(|c| c.trim().to_string()).collect(),
                    )))
                }
                Ok(false) => None,
                Err(e) => Some(Err(format!("Berkas CSV tidak dapat dibaca: {e}"))),
            },
            RowSource::Xlsx { rx, done, .. } => match rx.recv() {
                Ok(XlsxMessage::Row(line, cells)) => {
                    *done += 1;
                    Some(Ok((line, cells)))
                }
                Ok(XlsxMessage::Failed(message)) => Some(Err(message)),
                Ok(XlsxMessage::Rows(_)) | Err(_) => None,
            },
        }
    }

    /// Per mille of the file read.
    pub fn permille(&self) -> i32 {
        match self {
            RowSource::Csv { reader, size, .. } => {
                (reader.position().byte() * 1000 / (*size).max(1)).min(1000) as i32
            }
            RowSource::Xlsx { total, done, .. } => {
                (*done as u64 * 1000 / (*total as u64).max(1)).min(1000) as i32
            }
        }
    }
}

fn open_csv(mut file: File) -> Result<RowSource, String> {
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    // The delimiter is whichever of ';' and ',' the header line has more of.
    let mut head = vec![0u8; 4096];
    let n = file.read(&mut head).unwrap_or(0);
    head.truncate(n);
    let bom = head.starts_with(b"\xEF\xBB\xBF");
    let first_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let semicolons = first_line.iter().filter(|b| **b == b';').count();
    let commas = first_line.iter().filter(|b| **b == b',').count();
    let delimiter = if semicolons > commas { b';' } else { b',' };
    file.seek(SeekFrom::Start(if bom { 3 } else { 0 }))
        .map_err(|e| format!("Berkas tidak dapat dibaca: {e}"))?;
    let reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 16, file));
    Ok(RowSource::Csv {
        reader,
        record: csv::StringRecord::new(),
        size,
    })
}

/// XLSX: a thread streams the first sheet's cells from the archive and hands over whole rows
/// through a small bounded channel, so only a few rows are in memory at a time.
fn open_xlsx(path: &Path) -> Result<RowSource, String> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<XlsxMessage>(256);
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        if let Err(message) = stream_xlsx(&path, &tx) {
            let _ = tx.send(XlsxMessage::Failed(message));
        }
    });
    let total = match rx.recv() {
        Ok(XlsxMessage::Rows(total)) => total,
        Ok(XlsxMessage::Failed(message)) => return Err(message),
        _ => return Err("Berkas XLSX tidak dapat dibaca.".into()),
    };
    Ok(RowSource::Xlsx { rx, total, done: 0 })
}

pub enum XlsxMessage {
    Rows(usize),
    Row(usize, Vec<String>),
    Failed(String),
}

fn stream_xlsx(path: &Path, tx: &std::sync::mpsc::SyncSender<XlsxMessage>) -> Result<(), String> {
    let mut workbook: Xlsx<_> = calamine::open_workbook(path)
        .map_err(|e| format!("Berkas XLSX tidak dapat dibaca: {e}"))?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or("Berkas XLSX tidak punya lembar kerja.")?;
    let mut cells = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|e| format!("Lembar pertama tidak dapat dibaca: {e}"))?;
    let dimensions = cells.dimensions();
    let height = (dimensions.end.0 - dimensions.start.0) as usize + 1;
    if tx.send(XlsxMessage::Rows(height)).is_err() {
        return Ok(());
    }
    let mut current: Option<(usize, Vec<String>)> = None;
    loop {
        let cell = match cells.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(e) => return Err(format!("Lembar pertama tidak dapat dibaca: {e}")),
        };
        let (row, col) = cell.get_position();
        let line = row as usize + 1;
        if current.as_ref().is_some_and(|(l, _)| *l != line)
            && let Some((l, cells)) = current.take()
            && tx.send(XlsxMessage::Row(l, cells)).is_err()
        {
            return Ok(()); // the importer stopped reading
        }
        let (_, row_cells) = current.get_or_insert_with(|| (line, Vec::new()));
        let col = col as usize;
        if row_cells.len() <= col {
            row_cells.resize(col + 1, String::new());
        }
        row_cells[col] = cell_text(&Data::from(cell.get_value().clone()));
    }
    if let Some((l, cells)) = current {
        let _ = tx.send(XlsxMessage::Row(l, cells));
    }
    Ok(())
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => crate::figures::parse::excel_serial_date(d.as_f64())
            .map(|date| date.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| d.to_string()),
        Data::DateTimeIso(s) => s.chars().take(10).collect(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Where each known column is in the file's header.
pub struct Header {
    index: HashMap<&'static str, usize>,
}

impl Header {
    pub fn parse(cells: &[String]) -> Result<Self, String> {
        let mut index = HashMap::new();
        for (i, cell) in cells.iter().enumerate() {
            let name = cell.trim().trim_start_matches('\u{feff}').to_lowercase();
            if let Some(known) = COLUMNS.iter().find(|c| **c == name) {
                index.entry(*known).or_insert(i);
            }
        }
        let missing: Vec<&str> = REQUIRED
            .iter()
            .filter(|c| !index.contains_key(*c))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "Kolom wajib tidak ada di baris judul: {}. Kolom yang dikenali: {}.",
                missing.join(", "),
                COLUMNS.join(", ")
            ));
        }
        Ok(Self { index })
    }

    fn get<'a>(&self, cells: &'a [String], column: &str) -> &'a str {
        self.index
            .get(column)
            .and_then(|i| cells.get(*i))
            .map_or("", |s| s.as_str())
    }
}

/// A desa/kelurahan code as written in extracts: dotted, or the ten digits without dots.
pub fn region_code(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let dotted = if raw.len() == 10 && raw.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}.{}.{}.{}", &raw[..2], &raw[2..4], &raw[4..6], &raw[6..])
    } else {
        raw.to_string()
    };
    RegionCode::parse(&dotted)
        .filter(|c| c.level() == Level::DesaKelurahan)
        .map(|c| c.as_str().to_string())
}

/// Checks one row. `region_ok` says whether a desa/kelurahan code may be imported (known, and
/// within the importer's areas) and why not.
pub fn check(
    header: &Header,
    line: usize,
    cells: &[String],
    region_ok: &dyn Fn(&str) -> Result<(), &'static str>,
) -> Result<RosterRow, Vec<CellError>> {
    let mut errors = Vec::new();
    let mut err = |column: &str, value: &str, message: &str| {
        errors.push(CellError {
            line,
            column: column.to_string(),
            value: value.chars().take(80).collect(),
            message: message.to_string(),
        })
    };
    let get = |column: &str| header.get(cells, column);

    let nik = match get("nik") {
        "" => None,
        raw => match Nik::parse(raw) {
            Ok(nik) => Some(nik.as_str().to_string()),
            Err(message) => {
                err("nik", raw, message);
                None
            }
        },
    };
    let jkn_number = match get("no_kartu_jkn") {
        "" => None,
        // Spreadsheets drop leading zeros: a shorter number is padded back to 13 digits.
        raw if raw.len() < 13 && raw.bytes().all(|b| b.is_ascii_digit()) => {
            Some(format!("{raw:0>13}"))
        }
        raw => match NomorKartuJkn::parse(raw) {
            Ok(n) => Some(n.as_str().to_string()),
            Err(message) => {
                err("no_kartu_jkn", raw, message);
                None
            }
        },
    };
    if get("nik").is_empty() && get("no_kartu_jkn").is_empty() {
        err("nik", "", "NIK atau nomor kartu JKN wajib diisi.");
    }
    let nomor_kk = match get("no_kk") {
        "" => None,
        raw => match NomorKk::parse(raw) {
            Ok(kk) => Some(kk.as_str().to_string()),
            Err(message) => {
                err("no_kk", raw, message);
                None
            }
        },
    };
    let name = match normalize_name(get("nama")) {
        Ok(name) => name,
        Err(message) => {
            err("nama", get("nama"), message);
            String::new()
        }
    };
    let sex = parse_sex(get("jenis_kelamin"));
    if sex.is_none() {
        err(
            "jenis_kelamin",
            get("jenis_kelamin"),
            "Tidak dikenali (L atau P).",
        );
    }
    let birth_date = parse_date(get("tanggal_lahir"))
        .filter(|d| *d >= chrono::NaiveDate::from_ymd_opt(1880, 1, 1).unwrap_or_default());
    if birth_date.is_none() {
        err(
            "tanggal_lahir",
            get("tanggal_lahir"),
            "Tanggal tidak valid (TTTT-BB-HH atau HH-BB-TTTT).",
        );
    }
    let region = match region_code(get("kode_wilayah")) {
        Some(code) => match region_ok(&code) {
            Ok(()) => Some(code),
            Err(message) => {
                err("kode_wilayah", get("kode_wilayah"), message);
                None
            }
        },
        None => {
            err(
                "kode_wilayah",
                get("kode_wilayah"),
                "Bukan kode desa/kelurahan (contoh 32.73.01.1001).",
            );
            None
        }
    };
    let segment = parse_segment(get("segmen"));
    if segment.is_none() {
        err("segmen", get("segmen"), "Segmen tidak dikenali.");
    }
    let status = parse_status(get("status"));
    if status.is_none() {
        err("status", get("status"), "Status tidak dikenali.");
    }
    let class = match get("kelas") {
        "" | "-" => None,
        raw => {
            let class = parse_class(raw);
            if class.is_none() {
                err("kelas", raw, "Kelas tidak dikenali (1, 2 atau 3).");
            }
            class
        }
    };
    let inactive_reason = match get("alasan_nonaktif") {
        "" | "-" => None,
        raw => {
            let reason = parse_reason(raw);
            if reason.is_none() {
                err("alasan_nonaktif", raw, "Alasan nonaktif tidak dikenali.");
            }
            reason
        }
    };
    let rt = get("rt");
    let rw = get("rw");
    for (column, value) in [("rt", rt), ("rw", rw)] {
        if value.len() > 3 || !value.bytes().all(|b| b.is_ascii_digit()) {
            err(column, value, "RT/RW berupa angka, paling banyak 3 digit.");
        }
    }
    let address: String = get("alamat")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if address.chars().count() > 200 || address.chars().any(char::is_control) {
        err(
            "alamat",
            &address,
            "Alamat paling banyak 200 karakter, tanpa karakter kontrol.",
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(sex), Some(birth_date), Some(region_code), Some(segment), Some(status)) =
        (sex, birth_date, region, segment, status)
    else {
        return Err(errors);
    };
    let pad = |v: &str| {
        if v.is_empty() {
            String::new()
        } else {
            format!("{v:0>3}")
        }
    };
    Ok(RosterRow {
        line,
        nik,
        nomor_kk,
        name,
        sex,
        birth_date,
        region_code,
        rt: pad(rt),
        rw: pad(rw),
        address,
        jkn_number,
        class: class.filter(|_| segment.has_class()),
        inactive_reason: inactive_reason.filter(|_| status == MemberStatus::Inactive),
        segment: if status == MemberStatus::NotRegistered {
            Segment::NotRegistered
        } else {
            segment
        },
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::MemberKey;

    fn header() -> Header {
        Header::parse(&COLUMNS.iter().map(|c| c.to_uppercase()).collect::<Vec<_>>()).unwrap()
    }

    fn row(values: [&str; 14]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    const OK: [&str; 14] = [
        "3273015708900003",
        "3273010101100001",
        "Siti  Aminah",
        "P",
        "17-08-1990",
        "3273011001",
        "1",
        "02",
        "Jl. Dago 1",
        "2802875185",
        "Mandiri",
        "III",
        "NON AKTIF",
        "menunggak",
    ];

    #[test]
    fn a_good_row_is_normalised() {
        let r = check(&header(), 2, &row(OK), &|_| Ok(())).unwrap();
        assert_eq!(r.name, "Siti Aminah");
        assert_eq!(r.region_code, "32.73.01.1001");
        assert_eq!(r.jkn_number.as_deref(), Some("0002802875185"));
        assert_eq!(r.rt, "001");
        assert_eq!(r.segment, Segment::Pbpu);
        assert_eq!(r.status, MemberStatus::Inactive);
        assert_eq!(r.key(), MemberKey::nik("3273015708900003"));
        assert_ne!(r.key(), MemberKey::card("3273015708900003"));
    }

    #[test]
    fn every_bad_cell_is_reported_with_its_value() {
        let mut bad = OK;
        bad[0] = "1234";
        bad[10] = "Asuransi X";
        bad[12] = "ditangguhkan";
        let errors = check(&header(), 7, &row(bad), &|_| Ok(())).unwrap_err();
        let columns: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(columns, ["nik", "segmen", "status"]);
        assert!(errors.iter().all(|e| e.line == 7));
        assert_eq!(errors[1].value, "Asuransi X");
    }

    #[test]
    fn a_region_outside_scope_is_refused() {
        let errors = check(&header(), 3, &row(OK), &|_| Err("Di luar wilayah Anda.")).unwrap_err();
        assert_eq!(errors[0].column, "kode_wilayah");
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let err = Header::parse(&["nik".into(), "nama".into()]).err().unwrap();
        assert!(err.contains("jenis_kelamin"), "{err}");
    }
}
