//! Sources turn inputs into chunks: the directory walk (`fs`), standard input (`stdin`) and
//! followed logs (`log`).
//!
//! Invariant: sources push chunks and count what they read or skip; they know nothing of
//! rules, matching or output. A failure on one input is reported through
//! `messages::incomplete` and the source goes on with the next.
//! Depends on `chunk`, `messages`.

pub mod fs;
pub mod log;
pub mod stdin;

use crate::chunk::{Chunk, Chunker, Origin};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Counters every source updates.
#[derive(Default)]
pub struct Tally {
    /// Inputs read to their end.
    pub files: AtomicU64,
    /// Bytes read.
    pub bytes: AtomicU64,
    skipped: Mutex<BTreeMap<String, u64>>,
}

impl Tally {
    /// Counts one input not read on purpose, by reason.
    pub fn skip(&self, reason: &str) {
        if let Ok(mut map) = self.skipped.lock() {
            *map.entry(reason.to_string()).or_insert(0) += 1;
        }
    }

    /// Skipped inputs by reason.
    pub fn skipped(&self) -> BTreeMap<String, u64> {
        self.skipped.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// What a source needs: where to push chunks and what to count.
pub struct Context<'a> {
    /// Cuts readers into chunks.
    pub chunker: &'a Chunker,
    /// Counters.
    pub tally: &'a Tally,
    /// Takes a chunk to scan; returns false once the scan is stopping.
    pub push: &'a (dyn Fn(Chunk) -> bool + Sync),
    /// Set when the scan must stop (signal, broken output pipe).
    pub stop: &'a AtomicBool,
}

impl Context<'_> {
    /// True once the scan is stopping.
    pub fn is_stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Reads one input to its end through the chunker, counting it; a read error is reported
    /// (with the offset reached) and marks the scan incomplete.
    pub fn read(&self, origin: Origin, reader: &mut dyn Read) {
        let origin = Arc::new(origin);
        let result = self.chunker.run(&origin, reader, &mut |chunk| !self.is_stopping() && (self.push)(chunk));
        match result {
            Ok(n) => {
                self.tally.bytes.fetch_add(n, Ordering::Relaxed);
                if !self.is_stopping() {
                    self.tally.files.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(failure) => {
                self.tally.bytes.fetch_add(failure.offset, Ordering::Relaxed);
                crate::messages::incomplete(
                    "read error",
                    &format!("{:?}: {} (after {} bytes)", origin, failure.error, failure.offset),
                );
            }
        }
    }
}
