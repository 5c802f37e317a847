//! The door-step sums for one mandiri member: plain integer arithmetic on the rules in force,
//! no database and no HTTP.

use chrono::{Datelike, NaiveDate};

use super::{Rule, Rules};
use crate::members::Class;

/// The inpatient diagnosis cost of the worked *denda* example on the page (Rp).
pub const DENDA_EXAMPLE_COST: i64 = 10_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    pub class: Class,
    /// The class tariff per month.
    pub tariff: i64,
    /// What the member pays per month (Kelas III: their share; the state pays the rest).
    pub monthly: i64,
    pub months_in_arrears: i64,
    /// The months that count: at most the rule's maximum.
    pub months_counted: i64,
    pub arrears: i64,
    /// Paying everything today: the arrears counted plus the current month.
    pub pay_today: i64,
    pub rehab: Option<Rehab>,
    pub denda: Denda,
    /// Arrears written off when a poor member moves to PBI or PBPU Pemda.
    pub write_off: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rehab {
    /// Whole rupiah; the remainder of the division is on the last one.
    pub instalments: Vec<i64>,
    /// The last day to sign up this month.
    pub sign_up_by: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denda {
    pub within_days: i64,
    pub basis_points: i64,
    pub months: i64,
    pub cap: i64,
    /// `DENDA_EXAMPLE_COST` worked through the rule.
    pub example: i64,
}

impl Denda {
    /// "5%" or "2,5%".
    pub fn percent(&self) -> String {
        let (whole, rest) = (self.basis_points / 100, self.basis_points % 100);
        if rest == 0 {
            format!("{whole}%")
        } else {
            format!("{whole},{rest:02}%").replace("0%", "%")
        }
    }
}

/// The sums for a member of `class` with `months_in_arrears`, on `today`; `None` when a rule
/// they need has no value in force.
pub fn quote(
    rules: &Rules,
    class: Class,
    months_in_arrears: i64,
    today: NaiveDate,
) -> Option<Quote> {
    let tariff = rules.get(match class {
        Class::I => Rule::TariffClass1,
        Class::II => Rule::TariffClass2,
        Class::III => Rule::TariffClass3,
    })?;
    let monthly = match class {
        Class::III => rules.get(Rule::MemberShareClass3)?,
        _ => tariff,
    };
    let months_in_arrears = months_in_arrears.max(0);
    let months_counted = months_in_arrears.min(rules.get(Rule::ArrearsMaxMonths)?);
    let arrears = months_counted * monthly;
    let rehab = if months_counted >= rules.get(Rule::RehabMinMonths)? {
        let count = months_counted
            .min(rules.get(Rule::RehabMaxInstalments)?)
            .max(1);
        Some(Rehab {
            instalments: instalments(arrears, count),
            sign_up_by: sign_up_by(today, rules.get(Rule::RehabDeadlineDay)?),
        })
    } else {
        None
    };
    let basis_points = rules.get(Rule::DendaBasisPoints)?;
    let denda_months = months_in_arrears.min(rules.get(Rule::DendaMaxMonths)?);
    let cap = rules.get(Rule::DendaMaxRupiah)?;
    let denda = Denda {
        within_days: rules.get(Rule::DendaDays)?,
        basis_points,
        months: denda_months,
        cap,
        example: denda_amount(DENDA_EXAMPLE_COST, basis_points, denda_months, cap),
    };
    let write_off = months_in_arrears.min(rules.get(Rule::WriteOffMaxMonths)?) * monthly;
    Some(Quote {
        class,
        tariff,
        monthly,
        months_in_arrears,
        months_counted,
        arrears,
        pay_today: arrears + monthly,
        rehab,
        denda,
        write_off,
    })
}

/// `total` in `count` whole-rupiah instalments, the remainder on the last.
pub fn instalments(total: i64, count: i64) -> Vec<i64> {
    let count = count.max(1);
    let each = total / count;
    let mut plan = vec![each; count as usize];
    if let Some(last) = plan.last_mut() {
        *last += total - each * count;
    }
    plan
}

/// The REHAB sign-up deadline for `today`: day `day` of this month (one day earlier in
/// February), or next month's once this month's has passed.
pub fn sign_up_by(today: NaiveDate, day: i64) -> NaiveDate {
    let deadline = |year: i32, month: u32| {
        let d = if month == 2 { day - 1 } else { day };
        let d = u32::try_from(d.clamp(1, 28)).unwrap_or(28);
        NaiveDate::from_ymd_opt(year, month, d).unwrap_or(today)
    };
    let this = deadline(today.year(), today.month());
    if today <= this {
        this
    } else if today.month() == 12 {
        deadline(today.year() + 1, 1)
    } else {
        deadline(today.year(), today.month() + 1)
    }
}

/// *Denda pelayanan*: `basis_points` of the diagnosis cost per month in arrears, capped.
pub fn denda_amount(cost: i64, basis_points: i64, months: i64, cap: i64) -> i64 {
    (cost.saturating_mul(basis_points).saturating_mul(months) / 10_000).min(cap)
}

/// Rupiah as written in Indonesian: "Rp 1.234.567".
pub fn rupiah(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("{}Rp {out}", if amount < 0 { "−" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contributions::InForce;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn rules(on: NaiveDate) -> Rules {
        let v = |rule: Rule, value: i64| {
            (
                rule,
                InForce {
                    value,
                    valid_from: day(2020, 7, 1),
                    basis: "uji".into(),
                },
            )
        };
        Rules::in_force(
            [
                v(Rule::TariffClass1, 150_000),
                v(Rule::TariffClass2, 100_000),
                v(Rule::TariffClass3, 42_000),
                v(Rule::MemberShareClass3, 35_000),
                v(Rule::ArrearsMaxMonths, 24),
                v(Rule::RehabMinMonths, 4),
                v(Rule::RehabMaxInstalments, 12),
                v(Rule::RehabDeadlineDay, 28),
                v(Rule::DendaBasisPoints, 500),
                v(Rule::DendaMaxMonths, 12),
                v(Rule::DendaMaxRupiah, 30_000_000),
                v(Rule::DendaDays, 45),
                v(Rule::WriteOffMaxMonths, 24),
            ],
            on,
        )
    }

    #[test]
    fn class_three_pays_its_share_for_the_counted_months_plus_this_one() {
        let today = day(2026, 12, 4);
        let q = quote(&rules(today), Class::III, 30, today).unwrap();
        assert_eq!((q.tariff, q.monthly), (42_000, 35_000));
        assert_eq!(q.months_counted, 24);
        assert_eq!(q.arrears, 840_000);
        assert_eq!(q.pay_today, 875_000);
        assert_eq!(q.write_off, 840_000);
        let rehab = q.rehab.unwrap();
        assert_eq!(rehab.instalments, vec![70_000; 12]);
        assert_eq!(rehab.sign_up_by, day(2026, 12, 28));
    }

    #[test]
    fn rehab_needs_more_than_three_months_and_puts_the_remainder_last() {
        let today = day(2026, 12, 4);
        let r = rules(today);
        assert!(quote(&r, Class::I, 3, today).unwrap().rehab.is_none());
        let q = quote(&r, Class::II, 7, today).unwrap();
        assert_eq!(q.arrears, 700_000);
        assert_eq!(q.rehab.unwrap().instalments, vec![100_000; 7]);
        assert_eq!(instalments(100_000, 3), vec![33_333, 33_333, 33_334]);
        assert_eq!(instalments(100_000, 3).iter().sum::<i64>(), 100_000);
    }

    #[test]
    fn the_sign_up_deadline_is_the_28th_the_27th_in_february_or_next_months() {
        assert_eq!(sign_up_by(day(2026, 2, 10), 28), day(2026, 2, 27));
        assert_eq!(sign_up_by(day(2026, 2, 28), 28), day(2026, 3, 28));
        assert_eq!(sign_up_by(day(2026, 1, 29), 28), day(2026, 2, 27));
        assert_eq!(sign_up_by(day(2026, 12, 29), 28), day(2027, 1, 28));
    }

    #[test]
    fn denda_counts_at_most_twelve_months_and_stops_at_the_cap() {
        assert_eq!(denda_amount(10_000_000, 500, 7, 30_000_000), 3_500_000);
        assert_eq!(denda_amount(10_000_000, 500, 12, 30_000_000), 6_000_000);
        assert_eq!(denda_amount(100_000_000, 500, 12, 30_000_000), 30_000_000);
        let today = day(2026, 12, 4);
        let q = quote(&rules(today), Class::III, 20, today).unwrap();
        assert_eq!((q.denda.months, q.denda.example), (12, 6_000_000));
        assert_eq!(q.denda.percent(), "5%");
    }

    #[test]
    fn a_rule_in_force_is_the_latest_one_started_on_or_before_the_day() {
        let row = |value: i64, from: NaiveDate| {
            (
                Rule::TariffClass1,
                InForce {
                    value,
                    valid_from: from,
                    basis: String::new(),
                },
            )
        };
        let rows = [row(80_500, day(2016, 4, 1)), row(150_000, day(2020, 7, 1))];
        assert_eq!(
            Rules::in_force(rows.clone(), day(2019, 1, 1)).get(Rule::TariffClass1),
            Some(80_500)
        );
        assert_eq!(
            Rules::in_force(rows.clone(), day(2026, 1, 1)).get(Rule::TariffClass1),
            Some(150_000)
        );
        assert_eq!(
            Rules::in_force(rows, day(2015, 1, 1)).get(Rule::TariffClass1),
            None
        );
        assert!(quote(&Rules::default(), Class::I, 5, day(2026, 1, 1)).is_none());
    }

    #[test]
    fn rupiah_are_written_with_dots() {
        assert_eq!(rupiah(35_000), "Rp 35.000");
        assert_eq!(rupiah(1_234_567), "Rp 1.234.567");
        assert_eq!(rupiah(0), "Rp 0");
    }
}
