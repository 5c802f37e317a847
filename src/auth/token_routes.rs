//! The admin page of API tokens: every token with its owner and state, and a revoke button.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::tokens::{self, TokenInfo};
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::error::AppError;
use crate::web::page::Page;
use crate::web::routes::{Access, Routes};
use crate::web::{render, see_other, session};

const ADMIN: Access = crate::web::policy::ADMINISTER;

pub fn register(routes: &mut Routes) {
    routes
        .get("/admin/token", ADMIN, list)
        .post("/admin/token/{id}/cabut", ADMIN, revoke);
}

#[derive(Template)]
#[template(path = "auth/tokens.html")]
struct ListPage {
    page: Page,
    tokens: Vec<TokenInfo>,
}

async fn list(req: HttpRequest, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let tokens = db.run(|conn| Ok(tokens::list(conn, None)?)).await?;
    render(
        StatusCode::OK,
        &ListPage {
            page: Page::from_request(&req),
            tokens,
        },
    )
}

async fn revoke(
    req: HttpRequest,
    admin: CurrentUser,
    id: web::Path<i32>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let actor = admin.id;
    let revoked = db
        .run(move |conn| Ok(tokens::revoke(conn, id, Some(actor))?))
        .await?;
    let message = if revoked {
        format!("Token {id} dicabut.")
    } else {
        format!("Token {id} tidak ada atau sudah dicabut.")
    };
    session::set_flash(&actix_session::SessionExt::get_session(&req), &message);
    Ok(see_other("/admin/token"))
}
