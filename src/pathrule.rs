//! Path-only rules (a gitleaks rule with `path` and no `regex`, such as `pkcs12-file`): the
//! file itself is the finding, whatever it holds.
//!
//! Invariant: each input is reported at most once per rule — only its first chunk (offset 0)
//! is looked at. The path tested is the one gitleaks tests: `/`-separated, archive members as
//! `outer!member`. The finding has an empty secret and `matched` = `file detected: <path>` (as
//! gitleaks' `Match`), at line 1, column 1. Depends on `chunk`, `finding`, `rules` (regex
//! dialect).

use crate::chunk::{Chunk, Origin};
use crate::finding::{Confidence, Finding, RuleInfo, Secret};
use anyhow::{anyhow, Result};
use std::sync::Arc;

/// One compiled path-only rule.
#[derive(Clone)]
pub struct PathRule {
    /// What findings report.
    pub info: Arc<RuleInfo>,
    regex: regex_automata::meta::Regex,
}

impl PathRule {
    /// Compiles a rule from its id, description and path regex (rule dialect: bytes, ASCII).
    pub fn compile(id: &str, description: &str, path: &str) -> Result<PathRule> {
        let regex = crate::rules::compile_regex(path).map_err(|e| anyhow!("rule {id}: path: {e}"))?;
        let info = RuleInfo {
            id: id.to_string(),
            name: if description.is_empty() { id.to_string() } else { description.to_string() },
            description: description.to_string(),
            confidence: Confidence::Medium,
            references: Vec::new(),
            tags: Vec::new(),
        };
        Ok(PathRule { info: Arc::new(info), regex })
    }
}

/// Appends a finding for each rule whose path regex matches the path of `chunk`'s input, when
/// `chunk` is the input's first.
pub fn scan(rules: &[PathRule], chunk: &Chunk, out: &mut Vec<Finding>) {
    if rules.is_empty() || chunk.offset != 0 {
        return;
    }
    let path = match &*chunk.origin {
        Origin::File { .. } | Origin::Blob { .. } | Origin::Staged { .. } | Origin::Entry { .. } => {
            let mut p = chunk.origin.fingerprint_key();
            p.iter_mut().filter(|b| **b == b'\\').for_each(|b| *b = b'/');
            p
        }
        _ => return,
    };
    for rule in rules.iter().filter(|r| r.regex.is_match(path.as_slice())) {
        out.push(Finding {
            rule: Arc::clone(&rule.info),
            origin: Arc::clone(&chunk.origin),
            offset: 0,
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            secret: Secret::new(Vec::new()),
            visible: 0,
            entropy: 0.0,
            before: Vec::new(),
            after: Vec::new(),
            matched: Secret::new([b"file detected: ".as_slice(), &path].concat()),
            match_around: (0, 0),
            encoding: None,
        });
    }
}
