//! Fuzzes the archive reader: arbitrary bytes as one input, sniffed and opened by content
//! (gzip, zstd, xz, bzip2, tar, zip, nested) through `Context::read`, exactly as a file or stdin
//! is. Budgets are lowered so a bomb costs milliseconds, not the default 16 GiB.
//! Invariant checked: no panic, no hang, bounded memory; every chunk's owned range is inside
//! its data.
#![no_main]

use leakscan::chunk::{Chunk, Chunker, Origin};
use leakscan::source::archive::Limits;
use leakscan::source::{Context, Tally};
use libfuzzer_sys::fuzz_target;
use std::sync::atomic::AtomicBool;

fuzz_target!(|data: &[u8]| {
    let chunker = Chunker { size: 64 << 10, overlap: 4 << 10, lookbehind: 1 << 10 };
    let tally = Tally::default();
    let stop = AtomicBool::new(false);
    let limits =
        Limits { max_depth: 8, max_total: 32 << 20, max_entry: 16 << 20, max_ratio: 1000, max_entries: 10_000 };
    let push = |chunk: Chunk| {
        assert!(chunk.owned.start <= chunk.owned.end && chunk.owned.end <= chunk.data.len(), "{chunk:?}");
        true
    };
    // Whole-input chunks take the `here` path (as in a directory walk), the rest `push`.
    // One thread: a crash must replay the same way (zips from stdin are read on one anyway).
    let ctx = Context {
        chunker: &chunker,
        tally: &tally,
        push: &push,
        stop: &stop,
        limits: &limits,
        here: &push,
        inline: true,
        threads: 1,
    };
    ctx.read(Origin::Stdin, &mut &data[..]);
});
