//! The one application error type. Every failure a request can meet becomes one of these,
//! carrying its status code and a clear title and message in Indonesian; `web::error_page`
//! renders it.

use std::fmt::Display;

use actix_web::http::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("login required")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("not found")]
    NotFound,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unprocessable: {0}")]
    Unprocessable(String),
    #[error("too many requests")]
    TooManyRequests,
    #[error("database unavailable")]
    Unavailable,
    #[error("storage cannot take writes: {0:?}")]
    Unwritable(Unwritable),
    #[error("internal error (ref {reference})")]
    Internal { reference: String },
}

/// Why the database refuses to write: the transaction was rolled back whole, and the person can
/// send the same form again later (its one-time key makes the retry count once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unwritable {
    /// SQLite's "database or disk is full", PostgreSQL's "No space left on device".
    Full,
    /// A read-only file, mount or PostgreSQL standby.
    ReadOnly,
}

impl Unwritable {
    /// Recognises the storage refusals among database errors by their fixed messages, since
    /// diesel reports SQLite's result codes only as text.
    pub fn of(kind: &diesel::result::DatabaseErrorKind, message: &str) -> Option<Self> {
        use diesel::result::DatabaseErrorKind;
        if matches!(kind, DatabaseErrorKind::ReadOnlyTransaction)
            || message.contains("readonly database")
            || message.contains("read-only")
        {
            Some(Self::ReadOnly)
        } else if message.contains("database or disk is full")
            || message.contains("No space left on device")
            || message.contains("could not extend file")
        {
            Some(Self::Full)
        } else {
            None
        }
    }
}

impl AppError {
    /// Logs the cause under a short reference and returns an error that shows only the
    /// reference, so the person can quote it and the cause stays in the log.
    pub fn internal(cause: impl Display) -> Self {
        let reference = crate::random::random_hex(6);
        tracing::error!(reference = %reference, error = %cause, "internal error");
        Self::Internal { reference }
    }

    /// The HTTP status the error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable | Self::Unwritable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The reference an internal error is logged under, for the person to quote.
    pub fn reference(&self) -> Option<&str> {
        match self {
            Self::Internal { reference } => Some(reference.as_str()),
            _ => None,
        }
    }

    /// The page's title and message, in Indonesian.
    pub fn title_and_message(&self) -> (&'static str, String) {
        match self {
            Self::BadRequest(detail) => (
                "Permintaan tidak valid",
                format!("Permintaan tidak dapat diproses: {detail}"),
            ),
            Self::Unauthorized => (
                "Sesi berakhir",
                "Sesi Anda sudah berakhir atau Anda belum masuk. Silakan masuk lagi.".into(),
            ),
            Self::Forbidden => (
                "Akses ditolak",
                "Peran Anda tidak memiliki akses ke halaman ini.".into(),
            ),
            Self::Csrf => (
                "Formulir kedaluwarsa",
                "Formulir ini sudah kedaluwarsa atau tidak dikirim dari pesiar. Muat ulang halaman lalu kirim lagi.".into(),
            ),
            Self::NotFound => (
                "Tidak ditemukan",
                "Halaman atau data yang Anda cari tidak ada, atau berada di luar wilayah Anda.".into(),
            ),
            Self::PayloadTooLarge => (
                "Data terlalu besar",
                "Data yang dikirim melebihi batas ukuran.".into(),
            ),
            Self::Unprocessable(detail) => ("Data tidak dapat diproses", detail.clone()),
            Self::TooManyRequests => (
                "Terlalu banyak percobaan",
                "Terlalu banyak percobaan. Tunggu beberapa menit lalu coba lagi.".into(),
            ),
            Self::Unavailable => (
                "Layanan sementara tidak tersedia",
                "Basis data sedang tidak dapat dihubungi. Coba lagi dalam beberapa saat.".into(),
            ),
            Self::Unwritable(Unwritable::Full) => (
                "Penyimpanan server penuh",
                "Server tidak dapat menyimpan data karena penyimpanannya penuh. Tidak ada yang tersimpan sebagian: kirim lagi nanti, dan beri tahu admin. Kunjungan yang dicatat di HP disimpan di HP dan dikirim ulang otomatis.".into(),
            ),
            Self::Unwritable(Unwritable::ReadOnly) => (
                "Server sedang hanya-baca",
                "Server sedang tidak menerima perubahan (basis data hanya-baca). Tidak ada yang tersimpan sebagian: kirim lagi nanti, dan beri tahu admin. Kunjungan yang dicatat di HP disimpan di HP dan dikirim ulang otomatis.".into(),
            ),
            Self::Internal { .. } => (
                "Terjadi kesalahan",
                "Terjadi kesalahan di server. Data Anda belum tentu tersimpan; periksa lalu coba lagi.".into(),
            ),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => Self::NotFound,
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => {
                tracing::warn!(error = %err, "database connection lost");
                Self::Unavailable
            }
            Error::DatabaseError(kind, ref info) => match Unwritable::of(&kind, info.message()) {
                Some(why) => {
                    tracing::error!(error = %err, "the database refuses writes");
                    Self::Unwritable(why)
                }
                None => Self::internal(err),
            },
            other => Self::internal(other),
        }
    }
}
