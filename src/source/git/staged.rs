//! `--staged`: what the next commit would add — every index entry whose blob differs from the
//! blob at the same path in `HEAD`'s tree, only the lines it adds.
//!
//! Invariant: only the index and objects are read — never the work tree, so no stat, no
//! index refresh, no fsmonitor. Index entries come sorted by path, which is the depth-first
//! order of trees, so each directory of `HEAD` is looked up once (by name, in parsed trees)
//! instead of diffing whole trees. Conflicted entries (stages 1–3) are not scanned. A `HEAD`
//! tree that cannot be read makes the entries below it count as new (scanned whole: more,
//! never less). Depends on `source`, `chunk`, `messages`, `git2`.

use super::super::fs::Entry;
use super::super::Context;
use super::blob::{read_job, Job};
use super::lines::Lines;
use super::tree::{Id, Kind, Tree, TreeCache};
use super::{path_from_bytes, GitOptions};
use crate::chunk::Origin;
use crate::messages;
use git2::{Oid, Repository};
use std::path::Path;
use std::rc::Rc;

/// Scans what is staged. Honours `GIT_INDEX_FILE` (git sets it for hooks of `commit -a`).
pub(super) fn scan_staged(ctx: &Context<'_>, repo: &Repository, opts: &GitOptions) {
    let index = match std::env::var_os("GIT_INDEX_FILE") {
        Some(file) => git2::Index::open(Path::new(&file)),
        None => repo.index(),
    };
    let index = match index {
        Ok(i) => i,
        Err(e) => return messages::incomplete("unreadable git index", e.message()),
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
    for entry in index.iter() {
        let is_blob = matches!(entry.mode & 0o170000, 0o100000 | 0o120000);
        // Stage bits (12–13) set: a merge conflict, not something a commit can record.
        if !is_blob || entry.flags & 0x3000 != 0 || ctx.is_stopping() {
            continue;
        }
        let (dir, name) = match entry.path.iter().rposition(|&b| b == b'/') {
            Some(slash) => (&entry.path[..slash], &entry.path[slash + 1..]),
            None => (&[][..], &entry.path[..]),
        };
        let old = head.blob(dir, name);
        if old.is_some_and(|old| old == entry.id) {
            continue;
        }
        let path = path_from_bytes(&entry.path);
        if let Some(reason) = (opts.exclude)(&workdir.join(&path), Entry::File) {
            ctx.tally.skip(reason);
            continue;
        }
        let job = Job { new: entry.id, olds: old.into_iter().collect(), origin: Origin::Staged { path } };
        read_job(ctx, repo, job, &mut lines);
    }
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
