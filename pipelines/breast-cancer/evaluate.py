"""Accuracy and F1 on the held-out split; fails below the F1 gate."""
import argparse
import json
import sys

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--min-f1", type=float, default=0.0)
args = ap.parse_args()

m = json.load(open("model.json"))
data = np.loadtxt("test.csv", delimiter=",")
x, y = data[:, :-1], data[:, -1]
z = (x - np.array(m["mean"])) / np.array(m["std"])
pred = (z @ np.array(m["w"]) + m["b"] > 0).astype(float)
tp = float(np.sum((pred == 1) & (y == 1)))
fp = float(np.sum((pred == 1) & (y == 0)))
fn = float(np.sum((pred == 0) & (y == 1)))
f1 = 2 * tp / (2 * tp + fp + fn)
metrics = {"accuracy": float(np.mean(pred == y)), "f1": f1, "test_rows": int(len(y))}
json.dump(metrics, open("metrics.json", "w"), indent=2)
print(json.dumps(metrics))
if f1 < args.min_f1:
    print(f"gate failed: f1 {f1:.4f} < {args.min_f1}", file=sys.stderr)
    sys.exit(1)
