"""The GitLab CI template and the example project file validate against
GitLab's schema offline with gitlab-ci-local 4.62.0 (installed by
scripts/install-node-tools.sh), list the expected jobs, and a broken file is
refused (so a pass means the schema was checked)."""
import os
import shutil
import subprocess
import sys
import tempfile

from mlopsd_harness import check, fail

SOURCE = os.environ.get("MLOPS_SOURCE_DIR", "")
TOOL = os.path.join(SOURCE, ".tools/node/node_modules/.bin/gitlab-ci-local")


def gitlab_ci_local(files):
    """Runs `gitlab-ci-local --list` in a fresh git repo holding `files`
    (repo path -> source path or text); returns (rc, output)."""
    repo = tempfile.mkdtemp(prefix="mlopsd-gcl-")
    try:
        for dest, src in files.items():
            path = os.path.join(repo, dest)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if src.startswith("/"):
                shutil.copy(src, path)
            else:
                open(path, "w").write(src)
        git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@localhost", "-C", repo]
        subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
        subprocess.run(git + ["add", "-A"], check=True)
        subprocess.run(git + ["commit", "-q", "-m", "ci files"], check=True)
        r = subprocess.run([TOOL, "--list"], cwd=repo, capture_output=True, text=True, timeout=120)
        return r.returncode, r.stdout + r.stderr
    finally:
        shutil.rmtree(repo, ignore_errors=True)


def main():
    if not os.access(TOOL, os.X_OK):
        fail(f"{TOOL} is missing: run scripts/install-node-tools.sh (scripts/install-deps.sh runs it)")
    version = subprocess.run([TOOL, "--version"], capture_output=True, text=True).stdout.strip()
    check(version == "4.62.0", f"gitlab-ci-local {version!r}, wanted 4.62.0")
    template = os.path.join(SOURCE, "ci/mlopsd.gitlab-ci.yml")
    example = os.path.join(SOURCE, "ci/examples/.gitlab-ci.yml")

    rc, out = gitlab_ci_local({".gitlab-ci.yml": template})
    check(rc == 0 and "json schema validated" in out, f"template alone: rc {rc}\n{out}")
    for job in ["mlops:train", "mlops:promote-production"]:
        check(job in out, f"template alone does not list {job}:\n{out}")

    rc, out = gitlab_ci_local({".gitlab-ci.yml": example, "ci/mlopsd.gitlab-ci.yml": template})
    check(rc == 0 and "json schema validated" in out, f"example including the template: rc {rc}\n{out}")
    check("lint" in out and "mlops:train" in out and "manual" in out,
          f"example lists other jobs than expected:\n{out}")

    broken = open(template).read().replace("      junit: $MLOPS_REPORT_DIR/junit.xml",
                                           "      junit: $MLOPS_REPORT_DIR/junit.xml\n      junitt: x")
    check(broken != open(template).read(), "the broken copy did not change the template")
    rc, out = gitlab_ci_local({".gitlab-ci.yml": broken})
    check(rc != 0 and "junitt" in out, f"a schema violation was not refused: rc {rc}\n{out}")
    print("gitlab-ci-local 4.62.0: template and example valid, a broken file refused")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    main()
