//! `/rekap`: an agent's own month on their phone, a supervisor's area recap with the closing
//! form ("tutup periode"), and its XLSX download for the finance office.

use actix_session::SessionExt;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::close::{self, Line, Recap};
use super::figures::Figures;
use super::queries::{self, Scope};
use super::{Month, rupiah};
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::error::AppError;
use crate::progress::export::{Cell, Format, Table, download};
use crate::regions::Region;
use crate::submissions::{self, Submitted};
use crate::web::page::Page;
use crate::web::policy::{CLOSE_PERIOD, READ_RECAP};
use crate::web::routes::Routes;
use crate::web::{render, see_other, session, today, wib};

pub fn register(routes: &mut Routes) {
    routes
        .get("/rekap", READ_RECAP, page)
        .post("/rekap/tutup", CLOSE_PERIOD, close_month)
        .get("/rekap/unduh", CLOSE_PERIOD, export);
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RecapQuery {
    pub bulan: String,
    pub wilayah: String,
}

impl RecapQuery {
    fn month(&self) -> Month {
        Month::parse(&self.bulan).unwrap_or_else(|| Month::of(today()))
    }
}

/// What the templates show of one line.
pub struct Row {
    pub name: String,
    pub source: String,
    pub f: Figures,
    pub amount: String,
}

fn rows(lines: &[Line]) -> Vec<Row> {
    lines
        .iter()
        .map(|l| Row {
            name: l.name.clone(),
            source: l.source.label(),
            f: l.figures.clone(),
            amount: rupiah(l.figures.amount),
        })
        .collect()
}

/// An admin (no areas of their own) names the area first.
#[derive(Template)]
#[template(path = "recap/choose.html")]
struct ChoosePage {
    page: Page,
    month: String,
    wilayah: String,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "recap/area.html")]
struct AreaPage {
    page: Page,
    area: Region,
    areas: Vec<Region>,
    month: String,
    label: String,
    prev: String,
    next: Option<String>,
    closed: Option<String>,
    lines: Vec<Row>,
    adjustments: Vec<Row>,
    total: String,
    closable: Result<(), String>,
    submission_key: String,
}

#[derive(Template)]
#[template(path = "recap/own.html")]
struct OwnPage {
    page: Page,
    label: String,
    prev: String,
    next: Option<String>,
    f: Figures,
    amount: String,
    stored: Vec<Row>,
}

/// The area asked for, if it is one of the user's own (or any, for an admin); `None` without
/// one to choose.
async fn chosen_area(
    db: &Db,
    user: &CurrentUser,
    wilayah: &str,
) -> Result<Option<Region>, AppError> {
    let code = if wilayah.trim().is_empty() {
        match user.areas.first() {
            Some(a) => a.code.clone(),
            None => return Ok(None),
        }
    } else {
        wilayah.trim().to_string()
    };
    // Another supervisor's area is not there for this one.
    if !user.covers(&code) {
        return Err(AppError::NotFound);
    }
    let region = db
        .run(move |conn| Ok(crate::regions::queries::get(conn, &code)?))
        .await?;
    region.map(Some).ok_or(AppError::NotFound)
}

fn nav(month: Month) -> (String, Option<String>) {
    let next = month.next();
    (
        month.prev().param(),
        (next.first() <= today()).then(|| next.param()),
    )
}

async fn page(
    req: HttpRequest,
    user: CurrentUser,
    q: web::Query<RecapQuery>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let month = q.month();
    let (prev, next) = nav(month);
    let day = today();
    if user.records_fieldwork() {
        let scope = Scope::for_user(&user, None);
        let id = user.id;
        let (f, stored) = db
            .run(move |conn| {
                let mut live = queries::live(conn, &scope, month, month.next(), day)?;
                let f = live.remove(&(id, month)).unwrap_or_default();
                Ok((f, close::own_stored(conn, id, month)?))
            })
            .await?;
        return render(
            actix_web::http::StatusCode::OK,
            &OwnPage {
                page: Page::from_request(&req),
                label: month.label(),
                prev,
                next,
                amount: rupiah(f.amount),
                f,
                stored: rows(&stored),
            },
        );
    }
    let choose = |status, error| {
        render(
            status,
            &ChoosePage {
                page: Page::from_request(&req),
                month: month.param(),
                wilayah: q.wilayah.clone(),
                error,
            },
        )
    };
    let area = match chosen_area(&db, &user, &q.wilayah).await {
        Ok(Some(area)) => area,
        Ok(None) => return choose(actix_web::http::StatusCode::OK, None),
        // Only an admin has no areas of their own: a code they typed that names no region.
        Err(AppError::NotFound) if user.areas.is_empty() => {
            return choose(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                Some("Kode wilayah tidak dikenal; tulis kode kab/kota atau kecamatan, mis. 32.73."),
            );
        }
        Err(e) => return Err(e),
    };
    let scope = Scope::for_user(&user, Some(&area.code));
    let code = area.code.clone();
    let recap: Recap = db
        .run(move |conn| Ok(close::area_recap(conn, &scope, &code, month, day)?))
        .await?;
    render(
        actix_web::http::StatusCode::OK,
        &AreaPage {
            page: Page::from_request(&req),
            areas: user.areas.clone(),
            area,
            month: month.param(),
            label: month.label(),
            prev,
            next,
            closed: recap
                .closed
                .as_ref()
                .map(|p| format!("{} pada {}", p.closed_by, wib(&p.closed_at))),
            lines: rows(&recap.lines),
            adjustments: rows(&recap.adjustments),
            total: rupiah(recap.total()),
            closable: recap.closable.clone(),
            submission_key: submissions::new_key(),
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CloseForm {
    pub wilayah: String,
    pub bulan: String,
    pub submission_key: String,
}

async fn close_month(
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<CloseForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let month = Month::parse(&form.bulan).ok_or_else(|| AppError::BadRequest("bulan".into()))?;
    let Some(area) = chosen_area(&db, &user, &form.wilayah).await? else {
        return Err(AppError::NotFound);
    };
    // A region code from the table: digits and dots only, nothing to encode.
    let back = format!("/rekap?wilayah={}&bulan={}", area.code, month.param());
    let (actor, key, code, day, to) = (
        user.id,
        form.submission_key,
        area.code,
        today(),
        back.clone(),
    );
    let done = db
        .run(move |conn| {
            submissions::once(conn, &key, actor, |conn| {
                Ok(close::close(conn, &user, &code, month, day)?.map(|_| to))
            })
        })
        .await?;
    let message = match done {
        Submitted::First(_) => format!("Periode {} ditutup dan disimpan.", month.label()),
        Submitted::Repeat(_) => return Ok(see_other(&back)),
        Submitted::Rejected(why) => why,
    };
    session::set_flash(&req.get_session(), &message);
    Ok(see_other(&back))
}

const HEADERS: [&str; 17] = [
    "petugas",
    "bulan",
    "jenis_baris",
    "kunjungan",
    "rumah_tangga",
    "reaktivasi_dilaporkan",
    "reaktivasi_dikonfirmasi",
    "reaktivasi_ditolak",
    "pendaftaran_dilaporkan",
    "pendaftaran_dikonfirmasi",
    "pendaftaran_ditolak",
    "tingkat_konfirmasi",
    "median_hari_konfirmasi",
    "kunjungan_ulang_jatuh_tempo",
    "kunjungan_ulang_ditepati",
    "insentif_rupiah",
    "status_periode",
];

fn table_of(recap: &Recap) -> Table {
    let status = if recap.closed.is_some() {
        "ditutup"
    } else {
        "terbuka"
    };
    let mut rows = Vec::new();
    for (kind, lines) in [("bulan", &recap.lines), ("penyesuaian", &recap.adjustments)] {
        for l in lines {
            let f = &l.figures;
            rows.push(vec![
                Cell::Text(l.name.clone()),
                Cell::Text(l.source.param()),
                Cell::Text(kind.into()),
                Cell::Int(f.visits),
                Cell::Int(f.households),
                Cell::Int(f.reactivations.reported),
                Cell::Int(f.reactivations.confirmed),
                Cell::Int(f.reactivations.rejected),
                Cell::Int(f.registrations.reported),
                Cell::Int(f.registrations.confirmed),
                Cell::Int(f.registrations.rejected),
                Cell::Ratio(f.confirmation_rate()),
                match f.median_days {
                    Some(d) => Cell::Int(i64::from(d)),
                    None => Cell::Text(String::new()),
                },
                Cell::Int(f.revisits_due),
                Cell::Int(f.revisits_kept),
                Cell::Int(f.amount),
                Cell::Text(status.into()),
            ]);
        }
    }
    let mut table = Table {
        sheet: "Rekap",
        total: None,
        headers: HEADERS.to_vec(),
        rows,
    };
    // The finance office's total: visits, claims and rupiah add up; a median does not.
    table.sum_total();
    if let Some(total) = table.total.as_mut() {
        total[12] = Cell::Text(String::new());
    }
    table
}

async fn export(
    user: CurrentUser,
    q: web::Query<RecapQuery>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let month = q.month();
    let Some(area) = chosen_area(&db, &user, &q.wilayah).await? else {
        return Err(AppError::NotFound);
    };
    let scope = Scope::for_user(&user, Some(&area.code));
    let (code, day) = (area.code.clone(), today());
    let recap = db
        .run(move |conn| Ok(close::area_recap(conn, &scope, &code, month, day)?))
        .await?;
    download(
        &table_of(&recap),
        Format::Xlsx,
        &format!("rekap-{}-{}", area.code, month.param()),
    )
}
