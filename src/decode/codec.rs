//! The encodings the decoding layer knows: where candidate spans are in a buffer, how each one
//! decodes, and where a decoded byte came from in the encoded text.
//!
//! Invariant: finding candidates costs a few vector compares and bit operations per 64 input
//! bytes on text that holds none (runs of the base64 alphabet are found in a bitmask of each
//! 64-byte block; `%` and `\` by `memchr`); decoding is linear and allocation-free
//! beyond the caller's buffer; the decoded→encoded map is exact. Depends on `bytemask`, std
//! and `memchr`.

use std::ops::Range;

/// Shortest run of the base64 alphabet taken as a candidate, in characters (18 decoded bytes):
/// 20 took every `req-…` id and path of a log line (+50% CPU on logs), 24 still holds the
/// shortest secrets with their context.
pub const MIN_BASE64: usize = 24;
/// Shortest run of hex digits taken as a candidate, in characters (16 decoded bytes).
pub const MIN_HEX: usize = 32;
/// Longest stretch of a line decoded for percent- or backslash-escapes, in bytes.
pub const MAX_ESCAPED_SPAN: usize = 64 << 10;

/// One encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Standard base64 (`+/`, `=` padding optional); also runs of letters and digits only.
    Base64,
    /// URL-safe base64 (`-_`): a run holding `-` or `_` and neither `+` nor `/`.
    Base64Url,
    /// Hex digits, two per byte (either case).
    Hex,
    /// Percent-encoding (`%XX`); other bytes stand for themselves.
    Percent,
    /// JSON/JS string escapes: `\uXXXX` (surrogate pairs joined), `\xXX`, `\"`, `\\`, `\/`.
    Escape,
}

impl Kind {
    /// The name findings report (`base64`, `base64url`, `hex`, `percent`, `unicode-escape`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Base64 => "base64",
            Kind::Base64Url => "base64url",
            Kind::Hex => "hex",
            Kind::Percent => "percent",
            Kind::Escape => "unicode-escape",
        }
    }

    /// Encoded characters per whole unit: a span cut at an unknown place may start at any of
    /// these offsets.
    pub fn quantum(self) -> usize {
        match self {
            Kind::Base64 | Kind::Base64Url => 4,
            Kind::Hex => 2,
            Kind::Percent | Kind::Escape => 1,
        }
    }
}

/// A span of a buffer that may hold encoded text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The encoding.
    pub kind: Kind,
    /// Half-open byte range in the buffer (base64 padding included).
    pub span: Range<usize>,
}

const ALNUM: u8 = 1;
const STD: u8 = 2; // + /
const URL: u8 = 4; // - _
const HEXDIGIT: u8 = 8;
const URLISH: u8 = 16; // may appear in a percent-encoded URL or form value

const fn classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut v = 0;
        if c.is_ascii_alphanumeric() {
            v |= ALNUM;
        }
        if c == b'+' || c == b'/' {
            v |= STD;
        }
        if c == b'-' || c == b'_' {
            v |= URL;
        }
        if c.is_ascii_hexdigit() {
            v |= HEXDIGIT;
        }
        if c > b' ' && c < 0x7f && !matches!(c, b'"' | b'\'' | b'<' | b'>' | b'`' | b'\\') {
            v |= URLISH;
        }
        t[b] = v;
        b += 1;
    }
    t
}

static CLASS: [u8; 256] = classes();

/// `HEXDIGIT` as ranges, for the SIMD mask (`bytemask::in_ranges`); a test holds it to the table.
const HEX_RANGES: &[(u8, u8)] = &[(b'0', b'9'), (b'A', b'F'), (b'a', b'f')];

fn is(b: u8, class: u8) -> bool {
    CLASS[b as usize] & class != 0
}

/// Appends the candidates of `data` that intersect `want` to `out`, in no particular order.
pub fn candidates(data: &[u8], want: &Range<usize>, out: &mut Vec<Candidate>) {
    base64_and_hex(data, want, out);
    percent(data, want, out);
    escapes(data, want, out);
}

/// Runs of the base64 alphabets at least [`MIN_BASE64`] long: the data is read 64 bytes at a
/// time into a bitmask of alphabet bytes, and the runs are the stretches of ones; only the long
/// ones are read again, to note which alphabets they use. Text is mostly short words, so a
/// probe landing in one (what this did before) cost a walk of the word and a mispredicted
/// branch.
///
/// Two passes: the long runs of bytes `+` to `z` first (a superset of the alphabet, one range:
/// 3 vector operations per 16 bytes where the alphabet takes 14), then the alphabet's runs
/// inside those only. Every long run of the alphabet lies whole inside a long run of the
/// superset, and code breaks the superset at spaces, quotes and brackets (5% of the bytes of
/// Python's standard library are in its long runs): a scan of it took 1,223 M instructions
/// instead of 1,256 M (callgrind, one thread).
fn base64_and_hex(data: &[u8], want: &Range<usize>, out: &mut Vec<Candidate>) {
    if want.start >= data.len() {
        return;
    }
    // A run holding `want.start` starts where it starts.
    let first = if in_superset(data[want.start]) {
        data[..want.start].iter().rposition(|&b| !in_superset(b)).map_or(0, |p| p + 1)
    } else {
        want.start
    };
    long_runs(data, first..data.len(), want.end, superset_mask, &mut |wide| {
        long_runs(data, wide.clone(), wide.end, alphabet_mask, &mut |run| {
            if run.end > want.start {
                emit(data, run, want, out);
            }
        });
    });
}

/// Whether `b` is in the superset of the union alphabet [`superset_mask`] tests.
fn in_superset(b: u8) -> bool {
    (b'+'..=b'z').contains(&b)
}

/// Bit `i` set when `block[i]` is in `+`..=`z`, a superset of the union base64 alphabet.
fn superset_mask(block: &[u8]) -> u64 {
    crate::bytemask::in_ranges(block, &[(b'+', b'z')])
}

/// Calls `found` with the runs of bytes of `span` whose `mask` bit is set that are at least
/// [`MIN_BASE64`] long, from `span.start` until no run is open at or past `stop`. A run ends
/// at the span's end.
///
/// One block at a time: the run open at the block's start (`carry` bytes long so far) ends at
/// its first zero, the runs inside it are the long ones of `ones_from`, and the run reaching
/// its end is carried. Most blocks of text hold none and cost the mask and a few bit
/// operations, without a branch on each run.
fn long_runs(
    data: &[u8],
    span: Range<usize>,
    stop: usize,
    mask: impl Fn(&[u8]) -> u64,
    found: &mut dyn FnMut(Range<usize>),
) {
    let mut carry = 0;
    let mut base = span.start;
    while base < span.end {
        if carry == 0 && base >= stop {
            break;
        }
        // The block's bytes inside the span. The mask reads a whole block where the data
        // has one (the vector path; a short block goes byte by byte), then drops the rest.
        let n = (span.end - base).min(64);
        let ones = mask(&data[base..(base + 64).min(data.len())]) & (u64::MAX >> (64 - n));
        let head = (!ones).trailing_zeros() as usize;
        if head >= n {
            carry += n;
            base += n;
            continue;
        }
        if carry + head >= MIN_BASE64 {
            found(base - carry..base + head);
        }
        // The run reaching the block's end goes on in the next block (a short block is the
        // span's last: its runs end with it, inside).
        carry = if n == 64 { ones.leading_ones() as usize } else { 0 };
        let inner = ones & !((1u64 << head) - 1) & (u64::MAX >> carry);
        let mut long = crate::bytemask::ones_from(inner, MIN_BASE64 as u32);
        while long != 0 {
            let s = long.trailing_zeros() as usize;
            let e = s + (!inner >> s).trailing_zeros() as usize;
            found(base + s..base + e);
            long &= u64::MAX.checked_shl(e as u32).unwrap_or(0);
        }
        base += n;
    }
    if carry >= MIN_BASE64 {
        found(span.end - carry..span.end);
    }
}

/// A run of the union alphabet, if long enough and starting before `want.end`: which
/// alphabets it uses, then its candidates.
fn emit(data: &[u8], run: Range<usize>, want: &Range<usize>, out: &mut Vec<Candidate>) {
    if run.len() < MIN_BASE64 || run.start >= want.end {
        return;
    }
    // Per-byte flags OR-ed over fixed 32-byte arrays, which the compiler vectorizes (a
    // class-table lookup per byte does not, and this covers every long run: hashes and ids).
    let flags = |b: u8| {
        let hex = (b | 0x20).wrapping_sub(b'a') < 6 || b.wrapping_sub(b'0') < 10;
        (u8::from(matches!(b, b'+' | b'/')) * SEEN_STD)
            | (u8::from(matches!(b, b'-' | b'_')) * SEEN_URL)
            | (u8::from(b == b'-') * SEEN_DASH)
            | (u8::from(!hex && b != b'-') * SEEN_OTHER)
    };
    let mut lanes = [0u8; 32];
    let mut blocks = data[run.clone()].chunks_exact(32);
    for block in &mut blocks {
        for (lane, &b) in lanes.iter_mut().zip(block) {
            *lane |= flags(b);
        }
    }
    // The last partial block padded with a byte that sets no flag, so it is one more vector
    // pass and not a loop per byte (most runs are 32 to 64 bytes: ids, UUIDs, hashes).
    let rest = blocks.remainder();
    if !rest.is_empty() {
        let mut last = [b'0'; 32];
        last[..rest.len()].copy_from_slice(rest);
        for (lane, &b) in lanes.iter_mut().zip(&last) {
            *lane |= flags(b);
        }
    }
    let seen = lanes.iter().fold(0, |a, &l| a | l);
    classify(data, run, seen, out);
}

/// What a run holds (bits of [`emit`]'s summary): `+` or `/`; `-` or `_`; `-`; a byte that is
/// neither a hex digit nor `-`.
const SEEN_STD: u8 = 1;
const SEEN_URL: u8 = 2;
const SEEN_DASH: u8 = 4;
const SEEN_OTHER: u8 = 8;

/// Bit `i` set when `block[i]` (up to 64 bytes) is in the union base64 alphabet
/// (`ALNUM | STD | URL`; a test holds it to the table). Every byte of every text chunk goes
/// through here, so the seven ranges are tested in fewer SSE2 operations than
/// `bytemask::in_ranges` spends on them (4 each): the letters as one range once bit 5 folds
/// upper case onto lower (only `A-Z` and `a-z` land in `a-z`), and `+` to `9` as one range
/// less `,` and `.` (callgrind, Python standard library: the decoding pass 237 -> 227 M
/// instructions, 1% of the scan).
fn alphabet_mask(block: &[u8]) -> u64 {
    use wide::u8x16;
    let Ok(block) = <&[u8; 64]>::try_from(block) else {
        return crate::bytemask::of(block, |b| is(b, ALNUM | STD | URL));
    };
    let splat = u8x16::splat;
    let mut mask = 0u64;
    for (k, sixteen) in block.chunks_exact(16).enumerate() {
        let v = u8x16::from(<[u8; 16]>::try_from(sixteen).expect("16 bytes"));
        let l = (v | splat(0x20)) - splat(b'a');
        let letter = l.min(splat(b'z' - b'a')).cmp_eq(l);
        let d = v - splat(b'+');
        let symbol = d.min(splat(b'9' - b'+')).cmp_eq(d);
        let not_symbol = v.cmp_eq(splat(b',')) | v.cmp_eq(splat(b'.'));
        let hit = letter | (symbol & !not_symbol) | v.cmp_eq(splat(b'_'));
        mask |= u64::from(hit.move_mask() as u16) << (16 * k);
    }
    mask
}

/// Splits one run of the union alphabet (holding what `seen` says) into hex and base64
/// candidates.
fn classify(data: &[u8], run: Range<usize>, seen: u8, out: &mut Vec<Candidate>) {
    let bytes = &data[run.clone()];
    if bytes.len() >= MIN_HEX {
        if seen & (SEEN_DASH | SEEN_OTHER) == 0 {
            // Hex digits only (a hash, a trace id): one candidate, no second walk.
            out.push(Candidate { kind: Kind::Hex, span: run.start..run.start + bytes.len() / 2 * 2 });
        } else {
            hex_runs(bytes, run.start, out);
        }
    }
    if seen & SEEN_OTHER == 0 {
        // Hex digits (and dashes) only: a hash, a UUID, an id or a number, never worth a
        // base64 reading.
        return;
    }
    let padded = |end: usize| end + data[end..].iter().take(2).take_while(|&&b| b == b'=').count();
    let mut split = |kind: Kind, separators: u8| {
        if separators == 0 {
            // One alphabet: the run is one candidate (it is at least MIN_BASE64 long).
            out.push(Candidate { kind, span: run.start..padded(run.end) });
            return;
        }
        let mut from = run.start;
        for piece in bytes.split(|&b| is(b, separators)) {
            let to = from + piece.len();
            if piece.len() >= MIN_BASE64 {
                let end = if to == run.end { padded(to) } else { to };
                out.push(Candidate { kind, span: from..end });
            }
            from = to + 1;
        }
    };
    match (seen & SEEN_STD != 0, seen & SEEN_URL != 0) {
        (_, false) => split(Kind::Base64, 0),
        (false, true) => split(Kind::Base64Url, 0),
        (true, true) => {
            split(Kind::Base64, URL);
            split(Kind::Base64Url, STD);
        }
    }
}

/// The hex sub-runs of at least [`MIN_HEX`] digits in `bytes` (which starts at `at`),
/// trimmed to an even length.
fn hex_runs(bytes: &[u8], at: usize, out: &mut Vec<Candidate>) {
    if !has_hex_stretch(bytes) {
        return;
    }
    let mut from = 0;
    for piece in bytes.split(|&b| !is(b, HEXDIGIT)) {
        if piece.len() >= MIN_HEX {
            let start = at + from;
            out.push(Candidate { kind: Kind::Hex, span: start..start + piece.len() / 2 * 2 });
        }
        from += piece.len() + 1;
    }
}

/// Whether `bytes` holds [`MIN_HEX`] hex digits in a row: a bitmask of the hex digits of each
/// 64-byte block, searched for 32 ones in a row (shift-and doubling) and across blocks by the
/// ones ending each block. Most runs holding other letters (base64 blobs, paths) hold no such
/// stretch, and a walk of their bytes cost a fifth of the decoding layer on a log.
fn has_hex_stretch(bytes: &[u8]) -> bool {
    let mut ending = 0; // hex digits ending the previous block
    for block in bytes.chunks(64) {
        let ones = crate::bytemask::in_ranges(block, HEX_RANGES);
        if crate::bytemask::ones_from(ones, MIN_HEX as u32) != 0 || ending + ones.trailing_ones() as usize >= MIN_HEX {
            return true;
        }
        ending = if ones == u64::MAX { ending + 64 } else { ones.leading_ones() as usize };
    }
    false
}

/// Runs of URL characters holding at least one `%XX`.
fn percent(data: &[u8], want: &Range<usize>, out: &mut Vec<Candidate>) {
    let mut at = want.start;
    while let Some(p) = memchr::memchr(b'%', &data[at..]).map(|p| at + p) {
        if p >= want.end {
            break;
        }
        if !is_percent_escape(&data[p..]) {
            at = p + 1;
            continue;
        }
        let lo = p.saturating_sub(MAX_ESCAPED_SPAN / 2);
        let start = data[lo..p].iter().rposition(|&b| !is(b, URLISH)).map_or(lo, |q| lo + q + 1);
        let hi = (start + MAX_ESCAPED_SPAN).min(data.len());
        let end = data[p..hi].iter().position(|&b| !is(b, URLISH)).map_or(hi, |q| p + q);
        out.push(Candidate { kind: Kind::Percent, span: start..end });
        at = end.max(p + 1);
    }
}

fn is_percent_escape(s: &[u8]) -> bool {
    s.len() >= 3 && s[0] == b'%' && is(s[1], HEXDIGIT) && is(s[2], HEXDIGIT)
}

/// Lines (at most [`MAX_ESCAPED_SPAN`] bytes of one) holding a `\uXXXX` or `\xXX` escape.
fn escapes(data: &[u8], want: &Range<usize>, out: &mut Vec<Candidate>) {
    let mut at = want.start;
    while let Some(p) = memchr::memchr(b'\\', &data[at..]).map(|p| at + p) {
        if p >= want.end {
            break;
        }
        if escape_len(&data[p..]).is_none() {
            // Past the escaped byte (`\\u0041` is not an escape), never past the end.
            at = (p + 2).min(data.len());
            continue;
        }
        let lo = p.saturating_sub(MAX_ESCAPED_SPAN / 2);
        let line = memchr::memrchr(b'\n', &data[lo..p]).map_or(lo, |q| lo + q + 1);
        let start = line.max(at);
        let hi = (start + MAX_ESCAPED_SPAN).min(data.len());
        let end = memchr::memchr(b'\n', &data[p..hi]).map_or(hi, |q| p + q);
        if escapes_matter(&data[line..end]) {
            out.push(Candidate { kind: Kind::Escape, span: start..end });
        }
        at = end.max(p + 1);
    }
}

/// Whether decoding the escapes of a line can change what the rules find: an escape decodes
/// to printable ASCII or whitespace (`\u0067`, `\x20`, `\"`, `\\`, `\/`: a secret's bytes
/// or its context), or one decoding to anything else (a control
/// byte, a non-ASCII character: never part of a secret) comes right before a byte that can
/// continue a token (letter, digit, `_`, `+`, `/`, `-`, `%`), where the decoded byte is a
/// boundary its own hex digits were not (`\x00ghp_…`). A line of `\x00` and `\u00e9` escapes
/// alone decodes to what the plain scan already read: Python's standard library has 19,000
/// such lines, and decoding and scanning each again was 7% of the instructions of its scan.
fn escapes_matter(line: &[u8]) -> bool {
    let mut at = 0;
    while let Some(p) = memchr::memchr(b'\\', &line[at..]).map(|p| at + p) {
        let (used, unit) = step(Kind::Escape, &line[p..]);
        if used > 1 {
            let printable = matches!(unit.bytes(), [b'\t'..=b'\r' | b' '..=b'~']);
            if printable || line.get(p + used).is_some_and(|&b| is(b, ALNUM | STD | URL) || b == b'%') {
                return true;
            }
        }
        at = p + used;
    }
    false
}

/// Length of the `\uXXXX` or `\xXX` escape at the start of `s`, if there is one.
fn escape_len(s: &[u8]) -> Option<usize> {
    let hex = |r: Range<usize>| s.get(r).is_some_and(|h| h.iter().all(|&b| is(b, HEXDIGIT)));
    match s.get(1) {
        Some(b'u') if hex(2..6) => Some(6),
        Some(b'x') if hex(2..4) => Some(4),
        _ => None,
    }
}

const INVALID: u8 = 0xff;

const fn sextets() -> [u8; 256] {
    let mut t = [INVALID; 256];
    let mut i = 0;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    while i < alphabet.len() {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t[b'+' as usize] = 62;
    t[b'-' as usize] = 62;
    t[b'/' as usize] = 63;
    t[b'_' as usize] = 63;
    t
}

static SEXTET: [u8; 256] = sextets();

fn nibble(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

/// Appends the decoding of `enc` (a candidate of `kind`, possibly cut anywhere) to `out`.
/// Base64 padding and a trailing partial unit are ignored; bytes outside the alphabet
/// (never in a candidate) decode as zero bits.
pub fn decode(kind: Kind, enc: &[u8], out: &mut Vec<u8>) {
    match kind {
        Kind::Base64 | Kind::Base64Url => {
            let body = &enc[..enc.iter().position(|&b| b == b'=').unwrap_or(enc.len())];
            out.reserve(body.len() / 4 * 3 + 2);
            let mut quads = body.chunks_exact(4);
            for q in &mut quads {
                let v = q.iter().fold(0u32, |acc, &b| acc << 6 | u32::from(SEXTET[b as usize] & 63));
                out.extend_from_slice(&v.to_be_bytes()[1..]);
            }
            let rest = quads.remainder();
            if rest.len() >= 2 {
                let v = rest.iter().fold(0u32, |acc, &b| acc << 6 | u32::from(SEXTET[b as usize] & 63));
                let v = v << (6 * (4 - rest.len()));
                out.extend_from_slice(&v.to_be_bytes()[1..rest.len()]);
            }
        }
        Kind::Hex => out.extend(enc.chunks_exact(2).map(|p| nibble(p[0]) << 4 | nibble(p[1]))),
        Kind::Percent | Kind::Escape => {
            // Bytes up to the next `%` or `\\` stand for themselves: copied a stretch at a time
            // (a unit at a time, an escaped line cost more than scanning it).
            let lead = if kind == Kind::Percent { b'%' } else { b'\\' };
            out.reserve(enc.len());
            let mut at = 0;
            while at < enc.len() {
                let next = memchr::memchr(lead, &enc[at..]).map_or(enc.len(), |p| at + p);
                out.extend_from_slice(&enc[at..next]);
                if next == enc.len() {
                    break;
                }
                let (used, unit) = step(kind, &enc[next..]);
                out.extend_from_slice(unit.bytes());
                at = next + used;
            }
        }
    }
}

/// Encoded bytes that decode to at least `decoded` bytes (or all there are).
pub fn encoded_len(kind: Kind, decoded: usize) -> usize {
    match kind {
        Kind::Base64 | Kind::Base64Url => decoded.div_ceil(3) * 4,
        Kind::Hex => 2 * decoded,
        // `\u0041` is the longest unit per decoded byte (6 encoded bytes for 1).
        Kind::Percent | Kind::Escape => 6 * decoded,
    }
}

/// Up to four decoded bytes.
struct Unit {
    bytes: [u8; 4],
    len: usize,
}

impl Unit {
    fn byte(b: u8) -> Unit {
        Unit { bytes: [b, 0, 0, 0], len: 1 }
    }
    fn char(c: char) -> Unit {
        let mut bytes = [0; 4];
        let len = c.encode_utf8(&mut bytes).len();
        Unit { bytes, len }
    }
    fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Decodes the unit at the start of `s` (percent or escape): bytes used, bytes produced.
fn step(kind: Kind, s: &[u8]) -> (usize, Unit) {
    let hex = |r: Range<usize>| s[r].iter().fold(0u32, |acc, &b| acc << 4 | u32::from(nibble(b)));
    match kind {
        Kind::Percent if is_percent_escape(s) => (3, Unit::byte(hex(1..3) as u8)),
        Kind::Escape if s[0] == b'\\' => match (escape_len(s), s.get(1)) {
            (Some(6), _) => {
                let high = hex(2..6);
                if (0xd800..0xdc00).contains(&high) && s.get(6) == Some(&b'\\') && escape_len(&s[6..]) == Some(6) {
                    let low = s[8..12].iter().fold(0u32, |acc, &b| acc << 4 | u32::from(nibble(b)));
                    if (0xdc00..0xe000).contains(&low) {
                        let c = 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
                        return (12, Unit::char(char::from_u32(c).unwrap_or('\u{fffd}')));
                    }
                }
                (6, Unit::char(char::from_u32(high).unwrap_or('\u{fffd}')))
            }
            (Some(_), _) => (4, Unit::char(char::from(hex(2..4) as u8))),
            (None, Some(&c @ (b'"' | b'\\' | b'/'))) => (2, Unit::byte(c)),
            _ => (1, Unit::byte(s[0])),
        },
        _ => (1, Unit::byte(s[0])),
    }
}

/// The encoded bytes (a range of `enc`) that decode to the bytes `decoded` of its decoding.
pub fn encoded_range(kind: Kind, enc: &[u8], decoded: Range<usize>) -> Range<usize> {
    // Byte i of a base64 quantum starts in character i and ends in character i + 1.
    let b64 = |i: usize| 4 * (i / 3) + i % 3;
    let clamp = |r: Range<usize>| r.start.min(enc.len())..r.end.min(enc.len());
    match kind {
        Kind::Base64 | Kind::Base64Url if decoded.is_empty() => clamp(b64(decoded.start)..b64(decoded.start)),
        Kind::Base64 | Kind::Base64Url => clamp(b64(decoded.start)..b64(decoded.end - 1) + 2),
        Kind::Hex => clamp(2 * decoded.start..2 * decoded.end),
        Kind::Percent | Kind::Escape => {
            let (mut at, mut produced, mut start) = (0, 0, None);
            while at < enc.len() && produced < decoded.end {
                let (used, unit) = step(kind, &enc[at..]);
                if start.is_none() && produced + unit.len > decoded.start {
                    start = Some(at);
                }
                at += used;
                produced += unit.len;
            }
            start.unwrap_or(at)..at
        }
    }
}

/// A cheap first look at a candidate: at least 9 of the first 12 decoded bytes (16 base64
/// characters) are printable ASCII or whitespace. Random bytes pass about once in 250.
pub fn may_be_text(kind: Kind, enc: &[u8]) -> bool {
    let ok = |b: u8| (0x20..0x7f).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r');
    // Counting stops at the fourth bad byte: most candidates (hashes, ids) are random.
    let passes = |decoded: &mut dyn Iterator<Item = u8>| {
        let (mut bad, mut total) = (0, 0);
        for b in decoded {
            total += 1;
            if !ok(b) {
                bad += 1;
                if bad * 4 > 12 {
                    return false;
                }
            }
        }
        bad * 4 <= total
    };
    match kind {
        Kind::Base64 | Kind::Base64Url => passes(&mut enc.chunks_exact(4).take(4).flat_map(|q| {
            let v = q.iter().fold(0u32, |acc, &b| acc << 6 | u32::from(SEXTET[b as usize] & 63));
            let [_, x, y, z] = v.to_be_bytes();
            [x, y, z]
        })),
        Kind::Hex => passes(&mut enc.chunks_exact(2).take(12).map(|p| nibble(p[0]) << 4 | nibble(p[1]))),
        Kind::Percent | Kind::Escape => true,
    }
}

/// True when `bytes` look like text: at most one in ten is neither printable ASCII,
/// whitespace, nor part of a valid UTF-8 sequence. Random bytes (a key, a hash, compressed
/// data) almost never pass.
pub fn is_text(bytes: &[u8]) -> bool {
    let mut bad = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if (0x20..0x7f).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r') {
            i += 1;
            continue;
        }
        let width = match b {
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => 0,
        };
        // Lead byte then continuation bytes (overlong and surrogate forms pass: close enough).
        if width > 0 && bytes.get(i + 1..i + width).is_some_and(|s| s.iter().all(|&c| c & 0xc0 == 0x80)) {
            i += width;
        } else {
            bad += 1;
            i += 1;
        }
    }
    bad * 10 <= bytes.len()
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
