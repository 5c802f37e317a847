//! What coming back costs: the panel on a mandiri member's page, the dated rules on
//! /admin/iuran and `pesiar config`.

use diesel::prelude::*;
use pesiar::db::schema::audit_log;
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::cli::pesiar;
use crate::helpers::{TestApp, database_url_string, spawn_app};
use crate::journeys::fixture;

async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let res = app.get_with(client, path).await;
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn an_agent_sees_what_paying_back_costs_a_class_three_member() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.iuran", "32.73.02.1004").await;
    let (mandiri, unregistered) = (f.members[0], f.members[1]);

    let (status, html) = page(&app, &f.agent, &format!("/anggota/{mandiri}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Biaya kembali aktif"), "{html}");
    assert!(
        !html.contains("Bayar lunas hari ini"),
        "no sums before the months are typed"
    );

    // Seven months in arrears at the member's Rp 35.000 share, plus this month.
    let (_, html) = page(&app, &f.agent, &format!("/anggota/{mandiri}?tunggakan=7")).await;
    assert!(html.contains("<strong>Rp 280.000</strong>"), "{html}");
    assert!(
        html.contains("Rp 42.000, Rp 7.000 dibayar pemerintah"),
        "{html}"
    );
    assert!(html.contains("7 kali cicilan Rp 35.000"), "{html}");
    assert!(html.contains("Care Center 165 paling lambat"));
    assert!(
        html.contains("Contoh: biaya Rp 10.000.000 → denda Rp 3.500.000"),
        "{html}"
    );
    assert!(html.contains("(Rp 245.000) dihapus"), "{html}");
    assert!(html.contains("Perpres 64/2020"), "the basis is on the page");

    // More than 24 months: only 24 count; three months: no REHAB.
    let (_, html) = page(&app, &f.agent, &format!("/anggota/{mandiri}?tunggakan=30")).await;
    assert!(html.contains("<strong>Rp 875.000</strong>"), "{html}");
    assert!(html.contains("dari 30 bulan, yang dihitung paling banyak 24"));
    assert!(html.contains("12 kali cicilan Rp 70.000"));
    let (_, html) = page(&app, &f.agent, &format!("/anggota/{mandiri}?tunggakan=3")).await;
    assert!(
        html.contains("Tidak: REHAB untuk tunggakan 4 bulan atau lebih."),
        "{html}"
    );

    // A value that is not a number of months is refused beside the field, and kept.
    let (status, html) = page(
        &app,
        &f.agent,
        &format!("/anggota/{mandiri}?tunggakan=tujuh"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Isi jumlah bulan tunggakan dengan angka 0 sampai 240."));
    assert!(html.contains("value=\"tujuh\""));

    // No panel for a member who is not mandiri.
    let (_, html) = page(&app, &f.agent, &format!("/anggota/{unregistered}")).await;
    assert!(!html.contains("Biaya kembali aktif"));
}

#[tokio::test]
async fn the_sums_go_to_the_members_whatsapp_without_the_nik() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.wa", "32.73.02.1004").await;
    let mandiri = f.members[0];
    let nik: String = app
        .with_conn(move |conn| {
            use pesiar::db::schema::members;
            members::table
                .find(mandiri)
                .select(members::nik.assume_not_null())
                .first(conn)
                .unwrap()
        })
        .await;

    let path = format!("/anggota/{mandiri}?tunggakan=7&wa=0812-3456-7890");
    let (_, html) = page(&app, &f.agent, &path).await;
    let start = html
        .find("https://wa.me/6281234567890?text=")
        .unwrap_or_else(|| panic!("no wa.me link: {html}"));
    let link = &html[start..html[start..].find('"').unwrap() + start];
    let text = percent_encoding::percent_decode_str(link.split("text=").nth(1).unwrap())
        .decode_utf8()
        .unwrap()
        .into_owned();
    assert!(text.contains("bayar lunas Rp 280.000"), "{text}");
    assert!(text.contains("REHAB: 7 kali, mulai Rp 35.000"), "{text}");
    assert!(text.contains("PANDAWA +62 811-8165-165"), "{text}");
    assert!(text.contains("Care Center 165"), "{text}");
    assert!(!text.contains(&nik), "no NIK in the message: {text}");

    // A number that is not a mobile number is refused beside its field and kept.
    let path = format!("/anggota/{mandiri}?tunggakan=7&wa=022-250");
    let (_, html) = page(&app, &f.agent, &path).await;
    assert!(html.contains("Nomor WhatsApp tidak dikenali"), "{html}");
    assert!(html.contains("value=\"022-250\""), "{html}");
    assert!(!html.contains("wa.me"), "{html}");
}

#[tokio::test]
async fn an_admin_adds_a_dated_tariff_and_the_panel_uses_it_from_that_day() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.tarif", "32.73.02.1004").await;
    let mandiri = f.members[0];
    let admin = app.client_as("admin.tarif", Role::Admin, &[]).await;

    let (status, html) = page(&app, &admin, "/admin/iuran").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Bagian peserta Kelas III per bulan (Rp)"));
    assert!(html.contains("35000"));

    // Bad input: every field's message beside it, the values kept, nothing stored.
    let res = app
        .submit(
            &admin,
            "/admin/iuran",
            &[
                ("aturan", "iuran_kelas_3_peserta"),
                ("mulai", ""),
                ("nilai", "35.000,50"),
                ("dasar", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Tanggal berlaku wajib diisi"));
    assert!(html.contains("Nilai harus bilangan bulat"));
    assert!(html.contains("Dasar hukum wajib diisi"));
    assert!(html.contains("value=\"35.000,50\""));

    let from = (pesiar::web::today() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let res = app
        .submit(
            &admin,
            "/admin/iuran",
            &[
                ("aturan", "iuran_kelas_3_peserta"),
                ("mulai", &from),
                ("nilai", "37.000"),
                ("dasar", "Perpres uji 1/2026"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&app, &f.agent, &format!("/anggota/{mandiri}?tunggakan=2")).await;
    assert!(html.contains("<strong>Rp 111.000</strong>"), "{html}");
    assert!(html.contains("Perpres uji 1/2026"));
    let audited: i64 = app
        .with_conn(|conn| {
            audit_log::table
                .filter(audit_log::action.eq("contribution_rule.set"))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(audited, 1);

    // Only an admin changes the rules.
    let supervisor = app
        .client_as("spv.tarif", Role::Supervisor, &["32.73"])
        .await;
    let (status, _) = page(&app, &supervisor, "/admin/iuran").await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );
}

#[tokio::test]
async fn the_command_line_lists_and_sets_dated_rules() {
    let app = spawn_app().await;
    let url = database_url_string(&app._database.url);
    let out = pesiar(&url)
        .args([
            "config",
            "set",
            "iuran_kelas_1",
            "160000",
            "--mulai",
            "2030-01-01",
        ])
        .args(["--dasar", "Perpres uji 2/2029"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = pesiar(&url).args(["config", "list"]).output().unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("iuran_kelas_1\t150000\tsejak 2020-07-01"),
        "{listed}"
    );
    assert!(listed.contains("iuran_kelas_1\t160000\tmulai 2030-01-01\tPerpres uji 2/2029"));

    let out = pesiar(&url)
        .args([
            "config",
            "set",
            "iuran_kelas_9",
            "1",
            "--mulai",
            "2030-01-01",
            "--dasar",
            "x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("Pilih aturan.") && said.contains("iuran_kelas_3_peserta"),
        "{said}"
    );
}
