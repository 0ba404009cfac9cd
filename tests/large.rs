//! Large inputs: bounded overlapping chunks (a secret straddling a chunk boundary is found
//! exactly once), a 2 GB single-line file in bounded memory.

use crate::util::{github_token, Dir, Run};
use std::io::{Seek, SeekFrom, Write};
use std::time::Duration;

const CHUNK: u64 = 1 << 20; // leakscan's default owned chunk size
const OVERLAP: u64 = 64 << 10;

#[test]
fn secrets_straddling_chunk_boundaries_are_found_exactly_once() {
    let d = Dir::new();
    let tok = github_token(30);
    let len = tok.len() as u64;
    // Offsets around the first and second boundaries, and around the overlap's end.
    let offsets =
        [CHUNK - len - 1, CHUNK - len, CHUNK - 20, CHUNK - 1, CHUNK, CHUNK + 1, CHUNK + OVERLAP - 10, 2 * CHUNK - 7];
    for (i, &at) in offsets.iter().enumerate() {
        // Filler lines of 63 bytes + '\n'; the secret replaces bytes at `at` (one line holds it).
        let mut data: Vec<u8> =
            (0..(2 * CHUNK + OVERLAP * 2)).map(|i| if i % 64 == 63 { b'\n' } else { b'.' }).collect();
        let start = at as usize;
        for (k, b) in tok.bytes().enumerate() {
            data[start + k] = b;
        }
        // newlines inside the token region were overwritten: recompute line and column
        let line = 1 + data[..start].iter().filter(|&&b| b == b'\n').count() as u64;
        let col = start as u64 - data[..start].iter().rposition(|&b| b == b'\n').map_or(0, |p| p as u64 + 1) + 1;
        d.write(&format!("f{i}.txt"), &data);
        let r = d.run(&["--format", "jsonl", &format!("f{i}.txt")]);
        r.expect_code(1);
        let f = r.findings();
        assert_eq!(f.len(), 1, "offset {at}: {r}");
        assert_eq!((f[0]["line"].as_u64().unwrap(), f[0]["column"].as_u64().unwrap()), (line, col), "offset {at}");
        assert_eq!(f[0]["offset"].as_u64().unwrap(), at);
    }
}

/// Peak resident memory of a child, polled from /proc (VmHWM) while it runs.
fn run_measuring_rss(d: &Dir, args: &[&str]) -> (Run, u64) {
    let mut c = d.cmd(args);
    c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).stdin(std::process::Stdio::null());
    let mut child = c.spawn().unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut v).unwrap();
        v
    });
    while child.try_wait().unwrap().is_none() {
        if let Ok(s) = std::fs::read_to_string(&status_path) {
            if let Some(l) = s.lines().find(|l| l.starts_with("VmHWM:")) {
                let kb: u64 = l.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
                peak_kb = peak_kb.max(kb);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out_stdout = reader.join().unwrap();
    let mut out = child.wait_with_output().unwrap();
    out.stdout = out_stdout;
    (Run { cmd: format!("leakscan {}", args.join(" ")), out }, peak_kb * 1024)
}

#[cfg(target_os = "linux")]
#[test]
fn two_gigabyte_single_line_file_in_bounded_memory() {
    let d = Dir::new();
    let tok = github_token(31);
    let path = d.path().join("huge.bin");
    let size: u64 = 2 << 30;
    let mut f = std::fs::File::create(&path).unwrap();
    // Sparse: 2 GiB of NUL bytes (no newline: one line), then the secret at the very end.
    f.seek(SeekFrom::Start(size - tok.len() as u64 - 1)).unwrap();
    f.write_all(format!("{tok}\0").as_bytes()).unwrap();
    drop(f);
    let (r, rss) = run_measuring_rss(&d, &["--format", "jsonl", "huge.bin"]);
    r.expect_code(1);
    let f = r.findings();
    assert_eq!(f.len(), 1, "{r}");
    assert_eq!(f[0]["line"], 1);
    assert_eq!(f[0]["offset"].as_u64().unwrap(), size - tok.len() as u64 - 1);
    assert_eq!(r.summary()["bytes_scanned"].as_u64().unwrap(), size);
    assert!(rss > 0 && rss < 200 << 20, "peak RSS {} MB", rss >> 20);
}

#[test]
fn long_text_line_with_secret_at_its_end() {
    let d = Dir::new();
    let tok = github_token(32);
    let mut data = "lorem ipsum dolor ".repeat(4 << 20).into_bytes(); // ~75 MB, one line
    data.extend_from_slice(format!(" token={tok}\n").as_bytes());
    d.write("long.log", &data);
    let r = d.run(&["--format", "jsonl", "long.log"]);
    r.expect_code(1);
    let f = r.findings();
    assert_eq!(f.len(), 1, "{r}");
    assert_eq!(f[0]["line"], 1);
    assert_eq!(f[0]["column"].as_u64().unwrap(), data.len() as u64 - tok.len() as u64);
    // the context excerpt is capped, never the whole line
    assert!(f[0]["context"].as_str().unwrap().len() < 300, "{r}");
}

#[test]
fn a_large_files_findings_come_out_in_file_order() {
    // Six chunks; the first holds 20,000 secrets (slow to report), the others one each: the
    // workers finish the later chunks first, and the report must still follow the file.
    let d = Dir::new();
    let mut data = Vec::new();
    for i in 0..20_000u64 {
        data.extend_from_slice(format!("token = \"{}\"\n", github_token(1000 + i % 50)).as_bytes());
    }
    for k in 1..6u64 {
        data.resize((k * CHUNK + 1000) as usize, b'.');
        data.extend_from_slice(format!("\nauth = \"{}\"\n", github_token(k)).as_bytes());
    }
    d.write("big.txt", &data);
    for threads in ["2", "4"] {
        let r = d.run(&["--threads", threads, "--format", "jsonl", "big.txt"]);
        r.expect_code(1);
        let offsets: Vec<u64> = r.findings().iter().map(|f| f["offset"].as_u64().unwrap()).collect();
        assert_eq!(offsets.len(), 20_005, "{threads} threads");
        assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{threads} threads: findings out of file order");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn document_reports_of_many_findings_stay_small_in_memory() {
    // 30,000 findings: the JSON, GitLab and gitleaks documents are written a finding at a
    // time (they held a JSON tree of every finding, ~5 KB each, before the first byte).
    let d = Dir::new();
    let mut data = String::new();
    for i in 0..30_000u64 {
        data.push_str(&format!("token = \"{}\"\n", github_token(2000 + i % 100)));
    }
    d.write("many.txt", &data);
    for format in ["json", "gitlab", "gitleaks-json", "junit"] {
        let spec = format!("{format}:report.{format}");
        let (r, rss) = run_measuring_rss(&d, &["--format", &spec, "many.txt"]);
        r.expect_code(1);
        let report = std::fs::read_to_string(d.path().join(format!("report.{format}"))).unwrap();
        let count = match format {
            "junit" => report.matches("<failure").count(),
            _ => {
                let doc: serde_json::Value = serde_json::from_str(&report).unwrap();
                let list = match format {
                    "json" => &doc["findings"],
                    "gitlab" => &doc["vulnerabilities"],
                    _ => &doc,
                };
                list.as_array().map_or(0, Vec::len)
            }
        };
        assert_eq!(count, 30_000, "{format}");
        assert!(
            rss > 0 && rss < 100 << 20,
            "{format}: peak RSS {} MB for a {} MB report",
            rss >> 20,
            report.len() >> 20
        );
    }
}
