//! Suppression after matching: config allowlists (regex, stopword, per-rule path), the
//! baseline, and `.leakscanignore` fingerprints. Each suppressed finding is counted by cause.
//!
//! Invariant: suppression is keyed on values (fingerprints hash rule, path and secret), never on
//! line numbers, so edits around a baselined secret do not resurrect it and a new secret on a
//! baselined line is still reported. Depends on `config`, `finding`.

use crate::config::Config;
use crate::finding::Finding;
use anyhow::{anyhow, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file name of the fingerprint ignore file, looked up in the project root.
pub const IGNORE_FILE: &str = ".leakscanignore";

/// Decides which findings are not reported.
#[derive(Default)]
pub struct Suppressor {
    config: Option<Arc<Config>>,
    cwd: PathBuf,
    baseline: HashSet<String>,
    ignored: HashSet<String>,
}

impl Suppressor {
    /// Loads the baseline (if any) and the project's `.leakscanignore` (if present).
    pub fn new(config: Option<Arc<Config>>, cwd: PathBuf, baseline: Option<&Path>, root: &Path) -> Result<Self> {
        let baseline = match baseline {
            Some(path) => read_baseline(path)?,
            None => HashSet::new(),
        };
        let ignore_path = root.join(IGNORE_FILE);
        let ignored = if ignore_path.is_file() { read_ignore_file(&ignore_path)? } else { HashSet::new() };
        Ok(Suppressor { config, cwd, baseline, ignored })
    }

    /// The cause if `finding` is suppressed, else `None`.
    pub fn check(&self, finding: &Finding) -> Option<&'static str> {
        if let Some(config) = &self.config {
            let outside = config.rule_paths.iter().any(|(id, re)| {
                id == &finding.rule.id
                    && !finding.origin.path().is_some_and(|p| re.is_match(crate::chunk::path_bytes(p).as_slice()))
            });
            if outside {
                return Some("outside the rule's path (gitleaks path =)");
            }
            let rel = finding.origin.path().and_then(|p| config.relative(&self.cwd, p));
            if config.allowlists.iter().any(|a| a.allows(finding, rel.as_deref())) {
                return Some("allowlist (config)");
            }
        }
        if self.baseline.is_empty() && self.ignored.is_empty() {
            return None;
        }
        let fp = finding.fingerprint();
        if self.baseline.contains(&fp) {
            Some("baseline")
        } else if self.ignored.contains(&fp) {
            Some("ignore file (.leakscanignore)")
        } else {
            None
        }
    }
}

/// Fingerprints of a baseline written by `leakscan baseline create` (or `--format baseline`).
fn read_baseline(path: &Path) -> Result<HashSet<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow!("reading baseline {}: {e}", path.display()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| anyhow!("baseline {}: not JSON: {e}", path.display()))?;
    let findings = doc["findings"].as_array().ok_or_else(|| {
        anyhow!("baseline {}: no \"findings\" array (create one with `leakscan baseline create`)", path.display())
    })?;
    findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            f["fingerprint"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| anyhow!("baseline {}: findings[{i}] has no fingerprint", path.display()))
        })
        .collect()
}

/// One fingerprint per line; `#` starts a comment; blank lines are skipped.
fn read_ignore_file(path: &Path) -> Result<HashSet<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow!("reading {}: {e}", path.display()))?;
    let mut out = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let entry = line.split('#').next().unwrap_or("").trim();
        if entry.is_empty() {
            continue;
        }
        if entry.len() != 32 || !entry.bytes().all(|b| b.is_ascii_hexdigit()) {
            // The entry is not echoed: someone may have pasted a secret here by mistake.
            return Err(anyhow!("{}:{}: not a fingerprint (32 hex characters)", path.display(), i + 1));
        }
        out.insert(entry.to_ascii_lowercase());
    }
    Ok(out)
}
