//! Page weight on a phone with prepaid data: every page of the field and supervision journeys,
//! with the CSS and script it loads, fits in 14 KB compressed (one round trip of TCP's first
//! window), and once the assets are cached a page needs nothing but its own HTML.

use std::io::Read;

use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{TestApp, new_client, spawn_app};
use crate::journeys::fixture;

const BUDGET: usize = 14 * 1024;

async fn fetch(client: &reqwest::Client, url: &str) -> reqwest::Response {
    client
        .get(url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap()
}

fn gunzip(bytes: &[u8], encoded: bool) -> String {
    if !encoded {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .unwrap();
    out
}

/// What a page makes the browser load: `src` attributes and `<link>` targets (links a person
/// may follow, such as a share link, are not loaded).
fn assets_of(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let loaded = html
        .split("src=\"")
        .skip(1)
        .chain(html.split("<link ").skip(1).filter_map(|tag| {
            let tag = tag.split('>').next().unwrap_or_default();
            tag.split("href=\"").nth(1)
        }));
    for part in loaded {
        let url = part.split('"').next().unwrap_or_default().to_string();
        assert!(
            url.starts_with('/') && !url.starts_with("//"),
            "a page loads nothing from elsewhere: {url}"
        );
        found.push(url);
    }
    found.sort();
    found.dedup();
    found
}

/// Checks one page; returns its first-load weight.
async fn weigh(app: &TestApp, client: &reqwest::Client, path: &str) -> usize {
    let res = fetch(client, &app.url(path)).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let encoded = res
        .headers()
        .get("content-encoding")
        .is_some_and(|v| v == "gzip");
    let bytes = res.bytes().await.unwrap();
    let html = gunzip(&bytes, encoded);
    let mut total = bytes.len();
    for asset in assets_of(&html) {
        let res = fetch(client, &app.url(&asset)).await;
        assert_eq!(res.status(), StatusCode::OK, "{asset}");
        let cache = res.headers()["cache-control"].to_str().unwrap().to_string();
        assert!(
            cache.contains("immutable") && cache.contains("max-age=31536000"),
            "{asset} must be cached so later pages need only their HTML: {cache}"
        );
        total += res.bytes().await.unwrap().len();
    }
    assert!(
        total <= BUDGET,
        "{path}: {total} bytes on first load (budget {BUDGET})"
    );
    total
}

#[tokio::test]
async fn every_journey_page_fits_in_14_kb_with_its_assets() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.ringan", "32.73.02.1004").await;
    let spv = app
        .client_as("spv.ringan", Role::Supervisor, &["32.73"])
        .await;
    crate::progress::load_bandung(&app, &spv).await;
    let office = app
        .client_as("kantor.ringan", Role::Office, &["32.73.02"])
        .await;

    let mut report = Vec::new();
    let anonymous = new_client();
    report.push((
        "/login".to_string(),
        weigh(&app, &anonymous, "/login").await,
    ));
    let household = f.household;
    let member = f.members[0];
    let search = app.search_path(&f.agent, "contoh").await;
    for path in [
        "/".to_string(),
        search,
        format!("/rumah-tangga/{household}"),
        format!("/rumah-tangga/{household}/kunjungan/baru"),
        format!("/kunjungan/{}", f.visit),
        format!("/anggota/{member}"),
        "/progres/32.73.02.1004".to_string(),
        "/rekap".to_string(),
    ] {
        report.push((path.clone(), weigh(&app, &f.agent, &path).await));
    }
    for path in [
        "/",
        "/verifikasi",
        "/progres/32.73",
        "/progres/32.73.02",
        "/progres/32.73.02.1004",
        "/rekap?wilayah=32.73",
        "/forum/32.73",
        "/forum/32.73.02",
        "/penugasan",
        "/data/impor",
        "/data/roster",
    ] {
        report.push((
            format!("{path} (supervisor)"),
            weigh(&app, &spv, path).await,
        ));
    }
    for path in ["/", "/penugasan"] {
        report.push((format!("{path} (kantor)"), weigh(&app, &office, path).await));
    }
    println!("first-load weight, compressed:");
    for (path, bytes) in report {
        println!("  {bytes:>6} B  {path}");
    }
}
