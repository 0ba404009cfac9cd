//! Command line: clap's derive ("low args") → a `Plan` ("high args": rules, matcher, reporter
//! and inputs built and validated once), and the `rules` subcommands.
//!
//! Depends on everything below it: `config`, `rules`, `matcher`, `check`, `engine`, `report`.

use crate::chunk::{path_bytes, Chunker};
use crate::config::{self, Config};
use crate::engine::{self, Input, Plan};
use crate::matcher::Matcher;
use crate::messages::{self, Verbosity};
use crate::report::{self, Format, FormatSpec, Reporter, Style};
use crate::rules::{self, Rule};
use crate::source::archive::{Limits, ENCRYPTED, OPAQUE};
use crate::source::fs::{Entry, Exclude};
use crate::suppress::Suppressor;
use anyhow::{anyhow, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Exit codes (documented in README.md).
pub mod exit {
    /// Clean and complete.
    pub const CLEAN: u8 = 0;
    /// Findings reported.
    pub const FINDINGS: u8 = 1;
    /// Usage or config error.
    pub const USAGE: u8 = 2;
    /// No findings, but something asked for could not be read.
    pub const INCOMPLETE: u8 = 3;
}

/// leakscan: find secrets (API keys, tokens, passwords, private keys) in files, trees and stdin.
///
/// With no PATH, reads standard input when it is a pipe or a file, else scans the current
/// directory. Exit codes: 0 clean, 1 findings, 2 usage/config error, 3 incomplete scan without
/// findings.
#[derive(Debug, Parser)]
#[command(name = "leakscan", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    scan: ScanArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan files, directory trees and stdin (the default command).
    Scan(ScanArgs),
    /// Scan git history (all refs by default), the staged index, or what a push would send.
    Git(GitArgs),
    /// Install the git hooks.
    Hook {
        #[command(subcommand)]
        action: HookAction,
    },
    /// List or check rules.
    Rules {
        #[command(subcommand)]
        action: RulesAction,
    },
    /// Replace secrets with `[REDACTED:<rule-id>]`: stdin to stdout (line-buffered), or files in place.
    Redact(RedactArgs),
    /// Follow log files, directories or globs like `tail -F`, reporting each secret as it is written.
    Watch(WatchArgs),
    /// Scan live processes through /proc: environment (per variable), command line, and with
    /// --mem their readable memory.
    Proc(ProcArgs),
    /// Run CMD with canary secrets in its environment, read its memory, stdout, stderr and the
    /// given PATHs, crash it (SIGABRT) and report which canary leaked where.
    Crashtest(CrashArgs),
    /// Record today's findings so later scans report only new ones.
    Baseline {
        #[command(subcommand)]
        action: BaselineAction,
    },
    /// Show the configuration a scan would apply, or check a config file.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigAction {
    /// Print the resolved configuration as TOML: the file loaded and how it was found, rules,
    /// allowlists, baseline, ignore files, limits, default formats.
    Show {
        /// Use this config file (default: .leakscan.toml found walking up to the repository top).
        #[arg(short, long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Validate a config file (default: the one a scan would use) and compile its rules;
    /// errors name the file, line and key. Exit 0 when valid, 2 when not.
    Check {
        /// The config file (leakscan or gitleaks TOML).
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum BaselineAction {
    /// Scan like `leakscan scan` and write a baseline (stdout, or --output FILE); exits 0 with findings.
    Create(ScanArgs),
}

#[derive(Debug, Subcommand)]
enum RulesAction {
    /// List the rules in effect (id, confidence, name).
    List,
    /// Check rules: regexes, examples, negative examples, ids. The built-in pack, or only the
    /// given rule files.
    Check {
        /// Rule files to check instead of the built-in pack (the `rules/*.toml` schema).
        files: Vec<PathBuf>,
    },
    /// Explain one rule in effect: what it finds and why it matters, how it matches, how
    /// confident it is, its filters and references (examples are counted, not shown).
    Explain {
        /// The rule id (see `leakscan rules list`).
        id: String,
    },
}

#[derive(Debug, Args)]
struct ProcArgs {
    /// Scan this process (repeatable).
    #[arg(long = "pid", value_name = "N", required_unless_present = "all")]
    pids: Vec<u32>,
    /// Scan every process you can read (the others are counted as skipped).
    #[arg(long, conflicts_with = "pids")]
    all: bool,
    /// Also read the readable memory regions of /proc/PID/maps through /proc/PID/mem.
    #[arg(long)]
    mem: bool,
    /// Most bytes of memory read per process with --mem (e.g. 64M, 1G).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "256M")]
    mem_budget: u64,
    #[command(flatten)]
    scan: ScanArgs,
}

#[derive(Debug, Args)]
struct CrashArgs {
    /// Seconds CMD runs before its memory is read and it is aborted (SIGABRT).
    #[arg(long, value_name = "SECS", default_value = "5")]
    after: f64,
    /// Most bytes of its memory read.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "256M")]
    mem_budget: u64,
    /// Follows this directory (file, glob) while CMD runs: what CMD writes there is scanned as
    /// it is written, even a file it deletes before the crash. Repeatable.
    #[arg(long, value_name = "DIR")]
    watch: Vec<PathBuf>,
    #[command(flatten)]
    scan: ScanArgs,
    /// The command to run, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<std::ffi::OsString>,
}

/// When to colour text output.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Honour .gitignore, .ignore and .git/info/exclude (by default everything is scanned).
    #[arg(long)]
    gitignore: bool,
    /// Follow symbolic links.
    #[arg(short = 'L', long)]
    follow: bool,
    /// Skip walked files larger than SIZE (e.g. 50M, 2G); explicit paths and stdin are never skipped.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_file_size: Option<u64>,
    #[command(flatten)]
    common: CommonArgs,
}

/// `leakscan git`: which part of a repository.
#[derive(Debug, Args)]
struct GitArgs {
    /// The repository (any path inside it; default: $GIT_DIR or the current directory).
    #[arg(value_name = "REPO")]
    repo: Option<PathBuf>,
    /// Scan exactly what is staged in the index: only lines the next commit would add.
    #[arg(long, conflicts_with_all = ["pre_push", "reflog", "all_objects", "since", "range", "branch"])]
    staged: bool,
    /// Read git's pre-push input on stdin and scan only the commits the push would send.
    #[arg(long, conflicts_with_all = ["reflog", "all_objects", "since", "range", "branch"])]
    pre_push: bool,
    /// Also scan commits that only reflogs remember.
    #[arg(long)]
    reflog: bool,
    /// Also scan unreachable objects (dangling commits, blobs and tags).
    #[arg(long)]
    all_objects: bool,
    /// Only commits not reachable from REV.
    #[arg(long, value_name = "REV", conflicts_with_all = ["range", "branch"])]
    since: Option<String>,
    /// Only commits in A..B.
    #[arg(long, value_name = "A..B", conflicts_with = "branch")]
    range: Option<String>,
    /// Only the history of branch NAME.
    #[arg(long, value_name = "NAME")]
    branch: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Subcommand)]
enum HookAction {
    /// Write the pre-commit (or pre-push) hook into the repository's hooks directory.
    Install {
        /// Install the pre-push hook instead of pre-commit.
        #[arg(long)]
        pre_push: bool,
        /// Replace a hook leakscan did not write: it is kept as `<hook>.local` and still run.
        #[arg(long)]
        force: bool,
        /// The repository (default: the current directory).
        #[arg(value_name = "REPO")]
        repo: Option<PathBuf>,
    },
}

/// Options every scanning command shares: output, config, threads, verbosity, archive budgets.
#[derive(Debug, Args)]
struct CommonArgs {
    /// Output format: text, json, jsonl, sarif, gitlab, junit, github, csv, gitleaks-json.
    /// Repeat as FORMAT:FILE to write several reports from one scan.
    #[arg(short, long, value_name = "FORMAT[:FILE]", value_parser = FormatSpec::parse)]
    format: Vec<FormatSpec>,
    /// Write results to FILE instead of standard output (for a --format without :FILE).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print secrets in full (they are redacted by default everywhere).
    #[arg(long)]
    show_secrets: bool,
    /// Threads (default: all cores).
    #[arg(short = 'j', long, value_name = "N")]
    threads: Option<usize>,
    /// Use this config file (default: .leakscan.toml found walking up to the repository top).
    #[arg(short, long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Report only findings not recorded in this baseline (from `leakscan baseline create`).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Skip walked files and directories (and git paths) matching GLOB, in .gitignore syntax
    /// relative to the current directory: `node_modules/`, `*.min.js`, `/build/`. Repeatable;
    /// counted in the summary. Paths named on the command line are always scanned.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Apply no config file.
    #[arg(long, conflicts_with = "config")]
    no_config: bool,
    #[command(flatten)]
    select: RuleSelect,
    /// Stop after DURATION (`90s`, `5m`, `1h`; a bare number is seconds): what was found is
    /// reported, and the summary and exit code say the scan is incomplete.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<std::time::Duration>,
    /// Only findings and errors: no summary, no progress.
    #[arg(short, long, conflicts_with = "verbose")]
    quiet: bool,
    /// Also say which files were skipped and why.
    #[arg(short, long)]
    verbose: bool,
    /// Colour text output.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// No live progress line.
    #[arg(long)]
    no_progress: bool,
    // The archive budgets default to the config's [limits], else `Limits::default()`.
    /// Open archives and compressed streams at most N layers deep (a .tar.gz is two layers)
    /// [default: 8].
    #[arg(long, value_name = "N")]
    max_archive_depth: Option<usize>,
    /// Stop an archive or compressed input after SIZE decompressed bytes in all [default: 16G].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_archive_size: Option<u64>,
    /// Stop any one archive member or compressed stream after SIZE decompressed bytes
    /// [default: 4G].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_archive_entry_size: Option<u64>,
    /// Stop a compressed stream or member inflating more than N:1 (past its first MiB)
    /// [default: 1000].
    #[arg(long, value_name = "N")]
    max_compression_ratio: Option<u64>,
    /// Stop an archive input after N members, all layers counted [default: 1000000].
    #[arg(long, value_name = "N")]
    max_archive_entries: Option<u64>,
    /// Decode base64, hex, percent-encoding and \u escapes up to N layers deep (0: off).
    #[arg(long, value_name = "N", default_value_t = 2)]
    decode_depth: usize,
    /// Backup check: pass only if every member is encrypted (age, OpenPGP, OpenSSL, LUKS, zip
    /// AES/ZipCrypto, encrypted rar) or holds no secret; else list the plaintext members holding
    /// secrets and exit 1.
    #[arg(long)]
    require_encrypted: bool,
    #[command(flatten)]
    known: KnownArgs,
}

/// Which of the rules in effect run.
#[derive(Debug, Args)]
struct RuleSelect {
    /// Run only these rules: ids or globs (`aws-*`), comma-separated or repeated.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    enable_rule: Vec<String>,
    /// Do not run these rules: ids or globs, comma-separated or repeated.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    disable_rule: Vec<String>,
}

impl RuleSelect {
    /// `rules` narrowed to the enabled ones minus the disabled ones. A pattern that names no
    /// rule in effect is an error (a typo must not silently leave a rule off, or all on).
    fn apply(&self, mut rules: Vec<Rule>) -> Result<Vec<Rule>> {
        let set = |flag: &str, patterns: &[String]| -> Result<globset::GlobSet> {
            let mut set = globset::GlobSetBuilder::new();
            for pattern in patterns {
                let glob = globset::Glob::new(pattern).map_err(|e| anyhow!("--{flag} {pattern:?}: {e}"))?;
                let one = glob.compile_matcher();
                if !rules.iter().any(|r| one.is_match(&r.info.id)) {
                    return Err(anyhow!(
                        "--{flag} {pattern:?}: no rule in effect has this id (see `leakscan rules list`)"
                    ));
                }
                set.add(glob);
            }
            set.build().map_err(|e| anyhow!("--{flag}: {e}"))
        };
        let (enabled, disabled) = (set("enable-rule", &self.enable_rule)?, set("disable-rule", &self.disable_rule)?);
        rules.retain(|r| {
            (self.enable_rule.is_empty() || enabled.is_match(&r.info.id)) && !disabled.is_match(&r.info.id)
        });
        if rules.is_empty() && !(self.enable_rule.is_empty() && self.disable_rule.is_empty()) {
            return Err(anyhow!("--enable-rule / --disable-rule left no rule to run"));
        }
        Ok(rules)
    }
}

/// Exact values to look for, with their encodings (rule `known-secret`).
#[derive(Debug, Args)]
struct KnownArgs {
    /// Also find the values of environment variables matching these comma-separated globs
    /// (e.g. `*_TOKEN,*_KEY,*SECRET*,*PASSWORD*`), verbatim or encoded; values under 8 bytes are ignored.
    #[arg(long, value_name = "PATTERNS")]
    known_env: Option<String>,
    /// Also find each line of FILE (one value per line), verbatim or encoded.
    #[arg(long, value_name = "FILE")]
    known_file: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct WatchArgs {
    /// Run CMD (with `sh -c`) for each finding, its JSON object (redacted) on standard input.
    #[arg(long, value_name = "CMD")]
    exec: Option<String>,
    /// Also scan what the files hold when the watch starts (default: only new data).
    #[arg(long)]
    from_start: bool,
    #[command(flatten)]
    scan: ScanArgs,
}

#[derive(Debug, Args)]
struct RedactArgs {
    /// Redact these files in place (atomically: temporary file, fsync, rename; permissions kept).
    #[arg(long, value_name = "FILE", num_args = 1.., required = false)]
    in_place: Vec<PathBuf>,
    /// Use this config file (default: .leakscan.toml found walking up to the repository top).
    #[arg(short, long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Apply no config file.
    #[arg(long, conflicts_with = "config")]
    no_config: bool,
    /// Say nothing on stderr but errors.
    #[arg(short, long)]
    quiet: bool,
    /// Decode base64, hex, percent-encoding and \u escapes up to N layers deep (0: off).
    #[arg(long, value_name = "N", default_value_t = 2)]
    decode_depth: usize,
    #[command(flatten)]
    known: KnownArgs,
}

/// A duration: `500ms`, `90s`, `5m`, `1h`, or a bare number of seconds (decimals allowed).
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let (number, unit) = match t.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(at) => t.split_at(at),
        None => (t, "s"),
    };
    let scale = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (ms, s, m, h)")),
    };
    let value: f64 = number.parse().map_err(|_| format!("{s:?}: not a duration (90s, 5m, 1h)"))?;
    std::time::Duration::try_from_secs_f64(value * scale).map_err(|e| format!("{s:?}: {e}"))
}

/// Parses `123`, `10K`, `50M`, `2G` (powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    config::parse_size(s)
}

/// Parses the command line and runs it; returns the process exit code.
pub fn main() -> u8 {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Scan(args)) => scan(args, Purpose::Scan),
        Some(Command::Git(args)) => git_command(args),
        Some(Command::Hook { action: HookAction::Install { pre_push, force, repo } }) => {
            let hook = if pre_push { crate::hook::Hook::PrePush } else { crate::hook::Hook::PreCommit };
            crate::hook::install(repo.as_deref(), hook, force)
        }
        Some(Command::Rules { action }) => rules_command(action),
        Some(Command::Redact(args)) => redact(args),
        Some(Command::Watch(args)) => watch(args),
        Some(Command::Proc(args)) => proc_command(args),
        Some(Command::Crashtest(args)) => crashtest_command(args),
        Some(Command::Baseline { action: BaselineAction::Create(args) }) => scan(args, Purpose::CreateBaseline),
        Some(Command::Config { action }) => config_command(action),
        None => scan(cli.scan, Purpose::Scan),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            messages::error(&messages::escape_lines(&format!("{e:#}")));
            exit::USAGE
        }
    }
}

/// `leakscan watch`: a scan whose one input is followed until SIGINT/SIGTERM.
fn watch(args: WatchArgs) -> Result<u8> {
    if args.scan.paths.is_empty() {
        return Err(anyhow!("watch: give at least one file, directory or glob to follow"));
    }
    let follow = crate::source::log::FollowOptions { from_start: args.from_start, until: None };
    let scan = args.scan;
    let walk = |threads, exclude| plain_walk(&scan, threads, exclude);
    let paths = scan.paths.clone();
    run(&scan.common, Purpose::Watch { exec: args.exec }, |_, _| Ok(vec![Input::Follow(paths, follow)]), walk)
}

/// `leakscan proc`: the selected processes' environment, command line and (`--mem`) memory.
fn proc_command(args: ProcArgs) -> Result<u8> {
    if !args.scan.paths.is_empty() {
        return Err(anyhow!("leakscan proc takes no PATH (use --pid N or --all)"));
    }
    let select =
        crate::source::proc::Select { pids: args.pids, all: args.all, mem_budget: args.mem.then_some(args.mem_budget) };
    run(
        &args.scan.common,
        Purpose::Scan,
        |_, _| Ok(vec![Input::Processes(select)]),
        |threads, exclude| plain_walk(&args.scan, threads, exclude),
    )
}

/// `leakscan crashtest -- CMD`: canaries in; memory read, crash, then its core, outputs and the
/// PATHs scanned in one run; a verdict per canary.
fn crashtest_command(args: CrashArgs) -> Result<u8> {
    let dir = std::env::temp_dir().join(format!("leakscan-crashtest-{}", std::process::id()));
    let after = std::time::Duration::from_secs_f64(args.after.clamp(0.0, 1e6));
    // With `--watch`, the wait for the crash is the follow of the watched paths.
    let watching = !args.watch.is_empty();
    let launched =
        crate::crashtest::launch(&args.command, if watching { std::time::Duration::ZERO } else { after }, &dir)?;
    let canaries = launched.canaries.clone();
    let mut inputs = Vec::new();
    if watching {
        let until = Some(launched.start + after);
        inputs.push(Input::Follow(args.watch.clone(), crate::source::log::FollowOptions { from_start: true, until }));
    }
    let outputs = launched.outputs.clone();
    let launched = Arc::new(std::sync::Mutex::new(launched));
    // Its environment and memory, if it still runs then (the reader thread takes the inputs in
    // order: after the watched paths were followed for `--after`).
    let (alive, mem_budget) = (Arc::clone(&launched), args.mem_budget);
    inputs.push(Input::Later(crate::engine::Later::new(move || {
        let Ok(mut launched) = alive.lock() else { return Vec::new() };
        // Reaped here if it ended: `abort` then sends no signal to a pid that may be reused.
        launched.running &= matches!(launched.child.try_wait(), Ok(None));
        if !launched.running {
            return Vec::new();
        }
        let pid = launched.child.id();
        vec![Input::Processes(crate::source::proc::Select {
            pids: vec![pid],
            all: false,
            mem_budget: Some(mem_budget),
        })]
    })));
    // Then the crash, and the core the system wrote, if it wrote one where leakscan can read it.
    let crash = Arc::clone(&launched);
    inputs.push(Input::Later(crate::engine::Later::new(move || {
        let Ok(mut launched) = crash.lock() else { return Vec::new() };
        let dumped = crate::crashtest::abort(&mut launched)
            .is_some_and(|s| std::os::unix::process::ExitStatusExt::core_dumped(&s));
        match crate::crashtest::core_file(launched.child.id(), dumped, launched.started) {
            crate::crashtest::CoreFile::Written(core) => {
                eprintln!("leakscan: scanning the core file {}", messages::escape(&crate::chunk::path_bytes(&core)));
                vec![Input::Path(core)]
            }
            crate::crashtest::CoreFile::Handler(handler) => {
                eprintln!(
                    "leakscan: the system hands cores to {}: scan the core it stores with `leakscan PATH`",
                    messages::escape(handler.as_bytes())
                );
                Vec::new()
            }
            crate::crashtest::CoreFile::None => Vec::new(),
        }
    })));
    inputs.extend(outputs.into_iter().map(Input::Path));
    inputs.extend(args.scan.paths.iter().cloned().map(Input::Path));
    let leaks = Arc::new(std::sync::Mutex::new(Vec::new()));
    let purpose = Purpose::Crashtest { canaries: canaries.clone(), leaks: Arc::clone(&leaks) };
    let result =
        run(&args.scan.common, purpose, |_, _| Ok(inputs), |threads, exclude| plain_walk(&args.scan, threads, exclude));
    // An interrupted scan may not have reached the crash.
    if let Ok(mut launched) = launched.lock() {
        crate::crashtest::abort(&mut launched);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let leaks = leaks.lock().map(|l| l.clone()).unwrap_or_default();
    for (name, _) in &canaries {
        let mut places: Vec<&str> = Vec::new();
        for (_, at) in leaks.iter().filter(|(n, _)| n == name) {
            if !places.contains(&at.as_str()) {
                places.push(at);
            }
        }
        match places.is_empty() {
            true => eprintln!("leakscan: canary {name}: not found"),
            false => eprintln!("leakscan: canary {name} leaked in: {}", places.join(", ")),
        }
    }
    result
}

/// The walk options a scan's path flags give.
fn plain_walk(args: &ScanArgs, threads: usize, exclude: Exclude) -> crate::source::fs::WalkOptions {
    crate::source::fs::WalkOptions {
        gitignore: args.gitignore,
        follow: args.follow,
        max_file_size: args.max_file_size,
        threads,
        exclude,
    }
}

fn scan(args: ScanArgs, purpose: Purpose) -> Result<u8> {
    run(&args.common, purpose, |_, _| Ok(inputs(&args.paths)), |threads, exclude| plain_walk(&args, threads, exclude))
}

fn git_command(args: GitArgs) -> Result<u8> {
    use crate::source::git::{GitOptions, History, Mode, PushUpdate, Scope};
    let mode = if args.staged {
        Mode::Staged
    } else if args.pre_push {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| anyhow!("reading stdin: {e}"))?;
        Mode::PrePush(PushUpdate::parse_all(&text).map_err(|e| anyhow!("{e}"))?)
    } else {
        let scope = match (args.since, args.range, args.branch) {
            (Some(rev), _, _) => Scope::Since(rev),
            (_, Some(range), _) => Scope::Range(range),
            (_, _, Some(name)) => Scope::Branch(name),
            _ => Scope::All,
        };
        Mode::History(History { scope, reflog: args.reflog, all_objects: args.all_objects })
    };
    let repo = args.repo;
    let git_inputs =
        move |threads, exclude| Ok(vec![Input::Git(Arc::new(GitOptions { repo, mode, threads, exclude }))]);
    let walk = |threads, exclude| crate::source::fs::WalkOptions {
        gitignore: false,
        follow: false,
        max_file_size: None,
        threads,
        exclude,
    };
    run(&args.common, Purpose::Scan, git_inputs, walk)
}

/// Builds the plan from the shared options, the inputs and walk options (both given the
/// thread count and the config's exclusion), runs it, and maps the summary to an exit code.
fn run(
    args: &CommonArgs,
    purpose: Purpose,
    inputs: impl FnOnce(usize, Exclude) -> Result<Vec<Input>>,
    walk: impl FnOnce(usize, Exclude) -> crate::source::fs::WalkOptions,
) -> Result<u8> {
    messages::set_verbosity(if args.quiet {
        Verbosity::Quiet
    } else if args.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    });
    let cwd = std::env::current_dir()?;
    let config = if args.no_config { None } else { config::discover(args.config.as_deref(), &cwd)?.map(Arc::new) };
    if let Some(c) = &config {
        messages::note(&format!("using config {}", c.file.display()));
    }
    let root = config.as_ref().map_or_else(|| config::project_root(&cwd), |c| c.dir.clone());
    crate::finding::set_fingerprint_root(root.clone(), cwd.clone());
    if let Some(var) = config.as_ref().and_then(|c| c.fingerprint_key_env.as_deref()) {
        let key =
            std::env::var(var).map_err(|_| anyhow!("fingerprint_key_env: environment variable {var} is not set"))?;
        crate::finding::set_fingerprint_key(key.as_bytes());
    }
    // Crash-test canaries are also known secrets: found in every encoding (base64, hex,
    // UTF-16…), not only where a rule's pattern sees them.
    let canaries = match &purpose {
        Purpose::Crashtest { canaries, .. } => crate::crashtest::known_values(canaries),
        _ => Vec::new(),
    };
    let matcher = Matcher::new(args.select.apply(load_rules(config.as_deref())?)?)?
        .with_known(known(&args.known, canaries)?)
        .with_path_rules(config.as_ref().map(|c| c.path_rules.clone()).unwrap_or_default());
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let baseline = match purpose {
        Purpose::CreateBaseline => None,
        _ => args.baseline.clone().or_else(|| config.as_ref().and_then(|c| c.baseline.clone())),
    };
    let suppressor = Suppressor::new(config.clone(), cwd.clone(), baseline.as_deref(), &root)?;
    let configured = config.as_ref().map_or(&[][..], |c| c.formats.as_slice());
    let mut reporter = reporter(args, configured, &purpose)?;
    let archive = archive_limits(args, config.as_deref());
    match &purpose {
        Purpose::Watch { exec: Some(cmd) } => {
            reporter = Box::new(report::exec::Exec::new(reporter, cmd.clone(), args.show_secrets));
        }
        Purpose::Crashtest { canaries, leaks } => {
            reporter = Box::new(crate::crashtest::CanaryReporter {
                inner: reporter,
                canaries: canaries.clone(),
                leaks: Arc::clone(leaks),
            });
        }
        _ => {}
    }
    let limit = config.as_ref().and_then(|c| c.limits.max_file_size);
    let exclude = exclusion(config, cwd, &args.exclude)?;
    let mut walk = walk(threads, Arc::clone(&exclude));
    walk.max_file_size = walk.max_file_size.or(limit);
    let plan = Plan {
        matcher,
        inputs: inputs(threads, exclude)?,
        walk,
        chunker: Chunker::default(),
        threads,
        reporter,
        progress: !args.no_progress && !matches!(purpose, Purpose::Watch { .. }),
        pre_skipped: BTreeMap::new(),
        suppressor,
        archive,
        decode: crate::decode::Limits { depth: args.decode_depth, ..Default::default() },
        timeout: args.timeout,
    };
    let summary = engine::run(plan)?;
    if messages::is_enabled(Verbosity::Normal) {
        engine::print_summary(&summary);
    }
    if args.require_encrypted && matches!(purpose, Purpose::Scan) {
        return Ok(backup_verdict(&summary));
    }
    Ok(if summary.findings > 0 && !matches!(purpose, Purpose::CreateBaseline) {
        exit::FINDINGS
    } else if !summary.complete {
        exit::INCOMPLETE
    } else {
        exit::CLEAN
    })
}

/// The known-secret automaton from `--known-env`, `--known-file` and `extra` values, if any
/// value was given.
fn known(args: &KnownArgs, extra: Vec<crate::known::KnownValue>) -> Result<Option<crate::known::Known>> {
    let mut values = extra;
    if let Some(patterns) = &args.known_env {
        values.extend(crate::known::from_env(patterns)?);
    }
    for file in &args.known_file {
        values.extend(crate::known::from_file(file)?);
    }
    crate::known::Known::new(&values)
}

/// `leakscan redact`: stdin → stdout, or each `--in-place` file.
fn redact(args: RedactArgs) -> Result<u8> {
    messages::set_verbosity(if args.quiet { Verbosity::Quiet } else { Verbosity::Normal });
    let cwd = std::env::current_dir()?;
    let config = if args.no_config { None } else { config::discover(args.config.as_deref(), &cwd)? };
    let matcher = Matcher::new(load_rules(config.as_ref())?)?.with_known(known(&args.known, Vec::new())?);
    let decode = crate::decode::Limits { depth: args.decode_depth, ..Default::default() };
    if args.in_place.is_empty() {
        let mut out = std::io::BufWriter::with_capacity(256 << 10, std::io::stdout().lock());
        return match crate::redact::filter(&matcher, &decode, &mut std::io::stdin().lock(), &mut out) {
            Ok(_) => Ok(exit::CLEAN),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit::CLEAN),
            Err(e) => Err(anyhow!("redacting standard input: {e}")),
        };
    }
    let mut failed = false;
    for path in &args.in_place {
        match crate::redact::in_place(&matcher, &decode, path) {
            Ok(stats) if messages::is_enabled(Verbosity::Normal) => {
                eprintln!("leakscan: {}: {} secret(s) redacted", messages::escape(&path_bytes(path)), stats.redacted)
            }
            Ok(_) => {}
            Err(e) => {
                failed = true;
                messages::error(&messages::escape(format!("{}: {e} (left unchanged)", path.display()).as_bytes()));
            }
        }
    }
    Ok(if failed { exit::INCOMPLETE } else { exit::CLEAN })
}

/// Why a scan runs: to report, to record a baseline (exit 0 with findings), to follow logs, or
/// to tell which crashtest canary leaked.
enum Purpose {
    Scan,
    CreateBaseline,
    Watch { exec: Option<String> },
    Crashtest { canaries: Vec<crate::crashtest::Canary>, leaks: Arc<std::sync::Mutex<Vec<(String, String)>>> },
}

/// The reporter for the `--format` requests: one, or a [`report::Tee`] over several. Each
/// report file is created before the scan starts, so a bad path fails before any work.
/// `configured`: the config's default formats, used when no --format is given.
fn reporter(args: &CommonArgs, configured: &[FormatSpec], purpose: &Purpose) -> Result<Box<dyn Reporter>> {
    let default = [FormatSpec { format: Format::Text, file: None }];
    let baseline = [FormatSpec { format: Format::Baseline, file: None }];
    let specs: &[FormatSpec] = match purpose {
        Purpose::CreateBaseline => &baseline,
        _ if args.format.is_empty() && !configured.is_empty() => configured,
        _ if args.format.is_empty() => &default,
        _ => &args.format,
    };
    let mut targets: Vec<Option<&Path>> = specs.iter().map(|s| s.file.as_deref().or(args.output.as_deref())).collect();
    if args.output.is_some() && specs.iter().all(|s| s.file.is_some()) {
        return Err(anyhow!("--output is unused: every --format names its own file"));
    }
    if targets.iter().filter(|t| t.is_none()).count() > 1 {
        return Err(anyhow!(
            "only one --format may write to standard output; give the others a file (--format FORMAT:FILE)"
        ));
    }
    let mut seen: Vec<&Path> = Vec::new();
    for t in targets.iter().flatten() {
        if seen.contains(t) {
            return Err(anyhow!("two reports would write to {}", t.display()));
        }
        seen.push(t);
    }
    let mut reporters = Vec::new();
    for (spec, target) in specs.iter().zip(targets.drain(..)) {
        let out: Box<dyn Write + Send> = match target {
            Some(path) => Box::new(std::io::BufWriter::new(
                std::fs::File::create(path).map_err(|e| anyhow!("creating {}: {e}", path.display()))?,
            )),
            None => Box::new(std::io::BufWriter::new(std::io::stdout())),
        };
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                target.is_none() && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        reporters.push(report::build(spec.format, Style { show_secrets: args.show_secrets, color }, out));
    }
    Ok(if reporters.len() == 1 { reporters.remove(0) } else { Box::new(report::Tee::new(reporters)) })
}

/// The archive budgets: each flag, else the config's `[limits]`, else the default.
fn archive_limits(args: &CommonArgs, config: Option<&Config>) -> Limits {
    let (d, c) = (Limits::default(), config.map(|c| c.limits.clone()).unwrap_or_default());
    Limits {
        max_depth: args.max_archive_depth.or(c.max_archive_depth).unwrap_or(d.max_depth),
        max_total: args.max_archive_size.or(c.max_archive_size).unwrap_or(d.max_total),
        max_entry: args.max_archive_entry_size.or(c.max_archive_entry_size).unwrap_or(d.max_entry),
        max_ratio: args.max_compression_ratio.or(c.max_compression_ratio).unwrap_or(d.max_ratio),
        max_entries: args.max_archive_entries.or(c.max_archive_entries).unwrap_or(d.max_entries),
    }
}

/// `leakscan config show` / `config check`.
fn config_command(action: ConfigAction) -> Result<u8> {
    use crate::resolved::{Context, FoundBy};
    let cwd = std::env::current_dir()?;
    match action {
        ConfigAction::Show { config: explicit } => {
            let found_by = match (&explicit, std::env::var_os("LEAKSCAN_CONFIG").filter(|v| !v.is_empty())) {
                (Some(_), _) => FoundBy::Flag,
                (None, Some(_)) => FoundBy::Env,
                (None, None) => FoundBy::Discovery,
            };
            let config = config::discover(explicit.as_deref(), &cwd)?;
            let rules = load_rules(config.as_ref())?;
            let root = config.as_ref().map_or_else(|| config::project_root(&cwd), |c| c.dir.clone());
            let cx = Context { config: config.as_ref(), found_by, rules: &rules, root: &root, cwd: &cwd };
            print!("{}", crate::resolved::show(&cx)?);
            Ok(exit::CLEAN)
        }
        ConfigAction::Check { file } => {
            let config = match file {
                Some(file) => Some(config::load(&config::absolute(&cwd, &file))?),
                None => config::discover(None, &cwd)?,
            };
            let Some(config) = config else {
                eprintln!("leakscan: no config file found (nothing to check)");
                return Ok(exit::CLEAN);
            };
            let matcher = Matcher::new(load_rules(Some(&config))?)?;
            eprintln!(
                "leakscan: {}: ok ({} rules, {} allowlists, {} path globs)",
                config.file.display(),
                matcher.rules().len(),
                config.allowlists.iter().filter(|a| crate::resolved::has_criteria(&a.spec)).count(),
                config.allow_path_globs.len()
            );
            Ok(exit::CLEAN)
        }
    }
}

/// The `--require-encrypted` verdict on stderr: fails (1) when a plaintext member holds a
/// secret, naming each; is incomplete (3) when a member could not be read or verified (an
/// unopened 7z, a budget, damage); passes (0) when every member is encrypted or secret-free.
fn backup_verdict(s: &crate::summary::Summary) -> u8 {
    let count = |reason: &str| s.skipped.get(reason).copied().unwrap_or(0);
    let (encrypted, opaque) = (count(ENCRYPTED), count(OPAQUE));
    if !s.findings_by_location.is_empty() {
        eprintln!("leakscan: backup check FAILED: {} plaintext member(s) hold secrets:", s.findings_by_location.len());
        for (location, n) in &s.findings_by_location {
            eprintln!("  {location} ({n} finding{})", if *n == 1 { "" } else { "s" });
        }
        return exit::FINDINGS;
    }
    if opaque > 0 || !s.complete {
        eprintln!(
            "leakscan: backup check INCOMPLETE: {opaque} archive(s) not opened and {} read problem(s): \
             no secret found, but not every member was verified",
            s.incomplete_reasons.values().sum::<u64>()
        );
        return exit::INCOMPLETE;
    }
    eprintln!(
        "leakscan: backup check passed: {encrypted} encrypted member(s), {} plaintext member(s) without secrets",
        s.files_scanned
    );
    exit::CLEAN
}

/// What to scan: the paths given (`-` = stdin); with none, stdin when it is a pipe or a file,
/// else the current directory.
fn inputs(paths: &[PathBuf]) -> Vec<Input> {
    if paths.is_empty() {
        return vec![if crate::source::stdin::is_readable() { Input::Stdin } else { Input::Path(PathBuf::from(".")) }];
    }
    paths.iter().map(|p| if p.as_os_str() == "-" { Input::Stdin } else { Input::Path(p.clone()) }).collect()
}

/// The walk's exclusion predicate: `--exclude` globs, then the config's path allowlist.
fn exclusion(config: Option<Arc<Config>>, cwd: PathBuf, globs: &[String]) -> Result<Exclude> {
    let excluded = (!globs.is_empty()).then(|| Excluded::new(&cwd, globs)).transpose()?;
    Ok(Arc::new(move |path: &Path, entry: Entry| {
        if let Some(reason) = excluded.as_ref().and_then(|e| e.reason(path, entry)) {
            return Some(reason);
        }
        let c = config.as_ref()?;
        match entry {
            Entry::File => c.is_allowed_path(&cwd, path).then_some("allowlisted path (config)"),
            Entry::Dir => c.is_allowed_dir(&cwd, path).then_some("allowlisted directory (config)"),
        }
    }))
}

/// The `--exclude` globs: .gitignore lines rooted at the current directory.
struct Excluded {
    cwd: PathBuf,
    globs: ignore::gitignore::Gitignore,
}

impl Excluded {
    fn new(cwd: &Path, globs: &[String]) -> Result<Excluded> {
        let mut builder = ignore::gitignore::GitignoreBuilder::new(cwd);
        for glob in globs {
            builder.add_line(None, glob).map_err(|e| anyhow!("--exclude {glob:?}: {e}"))?;
        }
        let globs = builder.build().map_err(|e| anyhow!("--exclude: {e}"))?;
        Ok(Excluded { cwd: cwd.to_path_buf(), globs })
    }

    /// Why `path` is not scanned, if a glob matches it or a directory above it (up to the
    /// current directory: a walk prunes excluded directories itself, a git path is not walked).
    fn reason(&self, path: &Path, entry: Entry) -> Option<&'static str> {
        let abs = config::absolute(&self.cwd, path);
        if self.globs.matched(&abs, entry == Entry::Dir).is_ignore() {
            return Some(match entry {
                Entry::File => "excluded path (--exclude)",
                Entry::Dir => "excluded directory (--exclude)",
            });
        }
        let inside = |dir: &&Path| dir.strip_prefix(&self.cwd).is_ok_and(|rel| !rel.as_os_str().is_empty());
        abs.ancestors()
            .skip(1)
            .take_while(inside)
            .any(|dir| self.globs.matched(dir, true).is_ignore())
            .then_some("excluded path (--exclude)")
    }
}

/// The built-in pack (without its rules' examples, which only `rules check` and `rules
/// explain` read: see [`load_rules_with_examples`]), minus the config's disabled rules, plus its
/// own rules.
fn load_rules(config: Option<&Config>) -> Result<Vec<Rule>> {
    load_rules_from(config, rules::builtin)
}

/// [`load_rules`] with the built-in rules' examples and negative examples.
fn load_rules_with_examples(config: Option<&Config>) -> Result<Vec<Rule>> {
    load_rules_from(config, rules::builtin_with_examples)
}

fn load_rules_from(config: Option<&Config>, builtin: fn() -> Result<Vec<Rule>, Vec<String>>) -> Result<Vec<Rule>> {
    let mut errors = Vec::new();
    let mut all = if config.is_none_or(|c| c.use_builtin) {
        builtin().unwrap_or_else(|e| {
            errors.extend(e);
            Vec::new()
        })
    } else {
        Vec::new()
    };
    if let Some(c) = config {
        for id in &c.disabled_rules {
            if !all.iter().any(|r| &r.info.id == id) {
                errors.push(format!("config {}: disabled_rules: no rule {id:?}", c.file.display()));
            }
        }
        all.retain(|r| !c.disabled_rules.contains(&r.info.id));
        for spec in &c.rules {
            match Rule::compile_user(spec.clone(), &c.file.display().to_string()) {
                Ok(r) => all.push(r),
                Err(e) => errors.push(format!("{e:#}")),
            }
        }
    }
    every_error(all, errors)
}

/// The rules of standalone rule files (`rules check FILE...`), every load error listed.
fn load_rule_files(files: &[PathBuf]) -> Result<Vec<Rule>> {
    let (mut all, mut errors) = (Vec::new(), Vec::new());
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| anyhow!("reading {}: {e}", file.display()))?;
        match rules::load_text(&text, &file.display().to_string()) {
            Ok(r) => all.extend(r),
            Err(e) => errors.extend(e),
        }
    }
    every_error(all, errors)
}

/// The rules, or one error listing every problem found while loading them.
fn every_error(rules: Vec<Rule>, errors: Vec<String>) -> Result<Vec<Rule>> {
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(anyhow!("{}", errors.join("\n")))
    }
}

fn rules_command(action: RulesAction) -> Result<u8> {
    let cwd = std::env::current_dir()?;
    match action {
        RulesAction::List => {
            let config = config::discover(None, &cwd)?;
            let mut out = std::io::stdout().lock();
            for r in &load_rules(config.as_ref())? {
                writeln!(out, "{}\t{}\t{}", r.info.id, r.info.confidence.as_str(), r.info.name)?;
            }
            Ok(exit::CLEAN)
        }
        RulesAction::Explain { id } => {
            let config = config::discover(None, &cwd)?;
            let rules = load_rules_with_examples(config.as_ref())?;
            let Some(rule) = rules.iter().find(|r| r.info.id == id) else {
                messages::error(&format!(
                    "rules explain {}: no rule in effect has this id (see `leakscan rules list`)",
                    messages::escape(id.as_bytes())
                ));
                return Ok(exit::USAGE);
            };
            print!("{}", explain(rule));
            Ok(exit::CLEAN)
        }
        RulesAction::Check { files } => {
            let rules = if files.is_empty() { load_rules_with_examples(None)? } else { load_rule_files(&files)? };
            let matcher = Matcher::new(rules)?;
            let problems = crate::check::check(&matcher);
            for p in &problems {
                println!("{p}");
            }
            eprintln!("leakscan: {} rules checked, {} problem(s)", matcher.rules().len(), problems.len());
            Ok(if problems.is_empty() { exit::CLEAN } else { exit::FINDINGS })
        }
    }
}

/// `leakscan rules explain ID`: one rule as text, field by field; input-derived text escaped
/// (a config's rule is the user's text).
fn explain(rule: &crate::rules::Rule) -> String {
    let spec = &rule.spec;
    // Control and invisible characters escaped, backslashes kept (a regex reads as written);
    // a multi-line text continues under its first line.
    let esc = |s: &str| {
        let lines: Vec<String> = s
            .trim_end()
            .lines()
            .map(|l| l.split('\\').map(|part| messages::escape(part.as_bytes())).collect::<Vec<_>>().join("\\"))
            .collect();
        lines.join(&format!("\n{:14}", ""))
    };
    let yes = |b: bool| if b { "yes" } else { "no" };
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.iter().map(|s| esc(s)).collect::<Vec<_>>().join(", ")
        }
    };
    let mut out = String::new();
    let mut line = |key: &str, value: String| out.push_str(&format!("{key:<14}{value}\n"));
    line("id", esc(&rule.info.id));
    line("name", esc(&rule.info.name));
    line("confidence", rule.info.confidence.as_str().to_string());
    line("defined in", esc(&rule.file));
    line("description", esc(&spec.description));
    line("regex", esc(&spec.regex));
    line(
        "secret group",
        spec.secret_group.map_or("1 if the regex has a group, else the whole match".into(), |g| g.to_string()),
    );
    line("keywords", list(&spec.keywords));
    line(
        "keyword scope",
        match rule.keyword_scope {
            crate::rules::KeywordScope::Near => "near the match (within max_len bytes)".into(),
            crate::rules::KeywordScope::Chunk => "anywhere in the chunk (gitleaks' semantics)".into(),
        },
    );
    line("max_len", spec.written_max_len().to_string());
    line(
        "min entropy",
        if rule.min_entropy > 0.0 { format!("{} bits per byte", rule.min_entropy) } else { "-".into() },
    );
    line("checksum", spec.checksum.as_deref().map_or("-".into(), esc));
    line("binary", format!("{} (applied to binary content: cores, databases, executables)", yes(rule.binary)));
    line("placeholders", format!("{} (obvious placeholders dropped)", yes(rule.placeholders)));
    line("generic value", yes(rule.generic_value).into());
    line("example hosts", yes(rule.example_hosts).into());
    line("references", list(&spec.references));
    line("tags", list(&spec.tags));
    line(
        "examples",
        format!(
            "{} to find, {} not to find (run by `leakscan rules check`)",
            spec.examples.len(),
            spec.negative_examples.len()
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10"), Ok(10));
        assert_eq!(parse_size("2K"), Ok(2048));
        assert_eq!(parse_size("50m"), Ok(50 << 20));
        assert!(parse_size("1X").is_err());
        assert!(parse_size("99999999999G").is_err());
    }
}
