//! Test builders: a temp dir per test, the binary run hermetically, synthetic tokens made at
//! run time (no secret-shaped literal is committed).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A unique temporary directory and helpers to fill it and run leakscan in it.
pub struct Dir {
    pub tmp: tempfile::TempDir,
}

/// The result of one run, with a description for failure messages.
pub struct Run {
    pub cmd: String,
    pub out: Output,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.out.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    /// Panics with the command, stdout and stderr unless the exit code is `code`.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code(), code, "{self}");
        self
    }
    /// The `"type":"finding"` records of a JSON Lines run.
    pub fn findings(&self) -> Vec<serde_json::Value> {
        self.records().into_iter().filter(|v| v["type"] == "finding").collect()
    }
    /// The summary record of a JSON Lines run.
    pub fn summary(&self) -> serde_json::Value {
        self.records().into_iter().find(|v| v["type"] == "summary").unwrap_or_else(|| panic!("no summary: {self}"))
    }
    fn records(&self) -> Vec<serde_json::Value> {
        self.stdout()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}\n{self}")))
            .collect()
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "command: {}\nexit: {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.cmd,
            self.out.status,
            self.stdout(),
            self.stderr()
        )
    }
}

impl Dir {
    pub fn new() -> Dir {
        Dir { tmp: tempfile::tempdir().expect("tempdir") }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// Writes `content` at `rel`, creating parent directories.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        p
    }

    /// A command for the binary, run in this directory with a hermetic environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_leakscan"));
        c.args(args).current_dir(self.path()).env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default());
        c
    }

    /// Runs leakscan with `args` and no stdin.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut c = self.cmd(args);
        c.stdin(Stdio::null());
        Run { cmd: format!("leakscan {}", args.join(" ")), out: c.output().expect("spawn leakscan") }
    }

    /// Runs leakscan with `args`, feeding `input` on stdin.
    pub fn run_stdin(&self, args: &[&str], input: &[u8]) -> Run {
        let mut c = self.cmd(args);
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn leakscan");
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        Run { cmd: format!("leakscan {} < input", args.join(" ")), out }
    }
}

/// A tiny deterministic generator for synthetic tokens.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn pick(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char).collect()
    }
}

pub const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A synthetic GitHub classic token with a valid checksum.
pub fn github_token(seed: u64) -> String {
    let random = Rng::new(seed).pick(BASE62, 30);
    format!("ghp_{random}{}", leakscan::rules::base62_6(crc32fast::hash(random.as_bytes())))
}

/// A synthetic AWS access key id.
pub fn aws_key_id(seed: u64) -> String {
    format!("AKIA{}", Rng::new(seed).pick(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16))
}
