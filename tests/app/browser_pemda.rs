//! The kab/kota page with the Pemda's levers on a phone (issue 26): at 360×740 the progress
//! page of Kota Bandung shows the quota ("Kuota Pemda: … belum terpakai") and the village
//! officials' line, and the levers' own page opens from it. Screenshots land in
//! `target/browser/pemda-kabkota/`.

use pesiar::users::Role;
use reqwest::StatusCode;

use crate::browser::Browser;
use crate::helpers::location;
use crate::journeys::fixture;
use crate::roster::{HEADER, day, import};

#[tokio::test]
async fn the_kabkota_page_shows_the_quota_and_the_village_officials_on_a_phone() {
    let Some(mut b) = Browser::start("pemda-kabkota").await else {
        return;
    };
    let app = crate::helpers::spawn_app().await;
    let spv = app
        .client_as("spv.pemda", Role::Supervisor, &["32.73"])
        .await;
    let _agent = fixture(&app, "agen.pemda", "32.73.02.1004").await;
    let mut csv = format!("{HEADER};PERANGKAT_DESA\n");
    for i in 0..12u32 {
        let (segment, status, mark) = match i {
            0..=5 => ("PBI APBD", "AKTIF", ""),
            6..=7 => ("PPU PN", "AKTIF", "Ya"),
            _ => ("Mandiri", "NON AKTIF", ""),
        };
        let class = if segment == "Mandiri" { "3" } else { "" };
        csv.push_str(&format!(
            "{};;Warga {};P;01-01-1982;32.73.02.1004;1;1;Jl. Layar {i};;{segment};{class};{status};;{mark}\n",
            crate::journeys::nik("327302", 1, 1, 82, true, 300 + i),
            crate::pemda::NAMES[i as usize]
        ));
    }
    import(&app, &spv, "layar.csv", day(1), csv.into_bytes()).await;
    let res = app
        .post_form_with(
            &spv,
            "/pemda/32.73/kuota",
            &[("tempat", "9.000"), ("mulai", "2025-01-01")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/pemda/32.73");

    b.log_in(&app, "spv.pemda").await;
    b.goto(&app, "/progres/32.73#kuota-pemda", "progres-kota")
        .await;
    let text = b.text().await;
    assert!(text.contains("Kuota Pemda: 8.994 belum terpakai"), "{text}");
    assert!(
        text.contains("Perangkat desa terdaftar: 0 dari 151 desa lengkap"),
        "{text}"
    );
    b.goto(&app, "/pemda/32.73", "tuas-pemda").await;
    let text = b.text().await;
    assert!(text.contains("Kuota Pemda: 8.994 belum terpakai"), "{text}");
    assert!(
        text.contains("perangkat desa terdaftar: 0 dari 151 desa lengkap"),
        "{text}"
    );
    b.goto(&app, "/pemda/32.73#perangkat", "tuas-pemda-perangkat")
        .await;
}
