//! Adding and editing household members, and the member's own page (the only place a NIK is
//! shown in full).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::forms::{MemberForm, MemberInput, checked};
use super::identity::{Nik, mask};
use super::queries::{self, Member};
use super::{Class, InactiveReason, MemberStatus, Relationship, Segment};
use crate::audit::views::ViewLog;
use crate::auth::CurrentUser;
use crate::db::{Db, DbConnection};
use crate::error::AppError;
use crate::households::Household;
use crate::households::queries as household_queries;
use crate::submissions::{self, Submitted};
use crate::text_enum::{SelectOption, options};
use crate::web::forms::FieldErrors;
use crate::web::page::Page;
use crate::web::routes::{Access, Routes};
use crate::web::{policy, render, see_other, session, today};

const FIELD: Access = policy::RECORD_FIELDWORK;
const REVEALERS: Access = policy::REVEAL_NIK;

pub fn register(routes: &mut Routes) {
    routes
        .get("/rumah-tangga/{id}/anggota/baru", FIELD, new_form)
        .post("/rumah-tangga/{id}/anggota/baru", FIELD, create)
        .get("/anggota/{id}", Access::SignedIn, show)
        .post("/anggota/{id}/nik", REVEALERS, reveal_nik)
        .get("/anggota/{id}/akses", policy::ADMINISTER, viewers)
        .get("/anggota/{id}/ubah", FIELD, edit_form)
        .post("/anggota/{id}/ubah", FIELD, update);
}

#[derive(Template)]
#[template(path = "members/form.html")]
struct FormPage {
    page: Page,
    household: Household,
    member_id: Option<i32>,
    action: String,
    form: MemberForm,
    errors: FieldErrors,
    warnings: Vec<String>,
    sexes: Vec<SelectOption>,
    relationships: Vec<SelectOption>,
    segments: Vec<SelectOption>,
    classes: Vec<SelectOption>,
    statuses: Vec<SelectOption>,
    reasons: Vec<SelectOption>,
}

impl FormPage {
    fn new(
        req: &HttpRequest,
        household: Household,
        member_id: Option<i32>,
        form: MemberForm,
        errors: FieldErrors,
        warnings: Vec<String>,
    ) -> Self {
        let action = match member_id {
            Some(id) => format!("/anggota/{id}/ubah"),
            None => format!("/rumah-tangga/{}/anggota/baru", household.id),
        };
        Self {
            page: Page::from_request(req),
            sexes: ["L", "P"]
                .iter()
                .map(|v| SelectOption {
                    value: v,
                    label: if *v == "L" { "Laki-laki" } else { "Perempuan" },
                    selected: form.sex.trim() == *v,
                })
                .collect(),
            relationships: options(
                Relationship::ALL,
                Relationship::as_str,
                Relationship::label,
                &form.relationship,
            ),
            segments: options(Segment::ALL, Segment::as_str, Segment::label, &form.segment),
            classes: options(Class::ALL, Class::as_str, Class::label, &form.class),
            statuses: options(
                MemberStatus::ALL,
                MemberStatus::as_str,
                MemberStatus::label,
                &form.status,
            ),
            reasons: options(
                InactiveReason::ALL,
                InactiveReason::as_str,
                InactiveReason::label,
                &form.inactive_reason,
            ),
            household,
            member_id,
            action,
            form,
            errors,
            warnings,
        }
    }
}

async fn new_form(
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let household = household_queries::load_visible(&db, &user, *id).await?;
    let form = MemberForm {
        submission_key: submissions::new_key(),
        ..MemberForm::default()
    };
    render(
        StatusCode::OK,
        &FormPage::new(
            &req,
            household,
            None,
            form,
            FieldErrors::default(),
            Vec::new(),
        ),
    )
}

/// Database checks on a valid input: a NIK recorded elsewhere is an error; the rest are
/// warnings the user may confirm.
fn check_against_records(
    conn: &mut DbConnection,
    user: &CurrentUser,
    household: &Household,
    input: &MemberInput,
    except: Option<i32>,
) -> Result<(FieldErrors, Vec<String>), AppError> {
    let mut errors = FieldErrors::default();
    let mut warnings = Vec::new();
    if let Some(nik) = &input.nik {
        if let Some((other_id, region)) = queries::find_nik(conn, nik.as_str())?
            && Some(other_id) != except
        {
            if user.covers(&region) {
                let name = queries::name_of(conn, other_id)?;
                errors.add_with_link(
                    "nik",
                    "NIK ini sudah tercatat untuk anggota lain:",
                    format!("/anggota/{other_id}"),
                    name,
                );
            } else {
                errors.add("nik", elsewhere_hint(conn, user, other_id)?);
            }
        }
        warnings.extend(nik.cross_check(Some(input.sex), Some(input.birth_date)));
        let prefix = nik.region_prefix();
        if crate::regions::queries::get(conn, &prefix)?.is_none() {
            warnings.push(format!(
                "Kode wilayah di awal NIK ({prefix}) tidak ada di daftar kecamatan saat ini (bisa karena pemekaran wilayah)."
            ));
        }
    }
    for similar in queries::similar_in_kelurahan(
        conn,
        household.region_code.as_str(),
        input.birth_date,
        &input.name,
        except,
    )? {
        warnings.push(format!(
            "Mirip dengan {} (lahir {}) yang sudah tercatat di kelurahan ini, rumah tangga #{}.",
            similar.name,
            similar.birth_date.format("%d-%m-%Y"),
            similar.household_id
        ));
    }
    Ok((errors, warnings))
}

/// Out-of-area NIK hints one user may get in an hour: each one says a NIK is registered
/// somewhere, so they are counted and audited, and past this the hint is withheld.
const ELSEWHERE_HINTS_PER_HOUR: i64 = 10;

/// The hint for a NIK recorded outside the user's areas, audited against the member it names.
fn elsewhere_hint(
    conn: &mut DbConnection,
    user: &CurrentUser,
    member_id: i32,
) -> Result<String, AppError> {
    const ACTION: &str = "member.nik_elsewhere";
    let since = crate::db::now() - chrono::Duration::hours(1);
    let recent = crate::audit::count_by_actor_since(conn, user.id, ACTION, since)?;
    crate::audit::record(
        conn,
        Some(user.id),
        ACTION,
        "member",
        &member_id.to_string(),
        if recent >= ELSEWHERE_HINTS_PER_HOUR {
            "withheld"
        } else {
            ""
        },
    )?;
    Ok(if recent >= ELSEWHERE_HINTS_PER_HOUR {
        "NIK ini tidak dapat diperiksa sekarang: terlalu banyak NIK dari wilayah lain dalam satu \
         jam. Coba lagi nanti atau hubungi supervisor."
            .into()
    } else {
        "NIK ini sudah tercatat di kelurahan/desa lain (di luar wilayah Anda).".into()
    })
}

enum Saved {
    Done(String),
    Invalid(FieldErrors, Vec<String>),
}

/// Validates, checks against existing records, and saves once per submission key.
async fn save(
    db: &Db,
    user: &CurrentUser,
    household: &Household,
    form: &MemberForm,
    existing: Option<Member>,
) -> Result<Saved, AppError> {
    let input = match form.validate(today()) {
        Ok(input) => input,
        Err(errors) => return Ok(Saved::Invalid(errors, Vec::new())),
    };
    // Becoming active is what the field reports and a supervisor verifies; an edit cannot do it.
    if let Some(before) = &existing
        && before.status != MemberStatus::Active
        && input.status == MemberStatus::Active
    {
        let mut errors = FieldErrors::default();
        errors.add(
            "status",
            "Status aktif hanya berubah lewat verifikasi: catat kunjungan dengan tindakan reaktivasi.",
        );
        return Ok(Saved::Invalid(errors, Vec::new()));
    }
    let user = user.clone();
    let household = household.clone();
    let confirmed = checked(&form.confirm_warnings);
    let key = form.submission_key.clone();
    db.run(move |conn| {
        if let Some(path) = submissions::previous(conn, key.trim(), user.id)? {
            return Ok(Saved::Done(path));
        }
        let except = existing.as_ref().map(|m| m.id);
        let (errors, warnings) = check_against_records(conn, &user, &household, &input, except)?;
        if !errors.is_empty() || (!warnings.is_empty() && !confirmed) {
            return Ok(Saved::Invalid(errors, warnings));
        }
        let outcome = submissions::once(conn, &key, user.id, |conn| {
            let result = match &existing {
                Some(before) => queries::update(conn, before, &input, &user).map(|_| before.id),
                None => queries::create(conn, household.id, &input, &user),
            };
            match result {
                Ok(id) => Ok(Ok(format!("/anggota/{id}"))),
                // Two people saving the same NIK at once: the second gets the field error.
                Err(e) if submissions::is_unique_violation(&e) => {
                    let mut errors = FieldErrors::default();
                    errors.add("nik", "NIK ini baru saja dicatat untuk anggota lain.");
                    Ok(Err(errors))
                }
                Err(e) => Err(e.into()),
            }
        })?;
        Ok(match outcome {
            Submitted::First(path) | Submitted::Repeat(path) => Saved::Done(path),
            Submitted::Rejected(errors) => Saved::Invalid(errors, Vec::new()),
        })
    })
    .await
}

async fn create(
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    form: web::Form<MemberForm>,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let household = household_queries::load_visible(&db, &user, *id).await?;
    let form = form.into_inner();
    match save(&db, &user, &household, &form, None).await? {
        Saved::Done(path) => {
            session::set_flash(&session, "Anggota disimpan.");
            Ok(see_other(&path))
        }
        Saved::Invalid(errors, warnings) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &FormPage::new(&req, household, None, form, errors, warnings),
        ),
    }
}

async fn load_member(
    db: &Db,
    user: &CurrentUser,
    id: i32,
) -> Result<(Member, Household), AppError> {
    let user = user.clone();
    db.run(move |conn| {
        let (member, _) = queries::find_visible(conn, &user, id)?.ok_or(AppError::NotFound)?;
        let household = household_queries::find_visible(conn, &user, member.household_id)?
            .ok_or(AppError::NotFound)?;
        Ok((member, household))
    })
    .await
}

fn form_from(member: &Member) -> MemberForm {
    MemberForm {
        nik: member.nik.clone().unwrap_or_default(),
        nik_unknown: if member.nik.is_none() {
            "on".into()
        } else {
            String::new()
        },
        name: member.name.clone(),
        sex: member.sex.as_str().into(),
        birth_date: member.birth_date.format("%Y-%m-%d").to_string(),
        relationship: member.relationship.as_str().into(),
        jkn_number: member.jkn_number.clone().unwrap_or_default(),
        segment: member.segment.as_str().into(),
        class: member.class.map(|c| c.as_str().into()).unwrap_or_default(),
        status: member.status.as_str().into(),
        inactive_reason: member
            .inactive_reason
            .map(|r| r.as_str().into())
            .unwrap_or_default(),
        confirm_warnings: String::new(),
        submission_key: submissions::new_key(),
    }
}

async fn edit_form(
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let (member, household) = load_member(&db, &user, *id).await?;
    let form = form_from(&member);
    render(
        StatusCode::OK,
        &FormPage::new(
            &req,
            household,
            Some(member.id),
            form,
            FieldErrors::default(),
            Vec::new(),
        ),
    )
}

async fn update(
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    form: web::Form<MemberForm>,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let (member, household) = load_member(&db, &user, *id).await?;
    let form = form.into_inner();
    let member_id = member.id;
    match save(&db, &user, &household, &form, Some(member)).await? {
        Saved::Done(path) => {
            session::set_flash(&session, "Perubahan disimpan.");
            Ok(see_other(&path))
        }
        Saved::Invalid(errors, warnings) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &FormPage::new(&req, household, Some(member_id), form, errors, warnings),
        ),
    }
}

/// How a member's NIK appears to the viewer (UU 27/2022): in full to the agents and kader who
/// work the member's kelurahan, masked to everyone else; supervisors and admins may ask for it
/// in full, and each time is audited.
pub enum NikView {
    Unknown,
    Full(String),
    Masked { masked: String, can_reveal: bool },
}

impl NikView {
    fn for_user(user: &CurrentUser, nik: Option<&str>, revealed: bool) -> Self {
        let Some(nik) = nik else {
            return NikView::Unknown;
        };
        let role = user.role;
        if policy::RECORD_FIELDWORK.admits(role) || (revealed && policy::REVEAL_NIK.admits(role)) {
            NikView::Full(nik.to_string())
        } else {
            NikView::Masked {
                masked: mask(nik),
                can_reveal: policy::REVEAL_NIK.admits(role),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "members/show.html")]
struct ShowPage {
    page: Page,
    member: Member,
    household: Household,
    nik: NikView,
    nik_sex_mismatch: bool,
    can_edit: bool,
    can_correct: bool,
    /// When and why the member was marked as entered by mistake.
    mistaken: Option<(chrono::NaiveDateTime, Option<String>)>,
    can_list_viewers: bool,
    history: Vec<crate::visits::queries::MemberVisitRow>,
    claims: Vec<crate::reactivations::queries::ClaimRow>,
    roster: Vec<super::history::HistoryRow>,
    /// What coming back costs, for a mandiri member.
    costs: Option<crate::contributions::panel::Panel>,
}

async fn show(
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    db: web::Data<Db>,
    views: web::Data<ViewLog>,
) -> Result<HttpResponse, AppError> {
    let (member, household) = load_member(&db, &user, *id).await?;
    views.record(user.id, "member.view", "member", &member.id.to_string());
    member_page(&req, &db, user, member, household, false).await
}

/// The member page with the NIK in full, for a supervisor or admin who asked (audited now,
/// not batched: a reveal is rare and is the access that matters most).
async fn reveal_nik(
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let (member, household) = load_member(&db, &user, *id).await?;
    let (actor, member_id) = (user.id, member.id);
    db.run(move |conn| {
        Ok(crate::audit::record(
            conn,
            Some(actor),
            "member.nik_reveal",
            "member",
            &member_id.to_string(),
            "",
        )?)
    })
    .await?;
    member_page(&req, &db, user, member, household, true).await
}

async fn member_page(
    req: &HttpRequest,
    db: &Db,
    user: CurrentUser,
    member: Member,
    household: Household,
    revealed: bool,
) -> Result<HttpResponse, AppError> {
    let member_id = member.id;
    let day = crate::web::today();
    let viewer = user.clone();
    let (history, claims, roster, rules, arrears, can_correct, mistaken) = db
        .run(move |conn| {
            Ok((
                crate::visits::queries::for_member(conn, member_id)?,
                crate::reactivations::queries::for_member(conn, member_id)?,
                super::history::history_of(conn, member_id)?,
                crate::contributions::queries::rules_on(conn, day)?,
                crate::contributions::queries::listed_arrears(conn, member_id)?,
                super::corrections::find_correctable(conn, &viewer, member_id, crate::db::now())?
                    .is_some(),
                super::corrections::mistaken(conn, member_id)?,
            ))
        })
        .await?;
    let costs = crate::contributions::panel::for_member(
        &rules,
        &member.name,
        member.segment,
        member.class,
        req.query_string(),
        arrears.as_ref(),
        day,
    );
    let nik_sex_mismatch = member
        .nik
        .as_deref()
        .and_then(|n| Nik::parse(n).ok())
        .is_some_and(|n| n.sex() != member.sex);
    render(
        StatusCode::OK,
        &ShowPage {
            page: Page::from_request(req),
            nik: NikView::for_user(&user, member.nik.as_deref(), revealed),
            nik_sex_mismatch,
            can_edit: user.records_fieldwork() && mistaken.is_none(),
            can_correct,
            mistaken,
            can_list_viewers: user.sees_everything(),
            member,
            household,
            history,
            claims,
            roster,
            costs,
        },
    )
}

#[derive(Template)]
#[template(path = "members/viewers.html")]
struct ViewersPage {
    page: Page,
    member: Member,
    views: Vec<crate::audit::Access>,
}

/// Who viewed a member's page or asked for the NIK, newest first (admins).
async fn viewers(
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    db: web::Data<Db>,
    views: web::Data<ViewLog>,
) -> Result<HttpResponse, AppError> {
    let (member, _) = load_member(&db, &user, *id).await?;
    let member_id = member.id.to_string();
    let views = views.into_inner();
    let list = db
        .run(move |conn| {
            views.flush(conn)?;
            Ok(crate::audit::accesses(conn, "member", &member_id, 500)?)
        })
        .await?;
    render(
        StatusCode::OK,
        &ViewersPage {
            page: Page::from_request(&req),
            member,
            views: list,
        },
    )
}
