//! Journeys through the app as a browser makes them (open a form, send it back with the
//! page's CSRF token and one-time submission key), and the records field tests start from.

use pesiar::users::Role;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, csrf_from, location, new_client};

/// A form page as the browser holds it: where it posts back to, and its hidden CSRF token and
/// one-time submission key.
pub struct Form {
    pub path: String,
    pub csrf_token: String,
    pub submission_key: String,
}

impl Form {
    /// Reads the hidden inputs of a form page that posts back to `path`.
    pub fn read(path: &str, html: &str) -> Form {
        Form {
            path: path.to_string(),
            csrf_token: csrf_from(html).expect("form has a CSRF token"),
            submission_key: value_of(html, "submission_key").expect("form has a submission key"),
        }
    }

    /// The page's token and key, then `fields`: what the browser sends.
    pub fn filled(&self, fields: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut all = vec![
            ("csrf_token".to_string(), self.csrf_token.clone()),
            ("submission_key".to_string(), self.submission_key.clone()),
        ];
        all.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        all
    }
}

/// The `value` of the first input named `name` in a page, as the HTML writes it.
pub fn value_of(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

impl TestApp {
    /// Loads a form page as this client; the form posts back to the same path.
    pub async fn open_form(&self, client: &reqwest::Client, form_path: &str) -> Form {
        let html = self
            .get_with(client, form_path)
            .await
            .text()
            .await
            .expect("body");
        Form::read(form_path, &html)
    }

    /// Sends an open form with `fields` (the same form may be sent again: a double tap).
    pub async fn send_form(
        &self,
        client: &reqwest::Client,
        form: &Form,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(&form.path))
            .form(&form.filled(fields))
            .send()
            .await
            .expect("POST")
    }

    /// Posts a form the way a browser does: load the form page, take its one-time key and
    /// CSRF token, send the fields.
    pub async fn submit(
        &self,
        client: &reqwest::Client,
        form_path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let form = self.open_form(client, form_path).await;
        self.send_form(client, &form, fields).await
    }

    /// Records a visit to `household` through its visit form.
    pub async fn submit_visit(
        &self,
        client: &reqwest::Client,
        household: i32,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.submit(client, &visit_form_path(household), fields)
            .await
    }

    /// Sends a file through an upload form: the session's CSRF token, `fields`, then the file
    /// as `berkas`.
    pub async fn upload(
        &self,
        client: &reqwest::Client,
        route: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut form =
            reqwest::multipart::Form::new().text("csrf_token", self.csrf_with(client).await);
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        let file = reqwest::multipart::Part::bytes(body).file_name(file_name.to_string());
        client
            .post(self.url(route))
            .multipart(form.part("berkas", file))
            .send()
            .await
            .expect("POST")
    }

    /// A new user of `role` in `areas` (password `PASSWORD`) and a client signed in as them.
    pub async fn client_as(&self, username: &str, role: Role, areas: &[&str]) -> reqwest::Client {
        self.create_user(username, role, areas).await;
        let client = new_client();
        assert_eq!(
            self.login_with(&client, username, PASSWORD).await.status(),
            StatusCode::SEE_OTHER,
            "login of {username}"
        );
        client
    }
}

/// The path of a household's visit form (which posts back to itself).
pub fn visit_form_path(household: i32) -> String {
    format!("/rumah-tangga/{household}/kunjungan/baru")
}

/// A valid NIK: region prefix, birth date (day + 40 for women), serial.
pub fn nik(prefix: &str, day: u32, month: u32, yy: u32, female: bool, serial: u32) -> String {
    let day = if female { day + 40 } else { day };
    format!("{prefix}{day:02}{month:02}{yy:02}{serial:04}")
}

pub fn id_from(location: &str) -> i32 {
    location
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {location:?}"))
}

pub async fn create_household(
    app: &TestApp,
    client: &reqwest::Client,
    region: &str,
    rt: &str,
    address: &str,
    kk: &str,
) -> i32 {
    let res = app
        .submit(
            client,
            "/rumah-tangga/baru",
            &[
                ("region_code", region),
                ("rt", rt),
                ("rw", "5"),
                ("address", address),
                ("nomor_kk", kk),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    id_from(&location(&res))
}

pub async fn add_member(
    app: &TestApp,
    client: &reqwest::Client,
    household: i32,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    app.submit(
        client,
        &format!("/rumah-tangga/{household}/anggota/baru"),
        fields,
    )
    .await
}

pub async fn add_member_ok(
    app: &TestApp,
    client: &reqwest::Client,
    household: i32,
    fields: &[(&str, &str)],
) -> i32 {
    let res = add_member(app, client, household, fields).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    id_from(&location(&res))
}

pub struct Fixture {
    pub agent: reqwest::Client,
    pub household: i32,
    /// An inactive mandiri member in arrears, and an unregistered one.
    pub members: Vec<i32>,
    pub visit: i32,
}

/// An agent in `region` with one household, two members and one visit.
pub async fn fixture(app: &TestApp, username: &str, region: &str) -> Fixture {
    let agent = app.client_as(username, Role::Agent, &[region]).await;
    let household = create_household(app, &agent, region, "3", "Jl. Contoh No. 1", "").await;
    let serial = (household as u32) % 9000 + 1;
    let nik_a = nik("327302", 12, 3, 85, true, serial);
    let first = add_member_ok(
        app,
        &agent,
        household,
        &[
            ("nik", &nik_a),
            ("name", "Ibu Contoh"),
            ("sex", "P"),
            ("birth_date", "1985-03-12"),
            ("relationship", "kepala_keluarga"),
            ("segment", "pbpu"),
            ("class", "3"),
            ("status", "nonaktif"),
            ("inactive_reason", "tunggakan"),
        ],
    )
    .await;
    let second = add_member_ok(
        app,
        &agent,
        household,
        &[
            ("nik_unknown", "on"),
            ("name", "Anak Contoh"),
            ("sex", "L"),
            ("birth_date", "2010-07-01"),
            ("relationship", "anak"),
            ("segment", "belum_terdaftar"),
            ("status", "belum_terdaftar"),
        ],
    )
    .await;
    let today = pesiar::web::today().format("%Y-%m-%d").to_string();
    let res = app
        .submit_visit(
            &agent,
            household,
            &[
                ("visited_on", &today),
                ("outcome", "tidak_ditemui"),
                ("note", "rumah kosong"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let visit = id_from(&location(&res));
    Fixture {
        agent,
        household,
        members: vec![first, second],
        visit,
    }
}
