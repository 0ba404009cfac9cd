//! Archives and compressed streams, opened by content (see `source::sniff`): gzip (multi-member),
//! zstd, xz, bzip2, tar and zip, nested down to `--max-archive-depth`, each member fed back
//! through `Context::scan`.
//!
//! Invariants: nothing is written to disk; member names are labels in an `Origin::Entry`, never
//! paths to open; symlink and hardlink members are not followed. Every decompressed byte is
//! metered against the [`Limits`] of its top-level input (total bytes, bytes per member,
//! compression ratio measured on the fly, member count, depth): a bomb stops at a budget in
//! bounded memory and time, and is reported through `messages::incomplete`, as is damage
//! (which member, which offset); what was read before either is still scanned.
//! Zip lives in `archive/zipfile.rs`. Depends on `source`, `chunk`, `messages`, flate2, tar,
//! zstd, xz2, bzip2 (zip in the submodule); never on the matcher or reporters.

mod zipfile;

use super::{Codec, Context, Kind};
use crate::chunk::Origin;
use crate::messages;
use std::cell::Cell;
use std::fmt;
use std::io::{self, Read};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Archive budgets, per top-level input (a file given or walked, or stdin).
#[derive(Clone, Debug)]
pub struct Limits {
    /// Layers of archives and compression opened, counting each (a `.tar.gz` is two).
    pub max_depth: usize,
    /// Decompressed bytes, over all layers and members.
    pub max_total: u64,
    /// Decompressed bytes of any one member or stream.
    pub max_entry: u64,
    /// Decompressed bytes per compressed byte of one stream or member, measured as it inflates.
    pub max_ratio: u64,
    /// Archive members, over all layers.
    pub max_entries: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_depth: 8, max_total: 16 << 30, max_entry: 4 << 30, max_ratio: 1000, max_entries: 1_000_000 }
    }
}

/// What one top-level input has used of its [`Limits`].
///
/// Shared by the threads that inflate one zip's members side by side (`archive/zipfile.rs`):
/// counters are atomic, so every byte and member is counted against the one budget.
pub struct Budget<'a> {
    limits: &'a Limits,
    total: AtomicU64,
    entries: AtomicU64,
    buffered: AtomicU64,
    exhausted: AtomicBool,
}

impl<'a> Budget<'a> {
    /// A fresh budget for one top-level input.
    pub fn new(limits: &'a Limits) -> Self {
        Budget {
            limits,
            total: AtomicU64::new(0),
            entries: AtomicU64::new(0),
            buffered: AtomicU64::new(0),
            exhausted: AtomicBool::new(false),
        }
    }

    /// Counts one member; false (and reported, once) once the member count is over budget.
    /// Members already admitted are read to their end: threads inflating one zip side by side
    /// stop taking members, not reading the ones they hold.
    fn admit(&self, member: &Origin) -> bool {
        if self.is_exhausted() {
            return false;
        }
        let n = self.entries.fetch_add(1, Ordering::Relaxed) + 1;
        if n > self.limits.max_entries {
            if n == self.limits.max_entries + 1 {
                exceeded(&format!("{member:?}: more than {} members (--max-archive-entries)", self.limits.max_entries));
            }
            return false;
        }
        true
    }

    /// True once a budget ran out: nothing more of this input is read.
    fn is_exhausted(&self) -> bool {
        self.exhausted.load(Ordering::Relaxed)
    }

    fn exhaust(&self) {
        self.exhausted.store(true, Ordering::Relaxed);
    }
}

/// Reading stopped and the reason has been reported (`messages::incomplete`).
#[derive(Debug)]
pub struct Halt;

/// A budget ran out; carried inside an `io::Error` from the meter to whoever reads.
#[derive(Debug)]
struct Exceeded(String);

/// The stream failed earlier and that was reported already.
#[derive(Debug)]
struct Reported;

/// Damage found in a layer, already described with its layer and offsets.
#[derive(Debug)]
struct Damage(String);

impl fmt::Display for Exceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Display for Reported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stream failed earlier")
    }
}
impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Exceeded {}
impl std::error::Error for Reported {}
impl std::error::Error for Damage {}

fn is<T: std::error::Error + 'static>(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<T>())
}

fn exceeded(detail: &str) {
    messages::incomplete("archive budget exceeded", detail);
}

const SKIP_ENCRYPTED: &str = "encrypted (age, OpenPGP, OpenSSL, LUKS, zip or rar encryption): not scannable";
const SKIP_OPAQUE: &str = "archive format not opened (7z, rar)";
const SKIP_LINK: &str = "archive link member (not followed)";
/// Skip reason for members (and inputs) that are encrypted containers; the backup check counts them.
pub const ENCRYPTED: &str = SKIP_ENCRYPTED;
/// Skip reason for archives leakscan cannot open; the backup check cannot pass with them.
pub const OPAQUE: &str = SKIP_OPAQUE;

/// Reports why reading `origin` stopped at `offset` (bytes of that member): a budget, damage
/// inside an archive, or a plain read error; nothing for a failure reported already.
pub fn report_failure(origin: &Origin, error: &io::Error, offset: u64) {
    if is::<Reported>(error) {
    } else if is::<Exceeded>(error) {
        exceeded(&format!("{origin:?}: {error}; stopped after {offset} bytes of it"));
    } else if origin.depth() > 0 {
        messages::incomplete("archive damaged", &format!("{origin:?}: {error} (after {offset} bytes of this member)"));
    } else {
        messages::incomplete("read error", &format!("{origin:?}: {error} (after {offset} bytes)"));
    }
}

/// Opens an archive, compressed stream or container sniffed as `kind` and scans its members.
pub fn open(
    ctx: &Context<'_>,
    origin: Arc<Origin>,
    reader: &mut dyn Read,
    kind: Kind,
    budget: &Budget,
) -> Result<(), Halt> {
    match kind {
        Kind::Encrypted(what) => {
            ctx.tally.skip(SKIP_ENCRYPTED);
            messages::note(&format!("{origin:?}: {what} encrypted container, not scannable"));
            return Ok(());
        }
        Kind::Opaque(what) => {
            ctx.tally.skip(SKIP_OPAQUE);
            messages::warn(&format!("{origin:?}: {what} archive: not opened, its members are not scanned"));
            return Ok(());
        }
        _ => {}
    }
    if origin.depth() >= budget.limits.max_depth {
        exceeded(&format!(
            "{origin:?}: nested deeper than --max-archive-depth {}: not opened",
            budget.limits.max_depth
        ));
        return Ok(());
    }
    match kind {
        Kind::Compressed(codec) => decompress(ctx, origin, reader, codec, budget),
        Kind::Tar => tar(ctx, origin, reader, budget),
        Kind::Zip => zipfile::scan(ctx, origin, reader, budget),
        _ => Ok(()),
    }
}

/// Counts bytes read through it into a shared cell (the compressed side of a meter).
struct Counted<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// The decompressed side of a stream or member: enforces the per-member, total and ratio
/// budgets, names damage with its offsets, and fails for good after the first failure.
struct Meter<'b, 'l, R> {
    inner: R,
    consumed: Rc<Cell<u64>>,
    produced: u64,
    budget: &'b Budget<'l>,
    layer: String,
    failed: bool,
}

/// A meter checks the ratio only past this many decompressed bytes (small files of zeros).
const RATIO_FLOOR: u64 = 1 << 20;

impl<R: Read> Meter<'_, '_, R> {
    fn over_budget(&self) -> Option<String> {
        let l = self.budget.limits;
        if self.budget.total.load(Ordering::Relaxed) > l.max_total {
            self.budget.exhaust();
            Some(format!("more than {} decompressed bytes in this input (--max-archive-size)", l.max_total))
        } else if self.produced > l.max_entry {
            Some(format!("{} inflates past {} bytes (--max-archive-entry-size)", self.layer, l.max_entry))
        } else if self.produced > RATIO_FLOOR && self.produced / self.consumed.get().max(1) > l.max_ratio {
            // A bomb signal: stop the whole input, not just this member (a nested bomb holds
            // thousands of such members).
            self.budget.exhaust();
            Some(format!(
                "{} inflates {} compressed bytes to {} (over {}:1, --max-compression-ratio)",
                self.layer,
                self.consumed.get(),
                self.produced,
                l.max_ratio
            ))
        } else {
            None
        }
    }
}

impl<R: Read> Read for Meter<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failed || self.budget.is_exhausted() {
            return Err(io::Error::other(Reported));
        }
        match self.inner.read(buf) {
            Ok(n) => {
                self.produced += n as u64;
                self.budget.total.fetch_add(n as u64, Ordering::Relaxed);
                match self.over_budget() {
                    Some(why) => {
                        self.failed = true;
                        Err(io::Error::other(Exceeded(why)))
                    }
                    None => Ok(n),
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                self.failed = true;
                if is::<Reported>(&e) || is::<Exceeded>(&e) || is::<Damage>(&e) {
                    return Err(e);
                }
                let what = format!(
                    "{} damaged at compressed offset {} (decompressed offset {}): {e}",
                    self.layer,
                    self.consumed.get(),
                    self.produced
                );
                Err(io::Error::new(e.kind(), Damage(what)))
            }
        }
    }
}

/// Decompresses one stream and scans its content (which may be another archive).
fn decompress(
    ctx: &Context<'_>,
    origin: Arc<Origin>,
    reader: &mut dyn Read,
    codec: Codec,
    budget: &Budget,
) -> Result<(), Halt> {
    let consumed = Rc::new(Cell::new(0));
    let input = Counted { inner: reader, count: Rc::clone(&consumed) };
    let (decoder, name): (Box<dyn Read + '_>, &str) = match codec {
        Codec::Gzip => (Box::new(flate2::read::MultiGzDecoder::new(input)), "gzip"),
        Codec::Bzip2 => (Box::new(bzip2::read::MultiBzDecoder::new(input)), "bzip2"),
        Codec::Xz => {
            // A 128 MiB decoder memory cap: a crafted header cannot make xz allocate gigabytes.
            let stream = xz2::stream::Stream::new_stream_decoder(128 << 20, xz2::stream::CONCATENATED);
            match stream {
                Ok(s) => (Box::new(xz2::read::XzDecoder::new_stream(input, s)), "xz"),
                Err(e) => return fail(&origin, &io::Error::other(e)),
            }
        }
        Codec::Zstd => match zstd::stream::read::Decoder::new(input) {
            Ok(mut d) => {
                // 2^27 = 128 MiB window at most, zstd's own default cap, stated here on purpose.
                let _ = d.window_log_max(27);
                (Box::new(d), "zstd")
            }
            Err(e) => return fail(&origin, &e),
        },
    };
    let layer = format!("{name} stream {origin:?}");
    let member = Arc::new(Origin::Entry { outer: origin, name: Vec::new() });
    let mut meter = Meter { inner: decoder, consumed, produced: 0, budget, layer, failed: false };
    let scanned = ctx.scan(Arc::clone(&member), &mut meter, budget);
    // Read what the content's reader left (a tar stops at its end blocks) to the stream's end:
    // the gzip/bzip2/xz/zstd trailer holds the checksum, so a cut trailer or a checksum
    // mismatch is noticed (issue 9: a .tar.gz with a damaged trailer used to scan "complete").
    if scanned.is_ok() && !ctx.is_stopping() {
        if let Err(e) = io::copy(&mut meter, &mut io::sink()) {
            report_failure(&member, &e, meter.produced);
            return Err(Halt);
        }
    }
    scanned
}

fn fail(origin: &Origin, error: &io::Error) -> Result<(), Halt> {
    report_failure(origin, error, 0);
    Err(Halt)
}

/// Stops a member at the per-member budget (EOF there) and counts what was read.
struct Cap<R> {
    inner: R,
    left: u64,
    read: u64,
    capped: bool,
}

impl<R: Read> Read for Cap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            self.capped = true;
            return Ok(0);
        }
        let room = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..room])?;
        self.left -= n as u64;
        self.read += n as u64;
        Ok(n)
    }
}

/// A GNU sparse member whose holes (read as zeros) expand its stored bytes more than the
/// compression-ratio budget allows: a few KB of tar would otherwise cost gigabytes of scanning
/// per member (issue 9). Past the first MiB, like a compressed stream.
fn is_sparse_bomb<R: Read>(entry: &tar::Entry<'_, R>, max_ratio: u64) -> bool {
    let (real, stored) = (entry.size(), entry.header().entry_size().unwrap_or(0));
    real > RATIO_FLOOR && real / stored.max(1) > max_ratio
}

/// Scans a tar stream member by member. Headers are attacker-controlled: a member declaring
/// more bytes than the stream holds is damage, named with its offset.
fn tar(ctx: &Context<'_>, origin: Arc<Origin>, reader: &mut dyn Read, budget: &Budget) -> Result<(), Halt> {
    let mut archive = tar::Archive::new(reader);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => return fail(&origin, &e),
    };
    for entry in entries {
        if ctx.is_stopping() || budget.is_exhausted() {
            return Err(Halt);
        }
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => return fail(&Origin::Entry { outer: Arc::clone(&origin), name: b"(next header)".to_vec() }, &e),
        };
        let member = Arc::new(Origin::Entry { outer: Arc::clone(&origin), name: entry.path_bytes().into_owned() });
        if !budget.admit(&member) {
            return Err(Halt);
        }
        use tar::EntryType as T;
        match entry.header().entry_type() {
            T::Symlink | T::Link => {
                ctx.tally.skip(SKIP_LINK);
                continue;
            }
            T::Directory | T::Char | T::Block | T::Fifo => continue,
            T::GNUSparse if is_sparse_bomb(&entry, budget.limits.max_ratio) => {
                let (real, stored) = (entry.size(), entry.header().entry_size().unwrap_or(0));
                let ratio = budget.limits.max_ratio;
                exceeded(&format!(
                    "{member:?}: sparse member of {real} bytes stores {stored} (over {ratio}:1, --max-compression-ratio): not scanned"
                ));
                continue;
            }
            _ => {}
        }
        let (declared, at) = (entry.size(), entry.raw_file_position());
        let mut cap = Cap { inner: &mut entry, left: budget.limits.max_entry, read: 0, capped: false };
        let scanned = ctx.scan(Arc::clone(&member), &mut cap, budget);
        // Read what the member's scan left (an encrypted or too-deep member, a zip's directory).
        if let Err(e) = io::copy(&mut cap, &mut io::sink()) {
            report_failure(&member, &e, cap.read);
            return Err(Halt);
        }
        if cap.capped {
            exceeded(&format!(
                "{member:?}: larger than {} bytes (--max-archive-entry-size): rest not scanned",
                budget.limits.max_entry
            ));
        } else if cap.read < declared && scanned.is_ok() {
            let detail =
                format!("{member:?}: declares {declared} bytes at offset {at}, the archive ends after {}", cap.read);
            messages::incomplete("archive damaged", &detail);
            return Err(Halt);
        }
    }
    Ok(())
}
