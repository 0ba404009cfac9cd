//! CSV (`--format csv`): a header row, then one row per finding sorted by location. Columns:
//! [`HEADER`]; positions as in leakscan's JSON (1-based lines, 1-based byte columns, end
//! column exclusive); `tags` space-joined; `commit` empty outside git history.
//!
//! Invariant: RFC 4180 quoting (fields holding `,` `"` CR or LF are quoted, quotes doubled);
//! a field a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a
//! leading `'`; the secret is redacted unless `--show-secrets`. Buffered and sorted.
//! Depends on `report`, `finding`, `chunk`, `summary`; never opens inputs.

use super::{report_path, Style};
use crate::finding::Finding;
use crate::summary::Summary;
use std::io::{self, Write};

/// The header row.
pub const HEADER: &[&str] = &[
    "rule",
    "rule_name",
    "confidence",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "secret",
    "entropy",
    "commit",
    "fingerprint",
    "tags",
];

/// Renders the Csv report from every finding (sorted by location) at the end of the scan.
pub fn render(findings: Vec<Finding>, _summary: &Summary, style: Style, out: &mut dyn Write) -> io::Result<()> {
    write_row(&mut *out, HEADER.iter().map(|s| s.to_string()))?;
    for f in &findings {
        let row = [
            f.rule.id.clone(),
            f.rule.name.clone(),
            f.rule.confidence.as_str().to_string(),
            report_path(f).unwrap_or_else(|| f.location()),
            f.line.to_string(),
            f.column.to_string(),
            f.end_line.to_string(),
            f.end_column.to_string(),
            f.secret_text(style.show_secrets),
            format!("{:.3}", f.entropy),
            f.origin.commit().map(|c| c.id.clone()).unwrap_or_default(),
            f.fingerprint(),
            f.rule.tags.join(" "),
        ];
        write_row(&mut *out, row.into_iter())?;
    }
    out.flush()
}

fn write_row(out: &mut dyn Write, fields: impl Iterator<Item = String>) -> io::Result<()> {
    let line: Vec<String> = fields.map(|f| field(&f)).collect();
    out.write_all(line.join(",").as_bytes())?;
    out.write_all(b"\r\n")
}

/// One field, defused and quoted as needed.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn quotes_and_defuses() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,\"b\"\nc"), "\"a,\"\"b\"\"\nc\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
