//! `--exec CMD`: after the wrapped reporter, runs `sh -c CMD` once per finding with the
//! finding's JSON object (redacted, as in `--format jsonl`) on its standard input.
//!
//! Invariant: the command never blocks the scan (it is spawned and reaped on its own thread)
//! and never receives a secret unless `--show-secrets` was given. A command that cannot be
//! started is a warning, not a failure of the scan. Depends on `report`, `finding`, `messages`.

use super::{json::finding_value, Reporter};
use crate::finding::Finding;
use crate::summary::Summary;
use std::io::{self, Write};
use std::process::{Command, Stdio};

/// Runs a command per finding after the inner reporter.
pub struct Exec {
    inner: Box<dyn Reporter>,
    command: String,
    show_secrets: bool,
}

impl Exec {
    /// Wraps `inner`; `command` is run with `sh -c`.
    pub fn new(inner: Box<dyn Reporter>, command: String, show_secrets: bool) -> Self {
        Exec { inner, command, show_secrets }
    }
}

impl Reporter for Exec {
    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        self.inner.finding(f)?;
        let mut payload = serde_json::to_vec(&finding_value(f, self.show_secrets))?;
        payload.push(b'\n');
        let child = Command::new("sh").arg("-c").arg(&self.command).stdin(Stdio::piped()).stdout(Stdio::null()).spawn();
        match child {
            Ok(mut child) => {
                std::thread::spawn(move || {
                    if let Some(mut stdin) = child.stdin.take() {
                        let _ = stdin.write_all(&payload);
                    }
                    let _ = child.wait();
                });
            }
            Err(e) => crate::messages::warn(&format!("--exec: cannot run the command: {e}")),
        }
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.inner.finish(summary)
    }
}
