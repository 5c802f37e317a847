//! The dated quota of Pemda-paid places per kab/kota: stored, read, set (audited), and the
//! places the roster shows used on a date.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::QuotaFigures;
use crate::audit;
use crate::db::schema::{figure_segments, pemda_quotas, reactivations};
use crate::db::{DbConnection, now};
use crate::members::Segment;
use crate::reactivations::ClaimState;
use crate::regions::{Level, RegionCode};
use crate::visits::Action;
use crate::web::forms::FieldErrors;
use crate::within_areas;

/// Most places accepted for one kab/kota (the largest has a few million residents).
pub const MAX_PLACES: i64 = 20_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quota {
    pub region_code: String,
    pub valid_from: NaiveDate,
    pub places: i64,
}

/// The quota rows of one kab/kota (or every one, `None`), newest first.
pub fn list(conn: &mut DbConnection, region: Option<&str>) -> QueryResult<Vec<Quota>> {
    let mut q = pemda_quotas::table
        .order((pemda_quotas::region_code, pemda_quotas::valid_from.desc()))
        .select((
            pemda_quotas::region_code,
            pemda_quotas::valid_from,
            pemda_quotas::places,
        ))
        .into_boxed();
    if let Some(code) = region {
        q = q.filter(pemda_quotas::region_code.eq(code.to_string()));
    }
    let rows: Vec<(String, NaiveDate, i64)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(region_code, valid_from, places)| Quota {
            region_code,
            valid_from,
            places,
        })
        .collect())
}

/// The quota in force on `day`: the latest row on or before it.
pub fn in_force(rows: &[Quota], day: NaiveDate) -> Option<&Quota> {
    rows.iter()
        .filter(|q| q.valid_from <= day)
        .max_by_key(|q| q.valid_from)
}

/// Adds (or, for the same kab/kota and date, replaces) a quota row, audited.
pub fn set(conn: &mut DbConnection, quota: &Quota, actor: Option<i32>) -> QueryResult<()> {
    diesel::delete(
        pemda_quotas::table
            .filter(pemda_quotas::region_code.eq(&quota.region_code))
            .filter(pemda_quotas::valid_from.eq(quota.valid_from)),
    )
    .execute(conn)?;
    diesel::insert_into(pemda_quotas::table)
        .values((
            pemda_quotas::region_code.eq(&quota.region_code),
            pemda_quotas::valid_from.eq(quota.valid_from),
            pemda_quotas::places.eq(quota.places),
            pemda_quotas::created_by.eq(actor),
            pemda_quotas::created_at.eq(now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "pemda_quota.set",
        "region",
        &quota.region_code,
        &format!("{} places from {}", quota.places, quota.valid_from),
    )
}

/// The quota form, on the kab/kota page and on the command line.
#[derive(serde::Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct QuotaForm {
    pub wilayah: String,
    pub mulai: String,
    pub tempat: String,
    pub submission_key: String,
}

/// Checks a quota form: a kab/kota the region list knows, a date, a whole number of places.
pub fn check(conn: &mut DbConnection, form: &QuotaForm) -> QueryResult<Result<Quota, FieldErrors>> {
    let mut errors = FieldErrors::default();
    let code = RegionCode::parse(form.wilayah.trim())
        .filter(|c| c.level() == Level::KabupatenKota)
        .map(|c| c.as_str().to_string());
    let known = match &code {
        Some(code) => crate::regions::queries::get(conn, code)?.is_some(),
        None => false,
    };
    if !known {
        errors.add(
            "wilayah",
            "Isi kode kabupaten/kota yang ada, misalnya 33.16 (Kabupaten Blora).",
        );
    }
    let from = NaiveDate::parse_from_str(form.mulai.trim(), "%Y-%m-%d").ok();
    if from.is_none() {
        errors.add("mulai", "Tanggal berlaku wajib diisi (TTTT-BB-HH).");
    }
    let places = form
        .tempat
        .trim()
        .replace(['.', ' '], "")
        .parse::<i64>()
        .ok()
        .filter(|v| (0..=MAX_PLACES).contains(v));
    if places.is_none() {
        errors.add(
            "tempat",
            "Isi jumlah tempat sebagai bilangan bulat 0 sampai 20.000.000 (misalnya 9.000).",
        );
    }
    Ok(match (code, from, places) {
        (Some(region_code), Some(valid_from), Some(places)) if errors.is_empty() => Ok(Quota {
            region_code,
            valid_from,
            places,
        }),
        _ => Err(errors),
    })
}

/// Places in use on `day`: the active members in the Pemda-paid segment of every
/// desa/kelurahan of the kab/kota, each desa's latest figures on or before the day (the roster
/// derives them per extract date; a desa whose latest extract lists nobody in the segment
/// counts 0, not an older figure). `None` when no desa has segment figures yet.
pub fn used_places(
    conn: &mut DbConnection,
    code: &str,
    day: NaiveDate,
) -> QueryResult<Option<i64>> {
    let rows: Vec<(String, NaiveDate, String, Option<i32>)> = figure_segments::table
        .filter(within_areas!(figure_segments::region_code, [code]))
        .filter(figure_segments::figure_date.le(day))
        .select((
            figure_segments::region_code,
            figure_segments::figure_date,
            figure_segments::segment,
            figure_segments::active,
        ))
        .load(conn)?;
    Ok(sum_latest(&rows))
}

/// The sum of each desa's Pemda-paid active members on its latest date among `rows`.
fn sum_latest(rows: &[(String, NaiveDate, String, Option<i32>)]) -> Option<i64> {
    let mut latest: HashMap<&str, NaiveDate> = HashMap::new();
    for (code, date, _, _) in rows {
        let slot = latest.entry(code.as_str()).or_insert(*date);
        if *date > *slot {
            *slot = *date;
        }
    }
    if latest.is_empty() {
        return None;
    }
    let pemda = Segment::PbiApbd.as_str();
    Some(
        rows.iter()
            .filter(|(code, date, segment, _)| {
                segment == pemda && latest.get(code.as_str()) == Some(date)
            })
            .map(|(_, _, _, active)| i64::from(active.unwrap_or(0)))
            .sum(),
    )
}

/// Field claims proposing a member for PBI / Pemda-paid membership, reported and not yet
/// settled, in the kab/kota.
pub fn waiting_claims(conn: &mut DbConnection, code: &str) -> QueryResult<i64> {
    reactivations::table
        .filter(reactivations::method.eq(Action::ProposedPbi.as_str()))
        .filter(reactivations::state.eq(ClaimState::Reported.as_str()))
        .filter(within_areas!(reactivations::region_code, [code]))
        .count()
        .get_result(conn)
}

/// The quota figures of a kab/kota on `day`, against `needed` reactivations to the target.
pub fn figures(
    conn: &mut DbConnection,
    code: &str,
    day: NaiveDate,
    needed: i64,
) -> QueryResult<(QuotaFigures, Option<Quota>)> {
    let rows = list(conn, Some(code))?;
    let quota = in_force(&rows, day).cloned();
    let used = used_places(conn, code, day)?.unwrap_or(0);
    let waiting = waiting_claims(conn, code)?;
    Ok((
        QuotaFigures {
            funded: quota.as_ref().map(|q| q.places),
            used,
            waiting,
            needed,
        },
        quota,
    ))
}

/// A kab/kota's quota as of a day, with the date of the progress figures the gap comes from.
pub struct Summary {
    pub day: NaiveDate,
    pub figures_date: Option<NaiveDate>,
    pub figures: QuotaFigures,
    pub quota: Option<Quota>,
}

/// The quota figures of kab/kota `code` on `day`, the gap taken from its progress figures on
/// or before the day (the as-of roll-ups) against the threshold then in force.
pub fn summary(conn: &mut DbConnection, code: &str, day: NaiveDate) -> QueryResult<Summary> {
    let series = crate::progress::queries::series(conn, code)?;
    let view = series.iter().rev().find(|v| v.date <= day);
    let needed = match view {
        Some(v) => {
            let thresholds = crate::progress::queries::thresholds(conn)?;
            let threshold = crate::progress::queries::threshold_for(&thresholds, v.date);
            v.figures.needed_to_target(threshold.activity_bp)
        }
        None => 0,
    };
    let (figures, quota) = figures(conn, code, day, needed)?;
    Ok(Summary {
        day,
        figures_date: view.map(|v| v.date),
        figures,
        quota,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_latest_row_on_or_before_the_day_is_in_force() {
        let q = |from, places| Quota {
            region_code: "33.16".into(),
            valid_from: from,
            places,
        };
        let rows = vec![q(d(2026, 1, 1), 9_000), q(d(2026, 7, 1), 12_000)];
        assert_eq!(in_force(&rows, d(2025, 12, 31)), None);
        assert_eq!(
            in_force(&rows, d(2026, 3, 1)).map(|q| q.places),
            Some(9_000)
        );
        assert_eq!(
            in_force(&rows, d(2026, 7, 1)).map(|q| q.places),
            Some(12_000)
        );
    }

    #[test]
    fn each_desa_counts_on_its_latest_date_and_a_missing_segment_is_zero() {
        let r = |code: &str, date, segment: &str, active| {
            (code.to_string(), date, segment.to_string(), Some(active))
        };
        let rows = vec![
            r("33.16.01.2001", d(2026, 1, 31), "pbi_apbd", 40),
            r("33.16.01.2001", d(2026, 2, 28), "pbi_apbd", 45),
            r("33.16.01.2002", d(2026, 1, 31), "pbi_apbd", 10),
            // Its February extract listed nobody in the Pemda segment.
            r("33.16.01.2002", d(2026, 2, 28), "pbpu", 7),
        ];
        assert_eq!(sum_latest(&rows), Some(45));
        assert_eq!(sum_latest(&[]), None);
    }
}
