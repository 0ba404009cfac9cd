//! Where a rule's keyword sits in its matches, read from the parsed regex: how far a match can
//! reach before and after the keyword it contains, and whether a match can span lines. The
//! matcher runs a rule's regex only in a window around each keyword hit; these bounds make the
//! window as small as the regex allows (on logs the regexes ran over 1.5× the input before).
//! [`suffix`] gives what must follow the keyword, which the matcher tries at each hit before
//! opening a window at all (`guard.rs` tests it).
//!
//! Invariant: every answer is conservative. `Reach` is `Some` only when every match of the
//! regex contains one of the rule's keywords (compared ASCII case-insensitively), and it
//! covers the longest match around that keyword; `crosses_lines` is false only when nothing
//! in the regex can consume a `\n`; a `suffix` matches, anchored, at the end of some keyword
//! occurrence of every match. Depends on nothing but `regex-syntax`.

use regex_syntax::hir::{Class, Hir, HirKind};

/// How far a match can extend around the keyword occurrence it contains, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    /// From the match start to the start of the keyword.
    pub before: usize,
    /// From the end of the keyword to the match end.
    pub after: usize,
}

/// Most strings a sub-pattern may expand to before it counts as "not a literal".
const MAX_STRINGS: usize = 64;
/// Longest literal string considered.
const MAX_STRING: usize = 64;

/// The reach of a regex around the keywords it must contain, or `None` when some match could
/// miss every keyword. Matches are taken to be at most `cap` bytes long (the rule's window
/// size): an unbounded part counts as `cap`.
pub fn reach(hir: &Hir, keywords: &[Vec<u8>], cap: usize) -> Option<Reach> {
    if keywords.is_empty() {
        return None;
    }
    // A match's keyword may sit anywhere in the string, but its first keyword (a window is
    // cut around every keyword occurrence) starts at most `before` bytes in.
    let around = |strings: &[Vec<u8>]| Reach {
        before: strings.iter().filter_map(|s| first_keyword(s, keywords)).max().unwrap_or(0),
        after: strings.iter().map(Vec::len).max().unwrap_or(0),
    };
    if let Some(all) = strings(hir).filter(|all| holds_keyword(all, keywords)) {
        return Some(around(&all));
    }
    let len = |p: &Hir| p.properties().maximum_len().unwrap_or(cap).min(cap);
    match hir.kind() {
        HirKind::Capture(c) => reach(&c.sub, keywords, cap),
        HirKind::Concat(parts) => {
            // A run of parts that always matches a string holding a keyword, or one part with
            // a reach.
            let found = keyword_run(parts, keywords).map(|(from, to, strings)| (from, to, around(&strings)));
            let (from, to, inner) = found
                .or_else(|| parts.iter().enumerate().find_map(|(i, p)| Some((i, i + 1, reach(p, keywords, cap)?))))?;
            Some(Reach {
                before: (parts[..from].iter().map(len).sum::<usize>() + inner.before).min(cap),
                after: (inner.after + parts[to..].iter().map(len).sum::<usize>()).min(cap),
            })
        }
        HirKind::Alternation(alts) => {
            let each = alts.iter().map(|a| reach(a, keywords, cap)).collect::<Option<Vec<_>>>()?;
            Some(Reach { before: each.iter().map(|r| r.before).max()?, after: each.iter().map(|r| r.after).max()? })
        }
        _ => None,
    }
}

/// The part of a regex after its keyword, when every match is `prefix · s · rest` with `s` one
/// of a few literal strings that each end with a keyword: then the keyword occurrence ending `s`
/// (a keyword hit) is followed by a match of the returned `rest`, anchored at the hit's end.
/// A rule's guard: an anchored search there fails within a few bytes for most keyword hits
/// (`token` in `csrf_token mismatch`), where the rule's regex would read its whole window.
/// `None` when the regex has no such shape, or nothing follows the keyword.
pub fn suffix(hir: &Hir, keywords: &[Vec<u8>]) -> Option<Hir> {
    match hir.kind() {
        HirKind::Capture(c) => suffix(&c.sub, keywords),
        HirKind::Concat(parts) => {
            if let Some((_, to, strings)) = keyword_run(parts, keywords) {
                let rest = &parts[to..];
                let ends = strings.iter().all(|s| ends_with_keyword(s, keywords));
                return (ends && !rest.is_empty()).then(|| Hir::concat(rest.to_vec()));
            }
            // Else a part that has a suffix, followed by the parts after it.
            parts.iter().enumerate().find_map(|(i, part)| {
                let rest = suffix(part, keywords)?;
                Some(Hir::concat(std::iter::once(rest).chain(parts[i + 1..].iter().cloned()).collect()))
            })
        }
        HirKind::Alternation(alts) => {
            let each = alts.iter().map(|a| suffix(a, keywords)).collect::<Option<Vec<_>>>()?;
            Some(Hir::alternation(each))
        }
        _ => None,
    }
}

/// Whether a match of `hir` can contain a `\n`.
pub fn crosses_lines(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(lit) => lit.0.contains(&b'\n'),
        HirKind::Class(Class::Bytes(c)) => c.ranges().iter().any(|r| (r.start()..=r.end()).contains(&b'\n')),
        HirKind::Class(Class::Unicode(c)) => c.ranges().iter().any(|r| (r.start()..=r.end()).contains(&'\n')),
        HirKind::Repetition(r) => r.max != Some(0) && crosses_lines(&r.sub),
        HirKind::Capture(c) => crosses_lines(&c.sub),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => parts.iter().any(crosses_lines),
    }
}

/// Every string `hir` can match, ASCII-lowercased, when there are few and they are short.
fn strings(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let mut out: Vec<Vec<u8>> = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => vec![Vec::new()],
        HirKind::Literal(lit) => vec![lit.0.to_ascii_lowercase()],
        HirKind::Class(class) => {
            let mut bytes: Vec<u8> = match class {
                Class::Bytes(c) => c.ranges().iter().flat_map(|r| r.start()..=r.end()).collect(),
                Class::Unicode(c) => c
                    .ranges()
                    .iter()
                    .flat_map(|r| r.start()..=r.end())
                    .map(|ch| u8::try_from(ch).ok())
                    .collect::<Option<_>>()?,
            };
            if bytes.len() > 2 * MAX_STRINGS {
                return None;
            }
            bytes.iter_mut().for_each(|b| *b = b.to_ascii_lowercase());
            bytes.into_iter().map(|b| vec![b]).collect()
        }
        HirKind::Capture(c) => strings(&c.sub)?,
        HirKind::Repetition(r) => {
            let max = r.max?;
            if max > 4 {
                return None;
            }
            let sub = strings(&r.sub)?;
            let mut all = Vec::new();
            let mut power = vec![Vec::new()];
            for n in 0..=max {
                if n >= r.min {
                    all.extend(power.iter().cloned());
                }
                power = product(&power, &sub)?;
            }
            all
        }
        HirKind::Concat(parts) => {
            let mut acc = vec![Vec::new()];
            for part in parts {
                acc = product(&acc, &strings(part)?)?;
            }
            acc
        }
        HirKind::Alternation(alts) => {
            let mut all = Vec::new();
            for alt in alts {
                all.extend(strings(alt)?);
            }
            all
        }
    };
    out.sort_unstable();
    out.dedup();
    (out.len() <= MAX_STRINGS && out.iter().all(|s| s.len() <= MAX_STRING)).then_some(out)
}

/// Every concatenation of a string of `a` with one of `b`, if there are not too many.
fn product(a: &[Vec<u8>], b: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if a.len() * b.len() > MAX_STRINGS {
        return None;
    }
    Some(a.iter().flat_map(|x| b.iter().map(move |y| [x.as_slice(), y].concat())).collect())
}

/// The first run of consecutive parts, `parts[from..to]`, that always matches a string holding
/// a keyword (a case-insensitive literal is one part per letter), and every string it matches.
pub fn keyword_run<H: std::borrow::Borrow<Hir>>(
    parts: &[H],
    keywords: &[Vec<u8>],
) -> Option<(usize, usize, Vec<Vec<u8>>)> {
    (0..parts.len()).find_map(|from| {
        let mut acc = vec![Vec::new()];
        for (j, part) in parts.iter().enumerate().skip(from) {
            acc = product(&acc, &strings(part.borrow())?)?;
            if holds_keyword(&acc, keywords) {
                return Some((from, j + 1, acc));
            }
        }
        None
    })
}

/// Whether every one of `strings` holds a keyword.
fn holds_keyword(strings: &[Vec<u8>], keywords: &[Vec<u8>]) -> bool {
    strings.iter().all(|s| keywords.iter().any(|k| contains(s, k)))
}

/// Whether a keyword starts at `hay[at]` (ASCII case-insensitively).
fn keyword_at(hay: &[u8], at: usize, keywords: &[Vec<u8>]) -> bool {
    keywords.iter().any(|k| !k.is_empty() && hay.get(at..at + k.len()).is_some_and(|w| w.eq_ignore_ascii_case(k)))
}

/// Where the first keyword occurrence in `hay` starts.
fn first_keyword(hay: &[u8], keywords: &[Vec<u8>]) -> Option<usize> {
    (0..hay.len()).find(|&at| keyword_at(hay, at, keywords))
}

/// Whether `hay` ends with a keyword.
pub fn ends_with_keyword(hay: &[u8], keywords: &[Vec<u8>]) -> bool {
    keywords.iter().any(|k| !k.is_empty() && hay.len() >= k.len() && hay[hay.len() - k.len()..].eq_ignore_ascii_case(k))
}

/// Whether `hay` (lowercase) contains `needle`, ASCII case-insensitively.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Parses a regex the way rules are parsed (bytes, Unicode off). Also used by `guard`'s tests.
    pub(crate) fn parse(re: &str) -> Hir {
        regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(re).unwrap()
    }

    /// Keywords from string literals.
    pub(crate) fn kw(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|k| k.as_bytes().to_vec()).collect()
    }

    #[test]
    fn a_prefix_token_reaches_only_forward_past_its_keyword() {
        let r = reach(&parse(r"\b(ghp_[A-Za-z0-9]{36})\b"), &kw(&["ghp_"]), 200).unwrap();
        assert_eq!(r, Reach { before: 0, after: 36 + 4 });
    }

    #[test]
    fn case_insensitive_alternations_of_keywords_count() {
        let re = r#"(?i)[a-z_]{0,10}(?:password|api[_-]?key)[ \t]{0,5}=[ \t]{0,5}"([^"\r\n]{4,40})""#;
        let r = reach(&parse(re), &kw(&["password", "api_key", "apikey", "api-key"]), 200).unwrap();
        assert_eq!(r, Reach { before: 10, after: 5 + 1 + 5 + 1 + 40 + 1 + 8 });
        // An unbounded part counts as the rule's window; no match is longer than that.
        let r = reach(&parse(r"(?i)password\s*=\s*(\S{8,})"), &kw(&["password"]), 100).unwrap();
        assert_eq!(r, Reach { before: 0, after: 100 });
    }

    #[test]
    fn before_counts_to_the_first_keyword_of_the_string_holding_it() {
        // "xxab…" holds `ab` 2 bytes in, "xxcdab…" 4 bytes in.
        let r = reach(&parse(r"xx(?:ab|cdab)yy"), &kw(&["ab"]), 100).unwrap();
        assert_eq!(r.before, 4);
        // With two keywords, the first one in each string counts.
        let r = reach(&parse(r"q(?:api-|sdk-)[a-f0-9]{8}"), &kw(&["api-", "sdk-"]), 100).unwrap();
        assert_eq!(r, Reach { before: 1, after: 5 + 8 });
    }

    #[test]
    fn a_match_that_can_miss_every_keyword_has_no_reach() {
        assert_eq!(reach(&parse(r"ghp_\w+"), &[], 100), None);
        // `pwd` is not a keyword of the rule: a match on it holds none.
        assert_eq!(reach(&parse(r"(?i)(?:password|pwd)=(\S{8,})"), &kw(&["password"]), 100), None);
        // The keyword is only context, not part of the match.
        assert_eq!(reach(&parse(r"[a-f0-9]{32}"), &kw(&["heroku"]), 100), None);
        assert_eq!(reach(&parse(r"heroku|[a-f0-9]{32}"), &kw(&["heroku"]), 100), None);
    }

    #[test]
    fn the_suffix_is_what_follows_a_keyword_that_ends_its_literal() {
        let rest = |re: &str, k: &[&str]| suffix(&parse(re), &kw(k));
        let g = rest(
            r"(?i)[a-z_]{0,10}(?:password|api[_-]?key)[ \t]{0,5}=([^\s]{8,})",
            &["password", "api_key", "apikey", "api-key"],
        );
        let guard = crate::rules::compile_hir(&g.expect("a suffix")).unwrap();
        let anchored = |hay: &str, at: usize| {
            guard.is_match(regex_automata::Input::new(hay).range(at..).anchored(regex_automata::Anchored::Yes))
        };
        assert!(anchored("db_password =hunter2hunter2", 11));
        assert!(!anchored("password reset for 42", 8));
        // Inside a capture and followed by parts of the enclosing concatenation.
        // (An optional group stays optional: printed and parsed again, `(?:x{4})?` became the
        // lazy `x{4}?`.)
        let g = rest(r"\b(ghp_[A-Za-z0-9]{4}(?:[A-Za-z0-9]{3})?)\b", &["ghp_"]).expect("a suffix");
        let guard = crate::rules::compile_hir(&g).unwrap();
        let at = |hay: &str| {
            guard.is_match(regex_automata::Input::new(hay).range(4..).anchored(regex_automata::Anchored::Yes))
        };
        assert!(at("ghp_aB3d ") && at("ghp_aB3dXyz.") && !at("ghp_aB3dX") && !at("ghp_a-b"));
        // A string that does not end with its keyword (`passwd` holds `pass` inside), a
        // keyword at the very end, no keyword at all: no suffix.
        assert_eq!(rest(r"passwdx=(\w+)", &["pass"]), None);
        assert_eq!(rest(r"[a-z]{4}token", &["token"]), None);
        assert_eq!(rest(r"[a-f0-9]{32}", &["heroku"]), None);
    }

    #[test]
    fn newlines_are_found_in_classes_literals_and_repetitions() {
        assert!(!crosses_lines(&parse(r"(?im)^[ \t]*key[ \t]*=[ \t]*([^\s]{8,})\r?$")));
        assert!(crosses_lines(&parse(r"key\s*=\s*(\w+)")));
        assert!(crosses_lines(&parse(r"-----BEGIN[^-]+-----")));
        assert!(crosses_lines(&parse(r"a\nb")));
        assert!(!crosses_lines(&parse(r"(?s:.){0}x")));
    }
}
