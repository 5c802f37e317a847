//! The audit trail: who changed what, when, old → new. Written in the same transaction as the
//! change it describes. Never holds passwords; personal data only as far as the change needs.

pub mod views;

use diesel::prelude::*;

use crate::db::schema::audit_log;
use crate::db::{DbConnection, now};

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewEntry<'a> {
    at: chrono::NaiveDateTime,
    actor_user_id: Option<i32>,
    action: &'a str,
    entity: &'a str,
    entity_id: &'a str,
    detail: &'a str,
}

/// Records one change. `actor` is `None` for the command line (the operator of the machine).
pub fn record(
    conn: &mut DbConnection,
    actor: Option<i32>,
    action: &str,
    entity: &str,
    entity_id: &str,
    detail: &str,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(NewEntry {
            at: now(),
            actor_user_id: actor,
            action,
            entity,
            entity_id,
            detail,
        })
        .execute(conn)
        .map(|_| ())
}

#[derive(Queryable, Debug)]
pub struct Entry {
    pub id: i32,
    pub at: chrono::NaiveDateTime,
    pub actor_user_id: Option<i32>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub detail: String,
    /// The actor's full name (else username), joined in: `None` for the command line.
    pub actor_name: Option<String>,
}

impl Entry {
    pub fn label(&self) -> &str {
        action_label(&self.action)
    }

    pub fn detail_text(&self) -> String {
        detail_text(&self.detail)
    }
}

/// Every action the code writes, as a person reads it. An unknown action (written by a newer
/// version) shows as stored.
pub const ACTIONS: &[(&str, &str)] = &[
    ("user.create", "Pengguna dibuat"),
    ("user.update", "Data pengguna diubah"),
    ("user.disable", "Akun dinonaktifkan"),
    ("user.enable", "Akun diaktifkan kembali"),
    ("user.reset_password", "Kata sandi diatur ulang"),
    ("user.change_password", "Kata sandi diganti sendiri"),
    ("login.unlock", "Kunci masuk dibuka"),
    ("token.create", "Token API dibuat"),
    ("token.revoke", "Token API dicabut"),
    ("token.revoke_all", "Semua token API dicabut"),
    ("contribution_rule.set", "Aturan iuran ditetapkan"),
    ("incentive_rate.set", "Tarif insentif ditetapkan"),
    ("recap.close", "Periode rekap ditutup"),
    ("figures.import", "Data penduduk dan peserta diimpor"),
    ("roster.import", "Data peserta BPJS diimpor"),
    ("roster.error_report", "Daftar galat impor diunduh"),
    ("roster.move_accept", "Perpindahan peserta diterima"),
    ("roster.move_reject", "Perpindahan peserta ditolak"),
    ("reactivation.report", "Reaktivasi dilaporkan"),
    ("reactivation.confirm", "Reaktivasi dikonfirmasi"),
    ("reactivation.reject", "Reaktivasi ditolak"),
    (
        "reactivation.confirm_by_roster",
        "Reaktivasi dikonfirmasi data BPJS",
    ),
    (
        "reactivation.reject_by_roster",
        "Reaktivasi ditandai: masih nonaktif di data BPJS",
    ),
    ("household.create", "Rumah tangga dibuat"),
    ("household.update", "Rumah tangga diubah"),
    ("household.assign", "Rumah tangga ditugaskan"),
    ("member.create", "Anggota ditambahkan"),
    ("member.update", "Data anggota diubah"),
    ("member.nik_correct", "NIK diperbaiki"),
    ("member.nik_elsewhere", "NIK tercatat di wilayah lain"),
    ("member.nik_reveal", "NIK lengkap ditampilkan"),
    ("member.correct", "Data anggota dikoreksi"),
    ("member.mistaken", "Anggota ditandai salah input"),
    ("member.view", "Halaman anggota dibuka"),
    ("visit.create", "Kunjungan dicatat"),
    ("visit.correct", "Kunjungan dikoreksi"),
    ("visit.void", "Kunjungan dibatalkan"),
    ("worklist.export", "Daftar kerja diunduh"),
    ("assignment.start", "Penugasan dimulai"),
    ("assignment.end", "Penugasan diakhiri"),
];

pub fn action_label(action: &str) -> &str {
    ACTIONS
        .iter()
        .find(|(a, _)| *a == action)
        .map_or(action, |(_, label)| label)
}

/// Details are stored as written (stable for tools that read the log); their keys are shown
/// in Indonesian.
pub fn detail_text(detail: &str) -> String {
    const WORDS: &[(&str, &str)] = &[
        ("full_name changed", "nama diubah"),
        ("phone changed", "nomor HP diubah"),
        ("username=", "nama pengguna: "),
        ("role=", "peran: "),
        ("areas=", "wilayah: "),
        ("role ", "peran "),
        ("areas ", "wilayah "),
    ];
    let mut text = detail.to_string();
    for (from, to) in WORDS {
        text = text.replace(from, to);
    }
    text
}

/// How many `action` entries `actor` has had since `since`.
pub fn count_by_actor_since(
    conn: &mut DbConnection,
    actor: i32,
    action: &str,
    since: chrono::NaiveDateTime,
) -> QueryResult<i64> {
    audit_log::table
        .filter(audit_log::actor_user_id.eq(actor))
        .filter(audit_log::action.eq(action))
        .filter(audit_log::at.ge(since))
        .count()
        .get_result(conn)
}

/// The most recent entries about one entity, newest first.
pub fn for_entity(
    conn: &mut DbConnection,
    entity: &str,
    entity_id: &str,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    use crate::db::schema::users;
    audit_log::table
        .left_join(users::table.on(users::id.nullable().eq(audit_log::actor_user_id)))
        .filter(audit_log::entity.eq(entity))
        .filter(audit_log::entity_id.eq(entity_id))
        .order(audit_log::id.desc())
        .limit(limit)
        .select((
            audit_log::id,
            audit_log::at,
            audit_log::actor_user_id,
            audit_log::action,
            audit_log::entity,
            audit_log::entity_id,
            audit_log::detail,
            users::full_name.nullable(),
        ))
        .load(conn)
}

/// One view of personal data: who, when, and whether the NIK was asked for in full.
#[derive(Queryable, Debug)]
pub struct Access {
    pub at: chrono::NaiveDateTime,
    pub action: String,
    pub username: Option<String>,
    pub full_name: Option<String>,
}

impl Access {
    pub fn when(&self) -> String {
        crate::web::wib(&self.at)
    }
    pub fn what(&self) -> &'static str {
        match self.action.as_str() {
            "member.nik_reveal" => "Menampilkan NIK lengkap",
            _ => "Membuka halaman",
        }
    }
}

/// The views of an entity's personal data (page views and NIK reveals), newest first.
pub fn accesses(
    conn: &mut DbConnection,
    entity: &str,
    entity_id: &str,
    limit: i64,
) -> QueryResult<Vec<Access>> {
    use crate::db::schema::users;
    audit_log::table
        .left_join(users::table.on(users::id.nullable().eq(audit_log::actor_user_id)))
        .filter(audit_log::entity.eq(entity))
        .filter(audit_log::entity_id.eq(entity_id))
        .filter(audit_log::action.eq_any(["member.view", "member.nik_reveal"]))
        .order(audit_log::id.desc())
        .limit(limit)
        .select((
            audit_log::at,
            audit_log::action,
            users::username.nullable(),
            users::full_name.nullable(),
        ))
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action literal in the source (`"<entity>.<verb>"` with a known entity) has a label,
    /// so a new action cannot reach the log page as a raw code.
    #[test]
    fn every_action_the_code_writes_has_an_indonesian_label() {
        let prefixes: Vec<&str> = ACTIONS
            .iter()
            .map(|(a, _)| a.split('.').next().unwrap())
            .collect();
        let mut found = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for literal in text.split('"').skip(1).step_by(2) {
                    let Some((entity, verb)) = literal.split_once('.') else {
                        continue;
                    };
                    let word = |s: &str| {
                        !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    };
                    let file = ["js", "css", "html", "svg", "db", "csv", "xlsx"].contains(&verb);
                    if word(entity) && word(verb) && !file && prefixes.contains(&entity) {
                        found.push(literal.to_string());
                    }
                }
            }
        }
        assert!(found.len() > 30, "the scan sees the actions: {found:?}");
        for action in found {
            assert_ne!(action_label(&action), action, "{action} needs a label");
        }
        assert_eq!(action_label("user.create"), "Pengguna dibuat");
        assert_eq!(
            detail_text("role agent → supervisor; areas 32.73.02.1004 → 32.73.02"),
            "peran agent → supervisor; wilayah 32.73.02.1004 → 32.73.02"
        );
    }
}
