//! The verification queue: supervisors confirm or reject reported reactivations and
//! registrations in their areas, several at once.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::ClaimKind;
use super::queries::{self, AGE_CHOICES, ClaimRow, Decision, FilterChoices, QueueFilter};
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
    filter: QueueFilter,
    choices: FilterChoices,
    kinds: &'static [ClaimKind],
    ages: [i64; 4],
    /// `?kelurahan=…` of the current filter, or empty, for the decision form's action.
    filter_query: String,
    selected: Vec<i32>,
    reason: String,
    submission_key: String,
    errors: FieldErrors,
}

struct Queue {
    claims: Vec<ClaimRow>,
    total: i64,
    choices: FilterChoices,
}

async fn load_queue(db: &Db, user: &CurrentUser, filter: &QueueFilter) -> Result<Queue, AppError> {
    let user = user.clone();
    let filter = filter.clone();
    db.run(move |conn| {
        let (claims, total) = queries::queue_for(conn, &user, &filter, QUEUE_LIMIT)?;
        let choices = queries::filter_choices(conn, &user)?;
        Ok(Queue {
            claims,
            total,
            choices,
        })
    })
    .await
}

impl QueuePage {
    fn new(page: Page, queue: Queue, filter: QueueFilter, submission_key: String) -> Self {
        let query = filter.query_string();
        Self {
            page,
            claims: queue.claims,
            total: queue.total,
            choices: queue.choices,
            kinds: ClaimKind::ALL,
            ages: AGE_CHOICES,
            filter_query: if query.is_empty() {
                query
            } else {
                format!("?{query}")
            },
            filter,
            selected: Vec::new(),
            reason: String::new(),
            submission_key,
            errors: FieldErrors::default(),
        }
    }
}

async fn queue(
    req: HttpRequest,
    user: CurrentUser,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let filter = QueueFilter::from_pairs(&pairs(req.query_string().as_bytes()));
    let queue = load_queue(&db, &user, &filter).await?;
    render(
        StatusCode::OK,
        &QueuePage::new(
            Page::from_request(&req),
            queue,
            filter,
            submissions::new_key(),
        ),
    )
}

/// What a decision did, said the way a supervisor counts: "3 dikonfirmasi", and the skipped
/// ones only when there were some.
fn outcome_message(decision: Decision, decided: usize, selected: usize) -> String {
    let verb = match decision {
        Decision::Confirm => "dikonfirmasi",
        Decision::Reject => "ditolak",
    };
    let mut message = format!("{decided} {verb}.");
    let skipped = selected.saturating_sub(decided);
    if skipped > 0 {
        message.push_str(&format!(
            " {skipped} dilewati: di luar wilayah Anda atau sudah diputuskan."
        ));
    }
    message
}

async fn decide(
    req: HttpRequest,
    user: CurrentUser,
    body: web::Bytes,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let filter = QueueFilter::from_pairs(&pairs(req.query_string().as_bytes()));
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
                    // Kept as the submission's result, so a repeated POST says the same.
                    Ok(Ok(format!("{n}/{}", ids.len())))
                })
            })
            .await?;
        if let Submitted::First(counts) | Submitted::Repeat(counts) = outcome {
            let mut parts = counts.split('/').map(|n| n.parse::<usize>().unwrap_or(0));
            let (decided, chosen) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
            session::set_flash(&session, &outcome_message(decision, decided, chosen));
        }
        let query = filter.query_string();
        let back = if query.is_empty() {
            "/verifikasi".to_string()
        } else {
            format!("/verifikasi?{query}")
        };
        return Ok(see_other(&back));
    }
    let queue = load_queue(&db, &user, &filter).await?;
    let mut page = QueuePage::new(Page::from_request(&req), queue, filter, key);
    page.selected = selected;
    page.reason = reason_raw;
    page.errors = errors;
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outcome_names_the_decision_and_skips_only_when_some() {
        assert_eq!(outcome_message(Decision::Confirm, 3, 3), "3 dikonfirmasi.");
        assert_eq!(
            outcome_message(Decision::Reject, 1, 2),
            "1 ditolak. 1 dilewati: di luar wilayah Anda atau sudah diputuskan."
        );
    }
}
