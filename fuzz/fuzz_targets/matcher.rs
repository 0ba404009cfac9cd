//! Fuzzes the matcher: arbitrary bytes scanned with the whole built-in pack, as text and as
//! binary. Checks that every finding's span lies inside the input.
#![no_main]

use leakscan::chunk::Content;
use leakscan::matcher::Matcher;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static MATCHER: OnceLock<Matcher> = OnceLock::new();

fn matcher() -> &'static Matcher {
    MATCHER.get_or_init(|| Matcher::new(leakscan::rules::builtin().expect("pack")).expect("matcher"))
}

// Compiling the pack takes seconds under ASan: done once at start-up, outside the per-input
// timeout (the first run timed out on the empty input otherwise).
fuzz_target!(init: { matcher(); }, |data: &[u8]| {
    let m = matcher();
    for content in [Content::Text, Content::Binary] {
        for f in m.scan_text(data, content) {
            assert!((f.offset as usize) < data.len().max(1), "finding offset inside the input");
        }
    }
});
