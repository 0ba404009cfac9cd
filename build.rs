//! Turns the rule pack (`rules/*.toml`) into JSON at build time: the binary parses JSON at
//! every start instead of TOML (the TOML parse of the pack was two thirds of the instructions
//! of a scan of nothing, the fixed cost of every hook run). A rule file that is not valid TOML
//! fails the build, naming the file. `src/pack.rs` includes the generated table.

use std::fmt::Write as _;
use std::path::Path;

#[path = "src/keyword_table.rs"]
#[allow(dead_code)]
mod keyword_table;

fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let rules = Path::new("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut names: Vec<String> = std::fs::read_dir(rules)
        .expect("rules/ is readable")
        .map(|e| e.expect("rules/ entry").file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".toml").map(str::to_owned))
        .collect();
    names.sort();
    let mut table = String::from("&[\n");
    let mut lean_table = String::from("&[\n");
    // The pack's keywords in the order the matcher collects them: by file, rule, keyword;
    // lowercase; each once.
    let mut keywords: Vec<Vec<u8>> = Vec::new();
    for name in &names {
        let path = rules.join(format!("{name}.toml"));
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let rules = doc.get("rules").and_then(|r| r.as_array()).map(Vec::as_slice).unwrap_or_default();
        for keyword in rules.iter().filter_map(|r| r.get("keywords")?.as_array()).flatten() {
            let keyword = keyword.as_str().unwrap_or_default().to_ascii_lowercase().into_bytes();
            if !keywords.contains(&keyword) {
                keywords.push(keyword);
            }
        }
        let json = serde_json::to_string(&doc).expect("a TOML table is valid JSON");
        let file = Path::new(&out).join(format!("{name}.json"));
        std::fs::write(&file, json).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        writeln!(table, "    ({name:?}, include_str!(concat!(env!(\"OUT_DIR\"), \"/{name}.json\"))),").unwrap();
        let lean = serde_json::to_string(&without_examples(doc)).expect("a TOML table is valid JSON");
        let file = Path::new(&out).join(format!("{name}.lean.json"));
        std::fs::write(&file, lean).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        writeln!(lean_table, "    ({name:?}, include_str!(concat!(env!(\"OUT_DIR\"), \"/{name}.lean.json\"))),")
            .unwrap();
    }
    table.push(']');
    lean_table.push(']');
    std::fs::write(Path::new(&out).join("pack_json.rs"), table).expect("OUT_DIR is writable");
    std::fs::write(Path::new(&out).join("pack_lean_json.rs"), lean_table).expect("OUT_DIR is writable");
    std::fs::write(Path::new(&out).join("keyword_dfa.rs"), keyword_dfa(&keywords)).expect("OUT_DIR is writable");
}

/// A rule file without its rules' `examples` and `negative_examples`: what a scan reads
/// (`rules check` and `rules explain` read the whole file).
fn without_examples(mut doc: toml::Table) -> toml::Table {
    if let Some(toml::Value::Array(rules)) = doc.get_mut("rules") {
        for rule in rules.iter_mut().filter_map(toml::Value::as_table_mut) {
            rule.remove("examples");
            rule.remove("negative_examples");
        }
    }
    doc
}

/// The built-in pack's keyword automaton as Rust statics (see `src/pack.rs`): it is then
/// part of the binary, read from its pages when first walked, instead of built at every start.
fn keyword_dfa(keywords: &[Vec<u8>]) -> String {
    println!("cargo:rerun-if-changed=src/keyword_table.rs");
    let t = keyword_table::build(keywords);
    let keywords: Vec<String> = keywords.iter().map(|k| format!("&{k:?}")).collect();
    let mut out = String::new();
    let mut item = |doc: &str, decl: &str, value: String| writeln!(out, "/// {doc}\npub {decl} = {value};").unwrap();
    item(
        "The keywords, lowercase, in the order the matcher collects them.",
        "static KEYWORDS: &[&[u8]]",
        format!("&[{}]", keywords.join(",")),
    );
    item("Byte classes.", "static CLASSES: [u8; 256]", format!("{:?}", t.classes));
    item("Transitions.", &format!("static TABLE: [u16; {}]", t.table.len()), format!("{:?}", t.table));
    item("Row offset of the first match state.", "const FIRST_MATCH: u32", t.first_match.to_string());
    item("Row stride.", "const STRIDE: usize", t.stride.to_string());
    item("Keyword bytes looked for.", "const PREFIX: usize", t.prefix.to_string());
    item(
        "Match state → where its keywords start in `MATCHES`.",
        &format!("static MATCH_START: [u32; {}]", t.match_start.len()),
        format!("{:?}", t.match_start),
    );
    item(
        "Keywords (pattern index, length, start in `TEXT`) whose prefix ends in each match state.",
        &format!("static MATCHES: [(u32, u32, u32); {}]", t.matches.len()),
        format!("{:?}", t.matches),
    );
    item(
        "The keywords' tails past the prefix, lowercase, one after another.",
        &format!("static TEXT: [u8; {}]", t.text.len()),
        format!("{:?}", t.text),
    );
    out
}
