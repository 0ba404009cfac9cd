//! Baselines read by `--baseline FILE`, the format detected from the content: leakscan's own
//! (`leakscan baseline create`: `{"findings": [{"fingerprint": …}]}`), a gitleaks JSON report
//! (an array of objects with `RuleID`, `File`, `Secret`, `Match`…; FORMATS.md §2.1) and a
//! detect-secrets `.secrets.baseline` (`{"results": {file: [{"hashed_secret": sha1-hex}]}}`,
//! FORMATS.md §2.4).
//!
//! Invariant: every format is matched by value, never by line or column: leakscan entries by
//! fingerprint (rule, path, secret); gitleaks entries by (file, secret) — the secret equal to
//! gitleaks' `Secret` or contained in its `Match`, whatever the rule id, since leakscan's rule
//! ids differ from gitleaks'; detect-secrets entries by (file, SHA-1 of the secret), whatever
//! the type. So moving a baselined secret does not resurrect it, and a new secret on a
//! baselined line is still reported. Secrets read from a gitleaks report are kept only as
//! SHA-256 digests plus the match text, and never printed. Depends on `finding`, `config`
//! (path normalisation), `sha1`, `sha2`, `serde_json`.

use crate::finding::Finding;
use anyhow::{anyhow, Result};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Where the project's paths are resolved: findings' paths are relative to `root`; a
/// baseline's relative paths may have been written from `cwd`, `root` or the baseline's
/// directory, so each is tried.
pub struct Bases<'a> {
    /// The current directory.
    pub cwd: &'a Path,
    /// The project root (fingerprint paths are relative to it).
    pub root: &'a Path,
}

/// One baseline file, in whichever format it was written.
#[derive(Default)]
pub struct Baseline {
    /// leakscan fingerprints.
    fingerprints: HashSet<String>,
    /// gitleaks entries by project-relative path.
    gitleaks: HashMap<String, Vec<GitleaksEntry>>,
    /// (path, SHA-256 of `Secret`) of every gitleaks entry: the usual match in one lookup, not
    /// a pass over every entry of the file (a file of 100,000 baselined findings).
    gitleaks_secrets: HashSet<(String, [u8; 32])>,
    /// detect-secrets entries: (project-relative path, SHA-1 hex of the secret).
    detect_secrets: HashSet<(String, String)>,
}

/// One gitleaks finding, reduced to what value matching needs.
struct GitleaksEntry {
    /// SHA-256 of `Secret`.
    secret: [u8; 32],
    /// `Match` (holds the secret; compared, never shown).
    matched: Vec<u8>,
}

/// The shortest secret looked for inside a gitleaks `Match`: shorter ones could hit by chance.
const MIN_CONTAINED: usize = 8;

/// Which format a baseline file was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `leakscan baseline create`.
    Leakscan,
    /// A gitleaks JSON report.
    Gitleaks,
    /// A detect-secrets `.secrets.baseline`.
    DetectSecrets,
}

impl Kind {
    /// A name for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Leakscan => "leakscan",
            Kind::Gitleaks => "gitleaks JSON report",
            Kind::DetectSecrets => "detect-secrets baseline",
        }
    }
}

impl Baseline {
    /// Reads `path`, detecting its format; returns the baseline and its kind.
    pub fn read(path: &Path, bases: &Bases) -> Result<(Baseline, Kind)> {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| anyhow!("reading baseline {shown}: {e}"))?;
        // serde_json's errors name line and column but never echo the input.
        let doc: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| anyhow!("baseline {shown}: not JSON: {e}"))?;
        let dir = path.parent().unwrap_or(Path::new(""));
        let dir = crate::config::absolute(bases.cwd, dir);
        let keys = |file: &str| path_keys(file, bases, &dir);
        let mut out = Baseline::default();
        let kind = if let Some(findings) = doc.get("findings").and_then(|f| f.as_array()) {
            for (i, f) in findings.iter().enumerate() {
                let fp = f["fingerprint"]
                    .as_str()
                    .ok_or_else(|| anyhow!("baseline {shown}: findings[{i}] has no fingerprint"))?;
                out.fingerprints.insert(fp.to_string());
            }
            Kind::Leakscan
        } else if let Some(entries) = doc.as_array() {
            let mut redacted = 0;
            for (i, e) in entries.iter().enumerate() {
                let (Some(file), Some(secret)) = (e["File"].as_str(), e["Secret"].as_str()) else {
                    return Err(anyhow!(
                        "baseline {shown}: [{i}] has no \"File\" and \"Secret\" (not a gitleaks report)"
                    ));
                };
                if is_redacted(secret) {
                    redacted += 1;
                    continue;
                }
                let matched = e["Match"].as_str().unwrap_or("").as_bytes().to_vec();
                for key in keys(file) {
                    let entry = GitleaksEntry { secret: Sha256::digest(secret).into(), matched: matched.clone() };
                    out.gitleaks_secrets.insert((key.clone(), entry.secret));
                    out.gitleaks.entry(key).or_default().push(entry);
                }
            }
            if redacted > 0 {
                crate::messages::warn(&format!(
                    "baseline {shown}: {redacted} entr{} redacted (gitleaks --redact) and cannot be matched by value; \
                     those findings will be reported",
                    if redacted == 1 { "y is" } else { "ies are" }
                ));
            }
            Kind::Gitleaks
        } else if let Some(results) = doc.get("results").and_then(|r| r.as_object()) {
            for (file, entries) in results {
                let entries =
                    entries.as_array().ok_or_else(|| anyhow!("baseline {shown}: results[{file:?}] is not a list"))?;
                for (i, e) in entries.iter().enumerate() {
                    let hash = e["hashed_secret"]
                        .as_str()
                        .filter(|h| h.len() == 40 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                        .ok_or_else(|| anyhow!("baseline {shown}: results[{file:?}][{i}]: no SHA-1 hashed_secret"))?;
                    for key in keys(file) {
                        out.detect_secrets.insert((key, hash.to_ascii_lowercase()));
                    }
                }
            }
            Kind::DetectSecrets
        } else {
            return Err(anyhow!(
                "baseline {shown}: not a leakscan baseline (\"findings\"), gitleaks JSON report (an array) \
                 or detect-secrets baseline (\"results\")"
            ));
        };
        Ok((out, kind))
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty() && self.gitleaks.is_empty() && self.detect_secrets.is_empty()
    }

    /// True when `finding` was recorded; `fingerprint` is its fingerprint (computed once by
    /// the caller).
    pub fn contains(&self, finding: &Finding, fingerprint: &str) -> bool {
        if self.fingerprints.contains(fingerprint) {
            return true;
        }
        if self.gitleaks.is_empty() && self.detect_secrets.is_empty() {
            return false;
        }
        let location = normal(&String::from_utf8_lossy(&finding.project_location()));
        let secret = finding.secret.expose();
        if let Some(entries) = self.gitleaks.get(&location) {
            let digest: [u8; 32] = Sha256::digest(secret).into();
            if self.gitleaks_secrets.contains(&(location.clone(), digest)) {
                return true;
            }
            // Rule ids and capture groups differ between the tools: our secret may be a part
            // of gitleaks' `Match` (a pass over the file's entries, taken only when no entry
            // has this exact secret).
            if secret.len() >= MIN_CONTAINED
                && entries.iter().any(|e| memchr::memmem::find(&e.matched, secret).is_some())
            {
                return true;
            }
        }
        if !self.detect_secrets.is_empty() {
            let sha1: String = Sha1::digest(secret).iter().map(|b| format!("{b:02x}")).collect();
            if self.detect_secrets.contains(&(location, sha1)) {
                return true;
            }
        }
        false
    }
}

/// gitleaks `--redact` writes `REDACTED`, or a prefix followed by `...`.
fn is_redacted(secret: &str) -> bool {
    secret == "REDACTED" || secret.ends_with("...")
}

/// The project-relative keys a peer's `file` may stand for: as written (normalised), and
/// resolved against the current directory and the baseline's directory, when that lands
/// inside the project root.
pub fn path_keys(file: &str, bases: &Bases, baseline_dir: &Path) -> Vec<String> {
    let file = normal(file);
    let mut keys = vec![file.clone()];
    for base in [bases.cwd, baseline_dir] {
        let abs = crate::config::absolute(base, Path::new(&file));
        if let Ok(rel) = abs.strip_prefix(bases.root) {
            let rel = normal(&rel.to_string_lossy());
            if !keys.contains(&rel) {
                keys.push(rel);
            }
        }
    }
    keys
}

/// `/` separators, no leading `./`.
pub fn normal(path: &str) -> String {
    let mut s = path.replace('\\', "/");
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.to_string();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_paths_are_normalised_against_the_project() {
        let bases = Bases { cwd: Path::new("/p/sub"), root: Path::new("/p") };
        assert_eq!(path_keys("./a\\b.txt", &bases, Path::new("/p")), ["a/b.txt", "sub/a/b.txt"]);
        assert_eq!(path_keys("/p/x.env", &bases, Path::new("/p")), ["/p/x.env", "x.env"]);
        assert!(is_redacted("REDACTED") && is_redacted("ghp_ab...") && !is_redacted("ghp_abc"));
    }
}
