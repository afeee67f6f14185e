"""mlctl's CI reports of a real run of the real mlopsd: the JUnit XML parses
and has one test case per stage (file order, judged as the stages ended),
the metrics file passes promtool and ends in "# EOF", the dotenv file is
strict KEY=VALUE lines under 5 KB; exit codes for a missing run, an
unreachable daemon and an unusable token."""
import os
import re
import subprocess
import xml.etree.ElementTree as ET

from mlopsd_harness import Mlopsd, binary, check, pipeline_yaml, tool

PIPELINE = "ci-report"
STAGES = [("prep", "exec", "/bin/true", []),
          ("measure", "reporter", None, ["prep"]),
          ("broken", "exec", "/bin/false", ["measure"]),
          ("never", "exec", "/bin/true", ["broken"])]
# A run whose stage writes an evaluator report (docs/ml/evaluator.md) with
# one passed and one failed gate (the stage itself passes).
GATED = "gated"
GATED_YAML = """version: 1
name: gated
stages:
  - name: evaluate
    uses: exec
    shell: true
    run: >-
      printf '%s' '{"version": 1, "passed": false, "gates": [
      {"gate": "accuracy >= 0.9", "metric": "accuracy", "passed": true, "message": ""},
      {"gate": "f1 >= 0.99", "metric": "f1", "passed": false,
      "message": "gate f1 >= 0.99 failed: got 0.97"}]}' > evaluation.json
    outputs: [evaluation.json]
"""


def main():
    promtool = tool("promtool")
    plugin_dirs = [binary_dir("MLOPS_PLUGIN_DIR"), binary_dir("MLOPS_FIXTURE_PLUGIN_DIR")]
    with Mlopsd({PIPELINE: pipeline_yaml(PIPELINE, STAGES), GATED: GATED_YAML},
                plugin_dirs=plugin_dirs).start() as d:
        run_id = d.run_pipeline(PIPELINE, expect_rc=1)
        out = lambda name: os.path.join(d.tmp, name)
        # A CI job holds a viewer token of its own (a masked CI variable).
        made = d.ctl("tokens", "create", "ci-job", "--role", "viewer")
        check(made.returncode == 0, f"mlctl tokens create: rc {made.returncode}: {made.stderr}")
        token_env = {"MLCTL_TOKEN": made.stdout.strip(), "MLCTL_TOKEN_FILE": ""}
        for kind, name in [("junit", "junit.xml"), ("metrics", "metrics.txt"), ("dotenv", "mlops.env")]:
            r = d.ctl("report", kind, run_id, "-o", out(name), env=token_env)
            check(r.returncode == 0, f"mlctl report {kind}: rc {r.returncode}: {r.stderr}")

        # JUnit: one test case per stage, in the pipeline's order.
        root = ET.parse(out("junit.xml")).getroot()
        check(root.tag == "testsuites", f"root element is {root.tag}")
        suites = root.findall("testsuite")
        check([s.get("name") for s in suites] == [f"{PIPELINE}.stages"], f"suites: {suites}")
        cases = suites[0].findall("testcase")
        check([c.get("name") for c in cases] == [s[0] for s in STAGES],
              f"test cases {[c.get('name') for c in cases]}")
        by_name = {c.get("name"): c for c in cases}
        check(by_name["prep"].find("failure") is None and by_name["prep"].find("skipped") is None,
              "prep should pass")
        check(by_name["measure"].find("failure") is None, "measure should pass")
        check(by_name["broken"].find("failure") is not None, "broken should be a failure")
        check(by_name["never"].find("skipped") is not None, "never should be skipped")
        check((root.get("tests"), root.get("failures")) == ("4", "1"), f"totals {root.attrib}")
        # The common JUnit schema has no `skipped` on <testsuites>; each suite carries it.
        check("skipped" not in root.attrib and suites[0].get("skipped") == "1",
              f"skipped belongs to <testsuite> only: {root.attrib} {suites[0].attrib}")
        props = {p.get("name"): p.get("value") for p in suites[0].iter("property")}
        check(props.get("run.id") == run_id, f"run.id property {props}")

        # Metrics: OpenMetrics text that promtool accepts, ending in # EOF.
        text = open(out("metrics.txt"), encoding="utf-8").read()
        check(text.endswith("# EOF\n"), "metrics report does not end in '# EOF'")
        lint = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True)
        check(lint.returncode == 0, f"promtool check metrics rc {lint.returncode}: {lint.stdout!r}{lint.stderr!r}")
        want = f'mlops_stage_metric{{pipeline="{PIPELINE}",stage="measure",metric="f1"}} 0.97'
        check(want + "\n" in text, f"missing {want!r} in:\n{text}")
        check(f'mlops_run_succeeded{{pipeline="{PIPELINE}"}} 0\n' in text, "run outcome missing")

        # dotenv: strict KEY=VALUE lines, at most 5 KB.
        raw = open(out("mlops.env"), "rb").read()
        check(len(raw) <= 5 * 1024, f"dotenv is {len(raw)} bytes")
        lines = raw.decode("utf-8").split("\n")
        check(lines[-1] == "", "dotenv does not end with a newline")
        env = {}
        for line in lines[:-1]:
            check(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=[^\s'\"#$\\]*", line) is not None,
                  f"not a strict KEY=VALUE line: {line!r}")
            key, value = line.split("=", 1)
            env[key] = value
        check(env.get("RUN_ID") == run_id and env.get("RUN_STATUS") == "failed", f"dotenv {env}")
        check("MODEL_NAME" not in env and "MODEL_VERSION" not in env,
              f"a run without a model version has no model fields: {env}")

        # The evaluator's gates, from the run's evaluation.json, get a suite of their own.
        gated_id = d.run_pipeline(GATED)
        r = d.ctl("report", "junit", gated_id, "-o", out("gated.xml"), env=token_env)
        check(r.returncode == 0, f"mlctl report junit (gated): rc {r.returncode}: {r.stderr}")
        groot = ET.parse(out("gated.xml")).getroot()
        gsuites = {s.get("name"): s for s in groot.findall("testsuite")}
        check(f"{GATED}.gates" in gsuites, f"no gates suite: {list(gsuites)}")
        gcases = {c.get("name"): c for c in gsuites[f"{GATED}.gates"].findall("testcase")}
        check(sorted(gcases) == ["accuracy >= 0.9", "f1 >= 0.99"], f"gate cases {sorted(gcases)}")
        check(gcases["accuracy >= 0.9"].find("failure") is None, "a passed gate carries a failure")
        failure = gcases["f1 >= 0.99"].find("failure")
        check(failure is not None and "got 0.97" in failure.get("message"),
              f"the failed gate's failure: {ET.tostring(gcases['f1 >= 0.99'])}")
        check((groot.get("tests"), groot.get("failures")) == ("3", "1"), f"totals {groot.attrib}")

        # Exit codes CI branches on.
        r = d.ctl("report", "junit", "999999", "-o", out("none.xml"))
        check(r.returncode == 5, f"report of a missing run: rc {r.returncode}, wanted 5")
        check(not os.path.exists(out("none.xml")), "a report was written for a missing run")
        r = d.ctl("report", "junit", run_id, env={"MLCTL_TOKEN": "bad\r\nX-Injected: 1"})
        check(r.returncode == 2, f"token with CR LF: rc {r.returncode}, wanted 2")
        r = d.ctl("report", "junit", run_id, env={"MLCTL_TOKEN": "mlt_" + "0" * 64})
        check(r.returncode == 7 and "not authenticated" in r.stderr,
              f"unknown token: rc {r.returncode}, wanted 7: {r.stderr}")
        r = d.ctl("report", "junit", run_id, "-o", "/nonexistent-dir/x.xml")
        check(r.returncode == 2, f"unwritable output: rc {r.returncode}, wanted 2")
    r = subprocess.run([binary("MLCTL_BIN"), "--server", "http://127.0.0.1:1", "report", "dotenv", "1"],
                       capture_output=True, text=True)
    check(r.returncode == 4, f"unreachable daemon: rc {r.returncode}, wanted 4")
    print("ci reports: junit, metrics and dotenv of a real run are well-formed")


def binary_dir(env_var):
    path = os.environ.get(env_var, "")
    check(os.path.isdir(path), f"{env_var} is not a folder: {path!r}")
    return path


if __name__ == "__main__":
    main()
