//! The access-control matrix: every route, every role (and anonymous), allowed or refused as
//! this table says. A route added to the app without a line here fails the first test.

use pesiar::users::Role;
use pesiar::web::routes::Access;
use reqwest::StatusCode;

use crate::helpers::{TestApp, default_areas, location, new_client, spawn_app};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Rule {
    Public,
    Guest,
    SignedIn,
    Only(&'static [Role]),
}

const ADMIN: Rule = Rule::Only(&[Role::Admin]);
const FIELD: Rule = Rule::Only(&[Role::Agent, Role::Kader]);
const VERIFIERS: Rule = Rule::Only(&[Role::Supervisor, Role::Admin]);
const MANAGERS: Rule = Rule::Only(&[Role::Supervisor, Role::Admin]);
const CORRECTORS: Rule = Rule::Only(&[Role::Agent, Role::Kader, Role::Supervisor, Role::Admin]);
const OFFICES: Rule = Rule::Only(&[Role::Office, Role::Admin]);
const READERS: Rule = Rule::Only(&[Role::Office, Role::Supervisor, Role::Admin]);

const EXPECTED: &[(&str, &str, Rule)] = &[
    ("GET", "/livez", Rule::Public),
    ("GET", "/healthz", Rule::Public),
    ("GET", "/static/{file}", Rule::Public),
    ("GET", "/sw.js", Rule::Public),
    ("GET", "/login", Rule::Guest),
    ("POST", "/login", Rule::Guest),
    ("POST", "/logout", Rule::SignedIn),
    ("GET", "/akun/password", Rule::SignedIn),
    ("POST", "/akun/password", Rule::SignedIn),
    ("GET", "/", Rule::SignedIn),
    ("GET", "/wilayah", Rule::SignedIn),
    ("GET", "/wilayah/{code}", Rule::SignedIn),
    ("GET", "/admin/pengguna", ADMIN),
    ("GET", "/admin/pengguna/baru", ADMIN),
    ("POST", "/admin/pengguna/baru", ADMIN),
    ("GET", "/admin/pengguna/{id}", ADMIN),
    ("POST", "/admin/pengguna/{id}", ADMIN),
    ("POST", "/admin/pengguna/{id}/nonaktifkan", ADMIN),
    ("POST", "/admin/pengguna/{id}/aktifkan", ADMIN),
    ("POST", "/admin/pengguna/{id}/kata-sandi", ADMIN),
    ("GET", "/admin/iuran", ADMIN),
    ("POST", "/admin/iuran", ADMIN),
    ("GET", "/admin/insentif", ADMIN),
    ("POST", "/admin/insentif", ADMIN),
    ("GET", "/admin/kunci", ADMIN),
    ("POST", "/admin/kunci/buka", ADMIN),
    ("GET", "/admin/token", ADMIN),
    ("POST", "/admin/token/{id}/cabut", ADMIN),
    ("GET", "/rumah-tangga", Rule::SignedIn),
    ("POST", "/rumah-tangga/cari", Rule::SignedIn),
    ("GET", "/rumah-tangga/baru", FIELD),
    ("POST", "/rumah-tangga/baru", FIELD),
    ("GET", "/rumah-tangga/{id}", Rule::SignedIn),
    ("GET", "/rumah-tangga/{id}/ubah", FIELD),
    ("POST", "/rumah-tangga/{id}/ubah", FIELD),
    ("GET", "/rumah-tangga/{id}/anggota/baru", FIELD),
    ("POST", "/rumah-tangga/{id}/anggota/baru", FIELD),
    ("GET", "/anggota/{id}", Rule::SignedIn),
    ("POST", "/anggota/{id}/nik", MANAGERS),
    ("GET", "/anggota/{id}/akses", ADMIN),
    ("GET", "/anggota/{id}/ubah", FIELD),
    ("POST", "/anggota/{id}/ubah", FIELD),
    ("GET", "/rumah-tangga/{id}/kunjungan/baru", FIELD),
    ("POST", "/rumah-tangga/{id}/kunjungan/baru", FIELD),
    ("GET", "/kunjungan/{id}", Rule::SignedIn),
    ("GET", "/kunjungan/{id}/koreksi", CORRECTORS),
    ("POST", "/kunjungan/{id}/koreksi", CORRECTORS),
    ("GET", "/anggota/{id}/koreksi", CORRECTORS),
    ("GET", "/antrean", FIELD),
    ("POST", "/anggota/{id}/koreksi", CORRECTORS),
    ("GET", "/verifikasi", VERIFIERS),
    ("POST", "/verifikasi", VERIFIERS),
    ("GET", "/rekap", CORRECTORS),
    ("POST", "/rekap/tutup", MANAGERS),
    ("GET", "/rekap/unduh", MANAGERS),
    ("GET", "/progres", Rule::SignedIn),
    ("GET", "/progres/{code}", Rule::SignedIn),
    ("GET", "/progres/{code}/unduh", Rule::SignedIn),
    ("GET", "/api/v1/progress/{code}", Rule::SignedIn),
    ("GET", "/penugasan", READERS),
    ("GET", "/forum/{code}", READERS),
    ("GET", "/penugasan/unduh", READERS),
    ("POST", "/penugasan", MANAGERS),
    ("POST", "/progres/{code}/tugaskan", MANAGERS),
    ("GET", "/pemda", READERS),
    ("GET", "/pemda/{code}", READERS),
    ("POST", "/pemda/{code}/kuota", MANAGERS),
    ("GET", "/pemda/{code}/usulan", MANAGERS),
    ("POST", "/pemda/{code}/usulan", MANAGERS),
    ("GET", "/pemda/{code}/usulan/unduh", MANAGERS),
    ("GET", "/pemda/desa/{code}", READERS),
    ("POST", "/pemda/desa/{code}", OFFICES),
    ("POST", "/pemda/desa/{code}/anggota", OFFICES),
    ("GET", "/data/impor", MANAGERS),
    ("POST", "/data/impor", MANAGERS),
    ("GET", "/data/impor/pratinjau/{id}", MANAGERS),
    ("POST", "/data/impor/pratinjau/{id}/terapkan", MANAGERS),
    ("GET", "/data/roster", MANAGERS),
    ("POST", "/data/roster", MANAGERS),
    ("GET", "/data/roster/{id}", MANAGERS),
    ("GET", "/data/roster/{id}/galat", MANAGERS),
    ("GET", "/data/pindah", MANAGERS),
    ("POST", "/data/pindah/{id}/terima", MANAGERS),
    ("POST", "/data/pindah/{id}/tolak", MANAGERS),
];

fn rule_of(access: Access) -> Rule {
    match access {
        Access::Public => Rule::Public,
        Access::Guest => Rule::Guest,
        Access::SignedIn => Rule::SignedIn,
        Access::Roles(roles) => Rule::Only(roles),
    }
}

/// Real ids to fill the `{id}` of each kind of path.
#[derive(Clone, Copy, Debug, Default)]
pub struct Samples {
    pub user: i32,
    pub household: i32,
    pub member: i32,
    pub visit: i32,
}

/// A path of the table with its parameters filled in with real values.
pub fn concrete_path(pattern: &str, ids: Samples) -> String {
    let css = pesiar::web::assets::url("pesiar.css");
    let id = if pattern.starts_with("/admin/pengguna/") {
        ids.user
    } else if pattern.starts_with("/rumah-tangga/") {
        ids.household
    } else if pattern.starts_with("/anggota/") {
        ids.member
    } else {
        ids.visit
    };
    pattern
        .replace("{code}", "32.73.02.1004")
        .replace("{id}", &id.to_string())
        .replace("/static/{file}", &css)
}

/// Every registered route of `method`, with its parameters filled in (`{id}` of users: `user`).
pub fn paths_of(method: actix_web::http::Method, user: i32) -> Vec<String> {
    pesiar::app::routes()
        .infos()
        .into_iter()
        .filter(|r| r.method == method)
        .map(|r| {
            concrete_path(
                r.path,
                Samples {
                    user,
                    ..Default::default()
                },
            )
        })
        .collect()
}

#[test]
fn every_route_has_an_expected_access_rule() {
    let actual: Vec<(String, String, Rule)> = pesiar::app::routes()
        .infos()
        .into_iter()
        .map(|r| (r.method.to_string(), r.path.to_string(), rule_of(r.access)))
        .collect();
    for (method, path, rule) in &actual {
        let expected = EXPECTED
            .iter()
            .find(|(m, p, _)| m == method && p == path)
            .unwrap_or_else(|| panic!("{method} {path} is not in the access table of this test"));
        assert_eq!(expected.2, *rule, "{method} {path}");
    }
    for (method, path, _) in EXPECTED {
        assert!(
            actual.iter().any(|(m, p, _)| m == method && p == path),
            "{method} {path} is expected but not registered"
        );
    }
}

fn allowed(rule: Rule, role: Option<Role>) -> bool {
    match (rule, role) {
        (Rule::Public | Rule::Guest, _) => true,
        (Rule::SignedIn, Some(_)) => true,
        (Rule::Only(roles), Some(role)) => roles.contains(&role),
        (_, None) => false,
    }
}

async fn request(
    app: &TestApp,
    client: &reqwest::Client,
    method: &str,
    path: &str,
) -> reqwest::Response {
    if method == "GET" {
        app.get_with(client, path).await
    } else {
        app.post_form_with(client, path, &[]).await
    }
}

#[tokio::test]
async fn every_role_gets_exactly_the_routes_the_table_allows() {
    let app = spawn_app().await;
    // Users to act on (admin routes with {id}) must not be the ones signed in.
    let user = app
        .create_user("sasaran", Role::Agent, &["32.73.02.1005"])
        .await;
    let fixture = crate::journeys::fixture(&app, "akses.pencatat", "32.73.02.1004").await;
    let target = Samples {
        user,
        household: fixture.household,
        member: fixture.members[0],
        visit: fixture.visit,
    };
    let mut clients: Vec<(Option<Role>, reqwest::Client)> = vec![(None, new_client())];
    for role in Role::ALL {
        let client = new_client();
        let username = format!("akses.{}", role.as_str());
        app.create_user(&username, role, default_areas(role)).await;
        let res = app
            .login_with(&client, &username, crate::helpers::PASSWORD)
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{role:?} login");
        clients.push((Some(role), client));
    }
    // Logging out ends the session, so it goes last.
    let mut routes: Vec<&(&str, &str, Rule)> = EXPECTED.iter().collect();
    routes.sort_by_key(|(_, path, _)| *path == "/logout");

    let mut failures = Vec::new();
    for (role, client) in &clients {
        for (method, pattern, rule) in &routes {
            let path = concrete_path(pattern, target);
            let res = request(&app, client, method, &path).await;
            let status = res.status();
            let to_login = status == StatusCode::SEE_OTHER && location(&res).starts_with("/login");
            let ok = if allowed(*rule, *role) {
                status != StatusCode::FORBIDDEN
                    && status != StatusCode::INTERNAL_SERVER_ERROR
                    && (matches!(rule, Rule::Public | Rule::Guest)
                        || (status != StatusCode::UNAUTHORIZED && (*method == "POST" || !to_login)))
            } else if role.is_none() {
                // The API answers with a JSON 401; pages send people to the login form.
                if *method == "GET" && !path.starts_with("/api/") {
                    to_login
                } else {
                    status == StatusCode::UNAUTHORIZED
                }
            } else {
                status == StatusCode::FORBIDDEN
            };
            if !ok {
                failures.push(format!("{role:?} {method} {path} → {status}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "access violations:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn anonymous_get_is_sent_to_login_and_back_afterwards() {
    let app = spawn_app().await;
    app.create_user("kembali", Role::Supervisor, &["32.73"])
        .await;
    let res = app.get("/wilayah/32.73?x=1").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let login_url = location(&res);
    assert_eq!(login_url, "/login?next=%2Fwilayah%2F32%2E73%3Fx%3D1");
    let (_, html) = app.get_text(&login_url).await;
    assert!(
        html.contains("name=\"next\" value=\"/wilayah/32.73?x=1\""),
        "{html}"
    );
    let res = app
        .post_form(
            "/login",
            &[
                ("username", "kembali"),
                ("password", crate::helpers::PASSWORD),
                ("next", "/wilayah/32.73?x=1"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/wilayah/32.73?x=1");
}

#[tokio::test]
async fn login_never_redirects_off_site() {
    let app = spawn_app().await;
    app.create_user("lurus", Role::Agent, &["32.73.02.1004"])
        .await;
    let res = app
        .post_form(
            "/login",
            &[
                ("username", "lurus"),
                ("password", crate::helpers::PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/");
}

#[tokio::test]
async fn unknown_routes_and_methods_get_error_pages_not_500() {
    let app = spawn_app().await;
    let (status, body) = app.get_text("/tidak/ada").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Tidak ditemukan"));
}
