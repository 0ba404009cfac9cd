//! `Finding`: one secret found, with its rule, origin and position; redaction and fingerprints.
//!
//! Invariant: the secret's bytes never reach `Debug`, `Display` or a report unless a reporter
//! explicitly calls [`Secret::expose`] because the user passed `--show-secrets`.
//! Depends on `chunk` (for `Origin`) and `sha2`.

use crate::chunk::Origin;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;

/// How sure a rule is that its matches are real secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Generic keyword + entropy.
    Low,
    /// A distinctive prefix with a loose body, or keyword context + exact shape.
    Medium,
    /// An unambiguous format (distinctive prefix, fixed shape, or a checksum).
    High,
}

impl Confidence {
    /// `"low"`, `"medium"` or `"high"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// What reporters need to know about a rule (the compiled rule lives in `rules`).
#[derive(Debug, Clone)]
pub struct RuleInfo {
    /// Stable kebab-case id.
    pub id: String,
    /// Human name.
    pub name: String,
    /// What it is / why it matters / how to fix it.
    pub description: String,
    /// Confidence of the rule's findings.
    pub confidence: Confidence,
    /// Documentation links.
    pub references: Vec<String>,
    /// Free-form tags.
    pub tags: Vec<String>,
}

/// Secret bytes. `Debug` shows only the length.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps the secret bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Secret(bytes)
    }

    /// The plaintext. Call only to compare, hash, or when the user asked for `--show-secrets`.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for an empty secret.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The redacted form: the first `visible` bytes (a format's public prefix such as `ghp_`,
    /// never more than a quarter of the secret), then `…[redacted, N chars]`.
    pub fn redacted(&self, visible: usize) -> String {
        let visible = visible.min(self.0.len() / 4);
        let shown = crate::messages::escape(&self.0[..visible]);
        format!("{shown}…[redacted, {} chars]", self.0.len())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret([redacted, {} bytes])", self.0.len())
    }
}

/// One secret found in one place.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule that found it.
    pub rule: Arc<RuleInfo>,
    /// Where the bytes came from.
    pub origin: Arc<Origin>,
    /// Byte offset of the secret's first byte in the input (0-based).
    pub offset: u64,
    /// Line of the secret's first byte (1-based).
    pub line: u64,
    /// Column of the secret's first byte, in bytes from the line start (1-based).
    pub column: u64,
    /// Line of the secret's last byte (1-based).
    pub end_line: u64,
    /// Column just past the secret's last byte, in bytes (1-based, exclusive).
    pub end_column: u64,
    /// The secret.
    pub secret: Secret,
    /// How many leading bytes of the secret are a public format prefix (safe to show).
    pub visible: usize,
    /// Shannon entropy of the secret, bits per byte.
    pub entropy: f64,
    /// Up to [`CONTEXT_CAP`] bytes of the line before the secret.
    pub before: Vec<u8>,
    /// Up to [`CONTEXT_CAP`] bytes of the line after the secret.
    pub after: Vec<u8>,
    /// The rule's whole regex match (holds the secret: redacted in `Debug` like it).
    pub matched: Secret,
    /// Bytes of the whole regex match before and after the secret (a keyword and `=`, quotes):
    /// gitleaks reports positions and `Match` of the whole match.
    pub match_around: (usize, usize),
    /// The text encoding the secret was found in when not plain bytes (`utf-16le`, `utf-16be`).
    pub encoding: Option<&'static str>,
}

static FINGERPRINT_KEY: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();

/// Keys every fingerprint of this process with HMAC-SHA-256 (so a shared baseline cannot be
/// used to test guesses of short secrets offline). Set once, before scanning; later calls are
/// ignored.
pub fn set_fingerprint_key(key: &[u8]) {
    let _ = FINGERPRINT_KEY.set(key.to_vec());
}

static FINGERPRINT_ROOT: std::sync::OnceLock<(std::path::PathBuf, std::path::PathBuf)> = std::sync::OnceLock::new();

/// Makes fingerprints of files use their path relative to `root` (the project: the config's
/// directory or the repository top), so `leakscan .` and `leakscan src` from anywhere agree.
/// `cwd` resolves relative paths. Set once, before scanning.
pub fn set_fingerprint_root(root: std::path::PathBuf, cwd: std::path::PathBuf) {
    let _ = FINGERPRINT_ROOT.set((root, cwd));
}

/// Most bytes of context kept on each side of a secret (never a whole 100 MB line).
pub const CONTEXT_CAP: usize = 80;

impl Finding {
    /// Bytes of the input the finding covers from `offset`: the secret itself; twice its length
    /// in UTF-16; under base64, hex, percent or escapes, the encoded characters that carry it
    /// (they lie on one line, ending just before `end_column`).
    pub fn input_len(&self) -> usize {
        match self.encoding {
            None => self.secret.len(),
            Some(e) if e.starts_with("utf-16") => 2 * self.secret.len(),
            Some(_) if self.end_line == self.line && self.end_column > self.column => {
                (self.end_column - self.column) as usize
            }
            Some(_) => self.secret.len(),
        }
    }

    /// The secret as reports show it: redacted unless `show` (the `--show-secrets` flag).
    pub fn secret_text(&self, show: bool) -> String {
        if self.secret.is_empty() {
            // A path-only rule (`pathrule.rs`): the file itself is the finding.
            "[file detected by its path]".to_string()
        } else if show {
            crate::messages::escape(self.secret.expose())
        } else {
            self.secret.redacted(self.visible)
        }
    }

    /// The line excerpt around the secret, escaped, with the secret redacted unless `show`.
    pub fn context_text(&self, show: bool) -> String {
        format!(
            "{}{}{}",
            crate::messages::escape(&self.before),
            self.secret_text(show),
            crate::messages::escape(&self.after)
        )
    }

    /// The location as shown to people: the escaped origin; for memory (a core dump's
    /// segment), at the secret's own address rather than the segment's.
    pub fn location(&self) -> String {
        if let Origin::Segment { outer, vaddr, view } = &*self.origin {
            let vaddr = vaddr.wrapping_add(self.offset);
            let at = Origin::Segment { outer: Arc::clone(outer), vaddr, view: Arc::clone(view) };
            return crate::messages::escape(&at.display_bytes());
        }
        crate::messages::escape(&self.origin.display_bytes())
    }

    /// Stable suppression key: SHA-256 (HMAC-SHA-256 when a key was set with
    /// [`set_fingerprint_key`]) of rule id, location (the path, never a commit id: see
    /// [`Origin::fingerprint_key`]) and secret value — never the line, so moving or
    /// re-indenting a secret keeps its fingerprint. 32 hex characters.
    pub fn fingerprint(&self) -> String {
        let location = self.project_location();
        let parts: [&[u8]; 5] = [self.rule.id.as_bytes(), &[0], &location, &[0], self.secret.expose()];
        let digest: Vec<u8> = match FINGERPRINT_KEY.get() {
            Some(key) => {
                let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
                parts.iter().for_each(|p| mac.update(p));
                mac.finalize().into_bytes().to_vec()
            }
            None => {
                let mut h = Sha256::new();
                parts.iter().for_each(|p| h.update(p));
                h.finalize().to_vec()
            }
        };
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The location fingerprints and baselines key on: a file on disk (or the archive holding
    /// the bytes) relative to the project root set by [`set_fingerprint_root`]; an archive
    /// chain keeps its member names (`backup.tar.gz!home/app/.env`); git paths are
    /// repository-relative already. Never a line or a commit.
    pub fn project_location(&self) -> Vec<u8> {
        let mut location = self.origin.fingerprint_key();
        let mut outermost: &Origin = &self.origin;
        while let Origin::Entry { outer, .. } = outermost {
            outermost = outer;
        }
        if let (Origin::File { path }, Some((root, cwd))) = (outermost, FINGERPRINT_ROOT.get()) {
            let shown = crate::chunk::path_bytes(path);
            if location.starts_with(&shown) {
                let abs = crate::config::absolute(cwd, path);
                let mut rel = crate::chunk::path_bytes(abs.strip_prefix(root).unwrap_or(&abs));
                rel.extend_from_slice(&location[shown.len()..]);
                location = rel;
            }
        }
        location
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(secret: &[u8], line: u64) -> Finding {
        Finding {
            rule: Arc::new(RuleInfo {
                id: "r".into(),
                name: "R".into(),
                description: String::new(),
                confidence: Confidence::High,
                references: vec![],
                tags: vec![],
            }),
            origin: Arc::new(Origin::File { path: "a/b.txt".into() }),
            offset: 0,
            line,
            column: 1,
            end_line: line,
            end_column: 1 + secret.len() as u64,
            secret: Secret::new(secret.to_vec()),
            visible: 4,
            entropy: 4.0,
            before: b"token=".to_vec(),
            after: b" # x".to_vec(),
            matched: Secret::new(secret.to_vec()),
            match_around: (0, 0),
            encoding: None,
        }
    }

    #[test]
    fn redaction_hides_all_but_the_public_prefix() {
        let f = finding(b"ghp_abcdefghijklmnopqrstuvwxyz0123456789", 1);
        assert_eq!(f.secret_text(false), "ghp_…[redacted, 40 chars]");
        assert_eq!(f.context_text(false), "token=ghp_…[redacted, 40 chars] # x");
        assert!(!format!("{f:?}").contains("abcdefgh"));
        let short = Secret::new(b"hunter2!".to_vec());
        assert_eq!(short.redacted(4), "hu…[redacted, 8 chars]");
    }

    #[test]
    fn fingerprint_ignores_line_but_not_value() {
        let a = finding(b"ghp_abcdefghijklmnopqrstuvwxyz0123456789", 1);
        let b = finding(b"ghp_abcdefghijklmnopqrstuvwxyz0123456789", 99);
        let c = finding(b"ghp_abcdefghijklmnopqrstuvwxyz012345678X", 1);
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
        assert_eq!(a.fingerprint().len(), 32);
    }
}
