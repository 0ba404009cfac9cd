//! SARIF 2.1.0 for GitHub code scanning (`--format sarif`), FORMATS.md §2.2.
//!
//! Invariant: one run; `rules[]` holds the rules that have results, sorted by id, and each
//! result's `ruleIndex` points into it; locations are 1-based with UTF-16 columns (SARIF's
//! default `columnKind`), URIs relative to the scan root under `%SRCROOT%`; snippets are
//! redacted unless `--show-secrets`; `partialFingerprints` hash the secret value, rule and path
//! (never the line, never commit author or e-mail). Past [`MAX_RESULTS`] the most confident
//! results are kept and a warning says so. Buffered and sorted.
//! Depends on `report`, `finding`, `summary`, `messages`; never opens inputs.

use super::{report_path, sort_key, Style};
use crate::finding::{Confidence, Finding, RuleInfo};
use crate::summary::Summary;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::{self, Write};

/// Most results per run: GitHub stores only the top 5,000 of a run.
pub const MAX_RESULTS: usize = 5_000;

/// Renders the Sarif report from every finding (sorted by location) at the end of the scan.
pub fn render(mut findings: Vec<Finding>, summary: &Summary, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let dropped = truncate(&mut findings);
    let log = log(&findings, summary, dropped, style.show_secrets);
    serde_json::to_writer_pretty(&mut *out, &log)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Keeps at most [`MAX_RESULTS`], the most confident first, then sorts by location.
/// Returns how many were dropped (and warns on stderr when any were).
fn truncate(findings: &mut Vec<Finding>) -> usize {
    findings.sort_by_cached_key(|f| (std::cmp::Reverse(f.rule.confidence), sort_key(f)));
    let dropped = findings.len().saturating_sub(MAX_RESULTS);
    findings.truncate(MAX_RESULTS);
    findings.sort_by_cached_key(sort_key);
    if dropped > 0 {
        crate::messages::warn(&format!(
            "SARIF: {dropped} results past the first {MAX_RESULTS} were left out (GitHub keeps {MAX_RESULTS} per run); \
             use --format json for all of them"
        ));
    }
    dropped
}

/// The whole SARIF log.
fn log(findings: &[Finding], summary: &Summary, dropped: usize, show: bool) -> Value {
    let mut rules: Vec<&RuleInfo> = findings.iter().map(|f| &*f.rule).collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    rules.dedup_by(|a, b| a.id == b.id);
    let results: Vec<Value> = findings
        .iter()
        .map(|f| result(f, rules.binary_search_by(|r| r.id.as_str().cmp(&f.rule.id)).unwrap_or(0), show))
        .collect();
    let version = env!("CARGO_PKG_VERSION");
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "leakscan",
                "version": version,
                "semanticVersion": version,
                "rules": rules.iter().map(|r| rule(r)).collect::<Vec<_>>(),
            }},
            "automationDetails": { "id": "leakscan/" },
            "columnKind": "utf16CodeUnits",
            "invocations": [invocation(summary, dropped)],
            "results": results,
        }],
    })
}

/// A `reportingDescriptor` for one rule.
fn rule(r: &RuleInfo) -> Value {
    let mut help = r.description.clone();
    if !r.references.is_empty() {
        help.push_str("\n\nReferences:\n");
        for link in &r.references {
            help.push_str(&format!("- {link}\n"));
        }
    }
    let mut tags = vec!["security".to_string(), "secret".to_string()];
    tags.extend(r.tags.iter().filter(|t| !tags.contains(t)).cloned().collect::<Vec<_>>());
    tags.truncate(20);
    let mut v = json!({
        "id": r.id,
        "name": r.name,
        "shortDescription": { "text": r.name },
        "fullDescription": { "text": if r.description.is_empty() { &r.name } else { &r.description } },
        "help": { "text": if help.is_empty() { r.name.clone() } else { help } },
        "defaultConfiguration": { "level": level(r.confidence) },
        "properties": {
            "tags": tags,
            "precision": r.confidence.as_str(),
            "security-severity": security_severity(r.confidence),
        },
    });
    if let (Some(link), Value::Object(map)) = (r.references.first(), &mut v) {
        map.insert("helpUri".into(), json!(link));
    }
    v
}

/// One `result`.
fn result(f: &Finding, rule_index: usize, show: bool) -> Value {
    let mut v = json!({
        "ruleId": f.rule.id,
        "ruleIndex": rule_index,
        "level": level(f.rule.confidence),
        "message": { "text": format!("{} found ({} confidence): {}.", f.rule.name, f.rule.confidence.as_str(), f.secret_text(show)) },
        "partialFingerprints": { "leakscanValue/v1": value_fingerprint(f) },
    });
    let (start_column, end_column) = utf16_columns(f);
    let artifact = match report_path(f) {
        Some(path) if path.starts_with('/') => json!({ "uri": format!("file://{}", uri_encode(&path)) }),
        Some(path) => json!({ "uri": uri_encode(&path), "uriBaseId": "%SRCROOT%" }),
        // GitHub requires a location on every result; stdin has no file to point at.
        None => json!({ "uri": "stdin", "description": { "text": format!("{} (not a file)", f.location()) } }),
    };
    if let Value::Object(map) = &mut v {
        map.insert(
            "locations".into(),
            json!([{ "physicalLocation": {
                "artifactLocation": artifact,
                "region": {
                    "startLine": f.line,
                    "startColumn": start_column,
                    "endLine": f.end_line,
                    "endColumn": end_column,
                    "snippet": { "text": f.context_text(show) },
                },
            }}]),
        );
    }
    v
}

/// The invocation: whether the scan read everything, and why not.
fn invocation(summary: &Summary, dropped: usize) -> Value {
    let mut notes: Vec<Value> = summary
        .incomplete_reasons
        .iter()
        .map(|(reason, n)| json!({ "level": "error", "message": { "text": format!("Scan incomplete: {n} × {reason}.") } }))
        .collect();
    if dropped > 0 {
        notes.push(json!({ "level": "warning", "message": {
            "text": format!("{dropped} results past the first {MAX_RESULTS} were left out.") } }));
    }
    json!({ "executionSuccessful": summary.complete, "toolExecutionNotifications": notes })
}

/// SARIF result level from confidence.
fn level(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "error",
        Confidence::Medium => "warning",
        Confidence::Low => "note",
    }
}

/// GitHub's `security-severity` score (critical > 9.0, high 7.0–8.9, medium 4.0–6.9).
fn security_severity(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "9.5",
        Confidence::Medium => "8.0",
        Confidence::Low => "5.0",
    }
}

/// SHA-256 of rule id, path (or location for pathless origins) and secret value: stable when
/// the secret moves between lines, different for another value. 32 hex characters.
fn value_fingerprint(f: &Finding) -> String {
    let mut h = Sha256::new();
    h.update(f.rule.id.as_bytes());
    h.update([0]);
    h.update(report_path(f).unwrap_or_else(|| f.location()).as_bytes());
    h.update([0]);
    h.update(f.secret.expose());
    h.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Start and end columns in UTF-16 code units. Exact when the kept context reaches the line
/// start (lines up to 80 bytes before the secret); otherwise the byte columns (equal for ASCII).
fn utf16_columns(f: &Finding) -> (u64, u64) {
    let units = |b: &[u8]| String::from_utf8_lossy(b).encode_utf16().count() as u64;
    let start = if f.before.len() as u64 + 1 == f.column { units(&f.before) + 1 } else { f.column };
    let end = if f.end_line == f.line { start + units(f.secret.expose()) } else { f.end_column };
    (start, end)
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `/`.
fn uri_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::uri_encode;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri_encode("a b/c%d,é.txt"), "a%20b/c%25d%2C%C3%A9.txt");
    }
}
