//! Findings of the security review (issue 17): household reassignment, `/livez`, API tokens,
//! the CSRF token of file uploads.

use diesel::prelude::*;
use pesiar::config::DatabaseUrl;
use pesiar::db::Db;
use pesiar::db::schema::household_assignments;
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::fieldwork::fixture;
use crate::helpers::{location, spawn_app, spawn_with_db, test_database, user_id};

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

    // Nothing listens on port 1: /healthz (readiness) is 503, /livez (liveness) still 200.
    let db = Db::connect_lazy(&DatabaseUrl::Postgres(
        "postgres://pesiar@127.0.0.1:1/none?connect_timeout=1".into(),
    ));
    let down = spawn_with_db(db, test_database());
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
