//! Static files, embedded in the binary and served under content-hashed names with a long
//! cache lifetime, so a phone downloads the stylesheet once per release.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use crate::error::AppError;

pub struct Asset {
    pub logical_name: &'static str,
    pub hashed_name: String,
    pub content_type: &'static str,
    pub body: &'static [u8],
    /// The body gzipped once at the best level: the on-the-fly compression of responses is
    /// tuned for speed and would send the stylesheet and scripts about a third larger.
    pub gzipped: Vec<u8>,
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    vec![
        asset(
            "pesiar.css",
            "text/css; charset=utf-8",
            include_bytes!("../../static/pesiar.css"),
        ),
        asset(
            "print.css",
            "text/css; charset=utf-8",
            include_bytes!("../../static/print.css"),
        ),
        asset(
            "visit.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../static/visit.js"),
        ),
        asset(
            "desk.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../static/desk.js"),
        ),
        asset(
            "outbox.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../static/outbox.js"),
        ),
        asset(
            "offline.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../static/offline.js"),
        ),
        asset(
            "icon.svg",
            "image/svg+xml",
            include_bytes!("../../static/icon.svg"),
        ),
    ]
});

fn asset(logical_name: &'static str, content_type: &'static str, body: &'static [u8]) -> Asset {
    let digest = Sha256::digest(body);
    let hash: String = digest[..5].iter().map(|b| format!("{b:02x}")).collect();
    let hashed_name = match logical_name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{logical_name}.{hash}"),
    };
    Asset {
        logical_name,
        hashed_name,
        content_type,
        body,
        gzipped: gzip_best(body),
    }
}

fn gzip_best(body: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(body)
        .and_then(|()| encoder.finish())
        .expect("gzip into memory")
}

/// The client takes gzip (`Accept-Encoding: gzip`, not refused with `q=0`).
fn accepts_gzip(req: &HttpRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    value.split(',').any(|part| {
        let mut fields = part.split(';').map(str::trim);
        let name = fields.next().unwrap_or("");
        let refused = fields.any(|f| {
            matches!(
                f.replace(' ', "").as_str(),
                "q=0" | "q=0.0" | "q=0.00" | "q=0.000"
            )
        });
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
    })
}

/// The URL of an asset by its logical name, e.g. `url("pesiar.css")`.
pub fn url(logical_name: &str) -> String {
    ASSETS
        .iter()
        .find(|a| a.logical_name == logical_name)
        .map(|a| format!("/static/{}", a.hashed_name))
        .unwrap_or_default()
}

pub async fn serve(req: HttpRequest, file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let asset = ASSETS
        .iter()
        .find(|a| a.hashed_name == *file)
        .ok_or(AppError::NotFound)?;
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CONTENT_TYPE, asset.content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::VARY, "Accept-Encoding"));
    if accepts_gzip(&req) {
        // Already encoded: the compression middleware leaves it as it is.
        res.insert_header((header::CONTENT_ENCODING, "gzip"));
        return Ok(res.body(asset.gzipped.as_slice()));
    }
    Ok(res.body(asset.body))
}

/// The service worker, at the root so its scope is the whole site. Its URL cannot carry a
/// hash (the browser checks the same URL for updates), so it is never cached and names the
/// current asset URLs itself; a new release changes its text and so replaces it.
pub async fn service_worker() -> HttpResponse {
    static BODY: LazyLock<String> = LazyLock::new(|| {
        let urls: Vec<String> = ASSETS
            .iter()
            .map(|a| format!("\"/static/{}\"", a.hashed_name))
            .collect();
        let version: String = ASSETS
            .iter()
            .map(|a| a.hashed_name.as_str())
            .collect::<Vec<_>>()
            .join("|");
        let digest = Sha256::digest(version.as_bytes());
        let version: String = digest[..5].iter().map(|b| format!("{b:02x}")).collect();
        include_str!("../../static/sw.js")
            .replace("__VERSION__", &version)
            .replace("__ASSETS__", &format!("[{}]", urls.join(", ")))
    });
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/javascript; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("Service-Worker-Allowed", "/"))
        .body(BODY.as_str())
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_carry_a_content_hash() {
        let css = super::url("pesiar.css");
        assert!(css.starts_with("/static/pesiar."), "{css}");
        assert!(css.ends_with(".css"));
        assert_eq!(css.len(), "/static/pesiar.0123456789.css".len());
        assert_eq!(super::url("missing.css"), "");
    }

    #[test]
    fn gzipped_bodies_are_the_same_files_and_smaller() {
        use std::io::Read;
        for asset in super::ASSETS.iter() {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(asset.gzipped.as_slice())
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, asset.body, "{}", asset.logical_name);
        }
    }
}
