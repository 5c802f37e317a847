//! The dated rules as stored: read all (a few dozen rows), add one (audited).

use chrono::NaiveDate;
use diesel::prelude::*;

use super::{InForce, Rule, Rules};
use crate::audit;
use crate::db::schema::{contribution_rules, member_arrears, member_history};
use crate::db::{DbConnection, now};

/// Every stored row, newest first per rule.
pub fn all_rows(conn: &mut DbConnection) -> QueryResult<Vec<(Rule, InForce)>> {
    let rows: Vec<(String, NaiveDate, i64, String)> = contribution_rules::table
        .order((
            contribution_rules::rule,
            contribution_rules::valid_from.desc(),
        ))
        .select((
            contribution_rules::rule,
            contribution_rules::valid_from,
            contribution_rules::value,
            contribution_rules::basis,
        ))
        .load(conn)?;
    // A rule this build does not know (added by a newer one) is left out, not an error.
    Ok(rows
        .into_iter()
        .filter_map(|(rule, valid_from, value, basis)| {
            Some((
                Rule::parse(&rule)?,
                InForce {
                    value,
                    valid_from,
                    basis,
                },
            ))
        })
        .collect())
}

/// The rules in force on `day`.
pub fn rules_on(conn: &mut DbConnection, day: NaiveDate) -> QueryResult<Rules> {
    Ok(Rules::in_force(all_rows(conn)?, day))
}

/// Adds (or, for the same rule and date, replaces) a dated value, audited.
pub fn set(
    conn: &mut DbConnection,
    rule: Rule,
    valid_from: NaiveDate,
    value: i64,
    basis: &str,
    actor: Option<i32>,
) -> QueryResult<()> {
    diesel::delete(
        contribution_rules::table
            .filter(contribution_rules::rule.eq(rule.as_str()))
            .filter(contribution_rules::valid_from.eq(valid_from)),
    )
    .execute(conn)?;
    diesel::insert_into(contribution_rules::table)
        .values((
            contribution_rules::rule.eq(rule.as_str()),
            contribution_rules::valid_from.eq(valid_from),
            contribution_rules::value.eq(value),
            contribution_rules::basis.eq(basis),
            contribution_rules::created_by.eq(actor),
            contribution_rules::created_at.eq(now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "contribution_rule.set",
        "contribution_rule",
        rule.as_str(),
        &format!("{value} from {valid_from} ({basis})"),
    )
}

/// Arrears as the member's latest extract lists them: none when that extract lists none (an
/// older extract's arrears are history, not today's debt).
pub fn listed_arrears(
    conn: &mut DbConnection,
    member_id: i32,
) -> QueryResult<Option<super::ListedArrears>> {
    let latest: Option<NaiveDate> = member_history::table
        .filter(member_history::member_id.eq(member_id))
        .select(diesel::dsl::max(member_history::valid_from))
        .first(conn)?;
    let Some(latest) = latest else {
        return Ok(None);
    };
    member_arrears::table
        .find((member_id, latest))
        .select((
            member_arrears::as_of,
            member_arrears::months,
            member_arrears::amount,
        ))
        .first::<(NaiveDate, Option<i32>, Option<i64>)>(conn)
        .optional()
        .map(|row| {
            row.map(|(as_of, months, amount)| super::ListedArrears {
                as_of,
                months,
                amount,
            })
        })
}
