//! The dated rules as stored: read all (a few dozen rows), add one (audited).

use std::collections::HashMap;

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

/// Arrears as the member's latest extract lists them, or as an agent typed them at the door
/// since: none when that extract lists none (an older extract's arrears are history, not
/// today's debt).
pub fn listed_arrears(
    conn: &mut DbConnection,
    member_id: i32,
) -> QueryResult<Option<super::ListedArrears>> {
    Ok(current_arrears(conn, &[member_id])?.remove(&member_id))
}

/// [`listed_arrears`] for many members in two queries.
pub fn current_arrears(
    conn: &mut DbConnection,
    member_ids: &[i32],
) -> QueryResult<HashMap<i32, super::ListedArrears>> {
    let mut current = HashMap::new();
    for ids in member_ids.chunks(10_000) {
        let latest: HashMap<i32, NaiveDate> = member_history::table
            .filter(member_history::member_id.eq_any(ids))
            .group_by(member_history::member_id)
            .select((
                member_history::member_id,
                diesel::dsl::max(member_history::valid_from),
            ))
            .load::<(i32, Option<NaiveDate>)>(conn)?
            .into_iter()
            .filter_map(|(id, d)| Some((id, d?)))
            .collect();
        let rows = member_arrears::table
            .filter(member_arrears::member_id.eq_any(ids))
            .order((member_arrears::member_id, member_arrears::as_of))
            .select((
                member_arrears::member_id,
                member_arrears::as_of,
                member_arrears::months,
                member_arrears::amount,
            ))
            .load::<(i32, NaiveDate, Option<i32>, Option<i64>)>(conn)?;
        // In date order: the last row kept per member is its newest.
        for (id, as_of, months, amount) in rows {
            if latest.get(&id).is_some_and(|extract| as_of < *extract) {
                continue;
            }
            current.insert(
                id,
                super::ListedArrears {
                    as_of,
                    months,
                    amount,
                },
            );
        }
    }
    Ok(current)
}
