use super::*;
use crate::chunk::Origin;
use crate::testutil::{b64, hex, random_bytes, tok_matcher, TOKEN};

fn matcher() -> Matcher {
    tok_matcher("")
}

fn chunk(data: &[u8], offset: u64, owned: Range<usize>) -> Chunk {
    Chunk {
        origin: Arc::new(Origin::Stdin),
        data: data.to_vec(),
        offset,
        line: 1,
        line_start: 0,
        owned,
        content: Content::Text,
    }
}

/// Plain scan then decoding, as the engine runs them.
fn run(data: &[u8], limits: &Limits) -> (Vec<Finding>, Stats) {
    let m = matcher();
    let c = chunk(data, 0, 0..data.len());
    let mut out = Vec::new();
    m.scan(&c, &mut out);
    let stats = scan(&m, &c, limits, &mut out);
    (out, stats)
}

#[test]
fn base64_finding_points_at_the_exact_encoded_bytes() {
    // 0, 1, 2 bytes (and 9) before the token in the encoded text: every base64 alignment.
    for prefix in ["", " ", "x ", "user=bob "] {
        let enc = b64(format!("{prefix}{TOKEN} and more text").as_bytes());
        let line = format!("first line\nvalue: {enc}\n");
        let (found, _) = run(line.as_bytes(), &Limits::default());
        assert_eq!(found.len(), 1, "{prefix:?}: {found:?}");
        let f = &found[0];
        assert_eq!(f.secret.expose(), TOKEN.as_bytes());
        assert_eq!(f.encoding, Some("base64"));
        // The encoded bytes from f.offset decode (at the right alignment) to the token.
        let at = f.offset as usize - "first line\nvalue: ".len();
        let skip = prefix.len();
        assert_eq!(at, 4 * (skip / 3) + skip % 3, "{prefix:?}");
        assert_eq!((f.line, f.column), (2, 8 + at as u64));
        let len = f.end_column - f.column;
        assert_eq!(len as usize, 4 * ((skip + TOKEN.len() - 1) / 3) + (skip + TOKEN.len() - 1) % 3 + 2 - at);
    }
}

#[test]
fn hex_percent_and_escapes() {
    let cases = [
        (format!("h={}", hex(format!("say {TOKEN}").as_bytes())), "hex", 2 + 8),
        (format!("GET /?q=%20%20{}%3D", TOKEN.replace('_', "%5F")), "percent", 14),
        (format!(r#"{{"t": "\u0074ok\u005f{}"}}"#, &TOKEN[4..]), "unicode-escape", 7),
    ];
    for (line, name, at) in cases {
        let (found, _) = run(line.as_bytes(), &Limits::default());
        assert_eq!(found.len(), 1, "{line}: {found:?}");
        assert_eq!((found[0].encoding, found[0].offset), (Some(name), at), "{line}");
        assert_eq!(found[0].secret.expose(), TOKEN.as_bytes());
    }
}

#[test]
fn plain_secret_is_not_reported_again() {
    // Percent-decoding the line finds the plain token again: only the plain finding stays.
    let line = format!("GET /?a=%20%21&t={TOKEN}&b=%22");
    let (found, _) = run(line.as_bytes(), &Limits::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].encoding, None);
}

#[test]
fn nesting_is_named_outermost_first_and_depth_limited() {
    // base64 of a percent-encoded string holding base64 of the token.
    let inner = b64(format!("k {TOKEN} end of the inner text").as_bytes());
    // Every byte escaped: no base64 run is left in the middle layer.
    let middle = format!("v={}&x=%20", inner.bytes().map(|b| format!("%{b:02X}")).collect::<String>());
    let outer = b64(middle.as_bytes());
    let line = format!("blob {outer}\n");
    let depth = |d| Limits { depth: d, ..Limits::default() };
    assert!(run(line.as_bytes(), &depth(2)).0.is_empty(), "three layers deep: not at depth 2");
    let (found, _) = run(line.as_bytes(), &depth(3));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].encoding, Some("base64+percent+base64"));
    // The token is byte 2 of the inner text → inner character 2 → middle byte 2 + 3 × 2 = 8
    // → outer character 4 × (8 / 3) + 8 % 3 = 10, after `blob `.
    assert_eq!(found[0].offset, 15);
    let (found, _) = run(format!("blob {}\n", b64(format!("x {inner}").as_bytes())).as_bytes(), &depth(2));
    assert_eq!(found[0].encoding, Some("base64+base64"));
    assert!(run(format!("p {}\n", inner).as_bytes(), &depth(0)).0.is_empty(), "depth 0: off");
}

#[test]
fn budget_skips_and_counts() {
    let enc = b64(format!("{TOKEN} padded with some words").as_bytes());
    let data = format!("{enc}\n").repeat(10);
    let limits = Limits { max_decoded: 3 * enc.len(), ..Limits::default() };
    let (found, stats) = run(data.as_bytes(), &limits);
    assert!(found.len() < 10 && !found.is_empty(), "{}", found.len());
    assert!(stats.skipped > 0);
}

#[test]
fn binary_blobs_are_skipped_cheaply_and_runs_cut_by_a_chunk_are_aligned() {
    let random = random_bytes(7, 30_000);
    assert!(run(b64(&random).as_bytes(), &Limits::default()).0.is_empty());
    // A chunk starting inside a base64 run, at each alignment: the secret is still found, at
    // its input offset.
    let text = format!("{}{TOKEN} tail text here", "lead text ".repeat(10));
    let enc = b64(text.as_bytes());
    let m = matcher();
    for cut in 1..5usize {
        let c = chunk(&enc.as_bytes()[cut..], cut as u64, 0..enc.len() - cut);
        let mut out = Vec::new();
        scan(&m, &c, &Limits::default(), &mut out);
        assert_eq!(out.len(), 1, "cut {cut}");
        assert_eq!(out[0].offset, 133, "cut {cut}");
    }
}

#[test]
fn only_owned_secrets_are_reported() {
    let enc = b64(format!("{TOKEN} trailing words").as_bytes());
    let data = format!("{enc} {enc}");
    let m = matcher();
    let c = chunk(data.as_bytes(), 0, enc.len()..data.len());
    let mut out = Vec::new();
    scan(&m, &c, &Limits::default(), &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].offset as usize, enc.len() + 1);
}

#[test]
fn names_are_interned() {
    assert_eq!(name(&[Kind::Hex]), "hex");
    let a = name(&[Kind::Percent, Kind::Base64Url]);
    assert_eq!(a, "percent+base64url");
    assert!(std::ptr::eq(a, name(&[Kind::Percent, Kind::Base64Url])));
}
