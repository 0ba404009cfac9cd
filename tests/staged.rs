//! `leakscan git --staged` against the shapes an index takes: versions 2–4 (4 compresses
//! paths), a null trailing checksum (`index.skipHash`, set by `feature.manyFiles`), a cache
//! tree fresh or invalidated, renames, deletions, subdirectories, intent-to-add entries,
//! `GIT_INDEX_FILE` and a corrupt index file.

use crate::git::{secrets, Repo};
use crate::util::{aws_key_id, github_token};

/// The version field of the repository's index file.
fn index_version(repo: &Repo) -> u32 {
    let data = std::fs::read(repo.path().join(".git/index")).expect("read index");
    u32::from_be_bytes(data[4..8].try_into().unwrap())
}

/// A committed tree of a few directories, then staged: a secret in a new file three levels
/// down, a secret added to a committed file in a subdirectory, an edited rename, a deletion
/// and an intent-to-add file (a placeholder: its work-tree secret is not staged).
fn staged_changes(repo: &Repo) -> Vec<String> {
    let (committed, gone, nested, edited, renamed, placeholder) = (
        github_token(300),
        github_token(301),
        github_token(302),
        aws_key_id(303),
        github_token(304),
        github_token(305),
    );
    for d in ["a", "a/b", "other", "z"] {
        repo.write(&format!("{d}/plain.txt"), format!("nothing in {d}\n"));
    }
    repo.write("a/b/keep.txt", format!("old={committed}\n"));
    repo.write("move-me.txt", "line one\n");
    repo.write("gone.txt", format!("gone={gone}\n"));
    repo.git(&["add", "."]);
    repo.commit("base");
    repo.write("a/b/c/new.txt", format!("token {nested}\n"));
    repo.write("a/b/keep.txt", format!("old={committed}\nnew={edited}\n"));
    repo.git(&["mv", "move-me.txt", "z/moved.txt"]);
    repo.write("z/moved.txt", format!("line one\nrenamed={renamed}\n"));
    repo.git(&["rm", "-q", "gone.txt"]);
    repo.write("ita.txt", format!("later={placeholder}\n"));
    repo.git(&["add", "a", "z"]);
    repo.git(&["add", "-N", "ita.txt"]);
    let mut v = vec![nested, edited, renamed];
    v.sort();
    v
}

#[test]
fn every_index_version_yields_what_the_commit_adds() {
    for (version, skip_hash) in [(2, false), (3, false), (4, false), (4, true)] {
        let repo = Repo::new();
        if skip_hash {
            repo.git(&["config", "index.skipHash", "true"]);
        }
        let expected = staged_changes(&repo);
        repo.git(&["update-index", "--index-version", &version.to_string()]);
        // Version 2 cannot hold the intent-to-add flag: git writes 3 then.
        assert_eq!(index_version(&repo), version.max(3), "index version");
        let run = repo.run(&["--staged"]);
        run.expect_code(1);
        assert_eq!(secrets(&run.findings()), expected, "version {version}, skipHash {skip_hash}: {run}");
        // A fresh cache tree (as `git commit` leaves it before running the hook): unchanged
        // directories are skipped whole, changed ones still compared entry by entry.
        repo.git(&["write-tree"]);
        let run = repo.run(&["--staged"]);
        assert_eq!(secrets(&run.findings()), expected, "after write-tree, version {version}: {run}");
    }
}

#[test]
fn a_commit_leaves_nothing_staged_and_git_index_file_is_honoured() {
    let repo = Repo::new();
    staged_changes(&repo);
    repo.git(&["rm", "-q", "--cached", "ita.txt"]);
    repo.commit("all of it");
    repo.run(&["--staged"]).expect_code(0);
    // Another index (as `git commit -a` or `git commit PATH` use): only it is read.
    let other = repo.path().join(".git/other-index");
    std::fs::copy(repo.path().join(".git/index"), &other).unwrap();
    let tok = github_token(310);
    repo.write("other/more.txt", format!("{tok}\n"));
    let status = repo.git_cmd(&["add", "other/more.txt"]).env("GIT_INDEX_FILE", &other).status().unwrap();
    assert!(status.success());
    repo.run(&["--staged"]).expect_code(0);
    let mut c = repo.dir.cmd(&["git", "--format", "jsonl", "--show-secrets", "--no-config", "--staged"]);
    let out = c.env("GIT_INDEX_FILE", &other).output().unwrap();
    let run = crate::util::Run { cmd: "leakscan git --staged (GIT_INDEX_FILE)".into(), out };
    run.expect_code(1);
    assert_eq!(secrets(&run.findings()), [tok]);
}

#[test]
fn a_corrupt_index_is_an_incomplete_scan() {
    let repo = Repo::new();
    staged_changes(&repo);
    let file = repo.path().join(".git/index");
    let data = std::fs::read(&file).unwrap();
    for cut in [0, 11, 40, data.len() / 2] {
        std::fs::write(&file, &data[..cut]).unwrap();
        let run = repo.run(&["--staged"]);
        run.expect_code(3);
        assert!(run.stderr().contains("unreadable git index"), "{run}");
    }
}
