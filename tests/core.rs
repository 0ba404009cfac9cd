//! Crash dumps, UTF-16 text and live processes: UTF-16LE/BE secrets in binary files, ELF cores
//! dumped with `gcore` from a child holding planted secrets, truncated cores, `leakscan proc`.

use crate::util::{aws_key_id, github_token, Dir};

fn utf16(s: &str, big_endian: bool) -> Vec<u8> {
    s.bytes().flat_map(|b| if big_endian { [0, b] } else { [b, 0] }).collect()
}

#[test]
fn utf16_secrets_in_a_binary_file_with_and_without_bom() {
    let d = Dir::new();
    let secrets = [github_token(1601), github_token(1602), aws_key_id(1603), aws_key_id(1604)];
    let mut data: Vec<u8> = (0..997u32).map(|i| (i * 7 % 251) as u8 | 0x80).collect();
    let mut expect = Vec::new();
    for (i, s) in secrets.iter().enumerate() {
        let big_endian = i % 2 == 1;
        if i < 2 {
            data.extend(if big_endian { [0xfe, 0xff] } else { [0xff, 0xfe] });
        }
        let text = format!("token = {s}");
        let at = data.len() + 2 * (text.len() - s.len());
        expect.push((at as u64, if big_endian { "utf-16be" } else { "utf-16le" }));
        data.extend(utf16(&text, big_endian));
        data.extend((0..(301 + i as u32)).map(|j| (j * 13 % 251) as u8 | 0x80));
    }
    d.write("dump.bin", &data);
    let r = d.run(&["--format", "jsonl", "dump.bin"]);
    r.expect_code(1);
    let mut got: Vec<(u64, String)> = r
        .findings()
        .iter()
        .map(|f| (f["offset"].as_u64().unwrap(), f["encoding"].as_str().unwrap_or("none").to_string()))
        .collect();
    got.sort();
    let expect: Vec<(u64, String)> = expect.into_iter().map(|(o, e)| (o, e.to_string())).collect();
    assert_eq!(got, expect, "{r}");
    for s in &secrets {
        assert!(!r.stdout().contains(&s[6..]), "secret printed in full: {r}");
    }
}

/// The child's script: UTF-8 copies on the heap, UTF-16LE and UTF-16BE only on the heap (the
/// argv holds them reversed, which no rule matches), then wait for stdin to close.
const CHILD: &str = r#"
import os, sys
heap8 = ("x" + sys.argv[1])[1:]
le = sys.argv[2][::-1].encode("utf-16-le")
be = sys.argv[3][::-1].encode("utf-16-be")
print(os.getpid(), flush=True)
sys.stdin.read()
"#;

struct Child {
    child: std::process::Child,
    pid: u32,
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns the python child with planted secrets; `None` (with a loud message) without python3.
fn spawn_child(argv: [&str; 3], env_secret: &str) -> Option<Child> {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let rev = |s: &str| s.chars().rev().collect::<String>();
    let spawned = Command::new("python3")
        .args(["-c", CHILD, argv[0], &rev(argv[1]), &rev(argv[2])])
        .env("APP_TOKEN", env_secret)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let Ok(mut child) = spawned else {
        eprintln!("!!! SKIPPED: python3 is not available to build a test process");
        return None;
    };
    let mut line = String::new();
    let stdout = child.stdout.take()?;
    std::io::BufReader::new(stdout).read_line(&mut line).ok()?;
    let pid = line.trim().parse().ok()?;
    Some(Child { child, pid })
}

/// Dumps `pid` with gcore into `dir`; `None` (with a loud message) when gcore or ptrace fails.
fn gcore(dir: &Dir, pid: u32) -> Option<std::path::PathBuf> {
    let prefix = dir.path().join("core");
    let out = std::process::Command::new("gcore").arg("-o").arg(&prefix).arg(pid.to_string()).output();
    let path = dir.path().join(format!("core.{pid}"));
    match out {
        Ok(o) if o.status.success() && path.exists() => Some(path),
        Ok(o) => {
            eprintln!("!!! SKIPPED: gcore failed (ptrace denied?): {}", String::from_utf8_lossy(&o.stderr));
            None
        }
        Err(e) => {
            eprintln!("!!! SKIPPED: gcore is not available: {e}");
            None
        }
    }
}

/// The bytes of `core` at virtual address `vaddr`, `len` bytes, if a segment holds them;
/// with the file offset.
fn core_bytes(core: &[u8], vaddr: u64, len: usize) -> Option<(u64, &[u8])> {
    let layout = leakscan::source::core::parse(core, &mut |_, _| None).ok()?;
    let seg = layout.segments.iter().find(|s| s.vaddr <= vaddr && vaddr + len as u64 <= s.vaddr + s.filesz)?;
    let at = seg.offset + (vaddr - seg.vaddr);
    Some((at, core.get(at as usize..at as usize + len)?))
}

fn encode(secret: &str, encoding: &str) -> Vec<u8> {
    match encoding {
        "utf-16le" => utf16(secret, false),
        "utf-16be" => utf16(secret, true),
        _ => secret.as_bytes().to_vec(),
    }
}

#[test]
fn gcore_dump_yields_every_planted_secret_at_its_address() {
    let (utf8, le, be, env) = (github_token(1701), aws_key_id(1702), github_token(1703), github_token(1704));
    let Some(child) = spawn_child([&utf8, &le, &be], &env) else { return };
    let d = Dir::new();
    let Some(core_path) = gcore(&d, child.pid) else { return };
    drop(child);
    let core = std::fs::read(&core_path).unwrap();
    let name = core_path.file_name().unwrap().to_str().unwrap().to_string();
    let r = d.run(&["--format", "jsonl", &name]);
    r.expect_code(1);
    let findings = r.findings();
    let mut seen = Vec::new();
    let mut offsets = Vec::new();
    for f in &findings {
        let vaddr = f["vaddr"].as_u64().unwrap_or_else(|| panic!("no vaddr: {f}\n{r}"));
        let encoding = f["encoding"].as_str().unwrap_or("utf-8");
        assert_eq!(f["pid"].as_u64(), Some(child_pid(&name)), "{f}");
        assert!(f["process"].as_str().is_some_and(|p| p.starts_with("python")), "{f}");
        for (secret, what) in [(&utf8, "utf8"), (&le, "le"), (&be, "be"), (&env, "env")] {
            let bytes = encode(secret, encoding);
            if let Some((at, found)) = core_bytes(&core, vaddr, bytes.len()) {
                if found == bytes.as_slice() {
                    seen.push((what, encoding.to_string(), f["mapping"].as_str().unwrap_or("").to_string()));
                    offsets.push((at, bytes.len()));
                }
            }
        }
    }
    let has = |what: &str, enc: &dyn Fn(&str) -> bool, mapping: Option<&str>| {
        seen.iter().any(|(w, e, m)| *w == what && enc(e) && mapping.is_none_or(|want| m == want))
    };
    assert!(has("utf8", &|e| e == "utf-8", None), "{seen:?}\n{r}");
    assert!(has("env", &|e| e == "utf-8", Some("stack")), "{seen:?}\n{r}");
    assert!(has("le", &|e| e == "utf-16le", None), "{seen:?}\n{r}");
    assert!(has("be", &|e| e.starts_with("utf-16"), None), "{seen:?}\n{r}");
    assert_eq!(seen.len(), findings.len(), "a finding's vaddr does not hold a planted secret: {seen:?}\n{r}");
    truncated_copy_keeps_the_intact_part(&d, &core, &offsets, findings.len());
}

fn child_pid(core_name: &str) -> u64 {
    core_name.trim_start_matches("core.").parse().unwrap()
}

/// Cuts the core in the middle of its segments: the secrets before the cut are still found and
/// the scan says it is incomplete.
fn truncated_copy_keeps_the_intact_part(d: &Dir, core: &[u8], offsets: &[(u64, usize)], all: usize) {
    let cut = offsets.iter().map(|(at, len)| at + *len as u64).max().unwrap() - 1;
    let before = offsets.iter().filter(|(at, len)| at + (*len as u64) <= cut).count();
    d.write("truncated.core", &core[..cut as usize]);
    let r = d.run(&["--format", "jsonl", "truncated.core"]);
    assert!(r.stderr().contains("truncated core"), "{r}");
    assert_eq!(r.summary()["complete"], false, "{r}");
    assert!(r.findings().len() >= before && r.findings().len() < all, "{before} of {all} expected\n{r}");
}

#[test]
fn a_value_next_to_a_secret_in_memory_is_masked_in_its_context() {
    // An environment block as a process keeps it: NUL-separated NAME=value strings. Rules
    // without a distinctive prefix do not run on binary content, so the password is no finding
    // of its own; it must still not show in the context of the AWS key id next to it.
    let d = Dir::new();
    let (key, password) = (aws_key_id(1610), "gH5WFi8ne4XJXjGZ98Dx"); // leakscan:allow (synthetic)
    let mut data = vec![0x91u8, 0xfe, 0, 0];
    data.extend(format!("SHLVL=1\0DATABASE_PASSWORD={password}\0AWS_ACCESS_KEY_ID={key}\0HOME=/root\0").bytes());
    data.extend([0u8, 0x17, 0x88, 0]);
    d.write("memory.bin", &data);
    for format in ["text", "jsonl"] {
        let r = d.run(&["memory.bin", "--format", format]);
        r.expect_code(1);
        assert!(r.stdout().contains("DATABASE_PASSWORD="), "the context is shown: {r}");
        assert!(!r.stdout().contains(password) && !r.stdout().contains(&key), "{format}: {r}");
    }
}

#[test]
fn non_elf_file_named_core_is_plain_bytes() {
    let d = Dir::new();
    d.write("core", format!("\x7fELF? no: crash log\ntoken={}\n", github_token(1705)));
    let r = d.run(&["--format", "jsonl", "core"]);
    r.expect_code(1);
    let f = r.findings();
    assert_eq!((f.len(), f[0]["origin"]["kind"].as_str(), f[0]["line"].as_u64()), (1, Some("file"), Some(2)), "{r}");
    assert_eq!(r.summary()["complete"], true, "{r}");
}

#[test]
fn proc_finds_secrets_in_environment_and_argv_of_a_child() {
    use std::process::{Command, Stdio};
    let (in_env, in_argv) = (github_token(1801), aws_key_id(1802));
    let spawned = Command::new("python3")
        .args(["-c", "import sys; print('ready', flush=True); sys.stdin.read()", &format!("--key={in_argv}")])
        .env("APP_TOKEN", &in_env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let Ok(mut child) = spawned else {
        eprintln!("!!! SKIPPED: python3 is not available to build a test process");
        return;
    };
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
    let child = Child { pid: child.id(), child };
    let d = Dir::new();
    let pid = child.pid.to_string();
    let r = d.run(&["proc", "--pid", &pid, "--format", "jsonl"]);
    drop(child);
    r.expect_code(1);
    let f = r.findings();
    let env = f.iter().find(|f| f["field"] == "environ:APP_TOKEN").unwrap_or_else(|| panic!("{r}"));
    assert_eq!((env["pid"].as_u64(), env["variable"].as_str()), (pid.parse().ok(), Some("APP_TOKEN")), "{r}");
    assert!(env["process"].as_str().is_some_and(|p| p.starts_with("python")), "{r}");
    assert!(f.iter().any(|f| f["field"] == "cmdline"), "{r}");
    assert!(!r.stdout().contains(&in_env[8..]) && !r.stdout().contains(&in_argv[8..]), "secret in full: {r}");
    // --mem reads the live memory: the environment string sits on the stack
    let child = spawn_child([&github_token(1803), &aws_key_id(1804), &github_token(1805)], &in_env);
    if let Some(child) = child {
        let pid = child.pid.to_string();
        let r = d.run(&["proc", "--pid", &pid, "--mem", "--mem-budget", "64M", "--format", "jsonl"]);
        drop(child);
        r.expect_code(1);
        let mem: Vec<_> = r.findings().into_iter().filter(|f| f["field"] == "mem").collect();
        assert!(mem.iter().any(|f| f["mapping"] == "stack" && f["vaddr"].as_u64().is_some()), "{r}");
        assert!(mem.iter().any(|f| f["encoding"] == "utf-16le"), "{r}");
    }
    // a pid that does not exist: incomplete, exit 3
    let r = d.run(&["proc", "--pid", "999999999", "--format", "jsonl"]);
    r.expect_code(3);
}

/// A little-endian ELF64 core with the given PT_LOAD headers (file offset, vaddr, size) and
/// `body` written right after the headers (offsets are absolute).
fn synthetic_core(loads: &[(u64, u64, u64)], body: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 64];
    out[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
    out[16..18].copy_from_slice(&4u16.to_le_bytes());
    out[20..24].copy_from_slice(&1u32.to_le_bytes());
    out[32..40].copy_from_slice(&64u64.to_le_bytes());
    out[52..54].copy_from_slice(&64u16.to_le_bytes());
    out[54..56].copy_from_slice(&56u16.to_le_bytes());
    out[56..58].copy_from_slice(&(loads.len() as u16).to_le_bytes());
    for (offset, vaddr, size) in loads {
        let mut p = vec![0u8; 56];
        p[..4].copy_from_slice(&1u32.to_le_bytes());
        p[8..16].copy_from_slice(&offset.to_le_bytes());
        p[16..24].copy_from_slice(&vaddr.to_le_bytes());
        p[32..40].copy_from_slice(&size.to_le_bytes());
        p[40..48].copy_from_slice(&size.to_le_bytes());
        out.extend(p);
    }
    out.extend_from_slice(body);
    out
}

#[test]
fn lying_core_headers_scan_what_is_readable_and_exit_incomplete() {
    let d = Dir::new();
    let tok = github_token(1901);
    let headers = 64 + 56 * 3;
    let mut body = vec![0x90u8; 4096];
    body[100..100 + tok.len()].copy_from_slice(tok.as_bytes());
    let at = (headers + 100) as u64;
    // segment 1 holds the token; segment 2 overlaps it; segment 3 lies past the end of the file
    let loads = [(headers as u64, 0x10000, 4096), (headers as u64 + 50, 0x20000, 4096), (1 << 40, 0x30000, 1 << 20)];
    d.write("core.lying", synthetic_core(&loads, &body));
    let r = d.run(&["--format", "jsonl", "core.lying"]);
    r.expect_code(1);
    let f = r.findings();
    assert_eq!(f.len(), 1, "found once despite the overlap: {r}");
    assert_eq!(f[0]["vaddr"].as_u64(), Some(0x10000 + at - headers as u64), "{r}");
    assert!(r.stderr().contains("truncated core") && r.stderr().contains("malformed core"), "{r}");
    assert_eq!(r.summary()["complete"], false, "{r}");
    // absurd program header count: plain bytes, incomplete, the token still found
    let mut absurd = synthetic_core(&loads, &body);
    absurd[56..58].copy_from_slice(&u16::MAX.to_le_bytes());
    d.write("core.absurd", absurd);
    let r = d.run(&["--format", "jsonl", "core.absurd"]);
    r.expect_code(1);
    assert_eq!(r.findings()[0]["origin"]["kind"], "file", "{r}");
    assert!(r.stderr().contains("truncated core"), "{r}");
}

#[test]
fn zstd_compressed_core_is_opened_by_the_archive_layer() {
    // systemd-coredump stores cores as core.COMM.UID.BOOT.PID.TIME.zst
    let d = Dir::new();
    let tok = github_token(1951);
    let headers = 64 + 56;
    let mut body = vec![0u8; 8192];
    body[300..300 + tok.len()].copy_from_slice(tok.as_bytes());
    let core = synthetic_core(&[(headers as u64, 0x7f00_0000, 8192)], &body);
    let packed = zstd::encode_all(&core[..], 3).unwrap();
    d.write("core.agent.0.abc.4242.1700000000000000.zst", packed);
    let r = d.run(&["--format", "jsonl", "."]);
    r.expect_code(1);
    let f = r.findings();
    assert_eq!(f.len(), 1, "{r}");
    assert_eq!(f[0]["vaddr"].as_u64(), Some(0x7f00_0000 + 300), "address inside the decompressed core: {r}");
    assert!(!r.stdout().contains(&tok) && !r.stderr().contains(&tok), "redacted");
}

#[test]
fn a_closed_output_stops_a_core_scan_without_calling_the_core_truncated() {
    // `leakscan core | head`: the reader goes away mid-scan; the core is whole, so the
    // warning must not say it was cut short.
    use std::io::Read;
    let d = Dir::new();
    let tok = github_token(1977);
    let headers = 64 + 56;
    let mut body = vec![0x90u8; 64 << 20];
    for at in (0..body.len() - 100).step_by(2048) {
        body[at..at + tok.len()].copy_from_slice(tok.as_bytes());
    }
    d.write("core.many", synthetic_core(&[(headers as u64, 0x7f00_0000, body.len() as u64)], &body));
    let mut child = d
        .cmd(&["--format", "jsonl", "core.many"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 4096];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    child.wait().unwrap();
    assert!(!stderr.contains("truncated core"), "{stderr}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_kernel_thread_is_not_called_unreadable() {
    // Kernel threads (PF_KTHREAD in /proc/PID/stat) have no environment or memory: reading
    // their environ fails, and that must not read as a permission problem or an incomplete scan.
    let kthread = std::fs::read_dir("/proc").unwrap().flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let flags: u64 = stat[stat.rfind(')')? + 1..].split_whitespace().nth(6)?.parse().ok()?;
        (flags & 0x0020_0000 != 0).then_some(pid)
    });
    let Some(pid) = kthread else {
        eprintln!("no kernel thread visible in this PID namespace; nothing to check");
        return;
    };
    let d = Dir::new();
    let r = d.run(&["proc", "--pid", &pid.to_string(), "--format", "jsonl"]);
    r.expect_code(0);
    let s = r.summary();
    assert_eq!(s["complete"], true, "{r}");
    assert_eq!(s["skipped"]["kernel thread (no environment or memory)"], 1, "{r}");
}

/// A core on disk past 16 MiB is read in 8 MiB pieces on several threads, each with the
/// chunker's context on both sides: secrets across a piece's edges (UTF-8 and UTF-16), at a
/// segment's first and last byte, are found once each at their address, as the one-thread
/// stream read finds them; a truncated copy yields the secrets of its intact part.
#[test]
fn a_large_core_read_in_pieces_on_threads_finds_what_one_stream_finds() {
    const MIB: usize = 1 << 20;
    let d = Dir::new();
    let headers = 64 + 56 * 2;
    let seg = 20 * MIB;
    let mut body: Vec<u8> = (0..2 * seg).map(|i| ((i * 7 % 251) as u8) | 0x80).collect();
    let toks = [github_token(2101), github_token(2102), aws_key_id(2103), github_token(2104), github_token(2105)];
    // Body offsets: across the first piece edge, just past it (inside the next piece's
    // lookbehind), UTF-16LE across the second edge, segment 2's first byte and last byte.
    let places = [
        (8 * MIB - 20, false),
        (8 * MIB + 100, false),
        (16 * MIB - 30, true),
        (seg, false),
        (2 * seg - toks[4].len(), false),
    ];
    let mut expect = Vec::new();
    for (tok, &(at, wide)) in toks.iter().zip(&places) {
        let bytes = if wide { utf16(tok, false) } else { tok.as_bytes().to_vec() };
        body[at..at + bytes.len()].copy_from_slice(&bytes);
        let vaddr = if at < seg { 0x5500_0000_0000 + at } else { 0x7f00_0000_0000 + at - seg };
        expect.push(vaddr as u64);
    }
    let loads =
        [(headers as u64, 0x5500_0000_0000, seg as u64), ((headers + seg) as u64, 0x7f00_0000_0000, seg as u64)];
    let core = synthetic_core(&loads, &body);
    d.write("core.big", &core);
    let found = |args: &[&str]| {
        let r = d.run(args);
        let mut got: Vec<u64> = r.findings().iter().map(|f| f["vaddr"].as_u64().unwrap()).collect();
        got.sort();
        (got, r)
    };
    let (one, r1) = found(&["--format", "jsonl", "--threads", "1", "core.big"]);
    r1.expect_code(1);
    assert_eq!(one, expect, "stream read: {r1}");
    let (two, r2) = found(&["--format", "jsonl", "--threads", "2", "core.big"]);
    r2.expect_code(1);
    assert_eq!(two, expect, "read in pieces: {r2}");
    assert_eq!(r2.summary()["complete"], true, "{r2}");
    assert_eq!(r2.summary()["bytes_scanned"], r1.summary()["bytes_scanned"], "each byte counted once: {r2}");
    // The text report shows each secret's own address.
    let text = d.run(&["--threads", "2", "core.big"]);
    assert!(text.stdout().contains(&format!("core.big@{:#x}[", expect[2])), "{text}");
    for tok in &toks {
        assert!(!r2.stdout().contains(&tok[6..]) && !text.stdout().contains(&tok[6..]), "redacted");
    }
    // Cut inside segment 2: the secrets before the cut are found, the scan says incomplete.
    d.write("core.cut", &core[..headers + seg + 5 * MIB]);
    let (cut, r) = found(&["--format", "jsonl", "--threads", "2", "core.cut"]);
    r.expect_code(1);
    assert_eq!(cut, expect[..4], "{r}");
    assert!(r.stderr().contains("truncated core") && r.stderr().contains("segment 2 of 2"), "{r}");
    assert_eq!(r.summary()["complete"], false, "{r}");
}
