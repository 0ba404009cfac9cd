//! Scanning files, trees and stdin: what is read, what is skipped and said, exit codes.

use crate::util::{aws_key_id, github_token, Dir};
use std::time::{Duration, Instant};

fn rules_of(r: &crate::util::Run) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> =
        r.findings().iter().map(|f| (f["path"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap())).collect();
    v.sort();
    v
}

#[test]
fn clean_tree_exits_0() {
    let d = Dir::new();
    d.write("src/main.rs", "fn main() { println!(\"hello\"); }\n");
    d.write("README.md", "# nothing to see\n");
    let r = d.run(&["."]);
    r.expect_code(0);
    assert!(r.stderr().contains("scanned 2 inputs"), "{r}");
}

#[test]
fn finding_exits_1_with_path_line_column() {
    let d = Dir::new();
    let tok = github_token(1);
    d.write("app/config.py", format!("import os\n\nTOKEN = \"{tok}\"\n"));
    let r = d.run(&["app", "--format", "jsonl"]);
    r.expect_code(1);
    let f = r.findings();
    assert_eq!(f.len(), 1, "{r}");
    assert_eq!(f[0]["path"], "app/config.py");
    assert_eq!((f[0]["line"].as_u64(), f[0]["column"].as_u64()), (Some(3), Some(10)));
    assert!(f[0]["rule"].as_str().unwrap().starts_with("github"), "{r}");
    // the scan subcommand is the same thing
    let r2 = d.run(&["scan", "app", "--format", "jsonl"]);
    r2.expect_code(1);
    assert_eq!(r2.findings().len(), 1);
}

#[test]
fn bad_flag_and_bad_config_exit_2() {
    let d = Dir::new();
    let r = d.run(&["--no-such-flag"]);
    r.expect_code(2);
    d.write("bad.toml", "[allowlist]\npathz = 1\n");
    let r = d.run(&["--config", "bad.toml", "."]);
    r.expect_code(2);
    assert!(r.stderr().contains("bad.toml") && r.stderr().contains("pathz"), "{r}");
}

#[test]
fn missing_path_exits_3_and_the_rest_is_scanned() {
    let d = Dir::new();
    d.write("ok.txt", "nothing\n");
    let r = d.run(&["ok.txt", "missing.txt", "--format", "jsonl"]);
    r.expect_code(3);
    let s = r.summary();
    assert_eq!(s["complete"], false);
    assert_eq!(s["files_scanned"], 1);
    assert!(r.stderr().contains("missing.txt") && r.stderr().contains("INCOMPLETE"), "{r}");
    // with a finding elsewhere, 1 wins but the summary still says incomplete
    d.write("leak.txt", format!("k={}\n", aws_key_id(3)));
    let r = d.run(&["leak.txt", "missing.txt", "--format", "jsonl"]);
    r.expect_code(1);
    assert_eq!(r.summary()["complete"], false);
}

#[test]
fn hidden_and_gitignored_files_are_scanned_unless_gitignore() {
    let d = Dir::new();
    d.write(".gitignore", ".env\nsecrets/\n");
    d.write(".env", format!("GITHUB_TOKEN={}\n", github_token(2)));
    d.write("secrets/aws.txt", format!("aws_access_key_id = {}\n", aws_key_id(2)));
    d.write(".git/config", format!("[remote \"origin\"]\n  url = https://x:{}@github.com/o/r\n", github_token(3)));
    d.write(".git/objects/ab/cdef", format!("{}\n", github_token(4)));
    d.write("src/lib.rs", "// clean\n");
    let r = d.run(&["--format", "jsonl", "."]);
    r.expect_code(1);
    let paths: Vec<String> = rules_of(&r).into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths, ["./.env", "./.git/config", "./secrets/aws.txt"], "{r}");
    let skipped = r.summary()["skipped"].to_string();
    assert!(skipped.contains("git object store"), "{r}");

    let r = d.run(&["--format", "jsonl", "--gitignore", "."]);
    r.expect_code(1);
    let paths: Vec<String> = rules_of(&r).into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths, ["./.git/config"], "{r}");
}

#[test]
fn exclude_skips_matching_walked_paths_and_counts_them() {
    let d = Dir::new();
    for (i, rel) in ["node_modules/pkg/index.js", "web/app.min.js", "build/out.js", "src/build/gen.js", "src/app.js"]
        .iter()
        .enumerate()
    {
        d.write(rel, format!("token = \"{}\"\n", github_token(300 + i as u64)));
    }
    let args =
        ["--format", "jsonl", ".", "--exclude", "node_modules/", "--exclude", "*.min.js", "--exclude", "/build/"];
    let r = d.run(&args);
    r.expect_code(1);
    let paths: Vec<String> = rules_of(&r).into_iter().map(|(p, _)| p).collect();
    // `/build/` is anchored at the current directory; `src/build/` is not under it.
    assert_eq!(paths, ["./src/app.js", "./src/build/gen.js"], "{r}");
    let skipped = &r.summary()["skipped"];
    assert_eq!(skipped["excluded directory (--exclude)"], 2, "{r}");
    assert_eq!(skipped["excluded path (--exclude)"], 1, "{r}");
    // A path named on the command line is scanned even when a glob matches it.
    let r = d.run(&["--format", "jsonl", "web/app.min.js", "--exclude", "*.min.js"]);
    r.expect_code(1);
    assert_eq!(r.findings().len(), 1, "{r}");
}

#[test]
fn enable_and_disable_rule_choose_the_rules_that_run() {
    let d = Dir::new();
    d.write("app.env", format!("GITHUB_TOKEN={}\nAWS_ACCESS_KEY_ID={}\n", github_token(310), aws_key_id(310)));
    let rules = |args: &[&str]| {
        let r = d.run(&[&["--format", "jsonl", "app.env"], args].concat());
        let mut ids: Vec<String> = r.findings().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect();
        ids.sort();
        (r, ids)
    };
    let (r, all) = rules(&[]);
    assert_eq!(all.len(), 2, "{r}");
    let (r, only_aws) = rules(&["--enable-rule", "aws-*"]);
    assert!(only_aws.len() == 1 && only_aws[0].starts_with("aws-"), "{r}");
    // (with the AWS rule off, the generic assignment rule would report the key at low confidence)
    let (r, no_aws) = rules(&["--disable-rule", "aws-access-key-id,generic-*"]);
    assert!(no_aws.len() == 1 && no_aws[0].starts_with("github-"), "{r}");
    // A pattern naming no rule is a usage error, not a scan with a rule silently on or off.
    let r = d.run(&["app.env", "--disable-rule", "aws-acess-key-id"]);
    r.expect_code(2);
    assert!(r.stderr().contains("aws-acess-key-id") && r.stderr().contains("rules list"), "{r}");
}

#[test]
fn config_inside_a_target_does_not_switch_scanning_off() {
    let d = Dir::new();
    d.write("target/.leakscan.toml", "[allowlist]\npaths = [\"**\"]\n");
    d.write("target/.gitleaks.toml", "[allowlist]\npaths = ['''.*''']\n");
    d.write("target/.ignore", "*\n");
    d.write("target/app.env", format!("T={}\n", github_token(5)));
    let r = d.run(&["--format", "jsonl", "target"]);
    r.expect_code(1);
    assert_eq!(r.findings().len(), 1, "{r}");
}

#[test]
fn project_config_allowlists_paths_and_counts_them() {
    let d = Dir::new();
    d.write(".git/HEAD", "ref: refs/heads/main\n");
    d.write(".leakscan.toml", "[allowlist]\npaths = [\"fixtures/\"]\n");
    d.write("fixtures/sample.txt", format!("{}\n", github_token(6)));
    d.write("src/app.txt", format!("{}\n", github_token(7)));
    // discovered from a subdirectory, up to the repository top
    let mut c = d.cmd(&["--format", "jsonl", ".."]);
    c.current_dir(d.path().join("src"));
    let out = c.output().unwrap();
    let r = crate::util::Run { cmd: "leakscan .. (in src/)".into(), out };
    r.expect_code(1);
    let paths: Vec<String> = rules_of(&r).into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths, ["../src/app.txt"], "{r}");
    assert_eq!(r.summary()["skipped"]["allowlisted directory (config)"], 1, "{r}");
    // --no-config scans everything
    let r = d.run(&["--format", "jsonl", "--no-config", "."]);
    assert_eq!(r.findings().len(), 2, "{r}");
}

#[test]
fn stdin_pipe_and_dash() {
    let d = Dir::new();
    let input = format!("line one\nexport AWS_ACCESS_KEY_ID={}\n", aws_key_id(8));
    for args in [vec!["--format", "jsonl"], vec!["-", "--format", "jsonl"]] {
        let r = d.run_stdin(&args, input.as_bytes());
        r.expect_code(1);
        let f = r.findings();
        assert_eq!(f.len(), 1, "{r}");
        assert_eq!(f[0]["path"], "<stdin>");
        assert_eq!(f[0]["line"], 2);
    }
    // no path and a null stdin: the current directory is scanned, not an empty stdin
    d.write("a.txt", "clean\n");
    let r = d.run(&["--format", "jsonl"]);
    r.expect_code(0);
    assert_eq!(r.summary()["files_scanned"], 1, "{r}");
}

#[cfg(unix)]
#[test]
fn timeout_stops_a_scan_blocked_on_an_input_and_reports_it_incomplete() {
    let d = Dir::new();
    d.write("leak.txt", format!("{}\n", github_token(11)));
    // A FIFO named on the command line is read (blocking): with no writer it never ends.
    let fifo = d.path().join("pipe");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let started = Instant::now();
    let r = d.run(&["--format", "jsonl", "--timeout", "1s", "leak.txt", "pipe"]);
    assert!(started.elapsed() < Duration::from_secs(15), "{r}");
    r.expect_code(1);
    assert_eq!(r.findings().len(), 1, "what was found before the timeout is reported: {r}");
    let s = r.summary();
    assert_eq!((s["complete"].as_bool(), s["incomplete_reasons"]["timed out"].as_u64()), (Some(false), Some(1)), "{r}");
    // Without a finding the exit code says incomplete; a bad duration is a usage error.
    d.run(&["--timeout", "500ms", "pipe"]).expect_code(3);
    d.run(&["--timeout", "5x", "leak.txt"]).expect_code(2);
}

#[cfg(unix)]
#[test]
fn fifo_socket_and_symlink_loop_do_not_hang() {
    let d = Dir::new();
    d.write("tree/a.txt", format!("{}\n", github_token(9)));
    std::fs::create_dir_all(d.path().join("tree/sub")).unwrap();
    std::os::unix::fs::symlink("..", d.path().join("tree/sub/loop")).unwrap();
    std::os::unix::fs::symlink("a.txt", d.path().join("tree/link.txt")).unwrap();
    let fifo = d.path().join("tree/pipe");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let _sock = std::os::unix::net::UnixListener::bind(d.path().join("tree/sock")).unwrap();
    for follow in [false, true] {
        let mut args = vec!["--format", "jsonl", "tree"];
        if follow {
            args.push("--follow");
        }
        let started = Instant::now();
        let r = d.run(&args);
        assert!(started.elapsed() < Duration::from_secs(20), "{r}");
        r.expect_code(1);
        let skipped = &r.summary()["skipped"];
        assert_eq!(skipped["special file (fifo, socket or device)"], 2, "{r}");
        if follow {
            assert_eq!(skipped["symlink loop"], 1, "{r}");
            assert_eq!(r.findings().len(), 2, "a.txt and the followed link.txt: {r}");
        } else {
            assert_eq!(skipped["symlink (not followed; use --follow)"], 2, "{r}");
            assert_eq!(r.findings().len(), 1, "{r}");
        }
    }
}

/// Runs `leakscan` as an unprivileged user when the tests run as root (root reads mode-000
/// files), so the file is really unreadable.
#[cfg(unix)]
#[test]
fn unreadable_file_exits_3_and_the_rest_is_scanned() {
    use std::os::unix::fs::PermissionsExt;
    let d = Dir::new();
    d.write("tree/ok.txt", "clean\n");
    let locked = d.write("tree/locked.txt", format!("{}\n", github_token(10)));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    for p in [d.path().to_path_buf(), d.path().join("tree"), d.path().join("tree/ok.txt")] {
        let mode = if p.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let is_root =
        std::process::Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    let r = if is_root {
        let bin = env!("CARGO_BIN_EXE_leakscan");
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin, "--format", "jsonl", "tree"])
            .current_dir(d.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        crate::util::Run { cmd: "setpriv … leakscan tree".into(), out: c.output().unwrap() }
    } else {
        d.run(&["--format", "jsonl", "tree"])
    };
    r.expect_code(3);
    assert_eq!(r.summary()["files_scanned"], 1, "{r}");
    assert_eq!(r.summary()["incomplete_reasons"]["unreadable file"], 1, "{r}");
    assert!(r.stderr().contains("locked.txt"), "{r}");
}

#[test]
fn escapes_in_file_names_and_content_never_reach_the_terminal() {
    let d = Dir::new();
    let name = "evil\x1b]0;pwned\x07\x1b[2J.txt";
    d.write(name, format!("\x1b[31m {}\x1b[0m \u{202e}x\n::error::forged\n", github_token(11)));
    for format in ["text", "jsonl", "json"] {
        let r = d.run(&["--format", format, "--color", "never", "."]);
        r.expect_code(1);
        for (what, bytes) in [("stdout", &r.out.stdout), ("stderr", &r.out.stderr)] {
            assert!(!bytes.contains(&0x1b) && !bytes.contains(&0x07), "{format} {what} holds a control byte: {r}");
            assert!(!String::from_utf8_lossy(bytes).contains('\u{202e}'), "{format} {what}: {r}");
        }
        // JSON escapes the escape's backslash once more (`\\x1b`): compare the unescaped text.
        assert!(r.stdout().replace("\\\\", "\\").contains("evil\\x1b]0;pwned\\x07"), "{r}");
    }
}

#[test]
fn inline_markers_suppress_and_are_counted() {
    let d = Dir::new();
    d.write(
        "a.py",
        format!(
            "t1 = '{}'  # leakscan:allow\nt2 = '{}'  # gitleaks:allow\n# pragma: allowlist nextline secret\nt3 = '{}'\nt4 = '{}'\n",
            github_token(12),
            github_token(13),
            github_token(14),
            github_token(15)
        ),
    );
    let r = d.run(&["--format", "jsonl", "a.py"]);
    r.expect_code(1);
    assert_eq!(rules_of(&r), [("a.py".to_string(), 5)], "{r}");
    assert_eq!(r.summary()["suppressed"]["inline allow marker"], 3, "{r}");
}

#[test]
fn max_file_size_skips_walked_files_only() {
    let d = Dir::new();
    d.write("big/blob.txt", format!("{}\n{}", github_token(16), "x".repeat(4096)));
    let r = d.run(&["--format", "jsonl", "--max-file-size", "1K", "big"]);
    r.expect_code(0);
    assert_eq!(r.summary()["skipped"]["larger than --max-file-size"], 1, "{r}");
    let r = d.run(&["--format", "jsonl", "--max-file-size", "1K", "big/blob.txt"]);
    r.expect_code(1);
}

#[test]
fn binary_files_are_scanned_with_distinctive_rules_only() {
    let d = Dir::new();
    let mut data = vec![0u8, 1, 2, 0, 0xff];
    data.extend_from_slice(github_token(17).as_bytes());
    data.extend_from_slice(b"\0password = \"Xq7vLp2mZr9tKw4s\"\0");
    d.write("data.sqlite", &data);
    let r = d.run(&["--format", "jsonl", "data.sqlite"]);
    r.expect_code(1);
    let f = r.findings();
    assert_eq!(f.len(), 1, "{r}");
    assert!(f[0]["rule"].as_str().unwrap().starts_with("github"), "{r}");
    // the same bytes as text: the generic rule applies too
    let text = String::from_utf8_lossy(&data[5..]).replace('\0', "\n");
    d.write("data.txt", text);
    let r = d.run(&["--format", "jsonl", "data.txt"]);
    assert_eq!(r.findings().len(), 2, "{r}");
}

/// Findings stream out as found; SIGTERM (or SIGINT) while a source is still open prints the
/// summary, says the scan is incomplete, and keeps the findings already written.
#[cfg(unix)]
#[test]
fn signal_flushes_findings_and_summary() {
    use std::io::{BufRead, Write};
    use std::process::Stdio;
    let d = Dir::new();
    for signal in ["TERM", "INT"] {
        let mut c = d.cmd(&["-", "--format", "jsonl"]);
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        // 4 MiB + so the first chunk is complete and scanned while stdin stays open
        let mut data = format!("GITHUB_TOKEN={}\n", github_token(40)).into_bytes();
        data.resize(5 << 20, b'.');
        stdin.write_all(&data).unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        assert!(first.contains("\"type\":\"finding\""), "{first}");
        let killed =
            std::process::Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap();
        assert!(killed.success());
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            assert!(started.elapsed() < Duration::from_secs(10), "leakscan did not exit after SIG{signal}");
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(1), "SIG{signal}: {rest}");
        let summary: serde_json::Value = serde_json::from_str(rest.lines().last().unwrap()).unwrap();
        assert_eq!(summary["type"], "summary");
        assert_eq!(summary["complete"], false);
        assert_eq!(summary["incomplete_reasons"]["interrupted"], 1);
        drop(stdin);
    }
}
