//! JSON and JSON Lines. Lines: one `{"type":"finding",...}` object per finding as found, then
//! one `{"type":"summary",...}` record. Document: `{"findings":[...],"summary":{...}}` with
//! findings sorted by location and offset (a `Buffered` report). Depends on `report`, `finding`,
//! `summary`.

use super::{Each, Field, Object, Reporter, Style};
use crate::chunk::path_bytes;
use crate::chunk::Origin;
use crate::finding::Finding;
use crate::messages::escape;
use crate::summary::Summary;
use serde_json::{json, Value};
use std::io::{self, Write};

/// The JSON Lines reporter.
pub struct Lines {
    out: Box<dyn Write + Send>,
    style: Style,
}

impl Lines {
    /// A JSON Lines reporter writing to `out`.
    pub fn new(out: Box<dyn Write + Send>, style: Style) -> Self {
        Lines { out, style }
    }
}

/// Renders the JSON document from every finding (sorted by location) at the end of the scan.
pub fn render(findings: Vec<Finding>, summary: &Summary, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let each = |f: &Finding| finding_value(f, style.show_secrets);
    let doc = Object(vec![
        ("findings", Field::Findings(Each(&findings, &each))),
        ("summary", Field::Value(summary_value(summary))),
    ]);
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The JSON object for one finding (shared with other JSON-based formats). Git findings also
/// carry `commit`, `author`, `email` and `date` (of the commit that introduced the secret).
pub fn finding_value(f: &Finding, show_secrets: bool) -> Value {
    let mut v = json!({
        "type": "finding",
        "rule": f.rule.id,
        "rule_name": f.rule.name,
        "confidence": f.rule.confidence.as_str(),
        // Git findings show the path inside the repository (the commit is its own field);
        // everything else shows its location (an archive chain keeps its member names).
        "path": match &*f.origin {
            Origin::Blob { path, .. } | Origin::Staged { path } => escape(&path_bytes(path)),
            _ => f.location(),
        },
        "origin": { "kind": f.origin.kind(), "location": f.location() },
        "line": f.line,
        "column": f.column,
        "end_line": f.end_line,
        "end_column": f.end_column,
        "offset": f.offset,
        "secret": f.secret_text(show_secrets),
        "secret_length": f.secret.len(),
        "redacted": !show_secrets,
        "entropy": (f.entropy * 1000.0).round() / 1000.0,
        "context": f.context_text(show_secrets),
        "fingerprint": f.fingerprint(),
    });
    if let (Some(c), Value::Object(map)) = (f.origin.commit(), &mut v) {
        for (key, value) in [("commit", &c.id), ("author", &c.author), ("email", &c.email), ("date", &c.date)] {
            map.insert(key.into(), json!(value));
        }
    }
    if let (Some(encoding), Value::Object(map)) = (f.encoding, &mut v) {
        map.insert("encoding".into(), json!(encoding));
    }
    if let (crate::chunk::Origin::Segment { vaddr, view, .. }, Value::Object(map)) = (&*f.origin, &mut v) {
        map.insert("vaddr".into(), json!(vaddr.wrapping_add(f.offset)));
        map.insert("mapping".into(), json!(crate::messages::escape(view.mapping.as_bytes())));
        map.insert("pid".into(), json!(view.pid));
        map.insert("process".into(), json!(view.process.as_deref().map(|p| crate::messages::escape(p.as_bytes()))));
    }
    let process = match &*f.origin {
        crate::chunk::Origin::Segment { outer, .. } => &**outer,
        origin => origin,
    };
    if let (crate::chunk::Origin::Process { pid, comm, field }, Value::Object(map)) = (process, &mut v) {
        map.insert("pid".into(), json!(pid));
        map.insert("process".into(), json!(crate::messages::escape(comm.as_bytes())));
        map.insert("field".into(), json!(crate::messages::escape(field.as_bytes())));
        if let Some((_, name)) = field.split_once("environ:") {
            map.insert("variable".into(), json!(crate::messages::escape(name.as_bytes())));
        }
    }
    v
}

/// The JSON object for the summary.
pub fn summary_value(s: &Summary) -> Value {
    let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        map.insert("type".into(), json!("summary"));
        map.insert("mb_per_sec".into(), json!((s.mb_per_sec() * 10.0).round() / 10.0));
    }
    v
}

impl Reporter for Lines {
    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &finding_value(f, self.style.show_secrets))?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &summary_value(summary))?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}
