//! The baseline format (`--format baseline`, `leakscan baseline create`): the fingerprints of
//! today's findings, so `--baseline FILE` reports only new ones. Holds no secret and no line
//! numbers' meaning: lines are there for people reading the file, not for matching.
//! Depends on `report`, `finding`, `summary`.

use super::Reporter;
use crate::finding::Finding;
use crate::summary::Summary;
use serde_json::{json, Value};
use std::io::{self, Write};

/// The baseline reporter.
pub struct Baseline {
    out: Box<dyn Write + Send>,
    entries: Vec<(String, u64, Value)>,
}

impl Baseline {
    /// A baseline reporter writing to `out`.
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Baseline { out, entries: Vec::new() }
    }
}

impl Reporter for Baseline {
    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let entry = json!({
            "fingerprint": f.fingerprint(),
            "rule": f.rule.id,
            "path": f.location(),
            "line": f.line,
        });
        self.entries.push((f.location(), f.offset, entry));
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.entries.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let findings: Vec<Value> = self.entries.drain(..).map(|(_, _, v)| v).collect();
        let doc = json!({ "leakscan_baseline": 1, "complete": summary.complete, "findings": findings });
        serde_json::to_writer_pretty(&mut self.out, &doc)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}
