//! `leakscan git` and the hooks: repositories built at test time with the `git` CLI in a
//! hermetic environment (no system or user config), synthetic tokens from `util`.

use crate::util::{aws_key_id, github_token, Dir, Run};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A repository in a temp dir, driven by a hermetic `git`.
pub(crate) struct Repo {
    pub(crate) dir: Dir,
}

impl Repo {
    pub(crate) fn new() -> Repo {
        let r = Repo { dir: Dir::new() };
        r.git(&["init", "-q", "-b", "main", "."]);
        r
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn git_cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("git");
        c.args(args).current_dir(self.path()).env_clear();
        c.env("PATH", path_with_leakscan())
            .env("HOME", self.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Ada Tester")
            .env("GIT_AUTHOR_EMAIL", "ada@example.invalid")
            .env("GIT_COMMITTER_NAME", "Ada Tester")
            .env("GIT_COMMITTER_EMAIL", "ada@example.invalid")
            .env("GIT_AUTHOR_DATE", "2024-05-01T12:00:00Z")
            .env("GIT_COMMITTER_DATE", "2024-05-01T12:00:00Z");
        c
    }

    /// Runs git; panics with its output unless it succeeds; returns stdout trimmed.
    pub(crate) fn git(&self, args: &[&str]) -> String {
        let out = self.git_cmd(args).stdin(Stdio::null()).output().expect("spawn git");
        let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        assert!(out.status.success(), "git {args:?}: {}\n{}", show(&out.stdout), show(&out.stderr));
        show(&out.stdout).trim().to_string()
    }

    pub(crate) fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        self.dir.write(rel, content);
    }

    /// Writes, stages and commits one file; returns the commit id.
    pub(crate) fn commit_file(&self, rel: &str, content: impl AsRef<[u8]>, message: &str) -> String {
        self.write(rel, content);
        self.git(&["add", "--", rel]);
        self.commit(message)
    }

    pub(crate) fn commit(&self, message: &str) -> String {
        self.git(&["commit", "-q", "--no-verify", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    pub(crate) fn run(&self, args: &[&str]) -> Run {
        let mut all = vec!["git", "--format", "jsonl", "--show-secrets", "--no-config"];
        all.extend_from_slice(args);
        self.dir.run(&all)
    }
}

/// `PATH` with the built leakscan's directory first (hooks call `leakscan`).
fn path_with_leakscan() -> std::ffi::OsString {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_leakscan"));
    let mut dirs = vec![bin.parent().expect("bin dir").to_path_buf()];
    dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(dirs).expect("PATH")
}

/// The finding whose secret is `secret`; panics unless there is exactly one.
fn only<'a>(r: &Run, findings: &'a [Value], secret: &str) -> &'a Value {
    let hits: Vec<&Value> = findings.iter().filter(|f| f["secret"] == secret).collect();
    assert_eq!(hits.len(), 1, "expected {secret} exactly once: {r}");
    hits[0]
}

pub(crate) fn secrets(findings: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = findings.iter().map(|f| f["secret"].as_str().unwrap_or("").to_string()).collect();
    v.sort();
    v
}

#[test]
fn history_attributes_each_secret_once_to_the_commit_that_added_it() {
    let repo = Repo::new();
    let (added_then_deleted, renamed, in_message) = (github_token(100), github_token(101), aws_key_id(102));
    let c1 = repo.commit_file("config/app.env", format!("A=1\nTOKEN={added_then_deleted}\n"), "add config");
    repo.commit_file("config/app.env", format!("A=1\nTOKEN={added_then_deleted}\nB=2\n"), "edit config");
    repo.git(&["rm", "-q", "config/app.env"]);
    repo.commit("remove config");
    let c_rename = repo.commit_file("old.txt", format!("key {renamed}\n"), "add old");
    repo.git(&["mv", "old.txt", "new name.txt"]);
    repo.commit("rename");
    let c_msg = repo.commit_file("x.txt", "x\n", &format!("deploy with {in_message}"));
    let unicode = github_token(103);
    let c_uni = repo.commit_file("dir with space/café ☕.txt", format!("t={unicode}\n"), "unicode");
    let binary = github_token(104);
    let mut bytes = vec![0u8, 1, 2, 0, 255];
    bytes.extend_from_slice(binary.as_bytes());
    bytes.extend_from_slice(&[0, 0, 7]);
    repo.commit_file("img.bin", bytes, "binary");

    let r = repo.run(&[]);
    r.expect_code(1);
    let f = r.findings();
    let a = only(&r, &f, &added_then_deleted);
    assert_eq!(
        (a["commit"].as_str(), a["path"].as_str(), a["line"].as_u64()),
        (Some(&c1[..]), Some("config/app.env"), Some(2))
    );
    assert_eq!(a["author"], "Ada Tester");
    assert_eq!(a["email"], "ada@example.invalid");
    assert_eq!(a["date"], "2024-05-01T12:00:00Z");
    let b = only(&r, &f, &renamed);
    assert_eq!((b["commit"].as_str(), b["path"].as_str()), (Some(&c_rename[..]), Some("old.txt")), "{r}");
    let m = only(&r, &f, &in_message);
    assert_eq!((m["origin"]["kind"].as_str(), m["commit"].as_str()), (Some("commit-message"), Some(&c_msg[..])));
    let u = only(&r, &f, &unicode);
    assert_eq!((u["path"].as_str(), u["commit"].as_str()), (Some("dir with space/café ☕.txt"), Some(&c_uni[..])));
    only(&r, &f, &binary);
    assert_eq!(f.len(), 5, "{r}");
    let s = r.summary();
    assert_eq!((s["complete"].as_bool(), s["commits_scanned"].as_u64()), (Some(true), Some(8)), "{r}");
}

#[test]
fn side_branch_merge_stash_and_annotated_tag() {
    let repo = Repo::new();
    let base = repo.commit_file("m.txt", "one\ntwo\nthree\nfour\nfive\n", "base");
    let (side, merged, tag, stashed, stash_index) =
        (github_token(110), github_token(111), aws_key_id(112), github_token(113), github_token(114));
    repo.git(&["checkout", "-q", "-b", "side"]);
    let c_side = repo.commit_file("side.txt", format!("{side}\n"), "side only");
    repo.git(&["checkout", "-q", "-b", "feature", "main"]);
    let c_feat = repo.commit_file("m.txt", format!("one\ntwo\nthree\nfour\nfive\nk={merged}\n"), "feature line");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file("m.txt", "zero\none\ntwo\nthree\nfour\nfive\n", "main line");
    repo.git(&["merge", "-q", "--no-edit", "feature"]);
    repo.git(&["tag", "-a", "v1", "-m", &format!("release notes: {tag}")]);
    repo.write("m.txt", format!("stash work {stashed}\n"));
    repo.write("staged.txt", format!("{stash_index}\n"));
    repo.git(&["add", "staged.txt"]);
    repo.git(&["stash", "-q"]);
    let r = repo.run(&[]);
    r.expect_code(1);
    let f = r.findings();
    assert_eq!(only(&r, &f, &side)["commit"].as_str(), Some(&c_side[..]));
    // The merge result holds the feature line: attributed to the feature commit, not the merge.
    assert_eq!(only(&r, &f, &merged)["commit"].as_str(), Some(&c_feat[..]), "{r}");
    let t = only(&r, &f, &tag);
    assert_eq!(t["origin"]["kind"], "tag-message", "{r}");
    assert!(t["path"].as_str().unwrap_or("").contains("v1"), "{r}");
    only(&r, &f, &stashed);
    only(&r, &f, &stash_index);
    assert_eq!(f.len(), 5, "{r}");
    // --branch side sees the side branch only; --range sees what the range adds.
    let r = repo.run(&["--branch", "side"]);
    assert_eq!(secrets(&r.findings()), [side.as_str()], "{r}");
    let r = repo.run(&["--range", &format!("{base}..feature")]);
    assert_eq!(secrets(&r.findings()), [merged.as_str()], "{r}");
    let r = repo.run(&["--since", "feature"]);
    assert!(!secrets(&r.findings()).contains(&merged) && secrets(&r.findings()).contains(&side), "{r}");
    let r = repo.run(&["--range", "main..feature"]);
    r.expect_code(0);
    assert!(r.stderr().contains("no commit"), "{r}");
}

#[test]
fn each_blob_once_across_branches_moved_and_copied_trees_and_reverts() {
    let repo = Repo::new();
    repo.commit_file("base.txt", "base\n", "base");
    let (twice, from_branch, moved, restored) =
        (github_token(170), github_token(171), github_token(172), github_token(173));
    // The same content added on two branches: reported once, on one of the two commits.
    repo.git(&["checkout", "-q", "-b", "a"]);
    let c_a = repo.commit_file("a/creds.txt", format!("{twice}\n"), "a adds");
    repo.git(&["checkout", "-q", "-b", "b", "main"]);
    let c_b = repo.commit_file("b/creds.txt", format!("{twice}\n"), "b adds");
    // A file only on branch b, brought to main by a merge: the commit that added it, not the merge.
    let c_feature = repo.commit_file("lib/feature.txt", format!("{from_branch}\n"), "feature file");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file("main.txt", "main moves on\n", "main");
    repo.git(&["merge", "-q", "--no-ff", "--no-edit", "a"]);
    repo.git(&["merge", "-q", "--no-ff", "--no-edit", "b"]);
    // A directory renamed, then copied whole under another path: the same subtree, nothing new.
    let c_moved = repo.commit_file("conf/deep/app.env", format!("K={moved}\n"), "conf");
    repo.git(&["mv", "conf", "settings"]);
    repo.commit("rename conf");
    repo.git(&["read-tree", "--prefix=backup/settings/", "HEAD:settings"]);
    repo.commit("copy settings");
    // Added, deleted, added back (the same blob): the first commit.
    let c_restored = repo.commit_file("r.txt", format!("{restored}\n"), "add r");
    repo.git(&["rm", "-q", "r.txt"]);
    repo.commit("drop r");
    repo.commit_file("r.txt", format!("{restored}\n"), "restore r");

    let r = repo.run(&[]);
    r.expect_code(1);
    let f = r.findings();
    let t = only(&r, &f, &twice);
    assert!(t["commit"] == c_a.as_str() || t["commit"] == c_b.as_str(), "{r}");
    let b = only(&r, &f, &from_branch);
    assert_eq!((b["commit"].as_str(), b["path"].as_str()), (Some(&c_feature[..]), Some("lib/feature.txt")), "{r}");
    let m = only(&r, &f, &moved);
    assert_eq!((m["commit"].as_str(), m["path"].as_str()), (Some(&c_moved[..]), Some("conf/deep/app.env")), "{r}");
    assert_eq!(only(&r, &f, &restored)["commit"].as_str(), Some(&c_restored[..]), "{r}");
    assert_eq!(f.len(), 4, "{r}");
}

#[test]
fn a_blob_allowlisted_at_one_path_is_still_scanned_at_another() {
    let repo = Repo::new();
    let tok = github_token(174);
    repo.commit_file("fixtures/sample.txt", format!("{tok}\n"), "fixture");
    let c = repo.commit_file("src/app.txt", format!("{tok}\n"), "the same value, used for real");
    repo.write("allow.toml", "[allowlist]\npaths = [\"fixtures/\"]\n");
    let config = repo.path().join("allow.toml");
    let r = repo.dir.run(&["git", "--format", "jsonl", "--show-secrets", "--config", config.to_str().unwrap()]);
    r.expect_code(1);
    let f = r.findings();
    let hit = only(&r, &f, &tok);
    assert_eq!((hit["commit"].as_str(), hit["path"].as_str()), (Some(&c[..]), Some("src/app.txt")), "{r}");
    assert_eq!(r.summary()["skipped"]["allowlisted path (config)"], 1, "{r}");
}

#[test]
fn exclude_skips_history_paths_below_an_excluded_directory() {
    let repo = Repo::new();
    repo.commit_file("vendor/lib/key.txt", format!("{}\n", github_token(175)), "vendored");
    let tok = github_token(176);
    let c = repo.commit_file("src/app.txt", format!("{tok}\n"), "ours");
    let r = repo.run(&["--exclude", "vendor/"]);
    r.expect_code(1);
    let f = r.findings();
    assert_eq!(f.len(), 1, "{r}");
    let hit = only(&r, &f, &tok);
    assert_eq!((hit["commit"].as_str(), hit["path"].as_str()), (Some(&c[..]), Some("src/app.txt")), "{r}");
    assert_eq!(r.summary()["skipped"]["excluded path (--exclude)"], 1, "{r}");
}

#[test]
fn unreachable_commit_needs_reflog_or_all_objects() {
    let repo = Repo::new();
    repo.commit_file("a.txt", "clean\n", "base");
    let lost = github_token(120);
    repo.commit_file("lost.txt", format!("{lost}\n"), "oops");
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.run(&[]).expect_code(0);
    assert_eq!(secrets(&repo.run(&["--reflog"]).findings()), [lost.as_str()]);
    repo.git(&["reflog", "expire", "--expire=now", "--all"]);
    repo.run(&["--reflog"]).expect_code(0);
    let r = repo.run(&["--all-objects"]);
    r.expect_code(1);
    assert_eq!(only(&r, &r.findings(), &lost)["path"], "lost.txt", "{r}");
}

/// Overwrites the loose object `id` with bytes that do not inflate.
fn corrupt_loose(repo: &Repo, id: &str) {
    let file = repo.path().join(".git/objects").join(&id[..2]).join(&id[2..]);
    let mut perms = std::fs::metadata(&file).expect("loose object").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&file, perms).unwrap();
    std::fs::write(&file, b"this is not zlib data at all").unwrap();
}

#[test]
fn corrupt_object_is_incomplete_and_the_rest_is_scanned() {
    let repo = Repo::new();
    let (good, bad) = (github_token(130), github_token(131));
    repo.commit_file("good.txt", format!("{good}\n"), "good");
    repo.commit_file("bad.txt", format!("{bad}\n"), "bad");
    let blob = repo.git(&["rev-parse", "HEAD:bad.txt"]);
    corrupt_loose(&repo, &blob);
    let r = repo.run(&[]);
    r.expect_code(1);
    assert_eq!(secrets(&r.findings()), [good.as_str()], "{r}");
    assert_eq!(r.summary()["complete"], false, "{r}");
    assert!(r.stderr().contains(&blob) && r.stderr().contains("INCOMPLETE"), "{r}");
    // Without another finding: exit 3, never "clean".
    repo.run(&["--range", "HEAD~1..HEAD"]).expect_code(3);
}

#[test]
fn shallow_clone_is_incomplete() {
    let origin = Repo::new();
    origin.commit_file("a.txt", "a\n", "one");
    origin.commit_file("b.txt", "b\n", "two");
    let clone = Dir::new();
    let url = format!("file://{}", origin.path().display());
    let dest = clone.path().join("c");
    origin.git(&["clone", "-q", "--depth", "1", &url, dest.to_str().unwrap()]);
    let r = clone.run(&["git", "--format", "jsonl", "--no-config", "c"]);
    r.expect_code(3);
    assert!(r.stderr().contains("shallow"), "{r}");
}

#[test]
fn repository_configured_commands_never_run() {
    let repo = Repo::new();
    let tok = github_token(140);
    repo.commit_file("a.txt", format!("{tok}\n"), "one");
    repo.write("b.txt", format!("{}\n", github_token(141)));
    repo.git(&["add", "b.txt"]);
    let marker = repo.path().join("PWNED");
    let touch = format!("touch {}", marker.display());
    let config = format!(
        "[core]\n\tfsmonitor = {touch}\n\thooksPath = .git/hooks\n[diff \"x\"]\n\ttextconv = {touch}\n\tcommand = {touch}\n\
         [filter \"x\"]\n\tclean = {touch}\n\tsmudge = {touch}\n\tprocess = {touch}\n\trequired = true\n"
    );
    let mut text = std::fs::read_to_string(repo.path().join(".git/config")).unwrap();
    text.push_str(&config);
    std::fs::write(repo.path().join(".git/config"), text).unwrap();
    std::fs::write(repo.path().join(".git/info/attributes"), "* diff=x filter=x\n").unwrap();
    repo.write(".gitattributes", "* diff=x filter=x\n");
    for args in [&[][..], &["--staged"], &["--all-objects", "--reflog"]] {
        let r = repo.run(args);
        r.expect_code(1);
        assert!(!marker.exists(), "a repository-configured command ran: {r}");
    }
}

#[test]
fn staged_scans_the_index_not_the_work_tree_and_only_added_lines() {
    let repo = Repo::new();
    let (committed, staged, unstaged, new_file) =
        (github_token(150), github_token(151), github_token(152), aws_key_id(153));
    repo.commit_file("app.cfg", format!("old={committed}\n"), "base");
    repo.write("app.cfg", format!("old={committed}\nnew={staged}\n"));
    repo.git(&["add", "app.cfg"]);
    repo.write("app.cfg", format!("old={committed}\nnew={staged}\nwip={unstaged}\n"));
    repo.write("new.txt", format!("aws {new_file}\n"));
    repo.git(&["add", "new.txt"]);
    let r = repo.run(&["--staged"]);
    r.expect_code(1);
    let f = r.findings();
    assert_eq!(secrets(&f), {
        let mut v = vec![staged.clone(), new_file.clone()];
        v.sort();
        v
    });
    let s = only(&r, &f, &staged);
    assert_eq!(
        (s["origin"]["kind"].as_str(), s["path"].as_str(), s["line"].as_u64()),
        (Some("staged"), Some("app.cfg"), Some(2))
    );
    // Nothing staged: clean. Unborn branch: everything staged is new.
    repo.git(&["commit", "-q", "--no-verify", "-m", "x"]);
    repo.run(&["--staged"]).expect_code(0);
    let fresh = Repo::new();
    fresh.write("a.txt", format!("{committed}\n"));
    fresh.git(&["add", "a.txt"]);
    assert_eq!(secrets(&fresh.run(&["--staged"]).findings()), [committed.as_str()]);
}

#[test]
fn pre_push_scans_only_what_the_push_sends() {
    let repo = Repo::new();
    let (pushed, update, branch) = (github_token(160), github_token(161), github_token(162));
    let c1 = repo.commit_file("a.txt", format!("{pushed}\n"), "already on the remote");
    repo.git(&["update-ref", "refs/remotes/origin/main", &c1]);
    let c2 = repo.commit_file("b.txt", format!("{update}\n"), "new on main");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    let c3 = repo.commit_file("c.txt", format!("{branch}\n"), "topic");
    let zero = "0".repeat(40);
    let push = |input: String| {
        repo.dir
            .run_stdin(&["git", "--pre-push", "--format", "jsonl", "--show-secrets", "--no-config"], input.as_bytes())
    };
    let r = push(format!("refs/heads/main {c2} refs/heads/main {c1}\n"));
    assert_eq!(secrets(&r.findings()), [update.as_str()], "{r}");
    let r = push(format!("refs/heads/topic {c3} refs/heads/topic {zero}\n"));
    let mut want = vec![update.clone(), branch.clone()];
    want.sort();
    assert_eq!(secrets(&r.findings()), want, "{r}");
    push(format!("(delete) {zero} refs/heads/old {c1}\n")).expect_code(0);
    push(String::new()).expect_code(0);
    push("garbage\n".into()).expect_code(2);
}

fn hook_install(repo: &Repo, args: &[&str]) -> Run {
    let mut all = vec!["hook", "install"];
    all.extend_from_slice(args);
    let mut c = repo.dir.cmd(&all);
    c.env("HOME", repo.path()).env("GIT_CONFIG_NOSYSTEM", "1").stdin(Stdio::null());
    Run { cmd: format!("leakscan {}", all.join(" ")), out: c.output().expect("spawn leakscan") }
}

#[test]
fn hook_install_refuses_foreign_hooks_and_honours_hooks_path() {
    let repo = Repo::new();
    let hooks = repo.path().join(".git/hooks");
    hook_install(&repo, &[]).expect_code(0);
    let installed = std::fs::read_to_string(hooks.join("pre-commit")).unwrap();
    assert!(installed.contains("git --staged"));
    hook_install(&repo, &[]).expect_code(0); // our own hook: replaced in place
    hook_install(&repo, &["--pre-push"]).expect_code(0);
    assert!(std::fs::read_to_string(hooks.join("pre-push")).unwrap().contains("--pre-push"));
    std::fs::write(hooks.join("pre-commit"), "#!/bin/sh\necho foreign\n").unwrap();
    let r = hook_install(&repo, &[]);
    r.expect_code(2);
    assert!(r.stderr().contains("--force"), "{r}");
    assert_eq!(std::fs::read_to_string(hooks.join("pre-commit")).unwrap(), "#!/bin/sh\necho foreign\n");
    hook_install(&repo, &["--force"]).expect_code(0);
    assert_eq!(std::fs::read_to_string(hooks.join("pre-commit.local")).unwrap(), "#!/bin/sh\necho foreign\n");
    repo.git(&["config", "core.hooksPath", "my hooks"]);
    hook_install(&repo, &[]).expect_code(0);
    assert!(repo.path().join("my hooks/pre-commit").is_file());
}

#[test]
fn pre_commit_hook_blocks_a_secret_end_to_end_and_chains() {
    let repo = Repo::new();
    repo.commit_file("README", "hi\n", "base");
    let chained = repo.path().join("CHAINED");
    let hooks = repo.path().join(".git/hooks");
    std::fs::write(hooks.join("pre-commit"), format!("#!/bin/sh\ntouch '{}'\n", chained.display())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(hooks.join("pre-commit"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    hook_install(&repo, &["--force"]).expect_code(0);
    let tok = github_token(170);
    repo.write("deploy.sh", format!("export GH_TOKEN={tok}\n"));
    repo.git(&["add", "deploy.sh"]);
    let out = repo.git_cmd(&["commit", "-q", "-m", "deploy"]).stdin(Stdio::null()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "commit went through: {stderr}");
    assert!(stderr.contains("commit blocked") && stderr.contains("deploy.sh") && stderr.contains("ghp_…"), "{stderr}");
    assert!(stderr.contains("leakscan:allow") && !stderr.contains(&tok), "{stderr}");
    assert!(!chained.exists(), "the chained hook ran although leakscan blocked");
    // A false positive marked inline goes through, and the chained hook runs.
    repo.write("deploy.sh", format!("export GH_TOKEN={tok} # leakscan:allow\n"));
    repo.git(&["add", "deploy.sh"]);
    repo.git(&["commit", "-q", "-m", "deploy"]);
    assert!(chained.exists());
}

#[test]
fn not_a_repository_is_not_clean() {
    let d = Dir::new();
    let r = d.run(&["git", "--no-config", "."]);
    r.expect_code(3);
    assert!(r.stderr().contains("not a git repository"), "{r}");
}
