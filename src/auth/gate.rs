//! Sign-in as the route table's access check asks it (`web::routes::SignIn`): who sent a
//! request, and the re-login page for a form posted after the session expired.

use actix_session::SessionExt;
use actix_web::dev::ServiceRequest;
use actix_web::http::Method;
use actix_web::web;

use super::sessions::{self, SessionCache};
use crate::db::Db;
use crate::db::cache::DataVersion;
use crate::error::AppError;
use crate::web::routes::{Identified, SignIn};

pub const SIGN_IN: SignIn = SignIn {
    identify,
    relogin: super::routes::replay_login,
};

/// The signed-in user of a request: from a bearer token on an API read, else from the session.
fn identify(req: &ServiceRequest, version: Option<DataVersion>) -> Identified {
    let db = req.app_data::<web::Data<Db>>().cloned();
    let session = req.get_session();
    let bearer = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    let is_api_read = req.path().starts_with("/api/")
        && (req.method() == Method::GET || req.method() == Method::HEAD);
    let cache = req.app_data::<web::Data<SessionCache>>().cloned();
    Box::pin(async move {
        let Some(db) = db else {
            return Err(AppError::internal("no database handle"));
        };
        match bearer {
            // Tokens are for reading the API; they never open the web pages.
            Some(token) if is_api_read => {
                db.run(move |conn| super::tokens::load(conn, &token).map_err(AppError::from))
                    .await
            }
            _ => {
                sessions::current_user(&db, &session, cache.as_ref().map(|c| c.get_ref()), version)
                    .await
            }
        }
    })
}
