//! GitHub Actions workflow commands (`--format github`): one
//! `::error file=…,line=…,endLine=…,col=…,endColumn=…,title=…::message` line per finding, as
//! found (`warning` for low-confidence rules), and a `::warning` when the scan was incomplete.
//!
//! Invariant: properties and data are escaped by GitHub's rules ([`escape_data`],
//! [`escape_property`]), so a crafted file name can neither break out of its property nor start
//! a new workflow command; other control characters are shown as `\xNN`. The message never
//! holds the secret unless `--show-secrets`. Depends on `report`, `finding`, `summary`,
//! `messages`; never opens inputs.

use super::{report_path, Reporter, Style};
use crate::finding::{Confidence, Finding};
use crate::summary::Summary;
use std::io::{self, Write};

/// The GitHub annotations reporter.
pub struct Github {
    out: Box<dyn Write + Send>,
    style: Style,
}

impl Github {
    /// An annotations reporter writing to `out` (normally the job's stdout).
    pub fn new(out: Box<dyn Write + Send>, style: Style) -> Self {
        Github { out, style }
    }
}

impl Reporter for Github {
    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let command = if f.rule.confidence == Confidence::Low { "warning" } else { "error" };
        let file = report_path(f).unwrap_or_else(|| f.location());
        let title = format!("{} ({})", f.rule.name, f.rule.id);
        let message = format!(
            "{} ({} confidence) found: {}. Revoke and rotate it, then remove it. Fingerprint {}.",
            f.rule.name,
            f.rule.confidence.as_str(),
            f.secret_text(self.style.show_secrets),
            f.fingerprint()
        );
        // GitHub's annotation columns are 1-based and only shown for single-line spans.
        let line = format!(
            "::{command} file={},line={},endLine={},col={},endColumn={},title={}::{}\n",
            escape_property(&file),
            f.line,
            f.end_line,
            f.column,
            f.end_column,
            escape_property(&title),
            escape_data(&message)
        );
        self.out.write_all(line.as_bytes())?;
        self.out.flush()
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        if !summary.complete {
            let reasons: Vec<String> = summary.incomplete_reasons.iter().map(|(r, n)| format!("{n} × {r}")).collect();
            let text = format!("scan incomplete: {}", reasons.join(", "));
            writeln!(self.out, "::warning title=leakscan::{}", escape_data(&text))?;
        }
        self.out.flush()
    }
}

/// Escapes a workflow command's data (the message): `%` → `%25`, CR → `%0D`, LF → `%0A`;
/// other control and invisible characters become visible `\xNN`/`\u{…}` escapes
/// (the log would render them), as [`crate::messages::escape`] shows them.
pub fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            '\\' => out.push('\\'),
            c => out.push_str(&crate::messages::escape(c.encode_utf8(&mut [0; 4]).as_bytes())),
        }
    }
    out
}

/// Escapes a workflow command property value: as [`escape_data`], plus `:` → `%3A` and
/// `,` → `%2C`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_by_githubs_rules() {
        assert_eq!(escape_data("50% a\r\nb::c,d"), "50%25 a%0D%0Ab::c,d");
        assert_eq!(escape_property("a,b:c%d\ne"), "a%2Cb%3Ac%25d%0Ae");
        assert_eq!(escape_data("x\x1b[31m"), "x\\x1b[31m");
    }
}
