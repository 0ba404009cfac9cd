//! `leakscan config show`: the configuration a scan would apply, resolved — which file was
//! loaded and how it was found, the rule counts, allowlists, baseline, ignore files, limits
//! with their defaults filled in, default formats — printed as TOML with comments.
//!
//! Invariant: nothing secret is printed: regexes, globs and stopwords are (they are config),
//! the fingerprint key is named by its environment variable, never read or shown, and no
//! ignore-file or baseline entry is echoed (only counted). Depends on `config`, `rules`,
//! `suppress`, `gitleaks`, `source::archive` (default limits), `report` (format names).

use crate::config::{AllowlistSpec, Config, LimitsSpec};
use crate::rules::Rule;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// How the config file was chosen.
#[derive(Clone, Copy)]
pub enum FoundBy {
    /// `--config FILE`.
    Flag,
    /// `LEAKSCAN_CONFIG`.
    Env,
    /// Walking up from the current directory.
    Discovery,
}

/// What `show` needs besides the config: the rules in effect and where things are.
pub struct Context<'a> {
    /// The config, if any applies.
    pub config: Option<&'a Config>,
    /// How it was found.
    pub found_by: FoundBy,
    /// The rules in effect (built-in minus disabled plus custom).
    pub rules: &'a [Rule],
    /// The project root (fingerprint paths and ignore files are relative to it).
    pub root: &'a Path,
    /// The current directory.
    pub cwd: &'a Path,
}

#[derive(Serialize)]
struct Shown<'a> {
    format: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprint_key_env: Option<&'a str>,
    rules: RulesShown,
    limits: LimitsSpec,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allowlists: Vec<AllowlistSpec>,
}

#[derive(Serialize)]
struct RulesShown {
    total: usize,
    built_in: usize,
    custom: Vec<String>,
    disabled: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    path_restricted: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    path_only: Vec<String>,
}

/// Renders the resolved configuration.
pub fn show(cx: &Context) -> anyhow::Result<String> {
    let mut out = String::from("# leakscan config show: what a scan from this directory applies\n");
    let c = cx.config;
    match c {
        Some(c) => {
            let how = match cx.found_by {
                FoundBy::Flag => "given with --config".to_string(),
                FoundBy::Env => "named by LEAKSCAN_CONFIG".to_string(),
                FoundBy::Discovery => format!("found walking up from {}", cx.cwd.display()),
            };
            let dialect = if crate::gitleaks::is_gitleaks(&c.file, &std::fs::read_to_string(&c.file)?) {
                "gitleaks TOML, translated"
            } else {
                "leakscan"
            };
            writeln!(out, "# config file: {} ({how}; {dialect})", c.file.display())?;
        }
        None => writeln!(
            out,
            "# config file: none ({} or {} walking up from {} to the repository top; --config; LEAKSCAN_CONFIG)",
            crate::config::FILE_NAME,
            crate::gitleaks::FILE_NAME,
            cx.cwd.display()
        )?,
    }
    writeln!(out, "# project root: {} (fingerprint paths and ignore files are relative to it)", cx.root.display())?;
    for name in [crate::suppress::IGNORE_FILE, crate::gitleaks::IGNORE_FILE] {
        let path = cx.root.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let entries = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).count();
                writeln!(out, "# ignore file: {} ({entries} entries)", path.display())?;
            }
            Err(_) => writeln!(out, "# ignore file: {} (absent)", path.display())?,
        }
    }
    let key = c.and_then(|c| c.fingerprint_key_env.as_deref());
    match key {
        Some(var) => writeln!(out, "# fingerprints: HMAC-SHA-256 keyed by ${var} (its value is never shown)")?,
        None => writeln!(out, "# fingerprints: SHA-256 of rule, path and secret (no key)")?,
    }
    let ids = |custom: bool| -> Vec<String> {
        let own: Vec<&str> = c.map(|c| c.rules.iter().map(|r| r.id.as_str()).collect()).unwrap_or_default();
        cx.rules.iter().filter(|r| own.contains(&r.info.id.as_str()) == custom).map(|r| r.info.id.clone()).collect()
    };
    let custom = ids(true);
    let defaults = crate::source::archive::Limits::default();
    let limits = c.map(|c| c.limits.clone()).unwrap_or_default();
    let shown = Shown {
        format: match c.map(|c| c.formats.as_slice()).filter(|f| !f.is_empty()) {
            Some(formats) => formats.iter().map(format_name).collect(),
            None => vec!["text".into()],
        },
        baseline: c.and_then(|c| c.baseline.as_ref()).map(|b| b.display().to_string()),
        fingerprint_key_env: key,
        rules: RulesShown {
            total: cx.rules.len(),
            built_in: cx.rules.len() - custom.len(),
            custom,
            disabled: c.map(|c| c.disabled_rules.clone()).unwrap_or_default(),
            path_restricted: c.map(|c| c.rule_paths.iter().map(|(id, _)| id.clone()).collect()).unwrap_or_default(),
            path_only: c.map(|c| c.path_rules.iter().map(|r| r.info.id.clone()).collect()).unwrap_or_default(),
        },
        limits: LimitsSpec {
            max_file_size: limits.max_file_size,
            max_archive_depth: limits.max_archive_depth.or(Some(defaults.max_depth)),
            max_archive_size: limits.max_archive_size.or(Some(defaults.max_total)),
            max_archive_entry_size: limits.max_archive_entry_size.or(Some(defaults.max_entry)),
            max_compression_ratio: limits.max_compression_ratio.or(Some(defaults.max_ratio)),
            max_archive_entries: limits.max_archive_entries.or(Some(defaults.max_entries)),
        },
        allowlists: c
            .map(|c| {
                let paths = AllowlistSpec {
                    description: "global path globs ([allowlist] paths): pruned from walks".into(),
                    paths: c.allow_path_globs.clone(),
                    ..AllowlistSpec::default()
                };
                std::iter::once(paths).chain(c.allowlists.iter().map(|a| a.spec.clone())).filter(has_criteria).collect()
            })
            .unwrap_or_default(),
    };
    if limits.max_file_size.is_none() {
        writeln!(out, "# limits.max_file_size: none (every walked file is read)")?;
    }
    out.push('\n');
    out.push_str(&toml::to_string(&shown)?);
    Ok(out)
}

/// True when an allowlist can allow anything (an empty global `[allowlist]` cannot).
pub fn has_criteria(a: &AllowlistSpec) -> bool {
    !(a.paths.is_empty() && a.regexes.is_empty() && a.stopwords.is_empty() && a.path_regexes.is_empty())
}

/// `FORMAT` or `FORMAT:FILE`, as `--format` spells it.
fn format_name(f: &crate::report::FormatSpec) -> String {
    use clap::ValueEnum;
    let name = f.format.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default();
    match &f.file {
        Some(file) => format!("{name}:{}", file.display()),
        None => name,
    }
}
