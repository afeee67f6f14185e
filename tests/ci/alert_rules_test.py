"""ci/prometheus/alerts.yml: `promtool check rules` accepts it and
`promtool test rules` proves each alert fires on the series meant to fire it
(and not on healthy ones)."""
import os
import subprocess

from mlopsd_harness import check, tool


def main():
    promtool = tool("promtool")
    folder = os.path.join(os.environ["MLOPS_SOURCE_DIR"], "ci/prometheus")
    r = subprocess.run([promtool, "check", "rules", "alerts.yml"], cwd=folder,
                       capture_output=True, text=True)
    check(r.returncode == 0 and "SUCCESS: 5 rules found" in r.stdout,
          f"promtool check rules: rc {r.returncode}\n{r.stdout}{r.stderr}")
    r = subprocess.run([promtool, "test", "rules", "alerts_test.yml"], cwd=folder,
                       capture_output=True, text=True)
    check(r.returncode == 0, f"promtool test rules: rc {r.returncode}\n{r.stdout}{r.stderr}")
    print("alert rules: 5 valid rules, rule unit tests pass")


if __name__ == "__main__":
    main()
