"""The real mlopsd's /metrics after real runs and hostile HTTP traffic:
promtool finds no problem (rc 0: neither a parse error nor a lint finding),
raw paths never become label values, and the values match what was done."""
import re
import subprocess

from mlopsd_harness import Mlopsd, check, http, pipeline_yaml, raw_request, tool

PIPELINE = "ops.probe-1_x"

HOSTILE_PATHS = [
    b'/no/such/"quoted"',
    b"/no/such/back\\slash",
    b"/no/such/%22%5C%0Aline%0D%0Abreak",
    "/no/such/\u00fcnic\u00f8de/\u2603".encode("utf-8"),
    b"/no/such/\xff\xfe-invalid-utf8",
    b'/api/v1/runs/1"}\n evil_total 1',
]


def main():
    promtool = tool("promtool")
    pipelines = {PIPELINE: pipeline_yaml(PIPELINE, [("first", "exec", "/bin/true", []),
                                                    ("second", "exec", "/bin/false", ["first"])])}
    with Mlopsd(pipelines).start() as d:
        d.run_pipeline(PIPELINE, expect_rc=1)
        d.run_pipeline(PIPELINE, expect_rc=1)
        # With the admin token, so that they reach the router (without one
        # an unmatched path is a 401).
        auth = b"Authorization: Bearer " + d.admin_token.encode() + b"\r\n"
        for path in HOSTILE_PATHS:
            raw_request(d.addr, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n" + auth +
                        b"Connection: close\r\n\r\n")
        raw_request(d.addr, b"PROPFIND /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        # Pipeline names that cannot exist, URL-encoded into a matched route
        # (quote, apostrophe, unicode; a newline, which the daemon refuses
        # as a control byte with 400), and a backslash, which the daemon
        # refuses (400) before civetweb's normalisation could fold it.
        status, _, _ = http(d.url + "/api/v1/pipelines/%22evil%27%E2%98%83/runs", method="POST",
                            body=b"{}")
        check(status == 404, f"trigger of a hostile pipeline name answered {status}")
        status, _, _ = http(d.url + "/api/v1/pipelines/evil%0A/runs", method="POST", body=b"{}")
        check(status == 400, f"a pipeline name with a newline answered {status}")
        status, _, _ = http(d.url + "/api/v1/pipelines/evil%5C%22/runs", method="POST", body=b"{}")
        check(status == 400, f"a path with a backslash answered {status}")

        status, headers, text = http(d.url + "/metrics")
        check(status == 200, f"/metrics answered {status}")
        ctype = headers.get("Content-Type", "")
        check(ctype.startswith("text/plain; version=0.0.4"), f"Content-Type is {ctype!r}")

        lint = subprocess.run([promtool, "check", "metrics"], input=text.encode("utf-8"),
                              capture_output=True)
        check(lint.returncode == 0,
              f"promtool check metrics rc {lint.returncode}: {lint.stdout!r} {lint.stderr!r}")

        for needle in ['"quoted"', "quoted", "slash", "nicode", "\u2603", "evil", "break", "invalid-utf8", "/no/such"]:
            check(needle not in text, f"a raw request path leaked into /metrics: {needle!r}")
        check('route="unmatched",code="404"' in text, "unmatched paths are not counted as such")
        check(re.search(r'^mlopsd_http_requests_total\{method="other",route="[^"]*",code="\d+"\} 1$',
                        text, re.M),
              "a WebDAV method is not folded into method=\"other\"")
        check('route="/api/v1/pipelines/{name}/runs",code="404"' in text,
              "a matched route is not labelled by its pattern")

        def value(series):
            m = re.search("^" + re.escape(series) + r" (\S+)$", text, re.M)
            check(m is not None, f"no sample {series}")
            return float(m.group(1))

        check(value(f'mlopsd_runs_total{{pipeline="{PIPELINE}",status="failed"}}') == 2,
              "mlopsd_runs_total does not count the two failed runs")
        # "first" ran once and was reused from the cache the second time.
        check(value(f'mlopsd_stage_attempts_total{{pipeline="{PIPELINE}",plugin="exec",status="succeeded"}}') == 1,
              "first stage's attempt not counted")
        check(value(f'mlopsd_stage_attempts_total{{pipeline="{PIPELINE}",plugin="exec",status="cached"}}') == 1,
              "cache hit not counted")
        check(value(f'mlopsd_stage_attempts_total{{pipeline="{PIPELINE}",plugin="exec",status="failed"}}') == 2,
              "failed attempts not counted")
        check(value(f'mlopsd_run_duration_seconds_count{{pipeline="{PIPELINE}"}}') == 2,
              "run durations not observed")
        check(value('mlopsd_registry_operations_total{operation="create_run",result="ok"}') == 2,
              "registry operations not counted")
        check(value("mlopsd_runs_queued") == 0 and value("mlopsd_stages_running") == 0,
              "scheduler gauges not idle after the runs")
        check(value("process_resident_memory_bytes") > 1e6, "RSS not read")
        check(value("process_open_fds") >= 3, "open fds not read")
        check(re.search(r'^mlopsd_build_info\{version="[^"]+",schema="\d+"\} 1$', text, re.M),
              "mlopsd_build_info missing")
        for family in ["mlopsd_trigger_events_total", "mlopsd_webhook_deliveries_total",
                       "mlopsd_watcher_errors_total", "mlopsd_watcher_last_success_timestamp_seconds",
                       "mlopsd_model_versions", "mlopsd_drift_score", "mlopsd_gpu_slots_in_use",
                       "mlopsd_http_request_duration_seconds", "mlopsd_stage_duration_seconds",
                       "process_cpu_seconds_total", "process_start_time_seconds"]:
            check(text.count(f"# TYPE {family} ") == 1, f"{family}: not exactly one TYPE line")
            check(text.count(f"# HELP {family} ") == 1, f"{family}: not exactly one HELP line")
    print("metrics exposition: promtool clean, labels bounded, values match")


if __name__ == "__main__":
    main()
