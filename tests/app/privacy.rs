//! NIK as personal data (UU 27/2022): who sees it in full, who sees it masked, every view of a
//! member audited without dropping the page caches, and no search term in any URL.

use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{TestApp, location, spawn_app};
use crate::journeys::{add_member, create_household, fixture};

async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let res = app.get_with(client, path).await;
    (res.status(), res.text().await.unwrap())
}

async fn member_nik(app: &TestApp, member: i32) -> String {
    app.with_conn(move |conn| {
        use diesel::prelude::*;
        use pesiar::db::schema::members;
        members::table
            .find(member)
            .select(members::nik.assume_not_null())
            .first::<String>(conn)
            .unwrap()
    })
    .await
}

async fn audited(app: &TestApp, action: &'static str, member: i32) -> i64 {
    app.with_conn(move |conn| {
        use diesel::prelude::*;
        use pesiar::db::schema::audit_log;
        audit_log::table
            .filter(audit_log::action.eq(action))
            .filter(audit_log::entity_id.eq(member.to_string()))
            .count()
            .get_result(conn)
            .unwrap()
    })
    .await
}

#[tokio::test]
async fn the_nik_is_full_for_field_workers_masked_for_others_and_revealing_it_is_audited() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.nik", "32.73.02.1004").await;
    let member = f.members[0];
    let full = member_nik(&app, member).await;
    let masked = pesiar::members::identity::mask(&full);
    let path = format!("/anggota/{member}");

    let (_, html) = page(&app, &f.agent, &path).await;
    assert!(html.contains(&full), "the agent sees the NIK in full");

    let office = app
        .client_as("lurah.dago", Role::Office, &["32.73.02.1004"])
        .await;
    let (status, html) = page(&app, &office, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains(&full), "office users never see the full NIK");
    assert!(html.contains(&masked));
    assert!(!html.contains("Tampilkan NIK"));
    let res = app
        .post_form_with(&office, &format!("{path}/nik"), &[])
        .await;
    assert!(res.status().is_client_error(), "{}", res.status());
    assert!(!res.text().await.unwrap().contains(&full));

    let supervisor = app.client_as("spv.nik", Role::Supervisor, &["32.73"]).await;
    let (_, html) = page(&app, &supervisor, &path).await;
    assert!(!html.contains(&full), "supervisors see it masked first");
    assert!(html.contains(&masked) && html.contains("Tampilkan NIK"));
    assert_eq!(audited(&app, "member.nik_reveal", member).await, 0);
    let res = app
        .post_form_with(&supervisor, &format!("{path}/nik"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap(),
        "no-store"
    );
    assert!(res.text().await.unwrap().contains(&full));
    assert_eq!(audited(&app, "member.nik_reveal", member).await, 1);

    // A supervisor elsewhere cannot reveal it either.
    let other = app
        .client_as("spv.lain", Role::Supervisor, &["32.04"])
        .await;
    let res = app
        .post_form_with(&other, &format!("{path}/nik"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(audited(&app, "member.nik_reveal", member).await, 1);
}

#[tokio::test]
async fn every_member_view_is_audited_without_moving_the_data_version_and_admins_see_who() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.lihat", "32.73.02.1004").await;
    let member = f.members[0];
    let path = format!("/anggota/{member}");
    let office = app
        .client_as("camat.coblong", Role::Office, &["32.73.02"])
        .await;
    let supervisor = app
        .client_as("spv.lihat", Role::Supervisor, &["32.73"])
        .await;

    let before = app.db.data_version().await;
    assert!(before.is_some());
    for client in [&office, &supervisor, &f.agent] {
        assert_eq!(page(&app, client, &path).await.0, StatusCode::OK);
    }
    // The views are noted in memory, not committed one by one: the caches keyed by the data
    // version stay valid. (On PostgreSQL the version is the cluster's WAL position, which the
    // other tests move.)
    assert_eq!(audited(&app, "member.view", member).await, 0);
    if !crate::helpers::on_postgres() {
        assert_eq!(app.db.data_version().await, before);
    }

    let admin = app.client_as("admin.lihat", Role::Admin, &[]).await;
    let (status, html) = page(&app, &admin, &format!("{path}/akses")).await;
    assert_eq!(status, StatusCode::OK);
    for who in ["camat.coblong", "spv.lihat", "agen.lihat"] {
        assert!(html.contains(who), "{who} is listed: {html}");
    }
    // Written to the audit trail, one entry per view.
    assert_eq!(audited(&app, "member.view", member).await, 3);
    assert_eq!(
        page(&app, &supervisor, &format!("{path}/akses")).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn searches_keep_the_term_out_of_every_url() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.cari", "32.73.02.1004").await;
    let full = member_nik(&app, f.members[0]).await;
    let res = app
        .post_form_with(&f.agent, "/rumah-tangga/cari", &[("q", full.as_str())])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = location(&res);
    assert!(to.starts_with("/rumah-tangga?hasil="), "{to}");
    assert!(!to.contains(&full) && !to.contains(&full[..8]), "{to}");
    let (_, html) = page(&app, &f.agent, &to).await;
    assert!(html.contains(&format!("/rumah-tangga/{}", f.household)));
    assert!(html.contains("1 rumah tangga cocok"), "{html}");

    // The result id is the searcher's own: another user gets no results from it.
    let other = app
        .client_as("agen.lain", Role::Agent, &["32.73.02.1004"])
        .await;
    let (_, html) = page(&app, &other, &to).await;
    assert!(html.contains("kedaluwarsa"));
    assert!(!html.contains("cocok"));
    // A term in the query string is not searched for.
    let (_, html) = page(&app, &f.agent, &format!("/rumah-tangga?q={full}")).await;
    assert!(!html.contains("cocok"));
}

#[tokio::test]
async fn out_of_area_nik_hints_are_audited_and_withheld_past_the_hourly_limit() {
    let app = spawn_app().await;
    let dago = fixture(&app, "agen.dago.h", "32.73.02.1004").await;
    let taken = member_nik(&app, dago.members[0]).await;
    let agent = app
        .client_as("agen.sukasari", Role::Agent, &["32.73.01.1001"])
        .await;
    let household = create_household(&app, &agent, "32.73.01.1001", "1", "Jl. Lain 2", "").await;
    let mut said = Vec::new();
    for _ in 0..11 {
        let res = add_member(
            &app,
            &agent,
            household,
            &[
                ("nik", taken.as_str()),
                ("name", "Orang Lain"),
                ("sex", "P"),
                ("birth_date", "1985-03-12"),
                ("relationship", "kepala_keluarga"),
                ("segment", "pbpu"),
                ("class", "3"),
                ("status", "nonaktif"),
                ("inactive_reason", "tunggakan"),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        said.push(res.text().await.unwrap());
    }
    assert!(said[0].contains("di luar wilayah Anda"));
    assert!(said[9].contains("di luar wilayah Anda"));
    assert!(
        said[10].contains("tidak dapat diperiksa sekarang"),
        "{}",
        said[10]
    );
    assert!(!said[10].contains("di luar wilayah Anda"));
    assert_eq!(
        audited(&app, "member.nik_elsewhere", dago.members[0]).await,
        11
    );
}

#[tokio::test]
async fn views_reach_the_audit_trail_within_seconds_even_if_nobody_asks() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.tunggu", "32.73.02.1004").await;
    let member = f.members[0];
    assert_eq!(
        page(&app, &f.agent, &format!("/anggota/{member}")).await.0,
        StatusCode::OK
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while audited(&app, "member.view", member).await == 0 {
        assert!(std::time::Instant::now() < deadline, "view never written");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(audited(&app, "member.view", member).await, 1);
}
