//! argon2id password hashes. Hashing is slow on purpose: call these off the async workers.

use std::sync::{Condvar, LazyLock, Mutex, PoisonError};

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::error::AppError;

pub fn hash(password: &str) -> Result<String, AppError> {
    with_slot(|| {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(AppError::internal)
    })
}

pub fn verify(password: &str, hash: &str) -> bool {
    with_slot(|| {
        Argon2::default()
            .verify_password(password.as_bytes(), hash)
            .is_ok()
    })
}

static BUSY: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

/// Runs one hash when a core is free. Each argon2 hash takes 19 MiB and a core; running more at
/// once than there are cores is no faster and only holds more memory (200 agents signing in
/// together took the server to 430 MB before this).
fn with_slot<T>(work: impl FnOnce() -> T) -> T {
    struct Release;
    impl Drop for Release {
        fn drop(&mut self) {
            *BUSY.lock().unwrap_or_else(PoisonError::into_inner) -= 1;
            FREED.notify_one();
        }
    }
    let slots = std::thread::available_parallelism().map_or(2, |n| n.get());
    {
        let mut busy = BUSY.lock().unwrap_or_else(PoisonError::into_inner);
        while *busy >= slots {
            busy = FREED.wait(busy).unwrap_or_else(PoisonError::into_inner);
        }
        *busy += 1;
    }
    let _release = Release;
    work()
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
