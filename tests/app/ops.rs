//! Operations findings of the security review (issue 17): household reassignment, `/livez`.

use diesel::prelude::*;
use pesiar::db::schema::household_assignments;
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::fieldwork::fixture;
use crate::helpers::{location, spawn_app, user_id};

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
