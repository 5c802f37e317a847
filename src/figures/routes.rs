//! Uploading a figures file (supervisors for their area, admins for all). The file is saved to a
//! temporary file, read through `tabular` on a blocking thread and checked whole: refused with
//! every problem listed, or kept as a preview (`preview`) that says what applying it would do,
//! with one button that applies it.

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use futures_util::TryStreamExt;

use super::RowError;
use super::parse::{ParsedFile, REQUIRED, parse_rows};
use super::preview::{self, Applied, Preview};
use super::store;
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

/// Errors listed on a page, at most (the count is whole).
const SHOWN_ERRORS: usize = 100;
/// About how many bytes of errors a page lists, so it stays under 14 KB however long they are.
const SHOWN_ERROR_BYTES: usize = 8_000;

/// The first errors, as many as a page shows.
fn shown(errors: Vec<RowError>) -> Vec<RowError> {
    let mut bytes = 0;
    errors
        .into_iter()
        .take(SHOWN_ERRORS)
        .take_while(|e| {
            bytes += e.column.len() + e.value.len() + e.message.len() + 50;
            bytes <= SHOWN_ERROR_BYTES
        })
        .collect()
}

pub fn register(routes: &mut Routes) {
    routes
        .get("/data/impor", IMPORTERS, form)
        .post("/data/impor", IMPORTERS, upload)
        .get("/data/impor/pratinjau/{id}", IMPORTERS, show_preview)
        .post("/data/impor/pratinjau/{id}/terapkan", IMPORTERS, apply);
}

#[derive(Template)]
#[template(path = "figures/import.html")]
struct ImportPage {
    page: Page,
    header: String,
    loaded: Vec<(NaiveDate, i64)>,
    refusal: Refusal,
}

/// Why an upload was refused: the file's errors (the first `SHOWN_ERRORS` of them), or a
/// problem with the upload itself.
#[derive(Default)]
struct Refusal {
    file_name: String,
    rows_read: usize,
    rows_clean: usize,
    errors: Vec<RowError>,
    error_total: usize,
    problem: Option<String>,
}

impl Refusal {
    fn problem(message: &str) -> Self {
        Self {
            problem: Some(message.to_string()),
            ..Self::default()
        }
    }
}

async fn page(
    req: &HttpRequest,
    user: CurrentUser,
    db: &Db,
    refusal: Refusal,
) -> Result<HttpResponse, AppError> {
    let loaded = db
        .run(move |conn| Ok(store::dates_loaded(conn, &user)?))
        .await?;
    let status = if refusal.errors.is_empty() && refusal.problem.is_none() {
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
            refusal,
        },
    )
}

async fn form(
    req: HttpRequest,
    user: CurrentUser,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    page(&req, user, &db, Refusal::default()).await
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
) -> Result<HttpResponse, AppError> {
    crate::web::csrf::verify_multipart(&req, &mut multipart).await?;
    let (file_name, file) = match receive(multipart).await {
        Ok(Some(received)) => received,
        Ok(None) => {
            return page(
                &req,
                user,
                &db,
                Refusal::problem("Pilih berkas CSV atau XLSX."),
            )
            .await;
        }
        Err(problem) => return page(&req, user, &db, Refusal::problem(&problem)).await,
    };
    let parsed = read_figures(file).await;
    let actor = user.clone();
    let name = file_name.clone();
    // Read and checked whole, nothing written but the preview itself.
    let outcome = db
        .run(move |conn| match preview::check(conn, parsed, &actor)? {
            Ok((summary, rows)) => Ok(Ok(preview::save(conn, &actor, &name, &summary, &rows)?)),
            Err(refused) => Ok(Err(refused)),
        })
        .await?;
    match outcome {
        Ok(key) => Ok(see_other(&preview::path(&key))),
        Err(preview::Refused {
            errors,
            rows_read,
            rows_clean,
        }) => {
            let refusal = Refusal {
                file_name,
                rows_read,
                rows_clean,
                error_total: errors.len(),
                errors: shown(errors),
                problem: None,
            };
            page(&req, user, &db, refusal).await
        }
    }
}

#[derive(Template)]
#[template(path = "figures/preview.html")]
struct PreviewPage {
    page: Page,
    preview: Preview,
    apply_path: String,
    /// Errors found again at apply time (the file is no longer valid as it stands).
    errors: Vec<RowError>,
    error_total: usize,
}

impl PreviewPage {
    fn percent(change: &preview::Change) -> String {
        format!("{:+.1}%", change.percent).replace('.', ",")
    }
}

async fn preview_page(
    req: &HttpRequest,
    db: &Db,
    user: &CurrentUser,
    key: String,
    errors: Vec<RowError>,
) -> Result<HttpResponse, AppError> {
    let id = user.id;
    let found = db
        .run(move |conn| preview::find(conn, &key, id))
        .await?
        .ok_or(AppError::NotFound)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &PreviewPage {
            page: Page::from_request(req),
            apply_path: format!("{}/terapkan", preview::path(&found.key)),
            preview: found,
            error_total: errors.len(),
            errors: shown(errors),
        },
    )
}

async fn show_preview(
    req: HttpRequest,
    user: CurrentUser,
    key: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    preview_page(&req, &db, &user, key.into_inner(), Vec::new()).await
}

/// "Terapkan": imports the previewed rows once (a repeat answers as the first did).
async fn apply(
    req: HttpRequest,
    user: CurrentUser,
    key: web::Path<String>,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let key = key.into_inner();
    let actor = user.clone();
    let for_apply = key.clone();
    let outcome = db
        .run(move |conn| preview::apply(conn, &for_apply, &actor))
        .await?;
    match outcome {
        Applied::Done(answer) => {
            session::set_flash(&session, &answer);
            Ok(see_other("/data/impor"))
        }
        Applied::Refused(errors) => preview_page(&req, &db, &user, key, errors).await,
        Applied::Missing => Err(AppError::NotFound),
    }
}
