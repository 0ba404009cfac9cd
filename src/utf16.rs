//! UTF-16 text inside any chunk: finds runs of UTF-16LE/BE printable ASCII (at both byte
//! alignments), transcodes each run to ASCII in a side buffer, scans it with the matcher as
//! its own chunk, and maps each finding back to the original bytes.
//!
//! Invariant: a finding's `offset` is the input offset of its first UTF-16 code unit
//! (the run's first code unit + 2 × index in the run) and its `encoding` says which; a chunk
//! holding fewer than [`MIN_CHARS`] NUL bytes costs one `memchr` count and nothing else.
//! Only runs whose first code unit lies in the chunk's owned range are reported, so
//! overlapping chunks do not report a run twice. Depends on `chunk`, `matcher`, `finding`.

use crate::chunk::Chunk;
use crate::finding::Finding;
use crate::matcher::{Matcher, Suppressed};
use std::ops::Range;
use std::sync::Arc;

/// A one-byte range for [`crate::bytemask::in_ranges`]: the NUL mask.
pub const NUL: &[(u8, u8)] = &[(0, 0)];

/// Shortest run of UTF-16 printable ASCII worth scanning, in code units.
pub const MIN_CHARS: usize = 8;

/// Byte order of a UTF-16 run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Little-endian: `c 0x00` pairs.
    Le,
    /// Big-endian: `0x00 c` pairs.
    Be,
}

impl Order {
    /// The name reported in findings (`utf-16le`, `utf-16be`).
    pub fn name(self) -> &'static str {
        match self {
            Order::Le => "utf-16le",
            Order::Be => "utf-16be",
        }
    }
}

/// One run of UTF-16 printable ASCII in a chunk's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Index in the data of the first code unit's first byte.
    pub start: usize,
    /// The transcoded ASCII text, one byte per code unit.
    pub text: Vec<u8>,
    /// Byte order.
    pub order: Order,
}

/// The bytes a UTF-16 run's characters may be: printable ASCII, tab, line feed, carriage return
/// (as ranges for [`crate::bytemask::in_ranges`]).
const PRINTABLE: &[(u8, u8)] = &[(0x20, 0x7e), (b'\t', b'\n'), (b'\r', b'\r')];

/// Whether `b` is in [`PRINTABLE`].
fn is_printable(b: u8) -> bool {
    PRINTABLE.iter().any(|&(lo, hi)| (lo..=hi).contains(&b))
}

/// Finds the runs of at least `min` UTF-16 printable ASCII code units in `data`.
///
/// A run is a maximal stretch alternating printable bytes and NULs. Its byte order: big-endian
/// when a BE byte-order mark (`FE FF`) precedes it, or when it starts with a NUL and either
/// does not end with one or follows two non-NUL bytes (a header, then `00 c … 00 c 00`: a
/// NUL-terminated BE string); little-endian otherwise. Runs starting and ending with a NUL are
/// ambiguous (the same characters either way, one byte apart): the offset reported is then
/// the first byte of the chosen order's first code unit.
pub fn runs(data: &[u8], min: usize) -> Vec<Run> {
    runs_hinted(data, min, None)
}

/// Whether a 64-byte block may hold the start of the 7 NUL/printable pairs in a row that
/// [`runs`] looks for: 3 lone NULs, 2 bytes apart (its first, cheap test; a block failing it
/// is skipped). `nul` is the block's NUL mask.
#[inline(always)]
pub fn may_start_run(nul: u64) -> bool {
    let lone = nul & !(nul >> 1);
    lone & (lone >> 2) & (lone >> 4) != 0
}

/// [`runs`], visiting only the blocks whose bit is set in `hint` (bit `k % 64` of word
/// `k / 64` for block `k`) when given: the blocks passing [`may_start_run`], as the keyword
/// scan of binary content notes them from the same loads (`Matcher::scan_noting_utf16`), so
/// the chunk is not read a second time for its NULs.
pub fn runs_hinted(data: &[u8], min: usize, hint: Option<&[u64]>) -> Vec<Run> {
    // Every byte pair inside a run is one NUL and one printable byte: a run of `min >= 8`
    // characters spans at least 15 bytes, 14 such pairs, of which 7 in a row lie in one
    // 64-byte block (the pair across a block edge is not seen). Each block gets a bitmask of
    // its pairs from its NUL and printable masks (SIMD compares); the few places with 7 in a
    // row are where a region is walked. A probe every 14 bytes cost as much, mostly in
    // mispredicted branches on the text pages of a core. Each alternating region found is
    // handed whole (with 3 bytes of context before it, for a BOM or header) to `runs_in`.
    debug_assert!(min >= 8, "a run of fewer than 8 characters may hold no 7 pairs in a block");
    let pair = |a: u8, b: u8| (a == 0) != (b == 0) && is_printable(a | b);
    let mut out = Vec::new();
    let mut walked = 0; // regions end here or before
    let all = data.len().div_ceil(64);
    let blocks: Box<dyn Iterator<Item = usize>> = match hint {
        Some(words) => Box::new(words.iter().enumerate().flat_map(|(w, &bits)| {
            std::iter::successors((bits != 0).then_some(bits), |&b| (b & (b - 1) != 0).then_some(b & (b - 1)))
                .map(move |b| w * 64 + b.trailing_zeros() as usize)
        })),
        None => Box::new(0..all),
    };
    for k in blocks.take_while(|&k| k < all) {
        let base = k * 64;
        let block = &data[base..(base + 64).min(data.len())];
        if walked >= base + 64 {
            continue;
        }
        let nul = crate::bytemask::in_ranges(block, NUL);
        // 7 pairs in a row are 8 bytes alternating NUL and non-NUL, so 3 NULs each followed
        // by a non-NUL byte, 2 bytes apart. Blocks without them (binary data, ASCII text,
        // zero pages: nearly all blocks) skip the printable mask, 3 of the 4 range compares.
        if !may_start_run(nul) {
            continue;
        }
        let printable = crate::bytemask::in_ranges(block, PRINTABLE);
        // Bit i: bytes i and i + 1 are a NUL and a printable byte, in either order.
        let pairs = (nul & printable >> 1) | (printable & nul >> 1);
        let mut live = crate::bytemask::ones_from(pairs, 7);
        loop {
            let skip = walked.saturating_sub(base);
            live = if skip >= 64 { 0 } else { live >> skip << skip };
            if live == 0 {
                break;
            }
            let p = base + live.trailing_zeros() as usize;
            let mut from = p;
            while from > 0 && pair(data[from - 1], data[from]) {
                from -= 1;
            }
            let mut to = p + 2;
            while to < data.len() && pair(data[to - 1], data[to]) {
                to += 1;
            }
            walked = to;
            if to - from < (2 * min).saturating_sub(1) {
                continue;
            }
            let lo = from.saturating_sub(3);
            for mut run in runs_in(&data[lo..to], min) {
                run.start += lo;
                if run.start + 1 >= from {
                    out.push(run);
                }
            }
        }
    }
    out
}

/// [`runs`] by walking every NUL of `data` (one alternating region and its context).
fn runs_in(data: &[u8], min: usize) -> Vec<Run> {
    let mut out = Vec::new();
    let mut k = 0;
    while k < data.len() {
        let Some(z) = memchr::memchr(0, &data[k..]).map(|z| k + z) else { break };
        let s = if z > k && is_printable(data[z - 1]) { z - 1 } else { z };
        let mut e = s + 1;
        while e < data.len() && (data[e] == 0) != (data[e - 1] == 0) && (data[e] == 0 || is_printable(data[e])) {
            e += 1;
        }
        k = e.max(z + 1);
        if e == s + 1 && data[s] == 0 && data.get(e) == Some(&0) {
            // A run of NULs (zero pages in a core): jump to its last byte, where the next
            // region may start, instead of one iteration per NUL.
            k = data[e..].iter().position(|&b| b != 0).map_or(data.len(), |p| e + p - 1).max(k);
            continue;
        }
        let first = if data[s] == 0 { s + 1 } else { s };
        if first >= e || (e - first).div_ceil(2) < min {
            continue;
        }
        let has_be_bom = first >= 3 && data[first - 3..first - 1] == [0xfe, 0xff];
        // `x y 00 c …` with x, y non-NUL: a header before a BE string; `00 é 00 c …` is LE text.
        let after_header = s >= 2 && data[s - 1] != 0 && data[s - 2] != 0;
        let is_be = has_be_bom || (data[s] == 0 && (data[e - 1] != 0 || after_header));
        let order = if is_be { Order::Be } else { Order::Le };
        // In LE order a last printable byte without its NUL is half of a non-ASCII code unit.
        let end = if order == Order::Le && data[e - 1] != 0 { e - 1 } else { e };
        if (end - first).div_ceil(2) < min {
            continue;
        }
        let text: Vec<u8> = data[first..end].iter().step_by(2).copied().collect();
        let start = if order == Order::Be { first - 1 } else { first };
        out.push(Run { start, text, order });
    }
    out
}

/// True when `data` has enough NUL bytes to hold a UTF-16 run at all.
fn may_hold_utf16(data: &[u8]) -> bool {
    memchr::memchr_iter(0, data).take(MIN_CHARS).count() >= MIN_CHARS
}

/// Scans the UTF-16 runs of `chunk`, appending their findings (mapped back to the chunk's
/// input offsets and lines) to `out`, which holds the chunk's plain findings (and nothing
/// else): a secret already found there is not reported again.
///
/// `hint`: the blocks worth visiting, as [`runs_hinted`] takes them, when already known.
pub fn scan(matcher: &Matcher, chunk: &Chunk, out: &mut Vec<Finding>, hint: Option<&[u64]>) -> Suppressed {
    let mut suppressed = Suppressed::default();
    let plain = out.len();
    if hint.is_none() && !may_hold_utf16(&chunk.data) {
        return suppressed;
    }
    let mut positions = chunk.positions();
    for run in runs_hinted(&chunk.data, MIN_CHARS, hint) {
        // Own the characters whose code unit starts in the chunk's owned range.
        let owned = owned_chars(&chunk.owned, run.start, run.text.len());
        if owned.is_empty() {
            continue;
        }
        let side = Chunk {
            origin: Arc::clone(&chunk.origin),
            data: run.text.clone(),
            offset: 0,
            line: 1,
            line_start: 0,
            owned,
            content: chunk.content,
        };
        let mut found = Vec::new();
        suppressed.by_marker += matcher.scan(&side, &mut found).by_marker;
        for f in found.into_iter().map(|f| relocate(&mut positions, &run, f)) {
            // A known value's UTF-16LE form is also matched in the raw bytes: report it once.
            // (The plain findings are sorted by offset.)
            let span = f.offset..f.offset + 2 * f.secret.len() as u64;
            let first = out[..plain].partition_point(|p| p.offset < span.start);
            if !out[first..plain].iter().take_while(|p| p.offset < span.end).any(|p| p.rule.id == f.rule.id) {
                out.push(f);
            }
        }
    }
    suppressed
}

/// The half-open range of run characters whose first byte is in `owned`.
fn owned_chars(owned: &Range<usize>, start: usize, len: usize) -> Range<usize> {
    let from = owned.start.saturating_sub(start).div_ceil(2).min(len);
    let to = owned.end.saturating_sub(start).div_ceil(2).min(len);
    from..to.max(from)
}

/// Moves a finding from the side buffer to the original bytes: offset, line and columns
/// (columns in bytes of the original line, 1-based).
fn relocate(positions: &mut crate::chunk::Positions<'_>, run: &Run, mut f: Finding) -> Finding {
    let index = f.offset as usize;
    (f.offset, f.line, f.column) = positions.at(run.start + 2 * index);
    f.end_line = f.line;
    f.end_column = f.column + 2 * f.secret.len() as u64;
    f.encoding = Some(run.order.name());
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le(s: &str) -> Vec<u8> {
        s.bytes().flat_map(|b| [b, 0]).collect()
    }

    #[test]
    fn the_hinted_walk_finds_the_runs_the_full_walk_finds() {
        // UTF-16 strings of both orders at every offset around block edges, between binary
        // bytes and NUL runs; the hint is what the keyword scan notes (`may_start_run` per
        // block).
        let mut data = Vec::new();
        let mut seed = 11u64;
        for n in 0..400usize {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let noise = (seed >> 33) as usize % 70;
            data.extend((0..noise).map(|i| (seed >> (i % 50)) as u8 | 0x80));
            data.extend(std::iter::repeat_n(0u8, n % 3));
            let text = &"ghp_abcdefghijklmnopqrstuvwxyz0123456789"[..7 + n % 30];
            data.extend(if n % 4 == 1 { be(text) } else { le(text) });
        }
        let blocks = data.len().div_ceil(64);
        let mut hint = vec![0u64; blocks.div_ceil(64)];
        for (k, block) in data.chunks(64).enumerate() {
            if may_start_run(crate::bytemask::in_ranges(block, NUL)) {
                hint[k / 64] |= 1 << (k % 64);
            }
        }
        let full = runs(&data, MIN_CHARS);
        assert!(full.len() > 300, "{}", full.len());
        assert_eq!(runs_hinted(&data, MIN_CHARS, Some(&hint)), full);
        // An empty hint visits nothing.
        assert!(runs_hinted(&data, MIN_CHARS, Some(&vec![0; hint.len()])).is_empty());
    }

    fn be(s: &str) -> Vec<u8> {
        s.bytes().flat_map(|b| [0, b]).collect()
    }

    #[test]
    fn block_masks_find_the_runs_a_walk_over_every_nul_finds() {
        let mut seed = 11u64;
        for len in [0usize, 1, 15, 16, 17, 100, 5000] {
            for density in [2u64, 4, 9] {
                // Alternating text and NULs (either parity), broken now and then.
                let mut parity = 0;
                let data: Vec<u8> = (0..len)
                    .map(|i| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        match (seed >> 33) % (density * 16) {
                            0 => 0x90,
                            1 => 0xfe,
                            2 => {
                                parity ^= 1;
                                0
                            }
                            _ if i % 2 == parity => 0,
                            _ => b"aZ 9=_-\n"[(seed >> 40) as usize % 8],
                        }
                    })
                    .collect();
                let found = runs_in(&data, 8);
                assert!(len < 5000 || !found.is_empty(), "the generator makes runs");
                assert_eq!(runs(&data, 8), found, "length {len}, density {density}");
            }
        }
        // Sparse: zero and random stretches with strings of 6 to 12 code units of either order
        // at every offset (blocks with and without a run, runs across block boundaries).
        let mut data = crate::testutil::random_bytes(3, 40_000);
        for z in (0..data.len()).step_by(1500) {
            data[z..(z + 700).min(40_000)].fill(0);
        }
        let mut at = 5;
        for i in 0..300 {
            let word = &"abcdefghijkl"[..6 + i % 7];
            let unit = if i % 3 == 0 { be(word) } else { le(word) };
            if at + unit.len() + 2 > data.len() {
                break;
            }
            data[at..at + unit.len()].copy_from_slice(&unit);
            at += unit.len() + 37 + i % 61;
        }
        let found = runs_in(&data, 8);
        assert!(found.len() > 50, "{}", found.len());
        assert_eq!(runs(&data, 8), found);

        let mut text = vec![0x90u8; 3];
        text.extend(le("a UTF-16 string of some length"));
        text.extend([0x90; 40]);
        text.extend(be("and one in big endian"));
        assert_eq!(runs(&text, 8), runs_in(&text, 8));
        assert_eq!(runs(&text, 8).len(), 2);
    }

    #[test]
    fn finds_le_and_be_at_both_alignments_without_half_code_units() {
        for pad in 0..2 {
            let mut data = vec![0x90u8; 3 + pad];
            data.extend(le("hello world"));
            data.extend([b'0', 0x05, 0, 0, 0x90, 0x91]);
            let start = data.len();
            data.extend(be("second text"));
            data.extend([0x90, 0x91]);
            let got = runs(&data, 8);
            assert_eq!(got.len(), 2, "{got:?}");
            assert_eq!((got[0].start, got[0].order, &got[0].text[..]), (3 + pad, Order::Le, &b"hello world"[..]));
            assert_eq!((got[1].start, got[1].order, &got[1].text[..]), (start, Order::Be, &b"second text"[..]));
        }
    }

    #[test]
    fn be_bom_decides_and_short_runs_are_ignored() {
        let mut data = vec![0xfe, 0xff];
        data.extend(be("bommed text"));
        data.extend([0, 0]);
        data.extend(le("short"));
        let got = runs(&data, 8);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!((got[0].start, got[0].order), (2, Order::Be));
        assert!(runs(b"plain ascii text, no nul at all", 8).is_empty());
        // after a run of NULs, a BE string still starts at its first NUL
        let mut zeros = vec![0u8; 100];
        zeros.extend(be("after zeros"));
        zeros.push(0x90);
        let got = runs(&zeros, 8);
        assert_eq!((got.len(), got[0].start, got[0].order), (1, 100, Order::Be), "{got:?}");
    }

    #[test]
    fn owned_chars_cover_code_units_in_range() {
        assert_eq!(owned_chars(&(0..100), 10, 5), 0..5);
        assert_eq!(owned_chars(&(13..100), 10, 5), 2..5);
        assert_eq!(owned_chars(&(0..14), 10, 5), 0..2);
        assert_eq!(owned_chars(&(50..60), 10, 5), 5..5);
    }
}
