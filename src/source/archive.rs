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
//! Depends on `source`, `chunk`, `messages`, flate2, tar, zip, zstd, xz2, bzip2; never on the
//! matcher or reporters.

use super::{Codec, Context, Kind};
use crate::chunk::Origin;
use crate::messages;
use std::cell::Cell;
use std::fmt;
use std::io::{self, Read, Seek};
use std::rc::Rc;
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
pub struct Budget<'a> {
    limits: &'a Limits,
    total: Cell<u64>,
    entries: Cell<u64>,
    buffered: Cell<u64>,
    exhausted: Cell<bool>,
}

impl<'a> Budget<'a> {
    /// A fresh budget for one top-level input.
    pub fn new(limits: &'a Limits) -> Self {
        Budget {
            limits,
            total: Cell::new(0),
            entries: Cell::new(0),
            buffered: Cell::new(0),
            exhausted: Cell::new(false),
        }
    }

    /// Counts one member; false (and reported) once the member count is over budget.
    fn admit(&self, member: &Origin) -> bool {
        if self.exhausted.get() {
            return false;
        }
        self.entries.set(self.entries.get() + 1);
        if self.entries.get() > self.limits.max_entries {
            self.exhausted.set(true);
            exceeded(&format!("{member:?}: more than {} members (--max-archive-entries)", self.limits.max_entries));
            return false;
        }
        true
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
        Kind::Zip => zip(ctx, origin, reader, budget),
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
        if self.budget.total.get() > l.max_total {
            self.budget.exhausted.set(true);
            Some(format!("more than {} decompressed bytes in this input (--max-archive-size)", l.max_total))
        } else if self.produced > l.max_entry {
            Some(format!("{} inflates past {} bytes (--max-archive-entry-size)", self.layer, l.max_entry))
        } else if self.produced > RATIO_FLOOR && self.produced / self.consumed.get().max(1) > l.max_ratio {
            // A bomb signal: stop the whole input, not just this member (a nested bomb holds
            // thousands of such members).
            self.budget.exhausted.set(true);
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
        if self.failed || self.budget.exhausted.get() {
            return Err(io::Error::other(Reported));
        }
        match self.inner.read(buf) {
            Ok(n) => {
                self.produced += n as u64;
                self.budget.total.set(self.budget.total.get() + n as u64);
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
    ctx.scan(member, &mut meter, budget)
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

/// Scans a tar stream member by member. Headers are attacker-controlled: a member declaring
/// more bytes than the stream holds is damage, named with its offset.
fn tar(ctx: &Context<'_>, origin: Arc<Origin>, reader: &mut dyn Read, budget: &Budget) -> Result<(), Halt> {
    let mut archive = tar::Archive::new(reader);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => return fail(&origin, &e),
    };
    for entry in entries {
        if ctx.is_stopping() || budget.exhausted.get() {
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

/// Scans a zip: through its central directory when it is a file on disk or fits the in-memory
/// allowance, else by streaming its local headers.
fn zip(ctx: &Context<'_>, origin: Arc<Origin>, reader: &mut dyn Read, budget: &Budget) -> Result<(), Halt> {
    if let Origin::File { path } = &*origin {
        if std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            match std::fs::File::open(path).map_err(zip::result::ZipError::Io).and_then(zip::ZipArchive::new) {
                Ok(mut archive) => return zip_directory(ctx, &origin, &mut archive, budget),
                Err(e) => return fail(&origin, &io::Error::other(e)),
            }
        }
    }
    // Nested zips are held in memory up to 64 MiB per top-level input in all.
    let allowance = (64u64 << 20).saturating_sub(budget.buffered.get());
    let mut held = Vec::new();
    if let Err(e) = reader.take(allowance + 1).read_to_end(&mut held) {
        return fail(&origin, &e);
    }
    if (held.len() as u64) <= allowance {
        budget.buffered.set(budget.buffered.get() + held.len() as u64);
        let result = match zip::ZipArchive::new(io::Cursor::new(&held[..])) {
            Ok(mut archive) => zip_directory(ctx, &origin, &mut archive, budget),
            Err(e) => fail(&origin, &io::Error::other(e)),
        };
        budget.buffered.set(budget.buffered.get() - held.len() as u64);
        return result;
    }
    let mut stream = (&held[..]).chain(reader);
    zip_stream(ctx, &origin, &mut stream, budget)
}

/// What a zip member is, read before opening its data.
struct ZipMember {
    origin: Arc<Origin>,
    encrypted: bool,
    skip: bool,
    compressed: u64,
    size: u64,
}

fn zip_member<R: Read>(outer: &Arc<Origin>, file: &zip::read::ZipFile<'_, R>) -> ZipMember {
    ZipMember {
        origin: Arc::new(Origin::Entry { outer: Arc::clone(outer), name: file.name_raw().to_vec() }),
        encrypted: file.encrypted() || file.compression() == zip::CompressionMethod::AES,
        skip: file.is_dir() || file.is_symlink(),
        compressed: file.compressed_size(),
        size: file.size(),
    }
}

/// Scans one zip member's data (already opened for reading), unless it is a link or encrypted.
fn zip_data(ctx: &Context<'_>, m: &ZipMember, data: &mut dyn Read, budget: &Budget) -> Result<(), Halt> {
    // The directory declares both sizes: refuse a bomb before inflating it (a lying declared
    // size is still caught by the meter as it inflates).
    let max_ratio = budget.limits.max_ratio;
    if m.size > RATIO_FLOOR && m.size / m.compressed.max(1) > max_ratio {
        budget.exhausted.set(true);
        let (size, compressed) = (m.size, m.compressed);
        exceeded(&format!(
            "{:?}: declares {size} bytes from {compressed} (over {max_ratio}:1, --max-compression-ratio)",
            m.origin
        ));
        return Err(Halt);
    }
    let consumed = Rc::new(Cell::new(m.compressed));
    let layer = format!("zip member {:?}", m.origin);
    let mut meter = Meter { inner: data, consumed, produced: 0, budget, layer, failed: false };
    ctx.scan(Arc::clone(&m.origin), &mut meter, budget)
}

fn zip_skipped(ctx: &Context<'_>, m: &ZipMember) -> bool {
    if m.encrypted {
        ctx.tally.skip(SKIP_ENCRYPTED);
        messages::note(&format!("{:?}: encrypted zip member, not scannable", m.origin));
    }
    m.skip || m.encrypted
}

fn zip_directory<R: Read + Seek>(
    ctx: &Context<'_>,
    origin: &Arc<Origin>,
    archive: &mut zip::ZipArchive<R>,
    budget: &Budget,
) -> Result<(), Halt> {
    for i in 0..archive.len() {
        if ctx.is_stopping() || budget.exhausted.get() {
            return Err(Halt);
        }
        let m = match archive.by_index_raw(i) {
            Ok(file) => zip_member(origin, &file),
            Err(e) => {
                messages::incomplete("archive damaged", &format!("{origin:?}: member #{i}: {e}"));
                continue;
            }
        };
        if !budget.admit(&m.origin) {
            return Err(Halt);
        }
        if zip_skipped(ctx, &m) {
            continue;
        }
        match archive.by_index(i) {
            // A member's own damage or budget does not stop its siblings: the directory is intact.
            Ok(mut file) => {
                let _ = zip_data(ctx, &m, &mut file, budget);
            }
            Err(e) => messages::incomplete("archive damaged", &format!("{:?}: {e}", m.origin)),
        }
    }
    Ok(())
}

fn zip_stream(ctx: &Context<'_>, origin: &Arc<Origin>, mut reader: &mut dyn Read, budget: &Budget) -> Result<(), Halt> {
    loop {
        if ctx.is_stopping() || budget.exhausted.get() {
            return Err(Halt);
        }
        let mut file = match zip::read::read_zipfile_from_stream(&mut reader) {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(()),
            Err(e) => {
                return fail(
                    &Origin::Entry { outer: Arc::clone(origin), name: b"(next header)".to_vec() },
                    &io::Error::other(e),
                )
            }
        };
        let m = zip_member(origin, &file);
        if !budget.admit(&m.origin) {
            return Err(Halt);
        }
        if !zip_skipped(ctx, &m) {
            zip_data(ctx, &m, &mut file, budget)?;
        }
    }
}
