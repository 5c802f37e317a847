//! Signing in and out: password hashing, login throttling, server-side sessions, and the
//! signed-in user every handler works with.

pub mod address;
pub mod gate;
pub mod login;
pub mod password;
pub mod routes;
pub mod sessions;
pub mod throttle;
pub mod token_routes;
pub mod tokens;

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::error::AppError;
use crate::regions::{Region, RegionCode};
use crate::users::Role;

/// The signed-in user, loaded once per request by the access middleware.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: i32,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub areas: Vec<Region>,
    pub must_change_password: bool,
    pub session_token_hash: String,
}

impl CurrentUser {
    /// A user as the application sees them after login (for work done outside a request,
    /// such as seeding the demo).
    pub fn load(
        conn: &mut crate::db::DbConnection,
        username: &str,
    ) -> diesel::QueryResult<Option<CurrentUser>> {
        let Some(user) = crate::users::queries::find_by_username(conn, username)? else {
            return Ok(None);
        };
        let Some(role) = user.role() else {
            return Ok(None);
        };
        let areas = crate::users::queries::areas(conn, user.id)?;
        Ok(Some(CurrentUser {
            id: user.id,
            username: user.username,
            full_name: user.full_name,
            role,
            areas,
            must_change_password: user.must_change_password,
            session_token_hash: String::new(),
        }))
    }

    /// Users who see the whole country (no area filter in queries).
    pub fn sees_everything(&self) -> bool {
        crate::web::policy::SEE_ALL_AREAS.admits(self.role)
    }

    /// Agents and kader record field work; everyone else only reads it.
    pub fn records_fieldwork(&self) -> bool {
        crate::web::policy::RECORD_FIELDWORK.admits(self.role)
    }

    pub fn area_codes(&self) -> Vec<String> {
        self.areas.iter().map(|a| a.code.clone()).collect()
    }

    /// Whether a region lies in this user's areas (admins cover the whole country).
    pub fn covers(&self, code: &str) -> bool {
        self.sees_everything()
            || self
                .areas
                .iter()
                .any(|area| RegionCode::parse(&area.code).is_some_and(|area| area.contains(code)))
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<CurrentUser>()
                .cloned()
                .ok_or(AppError::Unauthorized),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, areas: &[&str]) -> CurrentUser {
        CurrentUser {
            id: 1,
            username: "u".into(),
            full_name: "U".into(),
            role,
            areas: areas
                .iter()
                .map(|code| Region {
                    code: code.to_string(),
                    name: String::new(),
                    level: String::new(),
                    parent_code: None,
                })
                .collect(),
            must_change_password: false,
            session_token_hash: String::new(),
        }
    }

    #[test]
    fn scope_is_the_code_prefix() {
        let agent = user(Role::Agent, &["32.73.01.1001"]);
        assert!(agent.covers("32.73.01.1001"));
        assert!(!agent.covers("32.73.01.1002"));
        assert!(!agent.covers("32.73.01"));
        let supervisor = user(Role::Supervisor, &["32.73", "33.17.01"]);
        assert!(supervisor.covers("32.73.30.1001"));
        assert!(supervisor.covers("33.17.01.2001"));
        assert!(!supervisor.covers("33.17.02.2001"));
        assert!(user(Role::Admin, &[]).covers("91.03.01.3001"));
    }
}
