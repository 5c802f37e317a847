use diesel::prelude::*;
use pesiar::db::schema::{user_sessions, users};
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::auth_signin::LOCKED;
use crate::helpers::{PASSWORD, location, new_client, spawn_app};

const REFUSED: &str = "Gagal masuk. Periksa nama pengguna dan kata sandi.";

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("pesiar="))
        .map(|v| v.split(';').next().unwrap_or("").to_string())
}

#[tokio::test]
async fn login_with_the_right_password_opens_the_role_home() {
    let app = spawn_app().await;
    app.create_user("agen.dago", Role::Agent, &["32.73.02.1004"])
        .await;
    let res = app.login("  Agen.Dago ", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/");
    let (status, html) = app.get_text("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Hari ini"));
    assert!(html.contains("Kelurahan Dago"));
    assert!(html.contains("32.73.02.1004"));
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_user("budi", Role::Kader, &["32.73.02.1004"])
        .await;
    let wrong = app.login("budi", "salah-sekali-123").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong_html = wrong.text().await.unwrap();
    let unknown = app.login("tidak.ada", "salah-sekali-123").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown_html = unknown.text().await.unwrap();
    assert!(wrong_html.contains(REFUSED));
    assert!(unknown_html.contains(REFUSED));
    // The username typed is kept; the password is not echoed.
    assert!(wrong_html.contains("value=\"budi\""));
    assert!(!wrong_html.contains("salah-sekali-123"));
}

#[tokio::test]
async fn five_failures_lock_the_username_even_for_the_right_password() {
    let app = spawn_app().await;
    app.create_user("siti", Role::Agent, &["32.73.02.1004"])
        .await;
    for _ in 0..5 {
        // Different clients (the address is the same, so use distinct usernames for the
        // address count elsewhere); here all failures are for one username.
        assert_eq!(
            app.login("siti", "bukan-sandinya-1").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let res = app.login("siti", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.text().await.unwrap().contains(LOCKED));
    // After the lock expires, the right password works again.
    app.with_conn(|conn| {
        diesel::update(pesiar::db::schema::login_failures::table)
            .set(
                pesiar::db::schema::login_failures::locked_until
                    .eq(Some(pesiar::db::now() - chrono::Duration::minutes(1))),
            )
            .execute(conn)
            .unwrap();
    })
    .await;
    let res = app.login("siti", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn guesses_at_many_accounts_from_one_address_lock_that_address() {
    let app = spawn_app().await;
    app.create_user("rina", Role::Agent, &["32.73.02.1004"])
        .await;
    // The per-address limit is far above one person's typos (see `auth::throttle`); reach it
    // straight in the table rather than with a hundred argon2 checks.
    app.with_conn(|conn| {
        diesel::insert_into(pesiar::db::schema::login_failures::table)
            .values((
                pesiar::db::schema::login_failures::throttle_key.eq("addr:127.0.0.1"),
                pesiar::db::schema::login_failures::failures
                    .eq(pesiar::config::LOGIN_MAX_FAILURES_ADDRESS),
                pesiar::db::schema::login_failures::first_failure_at.eq(pesiar::db::now()),
                pesiar::db::schema::login_failures::locked_until
                    .eq(Some(pesiar::db::now() + chrono::Duration::minutes(15))),
            ))
            .execute(conn)
            .unwrap();
    })
    .await;
    let res = app.login("rina", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.text().await.unwrap().contains(LOCKED));
}

#[tokio::test]
async fn login_renews_the_session_so_a_planted_cookie_is_useless() {
    let app = spawn_app().await;
    app.create_user("fiksasi", Role::Agent, &["32.73.02.1004"])
        .await;
    // The attacker's pre-login session cookie…
    let res = app.get("/login").await;
    let planted = session_cookie(&res).expect("anonymous session cookie");
    // …the victim logs in with it…
    let res = app.login("fiksasi", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let renewed = session_cookie(&res).expect("new cookie at login");
    assert_ne!(planted, renewed);
    // …and the planted cookie still is not signed in.
    let attacker = new_client();
    let res = attacker
        .get(app.url("/"))
        .header("cookie", &planted)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/login"));
}

#[tokio::test]
async fn logout_invalidates_the_session_cookie_server_side() {
    let app = spawn_app().await;
    app.sign_in_as("keluar", Role::Office, &["32.73.02"]).await;
    // Keep a copy of the signed-in cookie, as a thief would.
    let token = app.csrf().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), StatusCode::OK);
    let stolen = {
        let res = app.get("/akun/password").await;
        session_cookie(&res)
    };
    let res = app
        .client
        .post(app.url("/logout"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login?keluar=1");
    let res = app.get("/").await;
    assert!(location(&res).starts_with("/login"));
    let sessions: i64 = app
        .with_conn(|conn| user_sessions::table.count().get_result(conn).unwrap())
        .await;
    assert_eq!(sessions, 0);
    if let Some(stolen) = stolen {
        let res = new_client()
            .get(app.url("/"))
            .header("cookie", stolen)
            .send()
            .await
            .unwrap();
        assert!(
            location(&res).starts_with("/login"),
            "stolen cookie still works"
        );
    }
}

#[tokio::test]
async fn idle_and_old_sessions_expire() {
    let app = spawn_app().await;
    app.sign_in_as("lama", Role::Agent, &["32.73.02.1004"])
        .await;
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    app.with_conn(|conn| {
        diesel::update(user_sessions::table)
            .set(user_sessions::last_seen_at.eq(pesiar::db::now() - chrono::Duration::hours(4)))
            .execute(conn)
            .unwrap();
    })
    .await;
    let res = app.get("/").await;
    assert!(
        location(&res).starts_with("/login"),
        "idle session still valid"
    );

    let res = app.login("lama", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.with_conn(|conn| {
        diesel::update(user_sessions::table)
            .set(user_sessions::created_at.eq(pesiar::db::now() - chrono::Duration::hours(13)))
            .execute(conn)
            .unwrap();
    })
    .await;
    let res = app.get("/").await;
    assert!(
        location(&res).starts_with("/login"),
        "day-old session still valid"
    );
}

#[tokio::test]
async fn a_disabled_user_cannot_log_in_and_is_signed_out() {
    let app = spawn_app().await;
    let id = app
        .sign_in_as("nonaktif", Role::Kader, &["32.73.02.1004"])
        .await;
    app.with_conn(move |conn| {
        diesel::update(users::table.find(id))
            .set(users::disabled.eq(true))
            .execute(conn)
            .unwrap();
    })
    .await;
    let res = app.get("/").await;
    assert!(location(&res).starts_with("/login"));
    let res = app.login("nonaktif", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains(REFUSED));
}

#[tokio::test]
async fn a_temporary_password_must_be_changed_first() {
    let app = spawn_app().await;
    let id = app
        .create_user("baru", Role::Agent, &["32.73.02.1004"])
        .await;
    app.with_conn(move |conn| {
        diesel::update(users::table.find(id))
            .set(users::must_change_password.eq(true))
            .execute(conn)
            .unwrap();
    })
    .await;
    let res = app.login("baru", PASSWORD).await;
    assert_eq!(location(&res), "/akun/password");
    // Every other page sends them back to the password form.
    let res = app.get("/wilayah").await;
    assert_eq!(location(&res), "/akun/password");
    let res = app
        .post_form(
            "/akun/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "sandi-baru-yang-kuat"),
                ("confirm_password", "sandi-baru-yang-kuat"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get("/wilayah").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn changing_the_password_checks_the_rules_and_ends_other_sessions() {
    let app = spawn_app().await;
    app.sign_in_as("ganti.sandi.saya", Role::Supervisor, &["32.73"])
        .await;
    let other_device = new_client();
    assert_eq!(
        app.login_with(&other_device, "ganti.sandi.saya", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    // Bad input: every message beside its field, status 422, nothing changed.
    let res = app
        .post_form(
            "/akun/password",
            &[
                ("current_password", "salah-salah-salah"),
                ("new_password", "pendek"),
                ("confirm_password", "lain"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Kata sandi saat ini salah."));
    assert!(html.contains("Kata sandi minimal 10 karakter."));
    assert!(html.contains("Konfirmasi tidak sama"));
    let res = app
        .post_form(
            "/akun/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "pendek"),
                ("confirm_password", "pendek"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Long enough, but the username (in any case).
    let res = app
        .post_form(
            "/akun/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "Ganti.Sandi.Saya"),
                ("confirm_password", "Ganti.Sandi.Saya"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("tidak boleh sama dengan nama pengguna"),
        "{html}"
    );

    let res = app
        .post_form(
            "/akun/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "sandi-baru-yang-kuat"),
                ("confirm_password", "sandi-baru-yang-kuat"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, html) = app.get_text("/").await;
    assert_eq!(status, StatusCode::OK, "this device stays signed in");
    assert!(html.contains("Kata sandi berhasil diganti."));
    let res = app.get_with(&other_device, "/").await;
    assert!(
        location(&res).starts_with("/login"),
        "other device signed out"
    );
    let res = app
        .login_with(&new_client(), "ganti.sandi.saya", "sandi-baru-yang-kuat")
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}
