//! Incentive rates per confirmed outcome, dated per area (none by default): stored, read, set
//! (audited), and the rate that applies to one claim.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::audit;
use crate::db::schema::incentive_rates;
use crate::db::{DbConnection, now};
use crate::reactivations::ClaimKind;
use crate::regions::RegionCode;
use crate::web::forms::FieldErrors;

/// Highest rate accepted per outcome (whole rupiah).
pub const MAX_RATE: i64 = 10_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rate {
    pub region_code: String,
    pub kind: ClaimKind,
    pub valid_from: NaiveDate,
    pub amount: i64,
}

/// The rate for a confirmed claim of `kind` in `region` reported on `day`: among the rates of
/// areas containing the region and in force that day, the most specific area's latest one;
/// none is 0.
pub fn rate_for(rates: &[Rate], region: &str, kind: ClaimKind, day: NaiveDate) -> i64 {
    rates
        .iter()
        .filter(|r| r.kind == kind && r.valid_from <= day)
        .filter(|r| RegionCode::parse(&r.region_code).is_some_and(|a| a.contains(region)))
        .max_by_key(|r| (r.region_code.len(), r.valid_from))
        .map_or(0, |r| r.amount)
}

/// Every stored rate, by area, outcome and date (newest first).
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Rate>> {
    let rows: Vec<(String, String, NaiveDate, i64)> = incentive_rates::table
        .order((
            incentive_rates::region_code,
            incentive_rates::outcome,
            incentive_rates::valid_from.desc(),
        ))
        .select((
            incentive_rates::region_code,
            incentive_rates::outcome,
            incentive_rates::valid_from,
            incentive_rates::amount,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(region_code, outcome, valid_from, amount)| {
            Some(Rate {
                region_code,
                kind: ClaimKind::parse(&outcome)?,
                valid_from,
                amount,
            })
        })
        .collect())
}

/// Adds (or, for the same area, outcome and date, replaces) a rate, audited.
pub fn set(conn: &mut DbConnection, rate: &Rate, actor: Option<i32>) -> QueryResult<()> {
    diesel::delete(
        incentive_rates::table
            .filter(incentive_rates::region_code.eq(&rate.region_code))
            .filter(incentive_rates::outcome.eq(rate.kind.as_str()))
            .filter(incentive_rates::valid_from.eq(rate.valid_from)),
    )
    .execute(conn)?;
    diesel::insert_into(incentive_rates::table)
        .values((
            incentive_rates::region_code.eq(&rate.region_code),
            incentive_rates::outcome.eq(rate.kind.as_str()),
            incentive_rates::valid_from.eq(rate.valid_from),
            incentive_rates::amount.eq(rate.amount),
            incentive_rates::created_by.eq(actor),
            incentive_rates::created_at.eq(now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "incentive_rate.set",
        "incentive_rate",
        &format!("{}:{}", rate.region_code, rate.kind.as_str()),
        &format!("{} from {}", rate.amount, rate.valid_from),
    )
}

/// The form of a rate, on the admin page and on the command line.
#[derive(serde::Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct RateForm {
    pub wilayah: String,
    pub jenis: String,
    pub mulai: String,
    pub nilai: String,
    pub submission_key: String,
}

/// Checks a rate form; the area must be a known kab/kota, kecamatan or desa/kelurahan.
pub fn check(conn: &mut DbConnection, form: &RateForm) -> QueryResult<Result<Rate, FieldErrors>> {
    let mut errors = FieldErrors::default();
    let code = RegionCode::parse(form.wilayah.trim())
        .filter(|c| c.as_str().contains('.'))
        .map(|c| c.as_str().to_string());
    let known = match &code {
        Some(code) => crate::regions::queries::get(conn, code)?.is_some(),
        None => false,
    };
    if !known {
        errors.add(
            "wilayah",
            "Isi kode kabupaten/kota, kecamatan atau desa/kelurahan yang ada, misalnya 32.73.",
        );
    }
    let kind = ClaimKind::parse(&form.jenis);
    if kind.is_none() {
        errors.add("jenis", "Pilih jenis hasil: reaktivasi atau pendaftaran.");
    }
    let from = NaiveDate::parse_from_str(form.mulai.trim(), "%Y-%m-%d").ok();
    if from.is_none() {
        errors.add("mulai", "Tanggal berlaku wajib diisi (TTTT-BB-HH).");
    }
    let amount = form
        .nilai
        .trim()
        .trim_start_matches("Rp")
        .trim()
        .replace('.', "")
        .parse::<i64>()
        .ok()
        .filter(|v| (0..=MAX_RATE).contains(v));
    if amount.is_none() {
        errors.add(
            "nilai",
            "Nilai harus rupiah bulat 0 sampai 10.000.000, tanpa sen (misalnya 2.500).",
        );
    }
    Ok(match (code, kind, from, amount) {
        (Some(region_code), Some(kind), Some(valid_from), Some(amount)) if errors.is_empty() => {
            Ok(Rate {
                region_code,
                kind,
                valid_from,
                amount,
            })
        }
        _ => Err(errors),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_most_specific_area_and_latest_date_win() {
        let r = |code: &str, from, amount| Rate {
            region_code: code.into(),
            kind: ClaimKind::Reactivation,
            valid_from: from,
            amount,
        };
        let rates = vec![
            r("32.73", d(2026, 1, 1), 2500),
            r("32.73", d(2026, 7, 1), 3000),
            r("32.73.02", d(2026, 9, 1), 4000),
        ];
        let k = ClaimKind::Reactivation;
        assert_eq!(rate_for(&rates, "32.73.02.1004", k, d(2025, 12, 31)), 0);
        assert_eq!(rate_for(&rates, "32.73.02.1004", k, d(2026, 3, 1)), 2500);
        assert_eq!(rate_for(&rates, "32.73.01.1001", k, d(2026, 10, 1)), 3000);
        assert_eq!(rate_for(&rates, "32.73.02.1004", k, d(2026, 10, 1)), 4000);
        assert_eq!(rate_for(&rates, "32.74.02.1004", k, d(2026, 10, 1)), 0);
        assert_eq!(
            rate_for(
                &rates,
                "32.73.02.1004",
                ClaimKind::Registration,
                d(2026, 10, 1)
            ),
            0
        );
    }
}
