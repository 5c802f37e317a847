use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{default_areas, spawn_app};

const REQUIRED: &[(&str, &str)] = &[
    ("content-security-policy", "default-src 'self'"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
];

fn assert_security_headers(path: &str, res: &reqwest::Response) {
    for (name, expected) in REQUIRED {
        let value = res
            .headers()
            .get(*name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{path}: missing {name}"));
        assert!(value.contains(expected), "{path}: {name} = {value}");
    }
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        !csp.contains("unsafe-inline"),
        "{path}: CSP allows inline code"
    );
}

/// Every GET route of the table, signed in as admin and anonymous, plus error pages.
#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let anonymous = crate::helpers::new_client();
    let id = app
        .sign_in_as("admin1", Role::Admin, default_areas(Role::Admin))
        .await;
    let mut paths = crate::access::paths_of(actix_web::http::Method::GET, id);
    paths.extend(["/tidak-ada".to_string(), "/wilayah/99.99".to_string()]);
    for path in &paths {
        let res = app.get(path).await;
        assert_security_headers(path, &res);
        let res = app.get_with(&anonymous, path).await;
        assert_security_headers(path, &res);
    }
    // Every POST route, with a valid token and an empty form (whatever the answer).
    let mut posts = crate::access::paths_of(actix_web::http::Method::POST, id);
    posts.retain(|p| p != "/logout");
    assert!(posts.len() > 15, "{posts:?}");
    for path in &posts {
        let res = app.post_form(path, &[]).await;
        assert_security_headers(&format!("POST {path}"), &res);
    }
    // A refused POST (no CSRF token) too.
    let res = anonymous.post(app.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_security_headers("POST /login", &res);
}

#[tokio::test]
async fn pages_are_not_cached_but_assets_are_cached_for_a_year() {
    let app = spawn_app().await;
    let res = app.get("/login").await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    let css = pesiar::web::assets::url("pesiar.css");
    assert!(html.contains(&css), "login page links {css}");
    let res = app.get(&css).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    // An old or made-up asset name is a 404, not a stale file.
    let res = app.get("/static/pesiar.0000000000.css").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn responses_are_compressed_and_the_login_page_is_small() {
    let app = spawn_app().await;
    for path in ["/login", &pesiar::web::assets::url("pesiar.css")] {
        let res = app
            .client
            .get(app.url(path))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-encoding"], "gzip", "{path}");
        let bytes = res.bytes().await.unwrap();
        assert!(bytes.len() < 14 * 1024, "{path}: {} bytes", bytes.len());
    }
}

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site() {
    let app = spawn_app().await;
    let res = app.get("/login").await;
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("pesiar="))
        .expect("session cookie")
        .to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain-HTTP test server: {cookie}"
    );
}

#[tokio::test]
async fn secure_cookies_are_marked_secure_and_get_hsts() {
    let app = crate::helpers::TestApp::new()
        .with_secure_cookies()
        .spawn()
        .await;
    let res = app.get("/login").await;
    assert!(
        res.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("pesiar="))
        .expect("session cookie")
        .to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn head_requests_are_answered_like_get() {
    let app = spawn_app().await;
    let res = app.client.head(app.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.client.head(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Access rules apply to HEAD as to GET.
    let res = app
        .client
        .head(app.url("/admin/pengguna"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}
