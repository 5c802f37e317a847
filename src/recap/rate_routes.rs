//! The admin page of incentive rates (`/admin/insentif`): every dated rate per area and
//! outcome, and adding one (audited), like the contribution rules on `/admin/iuran`.

use actix_session::SessionExt;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::rates::{self, Rate, RateForm};
use super::rupiah;
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::error::AppError;
use crate::reactivations::ClaimKind;
use crate::submissions::{self, Submitted};
use crate::text_enum::{SelectOption, options};
use crate::web::forms::FieldErrors;
use crate::web::page::Page;
use crate::web::policy::ADMINISTER;
use crate::web::routes::Routes;
use crate::web::{render, see_other, session};

pub fn register(routes: &mut Routes) {
    routes
        .get("/admin/insentif", ADMINISTER, page)
        .post("/admin/insentif", ADMINISTER, add);
}

pub struct RateRow {
    pub area: String,
    pub kind: &'static str,
    pub from: String,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "recap/rates.html")]
struct RatesPage {
    page: Page,
    rows: Vec<RateRow>,
    form: RateForm,
    kinds: Vec<SelectOption>,
    errors: FieldErrors,
}

async fn show(
    req: &HttpRequest,
    db: &Db,
    status: StatusCode,
    form: RateForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let stored: Vec<Rate> = db.run(|conn| Ok(rates::all(conn)?)).await?;
    let rows = stored
        .into_iter()
        .map(|r| RateRow {
            area: r.region_code,
            kind: r.kind.label(),
            from: r.valid_from.format("%d-%m-%Y").to_string(),
            amount: rupiah(r.amount),
        })
        .collect();
    render(
        status,
        &RatesPage {
            page: Page::from_request(req),
            rows,
            kinds: options(
                ClaimKind::ALL,
                ClaimKind::as_str,
                ClaimKind::label,
                &form.jenis,
            ),
            form,
            errors,
        },
    )
}

async fn page(req: HttpRequest, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let form = RateForm {
        submission_key: submissions::new_key(),
        ..RateForm::default()
    };
    show(&req, &db, StatusCode::OK, form, FieldErrors::default()).await
}

async fn add(
    req: HttpRequest,
    admin: CurrentUser,
    form: web::Form<RateForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (actor, key, kept) = (admin.id, form.submission_key.clone(), form.clone());
    // Checked and stored in one transaction; a double tap records (and audits) once.
    let done = db
        .run(move |conn| {
            submissions::once(conn, &key, actor, |conn| match rates::check(conn, &kept)? {
                Ok(rate) => {
                    rates::set(conn, &rate, Some(actor))?;
                    Ok(Ok("/admin/insentif".to_string()))
                }
                Err(errors) => Ok(Err(errors)),
            })
        })
        .await?;
    match done {
        Submitted::First(_) => {
            session::set_flash(
                &req.get_session(),
                &format!("Tarif insentif {} disimpan.", form.wilayah.trim()),
            );
            Ok(see_other("/admin/insentif"))
        }
        Submitted::Repeat(_) => Ok(see_other("/admin/insentif")),
        Submitted::Rejected(errors) => {
            show(&req, &db, StatusCode::UNPROCESSABLE_ENTITY, form, errors).await
        }
    }
}
