//! The month's figures computed from plain rows (no database here, so they are tested as
//! functions): one pass over the visits, the planned revisits and the claims.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate};

use super::Month;
use super::rates::Rate;
use crate::reactivations::{ClaimKind, ClaimState};

/// A revisit counts as kept when the household is visited again (after the visit that planned
/// it) within this many days either side of the planned date.
pub const REVISIT_GRACE_DAYS: i64 = 7;

/// One field worker's figures for one month (or, as an adjustment, the change in them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub visits: i64,
    pub households: i64,
    pub revisits_due: i64,
    pub revisits_kept: i64,
    pub reactivations: Pathway,
    pub registrations: Pathway,
    /// Median days from report to confirmation (whole days, the lower middle).
    pub median_days: Option<i32>,
    /// Whole rupiah: the confirmed outcomes at the rates in force on their report day.
    pub amount: i64,
}

/// Claims of one pathway: all reported in the month, and of those the confirmed and rejected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pathway {
    pub reported: i64,
    pub confirmed: i64,
    pub rejected: i64,
}

impl Pathway {
    fn minus(self, other: Pathway) -> Pathway {
        Pathway {
            reported: self.reported - other.reported,
            confirmed: self.confirmed - other.confirmed,
            rejected: self.rejected - other.rejected,
        }
    }
}

impl Figures {
    pub fn reported(&self) -> i64 {
        self.reactivations.reported + self.registrations.reported
    }

    pub fn confirmed(&self) -> i64 {
        self.reactivations.confirmed + self.registrations.confirmed
    }

    /// Confirmed of reported, as a ratio (`None` when nothing was reported).
    pub fn confirmation_rate(&self) -> Option<f64> {
        let reported = self.reported();
        (reported > 0).then(|| self.confirmed() as f64 / reported as f64)
    }

    /// `63%`, or a dash.
    pub fn rate_text(&self) -> String {
        let reported = self.reported();
        if reported == 0 {
            return "–".into();
        }
        format!("{}%", self.confirmed() * 100 / reported)
    }

    /// What changed from `before` to `self` (the median is not a sum, so it is left out).
    pub fn minus(&self, before: &Figures) -> Figures {
        Figures {
            visits: self.visits - before.visits,
            households: self.households - before.households,
            revisits_due: self.revisits_due - before.revisits_due,
            revisits_kept: self.revisits_kept - before.revisits_kept,
            reactivations: self.reactivations.minus(before.reactivations),
            registrations: self.registrations.minus(before.registrations),
            median_days: None,
            amount: self.amount - before.amount,
        }
    }

    /// Adds another line's counts (for totals and for summing what was already paid).
    pub fn add(&mut self, other: &Figures) {
        self.visits += other.visits;
        self.households += other.households;
        self.revisits_due += other.revisits_due;
        self.revisits_kept += other.revisits_kept;
        for (mine, theirs) in [
            (&mut self.reactivations, other.reactivations),
            (&mut self.registrations, other.registrations),
        ] {
            mine.reported += theirs.reported;
            mine.confirmed += theirs.confirmed;
            mine.rejected += theirs.rejected;
        }
        self.amount += other.amount;
    }

    /// Whether anything counted differs from nothing (an adjustment worth showing).
    pub fn is_zero(&self) -> bool {
        self.minus(&Figures::default()) == Figures::default()
    }
}

pub struct VisitRow {
    pub visitor_id: i32,
    pub household_id: i32,
    pub visited_on: NaiveDate,
}

pub struct PlannedRevisit {
    pub visitor_id: i32,
    pub household_id: i32,
    pub visited_on: NaiveDate,
    pub revisit_on: NaiveDate,
}

pub struct ClaimRow {
    pub reported_by: i32,
    pub kind: ClaimKind,
    pub state: ClaimState,
    pub region_code: String,
    pub reported_on: NaiveDate,
    /// The WIB day of the decision.
    pub decided_on: Option<NaiveDate>,
}

pub type Key = (i32, Month);

/// Every worker's figures per month. `visits` are the visits to count and also those that may
/// keep a revisit (a later visit by anyone to the household); `today` caps the revisits due.
pub fn compute(
    visits: &[VisitRow],
    counted: impl Fn(&VisitRow) -> bool,
    revisits: &[PlannedRevisit],
    claims: &[ClaimRow],
    rates: &[Rate],
    today: NaiveDate,
) -> HashMap<Key, Figures> {
    let mut out: HashMap<Key, Figures> = HashMap::new();
    let mut reached: HashSet<(i32, Month, i32)> = HashSet::new();
    let mut by_household: HashMap<i32, Vec<NaiveDate>> = HashMap::new();
    for v in visits {
        by_household
            .entry(v.household_id)
            .or_default()
            .push(v.visited_on);
        if !counted(v) {
            continue;
        }
        let month = Month::of(v.visited_on);
        let f = out.entry((v.visitor_id, month)).or_default();
        f.visits += 1;
        if reached.insert((v.visitor_id, month, v.household_id)) {
            f.households += 1;
        }
    }
    for r in revisits.iter().filter(|r| r.revisit_on <= today) {
        let f = out
            .entry((r.visitor_id, Month::of(r.revisit_on)))
            .or_default();
        f.revisits_due += 1;
        let grace = Duration::days(REVISIT_GRACE_DAYS);
        let (early, late) = (r.revisit_on - grace, r.revisit_on + grace);
        let kept = by_household.get(&r.household_id).is_some_and(|days| {
            days.iter()
                .any(|d| *d > r.visited_on && *d >= early && *d <= late)
        });
        if kept {
            f.revisits_kept += 1;
        }
    }
    let mut waits: HashMap<Key, Vec<i32>> = HashMap::new();
    for c in claims {
        let key = (c.reported_by, Month::of(c.reported_on));
        let f = out.entry(key).or_default();
        let pathway = match c.kind {
            ClaimKind::Reactivation => &mut f.reactivations,
            ClaimKind::Registration => &mut f.registrations,
        };
        pathway.reported += 1;
        match c.state {
            ClaimState::Confirmed => {
                pathway.confirmed += 1;
                f.amount += super::rates::rate_for(rates, &c.region_code, c.kind, c.reported_on);
                if let Some(day) = c.decided_on {
                    let days = (day - c.reported_on).num_days().max(0);
                    waits
                        .entry(key)
                        .or_default()
                        .push(i32::try_from(days).unwrap_or(i32::MAX));
                }
            }
            ClaimState::Rejected => pathway.rejected += 1,
            ClaimState::Reported => {}
        }
    }
    for (key, mut days) in waits {
        days.sort_unstable();
        if let Some(f) = out.get_mut(&key) {
            f.median_days = days.get((days.len() - 1) / 2).copied();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn claim(
        kind: ClaimKind,
        state: ClaimState,
        on: NaiveDate,
        decided: Option<NaiveDate>,
    ) -> ClaimRow {
        ClaimRow {
            reported_by: 1,
            kind,
            state,
            region_code: "32.73.02.1004".into(),
            reported_on: on,
            decided_on: decided,
        }
    }

    #[test]
    fn counts_pathways_median_amount_and_revisits() {
        let visits = vec![
            VisitRow {
                visitor_id: 1,
                household_id: 10,
                visited_on: d(11, 2),
            },
            VisitRow {
                visitor_id: 1,
                household_id: 10,
                visited_on: d(11, 20),
            },
            VisitRow {
                visitor_id: 1,
                household_id: 11,
                visited_on: d(11, 3),
            },
            VisitRow {
                visitor_id: 1,
                household_id: 11,
                visited_on: d(10, 30),
            },
        ];
        let revisits = vec![
            PlannedRevisit {
                visitor_id: 1,
                household_id: 10,
                visited_on: d(11, 2),
                revisit_on: d(11, 15),
            },
            PlannedRevisit {
                visitor_id: 1,
                household_id: 11,
                visited_on: d(11, 3),
                revisit_on: d(11, 10),
            },
        ];
        let claims = vec![
            claim(
                ClaimKind::Reactivation,
                ClaimState::Confirmed,
                d(11, 2),
                Some(d(11, 4)),
            ),
            claim(
                ClaimKind::Reactivation,
                ClaimState::Confirmed,
                d(11, 3),
                Some(d(11, 13)),
            ),
            claim(
                ClaimKind::Reactivation,
                ClaimState::Confirmed,
                d(11, 3),
                Some(d(11, 9)),
            ),
            claim(
                ClaimKind::Reactivation,
                ClaimState::Rejected,
                d(11, 5),
                Some(d(11, 6)),
            ),
            claim(
                ClaimKind::Registration,
                ClaimState::Confirmed,
                d(11, 6),
                Some(d(11, 7)),
            ),
            claim(
                ClaimKind::Registration,
                ClaimState::Reported,
                d(11, 6),
                None,
            ),
        ];
        let rates = vec![
            Rate {
                region_code: "32.73".into(),
                kind: ClaimKind::Reactivation,
                valid_from: d(1, 1),
                amount: 2500,
            },
            Rate {
                region_code: "32.73".into(),
                kind: ClaimKind::Registration,
                valid_from: d(1, 1),
                amount: 5000,
            },
        ];
        let out = compute(
            &visits,
            |v| Month::of(v.visited_on) == Month::of(d(11, 1)),
            &revisits,
            &claims,
            &rates,
            d(12, 1),
        );
        let f = &out[&(1, Month::of(d(11, 1)))];
        assert_eq!((f.visits, f.households), (3, 2));
        assert_eq!(
            (f.revisits_due, f.revisits_kept),
            (2, 1),
            "household 10 came back within the grace days, 11 never"
        );
        assert_eq!(
            f.reactivations,
            Pathway {
                reported: 4,
                confirmed: 3,
                rejected: 1
            }
        );
        assert_eq!(
            f.registrations,
            Pathway {
                reported: 2,
                confirmed: 1,
                rejected: 0
            }
        );
        assert_eq!(
            f.median_days,
            Some(2),
            "waits 2, 10, 6, 1: the lower middle of 1,2,6,10"
        );
        assert_eq!(f.amount, 3 * 2500 + 5000);
        assert_eq!(f.rate_text(), "66%");
        assert!(
            !out.contains_key(&(1, Month::of(d(10, 1)))),
            "October's visit is not counted"
        );
    }
}
