use diesel::prelude::*;
use pesiar::db::schema::{audit_log, users};
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, location, new_client, spawn_app};

#[tokio::test]
async fn admin_creates_a_user_who_then_sets_their_own_password() {
    let app = spawn_app().await;
    app.sign_in_as("admin", Role::Admin, &[]).await;
    let res = app
        .post_form(
            "/admin/pengguna/baru",
            &[
                ("username", "Agen.Sekeloa"),
                ("full_name", "  Dewi   Lestari "),
                ("phone", "0812-3456-7890"),
                ("role", "agent"),
                ("areas", "32.73.02.1005\n32.73.02.1004"),
                ("password", "sementara-123"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let edit = location(&res);
    assert!(edit.starts_with("/admin/pengguna/"));
    let (_, html) = app.get_text(&edit).await;
    assert!(html.contains("Dewi Lestari"));
    assert!(html.contains("@agen.sekeloa"));
    assert!(html.contains("32.73.02.1004\n32.73.02.1005"));
    assert!(
        html.contains("<strong>Pengguna dibuat</strong>") && !html.contains("user.create"),
        "audit history shown in Indonesian"
    );
    assert!(html.contains(" · oleh Pengguna admin</span>"), "{html}");

    let (_, list) = app.get_text("/admin/pengguna?q=dewi").await;
    assert!(list.contains("Dewi Lestari"));
    assert!(list.contains("Sekeloa (32.73.02.1005)"));

    let agent = new_client();
    let res = app
        .login_with(&agent, "agen.sekeloa", "sementara-123")
        .await;
    assert_eq!(location(&res), "/akun/password");
}

#[tokio::test]
async fn bad_input_is_shown_beside_each_field_with_values_kept() {
    let app = spawn_app().await;
    app.sign_in_as("admin", Role::Admin, &[]).await;
    let res = app
        .post_form(
            "/admin/pengguna/baru",
            &[
                ("username", "Agen Baru!"),
                ("full_name", "Nama <b>Tebal</b>"),
                ("phone", "08abc"),
                ("role", "agent"),
                ("areas", "32.73\n99.99.99.9999\nbukan-kode"),
                ("password", "pendek"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Nama pengguna hanya boleh huruf kecil"));
    assert!(html.contains("Nomor HP hanya boleh angka"));
    assert!(html.contains("Kode wilayah tidak valid: bukan-kode"));
    assert!(html.contains("Kata sandi minimal 10 karakter."));
    // Values kept (escaped), password not echoed.
    assert!(html.contains("value=\"Agen Baru!\""));
    assert!(
        html.contains("Nama &#60;b&#62;Tebal&#60;/b&#62;")
            || html.contains("Nama &lt;b&gt;Tebal&lt;/b&gt;")
    );
    assert!(html.contains("value=\"08abc\""));
    assert!(!html.contains("pendek\""));
    assert!(html.contains("<option value=\"agent\" selected>"));

    // Codes that exist but do not suit the role, or do not exist.
    let res = app
        .post_form(
            "/admin/pengguna/baru",
            &[
                ("username", "agen.kota"),
                ("full_name", "Agen Kota"),
                ("role", "agent"),
                ("areas", "32.73\n32.73.99.9999"),
                ("password", "sementara-123"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Kode wilayah tidak dikenal: 32.73.99.9999"),
        "{html}"
    );

    let res = app
        .post_form(
            "/admin/pengguna/baru",
            &[
                ("username", "agen.kota"),
                ("full_name", "Agen Kota"),
                ("role", "agent"),
                ("areas", "32.73"),
                ("password", "sementara-123"),
            ],
        )
        .await;
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Wilayah tidak sesuai peran Agen PESIAR: 32.73 Kota Bandung"),
        "{html}"
    );

    let none: i64 = app
        .with_conn(|conn| {
            users::table
                .filter(users::username.eq("agen.kota"))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(none, 0);
}

#[tokio::test]
async fn usernames_are_unique() {
    let app = spawn_app().await;
    app.sign_in_as("admin", Role::Admin, &[]).await;
    app.create_user("kembar", Role::Kader, &["32.73.02.1004"])
        .await;
    let res = app
        .post_form(
            "/admin/pengguna/baru",
            &[
                ("username", "KEMBAR"),
                ("full_name", "Kembar Dua"),
                ("role", "kader"),
                ("areas", "32.73.02.1004"),
                ("password", "sementara-123"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Nama pengguna sudah dipakai.")
    );
}

#[tokio::test]
async fn admin_changes_role_and_areas_and_it_is_audited() {
    let app = spawn_app().await;
    let admin = app.sign_in_as("admin", Role::Admin, &[]).await;
    let id = app
        .create_user("pindah", Role::Agent, &["32.73.02.1004"])
        .await;
    let res = app
        .post_form(
            &format!("/admin/pengguna/{id}"),
            &[
                ("full_name", "Pindah Tugas"),
                ("phone", ""),
                ("role", "supervisor"),
                ("areas", "32.73.02"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let user = new_client();
    app.login_with(&user, "pindah", PASSWORD).await;
    let html = app.get_with(&user, "/").await.text().await.unwrap();
    assert!(html.contains("Wilayah binaan"));
    assert!(html.contains("Kecamatan Coblong"));
    let entries: Vec<(Option<i32>, String, String)> = app
        .with_conn(move |conn| {
            audit_log::table
                .filter(audit_log::entity_id.eq(id.to_string()))
                .select((
                    audit_log::actor_user_id,
                    audit_log::action,
                    audit_log::detail,
                ))
                .order(audit_log::id)
                .load(conn)
                .unwrap()
        })
        .await;
    let update = entries
        .iter()
        .find(|e| e.1 == "user.update")
        .expect("audit entry");
    assert_eq!(update.0, Some(admin));
    assert!(update.2.contains("role agent → supervisor"));
    assert!(update.2.contains("areas 32.73.02.1004 → 32.73.02"));
}

#[tokio::test]
async fn disabling_ends_the_users_sessions_and_admins_cannot_lock_themselves_out() {
    let app = spawn_app().await;
    let admin = app.sign_in_as("admin", Role::Admin, &[]).await;
    let id = app
        .create_user("pergi", Role::Kader, &["32.73.02.1004"])
        .await;
    let kader = new_client();
    app.login_with(&kader, "pergi", PASSWORD).await;
    assert_eq!(app.get_with(&kader, "/").await.status(), StatusCode::OK);

    let res = app
        .post_form(
            &format!("/admin/pengguna/{id}/nonaktifkan"),
            &[("yakin", "ya")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&app.get_with(&kader, "/").await).starts_with("/login"));
    assert_eq!(
        app.login_with(&kader, "pergi", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .post_form(&format!("/admin/pengguna/{id}/aktifkan"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.login_with(&kader, "pergi", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    let res = app
        .post_form(
            &format!("/admin/pengguna/{admin}/nonaktifkan"),
            &[("yakin", "ya")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post_form(
            &format!("/admin/pengguna/{admin}"),
            &[
                ("full_name", "Admin"),
                ("role", "office"),
                ("areas", "32.73.02"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("mencabut peran admin"));
    assert_eq!(app.get("/admin/pengguna").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn admin_resets_a_password_and_the_old_one_stops_working() {
    let app = spawn_app().await;
    app.sign_in_as("admin", Role::Admin, &[]).await;
    let id = app
        .create_user("lupa", Role::Agent, &["32.73.02.1004"])
        .await;
    let res = app
        .post_form(
            &format!("/admin/pengguna/{id}/kata-sandi"),
            &[("new_password", "lupa")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("minimal 10 karakter"));
    let res = app
        .post_form(
            &format!("/admin/pengguna/{id}/kata-sandi"),
            &[("new_password", "sementara-456")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let user = new_client();
    assert_eq!(
        app.login_with(&user, "lupa", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = app.login_with(&user, "lupa", "sementara-456").await;
    assert_eq!(location(&res), "/akun/password");
}

#[tokio::test]
async fn missing_users_are_404() {
    let app = spawn_app().await;
    app.sign_in_as("admin", Role::Admin, &[]).await;
    for path in [
        "/admin/pengguna/99999",
        "/admin/pengguna/abc",
        "/admin/pengguna/-1",
    ] {
        assert_eq!(
            app.get(path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let res = app
        .post_form("/admin/pengguna/99999/nonaktifkan", &[("yakin", "ya")])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
