//! Supervisors' and offices' desk work: the verification queue with its filters and bulk
//! decisions, assignment by name, confirmations, the audit log, the compact menu.

use diesel::prelude::*;
use pesiar::db::schema::{members, reactivations};
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::journeys::{Fixture, fixture};

fn today() -> String {
    pesiar::web::today().format("%Y-%m-%d").to_string()
}

/// One reactivation claim for the fixture's first member; returns the claim id.
async fn report_reactivation(app: &TestApp, f: &Fixture) -> i32 {
    let ibu = f.members[0];
    let res = app
        .submit_visit(
            &f.agent,
            f.household,
            &[
                ("visited_on", &today()),
                ("outcome", "ditemui"),
                (&format!("m.{ibu}.status"), "nonaktif"),
                (&format!("m.{ibu}.action"), "tunggakan_lunas"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.with_conn(move |conn| {
        reactivations::table
            .filter(reactivations::member_id.eq(ibu))
            .select(reactivations::id)
            .first(conn)
            .unwrap()
    })
    .await
}

#[tokio::test]
async fn the_queue_shows_what_bpjs_needs_filters_and_says_what_was_decided() {
    let app = crate::helpers::spawn_app().await;
    let dago = fixture(&app, "agen.dago.q", "32.73.02.1004").await;
    let sekeloa = fixture(&app, "agen.sekeloa.q", "32.73.02.1005").await;
    let ibu = dago.members[0];
    app.with_conn(move |conn| {
        diesel::update(members::table.find(ibu))
            .set(members::jkn_number.eq("0001234567890"))
            .execute(conn)
            .unwrap()
    })
    .await;
    let in_dago = report_reactivation(&app, &dago).await;
    let in_sekeloa = report_reactivation(&app, &sekeloa).await;
    let spv = app
        .client_as("spv.queue", Role::Supervisor, &["32.73.02"])
        .await;

    let queue = app
        .get_with(&spv, "/verifikasi")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        queue.contains("Dago") && queue.contains("Sekeloa"),
        "{queue}"
    );
    assert!(!queue.contains("(32.73.02.1004)"), "a name, not a code");
    assert!(queue.contains("No. kartu <strong>0001234567890</strong>"));
    assert!(queue.contains("NIK 3273********"), "masked NIK");
    assert!(queue.contains("id=\"pilih-semua\""), "select all");

    // Filters are GET parameters: kelurahan, agent, kind, age.
    let only_dago = app
        .get_with(&spv, "/verifikasi?kelurahan=32.73.02.1004")
        .await
        .text()
        .await
        .unwrap();
    assert!(only_dago.contains("1 laporan"), "{only_dago}");
    assert!(only_dago.contains(&format!("name=\"id\" value=\"{in_dago}\"")));
    assert!(!only_dago.contains(&format!("name=\"id\" value=\"{in_sekeloa}\"")));
    let agent_id = crate::helpers::user_id(&app, "agen.sekeloa.q").await;
    let by_agent = app
        .get_with(&spv, &format!("/verifikasi?petugas={agent_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(by_agent.contains(&format!("name=\"id\" value=\"{in_sekeloa}\"")));
    assert!(!by_agent.contains(&format!("name=\"id\" value=\"{in_dago}\"")));
    let registrations = app
        .get_with(&spv, "/verifikasi?jenis=pendaftaran")
        .await
        .text()
        .await
        .unwrap();
    assert!(registrations.contains("Tidak ada laporan yang menunggu."));
    let old = app
        .get_with(&spv, "/verifikasi?umur=7&petugas=x")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        old.contains("Tidak ada laporan yang menunggu."),
        "reported today"
    );

    // A rejection without a reason: the message is by the reason field, the ticks are kept,
    // and no empty box at the top.
    let a = in_dago.to_string();
    let b = in_sekeloa.to_string();
    let res = app
        .submit(
            &spv,
            "/verifikasi",
            &[("id", &a), ("keputusan", "tolak"), ("alasan", "  ")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(!html.contains("error-box"), "{html}");
    assert!(html.contains("aria-describedby=\"alasan-err\">\n<p class=\"field-error\" id=\"alasan-err\">Alasan penolakan wajib diisi."));
    assert!(html.contains(&format!("value=\"{a}\" checked")));

    // Confirming both, one already decided by then: the flash counts both.
    let res = app
        .submit(
            &spv,
            "/verifikasi?kelurahan=32.73.02.1004",
            &[("id", &a), ("keputusan", "konfirmasi")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        crate::helpers::location(&res),
        "/verifikasi?kelurahan=32.73.02.1004",
        "back to the filtered queue"
    );
    let page = app
        .get_with(&spv, "/verifikasi")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("1 dikonfirmasi."), "{page}");
    assert!(!page.contains("dilewati"));
    let res = app
        .submit(
            &spv,
            "/verifikasi",
            &[
                ("id", &a),
                ("id", &b),
                ("keputusan", "tolak"),
                ("alasan", "Belum lunas"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = app
        .get_with(&spv, "/verifikasi")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("1 ditolak. 1 dilewati: di luar wilayah Anda atau sudah diputuskan."),
        "{page}"
    );
}

#[tokio::test]
async fn assignment_by_kelurahan_name_keeps_values_and_asks_before_ending() {
    let app = crate::helpers::spawn_app().await;
    let f = fixture(&app, "agen.nama", "32.73.02.1004").await;
    let other = app
        .create_user("agen.nama.dua", Role::Agent, &["32.73.02.1005"])
        .await;
    let spv = app
        .client_as("spv.nama", Role::Supervisor, &["32.73.02"])
        .await;
    let board = app.get_with(&spv, "/penugasan").await.text().await.unwrap();
    assert!(
        board.contains("<select id=\"region_code\" name=\"region_code\""),
        "a choice, not a code field"
    );
    assert!(
        board.contains("<optgroup label=\"Coblong\"><option value=\"32.73.02.1001\">")
            && board.contains("<option value=\"32.73.02.1004\">Dago<"),
        "the kelurahan by name, grouped by kecamatan: {board}"
    );
    assert!(
        board.contains("<th colspan=\"5\" scope=\"rowgroup\">Kecamatan Coblong</th>"),
        "{board}"
    );

    // No kelurahan chosen: the worker stays chosen, the message is by the kelurahan field.
    let other_s = other.to_string();
    let res = app
        .post_form_with(
            &spv,
            "/penugasan",
            &[
                ("aksi", "tugaskan"),
                ("user_id", &other_s),
                ("region_code", "32.73.02.100"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!("<option value=\"{other_s}\" selected>")),
        "{html}"
    );
    assert!(html.contains(
        "<p class=\"field-error\" id=\"region_code-err\">Pilih desa/kelurahan di wilayah Anda.</p>"
    ));

    // Ending asks first and changes nothing until confirmed.
    let res = app
        .post_form_with(
            &spv,
            "/penugasan",
            &[
                ("aksi", "akhiri"),
                ("user_id", &other_s),
                ("region_code", "32.73.02.1005"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(
            "Akhiri penugasan Pengguna agen.nama.dua (Agen PESIAR) di Sekeloa, Kec. Coblong?"
        ),
        "{html}"
    );
    assert!(html.contains("name=\"yakin\" value=\"ya\""));
    let board = app.get_with(&spv, "/penugasan").await.text().await.unwrap();
    assert!(
        board.contains("Pengguna agen.nama.dua <small>"),
        "still assigned"
    );
    let res = app
        .post_form_with(
            &spv,
            "/penugasan",
            &[
                ("aksi", "akhiri"),
                ("user_id", &other_s),
                ("region_code", "32.73.02.1005"),
                ("yakin", "ya"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Many worklist households to one agent at once, from one form.
    let second = crate::journeys::create_household(
        &app,
        &f.agent,
        "32.73.02.1004",
        "4",
        "Jl. Contoh No. 2",
        "",
    )
    .await;
    let page = app
        .get_with(&spv, "/progres/32.73.02.1004")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("form=\"massal\""), "{page}");
    let agent_id = crate::helpers::user_id(&app, "agen.nama").await;
    let res = app
        .post_form_with(
            &spv,
            "/progres/32.73.02.1004/tugaskan",
            &[
                ("household_id", &f.household.to_string()),
                ("household_id", &second.to_string()),
                ("user_id", &agent_id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let assigned: i64 = app
        .with_conn(move |conn| {
            pesiar::db::schema::household_assignments::table
                .filter(pesiar::db::schema::household_assignments::user_id.eq(agent_id))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(assigned, 2);
}

#[tokio::test]
async fn disabling_an_account_needs_its_confirmation_ticked() {
    let app = crate::helpers::spawn_app().await;
    app.sign_in_as("admin.yakin", Role::Admin, &[]).await;
    let id = app
        .create_user("kader.yakin", Role::Kader, &["32.73.02.1004"])
        .await;
    let page = app.get_text(&format!("/admin/pengguna/{id}")).await.1;
    assert!(page.contains("name=\"yakin\" value=\"ya\" required"));
    let res = app
        .post_form(&format!("/admin/pengguna/{id}/nonaktifkan"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains(
        "<p class=\"field-error\" id=\"yakin-err\">Centang konfirmasi untuk menonaktifkan akun ini.</p>"
    ));
    let disabled: bool = app
        .with_conn(move |conn| {
            pesiar::db::schema::users::table
                .find(id)
                .select(pesiar::db::schema::users::disabled)
                .first(conn)
                .unwrap()
        })
        .await;
    assert!(!disabled);

    // An admin with an area is refused, as the hint says, and the codes are kept.
    let res = app
        .post_form(
            &format!("/admin/pengguna/{id}"),
            &[
                ("full_name", "Kader Yakin"),
                ("role", "admin"),
                ("areas", "32.73.02.1004"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Admin melihat seluruh wilayah: kosongkan kode wilayah."));
}

/// The GOV.UK error summary: a long form with mistakes starts with a box listing each message,
/// in the form's order, as a link to its field; the fields keep their own messages and values.
#[tokio::test]
async fn a_long_form_with_mistakes_starts_with_a_summary_linking_to_each_field() {
    let app = crate::helpers::spawn_app().await;
    let f = fixture(&app, "agen.ringkas", "32.73.02.1004").await;
    let res = crate::journeys::add_member(
        &app,
        &f.agent,
        f.household,
        &[
            ("nik", "1234"),
            ("name", "Budi Ringkas"),
            ("birth_date", ""),
            ("relationship", "anak"),
            ("status", "aktif"),
            ("segment", "pbpu"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    let summary = html
        .split("<h2 id=\"perbaiki-judul\">Ada yang perlu diperbaiki</h2>")
        .nth(1)
        .expect("a summary at the top")
        .split("</div>")
        .next()
        .unwrap();
    let nik = summary.find("<a href=\"#nik\">").expect("NIK is listed");
    let sex = summary.find("<a href=\"#sex\">").expect("sex is listed");
    let birth = summary
        .find("<a href=\"#birth_date\">")
        .expect("birth date is listed");
    assert!(nik < sex && sex < birth, "in the form's order: {summary}");
    assert!(
        html.find("perbaiki-judul").unwrap() < html.find("id=\"nik\"").unwrap(),
        "before the form"
    );
    // Every link has its target on the page, and the typed name is kept.
    for target in ["id=\"nik\"", "id=\"sex\"", "id=\"birth_date\""] {
        assert!(html.contains(target), "{target}");
    }
    assert!(html.contains("value=\"Budi Ringkas\""));

    // The household form too.
    let res = app
        .submit(
            &f.agent,
            "/rumah-tangga/baru",
            &[
                ("region_code", "32.73.02.1004"),
                ("rt", ""),
                ("rw", "5"),
                ("address", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Ada yang perlu diperbaiki"));
    assert!(html.contains("<li><a href=\"#rt\">"));
    assert!(html.contains("<li><a href=\"#address\">"));
}

/// The user's history reads in Indonesian: the action's label, the actor by name (one join, not
/// "pengguna #1"), and a long area list kept inside its card.
#[tokio::test]
async fn the_audit_history_names_actions_and_actors_in_indonesian() {
    let app = crate::helpers::spawn_app().await;
    app.sign_in_as("admin.siti", Role::Admin, &[]).await;
    let id = app
        .create_user("agen.riwayat", Role::Agent, &["32.73.02.1004"])
        .await;
    let areas = "32.73.02.1001\n32.73.02.1002\n32.73.02.1003\n32.73.02.1004\n32.73.02.1005";
    let res = app
        .post_form(
            &format!("/admin/pengguna/{id}"),
            &[
                ("full_name", "Agen Riwayat"),
                ("role", "agent"),
                ("areas", areas),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_text(&format!("/admin/pengguna/{id}")).await;
    let history = html.split("Riwayat perubahan").nth(1).unwrap();
    assert!(
        history.contains("<strong>Data pengguna diubah</strong>"),
        "{history}"
    );
    assert!(
        history.contains(" · oleh Pengguna admin.siti</span>"),
        "{history}"
    );
    assert!(!history.contains("pengguna #"), "{history}");
    assert!(!history.contains("user.update"), "{history}");
    assert!(
        history.contains("<span class=\"muted detail\">nama diubah; wilayah 32.73.02.1004 → "),
        "{history}"
    );
}

fn number(cell: &calamine::Data) -> f64 {
    match cell {
        calamine::Data::Float(f) => *f,
        other => panic!("a number cell: {other:?}"),
    }
}

fn sheet_of(bytes: Vec<u8>) -> (Vec<String>, calamine::Range<calamine::Data>) {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    let range = book.worksheet_range(&names[0]).unwrap();
    (names, range)
}

/// Downloads that open well in Excel: the XLSX has a named sheet, Indonesian column titles,
/// real date and number cells and a total row; the CSV starts with a BOM and writes ratios as
/// numbers; the file names carry the figures' date and the period the counts cover.
#[tokio::test]
async fn exports_read_back_with_typed_cells_and_a_total_row() {
    use calamine::Data;
    let app = crate::helpers::spawn_app().await;
    let spv = app
        .client_as("spv.ekspor", Role::Supervisor, &["32.73"])
        .await;
    crate::progress::load_bandung(&app, &spv).await;

    let res = app.get_with(&spv, "/progres/32.73/unduh?format=xlsx").await;
    assert_eq!(res.status(), StatusCode::OK);
    let name = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        name.contains("progres-32.73-data-2025-06-30.xlsx"),
        "{name}"
    );
    let (sheets, range) = sheet_of(res.bytes().await.unwrap().to_vec());
    assert_eq!(sheets, vec!["Progres".to_string()]);
    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        &header[..4],
        ["Kode wilayah", "Nama", "Tanggal", "Penduduk"]
    );
    let rows: Vec<&[Data]> = range.rows().collect();
    assert_eq!(rows.len(), 1 + 30 + 1, "header, 30 kecamatan, total");
    let first = rows[1];
    let Data::DateTime(d) = &first[2] else {
        panic!("a real date: {:?}", first[2]);
    };
    assert!(d.is_datetime());
    let (y, m, day, ..) = d.to_ymd_hms_milli();
    assert_eq!((y, m, day), (2025, 6, 30));
    assert!(
        matches!(first[3], Data::Float(_)),
        "a number: {:?}",
        first[3]
    );
    assert!(
        matches!(first[7], Data::Float(r) if r > 0.5 && r < 1.0),
        "a ratio: {:?}",
        first[7]
    );
    let total = rows.last().unwrap();
    assert_eq!(total[0].to_string(), "Jumlah");
    let summed: f64 = rows[1..rows.len() - 1].iter().map(|r| number(&r[3])).sum();
    assert_eq!(number(&total[3]), summed);
    assert_eq!(number(&total[3]), 2_591_763.0);

    // The board: its own sheet, the figures' date and this month's period in the name.
    let res = app.get_with(&spv, "/penugasan/unduh?format=xlsx").await;
    let name = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    let today = pesiar::web::today();
    let month = format!("{}", today.format("%Y-%m-01"));
    assert!(
        name.contains(&format!(
            "penugasan-data-2025-06-30-kunjungan-{month}-sd-{today}.xlsx"
        )),
        "{name}"
    );
    let (sheets, range) = sheet_of(res.bytes().await.unwrap().to_vec());
    assert_eq!(sheets, vec!["Penugasan".to_string()]);
    let rows: Vec<&[Data]> = range.rows().collect();
    assert_eq!(rows[0][1].to_string(), "Desa/kelurahan");
    assert!(
        matches!(rows[1][9], Data::Float(_)),
        "keaktifan as a number"
    );
    assert!(
        matches!(rows[1][10], Data::DateTime(_)),
        "figures date as a date"
    );
    let total = rows.last().unwrap();
    assert_eq!(total[0].to_string(), "Jumlah");
    assert_eq!(total[1].to_string(), "151 desa/kelurahan");

    // CSV: a BOM, ratios as numbers (not "82,98%").
    let bytes = app
        .get_with(&spv, "/penugasan/unduh?format=csv")
        .await
        .bytes()
        .await
        .unwrap();
    assert!(bytes.starts_with("\u{feff}kode_wilayah,".as_bytes()));
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(!text.contains('%'), "no percentage text");
    let second = text.lines().nth(1).unwrap();
    let ratio = second.split(',').nth(9).unwrap();
    assert!(
        ratio.parse::<f64>().is_ok_and(|r| r > 0.0 && r < 1.0),
        "{second}"
    );
    let bytes = app
        .get_with(&spv, "/progres/32.73/unduh?format=csv")
        .await
        .bytes()
        .await
        .unwrap();
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "the progress CSV too"
    );
}

/// The printed board: the kecamatan's name, the print date, and each worker's phone; the
/// controls and the menu are left off the paper.
#[tokio::test]
async fn the_printed_board_names_the_kecamatan_the_date_and_the_phones() {
    let app = crate::helpers::spawn_app().await;
    let agent = app
        .create_user("agen.cetak", Role::Agent, &["32.73.02.1004"])
        .await;
    app.with_conn(move |conn| {
        diesel::update(pesiar::db::schema::users::table.find(agent))
            .set(pesiar::db::schema::users::phone.eq("0812-3456-7890"))
            .execute(conn)
            .unwrap();
    })
    .await;
    let office = app
        .client_as("kantor.cetak", Role::Office, &["32.73.02"])
        .await;
    let html = app
        .get_with(&office, "/penugasan")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<span class=\"print-only\"> · Kecamatan Coblong</span></h1>"),
        "{html}"
    );
    let today = pesiar::web::today().format("%d-%m-%Y").to_string();
    assert!(
        html.contains(&format!("<p class=\"print-only\">Dicetak {today} ")),
        "{html}"
    );
    assert!(html.contains("Pengguna agen.cetak <small>(Agen PESIAR, 0812-3456-7890"));
    let css_path = html
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let css = app.get_with(&office, css_path).await.text().await.unwrap();
    let print = css
        .split("@media print{")
        .nth(1)
        .expect("a print stylesheet");
    assert!(print.contains(".print-only{display:initial}"));
    assert!(
        print.contains(".no-print{display:none}") || print.contains(",.no-print{display:none}")
    );
}

/// The compact bar: the role's three or four main destinations, the rest (and Keluar) in a
/// menu that opens without JavaScript (`<details>`).
#[tokio::test]
async fn each_role_gets_a_compact_bar_and_a_menu_for_the_rest() {
    let app = crate::helpers::spawn_app().await;
    /// (username, role, areas, the bar's links, some of the menu's links)
    type Case = (
        &'static str,
        Role,
        &'static [&'static str],
        &'static [&'static str],
        &'static [&'static str],
    );
    let cases: [Case; 4] = [
        (
            "agen.bar",
            Role::Agent,
            &["32.73.02.1004"],
            &["/", "/rumah-tangga", "/progres"],
            &["/wilayah", "/akun/password"],
        ),
        (
            "spv.bar",
            Role::Supervisor,
            &["32.73.02"],
            &["/", "/verifikasi", "/penugasan", "/progres"],
            &["/rumah-tangga", "/data/impor", "/wilayah", "/akun/password"],
        ),
        (
            "kantor.bar",
            Role::Office,
            &["32.73.02"],
            &["/", "/progres", "/penugasan"],
            &["/rumah-tangga", "/wilayah", "/akun/password"],
        ),
        (
            "admin.bar",
            Role::Admin,
            &[],
            &["/", "/admin/pengguna", "/progres"],
            &["/verifikasi", "/penugasan", "/wilayah", "/akun/password"],
        ),
    ];
    for (username, role, areas, main, more) in cases {
        let client = app.client_as(username, role, areas).await;
        let html = app.get_with(&client, "/").await.text().await.unwrap();
        let nav = html
            .split("<nav aria-label=\"Menu utama\">")
            .nth(1)
            .unwrap()
            .split("</nav>")
            .next()
            .unwrap();
        let (bar, menu) = nav.split_once("<details class=\"more\">").expect("a menu");
        let hrefs = |part: &str| -> Vec<String> {
            part.split("<a href=\"")
                .skip(1)
                .map(|a| a.split('"').next().unwrap().to_string())
                .collect()
        };
        assert_eq!(hrefs(bar), main, "{username}: the bar");
        for path in more {
            assert!(
                hrefs(menu).contains(&path.to_string()),
                "{username}: {path} in the menu"
            );
        }
        assert!(menu.contains("<summary>Menu</summary>"));
        assert!(menu.contains("action=\"/logout\""), "Keluar in the menu");
    }
}
