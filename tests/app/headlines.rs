//! Headlines that never come from partial, stale or future data (issue 21): as-of roll-ups with
//! their completeness, the default date, future dates refused, stale figures marked, and one
//! meaning of "tercapai" on the page and in the API.

use diesel::prelude::*;
use pesiar::db::schema::figures;
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app};
use crate::journeys::nik;
use crate::progress::{HEADER, kelurahan_of, load_bandung, spread, upload};
use crate::roster::day;

async fn json(app: &TestApp, client: &reqwest::Client, path: &str) -> serde_json::Value {
    let res = app.get_with(client, path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

async fn text(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let res = app.get_with(client, path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

/// The WhatsApp text of a page, decoded from its wa.me link.
fn share_text(html: &str) -> String {
    let start = html.find("https://wa.me/?text=").unwrap() + "https://wa.me/?text=".len();
    let end = html[start..].find('"').unwrap() + start;
    percent_encoding::percent_decode_str(&html[start..end])
        .decode_utf8()
        .unwrap()
        .into_owned()
}

#[tokio::test]
async fn a_partial_upload_on_a_new_date_is_carried_not_a_new_headline() {
    let app = spawn_app().await;
    let spv = app
        .client_as("spv.bandung", Role::Supervisor, &["32.73"])
        .await;
    load_bandung(&app, &spv).await;
    // Three Coblong kelurahan a month later, well above 80% (37.100 ÷ 45.450 = 81,63%).
    let csv = format!(
        "{HEADER}\n32.73.02.1001,2025-07-31,16000,15150,12400\n\
         32.73.02.1002,2025-07-31,16000,15150,12350\n32.73.02.1003,2025-07-31,16000,15150,12350\n"
    );
    let res = upload(&app, &spv, "tiga.csv", csv.into_bytes()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let city = json(&app, &spv, "/api/v1/progress/32.73").await;
    assert_eq!(city["date"], "2025-07-31", "the newest date, as of it");
    assert_eq!(city["units_total"], 151);
    assert_eq!(city["units_reporting"], 151, "148 carried forward");
    assert_eq!(city["units_on_date"], 3);
    assert_eq!(city["units_carried"], 148);
    assert_eq!(city["units_missing"], 0);
    assert_eq!(city["oldest_date"], "2025-06-30");
    assert_eq!(city["complete"], true);
    let rate = city["activity_rate"].as_f64().unwrap();
    assert!(
        rate < 0.8 && rate > 0.799,
        "not the three kelurahan's 81,63%: {rate}"
    );
    assert_eq!(city["meets_uhc_prioritas"], false);
    assert_ne!(city["status"], "met");
    // The default is today's as-of view: every kelurahan's latest figures.
    let today = pesiar::web::today();
    let as_of_today = json(
        &app,
        &spv,
        &format!("/api/v1/progress/32.73?tanggal={today}"),
    )
    .await;
    for field in ["active", "registered", "population", "units_reporting"] {
        assert_eq!(as_of_today[field], city[field], "{field}");
    }
    // Every kecamatan keeps its figures: none shows "–" or "kurang 0".
    let children = city["children"].as_array().unwrap();
    assert_eq!(children.len(), 30);
    assert!(
        children
            .iter()
            .all(|c| c["registered"].as_i64().unwrap() > 0)
    );
    assert!(
        children
            .iter()
            .filter(|c| c["code"] != "32.73.02")
            .all(|c| c["figures_date"] == "2025-06-30")
    );

    let page = text(&app, &spv, "/progres/32.73").await;
    assert!(!page.contains("81,63%"), "{page}");
    assert!(page.contains("79,9"), "the city's as-of keaktifan");
    assert!(
        page.contains(
            "3 dari 151 desa/kelurahan per 31\u{2011}07\u{2011}2025; 148 memakai data sebelumnya \
             (paling lama 30\u{2011}06\u{2011}2025); 0 tanpa data"
        ),
        "{page}"
    );
    assert!(!page.contains("UHC Prioritas tercapai"));
    // The date picker says how many reported on each date.
    assert!(
        page.contains("31\u{2011}07\u{2011}2025 (terbaru) · 3 melapor"),
        "{page}"
    );
    assert!(page.contains("30\u{2011}06\u{2011}2025 · 151 melapor"));
    let whatsapp = share_text(&page);
    assert!(
        whatsapp.starts_with("Progres JKN Kota Bandung per 31-07-2025: keaktifan 79,9"),
        "{whatsapp}"
    );
    assert!(!whatsapp.contains("tercapai."), "{whatsapp}");
    assert!(
        whatsapp.contains("148 memakai data sebelumnya"),
        "{whatsapp}"
    );

    // The nation: one city's figures are no verdict on Indonesia.
    let admin = app.client_as("admin.pusat", Role::Admin, &[]).await;
    let nation = json(&app, &admin, "/api/v1/progress/ID").await;
    assert_eq!(nation["status"], "incomplete");
    assert!(nation["meets_uhc_prioritas"].is_null());
    assert_eq!(nation["units_reporting"], 151);
    assert_eq!(nation["units_total"], 83_762);
    let page = text(&app, &admin, "/progres/ID").await;
    assert!(page.contains("Data belum lengkap (151 dari 83.762 desa/kelurahan)"));
    assert!(!page.contains("Tercapai"));
    // Its download ends with the nation's own row: no verdict, and how complete it is.
    let csv = text(&app, &admin, "/progres/ID/unduh?format=csv").await;
    let own = csv.lines().last().unwrap();
    assert!(own.starts_with("ID,"), "{own}");
    assert!(
        own.contains(",Data belum lengkap,3,148,83611,83762,2025-07-31,2025-06-30,"),
        "{own}"
    );

    // The download carries the completeness too.
    let csv = text(&app, &spv, "/progres/32.73/unduh?format=csv").await;
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(
        "desa_per_tanggal,desa_data_sebelumnya,desa_tanpa_data,desa_total,tanggal_data,data_tertua,data_lama"
    ));
    let coblong = csv.lines().find(|l| l.starts_with("32.73.02,")).unwrap();
    assert!(
        coblong.contains(",3,3,0,6,2025-07-31,2025-06-30,"),
        "{coblong}"
    );
}

#[tokio::test]
async fn a_one_kelurahan_roster_on_a_new_date_keeps_the_city_whole() {
    let app = spawn_app().await;
    let spv = app
        .client_as("spv.roster", Role::Supervisor, &["32.73"])
        .await;
    load_bandung(&app, &spv).await;
    let dago = "32.73.02.1004";
    let people: String = (1..=4)
        .map(|i| {
            let status = if i == 1 { "NON AKTIF" } else { "AKTIF" };
            format!(
                "{};;Warga {};L;01-01-1980;{dago};1;1;Jl. Roster;;PBPU;3;{status};\n",
                nik("327302", 1, 1, 80, false, 40 + i),
                ["", "Ani", "Budi", "Cici", "Dodi"][i as usize]
            )
        })
        .collect();
    let body = format!("{}\n{people}", crate::roster::HEADER);
    crate::roster::import(&app, &spv, "dago.csv", day(3), body.into_bytes()).await;
    let city = json(&app, &spv, "/api/v1/progress/32.73").await;
    assert_eq!(
        city["date"],
        day(3).to_string(),
        "the newest date, as of it"
    );
    assert_eq!(city["units_on_date"], 1);
    assert_eq!(city["units_reporting"], 151);
    let coverage = city["coverage"].as_f64().unwrap();
    assert!(coverage > 0.98, "not one kelurahan's sums: {coverage}");
    let rate = city["activity_rate"].as_f64().unwrap();
    assert!((rate - 0.7996).abs() < 0.001, "{rate}");
    let page = text(&app, &spv, "/progres/32.73").await;
    assert!(!page.contains("28,86%") && !page.contains("cakupan 0,"));
    assert!(page.contains("1 dari 151 desa/kelurahan per"), "{page}");
}

#[tokio::test]
async fn future_figures_are_refused_and_never_the_default_date() {
    let app = spawn_app().await;
    let spv = app
        .client_as("spv.masa", Role::Supervisor, &["32.73.02"])
        .await;
    let tomorrow = pesiar::web::today() + chrono::Duration::days(1);
    let csv = format!("{HEADER}\n32.73.02.1004,{tomorrow},100,90,80\n");
    let res = upload(&app, &spv, "besok.csv", csv.into_bytes()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("masa depan"));

    // A row from before the check (written directly) is not shown as today's view.
    let past = day(10);
    let csv = format!("{HEADER}\n32.73.02.1004,{past},100,90,80\n");
    assert_eq!(
        upload(&app, &spv, "lalu.csv", csv.into_bytes())
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let future = pesiar::web::today() + chrono::Duration::days(30);
    app.with_conn(move |conn| {
        diesel::insert_into(figures::table)
            .values((
                figures::region_code.eq("32.73.02.1004"),
                figures::figure_date.eq(future),
                figures::population.eq(100),
                figures::registered.eq(90),
                figures::active.eq(10),
                figures::imported_at.eq(pesiar::db::now()),
            ))
            .execute(conn)
            .unwrap();
        pesiar::figures::store::rebuild_rollups(conn, future).unwrap();
    })
    .await;
    for code in ["32.73.02", "32.73.02.1004"] {
        let unit = json(&app, &spv, &format!("/api/v1/progress/{code}")).await;
        assert_eq!(unit["date"], past.to_string(), "{code}");
        assert_eq!(unit["active"], 80, "{code}");
    }

    // The command line refuses a roster extract dated in the future.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ekstrak.csv");
    std::fs::write(&file, format!("{}\n", crate::roster::HEADER)).unwrap();
    let out = crate::cli::pesiar(&crate::helpers::database_url_string(&app._database.url))
        .env("PESIAR_SECRET_KEY", "cli-test-secret-key-0123456789abcdef")
        .args(["import", "roster"])
        .arg(&file)
        .args(["--tanggal", &tomorrow.to_string()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("masa depan"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn stale_figures_carry_a_warning_with_their_date() {
    let app = spawn_app().await;
    let spv = app
        .client_as("spv.lama", Role::Supervisor, &["32.73.02"])
        .await;
    let codes = kelurahan_of(&app, "32.73.02").await;
    let old = day(60);
    let csv = spread(&codes, &old.to_string(), 60_000, 59_000, 48_000);
    assert_eq!(
        upload(&app, &spv, "lama.csv", csv.into_bytes())
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let shown = old.format("%d-%m-%Y").to_string();
    // Pages write dates with non-breaking hyphens; the WhatsApp text with plain ones.
    let on_page = old.format(pesiar::web::DAY).to_string();
    let warning = format!("Perhatian: data paling lama per {on_page}, lebih dari 45 hari lalu.");
    for code in ["32.73.02", "32.73.02.1004"] {
        let page = text(&app, &spv, &format!("/progres/{code}")).await;
        assert!(page.contains(&warning), "{code}: {page}");
        assert!(
            share_text(&page)
                .contains(&format!("Perhatian: sebagian data sudah lama (per {shown}"))
        );
        let unit = json(&app, &spv, &format!("/api/v1/progress/{code}")).await;
        assert_eq!(unit["stale"], true);
        assert_eq!(unit["oldest_date"], old.to_string());
        assert_eq!(unit["stale_after_days"], 45);
    }
    let board = text(&app, &spv, "/penugasan").await;
    assert!(
        board.contains(&format!(
            "Perhatian: 6 desa/kelurahan memakai data lama (lebih dari 45 hari lalu, paling lama \
             per {shown})"
        )),
        "{board}"
    );
    assert_eq!(board.matches("<tr class=\"stale\">").count(), 6, "{board}");

    // Fresh figures for one kelurahan: it is no longer stale, the kecamatan still is.
    let recent = day(10);
    let csv = format!("{HEADER}\n32.73.02.1004,{recent},10000,9900,8000\n");
    upload(&app, &spv, "baru.csv", csv.into_bytes()).await;
    let dago = json(&app, &spv, "/api/v1/progress/32.73.02.1004").await;
    assert_eq!(dago["stale"], false);
    let page = text(&app, &spv, "/progres/32.73.02.1004").await;
    assert!(!page.contains("Perhatian: data"));
    let kecamatan = json(&app, &spv, "/api/v1/progress/32.73.02").await;
    assert_eq!(kecamatan["stale"], true);
    let board = text(&app, &spv, "/penugasan").await;
    assert_eq!(board.matches("<tr class=\"stale\">").count(), 5);
    assert!(board.contains("Perhatian: 5 desa/kelurahan memakai data lama"));
}

#[tokio::test]
async fn the_staleness_limit_is_a_setting() {
    let app = TestApp::new()
        .with_settings(|s| s.stale_after_days = 5)
        .spawn()
        .await;
    let spv = app
        .client_as("spv.batas", Role::Supervisor, &["32.73.02"])
        .await;
    let csv = format!("{HEADER}\n32.73.02.1004,{},100,99,90\n", day(10));
    upload(&app, &spv, "a.csv", csv.into_bytes()).await;
    let dago = json(&app, &spv, "/api/v1/progress/32.73.02.1004").await;
    assert_eq!(dago["stale"], true);
    assert_eq!(dago["stale_after_days"], 5);
    let page = text(&app, &spv, "/progres/32.73.02.1004").await;
    assert!(page.contains("lebih dari 5 hari lalu"));
}

#[tokio::test]
async fn a_coverage_only_miss_is_not_tercapai_on_the_page_or_in_the_api() {
    let app = spawn_app().await;
    let spv = app
        .client_as("spv.cakupan", Role::Supervisor, &["32.73.02"])
        .await;
    // 97,44% coverage, 87,23% keaktifan: the activity bar is met, the coverage bar is not.
    let csv = format!("{HEADER}\n32.73.02.1004,{},10000,9744,8500\n", day(5));
    upload(&app, &spv, "dago.csv", csv.into_bytes()).await;
    let page = text(&app, &spv, "/progres/32.73.02.1004").await;
    assert!(
        page.contains(
            "Belum UHC Prioritas: keaktifan tercapai (87,23% dari target 80,00%), cakupan belum \
             (97,44% dari target 98,00%)"
        ),
        "{page}"
    );
    assert!(page.contains("class=\"standing below\""));
    assert!(page.contains("tercapai, lebih <strong>704</strong> peserta aktif"));
    assert!(page.contains("cakupan kurang 56 terdaftar untuk 98,00%"));
    let dago = json(&app, &spv, "/api/v1/progress/32.73.02.1004").await;
    assert_eq!(dago["meets_uhc_prioritas"], false);
    assert_eq!(dago["meets_activity"], true);
    assert_eq!(dago["meets_coverage"], false);
    assert_eq!(dago["status"], "below");
    assert!(
        share_text(&page)
            .contains("Belum UHC Prioritas: keaktifan sudah mencapai target, cakupan belum."),
        "{}",
        share_text(&page)
    );

    // Both bars met: the same word everywhere.
    let csv = format!("{HEADER}\n32.73.02.1004,{},10000,9900,8500\n", day(4));
    upload(&app, &spv, "dago2.csv", csv.into_bytes()).await;
    let page = text(&app, &spv, "/progres/32.73.02.1004").await;
    assert!(page.contains("UHC Prioritas tercapai"));
    assert!(page.contains("class=\"standing met\""));
    assert!(page.contains("tren keaktifan turun"), "{page}");
    let dago = json(&app, &spv, "/api/v1/progress/32.73.02.1004").await;
    assert_eq!(dago["meets_uhc_prioritas"], true);
    assert_eq!(dago["status"], "met");
}

#[tokio::test]
async fn a_date_filled_in_later_is_carried_into_every_later_view() {
    let app = spawn_app().await;
    let spv = app
        .client_as("spv.susul", Role::Supervisor, &["32.73.02"])
        .await;
    let file = |rows: &str| format!("{HEADER}\n{rows}").into_bytes();
    let ok = StatusCode::SEE_OTHER;
    let a = "32.73.02.1004,2025-01-31,1000,900,700\n32.73.02.1005,2025-01-31,1000,900,600\n";
    assert_eq!(upload(&app, &spv, "a.csv", file(a)).await.status(), ok);
    let c = "32.73.02.1004,2025-03-31,1000,900,800\n";
    assert_eq!(upload(&app, &spv, "c.csv", file(c)).await.status(), ok);
    let before = json(&app, &spv, "/api/v1/progress/32.73.02").await;
    assert_eq!(before["active"], 800 + 600);
    // Sekeloa's February figures arrive after March's: March's view carries them.
    let b = "32.73.02.1005,2025-02-28,1000,900,650\n";
    assert_eq!(upload(&app, &spv, "b.csv", file(b)).await.status(), ok);
    let march = json(&app, &spv, "/api/v1/progress/32.73.02").await;
    assert_eq!(march["date"], "2025-03-31");
    assert_eq!(march["active"], 800 + 650);
    assert_eq!(march["units_on_date"], 1);
    assert_eq!(march["units_carried"], 1);
    assert_eq!(march["oldest_date"], "2025-02-28");
    let february = json(&app, &spv, "/api/v1/progress/32.73.02?tanggal=2025-02-28").await;
    assert_eq!(february["active"], 700 + 650);
    // A date between two reports is as of the earlier one, for the unit and its children.
    let mid = json(&app, &spv, "/api/v1/progress/32.73.02?tanggal=2025-03-15").await;
    assert_eq!(mid["active"], 700 + 650);
    let dago = mid["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "32.73.02.1004")
        .unwrap()
        .clone();
    assert_eq!(dago["active"], 700);
    assert_eq!(dago["figures_date"], "2025-01-31");
    let city = json(&app, &spv, "/api/v1/progress/32.73.02?tanggal=2025-01-31").await;
    assert_eq!(city["active"], 700 + 600);
}

#[tokio::test]
async fn the_whatsapp_text_reads_as_people_write_it() {
    let app = spawn_app().await;
    let spv = app.client_as("spv.wa", Role::Supervisor, &["32.73"]).await;
    load_bandung(&app, &spv).await;
    let city = share_text(&text(&app, &spv, "/progres/32.73").await);
    assert_eq!(
        city,
        "Progres JKN Kota Bandung per 30-06-2025: keaktifan 79,96%, kurang 1.029 peserta aktif \
         untuk target 80,00%; cakupan 99,20% (target 98,00%). Belum UHC Prioritas: keaktifan \
         belum mencapai target, cakupan sudah. Data: 151 dari 151 desa/kelurahan per 30-06-2025; \
         0 tanpa data. Perhatian: sebagian data sudah lama (per 30-06-2025, lebih dari 45 hari)."
    );
    assert!(!city.contains("Kabupaten/Kota"));
    let kecamatan = share_text(&text(&app, &spv, "/progres/32.73.02").await);
    assert!(
        kecamatan.starts_with("Progres JKN Kecamatan Coblong per 30-06-2025: keaktifan "),
        "{kecamatan}"
    );
    let dago = share_text(&text(&app, &spv, "/progres/32.73.02.1004").await);
    assert!(
        dago.starts_with("Progres JKN Kelurahan Dago per 30-06-2025: keaktifan 79,96%, kurang "),
        "{dago}"
    );
    assert!(!dago.contains("Data:"), "a kelurahan is no roll-up: {dago}");

    // A unit above the bar says how many it has to spare, with the separator.
    let codes = kelurahan_of(&app, "32.73.02").await;
    let csv = spread(&codes, "2025-07-31", 120_000, 119_000, 100_000);
    upload(&app, &spv, "naik.csv", csv.into_bytes()).await;
    let kecamatan = share_text(&text(&app, &spv, "/progres/32.73.02").await);
    assert!(
        kecamatan.contains(
            "keaktifan 84,03%, lebih 4.800 peserta aktif dari target 80,00%; cakupan 99,17% \
             (target 98,00%). UHC Prioritas tercapai"
        ),
        "{kecamatan}"
    );
}

#[tokio::test]
async fn dates_before_todays_thresholds_are_taken_and_judged_by_their_own() {
    let app = spawn_app().await;
    let spv = app
        .client_as("spv.lampau", Role::Supervisor, &["32.73.02"])
        .await;
    // 2015: the bars were 95% and 75% then; 96% coverage and 78% keaktifan met them.
    let csv = format!("{HEADER}\n32.73.02.1004,2015-06-30,10000,9600,7488\n");
    let res = upload(&app, &spv, "2015.csv", csv.into_bytes()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let dago = json(&app, &spv, "/api/v1/progress/32.73.02.1004").await;
    assert_eq!(dago["date"], "2015-06-30");
    assert_eq!(dago["meets_uhc_prioritas"], true);
    let page = text(&app, &spv, "/progres/32.73.02.1004").await;
    assert!(page.contains("UHC Prioritas tercapai"), "{page}");

    // The command line refuses a future figures row too, and imports nothing.
    let tomorrow = pesiar::web::today() + chrono::Duration::days(1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("angka.csv");
    std::fs::write(
        &file,
        format!(
            "{HEADER}\n32.73.02.1005,2025-06-30,100,90,80\n32.73.02.1004,{tomorrow},100,90,80\n"
        ),
    )
    .unwrap();
    let out = crate::cli::pesiar(&crate::helpers::database_url_string(&app._database.url))
        .env("PESIAR_SECRET_KEY", "cli-test-secret-key-0123456789abcdef")
        .args(["import", "figures"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("masa depan"), "{said}");
    let sekeloa = json(&app, &spv, "/api/v1/progress/32.73.02.1005").await;
    assert!(sekeloa["date"].is_null(), "{sekeloa}");
}
