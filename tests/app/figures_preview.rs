//! Figures uploads on the web are a preview first (issue 19): the whole file read and checked,
//! what applying it would do shown, nothing written; then one "Terapkan" applies it, once
//! under its key, for its uploader only, with scope checked again.

use diesel::prelude::*;
use pesiar::db::schema::{audit_log, figure_previews, figures, user_areas};
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, location, new_client, spawn_app};
use crate::progress::{apply, preview, upload};

const HEADER: &str = "kode_wilayah,tanggal,penduduk,peserta_terdaftar,peserta_aktif";

async fn stored(app: &TestApp) -> Vec<(String, String, i32, i32, i32)> {
    app.with_conn(|conn| {
        figures::table
            .order((figures::figure_date, figures::region_code))
            .select((
                figures::region_code,
                figures::figure_date,
                figures::population,
                figures::registered,
                figures::active,
            ))
            .load::<(String, chrono::NaiveDate, i32, i32, i32)>(conn)
            .unwrap()
            .into_iter()
            .map(|(c, d, p, r, a)| (c, d.to_string(), p, r, a))
            .collect()
    })
    .await
}

async fn imports_audited(app: &TestApp) -> i64 {
    app.with_conn(|conn| {
        audit_log::table
            .filter(audit_log::action.eq("figures.import"))
            .count()
            .get_result(conn)
            .unwrap()
    })
    .await
}

async fn previews_kept(app: &TestApp) -> i64 {
    app.with_conn(|conn| figure_previews::table.count().get_result(conn).unwrap())
        .await
}

/// June figures for Dago and Sekeloa, applied.
async fn load_june(app: &TestApp, client: &reqwest::Client) {
    let res = upload(
        app,
        client,
        "juni.csv",
        format!(
            "{HEADER}\n32.73.02.1004,2025-06-30,20000,19840,15864\n\
             32.73.02.1005,2025-06-30,1000,900,800\n"
        )
        .into_bytes(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/data/impor");
}

/// Posts a file and returns its preview's path (asserting it is one).
async fn preview_of(app: &TestApp, client: &reqwest::Client, name: &str, body: &str) -> String {
    let res = preview(app, client, name, body.as_bytes().to_vec()).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    let at = location(&res);
    assert!(at.starts_with("/data/impor/pratinjau/"), "{at}");
    at
}

async fn flash_after(app: &TestApp, client: &reqwest::Client, res: reqwest::Response) -> String {
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let at = location(&res);
    app.get_with(client, &at).await.text().await.unwrap()
}

#[tokio::test]
async fn a_preview_writes_nothing_and_says_what_applying_would_do() {
    let app = spawn_app().await;
    app.sign_in_as("spv.pratinjau", Role::Supervisor, &["32.73"])
        .await;
    load_june(&app, &app.client).await;
    let before = stored(&app).await;
    let audited = imports_audited(&app).await;
    // July for Dago (active halved) and Lebak Siliwangi (new), a corrected June for Sekeloa,
    // below a title row and above a totals row, with a column nobody reads.
    let file = "Rekap Juli;;;;;\n\
                Kode Wilayah;Tanggal;Jumlah Penduduk;Jumlah Peserta;Peserta Aktif;Keterangan\n\
                3273021004;31/07/2025;20.000;19.840;7.932;\n\
                3273021006;31/07/2025;3.000;2.900;2.500;baru\n\
                3273021005;30/06/2025;1.000;900;850;\n\
                JUMLAH;;24.000;23.640;11.282;\n";
    let at = preview_of(&app, &app.client, "juli.csv", file).await;
    assert_eq!(stored(&app).await, before, "a preview writes no figures");
    assert_eq!(imports_audited(&app).await, audited);

    let (status, html) = app.get_text(&at).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.len() < 14 * 1024, "{} bytes", html.len());
    assert!(
        html.contains("<strong>3</strong> baris data dibaca"),
        "{html}"
    );
    assert!(html.contains("31-07-2025") && html.contains("30-06-2025"));
    assert!(
        html.contains(
            "<strong>2</strong> desa/kelurahan-tanggal baru, <strong>1</strong> menggantikan"
        ),
        "{html}"
    );
    assert!(html.contains("Baris judul ditemukan di baris 2; 2 baris dilewati"));
    assert!(html.contains("Baris 6: baris jumlah"));
    assert!(html.contains("Keterangan"), "ignored column listed");
    // The largest changes against each unit's previous date: Dago −50%.
    assert!(html.contains("Dago"), "{html}");
    assert!(html.contains("15864") && html.contains("7932"));
    assert!(html.contains("-50,0%"), "{html}");
    assert!(
        html.contains("Peserta aktif berubah -50%"),
        "warning listed"
    );
    assert!(html.contains(">Terapkan</button>"));
    assert!(html.contains(&format!("action=\"{at}/terapkan\"")));
}

#[tokio::test]
async fn applying_writes_exactly_the_files_units_once_under_its_key() {
    let app = spawn_app().await;
    app.sign_in_as("spv.terapkan", Role::Supervisor, &["32.73"])
        .await;
    load_june(&app, &app.client).await;
    let audited = imports_audited(&app).await;
    let at = preview_of(
        &app,
        &app.client,
        "juli.csv",
        &format!(
            "{HEADER}\n32.73.02.1004,2025-07-31,20000,19840,15000\n\
             32.73.02.1005,2025-06-30,1000,900,850\n"
        ),
    )
    .await;
    // A double tap: two presses at once apply the file once.
    let (first, second) =
        tokio::join!(apply(&app, &app.client, &at), apply(&app, &app.client, &at));
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_eq!(imports_audited(&app).await, audited + 1, "applied once");
    assert_eq!(
        stored(&app).await,
        [
            (
                "32.73.02.1004".into(),
                "2025-06-30".into(),
                20000,
                19840,
                15864
            ),
            ("32.73.02.1005".into(), "2025-06-30".into(), 1000, 900, 850),
            (
                "32.73.02.1004".into(),
                "2025-07-31".into(),
                20000,
                19840,
                15000
            ),
        ],
        "exactly the file's units, Dago's June kept"
    );
    let answer = "2 baris dari juli.csv diimpor untuk tanggal 30-06-2025, 31-07-2025 \
                  (menggantikan 1 baris lama).";
    let page = flash_after(&app, &app.client, second).await;
    assert!(page.contains(answer), "{page}");
    // Pressing again later (a back button, a retry) answers the same and writes nothing.
    let again = apply(&app, &app.client, &at).await;
    let page = flash_after(&app, &app.client, again).await;
    assert!(page.contains(answer), "{page}");
    assert_eq!(imports_audited(&app).await, audited + 1);
    assert_eq!(stored(&app).await.len(), 3);
    // The preview now says it was applied, with no button.
    let (status, html) = app.get_text(&at).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Sudah diterapkan"), "{html}");
    assert!(html.contains(answer));
    assert!(!html.contains(">Terapkan</button>"));
}

#[tokio::test]
async fn only_the_uploader_sees_or_applies_a_preview() {
    let app = spawn_app().await;
    app.sign_in_as("spv.pengunggah", Role::Supervisor, &["32.73"])
        .await;
    let at = preview_of(
        &app,
        &app.client,
        "dago.csv",
        &format!("{HEADER}\n32.73.02.1004,2025-06-30,100,90,80\n"),
    )
    .await;
    for (username, role) in [
        ("spv.tetangga", Role::Supervisor),
        ("admin.lain", Role::Admin),
    ] {
        app.create_user(username, role, &["32.73"]).await;
        let other = new_client();
        app.login_with(&other, username, PASSWORD).await;
        let res = app.get_with(&other, &at).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{username} views");
        assert!(!res.text().await.unwrap().contains("dago.csv"));
        let res = apply(&app, &other, &at).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{username} applies");
    }
    assert!(stored(&app).await.is_empty());
    // The uploader still can.
    let res = apply(&app, &app.client, &at).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored(&app).await.len(), 1);
}

#[tokio::test]
async fn an_invalid_file_lists_every_error_at_once_offers_no_button_and_writes_nothing() {
    let app = spawn_app().await;
    app.sign_in_as("spv.salah", Role::Supervisor, &["32.73"])
        .await;
    // A format error, a date error, an unknown code and a unit of another area, all at once.
    let file = format!(
        "{HEADER}\n32.73.02.1004,2025-06-30,100,90.5,80\n\
         32.73.02.1005,2027-01-01,100,90,80\n\
         32.73.02.9999,2025-06-30,100,90,80\n\
         35.22.01.2001,2025-06-30,100,90,80\n\
         32.73.02.1006,2025-06-30,100,90,80\n"
    );
    let res = preview(&app, &app.client, "salah.csv", file.into_bytes()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("salah.csv tidak diimpor: 4 kesalahan"),
        "{html}"
    );
    assert!(
        html.contains("5 baris data dibaca, 1 tanpa kesalahan"),
        "{html}"
    );
    for (line, column, value) in [
        (2, "peserta_terdaftar", "90.5"),
        (3, "tanggal", "2027-01-01"),
        (4, "kode_wilayah", "32.73.02.9999"),
        (5, "kode_wilayah", "35.22.01.2001"),
    ] {
        assert!(
            html.contains(&format!(
                "<td class=\"num\">{line}</td><td>{column}</td><td>{value}</td>"
            )),
            "line {line}: {html}"
        );
    }
    assert!(html.contains("tidak dikenal"));
    assert!(html.contains("Di luar wilayah Anda"));
    assert!(!html.contains("Terapkan</button>"));
    assert!(stored(&app).await.is_empty());
    assert_eq!(previews_kept(&app).await, 0, "nothing kept to apply");
}

#[tokio::test]
async fn a_unit_outside_the_uploaders_area_is_a_scope_error_in_the_preview() {
    let app = spawn_app().await;
    app.sign_in_as("spv.coblong.p", Role::Supervisor, &["32.73.02"])
        .await;
    // Sukajadi (32.73.01) is Bandung, but not this supervisor's kecamatan.
    let res = preview(
        &app,
        &app.client,
        "kota.csv",
        format!(
            "{HEADER}\n32.73.02.1004,2025-06-30,100,90,80\n32.73.01.1001,2025-06-30,100,90,80\n"
        )
        .into_bytes(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(
            "<td class=\"num\">3</td><td>kode_wilayah</td><td>32.73.01.1001</td><td>Di luar wilayah Anda.</td>"
        ),
        "{html}"
    );
    assert!(stored(&app).await.is_empty());
}

#[tokio::test]
async fn scope_is_checked_again_when_applying() {
    let app = spawn_app().await;
    let id = app
        .sign_in_as("spv.pindah", Role::Supervisor, &["32.73"])
        .await;
    let at = preview_of(
        &app,
        &app.client,
        "dago.csv",
        &format!("{HEADER}\n32.73.02.1004,2025-06-30,100,90,80\n"),
    )
    .await;
    // Between the preview and the button, the supervisor is moved to another city.
    app.with_conn(move |conn| {
        diesel::update(user_areas::table.filter(user_areas::user_id.eq(id)))
            .set(user_areas::region_code.eq("33.17"))
            .execute(conn)
            .unwrap();
    })
    .await;
    let res = apply(&app, &app.client, &at).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Di luar wilayah Anda"), "{html}");
    assert!(!html.contains(">Terapkan</button>"));
    assert!(stored(&app).await.is_empty());
}

#[tokio::test]
async fn applying_needs_the_csrf_token() {
    let app = spawn_app().await;
    app.sign_in_as("spv.csrf", Role::Supervisor, &["32.73"])
        .await;
    let at = preview_of(
        &app,
        &app.client,
        "dago.csv",
        &format!("{HEADER}\n32.73.02.1004,2025-06-30,100,90,80\n"),
    )
    .await;
    let url = app.url(&format!("{at}/terapkan"));
    for form in [vec![], vec![("csrf_token", "salah")]] {
        let res = app.client.post(&url).form(&form).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    assert!(stored(&app).await.is_empty());
    let res = apply(&app, &app.client, &at).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored(&app).await.len(), 1);
}

#[tokio::test]
async fn fifty_thousand_errors_are_counted_and_the_page_stays_small() {
    let app = spawn_app().await;
    app.sign_in_as("spv.banyak", Role::Supervisor, &["32.73"])
        .await;
    let mut file = format!("{HEADER}\n");
    for i in 0..50_000 {
        file.push_str(&format!(
            "32.73.99.{:04},2025-06-{:02},100,90,80\n",
            i % 10_000,
            26 + i / 10_000
        ));
    }
    let res = preview(&app, &app.client, "banyak.csv", file.into_bytes()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("50000 kesalahan"),
        "{}",
        &html[..2000.min(html.len())]
    );
    assert!(html.contains("kesalahan pertama"));
    assert!(html.len() < 14 * 1024, "{} bytes", html.len());
}

/// A new upload replaces the user's waiting preview; the replaced one is gone.
#[tokio::test]
async fn a_new_upload_replaces_the_waiting_preview() {
    let app = spawn_app().await;
    app.sign_in_as("spv.ganti", Role::Supervisor, &["32.73"])
        .await;
    let body = format!("{HEADER}\n32.73.02.1004,2025-06-30,100,90,80\n");
    let first = preview_of(&app, &app.client, "a.csv", &body).await;
    let second = preview_of(&app, &app.client, "b.csv", &body).await;
    assert_eq!(previews_kept(&app).await, 1);
    assert_eq!(app.get_text(&first).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        apply(&app, &app.client, &first).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get_text(&second).await.0, StatusCode::OK);
}

/// The preview lives in the database: a second server on it shows and applies it (several
/// processes may share one database behind a balancer).
#[tokio::test]
async fn another_server_on_the_same_database_applies_the_preview() {
    let app = spawn_app().await;
    app.sign_in_as("spv.dua", Role::Supervisor, &["32.73"])
        .await;
    let at = preview_of(
        &app,
        &app.client,
        "dago.csv",
        &format!("{HEADER}\n32.73.02.1004,2025-06-30,100,90,80\n"),
    )
    .await;
    let db = pesiar::db::Db::connect(&app._database.url).unwrap();
    // The database stays owned by the first server's `TestDatabase`; this one owns nothing.
    let unowned =
        crate::helpers::existing_sqlite_database(std::path::PathBuf::from("/nonexistent"));
    let other = TestApp::new()
        .on(unowned)
        .sharing(db)
        .with_key(app.key.clone())
        .spawn()
        .await;
    let (status, html) = {
        let res = other.get_with(&app.client, &at).await;
        (res.status(), res.text().await.unwrap())
    };
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains(">Terapkan</button>"));
    let res = apply(&other, &app.client, &at).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored(&app).await.len(), 1);
}
