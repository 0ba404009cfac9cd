"""Scanner adapters shared by bench.py and corpus-score.

Each tool knows how to build its command line for a target path and an output
file, which exit codes mean "ran fine", and how to parse its report into a
uniform list of findings: {"path", "line", "secret", "rule"} (secret/line may
be None when a tool does not report them).
"""
import json
import os
import re
import shutil
import subprocess

BENCH = os.path.dirname(os.path.abspath(__file__))
MAIN = os.path.dirname(BENCH)
PEERS = os.path.join(BENCH, ".peers")
PEER_BIN = os.path.join(PEERS, "bin")


def leakscan_bin():
    return os.environ.get("LEAKSCAN_BIN") or os.path.join(MAIN, "target", "release", "leakscan")


def peer_bin(name):
    p = os.path.join(PEER_BIN, name)
    return p if os.path.isfile(p) and os.access(p, os.X_OK) else None


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _load_json(path):
    txt = _read(path).strip()
    if not txt:
        return None
    return json.loads(txt)


class Tool:
    name = ""
    kind = "scanner"          # scanner | floor
    ok_codes = (0,)
    stdout_is_report = False  # report is on stdout (we redirect it to the out file)
    report_ext = ".json"

    def binary(self):
        raise NotImplementedError

    def available(self):
        return self.binary() is not None

    def version(self):
        return ""

    def cmd(self, target, out):
        raise NotImplementedError

    def parse(self, out):
        """-> list of findings dicts"""
        return []

    def report_complete(self, out):
        """Whether a run that exited with an ok code wrote a whole report (a tool whose
        report says nothing of its end is taken at its word)."""
        return True

    def _ver(self, *args):
        b = self.binary()
        if not b:
            return ""
        try:
            r = subprocess.run([b, *args], capture_output=True, text=True, timeout=60)
            return (r.stdout + r.stderr).strip().splitlines()[0].strip() if (r.stdout + r.stderr).strip() else ""
        except Exception as e:  # noqa: BLE001
            return "version failed: %s" % e


class Leakscan(Tool):
    name = "leakscan"
    ok_codes = (0, 1, 3)
    report_ext = ".jsonl"

    def binary(self):
        b = leakscan_bin()
        return b if os.path.isfile(b) and os.access(b, os.X_OK) else None

    def version(self):
        return self._ver("--version")

    def cmd(self, target, out):
        extra = os.environ.get("LEAKSCAN_ARGS", "").split()
        # --no-config: this repo's own .leakscan.toml allowlists bench/.data/ (where the inputs live) and
        # would be picked up from the working directory; the bench measures the built-in defaults
        return [self.binary(), target, "--format", "jsonl", "--show-secrets", "-q", "--no-config", "--output", out, *extra]

    def report_complete(self, out):
        """The JSONL report ends with leakscan's summary record: a binary that exits 1 (or 0)
        without scanning is not a fast run."""
        try:
            with open(out, "rb") as f:
                f.seek(max(0, os.path.getsize(out) - 65536))
                tail = f.read().splitlines()
        except OSError:
            return False
        try:
            return bool(tail) and json.loads(tail[-1]).get("type") == "summary"
        except ValueError:
            return False

    def parse(self, out):
        res = []
        self.summary = None
        for line in _read(out).splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                o = json.loads(line)
            except ValueError:
                continue
            t = o.get("type")
            if t == "finding":
                res.append({"path": o.get("path"), "line": o.get("line"), "secret": o.get("secret"), "rule": o.get("rule")})
            elif t == "summary":
                self.summary = o
        return res


def leakscan_stale():
    """True when target/release/leakscan is older than the sources or rules it is built from."""
    b = leakscan_bin()
    if os.environ.get("LEAKSCAN_BIN") or not os.path.exists(b):
        return False
    t = os.path.getmtime(b)
    for d in ("src", "rules"):
        for root, _, files in os.walk(os.path.join(MAIN, d)):
            for f in files:
                try:
                    if os.path.getmtime(os.path.join(root, f)) > t:
                        return True
                except OSError:
                    pass
    return False


class Gitleaks(Tool):
    name = "gitleaks"

    def binary(self):
        return peer_bin("gitleaks")

    def version(self):
        return self._ver("version")

    def cmd(self, target, out):
        return [self.binary(), "dir", target, "--report-format", "json", "--report-path", out,
                "--no-banner", "--exit-code", "0", "--log-level", "warn"]

    def parse(self, out):
        data = _load_json(out) or []
        return [{"path": f.get("File"), "line": f.get("StartLine"), "secret": f.get("Secret"), "rule": f.get("RuleID")}
                for f in data]


class Betterleaks(Tool):
    name = "betterleaks"

    def binary(self):
        return peer_bin("betterleaks")

    def version(self):
        return self._ver("version")

    def cmd(self, target, out):
        return [self.binary(), "fs", target, "-o", out, "--no-banner", "--exit-code", "0", "--log-level", "warn"]

    def parse(self, out):
        data = _load_json(out) or {}
        items = data.get("findings", []) if isinstance(data, dict) else data
        res = []
        for f in items or []:
            loc = f.get("location") or {}
            m = f.get("match") or {}
            res.append({"path": loc.get("path", f.get("File")), "line": loc.get("start_line", f.get("StartLine")),
                        "secret": m.get("value", f.get("Secret")), "rule": f.get("rule_id", f.get("RuleID"))})
        return res


class Kingfisher(Tool):
    name = "kingfisher"
    ok_codes = (0, 200, 205)  # 200: findings, 205: validated findings

    def binary(self):
        return peer_bin("kingfisher")

    def version(self):
        return self._ver("--version")

    def cmd(self, target, out):
        # --max-file-size 0: the default (256 MB) would silently skip the 1 GB log
        return [self.binary(), "scan", target, "--format", "json", "--output", out, "--no-validate",
                "--no-update-check", "--quiet", "--max-file-size", "0"]

    def env(self):
        return {"KF_RULE_CACHE_DIR": os.path.join(PEERS, "kingfisher-rule-cache")}

    def parse(self, out):
        data = _load_json(out) or {}
        res = []
        for f in data.get("findings", []):
            fi = f.get("finding") or {}
            ru = f.get("rule") or {}
            res.append({"path": fi.get("path"), "line": fi.get("line"), "secret": fi.get("snippet"), "rule": ru.get("id")})
        return res


class Ripsecrets(Tool):
    name = "ripsecrets"
    ok_codes = (0, 1)
    stdout_is_report = True
    report_ext = ".txt"
    _re = re.compile(r"^(.*?):(\d+):(.*)$")

    def binary(self):
        return peer_bin("ripsecrets")

    def version(self):
        return self._ver("--version")

    def cmd(self, target, out):
        return [self.binary(), target]

    def parse(self, out):
        res = []
        for line in _read(out).splitlines():
            m = self._re.match(line)
            if m:
                # ripsecrets prints the whole line, not the secret: keep it as "secret" (containment scoring)
                res.append({"path": m.group(1), "line": int(m.group(2)), "secret": m.group(3), "rule": "ripsecrets",
                            "secret_is_line": True})
        return res


class DetectSecrets(Tool):
    name = "detect-secrets"
    stdout_is_report = True

    def binary(self):
        return peer_bin("detect-secrets")

    def version(self):
        return self._ver("--version")

    def cmd(self, target, out):
        # detect-secrets silently reports nothing for paths outside its working directory:
        # run it from the target's parent with a relative path (see run_cwd)
        return [self.binary(), "scan", os.path.basename(target.rstrip("/")), "--all-files"]

    def run_cwd(self, target):
        return os.path.dirname(os.path.abspath(target).rstrip("/"))

    def parse(self, out):
        data = _load_json(out) or {}
        res = []
        for fn, items in (data.get("results") or {}).items():
            for f in items:
                res.append({"path": f.get("filename", fn), "line": f.get("line_number"), "secret": None, "rule": f.get("type")})
        return res


class Cat(Tool):
    name = "cat (floor)"
    kind = "floor"
    ok_codes = (0,)
    report_ext = ".txt"

    def binary(self):
        return shutil.which("cat")

    def version(self):
        return "find | xargs -0 cat > /dev/null"

    def cmd(self, target, out):
        return ["bash", "-c", 'find "$1" -type f -print0 | xargs -0 cat > /dev/null', "cat-floor", target]

    def parse(self, out):
        return []


RG_LITERALS = ["ghp_", "AKIA", "xoxb-", "sk_live_", "glpat-", "BEGIN", "password", "secret", "token"]


class Rg(Tool):
    name = "rg (floor)"
    kind = "floor"
    ok_codes = (0, 1)
    stdout_is_report = True
    report_ext = ".txt"

    def binary(self):
        return shutil.which("rg")

    def version(self):
        return self._ver("--version")

    def cmd(self, target, out):
        a = [self.binary(), "-c", "-F"]
        for lit in RG_LITERALS:
            a += ["-e", lit]
        return a + ["--no-ignore", "--hidden", "-a", target]

    def parse(self, out):
        # -c: "path:count" per file (just "count" for a single file); findings = matching lines
        n = 0
        for line in _read(out).splitlines():
            c = line.rsplit(":", 1)[-1]
            if c.isdigit():
                n += int(c)
        self.matching_lines = n
        return []


ALL = [Cat(), Rg(), Leakscan(), Gitleaks(), Betterleaks(), Kingfisher(), Ripsecrets(), DetectSecrets()]
BY_NAME = {t.name.split()[0]: t for t in ALL}  # "cat", "rg", "leakscan", ...
