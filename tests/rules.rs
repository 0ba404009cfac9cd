//! The rule pack: the embedded table matches `rules/`, and every rule passes the check
//! (examples found by their own rule with the whole pack loaded, negatives not found).

use crate::util::Dir;

#[test]
fn pack_table_lists_exactly_the_rule_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .map(|n| n.trim_end_matches(".toml").to_string())
        .collect();
    on_disk.sort();
    let table: Vec<String> = leakscan::pack::PACK.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(table, on_disk, "src/pack.rs must list every rules/*.toml, sorted");
    for (name, text) in leakscan::pack::PACK {
        let disk = std::fs::read_to_string(dir.join(format!("{name}.toml"))).unwrap();
        assert_eq!(&disk, text, "{name}");
    }
}

#[test]
fn every_rule_passes_the_check() {
    let rules =
        leakscan::rules::builtin_with_examples().unwrap_or_else(|e| panic!("pack does not compile:\n{}", e.join("\n")));
    let matcher = leakscan::matcher::Matcher::new(rules).unwrap();
    let problems = leakscan::check::check(&matcher);
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn pack_covers_the_common_providers() {
    let names: Vec<&str> = leakscan::pack::PACK.iter().map(|(n, _)| *n).collect();
    for provider in [
        "aws",
        "github",
        "gitlab",
        "slack",
        "stripe",
        "openai",
        "anthropic",
        "google",
        "azure",
        "npm",
        "pypi",
        "private-keys",
        "jwt",
        "url-credentials",
        "generic",
    ] {
        assert!(names.contains(&provider), "no rules/{provider}.toml");
    }
}

#[test]
fn rules_check_command_reports_a_broken_user_rule() {
    let d = Dir::new();
    d.write(
        "mine.toml",
        "[[rules]]\nid = \"mine\"\nname = \"m\"\ndescription = \"d\"\nregex = '''mine_[0-9]{4}'''\nkeywords = [\"mine_\"]\nexamples = [\"mine_12\"]\nnegative_examples = [\"mine_1234\"]\n",
    );
    let r = d.run(&["rules", "check", "mine.toml"]);
    r.expect_code(1);
    assert!(r.stdout().contains("rule mine: examples[0]: not matched by the regex"), "{r}");
    assert!(r.stdout().contains("rule mine: negative_examples[0] is matched"), "{r}");
    d.run(&["rules", "check"]).expect_code(0);
}

#[test]
fn rules_check_on_a_pack_file_checks_that_file_alone() {
    // A file of the pack, copied out: its ids are the built-in ones, and that is no problem.
    let d = Dir::new();
    let aws = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/aws.toml")).unwrap();
    d.write("aws.toml", &aws);
    let r = d.run(&["rules", "check", "aws.toml"]);
    r.expect_code(0);
    let count = aws.matches("[[rules]]").count();
    assert!(r.stderr().contains(&format!("{count} rules checked, 0 problem(s)")), "{r}");
    // The same file twice: every id is now a duplicate.
    d.write("again.toml", &aws);
    let r = d.run(&["rules", "check", "aws.toml", "again.toml"]);
    r.expect_code(1);
    assert_eq!(r.stdout().matches("duplicate id").count(), count, "{r}");
}

#[test]
fn rules_list_names_every_rule() {
    let r = Dir::new().run(&["rules", "list"]);
    r.expect_code(0);
    let n = leakscan::rules::builtin().unwrap().len();
    assert_eq!(r.stdout().lines().count(), n, "{r}");
    assert!(r.stdout().lines().any(|l| l.starts_with("github-")), "{r}");
}

#[test]
fn rules_explain_shows_one_rule_and_no_example_value() {
    let r = Dir::new().run(&["rules", "explain", "github-pat-classic"]);
    r.expect_code(0);
    let out = r.stdout();
    for want in ["id            github-pat-classic", "confidence    high", "keywords      ghp_", "checksum      github"]
    {
        assert!(out.contains(want), "{want:?}: {r}");
    }
    assert!(
        out.contains("regex ") && out.contains("to find,") && out.contains("defined in    rules/github.toml"),
        "{r}"
    );
    // Examples are counted, never shown: they are secret-shaped.
    let pack = leakscan::rules::builtin_with_examples().unwrap();
    let rule = pack.iter().find(|r| r.info.id == "github-pat-classic").unwrap();
    assert!(!rule.spec.examples.is_empty());
    let counted = format!("{} to find, {} not to find", rule.spec.examples.len(), rule.spec.negative_examples.len());
    assert!(out.contains(&counted), "{counted:?}: {r}");
    for example in rule.spec.examples.iter().chain(&rule.spec.negative_examples) {
        assert!(!out.contains(example.as_str()), "an example is shown: {r}");
    }
    // A rule the user's config adds is explained too; an unknown id is a usage error.
    let d = Dir::new();
    d.write(
        ".leakscan.toml",
        "[[rules]]\nid = \"acme-token\"\nregex = '''acme_[a-z0-9]{24}'''\nkeywords = [\"acme_\"]\n",
    );
    let r = d.run(&["rules", "explain", "acme-token"]);
    r.expect_code(0);
    assert!(r.stdout().contains("keywords      acme_"), "{r}");
    let r = d.run(&["rules", "explain", "no-such-rule"]);
    r.expect_code(2);
    assert!(r.stderr().contains("no rule in effect has this id"), "{r}");
}

#[test]
fn the_projects_own_scan_is_clean() {
    // `leakscan .` on this repository finds nothing because fixtures/, rules/ and tests/ are
    // allowlisted in its .leakscan.toml and test values carry allow markers — not because
    // nothing is read: the summary counts the files scanned.
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leakscan"))
        .args([".", "--format", "jsonl", "--no-progress"])
        .current_dir(root)
        .env_remove("LEAKSCAN_CONFIG")
        .output()
        .expect("spawn leakscan");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or("{}")).unwrap();
    assert!(summary["files_scanned"].as_u64().unwrap_or(0) >= 50, "{summary}");
}
