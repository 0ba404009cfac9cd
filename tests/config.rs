//! The config beyond allowlists: `[limits]` and default formats (command-line flags win),
//! `leakscan config show` and `leakscan config check`.

use crate::util::{aws_key_id, github_token, Dir, Run};
use std::io::Write;

fn project(d: &Dir) {
    d.write(".git/HEAD", "ref: refs/heads/main\n");
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Runs leakscan in `sub` (relative to the dir).
fn run_in(d: &Dir, sub: &str, args: &[&str]) -> Run {
    let mut c = d.cmd(args);
    c.current_dir(d.path().join(sub)).stdin(std::process::Stdio::null());
    Run { cmd: format!("(in {sub}/) leakscan {}", args.join(" ")), out: c.output().unwrap() }
}

#[test]
fn config_limits_and_formats_apply_unless_flags_say_otherwise() {
    let d = Dir::new();
    project(&d);
    d.write(
        ".leakscan.toml",
        "format = [\"jsonl\", \"sarif:leakscan.sarif\"]\n[limits]\nmax_file_size = \"1K\"\nmax_archive_depth = 1\n",
    );
    d.write("src/small.env", format!("T={}\n", github_token(90)));
    d.write("src/big.env", format!("T={}\n{}", github_token(91), "#\n".repeat(1024)));
    d.write("src/twice.gz", gz(&gz(format!("K={}\n", aws_key_id(92)).as_bytes())));
    // from a subdirectory: the config is found; its report file is relative to the config
    let r = run_in(&d, "src", &["."]);
    let paths: Vec<String> = r.findings().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect();
    assert_eq!(paths, ["./small.env"], "jsonl on stdout, the big file skipped, the inner gzip unopened: {r}");
    assert!(r.stderr().contains("--max-archive-depth 1"), "{r}");
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join("leakscan.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 1, "{r}");
    // flags win, one by one
    let r = run_in(&d, "src", &["--format", "jsonl", "--max-file-size", "1M", "--max-archive-depth", "8", "."]);
    r.expect_code(1);
    let mut rules: Vec<String> = r.findings().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect();
    rules.sort();
    assert_eq!(rules, ["aws-access-key-id", "github-pat-classic", "github-pat-classic"], "{r}");
    let r = run_in(&d, "src", &["--format", "text", "."]);
    assert!(r.stdout().contains("small.env") && !r.stdout().trim_start().starts_with('{'), "{r}");
    // a bad limit names the file and the key
    d.write(".leakscan.toml", "[limits]\nmax_archive_size = \"12Q\"\n");
    let r = d.run(&["."]);
    r.expect_code(2);
    assert!(r.stderr().contains(".leakscan.toml") && r.stderr().contains("max_archive_size"), "{r}");
}

#[test]
fn config_show_prints_the_resolved_config_without_secrets() {
    let d = Dir::new();
    project(&d);
    d.write(
        ".leakscan.toml",
        r#"
disabled_rules = ["aws-access-key-id"]
fingerprint_key_env = "LEAKSCAN_SHOW_KEY"
baseline = ".leakscan-baseline.json"
format = ["sarif:out.sarif"]
[allowlist]
paths = ["fixtures/"]
stopwords = ["example"]
[limits]
max_file_size = "10M"
[[rules]]
id = "acme-key"
name = "Acme key"
description = "An Acme key."
regex = '''acme_[a-z0-9]{16}'''
keywords = ["acme_"]
"#,
    );
    d.write(".leakscanignore", "# none yet\n0123456789abcdef0123456789abcdef\n");
    d.write("sub/x.txt", "");
    let mut c = d.cmd(&["config", "show"]);
    c.current_dir(d.path().join("sub")).env("LEAKSCAN_SHOW_KEY", "very-secret-hmac-key");
    let r = Run { cmd: "(in sub/) leakscan config show".into(), out: c.output().unwrap() };
    r.expect_code(0);
    let out = r.stdout();
    assert!(out.contains(".leakscan.toml (found walking up from"), "{r}");
    assert!(out.contains(".leakscanignore (1 entries)") && out.contains(".gitleaksignore (absent)"), "{r}");
    assert!(out.contains("$LEAKSCAN_SHOW_KEY") && !out.contains("very-secret-hmac-key"), "{r}");
    let doc: toml::Table = out.parse().unwrap_or_else(|e| panic!("not TOML: {e}\n{r}"));
    assert_eq!(doc["rules"]["custom"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(doc["rules"]["disabled"][0].as_str(), Some("aws-access-key-id"), "{r}");
    let total = doc["rules"]["total"].as_integer().unwrap();
    assert_eq!(doc["rules"]["built_in"].as_integer().unwrap(), total - 1, "{r}");
    assert_eq!(doc["limits"]["max_file_size"].as_integer(), Some(10 << 20), "{r}");
    assert_eq!(doc["limits"]["max_archive_depth"].as_integer(), Some(8), "the default filled in: {r}");
    assert!(doc["format"][0].as_str().unwrap().starts_with("sarif:") && doc["baseline"].is_str(), "{r}");
    let lists = doc["allowlists"].as_array().unwrap();
    let first =
        |a: &toml::Value, key: &str| a.get(key).and_then(|v| v.get(0)).and_then(|v| v.as_str()).map(String::from);
    assert!(lists.iter().any(|a| first(a, "paths").as_deref() == Some("fixtures/")), "{r}");
    assert!(lists.iter().any(|a| first(a, "stopwords").as_deref() == Some("example")), "{r}");

    // no config at all
    let e = Dir::new();
    project(&e);
    let r = e.run(&["config", "show"]);
    r.expect_code(0);
    assert!(r.stdout().contains("# config file: none"), "{r}");
    // a gitleaks config is shown translated
    e.write(".gitleaks.toml", "[[rules]]\nid = \"x\"\nregex = '''x_[0-9]{8}'''\npath = '''\\.php$'''\n");
    let r = e.run(&["config", "show"]);
    r.expect_code(0);
    assert!(r.stdout().contains("gitleaks TOML, translated"), "{r}");
    let doc: toml::Table = r.stdout().parse().unwrap();
    assert_eq!(doc["rules"]["total"].as_integer(), Some(1), "no useDefault: only its own rule: {r}");
    assert_eq!(doc["rules"]["path_restricted"][0].as_str(), Some("x"), "{r}");
}

#[test]
fn config_check_validates_and_names_file_line_and_key() {
    let d = Dir::new();
    project(&d);
    d.write("good.toml", "[allowlist]\nstopwords = [\"example\"]\n");
    let r = d.run(&["config", "check", "good.toml"]);
    r.expect_code(0);
    assert!(r.stderr().contains("good.toml: ok"), "{r}");
    d.write("bad.toml", "[allowlist]\nstopwords = [\"example\"]\n\n[limitz]\nmax_file_size = 1\n");
    let r = d.run(&["config", "check", "bad.toml"]);
    r.expect_code(2);
    assert!(r.stderr().contains("bad.toml") && r.stderr().contains("line 4") && r.stderr().contains("limitz"), "{r}");
    // a custom rule whose regex does not compile
    d.write("rule.toml", "[[rules]]\nid = \"r\"\nname = \"R\"\ndescription = \"d\"\nregex = '''(x'''\n");
    let r = d.run(&["config", "check", "rule.toml"]);
    r.expect_code(2);
    assert!(r.stderr().contains("rule.toml") && r.stderr().contains("rule r: regex"), "{r}");
    // without FILE: the discovered config
    d.write(".leakscan.toml", "disabled_rules = [\"no-such-rule\"]\n");
    let r = d.run(&["config", "check"]);
    r.expect_code(2);
    assert!(r.stderr().contains("no-such-rule"), "{r}");
}

#[test]
fn a_broken_rule_in_the_config_stops_the_scan_before_it_starts() {
    // The built-in pack's regexes are parsed when first needed; a user's are parsed at load,
    // so a mistake in one is a usage error naming the rule, not a warning mid-scan.
    let d = Dir::new();
    project(&d);
    d.write(
        ".leakscan.toml",
        "[[rules]]\nid = \"mine\"\nregex = '''tok_([a-z]{8})'''\nsecret_group = 2\nkeywords = [\"tok_\"]\n",
    );
    d.write("a.txt", format!("T={}\n", github_token(93)));
    let r = d.run(&["."]);
    r.expect_code(2);
    assert!(r.stderr().contains("rule mine") && r.stderr().contains("secret_group 2"), "{r}");
    assert!(r.stdout().is_empty(), "nothing scanned: {r}");
}

#[test]
fn a_config_error_names_line_column_and_key_but_never_a_value() {
    // The parser's own message quotes the whole line under a caret: a config line may hold a
    // secret (a stopword, an allowlisted token), so only its key is shown, escaped.
    let d = Dir::new();
    project(&d);
    let token = github_token(77);
    d.write(".leakscan.toml", format!("[allowlist]\nstopwords = [\"{token}\n"));
    let r = d.run(&["."]);
    r.expect_code(2);
    let err = r.stderr();
    assert!(err.contains(".leakscan.toml: line 2, column ") && err.contains("(stopwords = …)"), "{r}");
    assert!(!err.contains(&token) && !err.contains(&token[..12]), "{r}");
    d.write(".leakscan.toml", "[[rules]]\nid = \"mine\"\nregex = \x1b[31m\n");
    let r = d.run(&["."]);
    r.expect_code(2);
    let err = r.stderr();
    assert!(err.contains("line 3, column ") && err.contains("(regex = …)"), "{r}");
    assert!(!err.contains('\x1b') && !err.contains("[31m"), "{r}");
    // An allowlist regex is often a literal token: its syntax error does not quote it.
    d.write(".leakscan.toml", format!("[allowlist]\nregexes = [\"{token}(\"]\n"));
    let r = d.run(&["."]);
    r.expect_code(2);
    let err = r.stderr();
    assert!(err.contains("regexes[0]: regex parse error at character 41: unclosed group"), "{r}");
    assert!(!err.contains(&token[..12]), "{r}");
}

/// A config rule whose keyword lies outside its matches (as gitleaks rules are often written)
/// still finds them: it is searched wherever a keyword occurs in the chunk, and `-v` says so;
/// a rule whose matches hold their keyword keeps to windows.
#[test]
fn a_config_rule_whose_keyword_is_outside_its_matches_still_finds_them() {
    let d = Dir::new();
    project(&d);
    d.write(
        ".leakscan.toml",
        concat!(
            "[[rules]]\nid = \"zeta-key\"\nregex = '''\\b(zk_[a-z0-9]{32})\\b'''\nkeywords = [\"zeta\"]\n",
            "[[rules]]\nid = \"acme-key\"\nregex = '''acme_[a-z0-9]{32}'''\nkeywords = [\"acme_\"]\n",
        ),
    );
    // The keyword starts its line; the token is past the regex's longest match from it.
    d.write(
        "app.cfg",
        "zeta_service_key = \"zk_q7x2m9v4k1p8z3r6t5w0y2u8i4o6a1s3\"\nacme_q7x2m9v4k1p8z3r6t5w0y2u8i4o6a1s3\n",
    );
    let r = d.run(&["-v", "--format", "jsonl", "."]);
    r.expect_code(1);
    let mut rules: Vec<String> = r.findings().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect();
    rules.sort();
    assert_eq!(rules, ["acme-key", "zeta-key"], "{r}");
    assert!(r.stderr().contains("rule zeta-key: its matches need not contain a keyword"), "{r}");
    assert!(!r.stderr().contains("rule acme-key: its matches"), "{r}");
    let explain = d.run(&["rules", "explain", "acme-key"]);
    assert!(explain.stdout().contains("near the match"), "{explain}");
}
