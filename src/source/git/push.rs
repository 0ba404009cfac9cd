//! `--pre-push`: git's pre-push standard input (`<local ref> <local sha> <remote ref> <remote
//! sha>` per line) → the commits the push would send.
//!
//! Invariant: an update of an existing remote branch sends `remote..local`; a new branch (remote
//! sha all zeros) sends what no remote-tracking ref reaches; a deletion sends nothing. When the
//! remote sha is unknown locally, the remote-tracking refs bound the range instead and a
//! shallow clone that cannot bound it is reported incomplete. Depends on `messages`, `git2`.

use crate::messages;
use git2::{Oid, Repository, Revwalk};

/// One line of git's pre-push input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushUpdate {
    /// The local ref pushed (`refs/heads/main`), or `(delete)`.
    pub local_ref: String,
    /// The local commit id, hex (all zeros for a deletion).
    pub local_sha: String,
    /// The remote ref updated.
    pub remote_ref: String,
    /// The remote's current commit id, hex (all zeros for a new branch).
    pub remote_sha: String,
}

impl PushUpdate {
    /// Parses git's pre-push standard input; blank lines are ignored. An error names the line.
    pub fn parse_all(text: &str) -> Result<Vec<PushUpdate>, String> {
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields[..] {
                [] => {}
                [local_ref, local_sha, remote_ref, remote_sha] if is_hex(local_sha) && is_hex(remote_sha) => {
                    out.push(PushUpdate {
                        local_ref: local_ref.into(),
                        local_sha: local_sha.into(),
                        remote_ref: remote_ref.into(),
                        remote_sha: remote_sha.into(),
                    })
                }
                _ => {
                    return Err(format!(
                        "pre-push input line {}: expected `<local ref> <sha> <remote ref> <sha>`",
                        n + 1
                    ))
                }
            }
        }
        Ok(out)
    }
}

fn is_hex(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_zero(s: &str) -> bool {
    s.bytes().all(|b| b == b'0')
}

/// The walk over the commits the updates would send, or `None` after reporting why not.
pub(super) fn walk<'r>(repo: &'r Repository, updates: &[PushUpdate]) -> Option<Revwalk<'r>> {
    let mut walk = match repo.revwalk() {
        Ok(w) => w,
        Err(e) => {
            messages::incomplete("unreadable git history", e.message());
            return None;
        }
    };
    let mut hide_tracking = false;
    for u in updates.iter().filter(|u| !is_zero(&u.local_sha)) {
        let pushed = Oid::from_str(&u.local_sha).and_then(|id| walk.push(id));
        if let Err(e) = pushed {
            let detail = format!("{} {}: {}", messages::escape(u.local_ref.as_bytes()), u.local_sha, e.message());
            messages::incomplete("unreadable git object", &detail);
            continue;
        }
        let known = !is_zero(&u.remote_sha)
            && Oid::from_str(&u.remote_sha).is_ok_and(|id| repo.find_commit(id).is_ok() && walk.hide(id).is_ok());
        hide_tracking |= !known;
    }
    if hide_tracking {
        hide_remote_tracking(repo, &mut walk);
    }
    Some(walk)
}

/// Hides every commit a remote-tracking ref reaches (what the remotes already have).
fn hide_remote_tracking(repo: &Repository, walk: &mut Revwalk<'_>) {
    if repo.is_shallow() {
        messages::incomplete(
            "shallow clone",
            "cannot tell which commits the remote already has below the shallow boundary",
        );
    }
    let Ok(refs) = repo.references_glob("refs/remotes/*") else { return };
    for r in refs.flatten() {
        if let Some(id) = r.resolve().ok().and_then(|r| r.target()) {
            if let Ok(commit) = repo.find_object(id, None).and_then(|o| o.peel_to_commit()) {
                let _ = walk.hide(commit.id());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PushUpdate;

    #[test]
    fn parses_pre_push_lines() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let text = format!("refs/heads/x {a} refs/heads/x {z}\n\n");
        let u = PushUpdate::parse_all(&text).unwrap();
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].remote_sha, z);
        assert!(PushUpdate::parse_all("refs/heads/x abc refs/heads/x def\n").is_err());
    }
}
