//! `GET /api/v1/progress/{kode}[?tanggal=YYYY-MM-DD]`: a unit's progress and its children's, as
//! JSON, scoped like the pages. Ratios are decimals (0.7996), counts integers.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::queries::NATIONAL;
use super::ratios::Standing;
use super::unit::{Row, UnitData, UnitQuery, load_unit};
use crate::auth::CurrentUser;
use crate::db::{Db, DbConnection};
use crate::error::AppError;
use crate::members::forms::parse_date;

#[derive(Serialize)]
pub struct UnitJson {
    pub code: String,
    pub name: String,
    pub level: String,
    pub date: Option<String>,
    pub population: i64,
    pub registered: i64,
    pub active: i64,
    pub coverage: Option<f64>,
    pub activity_rate: Option<f64>,
    pub active_coverage: Option<f64>,
    pub target_activity: f64,
    pub target_coverage: f64,
    pub needed_to_target: i64,
    pub coverage_needed: i64,
    /// Both bars met; null while villages have no figures at all (no verdict on partial sums).
    pub meets_uhc_prioritas: Option<bool>,
    pub meets_coverage: bool,
    pub meets_activity: bool,
    /// `met`, `near`, `below`, `incomplete` or `no_data`: the page's verdict.
    pub status: &'static str,
    pub status_label: String,
    /// Every village under the unit has figures on or before the date.
    pub complete: bool,
    pub units_total: i64,
    pub units_reporting: i64,
    pub units_on_date: i64,
    pub units_carried: i64,
    pub units_missing: i64,
    /// The date of the figures shown (a unit that did not report on `date`: its latest before).
    pub figures_date: Option<String>,
    /// The oldest figures carried forward into the sums.
    pub oldest_date: Option<String>,
    /// The oldest figures are older than `stale_after_days`.
    pub stale: bool,
    pub stale_after_days: i64,
    pub reported_reactivations: i64,
    pub confirmed_reactivations: i64,
    /// A kab/kota's Pemda-paid quota on the date (kab/kota units only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pemda_quota: Option<QuotaJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<UnitJson>>,
}

/// The quota lines of the kab/kota page, as numbers.
#[derive(Serialize)]
pub struct QuotaJson {
    /// The day the places are counted on (the figures' date, else today).
    pub date: String,
    /// Places funded; null while no quota is set for the date.
    pub funded: Option<i64>,
    pub valid_from: Option<String>,
    /// Active members in PBI APBD / Pemda-paid, from the roster's figures.
    pub used: i64,
    pub free: i64,
    pub over: i64,
    /// Field claims "diusulkan PBI/Pemda" reported, not yet settled.
    pub waiting_claims: i64,
    /// Reactivations still needed to reach the activity target.
    pub needed_to_target: i64,
    /// How much of that gap filling the free places would close, and what would be left.
    pub gap_closed: i64,
    pub gap_after: i64,
}

fn quota_json(s: &crate::pemda::quota::Summary) -> QuotaJson {
    let f = s.figures;
    QuotaJson {
        date: s.day.to_string(),
        funded: f.funded,
        valid_from: s.quota.as_ref().map(|q| q.valid_from.to_string()),
        used: f.used,
        free: f.free(),
        over: f.over(),
        waiting_claims: f.waiting,
        needed_to_target: f.needed,
        gap_closed: f.gap_closed(),
        gap_after: f.gap_after(),
    }
}

fn unit_json(
    row: &Row,
    level: &str,
    date: Option<String>,
    claims: (i64, i64),
    stale_after_days: i64,
) -> UnitJson {
    let f = row.figures.unwrap_or_default();
    let standing = row.standing();
    UnitJson {
        code: row.code.clone(),
        name: row.name.clone(),
        level: level.to_string(),
        date,
        population: f.population,
        registered: f.registered,
        active: f.active,
        coverage: f.coverage(),
        activity_rate: f.activity_rate(),
        active_coverage: f.active_coverage(),
        target_activity: row.threshold.activity_bp as f64 / 10_000.0,
        target_coverage: row.threshold.coverage_bp as f64 / 10_000.0,
        needed_to_target: row.needed(),
        coverage_needed: row.coverage_needed(),
        meets_uhc_prioritas: match standing {
            Standing::Incomplete | Standing::NoData => None,
            s => Some(s == Standing::Met),
        },
        meets_coverage: f.meets_coverage(&row.threshold),
        meets_activity: f.meets_activity(&row.threshold),
        status: match standing {
            Standing::Met => "met",
            Standing::Near => "near",
            Standing::Below => "below",
            Standing::Incomplete => "incomplete",
            Standing::NoData => "no_data",
        },
        status_label: row.verdict(),
        complete: row.reach.complete(),
        units_total: row.reach.total,
        units_reporting: row.reach.reporting,
        units_on_date: row.reach.fresh,
        units_carried: row.reach.carried(),
        units_missing: row.reach.missing(),
        figures_date: row.reach.date.map(|d| d.to_string()),
        oldest_date: row.reach.oldest.map(|d| d.to_string()),
        stale: row.stale(),
        stale_after_days,
        reported_reactivations: claims.0,
        confirmed_reactivations: claims.1,
        pemda_quota: None,
        children: None,
    }
}

/// (reported, confirmed) claims for the unit and for each of its children, from the counters.
fn claim_counts(
    conn: &mut DbConnection,
    data: &UnitData,
) -> Result<HashMap<String, (i64, i64)>, AppError> {
    let code = data.own.code.clone();
    let rows =
        crate::activity::claims_per_village(conn, (code != NATIONAL).then_some(code.as_str()))?;
    let mut counts: HashMap<String, (i64, i64)> = HashMap::new();
    let child_len = data.children.first().map(|c| c.code.len());
    for (region, reported, confirmed) in rows {
        for key in [
            Some(code.clone()),
            child_len.map(|n| region.chars().take(n).collect()),
        ]
        .into_iter()
        .flatten()
        {
            let entry = counts.entry(key).or_default();
            entry.0 += reported;
            entry.1 += confirmed;
        }
    }
    Ok(counts)
}

pub async fn progress(
    user: CurrentUser,
    code: web::Path<String>,
    query: web::Query<UnitQuery>,
    db: web::Data<Db>,
    settings: web::Data<crate::web::Settings>,
) -> HttpResponse {
    let stale_after_days = settings.stale_after_days;
    let code = code.into_inner();
    let code = if code == "nasional" {
        NATIONAL.to_string()
    } else {
        code
    };
    if !query.tanggal.is_empty() && parse_date(&query.tanggal).is_none() {
        return error(400, "tanggal harus YYYY-MM-DD");
    }
    let requested = parse_date(&query.tanggal);
    let result = db
        .run(move |conn| {
            let data = load_unit(conn, &user, &code, requested, "kode", stale_after_days)?;
            let claims = claim_counts(conn, &data)?;
            let quota = if data.level == Some(crate::regions::Level::KabupatenKota) {
                let day = data.date.unwrap_or_else(crate::web::today);
                let (figures, quota) =
                    crate::pemda::quota::figures(conn, &data.own.code, day, data.own.needed())?;
                Some(crate::pemda::quota::Summary {
                    day,
                    figures_date: data.date,
                    figures,
                    quota,
                })
            } else {
                None
            };
            Ok((data, claims, quota))
        })
        .await;
    match result {
        Ok((data, claims, quota)) => {
            let date = data.date.map(|d| d.to_string());
            let level = if data.own.code == NATIONAL {
                "nasional".to_string()
            } else {
                data.region.level.clone()
            };
            let child_level = data.level.and_then(crate::regions::Level::child).map_or(
                if data.own.code == NATIONAL {
                    "provinsi"
                } else {
                    ""
                },
                |l| l.as_str(),
            );
            let mut own = unit_json(
                &data.own,
                &level,
                date.clone(),
                claims.get(&data.own.code).copied().unwrap_or_default(),
                stale_after_days,
            );
            own.pemda_quota = quota.as_ref().map(quota_json);
            own.children = Some(
                data.children
                    .iter()
                    .map(|c| {
                        unit_json(
                            c,
                            child_level,
                            date.clone(),
                            claims.get(&c.code).copied().unwrap_or_default(),
                            stale_after_days,
                        )
                    })
                    .collect(),
            );
            HttpResponse::Ok().json(own)
        }
        Err(AppError::NotFound) => error(404, "not found"),
        Err(AppError::Unavailable) => error(503, "database unavailable"),
        Err(e) => {
            let status = actix_web::ResponseError::status_code(&e).as_u16();
            error(status, "error")
        }
    }
}

fn error(status: u16, message: &str) -> HttpResponse {
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
    )
    .json(serde_json::json!({ "error": message }))
}
