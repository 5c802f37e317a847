//! Login, logout and changing one's own password.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::login::{LoginOutcome, attempt};
use super::throttle::{self, Key, Verdict};
use super::{CurrentUser, password, sessions};
use crate::db::{Db, now, write_transaction};
use crate::error::AppError;
use crate::users::forms::{PasswordForm, check_password};
use crate::users::queries as user_queries;
use crate::web::forms::{FieldErrors, safe_next};
use crate::web::page::Page;
use crate::web::routes::{Access, Routes};
use crate::web::{Settings, render, see_other, session};

pub fn register(routes: &mut Routes) {
    routes
        .get("/login", Access::Guest, login_form)
        .post("/login", Access::Guest, login_submit)
        .post("/logout", Access::SignedIn, logout)
        .get("/akun/password", Access::SignedIn, password_form)
        .post("/akun/password", Access::SignedIn, password_submit);
}

const LOGIN_REFUSED: &str = "Gagal masuk. Periksa nama pengguna dan kata sandi. Setelah 5 kali gagal, akun ini dikunci 15 menit di jaringan ini.";

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    page: Page,
    username: String,
    next: String,
    error: Option<String>,
    notice: Option<&'static str>,
    /// A form that was posted after the session expired: where it went and what it carried.
    replay_path: String,
    replay_body: String,
}

#[derive(Template)]
#[template(path = "auth/replay.html")]
struct ReplayPage {
    page: Page,
    path: String,
    fields: Vec<(String, String)>,
}

/// Answer to a form posted after the session expired: the login form, carrying the submitted
/// fields, so that nothing typed is lost. After login they are offered back for sending.
pub fn replay_login(req: &HttpRequest, path: &str, body: &[u8]) -> HttpResponse {
    let page = LoginPage {
        page: Page::from_request(req),
        username: String::new(),
        next: String::new(),
        error: None,
        notice: Some(
            "Sesi Anda berakhir. Masuk lagi untuk menyimpan isian Anda; isian tidak hilang.",
        ),
        replay_path: safe_next(path).unwrap_or("").to_string(),
        replay_body: String::from_utf8_lossy(body).into_owned(),
    };
    render(StatusCode::UNAUTHORIZED, &page)
        .unwrap_or_else(|e| actix_web::ResponseError::error_response(&e))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginQuery {
    next: String,
    keluar: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    username: String,
    password: String,
    next: String,
    replay_path: String,
    replay_body: String,
}

async fn login_form(
    req: HttpRequest,
    user: Option<CurrentUser>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    if user.is_some() {
        return Ok(see_other(safe_next(&query.next).unwrap_or("/")));
    }
    let page = LoginPage {
        page: Page::from_request(&req),
        username: String::new(),
        next: safe_next(&query.next).unwrap_or("").to_string(),
        error: None,
        notice: query.keluar.as_ref().map(|_| "Anda telah keluar."),
        replay_path: String::new(),
        replay_body: String::new(),
    };
    render(StatusCode::OK, &page)
}

async fn login_submit(
    req: HttpRequest,
    form: web::Form<LoginForm>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let username = form.username.trim().to_lowercase();
    let address = super::address::client_address(&req, &settings);
    let outcome = {
        let username = username.clone();
        db.run(move |conn| {
            attempt(conn, &username, &form.password, &address).map_err(AppError::from)
        })
        .await?
    };
    let (status, error) = match outcome {
        LoginOutcome::Success {
            token,
            must_change_password,
        } => {
            session::begin_login(&session, &token);
            if let (Some(path), false) = (safe_next(&form.replay_path), form.replay_body.is_empty())
            {
                let fields = crate::web::forms::pairs(form.replay_body.as_bytes())
                    .into_iter()
                    .filter(|(name, _)| name != crate::web::csrf::FIELD)
                    .collect();
                return render(
                    StatusCode::OK,
                    &ReplayPage {
                        page: Page::from_request(&req),
                        path: path.to_string(),
                        fields,
                    },
                );
            }
            let target = if must_change_password {
                "/akun/password"
            } else {
                safe_next(&form.next).unwrap_or("/")
            };
            return Ok(see_other(target));
        }
        LoginOutcome::Refused => (StatusCode::UNAUTHORIZED, LOGIN_REFUSED.to_string()),
        LoginOutcome::Locked(until) => (
            StatusCode::TOO_MANY_REQUESTS,
            throttle::locked_message(&until),
        ),
    };
    let page = LoginPage {
        page: Page::from_request(&req),
        username: form.username.chars().take(64).collect(),
        next: safe_next(&form.next).unwrap_or("").to_string(),
        error: Some(error),
        notice: None,
        replay_path: safe_next(&form.replay_path).unwrap_or("").to_string(),
        replay_body: form.replay_body,
    };
    render(status, &page)
}

async fn logout(
    user: CurrentUser,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let hash = user.session_token_hash.clone();
    db.run(move |conn| sessions::delete(conn, &hash).map_err(AppError::from))
        .await?;
    session::end(&session);
    Ok(see_other("/login?keluar=1"))
}

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    page: Page,
    must_change: bool,
    errors: FieldErrors,
}

async fn password_form(req: HttpRequest, user: CurrentUser) -> Result<HttpResponse, AppError> {
    render(
        StatusCode::OK,
        &PasswordPage {
            page: Page::from_request(&req),
            must_change: user.must_change_password,
            errors: FieldErrors::default(),
        },
    )
}

async fn password_submit(
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<PasswordForm>,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    if let Err(e) = check_password(&user.username, &form.new_password) {
        errors.add("new_password", e);
    }
    if form.new_password != form.confirm_password {
        errors.add(
            "confirm_password",
            "Konfirmasi tidak sama dengan kata sandi baru.",
        );
    }
    if form.new_password == form.current_password && !form.new_password.is_empty() {
        errors.add(
            "new_password",
            "Kata sandi baru harus berbeda dari yang lama.",
        );
    }
    let user_id = user.id;
    let key = Key::password_change(&user.username);
    let outcome = db
        .run(move |conn| {
            // Counted before the check, as at login: a stolen session cannot guess on.
            let verdict = write_transaction(conn, |conn| throttle::count(conn, &key, now()))?;
            if let Verdict::Locked(until) = verdict {
                let mut errors = FieldErrors::default();
                errors.add("current_password", throttle::locked_message(&until));
                return Ok(Err((StatusCode::TOO_MANY_REQUESTS, errors)));
            }
            let stored = user_queries::find(conn, user_id)?.ok_or(AppError::Unauthorized)?;
            if password::verify(&form.current_password, &stored.password_hash) {
                throttle::clear(conn, &key)?;
            } else {
                errors.add("current_password", "Kata sandi saat ini salah.");
            }
            if !errors.is_empty() {
                return Ok(Err((StatusCode::UNPROCESSABLE_ENTITY, errors)));
            }
            let hash = password::hash(&form.new_password)?;
            user_queries::set_password(conn, user_id, &hash, false, Some(user_id))?;
            // Every session ended with the change, other devices included; this one goes on.
            Ok(Ok(sessions::create(conn, user_id)?))
        })
        .await?;
    match outcome {
        Ok(token) => {
            session::begin_login(&session, &token);
            session::set_flash(&session, "Kata sandi berhasil diganti.");
            Ok(see_other("/"))
        }
        Err((status, errors)) => render(
            status,
            &PasswordPage {
                page: Page::from_request(&req),
                must_change: user.must_change_password,
                errors,
            },
        ),
    }
}
