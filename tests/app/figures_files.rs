//! Figures files as offices really save them (issue 19): exact numbers or a whole refusal, one
//! area's upload never wiping another's, two-digit years, Windows-1252 with a title row and a
//! totals row, and formats that are refused saying what to do.

use diesel::prelude::*;
use pesiar::db::schema::figures;
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::cli::pesiar;
use crate::helpers::{TestApp, database_url_string, spawn_app};
use crate::progress::upload;

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

#[tokio::test]
async fn a_second_area_on_the_same_date_keeps_the_first_and_counts_only_its_own() {
    let app = spawn_app().await;
    let url = database_url_string(&app._database.url);
    let dir = tempfile::tempdir().unwrap();
    let bandung = dir.path().join("bandung.csv");
    std::fs::write(
        &bandung,
        format!(
            "{HEADER}\n32.73.02.1004,2025-06-30,100,90,80\n32.73.02.1005,2025-06-30,200,190,150\n"
        ),
    )
    .unwrap();
    let bojonegoro = dir.path().join("bojonegoro.csv");
    std::fs::write(
        &bojonegoro,
        format!("{HEADER}\n3522012001,2025-06-30,300,280,200\n"),
    )
    .unwrap();
    for file in [&bandung, &bojonegoro] {
        let out = pesiar(&url)
            .args(["import", "figures"])
            .arg(file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("(0 baris lama diganti)"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    assert_eq!(
        stored(&app).await.len(),
        3,
        "Bandung's rows survive Bojonegoro's file"
    );

    // A Coblong supervisor re-uploading one kelurahan replaces that one only.
    app.sign_in_as("spv.coblong.f", Role::Supervisor, &["32.73.02"])
        .await;
    let res = upload(
        &app,
        &app.client,
        "dago.csv",
        format!("{HEADER}\n32.73.02.1004,2025-06-30,100,95,90\n").into_bytes(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let rows = stored(&app).await;
    assert_eq!(rows.len(), 3);
    assert!(rows.contains(&("32.73.02.1004".into(), "2025-06-30".into(), 100, 95, 90)));
    assert!(rows.contains(&("32.73.02.1005".into(), "2025-06-30".into(), 200, 190, 150)));
}

#[tokio::test]
async fn counts_are_stored_exactly_or_the_file_is_refused() {
    let app = spawn_app().await;
    app.sign_in_as("spv.angka", Role::Supervisor, &["32.73"])
        .await;
    // Decimals as Excel's CSV writes them: a zero fraction is the same count.
    let res = upload(
        &app,
        &app.client,
        "desimal.csv",
        format!("{HEADER}\n32.73.02.1004,30/06/25,5000.00,4814.00,4000.00\n").into_bytes(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        stored(&app).await,
        [(
            "32.73.02.1004".into(),
            "2025-06-30".into(),
            5000,
            4814,
            4000
        )],
        "exact counts, and 30/06/25 is 2025"
    );
    // An XLSX whose cell holds 4814.4: refused whole, nothing changed.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, name) in HEADER.split(',').enumerate() {
        sheet.write_string(0, col as u16, name).unwrap();
    }
    sheet.write_string(1, 0, "32.73.02.1005").unwrap();
    sheet.write_string(1, 1, "2025-06-30").unwrap();
    sheet.write_number(1, 2, 5000.0).unwrap();
    sheet.write_number(1, 3, 4814.4).unwrap();
    sheet.write_number(1, 4, 4000.0).unwrap();
    let res = upload(
        &app,
        &app.client,
        "pecahan.xlsx",
        book.save_to_buffer().unwrap(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("pecahan"), "{html}");
    assert_eq!(stored(&app).await.len(), 1);
}

#[tokio::test]
async fn a_windows_1252_semicolon_file_with_a_title_and_a_totals_row_imports_exactly() {
    let app = spawn_app().await;
    app.sign_in_as("spv.excel", Role::Supervisor, &["32.73"])
        .await;
    let file = b"Rekap Kepesertaan JKN \x96 Kota Bandung;;;;\r\n\
                 Kode Wilayah;Tanggal;Jumlah Penduduk;Jumlah Peserta;Peserta Aktif\r\n\
                 3273021004;30/06/2025;20.000;19.840;15.864\r\n\
                 3273021005;30/06/2025;1.000;900;800\r\n\
                 JUMLAH;;21.000;20.740;16.664\r\n"
        .to_vec();
    let res = upload(&app, &app.client, "rekap.csv", file).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        stored(&app).await,
        [
            (
                "32.73.02.1004".into(),
                "2025-06-30".into(),
                20_000,
                19_840,
                15_864
            ),
            ("32.73.02.1005".into(), "2025-06-30".into(), 1_000, 900, 800),
        ]
    );
    // The flash says which rows were left out.
    let (_, html) = app.get_text("/data/impor").await;
    assert!(html.contains("baris jumlah"), "{html}");
    // A month later, Dago's active members halved: imported, with a warning to look.
    let res = upload(
        &app,
        &app.client,
        "juli.csv",
        b"Kode Wilayah;Tanggal;Jumlah Penduduk;Jumlah Peserta;Peserta Aktif\r\n\
          3273021004;31/07/2025;20.000;19.840;7.900\r\n\
          3273021005;31/07/2025;1.000;900;810\r\n"
            .to_vec(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_text("/data/impor").await;
    assert!(
        html.contains("Perhatian, baris 2: Peserta aktif berubah -50%"),
        "{html}"
    );
    assert!(!html.contains("baris 3: Peserta aktif berubah"));
    // A bad row's line number is the file's own, CRLF or not.
    let file = b"Kode Wilayah;Tanggal;Jumlah Penduduk;Jumlah Peserta;Peserta Aktif\r\n\
                 3273021004;30/06/2025;20.000;19.840;15.864\r\n\
                 3273021005;2027-01-01;1.000;900;800\r\n"
        .to_vec();
    let res = upload(&app, &app.client, "masa-depan.csv", file).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("<td class=\"num\">3</td>"), "{html}");
    assert!(html.contains("masa depan"));
}

#[tokio::test]
async fn xls_and_ods_are_refused_saying_how_to_save_them() {
    let app = spawn_app().await;
    app.sign_in_as("spv.format", Role::Supervisor, &["32.73"])
        .await;
    let xls = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest of an OLE file".to_vec();
    let res = upload(&app, &app.client, "lama.xls", xls).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("simpan sebagai .xlsx"));
    // An ODS: a zip whose first entry is the OpenDocument mimetype.
    let mut ods = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut ods));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file("mimetype", stored).unwrap();
        std::io::Write::write_all(&mut zip, b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        zip.start_file("content.xml", stored).unwrap();
        std::io::Write::write_all(&mut zip, b"<office:document-content/>").unwrap();
        zip.finish().unwrap();
    }
    let res = upload(&app, &app.client, "lembar.ods", ods).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains(".ods"));
    assert!(stored(&app).await.is_empty());
}
