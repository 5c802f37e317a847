//! The first screen of a progress page on a phone (issue 21): at 360×740 a city, a kecamatan and
//! a kelurahan page answer the question before anything else — the unit, its status in words
//! and colour, the gap in people, the as-of line and the trend's direction, above the fold and
//! before the ratio cards — and the roll-up table keeps name, keaktifan, kurang and status on
//! screen. Screenshots land in `target/browser/progres-layar-pertama/`.

use pesiar::users::Role;
use reqwest::StatusCode;

use crate::browser::Browser;
use crate::progress::{kelurahan_of, load_bandung, spread, upload};

/// Where the first screen's parts sit, and what they say.
const FIRST_SCREEN: &str = r#"
const box = e => e ? e.getBoundingClientRect() : null;
const h1 = document.querySelector('h1');
const standing = document.querySelector('p.standing');
const asOf = document.querySelector('p.standing + p.muted');
const cards = document.querySelector('table.figures');
const table = [...document.querySelectorAll('table')]
    .find(t => t.tHead && t.tHead.innerText.includes('Kurang aktif'));
const heads = table ? [...table.tHead.rows[0].cells].map(c =>
    ({ text: c.innerText.trim(), left: box(c).left, right: box(c).right })) : [];
return {
    viewport: window.innerHeight,
    h1: h1.innerText,
    h1_bottom: box(h1).bottom,
    standing: standing ? standing.innerText : '',
    standing_class: standing ? standing.className : '',
    standing_border: standing ? getComputedStyle(standing).borderLeftColor : '',
    standing_bottom: standing ? box(standing).bottom : 1e9,
    as_of: asOf ? asOf.innerText : '',
    as_of_bottom: asOf ? box(asOf).bottom : 1e9,
    cards_top: cards ? box(cards).top : 0,
    heads,
    table_scrolls: table ? table.parentElement.scrollWidth > table.parentElement.clientWidth : false,
    sort_heights: [...document.querySelectorAll('p.sort a')].map(a => box(a).height),
};"#;

#[tokio::test]
async fn the_first_screen_answers_the_question_on_a_phone() {
    let Some(mut b) = Browser::start("progres-layar-pertama").await else {
        return;
    };
    let app = crate::helpers::spawn_app().await;
    let spv = app
        .client_as("spv.layar", Role::Supervisor, &["32.73"])
        .await;
    // A month earlier at 79,73%, then 79,96%: the trend goes up and the city is 1.029 short.
    let codes = kelurahan_of(&app, "32.73").await;
    let earlier = spread(&codes, "2025-05-31", 2_591_763, 2_571_029, 2_050_000);
    let res = upload(&app, &spv, "bandung-2025-05.csv", earlier.into_bytes()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    load_bandung(&app, &spv).await;

    b.log_in(&app, "spv.layar").await;
    let pages = [
        ("/progres/32.73", "kota", "Kota Bandung", true),
        ("/progres/32.73.02", "kecamatan", "Kecamatan Coblong", true),
        (
            "/progres/32.73.02.1004",
            "kelurahan",
            "Kelurahan Dago",
            false,
        ),
    ];
    for (path, shot, title, rollup) in pages {
        b.goto(&app, path, shot).await;
        let f = b.eval(FIRST_SCREEN).await;
        let num = |k: &str| f[k].as_f64().unwrap();
        let text = |k: &str| f[k].as_str().unwrap().to_string();
        let viewport = num("viewport");
        assert_eq!(viewport, 740.0, "{shot}: phone height");
        assert_eq!(text("h1"), title, "{shot}");

        // The status in words and in colour, with the gap in people.
        let standing = text("standing");
        assert!(standing.contains("UHC Prioritas"), "{shot}: {standing}");
        assert!(
            standing.contains("peserta aktif untuk 80,00%") || standing.contains("tercapai, lebih"),
            "{shot}: {standing}"
        );
        let class = text("standing_class");
        assert!(
            ["met", "near", "below"]
                .iter()
                .any(|c| class.split(' ').any(|x| x == *c)),
            "{shot}: a coloured status: {class}"
        );
        assert_ne!(
            text("standing_border"),
            "rgba(0, 0, 0, 0)",
            "{shot}: coloured"
        );

        // The as-of line and the trend's direction.
        let as_of = text("as_of");
        if rollup {
            assert!(
                as_of.contains("desa/kelurahan per 30‑06‑2025"),
                "{shot}: {as_of}"
            );
        } else {
            assert!(as_of.contains("Data per 30‑06‑2025"), "{shot}: {as_of}");
        }
        assert!(as_of.contains("tren keaktifan naik"), "{shot}: {as_of}");

        // All of it above the fold, and before the three ratio cards.
        for part in ["h1_bottom", "standing_bottom", "as_of_bottom"] {
            assert!(
                num(part) <= viewport,
                "{shot}: {part} = {} below the fold",
                num(part)
            );
        }
        assert!(
            num("as_of_bottom") <= num("cards_top"),
            "{shot}: the answer comes before the ratio cards"
        );

        // The roll-up table: name, keaktifan, kurang and status on screen, the rest reachable.
        if rollup {
            let heads = f["heads"].as_array().unwrap();
            let names: Vec<&str> = heads.iter().map(|h| h["text"].as_str().unwrap()).collect();
            assert_eq!(
                names[..4],
                ["Wilayah", "Keaktifan", "Kurang aktif", "Status"],
                "{shot}"
            );
            for h in &heads[..4] {
                assert!(
                    h["left"].as_f64().unwrap() >= 0.0 && h["right"].as_f64().unwrap() <= 360.0,
                    "{shot}: column cut off: {h} in {heads:?}"
                );
            }
            b.view("table.rollup", &format!("{shot}-tabel")).await;
            let sorts = f["sort_heights"].as_array().unwrap();
            assert!(!sorts.is_empty(), "{shot}: sort links");
            assert!(
                sorts.iter().all(|h| h.as_f64().unwrap() >= 44.0),
                "{shot}: sort links at least 44 px tall: {sorts:?}"
            );
        }
    }
}
