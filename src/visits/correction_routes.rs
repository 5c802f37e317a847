//! The correction page of a visit: change its date and note, or void it, with a reason.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::corrections::{self, CORRECTION_DAYS, Correctable};
use super::forms::MAX_BACKDATE_DAYS;
use crate::auth::CurrentUser;
use crate::db::{Db, now};
use crate::error::AppError;
use crate::households::forms::clean_text;
use crate::members::forms::parse_date;
use crate::submissions::{self, Submitted};
use crate::web::forms::FieldErrors;
use crate::web::page::Page;
use crate::web::policy::CORRECT_VISITS;
use crate::web::routes::Routes;
use crate::web::{render, see_other, session, today};

pub fn register(routes: &mut Routes) {
    routes
        .get("/kunjungan/{id}/koreksi", CORRECT_VISITS, form)
        .post("/kunjungan/{id}/koreksi", CORRECT_VISITS, submit);
}

#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct CorrectionForm {
    pub visited_on: String,
    pub note: String,
    pub reason: String,
    /// "koreksi" (change date and note) or "batal" (void).
    pub aksi: String,
    pub submission_key: String,
}

#[derive(Debug)]
pub enum Change {
    Correct { visited_on: NaiveDate, note: String },
    Void,
}

impl CorrectionForm {
    pub fn validate(&self, today: NaiveDate) -> Result<(Change, String), FieldErrors> {
        let mut errors = FieldErrors::default();
        let reason = match clean_text(&self.reason, 300) {
            Ok(r) if !r.is_empty() => Some(r),
            Ok(_) => {
                errors.add("reason", "Tulis alasan koreksi atau pembatalan.");
                None
            }
            Err(e) => {
                errors.add("reason", e);
                None
            }
        };
        let change = match self.aksi.as_str() {
            "batal" => Some(Change::Void),
            "koreksi" => {
                let visited_on = match parse_date(&self.visited_on) {
                    Some(d) if d > today => {
                        errors.add("visited_on", "Tanggal kunjungan tidak boleh di masa depan.");
                        None
                    }
                    Some(d) if (today - d).num_days() > MAX_BACKDATE_DAYS => {
                        errors.add("visited_on", "Paling lama 30 hari lalu.");
                        None
                    }
                    Some(d) => Some(d),
                    None => {
                        errors.add("visited_on", "Isi tanggal kunjungan.");
                        None
                    }
                };
                let note = clean_text(&self.note, 1000)
                    .map_err(|e| errors.add("note", e))
                    .ok();
                visited_on
                    .zip(note)
                    .map(|(visited_on, note)| Change::Correct { visited_on, note })
            }
            _ => {
                errors.add("aksi", "Pilih: simpan koreksi atau batalkan kunjungan.");
                None
            }
        };
        match (change, reason) {
            (Some(change), Some(reason)) if errors.is_empty() => Ok((change, reason)),
            _ => Err(errors),
        }
    }
}

#[derive(Template)]
#[template(path = "visits/correct.html")]
struct CorrectPage {
    page: Page,
    visit: Correctable,
    form: CorrectionForm,
    errors: FieldErrors,
    days: i64,
    max_date: String,
}

async fn find(db: &Db, user: &CurrentUser, id: i32) -> Result<Correctable, AppError> {
    let user = user.clone();
    db.run(move |conn| {
        corrections::find_correctable(conn, &user, id, now())?.ok_or(AppError::NotFound)
    })
    .await
}

fn page(
    req: &HttpRequest,
    visit: Correctable,
    form: CorrectionForm,
    errors: FieldErrors,
) -> CorrectPage {
    CorrectPage {
        page: Page::from_request(req),
        visit,
        form,
        errors,
        days: CORRECTION_DAYS,
        max_date: today().format("%Y-%m-%d").to_string(),
    }
}

async fn form(
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let visit = find(&db, &user, *id).await?;
    let form = CorrectionForm {
        visited_on: visit.visited_on.format("%Y-%m-%d").to_string(),
        note: visit.note.clone(),
        submission_key: submissions::new_key(),
        ..CorrectionForm::default()
    };
    render(
        StatusCode::OK,
        &page(&req, visit, form, FieldErrors::default()),
    )
}

async fn submit(
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    form: web::Form<CorrectionForm>,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let id = *id;
    let key = form.submission_key.clone();
    // A repeat of a correction already made finds its first answer, not "not found".
    let repeat = {
        let user_id = user.id;
        let key = key.clone();
        db.run(move |conn| submissions::previous(conn, key.trim(), user_id))
            .await?
    };
    if let Some(path) = repeat {
        return Ok(see_other(path.split('?').next().unwrap_or(&path)));
    }
    let visit = find(&db, &user, id).await?;
    let errors = match form.validate(today()) {
        Err(errors) => errors,
        Ok((change, reason)) => {
            let user = user.clone();
            let outcome = db
                .run(move |conn| {
                    submissions::once(conn, &key, user.id, |conn| {
                        // Checked again inside the submission: voided or out of time meanwhile.
                        let Some(visit) = corrections::find_correctable(conn, &user, id, now())?
                        else {
                            let mut errors = FieldErrors::default();
                            errors.add("aksi", "Kunjungan ini tidak dapat dikoreksi lagi.");
                            return Ok(Err(errors));
                        };
                        let flash = match change {
                            Change::Void => {
                                corrections::void(conn, &user, &visit, &reason, now())?;
                                "dibatalkan"
                            }
                            Change::Correct { visited_on, note } => {
                                corrections::correct(
                                    conn, &user, &visit, visited_on, &note, &reason,
                                )?;
                                "dikoreksi"
                            }
                        };
                        Ok(Ok(format!("/kunjungan/{id}?{flash}")))
                    })
                })
                .await?;
            match outcome {
                Submitted::First(path) | Submitted::Repeat(path) => {
                    let message = if path.ends_with("dibatalkan") {
                        "Kunjungan dibatalkan."
                    } else {
                        "Kunjungan dikoreksi."
                    };
                    session::set_flash(&session, message);
                    let path = path.split('?').next().unwrap_or(&path).to_string();
                    return Ok(see_other(&path));
                }
                Submitted::Rejected(errors) => errors,
            }
        }
    };
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page(&req, visit, form, errors),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn a_reason_is_always_needed_and_dates_keep_the_visit_rules() {
        let mut form = CorrectionForm {
            aksi: "batal".into(),
            ..CorrectionForm::default()
        };
        assert!(form.validate(day(22)).unwrap_err().has("reason"));
        form.reason = "salah rumah".into();
        assert!(matches!(form.validate(day(22)), Ok((Change::Void, _))));
        form.aksi = "koreksi".into();
        form.visited_on = "2026-11-23".into();
        assert!(form.validate(day(22)).unwrap_err().has("visited_on"));
        form.visited_on = "2026-11-20".into();
        assert!(form.validate(day(22)).is_ok());
        form.aksi = "lain".into();
        assert!(form.validate(day(22)).unwrap_err().has("aksi"));
    }
}
