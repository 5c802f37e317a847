//! The admin page of the dated rules (`/admin/iuran`): what is in force today, with its basis,
//! and adding a value from a date (a new Perpres), audited.

use actix_session::SessionExt;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{InForce, Rule, queries};
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::error::AppError;
use crate::submissions::{self, Submitted};
use crate::text_enum::{SelectOption, options};
use crate::web::forms::FieldErrors;
use crate::web::page::Page;
use crate::web::policy::ADMINISTER;
use crate::web::routes::Routes;
use crate::web::{render, see_other, session, today};

pub fn register(routes: &mut Routes) {
    routes
        .get("/admin/iuran", ADMINISTER, page)
        .post("/admin/iuran", ADMINISTER, add);
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct RuleForm {
    pub aturan: String,
    pub mulai: String,
    pub nilai: String,
    pub dasar: String,
    pub submission_key: String,
}

/// A checked form: the rule, from when, the value, the legal basis.
pub fn check(form: &RuleForm) -> Result<(Rule, NaiveDate, i64, String), FieldErrors> {
    let mut errors = FieldErrors::default();
    let rule = Rule::parse(&form.aturan);
    if rule.is_none() {
        errors.add("aturan", "Pilih aturan.");
    }
    let from = NaiveDate::parse_from_str(form.mulai.trim(), "%Y-%m-%d").ok();
    if from.is_none() {
        errors.add("mulai", "Tanggal berlaku wajib diisi (HH-BB-TTTT).");
    }
    let digits: String = form.nilai.trim().replace('.', "");
    let value = digits
        .parse::<i64>()
        .ok()
        .filter(|v| (0..=1_000_000_000).contains(v));
    if value.is_none() {
        errors.add(
            "nilai",
            "Nilai harus bilangan bulat 0 sampai 1.000.000.000 (rupiah tanpa sen, bulan, hari, atau basis poin).",
        );
    }
    let basis = form.dasar.trim();
    if basis.is_empty() {
        errors.add(
            "dasar",
            "Dasar hukum wajib diisi, misalnya \"Perpres 59/2024\".",
        );
    } else if basis.chars().count() > 200 {
        errors.add("dasar", "Dasar hukum paling banyak 200 karakter.");
    }
    match (rule, from, value) {
        (Some(rule), Some(from), Some(value)) if errors.is_empty() => {
            Ok((rule, from, value, basis.to_string()))
        }
        _ => Err(errors),
    }
}

pub struct RuleRow {
    pub label: &'static str,
    pub code: &'static str,
    pub current: Option<InForce>,
    /// Later rows already set for a future date.
    pub upcoming: Vec<InForce>,
}

#[derive(Template)]
#[template(path = "contributions/admin.html")]
struct AdminPage {
    page: Page,
    rows: Vec<RuleRow>,
    form: RuleForm,
    rules: Vec<SelectOption>,
    errors: FieldErrors,
}

async fn show(
    req: &HttpRequest,
    db: &Db,
    status: StatusCode,
    form: RuleForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let day = today();
    let stored = db.run(|conn| Ok(queries::all_rows(conn)?)).await?;
    let rules = super::Rules::in_force(stored.clone(), day);
    let rows = rules
        .all()
        .into_iter()
        .map(|(rule, current)| RuleRow {
            label: rule.label(),
            code: rule.as_str(),
            current: current.cloned(),
            upcoming: stored
                .iter()
                .filter(|(r, row)| *r == rule && row.valid_from > day)
                .map(|(_, row)| row.clone())
                .collect(),
        })
        .collect();
    render(
        status,
        &AdminPage {
            page: Page::from_request(req),
            rows,
            rules: options(Rule::ALL, Rule::as_str, Rule::label, &form.aturan),
            form,
            errors,
        },
    )
}

async fn page(req: HttpRequest, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let form = RuleForm {
        submission_key: crate::submissions::new_key(),
        ..RuleForm::default()
    };
    show(&req, &db, StatusCode::OK, form, FieldErrors::default()).await
}

async fn add(
    req: HttpRequest,
    admin: CurrentUser,
    form: web::Form<RuleForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (rule, from, value, basis) = match check(&form) {
        Ok(checked) => checked,
        Err(errors) => {
            return show(&req, &db, StatusCode::UNPROCESSABLE_ENTITY, form, errors).await;
        }
    };
    let (actor, key) = (admin.id, form.submission_key.clone());
    // A double tap records (and audits) once.
    let first = db
        .run(move |conn| {
            let done = submissions::once(conn, &key, actor, |conn| {
                queries::set(conn, rule, from, value, &basis, Some(actor))?;
                Ok(Ok::<_, ()>("/admin/iuran".to_string()))
            })?;
            Ok(matches!(done, Submitted::First(_)))
        })
        .await?;
    if !first {
        return Ok(see_other("/admin/iuran"));
    }
    session::set_flash(
        &req.get_session(),
        &format!(
            "{} = {value} berlaku mulai {}.",
            rule.label(),
            from.format("%d-%m-%Y")
        ),
    );
    Ok(see_other("/admin/iuran"))
}
