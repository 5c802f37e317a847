//! The Pemda's own levers: the quota of Pemda-paid membership (PBI APBD / PBPU Pemda) per
//! kab/kota with the places the roster shows used, the proposals the field sent for Dinsos to
//! decide, and the village officials (kepala desa and perangkat, PPU PN) per desa.
//!
//! `quota` stores the dated quota and counts used places; `proposals` is the Dinsos list and
//! its answers (which settle the claims through `reactivations`); `officials` counts village
//! officials per desa; `routes` the kab/kota pages and `village_routes` a desa's; `command` the `pesiar config kuota` CLI.

pub mod command;
pub mod officials;
pub mod proposals;
pub mod quota;
pub mod routes;
pub mod village_routes;

use crate::text_enum;

text_enum! {
    /// What Dinsos answered about a member proposed for PBI / Pemda-paid membership.
    pub enum DinsosAnswer {
        Accepted => ("diterima", "Diterima ke kuota Pemda"),
        Refused => ("ditolak", "Ditolak"),
        Referred => ("dirujuk", "Dirujuk ke jalur lain"),
    }
}

text_enum! {
    /// Where a village-official figure or mark came from.
    pub enum OfficialSource {
        Office => ("kantor", "Kantor desa/kelurahan"),
        Roster => ("roster", "Data BPJS"),
        Import => ("impor", "Impor"),
    }
}

/// A count as the pages write it ("9.000"), from a value or a template's reference to one.
pub fn count(n: impl std::borrow::Borrow<i64>) -> String {
    crate::progress::ratios::thousands(*n.borrow())
}

/// A kab/kota's quota on a date, against the places in use and the gap to the activity
/// target. Counts are people; all arithmetic in integers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QuotaFigures {
    /// Places funded (none while no quota is set).
    pub funded: Option<i64>,
    /// Active members in the Pemda-paid segment on the date.
    pub used: i64,
    /// Field claims "diusulkan PBI/Pemda" reported and not yet settled.
    pub waiting: i64,
    /// Reactivations still needed to reach the activity target (the gap in people).
    pub needed: i64,
}

impl QuotaFigures {
    /// Funded places nobody uses.
    pub fn free(&self) -> i64 {
        self.funded.map_or(0, |f| (f - self.used).max(0))
    }

    /// Places used beyond the quota (the Pemda pays more than it funded).
    pub fn over(&self) -> i64 {
        self.funded.map_or(0, |f| (self.used - f).max(0))
    }

    /// How much of the gap filling the free places would close: each place given to an
    /// inactive registered resident makes one more active member (a newly registered person
    /// would also add to the registered count, so this is the upper bound the lever offers).
    pub fn gap_closed(&self) -> i64 {
        self.free().min(self.needed)
    }

    /// The gap left after filling every free place.
    pub fn gap_after(&self) -> i64 {
        self.needed - self.gap_closed()
    }

    /// The waiting claims the free places could take now.
    pub fn waiting_fit(&self) -> i64 {
        self.waiting.min(self.free())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_places_close_at_most_the_gap() {
        let q = QuotaFigures {
            funded: Some(9_000),
            used: 4_000,
            waiting: 120,
            needed: 1_029,
        };
        assert_eq!(q.free(), 5_000);
        assert_eq!(q.over(), 0);
        assert_eq!(q.gap_closed(), 1_029);
        assert_eq!(q.gap_after(), 0);
        assert_eq!(q.waiting_fit(), 120);
        let small = QuotaFigures {
            funded: Some(100),
            used: 70,
            waiting: 50,
            needed: 500,
        };
        assert_eq!(small.free(), 30);
        assert_eq!(small.gap_closed(), 30);
        assert_eq!(small.gap_after(), 470);
        assert_eq!(small.waiting_fit(), 30);
    }

    #[test]
    fn no_quota_or_an_overdrawn_one_has_no_free_places() {
        let none = QuotaFigures {
            funded: None,
            used: 10,
            waiting: 3,
            needed: 7,
        };
        assert_eq!((none.free(), none.over(), none.gap_closed()), (0, 0, 0));
        let over = QuotaFigures {
            funded: Some(10),
            used: 12,
            ..Default::default()
        };
        assert_eq!((over.free(), over.over()), (0, 2));
    }
}
