//! One chunk scanned at every layer, in the order every front end uses: the plain bytes, the
//! UTF-16 text inside them, then what decodes from them (base64, hex, percent, escapes).
//!
//! Invariant: the layers run in this order because the decoding layer drops a decoded finding
//! that overlaps one already in `out` (unless more confident: then it replaces it), so a secret
//! seen both plain and decoded is reported once. Depends on `matcher`, `utf16`, `decode`,
//! `chunk`, `finding`.

use crate::chunk::Chunk;
use crate::decode::Limits;
use crate::finding::Finding;
use crate::matcher::Matcher;

/// Appends every finding of `chunk` to `out`; returns how many an inline allow marker dropped.
pub fn scan(matcher: &Matcher, chunk: &Chunk, decode: &Limits, out: &mut Vec<Finding>) -> u64 {
    // Binary content: the keyword scan notes the blocks where UTF-16 text may start as it
    // reads them (one pass over the bytes, not two).
    let mut hint = None;
    let plain = matcher.scan_noting_utf16(chunk, out, &mut hint);
    let utf16 = crate::utf16::scan(matcher, chunk, out, hint.as_deref());
    let decoded = crate::decode::scan(matcher, chunk, decode, out);
    plain.by_marker + utf16.by_marker + decoded.suppressed.by_marker
}
