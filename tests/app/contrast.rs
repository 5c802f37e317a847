//! The base palette of `static/pesiar.css` meets WCAG AA contrast (4.5:1 for body text) for
//! every pairing of text and background the stylesheet uses: read from the file itself, so a
//! colour changed there is checked here.

use std::collections::HashMap;

fn palette() -> HashMap<String, String> {
    let css =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/static/pesiar.css")).unwrap();
    let root = css
        .split(":root{")
        .nth(1)
        .and_then(|r| r.split('}').next())
        .expect(":root block");
    root.split(';')
        .filter_map(|decl| decl.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn luminance(hex: &str) -> f64 {
    let hex = hex.trim_start_matches('#');
    let hex = if hex.len() == 3 {
        hex.chars().flat_map(|c| [c, c]).collect::<String>()
    } else {
        hex.to_string()
    };
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn text_colours_meet_wcag_aa_on_their_backgrounds() {
    let p = palette();
    let var = |name: &str| {
        p.get(name)
            .unwrap_or_else(|| panic!("{name} in :root"))
            .clone()
    };
    let pairs = [
        ("body text", var("--ink"), var("--bg")),
        ("text on cards", var("--ink"), var("--card")),
        ("muted text", var("--muted"), var("--bg")),
        ("muted text on cards", var("--muted"), var("--card")),
        ("links", var("--brand-dark"), var("--bg")),
        ("links on cards", var("--brand-dark"), var("--card")),
        ("header and buttons", "#fff".to_string(), var("--brand")),
        ("buttons pressed", "#fff".to_string(), var("--brand-dark")),
        ("error text", var("--err"), var("--err-bg")),
        ("errors on cards", var("--err"), var("--card")),
        ("danger buttons", "#fff".to_string(), var("--err")),
        ("messages", var("--ink"), var("--ok-bg")),
        ("flagged claims", "#8a3b00".to_string(), var("--card")),
    ];
    let failing: Vec<String> = pairs
        .iter()
        .map(|(what, fg, bg)| (what, fg, bg, contrast(fg, bg)))
        .filter(|(_, _, _, ratio)| *ratio < 4.5)
        .map(|(what, fg, bg, ratio)| format!("{what}: {fg} on {bg} is {ratio:.2}:1"))
        .collect();
    assert!(failing.is_empty(), "below 4.5:1: {failing:?}");
}

#[test]
fn the_check_can_fail() {
    assert!(contrast("#777777", "#ffffff") < 4.5);
    assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 0.01);
}
