//! JUnit XML (`--format junit`): one `<testsuite name="leakscan">` with one failing
//! `<testcase>` per finding (classname = path, name = rule and position); a clean scan is one
//! passing test case, an incomplete scan adds an `<error>` test case naming the reasons.
//!
//! Invariant: every attribute and text node passes through [`xml_escape`], which also drops
//! characters XML 1.0 cannot carry, so any file name or content yields well-formed XML; the
//! secret is redacted unless `--show-secrets`. Buffered and sorted.
//! Depends on `report`, `finding`, `summary`; never opens inputs.

use super::{report_path, scan_times, utc_timestamp, Style};
use crate::finding::Finding;
use crate::summary::Summary;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Renders the Junit report from every finding (sorted by location) at the end of the scan.
pub fn render(findings: Vec<Finding>, summary: &Summary, style: Style, out: &mut dyn Write) -> io::Result<()> {
    document(&findings, summary, style.show_secrets, out)?;
    out.flush()
}

/// Writes the whole XML document, 64 KiB at a time (the report is never held whole).
fn document(findings: &[Finding], summary: &Summary, show: bool, out: &mut dyn Write) -> io::Result<()> {
    let (start, _) = scan_times(summary);
    let errors = usize::from(!summary.complete);
    let tests = findings.len().max(1) + errors;
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"leakscan\" tests=\"{tests}\" failures=\"{}\" errors=\"{errors}\" time=\"{:.3}\">",
        findings.len(),
        summary.elapsed_secs
    );
    let _ = writeln!(
        x,
        "  <testsuite name=\"leakscan\" tests=\"{tests}\" failures=\"{}\" errors=\"{errors}\" skipped=\"0\" \
         time=\"{:.3}\" timestamp=\"{}\">",
        findings.len(),
        summary.elapsed_secs,
        utc_timestamp(start)
    );
    for f in findings {
        testcase(&mut x, f, show);
        if x.len() >= 64 << 10 {
            out.write_all(x.as_bytes())?;
            x.clear();
        }
    }
    if findings.is_empty() {
        x.push_str("    <testcase classname=\"leakscan\" name=\"no secrets found\" time=\"0\"/>\n");
    }
    if !summary.complete {
        let reasons: Vec<String> = summary.incomplete_reasons.iter().map(|(r, n)| format!("{n} × {r}")).collect();
        let _ = writeln!(
            x,
            "    <testcase classname=\"leakscan\" name=\"scan complete\" time=\"0\">\n      \
             <error type=\"incomplete\" message=\"scan incomplete: {}\"/>\n    </testcase>",
            xml_escape(&reasons.join(", "))
        );
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    out.write_all(x.as_bytes())
}

/// One failing test case for a finding.
fn testcase(x: &mut String, f: &Finding, show: bool) {
    let path = report_path(f).unwrap_or_else(|| f.location());
    let message = format!("{} ({} confidence): {}", f.rule.name, f.rule.confidence.as_str(), f.secret_text(show));
    let body = format!(
        "rule: {}\nlocation: {path}:{}:{}\nsecret: {}\ncontext: {}\nfingerprint: {}\n\n{}",
        f.rule.id,
        f.line,
        f.column,
        f.secret_text(show),
        f.context_text(show),
        f.fingerprint(),
        f.rule.description
    );
    let _ = writeln!(
        x,
        "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\" time=\"0\">\n      \
         <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
        xml_escape(&path),
        xml_escape(&format!("{} at {path}:{}:{}", f.rule.id, f.line, f.column)),
        xml_escape(&path),
        f.line,
        xml_escape(&f.rule.id),
        xml_escape(&message),
        xml_escape(&body)
    );
}

/// Escapes text for XML attributes and text nodes: `& < > " '` as entities, tab/CR/LF as
/// character references (kept in attributes), other characters XML 1.0 forbids as U+FFFD.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || matches!(c as u32, 0xfffe | 0xffff) => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::xml_escape;

    #[test]
    fn escapes_markup_and_forbidden_characters() {
        assert_eq!(xml_escape("a<b>&\"c'\n\x1b"), "a&lt;b&gt;&amp;&quot;c&apos;&#10;\u{fffd}");
    }
}
