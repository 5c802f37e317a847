//! Closing a month for an area ("tutup periode"): the recap is stored as it stands and
//! audited; later changes to a closed month (a confirmation, rejection, voided visit, a rate
//! set back in time) are the difference between that month computed now and what its stored
//! lines already hold, shown in the next open month and stored with it when that one closes.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::Month;
use super::figures::{Figures, Key, Pathway};
use super::queries::{self, Scope};
use crate::audit;
use crate::auth::CurrentUser;
use crate::db::schema::{recap_lines, recap_periods, users};
use crate::db::{DbConnection, now};

/// How many closed months back a change still becomes an adjustment.
pub const ADJUST_MONTHS: usize = 12;

#[derive(Clone, Debug)]
pub struct Period {
    pub id: i32,
    pub month: Month,
    pub closed_by: String,
    pub closed_at: NaiveDateTime,
}

/// One agent's line of a recap: their month, or (with an earlier `source`) an adjustment.
#[derive(Clone, Debug)]
pub struct Line {
    pub user_id: i32,
    pub name: String,
    pub source: Month,
    pub figures: Figures,
}

/// An area's recap of a month: stored if closed, else computed now.
#[derive(Clone, Debug)]
pub struct Recap {
    pub month: Month,
    pub closed: Option<Period>,
    pub lines: Vec<Line>,
    pub adjustments: Vec<Line>,
    /// Whether it can be closed now, or why not.
    pub closable: Result<(), String>,
}

impl Recap {
    pub fn total(&self) -> i64 {
        self.lines
            .iter()
            .chain(&self.adjustments)
            .map(|l| l.figures.amount)
            .sum()
    }
}

/// The closed months of an area, oldest first.
pub fn periods(conn: &mut DbConnection, area: &str) -> QueryResult<Vec<Period>> {
    let rows: Vec<(i32, NaiveDate, String, NaiveDateTime)> = recap_periods::table
        .inner_join(users::table)
        .filter(recap_periods::region_code.eq(area))
        .order(recap_periods::month.asc())
        .select((
            recap_periods::id,
            recap_periods::month,
            users::full_name,
            recap_periods::closed_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, month, closed_by, closed_at)| Period {
            id,
            month: Month::of(month),
            closed_by,
            closed_at,
        })
        .collect())
}

type LineRow = (
    i32,
    i32,
    String,
    NaiveDate,
    (i64, i64, i64, i64),
    (i64, i64, i64),
    (i64, i64, i64),
    Option<i32>,
    i64,
);

fn line_of(row: LineRow) -> (i32, Line) {
    let (
        period,
        user_id,
        name,
        source,
        (v, h, due, kept),
        (rr, rc, rj),
        (gr, gc, gj),
        median,
        amount,
    ) = row;
    (
        period,
        Line {
            user_id,
            name,
            source: Month::of(source),
            figures: Figures {
                visits: v,
                households: h,
                revisits_due: due,
                revisits_kept: kept,
                reactivations: Pathway {
                    reported: rr,
                    confirmed: rc,
                    rejected: rj,
                },
                registrations: Pathway {
                    reported: gr,
                    confirmed: gc,
                    rejected: gj,
                },
                median_days: median,
                amount,
            },
        },
    )
}

/// Stored lines of these periods, with the period id, in one query; optionally one user's.
fn stored_lines(
    conn: &mut DbConnection,
    period_ids: &[i32],
    user: Option<i32>,
) -> QueryResult<Vec<(i32, Line)>> {
    let mut q = recap_lines::table
        .inner_join(users::table)
        .filter(recap_lines::period_id.eq_any(period_ids))
        .select((
            recap_lines::period_id,
            recap_lines::user_id,
            users::full_name,
            recap_lines::source_month,
            (
                recap_lines::visits,
                recap_lines::households,
                recap_lines::revisits_due,
                recap_lines::revisits_kept,
            ),
            (
                recap_lines::reactivations_reported,
                recap_lines::reactivations_confirmed,
                recap_lines::reactivations_rejected,
            ),
            (
                recap_lines::registrations_reported,
                recap_lines::registrations_confirmed,
                recap_lines::registrations_rejected,
            ),
            recap_lines::median_days,
            recap_lines::amount,
        ))
        .order((users::full_name, recap_lines::source_month))
        .into_boxed();
    if let Some(user) = user {
        q = q.filter(recap_lines::user_id.eq(user));
    }
    let rows: Vec<LineRow> = q.load(conn)?;
    Ok(rows.into_iter().map(line_of).collect())
}

/// Lines from computed figures, named, by name.
fn named(conn: &mut DbConnection, figures: Vec<(Key, Figures)>) -> QueryResult<Vec<Line>> {
    let ids: Vec<i32> = figures.iter().map(|((u, _), _)| *u).collect();
    let names = queries::names(conn, &ids)?;
    let mut lines: Vec<Line> = figures
        .into_iter()
        .map(|((user_id, source), figures)| Line {
            user_id,
            name: names.get(&user_id).cloned().unwrap_or_default(),
            source,
            figures,
        })
        .collect();
    lines.sort_by(|a, b| (&a.name, a.user_id, a.source).cmp(&(&b.name, b.user_id, b.source)));
    Ok(lines)
}

/// What changed in the area's recent closed months since their lines were stored.
fn pending_adjustments(
    conn: &mut DbConnection,
    scope: &Scope,
    closed: &[Period],
    today: NaiveDate,
) -> QueryResult<Vec<(Key, Figures)>> {
    let recent = &closed[closed.len().saturating_sub(ADJUST_MONTHS)..];
    let (Some(first), Some(last)) = (recent.first(), recent.last()) else {
        return Ok(Vec::new());
    };
    let months: BTreeSet<Month> = recent.iter().map(|p| p.month).collect();
    let now_figures = queries::live(conn, scope, first.month, last.month.next(), today)?;
    let ids: Vec<i32> = closed.iter().map(|p| p.id).collect();
    let mut paid: HashMap<Key, Figures> = HashMap::new();
    for (_, line) in stored_lines(conn, &ids, None)? {
        paid.entry((line.user_id, line.source))
            .or_default()
            .add(&line.figures);
    }
    let keys: BTreeSet<Key> = now_figures
        .keys()
        .chain(paid.keys())
        .filter(|(_, m)| months.contains(m))
        .copied()
        .collect();
    let zero = Figures::default();
    Ok(keys
        .into_iter()
        .filter_map(|key| {
            let now = now_figures.get(&key).unwrap_or(&zero);
            let diff = now.minus(paid.get(&key).unwrap_or(&zero));
            (!diff.is_zero()).then_some((key, diff))
        })
        .collect())
}

/// Why `month` cannot be closed for an area with these closed months, if it cannot.
fn closable(month: Month, closed: &[Period], today: NaiveDate) -> Result<(), String> {
    if closed.iter().any(|p| p.month == month) {
        return Err("Periode ini sudah ditutup.".into());
    }
    if !month.ended_by(today) {
        return Err("Periode baru bisa ditutup setelah bulannya berakhir.".into());
    }
    match closed.last() {
        Some(last) if last.month > month => {
            Err("Bulan sesudahnya sudah ditutup; perubahan masuk sebagai penyesuaian.".into())
        }
        Some(last) if last.month.next() != month => Err(format!(
            "Tutup dulu periode {}: periode ditutup berurutan.",
            last.month.next().label()
        )),
        _ => Ok(()),
    }
}

/// The recap of `area` for `month` as the scope (a supervisor's, or an admin's) may see it.
pub fn area_recap(
    conn: &mut DbConnection,
    scope: &Scope,
    area: &str,
    month: Month,
    today: NaiveDate,
) -> QueryResult<Recap> {
    let closed = periods(conn, area)?;
    if let Some(period) = closed.iter().find(|p| p.month == month).cloned() {
        let (lines, adjustments) = stored_lines(conn, &[period.id], None)?
            .into_iter()
            .map(|(_, l)| l)
            .partition(|l| l.source == month);
        return Ok(Recap {
            month,
            closable: closable(month, &closed, today),
            closed: Some(period),
            lines,
            adjustments,
        });
    }
    let figures: Vec<(Key, Figures)> = queries::live(conn, scope, month, month.next(), today)?
        .into_iter()
        .collect();
    let lines = named(conn, figures)?;
    let adjustments = if closed.last().is_some_and(|p| p.month.next() == month) {
        let pending = pending_adjustments(conn, scope, &closed, today)?;
        named(conn, pending)?
    } else {
        Vec::new()
    };
    Ok(Recap {
        month,
        closed: None,
        closable: closable(month, &closed, today),
        lines,
        adjustments,
    })
}

#[derive(Insertable)]
#[diesel(table_name = recap_lines)]
struct NewLine {
    period_id: i32,
    user_id: i32,
    source_month: NaiveDate,
    visits: i64,
    households: i64,
    revisits_due: i64,
    revisits_kept: i64,
    reactivations_reported: i64,
    reactivations_confirmed: i64,
    reactivations_rejected: i64,
    registrations_reported: i64,
    registrations_confirmed: i64,
    registrations_rejected: i64,
    median_days: Option<i32>,
    amount: i64,
}

impl NewLine {
    fn of(period_id: i32, line: &Line) -> Self {
        let f = &line.figures;
        NewLine {
            period_id,
            user_id: line.user_id,
            source_month: line.source.first(),
            visits: f.visits,
            households: f.households,
            revisits_due: f.revisits_due,
            revisits_kept: f.revisits_kept,
            reactivations_reported: f.reactivations.reported,
            reactivations_confirmed: f.reactivations.confirmed,
            reactivations_rejected: f.reactivations.rejected,
            registrations_reported: f.registrations.reported,
            registrations_confirmed: f.registrations.confirmed,
            registrations_rejected: f.registrations.rejected,
            median_days: f.median_days,
            amount: f.amount,
        }
    }
}

/// Closes `month` for `area` (run inside a write transaction): stores its recap with the
/// adjustments it carries, audited. `Err` says why it cannot be closed; the area must be the
/// user's.
pub fn close(
    conn: &mut DbConnection,
    user: &CurrentUser,
    area: &str,
    month: Month,
    today: NaiveDate,
) -> QueryResult<Result<Recap, String>> {
    if !user.covers(area) {
        return Ok(Err("Wilayah ini bukan wilayah Anda.".into()));
    }
    // A month closed for a wider or a narrower area already holds some of this area's work:
    // closing this one too would pay the same visits and claims twice.
    let closed_here: Vec<String> = recap_periods::table
        .filter(recap_periods::month.eq(month.first()))
        .select(recap_periods::region_code)
        .load(conn)?;
    let within = |outer: &str, inner: &str| inner.starts_with(&format!("{outer}."));
    if let Some(other) = closed_here
        .iter()
        .find(|c| within(c, area) || within(area, c))
    {
        return Ok(Err(format!(
            "Periode ini sudah ditutup untuk wilayah {other}, yang {} wilayah ini; pekerjaan \
             yang sama tidak ditutup dua kali.",
            if within(other, area) {
                "mencakup"
            } else {
                "termasuk dalam"
            }
        )));
    }
    let scope = Scope::for_user(user, Some(area));
    let recap = area_recap(conn, &scope, area, month, today)?;
    if let Err(why) = &recap.closable {
        return Ok(Err(why.clone()));
    }
    let inserted = diesel::insert_into(recap_periods::table)
        .values((
            recap_periods::region_code.eq(area),
            recap_periods::month.eq(month.first()),
            recap_periods::closed_by.eq(user.id),
            recap_periods::closed_at.eq(now()),
        ))
        .execute(conn);
    match inserted {
        // Another supervisor closed it a moment ago (PostgreSQL: both passed the check).
        Err(e) if crate::submissions::is_unique_violation(&e) => {
            return Ok(Err("Periode ini sudah ditutup.".into()));
        }
        other => other?,
    };
    let period_id: i32 = recap_periods::table
        .filter(recap_periods::region_code.eq(area))
        .filter(recap_periods::month.eq(month.first()))
        .select(recap_periods::id)
        .first(conn)?;
    let rows: Vec<NewLine> = recap
        .lines
        .iter()
        .chain(&recap.adjustments)
        .map(|l| NewLine::of(period_id, l))
        .collect();
    for part in rows.chunks(500) {
        crate::with_backend!(conn, c => diesel::insert_into(recap_lines::table).values(part).execute(c))?;
    }
    audit::record(
        conn,
        Some(user.id),
        "recap.close",
        "recap_period",
        &format!("{area}:{month}"),
        &format!(
            "{} lines, {} adjustments, total {}",
            recap.lines.len(),
            recap.adjustments.len(),
            recap.total()
        ),
    )?;
    Ok(Ok(area_recap(conn, &scope, area, month, today)?))
}

/// A field worker's own lines stored in the closings of `month` (any area).
pub fn own_stored(conn: &mut DbConnection, user_id: i32, month: Month) -> QueryResult<Vec<Line>> {
    let ids: Vec<i32> = recap_periods::table
        .filter(recap_periods::month.eq(month.first()))
        .select(recap_periods::id)
        .load(conn)?;
    Ok(stored_lines(conn, &ids, Some(user_id))?
        .into_iter()
        .map(|(_, l)| l)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(m: &str) -> Period {
        Period {
            id: 1,
            month: Month::parse(m).unwrap(),
            closed_by: String::new(),
            closed_at: NaiveDateTime::default(),
        }
    }

    #[test]
    fn months_close_in_order_and_only_once_ended() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let m = |s| Month::parse(s).unwrap();
        assert!(closable(m("2026-11"), &[], today).is_ok());
        assert!(closable(m("2026-12"), &[], today).is_err(), "not over yet");
        let closed = [period("2026-09")];
        assert!(closable(m("2026-10"), &closed, today).is_ok());
        assert!(
            closable(m("2026-11"), &closed, today)
                .unwrap_err()
                .contains("Oktober")
        );
        assert!(closable(m("2026-09"), &closed, today).is_err());
        assert!(closable(m("2026-08"), &closed, today).is_err());
    }
}
