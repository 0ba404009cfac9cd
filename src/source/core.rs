//! ELF core dumps: detected by content (`ET_CORE`), each `PT_LOAD` segment's file bytes streamed
//! through the chunker as its own `Origin::Segment` (virtual address, mapping from `NT_FILE`,
//! process from `NT_PRPSINFO`/`NT_PRSTATUS`).
//!
//! Invariant: the core is read once, front to back, from any `Read`, or for a core on disk of
//! [`PARALLEL_FROM`] bytes or more, in pieces on several threads, each byte owned by one piece
//! (a 10 GB core is never held in memory: only the headers and notes, capped at
//! [`MAX_HEADERS`]). ELF headers are
//! attacker-controlled: every offset and count is checked; segments past the end of the file,
//! overlapping or absurd are scanned as far as they are readable and the scan is marked
//! incomplete; a core whose headers cannot be read at all is scanned as plain bytes.
//! Bytes outside `PT_LOAD` segments (headers, notes, padding) are not scanned.
//! Depends on `source`, `chunk`, `messages`, `object`.

use super::Context;
use crate::chunk::{Content, Origin, SegmentView};
use crate::messages;
use object::elf::{self, FileHeader32, FileHeader64};
use object::read::elf::{FileHeader, NoteIterator, ProgramHeader};
use object::Endianness;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Most bytes of headers and notes read into memory before the segments.
pub const MAX_HEADERS: u64 = 64 << 20;

/// True when `head` (the first bytes of an input) starts an ELF core file.
pub fn is_core(head: &[u8]) -> bool {
    if head.len() < 18 || &head[..4] != b"\x7fELF" || !(1..=2).contains(&head[4]) {
        return false;
    }
    let e_type = match head[5] {
        1 => u16::from_le_bytes([head[16], head[17]]),
        2 => u16::from_be_bytes([head[16], head[17]]),
        _ => return false,
    };
    e_type == 4 // ET_CORE
}

/// One `PT_LOAD` segment with bytes in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// File offset of its first byte.
    pub offset: u64,
    /// Bytes in the file.
    pub filesz: u64,
    /// Virtual address of its first byte.
    pub vaddr: u64,
    /// Size in memory (at least `filesz` in a sane core).
    pub memsz: u64,
}

/// What the notes say about the process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Process {
    /// `pr_pid`.
    pub pid: Option<u32>,
    /// `pr_fname`.
    pub name: Option<String>,
    /// `NT_FILE`: (start, end, path) of each file mapping.
    pub files: Vec<(u64, u64, String)>,
    /// An address on the stack (`AT_EXECFN` or `AT_RANDOM` from `NT_AUXV`).
    pub stack_hint: Option<u64>,
    /// An address in the main executable (`AT_PHDR` or `AT_ENTRY`).
    pub exe_hint: Option<u64>,
}

/// What the headers say, and how many leading bytes of the file they need.
#[derive(Debug, Default)]
pub struct Layout {
    /// Bytes from the start of the file holding the program headers and notes.
    pub want: u64,
    /// `PT_LOAD` segments with file bytes, in header order.
    pub segments: Vec<Segment>,
    /// From the notes (empty until `want` bytes were available).
    pub process: Process,
}

/// Reads `size` bytes at file offset `offset` of the core, for notes beyond the prefix.
pub type Fetch<'a> = &'a mut dyn FnMut(u64, u64) -> Option<Vec<u8>>;

/// Parses the headers in `prefix` (the file's first bytes); notes beyond it come from `fetch`
/// (a second handle on the file) when it can. `Err` when even the program headers cannot be
/// read.
pub fn parse(prefix: &[u8], fetch: Fetch<'_>) -> Result<Layout, String> {
    match prefix.get(4) {
        Some(1) => parse_as::<FileHeader32<Endianness>>(prefix, fetch),
        Some(2) => parse_as::<FileHeader64<Endianness>>(prefix, fetch),
        _ => Err("not an ELF file".into()),
    }
}

fn parse_as<Elf: FileHeader<Endian = Endianness>>(prefix: &[u8], fetch: Fetch<'_>) -> Result<Layout, String> {
    let header = Elf::parse(prefix).map_err(|e| e.to_string())?;
    let endian = header.endian().map_err(|e| e.to_string())?;
    let phoff: u64 = header.e_phoff(endian).into();
    let phsize = u64::from(header.e_phnum(endian)) * u64::from(header.e_phentsize(endian));
    let ph_end = phoff.checked_add(phsize).ok_or("program header offset overflows")?;
    if ph_end > prefix.len() as u64 {
        return Ok(Layout { want: ph_end, ..Layout::default() });
    }
    let phdrs = header.program_headers(endian, prefix).map_err(|e| e.to_string())?;
    let mut layout = Layout { want: ph_end, ..Layout::default() };
    let word = Word { size: if header.is_type_64() { 8 } else { 4 }, endian };
    for ph in phdrs {
        let (offset, filesz): (u64, u64) = (ph.p_offset(endian).into(), ph.p_filesz(endian).into());
        if ph.p_type(endian) == elf::PT_NOTE {
            let end = offset.saturating_add(filesz);
            layout.want = layout.want.max(end);
            let bytes = match prefix.get(offset as usize..end as usize) {
                Some(b) => Some(b.to_vec()),
                None if filesz <= MAX_HEADERS => fetch(offset, filesz),
                None => None,
            };
            if let Some(Ok(mut notes)) =
                bytes.as_deref().map(|b| NoteIterator::<Elf>::new(endian, ph.p_align(endian), b))
            {
                while let Ok(Some(note)) = notes.next() {
                    if note.name() == elf::ELF_NOTE_CORE {
                        read_note(&mut layout.process, note.n_type(endian), note.desc(), word);
                    }
                }
            }
        } else if ph.p_type(endian) == elf::PT_LOAD && filesz > 0 {
            let (vaddr, memsz) = (ph.p_vaddr(endian).into(), ph.p_memsz(endian).into());
            layout.segments.push(Segment { offset, filesz, vaddr, memsz });
        }
    }
    Ok(layout)
}

/// How to read a target word: its size in bytes and byte order.
#[derive(Clone, Copy)]
struct Word {
    size: usize,
    endian: Endianness,
}

impl Word {
    /// The word at byte `at` of `data`, if it is there.
    fn at(self, data: &[u8], at: usize) -> Option<u64> {
        let bytes = data.get(at..at.checked_add(self.size)?)?;
        let mut buf = [0u8; 8];
        if self.endian == Endianness::Little {
            buf[..self.size].copy_from_slice(bytes);
            Some(u64::from_le_bytes(buf))
        } else {
            buf[8 - self.size..].copy_from_slice(bytes);
            Some(u64::from_be_bytes(buf))
        }
    }

    /// The 32-bit value at byte `at`.
    fn u32_at(self, data: &[u8], at: usize) -> Option<u32> {
        Word { size: 4, ..self }.at(data, at).map(|v| v as u32)
    }
}

fn read_note(p: &mut Process, kind: elf::NoteType, desc: &[u8], w: Word) {
    // Offsets of pr_pid and pr_fname in prpsinfo, of pr_pid in prstatus (Linux layouts).
    let (psinfo_pid, fname, status_pid) = if w.size == 8 { (24, 40, 32) } else { (12, 28, 24) };
    if kind == elf::NT_PRPSINFO {
        p.pid = w.u32_at(desc, psinfo_pid).or(p.pid);
        if let Some(name) = desc.get(fname..fname + 16) {
            let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            p.name = Some(String::from_utf8_lossy(&name[..end]).into_owned());
        }
    } else if kind == elf::NT_PRSTATUS {
        p.pid = p.pid.or_else(|| w.u32_at(desc, status_pid));
    } else if kind == elf::NT_AUXV {
        read_auxv(p, desc, w);
    } else if kind == elf::NT_FILE {
        p.files = read_nt_file(desc, w);
    }
}

fn read_auxv(p: &mut Process, desc: &[u8], w: Word) {
    const AT_PHDR: u64 = 3;
    const AT_ENTRY: u64 = 9;
    const AT_RANDOM: u64 = 25;
    const AT_EXECFN: u64 = 31;
    for pair in 0..desc.len() / (2 * w.size) {
        let (Some(key), Some(value)) = (w.at(desc, pair * 2 * w.size), w.at(desc, (pair * 2 + 1) * w.size)) else {
            break;
        };
        match key {
            AT_EXECFN | AT_RANDOM => p.stack_hint = Some(value),
            AT_PHDR | AT_ENTRY => p.exe_hint = Some(value),
            _ => {}
        }
    }
}

/// `NT_FILE`: count, page size, count × (start, end, file offset), then count NUL-terminated paths.
fn read_nt_file(desc: &[u8], w: Word) -> Vec<(u64, u64, String)> {
    let Some(count) = w.at(desc, 0) else { return Vec::new() };
    // A lying count cannot make us allocate more than the note holds.
    let count = count.min((desc.len() / (3 * w.size)) as u64) as usize;
    let mut names = desc.get((2 + 3 * count) * w.size..).unwrap_or_default().split(|&b| b == 0);
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let base = (2 + 3 * i) * w.size;
        let (Some(start), Some(end), Some(name)) = (w.at(desc, base), w.at(desc, base + w.size), names.next()) else {
            break;
        };
        out.push((start, end, String::from_utf8_lossy(name).into_owned()));
    }
    out
}

impl Process {
    /// The mapping a segment belongs to: a file path, `stack`, `heap` or `anon`.
    pub fn mapping(&self, seg: &Segment, all: &[Segment]) -> String {
        let contains = |s: &Segment, a: u64| s.vaddr <= a && a - s.vaddr < s.memsz.max(s.filesz);
        if let Some((_, _, path)) = self.files.iter().find(|(start, end, _)| *start <= seg.vaddr && seg.vaddr < *end) {
            return path.clone();
        }
        if self.stack_hint.is_some_and(|a| contains(seg, a)) {
            return "stack".into();
        }
        // The brk heap: the first segment above the main executable's last mapping, not a file.
        let exe = self.exe_hint.and_then(|a| self.files.iter().find(|(s, e, _)| *s <= a && a < *e));
        if let Some((_, _, exe_path)) = exe {
            let exe_end = self.files.iter().filter(|(_, _, p)| p == exe_path).map(|(_, e, _)| *e).max().unwrap_or(0);
            let is_file = |s: &Segment| self.files.iter().any(|(a, b, _)| *a <= s.vaddr && s.vaddr < *b);
            let heap = all.iter().filter(|s| s.vaddr >= exe_end && !is_file(s)).min_by_key(|s| s.vaddr);
            if heap.is_some_and(|h| h.vaddr == seg.vaddr && h.vaddr - exe_end < 1 << 30) {
                return "heap".into();
            }
        }
        "anon".into()
    }
}

/// Scans a core read from `reader` (positioned at the start of the file).
pub fn scan(ctx: &Context<'_>, outer: Arc<Origin>, reader: &mut dyn Read) {
    let mut prefix = Vec::new();
    let mut none = |_: u64, _: u64| None;
    let mut layout = parse(&prefix, &mut none);
    // Each round reads more of the file (header, program headers, notes) or stops.
    for _ in 0..4 {
        let want = match &layout {
            Ok(l) if l.want > prefix.len() as u64 && l.want <= MAX_HEADERS => l.want,
            Err(_) if prefix.len() < 64 => 64,
            _ => break,
        };
        if let Err(e) = (&mut *reader).take(want - prefix.len() as u64).read_to_end(&mut prefix) {
            messages::incomplete("read error", &format!("{outer:?}: {e}"));
            return;
        }
        layout = parse(&prefix, &mut none);
        if (prefix.len() as u64) < want {
            break;
        }
    }
    // Notes past the prefix (gcore writes them at the end): read them through a second handle.
    if let (Ok(l), Origin::File { path }) = (&layout, &*outer) {
        if l.want > prefix.len() as u64 {
            layout = parse(&prefix, &mut |offset, size| read_at(path, offset, size));
        }
    }
    match layout {
        Ok(l) if !l.segments.is_empty() => scan_segments(ctx, &outer, l, prefix, reader),
        Ok(_) | Err(_) => {
            let why = layout.err().unwrap_or_else(|| "no loadable segment".into());
            messages::incomplete("truncated core", &format!("{outer:?}: {why}; scanned as plain bytes"));
            ctx.read_plain(outer, &mut Cursor::new(prefix).chain(reader));
        }
    }
}

/// `size` bytes at `offset` of the file at `path`, if they are all there.
fn read_at(path: &std::path::Path, offset: u64, size: u64) -> Option<Vec<u8>> {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    file.seek(SeekFrom::Start(offset)).ok()?;
    let mut out = Vec::new();
    file.take(size).read_to_end(&mut out).ok()?;
    (out.len() as u64 == size).then_some(out)
}

/// Cores on disk with at least this many segment bytes are read on `Context::threads` threads
/// (see [`scan_on_disk`]).
const PARALLEL_FROM: u64 = 16 << 20;
/// Most owned bytes of a segment one thread reads and scans at a time.
const PIECE: u64 = 8 << 20;

/// The origin of a segment's bytes from file offset `at` on.
fn segment_origin(outer: &Arc<Origin>, layout: &Layout, segs: &[Segment], seg: &Segment, at: u64) -> Arc<Origin> {
    let view = SegmentView {
        mapping: layout.process.mapping(seg, segs),
        pid: layout.process.pid,
        process: layout.process.name.clone(),
    };
    let vaddr = seg.vaddr.wrapping_add(at - seg.offset);
    Arc::new(Origin::Segment { outer: Arc::clone(outer), vaddr, view: Arc::new(view) })
}

/// Streams the `PT_LOAD` segments in file order; bytes already consumed (headers, overlapping
/// segments) are scanned from `prefix` or not twice.
fn scan_segments(ctx: &Context<'_>, outer: &Arc<Origin>, layout: Layout, prefix: Vec<u8>, reader: &mut dyn Read) {
    let mut segs = layout.segments.clone();
    segs.sort_by_key(|s| (s.offset, s.vaddr));
    let total = segs.iter().fold(0u64, |sum, s| sum.saturating_add(s.filesz));
    if let (Origin::File { path }, true) = (&**outer, ctx.threads > 1 && total >= PARALLEL_FROM) {
        // Stat first: opening a FIFO swapped in for the file would block.
        if let Some(len) = std::fs::metadata(path).ok().filter(|m| m.is_file()).map(|m| m.len()) {
            return scan_on_disk(ctx, outer, &layout, &segs, path, len);
        }
    }
    let plen = prefix.len() as u64;
    let mut pos = plen; // file offset the reader is at
    let (mut overlapping, mut lost) = (0u64, None);
    for (i, seg) in segs.iter().enumerate() {
        if ctx.is_stopping() {
            return;
        }
        let end = seg.offset.saturating_add(seg.filesz);
        let origin = |at: u64| segment_origin(outer, &layout, &segs, seg, at);
        if seg.offset < plen {
            let piece = &prefix[seg.offset as usize..end.min(plen) as usize];
            let _ = ctx.read_stream(origin(seg.offset), &mut Cursor::new(piece));
        }
        if end <= plen {
            continue;
        }
        let start = seg.offset.max(plen).max(pos);
        if start > seg.offset.max(plen) {
            overlapping += 1;
        }
        if start >= end {
            continue;
        }
        let gap = start - pos;
        let skipped = io::copy(&mut (&mut *reader).take(gap), &mut io::sink()).unwrap_or(0);
        pos += skipped;
        if skipped < gap {
            lost = Some(i);
            break;
        }
        let n = match ctx.read_stream(origin(start), &mut (&mut *reader).take(end - start)) {
            Ok(n) => n,
            Err(failure) => {
                messages::incomplete("read error", &format!("{outer:?}: {} (segment {i})", failure.error));
                return;
            }
        };
        pos += n;
        if ctx.is_stopping() {
            // A stop (a signal, a closed output) ends the read early: not a truncated core.
            return;
        }
        if n < end - start {
            lost = Some(i);
            break;
        }
    }
    report_damage(outer, &segs, lost, overlapping);
    if !ctx.is_stopping() {
        ctx.count_file();
    }
}

/// A core on disk, read on `Context::threads` threads: the segments' bytes (each byte once, up
/// to the file's end) are cut into pieces of at most [`PIECE`] bytes, and each thread takes the
/// next piece, reads it at its offset (`pread`) with the chunker's context on both sides
/// (within the segment) and scans it on the spot. Read by one thread and scanned by others, a
/// 1 GiB core was copied into buffers that had left every cache, then read from memory again.
/// Findings and warnings are those of the stream read ([`scan_segments`]); findings come in
/// the order pieces finish.
fn scan_on_disk(ctx: &Context<'_>, outer: &Arc<Origin>, layout: &Layout, segs: &[Segment], path: &Path, len: u64) {
    // Each segment's bytes no earlier segment covered (`range`), cut into pieces.
    struct Piece {
        seg: usize,
        range: std::ops::Range<u64>,
        owned: std::ops::Range<u64>,
    }
    let (mut pieces, mut covered, mut overlapping, mut lost) = (Vec::new(), 0u64, 0u64, None);
    for (i, seg) in segs.iter().enumerate() {
        let end = seg.offset.saturating_add(seg.filesz);
        let start = seg.offset.max(covered);
        if start > seg.offset {
            overlapping += 1;
        }
        let range = start..end.min(len);
        let mut at = range.start;
        while at < range.end {
            let to = at.saturating_add(PIECE).min(range.end);
            pieces.push(Piece { seg: i, range: range.clone(), owned: at..to });
            at = to;
        }
        covered = covered.max(end);
        if end > len {
            lost = Some(i);
            break;
        }
    }
    // Each thread reads through a handle of its own (`File` reads into a buffer without
    // zeroing it first, a reader of our own cannot on stable Rust).
    let open = || match std::fs::File::open(path) {
        Ok(file) => Some(file),
        Err(e) => {
            messages::incomplete("read error", &format!("{outer:?}: {e}"));
            None
        }
    };
    let Some(mut file) = open() else { return };
    // Each segment's content kind from its first bytes (at most 8 KiB, within the segment),
    // as the stream read sniffs it; pieces are in segment order.
    let mut contents: Vec<Option<Content>> = vec![None; segs.len()];
    let mut head = Vec::with_capacity(8192);
    for (k, piece) in pieces.iter().enumerate() {
        if k > 0 && pieces[k - 1].seg == piece.seg {
            continue;
        }
        head.clear();
        let want = (piece.range.end - piece.range.start).min(8192);
        if file.seek(SeekFrom::Start(piece.range.start)).is_ok()
            && (&mut file).take(want).read_to_end(&mut head).is_ok()
        {
            contents[piece.seg] = Some(crate::chunk::sniff_content(&head));
        }
    }
    let next = AtomicUsize::new(0);
    let short = Mutex::new(lost);
    let failed = AtomicBool::new(false);
    let take = |file: Option<std::fs::File>| {
        let Some(mut file) = file else {
            failed.store(true, Ordering::Relaxed);
            return;
        };
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(piece) = pieces.get(k) else { return };
            if ctx.is_stopping() || failed.load(Ordering::Relaxed) {
                return;
            }
            let seg = &segs[piece.seg];
            let from = piece.owned.start.saturating_sub(ctx.chunker.lookbehind as u64).max(piece.range.start);
            let to = piece.owned.end.saturating_add(ctx.chunker.overlap as u64).min(piece.range.end);
            // Offsets count from the segment's first byte read, as in the stream read.
            let origin = segment_origin(outer, layout, segs, seg, piece.range.start);
            if let Err(e) = file.seek(SeekFrom::Start(from)) {
                if !failed.swap(true, Ordering::Relaxed) {
                    messages::incomplete("read error", &format!("{outer:?}: {e}"));
                }
                return;
            }
            let mut reader = (&mut file).take(to - from);
            let span = piece.owned.start - from..piece.owned.end - from;
            let base = from - piece.range.start;
            match ctx.read_span_here(&origin, base, &mut reader, contents[piece.seg], span.clone()) {
                Ok(n) if n < span.end && !ctx.is_stopping() => {
                    // The file is shorter than it was when the pieces were cut.
                    let mut lost = short.lock().unwrap_or_else(|e| e.into_inner());
                    *lost = Some(lost.map_or(piece.seg, |l: usize| l.min(piece.seg)));
                }
                Ok(_) => {}
                Err(failure) => {
                    if !failed.swap(true, Ordering::Relaxed) {
                        let index = piece.seg;
                        messages::incomplete("read error", &format!("{outer:?}: {} (segment {index})", failure.error));
                    }
                }
            }
        }
    };
    let threads = ctx.threads.clamp(1, pieces.len().max(1));
    std::thread::scope(|s| {
        for _ in 1..threads {
            let file = open();
            s.spawn(move || take(file));
        }
        take(Some(file));
    });
    if ctx.is_stopping() || failed.load(Ordering::Relaxed) {
        return;
    }
    let lost = short.into_inner().unwrap_or_else(|e| e.into_inner());
    report_damage(outer, segs, lost, overlapping);
    ctx.count_file();
}

fn report_damage(outer: &Arc<Origin>, segs: &[Segment], lost: Option<usize>, overlapping: u64) {
    if let Some(i) = lost {
        messages::incomplete(
            "truncated core",
            &format!("{outer:?}: the file ends inside segment {} of {}; the rest is missing", i + 1, segs.len()),
        );
    }
    if overlapping > 0 {
        messages::incomplete(
            "malformed core",
            &format!("{outer:?}: {overlapping} segment(s) overlap others; shared bytes were scanned once"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian ELF64 core: header, `phnum` program headers, one note segment, then
    /// the given load segments' bytes.
    fn core64(loads: &[(u64, &[u8])], notes: &[u8]) -> Vec<u8> {
        let phnum = 1 + loads.len() as u64;
        let mut out = vec![0u8; 64];
        out[..6].copy_from_slice(b"\x7fELF\x02\x01");
        out[6] = 1;
        out[16..18].copy_from_slice(&4u16.to_le_bytes());
        out[18..20].copy_from_slice(&62u16.to_le_bytes());
        out[20..24].copy_from_slice(&1u32.to_le_bytes());
        out[32..40].copy_from_slice(&64u64.to_le_bytes());
        out[52..54].copy_from_slice(&64u16.to_le_bytes());
        out[54..56].copy_from_slice(&56u16.to_le_bytes());
        out[56..58].copy_from_slice(&(phnum as u16).to_le_bytes());
        let mut offset = 64 + 56 * phnum;
        let ph = |t: u32, off: u64, vaddr: u64, size: u64| {
            let mut p = vec![0u8; 56];
            p[..4].copy_from_slice(&t.to_le_bytes());
            p[8..16].copy_from_slice(&off.to_le_bytes());
            p[16..24].copy_from_slice(&vaddr.to_le_bytes());
            p[32..40].copy_from_slice(&size.to_le_bytes());
            p[40..48].copy_from_slice(&size.to_le_bytes());
            p
        };
        out.extend(ph(4, offset, 0, notes.len() as u64));
        offset += notes.len() as u64;
        for (vaddr, bytes) in loads {
            out.extend(ph(1, offset, *vaddr, bytes.len() as u64));
            offset += bytes.len() as u64;
        }
        out.extend_from_slice(notes);
        for (_, bytes) in loads {
            out.extend_from_slice(bytes);
        }
        out
    }

    fn note(kind: u32, desc: &[u8]) -> Vec<u8> {
        let mut n = Vec::new();
        n.extend(5u32.to_le_bytes());
        n.extend((desc.len() as u32).to_le_bytes());
        n.extend(kind.to_le_bytes());
        n.extend(b"CORE\0\0\0\0");
        n.extend_from_slice(desc);
        n.resize(n.len().div_ceil(4) * 4, 0);
        n
    }

    #[test]
    fn detects_cores_by_content() {
        let core = core64(&[(0x1000, &b"abc"[..])], &[]);
        assert!(is_core(&core));
        assert!(!is_core(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0"));
        assert!(!is_core(b"core"));
    }

    #[test]
    fn parses_segments_and_notes() {
        let mut psinfo = vec![0u8; 136];
        psinfo[24..28].copy_from_slice(&4242u32.to_le_bytes());
        psinfo[40..45].copy_from_slice(b"myapp");
        let mut files = Vec::new();
        for w in [1u64, 4096, 0x1000, 0x2000, 0] {
            files.extend(w.to_le_bytes());
        }
        files.extend(b"/usr/bin/myapp\0");
        let notes = [note(3, &psinfo), note(0x4649_4c45, &files)].concat();
        let core = core64(&[(0x1000, &b"abc"[..]), (0x7000, &b"defg"[..])], &notes);
        let l = parse(&core, &mut |_, _| None).unwrap();
        assert_eq!(l.segments.len(), 2);
        assert_eq!((l.segments[1].vaddr, l.segments[1].filesz), (0x7000, 4));
        assert_eq!((l.process.pid, l.process.name.as_deref()), (Some(4242), Some("myapp")));
        assert_eq!(l.process.mapping(&l.segments[0], &l.segments), "/usr/bin/myapp");
        assert_eq!(l.process.mapping(&l.segments[1], &l.segments), "anon");
    }

    #[test]
    fn lying_headers_do_not_panic() {
        let core = core64(&[(0x1000, &b"abc"[..])], &note(0x4649_4c45, &u64::MAX.to_le_bytes()));
        for cut in 0..core.len() {
            let _ = parse(&core[..cut], &mut |_, _| None);
        }
        let mut absurd = core.clone();
        absurd[56..58].copy_from_slice(&u16::MAX.to_le_bytes());
        let l = parse(&absurd, &mut |_, _| None).unwrap();
        assert!(l.want > absurd.len() as u64 && l.segments.is_empty());
    }
}
