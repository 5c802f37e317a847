//! Test harness: each test gets its own database and its own running server on a random port.
//!
//! SQLite: a template file migrated once per test process (regions loaded), copied per test.
//! PostgreSQL (when `PESIAR_TEST_DATABASE_URL=postgres://…` is set): a template database named
//! after the migrations' content, created once, then `CREATE DATABASE … TEMPLATE` per test.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::OnceLock;

use diesel::RunQueryDsl;
use diesel::prelude::*;
use pesiar::config::DatabaseUrl;
use pesiar::db::{Db, DbConnection};
use pesiar::users::Role;
use pesiar::users::forms::UserInput;
use pesiar::web::Settings;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

pub const PASSWORD: &str = "kata-sandi-uji-9";

/// A database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.pg_admin
            && let Ok(mut conn) = pesiar::db::connect_postgres(admin_url)
        {
            {
                let _ =
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .execute(&mut conn);
            }
        }
    }
}

pub fn postgres_admin_url() -> Option<String> {
    std::env::var("PESIAR_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
}

pub fn on_postgres() -> bool {
    postgres_admin_url().is_some()
}

fn unique_name(prefix: &str) -> String {
    format!("{prefix}_{}", pesiar::web::security::random_hex(6))
}

/// Replaces the database name in a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let scheme_end = url.find("://").map(|i| i + 3).unwrap_or(0);
    let (base, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let host_end = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    format!("{}/{}{}", &base[..host_end], name, query)
}

/// A hash of the PostgreSQL migrations, so a changed schema gets a new template.
fn migrations_fingerprint() -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut files: Vec<PathBuf> = walk(&root);
    files.sort();
    let mut hash: u64 = 0xcbf29ce484222325;
    for file in files {
        for byte in std::fs::read(&file).unwrap_or_default() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x100000001b3);
        }
    }
    format!("{hash:016x}")
}

fn walk(dir: &PathBuf) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn pg_template(admin_url: &str) -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let name = format!("pesiar_tpl_{}", migrations_fingerprint());
        let mut admin =
            pesiar::db::connect_postgres(admin_url).expect("connect to PESIAR_TEST_DATABASE_URL");
        // One process builds the template; others (parallel test runners) wait for it.
        diesel::sql_query("SELECT pg_advisory_lock(7345001)")
            .execute(&mut admin)
            .expect("advisory lock");
        #[derive(QueryableByName)]
        struct Found {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            #[allow(dead_code)]
            one: i32,
        }
        let exists = !diesel::sql_query("SELECT 1 AS one FROM pg_database WHERE datname = $1")
            .bind::<diesel::sql_types::Text, _>(&name)
            .load::<Found>(&mut admin)
            .expect("look up template")
            .is_empty();
        if !exists {
            let building = format!("{name}_building");
            diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
            ))
            .execute(&mut admin)
            .expect("drop half-built template");
            diesel::sql_query(format!("CREATE DATABASE \"{building}\""))
                .execute(&mut admin)
                .expect("create template");
            pesiar::db::migrate(&DatabaseUrl::Postgres(with_database(admin_url, &building)))
                .expect("migrate template");
            diesel::sql_query(format!(
                "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
            ))
            .execute(&mut admin)
            .expect("publish template");
        }
        diesel::sql_query("SELECT pg_advisory_unlock(7345001)")
            .execute(&mut admin)
            .expect("advisory unlock");
        name
    })
}

fn sqlite_template() -> &'static PathBuf {
    static TEMPLATE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &TEMPLATE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("template dir");
            let path = dir.path().join("template.db");
            let url = DatabaseUrl::Sqlite(path.clone());
            pesiar::db::migrate(&url).expect("migrate template");
            // Fold the WAL into the main file so a plain copy is complete.
            let mut conn = pesiar::db::establish(&url).expect("open template");
            diesel::connection::SimpleConnection::batch_execute(
                &mut conn,
                "PRAGMA wal_checkpoint(TRUNCATE);",
            )
            .expect("checkpoint template");
            (dir, path)
        })
        .1
}

/// A migrated database with the region list loaded, for this test only.
pub fn test_database() -> TestDatabase {
    use_built_binary();
    match postgres_admin_url() {
        Some(admin_url) => {
            let template = pg_template(&admin_url);
            let name = unique_name("pesiar_t");
            let mut admin = pesiar::db::connect_postgres(&admin_url).expect("connect admin");
            diesel::sql_query(format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
            ))
            .execute(&mut admin)
            .expect("create test database");
            TestDatabase {
                url: DatabaseUrl::Postgres(with_database(&admin_url, &name)),
                _dir: None,
                pg_admin: Some((admin_url, name)),
            }
        }
        None => {
            let dir = tempfile::tempdir().expect("test dir");
            let path = dir.path().join("pesiar.db");
            std::fs::copy(sqlite_template(), &path).expect("copy template");
            TestDatabase {
                url: DatabaseUrl::Sqlite(path),
                _dir: Some(dir),
                pg_admin: None,
            }
        }
    }
}

/// A copy of the migrated SQLite template at `path` (whose folder the caller owns).
pub fn sqlite_database_at(path: PathBuf) -> TestDatabase {
    std::fs::copy(sqlite_template(), &path).expect("copy template");
    existing_sqlite_database(path)
}

/// The SQLite database already at `path`.
pub fn existing_sqlite_database(path: PathBuf) -> TestDatabase {
    TestDatabase {
        url: DatabaseUrl::Sqlite(path),
        _dir: None,
        pg_admin: None,
    }
}

/// A database that exists but has nothing in it yet (for migration and demo tests).
/// On SQLite this is a path in an empty folder.
pub fn empty_database() -> TestDatabase {
    match postgres_admin_url() {
        Some(admin_url) => {
            let name = unique_name("pesiar_e");
            let mut admin = pesiar::db::connect_postgres(&admin_url).expect("connect admin");
            diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                .execute(&mut admin)
                .expect("create empty database");
            TestDatabase {
                url: DatabaseUrl::Postgres(with_database(&admin_url, &name)),
                _dir: None,
                pg_admin: Some((admin_url, name)),
            }
        }
        None => {
            let dir = tempfile::tempdir().expect("test dir");
            let path = dir.path().join("pesiar.db");
            TestDatabase {
                url: DatabaseUrl::Sqlite(path),
                _dir: Some(dir),
                pg_admin: None,
            }
        }
    }
}

pub fn database_url_string(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(path) => path.to_string_lossy().into_owned(),
        DatabaseUrl::Postgres(url) => url.clone(),
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: Db,
    /// Kept so the database outlives the server.
    pub _database: TestDatabase,
    /// The cookie key: a second server with it accepts this one's sessions.
    pub key: actix_web::cookie::Key,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command now; the workers drop their pools as they wind down.
        drop(self.handle.stop(false));
    }
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// XLSX files are read by the `pesiar` binary in a child process, as in production.
pub fn use_built_binary() {
    pesiar::tabular::use_program(PathBuf::from(env!("CARGO_BIN_EXE_pesiar")));
}

/// A running app on a fresh test database with the default settings.
pub async fn spawn_app() -> TestApp {
    TestApp::new().spawn().await
}

/// How a test's app is to be started: `TestApp::new().on(database).behind_proxies(1).spawn()`.
pub struct TestAppBuilder {
    database: Option<TestDatabase>,
    pool: Option<Db>,
    settings: Settings,
    key: Option<actix_web::cookie::Key>,
}

impl TestAppBuilder {
    /// Serves this database (default: a fresh `test_database()`).
    pub fn on(mut self, database: TestDatabase) -> Self {
        self.database = Some(database);
        self
    }

    /// Behind `hops` reverse proxies: the client address comes from `X-Forwarded-For`.
    pub fn behind_proxies(mut self, hops: usize) -> Self {
        self.settings.trusted_proxies = hops;
        self
    }

    /// Cookies marked Secure (a plain-HTTP client then cannot send them back).
    pub fn with_secure_cookies(self) -> Self {
        self.with_settings(|s| s.secure_cookies = true)
    }

    pub fn with_settings(mut self, change: impl FnOnce(&mut Settings)) -> Self {
        change(&mut self.settings);
        self
    }

    /// The cookie key of an earlier server, whose sessions this one then accepts.
    pub fn with_key(mut self, key: actix_web::cookie::Key) -> Self {
        self.key = Some(key);
        self
    }

    /// A second server on another server's database: its pool, not a new one.
    pub fn sharing(mut self, db: Db) -> Self {
        self.pool = Some(db);
        self
    }

    /// A database server that cannot be reached: nothing listens on port 1, so every
    /// connection attempt fails (the test database is still made, and kept unused).
    pub fn with_database_down(mut self) -> Self {
        self.pool = Some(Db::connect_lazy(&DatabaseUrl::Postgres(
            "postgres://pesiar@127.0.0.1:1/none?connect_timeout=1".into(),
        )));
        self
    }

    pub async fn spawn(self) -> TestApp {
        use_built_binary();
        let database = self.database.unwrap_or_else(test_database);
        let db = match self.pool {
            Some(pool) => pool,
            None => Db::connect(&database.url).expect("pool"),
        };
        let key = self.key.unwrap_or_else(actix_web::cookie::Key::generate);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server =
            pesiar::app::server(db.clone(), self.settings, key.clone(), listener).expect("server");
        let handle = server.handle();
        tokio::spawn(server);
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            client: new_client(),
            db,
            _database: database,
            key,
            handle,
        }
    }
}

/// The `value` of the first hidden `csrf_token` input in a page.
pub fn csrf_from(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

impl TestApp {
    /// A builder, not an app: it reads as the app under test being described, then spawned.
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> TestAppBuilder {
        TestAppBuilder {
            database: None,
            pool: None,
            settings: Settings {
                secure_cookies: false,
                trusted_proxies: 0,
                stale_after_days: pesiar::config::STALE_AFTER_DAYS,
            },
            key: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.get_with(&self.client, path).await
    }

    pub async fn get_with(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let res = self.get(path).await;
        let status = res.status();
        (status, res.text().await.expect("body"))
    }

    /// A CSRF token for this client's session (from any page that has a form).
    pub async fn csrf_with(&self, client: &reqwest::Client) -> String {
        for path in ["/login", "/akun/password"] {
            let res = self.get_with(client, path).await;
            if res.status() == StatusCode::OK
                && let Some(token) = csrf_from(&res.text().await.expect("body"))
            {
                return token;
            }
        }
        panic!("no page with a CSRF token");
    }

    pub async fn csrf(&self) -> String {
        self.csrf_with(&self.client).await
    }

    /// POSTs a form with this client's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.post_form_with(&self.client, path, fields).await
    }

    pub async fn post_form_with(
        &self,
        client: &reqwest::Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf_with(client).await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        all.extend_from_slice(fields);
        client
            .post(self.url(path))
            .form(&all)
            .send()
            .await
            .expect("POST")
    }

    /// Searches households as the form does (POST, then the sealed result id); returns the
    /// result page's path.
    pub async fn search_path(&self, client: &reqwest::Client, query: &str) -> String {
        let res = self
            .post_form_with(client, "/rumah-tangga/cari", &[("q", query)])
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "search {query:?}");
        let to = location(&res);
        assert!(!to.contains(query), "the term is in the URL: {to}");
        to
    }

    pub async fn login_with(
        &self,
        client: &reqwest::Client,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        self.post_form_with(
            client,
            "/login",
            &[("username", username), ("password", password)],
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.login_with(&self.client, username, password).await
    }

    /// Creates a user straight in the database (password `PASSWORD`) and returns its id.
    pub async fn create_user(&self, username: &str, role: Role, areas: &[&str]) -> i32 {
        let input = UserInput {
            username: username.to_string(),
            full_name: format!("Pengguna {username}"),
            phone: String::new(),
            role,
            areas: areas
                .iter()
                .map(|a| pesiar::regions::RegionCode::parse(a).expect("area code"))
                .collect(),
        };
        self.db
            .run(move |conn| {
                let hash = pesiar::auth::password::hash(PASSWORD)?;
                pesiar::users::queries::create(conn, &input, &hash, false, None)
                    .map_err(|e| pesiar::AppError::internal(format!("{e:?}")))
            })
            .await
            .expect("create user")
    }

    /// Creates a user and signs this app's client in as them.
    pub async fn sign_in_as(&self, username: &str, role: Role, areas: &[&str]) -> i32 {
        let id = self.create_user(username, role, areas).await;
        let res = self.login(username, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "login of {username}");
        id
    }

    /// Runs a query on the test database.
    pub async fn with_conn<T, F>(&self, f: F) -> T
    where
        F: FnOnce(&mut DbConnection) -> T + Send + 'static,
        T: Send + 'static,
    {
        self.db
            .run(move |conn| Ok(f(conn)))
            .await
            .expect("database")
    }
}

/// The areas every role gets in tests: Kota Bandung, Kecamatan Coblong, Kelurahan Dago.
pub fn default_areas(role: Role) -> &'static [&'static str] {
    match role {
        Role::Admin => &[],
        Role::Supervisor => &["32.73"],
        Role::Agent | Role::Kader => &["32.73.02.1004"],
        Role::Office => &["32.73.02"],
    }
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

pub async fn user_id(app: &TestApp, username: &'static str) -> i32 {
    app.with_conn(move |conn| {
        pesiar::users::queries::find_by_username(conn, username)
            .unwrap()
            .expect("user")
            .id
    })
    .await
}
