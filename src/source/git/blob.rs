//! Reading blobs for `leakscan git`: whole, or only the lines a commit (or the index) added
//! relative to the parent versions of the same path; and the `--staged` scan.
//!
//! Invariant: blobs are read raw (no filter, no textconv) and diffed with no path, so no
//! `.gitattributes` driver can run; a blob that cannot be read marks the scan incomplete, an
//! old version that cannot be read makes the new one scanned whole (never less).
//! Depends on `source`, `chunk`, `messages`, `git2`.

use super::super::fs::Entry;
use super::super::Context;
use super::{is_blob, path_from_bytes, tree_diff_options, GitOptions};
use crate::chunk::{sniff_content, Content, Origin};
use crate::messages;
use git2::{Delta, DiffOptions, Oid, Repository};
use std::path::Path;

/// One blob to scan.
pub(super) struct Job {
    /// The blob.
    pub new: Oid,
    /// Versions of the same path in the parents: only lines absent from all of them are
    /// scanned. Empty: the whole blob.
    pub olds: Vec<Oid>,
    /// Where its findings are attributed.
    pub origin: Origin,
}

/// A reader thread: its own `Repository` (git2 handles are not shared across threads).
pub(super) fn read_jobs(ctx: &Context<'_>, git_dir: &Path, jobs: crossbeam_channel::Receiver<Job>) {
    let repo = match Repository::open(git_dir) {
        Ok(r) => r,
        Err(e) => return messages::incomplete("unreadable repository", e.message()),
    };
    for job in jobs {
        if ctx.is_stopping() {
            break;
        }
        read_job(ctx, &repo, job);
    }
}

/// Blobs larger than this are streamed (when their storage allows) and scanned whole, never
/// held in memory: a 500 MB blob would cost 500 MB per reader thread (issue 9).
const STREAM_ABOVE: usize = 64 << 20;

/// Reads one blob and scans it, or only its added lines.
pub(super) fn read_job(ctx: &Context<'_>, repo: &Repository, job: Job) {
    let Ok(odb) = repo.odb() else { return messages::incomplete("unreadable repository", "object database") };
    if odb.read_header(job.new).is_ok_and(|(size, _)| size > STREAM_ABOVE) {
        // libgit2 streams loose objects only; a packed blob falls through to a whole read.
        // Scanned whole, not only its added lines: more, never less.
        if let Ok((mut stream, _, _)) = odb.reader(job.new) {
            return ctx.read(job.origin, &mut stream);
        }
    }
    let blob = match repo.find_blob(job.new) {
        Ok(b) => b,
        Err(e) => {
            let at = messages::escape(&job.origin.display_bytes());
            return messages::incomplete("unreadable git object", &format!("blob {} ({at}): {}", job.new, e.message()));
        }
    };
    let content = blob.content();
    let added = match job.olds.is_empty() || sniff_content(content) == Content::Binary {
        true => None,
        false => added_lines(repo, &blob, &job.olds),
    };
    match added {
        None => ctx.read(job.origin, &mut &content[..]),
        Some(added) => ctx.read(job.origin, &mut &mask(content, &added)[..]),
    }
}

/// For each line of `new` (0-based), whether no old version has it: the line diffs against
/// every old version, intersected. `None` when an old version cannot be read.
fn added_lines(repo: &Repository, new: &git2::Blob<'_>, olds: &[Oid]) -> Option<Vec<bool>> {
    let lines = crate::chunk::count_lines(new.content()) as usize + 1;
    let mut added = vec![true; lines];
    let mut opts = DiffOptions::new();
    opts.context_lines(0).interhunk_lines(0).force_text(true);
    for old in olds {
        let old = repo.find_blob(*old).ok()?;
        let mut this = vec![false; lines];
        // With no context, each hunk's new side is exactly the added lines (1-based).
        let mut hunk = |_: git2::DiffDelta<'_>, h: git2::DiffHunk<'_>| {
            let start = (h.new_start() as usize).saturating_sub(1);
            let end = (start + h.new_lines() as usize).min(lines);
            this[start.min(end)..end].iter_mut().for_each(|b| *b = true);
            true
        };
        repo.diff_blobs(Some(&old), None, Some(new), None, Some(&mut opts), None, None, Some(&mut hunk), None).ok()?;
        added.iter_mut().zip(&this).for_each(|(a, t)| *a &= *t);
    }
    Some(added)
}

/// `content` with every line not marked `added` emptied (its newline kept, so line numbers and
/// the columns of added lines stay those of the blob).
fn mask(content: &[u8], added: &[bool]) -> Vec<u8> {
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

/// `--staged`: every index entry whose blob differs from `HEAD`'s (new files included), only
/// the lines it adds. Honours `GIT_INDEX_FILE` (git sets it for hooks of `commit -a`).
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
        Ok(h) => match h.peel_to_tree() {
            Ok(t) => Some(t),
            Err(e) => return messages::incomplete("unreadable git object", &format!("HEAD: {}", e.message())),
        },
        // An unborn branch (first commit): everything staged is new.
        Err(e) if matches!(e.code(), git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound) => None,
        Err(e) => return messages::incomplete("unreadable git history", e.message()),
    };
    let diff = match repo.diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut tree_diff_options())) {
        Ok(d) => d,
        Err(e) => return messages::incomplete("unreadable git index", e.message()),
    };
    let workdir = repo.workdir().unwrap_or(repo.path()).to_path_buf();
    for delta in diff.deltas() {
        if !matches!(
            delta.status(),
            Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
        ) || !is_blob(delta.new_file().mode())
            || delta.new_file().id().is_zero()
        {
            continue;
        }
        let Some(path) = delta.new_file().path_bytes().map(path_from_bytes) else { continue };
        if let Some(reason) = (opts.exclude)(&workdir.join(&path), Entry::File) {
            ctx.tally.skip(reason);
            continue;
        }
        let old = delta.old_file();
        let olds = if delta.status() == Delta::Modified && is_blob(old.mode()) { vec![old.id()] } else { Vec::new() };
        read_job(ctx, repo, Job { new: delta.new_file().id(), olds, origin: Origin::Staged { path } });
    }
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn mask_keeps_line_numbers() {
        let text = b"a\nbb\nccc\nd";
        assert_eq!(mask(text, &[false, true, false, true]), b"\nbb\n\nd");
        assert_eq!(mask(text, &[true, false, false, false]), b"a\n\n\n");
        assert_eq!(mask(b"x\n", &[false, false]), b"\n");
    }
}
