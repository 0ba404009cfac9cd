//! Encoded text inside any text chunk: base64 (standard and URL-safe), hex, percent-encoding
//! and JSON/JS escapes. Finds candidate spans ([`codec::candidates`]), decodes those whose
//! decoded bytes look like text into a side buffer, scans it with the matcher as its own
//! chunk, looks for candidates inside it in turn (up to [`Limits::depth`] layers), and maps
//! each finding back to the encoded bytes.
//!
//! Invariants: a finding's `offset`/`line`/`column` are those of the first encoded byte that
//! decodes to the secret, `end_column` just past the last one (exact for every encoding, and
//! through nested layers); `encoding` names the layers outermost first, joined by `+`
//! (`percent+base64`: a percent-encoded span whose decoding holds base64 holding the secret).
//! Memory is bounded whatever the input: one candidate decodes at most
//! [`Limits::max_candidate`] encoded bytes, a chunk at most [`Limits::max_decoded`] decoded
//! bytes over all layers (candidates past it are skipped and counted), one buffer per layer is
//! reused. A secret the plain scan reports is never reported again through decoding (a decoded
//! finding overlapping a plain one is dropped, unless more confident: then it replaces it), nor
//! twice through two decoding paths. Only
//! secrets whose encoded bytes start in the chunk's owned range are reported. Binary chunks
//! are not decoded. Depends on `chunk`, `matcher`, `finding`, `messages`.

mod codec;

use crate::chunk::{count_lines, Chunk, Content};
use crate::finding::{Confidence, Finding};
use crate::matcher::{is_allowed_by_marker, Matcher, Suppressed};
pub use codec::{Candidate, Kind};
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// Budgets of the decoding layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Layers of encoding decoded inside one another (0: decoding off).
    pub depth: usize,
    /// Decoded bytes per chunk, all layers counted; candidates past it are skipped.
    pub max_decoded: usize,
    /// Encoded bytes of one candidate decoded at most (the rest of a longer one is not).
    pub max_candidate: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { depth: 2, max_decoded: 4 << 20, max_candidate: 1 << 20 }
    }
}

/// Decoded bytes checked for looking like text before a candidate is decoded whole.
const SAMPLE: usize = 48;

/// What decoding one chunk dropped or skipped.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Findings on a line carrying an inline allow marker.
    pub suppressed: Suppressed,
    /// Candidates not decoded because the chunk's budget was spent.
    pub skipped: u64,
}

/// One decoding layer of a finding: the candidate it was in, in its parent's bytes.
struct Frame<'a> {
    kind: Kind,
    /// Index of the candidate's first byte in the parent layer (the chunk for the outermost).
    start: usize,
    /// The candidate's encoded bytes, as decoded (after alignment and cutting).
    enc: &'a [u8],
    parent: Option<&'a Frame<'a>>,
}

impl Frame<'_> {
    /// Maps a range of this layer's decoded bytes to the chunk's bytes, and lists the
    /// encodings outermost first.
    fn to_chunk(&self, mut range: Range<usize>) -> (Range<usize>, Vec<Kind>) {
        let mut kinds = Vec::new();
        let mut frame = Some(self);
        while let Some(f) = frame {
            let r = codec::encoded_range(f.kind, f.enc, range);
            range = f.start + r.start..f.start + r.end;
            kinds.push(f.kind);
            frame = f.parent;
        }
        kinds.reverse();
        (range, kinds)
    }
}

/// A finding under decoding, before relocation: its encoded span in the chunk.
struct Decoded {
    finding: Finding,
    span: Range<usize>,
    kinds: Vec<Kind>,
}

/// The state of decoding one chunk.
struct Pass<'a> {
    matcher: &'a Matcher,
    chunk: &'a Chunk,
    limits: &'a Limits,
    /// Decoded bytes still allowed in this chunk.
    budget: usize,
    /// One reusable decoded buffer and candidate list per layer.
    buffers: Vec<Vec<u8>>,
    lists: Vec<Vec<Candidate>>,
    sample: Vec<u8>,
    found: Vec<Decoded>,
    stats: Stats,
}

/// Scans the encoded spans of `chunk` (whose plain and UTF-16 findings, and nothing else, are
/// already in `out`), appending the findings under decoding (mapped back to the encoded bytes) to `out`.
/// A plain finding on the same bytes as a more confident decoded one is removed from `out`.
pub fn scan(matcher: &Matcher, chunk: &Chunk, limits: &Limits, out: &mut Vec<Finding>) -> Stats {
    if limits.depth == 0 || chunk.content != Content::Text {
        return Stats::default();
    }
    let mut pass = Pass {
        matcher,
        chunk,
        limits,
        budget: limits.max_decoded,
        // Nothing is allocated for a chunk without candidates (most of them).
        buffers: Vec::new(),
        lists: Vec::new(),
        sample: Vec::new(),
        found: Vec::new(),
        stats: Stats::default(),
    };
    pass.layer(&chunk.data, &chunk.owned, 0, None);
    if pass.stats.skipped > 0 {
        crate::messages::note(&format!(
            "decoding budget spent in {} near offset {}: {} encoded spans not decoded",
            crate::messages::escape(&chunk.origin.display_bytes()),
            chunk.offset + chunk.owned.start as u64,
            pass.stats.skipped
        ));
    }
    let Pass { mut found, mut stats, .. } = pass;
    // On the same bytes a plain finding wins over a decoded one unless the decoded one is more
    // confident (a private key under base64 over a generic `key: <base64>`); a shallower
    // decoding path wins over a deeper one reaching the same secret.
    let mut plain: Vec<(Range<u64>, Confidence, bool)> =
        out.iter().map(|f| (input_span(f), f.rule.confidence, false)).collect();
    // Overlaps are looked up by start (an overlapping span starts less than the longest span
    // before the end of the other), not by a pass over every finding of the chunk: a chunk of
    // 20,000 base64 secrets took 1.4 s, growing as the square of their number.
    let mut plain_order: Vec<usize> = (0..plain.len()).collect();
    plain_order.sort_by_key(|&i| plain[i].0.start);
    let plain_longest = plain.iter().map(|p| p.0.end - p.0.start).max().unwrap_or(0);
    let mut kept_at: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
    let mut kept_longest = 0;
    found.sort_by_key(|d| (d.kinds.len(), d.span.start));
    let mut kept: Vec<Decoded> = Vec::new();
    for d in found {
        let abs = chunk.offset + d.span.start as u64..chunk.offset + d.span.end as u64;
        let overlaps = |r: &Range<u64>| r.start < abs.end && abs.start < r.end;
        let near_from = plain_order.partition_point(|&i| plain[i].0.start + plain_longest <= abs.start);
        let near_to = plain_order.partition_point(|&i| plain[i].0.start < abs.end);
        let near = &plain_order[near_from..near_to.max(near_from)];
        let confidence = d.finding.rule.confidence;
        let beaten = near.iter().map(|&i| &plain[i]).any(|(r, c, gone)| !gone && overlaps(r) && *c >= confidence)
            || kept_at.range(d.span.start.saturating_sub(kept_longest)..d.span.end).flat_map(|(_, ks)| ks).any(|&k| {
                let k = &kept[k];
                k.finding.secret == d.finding.secret && d.span.start < k.span.end && k.span.start < d.span.end
            });
        if beaten {
            continue;
        }
        if is_allowed_by_marker(&chunk.data, d.span.clone()) {
            stats.suppressed.by_marker += 1;
            continue;
        }
        for &i in near {
            if overlaps(&plain[i].0) {
                plain[i].2 = true;
            }
        }
        kept_longest = kept_longest.max(d.span.len());
        kept_at.entry(d.span.start).or_default().push(kept.len());
        kept.push(d);
    }
    if plain.iter().any(|p| p.2) {
        let mut gone = plain.iter().map(|p| p.2);
        out.retain(|_| !gone.next().unwrap_or(false));
    }
    kept.sort_by_key(|d| d.span.start);
    let mut positions = chunk.positions();
    out.extend(kept.into_iter().map(|d| relocate(chunk, &mut positions, d)));
    stats
}

/// The input bytes a finding already reported covers.
fn input_span(f: &Finding) -> Range<u64> {
    f.offset..f.offset + f.input_len() as u64
}

impl Pass<'_> {
    /// Decodes and scans the candidates of `data` (layer `depth`, 0 = the chunk) that
    /// intersect `want`.
    fn layer(&mut self, data: &[u8], want: &Range<usize>, depth: usize, parent: Option<&Frame>) {
        if self.lists.len() <= depth {
            self.lists.resize_with(depth + 1, Vec::new);
            self.buffers.resize_with(depth + 1, Vec::new);
        }
        let mut list = std::mem::take(&mut self.lists[depth]);
        list.clear();
        codec::candidates(data, want, &mut list);
        for c in &list {
            if let Some(frame) = self.choose(data, c, depth, parent) {
                self.descend(&frame, depth);
            }
        }
        self.lists[depth] = list;
    }

    /// The frame to decode a candidate with: cut to the per-candidate cap and aligned, or
    /// `None` when its decoding does not look like text or the budget is spent.
    fn choose<'d>(
        &mut self,
        data: &'d [u8],
        c: &Candidate,
        depth: usize,
        parent: Option<&'d Frame<'d>>,
    ) -> Option<Frame<'d>> {
        let q = c.kind.quantum();
        // A run reaching the start of a chunk that is not the input's start may have begun
        // in the previous chunk: its alignment is unknown, so try each.
        let aligns = if depth == 0 && c.span.start == 0 && self.chunk.offset > 0 { q } else { 1 };
        for align in 0..aligns {
            let start = c.span.start + align;
            let len = (c.span.end - start).min(self.limits.max_candidate);
            let len = if len == c.span.end - start { len } else { len / q * q };
            let enc = &data[start..start + len];
            if !codec::may_be_text(c.kind, enc) {
                continue;
            }
            self.sample.clear();
            codec::decode(c.kind, &enc[..enc.len().min(codec::encoded_len(c.kind, SAMPLE))], &mut self.sample);
            self.sample.truncate(SAMPLE);
            if !codec::is_text(&self.sample) {
                continue;
            }
            if len > self.budget {
                self.stats.skipped += 1;
                return None;
            }
            return Some(Frame { kind: c.kind, start, enc, parent });
        }
        None
    }

    /// Decodes one candidate, scans its decoding, and goes one layer deeper if allowed.
    fn descend(&mut self, frame: &Frame, depth: usize) {
        let mut buf = std::mem::take(&mut self.buffers[depth]);
        buf.clear();
        codec::decode(frame.kind, frame.enc, &mut buf);
        self.budget = self.budget.saturating_sub(buf.len());
        if !codec::is_text(&buf[..buf.len().min(4 * SAMPLE)]) {
            self.buffers[depth] = buf;
            return;
        }
        let len = buf.len();
        let side = Chunk {
            origin: Arc::clone(&self.chunk.origin),
            data: buf,
            offset: 0,
            line: 1,
            line_start: 0,
            owned: 0..len,
            content: Content::Text,
        };
        let mut found = Vec::new();
        // Markers in the decoded text count here; those on the original line in `scan`.
        self.stats.suppressed.by_marker += self.matcher.scan(&side, &mut found).by_marker;
        for f in found {
            let at = f.offset as usize;
            let (span, kinds) = frame.to_chunk(at..at + f.secret.len());
            if self.chunk.owned.contains(&span.start) {
                self.found.push(Decoded { finding: f, span, kinds });
            }
        }
        if depth + 1 < self.limits.depth {
            self.layer(&side.data, &(0..len), depth + 1, Some(frame));
        }
        self.buffers[depth] = side.data;
    }
}

/// Moves a finding from its decoded text to the encoded bytes in the chunk: offset, line and
/// columns (bytes of the original line, 1-based) of the encoded span, and the encoding.
fn relocate(chunk: &Chunk, positions: &mut crate::chunk::Positions<'_>, d: Decoded) -> Finding {
    let Decoded { finding: mut f, span, kinds } = d;
    (f.offset, f.line, f.column) = positions.at(span.start);
    f.end_line = f.line + count_lines(&chunk.data[span.clone()]);
    f.end_column = match memchr::memrchr(b'\n', &chunk.data[span.clone()]) {
        Some(nl) => (span.len() - nl) as u64,
        None => f.column + span.len() as u64,
    };
    f.encoding = Some(name(&kinds));
    f
}

/// The `encoding` of a finding under `kinds` (outermost first): `base64`, `percent+base64`…
/// Names of nested layers are made once per distinct path (at most 5^depth) and kept.
pub fn name(kinds: &[Kind]) -> &'static str {
    if let [one] = kinds {
        return one.name();
    }
    static NAMES: Mutex<Vec<(Vec<Kind>, &'static str)>> = Mutex::new(Vec::new());
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, n)) = names.iter().find(|(k, _)| k == kinds) {
        return n;
    }
    let joined = kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join("+");
    let leaked: &'static str = Box::leak(joined.into_boxed_str());
    names.push((kinds.to_vec(), leaked));
    leaked
}

#[cfg(test)]
#[path = "decode/tests.rs"]
mod tests;
