//! Warnings before registering a household that may already be on record: the same Nomor KK
//! in the user's areas, or the same RT/RW with a near-identical address in the kelurahan. The
//! user may confirm and save anyway (two families can share a house number).

use diesel::prelude::*;

use super::Household;
use super::forms::HouseholdInput;
use super::queries::visible;
use crate::auth::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::households;

/// How many households of one RT/RW are compared (an RT has a few hundred at most).
const SAME_RT_LIMIT: i64 = 1000;

/// An address reduced to what tells it apart: lower case, letters and digits, the usual
/// abbreviations made one (`Jalan`/`Jl.`, `Nomor`/`No.`, `Gang`/`Gg.`).
pub fn address_key(address: &str) -> String {
    let lower = address.to_lowercase();
    let words = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .filter_map(|w| match w {
            "jalan" | "jln" | "jl" => Some("jl"),
            "gang" | "gg" => Some("gg"),
            "nomor" | "no" | "nmr" => None,
            "rt" | "rw" => None,
            other => Some(other),
        });
    words.collect::<Vec<_>>().join("")
}

/// Edit distance, for short strings (addresses of up to 200 characters).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = if ca == cb {
                previous
            } else {
                1 + previous.min(here).min(row[j])
            };
            previous = here;
        }
    }
    row[b.len()]
}

/// Whether two addresses are the same but for a typo or two in the words (or their spelling);
/// the numbers must match exactly, as No. 5 and No. 15 are different houses.
pub fn near_identical(a: &str, b: &str) -> bool {
    let (a, b) = (address_key(a), address_key(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let words = |s: &str| {
        s.chars()
            .filter(|c| !c.is_ascii_digit())
            .collect::<String>()
    };
    if digits(&a) != digits(&b) {
        return false;
    }
    let (wa, wb) = (words(&a), words(&b));
    wa == wb || (wa.chars().count().min(wb.chars().count()) >= 8 && distance(&wa, &wb) <= 2)
}

/// The warnings for a new household, or for an edit of `previous` (which warns only about
/// what the edit changes, so saving a known near-duplicate again does not warn every time).
pub fn warnings(
    conn: &mut DbConnection,
    user: &CurrentUser,
    input: &HouseholdInput,
    previous: Option<&Household>,
) -> QueryResult<Vec<String>> {
    let mut out = Vec::new();
    let except = previous.map_or(0, |h| h.id);
    let kk_changed = previous.is_none_or(|h| h.nomor_kk != input.nomor_kk);
    let place_changed = previous.is_none_or(|h| {
        h.region_code.as_str() != input.region_code
            || h.rt != input.rt
            || h.rw != input.rw
            || address_key(&h.address) != address_key(&input.address)
    });
    if let Some(kk) = input.nomor_kk.as_ref().filter(|_| kk_changed) {
        let same_kk: Vec<(String, String, String)> = visible(user)
            .filter(households::nomor_kk.eq(kk))
            .filter(households::id.ne(except))
            .select((households::address, households::rt, households::rw))
            .limit(3)
            .load(conn)?;
        for (address, rt, rw) in same_kk {
            out.push(format!(
                "Nomor KK ini sudah tercatat untuk rumah tangga {address}, RT {rt}/RW {rw}."
            ));
        }
    }
    if !place_changed {
        return Ok(out);
    }
    // Scoped like the KK check: the form already refuses a kelurahan outside the user's areas,
    // and a household the user may not see is never named.
    let same_rt: Vec<String> = visible(user)
        .filter(households::region_code.eq(&input.region_code))
        .filter(households::rt.eq(&input.rt))
        .filter(households::rw.eq(&input.rw))
        .filter(households::id.ne(except))
        .select(households::address)
        .limit(SAME_RT_LIMIT)
        .load(conn)?;
    if let Some(address) = same_rt.iter().find(|a| near_identical(a, &input.address)) {
        out.push(format!(
            "Di RT {}/RW {} kelurahan ini sudah ada rumah tangga dengan alamat mirip: {address}.",
            input.rt, input.rw
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_and_typos_of_one_address_are_near_identical() {
        assert!(near_identical(
            "Jl. Sangkuriang No. 5",
            "jalan sangkuriang 5"
        ));
        assert!(near_identical(
            "Jl. Sangkuriang No. 5",
            "Jl Sangkurian No 5"
        ));
        assert!(!near_identical(
            "Jl. Sangkuriang No. 5",
            "Jl. Sangkuriang No. 15A"
        ));
        assert!(!near_identical("Jl. Dago No. 1", "Jl. Dago No. 2"));
        assert!(!near_identical(
            "Jl. Sangkuriang No. 5",
            "Jl. Sangkuriang No. 17"
        ));
        assert!(!near_identical("Jl. Dago No. 5", "Jl. Ciumbuleuit No. 5"));
        assert!(!near_identical("", ""));
    }
}
