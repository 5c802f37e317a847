//! Recording a visit from a phone, and reading one back.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::forms::{MemberEntryForm, VisitForm, field};
use super::queries::{self, MemberVisitRow, VisitRow};
use super::{Action, Outcome};
use crate::auth::CurrentUser;
use crate::contributions::ListedArrears;
use crate::contributions::panel::{Brief, brief};
use crate::contributions::queries::current_arrears;
use crate::db::Db;
use crate::error::AppError;
use crate::households::Household;
use crate::households::queries as household_queries;
use crate::households::reach::Pricing;
use crate::members::queries::{Member, for_household};
use crate::members::{Class, MemberStatus, Segment};
use crate::reactivations::queries::pending_members;
use crate::submissions::{self, Submitted};
use crate::text_enum::{SelectOption, options};
use crate::web::forms::{FieldErrors, pairs};
use crate::web::page::Page;
use crate::web::policy::RECORD_FIELDWORK as FIELD;
use crate::web::routes::{Access, Routes};
use crate::web::{render, see_other, session, today};

pub fn register(routes: &mut Routes) {
    routes
        .get("/rumah-tangga/{id}/kunjungan/baru", FIELD, new_form)
        .post("/rumah-tangga/{id}/kunjungan/baru", FIELD, create)
        .get("/kunjungan/{id}", Access::SignedIn, show)
        .get("/antrean", FIELD, outbox);
}

#[derive(Template)]
#[template(path = "visits/outbox.html")]
struct OutboxPage {
    page: Page,
    script: String,
}

/// The phone's outbox: what waits, since when, the last answer. The queue lives on the phone
/// (static/offline.js fills the list); the server only serves the frame.
async fn outbox(req: HttpRequest) -> Result<HttpResponse, AppError> {
    render(
        StatusCode::OK,
        &OutboxPage {
            page: Page::from_request(&req),
            script: crate::web::assets::url("outbox.js"),
        },
    )
}

/// One member's block on the visit form.
pub struct EntryView {
    pub member: Member,
    pub status_field: String,
    pub action_field: String,
    pub segment_field: String,
    pub rehab_field: String,
    pub revisit_field: String,
    pub class_field: String,
    pub arrears_field: String,
    /// A mandiri member in arrears (on record or as seen now): the form asks the months and
    /// shows what coming back costs.
    pub asks_arrears: bool,
    pub brief: Option<Brief>,
    pub entry: MemberEntryForm,
    pub statuses: Vec<SelectOption>,
    pub actions: Vec<SelectOption>,
    pub segments: Vec<SelectOption>,
    pub classes: Vec<SelectOption>,
    pub pending_claim: bool,
}

#[derive(Template)]
#[template(path = "visits/form.html")]
struct FormPage {
    page: Page,
    household: Household,
    form: VisitForm,
    outcomes: Vec<SelectOption>,
    entries: Vec<EntryView>,
    errors: FieldErrors,
    max_date: String,
    /// For the short form (static/visit.js): which actions need which per-member fields.
    segment_actions: String,
    class_segments: String,
    rehab_action: &'static str,
    revisit_action: &'static str,
}

/// Codes joined by spaces, for a `data-` attribute.
fn codes<'a>(values: impl Iterator<Item = &'a str>) -> String {
    values.collect::<Vec<_>>().join(" ")
}

fn form_page(req: &HttpRequest, loaded: Loaded, form: VisitForm, errors: FieldErrors) -> FormPage {
    let Loaded {
        household,
        members,
        pending,
        pricing,
        arrears,
    } = loaded;
    let entries = members
        .into_iter()
        .map(|member| {
            let entry = form.entry(member.id);
            let inactive = member.status == MemberStatus::Inactive
                || entry.status == MemberStatus::Inactive.as_str();
            let asks_arrears = member.segment.has_class() && inactive;
            let brief = asks_arrears
                .then(|| {
                    brief(
                        &pricing.rules,
                        member.class,
                        &entry.arrears,
                        arrears.get(&member.id),
                        pricing.today,
                    )
                })
                .flatten();
            EntryView {
                arrears_field: field(member.id, "arrears"),
                asks_arrears,
                brief,
                status_field: field(member.id, "status"),
                action_field: field(member.id, "action"),
                segment_field: field(member.id, "segment"),
                rehab_field: field(member.id, "rehab"),
                revisit_field: field(member.id, "revisit"),
                class_field: field(member.id, "class"),
                classes: options(Class::ALL, Class::as_str, Class::label, &entry.class),
                statuses: options(
                    MemberStatus::ALL,
                    MemberStatus::as_str,
                    MemberStatus::label,
                    &entry.status,
                ),
                actions: options(Action::ALL, Action::as_str, Action::label, &entry.action),
                segments: options(
                    &Segment::ALL[..Segment::ALL.len() - 1],
                    Segment::as_str,
                    Segment::label,
                    &entry.segment,
                ),
                pending_claim: pending.contains(&member.id),
                entry,
                member,
            }
        })
        .collect();
    FormPage {
        page: Page::from_request(req),
        outcomes: options(Outcome::ALL, Outcome::as_str, Outcome::label, &form.outcome),
        household,
        form,
        entries,
        errors,
        max_date: today().format("%Y-%m-%d").to_string(),
        segment_actions: codes(
            Action::ALL
                .iter()
                .filter(|a| a.needs_segment())
                .map(|a| a.as_str()),
        ),
        class_segments: codes(
            Segment::ALL
                .iter()
                .filter(|s| s.has_class())
                .map(|s| s.as_str()),
        ),
        rehab_action: Action::Rehab.as_str(),
        revisit_action: Action::Revisit.as_str(),
    }
}

/// What the form needs: the household, its members, their claims waiting, and for the
/// door-step sums today's rules and the members' arrears.
struct Loaded {
    household: Household,
    members: Vec<Member>,
    pending: Vec<i32>,
    pricing: Pricing,
    arrears: HashMap<i32, ListedArrears>,
}

async fn load(db: &Db, user: &CurrentUser, id: i32) -> Result<Loaded, AppError> {
    let user = user.clone();
    db.run(move |conn| {
        let household =
            household_queries::find_visible(conn, &user, id)?.ok_or(AppError::NotFound)?;
        let members = for_household(conn, household.id)?;
        let ids: Vec<i32> = members.iter().map(|m| m.id).collect();
        let pending = pending_members(conn, &ids)?;
        let mandiri: Vec<i32> = members
            .iter()
            .filter(|m| m.segment.has_class())
            .map(|m| m.id)
            .collect();
        let arrears = current_arrears(conn, &mandiri)?;
        Ok(Loaded {
            household,
            members,
            pending,
            pricing: Pricing::load(conn)?,
            arrears,
        })
    })
    .await
}

async fn new_form(
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let loaded = load(&db, &user, *id).await?;
    let form = VisitForm {
        visited_on: today().format("%Y-%m-%d").to_string(),
        submission_key: submissions::new_key(),
        author_id: user.id.to_string(),
        ..VisitForm::default()
    };
    render(
        StatusCode::OK,
        &form_page(&req, loaded, form, FieldErrors::default()),
    )
}

async fn create(
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    body: web::Bytes,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let loaded = load(&db, &user, *id).await?;
    let form = VisitForm::from_pairs(&pairs(&body));
    let member_ids: Vec<i32> = loaded.members.iter().map(|m| m.id).collect();
    if !form.author_id.is_empty() && form.author_id != user.id.to_string() {
        // Typed by someone else on this phone (queued offline, or offered back after another
        // user signed in): only its author may send it.
        let mut errors = FieldErrors::default();
        errors.add_general(
            "author",
            "Kunjungan ini diisi oleh pengguna lain di HP ini; hanya dia yang dapat mengirimnya.",
        );
        return render(StatusCode::CONFLICT, &form_page(&req, loaded, form, errors));
    }
    let errors = match form.validate(&member_ids, today()) {
        Err(errors) => errors,
        Ok(input) => {
            let user = user.clone();
            let household = loaded.household.clone();
            let key = form.submission_key.clone();
            let outcome = db
                .run(move |conn| {
                    submissions::once(conn, &key, user.id, |conn| {
                        // Checked inside the submission, so a repeat gets the first result.
                        let ids: Vec<i32> = input.entries.iter().map(|e| e.member_id).collect();
                        let pending = pending_members(conn, &ids)?;
                        let mut errors = FieldErrors::default();
                        for entry in &input.entries {
                            if entry.action.claim().is_some() && pending.contains(&entry.member_id)
                            {
                                errors.add(
                                    field(entry.member_id, "action"),
                                    "Anggota ini sudah punya laporan yang menunggu verifikasi.",
                                );
                            }
                        }
                        if !errors.is_empty() {
                            return Ok(Err(errors));
                        }
                        let visit_id = queries::record(conn, &user, &household, &input)?;
                        Ok(Ok(format!("/kunjungan/{visit_id}")))
                    })
                })
                .await?;
            match outcome {
                Submitted::First(path) | Submitted::Repeat(path) => {
                    session::set_flash(&session, "Kunjungan dicatat.");
                    return Ok(see_other(&path));
                }
                Submitted::Rejected(errors) => errors,
            }
        }
    };
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &form_page(&req, loaded, form, errors),
    )
}

#[derive(Template)]
#[template(path = "visits/show.html")]
struct ShowPage {
    page: Page,
    visit: VisitRow,
    location: Option<(f64, f64)>,
    entries: Vec<MemberVisitRow>,
    /// Whether this user may correct or void it now.
    correctable: bool,
    /// Why it was voided, if it was.
    void_reason: Option<String>,
    voided: bool,
}

async fn show(
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let id = *id;
    let ((visit, lat, lon), entries, correctable, voided) = db
        .run(move |conn| {
            let visit = queries::find_visible(conn, &user, id)?.ok_or(AppError::NotFound)?;
            let entries = queries::entries_of(conn, id)?;
            let correctable =
                super::corrections::find_correctable(conn, &user, id, crate::db::now())?.is_some();
            let voided = super::corrections::voided(conn, id)?;
            Ok((visit, entries, correctable, voided))
        })
        .await?;
    render(
        StatusCode::OK,
        &ShowPage {
            page: Page::from_request(&req),
            visit,
            location: lat.zip(lon),
            entries,
            correctable,
            voided: voided.is_some(),
            void_reason: voided.and_then(|(_, reason)| reason),
        },
    )
}
