#!/usr/bin/env python3
"""leakscan throughput benchmark against peer scanners (driven by bench/run).

Env knobs:
  INPUTS        comma list of rust,python,log or absolute paths   (default rust,python,log)
  TOOLS         comma list of cat,rg,leakscan,gitleaks,betterleaks,kingfisher,ripsecrets,detect-secrets
                (default: all)
  RUNS          runs per tool and input; medians are reported     (default 1)
  PEER_TIMEOUT  seconds before a run is killed and reported "timeout" (default 600)
  LOG_MB        size of the synthetic log in MiB                   (default 1024)
  DETECT_SECRETS_INPUTS  inputs detect-secrets runs on             (default python,log)
  LEAKSCAN_BIN, LEAKSCAN_ARGS  binary to bench / extra flags
  NO_FETCH=1    do not run `cargo fetch` for the rust input
  WAIT_IDLE     before each timed run wait up to this many seconds for the CPUs to be <25% busy (default 0)
"""
import datetime
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tools as T  # noqa: E402

BENCH = T.BENCH
MAIN = T.MAIN
DATA = os.path.join(BENCH, ".data")
LOAD_START = float("nan")
RESULTS = os.path.join(BENCH, "results")


def log(*a):
    print("[bench]", *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- inputs
def tree_stats(path):
    if os.path.isfile(path):
        return os.path.getsize(path), 1
    total = files = 0
    for root, dirs, fs in os.walk(path):
        for f in fs:
            p = os.path.join(root, f)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if (st.st_mode & 0o170000) == 0o100000:  # regular file
                total += st.st_size
                files += 1
    return total, files


def prep_rust():
    if os.environ.get("NO_FETCH") != "1" and shutil.which("cargo"):
        log("cargo fetch in", MAIN)
        r = subprocess.run(["cargo", "fetch"], cwd=MAIN, capture_output=True, text=True)
        if r.returncode != 0:
            log("cargo fetch failed (continuing with what is there):", r.stderr.strip()[-300:])
    home = os.environ.get("CARGO_HOME") or os.path.expanduser("~/.cargo")
    return os.path.join(home, "registry", "src"), "Rust crate sources in $CARGO_HOME/registry/src (after `cargo fetch`)"


def prep_python():
    src = subprocess.run([sys.executable, "-c", "import sysconfig;print(sysconfig.get_paths()['stdlib'])"],
                         capture_output=True, text=True, check=True).stdout.strip()
    dst = os.path.join(DATA, "python-stdlib")
    stamp = os.path.join(DATA, "python-stdlib.src")
    if not (os.path.isdir(dst) and os.path.exists(stamp) and open(stamp).read() == src):
        log("copying Python stdlib", src, "->", dst, "(without site-packages/ and __pycache__/)")
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst, symlinks=True, ignore=shutil.ignore_patterns("site-packages", "__pycache__"))
        with open(stamp, "w") as f:
            f.write(src)
    return dst, "Python %s standard library (copy of %s without site-packages/ and __pycache__/)" % (
        platform.python_version(), src)


def prep_log():
    mb = float(os.environ.get("LOG_MB", "1024"))
    out = os.path.join(DATA, "app.log")
    pj = out + ".planted.json"
    ok = False
    if os.path.exists(out) and os.path.exists(pj):
        try:
            meta = json.load(open(pj))
            ok = (meta.get("mb") == mb and os.path.getsize(out) == meta.get("bytes")
                  and os.path.getmtime(pj) >= os.path.getmtime(os.path.join(BENCH, "genlog.py")))
        except (ValueError, OSError):
            ok = False
    if not ok:
        log("generating %.0f MiB synthetic log %s" % (mb, out))
        subprocess.run([sys.executable, os.path.join(BENCH, "genlog.py"), out, "--mb", str(mb)], check=True)
        meta = json.load(open(pj))
        meta["mb"] = mb
        json.dump(meta, open(pj, "w"), indent=1)
    return out, "synthetic %g MiB app log (bench/genlog.py, seed %d, %d lines, 20 planted secrets)" % (
        mb, meta["seed"], meta["lines"])


PREP = {"rust": prep_rust, "python": prep_python, "log": prep_log}


# ---------------------------------------------------------------- running
def parse_time_v(path):
    d = {}
    try:
        for line in open(path, errors="replace"):
            line = line.strip()
            if line.startswith("Command terminated by signal"):
                d["Command terminated by signal"] = line.rsplit(" ", 1)[-1]
            elif ": " in line:
                k, v = line.split(": ", 1)
                d[k.strip()] = v.strip()
    except OSError:
        pass

    def num(k):
        try:
            return float(d.get(k, "nan"))
        except ValueError:
            return float("nan")

    return {"user": num("User time (seconds)"), "sys": num("System time (seconds)"),
            "maxrss_kb": num("Maximum resident set size (kbytes)"), "signal": d.get("Command terminated by signal")}


def run_once(tool, target, outdir, timeout, tag=""):
    base = os.path.join(outdir, tool.name.split()[0] + tag)
    out = base + tool.report_ext
    tfile = base + ".time"
    for p in (out, tfile):
        if os.path.exists(p):
            os.remove(p)
    cmd = tool.cmd(target, out)
    full = ["/usr/bin/time", "-v", "-o", tfile, "timeout", "-k", "10", str(timeout), *cmd]
    env = dict(os.environ)
    env.update(getattr(tool, "env", lambda: {})())
    stdout = open(out, "wb") if tool.stdout_is_report else subprocess.DEVNULL
    busy = wait_idle(int(os.environ.get("WAIT_IDLE", "0")))
    load_before = loadavg()
    with open(base + ".stderr", "wb") as err:
        t0 = time.monotonic()
        try:
            cwd = tool.run_cwd(target) if hasattr(tool, "run_cwd") else outdir
            rc = subprocess.run(full, stdout=stdout, stderr=err, cwd=cwd, env=env).returncode
        except OSError as e:
            rc = -1
            err.write(str(e).encode())
        wall = time.monotonic() - t0
    if stdout is not subprocess.DEVNULL:
        stdout.close()
    tv = parse_time_v(tfile)
    load = loadavg()
    if rc == 124 or (rc == 137 and wall >= timeout):
        status = "timeout"
    elif rc in tool.ok_codes:
        status = "ok" if tool.report_complete(out) else "failed (exit %s, no whole report)" % rc
    else:
        status = "failed (exit %s%s)" % (rc, ", signal %s" % tv["signal"] if tv.get("signal") else "")
    return {"cmd": cmd, "rc": rc, "status": status, "wall": wall, "cpu": tv["user"] + tv["sys"], "user": tv["user"],
            "sys": tv["sys"], "maxrss_mb": tv["maxrss_kb"] / 1024.0, "out": out, "stderr": base + ".stderr",
            "load_before": load_before, "load_after": load, "busy_before": busy}


def cpu_busy(interval=2.0):
    """Fraction of all CPUs busy over `interval` seconds (from /proc/stat)."""
    def snap():
        v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
        idle = v[3] + (v[4] if len(v) > 4 else 0)
        return sum(v), idle
    try:
        t0, i0 = snap()
        time.sleep(interval)
        t1, i1 = snap()
        return 1.0 - (i1 - i0) / max(1, t1 - t0)
    except (OSError, ValueError, IndexError):
        return 0.0


def wait_idle(budget):
    """WAIT_IDLE: wait up to `budget` s until the CPUs are mostly idle (<25 % busy), so other people's
    compiles don't land inside a timed run. Returns the busy fraction seen last."""
    if budget <= 0:
        return None
    deadline = time.monotonic() + budget
    while True:
        b = cpu_busy()
        if b < 0.25 or time.monotonic() >= deadline:
            if b >= 0.25:
                log("machine still %.0f%% busy after waiting %ds; running anyway" % (b * 100, budget))
            return b
        time.sleep(3)


def loadavg():
    try:
        return float(open("/proc/loadavg").read().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


def planted_hits(findings, planted):
    hits = {}
    matched = [False] * len(findings)
    for p in planted:
        for i, f in enumerate(findings):
            line, s = f.get("line"), f.get("secret")
            ok = isinstance(line, int) and p["line"] <= line <= p["end_line"]
            if not ok and s:
                ok = p["secret"] in s or (len(s) >= 12 and not f.get("secret_is_line") and s in p["secret"])
            if ok:
                matched[i] = True
                hits.setdefault(p["id"], f.get("rule"))
    return hits, matched.count(False)


def median(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def warmup_tools(tools, timeout):
    """Run each tool once on a tiny tree (untimed): one-time caches such as kingfisher's compiled rule DB."""
    d = os.path.join(DATA, "warmup")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.env"), "w") as f:
        f.write("GITHUB_TOKEN=ghp_%s\nDEBUG=false\n" % ("x1Y2z3" * 6))
    outdir = os.path.join(DATA, "out", "_warmup")
    os.makedirs(outdir, exist_ok=True)
    for t in tools:
        if t.available():
            r = run_once(t, d, outdir, min(timeout, 300))
            if r["status"] != "ok":
                log("warm-up of %s: %s (see %s)" % (t.name, r["status"], r["stderr"]))


# ---------------------------------------------------------------- report
def fmt(x, nd=2):
    if x is None or x != x:
        return "-"
    if abs(x) >= 1000:
        return "%.0f" % x
    if abs(x) >= 100:
        return "%.1f" % x
    return ("%%.%df" % nd) % x


def table(inp, rows):
    is_log = inp["planted"] is not None
    head = ["tool", "wall s", "CPU s", "peak RSS MB", "MB/s", "MB/CPU-s", "findings"]
    if is_log:
        head += ["planted found", "other findings"]
    head += ["leakscan/peer wall"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|"]
    ls = next((r for r in rows if r["tool"] == "leakscan" and r["status"] == "ok"), None)
    for r in rows:
        if r["status"] in ("ok", "timeout"):
            to = r["status"] == "timeout"
            wall = (">" if to else "") + fmt(r["wall"])
            mbs = ("<" if to else "") + fmt(inp["bytes"] / 1e6 / r["wall"], 1) if r["wall"] else "-"
            if r.get("kind") == "floor":
                fnd = "(%d lines)" % r["matching_lines"] if r.get("matching_lines") is not None else "-"
            else:
                fnd = "timeout" if to else str(r["findings"])
            # a killed run's CPU/RSS are partial (children killed by timeout are not reaped): not shown
            mbc = fmt(inp["bytes"] / 1e6 / r["cpu"], 1) if (not to and r.get("cpu") and r["cpu"] == r["cpu"]) else "-"
            cells = [r["tool"], wall, "-" if to else fmt(r["cpu"]), "-" if to else fmt(r["maxrss_mb"], 1), mbs, mbc, fnd]
            if is_log:
                if r.get("kind") == "floor" or to:
                    cells += ["-", "-"]
                else:
                    cells += ["%d/%d" % (len(r["planted_found"]), len(inp["planted"])), str(r["other_findings"])]
            if ls and r["wall"]:
                ratio = ls["wall"] / r["wall"]
                cells.append("<0.01" if ratio < 0.01 else "%s%.2f" % ("<" if to else "", ratio))
            else:
                cells.append("-")
        else:
            cells = [r["tool"], r["status"]] + [""] * (len(head) - 2)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def planted_matrix(inp, rows):
    scanners = [r for r in rows if r.get("kind") != "floor" and r["status"] == "ok"]
    if not scanners:
        return ""
    head = "| planted secret | line | " + " | ".join(r["tool"] for r in scanners) + " |"
    out = [head, "|---|---:|" + "|".join(":---:" for _ in scanners) + "|"]
    for p in inp["planted"]:
        out.append("| %s | %d | %s |" % (p["id"], p["line"], " | ".join(
            "yes" if p["id"] in r["planted_found"] else "**no**" for r in scanners)))
    return "\n".join(out)


def skipped_row(t, inp, ds_inputs):
    """The row of a tool that does not run on this input, or None when it runs."""
    row = {"tool": t.name, "kind": t.kind}
    if t.name == "detect-secrets" and inp["name"] not in ds_inputs:
        row["status"] = "skipped (DETECT_SECRETS_INPUTS)"
        return row
    if not t.available():
        row["status"] = "not built" if t.name == "leakscan" else "not installed"
        log("%s: %s" % (t.name, row["status"]))
        return row
    return None


def bench_input(tools, inp, outdir, runs, timeout, ds_inputs):
    """Every tool's rows for one input. The runs are interleaved (run 1 of every tool, then
    run 2, ...): a slow phase of the machine then falls on the runs of every tool alike, not on
    the consecutive runs of one (a run of this machine once gave leakscan 0.18 s in all three
    of its back-to-back runs, 3.7x rg, and bench/rg-ratio 2.6x a minute later)."""
    # rows: the tools done with (skipped, or a harness error); done: the runs of the others.
    rows = {t.name: row for t in tools if (row := skipped_row(t, inp, ds_inputs))}
    done = {t.name: [] for t in tools if t.name not in rows}

    def harness_error(t, e):
        log("%s / %s: harness error: %r" % (inp["name"], t.name, e))
        rows[t.name] = {"tool": t.name, "kind": t.kind, "status": "harness error: %s" % e}

    for i in range(runs):
        for t in tools:
            rs = done.get(t.name)
            if rs is None or t.name in rows or (rs and rs[-1]["status"] != "ok"):
                continue
            try:
                r = run_once(t, inp["path"], outdir, timeout, tag="" if runs == 1 else ".%d" % i)
            except Exception as e:  # noqa: BLE001  a broken tool must not stop the bench
                harness_error(t, e)
                continue
            log("%s / %s run %d: %s wall %.2fs cpu %.2fs rss %.0fMB" % (
                inp["name"], t.name, i + 1, r["status"], r["wall"], r["cpu"], r["maxrss_mb"]))
            rs.append(r)
    for t in tools:
        if t.name not in rows:
            try:
                rows[t.name] = finish_row(t, inp, done[t.name])
            except Exception as e:  # noqa: BLE001  a broken report must not stop the bench
                harness_error(t, e)
    return [rows[t.name] for t in tools]


def finish_row(t, inp, rs):
    """A tool's row from its runs on one input: medians, and the findings of its last report."""
    row = {"tool": t.name, "kind": t.kind}
    last = rs[-1]
    row.update({"status": last["status"], "cmd": last["cmd"], "rc": last["rc"], "runs": len(rs),
                "wall": median([r["wall"] for r in rs]), "cpu": median([r["cpu"] for r in rs]),
                "maxrss_mb": median([r["maxrss_mb"] for r in rs]),
                "walls": [round(r["wall"], 3) for r in rs], "report": last["out"],
                "load": max(max(r["load_before"], r["load_after"]) for r in rs)})
    if last["status"] == "ok":
        try:
            findings = t.parse(last["out"])
        except Exception as e:  # noqa: BLE001
            row["status"] = "report unparsable: %s" % e
            return row
        row["findings"] = len(findings)
        if t.kind == "floor" and hasattr(t, "matching_lines"):
            row["matching_lines"] = t.matching_lines
        rules = {}
        for f in findings:
            rules[f.get("rule")] = rules.get(f.get("rule"), 0) + 1
        row["top_rules"] = sorted(rules.items(), key=lambda kv: -kv[1])[:10]
        if t.name == "leakscan" and getattr(t, "summary", None):
            sm = t.summary
            row["leakscan_summary"] = {k: sm.get(k) for k in ("files_scanned", "bytes_scanned", "complete",
                                                              "incomplete_reasons", "skipped", "elapsed_secs")}
            if isinstance(sm.get("bytes_scanned"), int) and sm["bytes_scanned"] < inp["bytes"] * 0.99:
                row["note"] = "leakscan scanned %d of %d bytes (%s files of %d; skipped: %s)" % (
                    sm["bytes_scanned"], inp["bytes"], sm.get("files_scanned"), inp["files"], sm.get("skipped"))
            if sm.get("complete") is False:
                row["note"] = (row.get("note", "") + " incomplete: %s" % sm.get("incomplete_reasons")).strip()
        if inp["planted"] is not None and t.kind != "floor":
            hits, other = planted_hits(findings, inp["planted"])
            row["planted_found"] = hits
            row["planted_missed"] = [p["id"] for p in inp["planted"] if p["id"] not in hits]
            row["other_findings"] = other
    elif last["status"] != "timeout":
        try:
            row["stderr_tail"] = open(last["stderr"], errors="replace").read()[-600:]
        except OSError:
            pass
    return row


def machine_info():
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        mem = "%.0f GiB" % (int(open("/proc/meminfo").readline().split()[1]) / 2**20)
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "mem": mem, "kernel": platform.release()}


def main():
    inputs = [x.strip() for x in os.environ.get("INPUTS", "rust,python,log").split(",") if x.strip()]
    names = [x.strip() for x in os.environ.get("TOOLS", ",".join(T.BY_NAME)).split(",") if x.strip()]
    bad = [n for n in names if n not in T.BY_NAME]
    if bad:
        sys.exit("unknown TOOLS %s (known: %s)" % (bad, ",".join(T.BY_NAME)))
    tools = [T.BY_NAME[n] for n in names]
    runs = max(1, int(os.environ.get("RUNS", "1")))
    timeout = int(os.environ.get("PEER_TIMEOUT", "600"))
    ds_inputs = os.environ.get("DETECT_SECRETS_INPUTS", "python,log").split(",")
    os.makedirs(DATA, exist_ok=True)
    os.makedirs(RESULTS, exist_ok=True)

    versions = {t.name: (t.version() if t.available() else "not built" if t.name == "leakscan" else "not installed")
                for t in tools}
    for k, v in versions.items():
        log("%-15s %s" % (k, v))
    if "leakscan" in names and T.leakscan_stale():
        versions["leakscan"] += " (WARNING: binary older than src/ or rules/)"
        log("WARNING: leakscan binary is older than src/ or rules/")

    prepared = []
    for name in inputs:
        try:
            if name in PREP:
                path, desc = PREP[name]()
            else:
                path, desc = os.path.abspath(name), "user path"
                name = os.path.basename(path.rstrip("/")) or name
            if not os.path.exists(path):
                log("input %s: %s does not exist, skipped" % (name, path))
                continue
            nbytes, nfiles = tree_stats(path)
            planted = None
            if os.path.exists(path + ".planted.json"):
                planted = json.load(open(path + ".planted.json"))["planted"]
            prepared.append({"name": name, "path": path, "desc": desc, "bytes": nbytes, "files": nfiles, "planted": planted})
            log("input %s: %s, %.1f MB in %d files" % (name, path, nbytes / 1e6, nfiles))
        except Exception as e:  # noqa: BLE001
            log("input %s: preparation failed: %s" % (name, e))

    warmup_tools(tools, timeout)

    results = []
    global LOAD_START
    LOAD_START = loadavg()
    if LOAD_START > (os.cpu_count() or 1) * 0.5:
        log("WARNING: load average %.1f on %d cores: other work is running; wall times will be inflated "
            "(CPU times are less affected)" % (LOAD_START, os.cpu_count() or 1))
    for inp in prepared:
        outdir = os.path.join(DATA, "out", inp["name"])
        os.makedirs(outdir, exist_ok=True)
        log("== %s: warm-up cat of %s" % (inp["name"], inp["path"]))
        subprocess.run(["bash", "-c", 'find "$1" -type f -print0 | xargs -0 cat > /dev/null', "warm", inp["path"]])
        results.append({"input": inp, "rows": bench_input(tools, inp, outdir, runs, timeout, ds_inputs)})

    write_report(results, versions, runs, timeout)


def write_report(results, versions, runs, timeout, now=None, mi=None):
    now = now or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    mi = mi or machine_info()
    md = ["# leakscan benchmark — latest run", "",
          "%s · %s · %s cores · %s RAM · Linux %s · %s per tool and input%s · timeout %d s · warm page cache" % (
              now, mi["cpu"], mi["cores"], mi["mem"], mi["kernel"],
              "1 run" if runs == 1 else "median of %d runs" % runs, " (single run, not a median)" if runs == 1 else "",
              timeout), "",
          "MB = 10^6 bytes; MB/s = input bytes / wall time; MB/CPU-s = input bytes / CPU time (less sensitive to "
          "other load; not a speed on its own for multi-threaded tools). CPU = user+sys. Peak RSS = largest single process. "
          "`leakscan/peer wall` < 1 means leakscan is faster. Generated by `bench/run`; see bench/README.md.", ""]
    for res in results:
        inp, rows = res["input"], res["rows"]
        md += ["## %s — %.1f MB in %d files" % (inp["name"], inp["bytes"] / 1e6, inp["files"]), "",
               "%s: `%s`" % (inp["desc"], inp["path"].replace(os.path.expanduser("~"), "~")), "", table(inp, rows), ""]
        if inp["planted"] is not None:
            md += ["Planted secrets found (line, or secret substring, in the tool's report):", "", planted_matrix(inp, rows), ""]
        notes = [r for r in rows if (r["status"] not in ("ok",) and not r["status"].startswith("skipped")) or r.get("note")]
        for r in notes:
            if r["status"] == "timeout":
                md.append("- %s: killed after %d s (PEER_TIMEOUT); wall and MB/s are bounds" % (r["tool"], timeout))
                continue
            if r.get("note"):
                md.append("- %s: %s" % (r["tool"], r["note"]))
                continue
            md.append("- %s: %s%s" % (r["tool"], r["status"], (" — `%s`" % r["stderr_tail"].strip().splitlines()[-1][:200])
                                       if r.get("stderr_tail", "").strip() else ""))
        if notes:
            md.append("")
    loads = [r.get("load") for res in results for r in res["rows"] if r.get("load") is not None]
    maxload = max(loads) if loads else float("nan")
    cores = os.cpu_count() or 1
    # the scanner itself keeps ~`cores` threads busy; more than that means someone else was running too
    if (maxload == maxload and maxload > cores * 1.5) or LOAD_START > cores * 0.5:
        md.insert(6, "**Machine was busy**: 1-min load average up to %.1f on %d cores during the runs (%.1f at start): "
                  "wall times and MB/s are inflated by contention; compare CPU s, or rerun on an idle machine.\n"
                  % (maxload, cores, LOAD_START))
    else:
        md.insert(6, "1-min load average during the runs: at most %.1f on %d cores.\n" % (maxload, cores))
    md += ["## Tools", ""]
    for k, v in versions.items():
        md.append("- **%s**: %s" % (k, v))
    md += ["", "Command lines (PATH = input, OUT = report file):", ""]
    seen = set()
    for res in results:
        for r in res["rows"]:
            if r.get("cmd") and r["tool"] not in seen:
                seen.add(r["tool"])
                cmd = [os.path.basename(c) if i == 0 else c for i, c in enumerate(r["cmd"])]
                p = res["input"]["path"]
                cmd = [("PATH" if c == p else "BASENAME(PATH)" if c == os.path.basename(p) else "OUT" if c == r.get("report")
                        else c) for c in cmd]
                extra = ""
                if r["tool"] == "detect-secrets":
                    extra = " (run from dirname(PATH): detect-secrets ignores absolute paths outside its cwd)"
                if r.get("kind") != "floor":
                    extra += " (report on stdout)" if T.BY_NAME[r["tool"].split()[0]].stdout_is_report else ""
                md.append("- %s: `%s`%s" % (r["tool"], shlex.join(cmd), extra))
    md.append("")
    text = "\n".join(md)
    with open(os.path.join(RESULTS, "latest.md"), "w") as f:
        f.write(text)
    raw = {"date": now, "machine": mi, "runs": runs, "timeout": timeout, "load_start": LOAD_START, "versions": versions,
           "results": results}
    with open(os.path.join(RESULTS, "latest.json"), "w") as f:
        json.dump(raw, f, indent=1, default=str)
    print(text)
    log("wrote %s and latest.json" % os.path.join(RESULTS, "latest.md"))


def render():
    """`bench.py --render`: rewrite latest.md from latest.json (after a formatting change), without running."""
    global LOAD_START
    raw = json.load(open(os.path.join(RESULTS, "latest.json")))
    LOAD_START = raw.get("load_start", float("nan"))
    write_report(raw["results"], raw["versions"], raw["runs"], raw["timeout"], raw["date"], raw["machine"])


if __name__ == "__main__":
    if sys.argv[1:] == ["--render"]:
        render()
    else:
        main()
