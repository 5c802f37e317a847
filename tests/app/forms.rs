//! Random and hostile input on every POST route: the answer is a page, never a 500.

use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::spawn_app;

/// A small deterministic generator, so a failure can be replayed from its seed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const FIELDS: &[&str] = &[
    "username",
    "password",
    "full_name",
    "phone",
    "role",
    "areas",
    "new_password",
    "confirm_password",
    "current_password",
    "next",
    "q",
    "halaman",
    "disabled",
    "x",
];

fn values() -> Vec<String> {
    vec![
        String::new(),
        " ".into(),
        "admin".into(),
        "agent".into(),
        "supervisor".into(),
        "32.73.02.1004".into(),
        "32.73\n32.73.02\n32".into(),
        "99.99.99.9999".into(),
        "-1".into(),
        "99999999999999999999999".into(),
        "<script>alert(1)</script>".into(),
        "\"'><img src=x onerror=alert(1)>".into(),
        "' OR 1=1 --".into(),
        "%".into(),
        "😀 Ñandú ẞ".into(),
        "\u{0}\u{1}\u{7f}".into(),
        "a".repeat(5_000),
        "32.73.02.1004,".repeat(300),
        "//evil.example".into(),
        "kuda-lumping-99".into(),
        "3273024101900003".into(),
        "0002802875185".into(),
        "2026-11-22".into(),
        "1900-02-29".into(),
        "nonaktif".into(),
        "tunggakan_lunas".into(),
        "pendaftaran_baru".into(),
        "pbpu".into(),
        "ditemui".into(),
        "konfirmasi".into(),
        "tolak".into(),
        "NaN".into(),
        "1e309".into(),
        "abcdefghijklmnopqrstu".into(),
    ]
}

#[tokio::test]
async fn fuzzed_posts_never_get_a_500() {
    let app = spawn_app().await;
    app.sign_in_as("fuzz.admin", Role::Admin, &[]).await;
    let target = app
        .create_user("fuzz.target", Role::Agent, &["32.73.02.1004"])
        .await;
    let field = crate::journeys::fixture(&app, "fuzz.agen", "32.73.02.1004").await;
    let samples = crate::access::Samples {
        user: target,
        household: field.household,
        member: field.members[0],
        visit: field.visit,
    };
    let values = values();
    let value_refs: Vec<&str> = values.iter().map(String::as_str).collect();
    // Each route is fuzzed as a user who may use it: the agent for field work, else the admin.
    let mut posts: Vec<(String, &reqwest::Client)> = Vec::new();
    for route in pesiar::app::routes().infos() {
        if route.method != actix_web::http::Method::POST || route.path == "/logout" {
            continue;
        }
        let field_only =
            route.access.allows(Some(Role::Agent)) && !route.access.allows(Some(Role::Admin));
        let client = if field_only {
            &field.agent
        } else {
            &app.client
        };
        posts.push((crate::access::concrete_path(route.path, samples), client));
    }
    let mut rng = XorShift(0x5eed_1234_abcd_9876);
    let mut failures = Vec::new();
    for (path, client) in &posts {
        let token = app.csrf_with(client).await;
        for round in 0..25 {
            let count = (rng.next() % 7) as usize;
            let mut form: Vec<(String, String)> = vec![("csrf_token".into(), token.clone())];
            for _ in 0..count {
                form.push((
                    rng.pick(FIELDS).to_string(),
                    rng.pick(&value_refs).to_string(),
                ));
            }
            let res = client.post(app.url(path)).form(&form).send().await.unwrap();
            if res.status().is_server_error() {
                failures.push(format!("{path} round {round} → {}: {form:?}", res.status()));
            }
        }
        // Raw bodies that are not valid UTF-8 form encoding.
        for body in ["%FF%FE=%C0", "username=%E0%A4%A", "&&&===", "csrf_token"] {
            let res = client
                .post(app.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("x-csrf-token", &token)
                .body(body)
                .send()
                .await
                .unwrap();
            if res.status().is_server_error() {
                failures.push(format!("{path} raw {body:?} → {}", res.status()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "server errors:\n{}",
        failures.join("\n")
    );
    // And the app still works for the admin afterwards.
    assert_eq!(app.get("/admin/pengguna").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn hostile_text_renders_inert() {
    let app = spawn_app().await;
    app.sign_in_as("xss.admin", Role::Admin, &[]).await;
    let payload = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>";
    let res = app
        .post_form(
            "/admin/pengguna/baru",
            &[
                ("username", "xss.korban"),
                ("full_name", payload),
                ("role", "kader"),
                ("areas", "32.73.02.1004"),
                ("password", "sementara-123"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    for path in ["/admin/pengguna", "/admin/pengguna?q=xss"] {
        let (_, html) = app.get_text(path).await;
        assert!(!html.contains("<script>alert"), "{path}");
        assert!(!html.contains("<img src=x"), "{path}");
    }
    let (_, html) = app
        .get_text(&format!("/wilayah?q={}", "%3Cscript%3E"))
        .await;
    assert!(!html.contains("<script>"));
}
