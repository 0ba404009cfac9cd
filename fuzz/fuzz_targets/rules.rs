//! Fuzzes the rule TOML loader: arbitrary text as a rule file, compiled; when it compiles, a
//! matcher is built from it and scans the text itself (so user regexes run on input too).
#![no_main]

use leakscan::chunk::Content;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(rules) = leakscan::rules::load_text(text, "fuzz.toml") {
        if let Ok(m) = leakscan::matcher::Matcher::new(rules) {
            let _ = m.scan_text(data, Content::Text);
        }
    }
});
