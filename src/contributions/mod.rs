//! What coming back costs a mandiri member: the class tariff, the arrears counted, paying all
//! today, a REHAB instalment plan, the *denda pelayanan* rule and the write-off for poor members
//! moving to a state- or Pemda-paid segment. Every amount is whole rupiah in `i64`, every rule a
//! dated value (`contribution_rules`) so a new Perpres is a data change, not a code change.

pub mod command;
pub mod panel;
pub mod queries;
pub mod quote;
pub mod routes;

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::text_enum;

text_enum! {
    /// One dated rule. Rupiah, months, days or basis points, as the label says.
    pub enum Rule {
        TariffClass1 => ("iuran_kelas_1", "Iuran Kelas I per bulan (Rp)"),
        TariffClass2 => ("iuran_kelas_2", "Iuran Kelas II per bulan (Rp)"),
        TariffClass3 => ("iuran_kelas_3", "Iuran Kelas III per bulan (Rp)"),
        MemberShareClass3 => ("iuran_kelas_3_peserta", "Bagian peserta Kelas III per bulan (Rp)"),
        ArrearsMaxMonths => ("tunggakan_maks_bulan", "Tunggakan yang dihitung paling banyak (bulan)"),
        RehabMinMonths => ("rehab_min_bulan", "REHAB untuk tunggakan sekurangnya (bulan)"),
        RehabMaxInstalments => ("rehab_maks_cicilan", "REHAB paling banyak (kali cicilan)"),
        RehabDeadlineDay => ("rehab_batas_tanggal", "Batas daftar REHAB (tanggal; Februari sehari lebih awal)"),
        DendaBasisPoints => ("denda_persen_bp", "Denda pelayanan (basis poin dari biaya diagnosa per bulan tunggakan)"),
        DendaMaxMonths => ("denda_maks_bulan", "Denda pelayanan: bulan tunggakan paling banyak"),
        DendaMaxRupiah => ("denda_maks_rupiah", "Denda pelayanan paling banyak (Rp)"),
        DendaDays => ("denda_hari", "Denda berlaku untuk rawat inap dalam (hari) setelah aktif"),
        WriteOffMaxMonths => ("pemutihan_maks_bulan", "Tunggakan yang dihapus saat pindah ke PBI / PBPU Pemda (bulan)"),
    }
}

/// One rule's value in force, with where it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InForce {
    pub value: i64,
    pub valid_from: NaiveDate,
    pub basis: String,
}

/// The rules in force on one day.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    pub on: Option<NaiveDate>,
    values: HashMap<Rule, InForce>,
}

impl Rules {
    /// From dated rows (rule, valid_from, value, basis): for each rule, the latest row on or
    /// before `day`.
    pub fn in_force(rows: impl IntoIterator<Item = (Rule, InForce)>, day: NaiveDate) -> Self {
        let mut values: HashMap<Rule, InForce> = HashMap::new();
        for (rule, row) in rows {
            if row.valid_from > day {
                continue;
            }
            if values
                .get(&rule)
                .is_none_or(|kept| kept.valid_from < row.valid_from)
            {
                values.insert(rule, row);
            }
        }
        Rules {
            on: Some(day),
            values,
        }
    }

    pub fn get(&self, rule: Rule) -> Option<i64> {
        self.values.get(&rule).map(|r| r.value)
    }

    pub fn source(&self, rule: Rule) -> Option<&InForce> {
        self.values.get(&rule)
    }

    /// Every rule with its value in force, in declaration order (`None`: none in force).
    pub fn all(&self) -> Vec<(Rule, Option<&InForce>)> {
        Rule::ALL.iter().map(|r| (*r, self.values.get(r))).collect()
    }
}

/// Arrears a roster extract listed for a member on its date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedArrears {
    pub as_of: NaiveDate,
    pub months: Option<i32>,
    pub amount: Option<i64>,
}

impl ListedArrears {
    /// The months owed on `today`: the months listed, plus one for each whole month since the
    /// extract (a contribution falls due every month the member does not pay).
    pub fn months_on(&self, today: NaiveDate) -> Option<i64> {
        use chrono::Datelike;
        let elapsed = i64::from(today.year() - self.as_of.year()) * 12 + i64::from(today.month())
            - i64::from(self.as_of.month())
            - i64::from(today.day() < self.as_of.day());
        self.months.map(|m| i64::from(m) + elapsed.max(0))
    }
}
