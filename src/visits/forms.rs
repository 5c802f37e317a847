//! The visit form. Its member fields are named per member (`m.<id>.status` …), so it is read
//! from the raw pairs; validation needs the household's members and today's date only.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{Action, Outcome};
use crate::households::forms::clean_text;
use crate::members::forms::parse_date;
use crate::members::{Class, MemberStatus, Segment};
use crate::web::forms::FieldErrors;

/// How far back a visit may be dated (a phone that was offline for a while).
pub const MAX_BACKDATE_DAYS: i64 = 30;
/// How far ahead a revisit may be planned.
pub const MAX_REVISIT_DAYS: i64 = 90;
const MAX_MEMBERS: usize = 60;
/// Longest arrears that can be typed: JKN started in 2014.
const MAX_ARREARS_MONTHS: i32 = 240;

#[derive(Debug, Default, Clone)]
pub struct MemberEntryForm {
    pub status: String,
    pub action: String,
    pub segment: String,
    pub rehab: String,
    pub revisit: String,
    pub class: String,
    /// Months in arrears as the member's Mobile JKN screen shows them (mandiri members).
    pub arrears: String,
}

impl MemberEntryForm {
    /// Whether anything was chosen or typed for the member (beyond the status).
    fn has_choices(&self) -> bool {
        [
            &self.action,
            &self.segment,
            &self.rehab,
            &self.revisit,
            &self.class,
            &self.arrears,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }
}

#[derive(Debug, Default, Clone)]
pub struct VisitForm {
    pub visited_on: String,
    pub outcome: String,
    pub note: String,
    pub latitude: String,
    pub longitude: String,
    pub accuracy_m: String,
    pub submission_key: String,
    /// The user the form was opened by: a form queued on a shared phone, or offered back after
    /// a re-login, is recorded only under its author's session.
    pub author_id: String,
    pub members: BTreeMap<i32, MemberEntryForm>,
}

impl VisitForm {
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut form = VisitForm::default();
        for (name, value) in pairs {
            let value = value.clone();
            match name.as_str() {
                "visited_on" => form.visited_on = value,
                "outcome" => form.outcome = value,
                "note" => form.note = value,
                "latitude" => form.latitude = value,
                "longitude" => form.longitude = value,
                "accuracy_m" => form.accuracy_m = value,
                "submission_key" => form.submission_key = value,
                "author_id" => form.author_id = value,
                _ => {
                    let mut parts = name.splitn(3, '.');
                    let (Some("m"), Some(id), Some(field)) =
                        (parts.next(), parts.next(), parts.next())
                    else {
                        continue;
                    };
                    let Ok(id) = id.parse::<i32>() else { continue };
                    if !form.members.contains_key(&id) && form.members.len() >= MAX_MEMBERS {
                        continue;
                    }
                    let entry = form.members.entry(id).or_default();
                    match field {
                        "status" => entry.status = value,
                        "action" => entry.action = value,
                        "segment" => entry.segment = value,
                        "rehab" => entry.rehab = value,
                        "revisit" => entry.revisit = value,
                        "class" => entry.class = value,
                        "arrears" => entry.arrears = value,
                        _ => {}
                    }
                }
            }
        }
        form
    }

    pub fn entry(&self, member_id: i32) -> MemberEntryForm {
        self.members.get(&member_id).cloned().unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MemberEntry {
    pub member_id: i32,
    pub observed: MemberStatus,
    pub action: Action,
    pub segment: Option<Segment>,
    /// For a move to a mandiri segment (PBPU/BP): the class chosen.
    pub class: Option<Class>,
    pub rehab_reference: Option<String>,
    pub revisit_on: Option<NaiveDate>,
    /// Months in arrears read off the member's Mobile JKN screen.
    pub arrears_months: Option<i32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VisitInput {
    pub visited_on: NaiveDate,
    pub outcome: Outcome,
    pub note: String,
    pub location: Option<(f64, f64, Option<f64>)>,
    pub entries: Vec<MemberEntry>,
}

pub fn field(member_id: i32, name: &str) -> String {
    format!("m.{member_id}.{name}")
}

fn parse_coordinate(raw: &str, limit: f64) -> Result<Option<f64>, ()> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= limit => Ok(Some(v)),
        _ => Err(()),
    }
}

impl VisitForm {
    /// `member_ids`: the household's members (entries for anyone else are refused).
    pub fn validate(
        &self,
        member_ids: &[i32],
        today: NaiveDate,
    ) -> Result<VisitInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let visited_on = match parse_date(&self.visited_on) {
            Some(d) if d > today => {
                errors.add("visited_on", "Tanggal kunjungan tidak boleh di masa depan.");
                None
            }
            Some(d) if (today - d).num_days() > MAX_BACKDATE_DAYS => {
                errors.add(
                    "visited_on",
                    "Kunjungan lebih dari 30 hari lalu tidak dapat dicatat.",
                );
                None
            }
            Some(d) => Some(d),
            None => {
                errors.add("visited_on", "Isi tanggal kunjungan.");
                None
            }
        };
        let outcome = Outcome::parse(&self.outcome);
        if outcome.is_none() {
            errors.add("outcome", "Pilih hasil kunjungan.");
        }
        let note = clean_text(&self.note, 1000)
            .map_err(|e| errors.add("note", e))
            .ok();
        let location = match (
            parse_coordinate(&self.latitude, 90.0),
            parse_coordinate(&self.longitude, 180.0),
            parse_coordinate(&self.accuracy_m, 1_000_000.0),
        ) {
            (Ok(Some(lat)), Ok(Some(lon)), Ok(acc)) => Some((lat, lon, acc.filter(|a| *a >= 0.0))),
            (Ok(None), Ok(None), _) => None,
            _ => {
                errors.add_general(
                    "location",
                    "Lokasi tidak valid; kosongkan atau ambil ulang.",
                );
                None
            }
        };
        let mut entries = Vec::new();
        for (&member_id, entry) in &self.members {
            if !member_ids.contains(&member_id) {
                if !entry.status.trim().is_empty() || entry.has_choices() {
                    errors.add_general("members", "Ada anggota yang bukan dari rumah tangga ini.");
                }
                continue;
            }
            if entry.status.trim().is_empty() {
                // Not met. A choice made for them anyway would be dropped: say so instead.
                if entry.has_choices() {
                    errors.add(
                        field(member_id, "status"),
                        "Pilih status anggota ini, atau kosongkan tindakannya: tindakan tanpa status tidak dicatat.",
                    );
                }
                continue;
            }
            if outcome.is_some() && outcome != Some(Outcome::Met) {
                errors.add(
                    field(member_id, "status"),
                    "Anggota hanya dicatat bila rumah tangga ditemui.",
                );
                continue;
            }
            if let Some(e) =
                validate_entry(member_id, entry, visited_on.unwrap_or(today), &mut errors)
            {
                entries.push(e);
            }
        }
        match (visited_on, outcome, note) {
            (Some(visited_on), Some(outcome), Some(note)) if errors.is_empty() => Ok(VisitInput {
                visited_on,
                outcome,
                note,
                location,
                entries,
            }),
            _ => Err(errors),
        }
    }
}

fn validate_entry(
    member_id: i32,
    entry: &MemberEntryForm,
    visited_on: NaiveDate,
    errors: &mut FieldErrors,
) -> Option<MemberEntry> {
    let before = errors_len(errors);
    let observed = MemberStatus::parse(&entry.status);
    if observed.is_none() {
        errors.add(field(member_id, "status"), "Pilih status yang ditemui.");
    }
    let action = Action::parse(&entry.action);
    if action.is_none() {
        errors.add(field(member_id, "action"), "Pilih tindakan.");
    }
    let (Some(observed), Some(action)) = (observed, action) else {
        return None;
    };
    let segment = Segment::parse(&entry.segment).filter(|s| *s != Segment::NotRegistered);
    let mut rehab_reference = None;
    let mut revisit_on = None;
    let action_error = |errors: &mut FieldErrors, message: &str| {
        errors.add(field(member_id, "action"), message.to_string());
    };
    match action {
        Action::NewRegistration if observed != MemberStatus::NotRegistered => {
            action_error(errors, "Pendaftaran baru hanya untuk yang belum terdaftar.")
        }
        Action::ArrearsPaid
        | Action::Rehab
        | Action::ProposedPbi
        | Action::ReferredDinsos
        | Action::SegmentChange
            if observed != MemberStatus::Inactive =>
        {
            action_error(errors, "Reaktivasi hanya untuk peserta yang nonaktif.")
        }
        Action::Deceased if observed != MemberStatus::Deceased => {
            action_error(errors, "Pilih status “Meninggal” untuk anggota ini.")
        }
        _ if observed == MemberStatus::Deceased && action != Action::Deceased => action_error(
            errors,
            "Untuk anggota yang meninggal pilih tindakan “Meninggal dunia”.",
        ),
        _ => {}
    }
    if action.needs_segment() {
        match segment {
            None => errors.add(field(member_id, "segment"), "Pilih segmen tujuan."),
            Some(s)
                if action == Action::ProposedPbi
                    && !matches!(s, Segment::PbiJk | Segment::PbiApbd) =>
            {
                errors.add(
                    field(member_id, "segment"),
                    "Usulan PBI: pilih PBI JK atau PBI APBD/Pemda.",
                )
            }
            _ => {}
        }
    }
    let class = match segment {
        Some(s) if action.needs_segment() && s.has_class() => {
            let class = Class::parse(&entry.class);
            if class.is_none() {
                errors.add(
                    field(member_id, "class"),
                    "Pilih kelas (I, II atau III) untuk PBPU/BP.",
                );
            }
            class
        }
        _ => None,
    };
    if action == Action::Rehab {
        match clean_text(&entry.rehab, 40) {
            Ok(r) if !r.is_empty() => rehab_reference = Some(r),
            _ => errors.add(
                field(member_id, "rehab"),
                "Isi nomor pendaftaran REHAB (maks. 40 karakter).",
            ),
        }
    }
    if action == Action::Revisit {
        match parse_date(&entry.revisit) {
            Some(d) if d > visited_on && (d - visited_on).num_days() <= MAX_REVISIT_DAYS => {
                revisit_on = Some(d)
            }
            Some(_) => errors.add(
                field(member_id, "revisit"),
                "Tanggal kunjungan ulang: setelah hari kunjungan, paling lama 90 hari.",
            ),
            None => errors.add(field(member_id, "revisit"), "Isi tanggal kunjungan ulang."),
        }
    }
    let arrears_months = match entry.arrears.trim() {
        "" => None,
        raw => match raw.parse::<i32>() {
            Ok(m)
                if (0..=MAX_ARREARS_MONTHS).contains(&m) && observed == MemberStatus::Inactive =>
            {
                Some(m)
            }
            Ok(m) if (0..=MAX_ARREARS_MONTHS).contains(&m) => {
                errors.add(
                    field(member_id, "arrears"),
                    "Bulan tunggakan hanya untuk peserta yang nonaktif.",
                );
                None
            }
            _ => {
                errors.add(
                    field(member_id, "arrears"),
                    "Isi bulan tunggakan dengan angka 0 sampai 240, seperti di layar Mobile JKN.",
                );
                None
            }
        },
    };
    let segment = if action.needs_segment() {
        segment
    } else if action == Action::ReferredDinsos {
        Some(Segment::PbiJk)
    } else {
        None
    };
    (errors_len(errors) == before).then_some(MemberEntry {
        member_id,
        observed,
        action,
        segment,
        class,
        rehab_reference,
        revisit_on,
        arrears_months,
    })
}

fn errors_len(errors: &FieldErrors) -> usize {
    errors.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_visit_with_a_reactivation_and_a_registration() {
        let form = VisitForm::from_pairs(&pairs(&[
            ("visited_on", "2026-11-22"),
            ("outcome", "ditemui"),
            ("note", "ibu di rumah"),
            ("m.1.status", "nonaktif"),
            ("m.1.action", "tunggakan_lunas"),
            ("m.2.status", "belum_terdaftar"),
            ("m.2.action", "pendaftaran_baru"),
            ("m.2.segment", "pbpu"),
            ("m.2.class", "2"),
            ("m.3.status", ""),
            ("latitude", "-6.8915"),
            ("longitude", "107.6107"),
            ("accuracy_m", "12"),
        ]));
        let input = form.validate(&[1, 2, 3], day(22)).unwrap();
        assert_eq!(input.entries.len(), 2);
        assert_eq!(
            input.entries[0].action.claim(),
            Some(crate::reactivations::ClaimKind::Reactivation)
        );
        assert_eq!(input.entries[1].segment, Some(Segment::Pbpu));
        assert_eq!(input.entries[1].class, Some(Class::II));
        assert_eq!(input.location, Some((-6.8915, 107.6107, Some(12.0))));
    }

    #[test]
    fn inconsistent_entries_are_refused_per_field() {
        let form = VisitForm::from_pairs(&pairs(&[
            ("visited_on", "2026-11-22"),
            ("outcome", "ditemui"),
            ("m.1.status", "aktif"),
            ("m.1.action", "tunggakan_lunas"),
            ("m.2.status", "belum_terdaftar"),
            ("m.2.action", "pendaftaran_baru"),
            ("m.3.status", "nonaktif"),
            ("m.3.action", "ikut_rehab"),
            ("m.4.status", "nonaktif"),
            ("m.4.action", "kunjungan_ulang"),
            ("m.4.revisit", "2026-11-01"),
            ("m.9.status", "aktif"),
            ("m.9.action", "edukasi"),
        ]));
        let errors = form.validate(&[1, 2, 3, 4], day(22)).unwrap_err();
        assert!(errors.has("m.1.action"));
        assert!(errors.has("m.2.segment"));
        assert!(errors.has("m.3.rehab"));
        assert!(errors.has("m.4.revisit"));
        assert!(errors.has("members"));
    }

    #[test]
    fn an_action_without_a_status_or_a_mandiri_registration_without_a_class_is_refused() {
        let form = VisitForm::from_pairs(&pairs(&[
            ("visited_on", "2026-11-22"),
            ("outcome", "ditemui"),
            ("m.1.status", ""),
            ("m.1.action", "tunggakan_lunas"),
            ("m.2.status", "belum_terdaftar"),
            ("m.2.action", "pendaftaran_baru"),
            ("m.2.segment", "bp"),
            ("m.3.status", "belum_terdaftar"),
            ("m.3.action", "pendaftaran_baru"),
            ("m.3.segment", "pbi_apbd"),
            ("m.4.status", ""),
            ("m.4.action", ""),
        ]));
        let errors = form.validate(&[1, 2, 3, 4], day(22)).unwrap_err();
        assert!(errors.has("m.1.status"));
        assert!(errors.has("m.2.class"));
        assert!(!errors.has("m.3.class"), "PBI has no class");
        assert!(!errors.has("m.4.status"), "nothing chosen: not met");
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn dates_and_outcomes() {
        let base = [("outcome", "tidak_ditemui")];
        for (date, ok) in [
            ("2026-11-22", true),
            ("2026-11-23", false),
            ("2026-10-22", false),
            ("2026-10-23", true),
            ("x", false),
        ] {
            let mut p = pairs(&base);
            p.push(("visited_on".into(), date.into()));
            assert_eq!(
                VisitForm::from_pairs(&p).validate(&[], day(22)).is_ok(),
                ok,
                "{date}"
            );
        }
        // Members cannot be recorded when nobody was met.
        let form = VisitForm::from_pairs(&pairs(&[
            ("visited_on", "2026-11-22"),
            ("outcome", "menolak"),
            ("m.1.status", "aktif"),
            ("m.1.action", "edukasi"),
        ]));
        assert!(form.validate(&[1], day(22)).unwrap_err().has("m.1.status"));
    }

    #[test]
    fn half_a_location_is_refused() {
        let form = VisitForm::from_pairs(&pairs(&[
            ("visited_on", "2026-11-22"),
            ("outcome", "ditemui"),
            ("latitude", "-6.9"),
        ]));
        assert!(form.validate(&[], day(22)).unwrap_err().has("location"));
        let form = VisitForm::from_pairs(&pairs(&[
            ("visited_on", "2026-11-22"),
            ("outcome", "ditemui"),
            ("latitude", "NaN"),
            ("longitude", "107"),
        ]));
        assert!(form.validate(&[], day(22)).unwrap_err().has("location"));
    }

    proptest! {
        #[test]
        fn any_pairs_parse_and_validate_without_panic(
            raw in proptest::collection::vec(("[a-z_.0-9]{0,16}", "\\PC{0,20}"), 0..30),
        ) {
            let form = VisitForm::from_pairs(&raw);
            let _ = form.validate(&[1, 2, 3], day(22));
        }

        #[test]
        fn member_fields_with_any_values_never_panic(
            status in "\\PC{0,16}", action in "\\PC{0,20}", segment in "\\PC{0,16}",
            rehab in "\\PC{0,50}", revisit in "\\PC{0,12}", id in -5i32..5,
        ) {
            let p = vec![
                ("visited_on".to_string(), "2026-11-22".to_string()),
                ("outcome".to_string(), "ditemui".to_string()),
                (format!("m.{id}.status"), status),
                (format!("m.{id}.action"), action),
                (format!("m.{id}.segment"), segment),
                (format!("m.{id}.rehab"), rehab),
                (format!("m.{id}.revisit"), revisit),
            ];
            let _ = VisitForm::from_pairs(&p).validate(&[1, 2], day(22));
        }
    }
}
