"""The real mlopsd speaks systemd's notify protocol on a NOTIFY_SOCKET
datagram socket: READY=1 only once the API answers (and recovery is done:
/readyz says so), WATCHDOG=1 at least every WATCHDOG_USEC/2 from the
scheduler loop, STOPPING=1 on SIGTERM, and a clean exit (status 0) within the
stop timeout with a stage running, leaving no stage process behind and the
run's state consistent at the next start."""
import os
import signal
import socket
import time

import mlopsd_harness
from mlopsd_harness import Mlopsd, check, http, pipeline_yaml, run_json, write

WATCHDOG_USEC = 3_000_000
STOP_TIMEOUT_S = 5


class Listener:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.messages = []  # (monotonic time, {key: value})

    def next(self, timeout):
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return None
        fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
        self.messages.append((time.monotonic(), fields))
        return fields

    def wait_for(self, key, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.next(deadline - time.monotonic())
            if m and key in m:
                return m
        return None


def cwd_in(folder):
    """Pids of processes whose working directory is inside `folder`."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/cwd").startswith(folder):
                pids.append(int(pid))
        except OSError:
            pass
    return pids


def main():
    pipelines = {"long": pipeline_yaml("long", [("sleeper", "exec", "/bin/sleep 30", [])])}
    d = Mlopsd(pipelines)
    config = os.path.join(d.tmp, "mlopsd.yaml")
    write(config, f"stop_timeout: {STOP_TIMEOUT_S}s\nkill_grace: 1s\nmax_recoveries: 0\n")
    d.extra_args = ["--config", config]
    sock_path = os.path.join(d.tmp, "notify.sock")
    listener = Listener(sock_path)
    d.env["NOTIFY_SOCKET"] = sock_path
    d.env["WATCHDOG_USEC"] = str(WATCHDOG_USEC)
    d.env.pop("WATCHDOG_PID", None)
    try:
        proc = d.spawn()
        ready = listener.wait_for("READY", 20)
        check(ready is not None, "no READY=1 within 20 s:\n" + d.read_log())
        t_ready = listener.messages[-1][0]
        check(ready["READY"] == "1", f"READY={ready['READY']}")
        # At the moment READY=1 arrives, the API must already answer.
        addr_file = os.path.join(d.state, "mlopsd.addr")
        check(os.path.exists(addr_file), "READY=1 before mlopsd.addr was written")
        d.addr = open(addr_file).read().strip()
        # The admin token is written before READY=1 too; the API needs it.
        d.admin_token = mlopsd_harness.DEFAULT_TOKEN = d.read_admin_token()
        status, _, _ = http(d.url + "/healthz", timeout=2)
        check(status == 200, f"/healthz answered {status} right after READY=1")
        status, _, _ = http(d.url + "/readyz", timeout=2)
        check(status == 200, f"/readyz answered {status} right after READY=1 (recovery not done?)")
        check(ready.get("MAINPID") == str(proc.pid), f"MAINPID={ready.get('MAINPID')} pid={proc.pid}")
        check(d.addr in ready.get("STATUS", ""), f"STATUS={ready.get('STATUS')!r}")
        check(all("READY" not in m for _, m in listener.messages[:-1]), "READY sent twice")

        # Watchdog cadence over 4 s (pings due every WATCHDOG_USEC/4, on the
        # scheduler loop's 0.5 s ticks: about one a second).
        pings = [t_ready]
        end = time.monotonic() + 4.0
        while time.monotonic() < end:
            m = listener.next(end - time.monotonic())
            if m and m.get("WATCHDOG") == "1":
                pings.append(listener.messages[-1][0])
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        check(len(pings) - 1 >= 3, f"only {len(pings) - 1} WATCHDOG=1 in 4 s")
        check(max(gaps) <= WATCHDOG_USEC / 1e6 / 2,
              f"a watchdog gap of {max(gaps):.2f} s exceeds WATCHDOG_USEC/2")

        # A stage is running when SIGTERM comes.
        r = d.ctl("trigger", "long")
        check(r.returncode == 0, f"trigger: {r.stderr}")
        run_id = r.stdout.strip()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if any(s["status"] == "running" for s in run_json(d, run_id)["stages"]) and cwd_in(d.state):
                break
            time.sleep(0.05)
        else:
            check(False, "the stage never started")
        t_term = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        stopping = listener.wait_for("STOPPING", 5)
        check(stopping is not None and stopping["STOPPING"] == "1", "no STOPPING=1 within 5 s of SIGTERM")
        check(listener.messages[-1][0] - t_term < 2, "STOPPING=1 came later than 2 s after SIGTERM")
        try:
            rc = proc.wait(timeout=STOP_TIMEOUT_S + 3)
        except Exception:
            check(False, f"mlopsd still running {STOP_TIMEOUT_S + 3} s after SIGTERM")
        elapsed = time.monotonic() - t_term
        check(rc == 0, f"mlopsd exited with {rc} after SIGTERM:\n{d.read_log()}")
        time.sleep(0.2)
        check(not cwd_in(d.state), f"stage processes left behind: {cwd_in(d.state)}")
        listener.sock.close()
        os.unlink(sock_path)

        # Next start, notify socket but no watchdog: READY=1, no WATCHDOG=1;
        # the interrupted run is failed (max_recoveries 0), not left running.
        listener = Listener(sock_path)
        d.env.pop("WATCHDOG_USEC")
        os.unlink(addr_file) if os.path.exists(addr_file) else None
        proc = d.spawn()
        check(listener.wait_for("READY", 20) is not None, "no READY=1 at the second start")
        d.wait_ready()
        check(listener.wait_for("WATCHDOG", 1.5) is None, "WATCHDOG=1 sent without WATCHDOG_USEC")
        run = run_json(d, run_id)
        check(run["status"] in ("failed", "interrupted"), f"run after restart: {run['status']}")
        check(all(s["status"] != "running" for s in run["stages"]), "an attempt still says running")
        d.stop()
        print(f"notify: READY after API up, {len(pings) - 1} pings (max gap {max(gaps):.2f} s), "
              f"STOPPING, exit 0 in {elapsed:.2f} s with a stage running")
    finally:
        d.cleanup()


if __name__ == "__main__":
    main()
