//! The door-step panel on a mandiri member's page: the months in arrears typed from the
//! member's Mobile JKN screen (a GET form: nothing is stored), and the sums worked out, each
//! assumption written beside it; with the member's WhatsApp number typed, a `wa.me` link that
//! hands the sums to the member (no NIK in it).

use chrono::NaiveDate;

use crate::web::DAY;

use super::quote::{Quote, quote, rupiah};
use super::{ListedArrears, Rule, Rules};
use crate::members::{Class, Segment};
use crate::text_enum::{SelectOption, options};

/// Longest arrears typed that is still plausible: JKN started in 2014.
const MAX_MONTHS: i64 = 240;

pub struct Panel {
    /// The months as typed (kept on error), or as the latest extract lists them, aged to today.
    pub months: String,
    /// What the latest extract listed, said on the page when it fills the months in.
    pub listed: Option<String>,
    pub error: Option<&'static str>,
    /// Whether the member's class is on record; if not, the form asks it.
    pub class_known: bool,
    pub classes: Vec<SelectOption>,
    pub sums: Option<Sums>,
    /// A rule the sums need has no value in force.
    pub rules_missing: bool,
    pub today: String,
    pub basis: Vec<String>,
    /// The member's WhatsApp number as typed (kept on error; never stored).
    pub whatsapp: String,
    pub whatsapp_error: Option<&'static str>,
    /// The `wa.me` link with the message, once there are sums and a number.
    pub handoff: Option<String>,
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
    name: &str,
    segment: Segment,
    class: Option<Class>,
    query: &str,
    listed: Option<&ListedArrears>,
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
    let typed = param("tunggakan");
    let listed_months = listed.and_then(|l| l.months_on(today));
    let listed_line = listed
        .filter(|_| typed.is_none())
        .map(|l| listed_text(l, today));
    let months_raw = typed
        .or_else(|| listed_months.map(|m| m.to_string()))
        .unwrap_or_default();
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
    let whatsapp = param("wa").unwrap_or_default();
    let number = (!whatsapp.is_empty()).then(|| whatsapp_number(&whatsapp));
    let whatsapp_error = number.as_ref().and_then(|n| n.as_ref().err().copied());
    let handoff = match (&quoted, number) {
        (Some(q), Some(Ok(number))) => Some(wa_link(&number, &handoff_text(name, q))),
        _ => None,
    };
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
        listed: listed_line,
        error,
        class_known: class.is_some(),
        classes: options(Class::ALL, Class::as_str, Class::label, &class_raw),
        sums: quoted.map(|q| sums(rules, &q)),
        rules_missing,
        today: today.format(DAY).to_string(),
        basis,
        whatsapp,
        whatsapp_error,
        handoff,
    })
}

/// The extract's arrears in words, with how the months were aged.
/// The sums in one line, for the visit form beside a mandiri member's actions.
pub struct Brief {
    pub months: i64,
    /// Where the months come from: "diisi di formulir ini" or "data per 02-12-2026".
    pub source: String,
    pub pay_today: String,
    /// "12× Rp 70.000, daftar paling lambat 28-12-2026".
    pub rehab: Option<String>,
}

/// [`Brief`] from the months typed on the form (kept as typed, so possibly not a number), else
/// those listed, aged to today; `None` without months, class or rules.
pub fn brief(
    rules: &Rules,
    class: Option<Class>,
    typed: &str,
    listed: Option<&ListedArrears>,
    today: NaiveDate,
) -> Option<Brief> {
    let (months, source) = match typed.trim() {
        "" => {
            let l = listed?;
            (
                l.months_on(today)?,
                format!("data per {}", l.as_of.format(DAY)),
            )
        }
        raw => (
            raw.parse::<i64>()
                .ok()
                .filter(|m| (0..=MAX_MONTHS).contains(m))?,
            "diisi di formulir ini".to_string(),
        ),
    };
    let q = quote(rules, class?, months, today)?;
    Some(Brief {
        months,
        source,
        pay_today: rupiah(q.pay_today),
        rehab: q.rehab.map(|r| {
            format!(
                "{}× {}, daftar paling lambat {}",
                r.instalments.len(),
                rupiah(r.instalments.first().copied().unwrap_or_default()),
                r.sign_up_by.format(DAY)
            )
        }),
    })
}

fn listed_text(l: &ListedArrears, today: NaiveDate) -> String {
    let mut text = format!("Data BPJS per {}:", l.as_of.format(DAY));
    if let Some(m) = l.months {
        text.push_str(&format!(" tunggakan {m} bulan"));
    }
    if let Some(rp) = l.amount {
        text.push_str(&format!(" ({})", rupiah(rp)));
    }
    text.push('.');
    match l.months_on(today) {
        Some(now) if Some(now) != l.months.map(i64::from) => text.push_str(&format!(
            " Sampai hari ini dihitung {now} bulan: bertambah satu tiap bulan penuh sejak \
             tanggal data. Ubah jika layar Mobile JKN peserta berkata lain."
        )),
        Some(_) => text.push_str(" Ubah jika layar Mobile JKN peserta berkata lain."),
        None => text.push_str(" Isi jumlah bulannya dari layar Mobile JKN peserta."),
    }
    text
}

/// A mobile number as `wa.me` wants it: country code 62, no plus, no leading zero.
fn whatsapp_number(raw: &str) -> Result<String, &'static str> {
    const WRONG: &str = "Nomor WhatsApp tidak dikenali; tulis seperti 0812 3456 7890.";
    let typed = crate::users::forms::normalize_phone(raw).map_err(|_| WRONG)?;
    let digits = typed.trim_start_matches('+');
    let national = digits
        .strip_prefix("62")
        .or_else(|| digits.strip_prefix('0'))
        .unwrap_or(digits);
    // Indonesian mobile numbers start with 8 and have 9 to 12 digits after the 0.
    if !national.starts_with('8') || !(9..=12).contains(&national.len()) {
        return Err(WRONG);
    }
    Ok(format!("62{national}"))
}

/// The message the member receives: the sums and where to pay or sign up. Only what the member
/// needs; the NIK never goes into it.
fn handoff_text(name: &str, q: &Quote) -> String {
    let mut text = format!(
        "Yth. {name}, perkiraan biaya agar kartu JKN aktif kembali: bayar lunas {} \
         (tunggakan {} bulan × {} ditambah iuran bulan ini).",
        rupiah(q.pay_today),
        q.months_counted,
        rupiah(q.monthly),
    );
    if let Some(r) = &q.rehab {
        text.push_str(&format!(
            " Bisa dicicil lewat program REHAB: {} kali, mulai {}; daftar paling lambat {}.",
            r.instalments.len(),
            rupiah(r.instalments.first().copied().unwrap_or_default()),
            r.sign_up_by.format("%d-%m-%Y"),
        ));
    }
    text.push_str(
        " Cek tagihan resmi dan daftar di aplikasi Mobile JKN, WhatsApp PANDAWA \
         +62 811-8165-165, atau Care Center 165. Bayar di bank, kantor pos, minimarket \
         atau aplikasi pembayaran; sesudahnya pakai autodebet supaya tidak menunggak lagi.",
    );
    text
}

/// `https://wa.me/<number>?text=…`, spaces as %20 (WhatsApp shows a `+` as a plus).
fn wa_link(number: &str, text: &str) -> String {
    let encoded =
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string();
    format!("https://wa.me/{number}?text={encoded}")
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
            sign_up_by: r.sign_up_by.format(DAY).to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whatsapp_numbers_are_written_the_way_wa_me_wants_them() {
        for typed in ["0812-3456-7890", "+62 812 3456 7890", "6281234567890"] {
            assert_eq!(whatsapp_number(typed).unwrap(), "6281234567890", "{typed}");
        }
        for wrong in ["022 2500 123", "0812", "08a", "+62 21 1234 5678"] {
            assert!(whatsapp_number(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn listed_arrears_grow_by_one_each_whole_month() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let listed = ListedArrears {
            as_of: d(2026, 10, 15),
            months: Some(7),
            amount: Some(245_000),
        };
        assert_eq!(listed.months_on(d(2026, 10, 30)), Some(7));
        assert_eq!(listed.months_on(d(2026, 11, 14)), Some(7));
        assert_eq!(listed.months_on(d(2026, 11, 15)), Some(8));
        assert_eq!(listed.months_on(d(2027, 1, 20)), Some(10));
        // A date before the extract never takes months off.
        assert_eq!(listed.months_on(d(2026, 9, 1)), Some(7));
        let text = listed_text(&listed, d(2026, 12, 3));
        assert!(text.starts_with(
            "Data BPJS per 15\u{2011}10\u{2011}2026: tunggakan 7 bulan (Rp 245.000)."
        ));
        assert!(text.contains("dihitung 8 bulan"), "{text}");
    }

    #[test]
    fn the_link_encodes_the_whole_message() {
        let link = wa_link("6281234567890", "Rp 1.000 & 50%");
        assert_eq!(
            link,
            "https://wa.me/6281234567890?text=Rp%201%2E000%20%26%2050%25"
        );
    }
}
