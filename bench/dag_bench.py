#!/usr/bin/python3
"""DAG overhead benchmark: mlopsd against make, snakemake and a bare spawn loop.

Generates the same DAG of no-op stages (stage sI runs `touch sI` and has the
file sI as its output) as a mlopsd pipeline, a Makefile and a Snakefile, in a
temporary folder, and times each tool on it with two jobs at a time:

  chain  1000 stages, each needing the previous one
  fan    20 diamonds of width 50 (root -> 50 parallel stages -> join, the join
         being the next diamond's root): 1021 stages

The last stage also declares the file in.txt as an input (a prerequisite for
make and snakemake). Also: the up-to-date check of the unchanged pipeline
(mlopsd: a trigger that must be recorded up to date, pointing at the last run
that ran the stages, with no attempts of its own; make: a no-op make); a
changed in.txt (mlopsd: every stage but the last must be a cache hit; make:
one target rebuilt); the round trip of `mlctl trigger --wait` on a one-stage
pipeline; and the daemon's peak RSS.
Prints the figures and, with --results, writes them as Markdown.

Standard library only; run it with Debian's /usr/bin/python3 (bench/run.sh
builds the binaries first). Not part of the test suite.
"""

import argparse
import datetime
import json
import os
import shutil
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time

CHAIN_STAGES = 1000
FAN_WIDTH = 50
FAN_DIAMONDS = 20
JOBS = 2
TRIGGER_TIMEOUT_S = 300


class BenchError(Exception):
    pass


# --- the DAGs -----------------------------------------------------------------

def chain_dag(n):
    """deps[i] lists the stages stage i needs."""
    return [[i - 1] if i else [] for i in range(n)]


def fan_dag(width, diamonds):
    deps = [[]]
    root = 0
    for _ in range(diamonds):
        first = len(deps)
        deps.extend([root] for _ in range(width))
        deps.append(list(range(first, first + width)))
        root = len(deps) - 1
    return deps


INPUT = "in.txt"  # declared input of the last stage


def write_input(folder, text):
    with open(os.path.join(folder, INPUT), "w") as f:
        f.write(text)


def write_pipeline(path, name, deps):
    lines = ["version: 1", f"name: {name}", "stages:"]
    for i, need in enumerate(deps):
        needs = f", needs: [{', '.join(f's{d}' for d in need)}]" if need else ""
        inputs = f", inputs: [{INPUT}]" if i == len(deps) - 1 else ""
        lines.append(f'  - {{name: s{i}, uses: exec, run: "touch s{i}", outputs: [s{i}]'
                     f'{needs}{inputs}}}')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def write_makefile(path, deps):
    # A recipe without shell metacharacters is exec'd by make directly, no shell.
    out = [".PHONY: all", f"all: s{len(deps) - 1}", ""]
    for i, need in enumerate(deps):
        prereqs = [f"s{d}" for d in need] + ([INPUT] if i == len(deps) - 1 else [])
        out.append(f"s{i}: {' '.join(prereqs)}".rstrip())
        out.append(f"\ttouch s{i}")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def write_snakefile(path, deps):
    # One wildcard rule with an input function: faster for snakemake 7.21 than
    # one rule per stage. Snakemake builds its DAG recursively, so a 1000-deep
    # chain needs a higher recursion limit. Snakemake runs every shell command
    # through bash; there is no argv form.
    text = f"""import sys
sys.setrecursionlimit(20000)
DEPS = {deps!r}

rule all:
    input: "s{len(deps) - 1}"

rule stage:
    input: lambda wc: [f"s{{d}}" for d in DEPS[int(wc.i)]] + (["{INPUT}"] if int(wc.i) == {len(deps) - 1} else [])
    output: "s{{i,[0-9]+}}"
    shell: "touch {{output}}"
"""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


# --- running things -------------------------------------------------------------

def timed(argv, cwd=None, env=None, timeout=TRIGGER_TIMEOUT_S):
    """Runs argv; returns (seconds, stdout). Raises BenchError on a failure."""
    t0 = time.perf_counter()
    p = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise BenchError(f"{' '.join(argv)} (in {cwd}) exited {p.returncode}:\n"
                         f"{p.stdout[-2000:]}{p.stderr[-2000:]}")
    return dt, p.stdout


def fresh_folder(parent, rep, *files):
    """A new folder parent/repN holding copies of `files` (paths in parent).

    Each build writes its outputs to a new folder and nothing is deleted
    until the benchmark ends: on ext4 without a journal every new inode is
    checked against the recently deleted ones (up to 6 minutes back), so
    outputs removed between runs would slow whichever run comes next."""
    folder = os.path.join(parent, f"rep{rep}")
    os.makedirs(folder)
    for f in files:
        shutil.copy(os.path.join(parent, f), folder)
    return folder


def count_outputs(folder, n):
    return sum(os.path.exists(os.path.join(folder, f"s{i}")) for i in range(n))


class Daemon:
    """One mlopsd on 127.0.0.1 with a fresh state folder, driven by mlctl."""

    def __init__(self, build, root, pipelines_dir):
        self.build = build
        self.state = os.path.join(root, "state")
        self.log_path = os.path.join(root, "mlopsd.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [os.path.join(build, "bin", "mlopsd"), "--state-dir", self.state,
             "--listen", "127.0.0.1:0", "--pipelines", pipelines_dir,
             "--plugin-dir", os.path.join(build, "plugins"), "--cpus", str(JOBS)],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        addr_file = os.path.join(self.state, "mlopsd.addr")
        deadline = time.monotonic() + 30
        while not os.path.exists(addr_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise BenchError(f"mlopsd did not get ready; its log:\n{self.tail()}")
            time.sleep(0.02)
        with open(addr_file) as f:
            addr = f.read().strip()
        # mlctl reads the admin token mlopsd bootstrapped (never from argv).
        self.env = dict(os.environ, MLCTL_SERVER=f"http://{addr}", MLCTL_TOKEN="",
                        MLCTL_TOKEN_FILE=os.path.join(self.state, "admin.token"))

    def tail(self, n=4000):
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()[-n:]

    def mlctl(self, *args):
        return [os.path.join(self.build, "bin", "mlctl"), *args]

    def trigger(self, pipeline, force=False):
        """`mlctl trigger PIPELINE --wait`, timed; returns (seconds, run id)."""
        argv = self.mlctl("trigger", pipeline, "--wait", "--timeout", str(TRIGGER_TIMEOUT_S))
        if force:
            argv.append("--force")
        try:
            dt, out = timed(argv, env=self.env, timeout=TRIGGER_TIMEOUT_S + 10)
        except (BenchError, subprocess.TimeoutExpired) as e:
            raise BenchError(f"{e}\nmlopsd log (tail):\n{self.tail()}")
        words = out.split()
        if len(words) < 2 or words[0] != "run" or not words[1].isdigit():
            raise BenchError(f"unexpected mlctl trigger output: {out!r}")
        return dt, int(words[1])

    def show(self, run_id):
        _, out = timed(self.mlctl("--json", "runs", "show", str(run_id)), env=self.env)
        return json.loads(out)

    def check_run(self, run_id, stages, cached, really_run=()):
        """Raises unless the run succeeded with every stage once, all cache hits
        (cached=True; except the stages named in really_run) or all really run
        (cached=False), and was not an up-to-date run. Returns the server-side
        duration queued -> finished in seconds."""
        run = self.show(run_id)
        if run.get("status") != "succeeded":
            raise BenchError(f"run {run_id} is {run.get('status')}: {run.get('error')}")
        if run.get("results_run_id") is not None:
            raise BenchError(f"run {run_id} was up to date; expected its stages to be scheduled")
        hits = {}
        for st in run["stages"]:
            hits[st["stage"]] = st["cache_hit"]
        if len(hits) != stages:
            raise BenchError(f"run {run_id} recorded {len(hits)} stages, expected {stages}")
        wrong = [s for s, hit in hits.items() if hit != (cached and s not in really_run)]
        if wrong:
            raise BenchError(f"run {run_id}: {len(wrong)} stage(s) with the wrong cache_hit "
                             f"(cached={cached}, really run: {list(really_run)}), e.g. {wrong[:5]}")
        return (run["finished_ms"] - run["queued_ms"]) / 1000.0

    def check_up_to_date(self, run_id, results_run_id):
        """Raises unless the run was recorded up to date: succeeded, pointing at
        results_run_id, with no stages of its own. Returns the server-side
        duration queued -> finished in seconds."""
        run = self.show(run_id)
        if run.get("status") != "succeeded":
            raise BenchError(f"run {run_id} is {run.get('status')}: {run.get('error')}")
        if run.get("results_run_id") != results_run_id:
            raise BenchError(f"run {run_id}: results_run_id {run.get('results_run_id')}, "
                             f"expected {results_run_id} (the last run that ran the stages)")
        if run["stages"]:
            raise BenchError(f"up-to-date run {run_id} has {len(run['stages'])} stage attempts")
        return (run["finished_ms"] - run["queued_ms"]) / 1000.0

    def peak_rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return -1

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# --- the measurements -------------------------------------------------------------

def median(xs):
    return statistics.median(xs)


def p90(xs):
    s = sorted(xs)
    return s[max(0, -(-9 * len(s) // 10) - 1)]  # nearest rank


def bench_shape(name, deps, args, root, say):
    n = len(deps)
    jobs_for_loop = 1 if name == "chain" else JOBS
    say(f"== {name}: {n} stages")
    pdir = os.path.join(root, name, "pipelines")
    write_pipeline(os.path.join(pdir, name, "pipeline.yaml"), name, deps)
    write_input(os.path.join(pdir, name), "0\n")
    mdir = os.path.join(root, name, "make")
    write_makefile(os.path.join(mdir, "Makefile"), deps)
    write_input(mdir, "0\n")
    sdir = os.path.join(root, name, "snake")
    write_snakefile(os.path.join(sdir, "Snakefile"), deps)
    write_input(sdir, "0\n")
    ldir = os.path.join(root, name, "loop")
    os.makedirs(ldir)
    loop = os.path.join(args.build, "bin", "mlops_bench_spawn_loop")

    r = {"stages": n, "loop": [], "make": [], "make_noop": [], "mlopsd": [],
         "mlopsd_server": [], "mlopsd_uptodate": [], "mlopsd_uptodate_server": [],
         "make_changed": [], "mlopsd_changed": [], "mlopsd_changed_server": [],
         "snakemake": []}
    last = f"s{n - 1}"
    daemon = Daemon(args.build, os.path.join(root, name), pdir)
    try:
        # Interleaved, so load from elsewhere on the machine hits every tool alike.
        for rep in range(args.reps):
            out = fresh_folder(ldir, rep)
            r["loop"].append(timed([loop, str(jobs_for_loop), str(n), out])[0])
            build = fresh_folder(mdir, rep, "Makefile", INPUT)
            r["make"].append(timed(["make", "-s", f"-j{JOBS}"], cwd=build)[0])
            if count_outputs(build, n) != n:
                raise BenchError(f"make left outputs missing in {build}")
            dt, full_id = daemon.trigger(name, force=rep > 0)
            r["mlopsd"].append(dt)
            r["mlopsd_server"].append(daemon.check_run(full_id, n, cached=False))
            for _ in range(args.noop_reps):
                r["make_noop"].append(timed(["make", "-s", f"-j{JOBS}"], cwd=build)[0])
            for _ in range(args.noop_reps):
                dt, run_id = daemon.trigger(name)
                r["mlopsd_uptodate"].append(dt)
                r["mlopsd_uptodate_server"].append(daemon.check_up_to_date(run_id, full_id))
            # The last stage's input changes: make rebuilds one target; in
            # mlopsd every other stage must be a cache hit.
            text = f"{rep + 1}\n"
            write_input(build, text)
            r["make_changed"].append(timed(["make", "-s", f"-j{JOBS}"], cwd=build)[0])
            write_input(os.path.join(pdir, name), text)
            dt, run_id = daemon.trigger(name)
            r["mlopsd_changed"].append(dt)
            r["mlopsd_changed_server"].append(
                daemon.check_run(run_id, n, cached=True, really_run=(last,)))
            say(f"  rep {rep + 1}: loop {r['loop'][-1]:.2f}s  make {r['make'][-1]:.2f}s  "
                f"mlopsd {r['mlopsd'][-1]:.2f}s  make no-op {r['make_noop'][-1] * 1000:.0f}ms  "
                f"mlopsd up-to-date {r['mlopsd_uptodate'][-1] * 1000:.0f}ms  "
                f"changed input: make {r['make_changed'][-1] * 1000:.0f}ms, "
                f"mlopsd {r['mlopsd_changed'][-1] * 1000:.0f}ms")
        r["rss_kb"] = daemon.peak_rss_kb()
    finally:
        daemon.stop()
    for rep in range(args.snakemake_reps):
        build = fresh_folder(sdir, rep, "Snakefile", INPUT)
        r["snakemake"].append(timed(["snakemake", "--cores", str(JOBS), "--quiet"],
                                    cwd=build, timeout=600)[0])
        if count_outputs(build, n) != n:
            raise BenchError(f"snakemake left outputs missing in {build}")
        say(f"  snakemake rep {rep + 1}: {r['snakemake'][-1]:.2f}s")
    return r


def bench_round_trip(args, root, say):
    say(f"== round trip: one-stage pipeline, {args.round_trips} x `mlctl trigger one --wait --force`")
    pdir = os.path.join(root, "one", "pipelines")
    os.makedirs(os.path.join(pdir, "one"))
    with open(os.path.join(pdir, "one", "pipeline.yaml"), "w") as f:
        f.write('version: 1\nname: one\nstages:\n  - {name: s0, uses: exec, run: "true"}\n')
    daemon = Daemon(args.build, os.path.join(root, "one"), pdir)
    try:
        daemon.trigger("one")  # warm-up: registers the pipeline's first run
        times = []
        for _ in range(args.round_trips):
            dt, run_id = daemon.trigger("one", force=True)
            times.append(dt)
        daemon.check_run(run_id, 1, cached=False)
    finally:
        daemon.stop()
    return times


# --- reporting ----------------------------------------------------------------

def sh(argv, strip=True):
    try:
        out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True).stdout
    except OSError:
        return "?"
    return out.strip() if strip else out


def machine(repo):
    model = next((l.split(":", 1)[1].strip() for l in sh(["lscpu"]).splitlines()
                  if l.startswith("Model name")), "?")
    dirty = sh(["git", "-C", repo, "status", "--short"], strip=False).splitlines()
    commit = sh(["git", "-C", repo, "log", "-1", "--format=%h"]) or "unknown (not a git checkout)"
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": sh(["nproc"]),
        "cpu": model,
        "kernel": sh(["uname", "-sr"]),
        "commit": commit,
        "dirty": dirty,
        "make": sh(["make", "--version"]).splitlines()[0],
        "snakemake": sh(["snakemake", "--version"]),
        "python": sys.version.split()[0],
        "load": sh(["cat", "/proc/loadavg"]),
    }


def ms(x):
    return f"{x * 1000:.2f}"


def verdict(ok):
    return "met" if ok else "NOT met"


def report(m, shapes, rt, args, elapsed):
    out = []
    w = out.append
    w("# DAG benchmark results")
    w("")
    w(f"Command: `{args.command}`  ")
    w(f"Date: {m['date']}; machine: {m['nproc']} CPUs ({m['cpu']}), {m['kernel']}; "
      f"load average at the start: {m['load']}  ")
    if args.source:
        source = args.source
    elif m["dirty"]:
        source = (f"commit {m['commit']} with uncommitted changes in {len(m['dirty'])} path(s): " +
                  ", ".join(l[3:] for l in m["dirty"][:8]) + (", ..." if len(m["dirty"]) > 8 else ""))
    else:
        source = f"commit {m['commit']}, clean tree"
    w(f"mlopsd built from {source}; {m['make']}; snakemake {m['snakemake']}; "
      f"python {m['python']}  ")
    w(f"Repetitions: {args.reps} per tool (mlopsd and make interleaved; the first mlopsd run of "
      f"each shape is a fresh one, the others use --force), {args.noop_reps * args.reps} make "
      f"no-ops and mlopsd up-to-date runs, {args.snakemake_reps} snakemake; medians shown. Two jobs at a time everywhere "
      f"(`make -j2`, `snakemake --cores 2`, `mlopsd --cpus 2`). Whole benchmark: {elapsed:.0f} s.")
    w("")
    w("## Per-stage overhead (total wall time / stages)")
    w("")
    w("| shape | stages | spawn loop | make -j2 | mlopsd | snakemake | make/loop | mlopsd/make | snakemake/mlopsd |")
    w("|---|---|---|---|---|---|---|---|---|")
    for name, r in shapes.items():
        n = r["stages"]
        loop, mk, ml = median(r["loop"]) / n, median(r["make"]) / n, median(r["mlopsd"]) / n
        sm = median(r["snakemake"]) / n if r["snakemake"] else float("nan")
        w(f"| {name} | {n} | {ms(loop)} ms | {ms(mk)} ms | {ms(ml)} ms | {ms(sm)} ms | "
          f"{mk / loop:.2f}x | {ml / mk:.2f}x | {sm / ml:.2f}x |")
    w("")
    w("Totals in seconds, every repetition:")
    w("")
    w("| shape | spawn loop | make -j2 | mlopsd (client) | mlopsd (server: queued to finished) | snakemake |")
    w("|---|---|---|---|---|---|")
    for name, r in shapes.items():
        f = lambda xs: " / ".join(f"{x:.2f}" for x in xs)
        w(f"| {name} | {f(r['loop'])} | {f(r['make'])} | {f(r['mlopsd'])} | "
          f"{f(r['mlopsd_server'])} | {f(r['snakemake'])} |")
    w("")
    w("## Up-to-date check (unchanged pipeline, second run)")
    w("")
    w("| shape | make -j2 no-op | mlopsd up-to-date run (client) | (server) | mlopsd/make |")
    w("|---|---|---|---|---|")
    for name, r in shapes.items():
        mk, ml = median(r["make_noop"]), median(r["mlopsd_uptodate"])
        w(f"| {name} | {ms(mk)} ms | {ms(ml)} ms | {ms(median(r['mlopsd_uptodate_server']))} ms | "
          f"{ml / mk:.1f}x |")
    w("")
    for name, r in shapes.items():
        f = lambda xs: " / ".join(f"{x * 1000:.0f}" for x in xs)
        w(f"- {name}, every run in ms: make no-op {f(r['make_noop'])}; mlopsd (client) "
          f"{f(r['mlopsd_uptodate'])}; mlopsd (server) {f(r['mlopsd_uptodate_server'])}")
    w("")
    w("Each mlopsd up-to-date run was checked (`mlctl --json runs show`) to be recorded "
      "succeeded and up to date, pointing at the last run that ran the stages "
      "(`results_run_id`), with no stage attempts of its own; every stage of each timed run "
      "was checked to be really run.")
    w("")
    w("## Changed input of the last stage (not a target)")
    w("")
    w("`in.txt`, declared as the last stage's input (make: its prerequisite), is rewritten; "
      "make rebuilds one target, mlopsd must serve every other stage from its stage cache "
      "(checked: all cache hits but the last stage) and run the last one.")
    w("")
    w("| shape | make -j2 | mlopsd (client) | (server) | every run, make / mlopsd client, ms |")
    w("|---|---|---|---|---|")
    for name, r in shapes.items():
        f = lambda xs: " / ".join(f"{x * 1000:.0f}" for x in xs)
        w(f"| {name} | {ms(median(r['make_changed']))} ms | {ms(median(r['mlopsd_changed']))} ms | "
          f"{ms(median(r['mlopsd_changed_server']))} ms | {f(r['make_changed'])}; "
          f"{f(r['mlopsd_changed'])} |")
    w("")
    w("## Round trip and memory")
    w("")
    w(f"- `mlctl trigger one --wait --force` on a one-stage pipeline (`true`), {len(rt)} times: "
      f"median {ms(median(rt))} ms, p90 {ms(p90(rt))} ms, min {ms(min(rt))} ms, max {ms(max(rt))} ms.")
    for name, r in shapes.items():
        w(f"- mlopsd peak RSS (VmHWM) after the {name} runs: {r['rss_kb'] / 1024:.1f} MiB.")
    w("")
    w("## Targets")
    w("")
    for name, r in shapes.items():
        ratio = median(r["mlopsd"]) / median(r["make"])
        w(f"- {name}: per-stage overhead within 1.5x make's: {ratio:.2f}x, {verdict(ratio <= 1.5)}.")
    for name, r in shapes.items():
        if r["snakemake"]:
            ratio = median(r["snakemake"]) / median(r["mlopsd"])
            w(f"- {name}: at least 4x faster than snakemake: {ratio:.2f}x, {verdict(ratio >= 4)}.")
    for name, r in shapes.items():
        ratio = median(r["mlopsd_uptodate"]) / median(r["make_noop"])
        w(f"- {name}: up-to-date check within 2x make's no-op: {ratio:.1f}x, {verdict(ratio <= 2)}.")
    w(f"- one-stage round trip <= 90 ms: median {ms(median(rt))} ms, p90 {ms(p90(rt))} ms, "
      f"{verdict(p90(rt) <= 0.090)}.")
    w("")
    w("## How the DAG is written for each tool")
    w("")
    w("- Stage `sI` runs `touch sI` and has the file `sI` as its only output; chain: `sI` needs "
      f"`s(I-1)`; fan: {FAN_DIAMONDS} diamonds of width {FAN_WIDTH}, each join being the next "
      "root. The last stage also has the file `in.txt` as its input (prerequisite).")
    w("- mlopsd: `{name: sI, uses: exec, run: \"touch sI\", outputs: [sI], needs: [...]}`: an "
      "argv, no shell. Timed: `mlctl trigger NAME --wait` against a daemon already started.")
    w("- make: `sI: deps` with recipe `touch sI` (no shell metacharacters, so make execs it "
      "without a shell); `make -s -j2`, each build in a new folder.")
    w("- snakemake: one wildcard rule with an input function (faster than 1000 rules) and "
      "`shell: \"touch {output}\"`, which snakemake always runs through bash; "
      "`sys.setrecursionlimit(20000)` in the Snakefile, since its recursive DAG build overflows "
      "Python's default limit on a 1000-deep chain; each run in a new folder.")
    w("- spawn loop: `bench/spawn_loop.c`, `touch` by posix_spawn, one at a time for the chain, "
      "two at a time for the fan (ignoring its dependencies: a lower bound), each run in a new "
      "folder.")
    w("- Nothing is deleted until the benchmark ends (mlopsd keeps the workspaces of its last "
      "20 runs: with `--reps` up to 10 it removes none here): on ext4 without a journal each new inode is "
      "checked against the recently deleted ones, so outputs removed between runs would slow "
      "whichever run comes next.")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True, help="build folder with bin/ and plugins/")
    ap.add_argument("--repo", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--reps", type=int, default=3, help="repetitions of make and mlopsd runs")
    ap.add_argument("--noop-reps", type=int, default=3,
                    help="make no-ops and mlopsd up-to-date runs per repetition")
    ap.add_argument("--snakemake-reps", type=int, default=1)
    ap.add_argument("--round-trips", type=int, default=30)
    ap.add_argument("--shapes", default="chain,fan")
    ap.add_argument("--results", help="write the figures to this Markdown file")
    ap.add_argument("--source", help="describes the mlopsd sources, instead of asking git")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--invoked-as", help=argparse.SUPPRESS)  # bench/run.sh: its name comes first
    args = ap.parse_args()
    if args.invoked_as:  # run.sh adds --build, --results and --invoked-as before its own arguments
        args.command = shlex.join([args.invoked_as] + sys.argv[7:])
    else:
        args.command = shlex.join(sys.argv)
    args.build = os.path.abspath(args.build)
    for tool in ("make", "snakemake"):
        if not shutil.which(tool):
            sys.exit(f"dag_bench: {tool} not found; scripts/install-deps.sh installs it")

    def say(msg):
        print(msg, flush=True)

    start = time.monotonic()
    m = machine(args.repo)
    root = tempfile.mkdtemp(prefix="mlops-dag-bench-")
    say(f"dag_bench: working in {root}")
    dags = {"chain": lambda: chain_dag(CHAIN_STAGES),
            "fan": lambda: fan_dag(FAN_WIDTH, FAN_DIAMONDS)}
    try:
        shapes = {name: bench_shape(name, dags[name](), args, root, say)
                  for name in args.shapes.split(",")}
        rt = bench_round_trip(args, root, say)
    except BenchError as e:
        sys.exit(f"dag_bench: {e}\n(working folder kept: {root})")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    text = report(m, shapes, rt, args, time.monotonic() - start)
    print()
    print(text)
    if args.results:
        with open(args.results, "w") as f:
            f.write(text)
        say(f"dag_bench: wrote {args.results}")


if __name__ == "__main__":
    main()
