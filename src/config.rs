//! `.leakscan.toml`: the user's own project config → `Config`.
//!
//! Invariant: only the config the user chose is applied — `--config FILE`, `LEAKSCAN_CONFIG`,
//! or the first `.leakscan.toml` found walking up from the current directory to the repository
//! top level. A config file that merely sits inside a scanned target is never applied, so a
//! hostile tree cannot switch scanning off. A broken config is an error naming file, line and
//! key. Depends on `rules` (custom rules share the pack's schema), `globset`, `toml`.

use crate::rules::RuleSpec;
use anyhow::{anyhow, Context, Result};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::path::{Component, Path, PathBuf};

/// The config file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigSpec {
    /// What not to report.
    #[serde(default)]
    pub allowlist: AllowlistSpec,
    /// Built-in rule ids to turn off.
    #[serde(default)]
    pub disabled_rules: Vec<String>,
    /// Extra rules, in the schema of `rules/*.toml`.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

/// `[allowlist]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSpec {
    /// Globs relative to the config file's directory (`fixtures/**`; `dir/` means `dir/**`).
    #[serde(default)]
    pub paths: Vec<String>,
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
    /// Built-in rule ids to turn off.
    pub disabled_rules: Vec<String>,
    /// Extra rules.
    pub rules: Vec<RuleSpec>,
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
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            return load(&candidate).map(Some);
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    Ok(None)
}

/// Loads and validates one config file.
pub fn load(file: &Path) -> Result<Config> {
    let shown = file.display();
    let text = std::fs::read_to_string(file).with_context(|| format!("reading config {shown}"))?;
    let spec: ConfigSpec = toml::from_str(&text).map_err(|e| anyhow!("config {shown}: {e}"))?;
    let glob = |pattern: &str| {
        GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| anyhow!("config {shown}: allowlist.paths: {e}"))
    };
    let (mut files, mut dirs) = (GlobSetBuilder::new(), GlobSetBuilder::new());
    for pattern in &spec.allowlist.paths {
        let pattern = if pattern.ends_with('/') { format!("{pattern}**") } else { pattern.clone() };
        files.add(glob(&pattern)?);
        if let Some(dir) = pattern.strip_suffix("/**") {
            dirs.add(glob(dir)?);
        }
    }
    let built = |set: GlobSetBuilder| set.build().map_err(|e| anyhow!("config {shown}: allowlist.paths: {e}"));
    let (allow_paths, allow_dirs) = (built(files)?, built(dirs)?);
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(Config {
        file: file.to_path_buf(),
        dir,
        allow_paths,
        allow_dirs,
        disabled_rules: spec.disabled_rules,
        rules: spec.rules,
    })
}

impl Config {
    /// True when `path` (relative to `cwd` or absolute) matches an allowlisted path glob.
    pub fn is_allowed_path(&self, cwd: &Path, path: &Path) -> bool {
        let abs = absolute(cwd, path);
        abs.strip_prefix(&self.dir).is_ok_and(|rel| self.allow_paths.is_match(rel))
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
