//! Admin pages: list, create and edit users, set role and areas, disable, reset a password.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::Role;
use super::forms::{EditUserForm, NewUserForm, check_password};
use super::queries::{self, SaveError, User};
use crate::audit;
use crate::auth::{CurrentUser, password};
use crate::db::Db;
use crate::error::AppError;
use crate::regions::Region;
use crate::web::forms::FieldErrors;
use crate::web::page::Page;
use crate::web::routes::{Access, Routes};
use crate::web::{policy, render, see_other, session};

const ADMIN: Access = policy::ADMINISTER;
const PAGE_SIZE: i64 = 50;

pub fn register(routes: &mut Routes) {
    routes
        .get("/admin/pengguna", ADMIN, list)
        .get("/admin/pengguna/baru", ADMIN, new_form)
        .post("/admin/pengguna/baru", ADMIN, create)
        .get("/admin/pengguna/{id}", ADMIN, edit_form)
        .post("/admin/pengguna/{id}", ADMIN, update)
        .post("/admin/pengguna/{id}/nonaktifkan", ADMIN, disable)
        .post("/admin/pengguna/{id}/aktifkan", ADMIN, enable)
        .post("/admin/pengguna/{id}/kata-sandi", ADMIN, reset_password);
    super::locks::register(routes, ADMIN);
}

pub struct RoleOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

fn role_options(selected: &str) -> Vec<RoleOption> {
    Role::ALL
        .iter()
        .map(|r| RoleOption {
            value: r.as_str(),
            label: r.label(),
            selected: r.as_str() == selected,
        })
        .collect()
}

pub struct UserRow {
    pub user: User,
    pub areas: Vec<Region>,
}

#[derive(Template)]
#[template(path = "users/list.html")]
struct ListPage {
    page: Page,
    query: String,
    rows: Vec<UserRow>,
    total: i64,
    page_number: i64,
    page_count: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    q: String,
    halaman: Option<i64>,
}

async fn list(
    req: HttpRequest,
    query: web::Query<ListQuery>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let q: String = query.q.trim().chars().take(100).collect();
    let page_number = query.halaman.unwrap_or(1).clamp(1, 100_000);
    let (rows, total) = {
        let q = q.clone();
        db.run(move |conn| {
            let (users, total) = queries::list(conn, &q, (page_number - 1) * PAGE_SIZE, PAGE_SIZE)?;
            let ids: Vec<i32> = users.iter().map(|u| u.id).collect();
            let mut areas = queries::areas_for(conn, &ids)?;
            let rows = users
                .into_iter()
                .map(|user| UserRow {
                    areas: areas.remove(&user.id).unwrap_or_default(),
                    user,
                })
                .collect();
            Ok((rows, total))
        })
        .await?
    };
    render(
        StatusCode::OK,
        &ListPage {
            page: Page::from_request(&req),
            query: q,
            rows,
            total,
            page_number,
            page_count: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        },
    )
}

#[derive(Template)]
#[template(path = "users/new.html")]
struct NewPage {
    page: Page,
    form: NewUserForm,
    roles: Vec<RoleOption>,
    errors: FieldErrors,
}

async fn new_form(req: HttpRequest) -> Result<HttpResponse, AppError> {
    render(
        StatusCode::OK,
        &NewPage {
            page: Page::from_request(&req),
            roles: role_options(""),
            form: NewUserForm::default(),
            errors: FieldErrors::default(),
        },
    )
}

async fn create(
    req: HttpRequest,
    admin: CurrentUser,
    form: web::Form<NewUserForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let result = match form.validate() {
        Err(errors) => Err(errors),
        Ok((input, password_text)) => {
            let actor = admin.id;
            db.run(move |conn| {
                let hash = password::hash(&password_text)?;
                match queries::create(conn, &input, &hash, true, Some(actor)) {
                    Ok(id) => Ok(Ok((id, input.username))),
                    Err(SaveError::Invalid(errors)) => Ok(Err(errors)),
                    Err(SaveError::Db(e)) => Err(e.into()),
                }
            })
            .await?
        }
    };
    match result {
        Ok((id, username)) => {
            session::set_flash(
                &actix_session::SessionExt::get_session(&req),
                &format!(
                    "Pengguna {username} dibuat. Ia wajib mengganti kata sandi saat pertama masuk."
                ),
            );
            Ok(see_other(&format!("/admin/pengguna/{id}")))
        }
        Err(errors) => {
            let form = NewUserForm {
                password: String::new(),
                ..form
            };
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NewPage {
                    page: Page::from_request(&req),
                    roles: role_options(&form.role),
                    form,
                    errors,
                },
            )
        }
    }
}

#[derive(Template)]
#[template(path = "users/edit.html")]
struct EditPage {
    page: Page,
    user: User,
    form: EditUserForm,
    roles: Vec<RoleOption>,
    errors: FieldErrors,
    password_errors: FieldErrors,
    history: Vec<audit::Entry>,
    is_self: bool,
}

struct EditData {
    user: User,
    areas: Vec<Region>,
    history: Vec<audit::Entry>,
}

async fn load_edit_data(db: &Db, id: i32) -> Result<EditData, AppError> {
    db.run(move |conn| {
        let user = queries::find(conn, id)?.ok_or(AppError::NotFound)?;
        let areas = queries::areas(conn, id)?;
        let history = audit::for_entity(conn, "user", &id.to_string(), 20)?;
        Ok(EditData {
            user,
            areas,
            history,
        })
    })
    .await
}

fn edit_page(
    req: &HttpRequest,
    admin: &CurrentUser,
    data: EditData,
    form: Option<EditUserForm>,
    errors: FieldErrors,
    password_errors: FieldErrors,
) -> EditPage {
    let form = form.unwrap_or_else(|| EditUserForm {
        full_name: data.user.full_name.clone(),
        phone: data.user.phone.clone(),
        role: data.user.role.clone(),
        areas: data
            .areas
            .iter()
            .map(|a| a.code.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
    });
    EditPage {
        page: Page::from_request(req),
        roles: role_options(&form.role),
        is_self: admin.id == data.user.id,
        user: data.user,
        form,
        errors,
        password_errors,
        history: data.history,
    }
}

async fn edit_form(
    req: HttpRequest,
    admin: CurrentUser,
    id: web::Path<i32>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let data = load_edit_data(&db, *id).await?;
    render(
        StatusCode::OK,
        &edit_page(
            &req,
            &admin,
            data,
            None,
            FieldErrors::default(),
            FieldErrors::default(),
        ),
    )
}

async fn update(
    req: HttpRequest,
    admin: CurrentUser,
    id: web::Path<i32>,
    form: web::Form<EditUserForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let id = *id;
    let form = form.into_inner();
    let result = match form.validate() {
        Err(errors) => Err(errors),
        Ok((full_name, phone, role, areas)) => {
            let actor = admin.id;
            db.run(move |conn| {
                match queries::update(conn, id, &full_name, &phone, role, &areas, Some(actor)) {
                    Ok(()) => Ok(Ok(())),
                    Err(SaveError::Invalid(errors)) => Ok(Err(errors)),
                    Err(SaveError::Db(e)) => Err(e.into()),
                }
            })
            .await?
        }
    };
    match result {
        Ok(()) => {
            session::set_flash(
                &actix_session::SessionExt::get_session(&req),
                "Perubahan disimpan.",
            );
            Ok(see_other(&format!("/admin/pengguna/{id}")))
        }
        Err(errors) => {
            let data = load_edit_data(&db, id).await?;
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &edit_page(
                    &req,
                    &admin,
                    data,
                    Some(form),
                    errors,
                    FieldErrors::default(),
                ),
            )
        }
    }
}

async fn set_disabled(
    req: HttpRequest,
    admin: CurrentUser,
    id: i32,
    disabled: bool,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let actor = admin.id;
    let result = db
        .run(
            move |conn| match queries::set_disabled(conn, id, disabled, Some(actor)) {
                Ok(()) => Ok(Ok(())),
                Err(SaveError::Invalid(errors)) => Ok(Err(errors)),
                Err(SaveError::Db(e)) => Err(e.into()),
            },
        )
        .await?;
    match result {
        Ok(()) => {
            let message = if disabled {
                "Akun dinonaktifkan; semua sesinya diakhiri."
            } else {
                "Akun diaktifkan kembali."
            };
            session::set_flash(&actix_session::SessionExt::get_session(&req), message);
            Ok(see_other(&format!("/admin/pengguna/{id}")))
        }
        Err(errors) => {
            let data = load_edit_data(&db, id).await?;
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &edit_page(&req, &admin, data, None, errors, FieldErrors::default()),
            )
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConfirmForm {
    yakin: String,
}

/// Disabling ends every session of the user at once: the form asks for a ticked confirmation,
/// checked here too so that it holds without the browser's `required`.
async fn disable(
    req: HttpRequest,
    admin: CurrentUser,
    id: web::Path<i32>,
    form: web::Form<ConfirmForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    if form.yakin != "ya" {
        let data = load_edit_data(&db, *id).await?;
        let mut errors = FieldErrors::default();
        errors.add("yakin", "Centang konfirmasi untuk menonaktifkan akun ini.");
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &edit_page(&req, &admin, data, None, errors, FieldErrors::default()),
        );
    }
    set_disabled(req, admin, *id, true, db).await
}

async fn enable(
    req: HttpRequest,
    admin: CurrentUser,
    id: web::Path<i32>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    set_disabled(req, admin, *id, false, db).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResetPasswordForm {
    new_password: String,
}

async fn reset_password(
    req: HttpRequest,
    admin: CurrentUser,
    id: web::Path<i32>,
    form: web::Form<ResetPasswordForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let id = *id;
    let actor = admin.id;
    let new_password = form.into_inner().new_password;
    let result = db
        .run(move |conn| {
            let user = queries::find(conn, id)?.ok_or(AppError::NotFound)?;
            if let Err(e) = check_password(&user.username, &new_password) {
                let mut errors = FieldErrors::default();
                errors.add("new_password", e);
                return Ok(Err(errors));
            }
            let hash = password::hash(&new_password)?;
            // The user must choose their own password at next login, unless it is the admin's own.
            queries::set_password(conn, id, &hash, actor != id, Some(actor))?;
            Ok(Ok(()))
        })
        .await?;
    match result {
        Ok(()) => {
            session::set_flash(
                &actix_session::SessionExt::get_session(&req),
                "Kata sandi sementara disimpan dan semua sesi pengguna diakhiri. Ia wajib menggantinya saat masuk.",
            );
            Ok(see_other(&format!("/admin/pengguna/{id}")))
        }
        Err(password_errors) => {
            let data = load_edit_data(&db, id).await?;
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &edit_page(
                    &req,
                    &admin,
                    data,
                    None,
                    FieldErrors::default(),
                    password_errors,
                ),
            )
        }
    }
}
