//! Progress pages: a kelurahan, and the kecamatan, kab/kota, province and national roll-ups,
//! with the children table, trend, field activity, worklist, downloads and a WhatsApp summary.

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;

use super::export::{Cell, Format, Table, download};
use super::queries::NATIONAL;
use super::ratios::{Standing, thousands};
use super::unit::{Row, UnitData, UnitQuery, load_unit};
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::db::cache::{Cache, DataVersion};
use crate::error::AppError;
use crate::members::forms::parse_date;
use crate::regions::Level;
use crate::web::page::Page;
use crate::web::routes::{Access, Routes};
use crate::web::{Settings, render};

pub fn register(routes: &mut Routes) {
    routes
        .get("/progres", Access::SignedIn, index)
        .get("/progres/{code}", Access::SignedIn, unit)
        .get("/progres/{code}/unduh", Access::SignedIn, export)
        .get(
            "/api/v1/progress/{code}",
            Access::SignedIn,
            super::api::progress,
        );
}

#[derive(Template)]
#[template(path = "progress/unit.html")]
struct UnitPage<'a> {
    page: Page,
    data: &'a UnitData,
    sort: String,
    share_url: String,
    is_village: bool,
    can_assign: bool,
    assignees: &'a Vec<(i32, String)>,
    pemda: &'a Option<PemdaLevers>,
}

/// A kab/kota's own levers, shown on its progress page: the quota and the village officials.
pub struct PemdaLevers {
    pub quota: crate::pemda::quota::Summary,
    /// "perangkat desa terdaftar: 40 dari 430 desa lengkap".
    pub officials: String,
}

/// The levers of the unit when it is a kab/kota, on the page's date (else today).
fn pemda_levers(
    conn: &mut crate::db::DbConnection,
    data: &UnitData,
) -> Result<Option<PemdaLevers>, AppError> {
    if data.level != Some(Level::KabupatenKota) {
        return Ok(None);
    }
    let day = data.date.unwrap_or_else(crate::web::today);
    let code = &data.own.code;
    let (figures, quota) = crate::pemda::quota::figures(conn, code, day, data.own.needed())?;
    let board = crate::pemda::officials::board(conn, code, day)?;
    Ok(Some(PemdaLevers {
        quota: crate::pemda::quota::Summary {
            day,
            figures_date: data.date,
            figures,
            quota,
        },
        officials: board.headline(),
    }))
}

/// What a progress page shows, as loaded for one user.
pub struct UnitView {
    data: UnitData,
    assignees: Vec<(i32, String)>,
    pemda: Option<PemdaLevers>,
}

/// Whose page of which unit, on which date and in which order. Today's date is part of it
/// because a unit without figures is measured against today's threshold.
#[derive(PartialEq, Eq, Hash)]
pub struct UnitKey {
    user_id: i32,
    code: String,
    requested: Option<NaiveDate>,
    sort: String,
    today: NaiveDate,
}

/// Progress pages as loaded, reused until anything is committed (`db::cache`): the morning's
/// repeated looks at the same units cost one load per change, not one per request.
pub type UnitCache = Cache<UnitKey, UnitView>;

/// A short progress summary for WhatsApp, in plain Indonesian: "Progres JKN Kota Bandung per
/// 30-06-2025: keaktifan 79,96%, kurang 1.029 peserta aktif untuk target 80,00%; …".
pub fn share_text(data: &UnitData) -> String {
    let own = &data.own;
    let Some(date) = data.date else {
        return format!("Progres JKN {}: belum ada data.", own.title);
    };
    let mut text = format!(
        "Progres JKN {} per {}: keaktifan {}",
        own.title,
        date.format("%d-%m-%Y"),
        own.activity(),
    );
    let needed = own.needed();
    if needed > 0 {
        text.push_str(&format!(
            ", kurang {} peserta aktif untuk target {}",
            thousands(needed),
            data.target_activity()
        ));
    } else if own.figures.is_some() {
        text.push_str(&format!(
            ", lebih {} peserta aktif dari target {}",
            thousands(own.surplus()),
            data.target_activity()
        ));
    }
    text.push_str(&format!(
        "; cakupan {} (target {}). {}",
        own.coverage(),
        data.target_coverage(),
        share_verdict(own)
    ));
    if level_is_rollup(data) {
        text.push_str(&format!(" Data: {}.", own.as_of_line()));
    }
    if own.stale()
        && let Some(oldest) = own.reach.oldest
    {
        text.push_str(&format!(
            " Perhatian: sebagian data sudah lama (per {}, lebih dari {} hari).",
            oldest.format("%d-%m-%Y"),
            data.stale_after_days
        ));
    }
    text
}

/// The verdict as said in a message: the numbers are already in it, so only which bar is met.
fn share_verdict(own: &Row) -> String {
    let Some(f) = own.figures else {
        return format!("{}.", Standing::NoData.label());
    };
    let bar = |met: bool| if met { "sudah" } else { "belum" };
    match own.standing() {
        Standing::NoData => format!("{}.", Standing::NoData.label()),
        Standing::Incomplete => format!(
            "Data belum lengkap ({} dari {} desa/kelurahan), jadi belum ada kesimpulan.",
            thousands(own.reach.reporting),
            thousands(own.reach.total)
        ),
        Standing::Met => "UHC Prioritas tercapai: keaktifan dan cakupan memenuhi target.".into(),
        _ if f.population <= 0 => format!(
            "Belum UHC Prioritas: keaktifan {} mencapai target, cakupan belum dapat dihitung \
             (tanpa data penduduk).",
            bar(f.meets_activity(&own.threshold))
        ),
        _ => format!(
            "Belum UHC Prioritas: keaktifan {} mencapai target, cakupan {}.",
            bar(f.meets_activity(&own.threshold)),
            bar(f.meets_coverage(&own.threshold))
        ),
    }
}

fn level_is_rollup(data: &UnitData) -> bool {
    data.level != Some(Level::DesaKelurahan)
}

async fn index(user: CurrentUser) -> Result<HttpResponse, AppError> {
    let target = if user.sees_everything() {
        format!("/progres/{NATIONAL}")
    } else {
        match user.areas.first() {
            Some(area) => format!("/progres/{}", area.code),
            None => return Err(AppError::NotFound),
        }
    };
    Ok(crate::web::see_other(&target))
}

async fn unit(
    req: HttpRequest,
    user: CurrentUser,
    code: web::Path<String>,
    query: web::Query<UnitQuery>,
    db: web::Data<Db>,
    cache: web::Data<UnitCache>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let stale_after_days = settings.stale_after_days;
    let code = code.into_inner();
    let sort: String = query.urut.chars().take(20).collect();
    let requested = parse_date(&query.tanggal);
    let can_assign = crate::web::policy::ASSIGN_WORK.admits(user.role);
    let version = req.extensions().get::<DataVersion>().copied();
    let key = UnitKey {
        user_id: user.id,
        code: code.clone(),
        requested,
        sort: sort.clone(),
        today: crate::web::today(),
    };
    let view = cache
        .get_or_load(version, key, {
            let sort = sort.clone();
            db.run(move |conn| {
                let data = load_unit(conn, &user, &code, requested, &sort, stale_after_days)?;
                let assignees = if can_assign && data.level == Some(Level::DesaKelurahan) {
                    crate::users::queries::field_workers_in(conn, &code)?
                } else {
                    Vec::new()
                };
                let pemda = pemda_levers(conn, &data)?;
                Ok(UnitView {
                    data,
                    assignees,
                    pemda,
                })
            })
        })
        .await?;
    let data = &view.data;
    let share_url = format!(
        "https://wa.me/?text={}",
        crate::web::query_encode(&share_text(data))
    );
    render(
        StatusCode::OK,
        &UnitPage {
            page: Page::from_request(&req),
            is_village: data.level == Some(Level::DesaKelurahan),
            data,
            sort,
            share_url,
            can_assign,
            assignees: &view.assignees,
            pemda: &view.pemda,
        },
    )
}

/// A table of a progress page as a download: its units (default), its field workers
/// (`tabel=petugas`) or its worklist (`tabel=daftar`), scoped like the page.
async fn export(
    user: CurrentUser,
    code: web::Path<String>,
    query: web::Query<UnitQuery>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let stale_after_days = settings.stale_after_days;
    let format = Format::parse(&query.format)
        .ok_or(AppError::BadRequest("format harus csv atau xlsx".into()))?;
    let code = code.into_inner();
    let requested = parse_date(&query.tanggal);
    let sort: String = query.urut.chars().take(20).collect();
    let actor_id = user.id;
    let data = {
        let code = code.clone();
        db.run(move |conn| load_unit(conn, &user, &code, requested, &sort, stale_after_days))
            .await?
    };
    let (table, name) = match query.tabel.as_str() {
        "petugas" => (activity_table(&data), "petugas"),
        "daftar" => {
            // The worklist names households and heads of family: who took it is recorded.
            let region = code.clone();
            db.run(move |conn| {
                Ok(crate::audit::record(
                    conn,
                    Some(actor_id),
                    "worklist.export",
                    "region",
                    &region,
                    "",
                )?)
            })
            .await?;
            (worklist_table(&data), "daftar-kunjungan")
        }
        _ => (units_table(&data, format), "progres"),
    };
    // The name says what the figures count: the figures' date for the units, the days the
    // counters run to for field activity (they count from the first visit to today).
    let stem = match name {
        "progres" => {
            let date = data
                .date
                .map_or_else(|| "tanpa-data".into(), |d| d.to_string());
            format!("progres-{code}-data-{date}")
        }
        "petugas" => format!("petugas-{code}-kegiatan-sd-{}", crate::web::today()),
        _ => format!("{name}-{code}-{}", crate::web::today()),
    };
    download(&table, format, &stem)
}

fn units_table(data: &UnitData, format: Format) -> Table {
    let rows: Vec<&Row> = if data.children.is_empty() {
        vec![&data.own]
    } else {
        data.children.iter().collect()
    };
    let line = |r: &Row| {
        vec![
            Cell::Text(r.code.clone()),
            Cell::Text(r.name.clone()),
            Cell::Date(data.date),
            Cell::Int(r.population()),
            Cell::Int(r.registered()),
            Cell::Int(r.active()),
            Cell::Ratio(r.figures.and_then(|f| f.coverage())),
            Cell::Ratio(r.figures.and_then(|f| f.activity_rate())),
            Cell::Ratio(r.figures.and_then(|f| f.active_coverage())),
            Cell::Ratio(Some(r.threshold.activity_bp as f64 / 10_000.0)),
            Cell::Int(r.needed()),
            Cell::Int(r.coverage_needed()),
            Cell::Text(r.standing().label().to_string()),
            Cell::Int(r.reach.fresh),
            Cell::Int(r.reach.carried()),
            Cell::Int(r.reach.missing()),
            Cell::Int(r.reach.total),
            Cell::Date(r.reach.date),
            Cell::Date(r.reach.oldest),
            Cell::Text(if r.stale() { "ya" } else { "tidak" }.into()),
        ]
    };
    // The total is the unit itself: its ratios are computed from its sums, not summed. A
    // spreadsheet shows it as the bold total row; a CSV, read row by row by tools, ends with
    // the unit's own row under its code, so its verdict and completeness travel with it.
    let mut lines: Vec<Vec<Cell>> = rows.iter().map(|r| line(r)).collect();
    let total = if data.children.is_empty() {
        None
    } else if format == Format::Csv {
        lines.push(line(&data.own));
        None
    } else {
        let mut own = line(&data.own);
        own[0] = Cell::Text(super::export::TOTAL_LABEL.into());
        Some(own)
    };
    Table {
        sheet: "Progres",
        total,
        headers: vec![
            "kode_wilayah",
            "nama",
            "tanggal",
            "penduduk",
            "peserta_terdaftar",
            "peserta_aktif",
            "cakupan",
            "keaktifan",
            "cakupan_aktif",
            "target_keaktifan",
            "kurang_aktif",
            "kurang_terdaftar",
            "status",
            "desa_per_tanggal",
            "desa_data_sebelumnya",
            "desa_tanpa_data",
            "desa_total",
            "tanggal_data",
            "data_tertua",
            "data_lama",
        ],
        rows: lines,
    }
}

fn activity_table(data: &UnitData) -> Table {
    let mut table = Table {
        sheet: "Petugas",
        total: None,
        headers: vec![
            "petugas",
            "kunjungan",
            "rumah_tangga",
            "dilaporkan",
            "dikonfirmasi",
            "ditolak",
            "kunjungan_terakhir",
        ],
        rows: data
            .activity
            .iter()
            .map(|a| {
                vec![
                    Cell::Text(a.name.clone()),
                    Cell::Int(a.visits),
                    Cell::Int(a.households),
                    Cell::Int(a.reported + a.confirmed + a.rejected),
                    Cell::Int(a.confirmed),
                    Cell::Int(a.rejected),
                    Cell::Date(a.last_visit_on),
                ]
            })
            .collect(),
    };
    table.sum_total();
    table
}

fn worklist_table(data: &UnitData) -> Table {
    let mut table = Table {
        sheet: "Daftar kunjungan",
        total: None,
        headers: vec![
            "rumah_tangga",
            "alamat",
            "rt",
            "rw",
            "kepala_keluarga",
            "belum_aktif",
            "prioritas",
            "alasan",
            "terakhir_dikunjungi",
            "petugas",
        ],
        rows: data
            .worklist
            .iter()
            .map(|(row, assignee)| {
                let h = &row.household;
                vec![
                    Cell::Int(i64::from(h.id)),
                    Cell::Text(h.address.clone()),
                    Cell::Text(h.rt.clone()),
                    Cell::Text(h.rw.clone()),
                    Cell::Text(row.head_name.clone().unwrap_or_default()),
                    Cell::Int(i64::from(h.open_members)),
                    Cell::Int(i64::from(h.priority_members)),
                    Cell::Text(row.why.clone().unwrap_or_default()),
                    Cell::Date(h.last_visited_on),
                    Cell::Text(assignee.clone().unwrap_or_default()),
                ]
            })
            .collect(),
    };
    table.sum_total();
    table
}
