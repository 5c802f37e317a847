//! Registered and active members per kelurahan (and segment) among an extract's valid rows:
//! what the import hands to `figures::derive` at the end.

use foldhash::HashMap;

use super::RosterRow;
use crate::figures::derive::UnitCounts;
use crate::members::{MemberStatus, Segment};

#[derive(Default)]
pub(super) struct Tally {
    pub(super) regions: HashMap<String, RegionTally>,
}

#[derive(Default)]
pub(super) struct RegionTally {
    /// Every row of the kelurahan, registered or not: a kelurahan none of whose rows is left
    /// after the held ones are taken out gets no figures.
    pub(super) rows: i64,
    pub(super) counts: UnitCounts,
}

impl Tally {
    pub(super) fn add(&mut self, row: &RosterRow) {
        let region = self.regions.entry(row.region_code.clone()).or_default();
        region.rows += 1;
        let registered = matches!(row.status, MemberStatus::Active | MemberStatus::Inactive)
            && row.segment != Segment::NotRegistered;
        if !registered {
            return;
        }
        let active = row.status == MemberStatus::Active;
        let counts = &mut region.counts;
        counts.registered += 1;
        counts.active += i64::from(active);
        let seg = counts.segments.entry(row.segment).or_default();
        seg.0 += 1;
        seg.1 += i64::from(active);
    }

    /// Takes `other`'s rows (a subset of this tally's) out again.
    pub(super) fn remove(&mut self, other: &Tally) {
        for (code, gone) in &other.regions {
            let Some(region) = self.regions.get_mut(code) else {
                continue;
            };
            region.rows -= gone.rows;
            let (counts, gone) = (&mut region.counts, &gone.counts);
            counts.registered -= gone.registered;
            counts.active -= gone.active;
            for (segment, (registered, active)) in &gone.segments {
                if let Some(seg) = counts.segments.get_mut(segment) {
                    seg.0 -= registered;
                    seg.1 -= active;
                }
            }
            counts.segments.retain(|_, (registered, _)| *registered > 0);
            if region.rows <= 0 {
                self.regions.remove(code);
            }
        }
    }

    /// Each kelurahan's counts, for the figures.
    pub(super) fn units(&self) -> Vec<(&str, &UnitCounts)> {
        self.regions
            .iter()
            .map(|(code, region)| (code.as_str(), &region.counts))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn held_rows_come_out_of_the_tally() {
        use crate::members::identity::Sex;
        let row = |code: &str, status: MemberStatus| RosterRow {
            line: 2,
            nik: None,
            nomor_kk: None,
            name: "A".into(),
            sex: Sex::Female,
            birth_date: NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
            region_code: code.into(),
            rt: String::new(),
            rw: String::new(),
            address: String::new(),
            jkn_number: None,
            segment: Segment::Pbpu,
            class: None,
            status,
            inactive_reason: None,
            id_damaged: false,
            arrears_months: None,
            arrears_amount: None,
            village_official: false,
        };
        let mut all = Tally::default();
        let mut held = Tally::default();
        let kept = row("32.73.01.1001", MemberStatus::Inactive);
        let moved = row("32.73.01.1001", MemberStatus::Active);
        let alone = row("32.73.01.1002", MemberStatus::Active);
        for r in [&kept, &moved, &alone] {
            all.add(r);
        }
        held.add(&moved);
        held.add(&alone);
        all.remove(&held);
        let left = &all.regions["32.73.01.1001"];
        let c = &left.counts;
        assert_eq!((left.rows, c.registered, c.active), (1, 1, 0));
        assert_eq!(c.segments.get(&Segment::Pbpu), Some(&(1, 0)));
        assert!(!all.regions.contains_key("32.73.01.1002"));
    }
}
