#!/usr/bin/python3
"""Reference models for the ML plugins' accuracy test, from Debian's scikit-learn.

   sklearn_models.py DIR      (reads DIR/train.csv and DIR/test.csv: features..., label)
Trains MLPClassifier() and LogisticRegression(max_iter=1000), with their
default settings, on the training rows (the trainer's train + validation
rows) and prints their test accuracies as JSON: once on the raw features
(the estimators alone) and once behind a StandardScaler fitted on the
training rows (what the trainer does).
"""
import json
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def main():
    folder = sys.argv[1]
    train = np.loadtxt(folder + "/train.csv", delimiter=",")
    test = np.loadtxt(folder + "/test.csv", delimiter=",")
    x, y = train[:, :-1], train[:, -1].astype(int)
    xt, yt = test[:, :-1], test[:, -1].astype(int)
    warnings.simplefilter("ignore", ConvergenceWarning)
    out = {}
    for name, make in (("mlp", lambda: MLPClassifier(random_state=0)),
                       ("logreg", lambda: LogisticRegression(max_iter=1000))):
        out[name + "_raw"] = float((make().fit(x, y).predict(xt) == yt).mean())
        scaled = make_pipeline(StandardScaler(), make()).fit(x, y)
        out[name + "_scaled"] = float((scaled.predict(xt) == yt).mean())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
