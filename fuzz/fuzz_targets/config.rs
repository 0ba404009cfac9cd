//! Fuzzes the config loader: arbitrary bytes as a `.leakscan.toml` (or, when they look like
//! one, a gitleaks config: `config::load` decides), written to a private temp file because
//! the loader reads paths. Errors are fine; panics and hangs are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

static DIR: OnceLock<PathBuf> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let dir = DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("leakscan-fuzz-config-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    });
    let file = dir.join(".leakscan.toml");
    std::fs::write(&file, data).expect("write config");
    let _ = leakscan::config::load(&file);
});
