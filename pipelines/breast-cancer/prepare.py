"""Deterministic, stratified 80/20 split of a scikit-learn data CSV."""
import csv
import random
import sys

src = sys.argv[1]
with open(src, newline="") as f:
    rows = list(csv.reader(f))
header, data = rows[0], rows[1:]
n_features = int(header[1])
by_label = {}
for r in data:
    by_label.setdefault(r[n_features], []).append(r)
rng = random.Random(42)
train, test = [], []
for label in sorted(by_label):
    group = by_label[label]
    rng.shuffle(group)
    cut = int(round(len(group) * 0.8))
    train += group[:cut]
    test += group[cut:]
for name, part in (("train.csv", train), ("test.csv", test)):
    with open(name, "w", newline="") as f:
        csv.writer(f).writerows(part)
print(f"split {len(data)} rows into {len(train)} train / {len(test)} test")
