//! Who may do what: the access rule of a route (`Access`) and every role set of the application,
//! named by what its members may do. The route table, the menu (`page::Page`), and handlers and
//! queries that decide by role all ask these, so that a role set is written once.

use crate::users::Role;

/// Who may use a route (see `web::routes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone; the user is not even looked up (health check, static files).
    Public,
    /// Anyone; the signed-in user is loaded if there is one (login page).
    Guest,
    /// Any signed-in user.
    SignedIn,
    /// Signed-in users with one of these roles.
    Roles(&'static [Role]),
}

impl Access {
    pub fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Access::Public | Access::Guest, _) => true,
            (Access::SignedIn, Some(_)) => true,
            (Access::Roles(roles), Some(role)) => roles.contains(&role),
            (_, None) => false,
        }
    }

    /// Whether a signed-in user with this role passes.
    pub fn admits(self, role: Role) -> bool {
        self.allows(Some(role))
    }
}

/// The field workers: agents and kader, the only ones who record visits and claims.
pub const FIELD_WORKERS: &[Role] = &[Role::Agent, Role::Kader];

/// Record households, members and visits.
pub const RECORD_FIELDWORK: Access = Access::Roles(FIELD_WORKERS);
/// Manage users, their locks and API tokens, and read who viewed a member's data.
/// Correcting or voiding a visit: its author (a field worker, for a few days) or a supervisor;
/// which visit, the query decides (`visits::corrections`).
pub const CORRECT_VISITS: Access =
    Access::Roles(&[Role::Agent, Role::Kader, Role::Supervisor, Role::Admin]);

pub const ADMINISTER: Access = Access::Roles(&[Role::Admin]);
/// See the whole country: no area filter in queries.
pub const SEE_ALL_AREAS: Access = ADMINISTER;
/// Import figures and roster files (on the web and the command line).
pub const IMPORT_FILES: Access = Access::Roles(&[Role::Supervisor, Role::Admin]);
/// Confirm or reject field workers' reactivation claims.
pub const VERIFY_CLAIMS: Access = Access::Roles(&[Role::Supervisor, Role::Admin]);
/// Accept or reject the possible moves a roster import held.
pub const DECIDE_MOVES: Access = Access::Roles(&[Role::Supervisor, Role::Admin]);
/// Ask for a masked NIK in full (each time audited).
pub const REVEAL_NIK: Access = Access::Roles(&[Role::Supervisor, Role::Admin]);
/// Read the assignment board.
pub const READ_BOARD: Access = Access::Roles(&[Role::Office, Role::Supervisor, Role::Admin]);
/// Assign field workers to kelurahan and households to field workers.
pub const ASSIGN_WORK: Access = Access::Roles(&[Role::Supervisor, Role::Admin]);
/// Read the agent's month: field workers their own, supervisors and admins an area's.
pub const READ_RECAP: Access =
    Access::Roles(&[Role::Agent, Role::Kader, Role::Supervisor, Role::Admin]);
/// Read the Pemda's levers of an area: its quota, village officials and their board.
pub const READ_PEMDA: Access = READ_BOARD;
/// Set a kab/kota's Pemda-paid quota, read and download the Dinsos list and record Dinsos's
/// answers (the query keeps each to the user's areas).
pub const STEER_PEMDA: Access = Access::Roles(&[Role::Supervisor, Role::Admin]);
/// The full NIKs of the Dinsos list's download: the kab/kota's supervisor, who sends it to
/// Dinsos. Admins (no area of their own) get it masked like everyone else.
pub const SEND_DINSOS_NIKS: Access = Access::Roles(&[Role::Supervisor]);
/// Enter a desa/kelurahan's number of village officials and confirm them one by one: its
/// office (and admins, for corrections).
pub const ENTER_VILLAGE_OFFICIALS: Access = Access::Roles(&[Role::Office, Role::Admin]);
/// Close a month for payment and download an area's recap.
pub const CLOSE_PERIOD: Access = Access::Roles(&[Role::Supervisor, Role::Admin]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_workers_are_agents_and_kader() {
        for role in Role::ALL {
            assert_eq!(
                RECORD_FIELDWORK.admits(role),
                matches!(role, Role::Agent | Role::Kader)
            );
        }
        assert!(!IMPORT_FILES.admits(Role::Office));
        assert!(READ_BOARD.admits(Role::Office));
    }
}
