//! Zip members, for `archive`: through the central directory when the zip is a file on disk
//! or fits the in-memory allowance, else by streaming local headers.
//!
//! Invariant: every member's data goes through a `Meter` (ratio from the declared sizes, then
//! as it inflates) and back into `Context::scan`; encrypted members are counted, never read.
//! Depends on `archive`, `source`, `chunk`, `messages`, zip.

use super::{exceeded, fail, Budget, Halt, Meter, RATIO_FLOOR, SKIP_ENCRYPTED};
use crate::chunk::Origin;
use crate::messages;
use crate::source::{Context, Positioned};
use std::cell::Cell;
use std::io::{self, Read, Seek};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Scans a zip: through its central directory when it is a file on disk or fits the in-memory
/// allowance, else by streaming its local headers.
pub(super) fn scan(ctx: &Context<'_>, origin: Arc<Origin>, reader: &mut dyn Read, budget: &Budget) -> Result<(), Halt> {
    if let Origin::File { path } = &*origin {
        if let Some(opened) = Positioned::open(path) {
            let file = match opened {
                Ok(file) => file,
                Err(e) => return fail(&origin, &e),
            };
            let len = file.len;
            match zip::ZipArchive::new(file.clone()) {
                Ok(mut archive) => {
                    let threads = if len >= PARALLEL_FROM { ctx.threads } else { 1 };
                    return zip_directory(ctx, &origin, &mut archive, budget, threads);
                }
                Err(zip::result::ZipError::Io(e)) => return fail(&origin, &e),
                Err(e) => {
                    without_directory(&origin, &e);
                    return zip_stream(ctx, &origin, &mut io::BufReader::new(file), budget);
                }
            }
        }
    }
    // Nested zips are held in memory up to 64 MiB per top-level input in all, counted while
    // held, whether read whole or streamed past what was held.
    let mut held = Held { budget, bytes: Vec::new(), reserved: 0 };
    let whole = match held.read(reader) {
        Ok(whole) => whole,
        Err(e) => return fail(&origin, &e),
    };
    if whole {
        return match zip::ZipArchive::new(io::Cursor::new(&held.bytes[..])) {
            Ok(mut archive) => zip_directory(ctx, &origin, &mut archive, budget, 1),
            Err(e) => {
                without_directory(&origin, &e);
                zip_stream(ctx, &origin, &mut &held.bytes[..], budget)
            }
        };
    }
    let mut stream = (&held.bytes[..]).chain(reader);
    zip_stream(ctx, &origin, &mut stream, budget)
}

/// Nested zip bytes held in memory, reserved from the input's budget a MiB at a time before
/// they are read (threads inflating one zip's members share the allowance) and given back
/// when dropped.
struct Held<'b, 'l> {
    budget: &'b Budget<'l>,
    bytes: Vec<u8>,
    reserved: u64,
}

impl Held<'_, '_> {
    const ALLOWANCE: u64 = 64 << 20;
    const STEP: u64 = 1 << 20;

    /// Reads what the allowance grants; true when that is the reader's whole content.
    fn read(&mut self, reader: &mut dyn Read) -> io::Result<bool> {
        loop {
            let grant = |b: u64| (b < Self::ALLOWANCE).then(|| b + Self::STEP.min(Self::ALLOWANCE - b));
            let Ok(before) = self.budget.buffered.fetch_update(Ordering::Relaxed, Ordering::Relaxed, grant) else {
                return Ok(false);
            };
            let step = Self::STEP.min(Self::ALLOWANCE - before);
            self.reserved += step;
            if reader.take(step).read_to_end(&mut self.bytes)? < step as usize {
                return Ok(true);
            }
        }
    }
}

impl Drop for Held<'_, '_> {
    fn drop(&mut self) {
        self.budget.buffered.fetch_sub(self.reserved, Ordering::Relaxed);
    }
}

/// A zip whose central directory is missing or corrupt (a truncated download, a cut backup)
/// is damaged; its members are still read by their local headers, so what precedes the damage
/// is scanned (issue 9: a truncated zip used to yield nothing).
fn without_directory(origin: &Origin, e: &zip::result::ZipError) {
    let detail = format!("{origin:?}: central directory unreadable ({e}); members read by their local headers");
    messages::incomplete("archive damaged", &detail);
}

/// What a zip member is, read before opening its data.
struct ZipMember {
    origin: Arc<Origin>,
    encrypted: bool,
    skip: bool,
    compressed: u64,
    size: u64,
    deflated: bool,
    crc32: u32,
}

fn zip_member<R: Read>(outer: &Arc<Origin>, file: &zip::read::ZipFile<'_, R>) -> ZipMember {
    ZipMember {
        origin: Arc::new(Origin::Entry { outer: Arc::clone(outer), name: file.name_raw().to_vec() }),
        encrypted: file.encrypted() || file.compression() == zip::CompressionMethod::AES,
        skip: file.is_dir() || file.is_symlink(),
        compressed: file.compressed_size(),
        size: file.size(),
        deflated: file.compression() == zip::CompressionMethod::Deflated,
        crc32: file.crc32(),
    }
}

/// Scans one zip member's data (already opened for reading), unless it is a link or encrypted.
fn zip_data(ctx: &Context<'_>, m: &ZipMember, data: &mut dyn Read, budget: &Budget) -> Result<(), Halt> {
    // The directory declares both sizes: refuse a bomb before inflating it (a lying declared
    // size is still caught by the meter as it inflates).
    let max_ratio = budget.limits.max_ratio;
    if m.size > RATIO_FLOOR && m.size / m.compressed.max(1) > max_ratio {
        budget.exhaust();
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

/// Zips on disk from this size have their members inflated on `Context::threads` threads
/// (a Python wheel or a jar is a few MB; inflating it was the last 30 ms of a scan of the
/// Python standard library, on one thread).
const PARALLEL_FROM: u64 = 512 << 10;

/// Reads the members listed in a zip's central directory, on `threads` threads, each taking
/// the next member not yet taken; a member's findings come out when it is scanned.
fn zip_directory<R: Read + Seek + Clone + Send>(
    ctx: &Context<'_>,
    origin: &Arc<Origin>,
    archive: &mut zip::ZipArchive<R>,
    budget: &Budget,
    threads: usize,
) -> Result<(), Halt> {
    let next = AtomicUsize::new(0);
    let halted = AtomicBool::new(false);
    let members = |archive: &mut zip::ZipArchive<R>| {
        if zip_members(ctx, origin, archive, budget, &next).is_err() {
            halted.store(true, Ordering::Relaxed);
        }
    };
    let threads = threads.clamp(1, archive.len().max(1));
    if threads == 1 {
        members(archive);
    } else {
        std::thread::scope(|s| {
            for _ in 1..threads {
                let mut copy = archive.clone();
                s.spawn(move || members(&mut copy));
            }
            members(archive);
        });
    }
    if halted.load(Ordering::Relaxed) {
        Err(Halt)
    } else {
        Ok(())
    }
}

/// One thread's share of [`zip_directory`]: members by index, the next one from `next`.
fn zip_members<R: Read + Seek>(
    ctx: &Context<'_>,
    origin: &Arc<Origin>,
    archive: &mut zip::ZipArchive<R>,
    budget: &Budget,
    next: &AtomicUsize,
) -> Result<(), Halt> {
    let mut whole = Whole::default();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= archive.len() {
            return Ok(());
        }
        if ctx.is_stopping() || budget.is_exhausted() {
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
        if let Some(bytes) = whole.inflate(archive, i, &m, budget) {
            let _ = zip_data(ctx, &m, &mut &bytes[..], budget);
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
}

/// Deflated members of at most this many bytes (either size) are inflated in one call.
const WHOLE_UP_TO: u64 = 4 << 20;

/// Inflates a member's data in one call (libdeflate) where the central directory's sizes
/// allow it: twice the speed of streaming through `zip` and zlib-rs (the two wheels of the
/// Python standard library, 748 members: 22 -> 12 ms). Buffers are kept for the next member.
#[derive(Default)]
struct Whole {
    decompressor: Option<libdeflater::Decompressor>,
    raw: Vec<u8>,
    out: Vec<u8>,
}

impl Whole {
    /// The member's data, when it is deflated, both its sizes are at most [`WHOLE_UP_TO`],
    /// its declared ratio is within the budget's, and it inflates to exactly the declared size
    /// and CRC-32. `None` otherwise: the member is then streamed, which reports what is wrong
    /// with it exactly as before (a lying size, a bad checksum, damaged data).
    fn inflate<R: Read + Seek>(
        &mut self,
        archive: &mut zip::ZipArchive<R>,
        i: usize,
        m: &ZipMember,
        budget: &Budget,
    ) -> Option<&[u8]> {
        let bomb = m.size > RATIO_FLOOR && m.size / m.compressed.max(1) > budget.limits.max_ratio;
        if !m.deflated || m.size > WHOLE_UP_TO || m.compressed > WHOLE_UP_TO || bomb {
            return None;
        }
        let file = archive.by_index_raw(i).ok()?;
        self.raw.clear();
        file.take(m.compressed).read_to_end(&mut self.raw).ok()?;
        let n = m.size as usize;
        if self.out.len() < n {
            self.out.resize(n, 0);
        }
        let decompressor = self.decompressor.get_or_insert_with(libdeflater::Decompressor::new);
        let got = decompressor.deflate_decompress(&self.raw, &mut self.out[..n]).ok()?;
        (got == n && crc32fast::hash(&self.out[..n]) == m.crc32).then_some(&self.out[..n])
    }
}

fn zip_stream(ctx: &Context<'_>, origin: &Arc<Origin>, mut reader: &mut dyn Read, budget: &Budget) -> Result<(), Halt> {
    loop {
        if ctx.is_stopping() || budget.is_exhausted() {
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
