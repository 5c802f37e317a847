//! A curious user edits URLs and forms. Every route the role may use, reading and writing, is
//! tried against another area's records by an agent, a kader, two offices and a supervisor from
//! elsewhere; every sequential id is guessed. Nothing of the other area may show, and nothing
//! may change.

use std::time::Duration;

use chrono::NaiveDate;
use diesel::prelude::*;
use pesiar::db::schema::{
    assignment_history, figures, household_assignments, households, member_history, members,
    reactivations, roster_imports, user_areas, visit_members, visits,
};
use pesiar::users::Role;
use pesiar::web::routes::Access;
use reqwest::StatusCode;

use crate::access::{Samples, concrete_path};
use crate::helpers::{PASSWORD, TestApp, location, new_client, spawn_app};
use crate::journeys::{Fixture, fixture};

/// The victim kelurahan (Sekeloa, Kecamatan Coblong) and what only its own people may see.
const VICTIM: &str = "32.73.02.1005";
const MARKERS: &[&str] = &[
    "Jl. Contoh No. 1",
    "Ibu Contoh",
    "Anak Contoh",
    "rumah kosong",
    "agen.korban",
    "Warga Roster Rahasia",
    "roster-rahasia.csv",
    "nik-rahasia",
];

/// Everything an attempt could have changed in the victim's area.
#[derive(Debug, PartialEq)]
struct State {
    households: Vec<(i32, String, String, String)>,
    members: Vec<(i32, String, String, String)>,
    visits: Vec<(i32, i32, String)>,
    visit_members: i64,
    claims: Vec<(i32, String)>,
    figures: Vec<(String, NaiveDate, i32, i32)>,
    areas: Vec<(i32, String)>,
    history: Vec<(i32, String, Option<NaiveDate>)>,
    household_assignments: Vec<(i32, i32)>,
    member_history: i64,
}

async fn state(app: &TestApp, victim_agent: i32) -> State {
    app.with_conn(move |conn| State {
        households: households::table
            .select((
                households::id,
                households::region_code,
                households::address,
                households::rt,
            ))
            .order(households::id)
            .load(conn)
            .unwrap(),
        members: members::table
            .select((
                members::id,
                members::name,
                members::status,
                members::segment,
            ))
            .order(members::id)
            .load(conn)
            .unwrap(),
        visits: visits::table
            .select((visits::id, visits::household_id, visits::outcome))
            .order(visits::id)
            .load(conn)
            .unwrap(),
        visit_members: visit_members::table.count().get_result(conn).unwrap(),
        claims: reactivations::table
            .select((reactivations::id, reactivations::state))
            .order(reactivations::id)
            .load(conn)
            .unwrap(),
        figures: figures::table
            .filter(figures::region_code.like("32.73%"))
            .select((
                figures::region_code,
                figures::figure_date,
                figures::registered,
                figures::active,
            ))
            .order((figures::region_code, figures::figure_date))
            .load(conn)
            .unwrap(),
        areas: user_areas::table
            .filter(
                user_areas::region_code
                    .eq(VICTIM)
                    .or(user_areas::user_id.eq(victim_agent)),
            )
            .select((user_areas::user_id, user_areas::region_code))
            .order((user_areas::user_id, user_areas::region_code))
            .load(conn)
            .unwrap(),
        history: assignment_history::table
            .select((
                assignment_history::user_id,
                assignment_history::region_code,
                assignment_history::ended_on,
            ))
            .order(assignment_history::id)
            .load(conn)
            .unwrap(),
        household_assignments: household_assignments::table
            .select((
                household_assignments::household_id,
                household_assignments::user_id,
            ))
            .order(household_assignments::household_id)
            .load(conn)
            .unwrap(),
        member_history: member_history::table.count().get_result(conn).unwrap(),
    })
    .await
}

/// Every record of the victim's area (the only area with records when the attack starts).
struct VictimIds {
    households: Vec<i32>,
    members: Vec<i32>,
    visits: Vec<i32>,
    imports: Vec<i32>,
}

struct Victim {
    fixture: Fixture,
    agent_id: i32,
    supervisor: reqwest::Client,
    claim: i32,
    import: i32,
}

/// Sekeloa's agent, household, members, visits and a claim; its supervisor's assignment of the
/// household, its figures and a roster import with an error row.
async fn victim(app: &TestApp) -> Victim {
    let fixture = fixture(app, "agen.korban", VICTIM).await;
    let agent_id = crate::helpers::user_id(app, "agen.korban").await;
    let ibu = fixture.members[0];
    let today = pesiar::web::today().to_string();
    let res = app
        .submit_visit(
            &fixture.agent,
            fixture.household,
            &[
                ("visited_on", &today),
                ("outcome", "ditemui"),
                (&format!("m.{ibu}.status"), "nonaktif"),
                (&format!("m.{ibu}.action"), "tunggakan_lunas"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let claim: i32 = app
        .with_conn(|conn| {
            reactivations::table
                .select(reactivations::id)
                .first(conn)
                .unwrap()
        })
        .await;

    let supervisor = app
        .client_as("spv.korban", Role::Supervisor, &["32.73"])
        .await;
    let res = app
        .post_form_with(
            &supervisor,
            &format!("/progres/{VICTIM}/tugaskan"),
            &[
                ("household_id", &fixture.household.to_string()),
                ("user_id", &agent_id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let figures = format!(
        "kode_wilayah,tanggal,penduduk,peserta_terdaftar,peserta_aktif\n{VICTIM},2026-10-31,20000,19500,15000\n"
    );
    let res = crate::progress::upload(app, &supervisor, "angka.csv", figures.into_bytes()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "figures upload");
    let roster = format!(
        "{}\n3273024101900099;;Warga Roster Rahasia;P;01-01-1990;{VICTIM};1;1;Jl. Rahasia;;PBPU;3;AKTIF;\n\
         nik-rahasia;;Warga Roster Rahasia;P;01-01-1990;{VICTIM};1;1;Jl. Rahasia;;PBPU;3;AKTIF;\n",
        crate::roster::HEADER
    );
    let (page, _) = crate::roster::import(
        app,
        &supervisor,
        "roster-rahasia.csv",
        crate::roster::day(1),
        roster.into_bytes(),
    )
    .await;
    Victim {
        fixture,
        agent_id,
        supervisor,
        claim,
        import: crate::journeys::id_from(&page),
    }
}

fn leaks(body: &str) -> Vec<&'static str> {
    MARKERS
        .iter()
        .copied()
        .filter(|m| body.contains(m))
        .collect()
}

fn roles_allowed(access: Access, role: Role) -> bool {
    match access {
        Access::Public | Access::Guest => false,
        Access::SignedIn => true,
        Access::Roles(roles) => roles.contains(&role),
    }
}

/// The query strings worth trying on a GET route besides the bare path.
fn variants(pattern: &str) -> &'static [&'static str] {
    match pattern {
        "/progres/{code}/unduh" => &[
            "?format=csv",
            "?format=csv&tabel=daftar",
            "?format=csv&tabel=petugas",
            "?format=xlsx&tabel=daftar",
        ],
        "/penugasan/unduh" => &["?format=csv"],
        "/rumah-tangga" => &["", "?q=Contoh", "?q=Jl.", "?semua=1"],
        "/progres/{code}" | "/api/v1/progress/{code}" => &["", "?tanggal=2026-10-31"],
        "/verifikasi" => &["", "?semua=1"],
        _ => &[""],
    }
}

/// The form a hostile user of `role` would post to `pattern`, aimed at the victim's records.
fn hostile_form(pattern: &str, v: &Victim, intruder: i32, n: usize) -> Vec<Vec<(String, String)>> {
    let key = format!("serangan-{n:04}-{}", pesiar::web::security::random_hex(8));
    let s = |a: &str, b: &str| (a.to_string(), b.to_string());
    let ibu = v.fixture.members[0];
    let today = pesiar::web::today().to_string();
    match pattern {
        "/rumah-tangga/baru" | "/rumah-tangga/{id}/ubah" => vec![vec![
            s("submission_key", &key),
            s("region_code", VICTIM),
            s("rt", "9"),
            s("rw", "9"),
            s("address", "Jl. Serangan"),
        ]],
        "/rumah-tangga/{id}/anggota/baru" | "/anggota/{id}/ubah" => vec![vec![
            s("submission_key", &key),
            s("nik_unknown", "on"),
            s("name", "Nama Serangan"),
            s("sex", "L"),
            s("birth_date", "2000-01-01"),
            s("relationship", "anak"),
            s("segment", "pbpu"),
            s("class", "3"),
            s("status", "aktif"),
        ]],
        "/rumah-tangga/{id}/kunjungan/baru" => vec![vec![
            s("submission_key", &key),
            s("visited_on", &today),
            s("outcome", "ditemui"),
            s(&format!("m.{ibu}.status"), "nonaktif"),
            s(&format!("m.{ibu}.action"), "tunggakan_lunas"),
        ]],
        "/verifikasi" => ["konfirmasi", "tolak"]
            .iter()
            .map(|decision| {
                vec![
                    s("submission_key", &format!("{key}-{decision}")),
                    s("id", &v.claim.to_string()),
                    s("keputusan", decision),
                    s("alasan", "serangan"),
                ]
            })
            .collect(),
        "/penugasan" => vec![
            vec![
                s("aksi", "tugaskan"),
                s("user_id", &intruder.to_string()),
                s("region_code", VICTIM),
            ],
            vec![
                s("aksi", "tugaskan"),
                s("user_id", &v.agent_id.to_string()),
                s("region_code", "33.17.01"),
            ],
            vec![
                s("aksi", "akhiri"),
                s("user_id", &v.agent_id.to_string()),
                s("region_code", VICTIM),
            ],
        ],
        "/progres/{code}/tugaskan" => vec![
            vec![
                s("household_id", &v.fixture.household.to_string()),
                s("user_id", &intruder.to_string()),
            ],
            vec![
                s("household_id", &v.fixture.household.to_string()),
                s("user_id", ""),
            ],
        ],
        _ => vec![vec![s("submission_key", &key)]],
    }
}

#[tokio::test]
async fn outsiders_reach_nothing_of_another_area_by_any_route_or_id() {
    let app = spawn_app().await;
    let v = victim(&app).await;
    // The markers are really there for the area's own people, so their absence below means
    // something.
    for path in [
        format!("/rumah-tangga/{}", v.fixture.household),
        format!("/progres/{VICTIM}/unduh?format=csv&tabel=daftar"),
        format!("/data/roster/{}/galat", v.import),
        "/penugasan/unduh?format=csv".to_string(),
    ] {
        let body = app
            .get_with(&v.supervisor, &path)
            .await
            .text()
            .await
            .unwrap();
        assert!(!leaks(&body).is_empty(), "{path} shows none of the markers");
    }
    let before = state(&app, v.agent_id).await;

    let outsiders: &[(&str, Role, &[&str])] = &[
        ("luar.agen", Role::Agent, &["32.73.02.1004"]),
        ("luar.kader", Role::Kader, &["32.73.02.1003"]),
        ("luar.camat", Role::Office, &["32.73.01"]),
        ("luar.lurah", Role::Office, &["32.73.02.1004"]),
        ("luar.spv", Role::Supervisor, &["33.17"]),
    ];
    let samples = Samples {
        user: v.agent_id,
        household: v.fixture.household,
        member: v.fixture.members[0],
        visit: v.fixture.visit,
    };
    let routes = pesiar::app::routes().infos();
    let max_id = 12;
    let victim_ids = app
        .with_conn(|conn| VictimIds {
            households: households::table.select(households::id).load(conn).unwrap(),
            members: members::table.select(members::id).load(conn).unwrap(),
            visits: visits::table.select(visits::id).load(conn).unwrap(),
            imports: roster_imports::table
                .select(roster_imports::id)
                .load(conn)
                .unwrap(),
        })
        .await;
    let mut failures = Vec::new();
    let mut n = 0;
    for (username, role, areas) in outsiders {
        let intruder = app.create_user(username, *role, areas).await;
        let client = new_client();
        app.login_with(&client, username, PASSWORD).await;
        for route in &routes {
            let pattern = route.path;
            if !roles_allowed(route.access, *role)
                || matches!(pattern, "/logout" | "/akun/password")
                || pattern.starts_with("/admin/")
            {
                continue;
            }
            let path = concrete_path(pattern, samples)
                .replace("32.73.02.1004", VICTIM)
                .replace(
                    &format!("/data/roster/{}", samples.visit),
                    &format!("/data/roster/{}", v.import),
                );
            if route.method == actix_web::http::Method::GET {
                for query in variants(pattern) {
                    let url = format!("{path}{query}");
                    let res = app.get_with(&client, &url).await;
                    let status = res.status();
                    let body = String::from_utf8_lossy(&res.bytes().await.unwrap()).to_string();
                    let leaked = leaks(&body);
                    if !leaked.is_empty() || status.is_server_error() {
                        failures.push(format!("{username} GET {url} → {status} {leaked:?}"));
                    }
                    // A download of another area is refused outright, not sent empty.
                    if (pattern.contains("{id}") || pattern.contains("{code}"))
                        && !pattern.starts_with("/wilayah/")
                        && status.is_success()
                    {
                        failures.push(format!("{username} GET {url} → {status}"));
                    }
                }
            } else if matches!(pattern, "/data/impor" | "/data/roster") {
                let res = if pattern == "/data/impor" {
                    crate::progress::upload(
                        &app,
                        &client,
                        "angka.csv",
                        format!(
                            "kode_wilayah,tanggal,penduduk,peserta_terdaftar,peserta_aktif\n{VICTIM},2026-10-31,1,1,1\n"
                        )
                        .into_bytes(),
                    )
                    .await
                } else {
                    let roster = format!(
                        "{}\n3273024101900099;;Diubah Penyerang;P;01-01-1990;{VICTIM};1;1;Jl. X;;PBI APBN;3;NON AKTIF;\n",
                        crate::roster::HEADER
                    );
                    let res = crate::roster::upload(
                        &app,
                        &client,
                        "serang.csv",
                        &pesiar::web::today().to_string(),
                        roster.into_bytes(),
                    )
                    .await;
                    // The import runs in the background: wait for it before comparing.
                    let page = location(&res);
                    for _ in 0..100 {
                        let html = app.get_with(&client, &page).await.text().await.unwrap();
                        if !html.contains("Berjalan:") {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    res
                };
                if res.status().is_server_error() {
                    failures.push(format!("{username} POST {pattern} → {}", res.status()));
                }
            } else {
                for form in hostile_form(pattern, &v, intruder, n) {
                    n += 1;
                    let token = app.csrf_with(&client).await;
                    let mut fields = vec![("csrf_token".to_string(), token)];
                    fields.extend(form);
                    let res = client
                        .post(app.url(&path))
                        .form(&fields)
                        .send()
                        .await
                        .unwrap();
                    let status = res.status();
                    let body = res.text().await.unwrap();
                    let leaked = leaks(&body);
                    if !leaked.is_empty() || status.is_server_error() {
                        failures.push(format!("{username} POST {path} → {status} {leaked:?}"));
                    }
                }
            }
        }
        // Guessing ids: every number up to past the last record, on every record route. The
        // intruder's own records (an import) may open; the victim's may not.
        for id in 1..=max_id {
            for (path, theirs) in [
                (format!("/rumah-tangga/{id}"), &victim_ids.households),
                (
                    format!("/rumah-tangga/{id}/kunjungan/baru"),
                    &victim_ids.households,
                ),
                (format!("/anggota/{id}"), &victim_ids.members),
                (format!("/anggota/{id}/ubah"), &victim_ids.members),
                (format!("/kunjungan/{id}"), &victim_ids.visits),
                (format!("/data/roster/{id}"), &victim_ids.imports),
                (format!("/data/roster/{id}/galat"), &victim_ids.imports),
            ] {
                let res = app.get_with(&client, &path).await;
                let status = res.status();
                let body = res.text().await.unwrap();
                if !leaks(&body).is_empty()
                    || status.is_server_error()
                    || (status.is_success() && theirs.contains(&id))
                {
                    failures.push(format!("{username} guessed GET {path} → {status}"));
                }
            }
        }
        // The API answers for their own area only.
        let token = create_token(&app, username).await;
        for code in [VICTIM, "32.73.02", "32.73", "32", "ID"] {
            let res = new_client()
                .get(app.url(&format!("/api/v1/progress/{code}")))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            if res.status().is_success() {
                failures.push(format!("{username} API {code} → {}", res.status()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "outsiders reached the other area:\n{}",
        failures.join("\n")
    );
    assert_eq!(
        state(&app, v.agent_id).await,
        before,
        "an outsider changed the other area"
    );
}

async fn create_token(app: &TestApp, username: &str) -> String {
    let username = username.to_string();
    app.with_conn(move |conn| {
        let user = pesiar::users::queries::find_by_username(conn, &username)
            .unwrap()
            .expect("user");
        pesiar::auth::tokens::create(conn, user.id, "uji").unwrap()
    })
    .await
}

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
                !pesiar::progress::export::looks_like_formula(cell),
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
        if pesiar::progress::export::looks_like_formula(text) {
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
