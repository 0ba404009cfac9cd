//! The matcher: keyword prefilter → regex per candidate rule → secret group → entropy, checksum
//! and placeholder filters → inline allow markers → `Finding`s.
//!
//! Invariant: the matcher sees bytes and an opaque `Origin`, never opens anything; it reports
//! a match only when the match starts in the chunk's owned range, so overlapping chunks never
//! report a secret twice. Known values (`known`) are exact matches and skip the secret filters.
//! Depends on `rules`, `chunk`, `finding`, `entropy`, `known`, `bytemask`.

use crate::chunk::{count_lines, Chunk, Content, Origin, Positions};
use crate::finding::{Finding, RuleInfo, Secret, CONTEXT_CAP};
use crate::keyword_table::{Tables, TABLE_LEN, UNIT};
use crate::known::Known;
use crate::rules::{KeywordScope, Rule};
use anyhow::Result;
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input};
use std::ops::Range;
use std::sync::Arc;

/// Rules compiled together with their keyword prefilter.
pub struct Matcher {
    rules: Vec<Rule>,
    prefilter: Option<KeywordDfa>,
    /// Keyword pattern index → the rules that carry that keyword.
    pattern_rules: Vec<Vec<u32>>,
    /// Rules without keywords: run over every chunk.
    unkeyed: Vec<u32>,
    /// Exact known values and their encodings (`--known-env`, `--known-file`).
    known: Option<Known>,
    /// Path-only rules (`pathrule.rs`): tested once per input, on its path.
    path_rules: Vec<crate::pathrule::PathRule>,
    /// How far past a chunk's owned range a keyword can open a window on a match that starts
    /// in it: the largest `max_len` of the keyword rules plus the longest keyword (unbounded
    /// when a rule takes its keyword anywhere in the chunk). The keyword scan stops there,
    /// not at the end of the 64 KiB overlap.
    keyword_reach: usize,
}

/// What the matcher dropped on purpose, for the summary.
#[derive(Debug, Default, Clone, Copy)]
pub struct Suppressed {
    /// Findings on a line carrying an inline allow marker.
    pub by_marker: u64,
}

/// A regex match that passed the filters, before it becomes a `Finding`.
struct Hit {
    rule: u32,
    /// Set for a known-secret hit (then `rule` is unused).
    known: Option<Arc<RuleInfo>>,
    matched: Range<usize>,
    secret: Range<usize>,
    /// The secret failed the rule's checksum: reported at low confidence.
    unverified: bool,
}

/// Markers that allow every secret on their own line.
const SAME_LINE_MARKERS: &[&[u8]] = &[
    b"leakscan:allow",
    b"gitleaks:allow",
    b"betterleaks:allow",
    b"pragma: allowlist secret",
    b"kingfisher:ignore",
    b"trufflehog:ignore",
];
/// Markers that allow every secret on the next line.
const NEXT_LINE_MARKERS: &[&[u8]] = &[b"leakscan:allow-next-line", b"pragma: allowlist nextline secret"];
/// How far around a secret the matcher looks for line bounds and markers.
const LINE_SEARCH: usize = 4096;

impl Matcher {
    /// Builds the prefilter over all rules' keywords.
    pub fn new(rules: Vec<Rule>) -> Result<Matcher> {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut pattern_rules: Vec<Vec<u32>> = Vec::new();
        let mut unkeyed = Vec::new();
        // Keyword -> its pattern index (a linear search per keyword was quadratic in them).
        let mut index: std::collections::HashMap<&[u8], usize> = std::collections::HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                unkeyed.push(i as u32);
            }
            for kw in &rule.keywords {
                match index.get(kw.as_slice()) {
                    Some(&p) => pattern_rules[p].push(i as u32),
                    None => {
                        index.insert(kw, patterns.len());
                        patterns.push(kw.clone());
                        pattern_rules.push(vec![i as u32]);
                    }
                }
            }
        }
        // A full DFA: one table lookup per byte, walked by `KeywordDfa::hits`. With hundreds of
        // case-insensitive keywords a contiguous NFA was 4× slower on source trees, and the
        // aho-corasick crate's overlapping iterator took twice the instructions per byte.
        let prefilter = (!patterns.is_empty()).then(|| KeywordDfa::new(&patterns));
        let keyword_reach = rules
            .iter()
            .filter(|r| !r.keywords.is_empty())
            .map(|r| match r.keyword_scope {
                KeywordScope::Chunk => usize::MAX,
                KeywordScope::Near => r.spec.written_max_len(),
            })
            .max()
            .unwrap_or(0)
            .saturating_add(patterns.iter().map(Vec::len).max().unwrap_or(0));
        Ok(Matcher { rules, prefilter, pattern_rules, unkeyed, known: None, path_rules: Vec::new(), keyword_reach })
    }

    /// Also finds these exact values and their encodings (rule id `known-secret`).
    pub fn with_known(mut self, known: Option<Known>) -> Matcher {
        self.known = known;
        self
    }

    /// Also reports each input whose path one of these rules matches.
    pub fn with_path_rules(mut self, path_rules: Vec<crate::pathrule::PathRule>) -> Matcher {
        self.path_rules = path_rules;
        self
    }

    /// The rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Scans one chunk, appending its findings (sorted by offset) to `out`.
    pub fn scan(&self, chunk: &Chunk, out: &mut Vec<Finding>) -> Suppressed {
        self.scan_noting_utf16(chunk, out, &mut None)
    }

    /// [`Matcher::scan`]; for binary content whose keyword scan reads every block, also sets
    /// `utf16` to the blocks where UTF-16 text may start (see `utf16::runs_hinted`).
    pub fn scan_noting_utf16(&self, chunk: &Chunk, out: &mut Vec<Finding>, utf16: &mut Option<Vec<u64>>) -> Suppressed {
        crate::pathrule::scan(&self.path_rules, chunk, out);
        let windows = self.windows(chunk, utf16);
        let mut hits = Vec::new();
        for (rule, range) in windows {
            self.run_rule(chunk, rule, range, &mut hits);
        }
        if let Some(known) = &self.known {
            for (info, span) in known.find(&chunk.data) {
                if chunk.owned.contains(&span.start) {
                    hits.push(Hit {
                        rule: 0,
                        known: Some(Arc::clone(info)),
                        matched: span.clone(),
                        secret: span,
                        unverified: false,
                    });
                }
            }
        }
        let hits = self.resolve_overlaps(hits);
        let mut suppressed = Suppressed::default();
        let mut positions = chunk.positions();
        let spans: Vec<Range<usize>> = hits.iter().map(|h| h.secret.clone()).collect();
        for hit in &hits {
            if is_allowed_by_marker(&chunk.data, hit.secret.clone()) {
                suppressed.by_marker += 1;
                continue;
            }
            out.push(self.finding(chunk, hit, &mut positions, &spans));
        }
        suppressed
    }

    /// Scans a standalone text (rule examples, tests, the excerpt around a finding in binary
    /// content) as one chunk from stdin.
    pub fn scan_text(&self, data: &[u8], content: Content) -> Vec<Finding> {
        let chunk = Chunk {
            origin: Arc::new(Origin::Stdin),
            data: data.to_vec(),
            offset: 0,
            line: 1,
            line_start: 0,
            owned: 0..data.len(),
            content,
        };
        let mut out = Vec::new();
        self.scan(&chunk, &mut out);
        out
    }

    /// The candidate rules and the byte windows of `chunk.data` to run each one on: within
    /// `max_len` of each keyword hit, merged per rule, sorted.
    fn windows(&self, chunk: &Chunk, utf16: &mut Option<Vec<u64>>) -> Vec<(u32, Range<usize>)> {
        let data = &chunk.data;
        let mut raw: Vec<(u32, Range<usize>)> = Vec::new();
        let applies = |r: u32| chunk.content == Content::Text || self.rules[r as usize].binary;
        for &r in &self.unkeyed {
            if applies(r) {
                raw.push((r, 0..data.len()));
            }
        }
        if let Some(dfa) = &self.prefilter {
            let report = |pattern: usize, start: usize, end: usize| {
                for &r in &self.pattern_rules[pattern] {
                    if applies(r) {
                        let rule = &self.rules[r as usize];
                        if rule.keyword_scope == KeywordScope::Chunk {
                            raw.push((r, 0..data.len()));
                        } else {
                            if let Some(w) = window(rule, data, start, end) {
                                raw.push((r, w));
                            }
                        }
                    }
                }
            };
            // A keyword further on only opens windows on matches the next chunk owns.
            let searched = &data[..chunk.owned.end.saturating_add(self.keyword_reach).min(data.len())];
            match chunk.content {
                Content::Text => dfa.hits(searched, report),
                Content::Binary => *utf16 = dfa.hits_in_strings(searched, report),
            }
        }
        // By rule, then start (a chunk is far below 2^40 bytes); the merge takes the largest
        // end of windows starting together, so their order does not matter. One integer key
        // sorts in half the time of the (rule, start, end) tuple.
        raw.sort_unstable_by_key(|(r, w)| (u64::from(*r) << 40) | w.start as u64);
        let mut merged: Vec<(u32, Range<usize>)> = Vec::new();
        for (r, Range { start: s, end: e }) in raw {
            match merged.last_mut() {
                Some((lr, range)) if *lr == r && s <= range.end => range.end = range.end.max(e),
                _ => merged.push((r, s..e)),
            }
        }
        merged
    }

    /// Runs one rule's regex over one window, keeping matches that start in the owned range and
    /// pass the secret filters.
    fn run_rule(&self, chunk: &Chunk, r: u32, window: Range<usize>, hits: &mut Vec<Hit>) {
        let rule = &self.rules[r as usize];
        let Some(regex) = rule.parsed().and_then(|p| p.regex.get()) else { return };
        let data = chunk.data.as_slice();
        let mut caps = None;
        for m in regex.find_iter(Input::new(data).range(window)) {
            if !chunk.owned.contains(&m.start()) {
                continue;
            }
            let secret = secret_span(rule, data, m.range(), &mut caps);
            let value = &data[secret.clone()];
            if is_kept(rule, value)
                && !(rule.generic_value && is_no_value_here(data, m.start(), secret.clone()))
                && !(rule.example_hosts && names_example_host(data, m.range()))
            {
                let unverified = rule.checksum.is_some_and(|c| !c.is_valid(value));
                hits.push(Hit { rule: r, known: None, matched: m.range(), secret, unverified });
            }
        }
    }

    /// Where secrets found by different rules overlap, keeps the most confident (then the
    /// longest) one: a specific token rule over a generic keyword rule, and one finding per
    /// secret. (gitleaks configs mark their `generic-*` rules low, so a specific rule wins
    /// there too and an allowlist on the generic rule cannot hide it.) Returns hits sorted by
    /// secret start.
    fn resolve_overlaps(&self, mut hits: Vec<Hit>) -> Vec<Hit> {
        hits.sort_by_key(|h| (h.secret.start, h.secret.end));
        let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
        for hit in hits {
            if let Some(last) = kept.last_mut() {
                if hit.secret.start < last.secret.end {
                    let rank = |h: &Hit| (self.info(h).confidence, h.secret.len());
                    if rank(&hit) > rank(last) {
                        *last = hit;
                    }
                    continue;
                }
            }
            kept.push(hit);
        }
        kept
    }

    /// The rule as reported for a hit: the known value's, or the rule's (its low-confidence
    /// twin when the checksum failed).
    fn info<'a>(&'a self, hit: &'a Hit) -> &'a Arc<RuleInfo> {
        if let Some(known) = &hit.known {
            return known;
        }
        let rule = &self.rules[hit.rule as usize];
        if hit.unverified {
            &rule.unverified
        } else {
            &rule.info
        }
    }

    /// Builds the finding for a hit. `positions` advances monotonically over the chunk, so line
    /// numbers and line starts cost one pass over it whatever the number of findings; `spans`
    /// are all secrets found in the chunk, masked in this finding's context excerpt.
    fn finding(&self, chunk: &Chunk, hit: &Hit, positions: &mut Positions<'_>, spans: &[Range<usize>]) -> Finding {
        // A known value shows no prefix at all; a rule may show its public prefix.
        let keywords: &[Vec<u8>] = if hit.known.is_some() { &[] } else { &self.rules[hit.rule as usize].keywords };
        let data = chunk.data.as_slice();
        let Range { start, end } = hit.secret;
        let (abs, line, column) = positions.at(start);
        let line_begin_in_data = positions.line_begin().unwrap_or(0);
        let secret = &data[start..end];
        let inner_lines = count_lines(secret);
        let end_column = match memchr::memrchr(b'\n', secret) {
            Some(nl) => (secret.len() - nl) as u64,
            None => column + secret.len() as u64,
        };
        let before_from = start.saturating_sub(CONTEXT_CAP);
        let before_from =
            memchr::memrchr(b'\n', &data[before_from..start]).map_or(before_from, |nl| before_from + nl + 1);
        let after_to = (end + CONTEXT_CAP).min(data.len());
        let after_to = memchr::memchr(b'\n', &data[end..after_to]).map_or(after_to, |nl| end + nl);
        // Another secret on the same line must not show in this one's context.
        let mut before = data[before_from..start].to_vec();
        mask_others(&mut before, before_from..start, spans);
        let mut after = trim_cr(&data[end..after_to]).to_vec();
        let after_range = end..end + after.len();
        mask_others(&mut after, after_range.clone(), spans);
        if chunk.content == Content::Binary {
            // Rules without a distinctive prefix do not run on binary content, so a
            // `DATABASE_PASSWORD=…` next to this secret (an environment block in a core) is no
            // finding: the text rules run over the excerpt so that its values are masked too.
            let near: Vec<Range<usize>> = self
                .scan_text(&data[before_from..after_range.end], Content::Text)
                .iter()
                .map(|f| before_from + f.offset as usize..before_from + f.offset as usize + f.secret.len())
                .collect();
            mask_others(&mut before, before_from..start, &near);
            mask_others(&mut after, after_range, &near);
        }
        let visible = keywords
            .iter()
            .filter(|k| secret.len() >= k.len() && secret[..k.len()].eq_ignore_ascii_case(k))
            .map(|k| k.len())
            .max()
            .unwrap_or(0)
            .min(8);
        Finding {
            rule: Arc::clone(self.info(hit)),
            origin: Arc::clone(&chunk.origin),
            offset: abs,
            line,
            column,
            end_line: line + inner_lines,
            end_column,
            secret: Secret::new(secret.to_vec()),
            visible,
            entropy: crate::entropy::shannon(secret),
            before,
            after,
            matched: Secret::new(data[hit.matched.clone()].to_vec()),
            // The match as shown is clipped to the secret's line (a rule's leading `\s*` may
            // have run back over the previous line's end).
            match_around: (
                start - hit.matched.start.max(line_begin_in_data).min(start),
                hit.matched.end.max(end) - end,
            ),
            encoding: None,
        }
    }
}

/// The keyword automaton as a flat transition table: one load for the byte's class and one for
/// the next state per input byte: Aho-Corasick (case-insensitive, every overlapping match)
/// built as a complete transition table. The keyword scan is the one pass over all input
/// and a DFA walk is bound by the latency of each dependent load, so [`KeywordDfa::hits`] walks
/// [`LANES`] slices of a chunk at once. The test for a match state after each byte is off that
/// chain of loads, and costs nothing measurable; walking a block again on a table where match
/// states sank (tested once per block) cost a quarter of the time on a core dump, where
/// `libssl.so` puts the keyword `sl.` every hundred bytes. The match states a block reaches
/// are noted and reported after it: reporting inside the walk kept more registers live than
/// there are, and a lane's state went through the stack on every byte.
struct KeywordDfa {
    /// Classes, transitions and match states. (An index into the table masked to a
    /// power-of-two length spared the bounds check but put an `and` on the chain of dependent
    /// loads each byte waits for: slower. `u16` states inside a table of fixed length spare it
    /// with nothing on the chain: see [`crate::keyword_table`].)
    tables: Tables,
    /// The longest keyword's length.
    longest: usize,
    /// Every keyword is made of string bytes (so `hits_in_strings` finds them all).
    ascii: bool,
}

/// The shortest string [`KeywordDfa::hits_in_strings`] surely looks for keywords in.
pub const MIN_STRING: usize = 8;

/// Printable ASCII (space to `~`): the bytes of a string in binary data, as ranges for
/// [`crate::bytemask::in_ranges`].
const STRING_BYTES: &[(u8, u8)] = &[(0x20, 0x7e)];

/// Whether `b` is in [`STRING_BYTES`].
fn is_string_byte(b: u8) -> bool {
    STRING_BYTES.iter().any(|&(lo, hi)| (lo..=hi).contains(&b))
}
/// Slices of a chunk walked at once by [`KeywordDfa::hits`].
const LANES: usize = 4;
/// Bytes per lane taken at once (fixed-size arrays: no bounds check per byte).
const BLOCK: usize = 32;

impl KeywordDfa {
    /// The automaton for `patterns` (ASCII case-insensitive): the tables built ahead of time
    /// when they are the built-in pack's keywords in pack order (any scan without rules of its
    /// own), else built now ([`crate::keyword_table::build`]).
    fn new(patterns: &[Vec<u8>]) -> KeywordDfa {
        use crate::pack::prebuilt;
        let is_pack = prebuilt::KEYWORDS.len() == patterns.len()
            && prebuilt::KEYWORDS.iter().zip(patterns).all(|(k, p)| *k == p.as_slice());
        KeywordDfa::on(patterns, if is_pack { prebuilt::tables() } else { crate::keyword_table::build(patterns) })
    }

    /// The automaton walking `tables`, built for `patterns`.
    fn on(patterns: &[Vec<u8>], tables: Tables) -> KeywordDfa {
        KeywordDfa {
            tables,
            longest: patterns.iter().map(Vec::len).max().unwrap_or(0),
            ascii: patterns.iter().flatten().all(|&b| is_string_byte(b)),
        }
    }

    /// Calls `hit(pattern, start, end)` for every occurrence of every keyword in `data`,
    /// overlapping ones included, in no particular order.
    ///
    /// Lane `k` reports the keywords whose looked-for prefix ends in `(bounds[k], bounds[k + 1]]`
    /// and starts walking `head - 1` bytes before its slice (`head`: the longest such prefix) so
    /// a prefix straddling a boundary is seen whole (by the lane it ends in, and only by it).
    fn hits(&self, data: &[u8], mut hit: impl FnMut(usize, usize, usize)) {
        let part = data.len() / LANES;
        // The longest prefix the automaton looks for.
        let head = self.longest.min(self.tables.prefix).max(1);
        if part < 2 * head.max(BLOCK) {
            self.walk(data, 0, data.len(), 0, 0, &mut hit);
            return;
        }
        let bounds: [usize; LANES + 1] = std::array::from_fn(|k| if k == LANES { data.len() } else { k * part });
        let from: [usize; LANES] = std::array::from_fn(|k| if k == 0 { 0 } else { bounds[k] + 1 - head });
        let blocks = (0..LANES).map(|k| bounds[k + 1] - from[k]).min().unwrap_or(0) / BLOCK;
        let (classes, table, first_match) = self.parts();
        let mut states = [0u32; LANES];
        // The match states a block reached, `(state, lane * BLOCK + byte)`: at most one per
        // byte of each lane, so the `%` never wraps (it spares a bounds check).
        let mut ended = [(0u32, 0u32); LANES * BLOCK];
        for b in 0..blocks {
            let at = b * BLOCK;
            let lanes: [&[u8; BLOCK]; LANES] = std::array::from_fn(|k| {
                data[from[k] + at..from[k] + at + BLOCK].try_into().expect("a block is BLOCK bytes")
            });
            let mut n = 0;
            // Byte `i` of every lane, then byte `i + 1`: the lanes' loads overlap.
            #[allow(clippy::needless_range_loop)]
            for i in 0..BLOCK {
                for k in 0..LANES {
                    let class = u32::from(classes[usize::from(lanes[k][i])]);
                    states[k] = u32::from(table[(UNIT as u32 * states[k] + class) as usize]);
                    if states[k] >= first_match {
                        ended[n % (LANES * BLOCK)] = (states[k], (k * BLOCK + i) as u32);
                        n += 1;
                    }
                }
            }
            for &(state, lane_byte) in &ended[..n] {
                let (k, i) = (lane_byte as usize / BLOCK, lane_byte as usize % BLOCK);
                let end = from[k] + at + i + 1;
                if end > bounds[k] {
                    self.report(data, state, end, &mut hit);
                }
            }
        }
        for k in 0..LANES {
            let tail = from[k] + blocks * BLOCK;
            self.walk(data, tail, bounds[k + 1], states[k], bounds[k], &mut hit);
        }
    }

    /// [`KeywordDfa::hits`] for binary data, walking only the blocks that may hold a string: a
    /// secret in memory or in a binary file is a string of printable ASCII, and the rules
    /// applied to binary content are the ones with a distinctive prefix, whose keyword is part
    /// of it. Every keyword in a string of at least [`MIN_STRING`] bytes is reported, some in
    /// shorter strings may be. Each 64-byte block gets a bitmask of its printable bytes (SWAR,
    /// no branch per byte); a block is live when it holds 8 printable bytes in a row, or its
    /// first ones complete a string the block before ended with. Live blocks close together
    /// are walked as one region, with the four-lane walk; zero pages and random bytes are not
    /// walked at all.
    ///
    /// Returns the blocks where UTF-16 text may start (`utf16::may_start_run` on each block's
    /// NUL mask, one bit per block), read from the same loads, or `None` when the keywords are
    /// not all string bytes and the whole of `data` was walked instead.
    fn hits_in_strings(&self, data: &[u8], mut hit: impl FnMut(usize, usize, usize)) -> Option<Vec<u64>> {
        if !self.ascii {
            self.hits(data, hit);
            return None;
        }
        let mut utf16 = vec![0u64; data.len().div_ceil(64).div_ceil(64)];
        // A keyword in a string that reaches into a live block lies within this much of it.
        let margin = self.longest.max(MIN_STRING);
        let mut walk = |from: usize, to: usize| {
            let (from, to) = (from.saturating_sub(margin), (to + margin).min(data.len()));
            self.hits(&data[from..to], |pattern, s, e| hit(pattern, from + s, from + e));
        };
        // The live blocks seen and not walked yet. Regions are merged unless their margins
        // cannot meet, so a keyword lies in at most one walked slice and is reported once.
        let mut region: Option<Range<usize>> = None;
        let mut before = 0; // printable bytes ending the previous block
        for (i, block) in data.chunks(64).enumerate() {
            let m = crate::bytemask::in_ranges(block, STRING_BYTES);
            if crate::utf16::may_start_run(crate::bytemask::in_ranges(block, crate::utf16::NUL)) {
                utf16[i / 64] |= 1 << (i % 64);
            }
            let first = m.trailing_ones() as usize;
            // Bit i of `eight`: bytes i..i + 8 of the block are printable (MIN_STRING = 8).
            let eight = crate::bytemask::ones_from(m, MIN_STRING as u32);
            let live = eight != 0 || before + first >= MIN_STRING;
            before = if first == 64 { before + 64 } else { m.leading_ones() as usize };
            if !live {
                continue;
            }
            let at = i * 64..i * 64 + block.len();
            region = match region {
                Some(r) if at.start < r.end + 2 * margin => Some(r.start..at.end),
                Some(r) => {
                    walk(r.start, r.end);
                    Some(at)
                }
                None => Some(at),
            };
        }
        if let Some(r) = region {
            walk(r.start, r.end);
        }
        Some(utf16)
    }

    /// Walks `data[from..to]` from `state`, reporting the keywords whose prefix ends after
    /// `report_after`; returns the state it ends in.
    fn walk(
        &self,
        data: &[u8],
        from: usize,
        to: usize,
        mut state: u32,
        report_after: usize,
        hit: &mut impl FnMut(usize, usize, usize),
    ) -> u32 {
        let (classes, table, first_match) = self.parts();
        for (i, &byte) in data[..to].iter().enumerate().skip(from) {
            state = u32::from(table[(UNIT as u32 * state + u32::from(classes[usize::from(byte)])) as usize]);
            if state >= first_match && i + 1 > report_after {
                self.report(data, state, i + 1, hit);
            }
        }
        state
    }

    /// The classes, the table at its fixed length (so that no index into it is checked: a
    /// `u16` state and a `u8` class are always inside) and the first match state.
    fn parts(&self) -> (&[u8; 256], &[u16; TABLE_LEN], u32) {
        let table = self.tables.table[..].try_into().expect("keyword tables are TABLE_LEN long");
        (&self.tables.classes, table, self.tables.first_match)
    }

    /// Reports the keywords whose prefix ends at `end` in match state `state` and that `data`
    /// holds whole from there.
    #[cold]
    fn report(&self, data: &[u8], state: u32, end: usize, hit: &mut impl FnMut(usize, usize, usize)) {
        for &m in self.tables.matches_at(state) {
            if let Some(r) = self.tables.confirm(data, m, end) {
                hit(m.0 as usize, r.start, r.end);
            }
        }
    }
}

/// The bytes of `data` a rule's regex runs on for the keyword hit at `start..end`: every match
/// holding that keyword occurrence fits in it. Within `max_len` either side; within the rule's
/// reach when its matches hold their keyword; within the keyword's line when they cannot span
/// lines either. `None` when the rule's guard does not match right after the keyword: no
/// match holds this occurrence (tested before the line bounds are looked for, as most hits
/// fail it).
fn window(rule: &Rule, data: &[u8], start: usize, end: usize) -> Option<Range<usize>> {
    let rule = rule.parsed()?;
    let (before, after) = match rule.reach {
        Some(r) => (r.before.min(rule.max_len), r.after.min(rule.max_len)),
        None => (rule.max_len, rule.max_len),
    };
    let lo = start.saturating_sub(before);
    let hi = (end + after).min(data.len());
    if rule.guard.as_ref().is_some_and(|g| !g.allows(data, end, hi)) {
        return None;
    }
    if rule.reach.is_none() || rule.crosses_lines {
        return Some(lo..hi);
    }
    let lo = memchr::memrchr(b'\n', &data[lo..start]).map_or(lo, |p| lo + p + 1);
    let hi = memchr::memchr(b'\n', &data[end..hi]).map_or(hi, |p| end + p);
    Some(lo..hi)
}

/// Replaces with `*` the bytes of `excerpt` (which holds `data[at]`) that belong to any of the
/// secret `spans`.
fn mask_others(excerpt: &mut [u8], at: Range<usize>, spans: &[Range<usize>]) {
    // The spans are sorted and disjoint (ends sorted too): only those from the first one
    // ending after the excerpt starts are looked at, so a chunk of many findings is not
    // quadratic.
    let first = spans.partition_point(|s| s.end <= at.start);
    for span in spans[first..].iter().take_while(|s| s.start < at.end) {
        let (from, to) = (span.start.max(at.start) - at.start, span.end.min(at.end) - at.start);
        let to = to.min(excerpt.len());
        excerpt[from..to].iter_mut().for_each(|b| *b = b'*');
    }
}

fn trim_cr(bytes: &[u8]) -> &[u8] {
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

/// The secret's span within a match: the rule's secret group, else the first group that took
/// part in the match (alternations), else the whole match.
pub fn secret_span(rule: &Rule, data: &[u8], matched: Range<usize>, caps: &mut Option<Captures>) -> Range<usize> {
    let Some(rule) = rule.parsed() else { return matched };
    if rule.secret_group == 0 {
        return matched;
    }
    let Some(regex) = rule.regex.get() else { return matched };
    let caps = caps.get_or_insert_with(|| regex.create_captures());
    let input = Input::new(data).range(matched.clone()).anchored(Anchored::Yes);
    regex.search_captures(&input, caps);
    caps.get_group(rule.secret_group)
        .or_else(|| (1..caps.group_len()).find_map(|g| caps.get_group(g)))
        .map_or(matched, |span| span.range())
}

/// The secret filters every match passes: non-empty, entropy floor, not a placeholder, and for
/// generic assignments not an identifier. (A failed checksum does not drop a match: the
/// finding is reported at low confidence.)
pub fn is_kept(rule: &Rule, secret: &[u8]) -> bool {
    let dropped = secret.is_empty()
        || crate::entropy::shannon(secret) < rule.min_entropy
        || (rule.placeholders && is_placeholder(secret))
        || (rule.generic_value && is_identifier_value(secret));
    !dropped
}

/// Values on the right of `token = …`/`password: …` that are identifiers or code, not secrets:
/// UUIDs (request, change and idempotency tokens), numbers, short hex ids, and words such as
/// `None`, `null`, `true`, `password`, `required`.
pub fn is_identifier_value(value: &[u8]) -> bool {
    let is_uuid = value.len() == 36
        && value.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    if is_uuid || value.iter().all(|b| b.is_ascii_digit() || *b == b'.' || *b == b'-') {
        return true;
    }
    if value.len() <= 16 && value.iter().all(u8::is_ascii_hexdigit) && value.iter().any(u8::is_ascii_alphabetic) {
        return true;
    }
    const WORDS: &[&[u8]] = &[
        b"none",
        b"null",
        b"nil",
        b"true",
        b"false",
        b"undefined",
        b"password",
        b"passwd",
        b"required",
        b"optional",
        b"string",
        b"self",
        b"empty",
        b"default",
        b"hidden",
        b"unknown",
        b"missing",
        b"not-set",
        b"notset",
        b"not_set",
        b"pass",
        b"passed",
        b"fail",
        b"failed",
        // Configure and autoconf values (`d_grpasswd='define'`, `i_pwd='undef'` in Perl's Config).
        b"define",
        b"undef",
        b"enabled",
        b"disabled",
        // Hash and key-derivation names (`password_encryption = scram-sha-256` in postgresql.conf).
        b"scram-sha-256",
        b"md5",
        b"sha256",
        b"sha512",
        b"bcrypt",
        b"argon2",
        b"argon2id",
        b"pbkdf2",
        // typeshed's stand-in type in stubs (`password: Incomplete`).
        b"incomplete",
        b"guest",
        b"root",
        b"postgres",
    ];
    let lower = value.to_ascii_lowercase();
    if WORDS.iter().any(|w| lower == *w) || is_password_word(&lower) {
        return true;
    }
    // Code and markup rather than a value: `$var`, `#{interp}`, `#selector`, `/path`, `./x`,
    // `&lt;…&gt;`, a URL, a UI label ending in `:`, a dotted reference such as
    // `env.DB_PASSWORD`, an AWS ARN or a Google Cloud resource name
    // (`projects/p/secrets/s/versions/2`: where a secret is kept, not the secret).
    const CODE: &[&[u8]] = &[b"#{", b"&lt;", b"://", b"()"];
    let anchor = value[0] == b'#' && value[1..].iter().all(|b| b.is_ascii_alphabetic() || matches!(b, b'-' | b'_'));
    if anchor
        || matches!(value[0], b'$' | b'/' | b'{' | b'[' | b'.' | b'%' | b'@' | b'+' | b'\'' | b'"')
        || matches!(value[value.len() - 1], b':' | b'(' | b'+' | b'\'' | b'"')
        || value.starts_with(b"arn:")
        || value.starts_with(b"projects/")
        || MEMBERS.iter().any(|m| value.starts_with(m))
        || is_expression(value)
        || is_timestamp(value)
        || (value.contains(&b'/') && memchr::memmem::find(&lower, b"passw").is_some())
        || is_description(&lower)
        || CODE.iter().any(|c| memchr::memmem::find(value, c).is_some())
    {
        return true;
    }
    is_dotted_reference(value)
        || is_secret_name(&lower)
        || is_constant_name(value, &lower)
        || is_anonymous_ftp_password(value)
}

/// The word `password` with digits or punctuation around it (`password123`, `Password1!`,
/// `123password`): what manuals and CLI help write for a password (`gcloud sql instances create
/// --root-password=password123`), never one worth reporting.
fn is_password_word(lower: &[u8]) -> bool {
    let core = |b: &u8| !(b.is_ascii_digit() || b.is_ascii_punctuation());
    let from = lower.iter().position(core).unwrap_or(lower.len());
    let to = lower.iter().rposition(core).map_or(from, |p| p + 1);
    to - from < lower.len() && matches!(&lower[from..to], b"password" | b"passwd")
}

/// `guest@`, `IEUser@`: by the anonymous-FTP convention (RFC 1635) the password of the
/// `anonymous` login is the user's e-mail address, and clients send a bare `name@`. It
/// identifies the client; it guards nothing.
fn is_anonymous_ftp_password(value: &[u8]) -> bool {
    match value.split_last() {
        Some((b'@', name)) => {
            !name.is_empty() && name.iter().all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'.' | b'-'))
        }
        _ => false,
    }
}

/// A constant or enum name that mentions a password: `FORCE_CHANGE_PASSWORD`,
/// `no-password-required` (but not `thisismypassword`, nor `myPassword`, a value in
/// connection-string templates that people do fill in literally).
fn is_constant_name(value: &[u8], lower: &[u8]) -> bool {
    let word = memchr::memmem::find(lower, b"passw").is_some();
    let separated = value.iter().any(|b| matches!(b, b'_' | b'-'));
    word && separated && value.iter().all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'-'))
}

/// A digit-free identifier that names a secret rather than holding one: `MyDatabaseSecret`,
/// `aws_secret_access_key`, `TwilioAuthToken`.
fn is_secret_name(lower: &[u8]) -> bool {
    lower.iter().all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'-'))
        && [&b"secret"[..], b"token"].iter().any(|w| lower.len() > w.len() && memchr::memmem::find(lower, w).is_some())
}

/// A date or timestamp (`2016-09-08T21:47:36Z`, as in `"PasswordLastUsed": "…"`).
fn is_timestamp(value: &[u8]) -> bool {
    let digits = |r: std::ops::Range<usize>| value.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    digits(0..4) && value.get(4) == Some(&b'-') && digits(5..7) && value.get(7) == Some(&b'-') && digits(8..10)
}

/// An expression in (minified) code: `a||b`, `x&&y`, `c==1?d:e` (`==` only before the end,
/// where base64 pads).
fn is_expression(value: &[u8]) -> bool {
    let inner = &value[..value.len().saturating_sub(2)];
    [&b"||"[..], b"&&"].iter().any(|op| memchr::memmem::find(value, op).is_some())
        || memchr::memmem::find(inner, b"==").is_some()
}

/// Words naming a secret inside a value of several words: a description or a UI string
/// (`'Password used to generate key'`, `"Private key password 1"`, `'top secret'`), not the
/// secret itself.
fn is_description(lower: &[u8]) -> bool {
    lower.contains(&b' ')
        && [&b"passw"[..], b"secret", b"passphrase"].iter().any(|w| memchr::memmem::find(lower, w).is_some())
}

/// For generic assignments: the name assigned to (the match before the value) is a known
/// non-secret — pagination, idempotency and change tokens of cloud APIs (`NextToken`,
/// `ClientToken`), references to a secret (`SecretId`, `SecretArn`), token metadata.
pub fn names_no_secret(key: &[u8]) -> bool {
    const NAMES: &[&[u8]] = &[
        b"nexttoken",
        b"pagetoken",
        b"paginationtoken",
        b"continuationtoken",
        b"changetoken",
        b"idempotencytoken",
        b"clientrequesttoken",
        b"requesttoken",
        b"purchasetoken",
        b"sequencetoken",
        b"forwardtoken",
        b"backwardtoken",
        b"importtoken",
        b"exporttoken",
        b"producttoken",
        b"synctoken",
        b"resumetoken",
        b"secretid",
        b"secretarn",
        b"secretname",
        b"secretref",
        b"tokenprefix",
        b"tokentype",
        b"tokenurl",
        b"tokenendpoint",
        b"tokenuri",
        b"passwordpolicy",
        b"passwordlength",
    ];
    let squashed: Vec<u8> = key.iter().filter(|b| b.is_ascii_alphanumeric()).map(u8::to_ascii_lowercase).collect();
    NAMES.iter().any(|n| memchr::memmem::find(&squashed, n).is_some())
}

/// Whether the match `data[matched]` (a .netrc line, a URL) names a documentation host
/// (`example.com`/`.net`/`.org` or a subdomain, `*.example`, `*.invalid`; RFC 2606) or a
/// stand-in for one (`HOSTNAME`, `{full machine name}`, `<host>`, `$HOST`): the
/// host is read on past the match's end (a URL rule's match ends at the host's first byte),
/// and roff's `\&` escape (`example\&.org` in man pages) is skipped. Man pages and manuals
/// show `machine example.org login apt password debian` and `ftp://user:pass@example.com`:
/// 61 of the 103 findings on /usr/share, /usr/include, /etc and /var/lib/dpkg were such lines.
fn names_example_host(data: &[u8], matched: Range<usize>) -> bool {
    let is_host = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'\\' | b'&');
    let end = matched.end + data[matched.end..].iter().take(255).take_while(|&&b| is_host(b)).count();
    let mut text = Vec::with_capacity(end - matched.start);
    let mut i = matched.start;
    while i < end {
        if data[i..end].starts_with(b"\\&") {
            i += 2;
            continue;
        }
        text.push(data[i]);
        i += 1;
    }
    // The host: after `machine` in a .netrc line (whose login or password may hold an `@`),
    // else after the last `@` (a URL's userinfo ends there).
    let from = if text.starts_with(b"machine") {
        7 + text[7..].iter().take_while(|b| b.is_ascii_whitespace()).count()
    } else {
        match text.iter().rposition(|&b| b == b'@') {
            Some(at) => at + 1,
            None => return false,
        }
    };
    let token = &text[from..];
    // A stand-in for a host: `HOSTNAME`, `{full machine name}`, `<host>`, `$HOST`.
    let word = &token[..token.iter().position(|b| !(b.is_ascii_alphabetic() || *b == b'_')).unwrap_or(token.len())];
    let spaced = &token[..token.iter().position(u8::is_ascii_whitespace).unwrap_or(token.len())];
    if matches!(token.first(), Some(b'{' | b'<' | b'$' | b'%'))
        || matches!(spaced.last(), Some(b'}' | b'>'))
        || (word.len() >= 4 && word.iter().all(|b| b.is_ascii_uppercase() || *b == b'_'))
    {
        return true;
    }
    let host = token.to_ascii_lowercase();
    let host = &host
        [..host.iter().position(|&b| !(b.is_ascii_alphanumeric() || b == b'.' || b == b'-')).unwrap_or(host.len())];
    let host = host.strip_suffix(b".").unwrap_or(host);
    let labels: Vec<&[u8]> = host.split(|&b| b == b'.').collect();
    matches!(labels.as_slice(), [.., b"example", b"com" | b"net" | b"org"] | [_, .., b"example" | b"invalid"])
}

/// For generic assignments, what the bytes around a value say about it (a match of
/// `data[matched_start..]` whose value is `data[secret]`): the name assigned to holds no
/// secret, the value is off the named credential's format, it is an identifier in code, or a
/// badge URL's public token.
fn is_no_value_here(data: &[u8], matched_start: usize, secret: Range<usize>) -> bool {
    let (key, value) = (&data[matched_start..secret.start], &data[secret.clone()]);
    names_no_secret(key)
        || is_off_format(key, value)
        || is_code_identifier(data, secret.clone())
        || is_badge_token(data, secret.start)
        || is_member_assignment(data, key, secret.start)
        || is_test_result(key, value)
}

/// A test log's result line (a DejaGnu or Automake summary's `PASS:` then a quoted test name,
/// as binutils ships one): the all-caps verdict and a name with spaces, not a password.
fn is_test_result(key: &[u8], value: &[u8]) -> bool {
    let key = key.trim_ascii_start();
    (key.starts_with(b"PASS:") || key.starts_with(b"XPASS:")) && value.contains(&b' ')
}

/// For generic assignments: an unquoted value assigned to a member in code
/// (`_this.tokenize = line_js_1.tokenize;`, `self.token = tok_2`) is an expression; a secret
/// assigned there is a quoted literal.
fn is_member_assignment(data: &[u8], key: &[u8], value_start: usize) -> bool {
    !is_quoted(data, value_start) && MEMBERS.iter().any(|m| memchr::memmem::find(key, m).is_some())
}

/// Member access in code (`this.x`, `self.x`): as a value or a name assigned to, code.
const MEMBERS: &[&[u8]] = &[b"this.", b"self."];

/// Whether the value starting at `data[value_start]` opens with a quote.
fn is_quoted(data: &[u8], value_start: usize) -> bool {
    value_start > 0 && matches!(data[value_start - 1], b'"' | b'\'' | b'`')
}

/// For generic assignments: a bare identifier in code, not a value — the type after the colon
/// in `pub const ERROR_NO_TOKEN: WIN32_ERROR = 1008u32;` or `pub token: TOKEN_TYPE_0,`, an
/// enum path in `SECRET: _bindgen_ty_3 = _bindgen_ty_3::SECRET`, a field in `dot2_token:
/// node.dot2_token,`. The value is unquoted, made of `_`- and `.`-joined words each in one
/// case (random tokens mix cases within a stretch), and code punctuation follows it; a value
/// ending its line (`password: db_pass_2` in YAML) stays.
pub fn is_code_identifier(data: &[u8], secret: Range<usize>) -> bool {
    let value = &data[secret.clone()];
    let type_name = is_type_name(value);
    if is_quoted(data, secret.start) || !(type_name || value.iter().any(|b| matches!(b, b'_' | b'.'))) {
        return false;
    }
    let one_case = |word: &[u8]| !(word.iter().any(u8::is_ascii_uppercase) && word.iter().any(u8::is_ascii_lowercase));
    let part = |p: &[u8]| p.first().is_some_and(|b| !b.is_ascii_digit()) && p.split(|&b| b == b'_').all(one_case);
    let words = value.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
        && value.split(|&b| b == b'.').all(part)
        && value.iter().filter(|b| b.is_ascii_alphabetic()).count() >= 2;
    let next = data[secret.end..].iter().take(16).find(|b| !matches!(b, b' ' | b'\t'));
    // (Not `;`: connection strings end their `Password=…` with one.)
    (words || type_name) && matches!(next, Some(b'=' | b',' | b')' | b'{' | b'>' | b':' | b'(' | b'|'))
}

/// A type name: capitalised words of three or more letters, maybe ending in a width
/// (`AtomicU32`, `HashMap`, `NonZeroU64`, `Int64`).
fn is_type_name(value: &[u8]) -> bool {
    let digits = value.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    if !matches!(&value[value.len() - digits..], b"" | b"8" | b"16" | b"32" | b"64" | b"128") {
        return false;
    }
    let mut words = &value[..value.len() - digits];
    if digits > 0 && words.last().is_some_and(u8::is_ascii_uppercase) {
        words = &words[..words.len() - 1];
    }
    let mut rest = words;
    while let Some((first, tail)) = rest.split_first() {
        let lower = tail.iter().take_while(|b| b.is_ascii_lowercase()).count();
        if !first.is_ascii_uppercase() || lower < 2 {
            return false;
        }
        rest = &tail[lower..];
    }
    !words.is_empty()
}

/// For generic assignments: the `token=` of an image URL (`…/graph/badge.svg?token=…`), a
/// read-only status-badge token that the README it sits in publishes on purpose (Codecov's
/// graphing token, Travis CI's status image token, CircleCI's `circle-token`).
pub fn is_badge_token(data: &[u8], value_start: usize) -> bool {
    // The URL up to the `=` before the value: from the last space, quote or bracket.
    let lo = value_start.saturating_sub(256);
    let Some(before) = data[lo..value_start].strip_suffix(b"=") else { return false };
    let from = before.iter().rposition(|b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'(' | b'<' | b'['));
    let url = before[from.map_or(0, |p| p + 1)..].to_ascii_lowercase();
    let image = [&b".svg?"[..], b".png?"].iter().any(|ext| memchr::memmem::find(&url, ext).is_some());
    // The parameter: `token`, or one ending in it (CircleCI's `circle-token`).
    let param = url.rsplit(|&b| b == b'?' || b == b'&').next().unwrap_or_default();
    image && url.len() > param.len() && param.ends_with(b"token")
}

/// For generic assignments: the name is one whose credential has a fixed, documented shape and
/// the value does not have it — an AWS secret access key is always 40 base64 characters, so a
/// 42-character value assigned to `AWS_SECRET_ACCESS_KEY` is not one (values of the right
/// shape stay for the generic rule even when `aws-secret-access-key` drops them as too regular).
pub fn is_off_format(key: &[u8], value: &[u8]) -> bool {
    let squashed: Vec<u8> = key.iter().filter(|b| b.is_ascii_alphanumeric()).map(u8::to_ascii_lowercase).collect();
    let aws_shape = value.len() == 40 && value.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/'));
    memchr::memmem::find(&squashed, b"awssecretaccesskey").is_some() && !aws_shape
}

/// `a.b`, `env.DB_PASSWORD`, `settings.SECRET`: identifiers joined by dots.
fn is_dotted_reference(value: &[u8]) -> bool {
    // Tokens such as `hvs.CAES…`, `sk.eyJ1…` or `dt0c01.…` are dotted too, but carry digits.
    if value.iter().any(u8::is_ascii_digit) {
        return false;
    }
    let mut parts = 0;
    for part in value.split(|&b| b == b'.') {
        let ident = matches!(part.first(), Some(b) if b.is_ascii_alphabetic() || *b == b'_')
            && part.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
        if !ident {
            return false;
        }
        parts += 1;
    }
    parts >= 2
}

/// Obvious placeholders and documentation values: one or two repeated characters, template
/// syntax (`${X}`, `{{x}}`, `<token>`, `$VAR`), and words such as `EXAMPLE`, `changeme`,
/// `your_`, `xxxx`, `placeholder`, `redacted`, `dummy`, `sample`.
pub fn is_placeholder(secret: &[u8]) -> bool {
    let mut seen = [false; 256];
    let mut distinct = 0;
    for &b in secret {
        if !seen[b as usize] {
            seen[b as usize] = true;
            distinct += 1;
        }
    }
    if secret.len() >= 6 && distinct <= 2 {
        return true;
    }
    if is_variable_reference(secret) || (secret.starts_with(b"<") && secret.ends_with(b">")) {
        return true;
    }
    // Characters in sorted order: an alphabet or lookup table in a binary (bash holds
    // `AAAA…BBBCCDDEEEEEFFF…ZZZ`, which fits the Twitter bearer token's `A{22}[A-Za-z0-9%]{80,}`
    // with an entropy of 3.8), never a generated secret (16 random characters come out sorted
    // once in 16! tries).
    if secret.len() >= 16 && (secret.is_sorted() || secret.iter().rev().is_sorted()) {
        return true;
    }
    // Lowercase words joined by dashes (`md-test-udacity-dsnd-prob`, a package name): an
    // identifier; a token's random part has digits or capitals (a UUID has digits).
    if secret.split(|&b| b == b'-').filter(|w| !w.is_empty()).count() >= 4
        && secret.iter().all(|&b| b.is_ascii_lowercase() || b == b'-')
    {
        return true;
    }
    // A run of consecutive characters (`abcdefg`, `uvwxyz`) stands for a value in examples.
    if secret.len() >= 5 && secret.windows(2).all(|w| w[1] == w[0].wrapping_add(1)) {
        return true;
    }
    const WORDS: &[&[u8]] = &[
        b"example",
        b"xxxx",
        b"****",
        b"changeme",
        b"change_me",
        b"placeholder",
        b"redacted",
        b"your_",
        b"your-",
        b"yourtoken",
        b"dummy",
        b"sample",
        b"${",
        b"{{",
        b"0123456789",
        b"1234567890",
        b"abcdefghij",
        b"abcdefg1",
        b"a1b2c3d4",
        b"1a2b3c4d",
    ];
    // Metasyntactic words as a whole value (`redis://foo:bar@host`); inside a longer value
    // they are just letters.
    const WHOLE: &[&[u8]] = &[b"foo", b"bar", b"baz", b"qux", b"quux", b"foobar"];
    // One automaton for all the words (a `memmem` search per word built 20 searchers per
    // candidate secret: 18% of a scan of a file of 100,000 secrets).
    static WORDS_FOUND: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(WORDS)
            .expect("the placeholder words build")
    });
    WHOLE.iter().any(|w| secret.eq_ignore_ascii_case(w))
        || WORDS_FOUND.is_match(secret)
        || has_format_field(secret)
        || starts_with_brace_field(secret)
}

/// `{name}…`: a Python `str.format` / template field standing for the value.
fn starts_with_brace_field(secret: &[u8]) -> bool {
    let Some(rest) = secret.strip_prefix(b"{") else { return false };
    let name = rest.iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
    name > 0 && rest.get(name) == Some(&b'}')
}

/// A Python `%(name)s` format field (Django keys may hold `%(` by chance, so the word alone
/// is not enough).
fn has_format_field(secret: &[u8]) -> bool {
    memchr::memmem::find_iter(secret, b"%(").any(|at| {
        let rest = &secret[at + 2..];
        let name = rest.iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
        name > 0 && rest.get(name) == Some(&b')')
    })
}

/// `$NAME`, `${...}` or `$(...)`: a shell/template variable, not a value. (`$2y$10$…` bcrypt
/// and `$6$…` crypt hashes are values.)
fn is_variable_reference(s: &[u8]) -> bool {
    match s {
        [b'$', b'{', .., b'}'] | [b'$', b'(', .., b')'] => true,
        [b'$', first, rest @ ..] => {
            (first.is_ascii_alphabetic() || *first == b'_')
                && rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        }
        _ => false,
    }
}

/// True when the line holding `secret` carries an allow marker, or the line before it carries
/// a next-line marker (searched within [`LINE_SEARCH`] bytes).
pub fn is_allowed_by_marker(data: &[u8], secret: Range<usize>) -> bool {
    let lo = secret.start.saturating_sub(LINE_SEARCH);
    let line_start = memchr::memrchr(b'\n', &data[lo..secret.start]).map_or(lo, |nl| lo + nl + 1);
    let hi = (secret.end + LINE_SEARCH).min(data.len());
    let line_end = memchr::memchr(b'\n', &data[secret.end..hi]).map_or(hi, |nl| secret.end + nl);
    let line = &data[line_start..line_end];
    if SAME_LINE_MARKERS.iter().any(|m| has_same_line_marker(line, m)) {
        return true;
    }
    if line_start == 0 {
        return false;
    }
    let prev_end = line_start - 1;
    let plo = prev_end.saturating_sub(LINE_SEARCH);
    let prev_start = memchr::memrchr(b'\n', &data[plo..prev_end]).map_or(plo, |nl| plo + nl + 1);
    let prev = &data[prev_start..prev_end];
    NEXT_LINE_MARKERS.iter().any(|m| memchr::memmem::find(prev, m).is_some())
}

/// `leakscan:allow` counts on its own line unless it is the start of `leakscan:allow-next-line`.
fn has_same_line_marker(line: &[u8], marker: &[u8]) -> bool {
    memchr::memmem::find_iter(line, marker).any(|at| !line[at + marker.len()..].starts_with(b"-next-line"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load_text;

    #[test]
    fn the_built_in_pack_takes_the_keyword_tables_built_ahead_and_they_are_the_ones_built_now() {
        use crate::keyword_table::build;
        use crate::pack::prebuilt;
        // Tables built at run time from the prebuilt keyword list equal the prebuilt ones.
        let keywords: Vec<Vec<u8>> = prebuilt::KEYWORDS.iter().map(|k| k.to_vec()).collect();
        assert_eq!(build(&keywords), prebuilt::tables());
        // The matcher of the built-in rules collects exactly these keywords, so it borrows
        // the prebuilt table instead of building one.
        let matcher = Matcher::new(crate::rules::builtin().unwrap()).unwrap();
        let dfa = matcher.prefilter.as_ref().unwrap();
        assert!(
            matches!(dfa.tables.table, std::borrow::Cow::Borrowed(_)),
            "the built-in pack built its keyword table at run time"
        );
        assert!(keywords.len() > 100);
        // A rule set of its own builds its own.
        let own = Matcher::new(
            load_text("[[rules]]\nid = \"x\"\nregex = 'zzq[0-9]{8}'\nkeywords = [\"zzq\"]\n", "t.toml").unwrap(),
        )
        .unwrap();
        assert!(matches!(own.prefilter.as_ref().unwrap().tables.table, std::borrow::Cow::Owned(_)));
    }

    #[test]
    fn a_keyword_in_the_overlap_still_opens_a_window_on_a_match_the_chunk_owns() {
        // The keyword ends the token, past the owned range's end: the keyword scan stops
        // `keyword_reach` past it, not at the chunk's end, and still sees it.
        let toml = "[[rules]]\nid = \"ctx\"\nregex = '''\\b([a-z]{20}zzvendor)\\b'''\nkeywords = [\"zzvendor\"]\nmax_len = 600\n";
        let matcher = Matcher::new(load_text(toml, "t.toml").unwrap()).unwrap();
        assert_eq!(matcher.keyword_reach, 600 + 8);
        for (content, filler) in [(Content::Text, b'.'), (Content::Binary, 0u8)] {
            let mut data = vec![filler; 70_000];
            data[984..1014].copy_from_slice(b" qzjvmwxkrbtyhqpwzvkdzzvendor ");
            // A token the next chunk owns, far into the overlap.
            data[60_000..60_030].copy_from_slice(b" hqpwzvkdqzjvmwxkrbtyzzvendor ");
            let chunk = Chunk {
                origin: Arc::new(Origin::Stdin),
                data,
                offset: 0,
                line: 1,
                line_start: 0,
                owned: 0..1000,
                content,
            };
            let mut out = Vec::new();
            matcher.scan(&chunk, &mut out);
            let found: Vec<&[u8]> = out.iter().map(|f| f.secret.expose()).collect();
            assert_eq!(found, [b"qzjvmwxkrbtyhqpwzvkdzzvendor".as_slice()], "{content:?}");
        }
    }

    /// The keywords the automaton tests walk for.
    fn test_keywords() -> Vec<Vec<u8>> {
        ["auth0", "ghp_", "key", "api_key", "password", "pass", "://", "sk-ant-", "ey", "_auth", "passwd"]
            .map(|p| p.as_bytes().to_vec())
            .into()
    }

    /// `len` bytes of the keywords' letters in both cases, with `PassWord` straddling each
    /// quarter boundary (where the lanes meet) and `_AuTh0` after it: a keyword ending where
    /// another does, reached by a failure link from it.
    fn keyword_soup(seed: &mut u64, len: usize) -> Vec<u8> {
        let mut data: Vec<u8> = (0..len)
            .map(|_| {
                *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                b"abcdeyKkPpAaSsWwOoRrDd_:/ghpikn- \n"[(*seed >> 33) as usize % 34]
            })
            .collect();
        for q in 1..4 {
            let at = (len * q / 4).saturating_sub(3);
            if at + 8 <= data.len() {
                data[at..at + 8].copy_from_slice(b"PassWord");
            }
            let at = (len * q / 4 + 20).min(len.saturating_sub(6));
            if at + 6 <= data.len() && len > 64 {
                data[at..at + 6].copy_from_slice(b"_AuTh0");
            }
        }
        data
    }

    #[test]
    fn keyword_dfa_finds_what_aho_corasick_finds_across_its_four_streams() {
        let patterns = test_keywords();
        let kd = KeywordDfa::new(&patterns);
        assert_eq!(kd.tables.prefix, 8, "these keywords fit whole");
        let mut seed = 7u64;
        for len in [0usize, 5, 63, 64, 65, 1000, 4099, 20_000, 100_003] {
            let (got, want) = hits_both_ways(&kd, &patterns, &keyword_soup(&mut seed, len));
            assert_eq!(got, want, "length {len}");
        }
    }

    /// A keyword occurrence: `(pattern, start, end)`.
    type Hit = (usize, usize, usize);

    /// Every keyword occurrence in `data`, sorted: what `kd` reports
    /// and what Aho-Corasick (overlapping, case-insensitive) finds.
    fn hits_both_ways(kd: &KeywordDfa, patterns: &[Vec<u8>], data: &[u8]) -> (Vec<Hit>, Vec<Hit>) {
        let ac = aho_corasick::AhoCorasick::builder().ascii_case_insensitive(true).build(patterns).unwrap();
        let mut want: Vec<_> =
            ac.find_overlapping_iter(data).map(|m| (m.pattern().as_usize(), m.start(), m.end())).collect();
        let mut got = Vec::new();
        kd.hits(data, |p, s, e| got.push((p, s, e)));
        want.sort_unstable();
        got.sort_unstable();
        (got, want)
    }

    #[test]
    fn keyword_dfa_on_keyword_prefixes_finds_every_whole_keyword() {
        // The automaton of the first 1, 2 or 3 bytes of each keyword: every hit is checked
        // against the whole keyword, which may run past a lane's end or the data's.
        let patterns = test_keywords();
        let mut seed = 11u64;
        for prefix in [1, 2, 3] {
            let kd = KeywordDfa::on(&patterns, crate::keyword_table::build_on(&patterns, prefix));
            for len in [0usize, 7, 64, 1000, 4099, 100_003] {
                let mut data = keyword_soup(&mut seed, len);
                if len >= 5 {
                    // A keyword whose prefix is at the very end, cut short by the data's end.
                    data[len - 5..].copy_from_slice(b"passw");
                }
                let (got, want) = hits_both_ways(&kd, &patterns, &data);
                assert_eq!(got, want, "prefix {prefix}, length {len}");
            }
        }
    }

    #[test]
    fn a_keyword_set_too_large_for_u16_states_is_looked_for_by_prefix_and_still_found() {
        // 4,000 keywords of 12 to 20 bytes: ~50,000 trie states, more than `u16` states hold.
        let mut seed = 3u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        let alphabet = b"abcdefghijklmnopqrstuvwxyz0123_-";
        let patterns: Vec<Vec<u8>> =
            (0..4000).map(|_| (0..12 + next() % 9).map(|_| alphabet[next() % alphabet.len()]).collect()).collect();
        let kd = KeywordDfa::new(&patterns);
        assert!(kd.tables.prefix < 12, "prefix {}", kd.tables.prefix);
        let mut data: Vec<u8> = (0..200_000).map(|_| alphabet[next() % alphabet.len()]).collect();
        for at in (100..199_000).step_by(997) {
            let p = &patterns[next() % patterns.len()];
            let upper: Vec<u8> = p.iter().map(|b| if next() % 2 == 0 { b.to_ascii_uppercase() } else { *b }).collect();
            data[at..at + p.len()].copy_from_slice(&upper);
        }
        let (got, want) = hits_both_ways(&kd, &patterns, &data);
        assert!(want.len() >= 190, "planted keywords: {}", want.len());
        assert_eq!(got, want);
    }

    #[test]
    fn context_masks_exactly_the_other_secrets_it_overlaps() {
        let spans = [0..2, 5..8, 10..12, 20..25, 30..31];
        let mut excerpt = b"abcdefghijklmnop".to_vec(); // data[6..22]
        super::mask_others(&mut excerpt, 6..22, &spans);
        assert_eq!(excerpt, b"**cd**ghijklmn**");
        let mut none = b"xyz".to_vec();
        super::mask_others(&mut none, 2..5, &spans);
        assert_eq!(none, b"xyz");
    }

    #[test]
    fn binary_keyword_scan_finds_the_keywords_of_every_string_once() {
        let patterns: Vec<Vec<u8>> = ["ghp_", "sl.", "q~", "xoxb-", "AKIA"].map(|p| p.as_bytes().to_vec()).into();
        let kd = KeywordDfa::new(&patterns);
        for (seed, len) in [(1u64, 0usize), (2, 7), (3, 64), (4, 4099), (5, 100_003)] {
            // Random bytes with long zero stretches, then keywords planted in strings of every
            // length from 2 to 12 (at every alignment), bounded by a NUL on each side.
            let mut data = crate::testutil::random_bytes(seed, len);
            for z in (0..len).step_by(997) {
                data[z..(z + 600).min(len)].fill(0);
            }
            let mut at = 1;
            for n in 2..=12usize {
                for _ in 0..4 {
                    let kw = [&b"ghp_"[..], b"sl.", b"q~", b"xoxB-", b"akia"][(at + n) % 5];
                    let string: Vec<u8> = kw.iter().chain(b"abcdefghijkl").copied().take(n.max(kw.len())).collect();
                    if at + string.len() + 2 >= len {
                        break;
                    }
                    data[at] = 0;
                    data[at + 1..at + 1 + string.len()].copy_from_slice(&string);
                    data[at + 1 + string.len()] = 0;
                    at += string.len() + 2 + 1 + (at % 7) + 150 * (n % 3);
                }
            }
            let run_len = |s: usize, e: usize| {
                let a = data[..s].iter().rposition(|&b| !is_string_byte(b)).map_or(0, |p| p + 1);
                let b = data[e..].iter().position(|&b| !is_string_byte(b)).map_or(len, |p| e + p);
                b - a
            };
            let mut all = Vec::new();
            kd.hits(&data, |p, s, e| all.push((p, s, e)));
            all.sort_unstable();
            let mut got = Vec::new();
            kd.hits_in_strings(&data, |p, s, e| got.push((p, s, e)));
            got.sort_unstable();
            // Every keyword in a string of MIN_STRING bytes or more; nothing twice; nothing
            // that is not a keyword occurrence.
            for h in all.iter().filter(|&&(_, s, e)| run_len(s, e) >= MIN_STRING) {
                assert!(got.binary_search(h).is_ok(), "length {len}: missed {h:?}");
            }
            assert!(got.windows(2).all(|w| w[0] != w[1]), "length {len}: reported twice");
            assert!(got.iter().all(|h| all.binary_search(h).is_ok()), "length {len}");
            assert!(len < 50_000 || got.len() >= 10, "length {len}: planted keywords found: {}", got.len());
        }
        // Zeros around one long string and one short one: only the long one's keyword.
        let mut data = vec![0u8; 1 << 16];
        data[1001..1001 + 20].copy_from_slice(b"xoxb-1234567890abcde");
        data[40_003..40_006].copy_from_slice(b"q~x");
        let mut got = Vec::new();
        kd.hits_in_strings(&data, |p, s, e| got.push((p, s, e)));
        assert_eq!(got, [(3, 1001, 1006)]);
    }

    fn matcher(toml: &str) -> Matcher {
        Matcher::new(load_text(toml, "t.toml").unwrap()).unwrap()
    }

    const GH: &str = r#"
[[rules]]
id = "tok"
regex = '''\b(tok_[a-z0-9]{12})\b'''
keywords = ["tok_"]
confidence = "high"
[[rules]]
id = "generic"
regex = '''(?i)secret\s*=\s*"?([^\s"]{8,})'''
keywords = ["secret"]
confidence = "low"
binary = false
"#;

    #[test]
    fn finds_positions_and_prefers_confident_rule() {
        let m = matcher(GH);
        let f = m.scan_text(b"a\nxx secret = \"tok_ab12cd34ef56\"\n", Content::Text); // leakscan:allow (synthetic test value)
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule.id, "tok");
        assert_eq!((f[0].line, f[0].column, f[0].end_column), (2, 14, 30));
        assert_eq!(f[0].visible, 4);
        assert_eq!(f[0].context_text(false), "xx secret = \"tok_…[redacted, 16 chars]\"");
    }

    #[test]
    fn context_never_shows_another_secret_on_the_line() {
        let m = matcher(GH);
        let f = m.scan_text(b"a=tok_ab12cd34ef56 b=tok_zz98yy76xx54 c\n", Content::Text);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].context_text(false), "a=tok_…[redacted, 16 chars] b=**************** c");
        assert_eq!(f[1].context_text(false), "a=**************** b=tok_…[redacted, 16 chars] c");
    }

    #[test]
    fn markers_suppress() {
        let m = matcher(GH);
        assert!(m.scan_text(b"tok_ab12cd34ef56 # leakscan:allow", Content::Text).is_empty());
        assert!(m.scan_text(b"tok_ab12cd34ef56 # gitleaks:allow", Content::Text).is_empty());
        assert!(m.scan_text(b"// leakscan:allow-next-line\ntok_ab12cd34ef56", Content::Text).is_empty());
        assert_eq!(m.scan_text(b"// leakscan:allow-next-line tok_ab12cd34ef56", Content::Text).len(), 1);
        assert_eq!(m.scan_text(b"# leakscan:allow\n\ntok_ab12cd34ef56", Content::Text).len(), 1);
    }

    #[test]
    fn binary_content_skips_generic_rules() {
        let m = matcher(GH);
        let f = m.scan_text(b"\0secret = q8Zr4kLm2pXw\0tok_ab12cd34ef56\0", Content::Binary); // leakscan:allow (synthetic test value)
        assert_eq!(f.iter().map(|f| f.rule.id.as_str()).collect::<Vec<_>>(), ["tok"]);
        let f = m.scan_text(b"secret = q8Zr4kLm2pXw", Content::Text); // leakscan:allow (synthetic test value)
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn generic_values_and_names() {
        for v in [
            "527c5358-2a1a-4b9e-b1b9-7293b0ddff42",
            "48205d4ffd7feba3",
            "None",
            "env.PERKEEP_TEST_PASSWORD",
            "$PRECOMPILE_PASSWORD",
            "#add-password",
            "arn:aws:iam::aws:policy/IAMUserChangePassword",
            "MyTestDatabaseSecret",
            "Password:",
            "FORCE_CHANGE_PASSWORD",
            "{\\\"username\\\":\\\"david\\\"}",
            "busybox@",
            "IEUser@",
            "define",
            "FAIL",
            "scram-sha-256",
            "projects/my-project/secrets/db-password/versions/2",
            "Password used to generate key",
            "top secret",
            "=1||c==1?f.token=f.token",
            "this.$rowTokens.length-1",
            "2016-09-08T21:47:36Z",
            "Incomplete",
            "password123",
            "Password1!",
            "123passwd",
        ] {
            assert!(is_identifier_value(v.as_bytes()), "{v}");
        }
        for v in [
            "hunter22",
            "Secret123",
            "123Abpassword",
            "mypassword1",
            "#gets0m3",
            "hvs.CAESIJx9q2",
            "open-sesame",
            "sk.eyJ1IjoiYSJ9.x1",
            "aGk6dGhlcmU==",
        ] {
            assert!(!is_identifier_value(v.as_bytes()), "{v}");
        }
        assert!(is_test_result(b"PASS: \"", b"Run size-3e"));
        assert!(!is_test_result(b"PASS: \"", b"Run-size-3e"));
        assert!(!is_test_result(b"pass: \"", b"open sesame 7"));
        assert!(names_no_secret(b"\"NextToken\": \""));
        assert!(names_no_secret(b"\"SecretId\": \""));
        assert!(is_off_format(b"export AWS_SECRET_ACCESS_KEY=", b"5b0c1e9a77d2f4a8e63c90b1d2e4f6a8c0e2f4a6b8"));
        assert!(!is_off_format(b"export AWS_SECRET_ACCESS_KEY=", b"5b0c1e9a77d2f4a8e63c90b1d2e4f6a8c0e2f4a6"));
        assert!(!is_off_format(b"DB_PASSWORD=", b"5b0c1e9a77d2f4a8e63c90b1d2e4f6a8c0e2f4a6b8"));
        assert!(!names_no_secret(b"SLACK_TOKEN=\""));
        assert!(!names_no_secret(b"VAULT_CLIENT_TOKEN=\""));
    }

    #[test]
    fn code_identifiers_and_badge_tokens_are_not_values() {
        // (line, the value as the generic rule takes it)
        let code = |line: &str, value: &str| {
            let at = line.find(value).expect("value in line");
            is_code_identifier(line.as_bytes(), at..at + value.len())
        };
        assert!(code("pub const ERROR_NO_TOKEN: WIN32_ERROR = 1008u32;", "WIN32_ERROR"));
        assert!(code("pub const DEVCONF_STABLE_SECRET: _bindgen_ty_3 = _bindgen_ty_3::X;", "_bindgen_ty_3"));
        assert!(code("    pub Token: D3DKMT_PRESENTHISTORYTOKEN_0,", "D3DKMT_PRESENTHISTORYTOKEN_0"));
        assert!(code("    dot2_token: node.dot2_token,", "node.dot2_token"));
        assert!(code("    pub(super) token_stream: AtomicU32,", "AtomicU32"));
        assert!(code("HandleCounters { token_stream: AtomicU32::new(1) }", "AtomicU32"));
        assert!(code("    token: TokenKind | None = None,", "TokenKind"));
        // A literal, a value ending its line, a random token with `_`, a connection string, a
        // capitalised password that is no type name.
        assert!(!code("login(user, password=Summer2024)", "Summer2024")); // leakscan:allow (synthetic)
        assert!(!code("SECRET: \"ERROR_CODE_1\",", "ERROR_CODE_1")); // leakscan:allow (synthetic)
        assert!(!code("password: db_pass_2\n", "db_pass_2")); // leakscan:allow (synthetic)
        assert!(!code("token: k3J_9dLx2Qw_Zr8, next", "k3J_9dLx2Qw_Zr8")); // leakscan:allow (synthetic)
        assert!(!code("Password =special_user_1;Initial Catalog=X", "special_user_1")); // leakscan:allow (synthetic)
        assert!(!code("secret: hvs.CAESIJx9q2Lm, ttl", "hvs.CAESIJx9q2Lm")); // leakscan:allow (synthetic)

        let member = |line: &str, value: &str| {
            let at = line.find(value).expect("value");
            is_member_assignment(line.as_bytes(), &line.as_bytes()[..at], at)
        };
        assert!(member("        _this.tokenize = line_js_1.tokenize;", "line_js_1.tokenize"));
        assert!(!member("this.token = \"k3J9dLx2Qw7Zr8\";", "k3J9dLx2Qw7Zr8")); // leakscan:allow (synthetic)
        assert!(!member("token = k3J9dLx2Qw7Zr8", "k3J9dLx2Qw7Zr8")); // leakscan:allow (synthetic)

        let badge = |line: &str, value: &str| is_badge_token(line.as_bytes(), line.find(value).expect("value"));
        assert!(badge("[![cov](https://codecov.io/gh/a/b/graph/badge.svg?token=Q7xK2mW9pZ)](x)", "Q7xK2mW9pZ"));
        assert!(badge("<img src=\"https://ci.example/a.png?branch=main&token=Q7xK2mW9pZ\">", "Q7xK2mW9pZ"));
        assert!(badge(
            "[![CircleCI](https://circleci.com/gh/o/r.svg?style=svg&circle-token=Q7xK2mW9pZ)](x)",
            "Q7xK2mW9pZ"
        ));
        assert!(!badge("https://ci.example/a.png?tokens=Q7xK2mW9pZ", "Q7xK2mW9pZ")); // leakscan:allow (synthetic)
        assert!(!badge("curl https://api.example/v1/data?token=Q7xK2mW9pZ", "Q7xK2mW9pZ")); // leakscan:allow (synthetic)
        assert!(!badge("token=Q7xK2mW9pZ", "Q7xK2mW9pZ")); // leakscan:allow (synthetic)
    }

    #[test]
    fn placeholders() {
        for p in [
            "AKIAIOSFODNN7EXAMPLE",
            "xxxxxxxxxxxx",
            "${GITHUB_TOKEN}",
            "<your-token>",
            "changeme123",
            "$SECRET_KEY",
            "{auth_token}'",
            "%(password)s",
            "bar",
            "Foo",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABBBCCDDEEEEEFFFFFFFFFFFGGGGGGGGHHHHIIIIIIIIJJJKKKKLLMNNOOOOOPPPQRSTTTUUVVVVWWWWWWXXYYZZZ",
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            "zyxwvutsrqponmlkjihgfedcba",
            "abcdefg",
            "md-test-udacity-dsnd-prob",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        for s in [
            "q8Zr4kLm2pXw",
            "barfly42",
            "ghp_R2d9Kx0LmQ",
            "$2y$10$N9qo8uLOickgx2ZMRZoMye",
            "$krb5tgs$23$*user$",
            "_du9e^!%(^+=gr@",
        ] {
            assert!(!is_placeholder(s.as_bytes()), "{s}");
        }
    }
}
