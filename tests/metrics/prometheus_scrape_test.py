"""A real Prometheus (Debian's package) on 127.0.0.1 scrapes the real mlopsd:
its HTTP API must report up == 1 for the target and the run counter the test
caused (two succeeded runs). Prometheus starts scraping ~5 s after launch,
so this polls for up to 20 s."""
import json
import os
import signal
import subprocess
import time
import urllib.parse

from mlopsd_harness import Mlopsd, check, fail, free_port, http, pipeline_yaml, tool, write

PIPELINE = "scraped"


def query(prom_url, expr):
    status, _, body = http(prom_url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    if status != 200:
        return None
    data = json.loads(body)
    if data.get("status") != "success":
        return None
    return data["data"]["result"]


def main():
    prometheus = tool("prometheus")
    pipelines = {PIPELINE: pipeline_yaml(PIPELINE, [("only", "exec", "/bin/true", [])])}
    with Mlopsd(pipelines).start() as d:
        d.run_pipeline(PIPELINE)
        d.run_pipeline(PIPELINE)
        prom_port = free_port()
        prom_dir = os.path.join(d.tmp, "prometheus")
        config = os.path.join(prom_dir, "prometheus.yml")
        write(config, "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                      "scrape_configs:\n"
                      "  - job_name: mlopsd\n"
                      f"    static_configs: [{{targets: ['{d.addr}']}}]\n"
                      # /metrics needs a viewer token unless public_metrics is set.
                      f"    authorization: {{credentials_file: '{d.admin_token_file}'}}\n")
        log = open(os.path.join(prom_dir, "prometheus.log"), "wb")
        prom = subprocess.Popen(
            [prometheus, f"--config.file={config}", f"--storage.tsdb.path={prom_dir}/data",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        prom_url = f"http://127.0.0.1:{prom_port}"
        try:
            deadline = time.monotonic() + 20
            up = runs = None
            while time.monotonic() < deadline:
                check(prom.poll() is None, f"prometheus exited with {prom.returncode}")
                up = query(prom_url, 'up{job="mlopsd"}')
                runs = query(prom_url, f'mlopsd_runs_total{{pipeline="{PIPELINE}",status="succeeded"}}')
                if up and runs and up[0]["value"][1] == "1":
                    break
                time.sleep(0.5)
            else:
                log.flush()
                fail(f"no successful scrape within 20 s: up={up} runs={runs}\n" +
                     open(os.path.join(prom_dir, "prometheus.log"), errors="replace").read()[-3000:])
            check(runs[0]["value"][1] == "2",
                  f"Prometheus sees mlopsd_runs_total == {runs[0]['value'][1]}, wanted 2")
            status, _, body = http(prom_url + "/api/v1/targets")
            targets = json.loads(body)["data"]["activeTargets"]
            check(len(targets) == 1 and targets[0]["health"] == "up" and targets[0]["lastError"] == "",
                  f"target not healthy: {targets}")
            dur = query(prom_url, f'mlopsd_run_duration_seconds_count{{pipeline="{PIPELINE}"}}')
            check(dur and dur[0]["value"][1] == "2", f"histogram count seen as {dur}")
            print(f"prometheus scraped mlopsd: up=1, mlopsd_runs_total=2, target {targets[0]['scrapeUrl']}")
        finally:
            prom.send_signal(signal.SIGTERM)
            try:
                prom.wait(timeout=10)
            except subprocess.TimeoutExpired:
                prom.kill()
                prom.wait()


if __name__ == "__main__":
    main()
