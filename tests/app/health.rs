use pesiar::config::DatabaseUrl;
use pesiar::db::Db;
use reqwest::StatusCode;

use crate::helpers::{spawn_app, spawn_with_db, test_database};

#[tokio::test]
async fn health_check_answers_ok_when_the_database_answers() {
    let app = spawn_app().await;
    let (status, body) = app.get_text("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "ok");
}

#[tokio::test]
async fn health_check_answers_503_quickly_when_the_database_is_down() {
    // Nothing listens on port 1: every connection attempt fails.
    let db = Db::connect_lazy(&DatabaseUrl::Postgres(
        "postgres://pesiar@127.0.0.1:1/none?connect_timeout=1".into(),
    ));
    let app = spawn_with_db(db, test_database());
    let started = std::time::Instant::now();
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed().as_secs() < 10,
        "took {:?}",
        started.elapsed()
    );

    // A page that needs the database shows the 503 page, not a hang or a 500.
    let client = crate::helpers::new_client();
    let token = app.csrf_with(&client).await;
    let res = client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", "a"),
            ("password", "b"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().contains_key("retry-after"));
    let body = res.text().await.unwrap();
    assert!(body.contains("Layanan sementara tidak tersedia"), "{body}");

    // Once an attempt has failed, the next requests do not each wait for the pool: an agent
    // pressing "Simpan" during an outage gets the page (and the offline queue) at once.
    for _ in 0..5 {
        let started = std::time::Instant::now();
        let res = app.get("/healthz").await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            started.elapsed() < std::time::Duration::from_millis(500),
            "took {:?}",
            started.elapsed()
        );
    }
}
