//! gitleaks TOML configs, loaded unchanged: `[extend]` (`useDefault`, `path`, `disabledRules`),
//! `[[rules]]` (`regex`, `secretGroup`, `entropy`, `keywords`, `path`, `tags`,
//! `[[rules.allowlists]]` / `[rules.allowlist]`), global `[[allowlists]]` / `[allowlist]`
//! (`paths`, `regexes`, `regexTarget`, `stopwords`, `condition`, `targetRules`).
//!
//! Invariant: gitleaks semantics are kept where leakscan's differ — keys are case-insensitive,
//! unknown keys are ignored, a rule runs over the whole chunk when any keyword occurs in it,
//! the entropy floor drops secrets at or below it, and Go RE2 syntax is translated (a `{` that
//! does not start a repetition is a literal). `useDefault` extends leakscan's built-in pack.
//! Depends on `config` (its allowlist types), `rules` (specs), `toml`.

use crate::config::{AllowlistSpec, Condition, RegexTarget};
use crate::rules::{KeywordScope, RuleSpec};
use anyhow::{anyhow, Result};
use std::path::Path;
use toml::Value;

/// A gitleaks config translated into leakscan's terms.
#[derive(Debug, Default)]
pub struct Translated {
    /// Whether the built-in pack is included (`[extend] useDefault = true`).
    pub use_default: bool,
    /// Rule ids to drop from what is extended.
    pub disabled_rules: Vec<String>,
    /// The config's rules.
    pub rules: Vec<RuleSpec>,
    /// Global and per-rule allowlists (per-rule ones carry the rule id in `rules`).
    pub allowlists: Vec<AllowlistSpec>,
    /// `(rule id, path regex)`: the rule reports only in matching paths.
    pub rule_paths: Vec<(String, String)>,
    /// Path-only rules (`path` without `regex`): `(id, description, path regex)`; each matching
    /// file is reported itself.
    pub path_rules: Vec<(String, String, String)>,
    /// Problems that are not errors (unsupported keys).
    pub warnings: Vec<String>,
}

/// True when `text` (a TOML config) is written for gitleaks rather than leakscan.
pub fn is_gitleaks(file: &Path, text: &str) -> bool {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name == crate::config::FILE_NAME {
        return false;
    }
    if name.contains("gitleaks") || name.contains("betterleaks") {
        return true;
    }
    let Ok(top) = text.parse::<toml::Table>() else { return false };
    // (`allowlists` is leakscan's key too; `targetRules` inside it is gitleaks'.)
    let gitleaks_top = ["title", "minversion", "extend"];
    if top.keys().any(|k| gitleaks_top.contains(&k.to_ascii_lowercase().as_str())) {
        return true;
    }
    let gitleaks_rule = ["secretgroup", "entropy", "path", "allowlist", "allowlists"];
    rules_of(&top).iter().any(|r| r.keys().any(|k| gitleaks_rule.contains(&k.to_ascii_lowercase().as_str())))
}

/// Translates one gitleaks config file (following `[extend] path`, at most 2 deep).
pub fn translate(file: &Path, cwd: &Path) -> Result<Translated> {
    translate_depth(file, cwd, 0)
}

fn translate_depth(file: &Path, cwd: &Path, depth: usize) -> Result<Translated> {
    let shown = file.display();
    let text = std::fs::read_to_string(file).map_err(|e| anyhow!("reading gitleaks config {shown}: {e}"))?;
    let top = lower_keys(text.parse::<toml::Table>().map_err(|e| {
        anyhow!("gitleaks config {shown}: {}", crate::messages::parse_error(&text, e.span(), e.message()))
    })?);
    let mut out = Translated::default();
    if let Some(Value::Table(extend)) = top.get("extend").cloned() {
        let extend = lower_keys(extend);
        out.use_default = extend.get("usedefault").and_then(Value::as_bool).unwrap_or(false);
        out.disabled_rules = strings(extend.get("disabledrules"));
        if let Some(path) = extend.get("path").and_then(Value::as_str) {
            if out.use_default {
                return Err(anyhow!("gitleaks config {shown}: [extend] has both useDefault and path"));
            }
            if depth >= 2 {
                return Err(anyhow!("gitleaks config {shown}: [extend] nests deeper than 2"));
            }
            let base = translate_depth(&cwd.join(path), cwd, depth + 1)?;
            out.use_default = base.use_default;
            out.rules = base.rules;
            out.allowlists = base.allowlists;
            out.rule_paths = base.rule_paths;
            out.path_rules = base.path_rules;
            out.warnings = base.warnings;
            let disabled = out.disabled_rules.clone();
            out.rules.retain(|r| !disabled.contains(&r.id));
            out.path_rules.retain(|(id, _, _)| !disabled.contains(id));
        }
    }
    if top.contains_key("allowlist") && top.contains_key("allowlists") {
        return Err(anyhow!("gitleaks config {shown}: both [allowlist] and [[allowlists]]"));
    }
    for list in tables(top.get("allowlist")).into_iter().chain(tables(top.get("allowlists"))) {
        let targets = strings(list.get("targetrules"));
        out.allowlists.push(allowlist(&list, targets).map_err(|e| anyhow!("gitleaks config {shown}: allowlist: {e}"))?);
    }
    for rule in rules_of(&top) {
        let rule = lower_keys(rule.clone());
        translate_rule(&rule, &mut out).map_err(|e| anyhow!("gitleaks config {shown}: {e}"))?;
    }
    Ok(out)
}

fn translate_rule(rule: &toml::Table, out: &mut Translated) -> Result<()> {
    let id =
        rule.get("id").and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or_else(|| anyhow!("a rule has no id"))?;
    let id = id.to_string();
    for list in tables(rule.get("allowlist")).into_iter().chain(tables(rule.get("allowlists"))) {
        out.allowlists.push(allowlist(&list, vec![id.clone()]).map_err(|e| anyhow!("rule {id}: allowlist: {e}"))?);
    }
    let description = rule.get("description").and_then(Value::as_str).unwrap_or("").to_string();
    let path = rule.get("path").and_then(Value::as_str);
    let Some(regex) = rule.get("regex").and_then(Value::as_str) else {
        let path = path.ok_or_else(|| anyhow!("rule {id}: needs regex or path"))?;
        out.path_rules.retain(|(other, _, _)| *other != id);
        out.path_rules.push((id.clone(), description, translate_regex(path)));
        return Ok(());
    };
    if let Some(path) = path {
        out.rule_paths.push((id.clone(), translate_regex(path)));
    }
    let group = rule.get("secretgroup").and_then(Value::as_integer).unwrap_or(0);
    let entropy = match rule.get("entropy") {
        Some(Value::Float(f)) => *f,
        Some(Value::Integer(i)) => *i as f64,
        _ => 0.0,
    };
    out.rules.retain(|r| r.id != id);
    out.rules.push(RuleSpec {
        id: id.clone(),
        name: id.clone(),
        description,
        regex: translate_regex(regex),
        // gitleaks: group 0 with groups = the first non-empty group (leakscan's fallback).
        secret_group: (group > 0).then_some(group as usize),
        keywords: strings(rule.get("keywords")),
        // gitleaks drops secrets whose entropy is <= the floor.
        min_entropy: (entropy > 0.0).then_some(entropy + 1e-9),
        // gitleaks drops a generic-api-key finding whose secret another rule also found;
        // low confidence makes leakscan's overlap resolution do the same.
        confidence: id.starts_with("generic").then_some(crate::finding::Confidence::Low),
        checksum: None,
        binary: None,
        max_len: None,
        keyword_scope: Some(KeywordScope::Chunk),
        placeholders: Some(false),
        generic_value: None,
        example_hosts: None,
        references: Vec::new(),
        tags: strings(rule.get("tags")),
        examples: Vec::new(),
        negative_examples: Vec::new(),
    });
    Ok(())
}

fn allowlist(list: &toml::Table, rules: Vec<String>) -> Result<AllowlistSpec> {
    let list = lower_keys(list.clone());
    let target = match list.get("regextarget").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref() {
        None | Some("secret") => RegexTarget::Secret,
        Some("match") => RegexTarget::Match,
        Some("line") => RegexTarget::Line,
        Some(other) => return Err(anyhow!("unknown regexTarget {other:?}")),
    };
    let condition = match list.get("condition").and_then(Value::as_str).map(str::to_ascii_uppercase).as_deref() {
        None | Some("OR") | Some("||") => Condition::Or,
        Some("AND") | Some("&&") => Condition::And,
        Some(other) => return Err(anyhow!("unknown condition {other:?}")),
    };
    Ok(AllowlistSpec {
        description: list.get("description").and_then(Value::as_str).unwrap_or("").to_string(),
        rules,
        paths: Vec::new(),
        path_regexes: strings(list.get("paths")).iter().map(|p| translate_regex(p)).collect(),
        regexes: strings(list.get("regexes")).iter().map(|r| translate_regex(r)).collect(),
        regex_target: target,
        stopwords: strings(list.get("stopwords")),
        condition,
    })
}

/// Go RE2 → Rust `regex`: a `{` that does not begin `{n}`, `{n,}` or `{n,m}` is a literal in
/// RE2 and an error in Rust, so it is escaped (and so is the `}` that closes it). One pass over
/// the characters: any text, however long or whatever its characters, is rewritten in linear time.
pub fn translate_regex(re: &str) -> String {
    let mut out = String::with_capacity(re.len());
    let mut chars = re.char_indices().peekable();
    // Inside `[...]`; `class_start` while a `]` would still be a literal (`[]a]`, `[^]a]`).
    let (mut in_class, mut class_start) = (false, false);
    let mut in_repetition = false;
    while let Some((i, c)) = chars.next() {
        let at_class_start = std::mem::take(&mut class_start);
        match c {
            '\\' => {
                out.push(c);
                if let Some((_, escaped)) = chars.next() {
                    out.push(escaped);
                }
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                if chars.peek().is_some_and(|&(_, n)| n == '^') {
                    out.push_str("[^");
                    chars.next();
                    continue;
                }
            }
            ']' if in_class && !at_class_start => in_class = false,
            '{' if !in_class && !in_repetition && is_repetition(&re.as_bytes()[i..]) => in_repetition = true,
            '}' if !in_class && in_repetition => in_repetition = false,
            '{' | '}' if !in_class => {
                out.push('\\');
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// Whether `rest` begins `{n}`, `{n,}` or `{n,m}` (RE2 counts are at most 1000, so only a
/// short prefix is read).
fn is_repetition(rest: &[u8]) -> bool {
    let rest = &rest[..rest.len().min(12)];
    let Some(close) = rest.iter().position(|&b| b == b'}') else { return false };
    let inner = &rest[1..close];
    let mut parts = inner.splitn(2, |&b| b == b',');
    let first = parts.next().unwrap_or(b"");
    !first.is_empty()
        && first.iter().all(u8::is_ascii_digit)
        && parts.next().is_none_or(|s| s.iter().all(u8::is_ascii_digit))
}

fn lower_keys(table: toml::Table) -> toml::Table {
    table.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect()
}

fn rules_of(top: &toml::Table) -> Vec<&toml::Table> {
    top.iter().filter(|(k, _)| k.eq_ignore_ascii_case("rules")).flat_map(|(_, v)| tables_ref(v)).collect()
}

fn tables_ref(v: &Value) -> Vec<&toml::Table> {
    match v {
        Value::Table(t) => vec![t],
        Value::Array(a) => a.iter().filter_map(Value::as_table).collect(),
        _ => Vec::new(),
    }
}

fn tables(v: Option<&Value>) -> Vec<toml::Table> {
    v.map(tables_ref).unwrap_or_default().into_iter().map(|t| lower_keys(t.clone())).collect()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// `.gitleaks.toml` next to the project, for discovery after `.leakscan.toml`.
pub const FILE_NAME: &str = ".gitleaks.toml";

/// The `.gitleaksignore` file, looked up in the project root like `.leakscanignore`.
pub const IGNORE_FILE: &str = ".gitleaksignore";

/// gitleaks' default-config rule ids → the built-in rules that find the same secrets, for
/// reading `.gitleaksignore` entries written against gitleaks' defaults. Ids the two share
/// (`gitlab-pat`, `slack-bot-token`…) and rules from a loaded gitleaks config need no entry.
const RULE_IDS: &[(&str, &[&str])] = &[
    ("1password-service-account-token", &["onepassword-service-account-token"]),
    ("airtable-personnal-access-token", &["airtable-personal-access-token"]),
    ("anthropic-admin-api-key", &["anthropic-admin-key"]),
    ("aws-access-token", &["aws-access-key-id"]),
    ("clojars-api-token", &["clojars-deploy-token"]),
    ("databricks-api-token", &["databricks-pat"]),
    ("discord-api-token", &["discord-bot-token"]),
    ("doppler-api-token", &["doppler-token"]),
    ("dropbox-long-lived-api-token", &["dropbox-long-lived-token"]),
    ("dropbox-short-lived-api-token", &["dropbox-short-lived-token"]),
    ("duffel-api-token", &["duffel-access-token"]),
    ("easypost-api-token", &["easypost-api-key"]),
    ("facebook-secret", &["facebook-app-secret"]),
    ("frameio-api-token", &["frameio-developer-token"]),
    ("gcp-api-key", &["google-api-key"]),
    ("generic-api-key", &["generic-secret-assignment", "generic-password-literal", "generic-password-unquoted"]),
    ("github-app-token", &["github-server-to-server-token", "github-user-to-server-token"]),
    ("github-fine-grained-pat", &["github-pat-fine-grained"]),
    ("github-oauth", &["github-oauth-token"]),
    ("github-pat", &["github-pat-classic"]),
    ("gitlab-cicd-job-token", &["gitlab-ci-build-token"]),
    ("gitlab-feature-flag-client-token", &["gitlab-feature-flags-client-token"]),
    ("gitlab-kubernetes-agent-token", &["gitlab-agent-token"]),
    ("gitlab-ptt", &["gitlab-pipeline-trigger-token"]),
    ("gitlab-rrt", &["gitlab-runner-registration-token"]),
    ("gitlab-runner-authentication-token", &["gitlab-runner-auth-token"]),
    ("grafana-api-key", &["grafana-api-key-legacy"]),
    ("grafana-cloud-api-token", &["grafana-cloud-token"]),
    ("harness-api-key", &["harness-access-token"]),
    ("hashicorp-tf-api-token", &["terraform-cloud-api-token"]),
    ("huggingface-organization-api-token", &["huggingface-org-token"]),
    ("infracost-api-token", &["infracost-api-key"]),
    ("mailgun-private-api-token", &["mailgun-api-key"]),
    ("mailgun-signing-key", &["mailgun-webhook-signing-key"]),
    ("microsoft-teams-webhook", &["msteams-incoming-webhook"]),
    ("netlify-access-token", &["netlify-pat", "netlify-token-legacy"]),
    ("new-relic-browser-api-token", &["newrelic-browser-key"]),
    ("new-relic-user-api-key", &["newrelic-user-api-key"]),
    ("notion-api-token", &["notion-integration-token"]),
    ("okta-access-token", &["okta-api-token"]),
    ("openai-api-key", &["openai-api-key-legacy", "openai-project-key"]),
    ("plaid-api-token", &["plaid-access-token"]),
    ("planetscale-api-token", &["planetscale-token"]),
    ("postman-api-token", &["postman-api-key"]),
    ("prefect-api-token", &["prefect-api-key"]),
    ("private-key", &["private-key-pem"]),
    ("pulumi-api-token", &["pulumi-access-token"]),
    ("readme-api-token", &["readme-api-key"]),
    ("rubygems-api-token", &["rubygems-api-key"]),
    ("sendgrid-api-token", &["sendgrid-api-key"]),
    ("sentry-org-token", &["sentry-org-auth-token"]),
    ("sentry-user-token", &["sentry-user-auth-token"]),
    ("slack-app-token", &["slack-app-level-token"]),
    ("sonar-api-token", &["sonarqube-token"]),
    ("stripe-access-token", &["stripe-live-secret-key", "stripe-live-restricted-key", "stripe-test-key"]),
    ("telegram-bot-api-token", &["telegram-bot-token"]),
    ("typeform-api-token", &["typeform-personal-token"]),
];

/// The ids of the built-in pack (read from its JSON form, without examples, and without
/// compiling it).
pub fn builtin_ids() -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct File {
        #[serde(default)]
        rules: Vec<Id>,
    }
    #[derive(serde::Deserialize)]
    struct Id {
        id: String,
    }
    let parse = |json: &str| serde_json::from_str::<File>(json).map(|f| f.rules).unwrap_or_default();
    crate::pack::PACK_LEAN_JSON.iter().flat_map(|(_, json)| parse(json)).map(|r| r.id).collect()
}

/// The rule ids a gitleaks rule id stands for: itself, plus the built-in rules for the same
/// secrets when it is one of gitleaks' default ids.
pub fn rule_ids(gitleaks_id: &str) -> Vec<&str> {
    let mut ids = vec![gitleaks_id];
    if let Ok(i) = RULE_IDS.binary_search_by(|(g, _)| g.cmp(&gitleaks_id)) {
        ids.extend_from_slice(RULE_IDS[i].1);
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::translate_regex;

    #[test]
    fn rule_id_table_is_sorted_and_names_built_in_rules() {
        assert!(super::RULE_IDS.windows(2).all(|w| w[0].0 < w[1].0), "keep RULE_IDS sorted");
        let pack = crate::rules::builtin().map_err(|e| e.join("\n")).unwrap();
        // The ids read without compiling the pack are the pack's.
        assert_eq!(super::builtin_ids(), pack.iter().map(|r| r.info.id.clone()).collect::<Vec<_>>());
        for (gitleaks, ours) in super::RULE_IDS {
            for id in *ours {
                assert!(pack.iter().any(|r| r.info.id == *id), "{gitleaks} -> {id}: no such built-in rule");
            }
        }
        assert_eq!(super::rule_ids("github-pat"), ["github-pat", "github-pat-classic"]);
        assert_eq!(super::rule_ids("acme"), ["acme"]);
    }

    #[test]
    fn literal_braces_are_escaped() {
        assert_eq!(translate_regex(r"^\{\{[ \t]*[\w ().|]+[ \t]*}}$"), r"^\{\{[ \t]*[\w ().|]+[ \t]*\}\}$");
        assert_eq!(translate_regex(r"a{2,3}b{4}c{1,}"), r"a{2,3}b{4}c{1,}");
        assert_eq!(translate_regex(r"^\${(?:[A-Z_]+)}$"), r"^\$\{(?:[A-Z_]+)\}$");
        assert_eq!(translate_regex(r"[{}]x"), r"[{}]x");
        for re in [r"^\{\{[ \t]*[\w ().|]+[ \t]*}}$", r"^\${(?:[A-Z_]+|[a-z_]+)}$", r"{{[^}]+}}"] {
            assert!(crate::rules::compile_regex(&translate_regex(re)).is_ok(), "{re}");
        }
    }

    #[test]
    fn any_text_translates_without_panicking() {
        // A backslash before a multi-byte character used to slice it in half (found by fuzzing).
        assert_eq!(translate_regex("\\é{"), "\\é\\{");
        assert_eq!(translate_regex("[]{]{"), "[]{]\\{");
        assert_eq!(translate_regex("[^]}]x{1}"), "[^]}]x{1}");
        assert_eq!(translate_regex("é{2}ü}"), "é{2}ü\\}");
        assert_eq!(translate_regex("a{99999999999999}"), "a\\{99999999999999\\}");
        assert_eq!(translate_regex("\\"), "\\");
        let long = "{".repeat(200_000);
        assert_eq!(translate_regex(&long).len(), 400_000);
    }
}
