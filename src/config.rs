//! `.leakscan.toml`: the user's own project config → `Config`.
//!
//! Invariant: only the config the user chose is applied — `--config FILE`, `LEAKSCAN_CONFIG`,
//! or the first `.leakscan.toml` found walking up from the current directory to the repository
//! top level. A config file that merely sits inside a scanned target is never applied, so a
//! hostile tree cannot switch scanning off. A broken config is an error naming file, line and
//! key. Depends on `rules` (custom rules share the pack's schema), `globset`, `toml`.

use crate::finding::Finding;
use crate::report::FormatSpec;
use crate::rules::RuleSpec;
use anyhow::{anyhow, Context, Result};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::path::{Component, Path, PathBuf};

/// The config file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigSpec {
    /// The global allowlist.
    #[serde(default)]
    pub allowlist: AllowlistSpec,
    /// More allowlists, each optionally limited to some rules.
    #[serde(default)]
    pub allowlists: Vec<AllowlistSpec>,
    /// Built-in rule ids to turn off.
    #[serde(default)]
    pub disabled_rules: Vec<String>,
    /// Extra rules, in the schema of `rules/*.toml`.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    /// A baseline file (relative to this config): findings recorded there are not reported.
    pub baseline: Option<PathBuf>,
    /// Name of an environment variable holding a key for HMAC-keyed fingerprints.
    pub fingerprint_key_env: Option<String>,
    /// Limits.
    #[serde(default)]
    pub limits: LimitsSpec,
    /// Default output formats, as `--format` spells them (`"sarif:out.sarif"`; report files
    /// relative to this config's directory). Any `--format` on the command line replaces them.
    #[serde(default)]
    pub format: Vec<String>,
}

/// `[limits]`: each one applies unless its command-line flag is given. Sizes are bytes, or
/// strings with a K/M/G suffix (`"50M"`).
#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// Skip walked files larger than this (`--max-file-size`).
    #[serde(default, deserialize_with = "size", skip_serializing_if = "Option::is_none")]
    pub max_file_size: Option<u64>,
    /// Open archives at most this many layers deep (`--max-archive-depth`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_archive_depth: Option<usize>,
    /// Decompressed bytes per archive input, all layers (`--max-archive-size`).
    #[serde(default, deserialize_with = "size", skip_serializing_if = "Option::is_none")]
    pub max_archive_size: Option<u64>,
    /// Decompressed bytes per member or stream (`--max-archive-entry-size`).
    #[serde(default, deserialize_with = "size", skip_serializing_if = "Option::is_none")]
    pub max_archive_entry_size: Option<u64>,
    /// Largest inflation ratio N:1 (`--max-compression-ratio`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_compression_ratio: Option<u64>,
    /// Members per archive input, all layers (`--max-archive-entries`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_archive_entries: Option<u64>,
}

/// A size in a config: an integer (bytes) or a string such as `"50M"`.
fn size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Bytes(u64),
        Text(String),
    }
    match Written::deserialize(d)? {
        Written::Bytes(n) => Ok(Some(n)),
        Written::Text(s) => parse_size(&s).map(Some).map_err(serde::de::Error::custom),
    }
}

/// Parses `123`, `10K`, `50M`, `2G` (powers of 1024) into bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let mult = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("unknown size suffix {c:?} (use K, M or G)")),
            };
            (&s[..i], mult)
        }
        _ => (s, 1),
    };
    let n: u64 = digits.parse().map_err(|_| format!("not a size: {s:?}"))?;
    n.checked_mul(mult).ok_or_else(|| format!("size too large: {s:?}"))
}

/// What an allowlist's `regexes` are tested against.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RegexTarget {
    /// The secret (default).
    #[default]
    Secret,
    /// The rule's whole match.
    Match,
    /// The line around the secret (up to 80 bytes each side).
    Line,
}

/// `[allowlist]` or one of `[[allowlists]]`: a finding is allowed when its path matches a glob,
/// or its target matches a regex, or its secret contains a stopword.
#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSpec {
    /// Why (shown by `config show`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Only for these rule ids (empty: every rule).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// Globs relative to the config file's directory (`fixtures/**`; `dir/` means `dir/**`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Regexes (rule dialect: bytes, ASCII classes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regexes: Vec<String>,
    /// What the regexes are tested against.
    #[serde(default)]
    pub regex_target: RegexTarget,
    /// Case-insensitive substrings of the secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stopwords: Vec<String>,
    /// Regexes over the finding's path (gitleaks' `paths`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path_regexes: Vec<String>,
    /// How the criteria combine: any (`or`, default) or all (`and`).
    #[serde(default)]
    pub condition: Condition,
}

/// How an allowlist's criteria combine.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Condition {
    /// Any criterion allows.
    #[default]
    Or,
    /// Every criterion given must hit.
    And,
}

/// A compiled allowlist.
pub struct Allowlist {
    /// As written (or translated from gitleaks), for `config show`.
    pub spec: AllowlistSpec,
    /// Only for these rule ids (empty: every rule).
    pub rules: Vec<String>,
    paths: GlobSet,
    regexes: Vec<regex_automata::meta::Regex>,
    target: RegexTarget,
    stopwords: Vec<Vec<u8>>,
    path_regexes: Vec<regex_automata::meta::Regex>,
    condition: Condition,
}

impl Allowlist {
    /// True when this allowlist allows `finding`; `rel` is its path relative to the config dir.
    pub fn allows(&self, finding: &Finding, rel: Option<&Path>) -> bool {
        if !self.rules.is_empty() && !self.rules.contains(&finding.rule.id) {
            return false;
        }
        // Each criterion that is given: Some(hit).
        let path = (!self.paths.is_empty() || !self.path_regexes.is_empty()).then(|| {
            rel.is_some_and(|p| self.paths.is_match(p))
                || finding.origin.path().is_some_and(|p| {
                    let shown = crate::chunk::path_bytes(p);
                    self.path_regexes.iter().any(|r| r.is_match(shown.as_slice()))
                })
        });
        let secret = finding.secret.expose();
        let regex = (!self.regexes.is_empty()).then(|| {
            let line;
            let target: &[u8] = match self.target {
                RegexTarget::Secret => secret,
                RegexTarget::Match => finding.matched.expose(),
                RegexTarget::Line => {
                    line = [finding.before.as_slice(), secret, finding.after.as_slice()].concat();
                    &line
                }
            };
            self.regexes.iter().any(|r| r.is_match(target))
        });
        let stopword = (!self.stopwords.is_empty()).then(|| {
            let lower = secret.to_ascii_lowercase();
            self.stopwords.iter().any(|w| memchr::memmem::find(&lower, w).is_some())
        });
        let mut given = [path, regex, stopword].into_iter().flatten().peekable();
        match self.condition {
            Condition::Or => given.any(|hit| hit),
            Condition::And => given.peek().is_some() && given.all(|hit| hit),
        }
    }
}

/// The validated config.
pub struct Config {
    /// The file it came from.
    pub file: PathBuf,
    /// Its directory: allowlist globs are relative to it.
    pub dir: PathBuf,
    allow_paths: GlobSet,
    /// Directories whose whole content is allowlisted (`dir/` or `dir/**`): pruned from walks.
    allow_dirs: GlobSet,
    /// Finding-level allowlists: the global one's regexes/stopwords and every `[[allowlists]]`.
    pub allowlists: Vec<Allowlist>,
    /// Built-in rule ids to turn off.
    pub disabled_rules: Vec<String>,
    /// Extra rules.
    pub rules: Vec<RuleSpec>,
    /// Baseline file, resolved against the config's directory.
    pub baseline: Option<PathBuf>,
    /// Environment variable holding the fingerprint HMAC key.
    pub fingerprint_key_env: Option<String>,
    /// Limits.
    pub limits: LimitsSpec,
    /// Default output formats (report files resolved against the config's directory).
    pub formats: Vec<FormatSpec>,
    /// The global allowlist's path globs, as written (for `config show`).
    pub allow_path_globs: Vec<String>,
    /// Whether the built-in pack applies (false for a gitleaks config without `useDefault`).
    pub use_builtin: bool,
    /// `(rule id, path regex)`: the rule reports only in matching paths (gitleaks' `path`).
    pub rule_paths: Vec<(String, regex_automata::meta::Regex)>,
    /// Path-only rules (gitleaks `path` without `regex`): the matching file is the finding.
    pub path_rules: Vec<crate::pathrule::PathRule>,
}

/// The file name searched for.
pub const FILE_NAME: &str = ".leakscan.toml";

/// Finds the config to apply: `explicit`, else `LEAKSCAN_CONFIG`, else discovery from `cwd`.
pub fn discover(explicit: Option<&Path>, cwd: &Path) -> Result<Option<Config>> {
    if let Some(path) = explicit {
        return load(&absolute(cwd, path)).map(Some);
    }
    if let Some(env) = std::env::var_os("LEAKSCAN_CONFIG").filter(|v| !v.is_empty()) {
        return load(&absolute(cwd, Path::new(&env))).map(Some);
    }
    for dir in cwd.ancestors() {
        for name in [FILE_NAME, crate::gitleaks::FILE_NAME] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return load(&candidate).map(Some);
            }
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    Ok(None)
}

/// The project a scan from `cwd` belongs to: the repository top level found walking up (the
/// first directory holding `.git`), else `cwd`. Fingerprint paths and `.leakscanignore` are
/// relative to it when no config file names a directory.
pub fn project_root(cwd: &Path) -> PathBuf {
    cwd.ancestors().find(|d| d.join(".git").exists()).unwrap_or(cwd).to_path_buf()
}

/// Loads and validates one config file.
pub fn load(file: &Path) -> Result<Config> {
    let shown = file.display();
    let text = std::fs::read_to_string(file).with_context(|| format!("reading config {shown}"))?;
    if crate::gitleaks::is_gitleaks(file, &text) {
        return load_gitleaks(file);
    }
    let spec: ConfigSpec = toml::from_str(&text)
        .map_err(|e| anyhow!("config {shown}: {}", crate::messages::parse_error(&text, e.span(), e.message())))?;
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let formats = spec
        .format
        .iter()
        .map(|f| {
            let mut f = FormatSpec::parse(f).map_err(|e| anyhow!("config {shown}: format: {e}"))?;
            f.file = f.file.map(|out| dir.join(out));
            Ok(f)
        })
        .collect::<Result<Vec<_>>>()?;
    let allow_path_globs = spec.allowlist.paths.clone();
    let (allow_paths, allow_dirs) =
        path_globs(&spec.allowlist.paths).map_err(|e| anyhow!("config {shown}: allowlist.paths: {e}"))?;
    let mut allowlists = Vec::new();
    let global = AllowlistSpec { paths: Vec::new(), ..spec.allowlist };
    for (i, list) in std::iter::once(global).chain(spec.allowlists).enumerate() {
        let at = if i == 0 { "allowlist".to_string() } else { format!("allowlists[{}]", i - 1) };
        allowlists.push(compile_allowlist(list).map_err(|e| anyhow!("config {shown}: {at}: {e}"))?);
    }
    Ok(Config {
        file: file.to_path_buf(),
        baseline: spec.baseline.map(|b| dir.join(b)),
        dir,
        allow_paths,
        allow_dirs,
        allowlists,
        disabled_rules: spec.disabled_rules,
        rules: spec.rules,
        fingerprint_key_env: spec.fingerprint_key_env,
        limits: spec.limits,
        formats,
        allow_path_globs,
        use_builtin: true,
        rule_paths: Vec::new(),
        path_rules: Vec::new(),
    })
}

/// A gitleaks config, translated (see `gitleaks.rs`); its warnings go to stderr.
fn load_gitleaks(file: &Path) -> Result<Config> {
    let cwd = std::env::current_dir()?;
    let t = crate::gitleaks::translate(file, &cwd)?;
    for w in &t.warnings {
        crate::messages::warn(&format!("{}: {w}", file.display()));
    }
    let shown = file.display();
    let allowlists = t
        .allowlists
        .into_iter()
        .enumerate()
        .map(|(i, spec)| compile_allowlist(spec).map_err(|e| anyhow!("gitleaks config {shown}: allowlists[{i}]: {e}")))
        .collect::<Result<Vec<_>>>()?;
    let rule_paths = t
        .rule_paths
        .into_iter()
        .map(|(id, re)| {
            crate::rules::compile_regex(&re)
                .map(|r| (id.clone(), r))
                .map_err(|e| anyhow!("gitleaks config {shown}: rule {id}: path: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let path_rules = t
        .path_rules
        .iter()
        .map(|(id, description, re)| {
            crate::pathrule::PathRule::compile(id, description, re).map_err(|e| anyhow!("gitleaks config {shown}: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    // `disabledRules` of a config extending another file were applied by the translation;
    // with `useDefault` they name gitleaks' default ids, mapped onto the built-in pack. An
    // unknown id is a warning, as in gitleaks.
    let mut disabled_rules = Vec::new();
    if t.use_default {
        let builtin = crate::gitleaks::builtin_ids();
        for id in &t.disabled_rules {
            let known: Vec<String> = crate::gitleaks::rule_ids(id)
                .into_iter()
                .filter(|i| builtin.iter().any(|b| b == i))
                .map(String::from)
                .collect();
            if known.is_empty() {
                crate::messages::warn(&format!("{shown}: disabledRules: no rule {id:?}; ignored"));
            }
            disabled_rules.extend(known);
        }
    }
    let (allow_paths, allow_dirs) = path_globs(&[])?;
    Ok(Config {
        file: file.to_path_buf(),
        dir: file.parent().map(Path::to_path_buf).unwrap_or_default(),
        allow_paths,
        allow_dirs,
        allowlists,
        disabled_rules,
        rules: t.rules,
        baseline: None,
        fingerprint_key_env: None,
        limits: LimitsSpec::default(),
        formats: Vec::new(),
        allow_path_globs: Vec::new(),
        use_builtin: t.use_default,
        rule_paths,
        path_rules,
    })
}

/// Globs for files, and for directories that can be pruned whole (`dir/` and `dir/**`).
fn path_globs(patterns: &[String]) -> Result<(GlobSet, GlobSet)> {
    let glob = |pattern: &str| GlobBuilder::new(pattern).literal_separator(true).build();
    let (mut files, mut dirs) = (GlobSetBuilder::new(), GlobSetBuilder::new());
    for pattern in patterns {
        let pattern = if pattern.ends_with('/') { format!("{pattern}**") } else { pattern.clone() };
        files.add(glob(&pattern)?);
        if let Some(dir) = pattern.strip_suffix("/**") {
            dirs.add(glob(dir)?);
        }
    }
    Ok((files.build()?, dirs.build()?))
}

fn compile_allowlist(spec: AllowlistSpec) -> Result<Allowlist> {
    let (paths, _) = path_globs(&spec.paths).map_err(|e| anyhow!("paths: {e}"))?;
    let regexes = spec
        .regexes
        .iter()
        .enumerate()
        .map(|(i, r)| crate::rules::compile_regex_unquoted(r).map_err(|e| anyhow!("regexes[{i}]: {e}")))
        .collect::<Result<Vec<_>>>()?;
    let stopwords = spec.stopwords.iter().map(|w| w.to_ascii_lowercase().into_bytes()).collect();
    let path_regexes = spec
        .path_regexes
        .iter()
        .map(|r| crate::rules::compile_regex(r).map_err(|e| anyhow!("paths: {r:?}: {e}")))
        .collect::<Result<Vec<_>>>()?;
    Ok(Allowlist {
        spec: spec.clone(),
        rules: spec.rules,
        paths,
        regexes,
        target: spec.regex_target,
        stopwords,
        path_regexes,
        condition: spec.condition,
    })
}

impl Config {
    /// True when `path` (relative to `cwd` or absolute) matches an allowlisted path glob.
    pub fn is_allowed_path(&self, cwd: &Path, path: &Path) -> bool {
        let abs = absolute(cwd, path);
        abs.strip_prefix(&self.dir).is_ok_and(|rel| self.allow_paths.is_match(rel))
    }

    /// The path of `path` relative to the config's directory, if it lies below it.
    pub fn relative(&self, cwd: &Path, path: &Path) -> Option<PathBuf> {
        absolute(cwd, path).strip_prefix(&self.dir).ok().map(Path::to_path_buf)
    }

    /// True when everything below directory `path` is allowlisted, so a walk can prune it.
    pub fn is_allowed_dir(&self, cwd: &Path, path: &Path) -> bool {
        let abs = absolute(cwd, path);
        abs.strip_prefix(&self.dir).is_ok_and(|rel| self.allow_dirs.is_match(rel))
    }
}

/// `path` made absolute against `cwd` and normalised lexically (`.` and `..` removed), without
/// touching the file system.
pub fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() { path.to_path_buf() } else { cwd.join(path) };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowlist_globs_are_relative_to_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(FILE_NAME);
        std::fs::write(&file, "[allowlist]\npaths = [\"fixtures/\", \"*.md\"]\n").unwrap();
        let c = load(&file).unwrap();
        let cwd = dir.path();
        assert!(c.is_allowed_path(cwd, Path::new("./fixtures/a/b.txt")));
        assert!(c.is_allowed_path(cwd, Path::new("README.md")));
        assert!(!c.is_allowed_path(cwd, Path::new("src/README.md")));
        assert!(!c.is_allowed_path(cwd, Path::new("src/x.rs")));
        assert!(!c.is_allowed_path(&cwd.join("src"), Path::new("../../fixtures/x")));
        assert!(c.is_allowed_dir(cwd, Path::new("fixtures")));
        assert!(!c.is_allowed_dir(cwd, Path::new("src")));
    }

    #[test]
    fn broken_config_names_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(FILE_NAME);
        std::fs::write(&file, "[allowlist]\npathz = []\n").unwrap();
        let err = format!("{:#}", load(&file).err().unwrap());
        assert!(err.contains(".leakscan.toml") && err.contains("pathz") && err.contains("line 2"), "{err}");
    }
}
