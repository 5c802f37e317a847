//! One batch of roster rows applied in one transaction: members matched by NIK (else JKN card
//! number), their households found or made, details and statuses written as of the newest
//! extract that listed them, one history row per member and extract date, rows of members living outside the importer's areas held (see `moves`), and
//! the field claims of the batch's members settled.

use chrono::NaiveDate;
use diesel::prelude::*;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use super::import::Importer;
use super::write::{
    IdTable, NewHousehold, NewMember, insert_history, insert_households, insert_members,
    reserve_ids, update_statuses, write_arrears,
};
use super::{MemberKey, RosterRow};
use crate::audit;
use crate::contributions::ListedArrears;
use crate::db::bulk::{BulkDate, SharedTimestamp};
use crate::db::schema::{households, member_history, members, reactivations};
use crate::db::{DbConnection, lower, now};
use crate::households::reach::{Owed, Pricing, Reach};
use crate::households::recount::refresh_households;
use crate::members::identity::Sex;
use crate::members::{Class, InactiveReason, MemberStatus, Segment, is_priority};
use crate::reactivations::ClaimState;
use crate::reactivations::settle::settle_by_roster;

/// A row's member key, household key and lower-cased name and address (for search).
pub(super) struct Derived {
    key: MemberKey,
    home: HouseholdKey,
    name_search: String,
    search_text: String,
}

impl Derived {
    pub(super) fn of(row: &RosterRow, key: MemberKey) -> Self {
        let mut search_text = row.address.to_lowercase();
        search_text.push(' ');
        Self {
            key,
            home: HouseholdKey::of(row),
            name_search: row.name.to_lowercase(),
            search_text,
        }
    }
}

#[derive(Default)]
pub(super) struct BatchOutcome {
    /// The rows (indices into the chunk) held as possible moves, not applied.
    pub(super) held: Vec<usize>,
    pub(super) members_created: i32,
    pub(super) members_changed: i32,
    pub(super) households_created: i32,
    pub(super) claims_confirmed: i32,
    pub(super) claims_flagged: i32,
}

/// A member the file may be about, with its household's kelurahan. The member's latest history
/// row is read by its key (member, date) in the same query: one seek per member instead of a
/// second query over all of them.
#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = members)]
struct Existing {
    id: i32,
    household_id: i32,
    nik: Option<String>,
    jkn_number: Option<String>,
    name: String,
    sex: Sex,
    birth_date: NaiveDate,
    segment: Segment,
    class: Option<Class>,
    status: MemberStatus,
    inactive_reason: Option<InactiveReason>,
    #[diesel(select_expression = households::region_code)]
    region_code: String,
    /// The latest extract date the member has a history row for.
    #[diesel(select_expression = diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Date>>(
        "(SELECT max(member_history.valid_from) FROM member_history \
         WHERE member_history.member_id = members.id)",
    ))]
    #[diesel(select_expression_type = diesel::expression::SqlLiteral<diesel::sql_types::Nullable<diesel::sql_types::Date>>)]
    last_seen: Option<NaiveDate>,
}

impl Existing {
    fn status_differs(&self, row: &RosterRow) -> bool {
        self.segment != row.segment
            || self.status != row.status
            || self.inactive_reason != row.inactive_reason
    }

    /// Anything but the status differs (the kelurahan included).
    fn details_differ(&self, row: &RosterRow) -> bool {
        self.name != row.name
            || self.sex != row.sex
            || self.birth_date != row.birth_date
            || self.class != row.class
            || (row.jkn_number.is_some() && self.jkn_number != row.jkn_number)
            || (row.nik.is_some() && self.nik != row.nik)
            || self.region_code != row.region_code
    }
}

/// Where a household is looked up: its KK number in the kelurahan, else RT/RW and address.
/// Both codes are all digits once checked, so the common key is two numbers: hashed and
/// copied many times a row, it costs no allocation.
#[derive(Clone, PartialEq, Eq, Hash)]
enum HouseholdKey {
    Kk(u64, u64),
    KkText(String, String),
    Address(String, String, String, String),
}

impl HouseholdKey {
    fn of(row: &RosterRow) -> Self {
        match &row.nomor_kk {
            Some(kk) => Self::kk(&row.region_code, kk),
            None => HouseholdKey::Address(
                row.region_code.clone(),
                row.rt.clone(),
                row.rw.clone(),
                row.address.to_lowercase(),
            ),
        }
    }

    fn kk(region_code: &str, kk: &str) -> Self {
        match (digits(region_code), digits(kk)) {
            (Some(region), Some(kk)) => HouseholdKey::Kk(region, kk),
            _ => HouseholdKey::KkText(region_code.to_owned(), kk.to_owned()),
        }
    }
}

/// The number a code's digits spell, its dots left out; `None` if it is empty or anything
/// else is in it. Kelurahan codes and KK numbers have fixed lengths, so leading zeros cannot
/// make two codes one number.
fn digits(code: &str) -> Option<u64> {
    if code.is_empty() {
        return None;
    }
    code.bytes().filter(|b| *b != b'.').try_fold(0u64, |n, b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

pub(super) fn apply_batch(
    conn: &mut DbConnection,
    rows: &[RosterRow],
    derived: &[Derived],
    date: NaiveDate,
    import_id: i32,
    importer: &Importer<'_>,
    known: Option<&KnownMembers>,
) -> QueryResult<BatchOutcome> {
    let mut outcome = BatchOutcome::default();
    if rows.is_empty() {
        return Ok(outcome);
    }
    let at = now();
    let stamp = SharedTimestamp::new(at);
    let homes_of = |i: usize| &derived[i].home;
    let lookup: Vec<&RosterRow> = match known {
        Some(known) => rows.iter().filter(|r| known.may_hold(r)).collect(),
        None => rows.iter().collect(),
    };
    let existing = find_existing(conn, &lookup)?;
    let found = |i: usize| existing.get(&derived[i].key);
    // A row whose member lives outside the importer's areas changes nothing: it is held as a
    // possible move, for someone who covers both kelurahan to accept or reject.
    let held: Vec<bool> = (0..rows.len())
        .map(|i| found(i).is_some_and(|e| !importer.covers(&e.region_code)))
        .collect();
    outcome.held = (0..rows.len()).filter(|i| held[*i]).collect();
    if !outcome.held.is_empty() {
        let items: Vec<(&RosterRow, i32)> = outcome
            .held
            .iter()
            .filter_map(|i| Some((&rows[*i], found(*i)?.id)))
            .collect();
        super::moves::hold(conn, import_id, date, &items)?;
    }
    // Whether the extract is at least as new as what the member's history already holds.
    let newer = |e: &Existing| e.last_seen.is_none_or(|d| date >= d);

    // Which rows need a household looked up or made: new members, and members the extract
    // places in another kelurahan.
    let needs_household: Vec<bool> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| match found(i) {
            _ if held[i] => false,
            None => true,
            Some(e) => e.region_code != row.region_code && newer(e),
        })
        .collect();
    // One row for each household key to look up.
    let wanted: Vec<&RosterRow> = {
        let mut keys = HashSet::new();
        (0..rows.len())
            .filter(|i| needs_household[*i] && keys.insert(homes_of(*i)))
            .map(|i| &rows[i])
            .collect()
    };
    let mut homes = find_households(conn, &wanted)?;
    // Households to make, each once, in file order.
    let missing: Vec<usize> = {
        let mut keys = HashSet::new();
        (0..rows.len())
            .filter(|i| needs_household[*i])
            .filter(|i| !homes.contains_key(homes_of(*i)) && keys.insert(homes_of(*i)))
            .collect()
    };
    // Households made here already carry the counts of their new members: only households
    // that existed before, or that an existing member moved into, need recounting.
    let mut created_households: HashSet<i32> = HashSet::new();
    if !missing.is_empty() {
        // A new household's worklist counts from its new members in this batch, so the common
        // case (a family listed together) needs no update afterwards.
        let mut counts: HashMap<&HouseholdKey, (i32, i32)> = HashMap::new();
        let mut owed: HashMap<&HouseholdKey, Vec<Owed>> = HashMap::new();
        let pricing = Pricing::load(conn)?;
        for (i, r) in rows
            .iter()
            .enumerate()
            .filter(|(i, _)| found(*i).is_none() && !held[*i])
        {
            let entry = counts.entry(homes_of(i)).or_default();
            entry.0 += i32::from(r.status.is_open());
            entry.1 += i32::from(is_priority(r.segment, r.status, r.inactive_reason));
            let months = ListedArrears {
                as_of: date,
                months: r.arrears_months,
                amount: r.arrears_amount,
            }
            .months_on(pricing.today);
            if let Some(o) = Owed::of(r.segment, r.status, r.inactive_reason, r.class, months) {
                owed.entry(homes_of(i)).or_default().push(o);
            }
        }
        let new_ids = reserve_ids(conn, IdTable::Households, missing.len())?;
        let made: Vec<NewHousehold<'_>> = missing
            .iter()
            .zip(&new_ids)
            .map(|(i, id)| {
                let (open, priority) = counts.get(homes_of(*i)).copied().unwrap_or_default();
                let reach = owed
                    .get(homes_of(*i))
                    .map_or(0, |o| Reach::of(o, &pricing).key());
                NewHousehold {
                    id: *id,
                    row: &rows[*i],
                    search_text: &derived[*i].search_text,
                    open,
                    priority,
                    reach,
                }
            })
            .collect();
        insert_households(conn, &made, importer.user_id(), &stamp)?;
        for (i, id) in missing.iter().zip(&new_ids) {
            homes.insert(homes_of(*i).clone(), *id);
            created_households.insert(*id);
        }
        outcome.households_created = missing.len() as i32;
    }

    let mut touched_households: HashSet<i32> = HashSet::new();
    let mut history: Vec<(i32, &RosterRow)> = Vec::new();
    let mut new_rows: Vec<NewMember<'_>> = Vec::new();
    let mut status_changes: Vec<(i32, &RosterRow)> = Vec::new();
    let mut nik_corrections: Vec<(i32, bool)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if held[i] {
            continue;
        }
        let household = needs_household[i]
            .then(|| homes.get(homes_of(i)).copied())
            .flatten();
        match found(i) {
            None => {
                let Some(household) = household else { continue };
                new_rows.push(NewMember {
                    row,
                    name_search: &derived[i].name_search,
                    household,
                });
                if !created_households.contains(&household) {
                    touched_households.insert(household);
                }
            }
            Some(e) => {
                let newer = newer(e);
                // The row's NIK for a member without one, or with the one a spreadsheet
                // rounded it to: who a member is does not depend on the extract's date.
                if row.nik.is_some() && e.nik != row.nik {
                    if !newer {
                        diesel::update(members::table.find(e.id))
                            .set((members::nik.eq(&row.nik), members::updated_at.eq(at)))
                            .execute(conn)?;
                    }
                    nik_corrections.push((e.id, e.nik.is_some()));
                }
                if newer && !e.details_differ(row) && e.status_differs(row) {
                    status_changes.push((e.id, row));
                    touched_households.insert(e.household_id);
                } else if newer && e.details_differ(row) {
                    let household_id = household.unwrap_or(e.household_id);
                    diesel::update(members::table.find(e.id))
                        .set((
                            members::household_id.eq(household_id),
                            members::nik.eq(row.nik.as_ref().or(e.nik.as_ref())),
                            members::name.eq(&row.name),
                            members::name_search.eq(&derived[i].name_search),
                            members::sex.eq(row.sex.as_str()),
                            members::birth_date.eq(row.birth_date),
                            members::jkn_number
                                .eq(row.jkn_number.as_ref().or(e.jkn_number.as_ref())),
                            members::segment.eq(row.segment.as_str()),
                            members::class.eq(row.class.map(|c| c.as_str())),
                            members::status.eq(row.status.as_str()),
                            members::inactive_reason.eq(row.inactive_reason.map(|r| r.as_str())),
                            members::updated_at.eq(at),
                        ))
                        .execute(conn)?;
                    touched_households.insert(e.household_id);
                    touched_households.insert(household_id);
                }
                if newer && e.status_differs(row) {
                    outcome.members_changed += 1;
                }
                // Every extract listing the member is kept ("seen in extract D"), changed or
                // not: the status on a date is the latest extract on or before it, and an
                // older extract imported later knows where it stands among the others.
                history.push((e.id, row));
            }
        }
    }

    update_statuses(conn, &status_changes, &stamp)?;
    for (id, had_one) in &nik_corrections {
        // The detail says what was wrong, never the number.
        audit::record(
            conn,
            importer.user_id(),
            "member.nik_correct",
            "member",
            &id.to_string(),
            &format!(
                "roster_import={import_id} extract={date} before={}",
                if *had_one { "rounded (Excel)" } else { "none" }
            ),
        )?;
    }

    // History: one row per member and extract date (replaced on a re-run). Only members
    // known before this batch can have a row for the date already.
    if !history.is_empty() {
        let ids: Vec<i32> = history.iter().map(|(id, _)| *id).collect();
        diesel::delete(
            member_history::table
                .filter(member_history::member_id.eq_any(&ids))
                .filter(member_history::valid_from.eq(date)),
        )
        .execute(conn)?;
        insert_history(conn, &history, date, import_id)?;
    }

    // Every member the batch lists, with the row listing them: for their arrears.
    let mut listed = history;
    // New members: inserted together under ids reserved for them, with their first
    // history row.
    if !new_rows.is_empty() {
        let new_ids = reserve_ids(conn, IdTable::Members, new_rows.len())?;
        listed.extend(new_ids.iter().zip(&new_rows).map(|(id, m)| (*id, m.row)));
        insert_members(conn, &new_rows, &new_ids, importer.user_id(), &stamp)?;
        outcome.members_created = new_rows.len() as i32;
        match conn {
            // SQLite's reserved ids are one unbroken range no other connection can write in
            // (the batch holds the only write lock), so SQLite copies the rows itself.
            DbConnection::Sqlite(c) => {
                use diesel::sql_types::{Date, Integer};
                diesel::sql_query(
                    "INSERT INTO member_history (member_id, valid_from, segment, status, \
                     inactive_reason, import_id) \
                     SELECT id, ?, segment, status, inactive_reason, ? FROM members \
                     WHERE id BETWEEN ? AND ?",
                )
                .bind::<Date, _>(BulkDate(date))
                .bind::<Integer, _>(import_id)
                .bind::<Integer, _>(new_ids[0])
                .bind::<Integer, _>(new_ids[new_ids.len() - 1])
                .execute(c)?;
            }
            DbConnection::Pg(_) => {
                let made: Vec<(i32, &RosterRow)> = new_ids
                    .iter()
                    .zip(&new_rows)
                    .map(|(id, m)| (*id, m.row))
                    .collect();
                insert_history(conn, &made, date, import_id)?;
            }
        }
    }

    write_arrears(conn, &listed, date, import_id)?;
    let officials: Vec<i32> = listed
        .iter()
        .filter(|(_, row)| row.village_official)
        .map(|(id, _)| *id)
        .collect();
    crate::pemda::officials::mark_from_roster(conn, &officials, date)?;
    refresh_households(conn, &touched_households)?;

    // Reconciliation against the claims of the members in this batch. A claim is about a member
    // the field recorded, so members this batch created have none.
    // Only members with a claim still open need looking at (a few among thousands).
    let claimed: HashSet<i32> = if existing.is_empty() {
        HashSet::new()
    } else {
        reactivations::table
            .filter(reactivations::state.eq(ClaimState::Reported.as_str()))
            .select(reactivations::member_id)
            .load::<i32>(conn)?
            .into_iter()
            .collect()
    };
    let mut active: Vec<i32> = Vec::new();
    let mut inactive: Vec<i32> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if let Some(e) = found(i).filter(|e| !held[i] && claimed.contains(&e.id)) {
            if row.status == MemberStatus::Active {
                active.push(e.id);
            } else {
                inactive.push(e.id);
            }
        }
    }
    let (confirmed, flagged) = settle_by_roster(conn, &active, &inactive, date)?;
    outcome.claims_confirmed = confirmed;
    outcome.claims_flagged = flagged;
    Ok(outcome)
}

/// Applies one roster row as an import by `importer` would: a held move someone accepted
/// (see `moves`). Only if the row still matches member `member_id` and the importer covers
/// where that member lives; false, changing nothing, otherwise.
pub(super) fn apply_row(
    conn: &mut DbConnection,
    row: RosterRow,
    member_id: i32,
    date: NaiveDate,
    import_id: i32,
    importer: &Importer<'_>,
) -> QueryResult<bool> {
    let Some(key) = row.key() else {
        return Ok(false);
    };
    let matches = find_existing(conn, &[&row])?
        .get(&key)
        .is_some_and(|e| e.id == member_id && importer.covers(&e.region_code));
    if !matches || !importer.covers(&row.region_code) {
        return Ok(false);
    }
    let derived = [Derived::of(&row, key)];
    let outcome = apply_batch(conn, &[row], &derived, date, import_id, importer, None)?;
    Ok(outcome.held.is_empty())
}

/// Members already known for the rows, by row key. In turn: by NIK; by card number among
/// members recorded without a NIK; a row's true NIK for a member stored with the NIK a
/// spreadsheet rounded it to (the same card, or name and birth date); then within the row's
/// kelurahan, by card and by name and birth date — any member for a row whose identifier a
/// spreadsheet damaged, only members without a NIK otherwise. One person stays one member.
fn find_existing(
    conn: &mut DbConnection,
    rows: &[&RosterRow],
) -> QueryResult<HashMap<MemberKey, Existing>> {
    let mut found: HashMap<MemberKey, Existing> = HashMap::new();
    if rows.is_empty() {
        return Ok(found);
    }
    let niks: Vec<&str> = rows.iter().filter_map(|r| r.nik.as_deref()).collect();
    if !niks.is_empty() {
        for e in members::table
            .inner_join(households::table)
            .filter(members::nik.eq_any(&niks))
            .select(Existing::as_select())
            .load::<Existing>(conn)?
        {
            if let Some(key) = e.nik.as_deref().and_then(MemberKey::nik) {
                found.insert(key, e);
            }
        }
    }
    let unmatched = |found: &HashMap<MemberKey, Existing>| -> Vec<(MemberKey, &RosterRow)> {
        rows.iter()
            .filter_map(|r| Some((r.key()?, *r)))
            .filter(|(key, _)| !found.contains_key(key))
            .collect()
    };
    let left = unmatched(&found);
    let cards: Vec<&str> = left
        .iter()
        .filter_map(|(_, r)| r.jkn_number.as_deref())
        .collect();
    if !cards.is_empty() {
        let by_card: HashMap<String, Existing> = members::table
            .inner_join(households::table)
            .filter(members::jkn_number.eq_any(&cards))
            .filter(members::nik.is_null())
            .order(members::id.desc())
            .select(Existing::as_select())
            .load::<Existing>(conn)?
            .into_iter()
            .filter_map(|e| e.jkn_number.clone().map(|j| (j, e)))
            .collect();
        for (key, row) in &left {
            if let Some(e) = row.jkn_number.as_ref().and_then(|card| by_card.get(card)) {
                found.insert(*key, e.clone());
            }
        }
    }
    let left = unmatched(&found);
    let rounded: Vec<(MemberKey, &RosterRow, String)> = left
        .iter()
        .filter_map(|(key, r)| Some((*key, *r, excel_rounded(r.nik.as_deref()?)?)))
        .collect();
    if !rounded.is_empty() {
        let wrong: Vec<&str> = rounded.iter().map(|(_, _, nik)| nik.as_str()).collect();
        let stored: HashMap<String, Existing> = members::table
            .inner_join(households::table)
            .filter(members::nik.eq_any(&wrong))
            .select(Existing::as_select())
            .load::<Existing>(conn)?
            .into_iter()
            .filter_map(|e| e.nik.clone().map(|n| (n, e)))
            .collect();
        for (key, row, nik) in rounded {
            if let Some(e) = stored.get(&nik)
                && (same_card(e, row) == Some(true) || same_person(e, row))
            {
                found.insert(key, e.clone());
            }
        }
    }
    let left = unmatched(&found);
    if left.is_empty() {
        return Ok(found);
    }
    let mut regions: Vec<&str> = left.iter().map(|(_, r)| r.region_code.as_str()).collect();
    regions.sort_unstable();
    regions.dedup();
    let mut dates: Vec<NaiveDate> = left.iter().map(|(_, r)| r.birth_date).collect();
    dates.sort_unstable();
    dates.dedup();
    let cards: Vec<&str> = left
        .iter()
        .filter(|(_, r)| r.id_damaged)
        .filter_map(|(_, r)| r.jkn_number.as_deref())
        .collect();
    // Through the kelurahan's households and each household's members by birth date: the
    // members have no index on name or card number (every index slows the import).
    let candidates: Vec<Existing> = members::table
        .inner_join(households::table)
        .filter(households::region_code.eq_any(&regions))
        .filter(
            members::birth_date
                .eq_any(&dates)
                .or(members::jkn_number.eq_any(&cards)),
        )
        .order(members::id)
        .select(Existing::as_select())
        .load::<Existing>(conn)?;
    for (key, row) in left {
        let here = |e: &&Existing| e.region_code == row.region_code;
        let by_card = || {
            candidates
                .iter()
                .filter(here)
                .find(|e| row.id_damaged && same_card(e, row) == Some(true))
        };
        let by_person = || {
            candidates.iter().filter(here).find(|e| {
                same_person(e, row)
                    && (row.id_damaged || (e.nik.is_none() && same_card(e, row) != Some(false)))
            })
        };
        if let Some(e) = by_card().or_else(by_person) {
            found.insert(key, e.clone());
        }
    }
    Ok(found)
}

/// Whether the member and the row have the same card number; `None` if either has none.
fn same_card(e: &Existing, row: &RosterRow) -> Option<bool> {
    Some(e.jkn_number.as_deref()? == row.jkn_number.as_deref()?)
}

/// Whether the member has the row's name (in any case and spacing) and birth date.
fn same_person(e: &Existing, row: &RosterRow) -> bool {
    e.birth_date == row.birth_date && e.name.to_lowercase() == row.name.to_lowercase()
}

/// The NIK a number cell turns `nik` into (15 significant digits, the 16th a zero), when that
/// is another number: what an import before this check may have stored for it.
fn excel_rounded(nik: &str) -> Option<String> {
    let n: u64 = nik.parse().ok()?;
    let rounded = n.checked_add(5)? / 10 * 10;
    let text = rounded.to_string();
    (rounded != n && text.len() == nik.len()).then_some(text)
}

/// The members a roster row may match, loaded once per import: every NIK in the database, the
/// card numbers of members recorded without one, and those members' names and birth dates
/// in their kelurahan. Rows matching none of them are new and need no lookup, which is nearly
/// every row of a first import. 8 bytes a member, sorted.
pub(super) struct KnownMembers {
    keys: Vec<MemberKey>,
}

impl KnownMembers {
    /// Read through the NIK index and the card index of members without a NIK, in pages.
    pub(super) fn load(conn: &mut DbConnection) -> QueryResult<Self> {
        const PAGE: i64 = 100_000;
        let mut keys = Vec::new();
        let mut after = String::new();
        loop {
            let page: Vec<String> = members::table
                .filter(members::nik.gt(&after))
                .order(members::nik)
                .limit(PAGE)
                .select(members::nik.assume_not_null())
                .load(conn)?;
            keys.extend(page.iter().filter_map(|nik| MemberKey::nik(nik)));
            match page.into_iter().last() {
                Some(last) => after = last,
                None => break,
            }
        }
        let cards: Vec<String> = members::table
            .filter(members::nik.is_null())
            .filter(members::jkn_number.is_not_null())
            .select(members::jkn_number.assume_not_null())
            .load(conn)?;
        keys.extend(cards.iter().filter_map(|card| MemberKey::card(card)));
        let people: Vec<(String, String, NaiveDate)> = members::table
            .inner_join(households::table)
            .filter(members::nik.is_null())
            .select((households::region_code, members::name, members::birth_date))
            .load(conn)?;
        keys.extend(
            people
                .iter()
                .map(|(region, name, born)| MemberKey::person(region, name, *born)),
        );
        keys.sort_unstable();
        keys.dedup();
        Ok(Self { keys })
    }

    fn may_hold(&self, row: &RosterRow) -> bool {
        let holds =
            |key: Option<MemberKey>| key.is_some_and(|k| self.keys.binary_search(&k).is_ok());
        // A damaged identifier is matched by name and birth date among all members.
        row.id_damaged
            || holds(row.nik.as_deref().and_then(MemberKey::nik))
            || holds(row.jkn_number.as_deref().and_then(MemberKey::card))
            || holds(Some(row.person_key()))
            || holds(
                row.nik
                    .as_deref()
                    .and_then(excel_rounded)
                    .and_then(|n| MemberKey::nik(&n)),
            )
    }
}

/// Households for the rows' household keys, lowest id first when several match.
fn find_households(
    conn: &mut DbConnection,
    rows: &[&RosterRow],
) -> QueryResult<HashMap<HouseholdKey, i32>> {
    let mut regions_kk: Vec<&str> = Vec::new();
    let mut kks: Vec<&str> = Vec::new();
    let mut regions_addr: Vec<&str> = Vec::new();
    let mut addresses: Vec<String> = Vec::new();
    for row in rows {
        match &row.nomor_kk {
            Some(kk) => {
                regions_kk.push(&row.region_code);
                kks.push(kk);
            }
            None => {
                regions_addr.push(&row.region_code);
                addresses.push(row.address.to_lowercase());
            }
        }
    }
    let mut found: HashMap<HouseholdKey, i32> = HashMap::new();
    if !kks.is_empty() {
        regions_kk.sort_unstable();
        regions_kk.dedup();
        for (id, region, kk) in households::table
            .filter(households::nomor_kk.eq_any(&kks))
            .filter(households::region_code.eq_any(&regions_kk))
            .order(households::id.desc())
            .select((
                households::id,
                households::region_code,
                households::nomor_kk,
            ))
            .load::<(i32, String, Option<String>)>(conn)?
        {
            if let Some(kk) = kk {
                found.insert(HouseholdKey::kk(&region, &kk), id);
            }
        }
    }
    if !addresses.is_empty() {
        regions_addr.sort_unstable();
        regions_addr.dedup();
        for (id, region, rt, rw, address) in households::table
            .filter(lower(households::address).eq_any(&addresses))
            .filter(households::region_code.eq_any(&regions_addr))
            .order(households::id.desc())
            .select((
                households::id,
                households::region_code,
                households::rt,
                households::rw,
                households::address,
            ))
            .load::<(i32, String, String, String, String)>(conn)?
        {
            found.insert(
                HouseholdKey::Address(region, rt, rw, address.to_lowercase()),
                id,
            );
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn niks_as_a_number_cell_rounds_them() {
        assert_eq!(
            excel_rounded("3273026810570038").as_deref(),
            Some("3273026810570040")
        );
        assert_eq!(excel_rounded("3273026810570040"), None);
        assert_eq!(
            excel_rounded("3273026810570034").as_deref(),
            Some("3273026810570030")
        );
        assert_eq!(excel_rounded("9999999999999999"), None);
    }

    #[test]
    fn household_codes_become_numbers_only_when_all_digits() {
        assert_eq!(digits("32.73.01.1001"), Some(3_273_011_001));
        assert_eq!(digits("3273010000000001"), Some(3_273_010_000_000_001));
        assert_eq!(digits(""), None);
        assert_eq!(digits("32.73.0A"), None);
        assert_eq!(digits("99999999999999999999"), None);
    }
}
