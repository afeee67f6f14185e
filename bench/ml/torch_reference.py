#!/usr/bin/python3
"""The same MLP as bench/ml/trainer_bench.cc, trained by Debian's python3-torch.

   torch_reference.py DIR THREADS EPOCHS    (reads DIR/train.csv, DIR/validation.csv)
Prints one JSON line: samples/s over the training steps only.
"""
import json
import sys
import time

import numpy as np
import torch


def main():
    folder, threads, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    train = np.loadtxt(folder + "/train.csv", delimiter=",", dtype=np.float64)
    val = np.loadtxt(folder + "/validation.csv", delimiter=",", dtype=np.float64)
    x, y = train[:, :-1], train[:, -1].astype(np.int64)
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std < 1e-12] = 1.0
    xt = torch.tensor((x - mean) / std, dtype=torch.float32)
    yt = torch.tensor(y)
    xv = torch.tensor((val[:, :-1] - mean) / std, dtype=torch.float32)
    yv = torch.tensor(val[:, -1].astype(np.int64))
    classes = int(max(y.max(), yv.max())) + 1
    net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 128), torch.nn.ReLU(), torch.nn.Linear(128, classes))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    n, batch, seen, spent = len(xt), 32, 0, 0.0
    for _ in range(epochs):
        t0 = time.perf_counter()
        net.train()
        perm = torch.randperm(n)
        for b in range(0, n, batch):
            idx = perm[b:b + batch]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            loss.item()  # the C++ trainer reads the loss back every batch too
            seen += len(idx)
        spent += time.perf_counter() - t0
        with torch.no_grad():
            net.eval()
            acc = (net(xv).argmax(1) == yv).double().mean().item()
    print(json.dumps({"impl": "python3-torch " + torch.__version__, "threads": threads, "epochs": epochs,
                      "samples": seen, "seconds": round(spent, 4), "samples_per_s": round(seen / spent),
                      "val_accuracy": round(acc, 4)}))


if __name__ == "__main__":
    main()
