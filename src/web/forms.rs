//! Form plumbing: field-level error messages, and a form extractor whose failures render the
//! 400 page instead of actix's plain-text error.

use std::collections::BTreeMap;

use actix_web::web::{FormConfig, PathConfig, QueryConfig};

use crate::error::AppError;

/// Messages keyed by form field name, shown beside the field when the form is re-rendered.
#[derive(Debug, Default)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// The name/value pairs of a URL-encoded form body, for forms whose field names are not fixed
/// (one group of fields per household member, repeated checkboxes).
pub fn pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Form, query and path extraction failures become the 400 page.
pub fn extractor_configs(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.app_data(
        FormConfig::default()
            .limit(64 * 1024)
            .error_handler(|err, _| AppError::BadRequest(err.to_string()).into()),
    )
    .app_data(
        QueryConfig::default().error_handler(|err, _| AppError::BadRequest(err.to_string()).into()),
    )
    .app_data(PathConfig::default().error_handler(|_, _| AppError::NotFound.into()));
}

/// Trims a text field and collapses it to `None` when empty.
pub fn non_empty(value: &str) -> Option<&str> {
    let value = value.trim();
    (!value.is_empty()).then_some(value)
}

/// A local path to go back to after login, or `None` for anything a browser could take off the
/// site. The value must start with one `/` and hold only visible ASCII (no control characters,
/// whitespace or non-ASCII: browsers strip tabs and newlines from URLs, so `/\t/host` is
/// `//host` to them, and a newline cannot go in a header at all). No backslash (`/\host` is
/// `//host` to browsers) and no `//` anywhere, checked again after each round of
/// percent-decoding, so that nothing decodes into a scheme-relative or backslashed URL.
pub fn safe_next(next: &str) -> Option<&str> {
    let visible = |s: &str| s.bytes().all(|b| b.is_ascii_graphic());
    let tricky = |s: &str| s.contains("//") || s.contains('\\');
    if !next.starts_with('/') || !visible(next) || tricky(next) {
        return None;
    }
    // Three rounds cover double and triple encoding; a value still changing after them is
    // refused (no page of ours needs that).
    let mut current = next.to_string();
    for _ in 0..4 {
        let decoded = percent_encoding::percent_decode_str(&current)
            .decode_utf8_lossy()
            .into_owned();
        if decoded == current {
            return Some(next);
        }
        if tricky(&decoded) || decoded.chars().any(char::is_control) {
            return None;
        }
        current = decoded;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_safe_redirect_targets() {
        assert_eq!(safe_next("/wilayah/32"), Some("/wilayah/32"));
        assert_eq!(safe_next("//evil.example"), None);
        assert_eq!(safe_next("https://evil.example"), None);
        assert_eq!(safe_next("/\\evil"), None);
        assert_eq!(safe_next(""), None);
        for bad in [
            "/\t/host/x",
            "/\n/x",
            "/ /x",
            " /x",
            "/x\u{a0}",
            "/%2F/host",
            "/%2f%2fhost",
            "/%5Chost",
            "/%252F%252Fhost",
            "/%25252F%25252Fhost",
            "/%09/host",
            "/a//b",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
        for good in [
            "/",
            "/wilayah/32.73?x=1",
            "/rumah-tangga?q=jalan%20merdeka",
            "/a%2Fb",
        ] {
            assert_eq!(safe_next(good), Some(good), "{good:?}");
        }
    }

    #[test]
    fn first_error_per_field_wins() {
        let mut errors = FieldErrors::default();
        errors.add("username", "wajib diisi");
        errors.add("username", "terlalu pendek");
        assert_eq!(errors.get("username"), Some("wajib diisi"));
        assert!(errors.has("username"));
        assert!(!errors.has("password"));
    }
}
