//! Noise control: value-keyed baselines, `.leakscanignore`, config allowlists by regex,
//! stopword and per-rule path, HMAC-keyed fingerprints. Every suppression is counted by cause.

use crate::util::{aws_key_id, github_token, Dir};

fn project(d: &Dir) {
    d.write(".git/HEAD", "ref: refs/heads/main\n");
}

#[test]
fn baseline_survives_edits_and_still_reports_new_secrets() {
    let d = Dir::new();
    project(&d);
    let (old, new) = (github_token(50), github_token(51));
    d.write("src/app.py", format!("import os\nTOKEN = '{old}'\n"));
    let r = d.run(&["baseline", "create", "--output", ".leakscan-baseline.json", "."]);
    r.expect_code(0);
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join(".leakscan-baseline.json")).unwrap()).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1, "{r}");
    assert!(!std::fs::read_to_string(d.path().join(".leakscan-baseline.json")).unwrap().contains(&old));

    // move it down, re-indent it, edit around it; scan a subdirectory this time
    d.write("src/app.py", format!("import os\nimport sys\n\n\ndef f():\n        TOKEN = '{old}'  # still here\n"));
    let r = d.run(&["--format", "jsonl", "--baseline", ".leakscan-baseline.json", "src"]);
    r.expect_code(0);
    assert_eq!(r.summary()["suppressed"]["baseline"], 1, "{r}");

    // a new secret on the baselined line is reported
    d.write("src/app.py", format!("import os\nimport sys\n\n\ndef f():\n        TOKEN = '{old}'; T2 = '{new}'\n"));
    let r = d.run(&["--format", "jsonl", "--baseline", ".leakscan-baseline.json", "."]);
    r.expect_code(1);
    let f = r.findings();
    assert_eq!(f.len(), 1, "{r}");
    assert_eq!(f[0]["line"], 6);
    assert!(f[0]["column"].as_u64().unwrap() > 30, "the new one, not the old one: {r}");
    // the baseline can come from the config too
    d.write(".leakscan.toml", "baseline = \".leakscan-baseline.json\"\n");
    let r = d.run(&["--format", "jsonl", "."]);
    assert_eq!(r.findings().len(), 1, "{r}");
    assert_eq!(r.summary()["suppressed"]["baseline"], 1, "{r}");
}

#[test]
fn leakscanignore_holds_fingerprints() {
    let d = Dir::new();
    project(&d);
    d.write("a.env", format!("A={}\nB={}\n", github_token(52), aws_key_id(53)));
    let r = d.run(&["--format", "jsonl", "."]);
    let fp = r.findings()[0]["fingerprint"].as_str().unwrap().to_string();
    d.write(".leakscanignore", format!("# reviewed 2026-11-27: test fixture\n{fp}  # the first one\n\n"));
    let r = d.run(&["--format", "jsonl", "."]);
    r.expect_code(1);
    assert_eq!(r.findings().len(), 1, "{r}");
    assert_eq!(r.summary()["suppressed"]["ignore file (.leakscanignore)"], 1, "{r}");
    // a malformed entry is an error naming the line, without echoing the entry
    let pasted = github_token(54);
    d.write(".leakscanignore", format!("{fp}\n{pasted}\n"));
    let r = d.run(&["."]);
    r.expect_code(2);
    assert!(r.stderr().contains(".leakscanignore:2"), "{r}");
    assert!(!r.stderr().contains(&pasted), "{r}");
}

#[test]
fn allowlists_by_regex_stopword_rule_and_path() {
    let d = Dir::new();
    project(&d);
    let (t1, t2, t3, t4) = (github_token(55), github_token(56), github_token(57), aws_key_id(58));
    d.write("docs/guide.md", format!("use {t1} like this\n"));
    d.write("src/a.txt", format!("x {t2} TESTKEY\n"));
    d.write("src/b.txt", format!("{t3}\n"));
    d.write("src/c.txt", format!("{t4}\n"));
    d.write(
        ".leakscan.toml",
        format!(
            r#"
[allowlist]
regexes = ['''{}$''']
[[allowlists]]
description = "the docs show a sample token"
rules = ["github-pat-classic"]
paths = ["docs/**"]
[[allowlists]]
regexes = ['''TESTKEY''']
regex_target = "line"
[[allowlists]]
stopwords = ["{}"]
"#,
            &t3[30..],
            t4[10..].to_ascii_lowercase()
        ),
    );
    let r = d.run(&["--format", "jsonl", "."]);
    r.expect_code(0);
    assert_eq!(r.summary()["suppressed"]["allowlist (config)"], 4, "{r}");
    // a per-rule allowlist does not apply to other rules
    d.write("docs/aws.md", format!("{}\n", aws_key_id(59)));
    let r = d.run(&["--format", "jsonl", "."]);
    r.expect_code(1);
    assert_eq!(r.findings()[0]["path"], "./docs/aws.md", "{r}");
    // a broken regex names the file and the allowlist
    d.write(".leakscan.toml", "[[allowlists]]\nregexes = ['''(''']\n");
    let r = d.run(&["."]);
    r.expect_code(2);
    assert!(r.stderr().contains(".leakscan.toml") && r.stderr().contains("allowlists[0]"), "{r}");
}

#[test]
fn hmac_keyed_fingerprints() {
    let d = Dir::new();
    project(&d);
    d.write("a.env", format!("A={}\n", github_token(60)));
    let plain = d.run(&["--format", "jsonl", "."]).findings()[0]["fingerprint"].clone();
    d.write(".leakscan.toml", "fingerprint_key_env = \"LEAKSCAN_TEST_KEY\"\n");
    let r = d.run(&["."]);
    r.expect_code(2);
    assert!(r.stderr().contains("LEAKSCAN_TEST_KEY"), "{r}");
    let mut c = d.cmd(&["--format", "jsonl", "."]);
    c.env("LEAKSCAN_TEST_KEY", "k1");
    let keyed = crate::util::Run { cmd: "leakscan (keyed)".into(), out: c.output().unwrap() };
    let fp = keyed.findings()[0]["fingerprint"].clone();
    assert_ne!(fp, plain);
    assert_eq!(fp.as_str().unwrap().len(), 32);
}

/// A gitleaks JSON report as gitleaks writes it (FORMATS.md §2.1), for one finding.
fn gitleaks_entry(rule: &str, file: &str, line: u64, secret: &str, matched: &str) -> serde_json::Value {
    serde_json::json!({
        "RuleID": rule, "Description": "", "StartLine": line, "EndLine": line, "StartColumn": 10,
        "EndColumn": 60, "Match": matched, "Secret": secret, "File": file, "SymlinkFile": "",
        "Commit": "", "Entropy": 4.9, "Author": "", "Email": "", "Date": "", "Message": "", "Tags": [],
        "Fingerprint": format!("{file}:{rule}:{line}"),
    })
}

#[test]
fn gitleaks_report_as_baseline_matches_by_file_and_value() {
    let d = Dir::new();
    project(&d);
    let (old, new, redacted) = (github_token(80), github_token(81), aws_key_id(82));
    // gitleaks' ids differ from leakscan's (github-pat vs github-pat-classic): values decide.
    let report = serde_json::json!([
        gitleaks_entry("github-pat", "src/app.py", 2, &old, &format!("TOKEN = '{old}'")),
        gitleaks_entry("aws-access-token", "src/app.py", 3, "REDACTED", "REDACTED"),
    ]);
    d.write("gitleaks-report.json", report.to_string());
    // the baselined token moved down and got a neighbour on its line; the redacted entry
    // cannot be matched by value, so its key is reported with a warning
    d.write("src/app.py", format!("import os\n\n\nTOKEN = '{old}'; T2 = '{new}'\nK = '{redacted}'\n"));
    let r = d.run(&["-v", "--format", "jsonl", "--baseline", "gitleaks-report.json", "."]);
    r.expect_code(1);
    let mut found: Vec<String> = r.findings().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect();
    found.sort();
    assert_eq!(found, ["aws-access-key-id", "github-pat-classic"], "{r}");
    let gh = r.findings().into_iter().find(|f| f["rule"] == "github-pat-classic").unwrap();
    assert!(gh["column"].as_u64().unwrap() > 40, "the new token, not the baselined one: {r}");
    assert_eq!(r.summary()["suppressed"]["baseline"], 1, "{r}");
    // the report itself holds the secrets: not reported, as gitleaks skips its baseline
    assert_eq!(r.summary()["suppressed"]["in the baseline file"], 2, "{r}");
    assert!(r.stderr().contains("gitleaks JSON report") && r.stderr().contains("1 entry is redacted"), "{r}");
    assert!(!r.stderr().contains(&old) && !r.stdout().contains(&old), "{r}");
    // the same value in another file is not baselined
    d.write("src/other.py", format!("X = '{old}'\n"));
    let r = d.run(&["--format", "jsonl", "--baseline", "gitleaks-report.json", "src/other.py"]);
    r.expect_code(1);
    assert_eq!(r.findings().len(), 1, "{r}");
}

#[test]
fn detect_secrets_baseline_matches_by_file_and_sha1() {
    use sha1::Digest;
    let d = Dir::new();
    project(&d);
    let (old, new) = (github_token(83), github_token(84));
    let sha1 = |s: &str| sha1::Sha1::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>();
    let baseline = serde_json::json!({
        "version": "1.5.0",
        "plugins_used": [{"name": "GitHubTokenDetector"}],
        "filters_used": [],
        "results": {"src/app.py": [{
            "type": "GitHub Token", "filename": "src/app.py", "hashed_secret": sha1(&old),
            "is_verified": false, "line_number": 1
        }]},
        "generated_at": "2026-11-27T00:00:00Z"
    });
    d.write(".secrets.baseline", baseline.to_string());
    d.write("src/app.py", format!("\n\n  token = \"{old}\"\n"));
    // from a subdirectory: detect-secrets' paths are relative to the project root
    let mut c = d.cmd(&["-v", "--format", "jsonl", "--baseline", "../.secrets.baseline", "."]);
    c.current_dir(d.path().join("src"));
    let r = crate::util::Run {
        cmd: "leakscan (in src/) --baseline ../.secrets.baseline .".into(),
        out: c.output().unwrap(),
    };
    r.expect_code(0);
    assert_eq!(r.summary()["suppressed"]["baseline"], 1, "{r}");
    assert!(r.stderr().contains("detect-secrets baseline"), "{r}");
    // a new secret on the baselined line is reported
    d.write("src/app.py", format!("\n\n  token = \"{old}\"  # was {new}\n"));
    let r = d.run(&["--format", "jsonl", "--baseline", ".secrets.baseline", "."]);
    r.expect_code(1);
    assert_eq!(r.findings().len(), 1, "{r}");
    assert!(r.findings()[0]["column"].as_u64().unwrap() > 40, "{r}");
}

#[test]
fn unknown_baseline_format_is_an_error() {
    let d = Dir::new();
    project(&d);
    d.write("a.txt", "nothing\n");
    d.write("b.json", "{\"something\": 1}");
    let r = d.run(&["--baseline", "b.json", "."]);
    r.expect_code(2);
    assert!(r.stderr().contains("b.json") && r.stderr().contains("detect-secrets"), "{r}");
}
