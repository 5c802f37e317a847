//! Visits as a phone sends them: the same submission twice or at once records once, errors
//! keep the values, and a form sent after the session expired survives signing in again.

use diesel::prelude::*;
use pesiar::db::schema::{reactivations, visits};
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, location, spawn_app};
use crate::journeys::{Form, fixture, value_of, visit_form_path};

/// Two requests with one submission key, at the same time: both answered with the same visit,
/// one visit stored.
#[tokio::test]
async fn a_double_tapped_or_concurrent_submission_records_once() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.ganda", "32.73.02.1004").await;
    let form = app.open_form(&f.agent, &visit_form_path(f.household)).await;
    let ibu = f.members[0];
    let today = pesiar::web::today().format("%Y-%m-%d").to_string();
    let status_field = format!("m.{ibu}.status");
    let action_field = format!("m.{ibu}.action");
    let fields = [
        ("visited_on", today.as_str()),
        ("outcome", "ditemui"),
        (status_field.as_str(), "nonaktif"),
        (action_field.as_str(), "tunggakan_lunas"),
    ];
    let send = || app.send_form(&f.agent, &form, &fields);
    let (a, b) = tokio::join!(send(), send());
    assert_eq!(a.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&a), location(&b));
    // And a third, later (the retry after a timeout).
    let c = send().await;
    assert_eq!(location(&c), location(&a));
    let (visit_count, claim_count): (i64, i64) = app
        .with_conn(|conn| {
            (
                visits::table.count().get_result(conn).unwrap(),
                reactivations::table.count().get_result(conn).unwrap(),
            )
        })
        .await;
    assert_eq!(visit_count, 2, "the fixture's visit and this one");
    assert_eq!(claim_count, 1);
}

#[tokio::test]
async fn visit_errors_re_render_with_the_values_kept() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.kunjungan", "32.73.02.1004").await;
    let (ibu, anak) = (f.members[0], f.members[1]);
    let res = app
        .submit_visit(
            &f.agent,
            f.household,
            &[
                ("visited_on", "2001-01-01"),
                ("outcome", "ditemui"),
                (&format!("m.{ibu}.status"), "aktif"),
                (&format!("m.{ibu}.action"), "tunggakan_lunas"),
                (&format!("m.{anak}.status"), "belum_terdaftar"),
                (&format!("m.{anak}.action"), "kunjungan_ulang"),
                ("note", "catatan penting"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("lebih dari 30 hari"));
    assert!(html.contains("Reaktivasi hanya untuk peserta yang nonaktif."));
    assert!(html.contains("Isi tanggal kunjungan ulang."));
    assert!(html.contains("catatan penting"));
    assert!(html.contains("value=\"2001-01-01\""));
    assert!(html.contains("<option value=\"tunggakan_lunas\" selected>"));
}

/// A session that expired while the form was being filled: the POST shows the login form,
/// and after logging in the values are offered back and recorded once.
#[tokio::test]
async fn a_form_sent_after_the_session_expired_survives_re_login() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.sesi", "32.73.02.1004").await;
    let form_path = visit_form_path(f.household);
    let form = app.open_form(&f.agent, &form_path).await;
    // The session ends server-side (idle too long) while the agent is typing.
    app.with_conn(|conn| {
        diesel::delete(pesiar::db::schema::user_sessions::table)
            .execute(conn)
            .unwrap();
    })
    .await;
    let today = pesiar::web::today().format("%Y-%m-%d").to_string();
    let res = app
        .send_form(
            &f.agent,
            &form,
            &[
                ("visited_on", today.as_str()),
                ("outcome", "menolak"),
                ("note", "Pemilik menolak, minta datang lagi Sabtu"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let login = res.text().await.unwrap();
    assert!(login.contains("isian tidak hilang"));
    let replay_body = value_of(&login, "replay_body").unwrap();
    let token = crate::helpers::csrf_from(&login).unwrap();
    let res = f
        .agent
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", "agen.sesi"),
            ("password", PASSWORD),
            ("replay_path", form_path.as_str()),
            ("replay_body", &html_unescape(&replay_body)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let replay = res.text().await.unwrap();
    assert!(replay.contains("Pemilik menolak, minta datang lagi Sabtu"));
    // Send it (twice, as an impatient thumb would).
    let form = Form::read(&form_path, &replay);
    let kept: Vec<(&str, String)> = ["visited_on", "outcome", "note"]
        .into_iter()
        .map(|name| (name, html_unescape(&value_of(&replay, name).unwrap())))
        .collect();
    let kept: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for _ in 0..2 {
        let res = app.send_form(&f.agent, &form, &kept).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let notes: Vec<String> = app
        .with_conn(|conn| visits::table.select(visits::note).load(conn).unwrap())
        .await;
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.contains("minta datang lagi Sabtu"))
            .count(),
        1
    );
}

fn html_unescape(s: &str) -> String {
    s.replace("&#43;", "+")
        .replace("&#61;", "=")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#37;", "%")
}
