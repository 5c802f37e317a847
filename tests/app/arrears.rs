//! Arrears from the BPJS roster: the optional months and amount columns, under the names
//! offices give them, read for mandiri members listed inactive; the door-step panel starts from
//! the latest extract's months, aged to today, and an older extract never replaces them.

use diesel::prelude::*;
use pesiar::contributions::ListedArrears;
use pesiar::db::schema::{households, member_arrears, members};
use pesiar::users::Role;

use crate::helpers::{location, spawn_app};
use crate::journeys::nik;
use crate::roster::{HEADER, day, import, supervisor};

const DAGO: &str = "32.73.02.1004";

fn extract(rows: &[(&str, &str, &str, &str)]) -> Vec<u8> {
    let mut out = format!("{HEADER};Bulan Tunggakan;Jml Tunggakan\n");
    for (i, (n, status, months, amount)) in rows.iter().enumerate() {
        let name = ["Satu", "Dua", "Tiga"][i];
        out.push_str(&format!(
            "{n};;Warga {name};L;09-09-1980;{DAGO};1;1;Jl. Tunggak;;PBPU;3;{status};;{months};{amount}\n"
        ));
    }
    out.into_bytes()
}

#[tokio::test]
async fn the_roster_brings_arrears_and_the_panel_starts_from_them() {
    let app = spawn_app().await;
    let spv = supervisor(&app, "spv.tunggak", &["32.73.02"]).await;
    let owes = nik("327302", 9, 9, 80, false, 71);
    let paid = nik("327302", 9, 9, 80, false, 72);
    let wrong = nik("327302", 9, 9, 80, false, 73);
    let listed_on = day(40);
    let (_, html) = import(
        &app,
        &spv,
        "roster.csv",
        listed_on,
        extract(&[
            (&owes, "NON AKTIF", "7", "Rp 245.000"),
            // An active member owes nothing, whatever the cells say.
            (&paid, "AKTIF", "3", "105000"),
            (&wrong, "NON AKTIF", "tujuh", ""),
        ]),
    )
    .await;
    assert!(
        html.contains("Bulan tunggakan berupa bilangan bulat 0 sampai 240."),
        "{html}"
    );
    let rows: Vec<(String, Option<i32>, Option<i64>)> = app
        .with_conn(|conn| {
            member_arrears::table
                .inner_join(members::table)
                .select((
                    members::nik.assume_not_null(),
                    member_arrears::months,
                    member_arrears::amount,
                ))
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(rows, vec![(owes.clone(), Some(7), Some(245_000))]);

    // The panel fills in the months, aged from the extract's date, and says where they came from.
    let id_of = |n: String| {
        app.with_conn(move |conn| {
            members::table
                .filter(members::nik.eq(n))
                .select(members::id)
                .first::<i32>(conn)
                .unwrap()
        })
    };
    let member = id_of(owes.clone()).await;
    let aged = ListedArrears {
        as_of: listed_on,
        months: Some(7),
        amount: Some(245_000),
    }
    .months_on(pesiar::web::today())
    .unwrap();
    let page = app.get_with(&spv, &format!("/anggota/{member}")).await;
    let html = page.text().await.unwrap();
    let as_of = listed_on.format(pesiar::web::DAY).to_string();
    assert!(
        html.contains(&format!(
            "Data BPJS per {as_of}: tunggakan 7 bulan (Rp 245.000)."
        )),
        "{html}"
    );
    assert!(html.contains(&format!("value=\"{aged}\"")), "{html}");
    assert!(html.contains("Bayar lunas hari ini"), "{html}");

    // An older extract imported later does not replace them.
    import(
        &app,
        &spv,
        "lama.csv",
        day(70),
        extract(&[(&owes, "NON AKTIF", "2", "70000")]),
    )
    .await;
    let html = app
        .get_with(&spv, &format!("/anggota/{member}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("Data BPJS per {as_of}: tunggakan 7 bulan")));

    // A newer extract without the columns lists no arrears: the panel asks for the months.
    let newer = format!(
        "{HEADER}\n{owes};;Warga Satu;L;09-09-1980;{DAGO};1;1;Jl. Tunggak;;PBPU;3;NON AKTIF;\n"
    );
    import(&app, &spv, "baru.csv", day(5), newer.into_bytes()).await;
    let html = app
        .get_with(&spv, &format!("/anggota/{member}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Data BPJS per"), "{html}");
    assert!(!html.contains("Bayar lunas hari ini"), "{html}");
}

/// Households for the reach test: (address, KK tail, segment, class, status, reason, months).
const REACH: [(&str, u32, &str, &str, &str, &str, &str); 5] = [
    ("Jl. Mahal", 81, "PBPU", "1", "NON AKTIF", "MENUNGGAK", "10"),
    ("Jl. Murah", 82, "PBPU", "3", "NON AKTIF", "MENUNGGAK", "2"),
    (
        "Jl. Lama Sekali",
        83,
        "PBPU",
        "3",
        "NON AKTIF",
        "MENUNGGAK",
        "30",
    ),
    (
        "Jl. Gratis",
        84,
        "PBI JK",
        "",
        "NON AKTIF",
        "PBI DINONAKTIFKAN",
        "",
    ),
    ("Jl. Entah", 85, "PBPU", "2", "NON AKTIF", "MENUNGGAK", ""),
];

fn order_of(html: &str, addresses: &[&str]) -> Vec<String> {
    let start = html
        .find("id=\"daftar-kerja\"")
        .expect("worklist on the page");
    let mut found: Vec<(usize, String)> = addresses
        .iter()
        .filter_map(|a| {
            Some((
                html[start..].find(&format!("<strong>{a}</strong>"))?,
                a.to_string(),
            ))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, a)| a).collect()
}

#[tokio::test]
async fn the_worklist_puts_the_cheapest_comeback_first_and_says_why() {
    let app = spawn_app().await;
    let spv = supervisor(&app, "spv.jangkau", &["32.73.02"]).await;
    let mut csv = format!("{HEADER};Bulan Tunggakan\n");
    for (i, (address, kk, segment, class, status, reason, months)) in REACH.iter().enumerate() {
        let n = nik("327302", 9, 9, 80, false, 60 + i as u32);
        csv.push_str(&format!(
            "{n};32730200000000{kk};Warga {};L;09-09-1980;{DAGO};{};1;{address};;{segment};{class};{status};{reason};{months}\n",
            ["Satu", "Dua", "Tiga", "Empat", "Lima"][i],
            i + 1
        ));
    }
    // Dated today, so the months are not aged.
    import(&app, &spv, "roster.csv", day(0), csv.into_bytes()).await;
    let addresses: Vec<&str> = REACH.iter().map(|r| r.0).collect();
    let html = app
        .get_with(&spv, &format!("/progres/{DAGO}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        order_of(&html, &addresses),
        [
            "Jl. Gratis",
            "Jl. Murah",
            "Jl. Lama Sekali",
            "Jl. Mahal",
            "Jl. Entah"
        ],
        "free first, then cheapest, then months unknown"
    );
    for why in [
        "1 PBI dinonaktifkan: usulkan kembali ke Dinsos, tanpa biaya",
        // Kelas III: the member's share, 2 months and the current one.
        "1 peserta mandiri menunggak: lunas hari ini Rp 105.000, dibayar sekaligus",
        "1 peserta mandiri menunggak: lunas hari ini Rp 1.650.000, bisa REHAB",
        "1 peserta mandiri menunggak (bulan belum diketahui)",
        // 24 of the 30 months count.
        "1 peserta mandiri menunggak: lunas hari ini Rp 875.000, bisa REHAB",
    ] {
        assert!(html.contains(why), "{why} in {html}");
    }
    // The download says it too.
    let csv = app
        .get_with(
            &spv,
            &format!("/progres/{DAGO}/unduh?tabel=daftar&format=csv"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains(",alasan,"), "{csv}");
    assert!(csv.contains("bisa REHAB"), "{csv}");

    // At the door of Jl. Entah the member shows 4 months on Mobile JKN; the agent types them.
    let agent = app.client_as("agen.jangkau", Role::Agent, &[DAGO]).await;
    let (household, member): (i32, i32) = app
        .with_conn(|conn| {
            households::table
                .inner_join(members::table)
                .filter(households::address.eq("Jl. Entah"))
                .select((households::id, members::id))
                .first(conn)
                .unwrap()
        })
        .await;
    let form = app
        .get_with(&agent, &format!("/rumah-tangga/{household}/kunjungan/baru"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        form.contains(&format!("name=\"m.{member}.arrears\"")),
        "{form}"
    );
    let today = pesiar::web::today().to_string();
    let (status, action, months) = (
        format!("m.{member}.status"),
        format!("m.{member}.action"),
        format!("m.{member}.arrears"),
    );
    let bad = app
        .submit_visit(
            &agent,
            household,
            &[
                ("visited_on", &today),
                ("outcome", "ditemui"),
                (&status, "nonaktif"),
                (&action, "edukasi"),
                (&months, "empat"),
            ],
        )
        .await;
    assert_eq!(bad.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    assert!(
        html.contains("Isi bulan tunggakan dengan angka 0 sampai 240"),
        "{html}"
    );
    assert!(html.contains("value=\"empat\""), "{html}");
    let sent = app
        .submit_visit(
            &agent,
            household,
            &[
                ("visited_on", &today),
                ("outcome", "ditemui"),
                (&status, "nonaktif"),
                (&action, "edukasi"),
                (&months, "4"),
            ],
        )
        .await;
    assert_eq!(sent.status(), reqwest::StatusCode::SEE_OTHER);
    let visit = location(&sent);
    let worklist = || async {
        app.get_with(&spv, &format!("/progres/{DAGO}"))
            .await
            .text()
            .await
            .unwrap()
    };
    let html = worklist().await;
    // Kelas II, 4 months and this one: 5 × 100.000.
    assert!(
        html.contains("1 peserta mandiri menunggak: lunas hari ini Rp 500.000, bisa REHAB"),
        "{html}"
    );
    assert_eq!(
        order_of(&html, &addresses),
        [
            "Jl. Gratis",
            "Jl. Murah",
            "Jl. Entah",
            "Jl. Lama Sekali",
            "Jl. Mahal"
        ]
    );
    // The next visit form and the member's page start from them.
    let form = app
        .get_with(&agent, &format!("/rumah-tangga/{household}/kunjungan/baru"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        form.contains("Kembali aktif hari ini: <strong>Rp 500.000</strong> (4 bulan tunggakan"),
        "{form}"
    );
    assert!(
        form.contains(&format!("/anggota/{member}?tunggakan=4#iuran")),
        "{form}"
    );
    let page = app
        .get_with(&agent, &format!("/anggota/{member}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"tunggakan\" name=\"tunggakan\" type=\"number\" inputmode=\"numeric\" min=\"0\" max=\"240\" value=\"4\""), "{page}");

    // Voided, the visit takes its months with it.
    let voided = app
        .submit(
            &spv,
            &format!("{visit}/koreksi"),
            &[("aksi", "batal"), ("reason", "salah rumah")],
        )
        .await;
    assert_eq!(voided.status(), reqwest::StatusCode::SEE_OTHER);
    let html = worklist().await;
    assert_eq!(
        order_of(&html, &addresses),
        [
            "Jl. Gratis",
            "Jl. Murah",
            "Jl. Lama Sekali",
            "Jl. Mahal",
            "Jl. Entah"
        ]
    );
}
