//! The field workflow over HTTP: households, members, visits, claims and their verification,
//! scope, duplicates, and submissions that record once.

use diesel::prelude::*;
use pesiar::db::schema::{audit_log, households, members, reactivations, visits};
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, location, new_client, spawn_app};
use crate::journeys::{Form, add_member, add_member_ok, create_household, fixture, nik, value_of};

/// The journey of the issue: an agent finds or creates a household, records a visit with two
/// members (one reactivation, one new registration), sees it on "Hari ini", and a supervisor
/// confirms it.
#[tokio::test]
async fn agent_visit_with_reactivation_and_registration_then_supervisor_confirms() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.dago", "32.73.02.1004").await;
    let today = pesiar::web::today().format("%Y-%m-%d").to_string();
    let (ibu, anak) = (f.members[0], f.members[1]);
    let visit_form = format!("/rumah-tangga/{}/kunjungan/baru", f.household);
    let res = app
        .submit(
            &f.agent,
            &visit_form,
            &[
                ("visited_on", &today),
                ("outcome", "ditemui"),
                (&format!("m.{ibu}.status"), "nonaktif"),
                (&format!("m.{ibu}.action"), "tunggakan_lunas"),
                (&format!("m.{anak}.status"), "belum_terdaftar"),
                (&format!("m.{anak}.action"), "pendaftaran_baru"),
                (&format!("m.{anak}.segment"), "pbpu"),
                (&format!("m.{anak}.class"), "3"),
                ("note", "Ibu membayar tunggakan lewat Mobile JKN"),
                ("latitude", "-6.885"),
                ("longitude", "107.613"),
                ("accuracy_m", "15"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let visit_page = location(&res);
    let html = app
        .get_with(&f.agent, &visit_page)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Kunjungan dicatat."));
    assert!(html.contains("Tunggakan dibayar lunas"));
    assert!(html.contains("Pendaftaran baru"));

    // Hari ini: two visits today (the empty-house one of the fixture and this one), two claims.
    let home = app.get_with(&f.agent, "/").await.text().await.unwrap();
    assert!(home.contains("Hari ini <strong>2</strong>"), "{home}");
    assert!(home.contains("menunggu verifikasi: <strong>2</strong>"));

    // Reported is not active yet.
    let status = |id: i32| {
        app.with_conn(move |conn| {
            members::table
                .find(id)
                .select((members::status, members::segment))
                .first::<(String, String)>(conn)
                .unwrap()
        })
    };
    assert_eq!(status(ibu).await.0, "nonaktif");

    // The supervisor of Kota Bandung confirms both in one go.
    let supervisor = app
        .client_as("spv.bandung", Role::Supervisor, &["32.73"])
        .await;
    let queue = app
        .get_with(&supervisor, "/verifikasi")
        .await
        .text()
        .await
        .unwrap();
    assert!(queue.contains("Ibu Contoh") && queue.contains("Anak Contoh"));
    let ids: Vec<i32> = app
        .with_conn(|conn| {
            reactivations::table
                .select(reactivations::id)
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(ids.len(), 2);
    let ids: Vec<String> = ids.iter().map(i32::to_string).collect();
    let mut fields = vec![("keputusan", "konfirmasi")];
    fields.extend(ids.iter().map(|id| ("id", id.as_str())));
    let res = app
        .send_form(&supervisor, &Form::read("/verifikasi", &queue), &fields)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let queue = app
        .get_with(&supervisor, "/verifikasi")
        .await
        .text()
        .await
        .unwrap();
    assert!(queue.contains("2 dikonfirmasi."));
    assert!(queue.contains("Tidak ada laporan yang menunggu."));

    assert_eq!(status(ibu).await, ("aktif".to_string(), "pbpu".to_string()));
    assert_eq!(
        status(anak).await,
        ("aktif".to_string(), "pbpu".to_string())
    );
    let home = app.get_with(&f.agent, "/").await.text().await.unwrap();
    assert!(home.contains("dikonfirmasi: <strong>2</strong>"));
    // The household no longer needs the field.
    let open: i32 = app
        .with_conn(move |conn| {
            households::table
                .find(f.household)
                .select(households::open_members)
                .first(conn)
                .unwrap()
        })
        .await;
    assert_eq!(open, 0);

    // Every step is in the audit trail.
    let actions: Vec<String> = app
        .with_conn(|conn| {
            audit_log::table
                .select(audit_log::action)
                .load(conn)
                .unwrap()
        })
        .await;
    for expected in [
        "household.create",
        "member.create",
        "visit.create",
        "reactivation.report",
        "reactivation.confirm",
        "member.update",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "no {expected} in {actions:?}"
        );
    }
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_leaves_the_member_inactive() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.tolak", "32.73.02.1004").await;
    let ibu = f.members[0];
    let res = app
        .submit_visit(
            &f.agent,
            f.household,
            &[
                (
                    "visited_on",
                    &pesiar::web::today().format("%Y-%m-%d").to_string(),
                ),
                ("outcome", "ditemui"),
                (&format!("m.{ibu}.status"), "nonaktif"),
                (&format!("m.{ibu}.action"), "ikut_rehab"),
                (&format!("m.{ibu}.rehab"), "REHAB-2026-0001"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.sign_in_as("spv.tolak", Role::Supervisor, &["32.73.02"])
        .await;
    let claim: i32 = app
        .with_conn(|conn| {
            reactivations::table
                .select(reactivations::id)
                .first(conn)
                .unwrap()
        })
        .await;
    let id = claim.to_string();
    let res = app
        .submit(
            &app.client,
            "/verifikasi",
            &[("id", &id), ("keputusan", "tolak")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Alasan penolakan wajib diisi.")
    );
    let res = app
        .submit(
            &app.client,
            "/verifikasi",
            &[
                ("id", &id),
                ("keputusan", "tolak"),
                ("alasan", "Belum ada bukti bayar"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (state, reason): (String, Option<String>) = app
        .with_conn(move |conn| {
            reactivations::table
                .find(claim)
                .select((reactivations::state, reactivations::decision_reason))
                .first(conn)
                .unwrap()
        })
        .await;
    assert_eq!(state, "ditolak");
    assert_eq!(reason.as_deref(), Some("Belum ada bukti bayar"));
    let member_status: String = app
        .with_conn(move |conn| {
            members::table
                .find(ibu)
                .select(members::status)
                .first(conn)
                .unwrap()
        })
        .await;
    assert_eq!(member_status, "nonaktif");
    let page = app
        .get_with(&f.agent, &format!("/anggota/{ibu}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Ditolak") && page.contains("Belum ada bukti bayar"));
}

#[tokio::test]
async fn a_supervisor_cannot_decide_claims_outside_their_area() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.luar", "32.73.02.1004").await;
    let ibu = f.members[0];
    app.submit_visit(
        &f.agent,
        f.household,
        &[
            (
                "visited_on",
                &pesiar::web::today().format("%Y-%m-%d").to_string(),
            ),
            ("outcome", "ditemui"),
            (&format!("m.{ibu}.status"), "nonaktif"),
            (&format!("m.{ibu}.action"), "tunggakan_lunas"),
        ],
    )
    .await;
    app.sign_in_as("spv.rembang", Role::Supervisor, &["33.17"])
        .await;
    let queue = app.get("/verifikasi").await.text().await.unwrap();
    assert!(!queue.contains("Ibu Contoh"));
    let claim: i32 = app
        .with_conn(|conn| {
            reactivations::table
                .select(reactivations::id)
                .first(conn)
                .unwrap()
        })
        .await;
    // Even posting the id directly decides nothing.
    let res = app
        .post_form(
            "/verifikasi",
            &[
                ("submission_key", "kunci-uji-luar-wilayah-0001"),
                ("id", &claim.to_string()),
                ("keputusan", "konfirmasi"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let state: String = app
        .with_conn(move |conn| {
            reactivations::table
                .find(claim)
                .select(reactivations::state)
                .first(conn)
                .unwrap()
        })
        .await;
    assert_eq!(state, "dilaporkan");
}

/// Every record route refuses another kelurahan's records with 404, reading and writing, and
/// made-up ids are 404 too.
#[tokio::test]
async fn records_outside_the_users_area_do_not_exist_for_them() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.sekeloa", "32.73.02.1005").await;
    let (h, m, v) = (f.household, f.members[0], f.visit);
    let outsiders: Vec<(Role, &[&str])> = vec![
        (Role::Agent, &["32.73.02.1004"]),
        (Role::Kader, &["32.73.02.1003"]),
        (Role::Office, &["32.73.01"]),
        (Role::Supervisor, &["33.17"]),
    ];
    for (i, (role, areas)) in outsiders.into_iter().enumerate() {
        let client = new_client();
        let username = format!("luar{i}");
        app.create_user(&username, role, areas).await;
        app.login_with(&client, &username, PASSWORD).await;
        let mut gets = vec![
            format!("/rumah-tangga/{h}"),
            format!("/anggota/{m}"),
            format!("/kunjungan/{v}"),
            "/rumah-tangga/999999".to_string(),
            "/anggota/999999".to_string(),
            "/kunjungan/999999".to_string(),
        ];
        if matches!(role, Role::Agent | Role::Kader) {
            gets.extend([
                format!("/rumah-tangga/{h}/ubah"),
                format!("/rumah-tangga/{h}/anggota/baru"),
                format!("/rumah-tangga/{h}/kunjungan/baru"),
                format!("/anggota/{m}/ubah"),
            ]);
            for path in [
                format!("/rumah-tangga/{h}/ubah"),
                format!("/rumah-tangga/{h}/anggota/baru"),
                format!("/rumah-tangga/{h}/kunjungan/baru"),
                format!("/anggota/{m}/ubah"),
            ] {
                let res = app
                    .post_form_with(
                        &client,
                        &path,
                        &[
                            ("submission_key", "kunci-uji-luar-wilayah-0002"),
                            ("outcome", "ditemui"),
                            ("address", "x"),
                        ],
                    )
                    .await;
                assert_eq!(res.status(), StatusCode::NOT_FOUND, "{role:?} POST {path}");
            }
        }
        for path in &gets {
            let res = app.get_with(&client, path).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{role:?} GET {path}");
        }
        let list = app
            .get_with(&client, "/rumah-tangga")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !list.contains("Jl. Contoh"),
            "{role:?} sees another area's household"
        );
    }
    // Nothing was changed by the attempts.
    let visits_count: i64 = app
        .with_conn(|conn| visits::table.count().get_result(conn).unwrap())
        .await;
    assert_eq!(visits_count, 1);
}

#[tokio::test]
async fn search_by_kk_nik_name_rt_rw_and_address_within_the_area() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.cari", "32.73.02.1004").await;
    let kk = "3273021234560001";
    let other = create_household(&app, &f.agent, "32.73.02.1004", "7", "Gg. Melati 9", kk).await;
    let nik_bapak = nik("327302", 1, 1, 70, false, 42);
    add_member_ok(
        &app,
        &f.agent,
        other,
        &[
            ("nik", &nik_bapak),
            ("name", "Asep Suryana"),
            ("sex", "L"),
            ("birth_date", "1970-01-01"),
            ("relationship", "kepala_keluarga"),
            ("segment", "ppu_bu"),
            ("status", "aktif"),
        ],
    )
    .await;
    let cases = [
        (kk.to_string(), true),
        (nik_bapak.clone(), true),
        ("asep".to_string(), true),
        ("7/5".to_string(), true),
        ("RT 7".to_string(), true),
        ("melati".to_string(), true),
        ("mawar".to_string(), false),
        ("3/5".to_string(), false),
    ];
    for (query, found) in cases {
        let url = app.search_path(&f.agent, &query).await;
        let html = app.get_with(&f.agent, &url).await.text().await.unwrap();
        assert_eq!(html.contains("Gg. Melati 9"), found, "query {query:?}");
    }
    // Lists mask the NIK; the member's own page shows it in full.
    let html = app
        .get_with(&f.agent, &format!("/rumah-tangga/{other}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("3273********0042"));
    assert!(!html.contains(&nik_bapak));
    let member: i32 = app
        .with_conn(|conn| {
            members::table
                .filter(members::name.eq("Asep Suryana"))
                .select(members::id)
                .first(conn)
                .unwrap()
        })
        .await;
    let html = app
        .get_with(&f.agent, &format!("/anggota/{member}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&nik_bapak));
}

#[tokio::test]
async fn member_form_errors_keep_every_value_and_name_each_field() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.salah", "32.73.02.1004").await;
    let res = add_member(
        &app,
        &f.agent,
        f.household,
        &[
            ("nik", "3273023202900003"),
            ("name", "Dewi <i>Sartika</i>"),
            ("sex", "P"),
            ("birth_date", "2099-01-01"),
            ("relationship", "anak"),
            ("jkn_number", "12345"),
            ("segment", "pbpu"),
            ("status", "nonaktif"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    for message in [
        "NIK tidak valid: tanggal lahir",
        "Tanggal lahir tidak boleh di masa depan.",
        "Nomor kartu JKN harus 13 angka",
        "Pilih kelas untuk peserta PBPU/BP.",
        "Pilih alasan nonaktif.",
    ] {
        assert!(html.contains(message), "missing {message:?}");
    }
    assert!(html.contains("value=\"3273023202900003\""));
    assert!(html.contains("value=\"12345\""));
    assert!(html.contains("value=\"2099-01-01\""));
    assert!(html.contains("<option value=\"pbpu\" selected>"));
    assert!(!html.contains("<i>Sartika</i>"), "input is escaped");
}

#[tokio::test]
async fn the_same_nik_is_never_recorded_twice_and_similar_people_need_confirmation() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.dup", "32.73.02.1004").await;
    let taken: String = app
        .with_conn(move |conn| {
            members::table
                .filter(members::nik.is_not_null())
                .select(members::nik.assume_not_null())
                .first(conn)
                .unwrap()
        })
        .await;
    let base = [
        ("sex", "P"),
        ("birth_date", "1985-03-12"),
        ("relationship", "famili_lain"),
        ("segment", "pbpu"),
        ("class", "3"),
        ("status", "aktif"),
    ];
    let mut fields = vec![("nik", taken.as_str()), ("name", "Orang Lain")];
    fields.extend_from_slice(&base);
    let res = add_member(&app, &f.agent, f.household, &fields).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "NIK ini sudah tercatat untuk anggota lain: <a href=\"/anggota/{}\">Ibu Contoh</a>",
            f.members[0]
        )),
        "a link with the name, not a raw path: {html}"
    );

    // An agent of another kelurahan is told only that it exists elsewhere.
    let g = fixture(&app, "agen.lain", "32.73.02.1005").await;
    let res = add_member(&app, &g.agent, g.household, &fields).await;
    let html = res.text().await.unwrap();
    assert!(
        html.contains("sudah tercatat di kelurahan/desa lain"),
        "{html}"
    );
    assert!(!html.contains("lihat /anggota/"), "no pointer out of scope");
    assert!(!html.contains("Ibu Contoh</a>"), "no name out of scope");

    // Same birth date, similar name, same kelurahan: a warning to confirm.
    let other_nik = nik("327302", 12, 3, 85, true, 7777);
    let mut fields = vec![("nik", other_nik.as_str()), ("name", "Ibu Kontoh")];
    fields.extend_from_slice(&base);
    let res = add_member(&app, &f.agent, f.household, &fields).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Mirip dengan Ibu Contoh"), "{html}");
    assert!(html.contains("name=\"confirm_warnings\""));
    fields.push(("confirm_warnings", "on"));
    let res = add_member(&app, &f.agent, f.household, &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // NIK/sex mismatch is a warning too (a woman's NIK for a man).
    let woman_nik = nik("327302", 5, 5, 90, true, 11);
    let res = add_member(
        &app,
        &f.agent,
        f.household,
        &[
            ("nik", &woman_nik),
            ("name", "Budi"),
            ("sex", "L"),
            ("birth_date", "1990-05-05"),
            ("relationship", "anak"),
            ("segment", "ppu_pn"),
            ("status", "aktif"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Jenis kelamin (Laki-laki) tidak cocok dengan NIK")
    );
}

/// The worklist puts mandiri arrears first, then never-visited households.
#[tokio::test]
async fn next_to_visit_puts_arrears_first_then_the_never_visited() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.urut", "32.73.02.1004").await;
    // A household with only an unregistered member, never visited.
    let plain = create_household(
        &app,
        &f.agent,
        "32.73.02.1004",
        "9",
        "Jl. Belum Dikunjungi",
        "",
    )
    .await;
    add_member_ok(
        &app,
        &f.agent,
        plain,
        &[
            ("nik_unknown", "on"),
            ("name", "Tanpa Kartu"),
            ("sex", "L"),
            ("birth_date", "1999-09-09"),
            ("relationship", "kepala_keluarga"),
            ("segment", "belum_terdaftar"),
            ("status", "belum_terdaftar"),
        ],
    )
    .await;
    // A household with everyone active does not appear.
    let done = create_household(&app, &f.agent, "32.73.02.1004", "9", "Jl. Sudah Aktif", "").await;
    add_member_ok(
        &app,
        &f.agent,
        done,
        &[
            ("nik_unknown", "on"),
            ("name", "Sudah Aktif"),
            ("sex", "L"),
            ("birth_date", "1980-01-01"),
            ("relationship", "kepala_keluarga"),
            ("segment", "pbi_jk"),
            ("status", "aktif"),
        ],
    )
    .await;
    let home = app.get_with(&f.agent, "/").await.text().await.unwrap();
    let first = home
        .find("Jl. Contoh No. 1")
        .expect("arrears household listed");
    let second = home
        .find("Jl. Belum Dikunjungi")
        .expect("unregistered household listed");
    assert!(
        first < second,
        "arrears (visited) before plain (never visited)"
    );
    assert!(!home.contains("Jl. Sudah Aktif"));
}

#[tokio::test]
async fn offices_and_supervisors_read_but_do_not_write() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.baca", "32.73.02.1004").await;
    app.sign_in_as("camat.coblong", Role::Office, &["32.73.02"])
        .await;
    let html = app
        .get(&format!("/rumah-tangga/{}", f.household))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Jl. Contoh No. 1"));
    assert!(!html.contains("Catat kunjungan"));
    assert_eq!(
        app.get(&format!("/rumah-tangga/{}/kunjungan/baru", f.household))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn editing_a_member_cannot_make_them_active_without_verification() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.pintas", "32.73.02.1004").await;
    let ibu = f.members[0];
    let edit = format!("/anggota/{ibu}/ubah");
    let html = app.get_with(&f.agent, &edit).await.text().await.unwrap();
    let nik_value = value_of(&html, "nik").unwrap();
    let res = app
        .submit(
            &f.agent,
            &edit,
            &[
                ("nik", &nik_value),
                ("name", "Ibu Contoh"),
                ("sex", "P"),
                ("birth_date", "1985-03-12"),
                ("relationship", "kepala_keluarga"),
                ("segment", "pbpu"),
                ("class", "3"),
                ("status", "aktif"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Status aktif hanya berubah lewat verifikasi")
    );
    // Other corrections go through, and are audited with old → new.
    let res = app
        .submit(
            &f.agent,
            &edit,
            &[
                ("nik", &nik_value),
                ("name", "Ibu Contoh"),
                ("sex", "P"),
                ("birth_date", "1985-03-12"),
                ("relationship", "kepala_keluarga"),
                ("segment", "pbpu"),
                ("class", "2"),
                ("status", "nonaktif"),
                ("inactive_reason", "tunggakan"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let detail: String = app
        .with_conn(move |conn| {
            audit_log::table
                .filter(audit_log::action.eq("member.update"))
                .filter(audit_log::entity_id.eq(ibu.to_string()))
                .select(audit_log::detail)
                .first(conn)
                .unwrap()
        })
        .await;
    assert_eq!(detail, "class 3 → 2");
}
