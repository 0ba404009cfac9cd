//! Decoding: secrets under base64 (std and url), hex, percent-encoding and `\u` escapes, nested
//! encodings, the depth limit, a large random blob, and what findings say about the encoding.

use crate::util::{github_token, Dir, Rng};

/// Base64 (std or url alphabet, padded for std), written independently of the crate.
fn base64(bytes: &[u8], url: bool) -> String {
    let alphabet: &[u8] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for g in bytes.chunks(3) {
        let n = g.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= g.len() {
                out.push(alphabet[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else if !url {
                out.push('=');
            }
        }
    }
    out
}

fn percent_all(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Scans `dir` as JSON Lines and checks no secret in `secrets` reaches stdout or stderr.
fn scan(d: &Dir, args: &[&str], secrets: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["--format", "jsonl"];
    all.extend_from_slice(args);
    let r = d.run(&all);
    let text = format!("{}{}", r.stdout(), r.stderr());
    for s in secrets {
        assert!(!text.contains(s), "secret leaked: {r}");
    }
    assert!(r.code() == 0 || r.code() == 1, "{r}");
    r.findings()
}

#[test]
fn token_under_base64_std_and_url_at_every_alignment() {
    let d = Dir::new();
    let mut expect = Vec::new();
    for (i, prefix) in ["", "a", "ab"].iter().enumerate() {
        let tok = github_token(10 + i as u64);
        // The `?` run puts a `/` (`_` in the url alphabet) in the encoding at any alignment.
        let text = format!("{prefix}{{\"token\": \"{tok}\"}} ?????????");
        d.write(&format!("std{i}.yaml"), format!("kind: Secret\ndata:\n  blob: {}\n", base64(text.as_bytes(), false)));
        d.write(&format!("url{i}.txt"), format!("https://x.test/cb?state={}&y=1\n", base64(text.as_bytes(), true)));
        expect.push(tok);
    }
    let secrets: Vec<&str> = expect.iter().map(String::as_str).collect();
    let found = scan(&d, &["."], &secrets);
    assert_eq!(found.len(), 6, "{found:#?}");
    for f in &found {
        let path = f["path"].as_str().unwrap().trim_start_matches("./");
        assert!(f["rule"].as_str().unwrap().starts_with("github"), "{f}");
        let (encoding, line, column) = if path.starts_with("std") { ("base64", 3, 9) } else { ("base64url", 1, 25) };
        let i: usize = path[3..4].parse().unwrap();
        // `{"token": "` is 11 bytes, after the prefix: the token's first encoded character.
        let skip = i + 11;
        assert_eq!(f["encoding"], encoding, "{f}");
        assert_eq!(f["line"], line, "{f}");
        assert_eq!(f["column"].as_u64().unwrap(), column + (4 * (skip / 3) + skip % 3) as u64, "{f}");
    }
}

#[test]
fn token_under_hex_percent_and_unicode_escapes() {
    let d = Dir::new();
    let tok = github_token(20);
    let hex: String = format!("token={tok}").bytes().map(|b| format!("{b:02x}")).collect();
    d.write("hex.txt", format!("dump: {hex}\n"));
    d.write("pct.txt", format!("POST body=cfg%3D{}%26x%3D1\n", percent_all(&tok)));
    let esc: String = tok.chars().map(|c| format!("\\u{:04x}", c as u32)).collect();
    d.write("esc.json", format!("{{\n  \"auth\": \"{esc}\"\n}}\n"));
    let found = scan(&d, &["."], &[&tok]);
    let mut got: Vec<(String, String, u64, u64)> = found
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap().trim_start_matches("./").to_string();
            (
                path,
                f["encoding"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("esc.json".into(), "unicode-escape".into(), 2, 12),
            ("hex.txt".into(), "hex".into(), 1, 7 + 12),
            ("pct.txt".into(), "percent".into(), 1, 17),
        ],
        "{found:#?}"
    );
}

#[test]
fn nested_encodings_and_the_depth_limit() {
    let d = Dir::new();
    let tok = github_token(30);
    // base64 of a percent-encoded query string holding the token.
    let two = base64(format!("q=1&t={}&z=2", percent_all(&tok)).as_bytes(), false);
    d.write("two.txt", format!("x {two}\n"));
    // One layer more: hex of that.
    let three: String = format!("v {two}").bytes().map(|b| format!("{b:02x}")).collect();
    d.write("three.txt", format!("y {three}\n"));
    let found = scan(&d, &["."], &[&tok]);
    assert_eq!(found.len(), 1, "default depth 2 decodes two layers, not three: {found:#?}");
    let path = found[0]["path"].as_str().map(|p| p.trim_start_matches("./"));
    assert_eq!((path, found[0]["encoding"].as_str()), (Some("two.txt"), Some("base64+percent")));
    let found = scan(&d, &[".", "--decode-depth", "3"], &[&tok]);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found.iter().any(|f| f["encoding"] == "hex+base64+percent"), "{found:#?}");
    assert!(scan(&d, &[".", "--decode-depth", "0"], &[&tok]).is_empty(), "depth 0 turns decoding off");
}

#[test]
fn base64_private_key_block_is_found() {
    let d = Dir::new();
    let mut rng = Rng::new(40);
    let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let body: Vec<String> = (0..12).map(|_| rng.pick(b64, 64)).collect();
    let pem = format!("-----BEGIN RSA PRIVATE KEY-----\nMII{}\n-----END RSA PRIVATE KEY-----\n", body.join("\n"));
    d.write(
        "secret.yaml",
        format!("apiVersion: v1\nkind: Secret\ndata:\n  tls.key: {}\n", base64(pem.as_bytes(), false)),
    );
    let found = scan(&d, &["."], &[&body[3]]);
    // Reported once: the built-in pack's `private-key-pem-base64` rule matches the encoded block
    // itself, so the decoded `private-key-pem` finding on the same bytes is not reported again.
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0]["rule"].as_str().unwrap().starts_with("private-key-pem"), "{found:#?}");
    assert_eq!((found[0]["line"].as_u64(), found[0]["column"].as_u64()), (Some(4), Some(12)));
}

#[test]
fn plain_secret_in_an_encoded_looking_span_is_reported_once() {
    let d = Dir::new();
    let tok = github_token(50);
    d.write("a.log", format!("GET /cb?a=%20%21&token={tok}&b=%22 200\n"));
    let found = scan(&d, &["."], &[&tok]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].get("encoding").is_none_or(|e| e.is_null()), "{found:#?}");
}

#[test]
fn large_random_base64_blob_has_no_findings() {
    let d = Dir::new();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let random: Vec<u8> = (0..36 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let blob = base64(&random, false);
    assert!(blob.len() >= 48 << 20);
    d.write("blob.txt", format!("data: {blob}\n"));
    let found = scan(&d, &["blob.txt"], &[]);
    assert!(found.iter().all(|f| f.get("encoding").is_none_or(|e| e.is_null())), "{found:#?}");
}

#[test]
fn many_encoded_secrets_in_one_chunk_each_get_their_own_line() {
    // 3,000 base64 secrets in one chunk: each reported once, on its own line (the mapping back
    // to lines counted the chunk's lines before each one, and overlaps were checked against
    // every other finding: quadratic in the number of findings).
    let d = Dir::new();
    let mut text = String::from("header\n");
    for i in 0..3000u64 {
        text.push_str(&format!(
            "v{i}: {}\n",
            base64(format!("token={}", github_token(3000 + i % 40)).as_bytes(), false)
        ));
    }
    d.write("enc.txt", &text);
    let r = d.run(&["--format", "jsonl", "enc.txt"]);
    r.expect_code(1);
    let f = r.findings();
    assert_eq!(f.len(), 3000, "{}", r.stderr());
    for (i, f) in f.iter().enumerate() {
        // The secret starts 8 base64 characters in (after "token=", 6 bytes).
        assert_eq!(
            (f["line"].as_u64(), f["column"].as_u64()),
            (Some(i as u64 + 2), Some(4 + i.to_string().len() as u64 + 8)),
            "{f}"
        );
        assert_eq!(f["encoding"], "base64", "{f}");
    }
}
