//! gitleaks configs loaded unchanged: the default config, `[extend]`, case-insensitive keys,
//! per-rule and global allowlists (stopwords, regexTarget, condition AND), rule `path`.

use crate::util::{aws_key_id, github_token, Dir, Rng};

#[test]
fn gitleaks_default_config_loads_and_finds() {
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/compat/gitleaks.toml");
    if !config.exists() {
        panic!("{} is missing: the compatibility fixture ships beside the repository", config.display());
    }
    let d = Dir::new();
    d.write("app.env", format!("GITHUB_TOKEN={}\nAWS_KEY={}\n", github_token(70), aws_key_id(71)));
    let r = d.run(&["--config", config.to_str().unwrap(), "--format", "jsonl", "app.env"]);
    r.expect_code(1);
    assert!(!r.stderr().contains("error"), "{r}");
    let mut rules: Vec<String> = r.findings().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect();
    rules.sort();
    assert_eq!(rules, ["aws-access-token", "github-pat"], "{r}");
}

#[test]
fn custom_gitleaks_config_semantics() {
    let d = Dir::new();
    d.write(".git/HEAD", "ref: refs/heads/main\n");
    d.write(
        ".gitleaks.toml",
        r#"
title = "custom"
[extend]
useDefault = true
disabledRules = ["github-pat-classic"]

[[rules]]
ID = "acme-key"
Description = "Acme API key"
regex = '''acme_([a-z0-9]{16})'''
secretGroup = 1
entropy = 2
keywords = ["acme_"]
[[rules.allowlists]]
stopwords = ["deadbeef"]

[[rules]]
id = "php-only"
regex = '''php_secret_[0-9]{6}'''
path = '''\.php$'''
keywords = ["php_secret_"]

[[allowlists]]
condition = "AND"
paths = ['''fixtures/''']
regexes = ['''^acme_''']
regexTarget = "match"
"#,
    );
    let acme = |seed| format!("acme_{}", Rng::new(seed).pick(b"abcdefghijklmnopqrstuvwxyz0123456789", 16));
    d.write("a.txt", format!("k = {}\n", acme(72)));
    d.write("b.txt", format!("k = acme_{}deadbeef\n", Rng::new(73).pick(b"0123456789", 8)));
    d.write("c.txt", format!("{}\n", github_token(74)));
    d.write("x.php", "$k = 'php_secret_123456';\n");
    d.write("x.txt", "php_secret_123456\n");
    d.write("fixtures/d.txt", format!("{}\n", acme(75)));
    d.write("e.txt", format!("{}\n", aws_key_id(76)));
    let r = d.run(&["--format", "jsonl", "."]);
    r.expect_code(1);
    let mut found: Vec<(String, String)> = r
        .findings()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["rule"].as_str().unwrap().to_string()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("./a.txt".to_string(), "acme-key".to_string()),
            ("./e.txt".to_string(), "aws-access-key-id".to_string()),
            ("./x.php".to_string(), "php-only".to_string()),
        ],
        "{r}"
    );
    let s = r.summary();
    assert_eq!(s["suppressed"]["allowlist (config)"], 2, "{r}");
    assert_eq!(s["suppressed"]["outside the rule's path (gitleaks path =)"], 1, "{r}");
}

#[test]
fn broken_gitleaks_config_is_an_error() {
    let d = Dir::new();
    d.write("gl.toml", "[extend]\nuseDefault = true\npath = \"other.toml\"\n");
    let r = d.run(&["--config", "gl.toml", "."]);
    r.expect_code(2);
    assert!(r.stderr().contains("gl.toml") && r.stderr().contains("useDefault"), "{r}");
    d.write("gl.toml", "[[rules]]\nid = \"x\"\nregex = '''(unclosed'''\n");
    let r = d.run(&["--config", "gl.toml", "."]);
    r.expect_code(2);
    assert!(r.stderr().contains("rule x"), "{r}");
}

#[test]
fn gitleaksignore_entries_suppress_by_file_rule_and_line() {
    let d = Dir::new();
    d.write("proj/.git/HEAD", "ref: refs/heads/main\n");
    let (gh, aws) = (github_token(77), aws_key_id(78));
    d.write("proj/src/a.env", format!("A={gh}\nB={aws}\n"));
    // gitleaks' own id for the GitHub token (github-pat) stands for the built-in rule;
    // a malformed line is a warning naming the line, not echoing it
    d.write(
        "proj/.gitleaksignore",
        "# reviewed\nsrc/a.env:github-pat:1\n0123abcd:src/a.env:aws-access-token:2\nnot an entry\n",
    );
    // an ignore file inside a scanned tree outside the project is never applied
    d.write("other/b.env", format!("A={gh}\n"));
    d.write("other/.gitleaksignore", "b.env:github-pat:1\n");
    let mut c = d.cmd(&["--format", "jsonl", ".", "../other"]);
    c.current_dir(d.path().join("proj"));
    let r = crate::util::Run { cmd: "leakscan (in proj/) . ../other".into(), out: c.output().unwrap() };
    r.expect_code(1);
    let mut found: Vec<(String, String)> = r
        .findings()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["rule"].as_str().unwrap().to_string()))
        .collect();
    found.sort();
    // the commit entry does not apply to a file on disk (no commit)
    assert_eq!(
        found,
        [
            ("../other/b.env".to_string(), "github-pat-classic".to_string()),
            ("./src/a.env".to_string(), "aws-access-key-id".to_string()),
        ],
        "{r}"
    );
    assert_eq!(r.summary()["suppressed"]["ignore file (.gitleaksignore)"], 1, "{r}");
    assert!(r.stderr().contains(".gitleaksignore:4"), "{r}");
    assert!(!r.stderr().contains("not an entry"), "{r}");

    // with a gitleaks config the rule ids are the config's own
    d.write("proj/.gitleaks.toml", "[[rules]]\nid = \"acme-key\"\nregex = '''acme_[a-z0-9]{16}'''\n");
    let key = format!("acme_{}", Rng::new(79).pick(b"abcdefghijklmnopqrstuvwxyz0123456789", 16));
    d.write("proj/src/a.env", format!("\n\nK={key}\n"));
    d.write("proj/.gitleaksignore", "src/a.env:acme-key:3\n");
    let mut c = d.cmd(&["--format", "jsonl", "."]);
    c.current_dir(d.path().join("proj"));
    let r = crate::util::Run { cmd: "leakscan (in proj/) .".into(), out: c.output().unwrap() };
    r.expect_code(0);
    assert_eq!(r.summary()["suppressed"]["ignore file (.gitleaksignore)"], 1, "{r}");
}

#[test]
fn path_only_rules_report_the_file_itself() {
    use std::io::Write;
    let d = Dir::new();
    d.write(".git/HEAD", "ref: refs/heads/main\n");
    d.write(
        ".gitleaks.toml",
        r#"
[[rules]]
id = "pkcs12-file"
description = "Found a PKCS #12 file, which commonly contain bundled private keys."
path = '''(?i)(?:^|\/)[^\/]+\.p(?:12|fx)$'''

[[rules]]
id = "acme-key"
regex = '''acme_[a-z0-9]{16}'''
"#,
    );
    // binary content, several chunks' worth: still one finding per file
    let big: Vec<u8> = (0..9_000_000u32).map(|i| (i % 251) as u8).collect();
    d.write("certs/client.p12", &big);
    d.write("certs/README.md", "client.p12 is the test certificate\n");
    d.write("certs/legacy.PFX", [0x30u8, 0x82, 0x01, 0x00]);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("keys/server.pfx", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(b"\x30\x82binary").unwrap();
    d.write("backup.zip", zip.finish().unwrap().into_inner());
    let r = d.run(&["--format", "jsonl", "."]);
    r.expect_code(1);
    let mut found: Vec<(String, String)> = r
        .findings()
        .iter()
        .map(|f| (f["origin"]["location"].as_str().unwrap().to_string(), f["rule"].as_str().unwrap().to_string()))
        .collect();
    found.sort();
    let expect = |p: &str| (p.to_string(), "pkcs12-file".to_string());
    assert_eq!(
        found,
        [expect("./backup.zip!keys/server.pfx"), expect("./certs/client.p12"), expect("./certs/legacy.PFX")],
        "{r}"
    );
    assert!(!r.stderr().contains("not supported"), "{r}");
    // disabled by a config that extends this one
    d.write("child.toml", "[extend]\npath = \".gitleaks.toml\"\ndisabledRules = [\"pkcs12-file\"]\n");
    let r = d.run(&["--config", "child.toml", "--format", "jsonl", "."]);
    r.expect_code(0);
    // with useDefault, disabledRules may name gitleaks' default ids; unknown ids are warnings
    d.write("certs/token.txt", format!("{}\n", github_token(89)));
    d.write("gl.toml", "[extend]\nuseDefault = true\ndisabledRules = [\"github-pat\", \"no-such-rule\"]\n");
    let r = d.run(&["--config", "gl.toml", "--format", "jsonl", "certs/token.txt"]);
    r.expect_code(0);
    assert!(r.stderr().contains("no-such-rule"), "{r}");
}
