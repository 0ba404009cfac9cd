//! `Summary`: what a scan read, skipped, found and could not read. Plain data filled by the
//! engine, rendered by reporters. Depends on nothing.

use serde::Serialize;
use std::collections::BTreeMap;

/// The result of a scan as counted by the engine.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    /// Inputs read to their end (files, stdin).
    pub files_scanned: u64,
    /// Bytes read.
    pub bytes_scanned: u64,
    /// Git commits visited (`leakscan git`).
    pub commits_scanned: u64,
    /// Files not read on purpose, by reason ("symlink (not followed; use --follow)", …).
    pub skipped: BTreeMap<String, u64>,
    /// Findings reported.
    pub findings: u64,
    /// Findings per rule id.
    pub findings_by_rule: BTreeMap<String, u64>,
    /// Findings per location (a file, or an archive member chain such as `b.tar.gz!app/.env`).
    #[serde(skip)]
    pub findings_by_location: BTreeMap<String, u64>,
    /// Findings or files suppressed, by cause ("inline marker", "allowlisted path", …).
    pub suppressed: BTreeMap<String, u64>,
    /// False when something the user asked to scan was not (fully) read.
    pub complete: bool,
    /// Why the scan is incomplete, with counts.
    pub incomplete_reasons: BTreeMap<String, u64>,
    /// Wall time in seconds.
    pub elapsed_secs: f64,
}

impl Summary {
    /// Throughput in MB/s (10^6 bytes per second).
    pub fn mb_per_sec(&self) -> f64 {
        if self.elapsed_secs > 0.0 {
            self.bytes_scanned as f64 / 1e6 / self.elapsed_secs
        } else {
            0.0
        }
    }
}
