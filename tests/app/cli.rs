//! The command line, run as a newcomer would: the real binary.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::{TestApp, database_url_string, empty_database, new_client, test_database};

pub(crate) fn pesiar(database: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pesiar"));
    cmd.env("DATABASE_URL", database)
        .env("RUST_LOG", "warn")
        .env_remove("PESIAR_SECRET_KEY")
        .env_remove("PESIAR_BIND");
    cmd
}

fn run_with_stdin(mut cmd: Command, stdin: &str) -> std::process::Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pesiar");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

#[tokio::test]
async fn migrate_then_add_a_user_then_reset_the_password() {
    let database = empty_database();
    let url = database_url_string(&database.url);

    let out = pesiar(&url).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Running it again is harmless.
    assert!(
        pesiar(&url)
            .arg("migrate")
            .output()
            .unwrap()
            .status
            .success()
    );

    let mut add = pesiar(&url);
    add.args(["user", "add", "--username", "agen.cli", "--role", "agent"])
        .args([
            "--area",
            "32.73.02.1004",
            "--area",
            "32.73.02.1005",
            "--name",
            "Agen CLI",
        ]);
    let out = run_with_stdin(add, "sandi-dari-cli-1\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Refusals name the problem and change nothing.
    let mut short = pesiar(&url);
    short.args(["user", "add", "--username", "pendek", "--role", "admin"]);
    let out = run_with_stdin(short, "pendek\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("minimal 10 karakter"));
    let mut wrong_level = pesiar(&url);
    wrong_level.args([
        "user",
        "add",
        "--username",
        "agen.kota",
        "--role",
        "agent",
        "--area",
        "32.73",
    ]);
    let out = run_with_stdin(wrong_level, "sandi-dari-cli-1\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("tidak sesuai peran"));

    let mut reset = pesiar(&url);
    reset.args(["user", "reset-password", "--username", "agen.cli"]);
    let out = run_with_stdin(reset, "sandi-baru-cli-22\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The user logs in on a server over the same database with the new password only.
    let app = TestApp::new().on(database).spawn().await;
    assert_eq!(
        app.login("agen.cli", "sandi-dari-cli-1").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = app.login("agen.cli", "sandi-baru-cli-22").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("Kelurahan Sekeloa"));
}

#[test]
fn user_commands_refuse_a_sqlite_file_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("salah-ketik.db");
    let mut add = pesiar(path.to_str().unwrap());
    add.args(["user", "add", "--username", "siapa", "--role", "admin"]);
    let out = run_with_stdin(add, "sandi-dari-cli-1\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("tidak ada"));
    assert!(!path.exists(), "no empty database was created");
}

#[test]
fn serve_on_postgres_refuses_to_start_without_a_secret_key() {
    let out = pesiar("postgres://pesiar@127.0.0.1:1/none")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("PESIAR_SECRET_KEY"));
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `pesiar demo` prints one login per role, and each of them works.
#[tokio::test]
async fn demo_prints_logins_that_work() {
    let database = if crate::helpers::on_postgres() {
        empty_database()
    } else {
        test_database() // an existing file: demo must replace it
    };
    let url = database_url_string(&database.url);
    let port = free_port();
    let mut child = pesiar(&url)
        .arg("demo")
        .env("PESIAR_BIND", format!("127.0.0.1:{port}"))
        .env("PESIAR_SECRET_KEY", "x".repeat(40))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut logins = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if let Some(pw) = cols.iter().find(|c| c.starts_with("demo-")) {
                logins.push((cols[0].to_string(), pw.to_string()));
            }
            if line.starts_with("pesiar berjalan") {
                break;
            }
        }
        logins
    });
    let logins = reader.join().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while reqwest::get(format!("{base}/healthz")).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "demo did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let usernames: Vec<&str> = logins.iter().map(|(u, _)| u.as_str()).collect();
    assert_eq!(usernames, ["admin", "supervisor", "agen", "kader", "camat"]);
    for (username, password) in &logins {
        let client = new_client();
        log_in_with(&client, &base, username, password).await;
        let res = client.get(format!("{base}/")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{username} home");
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Every migration can be reverted and applied again (the demo relies on it on PostgreSQL).
#[test]
fn migrations_go_down_and_up_again() {
    let database = empty_database();
    pesiar::db::migrate(&database.url).unwrap();
    pesiar::db::revert_all(&database.url).unwrap();
    pesiar::db::migrate(&database.url).unwrap();
    let mut conn = pesiar::db::establish(&database.url).unwrap();
    use diesel::prelude::*;
    let regions: i64 = pesiar::db::schema::regions::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(regions, 91_599);
}

/// `pesiar backup` copies a live SQLite database while an agent keeps recording visits: the
/// copy holds every visit acknowledged before it started, and is a sound database.
#[tokio::test]
async fn backup_copies_a_live_database_with_every_acknowledged_visit() {
    let app = crate::helpers::spawn_app().await;
    let url = database_url_string(&app._database.url);
    if crate::helpers::on_postgres() {
        let out = pesiar(&url)
            .args(["backup", "/tmp/never-written.db"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
        return;
    }
    let f = crate::journeys::fixture(&app, "agen.cadangan", "32.73.02.1004").await;
    let today = pesiar::web::today().format("%Y-%m-%d").to_string();
    let form = format!("/rumah-tangga/{}/kunjungan/baru", f.household);
    let mut acknowledged = vec![f.visit];
    for _ in 0..5 {
        let res = app
            .submit(
                &f.agent,
                &form,
                &[("visited_on", &today), ("outcome", "tidak_ditemui")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        acknowledged.push(crate::journeys::id_from(&crate::helpers::location(&res)));
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("cadangan.db");
    let backup = {
        let (url, copy) = (url.clone(), copy.clone());
        tokio::task::spawn_blocking(move || pesiar(&url).arg("backup").arg(&copy).output().unwrap())
    };
    // Visits keep arriving while the copy is made.
    let mut during = 0;
    while !backup.is_finished() && during < 50 {
        let res = app
            .submit(
                &f.agent,
                &form,
                &[("visited_on", &today), ("outcome", "menolak")],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "visits go on during the backup"
        );
        during += 1;
    }
    let out = backup.await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Cadangan ditulis"));

    let restored =
        pesiar::db::Db::connect(&pesiar::config::DatabaseUrl::Sqlite(copy.clone())).unwrap();
    let (ids, check): (Vec<i32>, String) = restored
        .run(|conn| {
            use diesel::prelude::*;
            #[derive(QueryableByName)]
            struct Check {
                #[diesel(sql_type = diesel::sql_types::Text)]
                integrity_check: String,
            }
            let ids = pesiar::db::schema::visits::table
                .select(pesiar::db::schema::visits::id)
                .load(conn)?;
            let check = diesel::sql_query("PRAGMA integrity_check")
                .get_result::<Check>(conn)?
                .integrity_check;
            Ok((ids, check))
        })
        .await
        .unwrap();
    assert_eq!(check, "ok");
    for id in &acknowledged {
        assert!(
            ids.contains(id),
            "visit {id} acknowledged before the backup is in it"
        );
    }
    // A second backup to the same name is refused rather than overwriting it.
    let again = pesiar(&url).arg("backup").arg(&copy).output().unwrap();
    assert!(!again.status.success());
}

/// The real server killed with SIGKILL in the middle of a burst of visit submissions: after a
/// restart every submission that was acknowledged is there, and sending the whole burst again
/// (as phones retry) records nothing twice.
#[tokio::test]
async fn a_server_killed_mid_burst_loses_no_acknowledged_visit_and_doubles_none() {
    let app = crate::helpers::spawn_app().await;
    let f = crate::journeys::fixture(&app, "agen.kill", "32.73.02.1004").await;
    let url = database_url_string(&app._database.url);
    let port = free_port();
    let start = || serve(&url, port);
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start();
    wait_up(&base).await;

    let client = new_client();
    log_in(&client, &base, "agen.kill").await;
    let form_path = format!("/rumah-tangga/{}/kunjungan/baru", f.household);
    let form = page_at(&client, &format!("{base}{form_path}")).await;
    let csrf = crate::helpers::csrf_from(&form).unwrap();
    let keys: Vec<String> = (0..40)
        .map(|i| format!("burst-key-{i:04}-abcdef"))
        .collect();
    let send = {
        let (client, url) = (client.clone(), format!("{base}{form_path}"));
        move |key: String| post_visit(client.clone(), url.clone(), csrf.clone(), key)
    };
    // The burst: eight phones sending five visits each, one after another; the server is
    // killed once ten have been acknowledged, with the others in flight or still to come.
    let acks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let burst: Vec<_> = keys
        .chunks(5)
        .map(|chunk| {
            let (chunk, send, acks) = (chunk.to_vec(), send.clone(), acks.clone());
            tokio::spawn(async move {
                let mut done = Vec::new();
                for key in chunk {
                    match send(key).await {
                        Some(location) => {
                            acks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            done.push(location);
                        }
                        None => break,
                    }
                }
                done
            })
        })
        .collect();
    while acks.load(std::sync::atomic::Ordering::SeqCst) < 10 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    let mut acknowledged = Vec::new();
    for task in burst {
        acknowledged.extend(task.await.unwrap());
    }
    assert!(
        (10..40).contains(&acknowledged.len()),
        "killed mid-burst: {} acknowledged",
        acknowledged.len()
    );

    let mut server = start();
    wait_up(&base).await;
    // Every acknowledged visit survived.
    for location in &acknowledged {
        let res = client
            .get(format!("{base}{location}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{location} after the restart");
    }
    // The phones send everything again: each key gives its one visit.
    let mut again = Vec::new();
    for key in &keys {
        again.push(send(key.clone()).await.expect("resent submission answered"));
    }
    for location in &acknowledged {
        assert!(
            again.contains(location),
            "a repeat answers with the first result: {location}"
        );
    }
    let visits = visits_in(&app, f.household).await;
    assert_eq!(
        visits,
        1 + 40,
        "the fixture's visit and one per key, none twice"
    );
    server.kill().unwrap();
    server.wait().unwrap();
    println!("acknowledged before the kill: {}", acknowledged.len());
}

/// `pesiar serve` on the test database at `port`, with a fixed session key (shared by every
/// instance started this way).
pub(crate) fn serve(url: &str, port: u16) -> std::process::Child {
    pesiar(url)
        .arg("serve")
        .env("PESIAR_BIND", format!("127.0.0.1:{port}"))
        .env(
            "PESIAR_SECRET_KEY",
            "shared-test-secret-key-0123456789abcdefghij",
        )
        .env("PESIAR_SECURE_COOKIES", "false")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pesiar serve")
}

pub(crate) async fn wait_up(base: &str) {
    for _ in 0..100 {
        if let Ok(res) = reqwest::get(format!("{base}/healthz")).await
            && res.status() == StatusCode::OK
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} did not come up");
}

pub(crate) async fn log_in(client: &reqwest::Client, base: &str, username: &str) {
    log_in_with(client, base, username, crate::helpers::PASSWORD).await;
}

/// Signs in on the server at `base` (a `pesiar serve` child, not the in-process app).
async fn log_in_with(client: &reqwest::Client, base: &str, username: &str, password: &str) {
    let token =
        crate::helpers::csrf_from(&page_at(client, &format!("{base}/login")).await).unwrap();
    let res = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "login of {username}");
}

async fn page_at(client: &reqwest::Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// Two instances on one database: a session made on one is valid on the other, visits sent to
/// both at once (some of them to both) are each counted once, and both report the same figures.
#[tokio::test]
async fn two_instances_share_sessions_count_once_and_agree() {
    let app = crate::helpers::spawn_app().await;
    let f = crate::journeys::fixture(&app, "agen.dua", "32.73.02.1004").await;
    let url = database_url_string(&app._database.url);
    let (port_a, port_b) = (free_port(), free_port());
    let (mut a, mut b) = (serve(&url, port_a), serve(&url, port_b));
    let (base_a, base_b) = (
        format!("http://127.0.0.1:{port_a}"),
        format!("http://127.0.0.1:{port_b}"),
    );
    wait_up(&base_a).await;
    wait_up(&base_b).await;

    // Signed in on A; the same cookie opens pages on B (cookies do not depend on the port).
    let client = new_client();
    log_in(&client, &base_a, "agen.dua").await;
    let home_b = client.get(format!("{base_b}/")).send().await.unwrap();
    assert_eq!(
        home_b.status(),
        StatusCode::OK,
        "the session made on A is valid on B"
    );
    let form_path = format!("/rumah-tangga/{}/kunjungan/baru", f.household);
    let form = page_at(&client, &format!("{base_b}{form_path}")).await;
    let csrf = crate::helpers::csrf_from(&form).unwrap();
    // Each instance shows the kelurahan page before the visits, and may keep it until the
    // database changes: what the other instance writes must show on it afterwards.
    for base in [&base_a, &base_b] {
        let before = client
            .get(format!("{base}/progres/32.73.02.1004"))
            .send()
            .await
            .unwrap();
        assert_eq!(before.status(), StatusCode::OK);
    }
    let send = |base: String, key: String| {
        let visit = post_visit(
            client.clone(),
            format!("{base}{form_path}"),
            csrf.clone(),
            key,
        );
        async move { visit.await.expect("visit recorded (303)") }
    };
    // Ten visits to each instance, and five sent to both at the same moment (a retry that
    // reached the other instance).
    let mut sends = Vec::new();
    for i in 0..10 {
        sends.push(tokio::spawn(send(
            base_a.clone(),
            format!("dua-a-{i:02}-abcdefgh"),
        )));
        sends.push(tokio::spawn(send(
            base_b.clone(),
            format!("dua-b-{i:02}-abcdefgh"),
        )));
    }
    let mut both = Vec::new();
    for i in 0..5 {
        let key = format!("dua-ab-{i:02}-abcdefgh");
        both.push((
            tokio::spawn(send(base_a.clone(), key.clone())),
            tokio::spawn(send(base_b.clone(), key)),
        ));
    }
    for s in sends {
        s.await.unwrap();
    }
    for (on_a, on_b) in both {
        assert_eq!(
            on_a.await.unwrap(),
            on_b.await.unwrap(),
            "one visit for a key sent to both"
        );
    }
    let visits = visits_in(&app, f.household).await;
    assert_eq!(visits, 1 + 20 + 5);

    // Both instances report the same progress: the API figures, and 26 visits for the agent on
    // the kelurahan page.
    let get = |url: String| {
        let client = client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let api = "/api/v1/progress/32.73.02.1004";
    assert_eq!(
        get(format!("{base_a}{api}")).await,
        get(format!("{base_b}{api}")).await
    );
    for base in [&base_a, &base_b] {
        let page = get(format!("{base}/progres/32.73.02.1004")).await;
        assert!(page.contains("<td class=\"num\">26</td>"), "{base}: {page}");
    }
    for server in [&mut a, &mut b] {
        server.kill().unwrap();
        server.wait().unwrap();
    }
}

/// Posts a visit form ("not met") with its own one-time key; the visit's page when recorded.
async fn post_visit(
    client: reqwest::Client,
    url: String,
    csrf: String,
    key: String,
) -> Option<String> {
    let today = pesiar::web::today().format("%Y-%m-%d").to_string();
    client
        .post(url)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("submission_key", key.as_str()),
            ("visited_on", today.as_str()),
            ("outcome", "tidak_ditemui"),
        ])
        .send()
        .await
        .ok()
        .filter(|r| r.status() == StatusCode::SEE_OTHER)
        .map(|r| crate::helpers::location(&r))
}

async fn visits_in(app: &crate::helpers::TestApp, household: i32) -> i64 {
    app.with_conn(move |conn| {
        use diesel::prelude::*;
        use pesiar::db::schema::visits;
        visits::table
            .filter(visits::household_id.eq(household))
            .count()
            .get_result(conn)
            .unwrap()
    })
    .await
}
