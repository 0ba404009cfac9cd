//! Sources turn inputs into chunks: the directory walk (`fs`), standard input (`stdin`), git
//! repositories (`git`), archives and compressed streams (`archive`), followed logs (`log`),
//! ELF core dumps (`core`, detected by content in [`Context::scan`]), live processes (`proc`),
//! plus [`sniff`], the one content-type decision.
//!
//! Invariant: sources push chunks and count what they read or skip; they know nothing of
//! rules, matching or output. A failure on one input is reported through
//! `messages::incomplete` and the source goes on with the next. Every input and every archive
//! member goes through [`Context::read`] / [`Context::scan`]: its first bytes are sniffed and
//! archives are opened by content, never by name.
//! Depends on `chunk`, `messages`.

pub mod archive;
pub mod core;
pub mod fs;
pub mod git;
pub mod log;
pub mod proc;
pub mod stdin;

use crate::chunk::{Chunk, Chunker, Content, Origin, ReadFailure};
use archive::{Budget, Halt, Limits};
use std::collections::BTreeMap;
use std::io::{self, Read, Seek};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Counters every source updates.
#[derive(Default)]
pub struct Tally {
    /// Inputs read to their end.
    pub files: AtomicU64,
    /// Bytes read.
    pub bytes: AtomicU64,
    /// Git commits visited.
    pub commits: AtomicU64,
    skipped: Mutex<BTreeMap<String, u64>>,
}

impl Tally {
    /// Counts one input not read on purpose, by reason.
    pub fn skip(&self, reason: &str) {
        if let Ok(mut map) = self.skipped.lock() {
            *map.entry(reason.to_string()).or_insert(0) += 1;
        }
    }

    /// Skipped inputs by reason.
    pub fn skipped(&self) -> BTreeMap<String, u64> {
        self.skipped.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// What a source needs: where to push chunks and what to count.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// Cuts readers into chunks.
    pub chunker: &'a Chunker,
    /// Counters.
    pub tally: &'a Tally,
    /// Takes a chunk to scan; returns false once the scan is stopping.
    pub push: &'a (dyn Fn(Chunk) -> bool + Sync),
    /// Set when the scan must stop (signal, broken output pipe).
    pub stop: &'a AtomicBool,
    /// Archive budgets and nesting depth.
    pub limits: &'a Limits,
    /// Scans a chunk on the calling thread; returns false once the scan is stopping. A
    /// source that already reads on several threads (the directory walk) hands it the chunks
    /// that hold a whole input ([`Chunk::is_whole`]), which spares most files of a tree a
    /// trip through the channel to a worker (two thread wake-ups each).
    pub here: &'a (dyn Fn(Chunk) -> bool + Sync),
    /// Whether whole-input chunks go to [`Context::here`] rather than [`Context::push`].
    pub inline: bool,
    /// Threads one input may keep busy with work of its own (`--threads`): a large zip on
    /// disk has its members inflated and scanned side by side.
    pub threads: usize,
}

impl<'a> Context<'a> {
    /// This context with whole-input chunks scanned on the calling thread (see
    /// [`Context::here`]).
    pub fn inline(&self) -> Context<'a> {
        Context { inline: true, ..*self }
    }

    /// True once the scan is stopping.
    pub fn is_stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Reads one input to its end: sniffs it, opens archives and compressed streams (within
    /// one fresh [`Budget`]), and chunks everything else. Failures are reported (with the
    /// offset reached) and mark the scan incomplete.
    pub fn read(&self, origin: Origin, reader: &mut dyn Read) {
        let budget = Budget::new(self.limits);
        let _ = self.scan(Arc::new(origin), reader, &budget);
    }

    /// Sniffs one input or archive member and scans it by what it is; archive members come
    /// back here one layer deeper. `Err(Halt)` means reading stopped and the reason was reported.
    pub fn scan(&self, origin: Arc<Origin>, reader: &mut dyn Read, budget: &Budget) -> Result<(), Halt> {
        let mut head = Vec::with_capacity(SNIFF_LEN);
        if let Err(error) = read_head(reader, &mut head) {
            // Damage within the first bytes (a small zip member failing its checksum): what
            // was read before it is scanned as it is, then the damage reported.
            let _ = self.stream(&origin, &mut &head[..], None);
            archive::report_failure(&origin, &error, head.len() as u64);
            return Err(Halt);
        }
        let kind = sniff(&head);
        let mut joined = (&head[..]).chain(reader);
        match kind {
            Kind::Core => {
                core::scan(self, origin, &mut joined);
                Ok(())
            }
            Kind::Plain => self.leaf(&origin, &mut joined, None),
            Kind::Database => self.leaf(&origin, &mut joined, Some(Content::Text)),
            other => archive::open(self, origin, &mut joined, other, budget),
        }
    }

    /// Chunks plain content, counting it as one input read.
    fn leaf(&self, origin: &Arc<Origin>, reader: &mut dyn Read, content: Option<Content>) -> Result<(), Halt> {
        match self.stream(origin, reader, content) {
            Ok(_) => {
                self.count_file();
                Ok(())
            }
            Err(failure) => {
                archive::report_failure(origin, &failure.error, failure.offset);
                Err(Halt)
            }
        }
    }

    /// Reads one input to its end through the chunker as plain bytes, counting it (a core
    /// whose headers cannot be parsed).
    pub fn read_plain(&self, origin: Arc<Origin>, reader: &mut dyn Read) {
        let _ = self.leaf(&origin, reader, None);
    }

    /// Counts one input read to its end (unless the scan is stopping).
    pub fn count_file(&self) {
        if !self.is_stopping() {
            self.tally.files.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Chunks `span` of a part of an input (`reader` yields it from offset 0, see
    /// [`Chunker::run_span`]) and scans every chunk on the calling thread: a source reading
    /// one large input on several threads at once (a core dump on disk) copies each chunk
    /// into a buffer of the thread that scans it. `base` is the offset in `origin` of the
    /// reader's first byte (line numbers count from there). Counts the span's bytes read,
    /// not files.
    pub fn read_span_here(
        &self,
        origin: &Arc<Origin>,
        base: u64,
        reader: &mut dyn Read,
        content: Option<Content>,
        span: std::ops::Range<u64>,
    ) -> Result<u64, ReadFailure> {
        let result = self.chunker.run_span(origin, reader, content, span.clone(), &mut |mut chunk| {
            chunk.offset += base;
            chunk.line_start += base;
            !self.is_stopping() && (self.here)(chunk)
        });
        let n = match &result {
            Ok(n) => *n,
            Err(failure) => failure.offset,
        };
        self.tally.bytes.fetch_add(n.min(span.end).saturating_sub(span.start), Ordering::Relaxed);
        result
    }

    /// Runs the chunker over `reader` (a part of an input: a core segment), counting bytes
    /// but not files. Returns the bytes read, or where reading failed.
    pub fn read_stream(&self, origin: Arc<Origin>, reader: &mut dyn Read) -> Result<u64, ReadFailure> {
        self.stream(&origin, reader, None)
    }

    /// The chunker over `reader`, bytes counted (also those read before a failure).
    fn stream(
        &self,
        origin: &Arc<Origin>,
        reader: &mut dyn Read,
        content: Option<Content>,
    ) -> Result<u64, ReadFailure> {
        let result = self.chunker.run_as(origin, reader, content, &mut |chunk| {
            !self.is_stopping() && if self.inline && chunk.is_whole() { (self.here)(chunk) } else { (self.push)(chunk) }
        });
        let n = match &result {
            Ok(n) => *n,
            Err(failure) => failure.offset,
        };
        self.tally.bytes.fetch_add(n, Ordering::Relaxed);
        result
    }
}

/// A file read at its own offset (`pread`), so that each thread reading one input (a zip's
/// members, a core's segments) holds its own position in one shared open file.
#[derive(Clone)]
pub(crate) struct Positioned {
    pub(crate) file: Arc<std::fs::File>,
    pub(crate) pos: u64,
    pub(crate) len: u64,
}

impl Positioned {
    /// Opens `path` at offset 0 if it is a regular file (`None` otherwise: stat comes first,
    /// since opening a FIFO swapped in for the file would block).
    pub(crate) fn open(path: &std::path::Path) -> Option<io::Result<Positioned>> {
        let len = std::fs::metadata(path).ok().filter(|m| m.is_file())?.len();
        Some(std::fs::File::open(path).map(|file| Positioned { file: Arc::new(file), pos: 0, len }))
    }
}

impl Read for Positioned {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(&*self.file, buf, self.pos)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(&*self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Positioned {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let pos = match to {
            io::SeekFrom::Start(p) => Some(p),
            io::SeekFrom::End(d) => self.len.checked_add_signed(d),
            io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos =
            pos.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start of the file"))?;
        Ok(self.pos)
    }
}

/// Bytes [`sniff`] looks at (a tar header is 512; armored headers are short).
pub const SNIFF_LEN: usize = 4096;

/// What an input's first bytes say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text or binary, scanned as it is.
    Plain,
    /// A SQLite database: binary pages holding text values, scanned as text.
    Database,
    /// An ELF core dump (`ET_CORE`): scanned segment by segment by the `core` source.
    Core,
    /// A compressed stream.
    Compressed(Codec),
    /// A tar archive (ustar, pax, GNU, or old v7 recognised by its header checksum).
    Tar,
    /// A zip archive (also jar, apk, docx…).
    Zip,
    /// An encrypted container, by format name: not scannable, and fine for a backup.
    Encrypted(&'static str),
    /// An archive format leakscan does not open (7z, rar), by name.
    Opaque(&'static str),
}

/// A compression format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    /// gzip (multi-member streams are read whole).
    Gzip,
    /// Zstandard.
    Zstd,
    /// xz.
    Xz,
    /// bzip2.
    Bzip2,
}

/// Decides what content is from its first bytes (up to [`SNIFF_LEN`]): magic numbers, never
/// file names, so a misnamed layer is still opened. The one content-type decision.
pub fn sniff(head: &[u8]) -> Kind {
    const ENCRYPTED: [(&[u8], &str); 6] = [
        (b"age-encryption.org/v1\n", "age"),
        (b"-----BEGIN AGE ENCRYPTED FILE-----", "age (armored)"),
        (b"-----BEGIN PGP MESSAGE-----", "OpenPGP (armored)"),
        (b"Salted__", "OpenSSL enc"),
        (b"LUKS\xba\xbe", "LUKS"),
        (b"SQLite format 3\0", ""),
    ];
    for (magic, name) in ENCRYPTED {
        if head.starts_with(magic) {
            return if name.is_empty() { Kind::Database } else { Kind::Encrypted(name) };
        }
    }
    match head {
        [0x1f, 0x8b, 0x08, ..] => Kind::Compressed(Codec::Gzip),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Kind::Compressed(Codec::Zstd),
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => Kind::Compressed(Codec::Xz),
        [b'B', b'Z', b'h', b'1'..=b'9', 0x31, 0x41, 0x59, 0x26, 0x53, 0x59, ..]
        | [b'B', b'Z', b'h', b'1'..=b'9', 0x17, 0x72, 0x45, 0x38, 0x50, 0x90, ..] => Kind::Compressed(Codec::Bzip2),
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] | [b'P', b'K', 7, 8, b'P', b'K', 3, 4, ..] => Kind::Zip,
        [b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c, ..] => Kind::Opaque("7z"),
        [b'R', b'a', b'r', b'!', 0x1a, 0x07, ..] => rar(head),
        [0x7f, b'E', b'L', b'F', ..] if is_core(head) => Kind::Core,
        _ if is_tar(head) => Kind::Tar,
        _ if is_openpgp(head) => Kind::Encrypted("OpenPGP"),
        _ => Kind::Plain,
    }
}

/// RAR 4 with the "headers encrypted" flag, or RAR 5 opening with an archive encryption header.
fn rar(head: &[u8]) -> Kind {
    match head {
        [_, _, _, _, _, _, 0x00, _, _, 0x73, flags, ..] if flags & 0x80 != 0 => Kind::Encrypted("rar (encrypted)"),
        [_, _, _, _, _, _, 0x01, 0x00, _, _, _, _, size, kind, ..] if *size < 0x80 && *kind == 4 => {
            Kind::Encrypted("rar5 (encrypted)")
        }
        _ => Kind::Opaque("rar"),
    }
}

/// An ELF file whose `e_type` is `ET_CORE` (4), in either byte order.
fn is_core(head: &[u8]) -> bool {
    match (head.get(5), head.get(16..18)) {
        (Some(1), Some(t)) => t == [4, 0],
        (Some(2), Some(t)) => t == [0, 4],
        _ => false,
    }
}

/// A 512-byte tar header: the checksum field (octal, bytes 148..156) equals the byte sum of the
/// header with that field read as spaces. Covers ustar, pax, GNU and old v7 tars.
fn is_tar(head: &[u8]) -> bool {
    let Some(block) = head.get(..512) else { return false };
    if block[0] == 0 {
        return false;
    }
    let field = &block[148..156];
    let digits: Vec<u8> = field.iter().copied().skip_while(|&b| b == b' ').take_while(u8::is_ascii_digit).collect();
    let Ok(text) = std::str::from_utf8(&digits) else { return false };
    let Ok(declared) = u32::from_str_radix(text, 8) else { return false };
    let sum: u32 =
        block.iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u32::from(b) }).sum();
    declared == sum
}

/// A binary OpenPGP message: a public-key or symmetric-key encrypted session key packet (tags 1
/// and 3, old or new format) with a known version.
fn is_openpgp(head: &[u8]) -> bool {
    let version_at = match head {
        [0x84 | 0x8c, ..] => 2,
        [0x85 | 0x8d, ..] => 3,
        [0xc1 | 0xc3, len, ..] if *len < 192 => 2,
        [0xc1 | 0xc3, len, ..] if *len < 224 => 3,
        _ => return false,
    };
    let tag3 = matches!(head[0], 0x8c | 0x8d | 0xc3);
    match head.get(version_at) {
        Some(3) | Some(6) if !tag3 => true,
        Some(4..=6) if tag3 => true,
        _ => false,
    }
}

/// Reads up to [`SNIFF_LEN`] bytes (fewer only at EOF).
fn read_head(reader: &mut dyn Read, head: &mut Vec<u8>) -> std::io::Result<()> {
    let mut buf = [0u8; SNIFF_LEN];
    let mut n = 0;
    while n < SNIFF_LEN {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                head.extend_from_slice(&buf[..n]);
                return Err(e);
            }
        }
    }
    head.extend_from_slice(&buf[..n]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{sniff, Codec, Kind};

    fn tar_header(magic: bool) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..8].copy_from_slice(b"file.txt");
        h[124..135].copy_from_slice(b"00000000012");
        if magic {
            h[257..263].copy_from_slice(b"ustar\0");
        }
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        h
    }

    #[test]
    fn sniffs_by_magic_not_name() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Kind::Compressed(Codec::Gzip));
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Kind::Compressed(Codec::Zstd));
        assert_eq!(sniff(b"\xfd7zXZ\0rest"), Kind::Compressed(Codec::Xz));
        assert_eq!(sniff(b"BZh91AY&SY"), Kind::Compressed(Codec::Bzip2));
        assert_eq!(sniff(b"BZh9 not bzip2"), Kind::Plain);
        assert_eq!(sniff(b"PK\x03\x04rest"), Kind::Zip);
        assert_eq!(sniff(&tar_header(true)), Kind::Tar);
        assert_eq!(sniff(&tar_header(false)), Kind::Tar, "old v7 tar, by checksum");
        let mut bad = tar_header(true);
        bad[0] = b'g';
        assert_eq!(sniff(&bad), Kind::Plain, "checksum mismatch");
        assert_eq!(sniff(b"SQLite format 3\0..."), Kind::Database);
        assert_eq!(sniff(b"hello world"), Kind::Plain);
        assert_eq!(sniff(b""), Kind::Plain);
    }

    #[test]
    fn sniffs_encrypted_containers() {
        assert_eq!(sniff(b"age-encryption.org/v1\n-> X25519"), Kind::Encrypted("age"));
        assert_eq!(sniff(b"-----BEGIN PGP MESSAGE-----\n"), Kind::Encrypted("OpenPGP (armored)"));
        assert_eq!(sniff(b"Salted__12345678"), Kind::Encrypted("OpenSSL enc"));
        assert_eq!(sniff(b"LUKS\xba\xbe\0\x02"), Kind::Encrypted("LUKS"));
        assert_eq!(sniff(&[0x85, 0x01, 0x0c, 0x03, 0, 0]), Kind::Encrypted("OpenPGP"));
        assert_eq!(sniff(&[0xc3, 0x0d, 0x04, 0x07]), Kind::Encrypted("OpenPGP"));
        assert_eq!(sniff(b"7z\xbc\xaf\x27\x1c\0\x04"), Kind::Opaque("7z"));
        assert_eq!(sniff(b"Rar!\x1a\x07\x00\xcf\x90\x73\x80\x00"), Kind::Encrypted("rar (encrypted)"));
        assert_eq!(sniff(b"Rar!\x1a\x07\x00\xcf\x90\x73\x00\x00"), Kind::Opaque("rar"));
    }
}
