//! Logs: `leakscan redact` (byte-exact, line-buffered, in place), known secrets
//! (`--known-env`, `--known-file`, encodings) and `leakscan watch`.

use crate::util::{aws_key_id, github_token, Dir};
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Duration;

/// Replaces every `[REDACTED:<id>]` in `out` with `@@`, returning the text and the count.
fn unmark(out: &[u8]) -> (Vec<u8>, usize) {
    let (mut text, mut n, mut rest) = (Vec::new(), 0, out);
    while let Some(at) = memchr::memmem::find(rest, b"[REDACTED:") {
        let close = memchr::memchr(b']', &rest[at..]).expect("marker closes") + at;
        text.extend_from_slice(&rest[..at]);
        text.extend_from_slice(b"@@");
        rest = &rest[close + 1..];
        n += 1;
    }
    text.extend_from_slice(rest);
    (text, n)
}

/// An input with planted secrets, and the same input with each secret replaced by `@@`.
fn planted_log(secrets: &[String]) -> (Vec<u8>, Vec<u8>) {
    let (mut input, mut expect) = (Vec::new(), Vec::new());
    for (i, s) in secrets.iter().enumerate() {
        let head = format!("2026-11-27T10:00:{i:02}Z INFO req={i} \u{e9} token=").into_bytes();
        input.extend_from_slice(&head);
        input.extend_from_slice(b"\xff\xfe ");
        input.extend_from_slice(s.as_bytes());
        input.extend_from_slice(b" done\r\n");
        expect.extend_from_slice(&head);
        expect.extend_from_slice(b"\xff\xfe @@ done\r\n");
    }
    (input, expect)
}

#[test]
fn redact_is_byte_exact_with_invalid_utf8_and_a_5mb_line() {
    let d = Dir::new();
    let secrets: Vec<String> = (0..10).map(|i| if i % 2 == 0 { github_token(i) } else { aws_key_id(i) }).collect();
    let (mut input, mut expect) = planted_log(&secrets);
    // A 5 MB line without a newline until its end, secrets scattered through it.
    let filler = b"a1b2c3d4 e5f6 \xc3\x28 ".repeat(20_000);
    for i in 0..20 {
        input.extend_from_slice(&filler);
        expect.extend_from_slice(&filler);
        let s = github_token(100 + i);
        input.extend_from_slice(format!(" {s} ").as_bytes());
        expect.extend_from_slice(b" @@ ");
    }
    input.extend_from_slice(b"\nlast line without newline");
    expect.extend_from_slice(b"\nlast line without newline");
    assert!(input.len() > 5_000_000);
    let r = d.run_stdin(&["redact"], &input);
    r.expect_code(0);
    let (text, n) = unmark(&r.out.stdout);
    assert_eq!(n, 30, "{}", r.stderr());
    assert!(text == expect, "redacted output differs from the input beyond the secrets");
    for s in &secrets {
        assert!(memchr::memmem::find(&r.out.stdout, s.as_bytes()).is_none());
    }
}

#[test]
fn redact_is_line_buffered() {
    let d = Dir::new();
    let mut child = d
        .cmd(&["redact"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn leakscan redact");
    let mut stdin = child.stdin.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    for i in 0..3 {
        let tok = github_token(200 + i);
        writeln!(stdin, "line {i} auth={tok} end").unwrap();
        stdin.flush().unwrap();
        let got = rx.recv_timeout(Duration::from_secs(10)).expect("a redacted line before stdin closes");
        assert!(got.starts_with(&format!("line {i} auth=[REDACTED:")) && got.ends_with("] end"), "{got}");
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn redact_in_place_is_atomic_and_keeps_permissions() {
    let d = Dir::new();
    let secrets: Vec<String> = (0..4).map(|i| github_token(300 + i)).collect();
    let (input, expect) = planted_log(&secrets);
    let path = d.write("logs/app.log", &input);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let r = d.run(&["redact", "--in-place", "logs/app.log"]);
    r.expect_code(0);
    let (text, n) = unmark(&std::fs::read(&path).unwrap());
    assert_eq!((n, text == expect), (4, true), "{r}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
    }
    let names: Vec<_> = std::fs::read_dir(d.path().join("logs")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "temporary file left behind: {names:?}");
    // A missing file is an error and nothing else is touched.
    let r = d.run(&["redact", "--in-place", "logs/missing.log"]);
    r.expect_code(3);
}

/// Standard base64 (padded), written independently of the crate's encoder.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for g in bytes.chunks(3) {
        let b = [g[0], *g.get(1).unwrap_or(&0), *g.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            out.push(if i <= g.len() { A[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

const KNOWN: &str = "kx9-Q2p!z7Lw@v4R/tY";

/// The known value planted in each encoding, one file each.
fn plant_encodings(d: &Dir) -> Vec<&'static str> {
    let v = KNOWN.as_bytes();
    for (i, prefix) in ["", "a", "ab"].iter().enumerate() {
        let blob = base64(format!("{prefix}{KNOWN}!tail").as_bytes());
        d.write(&format!("enc/base64-{i}.log"), format!("payload={blob}\n"));
    }
    d.write("enc/hex.log", format!("dump {}\n", v.iter().map(|b| format!("{b:02x}")).collect::<String>()));
    let pct: String = v
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    d.write("enc/percent.log", format!("GET /cb?token={pct}&x=1\n"));
    let utf16: Vec<u8> = KNOWN.encode_utf16().flat_map(u16::to_le_bytes).collect();
    d.write("enc/utf16.bin", [&b"\xff\xfe"[..], &utf16, &[0, 0]].concat());
    vec!["base64-0.log", "base64-1.log", "base64-2.log", "hex.log", "percent.log", "utf16.bin"]
}

#[test]
fn known_env_values_are_found_in_every_encoding_and_never_shown() {
    let d = Dir::new();
    let files = plant_encodings(&d);
    d.write("enc/clean.log", "nothing here kx9-Q2p\n");
    let mut c = d.cmd(&["scan", "enc", "--known-env", "*_TOKEN,*SECRET*", "--format", "jsonl"]);
    c.env("MY_API_TOKEN", KNOWN).env("SHORT_TOKEN", "abc").stdin(Stdio::null());
    let out = c.output().unwrap();
    let r = crate::util::Run { cmd: "leakscan scan enc --known-env ...".into(), out };
    r.expect_code(1);
    let found = r.findings();
    for f in &files {
        let hits: Vec<_> =
            found.iter().filter(|x| x["path"].as_str().unwrap().ends_with(f) && x["rule"] == "known-secret").collect();
        assert_eq!(hits.len(), 1, "{f}: {r}");
        assert!(hits[0]["rule_name"].as_str().unwrap().starts_with("env:MY_API_TOKEN ("), "{r}");
    }
    let all = format!("{}{}", r.stdout(), r.stderr());
    for leak in [KNOWN, "kx9-Q2p!", "z7Lw@v4R"] {
        assert!(!all.contains(leak), "value leaked: {r}");
    }
}

#[test]
fn known_file_values_are_redacted_and_named_by_line() {
    let d = Dir::new();
    d.write("known.txt", format!("tiny1\n\n{KNOWN}\n"));
    let input = format!("a {KNOWN} b\nc {} d\n", base64(format!("x{KNOWN}").as_bytes()));
    let r = d.run_stdin(&["redact", "--known-file", "known.txt"], input.as_bytes());
    r.expect_code(0);
    let (text, n) = unmark(&r.out.stdout);
    assert_eq!(n, 2, "{r}");
    assert!(text.starts_with(b"a @@ b\nc "), "{r}");
    assert!(!r.stdout().contains("kx9") && !r.stderr().contains("tiny1"), "{r}");
    assert!(r.stderr().contains("known.txt:1"), "the short line is named by number: {r}");
    let r = d.run_stdin(&["scan", "--known-file", "known.txt", "--format", "jsonl", "-"], input.as_bytes());
    r.expect_code(1);
    assert!(r.findings().iter().any(|f| f["rule_name"].as_str().unwrap().starts_with("file:known.txt:3 (")), "{r}");
    assert!(!r.stdout().contains("kx9"), "{r}");
}

/// A running `leakscan watch` with its findings timestamped as they arrive.
struct Watcher {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<(std::time::Instant, serde_json::Value)>,
}

impl Watcher {
    fn start(d: &Dir, args: &[&str]) -> Watcher {
        Watcher::of(
            d.cmd(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn"),
        )
    }

    /// Starts a watch of a log whose first line (`id=0 …`) holds a secret, and waits for that
    /// finding: start-up (spawn, rule compilation) is not timed, the finding says the watch is on.
    fn started(d: &Dir, args: &[&str]) -> Watcher {
        let w = Watcher::start(d, args);
        let (_, f) = w.lines.recv_timeout(Duration::from_secs(30)).expect("the pre-existing secret (--from-start)");
        assert!(f["context"].as_str().unwrap_or_default().contains("id=0 "), "{f}");
        w
    }

    /// Reads the JSON lines of a running child's stdout as they come.
    fn of(mut child: std::process::Child) -> Watcher {
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let value = serde_json::from_str(&line.unwrap()).expect("JSON line");
                if tx.send((std::time::Instant::now(), value)).is_err() {
                    return;
                }
            }
        });
        Watcher { child, lines }
    }

    /// The next finding; panics after 5 s.
    fn next(&self, what: &str) -> (std::time::Instant, serde_json::Value) {
        self.lines.recv_timeout(Duration::from_secs(5)).unwrap_or_else(|_| panic!("no finding for {what}"))
    }
}

fn append(path: &std::path::Path, text: &str) -> std::time::Instant {
    let mut f = std::fs::OpenOptions::new().append(true).create(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    std::time::Instant::now()
}

/// Expects exactly one finding, whose context names `id=N`, within 1 s of `written`.
fn expect_one(w: &Watcher, n: u32, written: std::time::Instant) {
    let (at, f) = w.next(&format!("id={n}"));
    let context = f["context"].as_str().unwrap_or_default();
    assert!(context.contains(&format!("id={n} ")), "expected id={n}, got {f}");
    let late = at.duration_since(written);
    assert!(late < Duration::from_secs(1), "id={n} reported {late:?} after it was written");
}

#[test]
fn watch_follows_appends_rotation_truncation_and_new_files() {
    let d = Dir::new();
    let log = d.write("logs/app.log", format!("boot id=0 token={}\n", github_token(400)));
    // A directory: new files are picked up, and the rotated `app.log.1` is continued, not re-read.
    let w = Watcher::started(&d, &["watch", "logs", "--from-start", "--format", "jsonl"]);
    // Appends, one of them split across two writes.
    let t = append(&log, &format!("INFO id=1 token={}\n", github_token(401)));
    expect_one(&w, 1, t);
    append(&log, "INFO id=2 token=");
    std::thread::sleep(Duration::from_millis(300));
    let t = append(&log, &format!("{} end\n", github_token(402)));
    expect_one(&w, 2, t);
    // A PEM block written over three writes: one finding, when its END arrives.
    let body: Vec<String> = (0..6).map(|i| crate::util::Rng::new(500 + i).pick(crate::util::BASE62, 64)).collect();
    append(&log, &format!("id=3 -----BEGIN PRIVATE KEY-----\n{}\n", body[..3].join("\n")));
    std::thread::sleep(Duration::from_millis(300));
    append(&log, &format!("{}\n", body[3..].join("\n")));
    std::thread::sleep(Duration::from_millis(300));
    let t = append(&log, "-----END PRIVATE KEY-----\n");
    let (at, f) = w.next("the PEM block");
    assert!(f["rule"].as_str().unwrap().starts_with("private-key"), "{f}");
    assert!(at.duration_since(t) < Duration::from_secs(1));
    // Rename-rotation: the old file gets a last line after the rename, then a new file appears.
    std::fs::rename(&log, d.path().join("logs/app.log.1")).unwrap();
    let t = append(&d.path().join("logs/app.log.1"), &format!("late id=4 token={}\n", aws_key_id(404)));
    expect_one(&w, 4, t);
    let t = append(&log, &format!("new id=5 token={}\n", github_token(405)));
    expect_one(&w, 5, t);
    // Copytruncate: copied away, emptied in place, written again from 0.
    std::fs::copy(&log, d.path().join("app.log.2")).unwrap();
    std::fs::OpenOptions::new().write(true).truncate(true).open(&log).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let t = append(&log, &format!("id=6 k={}\n", aws_key_id(406)));
    expect_one(&w, 6, t);
    // A new file in the directory.
    let t = append(&d.path().join("logs/other.log"), &format!("x id=7 token={}\n", github_token(407)));
    expect_one(&w, 7, t);
    // Nothing else was reported; SIGTERM ends the watch with a summary.
    std::thread::sleep(Duration::from_millis(500));
    assert!(w.lines.try_recv().is_err(), "a finding was reported twice");
    let pid = w.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let (_, summary) = w.next("the summary");
    assert_eq!((summary["type"].as_str(), summary["findings"].as_u64()), (Some("summary"), Some(8)), "{summary}");
    let out = w.child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("8 findings") && !stderr.contains("INCOMPLETE"), "{stderr}");
}

#[test]
fn watch_exec_gets_each_finding_redacted_and_sigint_ends_it() {
    let d = Dir::new();
    let log = d.write("app.log", format!("id=0 token={}\n", github_token(600)));
    let w = Watcher::start(&d, &["watch", "app.log", "--from-start", "--format", "jsonl", "--exec", "cat >> exec.out"]);
    let (_, f) = w.lines.recv_timeout(Duration::from_secs(30)).expect("the pre-existing secret");
    assert_eq!(f["type"], "finding");
    let tok = github_token(601);
    let t = append(&log, &format!("id=1 token={tok}\n"));
    expect_one(&w, 1, t);
    let out = d.path().join("exec.out");
    let mut text = String::new();
    for _ in 0..50 {
        text = std::fs::read_to_string(&out).unwrap_or_default();
        if text.lines().count() == 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let records: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 2, "{text}");
    assert!(records.iter().all(|r| r["redacted"] == true && r["type"] == "finding"), "{text}");
    assert!(!text.contains(&tok) && !text.contains(&github_token(600)), "{text}");
    let pid = w.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let out = w.child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 findings"));
}

#[test]
fn watch_scans_a_last_line_without_its_newline_when_it_ends() {
    let d = Dir::new();
    let log = d.write("app.log", format!("boot id=0 token={}\n", github_token(699)));
    let w = Watcher::started(&d, &["watch", "app.log", "--from-start", "--format", "jsonl"]);
    append(&log, &format!("crashed mid-line id=1 token={}", github_token(700)));
    std::thread::sleep(Duration::from_millis(500));
    assert!(w.lines.try_recv().is_err(), "a partial line waits for its newline while the watch runs");
    let pid = w.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let (_, f) = w.next("the unterminated last line");
    assert!(f["context"].as_str().unwrap_or_default().contains("id=1 "), "{f}");
    let (_, summary) = w.next("the summary");
    assert_eq!(summary["findings"].as_u64(), Some(2), "{summary}");
    assert_eq!(w.child.wait_with_output().unwrap().status.code(), Some(1));
}

#[test]
fn a_pipe_is_scanned_line_by_line_while_its_writer_runs() {
    // `tail -f app.log | leakscan`: each secret is reported when its line is written, with the
    // pipe still open, not when the stream ends.
    let d = Dir::new();
    let mut child = d
        .cmd(&["--format", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let w = Watcher::of(child);
    let next = |what: &str| w.lines.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| panic!("{what}")).1;
    for n in 1..=2u64 {
        writeln!(stdin, "INFO request ok\nWARN id={n} auth token={}", github_token(800 + n)).unwrap();
        stdin.flush().unwrap();
        let f = next(&format!("no finding for id={n} while the pipe is open"));
        assert_eq!((f["line"].as_u64(), f["column"].as_u64()), (Some(2 * n), Some(22)), "{f}");
    }
    // The last line has no newline: it is scanned at the end of the stream.
    write!(stdin, "last id=3 token={}", github_token(803)).unwrap();
    drop(stdin);
    let f = next("the unterminated last line");
    assert_eq!(f["line"].as_u64(), Some(5), "{f}");
    let summary = next("the summary");
    assert_eq!((summary["type"].as_str(), summary["findings"].as_u64()), (Some("summary"), Some(3)), "{summary}");
    assert_eq!(w.child.wait_with_output().unwrap().status.code(), Some(1));
}
