//! Turns the rule pack (`rules/*.toml`) into JSON at build time: the binary parses JSON at
//! every start instead of TOML (the TOML parse of the pack was two thirds of the instructions
//! of a scan of nothing, the fixed cost of every hook run). A rule file that is not valid TOML
//! fails the build, naming the file. `src/pack.rs` includes the generated table.

use std::fmt::Write as _;
use std::path::Path;

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
    for name in &names {
        let path = rules.join(format!("{name}.toml"));
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let json = serde_json::to_string(&doc).expect("a TOML table is valid JSON");
        let file = Path::new(&out).join(format!("{name}.json"));
        std::fs::write(&file, json).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        writeln!(table, "    ({name:?}, include_str!(concat!(env!(\"OUT_DIR\"), \"/{name}.json\"))),").unwrap();
    }
    table.push(']');
    std::fs::write(Path::new(&out).join("pack_json.rs"), table).expect("OUT_DIR is writable");
}
