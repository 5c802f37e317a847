//! The keaktifan trend as an inline SVG drawn on the server: no chart library, no script.
//! Only numbers and dates go into the markup.

use std::fmt::Write;

use chrono::NaiveDate;

use super::ratios::percent;

const WIDTH: f64 = 320.0;
const HEIGHT: f64 = 150.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 24.0;

/// `points`: (date, keaktifan in basis points), oldest first. `None` with fewer than two points.
pub fn activity_trend(points: &[(NaiveDate, i64)], target_bp: i64) -> Option<String> {
    if points.len() < 2 {
        return None;
    }
    let values = points.iter().map(|(_, v)| *v).chain([target_bp]);
    let low = (values.clone().min().unwrap_or(0) - 200).clamp(0, 10_000) / 100 * 100;
    let high = ((values.max().unwrap_or(10_000) + 199) / 100 * 100).clamp(low + 100, 10_000);
    let first = points[0].0;
    let span = (points[points.len() - 1].0 - first).num_days().max(1) as f64;
    let x = |d: NaiveDate| LEFT + (d - first).num_days() as f64 / span * (WIDTH - LEFT - RIGHT);
    let y = |v: i64| TOP + (high - v) as f64 / (high - low) as f64 * (HEIGHT - TOP - BOTTOM);
    let (last_date, last_value) = points[points.len() - 1];
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="trend-title"><title id="trend-title">Tren keaktifan {} sampai {}: dari {} ke {}; target {}</title>"#,
        first.format("%d-%m-%Y"),
        last_date.format("%d-%m-%Y"),
        percent(Some(points[0].1)),
        percent(Some(last_value)),
        percent(Some(target_bp)),
    );
    for value in [low, high] {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="#4a5550">{}</text>"##,
            LEFT - 4.0,
            y(value) + 3.0,
            percent(Some(value)).replace(",00", "")
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" x2="{:.1}" y1="{ty:.1}" y2="{ty:.1}" stroke="#a4161a" stroke-dasharray="4 3"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="#a4161a">target {}</text>"##,
        WIDTH - RIGHT,
        WIDTH - RIGHT,
        y(target_bp) - 3.0,
        percent(Some(target_bp)).replace(",00", ""),
        ty = y(target_bp),
    );
    let line: Vec<String> = points
        .iter()
        .map(|(d, v)| format!("{:.1},{:.1}", x(*d), y(*v)))
        .collect();
    let _ = write!(
        svg,
        r##"<polyline points="{}" fill="none" stroke="#0b6b3a" stroke-width="2"/>"##,
        line.join(" ")
    );
    // Every point says its date and value; with few points the value is written beside it.
    let labelled = points.len() <= 6;
    for (i, (d, v)) in points.iter().enumerate() {
        let _ = write!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="#0b6b3a"><title>{}: {}</title></circle>"##,
            x(*d),
            y(*v),
            d.format("%d-%m-%Y"),
            percent(Some(*v)),
        );
        if labelled || i == 0 || i == points.len() - 1 {
            let anchor = if i == 0 {
                "start"
            } else if i == points.len() - 1 {
                "end"
            } else {
                "middle"
            };
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" font-size="9" text-anchor="{anchor}" fill="#0b6b3a">{}</text>"##,
                x(*d),
                y(*v) - 5.0,
                percent(Some(*v)),
            );
        }
    }
    let _ = write!(
        svg,
        r##"<text x="{LEFT}" y="{:.1}" font-size="10" fill="#4a5550">{}</text><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="#4a5550">{}</text></svg>"##,
        HEIGHT - 6.0,
        first.format("%m/%Y"),
        WIDTH - RIGHT,
        HEIGHT - 6.0,
        last_date.format("%m/%Y"),
    );
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, m, 1).unwrap()
    }

    #[test]
    fn draws_a_line_with_the_target_and_a_title() {
        let svg = activity_trend(&[(d(1), 7800), (d(3), 7950), (d(6), 7996)], 8000).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("target 80%"));
        assert!(svg.contains("dari 78,00% ke 79,96%"));
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(
            svg.contains("<title>01-06-2025: 79,96%</title>"),
            "each point: date and value"
        );
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn one_point_is_not_a_trend() {
        assert!(activity_trend(&[(d(1), 7800)], 8000).is_none());
    }
}
