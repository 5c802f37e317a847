//! The door-step panel on a mandiri member's page: the months in arrears typed from the
//! member's Mobile JKN screen (a GET form: nothing is stored), and the sums worked out, each
//! assumption written beside it.

use chrono::NaiveDate;

use super::quote::{Quote, quote, rupiah};
use super::{Rule, Rules};
use crate::members::{Class, Segment};
use crate::text_enum::{SelectOption, options};

/// Longest arrears typed that is still plausible: JKN started in 2014.
const MAX_MONTHS: i64 = 240;

pub struct Panel {
    /// The months as typed (kept on error).
    pub months: String,
    pub error: Option<&'static str>,
    /// Whether the member's class is on record; if not, the form asks it.
    pub class_known: bool,
    pub classes: Vec<SelectOption>,
    pub sums: Option<Sums>,
    /// A rule the sums need has no value in force.
    pub rules_missing: bool,
    pub today: String,
    pub basis: Vec<String>,
}

/// The quote, written out for the page.
pub struct Sums {
    pub class: &'static str,
    pub months_in_arrears: i64,
    pub months_counted: i64,
    pub arrears_max: i64,
    pub monthly: String,
    /// Kelas III: the tariff and the state's part, said on the page.
    pub subsidy: Option<(String, String)>,
    pub arrears: String,
    pub pay_today: String,
    pub rehab: Option<RehabSums>,
    pub rehab_min: i64,
    pub denda_days: i64,
    pub denda_percent: String,
    pub denda_months: i64,
    pub denda_max_months: i64,
    pub denda_cap: String,
    pub denda_example_cost: String,
    pub denda_example: String,
    pub write_off: String,
    pub write_off_max: i64,
}

pub struct RehabSums {
    pub count: usize,
    pub each: String,
    pub last: String,
    pub total: String,
    pub sign_up_by: String,
}

/// The panel for a member of `segment` (`None` unless mandiri), from the page's query string.
pub fn for_member(
    rules: &Rules,
    segment: Segment,
    class: Option<Class>,
    query: &str,
    today: NaiveDate,
) -> Option<Panel> {
    if !segment.has_class() {
        return None;
    }
    let param = |name: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
    };
    let months_raw = param("tunggakan").unwrap_or_default();
    let class_raw = param("kelas").unwrap_or_default();
    let chosen = class.or_else(|| Class::parse(&class_raw));
    let mut error = None;
    let months = if months_raw.is_empty() {
        None
    } else {
        match months_raw.parse::<i64>() {
            Ok(m) if (0..=MAX_MONTHS).contains(&m) => Some(m),
            _ => {
                error = Some("Isi jumlah bulan tunggakan dengan angka 0 sampai 240.");
                None
            }
        }
    };
    if months.is_some() && chosen.is_none() {
        error = Some("Pilih kelas peserta.");
    }
    let quoted = match (months, chosen) {
        (Some(m), Some(c)) => quote(rules, c, m, today),
        _ => None,
    };
    let rules_missing = months.is_some() && chosen.is_some() && quoted.is_none();
    // Where every rule in force comes from, each basis once.
    let basis = Rule::ALL
        .iter()
        .filter_map(|r| rules.source(*r))
        .map(|s| s.basis.clone())
        .fold(Vec::new(), |mut all, b| {
            if !all.contains(&b) {
                all.push(b);
            }
            all
        });
    Some(Panel {
        months: months_raw,
        error,
        class_known: class.is_some(),
        classes: options(Class::ALL, Class::as_str, Class::label, &class_raw),
        sums: quoted.map(|q| sums(rules, &q)),
        rules_missing,
        today: today.format("%d-%m-%Y").to_string(),
        basis,
    })
}

fn sums(rules: &Rules, q: &Quote) -> Sums {
    let get = |r: Rule| rules.get(r).unwrap_or_default();
    Sums {
        class: q.class.label(),
        months_in_arrears: q.months_in_arrears,
        months_counted: q.months_counted,
        arrears_max: get(Rule::ArrearsMaxMonths),
        monthly: rupiah(q.monthly),
        subsidy: (q.tariff != q.monthly).then(|| (rupiah(q.tariff), rupiah(q.tariff - q.monthly))),
        arrears: rupiah(q.arrears),
        pay_today: rupiah(q.pay_today),
        rehab: q.rehab.as_ref().map(|r| RehabSums {
            count: r.instalments.len(),
            each: rupiah(r.instalments.first().copied().unwrap_or_default()),
            last: rupiah(r.instalments.last().copied().unwrap_or_default()),
            total: rupiah(r.instalments.iter().sum()),
            sign_up_by: r.sign_up_by.format("%d-%m-%Y").to_string(),
        }),
        rehab_min: get(Rule::RehabMinMonths),
        denda_days: q.denda.within_days,
        denda_percent: q.denda.percent(),
        denda_months: q.denda.months,
        denda_max_months: get(Rule::DendaMaxMonths),
        denda_cap: rupiah(q.denda.cap),
        denda_example_cost: rupiah(super::quote::DENDA_EXAMPLE_COST),
        denda_example: rupiah(q.denda.example),
        write_off: rupiah(q.write_off),
        write_off_max: get(Rule::WriteOffMaxMonths),
    }
}
