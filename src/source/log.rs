//! Log following (`leakscan watch`): files, directories and globs followed like `tail -F`,
//! new bytes pushed as chunks as they are written.
//!
//! Invariants: each byte of a followed file is owned by exactly one chunk (only complete lines
//! are pushed; a partial line waits for its newline unless it exceeds [`PARTIAL_CAP`] or the
//! watch ends); each
//! chunk carries up to [`CONTEXT`] bytes already scanned before its owned range, so a
//! multi-line secret is seen whole — and an unterminated `-----BEGIN` line in that context is
//! re-owned so the block is reported once, when its END arrives. Rename-rotation (the name
//! now points to another inode) drains the old file first; copytruncate (the size shrank)
//! restarts at 0; a rotated file seen again under another followed name is continued where it
//! was left, not re-read. Polling (every [`POLL`]) costs one `stat` per file when idle. Memory per file
//! is bounded by `CONTEXT + PARTIAL_CAP + READ_MAX`.
//! Depends on `source`, `chunk`, `messages`, `globset`; never on `matcher` or `report`.

use super::Context;
use crate::chunk::{count_lines, sniff_content, Chunk, Origin};
use crate::messages;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often files are checked for new data.
pub const POLL: Duration = Duration::from_millis(100);
/// How often directories and globs are listed again for new files.
const DISCOVER: Duration = Duration::from_millis(500);
/// Bytes of already-scanned data kept before new data (multi-line secrets across writes).
pub const CONTEXT: usize = 64 << 10;
/// A line without a newline is pushed anyway once it is this long.
const PARTIAL_CAP: usize = 1 << 20;
/// Most bytes read from one file per poll (the rest on the next, without sleeping).
const READ_MAX: usize = 4 << 20;

/// How to follow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FollowOptions {
    /// Also scan what files hold when the watch starts (default: only what is appended).
    pub from_start: bool,
    /// Stop at this time, after a last look at every file (`None`: when the scan stops).
    pub until: Option<Instant>,
}

/// Follows `specs` (files, directories, globs) until the scan stops or `opts.until`.
pub fn follow(ctx: &Context<'_>, specs: &[PathBuf], opts: FollowOptions) {
    let mut files: BTreeMap<PathBuf, Followed> = BTreeMap::new();
    let mut inodes = Inodes::default();
    let mut last_discovery: Option<Instant> = None;
    let mut last_look = false;
    'watch: while !ctx.is_stopping() {
        // Past the deadline: one more discovery, then polls until every file is read to its
        // end (a poll reads at most READ_MAX of a file), then stop.
        let past = opts.until.is_some_and(|t| Instant::now() >= t);
        if (past && !last_look) || last_discovery.is_none_or(|t| t.elapsed() >= DISCOVER) {
            let first = last_discovery.is_none();
            for path in discover(specs) {
                let skip = first && !opts.from_start && path.exists();
                files.entry(path.clone()).or_insert_with(|| Followed::new(path, skip));
            }
            last_discovery = Some(Instant::now());
        }
        last_look |= past;
        let mut busy = false;
        for f in files.values_mut() {
            busy |= f.poll(ctx, &mut inodes);
            if ctx.is_stopping() {
                break 'watch;
            }
        }
        if !busy {
            if last_look {
                break;
            }
            std::thread::sleep(POLL);
        }
    }
    // No newline will come now: a last line written without one (a process killed mid-line,
    // a log ended without its newline) is scanned too.
    for f in files.values_mut() {
        f.finish(ctx);
    }
}

/// The files named by the specs right now: a file path as is (even before it exists), the
/// regular files directly in a directory, the files matching a glob's last component.
fn discover(specs: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for spec in specs {
        let text = spec.to_string_lossy();
        if text.contains(['*', '?', '[']) {
            let Some(name) = spec.file_name().map(|n| n.to_string_lossy().into_owned()) else { continue };
            let dir = spec.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            match globset::Glob::new(&name).map(|g| g.compile_matcher()) {
                Ok(g) => out.extend(list(dir).into_iter().filter(|p| p.file_name().is_some_and(|n| g.is_match(n)))),
                Err(e) => messages::warn(&format!("watch: bad glob {}: {e}", messages::escape(text.as_bytes()))),
            }
        } else if spec.is_dir() {
            out.extend(list(spec));
        } else {
            out.push(spec.clone());
        }
    }
    out
}

/// Regular files directly inside `dir`, sorted.
fn list(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// Which follower holds each file (by identity), and where released files were left, so a
/// rotated file picked up again under a new name (`app.log` → `app.log.1` in a followed
/// directory) is continued, not re-read.
#[derive(Default)]
struct Inodes {
    held: HashMap<u64, PathBuf>,
    released: HashMap<u64, u64>,
}

/// Most released positions remembered (rotated files that were deleted leave entries).
const RELEASED_CAP: usize = 4096;

/// One followed file: the open handle, where we are, and the context kept for the matcher.
struct Followed {
    path: PathBuf,
    file: Option<(File, u64)>,
    /// Start at the end of the first file opened (the file existed when the watch began).
    skip_existing: bool,
    /// What was read of the current file.
    lines: Lines,
    missing_warned: bool,
}

/// An input read as it grows, pushed as complete lines (a followed file, or standard input
/// from a pipe that a live process writes to).
struct Lines {
    origin: Arc<Origin>,
    /// Input offset of `buf[0]`; `buf` = context (already owned by earlier chunks) + pending.
    offset: u64,
    buf: Vec<u8>,
    /// Bytes of `buf` already scanned.
    scanned: usize,
    /// Line of `buf[0]` (1-based) and input offset where that line starts.
    line: u64,
    line_start: u64,
}

impl Followed {
    fn new(path: PathBuf, skip_existing: bool) -> Self {
        let lines = Lines::new(Arc::new(Origin::File { path: path.clone() }), 0);
        Followed { path, file: None, skip_existing, lines, missing_warned: false }
    }

    /// Checks the file once; returns true when it read data (poll again without sleeping).
    fn poll(&mut self, ctx: &Context<'_>, inodes: &mut Inodes) -> bool {
        let current = std::fs::metadata(&self.path).ok().map(|m| (inode(&m), m.len()));
        match (&self.file, current) {
            (None, None) => {
                if !self.missing_warned {
                    messages::note(&format!("watch: {} does not exist yet; waiting", self.show()));
                    self.missing_warned = true;
                }
                false
            }
            (None, Some(_)) => self.open(ctx, inodes),
            (Some((_, ino)), Some((new_ino, _))) if *ino != new_ino => {
                // Rename-rotation: finish the old file, then start the new one from 0.
                let old = *ino;
                self.drain(ctx);
                self.finish(ctx);
                inodes.held.remove(&old);
                if inodes.released.len() >= RELEASED_CAP {
                    inodes.released.clear();
                }
                inodes.released.insert(old, self.end());
                self.file = None;
                self.skip_existing = false;
                self.open(ctx, inodes)
            }
            (Some(_), Some((_, len))) if len < self.end() => {
                // Copytruncate: the file was emptied in place; start again at 0.
                self.finish(ctx);
                self.reset(0);
                if let Some((f, _)) = &mut self.file {
                    let _ = f.seek(SeekFrom::Start(0));
                }
                self.drain(ctx)
            }
            _ => self.drain(ctx),
        }
    }

    /// Opens the file where another follower left it, else at its end (first file, existing
    /// at start) or at 0, and reads. Waits while another follower still holds that file.
    fn open(&mut self, ctx: &Context<'_>, inodes: &mut Inodes) -> bool {
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) => {
                messages::warn(&format!("watch: {}: {e}", self.show()));
                return false;
            }
        };
        let Ok(meta) = file.metadata() else { return false };
        let id = inode(&meta);
        if inodes.held.get(&id).is_some_and(|holder| *holder != self.path) {
            return false;
        }
        let start = match inodes.released.remove(&id) {
            Some(at) => at.min(meta.len()),
            None if self.skip_existing => meta.len(),
            None => 0,
        };
        inodes.held.insert(id, self.path.clone());
        self.skip_existing = false;
        if file.seek(SeekFrom::Start(start)).is_err() {
            return false;
        }
        self.lines = Lines::new(Arc::new(Origin::File { path: self.path.clone() }), start);
        self.file = Some((file, id));
        ctx.tally.files.fetch_add(1, Ordering::Relaxed);
        self.drain(ctx)
    }

    /// Forgets all state: the next byte read is at file offset `at`.
    fn reset(&mut self, at: u64) {
        self.lines = Lines::new(Arc::clone(&self.lines.origin), at);
    }

    /// File offset just past the bytes read so far.
    fn end(&self) -> u64 {
        self.lines.end()
    }

    /// Reads what was appended (at most [`READ_MAX`]) and pushes complete lines.
    fn drain(&mut self, ctx: &Context<'_>) -> bool {
        let Some((file, _)) = &mut self.file else { return false };
        let before = self.lines.buf.len();
        if let Err(e) = file.take(READ_MAX as u64).read_to_end(&mut self.lines.buf) {
            messages::warn(&format!("watch: {}: {e}", self.show()));
        }
        let got = self.lines.buf.len() - before;
        ctx.tally.bytes.fetch_add(got as u64, Ordering::Relaxed);
        self.lines.push_lines(ctx);
        got > 0
    }

    /// Pushes any partial last line (at rotation, truncation, and when the watch ends).
    fn finish(&mut self, ctx: &Context<'_>) {
        self.lines.finish(ctx);
    }

    fn show(&self) -> String {
        messages::escape(&crate::chunk::path_bytes(&self.path))
    }
}

impl Lines {
    /// Nothing read yet; the next byte is at input offset `at`.
    fn new(origin: Arc<Origin>, at: u64) -> Lines {
        Lines { origin, offset: at, buf: Vec::new(), scanned: 0, line: 1, line_start: at }
    }

    /// Input offset just past the bytes read so far.
    fn end(&self) -> u64 {
        self.offset + self.buf.len() as u64
    }

    /// Pushes the complete lines not scanned yet (and a partial line past [`PARTIAL_CAP`]).
    fn push_lines(&mut self, ctx: &Context<'_>) {
        let pending = &self.buf[self.scanned..];
        match memchr::memrchr(b'\n', pending) {
            Some(nl) => self.push(ctx, self.scanned + nl + 1),
            None if pending.len() >= PARTIAL_CAP => self.push(ctx, self.buf.len()),
            None => {}
        }
    }

    /// Pushes everything not scanned yet, a partial last line too (nothing more will come).
    fn finish(&mut self, ctx: &Context<'_>) {
        if self.buf.len() > self.scanned {
            self.push(ctx, self.buf.len());
        }
    }

    /// Pushes `buf[..end]` as a chunk owning `scanned..end` (or from an open PEM block's line),
    /// then trims the context to [`CONTEXT`] bytes.
    fn push(&mut self, ctx: &Context<'_>, end: usize) {
        let owned_from = open_block_start(&self.buf[..self.scanned]).unwrap_or(self.scanned);
        let chunk = Chunk {
            origin: Arc::clone(&self.origin),
            data: {
                // A kept chunk buffer (scanned chunks give theirs back), not a fresh one.
                let mut data = crate::chunk::buffer(end);
                data.extend_from_slice(&self.buf[..end]);
                data
            },
            offset: self.offset,
            line: self.line,
            line_start: self.line_start,
            owned: owned_from..end,
            content: sniff_content(&self.buf[..end]),
        };
        if !(ctx.push)(chunk) {
            return;
        }
        self.scanned = end;
        let drop = self.scanned.saturating_sub(CONTEXT);
        if drop > 0 {
            let gone = &self.buf[..drop];
            self.line += count_lines(gone);
            if let Some(nl) = memchr::memrchr(b'\n', gone) {
                self.line_start = self.offset + nl as u64 + 1;
            }
            self.buf.drain(..drop);
            self.offset += drop as u64;
            self.scanned -= drop;
        }
    }
}

/// Bytes asked of a live stream per read: a shorter answer means the writer has paused.
const STREAM_READ: usize = 64 << 10;

/// Scans a stream a live process writes to (`tail -f app.log | leakscan`), `first` being its
/// first bytes: complete lines are scanned whenever the writer pauses (a read answers short),
/// or once [`READ_MAX`] bytes are pending, so a finding is reported when its line is written,
/// not when the stream ends. A partial line waits for its newline, or for the end.
pub fn stream(ctx: &Context<'_>, origin: Origin, first: Vec<u8>, reader: &mut dyn Read) {
    let mut lines = Lines::new(Arc::new(origin), 0);
    ctx.tally.bytes.fetch_add(first.len() as u64, Ordering::Relaxed);
    lines.buf = first;
    let mut paused = true;
    loop {
        if paused || lines.buf.len() - lines.scanned >= READ_MAX {
            lines.push_lines(ctx);
        }
        if ctx.is_stopping() {
            break;
        }
        let before = lines.buf.len();
        lines.buf.resize(before + STREAM_READ, 0);
        let read = reader.read(&mut lines.buf[before..]);
        lines.buf.truncate(before + *read.as_ref().unwrap_or(&0));
        match read {
            Ok(0) => break,
            Ok(n) => {
                ctx.tally.bytes.fetch_add(n as u64, Ordering::Relaxed);
                paused = n < STREAM_READ;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                messages::incomplete(
                    "unreadable input",
                    &format!("{}: {e}", messages::escape(&lines.origin.display_bytes())),
                );
                break;
            }
        }
    }
    lines.finish(ctx);
    ctx.count_file();
}

/// The start of the line holding the last `-----BEGIN` in `context` when no `-----END`
/// follows it: that block is still open, so its match will start there.
fn open_block_start(context: &[u8]) -> Option<usize> {
    let begin = memchr::memmem::rfind(context, b"-----BEGIN")?;
    if memchr::memmem::find(&context[begin..], b"-----END").is_some() {
        return None;
    }
    Some(memchr::memrchr(b'\n', &context[..begin]).map_or(0, |nl| nl + 1))
}

/// The file's identity: device, inode and birth time on Unix (a deleted file's inode number
/// is soon reused; its birth time is not); the birth time elsewhere.
fn inode(meta: &std::fs::Metadata) -> u64 {
    let born = meta.created().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
    let born = born.map_or(0, |d| d.as_nanos() as u64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.ino() ^ meta.dev().rotate_left(32) ^ born.rotate_left(17)
    }
    #[cfg(not(unix))]
    {
        born
    }
}

#[cfg(test)]
mod tests {
    use super::open_block_start;

    #[test]
    fn open_pem_block_is_found() {
        assert_eq!(open_block_start(b"a\n-----BEGIN X-----\nAAAA\n"), Some(2));
        assert_eq!(open_block_start(b"a\n-----BEGIN X-----\nAAAA\n-----END X-----\n"), None);
        assert_eq!(open_block_start(b"plain\n"), None);
    }
}
