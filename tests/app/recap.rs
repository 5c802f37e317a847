//! The agent's month: the recap per field worker, incentive rates, closing a month for an
//! area and a later change showing as an adjustment, the XLSX for the finance office, and who
//! may see which recap.

use std::io::Read;

use chrono::Duration;
use diesel::prelude::*;
use pesiar::db::schema::{audit_log, reactivations, recap_periods, visits};
use pesiar::recap::Month;
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::cli::pesiar;
use crate::helpers::{TestApp, database_url_string, location, spawn_app};
use crate::journeys::{Fixture, fixture, value_of};

fn last_month() -> Month {
    Month::of(pesiar::web::today()).prev()
}

/// One reactivation claim for the fixture's first member, reported (with its visits) in the
/// middle of last month; returns the claim id.
async fn claim_last_month(app: &TestApp, f: &Fixture) -> i32 {
    let ibu = f.members[0];
    let today = pesiar::web::today().format("%Y-%m-%d").to_string();
    let res = app
        .submit_visit(
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
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (household, day) = (f.household, last_month().first() + Duration::days(14));
    app.with_conn(move |conn| {
        diesel::update(visits::table.filter(visits::household_id.eq(household)))
            .set(visits::visited_on.eq(day))
            .execute(conn)
            .unwrap();
        diesel::update(reactivations::table.filter(reactivations::member_id.eq(ibu)))
            .set(reactivations::reported_on.eq(day))
            .execute(conn)
            .unwrap();
        reactivations::table
            .filter(reactivations::member_id.eq(ibu))
            .select(reactivations::id)
            .first(conn)
            .unwrap()
    })
    .await
}

async fn text(app: &TestApp, client: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let res = app.get_with(client, path).await;
    (res.status(), res.text().await.unwrap())
}

async fn confirm(app: &TestApp, spv: &reqwest::Client, claim: i32) {
    let id = claim.to_string();
    let res = app
        .submit(
            spv,
            "/verifikasi",
            &[("id", &id), ("keputusan", "konfirmasi")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

/// Posts the closing form of a recap page (twice when `double`: a double tap).
async fn close(app: &TestApp, spv: &reqwest::Client, page: &str, double: bool) -> String {
    let (_, html) = text(app, spv, page).await;
    let fields = [
        (
            "csrf_token",
            crate::helpers::csrf_from(&html).expect("csrf"),
        ),
        (
            "submission_key",
            value_of(&html, "submission_key").expect("a closing form"),
        ),
        ("wilayah", value_of(&html, "wilayah").unwrap()),
        ("bulan", value_of(&html, "bulan").unwrap()),
    ];
    for _ in 0..if double { 2 } else { 1 } {
        let res = spv
            .post(app.url("/rekap/tutup"))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), page);
    }
    text(app, spv, page).await.1
}

#[tokio::test]
async fn a_closed_month_is_frozen_and_a_later_confirmation_is_an_adjustment() {
    let app = spawn_app().await;
    let admin = app.client_as("admin.insentif", Role::Admin, &[]).await;
    // A rate with a bad amount is refused beside the field and the input kept.
    let res = app
        .submit(
            &admin,
            "/admin/insentif",
            &[
                ("wilayah", "32.73"),
                ("jenis", "reaktivasi"),
                ("mulai", "2020-01-01"),
                ("nilai", "2.500,50"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("id=\"nilai-err\">Nilai harus rupiah bulat"),
        "{html}"
    );
    assert!(html.contains("value=\"2.500,50\""));
    let res = app
        .submit(
            &admin,
            "/admin/insentif",
            &[
                ("wilayah", "32.73"),
                ("jenis", "reaktivasi"),
                ("mulai", "2020-01-01"),
                ("nilai", "2.500"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = text(&app, &admin, "/admin/insentif").await;
    assert!(html.contains("Rp 2.500"), "{html}");

    let dago = fixture(&app, "agen.rekap.dago", "32.73.02.1004").await;
    let sekeloa = fixture(&app, "agen.rekap.sekeloa", "32.73.02.1005").await;
    let early = claim_last_month(&app, &dago).await;
    let late = claim_last_month(&app, &sekeloa).await;
    let spv = app
        .client_as("spv.rekap", Role::Supervisor, &["32.73.02"])
        .await;
    confirm(&app, &spv, early).await;

    let month = last_month();
    let page = format!("/rekap?wilayah=32.73.02&bulan={}", month.param());
    let (status, html) = text(&app, &spv, &page).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("agen.rekap.dago") || html.contains("Agen"),
        "{html}"
    );
    assert!(
        html.contains("<td class=\"num\">1/1/0</td>"),
        "Dago: 1 reported, 1 confirmed: {html}"
    );
    assert!(
        html.contains("<td class=\"num\">1/0/0</td>"),
        "Sekeloa: waiting"
    );
    assert!(
        html.contains("Jumlah insentif: <strong>Rp 2.500</strong>"),
        "{html}"
    );
    assert!(html.contains("Periode terbuka"));

    // The current month cannot be closed yet: no form.
    let now_page = format!(
        "/rekap?wilayah=32.73.02&bulan={}",
        Month::of(pesiar::web::today()).param()
    );
    let (_, html) = text(&app, &spv, &now_page).await;
    assert!(!html.contains("action=\"/rekap/tutup\""));
    assert!(html.contains("setelah bulannya berakhir"), "{html}");

    // Closing, double-tapped: one period, audited once, frozen.
    let html = close(&app, &spv, &page, true).await;
    assert!(html.contains("Periode ditutup oleh"), "{html}");
    assert!(html.contains("ditutup dan disimpan"), "{html}");
    assert!(!html.contains("action=\"/rekap/tutup\""), "closed once");
    let (periods, audits) = app
        .with_conn(|conn| {
            let p: i64 = recap_periods::table.count().get_result(conn).unwrap();
            let a: i64 = audit_log::table
                .filter(audit_log::action.eq("recap.close"))
                .count()
                .get_result(conn)
                .unwrap();
            (p, a)
        })
        .await;
    assert_eq!((periods, audits), (1, 1));

    // The city's supervisor cannot close the same month for Kota Bandung as well: its
    // kecamatan's work is closed already, and would be paid twice.
    let city = app
        .client_as("spv.rekap.kota", Role::Supervisor, &["32.73"])
        .await;
    let city_page = format!("/rekap?wilayah=32.73&bulan={}", month.param());
    let html = close(&app, &city, &city_page, false).await;
    assert!(
        html.contains("sudah ditutup untuk wilayah 32.73.02, yang termasuk dalam wilayah ini"),
        "{html}"
    );
    let periods: i64 = app
        .with_conn(|conn| recap_periods::table.count().get_result(conn).unwrap())
        .await;
    assert_eq!(periods, 1, "no second closing over the same work");

    // A confirmation after closing: last month's recap stands, the difference is in this month.
    confirm(&app, &spv, late).await;
    let (_, html) = text(&app, &spv, &page).await;
    assert!(
        html.contains("Jumlah insentif: <strong>Rp 2.500</strong>"),
        "frozen: {html}"
    );
    assert!(
        html.contains("<td class=\"num\">1/0/0</td>"),
        "frozen: {html}"
    );
    let (_, html) = text(&app, &spv, &now_page).await;
    assert!(
        html.contains("Penyesuaian periode yang sudah ditutup"),
        "{html}"
    );
    assert!(
        html.contains(&format!("<td>{}</td>", month.label())),
        "{html}"
    );
    assert!(
        html.contains("Jumlah insentif: <strong>Rp 2.500</strong>"),
        "{html}"
    );

    // A correction of the closed month (a supervisor voids a visit): one visit less, as an
    // adjustment beside the confirmation's.
    let path = format!("/kunjungan/{}/koreksi", sekeloa.visit);
    let res = app
        .submit(&spv, &path, &[("aksi", "batal"), ("reason", "Salah catat")])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    let (_, html) = text(&app, &spv, &now_page).await;
    assert!(
        html.contains("<td class=\"num\">-1</td>"),
        "one visit less: {html}"
    );
    let (_, html) = text(&app, &spv, &page).await;
    assert!(
        html.contains("Jumlah insentif: <strong>Rp 2.500</strong>"),
        "still frozen"
    );

    // The agent sees their month on their phone: the closed amount, and only their own work.
    let (status, html) = text(
        &app,
        &sekeloa.agent,
        &format!("/rekap?bulan={}", month.param()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("1 dilaporkan · 1 dikonfirmasi · 0 ditolak"),
        "{html}"
    );
    assert!(
        html.contains("<strong>Insentif Rp 2.500</strong>"),
        "{html}"
    );
    assert!(
        html.contains("Bulan ini: <strong>Rp 0</strong>"),
        "stored at closing: {html}"
    );
    assert!(!html.contains("agen.rekap.dago"));

    // The finance office's XLSX: numbers as numbers.
    let res = app
        .get_with(
            &spv,
            &format!("/rekap/unduh?wilayah=32.73.02&bulan={}", month.param()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let body = res.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
    let mut sheet = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut sheet)
        .unwrap();
    assert!(
        sheet.contains("<v>2500</v>"),
        "the amount is a number: {sheet}"
    );
    assert!(!sheet.contains("t=\"str\"><v>2500"));
}

#[tokio::test]
async fn a_recap_is_seen_only_by_its_agent_and_its_areas_supervisors() {
    let app = spawn_app().await;
    let dago = fixture(&app, "agen.lingkup.dago", "32.73.02.1004").await;
    let sekeloa = fixture(&app, "agen.lingkup.sekeloa", "32.73.02.1005").await;
    let claim = claim_last_month(&app, &dago).await;
    let spv = app
        .client_as("spv.lingkup", Role::Supervisor, &["32.73.02"])
        .await;
    confirm(&app, &spv, claim).await;
    let month = last_month().param();

    // Another agent's recap is not theirs to see: the page is always one's own.
    let (_, html) = text(
        &app,
        &sekeloa.agent,
        &format!("/rekap?bulan={month}&wilayah=32.73.02"),
    )
    .await;
    assert!(html.contains("0 dilaporkan · 0 dikonfirmasi"), "{html}");
    let (_, html) = text(&app, &dago.agent, &format!("/rekap?bulan={month}")).await;
    assert!(html.contains("1 dilaporkan · 1 dikonfirmasi"), "{html}");
    let res = app
        .get_with(
            &dago.agent,
            &format!("/rekap/unduh?wilayah=32.73.02&bulan={month}"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // A supervisor of another kecamatan: refused, cannot close, sees none of it in their own.
    let other = app
        .client_as("spv.lain", Role::Supervisor, &["32.73.01"])
        .await;
    let page = format!("/rekap?wilayah=32.73.02&bulan={month}");
    let (status, _) = text(&app, &other, &page).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = text(
        &app,
        &other,
        &format!("/rekap/unduh?wilayah=32.73.02&bulan={month}"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, own) = text(&app, &other, &format!("/rekap?bulan={month}")).await;
    assert!(own.contains("Belum ada kegiatan petugas"), "{own}");
    let (_, html) = text(&app, &spv, &page).await;
    let csrf = app.csrf_with(&other).await;
    let res = other
        .post(app.url("/rekap/tutup"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            (
                "submission_key",
                &value_of(&html, "submission_key").unwrap(),
            ),
            ("wilayah", "32.73.02"),
            ("bulan", &month),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let periods: i64 = app
        .with_conn(|conn| recap_periods::table.count().get_result(conn).unwrap())
        .await;
    assert_eq!(periods, 0);
}

#[tokio::test]
async fn the_command_line_sets_and_lists_incentive_rates() {
    let app = spawn_app().await;
    let url = database_url_string(&app._database.url);
    let out = pesiar(&url)
        .args([
            "config",
            "insentif",
            "set",
            "--wilayah",
            "32.73",
            "--hasil",
            "pendaftaran",
            "5000",
            "--mulai",
            "2017-01-01",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = pesiar(&url)
        .args(["config", "insentif", "list"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("32.73\tpendaftaran\tmulai 2017-01-01\t5000"),
        "{listed}"
    );
    let out = pesiar(&url)
        .args([
            "config",
            "insentif",
            "set",
            "--wilayah",
            "99.99",
            "--hasil",
            "x",
            "1,5",
            "--mulai",
            "kemarin",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("kode kabupaten/kota") && err.contains("rupiah bulat"),
        "{err}"
    );
    let audits: i64 = app
        .with_conn(|conn| {
            audit_log::table
                .filter(audit_log::action.eq("incentive_rate.set"))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(audits, 1);
    // The contribution rules are still at `pesiar config list`.
    let out = pesiar(&url).args(["config", "list"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("iuran_kelas_1"));
}

#[tokio::test]
async fn the_forum_page_is_one_printable_page_per_kab_kota_and_kecamatan() {
    let app = spawn_app().await;
    let dago = fixture(&app, "agen.forum", "32.73.02.1004").await;
    let spv = app
        .client_as("spv.forum", Role::Supervisor, &["32.73"])
        .await;
    crate::progress::load_bandung(&app, &spv).await;
    // This month's claim, confirmed.
    let ibu = dago.members[0];
    let today = pesiar::web::today().format("%Y-%m-%d").to_string();
    let res = app
        .submit_visit(
            &dago.agent,
            dago.household,
            &[
                ("visited_on", &today),
                ("outcome", "ditemui"),
                (&format!("m.{ibu}.status"), "nonaktif"),
                (&format!("m.{ibu}.action"), "tunggakan_lunas"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let (status, html) = text(&app, &spv, "/forum/32.73").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Forum Komunikasi JKN"), "{html}");
    assert!(html.contains("Kota Bandung"));
    assert!(html.contains("79,96%"), "status against the bar: {html}");
    assert!(html.contains("1.029 peserta aktif"), "the gap in people");
    assert!(
        html.contains("desa/kelurahan per 30\u{2011}06\u{2011}2025"),
        "the as-of line: {html}"
    );
    assert!(html.contains("Desa/kelurahan paling jauh dari target"));
    assert!(
        html.contains("<td>1 / 0 / 0</td>"),
        "this month's reactivation: {html}"
    );
    assert!(html.contains("0 dari 1 (0%)"), "confirmed against reported");
    assert!(!html.contains("<script"), "no JavaScript");
    assert!(html.contains("/static/print."), "the print stylesheet");

    let (status, html) = text(&app, &spv, "/forum/32.73.02").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Kecamatan"), "{html}");
    assert!(
        html.contains("agen.forum") || html.contains("Kelurahan"),
        "{html}"
    );

    // Not for a kelurahan, nor outside one's areas.
    let (status, _) = text(&app, &spv, "/forum/32.73.02.1004").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let office = app
        .client_as("kantor.forum", Role::Office, &["32.73.02"])
        .await;
    let (status, _) = text(&app, &office, "/forum/32.73.02").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = text(&app, &office, "/forum/32.73").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = text(&app, &dago.agent, "/forum/32.73.02").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_names_the_area_of_a_recap_first() {
    let app = spawn_app().await;
    let admin = app.client_as("admin.rekap", Role::Admin, &[]).await;
    let (status, html) = text(&app, &admin, "/rekap").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("<label for=\"wilayah\">Kode wilayah"),
        "{html}"
    );

    // A code that names no region is refused beside the field and kept.
    let (status, html) = text(&app, &admin, "/rekap?wilayah=99.99").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"wilayah-err\">Kode wilayah tidak dikenal"),
        "{html}"
    );
    assert!(html.contains("value=\"99.99\""), "{html}");

    let (status, html) = text(&app, &admin, "/rekap?wilayah=32.73").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Rekap petugas"), "{html}");
    assert!(html.contains("Kota Bandung"), "{html}");
}
