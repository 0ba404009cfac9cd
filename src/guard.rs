//! A rule's guard: what must hold around a keyword hit for any match of the rule to contain
//! it, tested before the rule's regex opens a window there. Three tests, cheapest first: the
//! [`Lead`] (the word boundary or line start the regex asserts right before the literal string
//! that ends with the keyword: `\b(sl\.…` rejects the `sl.` of `libssl.so`, which every
//! process's memory holds), the [`Profile`] (the bytes the first positions after the keyword
//! can hold: `pat` then 14 alphanumerics and a dot is not `path`), then the anchored regex of
//! what follows the keyword ([`crate::reach::suffix`]).
//!
//! Invariant: every test is conservative. A guard rejects a hit only when no match of the
//! rule's regex holds that keyword occurrence as the end of its literal string; some keyword
//! hit of every match passes. Depends on `reach` and `rules` (`relax`, before the suffix is
//! compiled).

use crate::reach::{keyword_run, suffix};
use crate::rules::relax_above;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::pool::Pool;
use regex_automata::{Anchored, Input};
use regex_syntax::hir::{Class, Hir, HirKind, Look};
use std::sync::OnceLock;

/// Positions after a keyword the profile describes at most.
const PROFILE_LEN: usize = 16;
/// Most alternatives a part of a regex is expanded into for the profile.
const MAX_ALTERNATIVES: usize = 8;

/// A rule's guard (see the module header).
#[derive(Debug)]
pub struct Guard {
    lead: Option<Lead>,
    profile: Profile,
    /// What follows the keyword (`None`: nothing is known of it).
    rest: Option<Hir>,
    compiled: OnceLock<Option<Box<Suffix>>>,
}

/// The suffix compiled for anchored yes/no searches: a forward lazy DFA alone, without the
/// reverse automata, captures and other engines a full regex builds, and one cache per
/// thread that searches it.
struct Suffix {
    dfa: DFA,
    caches: Pool<Cache, CacheFn>,
}

type CacheFn = Box<dyn Fn() -> Cache + Send + Sync + std::panic::RefUnwindSafe + std::panic::UnwindSafe>;

impl std::fmt::Debug for Suffix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suffix").finish_non_exhaustive()
    }
}

impl Suffix {
    fn compile(hir: &Hir) -> Option<Box<Suffix>> {
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new().which_captures(WhichCaptures::None).utf8(false).nfa_size_limit(Some(64 << 20)),
            )
            .build_from_hir(hir)
            .ok()?;
        let dfa = DFA::builder().build_from_nfa(nfa).ok()?;
        let for_caches = dfa.clone();
        Some(Box::new(Suffix { dfa, caches: Pool::new(Box::new(move || for_caches.create_cache())) }))
    }

    /// Whether a match starts at `at` and ends by `end`; true when the search gives up.
    fn matches_at(&self, data: &[u8], at: usize, end: usize) -> bool {
        let input = Input::new(data).range(at..end).anchored(Anchored::Yes).earliest(true);
        let mut cache = self.caches.get();
        self.dfa.try_search_fwd(&mut cache, &input).map_or(true, |m| m.is_some())
    }
}

/// A zero-width assertion right before the literal string that ends at a keyword hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Lead {
    /// The string's length: the assertion holds at `hit end - back`.
    back: usize,
    kind: LeadKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LeadKind {
    /// `\b`: a word byte on exactly one side (only ASCII bytes are judged).
    WordBoundary,
    /// `(?m)^`: the start of the data or of a line (after `\n`, or `\r` for CRLF mode).
    LineStart { crlf: bool },
}

/// Sets of 256 bytes, one per position: byte `i` of every match is in set `i`, and every
/// match is at least as long as the profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Profile(Vec<ByteSet>);

/// A set of bytes, as 256 bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ByteSet([u64; 4]);

impl ByteSet {
    fn insert(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }
    fn insert_range(&mut self, lo: u8, hi: u8) {
        (lo..=hi).for_each(|b| self.insert(b));
    }
    /// Whether `b` is in the set.
    #[inline]
    fn has(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] >> (b & 63) & 1 != 0
    }
    fn union(self, other: ByteSet) -> ByteSet {
        ByteSet(std::array::from_fn(|i| self.0[i] | other.0[i]))
    }
}

impl Guard {
    /// The guard of a keyword rule, or `None` when nothing is known around its keywords.
    pub fn of(hir: &Hir, keywords: &[Vec<u8>]) -> Option<Guard> {
        let lead = lead(hir, keywords);
        let rest = suffix(hir, keywords);
        let profile = rest.as_ref().map(|r| profile(r, PROFILE_LEN)).unwrap_or_default();
        (lead.is_some() || rest.is_some()).then(|| Guard { lead, profile, rest, compiled: OnceLock::new() })
    }

    /// Whether a match may hold the keyword hit ending at `at`, within `data[..end]`. True
    /// when the suffix could not be compiled: then the rule's regex decides, as without it.
    pub fn allows(&self, data: &[u8], at: usize, end: usize) -> bool {
        if self.lead.is_some_and(|lead| !lead.holds(data, at)) {
            return false;
        }
        // Most other hits fail here, a few bytes after the keyword, without a search (a regex
        // search cost ~550 instructions a call on a log, mostly its setup).
        if !self.profile.matches(&data[at.min(end)..end]) {
            return false;
        }
        let Some(rest) = &self.rest else { return true };
        let Some(suffix) = self.compiled.get_or_init(|| Suffix::compile(&relax_above(rest, 0))) else { return true };
        suffix.matches_at(data, at, end)
    }
}

impl Lead {
    /// Whether the assertion holds before the string ending at `at`.
    fn holds(self, data: &[u8], at: usize) -> bool {
        let Some(start) = at.checked_sub(self.back) else { return true };
        let (Some(&here), Some(&before)) = (data.get(start), start.checked_sub(1).and_then(|p| data.get(p))) else {
            return true; // The data's first byte: a regex sees the same edge.
        };
        match self.kind {
            LeadKind::WordBoundary => !(here.is_ascii() && before.is_ascii()) || is_word(here) != is_word(before),
            LeadKind::LineStart { crlf } => before == b'\n' || (crlf && before == b'\r'),
        }
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Profile {
    /// Whether `data` starts with bytes the profile allows (and is long enough).
    fn matches(&self, data: &[u8]) -> bool {
        data.len() >= self.0.len() && self.0.iter().zip(data).all(|(set, &b)| set.has(b))
    }
}

/// The assertion a regex makes right before the literal strings that end with its keywords,
/// when they all have one length: every match is `… · look · s · …` with `s` such a string.
fn lead(hir: &Hir, keywords: &[Vec<u8>]) -> Option<Lead> {
    let mut parts = Vec::new();
    flatten(hir, &mut parts);
    let (from, _, strings) = keyword_run(&parts, keywords)?;
    let back = strings.first()?.len();
    if strings.iter().any(|s| s.len() != back || !crate::reach::ends_with_keyword(s, keywords)) {
        return None;
    }
    // The zero-width parts around where the run starts (a run may begin with them).
    let mut first = from;
    while first > 0 && matches!(parts[first - 1].kind(), HirKind::Look(_)) {
        first -= 1;
    }
    let mut kind = None;
    for part in parts[first..].iter().take_while(|p| matches!(p.kind(), HirKind::Look(_) | HirKind::Empty)) {
        kind = kind.or(match part.kind() {
            HirKind::Look(Look::WordAscii | Look::WordUnicode) => Some(LeadKind::WordBoundary),
            HirKind::Look(Look::StartLF) => Some(LeadKind::LineStart { crlf: false }),
            HirKind::Look(Look::StartCRLF) => Some(LeadKind::LineStart { crlf: true }),
            _ => None,
        });
    }
    Some(Lead { back, kind: kind? })
}

/// The parts of `hir` as one concatenation: captures and nested concatenations opened.
fn flatten<'a>(hir: &'a Hir, out: &mut Vec<&'a Hir>) {
    match hir.kind() {
        HirKind::Capture(c) => flatten(&c.sub, out),
        HirKind::Concat(parts) => parts.iter().for_each(|p| flatten(p, out)),
        _ => out.push(hir),
    }
}

/// What the first `len` bytes of every match of `hir` can be (see [`Profile`]).
fn profile(hir: &Hir, len: usize) -> Profile {
    Profile(sequence(&[hir], len, &mut 256))
}

/// The profile of the concatenation of `parts`, up to `len` positions. A part whose matches
/// have a few known lengths is expanded into them, each followed by the rest; at a part that
/// is not, the profile ends with what that part alone says. Each call spends one of `budget`
/// (optional parts in a row multiply the ways); with none left, nothing more is known.
fn sequence(parts: &[&Hir], len: usize, budget: &mut usize) -> Vec<ByteSet> {
    let Some((&first, rest)) = parts.split_first() else { return Vec::new() };
    if len == 0 || *budget == 0 {
        return Vec::new();
    }
    *budget -= 1;
    if let HirKind::Capture(_) | HirKind::Concat(_) = first.kind() {
        let mut flat = Vec::new();
        flatten(first, &mut flat);
        flat.extend_from_slice(rest);
        return sequence(&flat, len, budget);
    }
    let Some(alternatives) = alternatives(first, len) else { return head(first, len, budget) };
    alternatives
        .into_iter()
        .map(|mut alt| {
            if alt.len() < len {
                let more = sequence(rest, len - alt.len(), budget);
                alt.extend(more);
            }
            alt
        })
        .reduce(union_shortest)
        .unwrap_or_default()
}

/// Per position, the union of two profiles, as long as the shorter.
fn union_shortest(a: Vec<ByteSet>, b: Vec<ByteSet>) -> Vec<ByteSet> {
    a.into_iter().zip(b).map(|(x, y)| x.union(y)).collect()
}

/// Every way `hir` can match, as byte sets of an exact length (cut at `len`), when there are
/// at most [`MAX_ALTERNATIVES`].
fn alternatives(hir: &Hir, len: usize) -> Option<Vec<Vec<ByteSet>>> {
    let out = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => vec![Vec::new()],
        HirKind::Literal(lit) => vec![lit
            .0
            .iter()
            .take(len)
            .map(|&b| {
                let mut set = ByteSet::default();
                set.insert(b);
                set
            })
            .collect()],
        HirKind::Class(class) => vec![vec![class_set(class)?]],
        HirKind::Capture(c) => alternatives(&c.sub, len)?,
        HirKind::Concat(parts) => {
            let mut acc = vec![Vec::new()];
            for part in parts {
                acc = product(acc, &alternatives(part, len)?, len)?;
            }
            acc
        }
        HirKind::Alternation(alts) => {
            let mut all = Vec::new();
            for alt in alts {
                all.extend(alternatives(alt, len)?);
            }
            all
        }
        HirKind::Repetition(r) => {
            let sub = alternatives(&r.sub, len)?;
            let max = r.max?;
            // `x{n}` of a one-way `x`: one alternative, however large `n`.
            let fixed = sub.len() == 1 && r.min == max;
            if !fixed && max - r.min > 2 {
                return None;
            }
            let mut all = Vec::new();
            let mut power = vec![Vec::new()];
            for n in 0..=max {
                if n >= r.min {
                    all.extend(power.iter().cloned());
                }
                if n == max || power.iter().all(|p| p.len() >= len) && n >= r.min {
                    break;
                }
                power = product(power, &sub, len)?;
            }
            all
        }
    };
    (out.len() <= MAX_ALTERNATIVES).then_some(out)
}

/// Every `a` followed by every `b`, cut at `len` (an `a` already `len` long is kept as is).
fn product(a: Vec<Vec<ByteSet>>, b: &[Vec<ByteSet>], len: usize) -> Option<Vec<Vec<ByteSet>>> {
    let mut out = Vec::new();
    for x in a {
        if x.len() >= len {
            out.push(x);
            continue;
        }
        for y in b {
            let mut z = x.clone();
            z.extend(y.iter().take(len - x.len()));
            out.push(z);
        }
        if out.len() > MAX_ALTERNATIVES {
            return None;
        }
    }
    Some(out)
}

/// The bytes of a one-byte class (`None` for a Unicode class reaching past ASCII, whose
/// matches are longer).
fn class_set(class: &Class) -> Option<ByteSet> {
    let mut set = ByteSet::default();
    match class {
        Class::Bytes(c) => c.ranges().iter().for_each(|r| set.insert_range(r.start(), r.end())),
        Class::Unicode(c) => {
            for r in c.ranges() {
                let (lo, hi) = (u8::try_from(r.start()).ok()?, u8::try_from(r.end()).ok()?);
                if hi >= 0x80 {
                    return None;
                }
                set.insert_range(lo, hi);
            }
        }
    }
    Some(set)
}

/// What a part alone says of its first bytes, when it has too many ways to match to expand:
/// at least `min` copies of a repeated part whose every way has one length.
fn head(hir: &Hir, len: usize, budget: &mut usize) -> Vec<ByteSet> {
    match hir.kind() {
        HirKind::Repetition(r) if r.min >= 1 => match alternatives(&r.sub, len) {
            Some(sub) if !sub.is_empty() && sub.iter().all(|s| s.len() == sub[0].len() && !s.is_empty()) => {
                let one = sub.into_iter().reduce(union_shortest).unwrap_or_default();
                one.iter().copied().cycle().take((one.len() * r.min as usize).min(len)).collect()
            }
            _ => sequence(&[&r.sub], len, budget),
        },
        HirKind::Alternation(alts) => {
            alts.iter().map(|a| sequence(&[a], len, budget)).reduce(union_shortest).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reach::tests::{kw, parse};

    /// The profile as the bytes of each position.
    fn sets(re: &str, len: usize) -> Vec<Vec<u8>> {
        profile(&parse(re), len).0.iter().map(|s| (0..=255u8).filter(|&b| s.has(b)).collect()).collect()
    }

    #[test]
    fn a_profile_lists_the_bytes_each_position_can_hold() {
        assert_eq!(sets(r"[=:]\s*x", 4), vec![b":=".to_vec()]);
        assert_eq!(sets(r"ab[cd]e", 3), vec![b"a".to_vec(), b"b".to_vec(), b"cd".to_vec()]);
        // An optional part: both ways, aligned (`u.` or not, then the run).
        let p = sets(r"(?:u\.)?[a-z]{20,}", 3);
        assert_eq!(p[0], (b'a'..=b'z').collect::<Vec<u8>>());
        assert!(p[1].contains(&b'.') && p[1].contains(&b'q') && !p[1].contains(&b'-'));
        // Counted repetitions of one byte, then a literal.
        let p = sets(r"[a-z0-9]{3}\.[0-9]", 6);
        assert_eq!(p.len(), 5);
        assert_eq!(p[3], b".".to_vec());
        // What can match the empty string says nothing.
        assert!(sets(r"a*b", 4).is_empty());
        assert!(sets(r"\b", 4).is_empty());
        // Optional parts in a row: many ways, a bounded search, still right.
        assert_eq!(sets(&"a?".repeat(40), 4), Vec::<Vec<u8>>::new());
        let p = sets(&format!("{}b", "a?".repeat(40)), 2);
        assert!(p.len() <= 1 && p.iter().all(|s| s == b"ab"), "{p:?}");
        // Alternatives of different lengths: as long as the shortest.
        assert_eq!(sets(r"(?:ab|c)d", 4), vec![b"ac".to_vec(), b"bd".to_vec()]);
    }

    #[test]
    fn every_match_fits_its_profile() {
        // The regex, the shortest profile it has, and hays holding a match.
        let cases: &[(&str, usize, &[&[u8]])] = &[
            (
                r"(?:[ \t]*[=:]|\x22?\s*=>)[ \t]*[\x22']?([A-Za-z0-9/+]{8,40})",
                0,
                &[b" = 'abcdefgh'", b":ABCDEFGH12", b"\"=> x0123456789"],
            ),
            (
                r"(?:u\.)?[A-Za-z0-9_-]{20,40}(?:[^A-Za-z0-9_-]|$)",
                16,
                &[b"u.abcdefghijklmnopqrstu ", b"abcdefghij0123456789"],
            ),
            (r"(?i)[a-z0-9]{14}\.[a-f0-9]{4}", 16, &[b"ABCDEFGHIJKLMN.0f0f", b"abcdefghijklmn.abcd"]),
            (r"_?[0-9]{1,3}(?:-[0-9]{2})?x", 2, &[b"_1x", b"123-45x", b"9x"]),
        ];
        for (re, least, hays) in cases {
            let regex = crate::rules::compile_hir(&parse(re)).unwrap();
            let p = profile(&parse(re), PROFILE_LEN);
            assert!(p.0.len() >= *least, "{re}: {}", p.0.len());
            for hay in *hays {
                let m = regex.find(Input::new(hay).anchored(Anchored::Yes)).expect("a match");
                assert!(p.matches(&hay[m.range()]), "{re} on {:?}", String::from_utf8_lossy(hay));
            }
        }
    }

    #[test]
    fn a_lead_is_the_boundary_before_the_keyword_string() {
        let lead = |re: &str, k: &[&str]| super::lead(&parse(re), &kw(k));
        let l = lead(r"\b(sl\.(?:u\.)?[A-Za-z0-9_-]{130,1500})", &["sl."]).expect("a lead");
        assert_eq!(l, Lead { back: 3, kind: LeadKind::WordBoundary });
        // `libssl.so`: an `s` before `sl.`, no boundary; a space or the data start, one.
        assert!(!l.holds(b"libssl.so", 7));
        assert!(l.holds(b"x sl.abc", 5) && l.holds(b"sl.abc", 3) && l.holds(b"=sl.abc", 4));
        // A non-ASCII byte before the string is not judged.
        assert!(l.holds(b"\xc3sl.abc", 4));
        // The string may be longer than the keyword it ends with.
        assert_eq!(lead(r"(?m)^xoxb-[0-9]+", &["xoxb-"]).map(|l| l.back), Some(5));
        assert_eq!(lead(r"\bgithub_(?:pat|tok)_[a-z]+", &["pat_", "tok_"]).map(|l| l.back), Some(11));
        // No assertion, strings of two lengths, a keyword not ending its string: none.
        assert_eq!(lead(r"sl\.[a-z]+", &["sl."]), None);
        assert_eq!(lead(r"\b(?:ab|abc)_[a-z]+", &["ab", "abc_"]), None);
        assert_eq!(lead(r"\bpassw[a-z]+", &["pass"]), None);
    }

    #[test]
    fn a_guard_passes_every_match_of_its_rule() {
        // The rule's regex, hays holding a match, and where its keyword ends.
        type Case<'a> = (&'a str, &'a str, &'a [(&'a [u8], usize)]);
        let cases: &[Case] = &[
            (
                r"\b(sl\.(?:u\.)?[A-Za-z0-9_-]{20,40})(?:[^A-Za-z0-9_-]|$)",
                "sl.",
                &[(b" sl.u.abcdefghijklmnopqrstuvw ", 4), (b"sl.abcdefghijklmnopqrstuvw", 3)],
            ),
            (r"\b(pat[A-Za-z0-9]{14}\.[a-f0-9]{8})\b", "pat", &[(b"=patABCDEFGHIJKLMN.0123abcd ", 4)]),
        ];
        for (re, keyword, hays) in cases {
            let guard = Guard::of(&parse(re), &kw(&[keyword])).expect("a guard");
            for (hay, at) in *hays {
                assert!(guard.allows(hay, *at, hay.len()), "{re} on {:?}", String::from_utf8_lossy(hay));
            }
        }
        let dropbox = Guard::of(&parse(cases[0].0), &kw(&["sl."])).unwrap();
        assert!(!dropbox.allows(b"/usr/lib/libssl.so.3\0", 16, 21));
        let airtable = Guard::of(&parse(cases[1].0), &kw(&["pat"])).unwrap();
        assert!(!airtable.allows(b"os.path.join(a, b)", 6, 18));
        assert!(airtable.profile.0.len() >= 15);
    }

    #[test]
    fn the_suffix_decides_where_lead_and_profile_cannot() {
        // `\s*` leaves the profile nothing to reject after `password`: only the compiled
        // suffix sees that no quoted value of 8 bytes or more follows, within `end`.
        let re = r#"password\s*[:=]\s*"([^"\s]{8,64})""#;
        let guard = Guard::of(&parse(re), &kw(&["password"])).expect("a guard");
        let at = "password".len();
        let allows = |hay: &[u8]| guard.allows(hay, at, hay.len());
        assert!(allows(br#"password = "abcdefgh""#));
        assert!(allows(br#"password:"abcdefghijkl" and more"#));
        assert!(!allows(b"password = abcdefgh"));
        assert!(!allows(br#"password = "abc""#));
        assert!(!allows(b"password_hash(value)"));
        // A match must end within `end`: cut before the closing quote, none does.
        let hay = br#"password = "abcdefgh""#;
        assert!(!guard.allows(hay, at, hay.len() - 1));
        // Any thread searches it (each with its own cache).
        std::thread::scope(|s| {
            s.spawn(|| assert!(allows(br#"password = "abcdefgh""#) && !allows(b"password = x")));
        });
    }
}
