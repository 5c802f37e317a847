//! Short-lived sealed values for URLs: encrypted and authenticated with the session key, so what
//! they hold (a search term, which may be a NIK) never appears in a URL, a browser history or a
//! proxy log, and no instance needs to remember them.

use actix_web::cookie::{Cookie, CookieJar, Key};

/// The session key, for sealing values (shared by every instance, like the sessions).
#[derive(Clone)]
pub struct Sealer {
    key: Key,
}

impl Sealer {
    pub fn new(key: Key) -> Self {
        Self { key }
    }

    /// `value` sealed for `purpose` and `user`, readable until `ttl_seconds` from now.
    pub fn seal(&self, purpose: &str, user: i32, ttl_seconds: i64, value: &str) -> String {
        let expires = chrono::Utc::now().timestamp() + ttl_seconds;
        let mut jar = CookieJar::new();
        jar.private_mut(&self.key).add(Cookie::new(
            purpose.to_owned(),
            format!("{user}|{expires}|{value}"),
        ));
        jar.get(purpose)
            .map(|c| c.value().to_owned())
            .unwrap_or_default()
    }

    /// What `sealed` holds, if it was sealed for this purpose and user and has not expired.
    pub fn open(&self, purpose: &str, user: i32, sealed: &str) -> Option<String> {
        let mut jar = CookieJar::new();
        jar.add_original(Cookie::new(purpose.to_owned(), sealed.to_owned()));
        let plain = jar.private(&self.key).get(purpose)?.value().to_owned();
        let mut parts = plain.splitn(3, '|');
        let owner: i32 = parts.next()?.parse().ok()?;
        let expires: i64 = parts.next()?.parse().ok()?;
        let value = parts.next()?;
        (owner == user && chrono::Utc::now().timestamp() <= expires).then(|| value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_for_their_user_purpose_and_time() {
        let sealer = Sealer::new(Key::generate());
        let sealed = sealer.seal("cari", 7, 60, "3273020101900003");
        assert!(!sealed.contains("3273"));
        assert_eq!(
            sealer.open("cari", 7, &sealed).as_deref(),
            Some("3273020101900003")
        );
        assert_eq!(sealer.open("cari", 8, &sealed), None);
        assert_eq!(sealer.open("lain", 7, &sealed), None);
        assert_eq!(sealer.open("cari", 7, "rusak"), None);
        let expired = sealer.seal("cari", 7, -1, "x");
        assert_eq!(sealer.open("cari", 7, &expired), None);
        let other = Sealer::new(Key::generate());
        assert_eq!(other.open("cari", 7, &sealed), None);
    }
}
