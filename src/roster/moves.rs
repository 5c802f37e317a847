//! Possible moves: roster rows whose NIK or card number belongs to a member living outside the
//! importer's areas. Such a row is not applied; it is held (`roster_held_moves`, state
//! `ditahan`) with the fields it carried, and the uploader learns only that its line was held.
//! Someone who covers both the member's kelurahan and the row's (an admin, or a supervisor of
//! both) accepts it, which applies the row as an import of theirs would, or rejects it.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use diesel::prelude::*;

use super::batch;
use super::import::Importer;
use super::{MoveState, RosterRow};
use crate::audit;
use crate::auth::CurrentUser;
use crate::db::schema::{households, members, roster_held_moves};
use crate::db::{Db, DbConnection, now, write_transaction};
use crate::error::AppError;
use crate::members::identity::{Sex, mask};
use crate::members::{Class, InactiveReason, MemberStatus, Segment};
use crate::web::page::Page;
use crate::web::routes::{Access, Routes};
use crate::web::{render, see_other, session};
use crate::within_areas;

const DECIDERS: Access = crate::web::policy::DECIDE_MOVES;
/// Held rows shown on the page, oldest first.
const PAGE_LIMIT: i64 = 200;

pub fn register(routes: &mut Routes) {
    routes
        .get("/data/pindah", DECIDERS, list)
        .post("/data/pindah/{id}/terima", DECIDERS, accept)
        .post("/data/pindah/{id}/tolak", DECIDERS, reject);
}

/// Holds these rows of import `import_id` (each with the member it matched) as possible moves.
pub(super) fn hold(
    conn: &mut DbConnection,
    import_id: i32,
    date: NaiveDate,
    items: &[(&RosterRow, i32)],
) -> QueryResult<()> {
    let at = now();
    let values: Vec<_> = items
        .iter()
        .map(|(r, member_id)| {
            (
                roster_held_moves::import_id.eq(import_id),
                roster_held_moves::line.eq(r.line as i32),
                roster_held_moves::member_id.eq(*member_id),
                roster_held_moves::nik.eq(r.nik.as_deref()),
                roster_held_moves::nomor_kk.eq(r.nomor_kk.as_deref()),
                roster_held_moves::name.eq(r.name.as_str()),
                roster_held_moves::sex.eq(r.sex.as_str()),
                roster_held_moves::birth_date.eq(r.birth_date),
                roster_held_moves::region_code.eq(r.region_code.as_str()),
                roster_held_moves::rt.eq(r.rt.as_str()),
                roster_held_moves::rw.eq(r.rw.as_str()),
                roster_held_moves::address.eq(r.address.as_str()),
                roster_held_moves::jkn_number.eq(r.jkn_number.as_deref()),
                roster_held_moves::segment.eq(r.segment.as_str()),
                roster_held_moves::class.eq(r.class.map(|c| c.as_str())),
                roster_held_moves::status.eq(r.status.as_str()),
                roster_held_moves::inactive_reason.eq(r.inactive_reason.map(|x| x.as_str())),
                roster_held_moves::extract_date.eq(date),
                roster_held_moves::state.eq(MoveState::Held),
                roster_held_moves::created_at.eq(at),
            )
        })
        .collect();
    for part in values.chunks(500) {
        crate::with_backend!(conn, c => diesel::insert_into(roster_held_moves::table)
            .values(part)
            .execute(c))?;
    }
    Ok(())
}

/// The file lines an import held, in order: all the uploader is told about them.
pub fn held_lines(conn: &mut DbConnection, import_id: i32, limit: i64) -> QueryResult<Vec<i32>> {
    roster_held_moves::table
        .filter(roster_held_moves::import_id.eq(import_id))
        .order(roster_held_moves::line)
        .select(roster_held_moves::line)
        .limit(limit)
        .load(conn)
}

/// A held row with where its member lives now.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = roster_held_moves)]
pub struct HeldMove {
    pub id: i32,
    pub import_id: i32,
    pub line: i32,
    pub member_id: i32,
    pub nik: Option<String>,
    pub nomor_kk: Option<String>,
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub region_code: String,
    pub rt: String,
    pub rw: String,
    pub address: String,
    pub jkn_number: Option<String>,
    pub segment: Segment,
    pub class: Option<Class>,
    pub status: MemberStatus,
    pub inactive_reason: Option<InactiveReason>,
    pub extract_date: NaiveDate,
    pub state: MoveState,
    /// The kelurahan of the member's household.
    #[diesel(select_expression = households::region_code)]
    #[diesel(select_expression_type = households::region_code)]
    pub current_region: String,
}

impl HeldMove {
    /// The row as the import read it.
    fn to_row(&self) -> Option<RosterRow> {
        Some(RosterRow {
            line: usize::try_from(self.line).ok()?,
            nik: self.nik.clone(),
            nomor_kk: self.nomor_kk.clone(),
            name: self.name.clone(),
            sex: self.sex,
            birth_date: self.birth_date,
            region_code: self.region_code.clone(),
            rt: self.rt.clone(),
            rw: self.rw.clone(),
            address: self.address.clone(),
            jkn_number: self.jkn_number.clone(),
            segment: self.segment,
            class: self.class,
            status: self.status,
            inactive_reason: self.inactive_reason,
            // Held rows are of members matched already; the member's id is checked again.
            id_damaged: false,
            // Arrears are the extract's, kept with the import; a held row does not carry them.
            arrears_months: None,
            arrears_amount: None,
            // Nor the village-official mark: the next extract listing the member gives it.
            village_official: false,
        })
    }

    pub fn masked_nik(&self) -> String {
        self.nik.as_deref().map(mask).unwrap_or_else(|| "-".into())
    }
}

/// Held rows the user may decide, selecting `$select`: all for an admin; for a supervisor,
/// those where they cover both the member's kelurahan and the row's.
macro_rules! visible {
    ($user:expr, $select:expr) => {{
        let user: &CurrentUser = $user;
        let q = roster_held_moves::table
            .inner_join(members::table.inner_join(households::table))
            .select($select)
            .into_boxed();
        if user.sees_everything() {
            q
        } else {
            q.filter(within_areas!(households::region_code, user.area_codes()))
                .filter(within_areas!(
                    roster_held_moves::region_code,
                    user.area_codes()
                ))
        }
    }};
}

/// The held rows waiting for a decision that the user may decide, oldest first, and their count.
pub fn pending_for(
    conn: &mut DbConnection,
    user: &CurrentUser,
    limit: i64,
) -> QueryResult<(Vec<HeldMove>, i64)> {
    let rows = visible!(user, HeldMove::as_select())
        .filter(roster_held_moves::state.eq(MoveState::Held))
        .order(roster_held_moves::id)
        .limit(limit)
        .load::<HeldMove>(conn)?;
    let total = visible!(user, diesel::dsl::count_star())
        .filter(roster_held_moves::state.eq(MoveState::Held))
        .get_result::<i64>(conn)?;
    Ok((rows, total))
}

/// How a decision went.
#[derive(Debug, PartialEq, Eq)]
pub enum Decided {
    Done,
    /// Someone decided it before: nothing changed.
    Already,
}

enum DecideError {
    App(AppError),
    /// The member no longer matches the row (NIK changed, moved meanwhile): nothing changed.
    Stale,
}

impl From<diesel::result::Error> for DecideError {
    fn from(e: diesel::result::Error) -> Self {
        DecideError::App(e.into())
    }
}

/// Accepts (applies the row to its member) or rejects held row `id`, in one transaction.
/// A row the user may not decide is not found.
pub fn decide(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i32,
    accept: bool,
) -> Result<Decided, AppError> {
    let outcome = write_transaction(conn, |conn| {
        let Some(held) = visible!(user, HeldMove::as_select())
            .filter(roster_held_moves::id.eq(id))
            .first::<HeldMove>(conn)
            .optional()?
        else {
            return Err(DecideError::App(AppError::NotFound));
        };
        let updated = diesel::update(
            roster_held_moves::table
                .filter(roster_held_moves::id.eq(id))
                .filter(roster_held_moves::state.eq(MoveState::Held)),
        )
        .set((
            roster_held_moves::state.eq(if accept {
                MoveState::Accepted
            } else {
                MoveState::Rejected
            }),
            roster_held_moves::decided_by.eq(user.id),
            roster_held_moves::decided_at.eq(now()),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Ok(Decided::Already);
        }
        if accept {
            let row = held.to_row().ok_or(DecideError::Stale)?;
            let importer = Importer { user: Some(user) };
            let applied = batch::apply_row(
                conn,
                row,
                held.member_id,
                held.extract_date,
                held.import_id,
                &importer,
            )?;
            if !applied {
                return Err(DecideError::Stale);
            }
        }
        audit::record(
            conn,
            Some(user.id),
            if accept {
                "roster.move_accept"
            } else {
                "roster.move_reject"
            },
            "member",
            &held.member_id.to_string(),
            &format!(
                "held {id}, import {} line {}, {} -> {}, extract {}",
                held.import_id, held.line, held.current_region, held.region_code, held.extract_date
            ),
        )?;
        Ok(Decided::Done)
    });
    match outcome {
        Ok(decided) => Ok(decided),
        Err(DecideError::App(e)) => Err(e),
        Err(DecideError::Stale) => Err(AppError::Unprocessable(
            "Data peserta sudah berubah sejak baris ini ditahan, sehingga baris tidak dapat \
             diterapkan. Tolak baris ini, lalu impor ulang ekstrak yang lebih baru."
                .into(),
        )),
    }
}

#[derive(Template)]
#[template(path = "roster/moves.html")]
struct ListPage {
    page: Page,
    moves: Vec<HeldMove>,
    total: i64,
    names: std::collections::HashMap<String, String>,
}

impl ListPage {
    fn name_of(&self, code: &str) -> String {
        self.names.get(code).cloned().unwrap_or_default()
    }
}

async fn list(
    req: HttpRequest,
    user: CurrentUser,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let (moves, total, names) = db
        .run(move |conn| {
            let (moves, total) = pending_for(conn, &user, PAGE_LIMIT)?;
            let mut codes: Vec<String> = moves
                .iter()
                .flat_map(|m| [m.current_region.clone(), m.region_code.clone()])
                .collect();
            codes.sort_unstable();
            codes.dedup();
            let names = crate::regions::queries::by_codes(conn, &codes)?
                .into_iter()
                .map(|r| (r.code, r.name))
                .collect();
            Ok((moves, total, names))
        })
        .await?;
    render(
        StatusCode::OK,
        &ListPage {
            page: Page::from_request(&req),
            moves,
            total,
            names,
        },
    )
}

async fn decide_route(
    user: CurrentUser,
    path: web::Path<String>,
    db: web::Data<Db>,
    session: Session,
    accept: bool,
) -> Result<HttpResponse, AppError> {
    let id: i32 = path.parse().map_err(|_| AppError::NotFound)?;
    let decided = db.run(move |conn| decide(conn, &user, id, accept)).await?;
    let message = match (decided, accept) {
        (Decided::Already, _) => "Baris ini sudah diputuskan sebelumnya; tidak ada yang diubah.",
        (Decided::Done, true) => "Perpindahan diterima; data peserta diperbarui.",
        (Decided::Done, false) => "Perpindahan ditolak; data peserta tidak diubah.",
    };
    session::set_flash(&session, message);
    Ok(see_other("/data/pindah"))
}

async fn accept(
    user: CurrentUser,
    path: web::Path<String>,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    decide_route(user, path, db, session, true).await
}

async fn reject(
    user: CurrentUser,
    path: web::Path<String>,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    decide_route(user, path, db, session, false).await
}
