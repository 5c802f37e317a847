//! The SQLite file's storage fails: the disk fills up under the running server, or the file is
//! read-only. The person gets a clear page, nothing is half-written, and the same form sent
//! again once storage is back is recorded once. Mounting the small file system for a full disk
//! takes root; elsewhere that test says it was skipped (and fails when `PESIAR_REQUIRE_ROOT=1`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use diesel::prelude::*;
use pesiar::db::schema::{reactivations, submissions, visit_members, visits};
use reqwest::StatusCode;

use crate::helpers::{TestApp, existing_sqlite_database, on_postgres, sqlite_database_at};
use crate::journeys::{fixture, visit_form_path};

struct Tmpfs {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Tmpfs {
    fn mount(size_kb: u64) -> Option<Self> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc_geteuid() } != 0 {
            return None;
        }
        let dir = tempfile::tempdir().ok()?;
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_kb}k"), "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self { _dir: dir, path })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

/// Writes a file until the file system has no room left; returns its path.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).expect("filler");
    let chunk = vec![0u8; 4096];
    while file
        .write_all(&chunk)
        .and_then(|_| file.sync_data())
        .is_ok()
    {}
    path
}

#[derive(Debug, PartialEq)]
struct Counts {
    visits: i64,
    visit_members: i64,
    claims: i64,
    submissions: i64,
}

async fn counts(app: &TestApp) -> Counts {
    app.with_conn(|conn| Counts {
        visits: visits::table.count().get_result(conn).unwrap(),
        visit_members: visit_members::table.count().get_result(conn).unwrap(),
        claims: reactivations::table.count().get_result(conn).unwrap(),
        submissions: submissions::table.count().get_result(conn).unwrap(),
    })
    .await
}

/// A filled-in visit form (with a reactivation claim), as the phone would send it.
async fn visit_form(
    app: &TestApp,
    client: &reqwest::Client,
    household: i32,
    member: i32,
) -> Vec<(String, String)> {
    let form = app.open_form(client, &visit_form_path(household)).await;
    let today = pesiar::web::today().to_string();
    let (status, action) = (format!("m.{member}.status"), format!("m.{member}.action"));
    form.filled(&[
        ("visited_on", &today),
        ("outcome", "ditemui"),
        ("note", "catatan panjang yang tidak boleh hilang"),
        (&status, "nonaktif"),
        (&action, "tunggakan_lunas"),
    ])
}

async fn send(
    app: &TestApp,
    client: &reqwest::Client,
    household: i32,
    form: &[(String, String)],
) -> (StatusCode, String) {
    let res = client
        .post(app.url(&format!("/rumah-tangga/{household}/kunjungan/baru")))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.text().await.unwrap())
}

#[tokio::test]
async fn a_full_disk_gets_a_clear_page_and_half_writes_nothing() {
    if on_postgres() {
        return; // SQLite's own file; PostgreSQL's outage is bench/faults.sh's.
    }
    let Some(disk) = Tmpfs::mount(24 * 1024) else {
        assert!(
            std::env::var("PESIAR_REQUIRE_ROOT").is_err(),
            "PESIAR_REQUIRE_ROOT is set but no tmpfs could be mounted"
        );
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    };
    let app = TestApp::new()
        .on(sqlite_database_at(disk.path.join("pesiar.db")))
        .spawn()
        .await;
    let f = fixture(&app, "agen.disk", "32.73.02.1004").await;
    let (household, member) = (f.household, f.members[0]);
    let before = counts(&app).await;

    // The disk fills up. The WAL is emptied first so the next write must grow a file.
    app.with_conn(|conn| {
        diesel::connection::SimpleConnection::batch_execute(conn, "PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap()
    })
    .await;
    let form = visit_form(&app, &f.agent, household, member).await;
    let filler = fill(&disk.path);
    let (status, page) = send(&app, &f.agent, household, &form).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{page}");
    assert!(page.contains("Penyimpanan server penuh"), "{page}");
    assert!(page.contains("Tidak ada yang tersimpan sebagian"), "{page}");
    assert_eq!(counts(&app).await, before, "a half-written visit");
    // Reading still works.
    let res = app
        .get_with(&f.agent, &format!("/rumah-tangga/{household}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // Room again: the same form goes through, once.
    std::fs::remove_file(filler).unwrap();
    let (status, _) = send(&app, &f.agent, household, &form).await;
    assert!(status.is_redirection(), "{status}");
    let (status, _) = send(&app, &f.agent, household, &form).await;
    assert!(status.is_redirection(), "{status}");
    let after = counts(&app).await;
    assert_eq!(after.visits, before.visits + 1);
    assert_eq!(after.claims, before.claims + 1);
}

/// A database file the server may only read (a restored copy with the wrong owner, a read-only
/// volume): SQLite opens it read-only, as `mode=ro` does here without needing another user.
/// Pages still open; every write gets the clear page and leaves nothing behind.
#[tokio::test]
async fn a_read_only_database_still_reads_and_refuses_writes_clearly() {
    if on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pesiar.db");
    let app = TestApp::new()
        .on(sqlite_database_at(path.clone()))
        .spawn()
        .await;
    let f = fixture(&app, "agen.baca", "32.73.02.1004").await;
    let (household, member) = (f.household, f.members[0]);
    let form = visit_form(&app, &f.agent, household, member).await;
    let before = counts(&app).await;
    let (key, agent) = (app.key.clone(), f.agent);
    drop(app);

    let read_only = PathBuf::from(format!("file:{}?mode=ro", path.display()));
    let app = TestApp::new()
        .on(existing_sqlite_database(read_only))
        .with_key(key)
        .spawn()
        .await;
    let res = app
        .get_with(&agent, &format!("/rumah-tangga/{household}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "reading while read-only");
    let (status, page) = send(&app, &agent, household, &form).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{page}");
    assert!(page.contains("hanya-baca"), "{page}");
    assert!(page.contains("Tidak ada yang tersimpan sebagian"), "{page}");
    // Signing in needs a write too: the same clear page, not a 500.
    let res = app
        .login_with(
            &crate::helpers::new_client(),
            "agen.baca",
            crate::helpers::PASSWORD,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(counts(&app).await, before, "a half-written visit");
    drop(app);

    // Writable again: the same form is recorded, once.
    let app = TestApp::new()
        .on(existing_sqlite_database(path))
        .spawn()
        .await;
    let agent = crate::helpers::new_client();
    app.login_with(&agent, "agen.baca", crate::helpers::PASSWORD)
        .await;
    let mut form = form;
    form[0].1 = app.csrf_with(&agent).await;
    let (status, _) = send(&app, &agent, household, &form).await;
    assert!(status.is_redirection(), "{status}");
    assert_eq!(counts(&app).await.visits, before.visits + 1);
}
