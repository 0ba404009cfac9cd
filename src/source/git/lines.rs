//! Which lines of a blob a commit added: the lines absent from every parent version of the same
//! path, compared as sets of line hashes; and the masking that keeps only those lines.
//!
//! Invariant: a line counts as present in an old version when a line with the same bytes (its
//! `\n` aside) is anywhere in it — a moved or duplicated line was scanned where it first
//! appeared, so it is not scanned again. Hashes are 64-bit SipHash with a per-process random
//! key (a repository cannot craft collisions to hide a line). Each reader thread keeps the line
//! sets of the blobs it read recently, bounded in lines: the next version of a path usually
//! comes to the same thread (`git.rs` routes jobs by path), so its old version is not read
//! again. Depends on `git2` only.

use git2::Oid;
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::rc::Rc;

/// Hashes of the lines of one blob.
pub(super) type LineSet = HashSet<u64, BuildHasherDefault<Keyed>>;

/// A hasher for values that are already keyed hashes: passes them through.
#[derive(Default)]
pub(super) struct Keyed(u64);

impl Hasher for Keyed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Lines per cache generation, per reader thread (two generations at most; about 16 bytes a line).
const GENERATION_LINES: usize = 1 << 19;

/// Line hashing and the recent line sets of one reader thread.
pub(super) struct Lines {
    key: RandomState,
    young: HashMap<Oid, Rc<LineSet>>,
    old: HashMap<Oid, Rc<LineSet>>,
    young_lines: usize,
}

impl Lines {
    /// An empty cache with a fresh random key.
    pub(super) fn new() -> Self {
        Lines { key: RandomState::new(), young: HashMap::new(), old: HashMap::new(), young_lines: 0 }
    }

    /// The hash of each line of `content` (split after each `\n`; the `\n` is not hashed).
    pub(super) fn hashes(&self, content: &[u8]) -> Vec<u64> {
        content
            .split_inclusive(|&b| b == b'\n')
            .map(|l| self.key.hash_one(l.strip_suffix(b"\n").unwrap_or(l)))
            .collect()
    }

    /// The line set of blob `id`, if cached.
    pub(super) fn get(&mut self, id: Oid) -> Option<Rc<LineSet>> {
        if let Some(s) = self.young.get(&id) {
            return Some(Rc::clone(s));
        }
        let set = self.old.remove(&id)?;
        self.keep(id, Rc::clone(&set));
        Some(set)
    }

    /// Caches the line set of blob `id` from its line hashes; returns it.
    pub(super) fn insert(&mut self, id: Oid, hashes: &[u64]) -> Rc<LineSet> {
        let set = Rc::new(hashes.iter().copied().collect::<LineSet>());
        self.keep(id, Rc::clone(&set));
        set
    }

    fn keep(&mut self, id: Oid, set: Rc<LineSet>) {
        self.young_lines += set.len();
        self.young.insert(id, set);
        if self.young_lines > GENERATION_LINES {
            self.old = std::mem::take(&mut self.young);
            self.young_lines = 0;
        }
    }
}

/// For each line (by the hashes of `new`), whether no old version has it.
pub(super) fn added(new: &[u64], olds: &[Rc<LineSet>]) -> Vec<bool> {
    new.iter().map(|h| !olds.iter().any(|s| s.contains(h))).collect()
}

/// `content` with every line not marked `added` emptied (its newline kept, so line numbers and
/// the columns of added lines stay those of the blob).
pub(super) fn mask(content: &[u8], added: &[bool]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() / 4);
    for (i, line) in content.split_inclusive(|&b| b == b'\n').enumerate() {
        if added.get(i).copied().unwrap_or(true) {
            out.extend_from_slice(line);
        } else if line.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_keeps_line_numbers() {
        let text = b"a\nbb\nccc\nd";
        assert_eq!(mask(text, &[false, true, false, true]), b"\nbb\n\nd");
        assert_eq!(mask(text, &[true, false, false, false]), b"a\n\n\n");
        assert_eq!(mask(b"x\n", &[false, false]), b"\n");
    }

    #[test]
    fn added_lines_are_those_no_old_version_has() {
        let mut lines = Lines::new();
        let (a, b) = (Oid::from_bytes(&[1; 20]).unwrap(), Oid::from_bytes(&[2; 20]).unwrap());
        let old_a = lines.insert(a, &lines.hashes(b"one\ntwo\nsecret"));
        let old_b = lines.insert(b, &lines.hashes(b"three\n"));
        let new = lines.hashes(b"zero\ntwo\nsecret\nthree\nfour\n");
        assert_eq!(added(&new, std::slice::from_ref(&old_a)), [true, false, false, true, true]);
        assert_eq!(added(&new, &[old_a, old_b]), [true, false, false, false, true]);
        assert!(lines.get(a).is_some() && lines.get(Oid::from_bytes(&[3; 20]).unwrap()).is_none());
    }
}
