"""Shared helpers for the operations tests (metrics, systemd, CI reports):
start the real mlopsd on 127.0.0.1 with a fresh state folder, drive it with
the real mlctl, send raw HTTP, find the external tools.

Paths come from the environment CTest sets: MLOPSD_BIN, MLCTL_BIN and,
when a test needs them, MLOPS_FIXTURE_PLUGIN_DIR, MLOPS_PLUGIN_DIR.
A missing external tool is a failure, never a skip: scripts/install-deps.sh
installs every one of them.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def tool(name, env_var=None):
    """The path of an external tool; fails the test when it is missing."""
    path = os.environ.get(env_var) if env_var else None
    path = path or shutil.which(name)
    if not path or not os.access(path, os.X_OK):
        fail(f"{name} not found: run scripts/install-deps.sh (it installs {name})")
    return path


def binary(env_var):
    path = os.environ.get(env_var, "")
    check(path and os.access(path, os.X_OK), f"{env_var} is not set to an executable: {path!r}")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def pipeline_yaml(name, stages):
    """stages: list of (stage name, plugin, run command or None, needs list)."""
    lines = ["version: 1", f"name: {name}", "stages:"]
    for stage, uses, run, needs in stages:
        lines += [f"  - name: {stage}", f"    uses: {uses}"]
        if run:
            lines.append(f"    run: {run}")
        if needs:
            lines.append(f"    needs: [{', '.join(needs)}]")
    return "\n".join(lines) + "\n"


# The bearer token http() sends when none is given: the bootstrap admin
# token of the daemon started last (Mlopsd.wait_ready sets it).
DEFAULT_TOKEN = None


def http(url, method="GET", body=None, timeout=10, token=None, headers=None):
    """(status, headers, body text) of one request; HTTP errors are returned, not
    raised, and status is 0 when the server cannot be reached. `token`: the
    bearer token to send (default DEFAULT_TOKEN; "" sends none)."""
    req = urllib.request.Request(url, method=method, data=body, headers=dict(headers or {}))
    token = DEFAULT_TOKEN if token is None else token
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as e:  # not listening (yet), reset, timeout
        return 0, {}, str(e)


def raw_request(addr, request_bytes, timeout=5):
    """Sends bytes as they are (hostile paths and methods) and returns the status code."""
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(request_bytes)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    line = data.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) > 1 and line[1].isdigit() else 0


class Mlopsd:
    """The real mlopsd in a temporary folder."""

    def __init__(self, pipelines=None, plugin_dirs=(), extra_args=(), env=None, binary_path=None):
        self.tmp = tempfile.mkdtemp(prefix="mlopsd-ops-")
        self.state = os.path.join(self.tmp, "state")
        self.pipelines = os.path.join(self.tmp, "pipelines")
        os.makedirs(self.pipelines)
        for name, text in (pipelines or {}).items():
            write(os.path.join(self.pipelines, name, "pipeline.yaml"), text)
        self.binary = binary_path or binary("MLOPSD_BIN")
        self.plugin_dirs = list(plugin_dirs)
        self.extra_args = list(extra_args)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.addr = None
        self.admin_token = None
        self.log_path = os.path.join(self.tmp, "mlopsd.log")

    def argv(self):
        argv = [self.binary, "--state-dir", self.state, "--listen", "127.0.0.1:0",
                "--pipelines", self.pipelines]
        for d in self.plugin_dirs:
            argv += ["--plugin-dir", d]
        return argv + self.extra_args

    def spawn(self):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, env=self.env)
        return self.proc

    def wait_ready(self, timeout=20):
        addr_file = os.path.join(self.state, "mlopsd.addr")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                fail(f"mlopsd exited with {self.proc.returncode}:\n{self.read_log()}")
            if os.path.exists(addr_file):
                text = open(addr_file).read().strip()
                if text:
                    self.addr = text
                    self.admin_token = self.read_admin_token()
                    global DEFAULT_TOKEN
                    DEFAULT_TOKEN = self.admin_token
                    return self
            time.sleep(0.02)
        fail("mlopsd did not write mlopsd.addr in time:\n" + self.read_log())

    def start(self):
        self.spawn()
        return self.wait_ready()

    @property
    def url(self):
        return "http://" + self.addr

    @property
    def admin_token_file(self):
        return os.path.join(self.state, "admin.token")

    def read_admin_token(self):
        """The admin token the daemon bootstrapped into <state>/admin.token."""
        try:
            return open(self.admin_token_file).read().strip()
        except OSError as e:
            fail(f"mlopsd wrote no admin token: {e}")

    def read_log(self):
        try:
            return open(self.log_path, encoding="utf-8", errors="replace").read()[-4000:]
        except OSError:
            return ""

    def ctl(self, *args, env=None):
        argv = [binary("MLCTL_BIN"), "--server", self.url] + list(args)
        # The token goes by file, never in argv.
        base = dict(os.environ, MLCTL_TOKEN="", MLCTL_TOKEN_FILE=self.admin_token_file)
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=120, env=dict(base, **(env or {})))

    def run_pipeline(self, name, expect_rc=0):
        """Triggers a run, waits for it, returns its id."""
        r = self.ctl("trigger", name)
        check(r.returncode == 0, f"mlctl trigger {name}: rc {r.returncode}: {r.stderr}")
        run_id = r.stdout.strip()
        w = self.ctl("runs", "wait", run_id, "--timeout", "60")
        check(w.returncode == expect_rc,
              f"run {run_id} of {name}: mlctl runs wait rc {w.returncode}, wanted {expect_rc}: "
              f"{w.stdout}{w.stderr}\n{self.read_log()}")
        return run_id

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                fail(f"mlopsd did not stop within {timeout} s of signal {sig}")
        return self.proc.returncode if self.proc else None

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


def run_json(daemon, run_id):
    status, _, body = http(f"{daemon.url}/api/v1/runs/{run_id}")
    check(status == 200, f"GET runs/{run_id}: {status}")
    return json.loads(body)


def systemd_verify(analyze, unit_text, tmp, name):
    """`systemd-analyze verify` of unit_text written to tmp/name."""
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(unit_text)
    return subprocess.run([analyze, "verify", path], capture_output=True, text=True)


def systemd_exposure(analyze, tmp, name):
    """The offline `systemd-analyze security` exposure (0-10) of tmp/name;
    check()s that the tool answered and printed it."""
    r = subprocess.run([analyze, "security", "--offline=yes", "--threshold=30",
                        os.path.join(tmp, name)], capture_output=True, text=True)
    m = re.search(r"Overall exposure level for %s: ([\d.]+)" % re.escape(name), r.stdout + r.stderr)
    check(r.returncode == 0 and m is not None,
          f"systemd-analyze security: rc {r.returncode}\n{r.stdout[-1500:]}{r.stderr}")
    return float(m.group(1))
