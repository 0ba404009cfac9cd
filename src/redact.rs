//! `leakscan redact`: a byte-exact stdin→stdout (or in-place) filter that replaces every secret
//! the matcher finds with `[REDACTED:<rule-id>]` — as text, as UTF-16, and under base64, hex,
//! percent or escape encodings (the encoded characters that carry the secret are replaced).
//!
//! Invariants: every byte that is not part of a secret is written unchanged and in order
//! (invalid UTF-8 included); output is flushed after each batch of complete lines, so the
//! filter can sit in a logging pipeline; memory is bounded whatever the input: a line longer
//! than [`LINE_CAP`] is processed in overlapping windows, and an open PEM block is held back at
//! most [`PEM_HOLD`] bytes so a BEGIN…END block spanning lines is redacted whole. `--in-place`
//! writes a temporary file in the same directory, fsyncs it and renames it over the original.
//! Depends on `layers`, `matcher`, `decode`, `chunk`, `finding`, `messages`; never on `report`
//! or `source`.

use crate::chunk::{Chunk, Content, Origin};
use crate::decode::Limits;
use crate::finding::Finding;
use crate::matcher::Matcher;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A line longer than this (bytes) is processed in overlapping windows instead of whole.
pub const LINE_CAP: usize = 1 << 20;
/// Bytes past a window's emitted part that are scanned with it, so a secret straddling the
/// window edge is seen whole (the chunker's overlap).
const OVERLAP: usize = 64 << 10;
/// Already-written bytes kept before new data, so `\b` and keyword context still apply.
const LOOKBEHIND: usize = 4 << 10;
/// Most bytes held back after an unterminated `-----BEGIN` line while waiting for its END.
pub const PEM_HOLD: usize = 64 << 10;
/// Bytes read per `read` call.
const READ_SIZE: usize = 256 << 10;

/// Counts of one redaction run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Bytes read.
    pub bytes: u64,
    /// Secrets replaced.
    pub redacted: u64,
}

/// Streams `input` to `output`, replacing secrets; flushes after each batch of complete lines.
/// `decode` sets how deep encodings are decoded (depth 0: only plain and UTF-16 secrets).
pub fn filter(matcher: &Matcher, decode: &Limits, input: &mut dyn Read, output: &mut dyn Write) -> io::Result<Stats> {
    let mut state = Redactor { matcher, decode, buf: Vec::with_capacity(READ_SIZE), ctx: 0, stats: Stats::default() };
    loop {
        let len = state.buf.len();
        state.buf.resize(len + READ_SIZE, 0);
        let n = match input.read(&mut state.buf[len..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
            Err(e) => {
                state.buf.truncate(len);
                state.step(output, true)?;
                return Err(e);
            }
        };
        state.buf.truncate(len + n);
        state.stats.bytes += n as u64;
        let eof = n == 0;
        state.step(output, eof)?;
        if eof {
            return Ok(state.stats);
        }
    }
}

/// The filter's state: `buf` = `ctx` bytes already written (look-behind) + bytes pending.
struct Redactor<'m> {
    matcher: &'m Matcher,
    decode: &'m Limits,
    buf: Vec<u8>,
    ctx: usize,
    stats: Stats,
}

impl Redactor<'_> {
    /// Writes what can be written now: complete lines (minus an open PEM block), or, for a
    /// line over [`LINE_CAP`], a window; everything at EOF.
    fn step(&mut self, out: &mut dyn Write, eof: bool) -> io::Result<()> {
        let pending = self.buf.len() - self.ctx;
        let last_nl = memchr::memrchr(b'\n', &self.buf[self.ctx..]).map(|i| self.ctx + i + 1);
        let (scan_end, owned_end, windowed) = if eof {
            (self.buf.len(), self.buf.len(), false)
        } else if let Some(end) = last_nl {
            (end, end, false)
        } else if pending >= LINE_CAP {
            (self.buf.len(), self.buf.len() - OVERLAP, true)
        } else {
            return Ok(());
        };
        let findings = self.scan(scan_end, owned_end);
        let mut emit_end = owned_end;
        if windowed {
            // A secret starting before the window edge is written whole, marker included.
            emit_end = findings.iter().map(|f| f.offset as usize + f.secret.len()).fold(emit_end, usize::max);
        } else if !eof {
            emit_end = pem_hold(&self.buf, self.ctx, emit_end, &findings);
        }
        self.write(out, emit_end, &findings)?;
        out.flush()?;
        let keep_from = emit_end.saturating_sub(LOOKBEHIND);
        self.buf.drain(..keep_from);
        self.ctx = emit_end - keep_from;
        Ok(())
    }

    /// Runs the matcher over `buf[..scan_end]`, reporting matches that start in
    /// `ctx..owned_end`. The buffer is lent to the chunk and taken back (no copy).
    fn scan(&mut self, scan_end: usize, owned_end: usize) -> Vec<Finding> {
        let mut data = std::mem::take(&mut self.buf);
        let tail = data.split_off(scan_end);
        let chunk = Chunk {
            origin: Arc::new(Origin::Stdin),
            data,
            offset: 0,
            line: 1,
            line_start: 0,
            owned: self.ctx..owned_end,
            content: Content::Text,
        };
        let mut found = Vec::new();
        crate::layers::scan(self.matcher, &chunk, self.decode, &mut found);
        found.sort_by_key(|f| f.offset);
        self.buf = chunk.data;
        self.buf.extend_from_slice(&tail);
        found
    }

    /// Writes `buf[ctx..end]` with every finding starting before `end` replaced by its marker.
    fn write(&mut self, out: &mut dyn Write, end: usize, findings: &[Finding]) -> io::Result<()> {
        let mut at = self.ctx;
        for f in findings {
            let start = f.offset as usize;
            if start >= end || start < at {
                continue;
            }
            out.write_all(&self.buf[at..start])?;
            write!(out, "[REDACTED:{}]", f.rule.id)?;
            at = (start + f.input_len()).min(self.buf.len());
            self.stats.redacted += 1;
        }
        if at < end {
            out.write_all(&self.buf[at..end])?;
        }
        Ok(())
    }
}

/// Where to stop writing so an unterminated `-----BEGIN` block (and anything found from its
/// line on) is held until its END arrives — unless the block already exceeds [`PEM_HOLD`].
fn pem_hold(buf: &[u8], ctx: usize, end: usize, findings: &[Finding]) -> usize {
    let region = &buf[ctx..end];
    let Some(begin) = memchr::memmem::rfind(region, b"-----BEGIN") else { return end };
    if memchr::memmem::find(&region[begin..], b"-----END").is_some() {
        return end;
    }
    let line_start = memchr::memrchr(b'\n', &region[..begin]).map_or(0, |i| i + 1) + ctx;
    if end - line_start > PEM_HOLD {
        return end;
    }
    // A finding crossing the hold point is held too (written whole later).
    let crossing = findings
        .iter()
        .map(|f| (f.offset as usize, f.offset as usize + f.secret.len()))
        .filter(|&(s, e)| s < line_start && e > line_start)
        .map(|(s, _)| memchr::memrchr(b'\n', &buf[ctx..s]).map_or(ctx, |i| ctx + i + 1))
        .min();
    crossing.map_or(line_start, |c| c.min(line_start))
}

/// Redacts each file in place, atomically: a temporary file in the same directory receives
/// the output, is fsynced, given the original's permissions and renamed over it. On any error
/// the original is untouched and the temporary file removed.
pub fn in_place(matcher: &Matcher, decode: &Limits, path: &Path) -> io::Result<Stats> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
    }
    let mut input = std::fs::File::open(path)?;
    let (tmp_path, tmp) = create_temp(path)?;
    let result = (|| {
        let mut out = io::BufWriter::with_capacity(READ_SIZE, tmp);
        let stats = filter(matcher, decode, &mut input, &mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.set_permissions(meta.permissions())?;
        file.sync_all()?;
        std::fs::rename(&tmp_path, path)?;
        Ok(stats)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp_path);
    }
    result
}

/// A new, exclusively created temporary file next to `path`.
fn create_temp(path: &Path) -> io::Result<(PathBuf, std::fs::File)> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    for attempt in 0..100u32 {
        let tmp = dir.join(format!(".{name}.leakscan-{}-{attempt}.tmp", std::process::id()));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(io::ErrorKind::AlreadyExists, "no free temporary file name"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{b64, hex, tok_matcher, TOKEN};

    fn matcher() -> Matcher {
        tok_matcher(
            r#"
[[rules]]
id = "pem"
regex = '''-----BEGIN PRIVATE KEY-----[\s\S]{8,4000}?-----END PRIVATE KEY-----'''
keywords = ["-----BEGIN"]
max_len = 5000
"#,
        )
    }

    /// Yields one line per `read`, like a pipe fed line by line.
    struct ByLine<'a>(&'a [u8]);

    impl Read for ByLine<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let line = memchr::memchr(b'\n', self.0).map_or(self.0.len(), |i| i + 1);
            let n = line.min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn run(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        filter(&matcher(), &Limits::default(), &mut &input[..], &mut out).unwrap();
        let mut by_line = Vec::new();
        filter(&matcher(), &Limits::default(), &mut ByLine(input), &mut by_line).unwrap();
        assert_eq!(out, by_line);
        out
    }

    #[test]
    fn replaces_secrets_and_keeps_the_rest() {
        let input = b"a tok_ab12cd34ef56 b\n\xff\xfe tok_zz12cd34ef99\nno newline at end";
        assert_eq!(run(input), b"a [REDACTED:tok] b\n\xff\xfe [REDACTED:tok]\nno newline at end".to_vec());
        assert_eq!(run(b""), b"");
    }

    #[test]
    fn long_lines_are_windowed_without_losing_bytes() {
        let mut input = Vec::new();
        let mut expect = Vec::new();
        for i in 0..40_000u32 {
            let filler = format!("x{i:06} ");
            input.extend_from_slice(filler.as_bytes());
            expect.extend_from_slice(filler.as_bytes());
            if i % 997 == 0 {
                input.extend_from_slice(b"tok_ab12cd34ef56 ");
                expect.extend_from_slice(b"[REDACTED:tok] ");
            }
        }
        let input = input.repeat(8);
        let expect = expect.repeat(8);
        assert!(input.len() > 2 * LINE_CAP);
        assert_eq!(run(&input), expect);
    }

    #[test]
    fn encoded_secrets_are_replaced() {
        let b64 = b64(format!("key={TOKEN};").as_bytes());
        let hex = hex(TOKEN.as_bytes());
        let utf16: Vec<u8> = format!("id {TOKEN} ").encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut input = format!("auth {b64} ok\nhex={hex} ok\n").into_bytes();
        input.extend_from_slice(&utf16);
        input.extend_from_slice(b"\nend\n");
        // The base64 characters that carry the secret's bits are replaced; `a2V5P` and `7`
        // carry only `key=` and `;`.
        let mut expect = b"auth a2V5P[REDACTED:tok]7 ok\nhex=[REDACTED:tok] ok\n".to_vec();
        expect.extend_from_slice(&utf16[..6]);
        expect.extend_from_slice(b"[REDACTED:tok]");
        expect.extend_from_slice(&utf16[6 + 32..]);
        expect.extend_from_slice(b"\nend\n");
        assert_eq!(String::from_utf8_lossy(&run(&input)), String::from_utf8_lossy(&expect));
    }

    #[test]
    fn pem_block_across_lines() {
        let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n";
        let input = format!("x\n-----BEGIN PRIVATE KEY-----\n{body}-----END PRIVATE KEY-----\ny\n");
        assert_eq!(run(input.as_bytes()), b"x\n[REDACTED:pem]\ny\n".to_vec());
    }
}
