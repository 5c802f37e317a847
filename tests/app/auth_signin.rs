//! Sign-in hardening (security review issue 17): where `next` may send a browser, throttling
//! that holds under parallel guesses, locks keyed by account and address, and locked accounts
//! saying until when.

use diesel::prelude::*;
use pesiar::db::schema::login_failures;
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, location, new_client, spawn_app};

pub const LOCKED: &str = "Terlalu banyak percobaan; coba lagi pukul ";

/// The latest lock in the throttle table, as the page shows it: `HH:MM` in WIB.
pub async fn lock_clock(app: &TestApp) -> String {
    let until: Option<chrono::NaiveDateTime> = app
        .with_conn(|conn| {
            login_failures::table
                .select(diesel::dsl::max(login_failures::locked_until))
                .first(conn)
                .unwrap()
        })
        .await;
    let until = until.expect("a lock");
    (until + chrono::Duration::hours(7))
        .format("%H:%M")
        .to_string()
}

#[tokio::test]
async fn next_never_leaves_the_site_when_signed_in() {
    let app = spawn_app().await;
    app.sign_in_as("penjelajah", Role::Agent, &["32.73.02.1004"])
        .await;
    for next in [
        "/%09/host/x",
        "/%0a/x",
        "/%0d%0a/x",
        "//host",
        "/%5Chost",
        "%5C%5Chost",
        "https://x",
        "https%3A%2F%2Fx",
        "/%252F%252Fhost",
        "/%255Chost",
        "/%20/host",
        "/./%2F/host",
        "",
    ] {
        let res = app.get(&format!("/login?next={next}")).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "next={next}");
        assert_eq!(location(&res), "/", "next={next}");
    }
    let res = app.get("/login?next=%2Fwilayah%2F32%2E73%3Fx%3D1").await;
    assert_eq!(location(&res), "/wilayah/32.73?x=1");
}

#[tokio::test]
async fn next_never_leaves_the_site_after_login() {
    let app = spawn_app().await;
    app.create_user("tamu", Role::Agent, &["32.73.02.1004"])
        .await;
    for next in [
        "/\t/host/x",
        "/\n/x",
        "//host",
        "/\\host",
        "https://x",
        "/%2F/host",
        "/wilayah ",
    ] {
        let client = new_client();
        let res = app
            .post_form_with(
                &client,
                "/login",
                &[("username", "tamu"), ("password", PASSWORD), ("next", next)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "next={next:?}");
        assert_eq!(location(&res), "/", "next={next:?}");
    }
    // A wrong password keeps only a safe `next` in the re-rendered form.
    let res = app
        .post_form(
            "/login",
            &[
                ("username", "tamu"),
                ("password", "salah"),
                ("next", "//host"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(!res.text().await.unwrap().contains("//host"));
    let res = app
        .post_form_with(
            &new_client(),
            "/login",
            &[
                ("username", "tamu"),
                ("password", PASSWORD),
                ("next", "/wilayah/32.73"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/wilayah/32.73");
}

/// 40 wrong guesses at once against one account: the answers show how many passwords were
/// really checked (401 "wrong") and how many were refused before any check (429 "locked").
#[tokio::test]
async fn forty_parallel_guesses_get_at_most_five_password_checks() {
    let app = spawn_app().await;
    app.create_user("sasaran", Role::Agent, &["32.73.02.1004"])
        .await;
    let mut ready = Vec::new();
    for _ in 0..40 {
        let client = new_client();
        let token = app.csrf_with(&client).await;
        ready.push((client, token));
    }
    let url = app.url("/login");
    let tasks: Vec<_> = ready
        .into_iter()
        .map(|(client, token)| {
            let url = url.clone();
            tokio::spawn(async move {
                client
                    .post(url)
                    .form(&[
                        ("csrf_token", token.as_str()),
                        ("username", "sasaran"),
                        ("password", "tebakan-yang-salah"),
                    ])
                    .send()
                    .await
                    .expect("POST")
                    .status()
            })
        })
        .collect();
    let (mut wrong, mut locked) = (0, 0);
    for task in tasks {
        match task.await.expect("task") {
            StatusCode::UNAUTHORIZED => wrong += 1,
            StatusCode::TOO_MANY_REQUESTS => locked += 1,
            other => panic!("unexpected answer {other}"),
        }
    }
    assert!(wrong <= 5, "{wrong} passwords checked, {locked} refused");
    assert_eq!(wrong + locked, 40);
    // Even the right password is refused now, and the page says until when.
    let res = app.login("sasaran", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!("{LOCKED}{}", lock_clock(&app).await)),
        "{html}"
    );
}

#[tokio::test]
async fn a_locked_account_says_until_when() {
    let app = spawn_app().await;
    app.create_user("terkunci", Role::Kader, &["32.73.02.1004"])
        .await;
    for _ in 0..5 {
        let res = app.login("terkunci", "bukan-sandinya-1").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app.login("terkunci", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let html = res.text().await.unwrap();
    let clock = lock_clock(&app).await;
    assert!(html.contains(&format!("{LOCKED}{clock} WIB")), "{html}");
}

/// A carrier NAT puts many field workers behind one address: one person's typos (or one
/// attacker's guesses at other names) must not lock everyone else there.
#[tokio::test]
async fn failures_at_one_address_do_not_lock_other_accounts_there() {
    let app = spawn_app().await;
    app.create_user("rekan", Role::Agent, &["32.73.02.1004"])
        .await;
    for i in 0..8 {
        let res = app.login(&format!("tebakan{i}"), "bukan-sandinya-1").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app.login("rekan", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_password_change_form_is_throttled() {
    let app = spawn_app().await;
    app.sign_in_as("pencuri.sesi", Role::Supervisor, &["32.73"])
        .await;
    let attempt = |current: &'static str| {
        let app = &app;
        async move {
            app.post_form(
                "/akun/password",
                &[
                    ("current_password", current),
                    ("new_password", "sandi-baru-yang-kuat"),
                    ("confirm_password", "sandi-baru-yang-kuat"),
                ],
            )
            .await
        }
    };
    for _ in 0..5 {
        let res = attempt("tebakan-salah-1").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Kata sandi saat ini salah.")
        );
    }
    let res = attempt(PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let html = res.text().await.unwrap();
    let clock = lock_clock(&app).await;
    // Beside the field it is about.
    assert!(
        html.contains(&format!(
            "<p class=\"field-error\" id=\"current_password-err\">{LOCKED}{clock} WIB"
        )),
        "{html}"
    );
    // Nothing changed: the old password still signs in elsewhere.
    let res = app
        .login_with(&new_client(), "pencuri.sesi", PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

/// A sign-in behind one reverse proxy, which appended `address` to what the client sent.
async fn login_from(
    app: &TestApp,
    forwarded_for: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    login_with_headers(
        app,
        &[("x-forwarded-for", forwarded_for)],
        username,
        password,
    )
    .await
}

/// A sign-in from a new client whose request carries `headers`.
async fn login_with_headers(
    app: &TestApp,
    headers: &[(&str, &str)],
    username: &str,
    password: &str,
) -> reqwest::Response {
    let client = new_client();
    let token = app.csrf_with(&client).await;
    let mut request = client.post(app.url("/login"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .expect("POST")
}

#[tokio::test]
async fn another_address_is_not_locked_by_this_ones_failures() {
    let app = TestApp::new().behind_proxies(1).spawn().await;
    app.create_user("dewi", Role::Agent, &["32.73.02.1004"])
        .await;
    for _ in 0..5 {
        let res = login_from(&app, "203.0.113.7", "dewi", "bukan-sandinya-1").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = login_from(&app, "203.0.113.7", "dewi", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // The owner, elsewhere, signs in.
    let res = login_from(&app, "198.51.100.9", "dewi", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_spoofed_leftmost_forwarded_for_is_ignored() {
    let app = TestApp::new().behind_proxies(1).spawn().await;
    app.create_user("wayan", Role::Agent, &["32.73.02.1004"])
        .await;
    // The guesser at 203.0.113.7 writes a new address of its own in front each time; the
    // proxy appends the real one.
    for i in 0..5 {
        let spoofed = format!("10.9.8.{i}, 203.0.113.7");
        let res = login_from(&app, &spoofed, "wayan", "bukan-sandinya-1").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = login_from(&app, "10.9.8.77, 203.0.113.7", "wayan", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Nor does a `Forwarded` header choose the address.
    let res = login_with_headers(
        &app,
        &[
            ("forwarded", "for=192.0.2.60"),
            ("x-forwarded-for", "203.0.113.7"),
        ],
        "wayan",
        PASSWORD,
    )
    .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // The owner whose own (spoofable) leftmost entry happens to be the guesser's address is
    // judged by the address the proxy saw.
    let res = login_from(&app, "203.0.113.7, 198.51.100.9", "wayan", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_admin_sees_a_lock_and_lifts_it() {
    let app = spawn_app().await;
    let admin_id = app.sign_in_as("admin.kunci", Role::Admin, &[]).await;
    let owner = new_client();
    app.create_user("lupa.sandi", Role::Kader, &["32.73.02.1004"])
        .await;
    for _ in 0..5 {
        let res = app
            .login_with(&owner, "lupa.sandi", "bukan-sandinya-1")
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app.login_with(&owner, "lupa.sandi", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);

    let (status, html) = app.get_text("/admin/kunci").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("@lupa.sandi"), "{html}");
    assert!(html.contains("127.0.0.1"), "{html}");
    let clock = lock_clock(&app).await;
    assert!(html.contains(&format!("{clock} WIB")), "{html}");
    let key = "pair:127.0.0.1 lupa.sandi";
    assert!(
        html.contains(&format!("name=\"kunci\" value=\"{key}\"")),
        "{html}"
    );

    let res = app.post_form("/admin/kunci/buka", &[("kunci", key)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/admin/kunci");
    let (_, html) = app.get_text("/admin/kunci").await;
    assert!(html.contains("Kunci dibuka"), "{html}");
    assert!(!html.contains("@lupa.sandi"), "{html}");
    let audited: i64 = app
        .with_conn(move |conn| {
            use pesiar::db::schema::audit_log;
            audit_log::table
                .filter(audit_log::action.eq("login.unlock"))
                .filter(audit_log::entity_id.eq(key))
                .filter(audit_log::actor_user_id.eq(admin_id))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(audited, 1);
    let res = app.login_with(&owner, "lupa.sandi", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Not for anyone else.
    let res = app.get_with(&owner, "/admin/kunci").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
