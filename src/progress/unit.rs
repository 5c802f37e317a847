//! A progress unit as loaded for one user: its figures and its children's on a date, the
//! trend, field activity and worklist. The pages, the downloads and the JSON API all show it.

use chrono::NaiveDate;
use serde::Deserialize;

use super::chart::activity_trend;
use super::queries::{self, NATIONAL};
use super::ratios::{Figures, Standing, Threshold, percent};
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

/// One row of a children table (or the unit itself).
pub struct Row {
    pub code: String,
    pub name: String,
    /// "Kecamatan Coblong", "Kota Bandung", "Indonesia".
    pub title: String,
    pub kind: &'static str,
    pub figures: Option<Figures>,
    pub units: i64,
    pub threshold: Threshold,
}

impl Row {
    pub fn standing(&self) -> Standing {
        self.figures
            .map_or(Standing::NoData, |f| f.standing(self.threshold.activity_bp))
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
    pub date: Option<NaiveDate>,
    pub dates: Vec<NaiveDate>,
    pub threshold: Threshold,
    pub own: Row,
    pub children: Vec<Row>,
    pub chart: Option<String>,
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

/// Loads a unit the user may see, on the requested date (default: the latest with figures).
pub fn load_unit(
    conn: &mut DbConnection,
    user: &CurrentUser,
    code: &str,
    requested: Option<NaiveDate>,
    sort: &str,
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
    let level = region.level();
    let series = queries::series(conn, code)?;
    let dates: Vec<NaiveDate> = series.iter().rev().map(|(d, _)| *d).collect();
    let date = requested
        .filter(|d| dates.contains(d))
        .or(dates.first().copied());
    let thresholds = queries::thresholds(conn)?;
    let threshold = queries::threshold_for(&thresholds, date.unwrap_or_else(crate::web::today));
    let own_figures = date.and_then(|d| series.iter().find(|(sd, _)| *sd == d).map(|(_, f)| *f));
    let children_regions = match &parsed {
        None => crate::regions::queries::provinces(conn)?,
        Some(_) => crate::regions::queries::children(conn, code)?,
    };
    let child_level = level.and_then(Level::child).or(if code == NATIONAL {
        Some(Level::Provinsi)
    } else {
        None
    });
    let child_codes: Vec<String> = children_regions.iter().map(|r| r.code.clone()).collect();
    let child_figures = match date {
        Some(d) => queries::figures_on(conn, &child_codes, child_level, d)?,
        None => Default::default(),
    };
    let mut children: Vec<Row> = children_regions
        .into_iter()
        .map(|r| {
            let found = child_figures.get(&r.code).copied();
            Row {
                title: r.title(),
                kind: r.kind_label(),
                figures: found.map(|(f, _)| f),
                units: found.map_or(0, |(_, u)| u),
                threshold,
                code: r.code,
                name: r.name,
            }
        })
        .collect();
    sort_rows(&mut children, sort);
    // Villages count as one unit each; higher units carry how many villages reported.
    let own_units = children.iter().map(|c| c.units).sum();
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
    let trend: Vec<(NaiveDate, i64)> = series
        .iter()
        .filter_map(|(d, f)| f.activity_bp(threshold.activity_bp).map(|bp| (*d, bp)))
        .collect();
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
            figures: own_figures,
            units: if level == Some(Level::DesaKelurahan) {
                1
            } else {
                own_units
            },
            threshold,
        },
        chart: activity_trend(&trend, threshold.activity_bp),
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
    /// The dates with figures, newest first, the shown one marked.
    pub fn date_options(&self) -> Vec<(NaiveDate, bool)> {
        self.dates
            .iter()
            .map(|d| (*d, Some(*d) == self.date))
            .collect()
    }

    pub fn target_activity(&self) -> String {
        percent(Some(self.threshold.activity_bp))
    }

    pub fn target_coverage(&self) -> String {
        percent(Some(self.threshold.coverage_bp))
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
