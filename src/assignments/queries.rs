//! Assignment storage. A field worker's areas (`user_areas`) are their current assignments;
//! `assignment_history` keeps every start and end.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;

use crate::audit;
use crate::auth::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::{
    assignment_history, figures, household_assignments, households, regions, user_areas, users,
    visits,
};
use crate::progress::ratios::Figures;
use crate::regions::Region;
use crate::regions::queries::area_range;
use crate::users::Role;
use crate::users::queries::{field_roles, field_workers_in};
use crate::web::policy;

pub struct Worker {
    pub user_id: i32,
    pub name: String,
    pub phone: String,
    pub role_label: &'static str,
    pub since: Option<NaiveDate>,
}

pub struct BoardRow {
    pub region: Region,
    pub kecamatan: String,
    pub workers: Vec<Worker>,
    pub last_visit: Option<NaiveDate>,
    pub visits_this_month: i64,
    pub figures: Option<(NaiveDate, Figures)>,
    /// Keaktifan on the latest date, shown against the target in force then.
    pub activity: String,
}

/// The desa/kelurahan in the user's areas, each with its field workers, latest visit, visits
/// this month and latest figures: a handful of queries for the whole board.
pub fn board(
    conn: &mut DbConnection,
    user: &CurrentUser,
    today: NaiveDate,
) -> QueryResult<Vec<BoardRow>> {
    let mut villages: Vec<Region> = Vec::new();
    for area in user.area_codes() {
        let (low, high) = area_range(&area);
        let found: Vec<Region> = regions::table
            .filter(regions::level.eq("desa_kelurahan"))
            .filter(
                regions::code
                    .eq(&area)
                    .or(regions::code.ge(low).and(regions::code.lt(high))),
            )
            .select(Region::as_select())
            .order(regions::code)
            .load(conn)?;
        villages.extend(found);
    }
    villages.sort_by(|a, b| a.code.cmp(&b.code));
    villages.dedup_by(|a, b| a.code == b.code);
    let codes: Vec<String> = villages.iter().map(|r| r.code.clone()).collect();
    let kecamatan_codes: Vec<String> = villages
        .iter()
        .filter_map(|r| r.parent_code.clone())
        .collect();
    let kecamatan: HashMap<String, String> =
        crate::regions::queries::by_codes(conn, &kecamatan_codes)?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect();
    let worker_rows: Vec<(String, i32, String, String, String, Option<NaiveDate>)> =
        user_areas::table
            .inner_join(users::table)
            .filter(user_areas::region_code.eq_any(&codes))
            .filter(users::role.eq_any(field_roles()))
            .filter(users::disabled.eq(false))
            .select((
                user_areas::region_code,
                users::id,
                users::full_name,
                users::phone,
                users::role,
                user_areas::assigned_on,
            ))
            .order(users::full_name)
            .load(conn)?;
    let mut workers: HashMap<String, Vec<Worker>> = HashMap::new();
    for (code, user_id, name, phone, role, since) in worker_rows {
        workers.entry(code).or_default().push(Worker {
            user_id,
            name,
            phone,
            role_label: Role::parse(&role).map_or("", Role::label),
            since,
        });
    }
    let last_visits = crate::activity::last_visits(conn, &codes)?;
    let month_start = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let month_visits: HashMap<String, i64> = visits::table
        .filter(visits::region_code.eq_any(&codes))
        .filter(visits::visited_on.ge(month_start))
        .group_by(visits::region_code)
        .select((visits::region_code, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let latest: Vec<(String, Option<NaiveDate>)> = figures::table
        .filter(figures::region_code.eq_any(&codes))
        .group_by(figures::region_code)
        .select((figures::region_code, diesel::dsl::max(figures::figure_date)))
        .load(conn)?;
    let mut latest_figures: HashMap<String, (NaiveDate, Figures)> = HashMap::new();
    let mut by_date: HashMap<NaiveDate, Vec<String>> = HashMap::new();
    for (code, date) in latest {
        if let Some(date) = date {
            by_date.entry(date).or_default().push(code);
        }
    }
    for (date, codes) in by_date {
        let rows: Vec<(String, i32, i32, i32)> = figures::table
            .filter(figures::figure_date.eq(date))
            .filter(figures::region_code.eq_any(&codes))
            .select((
                figures::region_code,
                figures::population,
                figures::registered,
                figures::active,
            ))
            .load(conn)?;
        for (code, p, r, a) in rows {
            latest_figures.insert(
                code,
                (
                    date,
                    Figures {
                        population: p.into(),
                        registered: r.into(),
                        active: a.into(),
                    },
                ),
            );
        }
    }
    let thresholds = crate::progress::queries::thresholds(conn)?;
    Ok(villages
        .into_iter()
        .map(|region| BoardRow {
            activity: latest_figures
                .get(&region.code)
                .map(|(date, f)| {
                    let t = crate::progress::queries::threshold_for(&thresholds, *date);
                    crate::progress::ratios::percent(f.activity_bp(t.activity_bp))
                })
                .unwrap_or_else(|| "–".into()),
            kecamatan: region
                .parent_code
                .as_ref()
                .and_then(|p| kecamatan.get(p))
                .cloned()
                .unwrap_or_default(),
            workers: workers.remove(&region.code).unwrap_or_default(),
            last_visit: last_visits.get(&region.code).copied().flatten(),
            visits_this_month: month_visits.get(&region.code).copied().unwrap_or(0),
            figures: latest_figures.get(&region.code).copied(),
            region,
        })
        .collect())
}

#[derive(Queryable, Debug)]
pub struct HistoryRow {
    pub user_name: String,
    pub region_code: String,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
}

pub fn history(
    conn: &mut DbConnection,
    user: &CurrentUser,
    limit: i64,
) -> QueryResult<Vec<HistoryRow>> {
    let q = assignment_history::table
        .inner_join(users::table.on(users::id.eq(assignment_history::user_id)))
        .select((
            users::full_name,
            assignment_history::region_code,
            assignment_history::started_on,
            assignment_history::ended_on,
        ))
        .order(assignment_history::id.desc())
        .limit(limit)
        .into_boxed();
    if user.sees_everything() {
        q.load(conn)
    } else {
        q.filter(crate::within_areas!(
            assignment_history::region_code,
            user.area_codes()
        ))
        .load(conn)
    }
}

/// Why an assignment change was refused, in words for the page.
pub type Refusal = String;

/// A refused assignment change: the board form's field it concerns, and the message.
#[derive(Debug)]
pub struct FieldRefusal {
    pub field: &'static str,
    pub message: Refusal,
}

fn refuse(field: &'static str, message: &str) -> QueryResult<Result<(), FieldRefusal>> {
    Ok(Err(FieldRefusal {
        field,
        message: message.into(),
    }))
}

fn field_worker(
    conn: &mut DbConnection,
    user_id: i32,
) -> QueryResult<Option<crate::users::queries::User>> {
    Ok(crate::users::queries::find(conn, user_id)?
        .filter(|u| !u.disabled && u.role().is_some_and(|r| policy::RECORD_FIELDWORK.admits(r))))
}

/// Assigns a field worker to a kelurahan in the actor's area.
pub fn assign(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    user_id: i32,
    region_code: &str,
    today: NaiveDate,
) -> QueryResult<Result<(), FieldRefusal>> {
    let village = crate::regions::queries::get(conn, region_code)?.filter(|r| {
        r.level() == Some(crate::regions::Level::DesaKelurahan) && actor.covers(&r.code)
    });
    if village.is_none() {
        return refuse("region_code", "Pilih desa/kelurahan di wilayah Anda.");
    }
    if field_worker(conn, user_id)?.is_none() {
        return refuse("user_id", "Pilih agen atau kader yang aktif.");
    }
    let already = user_areas::table
        .find((user_id, region_code))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if already {
        return refuse("region_code", "Petugas ini sudah ditugaskan di sana.");
    }
    diesel::insert_into(user_areas::table)
        .values((
            user_areas::user_id.eq(user_id),
            user_areas::region_code.eq(region_code),
            user_areas::assigned_on.eq(Some(today)),
        ))
        .execute(conn)?;
    diesel::insert_into(assignment_history::table)
        .values((
            assignment_history::user_id.eq(user_id),
            assignment_history::region_code.eq(region_code),
            assignment_history::started_on.eq(today),
            assignment_history::changed_by.eq(Some(actor.id)),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        Some(actor.id),
        "assignment.start",
        "user",
        &user_id.to_string(),
        region_code,
    )?;
    Ok(Ok(()))
}

/// Ends a field worker's assignment to a kelurahan (and their worklist households there).
pub fn end(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    user_id: i32,
    region_code: &str,
    today: NaiveDate,
) -> QueryResult<Result<(), FieldRefusal>> {
    if !actor.covers(region_code) || field_worker(conn, user_id)?.is_none() {
        return refuse("region_code", "Penugasan tidak ditemukan di wilayah Anda.");
    }
    let removed = diesel::delete(user_areas::table.find((user_id, region_code))).execute(conn)?;
    if removed == 0 {
        return refuse("region_code", "Penugasan tidak ditemukan di wilayah Anda.");
    }
    diesel::update(
        assignment_history::table
            .filter(assignment_history::user_id.eq(user_id))
            .filter(assignment_history::region_code.eq(region_code))
            .filter(assignment_history::ended_on.is_null()),
    )
    .set(assignment_history::ended_on.eq(Some(today)))
    .execute(conn)?;
    let there = households::table
        .filter(households::region_code.eq(region_code))
        .select(households::id);
    diesel::delete(
        household_assignments::table
            .filter(household_assignments::user_id.eq(user_id))
            .filter(household_assignments::household_id.eq_any(there)),
    )
    .execute(conn)?;
    audit::record(
        conn,
        Some(actor.id),
        "assignment.end",
        "user",
        &user_id.to_string(),
        region_code,
    )?;
    Ok(Ok(()))
}

/// Gives a worklist household to one of the field workers of its kelurahan (`None`: to all).
pub fn assign_household(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    household_id: i32,
    user_id: Option<i32>,
    today: NaiveDate,
) -> QueryResult<Result<String, Refusal>> {
    let Some(household) = crate::households::queries::find_visible(conn, actor, household_id)?
    else {
        return Ok(Err("Rumah tangga tidak ditemukan di wilayah Anda.".into()));
    };
    // Validate before changing anything: a refused reassignment keeps the current one.
    if let Some(user_id) = user_id {
        let works_there = field_workers_in(conn, household.region_code.as_str())?
            .iter()
            .any(|(id, _)| *id == user_id);
        if !works_there {
            return Ok(Err("Petugas itu tidak ditugaskan di kelurahan ini.".into()));
        }
    }
    diesel::delete(household_assignments::table.find(household_id)).execute(conn)?;
    if let Some(user_id) = user_id {
        diesel::insert_into(household_assignments::table)
            .values((
                household_assignments::household_id.eq(household_id),
                household_assignments::user_id.eq(user_id),
                household_assignments::assigned_on.eq(today),
                household_assignments::assigned_by.eq(Some(actor.id)),
            ))
            .execute(conn)?;
    }
    audit::record(
        conn,
        Some(actor.id),
        "household.assign",
        "household",
        &household_id.to_string(),
        &user_id.map_or("unassigned".into(), |u| format!("user {u}")),
    )?;
    Ok(Ok(household.region_code.as_str().to_string()))
}
