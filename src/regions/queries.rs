//! Region lookups. Scope filters for other modules live here too: an area is a code prefix.

use std::collections::HashMap;

use diesel::dsl::count_star;
use diesel::prelude::*;

use super::{Region, RegionCode};
use crate::db::DbConnection;
use crate::db::schema::regions;

/// A filter keeping rows whose region column lies in one of `areas` (an area contains itself
/// and every code under it). Use only for users with areas; admins see everything unfiltered.
///
/// Codes hold only digits and dots, so "`32.73` and everything under it" is exactly the range
/// `'32.73' <= code < '32.73/'` (`/` follows `.` and precedes the digits in ASCII). A plain
/// range lets both backends search the index; `LIKE '32.73.%'` cannot on SQLite, and an OR
/// chain starting from a constant made SQLite scan the whole index.
#[macro_export]
macro_rules! within_areas {
    ($column:expr, $areas:expr) => {{
        use diesel::{BoolExpressionMethods, ExpressionMethods};
        let mut filter: Option<
            Box<
                dyn diesel::BoxableExpression<
                        _,
                        $crate::db::Backend,
                        SqlType = diesel::sql_types::Bool,
                    >,
            >,
        > = None;
        for area in $areas {
            let area: &str = area.as_ref();
            let (low, high) = $crate::regions::queries::area_range(area);
            let this = $column.ge(low).and($column.lt(high));
            filter = Some(match filter {
                None => Box::new(this),
                Some(previous) => Box::new(previous.or(this)),
            });
        }
        filter.unwrap_or_else(|| Box::new(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0")))
    }};
}

/// The half-open range of an area's codes, itself included: `[area, area + "/")`.
pub fn area_range(area: &str) -> (String, String) {
    (area.to_string(), format!("{area}/"))
}

/// The half-open range of codes strictly under `area`: `[area + ".", area + "/")`.
pub fn descendant_range(area: &str) -> (String, String) {
    (format!("{area}."), format!("{area}/"))
}

pub fn get(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Region>> {
    regions::table
        .find(code)
        .select(Region::as_select())
        .first(conn)
        .optional()
}

pub fn by_codes(conn: &mut DbConnection, codes: &[String]) -> QueryResult<Vec<Region>> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    regions::table
        .filter(regions::code.eq_any(codes))
        .select(Region::as_select())
        .order(regions::code)
        .load(conn)
}

pub fn provinces(conn: &mut DbConnection) -> QueryResult<Vec<Region>> {
    regions::table
        .filter(regions::parent_code.is_null())
        .select(Region::as_select())
        .order(regions::code)
        .load(conn)
}

pub fn children(conn: &mut DbConnection, code: &str) -> QueryResult<Vec<Region>> {
    regions::table
        .filter(regions::parent_code.eq(code))
        .select(Region::as_select())
        .order(regions::code)
        .load(conn)
}

/// Number of direct children of each given region, in one query.
pub fn child_counts(
    conn: &mut DbConnection,
    parents: &[String],
) -> QueryResult<HashMap<String, i64>> {
    if parents.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Option<String>, i64)> = regions::table
        .filter(regions::parent_code.eq_any(parents))
        .group_by(regions::parent_code)
        .select((regions::parent_code, count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(code, n)| code.map(|c| (c, n)))
        .collect())
}

/// The chain above a region (province first), in one query.
pub fn breadcrumbs(conn: &mut DbConnection, code: &RegionCode) -> QueryResult<Vec<Region>> {
    let codes: Vec<String> = code.ancestors().iter().map(|c| c.to_string()).collect();
    by_codes(conn, &codes)
}

/// Search by code prefix (when the query looks like a code) or by part of the name.
pub fn search(conn: &mut DbConnection, query: &str, limit: i64) -> QueryResult<Vec<Region>> {
    let query = query.trim();
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let looks_like_code = query.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let mut q = regions::table.select(Region::as_select()).into_boxed();
    if looks_like_code {
        q = q.filter(
            regions::code
                .like(format!("{}%", escape_like(query)))
                .escape('\\'),
        );
    } else {
        let pattern = format!("%{}%", escape_like(&query.to_lowercase()));
        q = q.filter(regions::search_name.like(pattern).escape('\\'));
    }
    // Higher levels first (a kecamatan before the villages that share its name), then by code.
    q.order((
        diesel::dsl::sql::<diesel::sql_types::Integer>("length(code)"),
        regions::code,
    ))
    .limit(limit)
    .load(conn)
}

pub fn escape_like(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A row in a region list: the region, how many units it has below, and where it sits.
pub struct RegionRow {
    pub region: Region,
    pub children: i64,
    pub context: String,
}

fn add_child_counts(
    conn: &mut DbConnection,
    mut rows: Vec<RegionRow>,
) -> QueryResult<Vec<RegionRow>> {
    let codes: Vec<String> = rows.iter().map(|r| r.region.code.clone()).collect();
    let counts = child_counts(conn, &codes)?;
    for row in &mut rows {
        row.children = counts.get(&row.region.code).copied().unwrap_or(0);
    }
    Ok(rows)
}

/// Search results need their place ("Kec. Coblong, Kota Bandung"): all ancestors in one query.
pub fn with_counts_and_context(
    conn: &mut DbConnection,
    regions: Vec<Region>,
) -> QueryResult<Vec<RegionRow>> {
    let mut ancestor_codes: Vec<String> = regions
        .iter()
        .filter_map(|r| RegionCode::parse(&r.code))
        .flat_map(|c| c.ancestors())
        .map(|c| c.to_string())
        .collect();
    ancestor_codes.sort();
    ancestor_codes.dedup();
    let ancestors = by_codes(conn, &ancestor_codes)?;
    let rows = regions
        .into_iter()
        .map(|region| {
            let context = RegionCode::parse(&region.code)
                .map(|c| c.ancestors())
                .unwrap_or_default()
                .iter()
                .rev()
                .filter_map(|a| ancestors.iter().find(|r| r.code == a.as_str()))
                .map(|r| r.name.clone())
                .collect::<Vec<_>>()
                .join(", ");
            RegionRow {
                region,
                children: 0,
                context,
            }
        })
        .collect();
    add_child_counts(conn, rows)
}

/// Rows for direct listing (children of one region), with their own child counts.
pub fn with_child_counts(
    conn: &mut DbConnection,
    regions: Vec<Region>,
) -> QueryResult<Vec<RegionRow>> {
    let rows = regions
        .into_iter()
        .map(|region| RegionRow {
            region,
            children: 0,
            context: String::new(),
        })
        .collect();
    add_child_counts(conn, rows)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_area_range_holds_the_area_and_its_descendants_only() {
        let (low, high) = super::area_range("32.73");
        let inside = |c: &str| c >= low.as_str() && c < high.as_str();
        assert!(inside("32.73"));
        assert!(inside("32.73.02.1004"));
        assert!(!inside("32.730"));
        assert!(!inside("32.7"));
        assert!(!inside("32.74"));
        assert!(!inside("32"));
    }

    #[test]
    fn the_descendant_range_holds_exactly_the_codes_under_an_area() {
        let (low, high) = super::descendant_range("32.73");
        let inside = |c: &str| c >= low.as_str() && c < high.as_str();
        assert!(inside("32.73.01"));
        assert!(inside("32.73.30.1999"));
        assert!(!inside("32.73"));
        assert!(!inside("32.730"));
        assert!(!inside("32.74.01"));
        assert!(!inside("32.72.99"));
    }

    #[test]
    fn escapes_like_wildcards() {
        assert_eq!(super::escape_like("50%_a\\"), "50\\%\\_a\\\\");
    }
}
