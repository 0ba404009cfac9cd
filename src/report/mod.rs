//! Reporters: findings and the summary rendered in one format each (one file per format).
//!
//! Invariant: a reporter never opens an input and shows a secret only when `show_secrets` is
//! set; everything from input is escaped. Streaming formats write each finding as it arrives
//! and flush, so a killed scan keeps what it found. Depends on `finding`, `summary`, `messages`.

pub mod baseline;
pub mod exec;
pub mod json;
pub mod text;

use crate::finding::Finding;
use crate::summary::Summary;
use std::io::{self, Write};

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
        Format::Json => Box::new(json::Json::new(out, style, json::Mode::Document)),
        Format::Jsonl => Box::new(json::Json::new(out, style, json::Mode::Lines)),
        Format::Baseline => Box::new(baseline::Baseline::new(out)),
    }
}
