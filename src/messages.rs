//! Warnings and errors on stderr, the scan's "incomplete" state, and terminal-safe escaping.
//!
//! Invariant: everything derived from input (file names, content excerpts) passes through
//! [`escape`] before it reaches a terminal or a log, so a crafted name cannot move the cursor,
//! recolour the terminal or forge a CI workflow command. Depends on nothing.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Mutex;

/// How much to say on stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Errors and the scan-incomplete warnings only; no summary, no progress.
    Quiet = 0,
    /// Warnings and the summary.
    Normal = 1,
    /// Also each skipped file and why.
    Verbose = 2,
}

static VERBOSITY: AtomicU8 = AtomicU8::new(Verbosity::Normal as u8);
static INCOMPLETE: AtomicBool = AtomicBool::new(false);
static REASONS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

/// Sets how much is said on stderr for the rest of the process.
pub fn set_verbosity(v: Verbosity) {
    VERBOSITY.store(v as u8, Ordering::Relaxed);
}

/// True when messages of level `v` are to be printed.
pub fn is_enabled(v: Verbosity) -> bool {
    VERBOSITY.load(Ordering::Relaxed) >= v as u8
}

/// Prints a warning that does not make the scan incomplete (e.g. a symlink loop).
pub fn warn(msg: &str) {
    if is_enabled(Verbosity::Normal) {
        emit(&format!("leakscan: warning: {msg}"));
    }
}

/// Prints a note shown only with `-v`.
pub fn note(msg: &str) {
    if is_enabled(Verbosity::Verbose) {
        emit(&format!("leakscan: {msg}"));
    }
}

/// Records that something the user asked to scan was not (fully) read, and says so on stderr
/// whatever the verbosity. `reason` is a short category counted in the summary
/// ("unreadable file", "read error", "interrupted", …); `detail` names the input.
pub fn incomplete(reason: &str, detail: &str) {
    INCOMPLETE.store(true, Ordering::SeqCst);
    if let Ok(mut map) = REASONS.lock() {
        *map.entry(reason.to_string()).or_insert(0) += 1;
    }
    emit(&format!("leakscan: warning: {reason}: {detail} (scan incomplete)"));
}

/// Prints an error (usage, config) on stderr.
pub fn error(msg: &str) {
    emit(&format!("leakscan: error: {msg}"));
}

/// True once anything was reported through [`incomplete`].
pub fn is_incomplete() -> bool {
    INCOMPLETE.load(Ordering::SeqCst)
}

/// The reasons the scan is incomplete, with counts, sorted by reason.
pub fn incomplete_reasons() -> BTreeMap<String, u64> {
    REASONS.lock().map(|m| m.clone()).unwrap_or_default()
}

fn emit(line: &str) {
    let stderr = std::io::stderr();
    let mut lock = stderr.lock();
    // A progress line may be on screen: clear it first when stderr is a terminal.
    if crate::messages::is_progress_shown() {
        let _ = lock.write_all(b"\r\x1b[2K");
    }
    let _ = writeln!(lock, "{line}");
}

static PROGRESS_SHOWN: AtomicBool = AtomicBool::new(false);

/// Marks whether a live progress line currently occupies the last stderr line.
pub fn set_progress_shown(shown: bool) {
    PROGRESS_SHOWN.store(shown, Ordering::Relaxed);
}

fn is_progress_shown() -> bool {
    PROGRESS_SHOWN.load(Ordering::Relaxed)
}

/// [`escape`] line by line, the line breaks kept: a parser's error quotes the offending line
/// and puts a caret under the column on the next line (TOML's `3 | regex = …` then
/// `  |          ^`). Where escaping widened the quoted line before the caret (a control byte
/// shown as `\x1b`), the caret moves right by as much, so it still points at the column.
pub fn escape_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let caret = line.find('^').filter(|&at| line[..at].chars().all(|c| c == ' ' || c == '|'));
        match (caret, i.checked_sub(1).map(|p| lines[p])) {
            (Some(at), Some(above)) if at <= above.len() && above.is_char_boundary(at) => {
                let wider = escape(&above.as_bytes()[..at]).chars().count() - above[..at].chars().count();
                out.push(format!("{}{}{}", &line[..at], " ".repeat(wider), escape(&line.as_bytes()[at..])));
            }
            _ => out.push(escape(line.as_bytes())),
        }
    }
    out.join("\n")
}

/// A parser's error in a config or rule file, as `line L, column C (key = …): message`, without
/// the quoted line a TOML error shows under a caret: that line may hold a secret (a stopword, an
/// allowlisted token, a rule's example, a known value). The key is shown only when it has a key
/// name's shape (a continuation line of an array has no key, and the text before an `=` in it
/// may be a token). What the message quotes as a value is redacted: serde puts values in
/// double quotes (`invalid type: string "…"`) and after `unknown variant`; field names and
/// expected tokens in backticks are kept. `span` is a byte range of `text`.
pub fn parse_error(text: &str, span: Option<std::ops::Range<usize>>, message: &str) -> String {
    let is_key_name =
        |k: &str| !k.is_empty() && k.len() <= 80 && k.bytes().all(|b| b.is_ascii_lowercase() || b"_-.".contains(&b));
    let at = span.map(|span| {
        let before = &text.as_bytes()[..span.start.min(text.len())];
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let column = 1 + String::from_utf8_lossy(&before[line_start..]).chars().count();
        let line_text = text[line_start..].lines().next().unwrap_or("");
        match line_text.split_once('=').map(|(key, _)| key.trim()).filter(|k| is_key_name(k)) {
            Some(key) => format!("line {line}, column {column} ({key} = …): "),
            None => format!("line {line}, column {column}: "),
        }
    });
    let mut out = at.unwrap_or_default();
    let mut rest = message.trim();
    while let Some(open) = rest.find(['`', '"']) {
        let quote = rest[open..].chars().next().unwrap_or('"');
        let Some(len) = rest[open + 1..].find(quote) else { break };
        let quoted = &rest[open + 1..open + 1 + len];
        let is_value = quote == '"' || rest[..open].ends_with("variant ") || !is_key_name(quoted) && quoted.len() >= 8;
        out.push_str(&rest[..=open]);
        if is_value {
            let visible = 4.min(quoted.len() / 4);
            let visible = (0..=visible).rev().find(|&v| quoted.is_char_boundary(v)).unwrap_or(0);
            out.push_str(&format!("{}…[redacted, {} chars]", &quoted[..visible], quoted.chars().count()));
        } else {
            out.push_str(quoted);
        }
        out.push(quote);
        rest = &rest[open + 2 + len..];
    }
    out.push_str(rest);
    escape_lines(&out)
}

/// Renders input-derived bytes (a file name, a line excerpt) as printable text: valid UTF-8
/// passes through except control characters, bidi controls and other invisible format
/// characters, which become `\t`, `\n`, `\r`, `\xNN` or `\u{NNNN}` escapes; each invalid
/// UTF-8 byte becomes `\xNN`. The output never holds a byte below 0x20 or 0x7f.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
                c if is_invisible(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// C1 controls, bidi overrides/isolates and zero-width characters: they can reorder or hide
/// what a terminal shows (Trojan Source).
fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x80..=0x9f | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xfeff)
}

#[cfg(test)]
mod tests {
    use super::{escape, escape_lines, parse_error};

    #[test]
    fn a_parse_error_names_line_and_column_and_shows_no_secret() {
        let text = "[allowlist]\nstopwords = [\"ghp_abcdefghijklmnopqrstuvwxyz0123456789AB\n";
        let at = text.len() - 1;
        assert_eq!(
            parse_error(text, Some(at..at + 1), "unclosed array, expected `]`"),
            "line 2, column 57 (stopwords = …): unclosed array, expected `]`"
        );
        let shown = parse_error(
            text,
            None,
            "invalid type: string \"ghp_abcdefghijklmnopqrstuvwxyz0123456789AB\", expected a boolean",
        );
        assert_eq!(shown, "invalid type: string \"ghp_…[redacted, 42 chars]\", expected a boolean");
        let shown = parse_error(text, None, "unknown field `negative_exmaples`, expected one of `examples`, `tags`");
        assert_eq!(shown, "unknown field `negative_exmaples`, expected one of `examples`, `tags`");
        let shown = parse_error(text, None, "unknown variant `Sk_live_0123456789abcdef`, expected `high`");
        assert_eq!(shown, "unknown variant `Sk_l…[redacted, 24 chars]`, expected `high`");
        assert_eq!(parse_error("a = 1", Some(0..1), "odd `quote"), "line 1, column 1 (a = …): odd `quote");
        assert_eq!(parse_error("[x\n", Some(2..3), "oops"), "line 1, column 3: oops");
        // A continuation line of an array has no key: the text before an `=` in it is shown
        // as nothing; short and lowercase values are redacted as well.
        let text = "stopwords = [\n  \"Xq7Vb2Lm9Pz4Kw=x\",\n  oops\n";
        let at = text.find("oops").unwrap();
        assert_eq!(parse_error(text, Some(at..at + 1), "invalid array"), "line 3, column 3: invalid array");
        let at = text.find("Xq7V").unwrap();
        assert_eq!(parse_error(text, Some(at..at + 1), "bad"), "line 2, column 4: bad");
        assert_eq!(
            parse_error(text, None, "invalid type: string \"hunter2\", expected a boolean"),
            "invalid type: string \"h…[redacted, 7 chars]\", expected a boolean"
        );
        assert_eq!(
            parse_error(text, None, "unknown variant `letmein`, expected `high`"),
            "unknown variant `l…[redacted, 7 chars]`, expected `high`"
        );
    }

    #[test]
    fn escaped_lines_keep_their_breaks_and_the_caret_under_its_column() {
        let toml = "TOML parse error at line 3, column 10\n  |\n3 | regex = \x1b[31m\n  |          ^\nexpected newline";
        let shown = escape_lines(toml);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 5, "{shown}");
        assert_eq!(lines[2], "3 | regex = \\x1b[31m");
        // The caret was under `[`; `\x1b` is 3 columns wider than the byte it shows.
        assert_eq!(lines[3].find('^'), lines[2].find('['), "{shown}");
        assert_eq!(escape_lines("a\tb\n^ c"), "a\\tb\n^ c", "a caret at column 0 stays there");
    }

    #[test]
    fn escapes_controls_and_invalid_utf8() {
        assert_eq!(escape(b"a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(escape(b"x\ny\tz\\"), "x\\ny\\tz\\\\");
        assert_eq!(escape(b"\xff\xfeok"), "\\xff\\xfeok");
        assert_eq!(escape("é\u{202e}".as_bytes()), "é\\u{202e}");
        assert_eq!(escape(b"\x9b"), "\\x9b");
        assert_eq!(escape("\u{9b}".as_bytes()), "\\u{009b}");
    }
}
