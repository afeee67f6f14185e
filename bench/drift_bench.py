#!/usr/bin/python3
"""NumPy + SciPy computing what bench/drift_bench.cc computes, the same way
(docs/drift.md): per feature np.quantile edges of the reference, bin counts
by searchsorted, PSI (shares floored at 1e-4) and jensenshannon(base=2) over
every current value, ks_2samp(method="exact") and wasserstein_distance / std
on the first SAMPLE values of each side. Half the features shifted by 0.5.
Only the measures are timed. Prints one JSON line.

Usage: drift_bench.py ROWS FEATURES REF_ROWS SAMPLE
"""
import json
import resource
import sys
import time

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp, wasserstein_distance


def main():
    rows, features, ref_rows, sample = (int(a) for a in sys.argv[1:5])
    bins = 10
    seconds, drifted, checksum = 0.0, 0, 0.0
    for f in range(features):
        rng = np.random.default_rng(1000 + f)
        ref = rng.standard_normal(ref_rows)
        cur = rng.standard_normal(rows) + (0.5 if f % 2 == 1 else 0.0)
        start = time.perf_counter()
        edges = np.unique(np.quantile(ref, [k / bins for k in range(1, bins)]))
        nb = edges.size + 1
        rc = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=nb).astype(np.float64)
        cc = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=nb).astype(np.float64)
        p = np.maximum(rc / rc.sum(), 1e-4)
        q = np.maximum(cc / cc.sum(), 1e-4)
        psi = np.sum((q - p) * np.log(q / p))
        js = jensenshannon(rc, cc, base=2)
        rs, cs = ref[:sample], cur[:sample]
        ks = ks_2samp(rs, cs, method="exact")
        w = wasserstein_distance(rs, cs) / np.std(rs)
        seconds += time.perf_counter() - start
        drifted += int(psi > 0.2)
        checksum += psi + js + ks.statistic + ks.pvalue + w
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"tool": "numpy+scipy", "seconds": round(seconds, 3),
                      "peak_rss_mb": round(peak, 1), "drifted": drifted,
                      "checksum": round(checksum, 6)}))


if __name__ == "__main__":
    main()
