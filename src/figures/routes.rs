//! Uploading a figures file (supervisors for their area, admins for all). The file is read in
//! memory, checked whole, and either imported whole or rejected with every problem listed.

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use futures_util::TryStreamExt;

use super::RowError;
use super::parse::{REQUIRED, parse_rows, read_table};
use super::store::{self, ImportError};
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::error::AppError;
use crate::users::Role;
use crate::web::page::Page;
use crate::web::routes::{Access, Routes};
use crate::web::{render, see_other, session};

const IMPORTERS: Access = Access::Roles(&[Role::Supervisor, Role::Admin]);
/// Largest upload accepted (a national file on one date is about 5 MB).
pub const MAX_UPLOAD_BYTES: usize = 25 * 1024 * 1024;

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

/// The uploaded file: its name and bytes, refusing anything over the size limit.
async fn read_upload(mut multipart: Multipart) -> Result<Option<(String, Vec<u8>)>, String> {
    while let Some(mut field) = multipart.try_next().await.map_err(|e| e.to_string())? {
        if field.name() != Some("berkas") {
            continue;
        }
        let name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .unwrap_or("berkas")
            .chars()
            .take(100)
            .collect::<String>();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(|e| e.to_string())? {
            if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                return Err(format!(
                    "Berkas lebih dari {} MB.",
                    MAX_UPLOAD_BYTES / 1024 / 1024
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(Some((name, bytes)));
    }
    Ok(None)
}

async fn upload(
    req: HttpRequest,
    user: CurrentUser,
    multipart: Multipart,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let (file_name, bytes) = match read_upload(multipart).await {
        Ok(Some((name, bytes))) if !bytes.is_empty() => (name, bytes),
        Ok(_) => {
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
    let rows = match read_table(&bytes)
        .map_err(|p| vec![RowError::new(1, "", p)])
        .and_then(|t| parse_rows(&t))
    {
        Ok(rows) => rows,
        Err(errors) => return page(&req, user, &db, file_name, errors, None).await,
    };
    let actor = user.clone();
    let name = file_name.clone();
    let outcome = db
        .run(
            move |conn| match store::import(conn, &rows, Some(&actor), &name) {
                Ok(summary) => Ok(Ok(summary)),
                Err(ImportError::Rows(errors)) => Ok(Err(errors)),
                Err(ImportError::App(e)) => Err(e),
            },
        )
        .await?;
    match outcome {
        Ok(summary) => {
            let dates: Vec<String> = summary
                .dates
                .iter()
                .map(|d| d.format("%d-%m-%Y").to_string())
                .collect();
            session::set_flash(
                &session,
                &format!(
                    "{} baris dari {file_name} diimpor untuk tanggal {}{}.",
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
