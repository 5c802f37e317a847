use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{default_areas, spawn_app};

/// Every POST route refuses a request without the token, with a wrong one, and with the token
/// of another session, before anything else happens.
#[tokio::test]
async fn every_post_route_requires_the_session_csrf_token() {
    let app = spawn_app().await;
    let id = app
        .sign_in_as("csrf.admin", Role::Admin, default_areas(Role::Admin))
        .await;
    let other = crate::helpers::new_client();
    let foreign_token = app.csrf_with(&other).await;
    let posts = crate::access::paths_of(actix_web::http::Method::POST, id);
    assert!(posts.len() >= 8);
    for path in &posts {
        for token in [None, Some("salah"), Some(foreign_token.as_str())] {
            let mut form = vec![("username", "x"), ("full_name", "X")];
            if let Some(token) = token {
                form.push(("csrf_token", token));
            }
            let res = app
                .client
                .post(app.url(path))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path} with {token:?}");
            let body = res.text().await.unwrap();
            assert!(body.contains("Formulir kedaluwarsa"), "{path}");
        }
    }
    // Still signed in and nothing was done: the admin can load pages.
    assert_eq!(app.get("/admin/pengguna").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_token_may_come_in_a_header_and_a_bad_body_is_refused_cleanly() {
    let app = spawn_app().await;
    app.sign_in_as("csrf.kader", Role::Kader, &["32.73.02.1004"])
        .await;
    let token = app.csrf().await;
    let res = app
        .client
        .post(app.url("/logout"))
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // A body that is not a form, or too large, gets a 4xx page, never a 500.
    let res = app
        .client
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 300 * 1024])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    let res = app
        .client
        .post(app.url("/login"))
        .header("content-type", "application/json")
        .body("{\"csrf_token\":\"x\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
