//! The keyword automaton's tables, computed from the keywords alone (std only, so that
//! `build.rs` includes this file too): `matcher` builds them at run time for a rule set of its
//! own, and the build computes them ahead of time for the built-in pack's keywords (building
//! them was half the instructions of a scan of nothing, the fixed cost of every hook run).
//!
//! Invariant: the same keywords in the same order give the same tables, wherever built.

use std::borrow::Cow;

/// A keyword automaton's tables (see `matcher::KeywordDfa`, which walks them): borrowed from
/// the binary for the built-in pack (`pack::prebuilt::tables`), owned when built at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    /// Byte → class: one per byte occurring in a keyword (both cases share one), 0 for the rest.
    pub classes: [u8; 256],
    /// `state row offset + class` → next state's row offset; the start state is row 0, the
    /// match states' rows come last, from `first_match` on.
    pub table: Cow<'static, [u32]>,
    /// Row offset of the first match state.
    pub first_match: u32,
    /// Row stride (a power of two ≥ the class count).
    pub stride: usize,
    /// Match state `m` (row offset `first_match + m * stride`) → where its keywords start in
    /// [`Tables::matches`]; one more entry closes the last.
    pub match_start: Cow<'static, [u32]>,
    /// The keywords `(pattern index, length)` ending in each match state, state after state.
    pub matches: Cow<'static, [(u32, u32)]>,
}

impl Tables {
    /// The keywords `(pattern index, length)` ending in the match state at row offset `state`.
    #[inline]
    pub fn matches_at(&self, state: u32) -> &[(u32, u32)] {
        let m = (state - self.first_match) as usize / self.stride;
        &self.matches[self.match_start[m] as usize..self.match_start[m + 1] as usize]
    }
}

/// Builds the automaton for `patterns` (ASCII case-insensitive): a trie over byte classes,
/// failure links breadth first, each missing transition filled from the failure state's
/// row (complete before it is needed: a failure state is shallower). Deriving the table
/// from the crate's NFA asked it for each of 3,465 × 50 transitions, each a walk of
/// failure links: 29 M of the 168 M instructions of a scan of an empty directory.
pub fn build(patterns: &[Vec<u8>]) -> Tables {
    let mut classes = [0u8; 256];
    let mut count = 1usize;
    for b in patterns.iter().flatten().map(u8::to_ascii_lowercase) {
        if classes[usize::from(b)] == 0 {
            classes[usize::from(b)] = count as u8;
            classes[usize::from(b.to_ascii_uppercase())] = count as u8;
            count += 1;
        }
    }
    let stride = count.next_power_of_two();
    const NONE: u32 = u32::MAX;
    // The trie: node `n`'s row is `next[n * stride..]`, then (in place) its transitions.
    // At most one node per keyword byte: reserved at once, as growing it by doubling
    // copied it into fresh pages (a quarter of a scan of nothing's page faults).
    let most = 1 + patterns.iter().map(Vec::len).sum::<usize>();
    let mut next = Vec::with_capacity(most * stride);
    next.resize(stride, NONE);
    let mut found: Vec<Vec<(usize, usize)>> = Vec::with_capacity(most);
    found.push(Vec::new());
    for (p, pattern) in patterns.iter().enumerate() {
        let mut node = 0;
        for &b in pattern {
            let at = node * stride + usize::from(classes[usize::from(b)]);
            if next[at] == NONE {
                next[at] = found.len() as u32;
                next.resize(next.len() + stride, NONE);
                found.push(Vec::new());
            }
            node = next[at] as usize;
        }
        found[node].push((p, pattern.len()));
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
    // Rows: the states where no keyword ends in breadth-first order (the start state, row
    // 0, is one: no keyword is empty), then the match states.
    let (plain, ending): (Vec<usize>, Vec<usize>) = order.iter().partition(|&&node| found[node].is_empty());
    let rows: Vec<usize> = plain.iter().chain(&ending).copied().collect();
    let mut row = vec![0u32; found.len()];
    for (r, &node) in rows.iter().enumerate() {
        row[node] = u32::try_from(r * stride).expect("keyword automaton too large");
    }
    // Row after row, each entry written once (not zeroed first: the table is ~1 MB).
    let mut table = Vec::with_capacity(rows.len() * stride);
    for &node in &rows {
        debug_assert_eq!(row[node] as usize, table.len());
        table.extend(next[node * stride..][..stride].iter().map(|&to| row[to as usize]));
    }
    let mut match_start = vec![0u32];
    let mut matches = Vec::new();
    for &node in &ending {
        matches.extend(found[node].iter().map(|&(p, len)| (p as u32, len as u32)));
        match_start.push(matches.len() as u32);
    }
    Tables {
        classes,
        table: Cow::Owned(table),
        first_match: (plain.len() * stride) as u32,
        stride,
        match_start: Cow::Owned(match_start),
        matches: Cow::Owned(matches),
    }
}
