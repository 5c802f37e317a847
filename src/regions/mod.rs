//! Kemendagri regions: province → kab/kota → kecamatan → desa/kelurahan, keyed on the dotted
//! code (never the name, whose spelling changes between editions). An area contains itself and
//! every region whose code starts with its code and a dot.

pub mod queries;
pub mod routes;

use std::fmt;

use diesel::prelude::*;

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Level {
    Provinsi,
    KabupatenKota,
    Kecamatan,
    DesaKelurahan,
}

crate::text_sql!(Level);

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Provinsi => "provinsi",
            Level::KabupatenKota => "kabupaten_kota",
            Level::Kecamatan => "kecamatan",
            Level::DesaKelurahan => "desa_kelurahan",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "provinsi" => Some(Level::Provinsi),
            "kabupaten_kota" => Some(Level::KabupatenKota),
            "kecamatan" => Some(Level::Kecamatan),
            "desa_kelurahan" => Some(Level::DesaKelurahan),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Provinsi => "Provinsi",
            Level::KabupatenKota => "Kabupaten/Kota",
            Level::Kecamatan => "Kecamatan",
            Level::DesaKelurahan => "Desa/Kelurahan",
        }
    }

    pub fn child(self) -> Option<Level> {
        match self {
            Level::Provinsi => Some(Level::KabupatenKota),
            Level::KabupatenKota => Some(Level::Kecamatan),
            Level::Kecamatan => Some(Level::DesaKelurahan),
            Level::DesaKelurahan => None,
        }
    }
}

/// A syntactically valid Kemendagri code: `PP`, `PP.KK`, `PP.KK.CC` or `PP.KK.CC.DDDD`.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct RegionCode(String);

crate::text_sql!(RegionCode);

const SEGMENT_LENGTHS: [usize; 4] = [2, 2, 2, 4];

impl RegionCode {
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let segments: Vec<&str> = raw.split('.').collect();
        if segments.is_empty() || segments.len() > 4 {
            return None;
        }
        let valid = segments
            .iter()
            .zip(SEGMENT_LENGTHS)
            .all(|(seg, len)| seg.len() == len && seg.bytes().all(|b| b.is_ascii_digit()));
        valid.then(|| Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        match self.0.split('.').count() {
            1 => Level::Provinsi,
            2 => Level::KabupatenKota,
            3 => Level::Kecamatan,
            _ => Level::DesaKelurahan,
        }
    }

    /// The codes above this one, outermost first (`32.73.01` → `32`, `32.73`).
    pub fn ancestors(&self) -> Vec<RegionCode> {
        self.0
            .match_indices('.')
            .map(|(i, _)| RegionCode(self.0[..i].to_string()))
            .collect()
    }

    /// Whether `other` lies in this area (an area contains itself).
    pub fn contains(&self, other: &str) -> bool {
        other == self.0
            || (other.len() > self.0.len()
                && other.starts_with(&self.0)
                && other.as_bytes()[self.0.len()] == b'.')
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kind of a village-level unit, read from the first digit of its 4-digit part.
/// A desa/kelurahan code as files write it: dotted (`32.73.01.1001`) or the ten digits without
/// dots (`3273011001`); `None` for anything else.
pub fn desa_code(raw: &str) -> Option<String> {
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

pub fn village_kind(code: &str) -> &'static str {
    match code.rsplit('.').next().and_then(|s| s.bytes().next()) {
        Some(b'1') => "Kelurahan",
        Some(b'2') => "Desa",
        Some(b'3') => "Desa adat",
        _ => "Desa/Kelurahan",
    }
}

#[derive(Queryable, Selectable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = crate::db::schema::regions)]
pub struct Region {
    pub code: String,
    pub name: String,
    /// A `Level`'s value, or "nasional" for the country page's pseudo-region.
    pub level: String,
    pub parent_code: Option<String>,
}

impl Region {
    pub fn level(&self) -> Option<Level> {
        Level::parse(&self.level)
    }

    /// The unit as people name it: "Kecamatan Coblong", "Kelurahan Dago", and for a kab/kota
    /// its name alone, which already says "Kota …" or "Kabupaten …".
    pub fn title(&self) -> String {
        match self.level() {
            Some(Level::KabupatenKota) => self.name.clone(),
            _ => format!("{} {}", self.kind_label(), self.name),
        }
    }

    /// "Kelurahan", "Desa", "Kecamatan", "Kabupaten/Kota"… as people say it.
    pub fn kind_label(&self) -> &'static str {
        match self.level() {
            Some(Level::DesaKelurahan) => village_kind(&self.code),
            Some(level) => level.label(),
            None => "Wilayah",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_of_every_level() {
        assert_eq!(RegionCode::parse("32").unwrap().level(), Level::Provinsi);
        assert_eq!(
            RegionCode::parse("32.73").unwrap().level(),
            Level::KabupatenKota
        );
        assert_eq!(
            RegionCode::parse("32.73.01").unwrap().level(),
            Level::Kecamatan
        );
        assert_eq!(
            RegionCode::parse(" 32.73.01.1001 ").unwrap().level(),
            Level::DesaKelurahan
        );
    }

    #[test]
    fn rejects_malformed_codes() {
        for bad in [
            "",
            "3",
            "327",
            "32.7",
            "32.73.1",
            "32.73.01.101",
            "32.73.01.1001.1",
            "3a.73",
            "32..73",
            "32.73.",
            "32-73",
        ] {
            assert!(
                RegionCode::parse(bad).is_none(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn an_area_contains_itself_and_its_descendants_only() {
        let bandung = RegionCode::parse("32.73").unwrap();
        assert!(bandung.contains("32.73"));
        assert!(bandung.contains("32.73.01.1001"));
        assert!(!bandung.contains("32.7"));
        assert!(!bandung.contains("32.730"));
        assert!(!bandung.contains("32.74.01"));
        assert!(!bandung.contains("32"));
    }

    #[test]
    fn lists_ancestors_outermost_first() {
        let code = RegionCode::parse("32.73.01.1001").unwrap();
        let ancestors: Vec<String> = code.ancestors().iter().map(|c| c.to_string()).collect();
        assert_eq!(ancestors, ["32", "32.73", "32.73.01"]);
        assert!(RegionCode::parse("32").unwrap().ancestors().is_empty());
    }

    #[test]
    fn tells_kelurahan_from_desa() {
        assert_eq!(village_kind("32.73.01.1001"), "Kelurahan");
        assert_eq!(village_kind("35.22.01.2001"), "Desa");
        assert_eq!(village_kind("91.03.01.3001"), "Desa adat");
    }
}
