//! `leakscan crashtest -- CMD ARGS`: runs CMD with generated canary secrets in its environment,
//! captures its stdout/stderr to files, waits `--after` seconds (or until it exits), lets the
//! scan read its memory, then aborts it (SIGABRT); a reporter wrapper records which canary
//! leaked where.
//!
//! Invariant: canaries are synthetic (fresh random bodies, valid formats) and never printed in
//! full: the leak report names the canary variable and the location only.
//! Depends on `report`, `finding`, `summary`, `known`, `rules` (for the GitHub checksum).

use crate::finding::{Finding, Secret};
use crate::known::KnownValue;
use crate::report::Reporter;
use crate::summary::Summary;
use anyhow::{anyhow, Result};
use std::ffi::OsString;
use std::io;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A canary: the environment variable it is planted in and its value.
pub type Canary = (String, String);

/// The command under test, running or finished.
pub struct Launched {
    /// The child process.
    pub child: Child,
    /// Where its stdout and stderr were written.
    pub outputs: [PathBuf; 2],
    /// The planted canaries.
    pub canaries: Vec<Canary>,
    /// True while it may be running: it outlived `--after`, and `abort` has not ended it yet.
    pub running: bool,
    /// When it was started (a core file written since then may be its).
    pub started: std::time::SystemTime,
    /// The same moment on the monotonic clock (`--after` counts from it).
    pub start: Instant,
}

/// Fresh canaries, one per common format, each in the variable an application reads it from:
/// a GitHub classic token (valid checksum), an AWS access key id, a Stripe live secret key, a
/// Slack bot token, an OpenAI project key, and a database password no rule could tell from
/// text (found only as a known value). Bodies are random, never a real credential.
pub fn canaries() -> Vec<Canary> {
    let mut seed =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id()).rotate_left(32);
    let mut pick = |alphabet: &[u8], n: usize| -> String {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                alphabet[(seed % alphabet.len() as u64) as usize] as char
            })
            .collect()
    };
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const DIGITS: &[u8] = b"0123456789";
    let body = pick(B62, 30);
    let github = format!("ghp_{body}{}", crate::rules::base62_6(crc32fast::hash(body.as_bytes())));
    let aws = format!("AKIA{}", pick(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16));
    let stripe = format!("sk_live_{}", pick(B62, 99));
    let slack = format!(
        "xoxb-{}{}-{}{}-{}",
        pick(b"123456789", 1),
        pick(DIGITS, 11),
        pick(b"123456789", 1),
        pick(DIGITS, 12),
        pick(B62, 24)
    );
    let openai = format!("sk-proj-{}T3BlbkFJ{}", pick(B62, 48), pick(B62, 48));
    let password = pick(b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%+=", 20);
    vec![
        ("GITHUB_TOKEN".into(), github),
        ("AWS_ACCESS_KEY_ID".into(), aws),
        ("STRIPE_SECRET_KEY".into(), stripe),
        ("SLACK_BOT_TOKEN".into(), slack),
        ("OPENAI_API_KEY".into(), openai),
        ("DATABASE_PASSWORD".into(), password),
    ]
}

/// The canaries as known secrets, labelled `canary:NAME`: looked for in every encoding
/// (base64, hex, percent, JSON escapes, UTF-16LE) as well as by the rules.
pub fn known_values(canaries: &[Canary]) -> Vec<KnownValue> {
    canaries
        .iter()
        .map(|(name, value)| KnownValue { label: label(name), value: Secret::new(value.as_bytes().to_vec()) })
        .collect()
}

/// The known-secret label of a canary.
fn label(name: &str) -> String {
    format!("canary:{name}")
}

/// Starts `command` with the canaries in its environment and its output in `dir`, then waits
/// up to `after` for it to exit.
pub fn launch(command: &[OsString], after: Duration, dir: &std::path::Path) -> Result<Launched> {
    let (program, args) = command.split_first().ok_or_else(|| anyhow!("crashtest needs a command after --"))?;
    std::fs::create_dir_all(dir)?;
    let outputs = [dir.join("stdout"), dir.join("stderr")];
    let canaries = canaries();
    // Through `sh`, which lifts the core size limit (often 0) and then becomes CMD itself (same
    // pid, same working directory): a crash then leaves the core the system is set to write.
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(r#"ulimit -c unlimited 2>/dev/null; exec "$0" "$@""#).arg(program).args(args);
    cmd.stdin(Stdio::null());
    cmd.stdout(std::fs::File::create(&outputs[0])?).stderr(std::fs::File::create(&outputs[1])?);
    for (name, value) in &canaries {
        cmd.env(name, value);
    }
    let started = std::time::SystemTime::now();
    let mut child = cmd.spawn().map_err(|e| anyhow!("starting {}: {e}", program.to_string_lossy()))?;
    let start = Instant::now();
    let mut running = true;
    while start.elapsed() < after {
        if child.try_wait()?.is_some() {
            running = false;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(Launched { child, outputs, canaries, running, started, start })
}

/// Crashes the child with SIGABRT (through `kill(1)`: the crate has no unsafe and no libc) and
/// reaps it; falls back to SIGKILL. Returns how it ended. Called again, it only returns that
/// (the pid may belong to another process by then).
pub fn abort(launched: &mut Launched) -> Option<std::process::ExitStatus> {
    if std::mem::take(&mut launched.running) {
        let pid = launched.child.id().to_string();
        let sent = Command::new("kill").args(["-ABRT", &pid]).status().is_ok_and(|s| s.success());
        if !sent {
            let _ = launched.child.kill();
        }
    }
    launched.child.wait().ok()
}

/// Where the child's core went.
#[derive(Debug, PartialEq, Eq)]
pub enum CoreFile {
    /// The file the system wrote (by `/proc/sys/kernel/core_pattern`).
    Written(PathBuf),
    /// Handed to a program (`|/usr/lib/systemd/systemd-coredump …`): not a file leakscan finds.
    Handler(String),
    /// No core was written, or none was found where the pattern says.
    None,
}

/// The core file of a child that dumped core: `core_pattern` (and `core_uses_pid`) expanded for
/// its pid, relative to the working directory; specifiers other than `%p` and `%%` (time, host,
/// executable name…) match any text in the file name, among files changed since `started`.
pub fn core_file(pid: u32, dumped: bool, started: std::time::SystemTime) -> CoreFile {
    if !dumped {
        return CoreFile::None;
    }
    let Ok(pattern) = std::fs::read_to_string("/proc/sys/kernel/core_pattern") else { return CoreFile::None };
    let pattern = pattern.trim_end_matches('\n');
    if let Some(handler) = pattern.strip_prefix('|') {
        return CoreFile::Handler(handler.split_whitespace().next().unwrap_or("").to_string());
    }
    let uses_pid = std::fs::read_to_string("/proc/sys/kernel/core_uses_pid").is_ok_and(|v| v.trim() == "1");
    let mut name = pattern.replace("%%", "\0").replace("%p", &pid.to_string());
    if uses_pid && !pattern.contains("%p") {
        name.push_str(&format!(".{pid}"));
    }
    let path = PathBuf::from(name);
    let (dir, file) = match (path.parent(), path.file_name().and_then(|f| f.to_str())) {
        (Some(d), Some(f)) if !d.as_os_str().is_empty() => (d.to_path_buf(), f.to_string()),
        (_, Some(f)) => (PathBuf::from("."), f.to_string()),
        _ => return CoreFile::None,
    };
    if dir.to_string_lossy().contains('%') {
        return CoreFile::None;
    }
    // The file name as literal pieces between wildcards (each other `%x` specifier).
    let mut pieces: Vec<String> = vec![String::new()];
    let mut chars = file.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            chars.next();
            pieces.push(String::new());
        } else if let Some(last) = pieces.last_mut() {
            last.push(if c == '\0' { '%' } else { c });
        }
    }
    let fits = |candidate: &str| wildcard_match(&pieces, candidate);
    let Ok(entries) = std::fs::read_dir(&dir) else { return CoreFile::None };
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(fits))
        .filter_map(|e| {
            let meta = e.metadata().ok().filter(|m| m.is_file())?;
            let changed = meta.modified().ok().filter(|t| *t >= started)?;
            Some((changed, e.path()))
        })
        .collect();
    found.sort();
    found.pop().map_or(CoreFile::None, |(_, path)| CoreFile::Written(path))
}

/// Whether `s` is `pieces` joined by stretches of any text (the first piece a prefix, the last
/// a suffix).
fn wildcard_match(pieces: &[String], s: &str) -> bool {
    let Some((first, rest)) = pieces.split_first() else { return s.is_empty() };
    let Some(mut tail) = s.strip_prefix(first.as_str()) else { return false };
    if rest.is_empty() {
        return tail.is_empty();
    }
    let (last, middle) = rest.split_last().expect("rest is not empty");
    for piece in middle {
        match tail.find(piece.as_str()) {
            Some(at) => tail = &tail[at + piece.len()..],
            None => return false,
        }
    }
    tail.ends_with(last.as_str())
}

/// Forwards findings and records, for each one holding a canary, (variable, location).
pub struct CanaryReporter {
    /// The real reporter.
    pub inner: Box<dyn Reporter>,
    /// The planted canaries.
    pub canaries: Vec<Canary>,
    /// Leaks seen: (canary variable, finding location).
    pub leaks: Arc<Mutex<Vec<(String, String)>>>,
}

impl Reporter for CanaryReporter {
    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        for (name, value) in &self.canaries {
            // Found by a rule as itself, or as a known value in some encoding.
            let known = crate::known::label_of(&f.rule) == Some(label(name).as_str());
            if known || f.secret.expose() == value.as_bytes() {
                if let Ok(mut leaks) = self.leaks.lock() {
                    leaks.push((name.clone(), f.location()));
                }
            }
        }
        self.inner.finding(f)
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.inner.finish(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn core_pattern_wildcards() {
        let p = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        // `core.%e.1234.%t` after %p is expanded: two wildcards.
        let pieces = p(&["core.", ".1234.", ""]);
        assert!(wildcard_match(&pieces, "core.agent.1234.1700000000"));
        assert!(!wildcard_match(&pieces, "core.agent.4321.1700000000"));
        assert!(!wildcard_match(&pieces, "xcore.agent.1234.1"));
        // `core` alone: exactly that name.
        assert!(wildcard_match(&p(&["core"]), "core"));
        assert!(!wildcard_match(&p(&["core"]), "core.1"));
        // `%e.core`: any prefix.
        assert!(wildcard_match(&p(&["", ".core"]), "sleep.core"));
        assert!(!wildcard_match(&p(&["", ".core"]), "sleep.core.gz"));
    }
}
