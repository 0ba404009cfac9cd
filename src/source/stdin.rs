//! Standard input as one input (`leakscan -` or a pipe). Depends on `source`, `chunk`.

use super::Context;
use crate::chunk::Origin;

/// Reads standard input to its end.
pub fn scan(ctx: &Context<'_>) {
    let stdin = std::io::stdin();
    let mut lock = stdin.lock();
    ctx.read(Origin::Stdin, &mut lock);
}

/// True when standard input is a pipe or a redirected file (so `leakscan` with no path reads
/// it); false for a terminal, `/dev/null` and other devices.
pub fn is_readable() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let Ok(meta) = std::fs::metadata("/dev/stdin") else { return false };
        let ft = meta.file_type();
        ft.is_fifo() || ft.is_file() || ft.is_socket()
    }
    #[cfg(not(unix))]
    {
        false
    }
}
