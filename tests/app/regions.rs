use diesel::prelude::*;
use pesiar::db::schema::regions;
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_whole_country_is_loaded() {
    let app = spawn_app().await;
    let counts: Vec<(String, i64)> = app
        .with_conn(|conn| {
            regions::table
                .group_by(regions::level)
                .select((regions::level, diesel::dsl::count_star()))
                .order(regions::level)
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(
        counts,
        vec![
            ("desa_kelurahan".to_string(), 83_762),
            ("kabupaten_kota".to_string(), 514),
            ("kecamatan".to_string(), 7_285),
            ("provinsi".to_string(), 38),
        ]
    );
}

#[tokio::test]
async fn walk_from_the_provinces_down_to_a_kelurahan() {
    let app = spawn_app().await;
    app.sign_in_as("jalan", Role::Agent, &["32.73.02.1004"])
        .await;

    let (status, html) = app.get_text("/wilayah").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("<li>").count(), 38, "38 provinces");
    assert!(html.contains("href=\"/wilayah/32\""));

    let (_, html) = app.get_text("/wilayah/32").await;
    assert!(html.contains("Provinsi Jawa Barat"));
    assert!(html.contains("href=\"/wilayah/32.73\""));

    let (_, html) = app.get_text("/wilayah/32.73").await;
    assert!(html.contains("Kota Bandung"));
    assert!(
        html.contains("Kecamatan (30)"),
        "30 kecamatan in Kota Bandung"
    );
    assert!(
        html.contains("href=\"/wilayah/32\">Jawa Barat</a>"),
        "breadcrumb"
    );

    let (_, html) = app.get_text("/wilayah/32.73.02").await;
    assert!(html.contains("Kecamatan Coblong"));
    assert!(html.contains("Desa/Kelurahan (6)"));
    assert!(html.contains("href=\"/wilayah/32.73.02.1004\""));

    let (_, html) = app.get_text("/wilayah/32.73.02.1004").await;
    assert!(html.contains("Kelurahan Dago"));
    assert!(html.contains("href=\"/wilayah/32.73.02\">Coblong</a>"));
    assert!(html.contains("href=\"/wilayah/32.73\">Kota Bandung</a>"));

    // A desa is called a desa.
    let (_, html) = app.get_text("/wilayah/35.22.01.2001").await;
    assert!(html.contains("<h1>Desa "), "{html}");
}

#[tokio::test]
async fn search_by_name_or_code() {
    let app = spawn_app().await;
    app.sign_in_as("cari", Role::Office, &["32.73.02"]).await;
    let (_, html) = app.get_text("/wilayah?q=coblong").await;
    assert!(html.contains("href=\"/wilayah/32.73.02\""));
    assert!(
        html.contains("Kota Bandung, Jawa Barat"),
        "search results show their place"
    );

    let (_, html) = app.get_text("/wilayah?q=32.73.02.100").await;
    for code in ["32.73.02.1001", "32.73.02.1006"] {
        assert!(html.contains(code), "{code}");
    }
    // Wildcards are literal; odd input is harmless.
    for q in ["%25", "_", "%27%22%3Cscript%3E", "\\"] {
        let (status, html) = app.get_text(&format!("/wilayah?q={q}")).await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert!(html.contains("Tidak ada wilayah yang cocok"), "{q}");
        assert!(!html.contains("<script>"));
    }
    // Common names are capped, with a note.
    let (_, html) = app.get_text("/wilayah?q=sukamaju").await;
    assert_eq!(html.matches("<li>").count(), 50);
    assert!(html.contains("Hanya 50 hasil pertama"));
}

#[tokio::test]
async fn unknown_or_malformed_codes_are_404() {
    let app = spawn_app().await;
    app.sign_in_as("salah", Role::Admin, &[]).await;
    for path in [
        "/wilayah/99",
        "/wilayah/32.73.99",
        "/wilayah/abc",
        "/wilayah/32.73.02.1004.1",
    ] {
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("Tidak ditemukan"));
    }
}
