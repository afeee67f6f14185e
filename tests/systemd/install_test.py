"""`cmake --install` into a DESTDIR with prefix /usr lays out the binaries,
the stage host, the plugins, the systemd files, the config and the docs
where the unit and ApplyDefaults expect them; the installed mlopsd, started
with the installed config and no path flags for the stage host or plugins,
finds both and runs a pipeline. A second install with another prefix
rewrites the unit's paths and keeps an edited config."""
import os
import stat
import subprocess
import tempfile
import shutil

from mlopsd_harness import Mlopsd, check, http, pipeline_yaml, tool

BUILD = os.environ["MLOPS_BUILD_DIR"]


IRIS = "/usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv"
ML_PIPELINE = f"""version: 1
name: installed-ml
stages:
  - name: train
    uses: trainer
    inputs: [{IRIS}]
    with: {{data: {{path: {IRIS}, format: sklearn}}, split: {{seed: 7, validation: 0.2, test: 0.2}},
           layers: 1, hidden: 16, epochs: 3, seed: 7}}
  - name: quantize
    uses: quantizer
    needs: [train]
    with: {{max_accuracy_drop: 1.0}}
  - name: sign
    uses: signer
    needs: [quantize]
    inputs: [model.int8.mlp]
"""


def install(destdir, prefix):
    r = subprocess.run([tool("cmake"), "--install", BUILD, "--prefix", prefix],
                       env=dict(os.environ, DESTDIR=destdir), capture_output=True, text=True)
    check(r.returncode == 0, f"cmake --install --prefix {prefix}: {r.stdout}{r.stderr}")


def main():
    root = tempfile.mkdtemp(prefix="mlopsd-install-")
    try:
        install(root, "/usr")
        at = lambda rel: os.path.join(root, rel.lstrip("/"))
        for rel in ["usr/bin/mlopsd", "usr/bin/mlctl", "usr/libexec/mlopsd/mlops-stage"]:
            check(os.access(at(rel), os.X_OK), f"{rel} missing or not executable")
        plugin = at("usr/lib/mlopsd/plugins/exec.so")
        check(os.path.isfile(plugin), "exec plugin not installed in lib/mlopsd/plugins")
        for path in [plugin, os.path.dirname(plugin)]:
            mode = os.stat(path).st_mode
            check(not mode & (stat.S_IWGRP | stat.S_IWOTH), f"{path} writable by group/others")
        # The CivetWeb TLS shim, found through the installed mlopsd's DT_RPATH.
        check(os.path.isfile(at("usr/lib/mlopsd/tls-shim/libssl.so")), "TLS shim not installed")
        dyn = subprocess.run(["readelf", "-d", at("usr/bin/mlopsd")], capture_output=True, text=True).stdout
        check("(RPATH)" in dyn and "$ORIGIN/../lib/mlopsd/tls-shim" in dyn,
              f"installed mlopsd lacks the DT_RPATH to its TLS shim: {dyn}")
        for rel in ["usr/lib/systemd/system/mlopsd.service", "usr/lib/sysusers.d/mlopsd.conf",
                    "usr/lib/tmpfiles.d/mlopsd.conf", "etc/mlopsd/mlopsd.yaml",
                    "usr/share/mlopsd/mlopsd.yaml.example", "usr/share/mlopsd/ci/mlopsd.gitlab-ci.yml",
                    "usr/share/mlopsd/prometheus/alerts.yml", "usr/share/doc/mlopsd/operations.md"]:
            check(os.path.isfile(at(rel)), f"{rel} not installed")
        check(os.path.isdir(at("etc/mlopsd/pipelines")), "etc/mlopsd/pipelines not created")
        unit = open(at("usr/lib/systemd/system/mlopsd.service")).read()
        check("ExecStart=/usr/bin/mlopsd --config /etc/mlopsd/mlopsd.yaml\n" in unit,
              "installed unit's ExecStart does not match the installed paths")

        # The installed daemon with the installed config: only the state,
        # listen address and pipeline folder are overridden.
        pipelines = {"installed": pipeline_yaml("installed", [("hello", "exec", "/bin/true", [])])}
        with Mlopsd(pipelines, binary_path=at("usr/bin/mlopsd"),
                    extra_args=["--config", at("etc/mlopsd/mlopsd.yaml")]) as d:
            d.start()
            status, _, body = http(d.url + "/api/v1/plugins")
            check(status == 200 and "/usr/lib/mlopsd/plugins/exec.so" in body,
                  f"installed mlopsd did not load the installed exec plugin: {body}")
            d.run_pipeline("installed")
            d.stop()

        # Every first-party plugin the build made is installed, and the
        # installed service runs the ML plugins too (train, quantize, sign
        # with the key the daemon makes for itself).
        built = sorted(f for f in os.listdir(os.path.join(BUILD, "plugins")) if f.endswith(".so"))
        installed = sorted(os.listdir(at("usr/lib/mlopsd/plugins")))
        check(built == installed, f"installed plugins {installed} differ from the built {built}")
        if "trainer.so" in installed:
            with Mlopsd({"installed-ml": ML_PIPELINE}, binary_path=at("usr/bin/mlopsd"),
                        extra_args=["--config", at("etc/mlopsd/mlopsd.yaml")]) as d:
                d.start()
                d.run_pipeline("installed-ml")
                d.stop()
        else:
            print("install: SKIPPED the ML pipeline: this build has no libtorch plugins")

        # Another prefix: paths follow it, and an edited config survives.
        with open(at("etc/mlopsd/mlopsd.yaml"), "a") as f:
            f.write("# edited by the operator\n")
        install(root, "/opt/mlopsd")
        unit = open(at("opt/mlopsd/lib/systemd/system/mlopsd.service")).read()
        check("ExecStart=/opt/mlopsd/bin/mlopsd --config /opt/mlopsd/etc/mlopsd/mlopsd.yaml\n" in unit,
              "unit paths do not follow the prefix /opt/mlopsd")
        check("pipelines: [/opt/mlopsd/etc/mlopsd/pipelines]" in
              open(at("opt/mlopsd/etc/mlopsd/mlopsd.yaml")).read(), "config paths do not follow the prefix")
        install(root, "/usr")
        check(open(at("etc/mlopsd/mlopsd.yaml")).read().endswith("# edited by the operator\n"),
              "a second install overwrote the edited /etc/mlopsd/mlopsd.yaml")
        print("install: tree complete, installed mlopsd found its stage host and plugins")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
