//! Browser journeys of pages added beside the first ones: the agent's month and the forum's A4
//! page, the short visit form, the outbox. Driven through `browser::Browser` (Chromium at
//! 360×740 unless said otherwise).

use pesiar::users::Role;
use serde_json::json;

use crate::browser::{Browser, OFFLINE};
use crate::helpers::spawn_app;
use crate::journeys::fixture;

/// The agent's month on a phone, and the forum's page at A4: its screenshot at A4's width and
/// Chromium's print to PDF, which must be one page.
#[tokio::test]
async fn the_agents_month_on_a_phone_and_the_forum_page_on_a4() {
    let Some(mut b) = Browser::start("rekap").await else {
        return;
    };
    let app = spawn_app().await;
    let f = fixture(&app, "agen.rekap.hp", "32.73.02.1004").await;
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
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    b.log_in(&app, "agen.rekap.hp").await;
    b.goto(&app, "/rekap", "rekap-agen").await;
    assert!(b.text().await.contains("1 dilaporkan"));
    drop(b);

    let Some(mut a4) = Browser::start_with("forum", false).await else {
        return;
    };
    let spv = app
        .client_as("spv.forum.a4", Role::Supervisor, &["32.73"])
        .await;
    crate::progress::load_bandung(&app, &spv).await;
    a4.log_in(&app, "spv.forum.a4").await;
    a4.goto(&app, "/forum/32.73", "forum-a4").await;
    assert!(
        a4.text()
            .await
            .contains("Desa/kelurahan paling jauh dari target")
    );
    let config = fantoccini::wd::PrintConfiguration::builder()
        .size(fantoccini::wd::PrintSize::A4)
        .build()
        .unwrap();
    let pdf = a4.client.print(config).await.unwrap();
    std::fs::write(a4.shots.join("forum-a4.pdf"), &pdf).unwrap();
    let text = String::from_utf8_lossy(&pdf);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert_eq!(pages, 1, "the forum page prints on one A4 sheet");
}

/// The short visit form: per member only the fields the chosen action needs show (target
/// segment, class for PBPU/BP, REHAB number, revisit date); what was chosen is what is saved.
#[tokio::test]
async fn the_visit_form_shows_only_what_the_action_needs() {
    let Some(mut b) = Browser::start("formulir-pendek").await else {
        return;
    };
    let app = spawn_app().await;
    let f = fixture(&app, "agen.pendek", "32.73.02.1004").await;
    let (ibu, anak) = (f.members[0], f.members[1]);
    b.log_in(&app, "agen.pendek").await;
    b.goto(
        &app,
        &crate::journeys::visit_form_path(f.household),
        "pendek",
    )
    .await;
    let shown = |member: i32, part: &str| {
        format!(
            "return !document.querySelector('[name=\"m.{member}.{part}\"]').closest('[data-show]').hidden"
        )
    };
    for part in ["segment", "class", "rehab", "revisit"] {
        assert_eq!(
            b.eval(&shown(ibu, part)).await,
            json!(false),
            "{part} hidden"
        );
    }
    b.select(&format!("[name=\"m.{ibu}.status\"]"), "nonaktif")
        .await;
    b.select(&format!("[name=\"m.{ibu}.action\"]"), "ikut_rehab")
        .await;
    assert_eq!(b.eval(&shown(ibu, "rehab")).await, json!(true));
    assert_eq!(b.eval(&shown(ibu, "segment")).await, json!(false));
    b.fill(&format!("[name=\"m.{ibu}.rehab\"]"), "RH-778").await;
    b.select(&format!("[name=\"m.{anak}.status\"]"), "belum_terdaftar")
        .await;
    b.select(&format!("[name=\"m.{anak}.action\"]"), "pendaftaran_baru")
        .await;
    assert_eq!(b.eval(&shown(anak, "segment")).await, json!(true));
    assert_eq!(b.eval(&shown(anak, "class")).await, json!(false));
    b.select(&format!("[name=\"m.{anak}.segment\"]"), "pbpu")
        .await;
    assert_eq!(b.eval(&shown(anak, "class")).await, json!(true));
    b.select(&format!("[name=\"m.{anak}.class\"]"), "3").await;
    b.check("pendek-terisi").await;
    b.select("#outcome", "ditemui").await;
    b.click("#visit-form button[type=submit]").await;
    b.arrive(".flash, .notice", "pendek-tersimpan").await;
    let saved: Vec<(String, Option<String>, Option<String>)> = app
        .with_conn(|conn| {
            use diesel::prelude::*;
            use pesiar::db::schema::visit_members as vm;
            vm::table
                .order(vm::id)
                .select((vm::action, vm::rehab_reference, vm::new_class))
                .load(conn)
                .unwrap()
        })
        .await;
    assert!(saved.contains(&("ikut_rehab".into(), Some("RH-778".into()), None)));
    assert!(saved.contains(&("pendaftaran_baru".into(), None, Some("3".into()))));
}

/// The outbox lists what waits on the phone, since when and the last answer, also without
/// signal; "Kirim sekarang" sends it once signal is back.
#[tokio::test]
async fn the_outbox_shows_what_waits_and_sends_it() {
    let Some(mut b) = Browser::start("antrean").await else {
        return;
    };
    let app = spawn_app().await;
    let f = fixture(&app, "agen.antrean", "32.73.02.1004").await;
    b.log_in(&app, "agen.antrean").await;
    b.until(
        "return !!navigator.serviceWorker && !!navigator.serviceWorker.controller || (location.reload(), false)",
        "the service worker",
    )
    .await;
    b.goto(&app, "/antrean", "antrean-kosong").await;
    b.until(
        "return !document.getElementById('outbox-empty').hidden",
        "an empty outbox says so",
    )
    .await;
    let form = format!("/rumah-tangga/{}/kunjungan/baru", f.household);
    b.goto(&app, &form, "form").await;
    b.set_offline(true).await;
    b.select("#outcome", "tidak_ditemui").await;
    b.click("#visit-form button[type=submit]").await;
    b.until(
        "return document.getElementById('antrean-form').textContent.startsWith('Tersimpan di HP')",
        "kept on the phone",
    )
    .await;
    b.client.goto(&app.url("/antrean")).await.unwrap();
    b.until(
        "return document.querySelectorAll('#outbox-list li').length === 1",
        "one waiting visit listed",
    )
    .await;
    let text = b.text().await;
    assert!(text.contains(&format!("rumah tangga {}", f.household)) && text.contains("sejak"));
    assert!(text.contains("belum pernah sampai ke server"), "{text}");
    b.check_page("antrean-tanpa-sinyal", &[OFFLINE]).await;
    b.set_offline(false).await;
    // Signal back: sent by the button, or already by the page's own retry.
    b.eval(
        "const s = document.getElementById('outbox-send'); if (!s.hidden) s.click(); return true",
    )
    .await;
    b.until(
        "return document.querySelectorAll('#outbox-list li').length === 0 && !document.getElementById('outbox-empty').hidden",
        "sent",
    )
    .await;
    b.check("antrean-terkirim").await;
}

/// What coming back costs, at the door on a phone: the member page's panel with the months from
/// the member's Mobile JKN screen and the WhatsApp hand-off, then the months typed on the visit
/// form, whose next opening shows the sums beside the member's actions.
#[tokio::test]
async fn the_door_step_panel_on_a_phone() {
    let Some(mut b) = Browser::start("biaya-aktif").await else {
        return;
    };
    let app = spawn_app().await;
    let f = fixture(&app, "agen.biaya.hp", "32.73.02.1004").await;
    let ibu = f.members[0];
    b.log_in(&app, "agen.biaya.hp").await;
    b.goto(&app, &format!("/anggota/{ibu}"), "anggota").await;
    b.fill("#tunggakan", "7").await;
    b.fill("#wa", "0812 3456 7890").await;
    b.click("#iuran button[type=submit]").await;
    b.arrive("#iuran dl", "panel-terhitung").await;
    b.view("#iuran", "panel").await;
    let text = b.text().await;
    // Kelas III: 7 months and this one at the member's Rp 35.000.
    assert!(text.contains("Rp 280.000"), "{text}");
    assert!(text.contains("7 kali cicilan Rp 35.000"), "{text}");
    assert!(
        text.contains("Kirim hitungan ke WhatsApp peserta"),
        "{text}"
    );
    let link = b
        .eval("return document.querySelector('#iuran a.button').href")
        .await;
    assert!(
        link.as_str()
            .unwrap()
            .starts_with("https://wa.me/6281234567890?text="),
        "{link}"
    );

    let form = crate::journeys::visit_form_path(f.household);
    b.goto(&app, &form, "kunjungan").await;
    b.select("#outcome", "ditemui").await;
    b.select(&format!("[name=\"m.{ibu}.status\"]"), "nonaktif")
        .await;
    b.select(&format!("[name=\"m.{ibu}.action\"]"), "edukasi")
        .await;
    b.fill(&format!("[name=\"m.{ibu}.arrears\"]"), "7").await;
    b.click("#visit-form button[type=submit]").await;
    b.arrive(".flash, .notice", "kunjungan-tersimpan").await;
    b.goto(&app, &form, "kunjungan-lagi").await;
    b.view(".door", "biaya-di-formulir").await;
    let text = b.text().await;
    assert!(
        text.contains("Kembali aktif hari ini: Rp 280.000 (7 bulan tunggakan, data per"),
        "{text}"
    );
}
