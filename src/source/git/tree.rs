//! Which blobs each commit introduces, found by reading trees directly (no libgit2 diff).
//!
//! Invariant: a commit's tree is compared with its parents' trees entry by entry (both sorted
//! in git's order, so one forward pass); a subtree equal to a parent's, or already walked in an
//! earlier commit, is skipped whole — an unchanged subtree keeps its id, so the work per commit
//! is proportional to what it changed, not to the size of the tree. A blob is reported the
//! first time it is met (the caller walks commits parents first). Trees are parsed here from
//! the raw object (attacker-controlled: a malformed tree is an error, never a panic).
//! Depends on `git2` only.

use git2::{ObjectType, Odb, Oid};
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

/// A raw object id (SHA-1).
pub(super) type Id = [u8; ID_LEN];
const ID_LEN: usize = 20;

/// Hashes an object id by its first 8 bytes: ids are already uniformly distributed.
#[derive(Default)]
pub(super) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // `[u8; 20]` hashes as its length (a usize, via write_usize) then its bytes.
        for (i, b) in bytes.iter().take(8).enumerate() {
            self.0 ^= u64::from(*b) << (8 * i);
        }
    }
    fn write_usize(&mut self, _: usize) {}
}

/// A set of object ids.
pub(super) type IdSet = HashSet<Id, BuildHasherDefault<IdHasher>>;

/// What a tree entry is, from its mode.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    /// A subtree (`040000`).
    Tree,
    /// A file or symlink (`100644`, `100755`, `120000`, ...).
    Blob,
    /// A submodule commit (`160000`).
    Gitlink,
    /// Any other mode: ignored.
    Other,
}

/// One entry of a parsed tree: offsets into the tree's bytes.
#[derive(Clone, Copy)]
struct Entry {
    kind: Kind,
    name: (u32, u32),
    id: u32,
}

/// A tree object parsed once: its bytes and the entries found in them, in stored order.
pub(super) struct Tree {
    data: Box<[u8]>,
    entries: Vec<Entry>,
}

impl Tree {
    /// Parses a raw tree object: `<octal mode> <name>\0<20-byte id>` repeated.
    pub(super) fn parse(data: &[u8]) -> Result<Tree, &'static str> {
        if u32::try_from(data.len()).is_err() {
            return Err("tree object larger than 4 GiB");
        }
        let mut entries = Vec::new();
        let mut at = 0;
        while at < data.len() {
            let space = memchr::memchr(b' ', &data[at..]).ok_or("malformed tree entry mode")? + at;
            let mode = parse_mode(&data[at..space]).ok_or("malformed tree entry mode")?;
            let nul = memchr::memchr(0, &data[space + 1..]).ok_or("malformed tree entry name")? + space + 1;
            let id = nul + 1;
            if id + ID_LEN > data.len() || nul == space + 1 {
                return Err("truncated tree entry");
            }
            // Offsets fit in u32: checked above.
            entries.push(Entry { kind: kind_of(mode), name: ((space + 1) as u32, nul as u32), id: id as u32 });
            at = id + ID_LEN;
        }
        Ok(Tree { data: data.into(), entries })
    }

    /// Number of entries.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The name, kind and id of entry `i`.
    pub(super) fn get(&self, i: usize) -> (&[u8], Kind, &Id) {
        let e = self.entries[i];
        let name = &self.data[e.name.0 as usize..e.name.1 as usize];
        let id = self.data[e.id as usize..e.id as usize + ID_LEN].try_into().unwrap_or(&[0; ID_LEN]);
        (name, e.kind, id)
    }

    /// The kind and id of the entry named `name` that is (`is_tree`) or is not a subtree.
    pub(super) fn find(&self, name: &[u8], is_tree: bool) -> Option<(Kind, &Id)> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let (n, kind, id) = self.get(mid);
            match git_order(n, kind == Kind::Tree, name, is_tree) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Some((kind, id)),
            }
        }
        None
    }

    /// Bytes this tree holds in memory (for the cache budget).
    fn footprint(&self) -> usize {
        self.data.len() + self.entries.len() * std::mem::size_of::<Entry>()
    }
}

fn parse_mode(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 7 {
        return None;
    }
    digits.iter().try_fold(0u32, |m, &d| (b'0'..=b'7').contains(&d).then(|| m * 8 + u32::from(d - b'0')))
}

fn kind_of(mode: u32) -> Kind {
    match mode & 0o170000 {
        0o040000 => Kind::Tree,
        0o100000 | 0o120000 => Kind::Blob,
        0o160000 => Kind::Gitlink,
        _ => Kind::Other,
    }
}

/// Git's tree order: names compared bytewise as if a subtree's name ended with `/`.
pub(super) fn git_order(a: &[u8], a_tree: bool, b: &[u8], b_tree: bool) -> Ordering {
    let n = a.len().min(b.len());
    match a[..n].cmp(&b[..n]) {
        Ordering::Equal => {}
        other => return other,
    }
    let end = |name: &[u8], tree: bool| name.get(n).copied().unwrap_or(if tree { b'/' } else { 0 });
    end(a, a_tree).cmp(&end(b, b_tree))
}

/// Parsed trees recently read, so a commit's parent trees (read as the previous commit's own)
/// are not inflated again. Two generations bounded in bytes: a tree used in the young one stays,
/// one found in the old one moves up, the old one is dropped when the young one fills.
pub(super) struct TreeCache<'r> {
    odb: Odb<'r>,
    young: HashMap<Id, Rc<Tree>, BuildHasherDefault<IdHasher>>,
    old: HashMap<Id, Rc<Tree>, BuildHasherDefault<IdHasher>>,
    young_bytes: usize,
}

/// Bytes of parsed trees per cache generation (two generations at most).
const GENERATION_BYTES: usize = 32 << 20;

impl<'r> TreeCache<'r> {
    /// A cache reading from `odb`.
    pub(super) fn new(odb: Odb<'r>) -> Self {
        TreeCache { odb, young: HashMap::default(), old: HashMap::default(), young_bytes: 0 }
    }

    /// The tree `id`, read and parsed unless cached. The error says what is wrong with it.
    pub(super) fn get(&mut self, id: &Id) -> Result<Rc<Tree>, String> {
        if let Some(t) = self.young.get(id) {
            return Ok(Rc::clone(t));
        }
        let tree = match self.old.remove(id) {
            Some(t) => t,
            None => Rc::new(self.read(id)?),
        };
        self.young_bytes += tree.footprint();
        self.young.insert(*id, Rc::clone(&tree));
        if self.young_bytes > GENERATION_BYTES {
            self.old = std::mem::take(&mut self.young);
            self.young_bytes = 0;
        }
        Ok(tree)
    }

    fn read(&self, id: &Id) -> Result<Tree, String> {
        let oid = Oid::from_bytes(id).map_err(|e| e.message().to_string())?;
        let object = self.odb.read(oid).map_err(|e| e.message().to_string())?;
        if object.kind() != ObjectType::Tree {
            return Err(format!("expected a tree, found a {}", object.kind()));
        }
        Tree::parse(object.data()).map_err(str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(entries: &[(&str, &str, u8)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (mode, name, id) in entries {
            out.extend_from_slice(format!("{mode} {name}\0").as_bytes());
            out.extend_from_slice(&[*id; ID_LEN]);
        }
        out
    }

    #[test]
    fn parses_entries_and_kinds() {
        let t =
            Tree::parse(&raw(&[("100644", "a.txt", 1), ("40000", "dir", 2), ("120000", "l", 4), ("160000", "sub", 3)]))
                .unwrap();
        assert_eq!(t.len(), 4);
        assert_eq!(t.get(0), (&b"a.txt"[..], Kind::Blob, &[1; ID_LEN]));
        assert_eq!(t.get(1).1, Kind::Tree);
        assert_eq!(t.get(2).1, Kind::Blob);
        assert_eq!(t.get(3).1, Kind::Gitlink);
        assert_eq!(Tree::parse(b"").unwrap().len(), 0);
        assert_eq!(t.find(b"dir", true), Some((Kind::Tree, &[2; ID_LEN])));
        assert_eq!(t.find(b"dir", false), None);
        assert_eq!(t.find(b"sub", false).map(|e| e.0), Some(Kind::Gitlink));
        assert_eq!(t.find(b"zzz", false), None);
    }

    #[test]
    fn malformed_trees_are_errors() {
        let good = raw(&[("100644", "a", 1)]);
        for cut in 1..good.len() {
            assert!(Tree::parse(&good[..cut]).is_err(), "cut at {cut}");
        }
        assert!(Tree::parse(&raw(&[("10x644", "a", 1)])).is_err());
        assert!(Tree::parse(&raw(&[("100644", "", 1)])).is_err());
        assert!(Tree::parse(b"100644 a").is_err());
    }

    #[test]
    fn git_order_puts_a_tree_after_a_file_named_with_a_dot() {
        // `a.c` < `a/` (tree `a`) < `a0`, but file `a` < `a.c`.
        assert_eq!(git_order(b"a.c", false, b"a", true), Ordering::Less);
        assert_eq!(git_order(b"a", true, b"a0", false), Ordering::Less);
        assert_eq!(git_order(b"a", false, b"a.c", false), Ordering::Less);
        assert_eq!(git_order(b"a", true, b"a", true), Ordering::Equal);
        assert_eq!(git_order(b"a", false, b"a", true), Ordering::Less);
    }
}
