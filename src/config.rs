//! Run-time configuration: where the database is, where to listen, the session key.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use actix_web::cookie::Key;
use anyhow::{Context, bail};

/// Session idle timeout: a phone left alone this long must log in again.
pub const SESSION_IDLE_MINUTES: i64 = 180;
/// Absolute session lifetime: one working day, whatever the activity.
pub const SESSION_ABSOLUTE_HOURS: i64 = 12;
/// Login throttling (see `auth::throttle`): attempts within `LOGIN_LOCK_MINUTES` for one account
/// from one address (and on one account's password-change form), …
pub const LOGIN_MAX_FAILURES: i32 = 5;
/// … for one account from any address, …
pub const LOGIN_MAX_FAILURES_ACCOUNT: i32 = 20;
/// … and from one address for any account (a carrier NAT puts many field workers behind one).
pub const LOGIN_MAX_FAILURES_ADDRESS: i32 = 100;
/// The window attempts are counted in, and how long a key stays locked once it reaches its limit.
pub const LOGIN_LOCK_MINUTES: i64 = 15;

/// Progress figures older than this many days carry a warning with their date (issue 21).
pub const STALE_AFTER_DAYS: i64 = 45;

/// The staleness limit: `PESIAR_STALE_DAYS` when it is a positive number of days, else 45.
pub fn stale_after_days() -> i64 {
    std::env::var("PESIAR_STALE_DAYS")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|n| (1..=3650).contains(n))
        .unwrap_or(STALE_AFTER_DAYS)
}

/// Where the data lives; the backend is chosen once, from the URL scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let raw = raw.trim();
        if raw.is_empty() {
            bail!("DATABASE_URL kosong");
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_string()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        if path.is_empty() || path == ":memory:" {
            bail!("SQLite butuh path file (bukan :memory:), mis. pesiar.db");
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }

    /// A form safe for logs: the PostgreSQL password is never printed.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite:{}", path.display()),
            Self::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme_end), Some(at)) if at > scheme_end => {
                    let userinfo = &url[scheme_end + 3..at];
                    let user = userinfo.split(':').next().unwrap_or("");
                    format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
                }
                _ => url.clone(),
            },
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database: DatabaseUrl,
    pub bind: String,
    pub secret_key: Option<String>,
    pub secure_cookies: bool,
    /// Reverse-proxy hops in front of pesiar: the client address is this many entries from the
    /// right of `X-Forwarded-For` (0: the TCP peer).
    pub trusted_proxies: usize,
}

impl Config {
    /// The session key: from `PESIAR_SECRET_KEY`, or for SQLite a key generated once and kept
    /// beside the database (mode 0600). PostgreSQL deployments run several instances that must
    /// share one key, so there it has to be given.
    pub fn session_key(&self) -> anyhow::Result<Key> {
        if let Some(secret) = &self.secret_key {
            return key_from_secret(secret);
        }
        match &self.database {
            DatabaseUrl::Postgres(_) => bail!(
                "PESIAR_SECRET_KEY wajib diisi untuk PostgreSQL (minimal 32 karakter, sama untuk semua instance)"
            ),
            DatabaseUrl::Sqlite(db_path) => {
                let path = secret_file_for(db_path);
                let secret = load_or_create_secret(&path)?;
                key_from_secret(&secret)
            }
        }
    }
}

fn key_from_secret(secret: &str) -> anyhow::Result<Key> {
    if secret.len() < 32 {
        bail!("PESIAR_SECRET_KEY terlalu pendek: minimal 32 karakter");
    }
    Ok(Key::derive_from(secret.as_bytes()))
}

pub fn secret_file_for(db_path: &Path) -> PathBuf {
    let mut name = db_path.file_name().unwrap_or_default().to_os_string();
    name.push(".secret");
    db_path.with_file_name(name)
}

fn load_or_create_secret(path: &Path) -> anyhow::Result<String> {
    if path.exists() {
        let secret = fs::read_to_string(path)
            .with_context(|| format!("membaca kunci sesi {}", path.display()))?;
        return Ok(secret.trim().to_string());
    }
    let secret = crate::random::random_token(48);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("membuat kunci sesi {}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    tracing::info!(path = %path.display(), "generated a new session key");
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_backend_from_the_url() {
        assert_eq!(
            DatabaseUrl::parse("pesiar.db").unwrap(),
            DatabaseUrl::Sqlite("pesiar.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/p.db").unwrap(),
            DatabaseUrl::Sqlite("/var/lib/p.db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgres://u:p@h/db").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert!(DatabaseUrl::parse(":memory:").is_err());
        assert!(DatabaseUrl::parse("  ").is_err());
    }

    #[test]
    fn redacts_the_postgres_password() {
        let url = DatabaseUrl::parse("postgres://pesiar:s3cret@db:5432/pesiar").unwrap();
        assert_eq!(url.redacted(), "postgres://pesiar:***@db:5432/pesiar");
        assert!(!url.redacted().contains("s3cret"));
    }

    #[test]
    fn secret_file_sits_beside_the_database() {
        assert_eq!(
            secret_file_for(Path::new("/data/pesiar.db")),
            PathBuf::from("/data/pesiar.db.secret")
        );
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(key_from_secret("short").is_err());
        assert!(key_from_secret(&"x".repeat(32)).is_ok());
    }
}
