"""systemd/mlops-serve.service passes `systemd-analyze verify` (ExecStart
pointed at the built mlops-serve) and an offline security review at least as
strict as mlopsd's unit; the state folder is read only but serving/; a
broken copy is refused (so a pass means something was checked); the
tmpfiles entries make serving/ and the address link in a scratch root."""
import configparser
import os
import re
import shutil
import subprocess
import tempfile

from mlopsd_harness import binary, check, systemd_exposure, systemd_verify, tool

SOURCE = os.environ["MLOPS_SOURCE_DIR"]
WARNING = re.compile(r"unknown (key|section|lvalue)|ignoring|invalid|failed to parse", re.I)


def main():
    analyze = tool("systemd-analyze")
    serve = binary("MLOPS_SERVE_BIN")
    text = open(os.path.join(SOURCE, "systemd/mlops-serve.service")).read()
    check("ExecStart=/usr/bin/mlops-serve " in text, "ExecStart does not start /usr/bin/mlops-serve")
    tmp = tempfile.mkdtemp(prefix="mlops-serve-unit-")
    try:
        built = text.replace("ExecStart=/usr/bin/mlops-serve ", f"ExecStart={serve} ")
        r = systemd_verify(analyze, built, tmp, "mlops-serve.service")
        check(r.returncode == 0 and not WARNING.search(r.stdout + r.stderr),
              f"systemd-analyze verify: rc {r.returncode}\n{r.stdout}{r.stderr}")
        r = systemd_verify(analyze, built.replace("Type=simple", "Type=simpel"), tmp, "bad.service")
        check(WARNING.search(r.stdout + r.stderr), f"a bad Type= went unnoticed: {r.stderr}")
        exposure = systemd_exposure(analyze, tmp, "mlops-serve.service")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("="),)
    parser.optionxform = str
    parser.read_string(text)
    svc = parser["Service"]
    want = {"User": "mlopsd", "Group": "mlopsd", "ReadOnlyPaths": "/var/lib/mlopsd",
            "ReadWritePaths": "/var/lib/mlopsd/serving", "ProtectSystem": "strict",
            "NoNewPrivileges": "yes", "CapabilityBoundingSet": "", "Restart": "on-failure",
            "PrivateDevices": "yes", "MemoryDenyWriteExecute": "yes"}
    for key, value in want.items():
        check(svc.get(key) == value, f"[Service] {key}={svc.get(key)!r}, wanted {value!r}")
    check("--state-dir /var/lib/mlopsd" in svc["ExecStart"], "ExecStart names no state folder")
    check("Requires" not in parser["Unit"] and "BindsTo" not in parser["Unit"],
          "serving must not stop with mlopsd")

    root = tempfile.mkdtemp(prefix="mlops-serve-root-")
    try:
        os.makedirs(os.path.join(root, "etc"))
        r = subprocess.run([tool("systemd-sysusers"), f"--root={root}",
                            os.path.join(SOURCE, "systemd/mlopsd.sysusers.conf")],
                           capture_output=True, text=True)
        check(r.returncode == 0, f"systemd-sysusers: {r.stderr}")
        r = subprocess.run([tool("systemd-tmpfiles"), f"--root={root}", "--create",
                            os.path.join(SOURCE, "systemd/mlopsd.tmpfiles.conf"),
                            os.path.join(SOURCE, "systemd/mlops-serve.tmpfiles.conf")],
                           capture_output=True, text=True)
        check(r.returncode == 0, f"systemd-tmpfiles: {r.stderr}")
        check(os.path.isdir(os.path.join(root, "var/lib/mlopsd/serving")), "no serving/ folder")
        link = os.path.join(root, "var/lib/mlopsd/mlops-serve.addr")
        check(os.path.islink(link) and os.readlink(link) == "serving/mlops-serve.addr",
              "the address file is not a link into serving/")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"mlops-serve unit: verify clean, exposure {exposure}, tmpfiles applied")


if __name__ == "__main__":
    main()
