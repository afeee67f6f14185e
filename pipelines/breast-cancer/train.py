"""Standardised logistic regression by gradient descent (numpy only)."""
import argparse
import json

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--c", type=float, default=1.0, help="inverse L2 strength")
ap.add_argument("--epochs", type=int, default=2000)
args = ap.parse_args()

data = np.loadtxt("train.csv", delimiter=",")
x, y = data[:, :-1], data[:, -1]
mean, std = x.mean(axis=0), x.std(axis=0) + 1e-12
z = (x - mean) / std
w, b = np.zeros(z.shape[1]), 0.0
lr, lam = 0.1, 1.0 / (args.c * len(y))
for epoch in range(args.epochs):
    p = 1 / (1 + np.exp(-(z @ w + b)))
    w -= lr * (z.T @ (p - y) / len(y) + lam * w)
    b -= lr * float(np.mean(p - y))
    if epoch % 500 == 0:
        loss = -np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))
        print(f"epoch {epoch} loss {loss:.4f}")
with open("model.json", "w") as f:
    json.dump({"mean": mean.tolist(), "std": std.tolist(), "w": w.tolist(), "b": b}, f)
print("trained on", len(y), "rows")
