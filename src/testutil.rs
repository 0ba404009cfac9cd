//! Test-only helpers shared by unit tests of several modules: a matcher with one synthetic
//! token rule, encoders written independently of the decoder under test, and deterministic
//! random bytes. Depends on `matcher`, `rules` and `known` (its base64 encoder).

use crate::matcher::Matcher;
use crate::rules::load_text;

/// A synthetic token the `tok` rule finds.
pub const TOKEN: &str = "tok_ab12cd34ef56";

/// A matcher with the rule `tok` (`tok_` + 12 of `[a-z0-9]`) and the rules in `extra` (TOML).
pub fn tok_matcher(extra: &str) -> Matcher {
    let toml = format!(
        r#"
[[rules]]
id = "tok"
regex = '''\b(tok_[a-z0-9]{{12}})\b'''
keywords = ["tok_"]
{extra}"#
    );
    Matcher::new(load_text(&toml, "t.toml").unwrap()).unwrap()
}

/// Standard base64 with padding (the known-secret encoder, padded).
pub fn b64(bytes: &[u8]) -> String {
    let mut s = String::from_utf8(crate::known::base64(bytes)).expect("base64 is ASCII");
    while s.len() % 4 != 0 {
        s.push('=');
    }
    s
}

/// Lowercase hex, two digits per byte.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `n` xorshift64 bytes from `seed` (random-looking, never text).
pub fn random_bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
