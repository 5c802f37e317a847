//! The member form. Validation here is everything that needs no database; warnings that need it
//! (NIK already used, unknown region prefix, a similar person) are added by the handler.

use chrono::NaiveDate;
use serde::Deserialize;

use super::identity::{Nik, NomorKartuJkn, Sex};
use super::{Class, InactiveReason, MemberStatus, Relationship, Segment};
use crate::web::forms::FieldErrors;

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
pub struct MemberForm {
    pub nik: String,
    /// Checkbox: the NIK is unknown or needs correction.
    pub nik_unknown: String,
    pub name: String,
    pub sex: String,
    pub birth_date: String,
    pub relationship: String,
    pub jkn_number: String,
    pub segment: String,
    pub class: String,
    pub status: String,
    pub inactive_reason: String,
    /// Checkbox shown with warnings: "I checked, save anyway".
    pub confirm_warnings: String,
    pub submission_key: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MemberInput {
    pub nik: Option<Nik>,
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub relationship: Relationship,
    pub jkn_number: Option<String>,
    pub segment: Segment,
    pub class: Option<Class>,
    pub status: MemberStatus,
    pub inactive_reason: Option<InactiveReason>,
}

pub fn checked(value: &str) -> bool {
    matches!(value.trim(), "on" | "1" | "true" | "ya")
}

/// A date from `<input type="date">` (YYYY-MM-DD), also accepting DD-MM-YYYY as typed.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d-%m-%Y"))
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d/%m/%Y"))
        .ok()
}

pub fn normalize_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err("Nama wajib diisi.");
    }
    if name.chars().count() > 100 {
        return Err("Nama maksimal 100 karakter.");
    }
    if name.chars().any(|c| c.is_control() || c.is_ascii_digit()) {
        return Err("Nama tidak boleh berisi angka atau karakter kontrol.");
    }
    Ok(name)
}

/// The form of a name used to find duplicates: lower case, letters and single spaces only.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| if c.is_alphabetic() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl MemberForm {
    pub fn validate(&self, today: NaiveDate) -> Result<MemberInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let nik = if checked(&self.nik_unknown) {
            None
        } else if self.nik.trim().is_empty() {
            errors.add(
                "nik",
                "Isi NIK, atau centang “NIK belum diketahui / perlu perbaikan”.",
            );
            None
        } else {
            match Nik::parse(&self.nik) {
                Ok(nik) => Some(nik),
                Err(e) => {
                    errors.add("nik", e);
                    None
                }
            }
        };
        let name = normalize_name(&self.name)
            .map_err(|e| errors.add("name", e))
            .ok();
        let sex = Sex::parse(&self.sex);
        if sex.is_none() {
            errors.add("sex", "Pilih jenis kelamin.");
        }
        let birth_date = match parse_date(&self.birth_date) {
            Some(d) if d > today => {
                errors.add("birth_date", "Tanggal lahir tidak boleh di masa depan.");
                None
            }
            Some(d) if d < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(d) => {
                errors.add("birth_date", "Tanggal lahir terlalu lama.");
                None
            }
            Some(d) => Some(d),
            None => {
                errors.add("birth_date", "Isi tanggal lahir (hari-bulan-tahun).");
                None
            }
        };
        let relationship = Relationship::parse(&self.relationship);
        if relationship.is_none() {
            errors.add("relationship", "Pilih hubungan dengan kepala keluarga.");
        }
        let jkn_number = if self.jkn_number.trim().is_empty() {
            None
        } else {
            match NomorKartuJkn::parse(&self.jkn_number) {
                Ok(n) => Some(n.as_str().to_string()),
                Err(e) => {
                    errors.add("jkn_number", e);
                    None
                }
            }
        };
        let segment = Segment::parse(&self.segment);
        if segment.is_none() {
            errors.add("segment", "Pilih segmen kepesertaan.");
        }
        let status = MemberStatus::parse(&self.status);
        if status.is_none() {
            errors.add("status", "Pilih status kepesertaan.");
        }
        let mut class = None;
        let mut inactive_reason = None;
        if let (Some(segment), Some(status)) = (segment, status) {
            let registered = segment != Segment::NotRegistered;
            match status {
                MemberStatus::NotRegistered if registered => errors.add(
                    "segment",
                    "Peserta yang belum terdaftar tidak punya segmen: pilih “Belum terdaftar”.",
                ),
                MemberStatus::Active | MemberStatus::Inactive if !registered => {
                    errors.add("segment", "Peserta aktif/nonaktif harus punya segmen.")
                }
                _ => {}
            }
            if status == MemberStatus::NotRegistered && jkn_number.is_some() {
                errors.add(
                    "jkn_number",
                    "Yang belum terdaftar belum punya nomor kartu JKN.",
                );
            }
            if segment.has_class()
                && matches!(status, MemberStatus::Active | MemberStatus::Inactive)
            {
                class = Class::parse(&self.class);
                if class.is_none() {
                    errors.add("class", "Pilih kelas untuk peserta PBPU/BP.");
                }
            }
            if status == MemberStatus::Inactive {
                inactive_reason = InactiveReason::parse(&self.inactive_reason);
                if inactive_reason.is_none() {
                    errors.add("inactive_reason", "Pilih alasan nonaktif.");
                }
            }
        }
        match (name, sex, birth_date, relationship, segment, status) {
            (
                Some(name),
                Some(sex),
                Some(birth_date),
                Some(relationship),
                Some(segment),
                Some(status),
            ) if errors.is_empty() => Ok(MemberInput {
                nik,
                name,
                sex,
                birth_date,
                relationship,
                jkn_number,
                segment,
                class,
                status,
                inactive_reason,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    fn valid() -> MemberForm {
        MemberForm {
            nik: "3273024101900003".into(),
            name: " Siti  Nurhaliza ".into(),
            sex: "P".into(),
            birth_date: "1990-01-01".into(),
            relationship: "istri".into(),
            jkn_number: "0002802875185".into(),
            segment: "pbpu".into(),
            class: "3".into(),
            status: "nonaktif".into(),
            inactive_reason: "tunggakan".into(),
            ..MemberForm::default()
        }
    }

    #[test]
    fn a_valid_inactive_mandiri_member() {
        let input = valid().validate(today()).unwrap();
        assert_eq!(input.name, "Siti Nurhaliza");
        assert_eq!(input.class, Some(Class::III));
        assert_eq!(input.inactive_reason, Some(InactiveReason::Arrears));
    }

    #[test]
    fn unknown_nik_is_an_explicit_state() {
        let mut form = valid();
        form.nik = String::new();
        assert!(form.validate(today()).unwrap_err().has("nik"));
        form.nik_unknown = "on".into();
        assert_eq!(form.validate(today()).unwrap().nik, None);
    }

    #[test]
    fn segment_status_class_and_reason_must_agree() {
        let mut form = valid();
        form.status = "belum_terdaftar".into();
        assert!(form.validate(today()).unwrap_err().has("segment"));
        form.segment = "belum_terdaftar".into();
        form.jkn_number = String::new();
        assert!(form.validate(today()).is_ok());
        let mut form = valid();
        form.class = String::new();
        assert!(form.validate(today()).unwrap_err().has("class"));
        let mut form = valid();
        form.inactive_reason = String::new();
        assert!(form.validate(today()).unwrap_err().has("inactive_reason"));
        let mut form = valid();
        form.segment = "ppu_bu".into();
        form.class = String::new();
        form.inactive_reason = "phk".into();
        assert_eq!(form.validate(today()).unwrap().class, None);
    }

    #[test]
    fn dates_in_the_future_or_garbage_are_refused() {
        let mut form = valid();
        form.birth_date = "2030-01-01".into();
        assert!(form.validate(today()).unwrap_err().has("birth_date"));
        form.birth_date = "01-01-1990".into();
        assert!(form.validate(today()).is_ok());
        form.birth_date = "kemarin".into();
        assert!(form.validate(today()).unwrap_err().has("birth_date"));
    }

    #[test]
    fn name_keys_ignore_case_spacing_and_punctuation() {
        assert_eq!(name_key("  Siti   NURHALIZA. "), "siti nurhaliza");
        assert_eq!(name_key("M. Ridwan"), "m ridwan");
    }

    proptest! {
        /// Any text in any field is either accepted or rejected with messages; never a panic.
        #[test]
        fn validation_never_panics(
            nik in ".{0,20}", name in ".{0,120}", sex in ".{0,2}", birth in ".{0,12}",
            rel in ".{0,16}", jkn in ".{0,15}", seg in ".{0,16}", class in ".{0,2}",
            status in ".{0,16}", reason in ".{0,24}", unknown in ".{0,3}",
        ) {
            let form = MemberForm {
                nik, nik_unknown: unknown, name, sex, birth_date: birth, relationship: rel,
                jkn_number: jkn, segment: seg, class, status, inactive_reason: reason,
                ..MemberForm::default()
            };
            let _ = form.validate(today());
        }

        /// Every NIK built from a real date, either sex and a non-zero serial is accepted and
        /// reads back the same sex and date.
        #[test]
        fn well_formed_niks_round_trip(
            region in 110101u32..=947199, date in 0i64..40_000, female: bool, serial in 1u32..=9999,
        ) {
            let birth = NaiveDate::from_ymd_opt(1920, 1, 1).unwrap() + chrono::Duration::days(date);
            use chrono::Datelike;
            let day = birth.day() + if female { 40 } else { 0 };
            let raw = format!("{region:06}{day:02}{:02}{:02}{serial:04}", birth.month(), birth.year() % 100);
            let nik = Nik::parse(&raw).unwrap();
            prop_assert_eq!(nik.sex(), if female { Sex::Female } else { Sex::Male });
            prop_assert!(nik.birth_date_candidates().contains(&birth));
            let sex = if female { Sex::Female } else { Sex::Male };
            prop_assert!(nik.cross_check(Some(sex), Some(birth)).is_empty());
        }

        #[test]
        fn nik_parsing_never_panics(raw in "\\PC{0,24}") {
            let _ = Nik::parse(&raw);
        }
    }
}
