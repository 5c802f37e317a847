//! The correction page of a member: change name, sex, birth date or relationship, or mark the
//! member as entered by mistake, with a reason.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::Relationship;
use super::corrections::{self, Details};
use super::forms::{normalize_name, parse_date};
use super::identity::Sex;
use super::queries::Member;
use crate::auth::CurrentUser;
use crate::db::{Db, now};
use crate::error::AppError;
use crate::households::forms::clean_text;
use crate::submissions::{self, Submitted};
use crate::text_enum::{SelectOption, options};
use crate::visits::corrections::CORRECTION_DAYS;
use crate::web::forms::FieldErrors;
use crate::web::page::Page;
use crate::web::policy::CORRECT_VISITS;
use crate::web::routes::Routes;
use crate::web::{render, see_other, session, today};

pub fn register(routes: &mut Routes) {
    routes
        .get("/anggota/{id}/koreksi", CORRECT_VISITS, form)
        .post("/anggota/{id}/koreksi", CORRECT_VISITS, submit);
}

#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct CorrectionForm {
    pub name: String,
    pub sex: String,
    pub birth_date: String,
    pub relationship: String,
    pub reason: String,
    /// "koreksi" (change the details) or "salah_input" (entered by mistake).
    pub aksi: String,
    pub submission_key: String,
}

#[derive(Debug)]
pub enum Change {
    Correct(Details),
    Mistaken,
}

impl CorrectionForm {
    pub fn validate(&self, today: NaiveDate) -> Result<(Change, String), FieldErrors> {
        let mut errors = FieldErrors::default();
        let reason = match clean_text(&self.reason, 300) {
            Ok(r) if !r.is_empty() => Some(r),
            Ok(_) => {
                errors.add("reason", "Tulis alasan koreksi.");
                None
            }
            Err(e) => {
                errors.add("reason", e);
                None
            }
        };
        let change = match self.aksi.as_str() {
            "salah_input" => Some(Change::Mistaken),
            "koreksi" => {
                let name = normalize_name(&self.name)
                    .map_err(|e| errors.add("name", e))
                    .ok();
                let sex = Sex::parse(&self.sex);
                if sex.is_none() {
                    errors.add("sex", "Pilih jenis kelamin.");
                }
                let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(today);
                let birth_date =
                    parse_date(&self.birth_date).filter(|d| *d <= today && *d >= earliest);
                if birth_date.is_none() {
                    errors.add(
                        "birth_date",
                        "Isi tanggal lahir yang benar (hari-bulan-tahun).",
                    );
                }
                let relationship = Relationship::parse(&self.relationship);
                if relationship.is_none() {
                    errors.add("relationship", "Pilih hubungan dengan kepala keluarga.");
                }
                match (name, sex, birth_date, relationship) {
                    (Some(name), Some(sex), Some(birth_date), Some(relationship)) => {
                        Some(Change::Correct(Details {
                            name,
                            sex,
                            birth_date,
                            relationship,
                        }))
                    }
                    _ => None,
                }
            }
            _ => {
                errors.add("aksi", "Pilih: simpan koreksi atau tandai salah input.");
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
#[template(path = "members/correct.html")]
struct CorrectPage {
    page: Page,
    member: Member,
    form: CorrectionForm,
    errors: FieldErrors,
    days: i64,
    sexes: Vec<SelectOption>,
    relationships: Vec<SelectOption>,
}

async fn find(db: &Db, user: &CurrentUser, id: i32) -> Result<Member, AppError> {
    let user = user.clone();
    db.run(move |conn| {
        corrections::find_correctable(conn, &user, id, now())?.ok_or(AppError::NotFound)
    })
    .await
}

fn page(
    req: &HttpRequest,
    member: Member,
    form: CorrectionForm,
    errors: FieldErrors,
) -> CorrectPage {
    CorrectPage {
        page: Page::from_request(req),
        sexes: options(
            &[Sex::Male, Sex::Female],
            Sex::as_str,
            Sex::label,
            &form.sex,
        ),
        relationships: options(
            Relationship::ALL,
            Relationship::as_str,
            Relationship::label,
            &form.relationship,
        ),
        member,
        form,
        errors,
        days: CORRECTION_DAYS,
    }
}

async fn form(
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let member = find(&db, &user, *id).await?;
    let form = CorrectionForm {
        name: member.name.clone(),
        sex: member.sex.as_str().into(),
        birth_date: member.birth_date.format("%Y-%m-%d").to_string(),
        relationship: member.relationship.as_str().into(),
        submission_key: submissions::new_key(),
        ..CorrectionForm::default()
    };
    render(
        StatusCode::OK,
        &page(&req, member, form, FieldErrors::default()),
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
    // A repeat of a marking already made finds its first answer, not "not found".
    let repeat = {
        let user_id = user.id;
        let key = key.clone();
        db.run(move |conn| submissions::previous(conn, key.trim(), user_id))
            .await?
    };
    if let Some(path) = repeat {
        return Ok(see_other(&path));
    }
    let member = find(&db, &user, id).await?;
    let errors = match form.validate(today()) {
        Err(errors) => errors,
        Ok((change, reason)) => {
            let user = user.clone();
            let outcome = db
                .run(move |conn| {
                    submissions::once(conn, &key, user.id, |conn| {
                        // Checked again inside the submission: marked or out of time meanwhile.
                        let Some(member) = corrections::find_correctable(conn, &user, id, now())?
                        else {
                            let mut errors = FieldErrors::default();
                            errors.add("aksi", "Anggota ini tidak dapat dikoreksi lagi.");
                            return Ok(Err(errors));
                        };
                        match change {
                            Change::Mistaken => {
                                corrections::mark_mistaken(conn, &user, &member, &reason, now())?;
                                Ok(Ok(format!("/rumah-tangga/{}", member.household_id)))
                            }
                            Change::Correct(details) => {
                                corrections::correct(
                                    conn,
                                    &user,
                                    &member,
                                    &details,
                                    &reason,
                                    now(),
                                )?;
                                Ok(Ok(format!("/anggota/{id}")))
                            }
                        }
                    })
                })
                .await?;
            match outcome {
                Submitted::First(path) | Submitted::Repeat(path) => {
                    let message = if path.starts_with("/rumah-tangga/") {
                        "Anggota ditandai salah input."
                    } else {
                        "Data anggota dikoreksi."
                    };
                    session::set_flash(&session, message);
                    return Ok(see_other(&path));
                }
                Submitted::Rejected(errors) => errors,
            }
        }
    };
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page(&req, member, form, errors),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_always_needed_and_details_are_checked() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let mut form = CorrectionForm {
            aksi: "salah_input".into(),
            ..CorrectionForm::default()
        };
        assert!(form.validate(today).unwrap_err().has("reason"));
        form.reason = "anggota keluarga lain".into();
        assert!(matches!(form.validate(today), Ok((Change::Mistaken, _))));
        form.aksi = "koreksi".into();
        let errors = form.validate(today).unwrap_err();
        for field in ["name", "sex", "birth_date", "relationship"] {
            assert!(errors.has(field), "{field}");
        }
        form.name = "Siti Aminah".into();
        form.sex = "P".into();
        form.birth_date = "1980-02-03".into();
        form.relationship = "istri".into();
        assert!(matches!(form.validate(today), Ok((Change::Correct(_), _))));
    }
}
