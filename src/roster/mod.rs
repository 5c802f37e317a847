//! The BPJS member roster: extracts (CSV or XLSX) imported by the million, each member's status
//! kept over time, dated figures derived from it, and field claims reconciled against it.
//!
//! `read` turns a file into checked rows one at a time; `import` runs an import, handing the
//! rows to `batch` (one transaction each, written in bulk by `write`), so an interrupted import
//! keeps what it did and can simply be re-run; `tally` counts what the figures are derived
//! from; `moves` holds rows of members living outside the importer's areas; `report` lists
//! what the import could not take.

mod batch;
mod columns;
pub mod import;
pub mod moves;
pub mod read;
pub mod report;
pub mod routes;
mod tally;
mod write;

use chrono::NaiveDate;

use crate::members::identity::Sex;
use crate::members::{Class, InactiveReason, MemberStatus, Segment};

crate::text_enum! {
    /// Where an import stands.
    pub enum ImportState {
        Running => ("berjalan", "Berjalan"),
        Done => ("selesai", "Selesai"),
        Failed => ("gagal", "Gagal"),
    }
}

crate::text_enum! {
    /// A held row: waiting for someone who covers both kelurahan, or decided.
    pub enum MoveState {
        Held => ("ditahan", "Ditahan"),
        Accepted => ("diterima", "Diterima"),
        Rejected => ("ditolak", "Ditolak"),
    }
}

/// One valid roster row.
#[derive(Clone, Debug, PartialEq)]
pub struct RosterRow {
    pub line: usize,
    pub nik: Option<String>,
    pub nomor_kk: Option<String>,
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub region_code: String,
    pub rt: String,
    pub rw: String,
    pub address: String,
    pub jkn_number: Option<String>,
    pub segment: Segment,
    pub class: Option<Class>,
    pub status: MemberStatus,
    pub inactive_reason: Option<InactiveReason>,
    /// The file's NIK or card number was damaged by a spreadsheet ("NIK rusak (Excel)") and
    /// left out: the member is matched by card number, then by name and birth date in the
    /// kelurahan, whether or not they have a NIK.
    pub id_damaged: bool,
    /// Months in arrears and their amount in rupiah, as the extract lists them (mandiri members
    /// listed inactive only).
    pub arrears_months: Option<i32>,
    pub arrears_amount: Option<i64>,
    /// The row marks the member a village official (kepala desa or perangkat): an optional
    /// `perangkat_desa` column, or the segment spelled "PPU PN Perangkat Desa".
    pub village_official: bool,
}

impl RosterRow {
    /// The identity a row is matched on: the NIK, else the JKN card number, else its name and
    /// birth date in the kelurahan. `None` only for a NIK or card that does not fit a key,
    /// which `read::check` never lets through.
    pub fn key(&self) -> Option<MemberKey> {
        match (&self.nik, &self.jkn_number) {
            (Some(nik), _) => MemberKey::nik(nik),
            (None, Some(card)) => MemberKey::card(card),
            (None, None) => Some(self.person_key()),
        }
    }

    /// The key of the row's name and birth date in its kelurahan.
    pub fn person_key(&self) -> MemberKey {
        MemberKey::person(&self.region_code, &self.name, self.birth_date)
    }
}

/// A member's identity as one number: the NIK (16 digits), or a JKN card number (13 digits)
/// with the top bit set. Exact, 8 bytes, and hashed cheaply: an import keeps one for every
/// member it has seen or that the database already holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemberKey(u64);

impl MemberKey {
    const CARD: u64 = 1 << 63;
    /// A person known by name and birth date in a kelurahan: a 62-bit hash under this bit
    /// (NIKs and card numbers are far below it).
    const PERSON: u64 = 1 << 62;

    /// The key of a name (compared in lower case, single spaces) and birth date in a kelurahan.
    pub fn person(region_code: &str, name: &str, birth_date: NaiveDate) -> Self {
        // FNV-1a: the same in every process, so keys made while reading and keys of members
        // loaded from the database meet.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        let date = birth_date.to_string();
        for bytes in [
            region_code.as_bytes(),
            b"|",
            name.to_lowercase().as_bytes(),
            b"|",
            date.as_bytes(),
        ] {
            for b in bytes {
                hash ^= u64::from(*b);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        MemberKey((hash & (Self::PERSON - 1)) | Self::PERSON)
    }

    /// The key of a NIK; `None` unless it is all digits and fits.
    pub fn nik(nik: &str) -> Option<Self> {
        Self::digits(nik)
            .filter(|n| n & (Self::CARD | Self::PERSON) == 0)
            .map(MemberKey)
    }

    /// The key of a JKN card number; `None` unless it is all digits and fits.
    pub fn card(card: &str) -> Option<Self> {
        Self::digits(card)
            .filter(|n| n & (Self::CARD | Self::PERSON) == 0)
            .map(|n| MemberKey(n | Self::CARD))
    }

    fn digits(text: &str) -> Option<u64> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse().ok()
    }
}

/// A cell that could not be taken: reported with its line, column and value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellError {
    pub line: usize,
    pub column: String,
    pub value: String,
    pub message: String,
}

/// Upper case, with runs of spaces, dashes, dots, slashes and underscores as one space.
fn spelling(raw: &str) -> String {
    raw.to_uppercase()
        .split(|c: char| c.is_whitespace() || matches!(c, '-' | '_' | '.' | '/' | '(' | ')'))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The segment names BPJS extracts use, in their common spellings.
pub fn parse_segment(raw: &str) -> Option<Segment> {
    if let Some(s) = Segment::parse(raw.trim()) {
        return Some(s);
    }
    Some(match spelling(raw).as_str() {
        "PBI" | "PBI JK" | "PBI APBN" | "PBI JKN" | "PBI PUSAT" => Segment::PbiJk,
        "PBI APBD" | "PBI DAERAH" | "PBI PEMDA" | "PBPU PEMDA" | "DIDAFTARKAN PEMDA" | "PEMDA"
        | "APBD" => Segment::PbiApbd,
        "PPU PN" | "PPU PENYELENGGARA NEGARA" | "PNS" | "ASN" | "TNI" | "POLRI" | "PPU ASN" => {
            Segment::PpuPn
        }
        s if names_village_official(s) => Segment::PpuPn,
        "PPU BU" | "PPU" | "PPU BADAN USAHA" | "PPU SWASTA" | "PPU BUMN" | "PPU BUMD" => {
            Segment::PpuBu
        }
        "PBPU" | "MANDIRI" | "PBPU MANDIRI" | "PEKERJA BUKAN PENERIMA UPAH" => Segment::Pbpu,
        "BP" | "BUKAN PEKERJA" | "BP MANDIRI" => Segment::Bp,
        "BELUM TERDAFTAR" | "TIDAK TERDAFTAR" => Segment::NotRegistered,
        _ => return None,
    })
}

/// Segment spellings (already `spelling`-normalised) that say the member is a village
/// official: "PPU PN Perangkat Desa", "Kepala Desa dan Perangkat Desa"…
fn names_village_official(spelled: &str) -> bool {
    matches!(
        spelled,
        "PPU PN PERANGKAT DESA"
            | "PPU PERANGKAT DESA"
            | "PERANGKAT DESA"
            | "KEPALA DESA"
            | "KEPALA DESA DAN PERANGKAT DESA"
            | "KADES DAN PERANGKAT DESA"
            | "PPU PN KEPALA DESA DAN PERANGKAT DESA"
    )
}

/// Whether a row marks a village official: its `perangkat_desa` cell (`ya`, `Y`, `1`, or the
/// official's title; empty, `tidak`, `T`, `0` or `-` is no) or its segment spelled as one.
/// `None` for a cell that says neither.
pub fn parse_official(cell: &str, segment: &str) -> Option<bool> {
    let by_segment = names_village_official(&spelling(segment));
    match spelling(cell).as_str() {
        "" | "TIDAK" | "T" | "N" | "NO" | "0" | "BUKAN" => Some(by_segment),
        "YA" | "Y" | "YES" | "1" | "PERANGKAT" | "PERANGKAT DESA" | "KEPALA DESA" | "KADES"
        | "SEKDES" | "SEKRETARIS DESA" | "KAUR" | "KASI" | "KADUS" | "KEPALA DUSUN" => Some(true),
        _ => None,
    }
}

pub fn parse_status(raw: &str) -> Option<MemberStatus> {
    if let Some(s) = MemberStatus::parse(raw.trim()) {
        return Some(s);
    }
    Some(match spelling(raw).as_str() {
        "AKTIF" | "AKTIF NORMAL" | "ACTIVE" | "Y" => MemberStatus::Active,
        "NON AKTIF"
        | "NONAKTIF"
        | "TIDAK AKTIF"
        | "NON AKTIF MENUNGGAK"
        | "NONAKTIF MENUNGGAK"
        | "INACTIVE"
        | "T" => MemberStatus::Inactive,
        "BELUM TERDAFTAR" | "TIDAK TERDAFTAR" => MemberStatus::NotRegistered,
        "MENINGGAL" | "MENINGGAL DUNIA" | "WAFAT" => MemberStatus::Deceased,
        "PINDAH" | "PINDAH DOMISILI" | "MUTASI" => MemberStatus::Moved,
        _ => return None,
    })
}

pub fn parse_reason(raw: &str) -> Option<InactiveReason> {
    if let Some(r) = InactiveReason::parse(raw.trim()) {
        return Some(r);
    }
    Some(match spelling(raw).as_str() {
        "TUNGGAKAN" | "MENUNGGAK" | "MENUNGGAK IURAN" | "TUNGGAKAN IURAN" | "BELUM BAYAR" => {
            InactiveReason::Arrears
        }
        "PBI DINONAKTIFKAN"
        | "PBI NONAKTIF"
        | "DINONAKTIFKAN KEMENSOS"
        | "NONAKTIF KEMENSOS"
        | "TIDAK ADA DI DTKS"
        | "KELUAR DTKS"
        | "KELUAR DTSEN" => InactiveReason::PbiRemoved,
        "PEMBERI KERJA BERHENTI" | "PEMBERI KERJA MENUNGGAK" | "BADAN USAHA MENUNGGAK" => {
            InactiveReason::EmployerStopped
        }
        "PHK" | "PEMUTUSAN HUBUNGAN KERJA" => InactiveReason::Layoff,
        "KUOTA PEMDA" | "KUOTA" | "KUOTA APBD" => InactiveReason::PemdaQuota,
        "LAINNYA" | "LAIN LAIN" => InactiveReason::Other,
        _ => return None,
    })
}

pub fn parse_class(raw: &str) -> Option<Class> {
    match spelling(raw).trim_start_matches("KELAS ").trim() {
        "1" | "I" => Some(Class::I),
        "2" | "II" => Some(Class::II),
        "3" | "III" => Some(Class::III),
        _ => None,
    }
}

pub fn parse_sex(raw: &str) -> Option<Sex> {
    match spelling(raw).as_str() {
        "L" | "LK" | "LAKI LAKI" | "LAKI" | "PRIA" | "1" | "M" => Some(Sex::Male),
        "P" | "PR" | "PEREMPUAN" | "WANITA" | "2" | "F" => Some(Sex::Female),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_spellings_are_understood() {
        assert_eq!(parse_segment("PBI APBN"), Some(Segment::PbiJk));
        assert_eq!(parse_segment("pbi jk"), Some(Segment::PbiJk));
        assert_eq!(parse_segment("Mandiri"), Some(Segment::Pbpu));
        assert_eq!(parse_segment("PBPU"), Some(Segment::Pbpu));
        assert_eq!(parse_segment("PBI-APBD"), Some(Segment::PbiApbd));
        assert_eq!(parse_segment("PPU BU"), Some(Segment::PpuBu));
        assert_eq!(parse_segment("Asuransi X"), None);
        assert_eq!(parse_status("AKTIF"), Some(MemberStatus::Active));
        assert_eq!(parse_status("NON AKTIF"), Some(MemberStatus::Inactive));
        assert_eq!(parse_status("TIDAK AKTIF"), Some(MemberStatus::Inactive));
        assert_eq!(parse_status("non-aktif"), Some(MemberStatus::Inactive));
        assert_eq!(parse_status("ditangguhkan"), None);
        assert_eq!(parse_class("Kelas III"), Some(Class::III));
        assert_eq!(parse_class("2"), Some(Class::II));
        assert_eq!(parse_sex("Perempuan"), Some(Sex::Female));
        assert_eq!(parse_sex("LAKI-LAKI"), Some(Sex::Male));
        assert_eq!(
            parse_reason("Menunggak iuran"),
            Some(InactiveReason::Arrears)
        );
        assert_eq!(parse_reason("PHK"), Some(InactiveReason::Layoff));
    }

    #[test]
    fn village_officials_by_column_or_segment_spelling() {
        assert_eq!(parse_official("Ya", "PPU PN"), Some(true));
        assert_eq!(parse_official("Sekdes", "PPU PN"), Some(true));
        assert_eq!(parse_official("", "PPU PN"), Some(false));
        assert_eq!(parse_official("-", "PPU PN"), Some(false));
        assert_eq!(parse_official("", "PPU PN - Perangkat Desa"), Some(true));
        assert_eq!(parse_official("mungkin", "PPU PN"), None);
        assert_eq!(parse_segment("PPU PN Perangkat Desa"), Some(Segment::PpuPn));
    }
}

#[cfg(test)]
mod key_tests {
    use super::MemberKey;

    #[test]
    fn nik_and_card_keys_never_meet() {
        assert_eq!(
            MemberKey::nik("3273015708900003"),
            MemberKey::nik("3273015708900003")
        );
        assert_ne!(
            MemberKey::nik("0000000000001"),
            MemberKey::card("0000000000001")
        );
        assert!(MemberKey::card("0002802875185") > MemberKey::nik("9999999999999999"));
        for bad in ["", "12a4", "-1", "99999999999999999999"] {
            assert_eq!(MemberKey::nik(bad), None, "{bad}");
            assert_eq!(MemberKey::card(bad), None, "{bad}");
        }
    }
}
