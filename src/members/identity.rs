//! Indonesian identity numbers as typed in the field: NIK, Nomor KK and the JKN card number.
//! Parsing never panics; a value that parses is well-formed. Cross-checks against the rest of
//! the form (sex, birth date, region prefix) are warnings the user may confirm, not errors.

use chrono::{Datelike, NaiveDate};

/// A well-formed NIK: 16 digits = region of first registration (6) + DDMMYY (day + 40 for
/// women) + serial (4, not 0000).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Nik(String);

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Sex {
    Male,
    Female,
}

crate::text_sql!(Sex);

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "L",
            Sex::Female => "P",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "L" | "l" => Some(Sex::Male),
            "P" | "p" => Some(Sex::Female),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "Laki-laki",
            Sex::Female => "Perempuan",
        }
    }
}

/// Digits only, with the spaces and dots people type between groups removed.
fn digits_only(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    (!cleaned.is_empty() && cleaned.bytes().all(|b| b.is_ascii_digit())).then_some(cleaned)
}

impl Nik {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let digits = digits_only(raw).ok_or("NIK hanya boleh berisi angka.")?;
        if digits.len() != 16 {
            return Err("NIK harus 16 angka.");
        }
        let nik = Nik(digits);
        let day = nik.field(6, 8);
        let month = nik.field(8, 10);
        if !(1..=31).contains(&day) && !(41..=71).contains(&day) {
            return Err(
                "NIK tidak valid: tanggal lahir di dalamnya (digit 7–8) harus 01–31, atau 41–71 untuk perempuan.",
            );
        }
        if !(1..=12).contains(&month) {
            return Err("NIK tidak valid: bulan lahir di dalamnya (digit 9–10) harus 01–12.");
        }
        if nik.birth_date_candidates().is_empty() {
            return Err("NIK tidak valid: tanggal lahir di dalamnya tidak ada di kalender.");
        }
        if &nik.0[12..] == "0000" {
            return Err("NIK tidak valid: nomor urut (4 digit terakhir) tidak boleh 0000.");
        }
        Ok(nik)
    }

    fn field(&self, from: usize, to: usize) -> u32 {
        self.0[from..to].parse().unwrap_or(0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn sex(&self) -> Sex {
        if self.field(6, 8) > 40 {
            Sex::Female
        } else {
            Sex::Male
        }
    }

    /// The kecamatan code of first registration, dotted (`327302` → `32.73.02`).
    pub fn region_prefix(&self) -> String {
        format!("{}.{}.{}", &self.0[0..2], &self.0[2..4], &self.0[4..6])
    }

    /// The birth date in the NIK, in both centuries that fit (the year has two digits).
    pub fn birth_date_candidates(&self) -> Vec<NaiveDate> {
        let day = self.field(6, 8);
        let day = if day > 40 { day - 40 } else { day };
        let month = self.field(8, 10);
        let yy = self.field(10, 12) as i32;
        [1900 + yy, 2000 + yy]
            .into_iter()
            .filter_map(|year| NaiveDate::from_ymd_opt(year, month, day))
            .collect()
    }

    /// Warnings from comparing the NIK with the sex and birth date typed on the form.
    pub fn cross_check(&self, sex: Option<Sex>, birth_date: Option<NaiveDate>) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Some(sex) = sex
            && sex != self.sex()
        {
            warnings.push(format!(
                "Jenis kelamin ({}) tidak cocok dengan NIK, yang menunjukkan {}.",
                sex.label(),
                self.sex().label()
            ));
        }
        if let Some(date) = birth_date
            && !self.birth_date_candidates().iter().any(|d| {
                d.day() == date.day()
                    && d.month() == date.month()
                    && d.year() % 100 == date.year() % 100
            })
        {
            warnings.push(format!(
                "Tanggal lahir ({}) tidak cocok dengan NIK ({}-{}-{}).",
                date.format("%d-%m-%Y"),
                &self.0[6..8],
                &self.0[8..10],
                &self.0[10..12]
            ));
        }
        warnings
    }

    /// For lists: the region prefix and serial stay, the birth date is hidden.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// `3273020101900003` → `3273********0003`.
pub fn mask(nik: &str) -> String {
    if nik.len() == 16 && nik.is_ascii() {
        format!("{}********{}", &nik[..4], &nik[12..])
    } else {
        "****".into()
    }
}

/// Nomor Kartu Keluarga: 16 digits, the first 6 the issuing kecamatan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NomorKk(String);

impl NomorKk {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let digits = digits_only(raw).ok_or("Nomor KK hanya boleh berisi angka.")?;
        if digits.len() != 16 {
            return Err("Nomor KK harus 16 angka.");
        }
        if digits.bytes().all(|b| b == b'0') {
            return Err("Nomor KK tidak valid.");
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn region_prefix(&self) -> String {
        format!("{}.{}.{}", &self.0[0..2], &self.0[2..4], &self.0[4..6])
    }
}

/// Nomor kartu JKN: 13 digits with leading zeros, kept as text. No public checksum exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NomorKartuJkn(String);

impl NomorKartuJkn {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let digits = digits_only(raw).ok_or("Nomor kartu JKN hanya boleh berisi angka.")?;
        if digits.len() != 13 {
            return Err("Nomor kartu JKN harus 13 angka (termasuk nol di depan).");
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn reads_a_mans_and_a_womans_nik() {
        let man = Nik::parse("3273020101900003").unwrap();
        assert_eq!(man.sex(), Sex::Male);
        assert_eq!(man.region_prefix(), "32.73.02");
        assert!(man.birth_date_candidates().contains(&date(1990, 1, 1)));
        let woman = Nik::parse("3273 0241 0190 0003").unwrap();
        assert_eq!(woman.sex(), Sex::Female);
        assert!(woman.birth_date_candidates().contains(&date(1990, 1, 1)));
    }

    #[test]
    fn rejects_malformed_niks_with_a_reason() {
        for bad in [
            "",
            "abc",
            "327302010190000",
            "32730201019000031",
            "3273023201900003",
            "3273027201900003",
            "3273020113900003",
            "3273020100900003",
            "3273023002900003",
            "3273020101900000",
            "３２７３０２０１０１９０００３",
        ] {
            assert!(Nik::parse(bad).is_err(), "{bad:?} accepted");
        }
        // 29 February exists only in leap years (2000 yes, 1900 no: 2000 is one candidate).
        assert!(Nik::parse("3273022902000003").is_ok());
        assert!(Nik::parse("3273022902010003").is_err());
    }

    #[test]
    fn cross_checks_sex_and_birth_date() {
        let nik = Nik::parse("3273024101900003").unwrap();
        assert!(
            nik.cross_check(Some(Sex::Female), Some(date(1990, 1, 1)))
                .is_empty()
        );
        let warnings = nik.cross_check(Some(Sex::Male), Some(date(1991, 1, 1)));
        assert_eq!(warnings.len(), 2);
        assert!(warnings[0].contains("Jenis kelamin"));
        assert!(warnings[1].contains("Tanggal lahir"));
    }

    #[test]
    fn masks_for_lists() {
        assert_eq!(mask("3273020101900003"), "3273********0003");
        assert_eq!(mask("short"), "****");
        assert_eq!(
            Nik::parse("3273020101900003").unwrap().masked(),
            "3273********0003"
        );
    }

    #[test]
    fn kk_and_jkn_numbers() {
        assert_eq!(
            NomorKk::parse("3273 0212 3456 0001")
                .unwrap()
                .region_prefix(),
            "32.73.02"
        );
        assert!(NomorKk::parse("0000000000000000").is_err());
        assert!(NomorKk::parse("327302").is_err());
        assert_eq!(
            NomorKartuJkn::parse("0002802875185").unwrap().as_str(),
            "0002802875185"
        );
        assert!(NomorKartuJkn::parse("2802875185").is_err());
        assert!(NomorKartuJkn::parse("000280287518x").is_err());
    }
}
