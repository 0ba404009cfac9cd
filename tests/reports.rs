//! CI report formats checked by their consumers: SARIF by Microsoft's SARIF Multitool and the
//! SARIF 2.1.0 JSON schema, JUnit by Python XML/JUnit parsers, GitLab by the 15.x schema's
//! required fields, GitHub annotations by GitHub's escaping rules; golden files for every
//! format in `fixtures/expected/` (`BLESS=1` rewrites them); no plaintext secret anywhere
//! unless `--show-secrets`; several reports from one scan.

use crate::util::{aws_key_id, github_token, Dir, Run};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every format and the golden file it is compared with.
const FORMATS: &[(&str, &str)] = &[
    ("text", "report.txt"),
    ("json", "report.json"),
    ("jsonl", "report.jsonl"),
    ("sarif", "report.sarif"),
    ("gitlab", "gl-secret-detection-report.json"),
    ("junit", "report.junit.xml"),
    ("github", "report.github.txt"),
    ("csv", "report.csv"),
    ("gitleaks-json", "report.gitleaks.json"),
];

/// The small fixed input every golden file is made from; returns the planted secrets.
fn plant(d: &Dir) -> Vec<String> {
    let secrets = vec![github_token(701), aws_key_id(702), github_token(703), "Vq7#kPz2!mW9xL4r".to_string()];
    d.write("app/config.env", format!("GITHUB_TOKEN={}\nAWS_ACCESS_KEY_ID={}\n", secrets[0], secrets[1]));
    d.write("src/main.py", format!("import os\n\n    token = \"{}\"  # é ü\n", secrets[2]));
    d.write("db/settings.ini", format!("[db]\npassword = \"{}\"\n", secrets[3]));
    secrets
}

fn run_format(d: &Dir, format: &str, extra: &[&str]) -> Run {
    let mut args = vec!["--no-config", "--color", "never", "-j", "1", "--format", format];
    args.extend_from_slice(extra);
    args.push(".");
    d.run(&args)
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/expected")
}

/// Rewrites what changes from run to run: times, durations, the version; sorts streamed lines.
fn normalise(format: &str, out: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    match format {
        "json" | "gitlab" => {
            let mut v: Value = serde_json::from_str(out).unwrap_or_else(|e| panic!("{format}: {e}\n{out}"));
            for key in ["elapsed_secs", "mb_per_sec"] {
                if v["summary"].get(key).is_some() {
                    v["summary"][key] = 0.into();
                }
            }
            if v.get("scan").is_some() {
                v["scan"]["start_time"] = "1970-01-01T00:00:00".into();
                v["scan"]["end_time"] = "1970-01-01T00:00:00".into();
            }
            serde_json::to_string_pretty(&v).unwrap().replace(version, "VERSION") + "\n"
        }
        "jsonl" | "github" | "text" => {
            let mut lines: Vec<String> = out
                .lines()
                .map(|l| match serde_json::from_str::<Value>(l) {
                    Ok(mut v) if v["type"] == "summary" => {
                        v["elapsed_secs"] = 0.into();
                        v["mb_per_sec"] = 0.into();
                        v.to_string()
                    }
                    _ => l.to_string(),
                })
                .collect();
            lines.sort();
            lines.join("\n") + "\n"
        }
        "junit" => zero_attrs(out, &["time", "timestamp"]),
        _ => out.replace(version, "VERSION"),
    }
}

/// Replaces the values of the XML attributes `names` with a fixed value.
fn zero_attrs(xml: &str, names: &[&str]) -> String {
    let mut out = String::new();
    let mut rest = xml;
    'outer: while !rest.is_empty() {
        for name in names {
            let pat = format!(" {name}=\"");
            if rest.starts_with(&pat) {
                let end = rest[pat.len()..].find('"').unwrap() + pat.len();
                out.push_str(&pat);
                out.push('0');
                rest = &rest[end..];
                continue 'outer;
            }
        }
        let c = rest.chars().next().unwrap();
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[test]
fn golden_files_for_every_format() {
    let d = Dir::new();
    plant(&d);
    let bless = std::env::var_os("BLESS").is_some();
    let mut mismatched = Vec::new();
    for (format, file) in FORMATS {
        let r = run_format(&d, format, &[]);
        r.expect_code(1);
        let got = normalise(format, &r.stdout());
        let path = golden_dir().join(file);
        if bless {
            std::fs::create_dir_all(golden_dir()).unwrap();
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if got != want {
            eprintln!("--- {format}: {} differs; got:\n{got}", path.display());
            mismatched.push(*format);
        }
    }
    assert!(mismatched.is_empty(), "golden files differ for {mismatched:?} (rerun with BLESS=1 to accept)");
}

#[test]
fn no_format_prints_a_planted_secret_unless_asked() {
    let d = Dir::new();
    let secrets = plant(&d);
    // Reports go outside the scanned tree, so one run's report is not the next run's input.
    let reports = Dir::new();
    for (format, _) in FORMATS {
        let file = reports.path().join(format!("out.{format}")).display().to_string();
        let r = run_format(&d, &format!("{format}:{file}"), &[]);
        r.expect_code(1);
        let report = std::fs::read_to_string(&file).unwrap();
        assert!(!report.is_empty(), "{format}: empty report\n{r}");
        let all = format!("{report}{}{}", r.stdout(), r.stderr());
        for s in &secrets {
            assert!(!all.contains(s.as_str()), "{format} leaks {s}:\n{all}");
            assert!(!all.contains(&s[4..14]), "{format} leaks part of a secret:\n{all}");
        }
        let r = run_format(&d, &format!("{format}:{file}"), &["--show-secrets"]);
        let report = std::fs::read_to_string(&file).unwrap();
        for s in &secrets {
            assert!(report.contains(s.as_str()), "{format} --show-secrets must show {s}:\n{report}\n{r}");
        }
    }
}

#[test]
fn several_reports_from_one_scan() {
    let d = Dir::new();
    plant(&d);
    let r =
        d.run(&["--no-config", "-f", "sarif:r.sarif", "-f", "gitlab:gl.json", "-f", "junit:j.xml", "-f", "csv", "."]);
    r.expect_code(1);
    let sarif: Value = serde_json::from_slice(&std::fs::read(d.path().join("r.sarif")).unwrap()).unwrap();
    let gitlab: Value = serde_json::from_slice(&std::fs::read(d.path().join("gl.json")).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 4, "{r}");
    assert_eq!(gitlab["vulnerabilities"].as_array().unwrap().len(), 4);
    assert!(std::fs::read_to_string(d.path().join("j.xml")).unwrap().contains("failures=\"4\""));
    assert_eq!(r.stdout().lines().count(), 5, "csv header + 4 rows on stdout: {r}");
    assert!(r.stderr().contains(": 4 findings"), "one scan: {r}");
    // --output takes the one format without a file; two formats on stdout are refused.
    let r = d.run(&["--no-config", "-f", "json", "-f", "sarif:r2.sarif", "-o", "all.json", "."]);
    r.expect_code(1);
    assert!(r.stdout().is_empty() && d.path().join("all.json").exists() && d.path().join("r2.sarif").exists());
    let r = d.run(&["--no-config", "-f", "json", "-f", "csv", "."]);
    r.expect_code(2);
    assert!(r.stderr().contains("standard output"), "{r}");
    let r = d.run(&["--no-config", "-f", "json:x", "-f", "csv:x", "."]);
    r.expect_code(2);
    let r = d.run(&["--no-config", "-f", "csv:a.csv", "-o", "b.csv", "."]);
    r.expect_code(2);
    assert!(r.stderr().contains("--output is unused"), "{r}");
    let r = d.run(&["--no-config", "-f", "yaml", "."]);
    r.expect_code(2);
    assert!(r.stderr().contains("gitleaks-json"), "{r}");
}

#[test]
fn github_annotations_escape_properties_and_data() {
    let d = Dir::new();
    let tok = aws_key_id(710);
    d.write("a,b:c%d\ne.env", format!("key={tok}\n"));
    let r = run_format(&d, "github", &[]);
    r.expect_code(1);
    let out = r.stdout();
    assert_eq!(out.lines().count(), 1, "a crafted name must not start a second command: {r}");
    assert!(out.starts_with("::error file=a%2Cb%3Ac%25d%0Ae.env,line=1,endLine=1,col=5,endColumn=25,title="), "{r}");
    let (props, data) = out.trim_end().split_once("::").unwrap().1.split_once("::").unwrap();
    assert!(props.contains("title=AWS access key ID (aws-access-key-id)"), "{r}");
    assert!(!data.contains(&tok) && data.contains("AKIA…[redacted, 20 chars]"), "{r}");
    // an incomplete scan says so
    let r = run_format(&d, "github", &["missing.txt"]);
    assert!(r.stdout().contains("::warning title=leakscan::scan incomplete: "), "{r}");
}

#[test]
fn gitlab_report_has_every_field_the_schema_requires() {
    let d = Dir::new();
    plant(&d);
    let r = run_format(&d, "gitlab", &["missing.env"]);
    r.expect_code(1);
    let v: Value = serde_json::from_str(&r.stdout()).unwrap();
    assert!(v["version"].as_str().unwrap().starts_with("15."), "{r}");
    let scan = &v["scan"];
    for tool in ["analyzer", "scanner"] {
        for key in ["id", "name", "version"] {
            assert!(scan[tool][key].as_str().is_some_and(|s| !s.is_empty()), "scan.{tool}.{key}: {r}");
        }
        assert_eq!(scan[tool]["vendor"]["name"], "leakscan");
    }
    assert_eq!(scan["type"], "secret_detection");
    for key in ["start_time", "end_time"] {
        let t = scan[key].as_str().unwrap();
        let shape: String = t.chars().map(|c| if c.is_ascii_digit() { 'D' } else { c }).collect();
        assert_eq!(shape, "DDDD-DD-DDTDD:DD:DD", "{key} = {t}");
    }
    assert_eq!(scan["status"], "failure", "an incomplete scan is a failure: {r}");
    assert_eq!(scan["messages"][0]["level"], "warn");
    let vulns = v["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 4);
    let mut ids = Vec::new();
    for x in vulns {
        let id = x["id"].as_str().unwrap();
        assert_eq!(id.len(), 36, "{id}");
        ids.push(id.to_string());
        assert!(["Critical", "High", "Medium", "Low", "Info", "Unknown"].contains(&x["severity"].as_str().unwrap()));
        assert!(x["name"].as_str().is_some() && x["description"].as_str().is_some());
        let ident = &x["identifiers"][0];
        assert_eq!(ident["type"], "leakscan_rule_id");
        assert!(ident["name"].is_string() && ident["value"].is_string());
        let loc = &x["location"];
        assert!(loc["file"].is_string() && loc["start_line"].is_u64() && loc["end_line"].is_u64());
        assert_eq!(loc["commit"]["sha"], "0000000");
        assert!(x["raw_source_code_extract"].as_str().unwrap().contains("redacted"));
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "ids are unique");
    let again: Value = serde_json::from_str(&run_format(&d, "gitlab", &[]).stdout()).unwrap();
    assert_eq!(again["vulnerabilities"][0]["id"], v["vulnerabilities"][0]["id"], "ids are stable");
    assert_eq!(again["scan"]["status"], "success");
}

/// Runs a Python snippet with `file` as argv[1]; `None` when python3 or its module is missing.
fn python(script: &str, file: &Path) -> Option<std::process::Output> {
    let out = Command::new("python3").arg("-c").arg(script).arg(file).output().ok()?;
    if String::from_utf8_lossy(&out.stderr).contains("ModuleNotFoundError") {
        eprintln!("\n!!! SKIPPED: {}", String::from_utf8_lossy(&out.stderr).trim());
        eprintln!("!!! .ci/run installs it: pip install jsonschema junitparser\n");
        return None;
    }
    Some(out)
}

#[test]
fn junit_parses_with_standard_parsers() {
    let d = Dir::new();
    plant(&d);
    d.write("odd/<&\"'>.env", format!("k={}\x1b\n", aws_key_id(711)));
    let r = run_format(&d, "junit:j.xml", &["missing.txt"]);
    r.expect_code(1);
    let etree = "import sys, xml.etree.ElementTree as E\nr = E.parse(sys.argv[1]).getroot()\n\
        s = r.find('testsuite')\nprint(s.get('tests'), s.get('failures'), s.get('errors'), len(s.findall('testcase')), \
        len(s.findall('testcase/failure')))";
    let out = python(etree, &d.path().join("j.xml")).expect("python3 runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "6 5 1 6 5", "{}", String::from_utf8_lossy(&out.stderr));
    let junitparser = "import sys, junitparser\nx = junitparser.JUnitXml.fromfile(sys.argv[1])\n\
        cases = [c for s in x for c in s]\nprint(sum(1 for c in cases if not c.is_passed), len(cases))\n\
        print(cases[0].classname, cases[0].result[0].type)";
    if let Some(out) = python(junitparser, &d.path().join("j.xml")) {
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(text.starts_with("6 6\napp/config.env github-"), "{text}{}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn ci_templates_use_flags_the_cli_accepts() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let action = std::fs::read_to_string(root.join("action.yml")).unwrap();
    assert!(action.contains("github/codeql-action/upload-sarif") && action.contains("--format \"sarif:$SARIF\""));
    let gitlab = std::fs::read_to_string(root.join("ci/gitlab-secret-detection.yml")).unwrap();
    assert!(gitlab.contains("secret_detection: gl-secret-detection-report.json"));
    // the template's own flags, on a tree with a finding: both reports written, exit 1
    let d = Dir::new();
    plant(&d);
    let r = d.run(&[
        ".",
        "--no-progress",
        "--format",
        "gitlab:gl-secret-detection-report.json",
        "--format",
        "junit:leakscan-junit.xml",
        "--format",
        "text",
    ]);
    r.expect_code(1);
    assert!(d.path().join("gl-secret-detection-report.json").exists() && d.path().join("leakscan-junit.xml").exists());
    let r = d.run(&[".", "--no-progress", "--format", "github", "--format", "sarif:leakscan.sarif"]);
    r.expect_code(1);
    assert!(r.stdout().starts_with("::"), "{r}");
}

#[test]
fn gitleaks_json_positions_follow_gitleaks_arithmetic() {
    let d = Dir::new();
    let (a, b) = (aws_key_id(720), aws_key_id(721));
    // line 1: 1-based start, inclusive end; later lines: both one greater (FORMATS.md §2.1)
    d.write("k.env", format!("id={a}\naws_key:     {b}\npassword = \"Vq7#kPz2!mW9xL4r\"\n"));
    let r = run_format(&d, "gitleaks-json", &[]);
    r.expect_code(1);
    let v: Vec<Value> = serde_json::from_str(&r.stdout()).unwrap();
    let cols: Vec<(u64, u64, u64)> = v
        .iter()
        .map(|x| {
            (x["StartLine"].as_u64().unwrap(), x["StartColumn"].as_u64().unwrap(), x["EndColumn"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(cols, [(1, 4, 23), (2, 15, 34), (3, 2, 30)], "{r}");
    assert_eq!(v[2]["Match"], "password = \"…[redacted, 16 chars]\"", "the whole match, secret redacted: {r}");
    assert_eq!(v[1]["Fingerprint"], "k.env:aws-access-key-id:2");
    for key in
        ["Description", "SymlinkFile", "Commit", "Entropy", "Author", "Email", "Date", "Message", "Tags", "RuleID"]
    {
        assert!(v[0].get(key).is_some(), "{key}: {r}");
    }
}
