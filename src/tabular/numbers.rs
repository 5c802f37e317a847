//! Whole numbers (counts) as cells hold them: exact, or refused. Accepted: `2571029`,
//! `2.571.029`, `2,571,029`, `2 571 029`, and a zero fraction (`4814.00`, `4814,00`,
//! `2.571.029,00`). Refused: any other fraction, a grouping that is not by thousands, and a value
//! that reads two ways — one separator followed by exactly three digits (`20.000`: twenty
//! thousand, or twenty?) — unless the file says which: a semicolon-separated CSV is saved where
//! the comma is the decimal separator, so its dots group thousands.

/// The count in `raw`, or why it is not one. `decimal_comma`: the file uses `,` for decimals.
pub fn parse_count(raw: &str, decimal_comma: bool) -> Result<i64, String> {
    let text: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect();
    if text.is_empty() {
        return Err("wajib diisi".into());
    }
    if text.starts_with('-') {
        return Err("tidak boleh negatif".into());
    }
    if !text
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        return Err(format!("{raw:?} bukan angka"));
    }
    let last_dot = text.rfind('.');
    let last_comma = text.rfind(',');
    let dots = text.matches('.').count();
    let commas = text.matches(',').count();
    // Which separator, if any, starts a fraction.
    let decimal = match (last_dot, last_comma) {
        (None, None) => None,
        // Both: the last one is the decimal separator, and occurs once.
        (Some(d), Some(c)) => Some(if d > c { '.' } else { ',' }),
        (Some(_), None) | (None, Some(_)) => {
            let (sep, count) = if dots > 0 { ('.', dots) } else { (',', commas) };
            let after = text.len() - text.rfind(sep).map_or(0, |i| i + 1);
            if count > 1 {
                None
            } else if after != 3 {
                Some(sep)
            } else if decimal_comma && sep == '.' {
                None
            } else {
                return Err(format!(
                    "{raw} bisa dibaca dua cara (ribuan atau desimal); tulis tanpa pemisah \
                     ribuan, mis. {}",
                    text.replace([',', '.'], "")
                ));
            }
        }
    };
    let (whole, fraction) = match decimal {
        Some(sep) => {
            let (whole, fraction) = text.rsplit_once(sep).unwrap_or((&text, ""));
            if whole.contains(sep) {
                return Err(format!("{raw} bukan angka yang jelas"));
            }
            (whole, fraction)
        }
        None => (text.as_str(), ""),
    };
    if fraction.contains(['.', ',']) {
        return Err(format!("{raw} bukan angka yang jelas"));
    }
    if !fraction.bytes().all(|b| b == b'0') {
        return Err(format!("{raw} bukan bilangan bulat (ada pecahan)"));
    }
    let digits = ungroup(whole).ok_or_else(|| format!("{raw}: pemisah ribuan tidak tepat"))?;
    if digits.is_empty() {
        return Err(format!("{raw} bukan angka"));
    }
    digits
        .parse::<i64>()
        .ok()
        .filter(|n| *n <= 1_000_000_000)
        .ok_or_else(|| "angka terlalu besar".into())
}

/// `2.571.029` → `2571029`: groups of three after the first (one to three digits), all with
/// the same separator; `None` for any other grouping.
fn ungroup(whole: &str) -> Option<String> {
    let sep = whole.chars().find(|c| *c == '.' || *c == ',');
    let Some(sep) = sep else {
        return Some(whole.to_string());
    };
    let groups: Vec<&str> = whole.split(sep).collect();
    let first_ok = (1..=3).contains(&groups[0].len());
    let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
    let pure = groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
    (first_ok && rest_ok && pure).then(|| groups.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_exact_or_refused() {
        for (raw, n) in [
            ("2571029", 2_571_029),
            ("2.571.029", 2_571_029),
            ("2,571,029", 2_571_029),
            ("2 571 029", 2_571_029),
            ("4814.00", 4814),
            ("4814,00", 4814),
            ("4814.0", 4814),
            ("2.571.029,00", 2_571_029),
            ("2,571,029.00", 2_571_029),
            ("0", 0),
        ] {
            assert_eq!(parse_count(raw, false), Ok(n), "{raw}");
        }
        for raw in [
            "4814.4",
            "4814,5",
            "20.000",
            "4,814",
            "1.2.3",
            "12.34.567",
            "-5",
            "x",
            "",
            "1,2",
            "2.571,029.00",
        ] {
            assert!(parse_count(raw, false).is_err(), "{raw}");
        }
        // A semicolon CSV groups thousands with dots.
        assert_eq!(parse_count("20.000", true), Ok(20_000));
        assert!(parse_count("4,814", true).is_err());
        assert!(parse_count("4814,4", true).is_err());
        assert!(parse_count("2000000000", false).is_err());
    }
}
