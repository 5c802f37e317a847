//! The verification queue: supervisors confirm or reject reported reactivations and
//! registrations in their areas, several at once.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::queries::{self, ClaimRow, Decision};
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::error::AppError;
use crate::households::forms::clean_text;
use crate::submissions::{self, Submitted};
use crate::web::forms::{FieldErrors, pairs};
use crate::web::page::Page;
use crate::web::routes::{Access, Routes};
use crate::web::{render, see_other, session};

const VERIFIERS: Access = crate::web::policy::VERIFY_CLAIMS;
const QUEUE_LIMIT: i64 = 100;

pub fn register(routes: &mut Routes) {
    routes
        .get("/verifikasi", VERIFIERS, queue)
        .post("/verifikasi", VERIFIERS, decide);
}

#[derive(Template)]
#[template(path = "reactivations/queue.html")]
struct QueuePage {
    page: Page,
    claims: Vec<ClaimRow>,
    total: i64,
    selected: Vec<i32>,
    reason: String,
    submission_key: String,
    errors: FieldErrors,
}

async fn load_queue(db: &Db, user: &CurrentUser) -> Result<(Vec<ClaimRow>, i64), AppError> {
    let user = user.clone();
    db.run(move |conn| Ok(queries::pending_for(conn, &user, QUEUE_LIMIT)?))
        .await
}

async fn queue(
    req: HttpRequest,
    user: CurrentUser,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let (claims, total) = load_queue(&db, &user).await?;
    render(
        StatusCode::OK,
        &QueuePage {
            page: Page::from_request(&req),
            claims,
            total,
            selected: Vec::new(),
            reason: String::new(),
            submission_key: submissions::new_key(),
            errors: FieldErrors::default(),
        },
    )
}

async fn decide(
    req: HttpRequest,
    user: CurrentUser,
    body: web::Bytes,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let fields = pairs(&body);
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let selected: Vec<i32> = fields
        .iter()
        .filter(|(k, _)| k == "id")
        .filter_map(|(_, v)| v.trim().parse().ok())
        .take(QUEUE_LIMIT as usize)
        .collect();
    let reason_raw = value("alasan");
    let key = value("submission_key");
    let mut errors = FieldErrors::default();
    let decision = match value("keputusan").as_str() {
        "konfirmasi" => Some(Decision::Confirm),
        "tolak" => Some(Decision::Reject),
        _ => {
            errors.add("keputusan", "Pilih konfirmasi atau tolak.");
            None
        }
    };
    if selected.is_empty() {
        errors.add("id", "Centang minimal satu laporan.");
    }
    let reason = match clean_text(&reason_raw, 300) {
        Ok(r) if r.is_empty() && matches!(decision, Some(Decision::Reject)) => {
            errors.add("alasan", "Alasan penolakan wajib diisi.");
            None
        }
        Ok(r) if r.is_empty() => None,
        Ok(r) => Some(r),
        Err(e) => {
            errors.add("alasan", e);
            None
        }
    };
    if let (Some(decision), true) = (decision, errors.is_empty()) {
        let user_for_work = user.clone();
        let ids = selected.clone();
        let outcome = db
            .run(move |conn| {
                submissions::once::<()>(conn, &key, user_for_work.id, |conn| {
                    let n =
                        queries::decide(conn, &user_for_work, &ids, decision, reason.as_deref())?;
                    Ok(Ok(format!("/verifikasi?diputuskan={n}")))
                })
            })
            .await?;
        let path = match outcome {
            Submitted::First(path) | Submitted::Repeat(path) => path,
            Submitted::Rejected(()) => "/verifikasi".to_string(),
        };
        let decided: usize = path
            .rsplit('=')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        session::set_flash(
            &session,
            &format!(
                "{decided} laporan diputuskan. Laporan di luar wilayah Anda atau yang sudah diputuskan dilewati."
            ),
        );
        return Ok(see_other("/verifikasi"));
    }
    let (claims, total) = load_queue(&db, &user).await?;
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &QueuePage {
            page: Page::from_request(&req),
            claims,
            total,
            selected,
            reason: reason_raw,
            submission_key: key,
            errors,
        },
    )
}
