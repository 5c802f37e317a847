//! A progress unit as loaded for one user: its figures and its children's on a date, the
//! trend, field activity and worklist. The pages, the downloads and the JSON API all show it.

use chrono::NaiveDate;
use serde::Deserialize;

use super::chart::activity_trend;
use super::queries::{self, AsOf, NATIONAL};
use super::ratios::{Figures, Standing, Threshold, percent, thousands};
use crate::activity::Activity;
use crate::auth::CurrentUser;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::households::queries::HouseholdRow;
use crate::regions::{Level, Region, RegionCode};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UnitQuery {
    pub tanggal: String,
    pub urut: String,
    pub format: String,
    /// Which table to download: `wilayah` (default), `petugas` or `daftar`.
    pub tabel: String,
}

/// How complete and how old a unit's as-of figures are: "148 dari 151 kelurahan per
/// 30-06-2025; 3 memakai data 31-05-2025; 0 tanpa data".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// Desa/kelurahan in the unit (the region list).
    pub total: i64,
    /// Those with any figures on or before the date.
    pub reporting: i64,
    /// Those that reported on the view's date itself.
    pub fresh: i64,
    /// The view's date (a unit that did not report on the page's date shows its latest before).
    pub date: Option<NaiveDate>,
    /// The oldest date carried forward.
    pub oldest: Option<NaiveDate>,
}

impl Reach {
    fn of(view: Option<&AsOf>, total: i64) -> Reach {
        match view {
            None => Reach {
                total,
                ..Reach::default()
            },
            Some(v) => Reach {
                total: total.max(v.units),
                reporting: v.units,
                fresh: v.fresh,
                date: Some(v.date),
                oldest: Some(v.oldest),
            },
        }
    }

    /// Villages with no figures at all.
    pub fn missing(&self) -> i64 {
        (self.total - self.reporting).max(0)
    }

    /// Villages whose figures are carried from an earlier date.
    pub fn carried(&self) -> i64 {
        (self.reporting - self.fresh).max(0)
    }

    pub fn complete(&self) -> bool {
        self.reporting > 0 && self.missing() == 0
    }
}

/// One row of a children table (or the unit itself).
pub struct Row {
    pub code: String,
    pub name: String,
    /// "Kecamatan Coblong", "Kota Bandung", "Indonesia".
    pub title: String,
    pub kind: &'static str,
    pub figures: Option<Figures>,
    pub reach: Reach,
    pub threshold: Threshold,
    /// Figures dated before this are stale.
    pub stale_before: NaiveDate,
}

impl Row {
    /// The verdict: both UHC Prioritas bars, and none while villages have no figures at all.
    pub fn standing(&self) -> Standing {
        match self.figures {
            None => Standing::NoData,
            Some(f) if f.registered <= 0 => Standing::NoData,
            Some(_) if !self.reach.complete() => Standing::Incomplete,
            Some(f) => f.uhc_standing(&self.threshold),
        }
    }

    /// What the headline says: the verdict in words, with which bar is met and which is not.
    pub fn verdict(&self) -> String {
        let Some(f) = self.figures else {
            return Standing::NoData.label().into();
        };
        match self.standing() {
            Standing::NoData => Standing::NoData.label().into(),
            Standing::Incomplete => format!(
                "Data belum lengkap ({} dari {} desa/kelurahan)",
                thousands(self.reach.reporting),
                thousands(self.reach.total)
            ),
            Standing::Met => "UHC Prioritas tercapai: keaktifan dan cakupan memenuhi target".into(),
            _ => {
                let bar = |met: bool| if met { "tercapai" } else { "belum" };
                let coverage = if f.population <= 0 {
                    "cakupan belum dapat dihitung (tanpa data penduduk)".to_string()
                } else {
                    format!(
                        "cakupan {} ({} dari target {})",
                        bar(f.meets_coverage(&self.threshold)),
                        self.coverage(),
                        percent(Some(self.threshold.coverage_bp)),
                    )
                };
                format!(
                    "Belum UHC Prioritas: keaktifan {} ({} dari target {}), {coverage}",
                    bar(f.meets_activity(&self.threshold)),
                    self.activity(),
                    percent(Some(self.threshold.activity_bp)),
                )
            }
        }
    }

    /// "148 dari 151 desa/kelurahan per 30-06-2025; 3 memakai data lebih lama (paling lama
    /// 31-05-2025); 0 tanpa data".
    pub fn as_of_line(&self) -> String {
        let r = &self.reach;
        let Some(date) = r.date else {
            return format!("0 dari {} desa/kelurahan punya data", thousands(r.total));
        };
        let mut line = format!(
            "{} dari {} desa/kelurahan per {}",
            thousands(r.fresh),
            thousands(r.total),
            date.format("%d-%m-%Y")
        );
        if r.carried() > 0
            && let Some(oldest) = r.oldest
        {
            line.push_str(&format!(
                "; {} memakai data sebelumnya (paling lama {})",
                thousands(r.carried()),
                oldest.format("%d-%m-%Y")
            ));
        }
        line.push_str(&format!("; {} tanpa data", thousands(r.missing())));
        line
    }

    /// [`Self::as_of_line`] for the page, its dates unbroken on a phone.
    pub fn as_of_html(&self) -> String {
        self.as_of_line().replace('-', "\u{2011}")
    }

    /// The oldest figures used are older than the staleness limit.
    pub fn stale(&self) -> bool {
        self.reach.oldest.is_some_and(|d| d < self.stale_before)
    }

    pub fn coverage(&self) -> String {
        percent(
            self.figures
                .and_then(|f| f.coverage_bp(self.threshold.coverage_bp)),
        )
    }
    pub fn activity(&self) -> String {
        percent(
            self.figures
                .and_then(|f| f.activity_bp(self.threshold.activity_bp)),
        )
    }
    pub fn active_coverage(&self) -> String {
        percent(self.figures.and_then(|f| f.active_coverage_bp()))
    }
    pub fn needed(&self) -> i64 {
        self.figures
            .map_or(0, |f| f.needed_to_target(self.threshold.activity_bp))
    }
    /// Active members above the activity target (0 when below it).
    pub fn surplus(&self) -> i64 {
        self.figures.map_or(0, |f| {
            if f.meets_activity(&self.threshold) {
                (10_000 * i128::from(f.active)
                    - i128::from(self.threshold.activity_bp) * i128::from(f.registered))
                    as i64
                    / 10_000
            } else {
                0
            }
        })
    }
    pub fn coverage_needed(&self) -> i64 {
        self.figures
            .map_or(0, |f| f.coverage_needed(self.threshold.coverage_bp))
    }
    pub fn population(&self) -> i64 {
        self.figures.map_or(0, |f| f.population)
    }
    pub fn registered(&self) -> i64 {
        self.figures.map_or(0, |f| f.registered)
    }
    pub fn active(&self) -> i64 {
        self.figures.map_or(0, |f| f.active)
    }
}

/// Everything a progress page (and its download and API) shows about a unit.
pub struct UnitData {
    pub region: Region,
    pub level: Option<Level>,
    pub breadcrumbs: Vec<(Region, bool)>,
    /// The as-of date shown (default: the unit's latest, i.e. every village's latest).
    pub date: Option<NaiveDate>,
    /// The unit's dates, newest first, with how many villages reported on each.
    pub dates: Vec<(NaiveDate, i64)>,
    pub threshold: Threshold,
    pub own: Row,
    pub children: Vec<Row>,
    pub chart: Option<String>,
    /// Keaktifan moved up (+1), down (-1) or not (0) since the previous date.
    pub trend: Option<i8>,
    pub stale_after_days: i64,
    pub activity: Vec<Activity>,
    pub worklist: Vec<(HouseholdRow, Option<String>)>,
}

fn national_region() -> Region {
    Region {
        code: NATIONAL.to_string(),
        name: "Indonesia".into(),
        level: "nasional".into(),
        parent_code: None,
    }
}

/// Loads a unit the user may see as of the requested date (default: its latest, which is
/// every village's latest figures): never a date in the future.
pub fn load_unit(
    conn: &mut DbConnection,
    user: &CurrentUser,
    code: &str,
    requested: Option<NaiveDate>,
    sort: &str,
    stale_after_days: i64,
) -> Result<UnitData, AppError> {
    let (region, parsed) = if code == NATIONAL {
        if !user.sees_everything() {
            return Err(AppError::NotFound);
        }
        (national_region(), None)
    } else {
        let parsed = RegionCode::parse(code).ok_or(AppError::NotFound)?;
        if !user.covers(parsed.as_str()) {
            return Err(AppError::NotFound);
        }
        let region = crate::regions::queries::get(conn, code)?.ok_or(AppError::NotFound)?;
        (region, Some(parsed))
    };
    let today = crate::web::today();
    let stale_before = today - chrono::Duration::days(stale_after_days);
    let level = region.level();
    let mut series = queries::series(conn, code)?;
    // A row dated after today (from before future dates were refused) is no view of today.
    series.retain(|v| v.date <= today);
    let dates: Vec<(NaiveDate, i64)> = series.iter().rev().map(|v| (v.date, v.fresh)).collect();
    let date = match requested {
        Some(d) if d <= today && series.first().is_some_and(|v| v.date <= d) => Some(d),
        _ => series.last().map(|v| v.date),
    };
    let thresholds = queries::thresholds(conn)?;
    let threshold = queries::threshold_for(&thresholds, date.unwrap_or(today));
    let own_view = date.and_then(|d| series.iter().rev().find(|v| v.date <= d).copied());
    let children_regions = match &parsed {
        None => crate::regions::queries::provinces(conn)?,
        Some(_) => crate::regions::queries::children(conn, code)?,
    };
    let child_level = level.and_then(Level::child).or(if code == NATIONAL {
        Some(Level::Provinsi)
    } else {
        None
    });
    let mut codes: Vec<String> = children_regions.iter().map(|r| r.code.clone()).collect();
    let child_views = match date {
        Some(d) => queries::figures_on(conn, &codes, child_level, d)?,
        None => Default::default(),
    };
    codes.push(code.to_string());
    let totals = queries::villages_in(conn, &codes)?;
    let mut children: Vec<Row> = children_regions
        .into_iter()
        .map(|r| {
            let view = child_views.get(&r.code);
            Row {
                title: r.title(),
                kind: r.kind_label(),
                figures: view.map(|v| v.figures),
                reach: Reach::of(view, totals.get(&r.code).copied().unwrap_or(0)),
                threshold,
                stale_before,
                code: r.code,
                name: r.name,
            }
        })
        .collect();
    sort_rows(&mut children, sort);
    let breadcrumbs = match &parsed {
        None => Vec::new(),
        Some(parsed) => {
            let mut crumbs: Vec<(Region, bool)> =
                crate::regions::queries::breadcrumbs(conn, parsed)?
                    .into_iter()
                    .map(|r| {
                        let linkable = user.covers(&r.code);
                        (r, linkable)
                    })
                    .collect();
            if user.sees_everything() {
                crumbs.insert(0, (national_region(), true));
            }
            crumbs
        }
    };
    let points: Vec<(NaiveDate, i64)> = series
        .iter()
        .filter(|v| date.is_none_or(|d| v.date <= d))
        .filter_map(|v| {
            v.figures
                .activity_bp(threshold.activity_bp)
                .map(|bp| (v.date, bp))
        })
        .collect();
    let trend = match points.as_slice() {
        [.., (_, before), (_, last)] => Some(match last.cmp(before) {
            std::cmp::Ordering::Greater => 1,
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
        }),
        _ => None,
    };
    let activity = queries::activity_within(conn, code)?;
    let worklist = if level == Some(Level::DesaKelurahan) {
        let only_for = user.records_fieldwork().then_some(user.id);
        crate::households::queries::worklist_in(conn, code, only_for, 30)?
    } else {
        Vec::new()
    };
    Ok(UnitData {
        own: Row {
            code: region.code.clone(),
            name: region.name.clone(),
            title: if code == NATIONAL {
                region.name.clone()
            } else {
                region.title()
            },
            kind: if code == NATIONAL {
                "Nasional"
            } else {
                region.kind_label()
            },
            figures: own_view.map(|v| v.figures),
            reach: Reach::of(own_view.as_ref(), totals.get(code).copied().unwrap_or(0)),
            threshold,
            stale_before,
        },
        chart: activity_trend(&points, threshold.activity_bp),
        trend,
        stale_after_days,
        region,
        level,
        breadcrumbs,
        date,
        dates,
        threshold,
        children,
        activity,
        worklist,
    })
}

impl UnitData {
    /// The dates with figures, newest first, with how many villages reported on each; the
    /// shown one marked.
    pub fn date_options(&self) -> Vec<(NaiveDate, i64, bool)> {
        self.dates
            .iter()
            .map(|(d, n)| (*d, *n, Some(*d) == self.date))
            .collect()
    }

    /// The page shows the unit's latest view (no earlier date was asked for).
    pub fn is_latest(&self) -> bool {
        self.date.is_some() && self.dates.first().map(|(d, _)| *d) == self.date
    }

    pub fn target_activity(&self) -> String {
        percent(Some(self.threshold.activity_bp))
    }

    pub fn target_coverage(&self) -> String {
        percent(Some(self.threshold.coverage_bp))
    }

    /// "naik", "turun" or "tetap" since the previous date.
    pub fn trend_word(&self) -> Option<&'static str> {
        self.trend.map(|t| match t {
            1 => "naik",
            -1 => "turun",
            _ => "tetap",
        })
    }
}

/// Units below target first (largest gap first), unless another order is asked for.
pub fn sort_rows(rows: &mut [Row], sort: &str) {
    match sort {
        "nama" => rows.sort_by(|a, b| a.name.cmp(&b.name)),
        "kode" => rows.sort_by(|a, b| a.code.cmp(&b.code)),
        "keaktifan" => rows.sort_by_key(|r| {
            r.figures
                .and_then(|f| f.activity_bp(r.threshold.activity_bp))
                .unwrap_or(i64::MAX)
        }),
        "cakupan" => rows.sort_by_key(|r| {
            r.figures
                .and_then(|f| f.coverage_bp(r.threshold.coverage_bp))
                .unwrap_or(i64::MAX)
        }),
        _ => rows.sort_by(|a, b| {
            a.standing()
                .rank()
                .cmp(&b.standing().rank())
                .then(b.needed().cmp(&a.needed()))
                .then(a.code.cmp(&b.code))
        }),
    }
}
