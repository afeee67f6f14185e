#!/usr/bin/env python3
"""Scale benchmark, run by bench/scale.sh: start-up time, push (webhook) and
manual trigger to first stage start, and a burst of one-stage runs (drain
rate at the start and at the end, runs left unfinished, peak memory).

Each part starts a throwaway mlopsd on 127.0.0.1 with a state folder of its
own; figures come from the registry file (read after the daemon stopped) and
from /proc. Prints a Markdown report on stdout. Not a test.
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ONE_STAGE = """version: 1
name: {name}
{on}stages:
  - {{name: a, uses: exec, run: "true"}}
"""
SECRET = "scale-bench-secret"


def now_ms():
    return time.time() * 1000.0


class Daemon:
    """One mlopsd; start() returns seconds from spawn to mlopsd.addr appearing."""

    plugin_dir = None  # default: the build's plugins

    def __init__(self, build, state, pipelines, config=None, cpus=2):
        self.build, self.state, self.pipelines, self.config, self.cpus = (
            build, state, pipelines, config, cpus)
        self.proc = None

    def start(self):
        addr_file = os.path.join(self.state, "mlopsd.addr")
        if os.path.exists(addr_file):
            os.unlink(addr_file)
        argv = [os.path.join(self.build, "bin", "mlopsd"), "--state-dir", self.state,
                "--listen", "127.0.0.1:0", "--pipelines", self.pipelines,
                "--plugin-dir", Daemon.plugin_dir or os.path.join(self.build, "plugins"),
                "--cpus", str(self.cpus)]
        if self.config:
            argv += ["--config", self.config]
        os.makedirs(self.state, exist_ok=True)
        self.log = open(os.path.join(os.path.dirname(self.state), "mlopsd.log"), "a")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        while not os.path.exists(addr_file):
            if self.proc.poll() is not None or time.monotonic() - t0 > 60:
                raise SystemExit("mlopsd did not get ready; see " + self.log.name)
            time.sleep(0.001)
        ready = time.monotonic() - t0
        with open(addr_file) as f:
            host, port = f.read().strip().rsplit(":", 1)
        self.addr = (host, int(port))
        with open(os.path.join(self.state, "admin.token")) as f:
            self.token = f.read().strip()
        return ready

    def connect(self):
        return http.client.HTTPConnection(*self.addr, timeout=60)

    def call(self, conn, method, path, body=None, headers=None):
        h = {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"}
        h.update(headers or {})
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, (json.loads(data) if data else None)

    def rss_kib(self, field="VmRSS"):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def cpu_s(self):
        """CPU seconds used so far by mlopsd and its children (the fork
        servers, whose reaped stage processes count in their own figures)."""
        tick = os.sysconf("SC_CLK_TCK")

        def stat(pid, with_children):
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            used = int(fields[11]) + int(fields[12])  # utime, stime
            if with_children:
                used += int(fields[13]) + int(fields[14])  # cutime, cstime
            return used

        total = stat(self.proc.pid, True)
        for task in os.listdir(f"/proc/{self.proc.pid}/task"):
            with open(f"/proc/{self.proc.pid}/task/{task}/children") as f:
                for child in f.read().split():
                    try:
                        total += stat(int(child), True)
                    except OSError:
                        pass
        return total / tick

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=120)

    def db(self):
        return sqlite3.connect(f"file:{os.path.join(self.state, 'registry.db')}?mode=ro", uri=True)


def write_pipeline(folder, name, on=""):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name + ".yaml"), "w") as f:
        f.write(ONE_STAGE.format(name=name, on=on))


def startup(build, root, rounds):
    pipelines = os.path.join(root, "pipelines")
    write_pipeline(pipelines, "one")
    d = Daemon(build, os.path.join(root, "state"), pipelines)
    cold = d.start()
    d.stop()
    warm = []
    for _ in range(rounds):
        warm.append(d.start())
        d.stop()
    return cold, warm


def burst(build, root, runs, clients):
    pipelines = os.path.join(root, "pipelines")
    write_pipeline(pipelines, "one")
    d = Daemon(build, os.path.join(root, "state"), pipelines)
    d.start()
    idle_kib = d.rss_kib()
    peak = [idle_kib]
    stop_sampling = threading.Event()

    def sample():
        while not stop_sampling.is_set():
            try:
                peak[0] = max(peak[0], d.rss_kib())
            except OSError:
                return
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    errors = []

    def submit(n):
        conn = d.connect()
        for _ in range(n):
            status, body = d.call(conn, "POST", "/api/v1/pipelines/one/runs", '{"force": true}')
            if status != 201:
                errors.append((status, body))
                return

    cpu0 = d.cpu_s()
    t0 = time.monotonic()
    threads = [threading.Thread(target=submit, args=(runs // clients + (i < runs % clients),))
               for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    submitted_s = time.monotonic() - t0
    if errors:
        raise SystemExit(f"submitting failed: {errors[:3]}")
    last_change, last_left, stalled = time.monotonic(), None, False
    while True:
        db = d.db()  # the registry is in WAL mode: a reader does not stop the daemon
        left = db.execute(
            "SELECT count(*) FROM runs WHERE status IN ('queued', 'running')").fetchone()[0]
        db.close()
        if left == 0:
            break
        if left != last_left:
            last_left, last_change = left, time.monotonic()
        elif time.monotonic() - last_change > 60:
            stalled = True  # nothing ended for a minute: stranded
            break
        time.sleep(0.5)
    drained_s = time.monotonic() - t0
    stop_sampling.set()
    sampler.join()
    hwm_kib = d.rss_kib("VmHWM")
    cpu = d.cpu_s() - cpu0
    d.stop()
    db = d.db()
    by_status = dict(db.execute("SELECT status, count(*) FROM runs GROUP BY status"))
    running_attempts = db.execute(
        "SELECT count(*) FROM stage_attempts WHERE status = 'running'").fetchone()[0]
    ends = [r[0] for r in db.execute(
        "SELECT finished_ms FROM runs WHERE finished_ms > 0 ORDER BY finished_ms")]
    window = max(1, min(2000, len(ends) // 5))
    rate = lambda xs: (len(xs) - 1) / max((xs[-1] - xs[0]) / 1000.0, 1e-3)
    return {
        "runs": runs, "clients": clients, "submitted_s": submitted_s, "drained_s": drained_s,
        "stalled": stalled, "by_status": by_status, "running_attempts": running_attempts,
        "rate_start": rate(ends[:window]), "rate_end": rate(ends[-window:]), "window": window,
        "rate_all": rate(ends), "idle_kib": idle_kib, "peak_kib": max(peak[0], hwm_kib),
        "cpu_ms_per_run": cpu * 1000.0 / runs,
    }


def git(*args, cwd=None):
    subprocess.run(["git", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def push_latency(build, root, samples):
    bare, work = os.path.join(root, "origin.git"), os.path.join(root, "work")
    git("init", "-q", "--bare", "-b", "main", bare)
    git("clone", "-q", bare, work)
    git("config", "user.email", "bench@example.org", cwd=work)
    git("config", "user.name", "bench", cwd=work)
    os.makedirs(os.path.join(work, ".mlops"))
    with open(os.path.join(work, ".mlops", "pipeline.yaml"), "w") as f:
        f.write(ONE_STAGE.format(name="pushed", on="on:\n  git: {branches: [main]}\n"))

    def commit(i):
        with open(os.path.join(work, "n.txt"), "w") as f:
            f.write(str(i))
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", f"c{i}", cwd=work)
        git("push", "-q", "origin", "main", cwd=work)
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=work, check=True,
                              capture_output=True, text=True).stdout.strip()

    first = commit(0)
    config = os.path.join(root, "mlopsd.yaml")
    with open(config, "w") as f:
        f.write(f"repositories:\n  - name: demo\n    url: {bare}\n    branches: [main]\n"
                f"    poll_interval: 1h\n    webhook_secret: {SECRET}\n")
    pipelines = os.path.join(root, "pipelines")
    write_pipeline(pipelines, "one")
    d = Daemon(build, os.path.join(root, "state"), pipelines, config=config)
    d.start()
    conn = d.connect()

    def wait_for_commit_run(sha):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            _, page = d.call(conn, "GET", "/api/v1/runs?pipeline=pushed&limit=5")
            for r in page["runs"] if isinstance(page, dict) else page:
                if r.get("commit") == sha and r["status"] in ("succeeded", "failed"):
                    return r["id"]
            time.sleep(0.01)
        raise SystemExit(f"no run of commit {sha}; see {d.log.name}")

    def wait_for_run(run_id):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            _, r = d.call(conn, "GET", f"/api/v1/runs/{run_id}")
            if r["status"] in ("succeeded", "failed"):
                return
            time.sleep(0.01)
        raise SystemExit(f"run {run_id} did not end; see {d.log.name}")

    wait_for_commit_run(first)  # the first poll's run
    pushes, manual = [], []
    for i in range(1, samples + 1):
        sha = commit(i)
        body = json.dumps({"object_kind": "push", "ref": "refs/heads/main", "after": sha,
                           "checkout_sha": sha, "project": {"git_ssh_url": bare}})
        t0 = now_ms()
        status, _ = d.call(conn, "POST", "/api/v1/webhooks/gitlab/demo", body,
                           {"X-Gitlab-Token": SECRET, "X-Gitlab-Event": "Push Hook",
                            "X-Gitlab-Event-UUID": f"delivery-{i}"})
        if status != 202:
            raise SystemExit(f"webhook answered {status}")
        pushes.append((sha, t0))
        wait_for_commit_run(sha)
        t0 = now_ms()
        status, run = d.call(conn, "POST", "/api/v1/pipelines/one/runs", '{"force": true}')
        manual.append((run["id"], t0))
        wait_for_run(run["id"])
    d.stop()
    db = d.db()
    push_rows, manual_rows = [], []
    for sha, t0 in pushes:
        seen = db.execute("SELECT seen_ms FROM commits WHERE sha = ?", (sha,)).fetchone()[0]
        run_id, queued = db.execute(
            "SELECT id, queued_ms FROM runs WHERE commit_id = ?", (sha,)).fetchone()
        started = db.execute("SELECT min(started_ms) FROM stage_attempts WHERE run_id = ?",
                             (run_id,)).fetchone()[0]
        push_rows.append((seen - t0, queued - seen, started - queued, started - t0))
    for run_id, t0 in manual:
        queued = db.execute("SELECT queued_ms FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
        started = db.execute("SELECT min(started_ms) FROM stage_attempts WHERE run_id = ?",
                             (run_id,)).fetchone()[0]
        manual_rows.append((queued - t0, started - queued, started - t0))
    return push_rows, manual_rows


def med(rows, i):
    return statistics.median(r[i] for r in rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=20000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--pushes", type=int, default=20)
    ap.add_argument("--startups", type=int, default=5)
    ap.add_argument("--parts", default="startup,push,burst")
    ap.add_argument("--plugin-dir", help="plugin folder (default: BUILD/plugins)")
    args = ap.parse_args()
    Daemon.plugin_dir = args.plugin_dir
    parts = args.parts.split(",")
    root = tempfile.mkdtemp(prefix="mlops-scale.")
    try:
        print(f"machine: {os.cpu_count()} CPUs, load average at the start: "
              f"{open('/proc/loadavg').read().strip()}\n")
        if "startup" in parts:
            cold, warm = startup(args.build, os.path.join(root, "startup"), args.startups)
            plugins = sorted(f for f in os.listdir(Daemon.plugin_dir or
                                                   os.path.join(args.build, "plugins"))
                             if f.endswith(".so"))
            print(f"## Start-up (spawn to mlopsd.addr), plugins: {', '.join(plugins)}\n")
            print(f"- first start (plugins described, cache written): {cold * 1000:.0f} ms")
            print(f"- later starts (descriptions from the cache), {len(warm)}: median "
                  f"{statistics.median(warm) * 1000:.0f} ms; every one: "
                  + " / ".join(f"{w * 1000:.0f}" for w in warm) + " ms\n")
        if "push" in parts:
            push, manual = push_latency(args.build, os.path.join(root, "push"), args.pushes)
            print(f"## Webhook and manual trigger to first stage start ({len(push)} each, medians)\n")
            print("| path | request to recorded | recorded to queued | queued to stage start | total |")
            print("|---|---|---|---|---|")
            print(f"| webhook (git) | {med(push, 0):.0f} ms (commit seen) | {med(push, 1):.0f} ms "
                  f"| {med(push, 2):.0f} ms | {med(push, 3):.0f} ms |")
            print(f"| manual | {med(manual, 0):.0f} ms (run queued) | - | {med(manual, 1):.0f} ms "
                  f"| {med(manual, 2):.0f} ms |")
            print("\nwebhook totals, every one: " + " / ".join(f"{r[3]:.0f}" for r in push) + " ms\n")
        if "burst" in parts:
            b = burst(args.build, os.path.join(root, "burst"), args.runs, args.clients)
            print(f"## Burst of {b['runs']} one-stage runs (--cpus 2, {b['clients']} clients)\n")
            print(f"- submitted in {b['submitted_s']:.1f} s; drained (submission start to none "
                  f"queued or running) in {b['drained_s']:.1f} s")
            print(f"- drain rate: first {b['window']} runs {b['rate_start']:.0f} runs/s, last "
                  f"{b['window']} {b['rate_end']:.0f} runs/s, all {b['rate_all']:.0f} runs/s")
            print(f"- CPU used by mlopsd, its fork server and the stages: "
                  f"{b['cpu_ms_per_run']:.2f} ms per run (so at most "
                  f"{2000.0 / b['cpu_ms_per_run']:.0f} runs/s on two idle cores)")
            print(f"- runs by status: {b['by_status']}; attempts left running: "
                  f"{b['running_attempts']}; stalled: {b['stalled']}")
            print(f"- mlopsd memory: idle {b['idle_kib'] / 1024:.1f} MiB, peak "
                  f"{b['peak_kib'] / 1024:.1f} MiB\n")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
