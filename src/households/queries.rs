//! Household storage, always within the user's areas: a household outside them does not exist
//! for that user (404).

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use super::Household;
use super::forms::HouseholdInput;
use crate::audit;
use crate::auth::CurrentUser;
use crate::db::schema::{figures, households, member_history, members};
use crate::db::{Backend, Db, DbConnection, now};
use crate::error::AppError;
use crate::regions::queries::escape_like;
use crate::within_areas;

pub type Boxed<'a> = households::BoxedQuery<'a, Backend>;

/// Households this user may see.
pub fn visible<'a>(user: &CurrentUser) -> Boxed<'a> {
    let query = households::table.into_boxed();
    if user.sees_everything() {
        query
    } else {
        query.filter(within_areas!(households::region_code, user.area_codes()))
    }
}

pub fn find_visible(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i32,
) -> QueryResult<Option<Household>> {
    visible(user)
        .filter(households::id.eq(id))
        .select(Household::as_select())
        .first(conn)
        .optional()
}

/// A household in a list, with its head of family's name.
pub struct HouseholdRow {
    pub household: Household,
    pub head_name: Option<String>,
    pub member_count: i64,
    /// In a kelurahan the BPJS roster covers, yet no member of it is in the roster.
    pub not_in_roster: bool,
    /// On a worklist: why the household is there (its priority members and what bringing
    /// them back costs today).
    pub why: Option<String>,
}

pub const PAGE_SIZE: i64 = 20;

/// Search by Nomor KK or NIK (16 digits), RT/RW (`3/5`), or part of the address, landmark or a
/// member's name. Results only from the user's areas, newest first.
pub fn search(
    conn: &mut DbConnection,
    user: &CurrentUser,
    raw_query: &str,
    page: i64,
) -> QueryResult<(Vec<HouseholdRow>, i64)> {
    let query = raw_query.trim();
    let filtered = || {
        let mut q = visible(user);
        let digits: String = query
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-'))
            .collect();
        if digits.len() == 16 && digits.bytes().all(|b| b.is_ascii_digit()) {
            let by_nik = members::table
                .filter(members::nik.eq(digits.clone()))
                .select(members::household_id);
            q = q.filter(
                households::nomor_kk
                    .eq(digits.clone())
                    .or(households::id.eq_any(by_nik)),
            );
        } else if let Some((rt, rw)) = parse_rt_rw_query(query) {
            q = q.filter(households::rt.eq(rt));
            if let Some(rw) = rw {
                q = q.filter(households::rw.eq(rw));
            }
        } else if !query.is_empty() {
            let pattern = format!("%{}%", escape_like(&query.to_lowercase()));
            // Members are searched only within the households the area filter already chose:
            // the name pattern cannot use an index, the household id can.
            let member_named = diesel::dsl::sql::<diesel::sql_types::Bool>(
                "EXISTS (SELECT 1 FROM members m WHERE m.household_id = households.id AND m.name_search LIKE ",
            )
            .bind::<diesel::sql_types::Text, _>(pattern.clone())
            .sql(" ESCAPE '\\')");
            q = q.filter(
                households::search_text
                    .like(pattern)
                    .escape('\\')
                    .or(member_named),
            );
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .select(Household::as_select())
        .order(households::id.desc())
        .offset((page.max(1) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .load(conn)?;
    Ok((with_heads(conn, rows)?, total))
}

/// "3/5", "RT 3 RW 5", "rt 3" → ("003", Some("005")).
fn parse_rt_rw_query(query: &str) -> Option<(String, Option<String>)> {
    let lower = query.to_lowercase();
    let cleaned = lower.replace("rt", " ").replace("rw", "/");
    let parts: Vec<&str> = cleaned
        .split(|c: char| c == '/' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    let looks_like = lower.starts_with("rt") || query.contains('/');
    if !looks_like || parts.is_empty() || parts.len() > 2 {
        return None;
    }
    let rt = super::forms::normalize_rt_rw(parts[0]).ok()?;
    let rw = match parts.get(1) {
        Some(p) => Some(super::forms::normalize_rt_rw(p).ok()?),
        None => None,
    };
    Some((rt, rw))
}

/// Adds each household's head name and member count, in two queries for the whole page.
pub fn with_heads(
    conn: &mut DbConnection,
    households: Vec<Household>,
) -> QueryResult<Vec<HouseholdRow>> {
    let ids: Vec<i32> = households.iter().map(|h| h.id).collect();
    let heads: HashMap<i32, String> = members::table
        .filter(members::household_id.eq_any(&ids))
        .filter(members::mistaken_at.is_null())
        .filter(members::relationship.eq("kepala_keluarga"))
        .select((members::household_id, members::name))
        .load::<(i32, String)>(conn)?
        .into_iter()
        .collect();
    let counts: HashMap<i32, i64> = members::table
        .filter(members::household_id.eq_any(&ids))
        .filter(members::mistaken_at.is_null())
        .group_by(members::household_id)
        .select((members::household_id, diesel::dsl::count_star()))
        .load::<(i32, i64)>(conn)?
        .into_iter()
        .collect();
    let keys: Vec<(i32, &str)> = households
        .iter()
        .map(|h| (h.id, h.region_code.as_str()))
        .collect();
    let unknown_to_bpjs = not_in_roster(conn, &keys)?;
    Ok(households
        .into_iter()
        .map(|household| HouseholdRow {
            head_name: heads.get(&household.id).cloned(),
            member_count: counts.get(&household.id).copied().unwrap_or(0),
            not_in_roster: unknown_to_bpjs.contains(&household.id),
            why: None,
            household,
        })
        .collect())
}

fn search_text(input: &HouseholdInput) -> String {
    format!("{} {}", input.address, input.landmark).to_lowercase()
}

pub fn create(
    conn: &mut DbConnection,
    input: &HouseholdInput,
    user: &CurrentUser,
) -> QueryResult<i32> {
    let at = now();
    let id: i32 = crate::with_backend!(conn, c => diesel::insert_into(households::table)
        .values((
            households::region_code.eq(&input.region_code),
            households::rt.eq(&input.rt),
            households::rw.eq(&input.rw),
            households::address.eq(&input.address),
            households::nomor_kk.eq(&input.nomor_kk),
            households::landmark.eq(&input.landmark),
            households::search_text.eq(search_text(input)),
            households::open_members.eq(0),
            households::priority_members.eq(0),
            households::created_by.eq(user.id),
            households::created_at.eq(at),
            households::updated_at.eq(at),
        ))
        .returning(households::id)
        .get_result(c))?;
    audit::record(
        conn,
        Some(user.id),
        "household.create",
        "household",
        &id.to_string(),
        &format!(
            "region={} rt={} rw={}",
            input.region_code, input.rt, input.rw
        ),
    )?;
    Ok(id)
}

pub fn update(
    conn: &mut DbConnection,
    before: &Household,
    input: &HouseholdInput,
    user: &CurrentUser,
) -> QueryResult<()> {
    diesel::update(households::table.find(before.id))
        .set((
            households::region_code.eq(&input.region_code),
            households::rt.eq(&input.rt),
            households::rw.eq(&input.rw),
            households::address.eq(&input.address),
            households::nomor_kk.eq(&input.nomor_kk),
            households::landmark.eq(&input.landmark),
            households::search_text.eq(search_text(input)),
            households::updated_at.eq(now()),
        ))
        .execute(conn)?;
    let mut changes = Vec::new();
    if before.region_code.as_str() != input.region_code {
        changes.push(format!(
            "region {} → {}",
            before.region_code, input.region_code
        ));
    }
    if before.rt != input.rt || before.rw != input.rw {
        changes.push(format!(
            "rt/rw {}/{} → {}/{}",
            before.rt, before.rw, input.rt, input.rw
        ));
    }
    if before.address != input.address {
        changes.push("address changed".into());
    }
    if before.landmark != input.landmark {
        changes.push("landmark changed".into());
    }
    // The KK number changes when a family splits or moves: the trail keeps the old one.
    if before.nomor_kk != input.nomor_kk {
        changes.push(format!(
            "nomor_kk {} → {}",
            before.nomor_kk.as_deref().unwrap_or("-"),
            input.nomor_kk.as_deref().unwrap_or("-")
        ));
    }
    if !changes.is_empty() {
        audit::record(
            conn,
            Some(user.id),
            "household.update",
            "household",
            &before.id.to_string(),
            &changes.join("; "),
        )?;
    }
    Ok(())
}

/// Recomputes a household's worklist counts and place from its members (a household has a
/// handful).
pub fn refresh_counts(conn: &mut DbConnection, household_id: i32) -> QueryResult<()> {
    let mut ids = foldhash::HashSet::default();
    ids.insert(household_id);
    super::recount::refresh_households(conn, &ids)
}

/// The next households to visit in these areas: those with inactive or unregistered members,
/// mandiri arrears and removed PBI first, then never visited, then longest since the last visit.
pub fn worklist(
    conn: &mut DbConnection,
    user: &CurrentUser,
    limit: i64,
) -> QueryResult<Vec<HouseholdRow>> {
    use crate::db::schema::household_assignments;
    // Households a supervisor gave to someone else are theirs to visit.
    let given_to_others = household_assignments::table
        .filter(household_assignments::user_id.ne(user.id))
        .select(household_assignments::household_id);
    let rows = visible(user)
        .filter(households::worklist_rank.lt(super::NOT_ON_WORKLIST))
        .filter(households::id.ne_all(given_to_others))
        .order((households::worklist_rank.asc(), households::id.asc()))
        .select(Household::as_select())
        .limit(limit)
        .load(conn)?;
    let mut rows = with_heads(conn, rows)?;
    explain(conn, rows.iter_mut())?;
    Ok(rows)
}

/// Says why each of these worklist households is on the list: two queries for all of them.
fn explain<'r>(
    conn: &mut DbConnection,
    rows: impl Iterator<Item = &'r mut HouseholdRow>,
) -> QueryResult<()> {
    let mut rows: Vec<&mut HouseholdRow> =
        rows.filter(|r| r.household.priority_members > 0).collect();
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<i32> = rows.iter().map(|r| r.household.id).collect();
    let listed = super::reach::members_of(conn, &ids)?;
    let pricing = super::reach::Pricing::load(conn)?;
    let reach = super::reach::of_households(conn, &listed, &pricing)?;
    for row in rows.iter_mut() {
        row.why = reach
            .get(&row.household.id)
            .map(super::reach::Reach::reason)
            .filter(|w| !w.is_empty());
    }
    Ok(())
}

/// The worklist of one kelurahan: households with members to bring in, in worklist order, with
/// the name of the field worker each is assigned to. With `only_for`, the households of that
/// worker and the unassigned ones (a field worker's own view).
pub fn worklist_in(
    conn: &mut DbConnection,
    region_code: &str,
    only_for: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<(HouseholdRow, Option<String>)>> {
    use crate::db::schema::{household_assignments, users};
    let mut q = households::table
        .left_join(household_assignments::table.left_join(users::table))
        .filter(households::region_code.eq(region_code))
        .filter(households::worklist_rank.lt(super::NOT_ON_WORKLIST))
        .into_boxed();
    if let Some(user_id) = only_for {
        q = q.filter(
            household_assignments::user_id
                .is_null()
                .or(household_assignments::user_id.eq(user_id)),
        );
    }
    let rows: Vec<(Household, Option<String>)> = q
        .order((households::worklist_rank.asc(), households::id.asc()))
        .select((Household::as_select(), users::full_name.nullable()))
        .limit(limit)
        .load(conn)?;
    let (households, names): (Vec<Household>, Vec<Option<String>>) = rows.into_iter().unzip();
    let mut rows = with_heads(conn, households)?;
    explain(conn, rows.iter_mut())?;
    Ok(rows.into_iter().zip(names).collect())
}

/// Of these households (id, kelurahan), those in a kelurahan a roster has covered but none of
/// whose members any roster listed: the field found them, BPJS does not know them.
pub fn not_in_roster(
    conn: &mut DbConnection,
    households: &[(i32, &str)],
) -> QueryResult<HashSet<i32>> {
    if households.is_empty() {
        return Ok(HashSet::new());
    }
    let mut codes: Vec<&str> = households.iter().map(|(_, c)| *c).collect();
    codes.sort_unstable();
    codes.dedup();
    let covered: HashSet<String> = figures::table
        .filter(figures::region_code.eq_any(&codes))
        .filter(figures::source.eq("roster"))
        .select(figures::region_code)
        .distinct()
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let candidates: Vec<i32> = households
        .iter()
        .filter(|(_, code)| covered.contains(*code))
        .map(|(id, _)| *id)
        .collect();
    if candidates.is_empty() {
        return Ok(HashSet::new());
    }
    let listed: HashSet<i32> = member_history::table
        .inner_join(members::table)
        .filter(members::household_id.eq_any(&candidates))
        .filter(member_history::import_id.is_not_null())
        .select(members::household_id)
        .distinct()
        .load::<i32>(conn)?
        .into_iter()
        .collect();
    Ok(candidates
        .into_iter()
        .filter(|id| !listed.contains(id))
        .collect())
}

/// A household the user may see, or the 404 page (shared by the household and member pages).
pub async fn load_visible(db: &Db, user: &CurrentUser, id: i32) -> Result<Household, AppError> {
    let user = user.clone();
    db.run(move |conn| find_visible(conn, &user, id)?.ok_or(AppError::NotFound))
        .await
}

#[cfg(test)]
mod tests {
    use super::parse_rt_rw_query;

    #[test]
    fn reads_rt_rw_queries() {
        assert_eq!(
            parse_rt_rw_query("3/5"),
            Some(("003".into(), Some("005".into())))
        );
        assert_eq!(
            parse_rt_rw_query("RT 3 RW 12"),
            Some(("003".into(), Some("012".into())))
        );
        assert_eq!(parse_rt_rw_query("rt 7"), Some(("007".into(), None)));
        assert_eq!(parse_rt_rw_query("Jl. Dago"), None);
        assert_eq!(parse_rt_rw_query("12"), None);
    }
}
