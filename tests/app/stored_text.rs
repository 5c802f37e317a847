//! Hostile text: script and attribute payloads behind spreadsheet formulas, stored through the
//! field forms and by an admin, must be inert on every page and in every download.

use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, location, new_client, spawn_app};

const SCRIPT: &str = "<script>alert(document.cookie)</script>";
const IMG: &str = "\"><img src=x onerror=alert(document.domain)>";

/// Script and attribute payloads, each behind a spreadsheet formula, stored by the field and by
/// an admin, then opened on every page and in every download that shows them.
#[tokio::test]
async fn hostile_text_is_inert_on_every_page_and_in_every_download() {
    use crate::journeys::{add_member_ok, create_household};
    let app = spawn_app().await;
    let dago = "32.73.02.1004";
    let agent_name = format!("=Agen Jahat {SCRIPT}");
    let agent_id = app
        .db
        .run({
            let agent_name = agent_name.clone();
            move |conn| {
                let input = pesiar::users::forms::UserInput {
                    username: "agen.jahat".into(),
                    full_name: agent_name,
                    phone: "+62 812-3456-7890".into(),
                    role: Role::Agent,
                    areas: vec![pesiar::regions::RegionCode::parse(dago).unwrap()],
                };
                let hash = pesiar::auth::password::hash(PASSWORD)?;
                pesiar::users::queries::create(conn, &input, &hash, false, None)
                    .map_err(|e| pesiar::AppError::internal(format!("{e:?}")))
            }
        })
        .await
        .unwrap();
    let agent = new_client();
    app.login_with(&agent, "agen.jahat", PASSWORD).await;
    let address = format!("=HYPERLINK(\"http://jahat.example\",\"klik\") {SCRIPT}");
    let household = create_household(&app, &agent, dago, "1", &address, "").await;
    let landmark = format!("+cmd|' /C calc'!A0 {IMG}");
    let res = app
        .submit(
            &agent,
            &format!("/rumah-tangga/{household}/ubah"),
            &[
                ("region_code", dago),
                ("rt", "1"),
                ("rw", "5"),
                ("address", &address),
                ("landmark", &landmark),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let name = format!("-Kepala {IMG}");
    let member = add_member_ok(
        &app,
        &agent,
        household,
        &[
            ("nik_unknown", "on"),
            ("name", &name),
            ("sex", "L"),
            ("birth_date", "1980-01-01"),
            ("relationship", "kepala_keluarga"),
            ("segment", "pbpu"),
            ("class", "3"),
            ("status", "nonaktif"),
            ("inactive_reason", "tunggakan"),
        ],
    )
    .await;
    let note = format!("@SUM(1+1) {SCRIPT}");
    let res = app
        .submit_visit(
            &agent,
            household,
            &[
                ("visited_on", &pesiar::web::today().to_string()),
                ("outcome", "ditemui"),
                ("note", &note),
                (&format!("m.{member}.status"), "nonaktif"),
                (&format!("m.{member}.action"), "tunggakan_lunas"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let visit = crate::journeys::id_from(&location(&res));

    app.sign_in_as("admin.uji", Role::Admin, &[]).await;
    let res = app
        .post_form(
            &format!("/progres/{dago}/tugaskan"),
            &[
                ("household_id", &household.to_string()),
                ("user_id", &agent_id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A roster extract whose bad cells carry the payloads, for the error report.
    let roster = format!(
        "{}\n=HYPERLINK(\"http://jahat.example\");;Warga;P;01-01-1990;{dago};1;1;{SCRIPT};;PBPU;3;AKTIF;\n",
        crate::roster::HEADER
    );
    let (page, _) = crate::roster::import(
        &app,
        &app.client,
        "jahat.csv",
        crate::roster::day(1),
        roster.into_bytes(),
    )
    .await;

    let search = app.search_path(&agent, "HYPERLINK").await;
    let agent_pages = [
        "/".to_string(),
        "/rumah-tangga".to_string(),
        search,
        format!("/rumah-tangga/{household}"),
        format!("/rumah-tangga/{household}/ubah"),
        format!("/rumah-tangga/{household}/kunjungan/baru"),
        format!("/rumah-tangga/{household}/anggota/baru"),
        format!("/anggota/{member}"),
        format!("/anggota/{member}/ubah"),
        format!("/kunjungan/{visit}"),
        format!("/progres/{dago}"),
    ];
    let admin_pages = [
        format!("/rumah-tangga/{household}"),
        format!("/kunjungan/{visit}"),
        format!("/progres/{dago}"),
        "/progres/32.73.02".to_string(),
        "/verifikasi".to_string(),
        "/penugasan".to_string(),
        "/admin/pengguna".to_string(),
        format!("/admin/pengguna/{agent_id}"),
        format!("/wilayah/{dago}"),
        page.clone(),
    ];
    let mut seen_escaped = 0;
    for (client, path) in agent_pages
        .iter()
        .map(|p| (&agent, p))
        .chain(admin_pages.iter().map(|p| (&app.client, p)))
    {
        let res = app.get_with(client, path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let html = res.text().await.unwrap();
        for raw in [
            "<script>alert",
            "<img src=x",
            "onerror=alert(document.domain)>",
        ] {
            assert!(!html.contains(raw), "{path} renders {raw:?} as markup");
        }
        if html.contains("&#60;script&#62;alert") || html.contains("&#60;img src=x") {
            seen_escaped += 1;
        }
    }
    // The payloads were on the pages, escaped, so the checks above looked at them.
    assert!(seen_escaped >= 12, "payloads shown on {seen_escaped} pages");

    let downloads = [
        format!("/progres/{dago}/unduh?tabel=daftar"),
        format!("/progres/{dago}/unduh?tabel=petugas"),
        "/progres/32.73.02/unduh?".to_string(),
        "/penugasan/unduh?".to_string(),
    ];
    let mut formula_like = 0;
    for path in &downloads {
        let csv = app
            .get(&format!("{path}&format=csv"))
            .await
            .bytes()
            .await
            .unwrap();
        formula_like += check_csv(path, &csv);
        let xlsx = app
            .get(&format!("{path}&format=xlsx"))
            .await
            .bytes()
            .await
            .unwrap();
        formula_like += check_xlsx(path, &xlsx);
    }
    let galat = app
        .get(&format!("{page}/galat"))
        .await
        .bytes()
        .await
        .unwrap();
    formula_like += check_csv("galat", &galat);
    // Address, name, agent name, phone and the roster's bad NIK were all in some download.
    assert!(formula_like >= 8, "{formula_like} formula-like cells seen");
}

/// Fails on a CSV cell a spreadsheet would run; returns how many cells were neutralised.
fn check_csv(path: &str, body: &[u8]) -> usize {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut neutralised = 0;
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            assert!(
                !pesiar::tabular::looks_like_formula(cell),
                "{path}: CSV cell {cell:?} would run as a formula"
            );
            assert!(
                !cell.contains("<script>") || cell.starts_with('\''),
                "{path}"
            );
            if cell.starts_with('\'') {
                neutralised += 1;
            }
        }
    }
    neutralised
}

/// Fails on an XLSX formula or a formula-like text cell without Excel's quote prefix; returns
/// how many quoted cells there were.
fn check_xlsx(path: &str, body: &[u8]) -> usize {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(body)).expect("xlsx is a zip");
    let mut read = |name: &str| {
        let mut text = String::new();
        archive
            .by_name(name)
            .unwrap_or_else(|_| panic!("{path}: no {name}"))
            .read_to_string(&mut text)
            .unwrap();
        text
    };
    let sheet = read("xl/worksheets/sheet1.xml");
    let styles = read("xl/styles.xml");
    let strings = read("xl/sharedStrings.xml");
    assert!(!sheet.contains("<f>"), "{path}: the sheet holds a formula");
    let shared: Vec<String> = strings
        .split("<si>")
        .skip(1)
        .map(|si| {
            let text = si.split("</si>").next().unwrap();
            let start = text.find('>').map(|i| i + 1).unwrap_or(0);
            xml_unescape(text[start..].trim_end_matches("</t>"))
        })
        .collect();
    let xfs: Vec<&str> = styles
        .split("<cellXfs")
        .nth(1)
        .and_then(|s| s.split("</cellXfs>").next())
        .unwrap()
        .split("<xf ")
        .skip(1)
        .collect();
    let mut quoted = 0;
    for cell in sheet.split("<c ").skip(1) {
        let attrs = cell.split('>').next().unwrap();
        if !attrs.contains("t=\"s\"") {
            continue;
        }
        let index: usize = between(cell, "<v>", "</v>").parse().unwrap();
        let text = &shared[index];
        if pesiar::tabular::looks_like_formula(text) {
            let style: usize = between(attrs, "s=\"", "\"").parse().unwrap_or(0);
            assert!(
                xfs[style].contains("quotePrefix=\"1\""),
                "{path}: XLSX cell {text:?} has no quote prefix"
            );
            quoted += 1;
        }
    }
    quoted
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let Some(from) = text.find(start).map(|i| i + start.len()) else {
        return "";
    };
    let to = text[from..]
        .find(end)
        .map(|i| from + i)
        .unwrap_or(text.len());
    &text[from..to]
}

fn xml_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}
