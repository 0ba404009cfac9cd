//! The tree walk of a history scan: for each commit (visited parents first), the blobs it
//! introduces and, for each, the versions its parents had at the same path.
//!
//! Invariant: a blob is handed out the first time it is met and never again; a subtree is
//! skipped whole when it equals the same path in a parent or was walked completely before (an
//! unchanged subtree keeps its id). A subtree holding an excluded blob is not marked walked, so
//! the same subtree at another path is walked again. An unreadable tree is reported once and
//! its contents are left out (the scan is then incomplete); an unreadable parent tree is treated
//! as absent (more is scanned, never less). Depends on `git2` (through `tree`).

use super::tree::{git_order, Id, IdSet, Kind, Tree, TreeCache};
use git2::Oid;
use std::rc::Rc;

/// A blob a commit introduces.
pub(super) struct NewBlob<'p> {
    /// Its path in the commit's tree (`/`-separated bytes).
    pub path: &'p [u8],
    /// The blob.
    pub id: Oid,
    /// The blobs at the same path in the commit's parents (none for a new path).
    pub olds: Vec<Oid>,
}

/// What the caller did with a new blob.
pub(super) enum Taken {
    /// Queued for scanning: the blob is seen.
    Queued,
    /// Not to be scanned at this path (it may be at another one).
    Excluded,
    /// The scan is stopping.
    Stop,
}

/// Receives what the walk finds.
pub(super) trait Sink {
    /// A blob met for the first time.
    fn blob(&mut self, blob: NewBlob<'_>) -> Taken;
    /// A submodule commit this commit points to anew (not scanned here).
    fn gitlink(&mut self);
    /// A tree that cannot be read or parsed (reported once per tree).
    fn unreadable(&mut self, tree: &Id, path: &[u8], error: &str);
}

/// Deeper trees than this are reported unreadable (no recursion without bound on hostile input).
const MAX_DEPTH: usize = 1000;

/// The state of a history walk: trees and blobs already handed out.
pub(super) struct TreeWalk<'r> {
    cache: TreeCache<'r>,
    seen_trees: IdSet,
    seen_blobs: IdSet,
    bad: IdSet,
}

/// How a subtree's walk ended.
struct Walked {
    /// Every blob below was handed out or seen before: the subtree need not be walked again.
    complete: bool,
    /// The sink asked to stop.
    stop: bool,
}

impl<'r> TreeWalk<'r> {
    /// A walk reading trees from `odb`.
    pub(super) fn new(odb: git2::Odb<'r>) -> Self {
        TreeWalk {
            cache: TreeCache::new(odb),
            seen_trees: IdSet::default(),
            seen_blobs: IdSet::default(),
            bad: IdSet::default(),
        }
    }

    /// Marks a blob seen; false if it already was.
    pub(super) fn insert_blob(&mut self, id: Oid) -> bool {
        raw(id).is_none_or(|id| self.seen_blobs.insert(id))
    }

    /// Hands `sink` the blobs of the commit tree `tree` that its parents' trees `parents` do
    /// not have and no earlier commit introduced. False if the sink asked to stop.
    pub(super) fn commit(&mut self, tree: Oid, parents: &[Oid], sink: &mut dyn Sink) -> bool {
        let Some(tree) = raw(tree) else { return true };
        let parents: Vec<Id> = parents.iter().filter_map(|p| raw(*p)).collect();
        if parents.contains(&tree) || self.seen_trees.contains(&tree) {
            return true;
        }
        let mut path = Vec::new();
        let parent_trees = parents.iter().filter_map(|p| self.load(p, &path, sink)).collect();
        !self.visit(&tree, parent_trees, &mut path, sink).stop
    }

    /// Walks the tree `id` at `path` (empty or ending in `/`) against the same path in parents.
    fn visit(&mut self, id: &Id, parents: Vec<Rc<Tree>>, path: &mut Vec<u8>, sink: &mut dyn Sink) -> Walked {
        let Some(tree) = self.load(id, path, sink) else { return Walked { complete: false, stop: false } };
        if path.iter().filter(|&&b| b == b'/').count() >= MAX_DEPTH {
            self.bad.insert(*id);
            sink.unreadable(id, path, "tree nested too deep");
            return Walked { complete: false, stop: false };
        }
        let mut cursors = vec![0usize; parents.len()];
        let mut matches = Vec::with_capacity(parents.len());
        let mut complete = true;
        for i in 0..tree.len() {
            let (name, kind, eid) = tree.get(i);
            same_name(&parents, &mut cursors, name, kind == Kind::Tree, &mut matches);
            if matches.iter().any(|(_, pid)| pid == eid) {
                continue;
            }
            let len = path.len();
            match kind {
                Kind::Tree if !self.seen_trees.contains(eid) => {
                    path.extend_from_slice(name);
                    path.push(b'/');
                    let below = matches.iter().filter(|(k, _)| *k == Kind::Tree).map(|(_, p)| *p).collect::<Vec<_>>();
                    let below = below.iter().filter_map(|p| self.load(p, path, sink)).collect();
                    let walked = self.visit(eid, below, path, sink);
                    path.truncate(len);
                    if walked.stop {
                        return walked;
                    }
                    complete &= walked.complete;
                }
                Kind::Blob if !self.seen_blobs.contains(eid) => {
                    path.extend_from_slice(name);
                    let olds = matches.iter().filter(|(k, _)| *k == Kind::Blob).filter_map(|(_, p)| oid(p)).collect();
                    let Some(blob) = oid(eid) else { continue };
                    let taken = sink.blob(NewBlob { path, id: blob, olds });
                    path.truncate(len);
                    match taken {
                        Taken::Queued => {
                            self.seen_blobs.insert(*eid);
                        }
                        Taken::Excluded => complete = false,
                        Taken::Stop => return Walked { complete: false, stop: true },
                    }
                }
                Kind::Gitlink => sink.gitlink(),
                Kind::Tree | Kind::Blob | Kind::Other => {}
            }
        }
        if complete {
            self.seen_trees.insert(*id);
        }
        Walked { complete, stop: false }
    }

    /// The tree `id`, or `None` after reporting it (once) as unreadable.
    fn load(&mut self, id: &Id, path: &[u8], sink: &mut dyn Sink) -> Option<Rc<Tree>> {
        if self.bad.contains(id) {
            return None;
        }
        match self.cache.get(id) {
            Ok(t) => Some(t),
            Err(e) => {
                self.bad.insert(*id);
                sink.unreadable(id, path, &e);
                None
            }
        }
    }
}

/// For each parent tree, the kind and id of its entry named `name` (if any), advancing that
/// parent's cursor: entries are met in git's order in all trees, so one pass finds them all.
fn same_name(parents: &[Rc<Tree>], cursors: &mut [usize], name: &[u8], is_tree: bool, out: &mut Vec<(Kind, Id)>) {
    out.clear();
    for (parent, at) in parents.iter().zip(cursors.iter_mut()) {
        while *at < parent.len() {
            let (pname, pkind, pid) = parent.get(*at);
            match git_order(pname, pkind == Kind::Tree, name, is_tree) {
                std::cmp::Ordering::Less => *at += 1,
                std::cmp::Ordering::Equal => {
                    out.push((pkind, *pid));
                    break;
                }
                std::cmp::Ordering::Greater => break,
            }
        }
    }
}

fn raw(id: Oid) -> Option<Id> {
    id.as_bytes().try_into().ok()
}

fn oid(id: &Id) -> Option<Oid> {
    Oid::from_bytes(id).ok()
}
