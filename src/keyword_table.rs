//! The keyword automaton's tables, computed from the keywords alone (std only, so that
//! `build.rs` includes this file too): `matcher` builds them at run time for a rule set of its
//! own, and the build computes them ahead of time for the built-in pack's keywords (building
//! them was half the instructions of a scan of nothing, the fixed cost of every hook run).
//!
//! A state is a `u16`: its row's offset in units of [`UNIT`] entries. The walk computes the
//! next index as `4 * state + class` (one `lea`) and the table's fixed length ([`TABLE_LEN`])
//! holds every such index, so no index is checked: 6 instead of 8 instructions for each byte
//! of each lane, and half the table (the built-in pack: 3,465 states, rows of 350 KiB instead
//! of 870). A rule set too large for `u16` states is looked for by its keywords' first
//! [`Tables::prefix`] bytes, the longest prefix that fits, each hit then checked against the
//! whole keyword.
//!
//! Invariant: the same keywords in the same order give the same tables, wherever built.

use std::borrow::Cow;

/// A keyword automaton's tables (see `matcher::KeywordDfa`, which walks them): borrowed from
/// the binary for the built-in pack (`pack::prebuilt::tables`), owned when built at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    /// Byte → class: one per byte occurring in a keyword's prefix (both cases share one), 0
    /// for the rest.
    pub classes: [u8; 256],
    /// `UNIT * state + class` → next state, where a state is its row's offset in units of
    /// [`UNIT`] entries; the start state is row 0, the match states' rows come last, from
    /// `first_match` on. [`TABLE_LEN`] entries, zeros past the last row.
    pub table: Cow<'static, [u16]>,
    /// The first match state.
    pub first_match: u32,
    /// Row stride: the class count, rounded up to a multiple of [`UNIT`].
    pub stride: usize,
    /// How many first bytes of each keyword the automaton looks for.
    pub prefix: usize,
    /// Match state `m` (state `first_match + m * stride / UNIT`) → where its keywords start in
    /// [`Tables::matches`]; one more entry closes the last.
    pub match_start: Cow<'static, [u32]>,
    /// The keywords `(pattern index, length, start of its tail in text)` whose prefix (the
    /// whole keyword when it is no longer than [`Tables::prefix`]) ends in each match state,
    /// state after state.
    pub matches: Cow<'static, [(u32, u32, u32)]>,
    /// The keywords' tails past the prefix, lowercase, one after another: what a prefix hit is
    /// checked against (empty when every keyword fits whole).
    pub text: Cow<'static, [u8]>,
}

/// What a state counts in: row offsets are multiples of it.
pub const UNIT: usize = 4;

/// The table's length: every `UNIT * state + class` (a `u16` state, a `u8` class) is in it.
pub const TABLE_LEN: usize = UNIT * u16::MAX as usize + 256;

/// Most entries the rows can take (`u16` states).
const MAX_CELLS: usize = UNIT * (u16::MAX as usize + 1);

impl Tables {
    /// The keywords `(pattern index, length, start of its tail in text)` whose prefix ends in
    /// match state `state`.
    #[inline]
    pub fn matches_at(&self, state: u32) -> &[(u32, u32, u32)] {
        let m = (state - self.first_match) as usize * UNIT / self.stride;
        &self.matches[self.match_start[m] as usize..self.match_start[m + 1] as usize]
    }

    /// Keyword `(pattern, length, at)` of [`Tables::matches`], whose prefix ends at `end` in
    /// `data`: its range, when the whole keyword is there (in either case).
    #[inline]
    pub fn confirm(&self, data: &[u8], (_, len, at): (u32, u32, u32), end: usize) -> Option<std::ops::Range<usize>> {
        let (len, at) = (len as usize, at as usize);
        let seen = len.min(self.prefix);
        let start = end - seen;
        if len > seen {
            let rest = data.get(end..start + len)?;
            if !rest.eq_ignore_ascii_case(&self.text[at..at + len - seen]) {
                return None;
            }
        }
        Some(start..start + len)
    }
}

/// The tables for `patterns` (ASCII case-insensitive), on the longest prefix that fits
/// `u16` states (counted before anything is built: the trie's nodes down to each depth
/// from the sorted keywords, the classes from the bytes at each depth).
pub fn build(patterns: &[Vec<u8>]) -> Tables {
    let mut sorted: Vec<Vec<u8>> = patterns.iter().map(|p| p.to_ascii_lowercase()).collect();
    sorted.sort_unstable();
    let longest = sorted.iter().map(Vec::len).max().unwrap_or(0);
    // Keyword `i` adds the trie nodes at depths (common prefix with keyword i - 1, its length].
    let common: Vec<usize> = (0..sorted.len())
        .map(|i| if i == 0 { 0 } else { sorted[i].iter().zip(&sorted[i - 1]).take_while(|(a, b)| a == b).count() })
        .collect();
    let mut seen = [false; 256];
    let mut classes = 1usize; // class 0: bytes in no keyword
    let mut prefix = 1;
    for k in 1..=longest.max(1) {
        for p in sorted.iter().filter(|p| p.len() >= k) {
            if !std::mem::replace(&mut seen[usize::from(p[k - 1])], true) {
                classes += 1;
            }
        }
        let nodes = 1 + sorted.iter().zip(&common).map(|(p, &c)| p.len().min(k).saturating_sub(c)).sum::<usize>();
        if nodes * classes.next_multiple_of(UNIT) > MAX_CELLS {
            break;
        }
        prefix = k;
    }
    build_on(patterns, prefix)
}

/// The tables for `patterns` on their first `prefix` bytes: a trie over byte classes,
/// failure links breadth first, each missing transition filled from the failure state's
/// row (complete before it is needed: a failure state is shallower). Deriving the table
/// from the crate's NFA asked it for each of 3,465 × 50 transitions, each a walk of
/// failure links: 29 M of the 168 M instructions of a scan of an empty directory.
///
/// Panics when the states do not fit `u16` ([`build`] picks a prefix where they do).
pub fn build_on(patterns: &[Vec<u8>], prefix: usize) -> Tables {
    let prefix = prefix.max(1);
    let heads = || patterns.iter().map(move |p| &p[..p.len().min(prefix)]);
    let mut classes = [0u8; 256];
    let mut count = 1usize;
    for b in heads().flatten().map(u8::to_ascii_lowercase) {
        if classes[usize::from(b)] == 0 {
            classes[usize::from(b)] = count as u8;
            classes[usize::from(b.to_ascii_uppercase())] = count as u8;
            count += 1;
        }
    }
    let stride = count.next_multiple_of(UNIT);
    const NONE: u32 = u32::MAX;
    // The trie: node `n`'s row is `next[n * stride..]`, then (in place) its transitions.
    // At most one node per keyword byte: reserved at once, as growing it by doubling
    // copied it into fresh pages (a quarter of a scan of nothing's page faults).
    let most = 1 + heads().map(<[u8]>::len).sum::<usize>();
    let mut next = Vec::with_capacity(most * stride);
    next.resize(stride, NONE);
    let mut found: Vec<Vec<(u32, u32, u32)>> = Vec::with_capacity(most);
    found.push(Vec::new());
    let mut text = Vec::new();
    for (p, (head, pattern)) in heads().zip(patterns).enumerate() {
        let mut node = 0;
        for &b in head {
            let at = node * stride + usize::from(classes[usize::from(b)]);
            if next[at] == NONE {
                next[at] = found.len() as u32;
                next.resize(next.len() + stride, NONE);
                found.push(Vec::new());
            }
            node = next[at] as usize;
        }
        found[node].push((p as u32, pattern.len() as u32, text.len() as u32));
        text.extend(pattern[head.len()..].iter().map(u8::to_ascii_lowercase));
    }
    // Breadth first: `order` is also the row order of the table (the hot states first).
    let mut order = vec![0usize];
    let mut fail = vec![0usize; found.len()];
    let mut i = 0;
    while i < order.len() {
        let node = order[i];
        for class in 0..stride {
            let at = node * stride + class;
            let via_fail = if node == 0 { 0 } else { next[fail[node] * stride + class] };
            if next[at] == NONE {
                next[at] = via_fail;
            } else {
                let child = next[at] as usize;
                fail[child] = via_fail as usize;
                let inherited = found[fail[child]].clone();
                found[child].extend(inherited);
                order.push(child);
            }
        }
        i += 1;
    }
    // Rows: the states where no keyword's prefix ends in breadth-first order (the start
    // state, row 0, is one: no keyword is empty), then the match states.
    let (plain, ending): (Vec<usize>, Vec<usize>) = order.iter().partition(|&&node| found[node].is_empty());
    let rows: Vec<usize> = plain.iter().chain(&ending).copied().collect();
    let mut row = vec![0u16; found.len()];
    for (r, &node) in rows.iter().enumerate() {
        row[node] = u16::try_from(r * stride / UNIT).expect("keyword automaton too large for u16 states");
    }
    // Row after row into zeroed memory (the pages past the last row are never touched).
    let mut table = vec![0u16; TABLE_LEN];
    for (&node, at) in rows.iter().zip((0..).step_by(stride)) {
        for (cell, &to) in table[at..at + stride].iter_mut().zip(&next[node * stride..][..stride]) {
            *cell = row[to as usize];
        }
    }
    let mut match_start = vec![0u32];
    let mut matches = Vec::new();
    for &node in &ending {
        matches.extend(&found[node]);
        match_start.push(matches.len() as u32);
    }
    Tables {
        classes,
        table: Cow::Owned(table),
        first_match: (plain.len() * stride / UNIT) as u32,
        stride,
        prefix,
        match_start: Cow::Owned(match_start),
        matches: Cow::Owned(matches),
        text: Cow::Owned(text),
    }
}
