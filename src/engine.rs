//! The engine: runs sources on a producer thread, the matcher on worker threads, and the
//! reporter on the calling thread; counts everything into a `Summary`.
//!
//! Shape (Nosey Parker's): producer → bounded channel of chunks → N matcher workers → bounded
//! channel of findings → reporter. A source that reads on several threads itself (the directory
//! walk) scans each input that fits one chunk on the thread that read it (`Context::here`), and
//! sends only larger inputs' chunks to the workers: most files of a tree cost no thread wake-up.
//! Memory is bounded by channel capacity × chunk size, plus a chunk per walker thread, whatever
//! the input. Findings are reported as they arrive; SIGINT/SIGTERM stop the producer, drain
//! the workers and still print the summary (a second signal exits at once with 130); so does
//! `--timeout` (`Plan::timeout`), reported as incomplete like a signal. Threads
//! are detached so a source blocked in a read (a quiet pipe) cannot keep the process alive.
//! Depends on `source`, `matcher`, `layers`, `report`, `chunk`, `finding`, `summary`, `messages`.

use crate::chunk::{Chunk, Chunker};
use crate::finding::Finding;
use crate::matcher::Matcher;
use crate::messages;
use crate::report::Reporter;
use crate::source::{self, fs::WalkOptions, Context, Tally};
use crate::summary::Summary;
use crate::suppress::Suppressor;
use crossbeam_channel::{bounded, RecvTimeoutError};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One thing the user asked to scan.
#[derive(Debug, Clone)]
pub enum Input {
    /// A file or directory.
    Path(PathBuf),
    /// Standard input.
    Stdin,
    /// A git repository's history, index or pushed commits.
    Git(Arc<source::git::GitOptions>),
    /// Files, directories or globs followed like `tail -F` until a signal (`leakscan watch`).
    Follow(Vec<PathBuf>, source::log::FollowOptions),
    /// Live processes through `/proc`.
    Processes(source::proc::Select),
    /// Inputs known only once the inputs before it are read: decided on the reader thread when
    /// its turn comes (`crashtest`: the command's memory is read if it still runs, then it is
    /// aborted, and the core file the system writes is scanned in the same run).
    Later(Later),
}

/// A one-shot producer of inputs to scan, for [`Input::Later`].
#[derive(Clone)]
pub struct Later(Arc<std::sync::Mutex<Option<LaterFn>>>);

/// What a [`Later`] runs.
pub type LaterFn = Box<dyn FnOnce() -> Vec<Input> + Send>;

impl Later {
    /// Wraps `f`.
    pub fn new(f: impl FnOnce() -> Vec<Input> + Send + 'static) -> Later {
        Later(Arc::new(std::sync::Mutex::new(Some(Box::new(f)))))
    }

    /// Runs it, the first time only.
    fn take(&self) -> Vec<Input> {
        let f = self.0.lock().map(|mut f| f.take()).unwrap_or_else(|e| e.into_inner().take());
        f.map(|f| f()).unwrap_or_default()
    }
}

impl std::fmt::Debug for Later {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Later(..)")
    }
}

/// Reads one input on the reader thread, chunk by chunk.
fn scan_input(ctx: &Context<'_>, input: &Input, walk: &WalkOptions) {
    match input {
        Input::Stdin => source::stdin::scan(ctx),
        Input::Path(path) => source::fs::scan_path(ctx, path, walk),
        Input::Git(git) => source::git::scan(ctx, git),
        Input::Follow(specs, opts) => source::log::follow(ctx, specs, *opts),
        Input::Processes(select) => source::proc::scan(ctx, select),
        Input::Later(later) => {
            for input in later.take() {
                if ctx.is_stopping() {
                    break;
                }
                scan_input(ctx, &input, walk);
            }
        }
    }
}

/// Everything a scan needs, built once by `cli`.
pub struct Plan {
    /// Rules and prefilter.
    pub matcher: Matcher,
    /// What to scan, in order.
    pub inputs: Vec<Input>,
    /// Walk behaviour.
    pub walk: WalkOptions,
    /// Chunk sizes.
    pub chunker: Chunker,
    /// Matcher threads.
    pub threads: usize,
    /// Where findings go.
    pub reporter: Box<dyn Reporter>,
    /// Show a live progress line on stderr.
    pub progress: bool,
    /// Files skipped by the plan before the scan (e.g. counted by config), by reason.
    pub pre_skipped: BTreeMap<String, u64>,
    /// Allowlists, baseline and ignore file applied to findings before they are reported.
    pub suppressor: Suppressor,
    /// Archive budgets and nesting depth.
    pub archive: source::archive::Limits,
    /// Decoding depth and budgets (base64, hex, percent, escapes inside chunks).
    pub decode: crate::decode::Limits,
    /// Stop the scan (as a signal does, reported as incomplete) after this long.
    pub timeout: Option<Duration>,
}

/// Runs the scan and returns its summary (already given to the reporter).
pub fn run(plan: Plan) -> anyhow::Result<Summary> {
    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let signalled = install_signal_handlers(&stop);
    // Following without an end ends only by a signal: that is its normal end, not an
    // interrupted scan.
    let following = plan.inputs.iter().any(|i| matches!(i, Input::Follow(_, o) if o.until.is_none()));
    let Plan {
        matcher,
        inputs,
        walk,
        chunker,
        threads,
        mut reporter,
        progress,
        pre_skipped,
        suppressor,
        archive,
        decode,
        timeout,
    } = plan;
    let tally = Arc::new(Tally::default());
    let marker_suppressed = Arc::new(AtomicU64::new(0));
    // Chunks of inputs larger than one chunk are numbered in the order they are sent to the
    // workers, and their findings reported in that order (a large file's findings come out by
    // line, whichever worker finishes first). An input in one chunk has nothing to keep in
    // order: its findings are reported as they come, and a chunk without any sends nothing
    // (a history of 100,000 small blobs is 100,000 chunks).
    let (chunk_tx, chunk_rx) = bounded::<(Option<u64>, Chunk)>(threads * 2);
    let (found_tx, found_rx) = bounded::<(Option<u64>, Vec<Finding>)>(256);
    let mut summary = Summary { skipped: pre_skipped, ..Summary::default() };

    // Threads are detached, not scoped: after a signal the reporter finishes and the process
    // exits even if a source is blocked in a read that no signal interrupts (a quiet pipe).
    let matcher = Arc::new(matcher);
    // Scans one chunk on the calling thread and sends its findings; false once nobody listens.
    let scan = {
        let (matcher, marker_suppressed) = (Arc::clone(&matcher), Arc::clone(&marker_suppressed));
        move |chunk: &Chunk, seq: Option<u64>, tx: &crossbeam_channel::Sender<(Option<u64>, Vec<Finding>)>| {
            let mut found = Vec::new();
            let by_marker = crate::layers::scan(&matcher, chunk, &decode, &mut found);
            marker_suppressed.fetch_add(by_marker, Ordering::Relaxed);
            // A numbered chunk always answers, so the ones after it are not held for ever.
            (found.is_empty() && seq.is_none()) || tx.send((seq, found)).is_ok()
        }
    };
    for _ in 0..threads {
        let (rx, tx, scan) = (chunk_rx.clone(), found_tx.clone(), scan.clone());
        std::thread::spawn(move || {
            for (seq, chunk) in rx {
                if !scan(&chunk, seq, &tx) {
                    return;
                }
                crate::chunk::recycle(chunk);
            }
        });
    }
    drop(chunk_rx);
    let (producer_tally, producer_stop) = (Arc::clone(&tally), Arc::clone(&stop));
    std::thread::spawn(move || {
        // Several walker threads push: the number is taken and the chunk sent under one lock,
        // so numbers reach the channel in order and the reporter never waits for a number
        // still to be sent behind a later one.
        let numbered = std::sync::Mutex::new(0u64);
        let push = move |chunk: Chunk| {
            if chunk.is_whole() {
                return chunk_tx.send((None, chunk)).is_ok();
            }
            let mut next = numbered.lock().unwrap_or_else(|e| e.into_inner());
            let sent = chunk_tx.send((Some(*next), chunk)).is_ok();
            *next += 1;
            sent
        };
        let here = move |chunk: Chunk| {
            let listened = scan(&chunk, None, &found_tx);
            crate::chunk::recycle(chunk);
            listened
        };
        let ctx = Context {
            chunker: &chunker,
            tally: &producer_tally,
            push: &push,
            stop: &producer_stop,
            limits: &archive,
            here: &here,
            inline: false,
            threads,
        };
        for input in &inputs {
            if ctx.is_stopping() {
                break;
            }
            scan_input(&ctx, input, &walk);
        }
    });

    let mut progress_line = Progress::new(progress, start);
    let mut deadline = None;
    let mut timed_out = false;
    let mut out = Delivery { summary: &mut summary, reporter: &mut reporter, broken_pipe: false, error: None };
    // Batches of numbered chunks that came before an earlier one; the next number to report.
    let mut held: BTreeMap<u64, Vec<Finding>> = BTreeMap::new();
    let mut next = 0u64;
    loop {
        match found_rx.recv_timeout(Duration::from_millis(100)) {
            Ok((None, batch)) => out.deliver(batch, &suppressor, &stop),
            Ok((Some(seq), batch)) => {
                held.insert(seq, batch);
                while let Some(batch) = held.remove(&next) {
                    out.deliver(batch, &suppressor, &stop);
                    next += 1;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if !timed_out && timeout.is_some_and(|t| start.elapsed() >= t) {
            timed_out = true;
            stop.store(true, Ordering::SeqCst);
        }
        // After a signal or the timeout, give in-flight chunks a moment to report, then stop
        // waiting.
        if signalled.load(Ordering::SeqCst) || timed_out {
            let until = *deadline.get_or_insert_with(|| Instant::now() + Duration::from_millis(500));
            if Instant::now() >= until {
                break;
            }
        }
        progress_line.tick(&tally, out.summary.findings);
    }
    // What a stopped scan found after a chunk that never answered.
    for (_, batch) in std::mem::take(&mut held) {
        out.deliver(batch, &suppressor, &stop);
    }
    let Delivery { broken_pipe, error: output_error, .. } = out;
    progress_line.clear();

    if signalled.load(Ordering::SeqCst) && !following {
        messages::incomplete("interrupted", "stopped by a signal before the end");
    } else if timed_out && !following {
        let t = timeout.unwrap_or_default();
        messages::incomplete(
            "timed out",
            &format!("stopped by --timeout after {:.1} s before the end", t.as_secs_f64()),
        );
    }
    summary.files_scanned = tally.files.load(Ordering::Relaxed);
    summary.bytes_scanned = tally.bytes.load(Ordering::Relaxed);
    summary.commits_scanned = tally.commits.load(Ordering::Relaxed);
    for (reason, n) in tally.skipped() {
        *summary.skipped.entry(reason).or_insert(0) += n;
    }
    let by_marker = marker_suppressed.load(Ordering::Relaxed);
    if by_marker > 0 {
        summary.suppressed.insert("inline allow marker".into(), by_marker);
    }
    summary.complete = !messages::is_incomplete();
    summary.incomplete_reasons = messages::incomplete_reasons();
    summary.elapsed_secs = start.elapsed().as_secs_f64();
    if let Some(e) = output_error {
        return Err(anyhow::anyhow!("writing the report: {e}"));
    }
    if !broken_pipe {
        if let Err(e) = reporter.finish(&summary) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(anyhow::anyhow!("writing the report: {e}"));
            }
        }
    }
    // Freeing the rules (regexes, automata, a million small allocations) took 6% of the
    // instructions of a scan of an empty directory, on this thread, after the report was done: another
    // thread frees them, and a process that exits first does not wait for it.
    std::thread::spawn(move || drop(matcher));
    Ok(summary)
}

/// Findings on their way to the reporter: suppressed ones are counted, the rest counted and
/// reported; after a write error, nothing more is written and the scan is told to stop.
struct Delivery<'a> {
    summary: &'a mut Summary,
    reporter: &'a mut Box<dyn Reporter>,
    broken_pipe: bool,
    error: Option<std::io::Error>,
}

impl Delivery<'_> {
    fn deliver(&mut self, batch: Vec<Finding>, suppressor: &Suppressor, stop: &AtomicBool) {
        for f in batch {
            if self.broken_pipe || self.error.is_some() {
                return;
            }
            if let Some(cause) = suppressor.check(&f) {
                *self.summary.suppressed.entry(cause.to_string()).or_insert(0) += 1;
                continue;
            }
            self.summary.findings += 1;
            *self.summary.findings_by_rule.entry(f.rule.id.clone()).or_insert(0) += 1;
            *self.summary.findings_by_location.entry(f.location()).or_insert(0) += 1;
            if let Err(e) = self.reporter.finding(&f) {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    self.broken_pipe = true;
                } else {
                    self.error = Some(e);
                }
                stop.store(true, Ordering::SeqCst);
            }
        }
    }
}

/// SIGINT/SIGTERM set `stop` (the scan winds down and reports); a second one exits with 130.
/// Returns a flag that tells whether a signal arrived.
fn install_signal_handlers(stop: &Arc<AtomicBool>) -> Arc<AtomicBool> {
    let signalled = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(&signalled));
        let _ = signal_hook::flag::register(sig, Arc::clone(&signalled));
        let _ = signal_hook::flag::register(sig, Arc::clone(stop));
    }
    signalled
}

/// The live progress line on a terminal's stderr.
struct Progress {
    enabled: bool,
    start: Instant,
    last: Instant,
}

impl Progress {
    fn new(wanted: bool, start: Instant) -> Self {
        let enabled = wanted && std::io::stderr().is_terminal() && messages::is_enabled(messages::Verbosity::Normal);
        Progress { enabled, start, last: start }
    }

    fn tick(&mut self, tally: &Tally, findings: u64) {
        let now = Instant::now();
        if !self.enabled
            || now.duration_since(self.start) < Duration::from_secs(1)
            || now.duration_since(self.last) < Duration::from_millis(250)
        {
            return;
        }
        self.last = now;
        let bytes = tally.bytes.load(Ordering::Relaxed) as f64;
        let secs = now.duration_since(self.start).as_secs_f64();
        eprint!(
            "\r\x1b[2Kscanning: {} files, {:.1} MB, {} findings, {:.0} MB/s",
            tally.files.load(Ordering::Relaxed),
            bytes / 1e6,
            findings,
            bytes / 1e6 / secs
        );
        messages::set_progress_shown(true);
    }

    fn clear(&mut self) {
        if self.enabled {
            eprint!("\r\x1b[2K");
            messages::set_progress_shown(false);
        }
    }
}

/// The human summary on stderr.
pub fn print_summary(s: &Summary) {
    let plural = |n: u64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    eprintln!(
        "leakscan: scanned {} ({:.1} MB) in {:.2} s ({:.1} MB/s): {}",
        plural(s.files_scanned, "input"),
        s.bytes_scanned as f64 / 1e6,
        s.elapsed_secs,
        s.mb_per_sec(),
        plural(s.findings, "finding"),
    );
    let list = |m: &BTreeMap<String, u64>| m.iter().map(|(k, v)| format!("{v} {k}")).collect::<Vec<_>>().join(", ");
    if s.commits_scanned > 0 {
        eprintln!(
            "leakscan: git: {} (inputs: each unique blob once, plus messages)",
            plural(s.commits_scanned, "commit")
        );
    }
    if !s.skipped.is_empty() {
        eprintln!("leakscan: skipped {}: {}", plural(s.skipped.values().sum(), "file"), list(&s.skipped));
    }
    if !s.suppressed.is_empty() {
        eprintln!("leakscan: suppressed: {}", list(&s.suppressed));
    }
    if !s.complete {
        eprintln!("leakscan: scan INCOMPLETE: {} (see warnings above)", list(&s.incomplete_reasons));
    }
}
