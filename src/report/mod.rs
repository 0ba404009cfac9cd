//! Reporters: findings and the summary rendered in one format each (one file per format), and
//! [`Tee`], which feeds one scan's findings to several reporters (`--format F:FILE` repeated).
//!
//! Invariant: a reporter never opens an input and shows a secret only when `show_secrets` is
//! set; everything from input is escaped for its format. Streaming formats write each finding as
//! it arrives and flush, so a killed scan keeps what it found; buffered formats sort by
//! [`sort_key`] so their output never depends on thread interleaving.
//! Depends on `finding`, `chunk` (for `Origin`), `summary`, `messages`.

pub mod baseline;
pub mod csv;
pub mod exec;
pub mod github;
pub mod gitlab;
pub mod gitleaks;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod text;

use crate::finding::{Confidence, Finding};
use crate::summary::Summary;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human text, one line per finding (grep-like).
    Text,
    /// One JSON document: `{"findings": [...], "summary": {...}}`, findings sorted.
    Json,
    /// One JSON object per line: each finding as found, then a summary record.
    Jsonl,
    /// A baseline: the fingerprints of the findings (for `--baseline FILE`).
    Baseline,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// GitLab secret-detection report (`gl-secret-detection-report.json`, schema 15.x).
    Gitlab,
    /// JUnit XML: one failing test case per finding.
    Junit,
    /// GitHub Actions workflow commands (`::error file=…,line=…::…`), one per finding.
    Github,
    /// CSV with a header row, findings sorted.
    Csv,
    /// gitleaks' JSON report (field names and columns as gitleaks writes them).
    #[value(alias = "gitleaks")]
    GitleaksJson,
}

/// One `--format FORMAT[:FILE]` request: a format and where it goes (`None` = `--output` or stdout).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatSpec {
    /// The format.
    pub format: Format,
    /// The report file, when given after a colon.
    pub file: Option<PathBuf>,
}

impl FormatSpec {
    /// Parses `FORMAT` or `FORMAT:FILE` (the file may itself contain colons).
    pub fn parse(s: &str) -> Result<FormatSpec, String> {
        use clap::ValueEnum;
        let (name, file) = match s.split_once(':') {
            Some((name, file)) if !file.is_empty() => (name, Some(PathBuf::from(file))),
            Some((_, _)) => return Err(format!("{s:?}: empty file name after ':'")),
            None => (s, None),
        };
        let format = Format::from_str(name, true).map_err(|_| {
            let known: Vec<String> = Format::value_variants()
                .iter()
                .filter_map(|v| v.to_possible_value())
                .map(|v| v.get_name().into())
                .collect();
            format!("unknown format {name:?} (known: {})", known.join(", "))
        })?;
        Ok(FormatSpec { format, file })
    }
}

/// Options shared by every reporter.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Print secrets in full (`--show-secrets`).
    pub show_secrets: bool,
    /// Colour (text only).
    pub color: bool,
}

/// Renders findings and the summary.
pub trait Reporter: Send {
    /// Called once per finding, as found.
    fn finding(&mut self, finding: &Finding) -> io::Result<()>;
    /// Called once at the end.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
}

/// Builds the reporter for `format` writing to `out`.
pub fn build(format: Format, style: Style, out: Box<dyn Write + Send>) -> Box<dyn Reporter> {
    match format {
        Format::Text => Box::new(text::Text::new(out, style)),
        Format::Json => Buffered::boxed(out, style, json::render),
        Format::Jsonl => Box::new(json::Lines::new(out, style)),
        Format::Baseline => Box::new(baseline::Baseline::new(out)),
        Format::Sarif => Buffered::boxed(out, style, sarif::render),
        Format::Gitlab => Buffered::boxed(out, style, gitlab::render),
        Format::Junit => Buffered::boxed(out, style, junit::render),
        Format::Github => Box::new(github::Github::new(out, style)),
        Format::Csv => Buffered::boxed(out, style, csv::render),
        Format::GitleaksJson => Buffered::boxed(out, style, gitleaks::render),
    }
}

/// Renders a whole report from every finding and the summary, for formats written as one
/// document at the end (JSON, SARIF, GitLab, JUnit, CSV, gitleaks JSON).
pub type Render = fn(Vec<Finding>, &Summary, Style, &mut dyn Write) -> io::Result<()>;

/// A reporter that collects findings and renders them once, sorted by location.
pub struct Buffered {
    out: Box<dyn Write + Send>,
    style: Style,
    findings: Vec<Finding>,
    render: Render,
}

impl Buffered {
    /// A buffered reporter rendering with `render` into `out`.
    pub fn boxed(out: Box<dyn Write + Send>, style: Style, render: Render) -> Box<dyn Reporter> {
        Box::new(Buffered { out, style, findings: Vec::new(), render })
    }
}

impl Reporter for Buffered {
    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        self.findings.push(f.clone());
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let mut findings = std::mem::take(&mut self.findings);
        findings.sort_by_cached_key(sort_key);
        (self.render)(findings, summary, self.style, &mut *self.out)
    }
}

/// Feeds every finding and the summary to several reporters: one scan, many reports.
///
/// A reporter whose output is a closed pipe (`… | head`) is dropped and the others go on, so
/// the report files are still complete; the pipe error is returned only once no reporter is
/// left. Any other write error is returned at once (the engine then stops the scan).
pub struct Tee {
    reporters: Vec<Box<dyn Reporter>>,
}

impl Tee {
    /// A fan-out over `reporters`, called in order.
    pub fn new(reporters: Vec<Box<dyn Reporter>>) -> Self {
        Tee { reporters }
    }

    /// Calls `f` on every live reporter, dropping those whose pipe closed.
    fn each(&mut self, mut f: impl FnMut(&mut dyn Reporter) -> io::Result<()>) -> io::Result<()> {
        let mut result = Ok(());
        let mut closed = None;
        self.reporters.retain_mut(|r| match f(r.as_mut()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                closed = Some(e);
                false
            }
            Err(e) => {
                if result.is_ok() {
                    result = Err(e);
                }
                true
            }
            Ok(()) => true,
        });
        match closed {
            Some(e) if self.reporters.is_empty() && result.is_ok() => Err(e),
            _ => result,
        }
    }
}

impl Reporter for Tee {
    fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        self.each(|r| r.finding(finding))
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.each(|r| r.finish(summary))
    }
}

/// A JSON array written one element at a time, each built just before it is written: a
/// document of 100,000 findings held 100,000 `Value` trees at once (~5 KB each, 645 MB of
/// memory for a 62 MB report).
pub struct Each<'a, T>(pub &'a [T], pub &'a dyn Fn(&T) -> serde_json::Value);

impl<T> serde::Serialize for Each<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|x| (self.1)(x)))
    }
}

/// A JSON object of values and [`Each`] arrays, written with its keys sorted (as a `json!`
/// object is without serde_json's `preserve_order`).
pub struct Object<'a>(pub Vec<(&'static str, Field<'a>)>);

/// A field of an [`Object`].
pub enum Field<'a> {
    /// A value built beforehand.
    Value(serde_json::Value),
    /// Findings, each rendered as it is written.
    Findings(Each<'a, Finding>),
}

impl serde::Serialize for Object<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut fields: Vec<&(&str, Field)> = self.0.iter().collect();
        fields.sort_by_key(|(k, _)| *k);
        let mut map = s.serialize_map(Some(fields.len()))?;
        for (key, field) in fields {
            match field {
                Field::Value(v) => map.serialize_entry(key, v)?,
                Field::Findings(each) => map.serialize_entry(key, each)?,
            }
        }
        map.end()
    }
}

/// The order buffered formats print findings in: location (escaped), then byte offset.
pub fn sort_key(f: &Finding) -> (String, u64) {
    (f.location(), f.offset)
}

/// The finding's file path as CI systems want it: relative to the scan root (the working
/// directory) with `/` separators and no leading `./`; an absolute path outside the working
/// directory stays absolute. `None` for origins without a path (stdin). Lossy UTF-8: callers
/// escape it for their format.
pub fn report_path(f: &Finding) -> Option<String> {
    let path = f.origin.path()?;
    let cwd = std::env::current_dir().ok();
    let rel = match (path.is_absolute(), &cwd) {
        (true, Some(cwd)) => path.strip_prefix(cwd).unwrap_or(path),
        _ => path,
    };
    Some(normal_path(rel))
}

/// `rel` with `.` components dropped and `/` separators.
fn normal_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.components() {
        match c {
            Component::CurDir => continue,
            Component::RootDir => out.push('/'),
            other => {
                if !out.is_empty() && !out.ends_with('/') {
                    out.push('/');
                }
                out.push_str(&String::from_utf8_lossy(&crate::chunk::path_bytes(Path::new(other.as_os_str()))));
            }
        }
    }
    out
}

/// Severity words shared by the CI formats, from the rule's confidence.
pub fn severity(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "Critical",
        Confidence::Medium => "High",
        Confidence::Low => "Medium",
    }
}

/// When the scan started and ended, from the end time (now) and the summary's elapsed time.
pub fn scan_times(summary: &Summary) -> (SystemTime, SystemTime) {
    let end = SystemTime::now();
    let elapsed = Duration::try_from_secs_f64(summary.elapsed_secs).unwrap_or_default();
    (end.checked_sub(elapsed).unwrap_or(end), end)
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC (GitLab's and JUnit's timestamp shape, no zone suffix).
pub fn utc_timestamp(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    crate::timestamp::utc(i64::try_from(secs).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_civil_dates() {
        assert_eq!(utc_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00");
        assert_eq!(utc_timestamp(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00");
        assert_eq!(utc_timestamp(UNIX_EPOCH + Duration::from_secs(1_786_000_000 + 3_723)), "2026-08-06T08:08:43");
    }

    #[test]
    fn format_specs_parse() {
        assert_eq!(FormatSpec::parse("sarif").unwrap(), FormatSpec { format: Format::Sarif, file: None });
        let s = FormatSpec::parse("gitleaks-json:out/r:1.json").unwrap();
        assert_eq!((s.format, s.file), (Format::GitleaksJson, Some(PathBuf::from("out/r:1.json"))));
        assert!(FormatSpec::parse("xml:a").unwrap_err().contains("known: text"));
        assert!(FormatSpec::parse("csv:").is_err());
    }

    /// A reporter that counts calls, or fails with `error` on every call.
    struct Probe(std::sync::Arc<std::sync::atomic::AtomicUsize>, Option<io::ErrorKind>);

    impl Reporter for Probe {
        fn finding(&mut self, _: &Finding) -> io::Result<()> {
            self.finish(&Summary::default())
        }
        fn finish(&mut self, _: &Summary) -> io::Result<()> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.1.map_or(Ok(()), |k| Err(io::Error::from(k)))
        }
    }

    #[test]
    fn tee_outlives_a_closed_pipe_but_not_other_errors() {
        let (ok, piped) = (std::sync::Arc::default(), std::sync::Arc::default());
        let mut tee = Tee::new(vec![
            Box::new(Probe(std::sync::Arc::clone(&piped), Some(io::ErrorKind::BrokenPipe))),
            Box::new(Probe(std::sync::Arc::clone(&ok), None)),
        ]);
        let summary = Summary::default();
        assert!(tee.finish(&summary).is_ok());
        assert!(tee.finish(&summary).is_ok());
        let calls = |c: &std::sync::Arc<std::sync::atomic::AtomicUsize>| c.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!((calls(&piped), calls(&ok)), (1, 2), "the closed pipe is dropped, the file goes on");
        let mut alone = Tee::new(vec![Box::new(Probe(std::sync::Arc::default(), Some(io::ErrorKind::BrokenPipe)))]);
        assert_eq!(alone.finish(&summary).unwrap_err().kind(), io::ErrorKind::BrokenPipe);
        let mut full = Tee::new(vec![Box::new(Probe(std::sync::Arc::default(), Some(io::ErrorKind::StorageFull)))]);
        assert_eq!(full.finish(&summary).unwrap_err().kind(), io::ErrorKind::StorageFull);
    }

    #[test]
    fn paths_lose_dot_components() {
        assert_eq!(normal_path(Path::new("./a/./b.txt")), "a/b.txt");
        assert_eq!(normal_path(Path::new("/x/y")), "/x/y");
    }
}
