//! Agents at the door (issue 22): what a visit says it saved is what was chosen, a visit typed
//! by one user is never sent under another's session, and a form sent after the session cookie
//! is gone keeps what was typed.

use diesel::prelude::*;
use pesiar::db::schema::{visit_members, visits};
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{location, spawn_app};
use crate::journeys::{fixture, visit_form_path};

fn today() -> String {
    pesiar::web::today().format("%Y-%m-%d").to_string()
}

async fn visit_count(app: &crate::helpers::TestApp) -> i64 {
    app.with_conn(|conn| visits::table.count().get_result::<i64>(conn).unwrap())
        .await
}

/// A *Tindakan* chosen with the status left "— tidak ditemui —" is refused by that member's
/// field (it used to be dropped while the page said "Kunjungan dicatat"); the values stay.
#[tokio::test]
async fn an_action_without_a_status_is_refused_not_dropped() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.tanpa.status", "32.73.02.1004").await;
    let ibu = f.members[0];
    let before = visit_count(&app).await;
    let day = today();
    let action = format!("m.{ibu}.action");
    let res = app
        .submit_visit(
            &f.agent,
            f.household,
            &[
                ("visited_on", &day),
                ("outcome", "ditemui"),
                (&action, "tunggakan_lunas"),
                ("note", "ibu bilang sudah bayar"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!("id=\"m.{ibu}.status-err\"")),
        "{html}"
    );
    assert!(html.contains("tindakan tanpa status tidak dicatat"));
    assert!(html.contains("<option value=\"tunggakan_lunas\" selected>"));
    assert!(html.contains("ibu bilang sudah bayar"));
    assert!(!html.contains("Kunjungan dicatat"));
    assert_eq!(visit_count(&app).await, before, "nothing recorded");
}

/// A new registration to PBPU/BP asks the class: refused without it, stored with it.
#[tokio::test]
async fn a_mandiri_registration_needs_its_class() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.kelas", "32.73.02.1004").await;
    let anak = f.members[1];
    let day = today();
    let status = format!("m.{anak}.status");
    let action = format!("m.{anak}.action");
    let segment = format!("m.{anak}.segment");
    let class = format!("m.{anak}.class");
    let mut fields = vec![
        ("visited_on", day.as_str()),
        ("outcome", "ditemui"),
        (status.as_str(), "belum_terdaftar"),
        (action.as_str(), "pendaftaran_baru"),
        (segment.as_str(), "bp"),
    ];
    let before = visit_count(&app).await;
    let res = app.submit_visit(&f.agent, f.household, &fields).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!("id=\"m.{anak}.class-err\"")),
        "{html}"
    );
    assert!(html.contains("<option value=\"bp\" selected>"));
    assert_eq!(visit_count(&app).await, before);

    fields.push((class.as_str(), "2"));
    let res = app.submit_visit(&f.agent, f.household, &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = app
        .get_with(&f.agent, &location(&res))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Kelas II"), "{page}");
    let stored: Vec<Option<String>> = app
        .with_conn(move |conn| {
            visit_members::table
                .filter(visit_members::member_id.eq(anak))
                .select(visit_members::new_class)
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(stored, vec![Some("2".to_string())]);
}

/// A visit form opened by one agent and sent under another agent's session (the next user of
/// a shared phone, whose page found the first one's queue) is refused and records nothing.
#[tokio::test]
async fn a_visit_is_sent_only_under_its_authors_session() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.pemilik", "32.73.02.1004").await;
    let other = app
        .client_as("agen.berikut", Role::Agent, &["32.73.02.1004"])
        .await;
    let form_path = visit_form_path(f.household);
    let form = app.open_form(&f.agent, &form_path).await;
    let mut fields = form.filled(&[("visited_on", &today()), ("outcome", "menolak")]);
    let html = app
        .get_with(&f.agent, &form_path)
        .await
        .text()
        .await
        .unwrap();
    let author = crate::journeys::value_of(&html, "author_id").expect("author field");
    fields.push(("author_id".into(), author));
    // The other agent's page sends it with its own session's token.
    let token = app.csrf_with(&other).await;
    for (name, value) in fields.iter_mut() {
        if name == "csrf_token" {
            *value = token.clone();
        }
    }
    let before = visit_count(&app).await;
    let res = other
        .post(app.url(&form_path))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("pengguna lain"));
    assert_eq!(visit_count(&app).await, before, "nothing recorded");
}
