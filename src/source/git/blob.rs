//! Reading blobs for `leakscan git`: whole, or only the lines a commit (or the index) added
//! relative to the parent versions of the same path.
//!
//! Invariant: blobs are read raw (no filter, no textconv), so no `.gitattributes` driver can
//! run; a blob that cannot be read marks the scan incomplete, an old version that cannot be
//! read makes the new one scanned whole (never less). Binary blobs are scanned whole.
//! Depends on `source`, `chunk`, `messages`, `git2`.

use super::super::Context;
use super::lines::{added, mask, LineSet, Lines};
use crate::chunk::{sniff_content, Content, Origin};
use crate::messages;
use git2::{Oid, Repository};
use std::path::Path;
use std::rc::Rc;

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

/// What a reader thread is given.
pub(super) enum Work {
    /// A blob to read and scan.
    Blob(Job),
    /// A commit message (scanned here so the history walk stays the only serial work).
    Message(Origin, Vec<u8>),
}

/// A reader thread: its own `Repository` (git2 handles are not shared across threads) and its
/// own cache of recent line sets.
pub(super) fn read_jobs(ctx: &Context<'_>, git_dir: &Path, jobs: crossbeam_channel::Receiver<Work>) {
    let repo = match Repository::open(git_dir) {
        Ok(r) => r,
        Err(e) => return messages::incomplete("unreadable repository", e.message()),
    };
    let mut lines = Lines::new();
    for job in jobs {
        if ctx.is_stopping() {
            break;
        }
        match job {
            Work::Blob(job) => read_job(ctx, &repo, job, &mut lines),
            Work::Message(origin, text) => ctx.read(origin, &mut &text[..]),
        }
    }
}

/// Blobs larger than this are streamed (when their storage allows) and scanned whole, never
/// held in memory: a 500 MB blob would cost 500 MB per reader thread.
const STREAM_ABOVE: usize = 64 << 20;

/// Reads one blob and scans it, or only its added lines; caches its line set.
pub(super) fn read_job(ctx: &Context<'_>, repo: &Repository, job: Job, lines: &mut Lines) {
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
    if sniff_content(content) == Content::Binary {
        return ctx.read(job.origin, &mut &content[..]);
    }
    let hashes = lines.hashes(content);
    let olds = match job.olds.is_empty() {
        true => None,
        false => old_line_sets(repo, lines, &job.olds),
    };
    match olds {
        None => ctx.read(job.origin, &mut &content[..]),
        Some(olds) => ctx.read(job.origin, &mut &mask(content, &added(&hashes, &olds))[..]),
    }
    lines.insert(job.new, &hashes);
}

/// The line sets of the old versions, cached or read. `None` when one cannot be read (the new
/// version is then scanned whole).
fn old_line_sets(repo: &Repository, lines: &mut Lines, olds: &[Oid]) -> Option<Vec<Rc<LineSet>>> {
    let mut out = Vec::with_capacity(olds.len());
    for id in olds {
        let set = match lines.get(*id) {
            Some(s) => s,
            None => {
                let blob = repo.find_blob(*id).ok()?;
                let hashes = lines.hashes(blob.content());
                lines.insert(*id, &hashes)
            }
        };
        out.push(set);
    }
    Some(out)
}
