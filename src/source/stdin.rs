//! Standard input as one input (`leakscan -` or a pipe). Text from a pipe is scanned line by
//! line as it arrives (`kubectl logs -f pod | leakscan` reports each secret when its line is
//! written); a redirected file, an archive, compressed or binary data is read in chunks like
//! any file. Depends on `source`, `chunk`, `source::log`.

use super::{Context, Kind};
use crate::chunk::Origin;
use std::io::Read;

/// Reads standard input to its end.
pub fn scan(ctx: &Context<'_>) {
    let stdin = std::io::stdin();
    let mut lock = stdin.lock();
    if !is_stream() {
        ctx.read(Origin::Stdin, &mut lock);
        return;
    }
    // The first read answers with what the writer has written so far: enough to tell text
    // from a compressed stream, an archive or a core, which start with their magic bytes.
    let mut first = vec![0u8; 64 << 10];
    let n = loop {
        match lock.read(&mut first) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => break other.unwrap_or(0),
        }
    };
    first.truncate(n);
    let text = n > 0 && super::sniff(&first) == Kind::Plain && !first.contains(&0);
    if text {
        super::log::stream(ctx, Origin::Stdin, first, &mut lock);
    } else {
        ctx.read(Origin::Stdin, &mut (&first[..]).chain(lock));
    }
}

/// True when standard input is a pipe, FIFO or socket: a writer may still be adding to it.
fn is_stream() -> bool {
    kind() == Some(Stdin::Stream)
}

/// True when standard input is a pipe or a redirected file (so `leakscan` with no path reads
/// it); false for a terminal, `/dev/null` and other devices.
pub fn is_readable() -> bool {
    kind().is_some()
}

/// What standard input is, when it is something leakscan reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stdin {
    File,
    Stream,
}

fn kind() -> Option<Stdin> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let ft = std::fs::metadata("/dev/stdin").ok()?.file_type();
        if ft.is_file() {
            Some(Stdin::File)
        } else if ft.is_fifo() || ft.is_socket() {
            Some(Stdin::Stream)
        } else {
            None
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}
