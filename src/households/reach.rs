//! How reachable a household's priority members are: what bringing them back costs today. The
//! worklist puts households whose members can come back for nothing (PBI removed: Dinsos
//! proposes them again) first, then mandiri arrears by what paying everything costs today,
//! cheapest first and, at a like cost, those REHAB can spread before those it cannot; members
//! whose months are unknown after them. Each household on a list says why it is there.

use chrono::NaiveDate;
use diesel::prelude::*;
use foldhash::HashMap;

use crate::contributions::Rules;
use crate::contributions::queries::current_arrears;
use crate::contributions::quote::{quote, rupiah};
use crate::db::DbConnection;
use crate::db::schema::members;
use crate::members::{Class, InactiveReason, MemberStatus, Segment, is_priority};

/// A priority member as the reach needs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owed {
    pub segment: Segment,
    pub class: Option<Class>,
    pub reason: Option<InactiveReason>,
    /// Months in arrears today, when an extract or the door told.
    pub months: Option<i64>,
}

impl Owed {
    /// `None` unless the member is a priority one (mandiri arrears or PBI removed).
    pub fn of(
        segment: Segment,
        status: MemberStatus,
        reason: Option<InactiveReason>,
        class: Option<Class>,
        months: Option<i64>,
    ) -> Option<Owed> {
        is_priority(segment, status, reason).then_some(Owed {
            segment,
            class,
            reason,
            months,
        })
    }

    fn pbi_removed(&self) -> bool {
        self.reason == Some(InactiveReason::PbiRemoved)
    }
}

/// The rules in force on the day the worklist is worked out.
pub struct Pricing {
    pub rules: Rules,
    pub today: NaiveDate,
}

impl Pricing {
    /// Today's rules (a few dozen rows).
    pub fn load(conn: &mut DbConnection) -> QueryResult<Pricing> {
        let today = crate::web::today();
        Ok(Pricing {
            rules: crate::contributions::queries::rules_on(conn, today)?,
            today,
        })
    }
}

/// A member as the worklist counts them: id, household, segment, status, reason, class.
pub type Listed = (
    i32,
    i32,
    Segment,
    MemberStatus,
    Option<InactiveReason>,
    Option<Class>,
);

/// The members of these households (not those entered by mistake), as the worklist counts them.
pub fn members_of(conn: &mut DbConnection, households: &[i32]) -> QueryResult<Vec<Listed>> {
    members::table
        .filter(members::household_id.eq_any(households))
        .filter(members::mistaken_at.is_null())
        .select((
            members::id,
            members::household_id,
            members::segment,
            members::status,
            members::inactive_reason,
            members::class,
        ))
        .load(conn)
}

/// The reach of each of these households, from their members and those members' arrears today.
pub fn of_households(
    conn: &mut DbConnection,
    members: &[Listed],
    pricing: &Pricing,
) -> QueryResult<HashMap<i32, Reach>> {
    let mandiri: Vec<i32> = members
        .iter()
        .filter(|(_, _, segment, status, reason, _)| {
            is_priority(*segment, *status, *reason) && *reason == Some(InactiveReason::Arrears)
        })
        .map(|(id, ..)| *id)
        .collect();
    let arrears = current_arrears(conn, &mandiri)?;
    let mut owed: HashMap<i32, Vec<Owed>> = HashMap::default();
    for (id, household, segment, status, reason, class) in members {
        let months = arrears.get(id).and_then(|a| a.months_on(pricing.today));
        if let Some(o) = Owed::of(*segment, *status, *reason, *class, months) {
            owed.entry(*household).or_default().push(o);
        }
    }
    Ok(owed
        .into_iter()
        .map(|(household, owed)| (household, Reach::of(&owed, pricing)))
        .collect())
}

/// What bringing a household's priority members back costs today.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// Members removed from PBI: no cost to them.
    pub pbi_removed: i32,
    /// Mandiri members in arrears whose months (and class) are known.
    pub priced: i32,
    /// Paying everything today for those, in rupiah.
    pub pay_today: i64,
    /// Of those, members whose arrears REHAB can spread.
    pub rehab: i32,
    /// Mandiri members in arrears with months or class unknown.
    pub unpriced: i32,
}

impl Reach {
    pub fn of(owed: &[Owed], pricing: &Pricing) -> Reach {
        let mut reach = Reach::default();
        for o in owed {
            if o.pbi_removed() {
                reach.pbi_removed += 1;
                continue;
            }
            let sums = match (o.class, o.months) {
                (Some(class), Some(months)) => quote(&pricing.rules, class, months, pricing.today),
                _ => None,
            };
            let Some(q) = sums else {
                reach.unpriced += 1;
                continue;
            };
            reach.priced += 1;
            reach.pay_today += q.pay_today;
            reach.rehab += i32::from(q.rehab.is_some());
        }
        reach
    }

    /// The household's place among priority households, lowest first (0..=6_001): free first,
    /// then the priced ones by cost in Rp 10.000 steps (at one step, all REHAB-able before
    /// the rest), then those with months or class unknown.
    pub fn key(&self) -> i32 {
        const STEPS: i64 = 2_999;
        let steps = (self.pay_today / 10_000).clamp(0, STEPS) as i32;
        if self.unpriced > 0 {
            6_001
        } else if self.priced > 0 {
            1 + steps * 2 + i32::from(self.rehab < self.priced)
        } else {
            0
        }
    }

    /// Why the household is on the worklist, in a few words.
    pub fn reason(&self) -> String {
        let mut parts = Vec::new();
        if self.priced > 0 {
            let mut part = format!(
                "{} peserta mandiri menunggak: lunas hari ini {}",
                self.priced,
                rupiah(self.pay_today)
            );
            if self.rehab == self.priced {
                part.push_str(", bisa REHAB");
            } else if self.rehab == 0 {
                part.push_str(", dibayar sekaligus");
            } else {
                part.push_str(&format!(", {} bisa REHAB", self.rehab));
            }
            parts.push(part);
        }
        if self.unpriced > 0 {
            parts.push(format!(
                "{} peserta mandiri menunggak (bulan belum diketahui)",
                self.unpriced
            ));
        }
        if self.pbi_removed > 0 {
            parts.push(format!(
                "{} PBI dinonaktifkan: usulkan kembali ke Dinsos, tanpa biaya",
                self.pbi_removed
            ));
        }
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contributions::{InForce, Rule};

    fn pricing() -> Pricing {
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let from = NaiveDate::from_ymd_opt(2020, 7, 1).unwrap();
        let rows = [
            (Rule::TariffClass1, 150_000),
            (Rule::TariffClass2, 100_000),
            (Rule::TariffClass3, 42_000),
            (Rule::MemberShareClass3, 35_000),
            (Rule::ArrearsMaxMonths, 24),
            (Rule::RehabMinMonths, 4),
            (Rule::RehabMaxInstalments, 12),
            (Rule::RehabDeadlineDay, 28),
            (Rule::DendaBasisPoints, 500),
            (Rule::DendaMaxMonths, 12),
            (Rule::DendaMaxRupiah, 30_000_000),
            (Rule::DendaDays, 45),
            (Rule::WriteOffMaxMonths, 24),
        ]
        .map(|(rule, value)| {
            (
                rule,
                InForce {
                    value,
                    valid_from: from,
                    basis: "test".into(),
                },
            )
        });
        Pricing {
            rules: Rules::in_force(rows, today),
            today,
        }
    }

    fn mandiri(class: Class, months: Option<i64>) -> Owed {
        Owed {
            segment: Segment::Pbpu,
            class: Some(class),
            reason: Some(InactiveReason::Arrears),
            months,
        }
    }

    const PBI: Owed = Owed {
        segment: Segment::PbiJk,
        class: None,
        reason: Some(InactiveReason::PbiRemoved),
        months: None,
    };

    #[test]
    fn free_then_cheapest_then_unknown() {
        let p = pricing();
        let free = Reach::of(&[PBI], &p);
        // Kelas III, 2 months: 3 × 35.000 = 105.000, paid at once (REHAB needs 4).
        let cheap = Reach::of(&[mandiri(Class::III, Some(2))], &p);
        // Kelas III, 30 months: 24 counted + 1 = 875.000, REHAB possible.
        let capped = Reach::of(&[mandiri(Class::III, Some(30))], &p);
        // Kelas I, 10 months: 11 × 150.000 = 1.650.000.
        let dear = Reach::of(&[mandiri(Class::I, Some(10))], &p);
        let unknown = Reach::of(&[mandiri(Class::II, None)], &p);
        assert_eq!(cheap.pay_today, 105_000);
        assert_eq!(capped.pay_today, 875_000);
        assert_eq!(dear.pay_today, 1_650_000);
        let keys = [&free, &cheap, &capped, &dear, &unknown].map(Reach::key);
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        assert_eq!((cheap.rehab, capped.rehab, dear.rehab), (0, 1, 1));
        assert!(cheap.reason().ends_with("Rp 105.000, dibayar sekaligus"));
    }

    #[test]
    fn at_a_like_cost_rehab_comes_first() {
        let p = pricing();
        // Kelas II, 3 months: 400.000 at once; Kelas III, 11 months: 12 × 35.000 = 420.000
        // in REHAB instalments. Both in the Rp 400.000–410.000 step? No: 40 and 42 steps.
        let at_once = Reach::of(&[mandiri(Class::II, Some(3))], &p);
        let spread = Reach::of(&[mandiri(Class::III, Some(11))], &p);
        assert!(at_once.key() < spread.key(), "cheaper still first");
        // Same cost, one spreadable: Kelas I, 1 month (300.000) against Kelas II, 2 months
        // (300.000), neither REHAB; then a made-up one-member REHAB at 300.000.
        let mut rehab = Reach::of(&[mandiri(Class::I, Some(1))], &p);
        rehab.rehab = 1;
        let plain = Reach::of(&[mandiri(Class::II, Some(2))], &p);
        assert_eq!(rehab.pay_today, plain.pay_today);
        assert!(rehab.key() < plain.key());
    }

    #[test]
    fn a_household_costs_what_its_members_cost_together() {
        let p = pricing();
        let both = Reach::of(
            &[
                mandiri(Class::III, Some(2)),
                mandiri(Class::II, Some(5)),
                PBI,
            ],
            &p,
        );
        // 105.000 + 6 × 100.000.
        assert_eq!(both.pay_today, 705_000);
        assert_eq!(
            both.reason(),
            "2 peserta mandiri menunggak: lunas hari ini Rp 705.000, 1 bisa REHAB; \
             1 PBI dinonaktifkan: usulkan kembali ke Dinsos, tanpa biaya"
        );
        // One unknown member makes the household's cost unknown.
        let some_unknown = Reach::of(&[mandiri(Class::III, Some(2)), mandiri(Class::I, None)], &p);
        assert_eq!(some_unknown.key(), 6_001);
        assert!(some_unknown.reason().contains("bulan belum diketahui"));
    }

    #[test]
    fn without_tariffs_in_force_the_cost_is_unknown() {
        let p = Pricing {
            rules: Rules::default(),
            today: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
        };
        let r = Reach::of(&[mandiri(Class::III, Some(2))], &p);
        assert_eq!(r.unpriced, 1);
        assert_eq!(r.key(), 6_001);
    }
}
