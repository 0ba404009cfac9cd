//! Known secrets: exact values the user names (`--known-env PATTERN`, `--known-file FILE`),
//! searched for as themselves and in the encodings logs and dumps use — base64 (std and url,
//! each of the three alignments), hex (lower and upper), percent-encoding, JSON escaping and
//! UTF-16LE — by one Aho-Corasick automaton over all the encoded variants.
//!
//! Invariants: no false positives by construction (a finding is an exact byte match of an
//! encoded variant); a value never reaches `Debug`, a message or a finding's name — findings
//! name the variable or the file line (`env:GITHUB_TOKEN`, `file:secrets.txt:3`). Values
//! shorter than [`MIN_LEN`] bytes are ignored (too likely to occur by chance).
//! Depends on `finding`, `messages`, `aho-corasick`, `globset`.

use crate::finding::{Confidence, RuleInfo, Secret};
use aho_corasick::{AhoCorasick, MatchKind};
use anyhow::{anyhow, Result};
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// The rule id of every known-secret finding.
pub const RULE_ID: &str = "known-secret";
/// Shortest value accepted, in bytes.
pub const MIN_LEN: usize = 8;
/// Shortest encoded variant searched for (a base64 alignment of a short value can be shorter).
const MIN_PATTERN: usize = 8;

/// One value with the label findings carry instead of it.
pub struct KnownValue {
    /// `env:NAME` or `file:PATH:LINE`.
    pub label: String,
    /// The value (redacted in `Debug`).
    pub value: Secret,
}

impl fmt::Debug for KnownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KnownValue({}, {:?})", self.label, self.value)
    }
}

/// The compiled automaton over every encoded variant of every value.
pub struct Known {
    automaton: AhoCorasick,
    /// Pattern index → what a finding reports (rule `known-secret`, name = label + encoding).
    infos: Vec<Arc<RuleInfo>>,
}

impl fmt::Debug for Known {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the automaton: it holds the values.
        write!(f, "Known({} patterns)", self.infos.len())
    }
}

impl Known {
    /// Compiles the values; `None` when there are none.
    pub fn new(values: &[KnownValue]) -> Result<Option<Known>> {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut infos = Vec::new();
        for v in values {
            for (encoding, pattern) in encodings(v.value.expose()) {
                if pattern.len() < MIN_PATTERN || patterns.contains(&pattern) {
                    continue;
                }
                patterns.push(pattern);
                infos.push(Arc::new(info(&v.label, encoding)));
            }
        }
        if patterns.is_empty() {
            return Ok(None);
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            // The error names no pattern, but say nothing of it anyway.
            .map_err(|_| anyhow!("building the known-secret automaton failed"))?;
        Ok(Some(Known { automaton, infos }))
    }

    /// Every variant found in `data`: (rule info, byte span), leftmost-longest, in order.
    pub fn find<'a>(&'a self, data: &'a [u8]) -> impl Iterator<Item = (&'a Arc<RuleInfo>, Range<usize>)> + 'a {
        self.automaton.find_iter(data).map(|m| (&self.infos[m.pattern().as_usize()], m.range()))
    }
}

/// The label of a known-secret finding (`env:NAME`, `file:PATH:LINE`…), read back from its
/// rule's name (`LABEL (ENCODING)`, as [`info`] writes it); `None` for any other finding.
pub fn label_of(info: &RuleInfo) -> Option<&str> {
    (info.id == RULE_ID).then(|| info.name.rsplit_once(" (").map(|(label, _)| label)).flatten()
}

fn info(label: &str, encoding: &str) -> RuleInfo {
    RuleInfo {
        id: RULE_ID.to_string(),
        name: format!("{label} ({encoding})"),
        description: "A value given with --known-env or --known-file, found verbatim or encoded. \
                      Rotate it: it reached a log or a file it should not have."
            .to_string(),
        confidence: Confidence::High,
        references: Vec::new(),
        tags: vec!["known".to_string()],
    }
}

/// The values of the environment variables whose names match one of the comma-separated
/// globs (case-insensitive), labelled `env:NAME`. Short values are skipped with a note.
pub fn from_env(patterns: &str) -> Result<Vec<KnownValue>> {
    let mut builder = globset::GlobSetBuilder::new();
    for p in patterns.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let glob = globset::GlobBuilder::new(p)
            .case_insensitive(true)
            .build()
            .map_err(|e| anyhow!("--known-env: bad pattern {p:?}: {e}"))?;
        builder.add(glob);
    }
    let set = builder.build().map_err(|e| anyhow!("--known-env: {e}"))?;
    let mut out = Vec::new();
    for (name, value) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if !set.is_match(&name) {
            continue;
        }
        let value = crate::chunk::path_bytes(Path::new(&value));
        if value.len() < MIN_LEN {
            crate::messages::note(&format!("--known-env: {name}: value shorter than {MIN_LEN} bytes, ignored"));
            continue;
        }
        out.push(KnownValue { label: format!("env:{name}"), value: Secret::new(value) });
    }
    if out.is_empty() {
        crate::messages::warn(&format!("--known-env {patterns:?}: no environment variable matched"));
    }
    Ok(out)
}

/// One value per line of `path` (a trailing `\r` dropped, blank lines skipped), labelled
/// `file:PATH:LINE`. Errors name the file and line, never the value.
pub fn from_file(path: &Path) -> Result<Vec<KnownValue>> {
    let data = std::fs::read(path).map_err(|e| anyhow!("--known-file {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if line.len() < MIN_LEN {
            crate::messages::warn(&format!(
                "--known-file {}:{}: value shorter than {MIN_LEN} bytes, ignored",
                path.display(),
                i + 1
            ));
            continue;
        }
        out.push(KnownValue { label: format!("file:{}:{}", path.display(), i + 1), value: Secret::new(line.to_vec()) });
    }
    Ok(out)
}

/// The value and its encoded variants, each with the encoding's name.
pub fn encodings(v: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let mut out = vec![("verbatim", v.to_vec())];
    out.push(("hex", v.iter().flat_map(|b| format!("{b:02x}").into_bytes()).collect()));
    out.push(("hex", v.iter().flat_map(|b| format!("{b:02X}").into_bytes()).collect()));
    for align in 0..3 {
        let stable = base64_stable(v, align);
        let url: Vec<u8> = stable
            .iter()
            .map(|&c| match c {
                b'+' => b'-',
                b'/' => b'_',
                c => c,
            })
            .collect();
        out.push(("base64", stable));
        out.push(("base64url", url));
    }
    out.push(("percent-encoded", percent(v, b"0123456789ABCDEF")));
    out.push(("percent-encoded", percent(v, b"0123456789abcdef")));
    out.push(("json-escaped", json_escape(v, false)));
    out.push(("json-escaped", json_escape(v, true)));
    match std::str::from_utf8(v) {
        Ok(s) => out.push(("utf-16le", s.encode_utf16().flat_map(u16::to_le_bytes).collect())),
        Err(_) => out.push(("utf-16le", v.iter().flat_map(|&b| [b, 0]).collect())),
    }
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The base64 characters that depend only on `v` when `v` starts `align` bytes (0..3) into a
/// base64-encoded stream: drop the characters mixed with the bytes before and after it.
pub fn base64_stable(v: &[u8], align: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; align];
    bytes.extend_from_slice(v);
    let encoded = base64(&bytes);
    let first = (8 * align).div_ceil(6);
    let last = 8 * (align + v.len()) / 6; // exclusive: characters wholly inside the value
    encoded.get(first..last).map(<[u8]>::to_vec).unwrap_or_default()
}

/// Standard base64 without padding.
pub(crate) fn base64(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let n = group.iter().enumerate().fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..=group.len() {
            out.push(B64[(n >> (18 - 6 * i) & 63) as usize]);
        }
    }
    out
}

/// Every byte outside RFC 3986's unreserved set as `%XX`.
fn percent(v: &[u8], digits: &[u8; 16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * 3);
    for &b in v {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', digits[(b >> 4) as usize], digits[(b & 15) as usize]]);
        }
    }
    out
}

/// The value inside a JSON string; `ascii` also escapes `/` and non-ASCII (as `\uXXXX`), like
/// Python's `json.dumps`.
fn json_escape(v: &[u8], ascii: bool) -> Vec<u8> {
    let text = String::from_utf8_lossy(v);
    let mut out = String::with_capacity(v.len() + 8);
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '/' if ascii => out.push_str("\\/"),
            c if (c as u32) < 0x20 || (ascii && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_names_its_label_back() {
        assert_eq!(label_of(&info("file:a (1).txt:3", "base64")), Some("file:a (1).txt:3"));
        assert_eq!(label_of(&info("env:GITHUB_TOKEN", "utf-16le")), Some("env:GITHUB_TOKEN"));
        let other = RuleInfo { id: "github-pat-classic".into(), ..info("env:X", "plain") };
        assert_eq!(label_of(&other), None);
    }

    #[test]
    fn base64_matches_known_vectors() {
        assert_eq!(base64(b"foobar"), b"Zm9vYmFy");
        assert_eq!(base64(b"fo"), b"Zm8");
        assert_eq!(base64(b"f"), b"Zg");
    }

    #[test]
    fn each_alignment_is_a_substring_of_the_encoded_stream() {
        let value = b"s3cr3t-Value_0123";
        for align in 0..3 {
            for tail in 0..3 {
                let mut stream = b"xyz"[..align].to_vec();
                stream.extend_from_slice(value);
                stream.extend_from_slice(&b"!?#"[..tail]);
                let enc = base64(&stream);
                let stable = base64_stable(value, align);
                assert!(stable.len() >= 20, "{align}");
                assert!(memchr::memmem::find(&enc, &stable).is_some(), "align {align} tail {tail}");
            }
        }
    }

    #[test]
    fn finds_encodings_and_debug_hides_values() {
        let v = KnownValue { label: "env:T".into(), value: Secret::new(b"p@ss/w\"rd-1234".to_vec()) };
        assert!(!format!("{v:?}").contains("p@ss"));
        let known = Known::new(std::slice::from_ref(&v)).unwrap().unwrap();
        assert!(!format!("{known:?}").contains("p@ss"));
        let hex: Vec<u8> = v.value.expose().iter().flat_map(|b| format!("{b:02X}").into_bytes()).collect();
        for hay in [&b"x=p%40ss%2Fw%22rd-1234&"[..], b"{\"a\":\"p@ss/w\\\"rd-1234\"}", &hex] {
            assert_eq!(known.find(hay).count(), 1, "{}", String::from_utf8_lossy(hay));
        }
        assert_eq!(known.find(b"p@ss/w").count(), 0);
    }
}
