#!/usr/bin/python3
"""The same MLP as bench/ml/trainer_bench.cc, trained by PyTorch in Python.

   torch_reference.py DIR THREADS EPOCHS [BATCH] [DEVICE] [HIDDEN]
(reads DIR/train.csv, DIR/validation.csv; BATCH 32, DEVICE cpu, HIDDEN 128 unless
given; HIDDEN is a comma list of layer widths). Prints one JSON line: samples/s over
the training steps only.
"""
import json
import sys
import time

import numpy as np
import torch


def main():
    folder, threads, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 32
    device = torch.device(sys.argv[5] if len(sys.argv) > 5 else "cpu")
    hidden = [int(w) for w in (sys.argv[6] if len(sys.argv) > 6 else "128").split(",")]
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    train = np.loadtxt(folder + "/train.csv", delimiter=",", dtype=np.float64)
    val = np.loadtxt(folder + "/validation.csv", delimiter=",", dtype=np.float64)
    x, y = train[:, :-1], train[:, -1].astype(np.int64)
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std < 1e-12] = 1.0
    xt = torch.tensor((x - mean) / std, dtype=torch.float32, device=device)
    yt = torch.tensor(y, device=device)
    xv = torch.tensor((val[:, :-1] - mean) / std, dtype=torch.float32, device=device)
    yv = torch.tensor(val[:, -1].astype(np.int64), device=device)
    classes = int(max(y.max(), yv.max())) + 1
    layers, width = [], x.shape[1]
    for w in hidden:
        layers += [torch.nn.Linear(width, w), torch.nn.ReLU()]
        width = w
    net = torch.nn.Sequential(*layers, torch.nn.Linear(width, classes)).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    n, seen, spent, later = len(xt), 0, 0.0, 0.0
    for epoch in range(epochs):
        t0 = time.perf_counter()
        net.train()
        perm = torch.randperm(n).to(device)
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        for b in range(0, n, batch):
            idx = perm[b:b + batch]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            # Summed on the device and read once per epoch, as the C++ trainer does.
            loss_sum.add_(loss.detach().double(), alpha=len(idx))
            seen += len(idx)
        loss_sum.item()
        took = time.perf_counter() - t0
        spent += took
        if epoch > 0:  # the first epoch carries the device's first-use costs
            later += took
        with torch.no_grad():
            net.eval()
            acc = (net(xv).argmax(1) == yv).double().mean().item()
    print(json.dumps({"impl": "python3-torch " + torch.__version__, "device": str(device), "threads": threads,
                      "epochs": epochs, "batch": batch, "hidden": ",".join(map(str, hidden)), "samples": seen,
                      "seconds": round(spent, 4), "samples_per_s": round(seen / spent),
                      "samples_per_s_after_first": round(n * (epochs - 1) / later) if epochs > 1 else 0,
                      "val_accuracy": round(acc, 4)}))


if __name__ == "__main__":
    main()
