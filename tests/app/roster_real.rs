//! The BPJS roster as it really arrives: identifiers Excel damaged (number cells keep 15
//! significant digits, CSV re-saves write scientific notation), apostrophe-prefixed NIKs,
//! serial-number birth dates, headers partly renamed, extracts imported out of date order,
//! and files that are empty or cut off.

use std::time::Duration;

use chrono::NaiveDate;
use diesel::prelude::*;
use pesiar::db::schema::{audit_log, member_history, members, roster_imports};
use reqwest::StatusCode;

use crate::helpers::{TestApp, location, spawn_app};
use crate::journeys::nik;
use crate::roster::{HEADER, day, import, supervisor, upload};

const DAGO: &str = "32.73.02.1004";

/// One person of the tests: the true identifiers and what the extracts say of them.
struct Person {
    nik: String,
    card: Option<&'static str>,
    kk: &'static str,
    name: &'static str,
    sex: &'static str,
    /// Birth date, and its Excel serial number.
    born: (&'static str, f64),
}

fn people() -> Vec<Person> {
    vec![
        Person {
            nik: nik("327302", 5, 8, 90, true, 38),
            card: Some("0001234567891"),
            kk: "3273020101200017",
            name: "Sari Wulandari",
            sex: "P",
            born: ("1990-08-05", 33090.0),
        },
        Person {
            nik: nik("327302", 12, 3, 85, false, 4567),
            card: Some("0009876543219"),
            kk: "3273020101200017",
            name: "Joko Santoso",
            sex: "L",
            born: ("1985-03-12", 31118.0),
        },
        // No card number: matched by name and birth date in the kelurahan.
        Person {
            nik: nik("327302", 1, 1, 70, false, 1239),
            card: None,
            kk: "3273020101200025",
            name: "Ahmad Dahlan",
            sex: "L",
            born: ("1970-01-01", 25569.0),
        },
    ]
}

/// The number Excel keeps for a 16-digit identifier typed into a number cell: 15 significant
/// digits.
fn as_excel_number(id: &str) -> f64 {
    let n: u64 = id.parse().unwrap();
    ((n + 5) / 10 * 10) as f64
}

/// The identifier as a CSV re-saved by Excel where the comma is the decimal separator writes
/// it: `3,27302450890004E+015`.
fn scientific(id: &str) -> String {
    let rounded = format!("{}", as_excel_number(id) as u64);
    let digits = rounded[1..15].trim_end_matches('0');
    format!("{},{digits}E+015", &rounded[..1])
}

/// An XLSX as Excel saves it when the ID columns were numbers: NIK, KK and card number are
/// number cells, the birth date a serial number.
fn damaged_xlsx(people: &[Person], status: &str) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, name) in HEADER.split(';').enumerate() {
        sheet.write_string(0, col as u16, name).unwrap();
    }
    for (i, p) in people.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_number(row, 0, as_excel_number(&p.nik)).unwrap();
        sheet.write_number(row, 1, as_excel_number(p.kk)).unwrap();
        sheet.write_string(row, 2, p.name).unwrap();
        sheet.write_string(row, 3, p.sex).unwrap();
        sheet.write_number(row, 4, p.born.1).unwrap();
        sheet.write_string(row, 5, DAGO).unwrap();
        sheet.write_number(row, 6, 3).unwrap();
        sheet.write_number(row, 7, 1).unwrap();
        sheet.write_string(row, 8, "Jl. Excel 1").unwrap();
        if let Some(card) = p.card {
            sheet
                .write_number(row, 9, card.parse::<f64>().unwrap())
                .unwrap();
        }
        sheet.write_string(row, 10, "PBPU").unwrap();
        sheet.write_number(row, 11, 3).unwrap();
        sheet.write_string(row, 12, status).unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

/// A CSV of the people, each NIK written by `nik_cell`.
fn csv(people: &[Person], status: &str, nik_cell: impl Fn(&Person) -> String) -> Vec<u8> {
    let mut out = format!("{HEADER}\n");
    for p in people {
        out.push_str(&format!(
            "{};{};{};{};{};{DAGO};3;1;Jl. Excel 1;{};PBPU;3;{status};\n",
            nik_cell(p),
            p.kk,
            p.name,
            p.sex,
            p.born.0,
            p.card.unwrap_or("")
        ));
    }
    out.into_bytes()
}

async fn member_niks(app: &TestApp) -> Vec<(String, Option<String>, Option<String>)> {
    app.with_conn(|conn| {
        members::table
            .order(members::name)
            .select((members::name, members::nik, members::jkn_number))
            .load(conn)
            .unwrap()
    })
    .await
}

async fn corrections(app: &TestApp) -> i64 {
    app.with_conn(|conn| {
        audit_log::table
            .filter(audit_log::action.eq("member.nik_correct"))
            .count()
            .get_result(conn)
            .unwrap()
    })
    .await
}

#[tokio::test]
async fn excel_damaged_niks_never_make_a_second_person() {
    let app = spawn_app().await;
    let spv = supervisor(&app, "spv.excel", &["32.73.02"]).await;
    let people = people();

    // 1. An XLSX whose ID columns were numbers: every NIK has lost its 16th digit. The rows are
    // taken (nobody is missing), flagged, and no rounded NIK is stored as if it were true.
    let (page, html) = import(
        &app,
        &spv,
        "angka.xlsx",
        day(20),
        damaged_xlsx(&people, "NON AKTIF"),
    )
    .await;
    assert!(html.contains("<dt>Peserta baru</dt><dd>3</dd>"), "{html}");
    assert!(
        html.contains("<dt>Baris tidak valid (dilewati)</dt><dd>0</dd>"),
        "{html}"
    );
    assert!(
        html.contains("<dt>Baris dengan peringatan (diimpor)</dt><dd>3</dd>"),
        "{html}"
    );
    assert!(html.contains("NIK rusak (Excel)"), "{html}");
    let report = app
        .get_with(&spv, &format!("{page}/galat"))
        .await
        .text()
        .await
        .unwrap();
    assert!(report.contains(",nik,"), "{report}");
    assert!(report.contains("NIK rusak (Excel)"), "{report}");
    let stored = member_niks(&app).await;
    assert!(stored.iter().all(|(_, nik, _)| nik.is_none()), "{stored:?}");
    // The card numbers keep their 13 digits; the serial-number birth dates are dates.
    assert!(
        stored
            .iter()
            .any(|(_, _, card)| card.as_deref() == Some("0001234567891")),
        "{stored:?}"
    );
    let born: Vec<NaiveDate> = app
        .with_conn(|conn| {
            members::table
                .order(members::name)
                .select(members::birth_date)
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(born[0], NaiveDate::from_ymd_opt(1970, 1, 1).unwrap());

    // 2. The next, clean extract (NIKs apostrophe-prefixed, as typed to keep them text): the
    // same three members, now with their true NIKs, each correction audited.
    let (_, html) = import(
        &app,
        &spv,
        "bersih.csv",
        day(10),
        csv(&people, "AKTIF", |p| format!("'{}", p.nik)),
    )
    .await;
    assert!(html.contains("<dt>Peserta baru</dt><dd>0</dd>"), "{html}");
    assert!(
        html.contains("<dt>Baris tidak valid (dilewati)</dt><dd>0</dd>"),
        "{html}"
    );
    let stored = member_niks(&app).await;
    assert_eq!(stored.len(), 3, "{stored:?}");
    for p in &people {
        assert!(
            stored
                .iter()
                .any(|(name, nik, _)| name == p.name && nik.as_deref() == Some(p.nik.as_str())),
            "{stored:?}"
        );
    }
    assert_eq!(corrections(&app).await, 3);

    // 3. A CSV re-saved by Excel writes the NIKs in scientific notation: matched by card, then
    // by name and birth date, the true NIKs kept.
    let (_, html) = import(
        &app,
        &spv,
        "ilmiah.csv",
        day(5),
        csv(&people, "NON AKTIF", |p| scientific(&p.nik)),
    )
    .await;
    assert!(html.contains("<dt>Peserta baru</dt><dd>0</dd>"), "{html}");
    assert!(
        html.contains("<dt>Baris dengan peringatan (diimpor)</dt><dd>3</dd>"),
        "{html}"
    );
    assert!(
        html.contains("<dt>Peserta berubah status/segmen</dt><dd>3</dd>"),
        "{html}"
    );
    let after = member_niks(&app).await;
    assert_eq!(after, stored);
    assert_eq!(corrections(&app).await, 3);
}

#[tokio::test]
async fn a_clean_extract_repairs_a_nik_stored_rounded() {
    let app = spawn_app().await;
    let spv = supervisor(&app, "spv.bulat", &["32.73.02"]).await;
    let people = people();
    // What an import before the check stored: the rounded NIK as if it were true.
    let rounded = |p: &Person| format!("{}", as_excel_number(&p.nik) as u64);
    import(
        &app,
        &spv,
        "lama.csv",
        day(20),
        csv(&people, "AKTIF", rounded),
    )
    .await;
    let (_, html) = import(
        &app,
        &spv,
        "bersih.csv",
        day(10),
        csv(&people, "AKTIF", |p| p.nik.clone()),
    )
    .await;
    assert!(html.contains("<dt>Peserta baru</dt><dd>0</dd>"), "{html}");
    let stored = member_niks(&app).await;
    assert_eq!(stored.len(), 3, "{stored:?}");
    for p in &people {
        assert!(
            stored
                .iter()
                .any(|(_, nik, _)| nik.as_deref() == Some(p.nik.as_str())),
            "{stored:?}"
        );
    }
    assert_eq!(corrections(&app).await, 3);
}

#[tokio::test]
async fn headers_partly_renamed_are_recognised_and_the_rest_named() {
    let app = spawn_app().await;
    let spv = supervisor(&app, "spv.judul", &["32.73.02"]).await;
    let a = nik("327302", 3, 3, 93, false, 51);
    let b = nik("327302", 4, 4, 94, true, 52);
    let body = format!(
        "NIK;No. KK;Nama Peserta;Jenis Kelamin;Tgl Lahir;Kode Desa;RT;RW;Alamat;No. Kartu JKN;\
         Segmen;Kelas;Status;Alasan Non Aktif;Faskes Tingkat 1\n\
         {a};3273020303930001;Budi;L;03-03-1993;{DAGO};1;1;Jl. Judul;0001112223334;PBPU;3;\
         NON AKTIF;Menunggak;Puskesmas Dago\n\
         {b};3273020303930001;Rina;P;04-04-1994;{DAGO};1;1;Jl. Judul;0001112223335;PBPU;3;\
         AKTIF;;Puskesmas Dago\n"
    );
    let (_, html) = import(&app, &spv, "judul.csv", day(3), body.into_bytes()).await;
    assert!(html.contains("<dt>Peserta baru</dt><dd>2</dd>"), "{html}");
    assert!(html.contains("Kolom diabaikan"), "{html}");
    assert!(html.contains("Faskes Tingkat 1"), "{html}");
    let stored: Vec<(Option<String>, Option<String>)> = app
        .with_conn(|conn| {
            members::table
                .order(members::name)
                .select((members::jkn_number, members::inactive_reason))
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(
        stored,
        vec![
            (Some("0001112223334".into()), Some("tunggakan".into())),
            (Some("0001112223335".into()), None),
        ]
    );
    let kk: i64 = app
        .with_conn(|conn| {
            use pesiar::db::schema::households;
            households::table
                .filter(households::nomor_kk.eq("3273020303930001"))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(kk, 1, "the KK column was read");

    // The command line says which columns it left out.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("judul.csv");
    let c = nik("327302", 5, 5, 95, false, 53);
    std::fs::write(
        &file,
        format!(
            "nik,nama,jk,tanggal lahir,kode wilayah,segmen,status,Nomor Kartu,Catatan\n\
             {c},Citra,L,05-05-1995,{DAGO},PBPU,AKTIF,0001112223336,baru\n"
        ),
    )
    .unwrap();
    let out = run_cli(&app, &file, day(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("Kolom tidak dikenali, tidak diimpor: Catatan."),
        "{stdout}"
    );
}

fn run_cli(app: &TestApp, file: &std::path::Path, date: NaiveDate) -> std::process::Output {
    let url = crate::helpers::database_url_string(&app._database.url);
    std::process::Command::new(env!("CARGO_BIN_EXE_pesiar"))
        .env("DATABASE_URL", &url)
        .env("PESIAR_SECRET_KEY", "cli-test-secret-key-0123456789abcdef")
        .args(["import", "roster"])
        .arg(file)
        .args(["--tanggal", &date.to_string()])
        .output()
        .unwrap()
}

#[tokio::test]
async fn an_older_extract_never_sets_members_back() {
    let app = spawn_app().await;
    let spv = supervisor(&app, "spv.urutan", &["32.73.02"]).await;
    let people: Vec<String> = (0..4)
        .map(|i| nik("327302", 9, 9, 80, false, 60 + i))
        .collect();
    let extract = |inactive: usize, segment: &str| {
        let mut out = format!("{HEADER}\n");
        for (i, n) in people.iter().enumerate() {
            let status = if i < inactive { "NON AKTIF" } else { "AKTIF" };
            out.push_str(&format!(
                "{n};;Warga {};L;09-09-1980;{DAGO};1;1;Jl. Urut;;{segment};3;{status};\n",
                ["Satu", "Dua", "Tiga", "Empat"][i]
            ));
        }
        out.into_bytes()
    };
    let (nov1, nov15, dec2) = (day(40), day(25), day(8));
    import(&app, &spv, "2026-11-01.csv", nov1, extract(0, "PBPU")).await;
    // The newest extract: unchanged from 11-01.
    import(&app, &spv, "2026-12-02.csv", dec2, extract(0, "PBPU")).await;
    // An older one, imported last: two members inactive, all in another segment then.
    let (_, html) = import(&app, &spv, "2026-11-15.csv", nov15, extract(2, "BP")).await;
    assert!(
        html.contains("<dt>Peserta berubah status/segmen</dt><dd>0</dd>"),
        "{html}"
    );
    let now: Vec<(String, String)> = app
        .with_conn(|conn| {
            members::table
                .order(members::id)
                .select((members::status, members::segment))
                .load(conn)
                .unwrap()
        })
        .await;
    assert!(
        now.iter().all(|(s, g)| s == "aktif" && g == "pbpu"),
        "members stay as of the newest extract: {now:?}"
    );
    let first: i32 = app
        .with_conn(|conn| {
            members::table
                .order(members::id)
                .select(members::id)
                .first(conn)
                .unwrap()
        })
        .await;
    let on = |d: NaiveDate| {
        app.with_conn(move |conn| {
            let (status, segment) = pesiar::members::history::status_on(conn, first, d)
                .unwrap()
                .unwrap();
            (status.as_str().to_string(), segment.as_str().to_string())
        })
    };
    assert_eq!(on(nov1).await, ("aktif".into(), "pbpu".into()));
    assert_eq!(on(nov15).await, ("nonaktif".into(), "bp".into()));
    assert_eq!(
        on(nov15 + chrono::Duration::days(3)).await,
        ("nonaktif".into(), "bp".into())
    );
    assert_eq!(on(dec2).await, ("aktif".into(), "pbpu".into()));
    assert_eq!(on(day(0)).await, ("aktif".into(), "pbpu".into()));
    // One history row for each extract that listed each member.
    let history: i64 = app
        .with_conn(|conn| member_history::table.count().get_result(conn).unwrap())
        .await;
    assert_eq!(history, 3 * 4);
}

/// Uploads a roster that must fail; returns the failed import's page text.
async fn import_fails(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    body: Vec<u8>,
) -> String {
    let res = upload(app, client, name, &day(1).to_string(), body).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "upload {name}");
    let page = location(&res);
    for _ in 0..200 {
        let html = app.get_with(client, &page).await.text().await.unwrap();
        if !html.contains("Berjalan:") {
            assert!(html.contains("<strong>Gagal</strong>"), "{name}: {html}");
            assert!(!html.contains("Selesai"), "{name}: {html}");
            return html;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("import {name} did not finish");
}

async fn counts(app: &TestApp) -> (i64, i64, Vec<String>) {
    app.with_conn(|conn| {
        use pesiar::db::schema::figures;
        (
            members::table.count().get_result(conn).unwrap(),
            figures::table.count().get_result(conn).unwrap(),
            roster_imports::table
                .order(roster_imports::id)
                .select(roster_imports::state)
                .load(conn)
                .unwrap(),
        )
    })
    .await
}

#[tokio::test]
async fn an_empty_or_cut_off_roster_is_refused() {
    let app = spawn_app().await;
    let spv = supervisor(&app, "spv.kosong", &["32.73.02"]).await;

    // Only the header row.
    let html = import_fails(
        &app,
        &spv,
        "judul-saja.csv",
        format!("{HEADER}\n").into_bytes(),
    )
    .await;
    assert!(html.contains("hanya berisi baris judul"), "{html}");
    assert_eq!(counts(&app).await, (0, 0, vec!["gagal".to_string()]));

    // The last record cut off in the middle, without a line break after it.
    let a = nik("327302", 6, 6, 96, false, 71);
    let b = nik("327302", 7, 7, 97, true, 72);
    let body = format!(
        "{HEADER}\n{a};;Ani;L;06-06-1996;{DAGO};1;1;Jl. Potong;;PBPU;3;AKTIF;\n\
         {b};;Bunga;P;07-07-1997;{DAGO};1;1;Jl. Pot"
    );
    let html = import_fails(&app, &spv, "terpotong.csv", body.into_bytes()).await;
    assert!(html.contains("Baris 3 terpotong"), "{html}");
    let (members, figures, states) = counts(&app).await;
    assert_eq!((members, figures), (0, 0), "nothing of the file is written");
    assert_eq!(states, ["gagal", "gagal"]);

    // A last record without a line break but whole is a whole file.
    let body = format!("{HEADER}\n{a};;Ani;L;06-06-1996;{DAGO};1;1;Jl. Utuh;;PBPU;3;AKTIF;");
    let (_, html) = import(&app, &spv, "utuh.csv", day(1), body.into_bytes()).await;
    assert!(html.contains("<dt>Peserta baru</dt><dd>1</dd>"), "{html}");
    // So is one written by a program that leaves empty last cells out of every row.
    let body = format!(
        "{HEADER}\n{a};;Ani;L;06-06-1996;{DAGO};1;1;Jl. Utuh;;PBPU;3;AKTIF\n\
         {b};;Bunga;P;07-07-1997;{DAGO};1;1;Jl. Utuh;;PBPU;3;AKTIF"
    );
    let (_, html) = import(&app, &spv, "pendek.csv", day(1), body.into_bytes()).await;
    assert!(html.contains("<dt>Peserta baru</dt><dd>1</dd>"), "{html}");

    // The command line: a failure, with the reason, and an exit code that says so.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kosong.csv");
    std::fs::write(&file, format!("{HEADER}\n")).unwrap();
    let out = run_cli(&app, &file, day(1));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("hanya berisi baris judul"), "{stderr}");
}

#[tokio::test]
async fn a_roster_that_breaks_after_the_first_batch_leaves_nothing() {
    let app = spawn_app().await;
    let spv = supervisor(&app, "spv.rusak", &["32.73.02"]).await;
    // More rows than one batch of the import (10,000), and past the 64 KB the encoding is
    // judged on: a row saved in Windows-1252 ("Andr\xe9") near the end is not UTF-8.
    let mut body = format!("{HEADER}\n").into_bytes();
    for i in 0..10_600u32 {
        let n = nik(
            "327302",
            1 + i % 28,
            1 + (i / 28) % 12,
            80,
            false,
            1 + i / 336,
        );
        if i == 10_500 {
            body.extend_from_slice(format!("{n};;Andr").as_bytes());
            body.push(0xE9);
            body.extend_from_slice(
                format!(";L;01-01-1980;{DAGO};1;1;Jl. Rusak;;PBPU;3;AKTIF;\n").as_bytes(),
            );
        } else {
            body.extend_from_slice(
                format!("{n};;Warga Baris;L;01-01-1980;{DAGO};1;1;Jl. Rusak;;PBPU;3;AKTIF;\n")
                    .as_bytes(),
            );
        }
    }
    let html = import_fails(&app, &spv, "rusak.csv", body).await;
    assert!(html.contains("Baris 10502: teks bukan UTF-8"), "{html}");
    let (members, figures, states) = counts(&app).await;
    assert_eq!(
        (members, figures),
        (0, 0),
        "no member of the file's first batch is kept"
    );
    assert_eq!(states, ["gagal"]);
}
