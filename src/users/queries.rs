//! User storage: lookups, listing, and the changes admins and the command line make (each with
//! its audit record, in the same transaction).

use std::collections::HashMap;

use diesel::prelude::*;

use super::Role;
use super::forms::UserInput;
use crate::audit;
use crate::db::schema::{regions, user_areas, user_sessions, users};
use crate::db::{DbConnection, lower, now, write_transaction};
use crate::regions::{Region, RegionCode};
use crate::web::forms::FieldErrors;
use crate::web::policy;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i32,
    pub username: String,
    pub full_name: String,
    pub phone: String,
    pub role: String,
    pub password_hash: String,
    pub must_change_password: bool,
    pub disabled: bool,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

impl User {
    pub fn role(&self) -> Option<Role> {
        Role::parse(&self.role)
    }

    pub fn role_label(&self) -> &'static str {
        self.role().map(Role::label).unwrap_or("?")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl SaveError {
    fn field(field: &'static str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        Self::Invalid(errors)
    }
}

pub fn find(conn: &mut DbConnection, id: i32) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn areas(conn: &mut DbConnection, user_id: i32) -> QueryResult<Vec<Region>> {
    user_areas::table
        .inner_join(regions::table)
        .filter(user_areas::user_id.eq(user_id))
        .select(Region::as_select())
        .order(regions::code)
        .load(conn)
}

/// Areas of many users in one query (for lists).
pub fn areas_for(
    conn: &mut DbConnection,
    user_ids: &[i32],
) -> QueryResult<HashMap<i32, Vec<Region>>> {
    let rows: Vec<(i32, Region)> = user_areas::table
        .inner_join(regions::table)
        .filter(user_areas::user_id.eq_any(user_ids))
        .select((user_areas::user_id, Region::as_select()))
        .order((user_areas::user_id, regions::code))
        .load(conn)?;
    let mut map: HashMap<i32, Vec<Region>> = HashMap::new();
    for (user_id, region) in rows {
        map.entry(user_id).or_default().push(region);
    }
    Ok(map)
}

/// One page of users matching `search` (username or name), with the total count.
pub fn list(
    conn: &mut DbConnection,
    search: &str,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<User>, i64)> {
    let filtered = || {
        let mut q = users::table.into_boxed();
        let search = search.trim().to_lowercase();
        if !search.is_empty() {
            let pattern = format!("%{}%", crate::regions::queries::escape_like(&search));
            q = q.filter(
                users::username
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(users::full_name).like(pattern).escape('\\')),
            );
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .select(User::as_select())
        .order(users::username)
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((rows, total))
}

pub fn count_by_role(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    users::table
        .filter(users::disabled.eq(false))
        .group_by(users::role)
        .select((users::role, diesel::dsl::count_star()))
        .order(users::role)
        .load(conn)
}

/// Checks that every code exists and suits the role; returns the regions.
fn resolve_areas(
    conn: &mut DbConnection,
    role: Role,
    codes: &[RegionCode],
) -> Result<Vec<Region>, SaveError> {
    if role == Role::Admin {
        return Ok(Vec::new());
    }
    let wanted: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
    let found = crate::regions::queries::by_codes(conn, &wanted)?;
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|code| !found.iter().any(|r| &r.code == *code))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(SaveError::field(
            "areas",
            format!("Kode wilayah tidak dikenal: {}.", missing.join(", ")),
        ));
    }
    let levels = role.area_levels();
    let unsuitable: Vec<String> = found
        .iter()
        .filter(|r| !r.level().is_some_and(|l| levels.contains(&l)))
        .map(|r| format!("{} {} ({})", r.code, r.name, r.kind_label()))
        .collect();
    if !unsuitable.is_empty() {
        return Err(SaveError::field(
            "areas",
            format!(
                "Wilayah tidak sesuai peran {}: {}. {}",
                role.label(),
                unsuitable.join(", "),
                role.area_hint()
            ),
        ));
    }
    Ok(found)
}

fn replace_areas(conn: &mut DbConnection, user_id: i32, areas: &[Region]) -> QueryResult<()> {
    diesel::delete(user_areas::table.filter(user_areas::user_id.eq(user_id))).execute(conn)?;
    for area in areas {
        diesel::insert_into(user_areas::table)
            .values((
                user_areas::user_id.eq(user_id),
                user_areas::region_code.eq(&area.code),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn codes_text(areas: &[Region]) -> String {
    areas
        .iter()
        .map(|a| a.code.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn create(
    conn: &mut DbConnection,
    input: &UserInput,
    password_hash: &str,
    must_change_password: bool,
    actor: Option<i32>,
) -> Result<i32, SaveError> {
    write_transaction(conn, |conn| {
        if find_by_username(conn, &input.username)?.is_some() {
            return Err(SaveError::field("username", "Nama pengguna sudah dipakai."));
        }
        let areas = resolve_areas(conn, input.role, &input.areas)?;
        let at = now();
        diesel::insert_into(users::table)
            .values((
                users::username.eq(&input.username),
                users::full_name.eq(&input.full_name),
                users::phone.eq(&input.phone),
                users::role.eq(input.role.as_str()),
                users::password_hash.eq(password_hash),
                users::must_change_password.eq(must_change_password),
                users::disabled.eq(false),
                users::created_at.eq(at),
                users::updated_at.eq(at),
            ))
            .execute(conn)?;
        let id: i32 = users::table
            .filter(users::username.eq(&input.username))
            .select(users::id)
            .first(conn)?;
        replace_areas(conn, id, &areas)?;
        audit::record(
            conn,
            actor,
            "user.create",
            "user",
            &id.to_string(),
            &format!(
                "username={} role={} areas={}",
                input.username,
                input.role.as_str(),
                codes_text(&areas)
            ),
        )?;
        Ok(id)
    })
}

pub fn update(
    conn: &mut DbConnection,
    id: i32,
    full_name: &str,
    phone: &str,
    role: Role,
    area_codes: &[RegionCode],
    actor: Option<i32>,
) -> Result<(), SaveError> {
    write_transaction(conn, |conn| {
        let before = find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
        if actor == Some(id) && role != Role::Admin && before.role() == Some(Role::Admin) {
            return Err(SaveError::field(
                "role",
                "Anda tidak dapat mencabut peran admin Anda sendiri.",
            ));
        }
        let areas = resolve_areas(conn, role, area_codes)?;
        let old_areas = codes_text(&self::areas(conn, id)?);
        diesel::update(users::table.find(id))
            .set((
                users::full_name.eq(full_name),
                users::phone.eq(phone),
                users::role.eq(role.as_str()),
                users::updated_at.eq(now()),
            ))
            .execute(conn)?;
        replace_areas(conn, id, &areas)?;
        let new_areas = codes_text(&areas);
        let mut changes = Vec::new();
        if before.full_name != full_name {
            changes.push("full_name changed".to_string());
        }
        if before.phone != phone {
            changes.push("phone changed".to_string());
        }
        if before.role != role.as_str() {
            changes.push(format!("role {} → {}", before.role, role.as_str()));
            crate::auth::tokens::revoke_all_for_user(conn, id, actor, "role changed")?;
        }
        if old_areas != new_areas {
            changes.push(format!("areas {old_areas} → {new_areas}"));
        }
        if !changes.is_empty() {
            audit::record(
                conn,
                actor,
                "user.update",
                "user",
                &id.to_string(),
                &changes.join("; "),
            )?;
        }
        Ok(())
    })
}

/// Disables or re-enables an account; disabling also ends its sessions and revokes its API
/// tokens (re-enabling does not bring them back).
pub fn set_disabled(
    conn: &mut DbConnection,
    id: i32,
    disabled: bool,
    actor: Option<i32>,
) -> Result<(), SaveError> {
    if disabled && actor == Some(id) {
        return Err(SaveError::field(
            "disabled",
            "Anda tidak dapat menonaktifkan akun Anda sendiri.",
        ));
    }
    write_transaction(conn, |conn| {
        let before = find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
        diesel::update(users::table.find(id))
            .set((users::disabled.eq(disabled), users::updated_at.eq(now())))
            .execute(conn)?;
        if disabled {
            end_sessions(conn, id)?;
            crate::auth::tokens::revoke_all_for_user(conn, id, actor, "account disabled")?;
        }
        if before.disabled != disabled {
            let action = if disabled {
                "user.disable"
            } else {
                "user.enable"
            };
            audit::record(conn, actor, action, "user", &id.to_string(), "")?;
        }
        Ok(())
    })
}

/// Sets a new password hash and ends every session of the user; a reset also revokes their
/// API tokens.
pub fn set_password(
    conn: &mut DbConnection,
    id: i32,
    password_hash: &str,
    must_change_password: bool,
    actor: Option<i32>,
) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        let updated = diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(password_hash),
                users::must_change_password.eq(must_change_password),
                users::updated_at.eq(now()),
            ))
            .execute(conn)?;
        if updated == 0 {
            return Err(diesel::result::Error::NotFound);
        }
        end_sessions(conn, id)?;
        // A reset (by an admin or the command line) also revokes the user's API tokens; a
        // user changing their own password keeps them (tokens are made by the operator).
        let reset = actor != Some(id);
        if reset {
            crate::auth::tokens::revoke_all_for_user(conn, id, actor, "password reset")?;
        }
        let action = if reset {
            "user.reset_password"
        } else {
            "user.change_password"
        };
        audit::record(conn, actor, action, "user", &id.to_string(), "")
    })
}

pub fn end_sessions(conn: &mut DbConnection, user_id: i32) -> QueryResult<usize> {
    diesel::delete(user_sessions::table.filter(user_sessions::user_id.eq(user_id))).execute(conn)
}

/// Validates and stores a user as the admin form would; errors name the offending field.
pub fn add_user(
    database: &crate::config::DatabaseUrl,
    form: &super::forms::NewUserForm,
    must_change_password: bool,
) -> anyhow::Result<i32> {
    let (input, password) = form.validate().map_err(|errors| {
        anyhow::anyhow!(
            "{}",
            [
                "username",
                "full_name",
                "phone",
                "role",
                "areas",
                "password"
            ]
            .iter()
            .filter_map(|f| errors.get(f).map(|e| format!("{f}: {e}")))
            .collect::<Vec<_>>()
            .join("; ")
        )
    })?;
    let hash = crate::auth::password::hash(&password)?;
    let mut conn = crate::db::establish(database)?;
    match create(&mut conn, &input, &hash, must_change_password, None) {
        Ok(id) => Ok(id),
        Err(SaveError::Invalid(errors)) => anyhow::bail!(
            "{}",
            ["username", "areas"]
                .iter()
                .filter_map(|f| errors.get(f).map(|e| format!("{f}: {e}")))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Err(SaveError::Db(e)) => Err(e.into()),
    }
}

/// The field workers' roles as stored.
pub fn field_roles() -> Vec<&'static str> {
    policy::FIELD_WORKERS.iter().map(|r| r.as_str()).collect()
}

/// Active agents and kader assigned to a kelurahan: (id, "name (role)").
pub fn field_workers_in(
    conn: &mut DbConnection,
    region_code: &str,
) -> QueryResult<Vec<(i32, String)>> {
    let rows: Vec<(i32, String, String)> = user_areas::table
        .inner_join(users::table)
        .filter(user_areas::region_code.eq(region_code))
        .filter(users::role.eq_any(field_roles()))
        .filter(users::disabled.eq(false))
        .select((users::id, users::full_name, users::role))
        .order(users::full_name)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, role)| {
            (
                id,
                format!("{name} ({})", Role::parse(&role).map_or("", Role::label)),
            )
        })
        .collect())
}
