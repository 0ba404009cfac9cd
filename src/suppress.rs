//! Suppression after matching: config allowlists (regex, stopword, per-rule path), the
//! baseline (leakscan's, a gitleaks report or a detect-secrets baseline: `baseline.rs`),
//! `.leakscanignore` fingerprints and `.gitleaksignore` entries. Each suppressed finding is
//! counted by cause.
//!
//! Invariant: suppression is keyed on values (fingerprints hash rule, path and secret), never on
//! line numbers, so edits around a baselined secret do not resurrect it and a new secret on a
//! baselined line is still reported. The one exception is `.gitleaksignore`, positional by
//! gitleaks' definition (`[commit:]file:rule:line`), read as gitleaks reads it for migration.
//! Ignore files are read from the project root only, never from a scanned tree.
//! Depends on `config`, `finding`, `baseline`, `gitleaks` (rule id table).

use crate::baseline::{Baseline, Bases};
use crate::chunk::Origin;
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
    baseline: Baseline,
    /// The baseline file, absolute: a peer's report holds the secrets it lists, so findings
    /// in it are not reported (as gitleaks skips its baseline).
    baseline_file: Option<PathBuf>,
    ignored: HashSet<String>,
    gitleaks_ignored: HashSet<GitleaksIgnore>,
}

/// One `.gitleaksignore` entry, keyed as gitleaks keys it: commit (lower-case, `None` for a
/// global entry), project-relative file, rule id, 1-based start line of the match.
#[derive(Hash, PartialEq, Eq)]
struct GitleaksIgnore {
    commit: Option<String>,
    file: String,
    rule: String,
    line: u64,
}

impl Suppressor {
    /// Loads the baseline (if any, in any format `baseline.rs` reads) and the project's
    /// `.leakscanignore` and `.gitleaksignore` (if present in `root`).
    pub fn new(config: Option<Arc<Config>>, cwd: PathBuf, baseline: Option<&Path>, root: &Path) -> Result<Self> {
        let bases = Bases { cwd: &cwd, root };
        let baseline_path = baseline;
        let baseline = match baseline {
            Some(path) => {
                let (baseline, kind) = Baseline::read(path, &bases)?;
                crate::messages::note(&format!("using baseline {} ({})", path.display(), kind.as_str()));
                baseline
            }
            None => Baseline::default(),
        };
        let ignore_path = root.join(IGNORE_FILE);
        let ignored = if ignore_path.is_file() { read_ignore_file(&ignore_path)? } else { HashSet::new() };
        let gitleaks_path = root.join(crate::gitleaks::IGNORE_FILE);
        let gitleaks_ignored =
            if gitleaks_path.is_file() { read_gitleaks_ignore(&gitleaks_path, &bases)? } else { HashSet::new() };
        if !gitleaks_ignored.is_empty() {
            crate::messages::note(&format!("using {}", gitleaks_path.display()));
        }
        let baseline_file = baseline_path.map(|p| crate::config::absolute(&cwd, p));
        Ok(Suppressor { config, cwd, baseline, baseline_file, ignored, gitleaks_ignored })
    }

    /// The cause if `finding` is suppressed, else `None`.
    pub fn check(&self, finding: &Finding) -> Option<&'static str> {
        if self.is_in_baseline_file(finding) {
            return Some("in the baseline file");
        }
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
        if self.is_gitleaks_ignored(finding) {
            return Some("ignore file (.gitleaksignore)");
        }
        if self.baseline.is_empty() && self.ignored.is_empty() {
            return None;
        }
        let fp = finding.fingerprint();
        if self.baseline.contains(finding, &fp) {
            Some("baseline")
        } else if self.ignored.contains(&fp) {
            Some("ignore file (.leakscanignore)")
        } else {
            None
        }
    }

    fn is_in_baseline_file(&self, finding: &Finding) -> bool {
        let Some(baseline) = &self.baseline_file else { return false };
        let mut outermost: &Origin = &finding.origin;
        while let Origin::Entry { outer, .. } = outermost {
            outermost = outer;
        }
        matches!(outermost, Origin::File { path } if crate::config::absolute(&self.cwd, path) == *baseline)
    }

    /// True when a `.gitleaksignore` entry names this finding's file, rule and match line
    /// (and its commit, for a commit entry).
    fn is_gitleaks_ignored(&self, finding: &Finding) -> bool {
        if self.gitleaks_ignored.is_empty() {
            return false;
        }
        // gitleaks' StartLine is the line where the whole match starts, not the secret.
        let before = finding.matched.expose().get(..finding.match_around.0).unwrap_or(&[]);
        let line = finding.line.saturating_sub(memchr::memchr_iter(b'\n', before).count() as u64);
        let mut key = GitleaksIgnore {
            commit: None,
            file: crate::baseline::normal(&String::from_utf8_lossy(&finding.project_location())),
            rule: finding.rule.id.clone(),
            line,
        };
        if self.gitleaks_ignored.contains(&key) {
            return true;
        }
        key.commit = finding.origin.commit().map(|c| c.id.to_ascii_lowercase());
        key.commit.is_some() && self.gitleaks_ignored.contains(&key)
    }
}

/// `.gitleaksignore` as gitleaks reads it: `file:rule-id:line` or `commit:file:rule-id:line`,
/// `#` comments, blank lines skipped, `\` read as `/`; other shapes are warned about (by line
/// number: the entry is not echoed) and skipped. Each entry is keyed under its rule id and the
/// built-in rules standing for that gitleaks id.
fn read_gitleaks_ignore(path: &Path, bases: &Bases) -> Result<HashSet<GitleaksIgnore>> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow!("reading {}: {e}", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut out = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.replace('\\', "/");
        let parts: Vec<&str> = line.split(':').collect();
        let (commit, file, rule, number) = match parts[..] {
            [file, rule, n] => (None, file, rule, n),
            [commit, file, rule, n] => (Some(commit.to_ascii_lowercase()), file, rule, n),
            _ => (None, "", "", ""),
        };
        let Ok(number) = number.parse::<u64>() else {
            crate::messages::warn(&format!(
                "{}:{}: not a gitleaks fingerprint ([commit:]file:rule-id:line); skipped",
                path.display(),
                i + 1
            ));
            continue;
        };
        for file in crate::baseline::path_keys(file, bases, dir) {
            for rule in crate::gitleaks::rule_ids(rule) {
                let (commit, rule) = (commit.clone(), rule.to_string());
                out.insert(GitleaksIgnore { commit, file: file.clone(), rule, line: number });
            }
        }
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::CommitMeta;
    use crate::finding::{Confidence, RuleInfo, Secret};

    /// A finding of `rule` in git history: `commit` added `path`, the whole match starting one
    /// line above the secret (a key on one line, the value on the next).
    fn blob_finding(rule: &str, commit: &str, path: &str, secret_line: u64) -> Finding {
        let secret = b"s3cr3t-value-0123456789".to_vec();
        Finding {
            rule: Arc::new(RuleInfo {
                id: rule.into(),
                name: rule.into(),
                description: String::new(),
                confidence: Confidence::High,
                references: vec![],
                tags: vec![],
            }),
            origin: Arc::new(Origin::Blob {
                commit: Arc::new(CommitMeta { id: commit.into(), ..CommitMeta::default() }),
                path: path.into(),
            }),
            offset: 0,
            line: secret_line,
            column: 1,
            end_line: secret_line,
            end_column: 1 + secret.len() as u64,
            matched: Secret::new([b"key:\n".as_slice(), &secret].concat()),
            match_around: (5, 0),
            encoding: None,
            secret: Secret::new(secret),
            visible: 0,
            entropy: 4.0,
            before: Vec::new(),
            after: Vec::new(),
        }
    }

    #[test]
    fn gitleaksignore_commit_entries_and_match_start_lines() {
        let dir = tempfile::tempdir().unwrap();
        let sha = "0123456789abcdef0123456789abcdef01234567";
        std::fs::write(
            dir.path().join(crate::gitleaks::IGNORE_FILE),
            format!("{}:conf\\app.yml:github-pat:4\nother.yml:acme:9\n", sha.to_uppercase()),
        )
        .unwrap();
        let s = Suppressor::new(None, dir.path().to_path_buf(), None, dir.path()).unwrap();
        let cause = Some("ignore file (.gitleaksignore)");
        // the commit entry, backslashes read as `/`, gitleaks' id for the built-in rule, and
        // the line where the match starts (4), not the secret's (5)
        assert_eq!(s.check(&blob_finding("github-pat-classic", sha, "conf/app.yml", 5)), cause);
        assert_eq!(s.check(&blob_finding("github-pat-classic", sha, "conf/app.yml", 4)), None);
        // another commit, another file, another rule: not ignored
        assert_eq!(s.check(&blob_finding("github-pat-classic", &sha.replace('0', "f"), "conf/app.yml", 5)), None);
        assert_eq!(s.check(&blob_finding("github-pat-classic", sha, "conf/b.yml", 5)), None);
        assert_eq!(s.check(&blob_finding("aws-access-key-id", sha, "conf/app.yml", 5)), None);
        // a global entry applies to any commit
        assert_eq!(s.check(&blob_finding("acme", sha, "other.yml", 10)), cause);
    }
}
