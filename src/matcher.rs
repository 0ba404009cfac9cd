//! The matcher: keyword prefilter → regex per candidate rule → secret group → entropy, checksum
//! and placeholder filters → inline allow markers → `Finding`s.
//!
//! Invariant: the matcher sees bytes and an opaque `Origin`, never opens anything; it reports
//! a match only when the match starts in the chunk's owned range, so overlapping chunks never
//! report a secret twice. Known values (`known`) are exact matches and skip the secret filters.
//! Depends on `rules`, `chunk`, `finding`, `entropy`, `known`.

use crate::chunk::{count_lines, Chunk, Content, Origin};
use crate::finding::{Finding, RuleInfo, Secret, CONTEXT_CAP};
use crate::known::Known;
use crate::rules::Rule;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use anyhow::{anyhow, Result};
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input};
use std::ops::Range;
use std::sync::Arc;

/// Rules compiled together with their keyword prefilter.
pub struct Matcher {
    rules: Vec<Rule>,
    prefilter: Option<AhoCorasick>,
    /// Keyword pattern index → the rules that carry that keyword.
    pattern_rules: Vec<Vec<u32>>,
    /// Rules without keywords: run over every chunk.
    unkeyed: Vec<u32>,
    /// Exact known values and their encodings (`--known-env`, `--known-file`).
    known: Option<Known>,
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
        for (i, rule) in rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                unkeyed.push(i as u32);
            }
            for kw in &rule.keywords {
                match patterns.iter().position(|p| p == kw) {
                    Some(p) => pattern_rules[p].push(i as u32),
                    None => {
                        patterns.push(kw.clone());
                        pattern_rules.push(vec![i as u32]);
                    }
                }
            }
        }
        let prefilter = if patterns.is_empty() {
            None
        } else {
            let ac = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                // A full DFA: one table lookup per byte. With hundreds of case-insensitive
                // keywords the default (a contiguous NFA) was 4× slower on source trees.
                .kind(Some(AhoCorasickKind::DFA))
                .build(&patterns)
                .map_err(|e| anyhow!("building the keyword prefilter: {e}"))?;
            Some(ac)
        };
        Ok(Matcher { rules, prefilter, pattern_rules, unkeyed, known: None })
    }

    /// Also finds these exact values and their encodings (rule id `known-secret`).
    pub fn with_known(mut self, known: Option<Known>) -> Matcher {
        self.known = known;
        self
    }

    /// The rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Scans one chunk, appending its findings (sorted by offset) to `out`.
    pub fn scan(&self, chunk: &Chunk, out: &mut Vec<Finding>) -> Suppressed {
        let windows = self.windows(chunk);
        let mut hits = Vec::new();
        for (rule, range) in windows {
            self.run_rule(chunk, rule, range, &mut hits);
        }
        if let Some(known) = &self.known {
            for (info, span) in known.find(&chunk.data) {
                if chunk.owned.contains(&span.start) {
                    hits.push(Hit { rule: 0, known: Some(Arc::clone(info)), matched: span.clone(), secret: span });
                }
            }
        }
        let hits = self.resolve_overlaps(hits);
        let mut suppressed = Suppressed::default();
        let mut cursor = (0usize, chunk.line);
        for hit in hits {
            if is_allowed_by_marker(&chunk.data, hit.secret.clone()) {
                suppressed.by_marker += 1;
                continue;
            }
            out.push(self.finding(chunk, &hit, &mut cursor));
        }
        suppressed
    }

    /// Scans a standalone text (rule examples, tests) as one text chunk from stdin.
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
    fn windows(&self, chunk: &Chunk) -> Vec<(u32, Range<usize>)> {
        let data = &chunk.data;
        let mut raw: Vec<(u32, usize, usize)> = Vec::new();
        let applies = |r: u32| chunk.content == Content::Text || self.rules[r as usize].binary;
        for &r in &self.unkeyed {
            if applies(r) {
                raw.push((r, 0, data.len()));
            }
        }
        if let Some(ac) = &self.prefilter {
            for m in ac.find_overlapping_iter(data.as_slice()) {
                for &r in &self.pattern_rules[m.pattern().as_usize()] {
                    if applies(r) {
                        let reach = self.rules[r as usize].max_len;
                        raw.push((r, m.start().saturating_sub(reach), (m.end() + reach).min(data.len())));
                    }
                }
            }
        }
        raw.sort_unstable();
        let mut merged: Vec<(u32, Range<usize>)> = Vec::new();
        for (r, s, e) in raw {
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
        let data = chunk.data.as_slice();
        let mut caps = None;
        for m in rule.regex.find_iter(Input::new(data).range(window)) {
            if !chunk.owned.contains(&m.start()) {
                continue;
            }
            let secret = secret_span(rule, data, m.range(), &mut caps);
            if is_kept(rule, &data[secret.clone()]) {
                hits.push(Hit { rule: r, known: None, matched: m.range(), secret });
            }
        }
    }

    /// Where secrets found by different rules overlap, keeps the most confident (then the
    /// longest) one. Returns hits sorted by secret start.
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

    /// Builds the finding for a hit; `cursor` = (data index, line there), advanced
    /// monotonically so line numbers cost one pass over the chunk.
    fn info<'a>(&'a self, hit: &'a Hit) -> &'a Arc<RuleInfo> {
        hit.known.as_ref().unwrap_or_else(|| &self.rules[hit.rule as usize].info)
    }

    fn finding(&self, chunk: &Chunk, hit: &Hit, cursor: &mut (usize, u64)) -> Finding {
        // A known value shows no prefix at all; a rule may show its public prefix.
        let keywords: &[Vec<u8>] = if hit.known.is_some() { &[] } else { &self.rules[hit.rule as usize].keywords };
        let data = chunk.data.as_slice();
        let Range { start, end } = hit.secret;
        cursor.1 += count_lines(&data[cursor.0..start]);
        cursor.0 = start;
        let line = cursor.1;
        let line_begin = match memchr::memrchr(b'\n', &data[..start]) {
            Some(nl) => chunk.offset + nl as u64 + 1,
            None => chunk.line_start,
        };
        let abs = chunk.offset + start as u64;
        let column = abs - line_begin + 1;
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
            before: trim_cr(&data[before_from..start]).to_vec(),
            after: trim_cr(&data[end..after_to]).to_vec(),
            matched: Secret::new(data[hit.matched.clone()].to_vec()),
        }
    }
}

fn trim_cr(bytes: &[u8]) -> &[u8] {
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

/// The secret's span within a match: the rule's secret group, else the first group that took
/// part in the match (alternations), else the whole match.
pub fn secret_span(rule: &Rule, data: &[u8], matched: Range<usize>, caps: &mut Option<Captures>) -> Range<usize> {
    if rule.secret_group == 0 {
        return matched;
    }
    let caps = caps.get_or_insert_with(|| rule.regex.create_captures());
    let input = Input::new(data).range(matched.clone()).anchored(Anchored::Yes);
    rule.regex.search_captures(&input, caps);
    caps.get_group(rule.secret_group)
        .or_else(|| (1..caps.group_len()).find_map(|g| caps.get_group(g)))
        .map_or(matched, |span| span.range())
}

/// The secret filters every match passes: non-empty, entropy floor, checksum, not a placeholder.
pub fn is_kept(rule: &Rule, secret: &[u8]) -> bool {
    !secret.is_empty()
        && crate::entropy::shannon(secret) >= rule.min_entropy
        && rule.checksum.is_none_or(|c| c.is_valid(secret))
        && !is_placeholder(secret)
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
        b"%(",
        b"0123456789",
        b"1234567890",
        b"abcdefghij",
    ];
    let lower = secret.to_ascii_lowercase();
    WORDS.iter().any(|w| memchr::memmem::find(&lower, w).is_some())
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
fn is_allowed_by_marker(data: &[u8], secret: Range<usize>) -> bool {
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
        let f = m.scan_text(b"a\nxx secret = \"tok_ab12cd34ef56\"\n", Content::Text);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule.id, "tok");
        assert_eq!((f[0].line, f[0].column, f[0].end_column), (2, 14, 30));
        assert_eq!(f[0].visible, 4);
        assert_eq!(f[0].context_text(false), "xx secret = \"tok_…[redacted, 16 chars]\"");
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
        let f = m.scan_text(b"\0secret = q8Zr4kLm2pXw\0tok_ab12cd34ef56\0", Content::Binary);
        assert_eq!(f.iter().map(|f| f.rule.id.as_str()).collect::<Vec<_>>(), ["tok"]);
        let f = m.scan_text(b"secret = q8Zr4kLm2pXw", Content::Text);
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn placeholders() {
        for p in
            ["AKIAIOSFODNN7EXAMPLE", "xxxxxxxxxxxx", "${GITHUB_TOKEN}", "<your-token>", "changeme123", "$SECRET_KEY"]
        {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        for s in ["q8Zr4kLm2pXw", "ghp_R2d9Kx0LmQ", "$2y$10$N9qo8uLOickgx2ZMRZoMye", "$krb5tgs$23$*user$"] {
            assert!(!is_placeholder(s.as_bytes()), "{s}");
        }
    }
}
