//! Live processes through `/proc`: each environment variable of `environ` (and of each
//! thread's `task/*/environ` when it differs), `cmdline`, and with `--mem` the readable
//! regions of `/proc/PID/maps` read through `/proc/PID/mem` within a byte budget.
//!
//! Invariant: each environment variable is its own input (`Origin::Process` with field
//! `environ:NAME`), so a finding names the variable it lies in. A process the user cannot read
//! is counted as skipped under `--all` and marks the scan incomplete when asked for by
//! `--pid`; a memory region that cannot be read is a warning, never fatal.
//! Depends on `source`, `chunk`, `messages`.

use super::Context;
use crate::chunk::{Origin, SegmentView};
use crate::messages;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

/// Which processes to scan and how deep.
#[derive(Debug, Clone, Default)]
pub struct Select {
    /// These processes (`--pid`).
    pub pids: Vec<u32>,
    /// Every process under `/proc` (`--all`).
    pub all: bool,
    /// Also read process memory (`--mem`) up to this many bytes per process.
    pub mem_budget: Option<u64>,
}

const SKIP_UNREADABLE: &str = "process not readable (permission or gone)";
const SKIP_KERNEL_THREAD: &str = "kernel thread (no environment or memory)";

/// Whether `/proc/PID` (`base`) is a kernel thread: `PF_KTHREAD` in the flags of its `stat`
/// (the 9th field; the 2nd, the command in parentheses, may hold spaces and parentheses).
fn is_kernel_thread(base: &std::path::Path) -> bool {
    const PF_KTHREAD: u64 = 0x0020_0000;
    let Ok(stat) = std::fs::read(base.join("stat")) else { return false };
    let Some(close) = stat.iter().rposition(|&b| b == b')') else { return false };
    let fields = String::from_utf8_lossy(&stat[close + 1..]).into_owned();
    fields.split_whitespace().nth(6).and_then(|f| f.parse::<u64>().ok()).is_some_and(|flags| flags & PF_KTHREAD != 0)
}

/// Scans the selected processes.
pub fn scan(ctx: &Context<'_>, select: &Select) {
    let pids = if select.all { all_pids() } else { select.pids.clone() };
    for pid in pids {
        if ctx.is_stopping() {
            return;
        }
        if pid == std::process::id() {
            continue; // our own environment holds nothing the user asked about
        }
        scan_process(ctx, pid, select);
    }
}

fn all_pids() -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        messages::incomplete("unreadable path", "/proc: cannot list processes");
        return Vec::new();
    };
    let mut pids: Vec<u32> = dir.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect();
    pids.sort_unstable();
    pids
}

fn scan_process(ctx: &Context<'_>, pid: u32, select: &Select) {
    let base = PathBuf::from(format!("/proc/{pid}"));
    let comm = std::fs::read(base.join("comm"))
        .map(|c| String::from_utf8_lossy(c.strip_suffix(b"\n").unwrap_or(&c)).into_owned())
        .unwrap_or_else(|_| "?".into());
    let origin = |field: String| Origin::Process { pid, comm: comm.clone(), field };
    let environ = match std::fs::read(base.join("environ")) {
        Ok(e) => e,
        // A kernel thread has no user memory, so no environment, command line or memory:
        // nothing was left unread.
        Err(_) if is_kernel_thread(&base) => {
            ctx.tally.skip(SKIP_KERNEL_THREAD);
            return;
        }
        Err(e) => {
            if select.all {
                ctx.tally.skip(SKIP_UNREADABLE);
            } else {
                messages::incomplete("unreadable process", &format!("pid {pid}: environ: {e}"));
            }
            return;
        }
    };
    scan_environ(ctx, &environ, "environ", &origin);
    match std::fs::read(base.join("cmdline")) {
        Ok(c) => read_bytes(ctx, origin("cmdline".into()), &c),
        Err(e) => messages::warn(&format!("pid {pid}: cmdline: {e}")),
    }
    if let Ok(tasks) = std::fs::read_dir(base.join("task")) {
        for task in tasks.flatten() {
            let tid = task.file_name().to_string_lossy().into_owned();
            match std::fs::read(task.path().join("environ")) {
                Ok(e) if e != environ => scan_environ(ctx, &e, &format!("task/{tid}/environ"), &origin),
                _ => {}
            }
        }
    }
    if let Some(budget) = select.mem_budget {
        scan_memory(ctx, pid, &comm, budget);
    }
    ctx.count_file();
}

/// Scans bytes already in memory as part of a process (one input per process is counted).
fn read_bytes(ctx: &Context<'_>, origin: Origin, bytes: &[u8]) {
    // Reading from memory cannot fail.
    let _ = ctx.read_stream(Arc::new(origin), &mut Cursor::new(bytes));
}

/// One input per `NAME=value` entry, so findings carry the variable's name.
fn scan_environ(ctx: &Context<'_>, environ: &[u8], field: &str, origin: &dyn Fn(String) -> Origin) {
    for entry in environ.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        let name = entry.iter().position(|&b| b == b'=').map_or(entry, |eq| &entry[..eq]);
        let name = crate::messages::escape(name);
        read_bytes(ctx, origin(format!("{field}:{name}")), entry);
    }
}

/// Reads the readable regions of `/proc/PID/maps` through `/proc/PID/mem` (stack, heap and
/// anonymous memory first, then mapped files; each in address order) until `budget` bytes
/// were read.
fn scan_memory(ctx: &Context<'_>, pid: u32, comm: &str, budget: u64) {
    let (maps, mut mem) =
        match (std::fs::read_to_string(format!("/proc/{pid}/maps")), std::fs::File::open(format!("/proc/{pid}/mem"))) {
            (Ok(maps), Ok(mem)) => (maps, mem),
            (Err(e), _) | (_, Err(e)) => {
                messages::incomplete("unreadable process memory", &format!("pid {pid}: {e}"));
                return;
            }
        };
    let outer = Arc::new(Origin::Process { pid, comm: comm.to_string(), field: "mem".into() });
    let mut left = budget;
    // Where secrets live first (stack, heap, anonymous memory), mapped files last.
    let mut regions: Vec<Region> = maps.lines().filter_map(parse_maps_line).collect();
    regions.sort_by_key(|r| {
        let rank = match r.mapping.as_str() {
            "stack" => 0,
            "heap" => 1,
            "anon" => 2,
            _ => 3,
        };
        (rank, r.start)
    });
    for region in regions {
        if left == 0 {
            messages::warn(&format!("pid {pid}: memory budget of {budget} bytes reached; the rest was not read"));
            break;
        }
        let len = (region.end - region.start).min(left);
        let view = SegmentView { mapping: region.mapping, pid: Some(pid), process: Some(comm.to_string()) };
        let origin = Arc::new(Origin::Segment { outer: Arc::clone(&outer), vaddr: region.start, view: Arc::new(view) });
        if mem.seek(SeekFrom::Start(region.start)).is_err() {
            continue;
        }
        match ctx.read_stream(origin, &mut (&mut mem).take(len)) {
            Ok(n) => left -= n.min(left),
            Err(f) => messages::warn(&format!("pid {pid}: {:#x}: {} (region skipped)", region.start, f.error)),
        }
    }
}

/// One readable line of `/proc/PID/maps`.
#[derive(Debug, PartialEq, Eq)]
struct Region {
    start: u64,
    end: u64,
    mapping: String,
}

/// `start-end perms offset dev inode [path]`; `None` for unreadable or malformed lines and
/// for `[vvar]`/`[vsyscall]` (not readable through `mem`).
fn parse_maps_line(line: &str) -> Option<Region> {
    let mut parts = line.split_whitespace();
    let (range, perms) = (parts.next()?, parts.next()?);
    let path = parts.nth(3).map(|_| line.splitn(6, char::is_whitespace).nth(5).unwrap_or("").trim());
    let (start, end) = range.split_once('-')?;
    let (start, end) = (u64::from_str_radix(start, 16).ok()?, u64::from_str_radix(end, 16).ok()?);
    if !perms.starts_with('r') || end <= start || path.is_some_and(|p| p == "[vvar]" || p == "[vsyscall]") {
        return None;
    }
    let mapping = match path {
        Some("[heap]") => "heap".to_string(),
        Some(p) if p.starts_with("[stack") => "stack".to_string(),
        Some(p) if !p.is_empty() => p.to_string(),
        _ => "anon".to_string(),
    };
    Some(Region { start, end, mapping })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_maps_lines() {
        let r = parse_maps_line("7ffd1000-7ffd3000 rw-p 00000000 00:00 0                          [stack]").unwrap();
        assert_eq!((r.start, r.end, r.mapping.as_str()), (0x7ffd1000, 0x7ffd3000, "stack"));
        let r = parse_maps_line("55d0-55e0 r-xp 00001000 08:01 1234   /usr/bin/my app").unwrap();
        assert_eq!(r.mapping, "/usr/bin/my app");
        assert_eq!(parse_maps_line("1000-2000 rw-p 00000000 00:00 0").unwrap().mapping, "anon");
        assert!(parse_maps_line("1000-2000 ---p 00000000 00:00 0").is_none());
        assert!(parse_maps_line("zz-2000 r--p 0 0 0").is_none());
    }
}
