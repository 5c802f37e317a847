//! Progress toward 80%: figures in, roll-ups, pages, downloads, API, assignments.

use diesel::prelude::*;
use pesiar::db::schema::{figures, reactivations, regions};
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, location, new_client, spawn_app};
use crate::journeys::fixture;

pub const HEADER: &str = "kode_wilayah,tanggal,penduduk,peserta_terdaftar,peserta_aktif";

pub async fn kelurahan_of(app: &TestApp, area: &'static str) -> Vec<String> {
    app.with_conn(move |conn| {
        regions::table
            .filter(regions::code.like(format!("{area}.%")))
            .filter(regions::level.eq("desa_kelurahan"))
            .select(regions::code)
            .order(regions::code)
            .load(conn)
            .unwrap()
    })
    .await
}

/// Figures for every kelurahan whose sums are the given city totals.
pub fn spread(
    codes: &[String],
    date: &str,
    population: i64,
    registered: i64,
    active: i64,
) -> String {
    let n = codes.len() as i64;
    let mut csv = format!("{HEADER}\n");
    for (i, code) in codes.iter().enumerate() {
        let share = |total: i64| total / n + if (i as i64) < total % n { 1 } else { 0 };
        csv.push_str(&format!(
            "{code},{date},{},{},{}\n",
            share(population),
            share(registered),
            share(active)
        ));
    }
    csv
}

/// Uploads a figures file and, when it is shown as a preview, applies it ("Terapkan"):
/// the answer to the apply, or to the upload when it was refused.
pub async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    let res = preview(app, client, name, body).await;
    if res.status() != StatusCode::SEE_OTHER {
        return res;
    }
    let at = crate::helpers::location(&res);
    if !at.starts_with("/data/impor/pratinjau/") {
        return res;
    }
    apply(app, client, &at).await
}

/// Uploads a figures file: a preview (303 to its page) or a refusal; nothing imported.
pub async fn preview(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.upload(client, "/data/impor", &[], name, body).await
}

/// Presses "Terapkan" on the preview at `at`.
pub async fn apply(app: &TestApp, client: &reqwest::Client, at: &str) -> reqwest::Response {
    let token = app.csrf_with(client).await;
    client
        .post(app.url(&format!("{at}/terapkan")))
        .form(&[("csrf_token", token)])
        .send()
        .await
        .unwrap()
}

/// Kota Bandung, June 2025: coverage 99.2%, keaktifan 79.96% — just below the bar.
pub async fn load_bandung(app: &TestApp, client: &reqwest::Client) {
    let codes = kelurahan_of(app, "32.73").await;
    assert_eq!(codes.len(), 151);
    let csv = spread(&codes, "2025-06-30", 2_591_763, 2_571_029, 2_055_795);
    let res = upload(app, client, "bandung-2025-06.csv", csv.into_bytes()).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
}

#[tokio::test]
async fn bandung_at_its_true_keaktifan_with_the_gap_in_people_and_drill_down() {
    let app = spawn_app().await;
    app.sign_in_as("spv.kota", Role::Supervisor, &["32.73"])
        .await;
    load_bandung(&app, &app.client).await;
    let (_, page) = app.get_text("/data/impor").await;
    assert!(
        page.contains("151 baris dari bandung-2025-06.csv diimpor"),
        "{page}"
    );

    let (status, city) = app.get_text("/progres/32.73").await;
    assert_eq!(status, StatusCode::OK);
    assert!(city.contains("79,96%"), "city keaktifan");
    assert!(
        city.contains("kurang <strong>1.029</strong> peserta aktif"),
        "gap in people"
    );
    assert!(
        city.contains("2.055.795 ÷ 2.571.029"),
        "numerator and denominator"
    );
    assert!(city.contains("99,20%"), "coverage");
    assert!(
        city.contains("151 dari 151 desa/kelurahan per 30\u{2011}06\u{2011}2025; 0 tanpa data"),
        "the as-of line"
    );
    assert!(city.contains("Belum UHC Prioritas: keaktifan belum (79,96%"));
    assert!(city.contains("30 wilayah di bawahnya"));
    assert!(city.contains("https://wa.me/?text="));
    // Drill down: kecamatan Coblong, then Kelurahan Dago.
    assert!(city.contains("href=\"/progres/32.73.02?tanggal=2025-06-30\""));
    let (_, kecamatan) = app.get_text("/progres/32.73.02").await;
    assert!(kecamatan.contains("Kecamatan Coblong"));
    assert!(
        kecamatan.contains("href=\"/progres/32.73\">Kota Bandung</a>"),
        "breadcrumb up"
    );
    let (_, dago) = app.get_text("/progres/32.73.02.1004").await;
    assert!(dago.contains("Kelurahan Dago"));
    assert!(dago.contains("Daftar kunjungan berikutnya"));

    // The same through the API.
    let json: serde_json::Value = app
        .get("/api/v1/progress/32.73")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["code"], "32.73");
    assert_eq!(json["date"], "2025-06-30");
    assert_eq!(json["registered"], 2_571_029);
    assert_eq!(json["active"], 2_055_795);
    assert_eq!(json["needed_to_target"], 1029);
    assert_eq!(json["meets_uhc_prioritas"], false);
    assert_eq!(json["target_activity"], 0.8);
    let rate = json["activity_rate"].as_f64().unwrap();
    assert!((rate - 0.7996).abs() < 0.00005, "{rate}");
    assert_eq!(json["children"].as_array().unwrap().len(), 30);
    // The province above the city is not the supervisor's.
    assert_eq!(app.get("/progres/32").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/progress/32").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn roll_ups_are_ratios_of_sums_and_a_re_import_replaces_only_its_units() {
    let app = spawn_app().await;
    app.sign_in_as("spv.coblong", Role::Supervisor, &["32.73.02"])
        .await;
    let csv = format!(
        "{HEADER}\n32.73.02.1004,2025-01-31,120,100,90\n32.73.02.1005,2025-01-31,1100,1000,700\n"
    );
    assert_eq!(
        upload(&app, &app.client, "a.csv", csv.into_bytes())
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let json: serde_json::Value = app
        .get("/api/v1/progress/32.73.02")
        .await
        .json()
        .await
        .unwrap();
    // 790 of 1100 (71.82%), not the average of 90% and 70%.
    assert_eq!(json["active"], 790);
    assert_eq!(json["registered"], 1100);
    assert_eq!(json["needed_to_target"], 90);
    let (_, html) = app.get_text("/progres/32.73.02").await;
    assert!(html.contains("71,82%"));
    // Two of Coblong's six kelurahan: the sums are partial and get no verdict.
    assert!(
        html.contains("2 dari 6 desa/kelurahan per 31\u{2011}01\u{2011}2025; 4 tanpa data"),
        "villages reporting in the kecamatan"
    );
    assert!(html.contains("Data belum lengkap (2 dari 6 desa/kelurahan)"));
    assert!(
        json["meets_uhc_prioritas"].is_null(),
        "no verdict on partial sums"
    );
    assert_eq!(json["status"], "incomplete");
    // Dago comes after Sekeloa: below target first.
    assert!(html.find("Sekeloa").unwrap() < html.find("Dago").unwrap());

    let csv = format!("{HEADER}\n32.73.02.1004,2025-01-31,120,100,95\n");
    assert_eq!(
        upload(&app, &app.client, "b.csv", csv.into_bytes())
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let json: serde_json::Value = app
        .get("/api/v1/progress/32.73.02")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        json["active"],
        95 + 700,
        "Dago's figures replaced, Sekeloa's (not in the file) kept"
    );
    // A second date makes a trend.
    let csv = format!("{HEADER}\n32.73.02.1004,2025-03-31,120,100,97\n");
    upload(&app, &app.client, "c.csv", csv.into_bytes()).await;
    let (_, html) = app.get_text("/progres/32.73.02.1004").await;
    assert!(html.contains("<svg class=\"chart\""));
    assert!(html.contains("dari 95,00% ke 97,00%"));
}

#[tokio::test]
async fn a_bad_file_is_rejected_whole_with_every_problem_listed() {
    let app = spawn_app().await;
    app.sign_in_as("spv.teliti", Role::Supervisor, &["32.73"])
        .await;
    let csv = format!(
        "{HEADER}\n32.73.02.1004,2025-06-30,100,90,80\n32.73.02.9999,2025-06-30,100,90,80\n33.17.01.2001,2025-06-30,100,90,80\n32.73.02.1005,30/13/2025,100,90,95\n"
    );
    let res = upload(&app, &app.client, "salah.csv", csv.into_bytes()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("salah.csv tidak diimpor"));
    assert!(html.contains("Tanggal tidak ada di kalender."), "{html}");
    assert!(html.contains("Peserta aktif melebihi peserta terdaftar."));
    // The region checks speak in the same answer.
    assert!(html.contains("Kode desa/kelurahan tidak dikenal."));
    assert!(html.contains("Di luar wilayah Anda."));
    let csv = format!(
        "{HEADER}\n32.73.02.1004,2025-06-30,100,90,80\n32.73.02.9999,2025-06-30,100,90,80\n33.17.01.2001,2025-06-30,100,90,80\n"
    );
    let res = upload(&app, &app.client, "salah.xlsx", csv.into_bytes()).await;
    let html = res.text().await.unwrap();
    assert!(html.contains("Kode desa/kelurahan tidak dikenal."));
    assert!(html.contains("Di luar wilayah Anda."));
    let count: i64 = app
        .with_conn(|conn| figures::table.count().get_result(conn).unwrap())
        .await;
    assert_eq!(count, 0, "nothing half-imported");
    // Not a table at all.
    let res = upload(
        &app,
        &app.client,
        "foto.jpg",
        vec![0xFF, 0xD8, 0xFF, 0x00, 0x10],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_xlsx_upload_works_like_a_csv() {
    let app = spawn_app().await;
    app.sign_in_as("spv.excel", Role::Supervisor, &["32.73.02"])
        .await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, name) in HEADER.split(',').enumerate() {
        sheet.write_string(0, col as u16, name).unwrap();
    }
    sheet.write_string(1, 0, "32.73.02.1004").unwrap();
    sheet.write_string(1, 1, "2025-06-30").unwrap();
    for (col, n) in [(2u16, 20_000.0), (3, 19_840.0), (4, 15_864.0)] {
        sheet.write_number(1, col, n).unwrap();
    }
    let res = upload(
        &app,
        &app.client,
        "dago.xlsx",
        book.save_to_buffer().unwrap(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let json: serde_json::Value = app
        .get("/api/v1/progress/32.73.02.1004")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["active"], 15_864);
}

#[tokio::test]
async fn downloads_are_scoped_like_the_page() {
    let app = spawn_app().await;
    app.sign_in_as("spv.unduh", Role::Supervisor, &["32.73"])
        .await;
    load_bandung(&app, &app.client).await;
    let res = app.get("/progres/32.73/unduh?format=csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("progres-32.73-data-2025-06-30.csv")
    );
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 32, "header + 30 kecamatan + the city");
    assert!(csv.lines().last().unwrap().starts_with("32.73,"));
    assert!(csv.starts_with("\u{feff}kode_wilayah,nama,tanggal,penduduk"));
    let res = app.get("/progres/32.73/unduh?format=xlsx").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.bytes().await.unwrap().starts_with(b"PK"));
    assert_eq!(
        app.get("/progres/32.73/unduh?format=pdf").await.status(),
        StatusCode::BAD_REQUEST
    );

    let res = app
        .get("/progres/32.73/unduh?format=csv&tabel=petugas")
        .await;
    assert!(
        res.text()
            .await
            .unwrap()
            .starts_with("\u{feff}petugas,kunjungan,rumah_tangga")
    );
    let res = app.get("/penugasan/unduh?format=csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.text().await.unwrap().lines().count(),
        152,
        "header + 151 kelurahan"
    );

    let office = app
        .client_as("kantor.lain", Role::Office, &["32.73.01"])
        .await;
    assert_eq!(
        app.get_with(&office, "/progres/32.73/unduh?format=csv")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_with(&office, "/progres/32.73.01/unduh?format=csv")
            .await
            .status(),
        StatusCode::OK
    );
    let board = app
        .get_with(&office, "/penugasan/unduh?format=csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        board.lines().skip(1).all(|l| l.starts_with("32.73.01.")),
        "office export is scoped"
    );
}

#[tokio::test]
async fn api_tokens_act_as_their_user_and_only_on_the_api() {
    let app = spawn_app().await;
    app.create_user("api.kader", Role::Kader, &["32.73.02.1004"])
        .await;
    let token = app
        .with_conn(|conn| {
            let user = pesiar::users::queries::find_by_username(conn, "api.kader")
                .unwrap()
                .unwrap();
            pesiar::auth::tokens::create(conn, user.id, "uji").unwrap()
        })
        .await;
    let api = new_client();
    let get = |path: &str| api.get(app.url(path)).bearer_auth(&token).send();
    let res = get("/api/v1/progress/32.73.02.1004").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let json: serde_json::Value = res.json().await.unwrap();
    assert_eq!(json["level"], "desa_kelurahan");
    assert!(json["date"].is_null(), "no figures yet");
    assert_eq!(
        get("/api/v1/progress/32.73").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let res = get("/progres/32.73.02.1004").await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "a token does not open web pages"
    );
    let res = api
        .get(app.url("/api/v1/progress/32.73.02.1004"))
        .bearer_auth("psr_salah")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["error"],
        "unauthorized"
    );
}

#[tokio::test]
async fn confirming_a_reactivation_moves_confirmed_on_the_progress_page() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.progres", "32.73.02.1004").await;
    let ibu = f.members[0];
    let today = pesiar::web::today().format("%Y-%m-%d").to_string();
    app.submit_visit(
        &f.agent,
        f.household,
        &[
            ("visited_on", &today),
            ("outcome", "ditemui"),
            (&format!("m.{ibu}.status"), "nonaktif"),
            (&format!("m.{ibu}.action"), "tunggakan_lunas"),
        ],
    )
    .await;
    app.sign_in_as("spv.progres", Role::Supervisor, &["32.73"])
        .await;
    let api = |app: &TestApp| {
        let url = app.url("/api/v1/progress/32.73.02");
        let client = app.client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let before = api(&app).await;
    assert_eq!(before["reported_reactivations"], 1);
    assert_eq!(before["confirmed_reactivations"], 0);
    let (_, page) = app.get_text("/progres/32.73.02.1004").await;
    assert!(page.contains("<th scope=\"row\">Pengguna agen.progres</th><td class=\"num\">2</td><td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">0</td>"), "{page}");
    let claim: i32 = app
        .with_conn(|conn| {
            reactivations::table
                .select(reactivations::id)
                .first(conn)
                .unwrap()
        })
        .await;
    let res = app
        .submit(
            &app.client,
            "/verifikasi",
            &[("id", &claim.to_string()), ("keputusan", "konfirmasi")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let after = api(&app).await;
    assert_eq!(after["reported_reactivations"], 1);
    assert_eq!(after["confirmed_reactivations"], 1);
    let (_, page) = app.get_text("/progres/32.73.02.1004").await;
    assert!(
        page.contains(
            "<td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">0</td></tr>"
        ),
        "confirmed moved: {page}"
    );
}

#[tokio::test]
async fn the_assignments_board_and_worklist_assignment() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.satu", "32.73.02.1004").await;
    let second = app
        .create_user("agen.dua", Role::Agent, &["32.73.02.1005"])
        .await;
    let agent_two = new_client();
    app.login_with(&agent_two, "agen.dua", PASSWORD).await;

    // The camat's office reads the board of its kecamatan only, and cannot change it.
    let office = app
        .client_as("kantor.coblong", Role::Office, &["32.73.02"])
        .await;
    let board = app
        .get_with(&office, "/penugasan")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        board.matches("<tr><th scope=\"row\">").count(),
        6,
        "6 kelurahan in Coblong"
    );
    assert!(board.contains("Pengguna agen.satu"));
    assert!(!board.contains("Ubah penugasan"));
    let res = app
        .post_form_with(
            &office,
            "/penugasan",
            &[
                ("aksi", "tugaskan"),
                ("user_id", &second.to_string()),
                ("region_code", "32.73.02.1004"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The supervisor adds agen.dua to Dago, which the history records.
    app.sign_in_as("spv.tugas", Role::Supervisor, &["32.73"])
        .await;
    let res = app
        .post_form(
            "/penugasan",
            &[
                ("aksi", "tugaskan"),
                ("user_id", &second.to_string()),
                ("region_code", "32.73.02.1004"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app
        .post_form(
            "/penugasan",
            &[
                ("aksi", "tugaskan"),
                ("user_id", &second.to_string()),
                ("region_code", "33.17.01.2001"),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "outside the supervisor's area"
    );
    let board = app.get("/penugasan").await.text().await.unwrap();
    assert!(board.contains("Pengguna agen.dua · 32.73.02.1004"));

    // The Dago worklist household goes to agen.satu: agen.dua no longer sees it next to visit.
    let home = app.get_with(&agent_two, "/").await.text().await.unwrap();
    assert!(home.contains("Jl. Contoh No. 1"), "visible before: {home}");
    let res = app
        .post_form(
            "/progres/32.73.02.1004/tugaskan",
            &[
                ("household_id", &f.household.to_string()),
                (
                    "user_id",
                    &crate::helpers::user_id(&app, "agen.satu").await.to_string(),
                ),
            ],
        )
        .await;
    assert_eq!(location(&res), "/progres/32.73.02.1004#daftar-kerja");
    let home = app.get_with(&agent_two, "/").await.text().await.unwrap();
    assert!(!home.contains("Jl. Contoh No. 1"), "given to agen.satu");
    let page = app
        .get_with(&f.agent, "/progres/32.73.02.1004")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("petugas: Pengguna agen.satu"));

    // Ending the assignment removes Dago from agen.dua, once confirmed.
    let res = app
        .post_form(
            "/penugasan",
            &[
                ("aksi", "akhiri"),
                ("user_id", &second.to_string()),
                ("region_code", "32.73.02.1004"),
                ("yakin", "ya"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app
        .get_with(&agent_two, &format!("/rumah-tangga/{}", f.household))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
