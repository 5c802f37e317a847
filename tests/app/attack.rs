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
                s("yakin", "ya"),
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
