//! `leakscan hook install`: writes the embedded `hooks/pre-commit` or `hooks/pre-push` into the
//! repository's hooks directory (`core.hooksPath` when set).
//!
//! Invariant: a hook leakscan did not write is never overwritten silently: without `--force`
//! the install is refused; with it the old hook is kept as `<hook>.local`, which ours runs after
//! itself (chaining). Our hooks carry [`MARKER`], so reinstalling replaces them in place.
//! Depends on `source::git` (the hooks directory; git2 stays there), `cli::exit`.

use anyhow::{anyhow, bail, Result};
use std::path::Path;

/// Which hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    /// `pre-commit`: `leakscan git --staged`.
    PreCommit,
    /// `pre-push`: `leakscan git --pre-push`.
    PrePush,
}

/// The line that marks a hook as ours.
pub const MARKER: &str = "# leakscan-hook:";

impl Hook {
    /// The hook's file name.
    pub fn name(self) -> &'static str {
        match self {
            Hook::PreCommit => "pre-commit",
            Hook::PrePush => "pre-push",
        }
    }

    /// The POSIX sh script (embedded from `hooks/`).
    pub fn script(self) -> &'static str {
        match self {
            Hook::PreCommit => include_str!("../hooks/pre-commit"),
            Hook::PrePush => include_str!("../hooks/pre-push"),
        }
    }
}

/// Installs `hook` into the hooks directory of the repository at `repo` (default: the current
/// directory); returns the exit code.
pub fn install(repo: Option<&Path>, hook: Hook, force: bool) -> Result<u8> {
    let dir = crate::source::git::hooks_dir(repo.unwrap_or(Path::new("."))).map_err(|e| anyhow!("{e}"))?;
    std::fs::create_dir_all(&dir).map_err(|e| anyhow!("creating {}: {e}", dir.display()))?;
    let path = dir.join(hook.name());
    match std::fs::read(&path) {
        Ok(old) if is_ours(&old) => {}
        Ok(_) if !force => bail!(
            "{} exists and was not written by leakscan; rerun with --force to keep it as {}.local \
             (leakscan's hook runs it after its own check)",
            path.display(),
            hook.name()
        ),
        Ok(_) => {
            let local = dir.join(format!("{}.local", hook.name()));
            if local.exists() {
                bail!("{} exists: move it away first, then rerun", local.display());
            }
            std::fs::rename(&path, &local).map_err(|e| anyhow!("renaming {}: {e}", path.display()))?;
            eprintln!("leakscan: kept the existing hook as {} (run after leakscan's check)", local.display());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => bail!("reading {}: {e}", path.display()),
    }
    write_executable(&path, hook.script())?;
    eprintln!("leakscan: installed {}", path.display());
    Ok(crate::cli::exit::CLEAN)
}

fn is_ours(script: &[u8]) -> bool {
    script.split(|&b| b == b'\n').take(3).any(|line| line.starts_with(MARKER.as_bytes()))
}

fn write_executable(path: &Path, script: &str) -> Result<()> {
    std::fs::write(path, script).map_err(|e| anyhow!("writing {}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| anyhow!("making {} executable: {e}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_hooks_are_marked_and_posix() {
        for hook in [Hook::PreCommit, Hook::PrePush] {
            assert!(hook.script().starts_with("#!/bin/sh\n"));
            assert!(is_ours(hook.script().as_bytes()), "{}", hook.name());
            assert!(hook.script().contains("leakscan:allow"));
        }
        assert!(!is_ours(b"#!/bin/sh\nexec husky\n"));
    }
}
