//! Uploading a figures file (supervisors for their area, admins for all). The file is saved to a
//! temporary file, read through `tabular` on a blocking thread, checked whole, and either imported whole or rejected with every problem listed.

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use futures_util::TryStreamExt;

use super::RowError;
use super::parse::{ParsedFile, REQUIRED, parse_rows};
use super::store::{self, ImportError};
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::error::AppError;
use crate::tabular::{Limits, Table};
use crate::web::page::Page;
use crate::web::routes::{Access, Routes};
use crate::web::upload::{self, TempUpload};
use crate::web::{render, see_other, session, today};

const IMPORTERS: Access = crate::web::policy::IMPORT_FILES;
/// Largest upload accepted (a national file on one date is about 5 MB).
pub const MAX_UPLOAD_BYTES: u64 = 25 * 1024 * 1024;

pub fn register(routes: &mut Routes) {
    routes
        .get("/data/impor", IMPORTERS, form)
        .post("/data/impor", IMPORTERS, upload);
}

#[derive(Template)]
#[template(path = "figures/import.html")]
struct ImportPage {
    page: Page,
    header: String,
    loaded: Vec<(NaiveDate, i64)>,
    file_name: String,
    errors: Vec<RowError>,
    problem: Option<String>,
}

async fn page(
    req: &HttpRequest,
    user: CurrentUser,
    db: &Db,
    file_name: String,
    errors: Vec<RowError>,
    problem: Option<String>,
) -> Result<HttpResponse, AppError> {
    let loaded = db
        .run(move |conn| Ok(store::dates_loaded(conn, &user)?))
        .await?;
    let status = if errors.is_empty() && problem.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &ImportPage {
            page: Page::from_request(req),
            header: REQUIRED.join(","),
            loaded,
            file_name,
            errors,
            problem,
        },
    )
}

async fn form(
    req: HttpRequest,
    user: CurrentUser,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    page(&req, user, &db, String::new(), Vec::new(), None).await
}

/// The uploaded file, streamed to a temporary file within the size limit.
async fn receive(mut multipart: Multipart) -> Result<Option<(String, TempUpload)>, String> {
    while let Some(mut field) = multipart.try_next().await.map_err(|e| e.to_string())? {
        if field.name() != Some("berkas") {
            continue;
        }
        let name = upload::file_name(&field);
        let saved = upload::save_field(&mut field, "angka", MAX_UPLOAD_BYTES).await?;
        return Ok(saved.map(|file| (name, file)));
    }
    Ok(None)
}

/// Figures files are read one at a time, off the request workers: a large file takes a
/// blocking thread and its memory, never a worker answering other requests.
static READING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

async fn read_figures(file: TempUpload) -> ParsedFile {
    let refused = |message: String| ParsedFile {
        errors: vec![RowError::new(0, "", message)],
        ..ParsedFile::default()
    };
    let busy = || refused("Server sedang sibuk; coba lagi sebentar lagi.".into());
    let Ok(_permit) = READING.acquire().await else {
        return busy();
    };
    web::block(move || match Table::open(file.path(), Limits::FIGURES) {
        Ok(table) => {
            let decimal_comma = table.decimal_comma();
            parse_rows(table, decimal_comma, today())
        }
        Err(message) => refused(message),
    })
    .await
    .unwrap_or_else(|_| busy())
}

async fn upload(
    req: HttpRequest,
    user: CurrentUser,
    mut multipart: Multipart,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    crate::web::csrf::verify_multipart(&req, &mut multipart).await?;
    let (file_name, file) = match receive(multipart).await {
        Ok(Some(received)) => received,
        Ok(None) => {
            return page(
                &req,
                user,
                &db,
                String::new(),
                Vec::new(),
                Some("Pilih berkas CSV atau XLSX.".into()),
            )
            .await;
        }
        Err(problem) => {
            return page(&req, user, &db, String::new(), Vec::new(), Some(problem)).await;
        }
    };
    let mut parsed = read_figures(file).await;
    let actor = user.clone();
    let name = file_name.clone();
    let outcome = db
        .run(move |conn| {
            // Every problem at once: the file's own, then the region checks on its valid rows.
            let mut errors = std::mem::take(&mut parsed.errors);
            errors.extend(store::region_errors(conn, &parsed.rows, Some(&actor))?);
            if !errors.is_empty() {
                errors.sort_by_key(|e| e.line);
                return Ok(Err(errors));
            }
            parsed
                .warnings
                .extend(store::change_warnings(conn, &parsed.rows)?);
            let notes = parsed.notes();
            match store::import(conn, &parsed.rows, Some(&actor), &name) {
                Ok(summary) => Ok(Ok((summary, notes))),
                Err(ImportError::Rows(errors)) => Ok(Err(errors)),
                Err(ImportError::App(e)) => Err(e),
            }
        })
        .await?;
    match outcome {
        Ok((summary, notes)) => {
            let dates: Vec<String> = summary
                .dates
                .iter()
                .map(|d| d.format("%d-%m-%Y").to_string())
                .collect();
            session::set_flash(
                &session,
                &format!(
                    "{} baris dari {file_name} diimpor untuk tanggal {}{}.{notes}",
                    summary.rows,
                    dates.join(", "),
                    if summary.replaced > 0 {
                        format!(" (menggantikan {} baris lama)", summary.replaced)
                    } else {
                        String::new()
                    }
                ),
            );
            Ok(see_other("/data/impor"))
        }
        Err(errors) => page(&req, user, &db, file_name, errors, None).await,
    }
}
