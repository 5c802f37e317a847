//! The route table. Every route is registered here with the access it requires, and that rule
//! is enforced in one middleware: signed-in user loaded, role checked, before any handler runs.
//! The same table lists the routes for the access-control test, so a route cannot be added
//! without an access rule, nor without the test knowing.

use std::collections::HashMap;
use std::rc::Rc;

use actix_session::SessionExt;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{Next, from_fn};
use actix_web::{Error, FromRequest, Handler, HttpMessage, Responder, guard, web};

use crate::auth::{self, CurrentUser};
use crate::db::Db;
use crate::error::AppError;
use crate::users::Role;
use crate::web::see_other;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone; the user is not even looked up (health check, static files).
    Public,
    /// Anyone; the signed-in user is loaded if there is one (login page).
    Guest,
    /// Any signed-in user.
    SignedIn,
    /// Signed-in users with one of these roles.
    Roles(&'static [Role]),
}

impl Access {
    pub fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Access::Public | Access::Guest, _) => true,
            (Access::SignedIn, Some(_)) => true,
            (Access::Roles(roles), Some(role)) => roles.contains(&role),
            (_, None) => false,
        }
    }
}

/// One registered route, as the access-control test sees it.
#[derive(Clone, Debug)]
pub struct RouteInfo {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

pub struct Routes {
    entries: Vec<(RouteInfo, actix_web::Route)>,
}

impl Default for Routes {
    fn default() -> Self {
        Self::new()
    }
}

impl Routes {
    pub fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    pub fn get<F, Args>(&mut self, path: &'static str, access: Access, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        // HEAD is answered like GET (without the body), for monitors and link checkers.
        let route = web::route()
            .guard(guard::Any(guard::Get()).or(guard::Head()))
            .to(handler);
        self.add(Method::GET, path, access, route)
    }

    pub fn post<F, Args>(&mut self, path: &'static str, access: Access, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, path, access, web::post().to(handler))
    }

    fn add(
        &mut self,
        method: Method,
        path: &'static str,
        access: Access,
        route: actix_web::Route,
    ) -> &mut Self {
        self.entries.push((
            RouteInfo {
                method,
                path,
                access,
            },
            route,
        ));
        self
    }

    pub fn infos(&self) -> Vec<RouteInfo> {
        self.entries.iter().map(|(info, _)| info.clone()).collect()
    }

    /// Registers one resource per path, wrapped in the access check for its methods.
    pub fn register(self, cfg: &mut web::ServiceConfig) {
        let mut paths: Vec<&'static str> = Vec::new();
        let mut by_path: HashMap<&'static str, Vec<(RouteInfo, actix_web::Route)>> = HashMap::new();
        for (info, route) in self.entries {
            if !by_path.contains_key(info.path) {
                paths.push(info.path);
            }
            by_path.entry(info.path).or_default().push((info, route));
        }
        for path in paths {
            let routes = by_path.remove(path).unwrap_or_default();
            let policy: Rc<HashMap<Method, Access>> = Rc::new(
                routes
                    .iter()
                    .map(|(info, _)| (info.method.clone(), info.access))
                    .collect(),
            );
            let mut resource = web::resource(path);
            for (_, route) in routes {
                resource = resource.route(route);
            }
            let resource = resource.wrap(from_fn(move |req, next| {
                enforce(Rc::clone(&policy), req, next)
            }));
            cfg.service(resource);
        }
    }
}

/// Paths a user who must change their password may still use.
const PASSWORD_CHANGE_PATHS: &[&str] = &["/akun/password", "/logout"];

async fn enforce(
    policy: Rc<HashMap<Method, Access>>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let method = if req.method() == Method::HEAD {
        Method::GET
    } else {
        req.method().clone()
    };
    let Some(access) = policy.get(&method).copied() else {
        // Unknown method for this path: let the resource answer 405.
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if access == Access::Public {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let Some(db) = req.app_data::<web::Data<Db>>().cloned() else {
        return Ok(req.error_response(AppError::internal("no database handle")));
    };
    let session = req.get_session();
    let bearer = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    let is_api = req.path().starts_with("/api/");
    // Read before anything else of this request, so what is computed from later queries can
    // be kept under it (`db::cache`).
    let version = db.data_version().await;
    if let Some(version) = version {
        req.extensions_mut().insert(version);
    }
    let sessions = req
        .app_data::<web::Data<auth::sessions::SessionCache>>()
        .cloned();
    let loaded = match bearer {
        // Tokens are for reading the API; they never open the web pages.
        Some(token) if is_api && method == Method::GET => {
            db.run(move |conn| auth::tokens::load(conn, &token).map_err(AppError::from))
                .await
        }
        _ => {
            auth::sessions::current_user(
                &db,
                &session,
                sessions.as_ref().map(|c| c.get_ref()),
                version,
            )
            .await
        }
    };
    let user = match loaded {
        Ok(user) => user,
        Err(err) => return Ok(req.error_response(err)),
    };
    if is_api && user.is_none() {
        let response = actix_web::HttpResponse::Unauthorized()
            .insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"))
            .json(serde_json::json!({ "error": "unauthorized" }));
        return Ok(req.into_response(response));
    }
    let role = user.as_ref().map(|u| u.role);
    if !access.allows(role) {
        if user.is_some() {
            return Ok(req.error_response(AppError::Forbidden));
        }
        if method == Method::GET {
            let target = match req.query_string() {
                "" => req.path().to_owned(),
                query => format!("{}?{}", req.path(), query),
            };
            let location = format!("/login?next={}", crate::web::query_encode(&target));
            let response = see_other(&location);
            return Ok(req.into_response(response));
        }
        // A form posted after the session expired: keep what was typed through re-login.
        let is_form = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if is_form {
            let mut req = req;
            let body = req.extract::<web::Bytes>().await.unwrap_or_default();
            let path = req.path().to_owned();
            let response = crate::auth::routes::replay_login(req.request(), &path, &body);
            return Ok(req.into_response(response));
        }
        return Ok(req.error_response(AppError::Unauthorized));
    }
    if let Some(user) = user {
        if user.must_change_password && !PASSWORD_CHANGE_PATHS.contains(&req.path()) {
            return Ok(req.into_response(see_other("/akun/password")));
        }
        req.extensions_mut().insert::<CurrentUser>(user);
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
