//! Findings of the security review (issue 17): household reassignment, `/livez`, API tokens,
//! the CSRF token of file uploads.

use diesel::prelude::*;
use pesiar::db::schema::household_assignments;
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{TestApp, location, spawn_app, user_id};
use crate::journeys::fixture;

#[tokio::test]
async fn a_refused_household_reassignment_keeps_the_existing_assignment() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.tetap", "32.73.02.1004").await;
    let elsewhere = app
        .create_user("agen.lain", Role::Agent, &["32.73.02.1005"])
        .await;
    app.sign_in_as("spv.ulang", Role::Supervisor, &["32.73"])
        .await;
    let kept = user_id(&app, "agen.tetap").await;
    let res = app
        .post_form(
            "/progres/32.73.02.1004/tugaskan",
            &[
                ("household_id", &f.household.to_string()),
                ("user_id", &kept.to_string()),
            ],
        )
        .await;
    assert_eq!(location(&res), "/progres/32.73.02.1004#daftar-kerja");

    // agen.lain does not work in Dago: refused, and agen.tetap keeps the household.
    let res = app
        .post_form(
            "/progres/32.73.02.1004/tugaskan",
            &[
                ("household_id", &f.household.to_string()),
                ("user_id", &elsewhere.to_string()),
            ],
        )
        .await;
    assert!(location(&res).starts_with("/progres/32"), "refused");
    let household = f.household;
    let assigned: Option<i32> = app
        .with_conn(move |conn| {
            household_assignments::table
                .find(household)
                .select(household_assignments::user_id)
                .first(conn)
                .optional()
                .unwrap()
        })
        .await;
    assert_eq!(assigned, Some(kept), "the existing assignment stays");
}

#[tokio::test]
async fn livez_answers_without_the_database() {
    let app = spawn_app().await;
    let (status, body) = app.get_text("/livez").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));

    // The database is down: /healthz (readiness) is 503, /livez (liveness) still 200.
    let down = TestApp::new().with_database_down().spawn().await;
    assert_eq!(
        down.get("/healthz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let started = std::time::Instant::now();
    let (status, body) = down.get_text("/livez").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    assert!(
        started.elapsed() < std::time::Duration::from_millis(500),
        "took {:?}",
        started.elapsed()
    );
}

/// The uploads' CSRF token comes as the multipart body's first field; one in the URL (which
/// lands in proxy logs) is refused, as is one after the file.
#[tokio::test]
async fn upload_csrf_tokens_come_in_the_body_never_the_url() {
    use reqwest::multipart::{Form, Part};
    let app = spawn_app().await;
    let spv = crate::roster::supervisor(&app, "spv.unggah", &["32.73"]).await;
    let token = app.csrf_with(&spv).await;
    let figures = "kode_wilayah,tanggal,penduduk,peserta_terdaftar,peserta_aktif\n\
                   32.73.02.1004,2026-01-31,5000,4900,3900\n";
    let file = || Part::bytes(figures.as_bytes().to_vec()).file_name("angka.csv");
    let post = |path: String, form: Form| {
        let request = spv.post(app.url(&path)).multipart(form);
        async move { request.send().await.unwrap().status() }
    };
    let query = pesiar::web::query_encode(&token);
    for route in ["/data/impor", "/data/roster"] {
        let only_url = post(
            format!("{route}?csrf_token={query}"),
            Form::new()
                .text("tanggal", "2026-01-31")
                .part("berkas", file()),
        )
        .await;
        assert_eq!(only_url, StatusCode::FORBIDDEN, "{route}: token in the URL");
        let after_file = post(
            route.to_string(),
            Form::new()
                .text("tanggal", "2026-01-31")
                .part("berkas", file())
                .text("csrf_token", token.clone()),
        )
        .await;
        assert_eq!(
            after_file,
            StatusCode::FORBIDDEN,
            "{route}: token after the file"
        );
        let wrong = post(
            route.to_string(),
            Form::new()
                .text("csrf_token", "salah")
                .part("berkas", file()),
        )
        .await;
        assert_eq!(wrong, StatusCode::FORBIDDEN, "{route}: wrong token");
    }
    let count = || {
        app.with_conn(|conn| {
            pesiar::db::schema::figures::table
                .count()
                .get_result::<i64>(conn)
                .unwrap()
        })
    };
    assert_eq!(count().await, 0, "nothing imported by a refused upload");

    let res = post(
        "/data/impor".to_string(),
        Form::new()
            .text("csrf_token", token.clone())
            .part("berkas", file()),
    )
    .await;
    assert_eq!(res, StatusCode::SEE_OTHER, "token in the body");
    assert_eq!(
        count().await,
        0,
        "a preview, nothing imported before Terapkan"
    );
    // The header still works (a script may send it), with or without the body field.
    let res = spv
        .post(app.url("/data/impor"))
        .header("x-csrf-token", &token)
        .multipart(Form::new().part("berkas", file()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "token in the header");
}
