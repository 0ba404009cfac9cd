//! The index file (`.git/index`, format versions 2–4) read directly: each entry's mode, stage,
//! intent-to-add flag, blob id and path, and the cache tree (`TREE` extension).
//!
//! Why not libgit2's index: loading a 50,000-entry index through it took ~50 ms of a ~100 ms
//! pre-commit run — it hashes the whole file (SHA-1 with collision detection), builds a path
//! map and validates every path, none of which `--staged` needs. Like git itself (which checks
//! the trailing checksum only in `git fsck`), the checksum is not verified here.
//!
//! Invariant: the file is attacker-controlled bytes; every read is bounds-checked and a
//! malformed index is an error, never a panic. Mandatory extensions this reader does not know
//! (`link`: split index, `sdir`: sparse index) are errors too, as they are for libgit2: the
//! entries alone would not be the whole index. A malformed cache tree is ignored (the caller
//! then compares every entry: more work, never less). Depends on `git/tree.rs` (`Id`), `memchr`.

use super::tree::Id;
use std::collections::HashMap;

/// The bytes of an object id in the index (SHA-1 repositories only, as everywhere here).
const ID_LEN: usize = std::mem::size_of::<Id>();
/// Bytes of an entry before its flags: ctime, mtime, dev, ino, mode, uid, gid, size, id.
const FIXED: usize = 40 + ID_LEN;
/// The entry's stage bits (in the 16-bit flags): nonzero for a merge conflict.
const STAGE_MASK: u16 = 0x3000;
/// The flags bit saying a second 16-bit flags word follows (version 3 and later).
const EXTENDED: u16 = 0x4000;
/// The intent-to-add bit of the second flags word (`git add -N`).
const INTENT_TO_ADD: u16 = 0x2000;

/// One entry of the index.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    /// The file mode (`0o100644`, `0o120000`, `0o160000`, ...).
    pub mode: u32,
    /// 0 normally; 1–3 for the sides of a merge conflict.
    pub stage: u8,
    /// Added with `git add -N`: a placeholder a commit does not record.
    pub is_intent_to_add: bool,
    /// The blob (or, for a gitlink, the commit) id.
    pub id: Id,
    /// Half-open byte range of the path in `Index::paths`.
    path: (usize, usize),
}

/// A directory of the cache tree whose tree id is known (not invalidated since last written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct CachedTree {
    /// How many consecutive index entries, starting at the directory's first, lie below it.
    pub entries: usize,
    /// The id of the tree those entries make.
    pub id: Id,
}

/// A parsed index: entries in stored order (sorted by path, as git writes them).
#[derive(Default, Debug)]
pub(super) struct Index {
    entries: Vec<Entry>,
    /// Every entry's path, concatenated (version 4 compresses paths, so they are rebuilt here).
    paths: Vec<u8>,
    /// Valid cache tree directories by path (`""`: the root; `a/b`: no trailing slash).
    trees: HashMap<Vec<u8>, CachedTree>,
}

impl Index {
    /// Reads the index file at `path`; a missing file is an empty index (nothing staged yet).
    pub(super) fn read(path: &std::path::Path) -> Result<Index, String> {
        match std::fs::read(path) {
            Ok(data) => Index::parse(&data).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Index::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Parses the bytes of an index file.
    pub(super) fn parse(data: &[u8]) -> Result<Index, &'static str> {
        if data.len() < 12 + ID_LEN || &data[..4] != b"DIRC" {
            return Err("not a git index (bad signature)");
        }
        let version = be32(data, 4).ok_or("truncated index header")?;
        if !(2..=4).contains(&version) {
            return Err("unsupported index version");
        }
        let count = be32(data, 8).ok_or("truncated index header")? as usize;
        // The trailing checksum is not verified (see the header comment).
        let end = data.len() - ID_LEN;
        let mut index = Index { entries: Vec::with_capacity(count.min(end / (FIXED + 2))), ..Index::default() };
        let mut path = Vec::new();
        let mut at = 12;
        for _ in 0..count {
            at = index.parse_entry(&data[..end], at, version, &mut path)?;
        }
        while at < end {
            let header = data.get(at..at + 8).filter(|_| at + 8 <= end).ok_or("truncated index extension")?;
            let size = be32(header, 4).ok_or("truncated index extension")? as usize;
            let body = data.get(at + 8..).and_then(|d| d.get(..size)).filter(|_| at + 8 + size <= end);
            let body = body.ok_or("truncated index extension")?;
            match &header[..4] {
                b"TREE" => index.trees = parse_cache_tree(body).unwrap_or_default(),
                sig if sig[0].is_ascii_uppercase() => {} // optional: safe to ignore
                _ => return Err("unsupported mandatory index extension (split or sparse index)"),
            }
            at += 8 + size;
        }
        Ok(index)
    }

    /// Parses the entry at `at` (its path following `prev`, updated); returns the next offset.
    fn parse_entry(&mut self, data: &[u8], at: usize, version: u32, path: &mut Vec<u8>) -> Result<usize, &'static str> {
        const TRUNCATED: &str = "truncated index entry";
        let fixed = data.get(at..at + FIXED + 2).ok_or(TRUNCATED)?;
        let mode = be32(fixed, 24).ok_or(TRUNCATED)?;
        let id: Id = fixed[40..FIXED].try_into().map_err(|_| TRUNCATED)?;
        let flags = u16::from_be_bytes([fixed[FIXED], fixed[FIXED + 1]]);
        let mut next = at + FIXED + 2;
        let mut is_intent_to_add = false;
        if flags & EXTENDED != 0 {
            if version < 3 {
                return Err("extended index entry flags in a version 2 index");
            }
            let extra = data.get(next..next + 2).ok_or(TRUNCATED)?;
            is_intent_to_add = u16::from_be_bytes([extra[0], extra[1]]) & INTENT_TO_ADD != 0;
            next += 2;
        }
        if version == 4 {
            // A varint: bytes to drop from the end of the previous path; then the rest, NUL-ended.
            let (strip, len) = varint(data.get(next..).ok_or(TRUNCATED)?).ok_or("malformed index path")?;
            let keep = path.len().checked_sub(strip).ok_or("malformed index path")?;
            path.truncate(keep);
            next += len;
            let nul = memchr::memchr(0, data.get(next..).ok_or(TRUNCATED)?).ok_or(TRUNCATED)?;
            path.extend_from_slice(&data[next..next + nul]);
            next += nul + 1;
        } else {
            // The path, then 1–8 NULs padding the entry to a multiple of 8 bytes.
            let nul = memchr::memchr(0, data.get(next..).ok_or(TRUNCATED)?).ok_or(TRUNCATED)?;
            path.clear();
            path.extend_from_slice(&data[next..next + nul]);
            next = at + ((next - at + nul + 8) & !7);
            if next > data.len() {
                return Err(TRUNCATED);
            }
        }
        if path.is_empty() {
            return Err("index entry with an empty path");
        }
        let start = self.paths.len();
        self.paths.extend_from_slice(path);
        let stage = ((flags & STAGE_MASK) >> 12) as u8;
        self.entries.push(Entry { mode, stage, is_intent_to_add, id, path: (start, self.paths.len()) });
        Ok(next)
    }

    /// Number of entries.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Entry `i` (panics if `i >= len()`, as slice indexing does).
    pub(super) fn entry(&self, i: usize) -> &Entry {
        &self.entries[i]
    }

    /// The path of entry `i` (bytes as stored; `/`-separated, relative to the work tree top).
    pub(super) fn path(&self, i: usize) -> &[u8] {
        let (start, end) = self.entries[i].path;
        &self.paths[start..end]
    }

    /// The cache tree's record of directory `dir` (`""`: the root), if it is valid.
    pub(super) fn cached_tree(&self, dir: &[u8]) -> Option<&CachedTree> {
        self.trees.get(dir)
    }
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// Git's offset varint (`varint.c`): returns (value, bytes read); `None` if truncated or too large.
fn varint(data: &[u8]) -> Option<(usize, usize)> {
    let mut bytes = data.iter();
    let mut c = *bytes.next()?;
    let mut value = usize::from(c & 0x7f);
    let mut len = 1;
    while c & 0x80 != 0 {
        c = *bytes.next()?;
        value = value.checked_add(1)?.checked_mul(128)? | usize::from(c & 0x7f);
        len += 1;
    }
    Some((value, len))
}

/// The `TREE` extension: `<component>\0<entry count> <subtree count>\n<id>` per directory, depth
/// first from the root; an invalidated directory has entry count -1 and no id. Returns the
/// valid directories by full path; `None` if malformed.
fn parse_cache_tree(mut data: &[u8]) -> Option<HashMap<Vec<u8>, CachedTree>> {
    let mut trees = HashMap::new();
    // The open directories: (full path, subtrees still to come).
    let mut stack: Vec<(Vec<u8>, u64)> = Vec::new();
    let mut first = true;
    while !data.is_empty() {
        let nul = memchr::memchr(0, data)?;
        let name = &data[..nul];
        let newline = memchr::memchr(b'\n', &data[nul..])? + nul;
        let counts = std::str::from_utf8(&data[nul + 1..newline]).ok()?;
        let (entries, subtrees) = counts.split_once(' ')?;
        let (entries, subtrees): (i64, u64) = (entries.parse().ok()?, subtrees.parse().ok()?);
        data = &data[newline + 1..];
        let full = match stack.last_mut() {
            None if first => name.to_vec(),
            None => return None, // a second root
            Some((parent, left)) => {
                *left -= 1;
                let mut full = parent.clone();
                if !full.is_empty() {
                    full.push(b'/');
                }
                full.extend_from_slice(name);
                full
            }
        };
        first = false;
        if entries >= 0 {
            let id: Id = data.get(..ID_LEN)?.try_into().ok()?;
            data = &data[ID_LEN..];
            trees.insert(full.clone(), CachedTree { entries: usize::try_from(entries).ok()?, id });
        }
        stack.push((full, subtrees));
        while stack.last().is_some_and(|(_, left)| *left == 0) {
            stack.pop();
        }
    }
    Some(trees)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One version 2 entry: mode, id byte, path (flags: stage 0, name length).
    fn entry_v2(mode: u32, id: u8, path: &str) -> Vec<u8> {
        let mut e = vec![0; 24];
        e.extend_from_slice(&mode.to_be_bytes());
        e.extend_from_slice(&[0; 12]);
        e.extend_from_slice(&[id; ID_LEN]);
        e.extend_from_slice(&(path.len() as u16).to_be_bytes());
        e.extend_from_slice(path.as_bytes());
        let padded = (e.len() + 8) & !7;
        e.resize(padded, 0);
        e
    }

    fn index(version: u32, entries: &[Vec<u8>], extensions: &[u8]) -> Vec<u8> {
        let mut d = b"DIRC".to_vec();
        d.extend_from_slice(&version.to_be_bytes());
        d.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        for e in entries {
            d.extend_from_slice(e);
        }
        d.extend_from_slice(extensions);
        d.extend_from_slice(&[0; ID_LEN]);
        d
    }

    #[test]
    fn parses_version_2_entries_and_the_cache_tree() {
        let mut tree = b"\x002 1\n".to_vec();
        tree.extend_from_slice(&[7; ID_LEN]);
        tree.extend_from_slice(b"d\0-1 0\n");
        let mut ext = b"TREE".to_vec();
        ext.extend_from_slice(&(tree.len() as u32).to_be_bytes());
        ext.extend_from_slice(&tree);
        let data = index(2, &[entry_v2(0o100644, 1, "a.txt"), entry_v2(0o100755, 2, "d/long-name.sh")], &ext);
        let i = Index::parse(&data).unwrap();
        assert_eq!(i.len(), 2);
        assert_eq!((i.path(0), i.entry(0).mode, i.entry(0).id), (&b"a.txt"[..], 0o100644, [1; ID_LEN]));
        assert_eq!((i.path(1), i.entry(1).stage), (&b"d/long-name.sh"[..], 0));
        assert_eq!(i.cached_tree(b""), Some(&CachedTree { entries: 2, id: [7; ID_LEN] }));
        assert_eq!(i.cached_tree(b"d"), None);
    }

    #[test]
    fn malformed_indexes_are_errors_never_panics() {
        let good = index(2, &[entry_v2(0o100644, 1, "a.txt"), entry_v2(0o100644, 2, "b")], b"");
        assert!(Index::parse(&good).is_ok());
        for cut in 0..good.len() {
            assert!(Index::parse(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut lying = good.clone();
        lying[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(Index::parse(&lying).is_err());
        let mut v5 = good.clone();
        v5[4..8].copy_from_slice(&5u32.to_be_bytes());
        assert!(Index::parse(&v5).is_err());
        assert!(Index::parse(&index(2, &[entry_v2(0o100644, 1, "a")], b"link\0\0\0\0")).is_err());
        // Optional extensions are skipped; a garbled cache tree is ignored.
        let ok = index(2, &[entry_v2(0o100644, 1, "a")], b"UNTR\0\0\0\x01xTREE\0\0\0\x03\x01\x02\x03");
        let parsed = Index::parse(&ok).unwrap();
        assert!(parsed.len() == 1 && parsed.cached_tree(b"").is_none());
        // Every byte flipped in turn: an error or an index, never a panic.
        for at in 0..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0xff;
            let _ = Index::parse(&bad);
        }
    }

    #[test]
    fn varints_follow_git() {
        assert_eq!(varint(&[0x05]), Some((5, 1)));
        assert_eq!(varint(&[0x80, 0x00]), Some((128, 2)));
        assert_eq!(varint(&[0x81, 0x7f]), Some((383, 2)));
        assert_eq!(varint(&[0x80]), None);
        assert_eq!(varint(&[0xff; 20]), None);
    }

    #[test]
    fn cache_tree_paths_nest() {
        let mut data = Vec::new();
        for (name, entries, subs, id) in [("", 3, 2, 1u8), ("b", 1, 1, 2), ("c", 1, 0, 3), ("a", -1, 0, 0)] {
            data.extend_from_slice(format!("{name}\0{entries} {subs}\n").as_bytes());
            if entries >= 0 {
                data.extend_from_slice(&[id; ID_LEN]);
            }
        }
        let trees = parse_cache_tree(&data).unwrap();
        assert_eq!(trees.get(&b"b/c"[..]).map(|t| t.id), Some([3; ID_LEN]));
        assert_eq!(trees.get(&b""[..]).map(|t| t.entries), Some(3));
        assert!(!trees.contains_key(&b"a"[..]) && trees.len() == 3);
        assert!(parse_cache_tree(b"\0x 0\n").is_none());
        assert!(parse_cache_tree(b"\0-1 0\n\0-1 0\n").is_none(), "a second root");
    }
}
