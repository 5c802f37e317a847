//! Agents at the door (issue 22), members: corrections and "salah input", the head of
//! household first.

use diesel::prelude::*;
use pesiar::db::schema::{audit_log, households, members};
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{TestApp, location, spawn_app};
use crate::journeys::fixture;

async fn audits(app: &TestApp, action: &'static str) -> i64 {
    app.with_conn(move |conn| {
        audit_log::table
            .filter(audit_log::action.eq(action))
            .count()
            .get_result::<i64>(conn)
            .unwrap()
    })
    .await
}

async fn open_members(app: &TestApp, household: i32) -> i32 {
    app.with_conn(move |conn| {
        households::table
            .find(household)
            .select(households::open_members)
            .first(conn)
            .unwrap()
    })
    .await
}

/// The author marks a member entered by mistake, with a reason (refused without): audited,
/// out of the household's counts and member list, and no second marking. Other users of the
/// area, and other areas, cannot open the page; a supervisor corrects details; the author's
/// window closes after seven days.
#[tokio::test]
async fn a_member_is_corrected_or_marked_entered_by_mistake() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.anggota", "32.73.02.1004").await;
    let (ibu, anak) = (f.members[0], f.members[1]);
    assert_eq!(open_members(&app, f.household).await, 2);
    let mistake = format!("/anggota/{anak}/koreksi");
    let member_page = app.get_with(&f.agent, &format!("/anggota/{anak}")).await;
    assert!(member_page.text().await.unwrap().contains(&mistake));

    let outsider = app
        .client_as("agen.luar.anggota", Role::Agent, &["32.73.02.1005"])
        .await;
    let colleague = app
        .client_as("agen.rekan.anggota", Role::Agent, &["32.73.02.1004"])
        .await;
    for client in [&outsider, &colleague] {
        assert_eq!(
            app.get_with(client, &mistake).await.status(),
            StatusCode::NOT_FOUND
        );
    }

    let form = app.open_form(&f.agent, &mistake).await;
    let res = app
        .send_form(&f.agent, &form, &[("aksi", "salah_input"), ("reason", " ")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("reason-err"));
    let fields = [("aksi", "salah_input"), ("reason", "anak tetangga")];
    for _ in 0..2 {
        let res = app.send_form(&f.agent, &form, &fields).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), format!("/rumah-tangga/{}", f.household));
    }
    assert_eq!(audits(&app, "member.mistaken").await, 1);
    assert_eq!(
        open_members(&app, f.household).await,
        1,
        "out of the counts"
    );
    let household = app
        .get_with(&f.agent, &format!("/rumah-tangga/{}", f.household))
        .await
        .text()
        .await
        .unwrap();
    assert!(!household.contains("Anak Contoh"), "out of the member list");
    let visit_form = app
        .get_with(&f.agent, &crate::journeys::visit_form_path(f.household))
        .await
        .text()
        .await
        .unwrap();
    assert!(!visit_form.contains("Anak Contoh"), "out of the visit form");
    assert_eq!(
        app.get_with(&f.agent, &mistake).await.status(),
        StatusCode::NOT_FOUND,
        "marked once"
    );
    let page = app
        .get_with(&f.agent, &format!("/anggota/{anak}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Ditandai salah input") && page.contains("anak tetangga"));

    // A supervisor corrects the head's name; the author, eight days on, cannot.
    let supervisor = app
        .client_as("spv.anggota", Role::Supervisor, &["32.73"])
        .await;
    let correct = format!("/anggota/{ibu}/koreksi");
    let res = app
        .submit(
            &supervisor,
            &correct,
            &[
                ("aksi", "koreksi"),
                ("name", "Ibu Contoh Sari"),
                ("sex", "P"),
                ("birth_date", "1985-03-12"),
                ("relationship", "kepala_keluarga"),
                ("reason", "nama belum lengkap"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(audits(&app, "member.correct").await, 1);
    app.with_conn(move |conn| {
        diesel::update(members::table.find(ibu))
            .set(members::created_at.eq(pesiar::db::now() - chrono::Duration::days(8)))
            .execute(conn)
            .unwrap();
    })
    .await;
    assert_eq!(
        app.get_with(&f.agent, &correct).await.status(),
        StatusCode::NOT_FOUND
    );
    let page = app
        .get_with(&supervisor, &correct)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Ibu Contoh Sari"));
    // A correction with a bad date keeps what was typed.
    let res = app
        .submit(
            &supervisor,
            &correct,
            &[
                ("aksi", "koreksi"),
                ("name", "Ibu Sari Benar"),
                ("sex", "P"),
                ("birth_date", "2999-01-01"),
                ("relationship", "kepala_keluarga"),
                ("reason", "coba"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("birth_date-err") && html.contains("value=\"Ibu Sari Benar\""));
}

/// The head of household is listed first on the household page and the visit form, even when
/// entered last.
#[tokio::test]
async fn the_head_of_household_is_listed_first() {
    let app = spawn_app().await;
    let agent = app
        .client_as("agen.urutan", Role::Agent, &["32.73.02.1004"])
        .await;
    let household =
        crate::journeys::create_household(&app, &agent, "32.73.02.1004", "7", "Jl. Urut No. 3", "")
            .await;
    for (name, relationship, birth) in [
        ("Anak Pertama", "anak", "2012-01-02"),
        ("Bapak Kepala", "kepala_keluarga", "1980-05-06"),
    ] {
        crate::journeys::add_member_ok(
            &app,
            &agent,
            household,
            &[
                ("nik_unknown", "on"),
                ("name", name),
                ("sex", "L"),
                ("birth_date", birth),
                ("relationship", relationship),
                ("segment", "belum_terdaftar"),
                ("status", "belum_terdaftar"),
            ],
        )
        .await;
    }
    for path in [
        format!("/rumah-tangga/{household}"),
        crate::journeys::visit_form_path(household),
    ] {
        let html = app.get_with(&agent, &path).await.text().await.unwrap();
        let (head, child) = (
            html.find("Bapak Kepala").expect("head listed"),
            html.find("Anak Pertama").expect("child listed"),
        );
        assert!(head < child, "{path}: head first");
    }
}

/// "Hari ini" names each worklist household's kelurahan, marks those a supervisor assigned to
/// the agent, and shows a rejected report with its reason.
#[tokio::test]
async fn today_names_kelurahan_marks_assignments_and_shows_rejections() {
    use pesiar::db::schema::{household_assignments, reactivations, regions};
    let app = spawn_app().await;
    let f = fixture(&app, "agen.harini", "32.73.02.1004").await;
    let ibu = f.members[0];
    let day = pesiar::web::today().format("%Y-%m-%d").to_string();
    let (status, action) = (format!("m.{ibu}.status"), format!("m.{ibu}.action"));
    let res = app
        .submit_visit(
            &f.agent,
            f.household,
            &[
                ("visited_on", &day),
                ("outcome", "ditemui"),
                (&status, "nonaktif"),
                (&action, "tunggakan_lunas"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let home = app.get_with(&f.agent, "/").await.text().await.unwrap();
    let kelurahan: String = app
        .with_conn(|conn| {
            regions::table
                .find("32.73.02.1004")
                .select(regions::name)
                .first(conn)
                .unwrap()
        })
        .await;
    assert!(home.contains(&format!("{kelurahan} · RT")), "{home}");
    assert!(!home.contains("Ditugaskan") && !home.contains("Ditolak baru-baru ini"));

    let agent_id = crate::helpers::user_id(&app, "agen.harini").await;
    let household = f.household;
    app.with_conn(move |conn| {
        diesel::insert_into(household_assignments::table)
            .values((
                household_assignments::household_id.eq(household),
                household_assignments::user_id.eq(agent_id),
                household_assignments::assigned_on.eq(pesiar::web::today()),
            ))
            .execute(conn)
            .unwrap();
        diesel::update(reactivations::table.filter(reactivations::member_id.eq(ibu)))
            .set((
                reactivations::state.eq("ditolak"),
                reactivations::decided_at.eq(Some(pesiar::db::now())),
                reactivations::decision_reason.eq(Some("bukti bayar tidak terbaca")),
            ))
            .execute(conn)
            .unwrap();
    })
    .await;
    let home = app.get_with(&f.agent, "/").await.text().await.unwrap();
    assert!(
        home.contains("Ditugaskan"),
        "assigned households are marked"
    );
    assert!(home.contains("Ditolak baru-baru ini") && home.contains("bukti bayar tidak terbaca"));
    // Another agent of the kelurahan sees neither the mark nor the rejection.
    let other = app
        .client_as("agen.harini.lain", Role::Agent, &["32.73.02.1004"])
        .await;
    let home = app.get_with(&other, "/").await.text().await.unwrap();
    assert!(!home.contains("Ditugaskan") && !home.contains("bukti bayar"));
}

/// Without JavaScript the visit form carries every per-member field, shown; the short form's
/// markers only tell static/visit.js which action needs which.
#[tokio::test]
async fn without_javascript_the_visit_form_shows_every_field() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.tanpa.js", "32.73.02.1004").await;
    let html = app
        .get_with(&f.agent, &crate::journeys::visit_form_path(f.household))
        .await
        .text()
        .await
        .unwrap();
    for member in &f.members {
        for part in ["status", "action", "segment", "class", "rehab", "revisit"] {
            assert!(
                html.contains(&format!("name=\"m.{member}.{part}\"")),
                "{part}"
            );
        }
    }
    assert!(html.contains("data-show=\"ikut_rehab\"") && html.contains("data-seg=\"pbpu bp\""));
    assert!(
        !html.contains(" hidden>\n<label for=\"m."),
        "nothing hidden by the server"
    );
}
