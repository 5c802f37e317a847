//! Hostile files, built as an attacker would, sent to a real `pesiar serve` process through both
//! upload routes and to the command line: the server stays up, its memory grows by at most
//! 100 MB, `/healthz` answers within a second throughout, each file gets a clear refusal, and
//! nothing is stored. A child process, because the in-process test server would die with the
//! harness and its memory mixes with the other tests'.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use pesiar::users::Role;
use reqwest::StatusCode;

use crate::cli::{free_port, log_in, pesiar, serve, wait_up};
use crate::helpers::{database_url_string, new_client, spawn_app};

const MB: u64 = 1024 * 1024;

/// A workbook with one string cell, as a spreadsheet program writes it.
fn plain_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "kode_wilayah").unwrap();
    book.save_to_buffer().unwrap()
}

/// `xlsx` with `part` swapped for the bytes `write` writes.
/// A part's new content, written into the archive.
type Part<'a> = &'a dyn Fn(&mut dyn Write);

fn rewrite_xlsx(xlsx: &[u8], path: &Path, part: &str, write: Part<'_>) {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut out = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        out.start_file(name.as_str(), options).unwrap();
        if name == part {
            write(&mut out);
        } else {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            out.write_all(&bytes).unwrap();
        }
    }
    out.finish().unwrap();
}

const SHEET_START: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
    <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>";

/// Each hostile file, with a word its refusal must contain for each route.
struct Hostile {
    name: &'static str,
    path: PathBuf,
    /// What the figures upload (25 MB limit) and the roster import must say.
    figures_says: &'static str,
    roster_says: &'static str,
}

fn hostile_files(dir: &Path) -> Vec<Hostile> {
    let mut files = Vec::new();

    // Cells A1 and XFD1048576: a dense range of the sheet would be 17 billion cells.
    let path = dir.join("jarang.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "kode_wilayah").unwrap();
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    book.save(&path).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 8 * 1024);
    files.push(Hostile {
        name: "A1 and XFD1048576",
        path,
        figures_says: "100 kolom",
        roster_says: "100 kolom",
    });

    // Shared strings that declare a hundred billion entries.
    let path = dir.join("teks.xlsx");
    rewrite_xlsx(
        &plain_xlsx(),
        &path,
        "xl/sharedStrings.xml",
        &|w: &mut dyn Write| {
            w.write_all(
                b"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
                  <sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
                  count=\"100000000000\" uniqueCount=\"100000000000\"><si><t>kode_wilayah</t></si></sst>",
            )
            .unwrap()
        },
    );
    files.push(Hostile {
        name: "sharedStrings uniqueCount=1e11",
        path,
        figures_says: "teks berbeda",
        roster_says: "teks berbeda",
    });

    // A deflate bomb: about 1 MB that unpacks to 1 GiB of sheet XML.
    let path = dir.join("bom.xlsx");
    rewrite_xlsx(
        &plain_xlsx(),
        &path,
        "xl/worksheets/sheet1.xml",
        &|w: &mut dyn Write| {
            w.write_all(SHEET_START.as_bytes()).unwrap();
            let blanks = vec![b' '; MB as usize];
            for _ in 0..1024 {
                w.write_all(&blanks).unwrap();
            }
            w.write_all(b"</sheetData></worksheet>").unwrap();
        },
    );
    assert!(std::fs::metadata(&path).unwrap().len() < 2 * MB);
    files.push(Hostile {
        name: "deflate bomb (1 GiB of XML)",
        path,
        figures_says: "kali ukuran",
        roster_says: "kali ukuran",
    });

    // A 24 MB CSV with 100,000 columns.
    let path = dir.join("lebar.csv");
    let line = "1,".repeat(100_000) + "\n";
    std::fs::write(&path, line.repeat(120)).unwrap();
    files.push(Hostile {
        name: "CSV with 100,000 columns",
        path,
        figures_says: "100 kolom",
        roster_says: "100 kolom",
    });

    // A CSV whose second line is 150 MB long.
    let path = dir.join("panjang.csv");
    let mut file = std::fs::File::create(&path).unwrap();
    file.write_all(pesiar::roster::read::COLUMNS.join(",").as_bytes())
        .unwrap();
    file.write_all(b"\n").unwrap();
    let chunk = vec![b'9'; MB as usize];
    for _ in 0..150 {
        file.write_all(&chunk).unwrap();
    }
    file.write_all(b"\n").unwrap();
    files.push(Hostile {
        name: "CSV with one 150 MB line",
        path,
        figures_says: "25 MB",
        roster_says: "KB per baris",
    });
    files
}

fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Samples the server's memory and `/healthz` latency until stopped.
struct Watch {
    stop: Arc<AtomicBool>,
    peak_rss: Arc<AtomicU64>,
    worst_ms: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Watch {
    fn start(base: &str, pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak_rss = Arc::new(AtomicU64::new(rss_bytes(pid)));
        let worst_ms = Arc::new(AtomicU64::new(0));
        let memory = {
            let (stop, peak) = (stop.clone(), peak_rss.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_bytes(pid), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        };
        let health = {
            let (stop, worst) = (stop.clone(), worst_ms.clone());
            let url = format!("{base}/healthz");
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let ok = client
                        .get(&url)
                        .timeout(Duration::from_secs(5))
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == StatusCode::OK);
                    let ms = if ok {
                        started.elapsed().as_millis() as u64
                    } else {
                        u64::MAX
                    };
                    worst.fetch_max(ms, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        };
        Self {
            stop,
            peak_rss,
            worst_ms,
            tasks: vec![memory, health],
        }
    }

    async fn finish(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            let _ = task.await;
        }
        (
            self.peak_rss.load(Ordering::Relaxed),
            self.worst_ms.load(Ordering::Relaxed),
        )
    }
}

/// Posts a file to an upload form; `None` when the server closed the connection before
/// answering (it may, once a body passes the size limit).
async fn upload(
    client: &reqwest::Client,
    base: &str,
    route: &str,
    path: &Path,
) -> Option<(StatusCode, String, String)> {
    let page = client
        .get(format!("{base}{route}"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let token = crate::helpers::csrf_from(&page).expect("csrf token");
    let bytes = std::fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .text("tanggal", "2026-11-30")
        .part(
            "berkas",
            reqwest::multipart::Part::bytes(bytes).file_name(name),
        );
    let res = client
        .post(format!("{base}{route}"))
        .multipart(form)
        .send()
        .await
        .ok()?;
    let status = res.status();
    let to = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    Some((status, to, res.text().await.unwrap_or_default()))
}

/// Follows a background roster import until it ends; returns its page.
async fn import_outcome(client: &reqwest::Client, base: &str, at: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let page = client
            .get(format!("{base}{at}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if !page.contains("Berjalan:") || Instant::now() > deadline {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The server process, stopped when the test ends, however it ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_files_neither_kill_nor_bloat_the_server_and_store_nothing() {
    let app = spawn_app().await;
    app.create_user("spv.hostile", Role::Supervisor, &["32.73"])
        .await;
    let url = database_url_string(&app._database.url);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Server(serve(&url, port));
    let pid = server.0.id();
    wait_up(&base).await;
    let client = new_client();
    log_in(&client, &base, "spv.hostile").await;
    let dir = tempfile::tempdir().unwrap();
    let files = hostile_files(dir.path());

    for file in &files {
        let before = rss_bytes(pid);
        let watch = Watch::start(&base, pid);
        match upload(&client, &base, "/data/impor", &file.path).await {
            Some((status, _, body)) => {
                assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", file.name);
                assert!(
                    body.contains(file.figures_says),
                    "{}: figures page lacks {:?}",
                    file.name,
                    file.figures_says
                );
            }
            // Only a body over the size limit may be cut off.
            None => assert_eq!(file.figures_says, "25 MB", "{}: no answer", file.name),
        }
        let (status, to, _) = upload(&client, &base, "/data/roster", &file.path)
            .await
            .unwrap_or_else(|| panic!("{}: roster upload got no answer", file.name));
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", file.name);
        let page = import_outcome(&client, &base, &to).await;
        assert!(page.contains("Gagal"), "{}: import did not fail", file.name);
        assert!(
            page.contains(file.roster_says),
            "{}: import page lacks {:?}",
            file.name,
            file.roster_says
        );
        let (peak, worst_ms) = watch.finish().await;
        let grew = peak.saturating_sub(before);
        eprintln!(
            "{}: server RSS {} -> peak {} MB (+{} MB), slowest /healthz {} ms",
            file.name,
            before / MB,
            peak / MB,
            grew / MB,
            worst_ms
        );
        assert!(grew <= 100 * MB, "{}: RSS grew {} MB", file.name, grew / MB);
        assert!(
            worst_ms < 1000,
            "{}: /healthz took {worst_ms} ms",
            file.name
        );
        assert!(
            server.0.try_wait().unwrap().is_none(),
            "{}: server died",
            file.name
        );
    }

    // The command line refuses them too, with the same words.
    for file in &files {
        let figures = pesiar(&url)
            .args(["import", "figures"])
            .arg(&file.path)
            .output()
            .unwrap();
        assert!(!figures.status.success(), "{}", file.name);
        let said = String::from_utf8_lossy(&figures.stderr);
        // The command line has no upload size limit: the 150 MB line meets the line limit.
        let expected = if file.figures_says == "25 MB" {
            "KB per baris"
        } else {
            file.figures_says
        };
        assert!(said.contains(expected), "{}: CLI said {said}", file.name);
        let roster = pesiar(&url)
            .args(["import", "roster", "--tanggal", "2026-11-30"])
            .arg(&file.path)
            .output()
            .unwrap();
        assert!(!roster.status.success(), "{}", file.name);
        let said = String::from_utf8_lossy(&roster.stderr);
        assert!(
            said.contains(file.roster_says),
            "{}: CLI said {said}",
            file.name
        );
    }

    let stored: (i64, i64, i64) = app
        .with_conn(|conn| {
            use pesiar::db::schema::{figures, households, members};
            (
                figures::table.count().get_result(conn).unwrap(),
                members::table.count().get_result(conn).unwrap(),
                households::table.count().get_result(conn).unwrap(),
            )
        })
        .await;
    assert_eq!(stored, (0, 0, 0), "figures, members, households stored");
    let res = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
