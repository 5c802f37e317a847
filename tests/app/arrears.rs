//! Arrears from the BPJS roster: the optional months and amount columns, under the names
//! offices give them, read for mandiri members listed inactive; the door-step panel starts from
//! the latest extract's months, aged to today, and an older extract never replaces them.

use diesel::prelude::*;
use pesiar::contributions::ListedArrears;
use pesiar::db::schema::{member_arrears, members};

use crate::helpers::spawn_app;
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
    let as_of = listed_on.format("%d-%m-%Y").to_string();
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
