//! Files and directory trees, walked in parallel with the `ignore` crate.
//!
//! Invariant: by default everything is read — hidden files, git-ignored files, `.git/config` —
//! except the compressed object store `.git/objects` (history is `leakscan git`'s job). Ignore
//! files inside a target apply only with `--gitignore`. Only regular files are opened (with
//! `O_NONBLOCK`, so a file swapped for a FIFO cannot hang the walk); symlinks are followed only
//! with `--follow`. Every entry not read is counted in the tally by reason.
//! Depends on `source`, `chunk`, `messages`, `ignore`.

use super::Context;
use crate::chunk::Origin;
use crate::messages;
use ignore::{WalkBuilder, WalkState};
use std::fs::{File, Metadata, OpenOptions};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How the walk behaves.
#[derive(Clone)]
pub struct WalkOptions {
    /// Honour `.gitignore`, `.ignore` and `.git/info/exclude` (off by default).
    pub gitignore: bool,
    /// Follow symbolic links.
    pub follow: bool,
    /// Walked files larger than this are skipped (explicit paths never are).
    pub max_file_size: Option<u64>,
    /// Walker threads.
    pub threads: usize,
    /// Entries for which this returns a reason are skipped (a directory: with everything
    /// below it) and counted under that reason (e.g. config allowlists).
    pub exclude: Exclude,
}

/// Says why a walked entry is not to be read, or `None` to read it.
pub type Exclude = Arc<dyn Fn(&Path, Entry) -> Option<&'static str> + Send + Sync>;

/// What a walked entry is, for [`WalkOptions::exclude`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A regular file.
    File,
    /// A directory (excluding it prunes the walk).
    Dir,
}

const SKIP_SYMLINK: &str = "symlink (not followed; use --follow)";
const SKIP_SPECIAL: &str = "special file (fifo, socket or device)";
const SKIP_TOO_LARGE: &str = "larger than --max-file-size";
const SKIP_OBJECTS: &str = "git object store (scan history with `leakscan git`)";
const SKIP_LOOP: &str = "symlink loop";

/// Scans one path given by the user: a file (or FIFO, or device) is read whatever its size; a
/// directory is walked.
pub fn scan_path(ctx: &Context<'_>, path: &Path, opts: &WalkOptions) {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            messages::incomplete("unreadable path", &format!("{}: {e}", show(path)));
            return;
        }
    };
    if meta.is_dir() {
        walk(ctx, path, opts);
    } else {
        // An explicit FIFO or device is what the user asked for: read it (blocking).
        match File::open(path) {
            Ok(mut f) => ctx.read(Origin::File { path: path.to_path_buf() }, &mut f),
            Err(e) => messages::incomplete("unreadable file", &format!("{}: {e}", show(path))),
        }
    }
}

fn walk(ctx: &Context<'_>, root: &Path, opts: &WalkOptions) {
    let mut builder = WalkBuilder::new(root);
    builder
        .standard_filters(false)
        .hidden(false)
        .parents(opts.gitignore)
        .ignore(opts.gitignore)
        .git_ignore(opts.gitignore)
        .git_exclude(opts.gitignore)
        .git_global(false)
        .require_git(false)
        .follow_links(opts.follow)
        .threads(opts.threads);
    let stores = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&stores);
    builder.filter_entry(move |entry| {
        let skip = is_object_store(entry.path());
        if skip {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        !skip
    });
    // The walk reads on several threads: each scans the files that fit one chunk itself.
    let ctx = &ctx.inline();
    builder.build_parallel().run(|| {
        Box::new(|result| {
            if ctx.is_stopping() {
                return WalkState::Quit;
            }
            match result {
                Ok(entry) => visit(ctx, entry, opts),
                Err(err) => {
                    walk_error(ctx, err);
                    WalkState::Continue
                }
            }
        })
    });
    for _ in 0..stores.load(Ordering::Relaxed) {
        ctx.tally.skip(SKIP_OBJECTS);
    }
}

fn visit(ctx: &Context<'_>, entry: ignore::DirEntry, opts: &WalkOptions) -> WalkState {
    let Some(ft) = entry.file_type() else { return WalkState::Continue };
    let path = entry.path();
    if ft.is_dir() {
        if entry.depth() > 0 {
            if let Some(reason) = (opts.exclude)(path, Entry::Dir) {
                ctx.tally.skip(reason);
                return WalkState::Skip;
            }
        }
        return WalkState::Continue;
    }
    if ft.is_symlink() {
        ctx.tally.skip(SKIP_SYMLINK);
        messages::note(&format!("skipped {}: {SKIP_SYMLINK}", show(path)));
    } else if !ft.is_file() {
        ctx.tally.skip(SKIP_SPECIAL);
        messages::note(&format!("skipped {}: {SKIP_SPECIAL}", show(path)));
    } else if let Some(reason) = (opts.exclude)(path, Entry::File) {
        ctx.tally.skip(reason);
    } else {
        read_walked(ctx, path, opts);
    }
    WalkState::Continue
}

/// Opens a walked file without blocking, checks it is (still) a regular file of allowed size,
/// and reads it.
fn read_walked(ctx: &Context<'_>, path: &Path, opts: &WalkOptions) {
    let file = match open_nonblocking(path) {
        Ok(f) => f,
        Err(e) => {
            messages::incomplete("unreadable file", &format!("{}: {e}", show(path)));
            return;
        }
    };
    let meta: Metadata = match file.metadata() {
        Ok(m) => m,
        Err(e) => {
            messages::incomplete("unreadable file", &format!("{}: {e}", show(path)));
            return;
        }
    };
    if !meta.is_file() {
        ctx.tally.skip(SKIP_SPECIAL);
        return;
    }
    if opts.max_file_size.is_some_and(|max| meta.len() > max) {
        ctx.tally.skip(SKIP_TOO_LARGE);
        messages::note(&format!("skipped {}: {SKIP_TOO_LARGE}", show(path)));
        return;
    }
    let mut file = file;
    ctx.read(Origin::File { path: path.to_path_buf() }, &mut file);
}

fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        const O_NONBLOCK: i32 = 0o4000;
        options.custom_flags(O_NONBLOCK);
    }
    options.open(path)
}

fn walk_error(ctx: &Context<'_>, err: ignore::Error) {
    if is_loop(&err) {
        ctx.tally.skip(SKIP_LOOP);
        messages::warn(&format!("{}", Escaped(&err)));
    } else {
        messages::incomplete("unreadable path", &format!("{}", Escaped(&err)));
    }
}

fn is_loop(err: &ignore::Error) -> bool {
    match err {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => is_loop(err),
        ignore::Error::Partial(errs) => errs.iter().any(is_loop),
        ignore::Error::Io(e) => e.raw_os_error() == Some(40), // ELOOP
        _ => false,
    }
}

/// `.git/objects` (and a bare repository's `objects`) is compressed history, not a tree.
fn is_object_store(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "objects")
        && path.parent().and_then(Path::file_name).is_some_and(|n| n == ".git")
}

/// A path escaped for stderr.
fn show(path: &Path) -> String {
    messages::escape(&crate::chunk::path_bytes(path))
}

/// Displays an error with control characters from file names escaped.
struct Escaped<'a, E: std::fmt::Display>(&'a E);

impl<E: std::fmt::Display> std::fmt::Display for Escaped<'_, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&messages::escape(self.0.to_string().as_bytes()))
    }
}
