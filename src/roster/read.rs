//! Checking a roster extract's rows, which `tabular` reads one at a time from CSV or XLSX.

use std::collections::HashMap;

use super::{
    CellError, RosterRow, parse_class, parse_reason, parse_segment, parse_sex, parse_status,
};
use crate::members::forms::{normalize_name, parse_date};
use crate::members::identity::{Nik, NomorKartuJkn, NomorKk};
use crate::members::{MemberStatus, Segment};
use crate::regions::desa_code;

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

/// Where each known column is in the file's header.
pub struct Header {
    index: HashMap<&'static str, usize>,
}

impl Header {
    pub fn parse(cells: &[String]) -> Result<Self, String> {
        let mut index = HashMap::new();
        for (i, cell) in cells.iter().enumerate() {
            let name = crate::tabular::header_name(cell);
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
