//! The three ratios and the gap in people, in integers so a rate just under a target is never
//! rounded into "met" (79.96% is not 80%).
//!
//! - cakupan kepesertaan (coverage) = registered ÷ population
//! - tingkat keaktifan (activity rate) = active ÷ registered — the UHC Prioritas figure
//! - cakupan peserta aktif = active ÷ population

use chrono::NaiveDate;

/// Targets in basis points (8000 = 80.00%), in force from a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threshold {
    pub valid_from: NaiveDate,
    pub coverage_bp: i64,
    pub activity_bp: i64,
}

/// The threshold in force on `date`: the latest one starting on or before it.
pub fn threshold_on(thresholds: &[Threshold], date: NaiveDate) -> Option<Threshold> {
    thresholds
        .iter()
        .filter(|t| t.valid_from <= date)
        .max_by_key(|t| t.valid_from)
        .copied()
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub population: i64,
    pub registered: i64,
    pub active: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// At or above the target (for a unit: both UHC Prioritas bars).
    Met,
    /// Below it by at most two percentage points (for a unit: coverage met, keaktifan near).
    Near,
    Below,
    /// Some villages under the unit have no figures at all: no verdict on partial sums.
    Incomplete,
    /// No registered members: no rate to judge.
    NoData,
}

impl Standing {
    pub fn label(self) -> &'static str {
        match self {
            Standing::Met => "Tercapai",
            Standing::Near => "Hampir (≤ 2 poin)",
            Standing::Below => "Belum tercapai",
            Standing::Incomplete => "Data belum lengkap",
            Standing::NoData => "Belum ada data",
        }
    }

    pub fn css(self) -> &'static str {
        match self {
            Standing::Met => "met",
            Standing::Near => "near",
            Standing::Below => "below",
            Standing::Incomplete | Standing::NoData => "nodata",
        }
    }

    /// Sort order for tables: the units that need attention first.
    pub fn rank(self) -> u8 {
        match self {
            Standing::Below => 0,
            Standing::Near => 1,
            Standing::Met => 2,
            Standing::Incomplete => 3,
            Standing::NoData => 4,
        }
    }
}

/// `ceil(n / d)` for positive `d`, and 0 when `n` ≤ 0.
fn positive_ceil_div(n: i128, d: i128) -> i64 {
    if n <= 0 { 0 } else { ((n + d - 1) / d) as i64 }
}

/// Basis points of `num / den`, rounded to the nearest (as published figures are).
pub fn rounded_bp(num: i64, den: i64) -> Option<i64> {
    (den > 0).then(|| (((num as i128 * 20_000) / den as i128 + 1) / 2) as i64)
}

/// Rounded basis points, except that a rate below `target` is never shown as reaching it
/// (799,999 of 1,000,000 is shown as 79,99%, not 80,00%).
pub fn shown_bp(num: i64, den: i64, target: i64) -> Option<i64> {
    let rounded = rounded_bp(num, den)?;
    let below = (num as i128) * 10_000 < target as i128 * den as i128;
    Some(if below && rounded >= target {
        target - 1
    } else {
        rounded
    })
}

/// A rate as people read it: `7996` → `79,96%` (Indonesian decimal comma).
pub fn percent(bp: Option<i64>) -> String {
    match bp {
        Some(bp) => format!("{},{:02}%", bp / 100, bp % 100),
        None => "–".into(),
    }
}

/// A count as Indonesians write it: `2591763` → `2.591.763`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

impl Figures {
    /// Cakupan kepesertaan as shown against its target.
    pub fn coverage_bp(&self, target: i64) -> Option<i64> {
        shown_bp(self.registered, self.population, target)
    }

    /// Tingkat keaktifan as shown against its target.
    pub fn activity_bp(&self, target: i64) -> Option<i64> {
        shown_bp(self.active, self.registered, target)
    }

    pub fn active_coverage_bp(&self) -> Option<i64> {
        rounded_bp(self.active, self.population)
    }

    /// Exact ratios for the API.
    pub fn coverage(&self) -> Option<f64> {
        (self.population > 0).then(|| self.registered as f64 / self.population as f64)
    }

    pub fn activity_rate(&self) -> Option<f64> {
        (self.registered > 0).then(|| self.active as f64 / self.registered as f64)
    }

    pub fn active_coverage(&self) -> Option<f64> {
        (self.population > 0).then(|| self.active as f64 / self.population as f64)
    }

    /// More active members needed to reach `activity_bp`: `max(0, ceil(target·R − A))`.
    pub fn needed_to_target(&self, activity_bp: i64) -> i64 {
        positive_ceil_div(
            activity_bp as i128 * self.registered as i128 - 10_000 * self.active as i128,
            10_000,
        )
    }

    /// More registered members needed to reach `coverage_bp`: `max(0, ceil(target·P − R))`.
    pub fn coverage_needed(&self, coverage_bp: i64) -> i64 {
        positive_ceil_div(
            coverage_bp as i128 * self.population as i128 - 10_000 * self.registered as i128,
            10_000,
        )
    }

    pub fn standing(&self, activity_bp: i64) -> Standing {
        if self.registered <= 0 {
            return Standing::NoData;
        }
        let scaled_active = 10_000 * self.active as i128;
        let registered = self.registered as i128;
        if scaled_active >= activity_bp as i128 * registered {
            Standing::Met
        } else if scaled_active >= (activity_bp - 200) as i128 * registered {
            Standing::Near
        } else {
            Standing::Below
        }
    }

    /// Cakupan at or above its bar.
    pub fn meets_coverage(&self, threshold: &Threshold) -> bool {
        self.population > 0 && self.coverage_needed(threshold.coverage_bp) == 0
    }

    /// Keaktifan at or above its bar.
    pub fn meets_activity(&self, threshold: &Threshold) -> bool {
        self.registered > 0 && self.needed_to_target(threshold.activity_bp) == 0
    }

    /// Coverage and activity both at or above the thresholds (the approval and Pemda arrears
    /// conditions of UHC Prioritas are outside this system).
    pub fn meets_uhc_prioritas(&self, threshold: &Threshold) -> bool {
        self.meets_coverage(threshold) && self.meets_activity(threshold)
    }

    /// The one verdict pages, downloads and the API give: met only when both bars are;
    /// "near" when coverage is met and keaktifan is at most two points short.
    pub fn uhc_standing(&self, threshold: &Threshold) -> Standing {
        if self.registered <= 0 {
            return Standing::NoData;
        }
        if self.meets_uhc_prioritas(threshold) {
            return Standing::Met;
        }
        match self.standing(threshold.activity_bp) {
            Standing::Met | Standing::Near if self.meets_coverage(threshold) => Standing::Near,
            _ => Standing::Below,
        }
    }

    pub fn add(&mut self, other: &Figures) {
        self.population += other.population;
        self.registered += other.registered;
        self.active += other.active;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn figures(population: i64, registered: i64, active: i64) -> Figures {
        Figures {
            population,
            registered,
            active,
        }
    }

    #[test]
    fn kota_pekalongan_2023_keaktifan() {
        let f = figures(0, 274_974, 230_665);
        assert_eq!(percent(f.activity_bp(8000)), "83,89%");
        assert_eq!(f.needed_to_target(8000), 0);
    }

    #[test]
    fn seventy_nine_ninety_six_is_not_eighty() {
        let f = figures(2_591_763, 1_000_000, 799_600);
        assert_eq!(percent(f.activity_bp(8000)), "79,96%");
        assert_eq!(f.activity_rate(), Some(0.7996));
        // Just under: rounding would say 80,00%, which it is not.
        let f = figures(0, 1_000_000, 799_999);
        assert_eq!(percent(f.activity_bp(8000)), "79,99%");
        assert_eq!(f.standing(8000), Standing::Near);
        let f = figures(2_591_763, 1_000_000, 799_600);
        assert_eq!(f.needed_to_target(8000), 400);
        assert_eq!(f.standing(8000), Standing::Near);
        let t = Threshold {
            valid_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            coverage_bp: 9800,
            activity_bp: 8000,
        };
        assert!(!f.meets_uhc_prioritas(&t));
        // One short of the target by a fraction still needs a whole person.
        let f = figures(0, 1_000_001, 800_000);
        assert_eq!(f.needed_to_target(8000), 1);
        let f = figures(0, 1_000_000, 800_000);
        assert_eq!(f.needed_to_target(8000), 0);
        assert_eq!(f.standing(8000), Standing::Met);
    }

    #[test]
    fn coverage_gap_in_people() {
        // Kab. Rembang, Nov 2025: 666,383 of 673,920.
        let f = figures(673_920, 666_383, 549_766);
        assert_eq!(percent(f.coverage_bp(9800)), "98,88%");
        assert_eq!(f.coverage_needed(9800), 0);
        let f = figures(1000, 979, 800);
        assert_eq!(f.coverage_needed(9800), 1);
    }

    #[test]
    fn thresholds_by_date() {
        let old = Threshold {
            valid_from: NaiveDate::from_ymd_opt(2014, 1, 1).unwrap(),
            coverage_bp: 9500,
            activity_bp: 7500,
        };
        let new = Threshold {
            valid_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            coverage_bp: 9800,
            activity_bp: 8000,
        };
        let all = [new, old];
        assert_eq!(
            threshold_on(&all, NaiveDate::from_ymd_opt(2023, 6, 1).unwrap()),
            Some(old)
        );
        assert_eq!(
            threshold_on(&all, NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()),
            Some(new)
        );
        assert_eq!(
            threshold_on(&all, NaiveDate::from_ymd_opt(2010, 1, 1).unwrap()),
            None
        );
    }

    #[test]
    fn counts_get_thousands_dots() {
        assert_eq!(thousands(2_591_763), "2.591.763");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1.000");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(-1234), "-1.234");
    }

    #[test]
    fn empty_units_have_no_rate() {
        let f = figures(0, 0, 0);
        assert_eq!(f.activity_bp(8000), None);
        assert_eq!(percent(None), "–");
        assert_eq!(f.standing(8000), Standing::NoData);
        assert_eq!(f.needed_to_target(8000), 0);
    }

    #[test]
    fn uhc_prioritas_needs_both_bars() {
        let t = Threshold {
            valid_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            coverage_bp: 9800,
            activity_bp: 8000,
        };
        // 97,44% coverage with 87% keaktifan: activity met, coverage not, so not met.
        let f = figures(10_000, 9_744, 8_500);
        assert!(f.meets_activity(&t) && !f.meets_coverage(&t));
        assert_eq!(f.uhc_standing(&t), Standing::Below);
        assert!(!f.meets_uhc_prioritas(&t));
        assert_eq!(
            figures(10_000, 9_900, 8_500).uhc_standing(&t),
            Standing::Met
        );
        // Coverage met, keaktifan 79,9%: near.
        assert_eq!(
            figures(10_000, 9_900, 7_910).uhc_standing(&t),
            Standing::Near
        );
        assert_eq!(figures(0, 0, 0).uhc_standing(&t), Standing::NoData);
    }

    proptest! {
        /// After adding the needed people the target is met, and one fewer would not be.
        #[test]
        fn the_gap_is_exactly_enough(registered in 1i64..10_000_000, share in 0i64..=10_000, target in 1i64..=10_000) {
            let active = registered * share / 10_000;
            let f = figures(0, registered, active);
            let n = f.needed_to_target(target);
            let after = figures(0, registered, active + n);
            prop_assert!(after.standing(target) == Standing::Met);
            if n > 0 {
                let short = figures(0, registered, active + n - 1);
                prop_assert!(short.standing(target) != Standing::Met);
            }
        }
    }
}
