//! SARIF validated by its consumers: every log these tests produce goes through Microsoft's
//! SARIF Multitool (`validate` with the SARIF and GitHub rule kinds, no errors allowed) and the
//! SARIF 2.1.0 JSON schema the Multitool package ships. `.ci/run` installs both (npm into
//! `.ci/node_tools`, pip `jsonschema`); where they are missing the checks are skipped with a
//! loud message.

use crate::util::{aws_key_id, github_token, Dir, Run};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where `.ci/run` installs the Multitool (`LEAKSCAN_SARIF_MULTITOOL_DIR` overrides).
fn multitool_dir() -> PathBuf {
    std::env::var_os("LEAKSCAN_SARIF_MULTITOOL_DIR").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/node_tools/node_modules/@microsoft/sarif-multitool-linux")
    })
}

fn skip(what: &str) {
    eprintln!("\n!!!!!!!! SKIPPED: {what}");
    eprintln!("!!!!!!!! run .ci/run (it installs @microsoft/sarif-multitool-linux with npm and jsonschema with pip)\n");
}

/// Validates `file` with the Multitool and the JSON schema; panics on any error.
fn validate(file: &Path) {
    let dir = multitool_dir();
    let tool = dir.join("Sarif.Multitool");
    if !tool.exists() {
        return skip(&format!("SARIF Multitool not installed at {}", dir.display()));
    }
    let out_file = file.with_extension("validation.sarif");
    let out = Command::new(&tool)
        .arg("validate")
        .arg(file)
        // the SARIF spec's rules and GitHub Advanced Security's ingestion rules (GH*)
        .args(["--rule-kind", "Sarif;Gh"])
        .arg("--output")
        .arg(&out_file)
        .args(["--log", "ForceOverwrite"])
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        .output()
        .expect("run Sarif.Multitool");
    let console = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "Multitool failed on {}:\n{console}", file.display());
    let report: Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    let errors: Vec<&Value> = report["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|run| run["results"].as_array().into_iter().flatten())
        .filter(|r| r["level"] == "error")
        .collect();
    assert!(errors.is_empty() && !console.contains(": error "), "Multitool errors in {}:\n{console}", file.display());
    let schema = dir.join("sarif-2.1.0.json");
    let script = "import sys, json, jsonschema\ns = json.load(open(sys.argv[1]))\nd = json.load(open(sys.argv[2]))\n\
        errs = list(jsonschema.validators.validator_for(s)(s).iter_errors(d))\n\
        [print(e.json_path, e.message) for e in errs]\nsys.exit(1 if errs else 0)";
    let out = match Command::new("python3").arg("-c").arg(script).arg(&schema).arg(file).output() {
        Ok(out) => out,
        Err(e) => return skip(&format!("python3: {e}")),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("ModuleNotFoundError") {
        return skip(&format!("python jsonschema: {}", stderr.trim()));
    }
    assert!(
        out.status.success(),
        "schema errors in {}:\n{}{stderr}",
        file.display(),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Runs leakscan with `--format sarif:FILE`, validates the log and returns it.
fn sarif(d: &Dir, name: &str, args: &[&str]) -> (Value, Run) {
    let target = format!("sarif:{name}");
    let mut all = vec!["--no-config", "-f", target.as_str()];
    all.extend_from_slice(args);
    let r = d.run(&all);
    let file = d.path().join(name);
    let log: Value = serde_json::from_slice(&std::fs::read(&file).unwrap_or_else(|e| panic!("{e}: {r}")))
        .unwrap_or_else(|e| panic!("{e}: {r}"));
    validate(&file);
    (log, r)
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().unwrap()
}

#[test]
fn sarif_logs_validate_in_every_shape() {
    let d = Dir::new();
    let gh = github_token(801);
    d.write("app/config.env", format!("GITHUB_TOKEN={gh}\nAWS_ACCESS_KEY_ID={}\n", aws_key_id(802)));
    d.write("src/ünï code.py", format!("x = 1\n    s = \"é {}\"\n", github_token(803)));
    d.write("clean.txt", "nothing\n");
    let (log, r) = sarif(&d, "found.sarif", &["."]);
    r.expect_code(1);
    assert_eq!(log["version"], "2.1.0");
    let res = results(&log);
    assert_eq!(res.len(), 3, "{r}");
    let uris: Vec<&str> = res
        .iter()
        .map(|x| x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap())
        .collect();
    assert_eq!(uris, ["app/config.env", "app/config.env", "src/%C3%BCn%C3%AF%20code.py"]);
    let region = &res[2]["locations"][0]["physicalLocation"]["region"];
    // `    s = "é ` is 11 UTF-16 code units (12 bytes): the secret starts at column 12, not 13.
    assert_eq!((region["startLine"].as_u64(), region["startColumn"].as_u64()), (Some(2), Some(12)), "{log}");
    assert_eq!(region["endColumn"].as_u64(), Some(52));
    let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    for x in res {
        let rule = &rules[x["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], x["ruleId"]);
        assert!(rule["properties"]["security-severity"].as_str().unwrap().parse::<f64>().unwrap() > 0.0);
        assert!(rule["help"]["text"].as_str().unwrap().len() > 20);
        assert_eq!(x["level"], "error");
    }
    assert!(!log.to_string().contains(&gh[4..]));
    // with secrets shown, clean, from stdin, absolute paths, incomplete
    sarif(&d, "shown.sarif", &["--show-secrets", "."]);
    let (log, _) = sarif(&d, "clean.sarif", &["clean.txt"]);
    assert!(results(&log).is_empty());
    let abs = d.path().join("app").display().to_string();
    let (log, _) = sarif(&d, "abs.sarif", &[abs.as_str()]);
    assert_eq!(results(&log)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "app/config.env");
    let (log, r) = sarif(&d, "incomplete.sarif", &["clean.txt", "missing.txt"]);
    r.expect_code(3);
    let inv = &log["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    assert!(inv["toolExecutionNotifications"][0]["message"]["text"].as_str().unwrap().contains("incomplete"));
    let stdin_file = d.path().join("stdin.sarif");
    let mut c = d.cmd(&["--no-config", "-f", "sarif:stdin.sarif", "-"]);
    let mut child = c.stdin(std::process::Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(format!("t={gh}\n").as_bytes()).unwrap();
    child.wait().unwrap();
    validate(&stdin_file);
}

#[test]
fn sarif_fingerprints_survive_moved_lines_but_not_new_values() {
    let d = Dir::new();
    let (a, b) = (github_token(811), github_token(812));
    d.write("x.env", format!("A={a}\nB={b}\n"));
    let (first, _) = sarif(&d, "1.sarif", &["."]);
    d.write("x.env", format!("# moved\n\n  B={b}\n\n\nA={a}\n"));
    let (moved, _) = sarif(&d, "2.sarif", &["."]);
    let prints = |log: &Value| {
        let mut v: Vec<String> =
            results(log).iter().map(|x| x["partialFingerprints"]["leakscanValue/v1"].to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(prints(&first), prints(&moved));
    d.write("x.env", format!("A={}\nB={b}\n", github_token(813)));
    let (changed, _) = sarif(&d, "3.sarif", &["."]);
    assert_ne!(prints(&first), prints(&changed));
    for x in results(&first) {
        let keys: Vec<&String> = x["partialFingerprints"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["leakscanValue/v1"], "no author, e-mail or line in fingerprints");
    }
}

#[test]
fn sarif_truncates_past_5000_results_with_a_warning() {
    let d = Dir::new();
    let mut text = String::new();
    for i in 0..5_003u64 {
        text.push_str(&format!("k{i}={}\n", aws_key_id(100_000 + i)));
    }
    d.write("many.env", text);
    let (log, r) = sarif(&d, "many.sarif", &["."]);
    r.expect_code(1);
    assert_eq!(results(&log).len(), 5_000);
    assert!(r.stderr().contains("3 results past the first 5000 were left out"), "{r}");
    let notes = &log["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert!(notes[0]["message"]["text"].as_str().unwrap().contains("left out"));
}
