//! Fuzzes the chunker with arbitrary input and arbitrary (small) window sizes, checking the
//! invariants the matcher relies on: owned ranges tile the input exactly once, in order; each
//! chunk's bytes are the input's bytes at its offset; `line` and `line_start` are right.
#![no_main]

use leakscan::chunk::{count_lines, Chunker, Origin};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

fuzz_target!(|input: &[u8]| {
    if input.len() < 3 {
        return;
    }
    let (sizes, data) = input.split_at(3);
    let chunker =
        Chunker { size: 1 + sizes[0] as usize, overlap: sizes[1] as usize % 64, lookbehind: sizes[2] as usize % 32 };
    let origin = Arc::new(Origin::Stdin);
    let mut next_owned = 0u64;
    let mut emit = |c: leakscan::chunk::Chunk| {
        let start = c.offset as usize;
        assert_eq!(&data[start..start + c.data.len()], &c.data[..], "chunk bytes");
        assert_eq!(c.offset + c.owned.start as u64, next_owned, "owned ranges tile the input");
        assert!(c.owned.end <= c.data.len());
        next_owned = c.offset + c.owned.end as u64;
        assert_eq!(c.line, 1 + count_lines(&data[..start]), "line of data[0]");
        let line_start = data[..start].iter().rposition(|&b| b == b'\n').map_or(0, |p| p as u64 + 1);
        assert_eq!(c.line_start, line_start, "line_start");
        true
    };
    let n = chunker.run(&origin, &mut &data[..], &mut emit).expect("reading a slice never fails");
    assert_eq!(n, data.len() as u64);
    assert_eq!(next_owned, data.len() as u64, "every byte owned once");
});
