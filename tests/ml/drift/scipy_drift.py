#!/usr/bin/python3
"""NumPy's and SciPy's values of the drift measures, the reference that
tests/ml/drift/scipy_reference_test.cc compares mlops_drift with.

Usage: scipy_drift.py CASES.json  (prints the results as JSON)

CASES.json: {"cases": [{"name", "reference": [...], "current": [...],
                        "bins": B} | {"name", "categorical": true,
                        "reference": {CATEGORY: COUNT}, "current": {...}}]}
NaN is written as null. Output: {"scipy", "numpy", "cases": {NAME: {MEASURE:
{"value": X} | {"error": MESSAGE}}}}, numeric cases also with "edges".

The formulas are the ones docs/drift.md states: bin edges are
np.quantile(reference, k/B) (default "linear" method), equal edges merged;
a value v falls in bin searchsorted(edges, v, side="left"); PSI floors each
share at 1e-4; KS is ks_2samp(method="exact"); Wasserstein is divided by
np.std(reference).
"""
import json
import sys
import warnings

import numpy as np
import scipy
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp, wasserstein_distance

FLOOR = 1e-4


def run(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback to asymp is a failure
        try:
            value = float(fn())
        except Exception as e:  # noqa: BLE001 -- any refusal is recorded
            return {"error": str(e)}
    return {"value": value} if np.isfinite(value) else {"error": "not finite: %r" % value}


def psi(p_counts, q_counts):
    p = np.maximum(p_counts / p_counts.sum(), FLOOR)
    q = np.maximum(q_counts / q_counts.sum(), FLOOR)
    return np.sum((q - p) * np.log(q / p))


def numeric(case):
    ref = np.array([np.nan if v is None else v for v in case["reference"]], dtype=np.float64)
    cur = np.array([np.nan if v is None else v for v in case["current"]], dtype=np.float64)
    ref = ref[~np.isnan(ref)]
    cur = cur[~np.isnan(cur)]
    if ref.size == 0 or cur.size == 0:
        err = {"error": "empty sample"}
        return {m: err for m in ("psi", "js", "ks_statistic", "ks_pvalue", "wasserstein")}
    bins = case["bins"]
    edges = np.unique(np.quantile(ref, [k / bins for k in range(1, bins)]))
    nb = edges.size + 1
    rc = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=nb).astype(np.float64)
    cc = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=nb).astype(np.float64)
    return {
        "edges": edges.tolist(),
        "psi": run(lambda: psi(rc, cc)),
        "js": run(lambda: jensenshannon(rc, cc, base=2)),
        "ks_statistic": run(lambda: ks_2samp(ref, cur, method="exact").statistic),
        "ks_pvalue": run(lambda: ks_2samp(ref, cur, method="exact").pvalue),
        "wasserstein": run(lambda: wasserstein_distance(ref, cur) / np.std(ref)),
    }


def categorical(case):
    cats = sorted(set(case["reference"]) | set(case["current"]))
    rc = np.array([case["reference"].get(c, 0) for c in cats], dtype=np.float64)
    cc = np.array([case["current"].get(c, 0) for c in cats], dtype=np.float64)
    return {"psi": run(lambda: psi(rc, cc))}


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    out = {"scipy": scipy.__version__, "numpy": np.__version__, "cases": {}}
    with np.errstate(divide="ignore", invalid="ignore"):
        for case in cases:
            fn = categorical if case.get("categorical") else numeric
            out["cases"][case["name"]] = fn(case)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
