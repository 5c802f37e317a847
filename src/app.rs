//! Wiring: the route table of every module, the middleware stack, and the HTTP server.

use std::net::TcpListener;

use actix_web::cookie::Key;
use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::config::Config;
use crate::db::{self, Db};
use crate::error::AppError;
use crate::web::routes::{Access, Routes};
use crate::web::{Settings, assets, csrf, forms, logging, security, session};

/// Every route of the application, with its access rule.
pub fn routes() -> Routes {
    let mut routes = Routes::new();
    routes
        .get("/livez", Access::Public, live)
        .get("/healthz", Access::Public, health)
        .get("/static/{file}", Access::Public, assets::serve)
        .get("/sw.js", Access::Public, assets::service_worker);
    crate::auth::routes::register(&mut routes);
    crate::home::routes::register(&mut routes);
    crate::regions::routes::register(&mut routes);
    crate::households::routes::register(&mut routes);
    crate::members::routes::register(&mut routes);
    crate::visits::routes::register(&mut routes);
    crate::visits::correction_routes::register(&mut routes);
    crate::members::correction_routes::register(&mut routes);
    crate::reactivations::routes::register(&mut routes);
    crate::progress::routes::register(&mut routes);
    crate::assignments::routes::register(&mut routes);
    crate::figures::routes::register(&mut routes);
    crate::roster::routes::register(&mut routes);
    crate::users::routes::register(&mut routes);
    crate::auth::token_routes::register(&mut routes);
    crate::contributions::routes::register(&mut routes);
    crate::recap::routes::register(&mut routes);
    crate::recap::rate_routes::register(&mut routes);
    crate::forum::register(&mut routes);
    crate::pemda::routes::register(&mut routes);
    routes
}

/// Liveness: the process answers HTTP. Touches no database (that is `/healthz`, readiness), so
/// it stays fast under load and during an outage.
async fn live() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Readiness: the database answers a ping.
async fn health(db: web::Data<Db>) -> HttpResponse {
    let ok = db.run(|conn| Ok(db::ping(conn))).await.unwrap_or(false);
    if ok {
        HttpResponse::Ok().content_type("text/plain").body("ok")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database unavailable")
    }
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// Starts the HTTP server on an already-bound listener (tests bind port 0).
pub fn server(
    db: Db,
    settings: Settings,
    key: Key,
    listener: TcpListener,
) -> std::io::Result<Server> {
    // Views of personal data, written to the audit trail in batches (see `audit::views`).
    let views = web::Data::new(crate::audit::views::ViewLog::start(db.clone()));
    let sealer = web::Data::new(crate::web::seal::Sealer::new(key.clone()));
    let db = web::Data::new(db);
    let settings_data = web::Data::new(settings.clone());
    // Kept until the next commit to the database (`db::cache`), shared by all workers.
    let sessions = web::Data::new(crate::auth::sessions::SessionCache::new(4096));
    let units = web::Data::new(crate::progress::routes::UnitCache::new(512));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(db.clone())
            .app_data(settings_data.clone())
            .app_data(sessions.clone())
            .app_data(units.clone())
            .app_data(views.clone())
            .app_data(sealer.clone())
            .configure(forms::extractor_configs)
            .configure(|cfg| routes().register(cfg, crate::auth::gate::SIGN_IN))
            .default_service(web::to(not_found))
            .wrap(from_fn(csrf::protect))
            .wrap(session::middleware(key.clone(), settings.secure_cookies))
            .wrap(security::headers(settings.secure_cookies))
            .wrap(Compress::default())
            .wrap(from_fn(logging::log_request))
    })
    // Database work runs on blocking threads, and at most a pool's worth of it can proceed at
    // once: more threads only wait for a connection, each with its own stack and malloc arena
    // (with the default of 512, 200 agents submitting at once took the server to 420 MB).
    .worker_max_blocking_threads(BLOCKING_THREADS_PER_WORKER)
    .listen(listener)?
    .run();
    Ok(server)
}

const BLOCKING_THREADS_PER_WORKER: usize = 16;

/// `pesiar serve`: migrate, connect, listen.
pub async fn serve(config: &Config) -> anyhow::Result<()> {
    let key = config.session_key()?;
    {
        let database = config.database.clone();
        web::block(move || db::migrate(&database)).await??;
    }
    let database = config.database.clone();
    let pool = web::block(move || Db::connect(&database)).await??;
    {
        let pool = pool.clone();
        let stale = pool
            .run(|conn| Ok(crate::roster::import::fail_interrupted(conn)?))
            .await?;
        if stale > 0 {
            tracing::warn!(
                count = stale,
                "roster imports interrupted by the last stop marked failed"
            );
        }
    }
    let listener = TcpListener::bind(&config.bind)
        .map_err(|e| anyhow::anyhow!("tidak dapat membuka {}: {e}", config.bind))?;
    let settings = Settings {
        secure_cookies: config.secure_cookies,
        trusted_proxies: config.trusted_proxies,
        stale_after_days: crate::config::stale_after_days(),
    };
    tracing::info!(
        bind = %config.bind,
        database = %config.database.redacted(),
        secure_cookies = config.secure_cookies,
        "pesiar is listening"
    );
    println!("pesiar berjalan di http://{}", config.bind);
    server(pool, settings, key, listener)?.await?;
    Ok(())
}
