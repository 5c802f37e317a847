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

/// A visit sent from our page after the session cookie is gone (cleared, or a new phone
/// profile) answers with the login form carrying what was typed, not "Formulir kedaluwarsa";
/// after login it is offered back and recorded. A post that does not come from our pages, or
/// to the login form itself, is still refused.
#[tokio::test]
async fn a_form_sent_after_the_cookie_is_gone_keeps_what_was_typed() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.kuki", "32.73.02.1004").await;
    let form_path = visit_form_path(f.household);
    let form = app.open_form(&f.agent, &form_path).await;
    let fields = form.filled(&[
        ("visited_on", &today()),
        ("outcome", "menolak"),
        ("note", "Pemilik minta datang hari Minggu"),
    ]);
    // The same phone without its cookie.
    let phone = crate::helpers::new_client();
    let cross_site = phone
        .post(app.url(&form_path))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert!(
        cross_site
            .text()
            .await
            .unwrap()
            .contains("Formulir kedaluwarsa")
    );
    let login_post = phone
        .post(app.url("/login"))
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("username", "agen.kuki"),
            ("password", crate::helpers::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        login_post.status(),
        StatusCode::FORBIDDEN,
        "login keeps its token"
    );

    let before = visit_count(&app).await;
    let res = phone
        .post(app.url(&form_path))
        .header("sec-fetch-site", "same-origin")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let login = res.text().await.unwrap();
    assert!(login.contains("isian tidak hilang"), "{login}");
    assert!(login.contains("Minggu"), "the typed note is carried");
    assert_eq!(visit_count(&app).await, before, "nothing recorded yet");
    // Also by Origin, as browsers without Sec-Fetch-Site send it.
    let by_origin = crate::helpers::new_client()
        .post(app.url(&form_path))
        .header("origin", app.url("").trim_end_matches('/'))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(by_origin.status(), StatusCode::UNAUTHORIZED);

    let replay_body = crate::journeys::value_of(&login, "replay_body").unwrap();
    let token = crate::helpers::csrf_from(&login).unwrap();
    let body = html_unescape(&replay_body);
    let res = phone
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", "agen.kuki"),
            ("password", crate::helpers::PASSWORD),
            ("replay_path", form_path.as_str()),
            ("replay_body", body.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let replay = res.text().await.unwrap();
    assert!(replay.contains("Pemilik minta datang hari Minggu"));
    let token = crate::helpers::csrf_from(&replay).unwrap();
    let mut resend: Vec<(String, String)> = pesiar::web::forms::pairs(body.as_bytes());
    for (name, value) in resend.iter_mut() {
        if name == "csrf_token" {
            *value = token.clone();
        }
    }
    let res = phone
        .post(app.url(&form_path))
        .form(&resend)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(visit_count(&app).await, before + 1);
}

fn html_unescape(s: &str) -> String {
    s.replace("&#43;", "+")
        .replace("&#61;", "=")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
}

fn activity_of(conn: &mut pesiar::db::DbConnection, user_id: i32) -> pesiar::activity::Activity {
    pesiar::activity::per_worker(conn, None)
        .unwrap()
        .into_iter()
        .find(|a| a.user_id == user_id)
        .unwrap_or_default()
}

/// The author voids a visit with a reason (refused without one; a double tap is one void): it
/// leaves the counters and the household's last visit, its waiting claim is withdrawn, and it
/// is audited. Another area cannot even open the page; a supervisor corrects a note; the
/// author's window closes after seven days.
#[tokio::test]
async fn a_visit_is_corrected_or_voided_with_a_reason() {
    use pesiar::db::schema::{audit_log, households, reactivations};
    let app = spawn_app().await;
    let f = fixture(&app, "agen.koreksi", "32.73.02.1004").await;
    let agent_id = crate::helpers::user_id(&app, "agen.koreksi").await;
    let ibu = f.members[0];
    let day = today();
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
    let visit_path = location(&res);
    let visit = crate::journeys::id_from(&visit_path);
    let before = app.with_conn(move |c| activity_of(c, agent_id)).await;
    assert_eq!((before.visits, before.reported), (2, 1));
    let page = app
        .get_with(&f.agent, &visit_path)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/kunjungan/{visit}/koreksi")));

    // Out of area: not found.
    let stranger = app
        .client_as("agen.luar", Role::Agent, &["32.73.01.1001"])
        .await;
    let correct_path = format!("/kunjungan/{visit}/koreksi");
    assert_eq!(
        app.get_with(&stranger, &correct_path).await.status(),
        StatusCode::NOT_FOUND
    );

    let form = app.open_form(&f.agent, &correct_path).await;
    let res = app
        .send_form(&f.agent, &form, &[("aksi", "batal"), ("reason", " ")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("id=\"reason-err\""));
    for _ in 0..2 {
        let res = app
            .send_form(
                &f.agent,
                &form,
                &[("aksi", "batal"), ("reason", "salah rumah")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), visit_path);
    }
    let page = app
        .get_with(&f.agent, &visit_path)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Dibatalkan") && page.contains("salah rumah"));
    let after = app.with_conn(move |c| activity_of(c, agent_id)).await;
    assert_eq!(
        (after.visits, after.households, after.reported),
        (1, before.households, 0),
        "the void leaves the counters"
    );
    let (claims, last, voids) = app
        .with_conn(move |conn| {
            let claims = reactivations::table
                .filter(reactivations::visit_id.eq(visit))
                .count()
                .get_result::<i64>(conn)
                .unwrap();
            let last: Option<String> = households::table
                .find(f.household)
                .select(households::last_visit_outcome)
                .first(conn)
                .unwrap();
            let voids = audit_log::table
                .filter(audit_log::action.eq("visit.void"))
                .count()
                .get_result::<i64>(conn)
                .unwrap();
            (claims, last, voids)
        })
        .await;
    assert_eq!(claims, 0, "the waiting claim is withdrawn");
    assert_eq!(
        last.as_deref(),
        Some("tidak_ditemui"),
        "back to the visit before"
    );
    assert_eq!(voids, 1);
    // Voided: no second correction.
    assert_eq!(
        app.get_with(&f.agent, &correct_path).await.status(),
        StatusCode::NOT_FOUND
    );

    // The fixture's visit: a supervisor corrects its note; the author, eight days on, cannot.
    let supervisor = app
        .client_as("spv.koreksi", Role::Supervisor, &["32.73"])
        .await;
    let earlier = format!("/kunjungan/{}/koreksi", f.visit);
    let res = app
        .submit(
            &supervisor,
            &earlier,
            &[
                ("aksi", "koreksi"),
                ("visited_on", &day),
                ("note", "rumah kosong, tetangga bilang pindah kerja"),
                ("reason", "catatan kurang lengkap"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let first = f.visit;
    app.with_conn(move |conn| {
        diesel::update(visits::table.find(first))
            .set(visits::created_at.eq(pesiar::db::now() - chrono::Duration::days(8)))
            .execute(conn)
            .unwrap();
    })
    .await;
    assert_eq!(
        app.get_with(&f.agent, &earlier).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_with(&supervisor, &earlier).await.status(),
        StatusCode::OK
    );
    let note: String = app
        .with_conn(move |conn| {
            visits::table
                .find(first)
                .select(visits::note)
                .first(conn)
                .unwrap()
        })
        .await;
    assert!(note.contains("pindah kerja"));
}

/// Registering a household whose Nomor KK is already on record in the agent's areas, or whose
/// RT/RW and address nearly match one in the kelurahan, warns first; confirming saves it.
#[tokio::test]
async fn a_possible_duplicate_household_warns_before_saving() {
    use pesiar::db::schema::households;
    let app = spawn_app().await;
    let agent = app
        .client_as("agen.ganda.rt", Role::Agent, &["32.73.02.1004"])
        .await;
    let kk = "3273021234560001";
    crate::journeys::create_household(
        &app,
        &agent,
        "32.73.02.1004",
        "3",
        "Jl. Sangkuriang No. 5",
        kk,
    )
    .await;
    let count = || app.with_conn(|conn| households::table.count().get_result::<i64>(conn).unwrap());
    for (address, kk, warning) in [
        ("Gg. Lain 7", kk, "Nomor KK ini sudah tercatat"),
        ("jalan sangkuriang 5", "", "alamat mirip"),
    ] {
        let before = count().await;
        let form = app.open_form(&agent, "/rumah-tangga/baru").await;
        let fields = [
            ("region_code", "32.73.02.1004"),
            ("rt", "3"),
            ("rw", "5"),
            ("address", address),
            ("nomor_kk", kk),
        ];
        let res = app.send_form(&agent, &form, &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{address}");
        let html = res.text().await.unwrap();
        assert!(html.contains(warning), "{html}");
        assert!(
            html.contains(&format!("value=\"{address}\"")),
            "values kept"
        );
        assert_eq!(count().await, before, "nothing saved yet");
        let mut confirmed = fields.to_vec();
        confirmed.push(("confirm_warnings", "on"));
        let res = app.send_form(&agent, &form, &confirmed).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{address}");
        assert_eq!(count().await, before + 1, "saved once confirmed");
    }
    // Another address in the same RT: no warning.
    crate::journeys::create_household(
        &app,
        &agent,
        "32.73.02.1004",
        "3",
        "Jl. Sangkuriang No. 17",
        "",
    )
    .await;
}

/// The duplicate warning names only households the user may see: a Nomor KK on record in
/// another kelurahan is neither warned about nor shown.
#[tokio::test]
async fn a_duplicate_warning_never_names_another_areas_household() {
    let app = spawn_app().await;
    let other = app
        .client_as("agen.lain.kk", Role::Agent, &["32.73.02.1005"])
        .await;
    let kk = "3273021234560002";
    crate::journeys::create_household(&app, &other, "32.73.02.1005", "3", "Jl. Rahasia No. 9", kk)
        .await;
    let agent = app
        .client_as("agen.sini.kk", Role::Agent, &["32.73.02.1004"])
        .await;
    let res = app
        .submit(
            &agent,
            "/rumah-tangga/baru",
            &[
                ("region_code", "32.73.02.1004"),
                ("rt", "3"),
                ("rw", "5"),
                ("address", "Jl. Rahasia No. 9"),
                ("nomor_kk", kk),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "saved without a warning"
    );
}

/// Editing a household to a Nomor KK another household has warns too; unchanged saves do not.
#[tokio::test]
async fn editing_to_an_existing_nomor_kk_warns() {
    let app = spawn_app().await;
    let agent = app
        .client_as("agen.ubah.kk", Role::Agent, &["32.73.02.1004"])
        .await;
    let kk = "3273021234560003";
    crate::journeys::create_household(&app, &agent, "32.73.02.1004", "3", "Jl. Satu No. 1", kk)
        .await;
    let second =
        crate::journeys::create_household(&app, &agent, "32.73.02.1004", "4", "Jl. Dua No. 2", "")
            .await;
    let path = format!("/rumah-tangga/{second}/ubah");
    let fields = |kk: &'static str, landmark: &'static str| {
        vec![
            ("region_code", "32.73.02.1004"),
            ("rt", "4"),
            ("rw", "5"),
            ("address", "Jl. Dua No. 2"),
            ("nomor_kk", kk),
            ("landmark", landmark),
        ]
    };
    let form = app.open_form(&agent, &path).await;
    let res = app.send_form(&agent, &form, &fields("", "dekat pos")).await;
    let status = res.status();
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    let form = app.open_form(&agent, &path).await;
    let res = app.send_form(&agent, &form, &fields(kk, "")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Nomor KK ini sudah tercatat")
    );
    let mut confirmed = fields(kk, "");
    confirmed.push(("confirm_warnings", "on"));
    let res = app.send_form(&agent, &form, &confirmed).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}
