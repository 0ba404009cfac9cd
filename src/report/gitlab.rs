//! GitLab secret-detection report (`--format gitlab`, `gl-secret-detection-report.json`),
//! schema version [`SCHEMA_VERSION`], FORMATS.md §2.3.
//!
//! Invariant: every field the 15.x schema requires is present (`scan.analyzer`,
//! `scan.scanner`, `scan.type`, times, `status`; per vulnerability `id`, `identifiers`,
//! `location.commit.sha`); `status` is `failure` when the scan was incomplete; a vulnerability's
//! `id` is derived from rule, path, secret value and commit, so it is stable across pipelines;
//! `raw_source_code_extract` is redacted unless `--show-secrets`. `category` (removed from
//! the schema in 15.0) is not written. Buffered and sorted.
//! Depends on `report`, `finding`, `chunk`, `summary`; never opens inputs.

use super::{report_path, scan_times, severity, utc_timestamp, Each, Field, Object, Style};
use crate::finding::Finding;
use crate::summary::Summary;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::{self, Write};

/// The report schema version written.
pub const SCHEMA_VERSION: &str = "15.1.4";
/// What GitLab's own analyzer writes for a finding outside git history.
const NO_COMMIT: &str = "0000000";

/// Renders the Gitlab report from every finding (sorted by location) at the end of the scan.
pub fn render(findings: Vec<Finding>, summary: &Summary, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let each = |f: &Finding| vulnerability(f, style.show_secrets);
    let report = Object(vec![
        ("version", Field::Value(json!(SCHEMA_VERSION))),
        ("scan", Field::Value(scan(summary))),
        ("vulnerabilities", Field::Findings(Each(&findings, &each))),
        ("remediations", Field::Value(json!([]))),
    ]);
    serde_json::to_writer_pretty(&mut *out, &report)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The `scan` object: analyzer and scanner (both leakscan), times, status, messages.
fn scan(summary: &Summary) -> Value {
    let (start, end) = scan_times(summary);
    let tool = json!({
        "id": "leakscan",
        "name": "leakscan",
        "version": env!("CARGO_PKG_VERSION"),
        "vendor": { "name": "leakscan" },
    });
    let messages: Vec<Value> = summary
        .incomplete_reasons
        .iter()
        .map(|(reason, n)| json!({ "level": "warn", "value": format!("scan incomplete: {n} × {reason}") }))
        .collect();
    json!({
        "analyzer": tool,
        "scanner": tool,
        "type": "secret_detection",
        "start_time": utc_timestamp(start),
        "end_time": utc_timestamp(end),
        "status": if summary.complete { "success" } else { "failure" },
        "messages": messages,
    })
}

/// One vulnerability.
fn vulnerability(f: &Finding, show: bool) -> Value {
    let commit = match f.origin.commit() {
        Some(c) => json!({ "sha": c.id, "author": c.author, "date": c.date, "message": c.message }),
        None => json!({ "sha": NO_COMMIT }),
    };
    let mut identifier = json!({
        "type": "leakscan_rule_id",
        "name": format!("leakscan rule {}", f.rule.id),
        "value": f.rule.id,
    });
    if let (Some(link), Value::Object(map)) = (f.rule.references.first(), &mut identifier) {
        map.insert("url".into(), json!(link));
    }
    json!({
        "id": stable_id(f),
        "name": f.rule.name,
        "description": if f.rule.description.is_empty() { &f.rule.name } else { &f.rule.description },
        "severity": severity(f.rule.confidence),
        "solution": "Revoke the secret at its issuer, rotate it, then remove it from the code and its history.",
        "identifiers": [identifier],
        "location": {
            "file": report_path(f).unwrap_or_else(|| f.location()),
            "start_line": f.line,
            "end_line": f.end_line,
            "commit": commit,
        },
        "raw_source_code_extract": f.secret_text(show),
    })
}

/// A UUID-shaped id (version nibble 8, "custom") from SHA-256 of rule, path, secret and
/// commit: the same leak gets the same id in every pipeline, a new value or commit a new one.
fn stable_id(f: &Finding) -> String {
    let mut h = Sha256::new();
    for part in [f.rule.id.as_bytes(), report_path(f).unwrap_or_else(|| f.location()).as_bytes(), f.secret.expose()] {
        h.update(part);
        h.update([0]);
    }
    h.update(f.origin.commit().map_or("", |c| c.id.as_str()).as_bytes());
    let mut b: [u8; 16] = h.finalize()[..16].try_into().unwrap_or([0; 16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}
