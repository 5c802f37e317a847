//! argon2id password hashes. Hashing is slow on purpose: call these off the async workers.

use std::sync::LazyLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::error::AppError;

pub fn hash(password: &str) -> Result<String, AppError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

pub fn verify(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A hash to verify against when the username does not exist, so the response time does not
/// tell which usernames exist.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash("pesiar-dummy-password").unwrap_or_default());

pub fn verify_dummy(password: &str) {
    let _ = verify(password, &DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_verify_and_are_salted() {
        let a = super::hash("kuda-lumping-9").unwrap();
        let b = super::hash("kuda-lumping-9").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b);
        assert!(super::verify("kuda-lumping-9", &a));
        assert!(!super::verify("kuda-lumping-8", &a));
        assert!(!super::verify("x", "not a hash"));
    }
}
