//! Rules: `RuleSpec` as written in `rules/*.toml` (or a user's file) → compiled `Rule`.
//!
//! Invariant: a rule that fails to parse is an error naming its file and id, never silently
//! dropped. Regexes run over bytes with Unicode off (ASCII classes, like Go RE2). A user's
//! regex is parsed and checked when its rule loads, a built-in one when a scan first needs it
//! ([`Rule::parsed`]); either is compiled on first use ([`LazyRegex`]): most rules never see
//! their keyword in a given scan, and compiling all of them was most of the cost of a small
//! scan (a pre-commit hook).
//! Depends on `entropy`, `finding` (for `Confidence`, `RuleInfo`), `messages` and `pack`.

use crate::finding::{Confidence, RuleInfo};
use crate::guard::Guard;
use anyhow::{anyhow, Context, Result};
use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_syntax::hir::{Capture, Hir, HirKind, Repetition};
use serde::Deserialize;
use std::sync::{Arc, OnceLock};

/// A rule file: `[[rules]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFileSpec {
    /// The rules of the file.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

/// One rule exactly as written (see `rules/README.md`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable kebab-case id.
    pub id: String,
    /// Human name.
    #[serde(default)]
    pub name: String,
    /// What / why / fix.
    #[serde(default)]
    pub description: String,
    /// The pattern.
    pub regex: String,
    /// Capture group of the secret (default: 1 if the regex has a group, else 0).
    pub secret_group: Option<usize>,
    /// Prefilter literals (ASCII case-insensitive).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Entropy floor in bits per byte.
    pub min_entropy: Option<f64>,
    /// high / medium / low (default medium).
    pub confidence: Option<Confidence>,
    /// Offline checksum verifier name.
    pub checksum: Option<String>,
    /// Apply to binary content (default true).
    pub binary: Option<bool>,
    /// Longest match in bytes (default [`DEFAULT_MAX_LEN`]).
    pub max_len: Option<usize>,
    /// Where a keyword must occur for the regex to run: `near` the match (default) or anywhere
    /// in the `chunk` (gitleaks' semantics, used for gitleaks configs).
    pub keyword_scope: Option<KeywordScope>,
    /// Drop obvious placeholders (`EXAMPLE`, `xxxx`, `${VAR}`…; default true). Off for gitleaks
    /// configs, which carry their own allowlists.
    pub placeholders: Option<bool>,
    /// The secret is the right-hand side of a generic assignment: drop values that are
    /// identifiers rather than secrets (UUIDs, numbers, short hex ids, code words).
    pub generic_value: Option<bool>,
    /// Drop matches whose host is a documentation domain (RFC 2606: `example.com`,
    /// `example.net`, `example.org` and their subdomains, `*.example`, `*.invalid`): the
    /// host after `machine` in a .netrc line or after `@` in a URL (default false).
    pub example_hosts: Option<bool>,
    /// Documentation links.
    #[serde(default)]
    pub references: Vec<String>,
    /// Free-form tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Strings the rule must find.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Strings the rule must not find.
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

impl RuleSpec {
    /// The longest match as written, or [`DEFAULT_MAX_LEN`]: the window a keyword hit opens
    /// before the regex narrows it (`Parsed::max_len`).
    pub fn written_max_len(&self) -> usize {
        self.max_len.unwrap_or(DEFAULT_MAX_LEN)
    }
}

/// Where a rule's keyword must occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeywordScope {
    /// Within `max_len` bytes of the match (the regex runs in windows around keyword hits).
    Near,
    /// Anywhere in the chunk (the regex runs over the whole chunk).
    Chunk,
}

/// Default longest match, in bytes.
pub const DEFAULT_MAX_LEN: usize = 512;
/// Largest `max_len` a rule may ask for (it must fit the chunk overlap).
pub const MAX_MAX_LEN: usize = 32 << 10;

/// An offline token checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// GitHub `ghp_`-style tokens: the last 6 characters are the base62 CRC32 of the 30 before.
    Github,
    /// npm `npm_` tokens: the same scheme as GitHub's (30 random base62 + 6 base62 CRC32).
    Npm,
    /// HTTP Basic credentials: standard base64 that decodes to printable `user:password`.
    BasicAuth,
}

impl Checksum {
    fn parse(name: &str) -> Result<Self> {
        match name {
            "github" => Ok(Checksum::Github),
            "npm" => Ok(Checksum::Npm),
            "basic-auth" => Ok(Checksum::BasicAuth),
            other => Err(anyhow!("unknown checksum {other:?} (known: github, npm, basic-auth)")),
        }
    }

    /// True when `secret` carries a valid checksum.
    pub fn is_valid(self, secret: &[u8]) -> bool {
        match self {
            Checksum::Github | Checksum::Npm => is_valid_github(secret),
            Checksum::BasicAuth => is_basic_auth(secret),
        }
    }
}

fn is_valid_github(token: &[u8]) -> bool {
    let Some(us) = token.iter().position(|&b| b == b'_') else { return false };
    let body = &token[us + 1..];
    if body.len() != 36 {
        return false;
    }
    let (random, check) = body.split_at(30);
    base62_6(crc32fast::hash(random)).as_bytes() == check
}

/// Standard base64 (padding optional) decoding to printable ASCII `user:password`.
fn is_basic_auth(encoded: &[u8]) -> bool {
    let Some(decoded) = decode_base64(encoded) else { return false };
    decoded.contains(&b':') && decoded.len() >= 3 && decoded.iter().all(|b| (0x20..0x7f).contains(b))
}

/// Decodes standard base64; `None` on a character outside the alphabet or a bad length.
pub fn decode_base64(encoded: &[u8]) -> Option<Vec<u8>> {
    let body = encoded.strip_suffix(b"==").or_else(|| encoded.strip_suffix(b"=")).unwrap_or(encoded);
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in body {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Base62 (`0-9A-Za-z`) of `n`, left-padded with `0` to 6 characters.
pub fn base62_6(mut n: u32) -> String {
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// What reporters see.
    pub info: Arc<RuleInfo>,
    /// What reporters see when the secret fails the rule's checksum: the same rule at `low`
    /// confidence (a failed checksum marks the finding low rather than dropping it).
    pub unverified: Arc<RuleInfo>,
    /// See [`RuleSpec::generic_value`].
    pub generic_value: bool,
    /// See [`RuleSpec::example_hosts`].
    pub example_hosts: bool,
    /// Lowercased prefilter literals.
    pub keywords: Vec<Vec<u8>>,
    /// Entropy floor, bits per byte (0 = none).
    pub min_entropy: f64,
    /// Offline checksum, if the format has one.
    pub checksum: Option<Checksum>,
    /// Whether the rule applies to binary content.
    pub binary: bool,
    /// Where a keyword must occur.
    pub keyword_scope: KeywordScope,
    /// Whether obvious placeholders are dropped.
    pub placeholders: bool,
    /// Where the rule was defined (a pack file name or a user's path).
    pub file: String,
    /// The spec as written (examples are checked by `check`).
    pub spec: RuleSpec,
    /// The regex parsed and analysed: when the rule loads for a user's rule (so its errors
    /// stop the scan before it starts), on first use for the built-in pack (see [`builtin`]).
    parsed: OnceLock<Option<Box<Parsed>>>,
}

/// What a rule's regex says about its matches, worked out from the parsed pattern.
#[derive(Debug)]
pub struct Parsed {
    /// The pattern, compiled on first use.
    pub regex: LazyRegex,
    /// Capture group of the secret.
    pub secret_group: usize,
    /// Longest match in bytes (as declared, or less when the regex bounds its matches): the
    /// regex runs within this distance of a keyword hit.
    pub max_len: usize,
    /// How far a match reaches around the keyword it contains (`None`: a match may hold no
    /// keyword; the window then spans `max_len` on both sides). See `reach.rs`.
    pub reach: Option<crate::reach::Reach>,
    /// Whether a match can span lines (if not, windows stop at the keyword's line).
    pub crosses_lines: bool,
    /// What every match has around a keyword hit (see `guard.rs`): a hit it rejects opens no
    /// window.
    pub guard: Option<Guard>,
}

/// A rule's regex, parsed when the rule loads and compiled the first time a scan needs it.
pub struct LazyRegex {
    /// The parsed pattern, as compiled (see [`relax`]).
    hir: Hir,
    /// Where the rule was defined and its id, for the one warning if compiling fails.
    name: String,
    /// Runs only in windows around keyword hits (see `compile_windowed`).
    windowed: bool,
    compiled: OnceLock<Option<Regex>>,
}

impl LazyRegex {
    /// The compiled regex; `None` (after one warning that marks the scan incomplete) when the
    /// pattern parsed but could not be compiled (an automaton size limit).
    pub fn get(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| match if self.windowed { compile_windowed(&self.hir) } else { compile_hir(&self.hir) } {
                Ok(regex) => Some(regex),
                Err(e) => {
                    crate::messages::incomplete("rule not compiled", &format!("{}: {e}", self.name));
                    None
                }
            })
            .as_ref()
    }
}

impl std::fmt::Debug for LazyRegex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyRegex").field("name", &self.name).finish_non_exhaustive()
    }
}

/// Counted repetitions bounded above this are compiled without their bound (see [`relax`]).
pub const RELAX_ABOVE: u32 = 64;

/// `hir` with every counted repetition `{m,n}` whose `n` exceeds [`RELAX_ABOVE`] made `{m,}`.
///
/// A Thompson NFA holds a copy of the repeated part per count: the PEM rule's `{40,16000}?`
/// took 25 ms and 9 MB to compile, 0.2 ms and 28 KB without its bound, and a tree scan spent a
/// fifth of its CPU compiling the few rules its keywords woke. The bound is kept where it
/// still holds every match: a keyword rule's regex runs only in windows around keyword hits no
/// wider than its longest match, computed from the written bounds (`Rule::max_len`), so what
/// the relaxed regex matches there is what the written one matches, except a run longer than
/// its bound inside such a window. A guard drops every upper bound ([`relax_above`] with 0):
/// it only ever accepts more, and its lazy DFA then needs no state per count.
pub fn relax(hir: &Hir) -> Hir {
    relax_above(hir, RELAX_ABOVE)
}

/// `hir` with every counted repetition `{m,n}` whose `n` exceeds `limit` (and `m`) made `{m,}`.
pub fn relax_above(hir: &Hir, limit: u32) -> Hir {
    let inner = |h: &Hir| relax_above(h, limit);
    match hir.kind() {
        HirKind::Repetition(rep) => {
            let sub = inner(&rep.sub);
            let max = match rep.max {
                Some(n) if n > limit && n > rep.min => None,
                other => other,
            };
            Hir::repetition(Repetition { min: rep.min, max, greedy: rep.greedy, sub: Box::new(sub) })
        }
        HirKind::Capture(cap) => Hir::capture(Capture { sub: Box::new(inner(&cap.sub)), ..cap.clone() }),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(inner).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(inner).collect()),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => hir.clone(),
    }
}

/// How every rule's pattern is parsed: bytes, Unicode off.
fn syntax_config() -> syntax::Config {
    syntax::Config::new().unicode(false).utf8(false)
}

/// The regex engine's settings for every rule: empty matches anywhere, a bounded automaton.
fn regex_config() -> regex_automata::meta::Config {
    Regex::config().utf8_empty(false).nfa_size_limit(Some(64 << 20))
}

/// Compiles an already parsed pattern with the rules' settings.
pub fn compile_hir(hir: &Hir) -> Result<Regex> {
    Regex::builder().configure(regex_config()).build_from_hir(hir).map_err(|e| anyhow!("{e}"))
}

/// Compiles a rule's regex that runs only in windows around its keywords' hits, without the
/// literal prefilters the engine would otherwise derive from it: the windows are the
/// prefilter. Deriving them (a reverse-inner search's literals above all) was half the time
/// spent compiling the rules a scan wakes: callgrind, two wheels of the Python standard
/// library, 43 -> 20 M instructions; on a 100 MB log the search itself took 6% fewer
/// instructions without them. A rule scanning whole chunks (gitleaks' semantics) keeps them:
/// without, the Python standard library under gitleaks' config took 0.91 s instead of 0.54.
pub fn compile_windowed(hir: &Hir) -> Result<Regex> {
    Regex::builder().configure(regex_config().auto_prefilter(false)).build_from_hir(hir).map_err(|e| anyhow!("{e}"))
}

/// Compiles a pattern the way every rule is compiled: bytes, Unicode off. A syntax error
/// quotes the pattern under a caret.
pub fn compile_regex(pattern: &str) -> Result<Regex> {
    build_regex(pattern, detail)
}

/// [`compile_regex`] for a pattern that may be a literal token (an allowlist's regexes let
/// given secrets through): a syntax error names the character and the problem, never the
/// pattern (`regex parse error at character 41: unclosed group`).
pub fn compile_regex_unquoted(pattern: &str) -> Result<Regex> {
    build_regex(pattern, |e| {
        let at = |span: &regex_syntax::ast::Span, kind: &dyn std::fmt::Display| {
            anyhow!("regex parse error at character {}: {kind}", span.start.column)
        };
        match e.syntax_error() {
            Some(regex_syntax::Error::Parse(p)) => at(p.span(), p.kind()),
            Some(regex_syntax::Error::Translate(t)) => at(t.span(), t.kind()),
            // Other build errors (size limits) do not quote the pattern.
            _ => detail(e),
        }
    })
}

fn build_regex(pattern: &str, error: impl FnOnce(&regex_automata::meta::BuildError) -> anyhow::Error) -> Result<Regex> {
    Regex::builder().syntax(syntax_config()).configure(regex_config()).build(pattern).map_err(|e| error(&e))
}

/// A build error as its cause says it (`heap usage during NFA compilation exceeded …`, or the
/// syntax error with its pattern and caret), not the wrapper's `error building NFA`.
fn detail(e: &regex_automata::meta::BuildError) -> anyhow::Error {
    match std::error::Error::source(e) {
        Some(detail) => anyhow!("{detail}"),
        None => anyhow!("{e}"),
    }
}

impl Rule {
    /// Compiles a spec, its regex parsed and analysed now; the error names the rule and what
    /// is wrong.
    pub fn compile(spec: RuleSpec, file: &str) -> Result<Rule> {
        let rule = Rule::load(spec, file)?;
        let parsed = rule.parse()?;
        let _ = rule.parsed.set(Some(Box::new(parsed)));
        Ok(rule)
    }

    /// [`Rule::compile`] for a rule of the user's config. The engine runs a rule's regex in
    /// windows around its keywords' occurrences, so a rule whose keyword lies outside its
    /// matches (`keywords = ["zeta"]` for `\bzk_[a-z0-9]{32}\b`, as gitleaks rules are often
    /// written) would silently find nothing. When the regex does not show that every match
    /// holds a keyword and the rule does not set `keyword_scope`, the rule is searched wherever
    /// a keyword occurs in the chunk, as gitleaks does (a note with `-v` says so).
    pub fn compile_user(spec: RuleSpec, file: &str) -> Result<Rule> {
        let rule = Rule::compile(spec.clone(), file)?;
        let unshown = spec.keyword_scope.is_none()
            && !rule.keywords.is_empty()
            && rule.parsed.get().and_then(Option::as_ref).is_some_and(|p| p.reach.is_none());
        if !unshown {
            return Ok(rule);
        }
        crate::messages::note(&format!(
            "{file}: rule {}: its matches need not contain a keyword: searched wherever one occurs in the \
             chunk (keyword_scope = \"chunk\"; set keyword_scope = \"near\" to keep it to windows)",
            spec.id
        ));
        Rule::compile(RuleSpec { keyword_scope: Some(KeywordScope::Chunk), ..spec }, file)
    }

    /// A spec whose regex is parsed on first use ([`Rule::parsed`]): what can be checked
    /// without parsing it is checked here.
    fn load(spec: RuleSpec, file: &str) -> Result<Rule> {
        let id = spec.id.clone();
        let checksum =
            spec.checksum.as_deref().map(Checksum::parse).transpose().with_context(|| format!("{file}: rule {id}"))?;
        let max_len = spec.written_max_len();
        if max_len == 0 || max_len > MAX_MAX_LEN {
            return Err(anyhow!("{file}: rule {id}: max_len must be 1..={MAX_MAX_LEN}"));
        }
        if spec.keywords.iter().any(|k| k.is_empty()) {
            return Err(anyhow!("{file}: rule {id}: empty keyword"));
        }
        let keywords: Vec<Vec<u8>> = spec.keywords.iter().map(|k| k.to_ascii_lowercase().into_bytes()).collect();
        let info = Arc::new(RuleInfo {
            id: spec.id.clone(),
            name: if spec.name.is_empty() { spec.id.clone() } else { spec.name.clone() },
            description: spec.description.trim().to_string(),
            confidence: spec.confidence.unwrap_or(Confidence::Medium),
            references: spec.references.clone(),
            tags: spec.tags.clone(),
        });
        let unverified = Arc::new(RuleInfo { confidence: Confidence::Low, ..(*info).clone() });
        Ok(Rule {
            info,
            unverified,
            generic_value: spec.generic_value.unwrap_or(false),
            example_hosts: spec.example_hosts.unwrap_or(false),
            keywords,
            min_entropy: spec.min_entropy.unwrap_or(0.0),
            checksum,
            binary: spec.binary.unwrap_or(true),
            keyword_scope: spec.keyword_scope.unwrap_or(KeywordScope::Near),
            placeholders: spec.placeholders.unwrap_or(true),
            file: file.to_string(),
            spec,
            parsed: OnceLock::new(),
        })
    }

    /// The parsed regex and what it says about matches; `None` (after one warning that marks
    /// the scan incomplete) for a rule whose regex does not parse, which the pack's tests rule
    /// out for built-in rules.
    pub fn parsed(&self) -> Option<&Parsed> {
        self.parsed
            .get_or_init(|| match self.parse() {
                Ok(parsed) => Some(Box::new(parsed)),
                Err(e) => {
                    crate::messages::incomplete("rule not compiled", &format!("{e:#}"));
                    None
                }
            })
            .as_deref()
    }

    /// Parses and analyses the regex; the error names the rule and what is wrong.
    pub fn parse(&self) -> Result<Parsed> {
        let (spec, file, id) = (&self.spec, &self.file, &self.spec.id);
        let hir = syntax::parse_with(&spec.regex, &syntax_config())
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("{file}: rule {id}: regex"))?;
        let groups = hir.properties().explicit_captures_len() + 1;
        let secret_group = spec.secret_group.unwrap_or(if groups > 1 { 1 } else { 0 });
        if secret_group >= groups {
            return Err(anyhow!(
                "{file}: rule {id}: secret_group {secret_group} but the regex has {} group(s)",
                groups - 1
            ));
        }
        // A regex whose matches are bounded needs no wider window than its longest match: the
        // keyword windows (and so the regex work per keyword hit) shrink to what can match.
        let max_len = spec.written_max_len();
        let max_len = hir.properties().maximum_len().map_or(max_len, |n| max_len.min(n.max(1)));
        let keywords = &self.keywords;
        let reach = crate::reach::reach(&hir, keywords, max_len);
        let crosses_lines = crate::reach::crosses_lines(&hir);
        let guard = Guard::of(&hir, keywords);
        let windowed = !keywords.is_empty() && self.keyword_scope != KeywordScope::Chunk;
        Ok(Parsed {
            regex: LazyRegex {
                // Only windows around keyword hits bound what a relaxed regex matches.
                hir: if windowed { relax(&hir) } else { hir },
                name: format!("{file}: rule {id}"),
                windowed,
                compiled: OnceLock::new(),
            },
            secret_group,
            max_len,
            reach,
            crosses_lines,
            guard,
        })
    }
}

/// Parses and compiles every rule of one TOML text. All errors are returned together.
pub fn load_text(text: &str, file: &str) -> Result<Vec<Rule>, Vec<String>> {
    let spec: RuleFileSpec = toml::from_str(text)
        .map_err(|e| vec![format!("{file}: {}", crate::messages::parse_error(text, e.span(), e.message()))])?;
    load_spec_with(spec, file, Rule::compile)
}

fn load_spec_with(
    spec: RuleFileSpec,
    file: &str,
    compile: impl Fn(RuleSpec, &str) -> Result<Rule>,
) -> Result<Vec<Rule>, Vec<String>> {
    let mut rules = Vec::with_capacity(spec.rules.len());
    let mut errors = Vec::new();
    for rule in spec.rules {
        match compile(rule, file) {
            Ok(r) => rules.push(r),
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// The built-in pack, in pack order, each rule's regex parsed on first use. Errors name file
/// and rule.
///
/// The files are read as the JSON `build.rs` wrote from them (a fifth of the instructions the
/// TOML parse took: 33 of the 50 M instructions of a scan of nothing were TOML), on one thread
/// per core, each taking the next file not yet taken: parsing the TOML and the regexes of 356
/// rules was most of the 32 ms a scan of nothing took,
/// the fixed cost of every pre-commit hook run. Parsing and analysing the regexes was 14 ms of
/// CPU of it, and a scan meets the keywords of few rules (87 of 356 on the Python standard
/// library, 24 of whose regexes then run): they are parsed when one of their keywords is first
/// hit (the pack's tests parse them all).
///
/// The rules come without their examples and negative examples ([`crate::pack::PACK_LEAN_JSON`]):
/// a scan does not read them, and they were a tenth of the instructions of a scan of nothing
/// (callgrind: 9.5 M -> 8.4 M). [`builtin_with_examples`] has them.
pub fn builtin() -> Result<Vec<Rule>, Vec<String>> {
    load_pack(crate::pack::PACK_LEAN_JSON)
}

/// [`builtin`] with every rule's examples and negative examples, for `rules check` (which
/// runs them) and `rules explain` (which counts them).
pub fn builtin_with_examples() -> Result<Vec<Rule>, Vec<String>> {
    load_pack(crate::pack::PACK_JSON)
}

fn load_pack(pack: &[(&str, &str)]) -> Result<Vec<Rule>, Vec<String>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let load = || {
        let mut loaded = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some((name, json)) = pack.get(i) else { return loaded };
            let file = format!("rules/{name}.toml");
            let spec = serde_json::from_str(json).map_err(|e| vec![format!("{file}: {e}")]);
            loaded.push((i, spec.and_then(|spec| load_spec_with(spec, &file, Rule::load))));
        }
    };
    let mut loaded: Vec<_> = std::thread::scope(|s| {
        let others: Vec<_> = (1..threads).map(|_| s.spawn(load)).collect();
        let mut all = load();
        for handle in others {
            all.extend(handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        all
    });
    loaded.sort_by_key(|(i, _)| *i);
    let mut rules = Vec::with_capacity(loaded.iter().map(|(_, r)| r.as_ref().map_or(0, Vec::len)).sum());
    let mut errors = Vec::new();
    for (_, result) in loaded {
        match result {
            Ok(r) => rules.extend(r),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_pack_holds_the_rules_of_the_toml_files() {
        let names = |pack: &[(&str, &str)]| pack.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>();
        assert_eq!(names(crate::pack::PACK_JSON), names(crate::pack::PACK));
        for ((name, toml_text), (_, json)) in crate::pack::PACK.iter().zip(crate::pack::PACK_JSON) {
            let from_toml: RuleFileSpec = toml::from_str(toml_text).unwrap();
            let from_json: RuleFileSpec = serde_json::from_str(json).unwrap();
            assert!(!from_toml.rules.is_empty(), "{name}");
            assert_eq!(format!("{from_json:?}"), format!("{from_toml:?}"), "{name}");
        }
    }

    #[test]
    fn the_lean_pack_is_the_pack_without_examples() {
        let shown = |rules: Vec<Rule>| rules.into_iter().map(|r| format!("{:?}", r.spec)).collect::<Vec<_>>();
        let lean = builtin().unwrap();
        assert!(lean.iter().all(|r| r.spec.examples.is_empty() && r.spec.negative_examples.is_empty()));
        let mut full = builtin_with_examples().unwrap();
        assert!(full.iter().all(|r| !r.spec.examples.is_empty() && !r.spec.negative_examples.is_empty()));
        for rule in &mut full {
            rule.spec.examples.clear();
            rule.spec.negative_examples.clear();
        }
        assert_eq!(shown(lean), shown(full));
    }

    #[test]
    fn github_checksum() {
        let random = b"abcdefghijklmnopqrstuvwxyz0123";
        let token = format!("ghp_{}{}", std::str::from_utf8(random).unwrap(), base62_6(crc32fast::hash(random)));
        assert_eq!(token.len(), 40);
        assert!(Checksum::Github.is_valid(token.as_bytes()));
        let mut bad = token.into_bytes();
        bad[39] = if bad[39] == b'A' { b'B' } else { b'A' };
        assert!(!Checksum::Github.is_valid(&bad));
    }

    fn parse(re: &str) -> Hir {
        syntax::parse_with(re, &syntax_config()).unwrap()
    }

    #[test]
    fn relax_drops_only_large_upper_bounds_and_keeps_groups() {
        let relaxed = relax(&parse(r"(x[a-z]{40,16000}?y)(z{2,64})([0-9]{3,65})(q{100})"));
        assert_eq!(relaxed, parse(r"(x[a-z]{40,}?y)(z{2,64})([0-9]{3,})(q{100})"));
        assert_eq!(relaxed.properties().explicit_captures_len(), 4);
    }

    #[test]
    fn relaxed_keyword_rule_keeps_its_window_and_its_matches() {
        let spec = |scope: &str| {
            format!(
                "[[rules]]\nid = \"pem\"\nregex = '''(BEGIN KEY[A-Z]{{8,5000}}?END)'''\nkeywords = [\"BEGIN KEY\"]\nmax_len = 6000\n{scope}"
            )
        };
        let rules = load_text(&spec(""), "t.toml").unwrap();
        let rule = &rules[0];
        // The window still spans the written bound; the compiled regex has none.
        let parsed = rule.parsed().unwrap();
        assert_eq!(parsed.max_len, 9 + 5000 + 3);
        assert_eq!(parsed.regex.hir, parse(r"(BEGIN KEY[A-Z]{8,}?END)"));
        let m = parsed.regex.get().unwrap().find(&b"..BEGIN KEYABCDEFGHEND.."[..]).unwrap();
        assert_eq!(m.range(), 2..22);
        // A rule run over whole chunks (gitleaks' keyword semantics) keeps its bounds.
        let rules = load_text(&spec("keyword_scope = \"chunk\""), "t.toml").unwrap();
        assert_eq!(rules[0].parsed().unwrap().regex.hir, parse(r"(BEGIN KEY[A-Z]{8,5000}?END)"));
    }

    #[test]
    fn basic_auth_checksum() {
        assert!(Checksum::BasicAuth.is_valid(b"QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
        assert!(!Checksum::BasicAuth.is_valid(b"bm9jb2xvbmhlcmU="));
        assert!(!Checksum::BasicAuth.is_valid(b"not*base64"));
        assert_eq!(decode_base64(b"YWI6Yw").as_deref(), Some(&b"ab:c"[..]));
    }

    #[test]
    fn npm_checksum() {
        let random = b"Zq8rT2mWx4Lp9sKd3Vb7Nc1Fh6Gj0Y";
        let token = format!("npm_{}{}", std::str::from_utf8(random).unwrap(), base62_6(crc32fast::hash(random)));
        assert_eq!(token.len(), 40);
        assert!(Checksum::Npm.is_valid(token.as_bytes()));
        assert!(!Checksum::Npm.is_valid(token.replace('Z', "Y").as_bytes()));
        assert!(!Checksum::Npm.is_valid(b"npm_short"));
    }

    #[test]
    fn errors_name_file_and_rule() {
        let err = load_text("[[rules]]\nid = \"x\"\nregex = '''(unclosed'''\n", "f.toml").unwrap_err();
        assert!(err[0].contains("f.toml") && err[0].contains("rule x"), "{err:?}");
        let err = load_text("[[rules]]\nid = \"x\"\nregex = 'a'\nbogus = 1\n", "f.toml").unwrap_err();
        assert!(err[0].contains("bogus"), "{err:?}");
    }
}
