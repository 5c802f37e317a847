//! A roster import never reaches outside the importer's areas: a row whose member lives
//! elsewhere is held as a possible move, changes nothing, and tells the uploader only its
//! line; someone covering both kelurahan accepts (applies) or rejects it.

use diesel::prelude::*;
use pesiar::db::schema::{
    audit_log, figures, households, member_history, members, reactivations, roster_held_moves,
};
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{TestApp, location};
use crate::journeys::fixture;
use crate::roster::{HEADER, day, import, supervisor};

const DAGO: &str = "32.73.02.1004";
/// A kelurahan of Kecamatan Sukasari (32.73.01).
const SUKASARI: &str = "32.73.01.1001";

/// (household region, status, segment) of a member.
async fn where_and_what(app: &TestApp, member: i32) -> (String, String, String) {
    app.with_conn(move |conn| {
        members::table
            .inner_join(households::table)
            .filter(members::id.eq(member))
            .select((households::region_code, members::status, members::segment))
            .first(conn)
            .unwrap()
    })
    .await
}

async fn claim_state(app: &TestApp, member: i32) -> String {
    app.with_conn(move |conn| {
        reactivations::table
            .filter(reactivations::member_id.eq(member))
            .select(reactivations::state)
            .first(conn)
            .unwrap()
    })
    .await
}

async fn audits(app: &TestApp, action: &'static str) -> i64 {
    app.with_conn(move |conn| {
        audit_log::table
            .filter(audit_log::action.eq(action))
            .count()
            .get_result(conn)
            .unwrap()
    })
    .await
}

/// A Dago member (inactive mandiri, arrears) with a claim reported five days ago; returns
/// the member and its NIK.
async fn dago_member_with_claim(app: &TestApp) -> (i32, String) {
    let f = fixture(app, "agen.dago", DAGO).await;
    let member = f.members[0];
    let res = app
        .submit_visit(
            &f.agent,
            f.household,
            &[
                ("visited_on", &day(5).to_string()),
                ("outcome", "ditemui"),
                (&format!("m.{member}.status"), "nonaktif"),
                (&format!("m.{member}.action"), "tunggakan_lunas"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let nik: String = app
        .with_conn(move |conn| {
            members::table
                .find(member)
                .select(members::nik.assume_not_null())
                .first(conn)
                .unwrap()
        })
        .await;
    (member, nik)
}

/// One row: the member, active, PBI, in a new household in Sukasari.
fn moving_row(nik: &str) -> Vec<u8> {
    format!(
        "{HEADER}\n{nik};3273010101200009;Ibu Contoh;P;12-03-1985;{SUKASARI};4;2;Jl. Sukasari Baru 9;;PBI APBN;;AKTIF;\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_row_for_a_member_of_another_kecamatan_is_held_until_accepted() {
    let app = crate::helpers::spawn_app().await;
    let (member, nik) = dago_member_with_claim(&app).await;
    let before = where_and_what(&app, member).await;
    assert_eq!(
        before,
        (DAGO.to_string(), "nonaktif".to_string(), "pbpu".to_string())
    );
    assert_eq!(claim_state(&app, member).await, "dilaporkan");
    let sukasari = supervisor(&app, "spv.sukasari", &["32.73.01"]).await;
    let households_before: i64 = app
        .with_conn(|conn| households::table.count().get_result(conn).unwrap())
        .await;

    let date = day(1);
    let (page, html) = import(&app, &sukasari, "pindah.csv", date, moving_row(&nik)).await;

    // Nothing about the member changed, nothing was made, the claim is still open.
    assert_eq!(where_and_what(&app, member).await, before);
    assert_eq!(claim_state(&app, member).await, "dilaporkan");
    let (households_after, history, sukasari_figures): (i64, i64, i64) = app
        .with_conn(move |conn| {
            (
                households::table.count().get_result(conn).unwrap(),
                member_history::table
                    .filter(member_history::member_id.eq(member))
                    .count()
                    .get_result(conn)
                    .unwrap(),
                figures::table
                    .filter(figures::region_code.eq(SUKASARI))
                    .filter(figures::figure_date.eq(date))
                    .count()
                    .get_result(conn)
                    .unwrap(),
            )
        })
        .await;
    assert_eq!(households_after, households_before);
    assert_eq!(history, 0);
    assert_eq!(sukasari_figures, 0, "a held row counts in no figure");
    // The uploader learns that line 2 was held, and nothing about where the member lives.
    assert!(
        html.contains(
            "1 baris ditahan: peserta terdaftar di wilayah lain (kemungkinan pindah wilayah)"
        ),
        "{html}"
    );
    assert!(html.contains("Baris: 2"), "{html}");
    assert!(html.contains("<dt>Peserta baru</dt><dd>0</dd>"), "{html}");
    assert!(
        html.contains("<dt>Peserta berubah status/segmen</dt><dd>0</dd>"),
        "{html}"
    );
    assert!(
        html.contains("<dt>Klaim dikonfirmasi data BPJS</dt><dd>0</dd>"),
        "{html}"
    );
    for leak in ["Dago", DAGO, "32.73.02", "Coblong"] {
        assert!(!html.contains(leak), "import page names {leak}: {html}");
    }
    assert!(page.starts_with("/data/roster/"));
    // The member's page stays closed to the uploader.
    let status = app
        .get_with(&sukasari, &format!("/anggota/{member}"))
        .await
        .status();
    assert!(
        status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
        "{status}"
    );

    // The uploader covers only the target: the held row is neither listed nor decidable.
    let held: i32 = app
        .with_conn(|conn| {
            roster_held_moves::table
                .select(roster_held_moves::id)
                .first(conn)
                .unwrap()
        })
        .await;
    let (status, list) = {
        let res = app.get_with(&sukasari, "/data/pindah").await;
        (res.status(), res.text().await.unwrap())
    };
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Tidak ada baris yang ditahan."), "{list}");
    assert!(!list.contains("Ibu Contoh"), "{list}");
    for action in ["terima", "tolak"] {
        let res = app
            .post_form_with(&sukasari, &format!("/data/pindah/{held}/{action}"), &[])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{action}");
    }
    assert_eq!(where_and_what(&app, member).await, before);

    // A supervisor of the whole city sees it and accepts: the row is applied as theirs.
    let city = supervisor(&app, "spv.bandung", &["32.73"]).await;
    let list = app
        .get_with(&city, "/data/pindah")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("Ibu Contoh"), "{list}");
    assert!(
        list.contains(&format!("/data/pindah/{held}/terima")),
        "{list}"
    );
    let res = app
        .post_form_with(&city, &format!("/data/pindah/{held}/terima"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/data/pindah");
    assert_eq!(
        where_and_what(&app, member).await,
        (
            SUKASARI.to_string(),
            "aktif".to_string(),
            "pbi_jk".to_string()
        )
    );
    assert_eq!(claim_state(&app, member).await, "dikonfirmasi");
    let (valid_from, state): (Vec<chrono::NaiveDate>, String) = app
        .with_conn(move |conn| {
            (
                member_history::table
                    .filter(member_history::member_id.eq(member))
                    .select(member_history::valid_from)
                    .load(conn)
                    .unwrap(),
                roster_held_moves::table
                    .find(held)
                    .select(roster_held_moves::state)
                    .first(conn)
                    .unwrap(),
            )
        })
        .await;
    assert_eq!(valid_from, vec![date]);
    assert_eq!(state, "diterima");
    assert_eq!(audits(&app, "roster.move_accept").await, 1);

    // Deciding again changes nothing.
    for action in ["terima", "tolak"] {
        let res = app
            .post_form_with(&city, &format!("/data/pindah/{held}/{action}"), &[])
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{action}");
    }
    assert_eq!(audits(&app, "roster.move_accept").await, 1);
    assert_eq!(audits(&app, "roster.move_reject").await, 0);
    let state: String = app
        .with_conn(move |conn| {
            roster_held_moves::table
                .find(held)
                .select(roster_held_moves::state)
                .first(conn)
                .unwrap()
        })
        .await;
    assert_eq!(state, "diterima");
}

#[tokio::test]
async fn a_rejected_move_changes_nothing_and_admins_see_every_held_row() {
    let app = crate::helpers::spawn_app().await;
    let (member, nik) = dago_member_with_claim(&app).await;
    let before = where_and_what(&app, member).await;
    let sukasari = supervisor(&app, "spv.sukasari2", &["32.73.01"]).await;
    import(&app, &sukasari, "pindah.csv", day(1), moving_row(&nik)).await;
    // A supervisor of Dago alone covers only the member's side.
    let dago = supervisor(&app, "spv.coblong2", &["32.73.02"]).await;
    let list = app
        .get_with(&dago, "/data/pindah")
        .await
        .text()
        .await
        .unwrap();
    assert!(!list.contains("Ibu Contoh"), "{list}");

    let admin = app.client_as("admin.pindah", Role::Admin, &[]).await;
    let list = app
        .get_with(&admin, "/data/pindah")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("Ibu Contoh"), "{list}");
    let held: i32 = app
        .with_conn(|conn| {
            roster_held_moves::table
                .select(roster_held_moves::id)
                .first(conn)
                .unwrap()
        })
        .await;
    let res = app
        .post_form_with(&admin, &format!("/data/pindah/{held}/tolak"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(where_and_what(&app, member).await, before);
    assert_eq!(claim_state(&app, member).await, "dilaporkan");
    assert_eq!(audits(&app, "roster.move_reject").await, 1);
    let res = app
        .post_form_with(&admin, &format!("/data/pindah/{held}/terima"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        where_and_what(&app, member).await,
        before,
        "rejected stays rejected"
    );
    assert_eq!(audits(&app, "roster.move_accept").await, 0);
}

#[tokio::test]
async fn the_command_line_as_a_user_holds_rows_outside_their_areas() {
    let app = crate::helpers::spawn_app().await;
    let (member, nik) = dago_member_with_claim(&app).await;
    let before = where_and_what(&app, member).await;
    app.create_user("spv.cli.sukasari", Role::Supervisor, &["32.73.01"])
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pindah.csv");
    std::fs::write(&file, moving_row(&nik)).unwrap();
    let url = crate::helpers::database_url_string(&app._database.url);
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pesiar"))
            .env("DATABASE_URL", &url)
            .env("PESIAR_SECRET_KEY", "cli-test-secret-key-0123456789abcdef")
            .args(["import", "roster"])
            .arg(&file)
            .args(["--tanggal", &day(1).to_string()])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (ok, out) = run(&["--as", "tidak.ada"]);
    assert!(!ok, "{out}");
    assert!(out.contains("tidak ada"), "{out}");
    let (ok, out) = run(&["--as", "spv.cli.sukasari"]);
    assert!(ok, "{out}");
    assert!(out.contains("1 baris ditahan"), "{out}");
    assert_eq!(where_and_what(&app, member).await, before);
    // Without --as the command line acts as admin: the row is applied.
    let (ok, out) = run(&[]);
    assert!(ok, "{out}");
    assert!(!out.contains("ditahan"), "{out}");
    assert_eq!(where_and_what(&app, member).await.0, SUKASARI);
}
