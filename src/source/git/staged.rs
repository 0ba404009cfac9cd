//! `--staged`: what the next commit would add — every index entry whose blob differs from the
//! blob at the same path in `HEAD`'s tree, only the lines it adds.
//!
//! Invariant: only the index file and objects are read — never the work tree, so no stat, no
//! index refresh, no fsmonitor. The index is parsed here (`git/index.rs`), not by libgit2
//! (whose load was half of a pre-commit run on 50,000 files). Index entries come sorted by
//! path, which is the depth-first order of trees, so each directory of `HEAD` is looked up
//! once (by name, in parsed trees) instead of diffing whole trees; and a directory the
//! index's cache tree records with `HEAD`'s tree id is skipped whole, so after `git add` or
//! in `git commit`'s hook only the directories along staged changes are read. Conflicted
//! entries (stages 1–3) and intent-to-add placeholders are not scanned. A `HEAD` tree that
//! cannot be read makes the entries below it count as new (scanned whole: more, never less).
//! Depends on `source`, `chunk`, `messages`, `git2`.

use super::super::fs::Entry;
use super::super::Context;
use super::blob::{read_job, Job};
use super::index::Index;
use super::lines::Lines;
use super::tree::{Id, Kind, Tree, TreeCache};
use super::{path_from_bytes, GitOptions};
use crate::chunk::Origin;
use crate::messages;
use git2::{Oid, Repository};
use std::path::PathBuf;
use std::rc::Rc;

/// Scans what is staged. Honours `GIT_INDEX_FILE` (git sets it for hooks of `commit -a`).
pub(super) fn scan_staged(ctx: &Context<'_>, repo: &Repository, opts: &GitOptions) {
    let file = std::env::var_os("GIT_INDEX_FILE").map_or_else(|| repo.path().join("index"), PathBuf::from);
    let index = match Index::read(&file) {
        Ok(i) => i,
        Err(e) => return messages::incomplete("unreadable git index", &e),
    };
    let head = match repo.head() {
        Ok(h) => match h.peel_to_commit() {
            Ok(c) => Some(c.tree_id()),
            Err(e) => return messages::incomplete("unreadable git object", &format!("HEAD: {}", e.message())),
        },
        // An unborn branch (first commit): everything staged is new.
        Err(e) if matches!(e.code(), git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound) => None,
        Err(e) => return messages::incomplete("unreadable git history", e.message()),
    };
    let odb = match repo.odb() {
        Ok(o) => o,
        Err(e) => return messages::incomplete("unreadable object database", e.message()),
    };
    let mut head = Head {
        cache: TreeCache::new(odb),
        root: head.and_then(|id| id.as_bytes().try_into().ok()),
        dir: None,
        bad: Vec::new(),
    };
    let workdir = repo.workdir().unwrap_or(repo.path()).to_path_buf();
    let mut lines = Lines::new();
    let mut i = 0;
    while i < index.len() && !ctx.is_stopping() {
        if let Some(n) = unchanged_span(&index, &mut head, i) {
            i += n;
            continue;
        }
        let (entry, entry_path) = (index.entry(i), index.path(i));
        i += 1;
        let is_blob = matches!(entry.mode & 0o170000, 0o100000 | 0o120000);
        // A conflict (stages 1–3) is not something a commit can record; an intent-to-add
        // placeholder (`git add -N`) is left out of the commit.
        if !is_blob || entry.stage != 0 || entry.is_intent_to_add {
            continue;
        }
        let (dir, name) = match entry_path.iter().rposition(|&b| b == b'/') {
            Some(slash) => (&entry_path[..slash], &entry_path[slash + 1..]),
            None => (&[][..], entry_path),
        };
        let old = head.blob(dir, name);
        let Ok(new) = Oid::from_bytes(&entry.id) else { continue };
        if old.is_some_and(|old| old == new) {
            continue;
        }
        let path = path_from_bytes(entry_path);
        if let Some(reason) = (opts.exclude)(&workdir.join(&path), Entry::File) {
            ctx.tally.skip(reason);
            continue;
        }
        let job = Job { new, olds: old.into_iter().collect(), origin: Origin::Staged { path } };
        read_job(ctx, repo, job, &mut lines);
    }
}

/// How many entries from `i` on can be skipped because they lie in a directory (first entered
/// at `i`) that the index's cache tree records with the same tree id as `HEAD` has there:
/// equal trees hold equal blobs at equal paths, so nothing below is staged. Only the
/// directories along staged changes are then read from `HEAD`. `None`: compare entry `i`.
fn unchanged_span(index: &Index, head: &mut Head<'_>, i: usize) -> Option<usize> {
    let path = index.path(i);
    let prev = i.checked_sub(1).map(|p| index.path(p));
    let slashes = path.iter().enumerate().filter(|(_, &b)| b == b'/').map(|(at, _)| at);
    // The directories of `path`, outermost first: the root, then each parent.
    for end in std::iter::once(0).chain(slashes) {
        let dir = &path[..end];
        if prev.is_some_and(|p| is_below(p, dir)) {
            continue; // entered before `i`, and not skipped then
        }
        let Some(cached) = index.cached_tree(dir) else { continue };
        // The span must end exactly where the directory does (a stale count is not trusted).
        let Some(last) = (i + cached.entries).checked_sub(1).filter(|&l| l >= i && l < index.len()) else { continue };
        let fits = is_below(index.path(last), dir) && (last + 1 == index.len() || !is_below(index.path(last + 1), dir));
        if fits && head.tree_id(dir) == Some(cached.id) {
            return Some(cached.entries);
        }
    }
    None
}

/// Whether `path` lies below directory `dir` (`""`: the root, which holds everything).
fn is_below(path: &[u8], dir: &[u8]) -> bool {
    dir.is_empty() || (path.len() > dir.len() && path.starts_with(dir) && path[dir.len()] == b'/')
}

/// Lookups in `HEAD`'s tree, directory by directory.
struct Head<'r> {
    cache: TreeCache<'r>,
    root: Option<Id>,
    /// The directory looked up last and its tree (`None`: absent from `HEAD`).
    dir: Option<(Vec<u8>, Option<Rc<Tree>>)>,
    /// Trees found unreadable (reported once).
    bad: Vec<Id>,
}

impl Head<'_> {
    /// The blob `HEAD` has at `dir/name`, if any.
    fn blob(&mut self, dir: &[u8], name: &[u8]) -> Option<Oid> {
        if self.dir.as_ref().is_none_or(|(d, _)| d != dir) {
            let tree = self.tree(dir);
            self.dir = Some((dir.to_vec(), tree));
        }
        let tree = self.dir.as_ref()?.1.as_ref()?;
        match tree.find(name, false)? {
            (Kind::Blob, id) => Oid::from_bytes(id).ok(),
            _ => None,
        }
    }

    /// The id of the tree `HEAD` has at directory `dir` (empty: the root), if any.
    fn tree_id(&mut self, dir: &[u8]) -> Option<Id> {
        let Some(slash) = dir.iter().rposition(|&b| b == b'/') else {
            return if dir.is_empty() { self.root } else { self.subtree_id(&[], dir) };
        };
        self.subtree_id(&dir[..slash], &dir[slash + 1..])
    }

    fn subtree_id(&mut self, parent: &[u8], name: &[u8]) -> Option<Id> {
        match self.tree(parent)?.find(name, true)? {
            (Kind::Tree, id) => Some(*id),
            _ => None,
        }
    }

    /// The tree `HEAD` has at directory `dir` (empty: the root).
    fn tree(&mut self, dir: &[u8]) -> Option<Rc<Tree>> {
        let mut tree = self.load(&self.root?)?;
        for part in dir.split(|&b| b == b'/').filter(|p| !p.is_empty()) {
            let id = match tree.find(part, true)? {
                (Kind::Tree, id) => *id,
                _ => return None,
            };
            tree = self.load(&id)?;
        }
        Some(tree)
    }

    fn load(&mut self, id: &Id) -> Option<Rc<Tree>> {
        if self.bad.contains(id) {
            return None;
        }
        match self.cache.get(id) {
            Ok(t) => Some(t),
            Err(e) => {
                self.bad.push(*id);
                let id = Oid::from_bytes(id).map(|id| id.to_string()).unwrap_or_default();
                messages::warn(&format!("HEAD tree {id} unreadable ({e}): the files below it are scanned whole"));
                None
            }
        }
    }
}
