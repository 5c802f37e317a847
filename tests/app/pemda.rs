//! The Pemda's own levers (issue 26): the quota of Pemda-paid places (funded, used from a
//! roster, free, the gap it would close) on the kab/kota page, its progress page and API and
//! the CLI; the Dinsos list's scope, download and audit, and Dinsos's answers settling claims;
//! the village officials counted from the roster and the office.

use diesel::prelude::*;
use pesiar::db::schema::{audit_log, dinsos_answers, members, reactivations};
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::cli::pesiar;
use crate::helpers::{TestApp, database_url_string, location, spawn_app};
use crate::journeys::{fixture, nik};
use crate::roster::{HEADER, day, import};

const DAGO: &str = "32.73.02.1004";
/// Names for roster rows (a roster name has no digits).
pub const NAMES: [&str; 12] = [
    "Ani", "Budi", "Cici", "Dodi", "Euis", "Fajar", "Gita", "Hadi", "Iis", "Joko", "Kiki", "Lina",
];

/// A Dago extract: 4 active and 1 inactive PBI APBD members, 5 inactive mandiri ones
/// (registered 10, active 4: 4 short of 80%).
fn quota_extract() -> Vec<u8> {
    let mut csv = format!("{HEADER}\n");
    for i in 0..10u32 {
        let (segment, status, reason) = match i {
            0..=3 => ("PBI APBD", "AKTIF", ""),
            4 => ("PBPU Pemda", "NON AKTIF", "Kuota Pemda"),
            _ => ("Mandiri", "NON AKTIF", "Menunggak"),
        };
        let class = if segment == "Mandiri" { "3" } else { "" };
        csv.push_str(&format!(
            "{};;Warga {};L;01-01-1980;{DAGO};1;1;Jl. Kuota {i};;{segment};{class};{status};{reason}\n",
            nik("327302", 1, 1, 80, false, 100 + i),
            NAMES[i as usize]
        ));
    }
    csv.into_bytes()
}

/// The fixture's inactive member proposed for Pemda-paid membership by its agent.
async fn propose(app: &TestApp, f: &crate::journeys::Fixture) {
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
                (&format!("m.{ibu}.action"), "usul_pbi_pemda"),
                (&format!("m.{ibu}.segment"), "pbi_apbd"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn json(app: &TestApp, client: &reqwest::Client, path: &str) -> serde_json::Value {
    let res = app.get_with(client, path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

async fn text(app: &TestApp, client: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let res = app.get_with(client, path).await;
    (res.status(), res.text().await.unwrap())
}

/// Every cell of the first sheet as text, one row a line.
fn xlsx_text(bytes: &[u8]) -> String {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn audits(app: &TestApp, action: &'static str) -> Vec<(String, String)> {
    app.with_conn(move |conn| {
        audit_log::table
            .filter(audit_log::action.eq(action))
            .order(audit_log::id)
            .select((audit_log::entity_id, audit_log::detail))
            .load(conn)
            .unwrap()
    })
    .await
}

#[tokio::test]
async fn the_quota_shows_funded_used_free_and_the_gap_it_closes() {
    let app = spawn_app().await;
    let spv = app
        .client_as("spv.kuota", Role::Supervisor, &["32.73"])
        .await;
    let f = fixture(&app, "agen.kuota", DAGO).await;
    propose(&app, &f).await;
    import(&app, &spv, "kuota.csv", day(1), quota_extract()).await;

    // A bad number is refused beside its field, the input kept; nothing stored.
    let res = app
        .post_form_with(
            &spv,
            "/pemda/32.73/kuota",
            &[("tempat", "9.000,5"), ("mulai", "2020-01-01")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Isi jumlah tempat sebagai bilangan bulat"),
        "{html}"
    );
    assert!(html.contains("value=\"9.000,5\""), "{html}");
    let res = app
        .post_form_with(
            &spv,
            "/pemda/32.73/kuota",
            &[("tempat", "10"), ("mulai", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Tanggal berlaku wajib diisi")
    );
    assert!(audits(&app, "pemda_quota.set").await.is_empty());

    let res = app
        .post_form_with(
            &spv,
            "/pemda/32.73/kuota",
            &[("tempat", "10"), ("mulai", "2020-01-01")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/pemda/32.73");
    assert_eq!(
        audits(&app, "pemda_quota.set").await,
        vec![("32.73".to_string(), "10 places from 2020-01-01".to_string())]
    );

    // Funded 10, used 4 (the active PBI APBD members of the extract), free 6; the city is 4
    // reactivations short of 80%, which the free places would close; one claim waits.
    let api = json(&app, &spv, "/api/v1/progress/32.73").await;
    let q = &api["pemda_quota"];
    assert_eq!(q["funded"], 10, "{q}");
    assert_eq!(q["used"], 4, "{q}");
    assert_eq!(q["free"], 6, "{q}");
    assert_eq!(q["over"], 0, "{q}");
    assert_eq!(q["waiting_claims"], 1, "{q}");
    assert_eq!(q["needed_to_target"], 4, "{q}");
    assert_eq!(q["gap_closed"], 4, "{q}");
    assert_eq!(q["gap_after"], 0, "{q}");
    // Only a kab/kota has a quota.
    let kecamatan = json(&app, &spv, "/api/v1/progress/32.73.02").await;
    assert!(kecamatan.get("pemda_quota").is_none(), "{kecamatan}");

    let (_, page) = text(&app, &spv, "/progres/32.73").await;
    assert!(page.contains("Kuota Pemda: 6 belum terpakai"), "{page}");
    assert!(page.contains("dibiayai 10 tempat"), "{page}");
    assert!(page.contains("menutup <strong>4</strong>"), "{page}");
    let (status, page) = text(&app, &spv, "/pemda/32.73").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Kuota Pemda: 6 belum terpakai"), "{page}");
    assert!(page.len() < 14_000, "{} bytes", page.len());

    // The command line adds a later row (same checks, audited without an actor): 3 places
    // leave none free and one used beyond the quota.
    let url = database_url_string(&app._database.url);
    let out = pesiar(&url)
        .args([
            "config",
            "kuota",
            "set",
            "--wilayah",
            "32.73",
            "--tempat",
            "3",
            "--mulai",
            "2021-01-01",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = pesiar(&url)
        .args([
            "config",
            "kuota",
            "set",
            "--wilayah",
            "32.73.02",
            "--tempat",
            "3",
            "--mulai",
            "2021-01-01",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Isi kode kabupaten/kota"));
    let out = pesiar(&url)
        .args(["config", "kuota", "list"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains("32.73\tmulai 2021-01-01\t3"), "{listed}");
    assert!(listed.contains("32.73\tmulai 2020-01-01\t10"), "{listed}");
    let api = json(&app, &spv, "/api/v1/progress/32.73").await;
    let q = &api["pemda_quota"];
    assert_eq!(
        (q["funded"].clone(), q["free"].clone(), q["over"].clone()),
        (3.into(), 0.into(), 1.into()),
        "{q}"
    );
    assert_eq!(q["gap_closed"], 0, "{q}");
    assert_eq!(audits(&app, "pemda_quota.set").await.len(), 2);

    // A kecamatan supervisor may not set the city's quota.
    let kec = app
        .client_as("spv.kuota.kec", Role::Supervisor, &["32.73.02"])
        .await;
    let res = app
        .post_form_with(
            &kec,
            "/pemda/32.73/kuota",
            &[("tempat", "1"), ("mulai", "2022-01-01")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(audits(&app, "pemda_quota.set").await.len(), 2);
}

#[tokio::test]
async fn the_dinsos_list_is_scoped_its_download_audited_and_answers_settle_claims() {
    let app = spawn_app().await;
    let spv = app
        .client_as("spv.dinsos", Role::Supervisor, &["32.73"])
        .await;
    let admin = app.client_as("admin.dinsos", Role::Admin, &[]).await;
    let elsewhere = app
        .client_as("spv.dinsos.lain", Role::Supervisor, &["32.04"])
        .await;
    let dago = fixture(&app, "agen.dinsos", DAGO).await;
    propose(&app, &dago).await;
    // A proposal in another kab/kota (Kabupaten Bandung) never shows in Kota Bandung's list.
    let other = fixture(&app, "agen.dinsos.lain", "32.04.05.2001").await;
    propose(&app, &other).await;

    let (status, page) = text(&app, &spv, "/pemda/32.73/usulan").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Ibu Contoh"), "{page}");
    assert!(page.contains("Dago (1)"), "{page}");
    assert!(!page.contains("Cileunyi"), "{page}");
    // The full NIK is never on the page, only masked.
    let full: String = app
        .with_conn({
            let id = dago.members[0];
            move |conn| {
                members::table
                    .find(id)
                    .select(members::nik)
                    .first::<Option<String>>(conn)
                    .unwrap()
                    .unwrap()
            }
        })
        .await;
    assert!(!page.contains(&full), "full NIK on the page");
    assert!(page.contains(&pesiar::members::identity::mask(&full)));
    // Another kab/kota's supervisor sees neither the list nor its download.
    assert_eq!(
        text(&app, &elsewhere, "/pemda/32.73/usulan").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_with(&elsewhere, "/pemda/32.73/usulan/unduh")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let (_, theirs) = text(&app, &elsewhere, "/pemda/32.04/usulan").await;
    assert!(
        theirs.contains("Cileunyi Kulon (1)") && !theirs.contains("Dago"),
        "{theirs}"
    );

    // The supervisor's download has the full NIK; the admin's has it masked; both audited.
    let res = app.get_with(&spv, "/pemda/32.73/usulan/unduh").await;
    assert_eq!(res.status(), StatusCode::OK);
    let book = res.bytes().await.unwrap();
    let sheet = xlsx_text(&book);
    assert!(sheet.contains(&full), "{sheet}");
    assert!(
        sheet.contains("Ibu Contoh") && !sheet.contains("Cileunyi"),
        "{sheet}"
    );
    let res = app.get_with(&admin, "/pemda/32.73/usulan/unduh").await;
    let sheet = xlsx_text(&res.bytes().await.unwrap());
    assert!(!sheet.contains(&full), "{sheet}");
    assert!(
        sheet.contains(&pesiar::members::identity::mask(&full)),
        "{sheet}"
    );
    assert_eq!(
        audits(&app, "dinsos.export").await,
        vec![
            ("32.73".to_string(), "1 proposals, NIK full".to_string()),
            ("32.73".to_string(), "1 proposals, NIK masked".to_string()),
        ]
    );

    // An answer is checked beside its field; a refusal needs its reason.
    let claim: i32 = app
        .with_conn({
            let id = dago.members[0];
            move |conn| {
                reactivations::table
                    .filter(reactivations::member_id.eq(id))
                    .select(reactivations::id)
                    .first(conn)
                    .unwrap()
            }
        })
        .await;
    let id = claim.to_string();
    let res = app
        .post_form_with(&spv, "/pemda/32.73/usulan", &[("id", &id), ("jawaban", "")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Pilih jawaban Dinsos"));
    let res = app
        .post_form_with(
            &spv,
            "/pemda/32.73/usulan",
            &[("id", &id), ("jawaban", "ditolak")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Tulis alasan penolakan"), "{html}");
    assert!(
        html.contains("value=\"ditolak\" selected"),
        "the answer is kept: {html}"
    );
    // Another kab/kota's supervisor cannot answer it.
    let res = app
        .post_form_with(
            &elsewhere,
            "/pemda/32.73/usulan",
            &[("id", &id), ("jawaban", "diterima")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Accepted into the quota: the claim is confirmed and the member active in PBI APBD.
    let res = app
        .post_form_with(
            &spv,
            "/pemda/32.73/usulan",
            &[
                ("id", &id),
                ("jawaban", "diterima"),
                ("catatan", "SK Dinsos 12/2026"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (state, segment, reason, member): (
        String,
        Option<String>,
        Option<String>,
        (String, String),
    ) = app
        .with_conn({
            let member = dago.members[0];
            move |conn| {
                let (state, segment, reason) = reactivations::table
                    .find(claim)
                    .select((
                        reactivations::state,
                        reactivations::segment,
                        reactivations::decision_reason,
                    ))
                    .first(conn)
                    .unwrap();
                let m = members::table
                    .find(member)
                    .select((members::status, members::segment))
                    .first(conn)
                    .unwrap();
                (state, segment, reason, m)
            }
        })
        .await;
    assert_eq!(state, "dikonfirmasi");
    assert_eq!(segment.as_deref(), Some("pbi_apbd"));
    assert_eq!(
        reason.as_deref(),
        Some("Diterima Dinsos ke kuota Pemda: SK Dinsos 12/2026")
    );
    assert_eq!(member, ("aktif".to_string(), "pbi_apbd".to_string()));
    let answers: Vec<(i32, String)> = app
        .with_conn(|conn| {
            dinsos_answers::table
                .select((dinsos_answers::claim_id, dinsos_answers::answer))
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(answers, vec![(claim, "diterima".to_string())]);
    assert_eq!(audits(&app, "dinsos.answer").await.len(), 1);
    let (_, page) = text(&app, &spv, "/pemda/32.73/usulan").await;
    assert!(page.contains("Tidak ada usulan yang menunggu"), "{page}");
    // A second answer to a settled proposal changes nothing.
    let res = app
        .post_form_with(
            &spv,
            "/pemda/32.73/usulan",
            &[("id", &id), ("jawaban", "ditolak"), ("catatan", "x")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(audits(&app, "dinsos.answer").await.len(), 1);

    // Referred elsewhere: the claim is rejected with the answer as its reason.
    let other_claim: i32 = app
        .with_conn({
            let id = other.members[0];
            move |conn| {
                reactivations::table
                    .filter(reactivations::member_id.eq(id))
                    .select(reactivations::id)
                    .first(conn)
                    .unwrap()
            }
        })
        .await;
    let res = app
        .post_form_with(
            &elsewhere,
            "/pemda/32.04/usulan",
            &[
                ("id", &other_claim.to_string()),
                ("jawaban", "dirujuk"),
                ("catatan", "ke PBI JK lewat DTSEN"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (state, reason): (String, Option<String>) = app
        .with_conn(move |conn| {
            reactivations::table
                .find(other_claim)
                .select((reactivations::state, reactivations::decision_reason))
                .first(conn)
                .unwrap()
        })
        .await;
    assert_eq!(state, "ditolak");
    assert_eq!(
        reason.as_deref(),
        Some("Dirujuk Dinsos ke jalur lain: ke PBI JK lewat DTSEN")
    );
}

/// A Dago extract with village officials: two marked by the column, one by its segment's
/// spelling but inactive, and one PPU PN member the roster does not mark.
fn officials_extract() -> Vec<u8> {
    let header = format!("{HEADER};PERANGKAT_DESA");
    let row = |i: u32, name: &str, segment: &str, status: &str, mark: &str| {
        format!(
            "{};;{name};L;01-01-1975;{DAGO};2;1;Jl. Balai Desa {i};;{segment};;{status};;{mark}\n",
            nik("327302", 1, 1, 75, false, 200 + i)
        )
    };
    let mut csv = format!("{header}\n");
    csv.push_str(&row(1, "Pak Lurah", "PPU PN", "AKTIF", "Ya"));
    csv.push_str(&row(2, "Bu Sekretaris", "PPU PN", "AKTIF", "Sekdes"));
    csv.push_str(&row(
        3,
        "Pak Kasi",
        "PPU PN Perangkat Desa",
        "NON AKTIF",
        "",
    ));
    csv.push_str(&row(4, "Pak Kaur", "PPU PN", "AKTIF", ""));
    csv.into_bytes()
}

#[tokio::test]
async fn village_officials_are_counted_from_the_roster_and_the_office() {
    let app = spawn_app().await;
    let spv = app
        .client_as("spv.perangkat", Role::Supervisor, &["32.73"])
        .await;
    let lurah = app.client_as("lurah.dago", Role::Office, &[DAGO]).await;
    let other_office = app
        .client_as("lurah.lain", Role::Office, &["32.73.02.1005"])
        .await;
    import(&app, &spv, "perangkat.csv", day(1), officials_extract()).await;

    // The office enters its count: refused beside the field when not a count, kept.
    let res = app
        .post_form_with(
            &lurah,
            &format!("/pemda/desa/{DAGO}"),
            &[("jumlah", "tiga")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Isi jumlah kepala desa dan perangkat"),
        "{html}"
    );
    assert!(html.contains("value=\"tiga\""), "{html}");
    let res = app
        .post_form_with(&lurah, &format!("/pemda/desa/{DAGO}"), &[("jumlah", "4")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        audits(&app, "village_officials.set").await,
        vec![(DAGO.to_string(), "4 officials (kantor)".to_string())]
    );
    // Another kelurahan's office can neither read nor change Dago's.
    assert_eq!(
        text(&app, &other_office, &format!("/pemda/desa/{DAGO}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let res = app
        .post_form_with(
            &other_office,
            &format!("/pemda/desa/{DAGO}"),
            &[("jumlah", "9")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // The roster marked three; two of them are active PPU PN.
    let (_, page) = text(&app, &lurah, &format!("/pemda/desa/{DAGO}")).await;
    assert!(page.contains("2 dari 4 perangkat aktif PPU PN"), "{page}");
    let (_, city) = text(&app, &spv, "/pemda/32.73").await;
    assert!(
        city.contains("perangkat desa terdaftar: 0 dari 151 desa lengkap"),
        "{city}"
    );
    assert!(
        city.contains("Pengguna lurah.dago"),
        "the office contact: {city}"
    );
    assert!(city.len() < 14_000, "{} bytes", city.len());

    // The office confirms the unmarked PPU PN member; the inactive one stays not counted,
    // so with 3 entered Dago is complete.
    let kaur: i32 = app
        .with_conn(|conn| {
            members::table
                .filter(members::name.eq("Pak Kaur"))
                .select(members::id)
                .first(conn)
                .unwrap()
        })
        .await;
    let res = app
        .post_form_with(
            &lurah,
            &format!("/pemda/desa/{DAGO}/anggota"),
            &[("member_id", &kaur.to_string()), ("aksi", "tandai")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(audits(&app, "village_official.confirm").await.len(), 1);
    let res = app
        .post_form_with(&lurah, &format!("/pemda/desa/{DAGO}"), &[("jumlah", "3")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = text(&app, &lurah, &format!("/pemda/desa/{DAGO}")).await;
    assert!(page.contains("3 dari 3 perangkat aktif PPU PN"), "{page}");
    let (_, city) = text(&app, &spv, "/pemda/32.73").await;
    assert!(
        city.contains("perangkat desa terdaftar: 1 dari 151 desa lengkap"),
        "{city}"
    );
    let (_, progress) = text(&app, &spv, "/progres/32.73").await;
    assert!(
        progress.contains("Perangkat desa terdaftar: 1 dari 151 desa lengkap"),
        "{progress}"
    );
    // The board per kecamatan: Coblong has one complete desa.
    let (_, kec) = text(&app, &spv, "/pemda/32.73.02").await;
    assert!(
        kec.contains("perangkat desa terdaftar: 1 dari 6 desa lengkap"),
        "{kec}"
    );
    // A member of another kelurahan cannot be marked from Dago.
    let res = app
        .post_form_with(
            &lurah,
            &format!("/pemda/desa/{DAGO}/anggota"),
            &[("member_id", "999999"), ("aksi", "tandai")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
