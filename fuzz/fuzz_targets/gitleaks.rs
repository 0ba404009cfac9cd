//! Fuzzes the gitleaks config translation: arbitrary bytes as a `.gitleaks.toml` translated
//! (regexes rewritten to leakscan's dialect, allowlists, `[extend] path`), then every
//! translated regex compiled. Also the regex translation alone on the raw text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

static DIR: OnceLock<PathBuf> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let dir = DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("leakscan-fuzz-gitleaks-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    });
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = leakscan::rules::compile_regex(&leakscan::gitleaks::translate_regex(text));
    }
    let file = dir.join(".gitleaks.toml");
    std::fs::write(&file, data).expect("write config");
    if let Ok(t) = leakscan::gitleaks::translate(&file, dir) {
        for spec in t.rules {
            let _ = leakscan::rules::Rule::compile(spec, "fuzz.toml");
        }
        for (_, re) in t.rule_paths {
            let _ = leakscan::rules::compile_regex(&re);
        }
    }
});
