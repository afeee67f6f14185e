"""A real Prometheus (Debian's package) on 127.0.0.1 scrapes the real mlopsd:
its HTTP API must report up == 1 for the target and the run counter the test
caused (two succeeded runs), the trigger events by source, and, with a model
version in production, mlopsd_model_versions{stage="production"} == 1 while
the shipped alert MlopsdNoProductionModel (ci/prometheus/alerts.yml, loaded
into this Prometheus) stays inactive. Prometheus starts scraping ~5 s after
launch, so this polls for up to 30 s."""
import datetime
import json
import os
import re
import signal
import subprocess
import time
import urllib.parse

from mlopsd_harness import Mlopsd, check, fail, free_port, http, pipeline_yaml, tool, write

PIPELINE = "scraped"
ALERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "ci", "prometheus",
                      "alerts.yml")
# A model in three fast stages: an exec "training", an evaluation that passes
# its gate, and the real signer (with the key the daemon made for itself).
MODEL_PIPELINE = """version: 1
name: toy-model
stages:
  - {name: train, uses: exec, shell: true, run: "echo weights > model.bin", outputs: [model.bin]}
  - name: evaluate
    uses: exec
    needs: [train]
    shell: true
    run: "printf '{\\"version\\": 1, \\"passed\\": true}' > evaluation.json"
    outputs: [evaluation.json]
  - {name: sign, uses: signer, needs: [train], inputs: [model.bin]}
model:
  name: toy-model
  artifact: train.model.bin
  promote: { staging: on_gates, production: manual }
"""


def query(prom_url, expr):
    status, _, body = http(prom_url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    if status != 200:
        return None
    data = json.loads(body)
    if data.get("status") != "success":
        return None
    return data["data"]["result"]


def no_production_rule(prom_url):
    """The MlopsdNoProductionModel rule as /api/v1/rules reports it, or None."""
    status, _, body = http(prom_url + "/api/v1/rules")
    if status != 200:
        return None
    for group in json.loads(body)["data"]["groups"]:
        for rule in group["rules"]:
            if rule.get("name") == "MlopsdNoProductionModel":
                return rule
    return None


def seconds(rfc3339):
    """Epoch seconds of Prometheus' RFC 3339 times (nanosecond fractions, Z or offset)."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", rfc3339 or "")
    if not m:
        return None
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    base = datetime.datetime.fromisoformat(m.group(1) + zone).timestamp()
    return base + float(m.group(2) or 0)


def scrape_time(prom_url):
    """Epoch seconds of the target's last successful scrape, or None."""
    status, _, body = http(prom_url + "/api/v1/targets")
    if status != 200:
        return None
    targets = json.loads(body)["data"]["activeTargets"]
    return seconds(targets[0]["lastScrape"]) if targets and targets[0]["health"] == "up" else None


def main():
    prometheus = tool("prometheus")
    pipelines = {PIPELINE: pipeline_yaml(PIPELINE, [("only", "exec", "/bin/true", [])]),
                 "toy-model": MODEL_PIPELINE}
    with Mlopsd(pipelines).start() as d:
        d.run_pipeline(PIPELINE)
        d.run_pipeline(PIPELINE)
        d.run_pipeline("toy-model")
        r = d.ctl("models", "promote", "toy-model", "1", "--to", "production", "--reason", "test")
        check(r.returncode == 0, f"promote: {r.stdout}{r.stderr}")
        prom_port = free_port()
        prom_dir = os.path.join(d.tmp, "prometheus")
        config = os.path.join(prom_dir, "prometheus.yml")
        write(config, "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                      f"rule_files: ['{os.path.abspath(ALERTS)}']\n"
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
            deadline = time.monotonic() + 30
            up = runs = rule = None
            while time.monotonic() < deadline:
                check(prom.poll() is None, f"prometheus exited with {prom.returncode}")
                up = query(prom_url, 'up{job="mlopsd"}')
                runs = query(prom_url, f'mlopsd_runs_total{{pipeline="{PIPELINE}",status="succeeded"}}')
                rule = no_production_rule(prom_url)
                # Done once a scrape succeeded and the rule was evaluated after it.
                scraped = scrape_time(prom_url)
                evaluated = seconds(rule.get("lastEvaluation")) if rule else None
                if up and runs and up[0]["value"][1] == "1" and scraped and evaluated \
                        and evaluated > scraped:
                    break
                time.sleep(0.5)
            else:
                log.flush()
                fail(f"no successful scrape and rule evaluation within 30 s: up={up} runs={runs} rule={rule}\n" +
                     open(os.path.join(prom_dir, "prometheus.log"), errors="replace").read()[-3000:])
            check(runs[0]["value"][1] == "2",
                  f"Prometheus sees mlopsd_runs_total == {runs[0]['value'][1]}, wanted 2")
            status, _, body = http(prom_url + "/api/v1/targets")
            targets = json.loads(body)["data"]["activeTargets"]
            check(len(targets) == 1 and targets[0]["health"] == "up" and targets[0]["lastError"] == "",
                  f"target not healthy: {targets}")
            dur = query(prom_url, f'mlopsd_run_duration_seconds_count{{pipeline="{PIPELINE}"}}')
            check(dur and dur[0]["value"][1] == "2", f"histogram count seen as {dur}")
            production = query(prom_url, 'mlopsd_model_versions{stage="production"}')
            check(production and production[0]["value"][1] == "1",
                  f"mlopsd_model_versions{{stage=\"production\"}} seen as {production}")
            check(rule["health"] == "ok" and rule["state"] == "inactive" and not rule.get("alerts"),
                  f"MlopsdNoProductionModel is not inactive with a production model: {rule}")
            manual = query(prom_url, 'mlopsd_trigger_events_total{source="manual"}')
            check(manual and manual[0]["value"][1] == "3",
                  f"mlopsd_trigger_events_total{{source=\"manual\"}} seen as {manual}, wanted 3")
            print(f"prometheus scraped mlopsd: up=1, mlopsd_runs_total=2, model_versions production=1, "
                  f"MlopsdNoProductionModel inactive, target {targets[0]['scrapeUrl']}")
        finally:
            prom.send_signal(signal.SIGTERM)
            try:
                prom.wait(timeout=10)
            except subprocess.TimeoutExpired:
                prom.kill()
                prom.wait()


if __name__ == "__main__":
    main()
