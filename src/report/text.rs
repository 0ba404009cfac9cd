//! Human text: `path:line:column: rule-id [confidence] secret  context`, one line per finding,
//! written as found. Colour only when asked (a terminal by default).
//! Depends on `report`, `finding`.

use super::{Reporter, Style};
use crate::finding::Finding;
use crate::summary::Summary;
use std::io::{self, Write};

/// The text reporter.
pub struct Text {
    out: Box<dyn Write + Send>,
    style: Style,
}

impl Text {
    /// A text reporter writing to `out`.
    pub fn new(out: Box<dyn Write + Send>, style: Style) -> Self {
        Text { out, style }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.style.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

impl Reporter for Text {
    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let line = format!(
            "{}:{}:{}: {} [{}]{} {}  {}\n",
            self.paint("35", &f.location()),
            self.paint("32", &f.line.to_string()),
            f.column,
            self.paint("1;31", &f.rule.id),
            f.rule.confidence.as_str(),
            f.encoding.map(|e| format!(" ({e})")).unwrap_or_default(),
            self.paint("1", &f.secret_text(self.style.show_secrets)),
            self.paint("2", f.context_text(self.style.show_secrets).trim()),
        );
        self.out.write_all(line.as_bytes())?;
        self.out.flush()
    }

    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        // The human summary goes to stderr (see `engine::print_summary`), not into results.
        self.out.flush()
    }
}
