//! `Chunk` and `Origin`: bytes to scan and where they came from; `Chunker` cuts any `Read` into
//! bounded, overlapping windows.
//!
//! Invariant: every byte of an input belongs to exactly one chunk's *owned* range, and a chunk
//! also carries up to [`Chunker::overlap`] bytes past its owned range, so a match starting in the
//! owned range and no longer than the overlap is seen whole by exactly one chunk. Depends on
//! nothing but std.

use std::fmt;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;

/// Provenance of scanned bytes, as plain data. Nested origins (an archive entry inside an
/// archive) point to their outer origin.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A file on disk, by the path as the walk produced it.
    File {
        /// The path, as given by the user or joined by the walk.
        path: PathBuf,
    },
    /// Standard input.
    Stdin,
    /// One memory segment of a core dump (or of a live process's memory).
    Segment {
        /// The dump holding the segment.
        outer: Arc<Origin>,
        /// Virtual address of the segment's first byte; a chunk offset adds to it.
        vaddr: u64,
        /// What the segment maps and whose memory it is.
        view: Arc<SegmentView>,
    },
    /// Part of a live process read through `/proc`.
    Process {
        /// Process id.
        pid: u32,
        /// Command name (`/proc/PID/comm`).
        comm: String,
        /// `cmdline`, `environ:NAME`, `task/TID/environ:NAME` or `mem`.
        field: String,
    },
}

/// What a memory segment is: its mapping and the process it belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SegmentView {
    /// The mapped file's path, or `heap`, `stack`, `anon`.
    pub mapping: String,
    /// The process id, when the dump says.
    pub pid: Option<u32>,
    /// The process name, when the dump says.
    pub process: Option<String>,
}

impl Origin {
    /// The short kind name used in JSON reports (`"file"`, `"stdin"`).
    pub fn kind(&self) -> &'static str {
        match self {
            Origin::File { .. } => "file",
            Origin::Stdin => "stdin",
            Origin::Segment { .. } => "segment",
            Origin::Process { .. } => "process",
        }
    }

    /// The location as raw bytes, for display after escaping (a path, `<stdin>`).
    pub fn display_bytes(&self) -> Vec<u8> {
        match self {
            Origin::File { path } => path_bytes(path),
            Origin::Stdin => b"<stdin>".to_vec(),
            Origin::Segment { outer, vaddr, view } => {
                let mut out = outer.display_bytes();
                out.extend_from_slice(format!("@{vaddr:#x}[").as_bytes());
                out.extend_from_slice(view.mapping.as_bytes());
                out.push(b']');
                out
            }
            Origin::Process { pid, comm, field } => format!("/proc/{pid}/{field} ({comm})").into_bytes(),
        }
    }

    /// The file path this origin lives in, if any (used for path allowlists and fingerprints).
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Origin::File { path } => Some(path),
            Origin::Stdin => None,
            Origin::Segment { outer, .. } => outer.path(),
            Origin::Process { .. } => None,
        }
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::messages::escape(&self.display_bytes()))
    }
}

/// The raw bytes of a path (lossless on Unix).
pub fn path_bytes(path: &std::path::Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().as_bytes().to_vec()
    }
}

/// Whether content looks like text or binary (decided once per input from its first block).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// Text: every rule applies.
    Text,
    /// Binary (a NUL byte near the start): rules without a distinctive prefix are not applied.
    Binary,
}

/// Bytes to scan with their origin and position in that origin.
pub struct Chunk {
    /// Where the bytes come from.
    pub origin: Arc<Origin>,
    /// The bytes: look-behind context, then the owned range, then the overlap.
    pub data: Vec<u8>,
    /// Byte offset of `data[0]` in the input.
    pub offset: u64,
    /// 1-based line number of `data[0]` in the input.
    pub line: u64,
    /// Input offset where the line holding `data[0]` starts (lines may be longer than a chunk).
    pub line_start: u64,
    /// Half-open range of `data` this chunk owns: only matches starting here are reported.
    pub owned: std::ops::Range<usize>,
    /// Text or binary, as sniffed from the input's first block.
    pub content: Content,
}

impl fmt::Debug for Chunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the bytes: they may hold a secret.
        f.debug_struct("Chunk")
            .field("origin", &self.origin)
            .field("offset", &self.offset)
            .field("len", &self.data.len())
            .field("owned", &self.owned)
            .finish()
    }
}

/// Sniffs content: binary when the first 8 KiB hold a NUL byte (git's and ripgrep's heuristic).
pub fn sniff_content(head: &[u8]) -> Content {
    let n = head.len().min(8192);
    if memchr::memchr(0, &head[..n]).is_some() {
        Content::Binary
    } else {
        Content::Text
    }
}

/// Cuts a reader into chunks of at most `size + overlap + lookbehind` bytes.
pub struct Chunker {
    /// Owned bytes per chunk.
    pub size: usize,
    /// Bytes carried past the owned range: the longest match that can straddle a boundary.
    pub overlap: usize,
    /// Bytes carried before the owned range, so `\b` and keyword context see what precedes it.
    pub lookbehind: usize,
}

impl Default for Chunker {
    fn default() -> Self {
        Chunker { size: 4 << 20, overlap: 64 << 10, lookbehind: 4 << 10 }
    }
}

/// Why a chunked read stopped early.
#[derive(Debug)]
pub struct ReadFailure {
    /// Byte offset at which reading failed.
    pub offset: u64,
    /// The I/O error.
    pub error: io::Error,
}

impl Chunker {
    /// Reads `reader` to its end, calling `emit` with each chunk in order. Stops early when
    /// `emit` returns false (the scan was interrupted). Returns the number of bytes read, or
    /// where reading failed; chunks before the failure have been emitted.
    pub fn run(
        &self,
        origin: &Arc<Origin>,
        reader: &mut dyn Read,
        emit: &mut dyn FnMut(Chunk) -> bool,
    ) -> Result<u64, ReadFailure> {
        let window = self.size + self.overlap;
        // `carry` = the tail of the previous data that the next chunk starts with.
        let mut carry: Vec<u8> = Vec::new();
        let mut carry_owned_from = 0usize; // index in carry where the next owned range starts
        let mut offset = 0u64; // input offset of carry[0]
        let mut line = 1u64;
        let mut line_start = 0u64;
        let mut content = None;
        loop {
            // Small inputs get a small buffer; once an input proved large, a full window.
            let mut data = Vec::with_capacity(carry.len() + if offset == 0 { 64 << 10 } else { window });
            data.extend_from_slice(&carry);
            let want = carry_owned_from + window;
            let eof = match fill(reader, &mut data, want) {
                Ok(eof) => eof,
                Err(error) => return Err(ReadFailure { offset: offset + data.len() as u64, error }),
            };
            let total = offset + data.len() as u64;
            let content = *content.get_or_insert_with(|| sniff_content(&data));
            let owned_end = if eof { data.len() } else { data.len() - self.overlap };
            let next_start = owned_end.saturating_sub(self.lookbehind);
            let next = (!eof).then(|| {
                let line_start = match memchr::memrchr(b'\n', &data[..next_start]) {
                    Some(nl) => offset + nl as u64 + 1,
                    None => line_start,
                };
                (data[next_start..].to_vec(), line + count_lines(&data[..next_start]), line_start)
            });
            let chunk = Chunk {
                origin: Arc::clone(origin),
                data,
                offset,
                line,
                line_start,
                owned: carry_owned_from..owned_end,
                content,
            };
            if !chunk.owned.is_empty() && !emit(chunk) {
                return Ok(total);
            }
            let Some((next_carry, next_line, next_line_start)) = next else { return Ok(total) };
            carry_owned_from = owned_end - next_start;
            carry = next_carry;
            offset += next_start as u64;
            line = next_line;
            line_start = next_line_start;
        }
    }
}

/// Number of `\n` bytes in `bytes` (a plain loop: the compiler vectorises it).
pub fn count_lines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// Reads until `data` holds `want` bytes or EOF; returns whether EOF was reached.
fn fill(reader: &mut dyn Read, data: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    let missing = want.saturating_sub(data.len());
    let got = reader.take(missing as u64).read_to_end(data)?;
    Ok(got < missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(input: &[u8], c: &Chunker) -> Vec<(u64, u64, Vec<u8>, std::ops::Range<usize>)> {
        let origin = Arc::new(Origin::Stdin);
        let mut out = Vec::new();
        let mut r = input;
        c.run(&origin, &mut r, &mut |ch| {
            out.push((ch.offset, ch.line, ch.data.clone(), ch.owned.clone()));
            true
        })
        .unwrap();
        out
    }

    #[test]
    fn owned_ranges_tile_the_input_exactly() {
        let input: Vec<u8> = (0..10_000u32).map(|i| if i % 97 == 0 { b'\n' } else { b'a' + (i % 26) as u8 }).collect();
        for (size, overlap, lookbehind) in [(100, 10, 5), (64, 64, 64), (1000, 1, 0), (7, 3, 2), (20_000, 10, 10)] {
            let c = Chunker { size, overlap, lookbehind };
            let got = chunks(&input, &c);
            let mut next = 0u64;
            for (offset, line, data, owned) in &got {
                // data is the input at that offset
                assert_eq!(&input[*offset as usize..*offset as usize + data.len()], &data[..]);
                // owned ranges are contiguous and cover the input
                assert_eq!(offset + owned.start as u64, next);
                next = offset + owned.end as u64;
                // lines are right
                let expect = 1 + input[..*offset as usize].iter().filter(|&&b| b == b'\n').count() as u64;
                assert_eq!(*line, expect);
                // bounded
                assert!(data.len() <= size + overlap + lookbehind);
                // the overlap past the owned range is carried unless at EOF
                if (offset + data.len() as u64) < input.len() as u64 {
                    assert_eq!(data.len() - owned.end, overlap);
                }
            }
            assert_eq!(next, input.len() as u64);
        }
    }

    #[test]
    fn empty_input_yields_no_chunk() {
        assert!(chunks(b"", &Chunker::default()).is_empty());
    }

    #[test]
    fn sniffs_binary() {
        assert_eq!(sniff_content(b"hello\0world"), Content::Binary);
        assert_eq!(sniff_content(b"hello world"), Content::Text);
    }
}
