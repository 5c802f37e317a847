use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app};

#[tokio::test]
async fn health_check_answers_ok_when_the_database_answers() {
    let app = spawn_app().await;
    let (status, body) = app.get_text("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "ok");
}

#[tokio::test]
async fn health_check_answers_503_quickly_when_the_database_is_down() {
    let app = TestApp::new().with_database_down().spawn().await;
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
    let res = app.login_with(&client, "a", "b").await;
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
