use super::*;
use crate::testutil::{b64, random_bytes};
use std::ops::Range;

fn found(data: &[u8]) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    candidates(data, &(0..data.len()), &mut out);
    out.sort_by_key(|c| (c.span.start, c.kind));
    out.into_iter().map(|c| (c.kind, String::from_utf8_lossy(&data[c.span]).into_owned())).collect()
}

fn decoded(kind: Kind, enc: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    decode(kind, enc, &mut out);
    out
}

#[test]
fn finds_base64_runs_by_alphabet_and_hex_runs() {
    let std = b64(b"some text, long enough to encode?>");
    let url = std.replace('+', "-").replace('/', "_");
    let hex = "68656c6c6f2c20776f726c6421212121";
    let data = format!("a={std} b=\"{url}\" short=YWJjZA== id={hex} path=/usr/lib/x");
    let got = found(data.as_bytes());
    assert_eq!(
        got,
        vec![(Kind::Base64, std.clone()), (Kind::Base64Url, url.clone()), (Kind::Hex, hex.to_string()),],
        "{data}"
    );
    // A run mixing both alphabets is split into the pieces of each.
    let mixed = "abcdefghijklmnopqrstuv+wxyzabcdefghijklmnopqrst_ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let got = found(mixed.as_bytes());
    assert!(got.contains(&(Kind::Base64, "abcdefghijklmnopqrstuv+wxyzabcdefghijklmnopqrst".into())), "{got:?}");
    assert!(got.contains(&(Kind::Base64, "ABCDEFGHIJKLMNOPQRSTUVWXYZ".into())), "{got:?}");
    assert!(got.contains(&(Kind::Base64Url, "wxyzabcdefghijklmnopqrst_ABCDEFGHIJKLMNOPQRSTUVWXYZ".into())), "{got:?}");
}

#[test]
fn probing_finds_runs_at_every_offset_and_respects_want() {
    let run = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY";
    for pad in 0..45 {
        let data = format!("{}{run}{}", ". ".repeat(pad), " .".repeat(7));
        let got = found(data.as_bytes());
        assert_eq!(got, vec![(Kind::Base64, run.to_string())], "pad {pad}");
        let mut out = Vec::new();
        let at = 2 * pad;
        candidates(data.as_bytes(), &(at + run.len()..data.len()), &mut out);
        assert!(out.is_empty(), "a run before `want` is not a candidate: {out:?}");
        candidates(data.as_bytes(), &(at + 5..at + 6), &mut out);
        assert_eq!(out.len(), 1, "a run intersecting `want` is");
    }
}

#[test]
fn block_masks_find_every_long_run_a_byte_walk_finds() {
    // Runs of every length around MIN_BASE64 and 64, at every alignment, between separators;
    // `want` ranges cutting through them. Reference: the maximal runs, walked byte by byte.
    let mut data = Vec::new();
    let seps = random_bytes(11, 4000);
    for (i, len) in (0..400).map(|i| (i, [1, 5, 23, 24, 25, 40, 63, 64, 65, 127, 128, 129, 300][i % 13])) {
        let alphabet: &[u8] = [&b"aZ09+/xQ"[..], b"aZ09-_xQ", b"0123456789abcdef", b"QWERTYqwerty7"][i % 4];
        data.extend((0..len).map(|k| alphabet[(i + k * 7) % alphabet.len()]));
        data.push([b' ', b'.', b'=', b'\n', 0xc3][i % 5]);
        data.extend(seps[i * 3..i * 3 + i % 3].iter().map(|&b| if is(b, ALNUM | STD | URL) { b'!' } else { b }));
    }
    let any = ALNUM | STD | URL;
    for want in [0..data.len(), 1..data.len(), 100..5000, 777..778, 64..128, 4000..data.len() - 3] {
        let mut want_runs = Vec::new();
        let mut i = 0;
        while i < data.len() {
            let s = i;
            while i < data.len() && is(data[i], any) {
                i += 1;
            }
            if i - s >= MIN_BASE64 && s < want.end && i > want.start {
                emit(&data, s..i, &want, &mut want_runs);
            }
            i += 1;
        }
        let mut got = Vec::new();
        base64_and_hex(&data, &want, &mut got);
        let key = |c: &Candidate| (c.span.start, c.span.end, c.kind);
        want_runs.sort_by_key(key);
        got.sort_by_key(key);
        assert!(want_runs.len() > 10 || want.len() < 10_000, "{want:?}");
        assert_eq!(got, want_runs, "want {want:?}");
    }
}

/// The candidates of one long run, by the plain definition: every stretch of at least
/// MIN_HEX hex digits (trimmed to even); unless the run is hex digits and dashes only, the
/// run read as base64 in the alphabet it uses (a run using both alphabets' extra characters is
/// split at the other alphabet's ones, each piece of at least MIN_BASE64), with `=` padding.
fn reference_candidates(data: &[u8], run: Range<usize>) -> Vec<Candidate> {
    let bytes = &data[run.clone()];
    let mut out = Vec::new();
    let mut at = run.start;
    for piece in bytes.split(|b| !b.is_ascii_hexdigit()) {
        if piece.len() >= MIN_HEX {
            out.push(Candidate { kind: Kind::Hex, span: at..at + piece.len() / 2 * 2 });
        }
        at += piece.len() + 1;
    }
    if bytes.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-') {
        return out;
    }
    let (std, url) = (bytes.iter().any(|b| b"+/".contains(b)), bytes.iter().any(|b| b"-_".contains(b)));
    let padded = |end: usize| end + data[end..].iter().take(2).take_while(|&&b| b == b'=').count();
    let mut read_as = |kind: Kind, other: &[u8]| {
        let mut at = run.start;
        for piece in bytes.split(|b| other.contains(b)) {
            let end = at + piece.len();
            if piece.len() >= MIN_BASE64 {
                out.push(Candidate { kind, span: at..if end == run.end { padded(end) } else { end } });
            }
            at = end + 1;
        }
    };
    match (std, url) {
        (_, false) => read_as(Kind::Base64, b""),
        (false, true) => read_as(Kind::Base64Url, b""),
        (true, true) => {
            read_as(Kind::Base64, b"-_");
            read_as(Kind::Base64Url, b"+/");
        }
    }
    out
}

#[test]
fn a_run_gets_the_candidates_of_its_plain_definition() {
    // Runs of hex only, hex with dashes (UUIDs), hex with long hex stretches inside base64,
    // each alphabet alone and both mixed, at lengths around 24, 32 and the 32-byte lanes.
    let pieces: &[&[u8]] = &[b"0123456789abcdef", b"-", b"Zz", b"+", b"/", b"_", b"q", b"9F"];
    let mut seed = 5u64;
    for len in [24usize, 31, 32, 33, 36, 40, 63, 64, 65, 97, 130] {
        for _ in 0..60 {
            let mut run = Vec::new();
            while run.len() < len {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let p = pieces[(seed >> 33) as usize % pieces.len()];
                // Mostly long hex stretches, so the hex-only and UUID shapes come up often.
                run.extend_from_slice(if (seed >> 40) % 3 == 0 { p } else { pieces[0] });
            }
            run.truncate(len);
            let mut data = b" ".to_vec();
            data.extend_from_slice(&run);
            data.extend_from_slice(b"== x");
            let mut got = Vec::new();
            emit(&data, 1..1 + len, &(0..data.len()), &mut got);
            let key = |c: &Candidate| (c.span.start, c.span.end, c.kind);
            let mut want = reference_candidates(&data, 1..1 + len);
            got.sort_by_key(key);
            want.sort_by_key(key);
            assert_eq!(got, want, "run {:?}", String::from_utf8_lossy(&run));
        }
    }
}

#[test]
fn percent_and_escape_spans() {
    let data = b"x GET /a?q=p%40ss%2Fword&b=1 HTTP/1.1\n{\"k\": \"\\u0067hp_x\\u0041\"}\nplain \\n line\n";
    let got = found(data);
    assert_eq!(
        got,
        vec![
            (Kind::Percent, "/a?q=p%40ss%2Fword&b=1".into()),
            (Kind::Escape, "{\"k\": \"\\u0067hp_x\\u0041\"}".into()),
        ]
    );
}

#[test]
fn lines_whose_escapes_decode_to_what_the_plain_scan_read_are_not_candidates() {
    // Control bytes and non-ASCII characters, each before a quote, a space or another escape.
    for line in [&br"b'\x00\x01\xff' + '\u00e9\u20ac' \n"[..], br#""\ud83d\ude00" \x7f."#] {
        assert!(found(line).is_empty(), "{}", String::from_utf8_lossy(line));
    }
    // Printable ASCII or whitespace out of an escape, `\"`, `\\`, `\/`, or a control byte that
    // becomes a boundary before a token's first byte.
    for line in [
        &br"'\u0067hp_'"[..],
        br"\x41",
        br#"{\"k\": 1} \x00"#,
        br"a\\b \x00",
        br"\u000a",
        br"\x00ghp_",
        br"\u00e9+abc",
        br"\x00%41",
    ] {
        let escapes = found(line).into_iter().filter(|(kind, _)| *kind == Kind::Escape).count();
        assert_eq!(escapes, 1, "{}", String::from_utf8_lossy(line));
    }
}

#[test]
fn buffers_ending_in_a_partial_escape_do_not_panic() {
    for data in [&b"\\"[..], b"ab\\", b"x\\u00", b"%", b"a%4", b"\\x4"] {
        let mut out = Vec::new();
        candidates(data, &(0..data.len()), &mut out);
        assert!(out.is_empty(), "{out:?}");
        for kind in [Kind::Percent, Kind::Escape] {
            let mut dec = Vec::new();
            decode(kind, data, &mut dec);
            assert_eq!(dec, data);
        }
    }
}

#[test]
fn decoders_round_trip_every_alignment() {
    let text = b"The quick brown fox jumps over the lazy dog 0123456789!";
    for cut in 0..4 {
        let enc = b64(&text[cut..]);
        assert_eq!(decoded(Kind::Base64, enc.as_bytes()), &text[cut..]);
        let url = enc.trim_end_matches('=').replace('+', "-").replace('/', "_");
        assert_eq!(decoded(Kind::Base64Url, url.as_bytes()), &text[cut..]);
    }
    assert_eq!(decoded(Kind::Hex, b"414243"), b"ABC");
    assert_eq!(decoded(Kind::Hex, b"4a4B"), b"JK");
    assert_eq!(decoded(Kind::Percent, b"a%2Fb%zz%4"), b"a/b%zz%4");
    assert_eq!(
        decoded(Kind::Escape, br#"\u0041\x42\"\\\/\n\ud83d\ude00\u00e9"#),
        "AB\"\\/\\n\u{1f600}\u{e9}".as_bytes()
    );
    assert_eq!(decoded(Kind::Escape, br"\ud83d alone"), "\u{fffd} alone".as_bytes());
}

#[test]
fn encoded_range_maps_decoded_bytes_exactly() {
    let text = b"0123456789abcdefghij";
    let enc = b64(text);
    for start in 0..text.len() {
        for end in start + 1..=text.len() {
            let r = encoded_range(Kind::Base64, enc.as_bytes(), start..end);
            // The encoded range decodes (with its alignment) to a superset of the bytes, and
            // is the smallest such.
            assert_eq!(r.start, 4 * (start / 3) + start % 3);
            assert!(r.end <= enc.trim_end_matches('=').len(), "{start}..{end} → {r:?}");
            let whole = decoded(Kind::Base64, &enc.as_bytes()[..r.end]);
            assert!(whole.len() >= end, "{start}..{end} → {r:?}");
        }
    }
    assert_eq!(encoded_range(Kind::Hex, b"41424344", 1..3), 2..6);
    let pct = b"a%2Fb%2Fc";
    assert_eq!(encoded_range(Kind::Percent, pct, 1..4), 1..8);
    let esc = br"x\u0041\ud83d\ude00y";
    assert_eq!(encoded_range(Kind::Escape, esc, 1..2), 1..7);
    // The emoji (4 UTF-8 bytes) comes from one surrogate pair: any of its bytes maps to both.
    assert_eq!(encoded_range(Kind::Escape, esc, 3..4), 7..19);
    assert_eq!(encoded_range(Kind::Escape, esc, 2..7), 7..20);
}

#[test]
fn text_test_passes_text_and_fails_random_bytes() {
    assert!(is_text(b"hello, world\n\ttabs"));
    assert!(is_text("caf\u{e9} na\u{ef}ve \u{1f600}".as_bytes()));
    assert!(!is_text(&[0x8f, 0x12, 0xff, 0x00, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46]));
    // xorshift bytes: never text.
    let random = random_bytes(0x9e37_79b9_7f4a_7c15, 4800);
    assert!(random.chunks(48).all(|c| !is_text(c)));
    assert!(random.chunks(15).filter(|c| is_text(c)).count() <= 1);
}

#[test]
fn the_simd_ranges_are_the_classes_of_the_table() {
    let in_ranges = |ranges: &[(u8, u8)], b: u8| ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&b));
    for b in 0..=255u8 {
        assert_eq!(in_ranges(HEX_RANGES, b), is(b, HEXDIGIT), "byte {b:#x}");
        // Every byte at every position of a full block and of a short one.
        for at in 0..64 {
            let mut block = [b'!'; 64];
            block[at] = b;
            let want = u64::from(is(b, ALNUM | STD | URL)) << at;
            assert_eq!(alphabet_mask(&block), want, "byte {b:#x} at {at}");
            assert_eq!(alphabet_mask(&block[..at + 1]), want, "byte {b:#x} at {at} of {}", at + 1);
        }
    }
}

#[test]
fn long_runs_are_found_whole_among_bytes_of_the_superset_and_others() {
    // Alphabet bytes, bytes `+`..`z` outside the alphabet (the first pass's superset), and
    // bytes outside both, in random stretches; runs crossing 64-byte blocks; `want` ranges
    // anywhere. Every long run of the alphabet that meets `want` gets its candidates.
    let alphabet = b"abcXYZ0189+/-_";
    let superset_only = b",.:;=@[]^`";
    let others = b" \"'(){}\n";
    let mut seed = 11u64;
    let mut next = |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    for round in 0..300 {
        let len = 1 + next(700) as usize;
        let mut data = Vec::with_capacity(len);
        while data.len() < len {
            let (set, stretch): (&[u8], u64) = match next(10) {
                0..=5 => (alphabet, 1 + next(60)),
                6 | 7 => (superset_only, 1 + next(3)),
                _ => (others, 1 + next(3)),
            };
            for _ in 0..stretch {
                data.push(set[next(set.len() as u64) as usize]);
            }
        }
        data.truncate(len);
        let a = next(len as u64 + 1) as usize;
        let b = a + next((len - a) as u64 + 1) as usize;
        let want = a..b.max(a + 1).min(len);
        if want.is_empty() {
            continue;
        }
        let mut got = Vec::new();
        base64_and_hex(&data, &want, &mut got);
        let mut expect = Vec::new();
        let mut at = 0;
        while at < data.len() {
            let end = at + data[at..].iter().take_while(|b| alphabet.contains(b) || b.is_ascii_alphanumeric()).count();
            if end - at >= MIN_BASE64 && end > want.start && at < want.end {
                expect.extend(reference_candidates(&data, at..end));
            }
            at = end + 1;
        }
        let key = |c: &Candidate| (c.span.start, c.span.end, c.kind);
        got.sort_by_key(key);
        expect.sort_by_key(key);
        assert_eq!(got, expect, "round {round}: {:?} want {want:?}", String::from_utf8_lossy(&data));
    }
}
