//! Zip members, for `archive`: through the central directory when the zip is a file on disk
//! or fits the in-memory allowance, else by streaming local headers.
//!
//! Invariant: every member's data goes through a `Meter` (ratio from the declared sizes, then
//! as it inflates) and back into `Context::scan`; encrypted members are counted, never read.
//! Depends on `archive`, `source`, `chunk`, `messages`, zip.

use super::{exceeded, fail, Budget, Halt, Meter, RATIO_FLOOR, SKIP_ENCRYPTED};
use crate::chunk::Origin;
use crate::messages;
use crate::source::Context;
use std::cell::Cell;
use std::io::{self, Read, Seek};
use std::rc::Rc;
use std::sync::Arc;

/// Scans a zip: through its central directory when it is a file on disk or fits the in-memory
/// allowance, else by streaming its local headers.
pub(super) fn scan(ctx: &Context<'_>, origin: Arc<Origin>, reader: &mut dyn Read, budget: &Budget) -> Result<(), Halt> {
    if let Origin::File { path } = &*origin {
        if std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            match std::fs::File::open(path).map_err(zip::result::ZipError::Io).and_then(zip::ZipArchive::new) {
                Ok(mut archive) => return zip_directory(ctx, &origin, &mut archive, budget),
                Err(zip::result::ZipError::Io(e)) => return fail(&origin, &e),
                Err(e) => {
                    without_directory(&origin, &e);
                    let mut file = match std::fs::File::open(path) {
                        Ok(f) => io::BufReader::new(f),
                        Err(e) => return fail(&origin, &e),
                    };
                    return zip_stream(ctx, &origin, &mut file, budget);
                }
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
            Err(e) => {
                without_directory(&origin, &e);
                zip_stream(ctx, &origin, &mut &held[..], budget)
            }
        };
        budget.buffered.set(budget.buffered.get() - held.len() as u64);
        return result;
    }
    let mut stream = (&held[..]).chain(reader);
    zip_stream(ctx, &origin, &mut stream, budget)
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
