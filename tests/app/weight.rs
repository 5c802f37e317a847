//! Page weight on a phone with prepaid data: every page of every role (each GET route of the
//! router that renders a page),
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
        "/rumah-tangga".to_string(),
        "/rumah-tangga/baru".to_string(),
        format!("/rumah-tangga/{household}/ubah"),
        format!("/rumah-tangga/{household}/anggota/baru"),
        format!("/anggota/{member}/ubah"),
        format!("/anggota/{member}/koreksi"),
        format!("/kunjungan/{}/koreksi", f.visit),
        "/antrean".to_string(),
        "/wilayah".to_string(),
        "/wilayah/32.73.02.1004".to_string(),
        "/akun/password".to_string(),
    ] {
        report.push((path.clone(), weigh(&app, &f.agent, &path).await));
    }
    // A figures upload waiting for "Terapkan", and a roster import with its report.
    let res = crate::progress::preview(
        &app,
        &spv,
        "dago.csv",
        b"kode_wilayah,tanggal,penduduk,peserta_terdaftar,peserta_aktif\n32.73.02.1004,2025-07-31,12000,11900,9600\n".to_vec(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let preview = crate::helpers::location(&res);
    let roster_csv = format!(
        "{}\n3273025203850001;;Ibu Roster;P;12-03-1985;32.73.02.1004;3;5;Jl. Contoh No. 1;;PBPU;3;AKTIF;\n",
        crate::roster::HEADER
    );
    let (roster, _) = crate::roster::import(
        &app,
        &spv,
        "roster.csv",
        crate::roster::day(1),
        roster_csv.into_bytes(),
    )
    .await;
    let agent = crate::helpers::user_id(&app, "agen.ringan").await;
    let filtered =
        format!("/verifikasi?kelurahan=32.73.02.1004&petugas={agent}&jenis=reaktivasi&umur=3");
    let visit = format!("/kunjungan/{}", f.visit);
    let correct_visit = format!("/kunjungan/{}/koreksi", f.visit);
    let correct_member = format!("/anggota/{member}/koreksi");
    let show_member = format!("/anggota/{member}");
    for path in [
        filtered.as_str(),
        visit.as_str(),
        correct_visit.as_str(),
        correct_member.as_str(),
        show_member.as_str(),
        preview.as_str(),
        roster.as_str(),
        "/data/pindah",
        "/rekap",
    ] {
        report.push((
            format!("{path} (supervisor)"),
            weigh(&app, &spv, path).await,
        ));
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
    for path in [
        "/",
        "/penugasan",
        "/progres/32.73.02",
        "/wilayah/32.73.02",
        "/forum/32.73.02",
        "/rumah-tangga",
    ] {
        report.push((format!("{path} (kantor)"), weigh(&app, &office, path).await));
    }
    let kader = app
        .client_as("kader.ringan", Role::Kader, &["32.73.02.1003"])
        .await;
    for path in ["/", "/rekap"] {
        report.push((format!("{path} (kader)"), weigh(&app, &kader, path).await));
    }
    let admin = app.client_as("admin.ringan", Role::Admin, &[]).await;
    let edit_user = format!("/admin/pengguna/{agent}");
    let viewers = format!("/anggota/{member}/akses");
    for path in [
        "/",
        "/admin/pengguna",
        "/admin/pengguna/baru",
        edit_user.as_str(),
        "/admin/kunci",
        "/admin/token",
        "/admin/iuran",
        "/admin/insentif",
        viewers.as_str(),
    ] {
        report.push((format!("{path} (admin)"), weigh(&app, &admin, path).await));
    }
    println!("first-load weight, compressed:");
    for (path, bytes) in report {
        println!("  {bytes:>6} B  {path}");
    }
}
