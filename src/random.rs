//! OS randomness as tokens and references. A leaf: the error type, the configuration and the
//! web core all draw on it without depending on each other.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A URL-safe random token carrying `bytes` bytes of OS randomness.
pub fn random_token(bytes: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(bytes))
}

pub fn random_hex(bytes: usize) -> String {
    random_bytes(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    // The OS random source failing is not a request-level condition: there is nothing
    // safe to continue with, so abort instead of handing out a predictable token.
    if let Err(e) = getrandom::fill(&mut buf) {
        tracing::error!(error = %e, "OS random source failed");
        std::process::abort();
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_url_safe() {
        let a = random_token(32);
        let b = random_token(32);
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
