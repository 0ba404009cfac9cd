//! Output formats: redaction by default everywhere, `--show-secrets`, `--output FILE`,
//! JSON document sorted, JSON Lines streamed with a final summary.

use crate::util::{aws_key_id, github_token, Dir};

fn planted(d: &Dir) -> Vec<String> {
    let secrets = vec![github_token(20), aws_key_id(21), github_token(22)];
    d.write("a/one.env", format!("GITHUB_TOKEN={}\nAWS_ACCESS_KEY_ID={}\n", secrets[0], secrets[1]));
    d.write("b/two.txt", format!("token: {}\n", secrets[2]));
    secrets
}

#[test]
fn every_format_redacts_by_default() {
    let d = Dir::new();
    let secrets = planted(&d);
    for format in ["text", "json", "jsonl"] {
        let r = d.run(&["--format", format, "."]);
        r.expect_code(1);
        let all = format!("{}{}", r.stdout(), r.stderr());
        for s in &secrets {
            assert!(!all.contains(s.as_str()), "{format} leaks a secret: {r}");
            assert!(!all.contains(&s[4..20]), "{format} leaks part of a secret: {r}");
        }
        assert!(all.contains("redacted"), "{r}");
        let r = d.run(&["--format", format, "--show-secrets", "."]);
        for s in &secrets {
            assert!(r.stdout().contains(s.as_str()), "{format} --show-secrets must show it: {r}");
        }
    }
}

#[test]
fn output_file_receives_the_report() {
    let d = Dir::new();
    let secrets = planted(&d);
    let r = d.run(&["--format", "json", "--output", "report.json", "a", "b"]);
    r.expect_code(1);
    assert!(r.stdout().is_empty(), "{r}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(d.path().join("report.json")).unwrap()).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3);
    let order: Vec<(String, u64)> =
        findings.iter().map(|f| (f["path"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap())).collect();
    assert_eq!(order, [("a/one.env".into(), 1), ("a/one.env".into(), 2), ("b/two.txt".into(), 1)]);
    assert_eq!(doc["summary"]["findings"], 3);
    assert_eq!(doc["summary"]["complete"], true);
    let text = std::fs::read_to_string(d.path().join("report.json")).unwrap();
    assert!(secrets.iter().all(|s| !text.contains(s.as_str())));
}

#[test]
fn jsonl_ends_with_a_summary_record() {
    let d = Dir::new();
    planted(&d);
    let r = d.run(&["--format", "jsonl", "."]);
    let last = r.stdout().lines().last().unwrap().to_string();
    let v: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(v["type"], "summary");
    assert_eq!(v["findings"], 3);
    assert_eq!(v["files_scanned"], 2);
    for f in r.findings() {
        assert_eq!(f["fingerprint"].as_str().unwrap().len(), 32);
        assert_eq!(f["redacted"], true);
    }
}

#[test]
fn text_is_grep_like() {
    let d = Dir::new();
    planted(&d);
    let r = d.run(&["--color", "never", "b"]);
    r.expect_code(1);
    let line = r.stdout();
    assert!(line.starts_with("b/two.txt:1:8: github-"), "{r}");
    assert!(line.contains("ghp_…[redacted, 40 chars]"), "{r}");
    assert!(r.stderr().contains("1 finding"), "{r}");
    let q = d.run(&["-q", "b"]);
    assert!(q.stderr().is_empty(), "{q}");
}
