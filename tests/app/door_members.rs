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
