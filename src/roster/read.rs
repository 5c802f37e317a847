//! Checking a roster extract's rows, which `tabular` reads one at a time from CSV or XLSX.

use std::collections::HashMap;

pub use super::columns::COLUMNS;
use super::columns::{REQUIRED, column_of};
use super::{
    CellError, RosterRow, parse_class, parse_reason, parse_segment, parse_sex, parse_status,
};
use crate::members::forms::normalize_name;
use crate::members::identity::{Nik, NomorKartuJkn, NomorKk};
use crate::members::{MemberStatus, Segment};
use crate::regions::desa_code;
use crate::tabular::{dates, excel_serial_date};
use chrono::NaiveDate;

/// Where each known column is in the file's header.
pub struct Header {
    index: HashMap<&'static str, usize>,
    /// The file writes `1.234,5` (see `Table::decimal_comma`): for the arrears amounts.
    pub decimal_comma: bool,
    /// Header cells naming no column (or one named before), as written: left out of the
    /// import, and said so.
    pub ignored: Vec<String>,
    /// Cells in the header row, up to the last one with a name.
    pub width: usize,
}

impl Header {
    pub fn parse(cells: &[String]) -> Result<Self, String> {
        let mut index = HashMap::new();
        let mut ignored = Vec::new();
        for (i, cell) in cells.iter().enumerate() {
            let taken = column_of(cell).is_some_and(|known| match index.entry(known) {
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(i);
                    true
                }
                std::collections::hash_map::Entry::Occupied(_) => false,
            });
            let written = cell.trim().trim_start_matches('\u{feff}');
            if !taken && !written.is_empty() {
                ignored.push(written.chars().take(60).collect());
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
        let width = cells
            .iter()
            .rposition(|c| !c.trim().is_empty())
            .map_or(0, |i| i + 1);
        Ok(Self {
            index,
            decimal_comma: false,
            ignored,
            width,
        })
    }

    fn get<'a>(&self, cells: &'a [String], column: &str) -> &'a str {
        self.index
            .get(column)
            .and_then(|i| cells.get(*i))
            .map_or("", |s| s.as_str())
    }

    fn is_numeric(&self, numeric: &[usize], column: &str) -> bool {
        self.index.get(column).is_some_and(|i| numeric.contains(i))
    }
}

/// An identifier cell as a spreadsheet may have left it: the digits, and whether any digit
/// past the 15th significant one may be wrong. A number cell keeps 15 significant digits
/// (3273026810570038 becomes 3273026810570040), and a CSV saved from it may write it in
/// scientific notation (`9,17101160886059E+015`); the leading apostrophe that keeps a cell
/// text (`'3273…`) is left out.
struct Identifier {
    text: String,
    damaged: bool,
}

fn identifier(raw: &str, from_number_cell: bool) -> Identifier {
    let raw = raw
        .trim()
        .trim_start_matches(['\'', '\u{2019}', '`'])
        .trim();
    if let Some((text, exact)) = scientific(raw) {
        return Identifier {
            damaged: !exact || text.len() > 15,
            text,
        };
    }
    let digits = raw.bytes().filter(u8::is_ascii_digit).count();
    Identifier {
        text: raw.to_string(),
        damaged: from_number_cell && digits > 15,
    }
}

/// The whole number written as `9,17101160886059E+015` or `3.27302681057004E+15`, and whether
/// every digit of it was written (no digit was rounded away). `None` if it is not such a
/// number.
fn scientific(raw: &str) -> Option<(String, bool)> {
    let (mantissa, exponent) = raw.split_once(['E', 'e'])?;
    let exponent: u32 = exponent.trim_start_matches('+').parse().ok()?;
    let (whole, fraction) = mantissa.split_once(['.', ',']).unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.len() != 1 || !all_digits(whole) || !all_digits(fraction) || exponent > 30 {
        return None;
    }
    let places = exponent as usize;
    let (int_part, rest) = fraction.split_at(fraction.len().min(places));
    if !rest.bytes().all(|b| b == b'0') {
        return None;
    }
    let mut text = format!("{whole}{int_part}");
    // Zeros made up to fill the exponent are digits nobody wrote.
    let exact = text.len() == places + 1;
    text.extend(std::iter::repeat_n('0', places + 1 - text.len()));
    Some((text, exact))
}

/// A birth date as extracts write it: any date `tabular::dates` reads, or an Excel serial
/// number (a date cell saved as a number, `32874` for 1990-01-01).
fn birth_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    let today = crate::web::today();
    if let Ok(date) = dates::parse(raw, today) {
        return Some(date);
    }
    let whole = raw.strip_suffix(".0").unwrap_or(raw);
    if (4..=5).contains(&whole.len()) && whole.bytes().all(|b| b.is_ascii_digit()) {
        return whole
            .parse::<f64>()
            .ok()
            .and_then(excel_serial_date)
            .filter(|d| *d <= today);
    }
    None
}

/// Warnings of rows taken with a repair: the message starts with this mark.
pub const DAMAGED: &str = "NIK rusak (Excel)";

/// Checks one row. `numeric`: the columns that were number cells (see
/// `Table::numeric_cells`). `region_ok` says whether a desa/kelurahan code may be imported
/// (known, and within the importer's areas) and why not. A row taken with a repair (an
/// identifier a spreadsheet damaged, left out) adds its warnings to `warnings`.
pub fn check(
    header: &Header,
    line: usize,
    cells: &[String],
    numeric: &[usize],
    region_ok: &dyn Fn(&str) -> Result<(), &'static str>,
    warnings: &mut Vec<CellError>,
) -> Result<RosterRow, Vec<CellError>> {
    let mut errors = Vec::new();
    let mut warned = Vec::new();
    let cell_error = |column: &str, value: &str, message: &str| CellError {
        line,
        column: column.to_string(),
        value: value.chars().take(80).collect(),
        message: message.to_string(),
    };
    let mut err =
        |column: &str, value: &str, message: &str| errors.push(cell_error(column, value, message));
    let get = |column: &str| header.get(cells, column);
    let id = |column: &str| identifier(get(column), header.is_numeric(numeric, column));

    let nik_cell = id("nik");
    let nik = match nik_cell.text.as_str() {
        "" => None,
        _ if nik_cell.damaged => {
            warned.push(cell_error(
                "nik",
                &nik_cell.text,
                &format!(
                    "{DAMAGED}: sel angka atau notasi ilmiah hanya menyimpan 15 digit, jadi \
                     NIK ini tidak dipakai; peserta dicocokkan dengan nomor kartu JKN, lalu \
                     nama dan tanggal lahir di kelurahannya. Simpan kolom NIK sebagai teks."
                ),
            ));
            None
        }
        raw => match Nik::parse(raw) {
            Ok(nik) => Some(nik.as_str().to_string()),
            Err(message) => {
                err("nik", raw, message);
                None
            }
        },
    };
    let card_cell = id("no_kartu_jkn");
    let jkn_number = match card_cell.text.as_str() {
        "" => None,
        _ if card_cell.damaged => {
            warned.push(cell_error(
                "no_kartu_jkn",
                &card_cell.text,
                "Nomor kartu rusak (Excel): digit terakhirnya hilang dalam notasi ilmiah, \
                 jadi nomor ini tidak dipakai. Simpan kolom nomor kartu sebagai teks.",
            ));
            None
        }
        // A number keeps every digit below 15, only not the leading zeros: padded back to 13.
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
    let id_damaged = nik_cell.damaged || card_cell.damaged;
    if nik_cell.text.is_empty() && card_cell.text.is_empty() {
        err("nik", "", "NIK atau nomor kartu JKN wajib diisi.");
    }
    let kk_cell = id("no_kk");
    let nomor_kk = match kk_cell.text.as_str() {
        "" => None,
        // The household is then found by its address.
        _ if kk_cell.damaged => {
            warned.push(cell_error(
                "no_kk",
                &kk_cell.text,
                "No. KK rusak (Excel): sel angka hanya menyimpan 15 digit, jadi nomor ini \
                 tidak dipakai. Simpan kolom No. KK sebagai teks.",
            ));
            None
        }
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
    let birth_date = birth_date(get("tanggal_lahir"))
        .filter(|d| *d >= chrono::NaiveDate::from_ymd_opt(1880, 1, 1).unwrap_or_default());
    if birth_date.is_none() {
        err(
            "tanggal_lahir",
            get("tanggal_lahir"),
            "Tanggal tidak valid (TTTT-BB-HH atau HH-BB-TTTT).",
        );
    }
    let region = match desa_code(get("kode_wilayah")) {
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
    // Arrears are read for mandiri members an extract lists as inactive; other rows' cells are
    // ignored, as their class is.
    let owes = status == Some(MemberStatus::Inactive) && segment.is_some_and(Segment::has_class);
    let arrears_months = match get("bulan_tunggakan") {
        "" | "-" => None,
        _ if !owes => None,
        raw => match crate::tabular::numbers::parse_count(raw, header.decimal_comma) {
            Ok(m) if m <= MAX_ARREARS_MONTHS => i32::try_from(m).ok(),
            _ => {
                err(
                    "bulan_tunggakan",
                    raw,
                    "Bulan tunggakan berupa bilangan bulat 0 sampai 240.",
                );
                None
            }
        },
    };
    let arrears_amount = match get("jumlah_tunggakan") {
        "" | "-" => None,
        _ if !owes => None,
        raw => {
            let amount = raw
                .trim()
                .trim_start_matches(['R', 'r'])
                .trim_start_matches('p');
            match crate::tabular::numbers::parse_count(amount, header.decimal_comma) {
                Ok(rp) if rp <= MAX_ARREARS_RUPIAH => Some(rp),
                _ => {
                    err(
                        "jumlah_tunggakan",
                        raw,
                        "Jumlah tunggakan berupa rupiah utuh (contoh 245000 atau Rp 245.000).",
                    );
                    None
                }
            }
        }
    };
    let village_official = match super::parse_official(get("perangkat_desa"), get("segmen")) {
        Some(v) => v,
        None => {
            err(
                "perangkat_desa",
                get("perangkat_desa"),
                "Perangkat desa: isi ya atau tidak (kosong berarti tidak).",
            );
            false
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
    warnings.append(&mut warned);
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
        id_damaged,
        arrears_months,
        arrears_amount,
        village_official,
    })
}

/// The longest arrears an extract may list: JKN began in 2014.
const MAX_ARREARS_MONTHS: i64 = 240;
/// A bound no member's arrears reach (240 months of the highest class is under Rp 40 juta).
const MAX_ARREARS_RUPIAH: i64 = 1_000_000_000;

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
        let r = check(&header(), 2, &row(OK), &[], &|_| Ok(()), &mut Vec::new()).unwrap();
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
        let errors = check(&header(), 7, &row(bad), &[], &|_| Ok(()), &mut Vec::new()).unwrap_err();
        let columns: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(columns, ["nik", "segmen", "status"]);
        assert!(errors.iter().all(|e| e.line == 7));
        assert_eq!(errors[1].value, "Asuransi X");
    }

    #[test]
    fn a_region_outside_scope_is_refused() {
        let errors = check(
            &header(),
            3,
            &row(OK),
            &[],
            &|_| Err("Di luar wilayah Anda."),
            &mut Vec::new(),
        )
        .unwrap_err();
        assert_eq!(errors[0].column, "kode_wilayah");
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let err = Header::parse(&["nik".into(), "nama".into()]).err().unwrap();
        assert!(err.contains("jenis_kelamin"), "{err}");
    }

    #[test]
    fn identifiers_a_spreadsheet_damaged_are_told_apart() {
        let id = |raw: &str, number: bool| {
            let i = identifier(raw, number);
            (i.text, i.damaged)
        };
        assert_eq!(
            id("'3273015708900003", false),
            ("3273015708900003".into(), false)
        );
        assert_eq!(
            id("3273015708900003", false),
            ("3273015708900003".into(), false)
        );
        assert_eq!(
            id("3273026810570040", true),
            ("3273026810570040".into(), true)
        );
        assert_eq!(id("2802875185", true), ("2802875185".into(), false));
        assert_eq!(
            id("9,17101160886059E+015", false),
            ("9171011608860590".into(), true)
        );
        assert_eq!(
            id("3.27302681057004E+15", false),
            ("3273026810570040".into(), true)
        );
        assert_eq!(id("2,802875185E+09", false), ("2802875185".into(), false));
        assert_eq!(id("2,8028751E+09", false), ("2802875100".into(), true));
        assert_eq!(scientific("1,5E+00"), None);
        assert_eq!(scientific("E+15"), None);
        assert_eq!(scientific("12,3E+15"), None);
    }

    #[test]
    fn damaged_identifiers_are_warned_about_not_refused() {
        let mut cells = OK;
        cells[0] = "3,27301570890000E+15";
        cells[9] = "";
        let mut warnings = Vec::new();
        let r = check(&header(), 4, &row(cells), &[], &|_| Ok(()), &mut warnings).unwrap();
        assert_eq!((r.nik.as_deref(), r.id_damaged), (None, true));
        assert_eq!(r.key(), Some(r.person_key()));
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].message.starts_with(DAMAGED),
            "{:?}",
            warnings[0]
        );
        // The same digits from a number cell (column 0) are damaged too; as text they are not.
        let mut cells = OK;
        cells[0] = "3273015708900000";
        let mut warnings = Vec::new();
        let r = check(
            &header(),
            4,
            &row(cells),
            &[0, 9],
            &|_| Ok(()),
            &mut warnings,
        )
        .unwrap();
        assert_eq!(r.nik, None);
        assert_eq!(r.jkn_number.as_deref(), Some("0002802875185"));
        assert_eq!(r.key(), MemberKey::card("0002802875185"));
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn birth_dates_as_serial_numbers() {
        let mut cells = OK;
        cells[4] = "32874";
        let r = check(&header(), 2, &row(cells), &[], &|_| Ok(()), &mut Vec::new()).unwrap();
        assert_eq!(r.birth_date, NaiveDate::from_ymd_opt(1990, 1, 1).unwrap());
        assert_eq!(
            birth_date("1990-01-01 00:00:00"),
            NaiveDate::from_ymd_opt(1990, 1, 1)
        );
        assert_eq!(birth_date("99999"), None);
    }

    #[test]
    fn header_names_as_offices_write_them() {
        let cells: Vec<String> = [
            "NIK",
            "No. KK",
            "Nama Peserta",
            "JK",
            "Tgl Lahir",
            "Kode Desa",
            "RT",
            "RW",
            "Alamat",
            "No. Kartu JKN",
            "Segmen",
            "Kelas",
            "Status Peserta",
            "Alasan Non Aktif",
            "Faskes",
            "",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect();
        let h = Header::parse(&cells).unwrap();
        assert_eq!(h.index.len(), 14);
        assert_eq!(h.ignored, ["Faskes"]);
        assert_eq!(h.width, 15);
        for (written, column) in [
            ("No KK", "no_kk"),
            ("Nomor KK", "no_kk"),
            ("NoKK", "no_kk"),
            ("Nomor Kartu", "no_kartu_jkn"),
            ("No Kartu JKN", "no_kartu_jkn"),
            ("ALASAN_NONAKTIF", "alasan_nonaktif"),
            ("Alasan Nonaktif", "alasan_nonaktif"),
        ] {
            assert_eq!(column_of(written), Some(column), "{written}");
        }
        assert_eq!(column_of("Faskes Tingkat 1"), None);
    }
}
