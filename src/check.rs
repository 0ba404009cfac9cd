//! `check`: every problem of a rule set at once — used by the test suite, `leakscan rules
//! check` and for users' own rule files.
//!
//! Checks: ids unique and kebab-case; name, description, keywords, examples and negative
//! examples present; every example contains a keyword and is found by its own rule with the
//! whole set loaded (so the prefilter is exercised), also when embedded between NUL bytes in
//! binary content for rules that apply to binary; no negative example is found by its rule.
//! Depends on `matcher`, `rules`, `chunk`.

use crate::chunk::Content;
use crate::matcher::{is_kept, secret_span, Matcher};
use crate::rules::Rule;
use std::collections::HashSet;

/// Every problem of the matcher's rules, one message per problem (empty = all good).
pub fn check(matcher: &Matcher) -> Vec<String> {
    let mut problems = Vec::new();
    let mut ids = HashSet::new();
    for rule in matcher.rules() {
        let id = &rule.info.id;
        let mut problem = |msg: String| problems.push(format!("{}: rule {id}: {msg}", rule.file));
        if !ids.insert(id.clone()) {
            problem("duplicate id".into());
        }
        if !is_kebab(id) {
            problem("id is not kebab-case".into());
        }
        if rule.spec.name.trim().is_empty() || rule.spec.description.trim().is_empty() {
            problem("name and description are required".into());
        }
        if rule.keywords.is_empty() {
            problem("no keywords".into());
        }
        if let Err(e) = rule.parse() {
            problem(format!("regex does not parse: {e:#}"));
        } else if let Err(e) = crate::rules::compile_regex(&rule.spec.regex) {
            problem(format!("regex does not compile: {e}"));
        }
        if rule.spec.examples.is_empty() || rule.spec.negative_examples.is_empty() {
            problem("needs examples and negative_examples".into());
        }
        for (i, example) in rule.spec.examples.iter().enumerate() {
            if let Some(msg) = example_problem(matcher, rule, example.as_bytes()) {
                problem(format!("examples[{i}]: {msg}"));
            }
        }
        for (i, negative) in rule.spec.negative_examples.iter().enumerate() {
            // A token failing its checksum is still reported, at low confidence, by design: a
            // negative example is "matched" only at the rule's own confidence.
            let found = matcher.scan_text(negative.as_bytes(), Content::Text);
            if found.iter().any(|f| &f.rule.id == id && f.rule.confidence == rule.info.confidence) {
                problem(format!("negative_examples[{i}] is matched"));
            }
        }
    }
    problems
}

fn example_problem(matcher: &Matcher, rule: &Rule, example: &[u8]) -> Option<String> {
    let lower = example.to_ascii_lowercase();
    if !rule.keywords.iter().any(|k| memchr::memmem::find(&lower, k).is_some()) {
        return Some("contains none of the rule's keywords".into());
    }
    let found = matcher.scan_text(example, Content::Text);
    if !found.iter().any(|f| f.rule.id == rule.info.id) {
        return Some(diagnose(rule, example, &found));
    }
    if rule.binary {
        let mut embedded = b"\x00\x01\x7f".to_vec();
        embedded.extend_from_slice(example);
        embedded.extend_from_slice(b"\x00\xff\x00");
        let found = matcher.scan_text(&embedded, Content::Binary);
        if !found.iter().any(|f| f.rule.id == rule.info.id) {
            return Some("not found when embedded between NUL bytes in binary content (rules must not require quotes, spaces or line ends around a secret; or set binary = false)".into());
        }
    }
    None
}

/// Says why an example was not found by its rule.
fn diagnose(rule: &Rule, example: &[u8], found: &[crate::finding::Finding]) -> String {
    let Some(caps) = first_secret(rule, example) else {
        return "not matched by the regex".into();
    };
    let secret = &example[caps];
    let entropy = crate::entropy::shannon(secret);
    if entropy < rule.min_entropy {
        return format!("secret entropy {entropy:.2} is below min_entropy {}", rule.min_entropy);
    }
    if rule.checksum.is_some_and(|c| !c.is_valid(secret)) {
        return "checksum does not verify".into();
    }
    if !is_kept(rule, secret) {
        return "secret looks like a placeholder".into();
    }
    match found.first() {
        Some(other) => format!(
            "found as {} instead (an overlapping rule with higher confidence or a longer secret wins)",
            other.rule.id
        ),
        None => "suppressed (an inline allow marker?)".into(),
    }
}

fn first_secret(rule: &Rule, example: &[u8]) -> Option<std::ops::Range<usize>> {
    let m = rule.parsed()?.regex.get()?.find(example)?;
    Some(secret_span(rule, example, m.range(), &mut None))
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}
