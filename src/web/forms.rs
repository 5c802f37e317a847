//! Form plumbing: field-level error messages, and a form extractor whose failures render the
//! 400 page instead of actix's plain-text error.

use actix_web::web::{FormConfig, PathConfig, QueryConfig};

use crate::error::AppError;

/// Messages keyed by form field name, shown beside the field when the form is re-rendered and
/// listed, in the order they were found, in the summary at the top of the form
/// (`templates/error_summary.html`), each linking to the element whose id is the field name.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

#[derive(Debug)]
struct FieldError {
    field: String,
    message: String,
    /// (href, label) of a link shown after the message.
    link: Option<(String, String)>,
    /// About the form as a whole (no element to link to from the summary).
    general: bool,
}

impl FieldErrors {
    /// A message that points somewhere, e.g. to the member who already has this NIK: the
    /// template shows `label` as a link to `href` after the message.
    pub fn add_with_link(
        &mut self,
        field: impl Into<String>,
        message: impl Into<String>,
        href: impl Into<String>,
        label: impl Into<String>,
    ) {
        self.push(
            field.into(),
            message.into(),
            Some((href.into(), label.into())),
            false,
        );
    }

    pub fn link(&self, field: &str) -> Option<(&str, &str)> {
        self.find(field)?
            .link
            .as_ref()
            .map(|(h, l)| (h.as_str(), l.as_str()))
    }

    /// The first message for a field wins.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.push(field.into(), message.into(), None, false);
    }

    /// A message about the whole form, not one field: listed in the summary without a link.
    pub fn add_general(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.push(key.into(), message.into(), None, true);
    }

    fn push(
        &mut self,
        field: String,
        message: String,
        link: Option<(String, String)>,
        general: bool,
    ) {
        if !self.has(&field) {
            self.0.push(FieldError {
                field,
                message,
                link,
                general,
            });
        }
    }

    fn find(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.find(field).map(|e| e.message.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.find(field).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// (id to link to, message) in the order found, for the summary at the top of a form; no
    /// id for a message about the whole form.
    pub fn summary(&self) -> Vec<(Option<&str>, &str)> {
        self.0
            .iter()
            .map(|e| ((!e.general).then_some(e.field.as_str()), e.message.as_str()))
            .collect()
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
    fn the_summary_keeps_the_order_found_and_the_first_message_of_a_field() {
        let mut errors = FieldErrors::default();
        errors.add("nik", "NIK harus 16 angka.");
        errors.add_general("members", "Ada anggota yang bukan dari rumah tangga ini.");
        errors.add("birth_date", "Isi tanggal lahir.");
        errors.add("nik", "kedua");
        assert_eq!(
            errors.summary(),
            vec![
                (Some("nik"), "NIK harus 16 angka."),
                (None, "Ada anggota yang bukan dari rumah tangga ini."),
                (Some("birth_date"), "Isi tanggal lahir."),
            ]
        );
        assert_eq!(errors.len(), 3);
    }

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
