//! Admin page of sign-in locks in force (`auth::throttle`): who is locked, from where, until
//! when, and lifting one (audited).

use actix_session::SessionExt;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::audit;
use crate::auth::CurrentUser;
use crate::auth::throttle::{self, Key, Lock};
use crate::db::{Db, now, write_transaction};
use crate::error::AppError;
use crate::web::page::Page;
use crate::web::routes::{Access, Routes};
use crate::web::{render, see_other, session, wib};

/// More locks than this at once is an attack in progress; the page shows the latest.
const SHOWN: i64 = 200;

pub fn register(routes: &mut Routes, admin: Access) {
    routes
        .get("/admin/kunci", admin, list)
        .post("/admin/kunci/buka", admin, lift);
}

pub struct LockRow {
    pub stored: String,
    pub kind: &'static str,
    pub account: String,
    pub address: String,
    pub failures: i32,
    pub until: String,
}

impl From<Lock> for LockRow {
    fn from(lock: Lock) -> Self {
        let (kind, account, address) = match lock.key {
            Some(Key::AccountAt { username, address }) => {
                ("akun dari satu alamat", username, address)
            }
            Some(Key::Address(address)) => ("semua akun dari satu alamat", String::new(), address),
            Some(Key::Account(username)) => ("akun dari semua alamat", username, String::new()),
            Some(Key::PasswordChange(username)) => ("ganti kata sandi", username, String::new()),
            None => ("lain", lock.stored.clone(), String::new()),
        };
        LockRow {
            kind,
            account,
            address,
            failures: lock.failures,
            until: wib(&lock.locked_until),
            stored: lock.stored,
        }
    }
}

#[derive(Template)]
#[template(path = "users/locks.html")]
struct LocksPage {
    page: Page,
    rows: Vec<LockRow>,
}

async fn list(req: HttpRequest, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let locks = db
        .run(|conn| Ok(throttle::current_locks(conn, now(), SHOWN)?))
        .await?;
    render(
        StatusCode::OK,
        &LocksPage {
            page: Page::from_request(&req),
            rows: locks.into_iter().map(LockRow::from).collect(),
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LiftForm {
    kunci: String,
}

async fn lift(
    req: HttpRequest,
    admin: CurrentUser,
    form: web::Form<LiftForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let stored: String = form.into_inner().kunci.chars().take(200).collect();
    let actor = admin.id;
    let lifted = db
        .run(move |conn| {
            Ok(write_transaction(conn, |conn| {
                let removed = throttle::clear_stored(conn, &stored)?;
                if removed > 0 {
                    audit::record(conn, Some(actor), "login.unlock", "login_lock", &stored, "")?;
                }
                Ok::<_, diesel::result::Error>(removed > 0)
            })?)
        })
        .await?;
    let message = if lifted {
        "Kunci dibuka; percobaan masuk dihitung dari nol."
    } else {
        "Kunci itu sudah tidak ada (sudah berakhir atau dibuka)."
    };
    session::set_flash(&req.get_session(), message);
    Ok(see_other("/admin/kunci"))
}
