//! gitleaks' JSON report (`--format gitleaks-json`): an array of objects with gitleaks' field
//! names, so DefectDojo, GitLab's converter and other gitleaks consumers read it unchanged
//! (FORMATS.md §2.1).
//!
//! Invariant: columns follow gitleaks' arithmetic, not leakscan's: on line 1 `StartColumn` is
//! the 1-based start and `EndColumn` the inclusive end; on later lines both are one greater
//! (gitleaks measures from the preceding newline). `Fingerprint` is gitleaks' positional
//! `[commit:]file:rule:line`. Positions and `Match` are those of the whole regex match, as in
//! gitleaks (the secret plus the keyword/`=`/quotes around it when they sit on its line within
//! the kept context; else the secret alone). The secret inside `Match` and `Secret` is redacted
//! unless `--show-secrets`. Buffered and sorted.
//! Depends on `report`, `finding`, `chunk`, `summary`; never opens inputs.

use super::{report_path, Each, Style};
use crate::finding::Finding;
use crate::summary::Summary;
use serde_json::{json, Value};
use std::io::{self, Write};

/// Renders the Gitleaks report from every finding (sorted by location) at the end of the scan.
pub fn render(findings: Vec<Finding>, _summary: &Summary, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let each = |f: &Finding| record(f, style.show_secrets);
    serde_json::to_writer_pretty(&mut *out, &Each(&findings, &each))?;
    out.write_all(b"\n")?;
    out.flush()
}

/// One gitleaks finding object.
fn record(f: &Finding, show: bool) -> Value {
    let file = report_path(f).unwrap_or_else(|| f.location());
    let commit = f.origin.commit();
    let field = |get: fn(&crate::chunk::CommitMeta) -> &str| commit.map_or(String::new(), |c| get(c).to_string());
    let (prefix, suffix) = match_parts(f);
    let (start_column, end_column) = gitleaks_columns(f, prefix.len() as u64, suffix.len() as u64);
    let escape = crate::messages::escape;
    let matched = format!("{}{}{}", escape(prefix), f.secret_text(show), escape(suffix));
    let sha = field(|c| &c.id);
    let fingerprint = if sha.is_empty() {
        format!("{file}:{}:{}", f.rule.id, f.line)
    } else {
        format!("{sha}:{file}:{}:{}", f.rule.id, f.line)
    };
    json!({
        "RuleID": f.rule.id,
        "Description": f.rule.name,
        "StartLine": f.line,
        "EndLine": f.end_line,
        "StartColumn": start_column,
        "EndColumn": end_column,
        "Match": matched,
        "Secret": f.secret_text(show),
        "File": file,
        "SymlinkFile": "",
        "Commit": sha,
        "Entropy": (f.entropy * 1e6).round() / 1e6,
        "Author": field(|c| &c.author),
        "Email": field(|c| &c.email),
        "Date": field(|c| &c.date),
        "Message": field(|c| &c.message),
        "Tags": f.rule.tags,
        "Fingerprint": fingerprint,
    })
}

/// The bytes of the whole match before and after the secret, when they are on the secret's
/// line within the kept context (always, for single-line matches under 80 bytes of context).
fn match_parts(f: &Finding) -> (&[u8], &[u8]) {
    let (before, after) = f.match_around;
    let prefix = if before <= f.before.len() { &f.before[f.before.len() - before..] } else { &[][..] };
    let suffix = if after <= f.after.len() && f.end_line == f.line { &f.after[..after] } else { &[][..] };
    (prefix, suffix)
}

/// gitleaks' (start, end) columns of the match: see the module header.
fn gitleaks_columns(f: &Finding, prefix: u64, suffix: u64) -> (u64, u64) {
    let shift = |line: u64| u64::from(line > 1);
    let start = f.column - prefix.min(f.column - 1) + shift(f.line);
    let end = (f.end_column + suffix).saturating_sub(1).max(1) + shift(f.end_line);
    (start, end)
}
