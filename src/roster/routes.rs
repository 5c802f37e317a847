//! Roster imports on the web (supervisors for their area, admins for all): the upload is
//! streamed to a temporary file, imported by a background thread, and followed on a progress
//! page the user may leave and come back to. The file is deleted when the import ends.

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use futures_util::TryStreamExt;

use super::ImportState;
use super::import::{self, Importer};
use super::report;
use crate::audit;
use crate::auth::CurrentUser;
use crate::db::schema::roster_imports;
use crate::db::{Db, DbConnection};
use crate::error::AppError;
use crate::members::forms::parse_date;
use crate::web::forms::FieldErrors;
use crate::web::page::Page;
use crate::web::routes::{Access, Routes};
use crate::web::upload::{self, TempUpload};
use crate::web::{render, see_other, session, today, wib};

const IMPORTERS: Access = crate::web::policy::IMPORT_FILES;
/// Largest roster file accepted: a city of 2.6 million members is about 350 MB as CSV.
pub const MAX_ROSTER_BYTES: u64 = 1024 * 1024 * 1024;

pub fn register(routes: &mut Routes) {
    routes
        .get("/data/roster", IMPORTERS, list)
        .post("/data/roster", IMPORTERS, upload)
        .get("/data/roster/{id}", IMPORTERS, show)
        .get("/data/roster/{id}/galat", IMPORTERS, error_report);
    super::moves::register(routes);
}

#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = roster_imports)]
pub struct ImportRow {
    pub id: i32,
    pub extract_date: NaiveDate,
    pub file_name: String,
    pub state: ImportState,
    pub percent_done: i32,
    pub rows_read: i32,
    pub rows_invalid: i32,
    pub rows_held: i32,
    pub rows_warned: i32,
    /// Header cells the import did not recognise, as written, comma-separated.
    pub ignored_columns: String,
    pub members_created: i32,
    pub members_changed: i32,
    pub households_created: i32,
    pub claims_confirmed: i32,
    pub claims_flagged: i32,
    pub message: Option<String>,
    pub started_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ImportRow {
    pub fn running(&self) -> bool {
        self.state == ImportState::Running
    }
    pub fn started(&self) -> String {
        wib(&self.started_at)
    }
    pub fn updated(&self) -> String {
        wib(&self.updated_at)
    }
}

/// Imports the user may see: all for an admin, their own for a supervisor.
fn visible_imports(user: &CurrentUser) -> roster_imports::BoxedQuery<'static, crate::db::Backend> {
    let q = roster_imports::table.into_boxed();
    if user.sees_everything() {
        q
    } else {
        q.filter(roster_imports::imported_by.eq(user.id))
    }
}

fn find_visible(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i32,
) -> Result<ImportRow, AppError> {
    visible_imports(user)
        .filter(roster_imports::id.eq(id))
        .select(ImportRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "roster/list.html")]
struct ListPage {
    page: Page,
    imports: Vec<ImportRow>,
    date: String,
    errors: FieldErrors,
    columns: String,
    max_mb: u64,
}

async fn list_page(
    req: &HttpRequest,
    user: CurrentUser,
    db: &Db,
    date: String,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let imports = db
        .run(move |conn| {
            Ok(visible_imports(&user)
                .select(ImportRow::as_select())
                .order(roster_imports::id.desc())
                .limit(30)
                .load(conn)?)
        })
        .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &ListPage {
            page: Page::from_request(req),
            imports,
            date,
            errors,
            columns: super::read::COLUMNS.join(","),
            max_mb: MAX_ROSTER_BYTES / 1024 / 1024,
        },
    )
}

async fn list(
    req: HttpRequest,
    user: CurrentUser,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    list_page(&req, user, &db, today().to_string(), FieldErrors::default()).await
}

struct Received {
    date: String,
    file: Option<(String, TempUpload)>,
}

/// Reads the form: the extract date, and the file streamed to disk within the size limit.
async fn receive(mut multipart: Multipart) -> Result<Received, String> {
    let mut received = Received {
        date: String::new(),
        file: None,
    };
    while let Some(mut field) = multipart.try_next().await.map_err(|e| e.to_string())? {
        match field.name() {
            Some("tanggal") => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.try_next().await.map_err(|e| e.to_string())? {
                    if bytes.len() + chunk.len() <= 64 {
                        bytes.extend_from_slice(&chunk);
                    }
                }
                received.date = String::from_utf8_lossy(&bytes).trim().to_string();
            }
            Some("berkas") => {
                let name = upload::file_name(&field);
                if let Some(saved) =
                    upload::save_field(&mut field, "roster", MAX_ROSTER_BYTES).await?
                {
                    received.file = Some((name, saved));
                }
            }
            _ => {}
        }
    }
    Ok(received)
}

async fn upload(
    req: HttpRequest,
    user: CurrentUser,
    mut multipart: Multipart,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    crate::web::csrf::verify_multipart(&req, &mut multipart).await?;
    let mut errors = FieldErrors::default();
    let received = match receive(multipart).await {
        Ok(received) => received,
        Err(problem) => {
            errors.add("berkas", problem);
            Received {
                date: String::new(),
                file: None,
            }
        }
    };
    let date = parse_date(&received.date);
    match date {
        None => errors.add("tanggal", "Isi tanggal ekstrak (HH-BB-TTTT)."),
        Some(d) if d > today() => {
            errors.add("tanggal", "Tanggal ekstrak tidak boleh di masa depan.")
        }
        Some(d) if d.year_ce().1 < 2014 => errors.add("tanggal", "JKN dimulai tahun 2014."),
        _ => {}
    }
    if received.file.is_none() && !errors.has("berkas") {
        errors.add("berkas", "Pilih berkas CSV atau XLSX.");
    }
    let (Some(date), Some((file_name, upload)), true) = (date, received.file, errors.is_empty())
    else {
        return list_page(&req, user, &db, received.date, errors).await;
    };
    let user_id = user.id;
    let name = file_name.clone();
    let import_id = db
        .run(move |conn| Ok(import::begin(conn, date, &name, Some(user_id))?))
        .await?;
    let mut conn = db.get()?;
    let spawned = std::thread::Builder::new()
        .name(format!("roster-import-{import_id}"))
        .spawn(move || {
            let importer = Importer { user: Some(&user) };
            let outcome = import::run(
                &mut conn,
                import_id,
                upload.path(),
                date,
                &importer,
                &mut |_| {},
            );
            if let Err(message) = outcome {
                tracing::warn!(import_id, %message, "roster import failed");
            }
            drop(upload);
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the import thread");
        return Err(AppError::Unavailable);
    }
    session::set_flash(
        &session,
        &format!("{file_name} diterima; impor berjalan. Halaman ini boleh ditinggalkan."),
    );
    Ok(see_other(&format!("/data/roster/{import_id}")))
}

#[derive(Template)]
#[template(path = "roster/show.html")]
struct ShowPage {
    page: Page,
    import: ImportRow,
    unknown: Vec<(String, String, i64)>,
    errors: Vec<report::ErrorRow>,
    warnings: Vec<report::ErrorRow>,
    held_lines: Vec<i32>,
}

async fn show(
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let id: i32 = path.parse().map_err(|_| AppError::NotFound)?;
    let (import, unknown, errors, warnings, held_lines) = db
        .run(move |conn| {
            let import = find_visible(conn, &user, id)?;
            let unknown = report::unknown_values(conn, id, 20)?;
            let errors = report::first_listed(conn, id, false, 50)?;
            let warnings = report::first_listed(conn, id, true, 50)?;
            let held_lines = super::moves::held_lines(conn, id, 200)?;
            Ok((import, unknown, errors, warnings, held_lines))
        })
        .await?;
    render(
        StatusCode::OK,
        &ShowPage {
            page: Page::from_request(&req),
            import,
            unknown,
            errors,
            warnings,
            held_lines,
        },
    )
}

async fn error_report(
    user: CurrentUser,
    path: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let id: i32 = path.parse().map_err(|_| AppError::NotFound)?;
    let body = db
        .run(move |conn| {
            find_visible(conn, &user, id)?;
            let mut out = Vec::new();
            report::write_error_report(conn, id, &mut out).map_err(AppError::internal)?;
            // The report holds personal data (NIKs in bad rows): who downloaded it is kept.
            audit::record(
                conn,
                Some(user.id),
                "roster.error_report",
                "roster_import",
                &id.to_string(),
                "",
            )?;
            Ok(out)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"roster-{id}-galat.csv\""),
        ))
        .body(body))
}
