//! Archives and compressed streams: every format and nesting built here at test time (no binary
//! fixture), the chain in findings, names as labels, bombs and damage within budgets, and the
//! `--require-encrypted` backup check.

use crate::util::{github_token, Dir, Run};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

// ---- builders -------------------------------------------------------------------------------

pub fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn zst(data: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(data, 3).unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = xz2::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A tar header for `name` (raw bytes written into the field: `..` and absolute names are
/// kept as they are, which the tar crate's own setters refuse) declaring `size` bytes.
pub fn tar_header(name: &[u8], size: u64, kind: tar::EntryType) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_entry_type(kind);
    h.set_cksum();
    h
}

pub fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        b.append(&tar_header(name.as_bytes(), data.len() as u64, tar::EntryType::Regular), *data).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn zip_with(members: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, data) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    zip_with(members, zip::CompressionMethod::Deflated)
}

fn env_file(seed: u64) -> (String, Vec<u8>) {
    let tok = github_token(seed);
    (tok.clone(), format!("# app settings\nDEBUG=0\nGITHUB_TOKEN={tok}\n").into_bytes())
}

/// (path, line) of each finding.
pub fn found(r: &Run) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> =
        r.findings().iter().map(|f| (f["path"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap())).collect();
    v.sort();
    v
}

fn jsonl(d: &Dir, path: &str) -> Run {
    d.run(&["--no-config", "--format", "jsonl", path])
}

// ---- formats and nesting --------------------------------------------------------------------

#[test]
fn every_format_and_nesting_finds_the_secret_with_its_chain() {
    let d = Dir::new();
    let (_, env) = env_file(50);
    let t = tar(&[("home/app/README", b"hello\n"), ("home/app/.env", &env)]);
    let z = zip(&[("README", b"hello\n"), ("home/app/.env", &env)]);
    let zs = zip_with(&[("home/app/.env", &env)], zip::CompressionMethod::Stored);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("b.tar", t.clone(), "b.tar!home/app/.env"),
        ("b.tar.gz", gz(&t), "b.tar.gz!home/app/.env"),
        ("b.tar.zst", zst(&t), "b.tar.zst!home/app/.env"),
        ("b.tar.xz", xz(&t), "b.tar.xz!home/app/.env"),
        ("b.tar.bz2", bz2(&t), "b.tar.bz2!home/app/.env"),
        ("b.zip", z.clone(), "b.zip!home/app/.env"),
        ("stored.jar", zs.clone(), "stored.jar!home/app/.env"),
        ("env.gz", gz(&env), "env.gz"),
        ("env.zst", zst(&env), "env.zst"),
        ("env.xz", xz(&env), "env.xz"),
        ("env.bz2", bz2(&env), "env.bz2"),
        ("zip-in-tgz.tgz", gz(&tar(&[("deploy/app.zip", &z)])), "zip-in-tgz.tgz!deploy/app.zip!home/app/.env"),
        ("tgz-in-zip.zip", zip(&[("backup/b.tar.gz", &gz(&t))]), "tgz-in-zip.zip!backup/b.tar.gz!home/app/.env"),
        ("deep.tar.xz", xz(&tar(&[("logs/env.gz", &gz(&env))])), "deep.tar.xz!logs/env.gz"),
        ("bz-zst.tar.bz2", bz2(&tar(&[("x.tar.zst", &zst(&t))])), "bz-zst.tar.bz2!x.tar.zst!home/app/.env"),
        ("nested.zip", zip(&[("inner.zip", &zs)]), "nested.zip!inner.zip!home/app/.env"),
        // misnamed layer: really an uncompressed tar
        ("x.tar.gz.gz", t.clone(), "x.tar.gz.gz!home/app/.env"),
    ];
    for (name, bytes, _) in &cases {
        d.write(name, bytes);
    }
    for (name, _, chain) in &cases {
        let r = jsonl(&d, name);
        r.expect_code(1);
        assert_eq!(found(&r), vec![(chain.to_string(), 3)], "{name}: {r}");
        assert_eq!(r.summary()["complete"], true, "{r}");
    }
    // the whole tree at once: archives found by the walk are opened too
    let r = jsonl(&d, ".");
    r.expect_code(1);
    assert_eq!(r.findings().len(), cases.len(), "{r}");
}

#[test]
fn stdin_archives_are_opened() {
    let d = Dir::new();
    let (_, env) = env_file(51);
    let r = d.run_stdin(&["--no-config", "--format", "jsonl", "-"], &gz(&tar(&[("home/app/.env", &env)])));
    r.expect_code(1);
    assert_eq!(found(&r), vec![("<stdin>!home/app/.env".to_string(), 3)], "{r}");
    // text output shows the chain with the line
    let r = d.run_stdin(&["--no-config", "-"], &gz(&tar(&[("home/app/.env", &env)])));
    assert!(r.stdout().starts_with("<stdin>!home/app/.env:3:"), "{r}");
}

#[test]
fn multi_member_gzip_is_read_whole() {
    let d = Dir::new();
    let (_, env) = env_file(52);
    let mut data = gz(b"first log line\n");
    data.extend(gz(&env));
    d.write("app.log.1.gz", &data);
    let r = jsonl(&d, "app.log.1.gz");
    r.expect_code(1);
    assert_eq!(found(&r), vec![("app.log.1.gz".to_string(), 4)], "{r}");
}

#[test]
fn traversal_and_absolute_names_are_labels_and_links_are_not_followed() {
    let d = Dir::new();
    let (_, env) = env_file(53);
    let mut b = tar::Builder::new(Vec::new());
    for name in ["../../etc/passwd", "/etc/shadow"] {
        b.append(&tar_header(name.as_bytes(), env.len() as u64, tar::EntryType::Regular), &env[..]).unwrap();
    }
    let mut link = tar_header(b"link-to-secret", 0, tar::EntryType::Symlink);
    link.set_link_name("/etc/shadow").unwrap();
    link.set_cksum();
    b.append(&link, &[][..]).unwrap();
    d.write("evil.tar", b.into_inner().unwrap());
    let before = listing(&d);
    let r = jsonl(&d, "evil.tar");
    r.expect_code(1);
    assert_eq!(
        found(&r),
        vec![("evil.tar!../../etc/passwd".to_string(), 3), ("evil.tar!/etc/shadow".to_string(), 3)],
        "{r}"
    );
    assert_eq!(listing(&d), before, "nothing written");
    assert!(r.summary()["skipped"]["archive link member (not followed)"] == 1, "{r}");
}

pub fn listing(d: &Dir) -> Vec<String> {
    let mut v: Vec<String> = walk(d.path()).into_iter().map(|p| p.display().to_string()).collect();
    v.sort();
    v
}

fn walk(p: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p).unwrap().flatten() {
        out.push(e.path());
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        }
    }
    out
}

// ---- damage ---------------------------------------------------------------------------------

/// Incompressible filler so a truncation lands well after the first member.
pub fn noise(n: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b'a' + (x % 26) as u8
        })
        .collect()
}

#[test]
fn truncated_gzip_scans_what_precedes_the_damage() {
    let d = Dir::new();
    let (_, env) = env_file(54);
    let full = gz(&tar(&[("home/app/.env", &env), ("data/blob.txt", &noise(400_000))]));
    d.write("cut.tar.gz", &full[..full.len() / 2]);
    let r = jsonl(&d, "cut.tar.gz");
    r.expect_code(1);
    assert_eq!(found(&r), vec![("cut.tar.gz!home/app/.env".to_string(), 3)], "{r}");
    assert_eq!(r.summary()["complete"], false, "{r}");
    assert!(r.stderr().contains("archive damaged") && r.stderr().contains("data/blob.txt"), "{r}");
    // without the secret, damage alone exits 3
    let clean = gz(&tar(&[("data/blob.txt", &noise(400_000))]));
    d.write("cut2.tar.gz", &clean[..clean.len() / 2]);
    jsonl(&d, "cut2.tar.gz").expect_code(3);
}

#[test]
fn corrupt_tar_header_is_named_and_what_precedes_is_scanned() {
    let d = Dir::new();
    let (_, env) = env_file(55);
    let mut t = tar(&[("home/app/.env", &env), ("next.txt", b"more\n")]);
    let second = 512 + env.len().div_ceil(512) * 512;
    t[second + 100] ^= 0x55; // break the second header's checksum
    d.write("bad.tar", &t);
    let r = jsonl(&d, "bad.tar");
    r.expect_code(1);
    assert_eq!(found(&r), vec![("bad.tar!home/app/.env".to_string(), 3)], "{r}");
    assert_eq!(r.summary()["complete"], false, "{r}");
    assert!(r.stderr().contains("archive damaged: bad.tar!(next header)"), "{r}");
}

/// A zip of 64 members of 16 KiB each (stored, so the file is over 1 MiB and its members are
/// inflated on several threads), a secret in every seventh; returns it and the secrets' chains.
fn large_zip() -> (Vec<u8>, Vec<(String, u64)>) {
    let mut members = Vec::new();
    let mut chains = Vec::new();
    for i in 0..64 {
        let mut body = noise(16 << 10);
        for line in body.chunks_exact_mut(80) {
            line[79] = b'\n';
        }
        body.push(b'\n');
        if i % 7 == 3 {
            let (_, env) = env_file(100 + i);
            body.extend_from_slice(&env);
            chains.push((format!("big.zip!m/{i:02}.txt"), 16 * 1024 / 80 + 4));
        }
        members.push((format!("m/{i:02}.txt"), body));
    }
    let list: Vec<(&str, &[u8])> = members.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    (zip_with(&list, zip::CompressionMethod::Stored), chains)
}

#[test]
fn a_large_zip_is_read_on_several_threads_and_every_member_is_found() {
    let d = Dir::new();
    let (z, chains) = large_zip();
    assert!(z.len() > 1 << 20);
    d.write("big.zip", &z);
    for threads in ["1", "4"] {
        let r = d.run(&["--no-config", "--format", "jsonl", "--threads", threads, "big.zip"]);
        r.expect_code(1);
        assert_eq!(found(&r), chains, "--threads {threads}: {r}");
        assert_eq!(r.summary()["complete"], true, "{r}");
        assert_eq!(r.summary()["files_scanned"], 64, "{r}");
    }
}

#[test]
fn a_large_zip_read_on_several_threads_keeps_to_the_member_budget() {
    let d = Dir::new();
    let (z, chains) = large_zip();
    d.write("big.zip", &z);
    let r = d.run(&["--no-config", "--format", "jsonl", "--threads", "4", "--max-archive-entries", "20", "big.zip"]);
    assert_eq!(r.summary()["complete"], false, "{r}");
    assert!(r.stderr().contains("more than 20 members"), "{r}");
    assert_eq!(r.summary()["files_scanned"], 20, "{r}");
    assert!(found(&r).iter().all(|f| chains.contains(f)), "{r}");
}

/// The central directory entry of the zip's `k`-th member (signature `PK\x01\x02`).
fn central_entry(z: &[u8], k: usize) -> usize {
    z.windows(4).enumerate().filter(|(_, w)| w == b"PK\x01\x02").nth(k).map(|(at, _)| at).expect("entry")
}

/// Deflated members are inflated in one call when the central directory's sizes and CRC hold;
/// when they do not, the member is streamed and reported as before: a wrong CRC or data cut
/// short is damage (the scan is incomplete), a wrong declared size over intact data is not.
/// The damaged member's secret, read before the damage within its first 4 KiB, is found, and
/// the member beside it too.
#[test]
fn a_zip_member_whose_directory_lies_is_still_scanned_and_reported_damaged() {
    let d = Dir::new();
    let (tok, env) = env_file(211);
    let (tok2, env2) = env_file(212);
    let z = zip(&[("a.env", &env), ("b.env", &env2)]);
    let r = d.run(&["--no-config", "--format", "jsonl", {
        d.write("good.zip", &z);
        "good.zip"
    }]);
    r.expect_code(1);
    assert_eq!(r.summary()["complete"], true, "{r}");
    let e = central_entry(&z, 0);
    let size = u32::from_le_bytes(z[e + 24..e + 28].try_into().unwrap());
    let patches: [(&str, usize, u32); 4] = [
        ("crc", e + 16, u32::from_le_bytes(z[e + 16..e + 20].try_into().unwrap()) ^ 1),
        ("small", e + 24, size - 10),
        ("large", e + 24, size + 10),
        ("cut", e + 20, u32::from_le_bytes(z[e + 20..e + 24].try_into().unwrap()) - 4),
    ];
    for (name, at, value) in patches {
        let mut bad = z.clone();
        bad[at..at + 4].copy_from_slice(&value.to_le_bytes());
        let file = format!("{name}.zip");
        d.write(&file, &bad);
        let r = d.run(&["--no-config", "--format", "jsonl", &file]);
        let paths: Vec<String> = found(&r).into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths, [format!("{file}!a.env"), format!("{file}!b.env")], "{name}: {r}");
        // A wrong declared size with intact data and CRC reads every byte: nothing is missing.
        let damaged = name == "crc" || name == "cut";
        assert_eq!(r.summary()["complete"], !damaged, "{name}: {r}");
        if damaged {
            assert!(r.stderr().contains(&format!("{file}!a.env damaged")), "{name}: {r}");
        }
        assert!(!r.stdout().contains(&tok) && !r.stdout().contains(&tok2), "redacted");
    }
}

// ---- bombs ----------------------------------------------------------------------------------

/// Runs leakscan, polling its peak RSS (VmHWM); asserts it finishes in 10 s under 256 MB, exits
/// 1 with the planted secret, marks the summary incomplete and leaves no file behind.
fn expect_bounded(d: &Dir, path: &str, chain: &str, why: &str) -> Run {
    let before = listing(d);
    let start = Instant::now();
    let mut c = d.cmd(&["--no-config", "--format", "jsonl", path]);
    c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).stdin(std::process::Stdio::null());
    let mut child = c.spawn().unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        out.read_to_end(&mut v).unwrap();
        v
    });
    let mut peak_kb = 0u64;
    while child.try_wait().unwrap().is_none() {
        if let Ok(s) = std::fs::read_to_string(&status) {
            if let Some(l) = s.lines().find(|l| l.starts_with("VmHWM:")) {
                peak_kb = peak_kb.max(l.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0));
            }
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let stdout = reader.join().unwrap();
    let mut output = child.wait_with_output().unwrap();
    output.stdout = stdout;
    let elapsed = start.elapsed();
    let r = Run { cmd: format!("leakscan --format jsonl {path}"), out: output };
    r.expect_code(1);
    assert_eq!(found(&r)[0].0, chain, "{r}");
    assert_eq!(r.summary()["complete"], false, "{r}");
    assert!(r.stderr().contains(why), "expected {why:?}: {r}");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}: {r}");
    assert!(peak_kb > 0 && peak_kb < 256 << 10, "peak RSS {} MB", peak_kb >> 10);
    assert_eq!(listing(d), before, "nothing written");
    if std::env::var_os("ARCHIVE_TEST_SHOW").is_some() {
        eprintln!("{path}: {elapsed:?}, peak RSS {} MB\n{}", peak_kb >> 10, r.stderr());
    }
    r
}

/// A gzip member of `n` MiB of zeros built without compressing them all: after a full flush
/// the compressor emits the same bytes for every MiB, so one MiB's output is repeated.
fn zeros_gzip(mib: u64) -> Vec<u8> {
    let mut c = flate2::Compress::new(flate2::Compression::best(), false);
    let zeros = vec![0u8; 1 << 20];
    let mut block = Vec::with_capacity(8 << 10);
    c.compress_vec(&zeros, &mut block, flate2::FlushCompress::Full).unwrap();
    let mut crc = crc32fast::Hasher::new();
    let mut one = crc32fast::Hasher::new();
    one.update(&zeros);
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    for _ in 0..mib {
        out.extend_from_slice(&block);
        crc.combine(&one);
    }
    out.extend_from_slice(&[0x03, 0x00]); // final empty fixed-Huffman block
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(&((mib << 20) as u32).to_le_bytes());
    out
}

#[test]
fn gzip_bomb_of_10_gb_stops_at_the_budget() {
    let d = Dir::new();
    let (_, env) = env_file(56);
    let mut inner = gz(&env); // the secret, then 10 GiB of zeros in a second member
    inner.extend(zeros_gzip(10 << 10));
    let bomb = gz(&gz(&inner));
    assert!(bomb.len() < 64 << 10, "bomb is {} bytes", bomb.len());
    d.write("bomb.gz", &bomb);
    expect_bounded(&d, "bomb.gz", "bomb.gz", "archive budget exceeded");
}

#[test]
fn nested_zip_bomb_stops_at_the_budget() {
    let d = Dir::new();
    let (_, env) = env_file(57);
    let leaf = {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        w.start_file("zeros", opts).unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..256 {
            w.write_all(&chunk).unwrap();
        }
        w.finish().unwrap().into_inner()
    };
    let names: Vec<String> = (0..10).map(|i| format!("{i}.zip")).collect();
    let level = |inner: &[u8]| zip(&names.iter().map(|n| (n.as_str(), inner)).collect::<Vec<_>>());
    let two = level(&level(&leaf));
    let bomb = zip(&[("home/app/.env", &env), ("a.zip", &two), ("b.zip", &two)]);
    d.write("bomb.zip", &bomb);
    expect_bounded(&d, "bomb.zip", "bomb.zip!home/app/.env", "--max-compression-ratio");
    // The same with 1 MiB of filler beside it, so its members are inflated on several threads.
    let filler = zip_with(&[("filler", &noise(1 << 20))], zip::CompressionMethod::Stored);
    let big = zip(&[("home/app/.env", &env), ("a.zip", &two), ("filler.zip", &filler), ("b.zip", &two)]);
    assert!(big.len() > 512 << 10, "over the size from which members are inflated side by side");
    d.write("big-bomb.zip", &big);
    expect_bounded(&d, "big-bomb.zip", "big-bomb.zip!home/app/.env", "--max-compression-ratio");
}

#[test]
fn tar_member_declaring_4_gb_with_1_kb_of_data() {
    let d = Dir::new();
    let (_, env) = env_file(58);
    let mut t = tar(&[("home/app/.env", &env)]);
    t.truncate(t.len() - 1024); // drop the end-of-archive blocks
    t.extend_from_slice(tar_header(b"huge.img", 4 << 30, tar::EntryType::Regular).as_bytes());
    t.extend_from_slice(&noise(1024));
    d.write("liar.tar", &t);
    let r = expect_bounded(&d, "liar.tar", "liar.tar!home/app/.env", "archive damaged");
    assert!(r.stderr().contains("liar.tar!huge.img: declares 4294967296 bytes"), "{r}");
}

#[test]
fn fifty_deep_nesting_stops_at_max_depth() {
    let d = Dir::new();
    let (_, env) = env_file(59);
    let mut inner = zip(&[("deep.txt", b"nothing here\n")]);
    for i in 0..50 {
        inner = if i % 2 == 0 { gz(&tar(&[("n.tar.gz", &inner)])) } else { zip(&[("n.zip", &inner)]) };
    }
    d.write("deep.zip", zip(&[("home/app/.env", &env), ("n.bin", &inner)]));
    expect_bounded(&d, "deep.zip", "deep.zip!home/app/.env", "--max-archive-depth 8");
}

// ---- the backup check -----------------------------------------------------------------------

/// A zip whose only member carries the encryption flag (ZipCrypto), set on the built bytes.
fn encrypted_zip() -> Vec<u8> {
    let mut z = zip_with(&[("secret.txt", &noise(100))], zip::CompressionMethod::Stored);
    z[6] |= 1; // local header flags
    let cd = z.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    z[cd + 8] |= 1; // central directory flags
    z
}

#[test]
fn require_encrypted_passes_on_encrypted_or_clean_members() {
    let d = Dir::new();
    let mut age = b"age-encryption.org/v1\n-> X25519 abc\n".to_vec();
    age.extend(noise(200));
    let mut openssl = b"Salted__".to_vec();
    openssl.extend(noise(64));
    let t = tar(&[("db.sql.age", &age), ("keys.enc", &openssl), ("vault.zip", &encrypted_zip()), ("README", b"hi\n")]);
    d.write("backup.tar.gz", gz(&t));
    let r = d.run(&["--no-config", "--require-encrypted", "backup.tar.gz"]);
    r.expect_code(0);
    assert!(r.stderr().contains("backup check passed: 3 encrypted member(s), 1 plaintext member(s)"), "{r}");
}

#[test]
fn require_encrypted_lists_plaintext_members_with_secrets() {
    let d = Dir::new();
    let (tok, env) = env_file(60);
    let mut age = b"age-encryption.org/v1\n".to_vec();
    age.extend(noise(100));
    d.write("backup.tar.gz", gz(&tar(&[("secrets.age", &age), ("home/app/.env", &env), ("ok.txt", b"fine\n")])));
    let r = d.run(&["--no-config", "--require-encrypted", "backup.tar.gz"]);
    r.expect_code(1);
    assert!(r.stderr().contains("backup check FAILED: 1 plaintext member(s) hold secrets"), "{r}");
    assert!(r.stderr().contains("  backup.tar.gz!home/app/.env (1 finding)"), "{r}");
    assert!(!r.stdout().contains(&tok) && !r.stderr().contains(&tok), "secret printed: {r}");
    // an unopened 7z cannot be verified
    d.write("old.7z", b"7z\xbc\xaf\x27\x1c\x00\x04rest");
    let r = d.run(&["--no-config", "--require-encrypted", "old.7z"]);
    r.expect_code(3);
    assert!(r.stderr().contains("backup check INCOMPLETE"), "{r}");
}
