//! `leakscan git`: history, the staged index and pushed ranges, read through git2 only.
//!
//! Invariant: nothing a repository configures ever runs — no `git` subprocess, textconv or diff
//! driver, clean/smudge filter, fsmonitor or hook. Objects are read raw from the object
//! database: trees are parsed here (`git/tree.rs`), blobs are never filtered, and no libgit2
//! diff runs (so no attribute applies).
//! Each unique blob is scanned once: commits are walked parents first and each commit's tree
//! is compared with its parents' trees (`git/walk.rs`), so the commit and path that first
//! introduced a blob own its findings; of a modified file only the lines no parent version
//! has are scanned (the others were scanned where they were added, or are outside the range
//! asked for; `git/lines.rs`). Blobs are read and masked on reader threads, each with its own
//! `Repository`. A corrupt or missing object is a warning that marks the scan incomplete; the
//! rest is still scanned. `git2` types never leave this module and its submodules.
//! Depends on `source`, `chunk`, `messages`, `git2`, `crossbeam-channel`.

mod blob;
mod index;
mod lines;
mod push;
mod staged;
mod tree;
mod walk;

pub use push::PushUpdate;

use super::fs::{Entry, Exclude};
use super::Context;
use crate::chunk::{CommitMeta, Origin};
use crate::messages;
use blob::{Job, Work};
use git2::{ObjectType, Oid, Repository, Revwalk, Sort};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use walk::{NewBlob, Sink, Taken, TreeWalk};

/// What `leakscan git` scans, built once by `cli`.
pub struct GitOptions {
    /// Any path inside the repository; `None`: `GIT_DIR` or the current directory.
    pub repo: Option<PathBuf>,
    /// History, index or pushed commits.
    pub mode: Mode,
    /// Blob reader threads.
    pub threads: usize,
    /// Paths (joined to the work tree) for which this returns a reason are not scanned.
    pub exclude: Exclude,
}

impl std::fmt::Debug for GitOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitOptions").field("repo", &self.repo).field("threads", &self.threads).finish_non_exhaustive()
    }
}

/// The part of the repository to scan.
pub enum Mode {
    /// Commits, their blobs and messages, and annotated tags.
    History(History),
    /// What is staged in the index and differs from `HEAD`.
    Staged,
    /// The commits a push would send, from git's pre-push standard input.
    PrePush(Vec<PushUpdate>),
}

/// Which history.
pub struct History {
    /// Which commits.
    pub scope: Scope,
    /// Also start from every reflog entry.
    pub reflog: bool,
    /// Also every object in the object database, reachable or not.
    pub all_objects: bool,
}

/// Which commits a history scan starts from.
pub enum Scope {
    /// Every ref (branches, tags, remotes, notes, stash and its reflog) and `HEAD`.
    All,
    /// One branch (or any ref name git would resolve).
    Branch(String),
    /// Every ref, minus what `REV` reaches.
    Since(String),
    /// `A..B` (or `A...B`) as git's revision syntax.
    Range(String),
}

const SKIP_GITLINK: &str = "submodule commit (scan the submodule's own repository)";

/// Scans the repository as `opts` asks.
pub fn scan(ctx: &Context<'_>, opts: &GitOptions) {
    // Re-hashing every object read (SHA-1 with collision detection) was ~20% of a history
    // scan's CPU. A corrupt object still fails to inflate or parse and is reported; one that
    // inflates to other bytes than its id says is scanned as the bytes it holds.
    git2::opts::strict_hash_verification(false);
    let opened = match &opts.repo {
        Some(path) => Repository::discover(path),
        None => Repository::open_from_env(),
    };
    let repo = match opened {
        Ok(r) => r,
        Err(e) => {
            let at = opts.repo.as_deref().map_or_else(|| ".".into(), show);
            messages::incomplete("not a git repository", &format!("{at}: {}", e.message()));
            return;
        }
    };
    match &opts.mode {
        Mode::Staged => staged::scan_staged(ctx, &repo, opts),
        Mode::PrePush(updates) => {
            if let Some(walk) = push::walk(&repo, updates) {
                scan_commits(ctx, &repo, opts, walk, Starts::default());
            }
        }
        Mode::History(h) => scan_history(ctx, &repo, opts, h),
    }
}

/// The directory git runs the hooks of the repository containing `path` from: `core.hooksPath`
/// (relative to the work tree top) when set, else the common git dir's `hooks`.
pub fn hooks_dir(path: &Path) -> Result<PathBuf, String> {
    let repo = Repository::discover(path).map_err(|e| format!("{}: {}", show(path), e.message()))?;
    let configured = repo.config().and_then(|c| c.get_path("core.hooksPath"));
    Ok(match configured {
        Ok(p) if p.is_absolute() => p,
        Ok(p) => repo.workdir().unwrap_or(repo.path()).join(p),
        Err(_) => repo.commondir().join("hooks"),
    })
}

/// Where a history walk starts besides commits: annotated tags and blobs that refs point to.
#[derive(Default)]
struct Starts {
    /// (name, tag object id).
    tags: Vec<(String, Oid)>,
    /// Blobs named directly by a ref or tag, or found in the object database.
    blobs: Vec<Oid>,
}

fn scan_history(ctx: &Context<'_>, repo: &Repository, opts: &GitOptions, h: &History) {
    if repo.is_shallow() {
        messages::incomplete(
            "shallow clone",
            "history before the shallow boundary is not in this repository (fetch with --unshallow to scan it)",
        );
    }
    let mut walk = match repo.revwalk() {
        Ok(w) => w,
        Err(e) => return messages::incomplete("unreadable git history", e.message()),
    };
    let mut starts = Starts::default();
    if let Err(e) = push_starts(repo, h, &mut walk, &mut starts) {
        messages::incomplete("unreadable git history", e.message());
        return;
    }
    if h.all_objects {
        all_objects(repo, &mut walk, &mut starts);
    }
    let before = ctx.tally.commits.load(Ordering::Relaxed);
    scan_commits(ctx, repo, opts, walk, starts);
    if ctx.tally.commits.load(Ordering::Relaxed) == before && !ctx.is_stopping() {
        messages::warn("no commit to scan: the refs or range given select no commit");
    }
}

fn push_starts(repo: &Repository, h: &History, walk: &mut Revwalk<'_>, starts: &mut Starts) -> Result<(), git2::Error> {
    match &h.scope {
        Scope::Range(range) => return walk.push_range(range),
        Scope::Branch(name) => {
            let r = repo.resolve_reference_from_short_name(name)?;
            let target = r.resolve()?.target().ok_or_else(|| git2::Error::from_str("symbolic ref without target"))?;
            push_target(repo, walk, starts, &String::from_utf8_lossy(r.shorthand_bytes()), target);
            if h.reflog {
                push_reflog(repo, walk, &String::from_utf8_lossy(r.name_bytes()));
            }
            return Ok(());
        }
        Scope::All | Scope::Since(_) => {}
    }
    if let Scope::Since(rev) = &h.scope {
        walk.hide(repo.revparse_single(rev)?.peel_to_commit()?.id())?;
    }
    for r in repo.references()? {
        let r = r?;
        let name = String::from_utf8_lossy(r.name_bytes()).into_owned();
        if let Some(target) = r.resolve().ok().and_then(|r| r.target()) {
            push_target(repo, walk, starts, name.trim_start_matches("refs/tags/"), target);
        }
        if h.reflog || name == "refs/stash" {
            push_reflog(repo, walk, &name);
        }
    }
    if let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) {
        walk.push(head.id())?;
    }
    if h.reflog {
        push_reflog(repo, walk, "HEAD");
    }
    Ok(())
}

/// Pushes what a ref points to: a commit, or through annotated tags (recorded) to a commit or
/// a blob. A target that cannot be read is a warning.
fn push_target(repo: &Repository, walk: &mut Revwalk<'_>, starts: &mut Starts, name: &str, mut id: Oid) {
    for _ in 0..16 {
        let kind = match repo.find_object(id, None) {
            Ok(o) => o.kind(),
            Err(e) => {
                messages::incomplete("unreadable git object", &format!("{id} (ref {name}): {}", e.message()));
                return;
            }
        };
        match kind {
            Some(ObjectType::Commit) => {
                if let Err(e) = walk.push(id) {
                    messages::incomplete("unreadable git object", &format!("{id} (ref {name}): {}", e.message()));
                }
                return;
            }
            Some(ObjectType::Tag) => {
                starts.tags.push((name.to_string(), id));
                match repo.find_tag(id) {
                    Ok(tag) => id = tag.target_id(),
                    Err(_) => return,
                }
            }
            Some(ObjectType::Blob) => return starts.blobs.push(id),
            _ => return,
        }
    }
}

/// Pushes every commit a reflog names (missing ones were pruned by `git gc`: a note, not a gap).
fn push_reflog(repo: &Repository, walk: &mut Revwalk<'_>, name: &str) {
    let Ok(log) = repo.reflog(name) else { return };
    for entry in log.iter() {
        for id in [entry.id_old(), entry.id_new()] {
            if !id.is_zero() && repo.find_commit(id).is_ok() && walk.push(id).is_err() {
                messages::note(&format!("reflog {name}: {id} not walkable"));
            }
        }
    }
}

/// Adds every commit, tag and blob of the object database (unreachable ones included).
fn all_objects(repo: &Repository, walk: &mut Revwalk<'_>, starts: &mut Starts) {
    let odb = match repo.odb() {
        Ok(o) => o,
        Err(e) => return messages::incomplete("unreadable object database", e.message()),
    };
    let mut ids = Vec::new();
    if let Err(e) = odb.foreach(|id| {
        ids.push(*id);
        true
    }) {
        messages::incomplete("unreadable object database", e.message());
    }
    for id in ids {
        match odb.read_header(id) {
            Ok((_, ObjectType::Commit)) => {
                let _ = walk.push(id);
            }
            Ok((_, ObjectType::Tag)) => starts.tags.push((id.to_string(), id)),
            Ok((_, ObjectType::Blob)) => starts.blobs.push(id),
            Ok(_) => {}
            Err(e) => messages::incomplete("unreadable git object", &format!("{id}: {}", e.message())),
        }
    }
}

/// Walks commits parents first, sending each message and new blob to the reader threads; then
/// tag messages and blobs no commit introduced.
fn scan_commits(ctx: &Context<'_>, repo: &Repository, opts: &GitOptions, mut walk: Revwalk<'_>, starts: Starts) {
    if let Err(e) = walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE) {
        return messages::incomplete("unreadable git history", e.message());
    }
    let mut trees = match repo.odb() {
        Ok(odb) => TreeWalk::new(odb),
        Err(e) => return messages::incomplete("unreadable object database", e.message()),
    };
    let git_dir = repo.path().to_path_buf();
    let workdir = repo.workdir().unwrap_or(repo.path()).to_path_buf();
    std::thread::scope(|scope| {
        // One queue per reader: versions of a path go to the same reader, whose cached line
        // sets then hold the old version (see `lines.rs`).
        let mut tx = Vec::new();
        for _ in 0..opts.threads.max(1) {
            let (sender, rx) = crossbeam_channel::bounded::<Work>(64);
            tx.push(sender);
            let git_dir = &git_dir;
            scope.spawn(move || blob::read_jobs(ctx, git_dir, rx));
        }
        for id in walk {
            if ctx.is_stopping() {
                break;
            }
            let commit = match id.and_then(|id| repo.find_commit(id)) {
                Ok(c) => c,
                Err(e) => {
                    messages::incomplete("unreadable git object", e.message());
                    continue;
                }
            };
            let mut walker = Walker { ctx, opts, workdir: &workdir, tx: &tx, meta: Arc::new(commit_meta(&commit)) };
            if !walker.commit(&commit, &mut trees) {
                break;
            }
        }
        tag_messages(ctx, repo, &starts.tags);
        for (i, id) in starts.blobs.into_iter().enumerate() {
            if trees.insert_blob(id) {
                let origin = Origin::Object { id: id.to_string() };
                if tx[i % tx.len()].send(Work::Blob(Job { new: id, olds: Vec::new(), origin })).is_err() {
                    break;
                }
            }
        }
        drop(tx);
    });
}

/// What visiting one commit needs.
struct Walker<'a> {
    ctx: &'a Context<'a>,
    opts: &'a GitOptions,
    workdir: &'a Path,
    tx: &'a [crossbeam_channel::Sender<Work>],
    meta: Arc<CommitMeta>,
}

impl Walker<'_> {
    /// Sends a commit's message and the blobs it introduces that no earlier commit introduced
    /// to the readers. False once the scan is stopping.
    fn commit(&mut self, commit: &git2::Commit<'_>, trees: &mut TreeWalk<'_>) -> bool {
        self.ctx.tally.commits.fetch_add(1, Ordering::Relaxed);
        let message = Work::Message(
            Origin::CommitMessage { commit: Arc::clone(&self.meta) },
            commit.message_raw_bytes().to_vec(),
        );
        if self.tx[route(self.meta.id.as_bytes(), self.tx.len())].send(message).is_err() {
            return false;
        }
        let mut parents = Vec::with_capacity(commit.parent_count());
        for (i, id) in commit.parent_ids().enumerate() {
            // A missing parent (pruned, or beyond a graft) is compared as absent: more is
            // scanned, never less.
            match commit.parent(i) {
                Ok(p) => parents.push(p.tree_id()),
                Err(e) => messages::incomplete("unreadable git object", &format!("commit {id}: {}", e.message())),
            }
        }
        trees.commit(commit.tree_id(), &parents, self)
    }
}

impl Sink for Walker<'_> {
    fn blob(&mut self, blob: NewBlob<'_>) -> Taken {
        let path = path_from_bytes(blob.path);
        if let Some(reason) = (self.opts.exclude)(&self.workdir.join(&path), Entry::File) {
            self.ctx.tally.skip(reason);
            return Taken::Excluded;
        }
        let origin = Origin::Blob { commit: Arc::clone(&self.meta), path };
        let reader = &self.tx[route(blob.path, self.tx.len())];
        match reader.send(Work::Blob(Job { new: blob.id, olds: blob.olds, origin })) {
            Ok(()) => Taken::Queued,
            Err(_) => Taken::Stop,
        }
    }

    fn gitlink(&mut self) {
        self.ctx.tally.skip(SKIP_GITLINK);
    }

    fn unreadable(&mut self, tree: &tree::Id, path: &[u8], error: &str) {
        let at = if path.is_empty() { String::new() } else { format!(" ({})", messages::escape(path)) };
        let id = Oid::from_bytes(tree).map(|id| id.to_string()).unwrap_or_default();
        messages::incomplete(
            "unreadable git object",
            &format!("tree {id}{at} of commit {}: {error}", self.meta.short()),
        );
    }
}

/// The reader for a path: FNV-1a of its bytes, modulo the number of readers.
fn route(path: &[u8], readers: usize) -> usize {
    let hash = path.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    (hash % readers.max(1) as u64) as usize
}

/// Scans each annotated tag's message once.
fn tag_messages(ctx: &Context<'_>, repo: &Repository, tags: &[(String, Oid)]) {
    let mut done = HashSet::new();
    for (name, id) in tags {
        if !done.insert(*id) {
            continue;
        }
        match repo.find_tag(*id) {
            Ok(tag) => {
                let message = tag.message_bytes().unwrap_or_default();
                ctx.read(Origin::TagMessage { tag: name.clone() }, &mut &message[..]);
            }
            Err(e) => messages::incomplete("unreadable git object", &format!("tag {id}: {}", e.message())),
        }
    }
}

/// Provenance of a commit as plain data.
fn commit_meta(commit: &git2::Commit<'_>) -> CommitMeta {
    let author = commit.author();
    CommitMeta {
        id: commit.id().to_string(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: rfc3339(author.when().seconds()),
        message: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default()).into_owned(),
    }
}

/// Seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC).
fn rfc3339(secs: i64) -> String {
    format!("{}Z", crate::timestamp::utc(secs))
}

/// A git path (bytes) as a `PathBuf` (lossless on Unix).
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
    }
}

/// A path escaped for stderr.
fn show(path: &Path) -> String {
    messages::escape(&crate::chunk::path_bytes(path))
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }
}
