//! API tokens (issue 17): expiry, revocation (command line, admin page, and automatically on
//! password reset, disable and role change), a cheap last-used time.

use diesel::prelude::*;
use pesiar::db::schema::{api_tokens, audit_log};
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{TestApp, database_url_string, new_client, spawn_app};

const API: &str = "/api/v1/progress/32.73.02.1004";

async fn token_for(app: &TestApp, username: &'static str, days: i64) -> String {
    app.with_conn(move |conn| {
        let user = pesiar::users::queries::find_by_username(conn, username)
            .unwrap()
            .expect("user");
        pesiar::auth::tokens::create_for_days(conn, user.id, "uji", days).unwrap()
    })
    .await
}

async fn api_status(app: &TestApp, token: &str) -> StatusCode {
    new_client()
        .get(app.url(API))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn id_of(app: &TestApp, username: &'static str) -> i32 {
    crate::helpers::user_id(app, username).await
}

async fn audited(app: &TestApp, action: &'static str) -> i64 {
    app.with_conn(move |conn| {
        audit_log::table
            .filter(audit_log::action.eq(action))
            .count()
            .get_result(conn)
            .unwrap()
    })
    .await
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_refused_like_unknown_ones() {
    let app = spawn_app().await;
    app.create_user("api.habis", Role::Kader, &["32.73.02.1004"])
        .await;
    let expiring = token_for(&app, "api.habis", 30).await;
    let revoked = token_for(&app, "api.habis", 90).await;
    assert_eq!(api_status(&app, &expiring).await, StatusCode::OK);
    assert_eq!(api_status(&app, &revoked).await, StatusCode::OK);

    // The first token's expiry passes.
    let hash = pesiar::web::security::token_hash(&expiring);
    app.with_conn(move |conn| {
        diesel::update(api_tokens::table.filter(api_tokens::token_hash.eq(hash)))
            .set(api_tokens::expires_at.eq(pesiar::db::now() - chrono::Duration::minutes(1)))
            .execute(conn)
            .unwrap()
    })
    .await;
    assert_eq!(api_status(&app, &expiring).await, StatusCode::UNAUTHORIZED);

    // The admin page lists both and revokes the second (audited).
    app.sign_in_as("admin.token", Role::Admin, &[]).await;
    let (status, page) = app.get_text("/admin/token").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("@api.habis"), "{page}");
    assert!(
        page.contains("kedaluwarsa") && page.contains("aktif"),
        "{page}"
    );
    let hash = pesiar::web::security::token_hash(&revoked);
    let id: i32 = app
        .with_conn(move |conn| {
            api_tokens::table
                .filter(api_tokens::token_hash.eq(hash))
                .select(api_tokens::id)
                .first(conn)
                .unwrap()
        })
        .await;
    let res = app
        .post_form(&format!("/admin/token/{id}/cabut"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(api_status(&app, &revoked).await, StatusCode::UNAUTHORIZED);
    assert_eq!(audited(&app, "token.revoke").await, 1);
    let (_, page) = app.get_text("/admin/token").await;
    assert!(page.contains("dicabut"), "{page}");
    assert!(!page.contains("/cabut\""), "no revoke button left: {page}");
}

#[tokio::test]
async fn password_reset_disable_and_role_change_revoke_a_users_tokens() {
    let app = spawn_app().await;
    for name in ["api.sandi", "api.mati", "api.peran", "api.tetap"] {
        app.create_user(name, Role::Kader, &["32.73.02.1004"]).await;
    }
    let reset = token_for(&app, "api.sandi", 90).await;
    let disabled = token_for(&app, "api.mati", 90).await;
    let role = token_for(&app, "api.peran", 90).await;
    let kept = token_for(&app, "api.tetap", 90).await;
    app.sign_in_as("admin.cabut", Role::Admin, &[]).await;

    let id = id_of(&app, "api.sandi").await;
    let res = app
        .post_form(
            &format!("/admin/pengguna/{id}/kata-sandi"),
            &[("new_password", "sementara-baru-123")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(api_status(&app, &reset).await, StatusCode::UNAUTHORIZED);

    // Disabled, then enabled again: the token stays revoked.
    let id = id_of(&app, "api.mati").await;
    for action in ["nonaktifkan", "aktifkan"] {
        let res = app
            .post_form(
                &format!("/admin/pengguna/{id}/{action}"),
                &[("yakin", "ya")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(api_status(&app, &disabled).await, StatusCode::UNAUTHORIZED);

    let id = id_of(&app, "api.peran").await;
    let res = app
        .post_form(
            &format!("/admin/pengguna/{id}"),
            &[
                ("full_name", "Api Peran"),
                ("phone", ""),
                ("role", "agent"),
                ("areas", "32.73.02.1004"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(api_status(&app, &role).await, StatusCode::UNAUTHORIZED);

    assert_eq!(
        api_status(&app, &kept).await,
        StatusCode::OK,
        "others keep theirs"
    );
    assert_eq!(audited(&app, "token.revoke_all").await, 3);
}

#[tokio::test]
async fn last_used_is_written_at_most_once_a_minute() {
    let app = spawn_app().await;
    app.create_user("api.pakai", Role::Kader, &["32.73.02.1004"])
        .await;
    let token = token_for(&app, "api.pakai", 90).await;
    let hash = pesiar::web::security::token_hash(&token);
    let last_used = || {
        let hash = hash.clone();
        app.with_conn(move |conn| {
            api_tokens::table
                .filter(api_tokens::token_hash.eq(hash))
                .select(api_tokens::last_used_at)
                .first::<Option<chrono::NaiveDateTime>>(conn)
                .unwrap()
        })
    };
    assert_eq!(last_used().await, None);
    assert_eq!(api_status(&app, &token).await, StatusCode::OK);
    let first = last_used().await.expect("set on first use");
    for _ in 0..3 {
        assert_eq!(api_status(&app, &token).await, StatusCode::OK);
    }
    assert_eq!(
        last_used().await,
        Some(first),
        "not rewritten within a minute"
    );

    // A minute later it moves again.
    let old = first - chrono::Duration::seconds(61);
    let h = hash.clone();
    app.with_conn(move |conn| {
        diesel::update(api_tokens::table.filter(api_tokens::token_hash.eq(h)))
            .set(api_tokens::last_used_at.eq(Some(old)))
            .execute(conn)
            .unwrap()
    })
    .await;
    assert_eq!(api_status(&app, &token).await, StatusCode::OK);
    assert!(last_used().await.expect("set") > old);
}

#[tokio::test]
async fn the_command_line_creates_lists_and_revokes_tokens() {
    let app = spawn_app().await;
    app.create_user("api.cli", Role::Kader, &["32.73.02.1004"])
        .await;
    let url = database_url_string(&app._database.url);
    let run = |args: &[&str]| {
        let out = crate::cli::pesiar(&url).args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, token, err) = run(&[
        "token",
        "create",
        "--username",
        "api.cli",
        "--label",
        "dasbor",
        "--expires",
        "7",
    ]);
    assert!(ok, "{err}");
    let token = token.trim().to_string();
    assert_eq!(api_status(&app, &token).await, StatusCode::OK);
    let (ok, _, err) = run(&["token", "create", "--username", "api.cli", "--expires", "0"]);
    assert!(!ok, "0 days refused: {err}");

    let (ok, list, err) = run(&["token", "list", "--username", "api.cli"]);
    assert!(ok, "{err}");
    let row = list.lines().nth(1).expect("one token");
    let fields: Vec<&str> = row.split('\t').collect();
    assert_eq!(fields[1..3], ["api.cli", "dasbor"], "{list}");
    assert_eq!(fields[6], "aktif", "{list}");
    let expires = chrono::NaiveDate::parse_from_str(&fields[4][..10], "%Y-%m-%d").unwrap();
    assert_eq!(
        (expires - chrono::Utc::now().date_naive()).num_days(),
        7,
        "{list}"
    );

    let (ok, out, err) = run(&["token", "revoke", fields[0]]);
    assert!(ok, "{err}");
    assert!(out.contains("dicabut"), "{out}");
    assert_eq!(api_status(&app, &token).await, StatusCode::UNAUTHORIZED);
    let (ok, _, _) = run(&["token", "revoke", fields[0]]);
    assert!(!ok, "already revoked");

    // `user reset-password` revokes the user's tokens too.
    let token = run(&["token", "create", "--username", "api.cli"]).1;
    let token = token.trim().to_string();
    assert_eq!(api_status(&app, &token).await, StatusCode::OK);
    let mut reset = crate::cli::pesiar(&url);
    reset
        .args(["user", "reset-password", "--username", "api.cli"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = reset.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"kata-sandi-baru-77\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(api_status(&app, &token).await, StatusCode::UNAUTHORIZED);
}
