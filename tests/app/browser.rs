//! Real-browser journeys: headless Chromium at a 360×740 phone viewport, driven through
//! chromedriver (Debian's `chromium` and `chromium-driver`). Every page visited is saved as a
//! screenshot under `target/browser/<test>/`, and checked: no horizontal scrolling, no console
//! error, every field labelled, headings in order.
//!
//! Without chromedriver the tests say so and pass, unless `PESIAR_REQUIRE_BROWSER=1` (CI sets
//! it), where a missing browser fails them.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use pesiar::users::Role;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app};
use crate::journeys::fixture;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// What Chromium logs for a request made while the network is cut.
pub(crate) const OFFLINE: &str = "ERR_INTERNET_DISCONNECTED";

pub(crate) struct Browser {
    pub(crate) client: Client,
    driver: Child,
    port: u16,
    pub(crate) shots: PathBuf,
    step: usize,
    /// The viewport's width in CSS pixels.
    width: f64,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// A phone-sized browser for the test `name`, or `None` where no browser is installed.
    pub(crate) async fn start(name: &str) -> Option<Self> {
        Self::start_with(name, true).await
    }

    /// `phone`: a 360×740 phone; otherwise a window of A4's width at 96 dpi (794×1123).
    pub(crate) async fn start_with(name: &str, phone: bool) -> Option<Self> {
        if !std::path::Path::new(CHROMEDRIVER).exists() {
            assert!(
                std::env::var("PESIAR_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "chromedriver is missing: apt-get install chromium chromium-driver"
            );
            eprintln!("browser test {name} skipped: {CHROMEDRIVER} is not installed");
            return None;
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().unwrap();
        let mut caps = serde_json::Map::new();
        let mut options = json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.path().display()),
            ],
            "mobileEmulation": {
                "deviceMetrics": { "width": 360, "height": 740, "pixelRatio": 2.0, "touch": true }
            }
        });
        if !phone {
            options.as_object_mut().unwrap().remove("mobileEmulation");
            options["args"]
                .as_array_mut()
                .unwrap()
                .push(json!("--window-size=794,1123"));
        }
        caps.insert("goog:chromeOptions".into(), options);
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let mut client = None;
        for _ in 0..50 {
            match ClientBuilder::rustls()
                .expect("tls")
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/browser")
            .join(name);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).unwrap();
        Some(Self {
            client: client.expect("chromedriver session"),
            driver,
            port,
            shots,
            step: 0,
            width: if phone { 360.0 } else { 794.0 },
            _profile: profile,
        })
    }

    pub(crate) async fn goto(&mut self, app: &TestApp, path: &str, name: &str) {
        self.client.goto(&app.url(path)).await.unwrap();
        self.check(name).await;
    }

    /// Waits for the element that only the next page has, then checks the page.
    pub(crate) async fn arrive(&mut self, css: &str, name: &str) {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{name}: {css} did not appear: {e}"));
        self.check(name).await;
    }

    pub(crate) async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The checks every page must pass, and its screenshot.
    pub(crate) async fn check(&mut self, name: &str) {
        self.check_page(name, &[]).await;
    }

    /// `expected`: console messages this page logs on purpose (its 4xx status on an error page
    /// shown on purpose, a request that failed for want of a network).
    pub(crate) async fn check_page(&mut self, name: &str, expected: &[&str]) {
        self.step += 1;
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{:02}-{name}.png", self.step)), png).unwrap();
        let facts = self
            .client
            .execute(
                r#"
                const fields = [...document.querySelectorAll('input:not([type=hidden]),select,textarea')];
                const unlabelled = fields.filter(f => !(f.labels && f.labels.length)
                    && !f.getAttribute('aria-label') && !f.getAttribute('aria-labelledby'))
                    .map(f => f.name || f.id);
                const levels = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1]);
                return {
                    scroll: document.documentElement.scrollWidth,
                    width: window.innerWidth,
                    unlabelled,
                    levels,
                    lang: document.documentElement.lang,
                };"#,
                vec![],
            )
            .await
            .unwrap();
        let scroll = facts["scroll"].as_f64().unwrap();
        let width = facts["width"].as_f64().unwrap();
        assert_eq!(width, self.width, "{name}: the viewport");
        assert!(
            scroll <= width,
            "{name}: scrolls sideways ({scroll} > {width})"
        );
        assert_eq!(
            facts["unlabelled"],
            json!([]),
            "{name}: fields without a label"
        );
        assert_eq!(facts["lang"], "id", "{name}: page language");
        let levels: Vec<u64> = facts["levels"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_u64())
            .collect();
        assert_eq!(
            levels.first(),
            Some(&1),
            "{name}: starts with one h1: {levels:?}"
        );
        assert!(
            levels.windows(2).all(|w| w[1] <= w[0] + 1),
            "{name}: headings skip a level: {levels:?}"
        );
        let errors: Vec<String> = self
            .console_errors()
            .await
            .into_iter()
            .filter(|e| !expected.iter().any(|x| e.contains(x)))
            .collect();
        assert!(errors.is_empty(), "{name}: console errors: {errors:?}");
    }

    /// Severe entries of the browser console since the last call (chromedriver's log endpoint).
    pub(crate) async fn console_errors(&self) -> Vec<String> {
        let session = self.client.session_id().await.unwrap().unwrap();
        let res: serde_json::Value = reqwest::Client::new()
            .post(format!(
                "http://127.0.0.1:{}/session/{session}/se/log",
                self.port
            ))
            .json(&json!({ "type": "browser" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        res["value"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .map(|e| e["message"].to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) async fn fill(&self, css: &str, value: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    pub(crate) async fn select(&self, css: &str, value: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap();
    }

    pub(crate) async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    /// Opens the compact bar's menu (a tap on "Menu"), unless it is open already.
    pub(crate) async fn open_menu(&self) {
        let open = self
            .client
            .execute("return document.querySelector('details.more').open", vec![])
            .await
            .unwrap();
        if open != serde_json::Value::Bool(true) {
            self.click("details.more summary").await;
        }
    }

    pub(crate) async fn log_in(&mut self, app: &TestApp, username: &str) {
        self.goto(app, "/login", "masuk").await;
        self.fill("#username", username).await;
        self.fill("#password", PASSWORD).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
        self.arrive("form[action='/logout']", "beranda").await;
    }

    pub(crate) async fn log_out(&mut self) {
        // Keluar sits in the menu of the compact bar.
        self.open_menu().await;
        self.click("form[action='/logout'] button").await;
        self.arrive("#username", "keluar").await;
    }
}

/// The agent finds a household and records a visit with a reactivation; the supervisor confirms
/// it and sees the kelurahan's figures move; the office sees the board and not another area.
#[tokio::test]
async fn field_to_supervisor_to_office_on_a_phone() {
    let Some(mut b) = Browser::start("perjalanan").await else {
        return;
    };
    let app = spawn_app().await;
    let f = fixture(&app, "agen.hp", "32.73.02.1004").await;
    let ibu = f.members[0];
    app.create_user("spv.hp", Role::Supervisor, &["32.73"])
        .await;
    app.create_user("kantor.hp", Role::Office, &["32.73.02"])
        .await;

    // Keyboard: the first Tab reaches the skip link, and focus is visible.
    b.goto(&app, "/login", "masuk-keyboard").await;
    b.client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("\u{E004}")
        .await
        .unwrap();
    let focus = b
        .client
        .execute(
            "const e = document.activeElement; return [e.className, getComputedStyle(e).outlineStyle];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(focus[0], "skip", "first Tab stop: {focus}");
    assert_ne!(focus[1], "none", "focus must be visible: {focus}");

    // Agent, signing in with the keyboard alone: type, Tab to the password, Enter.
    b.fill("#username", "agen.hp").await;
    b.client
        .find(Locator::Css("#username"))
        .await
        .unwrap()
        .send_keys(&format!("\u{E004}{PASSWORD}\u{E007}"))
        .await
        .unwrap();
    b.arrive("form[action='/logout']", "beranda-agen").await;
    b.goto(&app, "/rumah-tangga", "cari-rumah-tangga").await;
    b.fill("#q", "Contoh").await;
    b.click("form[role=search] button").await;
    b.arrive(
        &format!("a[href='/rumah-tangga/{}']", f.household),
        "hasil-cari",
    )
    .await;
    b.click(&format!("a[href='/rumah-tangga/{}']", f.household))
        .await;
    b.arrive("a[href$='/kunjungan/baru']", "rumah-tangga").await;
    b.click("a[href$='/kunjungan/baru']").await;
    b.arrive("#outcome", "form-kunjungan").await;
    b.select("#outcome", "ditemui").await;
    b.select(&format!("[name='m.{ibu}.status']"), "nonaktif")
        .await;
    b.select(&format!("[name='m.{ibu}.action']"), "tunggakan_lunas")
        .await;
    b.click("#visit-form button[type=submit]").await;
    b.arrive("p.flash", "kunjungan-tercatat").await;
    assert!(b.text().await.contains("Kunjungan dicatat."));
    b.log_out().await;

    // Supervisor: the claim is waiting; confirming it moves "Dikonfirmasi" on the kelurahan page.
    b.log_in(&app, "spv.hp").await;
    b.goto(&app, "/progres/32.73.02.1004", "progres-sebelum")
        .await;
    let before = activity(&b).await;
    b.goto(&app, "/verifikasi", "verifikasi").await;
    b.click("input[name=id]").await;
    b.click("button[value=konfirmasi]").await;
    b.arrive("p.flash", "terkonfirmasi").await;
    b.goto(&app, "/progres/32.73.02.1004", "progres-sesudah")
        .await;
    let after = activity(&b).await;
    // Columns: name, visits, households, reported, confirmed, flagged.
    assert_eq!(before[0][4], "0", "{before:?}");
    assert_eq!(after[0][4], "1", "{after:?}");
    assert_eq!(
        after[0][3], before[0][3],
        "reported counts every claim: {after:?}"
    );
    b.log_out().await;

    // Office: the board of its kecamatan; another kecamatan is refused.
    b.log_in(&app, "kantor.hp").await;
    b.goto(&app, "/penugasan", "papan-penugasan").await;
    assert!(b.text().await.contains("Dago"), "the board lists Dago");
    b.client.goto(&app.url("/progres/32.73.01")).await.unwrap();
    b.check_page(
        "wilayah-lain-ditolak",
        &["the server responded with a status of 4"],
    )
    .await;
    let refused = b.text().await;
    assert!(
        refused.contains("tidak") || refused.contains("Tidak"),
        "another area is refused: {refused}"
    );
}

/// The rows of the field-activity table of a progress page, as cell texts.
async fn activity(b: &Browser) -> Vec<Vec<String>> {
    let rows = b
        .client
        .execute(
            r#"const t = [...document.querySelectorAll('table')].find(t => t.tHead && t.tHead.innerText.includes('Dikonfirmasi'));
               return t ? [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.innerText.trim())) : [];"#,
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(rows).unwrap()
}

impl Browser {
    /// Cuts or restores the page's network (chromedriver's network emulation).
    pub(crate) async fn set_offline(&self, offline: bool) {
        let session = self.client.session_id().await.unwrap().unwrap();
        let res = reqwest::Client::new()
            .post(format!(
                "http://127.0.0.1:{}/session/{session}/chromium/network_conditions",
                self.port
            ))
            .json(&json!({ "network_conditions": {
                "offline": offline, "latency": 0,
                "download_throughput": -1, "upload_throughput": -1
            }}))
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success(),
            "network conditions: {}",
            res.status()
        );
    }

    /// Scrolls the element `css` to the top of the screen, then checks the page and keeps its
    /// screenshot.
    pub(crate) async fn view(&mut self, css: &str, name: &str) {
        let script = format!("document.querySelector({css:?}).scrollIntoView(); return true;");
        assert_eq!(self.eval(&script).await, json!(true), "{name}: {css}");
        self.check(name).await;
    }

    pub(crate) async fn eval(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Polls `script` until it returns true.
    pub(crate) async fn until(&self, script: &str, what: &str) {
        for _ in 0..100 {
            if self.eval(script).await == json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting for {what}");
    }
}

/// Two visits sent without a connection wait on the phone, are counted on the page, and are
/// recorded exactly once each when the connection returns — even when sent twice.
#[tokio::test]
async fn visits_without_signal_wait_on_the_phone_and_are_recorded_once() {
    let Some(mut b) = Browser::start("tanpa-sinyal").await else {
        return;
    };
    let app = spawn_app().await;
    let f = fixture(&app, "agen.luring", "32.73.02.1004").await;
    let second = crate::journeys::create_household(
        &app,
        &f.agent,
        "32.73.02.1004",
        "4",
        "Jl. Tanpa Sinyal No. 2",
        "",
    )
    .await;
    let visits = || {
        app.with_conn(|conn| {
            use diesel::prelude::*;
            pesiar::db::schema::visits::table
                .count()
                .get_result::<i64>(conn)
                .unwrap()
        })
    };
    let before = visits().await;

    b.log_in(&app, "agen.luring").await;
    // The service worker takes control; the two forms are then opened once with signal.
    b.until(
        "return !!navigator.serviceWorker && !!navigator.serviceWorker.controller || (location.reload(), false)",
        "the service worker",
    )
    .await;
    let form_a = format!("/rumah-tangga/{}/kunjungan/baru", f.household);
    let form_b = format!("/rumah-tangga/{second}/kunjungan/baru");
    b.goto(&app, &form_b, "form-b-dengan-sinyal").await;
    b.goto(&app, &form_a, "form-a-dengan-sinyal").await;

    b.set_offline(true).await;
    b.select("#outcome", "tidak_ditemui").await;
    b.click("#visit-form button[type=submit]").await;
    b.until(
        "const p = document.getElementById('antrean'); return !p.hidden && p.textContent.startsWith('1 kunjungan belum terkirim')",
        "one queued visit",
    )
    .await;
    b.check_page("satu-tertunda", &[OFFLINE]).await;
    b.client.goto(&app.url(&form_b)).await.unwrap();
    b.client
        .wait()
        .for_element(Locator::Css("#visit-form"))
        .await
        .unwrap();
    b.check_page("form-b-tanpa-sinyal", &[OFFLINE]).await;
    b.select("#outcome", "menolak").await;
    b.click("#visit-form button[type=submit]").await;
    b.until(
        "const p = document.getElementById('antrean'); return !p.hidden && p.textContent.startsWith('2 kunjungan belum terkirim')",
        "two queued visits",
    )
    .await;
    b.check_page("dua-tertunda", &[OFFLINE]).await;
    assert_eq!(visits().await, before, "nothing reached the server");
    // Keep a copy of the queue to send it a second time afterwards.
    let queued = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const req = indexedDB.open('pesiar', 1);
             req.onsuccess = () => { const all = req.result.transaction('antrean').objectStore('antrean').getAll();
                                     all.onsuccess = () => done(all.result); };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(queued.as_array().map(Vec::len), Some(2), "{queued}");

    b.set_offline(false).await;
    b.eval("window.dispatchEvent(new Event('online')); return true;")
        .await;
    b.until(
        "return document.getElementById('antrean').hidden",
        "the queue to empty",
    )
    .await;
    b.check("terkirim").await;
    assert_eq!(visits().await, before + 2, "both visits recorded");

    // The same two sent again (a second tab, a retry): still recorded once each.
    let resent = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const csrf = document.querySelector('form[action=\"/logout\"] input[name=csrf_token]').value;
             Promise.all(arguments[0].map(item => {
               const body = new URLSearchParams(item.body); body.set('csrf_token', csrf);
               return fetch(item.url, { method: 'POST', body, credentials: 'same-origin' }).then(r => r.status);
             })).then(done);",
            vec![queued],
        )
        .await
        .unwrap();
    assert_eq!(
        resent,
        json!([200, 200]),
        "the repeats answer with the first result"
    );
    assert_eq!(visits().await, before + 2, "no visit recorded twice");

    // Logging out clears what the phone keeps.
    b.log_out().await;
    let left = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const req = indexedDB.open('pesiar', 1);
             req.onsuccess = () => { const all = req.result.transaction('antrean').objectStore('antrean').getAll();
                                     all.onsuccess = () => done(all.result.length); };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(left, json!(0));
}

/// How many items the phone's queue holds, everyone's.
pub(crate) async fn queued_items(b: &Browser) -> serde_json::Value {
    b.client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const req = indexedDB.open('pesiar', 1);
             req.onsuccess = () => { const all = req.result.transaction('antrean').objectStore('antrean').getAll();
                                     all.onsuccess = () => done(all.result.map(i => i.user || null)); };",
            vec![],
        )
        .await
        .unwrap()
}

/// Tapping *Keluar* with a visit still on the phone asks first; a logout that cannot reach the
/// server (no signal) clears nothing; "Kirim dulu" sends it, then logs out. Another user's
/// queued visit (a shared phone) is neither counted, sent, nor cleared.
#[tokio::test]
async fn logging_out_without_signal_keeps_the_queue_and_asks_first() {
    let Some(mut b) = Browser::start("keluar-tanpa-sinyal").await else {
        return;
    };
    let app = spawn_app().await;
    let f = fixture(&app, "agen.keluar", "32.73.02.1004").await;
    let other = app
        .create_user("agen.lain", Role::Agent, &["32.73.02.1004"])
        .await;
    let visits = || {
        app.with_conn(|conn| {
            use diesel::prelude::*;
            pesiar::db::schema::visits::table
                .count()
                .get_result::<i64>(conn)
                .unwrap()
        })
    };
    let before = visits().await;
    b.log_in(&app, "agen.keluar").await;
    b.until(
        "return !!navigator.serviceWorker && !!navigator.serviceWorker.controller || (location.reload(), false)",
        "the service worker",
    )
    .await;
    let form = format!("/rumah-tangga/{}/kunjungan/baru", f.household);
    b.goto(&app, &form, "form-dengan-sinyal").await;
    // What another agent left queued on this phone (no author field: only the phone's own
    // check keeps it from being sent under this session).
    let queued = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const req = indexedDB.open('pesiar', 1);
             req.onerror = () => done('open: ' + req.error);
             req.onblocked = () => done('open blocked');
             req.onupgradeneeded = () => req.result.createObjectStore('antrean', { keyPath: 'key' });
             req.onsuccess = () => { const t = req.result.transaction('antrean', 'readwrite');
               t.onerror = () => done('put: ' + t.error);
               t.objectStore('antrean').put({ key: 'hlain', url: arguments[0], at: Date.now(), user: arguments[1],
                 body: 'submission_key=hlain&visited_on=' + arguments[2] + '&outcome=menolak' });
               t.oncomplete = () => done(true); };",
            vec![
                json!(app.url(&form)),
                json!(other.to_string()),
                json!(pesiar::web::today().format("%Y-%m-%d").to_string()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        queued,
        json!(true),
        "another agent's visit put in the phone's queue"
    );

    b.set_offline(true).await;
    b.select("#outcome", "tidak_ditemui").await;
    b.click("#visit-form button[type=submit]").await;
    b.until(
        "const p = document.getElementById('antrean'); return !p.hidden && p.textContent.startsWith('1 kunjungan belum terkirim')",
        "one queued visit (the other agent's not counted)",
    )
    .await;
    b.until(
        "return document.getElementById('antrean-form').textContent.startsWith('Tersimpan di HP')",
        "the state where the agent tapped",
    )
    .await;
    b.check_page("tersimpan-di-hp", &[OFFLINE]).await;

    // Keluar asks; "Buang dan keluar" without signal keeps everything and says why.
    b.open_menu().await;
    b.click("form[action='/logout'] button").await;
    b.arrive("#keluar-tanya", "keluar-bertanya").await;
    b.click("#buang-keluar").await;
    b.until(
        "return document.getElementById('antrean').textContent.startsWith('Belum bisa keluar')",
        "the logout that did not reach the server",
    )
    .await;
    b.check_page("belum-bisa-keluar", &[OFFLINE]).await;
    let mine = json!(
        app.with_conn(
            |conn| pesiar::users::queries::find_by_username(conn, "agen.keluar")
                .unwrap()
                .unwrap()
                .id
        )
        .await
        .to_string()
    );
    let left = queued_items(&b).await;
    assert_eq!(
        left.as_array()
            .unwrap()
            .iter()
            .filter(|u| **u == mine)
            .count(),
        1,
        "the visit is still on the phone: {left}"
    );
    assert!(
        b.eval("return !!document.querySelector('form[action=\"/logout\"]')")
            .await
            == json!(true),
        "still signed in"
    );

    // "Kirim dulu" without signal: still waiting, and said so; with signal back it sends the
    // visit, then logs out.
    b.open_menu().await;
    b.click("form[action='/logout'] button").await;
    b.arrive("#kirim-dulu", "keluar-bertanya-lagi").await;
    b.click("#kirim-dulu").await;
    b.until(
        "return document.getElementById('keluar-tanya').textContent.includes('masih belum terkirim')",
        "the visit still waiting",
    )
    .await;
    b.check_page("masih-menunggu", &[OFFLINE]).await;
    b.set_offline(false).await;
    b.click("#kirim-dulu").await;
    b.arrive("#username", "keluar-setelah-terkirim").await;
    assert_eq!(visits().await, before + 1, "the agent's visit, and only it");
    let left = queued_items(&b).await;
    assert_eq!(
        left,
        json!([other.to_string()]),
        "only the other agent's item stays"
    );
}
