//! Supervisors' and offices' desk work in a real browser (issue 23), at 360×740: the
//! verification queue filtered and decided in bulk, assignment by kelurahan name and bulk
//! worklist assignment, the compact bar of every role, and the tap targets inside tables and
//! row lists. Screenshots land in `target/browser/<test>/`.

use diesel::prelude::*;
use pesiar::db::schema::reactivations;
use pesiar::users::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::{TestApp, spawn_app, user_id};
use crate::journeys::{Fixture, add_member_ok, fixture, nik};

fn today() -> String {
    pesiar::web::today().format("%Y-%m-%d").to_string()
}

/// Adds `count` inactive mandiri members to the fixture's household; returns their ids.
async fn more_inactive_members(app: &TestApp, f: &Fixture, count: u32) -> Vec<i32> {
    let mut ids = Vec::new();
    for i in 1..=count {
        let serial = (f.household as u32 * 10 + i) % 9000 + 1;
        let id = add_member_ok(
            app,
            &f.agent,
            f.household,
            &[
                ("nik", &nik("327302", i, 1, 80, false, serial)),
                ("name", &format!("Anggota {}", char::from(b'A' + i as u8))),
                ("sex", "L"),
                ("birth_date", &format!("1980-01-{i:02}")),
                ("relationship", "lainnya"),
                ("segment", "pbpu"),
                ("class", "3"),
                ("status", "nonaktif"),
                ("inactive_reason", "tunggakan"),
            ],
        )
        .await;
        ids.push(id);
    }
    ids
}

/// One visit by the fixture's agent reporting each of `members` reactivated (arrears paid),
/// and, when `register` is given, that member newly registered. Returns the claims' ids in the
/// order of `members`.
async fn report(app: &TestApp, f: &Fixture, members: &[i32], register: Option<i32>) -> Vec<i32> {
    let mut fields: Vec<(String, String)> = vec![
        ("visited_on".into(), today()),
        ("outcome".into(), "ditemui".into()),
    ];
    for m in members {
        fields.push((format!("m.{m}.status"), "nonaktif".into()));
        fields.push((format!("m.{m}.action"), "tunggakan_lunas".into()));
    }
    if let Some(m) = register {
        fields.push((format!("m.{m}.status"), "belum_terdaftar".into()));
        fields.push((format!("m.{m}.action"), "pendaftaran_baru".into()));
        fields.push((format!("m.{m}.segment"), "pbpu".into()));
        fields.push((format!("m.{m}.class"), "3".into()));
    }
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = app.submit_visit(&f.agent, f.household, &borrowed).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    let members = members.to_vec();
    app.with_conn(move |conn| {
        members
            .iter()
            .map(|m| {
                reactivations::table
                    .filter(reactivations::member_id.eq(m))
                    .select(reactivations::id)
                    .first(conn)
                    .unwrap()
            })
            .collect()
    })
    .await
}

/// Moves claims' report date `days` back, so the age filter has something to tell apart.
async fn backdate(app: &TestApp, claims: &[i32], days: i64) {
    let claims = claims.to_vec();
    let on = pesiar::web::today() - chrono::Duration::days(days);
    app.with_conn(move |conn| {
        diesel::update(reactivations::table.filter(reactivations::id.eq_any(claims)))
            .set(reactivations::reported_on.eq(on))
            .execute(conn)
            .unwrap()
    })
    .await;
}

/// (state, reason) of each claim, in the order asked.
async fn states(app: &TestApp, claims: &[i32]) -> Vec<(String, Option<String>)> {
    let claims = claims.to_vec();
    app.with_conn(move |conn| {
        claims
            .iter()
            .map(|id| {
                reactivations::table
                    .find(id)
                    .select((reactivations::state, reactivations::decision_reason))
                    .first(conn)
                    .unwrap()
            })
            .collect()
    })
    .await
}

/// The ids of the claims the queue lists, and how many are ticked.
async fn listed(b: &Browser) -> (Vec<i32>, usize) {
    let v = b
        .eval(
            "const boxes = [...document.querySelectorAll('#keputusan-form input[name=id]')];
             return [boxes.map(x => +x.value), boxes.filter(x => x.checked).length];",
        )
        .await;
    (
        serde_json::from_value(v[0].clone()).unwrap(),
        v[1].as_u64().unwrap() as usize,
    )
}

/// Four old reactivation claims of one agent in Dago among others (newer, another agent,
/// another kind, another kelurahan): the four filters leave exactly those four. One is
/// rejected — the browser asks for the reason before anything is sent — and the other three,
/// ticked with "Pilih semua", are confirmed; each decision says what it did.
#[tokio::test]
async fn the_supervisor_filters_the_queue_and_decides_in_bulk() {
    let Some(mut b) = Browser::start("verifikasi-saring-massal").await else {
        return;
    };
    let app = spawn_app().await;
    let dago = fixture(&app, "agen.dago.v", "32.73.02.1004").await;
    // Another agent of Dago, reporting on the same household.
    let other = Fixture {
        agent: app
            .client_as("agen.dago.lain", Role::Agent, &["32.73.02.1004"])
            .await,
        household: dago.household,
        members: Vec::new(),
        visit: dago.visit,
    };
    let sekeloa = fixture(&app, "agen.sekeloa.v", "32.73.02.1005").await;
    app.create_user("spv.verif", Role::Supervisor, &["32.73.02"])
        .await;
    let mut four = more_inactive_members(&app, &dago, 5).await;
    let fifth = four.pop().unwrap();
    let mut asked = four.clone();
    asked.push(dago.members[0]);
    let claims = report(&app, &dago, &asked, Some(dago.members[1])).await;
    let (old, newer) = (claims[..4].to_vec(), claims[4]);
    backdate(&app, &old, 10).await;
    let by_other = report(&app, &other, &[fifth], None).await;
    let in_sekeloa = report(&app, &sekeloa, &[sekeloa.members[0]], None).await;
    backdate(&app, &[by_other[0], in_sekeloa[0]], 10).await;
    let agent = user_id(&app, "agen.dago.v").await;

    b.log_in(&app, "spv.verif").await;
    b.goto(&app, "/verifikasi", "antrean-semua").await;
    let (all, _) = listed(&b).await;
    assert_eq!(all.len(), 8, "every claim waits: {all:?}");
    b.select("#f-kel", "32.73.02.1004").await;
    b.select("#f-agen", &agent.to_string()).await;
    b.select("#f-jenis", "reaktivasi").await;
    b.select("#f-umur", "7").await;
    b.click("form.filters button[type=submit]").await;
    b.arrive("form.filters a[href='/verifikasi']", "antrean-tersaring")
        .await;
    let (shown, ticked) = listed(&b).await;
    let mut sorted = shown.clone();
    sorted.sort();
    assert_eq!(sorted, old, "only the four old claims of the agent in Dago");
    assert_eq!(ticked, 0);
    assert!(
        b.text().await.contains("4 laporan"),
        "the count says the filtered number"
    );
    let url = b.client.current_url().await.unwrap();
    assert!(
        url.as_str().contains("umur=7") && url.as_str().contains("kelurahan=32.73.02.1004"),
        "the filter is in the address: {url}"
    );

    // Rejecting without a reason: the browser asks for it by the field, nothing is sent.
    let rejected = old[0];
    b.click(&format!("input[name=id][value='{rejected}']"))
        .await;
    b.click("button[value=tolak]").await;
    let asked_for = b
        .eval(
            "const r = document.getElementById('alasan');
             return [r.required, r.validity.valueMissing, !!document.querySelector('p.flash')];",
        )
        .await;
    assert_eq!(
        asked_for,
        json!([true, true, false]),
        "the reason is asked for before sending"
    );
    b.check("alasan-diminta").await;
    assert_eq!(
        states(&app, &[rejected]).await[0].0,
        "dilaporkan",
        "nothing was sent"
    );
    b.fill("#alasan", "Tunggakan belum lunas di BPJS").await;
    b.click("button[value=tolak]").await;
    b.arrive("p.flash", "satu-ditolak").await;
    let flash = b
        .client
        .find(fantoccini::Locator::Css("p.flash"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(flash, "1 ditolak.");

    // Back in the filtered queue: "Pilih semua" ticks the other three, all confirmed at once.
    let (left, _) = listed(&b).await;
    assert_eq!(left.len(), 3, "the filters are kept: {left:?}");
    b.click("#pilih-semua input").await;
    let (_, ticked) = listed(&b).await;
    assert_eq!(ticked, 3, "select all ticks every listed claim");
    b.check("semua-dicentang").await;
    b.click("button[value=konfirmasi]").await;
    // The page before had a flash too: wait for the new one.
    b.until(
        "const p = document.querySelector('p.flash'); return !!p && p.textContent.includes('dikonfirmasi')",
        "the confirmation's message",
    )
    .await;
    b.check("tiga-dikonfirmasi").await;
    let text = b.text().await;
    assert!(text.contains("3 dikonfirmasi."), "{text}");
    assert!(!text.contains("dilewati"), "nothing skipped, so not said");
    assert!(text.contains("Tidak ada laporan yang menunggu."), "{text}");

    // In the database: three confirmed, one rejected with its reason, the rest untouched.
    let decided = states(&app, &old).await;
    assert_eq!(
        decided.iter().filter(|(s, _)| s == "dikonfirmasi").count(),
        3,
        "{decided:?}"
    );
    assert_eq!(
        states(&app, &[rejected]).await[0],
        (
            "ditolak".to_string(),
            Some("Tunggakan belum lunas di BPJS".to_string())
        )
    );
    let untouched = states(&app, &[newer, by_other[0], in_sekeloa[0]]).await;
    assert!(
        untouched.iter().all(|(s, _)| s == "dilaporkan"),
        "{untouched:?}"
    );
    b.goto(&app, "/verifikasi", "antrean-sisa").await;
    assert_eq!(
        listed(&b).await.0.len(),
        4,
        "the registration and three others"
    );
}

/// Assignment by the kelurahan's name, only those in scope: a missing kelurahan keeps the
/// chosen worker and says so by the field; then several worklist households go to one agent
/// from one form, and the worklist names the agent.
#[tokio::test]
async fn the_supervisor_assigns_by_name_and_gives_many_households_at_once() {
    let Some(mut b) = Browser::start("penugasan-nama-massal").await else {
        return;
    };
    let app = spawn_app().await;
    let f = fixture(&app, "agen.tugas", "32.73.02.1004").await;
    let second =
        crate::journeys::create_household(&app, &f.agent, "32.73.02.1004", "4", "Jl. Kedua 2", "")
            .await;
    let third =
        crate::journeys::create_household(&app, &f.agent, "32.73.02.1004", "4", "Jl. Ketiga 3", "")
            .await;
    for (h, name, born) in [
        (second, "Warga Kedua", "1990-01-01"),
        (third, "Rahmat Hidayat", "1975-06-15"),
    ] {
        add_member_ok(
            &app,
            &f.agent,
            h,
            &[
                ("nik_unknown", "on"),
                ("name", name),
                ("sex", "L"),
                ("birth_date", born),
                ("relationship", "kepala_keluarga"),
                ("segment", "belum_terdaftar"),
                ("status", "belum_terdaftar"),
            ],
        )
        .await;
    }
    let worker = app
        .create_user("kader.baru", Role::Kader, &["32.73.02.1003"])
        .await;
    app.create_user("spv.tugas", Role::Supervisor, &["32.73.02"])
        .await;

    b.log_in(&app, "spv.tugas").await;
    b.goto(&app, "/penugasan", "papan").await;
    let kelurahan = b
        .eval(
            "return [...document.querySelectorAll('#region_code optgroup')].map(g =>
                 [g.label, [...g.querySelectorAll('option')].map(o => o.textContent.trim())]);",
        )
        .await;
    let groups = kelurahan.as_array().unwrap();
    assert_eq!(groups.len(), 1, "only Kecamatan Coblong: {kelurahan}");
    assert_eq!(groups[0][0], "Coblong");
    assert!(
        groups[0][1].as_array().unwrap().contains(&json!("Dago")),
        "by name: {kelurahan}"
    );

    // The worker chosen, no kelurahan: the worker is kept, the message sits by the field.
    b.select("#user_id", &worker.to_string()).await;
    b.click("button[value=tugaskan]").await;
    b.client
        .wait()
        .for_element(fantoccini::Locator::Css("#region_code-err"))
        .await
        .unwrap();
    // A refused form answers 422, which Chromium logs.
    b.check_page(
        "tanpa-kelurahan",
        &["the server responded with a status of 422"],
    )
    .await;
    let err = b
        .eval(
            "const f = document.getElementById('region_code').getBoundingClientRect();
             const e = document.getElementById('region_code-err');
             const r = e.getBoundingClientRect();
             return [document.getElementById('user_id').value, e.textContent, r.top - f.bottom,
                     r.top >= 0 && r.bottom <= innerHeight,
                     document.getElementById('region_code').getAttribute('aria-invalid')];",
        )
        .await;
    assert_eq!(err[0], json!(worker.to_string()), "the worker is kept");
    assert_eq!(err[1], "Pilih desa/kelurahan.");
    let gap = err[2].as_f64().unwrap();
    assert!(
        (0.0..=24.0).contains(&gap),
        "the message is right under the field: {gap} px"
    );
    assert_eq!(err[3], json!(true), "the message is on screen: {err}");
    assert_eq!(err[4], "true");

    // Chosen by its name.
    let sekeloa = b
        .eval(
            "const o = [...document.querySelectorAll('#region_code option')].find(o => o.textContent.trim() === 'Sekeloa');
             return o.value;",
        )
        .await;
    b.select("#region_code", sekeloa.as_str().unwrap()).await;
    b.click("button[value=tugaskan]").await;
    b.arrive("p.flash", "ditugaskan").await;
    let row = b
        .eval(
            "const a = [...document.querySelectorAll('table.board th a')].find(a => a.textContent === 'Sekeloa');
             return a.closest('tr').cells[1].textContent;",
        )
        .await;
    assert!(
        row.as_str().unwrap().contains("Pengguna kader.baru"),
        "the board shows it: {row}"
    );

    // Several worklist households to one agent, from one form.
    b.goto(&app, "/progres/32.73.02.1004#daftar-kerja", "daftar-kerja")
        .await;
    for h in [f.household, second, third] {
        b.click(&format!("label.pick:has(#pilih-{h})")).await;
    }
    let agent = user_id(&app, "agen.tugas").await;
    b.select("#petugas-massal", &agent.to_string()).await;
    b.view("#massal", "massal-dipilih").await;
    b.click("#massal button[type=submit]").await;
    b.arrive("p.flash", "massal-tersimpan").await;
    assert!(
        b.text()
            .await
            .contains("Penugasan 3 rumah tangga disimpan."),
        "the flash counts them"
    );
    let named = b
        .eval(
            "return [...document.querySelectorAll('ol.list li')]
                 .filter(li => li.textContent.includes('petugas: Pengguna agen.tugas')).length;",
        )
        .await;
    assert_eq!(named, json!(3), "each household names its agent");
    let assigned: i64 = app
        .with_conn(move |conn| {
            use pesiar::db::schema::household_assignments as ha;
            ha::table
                .filter(ha::user_id.eq(agent))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(assigned, 3);
}

/// The compact bar of every role at 360 px: one row, the role's main destinations in it, the
/// rest in a menu that opens on a tap and fits the screen.
#[tokio::test]
async fn every_role_has_a_one_row_bar_and_a_menu_on_a_phone() {
    let Some(mut b) = Browser::start("navigasi-ringkas").await else {
        return;
    };
    let app = spawn_app().await;
    /// (username, role, areas, the bar's links, the menu's links)
    type Case = (
        &'static str,
        Role,
        &'static [&'static str],
        &'static [&'static str],
        &'static [&'static str],
    );
    let cases: [Case; 5] = [
        (
            "agen.nav",
            Role::Agent,
            &["32.73.02.1004"],
            &["/", "/rumah-tangga", "/progres"],
            &["/rekap", "/wilayah", "/akun/password"],
        ),
        (
            "kader.nav",
            Role::Kader,
            &["32.73.02.1003"],
            &["/", "/rumah-tangga", "/progres"],
            &["/rekap", "/wilayah", "/akun/password"],
        ),
        (
            "spv.nav",
            Role::Supervisor,
            &["32.73.02"],
            &["/", "/verifikasi", "/penugasan", "/progres"],
            &[
                "/rumah-tangga",
                "/pemda",
                "/data/impor",
                "/rekap",
                "/wilayah",
                "/akun/password",
            ],
        ),
        (
            "camat.nav",
            Role::Office,
            &["32.73.02"],
            &["/", "/progres", "/penugasan"],
            &["/rumah-tangga", "/pemda", "/wilayah", "/akun/password"],
        ),
        (
            "admin.nav",
            Role::Admin,
            &[],
            &["/", "/admin/pengguna", "/progres"],
            &[
                "/rumah-tangga",
                "/verifikasi",
                "/penugasan",
                "/pemda",
                "/data/impor",
                "/rekap",
                "/wilayah",
                "/akun/password",
            ],
        ),
    ];
    for (username, role, areas, main, more) in cases {
        app.create_user(username, role, areas).await;
        b.log_in(&app, username).await;
        let bar = b
            .eval(
                "const nav = document.querySelector('.top nav');
                 const items = [...nav.children].map(e => e.tagName === 'DETAILS' ? e.querySelector('summary') : e);
                 const tops = items.map(e => Math.round(e.getBoundingClientRect().top));
                 return {
                     tops,
                     bar: [...nav.querySelectorAll(':scope > a')].map(a => a.getAttribute('href')),
                     header: document.querySelector('header.top').getBoundingClientRect().height,
                     right: Math.max(...items.map(e => e.getBoundingClientRect().right)),
                     open: document.querySelector('details.more').open,
                 };",
            )
            .await;
        let tops = bar["tops"].as_array().unwrap();
        assert!(
            tops.iter().all(|t| t == &tops[0]),
            "{username}: one row: {bar}"
        );
        assert!(
            bar["header"].as_f64().unwrap() <= 56.0,
            "{username}: the bar takes one row of the screen: {bar}"
        );
        assert!(bar["right"].as_f64().unwrap() <= 360.0, "{username}: {bar}");
        assert_eq!(
            bar["bar"],
            json!(main),
            "{username}: the bar's destinations"
        );
        assert_eq!(
            bar["open"],
            json!(false),
            "{username}: the menu starts closed"
        );

        b.open_menu().await;
        let menu = b
            .eval(
                "const d = document.querySelector('details.more div');
                 const r = d.getBoundingClientRect();
                 return {
                     links: [...d.querySelectorAll('a')].map(a => a.getAttribute('href')),
                     left: r.left, right: r.right, height: r.height,
                     logout: !!d.querySelector('form[action=\"/logout\"] button'),
                 };",
            )
            .await;
        b.check(&format!("menu-{username}")).await;
        assert_eq!(
            menu["links"],
            json!(more),
            "{username}: the menu's destinations"
        );
        assert!(
            menu["logout"] == json!(true),
            "{username}: Keluar in the menu"
        );
        assert!(
            menu["left"].as_f64().unwrap() >= 0.0 && menu["right"].as_f64().unwrap() <= 360.0,
            "{username}: the open menu fits the screen: {menu}"
        );
        // A destination from the menu opens.
        let last = more[more.len() - 2];
        b.click(&format!("details.more a[href='{last}']")).await;
        b.until(
            &format!("return location.pathname === '{last}'"),
            &format!("{username}: {last} opens"),
        )
        .await;
        b.check(&format!("tujuan-{username}")).await;
        b.log_out().await;
    }
}

/// What a tap can land on in tables and row lists, smaller than 44×44 px: links, buttons and
/// checkboxes (a checkbox counts its label, which takes the tap too).
const SMALL_TARGETS: &str = r#"
const targets = [...document.querySelectorAll(
    'main table a, main table button, main table input[type=checkbox], main table select,'
    + 'main .list a, main .list button, main .list input[type=checkbox], main .list select, main .sort a')];
return targets.filter(e => e.getClientRects().length).map(e => {
    const hit = e.type === 'checkbox' && e.closest('label') ? e.closest('label') : e;
    const r = hit.getBoundingClientRect();
    return { what: (e.getAttribute('aria-label') || e.textContent || e.name).trim().slice(0, 40),
             width: Math.round(r.width * 10) / 10, height: Math.round(r.height * 10) / 10 };
}).filter(t => t.width < 44 || t.height < 44);"#;

/// Every tap target in the roll-ups, the verification queue, the board, the worklist and the
/// admin lists is at least 44 px each way on a phone.
#[tokio::test]
async fn tap_targets_in_tables_are_44_px_each_way() {
    let Some(mut b) = Browser::start("sasaran-sentuh").await else {
        return;
    };
    let app = spawn_app().await;
    let f = fixture(&app, "agen.sentuh", "32.73.02.1004").await;
    report(&app, &f, &[f.members[0]], None).await;
    let spv = app
        .client_as("spv.sentuh", Role::Supervisor, &["32.73"])
        .await;
    crate::progress::load_bandung(&app, &spv).await;
    app.create_user("admin.sentuh", Role::Admin, &[]).await;

    let mut checked = 0;
    b.log_in(&app, "spv.sentuh").await;
    for (path, shot) in [
        ("/progres/32.73", "kota"),
        ("/progres/32.73.02", "kecamatan"),
        ("/progres/32.73.02.1004", "kelurahan-daftar-kerja"),
        ("/verifikasi", "verifikasi"),
        ("/penugasan", "papan"),
        ("/data/roster", "roster"),
    ] {
        b.goto(&app, path, shot).await;
        let small = b.eval(SMALL_TARGETS).await;
        assert_eq!(small, json!([]), "{path}: tap targets under 44 px");
        checked += b
            .eval("return document.querySelectorAll('main table a, main .list a, main .list input, main .sort a').length")
            .await
            .as_u64()
            .unwrap();
    }
    b.log_out().await;
    b.log_in(&app, "admin.sentuh").await;
    for (path, shot) in [
        ("/admin/pengguna", "pengguna"),
        ("/admin/token", "token"),
        ("/admin/kunci", "kunci"),
    ] {
        b.goto(&app, path, shot).await;
        let small = b.eval(SMALL_TARGETS).await;
        assert_eq!(small, json!([]), "{path}: tap targets under 44 px");
    }
    assert!(checked > 20, "the pages had targets to measure: {checked}");
}
