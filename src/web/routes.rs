//! The route table. Every route is registered here with the access it requires, and that rule
//! is enforced in one middleware: signed-in user loaded, role checked, before any handler runs.
//! The same table lists the routes for the access-control test, so a route cannot be added
//! without an access rule, nor without the test knowing.

use std::collections::HashMap;
use std::rc::Rc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{Next, from_fn};
use actix_web::{
    Error, FromRequest, Handler, HttpMessage, HttpRequest, HttpResponse, Responder, guard, web,
};
use futures_util::future::LocalBoxFuture;

use crate::auth::CurrentUser;
use crate::db::cache::DataVersion;
use crate::error::AppError;
pub use crate::web::policy::Access;
use crate::web::see_other;

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

/// The user a request was sent by, once looked up (`None`: nobody is signed in).
pub type Identified = LocalBoxFuture<'static, Result<Option<CurrentUser>, AppError>>;

/// What the access check needs from sign-in: who sent a request (from its session, or a bearer
/// token on the API), and the page that answers a form posted after its session expired. The
/// app plugs `auth`'s in (`auth::gate::SIGN_IN`); the route table only asks, so that it sits
/// below every module that registers routes.
#[derive(Clone, Copy)]
pub struct SignIn {
    pub identify: fn(&ServiceRequest, Option<DataVersion>) -> Identified,
    pub relogin: fn(&HttpRequest, &str, &[u8]) -> HttpResponse,
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
    pub fn register(self, cfg: &mut web::ServiceConfig, sign_in: SignIn) {
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
                enforce(Rc::clone(&policy), sign_in, req, next)
            }));
            cfg.service(resource);
        }
    }
}

/// Paths a user who must change their password may still use.
const PASSWORD_CHANGE_PATHS: &[&str] = &["/akun/password", "/logout"];

async fn enforce(
    policy: Rc<HashMap<Method, Access>>,
    sign_in: SignIn,
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
    // A form posted without any session token (`csrf::NoSessionToken`) gets only the re-login
    // page, where a signed-in route would have needed a session; anything else is refused.
    let no_token = req
        .extensions()
        .get::<crate::web::csrf::NoSessionToken>()
        .is_some();
    if no_token && access.allows(None) {
        return Ok(req.error_response(AppError::Csrf));
    }
    if access == Access::Public {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let Some(db) = req.app_data::<web::Data<crate::db::Db>>().cloned() else {
        return Ok(req.error_response(AppError::internal("no database handle")));
    };
    let is_api = req.path().starts_with("/api/");
    // Read before anything else of this request, so what is computed from later queries can
    // be kept under it (`db::cache`).
    let version = db.data_version().await;
    if let Some(version) = version {
        req.extensions_mut().insert(version);
    }
    let loaded = (sign_in.identify)(&req, version).await;
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
    if no_token && user.is_some() {
        return Ok(req.error_response(AppError::Csrf));
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
            let response = (sign_in.relogin)(req.request(), &path, &body);
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
