//! Reactivation and registration claims. A member action that would make someone active is
//! *reported*; a supervisor (later also the BPJS roster) *confirms* or *rejects* it, and only a
//! confirmation makes the member active. Progress shows reported and confirmed apart.

pub mod queries;
pub mod routes;
pub mod settle;

use crate::text_enum;

text_enum! {
    pub enum ClaimKind {
        Reactivation => ("reaktivasi", "Reaktivasi"),
        Registration => ("pendaftaran", "Pendaftaran baru"),
    }
}

text_enum! {
    pub enum ClaimState {
        Reported => ("dilaporkan", "Dilaporkan"),
        Confirmed => ("dikonfirmasi", "Dikonfirmasi"),
        Rejected => ("ditolak", "Ditolak"),
    }
}

/// Counts of one person's (or one area's) claims by state.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ClaimCounts {
    pub reported: i64,
    pub confirmed: i64,
    pub rejected: i64,
}
