//! The BPJS roster: two dated extracts of the same kelurahan change statuses, keep history,
//! confirm and flag field claims, derive the progress figures; re-running an extract changes
//! nothing; uploads are scoped; XLSX works like CSV.

use std::time::Duration;

use chrono::NaiveDate;
use diesel::prelude::*;
use pesiar::db::schema::{households, member_history, members, reactivations};
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{TestApp, location, spawn_app};
use crate::journeys::{add_member_ok, fixture, nik};

const DAGO: &str = "32.73.02.1004";
pub const HEADER: &str = "NIK;NO_KK;NAMA;JENIS_KELAMIN;TANGGAL_LAHIR;KODE_WILAYAH;RT;RW;ALAMAT;NO_KARTU_JKN;SEGMEN;KELAS;STATUS;ALASAN_NONAKTIF";

pub fn day(days_ago: i64) -> NaiveDate {
    pesiar::web::today() - chrono::Duration::days(days_ago)
}

/// Uploads an extract as `client` and waits for the background import to finish; returns the
/// progress page's path and its final text.
pub async fn import(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    date: NaiveDate,
    body: Vec<u8>,
) -> (String, String) {
    let res = upload(app, client, name, &date.to_string(), body).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "upload {name}");
    let page = location(&res);
    assert!(page.starts_with("/data/roster/"), "{page}");
    for _ in 0..200 {
        let html = app.get_with(client, &page).await.text().await.unwrap();
        if !html.contains("Berjalan:") {
            assert!(html.contains("Selesai"), "{html}");
            return (page, html);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("import {name} did not finish");
}

pub async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    date: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.upload(client, "/data/roster", &[("tanggal", date)], name, body)
        .await
}

pub async fn supervisor(app: &TestApp, username: &str, areas: &[&str]) -> reqwest::Client {
    app.client_as(username, Role::Supervisor, areas).await
}

struct Snapshot {
    members: i64,
    households: i64,
    history: i64,
    claim_states: Vec<(i32, String, Option<NaiveDate>)>,
}

async fn snapshot(app: &TestApp) -> Snapshot {
    app.with_conn(|conn| Snapshot {
        members: members::table.count().get_result(conn).unwrap(),
        households: households::table.count().get_result(conn).unwrap(),
        history: member_history::table.count().get_result(conn).unwrap(),
        claim_states: reactivations::table
            .order(reactivations::id)
            .select((
                reactivations::id,
                reactivations::state,
                reactivations::flagged_on,
            ))
            .load(conn)
            .unwrap(),
    })
    .await
}

fn status_of(app: &TestApp, nik: &str) -> impl std::future::Future<Output = (i32, String)> {
    let nik = nik.to_string();
    app.with_conn(move |conn| {
        members::table
            .filter(members::nik.eq(nik))
            .select((members::id, members::status))
            .first(conn)
            .unwrap()
    })
}

#[tokio::test]
async fn two_extracts_change_statuses_keep_history_and_reconcile_claims() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.roster", DAGO).await;
    let ibu = f.members[0];
    let ibu_nik: String = app
        .with_conn(move |conn| {
            members::table
                .find(ibu)
                .select(members::nik)
                .first::<Option<String>>(conn)
                .unwrap()
                .unwrap()
        })
        .await;
    let bapak_nik = nik("327302", 5, 5, 80, false, 4321);
    let bapak = add_member_ok(
        &app,
        &f.agent,
        f.household,
        &[
            ("nik", &bapak_nik),
            ("name", "Bapak Contoh"),
            ("sex", "L"),
            ("birth_date", "1980-05-05"),
            ("relationship", "suami"),
            ("segment", "pbpu"),
            ("class", "3"),
            ("status", "nonaktif"),
            ("inactive_reason", "tunggakan"),
        ],
    )
    .await;
    // Thirty days ago the agent reported both parents as reactivated (arrears paid).
    let reported = day(30).to_string();
    let res = app
        .submit_visit(
            &f.agent,
            f.household,
            &[
                ("visited_on", &reported),
                ("outcome", "ditemui"),
                (&format!("m.{ibu}.status"), "nonaktif"),
                (&format!("m.{ibu}.action"), "tunggakan_lunas"),
                (&format!("m.{bapak}.status"), "nonaktif"),
                (&format!("m.{bapak}.action"), "tunggakan_lunas"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Three members only BPJS knew about, in one family (KK), and one bad row.
    let kk = "3273020101200001";
    let c_nik = nik("327302", 1, 2, 90, true, 11);
    let d_nik = nik("327302", 2, 3, 91, false, 12);
    let e_nik = nik("327302", 3, 4, 92, true, 13);
    let extract = |ibu: &str, bapak: &str, c: &str| {
        format!(
            "{HEADER}\n\
             {ibu_nik};;Ibu Contoh;P;12-03-1985;{DAGO};3;1;Jl. Contoh No. 1;;Mandiri;III;{ibu};Menunggak\n\
             {bapak_nik};;Bapak Contoh;L;05-05-1980;3273021004;3;1;Jl. Contoh No. 1;;PBPU;3;{bapak};\n\
             {c_nik};{kk};Citra;P;1990-02-01;{DAGO};7;2;Gg. Baru 2;0001234567890;PBI APBN;;{c};\n\
             {d_nik};{kk};Dedi;L;1991-03-02;{DAGO};7;2;Gg. Baru 2;;PBPU;2;NON AKTIF;Menunggak\n\
             {e_nik};{kk};Eka;P;1992-04-03;{DAGO};7;2;Gg. Baru 2;;PBPU;2;TIDAK AKTIF;tunggakan\n\
             3273020000000000;;Salah Satu;X;31-02-1990;{DAGO};1;1;Jl. X;;Asuransi Lain;;AKTIF;\n"
        )
        .into_bytes()
    };
    let spv = supervisor(&app, "spv.roster", &["32.73.02"]).await;

    // Extract 1, ten days ago: parents still inactive (reported only 20 days before: no flag).
    let first = day(10);
    let (page1, html) = import(
        &app,
        &spv,
        "roster-1.csv",
        first,
        extract("NON AKTIF", "NON AKTIF", "AKTIF"),
    )
    .await;
    assert!(html.contains("<dt>Baris dibaca</dt><dd>6</dd>"), "{html}");
    assert!(
        html.contains("<dt>Baris tidak valid (dilewati)</dt><dd>1</dd>"),
        "{html}"
    );
    assert!(html.contains("<dt>Peserta baru</dt><dd>3</dd>"), "{html}");
    assert!(
        html.contains("<dt>Rumah tangga baru</dt><dd>1</dd>"),
        "{html}"
    );
    assert!(
        html.contains("Asuransi Lain"),
        "unknown values are named: {html}"
    );
    let report = app
        .get_with(&spv, &format!("{page1}/galat"))
        .await
        .text()
        .await
        .unwrap();
    assert!(report.starts_with("baris,kolom,nilai,pesan"), "{report}");
    assert!(report.contains("7,segmen,Asuransi Lain,"), "{report}");
    assert!(report.contains("7,jenis_kelamin,X,"), "{report}");
    let after_first = snapshot(&app).await;
    assert!(
        after_first
            .claim_states
            .iter()
            .all(|(_, s, flag)| s == "dilaporkan" && flag.is_none()),
        "{:?}",
        after_first.claim_states
    );

    // Extract 2, today: Bapak active (his claim is confirmed by the roster), Ibu still inactive
    // thirty days after the report (flagged), Citra fell inactive (history keeps both).
    let second = day(0);
    let (_, html) = import(
        &app,
        &spv,
        "roster-2.csv",
        second,
        extract("NON AKTIF", "AKTIF", "NON AKTIF"),
    )
    .await;
    assert!(
        html.contains("<dt>Klaim dikonfirmasi data BPJS</dt><dd>1</dd>"),
        "{html}"
    );
    assert!(
        html.contains("<dt>Klaim ditandai (masih nonaktif &gt; 30 hari)</dt><dd>1</dd>"),
        "{html}"
    );
    assert!(
        html.contains("<dt>Peserta berubah status/segmen</dt><dd>2</dd>"),
        "{html}"
    );
    assert_eq!(status_of(&app, &bapak_nik).await.1, "aktif");
    assert_eq!(status_of(&app, &ibu_nik).await.1, "nonaktif");
    let (citra, citra_status) = status_of(&app, &c_nik).await;
    assert_eq!(citra_status, "nonaktif");
    let states: Vec<(i32, String, Option<String>, Option<NaiveDate>)> = app
        .with_conn(|conn| {
            reactivations::table
                .order(reactivations::member_id)
                .select((
                    reactivations::member_id,
                    reactivations::state,
                    reactivations::decided_via,
                    reactivations::flagged_on,
                ))
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(
        states,
        vec![
            (ibu, "dilaporkan".into(), None, Some(second)),
            (bapak, "dikonfirmasi".into(), Some("roster".into()), None),
        ]
    );

    // Status on any date: Citra was active between the extracts and inactive from the second.
    let between = first + chrono::Duration::days(3);
    let on = |d: NaiveDate| {
        app.with_conn(move |conn| {
            pesiar::members::history::status_on(conn, citra, d)
                .unwrap()
                .map(|(s, _)| s.as_str().to_string())
        })
    };
    assert_eq!(on(first - chrono::Duration::days(1)).await, None);
    assert_eq!(on(between).await.as_deref(), Some("aktif"));
    assert_eq!(on(second).await.as_deref(), Some("nonaktif"));
    let citra_page = app
        .get_with(&spv, &format!("/anggota/{citra}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(citra_page.contains("Riwayat di data BPJS"), "{citra_page}");
    assert!(citra_page.contains(&first.format(pesiar::web::DAY).to_string()));
    assert!(citra_page.contains(&second.format(pesiar::web::DAY).to_string()));

    // The progress page counts from the roster: 5 registered, 1 active (Bapak) today.
    let progress = app
        .get_with(&spv, &format!("/progres/{DAGO}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(progress.contains("Ditandai"), "{progress}");
    let figures: (i32, i32, String) = app
        .with_conn(move |conn| {
            use pesiar::db::schema::figures;
            figures::table
                .find((DAGO, second))
                .select((figures::registered, figures::active, figures::source))
                .first(conn)
                .unwrap()
        })
        .await;
    assert_eq!(figures, (5, 1, "roster".to_string()));
    let queue = app
        .get_with(&spv, "/verifikasi")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        queue.contains("Ditandai: masih nonaktif di data BPJS"),
        "{queue}"
    );

    // The same extract again changes nothing.
    let before = snapshot(&app).await;
    import(
        &app,
        &spv,
        "roster-2.csv",
        second,
        extract("NON AKTIF", "AKTIF", "NON AKTIF"),
    )
    .await;
    let after = snapshot(&app).await;
    assert_eq!(
        (before.members, before.households, before.history),
        (after.members, after.households, after.history)
    );
    assert_eq!(before.claim_states, after.claim_states);
    assert_eq!(
        before.history,
        5 + 5,
        "each of the five, seen in each extract"
    );
}

#[tokio::test]
async fn uploads_are_scoped_and_checked() {
    let app = spawn_app().await;
    let spv = supervisor(&app, "spv.coblong", &["32.73.02"]).await;
    let other = supervisor(&app, "spv.lain", &["32.73.01"]).await;
    let outside = nik("327301", 1, 1, 90, false, 1);
    let inside = nik("327302", 1, 1, 90, false, 2);
    let body = format!(
        "{HEADER}\n{outside};;Orang Luar;L;01-01-1990;32.73.01.1001;1;1;Jl. A;;PBPU;3;AKTIF;\n\
         {inside};;Orang Dalam;L;01-01-1990;{DAGO};1;1;Jl. B;;PBPU;3;AKTIF;\n"
    );
    let (page, html) = import(&app, &spv, "campur.csv", day(1), body.into_bytes()).await;
    assert!(html.contains("<dt>Peserta baru</dt><dd>1</dd>"), "{html}");
    assert!(html.contains("Di luar wilayah Anda."), "{html}");
    // Another supervisor does not see this import or its error report.
    assert_eq!(
        app.get_with(&other, &page).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_with(&other, &format!("{page}/galat"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // A missing date or file, or a future date, re-renders the form with the date kept.
    let res = upload(&app, &spv, "x.csv", "", b"nik\n".to_vec()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Isi tanggal ekstrak"));
    let tomorrow = (pesiar::web::today() + chrono::Duration::days(1)).to_string();
    let res = upload(&app, &spv, "x.csv", &tomorrow, Vec::new()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("tidak boleh di masa depan"), "{html}");
    assert!(html.contains("Pilih berkas CSV atau XLSX."), "{html}");
    assert!(html.contains(&format!("value=\"{tomorrow}\"")), "{html}");

    // A file without the required columns fails as a whole, with the columns named.
    let res = upload(
        &app,
        &spv,
        "judul.csv",
        &day(1).to_string(),
        b"nama,nik\nA,1\n".to_vec(),
    )
    .await;
    let page = location(&res);
    for _ in 0..100 {
        let html = app.get_with(&spv, &page).await.text().await.unwrap();
        if html.contains("Gagal") {
            assert!(html.contains("jenis_kelamin"), "{html}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("a file without the required columns did not fail");
}

#[tokio::test]
async fn an_xlsx_extract_imports_like_a_csv() {
    let app = spawn_app().await;
    let spv = supervisor(&app, "spv.xlsx", &["32.73.02"]).await;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let header = [
        "nik",
        "no_kk",
        "nama",
        "jenis_kelamin",
        "tanggal_lahir",
        "kode_wilayah",
        "rt",
        "rw",
        "alamat",
        "no_kartu_jkn",
        "segmen",
        "kelas",
        "status",
        "alasan_nonaktif",
    ];
    for (col, name) in header.iter().enumerate() {
        sheet.write_string(0, col as u16, *name).unwrap();
    }
    let people = [
        (nik("327302", 9, 9, 99, false, 21), "Fajar", "L", "AKTIF"),
        (nik("327302", 8, 8, 88, true, 22), "Gita", "P", "NON AKTIF"),
    ];
    for (i, (n, name, sex, status)) in people.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, n).unwrap();
        sheet.write_string(row, 2, *name).unwrap();
        sheet.write_string(row, 3, *sex).unwrap();
        sheet.write_string(row, 4, "1999-09-09").unwrap();
        sheet.write_string(row, 5, DAGO).unwrap();
        sheet.write_number(row, 6, 4).unwrap();
        sheet.write_number(row, 7, 5).unwrap();
        sheet.write_string(row, 8, "Jl. Lembar Kerja").unwrap();
        // A spreadsheet keeps the card number as a number: its leading zeros come back.
        sheet
            .write_number(row, 9, 2802875185.0 + f64::from(row))
            .unwrap();
        sheet.write_string(row, 10, "PBPU").unwrap();
        sheet.write_number(row, 11, 1).unwrap();
        sheet.write_string(row, 12, *status).unwrap();
    }
    let bytes = workbook.save_to_buffer().unwrap();
    let (_, html) = import(&app, &spv, "roster.xlsx", day(2), bytes).await;
    assert!(html.contains("<dt>Peserta baru</dt><dd>2</dd>"), "{html}");
    assert!(
        html.contains("<dt>Baris tidak valid (dilewati)</dt><dd>0</dd>"),
        "{html}"
    );
    let cards: Vec<Option<String>> = app
        .with_conn(|conn| {
            members::table
                .order(members::id)
                .select(members::jkn_number)
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(
        cards,
        vec![Some("0002802875186".into()), Some("0002802875187".into())]
    );
}

#[tokio::test]
async fn the_command_line_imports_and_writes_the_error_report() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ekstrak.csv");
    let report = dir.path().join("galat.csv");
    let good = nik("327302", 4, 4, 84, true, 31);
    std::fs::write(
        &file,
        format!(
            "\u{feff}{}\n{good};;Hana;P;04-04-1984;{DAGO};2;3;Jl. CLI;;PBI JK;;AKTIF;\n\
             {good};;Hana Lagi;P;04-04-1984;{DAGO};2;3;Jl. CLI;;PBI JK;;AKTIF;\n",
            HEADER.replace(';', ",").to_lowercase(),
        )
        .replace(';', ","),
    )
    .unwrap();
    let url = crate::helpers::database_url_string(&app._database.url);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pesiar"))
        .env("DATABASE_URL", &url)
        .env("PESIAR_SECRET_KEY", "cli-test-secret-key-0123456789abcdef")
        .args(["import", "roster"])
        .arg(&file)
        .args(["--tanggal", &day(3).to_string(), "--galat"])
        .arg(&report)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("2 baris dibaca, 1 tidak valid; 1 peserta baru"),
        "{stdout}"
    );
    let errors = std::fs::read_to_string(&report).unwrap();
    assert!(
        errors.contains("3,nik,,Peserta yang sama sudah ada"),
        "{errors}"
    );
    assert_eq!(status_of(&app, &good).await.1, "aktif");
}

#[tokio::test]
async fn a_figures_file_sets_the_population_but_keeps_the_roster_counts() {
    let app = spawn_app().await;
    let spv = supervisor(&app, "spv.angka", &["32.73.02"]).await;
    let date = day(5);
    let people = (1..=4)
        .map(|i| {
            let status = if i == 1 { "NON AKTIF" } else { "AKTIF" };
            format!(
                "{};;Warga {};L;01-01-1980;{DAGO};1;1;Jl. Angka;;PBPU;3;{status};\n",
                nik("327302", 1, 1, 80, false, 40 + i),
                ["", "Ani", "Budi", "Cici", "Dodi"][i as usize]
            )
        })
        .collect::<String>();
    let (_, html) = import(
        &app,
        &spv,
        "r.csv",
        date,
        format!("{HEADER}\n{people}").into_bytes(),
    )
    .await;
    assert!(html.contains("<dt>Peserta baru</dt><dd>4</dd>"), "{html}");
    let figures_file = format!(
        "kode_wilayah,tanggal,penduduk,peserta_terdaftar,peserta_aktif\n{DAGO},{date},5000,4900,3900\n"
    );
    // Uploaded and applied ("Terapkan").
    let res = crate::progress::upload(&app, &spv, "angka.csv", figures_file.into_bytes()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let row: (i32, i32, i32) = app
        .with_conn(move |conn| {
            use pesiar::db::schema::figures;
            figures::table
                .find((DAGO, date))
                .select((figures::population, figures::registered, figures::active))
                .first(conn)
                .unwrap()
        })
        .await;
    assert_eq!(row, (5000, 4, 3));
}

/// A long roster import and agents recording visits at the same time: every visit succeeds
/// (no "database is locked"), and the import finishes.
#[tokio::test]
async fn visits_keep_succeeding_during_a_long_import() {
    let app = spawn_app().await;
    let f = fixture(&app, "agen.selama.impor", DAGO).await;
    let spv = supervisor(&app, "spv.impor.panjang", &["32.73.02"]).await;
    let mut csv = format!("{HEADER}\n");
    for i in 0..20_000u32 {
        let nik = nik(
            "327302",
            1 + i % 28,
            1 + (i / 28) % 12,
            50 + (i / 336) % 50,
            i % 2 == 0,
            1 + i / 16_800,
        );
        let status = if i % 5 == 0 { "NON AKTIF" } else { "AKTIF" };
        let kk = format!("32730201{:08}", i / 4);
        csv.push_str(&format!(
            "{nik};{kk};Warga Uji;{};01-01-1970;{DAGO};{};1;Jl. Muat No. {};;PBPU;3;{status};\n",
            if i % 2 == 0 { "P" } else { "L" },
            1 + i % 9,
            i / 4
        ));
    }
    let today = pesiar::web::today().format("%Y-%m-%d").to_string();
    let form = format!("/rumah-tangga/{}/kunjungan/baru", f.household);
    let importing = import(&app, &spv, "besar.csv", day(1), csv.into_bytes());
    let running = || {
        app.with_conn(|conn| {
            use pesiar::db::schema::roster_imports;
            roster_imports::table
                .filter(roster_imports::state.eq("berjalan"))
                .count()
                .get_result::<i64>(conn)
                .unwrap()
                > 0
        })
    };
    let visiting = async {
        let mut statuses = Vec::new();
        let mut during_import = 0;
        for _ in 0..30 {
            let res = app
                .submit(
                    &f.agent,
                    &form,
                    &[("visited_on", &today), ("outcome", "tidak_ditemui")],
                )
                .await;
            statuses.push(res.status());
            during_import += usize::from(running().await);
        }
        (statuses, during_import)
    };
    let ((_, html), (statuses, during_import)) = tokio::join!(importing, visiting);
    assert!(during_import > 0, "the visits overlapped the import");
    assert!(
        html.contains("<dt>Peserta baru</dt><dd>20000</dd>"),
        "{html}"
    );
    assert!(
        statuses.iter().all(|s| *s == StatusCode::SEE_OTHER),
        "every visit recorded during the import: {statuses:?}"
    );
}

/// The import loads the members it may match once, at its start. A member the field adds while
/// it runs is not in that list; the roster row for that member must still find them (the
/// batch is applied again with every row looked up), not fail the import or add them twice.
#[tokio::test]
async fn a_member_added_in_the_field_during_an_import_is_matched() {
    use pesiar::roster::import::{self, Importer};
    let app = spawn_app().await;
    let f = fixture(&app, "agen.impor.bersamaan", DAGO).await;
    let late = nik("327302", 9, 9, 99, false, 9999);
    // Two batches' worth of rows; the member the field adds is in the second.
    let mut csv = format!("{HEADER}\n");
    for i in 0..10_049u32 {
        let nik = nik(
            "327302",
            1 + i % 28,
            1 + (i / 28) % 12,
            50 + (i / 336) % 40,
            i % 2 == 0,
            1 + i / 13_440,
        );
        csv.push_str(&format!(
            "{nik};32730201{:08};Warga Uji;{};01-01-1970;{DAGO};1;1;Jl. Muat No. {};;PBPU;3;AKTIF;\n",
            i / 4,
            if i % 2 == 0 { "P" } else { "L" },
            i / 4
        ));
    }
    csv.push_str(&format!(
        "{late};;Warga Belakangan;L;09-09-1999;{DAGO};1;1;Jl. Muat No. 1;;PBPU;3;AKTIF;\n"
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bersamaan.csv");
    std::fs::write(&path, csv).unwrap();
    let url = app._database.url.clone();
    let household = f.household;
    let late_nik = late.clone();
    let (progress, added) = app
        .with_conn(move |conn| {
            let id = import::begin(conn, day(1), "bersamaan.csv", None).unwrap();
            let mut side = pesiar::db::establish(&url).unwrap();
            let mut added = None;
            let progress = import::run(
                conn,
                id,
                &path,
                day(1),
                &Importer { user: None },
                &mut |p| {
                    if added.is_none() && p.rows_read > 0 {
                        let at = chrono::Local::now().naive_local();
                        added = Some(
                            diesel::insert_into(members::table)
                                .values((
                                    members::household_id.eq(household),
                                    members::nik.eq(&late_nik),
                                    members::name.eq("Warga Belakangan"),
                                    members::name_search.eq("warga belakangan"),
                                    members::sex.eq("L"),
                                    members::birth_date
                                        .eq(NaiveDate::from_ymd_opt(1999, 9, 9).unwrap()),
                                    members::relationship.eq("lainnya"),
                                    members::segment.eq("pbpu"),
                                    members::status.eq("nonaktif"),
                                    members::created_at.eq(at),
                                    members::updated_at.eq(at),
                                ))
                                .returning(members::id)
                                .get_result::<i32>(&mut side)
                                .unwrap(),
                        );
                    }
                },
            )
            .unwrap();
            (progress, added.unwrap())
        })
        .await;
    assert_eq!(progress.rows_invalid, 0);
    assert_eq!(progress.members_created, 10_049);
    assert_eq!(
        progress.members_changed, 1,
        "the field's member, now active"
    );
    assert_eq!(status_of(&app, &late).await, (added, "aktif".to_string()));
    let with_nik: i64 = app
        .with_conn(move |conn| {
            members::table
                .filter(members::nik.eq(late))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(with_nik, 1);
}
